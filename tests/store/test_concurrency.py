"""The store under load (issue 11): readers beside a writer, writers of one practice at once.

Every writer here is a process of its own (``tests/store/writer.py``), as two commands run
by two people would be; they start together on a signal, after loading the library and
opening the store. They are forked from a server process that has loaded the library once
(multiprocessing's forkserver), rather than each importing it again: ~0.7 s of CPU a
writer, for 20 writers.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from payeropt_lib import store
from payeropt_lib.demo import files as demo
from payeropt_lib.inputs import imports, onboarding
from payeropt_lib.remittances import posting
from payeropt_lib.store import audit, orgs, tables
from tests.conftest import OWNER, ROOT, comparable, demo_835s, demo_org, opted_in_org
from tests.store import writer

ENV = {**os.environ, "PAYEROPT_ACTOR": OWNER.actor, "PAYEROPT_ROLE": OWNER.role}
ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), ENV.get("PYTHONPATH")]))
SEED = 7


def new_org(engine) -> str:
    return opted_in_org(engine, "Concurrent")


@pytest.fixture(scope="module")
def practice_files(tmp_path_factory):
    """A small demo practice's files: contracts, rates, charges, ..."""
    folder = tmp_path_factory.mktemp("concurrent") / "practice"
    demo.generate(folder, claims_per_month=15, seed=SEED)
    return folder


# The writers' server: started once (by the first writer), it imports tests/store/writer.py
# and so the library; every writer is a fresh fork of it that opens the store itself.
WRITERS = multiprocessing.get_context("forkserver")
WRITERS.set_forkserver_preload(["tests.store.writer"])


def run_at_once(db_url: str, org: str, jobs: list[tuple[str, Path]], tmp_path: Path) -> list:
    """Run each (kind, file) in a writer process of its own, all released at once; returns
    their results, in job order. Fails on any exit code but 0 and on any traceback."""
    go = tmp_path / f"go-{uuid.uuid4().hex[:6]}"
    env = {key: ENV[key] for key in ("PAYEROPT_ACTOR", "PAYEROPT_ROLE")}
    procs = []
    for n, (kind, f) in enumerate(jobs):
        out, err = (tmp_path / f"{go.name}-{n}.{stream}" for stream in ("out", "err"))
        args = (str(out), str(err), env, db_url, org, str(go), kind, str(f))
        proc = WRITERS.Process(target=writer.forked, args=args)
        proc.start()
        procs.append((proc, out, err))
    for proc, out, err in procs:  # every writer has loaded the library and opened the store
        deadline = time.monotonic() + 120
        while not (out.is_file() and out.read_text().startswith("ready\n")):
            assert proc.is_alive() and time.monotonic() < deadline, _text(err)
            time.sleep(0.005)
    go.touch()
    results = []
    for proc, out, err in procs:
        proc.join(timeout=300)
        if proc.exitcode is None:
            proc.kill()
        assert proc.exitcode == 0 and "Traceback" not in _text(err), _text(err)
        results.append(json.loads(out.read_text().strip().splitlines()[-1]))
    return results


def _text(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def run_in_turn(engine, org: str, jobs: list[tuple[str, Path]]) -> None:
    for kind, f in jobs:
        if kind == "era":
            posting.post_file(engine, org, f, OWNER)
        else:
            imports.import_file(engine, org, kind, f, OWNER)


def written_in_order(engine, org: str, jobs: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """The jobs in the order their transactions wrote, as the audit trail has them."""
    trail = audit.search(engine, org)
    order = {target: i for i, target in enumerate(trail["target"])}
    return sorted(jobs, key=lambda job: order.get(job[1].name, len(order)))


@pytest.mark.slow
def test_a_reader_is_never_blocked_by_a_writer(db_url, practice_files):
    """While an import holds its write transaction open, other processes' read-only
    commands (and their migration check) answer at once, from the last commit."""
    engine = store.engine_for(db_url)
    org = new_org(engine)
    onboarding.load_folder(engine, org, practice_files, OWNER)
    reads = [
        ["practice", "list"],
        ["audit", org, "--verify"],
    ]
    with store.writing(engine, org) as conn:
        conn.execute(
            sa.update(tables.orgs).where(tables.orgs.c.org_id == org).values(name="Renamed")
        )
        # A second writer's lock, like another import's, does not come until this commits.
        for argv in reads:
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "payeropt_lib.cli", "--db", db_url, *argv],
                capture_output=True,
                text=True,
                env=ENV,
                timeout=40,  # SQLite's busy timeout is 60 s: a blocked reader fails here
            )
            assert done.returncode == 0 and not done.stderr, (argv, done.stderr)
            assert time.monotonic() - started < 30
            if argv[0] == "practice":
                assert re.search(rf"{org}\t.*\tConcurrent$", done.stdout, re.M), done.stdout
    assert orgs.get(engine, org)["name"] == "Renamed"


