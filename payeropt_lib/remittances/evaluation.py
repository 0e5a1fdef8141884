"""Evaluating an 835: what each remitted line is, measured against the practice's contracts.

``evaluate`` is one pure function from a parsed 835 (``inputs.era.Remit``), the payments
being posted (with the ids posting reserved for them) and the practice's own frames
(``Practice``: payer aliases, contracts, rates, the charges of the file's claims and the
earlier postings its reversals may cancel) to everything posting stores (``Evaluation``):
the remittance, claim, line, adjustment and PLB rows, problems, denials, findings with their
likely causes, and the earlier postings the reversals cancel. It reads no store and no
clock, so hand-built frames test it and stored remittances can be evaluated again.

Lines are priced by ``price_lines``, the one way from remitted lines to the expected
engine; the analytics pages price with it too, so a page shows the expected amount posting
found. The multiple-procedure reduction ranks the lines of one remitted claim (one CLP):
the payer ranks the lines it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from payeropt_lib.frames import member_of
from payeropt_lib.inputs.era import Remit, balance
from payeropt_lib.pricing import expected
from payeropt_lib.reference.claim_status import REVERSAL

from . import underpayments
from .matching import map_payers, match_keys, match_lines

# The charge line columns a remitted line is priced from (the pages read these too) ...
PRICED_CHARGE_COLUMNS = [
    "claim_id",
    "line_number",
    "date_of_service",
    "procedure_code",
    "modifiers",
    "units",
    "charge_cents",
    "primary_payer_id",
    "product_line",
    "place_of_service",
]
# ... and REF*6R, which matching reads first.
CHARGE_COLUMNS = [*PRICED_CHARGE_COLUMNS, "line_control_number"]
# What the first pricing pass keeps of the engine's figures for each remitted line.
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
FLAGGED = ("underpaid", "overpaid", "no_rate")  # the outcomes a finding records
DENIALS = ("denied", "bundled")
LINE_KEY = ["remit_id", "claim_seq", "line_seq"]
# A remittance's problems, in the order they are numbered (``problem_seq``): each kind in
# the order of the file (balancing's own order; claims; lines).
PROBLEM_ORDER = ("unbalanced", "unmatched_claim", "unmatched_line", "unknown_payer")


@dataclass(frozen=True)
class Practice:
    """What evaluating an 835 reads of one practice (``store.read_frame`` frames).

    - aliases: alias, payer_id (``payer_aliases``);
    - contracts, fee_schedules, medicare_fees: the whole tables;
    - charges: ``CHARGE_COLUMNS`` of the charge lines of the file's claims;
    - posted_claims: remit_id, claim_seq, claim_id, charge_cents, paid_cents of the earlier
      postings of the claims the file reverses, neither reversals nor reversed yet.
    """

    aliases: pd.DataFrame
    contracts: pd.DataFrame
    fee_schedules: pd.DataFrame
    medicare_fees: pd.DataFrame
    charges: pd.DataFrame
    posted_claims: pd.DataFrame


@dataclass(frozen=True)
class Evaluation:
    """Everything posting stores for one 835, as frames without ``org_id``.

    - remittances: one row per payment posted, the ``remittances`` table's columns
      (remit_file_id aside), payer_id being the practice's payer (NA = unknown);
    - claims, lines, adjustments, plb: the rows of ``remit_claims``, ``remit_lines``,
      ``remit_adjustments``, ``remit_plb``; ``lines`` also carries what each line was found
      to be (outcome, expected_cents, variance_cents, cause, evidence, explanation, ...);
    - problems, denials, findings: rows of those tables (findings without task_id);
    - reversed: remit_id, claim_seq of the earlier postings the reversals cancel, and
      by_remit, the reversing remittance.
    """

    remittances: pd.DataFrame
    claims: pd.DataFrame
    lines: pd.DataFrame
    adjustments: pd.DataFrame
    plb: pd.DataFrame
    problems: pd.DataFrame
    denials: pd.DataFrame
    findings: pd.DataFrame
    reversed: pd.DataFrame


def claims_of(remit: Remit, txns: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The claim ids of the payments in ``txns`` (whose charges evaluation needs) and those
    of their reversals (whose earlier postings it needs)."""
    claims = remit.claims[remit.claims["txn"].isin(txns["txn"])]
    reversals = claims.loc[claims["status"].eq(REVERSAL), "claim_id"]
    return claims["claim_id"].dropna().unique().tolist(), reversals.unique().tolist()


