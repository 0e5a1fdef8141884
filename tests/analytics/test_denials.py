"""denial_analytics and carcs: denials by reason, payer, code and month, with exact cents,
the small-cell rule (counts 1-10 hidden, and whatever they could be worked out from),
bundled lines kept apart from denials, and the summary's top denial problem."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from payeropt_lib.analytics import denials as da
from payeropt_lib.packet import plots
from payeropt_lib.packet.plots import base
from payeropt_lib.reference import carcs
from payeropt_lib.remittances import remitted

PAYERS = pd.DataFrame(
    {
        "payer_id": ["ACME", "BETA", "MCR"],
        "payer_name": ["Acme Health Plan", "Beta Insurance", "Medicare Part B"],
        "payer_class": ["COMMERCIAL", "COMMERCIAL", "MEDICARE"],
    }
)
JAN, FEB = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")


def _adjudicated(
    payer: str,
    n_claims: int,
    *,
    first: int = 0,
    lines_per_claim: int = 1,
    code: str = "99213",
    month: pd.Timestamp = JAN,
    remit_id: int = 1,
    primary: bool = True,
) -> pd.DataFrame:
    """``n_claims`` claims of one payer, ``lines_per_claim`` lines each (line 1, 2, ...)."""
    claims = np.repeat(np.arange(first, first + n_claims), lines_per_claim)
    line = np.tile(np.arange(1, lines_per_claim + 1), n_claims)
    n = len(claims)
    frame = pd.DataFrame(
        {
            "remit_id": remit_id,
            "claim_id": [f"{payer}-{c:05d}" for c in claims],
            "line_number": line.astype("int64"),
            "payer_id": payer,
            "product_line": "",
            "procedure_code": code,
            "modifiers": "",
            "units": 1,
            "date_of_service": month + pd.Timedelta(days=3),
            "service_month": month,
            "charge_cents": 10_000,
            "allowed_cents": 8_000,
            "paid_cents": 8_000,
            "patient_resp_cents": 0,
            "payment_date": month + pd.Timedelta(days=30),
            "days_to_payment": pd.array([27] * n, dtype="Int64"),
            "primary": primary,
            "outcome": "ok",
            "expected_cents": pd.array([8_000] * n, dtype="Int64"),
            "contract_rate_cents": pd.array([8_000] * n, dtype="Int64"),
            "full_price": True,
        },
        index=range(n),
    )
    return frame[remitted.ADJUDICATED_COLUMNS]


def _denials(
    payer: str,
    claims: range | list[int],
    *,
    line: int = 1,
    carc: str | None = "197",
    group: str = "CO",
    denial_class: str = "denied",
    charge: int = 10_000,
    remit_id: int = 1,
    remit_date: str = "2025-02-15",
    void: bool = False,
) -> pd.DataFrame:
    claims = list(claims)
    return pd.DataFrame(
        {
            "remit_id": remit_id,
            "claim_seq": range(len(claims)),
            "line_seq": line - 1,
            "claim_id": [f"{payer}-{c:05d}" for c in claims],
            "line_number": pd.array([line] * len(claims), dtype="Int64"),
            "payer_id": payer,
            "procedure_code": "99213",
            "date_of_service": pd.Timestamp("2025-01-04"),
            "denial_class": denial_class,
            "group_code": group,
            "carc": carc,
            "carcs": f"{group}-{carc}",
            "rarcs": "",
            "charge_cents": charge,
            "remit_date": pd.Timestamp(remit_date),
            "void": void,
        }
    )


def _cat(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


def _row(frame: pd.DataFrame, column: str, value: str) -> pd.Series:
    rows = frame[frame[column].eq(value)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --- carcs ------------------------------------------------------------------------------


def test_carc_categories_and_meanings() -> None:
    codes = pd.Series(["197", "29", "16", "96", "50", "18", "B7", "999", None, " b7 "])
    assert carcs.category_of(codes).tolist() == [
        "authorization",
        "timely_filing",
        "missing_info",
        "eligibility",
        "medical_necessity",
        "duplicate",
        "provider",
        "other",
        "other",
        "provider",
    ]
    words = carcs.meaning(codes)
    assert words[0] == "prior authorization or precertification absent"
    assert words[7] == "reason code 999 (see the X12 list)"
    assert words[8] == carcs.NO_REASON


def test_bundled_lines_are_always_in_the_bundling_category() -> None:
    codes = pd.Series(["97", "16", "197"])
    kind = pd.Series(["bundled", "bundled", "denied"])
    assert carcs.category_of(codes, kind).tolist() == ["bundling", "bundling", "authorization"]


def test_every_carc_has_a_known_category_with_words_and_an_action() -> None:
    table = carcs.reference()
    assert set(table["category"]) <= set(carcs.CATEGORIES)
    assert set(carcs.CATEGORIES) == set(carcs.ACTIONS)
    assert table["carc"].is_unique
    # Domain §5's denial codes are all placed (not left in "other").
    placed = dict(zip(table["carc"], table["category"], strict=True))
    for code in ("16", "18", "22", "29", "50", "96", "97", "109", "197", "204", "236", "B7"):
        assert placed[code] != "other", code


# --- inputs -----------------------------------------------------------------------------


def test_denial_lines_count_each_line_once_and_only_lines_that_count() -> None:
    adjudicated = _adjudicated("ACME", 3)
    denials = _cat(
        _denials("ACME", [0], carc="16", remit_date="2025-02-01"),
        # The same line denied again on a later remittance: counted once, latest reason.
        _denials("ACME", [0], carc="197", remit_id=1, remit_date="2025-03-01"),
        _denials("ACME", [1], void=True),  # reversed later
        _denials("ACME", [2], remit_id=9),  # its remitted line does not count
    )
    denials.loc[1, "claim_seq"] = 5
    lines = da.denial_lines(denials, adjudicated)
    assert len(lines) == 1
    assert lines["category"].iloc[0] == "authorization"
    assert lines["service_month"].iloc[0] == JAN
    assert list(lines.columns) == da.LINE_COLUMNS


# --- key figures and reasons ----------------------------------------------------------------


def _practice() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Acme: 40 claims of 2 lines, 15 denied for authorization (line 1, $100.00 each), of
    which 5 also for missing information (line 2, $50.00), and 12 with line 2 bundled
    ($25.00). Medicare: 30 claims of 1 line, 12 denied for timely filing ($80.00)."""
    adjudicated = _cat(_adjudicated("ACME", 40, lines_per_claim=2), _adjudicated("MCR", 30))
    denials = _cat(
        _denials("ACME", range(15), carc="197", charge=10_000),
        _denials("ACME", range(5), line=2, carc="16", charge=5_000),
        _denials("ACME", range(20, 32), line=2, carc="97", charge=2_500, denial_class="bundled"),
        _denials("MCR", range(12), carc="29", charge=8_000),
    )
    return denials, adjudicated


