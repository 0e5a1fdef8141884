"""Table cells: a figure's text by its column's name, and the small-cell marks.

The column naming conventions (``*_cents`` money, ``pct_*``/``*_pct`` percents, counts,
booleans, dates) decide how a value reads, so every table, chart label and index page
formats a column the same way. Figures hidden by ``privacy.suppress`` read "<11" where
their ``<column>_small`` flag is set. No store access: the plots import this module.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from payeropt_lib import formats
from payeropt_lib.analytics import privacy

NA_TEXT = formats.NA_TEXT
SUPPRESSED = "suppressed"  # a figure hidden so that a "<11" cell cannot be worked out
NO_DATA = "no data"  # a figure of a practice with nothing to measure it on: not hidden


def hidden_text() -> str:
    """What a missing figure reads: "suppressed" where small cells are hidden (it may hide
    one), else the plain no-figure mark (nothing is hidden: it was not measurable)."""
    return SUPPRESSED if privacy.small_cell() > 1 else NA_TEXT


def small_text() -> str:
    """What a hidden small count reads: "<11" (the cell size in force)."""
    return f"<{privacy.small_cell()}"


def sized(text: str) -> str:
    """A sentence written for the 11 rule ("fewer than 11 claims, or hidden so that such a
    count cannot be worked out"), read for the cell size in force: the size put in where
    small cells are hidden; where none is, a figure is missing only for want of data, so
    "fewer than 11" reads "no" and the clause on hidden counts goes."""
    below = privacy.small_cell()
    if below > 1:
        return text.replace("fewer than 11", f"fewer than {below}").replace("<11", f"<{below}")
    for clause in (
        ", or hidden so that such a count cannot be worked out from the total",
        " (or hidden so that such a count cannot be worked out)",
    ):
        text = text.replace(clause, "")
    return text.replace("Fewer than 11", "No").replace("fewer than 11", "no")


def fmt_count(n: Any, na: str = NA_TEXT) -> str:
    """A count of lines, claims or patients: '1,234'; 1-10 as '<11' where small cells are
    hidden (``privacy.small_cell``)."""
    if formats.missing(n):
        return hidden_text() if na == SUPPRESSED else na
    n = int(n)
    if 0 < n < privacy.small_cell():
        return small_text()
    return f"{n:,}"


FILTERS = {
    "fmt_money": formats.money,
    "fmt_pct": formats.percent,
    "fmt_count": fmt_count,
    "fmt_date": formats.day,
}


NUMERIC = "num"  # CSS class: right-aligned figures
COUNT_SUFFIXES = ("_count", "_claims", "_lines")


def _cell_text(
    column: str, values: pd.Series, missing: str, digits: int = 0
) -> tuple[pd.Series, str]:
    """Format one column by its name's convention; returns the text and its CSS class."""
    if column.endswith("_cents"):
        return values.map(lambda v: formats.money(v, missing)), NUMERIC
    if column.startswith("pct_") or column.endswith("_pct"):
        return values.map(lambda v: formats.percent(v, digits, na=missing)), NUMERIC
    if column in ("volume", "lines", "claims", "count") or column.endswith(COUNT_SUFFIXES):
        return values.map(lambda v: fmt_count(v, missing)), NUMERIC
    if pd.api.types.is_bool_dtype(values):
        # "no", not a blank: a blank cell reads as a figure missing (issue 12).
        return values.map({True: "yes", False: "no"}).fillna(missing), ""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.map(lambda v: formats.day(v, missing)), ""
    return values.map(lambda v: missing if formats.missing(v) else str(v)), ""


def cell_texts(
    frame: pd.DataFrame,
    columns: list[str],
    missing: str,
    digits: int = 0,
    small_texts: dict[str, str] | None = None,
) -> dict[str, tuple[pd.Series, str]]:
    """Each column's text and CSS class (``_cell_text``). A figure hidden by
    ``privacy.suppress`` reads "<11" (or ``small_texts[column]``) where its
    ``<column>_small`` flag is set; every other hidden figure reads ``missing`` (``SUPPRESSED``
    reads ``hidden_text()``: "suppressed" only where small cells are hidden)."""
    if missing == SUPPRESSED:
        missing = hidden_text()
    out = {}
    for column in columns:
        text, kind = _cell_text(column, frame[column], missing, digits)
        if privacy.TOTAL in frame and pd.api.types.is_bool_dtype(frame[column]):
            # A yes/no of each row says nothing of the total ("All payers": not "no").
            text = text.where(~frame[privacy.TOTAL].fillna(False).astype(bool), "")
        flag = column + privacy.SMALL_SUFFIX
        if flag in frame:
            small = frame[flag].fillna(False).astype(bool) & frame[column].isna()
            text = text.where(~small, (small_texts or {}).get(column, small_text()))
        out[column] = (text, kind)
    return out


def cell_text(frame: pd.DataFrame, column: str, missing: str = SUPPRESSED) -> pd.Series:
    """One column as the text a table shows (e.g. for chart labels and hover text)."""
    return cell_texts(frame, [column], missing)[column][0]
