"""The structured facts of a note: encounters.csv ``documented_findings`` (interface
section 1), ``key=value`` items separated by ``;``. One home for how every engine reads
them, so the ICD-10-CM and modifier suggestions never disagree on what a note says.

- Names and values are trimmed and read in any case (``Laterality = LEFT`` is
  ``laterality=left``).
- A fact is documented only with a value ``FACTS`` knows; ``laterality=unspecified`` or a
  bare ``distinct_service`` documents nothing.
- A fact given twice with different values (any value, known or not) documents nothing:
  the note contradicts itself, so no suggestion may rest on it.
- A claim with several encounter rows has the value those that say it agree on, else
  none.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

# Each fact the engines read and the values it may take.
FACTS: dict[str, tuple[str, ...]] = {
    # ICD-10-CM specificity (icd10)
    "laterality": ("right", "left", "bilateral"),
    "episode": ("initial", "subsequent", "sequela"),
    "fracture": ("closed", "open"),
    "healing": ("routine", "delayed", "nonunion", "malunion"),
    # Modifiers (modifiers): 25, and 59 or the X modifier of the reason documented.
    "separate_procedure_documented": ("true", "false"),
    "distinct_service": (
        "true", "false", "separate_encounter", "separate_structure", "separate_practitioner",
        "unusual_non_overlapping",
    ),
}  # fmt: skip
Facts = tuple[tuple[str, str], ...]  # (name, value) pairs, sorted by name


@cache
def parse_findings(text: object) -> Facts:
    """The documented facts of one findings text (module docstring), sorted by name."""
    if not isinstance(text, str):
        return ()
    said: dict[str, set[str]] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        said.setdefault(name.strip().lower(), set()).add(value.strip().lower())
    found = []
    for name, values in said.items():
        value = values.pop() if len(values) == 1 else ""
        if value in FACTS.get(name, ()):
            found.append((name, value))
    return tuple(sorted(found))


def documented_facts(encounters: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """claim_id (each once) and one column per fact name: the value the claim's
    encounters document, '' when none does (module docstring). Each distinct findings
    text is read once."""
    codes, texts = pd.factorize(encounters["documented_findings"], use_na_sentinel=True)
    parsed = [dict(parse_findings(t)) for t in texts] + [{}]  # the last: no text
    codes = np.where(codes < 0, len(parsed) - 1, codes)
    told = pd.DataFrame({"claim_id": encounters["claim_id"].to_numpy(object)})
    for name in names:
        told[name] = np.array([p.get(name, "") for p in parsed], dtype=object)[codes]
    out = told.drop_duplicates("claim_id").reset_index(drop=True)
    twice = told[told["claim_id"].duplicated(keep=False)]
    if len(twice):  # a claim with several encounters: the value they agree on
        several = out["claim_id"].isin(twice["claim_id"])
        for name in names:
            values = twice[twice[name].ne("")].drop_duplicates(["claim_id", name])
            agreed = values[~values["claim_id"].duplicated(keep=False)].set_index("claim_id")
            out.loc[several, name] = (
                out.loc[several, "claim_id"].map(agreed[name]).astype(object).fillna("")
            )
    return out
