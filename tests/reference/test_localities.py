"""CMS's county list (25LOCCO) and anesthesia conversion factors (ANES2025) read as CMS
publishes them, CSV and TXT, from the shared RVU25D files; a county placed in its
locality; refusals that name file, line and field. The library's side (stored with a
release, looked up by date) is on both backends at the end."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from payeropt_lib import errors, store
from payeropt_lib.reference import library, localities, medicare
from payeropt_lib.store import tables
from payeropt_lib.store.access import Identity
from tests.conftest import empty_cms_library, require_shared
from tests.reference.cms_files import release_folder

ANALYST = Identity("ana", "analyst")
RELEASE = "CMS PFS 2025D"


def _cms(name: str) -> Path:
    return require_shared() / "cms" / name


@pytest.fixture(scope="module")
def states() -> dict[str, str]:
    gpci = medicare.read_gpci(_cms("GPCI2025.csv"))
    return dict(zip(gpci["locality"], gpci["state"], strict=True))


def _rules(states: dict[str, str], *names: str):  # noqa: ANN202
    return localities.agreeing_rules([(n, localities.read_locco(_cms(n))) for n in names], states)


def test_the_csv_is_read_as_cms_wrote_it() -> None:
    rows = localities.read_locco(_cms("25LOCCO.csv"))
    by_line = rows.set_index("line")
    # Line 7: "2102,1,ALASKA ,STATEWIDE ,ALL COUNTIES " -- both leading zeros dropped.
    assert by_line.loc[7, ["locality", "state", "counties"]].tolist() == [
        "02102-01", "AK", "ALL COUNTIES",
    ]  # fmt: skip
    # Line 14: "1112,52,,SAN FRANCISCO-OAKLAND-BERKELEY (MARIN CNTY),MARIN": the state is
    # California's, from line 13 above it.
    assert by_line.loc[14, ["locality", "state"]].tolist() == ["01112-52", "CA"]
    # Line 13 of the TXT leaves CALIFORNIA out altogether (its block names no state).
    txt = localities.read_locco(_cms("25LOCCO.txt")).set_index("line")
    assert txt.loc[13, "locality"] == "01182-18" and pd.isna(txt.loc[13, "state"])
    # "BROWARD, COLLIER, INDIAN RIVER, LEE, MARTIN, PALM BEACH, A": cut at 58 characters.
    assert txt["cut"].sum() == 9 and not rows["cut"].any()
    assert len(rows) == len(txt) == 110  # 05302-99 twice in both (two carriers)


@pytest.mark.parametrize(
    ("state", "county", "expected"),
    [
        ("TX", "Harris", "04412-18"),  # 4412,18,,HOUSTON,HARRIS
        ("texas", "Bexar County", "04412-99"),  # 4412,99,,REST OF STATE ,ALL OTHER COUNTIES
        ("CA", "Orange", "01182-18"),  # TXT: ...(LOS ANGELES CNTY/ORANG CNTY)  LOS ANGELES/ORANGE
        ("CA", "Alpine", "01112-75"),  # 1112,75,,REST OF STATE*,ALL OTHER COUNTIES
        # 12202,1,DISTRICT OF COLUMBIA ,DC + MD/VA SUBURBS ,"DISTRICT OF COLUMBIA;
        # ALEXANDRIA CITY, ARLINGTON, FAIRFAX, FAIRFAX CITY, FALLS CHURCH CITY IN VIRGINIA;
        # MONTGOMERY AND PRINCE GEORGE'S IN MARYLAND"
        ("VA", "Fairfax", "12202-01"),
        ("MD", "Prince George's", "12202-01"),
        ("DC", "District of Columbia", "12202-01"),
        # 11302,0,VIRGINIA,STATEWIDE,"ALL COUNTIES, EXCEPT ALEXANDRIA CITY, ARLINGTON, ..."
        ("VA", "Richmond", "11302-00"),
        # 12302,99,,REST OF STATE ,ALL OTHER COUNTIES EXCEPT MONTGOMERY AND PRINCE GEORGE'S
        ("MD", "Garrett", "12302-99"),
        ("FL", "Miami-Dade", "09102-04"),  # 9102,4,,MIAMI,DADE AND MONROE
        ("MO", "Saint Louis City", "05302-01"),  # ...ST. LOUIS AND ST. LOUIS CITY
        ("LA", "St Bernard Parish", "07202-01"),  # ...PLAQUEMINES AND ST. BERNARD
        ("GU", "Guam", "01212-01"),  # 1212,1,HAWAII/GUAM,STATEWIDE ,ALL COUNTIES
        ("NY", "Queens", "13292-04"),  # 13292,4,,QUEENS,QUEENS
        ("NY", "Erie", "13282-99"),  # 13282,99,,REST OF STATE ,ALL OTHER COUNTIES
    ],
)
def test_counties_found_in_both_layouts(states, state, county, expected) -> None:
    rules = _rules(states, "25LOCCO.csv", "25LOCCO.txt")
    assert localities.find_locality(rules, state, county, RELEASE) == expected


def test_what_one_layout_alone_cannot_say(states) -> None:
    # The CSV alone misspells Orange County (line 13: "LOS ANGELES /ORAGNGE CNTY"): it
    # falls to the rest of the state. The TXT spells it right (and both are kept).
    csv_only = _rules(states, "25LOCCO.csv")
    assert localities.find_locality(csv_only, "CA", "Orange", RELEASE) == "01112-75"
    txt_only = _rules(states, "25LOCCO.txt")
    assert localities.find_locality(txt_only, "CA", "Orange", RELEASE) == "01182-18"
    assert localities.find_locality(txt_only, "TX", "Harris", RELEASE) == "04412-18"
    # The TXT cuts Virginia's exceptions ("ALL COUNTIES, EXCEPT ALEXANDRIA CITY,
    # ARLINGTON, FAIRFAX,"): a county it does not name cannot be placed for sure.
    with pytest.raises(errors.NoLocality, match="cut off in CMS's TXT"):
        localities.find_locality(txt_only, "VA", "Richmond", RELEASE)
    # And its DC row is cut inside "ALEXANDRIA CITY, ARLINGTON, FAIRFAX," before it says
    # which state those are in: no rest-of-state answer is sure anywhere (Bexar, TX).
    with pytest.raises(errors.NoLocality, match="12202-01 is cut off"):
        localities.find_locality(txt_only, "TX", "Bexar", RELEASE)
    with pytest.raises(errors.NoLocality, match="not a state"):
        localities.find_locality(csv_only, "ZZ", "Nowhere", RELEASE)


def test_anesthesia_factors_agree_in_both_layouts() -> None:
    csv = localities.read_anes(_cms("ANES2025.csv"))
    txt = localities.read_anes(_cms("ANES2025.txt"))  # ends with a ^Z byte
    both = localities.agreeing_anesthesia([("ANES2025.txt", txt), ("ANES2025.csv", csv)])
    cf = both.set_index("locality")
    # CSV "10112 ,00 ,ALABAMA,19.31 " and TXT "10112       00    ALABAMA    ...    1931".
    assert cf.loc["10112-00", "anes_cf_x10000"] == 193100
    assert cf.loc["04412-18", "anes_cf_x10000"] == 210900  # 04412 ,18 ,HOUSTON,21.09
    assert cf.loc["02102-01", "locality_name"] == "ALASKA"  # "ALASKA*": the mark dropped
    # The CSV's whole name; the TXT cuts it at 40 ("LOS ANGELES-LONG BEACH-ANAHEIM (LOS ANGE").
    assert cf.loc["01182-18", "locality_name"].endswith("(LOS ANGELES/ORANGE CNTY)")
    assert len(both) == 109


def test_files_not_in_cms_layout_are_refused_naming_line_and_field(tmp_path, states) -> None:
    text = _cms("25LOCCO.csv").read_text()
    bad = tmp_path / "25LOCCO.csv"
    bad.write_text(text.replace("ALABAMA ", "ALABAMMA"))
    with pytest.raises(errors.CmsFileError) as caught:
        localities.read_locco(bad)
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        "25LOCCO.csv", 5, "State",
    )  # fmt: skip
    bad.write_text(text.replace("10112,0,", "10112,X,"))
    with pytest.raises(errors.CmsFileError) as caught:
        localities.read_locco(bad)
    assert (caught.value.row, caught.value.column) == (5, "Locality Number")
    # The TXT says another locality than the CSV on one line: both layouts refused.
    txt = tmp_path / "25LOCCO.txt"
    txt.write_text(_cms("25LOCCO.txt").read_text().replace("04412       18", "04412       19"))
    shutil.copy(_cms("25LOCCO.csv"), bad)
    read = [(p.name, localities.read_locco(p)) for p in (bad, txt)]
    with pytest.raises(errors.CmsFileError) as caught:
        localities.agreeing_rules(read, states)
    assert caught.value.file == "25LOCCO.txt" and "04412-19" in caught.value.reason
    # ANES: a letter in a factor, and a ^Z anywhere but at the end.
    anes = tmp_path / "ANES2025.txt"
    raw = _cms("ANES2025.txt").read_bytes()
    anes.write_bytes(raw.replace(b"1931", b"19B1"))
    with pytest.raises(errors.CmsFileError) as caught:
        localities.read_anes(anes)
    assert (caught.value.row, caught.value.column) == (1, "Anes CF")
    anes.write_bytes(raw.replace(b"2786", b"27\x1a6"))
    with pytest.raises(errors.CmsFileError) as caught:
        localities.read_anes(anes)
    assert (caught.value.row, caught.value.column) == (2, "file")
    anes_csv = tmp_path / "ANES2025.csv"
    anes_csv.write_bytes(_cms("ANES2025.csv").read_bytes().replace(b"21.09", b"21.19"))
    read = [("ANES2025.txt", localities.read_anes(_cms("ANES2025.txt"))),
            ("ANES2025.csv", localities.read_anes(anes_csv))]  # fmt: skip
    with pytest.raises(errors.CmsFileError, match="does not agree"):
        localities.agreeing_anesthesia(read)


# --------------------------------------------------------------------------- the library


@pytest.fixture
def fresh(engine):
    empty_cms_library(engine)
    yield engine
    empty_cms_library(engine)


def test_a_release_keeps_its_county_list_and_anesthesia_factors(fresh, tmp_path) -> None:
    bare = release_folder(tmp_path / "c", (), "25LOCCO.txt")  # 2025 C: TXT county list only
    library.import_release(fresh, bare, 2025, "C", ANALYST)
    # Its county list is the TXT alone, which cuts Virginia's exceptions short.
    with pytest.raises(errors.NoLocality, match="cut off"):
        library.locality(fresh, "VA", "Richmond", ANALYST)
    full = release_folder(tmp_path / "d", (), *(f"{n}.{x}" for n in ("25LOCCO", "ANES2025")
                                              for x in ("csv", "txt")))  # fmt: skip
    done = library.import_release(fresh, full, 2025, "D", ANALYST)
    assert (done.counties > 200, done.anesthesia) == (True, 109)
    assert library.import_release(fresh, full, 2025, "D", ANALYST).already
    placed = library.locality(fresh, "VA", "Richmond", ANALYST)
    assert (placed.locality, placed.release, placed.anes_cf_x10000) == (
        "11302-00", RELEASE, 199700,  # 11302 ,00 ,VIRGINIA,19.97
    )  # fmt: skip
    assert placed.summary() == (
        "11302-00 VIRGINIA (CMS PFS 2025D county list; anesthesia conversion factor 19.9700)"
    )
    with pytest.raises(errors.NoLocality, match="no CMS PFS release of 2024"):
        library.locality(fresh, "VA", "Richmond", ANALYST, year=2024)
    # The anesthesia factor of the release in force on the day, never an earlier one's.
    with fresh.connect() as conn:
        assert library.anesthesia_cf(conn, "04412-18", dt.date(2025, 10, 1)) == (
            210900, RELEASE,
        )  # fmt: skip
        with pytest.raises(errors.NoLocality, match="2025C, in force then, was imported"):
            library.anesthesia_cf(conn, "04412-18", dt.date(2025, 9, 30))
        with pytest.raises(errors.NoLocality, match="no CMS PFS release"):
            library.anesthesia_cf(conn, "04412-18", dt.date(2025, 6, 30))
    assert store.count_rows(fresh, tables.cms_pfs_anesthesia) == 109


def test_a_county_list_naming_a_locality_the_gpcis_lack_refuses_the_release(
    fresh, tmp_path
) -> None:
    folder = release_folder(tmp_path / "r", (), "25LOCCO.csv")
    text = (folder / "25LOCCO.csv").read_text()
    (folder / "25LOCCO.csv").write_text(text.replace("4412,18,,HOUSTON", "4412,77,,HOUSTON"))
    with pytest.raises(errors.InputFileError) as caught:
        library.import_release(fresh, folder, 2025, "D", ANALYST)
    assert "04412-77" in caught.value.reason
    assert store.count_rows(fresh, tables.cms_pfs_releases) == 0
