"""The lines priced from their segments: per-line gathers, × units, MPPR, lesser of.

Each line reads everything that prices it from its segment of the rate book (``Book.t``)
with ``np.take``, then int64 arithmetic works out rules 4-6 (× units, the multiple-procedure
reduction, lesser of charge); the gathers and arithmetic run in slices on all cores. MPPR
sorts only its candidates (MULT PROC 2 with a rate) by claim, day and gross, on another
thread meanwhile. Only the per-line arrays the asked-for output columns are made of are kept
whole (``reserve``); the rest of a slice's work is done in per-thread scratch arrays. With
the remittance's allowed amounts the same pass flags the lines outside tolerance
(``pricing.tolerance``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.pricing.encoding import Found, arrow_dictionary, arrow_strings
from payeropt_lib.pricing.engine_runtime import Room, run_in_slices, scratch, take
from payeropt_lib.pricing.medicare_rules import Adjusted
from payeropt_lib.pricing.ranking import ranks_in_order
from payeropt_lib.pricing.rate_book import Book
from payeropt_lib.pricing.tolerance import beyond_cents
from payeropt_lib.reference.modifiers import PRICING_MODIFIERS

SITES = ("non_facility", "facility")  # site categories: code 0, 1


@dataclass
class Priced:
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
    group: np.ndarray  # ... how many were ranked with it (same claim and day) ...
    first: np.ndarray  # ... and the line ranked 1st among them
    flagged: np.ndarray | None  # with allowed amounts: the lines ``expected.flagged`` picks
    adjusted: Adjusted | None = None  # the lines priced under Medicare's rules

    def figures(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The lines at ``rows`` (ascending) worked out again from their segments: the
        same arithmetic as ``price_lines``, without keeping whole-length arrays; with
        n_proc, how many lines were ranked with each (0 = not ranked), and first, the line
        ranked 1st among them (-1 = not ranked)."""
        at = np.searchsorted(self.ranked, rows)
        inside = at < len(self.ranked)
        hit = np.zeros(len(rows), bool)
        hit[inside] = self.ranked[at[inside]] == rows[inside]
        at = np.where(hit, at, 0)
        ranked = len(self.ranked) > 0
        rank = np.where(hit, self.ranks[at] if ranked else 0, 0)
        out = _figures(self.seg, self.t, self.units, self.charge, rows, rank)
        out["n_proc"] = np.where(hit, self.group[at] if ranked else 0, 0)
        out["first"] = np.where(hit, self.first[at] if ranked else -1, -1)
        tt = self.t[rows]
        out["rate"] = self.seg["rate"][tt]
        out["u_rule"] = np.zeros(len(rows), np.int64)
        out["rule"] = np.full(len(rows), "", dtype=object)
        adj = self.adjusted
        if adj is not None and len(adj.at) and len(rows):
            j = np.minimum(np.searchsorted(adj.at, rows), len(adj.at) - 1)
            mine = adj.at[j] == rows
            i, j = np.flatnonzero(mine), j[mine]
            for name, values in (
                ("rank", adj.rank), ("n_proc", adj.n_proc), ("first", adj.first),
                ("gross", adj.gross), ("after", adj.after), ("lesser_hit", adj.lesser_hit),
                ("expected", adj.expected), ("rate", adj.rate), ("u_rule", adj.u_rule),
                ("rule", adj.rule),
            ):  # fmt: skip
                out[name][i] = values[j]
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


# The per-line arrays price_lines may fill whole, most of the engine's memory: only those
# the asked-for columns are made of (``_MADE_OF``), and always ``_ALWAYS``.
_GATHERED = {
    "rank": np.int64,  # first: the prefault thread zeroes it first
    "rate": np.int64, "rate_na": bool, "med": np.int64, "med_na": bool,
    "rate_from_ns": np.int64, "c_from_ns": np.int64, "basis": np.int8,
    "percent": np.int64, "percent_na": bool, "mult": np.int8, "mppr": np.int64,
    "has_c": bool, "lesser": bool, "gross": np.int64, "after": np.int64,
    "expected": np.int64, "lesser_hit": bool, "release": np.int8, "subst": bool,
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
    "medicare_release": ("release",), "medicare_schedule_substituted": ("subst",),
}  # fmt: skip
# Gathered for every slice (into scratch where not kept whole): what expected is made of.
_SLICE = ("rate", "rate_na", "lesser")
_SITE_COLUMNS = frozenset({"rate", "rate_na", "med", "med_na", "rate_from_ns"})


