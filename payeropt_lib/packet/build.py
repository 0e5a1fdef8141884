"""Building packets: run the page notebooks, render them offline, write the index pages.

``write_packet`` makes one practice's packet; ``write_packets`` makes one for each of many
practices (``payeropt report --all``) plus a consultant's index of them. Both cut the work
into jobs (``jobs``: one per page, plus one per practice for its headline numbers) and run
them in a pool of worker processes, or on a dask cluster's workers (``cluster``): a page
is its notebook run in the worker's warm kernel, then an nbconvert export through
``templates/packet``. A practice whose page fails gets no index.html; the other practices
go on and the failure is reported at the end.

A packet is a folder that opens from ``file://`` with the network off: ``index.html``, one
HTML file per page, and ``assets/`` holding plotly.js and JupyterLab's stylesheet once (a
page links them by relative path instead of embedding 5 MB each). The executed notebooks
are not part of it (what a manager receives stays small): they go to ``keep_notebooks``
(``report --keep-notebooks DIR``), or to a temporary folder that is removed once the pages
are written and kept, and named in the error, when a page fails.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from tqdm import tqdm

from payeropt_lib import config, formats, store
from payeropt_lib.analytics import privacy, summary
from payeropt_lib.errors import PayeroptError
from payeropt_lib.store import access, tables
from payeropt_lib.store.access import Identity

from . import cells, cluster, kernels, pages
from .cache import CACHE_ENV
from .context import Context, context, existing_database
from .jobs import PACKET_TEMPLATE, HeadlineJob, PageJob, exporter, prestart_kernel
from .jobs import run as run_job

logger = logging.getLogger(__name__)

INDEX_TEMPLATE = "packet_index.html.j2"
BATCH_TEMPLATE = "batch_index.html.j2"
ASSETS_DIR = "assets"
PLOTLY_JS = "plotly.min.js"
LAB_CSS = "lab.css"
# JupyterLab's stylesheets that the lab template would inline into every page.
LAB_STYLESHEETS = ("index.css", "theme-light.css")


# --- rendering helpers ------------------------------------------------------------------


def _index_environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(
            [str(config.TEMPLATES_DIR), str(config.TEMPLATES_DIR / PACKET_TEMPLATE)]
        ),
        autoescape=True,
        undefined=StrictUndefined,
    )
    env.filters.update(cells.FILTERS)
    return env


def _lab_stylesheets() -> list[Path]:
    """JupyterLab's CSS files, from the template directories nbconvert itself searches."""
    found = []
    for name in LAB_STYLESHEETS:
        for base in exporter().template_paths:
            path = Path(base) / "static" / name
            if Path(base).name == "lab" and path.is_file():
                found.append(path)
                break
        else:
            raise FileNotFoundError(f"JupyterLab stylesheet {name} not found in nbconvert")
    return found


def write_assets(out_dir: Path) -> Path:
    """Put plotly.js and the lab stylesheet into ``out_dir/assets`` once, for every page."""
    import plotly

    assets = Path(out_dir) / ASSETS_DIR
    assets.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(plotly.__file__).parent / "package_data" / PLOTLY_JS, assets / PLOTLY_JS)
    css = "\n".join(p.read_text(encoding="utf-8") for p in _lab_stylesheets())
    (assets / LAB_CSS).write_text(css, encoding="utf-8")
    return assets


def _absolute_url(url: str) -> str:
    """Notebooks run in notebooks/ (cwd): a relative SQLite path must not move with them."""
    parsed = make_url(url)
    db = parsed.database
    if parsed.get_backend_name() == "sqlite" and db and db != ":memory:" and not os.path.isabs(db):
        return parsed.set(database=str(Path(db).resolve())).render_as_string(hide_password=False)
    return url


