"""What a mapping profile says, validated with pydantic (docs/profiles.md, "The format").

A profile is YAML: the interface file kind it produces, where the header is (title rows
above it), which sheets of a spreadsheet, each interface column's source column and its
transformation, constant columns, payer names → ids, and rows to skip. ``load`` reads a
shipped profile (``data/profiles/NAME.yaml``) or a file and refuses one that does not say
a usable profile with a ``ProfileError`` naming the place in it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from payeropt_lib import config
from payeropt_lib.errors import ProfileError
from payeropt_lib.inputs import schemas

PROFILES_DIR = config.DATA_DIR / "profiles"
# The interface kinds a profile can produce (interface section 1, CSV inputs).
KINDS = tuple(schemas.SPECS)
TYPES = ("text", "date", "money", "code", "modifiers", "list", "payer", "number")
# Transformations that join several source columns (or split one): their separator.
SEPARATORS = {"modifiers": ":", "list": ";"}


class Column(BaseModel):
    """One interface column: where it comes from and how it is transformed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str | list[str] = Field(alias="from")
    type: Literal["text", "date", "money", "code", "modifiers", "list", "payer", "number"] = "text"
    formats: list[str] = []  # date: strptime patterns, tried in order (ISO always read)
    excel_serial: bool = False  # date: whole numbers are Excel serial days
    decimal_comma: bool = False  # money: '1.234,50'
    pad_codes: bool = False  # code: 3-4 digit numbers get their leading zeros back
    fill_down: bool = False  # a blank cell takes the value above it (grouped reports)
    values: dict[str, str] = {}  # text: value as exported → interface value ('PP': ...)

    @property
    def sources(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)

    @model_validator(mode="after")
    def _fits_type(self) -> Column:
        if not self.sources or any(not s.strip() for s in self.sources):
            raise ValueError("'from' must name a source column")
        if len(self.sources) > 1 and self.type not in SEPARATORS:
            raise ValueError(
                f"several source columns need type modifiers or list, not {self.type}"
            )
        if self.formats and self.type != "date":
            raise ValueError("'formats' is for type date")
        if self.values and self.type != "text":
            raise ValueError("'values' is for type text (payer names go under 'payers:')")
        for fmt in self.formats:
            if "%" not in fmt:
                raise ValueError(f"date format {fmt!r} is not a strptime pattern like %m/%d/%Y")
        return self


class SkipRule(BaseModel):
    """Skip a row where a source column (``*``: any column) matches a regular expression."""

    model_config = ConfigDict(extra="forbid")

    column: str
    matches: str

    @field_validator("matches")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class Skip(BaseModel):
    """Rows that are not data. Blank rows are always skipped."""

    model_config = ConfigDict(extra="forbid")

    repeated_headers: bool = True  # a page header printed again mid-report
    rows: list[SkipRule] = []  # totals, subtotals, footers


class Profile(BaseModel):
    """A whole profile (the YAML document)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal[KINDS]  # type: ignore[valid-type]
    description: str = ""
    header_row: int = Field(1, ge=1)  # rows above it are title rows
    sheets: dict[str, dict[str, str]] | None = None  # sheet → its constant columns
    columns: dict[str, Column]
    constants: dict[str, str] = {}
    payers: dict[str, str] = {}  # payer name as exported → payer id
    skip: Skip = Skip()

    @field_validator("columns", mode="before")
    @classmethod
    def _plain_names(cls, value: object) -> object:
        """``target: Source name`` is short for ``target: {from: Source name}``."""
        if isinstance(value, dict):
            return {k: {"from": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _covers_kind(self) -> Profile:
        spec = schemas.SPECS[self.kind]
        known = {c.name for c in spec.columns}
        sheet_constants = [set(c) for c in (self.sheets or {}).values()]
        for group, names in (
            ("columns", set(self.columns)),
            ("constants", set(self.constants)),
            *(("sheets", s) for s in sheet_constants),
        ):
            unknown = sorted(names - known)
            if unknown:
                raise ValueError(
                    f"{group}: {', '.join(unknown)} not a column of {self.kind} "
                    f"(one of {', '.join(sorted(known))})"
                )
        by_sheet = {c for s in sheet_constants for c in s}
        both = sorted(set(self.columns) & (set(self.constants) | by_sheet))
        if both:
            raise ValueError(f"{', '.join(both)} both mapped and constant")
        given = set(self.columns) | set(self.constants)
        for required in (c.name for c in spec.columns if c.required):
            if required in given:
                continue
            if sheet_constants and all(required in s for s in sheet_constants):
                continue
            raise ValueError(f"the required column {required} is neither mapped nor constant")
        if any(c.type == "payer" for c in self.columns.values()) and not self.payers:
            raise ValueError("a payer column needs 'payers:' (name as exported: payer id)")
        return self

    def column(self, target: str) -> Column:
        return self.columns[target]


def locate_profile(name: str) -> Path:
    """A shipped profile's file (``data/profiles/NAME.yaml``), else ``name`` as a path."""
    shipped = PROFILES_DIR / f"{name}.yaml"
    if "/" not in name and "\\" not in name and shipped.is_file():
        return shipped
    return Path(name)


def load(name: str) -> tuple[Profile, str]:
    """The profile ``name`` (shipped, or a YAML file) and its text."""
    path = locate_profile(name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        shipped = ", ".join(shipped_names()) or "none"
        raise ProfileError(
            name, "(file)", f"no such profile or file (shipped profiles: {shipped})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(name, "(file)", f"cannot be read: {exc}") from None
    return parse(name, text), text


def parse(name: str, text: str) -> Profile:
    """``text`` as a profile, or a ProfileError naming the first place that is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(yaml)"
        raise ProfileError(name, where, f"not YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ProfileError(name, "(document)", "a profile is a YAML mapping (name:, kind:, ...)")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise ProfileError(name, where, first["msg"].removeprefix("Value error, ")) from None


def shipped_names() -> list[str]:
    """The profiles shipped in ``data/profiles``."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))
