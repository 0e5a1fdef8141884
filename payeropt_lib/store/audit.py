"""The audit trail: append-only, one hash chain per org, signed with a key kept outside
the database.

Each entry's hash covers its own fields and the previous entry's hash; the org row keeps
the chain's head (last seq and hash). Entries are keyed: HMAC-SHA256 with the key of
``audit_key`` (scheme ``hmac-sha256``, the key's id stored with the entry), so someone who
can write the database but not read the key cannot recompute them. Entries written before
keying keep their plain SHA-256 (scheme ``sha256``); migration 0007 sealed each such trail
with a keyed entry, so a legitimate trail always ends keyed. ``verify`` notices an edited
entry, a deleted one (a gap or a broken link), a trail re-hashed without the key, a deleted
tail (the org's head, and, beyond what the head can tell, a signed anchor: ``anchors``).
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

from payeropt_lib.errors import AuditKeyMismatch, UnknownOrg

from . import audit_key, tables
from .audit_key import AuditKey
from .database import writing

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
SHA256 = "sha256"  # plain SHA-256: entries written before migration 0007
HMAC = "hmac-sha256"  # keyed with the audit key
# The fields a plain SHA-256 entry's hash covers (with org_id); a keyed hash also covers
# the scheme and the key id, so neither can be swapped without the key.
HASHED = [
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
]
COLUMNS = [*HASHED, "hash", "scheme", "key_id"]
# What the key is needed for, when it is missing at verify time.
NEEDED_TO_VERIFY = "the trail is signed with it and cannot be verified without it"


def utc_now() -> str:
    """ISO-8601 UTC with microseconds: sorts as text and hashes the same on every dialect."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: object) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def entry_hash(org_id: str, entry: dict) -> str:
    """Plain SHA-256 over the entry's fields (canonical JSON) and the previous hash: how
    entries were hashed before keying (scheme ``sha256``)."""
    fields = {k: entry[k] for k in HASHED}
    fields["org_id"] = org_id
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def keyed_hash(key: AuditKey, org_id: str, entry: dict) -> str:
    """HMAC-SHA256 with ``key`` over the entry's fields, its scheme and key id (canonical
    JSON) and the previous hash (scheme ``hmac-sha256``)."""
    fields = {k: entry[k] for k in (*HASHED, "scheme", "key_id")}
    fields["org_id"] = org_id
    return key.sign(canonical_json(fields))


@dataclass(frozen=True)
class Head:
    """Where a chain ends: the last entry's seq, hash and time (seq 0: an empty chain)."""

    seq: int
    hash: str
    at: str


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
    """Append one keyed entry to the org's chain inside the caller's transaction; returns
    its seq."""
    one = {"actor": actor, "role": role, "action": action, "target": target,
           "outcome": outcome, "details": details, "patient_id": patient_id}  # fmt: skip
    return record_many(conn, org_id, [one])[-1]


def record_many(conn: Connection, org_id: str, entries: list[dict]) -> list[int]:
    """Append ``entries`` (each with the fields of ``record``: actor, role, action and
    optionally target, outcome, details, patient_id), in order, to the org's chain inside
    the caller's transaction; returns their seqs. One read of the head, one insert, one
    write of the head, however many: a review that approves 100,000 NCCI edits writes
    100,000 entries in a second, each its own link of the chain."""
    if not entries:
        return []
    orgs = tables.orgs
    head = conn.execute(
        select(orgs.c.audit_seq, orgs.c.audit_head)
        .where(orgs.c.org_id == org_id)
        .with_for_update()  # the caller holds the org's writer lock (database.writing)
    ).one_or_none()
    if head is None:
        raise UnknownOrg(org_id)
    key = _signing_key(conn, org_id, int(head.audit_seq))
    at = utc_now()
    seq, prev = int(head.audit_seq), head.audit_head
    rows = []
    for given in entries:  # a chain: each hash covers the one before it
        seq += 1
        entry = {
            "seq": seq,
            "at": at,
            "actor": given["actor"],
            "role": given["role"],
            "action": given["action"],
            "target": given.get("target", ""),
            "outcome": given.get("outcome", "ok"),
            "details": canonical_json(given.get("details") or {}),
            "patient_id": given.get("patient_id"),
            "prev_hash": prev,
            "scheme": HMAC,
            "key_id": key.key_id,
        }
        entry["hash"] = prev = keyed_hash(key, org_id, entry)
        rows.append({"org_id": org_id, **entry})
    conn.execute(tables.audit_log.insert(), rows)
    conn.execute(
        update(orgs).where(orgs.c.org_id == org_id).values(audit_seq=seq, audit_head=prev)
    )
    return [r["seq"] for r in rows]


