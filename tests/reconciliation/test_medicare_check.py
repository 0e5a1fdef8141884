"""Tables 1 and 2 by hand: a small Medicare month (dollars in the comments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib.reconciliation import ledger as L
from payeropt_lib.reconciliation import medicare_check as M

MONTH = pd.Timestamp("2025-06-01")
LOC = "04412-11"
MEDICARE = {"MCR"}

CHARGES = [
    # claim, line, dos, code, mods, units, charge, payer, pos
    ("V1", 1, "2025-06-02", "99213", "", 1, 15000, "MCR", "11"),
    ("V2", 1, "2025-06-03", "99213", "", 1, 15000, "MCR", "11"),
    ("V3", 1, "2025-06-04", "20610", "", 1, 20000, "MCR", "11"),
    ("V3", 2, "2025-06-04", "20552", "", 1, 15000, "MCR", "11"),
    ("V4", 1, "2025-06-05", "J3301", "", 10, 5000, "MCR", "11"),
    ("V5", 1, "2025-06-05", "99213", "", 1, 15000, "AET", "11"),  # not Medicare
    ("V6", 1, "2025-07-01", "99213", "", 1, 15000, "MCR", "11"),  # July
]
FEES = [
    # code, non-facility, facility, mult proc
    ("99213", 9000, 6000, "0"),
    ("20610", 10000, 7000, "2"),
    ("20552", 8000, 5000, "2"),
]
REMIT_CLAIMS = [
    # remit, seq, claim, status, paid
    (1, 1, "V1", "1", 7056),
    (1, 2, "V2", "1", 7056),
    (1, 3, "V3", "1", 10976),
    (1, 4, "V4", "1", 3000),
    (2, 1, "V3", "2", 2800),  # the supplement
]
REMIT_LINES = [
    # remit, seq, line seq, claim, line, paid, PR, sequestration
    (1, 1, 1, "V1", 1, 7056, 1800, 144),  # allowed $90: 80 % = $72, less 2 % = $70.56
    (1, 2, 1, "V2", 1, 7056, 1800, 144),
    (1, 3, 1, "V3", 1, 7840, 2000, 160),  # $100 full price
    (1, 3, 2, "V3", 2, 3136, 800, 64),  # $80 at 50 % = $40
    (1, 4, 1, "V4", 1, 3000, 0, 0),
]
ADJUSTMENTS = [
    (1, 1, "CO", "45", 6000), (1, 1, "CO", "253", 144), (1, 1, "PR", "2", 1800),
    (1, 2, "CO", "45", 6000), (1, 2, "CO", "253", 144), (1, 2, "PR", "2", 1800),
    (1, 3, "CO", "45", 21000), (1, 3, "CO", "253", 224), (1, 3, "PR", "2", 2800),
    (1, 4, "CO", "45", 2000),
]  # fmt: skip
TRANSACTIONS = [("V1", "patient_payment", 1800, ""), ("V2", "patient_payment", 1000, "")]


@pytest.fixture(scope="module")
def month() -> dict:
    charges = pd.DataFrame(CHARGES, columns=["claim_id", "line_number", "date_of_service",
                                             "procedure_code", "modifiers", "units",
                                             "charge_cents", "primary_payer_id",
                                             "place_of_service"])  # fmt: skip
    charges["date_of_service"] = pd.to_datetime(charges["date_of_service"])
    charges["product_line"] = ""
    fees = pd.DataFrame(FEES, columns=["procedure_code", "non_facility_cents", "facility_cents",
                                       "mult_proc"])  # fmt: skip
    fees = fees.assign(
        locality=LOC, modifier="", effective_from=pd.Timestamp("2025-01-01"),
        effective_to=pd.NaT,
    )  # fmt: skip
    rc = pd.DataFrame(REMIT_CLAIMS, columns=["remit_id", "claim_seq", "claim_id", "status",
                                             "paid_cents"])  # fmt: skip
    rc = rc.assign(is_reversal=False, reversed_by_remit_id=pd.array([pd.NA] * len(rc), "Int64"))
    remittances = pd.DataFrame({"remit_id": [1, 2], "payer_id": ["MCR", "MGAP"]})
    rl = pd.DataFrame(REMIT_LINES, columns=["remit_id", "claim_seq", "line_seq", "claim_id",
                                            "line_number", "paid_cents", "patient_resp_cents",
                                            "sequestration_cents"])  # fmt: skip
    adj = pd.DataFrame(ADJUSTMENTS, columns=L.ADJUSTMENT_COLUMNS)
    tx = pd.DataFrame(TRANSACTIONS, columns=L.TRANSACTION_COLUMNS)
    led = L.claim_ledger(charges, rc, remittances, adj, tx)
    remitted = L.remitted_claims(charges, rc, remittances)
    priced = M.priced_lines(charges, led, rl, remitted, fees, MEDICARE, LOC, MONTH)
    return {"ledger": led, "priced": priced, "secondary": L.secondary_cash(charges, remitted, tx)}


def test_lines_priced_at_medicare_terms(month: dict) -> None:
    p = month["priced"].set_index(["claim_id", "line_number"])
    assert len(p) == 5  # June's Medicare lines only: not V5 (Aetna) nor V6 (July)
    assert p.loc[("V1", 1), "perfect_cents"] == 9000
    assert p.loc[("V3", 2), "perfect_cents"] == 4000  # second procedure at 50 %
    assert pd.isna(p.loc[("V4", 1), "perfect_cents"])  # a drug: no PFS fee
    # The supplement's $28 spread by PR: $20 and $8.
    assert (p.loc[("V3", 1), "other_paid_cents"], p.loc[("V3", 2), "other_paid_cents"]) == (
        2000,
        800,
    )


def test_table1_by_hand(month: dict) -> None:
    t1 = M.top_codes(month["priced"])
    services = t1[t1["section"].eq("services")].set_index("procedure_code")
    em = services.loc["99213"]
    # 2 visits at $90: paid $70.56 + $18 and $70.56 + $10 = $169.12; perfect $180.
    assert (em["services"], em["fee_cents"], em["actual_cents"], em["perfect_cents"]) == (
        2, 9000, 16912, 18000,
    )  # fmt: skip
    # Slippage $10.88 = $2.88 sequestration + $8 the patient still owes; V1 was perfect.
    assert (em["slippage_cents"], em["sequestration_cents"], em["visits_perfect"]) == (
        1088, 288, 1,
    )  # fmt: skip
    drug = services.loc["J3301"]
    assert (drug["services"], drug["unpriced_lines"], drug["actual_cents"]) == (10, 1, 3000)
    assert pd.isna(drug["perfect_cents"]) and pd.isna(drug["slippage_cents"])
    total = services.loc["Total"]
    # The total's slippage is over priced lines only: $180 - $169.12.
    assert (total["perfect_cents"], total["slippage_cents"], total["actual_cents"]) == (
        18000, 1088, 19912,
    )  # fmt: skip
    surgical = t1[t1["section"].eq("surgical")].set_index("procedure_code")
    # V3: $78.40 + $31.36 + $28 = $137.76, + $2.24 sequestration = $140 = perfect.
    assert surgical.loc["Total", "perfect_cents"] == 14000
    assert surgical.loc["Total", "actual_cents"] == 13776
    assert surgical.loc["Total", "visits_perfect"] == 1
    assert list(surgical.index) == ["20610", "20552", "Total"]


def test_table2_by_hand(month: dict) -> None:
    rows, fig = M.who_paid(month["ledger"], month["priced"], month["secondary"], MEDICARE, MONTH)
    cash = rows.set_index("kind")["cash_cents"]
    # Medicare 70.56 + 70.56 + 109.76 + 30 = 280.88; MGAP 28; patients 18 + 10 = 28.
    assert cash.to_dict() == {"medicare": 28088, "secondary": 2800, "patient": 2800}
    assert fig["visits"] == 4 and fig["cash_cents"] == 33688 and fig["perfect_cents"] == 32000
    # 280.88 / 336.88 = 83.3769 %; liquidation 336.88 / 320 = 105.275 % (the drug's $30
    # has no fee); nothing went to bad debt, so the simulation is the same.
    assert fig["medicare_share_percent_x1000"] == 83377
    assert fig["liquidation_percent_x1000"] == 105275
    assert fig["simulation_percent_x1000"] == 105275


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(-5_000, 50_000), st.integers(0, 9_000)),
        min_size=1,
        max_size=30,
    )
)
def test_spread_adds_up_to_the_cent(rows: list[tuple]) -> None:
    claims = pd.Series([f"c{c}" for c, _, _ in rows])
    totals = {c: t for c, t, _ in rows}  # one total per claim: the last drawn
    total = claims.map(lambda c: totals[int(c[1:])]).to_numpy()
    weight = np.array([w for _, _, w in rows])
    out = M.spread(total, weight, claims)
    sums = pd.Series(out).groupby(claims).sum()
    assert all(sums[c] == totals[int(c[1:])] for c in sums.index)
