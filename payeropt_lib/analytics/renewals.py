"""Contract renewals: which contracts need notice soon, and the evidence to negotiate with.

Pure functions over frames shaped like the store's tables (``store.read_frame``) and
``remitted.adjudicated``: dates are ``datetime64[ns]``, money is int64 cents, percents are
floats for display only. No I/O, no HTML, no loop over lines or claims.

**The notice window** (domain §3, "Term, renewal, notice, evergreen"). A contract renews
on its ``renewal_date`` on its current terms unless the practice gives notice at least
``notice_days`` before it (default 90). So:

- the *notice deadline* is ``renewal_date − notice_days``, the last day notice can be
  given (domain.md: "Alert at renewal_date − notice_days");
- the *notice window* is the ``lead_days`` (default 90) up to and including that deadline:
  the time a practice needs to pull its evidence, send the payer a rate proposal and hear
  back before the deadline passes. It *opens* on ``deadline − lead_days``;
- a contract is *due* when its window is open on ``as_of``, opens within ``window_days``
  (default 120) of it, or its deadline has passed while the renewal date has not (the
  deadline was missed: the contract renews on its current terms, evergreen).

**Guardrails** (domain §10). Medicare and Medicaid themselves (``PUBLIC_PROGRAMS``) are
public programs with published fee schedules: they get no notice window, no evidence and
no estimate, and are never a negotiation target. Their managed-care plans (Medicare
Advantage, Medicaid managed care) are contracts whose rates a practice may negotiate, so
they get the same evidence as any contract; nothing here ever proposes leaving a payer,
and no patient attribute is used.

**Small cells.** Every count of claims or lines goes through ``privacy.suppress``: a count
of 1-10 is hidden with the dollars and rates measured over it, a complementary count is
hidden against the practice total and against each payer's own total (its product lines
add up to it), and a contract whose billed claims are hidden shows no dollars at all.
Contracted rates are contract terms, not claim figures, and are always shown.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from payeropt_lib.periods import DateLike, day, days_in, within
from payeropt_lib.pricing import contracts as terms
from payeropt_lib.reference.modifiers import pricing_modifiers
from payeropt_lib.remittances.remitted import live

from . import directory, fee_comparisons, privacy, procedure_codes

logger = logging.getLogger(__name__)

DEFAULT_NOTICE_DAYS = 90  # interface §1: notice_days default
WINDOW_DAYS = 120  # list windows that open within this many days of as_of (the issue)
LEAD_DAYS = 90  # the notice window: this many days up to the notice deadline
DAYS_PER_YEAR = 365
# An estimate rests on at least this many claims of a code: fewer say too little about a
# payer's rate (a statistical floor, held in every packet; the privacy rule is apart).
ESTIMATE_MIN_CLAIMS = privacy.SMALL_CELL
TOTAL = privacy.TOTAL
SMALL = privacy.SMALL_SUFFIX

# Public programs with published fee schedules: never negotiated, never a target.
PUBLIC_PROGRAMS = directory.PUBLIC_PROGRAMS
# Their managed-care plans: negotiable contracts, and patients a practice keeps serving.
PUBLIC_PLANS = ("MEDICARE_ADVANTAGE", "MEDICAID_MANAGED")
CLASS_WORDS = {
    "MEDICARE": "Medicare",
    "MEDICAID": "Medicaid",
    "COMMERCIAL": "Commercial",
    "MEDICARE_ADVANTAGE": "Medicare Advantage",
    "MEDICAID_MANAGED": "Medicaid managed care",
    "WORKERS_COMP": "Workers' compensation",
    "SELF_PAY": "Self-pay",
    "OTHER": "Other",
}

# Renewal status, most urgent first (the order of the page's tables).
STATUSES = ("open", "opens_soon", "missed", "later", "lapsed", "no_date", "public")
DUE = ("open", "opens_soon", "missed")
ACTIONABLE = ("open", "opens_soon")  # the deadline is still ahead
NO_CONTRACT = "(no contract on file)"  # internal part of the activity table, never shown

# What the page loads (claim ids only to count claims; never shown).
CHARGE_COLUMNS = [
    "claim_id",
    "date_of_service",
    "procedure_code",
    "modifiers",
    "units",
    "primary_payer_id",
    "product_line",
]
DENIAL_COLUMNS = ["remit_id", "claim_id", "denial_class", "void"]

UPCOMING_COLUMNS = [
    "payer_id",
    "product_line",
    "payer_name",
    "payer_class",
    "class_label",
    "payer_label",
    "negotiable",
    "public_plan",
    "renewal_date",
    "notice_days",
    "notice_opens",
    "notice_deadline",
    "days_left",
    "status",
    "status_label",
    "due",
    "act_now",
]
CODE_COLUMNS = [
    "payer_id",
    "product_line",
    "payer_label",
    "payer_class",
    "procedure_code",
    "modifier",
    "code_label",
    "volume",
    "rate_cents",
    "medicare_cents",
    "pct_of_medicare",
    "peer_rate_cents",
    "pct_peers",
    "peer_contracts",
    "peers",
    "est_annual_change_cents",
    "note",
]
SUMMARY_COLUMNS = [
    "payer_id",
    "product_line",
    "n_codes",
    "pct_of_medicare",
    "pct_peers",
    "peers",
    "codes_in_estimate",
    "est_annual_change_cents",
]
ACTIVITY_COUNTS = ["claims", "lines", "adjudicated_claims", "denied_claims"]
ACTIVITY_COLUMNS = [
    "payer_id",
    "product_line",
    *ACTIVITY_COUNTS,
    "pct_denied",
    "paid_cents",
    "pct_paid_share",
    TOTAL,
    *(c + SMALL for c in ACTIVITY_COUNTS),
]
UNDERPAID_COLUMNS = ["underpaid_lines", "underpaid_cents", "at_stake_cents", "recovered_cents"]
EVIDENCE_COLUMNS = [
    *UPCOMING_COLUMNS,
    *SUMMARY_COLUMNS[2:],
    "est_note",
    *ACTIVITY_COUNTS,
    "pct_denied",
    "paid_cents",
    "pct_paid_share",
    *UNDERPAID_COLUMNS,
    *(c + SMALL for c in [*ACTIVITY_COUNTS, "underpaid_lines"]),
]
TOP_COLUMNS = [
    "payer_id",
    "product_line",
    "payer_label",
    "class_label",
    "status",
    "status_label",
    "renewal_date",
    "notice_deadline",
    "days_left",
    "est_annual_gain_cents",
    "pct_of_medicare",
    "pct_peers",
    "n_codes",
]
HEADLINE_COLUMNS = [
    "as_of",
    "windows_open",
    "windows_opening",
    "deadlines_missed",
    "no_renewal_date",
    "top_payer",
    "top_gain_cents",
]


def _half_up(numerator: pd.Series, denominator: int) -> pd.Series:
    """numerator / denominator rounded half up to an integer, exactly (int64 in, Int64
    out); the denominator is positive."""
    n = numerator.astype("Int64")
    return (2 * n + denominator) // (2 * denominator)


def _days(n: pd.Series, before: str = "", after: str = "") -> pd.Series:
    """'12 days' / '1 day' between ``before`` and ``after``; '' where n is NA."""
    n = n.astype("Int64")
    unit = pd.Series(" days", index=n.index, dtype="str").where(n.ne(1).fillna(True), " day")
    text = before + n.astype("str") + unit + after
    return text.where(n.notna(), "").astype("str")


# --- the schedule -----------------------------------------------------------------------


def upcoming(
    contracts: pd.DataFrame,
    as_of: DateLike,
    window_days: int = WINDOW_DAYS,
    lead_days: int = LEAD_DAYS,
) -> pd.DataFrame:
    """Every payer contract in force on ``as_of`` with its notice deadline and status.

    Needs contracts: payer_id, product_line, payer_name, payer_class, effective_from,
    renewal_date (NaT = none on file), notice_days (NA = 90). One row per contract in
    force (``contracts.contracts_in_force``: the latest per payer × product line; self-pay
    left out), columns ``UPCOMING_COLUMNS``:

    - notice_deadline = renewal_date − notice_days (the last day to give notice);
      notice_opens = notice_deadline − ``lead_days``; days_left = notice_deadline −
      as_of in days (negative once passed; NA without a renewal date);
    - status, the first that applies: ``public`` (Medicare or Medicaid itself: published
      fees, never negotiated), ``no_date`` (no renewal date on file), ``lapsed`` (the
      renewal date on file is before as_of: the contract has probably renewed and the date
      needs updating), ``missed`` (the deadline is before as_of: it renews on its current
      terms), ``open`` (notice_opens ≤ as_of), ``opens_soon`` (the window opens within
      ``window_days``), else ``later``; status_label says it in words with the days;
    - negotiable (not a public program), public_plan (Medicare Advantage or Medicaid
      managed care), due (open, opens_soon or missed), act_now (open).

    Sorted by status (``STATUSES`` order), then days_left, then payer_label.
    """
    as_of = day(as_of)
    live = terms.contracts_in_force(contracts, as_of)
    live = live[~live["payer_class"].isin(directory.NOT_PAYERS)].reset_index(drop=True)
    renewal = (
        live["renewal_date"].astype("datetime64[ns]")
        if "renewal_date" in live
        else pd.Series(pd.NaT, index=live.index, dtype="datetime64[ns]")
    )
    notice = (
        live["notice_days"].astype("Int64").fillna(DEFAULT_NOTICE_DAYS)
        if "notice_days" in live
        else pd.Series(DEFAULT_NOTICE_DAYS, index=live.index, dtype="Int64")
    ).astype("int64")
    deadline = renewal - pd.to_timedelta(notice, unit="D")
    opens = deadline - pd.Timedelta(days=lead_days)
    days_left = (deadline - as_of).dt.days.astype("Int64")
    to_open = (opens - as_of).dt.days.astype("Int64")
    public = live["payer_class"].isin(PUBLIC_PROGRAMS)
    status = np.select(
        [
            public.to_numpy(),
            renewal.isna().to_numpy(),
            renewal.lt(as_of).to_numpy(),
            deadline.lt(as_of).to_numpy(),
            opens.le(as_of).to_numpy(),
            opens.le(as_of + pd.Timedelta(days=window_days)).to_numpy(),
        ],
        ["public", "no_date", "lapsed", "missed", "open", "opens_soon"],
        default="later",
    )
    status = pd.Series(status, index=live.index, dtype="str")
    deadline_text = _days(days_left, "", " to the deadline").where(
        days_left.ne(0).fillna(True), "the deadline is today"
    )
    words = {
        "public": "Public program: published fees, not negotiated",
        "no_date": "No renewal date on file",
        "lapsed": "Renewal date on file has passed (probably renewed): update it",
        "missed": _days(-days_left, "Notice deadline missed ", " ago: renews on current terms"),
        "open": "Notice window open: " + deadline_text,
        "opens_soon": _days(to_open, "Notice window opens in "),
        "later": _days(to_open, "Notice window opens in "),
    }
    label = pd.Series("", index=live.index, dtype="str")
    for key, text in words.items():  # seven statuses, not rows
        label = label.where(status.ne(key), text)
    out = pd.DataFrame(
        {
            "payer_id": live["payer_id"],
            "product_line": live["product_line"],
            "payer_name": live["payer_name"],
            "payer_class": live["payer_class"],
            "class_label": live["payer_class"].map(CLASS_WORDS).fillna(live["payer_class"]),
            "payer_label": directory.product_labels(live),
            "negotiable": ~public,
            "public_plan": live["payer_class"].isin(PUBLIC_PLANS),
            "renewal_date": renewal,
            "notice_days": notice,
            "notice_opens": opens,
            "notice_deadline": deadline,
            "days_left": days_left,
            "status": status,
            "status_label": label,
            "due": status.isin(DUE),
            "act_now": status.eq("open"),
        }
    )
    order = out.assign(
        _rank=out["status"].map({s: i for i, s in enumerate(STATUSES)}),
        _days=out["days_left"].fillna(0),
    ).sort_values(["_rank", "_days", "payer_label"], kind="stable")
    logger.debug("renewals on %s: %d contracts, %d due", as_of.date(), len(out), out["due"].sum())
    return out.loc[order.index, UPCOMING_COLUMNS].reset_index(drop=True)


# --- which contract a line belongs to ----------------------------------------------------


def _to_contract(
    frame: pd.DataFrame, payer: str, product_line: str, schedule: pd.DataFrame
) -> pd.DataFrame:
    """``frame`` with contract_payer_id / contract_product_line: the contract its payer and
    product line fall under on the schedule's date (the product line's own contract, else
    the payer's all-products one, as posting does); NA when there is none."""
    keys = schedule[terms.CONTRACT_KEY]
    line = frame[product_line].fillna("").astype("str")
    own = (
        frame[[payer]]
        .assign(_pl=line)
        .merge(
            keys.rename(columns={"payer_id": payer, "product_line": "_pl"}).assign(_own=True),
            how="left",
            on=[payer, "_pl"],
        )
    )
    blank = keys[keys["product_line"].eq("")].assign(_blank=True)
    any_ = frame[[payer]].merge(
        blank[["payer_id", "_blank"]].rename(columns={"payer_id": payer}), how="left", on=payer
    )
    has_own = own["_own"].eq(True).to_numpy()
    has_blank = any_["_blank"].eq(True).to_numpy()
    out = frame.copy()
    out["contract_payer_id"] = frame[payer].where(has_own | has_blank)
    out["contract_product_line"] = line.where(has_own, "").where(has_own | has_blank)
    return out


