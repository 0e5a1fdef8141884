"""Medicare PFS amounts from CMS's own RVU25D files (payeropt_lib.reference.medicare).

Uses the real CMS files in ``<workspace>/shared/data/cms``: skipped when they are missing,
a failure under CI=true.
"""

from __future__ import annotations

import csv
import os
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from payeropt_lib.reference import medicare
from tests.conftest import ROOT, SHARED

CMS = SHARED / "cms"
REFERENCE = ROOT / "data/reference"
DALLAS = "04412-11"
CF_2025 = 323465


@pytest.fixture(scope="module")
def cms() -> Path:
    if not (CMS / "PPRRVU2025_Oct.csv").is_file():
        message = f"CMS RVU25D files not found in {CMS}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CMS


@pytest.fixture(scope="module")
def pprrvu(cms: Path) -> pd.DataFrame:
    return medicare.read_pprrvu(cms / "PPRRVU2025_Oct.csv")


@pytest.fixture(scope="module")
def gpci(cms: Path) -> pd.DataFrame:
    return medicare.read_gpci(cms / "GPCI2025.csv")


# --------------------------------------------------------------------------- readers


def test_pprrvu_csv_rows_and_types(pprrvu: pd.DataFrame) -> None:
    assert len(pprrvu) == 19_090
    assert list(pprrvu.columns) == list(medicare.PPRRVU_COLUMNS)
    for column in ("work_rvu_x100", "nonfac_pe_rvu_x100", "fac_pe_rvu_x100", "mp_rvu_x100"):
        assert pprrvu[column].dtype == np.int64
    assert pprrvu["conv_factor_x10000"].eq(CF_2025).all()
    assert pprrvu["nonfac_na"].dtype == bool
    assert pprrvu["procedure_code"].str.fullmatch(r"[0-9A-Z]{5}").all()
    assert set(pprrvu["modifier"]) >= {"", "26", "TC", "53"}
    assert not pprrvu.duplicated(["procedure_code", "modifier"]).any()
    row = pprrvu.set_index(["procedure_code", "modifier"]).loc[("73562", "TC")]
    assert (row["work_rvu_x100"], row["nonfac_pe_rvu_x100"], row["mp_rvu_x100"]) == (0, 94, 1)
    assert (row["pctc_ind"], row["glob_days"], row["mult_proc"]) == ("1", "XXX", "0")


def test_pprrvu_csv_and_txt_give_identical_frames(cms: Path, pprrvu: pd.DataFrame) -> None:
    txt = medicare.read_pprrvu(cms / "PPRRVU2025_Oct.txt")
    pd.testing.assert_frame_equal(txt, pprrvu)


def test_pprrvu_columns_are_found_by_name_when_cms_inserts_one(
    tmp_path: Path, cms: Path, pprrvu: pd.DataFrame
) -> None:
    # Next year's layout: a new column in front of WORK RVU, and MULT PROC moved to the end.
    with (cms / "PPRRVU2025_Oct.csv").open(encoding="latin-1", newline="") as handle:
        rows = list(csv.reader(handle))[:40]
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "HCPCS")
    mult = rows[header_at].index("PROC")

    def shuffle(row: list[str], inserted: str) -> list[str]:
        row = row[:5] + [inserted] + row[5:]
        moved = row.pop(mult + 1)
        return row + [moved]

    changed = [shuffle(row, "") for row in rows[: header_at - 1]]
    changed.append(shuffle(rows[header_at - 1], "QPP"))
    changed.append(shuffle(rows[header_at], "PRICING IND"))
    changed += [shuffle(row, "X") for row in rows[header_at + 1 :]]
    path = tmp_path / "PPRRVU2026_Jan.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(changed)
    expected = pprrvu.head(len(changed) - header_at - 1)
    pd.testing.assert_frame_equal(medicare.read_pprrvu(path), expected)


def test_pprrvu_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("HCPCS,MOD,STATUS CODE,WORK RVU\n99213,,A,1.30\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) NON-FAC PE RVU"):
        medicare.read_pprrvu(path)


def test_gpci_csv_and_txt_agree_and_keep_leading_zeros(cms: Path, gpci: pd.DataFrame) -> None:
    txt = medicare.read_gpci(cms / "GPCI2025.txt")
    pd.testing.assert_frame_equal(txt, gpci)
    assert len(gpci) == 109
    assert list(gpci.columns) == list(medicare.GPCI_COLUMNS)
    assert gpci["locality"].str.fullmatch(r"\d{5}-\d{2}").all()
    by_key = gpci.set_index("locality")
    assert by_key.loc["01112-05", "locality_name"].startswith("SAN FRANCISCO")
    assert by_key.loc["10112-00", "state"] == "AL"
    assert by_key.loc["02102-01", "pw_gpci_x1000"] == 1500  # Alaska's 1.5 work floor
    assert tuple(by_key.loc[DALLAS, ["pw_gpci_x1000", "pe_gpci_x1000", "mp_gpci_x1000"]]) == (
        1011,
        1007,
        877,
    )


