"""The random payment audit, with a report card per payer, for a month of service (issue 15
item 7, docs/payment_audit.md).

The population is the month's clean visits (``ledger.claim_ledger``'s ``clean``: resolved
to zero by cash and contractual adjustment alone) of every primary payer but self-pay.
Two audits are made of it:

- the **sample** a person re-checks by hand: ``sample_size`` visits (default 30) drawn with
  a seeded ``numpy`` Generator, stratified by payer (``allocate``: one visit per payer
  first, the rest in proportion to each payer's other visits, largest remainder);
- the **full audit** the machine makes: every clean visit of Medicare, of each payer with
  a contract on file (fixed fee schedule or percent of Medicare) and of each payer with an
  inferred schedule (a percent of Medicare read from its remittances, an input frame that
  may be empty).

Every audited line is priced by the posting engine (``pricing.expected``): Medicare at
Medicare's own terms (``medicare_check.medicare_terms``), a contract payer at its contract,
an inferred payer at its percent of Medicare under Medicare's rules (``inferred_terms``).
What came in on the line is the primary's 835 payment plus the claim's secondary and
patient cash spread over its lines as Table 1 spreads it (``medicare_check.spread``, by the
patient responsibility each line carried). The variance is cash + sequestration -
expected (negative: less came in than expected); a visit is resolved perfectly when every
line has an expected amount and its variance is zero to the cent. Sequestration (CO-253)
counts as paid, as in Table 1: a cut by law, shown apart, never an anomaly.

A line's variance is put down to named reasons (``REASONS``), in order, each taking what
the evidence on the line allows of what is left: a secondary payer on file that paid
nothing (the patient's share written off instead of billed), a deductible (PR-1) the
patient did not pay, another patient share (coinsurance, copay) written off, a reduction
the expected amount did not make (a multiple-procedure reduction, CARC 59, or the payer
allowing the lesser of a charge below the rate), a denial or bundling written off, a
different rate (the payer's allowed amount differs from the expected), and what none of
these explains. The reasons add up to the variance. Pure functions; no store, no clock.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from payeropt_lib.frames import member_of
from payeropt_lib.money import percent_x1000
from payeropt_lib.pricing import expected
from payeropt_lib.reference import carcs

from . import ledger as ledger_module
from . import medicare_check
from .receivables import month_of

SAMPLE_SIZE = 30
DEFAULT_SEED = 15  # issue 15: fixed, so a rerun draws the same visits; named in the output

# How an audited payer is priced.
MEDICARE = "medicare"  # Medicare's own terms at the practice's locality
CONTRACT = "contract"  # the contract on file (fee schedule or percent of Medicare)
INFERRED = "inferred"  # a percent of Medicare inferred from the payer's remittances
NO_SCHEDULE = "none"  # nothing to price with: in the sample only, for a person to check

SERVICES = "services"
SURGICAL = "surgical"  # claims where the engine made a multiple-procedure reduction
ALL = "all"
TOTAL = "Total"
UNPRICED = "unpriced"  # a line without an expected amount

# The reasons a line's variance is put down to, in the order they take it.
REASONS = (
    "secondary_not_billed",
    "deductible",
    "patient_share_written_off",
    "reduction",
    "denied_written_off",
    "different_rate",
    "not_explained",
)
REASON_CENTS = [f"{r}_cents" for r in REASONS]

# What each input needs (store frames; cents int64).
CHARGE_COLUMNS = [*medicare_check.CHARGE_COLUMNS, "secondary_payer_id"]
REMIT_LINE_COLUMNS = [*medicare_check.REMIT_LINE_COLUMNS, "line_seq", "allowed_cents"]
ADJUSTMENT_COLUMNS = [*ledger_module.ADJUSTMENT_COLUMNS, "line_seq"]
CONTRACT_COLUMNS = [*expected.CONTRACT_COLUMNS, "payment_rules"]
INFERRED_COLUMNS = ["payer_id", "product_line", "percent_x1000"]

LINE_COLUMNS = [
    "claim_id", "line_number", "payer_id", "basis", "section", "sampled", "date_of_service",
    "procedure_code", "pricing_modifier", "units", "charge_cents", "expected_cents",
    "allowed_cents", "payer_paid_cents", "other_paid_cents", "sequestration_cents",
    "variance_cents", "reason", *REASON_CENTS,
]  # fmt: skip
SAMPLE_COLUMNS = [
    "seed", "payer_id", "clean_visits", "sampled", "draw", "claim_id", "date_of_service",
    "basis", "section", "lines", "charges_cents", "payer_cash_cents", "secondary_cash_cents",
    "patient_cash_cents", "contractual_cents", "expected_cents", "sequestration_cents",
    "variance_cents", "perfect", "reasons",
]  # fmt: skip
CARD_COLUMNS = [
    "section", "payer_id", "basis", "clean_visits", "visits", "sampled", "visits_priced",
    "visits_perfect", "perfect_percent_x1000", "expected_cents", "cash_cents",
    "sequestration_cents", "variance_cents", "largest_variance_cents", "unpriced_lines",
    *[f"{r}_{kind}" for r in REASONS for kind in ("visits", "cents")],
]  # fmt: skip


class Schedules(NamedTuple):
    """What the audit prices with: the practice's ``contracts`` (``CONTRACT_COLUMNS``),
    ``fee_schedules`` (``expected.FEE_COLUMNS``) and ``medicare_fees`` (completed from
    CMS's library, ``rates_cache.medicare_fees``), the ``inferred`` percents of Medicare
    (``INFERRED_COLUMNS``; may be empty), the Medicare and self-pay payer ids, and the
    practice's Medicare ``locality`` (None: Medicare and inferred payers cannot be
    priced)."""

    contracts: pd.DataFrame
    fee_schedules: pd.DataFrame
    medicare_fees: pd.DataFrame
    inferred: pd.DataFrame
    medicare_payers: frozenset[str]
    self_pay: frozenset[str]
    locality: str | None


class Audit(NamedTuple):
    """The audit's three frames: ``sample`` (``SAMPLE_COLUMNS``: claim ids, for the
    office), ``lines`` (``LINE_COLUMNS``) and ``card`` (``CARD_COLUMNS``: no claim id)."""

    sample: pd.DataFrame
    lines: pd.DataFrame
    card: pd.DataFrame


def payment_audit(
    charges: pd.DataFrame,
    ledger: pd.DataFrame,
    remit_lines: pd.DataFrame,
    remitted: pd.DataFrame,
    remit_adjustments: pd.DataFrame,
    schedules: Schedules,
    month: pd.Timestamp,
    sample_size: int = SAMPLE_SIZE,
    seed: int = DEFAULT_SEED,
) -> Audit:
    """The payment audit of ``month``: the sample, the audited lines and the report card.

    ``charges``: ``CHARGE_COLUMNS``; ``ledger``: ``ledger.claim_ledger``; ``remit_lines``:
    ``REMIT_LINE_COLUMNS``; ``remitted``: ``ledger.remitted_claims``;
    ``remit_adjustments``: ``ADJUSTMENT_COLUMNS`` (line_seq -1 = claim level).
    ``every_line`` then ``of_month``: the same, for one month.
    """
    pop = population(ledger, month, schedules.self_pay)
    lines = every_line(charges, pop, remit_lines, remitted, remit_adjustments, schedules)
    return of_month(lines, ledger, schedules, month, sample_size, seed)


def every_line(
    charges: pd.DataFrame,
    clean: pd.DataFrame,
    remit_lines: pd.DataFrame,
    remitted: pd.DataFrame,
    remit_adjustments: pd.DataFrame,
    schedules: Schedules,
) -> pd.DataFrame:
    """Every line of the ``clean`` visits (``population``: of a month, or of every month
    with ``month=None``) priced and explained (``audit_lines``; ``sampled`` False): the
    months of a year priced by one engine call. A line's figures are its claim's alone,
    so a month's lines are these lines of its visits."""
    basis = payer_basis(clean["primary_payer_id"], schedules)
    visits = clean.assign(basis=basis.reindex(clean["primary_payer_id"]).to_numpy(),
                          sampled=False)  # fmt: skip
    return audit_lines(charges, visits, remit_lines, remitted, remit_adjustments, schedules)


