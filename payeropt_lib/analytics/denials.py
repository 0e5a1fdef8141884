"""Denials for the packet: which claims payers refused, why, where, and month by month.

Pure functions over store frames; no I/O, no loop over lines or claims. Inputs are the
store's ``denials`` table (one row per remitted line posting classed ``denied`` or
``bundled``; ``DENIAL_COLUMNS``) and ``remitted.adjudicated`` (every remitted line that
counts, the denominators). ``denial_lines`` joins the two first, so a denial counts only
when its remitted line still counts: reversed postings (``void``), lines outside the
report period and lines not matched to a charge are left out the same way everywhere.

Definitions (docs/pages/denials.md):

- a *claim* is one claim number as adjudicated by one payer (payer, claim id);
- *adjudicated claims* are the claims a payer adjudicated as primary payer (the only
  claims posting can class denied; a secondary payer's answer is not its own decision);
- a *denied claim* has at least one denied line; the *denial rate* is denied claims ÷
  adjudicated claims (domain §7, by count);
- a *denied line* is a charge line (claim, line number) a payer denied, counted once even
  when denied again on a later remittance (the latest denial gives its reason);
  *denied charges* are the billed charges of those lines (the 835's SVC02);
- *bundled* lines (paid as part of another service, NCCI and the like) are not denials:
  they are counted apart (``kind="bundled"``), never in the denial rate;
- a claim's *month* is the month of its first date of service.

Aggregate only: every table is suppressed with ``privacy.suppress`` (counts 1-10 hidden,
complementary cells hidden against the total the page shows, dollars and rates hidden
with the counts they are measured over); the monthly trend, a payer × month table whose
rows and columns both add up to totals shown elsewhere, is suppressed in both directions
(``_grid_hidden``). Claim ids are used to count distinct claims and never leave here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from payeropt_lib.frames import member_of
from payeropt_lib.reference import carcs
from payeropt_lib.remittances.remitted import live

from . import directory
from .directory import ALL_PAYERS, FEDERAL_CLASSES
from .privacy import (
    SMALL_SUFFIX,
    TOTAL,
    hide_cells,
    percent,
    shown_first,
    small_cell,
    suppress,
)

logger = logging.getLogger(__name__)

# What the page loads from the denials table (no rarcs/carcs text needed for the counts).
DENIAL_COLUMNS = [
    "remit_id",
    "claim_id",
    "line_number",
    "payer_id",
    "denial_class",
    "group_code",
    "carc",
    "charge_cents",
    "remit_date",
    "void",
]
DENIED = "denied"
BUNDLED = "bundled"
KINDS = (DENIED, BUNDLED)
ALL_REASONS = "All reasons"
OTHER_REASONS = "All other reasons"
ALL_CODES = "All codes"
OTHER_CODES = "All other codes"
ALL_MONTHS = "All months"
# Industry convention for the denial rate (domain §7: < 5 %, typical 5-10 %); a reference
# line on the chart, not a rule.
TARGET_PCT = 5.0

LINE_KEY = ["remit_id", "claim_id", "line_number"]
LINE_COLUMNS = [
    "payer_id",
    "claim_id",
    "claim_key",
    "line_key",
    "procedure_code",
    "service_month",
    "denial_class",
    "group_code",
    "carc",
    "category",
    "charge_cents",
]


# --- inputs -----------------------------------------------------------------------------


def denial_lines(denials: pd.DataFrame, adjudicated: pd.DataFrame) -> pd.DataFrame:
    """The denied and bundled charge lines that count, one row per line and class.

    Needs denials: ``DENIAL_COLUMNS``; adjudicated: remit_id, claim_id, line_number,
    payer_id, procedure_code, service_month (``remitted.adjudicated``, already limited to
    the report period). Live denial rows are kept when their remitted line is among the
    adjudicated lines; a line denied on several remittances counts once per class, with
    the reason of its latest remittance.

    Returns ``LINE_COLUMNS``: payer_id, claim_id, claim_key and line_key (to count
    distinct claims and lines; never shown), procedure_code and service_month (of the
    charge line), denial_class ('denied' / 'bundled'), group_code, carc, category (a
    ``carcs.CATEGORIES`` key), charge_cents (billed).
    """
    rows = live(denials)
    if rows.empty or adjudicated.empty:
        return _empty_lines()
    # Only the claims that have a denial row: the join then stays small on a large practice.
    counted = adjudicated[member_of(adjudicated["claim_id"], rows["claim_id"].unique())]
    counted = counted[[*LINE_KEY, "payer_id", "procedure_code", "service_month"]]
    counted = counted.drop_duplicates(LINE_KEY).astype({"line_number": "Int64"})
    rows = rows.drop(columns=["payer_id", "procedure_code"], errors="ignore")
    joined = rows.astype({"line_number": "Int64"}).merge(counted, on=LINE_KEY, how="inner")
    claim_key = joined["payer_id"].astype("str") + "\x1f" + joined["claim_id"].astype("str")
    joined = joined.assign(
        claim_key=claim_key,
        line_key=claim_key + "\x1f" + joined["line_number"].astype("str"),
    )
    # The latest remittance of a line tells why it stands denied.
    joined = joined.sort_values(["remit_date", "remit_id"], kind="stable")
    joined = joined.drop_duplicates(["line_key", "denial_class"], keep="last")
    out = joined.assign(
        category=carcs.category_of(joined["carc"], joined["denial_class"]),
        charge_cents=joined["charge_cents"].astype("int64"),
        carc=joined["carc"].astype("string"),
        group_code=joined["group_code"].astype("string"),
    )
    return out[LINE_COLUMNS].reset_index(drop=True)


def _empty_lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "payer_id": pd.Series(dtype="str"),
            "claim_id": pd.Series(dtype="str"),
            "claim_key": pd.Series(dtype="str"),
            "line_key": pd.Series(dtype="str"),
            "procedure_code": pd.Series(dtype="str"),
            "service_month": pd.Series(dtype="datetime64[ns]"),
            "denial_class": pd.Series(dtype="str"),
            "group_code": pd.Series(dtype="string"),
            "carc": pd.Series(dtype="string"),
            "category": pd.Series(dtype="str"),
            "charge_cents": pd.Series(dtype="int64"),
        }
    )


def _claims(lines: pd.DataFrame, adjudicated: pd.DataFrame) -> pd.DataFrame:
    """One row per adjudicated claim (payer, claim id): payer_id, claim_number (a row
    number, not the claim id), service_month (first date of service), denied and bundled
    (bool: has such a line)."""
    primary = adjudicated[adjudicated["primary"].astype(bool)]
    # Denied claims are primary by construction; adding their lines only guards the
    # denominator (a rate can never pass 100 %).
    both = pd.concat(
        [
            primary[["payer_id", "claim_id", "service_month"]],
            lines[["payer_id", "claim_id", "service_month"]],
        ],
        ignore_index=True,
    )
    # Integer claim numbers (payer, claim id): grouping on them is fast on 300k lines.
    codes = both.groupby(["payer_id", "claim_id"], sort=False).ngroup().to_numpy()
    first = np.unique(codes, return_index=True)[1]
    claims = pd.DataFrame(
        {
            "payer_id": both["payer_id"].to_numpy()[first],
            "claim_number": np.arange(len(first)),
            "service_month": both["service_month"].groupby(codes).min().to_numpy(),
        }
    )
    at_lines = codes[len(primary) :]
    for kind in KINDS:
        flag = np.zeros(len(claims), dtype=bool)
        flag[at_lines[lines["denial_class"].eq(kind).to_numpy()]] = True
        claims[kind] = flag
    return claims


# --- suppression helpers ----------------------------------------------------------------


def _hide_with(frame: pd.DataFrame, value: str, counts: Sequence[str]) -> pd.DataFrame:
    """Hide ``value`` wherever any of ``counts`` is hidden (a rate needs both its counts)."""
    hidden = pd.Series(False, index=frame.index)
    for count in counts:
        hidden |= frame[count].isna()
    return frame.assign(**{value: frame[value].mask(hidden)})


def _order(frame: pd.DataFrame, by: str, label: str) -> pd.DataFrame:
    """``privacy.shown_first`` with the "other" row after the named ones (before the
    total)."""
    other = frame.get("is_other", pd.Series(False, index=frame.index)).astype(bool)
    return shown_first(frame, by, label, first=~other)


# What ``_shares_of_denied`` adds after a table's own columns.
SHARE_COLUMNS = ["pct_of_denied", TOTAL, "claims" + SMALL_SUFFIX, "lines" + SMALL_SUFFIX]


def _shares_of_denied(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """A table of denied lines (claims, lines, denied_cents, a total row) suppressed, with
    pct_of_denied (each row's share of the total's denied charges) and most denied charges
    first (hidden after, by ``label``; "other" before the total)."""
    table = suppress(table, ["claims", "lines"], ["denied_cents"])
    grand = table.loc[table[TOTAL], "denied_cents"].iloc[0]
    table["pct_of_denied"] = percent(table["denied_cents"], pd.Series(grand, index=table.index))
    return _order(table, "denied_cents", label)


def _grid_hidden(counts: np.ndarray) -> np.ndarray:
    """Cells to hide in a table whose rows and columns both add up to totals shown
    elsewhere (payers × months: each payer's period total, each month's all-payer total):
    ``privacy.hide_cells`` with rows, then columns, as the groups, no total hidden.
    ``counts`` is a 2-D int array (0 where there is nothing)."""
    rows, columns = (codes.ravel() for codes in np.indices(counts.shape))
    shown = np.zeros(counts.size, bool)
    hidden = hide_cells(counts.astype("int64").ravel(), [(rows, shown), (columns, shown)])
    return hidden.reshape(counts.shape)


# --- payers -----------------------------------------------------------------------------


def _payer_info(payer_ids: pd.Series, payers: pd.DataFrame | None) -> pd.DataFrame:
    """payer_label (name, else id) and federal (Medicare/Medicaid class) per payer id."""
    ids = payer_ids.astype("str")
    label = directory.payer_names(ids, payers).to_numpy()
    federal = directory.payer_classes(ids, payers).isin(FEDERAL_CLASSES).to_numpy()
    return pd.DataFrame({"payer_label": label, "federal": federal}, index=payer_ids.index)


# --- the page's tables ------------------------------------------------------------------

HEADLINE_COUNTS = [
    "adjudicated_claims",
    "denied_claims",
    "denied_lines",
    "bundled_claims",
    "bundled_lines",
]


def headline(lines: pd.DataFrame, adjudicated: pd.DataFrame) -> pd.DataFrame:
    """The page's key figures, one row; each equals a total row of the tables below.

    Needs ``denial_lines`` and ``remitted.adjudicated`` frames. Returns
    adjudicated_claims, denied_claims, pct_denied (denial rate, Float64), denied_lines,
    denied_cents (billed charges of denied lines), bundled_claims, bundled_lines,
    bundled_cents, top_reason (the reason category with the most denied charges among
    those shown; "none" without denials) and ``*_small`` flags; suppressed (a count of
    1-10 is hidden with its dollars and rate). Empty when nothing was adjudicated.
    """
    columns = [
        "adjudicated_claims",
        "denied_claims",
        "pct_denied",
        "denied_lines",
        "denied_cents",
        "bundled_claims",
        "bundled_lines",
        "bundled_cents",
        "top_reason",
    ]
    if adjudicated.empty and lines.empty:
        return pd.DataFrame(columns=[*columns, *(c + SMALL_SUFFIX for c in HEADLINE_COUNTS)])
    claims = _claims(lines, adjudicated)
    denied = lines[lines["denial_class"].eq(DENIED)]
    bundled = lines[lines["denial_class"].eq(BUNDLED)]
    row = pd.DataFrame(
        [
            {
                "adjudicated_claims": len(claims),
                "denied_claims": int(claims[DENIED].sum()),
                "denied_lines": len(denied),
                "denied_cents": int(denied["charge_cents"].sum()),
                "bundled_claims": int(claims[BUNDLED].sum()),
                "bundled_lines": len(bundled),
                "bundled_cents": int(bundled["charge_cents"].sum()),
            }
        ]
    ).astype("int64")
    out = suppress(
        row,
        HEADLINE_COUNTS,
        {"denied_cents": "denied_claims", "bundled_cents": "bundled_claims"},
    )
    out = _hide_with(out, "denied_cents", ["denied_lines"])
    out = _hide_with(out, "bundled_cents", ["bundled_lines"])
    out["pct_denied"] = percent(out["denied_claims"], out["adjudicated_claims"])
    reasons = by_reason(lines)
    shown = reasons[~reasons[TOTAL].astype(bool) & reasons["denied_cents"].notna()]
    top = shown["category_label"].iloc[0] if len(shown) else pd.NA
    out["top_reason"] = "none" if denied.empty else top
    return out[[*columns, *(c + SMALL_SUFFIX for c in HEADLINE_COUNTS)]]


def by_reason(lines: pd.DataFrame) -> pd.DataFrame:
    """Denied lines by reason category (``carcs.CATEGORIES``), with a total row.

    Needs a ``denial_lines`` frame; bundled lines are left out (see ``by_payer`` /
    ``by_code`` with ``kind="bundled"``). Returns category (NA on the total row),
    category_label, action (what a practice usually does about it), claims (claims with a
    line denied for this reason; a claim denied for two reasons counts under both, so the
    rows may add up to more than the total), lines, denied_cents (billed charges),
    pct_of_denied (share of all denied charges, Float64), is_total, claims_small,
    lines_small; suppressed (dollars hidden when claims or lines are). Most denied charges
    first.
    """
    columns = ["category", "category_label", "action", "claims", "lines", "denied_cents"]
    denied = lines[lines["denial_class"].eq(DENIED)]
    if denied.empty:
        return pd.DataFrame(columns=[*columns, *SHARE_COLUMNS])
    parts = denied.groupby("category").agg(
        claims=("claim_key", "nunique"),
        lines=("line_key", "size"),
        denied_cents=("charge_cents", "sum"),
    )
    parts = parts.reset_index()
    total = pd.DataFrame(
        [
            {
                "category": pd.NA,
                "claims": denied["claim_key"].nunique(),
                "lines": len(denied),
                "denied_cents": denied["charge_cents"].sum(),
            }
        ]
    )
    table = pd.concat([parts.assign(**{TOTAL: False}), total.assign(**{TOTAL: True})])
    table = table.astype(
        {"claims": "int64", "lines": "int64", "denied_cents": "int64"}
    ).reset_index(drop=True)
    table["category_label"] = carcs.category_label(table["category"]).where(
        ~table[TOTAL], ALL_REASONS
    )
    table["action"] = table["category"].map(carcs.ACTIONS).fillna("").astype("str")
    return _shares_of_denied(table, "category_label")[[*columns, *SHARE_COLUMNS]]


def _ranked(
    lines: pd.DataFrame,
    key: str,
    money: str,
    top_n: int,
    other_label: str,
    total_label: str,
) -> pd.DataFrame:
    """Rows per ``key`` value listed by name (claims ≥ 11, most ``money`` first, at most
    ``top_n``), an "other" row for the rest and a total row; unsuppressed.

    A small "other" row (1-10 claims) would be hidden and take a listed row down with it
    as its complement: the last listed row is folded into "other" instead, which shows
    both. Columns: key, label, claims, lines, money, is_other, is_total.
    """
    parts = lines.groupby(key).agg(
        claims=("claim_key", "nunique"),
        lines=("line_key", "size"),
        money=("charge_cents", "sum"),
    )
    parts = parts.reset_index().sort_values(["money", key], ascending=[False, True], kind="stable")
    named = parts[parts["claims"].ge(small_cell())].head(top_n)
    rest = lines[~lines[key].isin(named[key])]
    if 0 < rest["claim_key"].nunique() < small_cell() and len(named):
        named = named.iloc[:-1]
        rest = lines[~lines[key].isin(named[key])]

    def summed(frame: pd.DataFrame, label: str, **flags: bool) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    key: pd.NA,
                    "label": label,
                    "claims": frame["claim_key"].nunique(),
                    "lines": len(frame),
                    "money": frame["charge_cents"].sum(),
                    **flags,
                }
            ]
        )

    table = [named.assign(label=named[key].astype("str"), is_other=False, **{TOTAL: False})]
    if len(rest) and len(named):
        table.append(summed(rest, other_label, is_other=True, **{TOTAL: False}))
    table.append(summed(lines, total_label, is_other=False, **{TOTAL: True}))
    out = pd.concat(table, ignore_index=True)
    out = out.astype({"claims": "int64", "lines": "int64", "money": "int64"})
    return out.rename(columns={"money": money})


def by_carc(lines: pd.DataFrame, top_n: int = 12) -> pd.DataFrame:
    """Denied lines by reason code as the remittance gives it (group and CARC, "CO-197"),
    with its meaning and category; then "All other reasons" and the total.

    Needs a ``denial_lines`` frame (bundled lines left out). A code is listed by name only
    with at least 11 claims (at most ``top_n``, most denied charges first). Returns
    reason ("CO-197"; the words on the other and total rows), meaning, category_label,
    claims, lines, denied_cents, pct_of_denied, is_total, claims_small, lines_small;
    suppressed.
    """
    columns = ["reason", "meaning", "category_label", "claims", "lines", "denied_cents"]
    denied = lines[lines["denial_class"].eq(DENIED)]
    if denied.empty:
        return pd.DataFrame(columns=[*columns, *SHARE_COLUMNS])
    group = denied["group_code"].astype("string").fillna("")
    code = (group + "-").where(group.ne(""), "") + denied["carc"].astype("string")
    denied = denied.assign(reason=code.fillna(carcs.NO_REASON).astype("str"))
    table = _ranked(denied, "reason", "denied_cents", top_n, OTHER_REASONS, ALL_REASONS)
    reason = table["reason"].astype("string")
    no_reason = reason.eq(carcs.NO_REASON).fillna(False).astype(bool)
    carc = reason.str.split("-", n=1).str[-1].where(~no_reason)
    listed = reason.notna()
    table["meaning"] = carcs.meaning(carc).where(listed, "")
    table["category_label"] = carcs.category_label(carcs.category_of(carc)).where(listed, "")
    table["reason"] = table["label"]
    return _shares_of_denied(table, "reason")[[*columns, *SHARE_COLUMNS]]


def by_payer(
    lines: pd.DataFrame,
    adjudicated: pd.DataFrame,
    payer_names: pd.DataFrame | None = None,
    kind: str = DENIED,
) -> pd.DataFrame:
    """Per payer: claims adjudicated, claims denied (or with a bundled line), the rate,
    lines and billed charges; with a total row.

    Needs ``denial_lines``, ``remitted.adjudicated`` and ``directory.payer_directory``
    frames; ``kind`` is 'denied' or 'bundled'. Returns payer_id (NA on the total row),
    payer_label, federal (Medicare or Medicaid, including managed plans: shown for
    reference, to work their denials, never to rank them as payers to drop),
    adjudicated_claims, ``<kind>_claims``, ``pct_<kind>`` (``<kind>_claims`` ÷
    adjudicated_claims × 100, Float64), ``<kind>_lines``, ``<kind>_cents``, is_total and
    ``*_small`` flags; suppressed (a rate or dollar figure is hidden with any count it is
    measured over). Every payer with an adjudicated claim is listed (0 % included); most
    ``<kind>_cents`` first.
    """
    claims_col, lines_col = f"{kind}_claims", f"{kind}_lines"
    cents, pct = f"{kind}_cents", f"pct_{kind}"
    counts = ["adjudicated_claims", claims_col, lines_col]
    columns = ["payer_id", "payer_label", "federal", "adjudicated_claims", claims_col, pct]
    columns += [lines_col, cents]
    if adjudicated.empty and lines.empty:
        return pd.DataFrame(columns=[*columns, TOTAL, *(c + SMALL_SUFFIX for c in counts)])
    claims = _claims(lines, adjudicated)
    per_claim = claims.groupby("payer_id").agg(
        adjudicated_claims=("claim_number", "size"), **{claims_col: (kind, "sum")}
    )
    mine = lines[lines["denial_class"].eq(kind)]
    per_line = mine.groupby("payer_id").agg(
        **{lines_col: ("line_key", "size"), cents: ("charge_cents", "sum")}
    )
    table = per_claim.join(per_line, how="left").fillna(0).astype("int64").reset_index()
    total = pd.DataFrame(
        [{"payer_id": pd.NA, **table[[c for c in table.columns if c != "payer_id"]].sum()}]
    )
    table = pd.concat([table.assign(**{TOTAL: False}), total.assign(**{TOTAL: True})])
    table = table.astype({c: "int64" for c in [*counts, cents]}).reset_index(drop=True)
    info = _payer_info(table["payer_id"].fillna(""), payer_names)
    table["payer_label"] = info["payer_label"].where(~table[TOTAL], ALL_PAYERS)
    table["federal"] = info["federal"] & ~table[TOTAL]
    table = suppress(table, counts, {cents: claims_col})
    table = _hide_with(table, cents, [lines_col])
    table[pct] = percent(table[claims_col], table["adjudicated_claims"])
    table = _order(table, cents, "payer_label")
    return table[[*columns, TOTAL, *(c + SMALL_SUFFIX for c in counts)]]


def by_code(
    lines: pd.DataFrame, adjudicated: pd.DataFrame, top_n: int = 10, kind: str = DENIED
) -> pd.DataFrame:
    """The procedure codes with the most denied (or bundled) charges, then "All other
    codes", then the total.

    Needs ``denial_lines`` and ``remitted.adjudicated`` frames. A code is listed by name
    only with at least 11 claims (at most ``top_n``). Returns procedure_code (NA on the
    other and total rows), code_label, claims, lines, ``<kind>_cents``,
    adjudicated_lines (lines of those codes the payers adjudicated as primary),
    ``pct_lines_<kind>`` (lines ÷ adjudicated_lines × 100), main_reason (the reason
    category with the most denied lines of the code; blank for bundled and on the
    other and total rows), is_total and ``*_small`` flags; suppressed.
    """
    cents, pct = f"{kind}_cents", f"pct_lines_{kind}"
    counts = ["claims", "lines", "adjudicated_lines"]
    columns = ["procedure_code", "code_label", "claims", "lines", cents]
    columns += ["adjudicated_lines", pct, "main_reason"]
    mine = lines[lines["denial_class"].eq(kind)]
    if mine.empty:
        return pd.DataFrame(columns=[*columns, TOTAL, *(c + SMALL_SUFFIX for c in counts)])
    table = _ranked(mine, "procedure_code", cents, top_n, OTHER_CODES, ALL_CODES)
    primary = adjudicated[adjudicated["primary"].astype(bool)]
    # Each charge line once, as the denied lines are counted (a line remitted twice is one).
    charge_lines = primary.drop_duplicates(["payer_id", "claim_id", "line_number"])
    per_code = charge_lines.groupby("procedure_code").size()
    named = table["procedure_code"].notna()
    listed = table.loc[named, "procedure_code"]
    adjudicated_lines = table["procedure_code"].map(per_code).fillna(0)
    other_lines = int(per_code.drop(listed, errors="ignore").sum())
    table["adjudicated_lines"] = (
        adjudicated_lines.where(named, other_lines)
        .where(~table[TOTAL], int(per_code.sum()))
        .astype("int64")
    )
    main = ""
    if kind == DENIED:
        # The category with the most denied lines of each code (ties: by category key).
        per_reason = mine.groupby(["procedure_code", "category"]).size().reset_index(name="n")
        per_reason = per_reason.sort_values(
            ["procedure_code", "n", "category"], ascending=[True, False, True], kind="stable"
        )
        first = per_reason.drop_duplicates("procedure_code").set_index("procedure_code")
        main = carcs.category_label(table["procedure_code"].map(first["category"]))
        main = main.where(named, "")
    table["main_reason"] = main
    table["code_label"] = table["label"]
    table = suppress(table, counts, [cents])
    table[pct] = percent(table["lines"], table["adjudicated_lines"])
    if not named.any():  # "other" would be every code: only the total is left
        table = table[table[TOTAL].astype(bool)]
    table = _order(table, cents, "code_label")
    return table[[*columns, TOTAL, *(c + SMALL_SUFFIX for c in counts)]]


TREND_COLUMNS = [
    "service_month",
    "payer_id",
    "payer_label",
    "federal",
    "adjudicated_claims",
    "denied_claims",
    "pct_denied",
    TOTAL,
    "adjudicated_claims" + SMALL_SUFFIX,
    "denied_claims" + SMALL_SUFFIX,
]


def monthly_trend(
    lines: pd.DataFrame, adjudicated: pd.DataFrame, payer_names: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The denial rate per month of service: all payers (``is_total`` rows) and each payer.

    Needs ``denial_lines``, ``remitted.adjudicated`` and ``directory.payer_directory``
    frames. One row per month with adjudicated claims for all payers, and per payer and
    month in which the payer adjudicated a claim. Returns ``TREND_COLUMNS``:
    service_month (first day), payer_id (NA on the all-payer rows), payer_label, federal,
    adjudicated_claims, denied_claims, pct_denied (Float64), is_total and ``*_small``
    flags, months in order, all payers first within a month.

    Suppressed in both directions: the payer × month cells add up to each payer's total
    (``by_payer``) and to each month's all-payer figure, so ``_grid_hidden`` hides small
    cells and their complements along rows and columns; the all-payer months add up to
    the period total (``headline``), so they go through ``privacy.suppress``. A rate is
    hidden when either of its counts is.
    """
    if adjudicated.empty and lines.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    claims = _claims(lines, adjudicated)
    cells = claims.groupby(["payer_id", "service_month"]).agg(
        adjudicated_claims=("claim_number", "size"), denied_claims=(DENIED, "sum")
    )
    cells = cells.astype("int64").reset_index()
    payers = sorted(cells["payer_id"].unique())
    months = sorted(cells["service_month"].unique())
    for count in ("adjudicated_claims", "denied_claims"):
        grid = cells.pivot(index="payer_id", columns="service_month", values=count)
        grid = grid.reindex(index=payers, columns=months).fillna(0).astype("int64")
        hidden = pd.DataFrame(_grid_hidden(grid.to_numpy()), index=payers, columns=months)
        flag = hidden.stack().rename("hide").reset_index()
        flag.columns = ["payer_id", "service_month", "hide"]
        mask = cells.merge(flag, on=["payer_id", "service_month"], how="left")["hide"]
        small = cells[count].between(1, small_cell() - 1)
        cells[count + SMALL_SUFFIX] = small.to_numpy()
        cells[count] = cells[count].astype("Int64").mask(mask.fillna(False).to_numpy())
    info = _payer_info(cells["payer_id"], payer_names)
    cells = cells.assign(
        payer_label=info["payer_label"], federal=info["federal"], **{TOTAL: False}
    )

    overall = claims.groupby("service_month").agg(
        adjudicated_claims=("claim_number", "size"), denied_claims=(DENIED, "sum")
    )
    overall = overall.astype("int64").reset_index()
    overall = suppress(overall, ["adjudicated_claims", "denied_claims"])
    overall = overall.assign(payer_id=pd.NA, payer_label=ALL_PAYERS, federal=False)
    # These rows are the month totals of the payer cells, not parts of anything shown.
    overall[TOTAL] = True

    out = pd.concat([overall, cells], ignore_index=True)
    out["pct_denied"] = percent(out["denied_claims"], out["adjudicated_claims"])
    out = out.sort_values(
        ["service_month", TOTAL, "payer_label"], ascending=[True, False, True], kind="stable"
    )
    return out[TREND_COLUMNS].reset_index(drop=True)


