"""A kill -9 in the middle of a large import leaves nothing half-stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

from payeropt_lib import store
from payeropt_lib.demo import files as demo
from payeropt_lib.inputs import imports
from payeropt_lib.store import audit, orgs, tables
from tests.conftest import OWNER, ROOT

LINES = 250_000  # the bulk load alone takes 1.5-2.5 s here: the kill lands well inside it


@pytest.fixture(scope="module")
def big_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash")
    demo.generate(folder / "practice", claims_per_month=5)
    charges = folder / "charges.csv"
    demo.big_charges_csv(charges, LINES)
    return folder / "practice", charges


@pytest.mark.slow
def test_kill_9_during_the_bulk_load_stores_nothing(db_url, big_files):
    practice, charges = big_files
    engine = store.engine_for(db_url)
    org = "k" + uuid.uuid4().hex[:8]
    orgs.create(engine, org, "Crash", OWNER)
    orgs.opt_in(engine, org, OWNER, True)
    imports.import_file(engine, org, "contracts", practice / "contracts.csv", OWNER)
    audit_before = store.count_rows(engine, tables.audit_log, org)

    # A process of its own, which the test kills: the store must survive the death of the
    # process writing to it. PYTHONPATH: the child imports this checkout, as the test does.
    env = {**os.environ, "PAYEROPT_ACTOR": "olivia", "PAYEROPT_ROLE": "owner"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "payeropt_lib.cli",
            "--db",
            db_url,
            "--log-level",
            "debug",
            "import",
            "charges",
            org,
            str(charges),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    started = False
    for line in proc.stderr:
        if "bulk load of charges.csv started" in line:
            started = True
            break
    # Without the line the kill would land before the load (or after it) and prove nothing.
    assert started, f"no 'bulk load started' line; the import exited {proc.wait(timeout=30)}"
    time.sleep(0.4)  # well inside the load of 250,000 rows
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    store.dispose_all()  # a new connection, as the next command would have
    engine = store.engine_for(db_url)
    assert store.count_rows(engine, tables.charges, org) == 0
    with engine.connect() as conn:
        kinds = (
            conn.execute(sa.select(tables.imports.c.kind).where(tables.imports.c.org_id == org))
            .scalars()
            .all()
        )
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    assert kinds == ["contracts"]
    assert store.count_rows(engine, tables.audit_log, org) == audit_before
    assert audit.verify(engine, org).ok

    # Nothing half-stored means nothing to skip: the same file imports whole next time.
    result = imports.import_file(engine, org, "charges", charges, OWNER)
    assert not result.already_imported and result.inserted == LINES
