"""How the expected-allowed engine runs fast; nothing here changes a figure.

The per-line passes run in slices of ``CHUNK`` lines on a pool of all the cores this
process may use (``run_in_slices``): numpy lets go of the GIL in gathers and arithmetic, so
the slices run on all cores. Each pool thread reuses its own work arrays (``scratch``)
instead of fresh temporaries the size of the lines. On the build VM a fresh page costs
more than the arithmetic that fills it, so the output arrays are allocated up front and a
lowest-priority thread touches their pages while a core would idle (``Room``), and numpy's
huge-page advice is turned off for the call (``HUGEPAGE_ADVICE``, ``no_hugepage_advice``).
The explanations' DuckDB connection is kept per calling thread between calls
(``duckdb_connection``, ``keep_connection``, ``drop_connection``); ``Clock`` times the
stages for the debug log.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress

import duckdb
import numpy as np
import pyarrow as pa

CHUNK = 1 << 20  # lines per slice of the per-line passes
# Below this many lines a call runs on the calling thread, without a pool or a prefault
# thread: starting and waking threads was most of the time of pricing a small 835
# (benchmarks/era_many.py), and one slice has nothing to run beside.
SMALL = 1 << 16


def usable_cores() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def take(table: np.ndarray, index: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``table[index]`` for indices known to be in range: ``np.take`` in "wrap" mode neither
    checks them nor buffers ``out`` (2-3× faster than fancy indexing with int32 indices)."""
    return np.take(table, index, out=out, mode="wrap")


_local = threading.local()


def scratch(name: str, dtype: type, size: int) -> np.ndarray:
    """A work array of this thread's, reused slice after slice: a fresh one for every slice
    would be fresh memory each time (page faults are most of the cost on the build VM). The
    pool's threads end with the call, and their arrays with them."""
    buffers = _local.__dict__.setdefault("buffers", {})
    have = buffers.get((name, np.dtype(dtype)))
    if have is None or len(have) < size:
        have = buffers[name, np.dtype(dtype)] = np.empty(max(size, CHUNK), dtype)
    return have[:size]


class InlinePool:
    """``ThreadPoolExecutor``'s ``submit``, run at once on the calling thread (small calls:
    ``pool_for``). Work arrays (``scratch``) are then the calling thread's, kept between
    calls like its DuckDB connection."""

    def submit(self, fn: Callable, /, *args: object, **kwargs: object) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # raised by future.result(), as a pool would
            future.set_exception(exc)
        return future

    def __enter__(self) -> InlinePool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def pool_for(n: int, threads: int) -> ThreadPoolExecutor | InlinePool:
    """A pool of ``threads`` for a call on ``n`` lines, or the calling thread below
    ``SMALL`` lines (the same figures either way)."""
    return InlinePool() if n < SMALL or threads == 1 else ThreadPoolExecutor(threads)


def run_in_slices(pool: ThreadPoolExecutor, n: int, work: Callable[[int, int], None]) -> None:
    """``work(a, b)`` over slices of the lines, on the pool's threads (numpy lets go of the
    GIL in gathers and arithmetic, so the slices run on all cores)."""
    bounds = [*range(0, n, CHUNK), n]
    for future in [pool.submit(work, a, b) for a, b in zip(bounds, bounds[1:], strict=False)]:
        future.result()


class Room(threading.Thread):
    """Per-line arrays for n lines (``dtypes``: name → dtype), their pages touched ahead
    of use.

    A fresh page costs a fault (zeroing it, and on a VM maybe the host backing it): ~1 GB
    for 10 million lines and every column, the largest single cost of the call on the build
    VM. This thread, at the lowest priority, touches them while the rate tables are resolved
    (much of it on one core), so the faults are taken on a core that would idle; ``ready()``
    stops it (after the slice at hand) before the lines are priced, and the rest fault as
    they are written. The array ``zeroed`` (if any) starts as zeros: it is touched first,
    and ``ready()`` zeroes what the thread did not reach."""

    def __init__(self, n: int, dtypes: dict[str, type], zeroed: str | None = None) -> None:
        super().__init__(name="payeropt-prefault", daemon=True)
        self.arrays = {name: np.empty(n, dtype) for name, dtype in dtypes.items()}
        self.zeroed = zeroed
        self.n, self.done, self.stop = n, 0, threading.Event()
        # A thread costs more than touching the pages of a small call's arrays as they are
        # written: a posting of a few claims starts none.
        self.started = n >= SMALL
        if self.started:
            self.start()

    def run(self) -> None:
        # Idle time only: the pricing threads come first (Linux: a thread's own nice value).
        with suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        step = CHUNK // 4
        zeroed = self.arrays.get(self.zeroed)  # first and whole: it must start as zeros
        others = [a for name, a in self.arrays.items() if name != self.zeroed]
        for group in [g for g in ([zeroed], others) if g and g[0] is not None]:
            for a in range(0, self.n, step):
                if self.stop.is_set():
                    return
                for array in group:
                    array[a : a + step] = 0
                if group[0] is zeroed:
                    self.done = min(a + step, self.n)

    def ready(self) -> None:
        self.stop.set()
        if self.started:
            self.join()
        if self.zeroed in self.arrays:
            self.arrays[self.zeroed][self.done :] = 0

    def __contains__(self, name: str) -> bool:
        return name in self.arrays

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


