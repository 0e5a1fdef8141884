"""Figures of the payer-performance page (``performance`` frames in, plotly figures out).

They only reshape and label: a figure the compute module hid (NA) is never drawn. A
payer whose figure is hidden gets no dot and a "*" on its label; a hidden month is a gap
in its line; a note under the chart says why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib.packet.cells import cell_text, fmt_count, hidden_text, sized

from .base import (
    ALL_COLOR,
    LEGEND_BELOW,
    PAYER_COLORS,
    axis_floats,
    empty_figure,
    hidden_note,
    hover_columns,
    parts,
    pct_text,
    wrapped,
)
from .months import month_layout, month_lines

__all__ = ["payer_measure_dots", "payer_trend_lines"]

DASHES = ["solid", "dot", "dash", "longdash", "dashdot"]
COMMERCIAL_COLOR = "#0072B2"  # blue: the contracts the scorecard ranks
PUBLIC_COLOR = "#E69F00"  # orange: Medicare and Medicaid, shown for reference
REFERENCE_COLOR = "#6b7280"

# measure → (title, axis title, kind): "pct" percent with one decimal, "days", "count".
MEASURES = {
    "pct_allowed_of_expected": (
        "What payers allowed, as a share of what the contract says",
        "Allowed ÷ contract (100% = paid as contracted)",
        "pct",
    ),
    "pct_denial": ("Denial rate: claims with a denied line", "Claims denied", "pct"),
    "median_days_to_payment": (
        "Median days from the date of service to payment",
        "Days",
        "days",
    ),
    "pct_underpaid": (
        "Under-payment rate: lines allowed below the contract",
        "Lines under-paid",
        "pct",
    ),
    "pct_net_collection": (
        "Net collection rate",
        "Collected ÷ (charges − contractual adjustments)",
        "pct",
    ),
    "claims": ("Claims adjudicated", "Claims", "count"),
}


def _text(values: pd.Series, kind: str) -> pd.Series:
    """Values as the page prints them; a hidden one reads "suppressed"."""
    if kind == "pct":
        return pct_text(values)
    if kind == "count":
        return values.map(lambda v: fmt_count(v, hidden_text()))
    return values.map(lambda v: hidden_text() if pd.isna(v) else f"{int(v)} days")


# Allowed as a percent of the contract: the axis spans at least this many points up to
# 100 % or above, so that a payer at 99.3 % does not look far from one at 100 % (issue 12).
CONTRACT_SPAN = 10.0


def _axis(kind: str, values: pd.Series | None = None, measure: str = "") -> dict:
    if kind == "pct" and measure == "pct_allowed_of_expected" and values is not None:
        shown = pd.to_numeric(values, errors="coerce").dropna()
        low = min([100.0 - CONTRACT_SPAN, *(shown - 1).tolist()])
        high = max([100.5, *(shown + 0.5).tolist()])
        return {"ticksuffix": "%", "range": [low, high]}
    if kind == "pct":
        return {"ticksuffix": "%"}
    return {"rangemode": "tozero"} if kind == "count" else {}


def payer_measure_dots(
    performance: pd.DataFrame,
    measure: str = "pct_allowed_of_expected",
    empty: str = "No adjudicated claims in this period.",
) -> go.Figure:
    """One dot per contract (payer and product line) for ``measure``, with the practice's
    own figure as a dashed line (and 100 % for allowed-of-expected).

    Needs a ``performance.payer_performance`` frame; ``measure`` is a key of
    ``MEASURES``. Dots (not bars from zero) because the differences that matter are small:
    99.3 % against 100 % is real money. Blue dots are the contracts the scorecard ranks,
    orange ones Medicare and Medicaid (shown for reference, never ranked). A contract
    whose figure is hidden has no dot and is marked "*".
    """
    title, axis_title, kind = MEASURES[measure]
    rows = parts(performance)
    if rows.empty:
        return empty_figure(empty)
    rows = rows[rows["leaf"].astype(bool)].reset_index(drop=True)
    total = performance[performance["is_total"].astype(bool)]
    hidden = rows[measure].isna().to_numpy()
    values = axis_floats(rows[measure])
    if np.isnan(values).all():
        return empty_figure("Too few claims for this figure: nothing can be shown.")
    labels = rows["payer_label"] + np.where(
        rows["level"].eq("product"), " · " + rows["product_label"], ""
    )
    names = wrapped(labels, hidden)
    shown = _text(rows[measure], kind)
    claims = cell_text(rows, "claims")
    federal = rows["federal"].astype(bool).to_numpy()
    figure = go.Figure()
    for name, color, pick in (
        ("Commercial and other payers", COMMERCIAL_COLOR, ~federal),
        ("Medicare and Medicaid (reference, not ranked)", PUBLIC_COLOR, federal),
    ):
        if not pick.any():
            continue
        figure.add_trace(
            go.Scatter(
                name=name,
                x=values[pick],
                y=np.array(names, dtype=object)[pick],
                mode="markers",
                marker={"color": color, "size": 12, "line": {"color": "#ffffff", "width": 1}},
                customdata=hover_columns(shown, claims)[pick],
                hovertemplate=(
                    "<b>%{y}</b><br>%{customdata[0]} (%{customdata[1]} claims)<extra></extra>"
                ),
            )
        )
    lines = []
    if len(total) and pd.notna(total[measure].iloc[0]):
        lines.append((float(total[measure].iloc[0]), "All payers"))
    if measure == "pct_allowed_of_expected":
        lines.append((100.0, "Contract"))
    for x, label in lines:
        figure.add_vline(
            x=x,
            line={"color": REFERENCE_COLOR if label == "Contract" else ALL_COLOR, "dash": "dash"},
            annotation_text=f"{label}: {_text(pd.Series([x]), kind).iloc[0]}",
            annotation_position="top",
            annotation_font={"size": 11, "color": "#52606d"},
        )
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        xaxis={"title": {"text": axis_title}, **_axis(kind, performance[measure], measure)},
        yaxis={
            "title": {"text": "Payer and product line"},
            "autorange": "reversed",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": names,
        },
        legend=LEGEND_BELOW,
        height=max(320, 190 + 36 * len(rows)),
        margin={"l": 10, "r": 10, "t": 90, "b": 130 if hidden.any() else 100},
        template="plotly_white",
    )
    return hidden_note(figure, hidden, yshift=-90)


TREND_NOTE = (
    "A month with fewer than 11 claims behind a figure (or hidden so that such a count "
    "cannot be worked out) is not drawn: the line has a gap there. * marks a payer with "
    "such months."
)


def _payer_line(i: int, rows: pd.DataFrame) -> dict:
    """The i-th payer's colour (then dash, past the colours); "All payers" black, thicker."""
    if bool(rows["is_total"].iloc[0]):
        return {"color": ALL_COLOR, "width": 3, "dash": "solid"}
    dash = DASHES[(i // len(PAYER_COLORS)) % len(DASHES)]
    return {"color": PAYER_COLORS[i % len(PAYER_COLORS)], "width": 2, "dash": dash}


def payer_trend_lines(
    monthly: pd.DataFrame,
    measure: str = "pct_allowed_of_expected",
    empty: str = "No adjudicated claims in this period.",
) -> go.Figure:
    """One line per payer over the months of service, and "All payers" in black.

    Needs a ``performance.payer_monthly`` frame; ``measure`` is pct_allowed_of_expected,
    pct_denial or claims. Hidden months are gaps (never joined across); a payer with a
    hidden month is marked "*" in the legend.
    """
    title, axis_title, kind = MEASURES[measure]
    if monthly.empty:
        return empty_figure(empty)
    figure = month_lines(
        monthly, "payer_label", measure, "claims", lambda v: _text(v, kind), _payer_line
    )
    if figure is None:
        return empty_figure("Too few claims per month for this figure: nothing can be shown.")
    if measure == "pct_allowed_of_expected":
        figure.add_hline(
            y=100,
            line={"color": REFERENCE_COLOR, "dash": "dash"},
            annotation_text="Contract: 100%",
            annotation_position="top left",
            annotation_font={"size": 11, "color": "#52606d"},
        )
    return month_layout(
        figure,
        title + " — by month of service",
        {"title": {"text": axis_title}, **_axis(kind, monthly[measure], measure)},
        480,
        bool(monthly[measure].isna().any()),
        sized(TREND_NOTE),
    )
