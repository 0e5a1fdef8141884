"""One schema per input CSV of the interface (section 1), validated with pandera.

A file is read as text (every cell a string), validated lazily so every failure is
collected, and only then converted: dates to ``datetime64[ns]``, money to int64 cents
without passing through float, percents to exact ``*_x1000`` integers. The first
failures become one ``InputFileError`` naming file, row and column.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from payeropt_lib.errors import InputFileError

logger = logging.getLogger(__name__)

PAYER_CLASSES = (
    "MEDICARE",
    "MEDICAID",
    "COMMERCIAL",
    "MEDICARE_ADVANTAGE",
    "MEDICAID_MANAGED",
    "WORKERS_COMP",
    "SELF_PAY",
    "OTHER",
)
BASES = ("fee_schedule", "medicare_percent")
PAYMENT_RULES = ("contract", "medicare")  # contracts.csv payment_rules; the first is the default
TRANSACTION_TYPES = (
    "patient_payment",
    "secondary_payment",
    "refund",
    "contractual",
    "noncash_compliance",
    "courtesy",
    "bad_debt",
    "small_balance",
)
ENCOUNTER_TYPES = ("new", "established", "other")
MDM_LEVELS = ("straightforward", "low", "moderate", "high")
TRUE_WORDS = ("true",)

# CPT Category I (5 digits), II (4 digits + F), III (+T), PLA (+U), MAAA (+M); HCPCS II.
PROCEDURE_CODE = r"(?:\d{4}[0-9FTUM]|[A-V]\d{4})"
MODIFIER = r"[A-Z0-9]{2}"
ICD10CM = r"[A-TV-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?"
MONEY = r"-?\d{1,10}(?:\.\d{1,2})?"


@dataclass(frozen=True)
class Kind:
    """How one kind of value is checked and converted."""

    pattern: str | None = None  # full match on non-blank values
    reason: str = ""
    convert: str = "text"  # text|upper|lower|date|cents|int|bool|x1000|npi


KINDS: dict[str, Kind] = {
    "id": Kind(r"[^\x00-\x1f]{1,64}", "must be 1-64 printable characters"),
    "text": Kind(None),
    "upper": Kind(r"[A-Za-z0-9_ -]{1,32}", "must be letters, digits, '_' or '-'", "upper"),
    "date": Kind(r"\d{4}-\d{2}-\d{2}", "not a date (YYYY-MM-DD)", "date"),
    "money": Kind(
        r"\d{1,10}(?:\.\d{1,2})?",
        "not money (a plain non-negative decimal like 123.45, no '$', no thousands separator)",
        "cents",
    ),
    "signed_money": Kind(
        MONEY,
        "not money (a plain decimal like 123.45 or -12.50, no '$', no thousands separator)",
        "cents",
    ),
    "positive_int": Kind(r"0*[1-9]\d{0,8}(?:\.0*)?", "must be a positive whole number", "int"),
    "count": Kind(r"\d{1,9}(?:\.0*)?", "must be a non-negative whole number", "int"),
    "bool": Kind(r"(?i:true|false)", "must be true or false", "bool"),
    "percent": Kind(
        r"\d{1,4}(?:\.\d{1,3})?", "must be a positive percent like 125 or 112.5", "x1000"
    ),
    "procedure_code": Kind(
        rf"(?i:{PROCEDURE_CODE})",
        "not a CPT/HCPCS procedure code (5 characters, e.g. 99213 or J1100)",
        "upper",
    ),
    "pricing_modifier": Kind(r"(?i:26|TC)", "pricing modifier must be blank, 26 or TC", "upper"),
    "modifiers": Kind(
        rf"(?i:{MODIFIER}(?::{MODIFIER}){{0,3}})",
        "modifiers must be up to four 2-character codes separated by ':'",
        "upper",
    ),
    # contracts.csv medicare_year: "at 2024 Medicare rates" (the RBRVS began in 1992).
    "year": Kind(r"199[2-9]|20\d\d", "must be a year like 2024 (1992 or later)", "int"),
    "locality": Kind(r"\d{5}-\d{2}", "Medicare locality must look like 01112-05"),
    "npi": Kind(r"\d{10}", "NPI must be 10 digits with a valid check digit", "npi"),
    "icd10_list": Kind(
        rf"(?i:{ICD10CM}(?:;{ICD10CM})*)",
        "diagnosis codes must be ICD-10-CM codes separated by ';'",
        "upper",
    ),
    "pos": Kind(r"\d{2}", "place of service must be a two-digit code"),
    "mult_proc": Kind(r"[0-9]", "multiple-procedure indicator must be one digit 0-9"),
    # CMS's BILAT SURG, ASST SURG and CO-SURG indicators (PPRRVU; domain.md section 2.3).
    "indicator": Kind(r"[0-9]", "indicator must be one digit 0-9"),
    # CMS's GLOB DAYS: 000, 010, 090 or a letter code (MMM, XXX, YYY, ZZZ).
    "glob_days": Kind(
        r"(?i:000|010|090|MMM|XXX|YYY|ZZZ)",
        "global days must be 000, 010, 090, MMM, XXX, YYY or ZZZ",
        "upper",
    ),
    "procedure_list": Kind(
        rf"(?i:{PROCEDURE_CODE}(?:;{PROCEDURE_CODE})*)",
        "must be procedure codes separated by ';'",
        "upper",
    ),
    "aliases": Kind(r"[^;]+(?:;[^;]+)*", "aliases must be non-blank names separated by ';'"),
}


def _enum(choices: tuple[str, ...], case: str) -> Kind:
    return Kind(
        rf"(?i:{'|'.join(map(re.escape, choices))})", f"must be one of {', '.join(choices)}", case
    )


KINDS["payer_class"] = _enum(PAYER_CLASSES, "upper")
KINDS["basis"] = _enum(BASES, "lower")
KINDS["payment_rules"] = _enum(PAYMENT_RULES, "lower")
KINDS["transaction_type"] = _enum(TRANSACTION_TYPES, "lower")
KINDS["encounter_type"] = _enum(ENCOUNTER_TYPES, "lower")
KINDS["mdm_level"] = _enum(MDM_LEVELS, "lower")


@dataclass(frozen=True)
class Col:
    name: str
    kind: str
    required: bool = False  # column must be present and every value non-blank
    default: object = None  # value stored when blank (after conversion)
    store_as: str | None = None  # column name in the table, when it differs


@dataclass(frozen=True)
class FileSpec:
    """One input file of the interface: its columns, keys and table."""

    kind: str  # as on the command line: contracts, fee-schedules, ...
    columns: tuple[Col, ...]
    key: tuple[str, ...]  # unique within a file (stored names)
    period_key: tuple[str, ...] = ()  # effective-dated files: the key without the dates

    @property
    def table(self) -> str:
        """The table the file is stored in: its kind with '_' for '-'."""
        return self.kind.replace("-", "_")

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)

    @property
    def file_key(self) -> tuple[str, ...]:
        """The key in file column names (for messages)."""
        back = {c.store_as or c.name: c.name for c in self.columns}
        return tuple(back.get(k, k) for k in self.key)


# Column groups several files share (as the tables share them, see store/tables.py).
PAYER_PRODUCT = (Col("payer_id", "id", True), Col("product_line", "upper", default=""))
PRICED_CODE = (
    Col("procedure_code", "procedure_code", True),
    Col("modifier", "pricing_modifier", default=""),
)
PERIOD = (Col("effective_from", "date", True), Col("effective_to", "date"))

SPECS: dict[str, FileSpec] = {
    s.kind: s
    for s in (
        FileSpec(
            "contracts",
            (
                Col("payer_id", "id", True),
                Col("payer_name", "text", True),
                Col("product_line", "upper", default=""),
                Col("payer_class", "payer_class", True),
                Col("effective_from", "date", True),
                Col("renewal_date", "date"),
                Col("notice_days", "count", default=90),
                Col("basis", "basis", True),
                Col("medicare_percent", "percent", store_as="medicare_percent_x1000"),
                Col("medicare_locality", "locality"),
                Col("lesser_of_charges", "bool", default=True),
                Col("mppr_percent", "percent", default=50_000, store_as="mppr_percent_x1000"),
                Col("timely_filing_days", "count"),
                Col("payer_aliases", "aliases"),
                Col("appeal_days", "count", default=90),
                Col("payment_rules", "payment_rules", default="contract"),
                Col("medicare_year", "year"),
            ),
            key=("payer_id", "product_line", "effective_from"),
        ),
        FileSpec(
            "fee-schedules",
            (
                *PAYER_PRODUCT,
                *PRICED_CODE,
                Col("allowed_amount", "money", True, store_as="allowed_cents"),
                *PERIOD,
            ),
            key=("payer_id", "product_line", "procedure_code", "modifier", "effective_from"),
            period_key=("payer_id", "product_line", "procedure_code", "modifier"),
        ),
        FileSpec(
            "medicare-fees",
            (
                Col("locality", "locality", True),
                *PRICED_CODE,
                *PERIOD,
                Col("non_facility_amount", "money", True, store_as="non_facility_cents"),
                Col("facility_amount", "money", True, store_as="facility_cents"),
                Col("mult_proc", "mult_proc"),
                Col("bilat_surg", "indicator"),
                Col("asst_surg", "indicator"),
                Col("co_surg", "indicator"),
                Col("endo_base", "procedure_code"),
                Col("glob_days", "glob_days"),
            ),
            key=("locality", "procedure_code", "modifier", "effective_from"),
            period_key=("locality", "procedure_code", "modifier"),
        ),
        FileSpec(
            "charges",
            (
                Col("claim_id", "id", True),
                Col("line_number", "positive_int", True),
                Col("line_control_number", "id"),
                Col("patient_id", "id", True),
                Col("date_of_service", "date", True),
                Col("procedure_code", "procedure_code", True),
                Col("modifiers", "modifiers", default=""),
                Col("units", "positive_int", True),
                Col("charge_amount", "money", True, store_as="charge_cents"),
                Col("primary_payer_id", "id", True),
                Col("product_line", "upper", default=""),
                Col("secondary_payer_id", "id"),
                Col("place_of_service", "pos"),
                Col("rendering_npi", "npi"),
                Col("diagnosis_codes", "icd10_list"),
                Col("submitted_date", "date"),
            ),
            key=("claim_id", "line_number"),
        ),
        FileSpec(
            "transactions",
            (
                Col("claim_id", "id", True),
                Col("line_number", "positive_int", default=0),
                Col("posted_date", "date", True),
                Col("type", "transaction_type", True),
                Col("amount", "signed_money", True, store_as="amount_cents"),
                Col("payer_id", "id"),
                Col("reason", "text"),
            ),
            key=("claim_id", "line_number", "posted_date", "type", "occurrence"),
        ),
        FileSpec(
            "encounters",
            (
                Col("claim_id", "id", True),
                Col("encounter_type", "encounter_type", True),
                Col("total_time_minutes", "count"),
                Col("mdm_level", "mdm_level"),
                Col("documented_findings", "text"),
                Col("note_text", "text"),
            ),
            key=("claim_id",),
        ),
        FileSpec(
            "appointments",
            (
                Col("appointment_id", "id", True),
                Col("date", "date", True),
                Col("patient_id", "id", True),
                *PAYER_PRODUCT,
                Col("visit_type", "text", True),
                Col("planned_procedure_codes", "procedure_list"),
            ),
            key=("appointment_id",),
        ),
    )
}


# --- reading ----------------------------------------------------------------------------


# Signatures of files that are not text, as they are sometimes exported or renamed to .csv.
BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\x1f\x8b": "a gzip archive",
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx is one)",
    b"\xd0\xcf\x11\xe0": "an Excel .xls or other Office file",
    b"%PDF-": "a PDF document",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
}
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _binary_kind(raw: bytes) -> str | None:
    """What a file that is not text looks like ('' when unknown); None for text."""
    for magic, kind in BINARY_MAGIC.items():
        if raw.startswith(magic):
            return kind
    head = raw[:8192]
    controls = sum(head.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32)))
    return "" if b"\x00" in head or controls > len(head) // 20 else None


def _fields(line: str) -> list[str]:
    """The names of a header line as written (its line end dropped); a stray carriage
    return, which the csv module cannot read unquoted, is kept out of the names."""
    line = line.removesuffix("\r")
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return next(csv.reader([line.replace("\r", "")]), [])


def header_of(text: str) -> list[str]:
    """The header's column names exactly as written (BOM and line end removed)."""
    return _fields(text.split("\n", 1)[0])


