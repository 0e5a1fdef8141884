"""contracts: rates in force, percent of Medicare and the fee comparison, in hand-checked cents."""

from __future__ import annotations

import pandas as pd
import pytest

from payeropt_lib.analytics import fee_comparisons
from payeropt_lib.pricing import contracts, expected

from . import frames

LOCALITY = "01112-05"
OTHER_LOCALITY = "05302-99"


def _contracts(*rows: dict) -> pd.DataFrame:
    """Contract rows; a payer is named by its id unless the row names it."""
    return frames.contracts(*({"payer_name": r["payer_id"], **r} for r in rows))


def _charges(*rows: tuple) -> pd.DataFrame:
    """(procedure_code, modifiers, date_of_service)"""
    frame = pd.DataFrame(rows, columns=["procedure_code", "modifiers", "date_of_service"])
    return frame.astype({"date_of_service": "datetime64[ns]"})


MEDICARE = frames.medicare(
    (LOCALITY, "99213", "", 10915, 7335),
    (LOCALITY, "99214", "", 15235, 10783),
    (LOCALITY, "73562", "26", 1015, 1015),
    (OTHER_LOCALITY, "99213", "", 8271, 6104),
)


def _rate(rates: pd.DataFrame, payer: str, line: str, code: str, modifier: str = "") -> dict:
    hit = rates[
        rates["payer_id"].eq(payer)
        & rates["product_line"].eq(line)
        & rates["procedure_code"].eq(code)
        & rates["modifier"].eq(modifier)
    ]
    assert len(hit) == 1, hit
    return hit.iloc[0].to_dict()


def test_product_line_specific_row_beats_blank_row() -> None:
    terms = _contracts(
        {"payer_id": "ACME", "product_line": "HMO"},
        {"payer_id": "MCD"},
    )
    fees = frames.fees(
        ("ACME", "", "99213", "", 9000, "2025-01-01", None),
        ("ACME", "HMO", "99213", "", 9500, "2025-03-01", None),
        ("ACME", "", "99214", "", 12000, "2025-01-01", None),
        ("MCD", "HMO", "99213", "", 5000, "2025-01-01", None),
    )
    rates = contracts.rates_in_force(terms, fees, MEDICARE, "2025-06-01", LOCALITY)

    own = _rate(rates, "ACME", "HMO", "99213")
    assert own["rate_cents"] == 9500
    assert own["source"] == "fixed fee schedule from 2025-03-01"
    shared = _rate(rates, "ACME", "HMO", "99214")
    assert shared["rate_cents"] == 12000
    assert shared["source"] == "fixed fee schedule (all products) from 2025-01-01"
    # The known bug: an all-products contract used to get blank rows only. Posting prices
    # an MCD HMO line at the HMO row under the all-products contract, so the page does too.
    mcd_hmo = _rate(rates, "MCD", "HMO", "99213")
    assert mcd_hmo["rate_cents"] == 5000
    assert mcd_hmo["source"] == (
        "fixed fee schedule from 2025-01-01; contract for all products from 2025-01-01"
    )
    assert rates["rate_cents"].dtype == "int64"
    assert list(rates.columns) == contracts.RATE_COLUMNS


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [("2025-06-30", 6250), ("2025-07-01", 6400), ("2025-12-31", 6400)],
)
def test_fee_schedule_period_change_is_half_open(as_of: str, expected: int) -> None:
    terms = _contracts({"payer_id": "MCD", "payer_class": "MEDICAID"})
    fees = frames.fees(
        ("MCD", "", "99213", "", 6250, "2025-01-01", "2025-07-01"),
        ("MCD", "", "99213", "", 6400, "2025-07-01", None),
    )
    rates = contracts.rates_in_force(terms, fees, MEDICARE, as_of, LOCALITY)
    assert _rate(rates, "MCD", "", "99213")["rate_cents"] == expected


