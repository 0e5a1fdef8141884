"""Live ipywidgets dashboards in JupyterLab (``notebooks/explore_*.ipynb``).

Each dashboard loads the practice's frames once, then on every control change selects the
rows the controls ask for and calls the same compute (``fee_comparisons``, ``recovery``,
``performance``, ``reimbursement``) and figure (``plots``) functions as the packet, so a
number here is the number in the packet for the same selection. The figure is a plotly
``FigureWidget`` updated in place; the table under it is HTML from ``report.table``.

Selection only: no business rule lives here. Everything is aggregate and small cells are
suppressed exactly as in the packet. The audit explorer is the exception that proves it:
it reads the trail, never a page's tables, and only through ``store.trail``, which
authorizes each search, records a search by patient and withholds patient keys otherwise.
"""

from __future__ import annotations

import datetime as dt
import getpass
import html
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from payeropt_lib import config, formats, store
from payeropt_lib.analytics import directory, fee_comparisons, recovery
from payeropt_lib.periods import within
from payeropt_lib.remittances.underpayments import CAUSES
from payeropt_lib.store import trail
from payeropt_lib.store.access import Identity

from . import plots, report
from .context import existing_database, parse_day

ALL = "(all)"
# The table under a figure: column → header.
UNDERPAID_HEADERS = {
    "payer_label": "Payer",
    "lines": "Lines under-paid",
    "underpaid_cents": "Under-paid",
    "at_stake_cents": "At stake",
    "recovered_cents": "Recovered",
}
PERFORMANCE_HEADERS = {
    "payer_label": "Payer",
    "product_label": "Product line",
    "claims": "Claims",
    "charge_cents": "Charges",
    "allowed_cents": "Allowed",
    "paid_cents": "Paid",
    "pct_allowed_of_expected": "Allowed ÷ contract",
    "pct_denial": "Denial rate",
    "median_days_to_payment": "Median days to payment",
    "pct_underpaid": "Lines under-paid",
}


# The packet's table style (templates/packet/static/packet.css), for the HTML under a
# figure: JupyterLab styles tables only in rendered cell output, not inside a widget.
TABLE_STYLE = """<style>
table.packet-table {border-collapse: collapse; margin: 8px 0 16px; font-size: 0.9em;
  font-variant-numeric: tabular-nums}
table.packet-table th, table.packet-table td {border: 1px solid #d9e2ec; padding: 4px 8px;
  text-align: left; white-space: nowrap}
table.packet-table th {background: #f0f4f8; text-align: center; white-space: normal}
table.packet-table td.num {text-align: right}
table.packet-wide {font-size: 0.8em}
table.packet-table td:first-child {text-align: left; font-weight: 600}
.packet-table-wrap {max-width: 100%; overflow-x: auto}
</style>"""


@dataclass
class Dashboard:
    """Controls, one live figure and a table; ``refresh`` redraws from the controls."""

    title: str
    controls: dict
    figure: object  # plotly FigureWidget
    table: object  # ipywidgets.HTML
    update: Callable[[Dashboard], tuple[object, str]] = field(repr=False)
    view: object = None

    def refresh(self, *_: object) -> None:
        """Recompute from the controls' values and redraw the figure and table in place."""
        new_figure, table_html = self.update(self)
        _redraw(self.figure, new_figure)
        self.table.value = table_html

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)


def _redraw(widget, figure) -> None:  # noqa: ANN001 - a FigureWidget and a plotly Figure
    """``widget`` redrawn in place as ``figure`` (one message to the browser)."""
    figure = _json_safe(figure)
    with widget.batch_update():
        widget.data = ()
        widget.add_traces(list(figure.data))
        widget.layout = figure.layout


