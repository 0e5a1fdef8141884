"""The under-payments page's figures: dollars at stake and recovered, and task ages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib.packet.cells import cell_text, hidden_text, sized

from .base import (
    HIDDEN_MARK,
    LEGEND_ABOVE,
    axis_dollars,
    bar_frame,
    empty_figure,
    hidden_note,
    hover_columns,
    parts,
    row_bars,
    wrapped,
)

__all__ = ["task_aging_bars", "underpaid_by_cause", "underpaid_by_payer"]

STAKE_COLOR = "#d95f02"  # still at stake (orange)
RECOVERED_COLOR = "#1b9e77"  # recovered (teal); the pair reads apart for colour-blind eyes
AGE_COLORS = ["#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]  # older tasks darker


def _claims_words(counts: pd.Series) -> pd.Series:
    """'12' → '12 claims', '<11' → '<11 claims'; a hidden count stays 'suppressed'."""
    return counts.where(counts.eq(hidden_text()), counts + " claims")


def _stake_bars(summary: pd.DataFrame, label: str, axis_title: str, empty: str) -> go.Figure:
    """Stacked horizontal bars: dollars still at stake and recovered, per ``label``."""
    rows = parts(summary)
    if rows.empty:
        return empty_figure(empty)
    stake, recovered = axis_dollars(rows["at_stake_cents"]), axis_dollars(rows["recovered_cents"])
    hidden = (rows["at_stake_cents"].isna() | rows["recovered_cents"].isna()).to_numpy()
    if not (np.nan_to_num(stake) > 0).any() and not (np.nan_to_num(recovered) > 0).any():
        if hidden.any():
            return empty_figure(sized("Fewer than 11 claims: the dollars are not shown."))
        return empty_figure("No follow-up tasks open or recovered.")
    names = wrapped(rows[label], hidden)
    series = (
        ("Still at stake (open tasks)", stake, "at_stake_cents", "open_claims", STAKE_COLOR),
        ("Recovered", recovered, "recovered_cents", "recovered_claims", RECOVERED_COLOR),
    )
    figure = go.Figure()
    for name, dollars, money, claims, color in series:
        custom = hover_columns(cell_text(rows, money), _claims_words(cell_text(rows, claims)))
        hover = f"<b>%{{y}}</b><br>{name}: %{{customdata[0]}} (%{{customdata[1]}})<extra></extra>"
        figure.add_trace(
            row_bars(name, names, dollars, color, customdata=custom, hovertemplate=hover)
        )
    legend = {**LEGEND_ABOVE, "traceorder": "normal"}
    figure.update_layout(
        barmode="stack",
        xaxis={"title": {"text": "Dollars"}, "tickprefix": "$", "separatethousands": True},
        **bar_frame(axis_title, max(260, 150 + 44 * len(rows)), 40, hidden, legend),
    )
    return hidden_note(figure, hidden)


def underpaid_by_payer(
    summary: pd.DataFrame, empty: str = "No under-payments in this period."
) -> go.Figure:
    """Per payer, dollars still at stake in open tasks and dollars recovered, stacked.

    Needs a ``recovery.underpayments_by_payer`` frame (payer_label, open_claims,
    at_stake_cents, recovered_claims, recovered_cents, is_total, ``*_small``); the total
    row is left out. A hidden figure is not drawn and its payer is marked "*"; hover
    gives the dollars and the claims as the table shows them.
    """
    return _stake_bars(summary, "payer_label", "Payer (most at stake first)", empty)


def underpaid_by_cause(
    summary: pd.DataFrame, empty: str = "No under-payments in this period."
) -> go.Figure:
    """Per likely cause, dollars still at stake and recovered, stacked.

    Needs a ``recovery.underpayments_by_cause`` frame (cause_label and the columns of
    ``underpaid_by_payer``).
    """
    return _stake_bars(summary, "cause_label", "Likely cause (most at stake first)", empty)


def task_aging_bars(aging: pd.DataFrame, empty: str = "No open follow-up tasks.") -> go.Figure:
    """Dollars at stake in open tasks per age bucket (days since the remittance).

    Needs a ``recovery.task_aging`` frame (age_bucket, open_claims, at_stake_cents,
    is_total, past_deadline, open_claims_small). Bars are the age buckets, darker when
    older, labelled with their claim count; the past-deadline figures go in the title.
    """
    if aging.empty:
        return empty_figure(empty)
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
            y=axis_dollars(buckets["at_stake_cents"]),
            marker_color=AGE_COLORS[: len(buckets)],
            text=claims.to_numpy(),
            textposition="outside",
            customdata=hover_columns(cell_text(buckets, "at_stake_cents"), claims),
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
    return hidden_note(figure, hidden)
