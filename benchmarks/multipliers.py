"""``reconciliation.multipliers.infer`` on a large frame: seconds per call.

    .venv/bin/python benchmarks/multipliers.py [--lines 1000000] [--payers 250] [--seed 7]

Seeded synthetic inputs: ``--lines`` adjudicated lines (with place of service and 835
filing indicator) over 24 months of service, ``--payers`` payers (a fifth with HMO and PPO
product lines, the others one), 300 codes with a 26/TC share, 4 Medicare schedule
periods (2024 A and B, 2025, 2026) at 2 localities, percent contracts for four payers in
five. Allowed = Medicare of the date of service (or, for one payer in ten, 2024's) × the
payer's percent, a few cents of noise, and a share of lines denied, bundled, reduced, at
charge or without a Medicare amount. Prints wall and CPU seconds of ``infer`` (best of
``--repeat``) and of ``line_ratios`` alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payeropt_lib.reconciliation import multipliers as m  # noqa: E402

LOCALITIES = ("01112-05", "04412-11")
PERIODS = (("2024-01-01", "2024-03-09"), ("2024-03-09", "2025-01-01"),
           ("2025-01-01", "2026-01-01"), ("2026-01-01", None))  # fmt: skip


def medicare_fees(rng: np.random.Generator, codes: np.ndarray, mods: np.ndarray) -> pd.DataFrame:
    """Every code at every locality and period; each period moves each code a little."""
    frames = []
    base = rng.integers(2_000, 80_000, len(codes))
    for locality in LOCALITIES:
        level = rng.integers(900, 1_100)
        for start, end in PERIODS:
            step = rng.integers(960, 1_040, len(codes))
            nonfac = base * level // 1000 * step // 1000
            frames.append(
                pd.DataFrame(
                    {
                        "locality": locality,
                        "procedure_code": codes,
                        "modifier": mods,
                        "effective_from": pd.Timestamp(start),
                        "effective_to": pd.Timestamp(end) if end else pd.NaT,
                        "non_facility_cents": nonfac,
                        "facility_cents": nonfac * 7 // 10,
                        "mult_proc": rng.choice(["0", "2", "4"], len(codes), p=[0.8, 0.15, 0.05]),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def inputs(n: int, n_payers: int, seed: int) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(seed)
    codes = np.array([f"{c:05d}" for c in rng.choice(np.arange(10_000, 99_999), 300, False)])
    mods = np.where(rng.random(300) < 0.1, "26", np.where(rng.random(300) < 0.05, "TC", ""))
    fees = medicare_fees(rng, codes, mods)
    payers = np.array([f"P{i:03d}" for i in range(n_payers)])
    percent = rng.integers(70, 160, n_payers) * 1000
    frozen = rng.random(n_payers) < 0.1  # pays 2024 Medicare whatever the date
    lines_of = [p for p in payers[: n_payers // 5] for _ in ("HMO", "PPO")]
    plans = pd.DataFrame(
        {
            "payer_id": list(payers[: n_payers // 5]) * 2 + list(payers[n_payers // 5 :]),
            "product_line": ["HMO"] * (n_payers // 5) + ["PPO"] * (n_payers // 5)
            + [""] * (n_payers - n_payers // 5),
        }
    )  # fmt: skip
    del lines_of
    contracted = plans[rng.random(len(plans)) < 0.8]
    idx = contracted["payer_id"].str[1:].astype(int).to_numpy()
    contracts = pd.DataFrame(
        {
            "payer_id": contracted["payer_id"].to_numpy(),
            "product_line": contracted["product_line"].to_numpy(),
            "effective_from": pd.Timestamp("2020-01-01"),
            "basis": "medicare_percent",
            "medicare_percent_x1000": pd.array(percent[idx], dtype="Int64"),
            "medicare_locality": LOCALITIES[0],
        }
    )

    plan = rng.integers(0, len(plans), n)
    code = rng.integers(0, len(codes), n)
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 640, n), unit="D")
    units = np.where(rng.random(n) < 0.1, 2, 1)
    facility = rng.random(n) < 0.2
    payer = plans["payer_id"].to_numpy()[plan]
    pidx = np.array([int(p[1:]) for p in plans["payer_id"]])[plan]
    # The Medicare amount a line is paid from: its date's, or 2024-06's for a frozen payer.
    lookup = fees[fees["locality"].eq(LOCALITIES[0])]
    lookup = lookup.assign(period=lookup["effective_from"].dt.year * 10 + (
        lookup["effective_from"].dt.month > 1))  # fmt: skip
    period = np.where(frozen[pidx], 20241, np.asarray(days.year) * 10)
    table = lookup.set_index(["period", "procedure_code"])
    amount = table.reindex(pd.MultiIndex.from_arrays([period, codes[code]]))
    medicare = np.where(facility, amount["facility_cents"], amount["non_facility_cents"])
    allowed = medicare * units * percent[pidx] // 100_000 + rng.integers(-2, 3, n)
    outcome = rng.choice(["ok", "denied", "bundled", "underpaid"], n, p=[0.9, 0.04, 0.02, 0.04])
    allowed = np.where(np.isin(outcome, ["denied", "bundled"]), 0, allowed)
    pl = plans["product_line"].to_numpy()[plan]
    known = rng.random(n) < 0.7  # the charge names its product line on 70 % of lines
    lines = pd.DataFrame(
        {
            "remit_id": rng.integers(1, 20_000, n),
            "claim_id": (np.arange(n) // 3).astype(str),
            "line_number": np.arange(n) % 3 + 1,
            "payer_id": payer,
            "product_line": np.where(known, pl, ""),
            "procedure_code": codes[code],
            "modifiers": np.where(rng.random(n) < 0.03, "51", mods[code]),
            "units": units,
            "date_of_service": days,
            "service_month": days.to_period("M").to_timestamp(),
            "charge_cents": medicare * units * 3,
            "allowed_cents": allowed,
            "primary": rng.random(n) < 0.97,
            "outcome": outcome,
            "full_price": rng.random(n) < 0.97,
            "place_of_service": np.where(facility, "21", "11"),
            "filing_indicator": np.where(pl == "HMO", "HM", "12"),
        }
    )
    return lines, contracts, fees


def timed(call) -> tuple[float, float, object]:  # noqa: ANN001
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--payers", type=int, default=250)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lines, contracts, fees = inputs(args.lines, args.payers, args.seed)
    print(f"{len(lines):,} lines, {lines['payer_id'].nunique()} payers, {len(fees):,} fee rows")
    best = None
    for _ in range(args.repeat):
        wall, cpu, table = timed(lambda: m.infer(lines, contracts, fees, LOCALITIES[1]))
        best = (wall, cpu) if best is None or wall < best[0] else best
    print(f"infer: {best[0]:.2f} s wall, {best[1]:.2f} s CPU (best of {args.repeat})")
    wall, cpu, ratios = timed(lambda: m.line_ratios(lines, contracts, fees, LOCALITIES[1]))
    print(f"line_ratios alone: {wall:.2f} s wall, {cpu:.2f} s CPU")
    counted = ratios["reason"].eq("").mean()
    print(f"{len(table)} payer × product line rows; {counted:.0%} of lines counted; "
          f"{table['status'].value_counts().to_dict()}")  # fmt: skip
    print(f"best year 2024 for {int(table['medicare_year'].eq(2024).sum())} rows")


if __name__ == "__main__":
    main()
