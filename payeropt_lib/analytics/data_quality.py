"""The "Data quality" page: what a consultant checks on the first day with a new client,
and keeps checking (docs/data_quality.md).

Four tables, each an aggregate by payer (no claim id, no patient id leaves here):

- ``matching``: the 835 service lines posting matched to a charge line, by payer;
- ``unremitted``: claims sent 60 days or more before the as-of date that no 835 answers;
- ``no_contract``: claim lines whose payer has no contract for the date of service, and 835
  lines from payers no ``payer_aliases`` entry maps;
- ``no_rate``: codes billed to a contracted payer whose contract gives no rate.

No rule is decided twice: which remitted line matched is what posting stored
(``remit_lines.line_number``, ``remittances.match_lines``); which postings count is
``remitted.counting_claims``; which contract and rate a line has is the expected-amount
engine's verdict (``expected.expected_allowed``: ``contract_basis`` NA = no contract,
``rate_cents`` NA = no rate), on the practice's Medicare amounts completed from CMS's fee
library (``rates_cache.medicare_fees``). Every frame covers everything on file, not only
the report period: a file problem is found whatever month it touches.

Money is int64 cents. Counts are hidden under the cell size in force (``privacy``): in
a practice's own packet nothing is.
"""

from __future__ import annotations

import pandas as pd

from payeropt_lib.frames import member_of
from payeropt_lib.pricing import expected
from payeropt_lib.remittances.remitted import counting_claims

from . import directory, privacy

DAYS_UNREMITTED = 60  # a claim with no answer this long after it was sent is followed up

# What each table reads of the store (``store.read_frame`` / ``report.load``); the
# remitted claims for their reversal flags and claim id only, never their patient columns.
READS: dict[str, list[str] | None] = {
    "charges": [
        "claim_id", "line_number", "date_of_service", "submitted_date", "procedure_code",
        "modifiers", "units", "charge_cents", "primary_payer_id", "product_line",
        "place_of_service",
    ],
    "remit_lines": ["remit_id", "claim_seq", "line_seq", "line_number", "charge_cents"],
    "remit_claims": ["remit_id", "claim_seq", "claim_id", "is_reversal", "reversed_by_remit_id"],
    "remittances": [
        "remit_id", "payer_id", "payer_name", "payer_id_835", "trace_payer_id", "remit_date",
    ],
    "contracts": None,
    "fee_schedules": None,
}  # fmt: skip

ALL = directory.ALL_PAYERS
SELF_PAY = "SELF_PAY"  # no payer rates to have: a self-pay "contract" is a cash price

BASIS_LABELS = {
    "fee_schedule": "Fee schedule",
    "medicare_percent": "Percent of Medicare",
}
WHY_NO_RATE = {
    "fee_schedule": "no fee schedule row for the code on the date of service",
    "medicare_percent": "no Medicare amount for the code on the date of service "
    "(neither the practice's Medicare fee file nor CMS's fee library)",
}

# What to do, one line per table (the page and docs/data_quality.md say it in full).
ACTIONS = {
    "matching": "Unmatched lines: check that claim numbers (CLP01) and line control numbers "
    "(REF*6R) in the 835s are the ones in your charges file; map unknown 835 payer names in "
    "contracts.csv payer_aliases.",
    "unremitted": "Check each payer's claim status (276/277 or the payer portal), resubmit "
    "what the payer never received, before its timely-filing limit.",
    "no_contract_claims": "Add the payer's contract to contracts.csv (or fix the payer id on "
    "the claim lines).",
    "no_contract_835": "Map these 835 payer names in contracts.csv payer_aliases.",
    "no_rate": "Ask the payer for its fee schedule and import it (fee_schedules.csv), or for "
    "percent-of-Medicare contracts import the Medicare fee file for the locality.",
}


def _labels(payer_ids: pd.Series, contracts: pd.DataFrame) -> pd.Series:
    """The payer's name from its latest contract, else its id."""
    payers = directory.payer_directory(contracts) if len(contracts) else None
    return directory.payer_names(payer_ids, payers)


