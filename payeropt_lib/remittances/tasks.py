"""Follow-up tasks: under-paid lines grouped per claim, with a deadline and a state.

The whole life of a task lives here. Posting asks ``plan`` what a posted 835 means for
the tasks (which to open, which a later payment recovered), a pure decision over frames,
and ``apply`` writes that plan in posting's transaction. Staff move a task along its states
with ``change_state`` (one task) or ``change_many`` (the tasks ``pick`` selects by payer,
cause and state): open → in_progress → appealed → recovered | written_off (and back to
in_progress from appealed when an appeal needs more work). Every change is an event, and
every change by a person is audited, one entry per task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, update

from payeropt_lib import store
from payeropt_lib.errors import (
    BadTransition,
    BulkNeedsSelection,
    NoTasksSelected,
    RecoveredNeedsAmount,
    UnknownTask,
)
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

logger = logging.getLogger(__name__)

STATES = ("open", "in_progress", "appealed", "recovered", "written_off", "withdrawn")
OPEN_STATES = ("open", "in_progress", "appealed")
# Staff's moves. ``withdrawn`` is the product's own: a re-evaluation after late charges,
# rates or aliases found the claim paid as contracted after all (``revise``).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "appealed", "recovered", "written_off"),
    "in_progress": ("open", "appealed", "recovered", "written_off"),
    "appealed": ("in_progress", "recovered", "written_off"),
    "recovered": (),
    "written_off": (),
    "withdrawn": (),
}
DEFAULT_APPEAL_DAYS = 90


def group_findings(under: pd.DataFrame) -> pd.DataFrame:
    """One task per claim and remittance from its under-paid lines.

    Needs: claim_id, remit_id, payer_id, variance_cents (negative), cause, remit_date,
    appeal_days (Int64, NA = default). Returns claim_id, remit_id, payer_id, amount_cents
    (at stake, positive), lines, cause (the cause with the most money at stake), remit_date,
    deadline.
    """
    if under.empty:  # most small 835s: the same empty frame, for the input's dtypes
        shape = tuple(under.dtypes.items())
        if shape not in _NO_TASKS:
            _NO_TASKS[shape] = _grouped(under)
        return _NO_TASKS[shape].copy()
    return _grouped(under)


_NO_TASKS: dict[tuple, pd.DataFrame] = {}  # group_findings of empty frames, per dtypes


def _grouped(under: pd.DataFrame) -> pd.DataFrame:
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


def appeal_days(lines: pd.DataFrame, contracts: pd.DataFrame) -> pd.Series:
    """The appeal window of the contract each line was priced under (NA = default).

    Needs lines: payer_id, product_line, contract_from. The line's own product line's
    contract first, else the payer's all-products ('') contract, as the engine chose.
    """
    terms = contracts[["payer_id", "product_line", "effective_from", "appeal_days"]].rename(
        columns={"effective_from": "contract_from"}
    )
    keys = ["payer_id", "product_line", "contract_from"]
    base = lines[keys].reset_index(drop=True)
    specific = base.merge(terms, on=keys, how="left")["appeal_days"]
    blank = base.assign(product_line="").merge(terms, on=keys, how="left")["appeal_days"]
    return specific.fillna(blank).astype("Int64")


@dataclass(frozen=True)
class Plan:
    """What one posting means for the follow-up tasks.

    - opened: ``group_findings`` rows, one task to open per claim with under-paid lines;
    - recovered: task_id, state (now), amount_cents (recovered: what this posting allowed
      above the earlier one on the task's lines, at most the amount at stake) of the open
      tasks whose lines this posting no longer finds under-paid.
    """

    opened: pd.DataFrame
    recovered: pd.DataFrame


# No task recovered, and none opened: the empty halves of a ``Plan``.
NONE_RECOVERED = pd.DataFrame(columns=["task_id", "state", "amount_cents"])
NONE_OPENED = pd.DataFrame(columns=["claim_id", "remit_id", "amount_cents"])


def _answered(lines: pd.DataFrame) -> pd.DataFrame:
    """The posted lines that answer a charge line: matched, and not a reversal."""
    return lines[lines["line_number"].notna() & ~lines["is_reversal"].astype(bool)]


def claims_answered(lines: pd.DataFrame) -> list[str]:
    """The claims whose open tasks a posting of ``lines`` may close (``plan`` needs them
    and their earlier findings)."""
    return _answered(lines)["claim_id"].unique().tolist()


def plan(
    findings: pd.DataFrame,
    lines: pd.DataFrame,
    open_tasks: pd.DataFrame,
    task_findings: pd.DataFrame,
    contracts: pd.DataFrame,
) -> Plan:
    """Decide which tasks a posting opens and which it closes as recovered.

    Needs: ``findings`` of this posting (kind, claim_id, remit_id, payer_id, variance_cents,
    cause, remit_date, product_line, contract_from); its ``lines`` (claim_id, line_number,
    is_reversal, allowed_cents, outcome); the practice's ``open_tasks`` on the claims of
    ``claims_answered(lines)`` (task_id, amount_cents, state) and the
    earlier findings of those tasks (``task_findings``: task_id, claim_id, line_number,
    allowed_cents); ``contracts`` for the appeal windows. A task is recovered
    (``recoveries``) when none of its lines is under-paid any more on this posting.
    Nothing is changed; ``apply`` writes the plan.
    """
    recovered = recoveries(task_findings, lines, open_tasks) if len(open_tasks) else NONE_RECOVERED
    return Plan(opened=to_open(findings, contracts), recovered=recovered)


def recoveries(
    task_findings: pd.DataFrame,
    lines: pd.DataFrame,
    open_tasks: pd.DataFrame,
    *,
    later: bool = False,
) -> pd.DataFrame:
    """The open tasks a posting of ``lines`` recovers: none of their lines is under-paid on
    it any more. The amount recovered is what it allowed above the task's lines as found,
    from 0 to the amount at stake. The one rule for posting (``plan``) and re-evaluation.

    Needs ``task_findings`` (task_id, claim_id, line_number, allowed_cents: the tasks'
    lines as found), ``lines`` (claim_id, line_number, is_reversal, allowed_cents,
    outcome) and ``open_tasks`` (task_id, amount_cents, state); with ``later``, remit_id
    in both.
    ``later``: ``lines`` hold several payments (a re-evaluation): only those after a
    task's own count, each on its own, and the earliest that recovers it does, as posting
    in order would have. Returns task_id, state (before), amount_cents.
    """
    paid_by = ["remit_id"] if later else []  # which payment answered, and the task's
    answer = ["claim_id", "line_number", *paid_by, "allowed_cents", "outcome"]
    both = task_findings.merge(
        _answered(lines)[answer].astype({"line_number": "int64"}),
        on=["claim_id", "line_number"],
        suffixes=("_old", ""),
    ).merge(
        open_tasks[["task_id", *paid_by, "amount_cents", "state"]].rename(
            columns={"remit_id": "task_remit_id"}
        ),
        on="task_id",
    )
    keys = ["task_id"]
    if later:
        both = both[both["remit_id"] > both["task_remit_id"]]
        keys.append("remit_id")
    if both.empty:
        return NONE_RECOVERED
    per = (
        both.assign(under=both["outcome"].eq("underpaid"))
        .groupby(keys)
        .agg(
            still_under=("under", "any"),
            gained=("allowed_cents", "sum"),
            before=("allowed_cents_old", "sum"),
            amount_cents=("amount_cents", "first"),
            state=("state", "first"),
        )
    )
    done = per[~per["still_under"]].reset_index()
    if later:
        done = done.sort_values("remit_id", kind="stable").drop_duplicates("task_id")
    amount = (done["gained"] - done["before"]).clip(lower=0).clip(upper=done["amount_cents"])
    return pd.DataFrame(
        {
            "task_id": done["task_id"].astype("int64"),
            "state": done["state"],
            "amount_cents": amount.astype("int64"),
        }
    )


def to_open(findings: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """The tasks ``findings`` call for (``group_findings`` of the under-paid ones, with
    each contract's appeal window): what ``plan`` opens, and what a re-evaluation wants."""
    under = findings[findings["kind"] == "underpaid"]
    if under.empty:
        return group_findings(under.assign(appeal_days=pd.Series(dtype="Int64")))
    return group_findings(under.assign(appeal_days=appeal_days(under, contracts).to_numpy()))


def apply(
    conn: Connection, org_id: str, actor: str, plan: Plan, task_ids: list[int], now: str
) -> pd.DataFrame:
    """Write ``plan`` in the caller's transaction: the opened tasks under ``task_ids``
    (one per row, in order), the recovered ones closed, an event for each. Returns claim_id,
    remit_id, task_id of the opened tasks (what the findings link to)."""
    opened = plan.opened.assign(task_id=task_ids)
    if len(opened):
        store.insert_rows(
            conn,
            tables.tasks,
            opened.assign(
                org_id=org_id, opened_at=now, state="open", recovered_cents=0, closed_at=None
            ),
        )
        store.insert_rows(
            conn,
            tables.task_events,
            _events(org_id, opened["task_id"], 1, now, actor, None, "open",
                    opened["amount_cents"], "opened at posting"),
        )  # fmt: skip
    done = plan.recovered
    if len(done):
        conn.execute(
            update(tables.tasks)
            .where(tables.tasks.c.org_id == org_id, tables.tasks.c.task_id == bindparam("tid"))
            .values(state="recovered", recovered_cents=bindparam("amount"), closed_at=now),
            [
                {"tid": int(task_id), "amount": int(cents)}
                for task_id, cents in zip(done["task_id"], done["amount_cents"], strict=True)
            ],
        )
        last = (
            store.read_in(
                conn,
                tables.task_events,
                org_id,
                "task_id",
                done["task_id"].tolist(),
                ["task_id", "event_seq"],
            )
            .groupby("task_id")["event_seq"]
            .max()
        )
        seq = done["task_id"].map(last).fillna(0).astype("int64") + 1
        store.insert_rows(
            conn,
            tables.task_events,
            _events(org_id, done["task_id"], seq, now, actor, done["state"], "recovered",
                    done["amount_cents"], "a later remittance paid the difference"),
        )  # fmt: skip
    return opened[["claim_id", "remit_id", "task_id"]]


def revise(
    conn: Connection,
    org_id: str,
    actor: str,
    changed: pd.DataFrame,
    withdrawn: pd.DataFrame,
    now: str,
    note: str,
) -> None:
    """Write a re-evaluation's changes to open tasks, in the caller's transaction: new
    figures for ``changed`` (task_id, state, amount_cents, lines, cause), and ``withdrawn``
    (task_id, state, amount_cents) closed as withdrawn; an event for each, noting ``note``
    (the import or reprocess that caused it)."""
    t = tables.tasks
    if len(changed):
        conn.execute(
            update(t)
            .where(t.c.org_id == org_id, t.c.task_id == bindparam("tid"))
            .values(amount_cents=bindparam("amount"), lines=bindparam("n"), cause=bindparam("c")),
            [
                {"tid": int(i), "amount": int(a), "n": int(n), "c": str(c)}
                for i, a, n, c in zip(
                    changed["task_id"],
                    changed["amount_cents"],
                    changed["lines"],
                    changed["cause"],
                    strict=True,
                )
            ],
        )
    if len(withdrawn):
        conn.execute(
            update(t)
            .where(t.c.org_id == org_id, t.c.task_id == bindparam("tid"))
            .values(state="withdrawn", closed_at=now),
            [{"tid": int(i)} for i in withdrawn["task_id"]],
        )
    both = pd.concat(
        [changed.assign(to_state=changed["state"]), withdrawn.assign(to_state="withdrawn")],
        ignore_index=True,
    )
    if both.empty:
        return
    last = (
        store.read_in(
            conn, tables.task_events, org_id, "task_id", both["task_id"].tolist(),
            ["task_id", "event_seq"],
        )
        .groupby("task_id")["event_seq"]
        .max()
    )  # fmt: skip
    seq = both["task_id"].map(last).fillna(0).astype("int64") + 1
    events = pd.concat(
        [
            _events(org_id, part["task_id"], seq[part.index], now, actor, part["state"], to,
                    part["amount_cents"], note)
            for to, part in both.groupby("to_state", sort=False)
        ],
        ignore_index=True,
    )  # fmt: skip
    store.insert_rows(conn, tables.task_events, events)


def _events(
    org_id: str,
    task_id: pd.Series,
    event_seq: pd.Series | int,
    at: str,
    actor: str,
    from_state: pd.Series | None,
    to_state: str,
    amount_cents: pd.Series,
    note: str,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_id": org_id,
            "task_id": task_id.astype("int64").to_numpy(),
            "event_seq": event_seq if isinstance(event_seq, int) else event_seq.to_numpy(),
            "at": at,
            "actor": actor,
            "from_state": None if from_state is None else from_state.to_numpy(),
            "to_state": to_state,
            "amount_cents": pd.array(amount_cents, dtype="Int64"),
            "note": note,
        }
    )


def link(findings: pd.DataFrame, opened: pd.DataFrame) -> pd.DataFrame:
    """``findings`` with the task_id of the task opened for each under-paid line (NA for
    the others); a new frame."""
    under = findings["kind"].eq("underpaid")
    if opened.empty or not under.any():  # most small 835s: no task, and no merge to make
        return findings.assign(task_id=pd.Series(pd.NA, index=findings.index, dtype="Int64"))
    ids = findings[["claim_id", "remit_id"]].merge(
        opened, on=["claim_id", "remit_id"], how="left"
    )["task_id"]
    task_id = pd.Series(ids.to_numpy(), index=findings.index, dtype="Int64").where(under)
    return findings.assign(task_id=task_id)


def change_state(
    engine: Engine,
    org_id: str,
    task_id: int,
    to_state: str,
    who: Identity,
    amount_cents: int | None = None,
    note: str | None = None,
) -> None:
    """Move one task along its states (audited). Recovered records what the payer paid on
    the task (``amount_cents``), which only the person working it knows: it is required,
    never taken to be the amount at stake."""
    access.authorize(engine, org_id, who, "tasks.update", target=f"task {task_id}")
    if to_state == "recovered" and amount_cents is None:
        raise RecoveredNeedsAmount(f"task {task_id}")
    t = tables.tasks
    with store.writing(engine, org_id) as conn:
        where = [t.c.task_id == task_id]
        row = store.read_frame(conn, t, org_id, ["task_id", "state"], where=where)
        if row.empty:
            raise UnknownTask(org_id, task_id)
        _move(conn, org_id, row, to_state, who, amount_cents, note)


def change_many(
    engine: Engine,
    org_id: str,
    to_state: str,
    who: Identity,
    *,
    payers: tuple[str, ...] = (),
    causes: tuple[str, ...] = (),
    states: tuple[str, ...] = (),
    note: str | None = None,
) -> list[int]:
    """Move every task of the practice that ``pick`` picks (open ones when ``states`` is
    empty) to ``to_state``, in one transaction, with an event and an audit entry each;
    returns their ids. Tasks already in ``to_state`` are left as they are. Refused whole
    when nothing names the tasks, when none matches, when one of them cannot move there,
    and for recovered (each task's own amount: ``change_state``)."""
    target = f"tasks to {to_state}"
    access.authorize(engine, org_id, who, "tasks.update", target=target)
    if not (payers or causes or states):
        raise BulkNeedsSelection(to_state)
    if to_state == "recovered":
        raise RecoveredNeedsAmount("several tasks at once")
    t = tables.tasks
    with store.writing(engine, org_id) as conn:
        every = store.read_frame(conn, t, org_id, ["task_id", "state", "payer_id", "cause"])
        picked = pick(every, payers, causes, states or OPEN_STATES)
        picked = picked[picked["state"].ne(to_state)]
        if picked.empty:
            raise NoTasksSelected(org_id, _selection_text(payers, causes, states))
        _move(conn, org_id, picked, to_state, who, None, note)
    return picked["task_id"].astype(int).tolist()


def pick(
    frame: pd.DataFrame,
    payers: tuple[str, ...] = (),
    causes: tuple[str, ...] = (),
    states: tuple[str, ...] = OPEN_STATES,
) -> pd.DataFrame:
    """The tasks of ``frame`` (payer_id, cause, state) in ``states`` and, when given, of one
    of ``payers`` and ``causes``: the one filter of the worklist and its bulk changes."""
    keep = frame["state"].isin(states)
    if payers:
        keep &= frame["payer_id"].isin(payers)
    if causes:
        keep &= frame["cause"].isin(causes)
    return frame[keep.to_numpy()]


def _selection_text(payers: tuple, causes: tuple, states: tuple) -> str:
    parts = [
        f"{name} {' or '.join(values)}"
        for name, values in (("in state", states or ("open, in_progress or appealed",)),
                             ("of payer", payers), ("with cause", causes))
        if values
    ]  # fmt: skip
    return " ".join(parts) + " (other than the state asked for)"


def _move(
    conn: Connection,
    org_id: str,
    rows: pd.DataFrame,
    to_state: str,
    who: Identity,
    amount_cents: int | None,
    note: str | None,
) -> None:
    """Move the tasks ``rows`` (task_id, state) to ``to_state`` in the caller's
    transaction: all or none (a task that cannot go there refuses them all), one statement
    for the tasks and one for their events, an audit entry each."""
    for task_id, state in zip(rows["task_id"], rows["state"], strict=True):
        if to_state not in TRANSITIONS.get(state, ()):
            raise BadTransition(int(task_id), state, to_state, TRANSITIONS.get(state, ()))
    now = audit.utc_now()
    values: dict = {"state": to_state}
    if to_state in ("recovered", "written_off"):
        values["closed_at"] = now
    if to_state == "recovered":
        values["recovered_cents"] = amount_cents
    t = tables.tasks
    ids = rows["task_id"].astype(int).tolist()
    conn.execute(
        update(t).where(t.c.org_id == org_id, t.c.task_id == bindparam("tid")).values(**values),
        [{"tid": task_id} for task_id in ids],
    )
    last = (
        store.read_in(conn, tables.task_events, org_id, "task_id", ids, ["task_id", "event_seq"])
        .groupby("task_id")["event_seq"]
        .max()
    )
    task_id = rows["task_id"].astype("int64")
    seq = task_id.map(last).fillna(0).astype("int64") + 1
    amount = pd.Series(amount_cents, index=rows.index, dtype="Int64")
    events = _events(org_id, task_id, seq, now, who.actor, rows["state"], to_state, amount, note)
    store.insert_rows(conn, tables.task_events, events.assign(at=now))
    for tid, state in zip(ids, rows["state"], strict=True):
        details = {"from": state, "to": to_state, "amount_cents": amount_cents, "note": note}
        access.audit_action(conn, org_id, who, "tasks.update", f"task {tid}", details=details)


def list_tasks(engine: Engine, org_id: str, states: tuple[str, ...] = OPEN_STATES) -> pd.DataFrame:
    """Tasks of one org in the given states, oldest deadline first."""
    t = tables.tasks
    frame = store.read_frame(engine, t, org_id, where=[t.c.state.in_(states)])
    return frame.sort_values(["deadline", "task_id"], kind="stable").reset_index(drop=True)
