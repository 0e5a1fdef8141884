"""Figures for the packet and the dashboards: documented frame in, plotly Figure out.

Functions here never call ``.show()`` and never compute a business number: they reshape
and label what the compute modules return. Money is turned into dollar text for labels
only (``formats``).
"""

from __future__ import annotations

import logging
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib import formats
from payeropt_lib.packet.report import SUPPRESSED, cell_text, fmt_count
from payeropt_lib.pricing.contracts import NO_RATE

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


def _empty_figure(message: str) -> go.Figure:
    """A figure that says why it is empty, so a page never shows a blank box."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, font={"size": 16})
    figure.update_layout(
        xaxis={"visible": False}, yaxis={"visible": False}, height=200, template="plotly_white"
    )
    return figure


LABEL_WIDTH = 14  # characters per line of a payer label
HOVER = ("rate_text", "medicare_text", "source")


def fee_heatmap(comparison: pd.DataFrame) -> go.Figure:
    """Percent of Medicare per code (rows, most billed first) × payer (columns).

    Needs a ``contracts.fee_comparison`` frame: code_label, volume, payer_label,
    rate_cents, medicare_cents, pct_of_medicare, below_medicare, source. Colour is the
    percent of Medicare with 100 % as the white midpoint; each cell shows the percent and
    hovers with the dollars and where the rate comes from. Cells without a percent (no
    rate on file, or no Medicare amount) stay blank; the table beside it has the dollars.
    """
    if comparison.empty:
        return _empty_figure("No billed codes or contracts in force for this period.")
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


# --- remittances: under-payments and follow-up tasks -------------------------------------

STAKE_COLOR = "#d95f02"  # still at stake (orange)
RECOVERED_COLOR = "#1b9e77"  # recovered (teal); the pair reads apart for colour-blind eyes
AGE_COLORS = ["#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]  # older tasks darker
HIDDEN_MARK = " *"
HIDDEN_NOTE = (
    "* Some figures are not drawn: fewer than 11 claims, or hidden so that such a count "
    "cannot be worked out from the total."
)


def _dollars(cents: pd.Series) -> np.ndarray:
    """Cents → dollars as floats, for a chart axis only (NaN where a figure is hidden)."""
    return cents.astype("Float64").to_numpy(dtype="float64", na_value=np.nan) / 100


def _claims_words(counts: pd.Series) -> pd.Series:
    """'12' → '12 claims', '<11' → '<11 claims'; a hidden count stays 'suppressed'."""
    return counts.where(counts.eq(SUPPRESSED), counts + " claims")


def _parts(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows that are not the total (``metrics`` frames mark it ``is_total``)."""
    if summary.empty or "is_total" not in summary:
        return summary
    return summary[~summary["is_total"].astype(bool)]


def _note_below(figure: go.Figure, text: str) -> None:
    figure.add_annotation(
        text=text,
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-48,
        xanchor="left",
        yanchor="top",
        font={"size": 11, "color": "#52606d"},
    )


def _floats(values: pd.Series) -> np.ndarray:
    """A figure column as floats for a chart axis only (NaN where hidden: not drawn)."""
    return values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _pct_text(values: pd.Series) -> pd.Series:
    """Percents as hover text with one decimal ('3.9%'); a hidden one reads "suppressed"."""
    return values.map(lambda v: formats.percent(v, digits=1, na=SUPPRESSED))


def _wrapped(labels: pd.Series, hidden: np.ndarray) -> list[str]:
    """Bar labels wrapped to fit, "*" on those with a hidden figure."""
    return [
        "<br>".join(textwrap.wrap(str(n), 2 * LABEL_WIDTH)) + (HIDDEN_MARK if h else "")
        for n, h in zip(labels, hidden, strict=True)
    ]


