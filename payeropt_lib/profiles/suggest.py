"""Draft a profile from a file's header and first rows (``payeropt profile suggest``).

It finds the header row (the first row as wide as the table whose cells are all names, not
values), then for each interface column of the kind looks for a source column whose name
says it (``HINTS``) and whose first values fit it (a date in one format, a procedure code,
money, an NPI, modifiers, diagnosis codes, whole numbers). What it cannot decide (two
columns that fit one target, a required column with no candidate, payer names to map) is
listed as ``unsure`` and written as comments in the YAML. It never imports anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
import yaml

from payeropt_lib.inputs import schemas

from . import sources, transforms

SAMPLE_ROWS = 50  # data rows looked at
TITLE_ROWS_MAX = 30  # how far down the header may be
# Date formats tried on a column's values, in this order (US practice systems first).
DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d", "%m-%d-%Y", "%d-%b-%Y", "%b %d, %Y")
_TOTAL = re.compile(r"(?i)^\s*((grand |sub|page |report )?totals?\b|end of\b)")
SKIP_TOTALS = r"(?i)^((grand |sub|page )?total|end of)"
PRODUCT_LINES = ("HMO", "PPO", "POS", "EPO", "INDEMNITY", "MEDICARE", "MEDICARE_ADVANTAGE",
                 "MEDICAID", "MEDICAID_MANAGED")  # fmt: skip

# Interface column → (how its values look, header patterns from strongest to weakest).
# Columns are claimed in this order, so the specific ones (secondary payer, line control
# number) come before the ones whose patterns would also match them.
HINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "secondary_payer_id": ("payer", (r"second",)),
    "primary_payer_id": ("payer", (r"primary", r"insurance|payer|carrier|plan name")),
    "line_control_number": ("id", (r"ctrl|control|lcn",)),
    "rendering_npi": ("npi", (r"npi", r"rendering")),
    "submitted_date": ("date", (r"billed|submit|sent|bill date|claim date",)),
    "posted_date": ("date", (r"post|deposit|entry|received",)),
    "effective_to": ("date", (r"end|thru|through|expir|term",)),
    "effective_from": ("date", (r"effective|start|from|begin",)),
    "renewal_date": ("date", (r"renew",)),
    "date_of_service": ("date", (r"^dos$|service date|date of service|svc date|from date",)),
    "date": ("date", (r"date|appt",)),
    "diagnosis_codes": ("list", (r"^dx|diag|icd",)),
    "modifiers": ("modifiers", (r"^mod|modifier",)),
    "modifier": ("modifier", (r"^mod|modifier",)),
    "procedure_code": ("code", (r"cpt|hcpcs|proc", r"code|service")),
    "units": ("number", (r"units?$|qty|quantity",)),
    "line_number": ("number", (r"^line|seq|^ln",)),
    "claim_id": ("id", (r"claim|encounter|ticket|visit",)),
    "patient_id": ("id", (r"acct|account|patient|mrn|chart",)),
    "place_of_service": ("pos", (r"^pos$|place",)),
    "product_line": ("text", (r"plan type|product|line of business|lob",)),
    "charge_amount": ("money", (r"charge|billed amt|fee|amount",)),
    "allowed_amount": ("money", (r"allow|fee|rate|price|amount",)),
    "amount": ("money", (r"amount|amt|paid|payment",)),
    "type": ("text", (r"trans.*code|type|code",)),
    "payer_id": ("payer", (r"payer|insurance|carrier|plan",)),
    "payer_name": ("text", (r"payer name|name",)),
    "payer_class": ("text", (r"class",)),
    "basis": ("text", (r"basis|method",)),
    "medicare_percent": ("number", (r"%|percent|pct",)),
    "medicare_locality": ("text", (r"locality",)),
    "reason": ("text", (r"reason", r"desc|comment|note|memo")),
}


@dataclass
class Suggestion:
    """A drafted profile: ``profile`` (the YAML document as data), ``unsure`` (what to
    review), and ``text`` (the YAML with the doubts as comments)."""

    profile: dict
    unsure: list[str] = field(default_factory=list)
    text: str = ""


def header_row(grid: pd.DataFrame) -> int:
    """The header's row number: the first of the top rows holding at least 60 % of the
    widest row's filled cells, none of which looks like a value (a number, date, money)."""
    top = grid.head(TITLE_ROWS_MAX)
    filled = top.ne("").sum(axis=1)
    width = int(filled.max()) if len(filled) else 0
    valueish = top.apply(lambda s: s.str.fullmatch(r"[-$(]?[\d.,/:$()% -]+")).fillna(False)
    for row in top.index:
        if filled[row] >= max(2, 0.6 * width) and not valueish.loc[row].any():
            return int(row)
    return int(top.index[0]) if len(top) else 1


