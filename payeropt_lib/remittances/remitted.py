"""Remitted lines as the analytics pages count them: one row per adjudicated charge line.

Every page past the fee schedules (payer performance, reimbursement trends, denials, payer
mix, the summary) starts from ``adjudicated``: the remitted lines that still count (not a
reversal, not reversed later, matched to a charge), each with its charge line's payer,
product line and date of service, what posting decided about it (``outcome``) and what the
contract says it should have allowed (``expected_cents``: ``evaluation.price_lines``, the
function and multiple-procedure grouping posting prices with, on the contracts on file now).

Pure function over store frames (``store.read_frame``); no I/O. The frame keeps claim ids
so pages can count claims, but nothing here or downstream ever shows one: the analytics
aggregators drop them (see ``CLAIM_KEY``). No patient column is read at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from payeropt_lib.periods import within
from payeropt_lib.reference.claim_status import primary_adjudication

from .evaluation import PRICED_CHARGE_COLUMNS, price_lines

CLAIM_KEY = "claim_id"  # kept only to count distinct claims; never shown

# What each input needs (pass these to ``report.load`` / ``store.read_frame``).
REMIT_LINE_COLUMNS = [
    "remit_id",
    "claim_seq",
    "line_seq",
    "claim_id",
    "line_number",
    "charge_cents",
    "paid_cents",
    "allowed_cents",
    "patient_resp_cents",
    "sequestration_cents",
]
REMIT_CLAIM_COLUMNS = ["remit_id", "claim_seq", "status", "is_reversal", "reversed_by_remit_id"]
REMITTANCE_COLUMNS = ["remit_id", "payer_id", "payment_date", "remit_date"]
CHARGE_COLUMNS = PRICED_CHARGE_COLUMNS
DENIAL_COLUMNS = ["remit_id", "claim_seq", "line_seq", "denial_class", "void"]
FINDING_COLUMNS = ["remit_id", "claim_seq", "line_seq", "kind", "void"]
LINE_KEY = ["remit_id", "claim_seq", "line_seq"]

# Outcomes, as posting decided them (underpayments.classify) where posting stored them.
PAID_OUTCOMES = ("ok", "underpaid", "overpaid", "no_rate", "no_contract")
DENIED = "denied"
BUNDLED = "bundled"

ADJUDICATED_COLUMNS = [
    "remit_id",
    "claim_id",
    "line_number",
    "payer_id",
    "product_line",
    "procedure_code",
    "modifiers",
    "units",
    "date_of_service",
    "service_month",
    "charge_cents",
    "allowed_cents",
    "paid_cents",
    "patient_resp_cents",
    "payment_date",
    "days_to_payment",
    "primary",
    "outcome",
    "expected_cents",
    "contract_rate_cents",
    "full_price",
]


def counting_claims(remit_claims: pd.DataFrame) -> pd.DataFrame:
    """The remitted claims that count: not a reversal (CLP02 = 22), nor a posting a later
    reversal cancelled (the correction counts instead). Needs is_reversal and
    reversed_by_remit_id."""
    return remit_claims[
        ~remit_claims["is_reversal"].fillna(False).astype(bool)
        & remit_claims["reversed_by_remit_id"].isna()
    ]


def live(frame: pd.DataFrame) -> pd.DataFrame:
    """Findings or denials whose posting still counts (a reversal sets ``void``)."""
    return frame[~frame["void"].fillna(False).astype(bool)]


def adjudicated(
    remit_lines: pd.DataFrame,
    remit_claims: pd.DataFrame,
    remittances: pd.DataFrame,
    charges: pd.DataFrame,
    findings: pd.DataFrame,
    denials: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The remitted lines that count, with dates of service in ``[start, end]``.

    Inputs are the org's store frames with at least the ``*_COLUMNS`` above. Left out:
    reversals (CLP02 = 22) and the postings they reversed (the correction counts instead),
    and lines not matched to a charge line (``payeropt remits --unmatched`` lists them).

    Returns ``ADJUDICATED_COLUMNS``: the charge line's keys and payer (``payer_id`` is the
    remitting payer; ``primary`` is true when it is the line's primary payer and the claim
    was processed as primary or denied), product_line ('' = none), procedure_code,
    modifiers, units, date_of_service, service_month (first day), charge_cents (billed),
    allowed/paid/patient_resp cents from the 835, payment_date (the remittance's, else its
    production date), days_to_payment (date of service → payment), outcome (``denied``,
    ``bundled``, ``underpaid``, ``overpaid``, ``no_rate``, ``no_contract``, ``ok``, or
    ``not_primary``), expected_cents (Int64; primary lines with a rate), contract_rate_cents
    (Int64, the contracted amount per unit before multiple-procedure and lesser-of cuts) and
    full_price (the line was priced at its full rate: first procedure, not capped at charge).
    """
    claims = counting_claims(remit_claims)
    # The charge line's own columns win: the 835's charge and codes are not read here.
    remit_lines = remit_lines[[c for c in REMIT_LINE_COLUMNS if c != "charge_cents"]]
    lines = remit_lines[remit_lines["line_number"].notna()].merge(
        claims[["remit_id", "claim_seq", "status"]], on=["remit_id", "claim_seq"], how="inner"
    )
    lines = lines.merge(remittances[REMITTANCE_COLUMNS], on="remit_id", how="left")
    lines = lines.astype({"line_number": "int64"}).merge(
        charges[CHARGE_COLUMNS].rename(columns={"charge_cents": "billed_cents"}),
        on=["claim_id", "line_number"],
        how="inner",
    )
    lines = lines[within(lines["date_of_service"], start, end)].reset_index(drop=True)

    denied = live(denials)[[*LINE_KEY, "denial_class"]].drop_duplicates(LINE_KEY)
    found = live(findings)[[*LINE_KEY, "kind"]].drop_duplicates(LINE_KEY)
    lines = lines.merge(denied, on=LINE_KEY, how="left").merge(found, on=LINE_KEY, how="left")

    primary = primary_adjudication(
        lines["status"], lines["payer_id"].eq(lines["primary_payer_id"])
    )
    priced = _priced(lines[primary], contracts, fee_schedules, medicare_fees)
    lines = lines.join(priced)

    no_contract = primary & lines["contract_basis"].isna()
    outcome = np.select(
        [
            lines["denial_class"].notna().to_numpy(),
            ~primary.to_numpy(),
            lines["kind"].notna().to_numpy(),
            no_contract.to_numpy(),
        ],
        [
            lines["denial_class"].astype(object),
            "not_primary",
            lines["kind"].astype(object),
            "no_contract",
        ],
        default="ok",
    )
    payment_date = lines["payment_date"].fillna(lines["remit_date"])
    out = pd.DataFrame(
        {
            "remit_id": lines["remit_id"].astype("int64"),
            "claim_id": lines["claim_id"],
            "line_number": lines["line_number"],
            "payer_id": lines["payer_id"],
            "product_line": lines["product_line"].fillna(""),
            "procedure_code": lines["procedure_code"],
            "modifiers": lines["modifiers"].fillna(""),
            "units": lines["units"].astype("int64"),
            "date_of_service": lines["date_of_service"],
            "service_month": lines["date_of_service"]
            .to_numpy()
            .astype("datetime64[M]")
            .astype("datetime64[ns]"),
            "charge_cents": lines["billed_cents"].astype("int64"),
            "allowed_cents": lines["allowed_cents"].astype("int64"),
            "paid_cents": lines["paid_cents"].astype("int64"),
            "patient_resp_cents": lines["patient_resp_cents"].astype("int64"),
            "payment_date": payment_date,
            "days_to_payment": (payment_date - lines["date_of_service"]).dt.days.astype("Int64"),
            "primary": primary.to_numpy(),
            "outcome": pd.Series(outcome, index=lines.index).astype("str"),
            "expected_cents": lines["expected_cents"].astype("Int64"),
            "contract_rate_cents": lines["contract_rate_cents"].astype("Int64"),
            "full_price": lines["full_price"].fillna(False).astype(bool),
        }
    )
    return out[ADJUDICATED_COLUMNS]


