"""The "Coding" page's figures: how suggestions of each kind and direction stand, and the
downcode balance month by month (``analytics.coding`` frames in, plotly figures out).

A figure the compute module hid (NA) is not drawn: its bar is left out, its row or month
is marked "*" and a note under the chart says why.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from payeropt_lib.coding import monitors
from payeropt_lib.packet.cells import cell_text, sized

from .base import (
    HIDDEN_MARK,
    LEGEND_ABOVE,
    axis_floats,
    bar_frame,
    empty_figure,
    hover_columns,
    note_below,
    parts,
    row_bars,
)

__all__ = ["downcode_balance_bars", "suggestion_status_bars"]

# Okabe-Ito: accepted bluish green, rejected vermillion, open grey; up blue, down orange.
STATUS = (
    ("accepted_count", "Accepted", "#009E73"),
    ("rejected_count", "Rejected", "#D55E00"),
    ("open_count", "Open (not decided yet)", "#999999"),
)
UP_COLOR, DOWN_COLOR, BALANCE_COLOR = "#0072B2", "#E69F00", "#000000"
NOTE = (
    "* Some figures are not drawn: fewer than 11 suggestions, or hidden so that such a "
    "count cannot be worked out from the total."
)


def suggestion_status_bars(
    acceptance: pd.DataFrame, empty: str = "No coding suggestions in this period."
) -> go.Figure:
    """Per kind and direction of suggestion (``analytics.coding.acceptance``, its total
    row left out), the suggestions accepted, rejected and still open, stacked; hover
    gives the count as the table shows it."""
    rows = parts(acceptance)
    if rows.empty:
        return empty_figure(empty)
    counts = [column for column, _, _ in STATUS]
    hidden = rows[counts].isna().any(axis=1).to_numpy()
    labels = [
        f"{kind} · {way}" + (HIDDEN_MARK if h else "")
        for kind, way, h in zip(rows["kind_label"], rows["direction_label"], hidden, strict=True)
    ]
    figure = go.Figure()
    for column, name, color in STATUS:
        custom = hover_columns(cell_text(rows, column))
        figure.add_trace(
            row_bars(
                name, labels, axis_floats(rows[column]), color, customdata=custom,
                hovertemplate=f"<b>%{{y}}</b><br>{name}: %{{customdata[0]}}<extra></extra>",
            )
        )  # fmt: skip
    figure.update_layout(
        barmode="stack",
        xaxis={"title": {"text": "Suggestions"}, "separatethousands": True},
        **bar_frame(
            "Kind · direction", max(240, 140 + 40 * len(rows)), 40, hidden,
            {**LEGEND_ABOVE, "traceorder": "normal"},
        ),
    )  # fmt: skip
    if hidden.any():
        note_below(figure, sized(NOTE))
    return figure


def downcode_balance_bars(
    balance: pd.DataFrame, empty: str = "No coding suggestions in this period."
) -> go.Figure:
    """Per month of service (``analytics.coding.downcode_balance``, its total row left
    out), the upcodes and downcodes surfaced side by side, and the downcodes one per three
    upcodes would take (a dashed line): a month whose downcode bar stays below the line
    is below the balance."""
    rows = parts(balance)
    if rows.empty:
        return empty_figure(empty)
    hidden = rows[["up_count", "down_count"]].isna().any(axis=1).to_numpy()
    months = [
        label + (HIDDEN_MARK if h else "")
        for label, h in zip(rows["month_label"], hidden, strict=True)
    ]
    ratio = monitors.DOWNCODES_PER_UPCODE_MIN
    figure = go.Figure()
    for column, name, color in (
        ("up_count", "Upcodes", UP_COLOR),
        ("down_count", "Downcodes", DOWN_COLOR),
    ):
        figure.add_trace(
            go.Bar(
                name=name, x=months, y=axis_floats(rows[column]), marker_color=color,
                customdata=hover_columns(cell_text(rows, column)),
                hovertemplate=f"<b>%{{x}}</b><br>{name}: %{{customdata[0]}}<extra></extra>",
            )
        )  # fmt: skip
    up = axis_floats(rows["up_count"])
    figure.add_trace(
        go.Scatter(
            name=f"{ratio.numerator} downcode per {ratio.denominator} upcodes",
            x=months, y=up * float(ratio), mode="lines+markers",
            line={"color": BALANCE_COLOR, "dash": "dash", "width": 1.5},
            marker={"size": 5}, connectgaps=False, hoverinfo="skip",
        )
    )  # fmt: skip
    figure.update_layout(
        barmode="group",
        xaxis={"title": {"text": "Month of service"}, "type": "category"},
        yaxis={"title": {"text": "Suggestions"}, "separatethousands": True, "rangemode": "tozero"},
        legend={**LEGEND_ABOVE, "traceorder": "normal"},
        height=380 + (40 if hidden.any() else 0),
        margin={"l": 10, "r": 10, "t": 40, "b": 110 if hidden.any() else 70},
        template="plotly_white",
    )
    if hidden.any():
        note_below(figure, sized(NOTE), yshift=-70)
    return figure
