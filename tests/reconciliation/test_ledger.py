"""The claim ledger by hand: each claim a case a billing manager knows (dollars in comments)."""

from __future__ import annotations

import pandas as pd
import pytest

from payeropt_lib.reconciliation import ledger as L

CHARGES = [
    # claim, line, dos, charge cents, primary
    ("A", 1, "2025-03-04", 20000, "AET"),  # paid, contractual, copay paid
    ("B", 1, "2025-03-05", 10000, "AET"),  # no 835 yet
    ("C", 1, "2025-03-06", 10000, "AET"),  # the 835 accounts for line 1 only
    ("C", 2, "2025-03-06", 5000, "AET"),
    ("D", 1, "2025-03-07", 9000, "AET"),  # denied CO-50, written off by hand
    ("E", 1, "2025-03-10", 10000, "AET"),  # timely filing CO-29
    ("F", 1, "2025-03-11", 10000, "AET"),  # patient paid twice, refunded once
    ("G", 1, "2025-03-12", 15000, "MCR"),  # Medicare, supplement's 835 pays the PR
    ("H", 1, "2025-03-13", 15000, "MCR"),  # Medicare, Medicaid crossover by 835
    ("I", 1, "2025-03-14", 10000, "AET"),  # paid, reversed, paid again
    ("J", 1, "2025-03-17", 10000, "AET"),  # deductible: part paid, rest bad debt
    ("K", 1, "2025-03-18", 10000, "AET"),  # refund to the payer, no recoupment on file
    ("M", 1, "2025-04-01", 10000, "AET"),  # April: paid in full
]
REMITS = [(1, "AET"), (2, "MCR"), (3, "MGAP"), (4, "TXMCD"), (5, "AET")]
CLAIMS = [
    # remit, seq, claim, status, paid, reversal, reversed by
    (1, 1, "A", "1", 12000, False, None),
    (1, 2, "C", "1", 8000, False, None),
    (1, 3, "D", "4", 0, False, None),
    (1, 4, "E", "4", 0, False, None),
    (1, 5, "F", "1", 8000, False, None),
    (2, 1, "G", "1", 7840, False, None),
    (2, 2, "H", "1", 7840, False, None),
    (3, 1, "G", "2", 2000, False, None),
    (4, 1, "H", "2", 800, False, None),
    (1, 6, "I", "1", 9000, False, 5),  # reversed by remit 5
    (5, 1, "I", "22", -9000, True, None),
    (5, 2, "I", "1", 9500, False, None),
    (1, 7, "J", "1", 0, False, None),
    (1, 8, "K", "1", 10000, False, None),
    (1, 9, "M", "1", 10000, False, None),
    (1, 10, "ZZ", "1", 5000, False, None),  # a claim not on file: left out
]
ADJUSTMENTS = [
    # remit, seq, group, reason, cents
    (1, 1, "CO", "45", 5000),
    (1, 1, "PR", "3", 3000),
    (1, 2, "CO", "45", 2000),  # line 2's $50 appears nowhere
    (1, 3, "CO", "50", 9000),
    (1, 4, "CO", "29", 10000),
    (1, 5, "CO", "45", 0),
    (1, 5, "PR", "3", 2000),
    (2, 1, "CO", "45", 5000),
    (2, 1, "CO", "253", 160),
    (2, 1, "PR", "2", 2000),
    (2, 2, "CO", "45", 5000),
    (2, 2, "CO", "253", 160),
    (2, 2, "PR", "2", 2000),
    (3, 1, "OA", "23", 13000),  # a secondary's own view of the primary: not posted
    (4, 1, "OA", "23", 13000),
    (1, 6, "CO", "45", 1000),
    (5, 1, "CO", "45", -1000),
    (5, 2, "CO", "45", 500),
    (1, 7, "CO", "45", 4000),
    (1, 7, "PR", "1", 6000),
]
TRANSACTIONS = [
    # claim, type, cents, payer
    ("A", "patient_payment", 3000, ""),
    ("D", "contractual", 9000, "AET"),
    ("F", "patient_payment", 2000, ""),
    ("F", "patient_payment", 2000, ""),
    ("F", "refund", -2000, ""),
    ("J", "patient_payment", 1000, ""),
    ("J", "bad_debt", 5000, ""),
    ("K", "refund", -1000, "AET"),
    ("ZZ", "patient_payment", 700, ""),
]


def frames() -> dict[str, pd.DataFrame]:
    charges = pd.DataFrame(CHARGES, columns=L.CHARGE_COLUMNS)
    charges["date_of_service"] = pd.to_datetime(charges["date_of_service"])
    claims = pd.DataFrame(
        CLAIMS,
        columns=["remit_id", "claim_seq", "claim_id", "status", "paid_cents", "is_reversal",
                 "reversed_by_remit_id"],
    )  # fmt: skip
    claims["reversed_by_remit_id"] = claims["reversed_by_remit_id"].astype("Int64")
    return {
        "charges": charges,
        "remit_claims": claims,
        "remittances": pd.DataFrame(REMITS, columns=L.REMITTANCE_COLUMNS),
        "remit_adjustments": pd.DataFrame(ADJUSTMENTS, columns=L.ADJUSTMENT_COLUMNS),
        "transactions": pd.DataFrame(TRANSACTIONS, columns=L.TRANSACTION_COLUMNS),
    }


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    return L.claim_ledger(**frames()).set_index("claim_id")


