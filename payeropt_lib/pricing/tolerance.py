"""How far allowed may stray from expected before a line is under- or over-paid.

Interface section 3: the larger of $0.50 and 0.5 % of the expected amount, and "the
tolerance is not rounded": a gap of g cents is beyond it when g > 50 and g > e / 200
exactly, i.e. 200 g > e, in integers (a $100.01 expected amount tolerates $0.50005, so a
gap of $0.51 is beyond it, but $0.50 is not). Every check of a line against its contract
uses this one definition: classifying posted lines, choosing which lines the expected
engine explains, and the reimbursement page's "below the contract".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FLOOR_CENTS = 50
PER_MILLE = 5  # 0.5 %
_DIVISOR = 1000 // PER_MILLE  # 0.5 % of e is e / 200


def beyond_cents(
    gap: np.ndarray, expected: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """Whether each |``gap``| (int64 cents) exceeds the tolerance of its ``expected``
    (int64 cents): |gap| > 50 and 200 |gap| > expected, exactly.

    ``out`` (bool, the same length) receives the result without temporaries the size of
    the lines beyond one (the expected engine calls this on slices of millions of lines).
    """
    g = np.abs(np.asarray(gap, dtype=np.int64))
    flag = np.greater(g, FLOOR_CENTS, out=out)
    g *= _DIVISOR
    flag &= g > np.asarray(expected, dtype=np.int64)
    return flag


def beyond(gap_cents: pd.Series, expected_cents: pd.Series) -> pd.Series:
    """``beyond_cents`` of two columns, same index (a missing gap is never beyond; a
    missing expected amount counts as 0)."""
    gap = gap_cents.astype("Int64")
    flag = beyond_cents(
        gap.fillna(0).to_numpy(dtype=np.int64),
        expected_cents.astype("Int64").fillna(0).to_numpy(dtype=np.int64),
    )
    return pd.Series(flag & ~gap.isna().to_numpy(), index=gap_cents.index)


def outside(expected_cents: pd.Series, allowed_cents: pd.Series) -> np.ndarray:
    """The lines a billing manager reads: no expected amount (no contract, no rate), or
    allowed − expected beyond the tolerance either way. A line without an allowed amount
    is not outside unless it has no expected amount either."""
    exp = pd.array(expected_cents, dtype="Int64")
    allowed = pd.array(allowed_cents, dtype="Int64")
    e = exp.to_numpy(dtype=np.int64, na_value=0)
    a = allowed.to_numpy(dtype=np.int64, na_value=0)
    return np.asarray(exp.isna()) | (~np.asarray(allowed.isna()) & beyond_cents(a - e, e))
