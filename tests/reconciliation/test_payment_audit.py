"""The payment audit by hand: a small June of Medicare, two contract payers, an inferred
payer and one with no schedule (dollars in the comments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib import store
from payeropt_lib.reconciliation import ledger as L
from payeropt_lib.reconciliation import payment_audit as A
from payeropt_lib.store import tables
from tests.remittances.x835 import ACME, clp, era835, svc
from tests.test_cli import OWNER_ENV, payeropt

MONTH = pd.Timestamp("2025-06-01")
LOC = "04412-11"

CHARGES = [
    # claim, line, dos, code, units, charge, payer, secondary
    ("M1", 1, "2025-06-02", "99213", 1, 15000, "MCR", ""),  # perfect
    ("M2", 1, "2025-06-03", "99213", 1, 15000, "MCR", "MGAP"),  # deductible not collected
    ("M3", 1, "2025-06-04", "99213", 1, 15000, "MCR", "MGAP"),  # secondary never billed
    ("S1", 1, "2025-06-05", "20610", 1, 20000, "MCR", ""),  # surgery, MPPR as expected
    ("S1", 2, "2025-06-05", "20552", 1, 15000, "MCR", ""),
    ("S2", 1, "2025-06-06", "20610", 1, 20000, "MCR", ""),  # second procedure cut to 25 %
    ("S2", 2, "2025-06-06", "20552", 1, 15000, "MCR", ""),
    ("N1", 1, "2025-06-09", "99213", 1, 15000, "MCR", ""),  # bad debt: not clean
    ("J1", 1, "2025-07-01", "99213", 1, 15000, "MCR", ""),  # July
    ("A1", 1, "2025-06-02", "99213", 1, 15000, "AET", ""),  # perfect
    ("A2", 1, "2025-06-03", "99213", 1, 15000, "AET", ""),  # allowed $95, not $100
    ("A3", 1, "2025-06-04", "99213", 1, 15000, "AET", "MCD"),  # crossover writes off $12
    ("A5", 1, "2025-06-05", "99213", 1, 15000, "AET", ""),  # $3 more than allowed
    ("L1", 1, "2025-06-10", "99213", 1, 9000, "LBA", ""),  # paid the charge, below rate
    ("I1", 1, "2025-06-11", "99213", 1, 15000, "INF", ""),  # perfect at 120 %
    ("I2", 1, "2025-06-12", "99213", 1, 15000, "INF", ""),
    ("I2", 2, "2025-06-12", "99214", 1, 20000, "INF", ""),  # bundled, written off
    ("U1", 1, "2025-06-13", "99213", 1, 15000, "UNK", ""),  # no schedule
    ("SP1", 1, "2025-06-14", "99213", 1, 15000, "SELF", ""),  # self-pay: not audited
]
MEDICARE_FEES = [("99213", 9000, 6000, "0"), ("99214", 12000, 9000, "0"),
                 ("20610", 10000, 7000, "2"), ("20552", 8000, 5000, "2")]  # fmt: skip
CONTRACTS = [
    # payer, basis, percent, locality, lesser of, rules
    ("MCR", "medicare_percent", 100_000, LOC, True, "medicare"),
    ("AET", "fee_schedule", None, None, True, "contract"),
    ("LBA", "medicare_percent", 115_000, LOC, False, "contract"),
    ("SELF", "fee_schedule", None, None, False, "contract"),
]
FEES = [("AET", "99213", 10000), ("AET", "20610", 20000), ("AET", "20552", 12000)]
REMITTANCES = {1: "MCR", 2: "MGAP", 3: "AET", 4: "LBA", 5: "INF", 6: "UNK"}
REMIT_CLAIMS = [
    # remit, seq, claim, status, paid
    (1, 1, "M1", "1", 7056), (1, 2, "M2", "1", 3136), (1, 3, "M3", "1", 7056),
    (1, 4, "S1", "1", 10976), (1, 5, "S2", "1", 9408), (1, 6, "N1", "1", 7056),
    (2, 1, "M2", "2", 800),  # the supplement pays the coinsurance, not the deductible
    (3, 1, "A1", "1", 8000), (3, 2, "A2", "1", 7500), (3, 3, "A3", "1", 8000),
    (3, 4, "A5", "1", 8300), (4, 1, "L1", "1", 7200), (5, 1, "I1", "1", 8640),
    (5, 2, "I2", "1", 8640), (6, 1, "U1", "1", 9000),
]  # fmt: skip
REMIT_LINES = [
    # remit, seq, line seq, claim, line, paid, PR, sequestration, allowed
    (1, 1, 1, "M1", 1, 7056, 1800, 144, 9000),  # $90: 80 % = $72 less 2 % = $70.56
    (1, 2, 1, "M2", 1, 3136, 5800, 64, 9000),  # $50 deductible, 20 % of $40, $32 less 2 %
    (1, 3, 1, "M3", 1, 7056, 1800, 144, 9000),
    (1, 4, 1, "S1", 1, 7840, 2000, 160, 10000),
    (1, 4, 2, "S1", 2, 3136, 800, 64, 4000),  # $80 at 50 %
    (1, 5, 1, "S2", 1, 7840, 2000, 160, 10000),
    (1, 5, 2, "S2", 2, 1568, 400, 32, 2000),  # $80 at 25 %
    (1, 6, 1, "N1", 1, 7056, 1800, 144, 9000),
    (3, 1, 1, "A1", 1, 8000, 2000, 0, 10000),
    (3, 2, 1, "A2", 1, 7500, 2000, 0, 9500),
    (3, 3, 1, "A3", 1, 8000, 2000, 0, 10000),
    (3, 4, 1, "A5", 1, 8300, 2000, 0, 10000),  # AMT*B6 $100, paid as if $103
    (4, 1, 1, "L1", 1, 7200, 1800, 0, 9000),
    (5, 1, 1, "I1", 1, 8640, 2160, 0, 10800),
    (5, 2, 1, "I2", 1, 8640, 2160, 0, 10800),
    (5, 2, 2, "I2", 2, 0, 0, 0, 0),
    (6, 1, 1, "U1", 1, 9000, 0, 0, 9000),
]
ADJUSTMENTS = [
    # remit, seq, line seq, group, reason, amount
    (1, 1, 1, "CO", "45", 6000), (1, 1, 1, "CO", "253", 144), (1, 1, 1, "PR", "2", 1800),
    (1, 2, 1, "CO", "45", 6000), (1, 2, 1, "CO", "253", 64), (1, 2, 1, "PR", "1", 5000),
    (1, 2, 1, "PR", "2", 800),
    (1, 3, 1, "CO", "45", 6000), (1, 3, 1, "CO", "253", 144), (1, 3, 1, "PR", "2", 1800),
    (1, 4, 1, "CO", "45", 10000), (1, 4, 1, "CO", "253", 160), (1, 4, 1, "PR", "2", 2000),
    (1, 4, 2, "CO", "45", 7000), (1, 4, 2, "CO", "59", 4000), (1, 4, 2, "CO", "253", 64),
    (1, 4, 2, "PR", "2", 800),
    (1, 5, 1, "CO", "45", 10000), (1, 5, 1, "CO", "253", 160), (1, 5, 1, "PR", "2", 2000),
    (1, 5, 2, "CO", "45", 7000), (1, 5, 2, "CO", "59", 6000), (1, 5, 2, "CO", "253", 32),
    (1, 5, 2, "PR", "2", 400),
    (1, 6, 1, "CO", "45", 6000), (1, 6, 1, "CO", "253", 144), (1, 6, 1, "PR", "2", 1800),
    (3, 1, 1, "CO", "45", 5000), (3, 1, 1, "PR", "3", 2000),
    (3, 2, 1, "CO", "45", 5500), (3, 2, 1, "PR", "3", 2000),
    (3, 3, 1, "CO", "45", 5000), (3, 3, 1, "PR", "3", 2000),
    (3, 4, 1, "CO", "45", 4700), (3, 4, 1, "PR", "3", 2000),
    (4, 1, 1, "PR", "2", 1800),
    (5, 1, 1, "CO", "45", 4200), (5, 1, 1, "PR", "2", 2160),
    (5, 2, 1, "CO", "45", 4200), (5, 2, 1, "PR", "2", 2160), (5, 2, 2, "CO", "97", 20000),
    (6, 1, 1, "CO", "45", 6000),
]  # fmt: skip
TRANSACTIONS = [
    ("M1", "patient_payment", 1800, ""),
    ("M3", "contractual", 1800, "MGAP"),  # the coinsurance written off, never billed
    ("S1", "patient_payment", 2800, ""), ("S2", "patient_payment", 2400, ""),
    ("N1", "bad_debt", 1800, ""),
    ("A1", "patient_payment", 2000, ""), ("A2", "patient_payment", 2000, ""),
    ("A3", "secondary_payment", 800, "MCD"), ("A3", "contractual", 1200, "MCD"),
    ("A5", "patient_payment", 2000, ""), ("L1", "patient_payment", 1800, ""),
    ("I1", "patient_payment", 2160, ""), ("I2", "patient_payment", 2160, ""),
    ("SP1", "patient_payment", 10000, ""), ("SP1", "contractual", 5000, ""),
]  # fmt: skip


def books() -> dict:
    """The hand-made month's frames, the ledger and the schedules."""
    charges = pd.DataFrame(CHARGES, columns=["claim_id", "line_number", "date_of_service",
                                             "procedure_code", "units", "charge_cents",
                                             "primary_payer_id",
                                             "secondary_payer_id"])  # fmt: skip
    charges = charges.assign(
        date_of_service=pd.to_datetime(charges["date_of_service"]), modifiers="",
        product_line="", place_of_service="11",
        secondary_payer_id=charges["secondary_payer_id"].replace("", None),
    )  # fmt: skip
    fees = pd.DataFrame(MEDICARE_FEES, columns=["procedure_code", "non_facility_cents",
                                                "facility_cents", "mult_proc"])  # fmt: skip
    fees = fees.assign(locality=LOC, modifier="", effective_from=pd.Timestamp("2025-01-01"),
                       effective_to=pd.NaT)  # fmt: skip
    contracts = pd.DataFrame(CONTRACTS, columns=["payer_id", "basis", "medicare_percent_x1000",
                                                 "medicare_locality", "lesser_of_charges",
                                                 "payment_rules"])  # fmt: skip
    contracts = contracts.assign(
        product_line="", effective_from=pd.Timestamp("2025-01-01"), mppr_percent_x1000=50_000,
        medicare_percent_x1000=contracts["medicare_percent_x1000"].astype("Int64"),
    )  # fmt: skip
    fee_schedules = pd.DataFrame(FEES, columns=["payer_id", "procedure_code", "allowed_cents"])
    fee_schedules = fee_schedules.assign(product_line="", modifier="",
                                         effective_from=pd.Timestamp("2025-01-01"),
                                         effective_to=pd.NaT)  # fmt: skip
    rc = pd.DataFrame(REMIT_CLAIMS, columns=["remit_id", "claim_seq", "claim_id", "status",
                                             "paid_cents"])  # fmt: skip
    rc = rc.assign(is_reversal=False, reversed_by_remit_id=pd.array([pd.NA] * len(rc), "Int64"))
    remittances = pd.DataFrame({"remit_id": list(REMITTANCES),
                                "payer_id": list(REMITTANCES.values())})  # fmt: skip
    rl = pd.DataFrame(REMIT_LINES, columns=["remit_id", "claim_seq", "line_seq", "claim_id",
                                            "line_number", "paid_cents", "patient_resp_cents",
                                            "sequestration_cents", "allowed_cents"])  # fmt: skip
    adj = pd.DataFrame(ADJUSTMENTS, columns=["remit_id", "claim_seq", "line_seq", "group_code",
                                             "reason", "amount_cents"])  # fmt: skip
    tx = pd.DataFrame(TRANSACTIONS, columns=L.TRANSACTION_COLUMNS)
    led = L.claim_ledger(charges, rc, remittances, adj, tx)
    inferred = pd.DataFrame({"payer_id": ["INF"], "product_line": [""],
                             "percent_x1000": [120_000]})  # fmt: skip
    schedules = A.Schedules(contracts, fee_schedules, fees, inferred, frozenset({"MCR"}),
                            frozenset({"SELF"}), LOC)  # fmt: skip
    remitted = L.remitted_claims(charges, rc, remittances)
    return {"charges": charges, "ledger": led, "remit_lines": rl, "remitted": remitted,
            "remit_adjustments": adj, "schedules": schedules}  # fmt: skip


