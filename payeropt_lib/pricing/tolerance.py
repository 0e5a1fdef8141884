"""How far allowed may stray from expected before a line is under- or over-paid.

Interface section 3: the larger of $0.50 and 0.5 % of the expected amount. The 0.5 % is
rounded half up to the cent before it is compared (what the product has always done;
``docs/remittances.md`` says so). Every check of a line against its contract uses this
one definition: classifying posted lines, choosing which lines the expected engine
explains, and the reimbursement page's "below the contract".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FLOOR_CENTS = 50
PER_MILLE = 5  # 0.5 %


def tolerance_cents(expected: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """max($0.50, 0.5 % of ``expected`` rounded half up), int64 cents, per line.

    ``out`` (int64, the same length) receives the result without a temporary the size of
    the lines (the expected engine calls this on slices of millions of lines).
    """
    d = 1000 // PER_MILLE  # 0.5 % of e, half up: (2e + d) // 2d
    t = np.multiply(np.asarray(expected, dtype=np.int64), 2, out=out)
    t += d
    t //= 2 * d
    return np.maximum(t, FLOOR_CENTS, out=t)


def tolerance(expected_cents: pd.Series) -> pd.Series:
    """``tolerance_cents`` of a column (missing expected amounts count as 0)."""
    cents = expected_cents.fillna(0).astype("int64").to_numpy()
    return pd.Series(tolerance_cents(cents), index=expected_cents.index)


def outside(expected_cents: pd.Series, allowed_cents: pd.Series) -> np.ndarray:
    """The lines a billing manager reads: no expected amount (no contract, no rate), or
    allowed − expected beyond the tolerance either way. A line without an allowed amount
    is not outside unless it has no expected amount either."""
    exp = pd.array(expected_cents, dtype="Int64")
    allowed = pd.array(allowed_cents, dtype="Int64")
    e = exp.to_numpy(dtype=np.int64, na_value=0)
    a = allowed.to_numpy(dtype=np.int64, na_value=0)
    beyond = np.abs(a - e) > tolerance_cents(e)
    return np.asarray(exp.isna()) | (~np.asarray(allowed.isna()) & beyond)
