"""What every figure shares: colours, the empty figure, the marks for hidden figures, the
frame of a bar chart, and the helpers that turn a documented frame's columns into chart
values (the monthly trend charts' lines and frame are in ``months``).

Money becomes dollars as floats for a chart axis only; a hidden figure (small-cell rule)
becomes NaN, which plotly does not draw. Text comes from ``packet.cells`` and ``formats``.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib import formats
from payeropt_lib.packet.cells import hidden_text, sized

# One colour per payer on every page: Okabe-Ito first (safe for the common colour-vision
# deficiencies), then Tol's muted; yellow last (weak on white); black is "all payers". One
# green only: Tol's teal beside Okabe-Ito's green could not be told apart on a page of nine
# payers (issue 12), so a dark brown takes its place.
PAYER_COLORS = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#882255",
    "#999933",
    "#661100",
    "#332288",
    "#F0E442",
]
ALL_COLOR = "#000000"


LABEL_WIDTH = 14  # characters per line of a payer label
# Legends laid out in a row, above the plot or below it.
LEGEND_ABOVE = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}
LEGEND_BELOW = {"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"}

HIDDEN_MARK = " *"
HIDDEN_NOTE = (
    "* Some figures are not drawn: fewer than 11 claims, or hidden so that such a count "
    "cannot be worked out from the total."
)


def empty_figure(message: str) -> go.Figure:
    """A figure that says why it is empty, so a page never shows a blank box."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, font={"size": 16})
    figure.update_layout(
        xaxis={"visible": False}, yaxis={"visible": False}, height=200, template="plotly_white"
    )
    return figure


def axis_dollars(cents: pd.Series) -> np.ndarray:
    """Cents → dollars as floats, for a chart axis only (NaN where a figure is hidden)."""
    return cents.astype("Float64").to_numpy(dtype="float64", na_value=np.nan) / 100


def parts(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows that are not the total (the ``analytics`` frames mark it ``is_total``)."""
    if summary.empty or "is_total" not in summary:
        return summary
    return summary[~summary["is_total"].astype(bool)]


def note_below(figure: go.Figure, text: str, yshift: int = -48) -> None:
    """``text`` in small grey type under the plot, ``yshift`` pixels below its bottom."""
    figure.add_annotation(
        text=text,
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=yshift,
        xanchor="left",
        yanchor="top",
        font={"size": 11, "color": "#52606d"},
    )


def hidden_note(figure: go.Figure, hidden: np.ndarray, yshift: int = -48) -> go.Figure:
    """``figure`` with ``HIDDEN_NOTE`` under it when any of ``hidden`` (a bool per bar or
    point) is true."""
    if hidden.any():
        note_below(figure, sized(HIDDEN_NOTE), yshift)
    return figure


def bar_frame(
    rows_title: str,
    height: int,
    top: int,
    hidden: np.ndarray | None = None,
    legend: dict | None = None,
    right: int = 10,
    bottom: int = 50,
) -> dict:
    """Layout of a chart with one horizontal bar (or group of bars) per row, to pass to
    ``update_layout`` after the x axis: rows listed top down under ``rows_title``, the
    ``legend`` if any, ``height`` pixels, margins of ``top`` and ``bottom`` pixels, and 40
    more below when any of ``hidden`` is true (room for ``hidden_note``)."""
    rows = {"yaxis": {"title": {"text": rows_title}, "autorange": "reversed", "type": "category"}}
    if legend is not None:
        rows["legend"] = legend
    if hidden is not None and hidden.any():
        bottom += 40
    return {
        **rows,
        "height": height,
        "margin": {"l": 10, "r": right, "t": top, "b": bottom},
        "template": "plotly_white",
    }


def row_bars(
    name: str | None, labels: list[str], values: object, color: object, **trace
) -> go.Bar:
    """One series of horizontal bars: ``values`` along x, one bar per label in ``labels``;
    ``trace`` adds the text and hover (``go.Bar`` properties)."""
    return go.Bar(name=name, y=labels, x=values, orientation="h", marker_color=color, **trace)


def full_height(figure: go.Figure, kind: str, x0: object, x1: object, **style) -> None:
    """A shape (``kind``: "rect" or "line") from ``x0`` to ``x1`` on the x axis, over the
    whole height of the plot."""
    figure.add_shape(type=kind, xref="x", yref="paper", x0=x0, x1=x1, y0=0, y1=1, **style)


def x_mark(figure: go.Figure, x: object, label: str, line: dict, **font) -> None:
    """A vertical line at ``x`` over the whole plot, ``label`` above it."""
    full_height(figure, "line", x, x, line=line)
    figure.add_annotation(
        x=x,
        y=1,
        xref="x",
        yref="paper",
        yanchor="bottom",
        text=label,
        showarrow=False,
        **font,
    )


def axis_floats(values: pd.Series) -> np.ndarray:
    """A figure column as floats for a chart axis only (NaN where hidden: not drawn)."""
    return values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def hover_columns(*texts: pd.Series) -> np.ndarray:
    """Text series side by side, for a trace's ``customdata`` (``%{customdata[i]}``)."""
    return np.column_stack([text.to_numpy() for text in texts])


def pct_text(values: pd.Series) -> pd.Series:
    """Percents as hover text with one decimal ('3.9%'); a hidden one reads "suppressed"."""
    return values.map(lambda v: formats.percent(v, digits=1, na=hidden_text()))


def wrapped(labels: pd.Series, hidden: np.ndarray) -> list[str]:
    """Bar labels wrapped to fit, "*" on those with a hidden figure."""
    return [
        "<br>".join(textwrap.wrap(str(n), 2 * LABEL_WIDTH)) + (HIDDEN_MARK if h else "")
        for n, h in zip(labels, hidden, strict=True)
    ]
