"""E/M levels by MDM or time, table-driven (issue 14): every level new and established,
MDM only, time only, both (the higher wins), thresholds met exactly and missed by one
minute, 99211, prolonged time (99417 and Medicare's G2212), and nothing documented."""

from __future__ import annotations

import pandas as pd
import pytest

from payeropt_lib.coding import em

# (encounter type, billed code, MDM, minutes, payer class, prolonged units billed)
#   -> [(suggested code, units, direction)], the rows expected, level first
# fmt: off
CASES = {
    "new low, billed as documented": ("new", "99203", "low", None, "COMMERCIAL", 0, []),
    "new MDM moderate, billed 99202: up": ("new", "99202", "moderate", None, "COMMERCIAL", 0,
                                           [("99204", 1, "up")]),
    "new MDM low, billed 99205: down": ("new", "99205", "low", None, "COMMERCIAL", 0,
                                        [("99203", 1, "down")]),
    "new time 45 exactly: 99204": ("new", "99203", None, 45, "COMMERCIAL", 0,
                                   [("99204", 1, "up")]),
    "new time 44, one minute short: 99203": ("new", "99204", None, 44, "COMMERCIAL", 0,
                                             [("99203", 1, "down")]),
    "new MDM high beats time 30": ("new", "99203", "high", 30, "COMMERCIAL", 0,
                                   [("99205", 1, "up")]),
    "new time 60 beats MDM low": ("new", "99203", "low", 60, "COMMERCIAL", 0,
                                  [("99205", 1, "up")]),
    "new time 14 meets no level": ("new", "99202", None, 14, "COMMERCIAL", 0, []),
    "new time 15 exactly: 99202": ("new", "99203", None, 15, "COMMERCIAL", 0,
                                   [("99202", 1, "down")]),
    "new straightforward and 15 minutes, as billed": ("new", "99202", "straightforward", 15,
                                                      "COMMERCIAL", 0, []),
    "established 99211 with low MDM: up": ("established", "99211", "low", None, "COMMERCIAL",
                                           0, [("99213", 1, "up")]),
    "established nothing documented": ("established", "99212", None, None, "COMMERCIAL", 0,
                                       []),
    "established time 9: 99211 never suggested": ("established", "99212", None, 9,
                                                  "COMMERCIAL", 0, []),
    "established time 10 exactly: 99212": ("established", "99213", None, 10, "COMMERCIAL",
                                           0, [("99212", 1, "down")]),
    "established time 39: 99214": ("established", "99215", None, 39, "COMMERCIAL", 0,
                                   [("99214", 1, "down")]),
    "established time 40: 99215": ("established", "99213", None, 40, "COMMERCIAL", 0,
                                    [("99215", 1, "up")]),
    "established MDM moderate, time 29: as billed": ("established", "99214", "moderate", 29,
                                                     "COMMERCIAL", 0, []),
    "established both meet the top": ("established", "99214", "high", 45, "COMMERCIAL", 0,
                                      [("99215", 1, "up")]),
    "99417 first unit at 55 (established)": ("established", "99215", None, 55, "COMMERCIAL",
                                             0, [("99417", 1, "up")]),
    "54 minutes: no prolonged unit": ("established", "99215", None, 54, "COMMERCIAL", 0, []),
    "G2212 first unit at 69 (Medicare, established)": ("established", "99215", None, 69,
                                                       "MEDICARE", 0, [("G2212", 1, "up")]),
    "68 minutes: no G2212 unit": ("established", "99215", None, 68, "MEDICARE", 0, []),
    "99417 first unit at 75 (new)": ("new", "99205", None, 75, "COMMERCIAL", 0,
                                     [("99417", 1, "up")]),
    "new 90 minutes: two 99417 units": ("new", "99205", None, 90, "COMMERCIAL", 0,
                                        [("99417", 2, "up")]),
    "G2212 first unit at 89 (Medicare, new)": ("new", "99205", None, 89, "MEDICARE", 0,
                                               [("G2212", 1, "up")]),
    "88 minutes: no G2212 unit (new)": ("new", "99205", None, 88, "MEDICARE", 0, []),
    "two 99417 billed, 74 minutes support none": ("new", "99205", "high", 74, "COMMERCIAL",
                                                  2, [("", 0, "down")]),
    "one 99417 billed, 105 minutes support three": ("new", "99205", None, 105, "COMMERCIAL",
                                                    1, [("99417", 3, "up")]),
    "prolonged units billed as supported": ("new", "99205", None, 90, "COMMERCIAL", 2, []),
    "top level by MDM only: no prolonged time": ("new", "99205", "high", 50, "COMMERCIAL", 0,
                                                 []),
    "typed established, billed as new: not compared": ("established", "99203", "high", 60,
                                                       "COMMERCIAL", 0, []),
}
# fmt: on


