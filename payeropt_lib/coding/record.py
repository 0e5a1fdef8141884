"""Coding suggestions on file: ``payeropt suggest`` records them, ``suggestions`` lists
them, ``suggestion ID accept|reject`` records the clinician's disposition (docs/coding.md;
interface section 5).

The thin wiring around the pure engines (``em``, ``icd10``, ``modifiers``): read the
practice's frames, ask each engine, and bring the store to what they found, set-based:
- a suggestion found for the first time is recorded ``open``; one found again is left as
  it is (an accepted or rejected one keeps the clinician's decision);
- an ``open`` suggestion the documentation or the billed lines no longer support is
  ``withdrawn`` (kept, never deleted), and opens again if a later run finds it again;
- a suggestion without documented support is never recorded (``is_compliant`` false:
  refused here as well as never made by the engines);
- clinician queries (an unspecified diagnosis the documentation cannot resolve) live the
  same way in ``coding_queries``.
Running it again on the same data changes nothing; each run is one audit entry, each
disposition one more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Table, bindparam, update

from payeropt_lib import store
from payeropt_lib.errors import ReasonRequired, SuggestionDecided, UnknownSuggestion
from payeropt_lib.formats import decimal_texts
from payeropt_lib.reference import library
from payeropt_lib.remittances import rates_cache
from payeropt_lib.rules import repository, subjects
from payeropt_lib.store import access, tables
from payeropt_lib.store.access import Identity

from . import em, icd10, impact, modifiers, monitors

FACT = r"\b[a-z_]+=[^;\s]"  # a documented fact as a suggestion's support names it
KEY = ["claim_id", "line_number", "kind", "original_code", "suggested_code", "units"]
# What the engines read (and so all ``suggest`` reads: a million lines' other columns
# cost seconds).
LINE_FIELDS = ["claim_id", "line_number", "patient_id", "date_of_service", "procedure_code",
               "modifiers", "units", "payer_id", "product_line", "rendering_npi",
               "diagnosis_codes", "payer_class"]  # fmt: skip
READ = {
    "encounters": ["claim_id", "encounter_type", "total_time_minutes", "mdm_level",
                   "documented_findings"],
    "charges": subjects.charges_columns(LINE_FIELDS),
    "contracts": ["payer_id", "product_line", "effective_from", "payer_class"],
    "medicare_fees": ["procedure_code", "modifier", "effective_from", "glob_days"],
}  # fmt: skip
QUERY_KEY = ["claim_id", "line_number", "original_code", "reason"]
QUERY_COLUMNS = ["claim_id", "line_number", "original_code", "date_of_service",
                 "candidates", "question", "reason"]  # fmt: skip
# ``payeropt suggestions``: interface section 5's columns in its order, then ours.
LIST_COLUMNS = [
    "suggestion_id", "claim_id", "line_number", "kind", "original_code", "suggested_code",
    "direction", "support", "is_compliant", "payment_impact", "status",
    "units", "rule_id", "date_of_service", "rendering_npi", "decided_at", "decided_by",
    "reason",
]  # fmt: skip
# ``payeropt suggestions --accepted``: what the practice bills from now on.
ACCEPTED_COLUMNS = [
    "suggestion_id", "claim_id", "line_number", "date_of_service", "kind", "original_code",
    "suggested_code", "units", "decided_at", "decided_by", "reason",
]  # fmt: skip
NOT_LOADED = "code_set_not_loaded"  # icd10: no ICD-10-CM release covers the date
DISPOSITIONS = {"accept": "accepted", "reject": "rejected"}
STATUSES = ("open", "accepted", "rejected", "withdrawn")
WITHDRAWN_BY = "payeropt suggest"


@dataclass(frozen=True)
class Outcome:
    """What one ``payeropt suggest`` run did."""

    found: int
    recorded: int
    reopened: int
    withdrawn: int
    queries: int
    queries_recorded: int
    by_kind: dict[str, int]
    not_checked: int  # diagnoses on dates no loaded ICD-10-CM release covers

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.by_kind.items())) or "none"
        text = (
            f"{self.found} suggestions supported by the documentation ({kinds}): "
            f"{self.recorded} new, {self.reopened} open again, {self.withdrawn} withdrawn; "
            f"{self.queries} clinician queries ({self.queries_recorded} new)"
        )
        if self.not_checked:
            text += (
                f"; {self.not_checked} diagnoses not checked: no ICD-10-CM code set loaded "
                "for their date of service (docs/coding.md)"
            )
        return text


def find(
    encounters: pd.DataFrame,
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    pairs: pd.DataFrame,
    global_days: pd.DataFrame,
    as_of: dt.date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every suggestion and clinician query the documentation supports today (pure):
    suggestions with ``em.COLUMNS`` + rule_id, date_of_service, rendering_npi; queries
    with ``QUERY_COLUMNS`` + rendering_npi."""
    # A run as of a day sees the services up to it (a history loaded later, as the demo's).
    charges = charges[charges["date_of_service"] <= pd.Timestamp(as_of)]
    lines = subjects.claim_lines(charges, contracts, as_of, LINE_FIELDS)
    dx, queries = icd10.icd10_suggestions(encounters, lines)
    found = pd.concat(
        [
            em.em_suggestions(encounters, lines).assign(rule_id=""),
            dx.assign(rule_id=""),
            modifiers.modifier_suggestions(encounters, lines, pairs, global_days),
        ],
        ignore_index=True,
    )
    # Never recorded without documented support, whatever an engine returned: compliant,
    # and naming at least one documented fact (``key=value``).
    names_a_fact = found["support"].astype(str).str.contains(FACT, regex=True)
    found = found[found["is_compliant"].astype(bool) & names_a_fact.to_numpy()]
    where = lines[["claim_id", "line_number", "date_of_service", "rendering_npi"]]
    found = found.merge(where, on=["claim_id", "line_number"], how="inner")
    queries = queries[[c for c in QUERY_COLUMNS if c != "date_of_service"]].merge(
        where, on=["claim_id", "line_number"], how="inner"
    )
    return found.reset_index(drop=True), queries.reset_index(drop=True)


