"""What the demo practice's PM system posted besides the 835s (transactions.csv).

The postings follow the 835s the demo's payers send (``remittances.plan_payments``), as a
careful billing office's would, so that the receivable reconciliation by month of service
(``reconciliation.ledger``) tells a true story:

- **Patients** settle what the 835 made them responsible for (CAS group PR), no more: the
  copay at the visit (posted the next business day) only where the plan has a copay and the
  835 assigns PR-3; coinsurance and deductible on the statement, 2 to 8 weeks after the 835
  (a few pay later). Some pay part, some never pay: what is left goes to collections as
  bad debt 120-180 days after the date of service, or is written off as small balance
  when under $10, for exactly what was left. A few open balances are forgiven as a
  courtesy, for exactly the open balance.
- **Secondary payers** pay the PR of Medicare claims: the Medigap supplement (MGAP) all of
  it, bar a few lapsed policies whose patients are billed instead; Medicaid (TXMCD) for the
  dual eligible up to its own rate, the rest written off as contractual by TXMCD (the
  patient may not be billed).
- **Denials** the 835 leaves open are worked: a claim denied for missing information
  (CO-16) and never corrected is written off as non-cash compliance (CARC 29) once the
  payer's filing limit has passed; a medical-necessity denial (CO-50) is written off as
  contractual when the appeal is upheld, a non-covered service (CO-96) after review. A
  timely-filing or authorization denial (CO-29, CO-197) is already the write-off on the
  835: nothing is posted beside it.
- **Paper EOBs** keyed by hand (contractual by the primary payer) only for claims whose
  835 has not come by DEMO_AS_OF (workers' comp mostly).
- **Refunds**: to a patient only of a real credit (a statement paid twice: the duplicate,
  then its refund); to a payer only where the demo planted an over-payment, with the
  contractual adjustment that corrects the write-off beside it.

Deliberate anomalies, a handful a month, for the reconciliation's "unexplained" line:

- a statement paid twice whose refund has not been posted (a credit balance);
- an over-payment refunded to the payer without the contractual adjustment beside it (as
  if the 835's over-payment had never been posted: cash short of the charge);
- a small-balance write-off keyed twice.

Postings on or after DEMO_AS_OF are not there yet, so the recent months stay partly open.
Drawn from a random stream of its own (``POSTINGS_STREAM``), one draw per claim for every
decision, vectorized: the same seed and 835s give the same rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from payeropt_lib.formats import decimal_texts
from payeropt_lib.pricing import expected

from .contracts import CONTRACTS, MGAP, TXMCD
from .dates import DEMO_AS_OF, HOLIDAYS, date_strings
from .remittances import EM_CODES, MEDICARE_LIKE, SEQUESTRATION_X1000

POSTINGS_STREAM = 15  # np.random.default_rng([seed, POSTINGS_STREAM])
COMMERCIAL = ("PMH", "CRHP", "LBA")  # the payers whose 835s assign copays (PR-3)
COPAY_CENTS = 2500
SMALL_BALANCE_CENTS = 1000  # balances under $10 are written off, not sent to collections

# Shares of claims (of those a step applies to).
AT_VISIT = 0.9  # copay collected at the visit
COURTESY = 0.012  # an open patient balance forgiven
PAYS_IN_FULL = 0.78
PAYS_PART = 0.10  # the rest never pay
PAYS_LATE = 0.1  # of those who pay in full, after the second statement
PAYS_TWICE = 0.006  # of those who pay a statement in full: a duplicate, then its refund
NOT_REFUNDED = 0.0025  # anomaly: paid twice, no refund yet
MGAP_LAPSED = 0.03  # the supplement refuses: the patient is billed
MEDICAID_PERMILLE = 400  # Medicaid pays up to its own rate: 40 % of the Medicare PR
OVERPAYMENT_REFUNDED = 0.7
REFUND_NOT_ADJUSTED = 0.2  # anomaly: of the refunds to payers
SMALL_TWICE = 0.02  # anomaly: of the small-balance write-offs
# The denials the practice works: CO-16 (missing information), CO-50 (medical necessity),
# CO-96 (non-covered). CO-29 and CO-197 are written off on the 835 itself.
WORKED_DENIALS = ("16", "50", "96")
PAPER_EOB = {"PVWC": 0.5}  # of the claims with no 835 yet; other payers 3 %
PAPER_EOB_OTHERS = 0.03

EMPTY = {
    "claim": np.array([], np.int64),
    "line_number": np.array([], object),
    "posted": np.array([], "datetime64[D]"),
    "type": np.array([], object),
    "amount": np.array([], np.int64),
    "payer_id": np.array([], object),
    "reason": np.array([], object),
}


def transactions_frame(
    seed: int, c: dict[str, np.ndarray], frames: dict[str, pd.DataFrame], plan: pd.DataFrame
) -> pd.DataFrame:
    """transactions.csv rows (all strings) for the claims ``c`` (``claims.claim_headers``).

    ``frames``: the practice's stored charges, contracts, fee_schedules and medicare_fees
    (``remittances.stored_frames``); ``plan``: what its payers' 835s pay
    (``remittances.plan_payments`` over them).
    """
    rng = np.random.default_rng([seed, POSTINGS_STREAM])
    n = len(c["claim_id"])
    ids = pd.Index(c["claim_id"].astype("str"))
    dos = c["dos"].astype("datetime64[D]")
    payer = np.array([x.payer_id for x in CONTRACTS], dtype=object)[c["contract"]]
    copay_plan = np.array([x.patient_share_kind == "copay" for x in CONTRACTS])[c["contract"]]
    timely = np.array([int(x.timely_filing_days) for x in CONTRACTS])[c["contract"]]
    r = _Remits(ids, plan)
    charged = _sum_at(
        ids.get_indexer(frames["charges"]["claim_id"]),
        frames["charges"]["charge_cents"].to_numpy(),
        n,
    )
    u = rng.random((16, n))

    def later(start: np.ndarray, low: int, high: int) -> np.ndarray:
        return _later(start, low, high, rng)

    out = _Postings(n)
    pr = r.pr1 + r.pr2 + r.pr3

    # --- secondary payers of Medicare claims ---------------------------------------
    crossover = later(r.day, 10, 35)
    mgap = r.remitted & (c["secondary"] == MGAP) & (pr > 0) & (u[0] >= MGAP_LAPSED)
    out.post(mgap, "secondary_payment", pr, crossover, payer="MGAP", reason="Medigap")
    dual = r.remitted & (c["secondary"] == TXMCD) & (pr > 0)
    medicaid = (pr * MEDICAID_PERMILLE + 500) // 1000
    out.post(dual & (medicaid > 0), "secondary_payment", medicaid, crossover, payer="TXMCD",
             reason="Medicaid crossover")  # fmt: skip
    out.post(dual & (pr > medicaid), "contractual", pr - medicaid, crossover, payer="TXMCD",
             reason="CARC 45 Medicaid crossover")  # fmt: skip

    # --- the patient -----------------------------------------------------------------
    first_em, first_charge = _first_line_em(ids, frames["charges"])
    # The copay the front desk takes at the visit: what the 835 assigns as PR-3, or, while
    # the 835 has not come, the plan's copay on an office visit.
    visit_copay = np.where(
        r.remitted, r.pr3,
        np.where(np.isin(payer, COMMERCIAL) & first_em, np.minimum(COPAY_CENTS, first_charge), 0),
    )  # fmt: skip
    at_visit = copay_plan & (visit_copay > 0) & (u[1] < AT_VISIT)
    out.post(at_visit, "patient_payment", visit_copay, later(dos, 1, 1), reason="copay at visit")
    billed = r.remitted & (pr > 0) & ~mgap & ~dual
    due = np.where(billed, pr - np.where(at_visit, visit_copay, 0), 0)
    billed &= due > 0
    courtesy = billed & (u[2] < COURTESY)
    out.post(courtesy, "courtesy", due, later(r.day, 5, 30),
             reason=np.where(u[3] < 0.6, "hardship courtesy", "provider courtesy"))  # fmt: skip
    billed &= ~courtesy
    full = billed & (u[4] < PAYS_IN_FULL)
    part_amount = (due * rng.integers(20, 81, n) // 100) // 100 * 100
    part = billed & ~full & (u[4] < PAYS_IN_FULL + PAYS_PART) & (part_amount > 0)
    paid = np.where(full, due, np.where(part, part_amount, 0))
    statement = later(r.day, 14, 60)
    pay_day = np.where(full & (u[5] < PAYS_LATE), later(r.day, 61, 110), statement)
    out.post(full | part, "patient_payment", paid, pay_day, reason="statement payment")
    twice = full & (u[6] < PAYS_TWICE + NOT_REFUNDED)
    again = later(pay_day, 2, 20)
    out.post(twice, "patient_payment", due, again, reason="statement payment")
    refunded = twice & (u[6] < PAYS_TWICE)
    out.post(refunded, "refund", -due, later(again, 14, 45), reason="patient credit refund")
    left = np.where(billed, due - paid, 0)
    small = (left > 0) & (left < SMALL_BALANCE_CENTS)
    small_day = later(r.day, 75, 120)
    out.post(small, "small_balance", left, small_day, reason="balance under $10")
    out.post(small & (u[7] < SMALL_TWICE), "small_balance", left, later(small_day, 1, 10),
             reason="balance under $10")  # fmt: skip
    out.post(left >= SMALL_BALANCE_CENTS, "bad_debt", left, later(dos, 120, 180),
             reason="sent to collections")  # fmt: skip

    # --- denials the 835 left open (the payer picks a reason per line) ----------------
    # Missing information never corrected: lost once the payer's filing limit passed.
    past_limit = dos + timely.astype("timedelta64[D]")
    out.post(r.denied["16"] > 0, "noncash_compliance", r.denied["16"], later(past_limit, 5, 45),
             payer=payer, reason="CARC 29")  # fmt: skip
    out.post(r.denied["50"] > 0, "contractual", r.denied["50"], later(r.day, 60, 150),
             payer=payer, reason="CARC 50 appeal upheld")  # fmt: skip
    out.post(r.denied["96"] > 0, "contractual", r.denied["96"], later(r.day, 20, 60),
             payer=payer, reason="CARC 96 non-covered")  # fmt: skip

    # --- over-payments returned -------------------------------------------------------
    refund = (r.overpaid > 0) & (u[8] < OVERPAYMENT_REFUNDED)
    refund_day = later(r.day, 30, 90)
    out.post(refund, "refund", -r.overpaid, refund_day, payer=payer,
             reason="overpayment refund to payer")  # fmt: skip
    out.post(refund & (u[9] >= REFUND_NOT_ADJUSTED), "contractual", r.overpaid, refund_day,
             payer=payer, reason="CARC 45 overpayment refunded")  # fmt: skip

    # --- paper EOBs of claims whose 835 has not come -----------------------------------
    share = np.array([PAPER_EOB.get(p, PAPER_EOB_OTHERS) for p in payer], dtype=float)
    paper = ~r.remitted & (u[10] < share)
    allowed = _contract_allowed(ids, frames, paper)
    out.post(paper & (charged > allowed), "contractual", charged - allowed, later(dos, 15, 45),
             payer=payer, reason="CARC 45 paper EOB")  # fmt: skip

    return out.frame(c["claim_id"])


class _Remits:
    """The 835s' figures per claim (index of ``ids``): whether one came, its date
    (``day``; DEMO_AS_OF + 30 days for none yet, so that what follows it is not posted),
    PR-1/2/3, the charges denied for each of ``WORKED_DENIALS`` and the payer's
    over-payment (what it paid beyond the contract on planted ``overpaid`` lines)."""

    def __init__(self, ids: pd.Index, plan: pd.DataFrame) -> None:
        n = len(ids)
        at = ids.get_indexer(plan["claim_id"])
        self.remitted = np.bincount(at, minlength=n) > 0
        self.day = np.full(n, np.datetime64(DEMO_AS_OF, "D") + 30)
        self.day[at] = plan["payment_date"].to_numpy().astype("datetime64[D]")
        self.pr1, self.pr2, self.pr3 = (
            _sum_at(at, plan[f"pr{k}_cents"].to_numpy(), n) for k in (1, 2, 3)
        )
        carc = plan["denial_carc"].fillna("").to_numpy(dtype=object)
        charge = plan["charge_cents"].to_numpy()
        self.denied = {
            reason: _sum_at(at, np.where(carc == reason, charge, 0), n)
            for reason in WORKED_DENIALS
        }
        self.overpaid = _sum_at(at, _overpaid(plan), n)


def _overpaid(plan: pd.DataFrame) -> np.ndarray:
    """Per plan line, what the payer paid beyond what it would have paid at the contract's
    allowed amount (the same PR and sequestration rules as ``plan_payments``)."""
    over = plan["planted"].eq("overpaid").to_numpy() & plan["expected_cents"].notna().to_numpy()
    exp = plan["expected_cents"].fillna(0).astype("int64").to_numpy()
    payer = plan["primary_payer_id"]
    pr2 = np.where(payer.isin(MEDICARE_LIKE).to_numpy(), (exp * 20 + 50) // 100, 0)
    pr3 = np.where(plan["pr3_cents"].to_numpy() > 0, np.minimum(COPAY_CENTS, exp), 0)
    pr1 = np.where(plan["pr1_cents"].to_numpy() > 0, np.minimum(exp - pr3, 5000), 0)
    share = exp - pr1 - pr2 - pr3
    seq = np.where(
        payer.eq("MCR").to_numpy(), (share * SEQUESTRATION_X1000 * 2 + 100_000) // 200_000, 0
    )
    return np.where(over, np.maximum(plan["paid_cents"].to_numpy() - (share - seq), 0), 0)


def _first_line_em(ids: pd.Index, charges: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per claim: is its first line an office E/M, and that line's charge."""
    first = charges.sort_values(["claim_id", "line_number"]).drop_duplicates("claim_id")
    at = ids.get_indexer(first["claim_id"])
    em = np.zeros(len(ids), bool)
    em[at] = first["procedure_code"].isin(EM_CODES).to_numpy()
    charge = np.zeros(len(ids), np.int64)
    charge[at] = first["charge_cents"].to_numpy()
    return em, charge