def _signing_key(conn: Connection, org_id: str, last_seq: int) -> AuditKey:
    """The key to sign the org's next entry: the one its last entry is signed with. Made at
    first use, when the store has no keyed entry at all; refused when missing or another,
    rather than starting a chain no key checks whole (a second machine writing the store
    with a key of its own)."""
    log = tables.audit_log
    last = None
    if last_seq:
        last = conn.execute(
            select(log.c.scheme, log.c.key_id).where(log.c.org_id == org_id, log.c.seq == last_seq)
        ).one_or_none()
    if last is not None and last.scheme == HMAC:
        key = audit_key.load(
            f"the audit trail of {org_id!r} is signed with it (key {last.key_id})"
        )
        if key.key_id != last.key_id:
            raise AuditKeyMismatch(org_id, str(key.path), str(last.key_id), key.key_id)
        return key
    if audit_key.exists():
        return audit_key.load("it signs the audit trail")
    # A new trail and no key here: made only if no trail of the store is keyed yet (this
    # reads one key id across practices, no practice's data).
    signed = conn.execute(select(log.c.key_id).where(log.c.scheme == HMAC).limit(1)).scalar()
    if signed is not None:  # the store's key is elsewhere
        raise audit_key.missing(f"this store's audit trails are signed with it (key {signed})")
    return audit_key.load_or_create()


def record_refusal(engine: Engine, org_id: str, **fields) -> None:
    """A refused action is audited in a transaction of its own (nothing else happened)."""
    with writing(engine, org_id) as conn:
        record(conn, org_id, outcome="refused", **fields)