def of_month(
    lines: pd.DataFrame,
    ledger: pd.DataFrame,
    schedules: Schedules,
    month: pd.Timestamp,
    sample_size: int = SAMPLE_SIZE,
    seed: int = DEFAULT_SEED,
) -> Audit:
    """The audit of ``month`` from ``every_line`` (its lines of that month at least): the
    sample drawn from the month's clean visits, the lines of the visits audited (every
    one of a payer with a schedule, the sampled ones of the others), the report card."""
    if sample_size < 0:
        raise ValueError("the sample size cannot be negative")
    pop = population(ledger, month, schedules.self_pay)
    basis = payer_basis(pop["primary_payer_id"], schedules)
    pop = pop.assign(basis=basis.reindex(pop["primary_payer_id"]).to_numpy())
    drawn = draw_sample(pop, sample_size, seed)
    audited = pop[pop["basis"].ne(NO_SCHEDULE) | member_of(pop["claim_id"], drawn["claim_id"])]
    mine = lines[member_of(lines["claim_id"], audited["claim_id"])].reset_index(drop=True)
    mine = mine.assign(sampled=member_of(mine["claim_id"], drawn["claim_id"]))
    visits = _visits(mine)
    return Audit(
        sample=sample_visits(drawn, visits, ledger, seed),
        lines=mine,
        card=report_card(visits, pop),
    )


