"""For random encounters, no E/M suggestion lacks a documented fact it depends on, and
each one's support is exactly the documented facts that meet the suggested level."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib.coding import em

BILLED = list(em.LEVEL_OF)


@st.composite
def encounters(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = draw(st.integers(1, 30))
    rows, lines = [], []
    for i in range(n):
        code = draw(st.sampled_from(BILLED))
        kind = draw(st.sampled_from(["new", "established", em.LEVEL_OF[code][0]]))
        rows.append({
            "claim_id": f"C{i}",
            "encounter_type": kind,
            "total_time_minutes": draw(st.one_of(st.none(), st.integers(0, 130))),
            "mdm_level": draw(st.one_of(st.none(), st.sampled_from(list(em.MDM_LEVEL)))),
        })  # fmt: skip
        payer = draw(st.sampled_from(["MEDICARE", "COMMERCIAL"]))
        lines.append({"claim_id": f"C{i}", "line_number": 1, "procedure_code": code,
                      "units": 1, "payer_class": payer})  # fmt: skip
        extra = draw(st.integers(0, 3))
        if extra:
            lines.append({"claim_id": f"C{i}", "line_number": 2,
                          "procedure_code": draw(st.sampled_from(em.PROLONGED_CODES)),
                          "units": extra, "payer_class": payer})  # fmt: skip
    frame = pd.DataFrame(rows).astype({"total_time_minutes": "Int64"})
    return frame, pd.DataFrame(lines)


@settings(max_examples=80, deadline=None)
@given(encounters())
def test_no_suggestion_rests_on_a_fact_not_documented(given_frames):
    found_encounters, lines = given_frames
    found = em.em_suggestions(found_encounters, lines)
    by_claim = found_encounters.set_index("claim_id")
    for row in found.itertuples():
        encounter = by_claim.loc[row.claim_id]
        assert row.is_compliant and row.support
        facts = dict(re.findall(r"(\w+)=(\w+)", row.support))
        assert facts, row.support
        for name, value in facts.items():  # every fact named is the documented one
            documented = encounter[name]
            assert not pd.isna(documented), (name, row)
            assert str(documented) == value, (name, documented, row)
        # The level a level row suggests is the one its facts meet, no higher.
        if row.suggested_code in em.LEVEL_OF and row.suggested_code not in em.PROLONGED_CODES:
            kind, level = em.LEVEL_OF[row.suggested_code]
            assert kind == encounter["encounter_type"]
            met = []
            if "mdm_level" in facts:
                met.append(em.MDM_LEVEL[facts["mdm_level"]])
            if "total_time_minutes" in facts:
                minutes = int(facts["total_time_minutes"])
                met.append(int((em.TIME_MEETS[kind] <= minutes).sum()))
            assert max(met) == level, row
