"""Expected allowed amounts: what the contract says each charge line should be allowed.

``expected_allowed`` prices every line at the rates in force on ITS date of service
(interface §3, domain §2-3): the payer's contract, the fixed fee or the percent of Medicare
for the locality and site of service, × units, the multiple-procedure reduction (MPPR) and
the lesser of charge. Each line gets the figures it was priced from and one sentence a
billing manager can check against the contract.

Money is int64 cents and percents are exact ``*_x1000`` integers (125 % = 125000); no float
ever holds money. Two amounts are rounded, half up to the cent, in integer arithmetic: the
per-unit rate of a percent contract ((Medicare cents × percent_x1000 + 50000) // 100000)
and the MPPR-reduced amount ((gross × mppr_percent_x1000 + 50000) // 100000). The
explanation says "(rounded half up)" where a rounding changed the amount.

How, and why DuckDB (docs/expected.md has the figures): pandas ``merge_asof`` needs 16 s
for ONE of the date-ranged look-ups (the fee row) on 10 million lines; DuckDB joins the same
in ~2 s. So the small rate tables are first resolved, in DuckDB, into date segments per
payer, line product line, code and pricing modifier: a segment starts wherever a contract,
fee row, Medicare row or MULT PROC indicator changes, so everything that prices a line is
constant inside it and is worked out once per segment. The lines then need one range join
to find their segment; the per-line arithmetic (× units, lesser of) is numpy on whole
columns, the MPPR ranking a DuckDB window over the candidate lines only, and the
explanation one DuckDB projection that reuses each segment's text through Arrow dictionary
columns. Frames go to DuckDB as Arrow without copying.
"""

from __future__ import annotations

import logging
import time
from contextlib import closing
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

logger = logging.getLogger(__name__)

# Domain §1.3: places of service paid at the facility rate. Everything else (11 office,
# 12 home, 20 urgent care, …, blank) is non-facility.
FACILITY_POS = (
    "19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61",
)  # fmt: skip
PRICING_MODIFIERS = ("", "26", "TC")  # pricing_modifier categories, in code order 0, 1, 2
SITES = ("non_facility", "facility")  # site categories: code 0, 1
BASES = ("fee_schedule", "medicare_percent")

LINE_COLUMNS = {
    "line_key": pa.int64(),
    "claim_id": pa.large_string(),
    "payer_id": pa.large_string(),
    "product_line": pa.large_string(),
    "procedure_code": pa.large_string(),
    "modifiers": pa.large_string(),
    "units": pa.int64(),
    "charge_cents": pa.int64(),
    "date_of_service": pa.timestamp("ns"),
    "place_of_service": pa.large_string(),
}
CONTRACT_COLUMNS = {
    "payer_id": pa.large_string(),
    "product_line": pa.large_string(),
    "effective_from": pa.timestamp("ns"),
    "basis": pa.large_string(),
    "medicare_percent_x1000": pa.int64(),
    "medicare_locality": pa.large_string(),
    "lesser_of_charges": pa.bool_(),
    "mppr_percent_x1000": pa.int64(),
}
FEE_COLUMNS = {
    "payer_id": pa.large_string(),
    "product_line": pa.large_string(),
    "procedure_code": pa.large_string(),
    "modifier": pa.large_string(),
    "effective_from": pa.timestamp("ns"),
    "effective_to": pa.timestamp("ns"),
    "allowed_cents": pa.int64(),
}
MEDICARE_COLUMNS = {
    "locality": pa.large_string(),
    "procedure_code": pa.large_string(),
    "modifier": pa.large_string(),
    "effective_from": pa.timestamp("ns"),
    "effective_to": pa.timestamp("ns"),
    "non_facility_cents": pa.int64(),
    "facility_cents": pa.int64(),
    "mult_proc": pa.large_string(),
}

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

# Text helpers, inlined by DuckDB. dollars(): '$1,234.56' from integer cents; plain
# concatenation for amounts under $1,000,000, which is ~4× faster than printf.
_MACROS = """
CREATE TEMP MACRO cents2(x) AS CASE WHEN x % 100 < 10 THEN '.0' ELSE '.' END || (x % 100);
CREATE TEMP MACRO dollars(x) AS CASE
    WHEN x >= 0 AND x < 100000 THEN concat('$', x // 100, cents2(x))
    WHEN x >= 100000 AND x < 100000000 THEN concat(
        '$', x // 100000, ',', lpad(((x // 100) % 1000)::VARCHAR, 3, '0'), cents2(x))
    WHEN x < 0 THEN printf('-$%,d.%02d', (-x) // 100, (-x) % 100)
    ELSE printf('$%,d.%02d', x // 100, x % 100) END;
CREATE TEMP MACRO pct_text(x) AS concat(
    x // 1000,
    CASE WHEN x % 1000 = 0 THEN '' ELSE '.' || rtrim(lpad((x % 1000)::VARCHAR, 3, '0'), '0') END,
    '%');
CREATE TEMP MACRO day_text(d) AS strftime(d, '%Y-%m-%d');
CREATE TEMP MACRO ordinal(n) AS n::VARCHAR || CASE
    WHEN n % 100 BETWEEN 11 AND 13 THEN 'th' WHEN n % 10 = 1 THEN 'st'
    WHEN n % 10 = 2 THEN 'nd' WHEN n % 10 = 3 THEN 'rd' ELSE 'th' END;
CREATE TEMP MACRO half_up(cents, x1000) AS (cents * x1000 + 50000) // 100000;
CREATE TEMP MACRO rounded(cents, x1000) AS
    CASE WHEN (cents * x1000) % 100000 = 0 THEN '' ELSE ' (rounded half up)' END;
CREATE TEMP MACRO label(payer, pl) AS
    coalesce(payer, '(no payer)') || CASE WHEN pl = '' THEN '' ELSE ' ' || pl END;
"""

