"""The rate book: contracts, fee rows and Medicare rows resolved into date segments.

The small rate tables are resolved in numpy into date segments per payer × product line ×
code × pricing modifier the lines use: a segment starts wherever a contract, fee row,
Medicare row or MULT PROC indicator changes, so everything that prices a line (rules 1, 2,
3 and rule 5's indicator) is constant inside it and is worked out once per segment, per
site (``Book.seg``). A line finds its segment through dense lookup tables (payer and day →
epoch, key → first cell, cell → segment): no join, no sort, and the lines keep their order.
Past ``DENSE_LIMIT`` entries the book sorts and searches instead (slower, same answer).

Two things of the Medicare row used are followed too: a contract frozen at a
``medicare_year`` looks its Medicare row up on 1 January of that year instead of on the
cell's day; and a row CMS's fee library added (``source`` "CMS PFS 2025D") whose release
year is not the year it prices (the date of service's, or the frozen year) is a schedule
used in place of one not on file (``seg["subst"]``). Cells never straddle 1 January, so
that year is one per cell.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.pricing.encoding import Found, arrow_strings, to_days
from payeropt_lib.pricing.engine_runtime import run_in_slices, scratch, take
from payeropt_lib.reference.modifiers import PRICING_MODIFIERS

BASES = ("fee_schedule", "medicare_percent")  # contract_basis categories, in this order
DAY_NS = 86_400 * 10**9  # contract_from and rate_from are datetime64[ns]
NAT_INT = np.iinfo(np.int64).min  # NaT, as int64
# Dense lookup tables (lines' keys, epochs, cells) up to this many entries; past it the
# engine sorts or searches instead (slower, same answer).
DENSE_LIMIT = 1 << 25


@dataclass
class Book:
    """The rate tables resolved into date segments, and each line's segment and site."""

    n_keys: int
    n_cells: int
    n_segments: int
    t: np.ndarray  # per line: 2 × segment + facility; segment n_segments = none (padding)
    seg: dict[str, np.ndarray]  # gather tables: per segment, then a padding row
    bases: list[str]  # contract_basis categories
    mult_vocab: list[str]  # mult_proc categories
    rows: dict[str, np.ndarray]  # per segment (and padding): key parts and rows priced from
    tables: tuple[dict, dict, dict]  # the contract, fee and Medicare rows (quoted)
    payers: list  # the lines' payers with a contract row


def resolve(
    found: Found,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    pool: ThreadPoolExecutor,
) -> Book:
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
    frozen_days = _frozen_days(contracts)
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
    # A frozen contract prices from 1 January of its year: that day is looked up too.
    present = frozen_days[frozen_days != NO_DAY]
    if present.size:
        lo, hi = min(lo, int(present.min())), max(hi, int(present.max()))
    lo -= 1
    span = hi + 1 - lo

    m = _medicare_table(medicare_fees, found, lo, span)
    c = _contract_table(contracts, payers, found.pls, m["locs"], lo, span)
    f = _fee_table(fee_schedules, payers, found, stride, lo, span)

    # Epochs per payer: a day where the payer's contracts or fee rows, or Medicare, change,
    # and each 1 January when the library priced a row (its flag depends on the year).
    medicare_days = np.unique(np.concatenate([m["from"], m["end"], _new_years(m, lo, span)]))
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
        p = take(payer_code, found.payer[a:b], scratch("p", np.int32, b - a))
        if local is not None:
            at = np.multiply(p, span, out=scratch("at", np.int32, b - a))
            at += day[a:b]
            at -= lo
            take(local, at, epoch[a:b])
        else:
            at = p.astype(np.int64) * (span + 1) + day[a:b] - lo
            e = np.searchsorted(epochs, at, side="right") - 1 - first_epoch[p]
            np.maximum(e, 0, out=epoch[a:b])
        k, part = key[a:b], scratch("part", key_type, b - a)
        np.multiply(p, stride[0], out=k, dtype=key_type)  # in key_type: no int16 overflow
        k += np.multiply(found.pl[a:b], stride[1], out=part, dtype=key_type)
        k += np.multiply(found.code[a:b], 3, out=part, dtype=key_type)
        k += found.pm[a:b]
        if seen is not None:
            seen[k] = True

    run_in_slices(pool, n, first_pass)

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
    # Rule 3: the contract locality's Medicare row in force (on 1 January of the
    # contract's medicare_year where it names one).
    loc = _pick(c["loc"], rc, -1)
    frozen = _pick(c["frozen"], rc, -1)
    m_day = np.where(frozen >= 0, frozen, cell_day)
    ml = np.full(n_cells, -1, np.int64)
    at = np.flatnonzero(loc >= 0)
    if at.size:
        mk = (loc[at] * n_code + kc[at]) * 3 + kpm[at]
        ml[at] = _in_force(m, mk, m_day[at], span)
    # A library row of another year than the one it prices: a schedule substituted.
    want = np.where(frozen >= 0, _pick(c["frozen_year"], rc, -1), _years(cell_day + lo))
    release_year = _pick(m["release_year"], ml, -1)
    subst = (release_year >= 0) & (release_year != want)
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
        | (subst[1:] != subst[:-1])
    )
    starts = np.flatnonzero(change)
    n_segments = len(starts)
    seg_of_cell = np.append(np.cumsum(change) - 1, n_segments).astype(np.int32)  # + padding
    s = {
        "p": kp[starts], "l": kl[starts], "c": kc[starts], "pm": kpm[starts],
        "rc": rc[starts], "fr": fr[starts], "ml": ml[starts], "mult": mult[starts],
        "subst": subst[starts],
    }  # fmt: skip
    pad = {"p": len(payers), "l": found.blank, "c": 0, "pm": 0, "rc": -1, "fr": -1, "ml": -1,
           "subst": False}  # fmt: skip
    s = {k: np.append(v, pad.get(k, -1)).astype(v.dtype) for k, v in s.items()}
    seg = _price_segments(c, f, m, s)
    del cell_key, cell_epoch, cell_day, k, kp, kl, kc, kpm, rc, fr, ml, mult, change, subst

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
        cell = scratch("cell", first.dtype, b - a)
        if inverse is None:
            take(first, key[a:b], cell)
        else:
            np.copyto(cell, first[a:b])
        cell += epoch[a:b]
        sid = take(seg_of_cell, cell, scratch("sid", seg_of_cell.dtype, b - a))
        np.left_shift(sid, 1, out=t[a:b], casting="unsafe")
        t[a:b] += found.facility[a:b]

    run_in_slices(pool, n, second_pass)
    if not dated.all():
        t[found.nat] = 2 * n_segments + found.facility[found.nat]
    return Book(
        n_keys, n_cells, n_segments, t, seg, c["bases"], m["mult_vocab"], s, (c, f, m), payers
    )