def evaluate(
    remit: Remit, txns: pd.DataFrame, practice: Practice, today: pd.Timestamp
) -> Evaluation:
    """Evaluate the payments ``txns`` of ``remit`` for one practice.

    ``txns``: the rows of ``remit.transactions`` to post, with ``remit_id`` (the id each
    will be stored under; ids grow with time, so an earlier posting has a smaller one) and
    ``payment_key`` (``matching.payment_keys``). ``today`` dates a payment that carries no
    date of its own.
    """
    contract_payers = pd.Index(practice.contracts["payer_id"].unique())
    mapped = map_payers(txns, practice.aliases, contract_payers)
    remit_date = txns["payment_date"].fillna(txns["production_date"]).fillna(today)
    txn_map = pd.DataFrame(
        {
            "txn": txns["txn"].to_numpy(),
            "remit_id": txns["remit_id"].to_numpy(),
            "payer_id": mapped.to_numpy(),
            "remit_date": remit_date.to_numpy(),
        }
    )
    claims = remit.claims.merge(txn_map[["txn", "remit_id"]], on="txn", how="inner")
    claims["matched"] = member_of(claims["claim_id"], practice.charges["claim_id"].unique())
    claims["is_reversal"] = claims["status"].eq(REVERSAL)
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

    lines = match_lines(match_keys(lines), practice.charges)
    lines = _allowed(lines, adjustments)
    evaluated = _classified(lines, practice)
    problems = _problems(remit, txn_map, claims, evaluated)
    unbalanced = problems.loc[problems["kind"].eq("unbalanced"), "remit_id"].unique()
    remittances = _remittance_rows(txns, mapped, remit_date, unbalanced)
    return Evaluation(
        remittances=remittances,
        claims=claims.assign(reversed_by_remit_id=pd.NA),
        lines=evaluated.assign(modifiers=evaluated["modifiers"].fillna("")),
        adjustments=adjustments.assign(adj_seq=adjustments.groupby(LINE_KEY).cumcount()),
        plb=plb.assign(plb_seq=plb.groupby("remit_id").cumcount()),
        problems=problems,
        denials=_denial_rows(evaluated, adjustments),
        findings=_finding_rows(evaluated),
        reversed=_reversals(claims, practice.posted_claims),
    )


def _allowed(lines: pd.DataFrame, adjustments: pd.DataFrame) -> pd.DataFrame:
    """Each line's patient responsibility, sequestration, main denial reason and allowed
    amount (interface section 3: AMT*B6, else paid + patient responsibility + CARC 253)."""
    totals = underpayments.line_adjustment_totals(adjustments)
    out = lines.merge(totals, on=LINE_KEY, how="left")
    out["patient_resp_cents"] = out["patient_resp_cents"].fillna(0).astype("int64")
    out["sequestration_cents"] = out["sequestration_cents"].fillna(0).astype("int64")
    out["amt_b6_cents"] = out["allowed_cents"].astype("Int64")  # era's AMT*B6
    out["allowed_cents"] = underpayments.allowed_amounts(out)
    return out


# --- pricing -------------------------------------------------------------------------------


