"""Payer mix: who the practice works for, and who pays it, by payer class and by payer.

Pure functions over the practice's ``charges`` (what was billed) and
``remitted.adjudicated`` (what the payers' 835s said): money is int64 cents, shares are
floats for display only. No I/O, no loop over lines or claims.

- **Claims and charges** count every claim billed with a date of service in the period,
  under the primary payer of its first line (``charges``: a claim counts once, in the
  month of its first line). Without ``charges``, the claims the primary payers adjudicated
  stand in for them.
- **Paid** is what the primary payers paid on their 835s for those claims
  (``performance.claim_table``: the same claims and dollars as the payer-performance page).
  Patient payments are not a payer's and are left out.
- A **share** is the row's figure ÷ the total of all rows (of the month, for the monthly
  table) × 100.

Aggregate only (domain §10): counts 1-10 are hidden with every figure and share measured
over them, and complements are hidden so that no small count can be worked out from a
total, through the nesting payer class → payer and across the class × month grid
(``privacy.suppress_tree``, ``privacy.suppress_grid``). Paid dollars are tied to
the adjudicated claims, nested the same way as on the payer-performance page, so a payer's
paid dollars are hidden on both pages alike. No patient attribute is read.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from payeropt_lib.periods import within

from .directory import ALL_PAYERS, class_labels, payer_classes, payer_names
from .performance import claim_table, group_sums
from .privacy import SMALL_SUFFIX, TOTAL, percent, shown_first, suppress_months, suppress_tree

logger = logging.getLogger(__name__)

# What the page loads from ``charges`` (the claim id only groups lines into claims).
CHARGE_COLUMNS = ["claim_id", "date_of_service", "charge_cents", "primary_payer_id"]
ALL_CLASSES = "All payer types"
BY = ("payer_class", "payer")

COUNTS = ["claims", "remitted_claims"]
# Each column of figures, in the order the tables give them → the counts it is measured
# over (hidden when any of them is hidden; none for a count itself).
MEASURED_OVER: dict[str, tuple[str, ...]] = {
    "claims": (),
    "pct_claims": ("claims",),
    "charge_cents": ("claims",),
    "pct_charges": ("claims",),
    "remitted_claims": (),
    "paid_cents": ("claims", "remitted_claims"),
    "pct_paid": ("claims", "remitted_claims"),
}
FIGURES = list(MEASURED_OVER)
TIES = {figure: counts for figure, counts in MEASURED_OVER.items() if counts}
MIX_COLUMNS = {
    "payer_class": [
        "payer_class",
        "class_label",
        *FIGURES,
        TOTAL,
        *(c + SMALL_SUFFIX for c in COUNTS),
    ],
    "payer": [
        "payer_id",
        "payer_label",
        "payer_class",
        "class_label",
        *FIGURES,
        TOTAL,
        *(c + SMALL_SUFFIX for c in COUNTS),
    ],
}
MONTHLY_COLUMNS = [
    "payer_class",
    "class_label",
    "service_month",
    *FIGURES,
    *(c + SMALL_SUFFIX for c in COUNTS),
]
_SUMS = ["claims", "charge_cents", "remitted_claims", "paid_cents"]


def _month(days: pd.Series) -> pd.Series:
    values = days.to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
    return pd.Series(values, index=days.index)


_KEYS = ["payer_id", "payer_class", "service_month"]


def _claims(
    adjudicated: pd.DataFrame,
    charges: pd.DataFrame | None,
    payers: pd.DataFrame | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pd.DataFrame:
    """The four sums (billed claims and charges, adjudicated claims and payer payments)
    per payer, payer class and month of service: a small frame every table here is rolled
    up from (sums only, so rolling up is exact)."""
    remitted = group_sums(
        claim_table(adjudicated, None, payers), _KEYS, ["claims", "charge_cents", "paid_cents"]
    )
    remitted = remitted.rename(columns={"claims": "remitted_claims", "charge_cents": "_charge"})
    if charges is None:
        # The adjudicated claims stand in for the billed ones.
        return remitted.assign(
            claims=remitted["remitted_claims"], charge_cents=remitted["_charge"]
        )[[*_KEYS, *_SUMS]]
    lines = charges[within(charges["date_of_service"], start, end)]
    codes, _ = pd.factorize(lines["claim_id"])
    first = lines.loc[~pd.Series(codes).duplicated().to_numpy()]
    n_claims = len(first)
    charge = pd.Series(lines["charge_cents"].astype("int64").to_numpy()).groupby(codes).sum()
    payer_id = first["primary_payer_id"].astype("str").reset_index(drop=True)
    billed = pd.DataFrame(
        {
            "payer_id": payer_id,
            "payer_class": payer_classes(payer_id, payers),
            "service_month": _month(first["date_of_service"]).reset_index(drop=True),
            "claims": np.ones(n_claims, dtype="int64"),
            "charge_cents": charge.reindex(range(n_claims), fill_value=0).to_numpy(),
        }
    )
    billed = group_sums(billed, _KEYS, ["claims", "charge_cents"])
    both = pd.concat([billed, remitted.drop(columns="_charge")], ignore_index=True)
    return both.fillna({c: 0 for c in _SUMS}).astype({c: "int64" for c in _SUMS})[[*_KEYS, *_SUMS]]


def _sums(claims: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return group_sums(claims, keys, _SUMS)


def _shares(table: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """pct_claims, pct_charges, pct_paid of each row against ``totals`` (same index); 0
    when the total is 0 (nothing paid yet: every payer's share of it is nothing)."""
    return table.assign(
        pct_claims=percent(table["claims"], totals["claims"]).fillna(0.0),
        pct_charges=percent(table["charge_cents"], totals["charge_cents"]).fillna(0.0),
        pct_paid=percent(table["paid_cents"], totals["paid_cents"]).fillna(0.0),
    )


def _mix_tree(claims: pd.DataFrame, payers: pd.DataFrame | None) -> pd.DataFrame:
    """Total, class and payer rows with shares of the total, suppressed as one tree."""
    total = _sums(claims, []).assign(level="total")
    by_class = _sums(claims, ["payer_class"]).assign(level="class")
    by_payer = _sums(claims, ["payer_class", "payer_id"]).assign(level="payer")
    table = pd.concat([total, by_class, by_payer], ignore_index=True)
    table = _shares(table, pd.DataFrame({c: total[c].iloc[0] for c in _SUMS}, index=table.index))
    depth = table["level"].map({"total": 0, "class": 1, "payer": 2})
    class_row = pd.Series(table.index[depth.eq(1)], index=table.loc[depth.eq(1), "payer_class"])
    parent = pd.Series(0, index=table.index)
    parent[depth.eq(2)] = table.loc[depth.eq(2), "payer_class"].map(class_row)
    table = suppress_tree(table, COUNTS, TIES, parent, depth)
    classes = table["payer_class"].fillna("").astype("str")
    return table.assign(
        payer_label=payer_names(table["payer_id"].fillna(""), payers),
        class_label=class_labels(classes),
        payer_class=classes,
        **{TOTAL: depth.eq(0)},
    )


def payer_mix(
    adjudicated: pd.DataFrame,
    charges: pd.DataFrame | None = None,
    payers: pd.DataFrame | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    by: str = "payer_class",
) -> pd.DataFrame:
    """Share of claims, charges and payments by payer class (``by="payer_class"``) or by
    payer (``by="payer"``), with the total row.

    Needs adjudicated: ``remitted.adjudicated``; charges (optional): ``CHARGE_COLUMNS``,
    counted over dates of service in ``[start, end]`` (None = open); payers:
    ``directory.payer_directory`` (a payer with no contract is "No contract on file").

    Returns ``MIX_COLUMNS[by]``: the class (and payer) keys and labels, claims (billed),
    pct_claims, charge_cents (billed), pct_charges, remitted_claims (claims the primary
    payer adjudicated), paid_cents (the primary payers' 835 payments), pct_paid, is_total
    (the "All payers" / "All payer types" row: 100 %), ``*_small`` flags; suppressed. Most
    claims first (hidden after, by name); total last. Empty when nothing was billed or
    adjudicated.
    """
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, not {by!r}")
    columns = MIX_COLUMNS[by]
    claims = _claims(adjudicated, charges, payers, start, end)
    if claims.empty:
        return pd.DataFrame(columns=columns)
    tree = _mix_tree(claims, payers)
    level, label, total = {
        "payer_class": ("class", "class_label", ALL_CLASSES),
        "payer": ("payer", "payer_label", ALL_PAYERS),
    }[by]
    rows = tree[tree["level"].eq(level) | tree[TOTAL]]
    rows = rows.assign(**{label: rows[label].where(~rows[TOTAL], total)})
    if by == "payer":
        rows = rows.assign(class_label=rows["class_label"].where(~rows[TOTAL], ""))
    return shown_first(rows, "claims", label)[columns]


def mix_monthly(
    adjudicated: pd.DataFrame,
    charges: pd.DataFrame | None = None,
    payers: pd.DataFrame | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per payer class and month of service: the class's share of that month's claims,
    charges and payments.

    Needs the inputs of ``payer_mix``. Returns ``MONTHLY_COLUMNS``: payer_class,
    class_label, service_month, claims, pct_claims (of the month's claims), charge_cents,
    pct_charges, remitted_claims, paid_cents, pct_paid (of the month's payments so far:
    recent months are not fully paid yet), ``*_small`` flags. Suppressed as a class ×
    month grid: each cell is a part of its class's total (the class row of ``payer_mix``,
    hidden alike) and of its month's (which a share would give back). Sorted by class
    (as ``payer_mix``), then month.
    """
    claims = _claims(adjudicated, charges, payers, start, end)
    if claims.empty:
        return pd.DataFrame(columns=MONTHLY_COLUMNS)
    tree = _mix_tree(claims, payers)
    class_rows = tree[tree["level"].eq("class")]
    grand = tree[tree[TOTAL]].iloc[0]
    cells = _sums(claims, ["payer_class", "service_month"])
    months = _sums(claims, ["service_month"])
    of_month = months.set_index("service_month").reindex(cells["service_month"])
    cells = _shares(cells, of_month.set_axis(cells.index))
    totals = class_rows.set_index("payer_class")
    out, _ = suppress_months(cells, COUNTS, TIES, "payer_class", totals, months, grand)
    order = shown_first(class_rows, "claims", "class_label")["payer_class"]
    rank = pd.Series(range(len(order)), index=order.to_numpy())
    out = out.assign(
        class_label=class_labels(out["payer_class"]), _order=out["payer_class"].map(rank)
    )
    out = out.sort_values(["_order", "service_month"], kind="stable").reset_index(drop=True)
    return out[MONTHLY_COLUMNS]