def _empty_book(found: Found, n_keys: int, tables: tuple) -> Book:
    """No line has a contract payer and a date: every line points at the padding row."""
    empty = found.__class__(**{**found.__dict__, "codes": [], "pls": [""], "blank": 0})
    m = _medicare_table(tables[2].iloc[0:0], empty, 0, 1)
    c = _contract_table(tables[0].iloc[0:0], [], [""], [], 0, 1)
    f = _fee_table(tables[1].iloc[0:0], [], empty, (3, 3, 3), 0, 1)
    s = {k: np.array([-1]) for k in ("rc", "fr", "ml")}
    s.update(p=np.array([0]), l=np.array([0]), c=np.array([0]), pm=np.array([0]))
    s["subst"] = np.array([False])
    s["mult"] = np.array([-1], np.int8)
    seg = _price_segments(c, f, m, s)
    t = found.facility.astype(np.int32)  # 2 × 0 + facility: the padding row
    return Book(n_keys, 0, 0, t, seg, c["bases"], m["mult_vocab"], s, (c, f, m), [])


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
    column = arrow_strings(series)
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


NO_DAY = np.iinfo(np.int64).min  # a contract without a medicare_year
_RELEASE = re.compile(r"^CMS PFS (\d{4})[A-Z]$")  # library.completed's ``source``


def _frozen_days(contracts: pd.DataFrame) -> np.ndarray:
    """Per contract row, the day (since 1970-01-01) of 1 January of its medicare_year;
    ``NO_DAY`` where it names none (or the frame has no such column)."""
    if "medicare_year" not in contracts:
        return np.full(len(contracts), NO_DAY, np.int64)
    year, na = _int_column(contracts["medicare_year"])
    days = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    return np.where(na, NO_DAY, days)


def _years(days: np.ndarray) -> np.ndarray:
    """The calendar year of each day since 1970-01-01."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _new_years(m: dict, lo: int, span: int) -> np.ndarray:
    """Each 1 January inside the lines' days (offsets from ``lo``) when a Medicare row came
    from the library: none otherwise, so a book without library rows cuts as before."""
    if not (m["release_year"] >= 0).any():
        return np.zeros(0, np.int64)
    first, last = _years(np.array([lo, lo + span]))
    jan = (np.arange(first + 1, last + 1) - 1970).astype("datetime64[Y]")
    return _clip(jan.astype("datetime64[D]").astype(np.int64), lo, span)


def _medicare_table(medicare_fees: pd.DataFrame, found: Found, lo: int, span: int) -> dict:
    """Medicare rows for the lines' codes, keyed by locality × code × pricing modifier (a
    locality's position among the sorted ones; a blank locality sorts last)."""
    mf = medicare_fees
    n_code = len(found.codes)
    code = _index_in(mf["procedure_code"], found.codes)
    pm = _index_in(mf["modifier"].fillna(""), PRICING_MODIFIERS)
    start, start_nat = to_days(mf["effective_from"])
    keep = (code >= 0) & (pm >= 0) & ~start_nat
    mf = mf[keep]
    code, pm, start = code[keep], pm[keep], start[keep]
    locality = mf["locality"].astype(object).where(mf["locality"].notna(), None).to_numpy()
    locs = sorted({v for v in locality if v is not None})
    position = {v: i for i, v in enumerate(locs)}
    loc = np.array([position.get(v, len(locs)) for v in locality], dtype=np.int64)
    to, to_nat = to_days(mf["effective_to"])
    nf, nf_na = _int_column(mf["non_facility_cents"])
    fac, fac_na = _int_column(mf["facility_cents"])
    mult_text = mf["mult_proc"].astype(object).where(mf["mult_proc"].notna(), None).to_numpy()
    mult_vocab = sorted({v for v in mult_text if v})
    mult = np.array([mult_vocab.index(v) if v else -1 for v in mult_text], dtype=np.int8)
    # The library's rows say which release priced them (``source``); the practice's own
    # (NA) are no release's.
    source = mf["source"] if "source" in mf else pd.Series(pd.NA, index=mf.index, dtype=object)
    named = pd.unique(source.dropna().astype(str))  # a few releases
    releases = sorted(v for v in named if _RELEASE.match(v))
    rel = pd.Categorical(source.astype(object), categories=releases).codes.astype(np.int8)
    rel_year = np.array([int(r[8:12]) for r in releases], np.int64)
    rows = {
        "day": start, "nf": nf, "nf_na": nf_na, "fac": fac, "fac_na": fac_na, "mult": mult,
        "loc": loc, "rel": rel, "release_year": _pick(rel_year, rel.astype(np.int64), -1),
    }  # fmt: skip
    out = _sort_rows(rows, (loc * n_code + code) * 3 + pm, start, _far(to, to_nat), lo, span)
    out["locs"] = locs
    out["mult_vocab"] = mult_vocab
    out["releases"] = releases
    out["from"] = out["composite"] % (span + 1)
    return out


