"""recovery: the aggregate figures of the under-payments page, with exact cents, and the
small-cell rule (counts 1-10 hidden, and whatever they could be worked out from)."""

from __future__ import annotations

import pandas as pd
import pytest

from payeropt_lib.analytics import directory, privacy, recovery
from payeropt_lib.packet import report

AS_OF = pd.Timestamp("2025-08-01")
PAYERS = pd.DataFrame(
    {
        "payer_id": ["ACME", "BETA", "MCR", "MCD"],
        "payer_name": ["Acme Health Plan", "Beta Insurance", "Medicare Part B", "State Medicaid"],
        "payer_class": ["COMMERCIAL", "COMMERCIAL", "MEDICARE", "MEDICAID"],
    }
)


def _findings(
    payer: str,
    n: int,
    short: int,
    *,
    kind: str = "underpaid",
    code: str = "99213",
    cause: str = "below_contract",
    expected: int = 10_000,
    void: bool = False,
    task_id: int | None = None,
    day: str = "2025-03-03",
) -> pd.DataFrame:
    """``n`` findings of one payer; ``short`` = how far allowed is below (above) expected."""
    variance = -short if kind == "underpaid" else short
    return pd.DataFrame(
        {
            "kind": kind,
            "payer_id": payer,
            "procedure_code": code,
            "date_of_service": pd.Timestamp(day),
            "expected_cents": pd.array([expected] * n, dtype="Int64"),
            "allowed_cents": expected + variance,
            "variance_cents": pd.array([variance] * n, dtype="Int64"),
            "cause": cause,
            "task_id": pd.array([task_id] * n, dtype="Int64"),
            "void": void,
        },
        index=range(n),
    )


def _tasks(
    payer: str,
    n: int,
    amount: int,
    *,
    state: str = "open",
    recovered: int = 0,
    cause: str = "below_contract",
    remit_date: str = "2025-06-01",
    deadline: str = "2025-09-01",
    first_id: int = 1,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task_id": range(first_id, first_id + n),
            "payer_id": payer,
            "state": state,
            "amount_cents": amount,
            "recovered_cents": recovered,
            "cause": cause,
            "remit_date": pd.Timestamp(remit_date),
            "deadline": pd.Timestamp(deadline),
        }
    )


