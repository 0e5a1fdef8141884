"""Import → packet for one large practice, and a 20-practice batch with 1 and 2 workers.

    .venv/bin/python benchmarks/packet.py [--claims-per-month 6250] [--practices 20]
                                          [--batch-claims-per-month 150] [--keep DIR]
                                          [--skip-batch] [--skip-single]

Single practice: the synthetic demo generator writes ``claims_per_month`` × 24 months of
claims (6,250 → 150,000 claims, ~240,000 lines) with the seven interface CSVs; they are
imported (timed), the payers' 835s are written from what was imported (not timed: that is
test-data generation) and posted (timed), then the packet is written (timed). Prints
seconds per stage, the end-to-end figure, and the packet's size (HTML + assets, not the
executed notebooks kept for debugging). Targets: ≤ 30 s end to end (issue 12; issue 5 had
60 s), ≤ 6 MB; the batch of 20 with 2 workers ≤ 60 s (issue 12).

Batch: ``--practices`` smaller practices in one SQLite store (each its own seed), then
``packet.build.write_packets`` over all of them with 1 worker and with 2; both times printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payeropt_lib import config, store
from payeropt_lib.demo import files as demo
from payeropt_lib.demo import practice
from payeropt_lib.demo import remittances as demo_era
from payeropt_lib.inputs import onboarding
from payeropt_lib.packet import build as packets
from payeropt_lib.packet import pages
from payeropt_lib.remittances import posting
from payeropt_lib.store import orgs, tables

TARGET_SECONDS = 30.0
BATCH_TARGET_SECONDS = 60.0  # 20 practices of ~3,600 claims, 2 workers
TARGET_BYTES = 6 * 1024 * 1024


def _clock() -> callable:
    start = time.perf_counter()
    return lambda: time.perf_counter() - start


def packet_bytes(folder: Path) -> int:
    """What a practice manager receives: the packet folder (pages, index, assets; the
    executed notebooks are kept elsewhere, if at all)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def single(root: Path, claims_per_month: int, seed: int) -> None:
    files = root / "files"
    t = _clock()
    demo.generate(files, claims_per_month=claims_per_month, seed=seed)
    print(f"generate CSVs (not timed)      {t():7.1f} s")
    url = config.sqlite_url(root / "bench.sqlite")
    engine = store.engine_for(url)
    who = practice.DEMO_ACTOR
    orgs.create(engine, "big", "Benchmark Practice", who, locality=demo.DEMO_LOCALITY)
    orgs.opt_in(engine, "big", who, accept_disclosure=True)

    timed = {}
    t = _clock()
    onboarding.load_folder(engine, "big", files, who)
    timed["import CSVs"] = t()
    charges = store.read_frame(engine, tables.charges, "big")
    n_claims, n_lines = charges["claim_id"].nunique(), len(charges)
    print(
        f"import CSVs                    {timed['import CSVs']:7.1f} s  "
        f"({n_claims:,} claims, {n_lines:,} lines)"
    )

    t = _clock()
    frames = {
        name: store.read_frame(engine, table, "big")
        for name, table in (
            ("contracts", tables.contracts),
            ("fee_schedules", tables.fee_schedules),
            ("medicare_fees", tables.medicare_fees),
        )
    }
    plan = demo_era.plan_payments(
        charges,
        frames["contracts"],
        frames["fee_schedules"],
        frames["medicare_fees"],
        demo.DEMO_AS_OF,
        seed,
    )
    era_dir = files / "era"
    era_dir.mkdir(exist_ok=True)
    written = demo_era.remittance_files(plan, seed)
    for name, content in written.items():
        (era_dir / name).write_bytes(content)
    size = sum(len(c) for c in written.values())
    print(
        f"write 835s (not timed)         {t():7.1f} s  ({len(written)} files, {size / 1e6:.1f} MB)"
    )

    t = _clock()
    stages: dict[str, float] = {}
    # As `payeropt import era ORG DIR` posts a folder: in batches (posting.post_files).
    posted = posting.post_files(
        engine, "big", [era_dir / name for name in sorted(written)], who, timings=stages
    )
    results = [r for _, r in posted if isinstance(r, posting.PostResult)]
    timed["post 835s"] = t()
    assert len(results) == len(written), "an 835 was refused"
    print(
        f"post 835s                      {timed['post 835s']:7.1f} s  "
        f"({size / 1e6 / timed['post 835s']:.1f} MB/s; "
        f"{sum(r.underpaid for r in results):,} under-paid lines)"
    )
    slowest = sorted(stages.items(), key=lambda kv: -kv[1])[:8]
    print(
        "  slowest posting stages (s, all files): " + ", ".join(f"{k} {v:.1f}" for k, v in slowest)
    )

    out = root / "packet"
    t = _clock()
    packets.write_packet(url, "big", out, as_of=demo.DEMO_AS_OF.isoformat(), who=who)
    timed["packet"] = t()
    print(
        f"packet ({len(pages.PAGES)} pages, "
        f"{packets.default_workers()} workers)     {timed['packet']:7.1f} s"
    )

    total = sum(timed.values())
    nbytes = packet_bytes(out)
    print(
        f"end to end (import + post + packet): {total:.1f} s  "
        f"(target ≤ {TARGET_SECONDS:.0f} s: {'met' if total <= TARGET_SECONDS else 'MISSED'})"
    )
    print(
        f"packet size: {nbytes / 1024 / 1024:.2f} MiB  "
        f"(target ≤ 6 MiB: {'met' if nbytes <= TARGET_BYTES else 'MISSED'})"
    )
    written = sorted(out.glob("*.html"))
    for page in written:
        print(f"  {page.name:28} {page.stat().st_size / 1024:8.0f} KiB")
    for asset in sorted((out / packets.ASSETS_DIR).iterdir()):
        print(f"  assets/{asset.name:21} {asset.stat().st_size / 1024:8.0f} KiB")