# The small tables, normalized once: blank key parts are '', dates are DATE, and the
# contract defaults of interface §1 apply where a hand-built frame left them out. A later
# row for the same key closes the earlier one (interface §1; the store derives effective_to
# so, a hand-built frame gets the same here), so a key's periods never overlap and a range
# join finds at most one row in force.
_SMALL_TABLES = """
CREATE TEMP TABLE c AS SELECT
    payer_id, coalesce(product_line, '') AS pl, effective_from::DATE AS c_from, basis,
    medicare_percent_x1000 AS pct, nullif(medicare_locality, '') AS loc,
    coalesce(lesser_of_charges, true) AS lesser, coalesce(mppr_percent_x1000, 50000) AS mppr
FROM contracts_in WHERE payer_id IS NOT NULL AND effective_from IS NOT NULL;
CREATE TEMP TABLE f AS SELECT *, least(coalesce(f_to, DATE 'infinity'), coalesce(
        lead(f_from) OVER (PARTITION BY payer_id, pl, code, pm ORDER BY f_from),
        DATE 'infinity')) AS f_end
FROM (SELECT payer_id, coalesce(product_line, '') AS pl, procedure_code AS code,
        coalesce(modifier, '') AS pm, effective_from::DATE AS f_from,
        effective_to::DATE AS f_to, allowed_cents AS cents
    FROM fees_in WHERE effective_from IS NOT NULL AND allowed_cents IS NOT NULL);
CREATE TEMP TABLE m AS SELECT *, least(coalesce(m_to, DATE 'infinity'), coalesce(
        lead(m_from) OVER (PARTITION BY loc, code, pm ORDER BY m_from),
        DATE 'infinity')) AS m_end
FROM (SELECT locality AS loc, procedure_code AS code, coalesce(modifier, '') AS pm,
        effective_from::DATE AS m_from, effective_to::DATE AS m_to, non_facility_cents AS nf,
        facility_cents AS fac, nullif(mult_proc, '') AS mult_proc
    FROM medicare_in WHERE effective_from IS NOT NULL);
"""

# The lines as the joins see them: product line '' when blank, the pricing modifier (26/TC
# among the charge modifiers, else ''; the regex only runs where 26 or TC occurs at all),
# the DOS as a date and the site of service.
_LINES_VIEW = f"""
CREATE TEMP VIEW lx AS SELECT
    i, claim_id, payer_id, coalesce(product_line, '') AS pl, procedure_code AS code,
    CASE WHEN modifiers IS NULL OR NOT (contains(modifiers, '26') OR contains(modifiers, 'TC'))
        THEN '' ELSE regexp_extract(modifiers, '(?:^|:)(26|TC)(?::|$)', 1) END AS pm,
    date_of_service::DATE AS dos,
    coalesce(place_of_service IN ({", ".join(f"'{p}'" for p in FACILITY_POS)}), false)
        AS facility
FROM lines_in;
"""