def date_format(values: pd.Series) -> str | None:
    """The first of ``DATE_FORMATS`` that reads every non-blank value."""
    present = values[values != ""]
    if present.empty:
        return None
    for fmt in DATE_FORMATS:
        if _all(pd.to_datetime(present, format=fmt, errors="coerce").notna()):
            return fmt
    return None


FIT_SHARE = 0.75  # a column fits when this share of its values does (a stray footer row)


def _all(mask: pd.Series) -> bool:
    """Most values fit (``FIT_SHARE``): one footer or note line must not hide a column."""
    return bool(len(mask)) and float(mask.fillna(False).astype(bool).mean()) >= FIT_SHARE


def fits(look: str, values: pd.Series) -> dict | None:
    """How a column of ``values`` would be mapped as a ``look`` column, or None when its
    values do not look so. Blank cells fit anything; an all-blank column fits only the
    multi-column looks (modifier and diagnosis columns are often empty)."""
    present = values[values != ""]
    if present.empty:
        return {} if look in ("modifiers", "modifier", "list", "text", "id", "payer") else None
    if look == "date":
        fmt = date_format(present)
        if fmt:
            return {"type": "date", "formats": [fmt]}
        serial = present.str.fullmatch(r"\d{5}(?:\.0+)?")
        if _all(serial):
            return {"type": "date", "excel_serial": True}
        return None
    if look == "code":
        codes = transforms.procedure_code(present, pad_codes=True)
        ok = codes.notna() & codes.str.fullmatch(schemas.PROCEDURE_CODE).fillna(False)
        if not _all(ok):
            return None
        out: dict = {"type": "code"}
        if _all(present.str.fullmatch(r"[A-Za-z0-9]{5}")):
            return out if (present.str.len() == 5).all() else out | {"pad_codes": True}
        if present.str.fullmatch(r"\d{3,4}").any():
            out["pad_codes"] = True
        return out
    if look == "money":
        ok = transforms.money(present).notna()
        return {"type": "money"} if _all(ok) else None
    if look == "number":
        ok = transforms.whole_number(present).str.fullmatch(r"\d{1,9}")
        return {"type": "number"} if _all(ok) else None
    if look == "npi":
        return {} if _all(schemas.npi_valid(present)) else None
    if look in ("modifiers", "modifier"):
        ok = present.str.fullmatch(r"(?i)[A-Z0-9]{2}(?:[ ,:;]+[A-Z0-9]{2})*")
        return ({"type": "modifiers"} if look == "modifiers" else {}) if _all(ok) else None
    if look == "list":
        ok = present.str.fullmatch(rf"(?i){schemas.ICD10CM}(?:[ ,;]+{schemas.ICD10CM})*")
        return {"type": "list"} if _all(ok) else None
    if look == "pos":
        return {} if _all(present.str.fullmatch(r"\d{1,2}")) else None
    if look == "payer":
        return {"type": "payer"} if _all(present.str.contains(r"[A-Za-z]")) else None
    return {}


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


