"""The practice's rules repository (docs/rules.md, "The repository"): rule versions,
imported as drafts, never deleted.

``import_rules`` (``payeropt import rules``), ``list_rules`` (``rules list``) and the
review: ``diff`` (``rules diff``), ``approve`` (``rules approve``), ``reject``
(``rules reject``); ``ptp_pairs``, the approved pair rules (NCCI's and a payer's own) as a
frame, for the modifier suggestions (``coding.modifiers``).

An import reads every file first (``definitions.read_rules``: schema, guardrails,
fields) and checks each rule's payer against the practice's contracts; any problem
refuses the whole import and nothing is stored. Then, under the practice's writer lock, in
one transaction: a rule identical to a version already held (not rejected) is unchanged;
any other is a new draft version (the file's ``rule_version`` when given, else the next
after the practice's latest); the import is one ``imports`` row (kind ``rules``) and one
audit entry. The same files again change nothing at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, bindparam, insert, select

from payeropt_lib import store
from payeropt_lib.errors import NoDrafts, RuleFileError, SelfApproval
from payeropt_lib.inputs import imports
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

from . import definitions, ncci
from . import engine as rule_engine

KIND = "rules"
STORED_STATES = ("draft", "approved", "rejected")
SHOWN_STATES = ("draft", "approved", "active", "retired", "rejected")
LIST_COLUMNS = [
    "rule_id", "rule_version", "state", "payer_id", "product_line", "category",
    "applies_to", "audience", "effective_from", "effective_to", "import_id",
    "imported_by", "decided_by", "decided_at", "reason",
]  # fmt: skip


@dataclass(frozen=True)
class RulesImport:
    """What an import of rule files did."""

    org_id: str
    files: int
    rules: int
    drafts: int
    unchanged: int
    import_id: int | None
    already_imported: bool = False

    def summary(self) -> str:
        if self.already_imported:
            return f"{self.files} rule file(s): already imported; nothing changed"
        return (
            f"{self.files} rule file(s), {self.rules} rule(s): {self.drafts} new draft "
            f"version(s) to review, {self.unchanged} unchanged (import {self.import_id})"
        )


def rule_files(paths: Sequence[Path | str]) -> list[Path]:
    """The JSON files named, a folder standing for every ``*.json`` in it (a quarterly
    update), in name order."""
    found: list[Path] = []
    for path in map(Path, paths):
        found += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    if not found:
        raise RuleFileError(", ".join(map(str, paths)), "-", "the folder", "no .json rule file")
    return found


def import_rules(
    engine: Engine, org_id: str, paths: Sequence[Path | str], who: Identity
) -> RulesImport:
    """Import rule files as drafts (module docstring); refused whole on any problem."""
    files = rule_files(paths)
    access.authorize(engine, org_id, who, "import.rules", target=", ".join(map(str, files)))
    read = [(f, rule) for f in files for rule in definitions.read_rules(f)]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    sha = digest.hexdigest()
    names = ", ".join(f.name for f in files)
    payers = _payers(engine, org_id)
    for f, rule in read:
        _check_payer(payers, rule["payer_id"], str(f), repr(rule["rule_id"]))
    with store.writing(engine, org_id) as conn:
        seen = imports.earlier_import(conn, org_id, KIND, sha)
        if seen is not None:
            return RulesImport(org_id, len(files), len(read), 0, len(read), seen, True)
        rows, unchanged = _new_versions(conn, org_id, read, who)
        import_id = conn.execute(
            insert(tables.imports)
            .values(
                org_id=org_id, kind=KIND, file_name=names[:500], sha256=sha,
                imported_at=audit.utc_now(), actor=who.actor, rows_in_file=len(read),
                inserted=len(rows), replaced=0, unchanged=unchanged,
            )
            .returning(tables.imports.c.import_id)
        ).scalar_one()  # fmt: skip
        if rows:
            frame = pd.DataFrame(rows).assign(org_id=org_id, import_id=import_id)
            conn.execute(insert(tables.rules), frame.to_dict("records"))
        result = RulesImport(org_id, len(files), len(read), len(rows), unchanged, import_id)
        details = {
            "import_id": import_id,
            "sha256": sha,
            "drafts": [f"{r['rule_id']} v{r['rule_version']}" for r in rows],
            "unchanged": unchanged,
        }
        access.audit_action(conn, org_id, who, "import.rules", names, details=details)
    return result


def _payers(engine: Engine, org_id: str) -> set[str]:
    """The payers of the practice's contracts: the ones a rule may name."""
    frame = store.read_frame(engine, tables.contracts, org_id, columns=["payer_id"])
    return set(frame["payer_id"])