# Keys: payer × product line as the lines spell them (lp), × the (code, pricing modifier)
# pairs the rate tables hold for codes the lines bill (cp). Contract periods per lp (cs,
# rule 1: the latest start, a row for the line's own product line beating a blank one),
# the national MULT PROC indicator per cp (mn: the smallest locality's, merged over equal
# periods) and the fee rows each key may use (fk: its own product line's and blank ones).
_KEYS = """
CREATE TEMP TABLE lp AS SELECT row_number() OVER () AS lpid, * FROM (
    SELECT DISTINCT payer_id, pl FROM lx WHERE payer_id IN (SELECT payer_id FROM c));
CREATE TEMP TABLE cp AS SELECT row_number() OVER () AS cpid, * FROM (
    SELECT code, pm FROM f UNION SELECT code, pm FROM m)
    WHERE code IN (SELECT DISTINCT procedure_code FROM lines_in);
CREATE TEMP TABLE k AS SELECT row_number() OVER () AS kid, lp.lpid, lp.payer_id, lp.pl,
    cp.cpid, cp.code, cp.pm FROM lp CROSS JOIN cp;
CREATE TEMP TABLE cs AS
WITH d AS (
    SELECT lpid, DATE '-infinity' AS d FROM lp
    UNION
    SELECT lp.lpid, c.c_from FROM lp
    JOIN c ON c.payer_id = lp.payer_id AND (c.pl = lp.pl OR c.pl = '')
), resolved AS (
    SELECT d.lpid, d.d, lp.payer_id, lp.pl, c.pl AS c_pl, c.c_from, c.basis, c.pct, c.loc,
        c.lesser, c.mppr
    FROM d JOIN lp USING (lpid)
    LEFT JOIN c ON c.payer_id = lp.payer_id AND (c.pl = lp.pl OR c.pl = '') AND c.c_from <= d.d
    QUALIFY row_number() OVER (PARTITION BY d.lpid, d.d
        ORDER BY (c.pl = lp.pl) DESC NULLS LAST, c.c_from DESC NULLS LAST) = 1
)
SELECT row_number() OVER (ORDER BY lpid, d) - 1 AS cid, *,
    coalesce(lead(d) OVER (PARTITION BY lpid ORDER BY d), DATE 'infinity') AS c_end,
    basis = 'medicare_percent' AND pct IS NOT NULL AND loc IS NOT NULL AS by_percent,
    -- "AET PPO contract from 2025-01-01: ", then the segment's rate text.
    concat(label(payer_id, pl), ' contract', CASE WHEN c_pl = '' AND pl <> ''
        THEN ' (all products)' ELSE '' END, ' from ', day_text(c_from), ': ') AS head,
    -- Why a line under this contract has no rate (after "no rate on file for … (AET PPO)").
    CASE WHEN basis = 'fee_schedule' THEN ''
         WHEN basis = 'medicare_percent' AND NOT by_percent
             THEN ': the contract names no Medicare percent or locality'
         WHEN basis = 'medicare_percent'
             THEN concat(': no Medicare amount for ', loc, ' to take ', pct_text(pct), ' of')
         ELSE concat(': contract basis ''', basis, ''' is not priced') END AS no_rate
FROM resolved;
CREATE TEMP TABLE m2 AS SELECT cp.cpid, m.* FROM m JOIN cp USING (code, pm);
CREATE TEMP TABLE mn AS
WITH d AS (
    SELECT DISTINCT cpid, unnest([m_from, m_end]) AS d FROM m2 WHERE mult_proc IS NOT NULL
), resolved AS (
    SELECT d.cpid, d.d, m2.mult_proc FROM d
    LEFT JOIN m2 ON m2.cpid = d.cpid AND m2.mult_proc IS NOT NULL
        AND m2.m_from <= d.d AND d.d < m2.m_end
    QUALIFY row_number() OVER (PARTITION BY d.cpid, d.d ORDER BY m2.loc NULLS LAST) = 1
), islands AS (
    SELECT * FROM resolved
    QUALIFY lag(mult_proc) OVER (PARTITION BY cpid ORDER BY d) IS DISTINCT FROM mult_proc
)
SELECT *, coalesce(lead(d) OVER (PARTITION BY cpid ORDER BY d), DATE 'infinity') AS n_end
FROM islands;
CREATE TEMP TABLE fk AS SELECT k.kid, f.pl = k.pl AS own, f.pl AS f_pl, f.f_from, f.f_end,
    f.cents
FROM k JOIN f ON f.payer_id = k.payer_id AND f.code = k.code AND f.pm = k.pm
    AND (f.pl = k.pl OR f.pl = '');
"""

