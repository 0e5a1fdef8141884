"""Posting 835 remittances: the one transaction around ``evaluation.evaluate``.

``post_file`` posts one file whole or not at all: authorize, parse (a file that is not
valid X12 is refused whole), skip payments already posted, read what the evaluation needs
of the practice, evaluate (pure: ``evaluation``), plan the follow-up tasks (pure:
``tasks.plan``), write everything, cancel what the file's reversals reverse, and audit.
The decisions are made in those pure functions; this module only reads and writes.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update

from payeropt_lib import formats, store
from payeropt_lib.errors import PaymentKeyConflict, X12Error
from payeropt_lib.inputs import era
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

from . import rates_cache, tasks
from .evaluation import CHARGE_COLUMNS, Evaluation, Practice, claims_of, evaluate
from .matching import payment_keys

logger = logging.getLogger(__name__)


class _Clock:
    """Seconds per posting stage (``post_file(timings=...)`` and the debug log)."""

    def __init__(self, timings: dict[str, float] | None = None) -> None:
        self.timings = {} if timings is None else timings
        self.last = time.perf_counter()

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{k} {v:.3f}" for k, v in self.timings.items())


@dataclass(frozen=True)
class PostResult:
    file: str
    transactions: int = 0
    duplicates: int = 0
    claims: int = 0
    lines: int = 0
    reversals: int = 0
    unmatched_claims: int = 0
    unmatched_lines: int = 0
    unbalanced: int = 0
    unknown_payers: int = 0
    underpaid: int = 0
    overpaid: int = 0
    denied: int = 0
    bundled: int = 0
    tasks_opened: int = 0
    tasks_recovered: int = 0
    already_posted: bool = False

    def summary(self) -> str:
        if self.already_posted:
            return f"{self.file}: already posted; nothing changed"
        parts = [
            f"{self.transactions} payments ({self.duplicates} already posted)",
            f"{self.claims} claims, {self.lines} lines",
            f"{self.underpaid} under-paid, {self.overpaid} over-paid",
            f"{self.denied} denied, {self.bundled} bundled",
            f"{self.tasks_opened} tasks opened, {self.tasks_recovered} recovered",
        ]
        issues = [
            f"{n} {what}"
            for n, what in (
                (self.unbalanced, "unbalanced"),
                (self.unmatched_claims, "unmatched claims"),
                (self.unmatched_lines, "unmatched lines"),
                (self.unknown_payers, "unknown payer"),
                (self.reversals, "reversals"),
            )
            if n
        ]
        return f"{self.file}: " + "; ".join(parts) + (f"; {', '.join(issues)}" if issues else "")


def files_in(paths: list[Path]) -> list[Path]:
    """Files named on the command line, and every file inside named folders (sorted)."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            )
        else:
            out.append(path)
    return out


