"""The packet's analytics functions on a large practice's frames: seconds per call.

    .venv/bin/python benchmarks/analytics.py [--seed 7]

Seeded synthetic frames of the benchmark practice's size (~300,000 adjudicated lines,
~12,000 denial rows) go through each function of ``analytics.denials``,
``analytics.reimbursement`` and ``analytics.performance`` a packet page calls. Prints the
wall and CPU seconds of each call (CPU: this process, all threads; on a shared machine the
wall figure includes other work). Target: under a second of CPU each, so that the pages
stay quick on a practice of this size. These figures were assertions in the tests once;
a test suite on a busy 2-core machine is no place to measure time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payeropt_lib.analytics import denials as da
from payeropt_lib.analytics import performance
from payeropt_lib.analytics import reimbursement as rb
from payeropt_lib.remittances import remitted

PAYER_IDS = np.array(["ACME", "BETA", "MCR", "GAMMA", "DELTA", "MCD"])
PAYERS = pd.DataFrame(
    {"payer_id": PAYER_IDS, "payer_name": PAYER_IDS, "payer_class": "COMMERCIAL"}
)
TARGET_CPU_SECONDS = 1.0


def adjudicated_lines(rng: np.random.Generator, n_claims: int = 120_000) -> pd.DataFrame:
    """1-4 lines a claim over 24 months, 60 codes, six payers, some lines under-paid,
    denied or cut by MPPR: the shape ``remitted.adjudicated`` gives."""
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    claim_payer = PAYER_IDS[rng.integers(0, len(PAYER_IDS), n_claims)]
    claim_month = months[rng.integers(0, len(months), n_claims)]
    per_claim = rng.integers(1, 5, n_claims)
    claim = np.repeat(np.arange(n_claims), per_claim)
    line = np.arange(len(claim)) - np.repeat(np.cumsum(per_claim) - per_claim, per_claim) + 1
    n = len(claim)
    codes = np.array([f"99{i:03d}" for i in range(60)])
    rate = rng.integers(2_000, 20_000, len(codes))
    code_at = rng.integers(0, len(codes), n)
    units = rng.integers(1, 3, n)
    frame = pd.DataFrame(
        {
            "remit_id": (claim % 500).astype("int64"),
            "claim_id": pd.Series(claim).map(lambda c: f"C{c:07d}").to_numpy(),
            "line_number": line.astype("int64"),
            "payer_id": claim_payer[claim],
            "product_line": "",
            "procedure_code": codes[code_at],
            "modifiers": rng.choice(["", "26", "TC:LT", "25"], n),
            "units": units,
            "date_of_service": claim_month[claim],
            "service_month": claim_month[claim],
            "charge_cents": rng.integers(5_000, 50_000, n),
            "allowed_cents": rate[code_at] * units - rng.integers(0, 300, n),
            "paid_cents": rng.integers(0, 4_000, n),
            "patient_resp_cents": 0,
            "payment_date": claim_month[claim] + pd.Timedelta(days=20),
            "days_to_payment": pd.array(rng.integers(10, 90, n), dtype="Int64"),
            "primary": True,
            "outcome": rng.choice(["ok", "ok", "ok", "underpaid", "denied", "bundled"], n),
            "expected_cents": pd.array(rate[code_at] * units, dtype="Int64"),
            "contract_rate_cents": pd.array(rate[code_at], dtype="Int64"),
            "full_price": rng.random(n) > 0.05,
        }
    )
    return frame[remitted.ADJUDICATED_COLUMNS]


def denial_rows(rng: np.random.Generator, adjudicated: pd.DataFrame) -> pd.DataFrame:
    picked = adjudicated.sample(12_000, random_state=1)
    return pd.DataFrame(
        {
            "remit_id": picked["remit_id"].to_numpy(),
            "claim_seq": range(len(picked)),
            "line_seq": 0,
            "claim_id": picked["claim_id"].to_numpy(),
            "line_number": pd.array(picked["line_number"].to_numpy(), dtype="Int64"),
            "payer_id": picked["payer_id"].to_numpy(),
            "procedure_code": picked["procedure_code"].to_numpy(),
            "date_of_service": picked["date_of_service"].to_numpy(),
            "denial_class": np.where(rng.random(len(picked)) < 0.3, "bundled", "denied"),
            "group_code": "CO",
            "carc": rng.choice(["16", "29", "50", "96", "197", "97"], len(picked)),
            "carcs": "",
            "rarcs": "",
            "charge_cents": 10_000,
            "remit_date": picked["payment_date"].to_numpy(),
            "void": False,
        }
    )


def timed(call: Callable[[], object]) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    adjudicated = adjudicated_lines(rng)
    denials = denial_rows(rng, adjudicated)
    transactions = pd.DataFrame(
        {
            "claim_id": adjudicated["claim_id"][::3].to_numpy(),
            "type": "patient_payment",
            "amount_cents": 1_000,
        }
    )
    print(f"{len(adjudicated):,} adjudicated lines, {len(denials):,} denial rows")
    lines, wall, cpu = timed(lambda: da.denial_lines(denials, adjudicated))
    rows = [("denials.denial_lines", wall, cpu)]
    trend, wall, cpu = timed(lambda: rb.monthly_medians(adjudicated, PAYERS, top_n=10))
    rows.append(("reimbursement.monthly_medians", wall, cpu))
    calls: dict[str, Callable[[], object]] = {
        "denials.headline": lambda: da.headline(lines, adjudicated),
        "denials.by_reason": lambda: da.by_reason(lines),
        "denials.by_carc": lambda: da.by_carc(lines),
        "denials.by_payer": lambda: da.by_payer(lines, adjudicated, PAYERS),
        "denials.by_code": lambda: da.by_code(lines, adjudicated),
        "denials.monthly_trend": lambda: da.monthly_trend(lines, adjudicated, PAYERS),
        "denials.top_denial_reason": lambda: da.top_denial_reason(denials, adjudicated, PAYERS),
        "reimbursement.below_contract": lambda: rb.below_contract(trend),
        "performance.practice_kpis": lambda: performance.practice_kpis(adjudicated, transactions),
        "performance.payer_performance": lambda: performance.payer_performance(
            adjudicated, transactions, PAYERS
        ),
        "performance.payer_monthly": lambda: performance.payer_monthly(adjudicated, PAYERS),
    }
    for name, call in calls.items():
        _, wall, cpu = timed(call)
        rows.append((name, wall, cpu))
    print(f"{'function':<32} {'wall s':>7} {'CPU s':>7}   target: CPU < {TARGET_CPU_SECONDS} s")
    for name, wall, cpu in rows:
        mark = "" if cpu < TARGET_CPU_SECONDS else "   over target"
        print(f"{name:<32} {wall:7.2f} {cpu:7.2f}{mark}")


if __name__ == "__main__":
    main()
