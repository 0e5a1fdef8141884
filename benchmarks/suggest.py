"""The whole ``payeropt suggest`` over about 500,000 encounters; prints seconds (target,
issue 14: <= 20 s).

    .venv/bin/python benchmarks/suggest.py [--encounters N] [--db URL] [--seed S]

The practice is the demo practice grown to N encounters (``demo.files.generate`` with
more claims a month: the same payers, codes, notes and documentation gaps), its
contracts, rates, charges and notes imported and its payer rules (the NCCI pairs among
them) approved, as ``make demo`` does; setting it up is not timed. Then, timed, each as
the CLI runs it:
- ``record.suggest``: read the practice's frames, run the three engines (E/M, ICD-10-CM,
  modifiers), bring the store to what they found; once on an empty table, once again
  (nothing new: the run a practice makes every day);
- the engines alone (``record.find`` on frames already read), per engine;
- ``record.listing`` as billing: every suggestion with its payment impact priced.
SQLite in a temporary folder unless ``--db`` names a PostgreSQL database (emptied first).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from payeropt_lib import store
from payeropt_lib.coding import em, icd10, modifiers, record
from payeropt_lib.demo import files as demo_files
from payeropt_lib.demo import rules as demo_rules
from payeropt_lib.demo.dates import DEMO_AS_OF
from payeropt_lib.inputs import imports
from payeropt_lib.rules import repository, subjects
from payeropt_lib.store import orgs, tables
from payeropt_lib.store.access import Identity

OWNER = Identity("bench", "owner")
BILLING = Identity("bench-billing", "billing_manager")
KINDS = ("contracts", "medicare-fees", "fee-schedules", "charges", "encounters")
ENCOUNTERS_PER_MONTHLY_CLAIM = 36_692 / 2_000 / 24  # the demo: 2,000 claims a month


def practice(url: str, encounters: int, seed: int, folder: Path) -> str:
    per_month = max(1, round(encounters / ENCOUNTERS_PER_MONTHLY_CLAIM / 24))
    paths = demo_files.generate(folder, claims_per_month=per_month, seed=seed)
    engine = store.engine_for(url)
    org = "bench"
    orgs.create(engine, org, "Benchmark Practice", OWNER, locality=demo_files.DEMO_LOCALITY)
    orgs.opt_in(engine, org, OWNER, accept_disclosure=True)
    for kind in KINDS:
        imports.import_file(engine, org, kind, paths[kind], OWNER)
    demo_rules.load_rules(engine, org, OWNER, None)
    return org


def timed(what: str, work):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    result = work()
    print(f"{what}: {time.perf_counter() - start:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=500_000)
    parser.add_argument("--db", help="a PostgreSQL URL (default: SQLite in a temp folder)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--profile", action="store_true", help="profile a second run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.sqlite"
        if args.db:  # emptied whole: tables, the audit trigger and its function
            import sqlalchemy as sa

            wipe = sa.create_engine(url)
            with wipe.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            wipe.dispose()
        start = time.perf_counter()
        org = practice(url, args.encounters, args.seed, Path(tmp) / "files")
        engine = store.engine_for(url)
        n_enc = store.count_rows(engine, tables.encounters, org)
        n_lines = store.count_rows(engine, tables.charges, org)
        print(f"{engine.dialect.name}: {n_enc:,} encounters, {n_lines:,} claim lines "
              f"(set up in {time.perf_counter() - start:.0f} s, not timed)")  # fmt: skip
        first = timed("payeropt suggest, first run", lambda: record.suggest(
            engine, org, BILLING, DEMO_AS_OF))  # fmt: skip
        print(f"  {first.summary()}")
        if args.profile:
            import cProfile
            import pstats

            with cProfile.Profile() as prof:
                record.suggest(engine, org, BILLING, DEMO_AS_OF)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
        again = timed("payeropt suggest, again (nothing new)", lambda: record.suggest(
            engine, org, BILLING, DEMO_AS_OF))  # fmt: skip
        assert again.recorded == again.withdrawn == 0
        frames = {t: store.read_frame(engine, getattr(tables, t), org, columns)
                  for t, columns in record.READ.items()}  # fmt: skip
        pairs = repository.ptp_pairs(engine, org)
        lines = subjects.claim_lines(frames["charges"], frames["contracts"], DEMO_AS_OF,
                                     record.LINE_FIELDS)  # fmt: skip
        days = modifiers.global_days(frames["medicare_fees"])
        timed("  engine: E/M", lambda: em.em_suggestions(frames["encounters"], lines))
        timed("  engine: ICD-10-CM", lambda: icd10.icd10_suggestions(frames["encounters"], lines))
        timed("  engine: modifiers", lambda: modifiers.modifier_suggestions(
            frames["encounters"], lines, pairs, days))  # fmt: skip
        listed = timed("payeropt suggestions (billing: payment impact priced)",
                       lambda: record.listing(engine, org, BILLING))  # fmt: skip
        print(f"  {len(listed):,} suggestions, "
              f"{listed['payment_impact'].ne('').sum():,} priced")  # fmt: skip
        store.dispose_all()


if __name__ == "__main__":
    main()
