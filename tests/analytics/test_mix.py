"""mix: shares of claims, charges and payments by payer type and payer, to the cent, with
the small-cell rule through payer type → payer and the type × month grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from payeropt_lib.analytics import mix
from payeropt_lib.analytics.directory import ALL_PAYERS
from payeropt_lib.packet import plots

from . import frames

START, END = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31")


def _charges(
    payer: str, n_claims: int, *, lines: int = 1, cents: int = 15_000, day: str = "2025-03-05"
) -> pd.DataFrame:
    ids = np.repeat([f"{payer}-{day}-{i:03d}" for i in range(n_claims)], lines)
    return pd.DataFrame(
        {
            "claim_id": ids,
            "date_of_service": pd.Timestamp(day),
            "charge_cents": np.full(len(ids), cents, dtype="int64"),
            "primary_payer_id": payer,
        }
    )


def _practice() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Acme: 20 claims of 2 × $100 billed, 18 paid $80; Medicare: 30 claims of $150, all
    paid $90; one Acme claim served before the period."""
    charges = pd.concat(
        [
            _charges("ACME", 20, lines=2, cents=10_000),
            _charges("MCR", 30),
            _charges("ACME", 1, day="2024-12-01"),
        ],
        ignore_index=True,
    )
    adjudicated = pd.concat(
        [frames.adjudicated("ACME", 18, paid=8_000), frames.adjudicated("MCR", 30, paid=9_000)],
        ignore_index=True,
    )
    return charges, adjudicated


def test_shares_by_payer_to_the_cent() -> None:
    charges, adjudicated = _practice()
    table = mix.payer_mix(adjudicated, charges, frames.PAYERS, START, END, by="payer")
    assert list(table["payer_label"]) == ["Medicare Part B", "Acme Health Plan", ALL_PAYERS]
    assert list(table["claims"]) == [30, 20, 50]  # the December claim is out of the period
    assert list(table["charge_cents"]) == [450_000, 400_000, 850_000]
    assert list(table["remitted_claims"]) == [30, 18, 48]
    assert list(table["paid_cents"]) == [270_000, 144_000, 414_000]
    assert table["pct_claims"].tolist() == pytest.approx([60.0, 40.0, 100.0])
    assert table["pct_charges"].tolist() == pytest.approx(
        [100 * 450 / 850, 100 * 400 / 850, 100.0]
    )
    assert table["pct_paid"].tolist() == pytest.approx([100 * 270 / 414, 100 * 144 / 414, 100.0])
    assert list(table["class_label"]) == ["Medicare", "Commercial", ""]
    assert list(table["is_total"]) == [False, False, True]


def test_shares_by_payer_type() -> None:
    charges, adjudicated = _practice()
    extra = _charges("BETA", 12, cents=5_000)
    table = mix.payer_mix(
        adjudicated, pd.concat([charges, extra]), frames.PAYERS, START, END, by="payer_class"
    )
    assert list(table["class_label"]) == ["Commercial", "Medicare", mix.ALL_CLASSES]
    assert list(table["claims"]) == [32, 30, 62]
    assert list(table["charge_cents"]) == [460_000, 450_000, 910_000]
    assert list(table["paid_cents"]) == [144_000, 270_000, 414_000]


def test_without_charges_the_adjudicated_claims_stand_in() -> None:
    _, adjudicated = _practice()
    table = mix.payer_mix(adjudicated, None, frames.PAYERS, by="payer")
    assert list(table["claims"]) == [30, 18, 48]
    assert list(table["charge_cents"]) == [30 * 20_000, 18 * 20_000, 48 * 20_000]


def test_before_any_remittance_claims_and_charges_still_show() -> None:
    charges, adjudicated = _practice()
    table = mix.payer_mix(adjudicated.iloc[0:0], charges, frames.PAYERS, START, END, by="payer")
    assert list(table["claims"]) == [30, 20, 50]
    assert list(table["remitted_claims"]) == [0, 0, 0]
    assert list(table["paid_cents"]) == [0, 0, 0]
    assert table["pct_paid"].tolist() == [0.0, 0.0, 0.0]  # nothing paid yet: not hidden
    figure = plots.mix_share_bars(table, label="payer_label")
    assert figure.data and all(len(trace.y) for trace in figure.data)
    assert not any("*" in str(y) for trace in figure.data for y in trace.y)


