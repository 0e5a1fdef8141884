"""The "Reconciliation" and "Medicare check" pages: a month of service reconciled by
primary payer (Table 3), how settled each month is, Medicare's top codes against the
published fee (Table 1) and who paid the Medicare population (Table 2).

Display frames over ``reconciliation.record.Books`` (the tables are computed there, on
the practice's whole books, not the page's period: a month of service is reconciled with
every posting made since). Aggregates only: no claim or patient id leaves here. A row's
money is hidden with its count of visits under the cell size in force
(``privacy.suppress``); inside the practice's own packet nothing is hidden.
"""

from __future__ import annotations

import re

import pandas as pd

from payeropt_lib import formats
from payeropt_lib.money import percent_x1000
from payeropt_lib.reconciliation import medicare_check, receivables
from payeropt_lib.reconciliation.ledger import MONEY, orphans
from payeropt_lib.reconciliation.record import Books

from . import directory, privacy

ROW_LABELS = {
    "self_pay": receivables.SELF_PAY,
    "all_other": receivables.ALL_OTHER,
    "total": "All payers",
}
NO_CLAIMS = "No claims on file for a month of service in this period."
OWN_FILE = "The practice's Medicare fee file"
EMPTY = pd.DataFrame()  # what a table shows when there is no month to reconcile


def month_facts(month: pd.Timestamp | None, why: str, locality: str | None = None) -> pd.DataFrame:
    """The month reconciled and why, as one row of key figures (no row without a month)."""
    if month is None:
        return EMPTY
    row = {"month": f"{month:%B %Y}", "why": why}
    if locality is not None:
        row["locality"] = locality
    return pd.DataFrame([row])


def chosen_month(
    books: Books, wanted: str | None, period_end: pd.Timestamp | None
) -> tuple[pd.Timestamp | None, str]:
    """The month a page reconciles, and a sentence on why: ``wanted`` (YYYY-MM) when
    given; else the latest month of service up to ``period_end`` with at least 80 % of its
    visits resolved; else, when none is, the most resolved such month, said plainly."""
    if wanted:
        month = pd.Period(wanted, freq="M").to_timestamp()
        return month, f"{month:%B %Y}, as asked."
    per = receivables.resolution(books.ledger)
    if period_end is not None:
        per = per[per["service_month"].le(period_end)]
    if per.empty:
        return None, NO_CLAIMS
    ok = per[per["advised"]]
    if len(ok):
        row = ok.iloc[-1]
        return row["service_month"], (
            f"{row['service_month']:%B %Y}: the latest month of service with at least 80 % "
            f"of its visits resolved ({_resolved(row)}), recent "
            "enough to matter and settled enough to trust."
        )
    row = per.sort_values(["resolved_percent_x1000", "service_month"]).iloc[-1]
    return row["service_month"], (
        f"{row['service_month']:%B %Y}: no month of service has 80 % of its visits resolved "
        f"yet; this one is the most settled ({_resolved(row)}), "
        "so its open balances will still move."
    )


def resolution(books: Books, period_end: pd.Timestamp | None) -> pd.DataFrame:
    """Per month of service up to ``period_end``: month_label, visits_count,
    resolved_count, pct_resolved, advised (at least 80 % resolved)."""
    per = receivables.resolution(books.ledger)
    if period_end is not None:
        per = per[per["service_month"].le(period_end)]
    out = pd.DataFrame(
        {
            "service_month": per["service_month"],
            "month_label": per["service_month"].dt.strftime("%Y-%m"),
            "visits_count": per["visits"],
            "resolved_count": per["resolved_visits"],
            "pct_resolved": display_percent(per["resolved_percent_x1000"]),
            "advised": per["advised"],
        }
    ).reset_index(drop=True)
    return privacy.suppress(out, ["visits_count", "resolved_count"], ["pct_resolved"])