def price_lines(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    *,
    code: str = "procedure_code",
    modifiers: str = "modifiers",
    explain: expected.Explain = False,
    columns: tuple[str, ...] | list[str] = ("expected_cents",),
) -> pd.DataFrame:
    """Price remitted lines at their charge lines' terms (``expected.expected_allowed``).

    Needs lines: remit_id, claim_seq and line_seq (the remitted claim: lines of one claim
    rank together for the multiple-procedure reduction), payer_id (the remitting payer),
    product_line, the billed procedure code and modifiers (columns ``code`` and
    ``modifiers``), units, billed_cents (the charge line's charge), date_of_service,
    place_of_service, and denial_class ('denied', 'bundled' or NA: a denied or bundled line
    takes no rank, interface §3). Returns the engine's ``columns`` (and ``explanation``
    when asked), same index.
    """
    return expected.expected_allowed(
        pricing_input(lines, code, modifiers, key=lines["claim_seq"]),
        contracts,
        fee_schedules,
        medicare_fees,
        explain=explain,
        columns=columns,
    ).set_index(lines.index)


def pricing_input(
    lines: pd.DataFrame, code: str, modifiers: str, key: pd.Series, suffix: str = ""
) -> pd.DataFrame:
    """The engine's line frame for remitted lines: each remitted claim
    ('remit_id:claim_seq' + ``suffix``) is one multiple-procedure group, but for its denied
    and bundled lines (``denial_class``), each a group of its own so they rank no one."""
    claim = lines["remit_id"].astype("str") + ":" + key.astype("str")
    unranked = lines["denial_class"].notna().to_numpy()
    claim = claim.where(~unranked, claim + "/" + lines["line_seq"].astype("str")) + suffix
    return expected.engine_lines(
        lines, claim, code=code, modifiers=modifiers, charge="billed_cents"
    )


def _classified(lines: pd.DataFrame, practice: Practice) -> pd.DataFrame:
    """Allowed vs expected for every remitted line, classified, with likely causes.

    The expected engine prices every line once, without explanations. Only the remitted
    claims that hold a flagged line (under-, over-paid, no rate) are priced again, whole
    (MPPR ranks the lines of a claim together), for the explanation the finding stores; and
    only the claims with an under-paid line are also priced on the day before each line's
    rate began, the evidence for "paid at an earlier period's rate".
    """
    billed = practice.charges.rename(
        columns={
            "charge_cents": "billed_cents",
            "modifiers": "billed_modifiers",
            "procedure_code": "billed_code",
        }
    )
    merged = lines.merge(
        billed.drop(columns=["line_control_number"]), on=["claim_id", "line_number"], how="left"
    )
    merged.index = pd.RangeIndex(len(merged))
    merged["is_reversal"] = merged["status"].eq(REVERSAL)
    merged["denial_class"] = underpayments.denial_classes(merged)
    priced = merged["line_number"].notna() & merged["payer_id"].notna() & ~merged["is_reversal"]
    basis = merged[priced]
    rates = (practice.contracts, practice.fee_schedules, practice.medicare_fees)
    first = price_lines(
        basis, *rates, code="billed_code", modifiers="billed_modifiers", columns=PRICED_COLUMNS
    )
    for column in PRICED_COLUMNS:
        merged[column] = first[column].reindex(merged.index)
    merged["earlier_expected_cents"] = pd.Series(pd.NA, index=merged.index, dtype="Int64")
    merged["explanation"] = pd.Series(pd.NA, index=merged.index, dtype=object)
    classified = underpayments.classify(merged)
    outcome = classified["outcome"]
    flagged = outcome.isin(FLAGGED).to_numpy()
    if flagged.any():
        claim = basis["remit_id"].astype("str") + ":" + basis["claim_seq"].astype("str")
        flagged_claims = claim[flagged[basis.index]]
        under_claims = claim[outcome.eq("underpaid").to_numpy()[basis.index]]
        again = basis[member_of(claim, flagged_claims)]
        earlier = _earlier_copies(basis[member_of(claim, under_claims)], practice)
        billed = ("billed_code", "billed_modifiers")
        both = expected.expected_allowed(
            pd.concat(
                [
                    pricing_input(again, *billed, again["claim_seq"]),
                    pricing_input(earlier, *billed, earlier["claim_seq"], "|earlier").assign(
                        line_key=lambda d: d["line_key"] + len(again)
                    ),
                ],
                ignore_index=True,
            ),
            *rates,
            explain=True,
            columns=("expected_cents",),
        )
        is_earlier = (both["line_key"] >= len(again)).to_numpy()
        classified.loc[again.index, "explanation"] = both.loc[~is_earlier, "explanation"].to_numpy(
            dtype=object
        )
        classified.loc[earlier.index, "earlier_expected_cents"] = both.loc[
            is_earlier, "expected_cents"
        ].array
    return underpayments.likely_causes(classified)


