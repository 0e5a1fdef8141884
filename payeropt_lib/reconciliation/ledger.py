"""Every charge and every later posting of a claim, put in its place (domain.md section 8).

``claim_ledger`` gives one row per claim on file: its charges, the cash that came in (the
primary payer's 835s, secondary payers, the patient, net of refunds), the adjustments by
kind, what is still owed (``balance_cents``) and what no evidence explains
(``unexplained_cents``), so that for every claim

    charges = cash + contractual + non-cash compliance + courtesy + bad debt
              + small balance + balance + unexplained

The balance is not the difference of the others: it is what someone still owes by the
evidence (docs/reconciliation.md, "Where the balance comes from"):

- before the primary payer has adjudicated (no 835 from it), the whole charge less what
  has been posted: it is with the payer;
- after, what its 835 denied that no write-off has closed (with the payer, being worked),
  plus the patient's responsibility (PR) that no patient, secondary payer or write-off has
  settled.

So an 835 that does not account for the practice's charge (a line missing from it, a
posting lost), a write-off posted on top of the 835's own adjustment, a refund with no
recoupment beside it, or more collected than was owed (a credit balance) all land in
``unexplained_cents``, never in the balance.

How 835 adjustments are read (primary payer's 835s only; a reversal and the posting it
reversed do not count, ``remitted.counting_claims``): group PR is the patient's
responsibility; a timely-filing or authorization reason (``carcs`` categories) is a
non-cash compliance write-off (lost for breaking a payer rule); another refusing reason
(``carcs.DENIAL_CARCS``) is a denial, still owed until written off; anything else
(CO-45, bundling, sequestration, ...) is contractual. A secondary payer's 835 brings cash,
and writes off what the patient no longer owes after it (PR less its payment less its own
PR). Pure functions; no store, no clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from payeropt_lib.frames import member_of
from payeropt_lib.reference import carcs
from payeropt_lib.reference.claim_status import primary_adjudication
from payeropt_lib.remittances.remitted import counting_claims

# What each input needs.
CHARGE_COLUMNS = ["claim_id", "line_number", "date_of_service", "charge_cents", "primary_payer_id"]
REMIT_CLAIM_COLUMNS = [
    "remit_id", "claim_seq", "claim_id", "status", "paid_cents", "is_reversal",
    "reversed_by_remit_id",
]  # fmt: skip
REMITTANCE_COLUMNS = ["remit_id", "payer_id"]
ADJUSTMENT_COLUMNS = ["remit_id", "claim_seq", "group_code", "reason", "amount_cents"]
TRANSACTION_COLUMNS = ["claim_id", "type", "amount_cents", "payer_id"]

# Transaction types (interface section 1, transactions.csv).
PATIENT_PAYMENT = "patient_payment"
SECONDARY_PAYMENT = "secondary_payment"
REFUND = "refund"
CONTRACTUAL = "contractual"
NONCASH_COMPLIANCE = "noncash_compliance"
COURTESY = "courtesy"
BAD_DEBT = "bad_debt"
SMALL_BALANCE = "small_balance"

# Reason categories whose write-off is lost revenue for breaking a payer rule.
COMPLIANCE_CATEGORIES = ("timely_filing", "authorization")

MONEY = [
    "charges_cents",
    "payer_cash_cents",
    "secondary_cash_cents",
    "patient_cash_cents",
    "contractual_cents",
    "noncash_compliance_cents",
    "courtesy_cents",
    "bad_debt_cents",
    "small_balance_cents",
    "balance_cents",
    "unexplained_cents",
]
LEDGER_COLUMNS = [
    "claim_id",
    "primary_payer_id",
    "service_month",
    *MONEY,
    "patient_resp_cents",
    "deductible_cents",
    "denied_open_cents",
    "adjudicated",
    "resolved",
    "clean",
]


def claim_ledger(
    charges: pd.DataFrame,
    remit_claims: pd.DataFrame,
    remittances: pd.DataFrame,
    remit_adjustments: pd.DataFrame,
    transactions: pd.DataFrame,
) -> pd.DataFrame:
    """One row per claim in ``charges`` (``LEDGER_COLUMNS``), in first-seen order.

    Inputs have at least the ``*_COLUMNS`` above (store frames: cents are int64,
    ``remit_adjustments`` at line and claim level alike). Postings for claims not in
    ``charges`` are left out (``orphans`` counts them).

    Returns claim_id, primary_payer_id (the first line's), service_month (first day of the
    month of the claim's earliest date of service), the money columns (int64 cents; cash
    is net of refunds: a refund to the primary payer reduces payer cash, to another payer
    secondary cash, to no payer patient cash), patient_resp_cents (PR on the primary's
    835s), deductible_cents (PR-1), denied_open_cents (denied, not yet written off: part of
    the balance), adjudicated (the primary payer's 835 or a write-off it was posted with is
    on file), resolved (balance and unexplained both zero) and clean (resolved by cash and
    contractual adjustment alone: no compliance, courtesy, bad debt or small balance).
    """
    first = charges.drop_duplicates("claim_id")
    claims = pd.Index(first["claim_id"].astype("str"))
    n = len(claims)
    charged = _sum_at(
        claims.get_indexer(charges["claim_id"].astype("str")),
        charges["charge_cents"].astype("int64").to_numpy(),
        n,
    )
    dos_min = charges.groupby("claim_id", sort=False)["date_of_service"].min()
    month = dos_min.reindex(claims).to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
    primary_payer = first["primary_payer_id"].astype("str").to_numpy()

    # --- the 835s that count, primary or not --------------------------------------------
    rc = remitted_claims(charges, remit_claims, remittances)
    at = claims.get_indexer(rc["claim_id"])
    is_primary = rc["primary"].to_numpy()
    paid = rc["paid_cents"].astype("int64").to_numpy()
    p1 = _sum_at(at[is_primary], paid[is_primary], n)
    p2_835 = _sum_at(at[~is_primary], paid[~is_primary], n)
    adjudicated_835 = np.bincount(at[is_primary], minlength=n) > 0

    adj = remit_adjustments[ADJUSTMENT_COLUMNS].merge(
        rc[["remit_id", "claim_seq", "claim_id", "primary"]],
        on=["remit_id", "claim_seq"],
        how="inner",
    )
    where = claims.get_indexer(adj["claim_id"])
    amount = adj["amount_cents"].astype("int64").to_numpy()
    group = adj["group_code"].astype("str").to_numpy()
    reason = adj["reason"].astype("str")
    category = carcs.category_of(reason).to_numpy()
    prim = adj["primary"].to_numpy()
    pr = group == "PR"
    compliance = ~pr & np.isin(category, COMPLIANCE_CATEGORIES)
    denial = ~pr & ~compliance & member_of(reason, carcs.DENIAL_CARCS)
    contractual = ~pr & ~compliance & ~denial

    def total(mask: np.ndarray) -> np.ndarray:
        return _sum_at(where[mask], amount[mask], n)

    pr1 = total(prim & pr)
    deductible = total(prim & pr & (reason.to_numpy() == "1"))
    a1c = total(prim & contractual)
    a1n = total(prim & compliance)
    d1 = total(prim & denial)
    pr2 = total(~prim & pr)
    has_secondary_835 = np.bincount(at[~is_primary], minlength=n) > 0
    # A secondary's 835 closes what the patient no longer owes after it.
    a2_835 = np.where(has_secondary_835 & adjudicated_835, np.maximum(pr1 - p2_835 - pr2, 0), 0)

    # --- the practice system's postings -------------------------------------------------
    tx = transactions[member_of(transactions["claim_id"], claims)]
    t_at = claims.get_indexer(tx["claim_id"])
    t_amount = tx["amount_cents"].astype("int64").to_numpy()
    t_type = tx["type"].astype("str").to_numpy()
    t_payer = tx["payer_id"].fillna("").astype("str").to_numpy()
    by_primary_payer = (t_payer == primary_payer[t_at]) | (t_payer == "")
    to_patient = t_payer == ""

    def posted(mask: np.ndarray) -> np.ndarray:
        return _sum_at(t_at[mask], t_amount[mask], n)

    refund = t_type == REFUND
    payer_refund = posted(refund & ~to_patient & (t_payer == primary_payer[t_at]))
    patient_refund = posted(refund & to_patient)
    written = np.isin(t_type, (CONTRACTUAL, NONCASH_COMPLIANCE))
    t1 = posted(written & by_primary_payer)  # the primary's write-offs keyed by hand
    t1c = posted((t_type == CONTRACTUAL) & by_primary_payer)
    t1n = posted((t_type == NONCASH_COMPLIANCE) & by_primary_payer)
    a2_tx = posted((t_type == CONTRACTUAL) & ~by_primary_payer)
    n2_tx = posted((t_type == NONCASH_COMPLIANCE) & ~by_primary_payer)
    courtesy = posted(t_type == COURTESY)
    bad_debt = posted(t_type == BAD_DEBT)
    small = posted(t_type == SMALL_BALANCE)

    payer_cash = p1 + payer_refund
    others = secondary_cash(charges, rc, transactions)
    secondary = _sum_at(claims.get_indexer(others["claim_id"]), others["cash_cents"].to_numpy(), n)
    patient_cash = posted(t_type == PATIENT_PAYMENT) + patient_refund
    cash = payer_cash + secondary + patient_cash
    contractual_all = a1c + t1c + a2_835 + a2_tx
    compliance_all = a1n + t1n + n2_tx
    adjustments = contractual_all + compliance_all + courtesy + bad_debt + small

    hand_keyed = np.bincount(t_at[written & by_primary_payer], minlength=n) > 0
    adjudicated = adjudicated_835 | hand_keyed
    denied_open = np.where(adjudicated_835, np.maximum(d1 - t1, 0), 0)
    patient_open = (
        pr1 - (secondary + patient_cash) - (a2_835 + a2_tx + n2_tx) - courtesy - bad_debt
        - small
    )  # fmt: skip
    residual = charged - cash - adjustments
    balance = np.where(
        adjudicated_835, denied_open + np.maximum(patient_open, 0), np.maximum(residual, 0)
    )
    unexplained = residual - balance
    resolved = (balance == 0) & (unexplained == 0)
    clean = resolved & (compliance_all == 0) & (courtesy == 0) & (bad_debt == 0) & (small == 0)
    return pd.DataFrame(
        {
            "claim_id": claims.to_numpy(),
            "primary_payer_id": primary_payer,
            "service_month": month,
            "charges_cents": charged,
            "payer_cash_cents": payer_cash,
            "secondary_cash_cents": secondary,
            "patient_cash_cents": patient_cash,
            "contractual_cents": contractual_all,
            "noncash_compliance_cents": compliance_all,
            "courtesy_cents": courtesy,
            "bad_debt_cents": bad_debt,
            "small_balance_cents": small,
            "balance_cents": balance.astype("int64"),
            "unexplained_cents": unexplained.astype("int64"),
            "patient_resp_cents": pr1,
            "deductible_cents": deductible,
            "denied_open_cents": denied_open.astype("int64"),
            "adjudicated": adjudicated,
            "resolved": resolved,
            "clean": clean,
        }
    )[LEDGER_COLUMNS]


def remitted_claims(
    charges: pd.DataFrame, remit_claims: pd.DataFrame, remittances: pd.DataFrame
) -> pd.DataFrame:
    """The 835 claims that count (``remitted.counting_claims``) for claims in ``charges``,
    with the remitting payer_id and ``primary``: the claim's primary payer adjudicated it
    as primary (``claim_status.primary_adjudication``)."""
    primary = charges.drop_duplicates("claim_id").set_index("claim_id")["primary_payer_id"]
    rc = counting_claims(remit_claims)
    rc = rc[member_of(rc["claim_id"], primary.index)].merge(
        remittances[REMITTANCE_COLUMNS], on="remit_id", how="left"
    )
    by_primary = pd.Series(
        rc["payer_id"].to_numpy() == primary.reindex(rc["claim_id"]).to_numpy(), index=rc.index
    )
    return rc.assign(primary=primary_adjudication(rc["status"], by_primary).to_numpy())


def secondary_cash(
    charges: pd.DataFrame, remitted: pd.DataFrame, transactions: pd.DataFrame
) -> pd.DataFrame:
    """Cash from payers other than the claim's primary: (claim_id, payer_id, cash_cents),
    payer_id NA where the practice system did not name the payer.

    ``remitted``: ``remitted_claims``; their 835 payments not made as the primary, and
    the practice system's secondary payments (``TRANSACTION_COLUMNS``), net of refunds to
    a payer other than the primary.
    """
    primary = charges.drop_duplicates("claim_id").set_index("claim_id")["primary_payer_id"]
    by_835 = remitted.loc[~remitted["primary"], ["claim_id", "payer_id", "paid_cents"]]
    tx = transactions[member_of(transactions["claim_id"], primary.index)]
    payer = tx["payer_id"].fillna("").astype("str")
    not_primary = payer.to_numpy() != primary.reindex(tx["claim_id"]).to_numpy()
    keyed = tx[
        tx["type"].eq(SECONDARY_PAYMENT) | (tx["type"].eq(REFUND) & payer.ne("") & not_primary)
    ]
    both = pd.concat(
        [
            by_835.rename(columns={"paid_cents": "cash_cents"}),
            keyed[["claim_id", "payer_id", "amount_cents"]].rename(
                columns={"amount_cents": "cash_cents"}
            ),
        ],
        ignore_index=True,
    )
    both["payer_id"] = both["payer_id"].replace("", pd.NA)
    return (
        both.groupby(["claim_id", "payer_id"], sort=False, dropna=False)["cash_cents"]
        .sum()
        .reset_index()
        .astype({"cash_cents": "int64"})
    )


def orphans(charges: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """Practice-system postings for claims not in ``charges``: one row per type, with
    ``postings`` and ``amount_cents``. They belong to no month of service, so the tables
    leave them out and say so."""
    lost = transactions[~member_of(transactions["claim_id"], charges["claim_id"])]
    return (
        lost.groupby("type", sort=True)
        .agg(postings=("amount_cents", "size"), amount_cents=("amount_cents", "sum"))
        .reset_index()
        .astype({"postings": "int64", "amount_cents": "int64"})
    )


def _sum_at(at: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sums of ``values`` into ``n`` bins (``np.bincount`` sums in float)."""
    out = np.zeros(n, np.int64)
    np.add.at(out, at, values.astype(np.int64))
    return out