def match_columns(kind: str, header: list[str], body: pd.DataFrame) -> tuple[dict, list[str]]:
    """Interface column → its draft mapping (``{'from': ..., 'type': ...}``), and doubts."""
    spec = schemas.SPECS[kind]
    targets = [t for t in HINTS if t in {c.name for c in spec.columns}]
    named = [(pos, h) for pos, h in enumerate(header) if h.strip()]
    claimed: set[int] = set()
    columns: dict[str, dict] = {}
    unsure: list[str] = []
    for target in targets:
        look, patterns = HINTS[target]
        multi = spec.col(target).kind in ("modifiers", "icd10_list")
        found: list[tuple[int, int, str, dict]] = []
        for strength, pattern in enumerate(patterns):
            for pos, name in named:
                if pos in claimed or not re.search(pattern, _norm(name)):
                    continue
                how = fits(look, body[pos])
                if how is not None:
                    found.append((strength, pos, name, how))
            if found:
                break
        if not found:
            continue
        if multi:
            chosen = [f for f in found if f[0] == found[0][0]]
            claimed.update(f[1] for f in chosen)
            sources_ = [f[2] for f in chosen]
            how = chosen[0][3] | ({"type": look} if look in ("modifiers", "list") else {})
            columns[target] = {"from": sources_ if len(sources_) > 1 else sources_[0], **how}
            continue
        best = found[0]
        rivals = [f[2] for f in found[1:] if f[0] == best[0]]
        if rivals:
            unsure.append(f"{target}: took {best[2]!r}; {', '.join(map(repr, rivals))} also fit")
        claimed.add(best[1])
        columns[target] = {"from": best[2], **best[3]}
    return columns, unsure


def _sheet_product_lines(names: list[str]) -> dict[str, dict[str, str]] | None:
    """Sheets named after product lines ('HMO', 'Commercial PPO') → their product_line."""
    found = {}
    for name in names:
        words = re.findall(r"[A-Za-z_]+", name.upper().replace(" ", "_"))
        line = next((p for p in PRODUCT_LINES if p in name.upper().split() or p in words), None)
        if line:
            found[name] = {"product_line": line}
    return found if len(found) == len(names) and len(found) > 1 else None


def suggest(kind: str, name: str, raw: bytes) -> Suggestion:
    """A draft profile of ``kind`` for the file ``name`` holding ``raw``."""
    spec = schemas.SPECS[kind]
    grids = sources.read_grids(name, raw, None)
    sheets = None
    if sources.is_workbook(name, raw):
        import io

        import openpyxl

        titles = openpyxl.load_workbook(io.BytesIO(raw), read_only=True).sheetnames
        if "product_line" in {c.name for c in spec.columns}:
            sheets = _sheet_product_lines(titles)
        if len(titles) > 1 and sheets is None:
            others = ", ".join(map(repr, titles[1:]))
            unsure_sheets = [f"sheets: only the first sheet {titles[0]!r} is read; also {others}"]
        else:
            unsure_sheets = []
    else:
        unsure_sheets = []
    sheet, grid = grids[0]
    row = header_row(grid)
    header = list(grid.loc[row])
    body = grid.loc[grid.index > row]
    named = [p for p, h in enumerate(header) if h]
    again = pd.concat([body[p].str.lower().eq(header[p].lower()) for p in named], axis=1)
    body = body[body.ne("").any(axis=1) & ~again.all(axis=1)]
    totals = body.apply(lambda s: s.str.match(_TOTAL)).fillna(False)
    total_cols = [header[p] for p in totals.columns if totals[p].any() and header[p]]
    sample = body[~totals.any(axis=1)].head(SAMPLE_ROWS)
    columns, unsure = match_columns(kind, header, sample)
    if sources.is_workbook(name, raw):  # date cells arrive ISO; typed serials may follow
        for how in columns.values():
            if how.get("type") == "date":
                how["excel_serial"] = True
    for target, how in columns.items():
        for src in [how["from"]] if isinstance(how["from"], str) else how["from"]:
            misfits = _misfits(HINTS[target][0], sample[header.index(src)])
            if misfits:
                unsure.append(
                    f"{target}: some values of {src!r} do not fit (e.g. {misfits!r}): "
                    "a row to skip?"
                )
    unsure = unsure_sheets + unsure
    profile: dict = {
        "name": re.sub(r"[^a-z0-9]+", "-", name.rsplit(".", 1)[0].lower()).strip("-"),
        "kind": kind,
        "description": f"drafted by payeropt profile suggest from {name}; review before use",
        "header_row": row,
    }
    if sheets:
        profile["sheets"] = sheets
    profile["columns"] = columns
    given = set(columns) | {c for s in (sheets or {}).values() for c in s}
    missing = [c.name for c in spec.columns if c.required and c.name not in given]
    if missing:
        profile["constants"] = {m: "" for m in missing}
        unsure += [
            f"{m}: required, no column found: map it or fill in the constant" for m in missing
        ]
    for target, how in columns.items():
        codes = _codes_to_map(spec.col(target), sample[header.index(_src(how))])
        if codes:
            how["values"] = {c: "" for c in codes}
            unsure.append(f"{target}: fill in what each of {', '.join(codes)} means")
    payer_targets = [t for t, c in columns.items() if c.get("type") == "payer"]
    if payer_targets:
        names = pd.unique(pd.concat([body[header.index(_src(columns[t]))] for t in payer_targets]))
        names = sorted(n for n in names if n and not _TOTAL.match(n))
        profile["payers"] = {n: "" for n in names}
        unsure.append(f"payers: fill in the payer id of each of the {len(names)} names")
    if total_cols:
        profile["skip"] = {"rows": [{"column": total_cols[0], "matches": SKIP_TOTALS}]}
    unmatched = [h for h in header if h and h not in _used_sources(columns)]
    text = render(profile, unsure, unmatched)
    return Suggestion(profile, unsure, text)


