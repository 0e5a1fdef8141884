"""The store: engine from URL, schema migrations, set-based bulk loads, typed frame reads.

SQLite (a file, the default) and PostgreSQL (by URL) behave the same to callers. Every
read takes an ``org_id``: there is no helper that reads across practices.

Concurrency (docs/architecture.md, "The store under load"): a read is ``engine.connect()``
and never waits for a writer (SQLite: WAL and a deferred BEGIN; PostgreSQL: MVCC). A
write is ``writing(engine, org_id)``: one transaction that first takes the practice's
writer lock (SQLite: BEGIN IMMEDIATE, the database's one write lock; PostgreSQL: an
advisory lock on the practice), so writers of one practice run one after another and see
each other's commits.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import (
    ARRAY,
    Connection,
    Engine,
    Integer,
    Table,
    any_,
    create_engine,
    event,
    func,
    literal,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from payeropt_lib.config import resolve_db_url
from payeropt_lib.errors import StoreError

from . import tables

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Rows per executemany batch on SQLite / per COPY chunk on PostgreSQL: bounds memory on a
# million-line file while keeping the per-call overhead negligible.
BATCH_ROWS = 100_000
# Values per ``read_in`` query: one bound array/JSON parameter each; bounds memory only.
IN_CHUNK = 100_000

# PostgreSQL advisory locks: the migration lock (one bigint key) and the class of the
# per-practice writer locks (two int4 keys: this class and hashtext(org_id); the two key
# spaces never overlap).
MIGRATION_LOCK = 727274
WRITER_LOCK_CLASS = 727275
# An execution option marking a connection as a writer's (SQLite: BEGIN IMMEDIATE).
_WRITER = "payeropt_writer"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001 - DBAPI types
        # pysqlite's own transaction handling skips BEGIN before DDL; take it over so a
        # whole import (temp tables included) is one real transaction.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")  # readers (reports) never block the writer
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process kill
        cur.execute("PRAGMA busy_timeout=60000")  # parallel report workers wait, not fail
        # 256 MiB page cache: a million-row load into an indexed table stays in memory
        # instead of re-reading B-tree pages (default is 2 MiB).
        cur.execute("PRAGMA cache_size=-262144")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # A writer takes the write lock at BEGIN (waiting up to busy_timeout for another
        # writer); a deferred BEGIN reads one WAL snapshot and never waits for a writer.
        writer = conn.get_execution_options().get(_WRITER, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


@contextlib.contextmanager
def writing(engine: Engine, org_id: str | None) -> Iterator[Connection]:
    """One writing transaction for the practice ``org_id``: committed on leaving, rolled
    back on an exception.

    Its first act is the practice's writer lock, held to the end, so two writers of one
    practice never interleave: the second starts once the first has committed and sees
    what it wrote (the file it imported, the payments it posted). SQLite: BEGIN IMMEDIATE,
    the database's single write lock (waited for up to the busy timeout). PostgreSQL:
    ``pg_advisory_xact_lock`` on a hash of the org id, taken before any row lock, so no
    two writers of a practice can wait on each other's row locks (the child rows' key-share
    locks on the org row against the audit chain's FOR UPDATE deadlocked). ``org_id``
    None: SQLite's write lock only (migrations take their own lock).

    Every transaction that writes goes through here; readers use ``engine.connect()``.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITER: True})
        try:
            transaction = conn.begin()
        except OperationalError as exc:  # SQLite: another writer held the lock throughout
            if "locked" not in str(exc):
                raise
            reason = "another command kept writing for the whole busy timeout; try again"
            raise StoreError(redact(str(engine.url)), reason) from exc
        with transaction:
            if org_id is not None and conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:lock_class, hashtext(:org))"),
                    {"lock_class": WRITER_LOCK_CLASS, "org": org_id},
                )
            yield conn


def engine_for(url: str | None = None, *, migrate: bool = True) -> Engine:
    """The engine for a URL (cached per process), with migrations applied on first use."""
    url = normalize_url(resolve_db_url(url))
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, pool_pre_ping=True)
            if engine.dialect.name == "sqlite":
                _sqlite_pragmas(engine)
            try:
                with engine.connect():
                    pass
            except OperationalError as exc:
                engine.dispose()
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise StoreError(redact(url), f"cannot connect ({reason})") from exc
            if migrate:
                upgrade(engine)
            _engines[url] = engine
    return engine


def dispose_all() -> None:
    """Close every cached engine (tests, and forked worker processes)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _alembic_config(connection: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Apply pending migrations (up to ``revision``: tests build an older schema); returns
    the revision now in force.

    The check is a read (no lock) when the schema is current, as it is on every use but
    the first: a command never waits for a writer to learn that. Otherwise an advisory
    lock on PostgreSQL serializes concurrent first uses (parallel report workers);
    SQLite's BEGIN IMMEDIATE does the same for a file.
    """
    from alembic import command

    head = head_revision() if revision == "head" else revision
    if current_revision(engine) == head:
        return head
    with writing(engine, None) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        command.upgrade(_alembic_config(conn), head)
    logger.info("database migrated to %s", head)
    return head


