"""What every page works from: one practice's store, opened read-only, and its report dates.

``context`` opens the store for a page (refusing a practice that has not opted in) and
settles the period and the Medicare locality; ``load`` reads one of the tables a page may
read (``REPORT_TABLES``: never the remitted claims, which hold patient names, nor the
audit trail).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from payeropt_lib import config, formats, store
from payeropt_lib.analytics import privacy
from payeropt_lib.errors import BadReportDate, NotOptedIn, StoreError, UnknownTable
from payeropt_lib.pricing import contracts
from payeropt_lib.remittances import rates_cache
from payeropt_lib.store import orgs, tables

from . import cache

# Tables a page may load: the imported data, and what posting 835s made of it. Not the
# remitted claims themselves (they hold patient names) nor the audit log.
REPORT_TABLES = (
    *tables.DATA_TABLES,
    tables.remittances,
    tables.remit_lines,
    tables.remit_adjustments,  # CAS rows: group, reason, amount; no patient
    tables.findings,
    tables.denials,
    tables.tasks,
    tables.rules,  # the payer's rules: no patient, no claim
    tables.suggestions,  # coding suggestions: a page loads no claim id past its compute
)


@dataclass(frozen=True)
class Context:
    """One practice's report run: its store, dates and Medicare locality."""

    org_id: str
    engine: Engine = field(repr=False)
    org: dict
    as_of: pd.Timestamp
    period_start: pd.Timestamp | None  # first date of service (None: the practice has none)
    period_end: pd.Timestamp | None
    locality: str | None  # the practice's Medicare locality, reference for "% of Medicare"
    data_through: pd.Timestamp | None  # latest date of service on file
    last_import: str | None  # ISO UTC time of the latest import

    @property
    def name(self) -> str:
        return str(self.org["name"])


def parse_day(name: str, value: str | dt.date | None) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(value).strip()[:10]))
    except ValueError:
        raise BadReportDate(name, str(value)) from None


def existing_database(url: str) -> str:
    """A report only reads: a missing SQLite file is an error, not a new empty database."""
    parsed = make_url(store.normalize_url(url))
    db = parsed.database
    if parsed.get_backend_name() == "sqlite" and db and db != ":memory:" and not Path(db).exists():
        hint = "run 'make demo' first" if url == config.demo_db_url() else "check the URL"
        raise StoreError(store.redact(url), f"no database file at {db}; {hint}")
    return url


def context(
    org_id: str,
    db_url: str = "",
    period_start: str = "",
    period_end: str = "",
    as_of: str = "",
    suppress_below: int = 0,
) -> Context:
    """Open the store for a page, settle its dates and its cell size.

    Empty ``db_url`` = ``PAYEROPT_DB`` else the demo database; empty ``as_of`` = today;
    an empty period bound = the first / last date of service on file. Refuses a practice
    that has not opted in (``NotOptedIn``). ``suppress_below``: the page hides counts from
    1 to N-1 (``privacy.set_small_cell``, for this process); 0, the default, hides none,
    since a practice's own packet shows it its own counts (docs/report.md, "Small cells").
    """
    privacy.set_small_cell(int(suppress_below or 0))
    engine = store.engine_for(existing_database(config.resolve_db_url(db_url, for_notebook=True)))
    org = orgs.get(engine, org_id)
    if not org["opted_in"]:
        raise NotOptedIn(org_id, "report.run")
    day = parse_day("as_of", as_of) or pd.Timestamp(dt.date.today())
    start, end = parse_day("period_start", period_start), parse_day("period_end", period_end)
    charges = tables.charges
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(charges.c.date_of_service), func.max(charges.c.date_of_service)).where(
                charges.c.org_id == org_id
            )
        ).one()
        last_import = conn.execute(
            select(func.max(tables.imports.c.imported_at)).where(tables.imports.c.org_id == org_id)
        ).scalar_one()
    first = pd.Timestamp(first) if first is not None else None
    last = pd.Timestamp(last) if last is not None else None
    start, end = start or first, end or last
    if start is not None and end is not None and end < start:
        raise BadReportDate(
            "period", f"{formats.day(start)} to {formats.day(end)}", "ends before it starts"
        )
    terms = store.read_frame(
        engine,
        tables.contracts,
        org_id,
        columns=["payer_class", "effective_from", "medicare_locality"],
    )
    return Context(
        org_id=org_id,
        engine=engine,
        org=org,
        as_of=day,
        period_start=start,
        period_end=end,
        locality=contracts.practice_locality(org, terms),
        data_through=last,
        last_import=last_import,
    )


def load(ctx: Context, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One of the practice's tables (``REPORT_TABLES``) as a typed frame
    (``store.read_frame``); pass ``columns`` to load only what the page needs. In a packet
    run, read from the store once and then shared by every page (``cache``)."""
    table = {t.name: t for t in REPORT_TABLES}.get(name)
    if table is None:
        raise UnknownTable(name, tuple(t.name for t in REPORT_TABLES))
    # The columns by name in the key: a short digest keeps the file name short.
    wanted = hashlib.sha1(repr(columns).encode()).hexdigest()[:12]
    return cache.shared(f"load-{ctx.org_id}-{name}-{wanted}", lambda: _read(ctx, table, columns))


def _read(ctx: Context, table, columns: list[str] | None) -> pd.DataFrame:  # noqa: ANN001
    """A table as the practice's rates stand: the Medicare amounts its file lacks come
    from CMS's fee library, as posting prices them (``rates_cache.read_rate_tables``)."""
    if table is tables.medicare_fees and columns is None:
        with ctx.engine.connect() as conn:
            return rates_cache.medicare_fees(conn, ctx.org_id)
    return store.read_frame(ctx.engine, table, ctx.org_id, columns=columns)
