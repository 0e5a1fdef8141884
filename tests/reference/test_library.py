"""The CMS fee library on a real store (SQLite and PostgreSQL): a release imported from
CMS's own files, kept with its dates, idempotent, refused whole, and CMS's published
amounts held against it (``payeropt cms-pfs verify``)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from payeropt_lib import errors, store
from payeropt_lib.pricing import expected
from payeropt_lib.reference import library, published
from payeropt_lib.store import tables
from payeropt_lib.store.access import Identity
from tests.conftest import empty_cms_library, require_shared

ANALYST = Identity("ana", "analyst")
SAMPLE = "cms/published/PFTX25A_04412_09_first100.txt"


def _release(tmp_path: Path, *names: str) -> Path:
    """A folder holding the named files of shared/data/cms (one CMS release)."""
    folder = tmp_path / "rvu25d"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(require_shared() / "cms" / name, folder / name)
    return folder


@pytest.fixture
def fresh(engine):
    """The engine with the library empty before and after (it is shared by every
    practice of a database, and the backends' databases by the tests of a worker)."""
    empty_cms_library(engine)
    yield engine
    empty_cms_library(engine)


@pytest.mark.slow
def test_a_release_is_stored_once_and_verified_against_cms(fresh, tmp_path) -> None:
    # CSV and TXT of the same release: read both, and they agree.
    folder = _release(tmp_path, "PPRRVU2025_Oct.csv", "PPRRVU2025_Oct.txt", "GPCI2025.txt")
    done = library.import_release(fresh, folder, 2025, "D", ANALYST)
    assert (done.codes, done.localities, done.conv_factor_x10000) == (19090, 109, 323465)
    assert done.effective_from == dt.date(2025, 10, 1) and not done.already
    again = library.import_release(fresh, folder, 2025, "D", ANALYST)
    assert again.already
    assert store.count_rows(fresh, tables.cms_pfs_releases) == 1
    # The published January amounts against the October release: 98 of 100 to the cent,
    # two named revisions (tests/reference/test_published.py has the arithmetic).
    differs = library.verify_published(fresh, [require_shared() / SAMPLE], ANALYST)
    assert list(differs.columns) == published.DIFFERENCE_COLUMNS
    assert differs["procedure_code"].tolist() == ["0446T", "0448T"]
    assert differs["reason"].str.contains("RVU25D").all()
    # The locality's amounts from the library equal the committed reference file's 2025
    # rows (built from the same files by reference.medicare).
    fees = library.amounts(fresh, "04412-11")
    row = fees[fees["procedure_code"].eq("99213") & fees["modifier"].eq("")].iloc[0]
    assert (row["non_facility_cents"], row["facility_cents"]) == (8932, 6392)
    assert row["release"] == "2025D" and row["effective_from"] == dt.datetime(2025, 10, 1)


def test_a_release_that_cannot_be_read_stores_nothing(fresh, tmp_path) -> None:
    folder = _release(tmp_path, "GPCI2025.txt")
    with pytest.raises(errors.InputFileError) as caught:
        library.import_release(fresh, folder, 2025, "D", ANALYST)
    assert "PPRRVU" in str(caught.value)
    (folder / "PPRRVU2025.csv").write_text("not a relative value file\n")
    with pytest.raises(errors.InputFileError) as caught:
        library.import_release(fresh, folder, 2025, "D", ANALYST)
    assert caught.value.file == "PPRRVU2025.csv"
    assert store.count_rows(fresh, tables.cms_pfs_releases) == 0
    assert store.count_rows(fresh, tables.cms_pfs_rvus) == 0


def test_the_library_is_for_the_roles_that_may_import_it(fresh, tmp_path) -> None:
    folder = _release(tmp_path, "GPCI2025.txt")
    before = store.count_rows(fresh, tables.audit_log, tables.SYSTEM_ORG)
    with pytest.raises(errors.PermissionDenied):
        library.import_release(fresh, folder, 2025, "D", Identity("cy", "clinician"))
    assert store.count_rows(fresh, tables.audit_log, tables.SYSTEM_ORG) == before + 1


def test_a_year_the_library_does_not_hold_is_named(fresh) -> None:
    with pytest.raises(errors.InputFileError) as caught:
        library.verify_published(fresh, [require_shared() / SAMPLE], ANALYST)
    assert (caught.value.column, "2025" in caught.value.reason) == ("year", True)


@pytest.mark.slow
def test_a_line_is_priced_by_the_release_in_force_on_its_date(fresh, tmp_path) -> None:
    """Two releases of 2024 as CMS made them: A from 1 January at CF 32.7442, and B from
    9 March (the Consolidated Appropriations Act 2024, not retroactive) at 33.2875. The
    RVU25D files stand in for both (only the dates and conversion factors matter here).
    A 99213 office visit in Dallas on 8 and 9 March 2024, priced by the expected-amount
    engine from the library's rows: work 1.30 x 1.011, PE 1.35 x 1.007 (non-facility),
    MP 0.10 x 0.877 = 2.76145 (130*1011 + 135*1007 + 10*877 = 276145, exact in 1e-5),
    x 32.7442 = 90.4218... -> $90.42, and x 33.2875 = 91.9228... -> $91.92 (and x 32.3465
    = 89.3228... -> $89.32, the committed reference file's 2025 amount)."""
    folder = _release(tmp_path, "PPRRVU2025_Oct.txt", "GPCI2025.txt")
    library.import_release(fresh, folder, 2024, "A", ANALYST, cf_x10000=327442)
    library.import_release(
        fresh, folder, 2024, "B", ANALYST, cf_x10000=332875, effective_from=dt.date(2024, 3, 9)
    )
    fees = library.amounts(fresh, "04412-11")
    lines = pd.DataFrame(
        {
            "line_key": [0, 1], "claim_id": ["C1", "C2"], "payer_id": "MCR",
            "product_line": "", "procedure_code": "99213", "modifiers": "", "units": 1,
            "charge_cents": 20_000,
            "date_of_service": pd.to_datetime(["2024-03-08", "2024-03-09"]),
            "place_of_service": "11",
        }
    )  # fmt: skip
    contracts = pd.DataFrame(
        {
            "payer_id": ["MCR"], "product_line": [""],
            "effective_from": pd.to_datetime(["2024-01-01"]), "basis": ["medicare_percent"],
            "medicare_percent_x1000": pd.array([100_000], dtype="Int64"),
            "medicare_locality": ["04412-11"], "lesser_of_charges": [True],
            "mppr_percent_x1000": [50_000],
        }
    )  # fmt: skip
    no_fees = pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in [
            ("payer_id", "str"), ("product_line", "str"), ("procedure_code", "str"),
            ("modifier", "str"), ("effective_from", "datetime64[ns]"),
            ("effective_to", "datetime64[ns]"), ("allowed_cents", "int64")]}
    )  # fmt: skip
    priced = expected.expected_allowed(lines, contracts, no_fees, fees, explain=False)
    assert priced["expected_cents"].tolist() == [9042, 9192]
    assert priced["rate_from"].tolist() == [pd.Timestamp("2024-01-01"),
                                            pd.Timestamp("2024-03-09")]  # fmt: skip


