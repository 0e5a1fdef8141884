"""A year of daily 835s: the fixed cost of posting a file, paid 1,500 times.

    .venv/bin/python benchmarks/era_many.py [--claims-per-month 1700] [--seed 20261101]
                                            [--limit N] [--work DIR] [--pg] [--pg-url URL]

A practice's remittances arrive as many small files, not one large one: about 1,500 a year
(one per payer and payment day, often split), 2-30 claims each. What a file costs whatever
its size (pricing set-up, reading the practice's rate tables, explanation and task steps,
pandas on tiny frames) is then most of the year's posting time.

Set-up (not timed): the demo practice (``payeropt_lib.demo``: its contracts, fee schedules,
Medicare fees and two years of charges, ``--claims-per-month`` claims a month) is loaded
into a fresh store; the demo payers' payments (``demo.remittances.plan_payments``: planted
under-payments, denials, bundled lines...) made in the demo's last year are cut, per payer
in payment-date order, into files of 2-30 claims (``2 + Binomial(28, 0.4)``: 13 on average),
each one payment, written with ``inputs.era_writer``; 40 other claims of that year become
1-claim files. Timed: the year's files posted as ``payeropt import era ORG DIR`` posts a
folder (``posting.post_files``: consecutive files that share no claim are evaluated and
written as one batch), then the 1-claim files one by one (``post_file``), as a day's
single file arrives.

Printed: the year's total and its seconds per file, all in (the fixed cost of a file is at
most that), the number of batches, the seconds of each posting stage summed over the year
(``post_files(timings=...)``), and the 1-claim files' median when each is posted alone.
Targets (issue 11): the year <= 60 s on SQLite; the fixed cost <= 40 ms a file.

SQLite by default (a temporary file, or ``--work DIR``, which keeps the generated files and
the loaded store between runs: the store is copied before each run); ``--pg`` posts into a
temporary PostgreSQL database too (created from ``--pg-url`` and dropped).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payeropt_lib import store  # noqa: E402
from payeropt_lib.demo import files as demo_files  # noqa: E402
from payeropt_lib.demo import practice  # noqa: E402
from payeropt_lib.demo import remittances as demo_era  # noqa: E402
from payeropt_lib.inputs import onboarding  # noqa: E402
from payeropt_lib.remittances import posting  # noqa: E402
from payeropt_lib.store import orgs  # noqa: E402
from payeropt_lib.store.access import Identity  # noqa: E402

WHO = Identity("bench", "owner")
ORG = "many"
YEAR_FROM = pd.Timestamp(demo_files.DEMO_AS_OF) - pd.DateOffset(years=1)
SINGLES = 40  # 1-claim files, posted after the year
TARGET_TOTAL = 60.0
TARGET_FIXED = 0.040


def load_practice(engine, folder: Path) -> None:
    """The demo practice's files, imported as a consultant would (``onboarding``)."""
    orgs.create(engine, ORG, "Many files", WHO, locality=demo_files.DEMO_LOCALITY)
    orgs.opt_in(engine, ORG, WHO, True)
    onboarding.load_folder(engine, ORG, folder, WHO)


def write_files(engine, out: Path, seed: int) -> list[Path]:
    """The last year's payments of the loaded practice as small daily 835s, in posting order
    (the year's files, then the 1-claim files)."""
    plan = practice.payment_plan(engine, ORG, seed)
    plan = plan[plan["payment_date"] >= YEAR_FROM].sort_values(
        ["payment_date", "claim_id", "line_number"], kind="stable"
    )
    rng = np.random.default_rng(seed)
    claims = plan["claim_id"].unique()
    single = set(rng.choice(claims, SINGLES, replace=False).tolist())
    parts: list[tuple[pd.Timestamp, str, pd.DataFrame]] = []
    for payer, rows in plan[~plan["claim_id"].isin(single)].groupby("primary_payer_id"):
        ids = rows["claim_id"].unique()  # payment-date order
        cuts = np.cumsum(2 + rng.binomial(28, 0.4, len(ids)))
        cuts = cuts[cuts < len(ids)]
        chunk = dict(
            zip(ids, np.searchsorted(cuts, np.arange(len(ids)), side="right"), strict=True)
        )
        for _, part in rows.groupby(rows["claim_id"].map(chunk), sort=True):
            parts.append((part["payment_date"].max(), payer, part))
    singles = [
        (part["payment_date"].max(), part["primary_payer_id"].iloc[0], part)
        for _, part in plan[plan["claim_id"].isin(single)].groupby("claim_id", sort=True)
    ]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, (paid, payer, part) in enumerate(
        sorted(parts, key=lambda p: (p[0], p[1])) + singles, start=1
    ):
        full = demo_era.FORMATS.get(payer, demo_era.DEFAULT_FORMAT)[4]
        day = paid.strftime("%Y%m%d")
        frames = demo_era.writer_frames(part.assign(month=day), full, None)
        frames["transactions"]["trace_number"] = f"{payer}{day}N{n:04d}"
        data = demo_era.payer_file(frames, payer, n, paid)
        path = out / f"{n:05d}_{day}_{payer}.835"
        path.write_bytes(data)
        paths.append(path)
    return paths


