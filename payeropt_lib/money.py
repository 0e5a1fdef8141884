"""Money and percents as exact integers: reading decimal text and rounding half up.

Money is int64 cents and percents are int64 thousandths (125 % = 125000) everywhere in
payeropt; text becomes those integers here, without passing through a float, and every
division of money rounds half up to the cent (interface section 3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_DECIMAL_RE = r"^\s*(?P<sign>[-+]?)(?P<int>\d*)(?:\.(?P<frac>\d*))?\s*$"


def half_up_div(numerator: pd.Series | np.ndarray, denominator: int) -> np.ndarray:
    """Integer division rounding half up (for non-negative numerators)."""
    return (np.asarray(numerator, dtype="int64") * 2 + denominator) // (2 * denominator)


def percent_x1000(
    numerator: pd.Series | np.ndarray, denominator: pd.Series | np.ndarray | int
) -> pd.Series:
    """numerator / denominator as an exact percent in thousandths (59.2 % = 59200), rounded
    half away from zero, elementwise; NA where the denominator is 0. Integer inputs (cents
    or counts) up to 10**13: the scaled numerator stays within int64."""
    num = np.asarray(numerator, dtype=np.int64)
    den = np.broadcast_to(np.asarray(denominator, dtype=np.int64), num.shape)
    safe = np.where(den == 0, 1, den)
    scaled = np.abs(num) * 100_000
    mag = (scaled * 2 + np.abs(safe)) // (np.abs(safe) * 2)
    value = np.where((num < 0) != (safe < 0), -mag, mag)
    index = numerator.index if isinstance(numerator, pd.Series) else None
    return pd.Series(value, index=index, dtype="Int64").mask(den == 0)


def parse_scaled(values: pd.Series, digits: int, what: str = "value") -> np.ndarray:
    """Decimal strings ('1.35', '.5', '32.3465') → int64 × 10**digits, exactly.

    No float is involved: integer and fraction parts are read separately. A value with more
    non-zero fraction digits than ``digits``, or that is not a plain decimal, raises
    ValueError naming ``what``.
    """
    # Reference files repeat a few hundred distinct values: parse each once.
    codes, uniques = pd.factorize(pd.Series(values).astype("str").fillna("").str.strip())
    return _parse_unique(pd.Series(uniques, dtype="str"), digits, what)[codes]


def parse_cents(values: pd.Series, what: str = "amount") -> np.ndarray:
    """Plain decimal money ('123.45', '-2', '0.5') → int64 cents, exactly."""
    return parse_scaled(values, 2, what)


def _parse_unique(text: pd.Series, digits: int, what: str) -> np.ndarray:
    parts = text.str.extract(_DECIMAL_RE)
    bad = parts["int"].isna() | ((parts["int"] == "") & parts["frac"].fillna("").eq(""))
    if bad.any():
        first = text[bad].iloc[0]
        raise ValueError(f"{what}: {first!r} is not a decimal number")
    frac = parts["frac"].fillna("").astype("str")
    overflow = frac.str.slice(digits)
    if overflow.str.strip("0").ne("").any():
        first = text[overflow.str.strip("0").ne("")].iloc[0]
        raise ValueError(f"{what}: {first!r} has more than {digits} decimal places")
    whole = pd.to_numeric(parts["int"].where(parts["int"] != "", "0")).to_numpy(np.int64)
    scaled = whole * np.int64(10**digits)
    if digits:
        frac_digits = frac.str.slice(0, digits).str.ljust(digits, "0")
        scaled = scaled + pd.to_numeric(frac_digits).to_numpy(np.int64)
    negative = (parts["sign"] == "-").to_numpy()
    return np.where(negative, -scaled, scaled).astype(np.int64)
