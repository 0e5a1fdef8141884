"""Procedure codes as the pages count and name them: code + pricing modifier.

Only 26 and TC change the price (``reference.modifiers``), so a page counts and labels a
code with its pricing modifier ("73562-26") and never with 25, 59, RT and the like.
"""

from __future__ import annotations

import pandas as pd

from payeropt_lib.reference.modifiers import pricing_modifiers

CODE_KEY = ["procedure_code", "modifier"]


def code_keys(lines: pd.DataFrame) -> pd.DataFrame:
    """procedure_code and modifier ('' or the line's 26/TC pricing modifier), same index.

    Needs: procedure_code, modifiers (':'-joined, '' or NA when none).
    """
    return pd.DataFrame(
        {
            "procedure_code": lines["procedure_code"].astype("str"),
            "modifier": pricing_modifiers(lines["modifiers"]),
        },
        index=lines.index,
    )


def code_label(codes: pd.DataFrame) -> pd.Series:
    """'73562-26' from procedure_code and modifier ('73562' when the modifier is '')."""
    return codes["procedure_code"] + codes["modifier"].where(
        codes["modifier"].eq(""), "-" + codes["modifier"]
    )


def top_codes(lines: pd.DataFrame, top_n: int, min_lines: int = 1) -> pd.DataFrame:
    """The ``top_n`` codes (+ pricing modifier) with the most lines, at least ``min_lines``.

    Needs: procedure_code, modifiers. Returns procedure_code, modifier, volume (int64
    lines), most lines first, ties by code and modifier.
    """
    counted = code_keys(lines).groupby(CODE_KEY).size().rename("volume").reset_index()
    counted = counted[counted["volume"].ge(min_lines)].astype({"volume": "int64"})
    ranked = counted.sort_values(
        ["volume", *CODE_KEY], ascending=[False, True, True], kind="stable"
    )
    return ranked.head(top_n).reset_index(drop=True)
