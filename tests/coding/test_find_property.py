"""For random practices (notes, billed lines, pair rules), what ``payeropt suggest``
records (``record.find``: the three engines together, after the compliance guard) never
lacks a documented fact it depends on: every suggestion names at least one fact, and every
``key=value`` it names is what its encounter documents (the MDM, the total time, or one
of the structured findings, said once or always the same way)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payeropt_lib.coding import record
from tests.coding.test_modifiers import GLOBALS, PAIRS

CODES = ["99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215",
         "99417", "G2212", "20610", "20611", "96372", "90471", "29881", "73562"]  # fmt: skip
DIAGNOSES = ["M17.10", "M17.1", "M17.11", "M25.569", "S83.249A", "S83.241", "S52.501",
             "I10", "E11.9", "M75.40", ""]  # fmt: skip
FINDINGS = ["laterality=left", "laterality=right", "laterality=bilateral", "episode=initial",
            "episode=subsequent", "episode=sequela", "fracture=closed", "healing=routine",
            "separate_procedure_documented=true", "separate_procedure_documented=false",
            "distinct_service=true", "distinct_service=false",
            "distinct_service=separate_structure", "laterality=left"]  # fmt: skip
MODIFIERS = ["", "", "25", "59", "XS", "RT", "25:59"]
DAYS = [dt.date(2025, 3, 3), dt.date(2025, 11, 12), dt.date(2026, 10, 5)]
FACT = re.compile(r"\b([a-z_]+)=([A-Za-z0-9_.]+)")


@st.composite
def practices(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines, notes = [], []
    for c in range(draw(st.integers(1, 6))):
        claim, day = f"C{c}", pd.Timestamp(draw(st.sampled_from(DAYS)))
        payer = draw(st.sampled_from(["MCR", "ACME"]))
        for n in range(1, draw(st.integers(1, 4)) + 1):
            lines.append({
                "claim_id": claim, "line_number": n, "line_control_number": None,
                "patient_id": draw(st.sampled_from(["P0", "P1"])), "date_of_service": day,
                "procedure_code": draw(st.sampled_from(CODES)),
                "modifiers": draw(st.sampled_from(MODIFIERS)),
                "units": draw(st.integers(1, 3)), "charge_cents": 10_000,
                "primary_payer_id": payer, "product_line": "",
                "secondary_payer_id": None, "place_of_service": "11",
                "rendering_npi": "1234567893",
                "diagnosis_codes": ";".join(
                    d for d in draw(st.lists(st.sampled_from(DIAGNOSES), max_size=3)) if d
                ),
                "submitted_date": pd.NaT,
            })  # fmt: skip
        if draw(st.booleans()):
            notes.append({
                "claim_id": claim,
                "encounter_type": draw(st.sampled_from(["new", "established", "other"])),
                "total_time_minutes": draw(st.one_of(st.none(), st.integers(5, 130))),
                "mdm_level": draw(st.sampled_from([None, "straightforward", "low",
                                                   "moderate", "high"])),
                "documented_findings": ";".join(draw(st.lists(st.sampled_from(FINDINGS),
                                                              max_size=4))),
            })  # fmt: skip
    columns = ["claim_id", "encounter_type", "total_time_minutes", "mdm_level",
               "documented_findings"]  # fmt: skip
    return pd.DataFrame(notes, columns=columns), pd.DataFrame(lines)


def _documented(note: pd.Series) -> dict[str, set[str]]:
    """Each fact the note documents, with every value it gives (case as the engines
    read it: lower-case)."""
    facts: dict[str, set[str]] = {}
    for token in str(note["documented_findings"] or "").split(";"):
        key, _, value = token.partition("=")
        if value:
            facts.setdefault(key.strip().lower(), set()).add(value.strip().lower())
    if pd.notna(note["mdm_level"]):
        facts["mdm_level"] = {note["mdm_level"]}
    if pd.notna(note["total_time_minutes"]):
        facts["total_time_minutes"] = {str(int(note["total_time_minutes"]))}
    return facts


CONTRACTS = pd.DataFrame(
    {"payer_id": ["MCR", "ACME"], "product_line": ["", ""],
     "effective_from": pd.to_datetime(["2024-01-01"] * 2),
     "payer_class": ["MEDICARE", "COMMERCIAL"]}
)  # fmt: skip


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(practices())
def test_no_recorded_suggestion_lacks_a_documented_fact(practice) -> None:
    notes, lines = practice
    found, _ = record.find(notes, lines, CONTRACTS, PAIRS, GLOBALS, dt.date(2026, 12, 1))
    by_claim = notes.set_index("claim_id")
    for row in found.itertuples(index=False):
        named = FACT.findall(row.support)
        assert named, f"{row.kind} {row.original_code}->{row.suggested_code}: no fact named"
        documented = _documented(by_claim.loc[row.claim_id])
        for key, value in named:
            said = documented.get(key, set())
            # Said, and said one way (a fact given two ways documents nothing).
            assert said == {value.lower()}, (row.kind, row.support, documented)
