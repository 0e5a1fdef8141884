"""A corrected charges file arriving after the practice's 835s were posted: the import and
the re-evaluation of every posted line it touches (issue 11: 1,000,000 lines, 200,000
posted lines affected, target ≤ 30 s).

    .venv/bin/python benchmarks/reevaluate.py [--claims-per-month 25600] [--share 0.2]
                                              [--seed N] [--work DIR]

Set-up (not timed): the demo generator's practice at ``claims_per_month`` × 24 months
(25,600 → about 615,000 claims and 1,000,000 charge lines), its 835s written and posted.
Then a corrected charges file, the whole file again with every line of a ``share`` of the
claims (drawn at random) charged one dollar more (so those claims are replaced and every
posted line of them is evaluated again; the others are unchanged and left alone), is
imported into two copies of the store: once without the re-evaluation hook, once with it.
Prints both times, their difference (the re-evaluation), the posted lines evaluated again
and what changed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payeropt_lib import config, store  # noqa: E402
from payeropt_lib.demo import practice  # noqa: E402
from payeropt_lib.inputs import imports  # noqa: E402
from payeropt_lib.remittances import reevaluation  # noqa: E402
from payeropt_lib.store import tables  # noqa: E402

TARGET_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims-per-month", type=int, default=25600)
    parser.add_argument("--share", type=float, default=0.2, help="share of claims corrected")
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument(
        "--check", action="store_true",
        help="then evaluate every posted line again: it must change nothing",
    )  # fmt: skip
    args = parser.parse_args()
    root = args.work or Path(tempfile.mkdtemp(prefix="payeropt-reeval-"))
    db = root / "posted.sqlite"
    start = time.perf_counter()
    if not db.exists():
        practice.demo_practice(root, config.sqlite_url(db), args.claims_per_month, args.seed)
    org = config.DEMO_ORG
    engine = store.engine_for(config.sqlite_url(db))
    posted = store.read_frame(engine, tables.remit_lines, org, ["remit_id"])
    print(f"set-up (not timed) {time.perf_counter() - start:7.1f} s: {len(posted):,} posted lines")

    charges = pd.read_csv(root / "files" / "charges.csv", dtype=str, keep_default_na=False)
    claims = charges["claim_id"].unique()
    rng = np.random.default_rng(args.seed)
    chosen = charges["claim_id"].isin(
        rng.choice(claims, round(args.share * len(claims)), replace=False)
    )
    amount = pd.to_numeric(charges["charge_amount"]) + chosen.astype(int)
    corrected = root / "charges_corrected.csv"
    charges.assign(charge_amount=amount.map("{:.2f}".format)).to_csv(corrected, index=False)
    print(
        f"corrected charges file: {len(charges):,} lines; {chosen.sum():,} lines of "
        f"{round(args.share * len(claims)):,} of {len(claims):,} claims changed"
    )

    timed = {}
    for label, after in (("import alone", None), ("import + re-evaluation", "hook")):
        copy = root / f"copy-{len(timed)}.sqlite"
        shutil.copyfile(db, copy)
        engine = store.engine_for(config.sqlite_url(copy))
        done: list = []

        def hook(*a, _done=done) -> None:
            _done.append(reevaluation.after_import(*a))

        t = time.perf_counter()
        imports.import_file(
            engine, org, "charges", corrected, practice.DEMO_ACTOR,
            after=hook if after else None,
        )  # fmt: skip
        timed[label] = time.perf_counter() - t
        extra = f"  {done[0].summary()}" if done and done[0] else ""
        print(f"{label:<24} {timed[label]:7.1f} s{extra}")
        if args.check and after:
            from payeropt_lib.store.access import Identity

            t = time.perf_counter()
            with store.writing(engine, org) as conn:
                every = reevaluation.remits_since(conn, org, None)
                check = reevaluation.reevaluate(
                    conn, org, every, Identity("bench", "owner"), "check"
                )
            print(f"{'check: all again':<24} {time.perf_counter() - t:7.1f} s  {check.summary()}")
    reeval = timed["import + re-evaluation"] - timed["import alone"]
    met = "met" if reeval <= TARGET_SECONDS else "MISSED"
    print(f"re-evaluation            {reeval:7.1f} s  (target ≤ {TARGET_SECONDS:.0f} s: {met})")


if __name__ == "__main__":
    main()
