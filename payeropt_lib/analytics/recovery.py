"""Under-payments, recoveries and follow-up ages: the figures of the under-payments page.

Pure functions over frames shaped like the store's tables (``store.read_frame``): money
is int64 cents, dates are ``datetime64``. No I/O, no HTML, no loop over lines.

Aggregate only (domain §10, small cells). Every table here is suppressed before it is
returned (``privacy.suppress``): a count of claims or lines from 1 to 10 is replaced by NA (its
``<count>_small`` flag says so, and the page prints "<11"), and so are the dollars measured
over it. The rows of each table add up to a total that the page shows (its ``is_total``
row, and the key figures), so one more cell is hidden whenever the hidden ones could be
worked out from that total; the dollars follow their counts. Cells that are parts of
several totals at once (a payer × month grid, nested rows) go through ``privacy.complement`` /
``privacy.hide_cells``, the same rule over every total. A hidden figure never leaves
this module, so no later step (table, chart, template) can leak it. Frames carry no claim
ids, patient ids or dates of service.

Reversed postings (``void`` findings) are left out everywhere. Tasks are claims: one task
per claim and remittance with under-paid lines (``tasks``).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from payeropt_lib.periods import within
from payeropt_lib.remittances.remitted import live
from payeropt_lib.remittances.tasks import OPEN_STATES
from payeropt_lib.remittances.underpayments import CAUSES

from . import directory
from .directory import ALL_PAYERS, FEDERAL_CLASSES
from .privacy import SMALL_SUFFIX, TOTAL, shown_first, small_cell, suppress, with_total

logger = logging.getLogger(__name__)

# Age of an open task in days since its remittance: (label, first day, last day).
AGE_BUCKETS = (
    ("0-30 days", 0, 30),
    ("31-60 days", 31, 60),
    ("61-90 days", 61, 90),
    ("over 90 days", 91, None),
)
ALL_CAUSES = "All causes"
ALL_CODES = "All codes"
OTHER_CODES = "All other codes"
ALL_OPEN = "All open tasks"
PAST_DEADLINE = "Past the appeal deadline (any age)"

# What the page loads: no claim ids, no patient data (ids link findings to tasks only).
FINDING_COLUMNS = [
    "kind",
    "payer_id",
    "procedure_code",
    "date_of_service",
    "expected_cents",
    "allowed_cents",
    "variance_cents",
    "cause",
    "task_id",
    "void",
]
TASK_COLUMNS = [
    "task_id",
    "payer_id",
    "state",
    "amount_cents",
    "recovered_cents",
    "cause",
    "remit_date",
    "deadline",
]


# --- inputs -----------------------------------------------------------------------------


def in_period(
    findings: pd.DataFrame,
    tasks: pd.DataFrame,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Live findings with a date of service in ``[start, end]`` (None = open), and the
    tasks that hold at least one of them.

    Needs findings: date_of_service, void, task_id (Int64, NA = no task); tasks: task_id,
    state.
    A task whose lines were served outside the period is left out, and so is one whose lines
    were all reversed, unless it was recovered: a payer that reverses an under-paid claim and
    pays it correctly closes the task as recovered, and that recovery must count.
    """
    in_period = findings[within(findings["date_of_service"], start, end)]
    f = live(in_period)
    held = f["task_id"].dropna().astype("int64").unique()
    ever = in_period["task_id"].dropna().astype("int64").unique()
    wanted = tasks["task_id"].isin(held) | (
        tasks["state"].eq("recovered") & tasks["task_id"].isin(ever)
    )
    return f.reset_index(drop=True), tasks[wanted].reset_index(drop=True)


def _underpaid(findings: pd.DataFrame) -> pd.DataFrame:
    """Live under-paid lines with ``short_cents`` = expected − allowed (positive)."""
    f = live(findings)
    f = f[f["kind"].eq("underpaid")]
    return f.assign(short_cents=(-f["variance_cents"]).astype("int64"))