def _earlier_copies(lines: pd.DataFrame, practice: Practice) -> pd.DataFrame:
    """The lines dated the day before their rate began, to price what the previous period pays.

    A payer's rate for a code begins at the latest start on or before the date of service
    among its fee rows for the code (fixed contracts) and the code's Medicare rows (percent
    contracts). Lines whose rate has no start are left out. The copies keep their index and
    are priced as claims of their own (``|earlier``), so that MPPR ranks them apart.
    """
    contracts, fees, medicare = practice.contracts, practice.fee_schedules, practice.medicare_fees
    percent_payers = contracts.loc[contracts["basis"] == "medicare_percent", ["payer_id"]]
    starts = (
        pd.concat(
            [
                fees[["payer_id", "procedure_code", "effective_from"]],
                percent_payers.drop_duplicates().merge(
                    medicare[["procedure_code", "effective_from"]].drop_duplicates(), how="cross"
                ),
            ]
        )
        .drop_duplicates()
        .rename(columns={"effective_from": "began", "procedure_code": "billed_code"})
        .sort_values("began")
    )
    keyed = lines.sort_values("date_of_service").astype(
        {"payer_id": "object", "billed_code": "object"}
    )
    began = (
        pd.merge_asof(
            keyed,
            starts.astype({"payer_id": "object", "billed_code": "object"}),
            left_on="date_of_service",
            right_on="began",
            by=["payer_id", "billed_code"],
            direction="backward",
        )
        .set_index(keyed.index)["began"]
        .reindex(lines.index)
    )
    return lines.assign(date_of_service=began - pd.Timedelta(days=1))[began.notna()]


# --- reversals and problems ---------------------------------------------------------------


def _reversals(claims: pd.DataFrame, posted: pd.DataFrame) -> pd.DataFrame:
    """The postings that reversals (CLP02 = 22) cancel: remit_id, claim_seq, by_remit.

    Each reversal cancels one earlier posting of the same claim (CLP01) that is not itself
    a reversal and not yet reversed: one whose charge and payment it negates exactly, the
    latest first; failing that, the latest. An 835 may carry any number of reversals, of
    one claim or of many: they are paired in rounds, each round taking every reversal's
    best posting not taken by another, so no two reversals cancel the same posting.
    """
    rev = claims[claims["is_reversal"]]
    pairs = (
        rev[["claim_id", "remit_id", "claim_seq", "charge_cents", "paid_cents"]]
        .rename(columns={"remit_id": "by_remit", "claim_seq": "by_seq"})
        .merge(posted, on="claim_id", suffixes=("_rev", ""))
    )
    pairs = pairs[pairs["remit_id"] < pairs["by_remit"]]
    pairs = pairs.assign(
        exact=(pairs["charge_cents"] == -pairs["charge_cents_rev"])
        & (pairs["paid_cents"] == -pairs["paid_cents_rev"])
    ).sort_values(["exact", "remit_id", "claim_seq", "by_remit", "by_seq"], ascending=False)
    rounds = []
    while len(pairs):  # one round per reversal of the same claim in the file: a handful
        taken = pairs.drop_duplicates(["by_remit", "by_seq"]).drop_duplicates(
            ["remit_id", "claim_seq"]
        )
        rounds.append(taken)
        pairs = pairs[
            ~_pair_in(pairs, taken, ["by_remit", "by_seq"])
            & ~_pair_in(pairs, taken, ["remit_id", "claim_seq"])
        ]
    out = pd.concat(rounds) if rounds else pairs
    return out[["remit_id", "claim_seq", "by_remit"]].reset_index(drop=True)