def _month_line(
    label: str,
    rows: pd.DataFrame,
    measure: str,
    value_text: pd.Series,
    claims: pd.Series,
    line: dict,
) -> go.Scatter:
    """``rows[measure]`` over ``rows["service_month"]`` as one line: a hidden month is a
    gap, never joined across, and puts "*" after ``label`` in the legend; hover gives the
    month, ``value_text`` and the ``claims`` behind it."""
    hidden = bool(rows[measure].isna().any())
    return go.Scatter(
        name=label + (HIDDEN_MARK if hidden else ""),
        x=rows["service_month"],
        y=_floats(rows[measure]),
        mode="lines+markers",
        connectgaps=False,
        line=line,
        marker={"size": 5},
        customdata=np.column_stack([value_text.to_numpy(), claims.to_numpy()]),
        hovertemplate=(
            f"<b>{label}</b><br>%{{x|%b %Y}}: %{{customdata[0]}} "
            "(%{customdata[1]} claims)<extra></extra>"
        ),
    )


def _month_layout(
    figure: go.Figure, title: str, yaxis: dict, height: int, any_hidden: bool, note: str
) -> go.Figure:
    """The monthly trend charts' frame: months along x, the legend and ``note`` (why a
    line has gaps, when one has) below."""
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        xaxis={"title": {"text": "Month of service"}, "dtick": "M1", "tickformat": "%b<br>%Y"},
        yaxis=yaxis,
        legend={"orientation": "h", "x": 0, "y": -0.25, "yanchor": "top"},
        height=height + 40 if any_hidden else height,
        margin={"l": 10, "r": 10, "t": 60, "b": 170 if any_hidden else 140},
        template="plotly_white",
    )
    if any_hidden:
        _note_below(figure, note)
        figure.layout.annotations[-1].update(yshift=-150)
    return figure