def _billed(
    charges: pd.DataFrame,
    schedule: pd.DataFrame,
    period_start: DateLike | None,
    period_end: DateLike | None,
) -> pd.DataFrame:
    """Charge lines in the period (inclusive) with their contract and pricing modifier."""
    lines = charges[within(charges["date_of_service"], period_start, period_end)]
    lines = lines.assign(modifier=pricing_modifiers(lines["modifiers"]))
    return _to_contract(lines, "primary_payer_id", "product_line", schedule)


# --- rates against the other payers --------------------------------------------------------


def rate_position(
    schedule: pd.DataFrame,
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    as_of: DateLike,
    locality: str | None,
    period_start: DateLike | None = None,
    period_end: DateLike | None = None,
    top_n: int = 15,
) -> pd.DataFrame:
    """Each contract's rate for the practice's top codes against its peers' median.

    Needs schedule (``upcoming``), charges (claim_id, date_of_service, procedure_code,
    modifiers, units, primary_payer_id, product_line), contracts, fee_schedules and
    medicare_fees as for ``contracts.rates_in_force``; ``locality`` is the practice's
    Medicare locality; the period bounds are inclusive dates of service.

    Per contract × top code (``fee_comparisons.top_codes``: the practice's most billed codes,
    all payers; volume = its lines in the period): rate_cents (the posting engine's rate
    on ``as_of``, NA = no rate on file), medicare_cents (practice locality, non-facility),
    pct_of_medicare, and against its *peers* — the contracts in force of the same payer
    class with another payer_id, billed at least once in the period (so a supplemental
    plan never billed as primary does not count), with a rate for the code:
    peer_rate_cents (their median rate, half up to the cent), pct_peers, peer_contracts.

    est_annual_change_cents = the contract's billed units of the code in the period ×
    (peer_rate_cents − rate_cents), × 365 / days in the period, rounded half up: what the
    practice would have been allowed more (negative: less) in a year had this payer paid
    the peers' median. An estimate, before lesser-of-charge and multiple-procedure cuts.
    Given only where the contract billed the code on 11 claims or more (a smaller count
    could be worked out from it), for negotiable contracts; ``note`` says why it is
    missing. Columns ``CODE_COLUMNS``; contracts in schedule order, codes most billed first.
    """
    top = fee_comparisons.top_codes(charges, top_n, period_start, period_end)
    keys = schedule[["payer_id", "product_line", "payer_label", "payer_class", "negotiable"]]
    if top.empty or keys.empty:
        return pd.DataFrame(columns=CODE_COLUMNS)
    rates = terms.rates_in_force(
        contracts, fee_schedules, medicare_fees, as_of, locality, codes=top
    )
    grid = keys.reset_index(drop=True).reset_index(names="_order").merge(top, how="cross")
    grid = grid.merge(rates[[*terms.RATE_KEY, "rate_cents"]], how="left", on=terms.RATE_KEY)
    grid = grid.merge(
        terms.medicare_amounts(medicare_fees, as_of, locality), how="left", on=terms.CODE_KEY
    )
    grid = grid.astype({"rate_cents": "Int64", "medicare_cents": "Int64"})

    billed = _billed(charges, schedule, period_start, period_end)
    billed = billed[billed["contract_payer_id"].notna()]
    key = ["contract_payer_id", "contract_product_line"]
    active = billed[key].drop_duplicates().set_axis(terms.CONTRACT_KEY, axis=1)
    used = (
        billed.groupby([*key, *terms.CODE_KEY])
        .agg(code_claims=("claim_id", "nunique"), units=("units", "sum"))
        .reset_index()
        .rename(columns={key[0]: "payer_id", key[1]: "product_line"})
    )
    grid = grid.merge(used, how="left", on=terms.RATE_KEY)
    grid = grid.astype({"code_claims": "Int64", "units": "Int64"}).fillna(
        {"code_claims": 0, "units": 0}
    )

    # Peers: same class, another payer, billed in the period, with a rate for the code.
    peers = grid.merge(active, on=terms.CONTRACT_KEY)
    peers = peers.loc[
        peers["rate_cents"].notna() & peers["negotiable"],
        ["payer_id", "payer_label", "payer_class", *terms.CODE_KEY, "rate_cents"],
    ].rename(
        columns={"payer_id": "peer_id", "payer_label": "peer_label", "rate_cents": "peer_rate"}
    )
    pairs = grid[[*terms.RATE_KEY, "payer_class"]].merge(
        peers, on=["payer_class", *terms.CODE_KEY]
    )
    pairs = pairs[pairs["payer_id"].ne(pairs["peer_id"])]
    median = pairs.groupby(terms.RATE_KEY).agg(
        peer_median=("peer_rate", "median"),
        peer_contracts=("peer_label", "nunique"),
        peers=("peer_label", lambda s: "; ".join(sorted(set(s)))),  # per contract × code
    )
    grid = grid.merge(median.reset_index(), how="left", on=terms.RATE_KEY)
    # A median of whole cents is whole or half a cent: half up, exactly.
    grid["peer_rate_cents"] = np.floor(grid["peer_median"].astype("float64").to_numpy() + 0.5)
    grid["peer_rate_cents"] = grid["peer_rate_cents"].astype("Int64")
    grid["peer_contracts"] = grid["peer_contracts"].fillna(0).astype("int64")
    grid["peers"] = grid["peers"].fillna("").astype("str")
    public = ~grid["negotiable"].astype(bool)
    grid.loc[public, "peer_rate_cents"] = pd.NA
    grid.loc[public, "peer_contracts"] = 0
    grid.loc[public, "peers"] = ""

    days = days_in(period_start, period_end)
    comparable = grid["rate_cents"].notna() & grid["peer_rate_cents"].notna()
    counted = (
        comparable & grid["code_claims"].ge(ESTIMATE_MIN_CLAIMS) & grid["negotiable"] & (days > 0)
    )
    change = grid["units"].astype("Int64") * (grid["peer_rate_cents"] - grid["rate_cents"])
    annual = _half_up((change * DAYS_PER_YEAR).fillna(0), days) if days else change * 0
    note = np.select(
        [
            ~grid["negotiable"].to_numpy(),
            grid["rate_cents"].isna().to_numpy(),
            grid["peer_rate_cents"].isna().to_numpy(),
            grid["code_claims"].eq(0).to_numpy(),
            grid["code_claims"].lt(ESTIMATE_MIN_CLAIMS).to_numpy(),
        ],
        [
            "public program",
            fee_comparisons.NO_RATE,
            "no other payer of this kind to compare",
            "not billed to this payer in the period",
            f"fewer than {ESTIMATE_MIN_CLAIMS} claims: not estimated",
        ],
        default="",
    )
    out = grid.assign(
        code_label=procedure_codes.code_label(grid),
        pct_of_medicare=terms.pct_of(grid["rate_cents"], grid["medicare_cents"]),
        pct_peers=terms.pct_of(grid["peer_rate_cents"], grid["medicare_cents"]),
        est_annual_change_cents=annual.astype("Int64").where(counted, pd.NA),
        note=pd.Series(note, index=grid.index, dtype="str"),
        volume=grid["volume"].astype("int64"),
    )
    out = out.sort_values(
        ["_order", "volume", *terms.CODE_KEY], ascending=[True, False, True, True]
    )
    return out[CODE_COLUMNS].reset_index(drop=True)


