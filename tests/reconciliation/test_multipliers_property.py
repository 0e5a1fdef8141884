"""Properties of the inferred multipliers (docs/multipliers.md)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib.reconciliation import multipliers as m
from tests.reconciliation.test_multipliers import CONTRACTS, L2, YEAR_CODES, YEAR_FEES, lines

CODES = list(YEAR_CODES)

line = st.tuples(
    st.sampled_from(CODES),
    st.integers(1, 4),  # units
    st.integers(1, 60_000),  # allowed cents
    st.integers(1, 12),  # month of 2025
    st.sampled_from(["A", "B"]),  # payer
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(rows=st.lists(line, min_size=1, max_size=40), k=st.integers(1, 7))
def test_scaling_every_allowed_by_k_scales_the_median_by_k_within_a_thousandth(rows, k):
    """Each ratio is rounded half up once from exact cents, and the median is a line's own
    ratio (an order statistic): for the median line's exact ratio x, the median is hu(x)
    and, allowed × k, hu(k·x); |hu(k·x) − k·hu(x)| ≤ ½ + k/2 ≤ k, so the scaled median
    over k is within a thousandth of a percent of the median."""
    frame = lines(
        [
            {"payer_id": p, "procedure_code": c, "units": u, "allowed_cents": a,
             "date_of_service": f"2025-{mo:02d}-15"}
            for c, u, a, mo, p in rows
        ]
    )  # fmt: skip
    scaled = frame.assign(allowed_cents=frame["allowed_cents"] * k)
    before = m.infer(frame, CONTRACTS, YEAR_FEES, L2, min_lines=1).set_index("payer_id")
    after = m.infer(scaled, CONTRACTS, YEAR_FEES, L2, min_lines=1).set_index("payer_id")
    assert list(before.index) == list(after.index)
    for column in ("median_x1000", "q1_x1000", "q3_x1000"):
        gap = (after[column] - before[column] * k).abs()
        assert (gap <= k).all(), (column, gap.tolist())
    # The best year's median too, where scaling left the same year best (rounding can
    # break a tie between two years that fit equally well).
    same = (after["medicare_year"].fillna(0) == before["medicare_year"].fillna(0)).to_numpy()
    gap = (after["year_median_x1000"] - before["year_median_x1000"] * k).abs()[same]
    assert (gap <= k).all(), gap.tolist()
    # Scaling changes no count and no choice of lines.
    assert after["lines"].tolist() == before["lines"].tolist()
    assert after["codes"].tolist() == before["codes"].tolist()


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(rows=st.lists(line, min_size=1, max_size=40))
def test_the_order_of_the_lines_changes_nothing(rows):
    frame = lines(
        [
            {"payer_id": p, "procedure_code": c, "units": u, "allowed_cents": a,
             "date_of_service": f"2025-{mo:02d}-15"}
            for c, u, a, mo, p in rows
        ]
    )  # fmt: skip
    one = m.infer(frame, CONTRACTS, YEAR_FEES, L2, min_lines=1)
    other = m.infer(frame.iloc[::-1], CONTRACTS, YEAR_FEES, L2, min_lines=1)
    pd.testing.assert_frame_equal(one, other)