def head(conn: Connection, org_id: str) -> Head:
    """The org's chain head as its row says, with the time of that entry."""
    orgs, log = tables.orgs, tables.audit_log
    row = conn.execute(
        select(orgs.c.audit_seq, orgs.c.audit_head).where(orgs.c.org_id == org_id)
    ).one_or_none()
    if row is None:
        raise UnknownOrg(org_id)
    at = conn.execute(
        select(log.c.at).where(log.c.org_id == org_id, log.c.seq == row.audit_seq)
    ).scalar_one_or_none()
    return Head(int(row.audit_seq), row.audit_head, at or "")


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: ``problems`` in the order met (empty = intact); ``broken_at``
    the first entry concerned; ``anchor`` the anchored head held to, if any, and
    ``anchor_from`` where that anchor was read."""

    org_id: str
    entries: int
    problems: tuple[str, ...]
    broken_at: int | None = None
    anchor: Head | None = None
    anchor_from: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def entries(first: int, last: int) -> str:
    """'entry 4' or 'entries 4–9'."""
    return f"entry {first}" if first == last else f"entries {first}–{last}"


class _Findings:
    """Problems found entry by entry; the same problem on consecutive entries reads as one
    line ("entries 3–40: ..."): a trail re-hashed from entry 3 on is one finding, not 38."""

    def __init__(self) -> None:
        self.runs: list[list] = []  # [first seq, last seq, text, mergeable]

    def add(self, seq: int, text: str, *, per_entry: bool = True) -> None:
        last = self.runs[-1] if self.runs else None
        if per_entry and last and last[3] and last[2] == text and last[1] + 1 == seq:
            last[1] = seq
        else:
            self.runs.append([seq, seq, text, per_entry])

    def lines(self) -> tuple[str, ...]:
        out = []
        for first, last, text, per_entry in self.runs:
            if not per_entry:
                out.append(text)
            else:
                out.append(f"{entries(first, last)}: {text}")
        return tuple(out)

    def first(self) -> int | None:
        return min((r[0] for r in self.runs), default=None)


def verify(
    conn: Connection | Engine,
    org_id: str,
    key: AuditKey | None = None,
    anchored: Head | None = None,
) -> Verdict:
    """Recompute the org's chain with ``key`` (default: the key on file; ``AuditKeyMissing``
    without one) and hold it to ``anchored``, a head signed earlier (``anchors``): every
    problem found is listed (empty = intact)."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return verify(c, org_id, key, anchored)
    key = key or audit_key.load(NEEDED_TO_VERIFY)
    org_head = conn.execute(
        select(tables.orgs.c.audit_seq, tables.orgs.c.audit_head).where(
            tables.orgs.c.org_id == org_id
        )
    ).one_or_none()
    if org_head is None:
        raise UnknownOrg(org_id)
    log = tables.audit_log
    rows = conn.execute(
        select(*[log.c[c] for c in COLUMNS]).where(log.c.org_id == org_id).order_by(log.c.seq)
    ).mappings()
    found = _Findings()
    expected_prev, expected_seq, count = GENESIS, 1, 0
    keyed_seen, anchored_hash = False, None
    # The chain is sequential by nature; audit trails are thousands of rows, not millions.
    for row in rows:
        count += 1
        entry, seq = dict(row), row["seq"]
        if seq != expected_seq:
            gone = entries(expected_seq, seq - 1)
            verb = "is" if seq == expected_seq + 1 else "are"
            found.add(expected_seq, f"{gone} {verb} missing (next is {seq})", per_entry=False)
        if entry["prev_hash"] != expected_prev:
            found.add(seq, "link to the previous entry is broken")
        problem = _hash_problem(key, org_id, entry, keyed_seen)
        if problem:
            found.add(seq, problem)
        keyed_seen = keyed_seen or entry["scheme"] == HMAC
        if anchored is not None and seq == anchored.seq:
            anchored_hash = entry["hash"]
        expected_prev, expected_seq = entry["hash"], seq + 1
    last = expected_seq - 1
    if count and not keyed_seen:
        found.add(1, (
            f"{entries(1, last)}: only unkeyed hashes, and no keyed entry follows: "
            "every trail is keyed since migration 0007 (which sealed older ones), so they "
            "were re-hashed without the key, or the keyed entries after them were deleted"
        ), per_entry=False)  # fmt: skip
    if not count and org_id != tables.SYSTEM_ORG:
        found.add(1, "the trail is empty, but a practice's trail starts with practice.create "
                  "(every entry deleted)", per_entry=False)  # fmt: skip
    if org_head.audit_seq != last or org_head.audit_head != expected_prev:
        found.add(last + 1, (
            f"the chain ends at entry {last} but the practice's head says "
            f"{org_head.audit_seq} (entries deleted at the end)"
        ), per_entry=False)  # fmt: skip
    if anchored is not None:
        if last < anchored.seq:
            found.add(last + 1, (
                f"the chain ends at entry {last}, but the anchor of {anchored.at} says it had "
                f"{anchored.seq}: {entries(last + 1, anchored.seq)} deleted"
            ), per_entry=False)  # fmt: skip
        elif anchored_hash != anchored.hash:
            found.add(anchored.seq, (
                f"entry {anchored.seq} is not the one anchored on {anchored.at}: the trail up "
                "to it was rewritten"
            ), per_entry=False)  # fmt: skip
    return Verdict(org_id, count, found.lines(), found.first(), anchored)


def _hash_problem(key: AuditKey, org_id: str, entry: dict, keyed_seen: bool) -> str | None:
    """What is wrong with the entry's own hash under its scheme, if anything."""
    if entry["scheme"] == HMAC:
        if entry["key_id"] != key.key_id:
            return (
                f"signed with key {entry['key_id'] or '(none named)'}, not with the key at "
                f"{key.path} ({key.key_id})"
            )
        if keyed_hash(key, org_id, entry) != entry["hash"]:
            return "content does not match its keyed hash (edited, or re-hashed without the key)"
        return None
    if entry["scheme"] != SHA256:
        return f"unknown hash scheme {entry['scheme']!r}"
    if keyed_seen:  # keying never stops: an unkeyed entry after a keyed one was forged
        return "unkeyed hash after keyed entries (re-hashed without the key)"
    if entry_hash(org_id, entry) != entry["hash"]:
        return "content does not match its hash (edited)"
    return None


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