def _cat(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


def _row(frame: pd.DataFrame, column: str, label: str) -> pd.Series:
    rows = frame[frame[column] == label]
    assert len(rows) == 1, (label, frame[column].tolist())
    return rows.iloc[0]


def _assert_hidden_parts_are_safe(table: pd.DataFrame, original: dict[str, list[int]]) -> None:
    """Per count column: never one hidden part alone, and never hidden parts that add up to
    1-10 (the total minus the shown parts would give them). ``original``: the counts
    before suppression, in the order of the table's rows."""
    parts = table[~table[privacy.TOTAL].astype(bool)]
    for column, values in original.items():
        hidden = parts[column].isna().to_numpy()
        total_hidden = sum(v for v, h in zip(values, hidden, strict=True) if h)
        assert hidden.sum() != 1, column
        assert total_hidden == 0 or total_hidden >= privacy.SMALL_CELL, column


# --- by payer -------------------------------------------------------------------------


def test_by_payer_exact_cents() -> None:
    findings = _cat(
        _findings("ACME", 12, 250),  # 12 lines, $30.00 under-paid
        _findings("BETA", 15, 1_000),  # 15 lines, $150.00
        _findings("ACME", 5, 9_999, void=True),  # reversed: never counted
        _findings("ACME", 20, 700, kind="overpaid"),  # over-payments have their own table
        _findings("ACME", 20, 0, kind="no_rate"),
    )
    tasks = _cat(
        _tasks("ACME", 11, 300),  # open: $33.00 at stake
        _tasks("ACME", 11, 300, state="recovered", recovered=200, first_id=20),  # $22.00
        _tasks("BETA", 12, 1_250, state="appealed", first_id=40),  # $150.00 at stake
        _tasks("BETA", 3, 99_999, state="written_off", first_id=60),  # closed: not shown
    )
    table = recovery.underpayments_by_payer(findings, tasks, PAYERS)
    assert table["payer_label"].tolist() == ["Beta Insurance", "Acme Health Plan", "All payers"]
    assert table["is_total"].tolist() == [False, False, True]
    numbers = table[recovery.STAKE_COLUMNS].astype("int64").to_numpy().tolist()
    assert numbers == [
        [15, 15_000, 12, 15_000, 0, 0],
        [12, 3_000, 11, 3_300, 11, 2_200],
        [27, 18_000, 23, 18_300, 11, 2_200],
    ]
    assert "claim_id" not in table and "patient_id" not in table


def test_small_payer_shows_under_11_and_the_total_does_not_reveal_it() -> None:
    findings = _cat(_findings("ACME", 23, 500), _findings("BETA", 7, 300))
    tasks = _cat(_tasks("ACME", 12, 1_000), _tasks("BETA", 3, 900, first_id=50))
    table = recovery.underpayments_by_payer(findings, tasks, PAYERS)
    beta = _row(table, "payer_label", "Beta Insurance")
    assert pd.isna(beta["lines"]) and beta["lines_small"]
    assert pd.isna(beta["underpaid_cents"]) and pd.isna(beta["at_stake_cents"])
    # Acme is hidden too, or "All payers" minus Acme would give Beta's 7 lines and $21.00.
    acme = _row(table, "payer_label", "Acme Health Plan")
    assert pd.isna(acme["lines"]) and not acme["lines_small"]
    assert pd.isna(acme["underpaid_cents"]) and pd.isna(acme["open_claims"])
    total = _row(table, "payer_label", "All payers")
    assert (total["lines"], total["underpaid_cents"]) == (30, 23 * 500 + 7 * 300)
    assert (total["open_claims"], total["at_stake_cents"]) == (15, 12 * 1_000 + 3 * 900)
    _assert_hidden_parts_are_safe(
        table, {"lines": [23, 7], "open_claims": [12, 3], "recovered_claims": [0, 0]}
    )
    # Hidden rows come after the shown ones, in name order: the order reveals nothing.
    assert table["payer_label"].tolist() == ["Acme Health Plan", "Beta Insurance", "All payers"]

    columns = {"payer_label": "Payer", "lines": "Lines", "underpaid_cents": "Under-paid"}
    shown = report.table(table, columns=columns, missing=report.SUPPRESSED).html
    assert '<td>Beta Insurance</td><td class="num">&lt;11</td>' in shown
    assert '<td>Acme Health Plan</td><td class="num">suppressed</td>' in shown
    assert '<td class="num">30</td><td class="num">$136.00</td>' in shown
    assert "$115.00" not in shown and "$21.00" not in shown  # neither payer's dollars


def test_payer_without_a_contract_is_labelled_by_its_id() -> None:
    findings = _findings("ZZZ", 11, 100)
    table = recovery.underpayments_by_payer(findings, _tasks("ZZZ", 0, 0), PAYERS)
    assert table["payer_label"].tolist() == ["ZZZ", "All payers"]
    assert table["lines"].tolist() == [11, 11]


# --- suppress -------------------------------------------------------------------------


def _counts(values: list[int], total: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame({"label": [f"r{i}" for i in range(len(values))], "n": values})
    frame["cents"] = frame["n"] * 100
    if total:
        frame = privacy.with_total(frame, "label", "all")
    return frame


@pytest.mark.parametrize(
    ("values", "hidden"),
    [
        ([30, 25], []),  # nothing small
        ([23, 7], [0, 1]),  # one small: the smallest other part goes with it
        ([3, 4, 20, 30], [0, 1, 2]),  # 3 + 4 = 7 could be derived: hide 20 too
        ([5, 6, 30], [0, 1]),  # 5 + 6 = 11: the two alone are safe
        ([0, 7, 20], [1, 2]),  # a zero is shown and never chosen as the complement
        ([7, 0], [0]),  # nothing to pair with: the total is 7, itself hidden
    ],
)
def test_suppress_hides_small_counts_and_their_complement(
    values: list[int], hidden: list[int]
) -> None:
    frame = _counts(values)
    out = privacy.suppress(frame, ["n"], {"cents": "n"})
    parts = out[~out["is_total"]]
    assert parts.index[parts["n"].isna()].tolist() == hidden
    assert parts["cents"].isna().tolist() == parts["n"].isna().tolist()
    assert parts["n_small"].tolist() == [1 <= v <= 10 for v in values]
    total = out[out["is_total"]].iloc[0]
    if 1 <= sum(values) <= 10:
        assert pd.isna(total["n"]) and total["n_small"]
    else:
        assert total["n"] == sum(values) and total["cents"] == 100 * sum(values)
    assert frame["n"].notna().all()  # the input is not modified


def test_suppress_without_total_row_guards_a_total_shown_elsewhere() -> None:
    out = privacy.suppress(_counts([40, 9], total=False), ["n"], {"cents": "n"})
    assert out["n"].isna().tolist() == [True, True]
    one = privacy.suppress(_counts([9], total=False), ["n"], {"cents": "n"})
    assert one["n"].isna().all() and one["n_small"].all()


def test_suppress_sequence_hides_values_when_any_count_of_the_row_is_hidden() -> None:
    frame = pd.DataFrame({"a": [5, 40, 50], "b": [30, 40, 50], "cents": [100, 200, 300]})
    out = privacy.suppress(frame, ["a", "b"], ["cents"])
    assert out["a"].isna().tolist() == [True, True, False]
    assert out["b"].isna().tolist() == [False, False, False]
    assert out["cents"].isna().tolist() == [True, True, False]
    assert str(out["cents"].dtype) == "Int64"


# --- by cause, top codes --------------------------------------------------------------


def test_by_cause_uses_words_for_people() -> None:
    # 12 Acme claims, one line each at an earlier rate; 14 Beta claims with a line of
    # units ignored, and one of them (task 30) also a line at an earlier rate.
    findings = _cat(
        *(_findings("ACME", 1, 400, cause="earlier_rate", task_id=t) for t in range(1, 13)),
        *(_findings("BETA", 1, 100, cause="units_ignored", task_id=t) for t in range(30, 44)),
        _findings("BETA", 1, 200, cause="earlier_rate", task_id=30),
    ).reset_index(drop=True)
    tasks = _cat(
        _tasks("ACME", 12, 400, cause="earlier_rate"),
        _tasks("BETA", 1, 300, cause="earlier_rate", first_id=30),
        _tasks("BETA", 13, 100, cause="units_ignored", first_id=31),
    )
    table = recovery.underpayments_by_cause(findings, tasks)
    assert table["cause_label"].tolist() == [
        "Paid at an earlier period's rate",
        "Units ignored",
        "All causes",
    ]
    assert table["cause"].tolist()[:2] == ["earlier_rate", "units_ignored"]
    assert table["lines"].tolist() == [13, 14, 27]
    assert table["underpaid_cents"].tolist() == [5_000, 1_400, 6_400]
    # Each line's money at stake under its own cause: never more than the cause's own
    # under-payment; task 30 is an open claim of both causes, and once in the total.
    assert table["at_stake_cents"].tolist() == [5_000, 1_400, 6_400]
    assert table["open_claims"].tolist() == [13, 14, 26]


def test_top_codes_lists_codes_of_11_lines_or_more_by_dollars() -> None:
    findings = _cat(
        _findings("ACME", 11, 1_000, code="99214", expected=20_000),  # $110.00
        _findings("ACME", 20, 200, code="99213"),  # $40.00
        _findings("BETA", 12, 500, code="20610"),  # $60.00
        _findings("BETA", 6, 3_000, code="73562"),  # $180.00 but only 6 lines
        _findings("BETA", 6, 100, code="97110"),  # 6 lines
    )
    table = recovery.top_underpaid_codes(findings, top_n=2)
    assert table["code_label"].tolist() == ["99214", "20610", "All other codes", "All codes"]
    assert table["lines"].tolist() == [11, 12, 32, 55]
    assert table["underpaid_cents"].tolist() == [11_000, 6_000, 4_000 + 18_000 + 600, 39_600]
    assert table["expected_cents"].iloc[0] == 220_000
    assert table["allowed_cents"].iloc[0] == 209_000
    assert table["pct_paid"].iloc[0] == pytest.approx(95.0)
    # The two 6-line codes are in "All other codes" (32 lines): no row is a small count.
    assert not table["lines_small"].any()


def test_top_codes_folds_the_last_code_into_a_small_other_row() -> None:
    findings = _cat(
        _findings("ACME", 20, 1_000, code="99214"),
        _findings("ACME", 15, 100, code="99213"),
        _findings("ACME", 4, 100, code="97110"),  # "other" alone would count 4 lines
    )
    table = recovery.top_underpaid_codes(findings, top_n=10)
    assert table["code_label"].tolist() == ["99214", "All other codes", "All codes"]
    assert table["lines"].tolist() == [20, 19, 39]


def test_top_codes_with_no_code_of_11_lines_shows_the_total_only() -> None:
    findings = _cat(_findings("ACME", 8, 100, code="99214"), _findings("ACME", 9, 100))
    table = recovery.top_underpaid_codes(findings)
    assert table["code_label"].tolist() == ["All codes"]
    assert table["lines"].tolist() == [17]


# --- task aging -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "0-30 days"),
        (30, "0-30 days"),
        (31, "31-60 days"),
        (60, "31-60 days"),
        (61, "61-90 days"),
        (90, "61-90 days"),
        (91, "over 90 days"),
        (400, "over 90 days"),
        (-3, "0-30 days"),  # remitted after the as-of date: day 0
    ],
)
def test_age_bucket_boundaries(days: int, bucket: str) -> None:
    remit = pd.Series([AS_OF - pd.Timedelta(days=days)])
    assert recovery.age_bucket(remit, AS_OF).astype(str).tolist() == [bucket]


