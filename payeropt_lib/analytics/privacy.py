"""Small-cell suppression: no count from 1 to 10, and nothing that reveals one.

CMS's cell-size policy (domain.md section 10): a count of claims, lines or patients from 1
to 10 is never shown, and neither is any figure measured over it nor any figure from which
it could be worked out. ``suppress`` hides the small counts of a table and the dollars and
rates tied to them, then one more cell wherever a hidden one could be recovered from the
table's total (its ``is_total`` row); ``complement`` / ``hide_cells`` apply the same rule to
cells that are parts of several totals at once, and ``suppress_tree`` / ``suppress_grid``
to nested rows and two-way tables (``suppress_months``: a grid of months). A hidden figure
is NA and its ``<count>_small`` flag says whether it was itself small (printed "<11") or
hidden to protect another.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

SMALL_CELL = 11  # CMS cell-size policy: counts 1-10 are never shown, nor derivable

# The cell size in force in this process: counts from 1 to ``_below - 1`` are hidden. What
# leaves a practice or combines practices (the consultant's batch index, any figure across
# practices) is held to SMALL_CELL; inside its own packet a practice sees its own counts
# (``cells_below(0)``, unless it asks for ``report --suppress-below N``). Each page runs in
# a process of its own, so a page sets it once (``packet.context.context``).
_below = SMALL_CELL


def small_cell() -> int:
    """The cell size in force: counts from 1 to ``small_cell() - 1`` are hidden (0 or 1:
    none is)."""
    return _below


def set_small_cell(below: int) -> None:
    """Hide counts from 1 to ``below - 1`` from now on in this process (0: hide none)."""
    global _below
    if below < 0:
        raise ValueError(f"a cell size is 0 or more, not {below}")
    _below = int(below)


@contextmanager
def cells_below(below: int) -> Iterator[None]:
    """``set_small_cell(below)`` for the ``with`` block, then the size before it."""
    before = _below
    set_small_cell(below)
    try:
        yield
    finally:
        set_small_cell(before)


SMALL_SUFFIX = "_small"  # <count>_small: True where the count was 1-10 (shown as "<11")


TOTAL = "is_total"  # bool column marking the row that sums the others


def suppress(
    frame: pd.DataFrame,
    count_columns: Sequence[str],
    value_columns: Mapping[str, str] | Sequence[str] = (),
) -> pd.DataFrame:
    """Hide small counts, the counts they could be derived from, and their dollars.

    ``count_columns`` count claims or lines (int). ``value_columns`` are figures measured
    over those counts (dollars, percents): a mapping ``value → count`` hides a value with
    its count; a plain sequence hides each value when any count of its row is hidden.

    The rows of ``frame`` are taken to add up to a total shown on the page: the row where
    the bool column ``is_total`` is true if there is one, otherwise a total shown elsewhere
    (key figures). So, per count column:

    1. a count from 1 to 10 is hidden (primary);
    2. if exactly one part is then hidden, or the hidden parts add up to 1-10, the
       smallest non-zero part still shown is hidden as well (complementary), so the total
       minus the shown parts never gives a small count. The total row is never hidden
       this way (it would then differ from the same total elsewhere on the page): it is
       hidden only when it is itself 1-10.

    Returns a new frame: hidden cells are NA (counts ``Int64``; values nullable), and one
    bool column ``<count>_small`` per count column, true where the count was 1-10 (the
    cells to print as "<11"; the others hidden read "suppressed").
    """
    out = frame.copy()
    total = total_mask(out)
    hidden: dict[str, pd.Series] = {}
    for column in count_columns:
        n = out[column].astype("int64")
        small = n.between(1, small_cell() - 1)
        masked = small.copy()
        parts = masked & ~total
        if parts.sum() == 1 or 0 < n[parts].sum() < small_cell():
            candidates = n[~masked & ~total & n.gt(0)]
            if len(candidates):
                masked.loc[candidates.idxmin()] = True
        hidden[column] = masked
        out[column] = n.astype("Int64").mask(masked)
        out[column + SMALL_SUFFIX] = small
    if isinstance(value_columns, Mapping):
        ties = {value: hidden[count] for value, count in value_columns.items()}
    else:
        anywhere = pd.Series(False, index=out.index)
        for masked in hidden.values():
            anywhere |= masked
        ties = {value: anywhere for value in value_columns}
    for value, masked in ties.items():
        out[value] = nullable(out[value]).mask(masked)
    n_hidden = sum(int(m.sum()) for m in hidden.values())
    logger.debug("suppressed %d count cells in %d rows", n_hidden, len(out))
    return out


def hide_cells(
    values: np.ndarray,
    dims: Sequence[tuple[np.ndarray, np.ndarray]],
    forced: np.ndarray | None = None,
) -> np.ndarray:
    """``complement`` on plain arrays: ``dims`` holds, per dimension, each cell's group
    code (0..k-1) and whether that group's total is hidden. Plain numpy: these tables are
    small, and pandas' per-call overhead would dominate."""
    positive = values > 0
    hidden = positive & (values < small_cell())
    if forced is not None:
        hidden |= positive & forced
    for _, total_hidden in dims:
        hidden |= positive & total_hidden
    while True:
        added = False
        for codes, total_hidden in dims:
            shown = ~total_hidden
            parts = hidden & shown
            size = int(codes.max()) + 1 if len(codes) else 0
            count = np.bincount(codes, weights=parts, minlength=size)
            total = np.bincount(codes, weights=np.where(parts, values, 0), minlength=size)
            need = (count == 1) | ((total > 0) & (total < small_cell()))
            candidates = np.flatnonzero(shown & need[codes] & ~hidden & positive)
            if len(candidates):
                # The smallest candidate of each group (the first one on a tie).
                order = candidates[np.lexsort((candidates, values[candidates], codes[candidates]))]
                group_of = codes[order]
                hidden[order[np.r_[True, group_of[1:] != group_of[:-1]]]] = True
                added = True
        if not added:
            return hidden


