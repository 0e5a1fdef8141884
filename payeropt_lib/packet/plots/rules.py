"""The "Payer rules" page's figure: what each kind of rule would have caught."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from payeropt_lib import formats

from .base import ALL_COLOR, axis_dollars, bar_frame, empty_figure, hidden_note, row_bars

__all__ = ["caught_by_kind"]


def caught_by_kind(caught: pd.DataFrame) -> go.Figure:
    """One bar per kind of rule: the charges on the lines it would have caught before
    submission (``analytics.payer_rules.caught``, its total row left out); a hidden
    figure is not drawn."""
    rows = caught[~caught["is_total"].astype(bool)]
    if rows.empty:
        return empty_figure("No line of the period breaks a rule in force")
    dollars = axis_dollars(rows["charge_cents"])
    hidden = rows["charge_cents"].isna().to_numpy()
    text = [
        "" if h else f"{formats.money(c)} · {int(n):,} lines"
        for h, c, n in zip(hidden, rows["charge_cents"], rows["lines"].fillna(0), strict=True)
    ]
    figure = go.Figure(
        row_bars(None, rows["category"].tolist(), dollars, ALL_COLOR, text=text,
                 textposition="auto", hovertemplate="%{y}: %{text}<extra></extra>")
    )  # fmt: skip
    figure.update_layout(
        xaxis={"title": {"text": "Charges on the lines caught"}, "tickprefix": "$"},
        **bar_frame("Kind of rule", 80 + 34 * len(rows), 20, hidden),
        showlegend=False,
    )
    return hidden_note(figure, hidden)
