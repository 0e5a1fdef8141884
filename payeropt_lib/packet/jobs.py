"""What a worker runs: one page of a practice's packet, or a practice's headline numbers.

A job is plain data in and plain data out, so that it crosses to a pool worker
(``build``) or a cluster's worker (``cluster``) by pickle. A page is its notebook run in
the process's warm kernel (``kernels``), then exported offline through ``templates/packet``.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url

from payeropt_lib import config
from payeropt_lib.analytics import privacy
from payeropt_lib.errors import PageFailed

from . import cells, kernels
from .context import context
from .display import small_cell_markdown
from .loaders import headline, headline_figures

logger = logging.getLogger(__name__)
T = TypeVar("T")

KERNEL_NAME = "python3"  # the kernel of the interpreter running us: the project's venv
# The kernel's own log is not the user's business (a TCP warning at start-up). A failing
# cell still raises.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
PACKET_TEMPLATE = "packet"
# jupyter_client picks a kernel's five ports, closes them, then the kernel binds them; a
# kernel started at the same moment elsewhere can take one in between, and the new kernel
# dies with "Address already in use" before it answers (jupyter/jupyter_client#154). No
# cell has run then, so starting again is safe; a fresh start picks fresh ports.
KERNEL_STARTS = 3
_KERNEL_DIED = "Kernel died before replying to kernel_info"


@dataclass(frozen=True)
class PageJob:
    """Run one page notebook of one practice and write its HTML."""

    org_id: str
    notebook: str  # absolute path of the notebook to run
    title: str
    slug: str
    out_dir: str
    executed_dir: str  # where the executed notebook goes (outside the packet)
    parameters: dict
    chrome: dict  # the page's header / navigation / footer (``_on_page``)
    practice: str


@dataclass(frozen=True)
class HeadlineJob:
    """Compute a practice's headline numbers (for its index and, in a batch, the index of
    practices)."""

    org_id: str
    parameters: dict
    for_batch: bool = True  # also under the 11 rule, for the index of practices


def retrying_kernel_start(run: Callable[[], T], name: str) -> T:
    """``run()`` (which starts a kernel and runs ``name`` in it), started again up to
    ``KERNEL_STARTS`` times in all if the kernel dies before it answers: see
    ``KERNEL_STARTS``. Any other error, or the last start's, is raised."""
    for start in range(1, KERNEL_STARTS + 1):
        try:
            return run()
        except RuntimeError as err:
            if _KERNEL_DIED not in str(err) or start == KERNEL_STARTS:
                raise
            logger.warning(
                "%s: the kernel died while starting (start %d of %d); starting another",
                name,
                start,
                KERNEL_STARTS,
            )
    raise AssertionError("unreachable: the last start returns or raises")


def run_page(job: PageJob) -> float:
    """Execute ``job.notebook`` in this process's warm kernel (``kernels``), export it
    offline; returns seconds."""
    started = time.monotonic()
    out_dir = Path(job.out_dir)
    executed = Path(job.executed_dir) / Path(job.notebook).name
    target = out_dir / f"{job.slug}.html"
    target.unlink(missing_ok=True)  # a failed page leaves no stale copy
    # The page's own cell size, for what this process renders of it (the kernel sets its own).
    privacy.set_small_cell(job.parameters["suppress_below"])
    try:
        with _store_for_kernel(job.parameters) as parameters:
            notebook = retrying_kernel_start(
                lambda: kernels.run(
                    Path(job.notebook), executed, parameters, KERNEL_NAME, KERNEL_ARGS
                ),
                Path(job.notebook).name,
            )
    except kernels.PageError as err:
        raise PageFailed(
            Path(job.notebook).name, err.exec_count, err.ename, err.evalue, str(executed)
        ) from err
    notebook.metadata["title"] = f"{job.title} · {job.practice}"
    for cell in notebook.cells:  # sentences about small counts, for the packet's cell size
        if cell.cell_type == "markdown":
            cell.source = small_cell_markdown(cell.source)
    body, _ = exporter().from_notebook_node(notebook, resources={"packet": job.chrome})
    target.write_text(body, encoding="utf-8")
    return time.monotonic() - started


def run_headline(job: HeadlineJob) -> dict:
    """The practice's headline numbers as display text (``loaders.headline_figures``):
    ``figures`` for its own index, at its own cell size; ``batch_figures`` for the
    consultant's batch index, which combines practices and so hides counts of 1-10
    (``privacy.SMALL_CELL``) whatever the practice's packet does."""
    p = job.parameters
    dates = (p["db_url"], p["period_start"], p["period_end"], p["as_of"])
    own = headline_figures(headline(context(job.org_id, *dates, p["suppress_below"])))
    if not job.for_batch:  # one practice's packet: nothing combines practices
        return own
    ctx = context(job.org_id, *dates, privacy.SMALL_CELL)
    return {**own, "batch_figures": headline_figures(headline(ctx))["figures"]}


def prestart_kernel(notebooks: str, db_url: str) -> None:
    """A pool worker's first act: start its warm kernel (in the notebooks' folder, with the
    store as its pages will have it) while it goes on to its first job
    (``kernels.prestart``)."""
    with _store_for_kernel({"db_url": db_url}):
        kernels.prestart(KERNEL_NAME, notebooks, KERNEL_ARGS)


@contextmanager
def _store_for_kernel(parameters: dict) -> Iterator[dict]:
    """A page's parameters as its kernel gets them. The executed notebook holds its
    parameters: a password must not be there. The kernel inherits ``PAYEROPT_DB`` instead,
    and ``db_url`` "" means "use it" (a kernel started under another ``PAYEROPT_DB`` is not
    reused: ``kernels``); restored afterwards."""
    parameters, saved = dict(parameters), os.environ.get("PAYEROPT_DB")
    if make_url(parameters["db_url"]).password is not None:
        os.environ["PAYEROPT_DB"], parameters["db_url"] = parameters["db_url"], ""
    try:
        yield parameters
    finally:
        if saved is None:
            os.environ.pop("PAYEROPT_DB", None)
        else:
            os.environ["PAYEROPT_DB"] = saved


def run(job: PageJob | HeadlineJob) -> object:
    """Run one job in this process (a pool worker, a cluster's worker or the caller)."""
    return run_page(job) if isinstance(job, PageJob) else run_headline(job)


@functools.lru_cache(maxsize=1)
def exporter():
    """The packet's HTML exporter, one per process: a new one compiles the template's ~90
    Jinja files again (~0.15 s a page)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=PACKET_TEMPLATE,
        extra_template_basedirs=[str(config.TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        filters=cells.FILTERS,
    )