def receivables_table(books: Books, month: pd.Timestamp | None) -> pd.DataFrame:
    """Table 3 for display: payer (name; self-pay, all other payers, all payers),
    row_key (the payer id, or self_pay / all_other / total), visits_count, the money
    columns and cash_cents, pct_j, pct_k, pct_volume, pct_cash, pct_resolved, is_total; a
    row's figures hidden with its visits under the cell size. Empty without a month
    (nothing to reconcile)."""
    if month is None:
        return EMPTY
    t = books.receivables(month)
    payers = directory.payer_directory(books.frames["contracts"])
    names = directory.payer_names(t["payer_id"].fillna(""), payers)
    label = t["row"].map(ROW_LABELS).fillna(names)
    out = pd.DataFrame(
        {
            "payer": label,
            # The row's key: the payer id, or self_pay / all_other / total (not shown).
            "row_key": t["payer_id"].where(t["row"].eq("payer"), t["row"]).astype("str"),
            "visits_count": t["visits"],
            **{c: t[c] for c in [*MONEY, "cash_cents"]},
            "pct_j": display_percent(t["j_percent_x1000"]),
            "pct_k": display_percent(t["k_percent_x1000"]),
            "pct_volume": display_percent(t["volume_share_percent_x1000"]),
            "pct_cash": display_percent(t["cash_share_percent_x1000"]),
            "pct_resolved": display_percent(percent_x1000(t["resolved_visits"], t["visits"])),
            privacy.TOTAL: t["row"].eq("total"),
        }
    )
    out = out[(t["visits"].gt(0) | t["row"].eq("total")).to_numpy()].reset_index(drop=True)
    figures = [c for c in out.columns if c.endswith("_cents") or c.startswith("pct_")]
    return privacy.suppress(out, ["visits_count"], figures)


def identity_facts(table: pd.DataFrame, books: Books) -> pd.DataFrame:
    """One row of key figures from ``receivables_table``'s total: visits, charges, cash,
    adjustments, still owed, unexplained, resolved, J; and the practice system's postings
    for claims not on file (orphan_count, orphan_cents: they belong to no month)."""
    if table.empty:
        return EMPTY
    lost = orphans(books.frames["charges"], books.frames["transactions"])
    total = table[table[privacy.TOTAL]].iloc[0]
    adjustments = sum(
        int(total[c])
        for c in ("contractual_cents", "noncash_compliance_cents", "courtesy_cents",
                  "bad_debt_cents", "small_balance_cents")
    )  # fmt: skip
    return pd.DataFrame(
        [
            {
                "visits_count": total["visits_count"],
                "charges_cents": total["charges_cents"],
                "cash_cents": total["cash_cents"],
                "adjustments_cents": adjustments,
                "balance_cents": total["balance_cents"],
                "unexplained_cents": total["unexplained_cents"],
                "pct_resolved": total["pct_resolved"],
                "pct_j": total["pct_j"],
                "orphan_count": int(lost["postings"].sum()),
                "orphan_cents": int(lost["amount_cents"].sum()),
            }
        ]
    )


def unexplained_by_payer(books: Books, month: pd.Timestamp | None) -> pd.DataFrame:
    """Visits whose evidence conflicts, per primary payer and kind: payer, kind ('more
    posted than owed' for a credit, 'not accounted for' otherwise), visits_count,
    unexplained_cents; largest first. Counts under the cell size hidden with their money."""
    if month is None:
        return EMPTY
    led = receivables.month_of(books.ledger, month)
    led = led[led["unexplained_cents"].ne(0)]
    kind = led["unexplained_cents"].lt(0).map(
        {True: "More posted than owed (a credit to refund, or a posting twice)",
         False: "Charged but not accounted for (a posting missing)"}
    )  # fmt: skip
    per = (
        led.assign(kind=kind)
        .groupby(["primary_payer_id", "kind"], sort=False)
        .agg(visits_count=("claim_id", "size"), unexplained_cents=("unexplained_cents", "sum"))
        .reset_index()
        .sort_values("unexplained_cents", key=lambda s: -s.abs(), kind="stable")
    )
    payers = directory.payer_directory(books.frames["contracts"])
    per.insert(0, "payer", directory.payer_names(per["primary_payer_id"], payers))
    per = per.drop(columns="primary_payer_id").reset_index(drop=True)
    return privacy.suppress(per, ["visits_count"], ["unexplained_cents"])


# --- Medicare check ---------------------------------------------------------------------------