# --------------------------------------------------------------------------- amounts


def _raw_pprrvu_row(cms: Path, code: str, modifier: str) -> list[str]:
    with (cms / "PPRRVU2025_Oct.csv").open(encoding="latin-1", newline="") as handle:
        return next(r for r in csv.reader(handle) if r[:2] == [code, modifier])


def _raw_gpci_row(cms: Path, mac: str, number: str) -> list[str]:
    with (cms / "GPCI2025.csv").open(encoding="latin-1", newline="") as handle:
        return next(r for r in csv.reader(handle) if r[:3] and r[0] == mac and r[2] == number)


def _by_hand(cms: Path, code: str, modifier: str) -> tuple[Decimal, Decimal]:
    """domain.md 1.1 with Decimal straight from the CSV cells (2025 column positions)."""
    row = _raw_pprrvu_row(cms, code, modifier)
    work, nonfac_pe, nonfac_na, fac_pe, mp = (row[5], row[6], row[7], row[8], row[10])
    pw, pe, mpg = (Decimal(x) for x in _raw_gpci_row(cms, "04412", "11")[4:7])
    cf = Decimal("32.3465")
    cent = Decimal("0.01")

    def fee(pe_rvu: str) -> Decimal:
        total = Decimal(work) * pw + Decimal(pe_rvu) * pe + Decimal(mp) * mpg
        return (total * cf).quantize(cent, rounding=ROUND_HALF_UP)

    facility = fee(fac_pe)
    return (facility if nonfac_na == "NA" else fee(nonfac_pe)), facility


@pytest.mark.parametrize(
    ("code", "modifier", "non_facility", "facility"),
    [
        ("99213", "", "89.32", "63.92"),
        ("20610", "", "63.40", "43.85"),
        ("73562", "", "39.68", "39.68"),
        ("73562", "26", "8.78", "8.78"),
        ("73562", "TC", "30.90", "30.90"),
        ("29881", "", "537.08", "537.08"),
    ],
)
def test_amounts_match_a_hand_calculation(
    cms: Path,
    pprrvu: pd.DataFrame,
    gpci: pd.DataFrame,
    code: str,
    modifier: str,
    non_facility: str,
    facility: str,
) -> None:
    fees = medicare.fee_schedule_amounts(
        pprrvu, gpci, DALLAS, CF_2025, date(2025, 1, 1), date(2026, 1, 1)
    )
    row = fees.set_index(["procedure_code", "modifier"]).loc[(code, modifier)]
    expected = _by_hand(cms, code, modifier)
    assert (row["non_facility_cents"], row["facility_cents"]) == tuple(
        int(x * 100) for x in expected
    )
    assert expected == (Decimal(non_facility), Decimal(facility))


def test_amount_frame_shape(pprrvu: pd.DataFrame, gpci: pd.DataFrame) -> None:
    fees = medicare.fee_schedule_amounts(pprrvu, gpci, DALLAS, CF_2025, "2025-01-01", None)
    assert list(fees.columns) == [
        "locality",
        "procedure_code",
        "modifier",
        "effective_from",
        "effective_to",
        "non_facility_cents",
        "facility_cents",
        "mult_proc",
        *medicare.INDICATOR_COLUMNS,
    ]
    assert fees["non_facility_cents"].dtype == np.int64
    assert fees["facility_cents"].dtype == np.int64
    assert fees["effective_to"].isna().all()
    assert (fees["effective_from"] == pd.Timestamp("2025-01-01")).all()


def test_only_payable_status_codes_are_priced(pprrvu: pd.DataFrame, gpci: pd.DataFrame) -> None:
    fees = medicare.fee_schedule_amounts(pprrvu, gpci, DALLAS, CF_2025, "2025-01-01", None)
    assert len(fees) == pprrvu["status_code"].isin(["A", "R", "T"]).sum()
    priced = set(fees["procedure_code"])
    assert "99213" in priced
    assert not priced & {"99385", "G0008", "36415", "J3301", "00100"}  # N, X, X, E, J