def _counted_lines(
    remit_lines: pd.DataFrame, remit_claims: pd.DataFrame, remittances: pd.DataFrame
) -> pd.DataFrame:
    """The 835 service lines of the postings that count (``counting_claims``: not a
    reversal, not reversed), each with its remittance's payer columns."""
    claims = counting_claims(remit_claims)[["remit_id", "claim_seq"]]
    lines = remit_lines.merge(claims, on=["remit_id", "claim_seq"], how="inner")
    return lines.merge(remittances, on="remit_id", how="left")


def _unmapped_names(remits: pd.DataFrame) -> pd.Series:
    """How an 835 names a payer no alias maps: N1*PR name, else its id, else TRN03."""
    return (
        remits["payer_name"]
        .fillna(remits["payer_id_835"])
        .fillna(remits["trace_payer_id"])
        .fillna("(no payer name)")
        .astype("str")
    )


MATCHING_COLUMNS = [
    "payer_label", "mapped", "lines", "matched_lines", "unmatched_lines", "pct_matched",
    "unmatched_charge_cents", "is_total",
]  # fmt: skip


def matching(
    remit_lines: pd.DataFrame,
    remit_claims: pd.DataFrame,
    remittances: pd.DataFrame,
    contracts: pd.DataFrame,
) -> pd.DataFrame:
    """835 service lines matched to a charge line, by payer, with a total row.

    Needs remit_lines (remit_id, claim_seq, line_seq, line_number: NA = posting matched no
    charge line, charge_cents as the 835 gives it), remit_claims (remit_id, claim_seq,
    is_reversal, reversed_by_remit_id), remittances (remit_id, payer_id: the practice's
    payer, NA = no alias maps it; payer_name, payer_id_835, trace_payer_id) and contracts
    (payer_id, payer_name, payer_class, effective_from). Reversals and the postings they
    cancelled are left out (``counting_claims``).

    Returns ``MATCHING_COLUMNS``: payer_label (the contract's payer name; an 835 payer no
    alias maps reads as the 835 names it), mapped (bool: the 835 payer is one of the
    practice's), lines (835 lines), matched_lines, unmatched_lines (int64), pct_matched
    (Float64, display only), unmatched_charge_cents (what the 835 says was billed on the
    unmatched lines), is_total (the "All payers" row, last). Rows: most 835 lines first.
    Counts under the cell size in force are hidden (``suppress_matching``).
    """
    lines = _counted_lines(remit_lines, remit_claims, remittances)
    if lines.empty:
        return pd.DataFrame(columns=MATCHING_COLUMNS)
    mapped = lines["payer_id"].notna()
    label = _labels(lines["payer_id"].fillna(""), contracts).where(mapped, _unmapped_names(lines))
    unmatched = lines["line_number"].isna()
    frame = pd.DataFrame(
        {
            "payer_label": label.astype("str"),
            "mapped": mapped.to_numpy(),
            "lines": 1,
            "matched_lines": (~unmatched).astype("int64").to_numpy(),
            "unmatched_lines": unmatched.astype("int64").to_numpy(),
            "unmatched_charge_cents": lines["charge_cents"]
            .astype("int64")
            .where(unmatched, 0)
            .to_numpy(),
        }
    )
    by_payer = (
        frame.groupby(["payer_label", "mapped"], as_index=False, sort=True)
        .sum()
        .astype({"lines": "int64", "matched_lines": "int64", "unmatched_lines": "int64"})
        .sort_values(["lines", "payer_label"], ascending=[False, True], kind="stable")
    )
    out = privacy.with_total(by_payer, "payer_label", ALL)
    out["mapped"] = out["mapped"].fillna(True).astype(bool)
    out = suppress_matching(out)
    out["pct_matched"] = privacy.percent(out["matched_lines"], out["lines"]).mask(
        out["matched_lines"].isna() | out["unmatched_lines"].isna()
    )
    return out[[*MATCHING_COLUMNS, *[c for c in out if c.endswith(privacy.SMALL_SUFFIX)]]]