def _contract_table(contracts: pd.DataFrame, payers: list, pls: list, locs: list, lo: int,
                    span: int) -> dict:  # fmt: skip
    """Contract rows of the lines' payers, keyed by payer × product line (only the lines'
    product lines, and blank), with the defaults of interface §1 where a row leaves one out."""
    known = contracts["payer_id"].notna() & contracts["effective_from"].notna()
    frozen = _frozen_days(contracts)[known.to_numpy()]
    c = contracts[known]
    payer_at = {v: i for i, v in enumerate(payers)}
    pl_at = {v: i for i, v in enumerate(pls)}
    p = np.array([payer_at.get(v, -1) for v in c["payer_id"].astype(str)], dtype=np.int64)
    pl_text = c["product_line"].astype(object).where(c["product_line"].notna(), "")
    pl = np.array([pl_at.get(v, -1) for v in pl_text], dtype=np.int64)
    keep = (p >= 0) & (pl >= 0)
    c, p, pl, frozen = c[keep], p[keep], pl[keep], frozen[keep]
    start = to_days(c["effective_from"])[0]
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
        # medicare_year: its 1 January, as an offset like the lines' days (-1 = none).
        "frozen": np.where(frozen == NO_DAY, -1, _clip(np.maximum(frozen, lo), lo, span)),
        "frozen_year": np.where(frozen == NO_DAY, -1, _years(np.maximum(frozen, 0))),
        # payment_rules=medicare: Medicare's own reductions too (pricing.medicare_rules).
        "rules": (
            c["payment_rules"].astype(object).eq("medicare").to_numpy(dtype=bool)
            if "payment_rules" in c
            else np.zeros(len(p), bool)
        ),
    }
    never = np.full(len(p), np.iinfo(np.int64).max)
    out = _sort_rows(rows, p * len(pls) + pl, start, never, lo, span)
    out["from"] = out["composite"] % (span + 1)
    out["bases"] = bases
    return out


def _fee_table(fee_schedules: pd.DataFrame, payers: list, found: Found, stride: tuple,
               lo: int, span: int) -> dict:  # fmt: skip
    """Fee rows of the lines' payers, product lines (and blank) and codes, keyed like the
    lines (payer × product line × code × pricing modifier)."""
    fs = fee_schedules
    p = _index_in(fs["payer_id"], payers)
    pl = _index_in(fs["product_line"].fillna(""), found.pls)
    code = _index_in(fs["procedure_code"], found.codes)
    pm = _index_in(fs["modifier"].fillna(""), PRICING_MODIFIERS)
    start, start_nat = to_days(fs["effective_from"])
    cents, cents_na = _int_column(fs["allowed_cents"])
    keep = (p >= 0) & (pl >= 0) & (code >= 0) & (pm >= 0) & ~start_nat & ~cents_na
    to, to_nat = to_days(fs["effective_to"][keep])
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
        "rules": _pick(c["rules"], rc, False),
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
    # Which library release priced the Medicare amount used (-1: none, or the practice's
    # own row), and whether it is another year's schedule than the one priced.
    used = by_percent & (ml >= 0)
    out["release"] = np.where(used, _pick(m["rel"], ml, -1), -1).astype(np.int8)
    out["subst"] = used & s["subst"]
    return out


def quoted(book: Book, found: Found, at: np.ndarray) -> dict[str, object]:
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
        "frozen_year": np.where(percent_basis, _pick(c["frozen_year"], rc, -1), -1),
        "subst": book.seg["subst"][at],
        "release": book.seg["release"][at],
    }
