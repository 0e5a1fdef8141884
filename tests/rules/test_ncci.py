"""CMS's NCCI files as published (hand-written samples in their layout,
tests/data/rules/ncci/), read set-based and turned into bundling and frequency rules."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from payeropt_lib import errors
from payeropt_lib.rules import definitions, ncci
from tests.conftest import DATA

NCCI = DATA / "rules" / "ncci"
PTP = NCCI / "ccipra-v313r0-f1.txt"
MUE = NCCI / "MCR_MUE_PractitionerServices.csv"


def test_the_ptp_file_is_read_past_its_preamble_and_legend() -> None:
    pairs = ncci.read_ptp(PTP)
    assert pairs[["column1", "column2", "indicator"]].values.tolist() == [
        ["29881", "29880", "0"],
        ["29881", "29877", "1"],
        ["99215", "36415", "1"],
        ["20610", "20611", "1"],
        ["11042", "97597", "9"],
    ]
    assert pairs["line"].tolist() == [7, 8, 9, 10, 11]  # the file's own lines
    assert pairs["effective_from"].iloc[1] == pd.Timestamp("1996-01-01")
    assert pd.isna(pairs["effective_to"].iloc[0])  # "*": not deleted
    assert pairs["effective_to"].iloc[2] == pd.Timestamp("2024-01-01")
    assert pairs["rationale"].iloc[2] == '"CPT Manual" coding instructions'


def test_pairs_become_bundling_rules_valid_against_the_schema_and_guardrails() -> None:
    rules = ncci.ptp_rules(ncci.read_ptp(PTP), "MCR", "2026Q3")
    # Indicator 9 makes no rule; a pair deleted the day it took effect never was in force.
    assert rules["rule_id"].tolist() == [
        "NCCI-PTP-29881-29880", "NCCI-PTP-29881-29877", "NCCI-PTP-99215-36415",
    ]  # fmt: skip
    parsed = [json.loads(d) for d in rules["definition"]]
    for rule in parsed:
        definitions.check_rule(rule, "NCCI", rule["rule_id"])  # each one, here
    assert ncci.template_problems(rules) == []
    assert parsed[0]["when"]["bypass_modifiers"] == []  # indicator 0: nothing bypasses
    assert "59" in parsed[1]["when"]["bypass_modifiers"]  # indicator 1
    assert "XU" in parsed[1]["when"]["bypass_modifiers"]
    assert parsed[2]["effective_to"] == "2024-01-01"  # the deletion date, an exclusive end
    assert "effective_to" not in parsed[0]
    assert parsed[2]["source"].startswith("CMS NCCI practitioner PTP edits 2026Q3: ")
    assert (parsed[0]["payer_id"], parsed[0]["category"]) == ("MCR", "bundling")


def test_mue_limits_become_line_and_date_of_service_rules() -> None:
    limits = ncci.read_mue(MUE)
    assert limits[["code", "mue", "indicator"]].values.tolist() == [
        ["20610", 2, "2"], ["29881", 1, "1"], ["99213", 1, "3"],
    ]  # fmt: skip
    rules = ncci.mue_rules(limits, "*", "2026Q3")
    parsed = [json.loads(d) for d in rules["definition"]]
    for rule in parsed:
        definitions.check_rule(rule, "NCCI", rule["rule_id"])
    assert ncci.template_problems(rules) == []
    is_20610 = {"field": "procedure_code", "op": "eq", "value": "20610"}
    # Indicator 2: the patient's units of 20610 on the date, over every line and claim.
    assert parsed[0]["when"]["all"] == [
        is_20610,
        {"count": is_20610, "per": "day", "sum": "units", "op": "gt", "value": 2},
    ]
    # Indicator 1: the line's own units.
    assert parsed[1]["when"]["all"][1] == {"field": "units", "op": "gt", "value": 1}
    assert "on one line" in parsed[1]["then"]["message"]
    assert parsed[0]["effective_from"] == "2026-07-01"  # the quarter's first day


@pytest.mark.parametrize(
    ("row", "column", "why"),
    [
        ("2988\t29880\t\t20000101\t*\t0\tx", "column1", "not a 5-character code"),
        ("29881\t29880\t\t2000-01-01\t*\t0\tx", "effective", "not a date YYYYMMDD"),
        ("29881\t29880\t\t20000101\t20001301\t0\tx", "deletion", "not a date YYYYMMDD"),
        ("29881\t29880\t\t20000101\t*\t2\tx", "indicator", "not 0, 1 or 9"),
    ],
)
def test_a_bad_ptp_row_refuses_the_file_naming_line_and_column(
    tmp_path: Path, row: str, column: str, why: str
) -> None:
    lines = PTP.read_text(encoding="latin-1").splitlines()
    bad = tmp_path / "ccipra.txt"
    bad.write_text("\n".join([*lines[:7], row, *lines[7:]]) + "\n", encoding="latin-1")
    with pytest.raises(errors.InputFileError) as refused:
        ncci.read_ptp(bad)
    assert (refused.value.row, refused.value.column) == (8, column)
    assert why in refused.value.reason


def test_blank_lines_and_windows_line_ends_are_read_and_lines_still_counted(
    tmp_path: Path,
) -> None:
    lines = PTP.read_text(encoding="latin-1").splitlines()
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(("\r\n".join([*lines[:8], "", *lines[8:]]) + "\r\n\r\n").encode("latin-1"))
    pairs = ncci.read_ptp(crlf)
    assert len(pairs) == 5 and pairs["line"].tolist() == [7, 8, 10, 11, 12]
    mue_lines = MUE.read_text(encoding="latin-1").splitlines()
    gap = tmp_path / "mue.csv"
    gap.write_text("\n".join([*mue_lines[:3], "", mue_lines[3], '"9921"']) + "\n")
    with pytest.raises(errors.InputFileError) as refused:
        ncci.read_mue(gap)
    assert (refused.value.row, refused.value.column) == (6, "code")


def test_a_file_without_its_header_is_refused(tmp_path: Path) -> None:
    headless = tmp_path / "x.txt"
    headless.write_text("29881\t29880\t\t20000101\t*\t0\tx\n", encoding="latin-1")
    with pytest.raises(errors.InputFileError, match="no 'Column 1<TAB>Column 2' header"):
        ncci.read_ptp(headless)
    with pytest.raises(errors.InputFileError, match="no 'HCPCS/CPT Code' header"):
        ncci.read_mue(headless)


def test_a_large_file_reads_without_a_loop_over_its_rows(tmp_path: Path) -> None:
    """50,000 pairs in the published layout: read and made rules set-based (a check of
    the shape, not of time; the figures are benchmarks' business)."""
    head = PTP.read_text(encoding="latin-1").splitlines()[:6]
    codes = [f"{n:05d}" for n in range(10000, 60000)]
    rows = [f"{c}\t{int(c) + 1:05d}\t\t20200101\t*\t{n % 2}\tr" for n, c in enumerate(codes)]
    big = tmp_path / "big.txt"
    big.write_text("\n".join([*head, *rows]) + "\n", encoding="latin-1")
    rules = ncci.ptp_rules(ncci.read_ptp(big), "*", "2026Q3")
    assert len(rules) == 50000 and rules["rule_id"].is_unique
    assert ncci.template_problems(rules) == []
    assert rules["shape"].nunique() == 2  # bypassable or not: two templates checked