# numpy asks the kernel to back each large array with huge pages (madvise MADV_HUGEPAGE).
# Where the kernel then compacts memory on the spot (transparent_hugepage/defrag = madvise)
# or a VM's host backs the guest's pages lazily, every fresh 2 MB page stalls: on the build VM
# the engine spent twice the time in the kernel as in its own code, writing ~1 GB of fresh
# output columns. The engine turns the advice off while it runs (numpy's own switch, which
# NUMPY_MADVISE_HUGEPAGE=0 also sets) and back as it was; True leaves numpy's choice alone.
HUGEPAGE_ADVICE = False


class _Advice:
    lock = threading.Lock()
    users = 0
    saved = True


@contextmanager
def no_hugepage_advice() -> Iterator[None]:
    """numpy's huge-page advice off inside, unless ``HUGEPAGE_ADVICE``; then as it was."""
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    switch = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if HUGEPAGE_ADVICE or switch is None:  # pragma: no cover - numpy without the switch
        yield
        return
    with _Advice.lock:  # concurrent calls: the first turns it off, the last restores it
        if not _Advice.users:
            _Advice.saved = switch(False)
        _Advice.users += 1
    try:
        yield
    finally:
        with _Advice.lock:
            _Advice.users -= 1
            if not _Advice.users:
                switch(_Advice.saved)


# The calling thread's DuckDB connection, kept between calls: connecting and creating the
# macros costs ~20 ms, most of explaining a small posting's few hundred lines.
_DUCK = threading.local()


def keep_connection(
    con: duckdb.DuckDBPyConnection, threads: int, setup: str
) -> duckdb.DuckDBPyConnection:
    """Keep ``con`` (made by ``duckdb_connection(..., threads, setup)``) as this thread's."""
    _DUCK.con, _DUCK.threads, _DUCK.setup = con, threads, setup
    return con


def drop_connection() -> None:
    """Close this thread's connection: a failed query may have left a view registered."""
    con, _DUCK.con = getattr(_DUCK, "con", None), None
    if con is not None:
        with suppress(duckdb.Error):
            con.close()


def duckdb_connection(pool: ThreadPoolExecutor, threads: int, setup: str) -> Future:
    """This thread's connection with ``threads`` and ``setup`` (the SQL run on connecting)
    as a done future, else a new one started on ``pool``."""
    kept = getattr(_DUCK, "con", None) is not None
    if kept and _DUCK.threads == threads and _DUCK.setup == setup:
        done: Future = Future()
        done.set_result(_DUCK.con)
        return done
    return pool.submit(_connect, threads, setup)


def _connect(threads: int, setup: str) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB, one per calling thread (``_DUCK``): nothing is shared
    between threads, and each query's views are unregistered after it. It only ranks and
    formats text, so it gets the cores and needs no memory limit of its own."""
    # large_string results: pandas keeps them as they are.
    con = duckdb.connect(config={"threads": threads, "arrow_large_buffer_size": True})
    con.execute(setup)
    return con


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The query's result as an Arrow table, on DuckDB 1.x or 2."""
    relation = con.sql(sql)
    # DuckDB 2 renamed fetch_arrow_table (1.x) to to_arrow_table.
    if hasattr(relation, "to_arrow_table"):
        return relation.to_arrow_table()
    return relation.fetch_arrow_table()  # pragma: no cover - DuckDB 1.x


class Clock:
    """Seconds per stage, for the debug log."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = round(now - self.last, 2)
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.stages.items())
