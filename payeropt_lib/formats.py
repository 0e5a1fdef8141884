"""How figures read: money, percents and days as text. One definition of each.

Every page, message, CSV and explanation writes money, percents and days through these
functions, so "$1,234.56" reads the same everywhere. There are two shapes of money text:
``money`` for people ('$1,234.56', '-$5.00') and ``decimal_texts`` for files ('1234.56',
'-5.00', what an 835 or a CSV holds). Column versions work on whole columns in integer
arithmetic, with no Python call per value. ``SQL_MACROS`` defines the same money, percent
and day text for DuckDB (the expected engine writes its explanations there); it is built
from the same pieces, and a test holds the SQL to the Python on random values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

NA_TEXT = "—"  # what a missing figure reads on a page
CURRENCY = "$"
THOUSANDS = ","
DAY_FORMAT = "%Y-%m-%d"


def missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' NA (not for lists or other containers)."""
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --- money --------------------------------------------------------------------------------


def money(cents: Any, na: str = NA_TEXT) -> str:
    """Integer cents → '$1,234.56' ('-$5.00' below zero; ``na`` when missing)."""
    if missing(cents):
        return na
    if isinstance(cents, float) and not cents.is_integer():
        raise TypeError(f"money must be whole cents, not {cents!r}")
    whole, part = divmod(abs(int(cents)), 100)
    return f"{'-' if int(cents) < 0 else ''}{CURRENCY}{whole:,}.{part:02d}"