def audit(b: dict, **kw) -> A.Audit:
    return A.payment_audit(b["charges"], b["ledger"], b["remit_lines"], b["remitted"],
                           b["remit_adjustments"], b["schedules"], MONTH, **kw)  # fmt: skip


@pytest.fixture(scope="module")
def month() -> dict:
    b = books()
    return {**b, "audit": audit(b)}


def by_claim(a: A.Audit) -> pd.DataFrame:
    return a.lines.groupby("claim_id").agg(
        expected=("expected_cents", "sum"),
        variance=("variance_cents", "sum"),
        **{r: (f"{r}_cents", "sum") for r in A.REASONS},
    )


def test_the_population_is_the_months_clean_visits_of_payers(month: dict) -> None:
    b = month
    pop = A.population(b["ledger"], MONTH, b["schedules"].self_pay)
    # Not N1 (bad debt: not clean), J1 (July) nor SP1 (self-pay: no payer to audit).
    assert sorted(pop["claim_id"]) == sorted(
        ["M1", "M2", "M3", "S1", "S2", "A1", "A2", "A3", "A5", "L1", "I1", "I2", "U1"]
    )
    basis = A.payer_basis(pop["primary_payer_id"], b["schedules"])
    assert basis.to_dict() == {"AET": "contract", "INF": "inferred", "LBA": "contract",
                               "MCR": "medicare", "UNK": "none"}  # fmt: skip


