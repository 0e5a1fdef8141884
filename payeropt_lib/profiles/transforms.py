"""The transformations a mapping profile applies to one source column (docs/profiles.md).

Each takes a Series of stripped strings (one value per source row, '' when blank) and
returns a Series on the same index holding the interface's spelling of each value, ``<NA>``
where a non-blank value does not fit (the caller names that row and column and refuses the
file), '' where the value was blank. Pure and vectorized (pandas string operations): no
Python loop per row. Money is never turned into a float: it stays digits in a string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

# Excel's day 0 is 1899-12-30 for every serial after 60 (Excel counts a 29 February 1900
# that never was, so serials 1-60 are a day off): serials 61 (1900-03-01) and later only.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_FIRST_SERIAL = 61
ISO_DATE = "%Y-%m-%d"  # always accepted: how the spreadsheet reader writes a date cell

# '$1,234.50', '1234.5', '-12.00', '(12.00)', '12.00-', '$ (1,234.00)'. Groups: leading
# minus, opening parenthesis, whole part, fraction, closing parenthesis, trailing minus.
_MONEY_US = re.compile(
    r"^(?P<lead>-)?\s*(?P<open>\()?\s*(?P<inner>-)?\s*\$?\s*"
    r"(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d{1,2}))?"
    r"\s*(?P<close>\))?\s*(?P<trail>-)?$"
)
# The same written with a decimal comma and '.' or ' ' between thousands: '1.234,50'.
_MONEY_COMMA = re.compile(
    r"^(?P<lead>-)?\s*(?P<open>\()?\s*(?P<inner>-)?\s*(?:\$|€)?\s*"
    r"(?P<whole>\d{1,3}(?:[. ]\d{3})+|\d+)(?:,(?P<frac>\d{1,2}))?"
    r"\s*(?:€)?\s*(?P<close>\))?\s*(?P<trail>-)?$"
)
# A procedure code at the start of a cell, a description after it: '99213 - Office visit
# est', '99213: OV', 'J1100 Dexamethasone', '99213.0' (a number cell). 3-5 characters so
# that a code that lost its leading zeros is found (and padded, when the profile says so).
_CODE = re.compile(
    r"^(?P<code>(?=[A-Za-z]?\d{3})[A-Za-z0-9]{3,5})"  # starts with 3 digits (after a letter)
    r"(?:\.0+)?(?:(?:\s*[-–:|]\s*|\s+).*)?$"
)
_LIST_SEPARATORS = r"[\s,;:|/]+"


def blank_to_na(values: pd.Series) -> pd.Series:
    """'' → <NA>: where the value is missing, for ``fill_down``."""
    return values.mask(values == "")


def fill_down(values: pd.Series) -> pd.Series:
    """A blank cell takes the value above it: a grouped report writes a claim's payer or a
    merged spreadsheet cell once for the rows it spans. Blank above the first value stays
    blank."""
    return blank_to_na(values).ffill().fillna("").astype(object)


def money(values: pd.Series, decimal_comma: bool = False) -> pd.Series:
    """Money as written by a report → the interface's plain decimal ('-1234.50').

    '$1,234.50' → '1234.50'; '(12.00)', '-12.00' and '12.00-' → '-12.00'; '1234.5' →
    '1234.5'. With ``decimal_comma``: '1.234,50' → '1234.50'. A parenthesis without its
    pair, more than two decimals or any other text is <NA> (refused, not rounded).
    """
    pattern = _MONEY_COMMA if decimal_comma else _MONEY_US
    parts = values.str.extract(pattern)
    balanced = parts["open"].isna() == parts["close"].isna()
    signs = parts[["lead", "open", "inner", "trail"]].notna().sum(axis=1)
    ok = parts["whole"].notna() & balanced & signs.le(1)
    whole = parts["whole"].fillna("").astype("str").str.replace(r"[,. ]", "", regex=True)
    frac = parts["frac"].fillna("").astype("str")
    frac = ("." + frac).where(frac != "", "")
    sign = signs.gt(0).map({True: "-", False: ""}).astype("str")
    out = (sign + whole + frac).where(ok)
    return _keep_blank(values, out)


def dates(values: pd.Series, formats: Sequence[str] = (), excel_serial: bool = False) -> pd.Series:
    """Dates in any of ``formats`` (strptime patterns, tried in order) → 'YYYY-MM-DD'.

    ISO dates are always read (a spreadsheet's date cells arrive so). With
    ``excel_serial``, a whole number from 61 to 2958465 is an Excel serial day (45672 →
    2025-01-15). A value no pattern reads, or that is not a real date, is <NA>.
    """
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in (*formats, ISO_DATE):
        todo = parsed.isna() & (values != "")
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(values[todo], format=fmt, errors="coerce")
    if excel_serial:
        serial = values.str.extract(r"^(\d{2,7})(?:\.0+)?$")[0]
        days = pd.to_numeric(serial, errors="coerce")
        usable = parsed.isna() & days.between(EXCEL_FIRST_SERIAL, 2_958_465)
        parsed[usable] = EXCEL_EPOCH + pd.to_timedelta(days[usable], unit="D")
    out = parsed.dt.strftime(ISO_DATE).astype(object).where(parsed.notna())
    return _keep_blank(values, out)


def procedure_code(values: pd.Series, pad_codes: bool = False) -> pd.Series:
    """A code with its description or number formatting removed → 'CODE' (upper case).

    '99213 - Office visit est' → '99213', '99213.0' → '99213', '0001f' → '0001F'. With
    ``pad_codes`` only, a code of 3 or 4 digits lost its leading zeros to a number cell and
    gets them back ('100' → '00100', '1234' → '01234'); without it such a code is left as
    it is, and the interface check refuses it as not a procedure code (a 4-digit number is
    not always a code with a lost zero). Text that starts with no code is <NA>.
    """
    code = values.str.extract(_CODE)["code"].str.upper()
    if pad_codes:
        short = code.str.fullmatch(r"\d{3,4}").fillna(False).astype(bool)
        code = code.where(~short, code.str.zfill(5))
    return _keep_blank(values, code)


def join_columns(columns: pd.DataFrame, separator: str) -> pd.Series:
    """Several columns (Mod 1 .. Mod 4, Dx 1 .. Dx 12) → one value, the non-blank cells in
    column order joined by ``separator`` ('25', '', '59' → '25:59')."""
    joined = columns.iloc[:, 0].astype("str")
    for name in columns.columns[1:]:
        joined = joined + separator + columns[name]
    sep = re.escape(separator)
    return joined.str.replace(f"{sep}{{2,}}", separator, regex=True).str.strip(separator)


def split_list(values: pd.Series, separator: str) -> pd.Series:
    """One cell listing several items ('25, 59', 'RT 59', 'M17.11;I10') → the items
    joined by ``separator``, upper case; blank, comma, semicolon, colon, bar or slash
    between them."""
    return (
        values.str.replace(_LIST_SEPARATORS, separator, regex=True)
        .str.strip(separator)
        .str.upper()
    )


def normalize_name(values: pd.Series) -> pd.Series:
    """A payer name as compared with the profile's ``payers``: upper case, one blank
    between words ('Medicare  part b ' → 'MEDICARE PART B')."""
    return values.str.upper().str.replace(r"\s+", " ", regex=True).str.strip()


def lookup(values: pd.Series, table: Mapping[str, str]) -> pd.Series:
    """Values as exported → the interface's values through ``table`` (compared by
    ``normalize_name``): payer names → payer ids, 'PP' → 'patient_payment'. A value that
    already is one of the results stays; any other is <NA>."""
    names = pd.Series([*table.keys(), *table.values()], dtype=object)
    keys = normalize_name(names)
    results = pd.Series([*table.values(), *table.values()], dtype=object)
    found = dict(zip(keys[len(table) :], results[len(table) :], strict=True))
    found.update(zip(keys[: len(table)], results[: len(table)], strict=True))
    out = normalize_name(values).map(found)
    return _keep_blank(values, out)


def payer_ids(values: pd.Series, payers: Mapping[str, str]) -> pd.Series:
    """Payer names (or ids) → the practice's payer ids through the profile's ``payers``
    (``lookup``); an unknown name is <NA>."""
    return lookup(values, payers)


def whole_number(values: pd.Series) -> pd.Series:
    """'1.0' or '1.00' (a number cell) → '1'; anything else unchanged, for the interface
    check to judge ('1.5' units are refused there)."""
    return values.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def _keep_blank(values: pd.Series, out: pd.Series) -> pd.Series:
    """'' where the source was blank, ``out`` elsewhere (<NA> = did not fit)."""
    return out.astype("str").where(values != "", "")
