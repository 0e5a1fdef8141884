"""Which Medicare schedule prices a line: the one in force on its date of service, or on
1 January of a contract's frozen ``medicare_year``; and, where CMS's fee library priced it
from another year's release (none on file for the year priced), a flag on the line and a
plain sentence. Hand-computed, on frames (the first tests) and from releases imported
into the library on both backends (the last)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib.pricing import expected
from payeropt_lib.reference import library
from payeropt_lib.store.access import Identity
from tests.conftest import empty_cms_library
from tests.reference.cms_files import release_folder

LOC = "04412-11"


def _lines(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """(payer, code, date of service) per line, office visits (POS 11) of 1 unit."""
    return pd.DataFrame(
        {
            "line_key": range(len(rows)), "claim_id": [f"C{i}" for i in range(len(rows))],
            "payer_id": [r[0] for r in rows], "product_line": "",
            "procedure_code": [r[1] for r in rows], "modifiers": "", "units": 1,
            "charge_cents": 50_000,
            "date_of_service": pd.to_datetime([r[2] for r in rows]), "place_of_service": "11",
        }
    )  # fmt: skip


def _contracts(*rows: tuple[str, int | None]) -> pd.DataFrame:
    """(payer, medicare_year) per contract: 125 % of Medicare at 04412-11 from 2020."""
    return pd.DataFrame(
        {
            "payer_id": [r[0] for r in rows], "product_line": "",
            "effective_from": pd.Timestamp("2020-01-01"), "basis": "medicare_percent",
            "medicare_percent_x1000": 125_000, "medicare_locality": LOC,
            "lesser_of_charges": True, "mppr_percent_x1000": 50_000,
            "medicare_year": pd.array([r[1] for r in rows], dtype="Int64"),
        }
    )  # fmt: skip


NO_FEES = pd.DataFrame(
    {c: pd.Series(dtype=t) for c, t in [
        ("payer_id", "str"), ("product_line", "str"), ("procedure_code", "str"),
        ("modifier", "str"), ("effective_from", "datetime64[ns]"),
        ("effective_to", "datetime64[ns]"), ("allowed_cents", "int64")]}
)  # fmt: skip


def _medicare(*rows: tuple[str, str, str | None, int, str | None]) -> pd.DataFrame:
    """(code, from, to, non-facility cents, source) per row at 04412-11."""
    return pd.DataFrame(
        {
            "locality": LOC, "procedure_code": [r[0] for r in rows], "modifier": "",
            "effective_from": pd.to_datetime([r[1] for r in rows]),
            "effective_to": pd.to_datetime([r[2] for r in rows]),
            "non_facility_cents": [r[3] for r in rows], "facility_cents": [r[3] for r in rows],
            "mult_proc": "0", "source": pd.array([r[4] for r in rows], dtype=object),
        }
    )  # fmt: skip


# The library's 99213 at 04412-11 (RVU25D's RVUs; tests/reference/test_library.py has the
# arithmetic) by release: 2024 A $90.42, 2024 B from 9 March $91.92, 2025 A $89.32; and
# the practice's own 99214 row (no source), open-ended from 2024.
MEDICARE = _medicare(
    ("99213", "2024-01-01", "2024-03-09", 9042, "CMS PFS 2024A"),
    ("99213", "2024-03-09", "2025-01-01", 9192, "CMS PFS 2024B"),
    ("99213", "2025-01-01", None, 8932, "CMS PFS 2025A"),
    ("99214", "2024-01-01", None, 13000, None),
)


def _priced(lines: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    return expected.expected_allowed(lines, contracts, NO_FEES, MEDICARE)


def test_a_frozen_contract_prices_from_its_years_schedule_whatever_the_date() -> None:
    lines = _lines(("BCB", "99213", "2025-06-15"), ("ACM", "99213", "2025-06-15"),
                   ("ACM", "99213", "2024-06-15"), ("OLD", "99213", "2025-06-15"))  # fmt: skip
    out = _priced(lines, _contracts(("BCB", None), ("ACM", 2024), ("OLD", 2023)))
    # BCB, unfrozen: 2025 A's $89.32 x 125 % = 111.65 exactly. ACM "at 2024 Medicare
    # rates": the row in force on 2024-01-01, 2024 A's $90.42 x 125 % = 113.025 -> $113.03
    # (half up), on a 2025 date and on a June 2024 one alike (not 2024 B's $91.92).
    assert out["expected_cents"].tolist()[:3] == [11165, 11303, 11303]
    assert out["medicare_cents"].tolist()[:3] == [8932, 9042, 9042]
    assert out["rate_from"].tolist()[1] == pd.Timestamp("2024-01-01")
    assert out["explanation"][1] == (
        "ACM contract from 2020-01-01: 125% of 2024 Medicare rates (frozen by contract) "
        "04412-11 non-facility $90.42 = $113.03 (rounded half up) × 1 unit = $113.03; "
        "below charge $500.00"
    )
    # A frozen year is not a substitution: 2024 A is the 2024 schedule.
    assert not out["medicare_schedule_substituted"].any()
    assert out["medicare_release"].tolist()[:3] == ["CMS PFS 2025A", "CMS PFS 2024A",
                                                    "CMS PFS 2024A"]  # fmt: skip
    # 2023: no schedule on file in force on 2023-01-01, so no rate, and the sentence says
    # which year was asked for.
    assert pd.isna(out["expected_cents"][3])
    assert out["explanation"][3] == (
        "no rate on file for 99213 on 2025-06-15 (OLD): no Medicare amount for 04412-11 in "
        "2023 (frozen by contract) to take 125% of"
    )


def test_a_date_no_release_covers_is_flagged_with_the_release_used() -> None:
    lines = _lines(("BCB", "99213", "2025-12-31"), ("BCB", "99213", "2026-01-01"),
                   ("BCB", "99213", "2026-03-04"), ("BCB", "99214", "2026-03-04"),
                   ("FUT", "99213", "2025-06-15"))  # fmt: skip
    out = _priced(lines, _contracts(("BCB", None), ("FUT", 2026)))
    # Every line at 2025 A's $89.32 x 125 % = $111.65 (99214: the practice's $130.00 x
    # 125 % = $162.50); those of 2026 from a 2025 release, flagged: the year changes the
    # flag, not the price.
    assert out["expected_cents"].tolist() == [11165, 11165, 11165, 16250, 11165]
    assert out["medicare_schedule_substituted"].tolist() == [False, True, True, False, True]
    # The practice's own row is no release's: never a substitution.
    assert out["medicare_release"].astype(object).fillna("").tolist() == [
        "CMS PFS 2025A", "CMS PFS 2025A", "CMS PFS 2025A", "", "CMS PFS 2025A",
    ]  # fmt: skip
    assert out["explanation"][2] == (
        "BCB contract from 2020-01-01: 125% of Medicare 04412-11 non-facility $89.32 = "
        "$111.65 × 1 unit = $111.65; below charge $500.00; no CMS schedule on file covers "
        "2026-03-04; priced from CMS PFS 2025A"
    )
    # Frozen at 2026 with only 2025 on file: the 2026 schedule is not there either.
    assert out["explanation"][4].endswith(
        "no CMS schedule on file covers 2026-01-01; priced from CMS PFS 2025A"
    )
    # The same sentences when only the flagged lines are explained.
    some = expected.expected_allowed(
        lines, _contracts(("BCB", None), ("FUT", 2026)), NO_FEES, MEDICARE,
        explain=lambda f: f["medicare_schedule_substituted"].to_numpy(),
    )  # fmt: skip
    assert some["explanation"][2] == out["explanation"][2]
    assert pd.isna(some["explanation"][0])


def test_contracts_without_a_medicare_year_column_price_as_before() -> None:
    lines = _lines(("BCB", "99213", "2024-03-08"), ("BCB", "99213", "2024-03-09"))
    contracts = _contracts(("BCB", None)).drop(columns="medicare_year")
    own = MEDICARE.drop(columns="source")  # a practice's own file: no release, no flag
    out = expected.expected_allowed(lines, contracts, NO_FEES, own)
    # $90.42 x 125 % = 113.025 -> $113.03; $91.92 x 125 % = $114.90.
    assert out["expected_cents"].tolist() == [11303, 11490]
    assert not out["medicare_schedule_substituted"].any()
    assert out["medicare_release"].isna().all()


# --------------------------------------------------------------------------- the library


@pytest.fixture
def fresh(engine):
    empty_cms_library(engine)
    yield engine
    empty_cms_library(engine)


def test_releases_on_each_side_of_their_boundaries_and_a_year_not_on_file(fresh, tmp_path) -> None:
    """Three releases imported as CMS made them, from RVU25D's 99213 record (work 1.30,
    PE 1.35 non-facility, MP 0.10) and the 2025 GPCIs of 04412-11 (1.011, 1.007, 0.877):
    2.76145 adjusted RVUs (130*1011 + 135*1007 + 10*877 = 276145, in 1e-5).
    - 2024 A from 1 January, --cf 32.7442: x 32.7442 = 90.4218... -> $90.42;
    - 2024 B from 9 March (CAA 2024), --cf 33.2875: 91.9228... -> $91.92;
    - 2025 D from 1 October, the file's CF 32.3465: 89.3228... -> $89.32.
    A line on each side of each boundary, one of 2026 (no 2026 release on file) and one of
    2023 (before the oldest release on file)."""
    folder = release_folder(tmp_path / "rvu", ("99213",))
    who = Identity("ana", "analyst")
    library.import_release(fresh, folder, 2024, "A", who, cf_x10000=327442)
    library.import_release(
        fresh, folder, 2024, "B", who, cf_x10000=332875, effective_from=dt.date(2024, 3, 9)
    )
    library.import_release(fresh, folder, 2025, "D", who)
    own = _medicare(("99214", "2024-01-01", None, 13000, None)).drop(columns="source")
    with fresh.connect() as conn:
        fees = library.completed(conn, own, [LOC])
    days = ["2024-03-08", "2024-03-09", "2025-09-30", "2025-10-01", "2026-03-04", "2023-12-01"]
    lines = _lines(*(("MCR", "99213", d) for d in days[:5]), ("ACM", "99213", "2026-03-04"),
                   ("MCR", "99213", days[5]))  # fmt: skip
    contracts = pd.concat([_contracts(("MCR", None)), _contracts(("ACM", 2024))])
    contracts["medicare_percent_x1000"] = 100_000  # Medicare itself: 100 %
    out = expected.expected_allowed(lines, contracts, NO_FEES, fees)
    assert out["expected_cents"].tolist() == [9042, 9192, 9192, 8932, 8932, 9042, 9042]
    # 2025-09-30 is still 2024 B's (2025 D begins in October, and no 2025 A is on file):
    # another year's schedule, flagged; so is 2026, from 2025 D. The frozen contract
    # prices from 2024 A, the schedule of its year: not flagged. A 2023 date, before the
    # oldest release on file, is priced from it (2024 A, $90.42) and flagged too.
    assert out["medicare_schedule_substituted"].tolist() == [
        False, False, True, False, True, False, True,
    ]  # fmt: skip
    assert out["medicare_release"].tolist() == [
        "CMS PFS 2024A", "CMS PFS 2024B", "CMS PFS 2024B", "CMS PFS 2025D", "CMS PFS 2025D",
        "CMS PFS 2024A", "CMS PFS 2024A",
    ]  # fmt: skip
    assert out["explanation"][6].endswith(
        "no CMS schedule on file covers 2023-12-01; priced from CMS PFS 2024A"
    )
    assert out["explanation"][2].endswith(
        "no CMS schedule on file covers 2025-09-30; priced from CMS PFS 2024B"
    )
    assert out["explanation"][4] == (
        "MCR contract from 2020-01-01: 100% of Medicare 04412-11 non-facility $89.32 = "
        "$89.32 × 1 unit = $89.32; below charge $500.00; no CMS schedule on file covers "
        "2026-03-04; priced from CMS PFS 2025D"
    )


YEARS = {"P0": None, "P1": 2024, "P2": 2025, "P3": 2026}
DAYS = st.dates(dt.date(2023, 6, 1), dt.date(2027, 6, 1))


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(YEARS)), DAYS), min_size=1, max_size=40))
def test_the_schedule_a_line_is_priced_from_is_the_one_a_clerk_would_pick(rows) -> None:
    """Any lines of contracts unfrozen or frozen at 2024, 2025 or 2026, on any dates: the
    Medicare row in force on the date of service (or 1 January of the frozen year), and a
    flag exactly where that row is a library release of another year than the one priced."""
    lines = _lines(*((payer, "99213", day.isoformat()) for payer, day in rows))
    out = _priced(lines, _contracts(*YEARS.items()))
    for i, (payer, day) in enumerate(rows):
        year = YEARS[payer]
        on = pd.Timestamp(dt.date(year, 1, 1) if year else day)
        m = MEDICARE
        ends = m["effective_to"].isna() | (m["effective_to"] > on)
        row = m[m["procedure_code"].eq("99213") & (m["effective_from"] <= on) & ends]
        if row.empty:
            assert pd.isna(out["expected_cents"][i])
            continue
        cents, source = int(row["non_facility_cents"].iloc[0]), row["source"].iloc[0]
        assert out["expected_cents"][i] == (cents * 125_000 + 50_000) // 100_000
        assert out["medicare_release"][i] == source
        assert out["medicare_schedule_substituted"][i] == (int(source[8:12]) != on.year)
