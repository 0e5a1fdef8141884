"""Pricing modifiers: the CPT modifiers that change which rate row prices a line.

Only the professional (26) and technical (TC) components have rates of their own (domain.md
section 2.1); 25, 59, RT and the rest never make a separate rate row. A line's pricing
modifier is the first 26 or TC among its ':'-joined modifiers, else '' (the global service).
"""

from __future__ import annotations

import re

import pandas as pd

PRICING_MODIFIERS: tuple[str, ...] = ("", "26", "TC")  # in code order 0, 1, 2
_PATTERN = re.compile(r"(?:^|:)(26|TC)(?=:|$)")


def pricing_modifier(modifiers: str | None) -> str:
    """'26:59' → '26', 'RT' → '', None → ''."""
    hit = _PATTERN.search(modifiers) if modifiers else None
    return hit.group(1) if hit else ""


def pricing_modifiers(modifiers: pd.Series) -> pd.Series:
    """``pricing_modifier`` of a column (str, same index). A practice uses a few dozen
    modifier strings, so each distinct one is read once, not once per line."""
    codes, uniques = pd.factorize(modifiers.fillna("").astype("str"))
    found = [pricing_modifier(u) for u in uniques]
    values = pd.Series(found, dtype="str").to_numpy()[codes] if len(found) else []
    return pd.Series(values, index=modifiers.index, dtype="str")
