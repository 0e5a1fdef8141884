"""Import 837P claim files: every claim submission kept, the charge lines derived from them.

Rules (docs/claims_837.md says the same for users):
- every claim (CLM) is kept as a submission (``claim_submissions``), the lines of a
  secondary one too (``claim_submission_lines``, with the 2430 adjudication);
- a file is read whole first (``x837.parse``) and refused whole (``ClaimFileRefused``) on
  any problem, a payer that no contract names included; then one transaction under the
  practice's writer lock stores its submissions and the charge lines they change;
- the same file again (same SHA-256 for the practice, kind ``claims``) changes nothing;
- a claim (CLM01) gets its lines from its submissions, whatever order the files came in:
  the latest original (1) or replacement (7) by BHT04 date, BHT05 time, ISA13, ST02 and
  position in the file wins; a void (8) that is latest removes the claim's lines; a
  secondary submission (SBR01 other than P) never adds lines where a primary submission
  exists, it sets ``secondary_payer_id`` (its 2320/2430 prior-payer adjudication is kept
  with the submission); a claim known only from a secondary submission is billed to the
  2330B payer as primary;
- a claim that has an 837 submission takes its lines from the 837 only: charges.csv rows
  for it are not stored (``imports.import_file``), the clearinghouse file being what the
  payer was actually sent and what its 835 answers.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, insert, select, text

from payeropt_lib import store
from payeropt_lib.errors import ClaimFileRefused, PayeroptError
from payeropt_lib.frames import member_of
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

from . import readahead, schemas, x837
from .aliases import normalize_alias
from .imports import AfterImport, ImportResult, earlier_import

logger = logging.getLogger(__name__)

KIND = "claims"
# SBR09 claim filing indicator → product line, used where the contract does not say (the
# codes of the X222A1 SBR09 list that name a product; the others leave it blank).
PRODUCT_LINES = {
    "MB": "MEDICARE",
    "MA": "MEDICARE",
    "16": "MEDICARE_ADVANTAGE",
    "MC": "MEDICAID",
    "HM": "HMO",
    "12": "PPO",
    "13": "POS",
    "14": "EPO",
    "15": "INDEMNITY",
}
_CLAIM_IDS = Table("stage_claim_ids", MetaData(), Column("claim_id", String(64), primary_key=True))
ORDER = ["submitted_date", "submitted_time", "isa_control", "st_control", "segment"]
CHARGE_COLUMNS = [c.name for c in tables.charges.c if c.name not in ("org_id", "import_id")]
LINE_VALUES = [
    c.name
    for c in tables.claim_submission_lines.c
    if c.name not in ("org_id", "import_id", "claim_seq")
]


def payer_map(conn: Connection, org_id: str) -> dict[str, str]:
    """Normalized alias or payer id → payer id, from the practice's contracts."""
    aliases = store.read_frame(conn, tables.payer_aliases, org_id, ["alias", "payer_id"])
    ids = store.read_frame(conn, tables.contracts, org_id, ["payer_id"])["payer_id"].unique()
    known = {str(p).upper(): str(p) for p in ids}
    known |= dict(zip(aliases["alias"], aliases["payer_id"], strict=True))
    return known


