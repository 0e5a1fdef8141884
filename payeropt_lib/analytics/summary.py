"""The Summary page: a practice's headline numbers and the three actions most worth taking.

Pure functions over frames the other compute modules return (already suppressed): this
module only picks and ranks, so the Summary never shows a number the detail pages do not.

An action is one sentence a practice manager can act on, its dollar value (the money it
concerns: at stake, denied, or the estimated yearly gain), and a link to the section of the
page that holds its evidence. Guardrails: no action ever suggests dropping a payer or
limiting any patient's access; Medicare and Medicaid appear only as compliance actions
(over-payments to return), never as payers to renegotiate.
"""

from __future__ import annotations

import pandas as pd

from payeropt_lib.formats import money

from .privacy import SMALL_SUFFIX, TOTAL, small_cell
from .recovery import HEADLINE_VALUES

# (column, label) of the headline figures, in the order the Summary and the indexes show.
HEADLINE_LABELS = [
    ("pct_net_collection", "Net collection rate"),
    ("pct_denial", "Denial rate (claims)"),
    ("median_days_to_payment", "Median days to payment"),
    ("pct_allowed_of_expected", "Allowed as share of contract"),
    ("underpaid_cents", "Under-paid on remitted lines"),
    ("recovered_cents", "Recovered"),
    ("at_stake_cents", "At stake in open follow-ups"),
    ("past_deadline_cents", "Of which past the appeal deadline"),
]
# The count each dollar figure of the headline sums (its small flag is the count's).
_COUNT_OF = {**HEADLINE_VALUES, "past_deadline_cents": "past_deadline_claims"}


# A dollar figure hidden because it sums 1-10 claims or lines says so: on its own, a bare
# "suppressed" (or "<11", which reads as dollars) does not tell a manager why it is blank.
def headline_small_text() -> dict[str, str]:
    """What each headline dollar figure hidden with its 1-10 count reads: "<11 claims"
    (with the cell size in force, ``privacy.small_cell``)."""
    return {
        value: f"<{small_cell()} {count.rsplit('_', 1)[1]}"
        for value, count in _COUNT_OF.items()
        if value in dict(HEADLINE_LABELS)
    }


# deadline: the day by which the action must be taken (NaT: none, or already passed).
ACTION_COLUMNS = ["kind", "action", "evidence", "value_cents", "href", "priority", "deadline"]
# Compliance before money: a Medicare/Medicaid over-payment must be returned within 60 days.
PRIORITY = {
    "return_overpayment": 0,
    "appeal": 1,
    "past_deadline": 1,
    "denials": 1,
    "renegotiate": 1,
}


def headline(kpis: pd.DataFrame, stake: pd.DataFrame) -> pd.DataFrame:
    """One row: the ``HEADLINE_LABELS`` figures, their ``*_small`` flags and ``claims``.

    Needs ``kpis`` from ``performance.practice_kpis`` (pct_net_collection, pct_denial,
    median_days_to_payment, pct_allowed_of_expected, claims) and ``stake`` from
    ``recovery.headline`` (underpaid_cents, recovered_cents, at_stake_cents). Both are one
    suppressed row; NA = hidden or not measurable. Their ``*_small`` flags come along, and
    each dollar figure of ``headline_small_text`` gets its count's flag as its own.
    """
    row: dict[str, object] = {}
    for source in (kpis, stake):
        if source.empty:
            continue
        first = source.iloc[0]
        for column in source.columns:
            row[column] = first[column]
    out = pd.DataFrame([row]) if row else pd.DataFrame(index=[0])
    for column, _ in HEADLINE_LABELS:
        if column not in out:
            out[column] = pd.NA
    for value in headline_small_text():  # a dollar figure is flagged with its count
        count_flag = _COUNT_OF[value] + SMALL_SUFFIX
        if count_flag in out:
            out[value + SMALL_SUFFIX] = out[count_flag]
    flags = [c for c in out.columns if c.endswith(SMALL_SUFFIX)]
    if "claims" not in out:
        out["claims"] = pd.NA
    # claims: adjudicated claims; 0 says a missing figure is no data, not a hidden one.
    return out[[c for c, _ in HEADLINE_LABELS] + flags + ["claims"]]


