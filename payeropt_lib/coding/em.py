"""Office and outpatient E/M levels the documentation supports (domain.md 6.1; interface
section 5), against what was billed: up and down alike.

``em_suggestions(encounters, lines)`` is pure and vectorized (no loop over encounters):
- the billed E/M of an encounter is the first office E/M line of its claim (99202-99205
  new, 99211-99215 established), and only an encounter typed the same kind is compared;
- the supported level is the higher of the level the documented MDM meets and the level
  the documented total time meets ("met or exceeded", 2024+: new 15/30/45/60 minutes,
  established 10/20/30/40); nothing documented that meets a level, no suggestion;
- a suggestion is recorded only when the supported code differs from the billed one
  (99211 is never suggested: it has no MDM or time of its own);
- prolonged time, only when the top level is met by time, per full 15 minutes beyond
  the first-unit point: CPT 99417 from 75 (new) / 55 (established) minutes, Medicare's
  G2212 from 89 / 69 (``payer_class`` MEDICARE). Suggested as rows of their own, up when
  fewer units (or none) are billed, down when more are billed than the time supports.

Each row says the documented facts it rests on (``support``); ``is_compliant`` is true
because a row is only made from facts the encounter documents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = [
    "claim_id", "line_number", "kind", "original_code", "suggested_code", "units",
    "direction", "support", "is_compliant",
]  # fmt: skip
KIND = "em_level"
CODES = {
    "new": np.array(["", "99202", "99203", "99204", "99205"], dtype=object),
    "established": np.array(["99211", "99212", "99213", "99214", "99215"], dtype=object),
}
LEVEL_OF = {code: (kind, level) for kind, codes in CODES.items()
            for level, code in enumerate(codes) if code}  # fmt: skip
MDM_LEVEL = {"straightforward": 1, "low": 2, "moderate": 3, "high": 4}
# Total time that meets levels 1-4 ("met or exceeded").
TIME_MEETS = {"new": np.array([15, 30, 45, 60]), "established": np.array([10, 20, 30, 40])}
# Where the first prolonged unit is reached, less 15 minutes: units = (time - base) // 15.
PROLONGED_BASE = {
    ("99417", "new"): 60, ("99417", "established"): 40,
    ("G2212", "new"): 74, ("G2212", "established"): 54,
}  # fmt: skip
PROLONGED_CODES = ("99417", "G2212")


def em_suggestions(encounters: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """The E/M level and prolonged-time suggestions (``COLUMNS``), sorted by claim.

    ``encounters``: claim_id, encounter_type, total_time_minutes (blank = not
    documented), mdm_level (blank = not documented). ``lines``: the claims' lines with
    claim_id, line_number, procedure_code, units and payer_class."""
    billed = _billed_em(lines)
    seen = billed.merge(
        encounters[["claim_id", "encounter_type", "total_time_minutes", "mdm_level"]],
        on="claim_id",
    )
    seen = seen[seen["encounter_type"].eq(seen["kind"])].reset_index(drop=True)
    is_new = seen["kind"].eq("new").to_numpy()
    minutes = pd.to_numeric(seen["total_time_minutes"], errors="coerce").to_numpy("float64")
    mdm = seen["mdm_level"].map(MDM_LEVEL).fillna(0).to_numpy("int64")
    by_time = np.where(
        is_new,
        _met(minutes, TIME_MEETS["new"]),
        _met(minutes, TIME_MEETS["established"]),
    )
    level = np.maximum(mdm, by_time)
    codes = np.where(is_new, CODES["new"][level], CODES["established"][level])
    support = _support(seen, mdm, by_time, minutes, is_new, codes)
    differs = (level > 0) & (codes != seen["procedure_code"].to_numpy(object))
    direction = np.where(level > seen["level"].to_numpy(), "up", "down")
    levels = pd.DataFrame(
        {
            "claim_id": seen["claim_id"],
            "line_number": seen["line_number"],
            "kind": KIND,
            "original_code": seen["procedure_code"],
            "suggested_code": codes,
            "units": 1,
            "direction": direction,
            "support": support,
            "is_compliant": True,
        }
    )[differs]
    prolonged = _prolonged(seen, lines, minutes, mdm, by_time, is_new)
    out = pd.concat([levels, prolonged], ignore_index=True)
    return (
        out[COLUMNS]
        .sort_values(["claim_id", "line_number", "suggested_code"])
        .reset_index(drop=True)
    )


def _billed_em(lines: pd.DataFrame) -> pd.DataFrame:
    """The first office E/M line of each claim: claim_id, line_number, procedure_code,
    kind (new, established), level (0-4), payer_class."""
    em = lines[lines["procedure_code"].isin(list(LEVEL_OF))]
    em = em.sort_values(["claim_id", "line_number"]).drop_duplicates("claim_id")
    kind_level = em["procedure_code"].map(LEVEL_OF)
    return pd.DataFrame(
        {
            "claim_id": em["claim_id"],
            "line_number": em["line_number"].astype("int64"),
            "procedure_code": em["procedure_code"],
            "kind": kind_level.str[0],
            "level": kind_level.str[1].astype("int64"),
            "payer_class": em["payer_class"],
        }
    ).reset_index(drop=True)


def _met(minutes: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """The level each documented time meets (0: none, or no time documented)."""
    met = np.searchsorted(thresholds, np.nan_to_num(minutes, nan=-1.0), side="right")
    return met.astype("int64")


def _support(
    seen: pd.DataFrame,
    mdm: np.ndarray,
    by_time: np.ndarray,
    minutes: np.ndarray,
    is_new: np.ndarray,
    codes: np.ndarray,
) -> np.ndarray:
    """The documented facts the supported level rests on: the MDM, the time, or both
    when both meet it."""
    top = np.maximum(mdm, by_time)
    threshold = np.where(
        is_new, TIME_MEETS["new"][np.maximum(by_time, 1) - 1],
        TIME_MEETS["established"][np.maximum(by_time, 1) - 1],
    )  # fmt: skip
    mdm_fact = "mdm_level=" + seen["mdm_level"].fillna("").astype(str)
    time_fact = (
        "total_time_minutes=" + pd.Series(minutes).fillna(0).astype("int64").astype(str)
        + " (at least " + pd.Series(threshold).astype(str) + " for " + pd.Series(codes) + ")"
    )  # fmt: skip
    use_mdm = (mdm == top) & (mdm > 0)
    use_time = (by_time == top) & (by_time > 0)
    both = np.where(use_mdm & use_time, mdm_fact.to_numpy(object) + "; ", "")
    return np.where(
        use_mdm & ~use_time,
        mdm_fact.to_numpy(object),
        both + np.where(use_time, time_fact.to_numpy(object), ""),
    )


def _prolonged(
    seen: pd.DataFrame,
    lines: pd.DataFrame,
    minutes: np.ndarray,
    mdm: np.ndarray,
    by_time: np.ndarray,
    is_new: np.ndarray,
) -> pd.DataFrame:
    """Prolonged-time rows: the units the documented time supports against the units of
    that code billed on the claim. No time documented, no row."""
    medicare = seen["payer_class"].eq("MEDICARE").to_numpy()
    code = np.where(medicare, "G2212", "99417")
    base = np.select(
        [medicare & is_new, medicare & ~is_new, is_new],
        [PROLONGED_BASE[("G2212", "new")], PROLONGED_BASE[("G2212", "established")],
         PROLONGED_BASE[("99417", "new")]],
        PROLONGED_BASE[("99417", "established")],
    )  # fmt: skip
    by_top_time = (by_time == 4) & (by_time >= mdm)
    due = np.where(by_top_time, np.floor((np.nan_to_num(minutes) - base) / 15), 0)
    due = np.maximum(due, 0).astype("int64")
    # The add-on time billed on the claim, whichever code (Medicare takes G2212, others
    # 99417): a claim billed the other payer's code is suggested the right one.
    extra = lines[lines["procedure_code"].isin(PROLONGED_CODES)]
    billed = (
        extra.sort_values(["claim_id", "line_number"])
        .groupby("claim_id", as_index=False)
        .agg(have=("units", "sum"), at=("line_number", "min"), billed=("procedure_code", "first"))
    )
    found = pd.DataFrame({"claim_id": seen["claim_id"]}).merge(billed, how="left", on="claim_id")
    have = found["have"].fillna(0).to_numpy("int64")
    line = found["at"].fillna(seen["line_number"]).to_numpy("int64")
    billed_code = found["billed"].fillna("").to_numpy(object)
    wrong_code = (have > 0) & (billed_code != code)
    documented = ~np.isnan(minutes)
    fact = (
        "total_time_minutes=" + pd.Series(np.nan_to_num(minutes)).astype("int64").astype(str)
        + " (" + pd.Series(due).astype(str) + " full 15-minute units of " + pd.Series(code)
        + ")"
    )  # fmt: skip
    return pd.DataFrame(
        {
            "claim_id": seen["claim_id"].to_numpy(),
            "line_number": line,
            "kind": KIND,
            "original_code": np.where(have > 0, billed_code, ""),
            "suggested_code": np.where(due > 0, code, ""),
            "units": due,
            "direction": np.select([due > have, due < have], ["up", "down"], "none"),
            "support": fact.to_numpy(object),
            "is_compliant": True,
        }
    )[documented & ((due != have) | wrong_code)]
