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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update

from payeropt_lib import formats, store
from payeropt_lib.errors import PayeroptError, PaymentKeyConflict, X12Error
from payeropt_lib.inputs import era
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

from . import rates_cache, tasks
from .evaluation import CHARGE_COLUMNS, Evaluation, Practice, claims_of, evaluate
from .matching import payment_keys

logger = logging.getLogger(__name__)

# A batch of files (``post_files``) holds at most this many remitted lines and files: the
# writer lock is then held for at most ~1.6 s a batch (the 150,000-claim practice's 41
# files: 6 batches, 9.8 s in all; at 20,000 lines 17 batches, 12.5 s), ~530 MB at most.
BATCH_LINES = 50_000
BATCH_FILES = 400


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
    """Post one 835 file for one org: refused whole (the error is raised), or posted whole,
    in one transaction (``post_files`` of one file).

    ``timings``, when given, receives the seconds each stage took (parse, read, evaluate,
    write, commit, ...), in order: what ``benchmarks/era_throughput.py`` prints.
    """
    ((_, outcome),) = post_files(engine, org_id, [path], who, progress, timings)
    if isinstance(outcome, PayeroptError):
        raise outcome
    return outcome


def post_files(
    engine: Engine,
    org_id: str,
    paths: list[Path] | list[str],
    who: Identity,
    progress: Callable[[str], None] | None = None,
    timings: dict[str, float] | None = None,
    *,
    batch_lines: int = BATCH_LINES,
) -> Iterator[tuple[Path, PostResult | PayeroptError]]:
    """Post 835 files in order, each refused whole or posted whole: yields each file with
    its ``PostResult`` or the error that refused it (``X12Error``, ``PaymentKeyConflict``),
    in the order given. A refused file stores nothing and the others are posted still.

    Consecutive files that share no claim (CLP01), no payment key and no content are
    posted as one batch: one transaction, one evaluation over all their lines, one write
    per table. Since no file of a batch pays a claim or repeats a payment another pays,
    none depends on what another posts (reversals, tasks to close, payments already
    posted), so a batch stores exactly what posting its files one by one stores, each
    file with its own ``remit_files`` row, result and audit entry; what a file costs
    whatever its size is then paid once a batch (docs/remittances.md, "Many small files").
    A batch holds at most ``batch_lines`` remitted lines (a larger file is a batch of
    its own) and ``BATCH_FILES`` files, to bound memory and the time the practice's
    writer lock is held.
    """
    paths = [Path(p) for p in paths]
    target = paths[0].name if len(paths) == 1 else f"{len(paths)} files"
    access.authorize(engine, org_id, who, "import.era", target=target)
    clock = _Clock(timings)
    step = progress or (lambda _s: None)
    outcomes: list[PostResult | PayeroptError | None] = []
    batch = _Batch()
    given = 0  # outcomes yielded so far

    def post_batch() -> None:
        if batch.files:
            step("post")
            for slot, outcome in zip(
                batch.slots, _post_batch(engine, org_id, who, batch.files, clock), strict=True
            ):
                outcomes[slot] = outcome
            batch.clear()

    for path in paths:
        outcomes.append(None)
        try:
            ready = _prepare(engine, org_id, path, clock, step)
        except PayeroptError as err:
            outcomes[-1] = err
        else:
            if isinstance(ready, PostResult):
                outcomes[-1] = ready
            else:
                if not batch.admits(ready, batch_lines):
                    post_batch()
                batch.add(len(outcomes) - 1, ready)
        while given < len(outcomes) and outcomes[given] is not None:
            yield paths[given], outcomes[given]
            given += 1
    post_batch()
    for slot in range(given, len(outcomes)):
        yield paths[slot], outcomes[slot]


@dataclass(frozen=True)
class _Ready:
    """A parsed file waiting for its batch: its payments (``txns``, with payment_key)."""

    name: str
    digest: str
    remit: era.Remit
    txns: pd.DataFrame
    claim_ids: frozenset
    keys: frozenset

    @property
    def lines(self) -> int:
        return len(self.remit.lines)