# Date segments per key: one starts at every date where anything that prices a line can
# change (a contract start, a fee row's start or end, the indicator, and for a contract
# locality its Medicare rows' starts and ends). Each is priced on its first day: rule 1
# (cs), rule 2 (the fee row in force, own product line beating blank), rule 3 (the
# contract locality's Medicare row) and rule 5's indicator (that row's, else national).
_SEGMENTS = """
CREATE TEMP TABLE sg AS
WITH cl AS (SELECT DISTINCT lpid, loc FROM cs WHERE loc IS NOT NULL), bp AS (
    SELECT DISTINCT kid, d FROM (
        SELECT k.kid, cs.d FROM k JOIN cs USING (lpid)
        UNION ALL
        SELECT kid, unnest([f_from, f_end]) FROM fk
        UNION ALL
        SELECT k.kid, mn.d FROM k JOIN mn USING (cpid)
        UNION ALL
        SELECT k.kid, unnest([m2.m_from, m2.m_end]) FROM k JOIN cl USING (lpid)
        JOIN m2 ON m2.loc = cl.loc AND m2.cpid = k.cpid
    ) WHERE d < DATE 'infinity'
)
SELECT kid, d AS seg_from,
    coalesce(lead(d) OVER (PARTITION BY kid ORDER BY d), DATE 'infinity') AS seg_to
FROM bp;
CREATE TEMP TABLE seg AS
WITH joined AS (
    SELECT s.kid, s.seg_from, s.seg_to, k.payer_id, k.pl, k.code, k.pm,
        cs.cid, cs.basis, cs.by_percent, cs.pct, cs.loc,
        coalesce(fs.f_pl, fb.f_pl) AS f_pl, coalesce(fs.f_from, fb.f_from) AS f_from,
        coalesce(fs.cents, fb.cents) AS fee, ml.m_from, ml.nf AS m_nf, ml.fac AS m_f,
        coalesce(ml.mult_proc, mn.mult_proc) AS mult_proc
    FROM sg s JOIN k USING (kid)
    JOIN cs ON cs.lpid = k.lpid AND cs.d <= s.seg_from AND s.seg_from < cs.c_end
    LEFT JOIN fk fs ON fs.kid = s.kid AND fs.own
        AND fs.f_from <= s.seg_from AND s.seg_from < fs.f_end
    LEFT JOIN fk fb ON fb.kid = s.kid AND fb.f_pl = ''
        AND fb.f_from <= s.seg_from AND s.seg_from < fb.f_end
    LEFT JOIN m2 ml ON ml.loc = cs.loc AND ml.cpid = k.cpid
        AND ml.m_from <= s.seg_from AND s.seg_from < ml.m_end
    LEFT JOIN mn ON mn.cpid = k.cpid AND mn.d <= s.seg_from AND s.seg_from < mn.n_end
), rated AS (
    SELECT *,
        CASE WHEN basis = 'fee_schedule' THEN fee
             WHEN by_percent THEN half_up(m_nf, pct) END AS rate_nf,
        CASE WHEN basis = 'fee_schedule' THEN fee
             WHEN by_percent THEN half_up(m_f, pct) END AS rate_f,
        CASE WHEN basis = 'fee_schedule' THEN f_from
             WHEN by_percent AND m_nf IS NOT NULL THEN m_from END AS rate_from
    FROM joined
)
SELECT row_number() OVER () - 1 AS sid, payer_id, pl, code, pm, seg_from, seg_to, cid,
    mult_proc, rate_nf, rate_f, rate_from,
    CASE WHEN by_percent THEN m_nf END AS med_nf,
    CASE WHEN by_percent THEN m_f END AS med_f,
    -- What the explanation quotes (formatted only when it is asked for).
    basis = 'fee_schedule' AS fixed, f_pl = '' AND pl <> '' AS all_products, f_from, fee,
    CASE WHEN by_percent THEN pct END AS pct, CASE WHEN by_percent THEN loc END AS loc
FROM rated;
"""

# Each line's segment (NULL: no contract for the payer, or a code no rate table knows).
_FIND_SEGMENT = """
SELECT l.i,
    -- Index into the per-(segment, site) arrays; lines without a segment point at the two
    -- padding entries past the end ({padding} = 2 × number of segments).
    (coalesce(2 * s.sid, {padding}) + l.facility::INTEGER)::INTEGER AS t,
    CASE l.pm WHEN '26' THEN 1 WHEN 'TC' THEN 2 ELSE 0 END::TINYINT AS pmc,
    -- Rule 5 candidates (MULT PROC 2 with a rate) bring their claim, for the ranking.
    CASE WHEN s.mult_proc = '2'
        AND (CASE WHEN l.facility THEN s.rate_f ELSE s.rate_nf END) IS NOT NULL
        THEN l.claim_id END AS claim
FROM lx l LEFT JOIN seg s ON s.payer_id = l.payer_id AND s.pl = l.pl AND s.code = l.code
    AND s.pm = l.pm AND l.dos >= s.seg_from AND l.dos < s.seg_to
"""

# The contract period of the lines that found no segment (few: they get no rate anyway).
_FIND_CONTRACT = """
SELECT u.i, cs.cid
FROM unpriced u JOIN lp ON lp.payer_id = u.payer_id AND lp.pl = coalesce(u.product_line, '')
JOIN cs ON cs.lpid = lp.lpid AND cs.d <= u.date_of_service::DATE
    AND u.date_of_service::DATE < cs.c_end
"""

# Rule 5 over the candidate lines only (MULT PROC 2 with a rate, a minority): rank within
# claim and day by gross amount, highest first, ties to the lower line_key.
_MPPR = """
SELECT i,
    row_number() OVER (PARTITION BY claim, day ORDER BY gross DESC, line_key) AS rnk,
    count(*) OVER (PARTITION BY claim, day) AS n_proc
FROM candidates
"""

