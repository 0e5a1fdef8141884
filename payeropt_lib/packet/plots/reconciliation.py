"""The "Reconciliation" and "Medicare check" pages' figures: how settled each month of
service is, and where each payer's charges went (``analytics.reconciliation`` frames in,
plotly figures out). A figure the compute module hid (NA) is not drawn; its row is marked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from payeropt_lib.packet.cells import cell_text

from .base import (
    LEGEND_ABOVE,
    axis_dollars,
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

__all__ = ["charge_outcome_bars", "perfect_share_bars", "resolution_bars", "slippage_bars"]

ADVISED_COLOR, OPEN_COLOR, CHOSEN_COLOR = "#009E73", "#999999", "#0072B2"
# Where charges went, in the reading order of the identity (Okabe-Ito colours).
OUTCOMES = (
    ("cash_cents", "Cash", "#009E73"),
    ("contractual_cents", "Contractual", "#56B4E9"),
    ("noncash_compliance_cents", "Non-cash compliance", "#D55E00"),
    ("other_writeoffs_cents", "Courtesy, bad debt, small balance", "#CC79A7"),
    ("balance_cents", "Still owed", "#999999"),
    ("unexplained_cents", "Unexplained", "#000000"),
)


def resolution_bars(
    resolution: pd.DataFrame, chosen: pd.Timestamp | None, empty: str = "No claims on file."
) -> go.Figure:
    """Per month of service (``analytics.reconciliation.resolution``): the share of its
    visits resolved, green where at least 80 %, the chosen month in blue; a dashed line at
    80 %."""
    rows = resolution
    if rows.empty:
        return empty_figure(empty)
    colors = np.where(rows["advised"], ADVISED_COLOR, OPEN_COLOR).astype(object)
    if chosen is not None:
        colors[(rows["service_month"] == chosen).to_numpy()] = CHOSEN_COLOR
    figure = go.Figure(
        go.Bar(
            x=rows["month_label"], y=axis_floats(rows["pct_resolved"]), marker_color=colors,
            customdata=hover_columns(pct_text(rows["pct_resolved"]),
                                     cell_text(rows, "visits_count")),
            hovertemplate="<b>%{x}</b><br>Resolved: %{customdata[0]} of %{customdata[1]} "
            "visits<extra></extra>",
            showlegend=False,
        )
    )  # fmt: skip
    figure.add_hline(y=80, line={"color": "#000000", "dash": "dash", "width": 1.5})
    figure.update_layout(
        xaxis={"title": {"text": "Month of service"}, "type": "category"},
        yaxis={"title": {"text": "Visits resolved (%)"}, "range": [0, 100]},
        height=340,
        margin={"l": 10, "r": 10, "t": 20, "b": 60},
        template="plotly_white",
    )
    return figure


def charge_outcome_bars(table: pd.DataFrame, empty: str = "No claims this month.") -> go.Figure:
    """Per payer row of ``analytics.reconciliation.receivables_table`` (the total left
    out): where its charges went, in dollars, stacked: cash, contractual, non-cash
    compliance, the other write-offs, still owed, and what nothing explains."""
    rows = parts(table)
    if rows.empty:
        return empty_figure(empty)
    rows = rows.assign(
        other_writeoffs_cents=rows["courtesy_cents"] + rows["bad_debt_cents"]
        + rows["small_balance_cents"]
    )  # fmt: skip
    hidden = rows["cash_cents"].isna().to_numpy()
    labels = wrapped(rows["payer"], hidden)
    return _dollar_bars(
        rows, labels, hidden, OUTCOMES, "relative", "Charges of the month ($)",
        "Primary payer", max(260, 120 + 44 * len(rows)),
    )  # fmt: skip


def slippage_bars(
    top: pd.DataFrame, empty: str = "No Medicare visits in this month."
) -> go.Figure:
    """Per code of Table 1's section (``analytics.reconciliation.medicare_top``; the
    other codes and the total left out): what came in against the perfect resolution,
    side by side, in dollars. A code without a published fee is not drawn."""
    rows = parts(top)
    if rows.empty:
        return empty_figure(empty)
    rows = rows[rows["code"].ne("All other codes")]
    hidden = rows["perfect_cents"].isna().to_numpy()
    labels = [c + (" *" if h else "") for c, h in zip(rows["code"], hidden, strict=True)]
    traces = (
        ("perfect_cents", "Perfect resolution", "#999999"),
        ("actual_cents", "Actual (Medicare, secondary, patient)", "#009E73"),
    )
    return _dollar_bars(
        rows, labels, hidden, traces, "group", "Dollars", "Code", max(300, 100 + 34 * len(rows))
    )


def _dollar_bars(
    rows: pd.DataFrame,
    labels: list[str],
    hidden: np.ndarray,
    traces: tuple[tuple[str, str, str], ...],
    barmode: str,
    x_title: str,
    y_title: str,
    height: int,
) -> go.Figure:
    """Horizontal dollar bars, one trace per (cents column, name, color) of ``traces``,
    hovering each bar's cell text; rows whose figures are ``hidden`` noted below."""
    figure = go.Figure()
    for column, name, color in traces:
        figure.add_trace(
            row_bars(
                name, labels, axis_dollars(rows[column]), color,
                customdata=hover_columns(cell_text(rows, column)),
                hovertemplate=f"<b>%{{y}}</b><br>{name}: %{{customdata[0]}}<extra></extra>",
            )
        )  # fmt: skip
    figure.update_layout(
        barmode=barmode,
        xaxis={"title": {"text": x_title}, "separatethousands": True},
        **bar_frame(y_title, height, 40, hidden, {**LEGEND_ABOVE, "traceorder": "normal"}),
    )
    return hidden_note(figure, hidden)


def perfect_share_bars(card: pd.DataFrame, empty: str = "No visit audited.") -> go.Figure:
    """Per payer of the report card (``analytics.payment_audit.report_card``, the total
    left out): the share of its priced audited visits resolved perfectly."""
    rows = parts(card)
    if rows.empty:
        return empty_figure(empty)
    hidden = rows["pct_perfect"].isna().to_numpy()
    labels = wrapped(rows["payer"], hidden)
    figure = go.Figure(
        row_bars(
            None, labels, axis_floats(rows["pct_perfect"]), "#0072B2",
            customdata=hover_columns(pct_text(rows["pct_perfect"]),
                                     cell_text(rows, "priced_count")),
            hovertemplate="<b>%{y}</b><br>Resolved perfectly: %{customdata[0]} of "
            "%{customdata[1]} priced visits<extra></extra>",
        )
    )  # fmt: skip
    figure.update_layout(
        xaxis={"title": {"text": "Visits resolved perfectly (%)"}, "range": [0, 100]},
        **bar_frame("Primary payer", max(240, 100 + 40 * len(rows)), 20, hidden),
    )
    return hidden_note(figure, hidden)
