"""The payment audit by hand: a small June of Medicare, two contract payers, an inferred
payer and one with no schedule (dollars in the comments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib.reconciliation import ledger as L
from payeropt_lib.reconciliation import payment_audit as A

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
                                             "primary_payer_id", "secondary_payer_id"])  # fmt: skip
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


def test_smoke(month):
    a = month["audit"]
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(a.lines)
        print(a.sample)
        print(a.card)
