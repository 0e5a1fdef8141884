"""Follow-up tasks: under-paid lines grouped per claim, with a deadline and a state.

States: open → in_progress → appealed → recovered | written_off (and back to in_progress
from appealed when an appeal needs more work). Every change is audited. A later 835 that
pays the difference closes the task as recovered, with the amount (see ``posting``).
"""

from __future__ import annotations

import logging

import pandas as pd
from sqlalchemy import Connection, Engine, func, select, update

from payeropt_lib import store
from payeropt_lib.errors import PayeroptError
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

logger = logging.getLogger(__name__)

STATES = ("open", "in_progress", "appealed", "recovered", "written_off")
OPEN_STATES = ("open", "in_progress", "appealed")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "appealed", "recovered", "written_off"),
    "in_progress": ("open", "appealed", "recovered", "written_off"),
    "appealed": ("in_progress", "recovered", "written_off"),
    "recovered": (),
    "written_off": (),
}
DEFAULT_APPEAL_DAYS = 90


class BadTransition(PayeroptError):
    def __init__(self, task_id: int, from_state: str, to_state: str) -> None:
        super().__init__(task_id, from_state, to_state)
        self.task_id, self.from_state, self.to_state = task_id, from_state, to_state

    def __str__(self) -> str:
        allowed = ", ".join(TRANSITIONS.get(self.from_state, ())) or "none (closed)"
        return (
            f"task {self.task_id} is {self.from_state}; it cannot become {self.to_state!r} "
            f"(next states: {allowed})"
        )


class UnknownTask(PayeroptError):
    def __init__(self, org_id: str, task_id: int) -> None:
        super().__init__(org_id, task_id)
        self.org_id, self.task_id = org_id, task_id

    def __str__(self) -> str:
        return f"practice {self.org_id!r} has no task {self.task_id}"


def group_findings(under: pd.DataFrame) -> pd.DataFrame:
    """One task per claim and remittance from its under-paid lines.

    Needs: claim_id, remit_id, payer_id, variance_cents (negative), cause, remit_date,
    appeal_days (Int64, NA = default). Returns claim_id, remit_id, payer_id, amount_cents
    (at stake, positive), lines, cause (the cause with the most money at stake), remit_date,
    deadline.
    """
    keys = ["claim_id", "remit_id"]
    f = under.assign(stake=-under["variance_cents"].astype("int64"))
    by_cause = f.groupby([*keys, "cause"], sort=False)["stake"].sum().reset_index()
    main_cause = by_cause.sort_values("stake", ascending=False, kind="stable").drop_duplicates(
        keys
    )
    grouped = f.groupby(keys, sort=False).agg(
        payer_id=("payer_id", "first"),
        amount_cents=("stake", "sum"),
        lines=("stake", "size"),
        remit_date=("remit_date", "first"),
        appeal_days=("appeal_days", "first"),
    )
    out = grouped.reset_index().merge(main_cause[[*keys, "cause"]], on=keys, how="left")
    days = out["appeal_days"].fillna(DEFAULT_APPEAL_DAYS).astype("int64")
    out["deadline"] = pd.to_datetime(out["remit_date"]) + pd.to_timedelta(days, unit="D")
    return out.drop(columns="appeal_days")


def record_event(
    conn: Connection,
    org_id: str,
    task_id: int,
    actor: str,
    from_state: str | None,
    to_state: str,
    amount_cents: int | None = None,
    note: str | None = None,
) -> None:
    te = tables.task_events
    last = conn.execute(
        select(func.coalesce(func.max(te.c.event_seq), 0)).where(
            te.c.org_id == org_id, te.c.task_id == task_id
        )
    ).scalar_one()
    conn.execute(
        te.insert().values(
            org_id=org_id,
            task_id=task_id,
            event_seq=int(last) + 1,
            at=audit.utc_now(),
            actor=actor,
            from_state=from_state,
            to_state=to_state,
            amount_cents=amount_cents,
            note=note,
        )
    )


def change_state(
    engine: Engine,
    org_id: str,
    task_id: int,
    to_state: str,
    who: Identity,
    amount_cents: int | None = None,
    note: str | None = None,
) -> None:
    """Move a task along its states (audited); recovered takes the amount recovered."""
    access.authorize(engine, org_id, who, "tasks.update", target=f"task {task_id}")
    t = tables.tasks
    with engine.begin() as conn:
        row = conn.execute(
            select(t.c.state, t.c.amount_cents)
            .where(t.c.org_id == org_id, t.c.task_id == task_id)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise UnknownTask(org_id, task_id)
        if to_state not in TRANSITIONS.get(row.state, ()):
            raise BadTransition(task_id, row.state, to_state)
        values: dict = {"state": to_state}
        if to_state in ("recovered", "written_off"):
            values["closed_at"] = audit.utc_now()
        if to_state == "recovered":
            values["recovered_cents"] = row.amount_cents if amount_cents is None else amount_cents
        conn.execute(
            update(t).where(t.c.org_id == org_id, t.c.task_id == task_id).values(**values)
        )
        record_event(
            conn,
            org_id,
            task_id,
            who.actor,
            row.state,
            to_state,
            values.get("recovered_cents"),
            note,
        )
        audit.record(
            conn,
            org_id,
            actor=who.actor,
            role=who.role,
            action="tasks.update",
            target=f"task {task_id}",
            details={
                "from": row.state,
                "to": to_state,
                "amount_cents": values.get("recovered_cents"),
                "note": note,
            },
        )


def list_tasks(engine: Engine, org_id: str, states: tuple[str, ...] = OPEN_STATES) -> pd.DataFrame:
    """Tasks of one org in the given states, oldest deadline first."""
    t = tables.tasks
    frame = store.read_frame(engine, t, org_id, where=[t.c.state.in_(states)])
    return frame.sort_values(["deadline", "task_id"], kind="stable").reset_index(drop=True)
