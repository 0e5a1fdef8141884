"""Table 3: the receivable reconciliation by primary payer for a month of service.

From ``ledger.claim_ledger``: the month's claims grouped by primary payer (the 20 with the
most visits, ties by cash, then self-pay and all other payers as one line each, then the
total), each with its charges, cash, adjustments by kind, balance and what nothing explains,
so that for every row

    charges = cash + contractual + non-cash compliance + courtesy + bad debt
              + small balance + balance + unexplained

J = (cash + bad debt) / charges is the share of charges the month will have earned when
it closes, a payer-mix and contract signature that patient collections do not distort;
K = cash / (charges - balance) is the cash collected on what is no longer open. Ratios are
exact percents in thousandths (59.2 % = 59200), rounded half up; NA where the denominator is zero.
Pure functions; no store, no clock.
"""

from __future__ import annotations

import pandas as pd

from payeropt_lib.frames import member_of
from payeropt_lib.money import percent_x1000

from .ledger import MONEY

TOP = 20
SELF_PAY = "Self-pay"
ALL_OTHER = "All other payers"
TOTAL = "Total"
ADVISED_RESOLVED_PERCENT_X1000 = 80_000  # advise a month of service with at least 80 % resolved

CASH = ["payer_cash_cents", "secondary_cash_cents", "patient_cash_cents"]
TABLE3_COLUMNS = [
    "row",
    "payer_id",
    "visits",
    *MONEY,
    "cash_cents",
    "j_percent_x1000",
    "k_percent_x1000",
    "volume_share_percent_x1000",
    "cash_share_percent_x1000",
    "resolved_visits",
]


def month_start(month: pd.Timestamp) -> pd.Timestamp:
    """The first day of the month of ``month`` (any day of it)."""
    return pd.Timestamp(month).to_period("M").to_timestamp()


def month_of(ledger: pd.DataFrame, month: pd.Timestamp) -> pd.DataFrame:
    """The ledger rows whose month of service is ``month`` (any day of it)."""
    return ledger[ledger["service_month"].eq(month_start(month))]


def reconcile(
    ledger: pd.DataFrame, month: pd.Timestamp, self_pay: set[str] | frozenset[str]
) -> pd.DataFrame:
    """Table 3 for ``month`` (``TABLE3_COLUMNS``).

    ``ledger``: ``ledger.claim_ledger``; ``self_pay``: the payer ids whose class is
    self-pay. ``row`` is 'payer' (payer_id set), 'self_pay', 'all_other' or 'total'; the
    self-pay and all-other rows are there (zero visits) even when empty, so the table's
    shape does not depend on the month. Money int64 cents; J, K and the shares (of the
    total's visits and cash) Int64 percents in thousandths.
    """
    rows = month_of(ledger, month)
    per = rows.groupby("primary_payer_id", sort=False).agg(
        visits=("claim_id", "size"),
        resolved_visits=("resolved", "sum"),
        **{c: (c, "sum") for c in MONEY},
    )
    per["cash_cents"] = per[CASH].sum(axis=1)
    per = per.reset_index(names="payer_id")
    is_self = member_of(per["payer_id"], self_pay)
    payers = per[~is_self].sort_values(
        ["visits", "cash_cents", "payer_id"], ascending=[False, False, True], kind="stable"
    )
    top, rest = payers.head(TOP), payers.iloc[TOP:]
    table = pd.concat(
        [
            top.assign(row="payer"),
            _one(per[is_self], "self_pay"),
            _one(rest, "all_other"),
            _one(per, "total"),
        ],
        ignore_index=True,
    )
    whole = table.iloc[-1]
    table["j_percent_x1000"] = percent_x1000(
        table["cash_cents"] + table["bad_debt_cents"], table["charges_cents"]
    )
    table["k_percent_x1000"] = percent_x1000(
        table["cash_cents"], table["charges_cents"] - table["balance_cents"]
    )
    table["volume_share_percent_x1000"] = percent_x1000(table["visits"], whole["visits"])
    table["cash_share_percent_x1000"] = percent_x1000(table["cash_cents"], whole["cash_cents"])
    counts = ["visits", "resolved_visits", *MONEY, "cash_cents"]
    return table.astype({c: "int64" for c in counts})[TABLE3_COLUMNS]


def resolution(ledger: pd.DataFrame) -> pd.DataFrame:
    """Per month of service: visits, resolved visits, the resolved share (Int64
    percent in thousandths) and ``advised`` (at least 80 % resolved: its tables are near final)."""
    per = (
        ledger.groupby("service_month", sort=True)
        .agg(visits=("claim_id", "size"), resolved_visits=("resolved", "sum"))
        .reset_index()
        .astype({"visits": "int64", "resolved_visits": "int64"})
    )
    per["resolved_percent_x1000"] = percent_x1000(per["resolved_visits"], per["visits"])
    per["advised"] = (
        per["resolved_percent_x1000"].ge(ADVISED_RESOLVED_PERCENT_X1000).fillna(False).astype(bool)
    )
    return per


def advised_month(ledger: pd.DataFrame) -> pd.Timestamp | None:
    """The latest month of service with at least 80 % of its visits resolved (None if
    none): the month to reconcile, recent enough to matter, settled enough to trust."""
    per = resolution(ledger)
    ok = per[per["advised"]]
    return None if ok.empty else pd.Timestamp(ok["service_month"].iloc[-1])


def _one(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame``'s rows summed into one row named ``name`` (zeros when empty)."""
    sums = frame[["visits", "resolved_visits", *MONEY, "cash_cents"]].sum()
    return sums.to_frame().T.assign(row=name, payer_id=pd.NA)
