"""Payment impact of a suggestion: the contract's expected amount for the claim as
suggested less as billed, by the under-payment engine (worked by hand below)."""

from __future__ import annotations

import pandas as pd

from payeropt_lib.coding.impact import payment_impact
from tests.pricing import frames

# Fixed fees (cents), Aetna, from 2025-01-01; MPPR 50 % on indicator-2 lines.
FEES = frames.fees(
    *[
        ("AET", "", code, "", cents, "2025-01-01")
        for code, cents in [
            ("99213", 9_000), ("99214", 13_000), ("99204", 17_000), ("99205", 22_000),
            ("99417", 3_100), ("20610", 6_000), ("20552", 5_000), ("20553", 5_500),
        ]
    ]
)  # fmt: skip
MEDICARE = frames.medicare(
    ("04412-11", "20610", "", 6_000, 4_000, "2"),
    ("04412-11", "20552", "", 5_000, 3_000, "2"),
    ("04412-11", "20553", "", 5_500, 3_500, "2"),
)
CONTRACTS = frames.contracts({"lesser_of_charges": True})
GLOBAL_DAYS = pd.DataFrame({"procedure_code": ["20610", "20552", "20553", "81002"],
                            "glob_days": ["000", "000", "000", "XXX"]})  # fmt: skip


def _charges(*rows: tuple) -> pd.DataFrame:
    """(claim, line, code, modifiers, units, charge cents)."""
    frame = pd.DataFrame(
        rows, columns=["claim_id", "line_number", "procedure_code", "modifiers", "units",
                       "charge_cents"],
    )  # fmt: skip
    return frame.assign(
        primary_payer_id="AET",
        product_line="",
        date_of_service=pd.Timestamp("2025-06-02"),
        place_of_service="11",
    )


def _suggestion(claim, line, kind, original, suggested, direction, units=1, rule_id="",
                support="") -> dict:  # fmt: skip
    return {
        "claim_id": claim, "line_number": line, "kind": kind, "original_code": original,
        "suggested_code": suggested, "units": units, "direction": direction,
        "rule_id": rule_id, "support": support,
    }  # fmt: skip


def _impact(charges: pd.DataFrame, *suggestions: dict, **kw) -> list:
    frame = pd.DataFrame(list(suggestions))
    found = payment_impact(frame, charges, CONTRACTS, FEES, MEDICARE,
                           global_days=GLOBAL_DAYS, **kw)  # fmt: skip
    return [None if pd.isna(v) else int(v) for v in found]


CHARGES = _charges(
    ("C1", 1, "99213", "", 1, 15_000),
    ("C2", 1, "99214", "", 1, 20_000),
    ("C3", 1, "99205", "", 1, 30_000),
    ("C3", 2, "99417", "", 1, 5_000),
    ("C4", 1, "99214", "25", 1, 20_000),
    ("C4", 2, "20610", "", 1, 9_000),
    ("C5", 1, "20553", "", 1, 9_000),
    ("C5", 2, "20552", "", 1, 8_000),
    ("C6", 1, "99213", "25", 1, 15_000),
)


def test_a_level_up_and_down_is_the_difference_of_the_two_fees() -> None:
    up = _suggestion("C1", 1, "em_level", "99213", "99214", "up")
    down = _suggestion("C2", 1, "em_level", "99214", "99213", "down")
    # 130.00 - 90.00; 90.00 - 130.00
    assert _impact(CHARGES, up, down) == [4_000, -4_000]


def test_lesser_of_charges_caps_the_new_code_at_the_practice_charge() -> None:
    # The practice's highest charge for 99214 is its charge master. At 200.00 (C2), above
    # the 130.00 fee, nothing is capped (test above); at 100.00 the suggested line is
    # capped at 100.00: +10.00.
    cheap = _charges(("C1", 1, "99213", "", 1, 15_000), ("C9", 1, "99214", "", 1, 10_000))
    up = _suggestion("C1", 1, "em_level", "99213", "99214", "up")
    assert _impact(cheap, up) == [1_000]