class _Batch:
    """Consecutive files that share no claim, payment key or content (``post_files``)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.files: list[_Ready] = []
        self.slots: list[int] = []
        self.claims: set = set()
        self.keys: set = set()
        self.digests: set = set()
        self.lines = 0

    def admits(self, ready: _Ready, batch_lines: int) -> bool:
        if not self.files:
            return True
        return (
            len(self.files) < BATCH_FILES
            and self.lines + ready.lines <= batch_lines
            and ready.digest not in self.digests
            and self.claims.isdisjoint(ready.claim_ids)
            and self.keys.isdisjoint(ready.keys)
        )

    def add(self, slot: int, ready: _Ready) -> None:
        self.files.append(ready)
        self.slots.append(slot)
        self.claims |= ready.claim_ids
        self.keys |= ready.keys
        self.digests.add(ready.digest)
        self.lines += ready.lines


def _prepare(
    engine: Engine, org_id: str, path: Path, clock: _Clock, step: Callable[[str], None]
) -> _Ready | PostResult:
    """Read and parse one file (refused whole with ``X12Error``), unless a file of the
    same content is already posted (checked again under the writer lock)."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise X12Error(name, 0, "(file)", f"cannot be read: {exc.strerror}") from None
    digest = hashlib.sha256(raw).hexdigest()
    if _posted_digests(engine, org_id, [digest]):
        return PostResult(name, already_posted=True)
    clock.mark("read file")
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
    claim_ids = frozenset(remit.claims["claim_id"].dropna().unique().tolist())
    return _Ready(name, digest, remit, txns, claim_ids, frozenset(txns["payment_key"]))


def _posted_digests(engine_or_conn: Engine | Connection, org_id: str, digests: list[str]) -> set:
    """Which of ``digests`` (SHA-256 of a file's bytes) a posted file of ``org_id`` has."""
    rf = tables.remit_files
    query = select(rf.c.sha256).where(rf.c.org_id == org_id, rf.c.sha256.in_(digests))
    if isinstance(engine_or_conn, Connection):
        return set(engine_or_conn.execute(query).scalars())
    with engine_or_conn.connect() as conn:
        return set(conn.execute(query).scalars())


def _post_batch(
    engine: Engine, org_id: str, who: Identity, files: list[_Ready], clock: _Clock
) -> list[PostResult | PayeroptError]:
    """Post a batch (``post_files``) in one transaction; each file's outcome, in order."""
    with store.writing(engine, org_id) as conn:
        outcomes: list[PostResult | PayeroptError | None] = [None] * len(files)
        posted = _posted_digests(conn, org_id, [f.digest for f in files])
        todo = []  # (position, file, its payments not posted before)
        for i, f in enumerate(files):
            if f.digest in posted:  # posted by another writer since _prepare looked
                outcomes[i] = PostResult(f.name, already_posted=True)
                continue
            try:
                dup = _already_posted(conn, org_id, f.name, f.remit, f.txns)
            except PaymentKeyConflict as err:
                outcomes[i] = err
                continue
            if dup.all():
                outcomes[i] = PostResult(
                    f.name, transactions=len(f.txns), duplicates=int(dup.sum()),
                    already_posted=True,
                )  # fmt: skip
            else:
                todo.append((i, f, f.txns[~dup]))
        clock.mark("begin")
        if todo:
            results = _post(conn, org_id, who, todo, clock)
            for (i, *_), result in zip(todo, results, strict=True):
                outcomes[i] = result
    clock.mark("commit")
    for outcome in outcomes:
        if isinstance(outcome, PostResult) and not outcome.already_posted:
            logger.info(outcome.summary())
    logger.debug("posting %d files, seconds: %s", len(files), clock)
    return outcomes


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
    who: Identity,
    todo: list[tuple[int, _Ready, pd.DataFrame]],
    clock: _Clock,
) -> list[PostResult]:
    """Store the payments of a batch's files, evaluated together; each file's result."""
    now = audit.utc_now()
    file_ids = [
        conn.execute(
            insert(tables.remit_files)
            .values(
                org_id=org_id,
                file_name=f.name,
                sha256=f.digest,
                posted_at=now,
                actor=who.actor,
                transactions=len(f.txns),
                duplicates=len(f.txns) - len(new),
            )
            .returning(tables.remit_files.c.remit_file_id)
        ).scalar_one()
        for _, f, new in todo
    ]
    # The files' rows hold the write lock from here: the ids reserved next stay ours.
    remit = era.concat([f.remit for _, f, _ in todo])
    offsets = np.cumsum([0] + [len(f.txns) for _, f, _ in todo[:-1]])
    new = pd.concat(
        [
            part.assign(txn=part["txn"] + offset, file_pos=k)
            for k, ((_, _, part), offset) in enumerate(zip(todo, offsets, strict=True))
        ],
        ignore_index=True,
    )
    new["remit_id"] = store.reserve_ids(conn, tables.remittances, "remit_id", len(new))
    file_of = new.set_index("remit_id")["file_pos"]
    practice = _practice(conn, org_id, remit, new)
    clock.mark("read")
    found = evaluate(remit, new.drop(columns="file_pos"), practice, pd.Timestamp(now[:10]))
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
    _write(conn, org_id, found, file_of.map(dict(enumerate(file_ids))))
    _cancel_reversed(conn, org_id, found.reversed)
    clock.mark("write")
    task_ids = store.reserve_ids(conn, tables.tasks, "task_id", len(plan.opened))
    opened = tasks.apply(conn, org_id, who.actor, plan, task_ids, now)
    store.insert_rows(conn, tables.findings, _org_rows(tasks.link(found.findings, opened), org_id))
    clock.mark("write tasks and findings")
    names = [(f.name, len(f.txns)) for _, f, _ in todo]
    results = _results(names, file_of, found, plan, open_tasks)
    for (_, f, _), file_id, result in zip(todo, file_ids, results, strict=True):
        details = {**asdict(result), "sha256": f.digest, "remit_file_id": file_id}
        access.audit_action(conn, org_id, who, "import.era", f.name, details=details)
    clock.mark("audit")
    return results


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