def _contract_allowed(
    ids: pd.Index, frames: dict[str, pd.DataFrame], claims: np.ndarray
) -> np.ndarray:
    """Per claim, the contract's allowed amount of its lines (60 % of charge where no rate
    is on file, as the demo's payers pay), for the ``claims`` marked; 0 elsewhere."""
    charges = frames["charges"]
    lines = charges[claims[ids.get_indexer(charges["claim_id"])]].reset_index(drop=True)
    out = np.zeros(len(ids), np.int64)
    if lines.empty:
        return out
    engine_in = lines.assign(
        line_key=np.arange(len(lines), dtype="int64"),
        payer_id=lines["primary_payer_id"],
        product_line=lines["product_line"].fillna(""),
    )[_ENGINE_COLUMNS]
    priced = expected.expected_allowed(
        engine_in, frames["contracts"], frames["fee_schedules"], frames["medicare_fees"],
        explain=False, columns=("expected_cents",),
    ).set_index("line_key")["expected_cents"]  # fmt: skip
    exp = priced.reindex(engine_in["line_key"]).fillna(-1).astype("int64").to_numpy()
    own = (lines["charge_cents"].to_numpy() * 12 + 10) // 20  # 60 %, half up
    np.add.at(out, ids.get_indexer(lines["claim_id"]), np.where(exp < 0, own, exp))
    return out


