"""Importing through a profile, on SQLite and PostgreSQL: the same rows as importing the
equivalent interface CSV, idempotent, and refused naming the user's row and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from payeropt_lib import store
from payeropt_lib.errors import InputFileError, ProfileError
from payeropt_lib.inputs import imports
from payeropt_lib.profiles import mapping
from payeropt_lib.store import tables
from tests.conftest import OWNER, _new_org, org_snapshot

from .helpers import CONTRACTS, EXAMPLES, SHIPPED

# kind of each shipped profile, in the order a practice is loaded
ORDER = [
    ("payer-fee-schedule-xlsx", "fee-schedules"),
    ("pm-charge-detail", "charges"),
    ("pm-transaction-detail", "transactions"),
]


def _practice(engine, tmp_path: Path) -> str:
    org = _new_org(engine)
    contracts = tmp_path / "contracts.csv"
    contracts.write_text(CONTRACTS)
    imports.import_file(engine, org, "contracts", contracts, OWNER)
    return org


def _through_profiles(engine, org: str) -> list[imports.ImportResult]:
    results = []
    for profile, kind in ORDER:
        path = EXAMPLES / SHIPPED[profile][0]
        source = mapping.import_source(kind, path, profile)
        results.append(imports.import_file(engine, org, kind, path, OWNER, source=source))
    return results


def _rows(engine, org: str, table) -> list[tuple]:
    with engine.connect() as conn:
        frame = store.read_frame(conn, table, org).drop(columns=["import_id"], errors="ignore")
    frame = frame.drop(columns=["org_id"], errors="ignore")
    return sorted(map(tuple, frame.astype(str).to_numpy().tolist()))


def test_profile_import_equals_the_interface_csv_import(engine, tmp_path):
    by_profile, by_csv = _practice(engine, tmp_path), _practice(engine, tmp_path)
    results = _through_profiles(engine, by_profile)
    assert [r.rows for r in results] == [11, 7, 5]
    for profile, kind in ORDER:
        imports.import_file(engine, by_csv, kind, EXAMPLES / SHIPPED[profile][1], OWNER)
    for table in (tables.fee_schedules, tables.charges, tables.transactions):
        assert _rows(engine, by_profile, table) == _rows(engine, by_csv, table), table.name
    assert len(_rows(engine, by_profile, tables.charges)) == 7


def test_same_file_same_profile_changes_nothing(engine, tmp_path):
    org = _practice(engine, tmp_path)
    _through_profiles(engine, org)
    before = org_snapshot(engine, org)
    again = _through_profiles(engine, org)
    assert all(r.already_imported for r in again)
    assert org_snapshot(engine, org) == before
    audit = [row for row in before["audit_log"] if "import.charges" in row]
    assert len(audit) == 1 and "pm-charge-detail" in repr(audit[0])


def test_the_same_file_through_an_edited_profile_is_read_again(engine, tmp_path):
    org = _practice(engine, tmp_path)
    _through_profiles(engine, org)
    edited = tmp_path / "charges.yaml"
    text = (EXAMPLES.parent / "pm-charge-detail.yaml").read_text()
    edited.write_text(text + "\n# a comment is a change of the profile's text\n")
    path = EXAMPLES / SHIPPED["pm-charge-detail"][0]
    source = mapping.import_source("charges", path, str(edited))
    result = imports.import_file(engine, org, "charges", path, OWNER, source=source)
    assert not result.already_imported
    assert (result.inserted, result.replaced, result.unchanged) == (0, 0, 7)


def test_interface_errors_after_mapping_name_the_users_row_and_column(engine, tmp_path):
    org = _practice(engine, tmp_path)
    text = (EXAMPLES / "pm-charge-detail.csv").read_text()
    # 4 units of J1100 written as 4.5 (row 13): the interface's check, in the user's terms.
    path = tmp_path / "charges-export.csv"
    path.write_text(text.replace(",,,,4,$12.00", ",,,,4.5,$12.00"))
    source = mapping.import_source("charges", path, "pm-charge-detail")
    with pytest.raises(InputFileError) as err:
        imports.import_file(engine, org, "charges", path, OWNER, source=source)
    assert (err.value.file, err.value.row, err.value.column) == ("charges-export.csv", 13, "Units")
    assert "positive whole number" in err.value.reason
    with engine.connect() as conn:
        assert store.read_frame(conn, tables.charges, org).empty


def test_a_payer_without_a_contract_names_the_source_column(engine, tmp_path):
    org = _new_org(engine)  # no contracts: every payer id is unknown
    path = EXAMPLES / SHIPPED["pm-charge-detail"][0]
    source = mapping.import_source("charges", path, "pm-charge-detail")
    with pytest.raises(InputFileError) as err:
        imports.import_file(engine, org, "charges", path, OWNER, source=source)
    assert (err.value.row, err.value.column) == (6, "Primary Insurance")
    assert "unknown payer 'MCR'" in err.value.reason


def test_duplicate_keys_name_both_source_rows(engine, tmp_path):
    org = _practice(engine, tmp_path)
    text = (EXAMPLES / "pm-charge-detail.csv").read_text()
    path = tmp_path / "dupes.csv"
    path.write_text(text.replace("C250104,1,C250104L1", "C250103,1,C250104L1"))
    source = mapping.import_source("charges", path, "pm-charge-detail")
    with pytest.raises(InputFileError) as err:
        imports.import_file(engine, org, "charges", path, OWNER, source=source)
    assert err.value.row == 14 and err.value.column == "Claim #+Line"
    assert "first at row 12" in err.value.reason


def test_a_profile_of_another_kind_is_refused():
    with pytest.raises(ProfileError, match="maps charges files, not transactions"):
        mapping.import_source(
            "transactions", EXAMPLES / "pm-charge-detail.csv", "pm-charge-detail"
        )


def test_the_frame_is_what_an_interface_csv_reads(tmp_path):
    """The mapped frame holds strings only, as ``schemas.read_csv`` gives them."""
    path = EXAMPLES / SHIPPED["pm-charge-detail"][0]
    frame, locate = mapping.import_source("charges", path, "pm-charge-detail").read()
    assert all(pd.api.types.is_string_dtype(frame[c]) for c in frame.columns)
    assert locate(6, "date_of_service") == (14, "DOS")