def suppress_matching(table: pd.DataFrame) -> pd.DataFrame:
    """Hide small counts of ``matching``'s table (before its percent is added).

    Each payer row's lines are parts of the total's (hidden as ``privacy.complement``);
    its matched and unmatched lines are parts of both its own lines and the total row's
    matched / unmatched (a two-way table: either one shown beside its row's lines would
    give the other back). The unmatched dollars go with the unmatched lines."""
    total = privacy.total_mask(table)
    parts = table[~total]
    below = privacy.small_cell()

    def small(n: pd.Series) -> pd.Series:
        return n.astype("int64").between(1, below - 1)

    total_small = bool(total.any() and small(table.loc[total, "lines"]).any())
    lines_hidden = privacy.complement(
        parts["lines"],
        [pd.Series(0, index=parts.index)],
        [pd.Series(total_small, index=parts.index)],
    )
    totals = table.loc[total].iloc[0] if total.any() else None
    # The total row's matched and unmatched add up to its lines: hide both or neither.
    total_cells_hidden = totals is not None and bool(
        small(pd.Series([totals["matched_lines"], totals["unmatched_lines"]])).any()
    )
    cells = pd.concat(
        [
            pd.DataFrame({"row": parts.index, "kind": k, "n": parts[c].astype("int64")})
            for k, c in (("m", "matched_lines"), ("u", "unmatched_lines"))
        ],
        ignore_index=True,
    )
    row_hidden = pd.Series(lines_hidden.reindex(cells["row"]).to_numpy())

    def hide(totals_hidden: bool) -> pd.Series:
        return privacy.complement(
            cells["n"],
            [cells["row"], cells["kind"]],
            [row_hidden, pd.Series(totals_hidden, index=cells.index)],
        )

    hidden = hide(total_cells_hidden)
    # Zeros are never hidden, so a column may keep one hidden part (or hidden parts that
    # add up to a small count) with no other to hide beside it: the total row's matched and
    # unmatched then give it back, and go too.
    kept = cells["n"].where(hidden, 0).groupby(cells["kind"])
    counts = hidden.groupby(cells["kind"]).sum()
    if not total_cells_hidden and (counts.eq(1).any() or kept.sum().between(1, below - 1).any()):
        total_cells_hidden = True
        hidden = hide(True)
    out = table.copy()
    masks = {
        "lines": lines_hidden.reindex(table.index, fill_value=False)
        | (total & small(table["lines"])),
    }
    for k, column in (("m", "matched_lines"), ("u", "unmatched_lines")):
        mask = pd.Series(False, index=table.index)
        mask.loc[parts.index] = hidden[cells["kind"].eq(k)].to_numpy()
        masks[column] = mask | (total & total_cells_hidden)
    for column, mask in masks.items():
        n = table[column].astype("int64")
        out[column] = n.astype("Int64").mask(mask)
        out[column + privacy.SMALL_SUFFIX] = small(n)
    out["unmatched_charge_cents"] = privacy.nullable(out["unmatched_charge_cents"]).mask(
        masks["unmatched_lines"]
    )
    return out


UNREMITTED_COLUMNS = [
    "payer_label", "claims", "lines", "charge_cents", "oldest_date", "oldest_days", "is_total",
]  # fmt: skip


