"""One warm kernel per process for a packet's pages (issue 12, item 6).

A page used to start a kernel of its own and import the library in it again: about 1.5 s
of a page's 2-3 s. Here a process (the caller, or each worker of the packet pool, across
pages and practices) keeps one kernel and runs page after page in it. The notebooks stay
the source of every page: each is parameterized as papermill does (its ``parameters``
cell, then an injected one) and run cell by cell by nbclient, as papermill does, in the
warm kernel. Before a page, the kernel's namespace is cleared (``%reset -f``, by
``clear_namespace``), so no page can lean on a name another page left; the modules it
imported stay loaded, which is the point. The kernel is started again when it died, when
the working folder, the ``PAYEROPT_DB`` or the run's cache folder it inherited differ, and
is killed when the process ends (or, on a cluster's worker, when the run ends:
``cluster``).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
from pathlib import Path

from .cache import CACHE_ENV

logger = logging.getLogger(__name__)

# A hidden first cell: the page starts from an empty namespace in the warm kernel.
RESET = "from payeropt_lib.packet.kernels import clear_namespace\nclear_namespace()"
_RESET_TAG = "payeropt-reset"
# What ``prestart`` has a new kernel import while its process does other work: what every
# page imports first (``packet.report`` brings pandas, plotly and the library).
WARM_UP = "import payeropt_lib.packet.report"
# As nbclient starts a kernel: IPython's history in memory, never in a file on disk.
_HISTORY = "--HistoryManager.hist_file=:memory:"
STARTUP_SECONDS = 60  # nbclient's own startup_timeout
_warm: dict = {}  # "km": the kernel manager, "kc": its client, "key": ``_key``
_finalizer: list = []


class PageError(Exception):
    """A cell of the page raised: its number (``In [n]``) and the error's name and text."""

    def __init__(self, exec_count: int | None, ename: str, evalue: str) -> None:
        super().__init__(exec_count, ename, evalue)
        self.exec_count, self.ename, self.evalue = exec_count, ename, evalue


def run(notebook: Path, executed: Path, parameters: dict, kernel_name: str, extra: list[str]):  # noqa: ANN201 - a NotebookNode
    """Run ``notebook`` with ``parameters`` in this process's warm kernel; save it to
    ``executed`` (with the failing cell's error, when one fails) and return it. Raises
    ``PageError`` when a cell fails, ``RuntimeError`` when the kernel dies while starting
    (the caller starts it again: ``jobs.retrying_kernel_start``)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbformat import v4, write
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    cwd = str(notebook.parent)
    nb = parameterize_notebook(
        load_notebook_node(str(notebook)), parameters, kernel_name=kernel_name, language="python"
    )
    reset = v4.new_code_cell(RESET, metadata={"tags": [_RESET_TAG]})
    nb.cells.insert(0, reset)
    km = _kernel(kernel_name, cwd)
    client = NotebookClient(
        nb,
        km=km,
        kernel_name=kernel_name,
        resources={"metadata": {"path": cwd}},
        extra_arguments=extra,
    )
    if km is not None:
        # The warm kernel's client too: a new one waits 0.2 s for the kernel's output
        # channel to fall silent before the first cell (jupyter_client's wait_for_ready),
        # 1.7 s of a practice's 8 pages. Replies are matched to their request, so nothing
        # an earlier page left on a channel can reach this one.
        client.kc = _warm.get("kc")
        _ready()
    failed: CellExecutionError | None = None
    try:
        client.execute(cleanup_kc=False, cwd=cwd)
    except CellExecutionError as err:
        failed = err  # the kernel is fine: a page's own error
    except BaseException:
        # nbclient registers an exit hook before it starts a kernel and drops it only
        # once the kernel answered: a kernel that died starting would leave it behind.
        atexit.unregister(client._cleanup_kernel)
        if client.kc is not None:
            client.kc.stop_channels()
        _warm.pop("kc", None)
        if client.km is not None and km is None:
            _warm.update(km=client.km)  # so that shutdown kills the one just started
        shutdown()  # a kernel that died (or never answered) is not used again
        raise
    if km is None:
        _keep(client.km, kernel_name, cwd)
    _warm["kc"] = client.kc
    nb.cells = [c for c in nb.cells if _RESET_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:  # "In [n]" as the page has them, without the hidden first cell
        if cell.cell_type == "code" and cell.get("execution_count"):
            cell.execution_count -= 1
    executed.parent.mkdir(parents=True, exist_ok=True)
    write(nb, str(executed))
    if failed is not None:
        raise PageError(_failing_cell(nb), failed.ename, failed.evalue) from failed
    return nb


def prestart(kernel_name: str, cwd: str, extra: list[str]) -> None:
    """Start this process's warm kernel now and have it import the pages' library, without
    waiting for either: a pool worker's kernel then boots while the worker prices a
    practice's lines for its headline figures (its first job, no kernel needed) instead of
    after it. The first page waits for the kernel to answer (``_ready``). Best effort: a
    kernel that fails here is started again by the first page, as without this."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    if _warm.get("km") is not None:
        return
    km, kc = AsyncKernelManager(kernel_name=kernel_name), None
    try:
        run_sync(km.start_kernel)(extra_arguments=[*extra, _HISTORY], cwd=cwd)
        kc = km.client()
        kc.start_channels()
        kc.allow_stdin = False
        kc.execute(WARM_UP, silent=True, store_history=False)
    except Exception as err:  # noqa: BLE001 - the first page starts one itself
        logger.warning("could not start a kernel ahead of the pages: %s", err)
        _warm.update(km=km, kc=kc)
        shutdown()
        return
    _keep(km, kernel_name, cwd)
    _warm.update(kc=kc, ready=False)


