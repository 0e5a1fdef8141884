"""The monthly trend charts of the payer-performance and payer-mix pages: one line per
payer (or payer type) over the months of service, a hidden month a gap in its line.

Frames in (a ``*_monthly`` frame: service_month, the label column, the measure, the claims
behind it), plotly figure out; the colours and marks come from ``base``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib.packet.cells import cell_text

from .base import HIDDEN_MARK, axis_floats, hover_columns, note_below


def month_line(
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
        y=axis_floats(rows[measure]),
        mode="lines+markers",
        connectgaps=False,
        line=line,
        marker={"size": 5},
        customdata=hover_columns(value_text, claims),
        hovertemplate=(
            f"<b>{label}</b><br>%{{x|%b %Y}}: %{{customdata[0]}} "
            "(%{customdata[1]} claims)<extra></extra>"
        ),
    )


def month_lines(
    monthly: pd.DataFrame,
    label: str,
    measure: str,
    count: str,
    text: Callable[[pd.Series], pd.Series],
    line: Callable[[int, pd.DataFrame], dict],
) -> go.Figure | None:
    """One ``month_line`` per value of ``monthly[label]``, in order of first appearance:
    ``text`` writes the values for the hover, ``count`` is the column of claims behind them
    and ``line(i, rows)`` styles the i-th line. None when no month of any line is shown."""
    figure = go.Figure()
    for i, name in enumerate(dict.fromkeys(monthly[label])):
        rows = monthly[monthly[label].eq(name)].sort_values("service_month")
        claims = cell_text(rows, count)
        figure.add_trace(
            month_line(name, rows, measure, text(rows[measure]), claims, line(i, rows))
        )
    if all(np.isnan(np.asarray(t.y, dtype="float64")).all() for t in figure.data):
        return None
    return figure


def month_layout(
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
        note_below(figure, note, yshift=-150)
    return figure