def _check_payer(payers: set[str], payer_id: str, file: str, rule: str) -> None:
    if payer_id != "*" and payer_id not in payers:
        raise RuleFileError(
            file, rule, "payer_id",
            f"unknown payer {payer_id!r} (not in contracts.csv; import contracts first, or "
            "use '*' for every payer)",
        )  # fmt: skip


def quarter_of(day: dt.date) -> str:
    """The quarter a day falls in, as CMS names its releases: 2026Q4."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def import_ncci(
    engine: Engine,
    org_id: str,
    path: Path | str,
    payer_id: str,
    who: Identity,
    quarter: str | None = None,
) -> RulesImport:
    """``payeropt import ncci``: CMS's practitioner PTP or MUE file as published, made
    ``bundling`` / ``frequency_limit`` rules (``ncci.read_rules``) for ``payer_id``, and
    stored as drafts set-based: a rule whose definition is the one already held (not
    rejected) is unchanged, any other is the next version of its rule. One ``imports`` row
    (kind ``ncci``), one audit entry; the same file for the same payer and quarter again
    changes nothing. Refused whole, nothing stored, on any problem."""
    path = Path(path)
    access.authorize(engine, org_id, who, "import.ncci", target=str(path))
    quarter = quarter or quarter_of(dt.date.today())
    kind, found = ncci.read_rules(path, payer_id, quarter)
    _check_payer(_payers(engine, org_id), payer_id, str(path), "NCCI")
    digest = hashlib.sha256(path.read_bytes())
    digest.update(f"\0{payer_id}\0{quarter}".encode())
    sha = digest.hexdigest()
    r = tables.rules
    with store.writing(engine, org_id) as conn:
        seen = imports.earlier_import(conn, org_id, "ncci", sha)
        if seen is not None:
            return RulesImport(org_id, 1, len(found), 0, len(found), seen, True)
        held = pd.DataFrame(
            conn.execute(
                select(r.c.rule_id, r.c.rule_version, r.c.definition, r.c.state).where(
                    r.c.org_id == org_id, r.c.rule_id.like("NCCI-%")
                )
            ).all(),
            columns=["rule_id", "rule_version", "definition", "state"],
        )
        kept = held[held["state"].ne("rejected")][["rule_id", "definition"]]
        same = found.merge(kept.assign(_held=True), on=["rule_id", "definition"], how="left")
        new = found[same["_held"].isna().to_numpy()]
        latest = held.groupby("rule_id")["rule_version"].max()
        version = new["rule_id"].map(latest).fillna(0).astype("int64") + 1
        import_id = conn.execute(
            insert(tables.imports)
            .values(
                org_id=org_id, kind="ncci", file_name=path.name[:500], sha256=sha,
                imported_at=audit.utc_now(), actor=who.actor, rows_in_file=len(found),
                inserted=len(new), replaced=0, unchanged=len(found) - len(new),
            )
            .returning(tables.imports.c.import_id)
        ).scalar_one()  # fmt: skip
        rows = pd.DataFrame(
            {
                "org_id": org_id,
                "rule_id": new["rule_id"],
                "rule_version": version,
                "payer_id": payer_id,
                "product_line": "",
                "category": new["category"],
                "applies_to": "claim_line",
                "audience": "staff",
                "effective_from": pd.to_datetime(new["effective_from"]).dt.date,
                "effective_to": pd.to_datetime(new["effective_to"].replace("", None)).dt.date,
                "definition": new["definition"],
                "state": "draft",
                "import_id": import_id,
                "imported_by": who.actor,
            }
        )
        rows["effective_to"] = (
            rows["effective_to"].astype(object).where(rows["effective_to"].notna(), None)
        )
        store.bulk_insert(conn, tables.rules, rows)
        details = {
            "import_id": import_id, "sha256": sha, "file": kind, "payer_id": payer_id,
            "quarter": quarter, "drafts": len(new), "unchanged": len(found) - len(new),
        }  # fmt: skip
        access.audit_action(conn, org_id, who, "import.ncci", path.name, details=details)
    return RulesImport(org_id, 1, len(found), len(new), len(found) - len(new), import_id)


def _canonical(rule: dict) -> str:
    """A rule's definition as compared between versions (its version number aside)."""
    return json.dumps({k: v for k, v in rule.items() if k != "rule_version"}, sort_keys=True)


