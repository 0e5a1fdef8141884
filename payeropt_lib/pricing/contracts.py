"""Contract terms and the contracted rate in force on a date, per payer and procedure code.

Pure functions over frames shaped like the store's tables (``store.read_frame``): dates are
``datetime64[ns]``, money is int64 cents, percents are exact integers ``*_x1000`` (125 % =
125000). Effective periods are half-open ``[effective_from, effective_to)``, NaT = open
ended. A blank ``product_line`` ('') means "all products of that payer". No function here
reads the store, formats HTML or loops over rows in Python.

Rates are priced by the posting engine (``expected.expected_allowed``), never re-derived
here: a page that compares rates must show what posting will expect, or a practice would
negotiate from one number and be audited against another.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from payeropt_lib.formats import day_texts, money_texts, percent_x1000_texts
from payeropt_lib.periods import DateLike, day

from . import expected

logger = logging.getLogger(__name__)

CONTRACT_KEY = ["payer_id", "product_line"]
CODE_KEY = ["procedure_code", "modifier"]
RATE_KEY = CONTRACT_KEY + CODE_KEY

RATE_COLUMNS = [
    "payer_id",
    "product_line",
    "payer_name",
    "payer_class",
    "basis",
    "procedure_code",
    "modifier",
    "rate_cents",
    "medicare_cents",
    "pct_of_medicare",
    "source",
]

# A charge no payer reaches: the lesser-of-charge rule never cuts a synthetic line.
_NO_CAP_CENTS = 10**12

# Per site: the Medicare amount column and the site's words; the place of service a
# synthetic line is priced at.
SITES = {
    "non_facility": ("non_facility_cents", "non-facility"),
    "facility": ("facility_cents", "facility"),
}
_PLACE = {"non_facility": "11", "facility": "21"}  # office; inpatient hospital (facility)


def _site(site: str) -> tuple[str, str]:
    if site not in SITES:
        raise ValueError(f"site must be one of {sorted(SITES)}, not {site!r}")
    return SITES[site]


def _in_force(frame: pd.DataFrame, as_of: pd.Timestamp, key: list[str]) -> pd.DataFrame:
    """Rows whose ``[effective_from, effective_to)`` contains ``as_of``; one row per key."""
    to = frame["effective_to"] if "effective_to" in frame else pd.Series(pd.NaT, frame.index)
    live = frame[frame["effective_from"].le(as_of) & (to.isna() | to.gt(as_of))]
    # Imports refuse overlapping periods; keeping the latest start is a cheap guarantee of
    # one row per key all the same.
    return live.sort_values("effective_from", kind="stable").drop_duplicates(key, keep="last")


def pct_of(rate_cents: pd.Series, medicare_cents: pd.Series) -> pd.Series:
    """100 × rate / Medicare as Float64 (display only; NA when either is missing or 0)."""
    rate = rate_cents.astype("Float64")
    base = medicare_cents.astype("Float64")
    return (rate * 100 / base.where(base.ne(0))).astype("Float64")


def contracts_in_force(contracts: pd.DataFrame, as_of: DateLike) -> pd.DataFrame:
    """The contract row in force on ``as_of`` per payer_id + product_line.

    Needs: payer_id, product_line, effective_from (and the other contract columns, kept).
    Returns the row with the latest effective_from ≤ as_of for each payer and product line,
    sorted by payer_name, product_line. Contracts that start after as_of are left out.
    """
    as_of = day(as_of)
    started = contracts[contracts["effective_from"].le(as_of)]
    latest = started.sort_values("effective_from", kind="stable").drop_duplicates(
        CONTRACT_KEY, keep="last"
    )
    return latest.sort_values(["payer_name", "product_line"], kind="stable").reset_index(drop=True)


def medicare_amounts(
    medicare_fees: pd.DataFrame, as_of: DateLike, locality: str | None, site: str = "non_facility"
) -> pd.DataFrame:
    """Medicare allowed per unit in one locality on ``as_of``.

    Needs: locality, procedure_code, modifier, effective_from, effective_to,
    non_facility_cents / facility_cents. Returns procedure_code, modifier, medicare_cents
    (int64) for the chosen site; empty when ``locality`` is None.
    """
    column, _ = _site(site)
    live = _in_force(medicare_fees, day(as_of), ["locality", *CODE_KEY])
    here = live[live["locality"].eq(locality)] if locality else live.iloc[0:0]
    out = here[[*CODE_KEY, column]].rename(columns={column: "medicare_cents"})
    return out.astype({"medicare_cents": "int64"}).reset_index(drop=True)


def priced_keys(
    contracts: pd.DataFrame, fee_schedules: pd.DataFrame, as_of: DateLike
) -> pd.DataFrame:
    """Every payer × product line that has its own price list on ``as_of``.

    Needs contracts as for ``contracts_in_force`` (with payer_name, payer_class, basis) and
    fee_schedules (payer_id, product_line, effective_from, effective_to). One row per
    contract in force, plus one per product line that an all-products fixed fee-schedule
    contract prices with rows of its own: the posting engine prices a line of that product
    line at those rows (they beat the blank ones, ``expected.expected_allowed`` rule 2),
    so it is a column of its own. Returns payer_id, product_line, payer_name, payer_class,
    basis, contract_product_line (the contract's own: '' = all products), sorted by
    payer_name, product_line.
    """
    meta = ["payer_name", "payer_class", "basis"]
    live = contracts_in_force(contracts, as_of)
    own = live[[*CONTRACT_KEY, *meta]].assign(contract_product_line=live["product_line"])
    blank = live[live["product_line"].eq("") & live["basis"].eq("fee_schedule")]
    fees = _in_force(fee_schedules, day(as_of), ["payer_id", "product_line", *CODE_KEY])
    lines = fees.loc[fees["product_line"].ne(""), CONTRACT_KEY].drop_duplicates()
    lines = lines.merge(live[CONTRACT_KEY], how="left", indicator=True)
    lines = lines.loc[lines["_merge"].eq("left_only"), CONTRACT_KEY]
    borrowed = lines.merge(blank[["payer_id", *meta]], on="payer_id").assign(
        contract_product_line=""
    )
    keys = pd.concat([own, borrowed], ignore_index=True)
    return keys.sort_values(["payer_name", *CONTRACT_KEY], kind="stable").reset_index(drop=True)


def _engine_inputs(
    contracts: pd.DataFrame, medicare_fees: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contracts and Medicare fees with the columns the engine needs; the interface §1
    defaults where a hand-built frame leaves them out (they do not change a rate)."""
    defaults = {"lesser_of_charges": True, "mppr_percent_x1000": 50_000}
    contracts = contracts.assign(**{c: v for c, v in defaults.items() if c not in contracts})
    if "mult_proc" not in medicare_fees:
        medicare_fees = medicare_fees.assign(
            mult_proc=pd.Series(pd.NA, index=medicare_fees.index, dtype="str")
        )
    return contracts, medicare_fees


def _source(
    rates: pd.DataFrame, fee_schedules: pd.DataFrame, as_of: pd.Timestamp, site: str
) -> pd.Series:
    """Where each priced rate comes from, in words, from the engine's figures: "fixed fee
    schedule from 2025-07-01" (with "(all products)" when a blank fee row priced a product
    line) or "125% of Medicare 01112-05 non-facility $109.15"; "; contract for all products
    from 2025-01-01" when a product line is priced under an all-products contract."""
    _, site_text = _site(site)
    fees = _in_force(fee_schedules, as_of, ["payer_id", "product_line", *CODE_KEY])
    own = fees[fees["product_line"].ne("")][RATE_KEY].assign(_own=True)
    own_row = rates[RATE_KEY].merge(own, how="left", on=RATE_KEY)["_own"].eq(True)
    shared = rates["product_line"].ne("").to_numpy() & ~own_row.to_numpy()
    fixed = rates["x1000"].isna()
    rate_day = day_texts(rates["rate_from"])
    fixed_text = (
        "fixed fee schedule"
        + pd.Series(np.where(shared, " (all products)", ""), index=rates.index)
        + " from "
        + rate_day
    )
    x1000 = rates["x1000"].fillna(0).astype("int64")
    base = rates["base_cents"].fillna(0).astype("int64")
    percent_text = (
        percent_x1000_texts(x1000)
        + " of Medicare "
        + rates["medicare_locality"].fillna("").astype("str")
        + f" {site_text} "
        + money_texts(base)
    )
    text = fixed_text.where(fixed, percent_text)
    borrowed = rates["contract_product_line"].eq("") & rates["product_line"].ne("")
    contract_day = day_texts(rates["contract_from"])
    return (
        text + ("; contract for all products from " + contract_day).where(borrowed, "")
    ).astype("str")


def rates_in_force(
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    as_of: DateLike,
    locality: str | None,
    site: str = "non_facility",
    codes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Contracted rate per unit on ``as_of`` for every payer × product line and code.

    Needs contracts (payer_id, product_line, payer_name, payer_class, effective_from, basis,
    medicare_percent_x1000, medicare_locality; lesser_of_charges and mppr_percent_x1000 if
    known), fee_schedules (payer_id, product_line, procedure_code, modifier, effective_from,
    effective_to, allowed_cents) and medicare_fees (locality, procedure_code, modifier,
    effective_from, effective_to, non_facility_cents, facility_cents; mult_proc if known).
    ``locality`` is the practice's own Medicare locality, the reference for the
    percent-of-Medicare comparison; ``site`` is "non_facility" or "facility"; ``codes``
    (procedure_code, modifier) limits the codes priced (default: every code of the fee
    schedules and Medicare fees).

    The rates are the posting engine's, not a second reading of the contract: each
    ``priced_keys`` row × code is priced by ``expected.expected_allowed`` as one line of 1
    unit on ``as_of`` at the site's place of service (11 office, 21 facility), alone on its
    claim (no multiple-procedure cut) and with a charge no rate reaches (no lesser-of cut).
    So a page shows exactly what posting expects for a 1-unit line: the contract with the
    latest start, the product line's own contract beating an all-products one; the fee row
    in force, the product line's own row beating a blank one; a percent contract's Medicare
    amount of its own locality and site × percent, rounded half up to the cent.

    Returns one row per key × procedure_code + modifier that has a rate, columns
    ``RATE_COLUMNS``: rate_cents (int64), medicare_cents (Int64, the practice locality's
    amount, NA when unknown), pct_of_medicare (Float64, 100 × rate / Medicare, display only)
    and source (``_source``: e.g. "fixed fee schedule from 2025-07-01", "fixed fee schedule
    (all products) from 2025-01-01" or "125% of Medicare 01112-05 non-facility $109.15";
    "; contract for all products from 2025-01-01" is added when a product line is priced
    under an all-products contract).
    """
    as_of = day(as_of)
    column, _ = _site(site)
    keys = priced_keys(contracts, fee_schedules, as_of)
    if codes is None:
        codes = pd.concat([fee_schedules[CODE_KEY], medicare_fees[CODE_KEY]])
    codes = codes[CODE_KEY].drop_duplicates()
    grid = keys.merge(codes, how="cross")
    n = len(grid)
    lines = pd.DataFrame(
        {
            "line_key": np.arange(n, dtype="int64"),
            "claim_id": pd.Series(np.arange(n), dtype="int64").astype("str"),  # one line a claim
            "payer_id": grid["payer_id"].astype("str"),
            "product_line": grid["product_line"].astype("str"),
            "procedure_code": grid["procedure_code"].astype("str"),
            "modifiers": grid["modifier"].astype("str"),
            "units": np.ones(n, dtype="int64"),
            "charge_cents": np.full(n, _NO_CAP_CENTS, dtype="int64"),
            "date_of_service": pd.Series(as_of, index=grid.index, dtype="datetime64[ns]"),
            "place_of_service": _PLACE[site],
        }
    )
    terms, medicare = _engine_inputs(contracts, medicare_fees)
    priced = expected.expected_allowed(
        lines,
        terms,
        fee_schedules,
        medicare,
        explain=False,
        columns=(
            "expected_cents",
            "rate_from",
            "contract_from",
            "medicare_cents",
            "percent_x1000",
        ),
    )
    rated = priced["expected_cents"].notna().to_numpy()
    out = grid[rated].assign(
        rate_cents=priced.loc[rated, "expected_cents"].astype("int64").to_numpy(),
        rate_from=priced.loc[rated, "rate_from"].to_numpy(),
        contract_from=priced.loc[rated, "contract_from"].to_numpy(),
        base_cents=priced.loc[rated, "medicare_cents"].astype("Int64").to_numpy(),
        x1000=priced.loc[rated, "percent_x1000"].astype("Int64").to_numpy(),
    )
    out = out.merge(
        contracts_in_force(contracts, as_of)[[*CONTRACT_KEY, "medicare_locality"]].rename(
            columns={"product_line": "contract_product_line"}
        ),
        how="left",
        on=["payer_id", "contract_product_line"],
    )
    out["source"] = _source(out, fee_schedules, as_of, site)
    medicare_ref = medicare_amounts(medicare_fees, as_of, locality, site)
    out = out.merge(medicare_ref, how="left", on=CODE_KEY)
    out = out.astype({"rate_cents": "int64", "medicare_cents": "Int64", "source": "str"})
    out["pct_of_medicare"] = pct_of(out["rate_cents"], out["medicare_cents"])
    logger.debug(
        "rates in force on %s: %d (%d keys, %s)", as_of.date(), len(out), len(keys), column
    )
    return out[RATE_COLUMNS].sort_values(RATE_KEY, kind="stable").reset_index(drop=True)


def practice_locality(org: dict, contracts: pd.DataFrame) -> str | None:
    """The practice's Medicare locality: the org's own, else the MEDICARE contract's, else
    the most common medicare_locality among its contracts (None when there is none)."""
    if org.get("locality"):
        return str(org["locality"])
    known = contracts[contracts["medicare_locality"].notna()]
    known = known[known["medicare_locality"].astype(str).ne("")]
    medicare = known[known["payer_class"].eq("MEDICARE")].sort_values("effective_from")
    if len(medicare):
        return str(medicare["medicare_locality"].iloc[-1])
    if len(known):
        counts = known["medicare_locality"].astype(str).value_counts()
        # Ties go to the smallest key so the answer does not depend on row order.
        best = counts[counts.eq(counts.max())].index.sort_values()[0]
        return str(best)
    return None