def test_headline_counts_claims_lines_and_cents_exactly() -> None:
    denials, adjudicated = _practice()
    lines = da.denial_lines(denials, adjudicated)
    row = da.headline(lines, adjudicated).iloc[0]
    assert row["adjudicated_claims"] == 70
    assert row["denied_claims"] == 27  # 15 Acme + 12 Medicare; bundled claims are not denials
    assert row["pct_denied"] == pytest.approx(27 / 70 * 100)
    assert row["denied_lines"] == 32
    assert row["denied_cents"] == 15 * 10_000 + 5 * 5_000 + 12 * 8_000 == 271_000
    assert row["bundled_claims"] == 12 and row["bundled_lines"] == 12
    assert row["bundled_cents"] == 30_000
    assert row["top_reason"] == "Authorization and referral"  # $1,500.00 > $960.00 > $250.00


def test_by_reason_adds_up_and_hides_a_small_reason() -> None:
    denials, adjudicated = _practice()
    table = da.by_reason(da.denial_lines(denials, adjudicated))
    auth = _row(table, "category", "authorization")
    assert (auth["claims"], auth["lines"], auth["denied_cents"]) == (15, 15, 150_000)
    assert auth["pct_of_denied"] == pytest.approx(150_000 / 271_000 * 100)
    # 5 claims denied for missing information: "<11", no dollars, no share...
    missing = _row(table, "category", "missing_info")
    assert pd.isna(missing["claims"]) and bool(missing["claims_small"])
    assert pd.isna(missing["denied_cents"]) and pd.isna(missing["pct_of_denied"])
    # ... and the smallest other reason is hidden with it, so total − shown ≠ 5.
    timely = _row(table, "category", "timely_filing")
    assert pd.isna(timely["claims"]) and not bool(timely["claims_small"])
    assert pd.isna(timely["denied_cents"])
    total = table[table["is_total"]].iloc[0]
    assert (total["claims"], total["lines"], total["denied_cents"]) == (27, 32, 271_000)
    assert "bundling" not in set(table["category"].dropna())
    assert table["is_total"].iloc[-1]  # total last; shown rows before hidden ones
    assert table["category"].iloc[0] == "authorization"


