"""The "Payer rules" page: the rules in force, what the last quarterly update changed,
what each category of rule would have caught before submission, and the checklist ahead.

Pure functions over store frames (``rules``, ``charges``, ``contracts``,
``appointments``). Aggregates only: no claim, appointment or patient id leaves here; line
and claim counts under the small-cell size are suppressed with their dollars
(``privacy.suppress``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from payeropt_lib.periods import within
from payeropt_lib.rules import check, repository

from . import privacy

CATEGORY_LABELS = {
    "prior_auth": "Prior authorization",
    "referral": "Referral",
    "modifier_requirement": "Modifier required",
    "documentation_threshold": "Documentation",
    "frequency_limit": "Frequency limit",
    "timely_filing": "Timely filing",
    "bundling": "Bundling (NCCI and payer edits)",
    "coding_policy": "Coding policy",
}
KIND_LABELS = {"claim_line": "Claim lines", "appointment": "Appointments", "encounter": "Coding"}


def in_force(rules: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Active rules by payer and category on ``as_of``: payer, one ``<category>_count``
    column per category with a rule in force, and ``total_count``; the payers sorted,
    ``*`` (every payer) first as "Every payer"."""
    live = rules[repository.shown_states(rules, as_of).eq("active")]
    if live.empty:
        return pd.DataFrame(columns=["payer", "total_count"])
    grid = pd.crosstab(live["payer_id"], live["category"])
    grid.columns = [f"{c}_count" for c in grid.columns]
    grid["total_count"] = grid.sum(axis=1)
    grid = grid.reset_index().rename(columns={"payer_id": "payer"})
    grid["payer"] = grid["payer"].replace("*", "Every payer")
    order = grid["payer"].ne("Every payer")
    return grid.assign(_o=order).sort_values(["_o", "payer"]).drop(columns="_o")


def in_force_labels(grid: pd.DataFrame) -> dict[str, str]:
    """Column headings for ``in_force``: the payer, each kind of rule, the total."""
    named = {"payer": "Payer", "total_count": "All kinds"}
    for category, label in CATEGORY_LABELS.items():
        named[f"{category}_count"] = label
    return {c: named.get(c, c) for c in grid.columns}


def last_update(rules: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The latest import of rules, by category: versions it added (a new rule), changed
    (a new version of a rule held before), the versions those changes retire, and where
    they stand (approved, awaiting review, rejected). Columns: category, added, changed,
    retired, approved, drafts, rejected (each ``_count``)."""
    names = ["added", "changed", "retired", "approved", "drafts", "rejected"]
    columns = ["category", *(f"{n}_count" for n in names)]
    if rules.empty or rules["import_id"].isna().all():
        return pd.DataFrame(columns=columns)
    last = rules["import_id"].max()
    new = rules[rules["import_id"].eq(last)]
    earlier = rules[rules["import_id"].lt(last)]
    changed = new["rule_id"].isin(earlier["rule_id"])
    retires = earlier[
        earlier["rule_id"].isin(new.loc[changed & new["state"].ne("rejected"), "rule_id"])
        & earlier["state"].eq("approved")
    ]
    frame = pd.DataFrame(
        {
            "category": new["category"],
            "added": ~changed,
            "changed": changed,
            "approved": new["state"].eq("approved"),
            "drafts": new["state"].eq("draft"),
            "rejected": new["state"].eq("rejected"),
        }
    )
    out = frame.groupby("category").sum().astype("int64")
    out["retired"] = retires.groupby("category").size().reindex(out.index, fill_value=0)
    out = out.reset_index().rename(columns={n: f"{n}_count" for n in names})
    out["category"] = out["category"].map(CATEGORY_LABELS)
    return out[columns]


def update_facts(rules: pd.DataFrame) -> pd.DataFrame:
    """The latest rules import as one row: import_id, versions_count (how many versions
    it brought), starts (the earliest day one of them takes effect); empty when none."""
    if rules.empty or rules["import_id"].isna().all():
        return pd.DataFrame(columns=["import_id", "versions_count", "starts"])
    last = rules["import_id"].max()
    new = rules[rules["import_id"].eq(last)]
    return pd.DataFrame(
        {
            "import_id": [str(int(last))],
            "versions_count": [len(new)],
            "starts": [new["effective_from"].min()],
        }
    )


def caught(
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    rules: pd.DataFrame,
    as_of: dt.date,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pd.DataFrame:
    """By category of claim-line rule: the lines dated in ``[start, end]`` that the rules
    in force on their dates would have caught before submission, the claims they are on,
    and their charges (``charge_cents``: what went out at risk of a denial), with a total
    row; small counts suppressed with their dollars. A line caught by two rules of one
    category counts once in it. Columns: category, lines, claims, charge_cents,
    is_total, lines_small, claims_small."""
    found, _ = check.claim_findings(charges, contracts, rules, as_of)
    found = found[within(pd.to_datetime(found["date_of_service"]), start, end).to_numpy()]
    keys = charges[["claim_id", "line_number", "charge_cents"]]
    lines = found.merge(keys, on=["claim_id", "line_number"]).drop_duplicates(
        ["category", "claim_id", "line_number"]
    )
    lines["category"] = lines["category"].map(CATEGORY_LABELS)
    by = lines.groupby("category").agg(
        lines=("line_number", "size"),
        claims=("claim_id", "nunique"),
        charge_cents=("charge_cents", "sum"),
    )
    every = lines.drop_duplicates(["claim_id", "line_number"])
    total = pd.DataFrame(
        {
            "lines": [len(every)],
            "claims": [every["claim_id"].nunique()],
            "charge_cents": [int(every["charge_cents"].sum())],
        },
        index=["Any rule (each line once)"],
    )
    out = pd.concat([by, total]).rename_axis("category").reset_index()
    out["is_total"] = out.index == len(out) - 1
    out = out.astype({"lines": "int64", "claims": "int64", "charge_cents": "int64"})
    return privacy.suppress(out, ["lines", "claims"], {"charge_cents": "lines"})


def checklist_ahead(
    appointments: pd.DataFrame,
    contracts: pd.DataFrame,
    rules: pd.DataFrame,
    as_of: dt.date,
    days: int = 28,
) -> pd.DataFrame:
    """The checklist of the ``days`` days from ``as_of``, counted: per requirement, the
    appointments that need it (visit length rules as "Visit length to document"). No
    appointment id. Columns: requirement, visits_count, items_count."""
    items, _ = check.checklist(
        appointments, contracts, rules, as_of, as_of, as_of + dt.timedelta(days=days - 1)
    )
    label = items["requirement"].replace(
        {"prior_authorization": "Prior authorization", "referral": "Referral",
         "documentation": "Documentation", "modifier": "Modifier", "": "Flag to review"}
    )  # fmt: skip
    label = label.where(items["visit_minutes"].isna(), "Visit length to document")
    counted = (
        items.assign(requirement=label)
        .groupby("requirement")
        .agg(visits_count=("appointment_id", "nunique"), items_count=("rule_id", "size"))
        .reset_index()
    )
    return counted.sort_values("visits_count", ascending=False).reset_index(drop=True)
