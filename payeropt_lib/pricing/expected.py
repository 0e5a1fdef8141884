"""Expected allowed amounts: what the contract says each charge line should be allowed.

``expected_allowed`` prices every line at the rates in force on ITS date of service
(interface §3, domain §2-3): the payer's contract, the fixed fee or the percent of Medicare
for the locality and site of service, × units, the multiple-procedure reduction (MPPR) and
the lesser of charge. Each line gets the figures it was priced from and, where asked for,
one sentence a billing manager can check against the contract.

Money is int64 cents and percents are exact ``*_x1000`` integers (125 % = 125000); no float
ever holds money. Two amounts are rounded, half up to the cent, in integer arithmetic: the
per-unit rate of a percent contract ((Medicare cents × percent_x1000 + 50000) // 100000)
and the MPPR-reduced amount ((gross × mppr_percent_x1000 + 50000) // 100000). The
explanation says "(rounded half up)" where a rounding changed the amount.

How (docs/expected.md has the design and the figures), one module per step:
``encoding`` turns the strings that price a line into small integers, in slices on all
cores; ``rate_book`` resolves the small rate tables into date segments and finds each
line's segment through dense lookup tables; ``line_prices`` prices the lines from their
segments (gathers, × units, MPPR, lesser of), in slices on all cores; ``explanations`` has
DuckDB write the sentences; ``engine_runtime`` holds what makes 10 million lines fast
(threads, work arrays, the prefault thread, the huge-page switch, the kept DuckDB
connection) and changes no figure. This module checks the inputs and runs the steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial

import numpy as np
import pandas as pd

from payeropt_lib.pricing.encoding import encode
from payeropt_lib.pricing.engine_runtime import (
    Clock,
    drop_connection,
    duckdb_connection,
    keep_connection,
    no_hugepage_advice,
    pool_for,
    usable_cores,
)
from payeropt_lib.pricing.explanations import MACROS, write_explanations
from payeropt_lib.pricing.line_prices import price_lines, reserve
from payeropt_lib.pricing.medicare_rules import MEDICARE
from payeropt_lib.pricing.medicare_rules import apply as medicare_rules
from payeropt_lib.pricing.rate_book import resolve
from payeropt_lib.pricing.tolerance import outside

logger = logging.getLogger(__name__)

LINE_COLUMNS = (
    "line_key", "claim_id", "payer_id", "product_line", "procedure_code", "modifiers", "units",
    "charge_cents", "date_of_service", "place_of_service",
)  # fmt: skip
CONTRACT_COLUMNS = (
    "payer_id", "product_line", "effective_from", "basis", "medicare_percent_x1000",
    "medicare_locality", "lesser_of_charges", "mppr_percent_x1000",
)  # fmt: skip
FEE_COLUMNS = (
    "payer_id", "product_line", "procedure_code", "modifier", "effective_from", "effective_to",
    "allowed_cents",
)  # fmt: skip
MEDICARE_COLUMNS = (
    "locality", "procedure_code", "modifier", "effective_from", "effective_to",
    "non_facility_cents", "facility_cents", "mult_proc",
)  # fmt: skip

# Columns added to the lines, in order, with their pandas dtypes. The four low-cardinality
# labels are categoricals of strings: 1 byte a line instead of ~20 (10 million lines).
OUTPUT_COLUMNS = {
    "pricing_modifier": "category",
    "contract_basis": "category",
    "contract_from": "datetime64[ns]",
    "site": "category",
    "rate_cents": "Int64",
    "rate_from": "datetime64[ns]",
    "medicare_cents": "Int64",
    "percent_x1000": "Int64",
    "mult_proc": "category",
    "mppr_rank": "Int64",
    "mppr_applied": "bool",
    "mppr_percent_x1000": "Int64",
    "gross_cents": "Int64",
    "after_mppr_cents": "Int64",
    "lesser_of_charges": "bool",
    "lesser_applied": "bool",
    "expected_cents": "Int64",
    "medicare_release": "category",
    "medicare_schedule_substituted": "bool",
    "explanation": "str",
}

# What ``explain`` may be: True (every line), False (none), "flagged" (lines outside
# tolerance or without a price; needs allowed_cents) or a function of the priced frame.
Explain = bool | str | Callable[[pd.DataFrame], object]


def expected_allowed(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    *,
    explain: Explain = True,
    columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Expected allowed amount of every line, with the figures and the sentence behind it.

    Needs ``lines``: line_key (int64, unique), claim_id, payer_id, product_line ('' or NA =
    none), procedure_code, modifiers (charge modifiers, ':'-joined), units (int64),
    charge_cents (int64, all units), date_of_service (datetime64), place_of_service (str or
    NA); the string columns may be str, object or categorical. ``contracts``,
    ``fee_schedules`` and ``medicare_fees`` are one org's store frames
    (``store.read_frame``): contracts payer_id, product_line, effective_from, basis,
    medicare_percent_x1000, medicare_locality, lesser_of_charges, mppr_percent_x1000;
    fee_schedules payer_id, product_line, procedure_code, modifier, effective_from,
    effective_to, allowed_cents; medicare_fees locality, procedure_code, modifier,
    effective_from, effective_to, non_facility_cents, facility_cents, mult_proc; optional:
    contracts payment_rules ('medicare' applies Medicare's own reductions, below; else
    'contract'), medicare_fees bilat_surg, asst_surg, co_surg, endo_base (CMS's indicators).

    Rules (interface §3), each looked up on the line's date of service (DOS):

    1. contract: the payer's row with the latest effective_from ≤ DOS; a row for the line's
       product line beats a blank (all products) one;
    2. ``fee_schedule``: the fee row for payer, code and pricing modifier (26 or TC among the
       charge modifiers, else '') in force on the DOS (effective_from ≤ DOS < effective_to,
       NaT = open; a later row of the same key closes an earlier one), the line's product
       line beating blank;
    3. ``medicare_percent``: the contract locality's Medicare row in force, its facility
       amount for a facility place of service (``place_of_service.FACILITY_POS``) else
       non-facility, × percent, rounded half up to the cent:
       (medicare × percent_x1000 + 50000) // 100000;
    4. × units;
    5. MPPR: lines with MULT PROC indicator '2' (national: the contract locality's row
       first, else the smallest locality's) on the same claim_id and DOS rank by gross
       amount, highest first, ties by line_key; rank ≥ 2 is × mppr_percent_x1000 / 100000,
       rounded half up: (gross × mppr_percent_x1000 + 50000) // 100000. Lines without a
       rate are not ranked;
    6. lesser of: with lesser_of_charges, expected = min(after MPPR, charge_cents);
    7. no contract, or no rate: expected NA, and the explanation says which.

    A contract with payment_rules 'medicare' also applies Medicare's reductions (indicators
    3, 4, 6, 7; modifiers 50, RT+LT, 80/81/82/AS, 62) to the fee or Medicare amount before
    its percent, and ranks its indicator-2 lines on the reduced amounts: see
    ``medicare_rules`` and docs/expected.md. rate_cents is then the rate after them.

    Returns a new frame: the lines (same index, order and columns) plus ``OUTPUT_COLUMNS``:
    pricing_modifier ('', '26' or 'TC'), contract_basis ('fee_schedule' /
    'medicare_percent'; NA = no contract), contract_from (datetime64[ns]), site
    ('facility' / 'non_facility'), rate_cents (Int64 per unit; NA = no rate on file),
    rate_from (effective_from of the fee or Medicare row used), medicare_cents (Int64 per
    unit, percent contracts only), percent_x1000 (Int64, percent contracts only), mult_proc
    (NA if unknown), mppr_rank (Int64, 1 = full price, NA = not ranked), mppr_applied
    (bool), mppr_percent_x1000 (Int64, the contract's), gross_cents (Int64, rate × units),
    after_mppr_cents (Int64), lesser_of_charges (bool, the contract's; False without one),
    lesser_applied (bool), expected_cents (Int64; NA without a rate) and explanation (str),
    e.g. "AET PPO contract from 2025-01-01: fixed fee schedule from 2025-07-01: $98.00 × 2
    units = $196.00; lesser of charge $150.00 applies = $150.00". The four labels are
    categoricals of str.

    ``explain`` says which lines get the sentence: True all, False none (the column is left
    out); "flagged" the lines a billing manager reads it for, per ``flagged`` (needs an
    allowed_cents column on the lines); or a function that takes the priced frame (without
    the explanation) and returns a boolean mask. Lines left out get NA. A sentence is the
    same whichever lines are explained: MPPR ranks always come from all the lines.

    ``columns`` names the ``OUTPUT_COLUMNS`` to add (default: all; the explanation follows
    ``explain`` either way). The figures are worked out the same, but an output column
    costs 1-8 bytes a line of fresh memory, most of the time of a call on millions of lines:
    ask for what you use (``expected_cents`` alone prices and flags a remittance).
    """
    _require(lines, LINE_COLUMNS, "lines")
    _require(contracts, CONTRACT_COLUMNS, "contracts")
    _require(fee_schedules, FEE_COLUMNS, "fee_schedules")
    _require(medicare_fees, MEDICARE_COLUMNS, "medicare_fees")
    if isinstance(explain, str) and explain != "flagged":
        raise ValueError(f"explain must be True, False, 'flagged' or a function, not {explain!r}")
    if explain == "flagged":
        _require(lines, ("allowed_cents",), "lines (for explain='flagged')")
    wanted = [c for c in OUTPUT_COLUMNS if c != "explanation"]
    if columns is not None:
        asked = set(columns)
        unknown = sorted(asked - set(OUTPUT_COLUMNS))
        if unknown:
            raise ValueError(f"unknown output columns {unknown}; see expected.OUTPUT_COLUMNS")
        wanted = [c for c in wanted if c in asked]
    with no_hugepage_advice():
        return _expected_allowed(lines, contracts, fee_schedules, medicare_fees, explain, wanted)


