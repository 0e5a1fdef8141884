"""The monitors (issue 14): constructed suggestions that cross each threshold on both
sides and sit exactly on it (1 downcode per 3 upcodes, 30 % and 70 % accepted, 14 days
open), what is counted where (withdrawn never; an encounter under its claim's first
line), and the alerts in long form."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from payeropt_lib.coding import monitors

AS_OF = dt.date(2026, 11, 15)
A, B = "1111111111", "2222222222"


def _suggestions(rows: list[tuple]) -> pd.DataFrame:
    """(npi, date of service, direction, status, created_at) per suggestion."""
    frame = pd.DataFrame(
        rows, columns=["rendering_npi", "date_of_service", "direction", "status", "created_at"]
    )
    return frame.assign(
        date_of_service=pd.to_datetime(frame["date_of_service"]),
        rendering_npi=frame["rendering_npi"].astype("str"),
    )


def _cells(rows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Encounters and charges from (claim_id, [(line, npi, date of service), ...])."""
    encounters = pd.DataFrame({"claim_id": [claim for claim, _ in rows]}, dtype="str")
    charges = pd.DataFrame(
        [(claim, line, npi, day) for claim, lines in rows for line, npi, day in lines],
        columns=["claim_id", "line_number", "rendering_npi", "date_of_service"],
    ).astype({"claim_id": "str", "line_number": "int64", "rendering_npi": "str",
              "date_of_service": "datetime64[ns]"})  # fmt: skip
    return encounters, charges


NO_CELLS = _cells([])


def _one_cell(up: int, down: int, accepted: int = 0, rejected: int = 0) -> pd.Series:
    """The row of one clinician and month holding an encounter, ``up`` and ``down`` open
    suggestions (created on ``AS_OF``), and ``accepted`` and ``rejected`` ones with no
    direction."""
    made = f"{AS_OF.isoformat()}T09:00:00.000000Z"
    rows = (
        [(A, "2026-10-05", "up", "open", made)] * up
        + [(A, "2026-10-05", "down", "open", made)] * down
        + [(A, "2026-10-05", "none", "accepted", made)] * accepted
        + [(A, "2026-10-05", "none", "rejected", made)] * rejected
    )
    visit = _cells([("C1", [(1, A, "2026-10-05")])])
    table = monitors.monitor_table(_suggestions(rows), *visit, AS_OF)
    assert len(table) == 1 and table["encounters"].item() == 1
    return table.iloc[0]


# (up, down) -> alert: fewer than one downcode per three upcodes
BALANCE = {
    "1 per 3 exactly: no alert": (3, 1, False),
    "1 per 4: alert": (4, 1, True),
    "2 per 6 exactly: no alert": (6, 2, False),
    "2 per 7: alert": (7, 2, True),
    "10 per 30 exactly: no alert": (30, 10, False),
    "9 per 30: alert": (30, 9, True),
    "12 per 34: no alert": (34, 12, False),
    "an upcode and no downcode: alert": (1, 0, True),
    "no upcode: no alert": (0, 5, False),
    "nothing: no alert": (0, 0, False),
    "more downcodes than upcodes: no alert": (2, 5, False),
}


@pytest.mark.parametrize("up, down, alert", BALANCE.values(), ids=BALANCE.keys())
def test_downcode_balance_threshold(up: int, down: int, alert: bool) -> None:
    row = _one_cell(up, down)
    assert (row["up"], row["down"]) == (up, down)
    assert bool(row["downcode_balance_alert"]) is alert
    if up == 0:
        assert pd.isna(row["downcodes_per_upcode"])
    else:
        assert row["downcodes_per_upcode"] == pytest.approx(down / up)


# (accepted, rejected) -> alert: acceptance below 30 % or above 70 %
ACCEPTANCE = {
    "30% exactly: no alert": (3, 7, False),
    "29.9%: alert": (299, 701, True),
    "28.6%: alert": (2, 5, True),
    "30.1%: no alert": (301, 699, False),
    "70% exactly: no alert": (7, 3, False),
    "70.1%: alert": (701, 299, True),
    "71.4%: alert": (5, 2, True),
    "69.9%: no alert": (699, 301, False),
    "50%: no alert": (1, 1, False),
    "none accepted: alert": (0, 4, True),
    "all accepted: alert": (4, 0, True),
    "nothing decided: no alert": (0, 0, False),
}


@pytest.mark.parametrize("accepted, rejected, alert", ACCEPTANCE.values(), ids=ACCEPTANCE.keys())
def test_acceptance_thresholds(accepted: int, rejected: int, alert: bool) -> None:
    row = _one_cell(0, 0, accepted, rejected)
    assert (row["accepted"], row["rejected"], row["open"]) == (accepted, rejected, 0)
    assert bool(row["acceptance_alert"]) is alert
    if accepted + rejected == 0:
        assert pd.isna(row["acceptance_rate"])
    else:
        assert row["acceptance_rate"] == pytest.approx(accepted / (accepted + rejected))


