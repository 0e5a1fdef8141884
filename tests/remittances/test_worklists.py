"""The follow-up worklist a practice manager works (issue 12, item 5): days left and overdue,
nearest deadline then most money first, filters by payer, cause and state, many tasks moved
at once with an audit entry each, recovered only with an amount, and practice managers
allowed to do it (docs/roles.md and the code agree: tests/store/test_access.py).

The practice is a small demo practice with its 835s posted: a few dozen tasks over several
payers and causes. It is loaded and posted once per backend, into a store of the module's
own; each test works on a copy of that store (``worked``), as before on a practice loaded
and posted for it alone.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from payeropt_lib import store
from payeropt_lib.demo import files as demo
from payeropt_lib.remittances import posting, tasks, worklists
from payeropt_lib.store import audit, tables
from tests.conftest import OWNER, demo_835s, demo_org, org_snapshot, pg_copy, sqlite_copy
from tests.test_cli import payeropt

MANAGER_ENV = {"PAYEROPT_ACTOR": "pat", "PAYEROPT_ROLE": "practice_manager"}
AS_OF = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def practice_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("worklist") / "practice"
    demo.generate(folder, claims_per_month=15, seed=7)
    return folder


@pytest.fixture(scope="module")
def worked_stores(practice_files):
    """``worked_stores(url)``: the practice loaded and its 835s posted in the store at
    ``url`` (the module's SQLite file, or ``pg_module_url``), once; returns its key. These
    stores are only copied (``worked``), never changed."""
    made: dict[str, str] = {}

    def worked_store(url: str) -> str:
        if url not in made:
            engine = store.engine_for(url)
            org = demo_org(engine, "Worklist", practice_files)
            paths = demo_835s(engine, org, 7, practice_files.parent / f"era{len(made)}")
            assert all(isinstance(o, posting.PostResult) for _, o in posting.post_files(
                engine, org, paths, OWNER
            ))  # fmt: skip
            made[url] = org
        return made[url]

    return worked_store


@pytest.fixture
def worked(request, db_url, practice_files, worked_stores, tmp_path):
    """The practice loaded, its 835s posted, in a store of the test's own: a copy of the
    module's store on the test's backend. (org, database URL)."""
    if sa.engine.make_url(db_url).get_backend_name() == "sqlite":
        source = practice_files.parent / "worked.sqlite"
        org = worked_stores(f"sqlite:///{source}")
        sqlite_copy(source, tmp_path / "worked.sqlite")
        yield org, f"sqlite:///{tmp_path / 'worked.sqlite'}"
        return
    source_url = request.getfixturevalue("pg_module_url")
    org = worked_stores(source_url)
    with pg_copy(source_url) as url:
        yield org, url


@pytest.fixture
def engine(worked):
    """The test's own store (``worked``), in place of ``db_url``'s."""
    return store.engine_for(worked[1])


def _csv(org: str, db: str, *args: str) -> pd.DataFrame:
    out = f"/tmp/tasks-{uuid.uuid4().hex}.csv"
    done = payeropt(
        "tasks", org, "--as-of", AS_OF.isoformat(), *args, "--csv", out, db=db, env=MANAGER_ENV
    )
    assert done.code == 0, done.err
    return pd.read_csv(out, dtype=str, keep_default_na=False)


def test_the_worklist_shows_days_left_and_sorts_by_deadline_then_money(engine, worked):
    org, db = worked
    stored = store.read_frame(engine, tables.tasks, org)
    assert len(stored) >= 10 and stored["payer_id"].nunique() >= 2
    work = _csv(org, db)
    assert len(work) == stored["state"].isin(tasks.OPEN_STATES).sum()
    assert list(work.columns[:6]) == [
        "task_id", "claim_id", "payer_id", "state", "deadline", "days_left"
    ]  # fmt: skip
    deadline = pd.to_datetime(work["deadline"])
    # Worked out here from the stored deadline, not read from the listing's own sums.
    days = (deadline - pd.Timestamp(AS_OF)).dt.days
    assert work["days_left"].astype(int).tolist() == days.tolist()
    assert (work["overdue"] == "overdue").tolist() == (days < 0).tolist()
    assert (days < 0).any() and (days >= 0).any()  # the demo has both on AS_OF
    money = work["amount_at_stake"].astype(float)
    order = pd.DataFrame({"d": deadline, "m": -money}).sort_values(["d", "m"], kind="stable")
    assert order.index.tolist() == list(range(len(work)))

    # Filters: one payer, one cause, both; the same rows as the stored tasks say.
    payer = stored["payer_id"].value_counts().index[0]
    cause = stored["cause"].value_counts().index[0]
    open_ = stored[stored["state"].isin(tasks.OPEN_STATES)]
    for args, want in (
        (("--payer", payer), open_["payer_id"].eq(payer)),
        (("--cause", cause), open_["cause"].eq(cause)),
        (("--payer", payer, "--cause", cause), open_["payer_id"].eq(payer)
         & open_["cause"].eq(cause)),
    ):  # fmt: skip
        got = _csv(org, db, *args)
        assert sorted(got["task_id"].astype(int)) == sorted(open_.loc[want, "task_id"])


def test_a_practice_manager_moves_a_payers_tasks_at_once(engine, worked):
    org, db = worked
    stored = store.read_frame(engine, tables.tasks, org)
    payer = stored["payer_id"].value_counts().index[0]
    theirs = stored.loc[stored["payer_id"].eq(payer), "task_id"].astype(int).tolist()
    trail_before = len(audit.search(engine, org))

    done = payeropt(
        "tasks", org, "--set-state", "appealed", "--payer", payer, "--note", "batch appeal",
        db=db, env=MANAGER_ENV,
    )  # fmt: skip
    assert done.code == 0, done.err
    assert done.out.startswith(f"{len(theirs)} tasks are now appealed: ")
    after = store.read_frame(engine, tables.tasks, org).set_index("task_id")
    assert after.loc[theirs, "state"].eq("appealed").all()
    others = after.drop(index=theirs)
    assert others["state"].eq("open").all()  # the other payers' tasks did not move
    entries = audit.search(engine, org, action="tasks.update")
    assert (
        len(audit.search(engine, org)) == trail_before + len(theirs) == trail_before + len(entries)
    )
    assert set(entries["actor"]) == {"pat"} and set(entries["role"]) == {"practice_manager"}
    assert {json.loads(d)["note"] for d in entries["details"]} == {"batch appeal"}
    events = store.read_frame(engine, tables.task_events, org)
    moved = events[events["to_state"].eq("appealed")]
    assert sorted(moved["task_id"]) == sorted(theirs) and moved["from_state"].eq("open").all()
    assert audit.verify(engine, org).ok

    # The same again: nothing left to move is said, not silently done.
    again = payeropt("tasks", org, "--set-state", "appealed", "--payer", payer, db=db,
                     env=MANAGER_ENV)  # fmt: skip
    assert again.code == 2 and "has no task in state" in again.err
    # A listing by state shows them.
    assert sorted(_csv(org, db, "--state", "appealed")["task_id"].astype(int)) == sorted(theirs)


def test_refusals_change_nothing(engine, worked):
    org, db = worked
    stored = store.read_frame(engine, tables.tasks, org)
    one = int(stored["task_id"].iloc[0])
    before = org_snapshot(engine, org)
    cases = [
        (("tasks", org, "--set-state", "written_off"), "name them with --payer"),
        (("tasks", org, "--set-state", "recovered", "--payer", stored["payer_id"].iloc[0]),
         "'recovered' needs the amount"),
        (("tasks", org, "--set-state", "open", "--state", "open", "--state", "in_progress"),
         "has no task"),
        (("task", org, str(one), "--state", "recovered"), f"task {one}: 'recovered' needs"),
        (("task", org, str(one), "--state", "recovered", "--amount", "12.505"),
         "is not an amount like 12.50"),
        (("task", org, str(one), "--state", "appealed", "--amount", "12.50"),
         "goes with --state recovered only"),
        (("tasks", org, "--set-state", "closed", "--payer", "X"), "is not a task state"),
    ]  # fmt: skip
    for args, says in cases:
        done = payeropt(*args, db=db, env=MANAGER_ENV)
        assert done.code == 2 and says in done.err, (args, done.err)
    # A clinician may not work the list: refused, and the refusal is the only change.
    clinician = {"PAYEROPT_ACTOR": "cal", "PAYEROPT_ROLE": "clinician"}
    done = payeropt("task", org, str(one), "--state", "appealed", db=db, env=clinician)
    assert done.code == 2 and "practice_manager" in done.err
    after = org_snapshot(engine, org)
    assert {k: v for k, v in after.items() if k not in ("audit_log", "orgs")} == {
        k: v for k, v in before.items() if k not in ("audit_log", "orgs")
    }
    refused = audit.search(engine, org, action="tasks.update")
    assert len(refused) == 1 and refused["role"].iloc[0] == "clinician"

    # A task that cannot move refuses the whole change.
    tasks.change_state(engine, org, one, "appealed", OWNER)
    with pytest.raises(Exception, match="cannot become 'open'"):
        tasks.change_many(engine, org, "open", OWNER, states=("appealed", "in_progress"))
    recovered = payeropt("task", org, str(one), "--state", "recovered", "--amount", "12.50",
                         db=db, env=MANAGER_ENV)  # fmt: skip
    assert recovered.code == 0, recovered.err
    row = store.read_frame(engine, tables.tasks, org).set_index("task_id").loc[one]
    assert (row["state"], row["recovered_cents"]) == ("recovered", 1250)
    closed = worklists.task_list(engine, org, tasks.STATES, AS_OF)
    mine = closed[closed["task_id"].eq(one)]
    assert mine["days_left"].isna().all() and mine["overdue"].eq("").all()