def _ready() -> None:
    """Wait for a kernel ``prestart`` started to answer (once: then its channels are
    connected and its import done). A kernel that died starting is shut down and the
    error raised, as nbclient would (``jobs.retrying_kernel_start`` starts another)."""
    from jupyter_core.utils import run_sync

    if _warm.get("ready", True):
        return
    try:
        run_sync(_warm["kc"].wait_for_ready)(timeout=STARTUP_SECONDS)
    except BaseException:
        shutdown()
        raise
    _warm["ready"] = True


def clear_namespace() -> None:
    """In the kernel, before a page: ``%reset -f`` (every name a page left goes, the
    imported modules stay) without the two full garbage collections it runs. With pandas
    and plotly loaded each costs ~80 ms, 0.16 s a page: a sixth of a small practice's
    packet. What a page leaves is freed by reference counting when its names go; the
    collector's own schedule frees what cycles remain."""
    import gc

    from IPython import get_ipython

    collect = gc.collect
    gc.collect = lambda generation=2: 0  # the kernel runs one cell at a time: only ours calls
    try:
        get_ipython().run_line_magic("reset", "-f")
    finally:
        gc.collect = collect


def _failing_cell(nb) -> int | None:  # noqa: ANN001 - a NotebookNode
    for cell in nb.cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return cell.get("execution_count")
    return None


def _kernel(kernel_name: str, cwd: str):  # noqa: ANN202 - a kernel manager, or None
    """The warm kernel for this page, or None (nbclient then starts one, kept by
    ``_keep``)."""
    key = _key(kernel_name, cwd)
    km = _warm.get("km")
    if km is None:
        return None
    if _warm.get("key") != key or not _alive(km):
        shutdown()
        return None
    return km


def _keep(km, kernel_name: str, cwd: str) -> None:  # noqa: ANN001 - a kernel manager
    _warm.update(km=km, key=_key(kernel_name, cwd))
    if not _finalizer:  # a pool worker ends through multiprocessing, not atexit
        _finalizer.append(multiprocessing.util.Finalize(None, shutdown, exitpriority=10))
        atexit.register(shutdown)


def _key(kernel_name: str, cwd: str) -> tuple:
    """What a warm kernel took from this process when it started, and must still match:
    its working folder and the environment a page reads (the store, the run's cache)."""
    return (kernel_name, cwd, os.environ.get("PAYEROPT_DB"), os.environ.get(CACHE_ENV))


def _alive(km) -> bool:  # noqa: ANN001
    from jupyter_core.utils import run_sync

    try:
        return bool(run_sync(km.is_alive)())
    except Exception:  # noqa: BLE001 - a kernel we cannot ask is not alive
        return False


def shutdown() -> None:
    """Kill this process's warm kernel, if any (a page only reads: no polite stop needed;
    docs/report.md, "Speed")."""
    from jupyter_core.utils import run_sync

    km, kc = _warm.pop("km", None), _warm.pop("kc", None)
    _warm.pop("key", None)
    _warm.pop("ready", None)
    if kc is not None:
        kc.stop_channels()
    if km is None:
        return
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception as err:  # noqa: BLE001 - already gone
        logger.debug("warm kernel shutdown: %s", err)