def test_open_suggestions_are_stale_after_more_than_14_days() -> None:
    rows = [
        (A, "2026-10-01", "up", "open", "2026-11-01T23:59:59.999999Z"),  # 14 days: not yet
        (A, "2026-10-01", "up", "open", "2026-11-01T00:00:00.000000Z"),  # 14 days: not yet
        (A, "2026-10-01", "up", "open", "2026-10-31T23:59:59.999999Z"),  # 15 days: stale
        (A, "2026-10-01", "up", "open", "2026-01-02T08:00:00.000000Z"),  # long: stale
        (A, "2026-10-01", "up", "accepted", "2026-01-02T08:00:00.000000Z"),  # decided
        (A, "2026-10-01", "up", "rejected", "2026-01-02T08:00:00.000000Z"),  # decided
        (A, "2026-10-01", "up", "withdrawn", "2026-01-02T08:00:00.000000Z"),  # not counted
        (A, "2026-10-01", "up", "open", "2026-11-20T08:00:00.000000Z"),  # after as_of
    ]
    frame = _suggestions(rows)
    assert monitors.is_stale(frame, AS_OF).tolist() == [
        False, False, True, True, False, False, False, False,
    ]  # fmt: skip
    row = monitors.monitor_table(frame, *NO_CELLS, AS_OF).iloc[0]
    assert (row["open"], row["stale_open"], bool(row["stale_alert"])) == (5, 2, True)
    fresh = monitors.monitor_table(frame.iloc[:2], *NO_CELLS, AS_OF).iloc[0]
    assert (fresh["stale_open"], bool(fresh["stale_alert"])) == (0, False)
    # A timestamp as_of reads as its day.
    later = monitors.is_stale(frame.iloc[:1], pd.Timestamp("2026-11-16 00:00:01"))
    assert later.tolist() == [True]


def test_what_is_counted_where() -> None:
    made = "2026-11-10T10:00:00.000000Z"
    suggestions = _suggestions(
        [
            (A, "2026-09-03", "up", "accepted", made),
            (A, "2026-09-30", "down", "rejected", made),
            (A, "2026-09-12", "none", "accepted", made),  # decided, neither up nor down
            (A, "2026-09-12", "up", "withdrawn", made),  # left out of everything
            (A, "2026-10-01", "up", "open", made),
            (B, "2026-09-15", "down", "open", made),  # B has no encounter in September
            (None, "2026-09-15", "up", "open", made),  # a line without a rendering NPI
        ]
    )
    encounters, charges = _cells(
        [
            ("C1", [(1, A, "2026-09-03"), (2, B, "2026-09-03")]),  # first line: A
            ("C2", [(2, B, "2026-10-20"), (1, A, "2026-09-29")]),  # lowest line number: A
            ("C3", [(1, B, "2026-10-02")]),
            ("C4", [(1, A, "2026-09-12")]),
        ]
    )
    encounters = pd.concat([encounters, pd.DataFrame({"claim_id": ["NOLINES"]})])
    table = monitors.monitor_table(suggestions, encounters, charges, AS_OF)
    assert table.columns.tolist() == monitors.COLUMNS
    keyed = table.assign(month=table["service_month"].dt.strftime("%Y-%m"))
    got = {
        (npi if isinstance(npi, str) else None, month): tuple(row)
        for npi, month, *row in keyed[
            ["rendering_npi", "month", "encounters", "up", "down", "accepted", "rejected",
             "open", "stale_open"]
        ].itertuples(index=False)
    }  # fmt: skip
    assert got == {
        (A, "2026-09"): (3, 1, 1, 2, 1, 0, 0),
        (B, "2026-09"): (0, 0, 1, 0, 0, 1, 0),
        (None, "2026-09"): (0, 1, 0, 0, 0, 1, 0),
        (A, "2026-10"): (0, 1, 0, 0, 0, 1, 0),
        (B, "2026-10"): (1, 0, 0, 0, 0, 0, 0),
    }
    # Sorted by month, then NPI, the missing NPI last.
    assert keyed["month"].tolist() == ["2026-09"] * 3 + ["2026-10"] * 2
    assert keyed["rendering_npi"].iloc[:2].tolist() == [A, B]
    assert pd.isna(keyed["rendering_npi"].iloc[2])
    quiet = table[keyed["rendering_npi"].eq(B) & keyed["month"].eq("2026-10")].iloc[0]
    assert not quiet[monitors.ALERT_COLUMNS].any()
    assert pd.isna(quiet["downcodes_per_upcode"]) and pd.isna(quiet["acceptance_rate"])