def test_by_carc_folds_the_last_code_into_a_small_other_row() -> None:
    denials, adjudicated = _practice()
    table = da.by_carc(da.denial_lines(denials, adjudicated), top_n=5)
    # CO-16 has 5 claims: listing CO-29 by name would leave "other" at 5 ("<11") and
    # take CO-29 down as its complement; so CO-29 joins "other" (5 + 12 = 17 claims).
    assert table["reason"].tolist() == ["CO-197", "All other reasons", "All reasons"]
    auth = table.iloc[0]
    assert auth["meaning"] == "prior authorization or precertification absent"
    assert auth["category_label"] == "Authorization and referral"
    assert (auth["claims"], auth["denied_cents"]) == (15, 150_000)
    other = table.iloc[1]
    assert (other["claims"], other["lines"], other["denied_cents"]) == (17, 17, 121_000)
    assert other["meaning"] == ""


def test_by_carc_reads_a_missing_code_or_group() -> None:
    adjudicated = _adjudicated("ACME", 60)
    denials = _cat(
        _denials("ACME", range(12), carc=None, charge=5_000),
        _denials("ACME", range(20, 35), carc="B7", group=None, charge=4_000),
    )
    table = da.by_carc(da.denial_lines(denials, adjudicated))
    assert table["reason"].tolist() == ["B7", carcs.NO_REASON, "All reasons"]
    assert table["meaning"].tolist()[:2] == [
        "provider not certified or eligible on the date of service",
        carcs.NO_REASON,
    ]
    assert table["category_label"].tolist()[:2] == [
        "Provider enrollment and network",
        "Other or no reason given",
    ]


# --- payers -----------------------------------------------------------------------------


def test_by_payer_rates_and_a_small_payer_hidden_with_its_complement() -> None:
    adjudicated = _cat(
        _adjudicated("ACME", 200), _adjudicated("BETA", 50), _adjudicated("MCR", 300)
    )
    denials = _cat(
        _denials("ACME", range(20), charge=12_345),
        _denials("BETA", range(7), charge=9_999),  # 7 claims: a small cell
        _denials("MCR", range(30), carc="16", charge=5_000),
    )
    table = da.by_payer(da.denial_lines(denials, adjudicated), adjudicated, PAYERS)
    beta = _row(table, "payer_label", "Beta Insurance")
    assert pd.isna(beta["denied_claims"]) and bool(beta["denied_claims_small"])
    assert pd.isna(beta["denied_cents"]) and pd.isna(beta["pct_denied"])
    assert beta["adjudicated_claims"] == 50
    # Acme has the fewest denied claims left: hidden too, read "suppressed", not "<11".
    acme = _row(table, "payer_label", "Acme Health Plan")
    assert pd.isna(acme["denied_claims"]) and not bool(acme["denied_claims_small"])
    assert pd.isna(acme["denied_cents"]) and pd.isna(acme["pct_denied"])
    mcr = _row(table, "payer_label", "Medicare Part B")
    assert (mcr["denied_claims"], mcr["denied_cents"]) == (30, 150_000)
    assert mcr["pct_denied"] == pytest.approx(10.0)
    # Guardrail: Medicare is listed (to work its denials) and flagged, never dropped.
    assert bool(mcr["federal"]) and not bool(acme["federal"])
    total = table[table["is_total"]].iloc[0]
    assert (total["adjudicated_claims"], total["denied_claims"]) == (550, 57)
    assert total["denied_cents"] == 20 * 12_345 + 7 * 9_999 + 30 * 5_000
    assert total["pct_denied"] == pytest.approx(57 / 550 * 100)
    # Shown rows first (by dollars), hidden ones after by name, the total last.
    assert table["payer_label"].tolist() == [
        "Medicare Part B",
        "Acme Health Plan",
        "Beta Insurance",
        "All payers",
    ]


def test_by_payer_lists_payers_without_denials_at_zero() -> None:
    adjudicated = _cat(_adjudicated("ACME", 40), _adjudicated("BETA", 30))
    denials = _denials("ACME", range(12))
    table = da.by_payer(da.denial_lines(denials, adjudicated), adjudicated, PAYERS)
    beta = _row(table, "payer_label", "Beta Insurance")
    assert beta["denied_claims"] == 0 and beta["pct_denied"] == 0
    assert beta["denied_cents"] == 0