def _frames(kind, code, mdm, minutes, payer_class, prolonged):  # noqa: ANN001, ANN202
    lines = [{"claim_id": "C1", "line_number": 1, "procedure_code": code, "units": 1,
              "payer_class": payer_class}]  # fmt: skip
    if prolonged:
        extra = "G2212" if payer_class == "MEDICARE" else "99417"
        lines.append({"claim_id": "C1", "line_number": 2, "procedure_code": extra,
                      "units": prolonged, "payer_class": payer_class})  # fmt: skip
    encounters = pd.DataFrame(
        {
            "claim_id": ["C1"],
            "encounter_type": [kind],
            "total_time_minutes": pd.array([minutes], dtype="Int64"),
            "mdm_level": [mdm],
        }
    )
    return encounters, pd.DataFrame(lines)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_the_supported_level_against_the_billed_one(case):
    *given, expected = CASES[case]
    found = em.em_suggestions(*_frames(*given))
    rows = list(zip(found["suggested_code"], found["units"], found["direction"], strict=True))
    assert rows == expected
    assert found["is_compliant"].all() and (found["kind"] == "em_level").all()
    assert found.columns.tolist() == em.COLUMNS


def test_support_names_the_facts_the_level_rests_on():
    both = em.em_suggestions(*_frames("established", "99214", "high", 45, "COMMERCIAL", 0))
    assert both["support"].tolist() == [
        "mdm_level=high; total_time_minutes=45 (at least 40 for 99215)"
    ]
    by_mdm = em.em_suggestions(*_frames("new", "99203", "high", 30, "COMMERCIAL", 0))
    assert by_mdm["support"].tolist() == ["mdm_level=high"]
    by_time = em.em_suggestions(*_frames("new", "99203", None, 45, "COMMERCIAL", 0))
    assert by_time["support"].tolist() == ["total_time_minutes=45 (at least 45 for 99204)"]
    extra = em.em_suggestions(*_frames("new", "99205", None, 90, "COMMERCIAL", 0))
    assert extra["support"].tolist() == ["total_time_minutes=90 (2 full 15-minute units of 99417)"]
    assert extra["line_number"].tolist() == [1]  # added beside the E/M line


def test_many_encounters_at_once_equal_one_at_a_time():
    """The vectorized answer for all cases together is the union of the answers alone."""
    encounters, lines = [], []
    for i, case in enumerate(CASES):
        enc, lin = _frames(*CASES[case][:-1])
        encounters.append(enc.assign(claim_id=f"C{i:03d}"))
        lines.append(lin.assign(claim_id=f"C{i:03d}"))
    together = em.em_suggestions(pd.concat(encounters), pd.concat(lines))
    for i, case in enumerate(CASES):
        mine = together[together["claim_id"].eq(f"C{i:03d}")]
        rows = list(zip(mine["suggested_code"], mine["units"], mine["direction"], strict=True))
        assert rows == CASES[case][-1], case


def test_the_other_payers_prolonged_code_is_replaced_by_the_right_one() -> None:
    """Medicare pays G2212, not 99417: a Medicare claim billed 99417 x 2 for 99 minutes
    of an established visit (G2212 from 69: (99 - 54) // 15 = 3 units) is suggested G2212
    x 3 in its place, up; billed x 3, the same units: the code alone changes (none)."""
    encounters = pd.DataFrame(
        {"claim_id": ["M1", "M2"], "encounter_type": "established",
         "total_time_minutes": [99, 99], "mdm_level": [None, None]}
    )  # fmt: skip
    lines = pd.DataFrame(
        {"claim_id": ["M1", "M1", "M2", "M2"], "line_number": [1, 2, 1, 2],
         "procedure_code": ["99215", "99417", "99215", "99417"], "units": [1, 2, 1, 3],
         "payer_class": "MEDICARE"}
    )  # fmt: skip
    found = em.em_suggestions(encounters, lines)
    rows = found[["claim_id", "line_number", "original_code", "suggested_code", "units",
                  "direction"]].values.tolist()  # fmt: skip
    assert rows == [["M1", 2, "99417", "G2212", 3, "up"], ["M2", 2, "99417", "G2212", 3, "none"]]
