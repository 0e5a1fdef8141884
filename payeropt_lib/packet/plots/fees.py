"""The fee-schedule page's figure: percent of Medicare per code and payer."""

from __future__ import annotations

import logging
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib import formats
from payeropt_lib.analytics.fee_comparisons import NO_RATE
from payeropt_lib.packet.cells import fmt_count

from .base import LABEL_WIDTH, empty_figure

__all__ = ["fee_heatmap"]

logger = logging.getLogger(__name__)

# Diverging around 100 % of Medicare: red below, white at Medicare, blue above.
PCT_COLORSCALE = [
    [0.0, "#b2182b"],
    [0.25, "#ef8a62"],
    [0.45, "#fddbc7"],
    [0.5, "#f7f7f7"],
    [0.55, "#d1e5f0"],
    [0.75, "#67a9cf"],
    [1.0, "#2166ac"],
]

HOVER = ("rate_text", "medicare_text", "source")


def fee_heatmap(comparison: pd.DataFrame) -> go.Figure:
    """Percent of Medicare per code (rows, most billed first) × payer (columns).

    Needs a ``fee_comparisons.fee_comparison`` frame: code_label, volume, payer_label,
    rate_cents, medicare_cents, pct_of_medicare, below_medicare, source. Colour is the
    percent of Medicare with 100 % as the white midpoint; each cell shows the percent and
    hovers with the dollars and where the rate comes from. Cells without a percent (no
    rate on file, or no Medicare amount) stay blank; the table beside it has the dollars.
    """
    if comparison.empty:
        return empty_figure("No billed codes or contracts in force for this period.")
    if comparison["pct_of_medicare"].isna().all():  # a grey grid says nothing (issue 12)
        return empty_figure(
            "No percent of Medicare to show: no contracted rate on file for these codes on "
            "this date, or no Medicare amount for them (the table has what is on file)."
        )
    codes = list(dict.fromkeys(comparison["code_label"]))
    payers = list(dict.fromkeys(comparison["payer_label"]))
    cells = comparison.assign(
        pct=comparison["pct_of_medicare"].astype("float64"),
        label=comparison["pct_of_medicare"]
        .map(formats.percent)
        .where(comparison["rate_cents"].notna(), ""),
        rate_text=comparison["rate_cents"].map(lambda c: formats.money(c, NO_RATE)),
        medicare_text=comparison["medicare_cents"].map(lambda c: formats.money(c, "unknown")),
    )
    cells["label"] = cells["label"].where(~cells["below_medicare"], "▼ " + cells["label"])
    volume = cells.drop_duplicates("code_label").set_index("code_label")["volume"]

    def grid(column: str) -> pd.DataFrame:
        wide = cells.pivot(index="code_label", columns="payer_label", values=column)
        return wide.reindex(index=codes, columns=payers)

    pct = grid("pct")
    # One [rate, Medicare, source] triple per cell for the hover text.
    custom = np.dstack([grid(k).fillna("").to_numpy() for k in HOVER])
    rows = [f"{code} ({fmt_count(volume[code])} lines)" for code in codes]
    # Long payer names wrap onto lines instead of slanting into each other.
    columns = ["<br>".join(textwrap.wrap(p, LABEL_WIDTH)) or p for p in payers]
    label_lines = max(c.count("<br>") + 1 for c in columns)
    figure = go.Figure(
        go.Heatmap(
            z=pct.to_numpy(dtype="float64", na_value=float("nan")),
            x=columns,
            y=rows,
            zmid=100,
            colorscale=PCT_COLORSCALE,
            colorbar={"title": {"text": "% of Medicare<br>(▼ below)"}, "ticksuffix": "%"},
            text=grid("label").fillna("").to_numpy(),
            texttemplate="%{text}",
            customdata=custom,
            hovertemplate=(
                "<b>%{y}</b><br>%{x}<br>Rate: %{customdata[0]}<br>"
                "Medicare: %{customdata[1]}<br>%{customdata[2]}<extra></extra>"
            ),
            xgap=2,
            ygap=2,
            hoverongaps=False,
        )
    )
    figure.update_layout(
        xaxis={
            "title": {"text": "Payer and product line"},
            "side": "top",
            "type": "category",
            "tickangle": 0,
        },
        yaxis={
            "title": {"text": "Procedure code (most billed first)"},
            "autorange": "reversed",
            "type": "category",
        },
        height=max(320, 120 + 15 * label_lines + 34 * len(codes)),
        margin={"l": 10, "r": 10, "t": 50 + 15 * label_lines, "b": 20},
        plot_bgcolor="#e8e8e8",  # gaps (no rate on file) read as grey, not as 100 %
        template="plotly_white",
    )
    logger.debug("fee heatmap: %d codes × %d payers", len(codes), len(payers))
    return figure
