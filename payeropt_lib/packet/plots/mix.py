"""Figures of the payer-mix page (``mix`` frames in, plotly figures out).

They only reshape and label: a share the compute module hid (NA) is never drawn; its bar
is left out or its line has a gap, the label is marked "*" and a note under the chart
says why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib.packet.cells import cell_text

from .base import (
    HIDDEN_NOTE,
    axis_floats,
    empty_figure,
    month_layout,
    month_line,
    note_below,
    parts,
    pct_text,
    wrapped,
)

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
        return empty_figure("Fewer than 11 claims: the shares are not shown.")
    names = wrapped(rows[label], hidden)
    figure = go.Figure()
    for column, name, count, color in SHARES:
        figure.add_trace(
            go.Bar(
                name=name,
                y=names,
                x=axis_floats(rows[column]),
                orientation="h",
                marker_color=color,
                text=pct_text(rows[column]).where(rows[column].notna(), "").to_numpy(),
                textposition="outside",
                customdata=np.column_stack(
                    [pct_text(rows[column]).to_numpy(), cell_text(rows, count).to_numpy()]
                ),
                hovertemplate=(
                    f"<b>%{{y}}</b><br>{name}: %{{customdata[0]}} of the practice's "
                    "(%{customdata[1]} claims)<extra></extra>"
                ),
            )
        )
    figure.update_layout(
        barmode="group",
        xaxis={"title": {"text": "Share of the practice's total"}, "ticksuffix": "%"},
        yaxis={"title": {"text": ""}, "autorange": "reversed", "type": "category"},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        height=max(300, 140 + 70 * len(rows)),
        margin={"l": 10, "r": 40, "t": 50, "b": 90 if hidden.any() else 50},
        template="plotly_white",
    )
    if hidden.any():
        note_below(figure, HIDDEN_NOTE)
    return figure


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
    figure = go.Figure()
    for i, label in enumerate(dict.fromkeys(monthly["class_label"])):
        rows = monthly[monthly["class_label"].eq(label)].sort_values("service_month")
        line = {"color": CLASS_COLORS[i % len(CLASS_COLORS)], "width": 2}
        text, claims = pct_text(rows[measure]), cell_text(rows, count)
        figure.add_trace(month_line(label, rows, measure, text, claims, line))
    if all(np.isnan(np.asarray(t.y, dtype="float64")).all() for t in figure.data):
        return empty_figure("Too few claims per month: the shares are not shown.")
    words = SHARE_WORDS[measure]
    return month_layout(
        figure,
        f"{words}, by payer type and month of service",
        {"title": {"text": words}, "ticksuffix": "%", "rangemode": "tozero"},
        460,
        bool(monthly[measure].isna().any()),
        TREND_NOTE,
    )