def test_every_claim_once_and_the_identity_holds(ledger: pd.DataFrame) -> None:
    assert list(ledger.index) == ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "M"]
    parts = [c for c in L.MONEY if c != "charges_cents"]
    assert (ledger[parts].sum(axis=1) == ledger["charges_cents"]).all()


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        # $200: AET paid $120, CO-45 $50, PR-3 $30 that the patient paid: resolved, clean.
        (
            "A",
            dict(
                payer_cash_cents=12000,
                patient_cash_cents=3000,
                contractual_cents=5000,
                balance_cents=0,
                unexplained_cents=0,
                resolved=True,
                clean=True,
            ),
        ),
        # No 835: the whole $100 is with the payer.
        ("B", dict(balance_cents=10000, unexplained_cents=0, adjudicated=False)),
        # $150 billed, the 835 accounts for $100 ($80 paid + $20 CO-45): $50 unexplained.
        (
            "C",
            dict(
                payer_cash_cents=8000,
                contractual_cents=2000,
                balance_cents=0,
                unexplained_cents=5000,
                resolved=False,
            ),
        ),
        # Denied CO-50 $90 (owed until worked), written off by hand as contractual.
        (
            "D",
            dict(
                contractual_cents=9000,
                denied_open_cents=0,
                balance_cents=0,
                resolved=True,
                clean=True,
            ),
        ),
        # CO-29: lost for filing late: non-cash compliance, resolved but not clean.
        ("E", dict(noncash_compliance_cents=10000, balance_cents=0, resolved=True, clean=False)),
        # PR $20, paid $20 twice, $20 refunded: net $20, resolved.
        ("F", dict(patient_cash_cents=2000, balance_cents=0, unexplained_cents=0, resolved=True)),
        # $150: Medicare $78.40, CO-45 $50 + CO-253 $1.60, PR-2 $20 paid by the supplement.
        (
            "G",
            dict(
                payer_cash_cents=7840,
                secondary_cash_cents=2000,
                contractual_cents=5160,
                balance_cents=0,
                unexplained_cents=0,
                resolved=True,
            ),
        ),
        # Same, Medicaid pays $8 and writes off the other $12 of the PR.
        (
            "H",
            dict(
                secondary_cash_cents=800,
                contractual_cents=5160 + 1200,
                balance_cents=0,
                resolved=True,
            ),
        ),
        # The reversed $90 + CO-45 $10 counts no more; the correction's $95 + $5 does.
        ("I", dict(payer_cash_cents=9500, contractual_cents=500, resolved=True)),
        # Deductible $60 (PR-1): $10 paid, $50 bad debt; CO-45 $40.
        (
            "J",
            dict(
                deductible_cents=6000,
                patient_resp_cents=6000,
                patient_cash_cents=1000,
                bad_debt_cents=5000,
                contractual_cents=4000,
                resolved=True,
                clean=False,
            ),
        ),
        # $10 refunded to the payer with no recoupment beside it: $10 nothing explains.
        ("K", dict(payer_cash_cents=9000, unexplained_cents=1000, resolved=False)),
    ],
)
def test_each_case(ledger: pd.DataFrame, claim: str, expected: dict) -> None:
    row = ledger.loc[claim]
    assert {k: row[k] for k in expected} == expected


def test_months_of_service(ledger: pd.DataFrame) -> None:
    assert ledger.loc["A", "service_month"] == pd.Timestamp("2025-03-01")
    assert ledger.loc["M", "service_month"] == pd.Timestamp("2025-04-01")


def test_a_secondary_that_leaves_more_than_the_pr_is_a_credit() -> None:
    """The supplement paid $25 on a $20 PR: $5 more than was owed, a credit balance."""
    f = frames()
    f["remit_claims"].loc[f["remit_claims"]["remit_id"].eq(3), "paid_cents"] = 2500
    row = L.claim_ledger(**f).set_index("claim_id").loc["G"]
    assert (row["balance_cents"], row["unexplained_cents"]) == (0, -500)


def test_postings_for_claims_not_on_file_are_counted_apart() -> None:
    f = frames()
    lost = L.orphans(f["charges"], f["transactions"])
    assert lost.to_dict("records") == [
        {"type": "patient_payment", "postings": 1, "amount_cents": 700}
    ]


def test_order_of_rows_changes_nothing(ledger: pd.DataFrame) -> None:
    f = {k: v.sample(frac=1, random_state=7) for k, v in frames().items()}
    again = L.claim_ledger(**f).set_index("claim_id").loc[ledger.index]
    pd.testing.assert_frame_equal(again, ledger)