def for_clinicians(queries: pd.DataFrame) -> pd.Series:
    """The queries a clinician can answer: not those for a date no loaded code set covers
    (that is the product's gap, counted in the run's summary, not the note's)."""
    return queries["reason"].ne(NOT_LOADED)


def suggest(engine: Engine, org_id: str, who: Identity, as_of: dt.date | None = None) -> Outcome:
    """Record what the documentation supports (module docstring); one audit entry.
    ``as_of``: run as of that day (the services up to it; new suggestions dated then)."""
    access.authorize(engine, org_id, who, "coding.suggest", target=org_id)
    day = as_of or dt.date.today()
    # The pair rules approved when the run starts (read before the writer's lock: a
    # rule approved meanwhile counts from the next run).
    pairs = repository.ptp_pairs(engine, org_id)
    with engine.connect() as conn:  # CMS's global periods where the practice's file has none
        cms_days = library.global_days(conn)
    with store.writing(engine, org_id) as conn:
        frames = {
            name: store.read_frame(conn, getattr(tables, name), org_id, columns)
            for name, columns in READ.items()
        }
        found, queries = find(
            frames["encounters"], frames["charges"], frames["contracts"], pairs,
            modifiers.global_days(frames["medicare_fees"], cms_days), day,
        )  # fmt: skip
        # New suggestions are dated by the run: today, or the day it runs as of.
        now = f"{as_of.isoformat()}T00:00:00.000000Z" if as_of else store.audit.utc_now()
        recorded, reopened, withdrawn = _bring(conn, org_id, _SUGGESTIONS, found, now, day)
        asked = for_clinicians(queries)
        queries_recorded = _bring(conn, org_id, _QUERIES, queries[asked], now, day)[0]
        outcome = Outcome(
            found=len(found), recorded=recorded, reopened=reopened, withdrawn=withdrawn,
            queries=int(asked.sum()), queries_recorded=queries_recorded,
            by_kind={k: int(n) for k, n in found["kind"].value_counts().items()},
            not_checked=int((~asked).sum()),
        )  # fmt: skip
        access.audit_action(
            conn, org_id, who, "coding.suggest", org_id,
            details={**outcome.__dict__, "as_of": day.isoformat()},
        )  # fmt: skip
    return outcome