def test_nothing_billed_or_adjudicated() -> None:
    charges, adjudicated = _practice()
    for by in mix.BY:
        table = mix.payer_mix(adjudicated.iloc[0:0], charges.iloc[0:0], frames.PAYERS, by=by)
        assert table.empty and list(table.columns) == mix.MIX_COLUMNS[by]
    assert mix.mix_monthly(adjudicated.iloc[0:0], charges.iloc[0:0], frames.PAYERS).empty
    assert plots.mix_share_bars(mix.payer_mix(adjudicated.iloc[0:0])).layout.annotations
    assert plots.mix_trend_lines(mix.mix_monthly(adjudicated.iloc[0:0])).layout.annotations
    with pytest.raises(ValueError, match="by must be one of"):
        mix.payer_mix(adjudicated, by="product")


def test_a_payer_with_7_claims_shows_under_11_and_no_dollars_or_shares() -> None:
    charges, adjudicated = _practice()
    charges = pd.concat([charges, _charges("BETA", 7, cents=5_000)], ignore_index=True)
    adjudicated = pd.concat(
        [adjudicated, frames.adjudicated("BETA", 7, paid=4_000)], ignore_index=True
    )
    table = mix.payer_mix(adjudicated, charges, frames.PAYERS, START, END, by="payer")
    rows = table.set_index("payer_label")
    beta = rows.loc["Beta Insurance"]
    assert pd.isna(beta["claims"]) and beta["claims_small"]
    for figure in ("pct_claims", "charge_cents", "pct_charges", "paid_cents", "pct_paid"):
        assert pd.isna(beta[figure]), figure
    # Acme is Beta's only sibling among the commercial payers, whose total the payer-type
    # table shows: hidden with it.
    acme = rows.loc["Acme Health Plan"]
    assert pd.isna(acme["claims"]) and not acme["claims_small"]
    assert pd.isna(acme["paid_cents"]) and pd.isna(acme["pct_paid"])
    assert rows.loc["Medicare Part B", "claims"] == 30
    assert rows.loc[ALL_PAYERS, "claims"] == 57
    by_class = mix.payer_mix(adjudicated, charges, frames.PAYERS, START, END).set_index(
        "class_label"
    )
    assert by_class.loc["Commercial", "claims"] == 27  # 20 + 7: shown, not a small count
    figure = plots.mix_share_bars(table, label="payer_label")
    assert figure.data
    for trace in figure.data:
        drawn = dict(zip(trace.y, trace.x, strict=True))
        assert np.isnan(drawn["Beta Insurance *"]) and np.isnan(drawn["Acme Health Plan *"])
        assert not np.isnan(drawn["Medicare Part B"])


def test_monthly_shares_and_small_months() -> None:
    charges = pd.concat(
        [
            _charges("ACME", 20, day="2025-01-10"),
            _charges("MCR", 30, day="2025-01-12"),
            _charges("ACME", 25, day="2025-02-10"),
            _charges("MCR", 5, day="2025-02-12"),
            _charges("ACME", 30, day="2025-03-10"),
            _charges("MCR", 40, day="2025-03-12"),
        ],
        ignore_index=True,
    )
    monthly = mix.mix_monthly(
        frames.adjudicated("ACME", 1).iloc[0:0], charges, frames.PAYERS, START, END
    )
    assert list(monthly["class_label"]) == ["Commercial"] * 3 + ["Medicare"] * 3
    month = monthly.set_index(["service_month", "payer_class"])
    # Medicare's 5 February claims are hidden; then Commercial's February (the month's
    # share would give them back), and in each type's row one more month (its total is on
    # the payer-type table): January, whose two cells then hide each other.
    feb = month.loc[pd.Timestamp("2025-02-01")]
    assert feb["claims"].isna().all() and feb["pct_claims"].isna().all()
    assert feb["claims_small"].tolist() == [False, True]
    assert month.loc[pd.Timestamp("2025-01-01"), "claims"].isna().all()
    march = month.loc[pd.Timestamp("2025-03-01")]
    assert march["claims"].tolist() == [30, 40]
    assert march["pct_claims"].tolist() == pytest.approx([100 * 30 / 70, 100 * 40 / 70])
    assert march["charge_cents"].tolist() == [30 * 15_000, 40 * 15_000]
    hidden = monthly["claims"].isna()
    for key in ("payer_class", "service_month"):
        assert not hidden.groupby(monthly[key]).sum().eq(1).any(), key
    figure = plots.mix_trend_lines(monthly, "pct_claims")
    medicare = next(t for t in figure.data if t.name.startswith("Medicare"))
    assert medicare.name == "Medicare *" and medicare.connectgaps is False
    assert np.isnan(medicare.y).sum() == hidden[monthly["payer_class"].eq("MEDICARE")].sum()