def _write(conn: Connection, org_id: str, found: Evaluation, file_ids: pd.Series) -> None:
    """The evaluation's rows, in the caller's transaction (findings come with the tasks);
    ``file_ids``: each remit_id's remit_file_id."""
    remittances = found.remittances.assign(
        remit_file_id=found.remittances["remit_id"].map(file_ids).astype("int64")
    )
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


def _results(
    files: list[tuple[str, int]],
    file_of: pd.Series,
    found: Evaluation,
    plan: tasks.Plan,
    open_tasks: pd.DataFrame,
) -> list[PostResult]:
    """Each file's ``PostResult`` (``files``: name, payments in the file), counted per file
    by the remit_id each row was posted under (``file_of``: remit_id → file position)."""
    n = len(files)

    def per_file(remit_ids: pd.Series, where: pd.Series | np.ndarray | None = None) -> list[int]:
        pos = remit_ids.map(file_of).to_numpy(dtype=np.int64)
        if where is not None:
            pos = pos[np.asarray(where, dtype=bool)]
        return np.bincount(pos, minlength=n).tolist()

    lines, claims, problems = found.lines, found.claims, found.problems
    remits, denial = found.remittances, found.denials["denial_class"]
    # A recovered task belongs to the file that paid its claim (no two files of a batch
    # pay the same claim).
    claim_remit = lines.drop_duplicates("claim_id").set_index("claim_id")["remit_id"]
    recovered = (
        plan.recovered["task_id"].map(open_tasks.set_index("task_id")["claim_id"]).map(claim_remit)
    )
    counts = {
        "transactions": [in_file for _, in_file in files],
        "duplicates": [
            in_file - posted
            for (_, in_file), posted in zip(files, per_file(remits["remit_id"]), strict=True)
        ],
        "claims": per_file(claims["remit_id"]),
        "lines": per_file(lines["remit_id"]),
        "reversals": per_file(found.reversed["by_remit"]),
        "unmatched_claims": per_file(claims["remit_id"], ~claims["matched"].astype(bool)),
        "unmatched_lines": per_file(problems["remit_id"], problems["kind"].eq("unmatched_line")),
        "unbalanced": per_file(remits["remit_id"], ~remits["balanced"].astype(bool)),
        "unknown_payers": per_file(remits["remit_id"], remits["payer_id"].isna()),
        "underpaid": per_file(lines["remit_id"], lines["outcome"].eq("underpaid")),
        "overpaid": per_file(lines["remit_id"], lines["outcome"].eq("overpaid")),
        "denied": per_file(found.denials["remit_id"], denial.eq("denied")),
        "bundled": per_file(found.denials["remit_id"], denial.eq("bundled")),
        "tasks_opened": per_file(plan.opened["remit_id"]),
        "tasks_recovered": per_file(recovered),
    }
    return [
        PostResult(name, **{field: int(values[k]) for field, values in counts.items()})
        for k, (name, _) in enumerate(files)
    ]