def _misfits(look: str, values: pd.Series) -> str:
    """A value of a fitting column that does not fit on its own ('' when all do)."""
    present = values[values != ""]
    for value in present.drop_duplicates().head(200):
        if fits(look, pd.Series([value])) is None:
            return value
    return ""


def _codes_to_map(col: schemas.Col, values: pd.Series) -> list[str]:
    """An interface column with a fixed set of values (transaction type, payer class):
    the exported values that are not already one of them, to map under ``values:``."""
    kind = schemas.KINDS[col.kind]
    if col.kind in ("text", "id") or not kind.pattern or not kind.pattern.startswith("(?i:"):
        return []
    if not re.fullmatch(r"\(\?i:[A-Za-z_|]+\)", kind.pattern):
        return []
    present = pd.Series(values[values != ""].unique(), dtype=object)
    return sorted(present[~present.str.fullmatch(kind.pattern)].tolist())


def _src(column: dict) -> str:
    source = column["from"]
    return source if isinstance(source, str) else source[0]


def _used_sources(columns: dict) -> set[str]:
    used: set[str] = set()
    for c in columns.values():
        used.update([c["from"]] if isinstance(c["from"], str) else c["from"])
    return used


def _flow(value: object) -> str:
    """One value in YAML flow style, on one line (quoted where YAML needs it)."""
    text = yaml.safe_dump([value], default_flow_style=True, width=1000, sort_keys=False)
    return text.strip()[1:-1]


def render(profile: dict, unsure: list[str], unmatched: list[str]) -> str:
    """The draft as YAML, each doubt a comment (a blank payer id or constant is to fill)."""
    lines = [
        "# Drafted by `payeropt profile suggest`: a proposal, not a tested profile.",
        "# Review every mapping, fill in what is blank, then import with --profile.",
    ]
    lines += [f"# CHECK {u}" for u in unsure]
    if unmatched:
        lines.append(f"# not mapped (ignored on import): {', '.join(unmatched)}")
    for key, value in profile.items():
        if isinstance(value, dict) and value:
            lines.append(f"{key}:")
            for k, v in value.items():
                lines.append(f"  {_flow(k)}: {_flow(v)}")
        elif isinstance(value, dict):
            lines.append(f"{key}: {{}}")
        else:
            lines.append(f"{key}: {_flow(value)}")
    return "\n".join(lines) + "\n"
