"""The audit trail as people use it: searched, verified and anchored, each authorized.

One home for what a look at the trail may show and what it leaves on the record, for the
command line (``payeropt audit``) and the audit dashboard (``notebooks/explore_audit``):
a search by patient is for the roles ``access`` allows and is itself recorded with the
patient key; any other search shows no patient key ("withheld" where an entry has one).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from payeropt_lib import config
from payeropt_lib.errors import AuditChainBroken

from . import access, anchors, audit, audit_key
from .access import Identity
from .database import writing

logger = logging.getLogger(__name__)

# What a search shows (the chain's own columns are for --csv and --verify).
SHOWN = ["seq", "at", "actor", "role", "action", "target", "outcome", "details", "patient_id"]
WITHHELD = "withheld"


def may_search_patients(who: Identity) -> bool:
    """Whether ``who`` may search the trail by patient (the dashboard offers it only then)."""
    return access.may(who.role, "audit.search_patient")


def search(
    engine: Engine,
    org_id: str,
    who: Identity,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    action: str | None = None,
    actor: str | None = None,
    patient_id: str | None = None,
) -> pd.DataFrame:
    """The org's entries that match (``audit.search``; columns ``audit.COLUMNS``), once
    ``who`` may search: by patient, ``audit.search_patient``, and the search is recorded
    (the patient key, the filters, how many entries it found) before anything is returned;
    otherwise ``audit.search``, and patient keys read "withheld"."""
    name = "audit.search_patient" if patient_id else "audit.search"
    access.authorize(engine, org_id, who, name, target=org_id)
    filters = {"date_from": date_from, "date_to": date_to, "action": action, "actor": actor}
    found = audit.search(engine, org_id, patient_id=patient_id, **filters)
    if not patient_id:
        return withhold_patients(found)
    # Looking up a patient's trail is itself access to PHI: it goes on the record.
    details = {"entries": len(found), **{k: str(v) for k, v in filters.items() if v}}
    with writing(engine, org_id) as conn:
        access.audit_action(conn, org_id, who, name, org_id, patient_id=patient_id,
                            details=details)  # fmt: skip
    return found


def withhold_patients(entries: pd.DataFrame) -> pd.DataFrame:
    """``entries`` with every patient key replaced by "withheld" (who was looked up is
    for a search by that patient to show)."""
    patient = entries["patient_id"]
    return entries.assign(patient_id=patient.where(patient.isna(), WITHHELD))


def per_day(entries: pd.DataFrame) -> pd.DataFrame:
    """Entries per UTC day and action (day as datetime64, action, entries), oldest first."""
    if entries.empty:
        return pd.DataFrame({"day": pd.Series(dtype="datetime64[ns]"),
                             "action": pd.Series(dtype=object),
                             "entries": pd.Series(dtype="int64")})  # fmt: skip
    day = pd.to_datetime(entries["at"].str.slice(0, 10))
    counts = entries.assign(day=day).groupby(["day", "action"], sort=True).size()
    return counts.rename("entries").reset_index()


def verify(
    engine: Engine, org_id: str, who: Identity, anchor_file: Path | None = None
) -> audit.Verdict:
    """The org's chain checked with the key on file (``AuditKeyMissing`` without it) and
    held to an anchor: ``anchor_file``, else the last one remembered for this store, if
    any (``Verdict.anchor`` says which head was held to; a bad anchor is a problem)."""
    access.authorize(engine, org_id, who, "audit.verify", target=org_id)
    key = audit_key.load(audit.NEEDED_TO_VERIFY)
    anchor, source = _anchor(engine, org_id, anchor_file)
    bad = anchors.problems(anchor, key, org_id, source) if anchor else []
    verdict = audit.verify(engine, org_id, key, anchor.head if anchor and not bad else None)
    return replace(verdict, problems=(*bad, *verdict.problems), anchor_from=source)


def _anchor(
    engine: Engine, org_id: str, anchor_file: Path | None
) -> tuple[anchors.Anchor | None, str]:
    if anchor_file is not None:
        return anchors.read(anchor_file), str(anchor_file)
    kept = anchors.remembered(engine, org_id)
    return (None, "") if kept is None else (kept[0], f"remembered in {kept[1]}")


def anchor(engine: Engine, org_id: str, who: Identity, out: Path | None = None) -> anchors.Anchor:
    """Record an ``audit.anchor`` entry, then sign the head it makes and keep it: remembered
    beside the key, and written to ``out`` when given. Refused (``AuditChainBroken``) when
    the chain does not verify, against the last anchor remembered too: an anchor vouches
    for the trail as it is, and must not vouch for a rewritten one."""
    access.authorize(engine, org_id, who, "audit.anchor", target=org_id)
    if out is not None:  # a folder that cannot be written is said before anything is
        config.checked_out_dir(Path(out).parent)
    key = audit_key.load(audit.NEEDED_TO_VERIFY)
    previous, source = _anchor(engine, org_id, None)
    with writing(engine, org_id) as conn:  # the writer lock: nothing lands in between
        bad = anchors.problems(previous, key, org_id, source) if previous else []
        checked = audit.verify(conn, org_id, key, previous.head if previous and not bad else None)
        problems = (*bad, *checked.problems)
        if problems:
            reason = f"{problems[0]}; nothing anchored (audit --verify lists every problem)"
            raise AuditChainBroken(org_id, checked.broken_at or 0, reason)
        details = {
            "out": str(out) if out else None,
            "previous": previous.seq if previous else None,
        }
        access.audit_action(conn, org_id, who, "audit.anchor", org_id, details=details)
        head = audit.head(conn, org_id)
    made = anchors.sign(key, org_id, head, anchors.database_name(engine))
    anchors.remember(made)
    if out is not None:
        anchors.write(made, out)
    logger.info("anchored %s at entry %d", org_id, made.seq)
    return made