def rate_summary(code_rows: pd.DataFrame) -> pd.DataFrame:
    """Per contract: its rates and its peers' as one percent of Medicare each.

    Needs a ``rate_position`` frame. Over the *compared* codes — those where the contract
    and its peers both have a rate and Medicare an amount (without peers: where the
    contract has a rate and Medicare an amount) — returns payer_id, product_line, n_codes
    (how many), pct_of_medicare = 100 × Σ volume × rate / Σ volume × Medicare, pct_peers
    = the same with the peers' median rates (volume = the practice's lines of the code,
    all payers, so both percents weigh the codes alike), peers (the peer contracts' labels),
    codes_in_estimate and est_annual_change_cents (the sum of the per-code estimates
    shown; NA when no code has one).
    """
    if code_rows.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    rows = code_rows
    has_peers = (
        rows["peer_rate_cents"]
        .notna()
        .groupby([rows["payer_id"], rows["product_line"]])
        .transform("any")
    )
    compared = (
        rows["rate_cents"].notna()
        & rows["medicare_cents"].notna()
        & (rows["peer_rate_cents"].notna() | ~has_peers.astype(bool))
    )
    volume = rows["volume"].astype("int64")
    parts = pd.DataFrame(
        {
            "payer_id": rows["payer_id"],
            "product_line": rows["product_line"],
            "n_codes": compared.astype("int64"),
            "rate": (volume * rows["rate_cents"]).where(compared, 0),
            "peer": (volume * rows["peer_rate_cents"]).where(compared, 0),
            "peer_known": (rows["peer_rate_cents"].notna() & compared).astype("int64"),
            "medicare": (volume * rows["medicare_cents"]).where(compared, 0),
            "in_estimate": rows["est_annual_change_cents"].notna().astype("int64"),
            "change": rows["est_annual_change_cents"].fillna(0),
        }
    )
    sums = parts.groupby(terms.CONTRACT_KEY, sort=False).sum().reset_index()
    medicare = sums["medicare"].astype("Float64")
    medicare = medicare.where(medicare.ne(0))
    peer_pct = sums["peer"].astype("Float64") * 100 / medicare
    labels = rows.groupby(terms.CONTRACT_KEY, sort=False)["peers"].agg(
        lambda s: "; ".join(sorted(set("; ".join(s).split("; ")) - {""}))
    )
    labels = labels.reindex(pd.MultiIndex.from_frame(sums[terms.CONTRACT_KEY])).to_numpy()
    out = sums.assign(
        pct_of_medicare=sums["rate"].astype("Float64") * 100 / medicare,
        pct_peers=peer_pct.where(sums["peer_known"].gt(0)),
        peers=labels,
        codes_in_estimate=sums["in_estimate"],
        est_annual_change_cents=sums["change"].astype("Int64").where(sums["in_estimate"].gt(0)),
    )
    return out[SUMMARY_COLUMNS]


