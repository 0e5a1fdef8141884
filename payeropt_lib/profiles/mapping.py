"""Apply a profile to a file: the practice's export → rows in the interface's columns.

``apply`` takes the grids (``sources``) and returns the interface frame (every cell a
string, as an interface CSV reads) and a ``schemas.Locate`` that names, for any record and
interface column, the row, column and sheet of the user's file. A file the profile does not
fit (a mapped column missing, a date not in the declared format, money that does not parse,
a payer name the profile does not map) is refused with one ``InputFileError`` naming them.
``import_source`` wraps it all as the ``imports.Source`` that ``import_file`` takes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from payeropt_lib.errors import InputFileError, ProfileError
from payeropt_lib.inputs import imports, schemas

from . import sources, transforms
from .model import SEPARATORS, Column, Profile, load

ROW = "_row"  # the source row number of each record
SHEET = "_sheet"  # its sheet ('' for a CSV)


@dataclass(frozen=True)
class Mapped:
    """A file mapped through a profile: ``frame`` in interface columns (strings) and, per
    record, its source row and sheet; ``labels``: interface column → the source column(s)
    it came from, as the user wrote them."""

    frame: pd.DataFrame
    rows: pd.Series
    sheets: pd.Series
    labels: dict[str, str]

    def locate(self, index: int, column: str) -> tuple[int | None, str]:
        """Row and column in the user's file (``schemas.Locate``)."""
        label = "+".join(self.labels.get(part, part) for part in column.split("+"))
        if not 0 <= index < len(self.rows):
            return None, label
        sheet = self.sheets.iat[index]
        return int(self.rows.iat[index]), label + (f" in sheet {sheet!r}" if sheet else "")


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


def header_positions(
    name: str, profile: Profile, sheet: str | None, grid: pd.DataFrame
) -> tuple[list[str], dict[str, int]]:
    """The header's names (at ``profile.header_row``) and each source column the profile
    uses → its position; a used column missing from the header refuses the file."""
    in_sheet = f" in sheet {sheet!r}" if sheet else ""
    if profile.header_row not in grid.index:
        raise InputFileError(
            name,
            profile.header_row,
            "(header)",
            f"the file{in_sheet} has no row {profile.header_row}",
        )
    header = list(grid.loc[profile.header_row])
    positions: dict[str, int] = {}
    twice: set[str] = set()
    for pos, written in enumerate(header):
        if _norm(written) in positions:
            twice.add(_norm(written))
        positions.setdefault(_norm(written), pos)
    used = [(t, s) for t, c in profile.columns.items() for s in c.sources]
    used += [(None, rule.column) for rule in profile.skip.rows if rule.column != "*"]
    for target, src in used:
        if _norm(src) not in positions:
            shown = ", ".join(h for h in header if h) or "nothing"
            why = f" (mapped to {target})" if target else " (named in skip)"
            raise InputFileError(
                name,
                profile.header_row,
                src + in_sheet,
                f"not in the header{why} of profile {profile.name}; the header has: {shown}",
            )
        if _norm(src) in twice:
            why = "the header names this column twice: the profile cannot tell which is meant"
            raise InputFileError(name, profile.header_row, src + in_sheet, why)
    return header, positions


def data_rows(profile: Profile, header: list[str], grid: pd.DataFrame, positions) -> pd.Series:
    """Which rows below the header are data: not blank, not the header printed again, not
    matched by a skip rule (totals, footers)."""
    body = grid.loc[grid.index > profile.header_row]
    keep = body.ne("").any(axis=1)
    if profile.skip.repeated_headers:
        named = [p for p, h in enumerate(header) if h]
        if named:
            again = pd.concat(
                [body[p].str.lower().eq(header[p].lower()) for p in named], axis=1
            ).all(axis=1)
            keep &= ~again
    for rule in profile.skip.rows:
        pattern = re.compile(rule.matches)
        cells = body if rule.column == "*" else body[[positions[_norm(rule.column)]]]
        hit = cells.apply(lambda s, p=pattern: s.str.count(p).gt(0)).any(axis=1)
        keep &= ~hit
    return keep


def sheet_records(
    name: str, profile: Profile, sheet: str | None, grid: pd.DataFrame
) -> pd.DataFrame:
    """The data rows of one grid: each used source column under its profile name, plus the
    row number, the sheet, and the sheet's constant columns."""
    header, positions = header_positions(name, profile, sheet, grid)
    keep = data_rows(profile, header, grid, positions)
    body = grid.loc[keep[keep].index]
    columns = {
        src: body[positions[_norm(src)]] for c in profile.columns.values() for src in c.sources
    }
    records = pd.DataFrame(columns, index=body.index)
    records[ROW] = body.index
    records[SHEET] = sheet or ""
    if profile.sheets and sheet is not None:
        constants = next((v for k, v in profile.sheets.items() if _norm(k) == _norm(sheet)), {})
        for target, value in constants.items():
            records["=" + target] = value
    return records.reset_index(drop=True)


