"""Spreadsheets through profiles: title rows, merged cells, a sheet per product line, codes
typed as numbers, dates as date cells or serials; refusals name the sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from payeropt_lib.errors import InputFileError, ProfileError
from payeropt_lib.profiles import model, sources

from .helpers import EXAMPLES, ROOT, map_file


def _script():
    """scripts/make_profile_examples.py, loaded by path (scripts/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_profile_examples", ROOT / "scripts" / "make_profile_examples.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PROFILE = """
name: x
kind: fee-schedules
header_row: 3
sheets:
  Commercial HMO: {product_line: HMO}
  Commercial PPO: {product_line: PPO}
constants: {payer_id: ACME}
columns:
  procedure_code: {from: Code, type: code}
  allowed_amount: {from: Fee, type: money}
  effective_from: {from: Effective, type: date, formats: ["%m/%d/%Y"], excel_serial: true}
"""


def _book(tmp_path: Path, sheets: dict[str, list[list]], merges=()) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
        for sheet, cells in merges:
            if sheet == title:
                ws.merge_cells(cells)
    path = tmp_path / "fees.xlsx"
    book.save(path)
    return path


TITLE = [["Acme Health Plan fee schedule"], []]
HEADER = ["Code", "Fee", "Effective"]


def test_sheets_title_rows_merged_dates_numbers_and_serials(tmp_path):
    path = _book(
        tmp_path,
        {
            "Commercial HMO": [
                *TITLE,
                HEADER,
                [99213, 92.5, dt.datetime(2025, 1, 1)],
                [99214, "$1,131.20", None],  # the date cell above is merged down
                ["0001F", 0, None],
            ],
            "Commercial PPO": [
                *TITLE,
                HEADER,
                [99213.0, 110, 45658],
                ["J1100", 1.05, "07/01/2025"],
            ],
        },
        merges=[("Commercial HMO", "C4:C6"), ("Commercial HMO", "A1:C1")],
    )
    mapped = map_file(model.parse("x", PROFILE), path)
    frame = mapped.frame
    assert frame["procedure_code"].tolist() == ["99213", "99214", "0001F", "99213", "J1100"]
    assert frame["allowed_amount"].tolist() == ["92.5", "1131.20", "0", "110", "1.05"]
    assert frame["effective_from"].tolist() == ["2025-01-01"] * 4 + ["2025-07-01"]
    assert frame["product_line"].tolist() == ["HMO"] * 3 + ["PPO"] * 2
    assert mapped.locate(4, "allowed_amount") == (5, "Fee in sheet 'Commercial PPO'")


def test_a_bad_value_is_refused_naming_row_column_and_sheet(tmp_path):
    path = _book(
        tmp_path,
        {
            "Commercial HMO": [*TITLE, HEADER, [99213, 92.5, dt.datetime(2025, 1, 1)]],
            "Commercial PPO": [*TITLE, HEADER, [99213, "call us", dt.datetime(2025, 1, 1)]],
        },
    )
    with pytest.raises(InputFileError) as err:
        map_file(model.parse("x", PROFILE), path)
    assert (err.value.file, err.value.row) == ("fees.xlsx", 4)
    assert err.value.column == "Fee in sheet 'Commercial PPO'"
    assert "not money" in err.value.reason


def test_a_sheet_the_profile_names_must_be_there(tmp_path):
    path = _book(tmp_path, {"Commercial HMO": [*TITLE, HEADER, [99213, 1, 45658]]})
    with pytest.raises(InputFileError) as err:
        map_file(model.parse("x", PROFILE), path)
    assert err.value.column == "sheet 'Commercial PPO'"
    assert "'Commercial HMO'" in err.value.reason


def test_a_column_missing_in_one_sheet_names_that_sheet(tmp_path):
    path = _book(
        tmp_path,
        {
            "Commercial HMO": [*TITLE, HEADER, [99213, 1, 45658]],
            "Commercial PPO": [*TITLE, ["Code", "Rate", "Effective"], [99213, 1, 45658]],
        },
    )
    with pytest.raises(InputFileError) as err:
        map_file(model.parse("x", PROFILE), path)
    assert (err.value.row, err.value.column) == (3, "Fee in sheet 'Commercial PPO'")


def test_leading_zeros_come_back_only_when_the_profile_says_so(tmp_path):
    rows = [*TITLE, HEADER, [100, 300, 45658], [1234, 5, 45658]]
    path = _book(tmp_path, {"Commercial HMO": rows, "Commercial PPO": rows[:3]})
    plain = map_file(model.parse("x", PROFILE), path).frame
    assert plain["procedure_code"].tolist() == ["100", "1234"]  # the interface refuses these
    padded = PROFILE.replace("type: code}", "type: code, pad_codes: true}")
    assert map_file(model.parse("x", padded), path).frame["procedure_code"].tolist() == [
        "00100", "01234"
    ]  # fmt: skip


def test_cells_become_the_text_a_csv_export_holds():
    cell = sources.cell_text
    assert [cell(99213.0), cell(62.5), cell(7), cell(None), cell(" x ")] == [
        "99213", "62.5", "7", "", "x"
    ]  # fmt: skip
    assert cell(dt.datetime(2025, 1, 15)) == "2025-01-15"
    assert cell(dt.datetime(2025, 1, 15, 8, 30)) == "2025-01-15 08:30:00"
    assert cell(True) == "true"


def test_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "fees.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputFileError, match="not a readable .xlsx"):
        map_file(model.parse("x", PROFILE), path)


def test_the_committed_example_workbook_is_what_the_script_writes(tmp_path):
    """The example is reproducible: the script writes the same cells again."""
    made = _script().main(tmp_path)
    for ours, theirs in zip(
        sources.read_grids("a.xlsx", made.read_bytes(), ["HMO", "PPO"]),
        sources.read_grids("b.xlsx", (EXAMPLES / made.name).read_bytes(), ["HMO", "PPO"]),
        strict=True,
    ):
        assert ours[0] == theirs[0] and ours[1].equals(theirs[1])


CONTRACTS_PROFILE = """
name: c
kind: contracts
header_row: 2
sheets:
  Commercial: {payer_class: COMMERCIAL}
  Government: {payer_class: MEDICARE}
columns:
  payer_id: Payer ID
  payer_name: {from: Payer, fill_down: true}
  product_line: Product
  effective_from: {from: Start, type: date, formats: ["%m/%d/%Y"]}
  basis: {from: Method, values: {"% of Medicare": medicare_percent, "Fee schedule": fee_schedule}}
  medicare_percent: {from: Pct, type: number}
  medicare_locality: Locality
"""


def test_contracts_from_a_workbook(tmp_path):
    head = ["Payer ID", "Payer", "Product", "Class", "Start", "Method", "Pct", "Locality"]
    path = _book(
        tmp_path,
        {
            "Commercial": [
                ["Contracts on file"],
                head,
                ["PMH", "Prairie Mutual Health", "HMO", None, dt.datetime(2025, 1, 1),
                 "Fee schedule", None, None],
                ["PMH", None, "PPO", None, dt.datetime(2025, 1, 1), "% of Medicare", 128,
                 "01112-05"],
            ],
            "Government": [
                ["Contracts on file"],
                head,
                ["MCR", "Medicare Part B (Texas)", None, "Medicare", "01/01/2025",
                 "% of Medicare", 100.0, "01112-05"],
            ],
        },
    )  # fmt: skip
    profile = model.parse("c", CONTRACTS_PROFILE)
    frame = map_file(profile, path).frame
    assert frame["payer_class"].tolist() == ["COMMERCIAL", "COMMERCIAL", "MEDICARE"]
    assert frame["payer_name"].tolist() == ["Prairie Mutual Health"] * 2 + [
        "Medicare Part B (Texas)"
    ]
    assert frame["basis"].tolist() == ["fee_schedule", "medicare_percent", "medicare_percent"]
    assert frame["medicare_percent"].tolist() == ["", "128", "100"]
    assert frame["effective_from"].tolist() == ["2025-01-01"] * 3
    with pytest.raises(ProfileError, match="both mapped and constant"):
        model.parse("c", CONTRACTS_PROFILE.replace("  payer_id: Payer ID", "  payer_class: Class"))