def batch(root: Path, practices: int, claims_per_month: int, setup_only: bool = False) -> None:
    url = config.sqlite_url(root / "batch.sqlite")
    t = _clock()
    # With --keep, a finished set-up is reused (demo_practice is idempotent per practice).
    for i in range(practices):
        practice.demo_practice(
            root / f"p{i:02d}",
            url,
            claims_per_month=claims_per_month,
            seed=1000 + i,
            org_id=f"p{i:02d}",
            name=f"Benchmark Practice {i + 1:02d}",
        )
    print(
        f"set-up: {practices} practices of ~{claims_per_month * 24:,} claims "
        f"(not timed)   {t():7.1f} s"
    )
    for workers in (1, 2):
        t = _clock()
        result = packets.write_packets(
            url, root / f"batch-{workers}", as_of=demo.DEMO_AS_OF.isoformat(), workers=workers
        )
        seconds = t()
        target = ""
        if workers == 2 and practices == 20:
            met = "met" if seconds <= BATCH_TARGET_SECONDS else "MISSED"
            target = f"  (target ≤ {BATCH_TARGET_SECONDS:.0f} s: {met})"
        print(
            f"batch of {len(result.packets)} packets with {workers} worker(s): {seconds:7.1f} s"
            f"  ({len(result.failed)} failed){target}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims-per-month", type=int, default=6250)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument("--batch-claims-per-month", type=int, default=150)
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--setup-only", action="store_true", help="build the batch, time nothing")
    parser.add_argument("--keep", type=Path, help="keep the work here instead of a temp dir")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("TQDM_DISABLE", "1")
    root = args.keep or Path(tempfile.mkdtemp(prefix="payeropt-packet-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}; work in {root}")
    try:
        if not args.skip_single:
            single(root / "single", args.claims_per_month, args.seed)
        if not args.skip_batch:
            batch(root / "batch", args.practices, args.batch_claims_per_month, args.setup_only)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