def _json_safe(figure):  # noqa: ANN001, ANN202 - plotly figures
    """``figure`` with NaN (a code without a rate) as null: a widget's figure travels to
    the browser as strict JSON, and jupyter_client warned on every NaN ("Out of range float
    values are not JSON compliant"); the packet's HTML writes them as null too."""
    import math

    import numpy as np

    def clean(value):  # noqa: ANN001, ANN202 - a trace's data array, or one value
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "f" and np.isnan(value).any():
                return np.where(np.isnan(value), None, value.astype(object)).tolist()
            if value.dtype.kind == "O":
                return [clean(v) for v in value.tolist()]
            return value
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    for trace in figure.data:
        for name in ("x", "y", "z", "text", "customdata"):
            if name in trace and trace[name] is not None:
                trace[name] = clean(trace[name])
    return figure


def _build(title: str, controls: dict, update: Callable) -> Dashboard:
    import ipywidgets as w
    import plotly.graph_objects as go

    board = Dashboard(title, controls, go.FigureWidget(), w.HTML(), update)
    for control in controls.values():
        control.observe(board.refresh, names="value")
    board.view = w.VBox(
        [
            w.HTML(f"{TABLE_STYLE}<h3>{title}</h3>"),
            w.HBox(list(controls.values())[:3]),
            w.HBox(list(controls.values())[3:]),
            board.figure,
            board.table,
        ]
    )
    board.refresh()
    return board