def _chrome(ctx: Context, generated_at: str, pages: Sequence[pages.Page]) -> dict:
    """What the header and footer of every page (and the index) say."""
    fmt_date = formats.day
    if ctx.period_start is None:
        period = "no claims on file"
    else:
        period = f"{fmt_date(ctx.period_start)} to {fmt_date(ctx.period_end)}"
    freshness = f"claims through {fmt_date(ctx.data_through)}"
    if ctx.last_import:
        freshness += f", last import {ctx.last_import[:16].replace('T', ' ')} UTC"
    return {
        "practice": ctx.name,
        "org_id": ctx.org_id,
        "period": period,
        "as_of": fmt_date(ctx.as_of),
        "generated_at": generated_at,
        "freshness": freshness,
        "locality": ctx.locality or "unknown",
        "pages": [
            {"title": p.title, "href": p.href, "slug": p.slug, "summary": p.summary} for p in pages
        ],
        "index_href": "index.html",
        "assets": ASSETS_DIR,
        "headline": [],
        "small_cell": privacy.small_cell(),  # the packet's cell size (context set it)
    }


def _on_page(chrome: dict, current: str) -> dict:
    """The chrome for one page: which link is current, and the previous / next page."""
    order = [{"title": "Contents", "href": chrome["index_href"], "slug": "index"}]
    order += chrome["pages"]
    at = next(i for i, p in enumerate(order) if p["slug"] == current)
    return {
        **chrome,
        "current": current,
        "prev": order[at - 1] if at > 0 else None,
        "next": order[at + 1] if at + 1 < len(order) else None,
    }


# --- one practice's plan ----------------------------------------------------------------


@dataclass
class _Plan:
    org_id: str
    out_dir: Path
    ctx: Context
    chrome: dict
    parameters: dict
    jobs: list[PageJob | HeadlineJob]
    pages_left: int
    headline: dict | None = None
    error: str | None = None
    exception: BaseException | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    notebooks: Path | None = None  # the executed notebooks' folder


def _plan(
    url: str,
    org_id: str,
    out_dir: Path,
    period_start: str | None,
    period_end: str | None,
    as_of: str | None,
    generated_at: str,
    suppress_below: int = 0,
    notebooks: Path | None = None,
    for_batch: bool = False,
) -> _Plan:
    ctx = context(org_id, url, period_start or "", period_end or "", as_of or "", suppress_below)
    chosen = pages.PAGES
    out_dir.mkdir(parents=True, exist_ok=True)
    notebooks = notebooks or Path(tempfile.mkdtemp(prefix="payeropt-notebooks-"))
    notebooks.mkdir(parents=True, exist_ok=True)
    # An index left from an earlier run would link to pages this run may fail to rewrite.
    (out_dir / "index.html").unlink(missing_ok=True)
    write_assets(out_dir)
    chrome = _chrome(ctx, generated_at, chosen)
    # Every page gets the same settled dates, so pages agree even across midnight.
    parameters = {
        "org_id": org_id,
        "db_url": url,
        "period_start": formats.day(ctx.period_start, ""),
        "period_end": formats.day(ctx.period_end, ""),
        "as_of": formats.day(ctx.as_of, ""),
        "suppress_below": int(suppress_below),
    }
    jobs: list[PageJob | HeadlineJob] = [HeadlineJob(org_id, parameters, for_batch)]
    jobs += [
        PageJob(
            org_id=org_id,
            notebook=str(config.NOTEBOOKS_DIR / page.notebook),
            title=page.title,
            slug=page.slug,
            out_dir=str(out_dir),
            executed_dir=str(notebooks),
            parameters=parameters,
            chrome=_on_page(chrome, page.slug),
            practice=ctx.name,
        )
        for page in chosen
    ]
    return _Plan(
        org_id, out_dir, ctx, chrome, parameters, jobs, pages_left=len(chosen),
        notebooks=notebooks,
    )  # fmt: skip


def _notebooks_root(keep: Path | None) -> tuple[Path, bool]:
    """Where a run's executed notebooks go: ``keep``, else a new temporary folder (True:
    remove what the run did not need kept, ``_tidy_notebooks``)."""
    if keep is not None:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return Path(keep), False
    return Path(tempfile.mkdtemp(prefix="payeropt-notebooks-")), True


def _tidy_notebooks(root: Path, plans: list[_Plan], written: dict) -> None:
    """A temporary notebooks folder: the practices whose pages were all written need
    theirs no more; a failed page's notebook stays for whoever reads the error."""
    for plan in plans:
        if plan.org_id in written and plan.notebooks is not None:
            shutil.rmtree(plan.notebooks, ignore_errors=True)
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()
    elif root.is_dir():
        logger.warning("executed notebooks of failed pages kept in %s", root)