def test_each_visit_priced_and_explained_by_hand(month: dict) -> None:
    v = by_claim(month["audit"])
    # Medicare at its own terms: $90 for 99213.
    # M1: $70.56 + $18 patient + $1.44 sequestration = $90: perfect.
    assert v.loc["M1", ["expected", "variance"]].tolist() == [9000, 0]
    # M2: $31.36 + $8 supplement + $0.64 = $40; the $50 deductible written off (the
    # supplement's 835 closed it): -$50, all deductible.
    assert (v.loc["M2", "variance"], v.loc["M2", "deductible"]) == (-5000, -5000)
    # M3: a Medigap on file paid nothing; the $18 coinsurance written off instead.
    assert (v.loc["M3", "variance"], v.loc["M3", "secondary_not_billed"]) == (-1800, -1800)
    # AET's fee schedule: $100. A1 perfect; A2 allowed $95: a different rate, -$5.
    assert (v.loc["A1", "variance"], v.loc["A2", "different_rate"]) == (0, -500)
    # A3: Medicaid paid $8 of the $20 copay and wrote off $12: the patient's share.
    assert (v.loc["A3", "variance"], v.loc["A3", "patient_share_written_off"]) == (-1200, -1200)
    # A5: $83 + $20 = $103 against $100 allowed and expected: +$3 nothing explains.
    assert (v.loc["A5", "variance"], v.loc["A5", "not_explained"]) == (300, 300)
    # L1: 115 % of $90 = $103.50, no lesser-of in the contract; the payer allowed the $90
    # charge: a reduction (lesser of charge) of -$13.50.
    assert v.loc["L1", ["expected", "variance", "reduction"]].tolist() == [10350, -1350, -1350]
    # U1: no schedule, nothing expected (NA sums to 0 here).
    assert month["audit"].lines.set_index("claim_id").loc["U1", "reason"] == A.UNPRICED