def test_task_aging_exact_cents_and_deadline() -> None:
    day = lambda n: (AS_OF - pd.Timedelta(days=n)).strftime("%Y-%m-%d")  # noqa: E731
    tasks = _cat(
        _tasks("ACME", 11, 100, remit_date=day(30), deadline="2025-10-01"),
        _tasks("ACME", 12, 200, remit_date=day(31), state="in_progress", first_id=100),
        _tasks("BETA", 13, 300, remit_date=day(90), state="appealed", first_id=200),
        # Past the deadline the day after it, not on it.
        _tasks("BETA", 14, 400, remit_date=day(91), deadline="2025-07-31", first_id=300),
        _tasks("BETA", 12, 500, remit_date=day(61), deadline="2025-08-01", first_id=400),
        _tasks("BETA", 9, 999, remit_date=day(200), state="recovered", first_id=500),
    )
    aging = recovery.task_aging(tasks, AS_OF)
    assert aging["age_bucket"].tolist() == [
        "0-30 days",
        "31-60 days",
        "61-90 days",
        "over 90 days",
        "All open tasks",
        "Past the appeal deadline (any age)",
    ]
    assert aging["open_claims"].tolist() == [11, 12, 25, 14, 62, 14]
    assert aging["at_stake_cents"].tolist() == [1_100, 2_400, 9_900, 5_600, 19_000, 5_600]
    assert aging["is_total"].tolist() == [False, False, False, False, True, False]
    assert aging["past_deadline"].tolist() == [False] * 5 + [True]