# The columns ``expected.expected_allowed`` prices a line from.
_ENGINE_COLUMNS = [
    "line_key", "claim_id", "payer_id", "product_line", "procedure_code", "modifiers",
    "units", "charge_cents", "date_of_service", "place_of_service",
]  # fmt: skip


class _Postings:
    """The rows posted so far, one block per ``post``."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.blocks: list[dict[str, np.ndarray]] = []

    def post(self, mask, kind: str, amount, posted, payer="", reason="") -> None:
        """Post ``amount`` (per claim, cents) on ``posted`` for the claims in ``mask``;
        ``payer`` and ``reason`` per claim or one for all."""
        take = np.flatnonzero(np.asarray(mask, bool))
        if not len(take):
            return

        def each(value) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=object), self.n)[take]

        self.blocks.append(
            {
                "claim": take,
                "line_number": np.full(len(take), "", dtype=object),
                "posted": np.asarray(posted).astype("datetime64[D]")[take],
                "type": np.full(len(take), kind, dtype=object),
                "amount": np.broadcast_to(np.asarray(amount, np.int64), self.n)[take],
                "payer_id": each(payer),
                "reason": each(reason),
            }
        )

    def frame(self, claim_ids: np.ndarray) -> pd.DataFrame:
        """transactions.csv rows posted before DEMO_AS_OF, by date, claim and type."""
        rows = pd.DataFrame(
            {k: np.concatenate([EMPTY[k], *(b[k] for b in self.blocks)]) for k in EMPTY}
        )
        rows = rows.loc[rows["posted"] < np.datetime64(DEMO_AS_OF)]
        rows = rows.sort_values(["posted", "claim", "type"], kind="stable")
        return pd.DataFrame(
            {
                "claim_id": claim_ids[rows["claim"].to_numpy()],
                "line_number": rows["line_number"].to_numpy(),
                "posted_date": date_strings(rows["posted"].to_numpy()),
                "type": rows["type"].to_numpy(),
                "amount": decimal_texts(rows["amount"].to_numpy()).to_numpy(),
                "payer_id": rows["payer_id"].to_numpy(),
                "reason": rows["reason"].to_numpy(),
            },
            dtype="str",
        )


def _later(start: np.ndarray, low: int, high: int, rng: np.random.Generator) -> np.ndarray:
    """A business day ``low``..``high`` calendar days after each of ``start``."""
    days = rng.integers(low, high + 1, len(start)).astype("timedelta64[D]")
    return np.busday_offset(start + days, 0, roll="forward", holidays=HOLIDAYS)


def _sum_at(at: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sums of ``values`` into ``n`` bins."""
    out = np.zeros(n, np.int64)
    np.add.at(out, at, np.asarray(values).astype(np.int64))
    return out