def _task_sums(tasks: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per ``key``: open_claims, at_stake_cents (open tasks), recovered_claims,
    recovered_cents (recovered tasks)."""
    is_open = tasks["state"].isin(OPEN_STATES)
    is_recovered = tasks["state"].eq("recovered")
    parts = tasks.assign(
        open_claims=is_open.astype("int64"),
        at_stake_cents=tasks["amount_cents"].astype("int64").where(is_open, 0),
        recovered_claims=is_recovered.astype("int64"),
        recovered_cents=tasks["recovered_cents"].astype("int64").where(is_recovered, 0),
    )
    columns = ["open_claims", "at_stake_cents", "recovered_claims", "recovered_cents"]
    return parts.groupby(key)[columns].sum()


STAKE_COUNTS = ["lines", "open_claims", "recovered_claims"]
STAKE_VALUES = {
    "underpaid_cents": "lines",
    "at_stake_cents": "open_claims",
    "recovered_cents": "recovered_claims",
}
STAKE_COLUMNS = [
    "lines",
    "underpaid_cents",
    "open_claims",
    "at_stake_cents",
    "recovered_claims",
    "recovered_cents",
]


def _stake_table(findings: pd.DataFrame, tasks: pd.DataFrame, key: str) -> pd.DataFrame:
    """Under-paid lines and task money per ``key`` (payer_id or cause), unsuppressed."""
    under = _underpaid(findings)
    lines = under.groupby(key).agg(
        lines=("short_cents", "size"), underpaid_cents=("short_cents", "sum")
    )
    out = lines.join(_task_sums(tasks, key), how="outer").fillna(0)
    out = out.reindex(columns=STAKE_COLUMNS, fill_value=0).astype("int64")
    return out.rename_axis(key).reset_index()


# --- the page's tables ------------------------------------------------------------------


def underpayments_by_payer(
    findings: pd.DataFrame, tasks: pd.DataFrame, payer_names: pd.DataFrame
) -> pd.DataFrame:
    """Dollars under-paid, still at stake and recovered, per payer, with a total row.

    Needs findings: kind, payer_id, variance_cents, void; tasks: payer_id, state,
    amount_cents, recovered_cents; payer_names: payer_id, payer_name (``payer_directory``).
    Returns payer_id (NA on the total row), payer_label, lines (under-paid lines),
    underpaid_cents (expected − allowed over those lines), open_claims and at_stake_cents
    (tasks still open, in progress or appealed), recovered_claims and recovered_cents
    (tasks recovered), is_total, and a ``*_small`` flag per count; suppressed
    (``suppress``). Most at stake first; rows with hidden dollars after; total last.
    """
    table = _stake_table(findings, tasks, "payer_id")
    if table.empty:
        return _empty_stake("payer_id", "payer_label")
    table.insert(1, "payer_label", directory.payer_names(table["payer_id"], payer_names))
    table = with_total(table, "payer_label", ALL_PAYERS)
    table = suppress(table, STAKE_COUNTS, STAKE_VALUES)
    return shown_first(table, "at_stake_cents", "payer_label")


def underpayments_by_cause(findings: pd.DataFrame, tasks: pd.DataFrame) -> pd.DataFrame:
    """The same figures as ``underpayments_by_payer``, per likely cause.

    Lines count under the cause found for each line, and so does the money at stake: an
    open task's under-paid lines each count under their own cause, so a cause never shows
    more at stake than it was under-paid, and a claim with lines of two causes is an open
    claim of both (the claims of the causes then add up to more than the total's). A
    recovered task (money that came back for the whole claim) counts under the cause with
    the most money on it. Returns cause (a key of ``underpayments.CAUSES``; NA on the total
    row), cause_label (its words for people), lines, underpaid_cents, open_claims,
    at_stake_cents, recovered_claims, recovered_cents, is_total and ``*_small`` flags;
    suppressed.
    """
    table = _stake_table(findings, tasks, "cause")
    if len(table):
        table = _open_by_line_cause(table, findings, tasks)
    if table.empty:
        return _empty_stake("cause", "cause_label")
    words = table["cause"].map(CAUSES).fillna(table["cause"]).astype("str")
    table.insert(1, "cause_label", words.str[:1].str.upper() + words.str[1:])
    table = with_total(table, "cause_label", ALL_CAUSES)
    # The total counts each open claim once, as the payer table's total does.
    total = table[TOTAL].to_numpy()
    table.loc[total, "open_claims"] = int(tasks["state"].isin(OPEN_STATES).sum())
    table = suppress(table, STAKE_COUNTS, STAKE_VALUES)
    return shown_first(table, "at_stake_cents", "cause_label")


def appealable_by_payer(
    tasks: pd.DataFrame, payer_names: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """The money in open follow-ups a practice can still appeal, per payer.

    Needs tasks: payer_id, state, amount_cents, deadline; payer_names as
    ``underpayments_by_payer``. Counts the open tasks (open, in progress, appealed) whose
    appeal deadline is ``as_of`` or later: payer_id, payer_label, open_claims,
    at_stake_cents, next_deadline (the nearest of them), is_total, open_claims_small;
    suppressed. The tasks past their deadline are left out: ``headline`` names them
    (past_deadline_*), and the Summary says what can still be done about them. Most at
    stake first; total last.
    """
    open_ = tasks[tasks["state"].isin(OPEN_STATES)]
    live_ = open_[open_["deadline"].ge(pd.Timestamp(as_of).normalize())]
    columns = ["payer_id", "payer_label", "open_claims", "at_stake_cents", "next_deadline"]
    if live_.empty:
        return pd.DataFrame(columns=[*columns, TOTAL, "open_claims" + SMALL_SUFFIX])
    table = (
        live_.assign(amount_cents=live_["amount_cents"].astype("int64"))
        .groupby("payer_id")
        .agg(
            open_claims=("amount_cents", "size"),
            at_stake_cents=("amount_cents", "sum"),
            next_deadline=("deadline", "min"),
        )
        .reset_index()
    )
    table.insert(1, "payer_label", directory.payer_names(table["payer_id"], payer_names))
    table = with_total(table, "payer_label", ALL_PAYERS)
    table.loc[table[TOTAL], "next_deadline"] = table["next_deadline"].min()
    table = suppress(table, ["open_claims"], {"at_stake_cents": "open_claims"})
    return shown_first(table, "at_stake_cents", "payer_label")


def _open_by_line_cause(
    table: pd.DataFrame, findings: pd.DataFrame, tasks: pd.DataFrame
) -> pd.DataFrame:
    """``table``'s open_claims and at_stake_cents per cause counted from the under-paid
    lines of the open tasks, each under its own cause (``underpayments_by_cause``)."""
    open_ids = tasks.loc[tasks["state"].isin(OPEN_STATES), "task_id"]
    under = _underpaid(findings)
    on_open = under[under["task_id"].isin(open_ids)]
    per = on_open.groupby("cause").agg(
        open_claims=("task_id", "nunique"), at_stake_cents=("short_cents", "sum")
    )
    out = table.set_index("cause")
    for column in ("open_claims", "at_stake_cents"):
        out[column] = per[column].reindex(out.index, fill_value=0).astype("int64")
    return out.reset_index()


def _empty_stake(key: str, label: str) -> pd.DataFrame:
    columns = [key, label, *STAKE_COLUMNS, TOTAL, *(c + SMALL_SUFFIX for c in STAKE_COUNTS)]
    return pd.DataFrame(columns=columns)


def top_underpaid_codes(findings: pd.DataFrame, top_n: int = 10) -> pd.DataFrame:
    """The procedure codes with the most dollars under-paid, then the rest, then a total.

    Needs findings: kind, procedure_code, expected_cents, allowed_cents, variance_cents,
    void. Only codes with at least 11 under-paid lines are listed by name (a smaller
    count could not be shown); the others are summed as "All other codes", which takes
    in the last listed code too when it would otherwise count 1-10 lines (with no code
    listed, only the total is left). Returns procedure_code (NA on those two rows),
    code_label, lines, expected_cents, allowed_cents, underpaid_cents (expected −
    allowed), pct_paid (allowed as a percent of expected, Float64, display only),
    is_total, lines_small; suppressed.
    """
    under = _underpaid(findings)
    columns = ["lines", "expected_cents", "allowed_cents", "underpaid_cents"]
    if under.empty:
        return pd.DataFrame(
            columns=[
                "procedure_code",
                "code_label",
                *columns,
                "pct_paid",
                TOTAL,
                "lines" + SMALL_SUFFIX,
            ]
        )
    codes = under.groupby("procedure_code").agg(
        lines=("short_cents", "size"),
        expected_cents=("expected_cents", "sum"),
        allowed_cents=("allowed_cents", "sum"),
        underpaid_cents=("short_cents", "sum"),
    )
    codes = codes.astype("int64").reset_index()
    codes = codes.sort_values(
        ["underpaid_cents", "procedure_code"], ascending=[False, True], kind="stable"
    )
    named = codes[codes["lines"].ge(small_cell())].head(top_n)
    rest = codes.drop(named.index)
    if 0 < rest["lines"].sum() < small_cell() and len(named):
        # A small "other" row would be hidden and take a listed code down with it (as its
        # complement): fold the last listed code into "other" instead, which shows both.
        named, rest = named.iloc[:-1], pd.concat([rest, named.iloc[[-1]]])
    table = named.assign(code_label=named["procedure_code"])
    if len(rest):
        other = pd.DataFrame([{"code_label": OTHER_CODES, **rest[columns].sum()}])
        table = pd.concat([table, other], ignore_index=True)
    table = with_total(table[["procedure_code", "code_label", *columns]], "code_label", ALL_CODES)
    table = suppress(table, ["lines"], ["expected_cents", "allowed_cents", "underpaid_cents"])
    if named.empty:  # "other" is every code: it would repeat the total
        table = table[table[TOTAL]].reset_index(drop=True)
    # Display only: a percent of two (unhidden) sums, NA when hidden.
    expected = table["expected_cents"].astype("Float64")
    table.insert(6, "pct_paid", table["allowed_cents"].astype("Float64") * 100 / expected)
    return table


def age_bucket(remit_date: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """The ``AGE_BUCKETS`` label of each remittance date on ``as_of`` (categorical).

    Age = whole days from remit_date to as_of: 30 is "0-30 days", 31 is "31-60 days",
    90 is "61-90 days", 91 "over 90 days". A date after ``as_of`` counts as day 0.
    """
    days = (pd.Timestamp(as_of).normalize() - remit_date.dt.normalize()).dt.days.clip(lower=0)
    edges = [-1, *(last for _, _, last in AGE_BUCKETS[:-1]), np.inf]
    labels = [label for label, _, _ in AGE_BUCKETS]
    return pd.cut(days, bins=edges, labels=labels)


def _past_deadline(open_tasks: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row: the open tasks whose appeal deadline is before ``as_of`` (open_claims,
    at_stake_cents, open_claims_small), suppressed.

    Past-deadline tasks are a part of the open ones, and the oldest part: a reader who
    knows the appeal windows can take them away from the oldest age bucket, the two
    oldest, ... or all open tasks. So besides a count of 1-10, the figure is hidden when
    any of those remainders would be 1-10.
    """
    past = open_tasks["deadline"].lt(pd.Timestamp(as_of).normalize())
    n = int(past.sum())
    cents = int(open_tasks["amount_cents"].astype("int64")[past].sum())
    labels = [label for label, _, _ in AGE_BUCKETS]
    ages = age_bucket(open_tasks["remit_date"], as_of).value_counts()
    oldest_first = ages.reindex(labels, fill_value=0).to_numpy()[::-1].cumsum()
    rest = oldest_first - n
    small = 0 < n < small_cell()
    hide = small or (n > 0 and bool(((rest >= 1) & (rest < small_cell())).any()))
    return pd.DataFrame(
        {
            "open_claims": pd.array([None if hide else n], dtype="Int64"),
            "at_stake_cents": pd.array([None if hide else cents], dtype="Int64"),
            "open_claims_small": [small],
        }
    )


def task_aging(tasks: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Open tasks (open, in progress, appealed) by days since their remittance.

    Needs tasks: state, amount_cents, remit_date, deadline. Returns one row per
    ``AGE_BUCKETS`` label (also when 0), the total row ("All open tasks"), then the
    tasks past their appeal deadline on ``as_of`` (``past_deadline`` true; deadline <
    as_of, at any age). Columns: age_bucket, open_claims, at_stake_cents, is_total,
    past_deadline, open_claims_small; suppressed (the past-deadline row as in
    ``_past_deadline``). Past-deadline is given for all ages together, not per bucket: a
    bucket × deadline table would let small cells be worked out. Empty when no task is
    open.
    """
    columns = ["age_bucket", "open_claims", "at_stake_cents"]
    open_tasks = tasks[tasks["state"].isin(OPEN_STATES)]
    if open_tasks.empty:
        return pd.DataFrame(columns=[*columns, TOTAL, "past_deadline", "open_claims_small"])
    buckets = open_tasks.assign(
        age_bucket=age_bucket(open_tasks["remit_date"], as_of),
        amount=open_tasks["amount_cents"].astype("int64"),
    )
    grouped = buckets.groupby("age_bucket", observed=False).agg(
        open_claims=("amount", "size"), at_stake_cents=("amount", "sum")
    )
    table = grouped.astype("int64").reset_index()
    table["age_bucket"] = table["age_bucket"].astype("str")
    table = with_total(table, "age_bucket", ALL_OPEN)
    table = suppress(table, ["open_claims"], {"at_stake_cents": "open_claims"})
    past = _past_deadline(open_tasks, as_of).assign(age_bucket=PAST_DEADLINE, **{TOTAL: False})
    out = pd.concat(
        [table.assign(past_deadline=False), past.assign(past_deadline=True)], ignore_index=True
    )
    return out[[*columns, TOTAL, "past_deadline", "open_claims_small"]]


def overpayments_by_payer(findings: pd.DataFrame, payer_names: pd.DataFrame) -> pd.DataFrame:
    """Lines the payer allowed above the contract, per payer, with a total row.

    Needs findings: kind, payer_id, variance_cents, void; payer_names: payer_id,
    payer_name, payer_class. Returns payer_id, payer_label, federal (Medicare or
    Medicaid, including managed plans: such over-payments may have to be reported and
    returned within 60 days), lines, overpaid_cents (allowed − expected), is_total,
    lines_small; suppressed. Federal payers first, then most dollars.
    """
    f = live(findings)
    over = f[f["kind"].eq("overpaid")]
    columns = ["payer_id", "payer_label", "federal", "lines", "overpaid_cents"]
    if over.empty:
        return pd.DataFrame(columns=[*columns, TOTAL, "lines" + SMALL_SUFFIX])
    table = (
        over.assign(extra=over["variance_cents"].astype("int64"))
        .groupby("payer_id")
        .agg(lines=("extra", "size"), overpaid_cents=("extra", "sum"))
        .astype("int64")
        .reset_index()
    )
    classes = payer_names.drop_duplicates("payer_id").set_index("payer_id")["payer_class"]
    table.insert(1, "payer_label", directory.payer_names(table["payer_id"], payer_names))
    table.insert(2, "federal", table["payer_id"].map(classes).isin(FEDERAL_CLASSES))
    table = with_total(table, "payer_label", ALL_PAYERS)
    table["federal"] = table["federal"].fillna(False).astype(bool) & ~table[TOTAL]
    table = suppress(table, ["lines"], {"overpaid_cents": "lines"})
    federal = table["federal"].fillna(False).astype(bool)
    return shown_first(table, "overpaid_cents", "payer_label", first=federal)


HEADLINE_COUNTS = [
    "open_claims",
    "recovered_claims",
    "underpaid_lines",
    "overpaid_lines",
    "no_rate_lines",
]
HEADLINE_VALUES = {
    "at_stake_cents": "open_claims",
    "recovered_cents": "recovered_claims",
    "underpaid_cents": "underpaid_lines",
    "overpaid_cents": "overpaid_lines",
}


def headline(findings: pd.DataFrame, tasks: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The page's key figures, one row; each equals a total row of the tables above.

    Needs the columns of ``underpayments_by_payer`` and ``task_aging``. Returns:
    open_claims, at_stake_cents (open tasks); past_deadline_claims, past_deadline_cents
    (open tasks past their appeal deadline on ``as_of``, suppressed as in
    ``task_aging``); recovered_claims, recovered_cents; underpaid_lines,
    underpaid_cents (expected − allowed); overpaid_lines, overpaid_cents (allowed −
    expected: money the practice may have to return); no_rate_lines (remitted lines with
    no contracted rate on file); and ``*_small`` flags. Suppressed: a count of 1-10 is
    hidden with its dollars. Empty (no row) when there is no live finding and no task.
    """
    f = live(findings)
    if f.empty and tasks.empty:
        return pd.DataFrame(
            columns=[
                *HEADLINE_COUNTS,
                *HEADLINE_VALUES,
                *(c + SMALL_SUFFIX for c in HEADLINE_COUNTS),
                "past_deadline_claims",
                "past_deadline_cents",
                "past_deadline_claims" + SMALL_SUFFIX,
            ]
        )
    under = _underpaid(f)
    over = f[f["kind"].eq("overpaid")]
    sums = _task_sums(tasks.assign(_all=0), "_all").reindex([0], fill_value=0).iloc[0]
    row = pd.DataFrame(
        [
            {
                "open_claims": sums["open_claims"],
                "at_stake_cents": sums["at_stake_cents"],
                "recovered_claims": sums["recovered_claims"],
                "recovered_cents": sums["recovered_cents"],
                "underpaid_lines": len(under),
                "underpaid_cents": under["short_cents"].sum(),
                "overpaid_lines": len(over),
                "overpaid_cents": over["variance_cents"].astype("int64").sum(),
                "no_rate_lines": int(f["kind"].eq("no_rate").sum()),
            }
        ]
    ).astype("int64")
    out = suppress(row, HEADLINE_COUNTS, HEADLINE_VALUES)
    past = _past_deadline(tasks[tasks["state"].isin(OPEN_STATES)], as_of).reset_index(drop=True)
    return out.assign(
        past_deadline_claims=past["open_claims"],
        past_deadline_cents=past["at_stake_cents"],
        past_deadline_claims_small=past["open_claims_small"],
    )
