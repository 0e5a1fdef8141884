"""Every verb of ``payeropt --help`` against the audit trail: a state-changing verb writes
exactly one entry per state change it makes, a refusal exactly one entry, and a verb that
only reads none (docs/audit.md, "What is recorded").

One small practice (tests/data/good, two hand-made 835s, two payer rules) goes through
``STEPS`` in order, on both backends; after each step the new entries of its trail (the
``_system`` trail for a refused ``practice create``) must be exactly the step's
``actions``. A verb of the CLI missing from the table fails the test that says so: a new
verb gets its steps (and a refusal) where the table marks, or a reason in ``EXEMPT``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from payeropt_lib import store
from payeropt_lib.store import tables, trail
from tests.conftest import BAD, GOOD, OWNER, ROOT, SHARED, empty_cms_library
from tests.remittances.x835 import (
    ACME,
    FEB_99213_UNDERPAID,
    SEP_99213,
    clp,
    era835,
)
from tests.rules.test_repository import FILING, MRI
from tests.test_cli import VERBS, payeropt

NCCI = GOOD.parent / "rules" / "ncci" / "MCR_MUE_PractitionerServices.csv"
PUBLISHED = "cms/published/PFTX25A_04412_09_first100.txt"
PROFILE_EXAMPLE = ROOT / "data" / "profiles" / "examples" / "pm-charge-detail.csv"

A_RULE = MRI  # the rule that gets a second version (approved) and a third (rejected)
FIRST_RULES = len([MRI, FILING])
KINDS = ("contracts", "fee-schedules", "medicare-fees", "charges", "transactions",
         "encounters", "appointments")  # fmt: skip


@dataclass
class Practice:
    """The practice the steps act on, and what a step's arguments read of it."""

    db: str
    org: str
    files: Path

    def one_task(self) -> str:
        t = tables.tasks
        with store.engine_for(self.db).connect() as conn:
            query = sa.select(sa.func.min(t.c.task_id)).where(t.c.org_id == self.org)
            return str(conn.execute(query).scalar_one())

    def first_suggestion(self) -> str:
        t = tables.suggestions
        with store.engine_for(self.db).connect() as conn:
            query = sa.select(sa.func.min(t.c.suggestion_id)).where(t.c.org_id == self.org)
            return str(conn.execute(query).scalar_one())

    def last_rules_import(self) -> str:
        i = tables.imports
        with store.engine_for(self.db).connect() as conn:
            query = sa.select(sa.func.max(i.c.import_id)).where(
                i.c.org_id == self.org, i.c.kind == "rules"
            )
            return str(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class Step:
    """``payeropt VERB ARGS`` as ``actor`` in ``role``: the new entries' actions, in order
    (all ``outcome``); ``trail`` "_system" for what concerns no practice yet. ``code`` 2
    with no actions: input refused before anything changed (a bad file, a missing flag),
    which changes nothing and records nothing, as docs/audit.md says."""

    verb: tuple[str, ...]
    args: Callable[[Practice], list[str]]
    actions: tuple[str, ...] = ()
    role: str = "owner"
    actor: str = "olivia"
    outcome: str = "ok"
    trail: str = "org"
    code: int | None = None  # the exit code: 0, or 2 for a refusal (default)


def refused(
    verb: tuple[str, ...], args: Callable, action: str, role: str, actor: str = "rex", **kw
) -> Step:
    """The step refused to ``role``: one entry, the refused ``action``."""
    return Step(verb, args, (action,), role=role, actor=actor, outcome="refused", **kw)


def _org(*rest: str) -> Callable[[Practice], list[str]]:
    return lambda p: [p.org, *rest]


def _good(name: str) -> Callable[[Practice], list[str]]:
    return lambda p: [p.org, str(GOOD / name)]


def _file(name: str) -> Callable[[Practice], list[str]]:
    return lambda p: [p.org, str(p.files / name)]


def _claims_file(p: Practice, bad: bool = False) -> str:
    """An 837P of one new claim (not posted: no re-evaluation), or a refused one."""
    from tests.inputs.x837_cases import claim, good_lines, write

    lines = claim(good_lines(), "CLM1002").assign(claim_id="CLM9001")
    path = write(p.files, "claims-bad.837" if bad else "claims.837", lines)
    if bad:
        path.write_bytes(path.read_bytes().replace(b"ST*837*", b"ST*835*"))
    return str(path)


def _client_folder(p: Practice, name: str, claim_id: str, bad: bool = False) -> str:
    """A client's folder for ``onboard``: one 837P of a new claim (or a refused one)."""
    from tests.inputs.x837_cases import claim, good_lines, write

    folder = p.files / name
    folder.mkdir(exist_ok=True)
    path = write(folder, "claims.837", claim(good_lines(), "CLM1002").assign(claim_id=claim_id))
    if bad:
        path.write_bytes(path.read_bytes().replace(b"ST*837*", b"ST*835*"))
    return str(folder)


STEPS: list[Step] = [
    # --- practices and opt-in
    Step(("practice", "create"), _org("--name", "Trail Practice", "--locality", "01112-05"),
         ("practice.create",)),
    refused(("practice", "create"), lambda p: [p.org + "x", "--name", "No"], "practice.create",
            "clinician", trail="_system"),
    Step(("practice", "list"), lambda p: []),
    Step(("opt-in",), _org("--show-disclosure")),
    refused(("opt-in",), _org("--accept-disclosure"), "opt_in", "billing_manager"),
    Step(("opt-in",), _org(), code=2),  # without --accept-disclosure: input, not a change
    # Before opt-in: refused to the owner too.
    refused(("import", "contracts"), _good("contracts.csv"), "import.contracts", "owner"),
    Step(("opt-in",), _org("--accept-disclosure"), ("opt_in",)),
    # --- imports: one entry per file stored; the same file again changes (and records) nothing
    *(Step(("import", kind), _good(f"{kind.replace('-', '_')}.csv"), (f"import.{kind}",))
      for kind in KINDS),
    Step(("import", "charges"), _good("charges.csv")),
    Step(("import", "charges"), lambda p: [p.org, str(BAD / "charges__negative_units.csv")],
         code=2),
    refused(("import", "contracts"), _good("contracts.csv"), "import.contracts", "analyst"),
    refused(("import", "fee-schedules"), _good("fee_schedules.csv"), "import.fee-schedules",
            "practice_manager"),
    refused(("import", "medicare-fees"), _good("medicare_fees.csv"), "import.medicare-fees",
            "clinician"),
    refused(("import", "charges"), _good("charges.csv"), "import.charges", "clinician"),
    refused(("import", "transactions"), _good("transactions.csv"), "import.transactions",
            "analyst"),
    refused(("import", "encounters"), _good("encounters.csv"), "import.encounters", "analyst"),
    refused(("import", "appointments"), _good("appointments.csv"), "import.appointments",
            "clinician"),
    # --- 835s: one entry per file posted (the under-paid one opens a task); none again
    Step(("import", "era"), _file("era"), ("import.era", "import.era"), role="practice_manager"),
    Step(("import", "era"), _file("era")),
    Step(("import", "era"), _file("era-bad/c.835"), code=2),  # not X12: refused whole
    refused(("import", "era"), _file("era"), "import.era", "clinician"),
    # --- onboard: a dry run records nothing (a folder with a problem exits 2); a run, one
    # entry per file its imports store; refused at its first import
    Step(("onboard",), lambda p: [p.org, _client_folder(p, "client1", "CLM9101"), "--dry-run"]),
    Step(("onboard",), lambda p: [p.org, _client_folder(p, "client2", "CLM9102", True),
                                  "--dry-run"], code=2),  # fmt: skip
    Step(("onboard",), lambda p: [p.org, _client_folder(p, "client3", "CLM9103")],
         ("import.claims",)),  # fmt: skip
    Step(("onboard",), lambda p: [p.org, _client_folder(p, "client4", "CLM9104", True)], code=2),
    refused(("onboard",), lambda p: [p.org, _client_folder(p, "client5", "CLM9105")],
            "import.claims", "analyst"),  # fmt: skip
    # --- 837P claims: one entry per file stored; the same file again, or a refused one, none
    Step(("import", "claims"), lambda p: [p.org, _claims_file(p)], ("import.claims",)),
    Step(("import", "claims"), lambda p: [p.org, _claims_file(p)]),
    Step(("import", "claims"), lambda p: [p.org, _claims_file(p, bad=True)], code=2),
    refused(("import", "claims"), lambda p: [p.org, _claims_file(p)], "import.claims",
            "clinician"),
    # A folder: the contracts already on file change nothing; a charges file that changes a
    # posted claim records its rows, and the re-evaluation they cause.
    Step(("import", "folder"), _file("late"), ("import.charges", "reprocess")),
    refused(("import", "folder"), _file("late2"), "import.contracts", "analyst"),
    Step(("reprocess",), _org(), ("reprocess",)),
    refused(("reprocess",), _org(), "reprocess", "analyst"),
    # --- worklists: reading records nothing; one entry per task moved
    Step(("underpayments",), _org()),
    Step(("remits",), _org("--unmatched")),
    Step(("denials",), _org()),
    Step(("tasks",), _org()),
    refused(("underpayments",), _org(), "worklist.view", "analyst"),
    refused(("remits",), _org(), "remits.view", "clinician"),
    refused(("denials",), _org(), "worklist.view", "clinician"),
    refused(("tasks",), _org(), "worklist.view", "clinician"),
    Step(("tasks",), _org("--set-state", "in_progress", "--payer", "ACME"), ("tasks.update",),
         role="practice_manager"),
    refused(("tasks",), _org("--set-state", "appealed", "--payer", "ACME"), "tasks.update",
            "analyst"),
    Step(("task",), lambda p: [p.org, p.one_task(), "--state", "appealed"], ("tasks.update",)),
    refused(("task",), lambda p: [p.org, p.one_task(), "--state", "written_off"],
            "tasks.update", "clinician"),
    # --- payer rules: one entry per import, per approval, per retirement, per rejection
    Step(("import", "rules"), _file("rules/v1"), ("import.rules",), role="billing_manager",
         actor="bea"),
    refused(("import", "rules"), _file("rules/v2"), "import.rules", "practice_manager"),
    Step(("rules", "list"), _org()),
    Step(("rules", "diff"), _org()),
    refused(("rules", "approve"), lambda p: [p.org, "--import", p.last_rules_import()],
            "rules.approve", "analyst"),
    # The importer may not approve their own drafts: refused, and that is recorded too.
    refused(("rules", "approve"), lambda p: [p.org, "--import", p.last_rules_import()],
            "rules.approve", "billing_manager", actor="bea"),  # fmt: skip
    Step(("rules", "approve"), lambda p: [p.org, "--import", p.last_rules_import()],
         ("rules.approve",) * FIRST_RULES),
    Step(("import", "rules"), _file("rules/v2"), ("import.rules",), role="billing_manager",
         actor="bea"),
    Step(("rules", "approve"), _org(A_RULE["rule_id"]), ("rules.approve", "rules.retire")),
    Step(("import", "rules"), _file("rules/v3"), ("import.rules",), role="billing_manager",
         actor="bea"),
    refused(("rules", "reject"), _org(A_RULE["rule_id"], "--reason", "no"), "rules.approve",
            "clinician"),
    Step(("rules", "reject"), _org(A_RULE["rule_id"], "--reason", "not this quarter"),
         ("rules.reject",)),
    # --- reports and the trail itself
    Step(("report",), lambda p: [p.org, "--out", str(p.files / "packet"), "--workers", "1"],
         ("report.run",), role="analyst"),
    Step(("audit",), _org("--action", "import")),
    Step(("audit",), _org("--verify")),
    Step(("audit",), _org("--patient", "PAT002"), ("audit.search_patient",),
         role="billing_manager"),
    Step(("audit",), _org("--anchor"), ("audit.anchor",)),
    refused(("audit",), _org(), "audit.search", "clinician"),
    refused(("audit",), _org("--patient", "PAT002"), "audit.search_patient", "practice_manager"),
    refused(("audit",), _org("--verify"), "audit.verify", "clinician"),
    refused(("audit",), _org("--anchor"), "audit.anchor", "analyst"),
    # --- payer rules from CMS's files, and the checks (reads: no entry; refusals: one)
    Step(("import", "ncci"), lambda p: [p.org, str(NCCI), "--payer", "MCR"],
         ("import.ncci",), role="billing_manager", actor="bea"),
    refused(("import", "ncci"), lambda p: [p.org, str(NCCI), "--payer", "MCR"],
            "import.ncci", "clinician"),
    Step(("check",), _org("--claims")),
    Step(("check",), _org("--appointments")),
    refused(("check",), _org("--claims"), "rules.check_claims", "analyst"),
    refused(("check",), _org("--appointments"), "rules.checklist", "analyst"),
    # --- coding suggestions: one entry per run and per disposition; listing and the
    # monitors read; deciding a decided suggestion is refused input (nothing changes)
    Step(("suggest",), _org("--as-of", "2026-01-15"), ("coding.suggest",),
         role="billing_manager", actor="bea"),
    refused(("suggest",), _org(), "coding.suggest", "analyst"),
    Step(("suggestions",), _org()),
    Step(("suggestions",), _org("--queries")),
    refused(("suggestions",), _org("--accepted"), "coding.view", "analyst"),
    Step(("suggestion",), lambda p: [p.org, p.first_suggestion(), "accept", "--reason", "ok"],
         ("coding.accept",), role="clinician", actor="dr-lee"),
    Step(("suggestion",), lambda p: [p.org, p.first_suggestion(), "reject", "--reason", "no"],
         role="clinician", actor="dr-lee", code=2),
    refused(("suggestion",), lambda p: [p.org, p.first_suggestion(), "reject", "--reason",
                                        "no"], "coding.decide", "practice_manager"),
    Step(("monitors",), _org("--table")),
    refused(("monitors",), _org(), "coding.monitors", "analyst"),
    # --- the reconciliation tables read (no entry); a clinician is refused (one)
    Step(("reconcile",), _org("--month", "2026-02"), role="analyst"),
    Step(("reconcile",), _org("--month", "2026-02", "--table", "medicare")),
    Step(("reconcile",), _org("--month", "2026-02", "--table", "who-paid")),
    refused(("reconcile",), _org("--month", "2026-02"), "reconciliation.view", "clinician"),
    Step(("multipliers",), _org(), role="analyst"),
    refused(("multipliers",), _org(), "reconciliation.view", "clinician"),
    # --- the data quality checks read (no entry); a clinician is refused (one)
    Step(("data-quality",), _org("--as-of", "2026-01-01"), role="analyst"),
    Step(("data-quality",), _org("--table", "unremitted", "--as-of", "2026-01-01"),
         role="practice_manager"),
    Step(("data-quality",), _org("--table", "no-rate"), role="billing_manager"),
    Step(("data-quality",), _org("--table", "bogus"), code=2),
    refused(("data-quality",), _org("--table", "no-contract"), "data_quality.view", "clinician"),
    # --- the payment audit reads (its sample names claims): refused to a clinician
    Step(("payment-audit",), _org("--month", "2025-02"), role="practice_manager"),
    refused(("payment-audit",), _org("--month", "2025-02"), "reconciliation.payment_audit",
            "clinician"),
    # --- opting out, last: an opted-out practice refuses (and records) what needs opt-in
    refused(("opt-out",), _org(), "opt_out", "practice_manager"),
    Step(("opt-out",), _org(), ("opt_out",)),
    refused(("report",), lambda p: [p.org, "--out", str(p.files / "packet")], "report.run",
            "analyst"),
    refused(("rules", "list"), _org(), "rules.view", "analyst"),
    refused(("rules", "diff"), _org(), "rules.view", "analyst"),
    Step(("db", "upgrade"), lambda p: []),
    # --- CMS's fee library, shared by every practice: its entries go to the system trail
    Step(("import", "cms-pfs"), lambda p: [str(p.files / "rvu25d"), "--year", "2025",
                                           "--release", "D"],
         ("import.cms-pfs",), role="analyst", trail="_system"),
    Step(("import", "cms-pfs"), lambda p: [str(p.files / "rvu25d"), "--year", "2025",
                                           "--release", "D"], role="analyst", trail="_system"),
    refused(("import", "cms-pfs"), lambda p: [str(p.files / "rvu25d"), "--year", "2025",
                                              "--release", "D"],
            "import.cms-pfs", "clinician", trail="_system"),
    Step(("cms-pfs", "verify"), lambda p: [str(SHARED / PUBLISHED)], role="clinician",
         trail="_system"),
    Step(("cms-pfs", "locality"), lambda p: ["TX", "Harris"], role="clinician",
         trail="_system"),
    # --- mapping profiles (docs/profiles.md): reading a file or a profile stores nothing
    Step(("profile", "list"), lambda p: [], trail="_system"),
    Step(("profile", "suggest"), lambda p: ["charges", str(PROFILE_EXAMPLE)], trail="_system"),
]  # fmt: skip

# Verbs this test does not run, and why.
EXEMPT = {
    ("demo",): "builds a practice of its own from scratch, through the verbs above",
}


def _leaves() -> set[tuple[str, ...]]:
    """The verbs a user runs (not the groups that hold them)."""
    return {v for v in VERBS if not any(len(w) > len(v) and w[: len(v)] == v for w in VERBS)}


def test_every_verb_of_the_cli_is_in_the_table():
    """A verb added to the CLI (main brings `import ncci` and `check`) fails here until its
    steps are in STEPS, where the table marks, or it is in EXEMPT with a reason."""
    covered = {s.verb for s in STEPS} | set(EXEMPT)
    missing = sorted(" ".join(v) for v in _leaves() - covered)
    assert not missing, (
        f"verbs with no audit steps: {missing}; add them to STEPS in {Path(__file__).name}"
    )
    stale = sorted(" ".join(v) for v in covered - _leaves())
    assert not stale, f"steps for verbs the CLI no longer has: {stale}"


def test_every_verb_that_changes_state_has_a_refusal_step():
    changing = {s.verb for s in STEPS if s.actions and s.outcome == "ok"}
    refusing = {s.verb for s in STEPS if s.outcome == "refused"}
    assert not changing - refusing, sorted(changing - refusing)


def _files(folder: Path) -> Path:
    """The practice's files the steps read beyond tests/data/good."""
    era = folder / "era"
    era.mkdir(parents=True)
    (folder / "rvu25d").mkdir()
    for name in ("PPRRVU2025_Oct.txt", "GPCI2025.txt", "25LOCCO.csv", "ANES2025.csv"):
        shutil.copy(SHARED / "cms" / name, folder / "rvu25d" / name)
    (era / "a.835").write_bytes(
        era835(ACME, [clp("CLM1002", [FEB_99213_UNDERPAID])], trace="EFT71",
               isa_control="000000711")
    )  # fmt: skip
    (era / "b.835").write_bytes(
        era835(ACME, [clp("CLM1011", [SEP_99213])], trace="EFT72", isa_control="000000712")
    )
    (folder / "era-bad").mkdir()
    (folder / "era-bad" / "c.835").write_bytes(b"this is not an 835")
    charges = (GOOD / "charges.csv").read_text().splitlines()
    for name, amount in (("late", "151.00"), ("late2", "152.00")):
        (folder / name).mkdir()
        late = [line.replace(",1,150.00,ACME,HMO", f",1,{amount},ACME,HMO", 1)
                if line.startswith("CLM1002,") else line for line in charges]  # fmt: skip
        (folder / name / "charges.csv").write_text("\n".join(late) + "\n")
        shutil.copy(GOOD / "contracts.csv", folder / name)  # a folder starts with them
    rules = folder / "rules"
    for version, rule_set in (
        ("v1", [MRI, FILING]),
        ("v2", [{**A_RULE, "effective_from": "2026-07-01"}]),
        ("v3", [{**A_RULE, "effective_from": "2026-10-01", "source": "a later update"}]),
    ):
        (rules / version).mkdir(parents=True)
        (rules / version / "rules.json").write_text(json.dumps(rule_set))
    return folder


def _trail(db: str, org: str) -> list[tuple[str, str]]:
    log = tables.audit_log
    with store.engine_for(db).connect() as conn:
        rows = conn.execute(
            sa.select(log.c.action, log.c.outcome).where(log.c.org_id == org).order_by(log.c.seq)
        )
        return [tuple(r) for r in rows]


@pytest.mark.slow
def test_each_verb_writes_one_entry_per_change_and_per_refusal(db_url, tmp_path, monkeypatch):
    from payeropt_lib.packet import pages

    # One page is enough to show a report run is recorded once (the whole packet: test_report).
    monkeypatch.setattr(pages, "PAGES", pages.PAGES[:1])
    org = "trail" + tmp_path.name[-6:].replace("_", "").lower()
    practice = Practice(db_url, org, _files(tmp_path / "files"))
    empty_cms_library(store.engine_for(db_url))  # the step imports its release anew
    for n, step in enumerate(STEPS, 1):
        where = org if step.trail == "org" else tables.SYSTEM_ORG
        before = _trail(db_url, where)
        env = {"PAYEROPT_ACTOR": step.actor, "PAYEROPT_ROLE": step.role}
        done = payeropt(*step.verb, *step.args(practice), db=db_url, env=env)
        said = f"step {n}: payeropt {' '.join(step.verb)} as {step.role}: {done.out}{done.err}"
        code = step.code if step.code is not None else 2 * (step.outcome == "refused")
        assert done.code == code, said
        new = _trail(db_url, where)[len(before) :]
        assert new == [(a, step.outcome) for a in step.actions], said
    assert trail.verify(store.engine_for(db_url), org, OWNER).ok
    shutil.rmtree(tmp_path / "files" / "packet", ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_leftover_practice_env(monkeypatch):
    """The steps say who acts; none of the test run's PAYEROPT_ACTOR/ROLE may stand in."""
    monkeypatch.delenv("PAYEROPT_ACTOR", raising=False)
    monkeypatch.delenv("PAYEROPT_ROLE", raising=False)