def _finish(plan: _Plan, who: Identity | None) -> Path:
    """Write a practice's index.html once all its pages are written; audit the run."""
    chrome = {**plan.chrome, "headline": (plan.headline or {}).get("figures", [])}
    html = (
        _index_environment().get_template(INDEX_TEMPLATE).render(packet=_on_page(chrome, "index"))
    )
    index = plan.out_dir / "index.html"
    index.write_text(html, encoding="utf-8")
    if who is not None:
        with store.writing(plan.ctx.engine, plan.org_id) as conn:
            access.audit_action(
                conn,
                plan.org_id,
                who,
                "report.run",
                str(plan.out_dir),
                details={
                    "pages": [p["slug"] for p in plan.chrome["pages"]],
                    "period": plan.chrome["period"],
                    "as_of": plan.chrome["as_of"],
                },
            )
    return index


# --- running jobs -------------------------------------------------------------------------


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _execute(
    jobs: list[tuple[_Plan, PageJob | HeadlineJob]],
    workers: int,
    on_done: Callable[[_Plan, PageJob | HeadlineJob, object, BaseException | None], None],
    progress: tqdm,
    client=None,  # noqa: ANN001 - a distributed.Client (``cluster.connect``)
) -> None:
    """Run every job, here or on the dask cluster ``client`` reaches (``cluster``);
    ``on_done`` gets each result or exception as it completes."""
    if client is not None:
        cluster.execute(jobs, client, on_done, progress)
        return
    # Each process's kernel boots while the process starts on its first job, when every
    # page runs with one notebooks folder and store (the kernel's settings).
    settings = {
        (str(Path(j.notebook).parent), j.parameters["db_url"])
        for _, j in jobs
        if isinstance(j, PageJob)
    }
    initializer, initargs = (prestart_kernel, settings.pop()) if len(settings) == 1 else (None, ())
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        try:
            for plan, job in jobs:
                try:
                    result, error = run_job(job), None
                except Exception as err:  # noqa: BLE001 - one practice's failure is reported
                    result, error = None, err
                on_done(plan, job, result, error)
                progress.update()
        finally:
            kernels.shutdown()  # the run's warm kernel ends with the run, in this process
        return
    # spawn: a worker must not inherit the parent's open database connections and threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=initializer, initargs=initargs
    ) as pool:
        running: dict[Future, tuple[_Plan, PageJob | HeadlineJob]] = {
            pool.submit(run_job, job): (plan, job) for plan, job in jobs
        }
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                plan, job = running.pop(future)
                error = future.exception()
                on_done(plan, job, None if error else future.result(), error)
                progress.update()


def _describe(error: BaseException) -> str:
    if isinstance(error, PayeroptError):
        return str(error)
    return f"{type(error).__name__}: {error}"


@dataclass
class BatchResult:
    """What a run wrote: per practice its index (or why it failed) and its headline."""

    index: Path | None
    packets: dict[str, Path]
    failed: dict[str, str]
    headlines: dict[str, dict]
    seconds: float


def _run_plans(
    plans: list[_Plan],
    workers: int,
    who: Identity | None,
    desc: str,
    client=None,  # noqa: ANN001 - a distributed.Client, or None: this machine's pool
) -> dict[str, Path]:
    jobs = [(plan, job) for plan in plans for job in plan.jobs]
    written: dict[str, Path] = {}

    def on_done(plan: _Plan, job, result, error) -> None:  # noqa: ANN001
        if isinstance(job, HeadlineJob):
            if error is None:
                plan.headline = result
            else:  # a headline that cannot be computed does not cost the practice its packet
                logger.warning("headline of %s: %s", plan.org_id, _describe(error))
                plan.headline = None
            return
        if error is not None:
            if plan.error is None:
                plan.error, plan.exception = _describe(error), error
            return
        plan.seconds[job.slug] = float(result)
        plan.pages_left -= 1

    # One run's shared frames (``cache``) live in a private temp folder that the workers
    # and their kernels inherit through the environment; never in the packet.
    saved = os.environ.get(CACHE_ENV)
    with tempfile.TemporaryDirectory(prefix="payeropt-report-") as cache:
        os.environ[CACHE_ENV] = cache
        try:
            # A bar on a terminal (pages take seconds each); silent when not a TTY.
            with tqdm(total=len(jobs), desc=desc, unit="page", leave=False, disable=None) as bar:
                _execute(jobs, workers, on_done, bar, client)
        finally:
            if saved is None:
                os.environ.pop(CACHE_ENV, None)
            else:
                os.environ[CACHE_ENV] = saved
    for plan in plans:
        if plan.error is None and plan.pages_left == 0:
            written[plan.org_id] = _finish(plan, who)
    return written