def read_text(name: str, raw: bytes) -> str:
    """Decode UTF-8 (a BOM is fine); any other bytes refuse the file at the bad byte, and
    a file that is not text at all (an image, an archive) is refused as such."""
    if not raw.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise InputFileError(name, 1, "(header)", "the file is empty")
    if raw.startswith(UTF16_BOMS):
        raise InputFileError(
            name, None, "(file)", "UTF-16 text, not UTF-8; save the file as UTF-8 (CSV UTF-8)"
        )
    kind = _binary_kind(raw)
    if kind is not None:
        looks = f" (it looks like {kind})" if kind else ""
        raise InputFileError(
            name, None, "(file)", f"not a text CSV file{looks}; export the data as CSV"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        row = raw.count(b"\n", 0, exc.start) + 1
        header = _fields(raw.split(b"\n", 1)[0].decode("utf-8-sig", "replace"))
        prefix = raw[line_start : exc.start].decode("utf-8", "replace")
        position = len(_fields(prefix) or [""]) - 1 if prefix else 0
        column = header[position].strip() if position < len(header) else f"#{position + 1}"
        raise InputFileError(
            name,
            row,
            column,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
        ) from None


def _check_line_ends(name: str, text: str) -> None:
    """A carriage return inside the header line (not its CRLF end) splits a name in two for
    every CSV reader: refuse the file naming the column, not with a parser's traceback."""
    line = text.split("\n", 1)[0].removesuffix("\r")
    at = line.find("\r")
    if at < 0:
        return
    position = line.count(",", 0, at)
    written = line.split(",")[position]
    column = written.replace("\r", "").strip().strip('"') or f"#{position + 1}"
    raise InputFileError(
        name,
        1,
        column,
        f"the header name {written!r} holds a carriage return; remove it, or save the file "
        "with LF or CRLF line ends",
    )


def file_bytes(path: Path) -> bytes:
    """A user's input file, whole; one that cannot be read is refused naming it."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(
            Path(path).name, None, "(file)", f"cannot be read: {exc.strerror}"
        ) from None


def parser_error(name: str, exc: pd.errors.ParserError) -> InputFileError:
    """pandas' CSV parser error as the refusal naming the file and its line."""
    match = re.search(r"line (\d+), saw (\d+)", str(exc))
    row = int(match.group(1)) if match else None
    return InputFileError(name, row, "(row)", f"cannot be read as CSV: {exc}".strip())


def read_csv(name: str, raw: bytes) -> tuple[pd.DataFrame, str]:
    """The file as a frame, every cell a stripped string ('' when blank), header names
    lower-cased; and its text (what ``row_of`` and ``validate`` read).

    Arrow's multi-threaded reader does the work (a million lines in about a second); a file
    it cannot read goes to pandas' parser, which either reads it or names the bad line.
    The frame's index is the 0-based record number; ``row_of`` maps it to a file row.
    Line ends: LF, CRLF, and CR only (old Mac exports; read as LF, so rows count the same).
    """
    if b"\r" in raw and b"\n" not in raw:
        raw = raw.replace(b"\r", b"\n")
    text = read_text(name, raw)
    _check_line_ends(name, text)
    frame = _read_arrow(raw)
    if frame is None:
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
                engine="c",
            )
        except pd.errors.ParserError as exc:
            raise parser_error(name, exc) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    dupes = frame.columns[frame.columns.duplicated()]
    if len(dupes):
        raise InputFileError(name, 1, dupes[0], "the header names this column twice")
    if frame.empty:
        raise InputFileError(name, 2, "(data)", "the file has a header but no data rows")
    return frame.apply(lambda s: s.str.strip()), text


