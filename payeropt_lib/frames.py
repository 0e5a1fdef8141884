"""Column operations every stage needs where pandas' own is slow on Arrow-backed text.

pandas' ``isin`` on Arrow-backed strings first turns every wanted value into a pyarrow
scalar, one by one, in Python: 150,000 claim ids cost ~0.8 s a call (issue 12: a third of
importing a large practice's transactions and encounters). ``member_of`` does it in one
Arrow call. Use it wherever the wanted values can be many (ids); a handful of codes or
classes can stay with ``isin``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def member_of(values: pd.Series, wanted) -> np.ndarray:  # noqa: ANN001 - any list-like
    """``values.isin(wanted)`` as a bool array, in one Arrow call (a missing value is in
    no set)."""
    left = pa.array(values, from_pandas=True)
    right = pa.array(pd.Series(wanted, dtype=values.dtype), from_pandas=True)
    if right.type != left.type:
        right = right.cast(left.type)
    hit = pc.is_in(left, value_set=right)
    return hit.fill_null(False).to_numpy(zero_copy_only=False)