# --- volume, payments and denials ---------------------------------------------------------


def activity(
    schedule: pd.DataFrame,
    charges: pd.DataFrame,
    adjudicated: pd.DataFrame,
    denials: pd.DataFrame,
    period_start: DateLike | None = None,
    period_end: DateLike | None = None,
) -> pd.DataFrame:
    """Per contract: what the practice billed it, what it paid and what it denied.

    Needs schedule (``upcoming``), charges (claim_id, date_of_service, modifiers,
    primary_payer_id, product_line), adjudicated (``remitted.adjudicated``, already in
    the period: remit_id, claim_id, payer_id, product_line, paid_cents, primary) and
    denials (remit_id, claim_id, denial_class, void).

    Returns ``ACTIVITY_COLUMNS``, one row per contract with billed or remitted lines, one
    for lines under no contract on file (payer_id ``NO_CONTRACT``; a part of the total, never
    shown) and the total row (``is_total``): claims and lines billed with dates of service in
    the period; adjudicated_claims (claims the payer adjudicated as primary payer);
    denied_claims (those with a line or the whole claim denied on the same remittance —
    bundled lines are not denials of the claim); pct_denied = denied ÷ adjudicated claims
    (domain §7); paid_cents (the payer's payments as primary) and pct_paid_share = its share
    of every payer payment on remitted lines in the period (secondary payments count in
    the total only). Suppressed: counts of 1-10 read "<11" (``*_small``), complements are
    hidden against the total and within each payer, pct_denied follows denied and
    adjudicated claims, paid dollars and share follow adjudicated claims, and a contract
    whose billed claims are hidden shows no dollars.
    """
    key = ["contract_payer_id", "contract_product_line"]
    billed = _with_other(_billed(charges, schedule, period_start, period_end))
    volume = billed.groupby(key).agg(claims=("claim_id", "nunique"), lines=("claim_id", "size"))

    primary = adjudicated[adjudicated["primary"].astype(bool)]
    remitted = _with_other(_to_contract(primary, "payer_id", "product_line", schedule))
    counted = live(denials)
    denied = counted.loc[counted["denial_class"].eq("denied"), ["remit_id", "claim_id"]]
    denied = denied.drop_duplicates().assign(_denied=True)
    remitted = remitted.merge(denied, how="left", on=["remit_id", "claim_id"])
    was_denied = remitted["_denied"].eq(True).fillna(False).astype(bool)
    remitted = remitted.assign(denied_claim=remitted["claim_id"].where(was_denied))
    paid = remitted.groupby(key).agg(
        adjudicated_claims=("claim_id", "nunique"),
        denied_claims=("denied_claim", "nunique"),
        paid_cents=("paid_cents", "sum"),
    )
    money = [*ACTIVITY_COUNTS, "paid_cents"]
    table = volume.join(paid, how="outer").reindex(columns=money).fillna(0).astype("int64")
    table = table.rename_axis(terms.CONTRACT_KEY).reset_index()
    if table.empty:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS)
    total = pd.DataFrame([{c: int(table[c].sum()) for c in money}])
    table = pd.concat(
        [table.assign(**{TOTAL: False}), total.assign(**{TOTAL: True})], ignore_index=True
    ).astype({c: "int64" for c in money})
    raw = table.copy()
    table = privacy.suppress(table, ACTIVITY_COUNTS, {"paid_cents": "adjudicated_claims"})
    table = _hide_within_payers(table, raw, ACTIVITY_COUNTS)
    # Rate and share from what is still shown: NA wherever a count they rest on is hidden.
    # Nothing adjudicated (or paid) reads 0 %, not a hidden figure.
    adjudicated_n = table["adjudicated_claims"].astype("Float64")
    denial = (
        table["denied_claims"].astype("Float64")
        * 100
        / adjudicated_n.where(adjudicated_n.gt(0), 1.0)
    )
    table["pct_denied"] = denial.astype("Float64")
    all_paid = int(adjudicated["paid_cents"].astype("int64").sum())
    share = table["paid_cents"].astype("Float64") * 100 / (all_paid or 1)
    table["pct_paid_share"] = share.astype("Float64")
    hidden = table["claims"].isna() | table["adjudicated_claims"].isna()
    table.loc[hidden, ["paid_cents", "pct_paid_share", "pct_denied"]] = pd.NA
    return table[ACTIVITY_COLUMNS]