def _read_arrow(raw: bytes) -> pd.DataFrame | None:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    header = _fields(raw.split(b"\n", 1)[0].decode("utf-8-sig"))
    try:
        table = pa_csv.read_csv(
            io.BytesIO(raw),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if len(set(header)) != len(header) or table.num_columns != len(header):
        return None  # pandas names duplicate headers (a, a.1): let it, then refuse
    return table.to_pandas(
        types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get
    )


def row_of(text_has_quotes_newlines: bool, text: str, index: int) -> int:
    """File row (header = 1) of record ``index``; exact even with quoted line breaks."""
    if not text_has_quotes_newlines:
        return index + 2
    reader = csv.reader(io.StringIO(text))
    line = 1
    try:
        next(reader)
        for i, _ in enumerate(reader):
            if i == index:
                return line + 1
            line = reader.line_num
    except csv.Error:  # a stray carriage return in a field: count records instead
        pass
    return index + 2


# --- validation -------------------------------------------------------------------------


def _check(kind: Kind, required: bool) -> list:
    import pandera.pandas as pa  # imported on first validation: keeps CLI start-up fast

    checks: list[pa.Check] = []
    if required:
        checks.append(pa.Check(lambda s: s.str.len() > 0, error="a value is required"))
    if kind.pattern:
        pattern = kind.pattern
        checks.append(
            pa.Check(lambda s, p=pattern: (s == "") | s.str.fullmatch(p), error=kind.reason)
        )
    if kind.convert == "date":
        checks.append(
            pa.Check(
                lambda s: (
                    (s == "")
                    | pd.to_datetime(s, format="%Y-%m-%d", errors="coerce").notna()
                    | ~s.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
                ),
                error="not a real calendar date",
            )
        )
    if kind.convert == "npi":
        checks.append(pa.Check(lambda s: (s == "") | npi_valid(s), error=kind.reason))
    return checks


def schema_for(spec: FileSpec):
    """The pandera schema of one input file (``pandera.pandas.DataFrameSchema``)."""
    import pandera.pandas as pa

    columns = {
        c.name: pa.Column(
            str, checks=_check(KINDS[c.kind], c.required), required=c.required, nullable=False
        )
        for c in spec.columns
    }
    # strict=False: unknown extra columns are ignored, never an error (interface §1).
    return pa.DataFrameSchema(columns, strict=False, name=spec.kind, coerce=False)


def npi_valid(values: pd.Series) -> pd.Series:
    """NPI Luhn check (prefix 80840), vectorized over unique values."""
    uniques = pd.Series(values.unique())
    ok = uniques.str.fullmatch(r"\d{10}")
    digits = np.zeros((len(uniques), 10), dtype=np.int64)
    good = uniques[ok]
    if len(good):
        digits[ok.to_numpy()] = np.array([list(map(int, v)) for v in good], dtype=np.int64)
    body = digits[:, :9]
    doubled = body[:, ::2] * 2  # positions 1,3,5,7,9 from the left are doubled
    doubled = doubled // 10 + doubled % 10
    total = 24 + doubled.sum(axis=1) + body[:, 1::2].sum(axis=1)  # 24 = the 80840 prefix
    check = (10 - total % 10) % 10
    valid = pd.Series(ok.to_numpy() & (check == digits[:, 9]), index=uniques)
    return values.map(valid).astype(bool)


def _squashed(name: str) -> str:
    """A column name without case, blanks and punctuation: 'Claim ID' → 'claimid'."""
    return re.sub(r"[\W_]+", "", name.lower())


def check_header(name: str, spec: FileSpec, header: list[str]) -> None:
    """Header names match the interface's exactly, but for case and surrounding blanks. A
    name that differs only by blanks or punctuation ('Claim ID', 'claim-id') is refused,
    naming both: it is not guessed at, and an optional column spelled so would otherwise
    be ignored as an unknown extra column without a word."""
    present = {h.strip().lower() for h in header}
    near = [
        (col.name, written)
        for col in spec.columns
        if col.name not in present
        for written in header
        if _squashed(written) == _squashed(col.name)
    ]
    if near:
        found = [
            (1, column, f"saw {written!r}; the column is {column}") for column, written in near
        ]
        total = len(found) if len(found) > 1 else None
        raise InputFileError(name, *found[0], tuple(found[1:4]), total)


# Where record ``index``'s value of interface column ``column`` is in the user's own file:
# (row, column as the user wrote it). A CSV in the interface's columns is its own answer
# (``row_of``); a file read through a mapping profile (payeropt_lib.profiles) answers with
# its source row, source column and sheet.
Locate = Callable[[int, str], tuple[int | None, str]]


def csv_locator(text: str) -> Locate:
    """``Locate`` for an interface CSV of ``text``: its file row, the column itself."""
    quoted = '"' in text and "\n" in text
    return lambda index, column: (row_of(quoted, text, index), column)


def validate(
    name: str, spec: FileSpec, frame: pd.DataFrame, text: str, locate: Locate | None = None
) -> None:
    """The header (``check_header``), then lazy pandera validation; raises one
    InputFileError carrying the first failures. ``locate`` names rows and columns in the
    user's file when ``frame`` was mapped from another layout (no header to check then:
    the profile named each column)."""
    from pandera.errors import SchemaErrors

    if locate is None:
        check_header(name, spec, header_of(text))
    try:
        schema_for(spec).validate(frame, lazy=True)
    except SchemaErrors as exc:
        raise _as_input_error(
            name, spec, frame, text, exc.failure_cases, locate or csv_locator(text)
        ) from None


def _as_input_error(
    name: str,
    spec: FileSpec,
    frame: pd.DataFrame,
    text: str,
    cases: pd.DataFrame,
    locate: Locate,
) -> InputFileError:
    order = {c.name: i for i, c in enumerate(spec.columns)}
    problems: list[tuple[float, int, int | None, str, str]] = []
    header = list(frame.columns)
    for case in cases.itertuples(index=False):
        column = str(case.column) if case.column is not None else ""
        if case.check == "column_in_dataframe":
            missing = str(case.failure_case)
            hint = ""
            if len(header) == 1 and any(d in header[0] for d in ";\t|"):
                hint = f" (the header reads as one column {header[0]!r}: is it comma-separated?)"
            problems.append(
                (0, order.get(missing, 99), 1, missing, f"required column missing{hint}")
            )
            continue
        if pd.isna(case.index):
            continue
        index = int(case.index)
        value = frame.at[index, column] if column in frame.columns else case.failure_case
        reason = str(case.check)
        if reason != "a value is required":
            reason = f"{reason} (got {str(value)[:40]!r})"
        problems.append((1 + index, order.get(column, 99), index, column, reason))
    problems.sort(key=lambda p: (p[0], p[1]))
    resolved = [
        (1, p[3], p[4]) if p[2] == 1 and p[0] == 0 else (*locate(p[2], p[3]), p[4])
        for p in problems[:4]
    ]
    first = resolved[0]
    return InputFileError(name, first[0], first[1], first[2], tuple(resolved[1:]), len(problems))


# --- conversion -------------------------------------------------------------------------


def to_cents(values: pd.Series) -> pd.Series:
    """'123.45' → 12345 exactly, no float on the way ('' → <NA>); input already validated.

    The digits without the point are an integer; scaling by 10**(2 - decimals) makes cents.
    """
    present = values != ""
    text = values[present]
    dot = text.str.find(".").to_numpy()
    decimals = np.where(dot >= 0, text.str.len().to_numpy() - dot - 1, 0)
    digits = text.str.replace(".", "", regex=False).astype("int64").to_numpy()
    cents = pd.Series(pd.NA, index=values.index, dtype="Int64")
    cents[present] = digits * (10 ** (2 - decimals))
    return cents


def to_x1000(values: pd.Series) -> pd.Series:
    """'112.5' → 112500 exactly; '' → <NA>."""
    parts = values.str.extract(r"^(\d+)(?:\.(\d{1,3}))?$")
    whole = pd.to_numeric(parts[0], errors="coerce").astype("Int64")
    frac = pd.to_numeric(parts[1].fillna("").str.ljust(3, "0"), errors="coerce")
    return whole * 1000 + frac.fillna(0).astype("Int64")


def convert(spec: FileSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Validated strings → typed columns under their stored names, defaults applied."""
    out: dict[str, pd.Series] = {}
    for col in spec.columns:
        raw = frame[col.name] if col.name in frame.columns else pd.Series("", index=frame.index)
        blank = raw == ""
        how = KINDS[col.kind].convert
        if how == "date":
            value = pd.to_datetime(raw.where(~blank), format="%Y-%m-%d").astype("datetime64[ns]")
        elif how == "cents":
            value = to_cents(raw)
        elif how == "x1000":
            value = to_x1000(raw)
        elif how == "int":
            value = pd.to_numeric(
                raw.str.replace(r"\.0*$", "", regex=True).where(~blank), errors="coerce"
            ).astype("Int64")
        elif how == "bool":
            value = raw.str.lower().isin(TRUE_WORDS).astype("boolean").where(~blank)
        elif how == "upper":
            value = raw.str.upper()
        elif how == "lower":
            value = raw.str.lower()
        else:
            value = raw
        if col.default is not None:
            value = value.where(~blank, col.default)
        elif how in ("text", "upper", "lower", "npi"):
            value = value.where(~blank, pd.NA)
        out[col.store_as or col.name] = value
    typed = pd.DataFrame(out, index=frame.index)
    for name in typed.columns:
        if typed[name].dtype == "Int64" and not typed[name].isna().any():
            typed[name] = typed[name].astype("int64")
        elif str(typed[name].dtype) == "boolean" and not typed[name].isna().any():
            typed[name] = typed[name].astype(bool)
    return typed
