"""One writer of a practice, in a process of its own, for tests/store/test_concurrency.py.

    python -m tests.store.writer URL ORG GO KIND FILE

Loads the library and opens the store (migration check included), prints ``ready``, waits
until the file GO exists (so every writer starts at once), then imports FILE as KIND
(``era``: posts it) as the PAYEROPT_ACTOR in the PAYEROPT_ROLE the test sets, and prints
the result as one JSON line. Any error is a traceback on stderr and a non-zero exit: what
the tests look for.
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

# Who writes: PAYEROPT_ACTOR and PAYEROPT_ROLE, which test_concurrency sets from
# tests.conftest.OWNER (importing conftest here would load pytest into every writer).
OWNER = Identity.of(os.environ.get("PAYEROPT_ACTOR"), os.environ.get("PAYEROPT_ROLE"))


def main(url: str, org: str, go: str, kind: str, file: str) -> None:
    engine = store.engine_for(url)
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    while not Path(go).exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)
    if kind == "era":
        result = posting.post_file(engine, org, file, OWNER)
    else:
        result = imports.import_file(engine, org, kind, file, OWNER)
    print(json.dumps(asdict(result)), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
