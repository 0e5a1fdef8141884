"""The tolerance (interface §3): the larger of $0.50 and 0.5 % of expected, not rounded."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from payeropt_lib.pricing import expected, tolerance
from payeropt_lib.remittances import underpayments


def test_the_half_percent_is_exact_not_rounded_to_the_cent() -> None:
    """Issue 11.5: $101.01 tolerates $0.50505 and $301.00 $1.505, so gaps of $0.51 and $1.51
    are beyond them (a tolerance rounded to the cent, $0.51 and $1.51, let them through)."""
    exp = np.array([10_101, 10_101, 30_100, 30_100, 9_999, 10_000, 10_000, 20_000])
    gap = np.array([51, 50, 151, 150, 50, 51, -51, -100])
    assert tolerance.beyond_cents(gap, exp).tolist() == [
        True, False, True, False, False, True, True, False,
    ]  # fmt: skip


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=-(10**7), max_value=10**7))
def test_beyond_is_the_interface_rule_in_exact_fractions(e: int, g: int) -> None:
    limit = max(Fraction(50), Fraction(e) * Fraction(5, 1000))
    assert bool(tolerance.beyond_cents(np.array([g]), np.array([e]))[0]) == (abs(g) > limit)


def test_posting_the_pages_and_the_engine_use_the_one_rule() -> None:
    """classify (posting), flagged (the engine's explanations) agree line by line."""
    exp = pd.Series([10_101, 10_101, 30_100, 30_100, 4_000, 4_000], dtype="Int64")
    allowed = pd.Series([10_050, 10_051, 29_949, 29_950, 3_949, 4_051], dtype="Int64")
    lines = pd.DataFrame(
        {
            "status": "1",
            "is_reversal": False,
            "line_number": 1,
            "payer_id": "ACME",
            "primary_payer_id": "ACME",
            "allowed_cents": allowed.astype("int64"),
            "expected_cents": exp,
            "contract_basis": "fee_schedule",
            "denial_class": pd.array([pd.NA] * 6, dtype="str"),
        }
    )
    outcome = underpayments.classify(lines)["outcome"].tolist()
    assert outcome == ["underpaid", "ok", "underpaid", "ok", "underpaid", "overpaid"]
    assert list(expected.flagged(exp, allowed)) == [o != "ok" for o in outcome]