@pytest.fixture(scope="module")
def era_files(practice_files, tmp_path_factory):
    """The demo's 835s for the practice, planned once for the module from a loaded copy of
    it in a SQLite store of its own: the plan reads only the practice's files, so these
    are the same 835s whichever store a test then posts them to. Read only."""
    folder = tmp_path_factory.mktemp("concurrent-era")
    engine = store.engine_for(f"sqlite:///{folder / 'plan.sqlite'}")
    org = demo_org(engine, "Concurrent", practice_files)
    return demo_835s(engine, org, SEED, folder / "era")


@pytest.mark.slow
def test_the_same_835_posted_twice_at_once_is_posted_once(
    db_url, practice_files, era_files, tmp_path
):
    engine = store.engine_for(db_url)
    org = new_org(engine)
    onboarding.load_folder(engine, org, practice_files, OWNER)
    file = max(era_files, key=lambda p: p.stat().st_size)
    first, second = run_at_once(db_url, org, [("era", file), ("era", file)], tmp_path)
    assert sorted([first["already_posted"], second["already_posted"]]) == [False, True]
    files = store.read_frame(engine, tables.remit_files, org)
    assert files["file_name"].tolist() == [file.name]
    assert audit.verify(engine, org).ok


def corrected_charges(practice: Path, out: Path) -> list[Path]:
    """Four corrected charges files whose claims overlap pairwise: each changes the amount
    of its claims and leaves out the last line of some of them."""
    charges = pd.read_csv(practice / "charges.csv", dtype=str, keep_default_na=False)
    claims = charges["claim_id"].drop_duplicates().tolist()
    quarter = len(claims) // 4
    paths = []
    for i in range(4):
        covered = claims[i * quarter : (i + 2) * quarter]  # half of it is the next one's
        part = charges[charges["claim_id"].isin(covered)].copy()
        cents = (part["charge_amount"].astype(float) * 100).round().astype(int) + 100 * (i + 1)
        part["charge_amount"] = [f"{c // 100}.{c % 100:02d}" for c in cents]
        line = part["line_number"].astype(int)
        last = line.eq(line.groupby(part["claim_id"]).transform("max")) & line.gt(1)
        drop = last & part["claim_id"].isin(covered[i::3])
        path = out / f"charges_{i}.csv"
        part[~drop].to_csv(path, index=False)
        paths.append(path)
    return paths


@pytest.mark.slow
@pytest.mark.parametrize("what", ["835s", "charges"])
def test_four_writers_at_once_equal_the_same_writes_in_turn(
    db_url, practice_files, era_files, tmp_path, what
):
    """Four writers of one practice at once (four different 835s; four overlapping charges
    corrections): no deadlock, no traceback, and the practice ends as if they had run one
    after another, in the order they wrote."""
    engine = store.engine_for(db_url)
    if what == "835s":
        by_payer = {p.name.split("_", 1)[1]: p for p in era_files}  # the last of each payer
        jobs = [("era", p) for p in sorted(by_payer.values())[:4]]
    else:
        jobs = [("charges", p) for p in corrected_charges(practice_files, tmp_path)]
    assert len(jobs) == 4
    together = new_org(engine)
    onboarding.load_folder(engine, together, practice_files, OWNER)
    results = run_at_once(db_url, together, jobs, tmp_path)
    if what == "835s":
        assert not any(r["already_posted"] for r in results)
        assert all(r["lines"] for r in results)
    else:
        assert all(r["replaced"] and not r["already_imported"] for r in results)

    in_turn = new_org(engine)
    onboarding.load_folder(engine, in_turn, practice_files, OWNER)
    run_in_turn(engine, in_turn, written_in_order(engine, together, jobs))
    assert comparable(engine, together) == comparable(engine, in_turn)
    assert audit.verify(engine, together).ok
