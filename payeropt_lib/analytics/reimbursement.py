"""Reimbursement trends: for the practice's top codes, what each payer allowed per unit,
month by month, against the rate its contract sets.

Pure functions over ``remitted.adjudicated`` (one row per remitted line that counts); no
I/O, no loop over lines. Definitions (docs/pages/reimbursement-trends.md):

- a *code* is a procedure code with its pricing modifier (26 / TC), as the fee schedules
  price it ("93000-26"); the *top codes* are the ones with the most adjudicated lines;
- a *payer* is a payer and product line ("Prairie Mutual Health · HMO"): product lines
  of one payer can have different contracts;
- the *measured lines* of a payer × code × month are the lines it adjudicated as primary
  payer and paid (not denied, not bundled), priced at their full contracted rate
  (``full_price``: not a second procedure cut by the multiple-procedure rule, not capped
  at a billed charge below the rate) and with a contracted rate on file;
- *median allowed per unit*: each line's allowed amount ÷ its units, rounded half up to
  the cent, then the median of those amounts (``median_half_up``);
- *contract rate per unit*: the median of the same lines' contracted rate per unit in
  force on their dates of service (``contract_rate_cents``, before any cut);
- *gap* = (median allowed − contract rate) ÷ contract rate × 100 (negative = below);
  a month is *below contract* when the median allowed is below the rate by more than the
  under-payment tolerance (the larger of $0.50 and 0.5 %, ``pricing.tolerance``).

Aggregate only: a payer × code × month cell with fewer than 11 measured lines is hidden
(``privacy.suppress``), and nothing is drawn or computed from it. Medicare and Medicaid
(``directory.FEDERAL_CLASSES``) are shown and flagged like any payer: a gap there is a rate
or posting error to raise with the payer, never a reason to see fewer of its patients.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from payeropt_lib.pricing.tolerance import beyond
from payeropt_lib.remittances.remitted import PAID_OUTCOMES

from . import procedure_codes
from .directory import FEDERAL_CLASSES, product_labels
from .privacy import SMALL_SUFFIX, small_cell, suppress

logger = logging.getLogger(__name__)

PAYER_KEY = ["payer_id", "product_line"]
CODE_KEY = ["procedure_code", "modifier"]
CELL_KEY = [*PAYER_KEY, *CODE_KEY, "service_month"]

TOP_CODE_COLUMNS = ["procedure_code", "modifier", "code_label", "code_lines"]
TREND_COLUMNS = [
    "payer_id",
    "product_line",
    "payer_label",
    "federal",
    "procedure_code",
    "modifier",
    "code_label",
    "code_lines",
    "service_month",
    "lines",
    "median_allowed_cents",
    "median_contract_cents",
    "gap_pct",
    "pct_of_contract",
    "below_contract",
    "lines" + SMALL_SUFFIX,
]
DRIFT_COLUMNS = [
    "payer_label",
    "federal",
    "code_label",
    "months_below",
    "months_shown",
    "first_below",
    "last_below",
    "when_below",
    "still_below",
    "below_lines",
    "median_allowed_cents",
    "median_contract_cents",
    "gap_pct",
    "below_lines" + SMALL_SUFFIX,
]


# --- exact medians ----------------------------------------------------------------------


def median_half_up(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Median of integer cents per group, rounded half up to a whole cent.

    ``values`` (int64) and ``groups`` (int group numbers 0..g-1, every number present)
    have one entry per line. Returns one int64 per group, in group-number order. With an
    odd count the median is the middle value; with an even count it is the mean of the two
    middle values, which can end in half a cent and is then rounded up (``(a + b + 1) // 2``
    in integers: 100.5 → 101, −100.5 → −100). No float arithmetic touches the money.
    """
    values = np.asarray(values, dtype="int64")
    groups = np.asarray(groups, dtype="int64")
    if values.size == 0:
        return np.empty(0, dtype="int64")
    order = np.lexsort((values, groups))
    g, v = groups[order], values[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, g.size])
    lower = v[starts + (sizes - 1) // 2]
    upper = v[starts + sizes // 2]
    return (lower + upper + 1) // 2


def per_unit_half_up(cents: pd.Series, units: pd.Series) -> pd.Series:
    """cents ÷ units, rounded half up to a whole cent, in integers (units ≥ 1)."""
    c = cents.astype("int64").to_numpy()
    u = units.astype("int64").to_numpy()
    return pd.Series((2 * c + u) // (2 * u), index=cents.index, dtype="int64")


# --- inputs -----------------------------------------------------------------------------


def top_codes(adjudicated: pd.DataFrame, top_n: int = 8) -> pd.DataFrame:
    """The practice's ``top_n`` codes with the most lines adjudicated as primary.

    Needs adjudicated: procedure_code, modifiers, primary. Returns ``TOP_CODE_COLUMNS``:
    procedure_code, modifier, code_label ("93000-26"), code_lines (int64); most lines
    first, ties by code. Codes with fewer than 11 lines are never listed (no cell of
    theirs could be shown).
    """
    primary = adjudicated[adjudicated["primary"].astype(bool)]
    if primary.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c == "code_lines" else "str") for c in TOP_CODE_COLUMNS}
        )
    counted = procedure_codes.top_codes(primary, top_n, min_lines=small_cell())
    counted = counted.rename(columns={"volume": "code_lines"})
    return counted.assign(code_label=procedure_codes.code_label(counted))[TOP_CODE_COLUMNS]


