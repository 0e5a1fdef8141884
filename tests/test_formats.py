"""How figures read: one definition per kind of text, the same in Python and DuckDB."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib import formats


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (123456, "$1,234.56"),
        (-500, "-$5.00"),
        (np.int64(100), "$1.00"),
        (1200.0, "$12.00"),
        (None, "—"),
        (pd.NA, "—"),
        (float("nan"), "—"),
    ],
)
def test_money(cents: object, text: str) -> None:
    assert formats.money(cents) == text


def test_money_refuses_fractional_cents() -> None:
    with pytest.raises(TypeError, match="money must be whole cents, not 12.5"):
        formats.money(12.5)
    assert formats.money(pd.NA, "no rate on file") == "no rate on file"


CENTS = st.integers(min_value=-(10**13), max_value=10**13)


@given(st.lists(st.one_of(CENTS, st.none()), max_size=30))
def test_money_texts_is_money_for_a_column(values: list[int | None]) -> None:
    column = pd.Series(values, dtype="Int64")
    assert formats.money_texts(column, na="n/a").tolist() == [
        formats.money(v, "n/a") for v in values
    ]


@given(st.lists(st.one_of(CENTS, st.none()), max_size=30))
def test_decimal_texts_are_the_plain_amounts(values: list[int | None]) -> None:
    texts = formats.decimal_texts(pd.Series(values, dtype="Int64"))
    for value, text in zip(values, texts, strict=True):
        if value is None:
            assert text == ""
        else:
            assert "," not in text and "$" not in text
            whole, frac = text.lstrip("-").split(".")
            assert (-1 if text.startswith("-") else 1) * (int(whole) * 100 + int(frac)) == value


def test_decimal_texts_examples() -> None:
    assert formats.decimal_texts(np.array([12345, 5, 0, -5, -12345, 100])).tolist() == [
        "123.45",
        "0.05",
        "0.00",
        "-0.05",
        "-123.45",
        "1.00",
    ]


@pytest.mark.parametrize(
    ("pct", "text"),
    [
        (125.0, "125%"),
        (124.99677, "125%"),
        (89.5, "90%"),  # half up, not to even
        (99.4, "99%"),
        (99.6, "<100%"),  # below Medicare never reads as 100 %
        (100, "100%"),
        (0.2, "<1%"),
        (0, "0%"),
        (1234.0, "1,234%"),
        (pd.NA, "—"),
    ],
)
def test_percent(pct: object, text: str) -> None:
    assert formats.percent(pct) == text


def test_percent_digits() -> None:
    assert formats.percent(12.345, digits=2) == "12.35%"
    assert formats.percent(0.04, digits=1) == "<0.1%"


def test_percent_x1000_texts_exact_and_rounded() -> None:
    x = pd.Series([125000, 112500, 87350, 87349, 0, 1])
    assert formats.percent_x1000_texts(x).tolist() == [
        "125%",
        "112.5%",
        "87.35%",
        "87.349%",
        "0%",
        "0.001%",
    ]
    assert formats.percent_x1000_texts(x, 1).tolist() == [
        "125.0%",
        "112.5%",
        "87.4%",  # half up, where the old evidence text cut it to 87.3%
        "87.3%",
        "0.0%",
        "0.0%",
    ]
    assert formats.percent_x1000_texts(x, 0).tolist() == ["125%", "113%", "87%", "87%", "0%", "0%"]


def test_day() -> None:
    assert formats.day(pd.Timestamp("2025-03-05")) == "2025-03-05"
    assert formats.day(None) == "—"
    days = pd.Series([pd.Timestamp("2025-03-05"), pd.NaT])
    assert formats.day_texts(days).tolist() == ["2025-03-05", ""]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(CENTS, min_size=1, max_size=50),
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=50),
)
def test_duckdb_macros_write_what_python_writes(cents: list[int], x1000: list[int]) -> None:
    con = duckdb.connect()
    con.execute(formats.SQL_MACROS)
    query = "SELECT {}(x) FROM (SELECT unnest(?::BIGINT[]) AS x)"
    sql_money = [r[0] for r in con.execute(query.format("dollars"), [cents]).fetchall()]
    sql_pct = [r[0] for r in con.execute(query.format("pct_text"), [x1000]).fetchall()]
    sql_day = con.execute("SELECT day_text(DATE '2025-03-05')").fetchone()[0]
    assert sql_money == formats.money_texts(pd.Series(cents)).tolist()
    assert sql_pct == formats.percent_x1000_texts(pd.Series(x1000)).tolist()
    assert sql_day == formats.day(pd.Timestamp("2025-03-05"))