def _shown(value: object) -> bool:
    return value is not None and not pd.isna(value)


def appeal_actions(appealable: pd.DataFrame, as_of: pd.Timestamp, top_n: int = 3) -> pd.DataFrame:
    """Follow up the under-paid claims of each of the ``top_n`` payers with the most money
    still appealable, each with its nearest appeal deadline.

    Needs ``recovery.appealable_by_payer``. Hidden (suppressed) rows and the total are
    never chosen.
    """
    rows = appealable[~appealable[TOTAL].astype(bool)] if len(appealable) else appealable
    rows = rows[rows["at_stake_cents"].notna()] if len(rows) else rows
    rows = rows[rows["at_stake_cents"].astype("int64") > 0] if len(rows) else rows
    if rows.empty:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    top = rows.sort_values("at_stake_cents", ascending=False, kind="stable").head(top_n)
    out = []
    for _, row in top.iterrows():  # a few payers
        stake = int(row["at_stake_cents"])
        claims = row["open_claims"]
        claims_text = f"{int(claims):,} claims" if _shown(claims) else "Several claims"
        deadline = pd.Timestamp(row["next_deadline"])
        days = (deadline - pd.Timestamp(as_of).normalize()).days
        out.append(
            {
                "kind": "appeal",
                "action": f"Follow up the under-paid claims with {row['payer_label']}",
                "evidence": f"{claims_text} with {money(stake)} at stake, paid below the "
                f"contract and still within the appeal window; the first deadline is "
                f"{deadline:%Y-%m-%d} ({_days(days)}).",
                "value_cents": stake,
                "href": "underpayments.html#Under-payments-by-payer",
                "priority": PRIORITY["appeal"],
                "deadline": deadline,
            }
        )
    return pd.DataFrame(out, columns=ACTION_COLUMNS)


def past_deadline_action(stake: pd.DataFrame) -> pd.DataFrame:
    """Name the money in open follow-ups past the appeal deadline, and what can still be
    done about it (``recovery.headline``'s past_deadline_claims and past_deadline_cents).

    A payer's own pricing error is often corrected outside the appeal window when asked as
    a reprocessing request through provider relations; what it refuses is written off, not
    left open.
    """
    if stake.empty or not _shown(stake.iloc[0].get("past_deadline_cents")):
        return pd.DataFrame(columns=ACTION_COLUMNS)
    row = stake.iloc[0]
    cents = int(row["past_deadline_cents"])
    if cents <= 0:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    claims = row["past_deadline_claims"]
    claims_text = f"{int(claims):,} claims" if _shown(claims) else "Several claims"
    return pd.DataFrame(
        [
            {
                "kind": "past_deadline",
                "action": "Ask payers to reprocess the under-payments past their appeal deadline",
                "evidence": f"{claims_text} with {money(cents)} at stake are past the appeal "
                "deadline. A formal appeal is closed, but a payer's own pricing error can "
                "often still be corrected: ask each payer's provider representative to "
                "reprocess them at the contract rate, and write off only what is refused.",
                "value_cents": cents,
                "href": "underpayments.html#How-old-the-open-follow-ups-are",
                "priority": PRIORITY["past_deadline"],
                "deadline": pd.NaT,
            }
        ],
        columns=ACTION_COLUMNS,
    )


def _days(days: int) -> str:
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days:,} days"


