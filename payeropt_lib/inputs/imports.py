"""Import a practice's CSV files: read → validate → normalize → merge, in one transaction.

Rules (docs/imports.md says the same for users):
- a refused file stores nothing: every check runs before or inside the one transaction
  that writes, and any failure rolls it back;
- the same file again (same SHA-256 for the same org and kind) changes nothing at all;
- a different file replaces the rows it covers and adds the rest: charges cover whole
  claims (a claim in the file replaces every stored line of that claim); every other kind
  covers its natural key (see ``schemas.SPECS``); stored rows the file does not cover stay;
- effective-dated files (fee schedules, Medicare fees): an open-ended period is closed by
  the next period of the same key, stored or new; overlapping explicit periods refuse the
  file.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text

from payeropt_lib import store
from payeropt_lib.errors import InputFileError, UnknownImportKind
from payeropt_lib.frames import member_of
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

from . import schemas
from .aliases import normalize_alias

logger = logging.getLogger(__name__)

KINDS = tuple(schemas.SPECS)  # contracts, fee-schedules, medicare-fees, charges, ...
STAGES = ("read", "validate", "check", "write")  # reported to a progress callback


@dataclass(frozen=True)
class ImportResult:
    org_id: str
    kind: str
    file: str
    rows: int
    inserted: int = 0
    replaced: int = 0
    removed: int = 0
    unchanged: int = 0
    already_imported: bool = False  # same kind and SHA-256 imported before: nothing read

    def summary(self) -> str:
        if self.already_imported:
            return f"{self.file}: already imported; nothing changed"
        return (
            f"{self.file}: {self.rows} rows: {self.inserted} new, {self.replaced} replaced, "
            f"{self.removed} removed, {self.unchanged} unchanged"
        )


# What an import runs in its transaction once its rows are stored (``import_file(after=)``):
# (conn, org_id, kind, rows, cause, who).
AfterImport = Callable[[Connection, str, str, pd.DataFrame, str, Identity], object]


@dataclass(frozen=True)
class Source:
    """A file in another layout than the interface CSV, read through a mapping profile
    (``payeropt_lib.profiles``, docs/profiles.md), which sits above this stage.

    ``digest`` makes the import idempotent: the profile's SHA-256 of the file's bytes and
    the profile's text (the same file through another profile is other content). ``read``
    is called at the read stage, after authorization and the already-imported check, and
    returns the rows in interface columns (every cell a stripped string, index 0..n-1) and
    the ``schemas.Locate`` that names each problem's row and column in the user's file.
    """

    digest: str
    read: Callable[[], tuple[pd.DataFrame, schemas.Locate]]
    profile: str = ""  # what the audit entry records the file was read through


# --- checks that need only the file ------------------------------------------------------


@dataclass
class Problems:
    """Failures collected over a whole file; raised as one InputFileError."""

    name: str
    text: str
    items: list[tuple[int, int, str, str]]  # (record index, column order, column, reason)
    unlisted: int = 0  # problems counted but not kept (only the first few are shown)
    locate: schemas.Locate | None = None  # rows and columns in the user's file (profiles)

    def where(self, index: int, column: str) -> tuple[int | None, str]:
        """Row and column in the user's file of record ``index``'s ``column``."""
        return (self.locate or schemas.csv_locator(self.text))(index, column)

    def add(self, mask: pd.Series, column: str, reason, order: int = 0) -> None:
        """Add a problem for every True in ``mask``; ``reason`` may be a function of index."""
        hits = mask[mask].index
        for index in hits[:5]:
            why = reason(index) if callable(reason) else reason
            self.items.append((int(index), order, column, why))
        self.unlisted += max(len(hits) - 5, 0)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda p: (p[0], p[1]))
        found = [(*self.where(i, c), r) for i, _, c, r in self.items[:4]]
        first = found[0]
        raise InputFileError(
            self.name,
            first[0],
            first[1],
            first[2],
            tuple(found[1:]),
            len(self.items) + self.unlisted,
        )


def _fmt(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def check_rows(spec: schemas.FileSpec, typed: pd.DataFrame, problems: Problems) -> None:
    """Rules across columns of a row, and keys unique within the file."""
    if spec.kind == "contracts":
        percent_basis = typed["basis"].eq("medicare_percent")
        pct = typed["medicare_percent_x1000"]
        problems.add(
            percent_basis & pct.isna(),
            "medicare_percent",
            "a value is required when basis is medicare_percent",
        )
        problems.add(percent_basis & pct.eq(0), "medicare_percent", "must be above 0")
        problems.add(
            percent_basis & typed["medicare_locality"].isna(),
            "medicare_locality",
            "a value is required when basis is medicare_percent",
        )
        problems.add(
            typed["mppr_percent_x1000"].gt(100_000), "mppr_percent", "must be between 0 and 100"
        )
        if "medicare_year" in typed:
            problems.add(
                typed["medicare_year"].notna() & ~percent_basis,
                "medicare_year",
                "only a medicare_percent contract is priced from a Medicare year",
            )
        renew = typed["renewal_date"]
        problems.add(
            renew.notna() & (renew <= typed["effective_from"]),
            "renewal_date",
            "must be after effective_from",
        )
    if "effective_to" in typed.columns:
        to = typed["effective_to"]
        problems.add(
            to.notna() & (to <= typed["effective_from"]),
            "effective_to",
            "must be after effective_from (periods are [from, to))",
        )
    key = list(spec.key)
    dupes = typed.duplicated(key, keep="first")
    if dupes.any():
        first_of = typed.reset_index().groupby(key, dropna=False)["index"].transform("min")
        first_of.index = typed.index
        problems.add(
            dupes,
            "+".join(spec.file_key),
            lambda i: (
                "the same key appears again (first at row "
                f"{problems.where(int(first_of[i]), spec.file_key[0])[0]})"
            ),
        )


# --- checks against what is stored -------------------------------------------------------


def _stored_values(conn: Connection, table, column: str, org_id: str) -> pd.Index:
    rows = conn.execute(select(table.c[column]).where(table.c.org_id == org_id).distinct())
    return pd.Index([r[0] for r in rows])


def check_references(
    conn: Connection,
    spec: schemas.FileSpec,
    typed: pd.DataFrame,
    org_id: str,
    problems: Problems,
) -> None:
    """Payers must be in the contracts and claims in the charges already stored."""
    payer_columns = {
        "fee-schedules": ["payer_id"],
        "charges": ["primary_payer_id", "secondary_payer_id"],
        "transactions": ["payer_id"],
        "appointments": ["payer_id"],
    }.get(spec.kind, [])
    if payer_columns:
        known = _stored_values(conn, tables.contracts, "payer_id", org_id)
        for order, column in enumerate(payer_columns):
            values = typed[column]
            unknown = values.notna() & ~values.isin(known)
            problems.add(
                unknown,
                column,
                lambda i, c=column: (
                    f"unknown payer "
                    f"{typed.at[i, c]!r} (not in contracts.csv; import contracts first)"
                ),
                order,
            )
    if spec.kind in ("transactions", "encounters"):
        known_claims = _stored_values(conn, tables.charges, "claim_id", org_id)
        unknown = pd.Series(~member_of(typed["claim_id"], known_claims), index=typed.index)
        problems.add(
            unknown,
            "claim_id",
            lambda i: (
                f"unknown claim {typed.at[i, 'claim_id']!r} (not in the charges imported so far)"
            ),
        )


def aliases_of(typed: pd.DataFrame, raw: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """payer_aliases rows (alias, payer_id) from contracts; an alias naming two payers fails."""
    if "payer_aliases" not in raw.columns:
        return pd.DataFrame({"alias": pd.Series(dtype=str), "payer_id": pd.Series(dtype=str)})
    listed = raw["payer_aliases"].str.split(";").explode().str.strip()
    pairs = pd.DataFrame(
        {"alias": normalize_alias(listed), "payer_id": typed["payer_id"].reindex(listed.index)}
    )
    pairs = pairs[pairs["alias"] != ""].reset_index()
    clash = pairs.groupby("alias")["payer_id"].transform("nunique").gt(1)
    if clash.any():
        first = pairs[clash].iloc[0]
        problems.items.append(
            (
                int(first["index"]),
                0,
                "payer_aliases",
                f"alias {first['alias']!r} names more than one payer",
            )
        )
    return pairs.drop(columns="index").drop_duplicates()


# --- writing -----------------------------------------------------------------------------


def _eq(dialect: str, left: str, right: str) -> str:
    """NULL-safe equality."""
    if dialect == "postgresql":
        return f"{left} IS NOT DISTINCT FROM {right}"
    return f"{left} IS {right}"


def _create_stage(conn: Connection, table, columns: list[str] | None = None) -> str:
    """A temporary table shaped like ``table`` (or some of its columns), no constraints."""
    stage = f"stage_{table.name}"
    cols = ", ".join(columns) if columns else "*"
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table.name} "
            "WHERE false"
        )
    else:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{stage}")
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE {stage} AS SELECT {cols} FROM {table.name} WHERE 0"
        )
    return stage


def _index_stage(conn: Connection, stage: str, columns: list[str]) -> None:
    """Index the loaded staging table on ``columns`` (built once, sorted, after the load)
    and give PostgreSQL's planner its size: every lookup into the stage from the merge
    (a stored row's claim or key) is then a search, not a scan of the whole file, which
    made replacing charges quadratic on SQLite (issue 11: 40,000 lines took 358 s)."""
    conn.exec_driver_sql(f"CREATE INDEX ix_{stage} ON {stage} ({', '.join(columns)})")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {stage}")  # autovacuum never analyzes temp tables


def _drop_stage(conn: Connection, stage: str) -> None:
    if conn.dialect.name != "postgresql":  # PostgreSQL drops it at commit
        conn.exec_driver_sql(f"DROP TABLE temp.{stage}")


def merge_rows(
    conn: Connection,
    table,
    rows: pd.DataFrame,
    key: tuple[str, ...],
    cover: tuple[str, ...],
    org_id: str,
) -> tuple[dict[str, int], pd.DataFrame]:
    """Set-based replace-or-insert of ``rows`` (with org_id and import_id) into ``table``.

    Stored rows sharing a ``cover`` value with the file and not identical to a file row are
    deleted; file rows not stored identically are inserted. Returns the counts, and the
    ``cover`` values whose rows changed (inserted, replaced or removed): a corrected charges
    file's changed claims, which are all a re-evaluation needs to look at.

    ``cover`` is a prefix of ``key`` (charges: claim_id of claim_id + line_number; every
    other kind: the key itself). Three statements, each a join on an index: the stage
    (indexed on ``key``) against the table (its primary key starts with org_id + ``key``).
    """
    n = len(rows)
    has_rows = conn.execute(
        select(text("1")).select_from(table).where(table.c.org_id == org_id).limit(1)
    ).first()
    if has_rows is None:  # a first import: straight in, no comparison needed
        store.bulk_insert(conn, table, rows)
        counts = {"inserted": n, "replaced": 0, "removed": 0, "unchanged": 0}
        return counts, rows[list(cover)].drop_duplicates()
    assert tuple(key[: len(cover)]) == tuple(cover), "cover must be a prefix of the key"
    stage = _create_stage(conn, table)
    store.bulk_insert(conn, stage, rows)
    _index_stage(conn, stage, list(key))
    d = conn.dialect.name
    name = table.name
    values = [c.name for c in table.c if c.name not in ("org_id", "import_id")]
    keymatch = " AND ".join(f"t.{k} = s.{k}" for k in key)
    same = " AND ".join(_eq(d, f"s.{c}", f"t.{c}") for c in values)
    covered = ", ".join(f"t.{k}" for k in cover)
    params = {"org": org_id}
    # File rows already stored under their key, and how many of those are identical.
    existing, unchanged = conn.execute(
        text(
            f"SELECT count(*), coalesce(sum(CASE WHEN {same} THEN 1 ELSE 0 END), 0) "
            f"FROM {stage} s JOIN {name} t ON t.org_id = :org AND {keymatch}"
        ),
        params,
    ).one()
    # File rows not stored identically (new or replacing): their cover values changed.
    changed = conn.execute(
        text(
            f"SELECT DISTINCT {', '.join('s.' + k for k in cover)} FROM {stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE t.org_id = :org AND {keymatch} "
            f"AND {same})"
        ),
        params,
    ).all()
    # Stored rows the file covers and does not hold identically: the replaced ones and the
    # removed ones (a line left out of a corrected claim), whose cover values changed too.
    removed = conn.execute(
        text(
            f"DELETE FROM {name} AS t WHERE t.org_id = :org "
            f"AND ({covered}) IN (SELECT {', '.join(cover)} FROM {stage}) "
            f"AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE {keymatch} AND {same}) "
            f"RETURNING {', '.join(cover)}"
        ),
        params,
    ).all()
    deleted = len(removed)
    cols = ", ".join(c.name for c in table.c)
    conn.execute(
        text(
            f"INSERT INTO {name} ({cols}) SELECT {', '.join('s.' + c.name for c in table.c)} "
            f"FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE t.org_id = :org "
            f"AND {keymatch})"
        ),
        params,
    )
    _drop_stage(conn, stage)
    replaced = int(existing) - int(unchanged)
    counts = {
        "inserted": n - int(existing),
        "replaced": replaced,
        "removed": int(deleted) - replaced,
        "unchanged": int(unchanged),
    }
    touched = pd.DataFrame([*map(tuple, changed), *map(tuple, removed)], columns=list(cover))
    return counts, touched.drop_duplicates()


def merge_periods(
    conn: Connection,
    spec: schemas.FileSpec,
    rows: pd.DataFrame,
    org_id: str,
    problems: Problems,
) -> dict[str, int]:
    """Effective-dated rows: close open periods by the next one, refuse overlaps, write.

    Done in pandas over the stored rows of the keys in the file plus the file's rows
    (fee schedules are thousands of rows, not millions), then written set-based.
    """
    table = tables.metadata.tables[spec.table]
    pkey, key = list(spec.period_key), list(spec.key)
    stored = store.read_frame(conn, table, org_id)
    touched = stored.merge(rows[pkey].drop_duplicates(), on=pkey, how="inner")
    new = rows.assign(_file=True, _index=rows.index)
    kept = touched.merge(new[key], on=key, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    combined = pd.concat([kept.assign(_file=False, _index=-1), new], ignore_index=True)
    combined = combined.sort_values(pkey + ["effective_from"], kind="stable").reset_index(
        drop=True
    )
    group = combined.groupby(pkey, sort=False, dropna=False)
    next_from = group["effective_from"].shift(-1)
    next_file = group["_file"].shift(-1).astype("boolean")
    next_index = group["_index"].shift(-1)
    given = combined["effective_to_given"]
    overlap = given.notna() & next_from.notna() & (given > next_from)
    for pos in overlap[overlap].index[:5]:
        start, end = _fmt(combined.at[pos, "effective_from"]), _fmt(given[pos])
        if bool(next_file[pos]):
            problems.items.append(
                (
                    int(next_index[pos]),
                    0,
                    "effective_from",
                    f"overlaps the period {start} to {end} of the same key",
                )
            )
        else:
            problems.items.append(
                (
                    int(combined.at[pos, "_index"]),
                    0,
                    "effective_to",
                    f"runs past the stored period starting {_fmt(next_from[pos])} of the same key",
                )
            )
    problems.raise_if_any()
    combined["effective_to"] = given.where(given.notna(), next_from)
    result = combined.drop(columns=["_file", "_index"])
    values = [c.name for c in table.c if c.name not in ("org_id", "import_id")]
    before = touched[values].assign(_in=True)
    after = result[values]
    compared = after.merge(before, on=values, how="left")
    identical = compared["_in"].fillna(False).astype(bool).to_numpy()
    to_insert = result[~identical]
    stale = touched[values].merge(after.assign(_out=True), on=values, how="left")
    to_delete = touched[stale["_out"].isna().to_numpy()]
    file_keys = rows[key]
    in_stored = file_keys.merge(touched[key], on=key, how="left", indicator=True)
    existed = int((in_stored["_merge"] == "both").sum())
    file_identical = int(new[values].merge(before, on=values, how="inner").shape[0])
    if len(to_delete):
        stage = _create_stage(conn, table, ["org_id", *key])
        store.bulk_insert(conn, stage, to_delete[["org_id", *key]])
        _index_stage(conn, stage, key)
        match = " AND ".join(f"{table.name}.{k} = s.{k}" for k in key)
        conn.execute(
            text(
                f"DELETE FROM {table.name} WHERE {table.name}.org_id = :org AND "
                f"EXISTS (SELECT 1 FROM {stage} s WHERE {match})"
            ),
            {"org": org_id},
        )
        _drop_stage(conn, stage)
    store.bulk_insert(conn, table, to_insert.assign(org_id=org_id))
    return {
        "inserted": len(rows) - existed,
        "replaced": existed - file_identical,
        "removed": 0,
        "unchanged": file_identical,
    }


# --- the whole import --------------------------------------------------------------------


def checked(
    kind: str,
    name: str,
    content: Callable[[], bytes | Source],
    step: Callable[[str], None] = lambda _stage: None,
) -> tuple[pd.DataFrame, pd.DataFrame | None, Problems]:
    """Everything ``import_file`` checks that needs only the file: read (``content``: the
    file's bytes, or the ``Source`` a profile reads it through), validated, converted, its
    rows checked (keys, periods, aliases). Returns the typed rows, the alias rows of a
    contracts file, and the ``Problems`` later checks add to; raises ``InputFileError``.
    What it cannot check is what the store holds (``check_references``): a dry run
    (``payeropt onboard --dry-run``) calls this alone."""
    spec = schemas.SPECS[kind]
    step("read")
    given = content()
    if isinstance(given, Source):
        frame, locate = given.read()
        text_ = ""
    else:
        frame, text_ = schemas.read_csv(name, given)
        locate = None
    step("validate")
    schemas.validate(name, spec, frame, text_, locate)
    typed = schemas.convert(spec, frame)
    if kind == "transactions":
        key = ["claim_id", "line_number", "posted_date", "type"]
        typed["occurrence"] = typed.groupby(key, dropna=False).cumcount() + 1
    problems = Problems(name, text_, [], locate=locate)
    check_rows(spec, typed, problems)
    alias_rows = aliases_of(typed, frame, problems) if kind == "contracts" else None
    problems.raise_if_any()
    return typed, alias_rows, problems


def import_file(
    engine: Engine,
    org_id: str,
    kind: str,
    path: Path | str,
    who: Identity,
    progress: Callable[[str], None] | None = None,
    after: AfterImport | None = None,
    source: Source | None = None,
) -> ImportResult:
    """Import one file for one org; refused whole or stored whole.

    ``progress`` is called with each of ``STAGES`` as it starts (the CLI's progress bar).
    ``after`` runs in the import's transaction once its rows are stored, with the
    connection, org, kind, the file's rows and what to call the import (the posted
    remittances' re-evaluation: ``remittances.reevaluation.after_import``, which a stage
    below remittances cannot name itself). ``source``: the file is not an interface CSV but
    is read through a mapping profile (``Source``); everything after reading is the same.
    """
    step = progress or (lambda _stage: None)
    if kind not in schemas.SPECS:
        raise UnknownImportKind(kind, KINDS)
    spec = schemas.SPECS[kind]
    path = Path(path)
    name = path.name
    access.authorize(engine, org_id, who, f"import.{kind}", target=name)
    if source is None:
        raw = schemas.file_bytes(path)
        digest = hashlib.sha256(raw).hexdigest()
    else:
        digest = source.digest
    imp = tables.imports
    with engine.connect() as conn:
        if _imported_before(conn, org_id, kind, digest, name):
            return ImportResult(org_id, kind, name, 0, already_imported=True)

    typed, alias_rows, problems = checked(
        kind, name, lambda: raw if source is None else source, step
    )
    logger.debug("%s validated: %d rows", name, len(typed))

    step("check")
    # The practice's writer lock first: an import or posting of the same practice running
    # now commits before this one reads anything, and the same file imported by another
    # process meanwhile is found here (store.writing; docs/imports.md, "At the same time").
    with store.writing(engine, org_id) as conn:
        if _imported_before(conn, org_id, kind, digest, name):
            return ImportResult(org_id, kind, name, 0, already_imported=True)
        check_references(conn, spec, typed, org_id, problems)
        problems.raise_if_any()
        import_id = conn.execute(
            insert(imp)
            .values(
                org_id=org_id,
                kind=kind,
                file_name=name,
                sha256=digest,
                imported_at=audit.utc_now(),
                actor=who.actor,
                rows_in_file=len(typed),
                inserted=0,
                replaced=0,
                unchanged=0,
            )
            .returning(imp.c.import_id)
        ).scalar_one()
        rows = typed.drop(columns=["payer_aliases"], errors="ignore").assign(
            org_id=org_id, import_id=import_id
        )
        from_837 = 0
        if kind == "charges":  # a claim billed by 837P takes its lines from the 837 only
            billed = _billed_by_837(conn, org_id)
            if len(billed):
                keep = ~member_of(rows["claim_id"], billed)
                from_837 = int((~keep).sum())
                rows = rows[keep]
        table = tables.metadata.tables[spec.table]
        step("write")
        logger.debug("bulk load of %s started", name)
        if spec.period_key:
            rows = rows.rename(columns={"effective_to": "effective_to_given"})
            rows["effective_to"] = rows["effective_to_given"]
            counts = merge_periods(conn, spec, rows, org_id, problems)
        else:
            cover = ("claim_id",) if kind == "charges" else spec.key
            counts, touched = merge_rows(conn, table, rows, spec.key, cover, org_id)
            if kind == "charges":  # only changed claims can change an evaluation
                rows = rows[member_of(rows["claim_id"], touched["claim_id"])]
        if alias_rows is not None:
            _replace_aliases(
                conn, org_id, alias_rows, rows["payer_id"].unique(), import_id, problems
            )
        conn.execute(
            imp.update()
            .where(imp.c.import_id == import_id)
            .values(
                inserted=counts["inserted"],
                replaced=counts["replaced"],
                unchanged=counts["unchanged"],
            )
        )
        result = ImportResult(org_id, kind, name, len(typed), **counts)
        details = {**asdict(result), "sha256": digest, "import_id": import_id}
        if source is not None:
            details["profile"] = source.profile
        if from_837:
            details["kept_from_837"] = from_837
            logger.info(
                "%s: %d rows of claims billed by 837P left as the 837 says", name, from_837
            )
        access.audit_action(conn, org_id, who, f"import.{kind}", name, details=details)
        changed = counts["inserted"] or counts["replaced"] or counts["removed"]
        if after is not None and (changed or alias_rows is not None):
            after(conn, org_id, kind, rows, f"import {kind} {name} (import {import_id})", who)
    logger.info(result.summary())
    return result


def _billed_by_837(conn: Connection, org_id: str) -> pd.Index:
    """Claims with an 837P submission on file (``inputs.claims``): charges.csv rows for
    them are not stored, whichever came first (docs/claims_837.md, "charges.csv and 837P")."""
    t = tables.claim_submissions
    rows = conn.execute(select(t.c.claim_id).where(t.c.org_id == org_id).distinct())
    return pd.Index([r[0] for r in rows], dtype=object)


def earlier_import(conn: Connection, org_id: str, kind: str, digest: str) -> int | None:
    """The import that already brought this content (same SHA-256, practice and kind):
    importing it again changes nothing. Also the rules repository's test."""
    imp = tables.imports
    return conn.execute(
        select(imp.c.import_id).where(
            imp.c.org_id == org_id, imp.c.kind == kind, imp.c.sha256 == digest
        )
    ).scalar()


def _imported_before(conn: Connection, org_id: str, kind: str, digest: str, name: str) -> bool:
    seen = earlier_import(conn, org_id, kind, digest)
    if seen is not None:
        logger.info("%s already imported for %s as import %s", name, org_id, seen)
    return seen is not None


def _replace_aliases(
    conn: Connection,
    org_id: str,
    aliases: pd.DataFrame,
    payers,
    import_id: int,
    problems: Problems,
) -> None:
    """The payers in a contracts file get exactly the aliases the file lists."""
    pa_ = tables.payer_aliases
    stored = store.read_frame(conn, pa_, org_id, ["alias", "payer_id"])
    others = stored[~stored["payer_id"].isin(payers)]
    clash = aliases.merge(others, on="alias", suffixes=("", "_stored"))
    if len(clash):
        first = clash.iloc[0]
        problems.items.append(
            (
                0,
                0,
                "payer_aliases",
                f"alias {first['alias']!r} already names payer {first['payer_id_stored']!r}",
            )
        )
        problems.raise_if_any()
    current = stored[stored["payer_id"].isin(payers)]
    if (
        current.sort_values(["alias"])
        .reset_index(drop=True)
        .equals(aliases.sort_values(["alias"]).reset_index(drop=True))
    ):
        return
    conn.execute(pa_.delete().where(pa_.c.org_id == org_id, pa_.c.payer_id.in_(list(payers))))
    store.bulk_insert(conn, pa_, aliases.assign(org_id=org_id, import_id=import_id))