# The start of each priced line's sentence, per (segment, site) in t order: contract, rate
# and where it comes from, then "× 1 unit = $98.00" (one) or just "× " (many units).
_SENTENCE_STARTS = """
WITH texts AS (
    SELECT s.sid, cs.head,
        CASE WHEN s.fixed THEN concat('fixed fee schedule',
                CASE WHEN s.all_products THEN ' (all products)' ELSE '' END,
                ' from ', day_text(s.f_from), ': ', dollars(s.fee))
             ELSE concat(pct_text(s.pct), ' of Medicare ', s.loc, ' non-facility ',
                dollars(s.med_nf), ' = ', dollars(s.rate_nf), rounded(s.med_nf, s.pct))
        END AS text_nf,
        CASE WHEN s.fixed THEN text_nf
             ELSE concat(pct_text(s.pct), ' of Medicare ', s.loc, ' facility ',
                dollars(s.med_f), ' = ', dollars(s.rate_f), rounded(s.med_f, s.pct))
        END AS text_f,
        dollars(s.rate_nf) AS unit_nf,
        CASE WHEN s.fixed THEN unit_nf ELSE dollars(s.rate_f) END AS unit_f
    FROM segment s JOIN contract cs ON cs.cid = s.cid
)
SELECT unnest([0, 1]) AS site,
    unnest([concat(head, text_nf, ' × 1 unit = ', unit_nf),
        concat(head, text_f, ' × 1 unit = ', unit_f)]) AS one,
    unnest([concat(head, text_nf, ' × '), concat(head, text_f, ' × ')]) AS many
FROM texts
ORDER BY sid, site
"""

# The end of each sentence, per distinct charge × case (k = 8 × charge + case): a
# chargemaster has few charges, so each is formatted once, not once per line.
_SENTENCE_ENDS = """
SELECT CASE k % 8
    WHEN 0 THEN concat('; lesser of charge ', dollars(k // 8), ' applies = ', dollars(k // 8))
    WHEN 1 THEN '; equal to charge ' || dollars(k // 8)
    WHEN 2 THEN '; below charge ' || dollars(k // 8)
    WHEN 3 THEN concat('; charge ', dollars(k // 8),
        ' is lower but the contract has no lesser-of clause')
    ELSE '' END AS text
FROM ends
"""
_APPLIES, _EQUAL, _BELOW, _NO_CLAUSE, _NOTHING = range(5)

# The sentence of a line without a rate (no contract, or no rate on file), for those lines.
_UNPRICED_SENTENCES = """
SELECT CASE
    WHEN NOT has_contract THEN concat('no contract for ', label(payer_id, pl), ' on ',
        day_text(date_of_service::DATE))
    ELSE concat('no rate on file for ', procedure_code,
        CASE pmc WHEN 1 THEN '-26' WHEN 2 THEN '-TC' ELSE '' END, ' on ',
        day_text(date_of_service::DATE), ' (', label(payer_id, pl), ')', no_rate)
    END AS text
FROM (SELECT *, coalesce(product_line, '') AS pl FROM unpriced_in)
"""

# One sentence per line. A projection only (no join), so DuckDB keeps the input order; one,
# many, "end" and unpriced are dictionary columns pointing at the texts above.
_EXPLAIN = """
SELECT CASE WHEN NOT has_rate THEN unpriced ELSE concat(
    CASE WHEN units = 1 THEN one ELSE concat(many, units, ' units = ', dollars(gross)) END,
    CASE WHEN rnk >= 2 THEN concat('; ', ordinal(rnk), ' procedure at ', pct_text(mppr),
            ' = ', dollars(after), rounded(gross, mppr))
         WHEN n_proc >= 2 THEN concat('; 1st of ', n_proc, ' same-day procedures, in full')
         ELSE '' END,
    "end") END AS explanation
FROM explain_in
"""
# Rows per Arrow batch handed to DuckDB: it scans batches in parallel but converts a
# dictionary once per batch, so a few large batches.
_EXPLAIN_BATCH = 1 << 21

NAT = np.datetime64("NaT", "ns")
_DROP = """
DROP VIEW lx; DROP TABLE seg; DROP TABLE sg; DROP TABLE fk; DROP TABLE mn; DROP TABLE m2;
DROP TABLE cs; DROP TABLE k; DROP TABLE cp; DROP TABLE lp; DROP TABLE m; DROP TABLE f;
DROP TABLE c;
"""


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


def _arrow(frame: pd.DataFrame, columns: dict[str, pa.DataType], name: str) -> pa.Table:
    """The needed columns as an Arrow table of fixed types (zero-copy where pandas allows)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s): {', '.join(missing)}")
    schema = pa.schema(list(columns.items()))
    return pa.Table.from_pandas(frame[list(columns)], schema=schema, preserve_index=False)


def _connect() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB per call: nothing is shared between calls or threads."""
    return duckdb.connect()


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


def _numpy(column: pa.ChunkedArray, fill: object = 0) -> np.ndarray:
    """A column as numpy, nulls replaced by ``fill`` (dates become datetime64[ns])."""
    if pa.types.is_date(column.type):
        return column.cast(pa.timestamp("ns")).to_numpy().astype("datetime64[ns]")
    return pc.fill_null(column, fill).to_numpy()


def _null(column: pa.ChunkedArray) -> np.ndarray:
    return column.is_null().to_numpy(zero_copy_only=False)


