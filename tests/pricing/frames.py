"""Frames shaped like the store's tables (``store.read_frame``), for the pricing tests: each
builder takes the rows a test cares about and fills in the rest."""

from __future__ import annotations

import pandas as pd

CONTRACT = {
    "org_id": "demo",
    "payer_id": "AET",
    "product_line": "",
    "effective_from": "2025-01-01",
    "payer_name": "Aetna",
    "payer_class": "COMMERCIAL",
    "basis": "fee_schedule",
    "medicare_percent_x1000": None,
    "medicare_locality": None,
    "lesser_of_charges": True,
    "mppr_percent_x1000": 50_000,
}
CONTRACT_TYPES = {
    "effective_from": "datetime64[ns]",
    "medicare_percent_x1000": "Int64",
    "medicare_locality": "str",
    "lesser_of_charges": bool,
    "mppr_percent_x1000": "int64",
}
FEE_TYPES = {
    "payer_id": "str",
    "product_line": "str",
    "procedure_code": "str",
    "modifier": "str",
    "allowed_cents": "int64",
    "effective_from": "datetime64[ns]",
    "effective_to": "datetime64[ns]",
}
MEDICARE_TYPES = {
    "locality": "str",
    "procedure_code": "str",
    "modifier": "str",
    "non_facility_cents": "int64",
    "facility_cents": "int64",
    "mult_proc": "str",
    "effective_from": "datetime64[ns]",
    "effective_to": "datetime64[ns]",
}


def contracts(*rows: dict) -> pd.DataFrame:
    """Contract rows: ``CONTRACT`` with what each row gives."""
    frame = pd.DataFrame([{**CONTRACT, **r} for r in rows], columns=list(CONTRACT))
    return frame.astype(CONTRACT_TYPES)


def fees(*rows: tuple) -> pd.DataFrame:
    """(payer_id, product_line, code, modifier, cents, from[, to]); open ended without to."""
    full = [(*r, None) if len(r) == 6 else r for r in rows]
    return pd.DataFrame(full, columns=list(FEE_TYPES)).astype(FEE_TYPES)


def medicare(*rows: tuple) -> pd.DataFrame:
    """(locality, code, modifier, non_facility_cents, facility_cents[, mult_proc][, from, to]);
    calendar 2025 unless given, mult_proc unknown (NA) unless given."""
    full = [(*r, None) if len(r) == 5 else r for r in rows]
    full = [r if len(r) == 8 else (*r, "2025-01-01", "2026-01-01") for r in full]
    return pd.DataFrame(full, columns=list(MEDICARE_TYPES)).astype(MEDICARE_TYPES)