def reserve(n: int, columns: list[str]) -> Room:
    """The per-line arrays to keep whole for these output columns, for n lines, in
    ``_GATHERED`` order; the prefault thread touches their pages from now on (ranks first,
    to zeros) until ``price_lines`` needs them."""
    names = set(_ALWAYS).union(*(_MADE_OF[c] for c in columns))
    dtypes = {name: dtype for name, dtype in _GATHERED.items() if name in names}
    return Room(n, dtypes, zeroed="rank")


def price_lines(
    pool: ThreadPoolExecutor,
    lines: pd.DataFrame,
    found: Found,
    book: Book,
    room: Room,
    columns: list[str],
    allowed: pd.Series | None = None,
    rules: Callable[..., Adjusted | None] | None = None,
) -> Priced:
    """Rules 1-6 for every line: gathers through its segment, then int64 arithmetic. Only
    the arrays ``columns`` are made of are kept whole; the rest of a slice's work is done
    in scratch. With ``allowed`` (the remittance's amounts), also ``flagged`` on the way.
    ``rules`` (``medicare_rules.apply`` with its tables bound) prices again the lines of
    ``payment_rules=medicare`` contracts, whose figures then replace these."""
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
            return scratch(name, _GATHERED[name], b - a)

        tt = t[a:b]
        ss = np.right_shift(tt, 1, out=scratch("s", tt.dtype, b - a))
        for name in gathered:
            take(seg[name], tt if name in _SITE_COLUMNS else ss, part(name))
        # × units (0 where there is no rate), lesser of; MPPR fixes its few lines up below.
        g, hit = part("gross"), part("lesser_hit")
        np.multiply(part("rate"), units[a:b], out=g)
        if "after" in room:
            np.copyto(room["after"][a:b], g)
        np.less(charge[a:b], g, out=hit)
        hit &= part("lesser")
        hit &= np.logical_not(rate_na[a:b], out=scratch("priced", bool, b - a))
        np.copyto(expected[a:b], g)
        np.copyto(expected[a:b], charge[a:b], where=hit)
        if beyond is not None:
            beyond.flag(slice(a, b))

    run_in_slices(pool, n, gather)
    ranked, ranks, group, first = ranking.result()
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
    adjusted = None
    if rules is not None:
        adjusted = rules(lines, found, seg, t, units, charge, line_key, book.mult_vocab)
    if adjusted is not None:  # Medicare's rules: their lines' figures replace the above
        at = adjusted.at
        expected[at] = adjusted.expected
        for name, values in (
            ("rate", adjusted.rate), ("gross", adjusted.gross), ("after", adjusted.after),
            ("lesser_hit", adjusted.lesser_hit), ("rank", adjusted.rank),
        ):  # fmt: skip
            if name in room:
                room[name][at] = values
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
        "medicare_release": lambda: _category(room["release"], book.tables[2]["releases"]),
        "medicare_schedule_substituted": lambda: room["subst"],
    }
    added = {name: make[name]() for name in columns}
    return Priced(
        added, seg, t, units, charge, rate_na, expected, ranked, ranks, group, first,
        None if beyond is None else beyond.out, adjusted,
    )  # fmt: skip


def _mppr_ranks(
    found: Found,
    seg: dict[str, np.ndarray],
    t: np.ndarray,
    lines: pd.DataFrame,
    units: np.ndarray,
    line_key: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rule 5 over the candidates only (MULT PROC 2 with a rate, a minority): the
    candidates' positions (ascending), each one's rank within its claim and day by gross
    amount, highest first, ties to the lower line_key, how many were ranked with it, and
    the position of the line ranked 1st with it (what a reduced line's sentence names)."""
    where = np.flatnonzero(seg["candidate"][t])
    if not where.size:
        none = np.zeros(0, np.int64)
        return where, none, none, none
    tw = t[where]
    gross = seg["rate"][tw] * units[where]
    keys = line_key[where]
    claim = _claim_codes(_take_strings(arrow_strings(lines["claim_id"]), where))
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
    rank, group, first = ranks_in_order(order, same)
    return where, rank, group, where[first]


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
    return arrow_dictionary(pa.chunked_array([claims]))[0].astype(np.int64)


class _Tolerance:
    """``expected.flagged`` on the engine's own arrays, a slice (or the lines at some
    positions) at a time, as expected amounts are set: no temporaries the size of the
    lines."""

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
            return scratch(name, dtype, len(e)) if isinstance(at, slice) else None

        gap = np.subtract(self.allowed[at], e, out=work("gap", np.int64))
        flag = beyond_cents(gap, e, out=work("flag", bool))
        if self.allowed_na is not None:
            flag &= ~self.allowed_na[at]
        flag |= self.rate_na[at]
        self.out[at] = flag


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