def transform(column: Column, records: pd.DataFrame, payers: dict[str, str]) -> pd.Series:
    """One interface column from its source column(s) by the column's type."""
    cells = records[column.sources]
    if column.fill_down:
        cells = cells.apply(transforms.fill_down)
    first = cells.iloc[:, 0]
    kind = column.type
    if kind in SEPARATORS:
        sep = SEPARATORS[kind]
        split = cells.apply(lambda s: transforms.split_list(s, sep))
        return split.iloc[:, 0] if split.shape[1] == 1 else transforms.join_columns(split, sep)
    if kind == "date":
        return transforms.dates(first, column.formats, column.excel_serial)
    if kind == "money":
        return transforms.money(first, column.decimal_comma)
    if kind == "code":
        return transforms.procedure_code(first, column.pad_codes)
    if kind == "payer":
        return transforms.payer_ids(first, payers)
    if kind == "number":
        return transforms.whole_number(first)
    if column.values:
        return transforms.lookup(first, column.values)
    return first


def _reason(column: Column, value: str) -> str:
    got = f"(got {value[:40]!r})"
    if column.type == "date":
        shown = ", ".join([*column.formats, transforms.ISO_DATE])
        serial = " or an Excel serial day" if column.excel_serial else ""
        return f"not a date in the profile's formats {shown}{serial} {got}"
    if column.type == "money":
        return f"not money like $1,234.50, -12.00 or (12.00) {got}"
    if column.type == "code":
        return f"does not start with a procedure code {got}"
    if column.type == "text":
        listed = ", ".join(list(column.values)[:8])
        return f"{value[:40]!r} is not one of the profile's values ({listed})"
    return (
        f"unknown payer name {value[:40]!r}: add it under 'payers:' in the profile "
        "(name as exported: payer id)"
    )


def apply(profile: Profile, name: str, grids: sources.Grids) -> Mapped:
    """The file's rows in interface columns, or InputFileError naming the source row,
    column and sheet of the first values the profile cannot read."""
    parts = [sheet_records(name, profile, sheet, grid) for sheet, grid in grids]
    records = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    labels: dict[str, str] = {}
    out: dict[str, pd.Series] = {}
    problems: list[tuple[int, int, str, str]] = []
    for order, (target, column) in enumerate(profile.columns.items()):
        labels[target] = "+".join(column.sources)
        if records.empty:
            continue
        value = transform(column, records, profile.payers)
        first = records[column.sources[0]]
        bad = value.isna() & first.ne("")
        for index in bad[bad].index[:4]:
            problems.append((int(index), order, target, _reason(column, first.iat[index])))
        problems.extend((int(i), order, target, "") for i in bad[bad].index[4:])
        out[target] = value.fillna("")
    for target, value in profile.constants.items():
        labels[target] = f"(profile constant {target})"
        out[target] = pd.Series(value, index=records.index, dtype=object)
    for target in {c for sheet in (profile.sheets or {}).values() for c in sheet}:
        labels[target] = f"(sheet constant {target})"
        out[target] = records.get("=" + target, pd.Series("", index=records.index)).fillna("")
    if records.empty:
        raise InputFileError(
            name, profile.header_row + 1, "(data)", "no data rows below the header"
        )
    mapped = Mapped(
        pd.DataFrame(out, index=records.index).astype("str"),
        records[ROW],
        records[SHEET],
        labels,
    )
    if problems:
        problems.sort(key=lambda p: (p[0], p[1]))
        shown = [(*mapped.locate(i, c), why) for i, _, c, why in problems if why][:4]
        raise InputFileError(name, *shown[0], tuple(shown[1:]), len(problems))
    return mapped


def import_source(kind: str, path: Path | str, profile_name: str) -> imports.Source:
    """What ``imports.import_file(source=)`` takes to import ``path`` through the profile:
    the digest of file and profile (re-importing both changes nothing), and the read."""
    profile, text = load(profile_name)
    if profile.kind != kind:
        raise ProfileError(profile_name, "kind", f"maps {profile.kind} files, not {kind}")
    path = Path(path)
    raw = schemas.file_bytes(path)
    digest = hashlib.sha256(raw + b"\0profile\0" + text.encode("utf-8")).hexdigest()

    def read() -> tuple[pd.DataFrame, schemas.Locate]:
        grids = sources.read_grids(
            path.name, raw, list(profile.sheets) if profile.sheets else None
        )
        mapped = apply(profile, path.name, grids)
        return mapped.frame, mapped.locate

    return imports.Source(digest, read, profile=f"{profile.name} ({profile_name})")