def prepare(work: Path, claims_per_month: int, seed: int) -> tuple[Path, list[Path]]:
    """The practice's files, the loaded SQLite store (template) and the 835s, under ``work``
    (made once per ``work`` folder and settings)."""
    tag = f"{claims_per_month}_{seed}"
    template = work / f"practice_{tag}.sqlite"
    era_dir = work / f"era_{tag}"
    practice = work / f"practice_{tag}"
    if not template.exists() or not era_dir.exists():
        shutil.rmtree(era_dir, ignore_errors=True)
        template.unlink(missing_ok=True)
        demo_files.generate(practice, claims_per_month=claims_per_month, seed=seed)
        building = work / "building.sqlite"
        building.unlink(missing_ok=True)
        engine = store.engine_for(f"sqlite:///{building}")
        load_practice(engine, practice)
        write_files(engine, era_dir, seed)
        store.dispose_all()
        building.rename(template)
    return practice, sorted(era_dir.glob("*.835"))


def post_all(engine, paths: list[Path], singles: int) -> dict:
    """The year's files posted as ``payeropt import era ORG DIR`` posts a folder
    (``posting.post_files``: batches of files that share no claim); then the 1-claim
    files one by one (``post_file``), as a day's single file arrives."""
    batches = []
    evaluate = posting.evaluate

    def counted(*args, **kwargs):
        batches.append(len(args[1]))  # the payments evaluated together
        return evaluate(*args, **kwargs)

    posting.evaluate = counted
    try:
        stages: dict[str, float] = {}
        started = time.perf_counter()
        year = [
            o for _, o in posting.post_files(engine, ORG, paths[:-singles], WHO, timings=stages)
        ]
        total = time.perf_counter() - started
        one_by_one = []
        for path in paths[-singles:]:
            t0 = time.perf_counter()
            posting.post_file(engine, ORG, path, WHO)
            one_by_one.append(time.perf_counter() - t0)
    finally:
        posting.evaluate = evaluate
    refused = [o for o in year if isinstance(o, Exception)]
    if refused:
        raise SystemExit(f"{len(refused)} files refused, the first: {refused[0]}")
    return {
        "total": total,
        "results": year,
        "batches": batches[: len(batches) - singles],
        "stages": stages,
        "singles": np.array(one_by_one),
    }


def report(backend: str, run: dict) -> None:
    results, total, n = run["results"], run["total"], len(run["results"])
    lines = sum(r.lines for r in results)
    print(
        f"{backend}: {n} files, {sum(r.claims for r in results)} claims, {lines} lines posted "
        f"in {total:.1f} s (target <= {TARGET_TOTAL:.0f} s): "
        f"{sum(r.underpaid for r in results)} under-paid, "
        f"{sum(r.overpaid for r in results)} over-paid, "
        f"{sum(r.denied + r.bundled for r in results)} denied or bundled, "
        f"{sum(r.tasks_opened for r in results)} tasks opened"
    )
    print(
        f"  {1000 * total / n:.1f} ms a file, all in (so at most that of fixed cost; target "
        f"<= {1000 * TARGET_FIXED:.0f} ms), in {len(run['batches'])} batches of files "
        f"sharing no claim (median {statistics.median(run['batches']):.0f} payments)"
    )
    ones = run["singles"]
    print(
        "  a 1-claim file posted alone (a batch of one): median "
        f"{1000 * statistics.median(ones):.0f} ms, "
        f"p95 {1000 * float(np.percentile(ones, 95)):.0f} ms ({len(ones)} files)"
    )
    print("  stages of the year, s (ms per file):")
    print(
        "    "
        + ", ".join(
            f"{stage} {took:.2f} ({1000 * took / n:.1f})"
            for stage, took in run["stages"].items()
            if took >= 0.0005
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims-per-month", type=int, default=1700)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--limit", type=int, help="post only the first N files of the year")
    parser.add_argument("--work", type=Path, help="keep generated files and store here")
    parser.add_argument("--pg", action="store_true", help="post into PostgreSQL too")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        practice, paths = prepare(work, args.claims_per_month, args.seed)
        year = paths[:-SINGLES]
        if args.limit:
            year = year[: args.limit]
        paths = year + paths[-SINGLES:]
        sizes = [p.stat().st_size for p in paths]
        print(
            f"set-up {time.perf_counter() - started:.0f} s (not timed): {len(year)} files of "
            f"the year from {YEAR_FROM.date()} + {SINGLES} 1-claim files, "
            f"{sum(sizes) / 1e6:.1f} MB"
        )
        db = work / "run.sqlite"
        shutil.copyfile(
            next(work.glob(f"practice_{args.claims_per_month}_{args.seed}.sqlite")), db
        )
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        engine = store.engine_for(f"sqlite:///{db}")
        report("sqlite", post_all(engine, paths, SINGLES))
        store.dispose_all()
        if args.pg:
            post_pg(args.pg_url, practice, paths)


def post_pg(admin_url: str, practice: Path, paths: list[Path]) -> None:
    from scratch_db import postgres_database

    with postgres_database(admin_url, "payeropt_many") as url:
        engine = store.engine_for(url)
        load_practice(engine, practice)
        report("postgresql", post_all(engine, paths, SINGLES))


if __name__ == "__main__":
    main()