def test_prolonged_units_added_resized_and_removed() -> None:
    add = _suggestion("C1", 1, "em_level", "", "99417", "up", units=2)
    more = _suggestion("C3", 2, "em_level", "99417", "99417", "up", units=3)
    none = _suggestion("C3", 2, "em_level", "99417", "", "down", units=0)
    # 2 x 31.00 new; 3 x 31.00 - 1 x 31.00; -31.00
    assert _impact(CHARGES, add, more, none) == [6_200, 6_200, -3_100]


def test_a_modifier_decides_whether_the_line_is_paid() -> None:
    add59 = _suggestion("C5", 2, "modifier", "20552", "20552-XS", "up",
                        rule_id="NCCI-PTP-20553-20552")  # fmt: skip
    facts = "separate_procedure_documented=false"
    drop25 = _suggestion("C4", 1, "modifier", "99214-25", "99214", "down", support=facts)
    drop_alone = _suggestion("C6", 1, "modifier", "99213-25", "99213", "down",
                             support=facts)  # fmt: skip
    # 20552 paid at the second-procedure rate: 50.00 x 50 % = 25.00 (20553 ranks first).
    # The E/M bundled into the minor procedure (20610, global 000): -130.00. A 25 with no
    # procedure: nothing.
    assert _impact(CHARGES, add59, drop25, drop_alone) == [2_500, -13_000, 0]
    # Beside a lab test (global XXX) there is nothing to bundle the visit into.
    lab = _charges(("L1", 1, "99213", "25", 1, 15_000), ("L1", 2, "81002", "", 1, 2_000))
    drop = _suggestion("L1", 1, "modifier", "99213-25", "99213", "down", support=facts)
    assert _impact(lab, drop) == [0]


def test_as_billed_is_the_original_code_even_after_a_rebill() -> None:
    """The practice accepted 99213 -> 99214 and rebilled: the claim on file says 99214;
    accepting was still worth 130.00 - 90.00."""
    rebilled = _charges(("R1", 1, "99214", "", 1, 20_000))
    up = _suggestion("R1", 1, "em_level", "99213", "99214", "up")
    assert _impact(rebilled, up, master=pd.Series({"99213": 15_000, "99214": 20_000})) == [4_000]


def test_prolonged_time_billed_on_two_lines_is_replaced_whole() -> None:
    # 99417 billed on two lines of one unit each; the time supports none, then one.
    two = _charges(("P1", 1, "99205", "", 1, 30_000), ("P1", 2, "99417", "", 1, 5_000),
                   ("P1", 3, "99417", "", 1, 5_000))  # fmt: skip
    none = _suggestion("P1", 2, "em_level", "99417", "", "down", units=0)
    one = _suggestion("P1", 2, "em_level", "99417", "99417", "down", units=1)
    assert _impact(two, none, one) == [-6_200, -3_100]


def test_no_rate_as_billed_is_not_known_either() -> None:
    # No 99215 fee: a downcode from it is not known, never a gain of the 99214 fee. A
    # suggestion whose line is gone from the claim (line 2 of a one-line claim): not known.
    high = _charges(("H1", 1, "99215", "", 1, 30_000))
    down = _suggestion("H1", 1, "em_level", "99215", "99214", "down")
    gone = _suggestion("H1", 2, "em_level", "99213", "99214", "up")
    assert _impact(high, down, gone) == [None, None]


def test_no_rate_for_the_changed_line_is_not_known_and_a_diagnosis_is_worth_nothing() -> None:
    up = _suggestion("C1", 1, "em_level", "99213", "99215", "up")  # no 99215 fee
    dx = _suggestion("C1", 1, "icd10_specificity", "M17.10", "M17.12", "none")
    assert _impact(CHARGES, up, dx) == [None, 0]


def test_the_index_is_kept_and_nothing_is_empty() -> None:
    frame = pd.DataFrame([_suggestion("C1", 1, "em_level", "99213", "99214", "up")],
                         index=[7])  # fmt: skip
    assert payment_impact(frame, CHARGES, CONTRACTS, FEES, MEDICARE).index.tolist() == [7]
    assert payment_impact(frame.iloc[:0], CHARGES, CONTRACTS, FEES, MEDICARE).empty