def _day(value: dt.date | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def _options(values: pd.Series) -> list[str]:
    return [ALL, *sorted(v for v in values.dropna().astype(str).unique() if v != "")]


def _picked(frame: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    """``frame``'s rows whose ``column`` is ``value`` (every row when it is ``ALL``)."""
    return frame if value == ALL else frame[frame[column].eq(value)]


def _served(ctx: report.Context) -> dict:
    """The "from" and "to" controls: a date-of-service range, the report period at first."""
    import ipywidgets as w

    first, last = (None if d is None else d.date() for d in (ctx.period_start, ctx.period_end))
    return {
        "from": w.DatePicker(description="Served from", value=first),
        "to": w.DatePicker(description="to", value=last),
    }


def _table(frame: pd.DataFrame, headers: dict[str, str], empty: str) -> str:
    """``frame``'s ``headers`` columns as the HTML table under a figure (hidden figures
    read "suppressed", as in the packet)."""
    return report.table(frame, columns=headers, missing=report.SUPPRESSED, empty=empty).html


# --- fee schedules -----------------------------------------------------------------------


def fee_explorer(ctx: report.Context, top_n: int = 15) -> Dashboard:
    """Percent of Medicare per code × payer on an as-of date, for a payer class, product line
    and number of codes (``fee_comparisons.fee_comparison`` → ``plots.fee_heatmap``)."""
    import ipywidgets as w

    charges = report.load(ctx, "charges", fee_comparisons.CHARGE_COLUMNS)
    terms = report.load(ctx, "contracts")
    fees = report.load(ctx, "fee_schedules")
    medicare = report.load(ctx, "medicare_fees")
    controls = {
        "as_of": w.DatePicker(description="Rates on", value=ctx.as_of.date()),
        "payer_class": w.Dropdown(
            description="Payer class", options=_options(terms["payer_class"])
        ),
        "product_line": w.Dropdown(description="Product", options=_options(terms["product_line"])),
        "codes": w.IntSlider(description="Top codes", value=top_n, min=3, max=40),
        "site": w.ToggleButtons(options=["non_facility", "facility"], description="Site"),
    }

    def update(board: Dashboard) -> tuple[object, str]:
        c = {k: v.value for k, v in board.controls.items()}
        chosen = _picked(terms, "payer_class", c["payer_class"])
        if c["product_line"] != ALL:  # and the all-products contracts
            chosen = chosen[chosen["product_line"].isin([c["product_line"], ""])]
        comparison = fee_comparisons.fee_comparison(
            charges,
            chosen,
            fees,
            medicare,
            _day(c["as_of"]) or ctx.as_of,
            ctx.locality,
            top_n=int(c["codes"]),
            site=c["site"],
            period_start=ctx.period_start,
            period_end=ctx.period_end,
        )
        return plots.fee_heatmap(comparison), report.fee_table(comparison).html

    return _build("Fee schedules across payers", controls, update)


# --- under-payments ----------------------------------------------------------------------


def underpayment_explorer(ctx: report.Context) -> Dashboard:
    """Dollars at stake and recovered per payer, for a likely cause and a date-of-service
    range (``recovery.underpayments_by_payer`` → ``plots.underpaid_by_payer``)."""
    import ipywidgets as w

    findings = report.load(ctx, "findings", recovery.FINDING_COLUMNS)
    tasks = report.load(ctx, "tasks", recovery.TASK_COLUMNS)
    payers = directory.payer_directory(
        report.load(ctx, "contracts", ["payer_id", "payer_name", "payer_class", "effective_from"])
    )
    seen = set(findings.loc[findings["kind"].eq("underpaid"), "cause"].dropna())
    controls = {
        "cause": w.Dropdown(
            description="Cause",
            options=[(ALL, ALL), *((words, key) for key, words in CAUSES.items() if key in seen)],
        ),
        "payer_class": w.Dropdown(
            description="Payer class", options=_options(payers["payer_class"])
        ),
        **_served(ctx),
    }

    def update(board: Dashboard) -> tuple[object, str]:
        c = {k: v.value for k, v in board.controls.items()}
        f, t = recovery.in_period(findings, tasks, _day(c["from"]), _day(c["to"]))
        f, t = _picked(f, "cause", c["cause"]), _picked(t, "cause", c["cause"])
        if c["payer_class"] != ALL:
            ids = payers.loc[payers["payer_class"].eq(c["payer_class"]), "payer_id"]
            f, t = f[f["payer_id"].isin(ids)], t[t["payer_id"].isin(ids)]
        by_payer = recovery.underpayments_by_payer(f, t, payers)
        table = _table(by_payer, UNDERPAID_HEADERS, "No under-payments in this selection.")
        return plots.underpaid_by_payer(by_payer), table

    return _build("Under-payments by payer", controls, update)


# --- one payer ---------------------------------------------------------------------------


def payer_explorer(ctx: report.Context, top_n: int = 8) -> Dashboard:
    """One payer (product line, code, date-of-service range): what it allowed per unit month
    by month against its contracted rate (``reimbursement.monthly_medians`` →
    ``plots.allowed_vs_contract``) and its performance figures
    (``performance.payer_performance``)."""
    import ipywidgets as w

    from payeropt_lib.analytics import performance, reimbursement

    lines = report.adjudicated(ctx)
    payers = directory.payer_directory(report.load(ctx, "contracts"))
    transactions = report.load(ctx, "transactions", performance.TRANSACTION_COLUMNS)
    names = payers.set_index("payer_id")["payer_name"]
    seen = sorted(lines["payer_id"].dropna().unique())
    codes = reimbursement.top_codes(lines, top_n)
    controls = {
        "payer": w.Dropdown(
            description="Payer",
            options=[(str(names.get(p, p)), p) for p in seen] or [(ALL, ALL)],
        ),
        "product_line": w.Dropdown(description="Product", options=_options(lines["product_line"])),
        "code": w.Dropdown(
            description="Code", options=[ALL, *codes["code_label"].astype(str).tolist()]
        ),
        **_served(ctx),
    }

    def update(board: Dashboard) -> tuple[object, str]:
        c = {k: v.value for k, v in board.controls.items()}
        chosen = _picked(lines, "payer_id", c["payer"])
        chosen = _picked(chosen, "product_line", c["product_line"])
        chosen = chosen[within(chosen["date_of_service"], c["from"], c["to"])]
        trend = reimbursement.monthly_medians(chosen, payers, top_n=top_n)
        trend = _picked(trend, "code_label", c["code"])
        table = _table(
            performance.payer_performance(chosen, transactions, payers),
            PERFORMANCE_HEADERS,
            "No remitted claims in this selection.",
        )
        layout = "dropdown" if c["code"] == ALL else "grid"
        return plots.allowed_vs_contract(trend, layout=layout), table

    return _build("One payer: allowed against the contract", controls, update)


# --- the audit trail -----------------------------------------------------------------------

AUDIT_HEADERS = {
    "seq": "#",
    "at": "When (UTC)",
    "actor": "Who",
    "role": "Role",
    "action": "Action",
    "target": "Target",
    "outcome": "Outcome",
    "details": "Details",
    "patient_id": "Patient",
}
AUDIT_ROWS = 200  # the table lists the latest entries; the figure counts them all


def audit_explorer(
    org_id: str,
    db_url: str = "",
    actor: str = "",
    role: str = "",
    date_from: str = "",
    date_to: str = "",
    action: str = "",
) -> Dashboard:
    """The practice's audit trail searched by action, actor, day range and, for a role that
    may (``trail.may_search_patients``), patient: entries per day by action
    (``trail.per_day`` → ``plots.audit_per_day``) and the latest entries. Every search is
    ``trail.search`` as ``actor`` in ``role`` (refused, and the refusal recorded, for a role
    that may not search); a patient key typed in runs one search by patient, recorded."""
    import ipywidgets as w

    engine = store.engine_for(existing_database(config.resolve_db_url(db_url, for_notebook=True)))
    # As on the command line: PAYEROPT_ACTOR, else the login name.
    who = Identity.of(actor or os.environ.get("PAYEROPT_ACTOR") or getpass.getuser(), role)
    first = trail.search(engine, org_id, who)
    actions = set(first["action"]) | ({action} if action else set())
    groups = {a.split(".")[0] for a in actions if "." in a}  # "import" finds every import.*
    start, end = parse_day("date_from", date_from), parse_day("date_to", date_to)
    controls = {
        "action": w.Dropdown(
            description="Action", options=[ALL, *sorted(actions | groups)], value=action or ALL
        ),
        "actor": w.Dropdown(description="Who", options=_options(first["actor"])),
        "from": w.DatePicker(description="From", value=start and start.date()),
        "to": w.DatePicker(description="to", value=end and end.date()),
    }
    if trail.may_search_patients(who):
        controls["patient"] = w.Text(
            description="Patient",
            placeholder="patient_id (recorded)",
            continuous_update=False,  # one search, and one entry, per key typed in
        )

    def update(board: Dashboard) -> tuple[object, str]:
        c = {k: v.value for k, v in board.controls.items()}
        found = trail.search(
            engine,
            org_id,
            who,
            date_from=c["from"],
            date_to=c["to"],
            action=None if c["action"] == ALL else c["action"],
            actor=None if c["actor"] == ALL else c["actor"],
            patient_id=(c.get("patient") or "").strip() or None,
        )
        latest = found.iloc[::-1].head(AUDIT_ROWS)
        shown = report.table(latest, columns=AUDIT_HEADERS, missing="", empty="No entries.")
        note = f"<p>The latest {AUDIT_ROWS} of {len(found)} entries.</p>"
        return plots.audit_per_day(trail.per_day(found)), shown.html + (
            note if len(found) > AUDIT_ROWS else ""
        )

    return _build(f"Audit trail of {org_id}", controls, update)


# --- reconciliation --------------------------------------------------------------------------

ALL_PAYERS = "All payers"  # the payer control's first option (its value is ALL)
# The headers of the Reconciliation and Medicare check pages (notebooks/10_*, 11_*).
TABLE3_HEADERS = {
    "payer": "Primary payer",
    "visits_count": "Visits",
    "charges_cents": "Charges",
    "payer_cash_cents": "Payer cash",
    "secondary_cash_cents": "Secondary cash",
    "patient_cash_cents": "Patient cash",
    "contractual_cents": "Contractual",
    "noncash_compliance_cents": "Non-cash compliance",
    "courtesy_cents": "Courtesy",
    "bad_debt_cents": "Bad debt",
    "small_balance_cents": "Small balance",
    "balance_cents": "Still owed",
    "unexplained_cents": "Unexplained",
}
TABLE3_RATIOS = {
    "payer": "Primary payer",
    "cash_cents": "Cash",
    "pct_j": "J: (cash + bad debt) / charges",
    "pct_k": "K: cash / (charges - still owed)",
    "pct_volume": "Share of visits",
    "pct_cash": "Share of cash",
    "pct_resolved": "Visits resolved",
}
MONTH_FACTS = {
    "visits_count": "Visits",
    "charges_cents": "Charges",
    "cash_cents": "Cash (payers and patients)",
    "adjustments_cents": "Adjustments (all kinds)",
    "balance_cents": "Still owed",
    "unexplained_cents": "Unexplained",
    "pct_resolved": "Visits resolved",
    "pct_j": "J: (cash + bad debt) / charges",
    "orphan_count": "Postings for claims not on file (left out)",
    "orphan_cents": "Their amount",
}
# One payer's Table 3 row, as key figures: charges, then where they went (the identity in
# its reading order, the cash first with its three sources), then the ratios.
PAYER_FACTS = {
    "visits_count": "Visits",
    "charges_cents": "Charges",
    "cash_cents": "Cash (payer, secondary and patient)",
    **{k: f"of which {v.lower()}" for k, v in TABLE3_HEADERS.items() if k.endswith("_cash_cents")},
    **{k: v for k, v in TABLE3_HEADERS.items()
       if k.endswith("_cents") and k != "charges_cents" and not k.endswith("_cash_cents")},
    **{k: v for k, v in TABLE3_RATIOS.items() if k.startswith("pct_")},
    "pct_volume": "Share of the month's visits",
    "pct_cash": "Share of the month's cash",
}  # fmt: skip
UNEXPLAINED_HEADERS = {
    "payer": "Primary payer",
    "kind": "What it looks like",
    "visits_count": "Visits",
    "unexplained_cents": "Unexplained",
}
UNEXPLAINED_HEADERS_ONE = {k: v for k, v in UNEXPLAINED_HEADERS.items() if k != "payer"}
MEDICARE_HEADERS = {
    "code": "Code",
    "site_label": "Setting",
    "services_count": "Services",
    "fee_cents": "Published fee",
    "perfect_cents": "Perfect resolution",
    "payer_paid_cents": "Medicare paid",
    "patient_paid_cents": "Secondary and patient paid",
    "actual_cents": "Actual",
    "slippage_cents": "Slippage",
    "sequestration_cents": "of which sequestration",
    "visits_count": "Visits",
    "perfect_count": "Resolved perfectly",
    "unpriced_count": "Lines without a fee",
}
WHO_PAID_FACTS = {
    "visits_count": "Medicare-primary visits",
    "cash_cents": "Cash",
    "perfect_cents": "Perfect resolution",
    "bad_debt_cents": "Bad debt",
    "pct_medicare": "Medicare's share of the cash",
    "pct_liquidation": "Liquidation: cash / perfect resolution",
    "pct_simulation": "Fee-schedule simulation: (cash + bad debt) / perfect resolution",
}
WHO_PAID_HEADERS = {"payer": "Paid by", "kind_label": "As", "cash_cents": "Cash",
                    "pct_share": "Share"}  # fmt: skip
NO_MEDICARE = "No Medicare visits in this month."
NOTHING_UNEXPLAINED = "Nothing unexplained: every charge of the month is accounted for."


@dataclass
class ReconciliationDashboard(Dashboard):
    """A dashboard with two more outputs: how resolved each month of service is (a second
    live figure, above) and the month's key figures (between the two figures)."""

    months: object = None  # plotly FigureWidget
    facts: object = None  # ipywidgets.HTML


def reconciliation_explorer(ctx: report.Context) -> ReconciliationDashboard:
    """A month of service reconciled by primary payer, as the Reconciliation and Medicare
    check pages show it: how resolved each month is (``plots.resolution_bars``, the chosen
    month in blue); for all payers Table 3 (``reconciliation.receivables_table``), where
    each payer's charges went (``plots.charge_outcome_bars``) and what the postings do not
    account for; for one payer its Table 3 row, where its charges went and, for a Medicare
    payer, Tables 1 and 2 (``medicare_top``, ``who_paid``).

    The books are read once (``report.books``); a month's tables are made the first time
    it is shown and kept, so a change of control only selects."""
    import functools

    import ipywidgets as w
    import plotly.graph_objects as go

    from payeropt_lib.analytics import reconciliation
    from payeropt_lib.reconciliation import record

    books = report.books(ctx)
    resolution = reconciliation.resolution(books, ctx.period_end)
    default, default_why = reconciliation.chosen_month(books, None, ctx.period_end)
    medicare = books.payers_of_class(record.MEDICARE_CLASS)
    months = _month_options(resolution) or [(reconciliation.NO_CLAIMS, "")]
    wide = {"style": {"description_width": "initial"}, "layout": w.Layout(width="auto")}
    controls = {
        "month": w.Dropdown(
            description="Month of service",
            options=months,
            value=f"{default:%Y-%m}" if default is not None else "",
            **wide,
        ),
        "payer": w.Dropdown(description="Primary payer", options=[(ALL_PAYERS, ALL)], **wide),
    }

    @functools.cache
    def of_month(key: str) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
        """The month's Table 3, its rows' keys and the unexplained by payer (``key``
        YYYY-MM; empty frames for no month)."""
        month = record.month_option(key) if key else None
        table = reconciliation.receivables_table(books, month)
        keys = table["row_key"].tolist() if len(table) else []
        return table, keys, reconciliation.unexplained_by_payer(books, month)

    @functools.cache
    def medicare_of(key: str) -> str:
        """Tables 1 and 2 of the month, as HTML (priced on first view: a second or two)."""
        month = record.month_option(key)
        top = reconciliation.medicare_top(books, month)
        paid_by, paid = reconciliation.who_paid(books, month)
        surgical = "No Medicare claim with a multiple-procedure reduction in this month."
        return "".join(
            [
                "<h4>Table 1: Medicare's top codes against the published fee</h4>",
                _table(top["services"], MEDICARE_HEADERS, NO_MEDICARE),
                "<h5>Surgical claims (multiple-procedure reductions)</h5>",
                _table(top["surgical"], MEDICARE_HEADERS, surgical),
                "<h4>Table 2: who paid for the Medicare population</h4>",
                report.key_figures(paid, WHO_PAID_FACTS, empty=NO_MEDICARE).html,
                _table(paid_by, WHO_PAID_HEADERS, NO_MEDICARE),
                "<p>Tables 1 and 2 cover every Medicare (Part B) payer's visits together.</p>"
                if len(medicare) > 1
                else "",
            ]
        )

    def why(key: str) -> str:
        """Why the month is worth reading: the page's reason for its own choice, else how
        settled the month is."""
        if default is not None and key == f"{default:%Y-%m}":
            return default_why
        row = resolution[resolution["month_label"].eq(key)].iloc[0]
        share = formats.percent(row["pct_resolved"], 1, na=report.hidden_text())
        said = f"{row['service_month']:%B %Y}: {share} of its visits resolved"
        if row["advised"]:
            return f"{said}, settled enough for its figures to be near final."
        return f"{said} (under 80 %), so its open balances will still move."

    drawn: dict[str, str] = {}  # the month the resolution chart highlights

    def update(board: ReconciliationDashboard) -> tuple[object, str]:
        key, payer = board.controls["month"].value, board.controls["payer"].value
        if drawn.get("month") != key:
            chosen = record.month_option(key) if key else None
            _redraw(board.months, plots.resolution_bars(resolution, chosen))
            drawn["month"] = key
        if not key:
            board.facts.value = f"<p>{reconciliation.NO_CLAIMS}</p>"
            return plots.charge_outcome_bars(EMPTY_FRAME), ""
        table, keys, unexplained = of_month(key)
        head = f"<p>{html.escape(why(key))}</p>"
        if payer == ALL or payer not in keys:
            board.facts.value = head + report.key_figures(
                reconciliation.identity_facts(table, books), MONTH_FACTS,
                empty=reconciliation.NO_CLAIMS,
            ).html  # fmt: skip
            tables = [
                "<h4>Table 3: the month by primary payer</h4>",
                _table(table, TABLE3_HEADERS, reconciliation.NO_CLAIMS),
                _table(table, TABLE3_RATIOS, reconciliation.NO_CLAIMS),
                "<h4>What the postings do not account for</h4>",
                _table(unexplained, UNEXPLAINED_HEADERS, NOTHING_UNEXPLAINED),
            ]
            return plots.charge_outcome_bars(table), "".join(tables)
        row = table.iloc[[keys.index(payer)]]
        name = str(row["payer"].iloc[0])
        board.facts.value = head + report.key_figures(row, PAYER_FACTS).html
        tables = [
            f"<h4>What the postings do not account for: {html.escape(name)}</h4>",
            _table(unexplained[unexplained["payer"].eq(name)], UNEXPLAINED_HEADERS_ONE,
                   NOTHING_UNEXPLAINED),
        ]  # fmt: skip
        if payer in medicare:
            tables.append(medicare_of(key))
        return plots.charge_outcome_bars(row), "".join(tables)

    board = ReconciliationDashboard(
        "Reconciliation by month of service", controls, go.FigureWidget(), w.HTML(), update,
        months=go.FigureWidget(), facts=w.HTML(),
    )  # fmt: skip
    month_control, payer_control = controls["month"], controls["payer"]
    settling = [False]  # the payer's options are being replaced: one redraw, after

    def payer_options(key: str) -> None:
        table, keys, _ = of_month(key) if key else (EMPTY_FRAME, [], EMPTY_FRAME)
        options = [(ALL_PAYERS, ALL)] + [
            (str(label), k) for label, k in zip(table.get("payer", []), keys, strict=True)
            if k != "total"
        ]  # fmt: skip
        kept = payer_control.value
        settling[0] = True
        try:
            payer_control.options = options
            # The payer stays chosen while the new month has visits of it.
            payer_control.value = kept if kept in dict(options).values() else ALL
        finally:
            settling[0] = False

    def on_month(_: object) -> None:
        payer_options(month_control.value)
        board.refresh()

    def on_payer(_: object) -> None:
        if not settling[0]:
            board.refresh()

    payer_options(month_control.value)
    month_control.observe(on_month, names="value")
    payer_control.observe(on_payer, names="value")
    board.view = w.VBox(
        [
            w.HTML(f"{TABLE_STYLE}<h3>{board.title}</h3>"),
            w.HBox([month_control, payer_control]),
            board.months,
            board.facts,
            board.figure,
            board.table,
        ]
    )
    board.refresh()
    return board


EMPTY_FRAME = pd.DataFrame()


def _month_options(resolution: pd.DataFrame) -> list[tuple[str, str]]:
    """Every month of service on file as (label with its resolved share, YYYY-MM)."""
    shares = resolution["pct_resolved"].map(
        lambda v: formats.percent(v, 1, na=report.hidden_text())
    )
    return [
        (f"{m} ({s} resolved)", m) for m, s in zip(resolution["month_label"], shares, strict=True)
    ]
