"""The "Payment audit" page: the month's visits that resolved to zero by cash and
contractual adjustment only, audited against the fee each payer owed, a report card per
payer, and each payer's effective multiple of Medicare inferred from what it allowed.

Display frames over ``reconciliation.payment_audit`` (the audit) and
``reconciliation.multipliers`` (the multiples). Aggregates only: the sample's claim
numbers are for the office's CSV (``payeropt payment-audit``), never the page; a payer's
row is hidden with its visits (or lines) under the cell size in force.
"""

from __future__ import annotations

import pandas as pd

from payeropt_lib.reconciliation import multipliers, payment_audit
from payeropt_lib.reconciliation.record import Books

from . import directory, privacy
from .reconciliation import display_percent

BASIS_LABELS = {
    payment_audit.MEDICARE: "Medicare's fee schedule",
    payment_audit.CONTRACT: "Contract on file",
    payment_audit.INFERRED: "Inferred from remittances",
    payment_audit.NO_SCHEDULE: "No schedule (sample only)",
}
REASON_LABELS = {
    "secondary_not_billed": "Secondary not billed",
    "deductible": "Deductible",
    "patient_share_written_off": "Patient's share written off",
    "reduction": "Reduction (multiple procedure, lesser of charge)",
    "denied_written_off": "Denied and written off",
    "different_rate": "Paid at a different rate",
    "not_explained": "Not explained",
}
SECTION_LABELS = {"services": "Visits", "surgical": "Surgical claims (multiple-procedure)"}
TOTAL_PAYER = "All payers"


def inferred(books: Books, adjudicated: pd.DataFrame) -> pd.DataFrame:
    """Each payer's effective multiple of Medicare (``multipliers.infer``) over the
    remitted lines that count (``remitted.adjudicated``, the page's period)."""
    f = books.frames
    lines = multipliers.claim_facts(adjudicated, f["charges"], f["remit_claims"])
    return multipliers.infer(lines, f["contracts"], f["medicare_fees"], books.locality)


def audit(
    books: Books, month: pd.Timestamp | None, figures: pd.DataFrame
) -> payment_audit.Audit | None:
    """The month's payment audit, payers without a contract priced at their inferred
    percent of Medicare (``figures``: ``inferred``); None without a month."""
    if month is None:
        return None
    schedule = payment_audit.inferred_schedule(figures, books.frames["contracts"])
    return books.audit(month, inferred=schedule)


def report_card(books: Books, done: payment_audit.Audit | None, section: str) -> pd.DataFrame:
    """One section of the report card ('all', 'services' or 'surgical') for display:
    payer, basis_label, clean_count, visits_count (audited), priced_count, perfect_count,
    pct_perfect, expected_cents, cash_cents, variance_cents, largest_variance_cents,
    unpriced_count, and per reason its visits (``<reason>_count``) and cents; is_total."""
    if done is None:
        return pd.DataFrame()
    card = done.card[done.card["section"].eq(section)]
    if card.empty:
        return pd.DataFrame()
    payers = directory.payer_directory(books.frames["contracts"])
    is_total = card["payer_id"].eq(payment_audit.TOTAL)
    names = directory.payer_names(card["payer_id"].fillna(""), payers)
    out = pd.DataFrame(
        {
            "payer": names.where(~is_total, TOTAL_PAYER),
            "basis_label": card["basis"].map(BASIS_LABELS).fillna(""),
            "clean_count": card["clean_visits"],
            "visits_count": card["visits"],
            "priced_count": card["visits_priced"],
            "perfect_count": card["visits_perfect"],
            "pct_perfect": display_percent(card["perfect_percent_x1000"]),
            "expected_cents": card["expected_cents"],
            "cash_cents": card["cash_cents"],
            "variance_cents": card["variance_cents"],
            "largest_variance_cents": card["largest_variance_cents"],
            "unpriced_count": card["unpriced_lines"],
            **{f"{r}_count": card[f"{r}_visits"] for r in payment_audit.REASONS},
            **{f"{r}_cents": card[f"{r}_cents"] for r in payment_audit.REASONS},
            privacy.TOTAL: is_total.to_numpy(),
        }
    ).reset_index(drop=True)
    counts = ["clean_count", "visits_count", "priced_count", "perfect_count"]
    money = [c for c in out.columns if c.endswith("_cents") or c == "pct_perfect"]
    return privacy.suppress(out, counts, {m: "visits_count" for m in money})


def reasons(card: pd.DataFrame) -> pd.DataFrame:
    """The report card's total as one row per reason an audited visit differed: reason,
    visits_count, amount_cents (the reasons' amounts add up to the variance)."""
    if card.empty:
        return pd.DataFrame()
    total = card[card[privacy.TOTAL]].iloc[0]
    out = pd.DataFrame(
        {
            "reason": [REASON_LABELS[r] for r in payment_audit.REASONS],
            "visits_count": [total[f"{r}_count"] for r in payment_audit.REASONS],
            "amount_cents": [total[f"{r}_cents"] for r in payment_audit.REASONS],
        }
    )
    return out[out["visits_count"].fillna(1).gt(0)].reset_index(drop=True)


def sample_summary(books: Books, done: payment_audit.Audit | None) -> pd.DataFrame:
    """The sample drawn for a person to re-check, per payer, without a claim number:
    payer, clean_count, sampled_count, seed."""
    if done is None or done.sample.empty:
        return pd.DataFrame()
    s = done.sample
    per = (
        s.groupby("payer_id", sort=False)
        .agg(clean_count=("clean_visits", "first"), sampled_count=("claim_id", "size"),
             seed=("seed", "first"))
        .reset_index()
    )  # fmt: skip
    payers = directory.payer_directory(books.frames["contracts"])
    per.insert(0, "payer", directory.payer_names(per["payer_id"], payers))
    return privacy.suppress(per.drop(columns="payer_id"), ["clean_count", "sampled_count"])


def multiples(books: Books, figures: pd.DataFrame) -> pd.DataFrame:
    """Each payer and product line's effective multiple of Medicare, for display: payer,
    product_line, lines_count, codes_count, pct_median, pct_q1, pct_q3, year_label (the
    Medicare year that fits best), pct_contract, pct_gap, status, note, flag (a gap beyond
    tolerance). Payers with no counted line are left out; rows under the cell size in
    lines are hidden."""
    if figures.empty:
        return pd.DataFrame()
    f = figures[figures["lines"].gt(0)]
    payers = directory.payer_directory(books.frames["contracts"])
    out = pd.DataFrame(
        {
            "payer": directory.payer_names(f["payer_id"], payers),
            "product_line": f["product_line"].fillna(""),
            "lines_count": f["lines"],
            "codes_count": f["codes"],
            "pct_median": display_percent(f["median_x1000"]),
            "pct_q1": display_percent(f["q1_x1000"]),
            "pct_q3": display_percent(f["q3_x1000"]),
            "year_label": f["medicare_year"]
            .astype("Int64")
            .astype("string")
            .fillna("year of service"),
            "pct_contract": display_percent(f["contract_x1000"]),
            "pct_gap": display_percent(f["gap_x1000"]),
            "status": f["status"],
            "note": f["note"].fillna(""),
            "flag": f["status"].eq("beyond tolerance"),
        }
    ).reset_index(drop=True)
    shown = ["pct_median", "pct_q1", "pct_q3", "pct_gap"]
    return privacy.suppress(out, ["lines_count", "codes_count"], {c: "lines_count" for c in shown})