def test_non_facility_na_codes_pay_the_facility_amount(
    pprrvu: pd.DataFrame, gpci: pd.DataFrame
) -> None:
    fees = medicare.fee_schedule_amounts(pprrvu, gpci, DALLAS, CF_2025, "2025-01-01", None)
    merged = fees.merge(pprrvu, on=["procedure_code", "modifier"])
    na = merged["nonfac_na"]
    assert na.sum() > 1000
    assert (merged.loc[na, "non_facility_cents"] == merged.loc[na, "facility_cents"]).all()
    # A constructed facility-only code whose non-facility PE would otherwise pay more.
    one = _one_row(work=100, nonfac_pe=300, fac_pe=50, mp=10, nonfac_na=True)
    fee = medicare.fee_schedule_amounts(one, _gpci(), "99999-01", 100000, "2025-01-01", None)
    assert fee.loc[0, "facility_cents"] == 1600  # (1.00 + 0.50 + 0.10) x $10
    assert fee.loc[0, "non_facility_cents"] == 1600


def _one_row(work=0, nonfac_pe=0, fac_pe=0, mp=0, nonfac_na=False, status="A") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "procedure_code": ["99999"],
            "modifier": [""],
            "status_code": [status],
            "work_rvu_x100": [work],
            "nonfac_pe_rvu_x100": [nonfac_pe],
            "fac_pe_rvu_x100": [fac_pe],
            "mp_rvu_x100": [mp],
            "nonfac_na": [nonfac_na],
            "pctc_ind": ["0"],
            "glob_days": ["XXX"],
            "mult_proc": ["2"],
            "bilat_surg": ["0"],
            "conv_factor_x10000": [0],
        }
    )


def _gpci(pw=1000, pe=1000, mp=1000) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "locality": ["99999-01"],
            "state": ["XX"],
            "locality_name": ["TEST"],
            "pw_gpci_x1000": [pw],
            "pe_gpci_x1000": [pe],
            "mp_gpci_x1000": [mp],
        }
    )


@pytest.mark.parametrize(
    ("cf_x10000", "cents"),
    [
        (100050, 1001),  # $10.005: exactly half a cent rounds up (banker's: 10.00)
        (100049, 1000),
        (26750, 268),  # $2.675: round(2.675, 2) on a float gives 2.67
        (26850, 269),  # $2.685: banker's rounding would give 2.68
    ],
)
def test_rounds_half_up_once(cf_x10000: int, cents: int) -> None:
    one = _one_row(work=100, nonfac_pe=0, fac_pe=0, mp=0)
    fee = medicare.fee_schedule_amounts(one, _gpci(), "99999-01", cf_x10000, "2025-01-01", None)
    assert fee.loc[0, "non_facility_cents"] == cents
    assert fee.loc[0, "facility_cents"] == cents


def test_rounding_happens_after_summing_components() -> None:
    # Each component alone is $0.004 (rounds to 0) but the sum $0.012 rounds to 1 cent.
    one = _one_row(work=1, nonfac_pe=1, fac_pe=1, mp=1)
    fee = medicare.fee_schedule_amounts(one, _gpci(), "99999-01", 4000, "2025-01-01", None)
    assert fee.loc[0, "non_facility_cents"] == 1


def test_unknown_locality_is_refused(pprrvu: pd.DataFrame, gpci: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="99999-99"):
        medicare.fee_schedule_amounts(pprrvu, gpci, "99999-99", CF_2025, "2025-01-01", None)


# --------------------------------------------------------------------------- helpers


def test_conversion_factor_periods_are_half_open_and_contiguous() -> None:
    periods = medicare.CONVERSION_FACTORS
    for earlier, later in zip(periods, periods[1:], strict=False):
        assert earlier.effective_to == later.effective_from
    cf = medicare.conversion_factor_x10000
    assert cf(date(2024, 3, 8)) == 327442
    assert cf(date(2024, 3, 9)) == 332875
    assert cf(date(2025, 12, 31)) == 323465
    assert cf(date(2026, 1, 1)) == 334009
    assert medicare.CONV_FACTOR_2026_QP_X10000 == 335675
    with pytest.raises(ValueError, match="no Medicare conversion factor known for .* 2022-12-31"):
        cf(date(2022, 12, 31))
    assert medicare.reference_periods()[-1] == (date(2026, 1, 1), None, 334009)
    # One calendar year, closed at its end (the committed demo file is 2025's).
    assert medicare.year_periods(2024) == [
        (date(2024, 1, 1), date(2024, 3, 9), 327442),
        (date(2024, 3, 9), date(2025, 1, 1), 332875),
    ]
    assert medicare.year_periods(2025) == [(date(2025, 1, 1), date(2026, 1, 1), 323465)]
    with pytest.raises(ValueError, match="no Medicare conversion factor known for 2022"):
        medicare.year_periods(2022)


