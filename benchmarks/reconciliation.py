"""Tables 1-3 and the payment audit over a year of a large practice; prints seconds
(target, issue 15: <= 10 s for all of it).

    .venv/bin/python benchmarks/reconciliation.py [--accounts N] [--payers P] [--months M]

A synthetic practice: N accounts (claims) a month for M months (default 12,000 x 12),
1-3 lines each, spread over P payers (default 250; payer 0 is Medicare Part B, payer 1
self-pay), 400 codes, each claim answered by its primary payer's 835 (paid, CO-45, PR,
some denied or sent to collections) and most patients paying their share in the
practice system. The frames are made in memory (not timed); the tables are then computed
as ``payeropt reconcile`` and the packet pages compute them from a practice's books
(``reconciliation.record.Books``): the claim ledger once, then every month's Table 3,
Tables 1 and 2, and the payment audit (every commercial payer a percent of Medicare, so
every clean visit is audited).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from payeropt_lib.reconciliation import record

LOCALITY = "04412-11"


def practice(accounts: int, payers: int, months: int, seed: int = 15) -> record.Books:
    rng = np.random.default_rng(seed)
    n = accounts * months
    claim_ids = np.char.add("C", np.arange(n).astype(str)).astype(object)
    month = np.repeat(np.arange(months), accounts)
    day = rng.integers(0, 28, n)
    dos = (np.datetime64("2025-01-01", "M") + month).astype("datetime64[D]") + day
    # Medicare a fifth of the visits, self-pay 3 %, the rest spread unevenly.
    weights = 1 / np.arange(1, payers - 1) ** 0.8
    others = rng.choice(np.arange(2, payers), n, p=weights / weights.sum())
    payer = np.where(rng.random(n) < 0.2, 0, np.where(rng.random(n) < 0.03, 1, others))
    payer_ids = np.array([f"P{i:03d}" for i in range(payers)], dtype=object)
    per_claim = rng.choice([1, 2, 3], n, p=[0.6, 0.3, 0.1])
    claim = np.repeat(np.arange(n), per_claim)
    line = np.arange(len(claim)) - np.repeat(np.cumsum(per_claim) - per_claim, per_claim) + 1
    codes = np.array([f"{99000 + i:05d}" for i in range(400)], dtype=object)
    code = rng.choice(400, len(claim), p=(w := 1 / np.arange(1, 401)) / w.sum())
    fee = 3000 + (np.arange(400) * 137) % 25000  # cents
    charge = fee[code] * 2
    charges = pd.DataFrame(
        {
            "claim_id": claim_ids[claim],
            "line_number": line,
            "date_of_service": pd.to_datetime(dos[claim]),
            "procedure_code": codes[code],
            "modifiers": "",
            "units": 1,
            "charge_cents": charge,
            "primary_payer_id": payer_ids[payer[claim]],
            "product_line": "",
            "place_of_service": "11",
            "secondary_payer_id": None,
        }
    )
    for col in ("claim_id", "procedure_code", "primary_payer_id"):
        charges[col] = charges[col].astype("str")

    # The primary's 835: 95 % answered; allowed = fee, PR 20 % (copay-like), 3 % denied.
    answered = rng.random(len(claim)) < 0.95
    denied = answered & (rng.random(len(claim)) < 0.03)
    allowed = np.where(denied, 0, fee[code])
    pr = allowed // 5
    paid = allowed - pr
    lines_835 = np.flatnonzero(answered)
    claim_seq = claim[lines_835]
    remit_id = payer[claim_seq] * months + month[claim_seq] + 1  # one 835 a payer a month
    claims_835 = pd.DataFrame({"remit_id": remit_id, "claim_seq": claim_seq,
                               "paid": paid[lines_835]}).groupby(
        ["remit_id", "claim_seq"], as_index=False)["paid"].sum()  # fmt: skip
    remit_claims = pd.DataFrame(
        {
            "remit_id": claims_835["remit_id"],
            "claim_seq": claims_835["claim_seq"],
            "claim_id": claim_ids[claims_835["claim_seq"]].astype(str),
            "status": np.where(claims_835["paid"] > 0, "1", "4"),
            "paid_cents": claims_835["paid"],
            "is_reversal": False,
            "reversed_by_remit_id": pd.array([pd.NA] * len(claims_835), "Int64"),
        }
    ).astype({"claim_id": "str"})
    remittances = pd.DataFrame(
        {
            "remit_id": np.arange(1, payers * months + 1),
            "payer_id": payer_ids[np.arange(payers * months) // months],
        }
    ).astype({"payer_id": "str"})
    adjustments = pd.concat(
        [
            pd.DataFrame({"remit_id": remit_id, "claim_seq": claim_seq, "line_seq": lines_835,
                          "group_code": g, "reason": r, "amount_cents": a})
            for g, r, a in (
                ("CO", "45", np.where(denied, 0, charge - allowed)[lines_835]),
                ("CO", "50", np.where(denied, charge, 0)[lines_835]),
                ("PR", "2", pr[lines_835]),
            )
        ],
        ignore_index=True,
    )  # fmt: skip
    adjustments = adjustments[adjustments["amount_cents"] != 0]
    remit_lines = pd.DataFrame(
        {
            "remit_id": remit_id,
            "claim_seq": claim_seq,
            "line_seq": lines_835,
            "claim_id": claim_ids[claim_seq],
            "line_number": line[lines_835],
            "allowed_cents": allowed[lines_835],
            "paid_cents": paid[lines_835],
            "patient_resp_cents": pr[lines_835],
            "sequestration_cents": 0,
        }
    ).astype({"claim_id": "str"})
    # Patients pay their PR (80 %), some go to collections.
    pr_claim = np.bincount(claim[answered], pr[answered], n).astype(np.int64)
    pays = (pr_claim > 0) & (rng.random(n) < 0.8)
    bad = (pr_claim > 0) & ~pays & (rng.random(n) < 0.5)
    transactions = pd.concat(
        [
            pd.DataFrame({"claim_id": claim_ids[pays], "type": "patient_payment",
                          "amount_cents": pr_claim[pays], "payer_id": ""}),
            pd.DataFrame({"claim_id": claim_ids[bad], "type": "bad_debt",
                          "amount_cents": pr_claim[bad], "payer_id": ""}),
        ],
        ignore_index=True,
    ).astype({"claim_id": "str"})  # fmt: skip
    contracts = pd.DataFrame(
        {
            "payer_id": payer_ids,
            "payer_name": [f"Payer {i}" for i in range(payers)],
            "payer_class": ["MEDICARE", "SELF_PAY", *["COMMERCIAL"] * (payers - 2)],
            "effective_from": pd.Timestamp("2024-01-01"),
            "medicare_locality": LOCALITY,
            "product_line": "",
            # Each commercial payer pays its own percent of Medicare, 90-180 %.
            "basis": "medicare_percent",
            "medicare_percent_x1000": 90_000 + (np.arange(payers) * 3_700) % 90_000,
            "lesser_of_charges": True,
            "mppr_percent_x1000": 50_000,
            "payment_rules": np.where(np.arange(payers) == 0, "medicare", "contract"),
        }
    )
    fee_schedules = pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in (
            ("payer_id", "str"), ("product_line", "str"), ("procedure_code", "str"),
            ("modifier", "str"), ("effective_from", "datetime64[ns]"),
            ("effective_to", "datetime64[ns]"), ("allowed_cents", "int64"))}
    )  # fmt: skip
    medicare_fees = pd.DataFrame(
        {
            "locality": LOCALITY,
            "procedure_code": codes,
            "modifier": "",
            "effective_from": pd.Timestamp("2025-01-01"),
            "effective_to": pd.NaT,
            "non_facility_cents": fee,
            "facility_cents": fee * 3 // 4,
            "mult_proc": np.where(np.arange(400) % 7 == 0, "2", "0"),
        }
    )
    frames = {
        "charges": charges,
        "remit_claims": remit_claims,
        "remittances": remittances,
        "remit_adjustments": adjustments,
        "remit_lines": remit_lines,
        "transactions": transactions,
        "contracts": contracts,
        "fee_schedules": fee_schedules,
        "medicare_fees": medicare_fees,
    }
    return record.Books.of(frames, LOCALITY)


def timed(what: str, work):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"{what}: {seconds:.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=12_000)
    parser.add_argument("--payers", type=int, default=250)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    books, _ = timed("synthetic practice (not counted)", lambda: practice(
        args.accounts, args.payers, args.months))  # fmt: skip
    lines = len(books.frames["charges"])
    print(f"{args.accounts * args.months:,} accounts, {lines:,} lines, {args.payers} payers")
    months = pd.date_range("2025-01-01", periods=args.months, freq="MS")
    total = 0.0
    _, s = timed("claim ledger (once)", lambda: books.ledger)
    total += s
    _, s = timed(f"Table 3, {args.months} months", lambda: [books.receivables(m) for m in months])
    total += s
    _, s = timed(
        f"Tables 1 and 2, {args.months} months", lambda: [books.medicare(m) for m in months]
    )
    total += s
    _, s = timed(
        f"payment audit, {args.months} months",
        lambda: (books.price_audits(), [books.audit(m) for m in months]),
    )
    total += s
    print(f"total: {total:.2f} s (target <= 10 s)")


if __name__ == "__main__":
    main()
