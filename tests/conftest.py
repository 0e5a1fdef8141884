"""Shared fixtures: a database URL for each backend, and a practice loaded from fixtures.

Store tests take ``db_url``, parametrized over SQLite (a temp file) and PostgreSQL (a
database created for the test session on ``PAYEROPT_TEST_PG_URL``, dropped afterwards).
Under ``CI=true`` an unreachable PostgreSQL fails the run instead of skipping.

``loaded`` on SQLite is a copy of a store where the good fixture files were imported once
for the worker (``sqlite_copy``): the same rows, made by the same calls, for a test of its
own, without importing the files again for each of the ~90 tests that ask for it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from payeropt_lib import store
from payeropt_lib.inputs import onboarding
from payeropt_lib.store import orgs, tables
from payeropt_lib.store.access import Identity

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
GOOD = DATA / "good"
BAD = DATA / "bad"
SHARED = ROOT.parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get("PAYEROPT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
OWNER = Identity("olivia", "owner")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@contextmanager
def _fresh_pg_database(template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database on ``PAYEROPT_TEST_PG_URL``, dropped afterwards (skip, or
    under CI fail, when PostgreSQL is not reachable). ``template``: the URL of a database
    to copy (``pg_copy``)."""
    admin_url = store.normalize_url(PG_ADMIN_URL)
    name = f"payeropt_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    create = f'CREATE DATABASE "{name}"'
    if template is not None:
        create += f' TEMPLATE "{sa.engine.make_url(template).database}"'
    try:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(create)
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc.orig}"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        store.dispose_all()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


_PG_SESSION = pytest.StashKey[str]()  # the URL of the session's PostgreSQL database


@pytest.fixture(scope="session")
def pg_url(request):
    """A fresh PostgreSQL database for this test session (per xdist worker)."""
    with _fresh_pg_database() as url:
        request.config.stash[_PG_SESSION] = url
        yield url


@pytest.fixture(autouse=True)
def _cms_library_left_empty(request):
    """The CMS fee library is shared by every practice of a database, and the session's
    PostgreSQL database by every test of a worker: a release a test stored (a demo
    practice stores its own: ``demo_org``) would price the next test's Medicare lines.
    Every test leaves that library empty, as it found it."""
    yield
    url = request.config.stash.get(_PG_SESSION, None)
    if url is None:
        return
    engine = store.engine_for(url)
    with engine.connect() as conn:
        held = conn.execute(
            sa.select(sa.func.count()).select_from(tables.cms_pfs_releases)
        ).scalar()
    if held:
        empty_cms_library(engine)


@pytest.fixture(scope="module")
def pg_module_url():
    """A PostgreSQL database of the test module's own: for tests that read every practice
    in the store (``report --all``), which the session's database fills with others'."""
    with _fresh_pg_database() as url:
        yield url


