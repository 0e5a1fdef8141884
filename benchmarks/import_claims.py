"""Import the same claim lines from 837P files and from charges.csv; print MB/s, seconds
and peak RSS for each, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/import_claims.py [--lines N] [--per-file N] [--repeat N]
        [--db URL]...

The lines are the demo practice's (``demo.files.big_charges_csv``), written as 837P files
by ``inputs.x837_writer`` (``--per-file`` lines each, 250,000 by default) and imported as
``payeropt import claims`` does (``claims.import_claim_files``). Each import runs in a
child process of its own, so its peak RSS is its own, into an empty store of its own (a
new SQLite file, a new PostgreSQL database); every child loads the demo's contracts into
a new practice first. The two imports alternate, ``--repeat`` times; medians are shown.
Target (issue 16): the 837P import <= 1.5x the charges.csv time on each backend, and
<= 2 GiB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def write_837s(charges: Path, folder: Path, per_file: int) -> list[Path]:
    """charges.csv → 837P files of about ``per_file`` lines (whole claims per file)."""
    import pandas as pd

    from payeropt_lib.inputs import x837_writer

    frame = pd.read_csv(charges, dtype=str, keep_default_na=False)
    whole, _, frac = frame.pop("charge_amount").str.partition(".").values.T
    pairs = zip(whole, frac, strict=True)
    frame["charge_cents"] = [int(w) * 100 + int((f + "00")[:2]) for w, f in pairs]
    frame["units"] = frame["units"].astype(int)
    frame["line_number"] = frame["line_number"].astype(int)
    if "submitted_date" not in frame or (frame["submitted_date"] == "").any():
        frame["submitted_date"] = frame["date_of_service"]
    number = frame["claim_id"].factorize()[0]
    starts = frame.groupby(number).cumcount().eq(0).cumsum() - 1
    chunk = (frame.index.to_series() // per_file).to_numpy()
    # a claim stays in the file where its first line falls
    first_chunk = pd.Series(chunk).groupby(starts.to_numpy()).transform("first").to_numpy()
    paths = []
    folder.mkdir(parents=True, exist_ok=True)
    for i, part in frame.groupby(first_chunk, sort=True):
        path = folder / f"claims-{i:03d}.837"
        path.write_bytes(x837_writer.write(part, isa_control=int(i) + 1))
        paths.append(path)
    return paths


def child(url: str, kind: str, practice: Path, *files: Path) -> None:
    """Runs in its own process: load contracts, time the import, report JSON."""
    from payeropt_lib import store
    from payeropt_lib.inputs import claims, imports
    from payeropt_lib.store import orgs
    from payeropt_lib.store.access import Identity

    who = Identity("bench", "owner")
    engine = store.engine_for(url)
    org = "bench" + uuid.uuid4().hex[:6]
    orgs.create(engine, org, "Benchmark", who)
    orgs.opt_in(engine, org, who, True)
    imports.import_file(engine, org, "contracts", practice / "contracts.csv", who)
    start = time.perf_counter()
    rows = 0
    if kind == "charges":
        for path in files:
            rows += imports.import_file(engine, org, "charges", path, who).rows
    else:  # as `payeropt import claims ORG FILES...` does
        for _path, result in claims.import_claim_files(engine, org, files, who):
            rows += result.rows
    seconds = time.perf_counter() - start
    stored = store.count_rows(engine, store.tables.charges, org)
    # this process's peak plus its 837P reader process's (readahead), once it has ended:
    # the two peaks need not coincide, so their sum is an upper bound
    for reader in multiprocessing.active_children():
        reader.join()
    peak = _peak_mib() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "stored": stored, "seconds": seconds, "peak_mib": peak}))


def _peak_mib() -> float:
    """This process's peak RSS: VmHWM, which starts afresh at exec (ru_maxrss would carry
    the parent's peak, the generated files, over the fork)."""
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(url: str, kind: str, practice: Path, files: list[Path]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", url, kind, str(practice), *map(str, files)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=250_000)
    parser.add_argument("--db", action="append", help="database URL (default: SQLite and PG)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each import (median)")
    parser.add_argument("--child", nargs="+", metavar="URL KIND PRACTICE FILE")
    args = parser.parse_args()
    if args.child:
        url, kind, practice, *files = args.child
        child(url, kind, Path(practice), *map(Path, files))
        return

    from payeropt_lib import store
    from payeropt_lib.demo import files as demo

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        practice = tmp / "practice"
        demo.generate(practice, claims_per_month=10)
        charges = tmp / "charges.csv"
        t0 = time.perf_counter()
        demo.big_charges_csv(charges, args.lines)
        x837s = write_837s(charges, tmp / "837", args.per_file)
        csv_mb = charges.stat().st_size / 1e6
        x837_mb = sum(p.stat().st_size for p in x837s) / 1e6
        print(
            f"generated {args.lines:,} lines: charges.csv {csv_mb:.0f} MB, {len(x837s)} 837P "
            f"files {x837_mb:.0f} MB, in {time.perf_counter() - t0:.1f} s"
        )
        backends = {store.redact(u): u for u in args.db} if args.db else {
            "sqlite": "sqlite", "postgresql": "postgresql"}  # fmt: skip
        print(f"{'backend':<11} {'input':<11} {'lines':>10} {'seconds':>8} {'MB/s':>6} "
              f"{'peak RSS':>9}   (median of {args.repeat})")  # fmt: skip
        for backend, url in backends.items():
            runs: dict[str, list[dict]] = {"charges": [], "claims": []}
            for _ in range(args.repeat):  # alternated: a slow spell of the machine hits both
                for kind, files in (("charges", [charges]), ("claims", x837s)):
                    with _fresh_store(url, tmp) as target:
                        runs[kind].append(_run(target, kind, practice, files))
            csv_run, x_run = (_median(runs[k]) for k in ("charges", "claims"))
            for label, r, mb in (("charges.csv", csv_run, csv_mb), ("837P", x_run, x837_mb)):
                print(
                    f"{backend:<11} {label:<11} {r['stored']:>10,} {r['seconds']:>8.1f} "
                    f"{mb / r['seconds']:>6.1f} {r['peak_mib']:>5,.0f} MiB"
                )
            ratio = x_run["seconds"] / csv_run["seconds"]
            ok = ratio <= 1.5 and x_run["peak_mib"] <= 2048
            print(f"{backend:<11} 837P / charges.csv = {ratio:.2f}x  [{'ok' if ok else 'OVER'}]")


def _median(runs: list[dict]) -> dict:
    """The run of median seconds (its own peak RSS with it)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


@contextlib.contextmanager
def _fresh_store(url: str, tmp: Path) -> Iterator[str]:
    """An empty store for one run, dropped after: every import starts from the same
    state (a URL given with --db is used as it is)."""
    from scratch_db import postgres_database

    if url == "postgresql":
        with postgres_database(PG_DEFAULT) as pg:
            yield pg
    elif url == "sqlite":
        name = f"payeropt_bench_{uuid.uuid4().hex[:6]}"
        yield f"sqlite:///{tmp / name}.sqlite"
        for leftover in tmp.glob(f"{name}.sqlite*"):
            leftover.unlink()
    else:
        yield url


if __name__ == "__main__":
    main()
