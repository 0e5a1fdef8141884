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

How (docs/expected.md has the design and the figures): the strings that price a line
(payer, product line, code, modifiers, place of service) are dictionary-encoded once, in
slices on all cores, so the rest works on small integers. The small rate tables are resolved
in numpy into date segments per payer × product line × code × pricing modifier the lines
use: a segment starts wherever a contract, fee row, Medicare row or MULT PROC indicator
changes, so everything that prices a line is constant inside it and is worked out once per
segment. A line finds its segment through dense lookup tables (payer and day → epoch, key →
first cell, cell → segment): no join, no sort, and the lines keep their order. The per-line
gathers and int64 arithmetic (× units, lesser of) run in slices on all cores; MPPR sorts
only its candidates (MULT PROC 2 with a rate) by claim, day and gross. DuckDB writes the
explanations: formatting 10 million sentences costs several times what pricing the lines
does, so ``explain="flagged"`` writes them only for the lines a billing manager reads
(outside tolerance, or without a price).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.formats import SQL_MACROS
from payeropt_lib.pricing.tolerance import outside, tolerance_cents
from payeropt_lib.reference.modifiers import PRICING_MODIFIERS, pricing_modifier
from payeropt_lib.reference.place_of_service import is_facility

logger = logging.getLogger(__name__)


SITES = ("non_facility", "facility")  # site categories: code 0, 1
BASES = ("fee_schedule", "medicare_percent")

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
    "explanation": "str",
}

# What ``explain`` may be: True (every line), False (none), "flagged" (lines outside
# tolerance or without a price; needs allowed_cents) or a function of the priced frame.
Explain = bool | str | Callable[[pd.DataFrame], object]

DAY_NS = 86_400 * 10**9
# Dense lookup tables (lines' keys, epochs, cells) up to this many entries; past it the
# engine sorts or searches instead (slower, same answer).
DENSE_LIMIT = 1 << 25
_CHUNK = 1 << 20  # lines per slice of the per-line passes


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
    effective_from, effective_to, non_facility_cents, facility_cents, mult_proc.

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
    with _no_hugepage_advice():
        return _expected_allowed(lines, contracts, fee_schedules, medicare_fees, explain, wanted)


def _expected_allowed(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    explain: Explain,
    columns: list[str],
) -> pd.DataFrame:
    clock = _Clock()
    threads = _threads()
    explained = 0
    with ThreadPoolExecutor(threads) as pool:
        found = _encode(lines, pool)
        clock.mark("encode")
        room = _Room(len(lines), _whole(columns))
        try:
            book = _resolve(found, contracts, fee_schedules, medicare_fees, pool)
            clock.mark("segments")
            # DuckDB, for the explanations: this thread's, else started on the pool while
            # the lines are priced.
            duck = _duckdb(pool, threads) if explain is not False else None
            allowed = lines["allowed_cents"] if explain == "flagged" else None
            priced = _price_lines(pool, lines, found, book, room, columns, allowed)
        finally:
            room.stop.set()
        clock.mark("lines")
        out = lines.assign(
            **{k: pd.Series(v, index=lines.index, copy=False) for k, v in priced.added.items()}
        )
        clock.mark("frame")
        if duck is not None:
            con = _keep(duck.result(), threads)
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
                text = _explanations(con, found, book, priced, rows)
            except BaseException:
                _drop()  # a query may have left a view registered: start afresh
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


def flagged(expected_cents: pd.Series, allowed_cents: pd.Series) -> np.ndarray:
    """The lines ``explain="flagged"`` explains: ``tolerance.outside``."""
    return outside(expected_cents, allowed_cents)


class _Tolerance:
    """``flagged`` on the engine's own arrays, a slice (or the lines at some positions) at a
    time, as expected amounts are set: no temporaries the size of the lines."""

    def __init__(self, allowed: pd.Series, expected: np.ndarray, rate_na: np.ndarray) -> None:
        if pd.api.types.is_integer_dtype(allowed.dtype) and not isinstance(
            allowed.dtype, pd.api.extensions.ExtensionDtype
        ):
            self.allowed, self.allowed_na = allowed.to_numpy(), None
        else:
            values = pd.array(allowed, dtype="Int64")
            self.allowed = values.to_numpy(np.int64, na_value=0)
            self.allowed_na = np.asarray(values.isna())
        self.expected, self.rate_na = expected, rate_na
        self.out = np.empty(len(expected), bool)

    def flag(self, at: slice | np.ndarray) -> None:
        """Flag the lines of a slice (on a pool thread: its work arrays), or at positions."""
        e = self.expected[at]  # 0 where there is none

        def work(name: str, dtype: type) -> np.ndarray | None:
            return _scratch(name, dtype, len(e)) if isinstance(at, slice) else None

        tolerance = tolerance_cents(e, out=work("tolerance", np.int64))
        gap = np.subtract(self.allowed[at], e, out=work("gap", np.int64))
        np.abs(gap, out=gap)
        flag = np.greater(gap, tolerance, out=work("flag", bool))
        if self.allowed_na is not None:
            flag &= ~self.allowed_na[at]
        flag |= self.rate_na[at]
        self.out[at] = flag


# --- the lines, encoded --------------------------------------------------------------------


@dataclass
class _Found:
    """The lines' strings as small integers (dictionary codes), in input order."""

    n: int
    payer: np.ndarray  # int16 (or int32) into payers
    payers: list  # the lines' payer_ids (None for NA)
    pl: np.ndarray  # int16 (or int32) into pls
    pls: list[str]  # the lines' product lines, '' for none; '' is always there
    blank: int  # position of '' in pls
    code: np.ndarray  # int16 (or int32) into codes
    codes: list  # the lines' procedure codes (None for NA)
    pm: np.ndarray  # int8: 0 '', 1 '26', 2 'TC'
    facility: np.ndarray  # bool
    day: np.ndarray  # int32 days since 1970-01-01 (0 where NaT)
    nat: np.ndarray  # bool: no date of service


def _encode(lines: pd.DataFrame, pool: ThreadPoolExecutor) -> _Found:
    """Dictionary-encode the strings that price a line and read the dates: each column in
    slices, on all threads, each slice numbered against one vocabulary per column."""
    n = len(lines)
    columns = {
        "payer": _Column(lines["payer_id"]),
        "pl": _Column(lines["product_line"], blank=True),
        "code": _Column(lines["procedure_code"]),
        "pm": _Column(lines["modifiers"], _pricing_modifier, np.int8),
        "facility": _Column(lines["place_of_service"], is_facility, np.bool_),
    }
    ints, per_day = _datetimes(lines["date_of_service"])
    day, nat = np.empty(n, np.int32), np.empty(n, bool)  # int32: ±5.8 million years

    def dates(a: int, b: int) -> None:
        np.equal(ints[a:b], np.iinfo(np.int64).min, out=nat[a:b])
        np.floor_divide(ints[a:b], per_day, out=day[a:b], casting="unsafe")

    def slices(column: _Column | None) -> list:
        work = dates if column is None else column.encode
        return [pool.submit(work, a, min(a + _CHUNK, n)) for a in range(0, n, _CHUNK)]

    for future in [f for c in [*columns.values(), None] for f in slices(c)]:
        future.result()
    for column in columns.values():
        if column.overflow:  # pragma: no cover - more than 32,767 distinct values
            column.widen()
            for future in slices(column):
                future.result()
    if nat.any():
        day[nat] = 0
    pl = columns["pl"]
    pls = pl.vocabulary("")  # '' is always a product line: the blank rows' key
    return _Found(
        n, columns["payer"].out, columns["payer"].vocabulary(), pl.out, pls, pls.index(""),
        columns["code"].out, columns["code"].vocabulary(), columns["pm"].out,
        columns["facility"].out, day, nat,
    )  # fmt: skip