def medicare_top(books: Books, month: pd.Timestamp | None) -> dict[str, pd.DataFrame]:
    """Table 1 for display, one frame per section ('services', 'surgical'): code (with its
    modifier), site_label, services_count, lines_count, unpriced_count, fee_cents,
    payer_paid_cents, patient_paid_cents, actual_cents, perfect_cents,
    sequestration_cents, slippage_cents, visits_count, perfect_count, is_total. Counts
    under the cell size hidden with the row's money. Empty frames without a month."""
    if month is None:
        return {medicare_check.OTHER_SERVICES: EMPTY, medicare_check.SURGICAL: EMPTY}
    top, _, _ = books.medicare(month)
    out = {}
    for section in (medicare_check.OTHER_SERVICES, medicare_check.SURGICAL):
        t = top[top["section"].eq(section)]
        frame = pd.DataFrame(
            {
                "code": t["procedure_code"]
                + t["modifier"].where(t["modifier"].eq(""), "-" + t["modifier"]),
                "site_label": t["site"].map(
                    {"facility": "Facility", "non_facility": "Office"}
                ).fillna(""),
                "services_count": t["services"],
                "lines_count": t["lines"],
                "unpriced_count": t["unpriced_lines"],
                **{c: t[c] for c in ["fee_cents", "payer_paid_cents", "patient_paid_cents",
                                     "actual_cents", "perfect_cents", "sequestration_cents",
                                     "slippage_cents"]},
                "visits_count": t["visits"],
                "perfect_count": t["visits_perfect"],
                privacy.TOTAL: t["procedure_code"].eq("Total"),
            }
        ).reset_index(drop=True)  # fmt: skip
        frame.loc[frame[privacy.TOTAL], "code"] = "All codes"
        money = [c for c in frame.columns if c.endswith("_cents") and c != "fee_cents"]
        out[section] = privacy.suppress(
            frame, ["visits_count", "perfect_count"], {m: "visits_count" for m in money}
        )
    return out


