"""Claim-line frames for the 837P tests, written to files by ``x837_writer``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from payeropt_lib.inputs import x837_writer
from tests.conftest import GOOD


def good_lines() -> pd.DataFrame:
    """The good fixture's charges.csv as writer input (20 lines, 8 claims)."""
    lines = pd.read_csv(GOOD / "charges.csv", dtype=str, keep_default_na=False)
    cents = lines.pop("charge_amount").str.replace(".", "", regex=False).astype(int)
    lines["charge_cents"] = cents
    lines["units"] = lines["units"].astype(int)
    lines["line_number"] = lines["line_number"].astype(int)
    lines["submitted_date"] = "2025-02-01"
    return lines


def claim(lines: pd.DataFrame, claim_id: str) -> pd.DataFrame:
    return lines[lines["claim_id"] == claim_id].copy()


def write(folder: Path, name: str, lines: pd.DataFrame, **kwargs) -> Path:
    path = folder / name
    path.write_bytes(x837_writer.write(lines, **kwargs))
    return path