def test_task_aging_hides_small_buckets_and_a_small_remainder() -> None:
    tasks = _cat(
        _tasks("ACME", 4, 100, remit_date="2025-07-20"),  # 12 days old
        _tasks("ACME", 30, 100, remit_date="2025-01-01", deadline="2025-04-01", first_id=50),
    )
    aging = recovery.task_aging(tasks, AS_OF)
    assert aging["open_claims"].isna().tolist() == [True, False, False, True, False, True]
    assert aging["open_claims_small"].tolist() == [True, False, False, False, False, False]
    assert aging["open_claims"].iloc[4] == 34
    # 30 past the deadline is not small, but 34 - 30 = 4 would be: it is hidden too.
    past = aging.iloc[5]
    assert pd.isna(past["open_claims"]) and pd.isna(past["at_stake_cents"])
    assert not past["open_claims_small"]


def test_past_deadline_hidden_when_the_oldest_bucket_minus_it_is_small() -> None:
    tasks = _cat(
        # Over 90 days: 20 tasks, 15 of them past the deadline; 5 are not.
        _tasks("ACME", 15, 100, remit_date="2025-04-01", deadline="2025-07-01"),
        _tasks("ACME", 5, 100, remit_date="2025-04-01", deadline="2025-09-01", first_id=50),
        _tasks("ACME", 30, 100, remit_date="2025-07-01", first_id=100),  # 31-60 days
    )
    aging = recovery.task_aging(tasks, AS_OF)
    assert aging["open_claims"].tolist()[:5] == [0, 30, 0, 20, 50]
    # 15 past the deadline, over 90 days holds 20: the 5 left would be a small count.
    past = aging.iloc[5]
    assert pd.isna(past["open_claims"]) and pd.isna(past["at_stake_cents"])
    headline = recovery.headline(_findings("ACME", 0, 0), tasks, AS_OF).iloc[0]
    assert pd.isna(headline["past_deadline_claims"]) and pd.isna(headline["past_deadline_cents"])