def who_paid(books: Books, month: pd.Timestamp | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 2 for display: rows (payer label, kind_label, cash_cents, pct_share) and the
    figures (visits_count, cash_cents, perfect_cents, bad_debt_cents, pct_medicare,
    pct_liquidation, pct_simulation). Empty without a month."""
    if month is None:
        return EMPTY, EMPTY
    _, rows, fig = books.medicare(month)
    payers = directory.payer_directory(books.frames["contracts"])
    classes = directory.payer_classes(rows["payer_id"], payers)
    label = directory.payer_names(rows["payer_id"], payers)
    label = label.where(rows["kind"].ne("patient"), "Patients")
    kind = rows["kind"].map({"medicare": "Medicare (primary)", "secondary": "Secondary",
                             "patient": "Patient"})  # fmt: skip
    kind = kind.where(~(rows["kind"].eq("secondary") & classes.eq("MEDICAID")), "Medicaid")
    table = pd.DataFrame(
        {
            "payer": label,
            "kind_label": kind,
            "cash_cents": rows["cash_cents"],
            "pct_share": display_percent(rows["share_percent_x1000"]),
        }
    )
    figures = pd.DataFrame(
        [
            {
                "visits_count": fig["visits"],
                "cash_cents": fig["cash_cents"],
                "perfect_cents": fig["perfect_cents"],
                "bad_debt_cents": fig["bad_debt_cents"],
                "pct_medicare": _one(fig["medicare_share_percent_x1000"]),
                "pct_liquidation": _one(fig["liquidation_percent_x1000"]),
                "pct_simulation": _one(fig["simulation_percent_x1000"]),
            }
        ]
    )
    visits = int(fig["visits"])
    if 0 < visits < privacy.small_cell():
        # Too few Medicare visits this month: nothing of them is shown.
        table = table.iloc[0:0]
        figures = privacy.suppress(figures, ["visits_count"], list(figures.columns[1:]))
    return table, figures


def schedules_used(books: Books, month: pd.Timestamp | None) -> pd.DataFrame:
    """``schedule_spans`` of one month of service (empty without a month)."""
    if month is None:
        return pd.DataFrame(columns=SPAN_COLUMNS)
    first = receivables.month_start(month)
    return schedule_spans(books, first, first + pd.offsets.MonthBegin(1))


def period_schedules(
    books: Books, first: pd.Timestamp | None, last: pd.Timestamp | None
) -> pd.DataFrame:
    """``schedule_spans`` of the dates of service ``first`` to ``last`` (inclusive; the
    packet's period; empty without one)."""
    if first is None or last is None:
        return pd.DataFrame(columns=SPAN_COLUMNS)
    return schedule_spans(books, pd.Timestamp(first), pd.Timestamp(last) + pd.Timedelta(days=1))


SPAN_COLUMNS = ["source", "from_date", "to_date", "codes_count", "note"]


def schedule_spans(books: Books, start: pd.Timestamp, stop: pd.Timestamp) -> pd.DataFrame:
    """Which Medicare amounts price the dates ``start`` to ``stop`` (exclusive) at the
    practice's locality: per source (the practice's own file, or a release of CMS's fee
    library), each unbroken span of dates it prices (from_date, to_date inclusive), the
    codes it prices there, and ``note``: where a release of another year stands in for
    years no CMS file on record covers (the lines so priced say so too). One source can
    price two spans (CMS's release before and after the years of the practice's file)."""
    mf = books.frames["medicare_fees"]
    if books.locality is None or mf.empty:
        return pd.DataFrame(columns=SPAN_COLUMNS)
    rows = mf[mf["locality"].eq(books.locality)]
    rows = rows[rows["effective_from"].lt(stop) & (rows["effective_to"].isna() | rows[
        "effective_to"].gt(start))]  # fmt: skip
    if rows.empty:
        return pd.DataFrame(columns=SPAN_COLUMNS)
    source = rows["source"] if "source" in rows else pd.Series(pd.NA, index=rows.index)
    rows = pd.DataFrame(
        {
            "source": source.fillna(OWN_FILE).astype("str").to_numpy(),
            "procedure_code": rows["procedure_code"].to_numpy(),
            "start": rows["effective_from"].clip(lower=start).to_numpy(),
            "end": rows["effective_to"].fillna(stop).clip(upper=stop).to_numpy(),
        }
    ).sort_values(["source", "start"], ignore_index=True)
    # A new span where a row starts after every earlier row of its source has ended.
    reach = rows.groupby("source")["end"].cummax()
    before = reach.groupby(rows["source"]).shift()
    rows["span"] = (before.isna() | rows["start"].gt(before)).cumsum()
    per = (
        rows.groupby(["source", "span"], sort=True)
        .agg(from_date=("start", "min"), end=("end", "max"),
             codes_count=("procedure_code", "nunique"))
        .reset_index()
        .sort_values(["from_date", "source"], ignore_index=True)
    )  # fmt: skip
    per["to_date"] = per.pop("end") - pd.Timedelta(days=1)
    per["note"] = [
        _stand_in(src, first.year, last.year)
        for src, first, last in zip(per["source"], per["from_date"], per["to_date"], strict=True)
    ]  # a handful of spans
    return per[SPAN_COLUMNS]


def _stand_in(source: str, first_year: int, last_year: int) -> str:
    """The note of a span a release of another year prices ('' otherwise)."""
    year = re.match(r"CMS PFS (\d{4})", source)
    if year is None:
        return ""
    missing = [str(y) for y in range(first_year, last_year + 1) if y != int(year[1])]
    if not missing:
        return ""
    years = " or ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing)
    return f"no {years} CMS schedule on file: the {year[1]} release stands in"


def display_percent(x1000: pd.Series) -> pd.Series:
    """Exact percents in thousandths → the display percent the tables format (59200 →
    59.2; ``pct_*`` columns). The one place a reconciliation figure becomes a float."""
    return pd.Series(x1000).astype("Float64") / 1000


def _resolved(row: pd.Series) -> str:
    """A month's resolved share as text, rounded half up ('86.6%': ``formats.percent``)."""
    return formats.percent(row["resolved_percent_x1000"] / 1000, digits=1)


def _one(x1000: int | None) -> float | None:
    return None if x1000 is None else x1000 / 1000
