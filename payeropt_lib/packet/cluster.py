"""Packets on a dask.distributed cluster: ``report --all --scheduler ADDRESS`` (issue 12).

The same jobs as the local pool (``jobs``: one per page, one per practice for its headline
numbers), submitted to a cluster's workers instead of this machine's processes; the caller
(``build``) keeps the plan, the progress bar, the failure isolation and the index pages.

What a worker needs, and what it does not (``connect`` checks before anything is written):
- **The store**: a worker reads it itself, so it must be a database server every worker
  reaches (PostgreSQL), and the same one: the URL must lead each worker to the practices
  this machine sees (a host name can mean another server there). A SQLite store is
  refused: its file is on this machine only.
- **The same code**: Python, dask, distributed and payeropt's library, notebooks and
  templates (by digest) must be the same here and on every worker.
- **No shared disk**: a page comes back as its HTML and its executed notebook, and this
  process writes both where the local pool would (the packet folder, the notebooks folder).
- **One job at a time**: a job sets its process's environment (the run's cache folder, the
  store's URL for the kernel) and runs in the process's one warm kernel (``kernels``), so
  a worker process runs its jobs one after another on one thread of its own (which also
  keeps one event loop for the kernel's client); start workers with ``--nthreads 1``
  (docs/report.md, "On a cluster").

A run's shared frames (``cache``) live in a private folder per worker (``mkdtemp``: only
its owner may read it), removed with the worker's warm kernel when the run ends; a job of
a run that has ended does not start.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import os
import platform
import shutil
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from tqdm import tqdm

from payeropt_lib import config, store
from payeropt_lib.errors import ClusterUnavailable, PageFailed
from payeropt_lib.store import tables

from . import kernels
from .cache import CACHE_ENV
from .jobs import HeadlineJob, PageJob, run_headline, run_page

CONNECT_SECONDS = 10  # a scheduler that does not answer in this time is not there

Job = PageJob | HeadlineJob
OnDone = Callable[[object, Job, object, BaseException | None], None]

# On a worker: the one thread its jobs run on, each run's cache folder, the runs ended.
_jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payeropt-jobs")
_runs: dict[str, Path] = {}
_ended: set[str] = set()


def connect(address: str, db_url: str):  # noqa: ANN201 - a distributed.Client
    """A client of the scheduler at ``address`` whose workers can run a packet run over
    ``db_url`` (module docstring); ``ClusterUnavailable`` says why not. Call it before
    anything is written."""
    if make_url(db_url).get_backend_name() == "sqlite":
        raise ClusterUnavailable(
            address,
            "the store is a SQLite file on this machine, which the workers cannot read; "
            "use a PostgreSQL store (--db postgresql://...)",
        )
    try:
        from distributed import Client
    except ImportError as err:
        raise ClusterUnavailable(
            address, f"{err}; install payeropt with its 'cluster' extra"
        ) from err
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise ClusterUnavailable(address, f"no scheduler answered ({err})") from err
    try:
        if not client.scheduler_info().get("workers"):
            raise ClusterUnavailable(address, "the scheduler has no workers")
        here = environment(db_url)
        try:
            there = client.run(environment, db_url)
        except Exception as err:  # noqa: BLE001 - a worker that cannot even look
            raise ClusterUnavailable(address, f"a worker cannot check its set-up ({err})") from err
        for worker, theirs in sorted(there.items()):
            differ = [name for name in here if theirs.get(name) != here[name]]
            if differ:
                values = "; ".join(f"{n}: {theirs.get(n)} there, {here[n]} here" for n in differ)
                raise ClusterUnavailable(
                    address, f"worker {worker} differs from this machine in {values}"
                )
    except BaseException:
        client.close()
        raise
    return client


def environment(db_url: str) -> dict[str, str]:
    """What must be the same here and on every worker: the versions the jobs run on, a
    digest of payeropt's code, and a digest of the store the URL reaches (its practices
    and when each was created)."""
    import dask
    import distributed

    return {
        "python": platform.python_version(),
        "dask": dask.__version__,
        "distributed": distributed.__version__,
        "payeropt code": _code_digest(),
        "store": _store_digest(db_url),
    }


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """The library, the page notebooks and the templates as shipped (not a test's own)."""
    root = Path(__file__).resolve().parents[1]
    files = sorted(root.rglob("*.py"))
    for folder in (config.PROJECT_ROOT / "notebooks", config.PROJECT_ROOT / "templates"):
        files += sorted(p for p in folder.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(config.PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _store_digest(db_url: str) -> str:
    o = tables.orgs
    with store.engine_for(db_url).connect() as conn:
        rows = conn.execute(select(o.c.org_id, o.c.created_at).order_by(o.c.org_id)).all()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]


def execute(jobs: list[tuple[object, Job]], client, on_done: OnDone, progress: tqdm) -> None:  # noqa: ANN001 - a distributed.Client
    """Run every job on the cluster ``client`` reaches; ``on_done`` gets each result or
    exception as it completes, as with the local pool (``build._execute``)."""
    from distributed import as_completed

    run_id = uuid.uuid4().hex
    futures = {client.submit(run_remote, job, run_id, pure=False): (owner, job)
               for owner, job in jobs}  # fmt: skip
    try:
        for future in as_completed(futures, loop=client.loop):
            owner, job = futures[future]
            try:
                result, error = _land(job, future.result()), None
            except Exception as err:  # noqa: BLE001 - one practice's failure is reported
                result, error = None, err
            on_done(owner, job, result, error)
            progress.update()
            future.release()
    finally:
        client.cancel(list(futures))  # interrupted: what has not started never starts
        client.run(end_run, run_id)


def run_remote(job: Job, run_id: str) -> tuple:
    """On a worker: run ``job`` on the worker's job thread, returning what the caller
    writes (``_land``). A page's own error comes back as data with its executed notebook,
    not raised."""
    return _jobs.submit(_run, job, run_id).result()


def _run(job: Job, run_id: str) -> tuple:
    if run_id in _ended:
        raise RuntimeError(f"packet run {run_id} has ended")
    if run_id not in _runs:
        _runs[run_id] = Path(tempfile.mkdtemp(prefix="payeropt-report-"))
    saved = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(_runs[run_id])
    try:
        if isinstance(job, HeadlineJob):
            return ("headline", run_headline(job))
        return _page(job)
    finally:
        if saved is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = saved


def _page(job: PageJob) -> tuple:
    notebook = Path(job.notebook)
    if not notebook.is_file():  # the worker's own copy (the same code: ``connect``)
        notebook = config.NOTEBOOKS_DIR / notebook.name
    with tempfile.TemporaryDirectory(prefix="payeropt-page-") as folder:
        here = dataclasses.replace(
            job, notebook=str(notebook), out_dir=folder, executed_dir=folder
        )
        executed = Path(folder) / notebook.name
        try:
            seconds = run_page(here)
        except PageFailed as err:
            return ("failed", err, _bytes(executed))
        html = (Path(folder) / f"{job.slug}.html").read_bytes()
        return ("page", seconds, html, _bytes(executed))


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _land(job: Job, outcome: tuple) -> object:
    """Write what a worker sent back where the local pool writes it; the job's result,
    or its ``PageFailed`` (naming the notebook kept here) raised."""
    kind = outcome[0]
    if kind == "headline":
        return outcome[1]
    assert isinstance(job, PageJob)
    executed = Path(job.executed_dir) / Path(job.notebook).name
    target = Path(job.out_dir) / f"{job.slug}.html"
    target.unlink(missing_ok=True)  # a failed page leaves no stale copy
    notebook = outcome[-1]
    if notebook is not None:
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_bytes(notebook)
    if kind == "failed":
        raise dataclasses.replace(outcome[1], executed=str(executed))
    _, seconds, html, _ = outcome
    target.write_bytes(html)
    return seconds


async def end_run(run_id: str) -> None:
    """On every worker, when a run ends (on the worker's event loop, waiting for the job
    thread without blocking the loop): no job of the run starts any more, the warm
    kernel stops, the run's cache folder goes."""
    await asyncio.wrap_future(_jobs.submit(_end, run_id))


def _end(run_id: str) -> None:
    _ended.add(run_id)
    kernels.shutdown()
    folder = _runs.pop(run_id, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