def test_releases_keep_their_order_and_are_known_by_their_contents(fresh, tmp_path) -> None:
    folder = _release(tmp_path, "PPRRVU2025_Oct.txt", "GPCI2025.txt")
    library.import_release(fresh, folder, 2025, "B", ANALYST)
    # A later letter in force before an earlier one, a date outside the year, a second
    # release on the same day: refused, nothing stored.
    for release, day in (("C", dt.date(2025, 3, 1)), ("C", dt.date(2026, 1, 1)),
                         ("A", dt.date(2025, 4, 1))):  # fmt: skip
        with pytest.raises(errors.InputFileError):
            library.import_release(fresh, folder, 2025, release, ANALYST, effective_from=day)
    assert store.count_rows(fresh, tables.cms_pfs_releases) == 1
    # The same contents under other names: the release already on file.
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    shutil.copy(folder / "PPRRVU2025_Oct.txt", renamed / "PPRRVU_B.txt")
    shutil.copy(folder / "GPCI2025.txt", renamed / "GPCI_B.txt")
    assert library.import_release(fresh, renamed, 2025, "B", ANALYST).already
    # Another conversion factor for it: refused, with the reason.
    with pytest.raises(errors.InputFileError, match="another conversion factor"):
        library.import_release(fresh, folder, 2025, "B", ANALYST, cf_x10000=330000)


def test_the_library_fills_only_what_the_practice_has_no_row_for(fresh, tmp_path) -> None:
    """Release 2025 D (from 1 October, the only one on file) against a practice's own rows
    at 04412-11: 99213 from 1 January until 1 November (closed), 20610 from 1 January
    open-ended, 99214 none."""
    folder = _release(tmp_path, "PPRRVU2025_Oct.txt", "GPCI2025.txt")
    library.import_release(fresh, folder, 2025, "D", ANALYST)
    own = pd.DataFrame(
        {
            "locality": "04412-11", "procedure_code": ["99213", "20610"], "modifier": "",
            "effective_from": pd.to_datetime(["2025-01-01", "2025-01-01"]),
            "effective_to": pd.to_datetime(["2025-11-01", None]),
            "non_facility_cents": [1, 2], "facility_cents": [1, 2], "mult_proc": ["0", "2"],
        }
    ).astype({"effective_from": "datetime64[ns]", "effective_to": "datetime64[ns]"})  # fmt: skip
    with fresh.connect() as conn:
        done = library.completed(conn, own, ["04412-11"])
    added = done.iloc[len(own) :]
    rows = sorted(
        (code, str(row["effective_from"].date()), str(row["effective_to"].date())
         if pd.notna(row["effective_to"]) else None)
        for code, row in added.set_index("procedure_code").iterrows()
        if code in ("99213", "99214", "20610")
    )  # fmt: skip
    # Before each code's first row of the practice: the library's (2025 D is the oldest
    # release on file, so it stands in for every earlier date, flagged when priced). After
    # the last closed one (99213 from 1 November): the library's. 20610's row is
    # open-ended: nothing after it; 99214: the library's for every date.
    assert rows == [
        ("20610", "1992-01-01", "2025-01-01"),
        ("99213", "1992-01-01", "2025-01-01"),
        ("99213", "2025-11-01", None),
        ("99214", "1992-01-01", None),
    ]
    # The practice's rows as they were (no source: its own); the added ones say theirs.
    assert done.iloc[: len(own)].drop(columns="source").equals(own)
    assert done.iloc[: len(own)]["source"].isna().all()
    assert added["source"].eq("CMS PFS 2025D").all()
    with fresh.connect() as conn:  # a locality no contract names: nothing from the library
        assert library.completed(conn, own, []).equals(own)