def _stake_bars(summary: pd.DataFrame, label: str, axis_title: str, empty: str) -> go.Figure:
    """Stacked horizontal bars: dollars still at stake and recovered, per ``label``."""
    rows = _parts(summary)
    if rows.empty:
        return _empty_figure(empty)
    stake, recovered = _dollars(rows["at_stake_cents"]), _dollars(rows["recovered_cents"])
    hidden = (rows["at_stake_cents"].isna() | rows["recovered_cents"].isna()).to_numpy()
    if not (np.nan_to_num(stake) > 0).any() and not (np.nan_to_num(recovered) > 0).any():
        if hidden.any():
            return _empty_figure("Fewer than 11 claims: the dollars are not shown.")
        return _empty_figure("No follow-up tasks open or recovered.")
    names = _wrapped(rows[label], hidden)
    series = (
        ("Still at stake (open tasks)", stake, "at_stake_cents", "open_claims", STAKE_COLOR),
        ("Recovered", recovered, "recovered_cents", "recovered_claims", RECOVERED_COLOR),
    )
    figure = go.Figure()
    for name, dollars, money, claims, color in series:
        figure.add_trace(
            go.Bar(
                name=name,
                y=names,
                x=dollars,
                orientation="h",
                marker_color=color,
                customdata=np.column_stack(
                    [
                        cell_text(rows, money).to_numpy(),
                        _claims_words(cell_text(rows, claims)).to_numpy(),
                    ]
                ),
                hovertemplate=(
                    f"<b>%{{y}}</b><br>{name}: %{{customdata[0]}} "
                    "(%{customdata[1]})<extra></extra>"
                ),
            )
        )
    figure.update_layout(
        barmode="stack",
        xaxis={"title": {"text": "Dollars"}, "tickprefix": "$", "separatethousands": True},
        yaxis={"title": {"text": axis_title}, "autorange": "reversed", "type": "category"},
        legend={
            "orientation": "h",
            "x": 0,
            "y": 1.02,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        height=max(260, 150 + 44 * len(rows)),
        margin={"l": 10, "r": 10, "t": 40, "b": 90 if hidden.any() else 50},
        template="plotly_white",
    )
    if hidden.any():
        _note_below(figure, HIDDEN_NOTE)
    return figure


def underpaid_by_payer(
    summary: pd.DataFrame, empty: str = "No under-payments in this period."
) -> go.Figure:
    """Per payer, dollars still at stake in open tasks and dollars recovered, stacked.

    Needs a ``metrics.underpayments_by_payer`` frame (payer_label, open_claims,
    at_stake_cents, recovered_claims, recovered_cents, is_total, ``*_small``); the total
    row is left out. A hidden figure is not drawn and its payer is marked "*"; hover
    gives the dollars and the claims as the table shows them.
    """
    return _stake_bars(summary, "payer_label", "Payer (most at stake first)", empty)


def underpaid_by_cause(
    summary: pd.DataFrame, empty: str = "No under-payments in this period."
) -> go.Figure:
    """Per likely cause, dollars still at stake and recovered, stacked.

    Needs a ``metrics.underpayments_by_cause`` frame (cause_label and the columns of
    ``underpaid_by_payer``).
    """
    return _stake_bars(summary, "cause_label", "Likely cause (most at stake first)", empty)


def task_aging_bars(aging: pd.DataFrame, empty: str = "No open follow-up tasks.") -> go.Figure:
    """Dollars at stake in open tasks per age bucket (days since the remittance).

    Needs a ``metrics.task_aging`` frame (age_bucket, open_claims, at_stake_cents,
    is_total, past_deadline, open_claims_small). Bars are the age buckets, darker when
    older, labelled with their claim count; the past-deadline figures go in the title.
    """
    if aging.empty:
        return _empty_figure(empty)
    buckets = aging[~aging["is_total"].astype(bool) & ~aging["past_deadline"].astype(bool)]
    past = aging[aging["past_deadline"].astype(bool)]
    hidden = buckets["at_stake_cents"].isna().to_numpy()
    names = [
        f"{b}{HIDDEN_MARK if h else ''}"
        for b, h in zip(buckets["age_bucket"], hidden, strict=True)
    ]
    claims = _claims_words(cell_text(buckets, "open_claims"))
    figure = go.Figure(
        go.Bar(
            x=names,
            y=_dollars(buckets["at_stake_cents"]),
            marker_color=AGE_COLORS[: len(buckets)],
            text=claims.to_numpy(),
            textposition="outside",
            customdata=np.column_stack(
                [cell_text(buckets, "at_stake_cents").to_numpy(), claims.to_numpy()]
            ),
            hovertemplate=(
                "<b>%{x}</b> since the remittance<br>At stake: %{customdata[0]}<br>"
                "%{customdata[1]}<extra></extra>"
            ),
        )
    )
    title = "Open follow-up tasks by age"
    if len(past):
        title += (
            f"<br><sup>Past the appeal deadline: "
            f"{_claims_words(cell_text(past, 'open_claims')).iloc[0]}, "
            f"{cell_text(past, 'at_stake_cents').iloc[0]} at stake</sup>"
        )
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        xaxis={"title": {"text": "Days since the remittance"}, "type": "category"},
        yaxis={"title": {"text": "Dollars at stake"}, "tickprefix": "$", "rangemode": "tozero"},
        height=420 if hidden.any() else 380,
        margin={"l": 10, "r": 10, "t": 80, "b": 100 if hidden.any() else 50},
        showlegend=False,
        template="plotly_white",
    )
    if hidden.any():
        _note_below(figure, HIDDEN_NOTE)
    return figure


# One colour per payer on every page: Okabe-Ito first (safe for the common colour-vision
# deficiencies), then Tol's muted; yellow last (weak on white); black is "all payers".
PAYER_COLORS = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#882255",
    "#999933",
    "#44AA99",
    "#332288",
    "#F0E442",
]
ALL_COLOR = "#000000"


# --- the other pages' figures, one module per page ---------------------------------------
# Imported last: they use the shared helpers above (``_empty_figure``, ``_dollars``, ...).
from .denials import *  # noqa: E402,F403
from .mix import *  # noqa: E402,F403
from .performance import *  # noqa: E402,F403
from .renewals import *  # noqa: E402,F403
from .summary import *  # noqa: E402,F403
from .trends import *  # noqa: E402,F403