def test_the_reasons_add_up_to_the_variance(month: dict) -> None:
    lines = month["audit"].lines
    priced = lines[lines["expected_cents"].notna()]
    assert (priced[A.REASON_CENTS].sum(axis=1) == priced["variance_cents"]).all()
    unpriced = lines[lines["expected_cents"].isna()]
    assert unpriced["variance_cents"].isna().all() and (unpriced[A.REASON_CENTS] == 0).all().all()


def test_surgical_claims_with_mppr_are_audited_apart(month: dict) -> None:
    lines = month["audit"].lines.set_index(["claim_id", "line_number"])
    assert set(lines.loc[lines["section"].eq(A.SURGICAL)].index.get_level_values(0)) == {
        "S1", "S2"
    }  # fmt: skip
    # 20610 $100 full, 20552 $80 at 50 % = $40: $140. S1 paid $109.76 + $28 + $2.24.
    assert lines.loc[("S1", 2), "expected_cents"] == 4000
    assert lines.loc[("S1", 2), "variance_cents"] == 0
    # S2: the payer allowed 20552 at 25 % ($20): -$20, a multiple-procedure reduction
    # beyond Medicare's (its CO-59 was $60).
    assert lines.loc[("S2", 2), ["variance_cents", "reduction_cents"]].tolist() == [-2000, -2000]
    assert lines.loc[("S2", 2), "reason"] == "reduction"
    card = month["audit"].card.set_index(["section", "payer_id"])
    s = card.loc[(A.SURGICAL, "MCR")]
    assert (s["visits"], s["visits_perfect"], s["perfect_percent_x1000"]) == (2, 1, 50_000)
    assert (s["expected_cents"], s["variance_cents"], s["reduction_visits"]) == (28000, -2000, 1)
    assert list(card.loc[A.SURGICAL].index) == ["MCR", A.TOTAL]


