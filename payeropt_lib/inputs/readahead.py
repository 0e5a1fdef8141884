"""Reading the next 837P file in a second process while this one stores the last.

Parsing a file and storing the one before it are independent until the store needs the
parse, so on two cores they can run at once. Threads do not do it: the parser calls
Arrow and NumPy hundreds of times per file, each call giving up Python's GIL and waiting
to take it back from a busy storing thread (measured: beside a thread running Python,
200,000 lines took 26 s to parse instead of 1.3 s). A process has no such wait; a parsed
file comes back pickled (Arrow-backed columns: 20 ms for 50,000 lines). Starting that
process costs about half a second of the other core, so it is used only for enough
bytes (``PARALLEL_BYTES``); the first file is parsed here meanwhile.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from . import x837

logger = logging.getLogger(__name__)

# Files of at least this many bytes in all (about 150,000 service lines) are read ahead
# in a second process; fewer are parsed in this one, when their turn comes.
PARALLEL_BYTES = 32 * 2**20

Parsed = Callable[[], x837.ClaimFile]


class Reader:
    """Hands out parses: ``ahead(name, raw)`` starts one (in the second process if there
    is one) and returns what to call for the ``ClaimFile``, which raises the file's
    ``ClaimFileRefused`` if it is refused. Use as a context manager."""

    def __init__(self, parallel: bool) -> None:
        self._pool = None
        if parallel:
            # spawn, not fork: this process may hold threads (database drivers, Arrow)
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            # not waiting for it to exit (a fifth of a second, freeing its memory)
            self._pool.shutdown(wait=False, cancel_futures=True)

    def here(self, name: str, raw: bytes) -> Parsed:
        """A parse done in this process when asked for."""
        return lambda: x837.parse(name, raw)

    def ahead(self, name: str, raw: bytes) -> Parsed:
        """A parse started now in the second process (or done here when asked for, if
        there is none or it has died)."""
        if self._pool is None:
            return self.here(name, raw)
        try:
            future = self._pool.submit(x837.parse, name, raw)
        except BrokenProcessPool:
            return self.here(name, raw)

        def result() -> x837.ClaimFile:
            try:
                return future.result()
            except BrokenProcessPool:  # killed (out of memory, say): the work is redone here
                logger.warning("the 837P reader process stopped; reading %s here", name)
                return x837.parse(name, raw)

        return result