@dataclass(frozen=True)
class _Kept:
    """How one table of found things is kept (suggestions, queries): its id and key, the
    columns a new row takes, the ones a later run may refresh on a row still open (the
    documented facts as they read now), and what withdrawing and reopening set."""

    table: Table
    id_column: str
    key: list[str]
    inserted: list[str]
    refreshed: list[str]
    withdrawn: dict
    reopened: dict
    closed_at: str  # the column that dates a withdrawal


_SUGGESTIONS = _Kept(
    tables.suggestions, "suggestion_id", KEY,
    [*KEY, "direction", "support", "is_compliant", "rule_id", "date_of_service",
     "rendering_npi"],
    ["support", "rule_id"],
    {"decided_by": WITHDRAWN_BY,
     "reason": "the documentation or the billed lines no longer support it"},
    {"decided_at": None, "decided_by": None, "reason": None},
    "decided_at",
)  # fmt: skip
_QUERIES = _Kept(
    tables.coding_queries, "query_id", QUERY_KEY, [*QUERY_COLUMNS, "rendering_npi"],
    ["candidates", "question"], {}, {"closed_at": None}, "closed_at",
)  # fmt: skip


def _bring(
    conn, org_id: str, kept: _Kept, found: pd.DataFrame, now: str, as_of: dt.date
) -> tuple[int, int, int]:
    """Bring ``kept``'s table to ``found`` (module docstring): insert the new rows, open
    again the withdrawn ones found again, refresh the open ones found again whose facts
    now read differently, withdraw the open ones of services up to ``as_of`` not found
    (a run as of an earlier day leaves later services alone). Every update names the
    status it expects, so a decided row is never touched. Returns (new, reopened,
    withdrawn)."""
    t, ident = kept.table, kept.id_column
    have = store.read_frame(
        conn, t, org_id, [ident, *kept.key, "status", "date_of_service", *kept.refreshed]
    )
    if "units" in kept.key:
        have["units"] = have["units"].astype("int64")
        found = found.assign(units=found["units"].astype("int64"))
    both = found[kept.inserted].merge(
        have, on=kept.key, how="left", indicator=True, suffixes=("", "_was")
    )
    new = both[both["_merge"].eq("left_only")]
    if len(new):
        store.insert_rows(
            conn, t, new[kept.inserted].assign(org_id=org_id, status="open", created_at=now)
        )
    changed = np.zeros(len(both), dtype=bool)
    for column in kept.refreshed:
        changed |= both[column].astype(object).ne(both[f"{column}_was"].astype(object))
    again = both[both["status"].eq("withdrawn")]
    stale = both[both["status"].eq("open") & changed]
    _update(conn, org_id, kept, again, "withdrawn",
            {**kept.reopened, "status": "open", "created_at": now}, refresh=True)  # fmt: skip
    _update(conn, org_id, kept, stale, "open", {}, refresh=True)
    seen = have.merge(found[kept.key], on=kept.key, how="left", indicator=True)
    gone = seen[
        seen["_merge"].eq("left_only") & seen["status"].eq("open")
        & (seen["date_of_service"] <= pd.Timestamp(as_of))
    ]  # fmt: skip
    _update(conn, org_id, kept, gone, "open",
            {**kept.withdrawn, "status": "withdrawn", kept.closed_at: now})  # fmt: skip
    return len(new), len(again), len(gone)


