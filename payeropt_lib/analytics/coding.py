"""The "Coding" page: how the practice decides the coding suggestions (by kind and
direction), whether downcodes are surfaced as readily as upcodes, the monitors' alerts
per clinician and month, and what the accepted suggestions are worth.

Pure functions over store frames (``suggestions``, ``encounters``, ``charges`` and the
rate tables for the payment impact). Aggregate only: no claim or patient id leaves here.
Counts of suggestions are counts of lines: under the cell size in force they are hidden
with what is measured over them (``privacy.suppress``). Clinicians are people, so a
clinician is named (by rendering NPI) only in a month with at least
``NAMED_MIN_ENCOUNTERS`` encounters, whatever the cell size (issue 14): the others of
the month are pooled as "Other clinicians"; a pool under that size takes in the smallest
named clinician of the month (as "All other codes" takes in the last listed code), and a
pool still under it (no clinician of the month reached it) is not shown at all.
"""

from __future__ import annotations

import pandas as pd

from payeropt_lib.coding import impact, modifiers, monitors
from payeropt_lib.periods import within

from . import privacy

NO_SUGGESTIONS = (
    "No coding suggestions on file for this period. They appear once payeropt suggest has "
    "compared the encounters' documentation with what was billed."
)
KIND_LABELS = {
    "em_level": "E/M level",
    "icd10_specificity": "ICD-10-CM specificity",
    "modifier": "Modifier",
}
DIRECTION_LABELS = {"up": "Up", "down": "Down", "none": "Neither"}
OTHER_CLINICIANS = "Other clinicians"
ALL_SUGGESTIONS = "All suggestions"
ALL_MONTHS = "All months"
ALL_ACCEPTED = "All accepted (net)"
# No clinician is named in a cell of fewer encounters (issue 14): the CMS cell size,
# held whatever the packet's own cell size (a larger one in force is held too).
NAMED_MIN_ENCOUNTERS = privacy.SMALL_CELL

# What the page loads: never note text, findings or a patient id. The suggestions' claim
# ids and line numbers only join them to their claims for pricing; they leave no function.
SUGGESTION_COLUMNS = [
    "claim_id", "line_number", "kind", "original_code", "suggested_code", "units",
    "direction", "support", "rule_id", "date_of_service", "rendering_npi", "status",
    "created_at",
]  # fmt: skip
ENCOUNTER_COLUMNS = ["claim_id"]
CHARGE_COLUMNS = [
    "claim_id", "line_number", "procedure_code", "modifiers", "units", "charge_cents",
    "primary_payer_id", "product_line", "date_of_service", "place_of_service",
    "rendering_npi",
]  # fmt: skip