def _codes(column: pa.ChunkedArray, vocabulary: list[str] | tuple[str, ...]) -> np.ndarray:
    """Position of each value in ``vocabulary`` (int8; -1 = null or not in it)."""
    index = pc.index_in(column, value_set=pa.array(vocabulary, pa.large_string()))
    return pc.fill_null(index, -1).to_numpy().astype(np.int8)


def _lookup(values: np.ndarray, pad: object, sites: int = 1) -> np.ndarray:
    """A per-row array ready for per-line gathers: with ``sites=2`` each value is repeated
    (index 2 × row + facility); then padding, where lines without a row point."""
    if sites == 2:
        values = np.repeat(values, 2)
    return np.append(values, [pad] * sites).astype(values.dtype)


def _by_site(nf: np.ndarray, fa: np.ndarray, pad: object) -> np.ndarray:
    """Two per-segment arrays interleaved (index 2 × segment + facility), then padding."""
    return np.append(np.column_stack([nf, fa]).ravel(), [pad, pad]).astype(nf.dtype)


def _category(codes: np.ndarray, vocabulary: list[str] | tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(
        codes.astype(np.int8, copy=False), categories=pd.Index(list(vocabulary), dtype="str")
    )


def _nullable(values: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    # Each column its own mask: IntegerArrays that shared one would change together.
    return pd.arrays.IntegerArray(values.astype(np.int64, copy=False), missing.copy())


def expected_allowed(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    *,
    explain: bool = True,
) -> pd.DataFrame:
    """Expected allowed amount of every line, with the figures and the sentence behind it.

    Needs ``lines``: line_key (int64, unique), claim_id, payer_id, product_line ('' or NA =
    none), procedure_code, modifiers (charge modifiers, ':'-joined), units (int64),
    charge_cents (int64, all units), date_of_service (datetime64), place_of_service (str or
    NA). ``contracts``, ``fee_schedules`` and ``medicare_fees`` are one org's store frames
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
       amount for a facility place of service (``FACILITY_POS``) else non-facility, ×
       percent, rounded half up to the cent: (medicare × percent_x1000 + 50000) // 100000;
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
    categoricals of str. ``explain=False`` leaves the explanation out (about half the time
    on 10 million lines); price the lines of the claims of interest again for theirs.
    """
    n = len(lines)
    clock = _Clock()
    lines_in = _arrow(lines, LINE_COLUMNS, "lines").append_column(
        "i", pa.array(np.arange(n, dtype=np.int64))
    )
    with closing(_connect()) as con:
        return _price(
            con, clock, lines, lines_in, contracts, fee_schedules, medicare_fees, explain
        )


def _price(
    con: duckdb.DuckDBPyConnection,
    clock: _Clock,
    lines: pd.DataFrame,
    lines_in: pa.Table,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    explain: bool,
) -> pd.DataFrame:
    """``expected_allowed`` on an open DuckDB connection."""
    n = len(lines)
    found = _find(con, clock, lines_in, contracts, fee_schedules, medicare_fees)
    contract, segment, t, cid = found.contract, found.segment, found.t, found.cid

    # Contract terms (rule 1) through cid; the period before a payer's first contract, and
    # a payer with none, point at rows without terms (has_c False).
    basis_text = contract.column("basis")
    bases = [*BASES, *sorted(set(pc.unique(basis_text).drop_null().to_pylist()) - set(BASES))]
    known = contract.column("c_from").is_valid().to_numpy(zero_copy_only=False)
    has_c = _lookup(known, False)[cid]
    basis = _lookup(_codes(basis_text, bases), -1)[cid]
    percent = _lookup(_numpy(contract.column("pct")), 0)[cid]
    not_percent = _null(contract.column("pct")) | (_codes(basis_text, BASES) != 1)
    percent_na = _lookup(not_percent, True)[cid]
    lesser = _lookup(_numpy(contract.column("lesser"), False), False)[cid]
    mppr = _lookup(_numpy(contract.column("mppr")), 0)[cid]
    contract_from = _lookup(_numpy(contract.column("c_from")), NAT)[cid]

    # Rates (rules 2-3) through t; a missing rate is 0 with its NA mask.
    rate = _by_site(_numpy(segment.column("rate_nf")), _numpy(segment.column("rate_f")), 0)[t]
    rate_na = _by_site(_null(segment.column("rate_nf")), _null(segment.column("rate_f")), True)
    medicare = _by_site(_numpy(segment.column("med_nf")), _numpy(segment.column("med_f")), 0)[t]
    medicare_na = _by_site(_null(segment.column("med_nf")), _null(segment.column("med_f")), True)
    rate_from = _lookup(_numpy(segment.column("rate_from")), NAT, 2)
    rate_from[rate_na] = NAT
    rate_from, rate_na, medicare_na = rate_from[t], rate_na[t], medicare_na[t]
    mult_vocab = sorted(pc.unique(segment.column("mult_proc")).drop_null().to_pylist())
    mult = _lookup(_codes(segment.column("mult_proc"), mult_vocab), -1, 2)[t]
    facility = (t & 1).astype(bool)

    # × units (rule 4), MPPR (rule 5), lesser of (rule 6): exact int64 on whole columns.
    units = lines["units"].to_numpy(dtype=np.int64)
    charge = lines["charge_cents"].to_numpy(dtype=np.int64)
    gross = rate * units  # 0 where there is no rate
    rank, group = _mppr_ranks(con, lines, lines_in, found, gross)
    reduced = rank >= 2
    after = gross.copy()
    after[reduced] = (gross[reduced] * mppr[reduced] + 50_000) // 100_000
    lesser_hit = lesser & ~rate_na & (charge < after)
    expected = np.where(lesser_hit, charge, after)
    clock.mark("arithmetic")

    added = {
        "pricing_modifier": _category(found.pmc, PRICING_MODIFIERS),
        "contract_basis": _category(basis, bases),
        "contract_from": contract_from,
        "site": _category(facility, SITES),
        "rate_cents": _nullable(rate, rate_na),
        "rate_from": rate_from,
        "medicare_cents": _nullable(medicare, medicare_na),
        "percent_x1000": _nullable(percent, percent_na),
        "mult_proc": _category(mult, mult_vocab),
        "mppr_rank": _nullable(rank, rank == 0),
        "mppr_applied": reduced,
        "mppr_percent_x1000": _nullable(mppr, ~has_c),
        "gross_cents": _nullable(gross, rate_na),
        "after_mppr_cents": _nullable(after, rate_na),
        "lesser_of_charges": lesser,
        "lesser_applied": lesser_hit,
        "expected_cents": _nullable(expected, rate_na),
    }
    if explain:
        per_line = {
            "has_contract": has_c,
            "has_rate": ~rate_na,
            "pmc": found.pmc,
            "units": units,
            "gross": gross,
            "rnk": rank,
            "n_proc": group,
            "mppr": mppr,
            "after": after,
            "charge": charge,
            "lesser": lesser,
            "lesser_hit": lesser_hit,
        }
        added["explanation"] = _explanations(con, lines_in, contract, segment, per_line, cid, t)
        clock.mark("explanation")
    out = lines.assign(
        **{k: pd.Series(v, index=lines.index, copy=False) for k, v in added.items()}
    )
    clock.mark("frame")
    logger.debug(
        "expected allowed: %d lines, %d rate segments, %d without a contract, %d without a "
        "rate; seconds: %s",
        n,
        len(segment),
        int((~has_c).sum()),
        int((has_c & rate_na).sum()),
        clock,
    )
    return out


@dataclass
class _Found:
    """Each line's place in the resolved rate tables, in input order."""

    contract: pa.Table  # contract periods (cs), row cid
    segment: pa.Table  # priced date segments (seg), row sid
    t: np.ndarray  # 2 × sid + facility; 2 × len(segment) + facility = no segment
    cid: np.ndarray  # contract period; len(contract) = the payer has no contract
    pmc: np.ndarray  # pricing modifier: 0 '', 1 '26', 2 'TC'
    candidates: np.ndarray  # rule 5 candidates (MULT PROC 2 with a rate): positions ...
    claims: pa.ChunkedArray  # ... and their claim_id, aligned


def _find(
    con: duckdb.DuckDBPyConnection,
    clock: _Clock,
    lines_in: pa.Table,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
) -> _Found:
    """Resolve the rate tables into segments and find each line's segment and contract."""
    n = lines_in.num_rows
    con.register("lines_in", lines_in)
    con.register("contracts_in", _arrow(contracts, CONTRACT_COLUMNS, "contracts"))
    con.register("fees_in", _arrow(fee_schedules, FEE_COLUMNS, "fee_schedules"))
    con.register("medicare_in", _arrow(medicare_fees, MEDICARE_COLUMNS, "medicare_fees"))
    for script in (_MACROS, _SMALL_TABLES, _LINES_VIEW, _KEYS, _SEGMENTS):
        con.execute(script)
    contract = _fetch(con, "SELECT * FROM cs ORDER BY cid")
    segment = _fetch(con, "SELECT * EXCLUDE (payer_id, pl, code, pm) FROM seg ORDER BY sid")
    clock.mark("segments")
    padding = 2 * len(segment)
    found = _fetch(con, _FIND_SEGMENT.format(padding=padding))
    clock.mark("join")

    # Back to input order (DuckDB joins in parallel and returns rows in any order).
    position = found.column("i").to_numpy()
    t = np.empty(n, np.intp)  # intp: numpy would convert any other index on every gather
    t[position] = found.column("t").to_numpy()
    pmc = np.empty(n, np.int8)
    pmc[position] = found.column("pmc").to_numpy()
    candidate = found.column("claim").is_valid().to_numpy(zero_copy_only=False)
    candidates = position[candidate]
    claims = found.column("claim").filter(pa.array(candidate))
    del found, position, candidate

    # The contract period of each line: its segment's, else looked up on its own.
    cid = _lookup(_numpy(segment.column("cid")).astype(np.intp), len(contract), 2)[t]
    no_segment = t >= padding
    if no_segment.any():
        con.register("unpriced", lines_in.filter(pa.array(no_segment)))
        late = _fetch(con, _FIND_CONTRACT)
        cid[late.column("i").to_numpy()] = late.column("cid").to_numpy()
    con.execute(_DROP)  # what follows needs none of it: let DuckDB reuse the memory
    clock.mark("order")
    return _Found(contract, segment, t, cid, pmc, candidates, claims)


def _mppr_ranks(
    con: duckdb.DuckDBPyConnection,
    lines: pd.DataFrame,
    lines_in: pa.Table,
    found: _Found,
    gross: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Rule 5: each candidate's rank within its claim and day and the number ranked there
    (0 and 0 for the other lines)."""
    n = len(lines)
    rank = np.zeros(n, np.int64)
    group = np.zeros(n, np.int64)
    where = found.candidates
    if where.size:
        dos = lines_in.column("date_of_service").to_numpy()
        table = pa.table(
            {
                "i": where,
                "claim": found.claims,
                "day": dos[where].astype("datetime64[D]"),
                "gross": gross[where],
                "line_key": lines["line_key"].to_numpy(dtype=np.int64)[where],
            }
        )
        con.register("candidates", table)
        ranked = _fetch(con, _MPPR)
        at = ranked.column("i").to_numpy()
        rank[at] = ranked.column("rnk").to_numpy()
        group[at] = ranked.column("n_proc").to_numpy()
    return rank, group


def _explanations(
    con: duckdb.DuckDBPyConnection,
    lines_in: pa.Table,
    contract: pa.Table,
    segment: pa.Table,
    per_line: dict[str, np.ndarray],
    cid: np.ndarray,
    t: np.ndarray,
) -> pd.Series:
    """The explanation sentence of every line, in input order (see ``_EXPLAIN``)."""

    def pointing(indices: np.ndarray, texts: pa.ChunkedArray, pad: int) -> pa.DictionaryArray:
        # Lines without a row point past the end, at the pad ''s.
        padding = pa.chunked_array([pa.array([""] * pad, pa.large_string())])
        texts = pa.chunked_array([*texts.cast(pa.large_string()).chunks, *padding.chunks])
        dictionary = pc.fill_null(texts.combine_chunks(), "")
        return pa.DictionaryArray.from_arrays(
            pa.array(indices.astype(np.int32, copy=False)), dictionary
        )

    # Strings come back as large_string, which pandas keeps without copying.
    con.execute("SET arrow_large_buffer_size = true")
    con.register("segment", segment)
    con.register("contract", contract)
    starts = _fetch(con, _SENTENCE_STARTS)
    charge, after, lesser = per_line["charge"], per_line["after"], per_line["lesser"]
    case = np.select(
        [per_line["lesser_hit"], lesser & (charge == after), lesser, charge < after],
        [_APPLIES, _EQUAL, _BELOW, _NO_CLAUSE],
        _NOTHING,
    )
    end_code, ends = pd.factorize(charge * 8 + case)
    con.register("ends", pa.table({"k": ends}))
    columns: dict[str, object] = {
        k: v for k, v in per_line.items() if k not in ("charge", "has_contract", "pmc")
    }
    columns["one"] = pointing(t, starts.column("one"), 2)
    columns["many"] = pointing(t, starts.column("many"), 2)
    columns["end"] = pointing(end_code, _fetch(con, _SENTENCE_ENDS).column("text"), 0)
    del starts, case, end_code, ends

    # Lines without a rate (few) get their sentence on their own.
    unpriced = ~per_line["has_rate"]
    keep = pa.array(unpriced)
    subset = lines_in.select(["payer_id", "product_line", "procedure_code", "date_of_service"])
    subset = subset.filter(keep)
    subset = subset.append_column(
        "no_rate", pointing(cid, contract.column("no_rate"), 1).filter(keep)
    )
    subset = subset.append_column("has_contract", pa.array(per_line["has_contract"][unpriced]))
    subset = subset.append_column("pmc", pa.array(per_line["pmc"][unpriced]))
    con.register("unpriced_in", subset)
    sentences = _fetch(con, _UNPRICED_SENTENCES).column("text")
    where = np.cumsum(unpriced) - 1
    columns["unpriced"] = pointing(np.where(unpriced, where, len(sentences)), sentences, 1)
    table = pa.table(columns)
    del columns, subset
    batches = table.to_batches(max_chunksize=_EXPLAIN_BATCH)
    con.register("explain_in", pa.Table.from_batches(batches, table.schema))
    # Streamed batch by batch: the sentences (~130 bytes a line) are held once, not once by
    # DuckDB and again as Arrow.
    reader = _batches(con, _EXPLAIN, 1 << 20)
    text = pa.chunked_array([b.column(0) for b in reader], pa.large_string())
    return text.to_pandas()
