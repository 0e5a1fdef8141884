"""Exact money: decimal text to integers, and rounding half up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from payeropt_lib import money


def test_decimal_parsing_is_exact_and_strict() -> None:
    values = pd.Series(["1.35", ".5", "32.3465", "10", "-0.07", " 2.00 "])
    assert money.parse_scaled(values, 4).tolist() == [13500, 5000, 323465, 100000, -700, 20000]
    assert money.parse_cents(pd.Series(["123.45", "0.1", "7"])).tolist() == [12345, 10, 700]
    assert money.parse_scaled(pd.Series(["1.2500"]), 2).tolist() == [125]
    for bad in ("1.355", "abc", ".", "", "1,000.00"):
        with pytest.raises(ValueError, match="amount"):
            money.parse_scaled(pd.Series([bad]), 2, "amount")


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10**6))
def test_half_up_div_is_decimal_rounding(numerator: int, denominator: int) -> None:
    from decimal import ROUND_HALF_UP, Decimal

    exact = (Decimal(numerator) / Decimal(denominator)).quantize(1, rounding=ROUND_HALF_UP)
    assert money.half_up_div(np.array([numerator]), denominator)[0] == int(exact)
