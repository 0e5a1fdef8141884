"""Medicare's own reductions on contracts with ``payment_rules=medicare`` (interface §1,
domain.md §2.2-2.4): each worked example of domain §2.4 a named test with its numbers, then
the other rules, the rounding, and that ``payment_rules=contract`` changes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from payeropt_lib.pricing import expected

from . import frames
from .test_expected import LOC, _cents, _lines

INDICATORS = ("bilat_surg", "asst_surg", "co_surg", "endo_base")


def _contracts(rules: str = "medicare", **terms) -> pd.DataFrame:
    return frames.contracts(terms).assign(payment_rules=rules)


def _percent(pct_x1000: int = 100_000, rules: str = "medicare") -> pd.DataFrame:
    return _contracts(
        rules, basis="medicare_percent", medicare_percent_x1000=pct_x1000, medicare_locality=LOC
    )


def _medicare(*rows: tuple) -> pd.DataFrame:
    """(code, modifier, non-facility cents, mult_proc, bilat, asst, co, endo_base)."""
    frame = frames.medicare(*[(LOC, c, m, nf, nf, mp) for c, m, nf, mp, *_ in rows])
    for k, name in enumerate(INDICATORS):
        frame[name] = pd.Series([r[4 + k] for r in rows], dtype="str")
    return frame


def _fees(*rows: tuple) -> pd.DataFrame:
    """(code, modifier, cents) for AET, all products, from 2025-01-01."""
    return frames.fees(*[("AET", "", c, m, cents, "2025-01-01") for c, m, cents in rows])


def _price(lines, contracts, fees=None, medicare=None, **kw) -> pd.DataFrame:
    fees = frames.fees() if fees is None else fees
    medicare = _medicare() if medicare is None else medicare
    return expected.expected_allowed(lines, contracts, fees, medicare, **kw)


# --- domain §2.4, the worked examples ----------------------------------------------------


def test_worked_example_surgery_all_indicator_2():
    # Fees A $800, B $500, C $300; charges A $1,000, B $450, C $200 → A $800, B min(250,
    # 450) = $250, C min(150, 200) = $150: $1,200. Medicare's rules keep the contract's MPPR.
    medicare = _medicare(
        ("11000", "", 1, "2", "0", "1", "0", ""),
        ("11001", "", 1, "2", "0", "1", "0", ""),
        ("11002", "", 1, "2", "0", "1", "0", ""),
    )
    fees = _fees(("11001", "", 80000), ("11002", "", 50000), ("11000", "", 30000))
    lines = _lines(
        {"procedure_code": "11001", "charge_cents": 100000},
        {"procedure_code": "11002", "charge_cents": 45000},
        {"procedure_code": "11000", "charge_cents": 20000},
    )
    out = _price(lines, _contracts(), fees, medicare)
    assert _cents(out["expected_cents"]) == [80000, 25000, 15000]
    assert sum(_cents(out["expected_cents"])) == 120000
    assert _cents(out["mppr_rank"]) == [1, 2, 3]


def test_worked_example_endoscopy_family():
    # Base $300, with biopsy $350, with snare $450 → $450 + ($350 − $300) = $500.
    medicare = _medicare(
        ("45378", "", 30000, "2", "0", "1", "0", ""),
        ("45380", "", 35000, "3", "0", "1", "0", "45378"),
        ("45385", "", 45000, "3", "0", "1", "0", "45378"),
    )
    lines = _lines({"procedure_code": "45380"}, {"procedure_code": "45385"})
    out = _price(lines, _percent(), medicare=medicare)
    assert _cents(out["expected_cents"]) == [5000, 45000]
    assert sum(_cents(out["expected_cents"])) == 50000
    assert (
        "2nd endoscopy of base 45378 (1st: 45385) less base $300.00 = $50.00"
        in (out["explanation"].iloc[0])
    )
    assert "1st of 2 endoscopies of base 45378, in full" in out["explanation"].iloc[1]


def test_endoscopy_base_code_is_not_paid_with_a_family_member():
    medicare = _medicare(
        ("45378", "", 30000, "3", "0", "1", "0", "45378"),
        ("45385", "", 45000, "3", "0", "1", "0", "45378"),
    )
    fees = _fees(("45378", "", 30000), ("45385", "", 45000))
    lines = _lines({"procedure_code": "45378"}, {"procedure_code": "45385"})
    out = _price(lines, _contracts(), fees, medicare)
    assert _cents(out["expected_cents"]) == [0, 45000]


def test_endoscopy_base_without_an_amount_is_not_reduced_and_says_so():
    medicare = _medicare(
        ("29880", "", 50000, "3", "1", "0", "1", "29870"),
        ("29881", "", 48000, "3", "1", "0", "0", "29870"),
    )
    lines = _lines({"procedure_code": "29880"}, {"procedure_code": "29881"})
    out = _price(lines, _percent(), medicare=medicare)
    assert _cents(out["expected_cents"]) == [50000, 48000]
    assert "no amount on file for base 29870, not reduced" in out["explanation"].iloc[1]


def test_worked_example_imaging_indicator_4():
    # CT-1 TC $220 + PC $80; CT-2 TC $180 + PC $70 → $300 + 0.5 × 180 + 0.95 × 70 = $456.50.
    medicare = _medicare(
        ("70450", "", 30000, "4", "0", "0", "0", ""),
        ("70450", "TC", 22000, "4", "0", "0", "0", ""),
        ("70450", "26", 8000, "4", "0", "0", "0", ""),
        ("70486", "", 25000, "4", "0", "0", "0", ""),
        ("70486", "TC", 18000, "4", "0", "0", "0", ""),
        ("70486", "26", 7000, "4", "0", "0", "0", ""),
    )
    lines = _lines({"procedure_code": "70486"}, {"procedure_code": "70450"})
    out = _price(lines, _percent(), medicare=medicare)
    assert _cents(out["expected_cents"]) == [15650, 30000]
    assert sum(_cents(out["expected_cents"])) == 45650
    assert (
        "2nd imaging procedure (1st: 70450): TC $180.00 at 50% + PC $70.00 at 95% = $156.50"
        in out["explanation"].iloc[0]
    )


def test_imaging_components_billed_alone_take_their_own_cut():
    medicare = _medicare(
        ("70450", "TC", 22000, "4", "0", "0", "0", ""),
        ("70486", "TC", 18000, "4", "0", "0", "0", ""),
        ("70450", "26", 8000, "4", "0", "0", "0", ""),
        ("70486", "26", 7000, "4", "0", "0", "0", ""),
    )
    tc = _lines(
        {"procedure_code": "70450", "modifiers": "TC"},
        {"procedure_code": "70486", "modifiers": "TC"},
    )
    pc = _lines(
        {"procedure_code": "70450", "modifiers": "26"},
        {"procedure_code": "70486", "modifiers": "26"},
    )
    assert _cents(_price(tc, _percent(), medicare=medicare)["expected_cents"]) == [22000, 9000]
    assert _cents(_price(pc, _percent(), medicare=medicare)["expected_cents"]) == [8000, 6650]


@pytest.mark.parametrize(("indicator", "second"), [("6", 13500 + 7000), ("7", 14400 + 7000)])
def test_cardiovascular_and_ophthalmology_reduce_the_technical_component(indicator, second):
    # 6: TC of the 2nd at 75 % (reduced 25 %); 7: at 80 % (reduced 20 %); PC in full.
    medicare = _medicare(
        ("93306", "", 30000, indicator, "0", "0", "0", ""),
        ("93306", "TC", 22000, indicator, "0", "0", "0", ""),
        ("93306", "26", 8000, indicator, "0", "0", "0", ""),
        ("93880", "", 25000, indicator, "0", "0", "0", ""),
        ("93880", "TC", 18000, indicator, "0", "0", "0", ""),
        ("93880", "26", 7000, indicator, "0", "0", "0", ""),
    )
    lines = _lines({"procedure_code": "93306"}, {"procedure_code": "93880"})
    out = _price(lines, _percent(), medicare=medicare)
    assert _cents(out["expected_cents"]) == [30000, second]


def test_worked_example_assistant_and_co_surgeons():
    # Surgeon fee $1,000 → 80 = $160, AS = $136; co-surgeons $625 each.
    medicare = _medicare(("27447", "", 100000, "2", "1", "2", "1", ""))
    lines = _lines(
        {"claim_id": "C1", "procedure_code": "27447", "modifiers": "80"},
        {"claim_id": "C2", "procedure_code": "27447", "modifiers": "AS"},
        {"claim_id": "C3", "procedure_code": "27447", "modifiers": "62"},
        {"claim_id": "C4", "procedure_code": "27447", "modifiers": "62"},
        {"claim_id": "C5", "procedure_code": "27447", "modifiers": "82"},
    )
    out = _price(lines, _percent(), medicare=medicare)
    assert _cents(out["expected_cents"]) == [16000, 13600, 62500, 62500, 16000]
    text = out["explanation"]
    assert "assistant at surgery (80): 16% = $160.00; at 100% = $160.00" in text.iloc[0]
    assert "assistant at surgery (AS, non-physician: 85% × 16%): 13.6% = $136.00" in text.iloc[1]
    assert "co-surgeons (62): 62.5% = $625.00" in text.iloc[2]


def test_assistant_and_co_surgeon_not_payable_where_the_indicators_say_so():
    medicare = _medicare(
        ("29881", "", 100000, "3", "1", "1", "0", "29870"),
        ("99213", "", 10000, "0", "9", "9", "9", ""),
    )
    lines = _lines(
        {"claim_id": "C1", "procedure_code": "29881", "modifiers": "80"},
        {"claim_id": "C2", "procedure_code": "29881", "modifiers": "62"},
        {"claim_id": "C3", "procedure_code": "99213", "modifiers": "AS"},
    )
    out = _price(lines, _percent(), medicare=medicare)
    assert _cents(out["expected_cents"]) == [0, 0, 0]
    assert (
        "assistant at surgery (80) not payable (ASST SURG 1): 0% = $0.00"
        in (out["explanation"].iloc[0])
    )
    assert "co-surgeons (62) not payable (CO-SURG 0)" in out["explanation"].iloc[1]


# --- bilateral --------------------------------------------------------------------------


def test_bilateral_modifier_50_pays_150_percent_of_one_side():
    medicare = _medicare(("20610", "", 7001, "2", "1", "1", "0", ""))
    lines = _lines({"procedure_code": "20610", "modifiers": "50", "charge_cents": 20000})
    out = _price(lines, _percent(130_000), medicare=medicare)
    # $70.01 × 150 % = $105.015 → $105.02; × 130 % = $136.526 → $136.53.
    assert _cents(out["expected_cents"]) == [13653]
    assert _cents(out["rate_cents"]) == [13653]
    assert out["explanation"].iloc[0] == (
        "AET PPO contract (all products) from 2025-01-01: 130% of Medicare "
        "01112-05 non-facility $70.01; "
        "bilateral (modifier 50): 150% = $105.02 (rounded half up); at 130% = $136.53 "
        "(rounded half up) × 1 unit = $136.53; below charge $200.00"
    )


def test_bilateral_then_lesser_of_the_total_charge():
    medicare = _medicare(("20610", "", 7000, "2", "1", "1", "0", ""))
    lines = _lines({"procedure_code": "20610", "modifiers": "50", "charge_cents": 9000})
    out = _price(lines, _percent(), medicare=medicare)
    assert _cents(out["expected_cents"]) == [9000]


@pytest.mark.parametrize(("bilat", "cents"), [("0", 7000), ("2", 7000), ("3", 14000)])
def test_bilateral_indicators_other_than_1(bilat, cents):
    medicare = _medicare(("20610", "", 7000, "2", bilat, "1", "0", ""))
    lines = _lines({"procedure_code": "20610", "modifiers": "50"})
    assert _cents(_price(lines, _percent(), medicare=medicare)["expected_cents"]) == [cents]


def test_bilateral_rt_and_lt_lines_pay_150_percent_as_one_procedure():
    # The 2nd side at 50 %; the pair ranks as one procedure (its $105.00 beats $90.00), so
    # the other surgery is the 2nd procedure.
    medicare = _medicare(
        ("20610", "", 7000, "2", "1", "1", "0", ""),
        ("20611", "", 9000, "2", "1", "1", "0", ""),
    )
    fees = _fees(("20610", "", 7000), ("20611", "", 9000))
    lines = _lines(
        {"procedure_code": "20610", "modifiers": "RT"},
        {"procedure_code": "20610", "modifiers": "LT"},
        {"procedure_code": "20611", "modifiers": ""},
    )
    out = _price(lines, _contracts(), fees, medicare)
    assert _cents(out["expected_cents"]) == [7000, 3500, 4500]
    assert "bilateral (RT+LT), 2nd side: 50% = $35.00" in out["explanation"].iloc[1]
    assert _cents(out["mppr_rank"]) == [1, 1, 2]


def test_bilateral_pair_ranked_second_is_reduced_on_both_sides():
    medicare = _medicare(
        ("20610", "", 7000, "2", "1", "1", "0", ""),
        ("27447", "", 100000, "2", "1", "2", "1", ""),
    )
    lines = _lines(
        {"procedure_code": "20610", "modifiers": "RT"},
        {"procedure_code": "20610", "modifiers": "LT"},
        {"procedure_code": "27447", "modifiers": ""},
    )
    out = _price(lines, _percent(), medicare=medicare)
    assert _cents(out["expected_cents"]) == [3500, 1750, 100000]


# --- payment_rules=contract, and the engine's other paths ---------------------------------


def test_contract_rules_change_nothing():
    medicare = _medicare(
        ("20610", "", 7000, "2", "1", "1", "0", ""),
        ("45380", "", 35000, "3", "0", "1", "0", "45378"),
        ("45385", "", 45000, "3", "0", "1", "0", "45378"),
    )
    lines = _lines(
        {"procedure_code": "20610", "modifiers": "50"},
        {"procedure_code": "20610", "modifiers": "80"},
        {"procedure_code": "45380"},
        {"procedure_code": "45385"},
    )
    plain = _price(lines, _percent(rules="contract"), medicare=medicare)
    without = _price(
        lines, _percent(rules="contract").drop(columns="payment_rules"), medicare=medicare
    )
    pd.testing.assert_frame_equal(plain, without)
    assert _cents(plain["expected_cents"]) == [7000, 3500, 35000, 45000]


def test_rules_figures_agree_with_every_column_subset_and_flagged():
    medicare = _medicare(
        ("20610", "", 7000, "2", "1", "1", "0", ""),
        ("27447", "", 100000, "2", "1", "2", "1", ""),
    )
    lines = _lines(
        {"procedure_code": "20610", "modifiers": "RT"},
        {"procedure_code": "20610", "modifiers": "LT"},
        {"procedure_code": "27447", "modifiers": "80"},
    ).assign(allowed_cents=pd.array([3500, 0, 16000], dtype="Int64"))
    full = _price(lines, _percent(), medicare=medicare)
    some = _price(
        lines, _percent(), medicare=medicare, explain="flagged", columns=["expected_cents"]
    )
    assert _cents(some["expected_cents"]) == _cents(full["expected_cents"])
    flagged = some["explanation"].notna().to_numpy()
    assert list(flagged) == [False, True, False]
    assert some["explanation"].iloc[1] == full["explanation"].iloc[1]
    assert _cents(full["gross_cents"]) == [7000, 3500, 16000]
    assert list(full["mppr_applied"]) == [True, True, False]
    assert np.array_equal(
        full["after_mppr_cents"].to_numpy(np.int64), np.array([3500, 1750, 16000])
    )
