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
    """``values.isin(wanted)`` as a bool array, in one Arrow call, with isin's answers: a
    missing value is a member only when ``wanted`` holds a missing value too. ``wanted``
    must hold values of the column's own kind (text for text, numbers for numbers): a
    mismatch is a ``TypeError``, never a silent conversion."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    left = pa.array(values, from_pandas=True)
    if isinstance(wanted, pd.Series | pd.Index):  # a column: no Python object per value
        right = pa.array(wanted, from_pandas=True)
    else:
        right = pa.array(pd.Series(list(wanted), dtype=object), from_pandas=True)
    if len(right) == 0 or pa.types.is_null(right.type):
        right = right.cast(left.type)
    elif right.type != left.type:
        same_kind = (_is_text(left.type) and _is_text(right.type)) or (
            pa.types.is_integer(left.type) and pa.types.is_integer(right.type)
        )
        if not same_kind:
            raise TypeError(f"member_of: {right.type} values sought in a {left.type} column")
        right = right.cast(left.type)
    hit = pc.is_in(left, value_set=right, skip_nulls=False)
    return hit.fill_null(False).to_numpy(zero_copy_only=False)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)