def write_packet(
    db_url: str,
    org_id: str,
    out_dir: Path,
    period_start: str | None = None,
    period_end: str | None = None,
    as_of: str | None = None,
    who: Identity | None = None,
    workers: int | None = None,
    suppress_below: int = 0,
    keep_notebooks: Path | None = None,
    scheduler: str | None = None,
) -> Path:
    """Run every page of ``pages.PAGES`` for one practice and write its HTML packet.

    The executed notebooks go to ``keep_notebooks`` when given, else to a temporary
    folder removed once the pages are written (kept, and named in ``PageFailed``, when a
    page fails); never into the packet.

    The packet shows the practice its own counts; ``suppress_below`` N hides counts from
    1 to N-1 for a practice that wants it anyway (``report --suppress-below``).

    Writes ``out_dir/<slug>.html`` per page, ``out_dir/assets/``, then
    ``out_dir/index.html`` (returned). Defaults: as_of = today, period = every date of
    service on file, ``workers`` = the machine's cores (pages run in parallel; or, with
    ``scheduler``, on that dask cluster's workers: ``cluster``). A failing
    notebook raises ``PageFailed`` and leaves no index.html. With ``who``, the run is
    authorized and audited as ``report.run``.
    """
    started = time.monotonic()
    url = existing_database(_absolute_url(config.resolve_db_url(db_url)))
    engine = store.engine_for(url)
    if who is not None:
        access.authorize(engine, org_id, who, "report.run", target=str(out_dir))
    generated_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    # A cluster that cannot run the pages is refused before anything is written.
    client = cluster.connect(scheduler, url) if scheduler is not None else None
    try:
        root, temporary = _notebooks_root(keep_notebooks)
        try:
            plan = _plan(
                url, org_id, Path(out_dir), period_start, period_end, as_of, generated_at,
                suppress_below, root,
            )  # fmt: skip
        except BaseException:
            if temporary:  # refused before any page ran (not opted in, a bad date)
                shutil.rmtree(root, ignore_errors=True)
            raise
        written = _run_plans([plan], workers or default_workers(), who, "packet pages", client)
    finally:
        if client is not None:
            client.close()
    if temporary:
        _tidy_notebooks(root, [plan], written)
    if org_id not in written:
        assert plan.exception is not None
        raise plan.exception
    logger.info(
        "packet for %s written to %s in %.1f s", org_id, out_dir, time.monotonic() - started
    )
    return written[org_id]


def opted_in(engine) -> list[str]:  # noqa: ANN001 - an Engine
    """Every practice that has opted in, by key (the system org is never one)."""
    return [org_id for org_id, _, yes in _practices(engine) if yes]


def _practices(engine) -> list[tuple[str, str, bool]]:  # noqa: ANN001 - an Engine
    """Every practice: key, name, opted in (the system org is none)."""
    o = tables.orgs
    with engine.connect() as conn:
        rows = conn.execute(select(o.c.org_id, o.c.name, o.c.opted_in).order_by(o.c.org_id))
        return [
            (r.org_id, r.name, bool(r.opted_in)) for r in rows if r.org_id != tables.SYSTEM_ORG
        ]


