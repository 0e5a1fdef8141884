"""A practice's export as a grid of strings, before any profile is applied: a CSV, or the
chosen sheets of an ``.xlsx`` workbook (openpyxl; docs/profiles.md, "Spreadsheets").

A grid is a DataFrame with positional columns 0..n-1, every cell a stripped string ('' when
empty), indexed by the row number the user sees (1 = the first line of the CSV, or the
first row of the sheet): title rows, header and data alike, so that a profile can say which
row is the header and every later error can name the user's own row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd

from payeropt_lib.errors import InputFileError
from payeropt_lib.inputs import schemas

XLSX_MAGIC = b"PK\x03\x04"

# (sheet name or None for a CSV, its grid)
Grids = list[tuple[str | None, pd.DataFrame]]


def is_workbook(name: str, raw: bytes) -> bool:
    """An .xlsx (a ZIP archive) rather than CSV text."""
    return raw.startswith(XLSX_MAGIC) or name.lower().endswith((".xlsx", ".xlsm"))


def read_grids(name: str, raw: bytes, sheets: list[str] | None = None) -> Grids:
    """The file's grids: one for a CSV; one per sheet named in ``sheets`` (in that order)
    for a workbook, or its first sheet when ``sheets`` is None."""
    if is_workbook(name, raw):
        return workbook_grids(name, raw, sheets)
    return [(None, csv_grid(name, raw))]


# --- CSV --------------------------------------------------------------------------------


def csv_grid(name: str, raw: bytes, sample_lines: int = 200) -> pd.DataFrame:
    """A CSV as a grid: title rows above the header may have fewer fields than the data,
    so the width is the widest of the first ``sample_lines`` lines; a later line wider
    than that is refused naming its row."""
    if b"\r" in raw and b"\n" not in raw:
        raw = raw.replace(b"\r", b"\n")
    text = schemas.read_text(name, raw)
    head = text.split("\n", sample_lines)[:sample_lines]
    try:
        width = max((len(r) for r in csv.reader(head)), default=1)
    except csv.Error:
        width = max(line.count(",") + 1 for line in head)
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=range(max(width, 1)),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise schemas.parser_error(name, exc) from None
    # pandas' "str" dtype (Arrow-backed): every string operation after this runs in Arrow.
    grid = grid.fillna("").astype("str").apply(lambda s: s.str.strip())
    grid.index = record_rows(text, len(grid))
    return grid


def record_rows(text: str, records: int) -> pd.Index:
    """The file row (line number) each record starts on: 1, 2, ... unless a quoted value
    holds a line break, where the csv module counts the lines each record spans."""
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if records == lines:  # no record spans two lines: no loop over the records
        return pd.RangeIndex(1, records + 1)
    starts, line = [], 1
    reader = csv.reader(io.StringIO(text))
    try:
        for _ in reader:
            starts.append(line)
            line = reader.line_num + 1
    except csv.Error:
        return pd.RangeIndex(1, records + 1)
    starts = (starts + list(range(line, line + records)))[:records]
    return pd.Index(starts)


# --- spreadsheets -------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """One spreadsheet cell as the text a CSV export would hold.

    A date cell → 'YYYY-MM-DD' (its time kept only when it has one); a whole number →
    its digits without '.0' (99213.0 → '99213': a code, units or an NPI typed as a
    number); another number → Python's shortest repr ('62.5'), never rounded here; text
    stripped; an empty cell ''.
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def workbook_grids(name: str, raw: bytes, sheets: list[str] | None) -> Grids:
    """The named sheets (matched without case and surrounding blanks) as grids, merged
    cells filled (``fill_merged``)."""
    import openpyxl  # imported when a workbook is read: keeps CLI start-up fast

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors: all "not xlsx"
        raise InputFileError(
            name, None, "(file)", f"not a readable .xlsx workbook ({type(exc).__name__})"
        ) from None
    by_name = {ws.title.strip().lower(): ws for ws in book.worksheets}
    chosen = [book.worksheets[0]] if sheets is None else []
    for wanted in sheets or []:
        sheet = by_name.get(wanted.strip().lower())
        if sheet is None:
            have = ", ".join(repr(ws.title) for ws in book.worksheets)
            raise InputFileError(
                name, None, f"sheet {wanted!r}", f"not in the workbook (its sheets: {have})"
            )
        chosen.append(sheet)
    return [(ws.title, sheet_grid(ws)) for ws in chosen]


def sheet_grid(ws) -> pd.DataFrame:  # noqa: ANN001 - an openpyxl Worksheet
    """One worksheet as a grid indexed by its row numbers, merged cells filled."""
    values = list(ws.iter_rows(values_only=True))
    width = max((len(r) for r in values), default=1)
    grid = pd.DataFrame(values, columns=range(width), dtype=object)
    grid = (grid.map(cell_text) if len(grid) else grid).astype("str")
    grid.index = pd.RangeIndex(1, len(grid) + 1)
    return fill_merged(grid, [(r.min_row, r.max_row, r.min_col) for r in ws.merged_cells.ranges])


def fill_merged(grid: pd.DataFrame, ranges: list[tuple[int, int, int]]) -> pd.DataFrame:
    """Merged cells: a cell merged over several rows ('Effective 2025-01-01' beside a block
    of codes, a payer name over its rows) means that value on each row it spans, so its
    value is copied down its first column. Across columns a merged cell is one value shown
    wide (a title, a header over two columns): nothing is copied sideways. ``ranges`` are
    (first row, last row, first column), 1-based as in the sheet."""
    grid = grid.copy()
    for first, last, col in ranges:
        if last > first and first in grid.index:
            grid.loc[first:last, col - 1] = grid.at[first, col - 1]
    return grid
