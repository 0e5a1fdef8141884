"""Staff worklists from posted remittances: under-payments, tasks, remits, denials.

These carry claim numbers, so they are CSV exports for people whose role allows them
(``worklist.view``), never packet content. Money is written as plain decimals.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
from sqlalchemy import Engine

from payeropt_lib import store
from payeropt_lib.formats import day_texts, decimal_texts
from payeropt_lib.store import tables

from . import tasks

logger = logging.getLogger(__name__)

# Interface §2, in this order, with the charge line's modifiers after the code (issue 11:
# a 26 or TC line must not read like the global code).
UNDERPAYMENT_COLUMNS = [
    "claim_id",
    "line_number",
    "payer_id",
    "procedure_code",
    "modifiers",
    "date_of_service",
    "units",
    "expected_allowed",
    "actual_allowed",
    "variance",
    "reason",
]


def _charge_line(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """The charge line a worklist row is about, as staff look it up."""
    return {
        "claim_id": rows["claim_id"],
        "line_number": rows["line_number"],
        "payer_id": rows["payer_id"],
        "procedure_code": rows["procedure_code"],
        "date_of_service": day_texts(rows["date_of_service"]),
    }


def findings(engine: Engine, org_id: str, kind: str) -> pd.DataFrame:
    """Flagged lines of one kind (underpaid | overpaid | no_rate), not voided by reversals.

    Columns: interface §2's under-payment list (with the charge line's ``modifiers`` after
    ``procedure_code``, ':'-separated as billed), plus explanation and task_id.
    """
    f = tables.findings
    with engine.connect() as conn:
        rows = store.read_frame(conn, f, org_id, where=[f.c.kind == kind, f.c.void.is_(False)])
        billed = store.read_in(
            conn,
            tables.charges,
            org_id,
            "claim_id",
            rows["claim_id"],
            ["claim_id", "line_number", "modifiers"],
        )
    rows = rows.merge(billed, on=["claim_id", "line_number"], how="left")
    rows = rows.sort_values(["date_of_service", "claim_id", "line_number"], kind="stable")
    return pd.DataFrame(
        {
            **_charge_line(rows),
            "modifiers": rows["modifiers"].fillna(""),
            "units": rows["units"],
            "expected_allowed": decimal_texts(rows["expected_cents"]),
            "actual_allowed": decimal_texts(rows["allowed_cents"]),
            "variance": decimal_texts(rows["variance_cents"]),
            "reason": rows["cause"] + ": " + rows["evidence"],
            "explanation": rows["explanation"],
            "task_id": rows["task_id"],
        }
    )[[*UNDERPAYMENT_COLUMNS, "explanation", "task_id"]].reset_index(drop=True)


def task_list(
    engine: Engine,
    org_id: str,
    states: tuple[str, ...] = tasks.OPEN_STATES,
    as_of: dt.date | None = None,
    payers: tuple[str, ...] = (),
    causes: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The follow-up worklist: tasks in ``states`` (of ``payers`` and ``causes`` when
    given: ``tasks.pick``), the nearest deadline first and, on one day, the most money
    first, money as decimals.

    ``days_left`` counts from ``as_of`` (today) to the appeal deadline, negative once it
    has passed, and ``overdue`` says "overdue" then; both are blank for closed tasks, whose
    deadline no longer binds.
    """
    as_of = as_of or dt.date.today()
    t = tasks.pick(tasks.list_tasks(engine, org_id, states), payers, causes, states)
    t = t.sort_values(
        ["deadline", "amount_cents", "task_id"], ascending=[True, False, True], kind="stable"
    )
    left = (t["deadline"] - pd.Timestamp(as_of)).dt.days.astype("Int64")
    left = left.where(t["state"].isin(tasks.OPEN_STATES))
    return pd.DataFrame(
        {
            "task_id": t["task_id"],
            "claim_id": t["claim_id"],
            "payer_id": t["payer_id"],
            "state": t["state"],
            "deadline": day_texts(t["deadline"]),
            "days_left": left,
            "overdue": left.lt(0).fillna(False).map({True: "overdue", False: ""}),
            "amount_at_stake": decimal_texts(t["amount_cents"]),
            "recovered": decimal_texts(t["recovered_cents"]),
            "cause": t["cause"],
            "lines": t["lines"],
            "remit_date": day_texts(t["remit_date"]),
        }
    ).reset_index(drop=True)


def remits(engine: Engine, org_id: str) -> pd.DataFrame:
    """Posted payments: payer, check/EFT number, date, amount, balanced."""
    r = store.read_frame(engine, tables.remittances, org_id)
    out = r[["remit_id"]].assign(
        payer_id=r["payer_id"].fillna("(unknown)"),
        payer_name=r["payer_name"],
        trace_number=r["trace_number"],
        remit_date=day_texts(r["remit_date"]),
        total_paid=decimal_texts(r["total_paid_cents"]),
        balanced=r["balanced"],
    )
    return out.sort_values("remit_id").reset_index(drop=True)


def problems(engine: Engine, org_id: str, kinds: tuple[str, ...]) -> pd.DataFrame:
    """What posting reported: unbalanced amounts, unmatched claims/lines, unknown payers."""
    p = tables.remit_problems
    rows = store.read_frame(engine, p, org_id, where=[p.c.kind.in_(kinds)])
    out = rows[["remit_id", "kind", "level", "claim_id"]].assign(
        expected=decimal_texts(rows["expected_cents"]),
        actual=decimal_texts(rows["actual_cents"]),
        message=rows["message"],
    )
    return out.sort_values(["remit_id", "kind"], kind="stable").reset_index(drop=True)


def denial_list(engine: Engine, org_id: str) -> pd.DataFrame:
    d = tables.denials
    rows = store.read_frame(engine, d, org_id, where=[d.c.void.is_(False)])
    line = pd.DataFrame(_charge_line(rows))
    return line.assign(
        **{"class": rows["denial_class"]},  # "class" is a Python keyword
        carc=rows["carc"],
        carcs=rows["carcs"],
        rarcs=rows["rarcs"],
        charge=decimal_texts(rows["charge_cents"]),
    ).reset_index(drop=True)