class _Column:
    """A string column of the lines, encoded slice by slice (any thread) against one
    vocabulary: int16 codes (int32 past 32,767 values), or with ``function`` its value of
    each distinct string (``dtype``). NA is a value (None) of its own, '' with ``blank``."""

    def __init__(
        self,
        series: pd.Series,
        function: Callable | None = None,
        dtype: type = np.int16,
        blank: bool = False,
    ) -> None:
        self.function, self.blank, self.overflow = function, blank, False
        self.categories: list | None = None
        if isinstance(series.dtype, pd.CategoricalDtype):
            self.codes = series.cat.codes.to_numpy()  # -1 = NA: reads the last, None
            self.categories = [None if pd.isna(v) else str(v) for v in series.cat.categories]
            self.categories.append(None)
        else:
            self.strings = _strings(series)
        self.values: list = []
        self.index: dict = {}
        self.lock = threading.Lock()
        self.out = np.empty(len(series), dtype)

    def widen(self) -> None:  # pragma: no cover - see _encode
        self.out, self.overflow = self.out.astype(np.int32), False

    def vocabulary(self, *always: str) -> list:
        for value in always:
            self._ids([value])
        return self.values

    def _ids(self, values: list) -> np.ndarray:
        if self.function is not None:
            return np.array([self.function(v) for v in values], dtype=self.out.dtype)
        if self.blank:
            values = ["" if v is None else v for v in values]
        with self.lock:
            ids = []
            for value in values:
                at = self.index.get(value)
                if at is None:
                    at = self.index[value] = len(self.values)
                    self.values.append(value)
                ids.append(at)
            self.overflow |= len(self.values) > np.iinfo(self.out.dtype).max
        return np.array(ids, dtype=np.int64)

    def encode(self, a: int, b: int) -> None:
        if self.categories is not None:
            parts, values = [self.codes[a:b]], self.categories
        else:
            piece = self.strings.slice(a, b - a)
            chunks = [c for c in pc.dictionary_encode(piece, null_encoding="encode").chunks]
            chunks = [c for c in chunks if len(c)]
            if not chunks:
                return
            # Arrow encodes a column's chunks against one dictionary, which the last chunk
            # holds whole. Should a version ever encode them apart, encode them as one.
            if any(len(c.dictionary) != len(chunks[-1].dictionary) for c in chunks):
                combined = pa.chunked_array([piece.combine_chunks()])  # pragma: no cover
                chunks = pc.dictionary_encode(combined, null_encoding="encode").chunks
            parts = [c.indices.to_numpy() for c in chunks]
            values = chunks[-1].dictionary.to_pylist()
        ids = self._ids(values)
        if self.overflow:
            return
        ids = ids.astype(self.out.dtype)
        for part in parts:
            _take(ids, part, self.out[a : a + len(part)])
            a += len(part)


def _pricing_modifier(modifiers: str | None) -> int:
    """The code of the line's pricing modifier (``PRICING_MODIFIERS`` order)."""
    return PRICING_MODIFIERS.index(pricing_modifier(modifiers))


def _strings(series: pd.Series) -> pa.ChunkedArray:
    """A column as Arrow strings (zero-copy for pandas' Arrow-backed str)."""
    try:
        column = pa.Table.from_pandas(series.to_frame(name="x"), preserve_index=False).column(0)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: their str, NA kept
        column = pa.chunked_array([pa.array([None if pd.isna(v) else str(v) for v in series])])
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.large_string())
    return column


def _arrow_encoded(column: pa.ChunkedArray) -> tuple[list[np.ndarray], list]:
    chunks = [c for c in pc.dictionary_encode(column, null_encoding="encode").chunks if len(c)]
    if not chunks:
        return [], []
    # Arrow encodes the chunks of a column against one growing dictionary: the last chunk's
    # holds every value. Should a version ever encode chunks apart, encode them as one.
    size = len(chunks[-1].dictionary)
    if any(len(c.dictionary) != size for c in chunks):  # pragma: no cover - defensive
        return _arrow_encoded(pa.chunked_array([column.combine_chunks()]))
    return [c.indices.to_numpy() for c in chunks], chunks[-1].dictionary.to_pylist()