def test_contract_change_and_contract_not_started() -> None:
    terms = _contracts(
        {"payer_id": "ACME", "effective_from": "2025-01-01"},
        {
            "payer_id": "ACME",
            "effective_from": "2025-10-01",
            "basis": "medicare_percent",
            "medicare_percent_x1000": 110000,
            "medicare_locality": LOCALITY,
        },
    )
    fees = frames.fees(("ACME", "", "99213", "", 9000, "2025-01-01", None))

    before = contracts.rates_in_force(terms, fees, MEDICARE, "2025-09-30", LOCALITY)
    assert _rate(before, "ACME", "", "99213")["rate_cents"] == 9000
    after = contracts.rates_in_force(terms, fees, MEDICARE, "2025-10-01", LOCALITY)
    # 10915 × 110 % = 12006.5 → 12007 (half up)
    assert _rate(after, "ACME", "", "99213")["rate_cents"] == 12007
    assert contracts.rates_in_force(terms, fees, MEDICARE, "2024-12-31", LOCALITY).empty


@pytest.mark.parametrize(
    ("x1000", "base", "expected", "text"),
    [
        (125000, 10915, 13644, "125%"),  # 13643.75 → 13644
        (125000, 7741, 9676, "125%"),  # 9676.25 → 9676
        (110000, 1015, 1117, "110%"),  # 1116.5 → 1117: half up, not to even
        (112500, 1016, 1143, "112.5%"),  # 1143.0 exactly
        (100000, 15235, 15235, "100%"),
    ],
)
def test_percent_of_medicare_rounds_half_up_in_integers(
    x1000: int, base: int, expected: int, text: str
) -> None:
    terms = _contracts(
        {
            "payer_id": "PCT",
            "basis": "medicare_percent",
            "medicare_percent_x1000": x1000,
            "medicare_locality": LOCALITY,
        }
    )
    medicare = frames.medicare((LOCALITY, "99999", "", base, 1))
    rates = contracts.rates_in_force(terms, frames.fees(), medicare, "2025-05-01", LOCALITY)
    row = _rate(rates, "PCT", "", "99999")
    assert row["rate_cents"] == expected
    dollars = f"${base // 100:,}.{base % 100:02d}"
    assert row["source"] == f"{text} of Medicare {LOCALITY} non-facility {dollars}"


def test_percent_contract_uses_its_own_locality_and_site() -> None:
    terms = _contracts(
        {
            "payer_id": "FAR",
            "basis": "medicare_percent",
            "medicare_percent_x1000": 150000,
            "medicare_locality": OTHER_LOCALITY,
        }
    )
    rates = contracts.rates_in_force(
        terms, frames.fees(), MEDICARE, "2025-05-01", LOCALITY, site="facility"
    )
    row = _rate(rates, "FAR", "", "99213")
    assert row["rate_cents"] == 9156  # 6104 × 150 % (the contract's locality, facility)
    assert row["medicare_cents"] == 7335  # the practice's locality, facility
    assert row["source"] == f"150% of Medicare {OTHER_LOCALITY} facility $61.04"
    assert row["pct_of_medicare"] == pytest.approx(9156 * 100 / 7335)


def test_top_codes_by_line_volume_with_pricing_modifier_and_period() -> None:
    charges = _charges(
        ("99213", "", "2025-02-01"),
        ("99213", "25", "2025-02-02"),
        ("99213", "", "2025-02-03"),
        ("99214", "", "2025-02-01"),
        ("99214", "25", "2025-02-01"),
        ("73562", "26:59", "2025-02-01"),
        ("73562", "LT:26", "2025-02-01"),
        ("73562", "", "2025-02-01"),
        ("20610", "RT:59", "2025-02-01"),
        ("99215", "", "2024-12-31"),  # outside the period
        ("99215", "", "2024-12-31"),
        ("99215", "", "2024-12-31"),
        ("99215", "", "2024-12-31"),
    )
    top = fee_comparisons.top_codes(charges, 3, period_start="2025-01-01", period_end="2025-12-31")
    assert top.to_dict("records") == [
        {"procedure_code": "99213", "modifier": "", "volume": 3},
        {"procedure_code": "73562", "modifier": "26", "volume": 2},  # ties by code
        {"procedure_code": "99214", "modifier": "", "volume": 2},
    ]
    assert fee_comparisons.top_codes(charges, 1).iloc[0]["procedure_code"] == "99215"