def _expected_allowed(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    explain: Explain,
    columns: list[str],
) -> pd.DataFrame:
    clock = Clock()
    threads = usable_cores()
    explained = 0
    with pool_for(len(lines), threads) as pool:
        found = encode(lines, pool)
        clock.mark("encode")
        room = reserve(len(lines), columns)
        try:
            book = resolve(found, contracts, fee_schedules, medicare_fees, pool)
            clock.mark("segments")
            # DuckDB, for the explanations: this thread's, else started on the pool while
            # the lines are priced.
            duck = duckdb_connection(pool, threads, MACROS) if explain is not False else None
            allowed = lines["allowed_cents"] if explain == "flagged" else None
            rules = _medicare_rules(contracts, fee_schedules, medicare_fees)
            priced = price_lines(pool, lines, found, book, room, columns, allowed, rules)
        finally:
            room.stop.set()
        clock.mark("lines")
        out = lines.assign(
            **{k: pd.Series(v, index=lines.index, copy=False) for k, v in priced.added.items()}
        )
        clock.mark("frame")
        if duck is not None:
            con = keep_connection(duck.result(), threads, MACROS)
            try:
                if explain is True:
                    rows = None
                elif explain == "flagged":
                    rows = np.flatnonzero(priced.flagged)
                else:
                    mask = np.asarray(explain(out), dtype=bool)
                    if mask.shape != (len(lines),):
                        raise ValueError("explain() must return one boolean per line")
                    rows = np.flatnonzero(mask)
                explained = len(lines) if rows is None else len(rows)
                text = write_explanations(con, found, book, priced, rows)
            except BaseException:
                drop_connection()  # a query may have left a view registered: start afresh
                raise
            out["explanation"] = pd.Series(text, index=lines.index, copy=False)
            clock.mark("explanation")
    if logger.isEnabledFor(logging.DEBUG):
        uses = np.bincount(book.t >> 1, minlength=len(book.seg["has_c"]))
        no_contract = int(uses[~book.seg["has_c"]].sum())
        logger.debug(
            "expected allowed: %d lines, %d keys, %d cells, %d rate segments, %d without a "
            "contract, %d without a rate, %d explained; seconds: %s",
            len(lines),
            book.n_keys,
            book.n_cells,
            book.n_segments,
            no_contract,
            int(priced.rate_na.sum()) - no_contract,
            explained,
            clock,
        )
    return out


