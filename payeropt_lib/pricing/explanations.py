"""The sentence behind each expected amount, written by DuckDB.

Formatting 10 million sentences costs several times what pricing the lines does, so
``explain="flagged"`` writes them only for the lines a billing manager reads (outside
tolerance, or without a price). The contract and rate-source texts have few distinct values
and are written once each (``_PIECES``); one projection (no join, so DuckDB keeps the
lines' order) writes each sentence from those pieces and the line's figures, worked out
again from its segment (``Priced.figures``), in batches of ``EXPLAIN_BATCH`` lines; the
sentences are then placed at their rows of the full column. Money, percent and day text
are ``formats``' (``formats.SQL_MACROS``).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.formats import SQL_MACROS
from payeropt_lib.pricing.encoding import Found
from payeropt_lib.pricing.engine_runtime import fetch
from payeropt_lib.pricing.line_prices import Priced
from payeropt_lib.pricing.rate_book import Book, quoted

# Text helpers, inlined by DuckDB: money, percent and day text as ``formats`` writes them
# (``formats.SQL_MACROS``), and the explanation's own words; created on each connection
# (``engine_runtime.duckdb_connection``).
MACROS = (
    SQL_MACROS
    + """
CREATE TEMP MACRO rounded(cents, x1000) AS
    CASE WHEN (cents * x1000) % 100000 = 0 THEN '' ELSE ' (rounded half up)' END;
CREATE TEMP MACRO label(payer, pl) AS
    coalesce(payer, '(no payer)') || CASE WHEN coalesce(pl, '') = '' THEN '' ELSE ' ' || pl END;
CREATE TEMP MACRO component(code, pm) AS
    code || CASE pm WHEN 1 THEN '-26' WHEN 2 THEN '-TC' ELSE '' END;
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
            ELSE concat(pct_text(pct), ' of ',
                CASE WHEN frozen >= 0 THEN frozen || ' Medicare rates (frozen by contract) '
                    ELSE 'Medicare ' END, loc, ' ', site, ' ') END
        FROM pieces""",
}
_APPLIES, _EQUAL, _BELOW, _NO_CLAUSE, _NOTHING = range(5)

# One sentence per line: a projection only (no join), so DuckDB keeps the lines' order.
# head and source are dictionary columns pointing at the pieces above.
_EXPLAIN = """
SELECT CASE WHEN has_rate THEN concat(
    head, source,
    CASE WHEN pm <> 0 THEN component(code, pm) || ' ' ELSE '' END,
    CASE WHEN fixed THEN concat(dollars(fee), rule)
        WHEN rule = '' THEN concat(dollars(med), ' = ', dollars(rate), rounded(med, pct))
        -- Medicare's own reductions (payment_rules=medicare), then the contract's percent.
        ELSE concat(dollars(med), rule, '; at ', pct_text(pct), ' = ', dollars(rate),
            rounded(u_rule, pct)) END,
    ' × ', units, CASE WHEN units = 1 THEN ' unit = ' ELSE ' units = ' END, dollars(gross),
    CASE WHEN rnk >= 2 THEN concat('; ', ordinal(rnk), ' procedure (1st: ',
            component(first_code, first_pm), ') at ', pct_text(mppr),
            ' = ', dollars(after), rounded(gross, mppr))
         WHEN n_proc >= 2 THEN concat('; 1st of ', n_proc, ' same-day procedures, in full')
         ELSE '' END,
    CASE ending
        WHEN 0 THEN concat('; lesser of charge ', dollars(charge), ' applies = ', dollars(charge))
        WHEN 1 THEN '; equal to charge ' || dollars(charge)
        WHEN 2 THEN '; below charge ' || dollars(charge)
        WHEN 3 THEN concat('; charge ', dollars(charge),
            ' is lower but the contract has no lesser-of clause')
        ELSE '' END,
    -- The library's release of another year than the one priced (none on file for it).
    CASE WHEN subst THEN concat('; no CMS schedule on file covers ', day_text(m_day),
        '; priced from ', m_release) ELSE '' END)
