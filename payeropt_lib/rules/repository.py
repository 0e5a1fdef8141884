"""The practice's rules repository (docs/rules.md, "The repository"): rule versions,
imported as drafts, never deleted.

Built so far: ``import_rules`` (``payeropt import rules``) and ``list_rules``
(``payeropt rules list``). The review (approve, reject, diff) is the next part.

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert, select

from payeropt_lib import store
from payeropt_lib.errors import RuleFileError
from payeropt_lib.store import access, audit, tables
from payeropt_lib.store.access import Identity

from . import definitions

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
    payers = set(
        store.read_frame(engine, tables.contracts, org_id, columns=["payer_id"])["payer_id"]
    )
    for f, rule in read:
        if rule["payer_id"] != "*" and rule["payer_id"] not in payers:
            raise RuleFileError(
                str(f), repr(rule["rule_id"]), "payer_id",
                f"unknown payer {rule['payer_id']!r} (not in contracts.csv; import contracts "
                "first, or use '*' for every payer)",
            )  # fmt: skip
    with store.writing(engine, org_id) as conn:
        imp = tables.imports
        seen = conn.execute(
            select(imp.c.import_id).where(
                imp.c.org_id == org_id, imp.c.kind == KIND, imp.c.sha256 == sha
            )
        ).first()
        if seen is not None:
            return RulesImport(org_id, len(files), len(read), 0, len(read), seen[0], True)
        rows, unchanged = _new_versions(conn, org_id, read, who)
        import_id = conn.execute(
            insert(imp)
            .values(
                org_id=org_id, kind=KIND, file_name=names[:500], sha256=sha,
                imported_at=audit.utc_now(), actor=who.actor, rows_in_file=len(read),
                inserted=len(rows), replaced=0, unchanged=unchanged,
            )
            .returning(imp.c.import_id)
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


def list_rules(
    engine: Engine, org_id: str, state: str | None = None, on: dt.date | None = None
) -> pd.DataFrame:
    """The practice's rule versions (``LIST_COLUMNS``), with the state shown on day ``on``
    (today by default): a draft; approved while its start is ahead; active once in force;
    retired once its exclusive end has passed; rejected. ``state`` keeps one of them."""
    day = pd.Timestamp(on or dt.date.today())
    frame = store.read_frame(engine, tables.rules, org_id)
    frame = frame.reindex(columns=[c for c in LIST_COLUMNS if c != "state"] + ["state"])
    approved = frame["state"].eq("approved")
    ended = frame["effective_to"].notna() & (frame["effective_to"] <= day)
    started = frame["effective_from"] <= day
    shown = frame["state"].astype(object).copy()
    shown[approved & started] = "active"
    shown[approved & ended] = "retired"
    frame["state"] = shown
    if state is not None:
        frame = frame[frame["state"].eq(state)]
    return frame[LIST_COLUMNS].sort_values(["rule_id", "rule_version"]).reset_index(drop=True)
