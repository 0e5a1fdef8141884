"""Contract terms and the contracted rate in force on a date, per payer and procedure code.

Pure functions over frames shaped like the store's tables (``store.read_frame``): dates are
``datetime64[ns]``, money is int64 cents, percents are exact integers ``*_x1000`` (125 % =
125000). Effective periods are half-open ``[effective_from, effective_to)``, NaT = open
ended. A blank ``product_line`` ('') means "all products of that payer". No function here
reads the store, formats HTML or loops over rows in Python.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

logger = logging.getLogger(__name__)

CONTRACT_KEY = ["payer_id", "product_line"]
CODE_KEY = ["procedure_code", "modifier"]
RATE_KEY = CONTRACT_KEY + CODE_KEY
SITES = {
    "non_facility": ("non_facility_cents", "non-facility"),
    "facility": ("facility_cents", "facility"),
}
# Classes that have no contracted rates to compare: a self-pay "contract" is the practice's
# own cash price, not a payer's fee schedule.
NOT_PAYERS = ("SELF_PAY",)
NO_RATE = "no rate on file"
PRICING_MODIFIER = r"(?:^|:)(26|TC)(?=:|$)"

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
COMPARISON_COLUMNS = [
    "procedure_code",
    "modifier",
    "code_label",
    "volume",
    "payer_id",
    "product_line",
    "payer_name",
    "payer_class",
    "payer_label",
    "basis",
    "rate_cents",
    "medicare_cents",
    "pct_of_medicare",
    "below_medicare",
    "source",
]

DateLike = str | dt.date | pd.Timestamp


def _day(value: DateLike) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


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


def _dollars(cents: pd.Series) -> pd.Series:
    """'$1,234.56' for non-negative int cents (labels only, never arithmetic)."""
    cents = cents.astype("int64")
    whole = (cents // 100).map("{:,}".format).astype(str)  # astype: an empty map stays int
    return "$" + whole + "." + (cents % 100).astype(str).str.zfill(2)


def _percent_text(x1000: pd.Series) -> pd.Series:
    """125000 → '125%', 112500 → '112.5%' (exact, from the integer)."""
    x1000 = x1000.astype("int64")
    frac = (x1000 % 1000).astype(str).str.zfill(3).str.rstrip("0")
    return (x1000 // 1000).astype(str) + frac.where(frac.eq(""), "." + frac) + "%"


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
    as_of = _day(as_of)
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
    live = _in_force(medicare_fees, _day(as_of), ["locality", *CODE_KEY])
    here = live[live["locality"].eq(locality)] if locality else live.iloc[0:0]
    out = here[[*CODE_KEY, column]].rename(columns={column: "medicare_cents"})
    return out.astype({"medicare_cents": "int64"}).reset_index(drop=True)


def rates_in_force(
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    as_of: DateLike,
    locality: str | None,
    site: str = "non_facility",
) -> pd.DataFrame:
    """Contracted rate per unit on ``as_of`` for every contract in force and code it prices.

    Needs contracts (payer_id, product_line, payer_name, payer_class, effective_from, basis,
    medicare_percent_x1000, medicare_locality), fee_schedules (payer_id, product_line,
    procedure_code, modifier, effective_from, effective_to, allowed_cents) and medicare_fees
    (locality, procedure_code, modifier, effective_from, effective_to, non_facility_cents,
    facility_cents). ``locality`` is the practice's own Medicare locality, the reference for
    the percent-of-Medicare comparison; ``site`` is "non_facility" or "facility".

    Fixed contracts (basis ``fee_schedule``) take the fee_schedules row in force for the
    payer and code; a row for the contract's own product line beats a blank (all products)
    row. A contract with a blank product line uses blank rows only. Percent contracts
    (``medicare_percent``) take the Medicare amount of the contract's medicare_locality and
    site × medicare_percent_x1000 / 100000, rounded half up to the cent in integers.

    Returns one row per contract × procedure_code + modifier that has a rate, columns
    ``RATE_COLUMNS``: rate_cents (int64), medicare_cents (Int64, the practice locality's
    amount, NA when unknown), pct_of_medicare (Float64, 100 × rate / Medicare, display only)
    and source (why this rate, e.g. "fixed fee schedule from 2025-07-01" or "125% of Medicare
    01112-05 non-facility $109.15").
    """
    as_of = _day(as_of)
    column, site_text = _site(site)
    live = contracts_in_force(contracts, as_of)
    meta = [*CONTRACT_KEY, "payer_name", "payer_class", "basis"]

    # Fixed fee schedules: candidate rows for the contract's product line and for "all".
    fixed = live.loc[live["basis"].eq("fee_schedule"), meta]
    fees = _in_force(fee_schedules, as_of, ["payer_id", "product_line", *CODE_KEY]).rename(
        columns={"product_line": "fee_product_line", "effective_from": "fee_from"}
    )
    by_fee = fixed.merge(fees, on="payer_id")
    own = by_fee["fee_product_line"].eq(by_fee["product_line"])
    by_fee = by_fee[own | by_fee["fee_product_line"].eq("")].assign(own=own)
    by_fee = by_fee.sort_values("own", ascending=False, kind="stable").drop_duplicates(RATE_KEY)
    shared = by_fee["fee_product_line"].eq("") & by_fee["product_line"].ne("")
    by_fee = by_fee.assign(
        rate_cents=by_fee["allowed_cents"].astype("int64"),
        source="fixed fee schedule"
        + shared.map({True: " (all products)", False: ""})
        + " from "
        + by_fee["fee_from"].dt.strftime("%Y-%m-%d"),
    )

    # Percent of Medicare: the contract's own locality and site, then integer half-up.
    percent = live.loc[
        live["basis"].eq("medicare_percent") & live["medicare_percent_x1000"].notna(),
        [*meta, "medicare_percent_x1000", "medicare_locality"],
    ]
    reference = _in_force(medicare_fees, as_of, ["locality", *CODE_KEY]).rename(
        columns={"locality": "medicare_locality", column: "base_cents"}
    )
    by_pct = percent.merge(reference[["medicare_locality", *CODE_KEY, "base_cents"]])
    x1000 = by_pct["medicare_percent_x1000"].astype("int64")
    base = by_pct["base_cents"].astype("int64")
    by_pct = by_pct.assign(
        rate_cents=(base * x1000 + 50_000) // 100_000,  # cents × percent ×1000 / 100000
        source=_percent_text(x1000)
        + " of Medicare "
        + by_pct["medicare_locality"]
        + f" {site_text} "
        + _dollars(base),
    )

    rates = pd.concat(
        [
            by_fee[[*meta, *CODE_KEY, "rate_cents", "source"]],
            by_pct[[*meta, *CODE_KEY, "rate_cents", "source"]],
        ],
        ignore_index=True,
    )
    medicare = medicare_amounts(medicare_fees, as_of, locality, site)
    out = rates.merge(medicare, how="left", on=CODE_KEY)
    out = out.astype({"rate_cents": "int64", "medicare_cents": "Int64", "source": "str"})
    out["pct_of_medicare"] = pct_of(out["rate_cents"], out["medicare_cents"])
    logger.debug("rates in force on %s: %d (%d contracts)", as_of.date(), len(out), len(live))
    return out[RATE_COLUMNS].sort_values(RATE_KEY, kind="stable").reset_index(drop=True)


def top_codes(
    charges: pd.DataFrame,
    top_n: int = 15,
    period_start: DateLike | None = None,
    period_end: DateLike | None = None,
) -> pd.DataFrame:
    """The practice's most billed procedure codes (+ pricing modifier) by line count.

    Needs: procedure_code, modifiers (':'-separated, '' when none), date_of_service.
    ``period_start``/``period_end`` are inclusive dates of service; None = no bound.
    Returns procedure_code, modifier ('' or the line's 26/TC pricing modifier), volume
    (int64 lines), most lines first, ties by code.
    """
    lines = charges
    if period_start is not None:
        lines = lines[lines["date_of_service"].ge(_day(period_start))]
    if period_end is not None:
        lines = lines[lines["date_of_service"].le(_day(period_end))]
    # Only 26/TC change the price; 25, 59, RT… do not make a separate rate row.
    modifier = lines["modifiers"].fillna("").str.extract(PRICING_MODIFIER, expand=False)
    counted = (
        lines.assign(modifier=modifier.fillna("").astype(str))
        .groupby(CODE_KEY, as_index=False)
        .size()
        .rename(columns={"size": "volume"})
    )
    counted = counted.astype({"volume": "int64"})
    ranked = counted.sort_values(["volume", *CODE_KEY], ascending=[False, True, True])
    return ranked.head(top_n).reset_index(drop=True)


def _payer_labels(frame: pd.DataFrame) -> pd.Series:
    """'Acme Health Plan · HMO'; two payer ids sharing a name also get '(payer_id)'."""
    label = frame["payer_name"] + frame["product_line"].where(
        frame["product_line"].eq(""), " · " + frame["product_line"]
    )
    ids_per_label = frame.groupby(label)["payer_id"].transform("nunique")
    return label.where(ids_per_label.le(1), label + " (" + frame["payer_id"] + ")")


def fee_comparison(
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    as_of: DateLike,
    locality: str | None,
    top_n: int = 15,
    site: str = "non_facility",
    period_start: DateLike | None = None,
    period_end: DateLike | None = None,
) -> pd.DataFrame:
    """Every payer's rate on ``as_of`` for the practice's top codes, against Medicare.

    Inputs as for ``top_codes`` (charges) and ``rates_in_force`` (the rest). One row per
    top code × contract in force (self-pay left out), columns ``COMPARISON_COLUMNS``:
    code_label ("73562-26"), volume (int64 lines in the period), payer_label ("Acme Health
    Plan · HMO"), rate_cents (Int64; NA = no rate on file, never 0), medicare_cents (Int64,
    practice locality), pct_of_medicare (Float64, display only), below_medicare (bool:
    rate < Medicare, exact in cents; False when either is unknown) and source ("no rate on
    file" when the rate is NA). Sorted by volume (most first), code, then Medicare-class
    payers first and the rest by name and product line.
    """
    codes = top_codes(charges, top_n, period_start, period_end)
    payers = contracts_in_force(contracts, as_of)
    payers = payers.loc[
        ~payers["payer_class"].isin(NOT_PAYERS),
        [*CONTRACT_KEY, "payer_name", "payer_class", "basis"],
    ]
    rates = rates_in_force(contracts, fee_schedules, medicare_fees, as_of, locality, site)
    grid = codes.merge(payers, how="cross")
    out = grid.merge(rates[[*RATE_KEY, "rate_cents", "source"]], how="left", on=RATE_KEY)
    out = out.merge(
        medicare_amounts(medicare_fees, as_of, locality, site), how="left", on=CODE_KEY
    )
    out = out.astype({"rate_cents": "Int64", "medicare_cents": "Int64", "volume": "int64"})
    below = out["rate_cents"].lt(out["medicare_cents"]).fillna(False).astype(bool)
    out = out.assign(
        code_label=out["procedure_code"]
        + out["modifier"].where(out["modifier"].eq(""), "-" + out["modifier"]),
        payer_label=_payer_labels(out),
        pct_of_medicare=pct_of(out["rate_cents"], out["medicare_cents"]),
        below_medicare=below,
        source=out["source"].astype("str").where(out["rate_cents"].notna(), NO_RATE),
    )
    # Medicare itself first: it is the yardstick the other columns are read against.
    out = out.assign(not_medicare=out["payer_class"].ne("MEDICARE")).sort_values(
        ["volume", *CODE_KEY, "not_medicare", "payer_name", "product_line"],
        ascending=[False, True, True, True, True, True],
        kind="stable",
    )
    logger.debug("fee comparison: %d codes × %d payers", len(codes), len(payers))
    return out[COMPARISON_COLUMNS].reset_index(drop=True)


def below_medicare(comparison: pd.DataFrame) -> pd.DataFrame:
    """Rows of a ``fee_comparison`` frame paid below Medicare, lowest percent first."""
    flagged = comparison[comparison["below_medicare"]]
    return flagged.sort_values(["pct_of_medicare", "code_label"], kind="stable").reset_index(
        drop=True
    )


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