def complement(
    n: pd.Series,
    groups: Sequence[pd.Series],
    total_hidden: Sequence[pd.Series],
    forced: pd.Series | None = None,
) -> pd.Series:
    """Which cells of ``n`` (counts) to hide, when they are parts of several totals.

    ``groups[i]`` says, per cell, which total of dimension i it is a part of (a parent row;
    a payer or a month of a grid); ``total_hidden[i]`` whether that total is itself hidden.
    A cell is hidden when it is 1-10 (primary), when a total it belongs to is hidden (the
    parts of a hidden total would give it back), or as a complement: for every shown total
    whose hidden parts are exactly one, or add up to 1-10, the smallest non-zero part still
    shown is hidden too; repeated over all dimensions until nothing changes. ``forced``
    hides more cells from the start (those of a row whose claims are hidden). Zeros are
    never hidden. Returns a bool Series on ``n``'s index.
    """
    dims = [
        (
            pd.factorize(np.asarray(group), use_na_sentinel=False)[0],
            np.asarray(mask, dtype=bool),
        )
        for group, mask in zip(groups, total_hidden, strict=True)
    ]
    push = None if forced is None else np.asarray(forced, dtype=bool)
    return pd.Series(hide_cells(n.to_numpy(dtype="int64"), dims, push), index=n.index)


def total_mask(frame: pd.DataFrame) -> pd.Series:
    if TOTAL in frame:
        return frame[TOTAL].fillna(False).astype(bool)
    return pd.Series(False, index=frame.index)


def nullable(values: pd.Series) -> pd.Series:
    """A column that can hold NA: Int64, Float64 or boolean for numbers and flags."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    if pd.api.types.is_integer_dtype(values):
        return values.astype("Int64")
    if pd.api.types.is_float_dtype(values):
        return values.astype("Float64")
    return values


def shown_first(
    frame: pd.DataFrame, by: str, label: str, first: pd.Series | None = None
) -> pd.DataFrame:
    """Rows where ``first`` is true before the others (if given); then largest ``by``
    first, with hidden ``by`` after the shown ones, by label (so the order reveals nothing
    about a hidden figure); the total row last."""
    lead = pd.Series(True, index=frame.index) if first is None else first.astype(bool)
    keys = frame.assign(
        _total=total_mask(frame),
        _later=~lead,
        _hidden=frame[by].isna(),
        _key=-frame[by].astype("Float64").fillna(0),
    )
    order = keys.sort_values(["_total", "_later", "_hidden", "_key", label], kind="stable")
    return frame.loc[order.index].reset_index(drop=True)


def percent(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator ÷ denominator × 100 as Float64 (display only); NA where either is hidden
    (NA) or the denominator is not positive (nothing to divide)."""
    den = denominator.astype("Float64")
    return numerator.astype("Float64") * 100 / den.where(den.gt(0).fillna(False))


def with_total(frame: pd.DataFrame, label_column: str, label: str) -> pd.DataFrame:
    """Append the row that sums every count and money column; ``is_total`` marks it."""
    numeric = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
    total = {c: frame[c].sum() for c in numeric}
    row = pd.DataFrame([{label_column: label, **total}])
    out = pd.concat([frame.assign(**{TOTAL: False}), row.assign(**{TOTAL: True})])
    return out.astype({c: "int64" for c in numeric}).reset_index(drop=True)


