"""Payer performance: per payer and product line, what the payers made of the claims.

Pure functions over ``remitted.adjudicated`` (one row per remitted charge line that still
counts) and the practice's ``transactions``: money is int64 cents, percents are floats for
display only. No I/O, no loop over lines or claims (the demo has ~75k lines, a large
practice ~300k; every function here runs well under a second on that).

What is counted (docs/pages/payer-performance.md has the formulas):

- a line counts under its claim, and a claim under the payer, product line and month of
  service of its first line, so claims, lines and dollars of the rows add up exactly;
- only the primary payer's own adjudications (``primary``) make the payer's figures; a
  secondary payer's 835 payment on the claim is a payment *on the claim* (it counts in the
  net collection rate of the primary payer's row), not a figure of the secondary payer;
- a charge line paid twice (denied, then paid on a resubmission) counts its charge once.

Aggregate only (domain §10). Every frame returned is suppressed here: a count from 1 to 10
is hidden (NA, its ``<count>_small`` flag set), and so is every dollar or percent measured
over it (``TIES``); a row with fewer than 11 claims shows "<11" and nothing else. The
tables nest (practice → payer class → payer → product line; payer × month), so the
complementary rule of ``privacy.suppress`` is applied at every level and in both directions
of a grid, and repeated until the hidden parts of every shown total are either none or at
least two adding up to 11 or more (``suppress_tree``, ``suppress_grid``). A total whose
figure is hidden hides all its parts. The hidden set depends only on the counts, so the
payer rows are hidden alike on every page that shows them (payer performance, payer mix).

Guardrail (domain §10): payers of a federal class (``directory.FEDERAL_CLASSES``: Medicare,
Medicaid and their managed plans) are shown for reference and never ranked
(``payer_scorecard``). No patient attribute is read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from payeropt_lib import formats
from payeropt_lib.remittances.remitted import BUNDLED, DENIED, PAID_OUTCOMES

from .directory import ALL_PAYERS, FEDERAL_CLASSES, class_labels, payer_classes, payer_names
from .privacy import (
    SMALL_SUFFIX,
    TOTAL,
    masked,
    percent,
    shown_first,
    suppress_months,
    suppress_tree,
)

logger = logging.getLogger(__name__)

# What the page loads from ``transactions`` (the claim id only links a posting to its
# claim; it is never shown).
TRANSACTION_COLUMNS = ["claim_id", "type", "amount_cents"]
PAYMENT_TYPES = ("patient_payment", "secondary_payment")
REFUND = "refund"
CONTRACTUAL = "contractual"
UNDERPAID = "underpaid"

ALL_PRODUCTS = "All products"
NO_PRODUCT = "No product line"

# Counts of claims or lines: each is suppressed (1-10 hidden, complements too).
COUNTS = ["claims", "lines", "denied_claims", "paid_claims", "priced_lines", "underpaid_lines"]
# Each figure → the counts it is measured over; it is hidden when any of them is hidden.
# Every figure is tied to ``claims``: a row with fewer than 11 claims shows no dollars or
# rates. A rate is also tied to its numerator's count (5 % of 100 claims would give 5).
TIES: dict[str, tuple[str, ...]] = {
    "charge_cents": ("claims",),
    "allowed_cents": ("claims",),
    "paid_cents": ("claims",),
    "other_paid_cents": ("claims",),
    "refund_cents": ("claims",),
    "contractual_cents": ("claims",),
    "pct_net_collection": ("claims",),
    "pct_denial": ("claims", "denied_claims"),
    "median_days_to_payment": ("claims", "paid_claims"),
    "expected_cents": ("claims", "priced_lines"),
    "short_of_contract_cents": ("claims", "priced_lines"),
    "pct_allowed_of_expected": ("claims", "priced_lines"),
    "pct_underpaid": ("claims", "priced_lines", "underpaid_lines"),
}
FIGURES = list(TIES)
# Rates also as text with one decimal ("3.9%", "99.8%"): ``report.table`` prints whole
# percents, which would show every payer's allowed-of-expected as "<100%".
RATES = ["pct_net_collection", "pct_denial", "pct_allowed_of_expected", "pct_underpaid"]
TEXT_PREFIX = "text_"
RATE_TEXTS = [TEXT_PREFIX + r for r in RATES]
KPI_COLUMNS = [
    *COUNTS,
    *FIGURES,
    *RATE_TEXTS,
    *(c + SMALL_SUFFIX for c in COUNTS),
]
LABEL_COLUMNS = [
    "payer_id",
    "product_line",
    "payer_label",
    "product_label",
    "payer_class",
    "class_label",
    "federal",
    "level",
    "leaf",
    TOTAL,
]
PERFORMANCE_COLUMNS = [*LABEL_COLUMNS, *KPI_COLUMNS]

# Sums kept per line and per claim before the figures are worked out.
_LINE_SUMS = [
    "lines",
    "charge_cents",
    "allowed_cents",
    "paid_cents",
    "line_contractual_cents",
    "priced_lines",
    "expected_cents",
    "priced_allowed_cents",
    "underpaid_lines",
]
_CLAIM_SUMS = [
    "claims",
    "denied_claims",
    "paid_claims",
    "other_paid_cents",
    "refund_cents",
    "posted_contractual_cents",
]


# --- suppression over nested tables -----------------------------------------------------


# --- from lines to claims ---------------------------------------------------------------


def _sum_per(codes: np.ndarray, values: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """Integer sums of ``values`` per code 0..n-1 (exact: no float on money)."""
    summed = pd.Series(np.asarray(values, dtype="int64")).groupby(codes).sum()
    return summed.reindex(range(n), fill_value=0).to_numpy(dtype="int64", copy=True)


CLAIM_COLUMNS = [
    "payer_id",
    "product_line",
    "service_month",
    "payer_class",
    *_LINE_SUMS,
    *_CLAIM_SUMS,
    "days",
]


def claim_table(
    adjudicated: pd.DataFrame,
    transactions: pd.DataFrame | None = None,
    payers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per claim the primary payer adjudicated, with its sums (no claim id).

    Needs adjudicated: claim_id, line_number, payer_id, product_line, service_month,
    charge_cents, allowed_cents, paid_cents, days_to_payment, primary, outcome,
    expected_cents; transactions (optional): claim_id, type, amount_cents; payers
    (optional): payer_id, payer_class.

    Returns ``CLAIM_COLUMNS``: payer_id, product_line, service_month and payer_class of the
    claim's first line (so every count adds up across groups); from its lines: lines,
    charge_cents (each charge line once), allowed_cents, paid_cents,
    line_contractual_cents (charge − allowed, not below 0, on lines the payer paid),
    priced_lines (a contract rate, not denied or bundled), expected_cents and
    priced_allowed_cents (over priced lines), underpaid_lines; and claims (1),
    denied_claims (at least one denied line), paid_claims (at least one line paid), days
    (date of service → first payment, NaN if unpaid), other_paid_cents (patient and
    secondary payments: secondary 835s and transactions), refund_cents (refunds, as a
    positive amount), posted_contractual_cents (contractual adjustments posted in
    transactions).
    """
    primary = adjudicated["primary"].fillna(False).astype(bool).to_numpy()
    prim = adjudicated.loc[primary].reset_index(drop=True)
    # One factorization for every claim id we meet: the primary lines' claims come first,
    # numbered in order of first appearance (0..n-1), so the k-th first line is claim k.
    others = adjudicated.loc[~primary]
    tx = pd.DataFrame(columns=TRANSACTION_COLUMNS)
    if transactions is not None and len(transactions):
        tx = transactions
    ids = pd.concat(
        [prim["claim_id"], others["claim_id"], tx["claim_id"]], ignore_index=True
    ).astype("str")
    every, _ = pd.factorize(ids)
    codes = every[: len(prim)]
    n_claims = int(codes.max()) + 1 if len(codes) else 0
    at_others = every[len(prim) : len(prim) + len(others)]
    at_tx = every[len(prim) + len(others) :]
    first = ~pd.Series(codes).duplicated().to_numpy()
    claims = prim.loc[first, ["payer_id", "product_line", "service_month"]].reset_index(drop=True)
    claims["product_line"] = claims["product_line"].fillna("").astype("str")
    claims["payer_class"] = payer_classes(claims["payer_id"], payers)

    outcome = prim["outcome"].astype("str")
    charge = prim["charge_cents"].astype("int64")
    allowed = prim["allowed_cents"].astype("int64")
    paid = prim["paid_cents"].astype("int64")
    pays = outcome.isin(PAID_OUTCOMES)
    # A charge line adjudicated twice (denied, then paid on a resubmission) is one charge.
    top = prim["line_number"].max()
    line_key = pd.Series(codes.astype("int64") * (0 if pd.isna(top) else int(top) + 1))
    line_key += prim["line_number"].astype("int64").to_numpy()
    once = ~line_key.duplicated()
    if once.all():
        contractual = (charge - allowed).clip(lower=0).where(pays, 0)
    else:
        allowed_paid = allowed.where(pays, 0).groupby(line_key).transform("sum")
        paid_once = pays.groupby(line_key).transform("any")
        contractual = (charge - allowed_paid).clip(lower=0).where(paid_once & once, 0)
    expected = prim["expected_cents"]
    priced = priced_lines(prim)
    lines = pd.DataFrame(
        {
            "lines": np.ones(len(prim), dtype="int64"),
            "charge_cents": charge.where(once, 0),
            "allowed_cents": allowed,
            "paid_cents": paid,
            "line_contractual_cents": contractual.astype("int64"),
            "priced_lines": priced.astype("int64"),
            "expected_cents": expected.where(priced, 0).fillna(0).astype("int64"),
            "priced_allowed_cents": allowed.where(priced, 0),
            "underpaid_lines": (outcome.eq(UNDERPAID) & priced).astype("int64"),
            "denied_lines": outcome.eq(DENIED).astype("int64"),
        }
    )
    per_claim = lines.groupby(codes, sort=True).sum()
    for column in _LINE_SUMS:
        claims[column] = per_claim[column].to_numpy()

    paid_line = (paid.gt(0) & prim["days_to_payment"].notna()).to_numpy()
    days = (
        pd.Series(prim["days_to_payment"].to_numpy()[paid_line], dtype="float64")
        .groupby(codes[paid_line])
        .min()
        .reindex(range(n_claims))
    )
    # Payments on the claim besides the primary payer's: a secondary payer's 835 ...
    mine = at_others < n_claims
    other_paid = _sum_per(at_others[mine], others["paid_cents"].to_numpy()[mine], n_claims)
    refunds = np.zeros(n_claims, dtype="int64")
    posted_contractual = np.zeros(n_claims, dtype="int64")
    if len(tx):
        # ... and what the practice-management system posted (interface: transactions.csv;
        # positive = credit to the account, so a refund is usually negative: take its size).
        mine = at_tx < n_claims
        at = at_tx[mine]
        kind = tx["type"].astype("str").to_numpy()[mine]
        amount = tx["amount_cents"].astype("int64").to_numpy()[mine]
        other_paid += _sum_per(at, np.where(np.isin(kind, PAYMENT_TYPES), amount, 0), n_claims)
        refunds = _sum_per(at, np.where(kind == REFUND, np.abs(amount), 0), n_claims)
        posted_contractual = _sum_per(at, np.where(kind == CONTRACTUAL, amount, 0), n_claims)
    claims = claims.assign(
        claims=np.ones(n_claims, dtype="int64"),
        denied_claims=(per_claim["denied_lines"].to_numpy() > 0).astype("int64"),
        paid_claims=days.notna().astype("int64").to_numpy(),
        other_paid_cents=other_paid,
        refund_cents=refunds,
        posted_contractual_cents=posted_contractual,
        days=days.to_numpy(),
    )
    # Categories: the tables group these claims several ways; codes group fast.
    keys = {k: claims[k].astype("str").astype("category") for k in _KEYS}
    return claims.assign(**keys)[CLAIM_COLUMNS]