def write_packets(
    db_url: str,
    out_dir: Path,
    org_ids: Sequence[str] | None = None,
    period_start: str | None = None,
    period_end: str | None = None,
    as_of: str | None = None,
    who: Identity | None = None,
    workers: int | None = None,
    suppress_below: int = 0,
    keep_notebooks: Path | None = None,
    scheduler: str | None = None,
) -> BatchResult:
    """A packet per practice in ``out_dir/<org_id>/`` and ``out_dir/index.html`` listing them.

    Each packet is its practice's own (``write_packet``'s ``suppress_below``); the index
    combines practices, so its figures always hide counts of 1-10.

    ``org_ids`` None = every opted-in practice. Pages of all practices share one pool of
    ``workers`` processes, or the workers of the dask cluster at ``scheduler``. A practice
    that is refused (not opted in, not allowed) or whose page fails gets no packet; the
    others go on, and the index says which failed and why.
    """
    started = time.monotonic()
    url = existing_database(_absolute_url(config.resolve_db_url(db_url)))
    engine = store.engine_for(url)
    # A cluster that cannot run the pages is refused before anything is written.
    client = cluster.connect(scheduler, url) if scheduler is not None else None
    try:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        every = org_ids is None
        org_ids = list(org_ids) if org_ids is not None else opted_in(engine)
        generated_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        return _write_packets(
            url, engine, out_dir, org_ids, every, period_start, period_end, as_of, who,
            workers, suppress_below, keep_notebooks, client, generated_at, started,
        )  # fmt: skip
    finally:
        if client is not None:
            client.close()


def _write_packets(
    url: str,
    engine,  # noqa: ANN001 - an Engine
    out_dir: Path,
    org_ids: list[str],
    every: bool,
    period_start: str | None,
    period_end: str | None,
    as_of: str | None,
    who: Identity | None,
    workers: int | None,
    suppress_below: int,
    keep_notebooks: Path | None,
    client,  # noqa: ANN001 - a distributed.Client, or None
    generated_at: str,
    started: float,
) -> BatchResult:
    failed: dict[str, str] = {}
    plans: list[_Plan] = []
    root, temporary = _notebooks_root(keep_notebooks)  # a folder per practice inside
    for org_id in org_ids:
        try:
            if who is not None:
                access.authorize(engine, org_id, who, "report.run", target=str(out_dir))
            plans.append(
                _plan(
                    url,
                    org_id,
                    out_dir / org_id,
                    period_start,
                    period_end,
                    as_of,
                    generated_at,
                    suppress_below,
                    root / org_id,
                    for_batch=True,
                )  # fmt: skip
            )
        except PayeroptError as err:
            failed[org_id] = str(err)
    written = _run_plans(plans, workers or default_workers(), who, "packets", client)
    if temporary:
        _tidy_notebooks(root, plans, written)
    for plan in plans:
        if plan.org_id not in written:
            failed[plan.org_id] = plan.error or "not every page was written"
    headlines = {p.org_id: p.headline or {} for p in plans}
    rows = [
        {
            "org_id": p.org_id,
            "practice": p.ctx.name,
            "period": p.chrome["period"],
            "href": f"{p.org_id}/index.html" if p.org_id in written else None,
            "figures": (p.headline or {}).get("batch_figures", []),
            "error": failed.get(p.org_id),
            "note": None,
        }
        for p in plans
    ]
    rows += [
        {
            "org_id": o,
            "practice": o,
            "period": "",
            "href": None,
            "figures": [],
            "error": why,
            "note": None,
        }
        for o, why in failed.items()
        if o not in {p.org_id for p in plans}
    ]
    if every:  # the practices not in the run are listed too, so none goes missing unseen
        rows += [
            {"org_id": o, "practice": name, "period": "", "href": None, "figures": [],
             "error": None, "note": "No packet: not opted in to payer optimization yet "
             "(the owner opts in after reading the disclosure)."}
            for o, name, yes in _practices(engine)
            if not yes and o not in failed
        ]  # fmt: skip
    index = out_dir / "index.html"
    html = (
        _index_environment()
        .get_template(BATCH_TEMPLATE)
        .render(
            rows=rows,
            generated_at=generated_at,
            columns=summary_columns(),
            written=len(written),
            failed=len(failed),
        )
    )
    index.write_text(html, encoding="utf-8")
    seconds = time.monotonic() - started
    logger.info("%d packets written, %d failed, in %.1f s", len(written), len(failed), seconds)
    return BatchResult(index, written, failed, headlines, seconds)


def summary_columns() -> list[str]:
    """The headline figures' labels, in the order the batch index shows them."""
    return [label for _, label in summary.HEADLINE_LABELS]
