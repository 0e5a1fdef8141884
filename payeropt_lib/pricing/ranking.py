"""Ranking lines within groups: the multiple-procedure order (highest amount first, ties
to the lower key), for the contract's own reduction (``line_prices``) and Medicare's
(``medicare_rules``) alike. Arrays in, arrays out; no loop over lines."""

from __future__ import annotations

import numpy as np


def ranks_in_order(order: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, ...]:
    """Given ``order`` (positions sorted by group, then rank) and ``groups`` (each
    position's group id), each position's rank (1 = first), its group's size and the
    position ranked 1st in its group."""
    ordered = groups[order]
    head = np.ones(len(order), bool)
    head[1:] = ordered[1:] != ordered[:-1]
    begin = np.flatnonzero(head)
    size = np.diff(np.append(begin, len(order)))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order)) - np.repeat(begin, size) + 1
    count = np.empty(len(order), np.int64)
    count[order] = np.repeat(size, size)
    first = np.empty(len(order), np.int64)
    first[order] = np.repeat(order[begin], size)
    return rank, count, first


def rank_within(
    group: np.ndarray, amount: np.ndarray, key: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank (1 = highest amount, ties to the lower key) within each group, the group's
    size and the index of the group's 1st line."""
    if not len(group):
        none = np.zeros(0, np.int64)
        return none, none, none
    return ranks_in_order(np.lexsort((key, -amount, group)), group)
