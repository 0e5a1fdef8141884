"""The audit dashboard's figure (``store.trail.per_day`` frame in, plotly figure out)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .base import LEGEND_ABOVE, PAYER_COLORS, empty_figure

__all__ = ["audit_per_day"]


def audit_per_day(
    per_day: pd.DataFrame, empty: str = "No entries in this selection."
) -> go.Figure:
    """Entries per UTC day, stacked by action (one bar segment per action of the day).

    Needs a ``trail.per_day`` frame (day, action, entries). Counts of who did what are the
    practice's own record: no small-cell rule applies.
    """
    if per_day.empty:
        return empty_figure(empty)
    figure = go.Figure()
    for i, (action, rows) in enumerate(per_day.groupby("action", sort=True)):
        figure.add_trace(
            go.Bar(
                name=action,
                x=rows["day"].dt.strftime("%Y-%m-%d").tolist(),
                y=rows["entries"].astype(int).tolist(),
                marker_color=PAYER_COLORS[i % len(PAYER_COLORS)],
                hovertemplate=f"<b>{action}</b><br>%{{x}}: %{{y}} entries<extra></extra>",
            )
        )
    figure.update_layout(
        barmode="stack",
        template="plotly_white",
        legend=LEGEND_ABOVE,
        height=360,
        xaxis={"title": "Day (UTC)", "type": "category"},
        yaxis={"title": "Entries"},
        margin={"t": 60},
    )
    return figure
