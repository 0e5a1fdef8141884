"""For random claims, findings and pair rules: no modifier suggestion lacks a documented
fact it depends on (an *up* always names one, every fact named is the one documented, a
*down* names a documented ``false`` or a day with nothing but the E/M billed), and the
vectorized ``modifier_suggestions`` gives exactly the answers of a plain per-line reading
of docs/coding.md ("Modifiers"), written here one line at a time."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib.coding import findings
from payeropt_lib.coding import modifiers as m
from tests.coding.test_modifiers import GLOBALS, PAIRS

CODES = ["99213", "99214", "99211", "20610", "20611", "17110", "29881", "29880", "27447",
         "96372", "90471", "36415", "73562", "20552", "99417", "97110", "64721",
         "20526"]  # fmt: skip
# Claims mostly bill what the pair rules and the 25 cases are about, and something else.
VISITS = [("99213", "20610"), ("20611", "20610"), ("96372", "90471"), ("99215", "36415"),
          ("20611", "20610"), ("96372", "90471"), ("64721", "20526"), ("99211", "96372"),
          ("29881", "29880"), ("17110", "99213"), ("20552", "99214"), ("20610", "96372"),
          ("20610", "73562"), ("99213", "29881"), ("99214",), ("64721", "20526")]  # fmt: skip
MODIFIERS = ["", "", "", "", "", "", "", "25", "59", "XS", "RT", "57", "25:59", "XE:RT",
             "GT:95:AI:Q5"]  # fmt: skip
SEPARATE = ["separate_procedure_documented=true", "separate_procedure_documented=false",
            "Separate_Procedure_Documented = TRUE",
            "separate_procedure_documented=yes"]  # fmt: skip
DISTINCT = ["distinct_service=true", "distinct_service=false", "distinct_service=maybe",
            "distinct_service=separate_encounter", "distinct_service=separate_structure",
            "distinct_service=separate_practitioner", "DISTINCT_SERVICE=unusual_non_overlapping",
            "distinct_service"]  # fmt: skip
OTHER = ["laterality=left", "episode=initial", ""]
DAYS = [pd.Timestamp("2023-12-31"), pd.Timestamp("2026-03-02")]


@st.composite
def practices(draw) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    lines, encounters = [], []
    for c in range(draw(st.integers(2, 8))):
        claim, day = f"C{c}", draw(st.sampled_from(DAYS))
        patient = draw(st.sampled_from(["P0", "P1", "P2"]))
        payer = draw(st.sampled_from(["MCR", "MCR", "ACME"]))
        product = draw(st.sampled_from(["", "PPO", "HMO"]))
        codes = [*draw(st.sampled_from(VISITS)),
                 *draw(st.lists(st.sampled_from(CODES), max_size=2))]  # fmt: skip
        for n, code in enumerate(codes, start=1):
            lines.append({
                "claim_id": claim, "line_number": n, "patient_id": patient,
                "date_of_service": draw(st.sampled_from([day] * 10 + DAYS)),
                "procedure_code": code, "modifiers": draw(st.sampled_from(MODIFIERS)),
                "rendering_npi": "1234567893", "payer_id": payer, "product_line": product,
            })  # fmt: skip
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 1, 2]))):  # none, one, or two
            tokens = [draw(st.sampled_from(SEPARATE + OTHER)),
                      draw(st.sampled_from([*DISTINCT, ""]))]  # fmt: skip
            tokens = draw(st.permutations(tokens))
            joined = [";".join(tokens), " ; ".join(tokens), ";".join(tokens), None]
            text = draw(st.sampled_from(joined))
            encounters.append({"claim_id": claim, "documented_findings": text})
    every = draw(st.sampled_from([True, True, False]))
    chosen = draw(st.lists(st.integers(0, len(PAIRS) - 1), unique=True))
    rules = PAIRS if every else PAIRS.iloc[chosen]
    ends = draw(st.lists(st.sampled_from([None] * 6 + ["2024-01-01", "2026-03-02"]),
                         min_size=len(rules), max_size=len(rules)))  # fmt: skip
    rules = rules.assign(effective_to=pd.to_datetime(pd.Series(ends, index=rules.index)))
    frame = pd.DataFrame(encounters, columns=["claim_id", "documented_findings"])
    return frame, pd.DataFrame(lines), rules.reset_index(drop=True)


def documented(encounters: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Each claim's facts: one value per name, none where its encounters disagree."""
    seen: dict[str, dict[str, set[str]]] = {}
    for claim, text in zip(encounters["claim_id"], encounters["documented_findings"],
                           strict=True):  # fmt: skip
        facts = seen.setdefault(claim, {})
        for item in (text if isinstance(text, str) else "").split(";"):
            if "=" not in item:
                continue
            key, value = (part.strip().lower() for part in item.split("=", 1))
            if value in findings.FACTS.get(key, ()):
                facts.setdefault(key, set()).add(value)
    return {c: {k: next(iter(v)) for k, v in f.items() if len(v) == 1} for c, f in seen.items()}


