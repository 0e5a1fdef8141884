"""The "Reconciliation" and "Medicare check" pages' figures: how settled each month of
service is, and where each payer's charges went (``analytics.reconciliation`` frames in,
plotly figures out). A figure the compute module hid (NA) is not drawn; its row is marked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib.packet.cells import cell_text

from .base import (
    LEGEND_ABOVE,
    axis_dollars,
    axis_floats,
    bar_frame,
    empty_figure,
    hidden_note,
    hover_columns,
    parts,
    pct_text,
    row_bars,
    wrapped,
)

__all__ = ["charge_outcome_bars", "resolution_bars"]

ADVISED_COLOR, OPEN_COLOR, CHOSEN_COLOR = "#009E73", "#999999", "#0072B2"
# Where charges went, in the reading order of the identity (Okabe-Ito colours).
OUTCOMES = (
    ("cash_cents", "Cash", "#009E73"),
    ("contractual_cents", "Contractual", "#56B4E9"),
    ("noncash_compliance_cents", "Non-cash compliance", "#D55E00"),
    ("other_writeoffs_cents", "Courtesy, bad debt, small balance", "#CC79A7"),
    ("balance_cents", "Still owed", "#999999"),
    ("unexplained_cents", "Unexplained", "#000000"),
)


def resolution_bars(
    resolution: pd.DataFrame, chosen: pd.Timestamp | None, empty: str = "No claims on file."
) -> go.Figure:
    """Per month of service (``analytics.reconciliation.resolution``): the share of its
    visits resolved, green where at least 80 %, the chosen month in blue; a dashed line at
    80 %."""
    rows = resolution
    if rows.empty:
        return empty_figure(empty)
    colors = np.where(rows["advised"], ADVISED_COLOR, OPEN_COLOR).astype(object)
    if chosen is not None:
        colors[(rows["service_month"] == chosen).to_numpy()] = CHOSEN_COLOR
    figure = go.Figure(
        go.Bar(
            x=rows["month_label"], y=axis_floats(rows["pct_resolved"]), marker_color=colors,
            customdata=hover_columns(pct_text(rows["pct_resolved"]),
                                     cell_text(rows, "visits_count")),
            hovertemplate="<b>%{x}</b><br>Resolved: %{customdata[0]} of %{customdata[1]} "
            "visits<extra></extra>",
            showlegend=False,
        )
    )  # fmt: skip
    figure.add_hline(y=80, line={"color": "#000000", "dash": "dash", "width": 1.5})
    figure.update_layout(
        xaxis={"title": {"text": "Month of service"}, "type": "category"},
        yaxis={"title": {"text": "Visits resolved (%)"}, "range": [0, 100]},
        height=340,
        margin={"l": 10, "r": 10, "t": 20, "b": 60},
        template="plotly_white",
    )
    return figure


def charge_outcome_bars(table: pd.DataFrame, empty: str = "No claims this month.") -> go.Figure:
    """Per payer row of ``analytics.reconciliation.receivables_table`` (the total left
    out): where its charges went, in dollars, stacked: cash, contractual, non-cash
    compliance, the other write-offs, still owed, and what nothing explains."""
    rows = parts(table)
    if rows.empty:
        return empty_figure(empty)
    rows = rows.assign(
        other_writeoffs_cents=rows["courtesy_cents"] + rows["bad_debt_cents"]
        + rows["small_balance_cents"]
    )  # fmt: skip
    hidden = rows["cash_cents"].isna().to_numpy()
    labels = wrapped(rows["payer"], hidden)
    figure = go.Figure()
    for column, name, color in OUTCOMES:
        figure.add_trace(
            row_bars(
                name, labels, axis_dollars(rows[column]), color,
                customdata=hover_columns(cell_text(rows, column)),
                hovertemplate=f"<b>%{{y}}</b><br>{name}: %{{customdata[0]}}<extra></extra>",
            )
        )  # fmt: skip
    figure.update_layout(
        barmode="relative",
        xaxis={"title": {"text": "Charges of the month ($)"}, "separatethousands": True},
        **bar_frame("Primary payer", max(260, 120 + 44 * len(rows)), 40, hidden,
                    {**LEGEND_ABOVE, "traceorder": "normal"}),
    )  # fmt: skip
    return hidden_note(figure, hidden)