def _comparison_inputs() -> tuple[pd.DataFrame, ...]:
    charges = _charges(
        ("99213", "", "2025-02-01"),
        ("99213", "", "2025-02-01"),
        ("99214", "", "2025-02-01"),
    )
    terms = _contracts(
        {
            "payer_id": "MCR",
            "payer_name": "Medicare",
            "payer_class": "MEDICARE",
            "basis": "medicare_percent",
            "medicare_percent_x1000": 100000,
            "medicare_locality": LOCALITY,
        },
        {"payer_id": "ACME", "payer_name": "Acme", "product_line": "HMO"},
        {"payer_id": "SELF", "payer_name": "Self pay", "payer_class": "SELF_PAY"},
    )
    fees = frames.fees(
        ("ACME", "HMO", "99213", "", 10914, "2025-01-01", None),  # one cent under Medicare
    )
    return charges, terms, fees


def test_fee_comparison_missing_rate_is_na_not_zero() -> None:
    charges, terms, fees = _comparison_inputs()
    out = fee_comparisons.fee_comparison(charges, terms, fees, MEDICARE, "2025-05-01", LOCALITY)
    assert list(out.columns) == fee_comparisons.COMPARISON_COLUMNS
    missing = out[out["payer_id"].eq("ACME") & out["procedure_code"].eq("99214")].iloc[0]
    assert missing["rate_cents"] is pd.NA
    assert missing["pct_of_medicare"] is pd.NA
    assert missing["source"] == "no rate on file"
    assert not missing["below_medicare"]
    assert missing["medicare_cents"] == 15235
    assert out["rate_cents"].dtype == "Int64"
    assert "SELF" not in set(out["payer_id"])  # self-pay is not a payer contract


def test_fee_comparison_rows_order_and_below_medicare_flag() -> None:
    charges, terms, fees = _comparison_inputs()
    out = fee_comparisons.fee_comparison(charges, terms, fees, MEDICARE, "2025-05-01", LOCALITY)
    assert out[["code_label", "volume", "payer_label"]].values.tolist() == [
        ["99213", 2, "Medicare"],  # Medicare first: the yardstick
        ["99213", 2, "Acme · HMO"],
        ["99214", 1, "Medicare"],
        ["99214", 1, "Acme · HMO"],
    ]
    assert out["below_medicare"].tolist() == [False, True, False, False]
    assert out["rate_cents"].tolist()[:3] == [10915, 10914, 15235]
    flagged = fee_comparisons.below_medicare(out)
    assert flagged[["payer_id", "code_label"]].values.tolist() == [["ACME", "99213"]]


def test_fee_comparison_without_locality_has_no_medicare_reference() -> None:
    charges, terms, fees = _comparison_inputs()
    out = fee_comparisons.fee_comparison(charges, terms, fees, MEDICARE, "2025-05-01", None)
    assert out["medicare_cents"].isna().all()
    assert not out["below_medicare"].any()


def test_practice_locality_order_of_preference() -> None:
    terms = _contracts(
        {"payer_id": "A", "medicare_locality": OTHER_LOCALITY},
        {"payer_id": "B", "medicare_locality": OTHER_LOCALITY},
        {"payer_id": "MCR", "payer_class": "MEDICARE", "medicare_locality": LOCALITY},
    )
    assert contracts.practice_locality({"locality": "99999-01"}, terms) == "99999-01"
    assert contracts.practice_locality({"locality": None}, terms) == LOCALITY
    no_medicare = terms[terms["payer_class"].ne("MEDICARE")]
    assert contracts.practice_locality({"locality": None}, no_medicare) == OTHER_LOCALITY
    assert contracts.practice_locality({}, _contracts({"payer_id": "X"})) is None


def test_payers_sharing_a_name_keep_distinct_labels() -> None:
    charges = _charges(("99213", "", "2025-02-01"))
    terms = _contracts(
        {"payer_id": "BC1", "payer_name": "Blue Cross"},
        {"payer_id": "BC2", "payer_name": "Blue Cross"},
        {"payer_id": "AET", "payer_name": "Aetna", "product_line": "PPO"},
    )
    out = fee_comparisons.fee_comparison(
        charges, terms, frames.fees(), MEDICARE, "2025-05-01", LOCALITY
    )
    assert out["payer_label"].tolist() == ["Aetna · PPO", "Blue Cross (BC1)", "Blue Cross (BC2)"]


# --- the page prices as posting does ---------------------------------------------------