def test_pprrvu_payment_indicators_csv_and_txt_agree(cms: Path, pprrvu: pd.DataFrame) -> None:
    # BILAT SURG, ASST SURG, CO-SURG and ENDO BASE, as CMS prints them for a few codes.
    txt = medicare.read_pprrvu(cms / "PPRRVU2025_Oct.txt")
    columns = ["procedure_code", "modifier", "mult_proc", *medicare.INDICATOR_COLUMNS]
    for frame in (pprrvu, txt):
        rows = frame.set_index(["procedure_code", "modifier"])[columns[2:]]
        assert list(rows.loc[("29880", "")]) == ["3", "1", "0", "1", "29870", "090"]
        assert list(rows.loc[("43239", "")]) == ["3", "0", "1", "0", "43235", "000"]
        assert list(rows.loc[("27447", "")]) == ["2", "1", "2", "1", "", "090"]
        assert list(rows.loc[("73721", "TC")]) == ["4", "3", "0", "0", "", "XXX"]
    both = pprrvu[columns].merge(txt[columns], on=["procedure_code", "modifier"])
    for name in columns[2:]:
        assert (both[f"{name}_x"] == both[f"{name}_y"]).all(), name


def test_reading_a_medicare_fees_csv_without_indicators(tmp_path: Path) -> None:
    path = tmp_path / "medicare_fees.csv"
    path.write_text(
        "locality,procedure_code,modifier,effective_from,effective_to,non_facility_amount,"
        "facility_amount,mult_proc\n04412-11,99213,,2025-01-01,,89.32,63.92,0\n"
    )
    back = medicare.read_medicare_fees_csv(path)
    assert list(back[list(medicare.INDICATOR_COLUMNS)].iloc[0]) == ["", "", "", "", ""]


# --------------------------------------------------------------------------- medicare_fees.csv


def test_write_medicare_fees_csv_format_and_round_trip(
    tmp_path: Path, pprrvu: pd.DataFrame, gpci: pd.DataFrame
) -> None:
    fees = medicare.build_medicare_fees(
        pprrvu, gpci, DALLAS, ["99213", "73562"], medicare.reference_periods()
    )
    path = medicare.write_medicare_fees_csv(fees, tmp_path / "medicare_fees.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "locality,procedure_code,modifier,effective_from,effective_to,"
        "non_facility_amount,facility_amount,mult_proc,bilat_surg,asst_surg,co_surg,endo_base,glob_days"
    )
    assert len(lines) == 1 + 4 * 4  # 99213 and 73562 global/26/TC, four CF periods
    assert "04412-11,99213,,2025-01-01,2026-01-01,89.32,63.92,0,0,0,0,,XXX" in lines
    assert "04412-11,99213,,2026-01-01,,92.23,66.00,0,0,0,0,,XXX" in lines
    assert "04412-11,73562,26,2024-01-01,2024-03-09,8.88,8.88,0,3,0,0,,XXX" in lines
    money = re.compile(r"^\d+\.\d{2}$")
    for line in lines[1:]:
        cells = line.split(",")
        assert money.match(cells[5]) and money.match(cells[6])
    back = medicare.read_medicare_fees_csv(path)
    pd.testing.assert_frame_equal(back, fees.reset_index(drop=True))


def test_cli_writes_the_committed_reference_file(tmp_path: Path, cms: Path) -> None:
    out = tmp_path / "medicare_fees_demo.csv"
    code = medicare.main(
        [
            "--pprrvu",
            str(cms / "PPRRVU2025_Oct.txt"),
            "--gpci",
            str(cms / "GPCI2025.txt"),
            "--locality",
            DALLAS,
            "--codes",
            str(REFERENCE / "medicare_fees_demo_codes.txt"),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert out.read_bytes() == (REFERENCE / "medicare_fees_demo.csv").read_bytes()


def test_cli_reports_a_bad_locality(tmp_path: Path, cms: Path, capsys) -> None:
    code = medicare.main(
        [
            "--pprrvu",
            str(cms / "PPRRVU2025_Oct.csv"),
            "--gpci",
            str(cms / "GPCI2025.csv"),
            "--locality",
            "12345-67",
            "--codes",
            "99213,20610",
            "--out",
            str(tmp_path / "x.csv"),
        ]
    )
    assert code == 2
    assert "12345-67" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
