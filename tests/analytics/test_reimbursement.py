"""reimbursement: monthly median allowed per unit against the contracted rate, per payer
and top code, with exact half-up medians in cents, the lines that count, small cells
hidden, and the payer × code pairs paid below contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from payeropt_lib.analytics import reimbursement as rb
from payeropt_lib.packet import plots
from payeropt_lib.remittances import remitted

PAYERS = pd.DataFrame(
    {
        "payer_id": ["ACME", "MCR", "PMH"],
        "payer_name": ["Acme Health Plan", "Medicare Part B", "Prairie Mutual"],
        "payer_class": ["COMMERCIAL", "MEDICARE", "COMMERCIAL"],
    }
)
JAN, FEB, MAR = (pd.Timestamp(f"2025-0{m}-01") for m in (1, 2, 3))


def _lines(
    payer: str,
    allowed: list[int],
    *,
    rate: int | None = 10_000,
    code: str = "99213",
    modifiers: str = "",
    units: int | list[int] = 1,
    month: pd.Timestamp = JAN,
    product_line: str = "",
    outcome: str = "ok",
    primary: bool = True,
    full_price: bool = True,
) -> pd.DataFrame:
    n = len(allowed)
    frame = pd.DataFrame(
        {
            "remit_id": 1,
            "claim_id": [f"{payer}{month:%m}{code}{i:04d}" for i in range(n)],
            "line_number": 1,
            "payer_id": payer,
            "product_line": product_line,
            "procedure_code": code,
            "modifiers": modifiers,
            "units": units,
            "date_of_service": month + pd.Timedelta(days=9),
            "service_month": month,
            "charge_cents": 50_000,
            "allowed_cents": allowed,
            "paid_cents": allowed,
            "patient_resp_cents": 0,
            "payment_date": month + pd.Timedelta(days=40),
            "days_to_payment": pd.array([31] * n, dtype="Int64"),
            "primary": primary,
            "outcome": outcome,
            "expected_cents": pd.array([rate] * n, dtype="Int64"),
            "contract_rate_cents": pd.array([rate] * n, dtype="Int64"),
            "full_price": full_price,
        },
        index=range(n),
    )
    return frame[remitted.ADJUDICATED_COLUMNS]


def _cat(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


def _cell(trend: pd.DataFrame, payer: str, code: str, month: pd.Timestamp) -> pd.Series:
    rows = trend[
        trend["payer_label"].eq(payer)
        & trend["code_label"].eq(code)
        & trend["service_month"].eq(month)
    ]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --- exact medians ----------------------------------------------------------------------


def test_median_half_up_in_whole_cents() -> None:
    values = np.array([100, 101, 5, 3, 9, 7, -100, -101, 42])
    groups = np.array([0, 0, 1, 1, 1, 1, 2, 2, 3])
    # {100, 101} → 100.5 → 101; {3, 5, 7, 9} → 6; {−101, −100} → −100.5 → −100 (half up).
    assert rb.median_half_up(values, groups).tolist() == [101, 6, -100, 42]
    assert rb.median_half_up(np.array([7, 1, 4]), np.array([0, 0, 0])).tolist() == [4]
    assert rb.median_half_up(np.array([], dtype="int64"), np.array([])).size == 0


def test_per_unit_amounts_round_half_up_to_the_cent() -> None:
    cents = pd.Series([10_001, 10_000, 20_000, 9_999])
    units = pd.Series([2, 3, 3, 1])
    assert rb.per_unit_half_up(cents, units).tolist() == [5_001, 3_333, 6_667, 9_999]


# --- inputs -----------------------------------------------------------------------------


def test_top_codes_split_pricing_modifiers_and_skip_small_codes() -> None:
    lines = _cat(
        _lines("ACME", [9_000] * 30, code="99213"),
        _lines("ACME", [4_000] * 20, code="93000", modifiers="26:LT"),
        _lines("ACME", [6_000] * 12, code="93000"),
        _lines("ACME", [1_000] * 5, code="J3301"),
        _lines("ACME", [9_000] * 40, code="99214", primary=False),  # not counted
    )
    top = rb.top_codes(lines, top_n=5)
    assert top["code_label"].tolist() == ["99213", "93000-26", "93000"]
    assert top["code_lines"].tolist() == [30, 20, 12]
    assert rb.top_codes(lines, top_n=1)["code_label"].tolist() == ["99213"]


def test_measured_lines_are_paid_primary_lines_at_full_price_with_a_rate() -> None:
    lines = _cat(
        _lines("ACME", [9_000], outcome="ok"),
        _lines("ACME", [8_000], outcome="underpaid"),
        _lines("ACME", [0], outcome="denied"),
        _lines("ACME", [0], outcome="bundled"),
        _lines("ACME", [4_500], full_price=False),  # second procedure, cut by MPPR
        _lines("ACME", [9_000], rate=None, outcome="no_rate"),
        _lines("ACME", [3_000], outcome="not_primary", primary=False),
        _lines("ACME", [30_000], units=3),
    )
    measured = rb.measured_lines(lines)
    assert measured["allowed_per_unit_cents"].tolist() == [9_000, 8_000, 10_000]
    assert measured["contract_rate_cents"].tolist() == [10_000, 10_000, 10_000]


# --- the trend --------------------------------------------------------------------------


def test_monthly_medians_exact_cents_gap_and_below_flag() -> None:
    jan = [10_000] * 6 + [9_000] * 6  # median (9,000 + 10,000) / 2 = 9,500
    feb = [9_960] * 7 + [10_000] * 6  # median 9,960: 0.4 % below, within tolerance
    mar = [10_001] * 11  # median 10,001, above
    lines = _cat(
        _lines("ACME", jan, month=JAN),
        _lines("ACME", feb, month=FEB),
        _lines("ACME", mar, month=MAR),
        _lines("ACME", [12_001, 12_002] * 6, month=JAN, code="99214", rate=12_000),
    )
    trend = rb.monthly_medians(lines, PAYERS, top_n=5)
    assert list(trend.columns) == rb.TREND_COLUMNS
    first = _cell(trend, "Acme Health Plan", "99213", JAN)
    assert (first["lines"], first["median_allowed_cents"], first["median_contract_cents"]) == (
        12,
        9_500,
        10_000,
    )
    assert first["gap_pct"] == pytest.approx(-5.0)
    assert first["pct_of_contract"] == pytest.approx(95.0)
    assert bool(first["below_contract"])
    second = _cell(trend, "Acme Health Plan", "99213", FEB)
    assert second["median_allowed_cents"] == 9_960 and not bool(second["below_contract"])
    third = _cell(trend, "Acme Health Plan", "99213", MAR)
    assert third["median_allowed_cents"] == 10_001 and not bool(third["below_contract"])
    # Even count of 12,001 and 12,002: the middle two are 12,001 and 12,002 → 12,001.5 → 12,002.
    other = _cell(trend, "Acme Health Plan", "99214", JAN)
    assert other["median_allowed_cents"] == 12_002
    assert other["code_lines"] == 12
    assert trend["code_label"].tolist()[:3] == ["99213"] * 3  # most billed code first


def test_per_unit_medians_do_not_mistake_units_for_a_cut() -> None:
    lines = _cat(
        _lines("ACME", [2_100] * 6, code="J3301", rate=700, units=3),  # 3 units at $7.00
        _lines("ACME", [700] * 6, code="J3301", rate=700, units=3),  # paid 1 unit of 3
    )
    cell = _cell(rb.monthly_medians(lines, PAYERS), "Acme Health Plan", "J3301", JAN)
    # Per unit: six at 700, six at 233 (700 / 3 = 233.33 → 233): median 466.5 → 467.
    assert cell["median_allowed_cents"] == 467 and cell["median_contract_cents"] == 700
    assert bool(cell["below_contract"])


def test_small_cells_are_hidden_and_never_drawn() -> None:
    lines = _cat(
        _lines("ACME", [9_000] * 20, month=JAN),
        _lines("ACME", [1_234] * 7, month=FEB),  # 7 lines: hidden
        _lines("MCR", [5_555] * 6, month=FEB, rate=6_000),  # 6 lines: hidden
        _lines("MCR", [6_000] * 15, month=JAN, rate=6_000),
    )
    trend = rb.monthly_medians(lines, PAYERS)
    for payer in ("Acme Health Plan", "Medicare Part B"):
        cell = _cell(trend, payer, "99213", FEB)
        assert pd.isna(cell["lines"]) and bool(cell["lines_small"])
        for column in ("median_allowed_cents", "median_contract_cents", "gap_pct"):
            assert pd.isna(cell[column])
        assert not bool(cell["below_contract"])
    fig = plots.allowed_vs_contract(trend, measure="dollars")
    acme = next(t for t in fig.data if t.name == "Acme Health Plan")
    assert acme.x[1] == FEB and np.isnan(acme.y[1]) and acme.y[0] == 90.0
    drawn = [y for t in fig.data if t.y is not None for y in list(t.y)]
    assert 12.34 not in drawn and 55.55 not in drawn
    percent = plots.allowed_vs_contract(trend)
    acme = next(t for t in percent.data if t.name == "Acme Health Plan")
    assert acme.y[0] == pytest.approx(90.0) and np.isnan(acme.y[1])
    assert "fewer than 11" in percent.layout.annotations[-1].text


def test_product_lines_are_separate_payers_and_medicare_is_flagged() -> None:
    lines = _cat(
        _lines("PMH", [9_000] * 11, product_line="HMO"),
        _lines("PMH", [9_500] * 11, product_line="PPO"),
        _lines("MCR", [8_000] * 11, rate=8_000),
    )
    trend = rb.monthly_medians(lines, PAYERS)
    assert sorted(trend["payer_label"]) == [
        "Medicare Part B",
        "Prairie Mutual · HMO",
        "Prairie Mutual · PPO",
    ]
    assert trend.set_index("payer_label")["federal"].to_dict() == {
        "Medicare Part B": True,
        "Prairie Mutual · HMO": False,
        "Prairie Mutual · PPO": False,
    }


# --- below contract ---------------------------------------------------------------------


def test_below_contract_lists_pairs_with_two_months_below() -> None:
    lines = _cat(
        _lines("ACME", [9_000] * 12, month=JAN),
        _lines("ACME", [9_100] * 12, month=FEB),
        _lines("ACME", [10_000] * 12, month=MAR),
        _lines("MCR", [5_500] * 12, month=JAN, rate=6_000),
        _lines("MCR", [5_600] * 12, month=MAR, rate=6_000),
        _lines("PMH", [9_000] * 12, month=JAN),  # one month only: not listed
    )
    table = rb.below_contract(rb.monthly_medians(lines, PAYERS), min_months=2)
    assert list(table.columns) == rb.DRIFT_COLUMNS
    # Both two months below; the larger latest gap first (Acme −9 %, Medicare −6.7 %).
    assert table["payer_label"].tolist() == ["Acme Health Plan", "Medicare Part B"]
    mcr = table.iloc[1]
    # Guardrail: Medicare is listed like any payer, flagged for reference.
    assert bool(mcr["federal"])
    assert (mcr["months_below"], mcr["months_shown"]) == (2, 2)
    assert (mcr["first_below"], mcr["last_below"]) == ("Jan 2025", "Mar 2025")
    assert mcr["when_below"] == "Jan 2025 to Mar 2025"
    assert bool(mcr["still_below"])
    assert (mcr["median_allowed_cents"], mcr["median_contract_cents"]) == (5_600, 6_000)
    assert mcr["below_lines"] == 24
    acme = table.iloc[0]
    assert not bool(acme["still_below"])  # paid at contract again in March
    assert acme["last_below"] == "Feb 2025" and acme["median_allowed_cents"] == 9_100
    assert acme["gap_pct"] == pytest.approx(-9.0)
    assert rb.below_contract(rb.monthly_medians(lines, PAYERS), min_months=3).empty


# --- empty and tiny practices -------------------------------------------------------------


def test_empty_and_tiny_practices() -> None:
    none = _lines("ACME", []).iloc[0:0]
    trend = rb.monthly_medians(none, PAYERS)
    assert trend.empty and list(trend.columns) == rb.TREND_COLUMNS
    assert rb.below_contract(trend).empty and list(rb.below_contract(trend).columns) == (
        rb.DRIFT_COLUMNS
    )
    assert rb.top_codes(none).empty
    fig = plots.allowed_vs_contract(trend, empty="No remittances posted yet.")
    assert fig.layout.annotations[0].text == "No remittances posted yet."
    tiny = rb.monthly_medians(_lines("ACME", [9_000] * 11, month=JAN).iloc[:4], PAYERS)
    assert tiny.empty  # the code has 4 lines: not a top code
    small = rb.monthly_medians(
        _cat(_lines("ACME", [9_000] * 6, month=JAN), _lines("ACME", [9_000] * 6, month=FEB)),
        PAYERS,
    )
    assert small["lines_small"].tolist() == [True, True]  # two months of 6 lines, hidden
    assert small["median_allowed_cents"].isna().all()
    assert "Fewer than 11" in plots.allowed_vs_contract(small).layout.annotations[0].text


def test_figure_layouts_and_measures() -> None:
    lines = _cat(
        _lines("ACME", [9_000] * 12, month=JAN),
        _lines("ACME", [9_500] * 12, month=FEB),
        _lines("ACME", [2_000] * 12, month=JAN, code="99214", rate=2_000),
    )
    trend = rb.monthly_medians(lines, PAYERS)
    grid = plots.allowed_vs_contract(trend, measure="dollars")
    dotted = [t for t in grid.data if t.line.dash == "dot"]
    assert dotted and all(t.hoverinfo == "skip" for t in dotted)
    assert [a.text for a in grid.layout.annotations][:2] == [
        "99213 · 24 lines",
        "99214 · 12 lines",
    ]
    menu = plots.allowed_vs_contract(trend, layout="dropdown")
    assert [b.label for b in menu.layout.updatemenus[0].buttons] == ["99213", "99214"]
    visible = [t.visible for t in menu.data]
    assert visible.count(False) == 1  # the 99214 line waits for its button
    with pytest.raises(ValueError, match="layout"):
        plots.allowed_vs_contract(trend, layout="mosaic")
    with pytest.raises(ValueError, match="measure"):
        plots.allowed_vs_contract(trend, measure="euros")