WHEN NOT has_contract THEN concat('no contract for ', label(payer, pl), ' on ', day_text(dos))
ELSE concat('no rate on file for ', component(code, pm), ' on ', day_text(dos),
    ' (', label(payer, pl), ')',
    CASE WHEN basis = 'fee_schedule' THEN ''
         WHEN basis = 'medicare_percent' AND NOT by_percent
             THEN ': the contract names no Medicare percent or locality'
         WHEN basis = 'medicare_percent'
             THEN concat(': no Medicare amount for ', loc,
                 CASE WHEN frozen >= 0 THEN concat(' in ', frozen, ' (frozen by contract)')
                     ELSE '' END, ' to take ', pct_text(pct), ' of',
                 -- HCPCS J codes are drugs: off the physician fee schedule (CMS prices them
                 -- by ASP), so only a fee schedule row of the contract can price them.
                 CASE WHEN code LIKE 'J%' THEN concat('; ', code,
                     ' is a drug, off the Medicare physician fee schedule: price it with a ',
                     'fee schedule row') ELSE '' END)
         ELSE concat(': contract basis ''', basis, ''' is not priced') END)
END AS explanation
FROM explain_in
"""
# Lines per DuckDB query: bounds the memory of explaining millions of lines.
EXPLAIN_BATCH = 1 << 21


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


def _new_year(years: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of 1 January of each year (years < 1970 read 1970)."""
    since = np.maximum(years - 1970, 0).astype("datetime64[Y]")
    return since.astype("datetime64[D]").astype(np.int64)


def _dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.date32(), mask=missing)


def write_explanations(
    con: duckdb.DuckDBPyConnection,
    found: Found,
    book: Book,
    priced: Priced,
    rows: np.ndarray | None,
) -> pd.Series:
    """The sentence of the lines at ``rows`` (ascending; all lines if None), NA for the
    others."""
    every = np.arange(found.n) if rows is None else rows
    quotes = _Quotes(con, found, book, book.t[every])
    parts = [
        _sentences(con, found, book, priced, quotes, every[a : a + EXPLAIN_BATCH])
        for a in range(0, len(every), EXPLAIN_BATCH)
    ]
    text = pa.chunked_array(parts, pa.large_string())
    if rows is not None:
        text = _spread(text, rows, found.n)
    return text.to_pandas()


class _Quotes:
    """What the explained lines quote, once per (segment, site) they use: the figures, and
    the contract and rate-source texts (as dictionary codes: they have few values)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, found: Found, book: Book, t: np.ndarray
    ) -> None:
        used = np.zeros(len(book.seg["rate"]), bool)
        used[t] = True
        pairs = np.flatnonzero(used)
        self.slot = np.zeros(len(used), np.int32)
        self.slot[pairs] = np.arange(len(pairs), dtype=np.int32)
        q = quoted(book, found, pairs // 2)
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
                "frozen": q["frozen_year"][first],
            }
            con.register("pieces", pa.table(pieces))
            self.pieces[name] = (codes.ravel(), fetch(con, _PIECES[name]).column(0))
            con.unregister("pieces")
        self.q = q
        self.med = np.where(facility, q["m_fac"], q["m_nf"])
        # Per pair, as codes into short dictionaries (no string per pair).
        self.basis = (q["basis"] + 1, pa.array([None, *book.bases], pa.large_string()))
        self.loc = (q["rc"] + 1, pa.array(np.roll(loc_text, 1), pa.large_string()))
        releases = [None, *book.tables[2]["releases"]]
        self.release = (q["release"] + 1, pa.array(releases, pa.large_string()))


def _sentences(
    con: duckdb.DuckDBPyConnection,
    found: Found,
    book: Book,
    priced: Priced,
    quotes: _Quotes,
    at: np.ndarray,
) -> pa.Array:
    """The sentences of the lines at ``at``, in that order."""
    t = book.t[at]
    s, q = quotes.slot[t], quotes.q
    frozen = q["frozen_year"][s]
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
        "rate": fig["rate"],
        "rule": pa.array(fig["rule"], pa.large_string()),
        "u_rule": fig["u_rule"],
        "pct": q["pct"][s],
        "units": fig["units"],
        "gross": fig["gross"],
        "rnk": fig["rank"],
        # The line ranked 1st with a reduced one (0 where there is none: not read).
        "first_code": _texts(found.codes, found.code[np.maximum(fig["first"], 0)]),
        "first_pm": found.pm[np.maximum(fig["first"], 0)],
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
        "frozen": frozen,
        "subst": q["subst"][s],
        "m_release": _pointing(quotes.release[0][s], quotes.release[1]),
        # The day the Medicare schedule was looked up on: 1 January of a frozen year, else
        # the date of service.
        "m_day": _dates(
            np.where(frozen >= 0, _new_year(frozen), found.day[at]), found.nat[at] & (frozen < 0)
        ),  # fmt: skip
    }
    table = pa.table(columns)  # in batches: DuckDB formats them in parallel, in order
    con.register("explain_in", pa.Table.from_batches(table.to_batches(1 << 16), table.schema))
    text = fetch(con, _EXPLAIN).column(0)
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
