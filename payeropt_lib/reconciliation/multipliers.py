"""Each payer's effective multiple of Medicare, inferred from what it actually allowed.

Many payers pay "a multiple of Medicare for a given Medicare year" without sharing the
schedule. ``infer`` reads the remitted lines that count (``remitted.adjudicated``) and
gives, per payer and product line, the multiple they show: a robust central value, its
spread over lines, codes and months, the Medicare year that fits best, the contract's
percent beside it and a flag where the two part beyond a tolerance ("contract 125%,
remittances show 118% since 2025-07"). ``draft_contract`` turns one payer's figures into a
contracts.csv row for review. docs/multipliers.md has the decisions and a worked example.

Pure functions over frames; no store, no clock, no loop over lines. Percents and ratios are
exact integers in thousandths of a percent (``*_x1000``: 125 % = 125000), each line's
ratio rounded half up once from its cents: allowed × 100000 / (units × Medicare per unit).
Central values are order statistics (a ratio some line has), never an average of two, so
no float ever holds a figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from payeropt_lib.errors import NoInferredMultiplier
from payeropt_lib.formats import percent_x1000_texts
from payeropt_lib.money import half_up_div
from payeropt_lib.pricing.ranking import rank_within
from payeropt_lib.reference.modifiers import pricing_modifiers
from payeropt_lib.reference.place_of_service import FACILITY_POS

# --- parameters ------------------------------------------------------------------------

GAP_TOLERANCE_X1000 = 2_000  # 2 percentage points between the median and the contract
MIN_LINES = 30  # fewer counted lines than this: "too few lines", never a flag
# A candidate Medicare year is compared only when it prices at least this share (in
# tenths) of the lines the best-covered candidate prices: a year that lacks half the
# codes would "fit" on the few it has.
YEAR_COVERAGE_TENTHS = 9
_PERCENT = 100_000  # 100 % in thousandths of a percent: a ratio of 1 is 100000

# CLP06, the 835's claim filing indicator, as a product line of contracts.csv. Only codes
# that name a kind of plan; the others (17 dental, AM auto, CH TRICARE, DS disability, LM
# liability, OF other federal, TV title V, VA, WC workers' comp, ZZ mutually defined, and BL
# and CI, which are 837 codes an 835 should not carry) say nothing of the product line.
FILING_INDICATORS: dict[str, str] = {
    "12": "PPO",
    "13": "POS",
    "14": "EPO",
    "15": "INDEMNITY",
    "16": "MEDICARE_ADVANTAGE",  # HMO Medicare risk
    "HM": "HMO",
    "MA": "MEDICARE",  # Part A
    "MB": "MEDICARE",  # Part B
    "MC": "MEDICAID",
}

# Modifiers under which a payer pays less than the code's full price (bilateral,
# multiple procedure, reduced or discontinued, co-surgeons, team, assistant at surgery):
# such a line says nothing of the payer's multiple.
PAYMENT_MODIFIERS = ("50", "51", "52", "53", "62", "66", "73", "74", "80", "81", "82", "AS")
# Medicare's multiple-procedure indicators that reduce a 2nd or later service of the day.
REDUCING_INDICATORS = ("2", "3", "4", "5", "6", "7")

# Why a line is left out, in the order the reasons are tried (the first that applies).
EXCLUSIONS = (
    "not_primary",  # a secondary payer's allowed is not its own contract's
    "denied",
    "bundled",
    "zero_allowed",
    "at_charge",  # allowed the billed charge: the charge, not the multiple, set it
    "reduced",  # a 2nd procedure, a payment modifier, or not priced at the full rate
    "no_medicare",  # no Medicare amount for the code, modifier, setting and date
)

# --- inputs ----------------------------------------------------------------------------

LINE_COLUMNS = [
    "remit_id", "claim_id", "line_number", "payer_id", "product_line", "procedure_code",
    "modifiers", "units", "date_of_service", "service_month", "charge_cents",
    "allowed_cents", "primary", "outcome", "full_price", "place_of_service",
    "filing_indicator",
]  # fmt: skip
CONTRACT_COLUMNS = [
    "payer_id", "product_line", "effective_from", "basis", "medicare_percent_x1000",
    "medicare_locality",
]  # fmt: skip
MEDICARE_COLUMNS = [
    "locality", "procedure_code", "modifier", "effective_from", "effective_to",
    "non_facility_cents", "facility_cents", "mult_proc",
]  # fmt: skip

# --- outputs ---------------------------------------------------------------------------

RATIO_COLUMNS = [
    "product_line", "product_line_source", "pricing_modifier", "site", "locality",
    "contract_basis", "contract_x1000", "medicare_cents", "mult_proc", "reason", "ratio_x1000",
]  # fmt: skip
MULTIPLIER_COLUMNS = [
    "payer_id", "product_line", "lines", "codes", "months", "first_month", "last_month",
    *EXCLUSIONS,
    "median_x1000", "q1_x1000", "q3_x1000", "iqr_x1000", "code_iqr_x1000", "month_iqr_x1000",
    "dispersion_x1000", "medicare_year", "year_median_x1000", "year_dispersion_x1000",
    "medicare_locality", "contract_basis", "contract_x1000", "gap_x1000", "status",
    "since_month", "note",
]  # fmt: skip
# contracts.csv columns (interface §1), then the evidence a reviewer reads (ignored on import).
DRAFT_COLUMNS = [
    "payer_id", "payer_name", "product_line", "payer_class", "effective_from", "renewal_date",
    "notice_days", "basis", "medicare_percent", "medicare_locality", "lesser_of_charges",
    "mppr_percent", "timely_filing_days", "payer_aliases", "appeal_days", "payment_rules",
    "medicare_year", "evidence",
]  # fmt: skip

STATUSES = (
    "too few lines",
    "no percent contract",
    "beyond tolerance",
    "watch",
    "within tolerance",
)
_DAY = np.dtype("datetime64[D]")


# --- product lines -----------------------------------------------------------------------


def product_lines(lines: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """Each line's product line: the charge's, else the one its 835 claim filing
    indicator names when the payer has that plan.

    Needs ``lines``: payer_id, product_line ('' = the charge did not say),
    filing_indicator (CLP06, NA = none) and ``contracts``: payer_id, product_line. The
    indicator alone is not trusted (senders fill it loosely; a Medicare claim marked 12
    PPO is common): it counts only when the payer has a plan of that product line, i.e. a
    contract of its own or another charge line of the payer that names it. Returns
    product_line and product_line_source ('charge', '835' or '' when neither says), same
    index.
    """
    own, own_u = pd.factorize(lines["product_line"].fillna("").astype("str"), sort=True)
    # A few distinct indicators: each read once, not once a line.
    told, told_u = pd.factorize(lines["filing_indicator"], use_na_sentinel=False)
    named_of = [FILING_INDICATORS.get(str(t).strip().upper(), "") if pd.notna(t) else ""
                for t in told_u]  # fmt: skip
    named_of_code, named_u = pd.factorize(np.array(named_of, dtype=object), sort=True)
    named = named_of_code[told] if len(told) else np.zeros(0, np.int64)
    own_u, named_u = pd.Index(own_u, dtype="str"), pd.Index(named_u, dtype="str")
    own_blank = own == own_u.get_indexer([""])[0] if "" in own_u else np.zeros(len(own), bool)
    plans = pd.concat(
        [
            contracts.loc[contracts["product_line"].ne(""), ["payer_id", "product_line"]],
            pd.DataFrame(
                {
                    "payer_id": lines["payer_id"].to_numpy()[~own_blank],
                    "product_line": own_u.to_numpy()[own[~own_blank]],
                }
            ),
        ]
    ).astype("str")
    named_series = pd.Series(pd.Categorical.from_codes(named, named_u), index=lines.index)
    _, asked = _key_ids(
        [plans["payer_id"], plans["product_line"]], [lines["payer_id"], named_series]
    )
    named_blank = named == (named_u.get_indexer([""])[0] if "" in named_u else -2)
    use = own_blank & ~named_blank & (asked >= 0)
    labels = pd.Index(sorted({*own_u, *named_u}))
    code = np.where(use, labels.get_indexer(named_u)[named] if len(named) else named,
                    labels.get_indexer(own_u)[own] if len(own) else own)  # fmt: skip
    source = np.where(~own_blank, 1, np.where(use, 2, 0))
    return pd.DataFrame(
        {
            "product_line": pd.Categorical.from_codes(code, labels),
            "product_line_source": pd.Categorical.from_codes(source, ["", "charge", "835"]),
        },
        index=lines.index,
    )


# --- each line's ratio ---------------------------------------------------------------------


def line_ratios(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    locality: str | None,
) -> pd.DataFrame:
    """Each line's ratio of allowed to Medicare, or why it is left out: ``_line_ratios``'
    frame (its docstring names the columns)."""
    return _line_ratios(lines, contracts, medicare_fees, locality)[0]


def _line_ratios(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    locality: str | None,
) -> tuple[pd.DataFrame, _FeeIndex]:
    """Each line's ratio of allowed to Medicare, or why it is left out.

    Needs ``lines`` with ``LINE_COLUMNS`` (``remitted.adjudicated`` plus the charge's
    place_of_service and the 835 claim's filing_indicator: ``claim_facts``), ``contracts``
    with ``CONTRACT_COLUMNS`` and ``medicare_fees`` with ``MEDICARE_COLUMNS`` (the
    practice's, completed from CMS's library: ``rates_cache.medicare_fees``). ``locality``
    is the practice's Medicare locality, used where no percent contract names one.

    Returns the lines plus ``RATIO_COLUMNS`` (labels are categoricals of str): product_line
    (``product_lines``) and its source; pricing_modifier ('', '26', 'TC'); site ('facility'
    by POS, else 'non_facility'); locality; the contract in force on the date of service for the
    payer and product line (its own beating an all-products one, as posting prices):
    contract_basis ('' = none) and contract_x1000 (Int64, percent contracts only);
    medicare_cents (Int64, per unit, the locality's amount for the site in force on the
    date of service); mult_proc; reason (one of ``EXCLUSIONS``, '' = counted) and
    ratio_x1000 (Int64, counted lines only) = allowed × 100000 / (units × medicare),
    rounded half up.
    """
    n = len(lines)
    out = lines.copy()
    resolved = product_lines(lines, contracts)
    out["product_line"] = resolved["product_line"]
    out["product_line_source"] = resolved["product_line_source"]
    dos = lines["date_of_service"].to_numpy().astype(_DAY).astype("int64")
    basis, percent, named = _contract_terms(out["payer_id"], out["product_line"], dos, contracts)
    percent_contract = basis == "medicare_percent"
    here = np.where(percent_contract & (named != ""), named, locality or "")
    out["pricing_modifier"] = _categorical(pricing_modifiers(lines["modifiers"]).to_numpy())
    place, place_u = pd.factorize(lines["place_of_service"], use_na_sentinel=False)
    facility = np.isin(np.asarray(place_u, dtype=object), list(FACILITY_POS))[place]
    out["site"] = pd.Categorical.from_codes(facility.astype(np.int8), ["non_facility", "facility"])
    out["locality"] = _categorical(here)
    out["contract_basis"] = _categorical(basis)
    out["contract_x1000"] = _nullable(np.where(percent_contract, percent, -1))

    fees = _FeeIndex(medicare_fees, out)
    at, found = fees.lookup(dos)
    medicare = np.where(found, np.where(facility, fees.fac[at], fees.nonfac[at]), 0)
    out["medicare_cents"] = _nullable(np.where(found, medicare, -1))
    mult_proc = np.where(found, fees.mult_proc[at], "")
    out["mult_proc"] = _categorical(mult_proc)

    units = lines["units"].to_numpy(dtype="int64")
    allowed = lines["allowed_cents"].to_numpy(dtype="int64")
    kind, kinds = pd.factorize(lines["outcome"])
    outcome = np.asarray(kinds, dtype=object)[kind] if len(kind) else np.zeros(0, object)
    priced = found & (medicare > 0)
    reduced = _reduced(lines, mult_proc, medicare * units, priced)
    tests = [
        ~lines["primary"].to_numpy(dtype=bool),
        outcome == "denied",
        outcome == "bundled",
        allowed <= 0,
        allowed >= lines["charge_cents"].to_numpy(dtype="int64"),
        reduced,
        ~priced,
    ]
    reason = np.select(tests, np.arange(1, len(EXCLUSIONS) + 1), default=0)
    counted = reason == 0
    ratio = np.zeros(n, dtype="int64")
    base = units[counted] * medicare[counted]
    ratio[counted] = (allowed[counted] * 2 * _PERCENT + base) // (2 * base)  # half up
    out["reason"] = pd.Categorical.from_codes(reason, ["", *EXCLUSIONS])
    out["ratio_x1000"] = _nullable(np.where(counted, ratio, -1))
    return out, fees


def _categorical(values: np.ndarray) -> pd.Categorical:
    """Text values (an object array of a few distinct ones) as a categorical of str:
    a byte or two a line instead of a string each."""
    codes, uniques = pd.factorize(values, sort=True)
    return pd.Categorical.from_codes(codes, pd.Index(uniques, dtype="str"))


def _reduced(
    lines: pd.DataFrame, mult_proc: np.ndarray, amount: np.ndarray, priced: np.ndarray
) -> np.ndarray:
    """Lines not paid at their code's full price: not full price by their contract, a
    payment modifier, or a 2nd or later service of the same claim and day under a
    reducing multiple-procedure indicator (ranked by Medicare amount, as Medicare ranks;
    this also catches payers without a contract, which posting does not rank)."""
    not_full = ~lines["full_price"].to_numpy(dtype=bool)
    pattern = r"(?:^|:)(?:" + "|".join(PAYMENT_MODIFIERS) + r")(?::|$)"
    codes, uniques = pd.factorize(lines["modifiers"].fillna("").astype("str"))
    modified = pd.Series(uniques).str.contains(pattern, regex=True).to_numpy(bool)[codes]
    ranked = priced & np.isin(mult_proc, REDUCING_INDICATORS)
    later = np.zeros(len(lines), dtype=bool)
    if ranked.any():
        sub = lines[ranked]
        group = sub.groupby(
            ["remit_id", "claim_id", "date_of_service"], sort=False, observed=True
        ).ngroup()
        rank, _, _ = rank_within(
            group.to_numpy(dtype="int64"),
            amount[ranked],
            sub["line_number"].to_numpy(dtype="int64"),
        )
        later[np.flatnonzero(ranked)] = rank >= 2
    return not_full | modified | later


def _contract_terms(
    payer: pd.Series, product_line: pd.Series, days: np.ndarray, contracts: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """basis ('' = none), medicare_percent_x1000 (0 = none) and medicare_locality ('') of
    the contract in force on each day: the product line's own latest start on or before
    the day, else the payer's all-products one (``expected`` rule 1)."""
    terms = contracts[CONTRACT_COLUMNS].reset_index(drop=True)
    start = terms["effective_from"].to_numpy().astype(_DAY).astype("int64")
    basis = terms["basis"].astype("str").to_numpy()
    percent = terms["medicare_percent_x1000"].astype("Int64").fillna(0).to_numpy("int64")
    named = terms["medicare_locality"].fillna("").astype("str").to_numpy()
    keys = [terms["payer_id"], terms["product_line"]]
    row_id, line_id = _key_ids(keys, [payer, product_line])
    own = _in_force(row_id, start, None, line_id, days)
    row_id, line_id = _key_ids(keys, [payer, pd.Series("", index=payer.index)])
    blank = _in_force(row_id, start, None, line_id, days)
    row = np.where(own >= 0, own, blank)
    has = row >= 0
    pick = np.where(has, row, 0)

    def take(values: np.ndarray, empty: object) -> np.ndarray:
        return np.where(has, values[pick], empty) if len(values) else np.full(len(row), empty)

    return take(basis, ""), take(percent, 0), take(named, "")


def _in_force(
    row_id: np.ndarray,
    row_from: np.ndarray,
    row_to: np.ndarray | None,
    line_id: np.ndarray,
    line_days: np.ndarray,
) -> np.ndarray:
    """For each line, the position of the row of its key (``_key_ids``) whose ``[from,
    to)`` holds its day (the latest start on or before it), -1 for none. Keys and days
    become one sorted int64 per row, searched once for all lines (no join the size of
    lines × rows)."""
    if not len(row_from) or not len(line_days):
        return np.full(len(line_days), -1, dtype=np.int64)
    shift = np.int64(1 << 32)  # days since 1970 fit in 32 bits with room to spare
    offset = np.int64(1 << 31)
    packed = row_id * shift + (row_from + offset)
    order = np.argsort(packed, kind="stable")
    wanted = line_id * shift + (line_days + offset)
    pos = np.searchsorted(packed[order], wanted, side="right") - 1
    ok = pos >= 0
    at = order[np.where(ok, pos, 0)]
    ok &= (line_id >= 0) & (row_id[at] == line_id)
    if row_to is not None:
        ok &= row_to[at] > line_days
    return np.where(ok, at, -1)


def _key_ids(rows: list[pd.Series], lines: list[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """One int64 id per distinct key of the (few) ``rows``, and each of the (many)
    ``lines``' key's id among them (-1: no row has it). Each line column is factorized
    once and the rows' values looked up among its values; codes combine in mixed radix."""
    row_key = np.zeros(len(rows[0]), dtype=np.int64)
    line_key = np.zeros(len(lines[0]), dtype=np.int64)
    for row_column, line_column in zip(rows, lines, strict=True):
        if isinstance(line_column.dtype, pd.CategoricalDtype):
            codes, uniques = line_column.cat.codes.to_numpy(), line_column.cat.categories
        else:
            codes, uniques = pd.factorize(line_column, use_na_sentinel=False)
        found = pd.Index(uniques).get_indexer(row_column.fillna("").astype("str"))
        # A row value no line has (-1) gets code 0 and the lines' codes move up one.
        width = np.int64(len(uniques) + 1)
        row_key = row_key * width + (found + 1)
        line_key = line_key * width + (codes.astype(np.int64) + 1)
    row_id, distinct = pd.factorize(row_key)
    line_id = pd.Index(distinct).get_indexer(line_key)
    return row_id.astype(np.int64), line_id.astype(np.int64)


class _FeeIndex:
    """The Medicare rows of each line's locality, code and pricing modifier, searched by
    day (the line's date of service, or the same day of another year)."""

    def __init__(self, medicare_fees: pd.DataFrame, lines: pd.DataFrame) -> None:
        fees = medicare_fees[MEDICARE_COLUMNS].reset_index(drop=True)
        self.start = fees["effective_from"].to_numpy().astype(_DAY).astype("int64")
        to = fees["effective_to"]
        far = np.iinfo(np.int64).max
        ends = to.to_numpy().astype(_DAY).astype("int64")
        self.end = np.where(to.isna().to_numpy(), far, ends)
        self.nonfac = fees["non_facility_cents"].to_numpy(dtype="int64")
        self.fac = fees["facility_cents"].to_numpy(dtype="int64")
        self.mult_proc = fees["mult_proc"].astype("str").fillna("").to_numpy()
        self.years = np.unique(fees["effective_from"].dt.year.to_numpy()) if len(fees) else []
        self.row_id, self.line_id = _key_ids(
            [fees["locality"], fees["procedure_code"], fees["modifier"]],
            [lines["locality"], lines["procedure_code"], lines["pricing_modifier"]],
        )

    def lookup(
        self, days: np.ndarray, which: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The row in force on ``days`` (int days since 1970) of each line, or of the lines
        ``which`` (positions), and whether there is one."""
        ids = self.line_id if which is None else self.line_id[which]
        at = _in_force(self.row_id, self.start, self.end, ids, days)
        return np.where(at >= 0, at, 0), at >= 0


def same_day_in(days: np.ndarray, year: int) -> np.ndarray:
    """The same month and day in ``year`` (29 February → 28 February in a common year),
    as int days since 1970."""
    d = days.astype(_DAY)
    months = d.astype("datetime64[M]")
    month_of_year = months.astype("int64") % 12
    day_of_month = (d - months.astype(_DAY)).astype("int64")
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not leap:
        day_of_month = np.where((month_of_year == 1) & (day_of_month == 28), 27, day_of_month)
    start = np.datetime64(f"{year:04d}-01", "M") + month_of_year
    return (start.astype(_DAY) + day_of_month).astype("int64")


# --- order statistics ------------------------------------------------------------------


def _quantiles(
    group: np.ndarray, values: np.ndarray, n_groups: int, qs: tuple[tuple[int, int], ...]
) -> list[np.ndarray]:
    """Per group, for each fraction q = a/b in ``qs``, the value at rank ⌊(n−1)·q⌋ of its
    sorted values (nearest rank below: a value the group has, no interpolation; q = 1/2
    is the median, the lower middle of an even count). -1 where a group has no value."""
    ordered = _sorted_within(group, values)
    counts = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    has = counts > 0
    found = []
    for a, b in qs:
        rank = (counts - 1) * a // b
        out = np.full(n_groups, -1, dtype=np.int64)
        out[has] = ordered[starts[has] + rank[has]]
        found.append(out)
    return found


def _sorted_within(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` sorted by group, then value. One int64 sort of group × span + value
    where that fits (the usual case: ratios span a few million), else a lexsort."""
    if not len(values):
        return values
    low = values.min()
    span = int(values.max() - low) + 1
    if (int(group.max()) + 1) * span < 2**62:
        packed = np.sort(group * np.int64(span) + (values - low))
        return packed % np.int64(span) + low
    return values[np.lexsort((values, group))]


_MEDIAN = ((1, 2),)
_QUARTILES = ((1, 4), (1, 2), (3, 4))


def _median(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    return _quantiles(group, values, n_groups, _MEDIAN)[0]


def _spread(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """The interquartile range per group (Q3 − Q1, nearest ranks); -1 without values."""
    q1, _, q3 = _quantiles(group, values, n_groups, _QUARTILES)
    return np.where(q1 >= 0, q3 - q1, -1)


def _dispersion(group: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Median and relative median absolute deviation (MAD / median, x1000 of a percent)
    per group; -1 where a group has no value."""
    med = _median(group, values, n_groups)
    mad = _median(group, np.abs(values - med[group]), n_groups)
    positive = np.maximum(med, 1)
    rel = (np.maximum(mad, 0) * 2 * _PERCENT + positive) // (2 * positive)  # half up
    return med, np.where(med > 0, rel, -1)


def _sub_medians(
    group: np.ndarray, sub: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The median of each (group, sub) pair and the group each pair belongs to."""
    width = np.int64(sub.max() + 1) if len(sub) else np.int64(1)
    of, pair = pd.factorize(group * width + sub)
    return _median(of.astype(np.int64), values, len(pair)), (pair // width).astype(np.int64)


def _nullable(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Int64 with -1 (no value) as NA."""
    values = np.asarray(values, dtype=np.int64)
    out = pd.array(values, dtype="Int64")
    out[values < 0] = pd.NA
    return out


# --- the multipliers -------------------------------------------------------------------


def infer(
    lines: pd.DataFrame,
    contracts: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    locality: str | None,
    *,
    tolerance_x1000: int = GAP_TOLERANCE_X1000,
    min_lines: int = MIN_LINES,
) -> pd.DataFrame:
    """Per payer and product line, the multiple of Medicare its remittances show.

    Needs what ``line_ratios`` needs. ``tolerance_x1000``: the gap between the median and
    the contract's percent (percentage points × 1000) beyond which a payer is flagged;
    ``min_lines``: counted lines below which a payer is "too few lines", never flagged.

    Returns one row per payer_id and product_line (as ``product_lines`` reads it), sorted,
    with ``MULTIPLIER_COLUMNS``:

    - lines (counted), codes (code + pricing modifier), months, first_month, last_month;
      then one count per reason a line was left out (``EXCLUSIONS``);
    - median_x1000, q1_x1000, q3_x1000, iqr_x1000 of the ratios over the counted lines
      (Medicare of the date of service); code_iqr_x1000 and month_iqr_x1000, the IQR of
      the per-code and per-month medians; dispersion_x1000 = MAD / median (x1000 of a
      percent);
    - medicare_year (Int64; NA = the year of service fits best, i.e. current Medicare):
      among the current schedule and each year with Medicare amounts on file (the date of
      service moved to that year), the one under which the ratios are most consistent
      (least MAD / median; ties: current, then the latest year), with its median and
      dispersion (year_median_x1000, year_dispersion_x1000);
    - medicare_locality (of the last line), contract_basis ('' = no contract) and
      contract_x1000 (Int64, percent contracts only) of the contract in force on the last
      date of service; gap_x1000 = median − contract;
    - status (``STATUSES``), since_month and note: "beyond tolerance" when the monthly
      medians have stayed beyond the tolerance on the same side of the contract from
      since_month to the last month, on at least ``min_lines`` lines whose median is beyond
      it too ("contract 125%, remittances show 118% since 2025-07"); "watch" when such a
      run holds fewer lines; "too few lines" under ``min_lines`` lines; "no percent
      contract" when there is no percent of Medicare to compare with.
    All *_x1000 figures are Int64 (NA where there is no line).
    """
    ratios, fees = _line_ratios(lines, contracts, medicare_fees, locality)
    group_ids = ratios.groupby(["payer_id", "product_line"], sort=True, observed=True).ngroup()
    g = group_ids.to_numpy(dtype=np.int64)
    keys = (
        ratios[["payer_id", "product_line"]]
        .assign(_g=g)
        .drop_duplicates("_g")
        .sort_values("_g")[["payer_id", "product_line"]]
        .reset_index(drop=True)
    )
    n_groups = len(keys)
    out = keys.copy()
    reason = ratios["reason"].cat.codes.to_numpy()  # 0 = counted, k = EXCLUSIONS[k - 1]
    counted = reason == 0
    for k, name in enumerate(EXCLUSIONS, start=1):
        out[name] = np.bincount(g[reason == k], minlength=n_groups).astype("int64")

    gc = g[counted]
    r = ratios.loc[counted, "ratio_x1000"].to_numpy(dtype=np.int64)
    month = ratios.loc[counted, "service_month"].to_numpy().astype("datetime64[M]")
    month_n = month.astype(np.int64)
    code_ids, _ = pd.factorize(ratios.loc[counted, "procedure_code"])
    modifier = ratios.loc[counted, "pricing_modifier"].cat.codes.to_numpy().astype(np.int64)
    code = code_ids.astype(np.int64) * 3 + modifier  # '', 26, TC: three at most
    out["lines"] = np.bincount(gc, minlength=n_groups).astype("int64")
    out["codes"] = _distinct(gc, code, n_groups)
    out["months"] = _distinct(gc, month_n, n_groups)
    first, last = _extremes(gc, month_n, n_groups)
    out["first_month"] = _months(first)
    out["last_month"] = _months(last)

    q1, med, q3 = _quantiles(gc, r, n_groups, _QUARTILES)
    _, rel = _dispersion(gc, r, n_groups)
    out["median_x1000"] = _nullable(med)
    out["q1_x1000"] = _nullable(q1)
    out["q3_x1000"] = _nullable(q3)
    out["iqr_x1000"] = _nullable(np.where(med >= 0, q3 - q1, -1))
    code_med, code_parent = _sub_medians(gc, code, r)
    out["code_iqr_x1000"] = _nullable(_spread(code_parent, code_med, n_groups))
    month_med, month_parent = _sub_medians(gc, month_n - month_n.min(initial=0), r)
    out["month_iqr_x1000"] = _nullable(_spread(month_parent, month_med, n_groups))
    out["dispersion_x1000"] = _nullable(rel)

    year, year_med, year_rel = _best_year(ratios, g, n_groups, fees)
    out["medicare_year"] = _nullable(np.where(year > 0, year, -1))
    out["year_median_x1000"] = _nullable(year_med)
    out["year_dispersion_x1000"] = _nullable(year_rel)

    latest = _latest(g, ratios["date_of_service"].to_numpy(), n_groups)
    out["medicare_locality"] = ratios["locality"].to_numpy()[latest]
    out["contract_basis"] = ratios["contract_basis"].to_numpy()[latest]
    contract = ratios["contract_x1000"].fillna(-1).to_numpy(dtype=np.int64)[latest]
    out["contract_x1000"] = _nullable(contract)
    gap = pd.array(med - contract, dtype="Int64")  # may be negative: NA set apart
    gap[(contract < 0) | (med < 0)] = pd.NA
    out["gap_x1000"] = gap

    status, since, note = _flags(
        gc, month_n, r, ratios.loc[counted, "contract_x1000"], n_groups, contract, out["lines"],
        tolerance_x1000, min_lines,
    )  # fmt: skip
    out["status"] = status
    out["since_month"] = _months(since)
    out["note"] = note
    return out[MULTIPLIER_COLUMNS]


def _distinct(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """How many distinct values (≥ 0) each group has."""
    if not len(group):
        return np.zeros(n_groups, dtype=np.int64)
    width = np.int64(values.max() + 1)
    ordered = np.sort(group * width + values)
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return np.bincount(ordered[first] // width, minlength=n_groups).astype(np.int64)


def _extremes(group: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Smallest and largest value per group (-1 without values; values are ≥ 0 months)."""
    low = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(n_groups, -1, dtype=np.int64)
    np.minimum.at(low, group, values)
    np.maximum.at(high, group, values)
    return np.where(high >= 0, low, -1), high


def _months(months: np.ndarray) -> pd.Series:
    """Months since 1970 (-1 = none) as first days (datetime64[ns], NaT = none)."""
    days = np.where(months >= 0, months, 0).astype("datetime64[M]").astype("datetime64[ns]")
    return pd.Series(days).where(months >= 0)


def _latest(group: np.ndarray, dates: np.ndarray, n_groups: int) -> np.ndarray:
    """Each group's position with the latest date (ties: the last such position)."""
    days = dates.astype(_DAY).astype(np.int64)
    low = days.min(initial=0)
    order = np.argsort(group * np.int64(days.max(initial=0) - low + 1) + (days - low))
    ends = _ends(group[order])
    last = np.zeros(n_groups, dtype=np.int64)
    last[group[order][ends]] = order[ends]
    return last


def _ends(sorted_groups: np.ndarray) -> np.ndarray:
    """Positions of the last element of each run of equal values in a sorted array."""
    ends = np.ones(len(sorted_groups), dtype=bool)
    ends[:-1] = sorted_groups[1:] != sorted_groups[:-1]
    return np.flatnonzero(ends)


def _best_year(
    ratios: pd.DataFrame, g: np.ndarray, n_groups: int, fees: _FeeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """medicare_year (0 = current), its median and relative MAD per group.

    Candidates: current (each line's own date of service) and each year with Medicare
    amounts on file (the date of service moved to that year: ``same_day_in``). The lines
    compared are those left out of nothing but the Medicare amount; each candidate prices
    what it can, and counts only if it prices at least ``YEAR_COVERAGE_TENTHS``/10 of what
    the best-covered candidate prices for that payer."""
    reason = ratios["reason"].cat.codes.to_numpy()
    usable = np.flatnonzero((reason == 0) | (reason == 1 + EXCLUSIONS.index("no_medicare")))
    sub = ratios.iloc[usable]
    gs = g[usable]
    dos = sub["date_of_service"].to_numpy().astype(_DAY).astype("int64")
    facility = sub["site"].cat.codes.to_numpy() == 1  # ["non_facility", "facility"]
    allowed = sub["allowed_cents"].to_numpy(dtype=np.int64)
    units = sub["units"].to_numpy(dtype=np.int64)
    candidates = [0, *sorted((int(y) for y in fees.years), reverse=True)]
    big = np.iinfo(np.int64).max
    rels, meds, covered = [], [], []
    for year in candidates:
        at, found = fees.lookup(dos if year == 0 else same_day_in(dos, year), usable)
        medicare = np.where(facility, fees.fac[at], fees.nonfac[at])
        ok = found & (medicare > 0)
        base = units[ok] * medicare[ok]
        r = (allowed[ok] * 2 * _PERCENT + base) // (2 * base)
        med, rel = _dispersion(gs[ok], r, n_groups)
        meds.append(med)
        rels.append(np.where(rel >= 0, rel, big))
        covered.append(np.bincount(gs[ok], minlength=n_groups))
    cover = np.array(covered)
    eligible = (cover * 10 >= YEAR_COVERAGE_TENTHS * cover.max(axis=0)) & (cover > 0)
    score = np.where(eligible, np.array(rels), big)
    best = np.argmin(score, axis=0)  # the first of equals: current, then the latest year
    pick = np.arange(n_groups)
    none = ~eligible[best, pick]
    year = np.where(none, -1, np.array(candidates)[best])
    med = np.where(none, -1, np.array(meds)[best, pick])
    rel = np.where(none, -1, np.array(rels)[best, pick])
    return year, med, rel


def _flags(
    group: np.ndarray,
    month: np.ndarray,
    ratio: np.ndarray,
    contract_x1000: pd.Series,
    n_groups: int,
    contract_now: np.ndarray,
    lines: pd.Series,
    tolerance: int,
    min_lines: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """status, since_month (months since 1970, -1 = none) and note per group."""
    contract = contract_x1000.fillna(-1).to_numpy(dtype=np.int64)
    status = np.full(n_groups, "within tolerance", dtype=object)
    since = np.full(n_groups, -1, dtype=np.int64)
    note = np.full(n_groups, "", dtype=object)
    n = lines.to_numpy(dtype=np.int64)
    status[contract_now < 0] = "no percent contract"
    status[n < min_lines] = "too few lines"
    judged = (n >= min_lines) & (contract_now >= 0)
    if not judged.any() or not len(group):
        return status, since, note

    # Each payer's months, in order: the monthly median against the contract of that month.
    width = np.int64(month.max() - month.min() + 1)
    pair_key = group * width + (month - month.min())
    pairs, pair_of = np.unique(pair_key, return_inverse=True)
    pair_group = pairs // width
    pair_month = pairs % width + month.min()
    pair_n = np.bincount(pair_of, minlength=len(pairs))
    monthly = _median(pair_of.astype(np.int64), ratio, len(pairs))
    has_c = contract >= 0
    pair_c = _median(pair_of[has_c].astype(np.int64), contract[has_c], len(pairs))
    gap = monthly - pair_c
    side = np.where(pair_c < 0, 0, np.where(gap > tolerance, 1, np.where(gap < -tolerance, -1, 0)))
    # The last month's side; a run is the months since the last one not on that side.
    last_pair = np.zeros(n_groups, dtype=np.int64)
    ends = _ends(pair_group)  # pairs are sorted by group, then month
    last_pair[pair_group[ends]] = ends
    present = np.bincount(pair_group, minlength=n_groups) > 0
    last_side = np.where(present, side[last_pair], 0)
    breaks = side != last_side[pair_group]
    last_break = np.full(n_groups, -1, dtype=np.int64)
    np.maximum.at(last_break, pair_group[breaks], np.flatnonzero(breaks))
    first_of = np.full(n_groups, len(pairs), dtype=np.int64)
    np.minimum.at(first_of, pair_group, np.arange(len(pairs)))
    run_start = np.maximum(last_break + 1, first_of)
    in_run = np.arange(len(pairs)) >= run_start[pair_group]
    running = judged & present & (last_side != 0)
    run_lines = np.bincount(pair_group[in_run], weights=pair_n[in_run], minlength=n_groups)
    start_month = np.where(running, pair_month[np.minimum(run_start, len(pairs) - 1)], -1)
    # The run's lines together: their median must be beyond the contract too.
    line_in_run = running[group] & (month >= start_month[group])
    run_med = _median(group[line_in_run], ratio[line_in_run], n_groups)
    beyond = running & (np.abs(run_med - contract_now) > tolerance) & (run_med >= 0)
    flagged = beyond & (run_lines >= min_lines)
    watch = beyond & ~flagged
    status[flagged] = "beyond tolerance"
    status[watch] = "watch"
    since[beyond] = start_month[beyond]
    if beyond.any():
        shown = _month_texts(start_month[beyond])
        paid = _tenths(run_med[beyond]).to_numpy()
        said = percent_x1000_texts(contract_now[beyond]).to_numpy()
        text = "contract " + said + ", remittances show " + paid + " since " + shown
        count = run_lines[beyond].astype(np.int64).astype(str)
        note[beyond] = np.where(
            flagged[beyond], text, text + " (" + count + " lines: too few to flag)"
        )
    return status, since, note


def _tenths(x1000: np.ndarray) -> pd.Series:
    """Percents rounded half up to a tenth, written without a trailing zero: '118%',
    '118.4%'."""
    return percent_x1000_texts(half_up_div(x1000, 100) * 100)


def _month_texts(months: np.ndarray) -> np.ndarray:
    """Months since 1970 as 'YYYY-MM'."""
    return np.datetime_as_string(months.astype("datetime64[M]"), unit="M").astype(object)


# --- the contract a payer without a written schedule could sign -------------------------


def draft_contract(
    multipliers: pd.DataFrame,
    payer_id: str,
    product_line: str = "",
    *,
    payer_name: str | None = None,
    payer_class: str = "OTHER",
) -> pd.DataFrame:
    """A contracts.csv row (``DRAFT_COLUMNS``) at the multiple ``infer`` found for one
    payer and product line, for the practice to review; None of it is stored.

    basis medicare_percent at year_median_x1000 rounded half up to a tenth of a percent,
    the best-fitting medicare_year (blank = current), its medicare_locality, in force from
    the first month of the lines it was read from; contracts.csv defaults elsewhere
    (lesser of charges true, MPPR 50 %, notice 90 days, appeal 90 days) and an evidence
    column a reviewer reads (ignored on import). Raises ``NoInferredMultiplier`` when the
    payer has no such row or too few lines (status "too few lines").
    """
    mine = multipliers[
        multipliers["payer_id"].eq(payer_id) & multipliers["product_line"].eq(product_line)
    ]
    if mine.empty:
        raise NoInferredMultiplier(payer_id, product_line, 0, "no remitted lines")
    row = mine.iloc[0]
    if row["status"] == "too few lines" or pd.isna(row["year_median_x1000"]):
        raise NoInferredMultiplier(payer_id, product_line, int(row["lines"]), "too few lines")
    percent = _tenths(np.array([int(row["year_median_x1000"])])).str.rstrip("%").iloc[0]
    year = "" if pd.isna(row["medicare_year"]) else str(int(row["medicare_year"]))
    of = f"{year} Medicare" if year else "Medicare of the date of service"
    evidence = (
        f"inferred from {int(row['lines'])} lines, {_month_text(row['first_month'])} to "
        f"{_month_text(row['last_month'])}: median "
        f"{percent_x1000_texts(np.array([int(row['year_median_x1000'])]), 1).iloc[0]} of {of}"
        f", IQR {percent_x1000_texts(np.array([int(row['iqr_x1000'])]), 1).iloc[0]}"
    )
    return pd.DataFrame(
        [
            {
                "payer_id": payer_id,
                "payer_name": payer_name or payer_id,
                "product_line": product_line,
                "payer_class": payer_class,
                "effective_from": _month_text(row["first_month"]) + "-01",
                "renewal_date": "",
                "notice_days": "90",
                "basis": "medicare_percent",
                "medicare_percent": percent,
                "medicare_locality": row["medicare_locality"],
                "lesser_of_charges": "true",
                "mppr_percent": "50",
                "timely_filing_days": "",
                "payer_aliases": "",
                "appeal_days": "90",
                "payment_rules": "contract",
                "medicare_year": year,
                "evidence": evidence,
            }
        ],
        columns=DRAFT_COLUMNS,
    )


def _month_text(value: pd.Timestamp) -> str:
    return pd.Timestamp(value).strftime("%Y-%m")


def claim_facts(
    adjudicated: pd.DataFrame, charges: pd.DataFrame, remit_claims: pd.DataFrame
) -> pd.DataFrame:
    """``adjudicated`` lines with the charge's place_of_service and the 835 claim's
    filing_indicator (CLP06), the two facts ``line_ratios`` needs beyond them.

    Needs charges: claim_id, line_number, place_of_service; remit_claims: remit_id,
    claim_id, filing_indicator, is_reversal (a reversal's indicator is not the claim's)."""
    place = charges[["claim_id", "line_number", "place_of_service"]]
    claims = remit_claims.loc[
        ~remit_claims["is_reversal"].fillna(False).astype(bool),
        ["remit_id", "claim_id", "filing_indicator"],
    ].drop_duplicates(["remit_id", "claim_id"])
    out = adjudicated.merge(place, on=["claim_id", "line_number"], how="left")
    out = out.merge(claims, on=["remit_id", "claim_id"], how="left")
    out.index = adjudicated.index
    return out


def readable(multipliers: pd.DataFrame) -> pd.DataFrame:
    """``infer``'s figures as a billing manager reads them on screen: percents as text
    ('118.4%', gaps in points), the lines left out in words ('3 denied, 1 no_medicare')."""

    def pct(column: str) -> pd.Series:
        values = multipliers[column]
        text = percent_x1000_texts(values.fillna(0).astype("int64"), 1)
        return text.where(values.notna().to_numpy(), "")

    gap = multipliers["gap_x1000"]
    points = percent_x1000_texts(gap.abs().fillna(0).astype("int64"), 1).str.rstrip("%")
    signed = np.where(gap.fillna(0).to_numpy() < 0, "-", "+") + points + " pts"
    left = pd.Series("", index=multipliers.index)
    for name in EXCLUSIONS:
        count = multipliers[name]
        part = count.astype(str) + " " + name
        left = left.where(count.eq(0), left.where(left.eq(""), left + ", ") + part)
    year = multipliers["medicare_year"]
    return pd.DataFrame(
        {
            "payer_id": multipliers["payer_id"],
            "product_line": multipliers["product_line"],
            "lines": multipliers["lines"],
            "codes": multipliers["codes"],
            "median": pct("median_x1000"),
            "iqr": pct("iqr_x1000"),
            "code_iqr": pct("code_iqr_x1000"),
            "month_iqr": pct("month_iqr_x1000"),
            "best_year": year.astype("string")
            .fillna("current")
            .where(multipliers["year_median_x1000"].notna(), ""),
            "of_that_year": pct("year_median_x1000"),
            "contract": pct("contract_x1000"),
            "gap": pd.Series(signed, index=multipliers.index).where(gap.notna().to_numpy(), ""),
            "status": multipliers["status"],
            "note": multipliers["note"],
            "left_out": left,
        }
    )