def measured_lines(adjudicated: pd.DataFrame) -> pd.DataFrame:
    """The lines the medians are taken over, with their per-unit amounts.

    Needs adjudicated: payer_id, product_line, procedure_code, modifiers, units,
    service_month, allowed_cents, primary, outcome, contract_rate_cents, full_price.
    Keeps primary lines the payer paid (``remitted.PAID_OUTCOMES``: not denied, bundled or
    secondary) at their full price (``full_price``), with a contracted rate and units ≥ 1.
    Returns payer_id, product_line, procedure_code, modifier, service_month,
    allowed_per_unit_cents (allowed ÷ units, half up) and contract_rate_cents (per unit).
    """
    keep = (
        adjudicated["primary"].astype(bool)
        & adjudicated["outcome"].isin(PAID_OUTCOMES)
        & adjudicated["full_price"].astype(bool)
        & adjudicated["contract_rate_cents"].notna()
        & adjudicated["units"].gt(0)
    )
    lines = adjudicated[keep]
    keys = procedure_codes.code_keys(lines)
    return pd.DataFrame(
        {
            "payer_id": lines["payer_id"].astype("str"),
            "product_line": lines["product_line"].fillna("").astype("str"),
            "procedure_code": keys["procedure_code"],
            "modifier": keys["modifier"],
            "service_month": lines["service_month"],
            "allowed_per_unit_cents": per_unit_half_up(lines["allowed_cents"], lines["units"]),
            "contract_rate_cents": lines["contract_rate_cents"].astype("int64"),
        }
    ).reset_index(drop=True)


def _payer_labels(cells: pd.DataFrame, payer_names: pd.DataFrame | None) -> pd.DataFrame:
    """payer_label as the fee-schedule page writes it ("Payer name · PPO", the payer id
    when the name is unknown; ``directory.product_labels``) and federal."""
    names = (
        payer_names.drop_duplicates("payer_id")
        if payer_names is not None and len(payer_names)
        else pd.DataFrame(columns=["payer_id", "payer_name", "payer_class"])
    )
    info = cells[PAYER_KEY].merge(names, on="payer_id", how="left")
    info["payer_name"] = info["payer_name"].astype("object").fillna(info["payer_id"]).astype("str")
    info["product_line"] = info["product_line"].astype("str")
    return pd.DataFrame(
        {
            "payer_label": product_labels(info).to_numpy(),
            "federal": info["payer_class"].isin(FEDERAL_CLASSES).to_numpy(dtype=bool),
        },
        index=cells.index,
    )


# --- the page's tables ------------------------------------------------------------------


