"""Posting 835 remittances: idempotent, matched to charges, reversals applied, findings made.

``post_file`` runs the whole path for one file in one transaction: parse (a file that is not
valid X12 is refused whole), skip payments already posted, map the payer, match claims and
lines to charges, apply reversals, compute allowed and expected amounts, classify every
line, and write findings, denials, follow-up tasks and problems (unbalanced, unmatched,
unknown payer), with its audit entry. Nothing here loops over claim lines in Python.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from payeropt_lib import store
from payeropt_lib.errors import X12Error
from payeropt_lib.inputs import era
from payeropt_lib.inputs.imports import normalize_alias
from payeropt_lib.pricing import expected
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

from . import remitted, tasks, underpayments

logger = logging.getLogger(__name__)

# What a remitted line is priced from (the same as the packet's), and REF*6R for matching.
CHARGE_COLUMNS = [*remitted.CHARGE_COLUMNS, "line_control_number"]
# What the expected engine's first pass adds to each remitted line.
PRICED_COLUMNS = [
    "contract_basis",
    "contract_from",
    "rate_cents",
    "rate_from",
    "medicare_cents",
    "percent_x1000",
    "mppr_rank",
    "mppr_percent_x1000",
    "gross_cents",
    "expected_cents",
]


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


def payment_keys(txns: pd.DataFrame) -> pd.Series:
    """Sender, ISA13, TRN02 and the payer: the same payment posted twice has the same key."""
    payer = txns["trace_payer_id"].fillna(txns["payer_id"]).fillna(txns["payer_name"]).fillna("")
    return (
        txns["isa_sender_id"].fillna("")
        + "|"
        + txns["isa_control"].fillna("")
        + "|"
        + txns["trace_number"].fillna("")
        + "|"
        + payer.astype(str)
    )


def map_payers(txns: pd.DataFrame, aliases: pd.DataFrame, contract_payers: pd.Index) -> pd.Series:
    """The practice's payer_id for each transaction (NA = unknown).

    Tried in order: REF*2U, TRN03, N1*PR id, N1*PR name against payer_aliases, then the
    N1*PR id as a practice payer_id itself.
    """
    lookup = dict(zip(aliases["alias"], aliases["payer_id"], strict=True))
    found = pd.Series(pd.NA, index=txns.index, dtype="object")
    for column in ("payer_ref_2u", "trace_payer_id", "payer_id", "payer_name"):
        keys = normalize_alias(txns[column].astype("object").where(txns[column].notna(), ""))
        found = found.fillna(keys.map(lookup))
    direct = txns["payer_id"].where(txns["payer_id"].isin(contract_payers))
    return found.fillna(direct)


def _insert(conn: Connection, table, frame: pd.DataFrame) -> int:
    """``store.bulk_insert`` without the nullable columns that are NULL on every row: they
    are left to their NULL default, fewer values to bind or COPY (the 835's optional
    elements: CLP10-14, SVC04, SVC06, ...)."""
    columns = [
        c
        for c in frame.columns
        if not (
            table.c[c].nullable and table.c[c].server_default is None and frame[c].isna().all()
        )
    ]
    return store.bulk_insert(conn, table, frame[columns])


def _isin(values: pd.Series, wanted) -> np.ndarray:
    """``values.isin(wanted)`` as a bool array, in one Arrow call.

    pandas' isin on Arrow-backed strings first turns every wanted value into a pyarrow
    scalar, one by one; a file's 20,000 claim ids made that 40 ms a call.
    """
    left = pa.array(values, from_pandas=True)
    right = pa.array(pd.Series(wanted, dtype=values.dtype), from_pandas=True)
    if right.type != left.type:
        right = right.cast(left.type)
    hit = pc.is_in(left, value_set=right)
    return hit.fill_null(False).to_numpy(zero_copy_only=False)


def _sorted_modifiers(values: pd.Series) -> pd.Series:
    """'59:RT' and 'RT:59' alike: the modifiers in sorted order, ':'-joined.

    Sorted once per distinct value (a file has a few dozen modifier combinations), then
    spread back to every line through the factorized codes.
    """
    codes, distinct = pd.factorize(values.fillna(""), use_na_sentinel=False)
    canonical = np.array(
        [":".join(sorted(p for p in str(v).split(":") if p)) for v in distinct] or [""],
        dtype=object,
    )
    return pd.Series(canonical[codes], index=values.index, dtype=object)


def match_lines(lines: pd.DataFrame, charges: pd.DataFrame) -> pd.DataFrame:
    """The charge line_number of each remitted line (NA = unmatched) and how it matched.

    First REF*6R = line_control_number within the claim; the rest by submitted procedure
    code, modifiers (in any order), date of service and order of appearance.
    Needs lines: claim_id, line_seq, remit_id, claim_seq, line_control_number, match_code,
    match_modifiers, match_date. Adds line_number and match_method.
    """
    out = lines.copy()
    out["line_number"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["match_method"] = pd.Series(pd.NA, index=out.index, dtype="object")
    by_ref = (
        out.reset_index()
        .merge(
            charges.loc[
                charges["line_control_number"].notna(),
                ["claim_id", "line_control_number", "line_number"],
            ],
            on=["claim_id", "line_control_number"],
            how="inner",
        )
        .drop_duplicates("index")
        .set_index("index")
    )
    out.loc[by_ref.index, "line_number"] = by_ref["line_number_y"].astype("Int64")
    out.loc[by_ref.index, "match_method"] = "ref_6r"

    rest = out[out["line_number"].isna()]
    if len(rest):
        used = out.loc[out["line_number"].notna(), ["claim_id", "line_number"]]
        free = charges.merge(
            used.astype({"line_number": "int64"}),
            on=["claim_id", "line_number"],
            how="left",
            indicator=True,
        )
        free = free[free["_merge"] == "left_only"].drop(columns="_merge")
        keys = ["claim_id", "match_code", "match_modifiers", "match_date"]
        free = free.assign(
            match_code=free["procedure_code"],
            match_modifiers=_sorted_modifiers(free["modifiers"]),
            match_date=free["date_of_service"],
        )
        free["order"] = free.sort_values("line_number").groupby(keys).cumcount()
        rest = rest.reset_index()
        rest["order"] = (
            rest.sort_values(["remit_id", "claim_seq", "line_seq"]).groupby(keys).cumcount()
        )
        hit = rest.merge(
            free[[*keys, "order", "line_number"]],
            on=[*keys, "order"],
            how="inner",
            suffixes=("_x", ""),
        )
        hit = hit.set_index("index")
        out.loc[hit.index, "line_number"] = hit["line_number"].astype("Int64")
        out.loc[hit.index, "match_method"] = "code_date_order"
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

    ``timings``, when given, receives the seconds each stage took (parse, read charges,
    price, write lines, commit, ...), in order: what ``benchmarks/era_throughput.py`` prints.
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
    txns = remit.transactions.copy()
    txns["payment_key"] = payment_keys(txns)
    with engine.begin() as conn:
        step("post")
        stored_keys = set(
            conn.execute(
                select(tables.remittances.c.payment_key).where(
                    tables.remittances.c.org_id == org_id,
                    tables.remittances.c.payment_key.in_(txns["payment_key"].tolist()),
                )
            ).scalars()
        )
        dup = txns["payment_key"].duplicated() | txns["payment_key"].isin(stored_keys)
        new = txns[~dup].copy()
        if new.empty:
            return PostResult(
                name, transactions=len(txns), duplicates=int(dup.sum()), already_posted=True
            )
        clock.mark("begin")
        result = _post(conn, org_id, name, digest, who, remit, new, int(dup.sum()), clock)
    clock.mark("commit")
    logger.info(result.summary())
    logger.debug("posting %s, seconds: %s", name, clock)
    return result


def _post(
    conn: Connection,
    org_id: str,
    name: str,
    digest: str,
    who: Identity,
    remit: era.Remit,
    new: pd.DataFrame,
    duplicates: int,
    clock: _Clock | None = None,
) -> PostResult:
    clock = clock or _Clock()
    now = audit.utc_now()
    file_id = conn.execute(
        insert(tables.remit_files)
        .values(
            org_id=org_id,
            file_name=name,
            sha256=digest,
            posted_at=now,
            actor=who.actor,
            transactions=len(new) + duplicates,
            duplicates=duplicates,
        )
        .returning(tables.remit_files.c.remit_file_id)
    ).scalar_one()

    aliases = store.read_frame(conn, tables.payer_aliases, org_id, ["alias", "payer_id"])
    contracts = store.read_frame(conn, tables.contracts, org_id)
    new["mapped_payer"] = map_payers(new, aliases, pd.Index(contracts["payer_id"].unique()))
    today = pd.Timestamp(now[:10])
    new["remit_date"] = new["payment_date"].fillna(new["production_date"]).fillna(today)
    rows = pd.DataFrame(
        {
            "org_id": org_id,
            "remit_file_id": file_id,
            "isa_sender_id": new["isa_sender_id"].fillna(""),
            "isa_control": new["isa_control"],
            "st_control": new["st_control"],
            "version": new["version"],
            "handling": new["handling"],
            "total_paid_cents": new["total_paid_cents"],
            "credit_debit": new["credit_debit"],
            "payment_method": new["payment_method"],
            "payment_date": new["payment_date"],
            "trace_number": new["trace_number"].fillna(""),
            "trace_payer_id": new["trace_payer_id"],
            "production_date": new["production_date"],
            "payer_name": new["payer_name"],
            "payer_id_835": new["payer_id"],
            "payer_ref_2u": new["payer_ref_2u"],
            "payee_name": new["payee_name"],
            "payee_id": new["payee_id"],
            "payer_id": new["mapped_payer"],
            "remit_date": new["remit_date"],
            "balanced": True,
            "payment_key": new["payment_key"],
        }
    )
    ids = _insert_new_ids(conn, tables.remittances, "remit_id", rows)
    txn_map = pd.DataFrame(
        {
            "txn": new["txn"].to_numpy(),
            "remit_id": ids,
            "payer_id": new["mapped_payer"].to_numpy(),
            "remit_date": new["remit_date"].to_numpy(),
        }
    )

    clock.mark("remittances")

    claims = remit.claims.merge(txn_map[["txn", "remit_id"]], on="txn", how="inner")
    lines = remit.lines.merge(txn_map, on="txn", how="inner").merge(
        claims[["txn", "claim_seq", "claim_id", "status", "statement_from"]],
        on=["txn", "claim_seq"],
        how="left",
    )
    adjustments = remit.adjustments.rename(columns={"group": "group_code"}).merge(
        txn_map[["txn", "remit_id"]], on="txn", how="inner"
    )
    adjustments["line_seq"] = adjustments["line_seq"].fillna(-1).astype("int64")
    plb = remit.plb.merge(txn_map[["txn", "remit_id"]], on="txn", how="inner")
    clock.mark("frames")

    charges = store.read_in(
        conn, tables.charges, org_id, "claim_id", claims["claim_id"].dropna(), CHARGE_COLUMNS
    )
    clock.mark("read charges")
    claims["matched"] = _isin(claims["claim_id"], charges["claim_id"].unique())
    claims["is_reversal"] = claims["status"].eq("22")

    lines = lines.assign(
        match_code=lines["submitted_code"].fillna(lines["procedure_code"]),
        match_modifiers=_sorted_modifiers(lines["submitted_modifiers"].fillna(lines["modifiers"])),
        match_date=lines["service_date"]
        .fillna(lines["service_from"])
        .fillna(lines["statement_from"]),
    )
    lines = match_lines(lines, charges)
    clock.mark("match")
    totals = underpayments.line_adjustment_totals(adjustments)
    lines = lines.merge(totals, on=["remit_id", "claim_seq", "line_seq"], how="left")
    lines["patient_resp_cents"] = lines["patient_resp_cents"].fillna(0).astype("int64")
    lines["sequestration_cents"] = lines["sequestration_cents"].fillna(0).astype("int64")
    lines["amt_b6_cents"] = lines["allowed_cents"].astype("Int64")  # era's AMT*B6
    lines["allowed_cents"] = underpayments.allowed_amounts(lines)
    clock.mark("allowed")

    evaluated = _evaluate(lines, charges, contracts, conn, org_id, clock)
    reversed_claims = _apply_reversals(conn, org_id, claims)
    clock.mark("reversals")
    problems = _problems(remit, txn_map, claims, evaluated)
    clock.mark("problems")

    # --- write everything --------------------------------------------------------------
    _insert(conn, tables.remit_claims, _claims_rows(claims, org_id))
    clock.mark("write claims")
    _insert(conn, tables.remit_lines, _lines_rows(evaluated, org_id))
    clock.mark("write lines")
    _insert(conn, tables.remit_adjustments, _adjustment_rows(adjustments, org_id))
    clock.mark("write adjustments")
    _insert(conn, tables.remit_plb, _plb_rows(plb, org_id))
    unbalanced_remits = problems.loc[problems["kind"] == "unbalanced", "remit_id"].unique()
    if len(unbalanced_remits):
        conn.execute(
            update(tables.remittances)
            .where(
                tables.remittances.c.org_id == org_id,
                tables.remittances.c.remit_id.in_([int(r) for r in unbalanced_remits]),
            )
            .values(balanced=False)
        )
    _insert(conn, tables.remit_problems, problems.assign(org_id=org_id))
    denial_rows = _denial_rows(evaluated, adjustments, org_id)
    _insert(conn, tables.denials, denial_rows)
    clock.mark("write plb, problems, denials")
    finding_rows = _finding_rows(evaluated, org_id)
    opened, recovered = _tasks(conn, org_id, who, evaluated, finding_rows, contracts)
    clock.mark("tasks")
    stored = finding_rows.drop(columns=["remit_date", "product_line", "contract_from"])
    _insert(conn, tables.findings, stored)
    clock.mark("write findings")

    outcome = evaluated["outcome"]
    result = PostResult(
        name,
        transactions=len(new) + duplicates,
        duplicates=duplicates,
        claims=len(claims),
        lines=len(evaluated),
        reversals=len(reversed_claims),
        unmatched_claims=int((~claims["matched"]).sum()),
        unmatched_lines=int((problems["kind"] == "unmatched_line").sum()),
        unbalanced=int(len(unbalanced_remits)),
        unknown_payers=int(new["mapped_payer"].isna().sum()),
        underpaid=int((outcome == "underpaid").sum()),
        overpaid=int((outcome == "overpaid").sum()),
        denied=int((denial_rows["denial_class"] == "denied").sum()),
        bundled=int((denial_rows["denial_class"] == "bundled").sum()),
        tasks_opened=opened,
        tasks_recovered=recovered,
    )
    audit.record(
        conn,
        org_id,
        actor=who.actor,
        role=who.role,
        action="import.era",
        target=name,
        details={**asdict(result), "sha256": digest, "remit_file_id": file_id},
    )
    clock.mark("audit")
    return result


def _evaluate(
    lines: pd.DataFrame,
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    conn: Connection,
    org_id: str,
    clock: _Clock | None = None,
) -> pd.DataFrame:
    """Allowed vs expected for every remitted line, classified, with likely causes.

    The expected engine prices every line once, without explanations. Only the claims that
    hold a flagged line (under-, over-paid, no rate) are priced again, whole (MPPR ranks
    the lines of a claim together), for the explanation the finding stores; and only the
    claims with an under-paid line are also priced on the day before each line's rate
    began, the evidence for "paid at an earlier period's rate".
    """
    clock = clock or _Clock()
    billed = charges.rename(
        columns={
            "charge_cents": "billed_cents",
            "modifiers": "billed_modifiers",
            "procedure_code": "billed_code",
        }
    )
    merged = lines.merge(
        billed.drop(columns=["line_control_number"]), on=["claim_id", "line_number"], how="left"
    )
    merged["line_key"] = np.arange(len(merged), dtype="int64")
    merged.index = pd.RangeIndex(len(merged))  # = line_key
    priced = (
        merged["line_number"].notna() & merged["payer_id"].notna() & ~merged["status"].eq("22")
    )
    fee_schedules = store.read_frame(conn, tables.fee_schedules, org_id)
    medicare_fees = store.read_frame(conn, tables.medicare_fees, org_id)
    rates = (contracts, fee_schedules, medicare_fees)
    clock.mark("read rates")
    basis = merged[priced]
    engine_in = pd.DataFrame(
        {
            "line_key": basis["line_key"],
            "claim_id": basis["claim_id"],
            "payer_id": basis["payer_id"].astype(str),
            "product_line": basis["product_line"].fillna(""),
            "procedure_code": basis["billed_code"],
            "modifiers": basis["billed_modifiers"].fillna(""),
            "units": basis["units"].astype("int64"),
            "charge_cents": basis["billed_cents"].astype("int64"),
            "date_of_service": basis["date_of_service"],
            "place_of_service": basis["place_of_service"],
        }
    )
    first = expected.expected_allowed(engine_in, *rates, explain=False, columns=PRICED_COLUMNS)
    for column in PRICED_COLUMNS:
        merged[column] = first[column].reindex(merged.index)
    merged["earlier_expected_cents"] = pd.Series(pd.NA, index=merged.index, dtype="Int64")
    merged["explanation"] = pd.Series(pd.NA, index=merged.index, dtype=object)
    merged["is_reversal"] = merged["status"].eq("22")
    clock.mark("price")
    classified = underpayments.classify(merged)
    outcome = classified["outcome"]
    flagged = outcome.isin(["underpaid", "overpaid", "no_rate"]).to_numpy()
    clock.mark("classify")
    if flagged.any():
        explain_claims = classified.loc[flagged, "claim_id"]
        under_claims = classified.loc[outcome.eq("underpaid").to_numpy(), "claim_id"]
        again = engine_in[_isin(engine_in["claim_id"], explain_claims)]
        # Earlier copies get line keys past the file's, then are mapped back.
        offset = len(merged)
        earlier = _earlier_copies(engine_in[_isin(engine_in["claim_id"], under_claims)], *rates)
        earlier["line_key"] += offset
        both = expected.expected_allowed(
            pd.concat([again, earlier], ignore_index=True),
            *rates,
            explain=True,
            columns=("expected_cents",),
        )
        is_earlier = (both["line_key"] >= offset).to_numpy()
        explained = both[~is_earlier]
        classified.loc[explained["line_key"].to_numpy(), "explanation"] = explained[
            "explanation"
        ].to_numpy(dtype=object)
        before = both[is_earlier]
        classified.loc[before["line_key"].to_numpy() - offset, "earlier_expected_cents"] = before[
            "expected_cents"
        ].array
        clock.mark("explain")
    out = underpayments.likely_causes(classified)
    clock.mark("causes")
    return out


def _earlier_copies(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
) -> pd.DataFrame:
    """The lines dated the day before their rate began, to price what the previous period pays.

    A payer's rate for a code begins at the latest start on or before the date of service
    among its fee rows for the code (fixed contracts) and the code's Medicare rows (percent
    contracts). Lines whose rate has no start are left out. The copies keep their line_key
    and get their own claim ids (``claim_id|earlier``) so that MPPR ranks them apart.
    """
    percent_payers = contracts.loc[contracts["basis"] == "medicare_percent", ["payer_id"]]
    starts = (
        pd.concat(
            [
                fee_schedules[["payer_id", "procedure_code", "effective_from"]],
                percent_payers.drop_duplicates().merge(
                    medicare_fees[["procedure_code", "effective_from"]].drop_duplicates(),
                    how="cross",
                ),
            ]
        )
        .drop_duplicates()
        .rename(columns={"effective_from": "began"})
        .sort_values("began")
    )
    keyed = lines.sort_values("date_of_service").astype(
        {"payer_id": "object", "procedure_code": "object"}
    )
    began = (
        pd.merge_asof(
            keyed,
            starts.astype({"payer_id": "object", "procedure_code": "object"}),
            left_on="date_of_service",
            right_on="began",
            by=["payer_id", "procedure_code"],
            direction="backward",
        )
        .set_index(keyed.index)["began"]
        .reindex(lines.index)
    )
    return lines.assign(
        date_of_service=began - pd.Timedelta(days=1),
        claim_id=lines["claim_id"] + "|earlier",
    )[began.notna()]


def _apply_reversals(conn: Connection, org_id: str, claims: pd.DataFrame) -> pd.DataFrame:
    """Mark the postings that reversals (CLP02 = 22) cancel, and void what they found.

    The reversed posting is the latest earlier posting of the same claim that is not itself
    a reversal and not yet reversed, preferring one whose charge and payment the reversal
    negates exactly.
    """
    rev = claims[claims["is_reversal"]]
    if rev.empty:
        return rev
    rc = tables.remit_claims
    stored = store.read_in(
        conn,
        rc,
        org_id,
        "claim_id",
        rev["claim_id"].unique(),
        ["remit_id", "claim_seq", "claim_id", "charge_cents", "paid_cents"],
        where=(rc.c.is_reversal.is_(False), rc.c.reversed_by_remit_id.is_(None)),
    )
    pairs = (
        rev[["claim_id", "remit_id", "charge_cents", "paid_cents"]]
        .rename(columns={"remit_id": "by_remit"})
        .merge(stored, on="claim_id", suffixes=("_rev", ""))
    )
    pairs = pairs[pairs["remit_id"] < pairs["by_remit"]]
    pairs["exact"] = (pairs["charge_cents"] == -pairs["charge_cents_rev"]) & (
        pairs["paid_cents"] == -pairs["paid_cents_rev"]
    )
    pairs = pairs.sort_values(["exact", "remit_id"], ascending=False).drop_duplicates("by_remit")
    pairs = pairs.drop_duplicates(["remit_id", "claim_seq"])
    # One statement per reversed claim: reversals are a handful per file, not per line.
    for by, remit_id, claim_seq in zip(
        pairs["by_remit"], pairs["remit_id"], pairs["claim_seq"], strict=True
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
    return pairs


def _problems(
    remit: era.Remit, txn_map: pd.DataFrame, claims: pd.DataFrame, lines: pd.DataFrame
) -> pd.DataFrame:
    """Unbalanced amounts (never fixed), unmatched claims and lines, unknown payers."""
    bal = era.balance(remit).merge(txn_map[["txn", "remit_id"]], on="txn", how="inner")
    parts = [
        pd.DataFrame(
            {
                "remit_id": bal["remit_id"],
                "kind": "unbalanced",
                "level": bal["level"],
                "claim_seq": bal["claim_seq"],
                "line_seq": bal["line_seq"],
                "claim_id": pd.NA,
                "expected_cents": bal["expected_cents"],
                "actual_cents": bal["actual_cents"],
                "message": bal["message"],
            }
        )
    ]
    um = claims[~claims["matched"]]
    parts.append(
        pd.DataFrame(
            {
                "remit_id": um["remit_id"],
                "kind": "unmatched_claim",
                "level": "claim",
                "claim_seq": um["claim_seq"],
                "line_seq": pd.NA,
                "claim_id": um["claim_id"],
                "expected_cents": pd.NA,
                "actual_cents": um["paid_cents"],
                "message": "claim "
                + um["claim_id"].astype(str)
                + " is not among the practice's charges",
            }
        )
    )
    ul = lines[
        lines["line_number"].isna()
        & _isin(lines["claim_id"], claims.loc[claims["matched"], "claim_id"])
    ]
    parts.append(
        pd.DataFrame(
            {
                "remit_id": ul["remit_id"],
                "kind": "unmatched_line",
                "level": "line",
                "claim_seq": ul["claim_seq"],
                "line_seq": ul["line_seq"],
                "claim_id": ul["claim_id"],
                "expected_cents": pd.NA,
                "actual_cents": ul["paid_cents"],
                "message": "line "
                + ul["procedure_code"].astype(str)
                + " of claim "
                + ul["claim_id"].astype(str)
                + " matches no charge line",
            }
        )
    )
    unknown = txn_map[txn_map["payer_id"].isna()]
    parts.append(
        pd.DataFrame(
            {
                "remit_id": unknown["remit_id"],
                "kind": "unknown_payer",
                "level": "transaction",
                "claim_seq": pd.NA,
                "line_seq": pd.NA,
                "claim_id": pd.NA,
                "expected_cents": pd.NA,
                "actual_cents": pd.NA,
                "message": "unknown payer: add its 835 name or id to payer_aliases",
            }
        )
    )
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else parts[0].iloc[0:0]
    )
    out["problem_seq"] = out.groupby("remit_id").cumcount()
    for column in ("claim_seq", "line_seq", "expected_cents", "actual_cents"):
        out[column] = out[column].astype("Int64")
    out["message"] = out["message"].astype(str).str.slice(0, 500)
    return out


def _tasks(
    conn: Connection,
    org_id: str,
    who: Identity,
    evaluated: pd.DataFrame,
    findings: pd.DataFrame,
    contracts: pd.DataFrame,
) -> tuple[int, int]:
    """Open tasks for new under-payments; close as recovered what this posting paid up."""
    t = tables.tasks
    claims_now = (
        evaluated.loc[evaluated["line_number"].notna() & ~evaluated["is_reversal"], "claim_id"]
        .unique()
        .tolist()
    )
    open_tasks = store.read_in(
        conn, t, org_id, "claim_id", claims_now, where=(t.c.state.in_(tasks.OPEN_STATES),)
    )
    recovered = 0
    if len(open_tasks):
        # What the earlier postings allowed on the task's lines, and what this one allows.
        old = store.read_in(
            conn,
            tables.findings,
            org_id,
            "task_id",
            open_tasks["task_id"].astype(int).tolist(),
            ["task_id", "claim_id", "line_number", "allowed_cents"],
        )
        now = evaluated[evaluated["line_number"].notna() & ~evaluated["is_reversal"]]
        both = old.merge(
            now[["claim_id", "line_number", "allowed_cents", "outcome"]],
            on=["claim_id", "line_number"],
            suffixes=("_old", ""),
        ).assign(under=lambda d: d["outcome"].eq("underpaid"))
        per_task = both.groupby("task_id").agg(
            still_under=("under", "any"),
            gained=("allowed_cents", "sum"),
            before=("allowed_cents_old", "sum"),
        )
        done = (
            per_task[~per_task["still_under"]]
            .reset_index()
            .merge(open_tasks[["task_id", "amount_cents", "state"]], on="task_id")
        )
        recovered = _recover(conn, org_id, who, done)
    under = findings[findings["kind"] == "underpaid"]
    if under.empty:
        return 0, recovered
    under = under.assign(appeal_days=appeal_days(under, contracts).to_numpy())
    grouped = tasks.group_findings(under)
    rows = grouped.assign(
        org_id=org_id, opened_at=audit.utc_now(), state="open", recovered_cents=0, closed_at=None
    )
    ids = _insert_new_ids(conn, t, "task_id", rows)
    grouped["task_id"] = ids
    link = under[["claim_id", "remit_id"]].merge(
        grouped[["claim_id", "remit_id", "task_id"]], on=["claim_id", "remit_id"], how="left"
    )
    findings.loc[under.index, "task_id"] = link["task_id"].to_numpy()
    events = pd.DataFrame(
        {
            "org_id": org_id,
            "task_id": ids,
            "event_seq": 1,
            "at": audit.utc_now(),
            "actor": who.actor,
            "from_state": None,
            "to_state": "open",
            "amount_cents": grouped["amount_cents"],
            "note": "opened at posting",
        }
    )
    _insert(conn, tables.task_events, events)
    return len(ids), recovered


def _recover(conn: Connection, org_id: str, who: Identity, done: pd.DataFrame) -> int:
    """Close tasks as recovered: the amount paid over the earlier posting, up to the stake.

    Needs done: task_id, amount_cents (at stake), state, gained and before (allowed now
    and before on the task's lines). One UPDATE executed for all of them, one event each.
    """
    if done.empty:
        return 0
    t = tables.task_events
    amount = (done["gained"] - done["before"]).clip(lower=0).clip(upper=done["amount_cents"])
    now = audit.utc_now()
    params = [
        {"tid": int(task_id), "amount": int(cents)}
        for task_id, cents in zip(done["task_id"], amount, strict=True)
    ]
    conn.execute(
        update(tables.tasks)
        .where(tables.tasks.c.org_id == org_id, tables.tasks.c.task_id == bindparam("tid"))
        .values(state="recovered", recovered_cents=bindparam("amount"), closed_at=now),
        params,
    )
    last = (
        store.read_in(
            conn,
            t,
            org_id,
            "task_id",
            done["task_id"].astype(int).tolist(),
            ["task_id", "event_seq"],
        )
        .groupby("task_id")["event_seq"]
        .max()
    )
    events = pd.DataFrame(
        {
            "org_id": org_id,
            "task_id": done["task_id"].astype("int64"),
            "event_seq": done["task_id"].map(last).fillna(0).astype("int64") + 1,
            "at": now,
            "actor": who.actor,
            "from_state": done["state"],
            "to_state": "recovered",
            "amount_cents": amount.astype("int64"),
            "note": "a later remittance paid the difference",
        }
    )
    _insert(conn, t, events)
    return len(done)


def appeal_days(lines: pd.DataFrame, contracts: pd.DataFrame) -> pd.Series:
    """The appeal window of the contract each line was priced under (NA = default).

    Needs lines: payer_id, product_line, contract_from. The line's own product line's
    contract first, else the payer's all-products ('') contract, as expected.py chose.
    """
    terms = contracts[["payer_id", "product_line", "effective_from", "appeal_days"]].rename(
        columns={"effective_from": "contract_from"}
    )
    keys = ["payer_id", "product_line", "contract_from"]
    base = lines[keys].reset_index(drop=True)
    specific = base.merge(terms, on=keys, how="left")["appeal_days"]
    blank = base.assign(product_line="").merge(terms, on=keys, how="left")["appeal_days"]
    return specific.fillna(blank).astype("Int64")


# --- rows for the tables -------------------------------------------------------------------


def _insert_new_ids(conn: Connection, table, id_column: str, frame: pd.DataFrame) -> list[int]:
    """Insert rows under new ids, set-based; the ids, in row order.

    What INSERT ... RETURNING of the autoincrement column gives, without sending each row
    as its own VALUES group (SQLAlchemy's insertmanyvalues on psycopg spent ~0.3 s
    splitting the placeholders of a few hundred tasks). PostgreSQL: the column's sequence,
    as its default would; SQLite: after the largest id, as its rowid would (the posting
    holds the write lock since BEGIN IMMEDIATE).
    """
    if frame.empty:
        return []
    n = len(frame)
    if conn.dialect.name == "postgresql":
        ids = sorted(
            conn.execute(
                text("SELECT nextval(pg_get_serial_sequence(:t, :c)) FROM generate_series(1, :n)"),
                {"t": table.name, "c": id_column, "n": n},
            ).scalars()
        )
    else:
        last = conn.execute(select(func.coalesce(func.max(table.c[id_column]), 0))).scalar_one()
        ids = list(range(int(last) + 1, int(last) + n + 1))
    cols = [c for c in frame.columns if c in table.c and c != id_column]
    _insert(conn, table, frame[cols].assign(**{id_column: ids}))
    return [int(i) for i in ids]


def _claims_rows(claims: pd.DataFrame, org_id: str) -> pd.DataFrame:
    cols = [c.name for c in tables.remit_claims.c if c.name in claims.columns]
    out = claims[cols].assign(org_id=org_id, reversed_by_remit_id=pd.NA)
    return out


def _lines_rows(lines: pd.DataFrame, org_id: str) -> pd.DataFrame:
    out = lines.assign(org_id=org_id, modifiers=lines["modifiers"].fillna(""))
    return out[[c.name for c in tables.remit_lines.c]]


def _adjustment_rows(adjustments: pd.DataFrame, org_id: str) -> pd.DataFrame:
    adj = adjustments.assign(org_id=org_id)
    adj["adj_seq"] = adj.groupby(["remit_id", "claim_seq", "line_seq"]).cumcount()
    return adj[[c.name for c in tables.remit_adjustments.c]]


def _plb_rows(plb: pd.DataFrame, org_id: str) -> pd.DataFrame:
    out = plb.assign(org_id=org_id)
    out["plb_seq"] = out.groupby("remit_id").cumcount()
    return out[[c.name for c in tables.remit_plb.c]]


def _denial_rows(evaluated: pd.DataFrame, adjustments: pd.DataFrame, org_id: str) -> pd.DataFrame:
    d = evaluated[evaluated["outcome"].isin(["denied", "bundled"])]
    return pd.DataFrame(
        {
            "org_id": org_id,
            "remit_id": d["remit_id"],
            "claim_seq": d["claim_seq"],
            "line_seq": d["line_seq"],
            "claim_id": d["claim_id"],
            "line_number": d["line_number"].astype("Int64"),
            "payer_id": d["payer_id"],
            "procedure_code": d["procedure_code"],
            "date_of_service": d["date_of_service"].fillna(d["match_date"]),
            "denial_class": d["outcome"],
            "group_code": d["denial_group"],
            "carc": d["denial_carc"],
            "carcs": underpayments.carc_labels(adjustments, d),
            "rarcs": d["remark_codes"],
            "charge_cents": d["charge_cents"],
            "remit_date": d["remit_date"],
            "void": False,
        }
    )


def _finding_rows(evaluated: pd.DataFrame, org_id: str) -> pd.DataFrame:
    f = evaluated[evaluated["outcome"].isin(["underpaid", "overpaid", "no_rate"])]
    return pd.DataFrame(
        {
            "org_id": org_id,
            "remit_id": f["remit_id"],
            "claim_seq": f["claim_seq"],
            "line_seq": f["line_seq"],
            "kind": f["outcome"],
            "claim_id": f["claim_id"],
            "line_number": f["line_number"].astype("int64"),
            "payer_id": f["payer_id"],
            "procedure_code": f["billed_code"],
            "date_of_service": f["date_of_service"],
            "units": f["units"].astype("int64"),
            "expected_cents": f["expected_cents"].astype("Int64"),
            "allowed_cents": f["allowed_cents"],
            "variance_cents": f["variance_cents"],
            "cause": f["cause"],
            "evidence": f["evidence"].str.slice(0, 500),
            "explanation": f["explanation"].fillna(""),
            "task_id": pd.Series(pd.NA, index=f.index, dtype="Int64"),
            "void": False,
            "remit_date": f["remit_date"],
            "product_line": f["product_line"].fillna(""),
            "contract_from": f["contract_from"],
        }
    )
