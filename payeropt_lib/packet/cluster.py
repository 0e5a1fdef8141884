"""Packets on a dask.distributed cluster: ``report --all --scheduler ADDRESS`` (issue 12).

The same jobs as the local pool (``jobs``: one per page, one per practice for its headline
numbers), submitted to a cluster's workers instead of this machine's processes; the caller
(``build``) keeps the plan, the progress bar, the failure isolation and the index pages.

What a worker needs, and what it does not:
- **The store**: a worker reads it itself, so it must be a database server every worker
  reaches (PostgreSQL). A SQLite store is refused before anything runs: its file is on
  this machine only.
- **The same payeropt**: checked against every worker before anything runs
  (``Client.get_versions``); a page's notebook is the worker's own copy when the path
  named here does not exist there.
- **No shared disk**: a page comes back as its HTML and its executed notebook, and this
  process writes both where the local pool would (the packet folder, the notebooks folder).
- **One job at a time**: a job sets its process's environment (the run's cache folder, the
  store's URL for the kernel) and runs in the process's one warm kernel (``kernels``), so
  a worker with several threads runs its jobs one after another: start workers with
  ``--nthreads 1`` (docs/report.md, "On a cluster").

A run's shared frames (``cache``) live in a folder per worker, removed with the worker's
warm kernel when the run ends.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url
from tqdm import tqdm

from payeropt_lib import config
from payeropt_lib.errors import ClusterUnavailable, PageFailed

from . import kernels
from .cache import CACHE_ENV
from .jobs import HeadlineJob, PageJob, run_headline, run_page

CONNECT_SECONDS = 10  # a scheduler that does not answer in this time is not there
PACKAGE = "payeropt"
_ONE_JOB = threading.Lock()  # a worker process runs one job at a time (module docstring)

Job = PageJob | HeadlineJob
OnDone = Callable[[object, Job, object, BaseException | None], None]


def connect(address: str, db_url: str):  # noqa: ANN201 - a distributed.Client
    """A client of the scheduler at ``address`` whose workers can run a packet run over
    ``db_url``; ``ClusterUnavailable`` says why not."""
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
        client.get_versions(check=True, packages=[PACKAGE])
    except ValueError as err:  # distributed's version mismatch
        client.close()
        raise ClusterUnavailable(address, f"versions differ: {err}") from err
    except BaseException:
        client.close()
        raise
    return client


def execute(
    jobs: list[tuple[object, Job]],
    address: str,
    db_url: str,
    on_done: OnDone,
    progress: tqdm,
) -> None:
    """Run every job on the cluster at ``address``; ``on_done`` gets each result or
    exception as it completes, as with the local pool (``build._execute``)."""
    from distributed import as_completed

    client = connect(address, db_url)
    run_id = uuid.uuid4().hex
    try:
        futures = {
            client.submit(run_remote, job, run_id, pure=False, key=f"payeropt-{run_id}-{i}"): (
                owner,
                job,
            )
            for i, (owner, job) in enumerate(jobs)
        }
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
        try:
            client.run(end_run, run_id)
        finally:
            client.close()


def run_remote(job: Job, run_id: str) -> tuple:
    """On a worker: run ``job``, returning what the caller writes (``_land``). A page's
    own error comes back as data with its executed notebook, not raised."""
    with _ONE_JOB:
        saved = os.environ.get(CACHE_ENV)
        cache = _cache_folder(run_id)
        cache.mkdir(parents=True, exist_ok=True)
        os.environ[CACHE_ENV] = str(cache)
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
    if not notebook.is_file():  # the worker's own install (same version: ``connect``)
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


def end_run(run_id: str) -> None:
    """On every worker, when a run ends: its warm kernel stops, its cache folder goes."""
    with _ONE_JOB:
        kernels.shutdown()
        shutil.rmtree(_cache_folder(run_id), ignore_errors=True)


def _cache_folder(run_id: str) -> Path:
    return Path(tempfile.gettempdir()) / f"payeropt-report-{run_id}"