def money_texts(cents: pd.Series | np.ndarray, na: str = NA_TEXT) -> pd.Series:
    """``money`` for a whole column: '$1,234.56' per value, ``na`` where missing."""
    c = pd.Series(cents).astype("Int64")
    negative = c.fillna(0) < 0
    magnitude = c.abs().fillna(0).astype("int64")
    text = CURRENCY + _grouped(magnitude // 100) + "." + _two_digits(magnitude % 100)
    text = text.where(~negative, "-" + text)
    return text.where(c.notna(), na)


def decimal_texts(cents: pd.Series | np.ndarray, na: str = "") -> pd.Series:
    """Integer cents → plain decimals for files: 12345 → '123.45', -5 → '-0.05'; ``na``
    where missing. No currency sign and no thousands separator (interface section 1)."""
    c = pd.Series(cents).astype("Int64")
    magnitude = c.abs().fillna(0).astype("int64")
    text = (magnitude // 100).astype(str) + "." + _two_digits(magnitude % 100)
    text = text.where(~(c.fillna(0) < 0), "-" + text)
    return text.where(c.notna(), na)


def _two_digits(values: pd.Series) -> pd.Series:
    return values.astype(str).str.zfill(2)


def _grouped(whole: pd.Series) -> pd.Series:
    """Non-negative integers with thousands separators, without a Python call per value:
    pad to whole groups of three digits, join the groups, strip the padding."""
    digits = whole.astype(str)
    width = int(digits.str.len().max()) if len(digits) else 1
    groups = max(1, -(-width // 3))
    padded = digits.str.zfill(3 * groups)
    joined = padded.str.slice(0, 3)
    for g in range(1, groups):
        joined = joined + THOUSANDS + padded.str.slice(3 * g, 3 * g + 3)
    return joined.str.lstrip("0" + THOUSANDS).where(whole > 0, "0")


# --- percents -----------------------------------------------------------------------------


def percent(pct: Any, digits: int = 0, na: str = NA_TEXT) -> str:
    """A percent (125.0 = 125 %) → '125%', rounded half up to ``digits`` decimals.

    Rounding never crosses a threshold a reader acts on: a value just below 100 shows as
    '<100%', not '100%', and a small non-zero value as '<1%', not '0%'.
    """
    if missing(pct):
        return na
    value = Decimal(str(float(pct)))
    step = Decimal(1).scaleb(-digits)
    shown = value.quantize(step, rounding=ROUND_HALF_UP)
    if value < 100 <= shown:
        return f"<{100:.{digits}f}%"
    if value > 0 and shown == 0:
        return f"<{step}%"
    return f"{shown:,.{digits}f}%"


def percent_x1000_texts(x1000: pd.Series | np.ndarray, decimals: int | None = None) -> pd.Series:
    """Exact percents in thousandths (125000 = 125 %) as text, for non-negative values.

    ``decimals=None``: exactly, without trailing zeros (125000 → '125%', 112500 → '112.5%').
    ``decimals=k``: rounded half up to k decimals, always shown (87350, 1 → '87.4%').
    """
    x = pd.Series(x1000).astype("int64")
    if decimals is None:
        frac = (x % 1000).astype(str).str.zfill(3).str.rstrip("0")
        return (x // 1000).astype(str) + frac.where(frac.eq(""), "." + frac) + "%"
    if not 0 <= decimals <= 3:
        raise ValueError(f"decimals must be 0 to 3, not {decimals}")
    step = 10 ** (3 - decimals)
    rounded = (x * 2 + step) // (2 * step)  # half up, in units of the last decimal shown
    whole = (rounded // 10**decimals).astype(str)
    if decimals == 0:
        return whole + "%"
    return whole + "." + (rounded % 10**decimals).astype(str).str.zfill(decimals) + "%"


def ordinal(n: int) -> str:
    """1 → '1st', 2 → '2nd', 11 → '11th', 23 → '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- days ---------------------------------------------------------------------------------


def day(value: Any, na: str = NA_TEXT) -> str:
    """A date → 'YYYY-MM-DD'; ``na`` when missing."""
    if missing(value):
        return na
    return pd.Timestamp(value).strftime(DAY_FORMAT)


def percent_decimal_texts(x1000: pd.Series | np.ndarray, na: str = "") -> pd.Series:
    """Exact percents in thousandths → plain decimals for files: 59200 → '59.2', -1500 →
    '-1.5', 100000 → '100'; ``na`` where missing."""
    x = pd.Series(x1000).astype("Int64")
    magnitude = x.abs().fillna(0).astype("int64")
    frac = (magnitude % 1000).astype(str).str.zfill(3).str.rstrip("0")
    text = (magnitude // 1000).astype(str) + frac.where(frac.eq(""), "." + frac)
    text = text.where(~(x.fillna(0) < 0), "-" + text)
    return text.where(x.notna(), na)


def file_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """A table of figures as a file shows it: ``*_cents`` columns as plain decimals named
    without the suffix, ``*_percent_x1000`` as plain percents named ``*_percent``, dates
    as days, an unknown yes/no blank; the other columns as they are."""
    out = {}
    for name, column in frame.items():
        if name.endswith("_cents"):
            out[name.removesuffix("_cents")] = decimal_texts(column).to_numpy()
        elif name.endswith("_percent_x1000"):
            out[name.removesuffix("_x1000")] = percent_decimal_texts(column).to_numpy()
        elif pd.api.types.is_datetime64_any_dtype(column):
            out[name] = day_texts(column).to_numpy()
        elif isinstance(column.dtype, pd.BooleanDtype):  # unknown: blank, not "<NA>"
            out[name] = column.astype("object").where(column.notna(), "").to_numpy()
        else:
            out[name] = column.to_numpy()
    return pd.DataFrame(out, index=frame.index)


def day_texts(values: pd.Series, na: str = "") -> pd.Series:
    """``day`` for a whole column; ``na`` where missing (an open-ended period in a file)."""
    return pd.to_datetime(values).dt.strftime(DAY_FORMAT).fillna(na).astype("str")


# --- the same text in DuckDB ----------------------------------------------------------------

# dollars(x) is ``money`` for BIGINT cents. Amounts under $1,000,000 are put together by
# plain concatenation, about 4x faster than printf over millions of explanations.
SQL_MACROS = f"""
CREATE TEMP MACRO cents2(x) AS CASE WHEN x % 100 < 10 THEN '.0' ELSE '.' END || (x % 100);
CREATE TEMP MACRO dollars(x) AS CASE
    WHEN x >= 0 AND x < 100000 THEN concat('{CURRENCY}', x // 100, cents2(x))
    WHEN x >= 100000 AND x < 100000000 THEN concat('{CURRENCY}', x // 100000, '{THOUSANDS}',
        lpad(((x // 100) % 1000)::VARCHAR, 3, '0'), cents2(x))
    WHEN x < 0 THEN printf('-{CURRENCY}%,d.%02d', (-x) // 100, (-x) % 100)
    ELSE printf('{CURRENCY}%,d.%02d', x // 100, x % 100) END;
CREATE TEMP MACRO pct_text(x) AS concat(
    x // 1000,
    CASE WHEN x % 1000 = 0 THEN '' ELSE '.' || rtrim(lpad((x % 1000)::VARCHAR, 3, '0'), '0') END,
    '%');
CREATE TEMP MACRO day_text(d) AS strftime(d, '{DAY_FORMAT}');
CREATE TEMP MACRO ordinal(n) AS n::VARCHAR || CASE
    WHEN n % 100 BETWEEN 11 AND 13 THEN 'th' WHEN n % 10 = 1 THEN 'st'
    WHEN n % 10 = 2 THEN 'nd' WHEN n % 10 = 3 THEN 'rd' ELSE 'th' END;
"""