def _new_versions(conn, org_id: str, read: list, who: Identity) -> tuple[list[dict], int]:  # noqa: ANN001
    r = tables.rules
    held = conn.execute(
        select(r.c.rule_id, r.c.rule_version, r.c.definition, r.c.state).where(
            r.c.org_id == org_id
        )
    ).all()
    known = {(h.rule_id, _canonical(json.loads(h.definition))) for h in held
             if h.state != "rejected"}  # fmt: skip
    taken = {(h.rule_id, h.rule_version) for h in held}
    latest: dict[str, int] = {}
    for h in held:
        latest[h.rule_id] = max(latest.get(h.rule_id, 0), h.rule_version)
    rows, unchanged = [], 0
    for f, rule in read:
        rule_id, text = rule["rule_id"], _canonical(rule)
        if (rule_id, text) in known:
            unchanged += 1
            continue
        version = rule.get("rule_version") or latest.get(rule_id, 0) + 1
        if (rule_id, version) in taken:
            raise RuleFileError(
                str(f), repr(rule_id), "rule_version",
                f"version {version} is already on file with another definition: give the "
                "change a new version (or leave rule_version out)",
            )  # fmt: skip
        taken.add((rule_id, version))
        known.add((rule_id, text))
        latest[rule_id] = max(latest.get(rule_id, 0), version)
        stored = {**rule, "rule_version": version}
        rows.append(
            {
                "rule_id": rule_id,
                "rule_version": version,
                "payer_id": rule["payer_id"],
                "product_line": rule.get("product_line") or "",
                "category": rule["category"],
                "applies_to": rule["applies_to"],
                "audience": rule.get("audience") or "staff",
                "effective_from": dt.date.fromisoformat(rule["effective_from"]),
                "effective_to": (
                    dt.date.fromisoformat(rule["effective_to"])
                    if rule.get("effective_to")
                    else None
                ),
                "definition": json.dumps(stored, sort_keys=True),
                "state": "draft",
                "imported_by": who.actor,
            }
        )
    return rows, unchanged


