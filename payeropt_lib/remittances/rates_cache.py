"""The practice's rate tables, read once for many postings while no import changes them.

A practice's remittances come as many small files (a year: ~1,500 of 2-30 claims); reading
its payer aliases, contracts, fee schedules and Medicare fees again for each one was a
fixed cost of every file. ``rate_tables`` keeps the frames of the last read per database
and practice, with a version stamp read from the database on every call: the count, the
latest id and the latest time of the practice's imports of contracts (which also replace
its aliases), fee schedules and Medicare fees. Only an import changes those tables, and it
inserts its ``imports`` row in the same transaction, under the practice's writer lock
(``store.writing``): so ids of one practice's imports grow in commit order, and a caller
holding that lock (posting) or reading one snapshot sees the stamp of exactly the tables it
would read. Imports run in other processes too; the stamp, not this process, is what says
whether the kept frames are current. CMS's fee library (``reference.library``) fills the
Medicare amounts the practice's own file lacks, so its releases are part of the stamp.

The frames are shared between callers: treat them as read-only (pandas copy-on-write makes
any change a caller's own copy).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, select

from payeropt_lib import store
from payeropt_lib.reference import library
from payeropt_lib.store import tables

# The import kinds that write the rate tables (contracts also replace the payer aliases).
RATE_KINDS = ("contracts", "fee-schedules", "medicare-fees")
KEEP = 16  # practices kept per process


@dataclass(frozen=True)
class RateTables:
    """One practice's rate tables as ``store.read_frame`` reads them."""

    aliases: pd.DataFrame  # alias, payer_id
    contracts: pd.DataFrame
    fee_schedules: pd.DataFrame
    medicare_fees: pd.DataFrame


_lock = threading.Lock()
_kept: dict[tuple[str, str], tuple[tuple, RateTables]] = {}


def stamp(conn: Connection, org_id: str) -> tuple:
    """The version of the practice's rate tables: (count, latest id, latest time, latest
    sha256) of its rate imports."""
    imp = tables.imports
    where = (imp.c.org_id == org_id, imp.c.kind.in_(RATE_KINDS))
    count, last_id, last_at = conn.execute(
        select(func.count(), func.max(imp.c.import_id), func.max(imp.c.imported_at)).where(*where)
    ).one()
    digest = None
    if last_id is not None:
        digest = conn.execute(
            select(imp.c.sha256).where(*where, imp.c.import_id == last_id)
        ).scalar()
    # CMS's fee library fills the Medicare amounts the practice's file lacks: its
    # releases change the practice's rates too.
    return (int(count), last_id, last_at, digest, library.stamp(conn))


def read_rate_tables(conn: Connection, org_id: str) -> RateTables:
    """The practice's rate tables read now, not kept: for a transaction that is changing
    them (an import re-evaluating posted lines), whose stamp may yet be rolled back."""
    contracts = store.read_frame(conn, tables.contracts, org_id)
    return RateTables(
        aliases=store.read_frame(conn, tables.payer_aliases, org_id, ["alias", "payer_id"]),
        contracts=contracts,
        fee_schedules=store.read_frame(conn, tables.fee_schedules, org_id),
        medicare_fees=medicare_fees(conn, org_id, contracts),
    )


def medicare_fees(
    conn: Connection, org_id: str, contracts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The practice's Medicare amounts as every reader prices them: its own rows, and
    CMS's fee library wherever it has none (``library.completed``), for the localities of
    its ``contracts`` (read when not given) and its own."""
    if contracts is None:
        contracts = store.read_frame(conn, tables.contracts, org_id, ["medicare_locality"])
    own = store.read_frame(conn, tables.medicare_fees, org_id)
    return library.completed(conn, own, localities(conn, org_id, contracts))


def localities(conn: Connection, org_id: str, contracts: pd.DataFrame) -> list[str]:
    """The Medicare localities the practice's rates are priced by: its contracts' and its
    own."""
    own = conn.execute(
        select(tables.orgs.c.locality).where(tables.orgs.c.org_id == org_id)
    ).scalar_one_or_none()
    named = contracts["medicare_locality"].dropna().astype(str).tolist()
    return sorted({*named, *([own] if own else [])})


def rate_tables(conn: Connection, org_id: str) -> RateTables:
    """The practice's aliases, contracts, fee schedules and Medicare fees, as of ``conn``'s
    transaction: the kept frames when the stamp is the one they were read under."""
    key = (conn.engine.url.render_as_string(hide_password=True), org_id)
    now = stamp(conn, org_id)
    with _lock:
        kept = _kept.get(key)
    if kept is not None and kept[0] == now:
        return kept[1]
    read = read_rate_tables(conn, org_id)
    with _lock:
        if key not in _kept and len(_kept) >= KEEP:
            _kept.pop(next(iter(_kept)))
        _kept[key] = (now, read)
    return read


def forget() -> None:
    """Drop every kept practice (tests; a database replaced under the same URL)."""
    with _lock:
        _kept.clear()