def _medicare_rules(
    contracts: pd.DataFrame, fee_schedules: pd.DataFrame, medicare_fees: pd.DataFrame
) -> Callable | None:
    """``medicare_rules.apply`` bound to the tables, when a contract has
    ``payment_rules=medicare`` (else None: nothing to do). Its ``reprice`` prices the base
    code or the TC and 26 components of some lines as lines of their own, under the same
    contracts without the rules: the contract's underlying amount per unit, the fee (fixed
    fee schedule) or the Medicare amount (percent contract), -1 where there is none."""
    if "payment_rules" not in contracts or not contracts["payment_rules"].eq(MEDICARE).any():
        return None
    plain = contracts.assign(payment_rules="contract")

    def reprice(lines: pd.DataFrame, at: np.ndarray, code: np.ndarray, pm: np.ndarray):
        if not len(at):
            return np.zeros(0, np.int64)
        some = lines.iloc[at]
        frame = pd.DataFrame(
            {
                "line_key": np.arange(len(at), dtype="int64"),
                "claim_id": np.arange(len(at)).astype(str),
                "payer_id": some["payer_id"].astype(object).to_numpy(),
                "product_line": some["product_line"].astype(object).to_numpy(),
                "procedure_code": code.astype(object),
                "modifiers": pm.astype(object),
                "units": np.ones(len(at), np.int64),
                "charge_cents": np.zeros(len(at), np.int64),
                "date_of_service": some["date_of_service"].to_numpy(),
                "place_of_service": some["place_of_service"].astype(object).to_numpy(),
            }
        )
        out = _expected_allowed(
            frame, plain, fee_schedules, medicare_fees, False,
            ["contract_basis", "rate_cents", "medicare_cents"],
        )  # fmt: skip
        percent = out["contract_basis"].astype(object).eq("medicare_percent").to_numpy()
        fee = out["rate_cents"].fillna(-1).to_numpy(np.int64)
        medicare = out["medicare_cents"].fillna(-1).to_numpy(np.int64)
        return np.where(percent, medicare, fee)

    return partial(medicare_rules, medicare_fees=medicare_fees, reprice=reprice)


