"""Fee schedules side by side: what each payer pays for the practice's most billed codes.

Every rate is the posting engine's (``contracts.rates_in_force``), never a second reading
of the contract: a page that compares rates shows what posting will expect, so a practice
negotiates from the number it is audited against.
"""

from __future__ import annotations

import logging

import pandas as pd

from payeropt_lib.periods import DateLike, day, within
from payeropt_lib.pricing.contracts import (
    CODE_KEY,
    CONTRACT_KEY,
    RATE_KEY,
    medicare_amounts,
    pct_of,
    priced_keys,
    rates_in_force,
)

from . import procedure_codes
from .directory import NOT_PAYERS, PUBLIC_PROGRAMS, product_labels

logger = logging.getLogger(__name__)

NO_RATE = "no rate on file"


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


# What the fee comparison reads of the charges (no claim or patient column).
CHARGE_COLUMNS = [
    "date_of_service",
    "procedure_code",
    "modifiers",
    "primary_payer_id",
    "secondary_payer_id",
]


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
    return procedure_codes.top_codes(
        charges[within(charges["date_of_service"], period_start, period_end)], top_n
    )


def supplements(
    charges: pd.DataFrame,
    period_start: DateLike | None = None,
    period_end: DateLike | None = None,
) -> set[str]:
    """The payers billed in the period only ever as the secondary payer: a Medigap or other
    supplement, which pays the patient's share after the primary payer. Its contract ("100 %
    of Medicare") is not a rate the practice is paid at, so the fee comparison leaves it
    out rather than show "100 % of Medicare" on every code (issue 12). Empty when
    ``charges`` has no primary_payer_id and secondary_payer_id columns."""
    if not {"primary_payer_id", "secondary_payer_id"} <= set(charges.columns):
        return set()
    billed = charges[within(charges["date_of_service"], period_start, period_end)]
    second = set(billed["secondary_payer_id"].dropna()) - {""}
    return second - set(billed["primary_payer_id"].dropna())


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

    Inputs as for ``top_codes`` (charges, with primary_payer_id and secondary_payer_id to
    leave out the ``supplements``) and ``rates_in_force`` (the rest). One row per
    top code × ``priced_keys`` row (each contract in force, and each product line an
    all-products contract prices with rows of its own; self-pay left out), columns
    ``COMPARISON_COLUMNS``:
    code_label ("73562-26"), volume (int64 lines in the period), payer_label ("Acme Health
    Plan · HMO"), rate_cents (Int64; NA = no rate on file, never 0), medicare_cents (Int64,
    practice locality), pct_of_medicare (Float64, display only), below_medicare (bool:
    rate < Medicare, exact in cents; False when either is unknown) and source ("no rate on
    file" when the rate is NA). Sorted by volume (most first), code, then Medicare-class
    payers first and the rest by name and product line.
    """
    codes = top_codes(charges, top_n, period_start, period_end)
    payers = priced_keys(contracts, fee_schedules, as_of)
    payers = payers.loc[
        ~payers["payer_class"].isin(NOT_PAYERS)
        & ~payers["payer_id"].isin(supplements(charges, period_start, period_end)),
        [*CONTRACT_KEY, "payer_name", "payer_class", "basis"],
    ]
    rates = rates_in_force(
        contracts, fee_schedules, medicare_fees, as_of, locality, site, codes=codes
    )
    grid = codes.merge(payers, how="cross")
    out = grid.merge(rates[[*RATE_KEY, "rate_cents", "source"]], how="left", on=RATE_KEY)
    out = out.merge(
        medicare_amounts(medicare_fees, as_of, locality, site), how="left", on=CODE_KEY
    )
    out = out.astype({"rate_cents": "Int64", "medicare_cents": "Int64", "volume": "int64"})
    below = out["rate_cents"].lt(out["medicare_cents"]).fillna(False).astype(bool)
    out = out.assign(
        code_label=procedure_codes.code_label(out),
        payer_label=product_labels(out),
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
    """Rows of a ``fee_comparison`` frame paid below Medicare, lowest percent first.

    Medicare and Medicaid themselves (``PUBLIC_PROGRAMS``) are left out: their fees are
    published, not negotiated, so they are never a starting point for a negotiation.
    """
    flagged = comparison[
        comparison["below_medicare"] & ~comparison["payer_class"].isin(PUBLIC_PROGRAMS)
    ]
    return flagged.sort_values(["pct_of_medicare", "code_label"], kind="stable").reset_index(
        drop=True
    )


FEE_HEADLINE_COLUMNS = [
    "rates_as_of",
    "medicare_locality",
    "codes_compared",
    "payer_columns",
    "rates_below_medicare",
    "rates_not_on_file",
]


def fee_headline(comparison: pd.DataFrame, as_of: DateLike, locality: str | None) -> pd.DataFrame:
    """The page's opening facts, one row: what date and reference the rates are read on.

    Needs a ``fee_comparison`` frame. Returns ``FEE_HEADLINE_COLUMNS``: rates_as_of (the
    date every rate is in force on), medicare_locality (the practice's, "unknown" without
    one), codes_compared and payer_columns (how many codes and payer × product line
    columns), rates_below_medicare and rates_not_on_file (code × payer cells). None of
    these counts claims or patients, so none is suppressed.
    """
    has_rate = comparison["rate_cents"].notna()
    row = {
        "rates_as_of": day(as_of),
        "medicare_locality": locality or "unknown",
        "codes_compared": comparison["code_label"].nunique(),
        "payer_columns": comparison["payer_label"].nunique(),
        "rates_below_medicare": int(comparison["below_medicare"].sum()),
        "rates_not_on_file": int((~has_rate).sum()),
    }
    out = pd.DataFrame([row]).astype({"rates_as_of": "datetime64[ns]"})
    return out[FEE_HEADLINE_COLUMNS]