def test_bundled_lines_are_counted_apart_and_never_in_the_denial_rate() -> None:
    denials, adjudicated = _practice()
    lines = da.denial_lines(denials, adjudicated)
    denied = da.by_payer(lines, adjudicated, PAYERS)
    bundled = da.by_payer(lines, adjudicated, PAYERS, kind="bundled")
    acme_denied = _row(denied, "payer_label", "Acme Health Plan")
    acme_bundled = _row(bundled, "payer_label", "Acme Health Plan")
    assert acme_denied["denied_claims"] == 15  # not 27: bundled-only claims are not denied
    assert acme_bundled["bundled_claims"] == 12
    assert acme_bundled["bundled_cents"] == 30_000
    assert acme_bundled["pct_bundled"] == pytest.approx(30.0)


# --- codes ------------------------------------------------------------------------------


def test_by_code_shares_of_lines_and_main_reason() -> None:
    adjudicated = _cat(
        _adjudicated("ACME", 100, code="99214"),
        _adjudicated("ACME", 100, first=100, code="20610"),
        _adjudicated("ACME", 50, first=200, code="93000"),
    )
    denials = _cat(
        _denials("ACME", range(0, 15), carc="50", charge=20_000),
        _denials("ACME", range(15, 20), carc="16", charge=20_000),
        _denials("ACME", range(100, 130), carc="197", charge=15_000),
        _denials("ACME", range(200, 203), carc="29", charge=4_000),
    )
    table = da.by_code(da.denial_lines(denials, adjudicated), adjudicated, top_n=5)
    # 93000 has 3 claims: "other" would be small, so 99214 (listed last) joins it.
    assert table["code_label"].tolist() == ["20610", "All other codes", "All codes"]
    first = table.iloc[0]
    assert (first["claims"], first["denied_cents"], first["adjudicated_lines"]) == (
        30,
        450_000,
        100,
    )
    assert first["pct_lines_denied"] == pytest.approx(30.0)
    assert first["main_reason"] == "Authorization and referral"
    other = table.iloc[1]
    assert (other["lines"], other["denied_cents"], other["adjudicated_lines"]) == (
        23,
        412_000,
        150,
    )
    assert other["main_reason"] == ""
    total = table.iloc[2]
    assert (total["lines"], total["adjudicated_lines"]) == (53, 250)


def test_by_code_with_no_code_large_enough_shows_only_the_total() -> None:
    adjudicated = _adjudicated("ACME", 40)
    denials = _denials("ACME", range(4))
    table = da.by_code(da.denial_lines(denials, adjudicated), adjudicated)
    assert table["code_label"].tolist() == ["All codes"]
    assert pd.isna(table["lines"].iloc[0]) and bool(table["lines_small"].iloc[0])
    assert pd.isna(table["denied_cents"].iloc[0])


# --- month by month ---------------------------------------------------------------------


def test_grid_hides_small_cells_and_their_complements_in_rows_and_columns() -> None:
    counts = np.array(
        [
            [30, 5, 40],  # payer A: 5 is small → the row's smallest other (30) too
            [20, 25, 50],
        ]
    )
    hidden = da._grid_hidden(counts)
    # Row A: 5 and 30 hidden. Column 1 (5, 25): one hidden → 25 hidden. Column 0
    # (30, 20): one hidden → 20 hidden. Row B now has 20 and 25 hidden (45): fine.
    assert hidden.tolist() == [[True, True, False], [True, True, False]]
    assert not da._grid_hidden(np.array([[0, 12], [11, 0]])).any()  # zeros are shown


def test_monthly_trend_rates_and_suppression() -> None:
    adjudicated = _cat(
        _adjudicated("ACME", 100, month=JAN),
        _adjudicated("ACME", 100, first=100, month=FEB),
        _adjudicated("MCR", 200, first=0, month=JAN),
        _adjudicated("MCR", 200, first=200, month=FEB),
    )
    denials = _cat(
        _denials("ACME", range(12)),  # Jan: 12 of 100
        _denials("ACME", range(100, 104)),  # Feb: 4 of 100 → small
        _denials("MCR", range(20)),  # Jan: 20 of 200
        _denials("MCR", range(200, 250)),  # Feb: 50 of 200
    )
    trend = da.monthly_trend(da.denial_lines(denials, adjudicated), adjudicated, PAYERS)
    assert list(trend.columns) == da.TREND_COLUMNS
    everyone = trend[trend["is_total"]].set_index("service_month")
    assert everyone.loc[JAN, "denied_claims"] == 32
    assert everyone.loc[JAN, "pct_denied"] == pytest.approx(32 / 300 * 100)
    assert everyone.loc[FEB, "denied_claims"] == 54
    cells = trend[~trend["is_total"]].set_index(["payer_id", "service_month"])
    assert pd.isna(cells.loc[("ACME", FEB), "denied_claims"])
    assert bool(cells.loc[("ACME", FEB), "denied_claims_small"])
    assert pd.isna(cells.loc[("ACME", FEB), "pct_denied"])
    # Its row and column complements are hidden too (Acme Jan, Medicare Feb) and then
    # Medicare Jan (its row now has one hidden cell).
    for key in (("ACME", JAN), ("MCR", FEB), ("MCR", JAN)):
        assert pd.isna(cells.loc[key, "pct_denied"]), key
    assert cells.loc[("ACME", JAN), "adjudicated_claims"] == 100  # those counts are large