def _update(  # noqa: ANN202
    conn, org_id: str, kept: _Kept, rows: pd.DataFrame, status: str, values: dict,
    refresh: bool = False,
):  # fmt: skip
    """Set ``values`` (and with ``refresh`` each row's refreshed columns as found now) on
    ``rows`` still in ``status``."""
    if rows.empty:
        return
    t, ident = kept.table, kept.id_column
    per_row = kept.refreshed if refresh else []
    params = [
        {"rid": int(r[0]), **{f"new_{c}": v for c, v in zip(per_row, r[1:], strict=True)}}
        for r in rows[[ident, *per_row]].itertuples(index=False)
    ]
    conn.execute(
        update(t)
        .where(t.c.org_id == org_id, t.c[ident] == bindparam("rid"), t.c.status == status)
        .values(**values, **{c: bindparam(f"new_{c}") for c in per_row}),
        params,
    )


def listing(
    engine: Engine,
    org_id: str,
    who: Identity,
    statuses: tuple[str, ...] = (),
    accepted: bool = False,
) -> pd.DataFrame:
    """``payeropt suggestions``: ``LIST_COLUMNS`` (payment_impact in dollars, blank for
    roles other than owner and billing), or with ``accepted`` the ``ACCEPTED_COLUMNS`` of
    the accepted ones for the practice system. Sorted by claim and line."""
    access.authorize(engine, org_id, who, "coding.view", target=org_id)
    t = tables.suggestions
    where = [t.c.status.in_(("accepted",) if accepted else statuses)] if (
        accepted or statuses
    ) else []  # fmt: skip
    frame = store.read_frame(engine, t, org_id, where=where)
    frame = frame.sort_values(["claim_id", "line_number", "suggestion_id"], ignore_index=True)
    if accepted:
        return frame[ACCEPTED_COLUMNS]
    cents = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if access.may(who.role, "coding.payment_impact") and len(frame):
        cents = priced(engine, org_id, frame)
    frame["payment_impact"] = decimal_texts(cents).to_numpy()
    return frame[LIST_COLUMNS]


def priced(engine: Engine, org_id: str, suggestions: pd.DataFrame) -> pd.Series:
    """Each stored suggestion's payment impact in cents (``impact.payment_impact`` on the
    practice's charges and rates as they are now; the charge master over every charge)."""
    with engine.connect() as conn:
        ids = suggestions["claim_id"].drop_duplicates().tolist()
        charges = store.read_in(conn, tables.charges, org_id, "claim_id", ids)
        every = store.read_frame(
            conn, tables.charges, org_id, ["procedure_code", "units", "charge_cents"]
        )
        # The rates as posting prices them (the library fills the Medicare amounts).
        rates = rates_cache.read_rate_tables(conn, org_id)
        cms_days = library.global_days(conn)
    return impact.payment_impact(
        suggestions, charges, rates.contracts, rates.fee_schedules, rates.medicare_fees,
        master=impact.charge_master(every),
        global_days=modifiers.global_days(rates.medicare_fees, cms_days),
    )  # fmt: skip


def queries(engine: Engine, org_id: str, who: Identity, open_only: bool = True) -> pd.DataFrame:
    """The clinician queries (``payeropt suggestions --queries``), open ones by default."""
    access.authorize(engine, org_id, who, "coding.view", target=org_id)
    t = tables.coding_queries
    where = [t.c.status == "open"] if open_only else []
    frame = store.read_frame(engine, t, org_id, where=where)
    columns = ["query_id", *QUERY_COLUMNS, "rendering_npi", "status", "created_at"]
    return frame.sort_values(["claim_id", "line_number", "query_id"], ignore_index=True)[columns]


def decide(
    engine: Engine,
    org_id: str,
    suggestion_id: int,
    disposition: str,
    reason: str | None,
    who: Identity,
) -> dict:
    """Accept or reject one open suggestion (``disposition``: accept | reject): one audit
    entry with the original and suggested codes, the disposition, the reason and the
    actor. Returns what the audit entry holds."""
    access.authorize(engine, org_id, who, "coding.decide", target=f"suggestion {suggestion_id}")
    decisions = pd.DataFrame(
        {"suggestion_id": [suggestion_id], "disposition": [disposition], "reason": [reason]}
    )
    return decide_many(engine, org_id, decisions, who, authorized=True)[0]