def shown_states(rules: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Each stored version's state as shown on ``day`` (docs/rules.md, "Stored state, shown
    state"): a draft; approved while its start is ahead; active once in force; retired
    once its exclusive end has passed; rejected. ``rules``: state, effective_from,
    effective_to as the store reads them."""
    approved = rules["state"].eq("approved")
    ended = rules["effective_to"].notna() & (rules["effective_to"] <= day)
    shown = rules["state"].astype(object).copy()
    shown[approved & (rules["effective_from"] <= day)] = "active"
    shown[approved & ended] = "retired"
    return shown


def list_rules(
    engine: Engine, org_id: str, state: str | None = None, on: dt.date | None = None
) -> pd.DataFrame:
    """The practice's rule versions (``LIST_COLUMNS``), with the state shown on day ``on``
    (today by default): a draft; approved while its start is ahead; active once in force;
    retired once its exclusive end has passed; rejected. ``state`` keeps one of them."""
    frame = store.read_frame(engine, tables.rules, org_id)
    frame["state"] = shown_states(frame, pd.Timestamp(on or dt.date.today()))
    if state is not None:
        frame = frame[frame["state"].eq(state)]
    return frame[LIST_COLUMNS].sort_values(["rule_id", "rule_version"]).reset_index(drop=True)


PAIR_COLUMNS = [
    "payer_id", "product_line", "column1", "column2", "bypassable", "bypass_modifiers",
    "effective_from", "effective_to", "rule_id", "rule_version",
]  # fmt: skip
# A bare ``pair`` condition as the imports store it (``import_ncci``: pair first;
# ``import_rules``: keys sorted), read without parsing the JSON of each of 100,000 edits.
_WS = r"\s*"
_PAIR = (
    rf'"pair"{_WS}:{_WS}\{{{_WS}"column1"{_WS}:{_WS}"(?P<column1>[^"]*)"{_WS},{_WS}'
    rf'"column2"{_WS}:{_WS}"(?P<column2>[^"]*)"{_WS}\}}'
)
_BYPASS = rf'"bypass_modifiers"{_WS}:{_WS}\[(?P<bypass>[^\]]*)\]'
_BARE_PAIRS = (
    rf'"when"{_WS}:{_WS}\{{{_WS}{_PAIR}{_WS},{_WS}{_BYPASS}{_WS}\}}',
    rf'"when"{_WS}:{_WS}\{{{_WS}{_BYPASS}{_WS},{_WS}{_PAIR}{_WS}\}}',
)


def ptp_pairs(engine: Engine, org_id: str) -> pd.DataFrame:
    """The practice's approved procedure-to-procedure pair rules (``PAIR_COLUMNS``): every
    approved version of a claim-line rule whose condition is one bare ``pair`` (CMS's
    NCCI edits as ``import ncci`` stores them, and a payer's own pair rules), with its
    stored scope and period (``effective_to`` NaT = open; the stored columns are the
    truth, as for the engine). ``bypassable``: a modifier can bypass it (NCCI indicator 1,
    ``bypass_modifiers`` not empty); ``bypass_modifiers``: the list, ``:``-joined. A
    version the engine would refuse by a guardrail is left out, as the engine leaves it.

    Set-based: the codes and the modifiers are read from the stored definitions by one
    vectorized match per layout the imports write; only a definition in neither layout
    (written by hand into the database) is parsed as JSON."""
    r = tables.rules
    stored = store.read_frame(
        engine, tables.rules, org_id, columns=rule_engine.RULE_COLUMNS,
        where=[r.c.state == "approved", r.c.applies_to == "claim_line"],
    )  # fmt: skip
    text = pa.array(stored["definition"], type=pa.string(), from_pandas=True)
    maybe = pc.match_substring(text, '"pair"').to_numpy(zero_copy_only=False)
    stored, text = stored[maybe].reset_index(drop=True), text.filter(pa.array(maybe))
    parts = pd.DataFrame(index=stored.index, columns=["column1", "column2", "bypass"])
    for layout in _BARE_PAIRS:  # an earlier layout's match stands
        found = pc.extract_regex(text, layout)
        hit = (
            found.is_valid().to_numpy(zero_copy_only=False) & parts["column1"].isna()
        ).to_numpy()
        for column in parts:
            value = pc.struct_field(found, column).to_numpy(zero_copy_only=False)
            parts.loc[hit, column] = value[hit]
    for i in np.flatnonzero(parts["column1"].isna().to_numpy()):  # in neither layout
        when = json.loads(text[i].as_py()).get("when")
        if isinstance(when, dict) and set(when) == {"pair", "bypass_modifiers"}:
            listed = json.dumps(when["bypass_modifiers"])[1:-1]
            parts.iloc[i] = [when["pair"]["column1"], when["pair"]["column2"], listed]
    bare = stored.join(parts)[parts["column1"].notna().to_numpy()]
    kept, _ = rule_engine.guard(bare)  # the engine applies none of the refused either
    lists, listed = pd.factorize(kept["bypass"].astype(object))  # a few distinct lists
    joined = [re.sub(r'[\s"]', "", str(b)).replace(",", ":") for b in listed]
    bypass = pd.Series(np.asarray(joined, dtype=object)[lists], index=kept.index, dtype=object)
    out = pd.DataFrame(
        {
            "payer_id": kept["payer_id"].astype(object),
            "product_line": kept["product_line"].fillna("").astype(object),
            "column1": kept["column1"].astype(object),
            "column2": kept["column2"].astype(object),
            "bypassable": bypass.ne("").astype(bool),
            "bypass_modifiers": bypass,
            "effective_from": pd.to_datetime(kept["effective_from"]),
            "effective_to": pd.to_datetime(kept["effective_to"]),
            "rule_id": kept["rule_id"].astype(object),
            "rule_version": kept["rule_version"].astype("int64"),
        }
    )
    return out.sort_values(["rule_id", "rule_version"]).reset_index(drop=True)


# --- review -------------------------------------------------------------------------------

DIFF_COLUMNS = [
    "change", "rule_id", "rule_version", "replaces", "payer_id", "category",
    "effective_from", "effective_to", "what",
]  # fmt: skip
# The parts of a definition a reviewer compares between versions.
PARTS = ("payer_id", "product_line", "category", "applies_to", "audience", "effective_from",
         "effective_to", "when", "then", "source")  # fmt: skip


def _draft_filter(org_id: str, rule_id: str | None, import_id: int | None) -> list:
    """The drafts of one rule or of one import, as a WHERE clause."""
    r = tables.rules
    where = [r.c.org_id == org_id, r.c.state == "draft"]
    if rule_id is not None:
        where.append(r.c.rule_id == rule_id)
    if import_id is not None:
        where.append(r.c.import_id == import_id)
    return where


def _drafts(conn, org_id: str, rule_id: str | None, import_id: int | None) -> list:  # noqa: ANN001
    r = tables.rules
    query = select(r).where(*_draft_filter(org_id, rule_id, import_id))
    return conn.execute(query.order_by(r.c.rule_id, r.c.rule_version)).all()


def _selection(rule_id: str | None, import_id: int | None) -> str:
    return f"of rule {rule_id!r}" if rule_id is not None else f"in import {import_id}"


def approve(
    engine: Engine,
    org_id: str,
    who: Identity,
    rule_id: str | None = None,
    import_id: int | None = None,
) -> list[str]:
    """Approve the drafts of one rule (``rule_id``) or of one import (``import_id``), in
    version order; returns them as "RULE vN". Refused whole, nothing changed, when one was
    imported by ``who`` (``SelfApproval``, the refusal audited) or breaks the schema or a
    guardrail now (checked once per rule shape, ``rules.engine.shapes``). Each approval sets the
    ``effective_to`` of the versions of its rule still open past its start to its
    ``effective_from`` (retired the day before): one audit entry for the approval, one for
    each retirement. Set-based: 100,000 NCCI drafts are approved in seconds."""
    if (rule_id is None) == (import_id is None):
        raise ValueError("name a rule or an import")
    target = _selection(rule_id, import_id)
    access.authorize(engine, org_id, who, "rules.approve", target=target)
    with store.writing(engine, org_id) as conn:
        drafts = _draft_frame(conn, org_id, rule_id, import_id)
        if drafts.empty:
            raise NoDrafts(org_id, target)
        own = drafts[drafts["imported_by"].eq(who.actor)]
        refusal = None
        if len(own):
            refusal = SelfApproval(f"{own['rule_id'].iat[0]!r} v{own['rule_version'].iat[0]}",
                                   who.actor)  # fmt: skip
        else:
            _recheck(drafts)
            done = _approve_all(conn, org_id, who, drafts, rule_id, import_id)
    if refusal is not None:
        details = {"reason": str(refusal), "error": type(refusal).__name__}
        access.audit_refusal(engine, org_id, who, "rules.approve", target, details)
        raise refusal
    return done


def _draft_frame(conn, org_id: str, rule_id: str | None, import_id: int | None) -> pd.DataFrame:  # noqa: ANN001
    rows = _drafts(conn, org_id, rule_id, import_id)
    columns = [c.name for c in tables.rules.columns]
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _recheck(drafts: pd.DataFrame) -> None:
    """The schema, the fields and the guardrails again, on what is stored, once per shape
    (rules of one shape differ only in codes and dates: ``engine.shapes``)."""
    frame = drafts.reset_index(drop=True)
    for row in rule_engine.shapes(frame).drop_duplicates().index:
        rule = rule_engine.as_checked(frame, int(row), json.loads(frame.at[row, "definition"]))
        definitions.check_rule(rule, "stored rule", repr(frame.at[row, "rule_id"]))


def _approve_all(
    conn,  # noqa: ANN001
    org_id: str,
    who: Identity,
    drafts: pd.DataFrame,
    rule_id: str | None,
    import_id: int | None,
) -> list[str]:
    """The approvals and the retirements they make, set-based (``approve``)."""
    r = tables.rules
    now = audit.utc_now()
    # The drafts selected, in one statement (the same selection that read them, under
    # the practice's writer lock: nothing else changed them meanwhile).
    conn.execute(
        r.update()
        .where(*_draft_filter(org_id, rule_id, import_id))
        .values(state="approved", decided_by=who.actor, decided_at=now)
    )
    held = pd.DataFrame(
        conn.execute(
            select(r.c.rule_id, r.c.rule_version, r.c.effective_to).where(
                r.c.org_id == org_id, r.c.state == "approved"
            )
        ).all(),
        columns=["rule_id", "rule_version", "effective_to"],
    )
    order = drafts.sort_values(["rule_id", "rule_version"]).reset_index(drop=True)
    retired = _retirements(order, held[held["rule_id"].isin(order["rule_id"])])
    if len(retired):
        conn.execute(
            r.update()
            .where(r.c.org_id == org_id, r.c.rule_id == bindparam("b_rule"),
                   r.c.rule_version == bindparam("b_version"))
            .values(effective_to=bindparam("b_to")),
            [{"b_rule": a, "b_version": int(v), "b_to": t} for a, v, t in zip(
                retired["rule_id"], retired["old_version"], retired["effective_to"],
                strict=True)],
        )  # fmt: skip
    names = order["rule_id"] + " v" + order["rule_version"].astype(str)
    by_draft = retired.groupby("draft")
    actions = []
    for i, (name, start) in enumerate(zip(names, order["effective_from"], strict=True)):
        actions.append(("rules.approve", name, {"effective_from": start.isoformat()}))
        if i in by_draft.groups:
            for old in by_draft.get_group(i).itertuples():
                actions.append(
                    ("rules.retire", f"{old.rule_id} v{old.old_version}",
                     {"replaced_by": int(order.at[i, "rule_version"]),
                      "effective_to": start.isoformat()})
                )  # fmt: skip
    access.audit_actions(conn, org_id, who, actions)
    return names.tolist()


def _retirements(order: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """Which versions each approval retires, as approving the drafts one by one in
    version order would: each sets the end of every other approved version of its rule
    still open past its start (``held``: approved versions before these approvals, with
    the drafts among them) to its own start. Columns: draft (row of ``order``), rule_id,
    old_version, effective_to (the new end)."""
    columns = ["draft", "rule_id", "old_version", "effective_to"]
    found = []
    # Most rules have one draft in an approval: joined at once.
    once = order["rule_id"].map(order["rule_id"].value_counts()).eq(1)
    single = order[once].reset_index().rename(columns={"index": "draft"})
    joined = single[["draft", "rule_id", "rule_version", "effective_from"]].merge(
        held.rename(columns={"rule_version": "old_version", "effective_to": "old_to"}),
        on="rule_id",
    )
    old_to = pd.to_datetime(joined["old_to"])
    open_past = old_to.isna() | (old_to > pd.to_datetime(joined["effective_from"]))
    hit = joined[joined["old_version"].ne(joined["rule_version"]) & open_past]
    found.append(pd.DataFrame({"draft": hit["draft"], "rule_id": hit["rule_id"],
                               "old_version": hit["old_version"],
                               "effective_to": hit["effective_from"]}))  # fmt: skip
    # A rule with several drafts: one after the other, in version order, each seeing the
    # approved versions as the ones before it left them (the later drafts not yet among
    # them). A handful of rows: a rule's versions, not its lines.
    several = order[~once]
    batch = set(zip(several["rule_id"], several["rule_version"], strict=True))
    theirs = held[held["rule_id"].isin(several["rule_id"])]
    ends = {
        (a, int(v)): (None if pd.isna(e) else e)
        for a, v, e in zip(theirs["rule_id"], theirs["rule_version"], theirs["effective_to"],
                           strict=True)
        if (a, int(v)) not in batch
    }  # fmt: skip
    for i in several.index:
        rule, version = order.at[i, "rule_id"], int(order.at[i, "rule_version"])
        start, own_end = order.at[i, "effective_from"], order.at[i, "effective_to"]
        for (other_rule, other), end in list(ends.items()):
            if other_rule == rule and (end is None or end > start):
                ends[(rule, other)] = start
                found.append(pd.DataFrame(
                    {"draft": [i], "rule_id": [rule], "old_version": [other],
                     "effective_to": [start]}
                ))  # fmt: skip
        ends[(rule, version)] = None if pd.isna(own_end) else own_end
    out = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=columns)
    return out[columns].sort_values(["draft", "old_version"]).reset_index(drop=True)


def reject(engine: Engine, org_id: str, who: Identity, rule_id: str, reason: str) -> list[str]:
    """Reject the drafts of ``rule_id`` with ``reason`` (kept, never deleted); one audit
    entry each; returns them as "RULE vN"."""
    target = _selection(rule_id, None)
    access.authorize(engine, org_id, who, "rules.approve", target=target)
    r = tables.rules
    with store.writing(engine, org_id) as conn:
        drafts = _drafts(conn, org_id, rule_id, None)
        if not drafts:
            raise NoDrafts(org_id, target)
        done = []
        for d in drafts:
            conn.execute(
                r.update()
                .where(r.c.org_id == org_id, r.c.rule_id == d.rule_id,
                       r.c.rule_version == d.rule_version)
                .values(state="rejected", decided_by=who.actor, decided_at=audit.utc_now(),
                        reason=reason)
            )  # fmt: skip
            name = f"{d.rule_id} v{d.rule_version}"
            access.audit_action(conn, org_id, who, "rules.reject", name,
                                details={"reason": reason})  # fmt: skip
            done.append(name)
    return done


def diff(engine: Engine, org_id: str, on: dt.date | None = None) -> pd.DataFrame:
    """The drafts against the rules in force on ``on`` (``DIFF_COLUMNS``): a draft of a
    rule with no version in force *adds*; a new version of a rule in force *changes* it
    (``what``: the parts that differ) and *retires* the version it replaces."""
    day = on or dt.date.today()
    r = tables.rules
    with engine.connect() as conn:
        held = conn.execute(
            select(r).where(r.c.org_id == org_id, r.c.state.in_(("draft", "approved")))
        ).all()
    live = {
        h.rule_id: h
        for h in sorted(held, key=lambda h: h.rule_version)
        if h.state == "approved" and (h.effective_to is None or h.effective_to > day)
    }  # fmt: skip -- the newest approved version still open on the day
    rows = []
    for d in (h for h in held if h.state == "draft"):
        base = {"rule_id": d.rule_id, "rule_version": d.rule_version, "payer_id": d.payer_id,
                "category": d.category, "effective_from": d.effective_from,
                "effective_to": d.effective_to}  # fmt: skip
        old = live.get(d.rule_id)
        if old is None:
            rows.append({**base, "change": "adds", "replaces": None, "what": "a new rule"})
            continue
        new_def, old_def = json.loads(d.definition), json.loads(old.definition)
        what = [p for p in PARTS if new_def.get(p) != old_def.get(p)]
        rows.append({**base, "change": "changes", "replaces": old.rule_version,
                     "what": ", ".join(what) or "nothing but the version"})  # fmt: skip
        rows.append({**base, "change": "retires", "rule_version": old.rule_version,
                     "replaces": None, "effective_from": old.effective_from,
                     "effective_to": d.effective_from,
                     "what": f"replaced by v{d.rule_version} from {d.effective_from}",
                     })  # fmt: skip
    frame = pd.DataFrame(rows, columns=DIFF_COLUMNS).astype({"replaces": "Int64"})
    order = {"adds": 0, "changes": 1, "retires": 2}
    return frame.sort_values(
        ["rule_id", "change"], key=lambda c: c.map(order) if c.name == "change" else c
    ).reset_index(drop=True)