def reference(encounters, lines, pairs) -> list[tuple]:  # noqa: ANN001
    facts = documented(encounters)
    glob = dict(zip(GLOBALS["procedure_code"], GLOBALS["glob_days"], strict=True))
    rows = lines.to_dict("records")
    rules = pairs.sort_values("rule_id").to_dict("records")
    out = []
    for ln in rows:
        if ln["claim_id"] not in facts:
            continue
        fact = facts[ln["claim_id"]]
        code, day = ln["procedure_code"], ln["date_of_service"]
        mods = [x for x in ln["modifiers"].split(":") if x]
        shown = code + "".join("-" + x for x in mods)
        same = [o for o in rows if (o["claim_id"], o["patient_id"], o["date_of_service"])
                == (ln["claim_id"], ln["patient_id"], day)]  # fmt: skip
        applicable = [
            p for p in rules
            if p["column2"] == code and any(o["procedure_code"] == p["column1"] for o in same)
            and p["effective_from"] <= day
            and (pd.isna(p["effective_to"]) or day < p["effective_to"])
            and p["payer_id"] in ("*", ln["payer_id"])
            and p["product_line"] in ("", ln["product_line"])
        ]  # fmt: skip
        takes = {p["rule_id"]: set(p["bypass_modifiers"].split(":")) - {""} for p in applicable}
        flagged = [p for p in applicable if not takes[p["rule_id"]] & set(mods)]

        key = (ln["claim_id"], ln["line_number"], shown)

        if code in m.OFFICE_EM:
            minors = sorted((o for o in same if glob.get(o["procedure_code"]) in ("000", "010")),
                            key=lambda o: o["line_number"])  # fmt: skip
            major = any(glob.get(o["procedure_code"]) == "090" for o in same)
            if "25" not in mods:
                by_25 = [p for p in flagged if "25" in takes[p["rule_id"]]]
                if (fact.get(m.SEPARATE) == "true" and (minors or by_25) and not major
                        and "57" not in mods and len(mods) < 4
                        and all("25" in takes[p["rule_id"]] for p in flagged)):  # fmt: skip
                    if minors:
                        first = minors[0]["procedure_code"]
                        support = f"{m.SEPARATE}=true; {first} global {glob[first]} same day"
                    else:
                        support = (f"{m.SEPARATE}=true; {code} billed with "
                                   f"{by_25[0]['column1']} the same day")  # fmt: skip
                    rule = next((p["rule_id"] for p in flagged), "")
                    out.append((*key, shown + "-25", "up", support, rule))
            else:
                rule = next((p["rule_id"] for p in applicable if "25" in takes[p["rule_id"]]),
                            "")  # fmt: skip
                without = code + "".join("-" + x for x in mods if x != "25")
                if fact.get(m.SEPARATE) == "false":
                    out.append((*key, without, "down", f"{m.SEPARATE}=false", rule))
        value = fact.get(m.DISTINCT, "")
        carried = set(mods) & set(m.DISTINCT_MODIFIERS)
        is_em = "99202" <= code <= "99499"
        room = len(mods) < 4
        if value in m.DISTINCT_MODIFIER and flagged and not is_em and not carried and room:
            own = m.DISTINCT_MODIFIER[value]
            chosen = next((x for x in (own, "59")
                           if all(x in takes[p["rule_id"]] for p in flagged)), None)  # fmt: skip
            if chosen:
                support = (f"{m.DISTINCT}={value}; {code} billed with "
                           f"{flagged[0]['column1']} the same day")  # fmt: skip
                out.append((*key, f"{shown}-{chosen}", "up", support, flagged[0]["rule_id"]))
        if carried and value == "false":
            rule = next((p["rule_id"] for p in applicable if takes[p["rule_id"]] & carried), "")
            without = code + "".join("-" + x for x in mods if x not in m.DISTINCT_MODIFIERS)
            out.append((*key, without, "down", f"{m.DISTINCT}=false", rule))
    return sorted(out, key=lambda r: (r[0], r[1], r[3]))


@settings(max_examples=80, deadline=None)
@given(practices())
def test_no_suggestion_lacks_a_documented_fact_and_each_is_the_plain_reading(given_frames):
    encounters, lines, pairs = given_frames
    found = m.modifier_suggestions(encounters, lines, pairs, GLOBALS)
    facts = documented(encounters)
    for r in found.itertuples():
        assert r.is_compliant and r.kind == "modifier" and r.units == 1
        named = dict(re.findall(r"(\w+)=(\w+)", r.support))
        for name, value in named.items():  # every fact named is the one documented
            assert facts[r.claim_id].get(name) == value, (r, facts.get(r.claim_id))
        if r.direction == "up":
            assert named and all(v != "false" for v in named.values()), r
        else:
            assert r.direction == "down", r
            assert list(named.values()) == ["false"], r
    got = [
        (r.claim_id, r.line_number, r.original_code, r.suggested_code, r.direction, r.support,
         r.rule_id)
        for r in found.itertuples()
    ]  # fmt: skip
    assert got == reference(encounters, lines, pairs)