def _map_payers(parsed: x837.ClaimFile, known: dict[str, str], column: str) -> np.ndarray:
    """The practice's payer for NM1*PR (id NM109 first, then name NM103); None where no
    contract names it (``mapped`` refuses the file at that claim)."""
    claims = parsed.claims

    def lookup(values: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(values.astype("object"))  # a few payers per file
        normal = normalize_alias(pd.Series(uniques, dtype=object)).map(known)
        found = np.append(normal.to_numpy(dtype=object), None)
        return pd.Series(found[codes], index=values.index)

    got = lookup(claims[f"{column}_code"]).fillna(lookup(claims[f"{column}_name"]))
    return got.to_numpy(dtype=object)


def mapped(parsed: x837.ClaimFile, known: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A parsed file with its payers mapped: (submissions, submission lines) to store."""
    name = parsed.name
    claims = parsed.claims.copy()
    claims["payer_id"] = _map_payers(parsed, known, "payer")
    claims["other_payer_id"] = _map_payers(parsed, known, "other_payer")
    secondary = claims["responsibility"] != "P"
    for column, needed, loop in (
        ("payer_id", np.ones(len(claims), dtype=bool), "2010BB"),
        ("other_payer_id", secondary.to_numpy(), "2330B"),
    ):
        unknown = needed & claims[column].isna().to_numpy()
        if unknown.any():
            row = claims[unknown].iloc[0]
            prefix = "other_payer" if column == "other_payer_id" else "payer"
            who = (
                row[f"{prefix}_name"] if pd.notna(row[f"{prefix}_name"]) else row[f"{prefix}_code"]
            )
            raise ClaimFileRefused(
                name,
                int(row["segment"]),
                "CLM",
                f"claim {row['claim_id']}: payer {who!r} (loop {loop} NM1*PR) is not a payer_id "
                "or payer_aliases entry of any contract (import contracts first)",
            )
    keep = [c.name for c in tables.claim_submissions.c if c.name not in ("org_id", "import_id")]
    lines = parsed.lines.copy()
    lines["modifiers"] = lines["modifiers"].fillna("")
    return claims[keep], lines[["claim_seq", *LINE_VALUES]]


def derive(
    submissions: pd.DataFrame,
    lines: pd.DataFrame,
    current: pd.DataFrame | None = None,
    import_id: int | None = None,
) -> pd.DataFrame:
    """Charge lines (the charges table's columns) of the claims in ``submissions``.

    ``submissions`` holds every stored and new submission of those claims, keyed by
    (import_id, claim_seq); ``lines`` the lines of the new ones (import ``import_id``) and
    of the stored secondary ones. A stored primary submission that still wins gives the
    lines the claim has now (``current``, its charge lines): they are its lines, since a
    claim's charge lines are always its winner's. See the module's rules.
    """
    if submissions.empty:
        return pd.DataFrame(columns=CHARGE_COLUMNS)
    # import_id breaks a tie of every ordering field only (two files that differ in bytes
    # but not in BHT, ISA13, ST02 or position: the same submission sent twice)
    subs = submissions.sort_values([*ORDER, "import_id"], kind="stable")
    is_primary = subs["responsibility"].eq("P")
    primary = subs[is_primary].groupby("claim_id").tail(1)
    second = subs[~is_primary].groupby("claim_id").tail(1)
    second_live = second[second["frequency"] != "8"]
    # A claim with no primary submission takes its lines from its secondary one.
    only_second = second[~member_of(second["claim_id"], primary["claim_id"])]
    winner = pd.concat([primary.assign(_from_secondary=False),
                        only_second.assign(_from_secondary=True)])  # fmt: skip
    winner = winner[winner["frequency"] != "8"]
    key = ["import_id", "claim_seq"]
    stored_primary = winner[~winner["_from_secondary"].astype(bool)]
    if import_id is not None:
        stored_primary = stored_primary[stored_primary["import_id"] != import_id]
    if current is not None and len(stored_primary):
        now = current[member_of(current["claim_id"], stored_primary["claim_id"])]
        now = now.drop(columns=["import_id", "org_id"], errors="ignore")
        now = now.merge(stored_primary[["claim_id", *key]], on="claim_id")
        lines = pd.concat([lines, now[[*key, *LINE_VALUES[:-2]]]], ignore_index=True)
    out = winner.merge(lines, on=key, how="inner", suffixes=("_claim", ""))
    from_secondary = out["_from_secondary"].to_numpy(dtype=bool)
    out["primary_payer_id"] = np.where(from_secondary, out["other_payer_id"], out["payer_id"])
    link = second_live.set_index("claim_id")["payer_id"]
    out["secondary_payer_id"] = out["claim_id"].map(link)
    out["product_line"] = (
        out["filing_indicator"].map(PRODUCT_LINES).where(~from_secondary, "").fillna("")
    )
    return out[CHARGE_COLUMNS].sort_values(["claim_id", "line_number"]).reset_index(drop=True)


def member_of_pairs(lines: pd.DataFrame, subs: pd.DataFrame) -> np.ndarray:
    """Which ``lines`` belong to one of ``subs`` (by import_id and claim_seq)."""
    if subs.empty:
        return np.zeros(len(lines), dtype=bool)
    wanted = subs["import_id"].astype("int64") * 2**32 + subs["claim_seq"].astype("int64")
    have = lines["import_id"].astype("int64") * 2**32 + lines["claim_seq"].astype("int64")
    return have.isin(wanted).to_numpy()


def _stored_for(conn: Connection, org_id: str, claim_ids: pd.Series):
    """Stored submissions and lines of these claims, and their stored charge lines (None
    when the practice has none: a first import compares with nothing).

    The claim ids go to the database once, as a temporary table the reads search from
    (``store.read_staged``): a file's tens of thousands of ids as a bound array cost more
    to send than the reads, which for a file of new claims find nothing. Charge lines are
    written by charges imports and by this module only, so where the practice has never
    imported charges.csv only the claims with a stored submission can have any."""
    subs_t, lines_t, charges_t = (
        tables.claim_submissions, tables.claim_submission_lines, tables.charges
    )  # fmt: skip

    def has_any(table, *where) -> bool:
        query = select(table.c.org_id).where(table.c.org_id == org_id, *where).limit(1)
        return conn.execute(query).first() is not None

    subs = lines = charges = None
    look_subs, look_charges = has_any(subs_t), has_any(charges_t)
    if not (look_subs or look_charges):
        return subs, lines, charges
    csv_before = look_charges and has_any(tables.imports, tables.imports.c.kind == "charges")
    stage = _claim_stage(conn, claim_ids.unique())  # an error rolls its creation back
    if look_subs:
        subs = store.read_staged(conn, subs_t, org_id, stage).drop(columns=["org_id"])
        keys = subs.loc[subs["responsibility"] != "P", ["import_id", "claim_seq"]]
        lines = store.read_pairs(conn, lines_t, org_id, keys).drop(columns=["org_id"])
    if csv_before:
        charges = store.read_staged(conn, charges_t, org_id, stage)
    elif look_charges:  # only the lines of claims billed by 837P before
        seen = subs["claim_id"].unique() if subs is not None else []
        charges = store.read_in(conn, charges_t, org_id, "claim_id", seen)
    conn.exec_driver_sql(f"DROP TABLE {stage.name}")
    return subs, lines, charges


def _claim_stage(conn: Connection, claim_ids) -> Table:
    """A temporary table of claim ids, indexed, for joins (dropped by the caller)."""
    conn.exec_driver_sql(f"CREATE TEMP TABLE {_CLAIM_IDS.name} (claim_id VARCHAR(64) PRIMARY KEY)")
    ids = pd.DataFrame({"claim_id": pd.Series(claim_ids, dtype=object)})
    store.bulk_insert(conn, _CLAIM_IDS, ids)  # no ANALYZE: read_staged needs no statistics
    return _CLAIM_IDS


def _same(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """Per claim id of either: whether its lines in ``a`` are exactly those in ``b`` (a
    row hash summed per claim with the line count: vectorized, order-free)."""

    def digest(frame: pd.DataFrame) -> pd.DataFrame:
        text = frame[CHARGE_COLUMNS].astype(object).where(frame[CHARGE_COLUMNS].notna(), "")
        hashed = pd.util.hash_pandas_object(text.astype(str), index=False)
        by = pd.DataFrame({"claim_id": frame["claim_id"].to_numpy(), "h": hashed.to_numpy()})
        return by.groupby("claim_id")["h"].agg(["sum", "count"])

    left, right = digest(a), digest(b)
    both = left.index.union(right.index)
    lv, rv = left.reindex(both), right.reindex(both)
    return (lv["sum"].eq(rv["sum"]) & lv["count"].eq(rv["count"])).rename(None)


def _normalized(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[CHARGE_COLUMNS].copy()
    for c in ("date_of_service", "submitted_date"):
        out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
    for c in ("line_number", "units", "charge_cents"):
        out[c] = out[c].astype("int64")
    return out.astype(object).where(out.notna(), None)


def import_claims(
    engine: Engine,
    org_id: str,
    path: Path | str,
    who: Identity,
    after: AfterImport | None = None,
) -> ImportResult:
    """Import one 837P file for one practice; refused whole or stored whole.

    ``after`` is the charges import's hook (``imports.import_file``), run with kind
    ``charges`` and the changed claims' lines, so posted remittances are evaluated again.
    """
    path = Path(path)
    access.authorize(engine, org_id, who, f"import.{KIND}", target=path.name)
    ready = _opened(engine, org_id, path)
    if isinstance(ready, ImportResult):
        return ready
    digest, raw = ready
    parsed = x837.parse(path.name, raw)  # a bad file is refused before the writer lock
    return _store(engine, org_id, parsed, digest, who, after)


def import_claim_files(
    engine: Engine,
    org_id: str,
    paths: Iterable[Path | str],
    who: Identity,
    after: AfterImport | None = None,
    *,
    parallel_bytes: int = readahead.PARALLEL_BYTES,
) -> Iterator[tuple[Path, ImportResult | PayeroptError]]:
    """``import_claims`` of each file in order, yielding each path with its result or
    the error that refused it (the others are imported still).

    Each file is stored after the one before it, in its own transaction, exactly as one
    by one. When the files hold ``parallel_bytes`` or more, the next file is parsed in a
    second process while one is stored (``readahead``; docs/claims_837.md, "Speed").
    """
    paths = [Path(p) for p in paths]
    if not paths:
        return
    target = paths[0].name if len(paths) == 1 else f"{len(paths)} files"
    access.authorize(engine, org_id, who, f"import.{KIND}", target=target)
    size = sum(p.stat().st_size for p in paths if p.is_file())
    with readahead.Reader(parallel=len(paths) > 1 and size >= parallel_bytes) as reader:

        def start(path: Path, here: bool = False):
            try:
                ready = _opened(engine, org_id, path)
            except PayeroptError as err:
                return err
            if isinstance(ready, ImportResult):
                return ready
            digest, raw = ready
            return digest, (reader.here if here else reader.ahead)(path.name, raw)

        # The first file is parsed here while the second process starts and reads the
        # second; from then on one file is read ahead of the one being stored.
        ahead = start(paths[0], here=True)
        for i, path in enumerate(paths):
            current, ahead = ahead, start(paths[i + 1]) if i + 1 < len(paths) else None
            if isinstance(current, ImportResult | PayeroptError):
                yield path, current
                continue
            digest, parsed = current
            try:
                yield path, _store(engine, org_id, parsed(), digest, who, after)
            except PayeroptError as err:
                yield path, err


def _opened(engine: Engine, org_id: str, path: Path) -> tuple[str, bytes] | ImportResult:
    """The file's SHA-256 and bytes, or the result of a file imported before."""
    raw = schemas.file_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    with engine.connect() as conn:
        if earlier_import(conn, org_id, KIND, digest) is not None:
            return ImportResult(org_id, KIND, path.name, 0, already_imported=True)
    return digest, raw


def _store(
    engine: Engine,
    org_id: str,
    parsed: x837.ClaimFile,
    digest: str,
    who: Identity,
    after: AfterImport | None,
) -> ImportResult:
    """One transaction under the practice's writer lock: the file's submissions and the
    charge lines they change (see the module's rules)."""
    name = parsed.name
    imp = tables.imports
    with store.writing(engine, org_id) as conn:
        if earlier_import(conn, org_id, KIND, digest) is not None:
            return ImportResult(org_id, KIND, name, 0, already_imported=True)
        subs, lines = mapped(parsed, payer_map(conn, org_id))
        import_id = conn.execute(
            insert(imp)
            .values(
                org_id=org_id, kind=KIND, file_name=name, sha256=digest,
                imported_at=audit.utc_now(), actor=who.actor, rows_in_file=len(lines),
                inserted=0, replaced=0, unchanged=0,
            )
            .returning(imp.c.import_id)
        ).scalar_one()  # fmt: skip
        subs = subs.assign(import_id=import_id)
        lines = lines.assign(import_id=import_id)
        stored_subs, stored_lines, stored_charges = _stored_for(conn, org_id, subs["claim_id"])
        all_subs = pd.concat([x for x in (stored_subs, subs) if x is not None], ignore_index=True)
        all_lines = pd.concat(
            [x for x in (stored_lines, lines) if x is not None], ignore_index=True
        )
        derived = derive(all_subs, all_lines, stored_charges, import_id)
        store.insert_rows(conn, tables.claim_submissions, subs.assign(org_id=org_id))
        # Only secondary submissions' lines are kept apart (their 2430 adjudication): a
        # primary submission's lines are the charges while it wins, and never win again
        # once superseded (a later submission stays later).
        kept = member_of_pairs(lines, subs[subs["responsibility"] != "P"])
        store.bulk_insert(conn, tables.claim_submission_lines, lines[kept].assign(org_id=org_id))
        counts, changed = _write_charges(conn, org_id, import_id, subs, derived, stored_charges)
        conn.execute(
            imp.update()
            .where(imp.c.import_id == import_id)
            .values(
                inserted=counts["inserted"], replaced=counts["replaced"],
                unchanged=counts["unchanged"],
            )
        )  # fmt: skip
        result = ImportResult(org_id, KIND, name, len(lines), **counts)
        details = {**asdict(result), "sha256": digest, "import_id": import_id,
                   "claims": len(subs)}  # fmt: skip
        access.audit_action(conn, org_id, who, f"import.{KIND}", name, details=details)
        if after is not None and len(changed):
            after(conn, org_id, "charges", changed, f"import claims {name} (import {import_id})",
                  who)  # fmt: skip
    logger.info(result.summary())
    return result


def _write_charges(
    conn: Connection,
    org_id: str,
    import_id: int,
    subs: pd.DataFrame,
    derived: pd.DataFrame,
    stored: pd.DataFrame | None,
) -> tuple[dict[str, int], pd.DataFrame]:
    """Replace the stored lines of the file's claims whose derived lines differ."""
    claim_ids = subs["claim_id"].drop_duplicates()
    if stored is None or stored.empty:  # nothing to compare with: straight in
        store.bulk_insert(conn, tables.charges, derived.assign(org_id=org_id, import_id=import_id))
        counts = {"inserted": len(derived), "replaced": 0, "removed": 0, "unchanged": 0}
        return counts, derived
    new = _normalized(derived)
    old = _normalized(stored)
    same = _same(new, old).reindex(claim_ids, fill_value=True)
    changed_ids = same[~same].index
    unchanged = int(member_of(old["claim_id"], same[same].index).sum())
    old_changed = old[member_of(old["claim_id"], changed_ids)]
    new_changed = new[member_of(new["claim_id"], changed_ids)]
    if len(changed_ids):
        stage = _claim_stage(conn, list(changed_ids))
        conn.execute(
            text(
                f"DELETE FROM charges WHERE org_id = :org AND claim_id IN "
                f"(SELECT claim_id FROM {stage.name})"
            ),
            {"org": org_id},
        )
        conn.exec_driver_sql(f"DROP TABLE {stage.name}")
        store.bulk_insert(
            conn, tables.charges, new_changed.assign(org_id=org_id, import_id=import_id)
        )
    keys = ["claim_id", "line_number"]
    both = new_changed[keys].merge(old_changed[keys], on=keys)
    counts = {
        "inserted": len(new_changed) - len(both),
        "replaced": len(both),
        "removed": len(old_changed) - len(both),
        "unchanged": unchanged,
    }
    gone = old_changed[~member_of(old_changed["claim_id"], new["claim_id"])]
    touched = pd.concat([new_changed, gone])
    return counts, touched
