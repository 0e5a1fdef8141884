"""Figures of the contract-renewals page: the notice calendar and rates against peers.

Frames from ``renewals`` in, plotly figures out; nothing here computes a business number.
Neither figure draws a claim-derived figure: dates and contracted rates are contract terms.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .base import (
    LABEL_WIDTH,
    LEGEND_ABOVE,
    LEGEND_BELOW,
    axis_floats,
    bar_frame,
    empty_figure,
    full_height,
    row_bars,
    x_mark,
)

__all__ = ["renewal_calendar", "rates_vs_peers"]

# Colour-blind-safe (ColorBrewer Dark2 / greys), told apart by lightness as well.
STATUS_COLORS = {
    "open": "#d95f02",  # orange: act now
    "opens_soon": "#7570b3",  # purple: prepare
    "missed": "#525252",  # dark grey: renews on current terms
    "later": "#9ecae1",  # light blue
    "lapsed": "#bdbdbd",  # light grey
}
STATUS_NAMES = {
    "open": "Notice window open",
    "opens_soon": "Window opens soon",
    "missed": "Deadline missed",
    "later": "Window opens later",
    "lapsed": "Renewal date passed",
}
THIS_COLOR = "#2166ac"  # the contract (blue)
PEER_COLOR = "#bababa"  # the other payers' median (grey)
DAY_MS = 86_400_000
AS_OF_LINE = {"color": "#1a1a1a", "width": 2, "dash": "dot"}


def wrapped(labels: pd.Series) -> list[str]:
    return ["<br>".join(textwrap.wrap(str(v), 2 * LABEL_WIDTH)) or str(v) for v in labels]


def _iso(days: pd.Series) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in days]


def renewal_calendar(
    schedule: pd.DataFrame, as_of: pd.Timestamp, window_days: int = 120
) -> go.Figure:
    """Each contract's notice window as a bar on a calendar, its renewal date as a diamond.

    Needs a ``renewals.upcoming`` frame (payer_label, negotiable, renewal_date,
    notice_opens, notice_deadline, status, status_label). Public programs and contracts
    without a renewal date are left out (the tables list them). The as-of date is a
    vertical line and the next ``window_days`` are shaded: a bar reaching into the shade
    is a window that is open or opens soon.
    """
    rows = schedule[schedule["negotiable"].astype(bool) & schedule["renewal_date"].notna()]
    if rows.empty:
        return empty_figure("No renewal dates on file for the contracts in force.")
    as_of = pd.Timestamp(as_of).normalize()
    horizon = as_of + pd.Timedelta(days=window_days)
    names = wrapped(rows["payer_label"])
    figure = go.Figure()
    for status, color in STATUS_COLORS.items():
        part = rows["status"].eq(status).to_numpy()
        if not part.any():
            continue
        sub = rows[part]
        length = (sub["notice_deadline"] - sub["notice_opens"]).dt.days + 1
        figure.add_trace(
            go.Bar(
                name=STATUS_NAMES[status],
                y=list(np.array(names)[part]),
                base=_iso(sub["notice_opens"]),
                x=(length * DAY_MS).tolist(),
                orientation="h",
                marker_color=color,
                customdata=np.column_stack(
                    [
                        _iso(sub["notice_opens"]),
                        _iso(sub["notice_deadline"]),
                        _iso(sub["renewal_date"]),
                        sub["status_label"].astype("str").to_numpy(),
                    ]
                ),
                hovertemplate=(
                    "<b>%{y}</b><br>Notice window %{customdata[0]} to %{customdata[1]}"
                    "<br>Renewal %{customdata[2]}<br>%{customdata[3]}<extra></extra>"
                ),
            )
        )
    figure.add_trace(
        go.Scatter(
            name="Renewal date",
            x=_iso(rows["renewal_date"]),
            y=names,
            mode="markers",
            marker={"symbol": "diamond", "size": 11, "color": "#1a1a1a"},
            hovertemplate="<b>%{y}</b><br>Renewal date %{x}<extra></extra>",
        )
    )
    day = as_of.strftime("%Y-%m-%d")
    shade = {"fillcolor": "#fee391", "opacity": 0.35, "line_width": 0, "layer": "below"}
    full_height(figure, "rect", day, horizon.strftime("%Y-%m-%d"), **shade)
    x_mark(figure, day, f"As of {day}", AS_OF_LINE, font={"size": 11})
    figure.update_layout(
        title={
            "text": "Notice windows and renewal dates<br><sup>Bars: the notice window, "
            "ending on the last day to give notice. Shaded: the next "
            f"{window_days} days.</sup>",
            "x": 0,
            "xanchor": "left",
        },
        barmode="overlay",
        xaxis={"title": {"text": "Date"}, "type": "date"},
        **bar_frame(
            "Contract", max(320, 220 + 42 * len(rows)), 90, None, LEGEND_BELOW, bottom=110
        ),
    )
    return figure


def rates_vs_peers(evidence: pd.DataFrame) -> go.Figure:
    """Each contract's rates as a percent of Medicare beside its peers' median.

    Needs a ``renewals.evidence`` frame (payer_label, pct_of_medicare, pct_peers,
    n_codes). Two bars per contract: this contract (blue) and the median of the other
    payers of the same kind (grey; none when there is no such payer); a dashed line marks
    Medicare (100 %). Both percents weigh the practice's top codes by its volume.
    """
    rows = evidence[evidence["pct_of_medicare"].notna()]
    if rows.empty:
        return empty_figure("No contracted rates with a Medicare amount to compare.")
    names = wrapped(rows["payer_label"])
    mine, peers = axis_floats(rows["pct_of_medicare"]), axis_floats(rows["pct_peers"])
    figure = go.Figure()
    for name, values, color in (
        ("This contract", mine, THIS_COLOR),
        ("Other payers of the same kind (median)", peers, PEER_COLOR),
    ):
        text = [f"{v:.0f}%" if np.isfinite(v) else "" for v in values]
        hover = f"<b>%{{y}}</b><br>{name}: %{{x:.1f}}% of Medicare<extra></extra>"
        labels = {"text": text, "textposition": "outside", "hovertemplate": hover}
        figure.add_trace(row_bars(name, names, values, color, **labels))
    x_mark(figure, 100, "Medicare", {"color": "#1a1a1a", "width": 1, "dash": "dash"})
    top = float(np.nanmax(np.concatenate([mine, peers, [100.0]])))
    figure.update_layout(
        barmode="group",
        xaxis={
            "title": {
                "text": "Percent of Medicare (top codes, weighted by the practice's volume)"
            },
            "ticksuffix": "%",
            "range": [0, top * 1.15],
        },
        **bar_frame("Contract", max(280, 150 + 56 * len(rows)), 60, None, LEGEND_ABOVE),
    )
    return figure