def _with_other(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines under no contract on file go to one ``NO_CONTRACT`` part (never shown): they
    are part of the practice total that other pages show."""
    no_contract = lines["contract_payer_id"].isna()
    return lines.assign(
        contract_payer_id=lines["contract_payer_id"].where(~no_contract, NO_CONTRACT),
        contract_product_line=lines["contract_product_line"].where(~no_contract, ""),
    )


def _hide_within_payers(table: pd.DataFrame, raw: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """The complementary rule of ``privacy.suppress`` once more inside each payer: a
    payer's product-line contracts add up to the payer's total, which other pages show.
    Where one part of a payer is hidden (or the hidden parts add up to 1-10), its smallest
    non-zero part still shown is hidden too."""
    out = table.copy()
    parts = ~out[TOTAL].astype(bool)
    payer = out["payer_id"].where(parts)
    rows = parts.groupby(payer).transform("sum")
    for column in counts:
        n = raw[column].astype("int64")
        hidden = out[column].isna() & parts
        n_hidden = hidden.groupby(payer).transform("sum")
        sum_hidden = n.where(hidden, 0).groupby(payer).transform("sum")
        needs = (
            parts & rows.ge(2) & (n_hidden.eq(1) | sum_hidden.between(1, privacy.small_cell() - 1))
        )
        candidates = n.where(needs & ~hidden & n.gt(0))
        candidates = candidates.dropna()
        picked = candidates.groupby(payer[candidates.index]).idxmin()
        out.loc[picked.to_numpy(), column] = pd.NA
    return out


# --- the evidence table --------------------------------------------------------------------


def evidence(
    schedule: pd.DataFrame,
    summary: pd.DataFrame,
    activity_table: pd.DataFrame,
    underpaid: pd.DataFrame,
) -> pd.DataFrame:
    """One row per negotiable contract (schedule order): dates, rates, history.

    Needs schedule (``upcoming``), summary (``rate_summary``), activity_table
    (``activity``) and underpaid (``recovery.underpayments_by_payer``). Returns
    ``EVIDENCE_COLUMNS``: the schedule's columns; n_codes, pct_of_medicare, pct_peers,
    peers, codes_in_estimate, est_annual_change_cents and est_note (why there is no
    estimate, '' when there is one); claims, lines, adjudicated_claims, denied_claims,
    pct_denied, paid_cents, pct_paid_share; and the payer's under-payment history for the
    period (all its product lines together, as posting records it): underpaid_lines,
    underpaid_cents (expected − allowed), at_stake_cents (open follow-ups),
    recovered_cents; ``*_small`` flags. Public programs (Medicare, Medicaid) are left out.
    A contract with no activity reads 0; a contract whose billed claims are hidden (1-10,
    or hidden as a complement) shows no dollars: its estimate, payments and under-payment
    dollars are NA too.
    """
    rows = schedule[schedule["negotiable"].astype(bool)]
    out = rows.merge(summary, how="left", on=terms.CONTRACT_KEY)
    act = activity_table
    if len(act):
        act = act[~act[TOTAL].astype(bool)]
    act = act.drop(columns=[TOTAL]).assign(_active=True)
    out = out.merge(act, how="left", on=terms.CONTRACT_KEY)
    under = underpaid
    if len(under):
        under = under[~under[TOTAL].astype(bool)]
    under = under.rename(
        columns={"lines": "underpaid_lines", "lines_small": "underpaid_lines_small"}
    )
    under = under.reindex(columns=["payer_id", *UNDERPAID_COLUMNS, "underpaid_lines_small"])
    out = out.merge(under.assign(_underpaid=True), how="left", on="payer_id")
    # No row in a table = nothing happened (0), not a hidden figure.
    active = out["_active"].eq(True).fillna(False).astype(bool)
    listed = out["_underpaid"].eq(True).fillna(False).astype(bool)
    zero = {
        **{c: active for c in [*ACTIVITY_COUNTS, "paid_cents"]},
        **{c: listed for c in UNDERPAID_COLUMNS},
    }
    for column, known in zero.items():
        out[column] = out[column].astype("Int64").mask(~known, 0)
    for column in ["pct_denied", "pct_paid_share"]:
        out[column] = out[column].astype("Float64").mask(~active, 0.0)
    for column in [*ACTIVITY_COUNTS, "underpaid_lines"]:
        out[column + SMALL] = out[column + SMALL].eq(True).fillna(False).astype(bool)
    for column in ["n_codes", "codes_in_estimate"]:
        out[column] = out[column].fillna(0).astype("int64")
    out["peers"] = out["peers"].fillna("").astype("str")
    for column in ["pct_of_medicare", "pct_peers"]:
        out[column] = out[column].astype("Float64")
    out["est_annual_change_cents"] = out["est_annual_change_cents"].astype("Int64")
    # A contract whose claims are hidden (fewer than 11, or a complement) shows no dollars.
    hidden = out["claims"].isna()
    dollars = ["est_annual_change_cents", *UNDERPAID_COLUMNS[1:], "paid_cents", "pct_paid_share"]
    out.loc[hidden, dollars] = pd.NA
    note = np.select(
        [
            out["est_annual_change_cents"].notna().to_numpy(),
            out["pct_peers"].isna().to_numpy(),
            out["claims_small"].to_numpy(),
            hidden.to_numpy(),
            out["claims"].eq(0).fillna(False).to_numpy(),
        ],
        [
            "",
            "no other payer of this kind to compare",
            f"fewer than {privacy.small_cell()} claims",
            "hidden so that a small count cannot be worked out",
            "not billed in the period",
        ],
        default=f"no code billed on {ESTIMATE_MIN_CLAIMS} claims or more with rates on both sides",
    )
    out["est_note"] = pd.Series(note, index=out.index, dtype="str")
    return out[EVIDENCE_COLUMNS].reset_index(drop=True)


def due(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of an ``upcoming`` or ``evidence`` frame that are due (open, opening
    soon, deadline just missed), in their order."""
    return frame[frame["due"].astype(bool)].reset_index(drop=True)


def others(schedule: pd.DataFrame) -> pd.DataFrame:
    """The rows of an ``upcoming`` frame that are not due: later windows, no renewal date
    on file, a renewal date that has passed, and the public programs."""
    return schedule[~schedule["due"].astype(bool)].reset_index(drop=True)


def codes_for(code_rows: pd.DataFrame, contracts_shown: pd.DataFrame) -> pd.DataFrame:
    """The ``rate_position`` rows of the contracts in ``contracts_shown`` (payer_id,
    product_line), in the order of ``contracts_shown``."""
    keys = contracts_shown[terms.CONTRACT_KEY].drop_duplicates().reset_index(names="_at")
    out = code_rows.merge(keys, on=terms.CONTRACT_KEY)
    return out.sort_values("_at", kind="stable")[CODE_COLUMNS].reset_index(drop=True)


def history(evidence_rows: pd.DataFrame, remittances: pd.DataFrame) -> pd.DataFrame:
    """The due contracts' payment and denial history; empty when no remittance is on file
    (the page then says so instead of a table of zeros). Needs an ``evidence`` frame and
    the remittances table (any columns)."""
    if remittances.empty:
        return evidence_rows.iloc[0:0]
    return due(evidence_rows)


def top_renewal_action(evidence_rows: pd.DataFrame) -> pd.DataFrame:
    """The renewal most worth working now, one row (or none).

    Needs an ``evidence`` frame. Among negotiable contracts whose notice window is open or
    opens soon (the deadline has not passed) and whose estimated annual change is shown
    and positive, the largest; ties go to the nearer deadline. Returns ``TOP_COLUMNS``:
    payer_label, class_label, status and status_label, renewal_date, notice_deadline,
    days_left, est_annual_gain_cents (the estimate: what the practice would be allowed more
    in a year at the peers' median percent of Medicare), pct_of_medicare, pct_peers,
    n_codes. Empty with those columns when no contract qualifies.
    """
    if evidence_rows.empty:
        return pd.DataFrame(columns=TOP_COLUMNS)
    gain = evidence_rows["est_annual_change_cents"].astype("Int64")
    fit = (
        evidence_rows["negotiable"].astype(bool)
        & evidence_rows["status"].isin(ACTIONABLE)
        & evidence_rows["days_left"].ge(0).fillna(False).astype(bool)
        & gain.gt(0).fillna(False).astype(bool)
    )
    picked = evidence_rows[fit].assign(est_annual_gain_cents=gain[fit])
    picked = picked.sort_values(
        ["est_annual_gain_cents", "days_left", "payer_label"],
        ascending=[False, True, True],
        kind="stable",
    )
    return picked.head(1)[TOP_COLUMNS].reset_index(drop=True)


def headline(schedule: pd.DataFrame, evidence_rows: pd.DataFrame, as_of: DateLike) -> pd.DataFrame:
    """The page's key figures, one row (``HEADLINE_COLUMNS``): as_of; how many contracts
    have their notice window open, opening soon, a missed deadline, no renewal date on file
    (public programs not counted: they have no notice window); and the top renewal action's
    payer and estimated annual gain (NA without one). Contract counts are not claim counts
    and are not suppressed."""
    negotiable = schedule[schedule["negotiable"].astype(bool)]
    top = top_renewal_action(evidence_rows)
    row = {
        "as_of": day(as_of),
        "windows_open": int(negotiable["status"].eq("open").sum()),
        "windows_opening": int(negotiable["status"].eq("opens_soon").sum()),
        "deadlines_missed": int(negotiable["status"].eq("missed").sum()),
        "no_renewal_date": int(negotiable["status"].eq("no_date").sum()),
        "top_payer": top["payer_label"].iloc[0] if len(top) else "none this time",
        "top_gain_cents": top["est_annual_gain_cents"].iloc[0] if len(top) else pd.NA,
    }
    out = pd.DataFrame([row]).astype({"as_of": "datetime64[ns]", "top_gain_cents": "Int64"})
    return out[HEADLINE_COLUMNS]
