"""For random encounters, no ICD-10-CM suggestion lacks a documented fact it depends on.

The check does not reuse the engine's reading of the hierarchy: it reads the suggested and
the billed codes' descriptions in simple-icd-10-cm. Each side ("right", "left",
"bilateral") and each 7th-character meaning ("initial encounter", "closed fracture",
"routine healing"...) that the suggested code's description says and the billed code's
does not must be a documented fact named in ``support``, and each fact named must be
documented with that value and said by the description. The code suggested is billable in
the code set in force on the date of service, and only a date a loaded release covers gets
one."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib.coding import code_sets, hierarchy, icd10

FY2026 = code_sets.billable(code_sets.APRIL_2026)
FY2025_ONLY = sorted(code_sets.billable(code_sets.APRIL_2025).members - FY2026.members)
# Families where the side and the 7th character decide (and some where they do not).
ROOTS = [
    "M17", "M171", "M1710", "S9340", "S93409A", "S5252", "S52521", "T1490", "G560", "G5600",
    "H650", "H6500", "H103", "M2556", "S42001", "H4011", "H40111", "C56", "M7960", "D172",
    "D1720", "S832", "S8340", "S6290", "M80", "E11", "D71", "S301", "T7807", "H0100",
]  # fmt: skip
SAID = {
    ("episode", "initial"): "initial encounter",
    ("episode", "subsequent"): "subsequent encounter",
    ("episode", "sequela"): "sequela",
    ("fracture", "closed"): "closed fracture",
    ("fracture", "open"): "open fracture",
    ("healing", "routine"): "routine healing",
    ("healing", "delayed"): "delayed healing",
    ("healing", "nonunion"): "nonunion",
    ("healing", "malunion"): "malunion",
}
SIDES = ("right", "left", "bilateral")


def _one_of(codes: list[str]) -> st.SearchStrategy[str]:
    """A code of ``codes``, drawn by index (``sampled_from`` labels a long list slowly)."""
    return st.integers(0, len(codes) - 1).map(codes.__getitem__)


NEAR_ROOTS = sorted({c for r in ROOTS for c in FY2026.under(r)} | set(ROOTS))
CODES = st.one_of(
    _one_of(NEAR_ROOTS),
    _one_of(NEAR_ROOTS),
    _one_of(NEAR_ROOTS),
    _one_of(FY2026.sorted),
    _one_of(FY2025_ONLY),
    st.sampled_from(["XYZ", "M17.19", "T14.90A"]),
)
COVERED = (pd.Timestamp("2024-10-01").date(), pd.Timestamp("2026-09-30").date())


@st.composite
def billed_code(draw) -> str:
    code = draw(CODES)
    up = draw(st.sampled_from([0, 1, 1, 2, len(code)]))  # itself, or a code above it
    code = code[: max(3, len(code) - up)]
    if draw(st.booleans()):
        code = hierarchy.dotted(code)
    return code.lower() if draw(st.integers(0, 9)) == 0 else code


@st.composite
def findings(draw) -> str:
    parts = []
    for name, values in icd10.FACTS.items():
        if draw(st.integers(0, 2)):  # two times in three
            value = draw(st.sampled_from([*values, *values, "unspecified", "maybe"]))
            parts.append(f"{name}={value.upper() if draw(st.booleans()) else value}")
    if draw(st.integers(0, 5)) == 0:  # said twice, differently: not documented
        parts.append(f"laterality={draw(st.sampled_from(SIDES))}")
    if draw(st.booleans()):
        parts.append("separate_procedure_documented=true")
    return ";".join(draw(st.permutations(parts)))


@st.composite
def encounters(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, lines = [], []
    for i in range(draw(st.integers(1, 12))):
        documented = draw(st.one_of(st.none(), findings()))
        rows.append({"claim_id": f"C{i}", "encounter_type": "established",
                     "documented_findings": documented})  # fmt: skip
        day = draw(
            st.dates(*COVERED)
            | st.dates(pd.Timestamp("2024-08-01").date(), pd.Timestamp("2027-01-31").date())
        )
        for line in range(1, draw(st.integers(1, 2)) + 1):
            codes = draw(st.lists(billed_code(), min_size=0, max_size=3))
            lines.append({"claim_id": f"C{i}", "line_number": line,
                          "date_of_service": pd.Timestamp(day),
                          "diagnosis_codes": ";".join(codes)})  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(lines)


def _documented(text: object) -> dict[str, str]:
    """The facts as a reader of the note takes them: a fact said twice differently is not."""
    seen: dict[str, set[str]] = {}
    for part in (text or "").split(";"):
        name, _, value = part.partition("=")
        seen.setdefault(name.strip().lower(), set()).add(value.strip().lower())
    return {k: v.pop() for k, v in seen.items() if len(v) == 1}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _described(code: str) -> str:
    """The description of the code, or of the nearest code above it the package knows."""
    for length in range(len(code), 2, -1):
        if hierarchy.description(code[:length]):
            return hierarchy.description(code[:length]).lower()
    return ""


@settings(max_examples=80, deadline=None)
@given(encounters())
def test_no_suggestion_rests_on_a_fact_not_documented(frames):
    found_encounters, lines = frames
    suggestions, queries = icd10.icd10_suggestions(found_encounters, lines)
    notes = found_encounters.set_index("claim_id")["documented_findings"]
    listed = {
        (line.claim_id, line.line_number): [c.strip() for c in line.diagnosis_codes.split(";")]
        for line in lines.itertuples()
    }
    days = {(line.claim_id, line.line_number): line.date_of_service for line in lines.itertuples()}
    seen = set()
    for row in [*suggestions.itertuples(), *queries.itertuples()]:
        assert row.original_code in listed[(row.claim_id, row.line_number)]
        key = (row.claim_id, icd10.normalize(row.original_code))
        assert key not in seen  # one row per claim and billed code
        seen.add(key)
    for row in suggestions.itertuples():
        documented = _documented(notes[row.claim_id])
        billed, suggested = icd10.normalize(row.original_code), icd10.normalize(row.suggested_code)
        period = code_sets.period_index(pd.Series([days[(row.claim_id, row.line_number)]]))[0]
        assert period >= 0
        codes = code_sets.billable(code_sets.PERIODS[period].code_set)
        assert suggested in codes and suggested != billed
        assert row.is_compliant and row.kind == "icd10_specificity" and row.direction == "none"
        used = dict(part.split("=") for part in row.support.split("; "))
        assert used, row
        for name, value in used.items():  # documented, with that value
            assert documented.get(name) == value, (row, documented)
        said, before = hierarchy.description(suggested).lower(), _described(billed)
        for name, value in used.items():  # and said by the code suggested
            assert value in _words(said) if name == "laterality" else SAID[name, value] in said
        for side in SIDES:  # a side the suggestion adds is a documented laterality it names
            if side in _words(said) and side not in _words(before):
                assert used.get("laterality") == side, row
        for (name, value), words in SAID.items():  # and so is a 7th character's meaning
            if words in said and words not in before:
                assert used.get(name) == value, row
        if not suggested.startswith(billed):  # only the side changes a billed character
            assert "laterality" in used, row
            assert sum(a != b for a, b in zip(billed, suggested, strict=False)) == 1, row
        assert billed not in codes or "unspecified" in _words(before), row
    for row in queries.itertuples():
        assert row.question and row.reason
        period = code_sets.period_index(pd.Series([row.date_of_service]))[0]
        if period < 0:
            assert row.reason in ("code_set_not_loaded", "no_date"), row
            continue
        codes = code_sets.billable(code_sets.PERIODS[period].code_set)
        for candidate in filter(None, row.candidates.split(";")):
            assert icd10.normalize(candidate) in codes, row
