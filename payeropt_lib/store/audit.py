"""The audit trail: append-only, one SHA-256 hash chain per org.

Each entry's hash covers its own fields and the previous entry's hash, and the org row
keeps the chain's head (last seq and hash), so ``verify`` notices an edited entry, a
deleted one (a gap or a broken link) and a deleted tail (the head no longer matches).
The entry is written by the verb that changes state, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from payeropt_lib.errors import UnknownOrg

from . import tables
from .database import writing

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
COLUMNS = [
    "seq",
    "at",
    "actor",
    "role",
    "action",
    "target",
    "outcome",
    "details",
    "patient_id",
    "prev_hash",
    "hash",
]


def utc_now() -> str:
    """ISO-8601 UTC with microseconds: sorts as text and hashes the same on every dialect."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: object) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def entry_hash(org_id: str, entry: dict) -> str:
    """SHA-256 over the entry's fields (canonical JSON) and the previous hash."""
    fields = {k: entry[k] for k in COLUMNS if k != "hash"}
    fields["org_id"] = org_id
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def record(
    conn: Connection,
    org_id: str,
    *,
    actor: str,
    role: str,
    action: str,
    target: str = "",
    outcome: str = "ok",
    details: dict | None = None,
    patient_id: str | None = None,
) -> int:
    """Append one entry to the org's chain inside the caller's transaction; returns its seq."""
    orgs = tables.orgs
    head = conn.execute(
        select(orgs.c.audit_seq, orgs.c.audit_head)
        .where(orgs.c.org_id == org_id)
        .with_for_update()  # the caller holds the org's writer lock (database.writing)
    ).one_or_none()
    if head is None:
        raise UnknownOrg(org_id)
    entry = {
        "seq": int(head.audit_seq) + 1,
        "at": utc_now(),
        "actor": actor,
        "role": role,
        "action": action,
        "target": target,
        "outcome": outcome,
        "details": canonical_json(details or {}),
        "patient_id": patient_id,
        "prev_hash": head.audit_head,
    }
    entry["hash"] = entry_hash(org_id, entry)
    conn.execute(tables.audit_log.insert().values(org_id=org_id, **entry))
    conn.execute(
        update(orgs)
        .where(orgs.c.org_id == org_id)
        .values(audit_seq=entry["seq"], audit_head=entry["hash"])
    )
    return entry["seq"]


def record_refusal(engine: Engine, org_id: str, **fields) -> None:
    """A refused action is audited in a transaction of its own (nothing else happened)."""
    with writing(engine, org_id) as conn:
        record(conn, org_id, outcome="refused", **fields)


@dataclass(frozen=True)
class Verdict:
    org_id: str
    entries: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(conn: Connection | Engine, org_id: str) -> Verdict:
    """Recompute the org's chain; every problem found is listed (empty = intact)."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return verify(c, org_id)
    head = conn.execute(
        select(tables.orgs.c.audit_seq, tables.orgs.c.audit_head).where(
            tables.orgs.c.org_id == org_id
        )
    ).one_or_none()
    if head is None:
        raise UnknownOrg(org_id)
    log = tables.audit_log
    rows = conn.execute(
        select(*[log.c[c] for c in COLUMNS]).where(log.c.org_id == org_id).order_by(log.c.seq)
    ).mappings()
    problems: list[str] = []
    expected_prev, expected_seq, count = GENESIS, 1, 0
    # The chain is sequential by nature; audit trails are thousands of rows, not millions.
    for row in rows:
        count += 1
        entry = dict(row)
        if entry["seq"] != expected_seq:
            problems.append(f"entry {expected_seq} is missing (next is {entry['seq']})")
        if entry["prev_hash"] != expected_prev:
            problems.append(f"entry {entry['seq']}: link to the previous entry is broken")
        if entry_hash(org_id, entry) != entry["hash"]:
            problems.append(f"entry {entry['seq']}: content does not match its hash (edited)")
        expected_prev, expected_seq = entry["hash"], entry["seq"] + 1
    if head.audit_seq != expected_seq - 1 or head.audit_head != expected_prev:
        problems.append(
            f"the chain ends at entry {expected_seq - 1} but the practice's head says "
            f"{head.audit_seq} (entries deleted at the end)"
        )
    return Verdict(org_id, count, tuple(problems))


def search(
    conn: Connection | Engine,
    org_id: str,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    action: str | None = None,
    actor: str | None = None,
    patient_id: str | None = None,
) -> pd.DataFrame:
    """Entries of one org, oldest first. ``date_to`` is inclusive (the whole day).

    ``action`` matches exactly or as a prefix ending in '.' (``import`` finds
    ``import.charges``). Columns: see ``COLUMNS``.
    """
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return search(
                c,
                org_id,
                date_from=date_from,
                date_to=date_to,
                action=action,
                actor=actor,
                patient_id=patient_id,
            )
    log = tables.audit_log
    where = [log.c.org_id == org_id]
    if date_from:
        where.append(log.c.at >= date_from.isoformat())
    if date_to:
        where.append(log.c.at < (date_to + dt.timedelta(days=1)).isoformat())
    if action:
        where.append((log.c.action == action) | log.c.action.startswith(action + "."))
    if actor:
        where.append(log.c.actor == actor)
    if patient_id:
        where.append(log.c.patient_id == patient_id)
    result = conn.execute(select(*[log.c[c] for c in COLUMNS]).where(*where).order_by(log.c.seq))
    return pd.DataFrame(result.fetchall(), columns=COLUMNS)