# --- the summary's pick -------------------------------------------------------------------


def test_top_denial_reason_is_the_largest_reason_and_its_largest_payer() -> None:
    adjudicated = _cat(
        _adjudicated("ACME", 100), _adjudicated("BETA", 100), _adjudicated("MCR", 100)
    )
    denials = _cat(
        _denials("ACME", range(12), carc="197", charge=30_000),
        _denials("MCR", range(20), carc="197", charge=10_000),
        _denials("BETA", range(5), carc="197", charge=90_000),  # most dollars, 5 claims
        _denials("BETA", range(50, 80), carc="16", charge=10_000),
    )
    top = da.top_denial_reason(denials, adjudicated, PAYERS)
    assert len(top) == 1
    row = top.iloc[0]
    # Authorization: $3,600 + $2,000 + $4,500 = $10,100 > missing information $3,000.
    assert row["category"] == "authorization"
    assert row["category_label"] == "Authorization and referral"
    assert (row["category_claims"], row["category_cents"]) == (37, 1_010_000)
    # Beta's $4,500 comes from 5 claims: it cannot be named. Acme's $3,600 can.
    assert row["payer_label"] == "Acme Health Plan"
    assert (row["claims"], row["lines"], row["denied_cents"]) == (12, 12, 360_000)
    assert not bool(row["federal"])
    assert row["action"].startswith("Get the authorization")


def test_top_denial_reason_names_medicare_to_work_its_denials() -> None:
    adjudicated = _adjudicated("MCR", 100)
    denials = _denials("MCR", range(15), carc="29")
    row = da.top_denial_reason(denials, adjudicated, PAYERS).iloc[0]
    assert row["payer_label"] == "Medicare Part B" and bool(row["federal"])


def test_top_denial_reason_is_empty_when_no_payer_has_11_claims() -> None:
    adjudicated = _cat(_adjudicated("ACME", 100), _adjudicated("BETA", 100))
    denials = _cat(_denials("ACME", range(8)), _denials("BETA", range(8)))
    top = da.top_denial_reason(denials, adjudicated, PAYERS)
    assert top.empty
    assert "denied_cents" in top.columns and "category_label" in top.columns


# --- empty and tiny practices -------------------------------------------------------------


def test_every_table_is_empty_but_well_formed_without_remittances() -> None:
    adjudicated = _adjudicated("ACME", 1).iloc[0:0]
    denials = _denials("ACME", []).iloc[0:0]
    lines = da.denial_lines(denials, adjudicated)
    assert lines.empty and list(lines.columns) == da.LINE_COLUMNS
    frames = [
        da.headline(lines, adjudicated),
        da.by_reason(lines),
        da.by_carc(lines),
        da.by_payer(lines, adjudicated, PAYERS),
        da.by_payer(lines, adjudicated, PAYERS, kind="bundled"),
        da.by_code(lines, adjudicated),
        da.monthly_trend(lines, adjudicated, PAYERS),
        da.top_denial_reason(denials, adjudicated, PAYERS),
    ]
    for frame in frames:
        assert frame.empty and len(frame.columns) > 3
    assert "pct_denied" in frames[0].columns and "denied_cents" in frames[3].columns


