"""``payeropt check``: the claim lines that break the practice's active rules before they
go out, and the checklist for each upcoming appointment (interface section 4).

Pure parts: ``claim_findings`` and ``checklist`` take store frames and return the
documented columns; ``check_claims`` / ``check_appointments`` read the store and call them.
Only approved versions are applied, each to the subjects dated in its period
(``engine``); a stored rule that breaks a guardrail is not applied and is returned as a
``Refusal`` for the caller to show.

The checklist's row type is ``ChecklistItem``: it has no field that could carry an
amount (no number but the version and the minutes, no money type, no name of a price),
and the checklist frame is built from its fields only, so no rule, however written, can
put money on it; guardrail (c) keeps money out of the text it carries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from payeropt_lib import store
from payeropt_lib.store import access, tables
from payeropt_lib.store.access import Identity

from . import engine, subjects
from .conditions import Subjects
from .engine import Refusal

CLAIM_COLUMNS = [
    "claim_id", "line_number", "procedure_code", "date_of_service", "payer_id", "rule_id",
    "rule_version", "category", "outcome", "message",
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class ChecklistItem:
    """One thing to have ready for an appointment (module docstring: no money field)."""

    appointment_id: str
    date: dt.date
    payer_id: str
    rule_id: str
    rule_version: int
    requirement: str  # prior_authorization, referral, documentation, modifier; '' for a flag
    detail: str
    visit_minutes: int | None  # the time the documentation will need (visit_minutes rules)
    message: str


CHECKLIST_COLUMNS = [f.name for f in dataclasses.fields(ChecklistItem)]


def _active(rules: pd.DataFrame, applies_to: str) -> pd.DataFrame:
    """The approved versions of one kind, as the engine reads them."""
    live = rules[rules["state"].eq("approved") & rules["applies_to"].eq(applies_to)]
    return live[engine.RULE_COLUMNS].reset_index(drop=True)


def _hits(
    rules: pd.DataFrame, frame: pd.DataFrame, date_field: str, applies_to: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[Refusal]]:
    """(hits with the subject's row, the rules applied with their outcome, refusals)."""
    kept, refused = engine.guard(_active(rules, applies_to))
    parsed = [json.loads(d) for d in kept["definition"]]
    hits = engine.evaluate(kept, Subjects(frame, date_field), [d["when"] for d in parsed])
    then = [d["then"] for d in parsed]
    outcome = kept[["rule_id", "rule_version", "category"]].assign(
        outcome=[t["outcome"] for t in then],
        message=[t["message"] for t in then],
        requirement=[t.get("requirement", "") for t in then],
        detail=[t.get("detail", "") for t in then],
        visit_minutes=pd.array([t.get("minutes") for t in then], dtype="Int64"),
    )
    return hits, outcome, refused


def claim_findings(
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    rules: pd.DataFrame,
    as_of: dt.date,
    checked: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[Refusal]]:
    """The lines that break an active claim-line rule (``CLAIM_COLUMNS``), sorted by claim,
    line and rule. Every line is read (counts and pairs see the paid ones too); only the
    lines where ``checked`` is true (a bool per charge row; all when None) are reported."""
    lines = subjects.claim_lines(charges, contracts, as_of)
    hits, outcome, refused = _hits(rules, lines, subjects.CLAIM_DATE, "claim_line")
    if checked is not None:
        hits = hits[np.asarray(checked, dtype=bool)[hits["subject"].to_numpy()]]
    found = lines.iloc[hits["subject"].to_numpy()].reset_index(drop=True)
    found = pd.concat(
        [found, outcome.iloc[hits["rule"].to_numpy()].reset_index(drop=True)], axis=1
    )
    found["date_of_service"] = found["date_of_service"].dt.date
    out = found.reindex(columns=CLAIM_COLUMNS)
    return out.sort_values(["claim_id", "line_number", "rule_id", "rule_version"]).reset_index(
        drop=True
    ), refused


def checklist(
    appointments: pd.DataFrame,
    contracts: pd.DataFrame,
    rules: pd.DataFrame,
    as_of: dt.date,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> tuple[pd.DataFrame, list[Refusal]]:
    """The checklist (``CHECKLIST_COLUMNS``, one row per appointment and rule that applies)
    for the appointments dated from ``date_from`` (the day of the check by default) through
    ``date_to`` (inclusive; open by default), sorted by date and appointment."""
    visits = subjects.appointments(appointments, contracts, as_of)
    hits, outcome, refused = _hits(rules, visits, subjects.APPOINTMENT_DATE, "appointment")
    day = visits[subjects.APPOINTMENT_DATE].iloc[hits["subject"].to_numpy()]
    start = pd.Timestamp(date_from or as_of)
    keep = (day >= start).to_numpy()
    if date_to is not None:
        keep = keep & (day <= pd.Timestamp(date_to)).to_numpy()
    hits = hits[keep]
    found = visits.iloc[hits["subject"].to_numpy()].reset_index(drop=True)
    found = pd.concat(
        [found, outcome.iloc[hits["rule"].to_numpy()].reset_index(drop=True)], axis=1
    )
    found["date"] = found["date"].dt.date
    # Built from the row type's fields and nothing else (module docstring).
    out = found.reindex(columns=CHECKLIST_COLUMNS)
    return out.sort_values(["date", "appointment_id", "rule_id"]).reset_index(drop=True), refused


def unpaid(
    charges: pd.DataFrame, remit_lines: pd.DataFrame, remit_claims: pd.DataFrame
) -> np.ndarray:
    """Per charge row: true when no posting that still counts paid the line anything (a
    denied line, or one never remitted, is still to go out again or for the first time)."""
    counted = remit_claims[
        ~remit_claims["is_reversal"].astype(bool) & remit_claims["reversed_by_remit_id"].isna()
    ][["remit_id", "claim_seq"]]
    paid = remit_lines[remit_lines["line_number"].notna() & remit_lines["paid_cents"].gt(0)]
    paid = paid.merge(counted, on=["remit_id", "claim_seq"])
    keys = pd.MultiIndex.from_frame(
        paid[["claim_id", "line_number"]].astype({"line_number": "int64"})
    )
    mine = pd.MultiIndex.from_arrays([charges["claim_id"], charges["line_number"].astype("int64")])
    return ~np.asarray(mine.isin(keys), dtype=bool)


def check_claims(
    db: Engine, org_id: str, who: Identity, as_of: dt.date, all_lines: bool = False
) -> tuple[pd.DataFrame, list[Refusal]]:
    """``payeropt check ORG --claims``: the lines not yet paid (all with ``all_lines``)
    that break an active rule."""
    access.authorize(db, org_id, who, "rules.check_claims", target=org_id)
    charges = store.read_frame(db, tables.charges, org_id)
    contracts = store.read_frame(db, tables.contracts, org_id)
    rules = store.read_frame(db, tables.rules, org_id)
    checked = None
    if not all_lines:
        lines = store.read_frame(
            db, tables.remit_lines, org_id,
            columns=["remit_id", "claim_seq", "claim_id", "line_number", "paid_cents"],
        )  # fmt: skip
        claims = store.read_frame(
            db, tables.remit_claims, org_id,
            columns=["remit_id", "claim_seq", "is_reversal", "reversed_by_remit_id"],
        )  # fmt: skip
        checked = unpaid(charges, lines, claims)
    return claim_findings(charges, contracts, rules, as_of, checked)


def check_appointments(
    db: Engine,
    org_id: str,
    who: Identity,
    as_of: dt.date,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> tuple[pd.DataFrame, list[Refusal]]:
    """``payeropt check ORG --appointments``: the checklist of the upcoming visits."""
    access.authorize(db, org_id, who, "rules.checklist", target=org_id)
    return checklist(
        store.read_frame(db, tables.appointments, org_id),
        store.read_frame(db, tables.contracts, org_id),
        store.read_frame(db, tables.rules, org_id),
        as_of,
        date_from,
        date_to,
    )