def test_the_inferred_payer_is_priced_at_its_percent_of_medicare(month: dict) -> None:
    lines = month["audit"].lines.set_index(["claim_id", "line_number"])
    # 120 % of $90 = $108 (I1, paid $86.40 + $21.60: perfect); 120 % of $120 = $144 for
    # the bundled 99214 of I2, written off: -$144, a denial (bundling) written off.
    assert lines.loc[("I1", 1), ["expected_cents", "variance_cents"]].tolist() == [10800, 0]
    assert lines.loc[("I2", 2), ["expected_cents", "denied_written_off_cents"]].tolist() == [
        14400, -14400,
    ]  # fmt: skip
    assert (lines.loc[("I1", 1), "basis"], lines.loc[("I2", 2), "reason"]) == (
        "inferred", "denied_written_off",
    )  # fmt: skip
    # With no inferred schedule, INF has nothing to price with: sampled only.
    b = books()
    b["schedules"] = b["schedules"]._replace(inferred=b["schedules"].inferred.iloc[:0])
    bare = audit(b, sample_size=0)
    assert not bare.lines["payer_id"].eq("INF").any()
    assert bare.card.set_index(["section", "payer_id"]).loc[(A.ALL, "INF"), "basis"] == "none"


def test_report_card_by_hand(month: dict) -> None:
    card = month["audit"].card
    every = card[card["section"].eq(A.ALL)].set_index("payer_id")
    assert list(every.index) == ["MCR", "AET", "INF", "LBA", "UNK", A.TOTAL]  # most visits
    mcr = every.loc["MCR"]
    # 5 visits, M1 and S1 perfect: 40 %. Expected 3 x $90 + 2 x $140 = $550; variance
    # -$50 (M2) - $18 (M3) - $20 (S2) = -$88, the largest -$50.
    assert (mcr["visits"], mcr["visits_perfect"], mcr["perfect_percent_x1000"]) == (5, 2, 40_000)
    assert (mcr["expected_cents"], mcr["variance_cents"], mcr["largest_variance_cents"]) == (
        55000, -8800, -5000,
    )  # fmt: skip
    # Sequestration: 1.44 + 0.64 + 1.44 + 2.24 + 1.92 = $7.68, counted as paid.
    assert mcr["sequestration_cents"] == 768
    assert (mcr["deductible_visits"], mcr["deductible_cents"]) == (1, -5000)
    assert (mcr["secondary_not_billed_visits"], mcr["secondary_not_billed_cents"]) == (1, -1800)
    aet = every.loc["AET"]
    # A1 perfect of 4: 25 %; -$5 - $12 + $3 = -$14, the largest -$12.
    assert (aet["perfect_percent_x1000"], aet["variance_cents"]) == (25_000, -1400)
    assert (aet["largest_variance_cents"], aet["not_explained_cents"]) == (-1200, 300)
    unk = every.loc["UNK"]
    assert (unk["visits"], unk["visits_priced"], unk["unpriced_lines"]) == (1, 0, 1)
    assert pd.isna(unk["perfect_percent_x1000"])
    total = every.loc[A.TOTAL]
    # 4 perfect (M1, S1, A1, I1) of 12 priced visits: 33.333 %; -88 - 14 - 144 - 13.50.
    assert (total["clean_visits"], total["visits"], total["visits_priced"]) == (13, 13, 12)
    assert (total["perfect_percent_x1000"], total["variance_cents"]) == (33_333, -25950)
    assert total["largest_variance_cents"] == -14400
    services = card[card["section"].eq(A.SERVICES)].set_index("payer_id")
    assert services.loc["MCR", "visits"] == 3 and services.loc["MCR", "clean_visits"] == 5
    assert "claim_id" not in card.columns