def unremitted(
    charges: pd.DataFrame,
    remit_claims: pd.DataFrame,
    remittances: pd.DataFrame,
    contracts: pd.DataFrame,
    as_of: pd.Timestamp,
    days: int = DAYS_UNREMITTED,
) -> pd.DataFrame:
    """Claims sent ``days`` or more before ``as_of`` that no posted 835 answers, by payer.

    Needs charges (claim_id, date_of_service, submitted_date: NA = not known,
    primary_payer_id, charge_cents), remit_claims (remit_id, claim_id, is_reversal,
    reversed_by_remit_id), remittances (remit_id, remit_date) and contracts (for names). A
    claim was sent on its earliest submitted_date, else (none on file) its earliest date of
    service; it is answered when a posting that counts (``counting_claims``: a denial
    counts, a reversed posting does not) dated on or before ``as_of`` names it (CLP01).

    Returns ``UNREMITTED_COLUMNS``: payer_label (the claim's primary payer), claims, lines
    (int64), charge_cents (billed, int64), oldest_date (the earliest sent date) and
    oldest_days (its age in days at ``as_of``), is_total ("All payers", last). Most claims
    first. Claims and their dollars and dates are hidden under the cell size in force.
    """
    day = pd.Timestamp(as_of).normalize()
    posted = counting_claims(remit_claims).merge(
        remittances[["remit_id", "remit_date"]], on="remit_id", how="left"
    )
    answered = posted.loc[posted["remit_date"].le(day).fillna(True), "claim_id"]
    sent_line = charges["submitted_date"].fillna(charges["date_of_service"])
    claims = (
        charges.assign(sent=sent_line, lines=1)
        .groupby("claim_id", sort=False)
        .agg(
            sent=("sent", "min"),
            payer_id=("primary_payer_id", "first"),
            lines=("lines", "sum"),
            charge_cents=("charge_cents", "sum"),
        )
    )
    # member_of: isin on Arrow text is a Python loop; one Arrow call instead.
    is_answered = member_of(claims.index.to_series(), answered.astype(claims.index.dtype))
    late = claims[claims["sent"].le(day - pd.Timedelta(days=days)) & ~is_answered]
    if late.empty:
        return pd.DataFrame(columns=UNREMITTED_COLUMNS)
    late = late.assign(payer_label=_labels(late["payer_id"], contracts), claims=1)
    by_payer = late.groupby("payer_label", as_index=False, sort=True).agg(
        claims=("claims", "sum"),
        lines=("lines", "sum"),
        charge_cents=("charge_cents", "sum"),
        oldest_date=("sent", "min"),
    )
    by_payer = by_payer.astype({"claims": "int64", "lines": "int64", "charge_cents": "int64"})
    by_payer = by_payer.sort_values(
        ["claims", "payer_label"], ascending=[False, True], kind="stable"
    )
    out = privacy.with_total(by_payer, "payer_label", ALL)
    out.loc[out[privacy.TOTAL], "oldest_date"] = by_payer["oldest_date"].min()
    out["oldest_date"] = pd.to_datetime(out["oldest_date"])
    out["oldest_days"] = (day - out["oldest_date"]).dt.days.astype("Int64")
    out = privacy.suppress(
        out,
        ["claims", "lines"],
        {"charge_cents": "claims", "oldest_date": "claims", "oldest_days": "claims"},
    )
    return out[[*UNREMITTED_COLUMNS, *[c for c in out if c.endswith(privacy.SMALL_SUFFIX)]]]


PRICE_COLUMNS = ("contract_basis", "rate_cents")


def priced_charges(
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
) -> pd.DataFrame:
    """Every charge line with the engine's verdict on its primary payer's terms.

    Needs charges (``READS["charges"]``) and the practice's contracts, fee_schedules and
    medicare_fees (``rates_cache.medicare_fees``: CMS's library fills in what the practice's
    file lacks). Returns the charge lines (same index) plus contract_basis (str;
    'fee_schedule' / 'medicare_percent', NA = no contract for the date of service) and
    rate_cents (Int64 per unit; NA = no rate), as ``expected.expected_allowed`` decides
    them (its rules 1-3 and 7)."""
    if charges.empty:
        return charges.assign(
            contract_basis=pd.Series(dtype="object"), rate_cents=pd.Series(dtype="Int64")
        )
    lines = expected.engine_lines(charges, charges["claim_id"], payer="primary_payer_id")
    priced = expected.expected_allowed(
        lines, contracts, fee_schedules, medicare_fees, explain=False, columns=PRICE_COLUMNS
    )
    return charges.assign(
        contract_basis=priced["contract_basis"].astype("object").to_numpy(),
        rate_cents=priced["rate_cents"].astype("Int64").to_numpy(),
    )


NO_CONTRACT_COLUMNS = [
    "source", "payer_label", "lines", "charge_cents", "first_date", "last_date", "action",
]  # fmt: skip
SOURCE_CLAIMS = "Claim lines"
SOURCE_835 = "835 lines"