_SUMS = [*_LINE_SUMS, *_CLAIM_SUMS]
_KEYS = ["payer_id", "product_line", "payer_class"]


def group_sums(
    frame: pd.DataFrame, keys: list[str], sums: list[str], median: str | None = None
) -> pd.DataFrame:
    """Integer sums of ``sums`` (and the median of ``median``) per ``keys``; none: one row.

    Groups come out in order of first appearance, with their key values (categorical keys
    as strings).
    """
    if not keys:
        row = frame[sums].sum().astype("int64").to_dict()
        if median is not None:
            row[median] = frame[median].median()
        return pd.DataFrame([row])
    # One integer per group from the keys' category codes: grouping by it is much cheaper
    # than grouping by strings, and the same claims are grouped several ways.
    code = np.zeros(len(frame), dtype="int64")
    for key in keys:
        column = frame[key]
        if isinstance(column.dtype, pd.CategoricalDtype):
            part, n = column.cat.codes.to_numpy("int64"), len(column.cat.categories)
        else:
            part, uniques = pd.factorize(column, use_na_sentinel=False)
            n = len(uniques)
        code = code * (n + 1) + part
    group, _ = pd.factorize(code)
    out = frame[sums].groupby(group).sum().astype("int64")
    if median is not None:
        out = out.join(frame[median].groupby(group).median())
    first = pd.Series(group).drop_duplicates()
    labels = frame[keys].iloc[first.index.to_numpy()].set_axis(first.to_numpy())
    labels = labels.astype(
        {k: "str" for k in keys if isinstance(frame[k].dtype, pd.CategoricalDtype)}
    )
    return labels.join(out).reset_index(drop=True)