def inferred_schedule(
    figures: pd.DataFrame | None, contracts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The inferred schedules the audit prices with (``INFERRED_COLUMNS``): for each payer
    with no contract on file, its effective percent of Medicare (the median ratio, at the
    Medicare of the date of service) where ``multipliers.infer`` (``figures``) measured
    one on enough lines. Empty without figures."""
    empty = pd.DataFrame(
        {
            "payer_id": pd.Series(dtype="str"),
            "product_line": pd.Series(dtype="str"),
            "percent_x1000": pd.Series(dtype="int64"),
        }
    )
    if figures is None or figures.empty:
        return empty
    known = set() if contracts is None else set(contracts["payer_id"].astype("str"))
    usable = figures[
        ~figures["payer_id"].astype("str").isin(known)
        & figures["status"].ne("too few lines")
        & figures["median_x1000"].notna()
    ]
    return (
        pd.DataFrame(
            {
                "payer_id": usable["payer_id"].astype("str").to_numpy(),
                "product_line": usable["product_line"].fillna("").astype("str").to_numpy(),
                "percent_x1000": usable["median_x1000"].astype("int64").to_numpy(),
            }
        ).astype({"payer_id": "str", "product_line": "str"})
        if len(usable)
        else empty
    )


def population(
    ledger: pd.DataFrame, month: pd.Timestamp | None, self_pay: set[str] | frozenset[str]
) -> pd.DataFrame:
    """The month's clean visits (ledger rows; every month's with None) of every primary
    payer but self-pay (no payer's payment to audit), sorted by payer then claim: the
    order the draw reads."""
    claims = ledger if month is None else month_of(ledger, month)
    claims = claims[claims["clean"] & ~member_of(claims["primary_payer_id"], self_pay)]
    return claims.sort_values(["primary_payer_id", "claim_id"], ignore_index=True)


def payer_basis(payers: pd.Series, schedules: Schedules) -> pd.Series:
    """How each payer in ``payers`` is priced (index: payer_id): ``MEDICARE`` for a
    Medicare payer, ``CONTRACT`` for one with a contract on file, ``INFERRED`` for one
    with an inferred percent and no contract, else ``NO_SCHEDULE``. Medicare and inferred
    need the practice's locality."""
    ids = pd.Index(pd.unique(payers.astype("str")))
    contracted = set(schedules.contracts["payer_id"].astype("str"))
    inferred = set(schedules.inferred["payer_id"].astype("str"))
    located = schedules.locality is not None
    basis = np.select(
        [
            member_of(pd.Series(ids), schedules.medicare_payers) & located,
            member_of(pd.Series(ids), schedules.medicare_payers),
            member_of(pd.Series(ids), contracted),
            member_of(pd.Series(ids), inferred) & located,
        ],
        [MEDICARE, NO_SCHEDULE, CONTRACT, INFERRED],
        NO_SCHEDULE,
    )
    return pd.Series(basis, index=ids, dtype="str")


def audit_terms(schedules: Schedules, basis: pd.Series) -> pd.DataFrame:
    """Contract rows the engine reads for the audited payers (``basis``: ``payer_basis``):
    Medicare's terms for Medicare payers, the contracts on file (``CONTRACT_COLUMNS``) for
    contract payers, ``inferred_terms`` for inferred ones. A payer priced otherwise gets
    no row, so its lines have no expected amount."""
    locality = schedules.locality or ""
    medicare = sorted(basis.index[basis.eq(MEDICARE)])
    contract = basis.index[basis.eq(CONTRACT)]
    inferred = schedules.inferred[member_of(schedules.inferred["payer_id"], basis.index[
        basis.eq(INFERRED)])]  # fmt: skip
    on_file = schedules.contracts[member_of(schedules.contracts["payer_id"], contract)]
    parts = [
        medicare_check.medicare_terms(medicare, locality),
        on_file[CONTRACT_COLUMNS].assign(
            payment_rules=on_file["payment_rules"].fillna("contract")
        ),
        inferred_terms(inferred, locality),
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return medicare_check.medicare_terms([], locality)
    return pd.concat(parts, ignore_index=True).astype(
        {"medicare_percent_x1000": "Int64", "mppr_percent_x1000": "int64",
         "lesser_of_charges": "bool", "effective_from": "datetime64[ns]"}
    )  # fmt: skip


def inferred_terms(inferred: pd.DataFrame, locality: str) -> pd.DataFrame:
    """An inferred schedule (``INFERRED_COLUMNS``) as contract rows: its percent of
    Medicare for ``locality``, from any date, under Medicare's own terms otherwise (lesser
    of charge, 50 % multiple-procedure reduction, Medicare's other reductions), as
    ``medicare_check.medicare_terms`` writes Medicare's."""
    terms = medicare_check.medicare_terms(list(inferred["payer_id"].astype("str")), locality)
    return terms.assign(
        product_line=inferred["product_line"].fillna("").astype("str").to_numpy(),
        medicare_percent_x1000=pd.array(inferred["percent_x1000"].to_numpy(), dtype="Int64"),
    )


def allocate(counts: pd.Series, size: int) -> pd.Series:
    """How many visits to draw per payer (``counts``: clean visits per payer, index the
    payer ids): every visit when ``size`` covers them all; else one per payer first and the
    rest of ``size`` in proportion to each payer's other visits, the seats left after the
    whole parts going to the largest remainders (ties: more visits, then payer id); when
    ``size`` is smaller than the number of payers, one each to the ``size`` payers with
    the most visits (ties by payer id). Never more than a payer has."""
    counts = counts.astype("int64").sort_index()
    n = counts.to_numpy()
    total = int(n.sum())
    if size >= total:
        return counts.copy()
    order = np.lexsort((np.arange(len(n)), -n))  # most visits first, then payer id
    if size < len(n):
        out = np.zeros(len(n), np.int64)
        out[order[:size]] = 1
        return pd.Series(out, index=counts.index)
    extra, others = size - len(n), total - len(n)
    quota = extra * (n - 1)
    whole, remainder = quota // others, quota % others
    left = extra - int(whole.sum())
    # Largest remainder first; ties: more visits, then payer id (the index is sorted).
    rank = np.lexsort((np.arange(len(n)), -n, -remainder))
    bonus = np.zeros(len(n), np.int64)
    bonus[rank[:left]] = 1
    return pd.Series(1 + whole + bonus, index=counts.index)


def draw_sample(pop: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """The sample from ``population`` (sorted by payer, then claim): ``allocate``'s count
    per payer, a uniformly random subset of each payer's visits drawn with
    ``numpy.random.default_rng(seed)`` (one key per visit; each payer's smallest keys).
    Returns claim_id, payer_id, clean_visits, sampled (the payer's count) and draw (1, 2,
    ... within the payer, in draw order), sorted by payer then draw."""
    payer = pop["primary_payer_id"].astype("str")
    counts = payer.value_counts()
    take = allocate(counts, size)
    keys = np.random.default_rng(seed).random(len(pop))
    frame = pd.DataFrame({"claim_id": pop["claim_id"].astype("str"), "payer_id": payer,
                          "key": keys})  # fmt: skip
    frame["draw"] = frame.groupby("payer_id")["key"].rank(method="first").astype("int64")
    frame["clean_visits"] = counts.reindex(payer).to_numpy()
    frame["sampled"] = take.reindex(payer).to_numpy()
    chosen = frame[frame["draw"].le(frame["sampled"])]
    return chosen.sort_values(["payer_id", "draw"], ignore_index=True)[
        ["claim_id", "payer_id", "clean_visits", "sampled", "draw"]
    ]


def audit_lines(
    charges: pd.DataFrame,
    visits: pd.DataFrame,
    remit_lines: pd.DataFrame,
    remitted: pd.DataFrame,
    remit_adjustments: pd.DataFrame,
    schedules: Schedules,
) -> pd.DataFrame:
    """Every charge line of ``visits`` (ledger rows with ``basis`` and ``sampled``) priced
    and explained (``LINE_COLUMNS``).

    expected_cents (Int64; NA: no rate or no schedule), allowed_cents (Int64, the primary's
    835 allowed on the line; NA: no 835 line), payer_paid_cents (the primary's 835
    payments), other_paid_cents (the claim's secondary and patient cash, spread by patient
    responsibility), sequestration_cents (CO-253, line and claim level), variance_cents
    (Int64: paid + other + sequestration - expected), reason (the reason with the most
    cents; '' no variance; ``UNPRICED``), and each reason's cents, signed as the variance
    and adding up to it.
    """
    lines = charges[member_of(charges["claim_id"], visits["claim_id"])].reset_index(drop=True)
    claim = lines["claim_id"].astype("str")
    v = visits.set_index("claim_id")
    basis = v["basis"].reindex(claim).to_numpy()
    terms = audit_terms(schedules, v.groupby("primary_payer_id")["basis"].first())
    priced = expected.expected_allowed(
        expected.engine_lines(lines, claim, payer="primary_payer_id"),
        terms,
        schedules.fee_schedules,
        schedules.medicare_fees,
        explain=False,
        columns=["pricing_modifier", "expected_cents", "mppr_applied"],
    )
    exp = priced["expected_cents"].astype("Int64").reset_index(drop=True)
    on_835 = _primary_lines(lines, remit_lines, remitted, remit_adjustments)
    others = v[["secondary_cash_cents", "patient_cash_cents"]].sum(axis=1).reindex(claim)
    pr = on_835["patient_resp_cents"]
    weight = pr.where(pr.groupby(claim).transform("sum").gt(0), exp.fillna(0).astype("int64"))
    other_paid = medicare_check.spread(others.to_numpy(), weight.to_numpy(), claim)
    surgical = pd.Series(priced["mppr_applied"].to_numpy(), index=claim).groupby(level=0).any()
    out = pd.DataFrame(
        {
            "claim_id": claim,
            "line_number": lines["line_number"].astype("int64"),
            "payer_id": lines["primary_payer_id"].astype("str"),
            "basis": basis,
            "section": np.where(surgical.reindex(claim).to_numpy(), SURGICAL, SERVICES),
            "sampled": v["sampled"].reindex(claim).to_numpy(),
            "date_of_service": lines["date_of_service"],
            "procedure_code": lines["procedure_code"],
            "pricing_modifier": priced["pricing_modifier"].astype("str").to_numpy(),
            "units": lines["units"].astype("int64"),
            "charge_cents": lines["charge_cents"].astype("int64"),
            "expected_cents": exp,
            "allowed_cents": on_835["allowed_cents"].where(on_835["on_835"]).astype("Int64"),
            "payer_paid_cents": on_835["paid_cents"],
            "other_paid_cents": other_paid,
            "sequestration_cents": on_835["sequestration_cents"],
        }
    )
    unbilled = _secondary_not_billed(lines, v)
    return _explained(out, on_835, unbilled)[LINE_COLUMNS]


def sample_visits(
    drawn: pd.DataFrame, visits: pd.DataFrame, ledger: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """The sample (``SAMPLE_COLUMNS``), one row per drawn visit (``visits``: the audited
    visits, ``_visits``): its ledger figures, the sum of its lines, perfect (boolean, NA
    when a line has no expected amount) and the reasons its variance is put down to
    (names, '; '-joined)."""
    per = visits.reindex(drawn["claim_id"])
    led = ledger.set_index("claim_id").reindex(drawn["claim_id"])
    out = drawn.assign(seed=seed)
    for col in ("charges_cents", "payer_cash_cents", "secondary_cash_cents",
                "patient_cash_cents", "contractual_cents"):  # fmt: skip
        out[col] = led[col].to_numpy()
    for col in ("date_of_service", "basis", "section", "lines", "expected_cents",
                "sequestration_cents", "variance_cents", "perfect", "reasons"):  # fmt: skip
        out[col] = pd.Series(per[col].array, index=out.index)
    return out[SAMPLE_COLUMNS]


def report_card(visits: pd.DataFrame, pop: pd.DataFrame) -> pd.DataFrame:
    """The report card (``CARD_COLUMNS``) of the audited ``visits`` (``_visits``): for each
    section (``SERVICES``, ``SURGICAL``, ``ALL``) one row per payer (most clean visits
    first) and the section's total.

    clean_visits: the payer's clean visits in the month (all sections); visits: those
    audited (every one for a priced payer, the sampled ones otherwise); visits_priced:
    every line has an expected amount; perfect_percent_x1000: perfect / priced visits
    (NA: none priced); expected, cash, sequestration and variance over the lines with an
    expected amount; largest_variance_cents: the variance of the priced visit farthest
    from zero (ties: the first claim id; NA: none priced); per reason, the visits with
    cents put down to it, and the cents.
    """
    clean = pop["primary_payer_id"].astype("str").value_counts()
    order = pd.Index(
        pd.DataFrame({"payer_id": clean.index, "n": clean.to_numpy()}).sort_values(
            ["n", "payer_id"], ascending=[False, True]
        )["payer_id"]
    )
    rows = []
    for section in (SERVICES, SURGICAL, ALL):
        part = visits if section == ALL else visits[visits["section"].eq(section)]
        rows.append(_card_rows(part, pop, order, section == ALL).assign(section=section))
    card = pd.concat(rows, ignore_index=True)
    return card[CARD_COLUMNS]


# --- helpers ----------------------------------------------------------------------------


def _primary_lines(
    lines: pd.DataFrame,
    remit_lines: pd.DataFrame,
    remitted: pd.DataFrame,
    remit_adjustments: pd.DataFrame,
) -> pd.DataFrame:
    """Per charge line (same order), from the primary payer's 835s that count: paid,
    allowed, patient responsibility and sequestration cents, on_835 (an 835 line matched
    it), deductible (PR-1), reduction (CARC 59) and denied (a denial or bundling reason,
    not PR) cents. Claim-level adjustments are spread over the claim's lines by charge."""
    claim = lines["claim_id"].astype("str")
    key = pd.MultiIndex.from_arrays([claim, lines["line_number"].astype("int64")])
    primary = remitted.loc[remitted["primary"], ["remit_id", "claim_seq", "claim_id"]]
    # Only the audited claims' 835s: a month's audit must not join a year of 835 lines.
    primary = primary[member_of(primary["claim_id"], claim.unique())]
    rl = remit_lines[member_of(remit_lines["claim_id"], primary["claim_id"])]
    rl = rl.drop(columns="claim_id").merge(primary, on=["remit_id", "claim_seq"])
    rl = rl[rl["line_number"].notna()].astype({"line_number": "int64"})
    per = rl.groupby(["claim_id", "line_number"])[
        ["paid_cents", "allowed_cents", "patient_resp_cents", "sequestration_cents"]
    ].sum()
    out = per.reindex(key).fillna(0).astype("int64").reset_index(drop=True)
    out["on_835"] = key.isin(per.index)

    adj = remit_adjustments[member_of(remit_adjustments["remit_id"], primary["remit_id"].unique())]
    adj = adj[ADJUSTMENT_COLUMNS].merge(primary, on=["remit_id", "claim_seq"])
    reason = adj["reason"].astype("str").str.strip().str.upper()
    group = adj["group_code"].astype("str").to_numpy()
    amount = adj["amount_cents"].astype("int64").to_numpy()
    not_pr = group != "PR"
    refused = member_of(reason, carcs.DENIAL_CARCS) | member_of(reason, carcs.BUNDLING_CARCS)
    kinds = {
        "deductible": (group == "PR") & reason.eq("1").to_numpy(),
        "reduction": not_pr & reason.eq("59").to_numpy(),
        "denied": not_pr & refused,
        "sequestration_cents": not_pr & reason.eq(carcs.SEQUESTRATION).to_numpy(),
        "patient_resp_cents": group == "PR",
    }
    adj = adj.assign(**{k: np.where(mask, amount, 0) for k, mask in kinds.items()})
    at_line = adj["line_seq"].astype("int64").ge(0)
    # Line level: the 835 line's charge line. Its sequestration and PR are on the 835 line
    # already (remit_lines); only the claim level's are added to them.
    by_line = (
        adj[at_line]
        .merge(rl[["remit_id", "claim_seq", "line_seq", "line_number"]],
               on=["remit_id", "claim_seq", "line_seq"])
        .groupby(["claim_id", "line_number"])[["deductible", "reduction", "denied"]]
        .sum()
        .reindex(key)
        .fillna(0)
        .astype("int64")
    )  # fmt: skip
    for name in ("deductible", "reduction", "denied"):
        out[name] = by_line[name].to_numpy()
    by_claim = adj[~at_line].groupby("claim_id")[list(kinds)].sum().reindex(claim).fillna(0)
    weight = lines["charge_cents"].astype("int64").to_numpy()
    for name in kinds:
        total = by_claim[name].astype("int64").to_numpy()
        out[name] = out[name].to_numpy() + medicare_check.spread(total, weight, claim)
    return out


def _secondary_not_billed(lines: pd.DataFrame, visits: pd.DataFrame) -> np.ndarray:
    """Per line: its claim names a secondary payer (charges.secondary_payer_id) and no
    secondary cash came in for it (835 or practice system)."""
    named = lines["secondary_payer_id"].fillna("").astype("str").str.strip().ne("")
    claim = lines["claim_id"].astype("str")
    has_secondary = named.groupby(claim.to_numpy()).transform("any").to_numpy()
    no_cash = visits["secondary_cash_cents"].reindex(claim).to_numpy() == 0
    return has_secondary & no_cash


def _explained(out: pd.DataFrame, on_835: pd.DataFrame, unbilled: np.ndarray) -> pd.DataFrame:
    """``out`` with variance_cents, each reason's cents and the main reason.

    A shortfall (variance < 0) is taken by the reasons in ``REASONS`` order, each up to
    what the line's evidence allows (its capacity); an overpayment by a different rate up
    to what the 835 allowed above the expected amount; the rest of either is not
    explained. Reason cents carry the variance's sign."""
    priced = out["expected_cents"].notna().to_numpy()
    exp = out["expected_cents"].fillna(0).astype("int64").to_numpy()
    other = out["other_paid_cents"].to_numpy()
    variance = out["payer_paid_cents"].to_numpy() + other + out["sequestration_cents"].to_numpy()
    variance = np.where(priced, variance - exp, 0)
    short = np.maximum(-variance, 0)
    over = np.maximum(variance, 0)
    seen = on_835["on_835"].to_numpy()
    allowed = on_835["allowed_cents"].to_numpy()
    charge = out["charge_cents"].to_numpy()
    unpaid = np.maximum(on_835["patient_resp_cents"].to_numpy() - other, 0)
    deductible = np.minimum(np.maximum(on_835["deductible"].to_numpy(), 0), unpaid)
    lesser = np.where(seen & (allowed == charge) & (charge < exp), exp - charge, 0)
    reduction = np.maximum(on_835["reduction"].to_numpy(), 0) + lesser
    denied = np.maximum(on_835["denied"].to_numpy(), 0)
    capacity = np.column_stack(
        [
            np.where(unbilled, unpaid, 0),  # secondary not billed: the whole unpaid share
            np.where(unbilled, 0, deductible),
            np.where(unbilled, 0, unpaid - deductible),
            reduction,
            denied,
            np.where(seen, np.maximum(exp - allowed - reduction - denied, 0), 0),
        ]
    ).astype(np.int64)
    before = np.cumsum(capacity, axis=1) - capacity
    taken = np.minimum(capacity, np.maximum(short[:, None] - before, 0))
    rate_over = np.minimum(over, np.where(seen, np.maximum(allowed - exp, 0), 0))
    cents = np.column_stack([-taken, short - taken.sum(axis=1)])  # short: negative cents
    cents[:, -1] = -cents[:, -1]
    cents[:, REASONS.index("different_rate")] += rate_over
    cents[:, -1] += over - rate_over
    out = out.assign(variance_cents=pd.array(np.where(priced, variance, 0), dtype="Int64"))
    out["variance_cents"] = out["variance_cents"].mask(~priced)
    for i, column in enumerate(REASON_CENTS):
        out[column] = cents[:, i].astype("int64")
    main = np.asarray(REASONS, dtype=object)[np.argmax(np.abs(cents), axis=1)]
    out["reason"] = np.where(~priced, UNPRICED, np.where(variance == 0, "", main)).astype(str)
    return out


def _visits(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per audited visit (index claim_id): payer_id, basis, section, sampled,
    date_of_service (the earliest), lines, unpriced_lines, priced (every line has an
    expected amount), the sums over its priced lines (expected, cash, sequestration,
    variance), each reason's cents, and for the sample expected_cents and variance_cents
    (NA unless priced), perfect (boolean, NA unless priced) and reasons (names)."""
    ok = lines["expected_cents"].notna()
    f = lines.assign(
        unpriced=~ok,
        exp=lines["expected_cents"].fillna(0).astype("int64"),
        cash=(lines["payer_paid_cents"] + lines["other_paid_cents"]).where(ok, 0),
        seq=lines["sequestration_cents"].where(ok, 0),
        var=lines["variance_cents"].fillna(0).astype("int64"),
    )
    # Group on integer codes, not Arrow text: a year of months groups often.
    codes, claims = pd.factorize(f["claim_id"])
    g = f.groupby(codes, sort=False)
    per = g.agg(
        payer_id=("payer_id", "first"),
        basis=("basis", "first"),
        section=("section", "first"),
        sampled=("sampled", "first"),
        date_of_service=("date_of_service", "min"),
        lines=("line_number", "size"),
        unpriced_lines=("unpriced", "sum"),
        priced_expected_cents=("exp", "sum"),
        priced_cash_cents=("cash", "sum"),
        priced_sequestration_cents=("seq", "sum"),
        priced_variance_cents=("var", "sum"),
        sequestration_cents=("sequestration_cents", "sum"),
        **{c: (c, "sum") for c in REASON_CENTS},
    )
    # A plain object index: an Arrow-text index checks its uniqueness again on every
    # selection, which costs more than the audit's arithmetic.
    per.index = pd.Index(np.asarray(claims, dtype=object), name="claim_id")
    per["payer_id"] = per["payer_id"].astype("str").astype("category")
    per["unpriced_lines"] = per["unpriced_lines"].astype("int64")
    per["priced"] = per["unpriced_lines"].eq(0)
    per["expected_cents"] = per["priced_expected_cents"].astype("Int64").where(per["priced"])
    per["variance_cents"] = per["priced_variance_cents"].astype("Int64").where(per["priced"])
    per["perfect"] = per["variance_cents"].eq(0).astype("boolean")
    names = pd.DataFrame(
        {r: np.where(per[f"{r}_cents"].to_numpy() != 0, r, "") for r in REASONS},
        index=per.index,
    )
    text = names[REASONS[0]].str.cat([names[r] for r in REASONS[1:]], sep="; ")
    text = text.str.replace(r"(; )+", "; ", regex=True).str.strip("; ")
    per["reasons"] = text.astype("str").where(per["priced"], UNPRICED)
    return per


def _card_rows(
    visits: pd.DataFrame, pop: pd.DataFrame, order: pd.Index, every: bool
) -> pd.DataFrame:
    """One section of the card: a row per payer (in ``order``; every payer of the
    population when ``every``, else those with visits in the section) and the total."""
    clean = pop["primary_payer_id"].astype("str").value_counts()
    basis = pop.groupby("primary_payer_id")["basis"].first()

    # One sum over every column at once, by payer: a named aggregation per column costs
    # more than the sums themselves on a month's visits. The total is the payers' sum.
    frame = visits  # one section's visits
    hits = {f"{r}_visits": frame[f"{r}_cents"].ne(0) for r in REASONS}
    parts = pd.DataFrame(
        {
            "visits": 1,
            "sampled": frame["sampled"].astype("int64"),
            "visits_priced": frame["priced"].astype("int64"),
            "visits_perfect": frame["perfect"].fillna(False).astype("int64"),
            "expected_cents": frame["priced_expected_cents"],
            "cash_cents": frame["priced_cash_cents"],
            "sequestration_cents": frame["priced_sequestration_cents"],
            "variance_cents": frame["priced_variance_cents"],
            "unpriced_lines": frame["unpriced_lines"],
            **{c: frame[c] for c in REASON_CENTS},
            **{c: v.astype("int64") for c, v in hits.items()},
        },
        index=frame.index,
    )
    payers = parts.groupby(frame["payer_id"], observed=True).sum()
    payers.index = payers.index.astype("str")
    total = payers.sum().to_frame(TOTAL).T if len(payers) else payers.reindex([TOTAL])
    # The priced visit farthest from zero: per payer, and of all (ties: first claim id).
    priced = frame.loc[frame["priced"], ["payer_id", "priced_variance_cents"]]
    variance = priced["priced_variance_cents"].astype("int64").to_numpy()
    farthest = pd.DataFrame(
        {
            "key": priced["payer_id"].astype("str").to_numpy(),
            "claim_id": priced.index.to_numpy(),
            "mag": np.abs(variance),
            "priced_variance_cents": variance,
        }
    ).sort_values(["mag", "claim_id"], ascending=[False, True])
    per_payer = farthest.drop_duplicates("key").set_index("key")["priced_variance_cents"]
    payers["largest_variance_cents"] = per_payer.reindex(payers.index).astype("Int64")
    total["largest_variance_cents"] = pd.array(
        farthest["priced_variance_cents"].head(1).tolist() or [pd.NA], dtype="Int64"
    )
    index = order if every else order[order.isin(payers.index)]
    payers = payers.reindex(index)
    payers.index.name = "payer_id"
    payers = payers.reset_index()
    payers["basis"] = basis.reindex(index).to_numpy()
    payers["clean_visits"] = clean.reindex(index).to_numpy()
    total.index.name = "payer_id"
    total = total.reset_index().assign(basis="", clean_visits=int(clean.sum()))
    rows = pd.concat([payers, total], ignore_index=True)
    labels = ("section", "payer_id", "basis", "perfect_percent_x1000", "largest_variance_cents")
    counts = [c for c in CARD_COLUMNS if c not in labels]
    rows[counts] = rows[counts].fillna(0).astype("int64")
    rows["largest_variance_cents"] = rows["largest_variance_cents"].astype("Int64")
    rows["perfect_percent_x1000"] = percent_x1000(rows["visits_perfect"], rows["visits_priced"])
    return rows
