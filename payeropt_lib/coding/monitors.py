"""The monitors that keep coding suggestions honest (issue 14; docs/coding.md, "Monitors"):
per clinician (rendering NPI) and month of service, are downcodes surfaced as readily as
upcodes, are suggestions decided on their merits, and are they decided at all?

Pure and vectorized over store frames (no loop over rows, no store, no clock: ``as_of``
is given). The thresholds, one home each, and exactly where they fall:

- **Downcode balance** (``DOWNCODES_PER_UPCODE_MIN`` = 1/3): an alert when a cell has at
  least one upcode and down ÷ up < 1/3, decided in integers (3 × down < up). One downcode
  per three upcodes exactly is no alert (1 down, 3 up: none; 1 down, 4 up: alert). No
  upcode, no alert (and no ratio: NA).
- **Acceptance rate** (``ACCEPTANCE_LOW`` = 30 %, ``ACCEPTANCE_HIGH`` = 70 %): accepted ÷
  (accepted + rejected), over decided suggestions only; an alert when at least one is
  decided and the rate is below 30 % or above 70 %, decided in integers (10 × accepted
  < 3 × decided, or > 7 × decided). 30 % and 70 % exactly are no alert. Nothing decided,
  no alert (and no rate: NA).
- **Left open** (``STALE_AFTER_DAYS`` = 14): an open suggestion is stale when more than 14
  whole days lie between the UTC day it was created (``created_at``'s date) and
  ``as_of``: created on ``as_of`` − 15 days or earlier. Exactly 14 days is not stale. An
  alert when a cell holds a stale suggestion.

What is counted: every suggestion but the withdrawn ones (withdrawn = the documentation
or the billed lines no longer support it: it was never the clinician's to decide), with
its status as stored now (not as it was on ``as_of``). A suggestion belongs to the
clinician and month of the line it is about (its own ``rendering_npi`` and
``date_of_service``, kept on the row for this); an encounter to those of its claim's first
line (lowest ``line_number``); an encounter whose claim has no line on file has no
clinician or month and is not counted. A line without a rendering NPI counts under a
missing NPI (NA), a clinician of its own.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pandas as pd

from payeropt_lib import formats

DOWNCODES_PER_UPCODE_MIN = Fraction(1, 3)  # fewer downcodes than this per upcode: alert
ACCEPTANCE_LOW = Fraction(3, 10)  # an acceptance rate below this: alert
ACCEPTANCE_HIGH = Fraction(7, 10)  # an acceptance rate above this: alert
STALE_AFTER_DAYS = 14  # an open suggestion older than this many whole days: stale

KEYS = ["rendering_npi", "service_month"]
COUNTS = ["encounters", "up", "down", "accepted", "rejected", "open", "stale_open"]
ALERTS = ("downcode_balance", "acceptance", "stale")
ALERT_COLUMNS = [f"{name}_alert" for name in ALERTS]
COLUMNS = [
    *KEYS, "encounters", "up", "down", "downcodes_per_upcode", "accepted", "rejected",
    "open", "acceptance_rate", "stale_open", *ALERT_COLUMNS,
]  # fmt: skip
ALERT_LABELS = {
    "downcode_balance": "Downcode balance",
    "acceptance": "Acceptance rate",
    "stale": "Left open",
}
LONG_COLUMNS = ["clinician", "month", "alert", "figure", "threshold", "sentence"]
NO_NPI = "No rendering NPI"


def month_of(dates: pd.Series) -> pd.Series:
    """The first day of each date's month (``datetime64[ns]``), the month of service."""
    months = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
    return pd.Series(months.astype("datetime64[ns]"), index=dates.index)


def encounter_cells(encounters: pd.DataFrame, charges: pd.DataFrame) -> pd.DataFrame:
    """Each encounter's clinician and month: those of its claim's first line. Needs
    encounters: claim_id; charges: claim_id, line_number, rendering_npi, date_of_service.
    Returns claim_id, rendering_npi, service_month; an encounter whose claim has no line
    is left out."""
    first = charges.sort_values(["claim_id", "line_number"]).drop_duplicates("claim_id")
    cells = encounters[["claim_id"]].merge(
        first[["claim_id", "rendering_npi", "date_of_service"]], on="claim_id"
    )
    return pd.DataFrame(
        {
            "claim_id": cells["claim_id"],
            "rendering_npi": cells["rendering_npi"],
            "service_month": month_of(cells["date_of_service"]),
        }
    )


def is_stale(suggestions: pd.DataFrame, as_of: dt.date | pd.Timestamp) -> pd.Series:
    """True for an open suggestion created more than ``STALE_AFTER_DAYS`` whole days before
    ``as_of`` (its UTC day of creation; 14 days exactly is not stale). Needs status and
    created_at (ISO UTC text)."""
    created = pd.to_datetime(suggestions["created_at"].astype("str").str.slice(0, 10))
    age = (pd.Timestamp(as_of).normalize() - created).dt.days
    return suggestions["status"].eq("open") & age.gt(STALE_AFTER_DAYS)