def overpayment_action(overpaid: pd.DataFrame) -> pd.DataFrame:
    """Medicare / Medicaid over-payments to report and return (domain §10: 60 days).

    Needs ``recovery.overpayments_by_payer`` (federal, lines, overpaid_cents). Proposed even
    when the figures are hidden (fewer than 11 lines): the duty does not depend on size.
    """
    if overpaid.empty:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    rows = overpaid[overpaid["federal"].fillna(False).astype(bool)]
    if "is_total" in rows:
        rows = rows[~rows["is_total"].fillna(False).astype(bool)]
    if rows.empty:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    shown = rows["overpaid_cents"].dropna()
    value = int(shown.astype("int64").sum()) if len(shown) == len(rows) else None
    amount = money(value) if value is not None else "A small amount (fewer than 11 lines)"
    return pd.DataFrame(
        [
            {
                "kind": "return_overpayment",
                "action": "Review and return Medicare / Medicaid over-payments",
                "evidence": f"{amount} was allowed above the fee schedule by Medicare or "
                "Medicaid; identified over-payments must be reported and returned within "
                "60 days.",
                "value_cents": value,
                "href": "underpayments.html#Over-payments",
                "priority": PRIORITY["return_overpayment"],
                "deadline": pd.NaT,
            }
        ]
    )


def actions(*candidates: pd.DataFrame, top_n: int = 3) -> pd.DataFrame:
    """The ``top_n`` actions: compliance always, then the largest sums of money; listed
    compliance first, then the nearest deadline first (actions without one after, the
    most money first among them); numbered from 1.

    Each candidate is a frame of ``ACTION_COLUMNS`` (empty when it does not apply).
    """
    parts = [c.reindex(columns=ACTION_COLUMNS) for c in candidates if len(c)]
    if not parts:
        return pd.DataFrame(columns=["rank", *ACTION_COLUMNS])
    pool = pd.concat(parts, ignore_index=True)
    pool = pool.assign(
        _value=pd.to_numeric(pool["value_cents"]).fillna(0),
        deadline=pd.to_datetime(pool["deadline"]),
    )
    chosen = pool.sort_values(["priority", "_value"], ascending=[True, False], kind="stable")
    chosen = chosen.head(top_n).sort_values(
        ["priority", "deadline", "_value"], ascending=[True, True, False],
        na_position="last", kind="stable",
    )  # fmt: skip
    out = chosen.drop(columns="_value").reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    out["value_cents"] = out["value_cents"].astype("Int64")
    return out


def denial_action(top: pd.DataFrame) -> pd.DataFrame:
    """The denial problem most worth working (``denial_analytics.top_denial_reason``).

    Its figures are at least 11 claims by construction. For Medicare or Medicaid the
    action is to work the denials, never to see fewer of their patients.
    """
    if top.empty:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    row = top.iloc[0]
    cents = int(row["denied_cents"])
    label = str(row["category_label"]).lower()
    todo = str(row["action"])
    todo = todo[:1].lower() + todo[1:]
    return pd.DataFrame(
        [
            {
                "kind": "denials",
                "action": f"Work the {label} denials from {row['payer_label']}",
                "evidence": f"{int(row['claims']):,} claims with {money(cents)} billed were "
                f"denied for {label}: {todo}",
                "value_cents": cents,
                "href": "denials.html#Denials-by-reason",
                "priority": PRIORITY["denials"],
                "deadline": pd.NaT,
            }
        ]
    )


def renewal_action(top: pd.DataFrame) -> pd.DataFrame:
    """The contract renewal most worth working now (``renewals.top_renewal_action``)."""
    if top.empty:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    row = top.iloc[0]
    gain = int(row["est_annual_gain_cents"])
    deadline = pd.Timestamp(row["notice_deadline"]).strftime("%Y-%m-%d")
    rates = ""
    if _shown(row["pct_of_medicare"]) and _shown(row["pct_peers"]):
        rates = (
            f" It pays {float(row['pct_of_medicare']):.0f}% of Medicare on your top codes; "
            f"your other payers of the same kind pay {float(row['pct_peers']):.0f}%."
        )
    return pd.DataFrame(
        [
            {
                "kind": "renegotiate",
                "action": f"Renegotiate the {row['payer_label']} contract before {deadline}",
                "evidence": f"Notice is due in {int(row['days_left']):,} days.{rates} At "
                f"your other payers' rates it would pay about {money(gain)} more a year "
                "(an estimate).",
                "value_cents": gain,
                "href": "contract-renewals.html",
                "priority": PRIORITY["renegotiate"],
                "deadline": pd.Timestamp(row["notice_deadline"]),
            }
        ]
    )
