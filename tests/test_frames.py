"""``frames.member_of``: pandas' ``isin`` in one Arrow call, with the same answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from payeropt_lib import frames

TEXT = st.one_of(st.none(), st.text(alphabet="AB7é ", max_size=3))


@given(values=st.lists(TEXT, max_size=30), wanted=st.lists(TEXT, max_size=30))
def test_member_of_answers_as_isin_does(values: list, wanted: list) -> None:
    for dtype in ("string[pyarrow]", "str"):
        column = pd.Series(values, dtype=dtype)
        expected = column.isin(wanted).fillna(False).to_numpy(bool)  # a None sought too
        got = frames.member_of(column, wanted)
        assert got.dtype == np.bool_ and got.tolist() == expected.tolist(), dtype
        assert frames.member_of(column, set(wanted)).tolist() == expected.tolist()


def test_member_of_refuses_values_of_another_kind_rather_than_converting_them() -> None:
    numbers = pd.Series([1, 2], dtype="Int64")
    assert numbers.isin(["1"]).tolist() == [False, False]  # isin never converts
    with pytest.raises(TypeError, match="sought in a int64 column"):
        frames.member_of(numbers, ["1"])
    assert frames.member_of(pd.Series([], dtype=object), ["1"]).tolist() == []


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "int64"])
def test_member_of_takes_any_list_like_and_never_counts_a_missing_value(dtype: str) -> None:
    raw = ["1", "2", None, "3"] if dtype != "int64" else [1, 2, 4, 3]
    column = pd.Series(raw, dtype=dtype)
    wanted = pd.Index(["3", "1"] if dtype != "int64" else [3, 1])
    assert frames.member_of(column, wanted).tolist() == [True, False, False, True]
    assert frames.member_of(column, []).tolist() == [False] * 4