def _engine_rate(
    terms: pd.DataFrame,
    fees: pd.DataFrame,
    medicare: pd.DataFrame,
    payer: str,
    line: str,
    code: str,
    modifiers: str,
    day: str,
) -> object:
    """What posting expects for one 1-unit line billed at a charge no rate reaches."""
    one = pd.DataFrame(
        {
            "line_key": [1],
            "claim_id": ["C1"],
            "payer_id": [payer],
            "product_line": [line],
            "procedure_code": [code],
            "modifiers": [modifiers],
            "units": [1],
            "charge_cents": [10**9],
            "date_of_service": [pd.Timestamp(day)],
            "place_of_service": ["11"],
        }
    )
    return expected.expected_allowed(one, terms, fees, medicare)["expected_cents"].iloc[0]


def _disagreements() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contracts and fee rows where the old page and the posting engine disagreed."""
    terms = _contracts(
        # An all-products fixed contract with product-line rows of its own.
        {"payer_id": "ACME"},
        # A product-line contract that starts after the as-of date: the all-products one
        # prices that product line meanwhile.
        {"payer_id": "BLUE"},
        {"payer_id": "BLUE", "product_line": "EPO", "effective_from": "2025-09-01"},
        # An older product-line percent contract beats a newer all-products fixed one.
        {
            "payer_id": "CIG",
            "product_line": "PPO",
            "effective_from": "2024-01-01",
            "basis": "medicare_percent",
            "medicare_percent_x1000": 120000,
            "medicare_locality": LOCALITY,
        },
        {"payer_id": "CIG", "effective_from": "2025-02-01"},
    )
    fees = frames.fees(
        ("ACME", "", "99213", "", 9000, "2025-01-01", None),
        ("ACME", "HMO", "99213", "", 9700, "2025-01-01", None),
        ("ACME", "HMO", "73562", "26", 1200, "2025-01-01", None),
        ("BLUE", "", "99213", "", 8800, "2025-01-01", None),
        ("BLUE", "EPO", "99213", "", 9900, "2025-04-01", None),
        ("CIG", "", "99213", "", 8000, "2025-01-01", None),
        ("CIG", "PPO", "99213", "", 7000, "2025-01-01", None),  # ignored: PPO is a percent
    )
    return terms, fees


def test_rates_follow_the_posting_engine_where_the_page_used_to_differ() -> None:
    terms, fees = _disagreements()
    rates = contracts.rates_in_force(terms, fees, MEDICARE, "2025-06-01", LOCALITY)
    hand = {
        ("ACME", "", "99213", ""): 9000,
        ("ACME", "HMO", "99213", ""): 9700,  # was missing: the HMO row under "all products"
        ("ACME", "HMO", "73562", "26"): 1200,  # was missing
        ("BLUE", "", "99213", ""): 8800,
        ("BLUE", "EPO", "99213", ""): 9900,  # was missing: EPO contract not started yet
        ("CIG", "", "99213", ""): 8000,
        ("CIG", "PPO", "99213", ""): 13098,  # 10915 × 120 %: the PPO contract, not a fee row
        ("CIG", "PPO", "99214", ""): 18282,  # 15235 × 120 %
        ("CIG", "PPO", "73562", "26"): 1218,  # 1015 × 120 %
    }
    got = {
        tuple(r[k] for k in contracts.RATE_KEY): r["rate_cents"] for r in rates.to_dict("records")
    }
    assert got == hand
    for (payer, line, code, modifier), cents in hand.items():
        # Billed with an edit modifier too: only 26/TC change the price.
        billed = "59" if not modifier else f"59:{modifier}"
        engine = _engine_rate(terms, fees, MEDICARE, payer, line, code, billed, "2025-06-01")
        assert engine == cents, (payer, line, code, modifier)
    epo = _rate(rates, "BLUE", "EPO", "99213")
    assert epo["source"] == (
        "fixed fee schedule from 2025-04-01; contract for all products from 2025-01-01"
    )
    assert _rate(rates, "CIG", "PPO", "99213")["source"] == (
        f"120% of Medicare {LOCALITY} non-facility $109.15"
    )


def test_after_the_product_line_contract_starts_it_prices_its_line() -> None:
    terms, fees = _disagreements()
    rates = contracts.rates_in_force(terms, fees, MEDICARE, "2025-09-01", LOCALITY)
    epo = _rate(rates, "BLUE", "EPO", "99213")
    assert epo["rate_cents"] == 9900
    assert epo["source"] == "fixed fee schedule from 2025-04-01"  # its own contract now
    assert _engine_rate(terms, fees, MEDICARE, "BLUE", "EPO", "99213", "", "2025-09-01") == 9900


def test_priced_keys_add_product_lines_priced_under_an_all_products_contract() -> None:
    terms, fees = _disagreements()
    keys = contracts.priced_keys(terms, fees, "2025-06-01")
    assert keys[["payer_id", "product_line", "contract_product_line"]].values.tolist() == [
        ["ACME", "", ""],
        ["ACME", "HMO", ""],
        ["BLUE", "", ""],
        ["BLUE", "EPO", ""],
        ["CIG", "", ""],
        ["CIG", "PPO", "PPO"],
    ]


def test_fee_comparison_has_a_column_per_product_line_the_engine_prices() -> None:
    terms, fees = _disagreements()
    charges = _charges(("99213", "", "2025-02-01"), ("73562", "26", "2025-02-01"))
    out = fee_comparisons.fee_comparison(charges, terms, fees, MEDICARE, "2025-06-01", LOCALITY)
    hmo = out[out["payer_label"].eq("ACME · HMO")].set_index("code_label")
    assert hmo.loc["99213", "rate_cents"] == 9700
    assert hmo.loc["73562-26", "rate_cents"] == 1200
    assert hmo.loc["73562-26", "pct_of_medicare"] == pytest.approx(1200 * 100 / 1015)
    assert not hmo.loc["73562-26", "below_medicare"]


def test_fee_headline_states_the_as_of_date_and_reference() -> None:
    charges, terms, fees = _comparison_inputs()
    out = fee_comparisons.fee_comparison(charges, terms, fees, MEDICARE, "2025-05-01", LOCALITY)
    head = fee_comparisons.fee_headline(out, "2025-05-01", LOCALITY)
    assert list(head.columns) == fee_comparisons.FEE_HEADLINE_COLUMNS
    assert head.iloc[0].to_dict() == {
        "rates_as_of": pd.Timestamp("2025-05-01"),
        "medicare_locality": LOCALITY,
        "codes_compared": 2,
        "payer_columns": 2,
        "rates_below_medicare": 1,
        "rates_not_on_file": 1,
    }
    empty = fee_comparisons.fee_headline(out.iloc[0:0], "2025-05-01", None).iloc[0]
    assert empty["medicare_locality"] == "unknown" and empty["codes_compared"] == 0


def test_fee_comparison_leaves_out_a_payer_billed_only_as_a_supplement() -> None:
    """A Medigap plan on contract at "100 % of Medicare", billed only as the secondary payer,
    has no column (it pays the patient's share, not an allowed amount; issue 12); a payer
    billed as primary keeps its column whether or not it is also someone's secondary."""
    charges, terms, fees = _comparison_inputs()
    gap = frames.contracts(
        {"payer_id": "MGAP", "payer_name": "Medigap", "basis": "medicare_percent",
         "medicare_percent_x1000": 100000, "medicare_locality": LOCALITY},
    )  # fmt: skip
    terms = pd.concat([terms, gap], ignore_index=True)
    billed = charges.assign(primary_payer_id="MCR", secondary_payer_id="MGAP")
    without = fee_comparisons.fee_comparison(billed, terms, fees, MEDICARE, "2025-05-01", LOCALITY)
    assert "MGAP" not in set(without["payer_id"])
    assert fee_comparisons.supplements(billed) == {"MGAP"}
    primary_too = billed.assign(primary_payer_id=["MGAP"] + ["MCR"] * (len(billed) - 1))
    kept = fee_comparisons.fee_comparison(
        primary_too, terms, fees, MEDICARE, "2025-05-01", LOCALITY
    )
    assert "MGAP" in set(kept["payer_id"])
    # Without the payer columns nothing is left out (the older callers' charges).
    plain = fee_comparisons.fee_comparison(charges, terms, fees, MEDICARE, "2025-05-01", LOCALITY)
    assert "MGAP" in set(plain["payer_id"])
