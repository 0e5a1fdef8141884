"""The rules repository's first part: importing rule files as drafts (all or nothing,
versions, the same files again change nothing) and listing them with their states, on
both backends."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from payeropt_lib import errors, store
from payeropt_lib.rules import repository
from payeropt_lib.store import tables
from payeropt_lib.store.access import Identity
from tests.conftest import DATA
from tests.test_cli import payeropt

BILLING = Identity("bea", "billing_manager")
MRI = {
    "rule_id": "ACME-MRI-PA", "payer_id": "ACME", "category": "prior_auth",
    "effective_from": "2026-01-01", "applies_to": "claim_line",
    "when": {"field": "procedure_code", "op": "in", "value": ["70551", "70553"]},
    "then": {"outcome": "require", "requirement": "prior_authorization",
             "detail": "Auth number on the claim", "message": "Prior authorization for MRI."},
}  # fmt: skip
FILING = {
    "rule_id": "ALL-FILING-365", "payer_id": "*", "category": "timely_filing",
    "effective_from": "2026-01-01", "applies_to": "claim_line",
    "when": {"field": "days_to_filing", "op": "gt", "value": 365},
    "then": {"outcome": "flag", "message": "Past a year from the date of service."},
}  # fmt: skip


def _file(folder: Path, name: str, rules: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(rules), encoding="utf-8")
    return path


def _counts(engine, org_id: str) -> tuple[int, int, int]:  # noqa: ANN001
    with engine.connect() as conn:

        def n(table, *where) -> int:  # noqa: ANN001
            query = sa.select(sa.func.count()).select_from(table)
            return conn.execute(query.where(table.c.org_id == org_id, *where)).scalar_one()

        return (
            n(tables.rules),
            n(tables.imports, tables.imports.c.kind == "rules"),
            n(tables.audit_log, tables.audit_log.c.action == "import.rules"),
        )


def test_rules_come_in_as_drafts_and_the_same_files_again_change_nothing(
    engine, loaded: str, tmp_path: Path
) -> None:
    folder = tmp_path / "2026Q1"
    _file(folder, "acme.json", [MRI])
    _file(folder, "all.json", FILING)
    done = repository.import_rules(engine, loaded, [folder], BILLING)
    assert (done.files, done.rules, done.drafts, done.unchanged) == (2, 2, 2, 0)
    listed = repository.list_rules(engine, loaded)
    assert listed[["rule_id", "rule_version", "state", "payer_id"]].values.tolist() == [
        ["ACME-MRI-PA", 1, "draft", "ACME"],
        ["ALL-FILING-365", 1, "draft", "*"],
    ]
    assert (listed["imported_by"] == "bea").all()
    assert _counts(engine, loaded) == (2, 1, 1)
    again = repository.import_rules(engine, loaded, [folder], BILLING)
    assert again.already_imported and _counts(engine, loaded) == (2, 1, 1)
    # An update: one rule changed (a new draft version), one the same (unchanged).
    update = tmp_path / "2026Q2"
    changed = {**MRI, "when": {"field": "procedure_code", "op": "in", "value": ["70551"]}}
    _file(update, "acme.json", [changed, FILING])
    step = repository.import_rules(engine, loaded, [update], BILLING)
    assert (step.drafts, step.unchanged) == (1, 1)
    versions = repository.list_rules(engine, loaded, state="draft")
    assert versions[["rule_id", "rule_version"]].values.tolist() == [
        ["ACME-MRI-PA", 1], ["ACME-MRI-PA", 2], ["ALL-FILING-365", 1],
    ]  # fmt: skip
    assert _counts(engine, loaded) == (3, 2, 2)


@pytest.mark.parametrize(
    ("rules", "match"),
    [
        ([{**MRI, "payer_id": "NOPE"}], "unknown payer 'NOPE'"),
        ([MRI, {**FILING, "then": {"outcome": "decline", "message": "No."}}],
         "refused by guardrail \\(a\\) access"),
        ([MRI, {**MRI, "rule_version": 1}], "already on file with another definition"),
    ],
)  # fmt: skip
def test_any_problem_refuses_the_whole_import_and_nothing_is_stored(
    engine, loaded: str, tmp_path: Path, rules: list, match: str
) -> None:
    if "already on file" in match:  # version 1 held with another definition
        repository.import_rules(engine, loaded, [_file(tmp_path / "a", "x.json", FILING)],
                                BILLING)  # fmt: skip
        rules = [{**FILING, "rule_version": 1, "effective_from": "2026-02-01"}]
    before = _counts(engine, loaded)
    folder = tmp_path / "b"
    _file(folder, "good.json", [MRI])
    _file(folder, "z.json", rules)
    with pytest.raises(errors.PayeroptError, match=match):
        repository.import_rules(engine, loaded, [folder], BILLING)
    assert _counts(engine, loaded) == before


def test_only_owners_and_billing_managers_import_rules(
    engine, loaded: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, "r.json", MRI)
    with pytest.raises(errors.PermissionDenied):
        repository.import_rules(engine, loaded, [path], Identity("pat", "practice_manager"))
    assert _counts(engine, loaded)[0] == 0
    with engine.connect() as conn:
        refused = (
            conn.execute(
                sa.select(tables.audit_log.c.outcome).where(
                    tables.audit_log.c.org_id == loaded,
                    tables.audit_log.c.action == "import.rules",
                )
            )
            .scalars()
            .all()
        )
    assert refused == ["refused"]


def test_states_shown_follow_the_dates(engine, loaded: str, tmp_path: Path) -> None:
    """Stored: draft, approved, rejected. Shown on a day: approved before its start,
    active once in force, retired once its exclusive end has passed."""
    ended = {**FILING, "rule_id": "OLD-FILING", "effective_from": "2025-01-01",
             "effective_to": "2026-01-01"}  # fmt: skip
    repository.import_rules(engine, loaded, [_file(tmp_path, "r.json", [MRI, ended])], BILLING)
    with store.writing(engine, loaded) as conn:  # what approval will do (next part)
        conn.execute(
            tables.rules.update().where(tables.rules.c.org_id == loaded).values(state="approved")
        )

    def shown(day: str) -> dict:
        frame = repository.list_rules(engine, loaded, on=dt.date.fromisoformat(day))
        return dict(zip(frame["rule_id"], frame["state"], strict=True))

    assert shown("2025-06-30") == {"ACME-MRI-PA": "approved", "OLD-FILING": "active"}
    assert shown("2025-12-31") == {"ACME-MRI-PA": "approved", "OLD-FILING": "active"}
    assert shown("2026-01-01") == {"ACME-MRI-PA": "active", "OLD-FILING": "retired"}


def test_the_cli_imports_and_lists(tmp_path: Path, pg_url: str) -> None:
    from payeropt_lib.inputs import onboarding
    from payeropt_lib.store import orgs
    from tests.conftest import GOOD, OWNER

    engine = store.engine_for(pg_url)
    org_id = "rules-cli"
    orgs.create(engine, org_id, "Rules CLI", OWNER)
    orgs.opt_in(engine, org_id, OWNER, True)
    onboarding.load_folder(engine, org_id, GOOD, OWNER)
    refused = DATA / "rules" / "refused" / "a01_decline_outcome.json"
    who = ["--actor", "bea", "--role", "billing_manager"]
    done = payeropt("import", "rules", org_id, str(refused), *who, db=pg_url)
    assert done.code == 2 and "refused by guardrail (a) access" in done.err
    good = _file(tmp_path, "acme.json", [MRI, FILING])
    done = payeropt("import", "rules", org_id, str(good), *who, db=pg_url)
    assert (done.code, done.out) == (
        0, "1 rule file(s), 2 rule(s): 2 new draft version(s) to review, 0 unchanged "
        f"(import {done.out.split('(import ')[1][:-2]})\n",
    )  # fmt: skip
    listed = payeropt("rules", "list", org_id, "--state", "draft", "--actor", "al",
                      "--role", "analyst", db=pg_url)  # fmt: skip
    assert listed.code == 0 and "ACME-MRI-PA" in listed.out and "ALL-FILING-365" in listed.out
    bad = payeropt("rules", "list", org_id, "--state", "live", *who, db=pg_url)
    assert bad.code == 2 and "'live' is not one of" in bad.err


OWNER2 = Identity("olga", "owner")


def _audit(engine, org_id: str) -> list[tuple[str, str, str]]:  # noqa: ANN001
    a = tables.audit_log
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(a.c.action, a.c.target, a.c.outcome)
            .where(a.c.org_id == org_id, a.c.action.like("rules.%"))
            .order_by(a.c.seq)
        ).all()
    return [tuple(r) for r in rows]


def test_approval_by_someone_else_goes_live_on_the_date_and_retires_the_old_version(
    engine, loaded: str, tmp_path: Path
) -> None:
    first = repository.import_rules(engine, loaded, [_file(tmp_path / "q1", "r.json", MRI)],
                                    BILLING)  # fmt: skip
    # The importer may not approve their own import; the refusal is audited.
    with pytest.raises(errors.SelfApproval, match="imported by bea"):
        repository.approve(engine, loaded, BILLING, import_id=first.import_id)
    assert _audit(engine, loaded) == [("rules.approve", f"in import {first.import_id}", "refused")]
    assert repository.list_rules(engine, loaded)["state"].tolist() == ["draft"]
    assert repository.approve(engine, loaded, OWNER2, import_id=first.import_id) == [
        "ACME-MRI-PA v1"
    ]
    assert repository.list_rules(engine, loaded, on=dt.date(2025, 12, 31))["state"].tolist() == [
        "approved"
    ]  # its start is ahead
    assert repository.list_rules(engine, loaded, on=dt.date(2026, 1, 1))["state"].tolist() == [
        "active"
    ]
    # A quarterly update changes the rule from April: diff, then approve by rule id.
    april = {**MRI, "effective_from": "2026-04-01",
             "when": {"field": "procedure_code", "op": "in", "value": ["70551"]}}  # fmt: skip
    repository.import_rules(engine, loaded, [_file(tmp_path / "q2", "r.json", april)], BILLING)
    changes = repository.diff(engine, loaded, dt.date(2026, 2, 1))
    assert changes[["change", "rule_id", "rule_version"]].values.tolist() == [
        ["changes", "ACME-MRI-PA", 2], ["retires", "ACME-MRI-PA", 1],
    ]  # fmt: skip
    assert changes["replaces"].iloc[0] == 1 and pd.isna(changes["replaces"].iloc[1])
    assert changes["what"].iloc[0] == "effective_from, when"
    assert repository.approve(engine, loaded, OWNER2, rule_id="ACME-MRI-PA") == ["ACME-MRI-PA v2"]
    on = {d: repository.list_rules(engine, loaded, on=dt.date.fromisoformat(d)) for d in
          ("2026-03-31", "2026-04-01")}  # fmt: skip
    assert on["2026-03-31"]["state"].tolist() == ["active", "approved"]
    assert on["2026-04-01"]["state"].tolist() == ["retired", "active"]  # retired the day before
    assert on["2026-04-01"]["effective_to"].iloc[0] == pd.Timestamp("2026-04-01")
    assert [a for a, _, o in _audit(engine, loaded) if o == "ok"] == [
        "rules.approve", "rules.approve", "rules.retire",
    ]  # fmt: skip
    assert repository.diff(engine, loaded, dt.date(2026, 2, 1)).empty  # nothing left to review


def test_two_versions_approved_together_retire_as_one_after_the_other(
    engine, loaded: str, tmp_path: Path
) -> None:
    """An update holding v2 (April) and v3 (July) of one rule, approved at once beside a
    rule with one draft: each version ends where the next begins, as approving them one by
    one in version order would leave them; one entry per approval and per retirement."""
    repository.import_rules(engine, loaded, [_file(tmp_path / "q1", "r.json", MRI)], BILLING)
    repository.approve(engine, loaded, OWNER2, rule_id="ACME-MRI-PA")
    april = {
        **MRI,
        "rule_version": 2,
        "effective_from": "2026-04-01",
        "when": {"field": "procedure_code", "op": "in", "value": ["70551"]},
    }
    july = {**MRI, "rule_version": 3, "effective_from": "2026-07-01",
            "when": {"field": "procedure_code", "op": "in", "value": ["70553"]}}  # fmt: skip
    update = repository.import_rules(
        engine, loaded, [_file(tmp_path / "q2", "r.json", [april, july, FILING])], BILLING
    )
    done = repository.approve(engine, loaded, OWNER2, import_id=update.import_id)
    assert done == ["ACME-MRI-PA v2", "ACME-MRI-PA v3", "ALL-FILING-365 v1"]
    listed = repository.list_rules(engine, loaded, on=dt.date(2026, 8, 1))
    ends = listed.set_index(["rule_id", "rule_version"])["effective_to"]
    assert ends[("ACME-MRI-PA", 1)] == pd.Timestamp("2026-04-01")
    assert ends[("ACME-MRI-PA", 2)] == pd.Timestamp("2026-07-01")
    assert pd.isna(ends[("ACME-MRI-PA", 3)]) and pd.isna(ends[("ALL-FILING-365", 1)])
    assert [(a, t) for a, t, o in _audit(engine, loaded) if o == "ok"][1:] == [
        ("rules.approve", "ACME-MRI-PA v2"), ("rules.retire", "ACME-MRI-PA v1"),
        ("rules.approve", "ACME-MRI-PA v3"), ("rules.retire", "ACME-MRI-PA v2"),
        ("rules.approve", "ALL-FILING-365 v1"),
    ]  # fmt: skip


def test_a_rejected_draft_is_kept_with_its_reason_and_never_goes_live(
    engine, loaded: str, tmp_path: Path
) -> None:
    repository.import_rules(engine, loaded, [_file(tmp_path, "r.json", [MRI, FILING])], BILLING)
    assert repository.diff(engine, loaded)["change"].tolist() == ["adds", "adds"]
    assert repository.reject(engine, loaded, BILLING, "ALL-FILING-365", "ACME allows 180") == [
        "ALL-FILING-365 v1"
    ]
    listed = repository.list_rules(engine, loaded, on=dt.date(2027, 1, 1))
    assert listed.set_index("rule_id")["state"].to_dict() == {
        "ACME-MRI-PA": "draft", "ALL-FILING-365": "rejected",
    }  # fmt: skip
    assert listed.set_index("rule_id")["reason"]["ALL-FILING-365"] == "ACME allows 180"
    with pytest.raises(errors.NoDrafts):
        repository.approve(engine, loaded, OWNER2, rule_id="ALL-FILING-365")
    with pytest.raises(errors.PermissionDenied):
        repository.approve(engine, loaded, Identity("pat", "practice_manager"),
                           rule_id="ACME-MRI-PA")  # fmt: skip


def test_a_stored_draft_that_breaks_a_guardrail_now_is_not_approved(
    engine, loaded: str, tmp_path: Path
) -> None:
    """The guardrails are checked again at approval, on what is stored (a rule stored
    before a guardrail was tightened cannot go live)."""
    repository.import_rules(engine, loaded, [_file(tmp_path, "r.json", MRI)], BILLING)
    broken = {**MRI, "when": {"field": "patient_age", "op": "gt", "value": 64}}
    with store.writing(engine, loaded) as conn:
        conn.execute(
            tables.rules.update()
            .where(tables.rules.c.org_id == loaded)
            .values(definition=json.dumps(broken))
        )
    with pytest.raises(errors.RuleRefused, match="protected categories"):
        repository.approve(engine, loaded, OWNER2, rule_id="ACME-MRI-PA")
    assert repository.list_rules(engine, loaded)["state"].tolist() == ["draft"]
