"""The command line as a user runs it: exit codes, one-line errors, --help everywhere."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from payeropt_lib import store
from tests.conftest import BAD, GOOD

CLI = [sys.executable, "-m", "payeropt_lib.cli"]
VERBS = [
    [],
    ["practice"],
    ["practice", "create"],
    ["practice", "list"],
    ["opt-in"],
    ["opt-out"],
    ["import"],
    ["import", "contracts"],
    ["import", "fee-schedules"],
    ["import", "medicare-fees"],
    ["import", "charges"],
    ["import", "transactions"],
    ["import", "encounters"],
    ["import", "appointments"],
    ["import", "folder"],
    ["audit"],
    ["db"],
    ["db", "upgrade"],
    ["demo"],
    ["report"],
]


def run(*args: str, db: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PAYEROPT_")}
    full_env.update(env or {})
    return subprocess.run(
        [*CLI, "--db", db, *args], capture_output=True, text=True, env=full_env, timeout=120
    )


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: " ".join(v) or "payeropt")
def test_help_on_every_verb(verb, tmp_path):
    done = subprocess.run([*CLI, *verb, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout


def test_a_practice_from_the_command_line(db_url, tmp_path):
    org = "cli" + tmp_path.name[-6:].replace("_", "").lower()
    owner = {"PAYEROPT_ACTOR": "olivia", "PAYEROPT_ROLE": "owner"}

    made = run("practice", "create", org, "--name", "CLI Practice", db=db_url, env=owner)
    assert made.returncode == 0, made.stderr

    early = run("import", "contracts", org, str(GOOD / "contracts.csv"), db=db_url, env=owner)
    assert early.returncode == 2
    assert early.stderr.count("\n") == 1 and "has not opted in" in early.stderr

    shown = run("opt-in", org, "--show-disclosure", db=db_url)
    assert shown.returncode == 0 and "What it never does" in shown.stdout

    unaccepted = run("opt-in", org, db=db_url, env=owner)
    assert unaccepted.returncode == 2 and "--accept-disclosure" in unaccepted.stderr

    opted = run("opt-in", org, "--accept-disclosure", db=db_url, env=owner)
    assert opted.returncode == 0, opted.stderr

    loaded = run("import", "folder", org, str(GOOD), db=db_url, env=owner)
    assert loaded.returncode == 0, loaded.stderr
    assert "charges.csv: 20 rows: 20 new" in loaded.stdout

    again = run("import", "charges", org, str(GOOD / "charges.csv"), db=db_url, env=owner)
    assert again.returncode == 0 and "already imported; nothing changed" in again.stdout

    bad = run(
        "import", "charges", org, str(BAD / "charges__negative_units.csv"), db=db_url, env=owner
    )
    assert bad.returncode == 2
    assert bad.stderr == (
        "payeropt: charges__negative_units.csv: row 7, column units: must be a positive "
        "whole number (got '-1'); nothing was imported\n"
    )

    refused = run(
        "import",
        "contracts",
        org,
        str(GOOD / "contracts.csv"),
        db=db_url,
        env={"PAYEROPT_ACTOR": "ana", "PAYEROPT_ROLE": "analyst"},
    )
    assert refused.returncode == 2 and "role 'analyst' may not" in refused.stderr

    verified = run("audit", org, "--verify", "--role", "owner", db=db_url)
    assert verified.returncode == 0 and "chain intact" in verified.stdout

    out = tmp_path / "audit.csv"
    listed = run(
        "audit", org, "--action", "import", "--csv", str(out), "--role", "owner", db=db_url
    )
    assert listed.returncode == 0, listed.stderr
    text = out.read_text()
    assert text.count("import.") >= 8 and "refused" in text

    by_patient = run("audit", org, "--patient", "PAT001", "--role", "practice_manager", db=db_url)
    assert by_patient.returncode == 2 and "audit.search_patient refused" in by_patient.stderr


def test_missing_role_is_one_clear_line(tmp_path):
    done = run("practice", "create", "x1", "--name", "X", db=f"sqlite:///{tmp_path}/a.sqlite")
    assert done.returncode == 2
    assert done.stderr == "payeropt: no actor given: pass --actor or set PAYEROPT_ACTOR\n"


def test_unreachable_database_is_one_clear_line():
    done = run("practice", "list", db="postgresql://nobody@127.0.0.1:1/none")
    assert done.returncode == 2
    assert done.stderr.startswith("payeropt: database postgresql+psycopg://nobody@127.0.0.1:1/")
    assert done.stderr.count("\n") == 1


def test_db_upgrade(tmp_path):
    done = run("db", "upgrade", db=f"sqlite:///{tmp_path}/b.sqlite")
    assert done.returncode == 0 and f"revision {store.head_revision()}" in done.stdout


def test_broken_audit_chain_exits_1(tmp_path):
    """`audit --verify` is what a cron job or a consultant's script checks: a broken chain
    must fail the process, not only print."""
    db = f"sqlite:///{tmp_path}/chain.sqlite"
    owner = {"PAYEROPT_ACTOR": "olivia", "PAYEROPT_ROLE": "owner"}
    assert run("practice", "create", "ch1", "--name", "Chain", db=db, env=owner).returncode == 0
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
    engine.dispose()
    done = run("audit", "ch1", "--verify", db=db, env=owner)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "entry 1: content" in done.stderr and "chain intact" not in done.stdout


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("out/demo/payeropt.sqlite", "is not a SQLAlchemy URL"),
        ("mysql://someone@localhost/payers", "names mysql, which payeropt does not use"),
        ("postgresql://u:hunter2@db:port/x", "is not a SQLAlchemy URL"),
    ],
)
def test_bad_database_url_is_one_clear_line(url, says):
    done = run("practice", "list", db=url)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr
    from_env = subprocess.run(
        [*CLI, "practice", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PAYEROPT_DB": url},
    )
    assert from_env.returncode == 2 and "(--db or PAYEROPT_DB)" in from_env.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuch"], "No such command 'nosuch'"),
        (["report"], "name one practice, or pass --all"),
        (["report", "demo", "--out", "x", "--from", "soon"], "'soon' is not a date"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(args, says, tmp_path):
    done = run(*args, db=f"sqlite:///{tmp_path}/u.sqlite")
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("Usage: ")
