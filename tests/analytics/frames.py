"""Hand-built analytics inputs shared by the test files of this folder."""

from __future__ import annotations

import numpy as np
import pandas as pd

PAYERS = pd.DataFrame(
    {
        "payer_id": ["ACME", "BETA", "MCR", "MCD"],
        "payer_name": ["Acme Health Plan", "Beta Insurance", "Medicare Part B", "State Medicaid"],
        "payer_class": ["COMMERCIAL", "COMMERCIAL", "MEDICARE", "MEDICAID"],
    }
)
_counter = iter(range(1, 10**9))


def adjudicated(
    payer: str,
    n_claims: int,
    *,
    outcome: str = "ok",
    charge: int = 20_000,
    allowed: int = 10_000,
    paid: int = 8_000,
    expected: int | None = 10_000,
    days: int = 30,
    product: str = "",
    month: str = "2025-03-01",
    lines_per_claim: int = 1,
    primary: bool = True,
    claim_ids: list[str] | None = None,
) -> pd.DataFrame:
    """``n_claims`` claims of ``lines_per_claim`` identical lines each."""
    ids = claim_ids or [f"CLM{next(_counter):06d}" for _ in range(n_claims)]
    claim = np.repeat(ids, lines_per_claim)
    line = np.tile(np.arange(1, lines_per_claim + 1), len(ids))
    day = pd.Timestamp(month) + pd.Timedelta(days=4)
    n = len(claim)
    return pd.DataFrame(
        {
            "remit_id": 1,
            "claim_id": claim,
            "line_number": line,
            "payer_id": payer,
            "product_line": product,
            "procedure_code": "99213",
            "modifiers": "",
            "units": 1,
            "date_of_service": day,
            "service_month": pd.Timestamp(month),
            "charge_cents": np.full(n, charge, dtype="int64"),
            "allowed_cents": np.full(n, allowed, dtype="int64"),
            "paid_cents": np.full(n, paid, dtype="int64"),
            "patient_resp_cents": np.full(n, allowed - paid, dtype="int64"),
            "payment_date": day + pd.Timedelta(days=days),
            "days_to_payment": pd.array([days] * n, dtype="Int64"),
            "primary": primary,
            "outcome": outcome if primary else "not_primary",
            "expected_cents": pd.array([expected] * n, dtype="Int64"),
            "contract_rate_cents": pd.array([expected] * n, dtype="Int64"),
            "full_price": True,
        }
    )