def top_denial_reason(
    denials: pd.DataFrame,
    adjudicated: pd.DataFrame,
    payer_names: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The single denial problem most worth working: the reason category with the most
    denied charges, and within it the payer with the most denied charges.

    Needs the store's ``denials`` table (``DENIAL_COLUMNS``), ``remitted.adjudicated``
    and optionally ``directory.payer_directory``. Bundled lines are left out (bundling is not
    a refusal to pay). Returns one row: category, category_label, action, payer_id,
    payer_label, federal (Medicare/Medicaid: work the denials, never a reason to see
    fewer of its patients), claims and lines (that payer's, in that category),
    denied_cents (their billed charges), category_claims and category_cents (the
    category, all payers). Only categories and payers with at least 11 claims are
    considered, so every figure returned can be shown; empty when none qualifies.
    """
    columns = [
        "category",
        "category_label",
        "action",
        "payer_id",
        "payer_label",
        "federal",
        "claims",
        "lines",
        "denied_cents",
        "category_claims",
        "category_cents",
    ]
    lines = denial_lines(denials, adjudicated)
    denied = lines[lines["denial_class"].eq(DENIED)]
    if denied.empty:
        return pd.DataFrame(columns=columns)
    reasons = denied.groupby("category").agg(
        category_claims=("claim_key", "nunique"), category_cents=("charge_cents", "sum")
    )
    reasons = reasons[reasons["category_claims"].ge(small_cell())].reset_index()
    pairs = denied.groupby(["category", "payer_id"]).agg(
        claims=("claim_key", "nunique"),
        lines=("line_key", "size"),
        denied_cents=("charge_cents", "sum"),
    )
    pairs = pairs[pairs["claims"].ge(small_cell())].reset_index()
    # The top category among those with a payer that can be named.
    candidates = reasons.merge(pairs[["category"]].drop_duplicates(), on="category")
    if candidates.empty:
        return pd.DataFrame(columns=columns)
    top = candidates.sort_values(
        ["category_cents", "category"], ascending=[False, True], kind="stable"
    ).iloc[[0]]
    payer = pairs[pairs["category"].eq(top["category"].iloc[0])]
    payer = payer.sort_values(["denied_cents", "payer_id"], ascending=[False, True]).iloc[[0]]
    row = payer.merge(top, on="category").reset_index(drop=True)
    info = _payer_info(row["payer_id"], payer_names)
    row = row.assign(
        category_label=carcs.category_label(row["category"]),
        action=row["category"].map(carcs.ACTIONS).fillna(""),
        payer_label=info["payer_label"],
        federal=info["federal"],
    )
    ints = ["claims", "lines", "denied_cents", "category_claims", "category_cents"]
    return row.astype({c: "int64" for c in ints})[columns]
