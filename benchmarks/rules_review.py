"""Import a 100,000-pair practitioner PTP file (`payeropt import ncci`) and approve it
(`rules approve --import`) on SQLite and PostgreSQL; print seconds for each.

    .venv/bin/python benchmarks/rules_review.py [--pairs N] [--pg-url URL]

The file is written in CMS's published layout (the header of the test sample, then one
row per pair). Approval writes one audit entry per version, as any approval does. The
audit key goes to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parents[1]


def run(url: str, pairs: Path) -> tuple[float, float]:
    from payeropt_lib import store
    from payeropt_lib.inputs.onboarding import load_folder
    from payeropt_lib.rules import repository
    from payeropt_lib.store import orgs
    from payeropt_lib.store.access import Identity

    engine = store.engine_for(url)
    owner, billing = Identity("olive", "owner"), Identity("bea", "billing_manager")
    org = f"bench{uuid.uuid4().hex[:8]}"
    orgs.create(engine, org, "Rules bench", owner)
    orgs.opt_in(engine, org, owner, accept_disclosure=True)
    load_folder(engine, org, ROOT / "tests" / "data" / "good", owner)
    start = time.perf_counter()
    done = repository.import_ncci(engine, org, pairs, "MCR", billing, "2026Q4")
    imported = time.perf_counter() - start
    start = time.perf_counter()
    repository.approve(engine, org, owner, import_id=done.import_id)
    return imported, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="payeropt-rules-bench-"))
    os.environ["PAYEROPT_AUDIT_KEY_FILE"] = str(work / "payeropt" / "audit.key")
    sample = ROOT / "tests" / "data" / "rules" / "ncci" / "ccipra-v313r0-f1.txt"
    head = sample.read_text(encoding="latin-1").splitlines()[:6]
    # Distinct pairs of 5-digit codes, half bypassable by a modifier.
    rows = [
        f"{10000 + i % 80000:05d}\t{10000 + (i * 7 + 1 + i // 80000) % 80000:05d}\t\t"
        f"20200101\t*\t{i % 2}\tStandards of medical / surgical practice"
        for i in range(args.pairs)
    ]
    pairs = work / "ccipra-bench.txt"
    pairs.write_text("\r\n".join([*head, *rows]) + "\r\n", encoding="latin-1")
    for name, url in (
        ("sqlite", f"sqlite:///{work / 'bench.sqlite'}"),
        ("postgresql", args.pg_url),
    ):
        imported, approved = run(url, pairs)
        print(f"{name}: import ncci {args.pairs:,} pairs {imported:.2f} s, "
              f"approve --import {approved:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
