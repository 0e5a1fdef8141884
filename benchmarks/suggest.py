"""Coding suggestions over 500,000 encounters; print seconds (target, issue 14: <= 20 s
for the whole `payeropt suggest`).

    .venv/bin/python benchmarks/suggest.py [--encounters N] [--seed S]

Today the E/M level engine (``coding.em.em_suggestions``): synthetic new and established
visits with MDM and total time documented or not, billed at every level, a tenth of them
with prolonged-time units, for Medicare and commercial payers. Generation is not timed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from payeropt_lib.coding import em


def frames(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    codes = np.array(list(em.LEVEL_OF), dtype=object)
    billed = rng.choice(codes, n)
    kind = np.array([em.LEVEL_OF[c][0] for c in codes], dtype=object)[
        pd.Index(codes).get_indexer(billed)
    ]
    claim = pd.Series(np.arange(n)).map("C{:09d}".format)
    minutes = pd.array(np.where(rng.random(n) < 0.7, rng.integers(5, 120, n), -1), "Int64")
    minutes[minutes < 0] = pd.NA
    mdm = np.array([None, *em.MDM_LEVEL], dtype=object)[rng.integers(0, 5, n)]
    encounters = pd.DataFrame(
        {"claim_id": claim, "encounter_type": kind, "total_time_minutes": minutes,
         "mdm_level": mdm}
    )  # fmt: skip
    payer = np.where(rng.random(n) < 0.4, "MEDICARE", "COMMERCIAL")
    lines = pd.DataFrame(
        {"claim_id": claim, "line_number": 1, "procedure_code": billed, "units": 1,
         "payer_class": payer}
    )  # fmt: skip
    extra = rng.random(n) < 0.1
    prolonged = pd.DataFrame(
        {"claim_id": claim[extra], "line_number": 2,
         "procedure_code": np.where(payer[extra] == "MEDICARE", "G2212", "99417"),
         "units": rng.integers(1, 4, int(extra.sum())), "payer_class": payer[extra]}
    )  # fmt: skip
    return encounters, pd.concat([lines, prolonged], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    encounters, lines = frames(args.encounters, np.random.default_rng(args.seed))
    start = time.perf_counter()
    found = em.em_suggestions(encounters, lines)
    seconds = time.perf_counter() - start
    by = found.groupby("direction").size().to_dict()
    print(f"encounters {len(encounters):,}  lines {len(lines):,}")
    print(f"E/M suggestions {len(found):,} {by}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