def test_a_tiny_practice_shows_no_small_count_and_no_dollars() -> None:
    adjudicated = _adjudicated("ACME", 9)
    denials = _denials("ACME", range(3), charge=12_345)
    lines = da.denial_lines(denials, adjudicated)
    row = da.headline(lines, adjudicated).iloc[0]
    assert pd.isna(row["adjudicated_claims"]) and pd.isna(row["denied_claims"])
    assert pd.isna(row["denied_cents"]) and pd.isna(row["pct_denied"])
    for frame in (da.by_reason(lines), da.by_payer(lines, adjudicated, PAYERS)):
        money = [c for c in frame.columns if c.endswith("_cents") or c.startswith("pct_")]
        assert frame[money].isna().all().all(), frame
    by_payer = da.by_payer(lines, adjudicated, PAYERS)
    trend = da.monthly_trend(lines, adjudicated, PAYERS)
    for fig in (
        plots.denial_rate_by_payer(by_payer),
        plots.denial_rate_trend(trend),
        plots.denials_by_reason_bars(da.by_reason(lines)),
    ):
        assert not fig.data and "Fewer than 11" in fig.layout.annotations[0].text


def test_no_protected_attribute_is_read_or_returned() -> None:
    denials, adjudicated = _practice()
    lines = da.denial_lines(denials, adjudicated)
    outputs = [
        lines,
        da.headline(lines, adjudicated),
        da.by_reason(lines),
        da.by_carc(lines),
        da.by_payer(lines, adjudicated, PAYERS),
        da.by_code(lines, adjudicated),
        da.monthly_trend(lines, adjudicated, PAYERS),
        da.top_denial_reason(denials, adjudicated, PAYERS),
    ]
    banned = re.compile(r"(?i)\b(age|sex|gender|race|ethnic|birth|dob|zip|patient)")
    for frame in outputs:
        assert not [c for c in frame.columns if banned.search(c.replace("_", " "))]
    # The tables a page shows carry no claim identifiers either (only the internal lines).
    for frame in outputs[1:]:
        assert not {"claim_id", "claim_key", "line_key"} & set(frame.columns)
    assert not [c for c in da.DENIAL_COLUMNS if banned.search(c.replace("_", " "))]


# --- figures ------------------------------------------------------------------------------


def test_reason_bars_leave_out_the_total_and_hidden_figures() -> None:
    denials, adjudicated = _practice()
    fig = plots.denials_by_reason_bars(da.by_reason(da.denial_lines(denials, adjudicated)))
    bars = fig.data[0]
    assert bars.y[0] == "Authorization and referral" and bars.x[0] == 1_500.0
    assert "All reasons" not in bars.y
    hidden = [y for y, x in zip(bars.y, bars.x, strict=True) if np.isnan(x)]
    assert hidden and all(y.endswith(base.HIDDEN_MARK) for y in hidden)
    assert "cannot be worked out" in fig.layout.annotations[-1].text


def test_payer_bars_show_one_decimal_and_no_hidden_rate() -> None:
    adjudicated = _cat(_adjudicated("ACME", 200), _adjudicated("MCR", 300))
    denials = _cat(_denials("ACME", range(15)), _denials("MCR", range(30)))
    fig = plots.denial_rate_by_payer(
        da.by_payer(da.denial_lines(denials, adjudicated), adjudicated, PAYERS)
    )
    bars = fig.data[0]
    assert [y.replace("<br>", " ") for y in bars.y] == [
        "Medicare Part B (Medicare/Medicaid)",
        "Acme Health Plan",
        "All payers",
    ]
    assert list(bars.text) == ["10.0%", "7.5%", "9.0%"]
    assert list(bars.x) == pytest.approx([10.0, 7.5, 9.0])
    none = adjudicated.iloc[0:0]
    empty = plots.denial_rate_by_payer(da.by_payer(da.denial_lines(denials, none), none))
    assert empty.layout.annotations[0].text == "No claims adjudicated in this period."


def test_trend_draws_gaps_where_a_month_is_hidden() -> None:
    adjudicated = _cat(
        _adjudicated("MCR", 200, month=JAN),
        _adjudicated("MCR", 200, first=200, month=FEB),
    )
    denials = _cat(_denials("MCR", range(20)), _denials("MCR", range(200, 230)))
    trend = da.monthly_trend(da.denial_lines(denials, adjudicated), adjudicated, PAYERS)
    fig = plots.denial_rate_trend(trend)
    names = [t.name for t in fig.data]
    assert names[0] == "All payers"
    everyone = fig.data[0]
    assert list(everyone.y) == pytest.approx([10.0, 15.0])
    assert names[1] == "Medicare Part B" and list(fig.data[1].y) == pytest.approx([10.0, 15.0])
    assert plots.denial_rate_trend(trend.iloc[0:0]).layout.annotations[0].text.startswith("No")
