"""Import 1,000,000 charge lines into SQLite and PostgreSQL; print seconds and peak RSS.

    .venv/bin/python benchmarks/import_charges.py [--lines N] [--pg-url URL]
    .venv/bin/python benchmarks/import_charges.py --replace [--changed 0.1] [--lines N]

Each backend runs in a child process of its own, so its peak RSS is its own. The figure
is the whole `payeropt import charges` path: read, validate (pandera), convert, check
references, load (COPY / executemany) and commit. A second run of the same file shows
the cost of the idempotency check. Target (issue 3): <= 60 s and <= 2 GiB each.

``--replace`` then imports a corrected file of the same claims into the practice that
holds them: ``--changed`` of the claims (10 % by default) have every amount changed, and
one claim in 50 loses its last line. That replacement is staged, compared and merged
(inputs.imports.merge_rows). Target (issue 11): <= 2x the first import.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def corrected(charges: Path, out: Path, changed: float) -> Path:
    """The charges file with ``changed`` of its claims re-priced (+$1.00 a line) and the
    last line of one claim in 50 left out (a corrected claim that lost a line)."""
    import pandas as pd

    frame = pd.read_csv(charges, dtype=str, keep_default_na=False)
    number = frame["claim_id"].factorize()[0]
    hit = (number * 7919 % 1000) < changed * 1000
    cents = (frame["charge_amount"].astype(float) * 100).round().astype("int64") + 100
    frame.loc[hit, "charge_amount"] = [f"{c // 100}.{c % 100:02d}" for c in cents[hit]]
    line = frame["line_number"].astype(int)
    last = line.eq(line.groupby(frame["claim_id"]).transform("max")) & line.gt(1)
    frame[~(last & (number % 50 == 0))].to_csv(out, index=False)
    return out


def child(url: str, folder: Path, charges: Path, replacement: Path | None = None) -> None:
    """Runs in its own process: load contracts, time the charges import, report JSON."""
    from payeropt_lib import store
    from payeropt_lib.inputs import imports
    from payeropt_lib.store import orgs
    from payeropt_lib.store.access import Identity

    who = Identity("bench", "owner")
    engine = store.engine_for(url)
    org = "bench" + uuid.uuid4().hex[:6]
    orgs.create(engine, org, "Benchmark", who)
    orgs.opt_in(engine, org, who, True)
    imports.import_file(engine, org, "contracts", folder / "contracts.csv", who)
    stages: dict[str, float] = {}
    start = time.perf_counter()
    result = imports.import_file(
        engine,
        org,
        "charges",
        charges,
        who,
        progress=lambda s: stages.setdefault(s, time.perf_counter()),
    )
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = imports.import_file(engine, org, "charges", charges, who)
    second = time.perf_counter() - start
    replace: dict = {}
    if replacement is not None:
        start = time.perf_counter()
        r = imports.import_file(engine, org, "charges", replacement, who)
        replace = {
            "replace_seconds": time.perf_counter() - start,
            "replace_counts": [r.inserted, r.replaced, r.removed, r.unchanged],
        }
    marks = [*stages.values(), start - second]
    names = list(stages)
    split = {n: round(marks[i + 1] - marks[i], 2) for i, n in enumerate(names)}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    print(
        json.dumps(
            {
                "rows": result.rows,
                "inserted": result.inserted,
                "seconds": first,
                "stages": split,
                "reimport_seconds": second,
                "reimport_noop": again.already_imported,
                "peak_rss_mib": peak,
                **replace,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    parser.add_argument("--replace", action="store_true", help="then import a corrected file")
    parser.add_argument("--changed", type=float, default=0.1, help="share of claims changed")
    parser.add_argument("--child", nargs="+", metavar="URL FOLDER CHARGES [REPLACEMENT]")
    args = parser.parse_args()
    if args.child:
        child(*args.child[:1], *map(Path, args.child[1:]))
        return

    from scratch_db import postgres_database

    from payeropt_lib.demo import files as demo

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "practice"
        demo.generate(folder, claims_per_month=10)
        charges = tmp / "charges.csv"
        t0 = time.perf_counter()
        demo.big_charges_csv(charges, args.lines)
        size = charges.stat().st_size / 2**20
        print(
            f"generated {args.lines:,} lines ({size:.0f} MiB) in {time.perf_counter() - t0:.1f} s"
        )
        extra = []
        if args.replace:
            extra = [str(corrected(charges, tmp / "corrected.csv", args.changed))]
        with postgres_database(args.pg_url) as pg_url:
            targets = {"sqlite": f"sqlite:///{tmp / 'bench.sqlite'}", "postgresql": pg_url}
            print(
                f"{'backend':<11} {'lines':>10} {'seconds':>8} {'lines/s':>9} "
                f"{'peak RSS':>9}  {'re-import':>9}  stages (s)"
            )
            for backend, url in targets.items():
                done = subprocess.run(
                    [sys.executable, __file__, "--child", url, str(folder), str(charges), *extra],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                r = json.loads(done.stdout.strip().splitlines()[-1])
                verdict = "ok" if r["seconds"] <= 60 and r["peak_rss_mib"] <= 2048 else "OVER"
                print(
                    f"{backend:<11} {r['rows']:>10,} {r['seconds']:>8.1f} "
                    f"{r['rows'] / r['seconds']:>9,.0f} {r['peak_rss_mib']:>6,.0f} MiB  "
                    f"{r['reimport_seconds']:>8.2f}s  {r['stages']}  [{verdict}]"
                )
                if args.replace:
                    ratio = r["replace_seconds"] / r["seconds"]
                    new, replaced, removed, same = r["replace_counts"]
                    print(
                        f"{'':<11} replacement {r['replace_seconds']:.1f} s = {ratio:.2f}x the "
                        f"first import ({new:,} new, {replaced:,} replaced, {removed:,} removed, "
                        f"{same:,} unchanged)  [{'ok' if ratio <= 2 else 'OVER'}]"
                    )


if __name__ == "__main__":
    main()