# --- bulk loading ---------------------------------------------------------------------


def _sqlite_values(col: pd.Series, column) -> list:
    """A column as the Python values SQLite binds: dates as ISO text (formatted once per
    distinct day), NA as None, booleans as bools, everything else as Arrow reads it (one
    call per column, not one conversion per value)."""
    kind = column.type.__class__.__name__
    if kind == "Date":
        codes, days = pd.factorize(pd.to_datetime(col))
        iso = np.append(np.asarray(days.strftime("%Y-%m-%d"), dtype=object), None)
        return iso[codes].tolist()  # code -1 (NaT) picks the trailing None
    if kind == "Boolean":
        col = col.astype("boolean")
    try:
        return pa.array(col, from_pandas=True).to_pylist()
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python objects
        return col.astype(object).where(col.notna(), None).tolist()


def bulk_insert(conn: Connection, table: Table | str, frame: pd.DataFrame) -> int:
    """Insert a whole frame, set-based: COPY on PostgreSQL, batched executemany on SQLite.

    ``table`` may be a ``Table`` or the name of a temporary table shaped like one (then the
    frame's columns are taken as they are). Runs inside the caller's transaction.
    """
    if frame.empty:
        return 0
    name = table if isinstance(table, str) else table.name
    shape = _shape_of(table)
    columns = list(frame.columns)
    if conn.dialect.name == "postgresql":
        _copy_pg(conn, name, shape, frame)
    else:
        sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        raw = conn.connection.driver_connection
        for start in range(0, len(frame), BATCH_ROWS):
            part = frame.iloc[start : start + BATCH_ROWS]
            values = [_sqlite_values(part[c], shape.c[c]) for c in columns]
            raw.executemany(sql, zip(*values, strict=True))
    return len(frame)


def insert_rows(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """``bulk_insert`` of the frame's columns that ``table`` has, leaving out the nullable
    columns that are NULL on every row: they take their NULL default, and there are fewer
    values to bind or COPY (an 835's optional elements: CLP10-14, SVC04, SVC06, ...)."""
    if frame.empty:  # a small 835's PLB, problems, denials: nothing to look at
        return 0
    columns = [
        c
        for c in frame.columns
        if c in table.c
        and not (
            table.c[c].nullable and table.c[c].server_default is None and frame[c].isna().all()
        )
    ]
    return bulk_insert(conn, table, frame[columns])


def reserve_ids(conn: Connection, table: Table, id_column: str, n: int) -> list[int]:
    """``n`` new ids for ``table``'s autoincrement ``id_column``, in increasing order.

    What INSERT ... RETURNING would hand out, without sending each row as its own VALUES
    group (SQLAlchemy's insertmanyvalues on psycopg spent ~0.3 s splitting the placeholders
    of a few hundred tasks). PostgreSQL: from the column's sequence, as its default would;
    SQLite: after the largest id, as its rowid would (the caller holds the write lock: a
    transaction that has written, or BEGIN IMMEDIATE).
    """
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        ids = conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, :c)) FROM generate_series(1, :n)"),
            {"t": table.name, "c": id_column, "n": n},
        ).scalars()
        return sorted(int(i) for i in ids)
    last = conn.execute(select(func.coalesce(func.max(table.c[id_column]), 0))).scalar_one()
    return list(range(int(last) + 1, int(last) + n + 1))


def _shape_of(table: Table | str) -> Table:
    if isinstance(table, Table):
        return table
    base = table.removeprefix("stage_")
    return tables.metadata.tables[base]


def _copy_pg(conn: Connection, name: str, shape: Table, frame: pd.DataFrame) -> None:
    """COPY in CSV written by Arrow's multi-threaded writer.

    Arrow quotes every string and leaves nulls unquoted and empty, which is exactly how
    PostgreSQL's CSV COPY tells '' (a blank product line) from NULL.
    """
    import pyarrow.csv as pa_csv

    columns = list(frame.columns)
    raw = conn.connection.driver_connection
    options = pa_csv.WriteOptions(include_header=False)
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        for start in range(0, len(frame), BATCH_ROWS):
            part = pa.Table.from_pandas(
                frame.iloc[start : start + BATCH_ROWS], preserve_index=False
            )
            for i, field in enumerate(part.schema):
                if (
                    pa.types.is_timestamp(field.type)
                    and shape.c[field.name].type.__class__.__name__ == "Date"
                ):
                    part = part.set_column(i, field.name, part.column(i).cast(pa.date32()))
            buf = io.BytesIO()
            pa_csv.write_csv(part, buf, options)
            copy.write(buf.getbuffer())


