"""Figures of the payer-mix page (``mix`` frames in, plotly figures out).

They only reshape and label: a share the compute module hid (NA) is never drawn; its bar
is left out or its line has a gap, the label is marked "*" and a note under the chart
says why.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from payeropt_lib.packet.cells import cell_text, sized

from .base import (
    LEGEND_ABOVE,
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
from .months import month_layout, month_lines

__all__ = ["mix_share_bars", "mix_trend_lines"]

# The three shares, each its own colour (Okabe-Ito: blue, orange, green).
SHARES = (
    ("pct_claims", "Claims", "claims", "#0072B2"),
    ("pct_charges", "Charges billed", "claims", "#E69F00"),
    ("pct_paid", "Paid by the payer", "remitted_claims", "#009E73"),
)
CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#882255"]
SHARE_WORDS = {
    "pct_claims": "Share of claims",
    "pct_charges": "Share of charges billed",
    "pct_paid": "Share of payer payments",
}
TREND_NOTE = (
    "A month with fewer than 11 claims for a payer type (or hidden so that such a count "
    "cannot be worked out) is not drawn: the line has a gap there. * marks a payer type "
    "with such months."
)


def mix_share_bars(
    mix: pd.DataFrame, label: str = "class_label", empty: str = "No claims in this period."
) -> go.Figure:
    """Per payer type (or payer: ``label="payer_label"``), its share of the practice's
    claims, charges and payer payments, as three bars side by side.

    Needs a ``mix.payer_mix`` frame; the total row is left out. A hidden share is not
    drawn and its row is marked "*"; hover gives the share and the claims as the table
    shows them.
    """
    rows = parts(mix)
    if rows.empty:
        return empty_figure(empty)
    shares = [column for column, _, _, _ in SHARES]
    hidden = rows[shares].isna().any(axis=1).to_numpy()
    if rows[shares].isna().all().all():
        return empty_figure(sized("Fewer than 11 claims: the shares are not shown."))
    names = wrapped(rows[label], hidden)
    figure = go.Figure()
    for column, name, count, color in SHARES:
        text = pct_text(rows[column])
        figure.add_trace(
            row_bars(
                name,
                names,
                axis_floats(rows[column]),
                color,
                text=text.where(rows[column].notna(), "").to_numpy(),
                textposition="outside",
                customdata=hover_columns(text, cell_text(rows, count)),
                hovertemplate=f"<b>%{{y}}</b><br>{name}: %{{customdata[0]}} of the practice's "
                "(%{customdata[1]} claims)<extra></extra>",
            )
        )
    figure.update_layout(
        barmode="group",
        xaxis={"title": {"text": "Share of the practice's total"}, "ticksuffix": "%"},
        **bar_frame("", max(300, 140 + 70 * len(rows)), 50, hidden, LEGEND_ABOVE, right=40),
    )
    return hidden_note(figure, hidden)


def _class_line(i: int, _rows: pd.DataFrame) -> dict:
    return {"color": CLASS_COLORS[i % len(CLASS_COLORS)], "width": 2}


def mix_trend_lines(
    monthly: pd.DataFrame, measure: str = "pct_claims", empty: str = "No claims in this period."
) -> go.Figure:
    """One line per payer type: its share of each month's claims (``measure="pct_claims"``),
    charges (``pct_charges``) or payer payments (``pct_paid``).

    Needs a ``mix.mix_monthly`` frame. Hidden months are gaps, never joined across.
    """
    if monthly.empty:
        return empty_figure(empty)
    count = "remitted_claims" if measure == "pct_paid" else "claims"
    figure = month_lines(monthly, "class_label", measure, count, pct_text, _class_line)
    if figure is None:
        return empty_figure("Too few claims per month: the shares are not shown.")
    words = SHARE_WORDS[measure]
    return month_layout(
        figure,
        f"{words}, by payer type and month of service",
        {"title": {"text": words}, "ticksuffix": "%", "rangemode": "tozero"},
        460,
        bool(monthly[measure].isna().any()),
        sized(TREND_NOTE),
    )
