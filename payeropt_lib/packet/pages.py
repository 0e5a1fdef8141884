"""The packet's pages: which notebooks make it, in reading order, and where each page goes.

Adding a page means adding a notebook to ``notebooks/`` and a line here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One packet page: a notebook in ``notebooks/`` and where its HTML goes."""

    notebook: str
    title: str
    slug: str
    summary: str

    @property
    def href(self) -> str:
        return f"{self.slug}.html"


# The packet, in reading order.
PAGES: tuple[Page, ...] = (
    Page(
        notebook="00_summary.ipynb",
        title="Summary",
        slug="summary",
        summary="The practice's headline numbers for the period and the three actions "
        "most worth taking, each linked to its evidence.",
    ),
    # Second: what a consultant checks on the first day with a new client (whether the
    # files hold together) comes before any figure that rests on them. Numbered 13 (added
    # after the others; the notebooks are not renumbered), placed here.
    Page(
        notebook="13_data_quality.ipynb",
        title="Data quality",
        slug="data-quality",
        summary="Whether your files hold together: how many of the payers' 835 lines "
        "matched a claim line, claims with no answer 60 days after they were sent, payers "
        "with no contract and codes with no contract rate, each with what to do.",
    ),
    Page(
        notebook="01_payer_performance.ipynb",
        title="Payer performance",
        slug="payer-performance",
        summary="Each payer and product line: volume, charges, allowed and paid, paid "
        "against the contract, denials, days to payment and under-payments, with monthly "
        "trends and a scorecard that ranks the payers.",
    ),
    Page(
        notebook="02_fee_schedule_comparison.ipynb",
        title="Fee schedules across payers",
        slug="fee-schedules",
        summary="What each payer pays for your most billed codes, in dollars and as a "
        "percent of Medicare; payers below Medicare are flagged.",
    ),
    Page(
        notebook="03_reimbursement_trends.ipynb",
        title="Reimbursement trends",
        slug="reimbursement-trends",
        summary="For your top codes, what each payer allowed month by month against the "
        "rate its contract sets.",
    ),
    Page(
        notebook="04_underpayments.ipynb",
        title="Under-payments",
        slug="underpayments",
        summary="What payers paid below your contracts: dollars still at stake and "
        "recovered, by payer and by cause, the codes under-paid most, how old the open "
        "follow-ups are, and over-payments you may have to return.",
    ),
    Page(
        notebook="05_denials.ipynb",
        title="Denials",
        slug="denials",
        summary="Which claims payers refused and why: by reason group, payer and code, "
        "and the trend month by month.",
    ),
    Page(
        notebook="06_payer_mix.ipynb",
        title="Payer mix",
        slug="payer-mix",
        summary="Who pays for your work: the share of claims, charges and payments by "
        "payer and payer type, and how it moves.",
    ),
    Page(
        notebook="07_contract_renewals.ipynb",
        title="Contract renewals",
        slug="contract-renewals",
        summary="Contracts whose notice window is open or opens within 120 days, with "
        "the evidence for the negotiation.",
    ),
    Page(
        notebook="08_payer_rules.ipynb",
        title="Payer rules",
        slug="payer-rules",
        summary="The payers' rules the practice has approved, what the last quarterly "
        "update changed, what each kind of rule would have caught before submission, and "
        "what the coming weeks' visits need ready.",
    ),
    Page(
        notebook="09_coding.ipynb",
        title="Coding",
        slug="coding",
        summary="The coding suggestions the documentation supports, up and down: how they "
        "are decided, whether downcodes surface as readily as upcodes, the monitors' "
        "alerts, and what the accepted ones are worth.",
    ),
    Page(
        notebook="10_reconciliation.ipynb",
        title="Reconciliation",
        slug="reconciliation",
        summary="One month of service by primary payer: charges against the cash that came "
        "in, what was written off and why, what is still owed and anything the postings do "
        "not account for.",
    ),
    Page(
        notebook="11_medicare_check.ipynb",
        title="Medicare check",
        slug="medicare-check",
        summary="Medicare's most billed codes against the fee CMS publishes for your "
        "locality, what a perfect resolution would have brought in, and who paid for the "
        "Medicare visits.",
    ),
    Page(
        notebook="12_payment_audit.ipynb",
        title="Payment audit",
        slug="payment-audit",
        summary="The month's visits that closed by cash and contractual adjustment alone, "
        "checked against what each payer owed: a report card per payer, why visits "
        "differed, and each payer's effective multiple of Medicare.",
    ),
)
