"""A synthetic primary-care and orthopedic practice in Dallas, TX, for demos and benchmarks.

Everything here is invented and seeded: payer names, patients, NPIs and claims. Nothing
depends on today's date. ``generate`` writes the seven interface files (section 1) for
dates of service DEMO_PERIOD_START..DEMO_PERIOD_END as seen on DEMO_AS_OF; ``big_charges_csv``
writes an arbitrarily long charges.csv for import benchmarks.

This module writes the files; what goes in them comes from ``dates`` (the demo's period
and business days), ``contracts`` (payers, contracts, fee schedules, codes, chargemaster
and Medicare amounts), ``claims`` (patients, claims, charge lines), ``records``
(encounters, appointments) and ``postings`` (what the PM system posted besides the 835s,
following the 835s the payers will send: ``remittances.planned_from_files``). The random
draws happen in one fixed order, so the same seed writes byte-identical files.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from payeropt_lib.reference.medicare import write_medicare_fees_csv

from .claims import charges_columns, claim_headers, generate_lines, monthly_counts, population
from .coding import documentation_gaps
from .contracts import (
    DEMO_LOCALITY,
    REFERENCE_MEDICARE_FEES,
    contracts_frame,
    fee_schedules_frame,
    read_rates,
)
from .dates import DEMO_AS_OF, DEMO_PERIOD_END, DEMO_PERIOD_START, months_between
from .postings import transactions_frame
from .records import appointments_frame, encounters_frame, skip_former_posting_draws
from .remittances import planned_from_files

# Callers reach the demo through this module: its dates and place are re-exported here.
__all__ = [
    "CHARGES_COLUMNS",
    "DEFAULT_SEED",
    "DEMO_AS_OF",
    "DEMO_LOCALITY",
    "DEMO_PERIOD_END",
    "DEMO_PERIOD_START",
    "FILE_NAMES",
    "REFERENCE_MEDICARE_FEES",
    "big_charges_csv",
    "generate",
]

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20261101

FILE_NAMES: dict[str, str] = {
    "contracts": "contracts.csv",
    "fee-schedules": "fee_schedules.csv",
    "medicare-fees": "medicare_fees.csv",
    "charges": "charges.csv",
    "transactions": "transactions.csv",
    "encounters": "encounters.csv",
    "appointments": "appointments.csv",
}

CHARGES_COLUMNS = (
    "claim_id",
    "line_number",
    "line_control_number",
    "patient_id",
    "date_of_service",
    "procedure_code",
    "modifiers",
    "units",
    "charge_amount",
    "primary_payer_id",
    "product_line",
    "secondary_payer_id",
    "place_of_service",
    "rendering_npi",
    "diagnosis_codes",
    "submitted_date",
)


def _write_rows(handle, columns: dict[str, np.ndarray], header: bool) -> None:
    """Write string columns as CSV rows. Values never hold ',', '"' or line breaks here
    (codes, ids, amounts), so no quoting is needed and C-level joins are fast."""
    if header:
        handle.write(",".join(columns) + "\n")
    if len(next(iter(columns.values()))):
        handle.write("\n".join(map(",".join, zip(*columns.values(), strict=True))) + "\n")


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def generate(
    out_dir: Path, claims_per_month: int = 2000, seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Write the demo practice's seven interface CSVs into ``out_dir``; returns {kind: path}.

    Kinds: contracts, fee-schedules, medicare-fees, charges, transactions, encounters,
    appointments. Dates of service run DEMO_PERIOD_START..DEMO_PERIOD_END with about
    ``claims_per_month`` claims a month (1-4 lines, ~1.6 on average); postings stop before
    DEMO_AS_OF and appointments fill the 60 days after it. The same seed writes
    byte-identical files, whatever today's date.
    """
    if claims_per_month < 1:
        raise ValueError("claims_per_month must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rates = read_rates()
    months = months_between(DEMO_PERIOD_START, DEMO_PERIOD_END)
    counts = monthly_counts(rng, months, claims_per_month)
    pop = population(rng, max(50, int(counts.sum() / 3.5)))
    c = claim_headers(rng, pop, months, counts, np.ones(len(months), np.int64))
    n = len(c["claim_id"])
    first_visit = np.zeros(n, bool)
    first_visit[np.unique(c["patient"], return_index=True)[1]] = True
    is_new = first_visit & (rng.random(n) < 0.5)  # the rest were seen before the period
    ln = generate_lines(rng, c, is_new)
    minor = rates.medicare_fees.loc[
        rates.medicare_fees["glob_days"].isin(["000", "010"]), "procedure_code"
    ]
    # A random stream of its own: every figure but the notes and diagnoses stays.
    gaps = documentation_gaps(seed, c, ln, frozenset(minor))
    # The postings follow the 835s and draw from a stream of their own (``postings``); the
    # main stream skips what they once drew there, so the notes and appointments stay.
    skip_former_posting_draws(rng, n)
    frames = {
        "contracts": contracts_frame(),
        "fee-schedules": fee_schedules_frame(rates),
        "encounters": encounters_frame(rng, c, gaps),
        "appointments": appointments_frame(rng, pop, max(5, round(claims_per_month * 1.2))),
    }
    paths = {kind: _write(frame, out_dir / FILE_NAMES[kind]) for kind, frame in frames.items()}
    paths["charges"] = out_dir / FILE_NAMES["charges"]
    with paths["charges"].open("w", encoding="utf-8", newline="") as handle:
        _write_rows(handle, charges_columns(rates, c, ln, pop), header=True)
    paths["medicare-fees"] = write_medicare_fees_csv(
        rates.medicare_fees, out_dir / FILE_NAMES["medicare-fees"]
    )
    # What the payers' 835s will pay, from the files just written (the demo writes the
    # 835s themselves once the practice is loaded: ``practice.post_demo_remittances``).
    stored, plan = planned_from_files(out_dir, DEMO_AS_OF, seed, DEMO_LOCALITY)
    frames["transactions"] = transactions_frame(seed, c, stored, plan)
    paths["transactions"] = _write(frames["transactions"], out_dir / FILE_NAMES["transactions"])
    logger.info(
        "demo practice: %d claims, %d lines, %d postings in %s",
        n, len(ln["claim"]), len(frames["transactions"]), out_dir,
    )  # fmt: skip
    return {kind: paths[kind] for kind in FILE_NAMES}


def big_charges_csv(path: Path, n_lines: int, seed: int = 1) -> Path:
    """Write a charges.csv of exactly ``n_lines`` lines of the demo practice, for benchmarks.

    Same payers, codes, chargemaster and rules as ``generate`` (so it imports against the
    demo's contracts.csv); written month by month to keep memory flat. The last claim may
    be cut short to hit the exact line count.
    """
    if n_lines < 0:
        raise ValueError("n_lines must not be negative")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rates = read_rates()
    months = months_between(DEMO_PERIOD_START, DEMO_PERIOD_END)
    # ~1.6 lines a claim; a short first pass is topped up by a second one (new claim ids).
    per_month = max(1, -(-n_lines * 100 // (162 * len(months))))
    pop = population(rng, max(100, per_month * len(months) // 3))
    next_seq = np.ones(len(months), np.int64)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(CHARGES_COLUMNS) + "\n")
        while written < n_lines:  # a second round only when the first fell short
            for i, month in enumerate(months):
                counts = monthly_counts(rng, [month], per_month)
                c = claim_headers(rng, pop, [month], counts, next_seq[i : i + 1])
                next_seq[i] += counts[0]
                is_new = rng.random(len(c["claim_id"])) < 0.12
                columns = charges_columns(rates, c, generate_lines(rng, c, is_new), pop)
                take = min(len(columns["claim_id"]), n_lines - written)
                _write_rows(handle, {k: v[:take] for k, v in columns.items()}, header=False)
                written += take
                if written >= n_lines:
                    break
    logger.info("wrote %d charge lines to %s", written, path)
    return path
