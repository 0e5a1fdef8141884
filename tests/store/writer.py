"""One writer of a practice, in a process of its own, for tests/store/test_concurrency.py.

    python -m tests.store.writer URL ORG GO KIND FILE

Loads the library and opens the store (migration check included), prints ``ready``, waits
until the file GO exists (so every writer starts at once), then imports FILE as KIND
(``era``: posts it) as the PAYEROPT_ACTOR in the PAYEROPT_ROLE the test sets, and prints
the result as one JSON line. Any error is a traceback on stderr and a non-zero exit: what
the tests look for. The tests run ``forked``, the same in a process forked from a server
that has loaded this module (and so the library) once.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from payeropt_lib import store
from payeropt_lib.inputs import imports
from payeropt_lib.remittances import posting
from payeropt_lib.store.access import Identity


def main(url: str, org: str, go: str, kind: str, file: str) -> None:
    # Who writes: PAYEROPT_ACTOR and PAYEROPT_ROLE, which test_concurrency sets from
    # tests.conftest.OWNER (importing conftest here would load pytest into every writer).
    who = Identity.of(os.environ.get("PAYEROPT_ACTOR"), os.environ.get("PAYEROPT_ROLE"))
    engine = store.engine_for(url)
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    while not Path(go).exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)
    if kind == "era":
        result = posting.post_file(engine, org, file, who)
    else:
        result = imports.import_file(engine, org, kind, file, who)
    print(json.dumps(asdict(result)), flush=True)


def forked(out: str, err: str, env: dict[str, str], *args: str) -> None:
    """``main(*args)`` in a process forked from a server that loaded this module: its
    stdout and stderr go to the files ``out`` and ``err``, and ``env`` is set, as
    ``python -m tests.store.writer`` would have them. An error is a traceback in ``err``
    and a non-zero exit code (multiprocessing's, as Python's own)."""
    for fd, path in ((1, out), (2, err)):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(opened, fd)
        os.close(opened)
    os.environ.update(env)
    main(*args)


if __name__ == "__main__":
    main(*sys.argv[1:])