def post_file(
    engine: Engine,
    org_id: str,
    path: Path | str,
    who: Identity,
    progress: Callable[[str], None] | None = None,
    timings: dict[str, float] | None = None,
) -> PostResult:
    """Post one 835 file for one org: refused whole, or posted whole, in one transaction.

    ``timings``, when given, receives the seconds each stage took (parse, read, evaluate,
    write, commit, ...), in order: what ``benchmarks/era_throughput.py`` prints.
    """
    clock = _Clock(timings)
    path = Path(path)
    name = path.name
    access.authorize(engine, org_id, who, "import.era", target=name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise X12Error(name, 0, "(file)", f"cannot be read: {exc.strerror}") from None
    digest = hashlib.sha256(raw).hexdigest()
    rf = tables.remit_files
    with engine.connect() as conn:
        seen = conn.execute(
            select(rf.c.remit_file_id).where(rf.c.org_id == org_id, rf.c.sha256 == digest)
        ).first()
    if seen is not None:
        return PostResult(name, already_posted=True)
    clock.mark("read file")
    step = progress or (lambda _s: None)
    step("parse")
    remit = era.parse(name, raw)
    clock.mark("parse")
    txns = remit.transactions.assign(payment_key=payment_keys(remit.transactions))
    if txns.empty:
        # Not "already posted": nothing of it ever was. A billing manager expecting a
        # payment must hear that this file holds none (docs/era.md, "Posting").
        raise X12Error(
            name,
            1,
            "ISA",
            f"no transaction in {name}: its envelope holds no transaction set (ST..SE), so "
            "there is no payment to post",
        )
    with store.writing(engine, org_id) as conn:
        step("post")
        dup = _already_posted(conn, org_id, name, remit, txns)
        if dup.all():
            return PostResult(
                name, transactions=len(txns), duplicates=int(dup.sum()), already_posted=True
            )
        clock.mark("begin")
        result = _post(conn, org_id, name, digest, who, remit, txns[~dup], len(txns), clock)
    clock.mark("commit")
    logger.info(result.summary())
    logger.debug("posting %s, seconds: %s", name, clock)
    return result


def _already_posted(
    conn: Connection, org_id: str, name: str, remit: era.Remit, txns: pd.DataFrame
) -> pd.Series:
    """Which payments of ``txns`` are already posted: their key was posted before, or comes
    earlier in this file, with the same content (BPR02 and every CLP's 01-04).

    The same key with other content is not a payment sent again but a different one (or a
    payer reusing a trace number): ``PaymentKeyConflict``, naming where the key was seen
    and the first element that differs. Skipping it would lose a payment without a trace.
    """
    r, rf = tables.remittances, tables.remit_files
    keys = txns["payment_key"]
    stored = conn.execute(
        select(r.c.remit_id, r.c.payment_key, r.c.total_paid_cents, rf.c.file_name, rf.c.posted_at)
        .join_from(r, rf, (rf.c.org_id == r.c.org_id) & (rf.c.remit_file_id == r.c.remit_file_id))
        .where(r.c.org_id == org_id, r.c.payment_key.in_(keys.tolist()))
    ).all()
    again = keys.duplicated()
    if not stored and not again.any():
        return again
    columns = ["claim_id", "status", "charge_cents", "paid_cents"]
    claims = store.read_in(
        conn,
        tables.remit_claims,
        org_id,
        "remit_id",
        [row.remit_id for row in stored],
        ["remit_id", "claim_seq", *columns],
    ).sort_values(["remit_id", "claim_seq"])
    posted = {
        row.payment_key: (
            f"posted from {row.file_name} on {row.posted_at[:10]}",
            _content(row.total_paid_cents, claims[claims["remit_id"] == row.remit_id], columns),
        )
        for row in stored
    }
    by_txn = remit.claims.sort_values(["txn", "claim_seq"]).groupby("txn")
    for txn, key, total, st in zip(
        txns["txn"], keys, txns["total_paid_cents"], txns["st_segment"], strict=True
    ):
        mine = _content(
            total, by_txn.get_group(txn) if txn in by_txn.groups else claims.iloc[:0], columns
        )
        if key not in posted:
            posted[key] = (f"sent at segment {st} of this file", mine)
            continue
        earlier, theirs = posted[key]
        differs = _first_difference(theirs, mine)
        if differs is not None:
            raise PaymentKeyConflict(name, int(st), key, earlier, *differs)
    return again | keys.isin({row.payment_key for row in stored})


def _content(total_cents: int, claims: pd.DataFrame, columns: list[str]) -> tuple:
    """What makes a payment the same payment: BPR02 and each CLP's 01-04, in order."""
    rows = zip(*(claims[c].tolist() for c in columns), strict=True)
    return int(total_cents), [tuple(str(v) for v in row) for row in rows]


def _first_difference(was: tuple, now: tuple) -> tuple[str, str, str] | None:
    """(element, earlier value, this file's value) of the first difference, or None."""
    if was[0] != now[0]:
        return "BPR02", formats.decimal_texts([was[0]])[0], formats.decimal_texts([now[0]])[0]
    if len(was[1]) != len(now[1]):
        return "the number of claims (CLP)", str(len(was[1])), str(len(now[1]))
    for seq, (a, b) in enumerate(zip(was[1], now[1], strict=True), start=1):
        for k, (x, y) in enumerate(zip(a, b, strict=True), start=1):
            if x != y:
                if k >= 3:  # amounts: as the file writes them
                    x, y = (formats.decimal_texts([int(v)])[0] for v in (x, y))
                return f"CLP{k:02d} of claim {seq}", x, y
    return None


def _post(
    conn: Connection,
    org_id: str,
    name: str,
    digest: str,
    who: Identity,
    remit: era.Remit,
    new: pd.DataFrame,
    in_file: int,
    clock: _Clock,
) -> PostResult:
    now = audit.utc_now()
    file_id = conn.execute(
        insert(tables.remit_files)
        .values(
            org_id=org_id,
            file_name=name,
            sha256=digest,
            posted_at=now,
            actor=who.actor,
            transactions=in_file,
            duplicates=in_file - len(new),
        )
        .returning(tables.remit_files.c.remit_file_id)
    ).scalar_one()
    # The file's row holds the write lock from here: the ids reserved next stay ours.
    new = new.assign(remit_id=store.reserve_ids(conn, tables.remittances, "remit_id", len(new)))
    practice = _practice(conn, org_id, remit, new)
    clock.mark("read")
    found = evaluate(remit, new, practice, pd.Timestamp(now[:10]))
    clock.mark("evaluate")
    answered = tasks.claims_answered(found.lines)
    open_tasks = store.read_in(
        conn,
        tables.tasks,
        org_id,
        "claim_id",
        answered,
        where=(tables.tasks.c.state.in_(tasks.OPEN_STATES),),
    )
    task_findings = store.read_in(
        conn,
        tables.findings,
        org_id,
        "task_id",
        open_tasks["task_id"].astype(int).tolist(),
        ["task_id", "claim_id", "line_number", "allowed_cents"],
    )
    plan = tasks.plan(found.findings, found.lines, open_tasks, task_findings, practice.contracts)
    clock.mark("plan tasks")
    _write(conn, org_id, file_id, found)
    _cancel_reversed(conn, org_id, found.reversed)
    clock.mark("write")
    task_ids = store.reserve_ids(conn, tables.tasks, "task_id", len(plan.opened))
    opened = tasks.apply(conn, org_id, who.actor, plan, task_ids, now)
    store.insert_rows(conn, tables.findings, _org_rows(tasks.link(found.findings, opened), org_id))
    clock.mark("write tasks and findings")
    result = _result(name, in_file, len(new), found, plan)
    details = {**asdict(result), "sha256": digest, "remit_file_id": file_id}
    access.audit_action(conn, org_id, who, "import.era", name, details=details)
    clock.mark("audit")
    return result


def _practice(conn: Connection, org_id: str, remit: era.Remit, new: pd.DataFrame) -> Practice:
    """What evaluating the payments ``new`` reads of the practice."""
    claim_ids, reversed_ids = claims_of(remit, new)
    rc = tables.remit_claims
    rates = rates_cache.rate_tables(conn, org_id)  # read again only after an import
    return Practice(
        aliases=rates.aliases,
        contracts=rates.contracts,
        fee_schedules=rates.fee_schedules,
        medicare_fees=rates.medicare_fees,
        charges=store.read_in(conn, tables.charges, org_id, "claim_id", claim_ids, CHARGE_COLUMNS),
        posted_claims=store.read_in(
            conn,
            rc,
            org_id,
            "claim_id",
            reversed_ids,
            ["remit_id", "claim_seq", "claim_id", "charge_cents", "paid_cents"],
            where=(rc.c.is_reversal.is_(False), rc.c.reversed_by_remit_id.is_(None)),
        ),
    )


def _org_rows(frame: pd.DataFrame, org_id: str) -> pd.DataFrame:
    return frame.assign(org_id=org_id)


def _write(conn: Connection, org_id: str, file_id: int, found: Evaluation) -> None:
    """The evaluation's rows, in the caller's transaction (findings come with the tasks)."""
    remittances = found.remittances.assign(remit_file_id=file_id)
    for table, frame in (
        (tables.remittances, remittances),
        (tables.remit_claims, found.claims),
        (tables.remit_lines, found.lines),
        (tables.remit_adjustments, found.adjustments),
        (tables.remit_plb, found.plb),
        (tables.remit_problems, found.problems),
        (tables.denials, found.denials),
    ):
        store.insert_rows(conn, table, _org_rows(frame, org_id))


def _cancel_reversed(conn: Connection, org_id: str, reversed_: pd.DataFrame) -> None:
    """Mark the postings the file's reversals cancel, and void what was found on them.

    One statement per reversed claim and table: reversals are a handful per file.
    """
    for by, remit_id, claim_seq in zip(
        reversed_["by_remit"], reversed_["remit_id"], reversed_["claim_seq"], strict=True
    ):
        for table in (tables.remit_claims, tables.findings, tables.denials):
            where = [
                table.c.org_id == org_id,
                table.c.remit_id == int(remit_id),
                table.c.claim_seq == int(claim_seq),
            ]
            values = (
                {"reversed_by_remit_id": int(by)}
                if table is tables.remit_claims
                else {"void": True}
            )
            conn.execute(update(table).where(*where).values(**values))


def _result(
    name: str, in_file: int, posted: int, found: Evaluation, plan: tasks.Plan
) -> PostResult:
    outcome = found.lines["outcome"]
    denial = found.denials["denial_class"]
    return PostResult(
        name,
        transactions=in_file,
        duplicates=in_file - posted,
        claims=len(found.claims),
        lines=len(found.lines),
        reversals=len(found.reversed),
        unmatched_claims=int((~found.claims["matched"]).sum()),
        unmatched_lines=int(found.problems["kind"].eq("unmatched_line").sum()),
        unbalanced=int((~found.remittances["balanced"]).sum()),
        unknown_payers=int(found.remittances["payer_id"].isna().sum()),
        underpaid=int(outcome.eq("underpaid").sum()),
        overpaid=int(outcome.eq("overpaid").sum()),
        denied=int(denial.eq("denied").sum()),
        bundled=int(denial.eq("bundled").sum()),
        tasks_opened=len(plan.opened),
        tasks_recovered=len(plan.recovered),
    )
