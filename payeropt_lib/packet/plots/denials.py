"""Figures of the denials page (``denial_analytics`` frames in, plotly figures out).

Like every figure here they only reshape and label: a figure hidden by the compute module
(NA) is never drawn; its bar or line point is left out, its label marked "*" and a note
under the chart says why.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib import formats
from payeropt_lib.analytics.denials import TARGET_PCT
from payeropt_lib.packet.cells import cell_text, hidden_text, sized

from .base import (
    ALL_COLOR,
    HIDDEN_MARK,
    PAYER_COLORS,
    axis_dollars,
    axis_floats,
    bar_frame,
    empty_figure,
    hidden_note,
    hover_columns,
    note_below,
    parts,
    pct_text,
    row_bars,
    wrapped,
)

__all__ = [
    "denial_rate_by_payer",
    "denial_rate_trend",
    "denials_by_reason_bars",
]

DENIED_COLOR = "#7570b3"  # purple: reads apart from the under-payment page's orange/teal
TARGET_COLOR = "#6b7280"
# The hover's counts and dollars, after the figure the bar draws.
DENIED_HOVER = ("lines", "pct_of_denied")
RATE_HOVER = ("denied_claims", "adjudicated_claims", "denied_cents")
TREND_NOTE = (
    "Months with fewer than 11 denied claims for a payer (or hidden so that such a count "
    "cannot be worked out) are not drawn: the line has a gap there. "
    "* marks a payer with such months."
)


def _target_line() -> dict:
    """The usual target as a dashed line across the rates, with its words (a new dict each
    time: ``add_vline`` and ``add_hline`` write their placement into the annotation)."""
    return {
        "line": {"dash": "dash", "color": TARGET_COLOR, "width": 1},
        "annotation": {
            "text": f"usual target: under {formats.percent(TARGET_PCT)}",
            "font": {"size": 11, "color": TARGET_COLOR},
        },
    }


def _labelled_bars(
    names: list[str],
    values: np.ndarray,
    color: object,
    text: object,
    custom: np.ndarray,
    hover: str,
) -> go.Figure:
    """One bar per row, ``text`` on the bar, ``hover`` reading ``custom``."""
    return go.Figure(
        row_bars(
            None,
            names,
            values,
            color,
            text=text,
            textposition="auto",
            customdata=custom,
            hovertemplate=hover,
        )
    )


def _framed(
    figure: go.Figure, xaxis: dict, rows_title: str, height: int, top: int, hidden: np.ndarray
) -> go.Figure:
    """The layout of a denials bar chart (``xaxis``, one row per bar, no legend) and the
    note when a figure is hidden."""
    figure.update_layout(
        xaxis=xaxis, **bar_frame(rows_title, height, top, hidden), showlegend=False
    )
    return hidden_note(figure, hidden)


def denials_by_reason_bars(
    by_reason: pd.DataFrame, empty: str = "No denied claims in this period."
) -> go.Figure:
    """Denied charges per reason category, largest first, each bar labelled with its
    claims.

    Needs a ``denial_analytics.by_reason`` frame (category_label, claims, lines,
    denied_cents, pct_of_denied, is_total, ``*_small``); the total row is left out. A
    hidden figure has no bar and its label is marked "*".
    """
    rows = parts(by_reason)
    if rows.empty:
        return empty_figure(empty)
    hidden = rows["denied_cents"].isna().to_numpy()
    if hidden.all():
        return empty_figure(sized("Fewer than 11 claims: the dollars are not shown."))
    claims = cell_text(rows, "claims")
    text = claims.where(claims.eq(hidden_text()), claims + " claims")
    custom = hover_columns(
        cell_text(rows, "denied_cents"), text, *(cell_text(rows, c) for c in DENIED_HOVER)
    )
    figure = _labelled_bars(
        wrapped(rows["category_label"], hidden),
        axis_dollars(rows["denied_cents"]),
        DENIED_COLOR,
        text.where(~hidden, "").to_numpy(),
        custom,
        "<b>%{y}</b><br>Denied charges: %{customdata[0]} (%{customdata[3]} of all)"
        "<br>%{customdata[1]}, %{customdata[2]} lines<extra></extra>",
    )
    xaxis = {
        "title": {"text": "Billed charges denied"},
        "tickprefix": "$",
        "separatethousands": True,
    }
    return _framed(figure, xaxis, "Reason", max(260, 140 + 48 * len(rows)), 30, hidden)


def denial_rate_by_payer(
    by_payer: pd.DataFrame, empty: str = "No claims adjudicated in this period."
) -> go.Figure:
    """Each payer's denial rate (claims with a denied line ÷ claims adjudicated), with the
    all-payer rate as the last, dark bar and the usual target (under 5 %) dashed.

    Needs a ``denial_analytics.by_payer`` frame (payer_label, federal,
    adjudicated_claims, denied_claims, pct_denied, denied_cents, is_total, ``*_small``).
    Medicare and Medicaid payers are labelled so: shown for reference, to work their
    denials. A hidden rate has no bar and its payer is marked "*".
    """
    if by_payer.empty:
        return empty_figure(empty)
    rows = pd.concat([parts(by_payer), by_payer[by_payer["is_total"].astype(bool)]])
    hidden = rows["pct_denied"].isna().to_numpy()
    if hidden.all():
        return empty_figure(sized("Fewer than 11 claims: the rates are not shown."))
    labels = rows["payer_label"].where(
        ~rows["federal"].fillna(False).astype(bool), rows["payer_label"] + " (Medicare/Medicaid)"
    )
    total = rows["is_total"].astype(bool).to_numpy()
    rate = axis_floats(rows["pct_denied"])
    rate_text = pct_text(rows["pct_denied"])
    custom = hover_columns(rate_text, *(cell_text(rows, c) for c in RATE_HOVER))
    figure = _labelled_bars(
        wrapped(labels, hidden),
        rate,
        np.where(total, ALL_COLOR, DENIED_COLOR).tolist(),
        np.where(hidden, "", rate_text.to_numpy()).tolist(),
        custom,
        "<b>%{y}</b><br>Denial rate: %{customdata[0]}<br>%{customdata[1]} of "
        "%{customdata[2]} claims denied<br>Denied charges: %{customdata[3]}<extra></extra>",
    )
    figure.add_vline(x=TARGET_PCT, annotation_position="top", **_target_line())
    top = np.nanmax(np.append(rate, TARGET_PCT))
    xaxis = {
        "title": {"text": "Claims with a denied line (% of claims adjudicated)"},
        "ticksuffix": "%",
        "range": [0, float(top) * 1.15],
    }
    return _framed(figure, xaxis, "Payer", max(280, 150 + 40 * len(rows)), 40, hidden)


def denial_rate_trend(
    trend: pd.DataFrame, empty: str = "No claims adjudicated in this period.", min_points: int = 2
) -> go.Figure:
    """The denial rate month by month: all payers (black) and each payer with at least
    ``min_points`` months shown (colours; click a name in the legend to hide or show it).

    Needs a ``denial_analytics.monthly_trend`` frame (service_month, payer_label,
    adjudicated_claims, denied_claims, pct_denied, is_total). A hidden month is a gap in
    its line; payers with hidden months are marked "*" in the legend.
    """
    if trend.empty:
        return empty_figure(empty)
    if trend["pct_denied"].isna().all():
        return empty_figure(sized("Fewer than 11 claims in every month: the rates are not shown."))
    months = pd.DatetimeIndex(sorted(trend["service_month"].unique()))
    totals = trend["is_total"].astype(bool)
    payers = sorted(trend.loc[~totals, "payer_label"].unique())
    series = [(pd.NA, trend[totals])] + [
        (p, trend[~totals & trend["payer_label"].eq(p)]) for p in payers
    ]
    figure = go.Figure()
    marked = False
    left_out: list[str] = []
    tucked: list[str] = []
    color_at = 0
    for payer, rows in series:
        rows = rows.set_index("service_month").reindex(months)
        rate = axis_floats(rows["pct_denied"])
        shown = int(np.isfinite(rate).sum())
        is_all = pd.isna(payer)
        if not is_all and shown < min_points:
            left_out.append(str(payer))
            continue
        # A month the payer had claims in but whose rate is hidden (not one it had none).
        hidden = bool((rows["is_total"].notna().to_numpy() & np.isnan(rate)).any())
        marked |= hidden
        name = ("All payers" if is_all else str(payer)) + (HIDDEN_MARK if hidden else "")
        color = ALL_COLOR if is_all else PAYER_COLORS[color_at % len(PAYER_COLORS)]
        color_at += 0 if is_all else 1
        frame = rows.reset_index(names="service_month")
        counts = (cell_text(frame, c) for c in RATE_HOVER[:2])
        custom = hover_columns(pct_text(frame["pct_denied"]), *counts)
        # A payer shown in fewer than half the months starts hidden (click to show it).
        sparse = not is_all and shown < len(months) / 2
        tucked += [name] if sparse else []
        figure.add_trace(
            go.Scatter(
                x=months,
                y=rate,
                name=name,
                visible="legendonly" if sparse else True,
                mode="lines+markers",
                connectgaps=False,
                line={"color": color, "width": 3 if is_all else 1.5},
                marker={"size": 6 if is_all else 4},
                customdata=custom,
                hovertemplate=(
                    f"<b>{name}</b><br>%{{x|%b %Y}}: %{{customdata[0]}} of claims denied"
                    "<br>(%{customdata[1]} of %{customdata[2]} claims)<extra></extra>"
                ),
            )
        )
    figure.add_hline(y=TARGET_PCT, annotation_position="top left", **_target_line())
    figure.update_layout(
        xaxis={"title": {"text": "Month of service"}, "tickformat": "%b %Y"},
        yaxis={
            "title": {"text": "Claims with a denied line (%)"},
            "ticksuffix": "%",
            "rangemode": "tozero",
        },
        legend={"title": {"text": "Payer"}},
        height=440,
        margin={"l": 10, "r": 10, "t": 30, "b": 80},
        template="plotly_white",
        hovermode="closest",
    )
    notes = [sized(TREND_NOTE)] if marked else []
    if tucked:
        notes.append(
            "Shown in fewer than half the months, so hidden at first (click the name in the "
            "legend to show): " + ", ".join(tucked) + "."
        )
    if left_out:
        notes.append(
            f"Not drawn (fewer than {min_points} months shown): " + ", ".join(left_out) + "."
        )
    if notes:
        text = textwrap.wrap(" ".join(notes), 120)
        note_below(figure, "<br>".join(text))
        figure.update_layout(margin={"b": 80 + 16 * len(text)}, height=440 + 16 * len(text))
    return figure