def test_task_aging_counts_open_states_only() -> None:
    tasks = _tasks("ACME", 20, 100, state="written_off")
    assert recovery.task_aging(tasks, AS_OF).empty
    assert list(recovery.task_aging(tasks, AS_OF).columns) == [
        "age_bucket",
        "open_claims",
        "at_stake_cents",
        "is_total",
        "past_deadline",
        "open_claims_small",
    ]


# --- over-payments and key figures ------------------------------------------------------


def test_overpayments_by_payer_lists_medicare_and_medicaid_first() -> None:
    findings = _cat(
        _findings("ACME", 14, 900, kind="overpaid"),  # $126.00
        _findings("MCR", 12, 50, kind="overpaid"),  # $6.00
        _findings("MCR", 12, 50, kind="overpaid", void=True),
        _findings("MCD", 3, 100, kind="overpaid"),
        _findings("ACME", 30, 100),  # under-paid: not here
    )
    table = recovery.overpayments_by_payer(findings, PAYERS)
    labels = table["payer_label"].tolist()
    assert labels == ["Medicare Part B", "State Medicaid", "Acme Health Plan", "All payers"]
    assert table["federal"].tolist() == [True, True, False, False]
    # Medicaid's 3 lines are hidden, and Medicare's 12 with them (the smaller complement).
    assert table["lines"].isna().tolist() == [True, True, False, False]
    assert table["overpaid_cents"].tolist()[2:] == [12_600, 12_600 + 600 + 300]


def test_headline_figures() -> None:
    findings = _cat(
        _findings("ACME", 20, 250),
        _findings("ACME", 4, 9_999, void=True),
        _findings("MCR", 12, 75, kind="overpaid"),
        _findings("MCR", 3, 0, kind="no_rate"),
    )
    tasks = _cat(
        _tasks("ACME", 15, 300, deadline="2025-07-01"),  # past the deadline on AS_OF
        _tasks("ACME", 12, 300, first_id=20),
        _tasks("ACME", 11, 300, state="recovered", recovered=150, first_id=40),
    )
    row = recovery.headline(findings, tasks, AS_OF).iloc[0]
    assert (row["open_claims"], row["at_stake_cents"]) == (27, 8_100)
    assert (row["past_deadline_claims"], row["past_deadline_cents"]) == (15, 4_500)
    assert (row["recovered_claims"], row["recovered_cents"]) == (11, 1_650)
    assert (row["underpaid_lines"], row["underpaid_cents"]) == (20, 5_000)
    assert (row["overpaid_lines"], row["overpaid_cents"]) == (12, 900)
    assert pd.isna(row["no_rate_lines"]) and row["no_rate_lines_small"]


def test_headline_hides_small_counts_with_their_dollars() -> None:
    findings = _findings("MCR", 4, 75, kind="overpaid")
    row = recovery.headline(findings, _tasks("ACME", 0, 0), AS_OF).iloc[0]
    assert pd.isna(row["overpaid_lines"]) and pd.isna(row["overpaid_cents"])
    assert row["overpaid_lines_small"]
    assert row["open_claims"] == 0 and row["underpaid_lines"] == 0


# --- inputs and empty practices ---------------------------------------------------------


def test_in_period_keeps_live_findings_and_their_tasks() -> None:
    findings = _cat(
        _findings("ACME", 2, 100, task_id=1, day="2025-03-01"),
        _findings("ACME", 2, 100, task_id=2, day="2024-12-31"),  # before the period
        _findings("ACME", 2, 100, task_id=3, day="2025-03-01", void=True),  # reversed
        _findings("ACME", 1, 100, kind="overpaid", day="2025-06-30"),
    )
    tasks = _tasks("ACME", 3, 100)
    f, t = recovery.in_period(
        findings, tasks, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-30")
    )
    assert len(f) == 3 and not f["void"].any()
    assert t["task_id"].tolist() == [1]
    f, t = recovery.in_period(findings, tasks, None, None)
    assert len(f) == 5 and t["task_id"].tolist() == [1, 2]


def test_payer_directory_takes_the_latest_contract() -> None:
    contracts = pd.DataFrame(
        {
            "payer_id": ["ACME", "ACME", "MCR"],
            "payer_name": ["Acme Old", "Acme Health Plan", "Medicare"],
            "payer_class": ["COMMERCIAL", "COMMERCIAL", "MEDICARE"],
            "effective_from": pd.to_datetime(["2025-01-01", "2026-01-01", "2025-01-01"]),
        }
    )
    found = directory.payer_directory(contracts)
    assert found.to_dict("records") == [
        {"payer_id": "ACME", "payer_name": "Acme Health Plan", "payer_class": "COMMERCIAL"},
        {"payer_id": "MCR", "payer_name": "Medicare", "payer_class": "MEDICARE"},
    ]