def in_period(
    suggestions: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    """The suggestions the page counts: dated (date of service) in ``[start, end]``, and
    not withdrawn (the documentation or the lines no longer support them)."""
    dated = within(pd.to_datetime(suggestions["date_of_service"]), start, end)
    return suggestions[dated & suggestions["status"].ne("withdrawn")]


def priced(
    suggestions: pd.DataFrame,
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
) -> pd.DataFrame:
    """``suggestions`` with ``payment_impact_cents`` (Int64): for the accepted ones, the
    contract's expected amount as suggested less as billed (``coding.impact``, the
    under-payment engine; NA where no contract rate applies); NA for the others, which
    the page does not price. Frames as ``impact.payment_impact`` needs them."""
    accepted = suggestions[suggestions["status"].eq("accepted")]
    cents = pd.Series(pd.NA, index=suggestions.index, dtype="Int64")
    if len(accepted):
        found = impact.payment_impact(
            accepted, charges, contracts, fee_schedules, medicare_fees,
            global_days=modifiers.global_days(medicare_fees),
        )  # fmt: skip
        cents.loc[accepted.index] = found.astype("Int64")
    return suggestions.assign(payment_impact_cents=cents)


def _status_counts(suggestions: pd.DataFrame) -> pd.DataFrame:
    status = suggestions["status"]
    return pd.DataFrame(
        {
            "suggestions_count": 1,
            "accepted_count": status.eq("accepted").astype("int64"),
            "rejected_count": status.eq("rejected").astype("int64"),
            "open_count": status.eq("open").astype("int64"),
        },
        index=suggestions.index,
    )


def _pct_accepted(frame: pd.DataFrame) -> pd.Series:
    """Accepted as a percent of decided (accepted + rejected), display only; NA where
    nothing is decided or either count is hidden."""
    return privacy.percent(
        frame["accepted_count"], frame["accepted_count"] + frame["rejected_count"]
    )


def headline(suggestions: pd.DataFrame) -> pd.DataFrame:
    """The period's suggestions as one row (empty when there is none): suggestions_count,
    up_count, down_count, accepted_count, rejected_count, open_count, pct_accepted (of
    those decided); suppressed like the total rows of the tables below (only a count that
    is itself small is hidden, so the same total reads the same everywhere)."""
    if suggestions.empty:
        return pd.DataFrame(
            columns=["suggestions_count", "up_count", "down_count", "accepted_count",
                     "rejected_count", "open_count", "pct_accepted"]
        )  # fmt: skip
    counts = _status_counts(suggestions).sum()
    row = pd.DataFrame(
        [
            {
                "suggestions_count": int(counts["suggestions_count"]),
                "up_count": int(suggestions["direction"].eq("up").sum()),
                "down_count": int(suggestions["direction"].eq("down").sum()),
                "accepted_count": int(counts["accepted_count"]),
                "rejected_count": int(counts["rejected_count"]),
                "open_count": int(counts["open_count"]),
                privacy.TOTAL: True,
            }
        ]
    )
    columns = [c for c in row.columns if c.endswith("_count")]
    row = privacy.suppress(row, columns)
    return row.assign(pct_accepted=_pct_accepted(row))


def acceptance(suggestions: pd.DataFrame) -> pd.DataFrame:
    """Per kind and direction of suggestion, how many were made and how they stand, with
    a total row: kind_label, direction_label, suggestions_count, accepted_count,
    rejected_count, open_count, pct_accepted (accepted as a percent of decided, Float64,
    NA with nothing decided), is_total, ``*_small``; rows in ``KIND_LABELS`` then
    ``DIRECTION_LABELS`` order; suppressed (the rows add up to the total)."""
    counts = ["suggestions_count", "accepted_count", "rejected_count", "open_count"]
    if suggestions.empty:
        return pd.DataFrame(
            columns=["kind_label", "direction_label", *counts, "pct_accepted", privacy.TOTAL]
        )
    rows = _status_counts(suggestions).assign(
        kind=suggestions["kind"], direction=suggestions["direction"]
    )
    grid = rows.groupby(["kind", "direction"])[counts].sum().reset_index()
    kind_order = {k: i for i, k in enumerate(KIND_LABELS)}
    way_order = {d: i for i, d in enumerate(DIRECTION_LABELS)}
    grid = grid.assign(
        _k=grid["kind"].map(kind_order).fillna(len(kind_order)),
        _d=grid["direction"].map(way_order).fillna(len(way_order)),
    ).sort_values(["_k", "kind", "_d", "direction"])
    table = pd.DataFrame(
        {
            "kind_label": grid["kind"].map(KIND_LABELS).fillna(grid["kind"]),
            "direction_label": grid["direction"].map(DIRECTION_LABELS).fillna(grid["direction"]),
            **{c: grid[c] for c in counts},
        }
    )
    table = privacy.with_total(table, "kind_label", ALL_SUGGESTIONS)
    table["direction_label"] = table["direction_label"].fillna("")
    table = privacy.suppress(table, counts)
    return table.assign(pct_accepted=_pct_accepted(table))


def downcode_balance(suggestions: pd.DataFrame) -> pd.DataFrame:
    """Practice-wide, per month of service: the upcodes and downcodes surfaced (any
    status), downcodes per upcode and whether the month falls below one per three (the
    clinicians' monitor, ``monitors.balance_alert``), with a total row. Columns:
    service_month (first day; NaT on the total), month_label ('YYYY-MM', "All months"),
    up_count, down_count, downcodes_per_upcode (Float64, NA without an upcode),
    below_balance (boolean), is_total, ``*_small``; suppressed."""
    columns = ["service_month", "month_label", "up_count", "down_count",
               "downcodes_per_upcode", "below_balance", privacy.TOTAL]  # fmt: skip
    if suggestions.empty:
        return pd.DataFrame(columns=columns)
    rows = pd.DataFrame(
        {
            "service_month": monitors.month_of(suggestions["date_of_service"]),
            "up_count": suggestions["direction"].eq("up").astype("int64"),
            "down_count": suggestions["direction"].eq("down").astype("int64"),
        }
    )
    months = rows.groupby("service_month")[["up_count", "down_count"]].sum().reset_index()
    months["month_label"] = months["service_month"].dt.strftime("%Y-%m")
    table = privacy.with_total(
        months[["month_label", "up_count", "down_count"]], "month_label", ALL_MONTHS
    )
    table["service_month"] = pd.concat(
        [months["service_month"], pd.Series([pd.NaT], dtype="datetime64[ns]")],
        ignore_index=True,
    )
    up = table["up_count"].astype("Float64")
    table["downcodes_per_upcode"] = table["down_count"].astype("Float64") / up.where(up.gt(0))
    table["below_balance"] = monitors.balance_alert(table["up_count"], table["down_count"])
    table = privacy.suppress(
        table, ["up_count", "down_count"], ["downcodes_per_upcode", "below_balance"]
    )
    return table[[*columns, "up_count_small", "down_count_small"]]


def first_lines_in(
    charges: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    """Each claim's first line (lowest line_number), kept when its date of service is in
    ``[start, end]``: the encounters' clinician and month for the period (an encounter
    whose first line falls outside is not counted)."""
    first = charges.sort_values(["claim_id", "line_number"]).drop_duplicates("claim_id")
    return first[within(pd.to_datetime(first["date_of_service"]), start, end)]


def named_size() -> int:
    """Encounters a clinician needs in a month to be named: ``NAMED_MIN_ENCOUNTERS``, or
    the cell size in force when it is larger."""
    return max(NAMED_MIN_ENCOUNTERS, privacy.small_cell())


def clinician_monitors(
    suggestions: pd.DataFrame,
    encounters: pd.DataFrame,
    charges: pd.DataFrame,
    as_of: pd.Timestamp,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The monitors (``monitors.monitor_table``) over the period, each clinician named
    only with at least ``named_size()`` encounters in the month; the rest of the month
    pooled as "Other clinicians" (see the module docstring). Needs the page's
    suggestions (``in_period``), encounters (claim_id) and charges (claim_id,
    line_number, rendering_npi, date_of_service).

    Columns: clinician (the NPI, or "Other clinicians"), ``monitors.COLUMNS`` (rendering_npi
    NA on a pool), is_pooled, is_hidden (a pool under the size: every count and figure
    NA, no alert). One row per named clinician and month, then the month's pool; by
    month.
    """
    first = first_lines_in(charges, start, end)
    table = monitors.monitor_table(suggestions, encounters, first, as_of)
    size = named_size()
    month = table["service_month"]
    named = table["rendering_npi"].notna() & table["encounters"].ge(size)
    pool_encounters = table["encounters"].where(~named, 0).groupby(month).transform("sum")
    has_pool = (~named).groupby(month).transform("any")
    has_named = named.groupby(month).transform("any")
    short = has_pool & pool_encounters.lt(size) & has_named
    folded = (
        table[named & short]
        .sort_values(["service_month", "encounters", "rendering_npi"])
        .drop_duplicates("service_month")
        .index
    )
    named.loc[folded] = False
    pools = table[~named].groupby("service_month")[monitors.COUNTS].sum().reset_index()
    pools = monitors.judged(pools).assign(
        rendering_npi=pd.Series(pd.NA, index=pools.index, dtype="str")
    )
    out = pd.concat(
        [
            table[named].assign(clinician=lambda f: f["rendering_npi"], is_pooled=False),
            pools[monitors.COLUMNS].assign(clinician=OTHER_CLINICIANS, is_pooled=True),
        ],
        ignore_index=True,
    )
    out = out.sort_values(["service_month", "is_pooled", "clinician"], kind="stable")
    out = out.reset_index(drop=True)
    hidden = out["is_pooled"] & out["encounters"].lt(size)
    figures = [c for c in monitors.COLUMNS if c not in monitors.KEYS]
    for column in figures:
        if column in monitors.ALERT_COLUMNS:
            out[column] = out[column] & ~hidden
        else:
            out[column] = privacy.nullable(out[column]).mask(hidden)
    out["is_hidden"] = hidden
    return out[["clinician", *monitors.COLUMNS, "is_pooled", "is_hidden"]]


# The counts each alert's figure is measured over (hidden with them under the cell size).
ALERT_COUNTS = {
    "downcode_balance": ["up", "down"],
    "acceptance": ["accepted", "rejected"],
    "stale": ["stale_open"],
}


def monitor_alerts(pooled: pd.DataFrame, last_months: int | None = None) -> pd.DataFrame:
    """The alerts of ``clinician_monitors`` (its shown rows), for the page, of the
    ``last_months`` latest months of service on it (None: every month): clinician, month
    ('YYYY-MM'), alert (``monitors.ALERT_LABELS``), figure (NA where a count it is
    measured over is under the cell size in force), threshold. In month order, named
    clinicians before the pool."""
    shown = pooled[~pooled["is_hidden"].astype(bool)]
    if last_months is not None:
        latest = shown["service_month"].drop_duplicates().nlargest(last_months)
        shown = shown[shown["service_month"].isin(latest)]
    counts = shown.astype({c: "int64" for c in monitors.COUNTS})
    long = monitors.alerts(counts)
    columns = ["clinician", "month", "alert", "figure", "threshold"]
    if long.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    below = privacy.small_cell()
    small = pd.Series(False, index=long.index)
    for name, behind in ALERT_COUNTS.items():
        rows = counts.loc[long.index, behind]
        tiny = (rows.ge(1) & rows.lt(below)).any(axis=1)
        small |= long["alert"].eq(name) & tiny
    out = long.assign(alert=long["alert"].map(monitors.ALERT_LABELS))
    out["figure"] = out["figure"].mask(small)
    return out[columns].reset_index(drop=True)


def alert_summary(pooled: pd.DataFrame) -> pd.DataFrame:
    """Per clinician named in some month, then "Other clinicians" (each month's pool): the
    months shown, and in how many of them each alert was raised. Columns: clinician,
    months, downcode_balance_months, acceptance_months, stale_months (months, not lines
    or patients: shown as they are). Empty when no month is shown."""
    shown = pooled[~pooled["is_hidden"].astype(bool)]
    columns = ["clinician", "months", *(f"{a}_months" for a in monitors.ALERTS)]
    if shown.empty:
        return pd.DataFrame(columns=columns)
    flags = shown[monitors.ALERT_COLUMNS].astype("int64")
    flags.columns = columns[2:]
    by = flags.assign(months=1).groupby(
        [shown["is_pooled"].astype(bool).to_numpy(), shown["clinician"].to_numpy()]
    )
    out = by.sum().rename_axis(["_pooled", "clinician"]).reset_index()
    return out.sort_values(["_pooled", "clinician"])[columns].reset_index(drop=True)


def monitor_facts(pooled: pd.DataFrame) -> pd.DataFrame:
    """What the monitors covered, as one row (empty when no clinician and month is on
    file): named_clinicians (distinct NPIs named in some month), named_months
    (clinician-months named), pooled_months (months with an "Other clinicians" row
    shown), hidden_months (the months whose pool is not shown, 'YYYY-MM' joined, or
    "none"), alerts (how many alerts the page lists). Not counts of lines or
    patients: shown as they are."""
    if pooled.empty:
        return pd.DataFrame(
            columns=["named_clinicians", "named_months", "pooled_months", "hidden_months",
                     "alerts"]
        )  # fmt: skip
    named = pooled[~pooled["is_pooled"].astype(bool)]
    pools = pooled[pooled["is_pooled"].astype(bool)]
    hidden = pools.loc[pools["is_hidden"].astype(bool), "service_month"].dt.strftime("%Y-%m")
    shown = pooled[~pooled["is_hidden"].astype(bool)]
    alerts = int(shown[monitors.ALERT_COLUMNS].astype(bool).to_numpy().sum())
    return pd.DataFrame(
        [
            {
                "named_clinicians": int(named["clinician"].nunique()),
                "named_months": len(named),
                "pooled_months": int((~pools["is_hidden"].astype(bool)).sum()),
                "hidden_months": ", ".join(hidden) if len(hidden) else "none",
                "alerts": alerts,
            }
        ]
    )


def payment_impact(suggestions: pd.DataFrame) -> pd.DataFrame:
    """The accepted suggestions' payment impact, by direction, with the net as the total
    row. Needs ``payment_impact_cents`` (``priced``). Columns: direction_label,
    accepted_count, no_rate_count (accepted, but no contract rate for the line changed:
    left out of the dollars, never counted as $0), impact_cents (the sum over the others:
    more paid for up, less for down), is_total, ``*_small``; suppressed (the dollars
    follow the accepted count)."""
    columns = ["direction_label", "accepted_count", "no_rate_count", "impact_cents"]
    accepted = suggestions[suggestions["status"].eq("accepted")]
    if accepted.empty:
        return pd.DataFrame(columns=[*columns, privacy.TOTAL])
    cents = accepted["payment_impact_cents"].astype("Int64")
    rows = pd.DataFrame(
        {
            "direction": accepted["direction"],
            "accepted_count": 1,
            "no_rate_count": cents.isna().astype("int64"),
            "impact_cents": cents.fillna(0).astype("int64"),
        }
    )
    by = rows.groupby("direction")[["accepted_count", "no_rate_count", "impact_cents"]].sum()
    by = by.reindex([d for d in DIRECTION_LABELS if d in by.index]).reset_index()
    table = pd.DataFrame(
        {
            "direction_label": by["direction"].map(DIRECTION_LABELS),
            **{c: by[c].astype("int64") for c in columns[1:]},
        }
    )
    table = privacy.with_total(table, "direction_label", ALL_ACCEPTED)
    return privacy.suppress(
        table, ["accepted_count", "no_rate_count"], {"impact_cents": "accepted_count"}
    )
