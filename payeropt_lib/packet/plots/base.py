"""What every figure shares: colours, the empty figure, the marks for hidden figures, and
the helpers that turn a documented frame's columns into chart values.

Money becomes dollars as floats for a chart axis only; a hidden figure (small-cell rule)
becomes NaN, which plotly does not draw. Text comes from ``packet.cells`` and ``formats``.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib import formats
from payeropt_lib.packet.cells import SUPPRESSED

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


LABEL_WIDTH = 14  # characters per line of a payer label

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
    """The rows that are not the total (``metrics`` frames mark it ``is_total``)."""
    if summary.empty or "is_total" not in summary:
        return summary
    return summary[~summary["is_total"].astype(bool)]


def note_below(figure: go.Figure, text: str) -> None:
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


def axis_floats(values: pd.Series) -> np.ndarray:
    """A figure column as floats for a chart axis only (NaN where hidden: not drawn)."""
    return values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def pct_text(values: pd.Series) -> pd.Series:
    """Percents as hover text with one decimal ('3.9%'); a hidden one reads "suppressed"."""
    return values.map(lambda v: formats.percent(v, digits=1, na=SUPPRESSED))


def wrapped(labels: pd.Series, hidden: np.ndarray) -> list[str]:
    """Bar labels wrapped to fit, "*" on those with a hidden figure."""
    return [
        "<br>".join(textwrap.wrap(str(n), 2 * LABEL_WIDTH)) + (HIDDEN_MARK if h else "")
        for n, h in zip(labels, hidden, strict=True)
    ]


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
        customdata=np.column_stack([value_text.to_numpy(), claims.to_numpy()]),
        hovertemplate=(
            f"<b>{label}</b><br>%{{x|%b %Y}}: %{{customdata[0]}} "
            "(%{customdata[1]} claims)<extra></extra>"
        ),
    )


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
        note_below(figure, note)
        figure.layout.annotations[-1].update(yshift=-150)
    return figure