def suppress_tree(
    table: pd.DataFrame,
    count_columns: Sequence[str],
    ties: Mapping[str, Sequence[str]],
    parent: pd.Series,
    depth: pd.Series,
    lead: str | None = "claims",
) -> pd.DataFrame:
    """Suppress a table whose rows nest: each row's counts add up to its parent row's.

    ``depth`` is 0 for the total row (its ``parent`` is ignored), 1 for its parts, 2 for
    the parts of those, ...; ``parent`` holds the index label of each row's parent. Per
    count column, depth by depth: a total is hidden only when it is 1-10; the parts of a
    row are hidden as in ``complement`` against that row. ``ties`` maps each figure to
    the counts it is measured over (hidden when any of them is). Where the ``lead`` count
    (claims) of a row is hidden, its other counts are hidden too: such a row shows "<11"
    and nothing else. Returns the table with hidden cells NA (counts ``Int64``, figures
    nullable) and a ``<count>_small`` flag per count column (true where it was 1-10:
    printed "<11"; other hidden cells read "suppressed").
    """
    levels = np.asarray(depth, dtype="int64")
    above = table.index.get_indexer(parent)  # the parent's position (-1 at the top)
    hidden: dict[str, np.ndarray] = {}
    for column in sorted(count_columns, key=lambda c: c != lead):  # the lead first
        values = table[column].to_numpy(dtype="int64")
        forced = hidden.get(lead) if column != lead else None
        mask = np.zeros(len(table), dtype=bool)
        for level in np.unique(levels):
            at = levels == level
            push = None if forced is None else forced[at]
            if level == levels.min():
                mask[at] = hide_cells(values[at], [], push)
                continue
            codes = above[at]
            mask[at] = hide_cells(values[at], [(codes, mask[codes])], push)
        hidden[column] = mask
    return masked(table, {c: pd.Series(m, index=table.index) for c, m in hidden.items()}, ties)


def suppress_grid(
    cells: pd.DataFrame,
    count_columns: Sequence[str],
    ties: Mapping[str, Sequence[str]],
    row: str,
    column: str,
    row_hidden: Mapping[str, pd.Series],
    column_hidden: Mapping[str, pd.Series],
    lead: str | None = "claims",
) -> pd.DataFrame:
    """Suppress the cells of a two-way table (e.g. payer × month) in long form.

    Each cell is a part of its row's total (``row``: e.g. the payer, whose total another
    table shows) and of its column's (``column``: e.g. the month). ``row_hidden[count]`` and
    ``column_hidden[count]`` say, per cell, whether that total is hidden. Cells are hidden
    as in ``complement`` over both directions at once; where the ``lead`` count of a cell
    is hidden, its other counts are too. Same return as ``suppress_tree``.
    """
    hidden: dict[str, pd.Series] = {}
    for count in sorted(count_columns, key=lambda c: c != lead):  # the lead first
        hidden[count] = complement(
            cells[count],
            [cells[row], cells[column]],
            [row_hidden[count], column_hidden[count]],
            hidden.get(lead) if count != lead else None,
        )
    return masked(cells, hidden, ties)


def suppress_months(
    cells: pd.DataFrame,
    count_columns: Sequence[str],
    ties: Mapping[str, Sequence[str]],
    row: str,
    row_totals: pd.DataFrame,
    months: pd.DataFrame,
    grand: pd.Series,
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """``suppress_grid`` for a ``row`` × month table whose totals are shown elsewhere.

    ``cells``: one row per ``row`` value and service_month, with the counts. A row's
    total is its row in ``row_totals`` (indexed by ``row``, already suppressed: a cell of
    a hidden total is hidden too); a month's total is its row in ``months`` (one row per
    service_month), itself a part of ``grand`` (the table's total row, already
    suppressed), so the month totals are suppressed as parts of it first. Returns the
    suppressed cells and, per count, which rows of ``months`` are hidden (for the page's
    month totals).
    """
    row_hidden, column_hidden, month_hidden = {}, {}, {}
    for count in count_columns:
        month_hidden[count] = complement(
            months[count],
            [pd.Series(0, index=months.index)],
            [pd.Series(pd.isna(grand[count]), index=months.index)],
        )
        row_hidden[count] = cells[row].map(row_totals[count].isna()).fillna(True)
        by_month = pd.Series(month_hidden[count].to_numpy(), index=months["service_month"])
        column_hidden[count] = cells["service_month"].map(by_month).fillna(True)
    shown = suppress_grid(
        cells, count_columns, ties, row, "service_month", row_hidden, column_hidden
    )
    return shown, month_hidden


def masked(
    table: pd.DataFrame, hidden: Mapping[str, pd.Series], ties: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    out = table.copy()
    for column, mask in hidden.items():
        n = table[column].astype("int64")
        out[column] = n.astype("Int64").mask(mask)
        out[column + SMALL_SUFFIX] = n.between(1, small_cell() - 1)
    for value, counts in ties.items():
        if value not in out:
            continue
        mask = pd.Series(False, index=out.index)
        for count in counts:
            if count in hidden:
                mask |= hidden[count]
        out[value] = nullable(out[value]).mask(mask)
    n_hidden = sum(int(m.sum()) for m in hidden.values())
    logger.debug("suppressed %d count cells in %d rows", n_hidden, len(out))
    return out