def balance_alert(up: pd.Series, down: pd.Series) -> pd.Series:
    """True where at least one upcode and fewer than ``DOWNCODES_PER_UPCODE_MIN``
    downcodes per upcode (exact: 1 per 3 is no alert)."""
    ratio = DOWNCODES_PER_UPCODE_MIN
    up, down = up.astype("int64"), down.astype("int64")
    return up.gt(0) & (down * ratio.denominator).lt(up * ratio.numerator)


def acceptance_alert(accepted: pd.Series, rejected: pd.Series) -> pd.Series:
    """True where a suggestion is decided and the acceptance rate is below
    ``ACCEPTANCE_LOW`` or above ``ACCEPTANCE_HIGH`` (exact: 30 % and 70 % are no alert)."""
    accepted = accepted.astype("int64")
    decided = accepted + rejected.astype("int64")
    low = (accepted * ACCEPTANCE_LOW.denominator).lt(decided * ACCEPTANCE_LOW.numerator)
    high = (accepted * ACCEPTANCE_HIGH.denominator).gt(decided * ACCEPTANCE_HIGH.numerator)
    return decided.gt(0) & (low | high)


def judged(counts: pd.DataFrame) -> pd.DataFrame:
    """The figures and alerts of cells whose counts are known (``COUNTS``: encounters, up,
    down, accepted, rejected, open, stale_open): adds downcodes_per_upcode (Float64, NA
    without an upcode), acceptance_rate (Float64 from 0 to 1, NA with nothing decided)
    and the three ``*_alert`` flags. Used on clinicians and on pooled cells alike."""
    out = counts.copy()
    for column in COUNTS:
        out[column] = out[column].astype("int64")
    up = out["up"].astype("Float64")
    out["downcodes_per_upcode"] = out["down"].astype("Float64") / up.where(up.gt(0))
    decided = (out["accepted"] + out["rejected"]).astype("Float64")
    out["acceptance_rate"] = out["accepted"].astype("Float64") / decided.where(decided.gt(0))
    out["downcode_balance_alert"] = balance_alert(out["up"], out["down"])
    out["acceptance_alert"] = acceptance_alert(out["accepted"], out["rejected"])
    out["stale_alert"] = out["stale_open"].gt(0)
    return out


def monitor_table(
    suggestions: pd.DataFrame,
    encounters: pd.DataFrame,
    charges: pd.DataFrame,
    as_of: dt.date | pd.Timestamp,
) -> pd.DataFrame:
    """One row per clinician (rendering NPI) and month of service, with what the monitors
    watch; the module docstring says what is counted where, and the thresholds.

    Needs suggestions: rendering_npi, date_of_service, direction, status, created_at;
    encounters: claim_id; charges: claim_id, line_number, rendering_npi, date_of_service.

    Columns (``COLUMNS``): rendering_npi (NA: no NPI on the line), service_month (first
    day), encounters (count), up and down (suggestions in that direction; ``none`` counts
    in neither), downcodes_per_upcode (down ÷ up, Float64, NA when up = 0), accepted,
    rejected, open (suggestions by status), acceptance_rate (accepted ÷ (accepted +
    rejected), Float64 0-1, NA when none decided), stale_open (open and older than 14
    days on ``as_of``), downcode_balance_alert, acceptance_alert, stale_alert (bool).
    Sorted by month, then NPI (a missing NPI last). A clinician and month with encounters
    and no suggestion has a row of zeros; one with suggestions and no encounter a row
    with 0 encounters.
    """
    live = suggestions[suggestions["status"].ne("withdrawn")]
    status = live["status"]
    counted = pd.DataFrame(
        {
            "rendering_npi": live["rendering_npi"],
            "service_month": month_of(live["date_of_service"]),
            "encounters": 0,
            "up": live["direction"].eq("up"),
            "down": live["direction"].eq("down"),
            "accepted": status.eq("accepted"),
            "rejected": status.eq("rejected"),
            "open": status.eq("open"),
            "stale_open": is_stale(live, as_of),
        }
    )
    seen = encounter_cells(encounters, charges).drop(columns="claim_id")
    seen = seen.assign(**{c: int(c == "encounters") for c in COUNTS})
    rows = pd.concat([counted.astype({c: "int64" for c in COUNTS}), seen], ignore_index=True)
    table = rows.groupby(KEYS, dropna=False, sort=False)[COUNTS].sum().reset_index()
    table = table.sort_values(["service_month", "rendering_npi"], na_position="last")
    return judged(table.reset_index(drop=True))[COLUMNS]


def _counted(n: pd.Series, one: str, many: str) -> pd.Series:
    """Counts with their noun: '1 downcode', '1,234 upcodes'."""
    n = n.astype("int64")
    return n.map("{:,}".format) + " " + n.eq(1).map({True: one, False: many})