def test_a_practice_with_no_remittances_gets_empty_tables() -> None:
    findings = _findings("ACME", 0, 0)
    tasks = _tasks("ACME", 0, 0)
    for table in (
        recovery.underpayments_by_payer(findings, tasks, PAYERS),
        recovery.underpayments_by_cause(findings, tasks),
        recovery.top_underpaid_codes(findings),
        recovery.task_aging(tasks, AS_OF),
        recovery.overpayments_by_payer(findings, PAYERS),
        recovery.headline(findings, tasks, AS_OF),
    ):
        assert table.empty
        assert privacy.TOTAL in table or "open_claims" in table


def test_a_recovered_task_counts_even_when_its_posting_was_reversed():
    """Reversal + corrected payment: the finding is void, the recovery still counts."""
    findings = pd.DataFrame(
        {
            "date_of_service": pd.to_datetime(["2025-03-01", "2025-03-02"]),
            "void": [True, False],
            "task_id": pd.array([1, 2], dtype="Int64"),
        }
    )
    tasks = pd.DataFrame({"task_id": [1, 2, 3], "state": ["recovered", "open", "recovered"]})
    live_findings, kept = recovery.in_period(findings, tasks, None, None)
    assert len(live_findings) == 1
    assert kept["task_id"].tolist() == [1, 2]  # task 3 holds no finding of the period
    _, none = recovery.in_period(findings, tasks, pd.Timestamp("2025-03-02"), None)
    assert none["task_id"].tolist() == [2]


def test_percent_is_na_where_hidden_or_nothing_to_divide() -> None:
    num = pd.Series([1, 3, pd.NA, 5, 7], dtype="Int64")
    den = pd.Series([4, 0, 10, -2, pd.NA], dtype=object)  # a hidden grand total is NA
    out = privacy.percent(num, den)
    assert str(out.dtype) == "Float64"
    assert out.iloc[0] == 25.0 and out.iloc[1:].isna().all()


def test_shown_first_orders_largest_then_hidden_by_label_then_total() -> None:
    frame = pd.DataFrame(
        {
            "label": ["b", "a", "c", "d", "All"],
            "claims": pd.array([20, pd.NA, 35, pd.NA, 90], dtype="Int64"),
            privacy.TOTAL: [False, False, False, False, True],
        }
    )
    assert privacy.shown_first(frame, "claims", "label")["label"].tolist() == [
        "c",
        "b",
        "a",
        "d",
        "All",
    ]
    lead = pd.Series([False, False, False, True, False])
    assert privacy.shown_first(frame, "claims", "label", first=lead)["label"].tolist() == [
        "d",
        "c",
        "b",
        "a",
        "All",
    ]


def test_appealable_by_payer_counts_open_tasks_not_yet_past_their_deadline() -> None:
    """Open, in-progress and appealed tasks due on AS_OF or later, per payer, with the
    nearest deadline; the ones past it and the closed ones left out."""
    due = (AS_OF + pd.Timedelta(days=20)).strftime("%Y-%m-%d")
    today = AS_OF.strftime("%Y-%m-%d")
    yesterday = (AS_OF - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    tasks = _cat(
        _tasks("ACME", 11, 100, deadline=due),
        _tasks("ACME", 1, 700, deadline=today, state="appealed", first_id=50),
        _tasks("ACME", 5, 900, deadline=yesterday, first_id=60),  # past: left out
        _tasks("BETA", 12, 300, deadline=due, state="in_progress", first_id=100),
        _tasks("BETA", 20, 999, deadline=due, state="recovered", first_id=200),
    )
    names = pd.DataFrame({"payer_id": ["ACME", "BETA"], "payer_name": ["Acme", "Beta"]})
    table = recovery.appealable_by_payer(tasks, names, AS_OF)
    assert table["payer_label"].tolist() == ["Beta", "Acme", "All payers"]
    assert table["open_claims"].tolist() == [12, 12, 24]
    assert table["at_stake_cents"].tolist() == [3_600, 1_800, 5_400]
    assert table["next_deadline"].tolist() == [pd.Timestamp(due), AS_OF, AS_OF]
    assert recovery.appealable_by_payer(tasks.iloc[0:0], names, AS_OF).empty