def _pair_in(frame: pd.DataFrame, taken: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Whether each row's ``key`` is among ``taken``'s."""
    return pd.MultiIndex.from_frame(frame[key]).isin(pd.MultiIndex.from_frame(taken[key]))


def _problems(
    remit: Remit, txn_map: pd.DataFrame, claims: pd.DataFrame, lines: pd.DataFrame
) -> pd.DataFrame:
    """Unbalanced amounts (never fixed), unmatched claims and lines, unknown payers."""
    bal = balance(remit).merge(txn_map[["txn", "remit_id"]], on="txn", how="inner")
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
        & member_of(lines["claim_id"], claims.loc[claims["matched"], "claim_id"])
    ].sort_values(LINE_KEY)
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
    present = [p for p in parts if len(p)]
    out = pd.concat(present, ignore_index=True) if present else parts[0].iloc[0:0]
    out["problem_seq"] = out.groupby("remit_id").cumcount()
    for column in ("claim_seq", "line_seq", "expected_cents", "actual_cents"):
        out[column] = out[column].astype("Int64")
    out["message"] = out["message"].astype(str).str.slice(0, 500)
    return out


# --- rows for the tables -------------------------------------------------------------------


def _remittance_rows(
    txns: pd.DataFrame, payer_id: pd.Series, remit_date: pd.Series, unbalanced: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "remit_id": txns["remit_id"],
            "isa_sender_id": txns["isa_sender_id"].fillna(""),
            "isa_control": txns["isa_control"],
            "st_control": txns["st_control"],
            "version": txns["version"],
            "handling": txns["handling"],
            "total_paid_cents": txns["total_paid_cents"],
            "credit_debit": txns["credit_debit"],
            "payment_method": txns["payment_method"],
            "payment_date": txns["payment_date"],
            "trace_number": txns["trace_number"].fillna(""),
            "trace_payer_id": txns["trace_payer_id"],
            "production_date": txns["production_date"],
            "payer_name": txns["payer_name"],
            "payer_id_835": txns["payer_id"],
            "payer_ref_2u": txns["payer_ref_2u"],
            "payee_name": txns["payee_name"],
            "payee_id": txns["payee_id"],
            "payer_id": payer_id,
            "remit_date": remit_date,
            "balanced": ~txns["remit_id"].isin(unbalanced),
            "payment_key": txns["payment_key"],
        }
    )


def _line_of(lines: pd.DataFrame, line_number: str) -> dict[str, pd.Series]:
    """Where a denial or finding was remitted and which charge line it answers."""
    return {
        "remit_id": lines["remit_id"],
        "claim_seq": lines["claim_seq"],
        "line_seq": lines["line_seq"],
        "claim_id": lines["claim_id"],
        "line_number": lines["line_number"].astype(line_number),
        "payer_id": lines["payer_id"],
    }


def _denial_rows(evaluated: pd.DataFrame, adjustments: pd.DataFrame) -> pd.DataFrame:
    d = evaluated[evaluated["outcome"].isin(DENIALS)]
    return pd.DataFrame(
        {
            **_line_of(d, "Int64"),
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


def _finding_rows(evaluated: pd.DataFrame) -> pd.DataFrame:
    """The flagged lines, as ``findings`` rows (plus remit_date, product_line and
    contract_from, which the task planner reads)."""
    f = evaluated[evaluated["outcome"].isin(FLAGGED)]
    return pd.DataFrame(
        {
            **_line_of(f, "int64"),
            "kind": f["outcome"],
            "procedure_code": f["billed_code"],
            "date_of_service": f["date_of_service"],
            "units": f["units"].astype("int64"),
            "expected_cents": f["expected_cents"].astype("Int64"),
            "allowed_cents": f["allowed_cents"],
            "variance_cents": f["variance_cents"],
            "cause": f["cause"],
            "evidence": f["evidence"].str.slice(0, 500),
            "explanation": f["explanation"].fillna(""),
            "void": False,
            "remit_date": f["remit_date"],
            "product_line": f["product_line"].fillna(""),
            "contract_from": f["contract_from"],
        }
    )