def engine_lines(
    lines: pd.DataFrame,
    claim: pd.Series,
    *,
    payer: str = "payer_id",
    code: str = "procedure_code",
    modifiers: str = "modifiers",
    charge: str = "charge_cents",
) -> pd.DataFrame:
    """``expected_allowed``'s line frame (``LINE_COLUMNS``) from any frame of lines.

    ``claim`` groups the lines the multiple-procedure reduction ranks together; the other
    arguments name ``lines``' columns for the payer, billed code, modifiers and charge
    (product_line, units, date_of_service and place_of_service are read as named).
    line_key is each line's position; blank product lines and modifiers become ''.
    """
    return pd.DataFrame(
        {
            "line_key": np.arange(len(lines), dtype="int64"),
            "claim_id": claim.astype("str"),
            "payer_id": lines[payer].astype("str"),
            "product_line": lines["product_line"].fillna(""),
            "procedure_code": lines[code],
            "modifiers": lines[modifiers].fillna(""),
            "units": lines["units"].astype("int64"),
            "charge_cents": lines[charge].astype("int64"),
            "date_of_service": lines["date_of_service"],
            "place_of_service": lines["place_of_service"],
        }
    )


def flagged(expected_cents: pd.Series, allowed_cents: pd.Series) -> np.ndarray:
    """The lines ``explain="flagged"`` explains: ``tolerance.outside``."""
    return outside(expected_cents, allowed_cents)


def _require(frame: pd.DataFrame, columns: tuple | list, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s): {', '.join(missing)}")