# --- typed reads ----------------------------------------------------------------------


def read_frame(
    conn: Connection | Engine,
    table: Table,
    org_id: str | None,
    columns: Iterable[str] | None = None,
    where: Iterable = (),
) -> pd.DataFrame:
    """Rows of one org as a typed frame (``org_id`` None: a shared reference table, which
    has no org; a practice's table always needs its org).

    Types: Date → ``datetime64[ns]``; BIGINT/INTEGER → ``int64`` (``Int64`` when nullable);
    Boolean → ``bool``; text → ``str`` ('' stays '', NULL becomes NA). ``*_cents`` columns
    are exact integer cents.
    """
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return _read(c, table, org_id, columns, where)
    return _read(conn, table, org_id, columns, where)


def read_in(
    conn: Connection,
    table: Table,
    org_id: str,
    column: str,
    values: Iterable,
    columns: Iterable[str] | None = None,
    where: Iterable = (),
) -> pd.DataFrame:
    """``read_frame`` of the rows whose ``column`` is one of ``values``: one query, ONE
    bound parameter.

    The values travel as a PostgreSQL array (``= ANY(...)``) or a JSON array that SQLite
    unnests with ``json_each``; both still search the (org_id, column) index per value.
    Thousands of separate bind parameters cost more to compile and send than the read.
    ``IN_CHUNK`` values per query bound the parameter's size only.
    """
    values = pd.Series(values).drop_duplicates().tolist()
    col = table.c[column]

    def match(chunk: list):
        if not chunk:
            return col.in_([])
        if conn.dialect.name == "postgresql":
            return col == any_(literal(chunk, ARRAY(col.type)))
        unnested = func.json_each(literal(json.dumps(chunk))).table_valued("value")
        return col.in_(select(unnested.c.value))

    chunks = [values[i : i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)] or [[]]
    parts = [_read(conn, table, org_id, columns, where=[match(c), *where]) for c in chunks]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def read_staged(
    conn: Connection,
    table: Table,
    org_id: str,
    stage: Table,
    columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """``read_frame`` of the rows whose key is one of a temporary table's rows: ``stage``
    has one column, named as the column of ``table`` it matches.

    The stage drives: one index search of ``table`` per staged value. On PostgreSQL that
    takes a LATERAL join, since its planner, when ``table`` was just loaded and not yet
    analyzed, reads every row of the practice's and searches the stage for each (0.3 s
    for 200,000 charge lines, against a few milliseconds); SQLite searches this way for
    ``IN (SELECT ...)`` already.
    """
    cols = [table.c[c] for c in columns] if columns else list(table.c)
    (key,) = stage.c
    if conn.dialect.name != "postgresql":
        return _read(conn, table, org_id, columns, where=[table.c[key.name].in_(select(key))])
    found = (
        select(*cols).where(table.c.org_id == org_id, table.c[key.name] == key).lateral("found")
    )
    stmt = select(*(found.c[c.name] for c in cols)).select_from(stage).join(found, true())
    return _fetch(conn, stmt, cols)


def pairs_in(conn: Connection, table: Table, keys: pd.DataFrame):  # noqa: ANN201 - a clause
    """The condition "(k1, k2) is one of ``keys``' rows" for ``table`` (``keys``: two int
    columns named after two of its columns), as ONE bound parameter like ``read_in``: a
    JSON array of pairs SQLite unnests with ``json_each``, two PostgreSQL arrays."""
    k1, k2 = keys.columns
    first, second = (keys[k].astype("int64").tolist() for k in (k1, k2))
    pair = tuple_(table.c[k1], table.c[k2])
    if conn.dialect.name == "postgresql":
        arrays = (literal(v, ARRAY(Integer)) for v in (first, second))
        pairs = func.unnest(*arrays).table_valued("a", "b").render_derived()
        return pair.in_(select(pairs.c.a, pairs.c.b))
    unnested = func.json_each(literal(json.dumps(list(zip(first, second, strict=True)))))
    value = unnested.table_valued("value").c.value
    return pair.in_(select(func.json_extract(value, "$[0]"), func.json_extract(value, "$[1]")))


def read_pairs(
    conn: Connection,
    table: Table,
    org_id: str,
    keys: pd.DataFrame,
    columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """``read_frame`` of the rows whose two key columns are one of ``keys``' rows
    (``pairs_in``): the remitted claims (remit_id, claim_seq) a re-evaluation reads."""
    if keys.empty:
        return _read(conn, table, org_id, columns, where=[text("1 = 0")])
    return _read(conn, table, org_id, columns, where=[pairs_in(conn, table, keys)])


def _read(
    conn: Connection,
    table: Table,
    org_id: str | None,
    columns: Iterable[str] | None = None,
    where=(),
) -> pd.DataFrame:
    """The typed frame of ``read_frame``, converted a whole column at a time.

    SQLite's rows are copied into one object array whose column slices get their types
    directly (no ``DataFrame.from_records`` type inference on every cell), and
    PostgreSQL's come as CSV through COPY (``_read_pg``). tests/test_posting.py checks both
    backends against SQLAlchemy's own result rows.
    """
    cols = [table.c[c] for c in columns] if columns else list(table.c)
    # A practice's table is read for one practice, always; only the shared reference
    # tables (no org_id: CMS's fee library) are read without one.
    if "org_id" in table.c:
        if org_id is None:
            raise ValueError(f"{table.name} holds practices' rows: name the practice")
        where = (table.c.org_id == org_id, *where)
    elif org_id is not None:
        raise ValueError(f"{table.name} is shared reference data: it has no practice")
    return _fetch(conn, select(*cols).where(*where), cols)


def _fetch(conn: Connection, stmt, cols: list) -> pd.DataFrame:  # noqa: ANN001 - a Select
    """The rows of ``stmt`` (which selects ``cols``) as the typed frame of ``_read``."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    if conn.dialect.name == "postgresql":
        return _read_pg(conn, compiled.string, params, cols)
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(compiled.string, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    data = np.empty((len(rows), len(cols)), dtype=object)
    if rows:
        data[:] = rows  # one C-level copy; columns are then slices
    return pd.DataFrame(
        {c.name: _typed_column(c, data[:, i]) for i, c in enumerate(cols)},
        columns=[c.name for c in cols],
    )


def _read_pg(conn: Connection, sql: str, params, cols: list) -> pd.DataFrame:
    """A PostgreSQL query read as CSV through COPY and parsed by Arrow: no Python objects.

    COPY writes NULL as an unquoted empty field and '' as "", so the two stay apart.
    """
    import pyarrow.csv as pa_csv

    arrow_types = {"Date": pa.timestamp("ns"), "Boolean": pa.bool_()}
    arrow_types |= {"Integer": pa.int64(), "BigInteger": pa.int64()}
    types = {c.name: arrow_types.get(c.type.__class__.__name__, pa.large_string()) for c in cols}
    buf = io.BytesIO()
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for block in copy:
                buf.write(block)
    finally:
        cursor.close()
    if not buf.getbuffer().nbytes:  # no rows: Arrow reads no empty CSV
        empty = np.empty(0, dtype=object)
        return pd.DataFrame(
            {c.name: _typed_column(c, empty) for c in cols}, columns=[c.name for c in cols]
        )
    buf.seek(0)
    table = pa_csv.read_csv(
        buf,
        read_options=pa_csv.ReadOptions(column_names=list(types)),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=types,
            null_values=[""],  # only an unquoted empty field: 'NULL', 'NA' are values
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )
    out = {}
    for c in cols:
        arr = table.column(c.name).combine_chunks()
        kind = c.type.__class__.__name__
        if kind == "Date":
            out[c.name] = arr.to_numpy(zero_copy_only=False)
        elif kind in ("Integer", "BigInteger") and c.nullable:
            out[c.name] = pd.array(arr.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get))
        elif kind in ("Integer", "BigInteger"):
            out[c.name] = arr.to_numpy(zero_copy_only=False).astype(np.int64)
        elif kind == "Boolean":
            out[c.name] = arr.to_numpy(zero_copy_only=False).astype(bool)
        else:
            out[c.name] = pd.array(arr, dtype="str")
    return pd.DataFrame(out, columns=[c.name for c in cols])


def _typed_column(column, values: np.ndarray):
    """One fetched column (object array) in ``read_frame``'s types."""
    kind = column.type.__class__.__name__
    if kind == "Date":  # parsed once per distinct day
        codes, days = pd.factorize(values)
        parsed = pd.to_datetime(pd.Series(days, dtype=object), format="ISO8601")
        stamps = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
        return pd.Series(stamps[codes], dtype="datetime64[ns]")  # code -1 (NULL) → NaT
    if kind in ("Integer", "BigInteger"):
        if column.nullable:
            return pd.array(values, dtype="Int64")
        return values.astype(np.int64)
    if kind == "Boolean":
        return values.astype(bool)
    return pd.array(values, dtype="str")


def count_rows(conn: Connection | Engine, table: Table, org_id: str | None = None) -> int:
    stmt = select(text("count(*)")).select_from(table)
    if org_id is not None:
        stmt = stmt.where(table.c.org_id == org_id)
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return int(c.execute(stmt).scalar_one())
    return int(conn.execute(stmt).scalar_one())
