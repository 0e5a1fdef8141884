"""Posted remittances evaluated again after late data: charges, rates and aliases.

Data arrives in any order: an 835 posted before its charges, a payer alias added after,
fee schedules or contracts imported after posting. Every import that can change an
evaluation (charges, contracts with their aliases, fee schedules, Medicare fees) calls
``after_import`` in its own transaction; ``payeropt reprocess ORG [--since DATE]`` calls
``reevaluate`` on demand. Either way the stored 835 content of the affected remittances is
read back into the frames ``era.parse`` gives (``as_parsed``) and ``evaluation.evaluate``
runs again on the practice's data as it is now, so the result is what posting in the
natural order would have stored:

- payer, claim and line matches, problems and denials are replaced;
- findings: an unchanged one is kept (with its task), a changed one replaced, one that no
  longer holds voided;
- tasks (``tasks.revise``): opened where under-paid lines appear, new figures where they
  changed, withdrawn where none is left; a later payment of the claim recovers a task as
  it would have at posting. Tasks staff closed (recovered, written off) are left alone.

Reversals keep what posting decided (the 835s themselves did not change): a reversed
posting's findings and denials stay void. One audit entry names what caused the run.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, delete, select, text, update

from payeropt_lib import store
from payeropt_lib.inputs.era import Remit
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

from . import rates_cache, tasks
from .evaluation import (
    CHARGE_COLUMNS,
    LINE_KEY,
    PROBLEM_ORDER,
    Evaluation,
    Practice,
    evaluate,
)

logger = logging.getLogger(__name__)

# The imports whose rows an evaluation reads.
EVALUATED_KINDS = ("charges", "contracts", "fee-schedules", "medicare-fees")
# What a finding says; a finding whose content is unchanged keeps its row and its task.
FINDING_CONTENT = [
    "kind", "claim_id", "line_number", "payer_id", "procedure_code", "date_of_service",
    "units", "expected_cents", "allowed_cents", "variance_cents", "cause", "evidence",
    "explanation",
]  # fmt: skip


@dataclass(frozen=True)
class Reevaluated:
    """What one re-evaluation changed."""

    remittances: int = 0
    lines: int = 0
    findings_added: int = 0
    findings_changed: int = 0
    findings_voided: int = 0
    tasks_opened: int = 0
    tasks_revised: int = 0
    tasks_withdrawn: int = 0
    tasks_recovered: int = 0

    def summary(self) -> str:
        return (
            f"re-evaluated {self.remittances} remittances ({self.lines} lines): findings "
            f"{self.findings_added} added, {self.findings_changed} changed, "
            f"{self.findings_voided} voided; tasks {self.tasks_opened} opened, "
            f"{self.tasks_revised} revised, {self.tasks_withdrawn} withdrawn, "
            f"{self.tasks_recovered} recovered"
        )


def after_import(
    conn: Connection, org_id: str, kind: str, rows: pd.DataFrame, cause: str, who: Identity
) -> Reevaluated | None:
    """The hook ``inputs.imports.import_file(after=...)`` runs in the import's transaction:
    re-evaluates the posted remittances the imported ``rows`` can change (a charges file:
    those of its claims; rates and contracts: all). None when nothing is posted."""
    if kind not in EVALUATED_KINDS:
        return None
    rc = tables.remit_claims
    if kind == "charges":
        claim_ids = rows["claim_id"].unique().tolist()
        claims = store.read_in(conn, rc, org_id, "claim_id", claim_ids, ["remit_id"])
        if claims.empty:
            return None
        return reevaluate(conn, org_id, claims["remit_id"].unique().tolist(), who, cause,
                          claim_ids=claim_ids)  # fmt: skip
    r = tables.remittances
    remit_ids = list(conn.execute(select(r.c.remit_id).where(r.c.org_id == org_id)).scalars())
    if not remit_ids:
        return None
    return reevaluate(conn, org_id, remit_ids, who, cause)


def after_library(engine, who: Identity, cause: str) -> tuple[dict[str, Reevaluated], dict]:  # noqa: ANN001
    """What a new CMS fee library release (``import cms-pfs``) changes: the posted
    remittances of every opted-in practice evaluated again (the library prices where a
    practice's Medicare file has no row), each practice in its own transaction under its
    writer lock. A practice that has opted out is left as it is (nothing runs for it
    until it opts in again; ``payeropt reprocess`` then). Returns (the practices
    re-evaluated, with what changed; the practices that failed, with the error): one that
    fails leaves the others done and itself as it was, for ``payeropt reprocess``."""
    done, failed = {}, {}
    o = tables.orgs
    with engine.connect() as conn:
        org_ids = list(conn.execute(
            select(o.c.org_id).where(o.c.org_id != tables.SYSTEM_ORG, o.c.opted_in.is_(True))
        ).scalars())  # fmt: skip
    for org_id in org_ids:
        try:
            with store.writing(engine, org_id) as conn:
                remit_ids = remits_since(conn, org_id, None)
                if remit_ids:
                    done[org_id] = reevaluate(conn, org_id, remit_ids, who, cause)
        except Exception as err:  # noqa: BLE001 - one practice's failure must not stop the rest
            failed[org_id] = err
            logger.warning("%s: re-evaluating %s failed: %s", cause, org_id, err)
    return done, failed


def remits_since(conn: Connection, org_id: str, since: dt.date | None) -> list[int]:
    """The practice's posted remittances dated ``since`` or later (all when None)."""
    r = tables.remittances
    where = [r.c.org_id == org_id]
    if since is not None:
        where.append(r.c.remit_date >= since)
    return list(conn.execute(select(r.c.remit_id).where(*where)).scalars())


def reevaluate(
    conn: Connection,
    org_id: str,
    remit_ids: list[int],
    who: Identity,
    cause: str,
    claim_ids: list[str] | None = None,
) -> Reevaluated:
    """Evaluate the posted remittances ``remit_ids`` again and store what changed, in the
    caller's transaction (the practice's writer lock held: ``store.writing``).

    ``claim_ids`` (a charges import: the claims it changed) narrows the run to the claims
    that can change (``_scope``); without it every claim of the remittances is evaluated.
    """
    remit_ids = sorted({int(i) for i in remit_ids})
    scope = None if claim_ids is None else _scope(conn, org_id, remit_ids, claim_ids)

    def read(table) -> pd.DataFrame:  # noqa: ANN001 - a Table
        if scope is None:
            return store.read_in(conn, table, org_id, "remit_id", remit_ids)
        return store.read_pairs(conn, table, org_id, scope)

    stored = {t.name: read(t) for t in CLAIM_TABLES}
    stored["remittances"] = store.read_in(conn, tables.remittances, org_id, "remit_id", remit_ids)
    stored["remit_plb"] = (
        store.read_in(conn, tables.remit_plb, org_id, "remit_id", remit_ids)
        if scope is None
        else store.read_frame(conn, tables.remit_plb, org_id, where=[text("1 = 0")])
    )
    remit, txns = as_parsed(stored)
    claim_ids = stored["remit_claims"]["claim_id"].unique().tolist()
    rates = rates_cache.read_rate_tables(conn, org_id)  # not the cache: the import may roll back
    practice = Practice(
        aliases=rates.aliases,
        contracts=rates.contracts,
        fee_schedules=rates.fee_schedules,
        medicare_fees=rates.medicare_fees,
        charges=store.read_in(conn, tables.charges, org_id, "claim_id", claim_ids, CHARGE_COLUMNS),
        posted_claims=stored["remit_claims"].iloc[0:0][
            ["remit_id", "claim_seq", "claim_id", "charge_cents", "paid_cents"]
        ],
    )
    found = evaluate(remit, txns, practice, pd.Timestamp("1970-01-01"))
    claims = stored["remit_claims"]
    reversed_ = claims.loc[claims["reversed_by_remit_id"].notna(), ["remit_id", "claim_seq"]]
    now = audit.utc_now()

    if scope is None:
        _update_changed(conn, org_id, tables.remittances, stored["remittances"],
                        found.remittances, ["remit_id"], "payer_id")  # fmt: skip
    _update_changed(conn, org_id, tables.remit_claims, claims, found.claims,
                    ["remit_id", "claim_seq"], "matched")  # fmt: skip
    denials = found.denials.assign(void=_rows_in(found.denials, reversed_, CLAIM_KEY))
    for table, frame in ((tables.remit_lines, found.lines), (tables.denials, denials)):
        rows = _rows_of(conn, table, remit_ids, scope)
        conn.execute(delete(table).where(table.c.org_id == org_id, rows))
        store.insert_rows(conn, table, frame.assign(org_id=org_id))
    _replace_problems(conn, org_id, remit_ids, scope, found.problems)

    new = found.findings.assign(void=_rows_in(found.findings, reversed_, CLAIM_KEY))
    counts = _findings_and_tasks(
        conn, org_id, stored["findings"], new, found, practice.contracts, who, now, cause
    )
    result = Reevaluated(remittances=len(remit_ids), lines=len(found.lines), **counts)
    access.audit_action(
        conn, org_id, who, "reprocess", cause, details={**asdict(result), "cause": cause}
    )
    logger.info("%s: %s", cause, result.summary())
    return result


# What a re-evaluation reads of each remitted claim in its scope.
CLAIM_TABLES = (
    tables.remit_claims,
    tables.remit_lines,
    tables.remit_adjustments,
    tables.findings,
    tables.denials,
)
# The problems an evaluation finds per claim (the others are the 835's own: unbalanced
# amounts, and the payer, which a charges import cannot change).
CLAIM_PROBLEMS = ("unmatched_claim", "unmatched_line")


def _scope(conn: Connection, org_id: str, remit_ids: list[int], claim_ids: list[str]):  # noqa: ANN202
    """The remitted claims (remit_id, claim_seq) a change to ``claim_ids``' charges can
    change: theirs, and in the same remittances every claim holding a finding.

    An evaluation reads across claims in one place only: a likely cause's evidence ("paid
    at a different percent" fits a tenth of a percent when another flagged line of the
    payer on the remittance fits it too; "codes at one amount" counts the flagged codes
    paid one amount). The flagged lines are those with a finding, so evaluating them with
    the changed claims gives every line what evaluating the whole remittance gives.
    """
    rc, f = tables.remit_claims, tables.findings
    changed = store.read_in(conn, rc, org_id, "claim_id", claim_ids, ["remit_id", "claim_seq"])
    flagged = store.read_in(conn, f, org_id, "remit_id", remit_ids, ["remit_id", "claim_seq"])
    return pd.concat([changed, flagged], ignore_index=True).drop_duplicates()


def _rows_of(conn: Connection, table, remit_ids: list[int], scope):  # noqa: ANN001, ANN202
    """The condition for ``table``'s rows of the re-evaluated remittances, or of the
    remitted claims in ``scope``."""
    if scope is None:
        return table.c.remit_id.in_(remit_ids)
    return store.pairs_in(conn, table, scope)


def _replace_problems(
    conn: Connection,
    org_id: str,
    remit_ids: list[int],
    scope,
    found: pd.DataFrame,  # noqa: ANN001
) -> None:
    """Store the problems found: all of the remittances', or, for a ``scope`` of claims,
    their unmatched claims and lines, the remittances' other problems kept and each
    remittance's problems numbered again (``problem_seq``) in the order evaluation gives."""
    p = tables.remit_problems
    if scope is not None:
        kept = store.read_in(conn, p, org_id, "remit_id", remit_ids)
        ours = (
            _rows_in(kept.assign(claim_seq=kept["claim_seq"].fillna(-1)), scope, CLAIM_KEY)
            & kept["kind"].isin(CLAIM_PROBLEMS).to_numpy()
        )
        both = pd.concat(
            [kept[~ours].drop(columns="org_id"), found[found["kind"].isin(CLAIM_PROBLEMS)]],
            ignore_index=True,
        )
        per_claim = both["kind"].isin(CLAIM_PROBLEMS)
        # Kinds in PROBLEM_ORDER; unmatched claims and lines by claim and line, the others
        # in the order they were numbered.
        at = pd.DataFrame(
            {
                "remit_id": both["remit_id"],
                "kind": both["kind"].map({k: n for n, k in enumerate(PROBLEM_ORDER)}),
                "first": both["claim_seq"].where(per_claim, both["problem_seq"]).fillna(-1),
                "then": both["line_seq"].where(per_claim, 0).fillna(-1),
            }
        )
        found = both.loc[at.sort_values(list(at.columns), kind="stable").index]
        found["problem_seq"] = found.groupby("remit_id").cumcount()
    conn.execute(delete(p).where(p.c.org_id == org_id, p.c.remit_id.in_(remit_ids)))
    store.insert_rows(conn, p, found.assign(org_id=org_id))


def as_parsed(stored: dict[str, pd.DataFrame]) -> tuple[Remit, pd.DataFrame]:
    """Stored remittances read back as ``era.parse`` frames (``txn`` = remit_id) and the
    payments to evaluate (``txns``, with remit_id and payment_key)."""
    r = stored["remittances"]
    transactions = r.rename(columns={"payer_id": "practice_payer_id", "payer_id_835": "payer_id"})
    # The day posting dated a payment that carried no date of its own.
    transactions["production_date"] = transactions["production_date"].fillna(r["remit_date"])
    transactions = transactions.assign(txn=r["remit_id"])

    def parsed(frame: pd.DataFrame, drop: list[str] = (), **renames: str) -> pd.DataFrame:
        out = frame.drop(columns=["org_id", *drop], errors="ignore").rename(columns=renames)
        return out.assign(txn=out.pop("remit_id"))

    derived = ["claim_id", "line_number", "match_method", "allowed_cents",
               "patient_resp_cents", "sequestration_cents"]  # fmt: skip
    remit = Remit(
        transactions=transactions.drop(columns=["org_id"], errors="ignore"),
        claims=parsed(stored["remit_claims"], ["matched", "is_reversal", "reversed_by_remit_id"]),
        lines=parsed(stored["remit_lines"], derived, amt_b6_cents="allowed_cents"),
        adjustments=parsed(stored["remit_adjustments"], ["adj_seq"], group_code="group"),
        plb=parsed(stored["remit_plb"], ["plb_seq"]),
        name="(stored)",
    )
    return remit, transactions.drop(columns=["org_id"], errors="ignore")


CLAIM_KEY = ["remit_id", "claim_seq"]


def _rows_in(frame: pd.DataFrame, other: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Whether each row's ``key`` is among ``other``'s (numbers compared as int64, the
    rest as text: a stored Int64 and a computed int64 are one key)."""
    if frame.empty or other.empty:
        return np.zeros(len(frame), bool)

    def index(f: pd.DataFrame) -> pd.MultiIndex:
        columns = {
            c: f[c].astype("int64" if pd.api.types.is_numeric_dtype(f[c]) else "str") for c in key
        }
        return pd.MultiIndex.from_frame(pd.DataFrame(columns))

    return index(frame).isin(index(other))


def _update_changed(
    conn: Connection,
    org_id: str,
    table,  # noqa: ANN001 - a Table
    before: pd.DataFrame,
    after: pd.DataFrame,
    key: list[str],
    column: str,
) -> None:
    """Set ``column`` to its ``after`` value on the rows where it changed."""
    both = before[[*key, column]].merge(after[[*key, column]], on=key, suffixes=("_old", ""))
    old, new = both[f"{column}_old"], both[column]
    changed = both[~((old == new).fillna(False).astype(bool) | (old.isna() & new.isna()))]
    if changed.empty:
        return
    conn.execute(
        update(table)
        .where(table.c.org_id == org_id, *[table.c[k] == bindparam(f"k_{k}") for k in key])
        .values({column: bindparam("v")}),
        [
            {**{f"k_{k}": int(row[k]) for k in key}, "v": None if pd.isna(row[column]) else (
                bool(row[column]) if column == "matched" else str(row[column]))}
            for row in changed.to_dict("records")
        ],
    )  # fmt: skip


def _findings_and_tasks(
    conn: Connection,
    org_id: str,
    old: pd.DataFrame,
    new: pd.DataFrame,
    found: Evaluation,
    contracts: pd.DataFrame,
    who: Identity,
    now: str,
    cause: str,
) -> dict[str, int]:
    """Replace the findings that changed, void those that no longer hold, and bring the
    tasks of the re-evaluated payments in line (``tasks.revise``, ``tasks.apply``)."""
    live_old = old[~old["void"].astype(bool)]
    both = new.merge(
        live_old[[*LINE_KEY, *FINDING_CONTENT, "task_id"]],
        on=LINE_KEY,
        how="left",
        suffixes=("", "_old"),
        indicator=True,
    )
    had = both["_merge"].eq("both").to_numpy()
    same = had.copy()
    for column in FINDING_CONTENT:
        a, b = both[column], both[f"{column}_old"]
        same &= ((a == b).fillna(False).astype(bool) | (a.isna() & b.isna())).to_numpy()
    same &= ~both["void"].astype(bool).to_numpy()
    gone = live_old[~_rows_in(live_old, new, LINE_KEY)]

    # Tasks: one per (claim, payment) with live under-paid lines, as posting opens them.
    t = tables.tasks
    existing = store.read_in(conn, t, org_id, "remit_id", found.remittances["remit_id"])
    # Only the tasks of the claims evaluated (a charges import's scope holds every claim
    # with a finding, so every task; this keeps a task out of reach all the same).
    keys = ["claim_id", "remit_id"]
    existing = existing[_rows_in(existing, found.claims, keys)]
    # A posting later reversed opened its task all the same (posting came first): the
    # correction that follows recovers it, as at posting.
    wanted = tasks.to_open(new, contracts)
    matched = wanted.merge(existing, on=keys, how="left", suffixes=("", "_task"))
    is_open = matched["state"].isin(tasks.OPEN_STATES).to_numpy()
    to_open = wanted[matched["task_id"].isna().to_numpy()]
    revised = matched[
        is_open
        & (
            matched["amount_cents"].ne(matched["amount_cents_task"])
            | matched["lines"].ne(matched["lines_task"])
            | matched["cause"].ne(matched["cause_task"])
        ).to_numpy()
    ]
    open_existing = existing[existing["state"].isin(tasks.OPEN_STATES)]
    withdrawn = open_existing[~_rows_in(open_existing, wanted, keys)]
    note = f"re-evaluated: {cause}"
    tasks.revise(
        conn,
        org_id,
        who.actor,
        revised[["task_id", "state", "amount_cents", "lines", "cause"]].astype(
            {"task_id": "int64"}
        ),
        withdrawn[["task_id", "state", "amount_cents"]],
        now,
        note,
    )
    task_ids = store.reserve_ids(conn, t, "task_id", len(to_open))
    opened = tasks.apply(
        conn, org_id, who.actor, tasks.Plan(to_open, tasks.NONE_RECOVERED), task_ids, now
    )
    task_of = pd.concat([existing[[*keys, "task_id"]], opened], ignore_index=True).drop_duplicates(
        keys, keep="last"
    )
    linked = tasks.link(new, task_of)

    # Findings rows: unchanged ones stay; the rest of the new ones replace their line's row.
    write = linked[~same]
    stale = pd.concat([write[LINE_KEY], gone[LINE_KEY]], ignore_index=True)
    _delete_keys(conn, org_id, tables.findings, stale)
    store.insert_rows(conn, tables.findings, write.assign(org_id=org_id))
    store.insert_rows(
        conn, tables.findings, gone.drop(columns=["org_id"]).assign(org_id=org_id, void=True)
    )
    recovered = _recover(conn, org_id, who, now, found, linked)
    return {
        "findings_added": int((~had & ~both["void"].astype(bool).to_numpy()).sum()),
        "findings_changed": int((had & ~same).sum()),
        "findings_voided": len(gone),
        "tasks_opened": len(to_open),
        "tasks_revised": len(revised),
        "tasks_withdrawn": len(withdrawn),
        "tasks_recovered": recovered,
    }


def _delete_keys(conn: Connection, org_id: str, table, keys: pd.DataFrame) -> None:  # noqa: ANN001
    if keys.empty:
        return
    conn.execute(
        delete(table).where(
            table.c.org_id == org_id,
            table.c.remit_id == bindparam("r"),
            table.c.claim_seq == bindparam("c"),
            table.c.line_seq == bindparam("l"),
        ),
        [
            {"r": int(r), "c": int(c), "l": int(ln)}
            for r, c, ln in keys.drop_duplicates().itertuples(index=False)
        ],
    )


def _recover(
    conn: Connection,
    org_id: str,
    who: Identity,
    now: str,
    found: Evaluation,
    findings: pd.DataFrame,
) -> int:
    """Close, as posting would have, the open tasks a later payment of their claim
    answers with none of their lines under-paid: the earliest such payment recovers the
    task with what it allowed above the task's lines (at most the amount at stake)."""
    t = tables.tasks
    open_tasks = store.read_in(
        conn, t, org_id, "claim_id", findings["claim_id"].unique(),
        where=(t.c.state.in_(tasks.OPEN_STATES),),
    )  # fmt: skip
    if open_tasks.empty:
        return 0
    task_lines = store.read_in(
        conn, tables.findings, org_id, "task_id", open_tasks["task_id"].astype(int).tolist(),
        ["task_id", "claim_id", "line_number", "allowed_cents"],
    )  # fmt: skip
    recovered = tasks.recoveries(task_lines, found.lines, open_tasks, later=True)
    if recovered.empty:
        return 0
    tasks.apply(conn, org_id, who.actor, tasks.Plan(tasks.NONE_OPENED, recovered), [], now)
    return len(recovered)


__all__ = ["EVALUATED_KINDS", "Reevaluated", "after_import", "reevaluate", "remits_since"]