def _aggregate(claims: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The claim table's sums, and the median days to payment, per ``keys``."""
    return group_sums(claims, keys, _SUMS, median="days")


def _aggregate_levels(claims: pd.DataFrame, levels: list[list[str]]) -> list[pd.DataFrame]:
    """``_aggregate`` for several groupings, the first the finest (its keys hold every
    other's): the sums are taken over the claims once and rolled up from that small
    frame; only the medians go back to the claims."""
    finest = levels[0]
    fine = group_sums(claims, finest, _SUMS)
    out = []
    for keys in levels:
        if not keys:
            out.append(_aggregate(claims, []))
            continue
        sums = fine if keys == finest else fine.groupby(keys, sort=False)[_SUMS].sum()
        sums = sums.reset_index() if keys != finest else sums
        days = group_sums(claims, keys, [], median="days")
        out.append(sums.merge(days, on=keys, how="left", validate="one_to_one"))
    return out


def priced_lines(lines: pd.DataFrame) -> pd.Series:
    """Which adjudicated lines are measured against the contract: a contract rate on file
    (expected_cents), and not denied or bundled (outcome)."""
    return lines["expected_cents"].notna() & ~lines["outcome"].astype("str").isin(
        [DENIED, BUNDLED]
    )


OVERPAID = "overpaid"


def below_contract_parts(adjudicated: pd.DataFrame) -> pd.DataFrame:
    """How the page's *allowed below the contract* splits, exactly: one row of
    short_of_contract_cents (expected − allowed over every priced line of the primary
    payers: the page's figure), underpaid_cents and overpaid_cents (over the lines beyond
    the tolerance: the Under-payments page's figures, positive) and within_tolerance_cents
    (the rest: differences too small to call), so short = under − over + within.

    Needs adjudicated: primary, outcome, expected_cents, allowed_cents.
    """
    primary = adjudicated["primary"].fillna(False).astype(bool)
    prim = adjudicated[primary.to_numpy()]
    priced = prim[priced_lines(prim).to_numpy()]
    gap = priced["expected_cents"].astype("int64") - priced["allowed_cents"].astype("int64")
    outcome = priced["outcome"].astype("str")
    short, under = int(gap.sum()), int(gap[outcome.eq(UNDERPAID)].sum())
    over = int(-gap[outcome.eq(OVERPAID)].sum())
    return pd.DataFrame(
        [
            {
                "short_of_contract_cents": short,
                "underpaid_cents": under,
                "overpaid_cents": over,
                "within_tolerance_cents": short - under + over,
            }
        ]
    )


def _figures(sums: pd.DataFrame) -> pd.DataFrame:
    """The page's figures from ``_aggregate`` sums (see docs/pages/payer-performance.md)."""
    contractual = sums["line_contractual_cents"] + sums["posted_contractual_cents"]
    collected = sums["paid_cents"] + sums["other_paid_cents"] - sums["refund_cents"]
    days = sums["days"].astype("float64")
    return sums.assign(
        contractual_cents=contractual.astype("int64"),
        pct_net_collection=percent(collected, sums["charge_cents"] - contractual),
        pct_denial=percent(sums["denied_claims"], sums["claims"]),
        # Whole days, half up: a manager reads "43 days", not "42.5".
        median_days_to_payment=pd.Series(np.floor(days + 0.5), index=sums.index).astype("Int64"),
        short_of_contract_cents=(sums["expected_cents"] - sums["priced_allowed_cents"]).astype(
            "int64"
        ),
        pct_allowed_of_expected=percent(sums["priced_allowed_cents"], sums["expected_cents"]),
        pct_underpaid=percent(sums["underpaid_lines"], sums["priced_lines"]),
    )


def with_rate_text(frame: pd.DataFrame, rates: Sequence[str] = RATES) -> pd.DataFrame:
    """``frame`` with a ``text_<rate>`` column per rate: one decimal, e.g. "3.9%" (NA where
    the rate is hidden or missing, so a table prints it as hidden)."""
    texts = {
        TEXT_PREFIX + rate: frame[rate]
        .map(lambda v: formats.percent(v, digits=1))
        .where(frame[rate].notna())
        for rate in rates
    }
    return frame.assign(**texts)


# --- the page's tables ------------------------------------------------------------------


def _performance_tree(claims: pd.DataFrame, payers: pd.DataFrame | None) -> pd.DataFrame:
    """Total, class, payer and product-line rows (product lines only for payers with more
    than one), suppressed as one tree. Unsorted; empty when nothing was adjudicated."""
    if claims.empty:
        return pd.DataFrame(columns=PERFORMANCE_COLUMNS)
    by_product, by_payer, by_class, total = _aggregate_levels(
        claims,
        [
            ["payer_class", "payer_id", "product_line"],
            ["payer_class", "payer_id"],
            ["payer_class"],
            [],
        ],
    )
    total = total.assign(level="total")
    by_class = by_class.assign(level="class")
    by_payer = by_payer.assign(level="payer")
    by_product = by_product[by_product["payer_id"].duplicated(keep=False)].assign(level="product")
    table = pd.concat([total, by_class, by_payer, by_product], ignore_index=True)
    depth = table["level"].map({"total": 0, "class": 1, "payer": 2, "product": 3})
    class_row = pd.Series(table.index[depth.eq(1)], index=table.loc[depth.eq(1), "payer_class"])
    payer_row = pd.Series(table.index[depth.eq(2)], index=table.loc[depth.eq(2), "payer_id"])
    parent = pd.Series(0, index=table.index)
    parent[depth.eq(2)] = table.loc[depth.eq(2), "payer_class"].map(class_row)
    parent[depth.eq(3)] = table.loc[depth.eq(3), "payer_id"].map(payer_row)
    table = with_rate_text(suppress_tree(_figures(table), COUNTS, TIES, parent, depth))

    with_products = set(table.loc[depth.eq(3), "payer_id"])
    product = table["product_line"].fillna("").astype("str")
    names = payer_names(table["payer_id"].fillna(""), payers)
    classes = table["payer_class"].fillna("").astype("str")
    table = table.assign(
        payer_id=table["payer_id"].where(depth.ge(2)),
        product_line=product.where(depth.eq(3), ""),
        payer_label=names.where(depth.ge(2), ALL_PAYERS),
        product_label=np.select(
            [depth.eq(3) & product.ne(""), depth.eq(3)],
            [product, NO_PRODUCT],
            default=ALL_PRODUCTS,
        ),
        payer_class=classes.where(depth.ge(1), ""),
        class_label=class_labels(classes).where(depth.ge(1), ""),
        # Federal by the payer's class, or by a product line that is itself Medicare or
        # Medicaid (a commercial payer's Medicare Advantage plan).
        federal=(classes.isin(FEDERAL_CLASSES) | product.isin(FEDERAL_CLASSES)) & depth.ge(1),
        leaf=depth.eq(3) | (depth.eq(2) & ~table["payer_id"].isin(with_products)),
        **{TOTAL: depth.eq(0)},
    )
    return table[PERFORMANCE_COLUMNS]


def payer_performance(
    adjudicated: pd.DataFrame,
    transactions: pd.DataFrame | None = None,
    payers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per payer and product line: volume, money and how the payer treated the claims.

    Needs adjudicated: ``remitted.adjudicated`` (report.adjudicated); transactions
    (optional): ``TRANSACTION_COLUMNS``; payers: ``directory.payer_directory``.

    Returns one row per payer (level "payer"); a payer with more than one product line
    also gets one row per product line (level "product") right after its own row, which
    then sums them ("All products"); then the "All payers" row (level "total",
    ``is_total``), which equals ``practice_kpis``. ``leaf`` marks the rows that are one
    contract (a product line, or a payer with one). Columns: ``PERFORMANCE_COLUMNS``:
    payer_id, product_line, payer_label, product_label, payer_class, class_label, federal
    (Medicare or Medicaid, including managed plans: never ranked), level, leaf, is_total,
    the counts (claims, lines, denied_claims, paid_claims, priced_lines, underpaid_lines)
    and figures (charge_cents, allowed_cents, paid_cents, other_paid_cents, refund_cents,
    contractual_cents, pct_net_collection, pct_denial, median_days_to_payment,
    expected_cents, pct_allowed_of_expected, pct_underpaid), ``*_small`` flags;
    suppressed. Payers with most claims first (hidden after, by name).
    """
    tree = _performance_tree(claim_table(adjudicated, transactions, payers), payers)
    if tree.empty:
        return tree
    tree = tree[tree["level"].ne("class")]
    payer_rows = shown_first(tree[tree["level"].isin(["payer", "total"])], "claims", "payer_label")
    rank = pd.Series(range(len(payer_rows)), index=payer_rows["payer_id"].fillna(""))
    products = tree[tree["level"].eq("product")]
    products = shown_first(products, "claims", "product_label").assign(
        _payer=lambda f: f["payer_id"].map(rank), _child=1
    )
    payer_rows = payer_rows.assign(_payer=range(len(payer_rows)), _child=0)
    out = pd.concat([payer_rows, products], ignore_index=True)
    out = out.sort_values(["_payer", "_child"], kind="stable")
    return out.drop(columns=["_payer", "_child"]).reset_index(drop=True)


def practice_kpis(adjudicated: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """The practice's headline payer figures for the period: ONE row (also with nothing
    adjudicated: zero counts, NA rates).

    Needs adjudicated: ``remitted.adjudicated``; transactions: ``TRANSACTION_COLUMNS``
    (may be empty). Returns ``KPI_COLUMNS``, the same figures as the "All payers" row of
    ``payer_performance``:

    - claims (distinct claims the primary payer adjudicated), lines, charge_cents (billed,
      each charge line once), allowed_cents, paid_cents (primary payers' 835 payments);
    - pct_net_collection = (payer paid + patient and secondary payments − refunds) ÷
      (charges − contractual adjustments) × 100; contractual = charge − allowed (not below
      0) on lines the payer paid (not denied or bundled) + contractual postings
      (other_paid_cents, refund_cents and contractual_cents are the parts);
    - pct_denial = claims with at least one denied line ÷ claims × 100 (bundled lines are
      not denials); denied_claims;
    - median_days_to_payment: date of service → first payment, median over paid claims
      (paid_claims), whole days;
    - pct_allowed_of_expected = Σ allowed ÷ Σ expected × 100 over priced lines (a contract
      rate, not denied or bundled): what the payers recognised against what the contracts
      say; priced_lines, expected_cents;
    - underpaid_lines, pct_underpaid = under-paid lines ÷ priced lines × 100.

    Suppressed: a count from 1 to 10 is hidden, and every figure measured over it.
    """
    row = _figures(_aggregate(claim_table(adjudicated, transactions), []))
    depth = pd.Series(0, index=row.index)
    return with_rate_text(suppress_tree(row, COUNTS, TIES, depth, depth))[KPI_COLUMNS]


def headline(adjudicated: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """``practice_kpis``, or no row at all when no claim was adjudicated (so the page says
    why instead of printing zeros)."""
    kpis = practice_kpis(adjudicated, transactions)
    return kpis.iloc[0:0] if bool(kpis["claims"].eq(0).fillna(False).all()) else kpis


MONTHLY_RATES = ["pct_denial", "pct_allowed_of_expected"]
MONTHLY_TIES = {rate: TIES[rate] for rate in MONTHLY_RATES}
MONTHLY_COUNTS = ["claims", "denied_claims", "priced_lines"]  # those the rates are over
MONTHLY_COLUMNS = [
    "payer_id",
    "payer_label",
    "service_month",
    *MONTHLY_COUNTS,
    *MONTHLY_RATES,
    TOTAL,
    *(c + SMALL_SUFFIX for c in MONTHLY_COUNTS),
]


def payer_monthly(adjudicated: pd.DataFrame, payers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per payer and month of service: claims, denial rate, allowed as a share of expected.

    Needs adjudicated: ``remitted.adjudicated``; payers: ``directory.payer_directory``.
    Returns ``MONTHLY_COLUMNS``: one row per payer and month with claims (a claim counts
    in the month of its first line's date of service), then one "All payers" row per month
    (``is_total``). pct_denial and pct_allowed_of_expected as in ``practice_kpis``.

    Suppressed per cell as a payer × month grid: each cell is a part of its payer's total
    (the payer row of ``payer_performance``, hidden alike) and of its month's total (the
    "All payers" row of that month, itself a part of the practice's total). Sorted by
    payer (most claims first, as ``payer_performance``), then month.
    """
    claims = claim_table(adjudicated, None, payers)
    if claims.empty:
        return pd.DataFrame(columns=MONTHLY_COLUMNS)
    cells, months = _aggregate_levels(claims, [["payer_id", "service_month"], ["service_month"]])
    cells, months = _figures(cells), _figures(months)
    tree = _performance_tree(claims, payers)
    payer_rows = tree[tree["level"].eq("payer")].set_index("payer_id")
    grand = tree[tree[TOTAL].astype(bool)].iloc[0]
    shown, month_hidden = suppress_months(
        cells, MONTHLY_COUNTS, MONTHLY_TIES, "payer_id", payer_rows, months, grand
    )
    all_months = masked(months, month_hidden, MONTHLY_TIES).assign(payer_id=pd.NA)
    order = pd.Series(
        range(len(payer_rows)),
        index=shown_first(tree[tree["level"].eq("payer")], "claims", "payer_label")[
            "payer_id"
        ].to_numpy(),
    )
    shown = shown.assign(
        payer_label=payer_names(shown["payer_id"], payers),
        _order=shown["payer_id"].map(order),
        **{TOTAL: False},
    )
    all_months = all_months.assign(payer_label=ALL_PAYERS, _order=len(order), **{TOTAL: True})
    out = pd.concat([shown, all_months], ignore_index=True)
    out = out.sort_values(["_order", "service_month"], kind="stable").reset_index(drop=True)
    return out[MONTHLY_COLUMNS]


# --- the scorecard ----------------------------------------------------------------------

# The four measures the scorecard ranks on: (column, rank column, best is the highest).
SCORE_MEASURES = (
    ("pct_allowed_of_expected", "rank_allowed", True),
    ("pct_denial", "rank_denial", False),
    ("median_days_to_payment", "rank_days", False),
    ("pct_underpaid", "rank_underpaid", False),
)
RANKED = "Ranked"
NOT_RANKED_PUBLIC = "Not ranked: public program (shown for reference)"
NOT_RANKED_SELF_PAY = "Not ranked: self-pay"
NOT_RANKED_SMALL = "Not ranked: fewer than 11 claims"
NOT_RANKED_HIDDEN = "Not ranked: a measure is hidden (fewer than 11 claims or lines behind it)"
NOT_RANKED_NO_RATES = "Not ranked: no contract rates to compare with"
NOT_RANKED_MISSING = "Not ranked: no paid claims to time"
PLACE_PREFIX = "place_"
NOT_RANKED_TEXT = "\u2014"  # an em dash: no rank, and not a hidden figure
SCORECARD_COLUMNS = [
    "payer_id",
    "product_line",
    "payer_label",
    "product_label",
    "class_label",
    "federal",
    "claims",
    "claims" + SMALL_SUFFIX,
    "short_of_contract_cents",
    *(m for m, _, _ in SCORE_MEASURES),
    *(TEXT_PREFIX + m for m, _, _ in SCORE_MEASURES if m in RATES),
    *(r for _, r, _ in SCORE_MEASURES),
    "score",
    "rank",
    "ranked",
    "status",
    # For the table: a measure with its place ("99.3% (3rd)"), rank and score as text
    # ("—" when not ranked); NA where the measure is hidden.
    *(PLACE_PREFIX + m for m, _, _ in SCORE_MEASURES),
    "text_rank",
    "text_score",
]


def _place_texts(out: pd.DataFrame, ranked: pd.Series) -> pd.DataFrame:
    """The scorecard's text columns: "99.3% (3rd)", "39 days (1st)"; rank and score."""
    texts = {}
    for measure, rank_column, _ in SCORE_MEASURES:
        values = out[measure]
        if measure in RATES:
            shown = values.map(lambda v: formats.percent(v, digits=1))
        else:
            shown = values.map(lambda v: f"{int(v)} days" if pd.notna(v) else "")
        place = out[rank_column].map(
            lambda r: f" ({formats.ordinal(int(r))})" if pd.notna(r) else ""
        )
        texts[PLACE_PREFIX + measure] = (shown + place).where(values.notna())
    no_rank = pd.Series(NOT_RANKED_TEXT, index=out.index)
    texts["text_rank"] = out["rank"].astype("string").where(ranked, no_rank)
    score = out["score"].map(lambda v: f"{v:.2f}" if pd.notna(v) else NOT_RANKED_TEXT)
    texts["text_score"] = score.where(ranked, no_rank)
    return out.assign(**texts)


def payer_scorecard(performance: pd.DataFrame) -> pd.DataFrame:
    """The payers' contracts (payer × product line) ranked on four shown measures.

    Needs a ``payer_performance`` frame. Each contract (``leaf`` row) not of a federal
    class and not self-pay, with all four measures shown, gets a rank per measure among
    them (1 = best; values equal as shown, rates to one decimal and days whole, share
    the best place): allowed as a share of expected
    (higher is better), denial rate, median days to payment and under-payment rate (lower
    is better). Its score is the mean of the four ranks, and ``rank`` orders the scores
    (1 = best; equal scores share a rank). Medicare, Medicaid and their managed plans are
    listed "not ranked: public program": this table is for deciding where to push a
    commercial payer, never a reason to see fewer Medicare or Medicaid patients. Rows
    with a measure hidden (too few claims) or missing are listed, not ranked; ranks use
    shown values only, so they reveal nothing hidden.

    Returns ``SCORECARD_COLUMNS``: ranked rows by rank (then name), then the others
    (public programs first), by name.
    """
    if performance.empty:
        return pd.DataFrame(columns=SCORECARD_COLUMNS)
    rows = performance[performance["leaf"].astype(bool)].reset_index(drop=True)
    measures = [m for m, _, _ in SCORE_MEASURES]
    few = rows["claims"].isna()
    hidden = pd.Series(False, index=rows.index)
    for measure in measures:
        for count in TIES[measure]:
            hidden |= rows[count].isna()
    federal = rows["federal"].astype(bool)
    self_pay = rows["payer_class"].eq("SELF_PAY")
    status = np.select(
        [
            federal,
            self_pay,
            few,
            hidden,
            rows["pct_allowed_of_expected"].isna(),
            rows[measures].isna().any(axis=1),
        ],
        [
            NOT_RANKED_PUBLIC,
            NOT_RANKED_SELF_PAY,
            NOT_RANKED_SMALL,
            NOT_RANKED_HIDDEN,
            NOT_RANKED_NO_RATES,
            NOT_RANKED_MISSING,
        ],
        default=RANKED,
    )
    ranked = pd.Series(status == RANKED, index=rows.index)
    out = rows.assign(status=status, ranked=ranked)
    scored = out[ranked]
    for measure, rank_column, high_is_best in SCORE_MEASURES:
        # Ranked as shown (rates to one decimal, days whole, half up): payers that read
        # the same share a place, and noise below what the page shows decides nothing.
        values = np.floor(scored[measure].astype("float64") * 10 + 0.5) / 10
        ranks = values.rank(method="min", ascending=not high_is_best)
        out[rank_column] = ranks.reindex(out.index).astype("Int64")
    score = out[[r for _, r, _ in SCORE_MEASURES]].astype("float64").mean(axis=1)
    out["score"] = score.where(ranked).round(2).astype("Float64")
    out["rank"] = out["score"].astype("float64").rank(method="min").astype("Int64")
    out = _place_texts(out, ranked)
    out = out.assign(
        _later=~ranked,
        _public=~federal,
        _rank=out["rank"].astype("float64").fillna(np.inf),
    )
    out = out.sort_values(
        ["_later", "_rank", "_public", "payer_label", "product_label"], kind="stable"
    )
    return out[SCORECARD_COLUMNS].reset_index(drop=True)