@contextmanager
def pg_copy(url: str) -> Iterator[str]:
    """A new PostgreSQL database holding what the database at ``url`` holds (a file copy
    by the server, ``CREATE DATABASE ... TEMPLATE``), dropped afterwards. Nothing may be
    connected to ``url`` meanwhile: its engine is disposed first."""
    store.engine_for(url).dispose()
    with _fresh_pg_database(template=url) as copy:
        yield copy


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy the SQLite store ``source`` to ``target`` as of its last commit (SQLite's
    backup API: consistent while ``source``'s engine stays open, its WAL included)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


_LOADED = pytest.StashKey[dict]()  # the run's loaded stores (SQLite), by day
_LOADED_ORG = pytest.StashKey[str]()  # a test's copy of one: its practice


def _loaded_sqlite(request: pytest.FixtureRequest, target: Path) -> str:
    """Copy to ``target`` a SQLite store holding one practice made as ``org`` makes one,
    with every good fixture file imported as ``loaded`` imports them; returns its key.

    The store is made once per worker and day (its audit entries are dated, and tests
    search them by today's date), by the same calls ``org`` and ``loaded`` make; each
    test gets a copy of its own, as it got a store of its own before."""
    made = request.config.stash.setdefault(_LOADED, {})
    today = dt.datetime.now(dt.UTC).date()
    if today not in made:
        folder = request.getfixturevalue("tmp_path_factory").mktemp("loaded")
        engine = store.engine_for(f"sqlite:///{folder / 'payeropt.sqlite'}")
        org_id = _new_org(engine)
        onboarding.load_folder(engine, org_id, GOOD, OWNER)
        made[today] = (folder / "payeropt.sqlite", org_id)
    source, org_id = made[today]
    sqlite_copy(source, target)
    return org_id


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A database URL on each backend (SQLite: a new file per test; for a test that takes
    ``loaded``, a copy of the worker's loaded store)."""
    if request.param == "sqlite":
        path = tmp_path / "payeropt.sqlite"
        if "loaded" in request.fixturenames:
            request.node.stash[_LOADED_ORG] = _loaded_sqlite(request, path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url):
    return store.engine_for(db_url)


def _new_org(engine) -> str:  # noqa: ANN001 - an Engine
    org_id = f"t{uuid.uuid4().hex[:10]}"
    orgs.create(engine, org_id, "Test Practice", OWNER, locality="01112-05")
    orgs.opt_in(engine, org_id, OWNER, accept_disclosure=True)
    return org_id


@pytest.fixture
def org(request, engine):
    """A new opted-in practice with a unique key (databases are shared within a session);
    in a copy of the loaded store, the practice it holds."""
    return request.node.stash.get(_LOADED_ORG, None) or _new_org(engine)


@pytest.fixture
def loaded(request, engine, org):
    """The practice with every good fixture file imported (in a copy of the loaded store:
    imported there already)."""
    if _LOADED_ORG not in request.node.stash:
        onboarding.load_folder(engine, org, GOOD, OWNER)
    return org


def empty_cms_library(engine) -> None:  # noqa: ANN001 - an Engine
    """Remove every CMS fee library release (shared by the practices of a database, and
    the backends' databases by the tests of a worker)."""
    with engine.begin() as conn:
        for table in (tables.cms_pfs_rvus, tables.cms_pfs_gpcis, tables.cms_pfs_counties,
                      tables.cms_pfs_anesthesia, tables.cms_pfs_releases):  # fmt: skip
            conn.execute(table.delete())


def require_shared() -> Path:
    """The public sample files beside the repository (always there in CI)."""
    if not SHARED.exists():
        if _in_ci():
            pytest.fail(f"{SHARED} is missing")
        pytest.skip(f"{SHARED} is missing")
    return SHARED


# Every table that holds rows of a practice: its data, imports, audit trail, org row (with
# the audit chain's head), remittances, findings and tasks.
ORG_TABLES = [t for t in tables.metadata.sorted_tables if "org_id" in t.c]


def org_snapshot(engine, org_id: str) -> dict[str, list[tuple]]:
    """Every row of the org in every table, sorted: equal snapshots = nothing changed."""
    out = {}
    with engine.connect() as conn:
        for table in ORG_TABLES:
            rows = conn.execute(sa.select(table).where(table.c.org_id == org_id)).fetchall()
            out[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return out


# Per-practice generated ids: compared by rank within the practice (writers of one
# practice take them one after another, so the ranks follow the order of writing).
IDS = {
    "import_id": "import_id",
    "remit_file_id": "remit_file_id",
    "remit_id": "remit_id",
    "reversed_by_remit_id": "remit_id",
    "task_id": "task_id",
}
# Clock readings and what hashes them.
CLOCK = {"created_at", "opted_in_at", "imported_at", "posted_at", "at", "opened_at"}
CLOCK |= {"closed_at", "hash", "prev_hash", "audit_head"}


def comparable(engine, org: str) -> dict[str, list]:
    """Every row of the practice, with its key, clock readings and generated ids made
    comparable with another practice's: equal = the same data written in the same order."""
    with engine.connect() as conn:
        frames = {
            t.name: pd.DataFrame(
                conn.execute(sa.select(t).where(t.c.org_id == org)).fetchall(),
                columns=[c.name for c in t.c],
            )
            for t in ORG_TABLES
        }
    ids: dict[str, list] = {}
    for frame in frames.values():
        for col, kind in IDS.items():
            if col in frame:
                ids.setdefault(kind, []).extend(frame[col].dropna().tolist())
    rank = {kind: {v: i for i, v in enumerate(sorted(set(vs)))} for kind, vs in ids.items()}
    out = {}
    for name, frame in frames.items():
        frame = frame.drop(columns=[c for c in frame if c in CLOCK or c == "org_id"])
        for col, kind in IDS.items():
            if col in frame:
                frame[col] = frame[col].map(lambda v, k=kind: None if pd.isna(v) else rank[k][v])
        if "details" in frame:  # the audit entry's details repeat ids and the org's key
            frame["details"] = frame["details"].map(
                lambda d: {
                    k: v
                    for k, v in json.loads(d).items()
                    if k not in ("org_id", "import_id", "remit_file_id")
                }
            )
        rows = [tuple(str(v).replace(org, "ORG") for v in r) for r in frame.itertuples(False)]
        out[name] = sorted(rows)
    return out


_CONFIG_HOME = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """The audit key (and the anchors beside it) in a temp folder for the whole run, never
    in the real home. Set in the environment at start-up, so every test, the notebooks (nbval
    and the dashboards' kernels) and the CLI's subprocesses inherit it, and so do the xdist
    workers, started later: one key for the run. XDG_CONFIG_HOME too, so a run that drops
    the PAYEROPT_* variables (tests/test_cli.py's ``payeropt``) finds the same key."""
    from payeropt_lib import config as payeropt_config

    if os.environ.get("PYTEST_XDIST_WORKER"):  # the controller's, inherited
        return
    given = os.environ.get(payeropt_config.AUDIT_KEY_ENV)
    if given and Path(given).parts[-2:] == ("payeropt", "audit.key"):
        # `make test` names the demo's key (out/config/...): the demo store it reads and
        # writes is signed with it. XDG_CONFIG_HOME points at the same file.
        home = Path(given).parent.parent
    else:
        home = Path(tempfile.mkdtemp(prefix="payeropt-test-config-"))
        config.stash[_CONFIG_HOME] = home
    os.environ["XDG_CONFIG_HOME"] = str(home)
    os.environ[payeropt_config.AUDIT_KEY_ENV] = str(home / "payeropt" / "audit.key")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On xdist's workers: the files that hold a test marked ``slow`` first, each group in
    collection order. ``make test`` hands whole files to its two workers in collection
    order (``--dist loadfile --no-loadscope-reorder``); xdist's own order (most tests
    first) handed out the long files of one or two tests last, and one worker ran them
    for half a minute after the other had finished. Every worker sorts alike, so they
    agree on the collection."""
    if not hasattr(config, "workerinput"):
        return
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


def pytest_unconfigure(config: pytest.Config) -> None:
    home = config.stash.get(_CONFIG_HOME, None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def _cell_size_of_a_test():
    """Every test starts at the 11 rule: a page's context sets the cell size for its whole
    process (``privacy.set_small_cell``), which must not leak from one test into the next."""
    from payeropt_lib.analytics import privacy

    privacy.set_small_cell(privacy.SMALL_CELL)
    yield
    privacy.set_small_cell(privacy.SMALL_CELL)


def opted_in_org(engine, name: str, files: Path | None = None) -> str:
    """A new practice, opted in, at the demo's locality, its ``files`` loaded (a practice
    folder, ``onboarding.load_folder``) when given; returns its key."""
    from payeropt_lib.demo import files as demo

    org = name[:1].lower() + uuid.uuid4().hex[:10]
    orgs.create(engine, org, name, OWNER, locality=demo.DEMO_LOCALITY)
    orgs.opt_in(engine, org, OWNER, True)
    if files is not None:
        onboarding.load_folder(engine, org, files, OWNER)
    return org


def demo_org(engine, name: str, files: Path) -> str:
    """``opted_in_org`` for a demo practice's ``files``: the demo's CMS release goes into
    the store's fee library too, as ``practice.post_demo_remittances`` does (it prices the
    dates the demo's own Medicare file does not cover)."""
    from payeropt_lib.demo.cms_release import import_demo_release

    import_demo_release(engine, OWNER)
    return opted_in_org(engine, name, files)


def demo_835s(engine, org: str, seed: int, folder: Path) -> list[Path]:
    """The demo payers' 835s for the loaded practice ``org`` (planned with ``seed``),
    written into ``folder``, in posting order."""
    from payeropt_lib.demo import practice
    from payeropt_lib.demo import remittances as demo_era

    folder.mkdir(parents=True, exist_ok=True)
    plan = practice.payment_plan(engine, org, seed)
    paths = []
    for name, content in sorted(demo_era.remittance_files(plan, seed).items()):
        (folder / name).write_bytes(content)
        paths.append(folder / name)
    return paths
