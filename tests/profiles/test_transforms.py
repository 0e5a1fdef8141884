"""Each transformation of a profile by hand (payeropt_lib/profiles/transforms.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from payeropt_lib.profiles import transforms as t


def S(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def out(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


def test_money_us_forms():
    got = t.money(S("$1,234.50", "(12.00)", "12.00-", "-12.00", "1234.5", "$ 7", "", "0"))
    assert out(got) == ["1234.50", "-12.00", "-12.00", "-12.00", "1234.5", "7", "", "0"]


@pytest.mark.parametrize("bad", ["abc", "(12.00", "12.345", "1,23.00", "-(1.00)", "$$1", "1.2.3"])
def test_money_refuses_what_it_cannot_read(bad):
    assert out(t.money(S(bad))) == [None]


def test_money_decimal_comma():
    got = t.money(S("1.234,50", "(3,5)", "12", "1 234,00"), decimal_comma=True)
    assert out(got) == ["1234.50", "-3.5", "12", "1234.00"]


def test_dates_formats_in_order_iso_and_excel_serials():
    got = t.dates(
        S("01/15/2025", "1/5/2025", "2025-01-15", "45672", "45672.0", ""), ["%m/%d/%Y"], True
    )
    assert out(got) == ["2025-01-15", "2025-01-05", "2025-01-15", "2025-01-15", "2025-01-15", ""]
    # 2/3/25 is read by the first pattern that fits, day-first only when declared.
    assert out(t.dates(S("2/3/25"), ["%m/%d/%y"])) == ["2025-02-03"]
    assert out(t.dates(S("2/3/25"), ["%d/%m/%y"])) == ["2025-03-02"]


def test_dates_refused():
    assert out(t.dates(S("13/45/2025", "02/30/2025", "45672"), ["%m/%d/%Y"])) == [None] * 3
    # Serials 1-60 fall before Excel's phantom 1900-02-29: refused, not a day off.
    assert out(t.dates(S("60", "61"), [], excel_serial=True)) == [None, "1900-03-01"]


def test_procedure_code_descriptions_numbers_and_padding():
    values = S("99213 - Office visit est", "99213.0", "0001f", "J1100 Dexa", "100", "1234", "")
    assert out(t.procedure_code(values)) == ["99213", "99213", "0001F", "J1100", "100", "1234", ""]
    padded = t.procedure_code(values, pad_codes=True)
    assert out(padded) == ["99213", "99213", "0001F", "J1100", "00100", "01234", ""]
    assert out(t.procedure_code(S("Office visit"))) == [None]


def test_join_columns_drops_blanks_in_order():
    cols = pd.DataFrame(
        {"m1": ["25", "", "RT", ""], "m2": ["", "", "59", ""], "m3": ["59", "", "", "GT"]}
    )
    assert out(t.join_columns(cols, ":")) == ["25:59", "", "RT:59", "GT"]


def test_split_list_normalizes_separators():
    assert out(t.split_list(S("25, 59", "rt 59", "M17.11;I10", "E11.9 | I10", ""), ":")) == [
        "25:59", "RT:59", "M17.11:I10", "E11.9:I10", ""
    ]  # fmt: skip


def test_lookup_and_payer_ids():
    payers = {"Medicare Part B (Texas)": "MCR", "Prairie Mutual": "PMH"}
    got = t.payer_ids(S("medicare  part b (texas) ", "PMH", "Unknown Plan", ""), payers)
    assert out(got) == ["MCR", "PMH", None, ""]
    assert out(t.lookup(S("pp", "WOCP", "XX"), {"PP": "patient_payment", "WOCP": "courtesy"})) == [
        "patient_payment", "courtesy", None
    ]  # fmt: skip


def test_whole_number_and_fill_down():
    assert out(t.whole_number(S("1.0", "2", "1.5", "3.00"))) == ["1", "2", "1.5", "3"]
    assert out(t.fill_down(S("", "A", "", "B", ""))) == ["", "A", "A", "B", "B"]