def _priced(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
) -> pd.DataFrame:
    """expected_cents, contract_basis, contract_rate_cents and full_price for primary lines
    (same index), priced as posting prices them (``evaluation.price_lines``)."""
    columns = ["expected_cents", "contract_basis", "contract_rate_cents", "full_price"]
    if lines.empty or contracts.empty:
        return pd.DataFrame(
            {
                "expected_cents": pd.Series(dtype="Int64"),
                "contract_basis": pd.Series(dtype="object"),
                "contract_rate_cents": pd.Series(dtype="Int64"),
                "full_price": pd.Series(dtype="bool"),
            }
        )[columns]
    priced = price_lines(
        lines,
        contracts,
        fee_schedules,
        medicare_fees,
        columns=("expected_cents", "contract_basis", "rate_cents", "mppr_rank", "lesser_applied"),
    )
    rank = priced["mppr_rank"].astype("Int64")
    full = (rank.isna() | rank.eq(1)).fillna(True) & ~priced["lesser_applied"].fillna(
        False
    ).astype(bool)
    return pd.DataFrame(
        {
            "expected_cents": priced["expected_cents"].astype("Int64").to_numpy(),
            "contract_basis": priced["contract_basis"].astype("object").to_numpy(),
            "contract_rate_cents": priced["rate_cents"].astype("Int64").to_numpy(),
            "full_price": full.astype(bool).to_numpy(),
        },
        index=lines.index,
    )
