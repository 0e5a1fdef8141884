"""One writer of a practice, in a process of its own, for tests/store/test_concurrency.py.

    python -m tests.store.writer URL ORG GO KIND FILE

Loads the library and opens the store (migration check included), prints ``ready``, waits
until the file GO exists (so every writer starts at once), then imports FILE as KIND
(``era``: posts it) and prints the result as one JSON line. Any error is a traceback on
stderr and a non-zero exit: what the tests look for.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from payeropt_lib import store
from payeropt_lib.inputs import imports
from payeropt_lib.remittances import posting
from tests.conftest import OWNER


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
