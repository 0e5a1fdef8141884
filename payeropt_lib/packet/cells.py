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
SMALL_CELL = privacy.SMALL_CELL  # CMS cell-size policy: counts 1-10 are never shown
SUPPRESSED = "suppressed"  # a figure hidden so that a "<11" cell cannot be worked out


def fmt_count(n: Any, na: str = NA_TEXT) -> str:
    """A count of lines, claims or patients: '1,234'; 1-10 as '<11' (small-cell rule)."""
    if formats.missing(n):
        return na
    n = int(n)
    if 0 < n < SMALL_CELL:
        return f"<{SMALL_CELL}"
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
        return values.map({True: "yes", False: ""}).fillna(missing), ""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.map(lambda v: formats.day(v, missing)), ""
    return values.map(lambda v: missing if formats.missing(v) else str(v)), ""


def cell_texts(
    frame: pd.DataFrame,
    columns: list[str],
    missing: str,
    digits: int = 0,
    small_text: dict[str, str] | None = None,
) -> dict[str, tuple[pd.Series, str]]:
    """Each column's text and CSS class (``_cell_text``). A figure hidden by
    ``privacy.suppress`` reads "<11" (or ``small_text[column]``) where its
    ``<column>_small`` flag is set; every other hidden figure reads ``missing``."""
    out = {}
    for column in columns:
        text, kind = _cell_text(column, frame[column], missing, digits)
        flag = column + privacy.SMALL_SUFFIX
        if flag in frame:
            small = frame[flag].fillna(False).astype(bool) & frame[column].isna()
            text = text.where(~small, (small_text or {}).get(column, f"<{SMALL_CELL}"))
        out[column] = (text, kind)
    return out


def cell_text(frame: pd.DataFrame, column: str, missing: str = SUPPRESSED) -> pd.Series:
    """One column as the text a table shows (e.g. for chart labels and hover text)."""
    return cell_texts(frame, [column], missing)[column][0]