def test_allocation_by_hand() -> None:
    counts = pd.Series({"A": 50, "B": 30, "C": 15, "D": 5})
    # 10 of 100: one each, then 6 in proportion to 49, 29, 14, 4 (of 96): 3.06, 1.81,
    # 0.875, 0.25 -> 3, 1, 0, 0 and the 2 seats left to the largest remainders C and B.
    assert A.allocate(counts, 10).to_dict() == {"A": 4, "B": 3, "C": 2, "D": 1}
    assert A.allocate(counts, 2).to_dict() == {"A": 1, "B": 1, "C": 0, "D": 0}
    assert A.allocate(counts, 500).to_dict() == counts.to_dict()
    # Equal remainders: the payer with more visits first, then by payer id.
    assert A.allocate(pd.Series({"X": 3, "Y": 3, "Z": 3}), 4).to_dict() == {
        "X": 2, "Y": 1, "Z": 1,
    }  # fmt: skip


@pytest.mark.slow
def test_the_sample_is_stratified_and_reproducible(month: dict) -> None:
    a = audit(month, sample_size=8)
    sample = a.sample
    # 13 visits of 5 payers: one each, then 3 of the other 8 in proportion to 4, 3, 1
    # (MCR 1.5, AET 1.125, INF 0.375): 1 + 1, the seat left to MCR's remainder.
    assert sample.groupby("payer_id").size().to_dict() == {"AET": 2, "INF": 1, "LBA": 1,
                                                           "MCR": 3, "UNK": 1}  # fmt: skip
    assert (sample["seed"] == A.DEFAULT_SEED).all() and list(sample.columns) == A.SAMPLE_COLUMNS
    assert sample.groupby("payer_id")["draw"].apply(list).to_dict()["MCR"] == [1, 2, 3]
    again = audit(month, sample_size=8)
    pd.testing.assert_frame_equal(sample, again.sample)
    other = audit(month, sample_size=8, seed=16)
    assert set(other.sample["claim_id"]) != set(sample["claim_id"])
    # The full audit does not depend on the draw; UNK (no schedule) is in it when drawn.
    assert set(a.lines["claim_id"]) == set(month["audit"].lines["claim_id"])
    perfect = sample.set_index("claim_id")["perfect"]
    assert pd.isna(perfect["U1"]) and sample.set_index("claim_id").loc["U1", "reasons"] == (
        A.UNPRICED
    )


def test_a_month_without_clean_visits_gives_empty_frames(month: dict) -> None:
    empty = A.payment_audit(month["charges"], month["ledger"], month["remit_lines"],
                            month["remitted"], month["remit_adjustments"],
                            month["schedules"], pd.Timestamp("2025-08-01"))  # fmt: skip
    assert (len(empty.sample), len(empty.lines)) == (0, 0)
    assert list(empty.card.columns) == A.CARD_COLUMNS
    assert empty.card["payer_id"].tolist() == [A.TOTAL] * 3


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 40), min_size=1, max_size=8),
    st.integers(0, 120),
    st.integers(0, 2**32 - 1),
)
def test_sample_properties(sizes: list[int], n: int, seed: int) -> None:
    payers = [f"P{i}" for i, k in enumerate(sizes) for _ in range(k)]
    pop = pd.DataFrame({"primary_payer_id": payers,
                        "claim_id": [f"c{i:04d}" for i in range(len(payers))]})  # fmt: skip
    drawn = A.draw_sample(pop, n, seed)
    assert len(drawn) == min(n, len(pop))
    assert drawn["claim_id"].is_unique and set(drawn["claim_id"]) <= set(pop["claim_id"])
    per = drawn.groupby("payer_id").size().reindex([f"P{i}" for i in range(len(sizes))])
    assert (per.fillna(0).to_numpy() <= np.array(sizes)).all()
    if n >= len(sizes):
        assert per.notna().all()  # every payer with clean visits gets one
    pd.testing.assert_frame_equal(drawn, A.draw_sample(pop, n, seed))


