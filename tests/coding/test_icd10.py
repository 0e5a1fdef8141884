"""ICD-10-CM specificity (issue 14), table-driven: laterality and 7th-character cases that
resolve to one code, cases that must become a clinician query, codes not valid on their
date of service, and dates no loaded release covers.

Every expected code was checked by hand against simple-icd-10-cm 1.5.0's description
(``hierarchy.description``), quoted beside it; codes absent from FY2026 against the FY2025
list (``data/reference/icd10cm``)."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from dataclasses import replace

import pandas as pd
import pytest

from payeropt_lib.coding import code_sets, em, hierarchy, icd10

FY2025 = "2025-05-01"  # FY2025 code set (April 2025 update)
FY2026 = "2026-05-01"  # FY2026 code set (April 2026 update)

# name: (billed, documented findings, date of service) -> ("suggest", code, support)
#                                                      | ("query", reason, candidates)
#                                                      | None (nothing to say)
# fmt: off
CASES = {
    # --- resolve to one code -------------------------------------------------------------
    # M17.1 "Unilateral primary osteoarthritis of knee" (not billable) ->
    # M17.12 "Unilateral primary osteoarthritis, left knee"
    "subcategory + laterality": ("M17.1", "laterality=left", FY2026,
                                 ("suggest", "M17.12", "laterality=left")),
    # written without the dot, answered without it
    "no dot in, no dot out": ("M171", "laterality=right", FY2026,
                              ("suggest", "M1711", "laterality=right")),
    # M17.10 "Unilateral primary osteoarthritis, unspecified knee" (billable) ->
    # M17.11 "Unilateral primary osteoarthritis, right knee"
    "unspecified side + laterality": ("M17.10", "laterality=right", FY2026,
                                      ("suggest", "M17.11", "laterality=right")),
    # G56.00 "Carpal tunnel syndrome, unspecified upper limb" ->
    # G56.03 "Carpal tunnel syndrome, bilateral upper limbs"
    "unspecified side + bilateral": ("G56.00", "laterality=bilateral", FY2026,
                                     ("suggest", "G56.03", "laterality=bilateral")),
    # H65.00 "Acute serous otitis media, unspecified ear" -> H65.01 "..., right ear" (not
    # H65.04 "..., recurrent, right ear": the billed code said not recurrent)
    "unspecified side among recurrent siblings": ("H65.00", "laterality=right", FY2026,
                                                  ("suggest", "H65.01", "laterality=right")),
    # H11.00 "Unspecified pterygium of eye" -> H11.003 "Unspecified pterygium of eye,
    # bilateral" (its siblings say "of right eye": the side noun goes with "bilateral")
    "bilateral worded apart": ("H11.00", "laterality=bilateral", FY2026,
                               ("suggest", "H11.003", "laterality=bilateral")),
    # H60.00 "Abscess of external ear, unspecified ear" -> H60.02 "Abscess of left
    # external ear"
    "unspecified side worded apart": ("H60.00", "laterality=left", FY2026,
                                      ("suggest", "H60.02", "laterality=left")),
    # S93.40 "Sprain of unspecified ligament of ankle" ->
    # S93.402A "Sprain of unspecified ligament of left ankle, initial encounter"
    "laterality and 7th character": ("S93.40", "laterality=left;episode=initial", FY2026,
                                     ("suggest", "S93.402A",
                                      "laterality=left; episode=initial")),
    # S93.409A "Sprain of unspecified ligament of unspecified ankle, initial encounter" ->
    # S93.402A: the side changes, the billed 7th character stays
    "unspecified side, 7th character kept": ("S93.409A", "laterality=left", FY2025,
                                             ("suggest", "S93.402A", "laterality=left")),
    # S93.409 "Sprain of unspecified ligament of unspecified ankle" (7th missing) ->
    # S93.409A "..., unspecified ankle, initial encounter": the billed side is kept
    "7th character only": ("S93.409", "episode=initial", FY2026,
                           ("suggest", "S93.409A", "episode=initial")),
    # T14.90 "Injury, unspecified" -> T14.90XA "Injury, unspecified, initial encounter"
    # (placeholder X)
    "7th character with placeholder": ("T14.90", "episode=initial", FY2026,
                                       ("suggest", "T14.90XA", "episode=initial")),
    # T14.90XS "Injury, unspecified, sequela"
    "sequela": ("T14.90", "episode=sequela", FY2025, ("suggest", "T14.90XS",
                                                      "episode=sequela")),
    # S52.521 "Torus fracture of lower end of right radius" ->
    # S52.521A "..., initial encounter for closed fracture"
    "fracture, initial and closed": ("S52.521", "episode=initial;fracture=closed", FY2026,
                                     ("suggest", "S52.521A",
                                      "episode=initial; fracture=closed")),
    # S52.521D "..., subsequent encounter for fracture with routine healing"
    "fracture, subsequent, routine healing": ("S52.521",
                                              "episode=subsequent;healing=routine", FY2026,
                                              ("suggest", "S52.521D",
                                               "episode=subsequent; healing=routine")),
    # S52.52 "Torus fracture of lower end of radius" -> S52.521A
    "side and fracture 7th character": ("S52.52",
                                        "laterality=right;episode=initial;fracture=closed",
                                        FY2026, ("suggest", "S52.521A",
                                                 "laterality=right; episode=initial; "
                                                 "fracture=closed")),
    # S42.001 "Fracture of unspecified part of right clavicle" ->
    # S42.001B "..., initial encounter for open fracture" (S42 has one open 7th character)
    "open fracture where one 7th character is open": ("S42.001",
                                                      "episode=initial;fracture=open",
                                                      FY2026, ("suggest", "S42.001B",
                                                               "episode=initial; "
                                                               "fracture=open")),
    # findings payeropt does not read, and case and spaces, change nothing
    "other findings ignored": ("m17.1", " Laterality = LEFT ;separate_procedure_documented=true",
                               FY2026, ("suggest", "M17.12", "laterality=left")),
    # --- nothing to say -------------------------------------------------------------------
    # M17.11 "Unilateral primary osteoarthritis, right knee": already specific
    "already specific": ("M17.11", "laterality=right", FY2026, None),
    # E11.9 "Type 2 diabetes mellitus without complications": nothing finer by side
    "specific, no side": ("E11.9", "", FY2026, None),
    # S30.1XXA "Contusion of abdominal wall, initial encounter": valid in FY2025 only
    "valid in its year": ("S30.1XXA", "episode=initial", FY2025, None),
    # --- queries --------------------------------------------------------------------------
    "side not documented": ("M17.1", "", FY2026,
                            ("query", "not_documented", "M17.11;M17.12")),
    "unspecified side, side not documented": ("M17.10", "episode=initial", FY2026,
                                              ("query", "not_documented", "M17.11;M17.12")),
    # S93.40: neither side nor episode documented; the unspecified side is not offered
    "side and episode not documented": ("S93.40", "", FY2026,
                                        ("query", "not_documented",
                                         "S93.401A;S93.401D;S93.401S;"
                                         "S93.402A;S93.402D;S93.402S")),
    # S93.40 with a side: S93.402A/D/S "Sprain of unspecified ligament of left ankle, ..."
    "episode not documented": ("S93.40", "laterality=left", FY2026,
                               ("query", "not_documented", "S93.402A;S93.402D;S93.402S")),
    # initial encounter of a torus fracture: closed or open not said
    "closed or open not documented": ("S52.521", "episode=initial", FY2026,
                                      ("query", "not_documented", "S52.521A")),
    # subsequent encounter: routine, delayed, nonunion or malunion not said
    "healing not documented": ("S52.521", "episode=subsequent", FY2026,
                               ("query", "not_documented",
                                "S52.521D;S52.521G;S52.521K;S52.521P")),
    # M17 "Osteoarthritis of knee": primary, post-traumatic or secondary is no finding read
    # here. With the left side: M17.12, M17.32 (left knee), M17.5, M17.9 (no side named)
    "category: type not read": ("M17", "laterality=left", FY2026,
                                ("query", "ambiguous", "M17.12;M17.32;M17.5;M17.9")),
    # H65.0 "Acute serous otitis media": right ear, recurrent or not
    "side chooses two": ("H65.0", "laterality=right", FY2026,
                         ("query", "ambiguous", "H65.01;H65.04")),
    # D17.20 "... of unspecified limb": D17.21 "... of right arm", D17.23 "... of right leg"
    "unspecified site: the side does not choose": ("D17.20", "laterality=right", FY2026,
                                                   ("query", "ambiguous", "D17.21;D17.23")),
    # H40.111 "Primary open-angle glaucoma, right eye": the 7th character is the stage
    "7th character is a stage": ("H40.111", "episode=initial", FY2026,
                                 ("query", "ambiguous",
                                  "H40.1110;H40.1111;H40.1112;H40.1113;H40.1114")),
    # S42.001 (clavicle): open, S42.001B "initial encounter for open fracture"; S52.521
    # (torus) has no open 7th character, and the Gustilo type is not read
    "no code fits": ("S52.521", "episode=initial;fracture=open", FY2026,
                     ("query", "findings_conflict", "")),
    # M17.10 is unilateral: bilateral is M17.0, another subcategory
    "side contradicts the billed code": ("M17.10", "laterality=bilateral", FY2026,
                                         ("query", "findings_conflict", "")),
    # S93.401 is the right ankle
    "billed side contradicts the findings": ("S93.401", "laterality=left;episode=initial",
                                             FY2026, ("query", "findings_conflict", "")),
    # changing the side would keep "initial encounter" against a documented subsequent one
    "kept 7th character contradicts": ("S93.409A", "laterality=left;episode=subsequent",
                                       FY2026, ("query", "findings_conflict", "")),
    # a fact given twice with different values is not documented
    "contradictory findings": ("M17.1", "laterality=left;laterality=right", FY2026,
                               ("query", "not_documented", "M17.11;M17.12")),
    # --- validity by date of service --------------------------------------------------------
    # E11.A "Type 2 diabetes mellitus without complications in remission": new in FY2026
    "new code before its year": ("E11.A", "", FY2025, ("query", "invalid_on_dos", "")),
    "new code in its year": ("E11.A", "", FY2026, None),
    # S30.1XXA was replaced by S30.11XA "Contusion of abdominal wall, initial encounter"
    # (and S30.12-, S30.13-) in FY2026
    "deleted code after its year": ("S30.1XXA", "episode=initial", FY2026,
                                    ("query", "invalid_on_dos",
                                     "S30.11XA;S30.11XD;S30.11XS;S30.12XA;S30.12XD;"
                                     "S30.12XS;S30.13XA;S30.13XD;S30.13XS")),
    # D71 "Functional disorders of polymorphonuclear neutrophils": billable in FY2025,
    # split in FY2026 into D71.1 "Leukocyte adhesion deficiency", D71.8 "Other ..." and
    # D71.9 "..., unspecified"
    "billable in FY2025": ("D71", "", FY2025, None),
    "split in FY2026": ("D71", "", FY2026, ("query", "ambiguous", "D71.1;D71.8;D71.9")),
    # T14.90 needs its placeholder: T14.90XA "Injury, unspecified, initial encounter"
    "placeholder missing": ("T14.90A", "episode=initial", FY2026,
                            ("query", "invalid_on_dos", "T14.90XA;T14.90XD;T14.90XS")),
    "not a code": ("XYZ", "", FY2026, ("query", "invalid_on_dos", "")),
    # --- dates no loaded release covers -------------------------------------------------------
    "FY2027: no code set": ("M17.1", "laterality=left", "2026-10-01",
                            ("query", "code_set_not_loaded", "")),
    "FY2027, a specific code too": ("M17.11", "", "2026-11-15",
                                    ("query", "code_set_not_loaded", "")),
    "FY2024: no code set": ("M17.1", "laterality=left", "2024-09-30",
                            ("query", "code_set_not_loaded", "")),
    "FY2025 from its first day": ("M17.1", "laterality=left", "2024-10-01",
                                  ("suggest", "M17.12", "laterality=left")),
    "FY2026 to its last day": ("M17.1", "laterality=left", "2026-09-30",
                               ("suggest", "M17.12", "laterality=left")),
}
# fmt: on


def _frames(billed: str, findings: str, day: str, claim: str = "C1"):  # noqa: ANN202
    encounters = pd.DataFrame(
        {"claim_id": [claim], "encounter_type": ["established"], "documented_findings": [findings]}
    )
    lines = pd.DataFrame(
        {
            "claim_id": [claim],
            "line_number": [1],
            "date_of_service": [pd.Timestamp(day)],
            "diagnosis_codes": [billed],
        }
    )
    return encounters, lines


def _answer(suggestions: pd.DataFrame, queries: pd.DataFrame):  # noqa: ANN202
    assert len(suggestions) + len(queries) <= 1
    if len(suggestions):
        row = suggestions.iloc[0]
        return ("suggest", row["suggested_code"], row["support"])
    if len(queries):
        row = queries.iloc[0]
        return ("query", row["reason"], row["candidates"])
    return None


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_case(case):
    *given, expected = CASES[case]
    suggestions, queries = icd10.icd10_suggestions(*_frames(*given))
    assert _answer(suggestions, queries) == expected
    assert suggestions.columns.tolist() == em.COLUMNS
    assert queries.columns.tolist() == icd10.QUERY_COLUMNS
    if len(suggestions):
        row = suggestions.iloc[0]
        assert (row["kind"], row["units"], row["direction"]) == ("icd10_specificity", 1, "none")
        assert row["is_compliant"] and row["original_code"] == given[0].strip()
    if len(queries):
        assert queries.iloc[0]["question"]
        assert queries.iloc[0]["date_of_service"] == pd.Timestamp(given[2])


def test_questions_say_what_to_document():
    def question(billed: str, findings: str, day: str = FY2026) -> str:
        return icd10.icd10_suggestions(*_frames(billed, findings, day))[1]["question"].iloc[0]

    assert question("M17.1", "") == (
        "M17.1 is not billable: document laterality (right or left) for M17.1-: M17.11 or M17.12"
    )
    assert question("M1710", "") == (
        "M1710 does not say the side: document laterality (right or left) for M17.1-: "
        "M17.11 or M17.12"
    )
    assert question("S93.40", "laterality=left") == (
        "S93.40 is not billable: document the episode of care (initial encounter, subsequent "
        "encounter or sequela) for S93.402-: S93.402A, S93.402D or S93.402S"
    )
    assert "the healing (routine, delayed, nonunion or malunion)" in question(
        "S52.521", "episode=subsequent"
    )
    assert question("E11.A", "", FY2025).startswith(
        "E11.A is not a valid ICD-10-CM code in the FY2025 code set (April 2025 update)"
    )
    assert "standing in for the October 2024 release" in question("E11.A", "", "2024-11-01")
    assert question("M17.1", "", "2026-10-01") == (
        "No ICD-10-CM code set is loaded for FY2027 (dates of service 2026-10-01 to "
        "2027-09-30): check M17.1 against the FY2027 code set"
    )


def test_a_diagnosis_belongs_to_the_claim():
    """One row per (claim, billed code), on the first line listing it, however written."""
    encounters = pd.DataFrame(
        {"claim_id": ["C1", "C2"], "encounter_type": "established",
         "documented_findings": ["laterality=left;episode=initial", "laterality=right"]}
    )  # fmt: skip
    lines = pd.DataFrame(
        {
            "claim_id": ["C1", "C1", "C1", "C2", "C3"],
            "line_number": [3, 1, 2, 1, 1],
            "date_of_service": pd.Timestamp(FY2026),
            "diagnosis_codes": ["M17.1; S93.40", "E11.9;m171", None, "M17.1", "M17.1"],
        }
    )
    suggestions, queries = icd10.icd10_suggestions(encounters, lines)
    rows = suggestions[["claim_id", "line_number", "original_code", "suggested_code"]]
    assert rows.values.tolist() == [
        ["C1", 1, "m171", "M1712"],  # line 1 lists it first (as m171); line 3 again
        ["C1", 3, "S93.40", "S93.402A"],
        ["C2", 1, "M17.1", "M17.11"],  # C3 has no encounter: not compared
    ]
    assert queries.empty


def test_many_claims_at_once_equal_one_at_a_time():
    encounters, lines, alone = [], [], {}
    for i, case in enumerate(CASES):
        enc, lin = _frames(*CASES[case][:-1], claim=f"C{i:03d}")
        encounters.append(enc)
        lines.append(lin)
        alone[f"C{i:03d}"] = CASES[case][-1]
    suggestions, queries = icd10.icd10_suggestions(pd.concat(encounters), pd.concat(lines))
    for claim, expected in alone.items():
        mine = (suggestions[suggestions["claim_id"].eq(claim)],
                queries[queries["claim_id"].eq(claim)])  # fmt: skip
        assert _answer(*mine) == expected, claim


def test_nothing_billed_nothing_said():
    encounters, lines = _frames("", "laterality=left", FY2026)
    suggestions, queries = icd10.icd10_suggestions(encounters, lines)
    assert suggestions.empty and queries.empty
    assert suggestions.columns.tolist() == em.COLUMNS
    suggestions, queries = icd10.icd10_suggestions(encounters, lines.iloc[:0])
    assert suggestions.empty and queries.empty


def test_periods_cover_fy2025_and_fy2026_only():
    days = pd.Series(pd.to_datetime(
        ["2024-09-30", "2024-10-01", "2025-03-31", "2025-04-01", "2025-10-01",
         "2026-04-01", "2026-09-30", "2026-10-01", None]
    ))  # fmt: skip
    assert code_sets.period_index(days).tolist() == [-1, 0, 0, 1, 2, 3, 3, -1, -1]
    assert [p.code_set.fiscal_year for p in code_sets.PERIODS] == [2025, 2025, 2026, 2026]
    assert [p.exact for p in code_sets.PERIODS] == [False, True, False, True]
    for before, after in zip(code_sets.PERIODS, code_sets.PERIODS[1:], strict=False):
        assert before.effective_to == after.effective_from


def test_the_fy2026_list_is_the_installed_packages():
    """The shipped FY2026 list is what simple-icd-10-cm 1.5.0 calls billable."""
    icd = hierarchy.package()
    every = icd.get_all_codes(with_dots=False)
    leaves = {c for c in every if icd.is_category_or_subcategory(c) and icd.is_leaf(c)}
    assert leaves == code_sets.billable(code_sets.APRIL_2026).members


def test_a_list_that_differs_from_its_hash_is_refused(tmp_path, monkeypatch):
    source = code_sets.CODE_SET_DIR / code_sets.APRIL_2025.file
    shutil.copy(source, tmp_path / source.name)
    monkeypatch.setattr(code_sets, "CODE_SET_DIR", tmp_path)
    same = replace(code_sets.APRIL_2025, name="April 2025 (copy)")
    assert len(code_sets.billable(same).members) == same.codes
    text = gzip.decompress(source.read_bytes()).replace(b"M1712\n", b"")
    (tmp_path / source.name).write_bytes(gzip.compress(text, mtime=0))
    changed = replace(code_sets.APRIL_2025, name="April 2025 (changed)")
    with pytest.raises(RuntimeError, match="SHA-256"):
        code_sets.billable(changed)
    recounted = replace(changed, sha256=hashlib.sha256((tmp_path / source.name).read_bytes())
                        .hexdigest())  # fmt: skip
    with pytest.raises(RuntimeError, match="74259 codes"):
        code_sets.billable(recounted)


def test_seventh_character_definitions():
    read = hierarchy.seventh_character
    assert read("initial encounter") == {"episode": "initial"}
    assert read("initial encounter for closed fracture") == {
        "episode": "initial", "fracture": "closed"}  # fmt: skip
    open_nonunion = "subsequent encounter for open fracture type IIIA, IIIB, or IIIC with nonunion"
    assert read(open_nonunion) == {
        "episode": "subsequent", "fracture": "open", "gustilo": "IIIA, IIIB or IIIC",
        "healing": "nonunion",
    }  # fmt: skip
    assert read("sequela/Fall from stool") == {"episode": "sequela"}
    assert read("right eye") == {"laterality": "right"}
    assert read("mild stage") == {"detail": "mild stage"}