def test_nothing_on_file_gives_the_documented_columns() -> None:
    table = monitors.monitor_table(_suggestions([]), *NO_CELLS, AS_OF)
    assert table.empty and table.columns.tolist() == monitors.COLUMNS
    long = monitors.alerts(table)
    assert long.empty and long.columns.tolist() == monitors.LONG_COLUMNS


def test_alerts_in_long_form() -> None:
    old, made = "2026-10-01T10:00:00.000000Z", "2026-11-14T10:00:00.000000Z"
    suggestions = _suggestions(
        [(A, "2026-09-03", "up", "accepted", made)] * 4
        + [(A, "2026-09-03", "down", "accepted", made)]
        + [(A, "2026-09-04", "up", "open", old)] * 2
        + [(B, "2026-09-05", "up", "rejected", made)] * 3
        + [(B, "2026-09-05", "down", "accepted", made)]
        + [(None, "2026-10-05", "up", "open", old)]
    )
    table = monitors.monitor_table(suggestions, *NO_CELLS, AS_OF)
    long = monitors.alerts(table)
    assert long.columns.tolist() == monitors.LONG_COLUMNS
    assert long[["clinician", "month", "alert"]].values.tolist() == [
        [A, "2026-09", "downcode_balance"],  # 1 down to 6 up
        [A, "2026-09", "acceptance"],  # 5 of 5 accepted
        [A, "2026-09", "stale"],  # 2 open since 2026-10-01
        [B, "2026-09", "acceptance"],  # 1 of 4 accepted; 1 down to 3 up is no alert
        [monitors.NO_NPI, "2026-10", "downcode_balance"],
        [monitors.NO_NPI, "2026-10", "stale"],
    ]
    by = long.set_index(["clinician", "alert"])
    assert by.loc[(A, "downcode_balance"), "figure"] == "1 downcode to 6 upcodes"
    assert by.loc[(A, "downcode_balance"), "threshold"] == "at least 1 to 3"
    assert by.loc[(A, "acceptance"), "figure"] == "5 of 5 decided accepted (100.0%)"
    assert by.loc[(B, "acceptance"), "figure"] == "1 of 4 decided accepted (25.0%)"
    assert by.loc[(B, "acceptance"), "threshold"] == "30% to 70% accepted"
    assert by.loc[(A, "stale"), "figure"] == "2 suggestions open over 14 days"
    assert by.loc[(A, "acceptance"), "sentence"].startswith(
        f"NPI {A}, 2026-09: 5 of 5 decided suggestions accepted (100.0%), above 70%."
    )
    assert by.loc[(B, "acceptance"), "sentence"].startswith(
        f"NPI {B}, 2026-09: 1 of 4 decided suggestions accepted (25.0%), below 30%."
    )
    assert by.loc[(monitors.NO_NPI, "stale"), "sentence"].startswith(
        "No rendering NPI, 2026-10: 1 suggestion left open more than 14 days"
    )
    # Each alert keeps the label of the table row it comes from.
    assert table.loc[long.index, "rendering_npi"].fillna("-").tolist() == [A, A, A, B, "-", "-"]


def test_a_rate_next_to_a_threshold_never_reads_as_the_threshold() -> None:
    table = monitors.judged(
        pd.DataFrame(
            {
                "rendering_npi": [A, B, A],
                "service_month": pd.to_datetime(["2026-09-01"] * 3),
                "encounters": 0, "up": 0, "down": 0,
                "accepted": [2_999, 7_001, 3], "rejected": [7_001, 2_999, 7],
                "open": 0, "stale_open": 0,
            }
        )
    )  # fmt: skip
    long = monitors.alerts(table)
    assert long["figure"].tolist() == [
        "2,999 of 10,000 decided accepted (<30.0%)",
        "7,001 of 10,000 decided accepted (>70.0%)",
    ]  # the third row, 30 % exactly, is no alert


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_the_alerts_are_exactly_the_fractions(a: int, b: int) -> None:
    up, down = pd.Series([a]), pd.Series([b])
    balance = a > 0 and Fraction(b, a) < monitors.DOWNCODES_PER_UPCODE_MIN
    assert bool(monitors.balance_alert(up, down).iloc[0]) is balance
    rate = Fraction(a, a + b) if a + b else None
    outside = rate is not None and not (
        monitors.ACCEPTANCE_LOW <= rate <= monitors.ACCEPTANCE_HIGH
    )
    assert bool(monitors.acceptance_alert(up, down).iloc[0]) is outside