# --- the command line, on both backends --------------------------------------------------

# tests/data/good, February: CLM1002 (Acme HMO, fee $95) paid $70 + the $25 copay the
# patient paid (net of a $5 refund): perfect. CLM1003 (Acme PPO, 125 % of Medicare):
# 99214 $190.44 as expected; 20610 x 2 expected 2 x $96.76 = $193.52, paid one unit
# ($96.76); 73562 x 2 expected 2 x $66.80 = $133.60, paid $120.24: -$96.76 - $13.36.
FEB_CLAIMS = [
    clp("CLM1002", [svc("99213", 15000, 7000, dos="20250203",
                        cas=[("CO", "45", 5500), ("PR", "3", 2500)], lcn="LCN100201")]),
    clp("CLM1003", [
        svc("99214", 25000, 19044, mods="25", dos="20250210", cas=[("CO", "45", 5956)],
            lcn="LCN100301"),
        svc("20610", 60000, 9676, units=2, units_paid=1, dos="20250210",
            cas=[("CO", "45", 50324)], lcn="LCN100302"),
        svc("73562", 24000, 12024, units=2, dos="20250210", cas=[("CO", "45", 11976)],
            lcn="LCN100303"),
    ]),
]  # fmt: skip


@pytest.mark.slow
def test_payment_audit_from_the_command_line(db_url, loaded, tmp_path) -> None:
    remit = tmp_path / "feb.835"
    remit.write_bytes(era835(ACME, FEB_CLAIMS, trace="EFT90", isa_control="000000900"))
    assert payeropt("import", "era", loaded, str(remit), db=db_url, env=OWNER_ENV).code == 0
    engine = store.engine_for(db_url)
    before = store.count_rows(engine, tables.audit_log, loaded)
    billing = {"PAYEROPT_ACTOR": "bea", "PAYEROPT_ROLE": "billing_manager"}
    out = tmp_path / "audit.csv"
    done = payeropt("payment-audit", loaded, "--month", "2025-02", "--csv", str(out),
                    "--seed", "7", db=db_url, env=billing)  # fmt: skip
    assert done.code == 0, done.err
    assert store.count_rows(engine, tables.audit_log, loaded) == before  # a read
    sample = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert sorted(sample["claim_id"]) == ["CLM1002", "CLM1003"]
    assert set(sample["seed"]) == {"7"}
    s = sample.set_index("claim_id")
    assert (s.loc["CLM1002", "perfect"], s.loc["CLM1002", "variance"]) == ("True", "0.00")
    assert (s.loc["CLM1003", "variance"], s.loc["CLM1003", "reasons"]) == (
        "-110.12", "different_rate",
    )  # fmt: skip
    card = pd.read_csv(tmp_path / "audit-card.csv", dtype=str, keep_default_na=False)
    acme = card[card["section"].eq("all") & card["payer_id"].eq("ACME")].iloc[0]
    # 2 visits, 1 perfect; expected $95 + $190.44 + $193.52 + $133.60 = $612.56.
    assert (acme["visits"], acme["visits_perfect"], acme["perfect_percent"]) == ("2", "1", "50")
    assert (acme["expected"], acme["variance"], acme["basis"]) == ("612.56", "-110.12",
                                                                   "contract")  # fmt: skip
    lines = pd.read_csv(tmp_path / "audit-lines.csv", dtype=str, keep_default_na=False)
    assert len(lines) == 4 and set(lines["reason"]) == {"", "different_rate"}

    shown = payeropt("payment-audit", loaded, "--month", "2025-02", db=db_url, env=billing)
    assert shown.code == 0 and "sample (seed 15):" in shown.out and "CLM1003" in shown.out
    bad = payeropt("payment-audit", loaded, "--month", "Feb", db=db_url, env=billing)
    assert bad.code == 2 and "YYYY-MM" in bad.err  # not this year's February
    analyst = {"PAYEROPT_ACTOR": "ann", "PAYEROPT_ROLE": "analyst"}
    refused = payeropt("payment-audit", loaded, "--month", "2025-02", db=db_url, env=analyst)
    assert refused.code == 2 and refused.err.count("\n") == 1
    assert store.count_rows(engine, tables.audit_log, loaded) == before + 1  # the refusal