def _arrow_dictionary(column: pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """(int32 codes, values) of Arrow strings; NA is a value (None) of its own."""
    parts, values = _arrow_encoded(column)
    return _flat(parts, len(column)), values


def _flat(parts: list[np.ndarray], n: int) -> np.ndarray:
    """The per-chunk codes as one int32 array."""
    out = np.empty(n, np.int32)
    at = 0
    for part in parts:
        out[at : at + len(part)] = part
        at += len(part)
    return out


def _datetimes(values: pd.Series) -> tuple[np.ndarray, int]:
    """The dates as int64 (NaT = int64 min) in their unit, and that unit's count per day."""
    if not pd.api.types.is_datetime64_dtype(values.dtype):
        values = pd.to_datetime(values)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    raw = np.asarray(values.to_numpy())
    per_day = int(np.timedelta64(1, "D") / np.timedelta64(1, np.datetime_data(raw.dtype)[0]))
    return raw.view(np.int64), per_day


def _days(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 (int64, floor; 0 where NaT) and the NaT mask."""
    ints, per_day = _datetimes(values)
    nat = ints == np.iinfo(np.int64).min
    return np.where(nat, 0, ints // per_day), nat


# --- the rate tables, resolved into segments ----------------------------------------------


@dataclass
class _Book:
    """The rate tables resolved into date segments, and each line's segment and site."""

    n_keys: int
    n_cells: int
    n_segments: int
    t: np.ndarray  # per line: 2 × segment + facility; segment n_segments = none (padding)
    seg: dict[str, np.ndarray]  # gather tables: per segment, then a padding row
    bases: list[str]  # contract_basis categories
    mult_vocab: list[str]  # mult_proc categories
    rows: dict[str, np.ndarray]  # per segment (and padding): key parts and rows priced from
    tables: tuple[dict, dict, dict]  # the contract, fee and Medicare rows (_quoted)
    payers: list  # the lines' payers with a contract row


def _resolve(
    found: _Found,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    pool: ThreadPoolExecutor,
) -> _Book:
    """Resolve the rate tables into date segments per key and find each line's segment.

    A key is payer × product line × code × pricing modifier, all as the lines spell them.
    Days are cut into epochs per payer at every date where the payer's contract or fee rows,
    or any Medicare row, begin or end; a cell is a key in one epoch and everything that
    prices a line is constant inside it. Each cell used is priced on its first day (rules 1,
    2, 3 and 5's indicator), and runs of equally priced cells of a key make one segment.
    Lines of a payer without a contract row, or without a DOS, point at the padding row.
    """
    n = found.n
    payer_of = _payer_index(found.payers, contracts)
    n_payers = int(payer_of.max(initial=-1)) + 1
    payers = [v for i, v in enumerate(found.payers) if payer_of[i] >= 0]
    n_pl, n_code = len(found.pls), len(found.codes)
    stride = (n_pl * n_code * 3, n_code * 3, 3)  # key = p·s0 + l·s1 + c·3 + pm
    n_keys = n_payers * stride[0]
    dated = ~found.nat
    if not n_payers or not dated.any():
        return _empty_book(found, n_keys, (contracts, fee_schedules, medicare_fees))
    # Days are kept as day - lo, clipped to [0, span]; the lines' lie in [1, span - 1].
    day = found.day
    if dated.all():
        lo, hi = int(day.min()), int(day.max())
    else:
        lo = int(day.min(where=dated, initial=np.iinfo(day.dtype).max))
        hi = int(day.max(where=dated, initial=np.iinfo(day.dtype).min))
        day = np.where(dated, day, lo).astype(day.dtype)
    lo -= 1
    span = hi + 1 - lo

    m = _medicare_table(medicare_fees, found, lo, span)
    c = _contract_table(contracts, payers, found.pls, m["locs"], lo, span)
    f = _fee_table(fee_schedules, payers, found, stride, lo, span)

    # Epochs per payer: a day where the payer's contracts or fee rows, or Medicare, change.
    medicare_days = np.unique(np.concatenate([m["from"], m["end"]]))
    cuts = np.concatenate(
        [
            c["p"] * (span + 1) + c["from"],
            f["p"] * (span + 1) + f["from"],
            f["p"] * (span + 1) + f["end"],
            (np.arange(n_payers)[:, None] * (span + 1) + medicare_days[None, :]).ravel(),
            np.arange(n_payers) * (span + 1) + 1,  # each payer's first epoch, from day lo + 1
        ]
    )
    cut_day = cuts % (span + 1)
    epochs = np.unique(cuts[(cut_day >= 1) & (cut_day < span)])  # sorted: payer, day
    epoch_payer = epochs // (span + 1)
    epoch_day = epochs % (span + 1)
    per_payer = np.bincount(epoch_payer, minlength=n_payers)
    first_epoch = np.concatenate([[0], np.cumsum(per_payer)])  # then one past the last

    # First pass over the lines: key and epoch. Payers without a contract row count as one
    # more payer (n_payers) whose keys all lead to the padding segment, in epoch 0.
    payer_code = np.where(payer_of < 0, n_payers, payer_of).astype(np.int32)
    n_all = (n_payers + 1) * stride[0]
    key_type = np.int32 if n_all < 2**31 else np.int64
    local = None
    if (n_payers + 1) * span <= DENSE_LIMIT:
        grid = np.arange(n_payers)[:, None] * (span + 1) + np.arange(span)[None, :]
        local = np.searchsorted(epochs, grid.ravel(), side="right") - 1
        local = local - np.repeat(first_epoch[:-1], span)
        local = np.concatenate([local, np.zeros(span, local.dtype)]).astype(np.int32)
    key = np.empty(n, key_type)
    epoch = np.empty(n, np.int32)
    seen = np.zeros(n_all, bool) if n_all <= DENSE_LIMIT else None

    def first_pass(a: int, b: int) -> None:
        p = _take(payer_code, found.payer[a:b], _scratch("p", np.int32, b - a))
        if local is not None:
            at = np.multiply(p, span, out=_scratch("at", np.int32, b - a))
            at += day[a:b]
            at -= lo
            _take(local, at, epoch[a:b])
        else:
            at = p.astype(np.int64) * (span + 1) + day[a:b] - lo
            e = np.searchsorted(epochs, at, side="right") - 1 - first_epoch[p]
            np.maximum(e, 0, out=epoch[a:b])
        k, part = key[a:b], _scratch("part", key_type, b - a)
        np.multiply(p, stride[0], out=k, dtype=key_type)  # in key_type: no int16 overflow
        k += np.multiply(found.pl[a:b], stride[1], out=part, dtype=key_type)
        k += np.multiply(found.code[a:b], 3, out=part, dtype=key_type)
        k += found.pm[a:b]
        if seen is not None:
            seen[k] = True

    _chunks(pool, n, first_pass)

    # The keys in use, and a block of cells (one per epoch of the key's payer) for each.
    if seen is not None:
        used = np.flatnonzero(seen[:n_keys])
        inverse = None
    else:
        unique, inverse = np.unique(key, return_inverse=True)
        used = unique[unique < n_keys]

    used_payer = used // stride[0]
    size = per_payer[used_payer]
    base = np.concatenate([[0], np.cumsum(size)[:-1]])
    n_cells = int(size.sum())
    cell_key = np.repeat(np.arange(len(used)), size)
    cell_epoch = first_epoch[used_payer][cell_key] + np.arange(n_cells) - base[cell_key]
    cell_day = epoch_day[cell_epoch]
    k = used[cell_key]
    kp, kl, kc, kpm = k // stride[0], k // stride[1] % n_pl, k // 3 % n_code, k % 3

    # Rule 1 per payer × product line × epoch: the own product line's latest row, else blank.
    slot = kl * len(epochs) + cell_epoch
    slot_l = np.repeat(np.arange(n_pl), len(epochs))
    slot_epoch = np.tile(np.arange(len(epochs)), n_pl)
    slot_p, slot_day = epoch_payer[slot_epoch], epoch_day[slot_epoch]
    own = _search(c["composite"], slot_p * n_pl + slot_l, slot_day, span)
    blank = _search(c["composite"], slot_p * n_pl + found.blank, slot_day, span)
    rc = np.where(own >= 0, own, blank)[slot]

    # Rule 2: the fee row in force for the key, else for its blank product line.
    own = _in_force(f, k, cell_day, span)
    blank = _in_force(f, k + (found.blank - kl) * stride[1], cell_day, span)
    fr = np.where(own >= 0, own, blank)
    # Rule 3: the contract locality's Medicare row in force.
    loc = _pick(c["loc"], rc, -1)
    ml = np.full(n_cells, -1, np.int64)
    at = np.flatnonzero(loc >= 0)
    if at.size:
        mk = (loc[at] * n_code + kc[at]) * 3 + kpm[at]
        ml[at] = _in_force(m, mk, cell_day[at], span)
    # Rule 5's indicator: that row's, else the national one (smallest locality's row).
    national = _national(m, n_code, epoch_day, span)
    nat_mult = national[0][(kc * 3 + kpm) * national[1] + national[2][cell_epoch]]
    mult = _pick(m["mult"], ml, -1)
    mult = np.where(mult >= 0, mult, nat_mult).astype(np.int8)

    # Segments: runs of a key's cells priced from the same rows.
    change = np.ones(n_cells, bool)
    change[1:] = (
        (cell_key[1:] != cell_key[:-1])
        | (rc[1:] != rc[:-1])
        | (fr[1:] != fr[:-1])
        | (ml[1:] != ml[:-1])
        | (mult[1:] != mult[:-1])
    )
    starts = np.flatnonzero(change)
    n_segments = len(starts)
    seg_of_cell = np.append(np.cumsum(change) - 1, n_segments).astype(np.int32)  # + padding
    s = {
        "p": kp[starts], "l": kl[starts], "c": kc[starts], "pm": kpm[starts],
        "rc": rc[starts], "fr": fr[starts], "ml": ml[starts], "mult": mult[starts],
    }  # fmt: skip
    pad = {"p": len(payers), "l": found.blank, "c": 0, "pm": 0, "rc": -1, "fr": -1, "ml": -1}
    s = {k: np.append(v, pad.get(k, -1)).astype(v.dtype) for k, v in s.items()}
    seg = _price_segments(c, f, m, s)
    del cell_key, cell_epoch, cell_day, k, kp, kl, kc, kpm, rc, fr, ml, mult, change

    # Second pass: each line's cell, segment and site.
    cell_type = np.int32 if n_cells < 2**31 - 1 else np.int64
    if inverse is None:
        first = np.full(n_all, n_cells, cell_type)
        first[used] = base
    else:
        first = np.concatenate([base, np.full(len(unique) - len(used), n_cells)])
        first = first.astype(cell_type)[inverse]
    t = np.empty(n, np.int32 if 2 * n_segments + 2 < 2**31 else np.int64)

    def second_pass(a: int, b: int) -> None:
        cell = _scratch("cell", first.dtype, b - a)
        if inverse is None:
            _take(first, key[a:b], cell)
        else:
            np.copyto(cell, first[a:b])
        cell += epoch[a:b]
        sid = _take(seg_of_cell, cell, _scratch("sid", seg_of_cell.dtype, b - a))
        np.left_shift(sid, 1, out=t[a:b], casting="unsafe")
        t[a:b] += found.facility[a:b]

    _chunks(pool, n, second_pass)
    if not dated.all():
        t[found.nat] = 2 * n_segments + found.facility[found.nat]
    return _Book(
        n_keys, n_cells, n_segments, t, seg, c["bases"], m["mult_vocab"], s, (c, f, m), payers
    )


def _take(table: np.ndarray, index: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``table[index]`` for indices known to be in range: ``np.take`` in "wrap" mode neither
    checks them nor buffers ``out`` (2-3× faster than fancy indexing with int32 indices)."""
    return np.take(table, index, out=out, mode="wrap")


_local = threading.local()


def _scratch(name: str, dtype: type, size: int) -> np.ndarray:
    """A work array of this thread's, reused slice after slice: a fresh one for every slice
    would be fresh memory each time (page faults are most of the cost on the build VM). The
    pool's threads end with the call, and their arrays with them."""
    buffers = _local.__dict__.setdefault("buffers", {})
    have = buffers.get((name, np.dtype(dtype)))
    if have is None or len(have) < size:
        have = buffers[name, np.dtype(dtype)] = np.empty(max(size, _CHUNK), dtype)
    return have[:size]


def _chunks(pool: ThreadPoolExecutor, n: int, work: Callable[[int, int], None]) -> None:
    """``work(a, b)`` over slices of the lines, on the pool's threads (numpy lets go of the
    GIL in gathers and arithmetic, so the slices run on all cores)."""
    bounds = [*range(0, n, _CHUNK), n]
    for future in [pool.submit(work, a, b) for a, b in zip(bounds, bounds[1:], strict=False)]:
        future.result()


def _empty_book(found: _Found, n_keys: int, tables: tuple) -> _Book:
    """No line has a contract payer and a date: every line points at the padding row."""
    empty = found.__class__(**{**found.__dict__, "codes": [], "pls": [""], "blank": 0})
    m = _medicare_table(tables[2].iloc[0:0], empty, 0, 1)
    c = _contract_table(tables[0].iloc[0:0], [], [""], [], 0, 1)
    f = _fee_table(tables[1].iloc[0:0], [], empty, (3, 3, 3), 0, 1)
    s = {k: np.array([-1]) for k in ("rc", "fr", "ml")}
    s.update(p=np.array([0]), l=np.array([0]), c=np.array([0]), pm=np.array([0]))
    s["mult"] = np.array([-1], np.int8)
    seg = _price_segments(c, f, m, s)
    t = found.facility.astype(np.int32)  # 2 × 0 + facility: the padding row
    return _Book(n_keys, 0, 0, t, seg, c["bases"], m["mult_vocab"], s, (c, f, m), [])


def _payer_index(payers: list, contracts: pd.DataFrame) -> np.ndarray:
    """For each of the lines' payers, its position among those with a contract row (-1)."""
    known = set(
        contracts.loc[
            contracts["payer_id"].notna() & contracts["effective_from"].notna(), "payer_id"
        ].astype(str)
    )
    out = np.full(len(payers), -1, np.int64)
    n = 0
    for i, v in enumerate(payers):
        if v is not None and v in known:
            out[i] = n
            n += 1
    return out


def _clip(days: np.ndarray, lo: int, span: int) -> np.ndarray:
    """Days as offsets from ``lo``, clipped to [0, span]: all the lines' days lie in
    [1, span - 1], so a date before them reads 0 and one after (or open) reads span."""
    return np.clip(days - lo, 0, span).astype(np.int64)


def _search(composite: np.ndarray, q_key: np.ndarray, q_day: np.ndarray, span: int) -> np.ndarray:
    """Position of the last row with the query's key and a start ≤ its day (-1 = none),
    ``composite`` being the rows' sorted key·(span + 1) + start."""
    if not len(composite) or not len(q_key):
        return np.full(len(q_key), -1, np.int64)
    query = q_key.astype(np.int64) * (span + 1) + q_day
    at = np.searchsorted(composite, query, side="right") - 1
    safe = np.maximum(at, 0)
    ok = (at >= 0) & (composite[safe] // (span + 1) == q_key)
    return np.where(ok, at, -1)


def _in_force(table: dict, q_key: np.ndarray, q_day: np.ndarray, span: int) -> np.ndarray:
    """The row of the key in force on the day (start ≤ day < end; -1 = none). A key's rows
    never overlap (a later row closes an earlier one), so it is the latest to start."""
    at = _search(table["composite"], q_key, q_day, span)
    hit = at >= 0
    hit[hit] = table["end"][at[hit]] > q_day[hit]
    return np.where(hit, at, -1)


def _index_in(series: pd.Series, values: list | tuple) -> np.ndarray:
    """Position of each value in ``values`` (int64; -1 = NA or not in it)."""
    column = _strings(series)
    value_set = pa.array(list(values), column.type)
    found = pc.index_in(column, value_set=value_set, skip_nulls=True)
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def _int_column(series: pd.Series, default: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(int64 values, NA mask) of an integer column; NA reads ``default`` if given."""
    values = pd.array(series, dtype="Int64")
    na = np.asarray(values.isna())
    out = values.to_numpy(dtype=np.int64, na_value=0 if default is None else default)
    return out, (na if default is None else np.zeros(len(out), bool))


def _sort_rows(table: dict, key: np.ndarray, start: np.ndarray, to: np.ndarray, lo: int,
               span: int) -> dict:  # fmt: skip
    """Rows sorted by key and start, each ended by the next row of its key (interface §1)
    or its own end, whichever comes first; with the search key and clipped end."""
    order = np.lexsort((start, key))
    out = {k: v[order] for k, v in table.items()}
    key, start, to = key[order], start[order], to[order]
    following = np.full(len(key), np.iinfo(np.int64).max)
    same = key[1:] == key[:-1]
    following[:-1][same] = start[1:][same]
    out["key"] = key
    out["composite"] = key * (span + 1) + _clip(start, lo, span)
    out["end"] = _clip(np.minimum(to, following), lo, span)
    return out


def _far(days: np.ndarray, nat: np.ndarray) -> np.ndarray:
    """Open ends (NaT) far in the future."""
    return np.where(nat, np.iinfo(np.int64).max, days)


def _medicare_table(medicare_fees: pd.DataFrame, found: _Found, lo: int, span: int) -> dict:
    """Medicare rows for the lines' codes, keyed by locality × code × pricing modifier (a
    locality's position among the sorted ones; a blank locality sorts last)."""
    mf = medicare_fees
    n_code = len(found.codes)
    code = _index_in(mf["procedure_code"], found.codes)
    pm = _index_in(mf["modifier"].fillna(""), PRICING_MODIFIERS)
    start, start_nat = _days(mf["effective_from"])
    keep = (code >= 0) & (pm >= 0) & ~start_nat
    mf = mf[keep]
    code, pm, start = code[keep], pm[keep], start[keep]
    locality = mf["locality"].astype(object).where(mf["locality"].notna(), None).to_numpy()
    locs = sorted({v for v in locality if v is not None})
    position = {v: i for i, v in enumerate(locs)}
    loc = np.array([position.get(v, len(locs)) for v in locality], dtype=np.int64)
    to, to_nat = _days(mf["effective_to"])
    nf, nf_na = _int_column(mf["non_facility_cents"])
    fac, fac_na = _int_column(mf["facility_cents"])
    mult_text = mf["mult_proc"].astype(object).where(mf["mult_proc"].notna(), None).to_numpy()
    mult_vocab = sorted({v for v in mult_text if v})
    mult = np.array([mult_vocab.index(v) if v else -1 for v in mult_text], dtype=np.int8)
    rows = {
        "day": start, "nf": nf, "nf_na": nf_na, "fac": fac, "fac_na": fac_na, "mult": mult,
        "loc": loc,
    }  # fmt: skip
    out = _sort_rows(rows, (loc * n_code + code) * 3 + pm, start, _far(to, to_nat), lo, span)
    out["locs"] = locs
    out["mult_vocab"] = mult_vocab
    out["from"] = out["composite"] % (span + 1)
    return out


def _contract_table(contracts: pd.DataFrame, payers: list, pls: list, locs: list, lo: int,
                    span: int) -> dict:  # fmt: skip
    """Contract rows of the lines' payers, keyed by payer × product line (only the lines'
    product lines, and blank), with the defaults of interface §1 where a row leaves one out."""
    c = contracts[contracts["payer_id"].notna() & contracts["effective_from"].notna()]
    payer_at = {v: i for i, v in enumerate(payers)}
    pl_at = {v: i for i, v in enumerate(pls)}
    p = np.array([payer_at.get(v, -1) for v in c["payer_id"].astype(str)], dtype=np.int64)
    pl_text = c["product_line"].astype(object).where(c["product_line"].notna(), "")
    pl = np.array([pl_at.get(v, -1) for v in pl_text], dtype=np.int64)
    keep = (p >= 0) & (pl >= 0)
    c, p, pl = c[keep], p[keep], pl[keep]
    start = _days(c["effective_from"])[0]
    basis = c["basis"].astype(object).where(c["basis"].notna(), None).to_numpy()
    bases = [*BASES, *sorted({b for b in basis if b is not None} - set(BASES))]
    locality = c["medicare_locality"].astype(object)
    locality = locality.where(locality.notna() & locality.ne(""), None).to_numpy()
    loc_at = {v: i for i, v in enumerate(locs)}
    pct, pct_na = _int_column(c["medicare_percent_x1000"])
    lesser = pd.array(c["lesser_of_charges"], dtype="boolean").fillna(True)
    rows = {
        "p": p,
        "l": pl,
        "day": start,
        "basis": np.array([bases.index(b) if b is not None else -1 for b in basis], np.int8),
        "pct": pct,
        "pct_na": pct_na,
        "loc_text": locality,
        "loc": np.array([loc_at.get(v, -1) if v is not None else -1 for v in locality]),
        "has_loc": np.array([v is not None for v in locality], dtype=bool),
        "lesser": np.asarray(lesser.to_numpy(dtype=bool)),
        "mppr": _int_column(c["mppr_percent_x1000"], 50_000)[0],
    }
    never = np.full(len(p), np.iinfo(np.int64).max)
    out = _sort_rows(rows, p * len(pls) + pl, start, never, lo, span)
    out["from"] = out["composite"] % (span + 1)
    out["bases"] = bases
    return out


def _fee_table(fee_schedules: pd.DataFrame, payers: list, found: _Found, stride: tuple,
               lo: int, span: int) -> dict:  # fmt: skip
    """Fee rows of the lines' payers, product lines (and blank) and codes, keyed like the
    lines (payer × product line × code × pricing modifier)."""
    fs = fee_schedules
    p = _index_in(fs["payer_id"], payers)
    pl = _index_in(fs["product_line"].fillna(""), found.pls)
    code = _index_in(fs["procedure_code"], found.codes)
    pm = _index_in(fs["modifier"].fillna(""), PRICING_MODIFIERS)
    start, start_nat = _days(fs["effective_from"])
    cents, cents_na = _int_column(fs["allowed_cents"])
    keep = (p >= 0) & (pl >= 0) & (code >= 0) & (pm >= 0) & ~start_nat & ~cents_na
    to, to_nat = _days(fs["effective_to"][keep])
    p, pl, code, pm, start = p[keep], pl[keep], code[keep], pm[keep], start[keep]
    key = p * stride[0] + pl * stride[1] + code * 3 + pm
    rows = {"p": p, "l": pl, "day": start, "cents": cents[keep]}
    out = _sort_rows(rows, key, start, _far(to, to_nat), lo, span)
    out["from"] = out["composite"] % (span + 1)
    return out


def _national(m: dict, n_code: int, epoch_day: np.ndarray, span: int) -> tuple:
    """Rule 5's national indicator per code × pricing modifier × Medicare epoch: the
    smallest locality's row in force with an indicator. Returns (grid, epochs per code,
    each payer epoch's Medicare epoch)."""
    cuts = np.concatenate([m["from"], m["end"]])
    starts = np.unique(np.concatenate([[1], cuts[(cuts > 1) & (cuts < span)]]))
    n_me = len(starts)
    grid = np.full(n_code * 3 * n_me, -1, np.int8)
    has = np.flatnonzero(m["mult"] >= 0)
    if has.size:
        first = np.searchsorted(starts, m["from"][has], side="left")
        last = np.searchsorted(starts, m["end"][has], side="left")
        count = np.maximum(last - first, 0)
        row = np.repeat(has, count)
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        cp = m["key"][row] % (n_code * 3)
        cell = cp * n_me + np.repeat(first, count) + offset
        loc = m["loc"][row]
        best = np.full(len(grid), np.iinfo(np.int64).max)
        np.minimum.at(best, cell, loc)
        win = loc == best[cell]
        grid[cell[win]] = m["mult"][row[win]]
    epoch_me = np.searchsorted(starts, epoch_day, side="right") - 1
    return grid, n_me, epoch_me


def _pick(values: np.ndarray, at: np.ndarray, fill: object) -> np.ndarray:
    """``values[at]``, ``fill`` where ``at`` is -1 (no row)."""
    if not len(values):
        return np.full(len(at), fill, dtype=values.dtype if values.dtype != object else object)
    return np.where(at >= 0, values[np.maximum(at, 0)], fill).astype(values.dtype, copy=False)


def _sites(non_facility: np.ndarray, facility: np.ndarray) -> np.ndarray:
    """Two per-segment arrays interleaved: index 2 × segment + facility."""
    return np.column_stack([non_facility, facility]).ravel()


def _price_segments(c: dict, f: dict, m: dict, s: dict) -> dict:
    """The per-line gather tables: per segment, then a last padding row for the lines
    without one: contract terms (rule 1), rate by site (rules 2-3), indicator (rule 5).
    Per-site arrays are interleaved (2 × segment + facility)."""
    rc, fr, ml = s["rc"], s["fr"], s["ml"]
    has_c = rc >= 0
    basis = _pick(c["basis"], rc, -1)
    pct, pct_na = _pick(c["pct"], rc, 0), _pick(c["pct_na"], rc, True)
    fixed = basis == BASES.index("fee_schedule")
    percent_basis = basis == BASES.index("medicare_percent")
    by_percent = percent_basis & ~pct_na & _pick(c["has_loc"], rc, False)
    fee, fee_na = _pick(f["cents"], fr, 0), fr < 0
    out: dict[str, np.ndarray] = {
        "basis": basis,
        "c_from_ns": np.where(has_c, _pick(c["day"], rc, 0) * DAY_NS, NAT_INT),
        "percent": pct,
        "percent_na": pct_na | ~percent_basis,
        "lesser": _pick(c["lesser"], rc, False),
        "mppr": _pick(c["mppr"], rc, 0),
        "has_c": has_c,
        "mult": s["mult"],
    }
    rates, rates_na, meds, meds_na = [], [], [], []
    for site in ("nf", "fac"):
        med, med_na = _pick(m[site], ml, 0), _pick(m[site + "_na"], ml, True)
        rate_na = np.where(fixed, fee_na, ~by_percent | med_na)
        rate = np.where(fixed, fee, (med * pct + 50_000) // 100_000)
        rates.append(np.where(rate_na, 0, rate))
        rates_na.append(rate_na)
        meds.append(np.where(by_percent & ~med_na, med, 0))
        meds_na.append(~by_percent | med_na)
    source = np.where(fixed, _pick(f["day"], fr, 0), _pick(m["day"], ml, 0))
    source_ok = np.where(fixed, ~fee_na, by_percent & ~_pick(m["nf_na"], ml, True))
    out["rate"], out["rate_na"] = _sites(*rates), _sites(*rates_na)
    out["med"], out["med_na"] = _sites(*meds), _sites(*meds_na)
    rate_day_na = ~np.repeat(source_ok, 2) | out["rate_na"]
    out["rate_from_ns"] = np.where(rate_day_na, NAT_INT, np.repeat(source, 2) * DAY_NS)
    two = m["mult_vocab"].index("2") if "2" in m["mult_vocab"] else -2
    out["candidate"] = np.repeat(s["mult"] == two, 2) & ~out["rate_na"]
    return out


def _quoted(book: _Book, found: _Found, at: np.ndarray) -> dict[str, object]:
    """What the explanation quotes for the segments at ``at`` (the padding row included)."""
    c, f, m = book.tables
    s = {k: v[at] for k, v in book.rows.items()}
    rc, fr, ml = s["rc"], s["fr"], s["ml"]
    basis = _pick(c["basis"], rc, -1)
    pct_na = _pick(c["pct_na"], rc, True)
    percent_basis = basis == BASES.index("medicare_percent")
    return {
        "p": s["p"],
        "l": s["l"],
        "rc": rc,
        "has_c": rc >= 0,
        "c_blank": _pick(c["l"], rc, -1) == found.blank,
        "c_day": _pick(c["day"], rc, 0),
        "basis": basis,  # position in book.bases, -1 = none
        "fixed": basis == BASES.index("fee_schedule"),
        "by_percent": percent_basis & ~pct_na & _pick(c["has_loc"], rc, False),
        "pct": _pick(c["pct"], rc, 0),
        "all_products": (_pick(f["l"], fr, -1) == found.blank) & (s["l"] != found.blank),
        "f_day": _pick(f["day"], fr, 0),
        "fee": _pick(f["cents"], fr, 0),
        "m_nf": _pick(m["nf"], ml, 0),
        "m_fac": _pick(m["fac"], ml, 0),
    }


# --- the lines, priced ----------------------------------------------------------------------


@dataclass
class _Priced:
    """The added columns, and what the explanation needs to work out any line's figures."""

    added: dict[str, object]
    seg: dict[str, np.ndarray]
    t: np.ndarray
    units: np.ndarray
    charge: np.ndarray
    rate_na: np.ndarray
    expected: np.ndarray  # 0 where there is no rate
    ranked: np.ndarray  # the MPPR candidates, ascending ...
    ranks: np.ndarray  # ... each one's rank ...
    group: np.ndarray  # ... and how many were ranked with it (same claim and day)
    flagged: np.ndarray | None  # with allowed amounts: the lines ``flagged`` picks

    def figures(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The lines at ``rows`` (ascending) worked out again from their segments: the
        same arithmetic as ``_price_lines``, without keeping whole-length arrays; with
        n_proc, how many lines were ranked with each (0 = not ranked)."""
        at = np.searchsorted(self.ranked, rows)
        inside = at < len(self.ranked)
        hit = np.zeros(len(rows), bool)
        hit[inside] = self.ranked[at[inside]] == rows[inside]
        at = np.where(hit, at, 0)
        ranked = len(self.ranked) > 0
        rank = np.where(hit, self.ranks[at] if ranked else 0, 0)
        out = _figures(self.seg, self.t, self.units, self.charge, rows, rank)
        out["n_proc"] = np.where(hit, self.group[at] if ranked else 0, 0)
        return out


def _figures(
    seg: dict[str, np.ndarray],
    t: np.ndarray,
    units: np.ndarray,
    charge: np.ndarray,
    rows: np.ndarray,
    rank: np.ndarray,
) -> dict[str, np.ndarray]:
    """Rules 4-6 for the lines at ``rows``, given their MPPR ``rank`` (0 = not ranked)."""
    tt = t[rows]
    ss = tt >> 1
    rate, rate_na = seg["rate"][tt], seg["rate_na"][tt]
    lesser, mppr = seg["lesser"][ss], seg["mppr"][ss]
    u, ch = units[rows], charge[rows]
    gross = rate * u
    after = np.where(rank >= 2, (gross * mppr + 50_000) // 100_000, gross)
    hit = lesser & ~rate_na & (ch < after)
    return {
        "units": u, "charge": ch, "has_rate": ~rate_na, "lesser": lesser, "mppr": mppr,
        "rank": rank, "gross": gross, "after": after, "lesser_hit": hit,
        "expected": np.where(hit, ch, after),
    }  # fmt: skip


# The per-line arrays _price_lines may fill whole, most of the engine's memory: only those
# the asked-for columns are made of (``_MADE_OF``), and always ``_ALWAYS``.
_GATHERED = {
    "rank": np.int64,  # first: the prefault thread zeroes it first
    "rate": np.int64, "rate_na": bool, "med": np.int64, "med_na": bool,
    "rate_from_ns": np.int64, "c_from_ns": np.int64, "basis": np.int8,
    "percent": np.int64, "percent_na": bool, "mult": np.int8, "mppr": np.int64,
    "has_c": bool, "lesser": bool, "gross": np.int64, "after": np.int64,
    "expected": np.int64, "lesser_hit": bool,
}  # fmt: skip
_ALWAYS = ("rate_na", "expected")
_MADE_OF = {
    "pricing_modifier": (), "contract_basis": ("basis",), "contract_from": ("c_from_ns",),
    "site": (), "rate_cents": ("rate",), "rate_from": ("rate_from_ns",),
    "medicare_cents": ("med", "med_na"), "percent_x1000": ("percent", "percent_na"),
    "mult_proc": ("mult",), "mppr_rank": ("rank",), "mppr_applied": ("rank",),
    "mppr_percent_x1000": ("mppr", "has_c"), "gross_cents": ("gross",),
    "after_mppr_cents": ("after",), "lesser_of_charges": ("lesser",),
    "lesser_applied": ("lesser_hit",), "expected_cents": (),
}  # fmt: skip
# Gathered for every slice (into scratch where not kept whole): what expected is made of.
_SLICE = ("rate", "rate_na", "lesser")
_SITE_COLUMNS = frozenset({"rate", "rate_na", "med", "med_na", "rate_from_ns"})


def _whole(columns: list[str]) -> list[str]:
    """The per-line arrays to keep whole for these output columns, in ``_GATHERED`` order."""
    names = set(_ALWAYS).union(*(_MADE_OF[c] for c in columns))
    return [name for name in _GATHERED if name in names]


class _Room(threading.Thread):
    """The per-line arrays ``names`` for n lines, their pages touched ahead of use.

    A fresh page costs a fault (zeroing it, and on a VM maybe the host backing it): ~1 GB
    for 10 million lines and every column, the largest single cost of the call on the build
    VM. This thread, at the lowest priority, touches them while the rate tables are resolved
    (much of it on one core), so the faults are taken on a core that would idle; ``ready()``
    stops it (after the slice at hand) before the lines are priced, and the rest fault as
    they are written. Ranks start at 0."""

    def __init__(self, n: int, names: list[str]) -> None:
        super().__init__(name="payeropt-prefault", daemon=True)
        self.arrays = {name: np.empty(n, _GATHERED[name]) for name in names}
        self.n, self.done, self.stop = n, 0, threading.Event()
        self.start()

    def run(self) -> None:
        # Idle time only: the pricing threads come first (Linux: a thread's own nice value).
        with suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        step = _CHUNK // 4
        rank = self.arrays.get("rank")  # first and whole: it must start as zeros
        others = [a for name, a in self.arrays.items() if name != "rank"]
        for group in [g for g in ([rank], others) if g and g[0] is not None]:
            for a in range(0, self.n, step):
                if self.stop.is_set():
                    return
                for array in group:
                    array[a : a + step] = 0
                if group[0] is rank:
                    self.done = min(a + step, self.n)

    def ready(self) -> None:
        self.stop.set()
        self.join()
        if "rank" in self.arrays:
            self.arrays["rank"][self.done :] = 0

    def __contains__(self, name: str) -> bool:
        return name in self.arrays

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


def _price_lines(
    pool: ThreadPoolExecutor,
    lines: pd.DataFrame,
    found: _Found,
    book: _Book,
    room: _Room,
    columns: list[str],
    allowed: pd.Series | None = None,
) -> _Priced:
    """Rules 1-6 for every line: gathers through its segment, then int64 arithmetic. Only
    the arrays ``columns`` are made of are kept whole; the rest of a slice's work is done
    in scratch. With ``allowed`` (the remittance's amounts), also ``flagged`` on the way."""
    room.ready()
    n, seg, t = found.n, book.seg, book.t
    units = lines["units"].to_numpy(dtype=np.int64)
    charge = lines["charge_cents"].to_numpy(dtype=np.int64)
    line_key = lines["line_key"].to_numpy(dtype=np.int64)
    # Rule 5 needs only the candidates: it runs while the other threads gather.
    ranking = pool.submit(_mppr_ranks, found, seg, t, lines, units, line_key)
    gathered = [c for c in _GATHERED if c in seg and (c in room or c in _SLICE)]
    expected, rate_na = room["expected"], room["rate_na"]
    beyond = None if allowed is None else _Tolerance(allowed, expected, rate_na)

    def gather(a: int, b: int) -> None:
        def part(name: str) -> np.ndarray:
            if name in room:
                return room[name][a:b]
            return _scratch(name, _GATHERED[name], b - a)

        tt = t[a:b]
        ss = np.right_shift(tt, 1, out=_scratch("s", tt.dtype, b - a))
        for name in gathered:
            _take(seg[name], tt if name in _SITE_COLUMNS else ss, part(name))
        # × units (0 where there is no rate), lesser of; MPPR fixes its few lines up below.
        g, hit = part("gross"), part("lesser_hit")
        np.multiply(part("rate"), units[a:b], out=g)
        if "after" in room:
            np.copyto(room["after"][a:b], g)
        np.less(charge[a:b], g, out=hit)
        hit &= part("lesser")
        hit &= np.logical_not(rate_na[a:b], out=_scratch("priced", bool, b - a))
        np.copyto(expected[a:b], g)
        np.copyto(expected[a:b], charge[a:b], where=hit)
        if beyond is not None:
            beyond.flag(slice(a, b))

    _chunks(pool, n, gather)
    ranked, ranks, group = ranking.result()
    # Rule 5 then 6 again for the lines ranked 2nd or later.
    second = ranks >= 2
    at = ranked[second]
    fixed = _figures(seg, t, units, charge, at, ranks[second])
    expected[at] = fixed["expected"]
    for name in ("after", "lesser_hit"):
        if name in room:
            room[name][at] = fixed[name]
    if "rank" in room:
        room["rank"][ranked] = ranks
    if beyond is not None:
        beyond.flag(at)
    own = {"copy": False}  # a mask made for its column alone
    make = {
        "pricing_modifier": lambda: _category(found.pm, PRICING_MODIFIERS),
        "contract_basis": lambda: _category(room["basis"], book.bases),
        "contract_from": lambda: room["c_from_ns"].view("datetime64[ns]"),
        "site": lambda: _category(found.facility.view(np.int8), SITES),
        "rate_cents": lambda: _nullable(room["rate"], rate_na),
        "rate_from": lambda: room["rate_from_ns"].view("datetime64[ns]"),
        "medicare_cents": lambda: _nullable(room["med"], room["med_na"], **own),
        "percent_x1000": lambda: _nullable(room["percent"], room["percent_na"], **own),
        "mult_proc": lambda: _category(room["mult"], book.mult_vocab),
        "mppr_rank": lambda: _nullable(room["rank"], room["rank"] == 0, **own),
        "mppr_applied": lambda: room["rank"] >= 2,
        "mppr_percent_x1000": lambda: _nullable(room["mppr"], ~room["has_c"], **own),
        "gross_cents": lambda: _nullable(room["gross"], rate_na),
        "after_mppr_cents": lambda: _nullable(room["after"], rate_na),
        "lesser_of_charges": lambda: room["lesser"],
        "lesser_applied": lambda: room["lesser_hit"],
        "expected_cents": lambda: _nullable(expected, rate_na, **own),
    }
    added = {name: make[name]() for name in columns}
    return _Priced(
        added, seg, t, units, charge, rate_na, expected, ranked, ranks, group,
        None if beyond is None else beyond.out,
    )  # fmt: skip


def _mppr_ranks(
    found: _Found,
    seg: dict[str, np.ndarray],
    t: np.ndarray,
    lines: pd.DataFrame,
    units: np.ndarray,
    line_key: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rule 5 over the candidates only (MULT PROC 2 with a rate, a minority): the
    candidates' positions (ascending), each one's rank within its claim and day by gross
    amount, highest first, ties to the lower line_key, and how many were ranked with it."""
    where = np.flatnonzero(seg["candidate"][t])
    if not where.size:
        return where, np.zeros(0, np.int64), np.zeros(0, np.int64)
    tw = t[where]
    gross = seg["rate"][tw] * units[where]
    keys = line_key[where]
    claim = _claim_codes(_take_strings(_strings(lines["claim_id"]), where))
    day = found.day[where].astype(np.int64)
    day -= day.min()
    same = claim * (int(day.max()) + 1) + day  # claim and day
    # Sort by claim and day, gross descending, line_key: one stable sort of a packed key
    # where it fits (ties in gross then keep the lines' order, if that is line_key order).
    gross_bits = max(int(gross.max()), 1).bit_length()
    fits = gross.min() >= 0 and int(same.max()).bit_length() + gross_bits <= 63
    if fits and (len(keys) < 2 or bool((keys[1:] > keys[:-1]).all())):
        packed = (same << gross_bits) | ((1 << gross_bits) - 1 - gross)
        order = np.argsort(packed, kind="stable")
    else:
        order = np.lexsort((keys, -gross, same))
    ordered = same[order]
    head = np.ones(len(order), bool)
    head[1:] = ordered[1:] != ordered[:-1]
    begin = np.flatnonzero(head)
    size = np.diff(np.append(begin, len(order)))
    position = np.arange(len(order)) - np.repeat(begin, size)
    rank = np.empty(len(where), np.int64)
    rank[order] = position + 1
    group = np.empty(len(where), np.int64)
    group[order] = np.repeat(size, size)
    return where, rank, group


def _take_strings(column: pa.ChunkedArray, where: np.ndarray) -> pa.ChunkedArray:
    """``column`` at the ascending positions ``where``, chunk by chunk (a take on the whole
    chunked column would first copy it into one array)."""
    starts = np.cumsum([0, *(len(c) for c in column.chunks)])
    bounds = np.searchsorted(where, starts)
    parts = [
        chunk.take(pa.array(where[lo:hi] - start))
        for chunk, start, lo, hi in zip(column.chunks, starts, bounds, bounds[1:], strict=False)
        if hi > lo
    ]
    return pa.chunked_array(parts, column.type)


def _claim_codes(claims: pa.ChunkedArray) -> np.ndarray:
    """A number per claim_id (int64; equal ids, equal numbers). Lines usually come sorted
    by claim: then a claim is a run of equal ids, numbered without hashing them."""
    claims = claims.combine_chunks() if claims.num_chunks != 1 else claims.chunk(0)
    if len(claims) > 1 and not claims.null_count:
        before, after = claims.slice(0, len(claims) - 1), claims.slice(1)
        if pc.all(pc.less_equal(before, after)).as_py():
            change = pc.not_equal(before, after).to_numpy(zero_copy_only=False)
            return np.concatenate([[0], np.cumsum(change)])
    return _arrow_dictionary(pa.chunked_array([claims]))[0].astype(np.int64)


# --- the explanation ------------------------------------------------------------------------

# Text helpers, inlined by DuckDB: money, percent and day text as ``formats`` writes them
# (``formats.SQL_MACROS``), and the explanation's own words.
_MACROS = (
    SQL_MACROS
    + """
CREATE TEMP MACRO rounded(cents, x1000) AS
    CASE WHEN (cents * x1000) % 100000 = 0 THEN '' ELSE ' (rounded half up)' END;
CREATE TEMP MACRO label(payer, pl) AS
    coalesce(payer, '(no payer)') || CASE WHEN coalesce(pl, '') = '' THEN '' ELSE ' ' || pl END;
"""
)

# The contract ("AET PPO contract from 2025-01-01: ") and the rate's source ("fixed fee
# schedule from 2025-07-01: ", "130% of Medicare 01112-05 facility "): few distinct values,
# each written once, for the pieces table (one row per distinct value).
_PIECES = {
    "head": """
        SELECT concat(label(payer, pl), ' contract',
            CASE WHEN c_blank AND pl <> '' THEN ' (all products)' ELSE '' END,
            ' from ', day_text(c_from), ': ')
        FROM pieces""",
    "source": """
        SELECT CASE WHEN fixed THEN concat('fixed fee schedule',
                CASE WHEN all_products THEN ' (all products)' ELSE '' END,
                ' from ', day_text(f_from), ': ')
            ELSE concat(pct_text(pct), ' of Medicare ', loc, ' ', site, ' ') END
        FROM pieces""",
}
_APPLIES, _EQUAL, _BELOW, _NO_CLAUSE, _NOTHING = range(5)

# One sentence per line: a projection only (no join), so DuckDB keeps the lines' order.
# head and source are dictionary columns pointing at the pieces above.
_EXPLAIN = """
SELECT CASE WHEN has_rate THEN concat(
    head, source,
    CASE WHEN fixed THEN dollars(fee)
        ELSE concat(dollars(med), ' = ', dollars(rate), rounded(med, pct)) END,
    ' × ', units, CASE WHEN units = 1 THEN ' unit = ' ELSE ' units = ' END, dollars(gross),
    CASE WHEN rnk >= 2 THEN concat('; ', ordinal(rnk), ' procedure at ', pct_text(mppr),
            ' = ', dollars(after), rounded(gross, mppr))
         WHEN n_proc >= 2 THEN concat('; 1st of ', n_proc, ' same-day procedures, in full')
         ELSE '' END,
    CASE ending
        WHEN 0 THEN concat('; lesser of charge ', dollars(charge), ' applies = ', dollars(charge))
        WHEN 1 THEN '; equal to charge ' || dollars(charge)
        WHEN 2 THEN '; below charge ' || dollars(charge)
        WHEN 3 THEN concat('; charge ', dollars(charge),
            ' is lower but the contract has no lesser-of clause')
        ELSE '' END)
WHEN NOT has_contract THEN concat('no contract for ', label(payer, pl), ' on ', day_text(dos))
ELSE concat('no rate on file for ', code,
    CASE pm WHEN 1 THEN '-26' WHEN 2 THEN '-TC' ELSE '' END, ' on ', day_text(dos),
    ' (', label(payer, pl), ')',
    CASE WHEN basis = 'fee_schedule' THEN ''
         WHEN basis = 'medicare_percent' AND NOT by_percent
             THEN ': the contract names no Medicare percent or locality'
         WHEN basis = 'medicare_percent'
             THEN concat(': no Medicare amount for ', loc, ' to take ', pct_text(pct), ' of')
         ELSE concat(': contract basis ''', basis, ''' is not priced') END)
END AS explanation
FROM explain_in
"""
# Lines per DuckDB query: bounds the memory of explaining millions of lines.
_EXPLAIN_BATCH = 1 << 21


def _pointing(indices: np.ndarray, texts: pa.ChunkedArray | pa.Array) -> pa.DictionaryArray:
    """A dictionary column: each row's text is ``texts[index]`` (NULL texts read '')."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.large_string())
    dictionary = pc.fill_null(texts.cast(pa.large_string()), "")
    if not len(dictionary):
        dictionary = pa.array([""], pa.large_string())
        indices = np.zeros(len(indices), np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), dictionary)


def _texts(values: list, indices: np.ndarray) -> pa.DictionaryArray:
    """The lines' own strings, from their dictionary codes."""
    dictionary = pa.array(values if values else [None], pa.large_string())
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), dictionary)


def _dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.date32(), mask=missing)


def _explanations(
    con: duckdb.DuckDBPyConnection,
    found: _Found,
    book: _Book,
    priced: _Priced,
    rows: np.ndarray | None,
) -> pd.Series:
    """The sentence of the lines at ``rows`` (ascending; all lines if None), NA for the
    others."""
    every = np.arange(found.n) if rows is None else rows
    quotes = _Quotes(con, found, book, book.t[every])
    parts = [
        _sentences(con, found, book, priced, quotes, every[a : a + _EXPLAIN_BATCH])
        for a in range(0, len(every), _EXPLAIN_BATCH)
    ]
    text = pa.chunked_array(parts, pa.large_string())
    if rows is not None:
        text = _spread(text, rows, found.n)
    return text.to_pandas()


class _Quotes:
    """What the explained lines quote, once per (segment, site) they use: the figures, and
    the contract and rate-source texts (as dictionary codes: they have few values)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, found: _Found, book: _Book, t: np.ndarray
    ) -> None:
        used = np.zeros(len(book.seg["rate"]), bool)
        used[t] = True
        pairs = np.flatnonzero(used)
        self.slot = np.zeros(len(used), np.int32)
        self.slot[pairs] = np.arange(len(pairs), dtype=np.int32)
        q = _quoted(book, found, pairs // 2)
        facility = (pairs % 2).astype(bool)
        rows_c = int(q["rc"].max(initial=0)) + 2
        f_day = q["f_day"] - q["f_day"].min(initial=0)
        keys = {
            "head": (q["p"] * len(found.pls) + q["l"]) * rows_c + q["rc"] + 1,
            "source": np.where(
                q["fixed"], (f_day * 2 + q["all_products"]) * 2, (q["rc"] * 2 + facility) * 2 + 1
            ),
        }
        payer_text = np.array([*book.payers, None], dtype=object)
        pl_text = np.array(found.pls, dtype=object)
        loc_text = np.append(book.tables[0]["loc_text"], None)  # by contract row; -1: none
        self.pieces = {}
        for name, key in keys.items():
            _, first, codes = np.unique(key, return_index=True, return_inverse=True)
            pieces = {
                "payer": pa.array(payer_text[q["p"][first]], pa.large_string()),
                "pl": pa.array(pl_text[q["l"][first]], pa.large_string()),
                "c_blank": q["c_blank"][first],
                "c_from": _dates(q["c_day"][first]),
                "fixed": q["fixed"][first],
                "all_products": q["all_products"][first],
                "f_from": _dates(q["f_day"][first]),
                "pct": q["pct"][first],
                "loc": pa.array(loc_text[q["rc"][first]], pa.large_string()),
                "site": np.where(facility[first], "facility", "non-facility"),
            }
            con.register("pieces", pa.table(pieces))
            self.pieces[name] = (codes.ravel(), _fetch(con, _PIECES[name]).column(0))
            con.unregister("pieces")
        self.q = q
        self.med = np.where(facility, q["m_fac"], q["m_nf"])
        # Per pair, as codes into short dictionaries (no string per pair).
        self.basis = (q["basis"] + 1, pa.array([None, *book.bases], pa.large_string()))
        self.loc = (q["rc"] + 1, pa.array(np.roll(loc_text, 1), pa.large_string()))


def _sentences(
    con: duckdb.DuckDBPyConnection,
    found: _Found,
    book: _Book,
    priced: _Priced,
    quotes: _Quotes,
    at: np.ndarray,
) -> pa.Array:
    """The sentences of the lines at ``at``, in that order."""
    t = book.t[at]
    s, q = quotes.slot[t], quotes.q
    fig = priced.figures(at)
    charge, after, lesser = fig["charge"], fig["after"], fig["lesser"]
    ending = np.select(
        [fig["lesser_hit"], lesser & (charge == after), lesser, charge < after],
        [_APPLIES, _EQUAL, _BELOW, _NO_CLAUSE],
        _NOTHING,
    ).astype(np.int8)
    columns = {
        **{name: _pointing(codes[s], texts) for name, (codes, texts) in quotes.pieces.items()},
        "has_rate": fig["has_rate"],
        "fixed": q["fixed"][s],
        "fee": q["fee"][s],
        "med": quotes.med[s],
        "rate": book.seg["rate"][t],
        "pct": q["pct"][s],
        "units": fig["units"],
        "gross": fig["gross"],
        "rnk": fig["rank"],
        "n_proc": fig["n_proc"],
        "mppr": fig["mppr"],
        "after": after,
        "charge": charge,
        "ending": ending,
        # For the lines without a rate: why.
        "has_contract": q["has_c"][s],
        "payer": _texts(found.payers, found.payer[at]),
        "pl": _texts(found.pls, found.pl[at]),
        "code": _texts(found.codes, found.code[at]),
        "pm": found.pm[at],
        "dos": _dates(found.day[at], found.nat[at]),
        "basis": _pointing(quotes.basis[0][s], quotes.basis[1]),
        "by_percent": q["by_percent"][s],
        "loc": _pointing(quotes.loc[0][s], quotes.loc[1]),
    }
    table = pa.table(columns)  # in batches: DuckDB formats them in parallel, in order
    con.register("explain_in", pa.Table.from_batches(table.to_batches(1 << 16), table.schema))
    text = _fetch(con, _EXPLAIN).column(0)
    con.unregister("explain_in")
    return text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)


def _spread(text: pa.ChunkedArray, rows: np.ndarray, n: int) -> pa.ChunkedArray:
    """The sentences of ``rows`` (ascending) at their rows of ``n``, NULL elsewhere: new
    offsets and validity around the same text bytes."""
    text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    if text.offset or text.null_count:  # pragma: no cover - DuckDB hands out neither
        text = pa.concat_arrays([text])
    _, offsets, data = text.buffers()
    ends = np.frombuffer(offsets, np.int64, len(text) + 1)
    if ends[0]:  # pragma: no cover - offsets from a combined array start at 0
        data = data.slice(int(ends[0]))
    length = np.zeros(n + 1, np.int64)
    length[rows + 1] = np.diff(ends)
    np.cumsum(length, out=length)
    valid = np.zeros(n, bool)
    valid[rows] = True
    validity = pa.array(valid).buffers()[1]
    spread = pa.Array.from_buffers(
        pa.large_string(), n, [validity, pa.py_buffer(length), data], null_count=n - len(rows)
    )
    return pa.chunked_array([spread])


# --- helpers --------------------------------------------------------------------------------

NAT_INT = np.iinfo(np.int64).min


class _Clock:
    """Seconds per stage, for the debug log."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = round(now - self.last, 2)
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.stages.items())


def _require(frame: pd.DataFrame, columns: tuple | list, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s): {', '.join(missing)}")


# numpy asks the kernel to back each large array with huge pages (madvise MADV_HUGEPAGE).
# Where the kernel then compacts memory on the spot (transparent_hugepage/defrag = madvise)
# or a VM's host backs the guest's pages lazily, every fresh 2 MB page stalls: on the build VM
# the engine spent twice the time in the kernel as in its own code, writing ~1 GB of fresh
# output columns. The engine turns the advice off while it runs (numpy's own switch, which
# NUMPY_MADVISE_HUGEPAGE=0 also sets) and back as it was; True leaves numpy's choice alone.
HUGEPAGE_ADVICE = False


class _Advice:
    lock = threading.Lock()
    users = 0
    saved = True


@contextmanager
def _no_hugepage_advice() -> Iterator[None]:
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    switch = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if HUGEPAGE_ADVICE or switch is None:  # pragma: no cover - numpy without the switch
        yield
        return
    with _Advice.lock:  # concurrent calls: the first turns it off, the last restores it
        if not _Advice.users:
            _Advice.saved = switch(False)
        _Advice.users += 1
    try:
        yield
    finally:
        with _Advice.lock:
            _Advice.users -= 1
            if not _Advice.users:
                switch(_Advice.saved)


def _threads() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# The calling thread's DuckDB connection, kept between calls: connecting and creating the
# macros costs ~20 ms, most of explaining a small posting's few hundred lines.
_DUCK = threading.local()


def _keep(con: duckdb.DuckDBPyConnection, threads: int) -> duckdb.DuckDBPyConnection:
    _DUCK.con, _DUCK.threads = con, threads
    return con


def _drop() -> None:
    con, _DUCK.con = getattr(_DUCK, "con", None), None
    if con is not None:
        with suppress(duckdb.Error):
            con.close()


def _duckdb(pool: ThreadPoolExecutor, threads: int) -> Future:
    """This thread's connection (as a done future), else a new one started on ``pool``."""
    if getattr(_DUCK, "con", None) is not None and _DUCK.threads == threads:
        done: Future = Future()
        done.set_result(_DUCK.con)
        return done
    return pool.submit(_connect, threads)


def _connect(threads: int) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB, one per calling thread (``_DUCK``): nothing is shared
    between threads, and each query's views are unregistered after it. It only ranks and
    formats text, so it gets the cores and needs no memory limit of its own."""
    # large_string results: pandas keeps them as they are.
    con = duckdb.connect(config={"threads": threads, "arrow_large_buffer_size": True})
    con.execute(_MACROS)
    return con


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    relation = con.sql(sql)
    # DuckDB 2 renamed fetch_arrow_table (1.x) to to_arrow_table.
    if hasattr(relation, "to_arrow_table"):
        return relation.to_arrow_table()
    return relation.fetch_arrow_table()  # pragma: no cover - DuckDB 1.x


def _batches(con: duckdb.DuckDBPyConnection, sql: str, rows: int) -> pa.RecordBatchReader:
    relation = con.sql(sql)
    if hasattr(relation, "to_arrow_reader"):
        return relation.to_arrow_reader(rows)
    return relation.fetch_record_batch(rows)  # pragma: no cover - DuckDB 1.x


def _category(codes: np.ndarray, vocabulary: list[str] | tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(
        codes.astype(np.int8, copy=False), categories=pd.Index(list(vocabulary), dtype="str")
    )


def _nullable(
    values: np.ndarray, missing: np.ndarray, copy: bool = True
) -> pd.arrays.IntegerArray:
    # Each column its own mask: IntegerArrays that shared one would change together.
    return pd.arrays.IntegerArray(
        values.astype(np.int64, copy=False), missing.copy() if copy else missing
    )
