"""Payer aliases: the names and ids a payer goes by in 835 files, compared one way.

Imports store a contract's ``payer_aliases`` normalized; posting normalizes the 835's
payer name and ids the same way before looking them up (``remittances.matching``). Kept
apart from the import path so that reading an alias does not load pandera.
"""

from __future__ import annotations

import pandas as pd


def normalize_alias(values: pd.Series) -> pd.Series:
    """835 senders vary case and spacing: compare upper-case with single blanks."""
    return values.fillna("").str.upper().str.split().str.join(" ")
