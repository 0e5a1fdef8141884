"""Shared by the profile tests: the shipped examples and mapping a file in one call."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from payeropt_lib.profiles import mapping, model, sources

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "data" / "profiles" / "examples"
# shipped profile → (its example export, the interface CSV it must become)
SHIPPED = {
    "pm-charge-detail": ("pm-charge-detail.csv", "pm-charge-detail.expected.csv"),
    "pm-transaction-detail": ("pm-transaction-detail.csv", "pm-transaction-detail.expected.csv"),
    "payer-fee-schedule-xlsx": (
        "payer-fee-schedule-xlsx.xlsx",
        "payer-fee-schedule-xlsx.expected.csv",
    ),
}
# What the examples' payers are: a contracts.csv in the interface's own columns.
CONTRACTS = (
    (
        "payer_id,payer_name,product_line,payer_class,effective_from,basis,medicare_percent,"
        "medicare_locality\n"
    )
    + """MCR,Medicare Part B (Texas),,MEDICARE,2025-01-01,medicare_percent,100,01112-05
MGAP,Willowmere Medigap Supplement,,COMMERCIAL,2025-01-01,medicare_percent,100,01112-05
PMH,Prairie Mutual Health,HMO,COMMERCIAL,2025-01-01,fee_schedule,,
PMH,Prairie Mutual Health,PPO,COMMERCIAL,2025-01-01,fee_schedule,,
CRHP,Cedar Ridge Health Plan,,COMMERCIAL,2025-01-01,fee_schedule,,
"""
)


def map_file(profile: str | model.Profile, path: Path) -> mapping.Mapped:
    """``path`` through ``profile`` (a shipped name, or a parsed profile)."""
    if isinstance(profile, str):
        profile = model.load(profile)[0]
    sheets = list(profile.sheets) if profile.sheets else None
    grids = sources.read_grids(path.name, path.read_bytes(), sheets)
    return mapping.apply(profile, path.name, grids)


def expected(name: str) -> pd.DataFrame:
    return pd.read_csv(EXAMPLES / name, dtype=str, keep_default_na=False)
