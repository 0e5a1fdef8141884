"""Frames one packet run's pages share, built once: a private folder and a file lock.

``packet.build`` sets ``CACHE_ENV`` to a temporary folder of its own for one run's page
kernels (outside the packet, removed afterwards). Pages run in parallel: the first page to
ask for a frame holds a lock while it builds it, and a page that asks meanwhile waits for
it rather than building it again on the same cores. Outside a packet run nothing is kept.

Kept this way: every table a page loads (``context.load``: so every page of a run also
reads the same snapshot of the store, even if an import lands mid-run), the priced
remitted lines (``loaders.adjudicated``), the renewal evidence
(``loaders.renewal_evidence``, on the Summary and the Contract renewals page) and the
claim ledger (``loaders.books``, on the reconciliation pages).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pandas as pd

T = TypeVar("T")

CACHE_ENV = "PAYEROPT_REPORT_CACHE"  # set by packet.build for one run's kernels


def cache_file(name: str) -> Path | None:
    """Where the frame ``name`` is kept during a packet run (None outside one)."""
    folder = os.environ.get(CACHE_ENV)
    return Path(folder) / f"{name}.pkl" if folder else None


def shared(name: str, build: Callable[[], T]) -> T:
    """The frame (or tuple of frames) ``name``: built by ``build`` once per packet run,
    then read by every page."""
    kept = cache_file(name)
    if kept is None:
        return build()
    with exclusive(kept.with_suffix(".lock")):
        if kept.is_file():
            return pd.read_pickle(kept)
        value = build()
        partial = kept.with_suffix(f".{os.getpid()}.part")
        pd.to_pickle(value, partial)
        partial.replace(kept)  # atomic: a page never reads half a file
    return value


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """An exclusive lock on a file, across processes (POSIX ``flock``; without it, none:
    the pages then may build the frame twice, never read half of one)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