def _percent_text(rate: pd.Series, above: pd.Series) -> pd.Series:
    """A rate (0-1) as '23.1%'; rounding never lands on the threshold it crossed
    ('<30.0%', '>70.0%')."""
    low = formats.percent(float(ACCEPTANCE_LOW) * 100, 1)
    high = formats.percent(float(ACCEPTANCE_HIGH) * 100, 1)
    text = (rate.astype("float64") * 100).map(lambda v: formats.percent(v, 1))
    text = text.mask(~above & text.eq(low), "<" + low)
    return text.mask(above & text.eq(high), ">" + high)


def _pct(share: Fraction) -> str:
    return f"{float(share) * 100:g}%"


def _findings(table: pd.DataFrame, lead: pd.Series) -> dict[str, tuple]:
    """Per alert: the figure, the threshold and the sentence of every row of ``table``."""
    ratio = DOWNCODES_PER_UPCODE_MIN
    per = f"{ratio.numerator} to {ratio.denominator}"
    down = _counted(table["down"], "downcode", "downcodes")
    up = _counted(table["up"], "upcode", "upcodes")
    accepted = table["accepted"].astype("int64")
    decided = accepted + table["rejected"].astype("int64")
    above = (accepted * ACCEPTANCE_HIGH.denominator).gt(decided * ACCEPTANCE_HIGH.numerator)
    rate = _percent_text(table["acceptance_rate"].astype("Float64").fillna(0), above)
    of = accepted.map("{:,}".format) + " of " + decided.map("{:,}".format)
    low, high = _pct(ACCEPTANCE_LOW), _pct(ACCEPTANCE_HIGH)
    why = above.map(
        {
            True: f", above {high}. Accepting nearly every suggestion may mean they are "
            "not being read against the note.",
            False: f", below {low}. Rejecting most suggestions may mean they do not fit "
            "how this clinician documents; review a sample together.",
        }
    )
    stale = _counted(table["stale_open"], "suggestion", "suggestions")
    days = STALE_AFTER_DAYS
    return {
        "downcode_balance": (
            down + " to " + up,
            f"at least {per}",
            lead + down + " surfaced to " + up + f", fewer than {per}. Suggestions that "
            "mostly go up are an audit risk: check that downcodes are surfaced as readily.",
        ),
        "acceptance": (
            of + " decided accepted (" + rate + ")",
            f"{low} to {high} accepted",
            lead + of + " decided suggestions accepted (" + rate + ")" + why,
        ),
        "stale": (
            stale + f" open over {days} days",
            f"none open over {days} days",
            lead + stale + f" left open more than {days} days without a decision: accept "
            "or reject each, with a reason.",
        ),
    }


def alerts(table: pd.DataFrame) -> pd.DataFrame:
    """The alerts of a ``monitor_table`` (or of cells ``judged`` likewise), one row each,
    in long form for people to read (``payeropt monitors``, the Coding page).

    Columns (``LONG_COLUMNS``), all text: clinician (the table's ``clinician`` column when
    it has one, as the Coding page's pooled table does; else the rendering NPI, or "No
    rendering NPI"), month ('YYYY-MM'), alert (one of ``ALERTS``: downcode_balance,
    acceptance, stale; ``ALERT_LABELS`` in words), figure (what was found, its counts
    included: '1 downcode to 4 upcodes', '9 of 10 decided accepted (90.0%)', '3
    suggestions open over 14 days'), threshold (in words: 'at least 1 to 3'), sentence
    (the finding and why it matters, naming the clinician and month). In the table's row
    order, then ``ALERTS`` order within a row; the index is the label of the table row
    each alert comes from (to find the counts behind it). No alert, no row.
    """
    if not table[ALERT_COLUMNS].to_numpy(dtype=bool).any():
        return pd.DataFrame({c: pd.Series(dtype="str") for c in LONG_COLUMNS})
    if "clinician" in table:
        named = table["clinician"].astype("str")
        who = named
    else:
        npi = table["rendering_npi"]
        named = npi.astype("str").where(npi.notna(), NO_NPI)
        who = ("NPI " + named).where(npi.notna(), NO_NPI)
    month = pd.to_datetime(table["service_month"]).dt.strftime("%Y-%m")
    findings = _findings(table, who + ", " + month + ": ")
    position = pd.Series(range(len(table)), index=table.index)
    parts = []
    for order, name in enumerate(ALERTS):
        hit = table[f"{name}_alert"].astype(bool)
        figure, threshold, sentence = findings[name]
        parts.append(
            pd.DataFrame(
                {
                    "clinician": named[hit],
                    "month": month[hit],
                    "alert": name,
                    "figure": figure[hit],
                    "threshold": threshold,
                    "sentence": sentence[hit],
                    "_row": position[hit],
                    "_order": order,
                }
            )
        )
    long = pd.concat(parts)
    long = long.sort_values(["_row", "_order"], kind="stable")
    return long[LONG_COLUMNS].astype("str")
