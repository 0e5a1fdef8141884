"""Profiles applied to files: the shipped examples become their interface CSVs, and a file
the profile does not fit is refused naming the user's row, column (and sheet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from payeropt_lib.errors import InputFileError
from payeropt_lib.profiles import model

from .helpers import EXAMPLES, SHIPPED, expected, map_file


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_example_becomes_its_interface_csv(name):
    export, interface = SHIPPED[name]
    mapped = map_file(name, EXAMPLES / export)
    want = expected(interface)
    got = mapped.frame.reindex(columns=want.columns, fill_value="")
    assert got.to_dict("records") == want.to_dict("records")


def test_source_rows_skip_titles_blank_lines_repeated_headers_and_totals():
    mapped = map_file("pm-charge-detail", EXAMPLES / "pm-charge-detail.csv")
    # Rows 1-4 title block, 5 header, 10 blank, 11 header again, 15 grand total.
    assert mapped.rows.tolist() == [6, 7, 8, 9, 12, 13, 14]
    assert mapped.locate(4, "charge_amount") == (12, "Charges")
    assert mapped.locate(0, "modifiers") == (6, "Mod 1+Mod 2+Mod 3+Mod 4")


def _edited(tmp_path: Path, replace: tuple[str, str], name="pm-charge-detail.csv") -> Path:
    text = (EXAMPLES / name).read_text().replace(*replace, 1)
    path = tmp_path / "export.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "replace, row, column, words",
    [
        (("01/07/2025,99213", "2025/07/01,99213"), 8, "DOS", "not a date"),
        (("$125.00", "$12 5.00"), 8, "Charges", "not money"),
        (("$35.50", "(35.50"), 9, "Charges", "not money"),
        (
            ("Cedar Ridge Health Plan", "Cedar Rige Health"),
            14,
            "Primary Insurance",
            "unknown payer",
        ),
        (("87880 - Strep", "Strep"), 9, "CPT", "procedure code"),
        (
            ("Claim #,Line,Line Ctrl #", "Claim,Line,Line Ctrl #"),
            5,
            "Claim #",
            "not in the header",
        ),
    ],
)
def test_a_file_the_profile_does_not_fit_is_refused_with_row_and_column(
    tmp_path, replace, row, column, words
):
    with pytest.raises(InputFileError) as err:
        map_file("pm-charge-detail", _edited(tmp_path, replace))
    assert (err.value.file, err.value.row, err.value.column) == ("export.csv", row, column)
    assert words in err.value.reason


def test_every_problem_is_counted_and_the_first_few_named(tmp_path):
    path = _edited(tmp_path, ("01/06/2025", "06.01.2025"))
    text = path.read_text().replace("01/06/2025", "06.01.2025")
    path.write_text(text)
    with pytest.raises(InputFileError) as err:
        map_file("pm-charge-detail", path)
    assert err.value.row == 6 and err.value.more[0][:2] == (7, "DOS")
    assert err.value.total == 2


def test_transaction_codes_not_in_the_profile_are_refused(tmp_path):
    path = _edited(tmp_path, (",PP,", ",XFER,"), "pm-transaction-detail.csv")
    with pytest.raises(InputFileError) as err:
        map_file("pm-transaction-detail", path)
    assert (err.value.row, err.value.column) == (5, "Trans Code")
    assert "'XFER' is not one of the profile's values" in err.value.reason


def test_fill_down_for_grouped_reports(tmp_path):
    profile = model.parse(
        "g",
        """
name: g
kind: transactions
columns:
  claim_id: {from: Claim, fill_down: true}
  posted_date: {from: Posted, type: date, formats: ["%m/%d/%Y"], fill_down: true}
  type: Type
  amount: {from: Amount, type: money}
""",
    )
    path = tmp_path / "grouped.csv"
    path.write_text(
        "Claim,Posted,Type,Amount\n"
        "C1,02/01/2025,patient_payment,$10.00\n"
        ",,contractual,$5.00\n"
        "C2,02/02/2025,refund,(1.00)\n"
    )
    frame = map_file(profile, path).frame
    assert frame["claim_id"].tolist() == ["C1", "C1", "C2"]
    assert frame["posted_date"].tolist() == ["2025-02-01", "2025-02-01", "2025-02-02"]
    assert frame["amount"].tolist() == ["10.00", "5.00", "-1.00"]


def test_quoted_line_breaks_keep_row_numbers_exact(tmp_path):
    profile = model.parse(
        "q",
        """
name: q
kind: transactions
columns:
  claim_id: Claim
  posted_date: {from: Posted, type: date, formats: ["%m/%d/%Y"]}
  type: Type
  amount: {from: Amount, type: money}
  reason: Note
""",
    )
    path = tmp_path / "notes.csv"
    path.write_text(
        'Claim,Posted,Type,Amount,Note\nC1,02/01/2025,refund,$1.00,"two\nlines"\n'
        "C2,02/31/2025,refund,$1.00,x\n"
    )
    with pytest.raises(InputFileError) as err:
        map_file(profile, path)
    assert (err.value.row, err.value.column) == (4, "Posted")


def test_a_mapped_column_named_twice_in_the_header_is_refused(tmp_path):
    path = _edited(tmp_path, ("Units,Charges", "Units,Units"))
    with pytest.raises(InputFileError) as err:
        map_file("pm-charge-detail", path)
    assert (err.value.row, err.value.column) == (5, "Units")
    assert "twice" in err.value.reason


def test_the_example_in_docs_profiles_md_is_a_valid_profile():
    text = (EXAMPLES.parents[2] / "docs" / "profiles.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    profile = model.parse("docs", block)
    assert profile.kind == "charges" and profile.constants == {"place_of_service": "11"}