def decide_many(
    engine: Engine,
    org_id: str,
    decisions: pd.DataFrame,
    who: Identity,
    *,
    authorized: bool = False,
) -> list[dict]:
    """Record many dispositions by one person at once (``decisions``: suggestion_id,
    disposition accept | reject, reason), in one transaction: all or none (an unknown or
    no longer open suggestion, or a blank reason, refuses them all); one audit entry each,
    in order. Returns the entries' details."""
    if not authorized:
        access.authorize(engine, org_id, who, "coding.decide", target="suggestions")
    ids = decisions["suggestion_id"].astype("int64").tolist()
    if len(set(ids)) < len(ids):  # one decision per suggestion: a second would undo it
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise SuggestionDecided(twice[0], "decided twice in one batch")
    for sid, disposition, reason in decisions[
        ["suggestion_id", "disposition", "reason"]
    ].itertuples(index=False):
        if disposition not in DISPOSITIONS:
            raise ValueError(f"disposition must be accept or reject, not {disposition!r}")
        if not (reason or "").strip():
            raise ReasonRequired(f"{disposition}ing suggestion {sid}")
    t = tables.suggestions
    with store.writing(engine, org_id) as conn:
        rows = store.read_in(conn, t, org_id, "suggestion_id", ids).set_index("suggestion_id")
        for sid in ids:
            if sid not in rows.index:
                raise UnknownSuggestion(org_id, sid)
            if rows.at[sid, "status"] != "open":
                raise SuggestionDecided(sid, str(rows.at[sid, "status"]))
        now = store.audit.utc_now()
        status = decisions["disposition"].map(DISPOSITIONS).tolist()
        reasons = decisions["reason"].tolist()
        conn.execute(
            update(t)
            .where(t.c.org_id == org_id, t.c.suggestion_id == bindparam("sid"),
                   t.c.status == "open")
            .values(status=bindparam("to"), reason=bindparam("why"), decided_at=now,
                    decided_by=who.actor, decided_role=who.role),
            [{"sid": i, "to": st, "why": r}
             for i, st, r in zip(ids, status, reasons, strict=True)],
        )  # fmt: skip
        entries = []
        for sid, st, reason in zip(ids, status, reasons, strict=True):
            row = rows.loc[sid]
            details = {
                "suggestion_id": sid, "claim_id": row["claim_id"],
                "line_number": int(row["line_number"]), "kind": row["kind"],
                "original_code": row["original_code"], "suggested_code": row["suggested_code"],
                "units": int(row["units"]), "disposition": st, "reason": reason,
            }  # fmt: skip
            entries.append((f"coding.{'accept' if st == 'accepted' else 'reject'}",
                            f"suggestion {sid}", details))  # fmt: skip
        access.audit_actions(conn, org_id, who, entries)
    return [details for _, _, details in entries]


def monitor(
    engine: Engine, org_id: str, who: Identity, as_of: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``payeropt monitors``: the monitor table per clinician and month of service
    (``monitors.COLUMNS``) and its alerts, one row each (``monitors.LONG_COLUMNS``)."""
    access.authorize(engine, org_id, who, "coding.monitors", target=org_id)
    with engine.connect() as conn:
        suggestions = store.read_frame(
            conn, tables.suggestions, org_id,
            ["rendering_npi", "date_of_service", "direction", "status", "created_at"],
        )  # fmt: skip
        encounters = store.read_frame(conn, tables.encounters, org_id, ["claim_id"])
        charges = store.read_frame(
            conn, tables.charges, org_id,
            ["claim_id", "line_number", "rendering_npi", "date_of_service"],
        )  # fmt: skip
    table = monitors.monitor_table(suggestions, encounters, charges, as_of or dt.date.today())
    return table, monitors.alerts(table)