def monthly_medians(
    adjudicated: pd.DataFrame, payer_names: pd.DataFrame | None = None, top_n: int = 8
) -> pd.DataFrame:
    """Per payer × top code × month: measured lines, median allowed per unit, contract rate
    per unit and the gap.

    Needs ``remitted.adjudicated`` and ``directory.payer_directory`` frames. One row per
    payer (and product line) × code of ``top_codes(adjudicated, top_n)`` × month of
    service with at least one measured line. Returns ``TREND_COLUMNS``: the payer's keys,
    payer_label, federal; the code's keys, code_label, code_lines (the code's adjudicated
    lines, all payers, for titles); service_month; lines (measured lines);
    median_allowed_cents and median_contract_cents (Int64, per unit, ``median_half_up``);
    gap_pct (allowed − contract, as a percent of contract) and pct_of_contract (allowed as
    a percent of contract; both Float64, display only); below_contract (allowed below the
    rate by more than the tolerance; False where hidden). Suppressed: with fewer than 11
    lines the medians, percents and flag are hidden (``lines_small``). Codes in volume
    order, then payers by label, then months.
    """
    top = top_codes(adjudicated, top_n)
    lines = measured_lines(adjudicated)
    lines = lines.merge(top, on=CODE_KEY, how="inner")
    if lines.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    grouped = lines.groupby(CELL_KEY, sort=True, observed=True)
    group = grouped.ngroup().to_numpy()
    cells = grouped.size().rename("lines").reset_index()
    cells["median_allowed_cents"] = median_half_up(
        lines["allowed_per_unit_cents"].to_numpy(), group
    )
    cells["median_contract_cents"] = median_half_up(lines["contract_rate_cents"].to_numpy(), group)
    contract = cells["median_contract_cents"]
    gap = cells["median_allowed_cents"] - contract
    cells["below_contract"] = gap.lt(0) & beyond(gap, contract)
    cells = cells.merge(top, on=CODE_KEY, how="left")
    cells = pd.concat([cells, _payer_labels(cells, payer_names)], axis=1)
    cells = cells.astype({"lines": "int64"})
    cells = suppress(
        cells,
        ["lines"],
        {
            "median_allowed_cents": "lines",
            "median_contract_cents": "lines",
            "below_contract": "lines",
        },
    )
    cells["below_contract"] = cells["below_contract"].fillna(False).astype(bool)
    contract = cells["median_contract_cents"].astype("Float64")
    allowed = cells["median_allowed_cents"].astype("Float64")
    per_contract = allowed * 100 / contract.where(contract.ne(0))
    cells["pct_of_contract"] = per_contract.astype("Float64")
    cells["gap_pct"] = (per_contract - 100).astype("Float64")
    rank = cells["code_label"].map({c: i for i, c in enumerate(top["code_label"])})
    cells = cells.assign(_rank=rank).sort_values(
        ["_rank", "payer_label", "service_month"], kind="stable"
    )
    logger.debug("reimbursement trend: %d cells over %d lines", len(cells), len(lines))
    return cells[TREND_COLUMNS].reset_index(drop=True)


def month_text(months: pd.Series) -> pd.Series:
    """'Mar 2025' for each first-of-month date."""
    return months.dt.strftime("%b %Y")


def below_contract(trend: pd.DataFrame, min_months: int = 2) -> pd.DataFrame:
    """Payer × code pairs whose median allowed fell below the contract rate in at least
    ``min_months`` months (shown months only).

    Needs a ``monthly_medians`` frame. Returns ``DRIFT_COLUMNS``: payer_label, federal,
    code_label, months_below, months_shown (months with a shown median), first_below and
    last_below ('Mar 2025'), when_below ('Mar 2025 to Jun 2025'), still_below (the latest
    shown month is below), below_lines (measured lines in the months below), and the
    latest month below's median_allowed_cents, median_contract_cents and gap_pct. Most
    months below first, then the largest gap. Passed through ``privacy.suppress`` (every
    month counted has at least 11 lines, so nothing is hidden in practice).
    """
    shown = trend[trend["lines"].notna()] if len(trend) else trend
    if shown.empty:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    pair = ["payer_label", "code_label"]
    shown = shown.sort_values([*pair, "service_month"], kind="stable")
    latest = shown.drop_duplicates(pair, keep="last").set_index(pair)["below_contract"]
    below = shown[shown["below_contract"].astype(bool)]
    if below.empty:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    grouped = below.groupby(pair, sort=False)
    table = grouped.agg(
        federal=("federal", "first"),
        months_below=("service_month", "size"),
        first=("service_month", "min"),
        last=("service_month", "max"),
        below_lines=("lines", "sum"),
    )
    table["months_shown"] = shown.groupby(pair).size().reindex(table.index)
    table["still_below"] = latest.reindex(table.index).astype(bool)
    last_rows = below.drop_duplicates(pair, keep="last").set_index(pair)
    for column in ("median_allowed_cents", "median_contract_cents", "gap_pct"):
        table[column] = last_rows[column].reindex(table.index)
    table = table[table["months_below"].ge(min_months)].reset_index()
    if table.empty:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    table = table.assign(
        first_below=month_text(table["first"]),
        last_below=month_text(table["last"]),
        when_below=month_text(table["first"]) + " to " + month_text(table["last"]),
        below_lines=table["below_lines"].astype("int64"),
        months_below=table["months_below"].astype("int64"),
        months_shown=table["months_shown"].astype("int64"),
    )
    table = suppress(
        table,
        ["below_lines"],
        ["median_allowed_cents", "median_contract_cents", "gap_pct"],
    )
    table = table.sort_values(
        ["months_below", "gap_pct", "payer_label", "code_label"],
        ascending=[False, True, True, True],
        kind="stable",
    )
    return table[DRIFT_COLUMNS].reset_index(drop=True)