def no_contract(
    priced: pd.DataFrame,
    remit_lines: pd.DataFrame,
    remit_claims: pd.DataFrame,
    remittances: pd.DataFrame,
) -> pd.DataFrame:
    """Payers the practice bills or is paid by with no contract to price against.

    ``priced`` is ``priced_charges``; the 835 frames are as for ``matching``. Two kinds of
    row: ``source`` "Claim lines", a primary_payer_id with lines the engine found no
    contract for on their date of service (payer_label: the id as billed); "835 lines", an
    835 payer no payer alias maps (payer_label: the name the 835 gives), its service lines
    of postings that count.

    Returns ``NO_CONTRACT_COLUMNS``: source, payer_label, lines (int64), charge_cents
    (billed: the charge line's, or the 835's for 835 lines), first_date / last_date (dates
    of service; the 835's line date is not read: NaT for 835 rows), action (what to do).
    Claim rows first, most lines first. Lines and dollars hidden under the cell size.
    """
    claims = priced[priced["contract_basis"].isna()]
    from_claims = (
        claims.assign(lines=1)
        .groupby("primary_payer_id", as_index=False, sort=True)
        .agg(
            lines=("lines", "sum"),
            charge_cents=("charge_cents", "sum"),
            first_date=("date_of_service", "min"),
            last_date=("date_of_service", "max"),
        )
        .rename(columns={"primary_payer_id": "payer_label"})
        .assign(source=SOURCE_CLAIMS, action=ACTIONS["no_contract_claims"])
    )
    lines = _counted_lines(remit_lines, remit_claims, remittances)
    lines = lines[lines["payer_id"].isna()]
    from_835 = (
        lines.assign(payer_label=_unmapped_names(lines), lines=1)
        .groupby("payer_label", as_index=False, sort=True)
        .agg(lines=("lines", "sum"), charge_cents=("charge_cents", "sum"))
        .assign(
            source=SOURCE_835,
            first_date=pd.NaT,
            last_date=pd.NaT,
            action=ACTIONS["no_contract_835"],
        )
    )
    out = pd.concat([from_claims, from_835], ignore_index=True)
    if out.empty:
        return pd.DataFrame(columns=NO_CONTRACT_COLUMNS)
    out = out.astype({"lines": "int64", "charge_cents": "int64"})
    out["first_date"] = pd.to_datetime(out["first_date"])
    out["last_date"] = pd.to_datetime(out["last_date"])
    out = out.sort_values(
        ["source", "lines", "payer_label"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
    # No total row: claim and 835 lines are not the same lines. The counts stand alone, so
    # each small one is hidden with its dollars.
    out = privacy.suppress(out, ["lines"], {"charge_cents": "lines"})
    return out[[*NO_CONTRACT_COLUMNS, "lines" + privacy.SMALL_SUFFIX]]


NO_RATE_COLUMNS = [
    "payer_label", "basis_label", "procedure_code", "lines", "charge_cents", "first_date",
    "last_date", "why", "is_total",
]  # fmt: skip


def no_rate(priced: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """Codes billed to a contracted payer whose contract gives no rate for the code and date.

    ``priced`` is ``priced_charges``: a line counts where the engine found a contract
    (contract_basis) but no rate (rate_cents NA): a fee-schedule contract with no fee row
    for the code, pricing modifier and date, or a percent-of-Medicare contract with no
    Medicare amount (practice file nor CMS library). Self-pay "contracts" are left out:
    a cash price list is not a payer's rate.

    Returns ``NO_RATE_COLUMNS``: payer_label (payer name), basis_label ("Fee schedule" /
    "Percent of Medicare"), procedure_code, lines (int64), charge_cents (billed),
    first_date / last_date (dates of service), why (in words), is_total (the "All payers"
    row, last). Most lines first. Lines and dollars hidden under the cell size.
    """
    classes = directory.payer_classes(
        priced["primary_payer_id"],
        directory.payer_directory(contracts) if len(contracts) else None,
    )
    lines = priced[
        priced["contract_basis"].notna() & priced["rate_cents"].isna() & classes.ne(SELF_PAY)
    ]
    if lines.empty:
        return pd.DataFrame(columns=NO_RATE_COLUMNS)
    by_code = (
        lines.assign(lines=1, basis=lines["contract_basis"].astype("str"))
        .groupby(["primary_payer_id", "basis", "procedure_code"], as_index=False, sort=True)
        .agg(
            lines=("lines", "sum"),
            charge_cents=("charge_cents", "sum"),
            first_date=("date_of_service", "min"),
            last_date=("date_of_service", "max"),
        )
    )
    by_code = by_code.assign(
        payer_label=_labels(by_code["primary_payer_id"], contracts),
        basis_label=by_code["basis"].map(BASIS_LABELS).fillna(by_code["basis"]),
        why=by_code["basis"].map(WHY_NO_RATE).fillna(""),
    ).astype({"lines": "int64", "charge_cents": "int64"})
    by_code = by_code.sort_values(
        ["lines", "payer_label", "procedure_code"], ascending=[False, True, True], kind="stable"
    )
    out = privacy.with_total(
        by_code.drop(columns=["primary_payer_id", "basis"]), "payer_label", ALL
    )
    for column in ("basis_label", "procedure_code", "why"):
        out[column] = out[column].fillna("")  # nothing to say of the total row
    out.loc[out[privacy.TOTAL], "first_date"] = by_code["first_date"].min()
    out.loc[out[privacy.TOTAL], "last_date"] = by_code["last_date"].max()
    for column in ("first_date", "last_date"):
        out[column] = pd.to_datetime(out[column])
    out = privacy.suppress(out, ["lines"], {"charge_cents": "lines"})
    return out[[*NO_RATE_COLUMNS, "lines" + privacy.SMALL_SUFFIX]]


HEADLINE_LABELS = {
    "pct_matched": "835 lines matched to a claim line",
    "unmatched_lines": "835 lines not matched",
    "unmapped_payers": "835 payers no alias maps",
    "unremitted_claims": "Claims with no remittance after 60 days",
    "unremitted_cents": "Charges on those claims",
    "no_contract_lines": "Claim lines with no contract",
    "no_rate_lines": "Claim lines with no contract rate",
}


def headline(
    matched: pd.DataFrame,
    unanswered: pd.DataFrame,
    uncontracted: pd.DataFrame,
    unpriced: pd.DataFrame,
) -> pd.DataFrame:
    """One row of key figures from the four tables as shown (their total rows, so a hidden
    figure stays hidden): ``HEADLINE_LABELS``' columns, with ``*_small`` flags."""

    def total(frame: pd.DataFrame, column: str) -> tuple[object, bool]:
        rows = frame[privacy.total_mask(frame)] if privacy.TOTAL in frame else frame.iloc[0:0]
        if rows.empty:
            return 0, False
        flag = column + privacy.SMALL_SUFFIX
        return rows[column].iloc[0], bool(rows[flag].iloc[0]) if flag in rows else False

    row: dict[str, object] = {}
    for out, frame, column in (
        ("pct_matched", matched, "pct_matched"),
        ("unmatched_lines", matched, "unmatched_lines"),
        ("unremitted_claims", unanswered, "claims"),
        ("unremitted_cents", unanswered, "charge_cents"),
        ("no_rate_lines", unpriced, "lines"),
    ):
        value, small = total(frame, column)
        row[out] = value
        if out.endswith("_lines") or out.endswith("_claims"):
            row[out + privacy.SMALL_SUFFIX] = small
    if matched.empty:
        row["pct_matched"] = pd.NA
    claim_rows = uncontracted[uncontracted["source"].eq(SOURCE_CLAIMS)]
    # A sum over rows some of which are hidden would give them back: hidden if any is.
    row["no_contract_lines"] = (
        pd.NA if claim_rows["lines"].isna().any() else int(claim_rows["lines"].sum())
    )
    row["no_contract_lines" + privacy.SMALL_SUFFIX] = False
    row["unmapped_payers"] = int(uncontracted["source"].eq(SOURCE_835).sum())
    frame = pd.DataFrame([row])
    return frame.astype(
        {c: "Int64" for c in frame if c.endswith(("_lines", "_claims", "_cents", "_payers"))}
    )


TABLES = ("matching", "unremitted", "no-contract", "no-rate")


def tables(
    frames: dict[str, pd.DataFrame], as_of: pd.Timestamp, days: int = DAYS_UNREMITTED
) -> dict[str, pd.DataFrame]:
    """The four tables (``TABLES``, by name) from the practice's frames: ``READS`` and
    medicare_fees (as ``rates_cache.medicare_fees`` completes it). The charge lines are
    priced once for both the no-contract and the no-rate tables."""
    contracts, remits = frames["contracts"], frames["remittances"]
    lines, claims = frames["remit_lines"], frames["remit_claims"]
    priced = priced_charges(
        frames["charges"], contracts, frames["fee_schedules"], frames["medicare_fees"]
    )
    return {
        "matching": matching(lines, claims, remits, contracts),
        "unremitted": unremitted(frames["charges"], claims, remits, contracts, as_of, days),
        "no-contract": no_contract(priced, lines, claims, remits),
        "no-rate": no_rate(priced, contracts),
    }
