"""Figures of the reimbursement-trends page (``reimbursement`` frames in, plotly out).

One panel per procedure code, one line per payer, month by month: what the payer allowed
per unit (median) against what its contract sets. ``measure="percent"`` draws the allowed
amount as a percent of the contracted rate, so every payer's contract is the same dotted
line at 100 % and a dip below it is a payer paying less than its contract; ``"dollars"``
draws dollars per unit with each payer's contracted rate dotted in its colour. A month with
fewer than 11 measured lines is hidden by the compute module and is a gap here, never a
point.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from payeropt_lib.packet.cells import cell_text, fmt_count, sized

from .base import (
    PAYER_COLORS,
    axis_dollars,
    axis_floats,
    empty_figure,
    hover_columns,
    note_below,
)

__all__ = ["LAYOUTS", "MEASURES", "allowed_vs_contract"]

LAYOUTS = ("grid", "dropdown")
MEASURES = ("percent", "dollars")
PANEL_HEIGHT = 290
CONTRACT_COLOR = "#3f4a56"
NOTES = {
    "percent": "Each line is a payer's median allowed per unit as a percent of its contracted "
    "rate; the dotted line at 100% is the contract. ",
    "dollars": "Solid: a payer's median allowed per unit; dotted, same colour: its contracted "
    "rate per unit. ",
}
# The hover's dollars and percent, before the lines behind them.
HOVER = ("median_allowed_cents", "median_contract_cents", "pct_of_contract")
GAP_NOTE = "A gap is a month with fewer than 11 paid lines for that payer and code (not drawn)."


@dataclass(frozen=True)
class _Chart:
    """What every panel of a chart is drawn from: the ``monthly_medians`` frame, its codes
    (panels) and payers (lines) in order, the months along x, a colour per payer and the
    measure."""

    trend: pd.DataFrame
    codes: list[str]
    payers: list[str]
    months: pd.DatetimeIndex
    colors: dict[str, str]
    measure: str

    def drawn(self, code: str) -> Iterator[tuple[str, pd.DataFrame]]:
        """Each payer with a month shown for ``code``, and its rows."""
        for payer in self.payers:
            cells = self.trend[
                self.trend["code_label"].eq(code) & self.trend["payer_label"].eq(payer)
            ]
            if cells["lines"].notna().sum():
                yield payer, cells


def _traces(chart: _Chart, rows: pd.DataFrame, payer: str, first: bool) -> list[go.Scatter]:
    """One payer × code: the allowed line, and in dollars its dotted contract line."""
    months, color, measure = chart.months, chart.colors[payer], chart.measure
    frame = rows.set_index("service_month").reindex(months).reset_index(names="service_month")
    custom = hover_columns(
        *(cell_text(frame, c) for c in HOVER), frame["lines"].map(lambda n: fmt_count(n, ""))
    )
    hover = (
        f"<b>{payer}</b><br>%{{x|%b %Y}}<br>Allowed (median): %{{customdata[0]}} per unit"
        "<br>Contract: %{customdata[1]} per unit<br>Allowed ÷ contract: %{customdata[2]}"
        "<br>%{customdata[3]} lines<extra></extra>"
    )
    percent = measure == "percent"
    allowed = (
        axis_floats(frame["pct_of_contract"])
        if percent
        else axis_dollars(frame["median_allowed_cents"])
    )
    traces = [
        go.Scatter(
            x=months,
            y=allowed,
            name=payer,
            legendgroup=payer,
            showlegend=first,
            mode="lines+markers",
            connectgaps=False,
            line={"color": color, "width": 2},
            marker={"size": 4},
            customdata=custom,
            hovertemplate=hover,
        )
    ]
    if not percent:
        traces.append(
            go.Scatter(
                x=months,
                y=axis_dollars(frame["median_contract_cents"]),
                name=f"{payer}: contract",
                legendgroup=payer,
                showlegend=False,
                mode="lines",
                connectgaps=False,
                line={"color": color, "width": 1.5, "dash": "dot"},
                hoverinfo="skip",
            )
        )
    return traces


def _contract_line(months: pd.DatetimeIndex, measure: str, first: bool) -> go.Scatter:
    """At 100 % of contract (percent), or an empty legend entry explaining the dots."""
    percent = measure == "percent"
    return go.Scatter(
        x=[months.min(), months.max()] if percent else [None],
        y=[100, 100] if percent else [None],
        name="Contract rate (100%)" if percent else "Contract rate (dotted, payer's colour)",
        legendgroup="contract",
        legendrank=1,  # first in the legend, drawn last (on top of lines at 100 %)
        showlegend=first,
        mode="lines",
        line={"color": CONTRACT_COLOR, "dash": "dot", "width": 2},
        hoverinfo="skip",
    )


def _title(trend: pd.DataFrame, code: str) -> str:
    rows = trend[trend["code_label"].eq(code)]
    return f"{code} · {fmt_count(rows['code_lines'].iloc[0])} lines" if len(rows) else code


def _axis(measure: str) -> dict:
    if measure == "percent":
        return {"ticksuffix": "%", "title_text": "% of contract"}
    return {"tickprefix": "$", "rangemode": "tozero", "title_text": "$ per unit"}


def allowed_vs_contract(
    trend: pd.DataFrame,
    layout: str = "grid",
    measure: str = "percent",
    empty: str = "No paid lines with a contracted rate for these codes.",
) -> go.Figure:
    """Median allowed per unit against the contracted rate, month by month, per code.

    Needs a ``reimbursement.monthly_medians`` frame. ``layout``: "grid" draws one small
    panel per code (two per row, most billed first, each with its own scale);
    "dropdown" one large chart with a menu to pick the code. ``measure``: "percent"
    (allowed as a percent of the contract, contract = dotted 100 % line) or "dollars"
    (dollars per unit, each payer's contract dotted in its colour). A payer keeps its
    colour in every panel; clicking it in the legend hides or shows its lines. Hover gives
    the dollars, the percent and the lines in both measures.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, not {measure!r}")
    shown = trend[trend["lines"].notna()] if len(trend) else trend
    if shown.empty:
        if len(trend):
            return empty_figure(
                sized("Fewer than 11 paid lines in every month: nothing is drawn.")
            )
        return empty_figure(empty)
    codes = list(dict.fromkeys(trend["code_label"]))
    payers = sorted(shown["payer_label"].unique())
    months = pd.DatetimeIndex(sorted(trend["service_month"].unique()))
    colors = {p: PAYER_COLORS[i % len(PAYER_COLORS)] for i, p in enumerate(payers)}
    build = _dropdown if layout == "dropdown" else _grid
    figure = build(_Chart(trend, codes, payers, months, colors, measure))
    note = NOTES[measure] + (sized(GAP_NOTE) if trend["lines"].isna().any() else "")
    note_below(figure, "<br>".join(textwrap.wrap(note, 120)))
    return figure


def _legend_rows(payers: list[str]) -> int:
    return math.ceil((len(payers) + 1) / 3)


def _grid(chart: _Chart) -> go.Figure:
    codes = chart.codes
    columns = 2 if len(codes) > 1 else 1
    rows = math.ceil(len(codes) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[_title(chart.trend, c) for c in codes],
        vertical_spacing=min(0.1, 0.4 / rows),
        horizontal_spacing=0.09,
    )
    in_legend: set[str] = set()
    for at, code in enumerate(codes):
        row, col = at // columns + 1, at % columns + 1
        for payer, cells in chart.drawn(code):
            for trace in _traces(chart, cells, payer, payer not in in_legend):
                figure.add_trace(trace, row=row, col=col)
            in_legend.add(payer)
        figure.add_trace(_contract_line(chart.months, chart.measure, at == 0), row=row, col=col)
        figure.update_yaxes(row=row, col=col, **_axis(chart.measure))
        figure.update_xaxes(tickformat="%b %Y", row=row, col=col)
    top = 50 + 22 * _legend_rows(chart.payers)
    figure.update_layout(
        height=PANEL_HEIGHT * rows + top + 90,
        margin={"l": 10, "r": 10, "t": top, "b": 90},
        legend={
            "orientation": "h",
            "x": 0,
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "traceorder": "normal",
        },
        template="plotly_white",
        hovermode="closest",
    )
    figure.update_annotations(font_size=13)  # the panel titles
    return figure


def _dropdown(chart: _Chart) -> go.Figure:
    codes = chart.codes
    figure = go.Figure()
    owner: list[int] = []  # the code each trace belongs to; -1 = every code
    for at, code in enumerate(codes):
        for payer, cells in chart.drawn(code):
            for trace in _traces(chart, cells, payer, True):
                trace.visible = at == 0
                figure.add_trace(trace)
                owner.append(at)
    figure.add_trace(_contract_line(chart.months, chart.measure, True))
    owner.append(-1)
    titles = [_title(chart.trend, c) for c in codes]
    buttons = [
        {
            "label": code,
            "method": "update",
            "args": [
                {"visible": [o in (at, -1) for o in owner]},
                {"title": {"text": titles[at], "x": 0, "xanchor": "left"}},
            ],
        }
        for at, code in enumerate(codes)
    ]
    axis = _axis(chart.measure)
    figure.update_layout(
        title={"text": titles[0], "x": 0, "xanchor": "left"},
        updatemenus=[
            {
                "buttons": buttons,
                "direction": "down",
                "x": 1,
                "xanchor": "right",
                "y": 1.1,
                "yanchor": "bottom",
                "showactive": True,
            }
        ],
        annotations=[
            {
                "text": "Pick a procedure code:",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.86,
                "y": 1.13,
                "xanchor": "right",
                "yanchor": "bottom",
            }
        ],
        xaxis={"title": {"text": "Month of service"}, "tickformat": "%b %Y"},
        yaxis={
            "title": {"text": axis.pop("title_text")},
            **axis,
        },
        height=540,
        margin={"l": 10, "r": 10, "t": 110, "b": 100},
        template="plotly_white",
        hovermode="closest",
    )
    return figure
