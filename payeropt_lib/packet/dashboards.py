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
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from payeropt_lib import config, store
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
        new_figure = _json_safe(new_figure)
        with self.figure.batch_update():
            self.figure.data = ()
            self.figure.add_traces(list(new_figure.data))
            self.figure.layout = new_figure.layout
        self.table.value = table_html

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)


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
            w.HTML(f"<h3>{title}</h3>"),
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
