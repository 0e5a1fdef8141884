"""Every condition type and operator, worked out by hand on nine claim lines, checked on
the vectorized engine and on the plain per-line reference; the scope of a rule (payer,
product line, period, versions); the guardrails again at evaluation."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from payeropt_lib.rules import engine, subjects
from payeropt_lib.rules.conditions import Subjects
from tests.rules import reference
from tests.rules.test_engine_property import CONTRACTS, charges_frame, rules_frame

AS_OF = dt.date(2026, 6, 30)


def _line(n, claim, patient, day, code, mods, dx, units, cents, payer, product, pos, sent):
    day = dt.date.fromisoformat(day)
    filed = dt.date.fromisoformat(sent) if sent else AS_OF
    return {
        "claim_id": claim, "line_number": n, "patient_id": patient, "_day": day,
        "date_of_service": day.isoformat(), "procedure_code": code, "modifiers": mods,
        "diagnosis_codes": dx, "units": units, "charge_amount": cents, "payer_id": payer,
        "product_line": product, "place_of_service": pos, "submitted_date": sent,
        "days_to_filing": (filed - day).days,
    }  # fmt: skip


# fmt: off
LINES = [
    _line(1, "C1", "P1", "2026-03-02", "99213", ["25"], ["M17.11"], 1, 15000, "MCR", "", "11", "2026-03-05"),  # noqa: E501
    _line(2, "C1", "P1", "2026-03-02", "20610", ["RT"], ["M17.11"], 1, 20000, "MCR", "", "11", "2026-03-05"),  # noqa: E501
    _line(3, "C1", "P1", "2026-03-02", "J1100", [], ["M17.11"], 3, 3000, "MCR", "", "11", "2026-03-05"),  # noqa: E501
    _line(1, "C2", "P1", "2026-03-10", "20610", ["LT", "59"], ["M17.12"], 1, 20000, "ACME", "HMO", "11", ""),  # noqa: E501
    _line(2, "C2", "P1", "2026-03-10", "20610", [], ["M17.12"], 1, 20000, "ACME", "HMO", "11", ""),  # noqa: E501
    _line(1, "C3", "P2", "2026-03-10", "99214", [], ["E11.9", "Z23"], 1, 25000, "ACME", "PPO", "22", "2026-09-01"),  # noqa: E501
    _line(1, "C4", "P2", "2026-03-11", "97110", [], ["E11.9"], 4, 12000, "BLUE", "", "", ""),
    _line(1, "C5", "P2", "2026-03-11", "97110", ["GP"], ["E11.9"], 2, 6000, "BLUE", "", "", ""),
    _line(3, "C2", "P1", "2026-03-10", "99213", [], ["M17.12"], 1, 15000, "ACME", "HMO", "11", ""),  # noqa: E501
]
# fmt: on
for _x in LINES:
    _x["payer_class"] = {"MCR": "MEDICARE", "BLUE": "MEDICAID_MANAGED"}.get(
        _x["payer_id"], "MEDICARE_ADVANTAGE" if _x["product_line"] == "HMO" else "COMMERCIAL"
    )


def code(op, value):
    return {"field": "procedure_code", "op": op, "value": value}


def units(op, value):
    return {"field": "units", "op": op, "value": value}


# fmt: off
CASES = [
    # text: every operator, codes as text
    (code("eq", "20610"), {1, 3, 4}),
    (code("ne", "20610"), {0, 2, 5, 6, 7, 8}),
    (code("in", ["99213", "99214"]), {0, 5, 8}),
    (code("not_in", ["99213", "99214"]), {1, 2, 3, 4, 6, 7}),
    (code("between", ["20000", "29999"]), {1, 3, 4}),
    (code("prefix", ["992"]), {0, 5, 8}),
    (code("gt", "97000"), {0, 2, 5, 6, 7, 8}),  # letters sort after digits: J1100 too
    (code("ge", "97110"), {0, 2, 5, 6, 7, 8}),
    (code("lt", "97110"), {1, 3, 4}),
    (code("le", "97110"), {1, 3, 4, 6, 7}),
    ({"field": "place_of_service", "op": "eq", "value": 11}, {0, 1, 2, 3, 4, 8}),
    ({"field": "place_of_service", "op": "eq", "value": ""}, {6, 7}),
    ({"field": "date_of_service", "op": "between", "value": ["2026-03-03", "2026-03-10"]},
     {3, 4, 5, 8}),  # fmt: skip
    ({"field": "payer_class", "op": "eq", "value": "MEDICARE_ADVANTAGE"}, {3, 4, 8}),
    ({"field": "payer_id", "op": "eq", "value": "BLUE"}, {6, 7}),
    ({"field": "primary_payer_id", "op": "eq", "value": "BLUE"}, {6, 7}),
    # numbers: every operator
    (units("eq", 4), {6}),
    (units("ne", 1), {2, 6, 7}),
    (units("gt", 1), {2, 6, 7}),
    (units("ge", 3), {2, 6}),
    (units("lt", 2), {0, 1, 3, 4, 5, 8}),
    (units("le", 2), {0, 1, 3, 4, 5, 7, 8}),
    (units("in", [2, 3]), {2, 7}),
    (units("not_in", [1]), {2, 6, 7}),
    (units("between", [2, 3]), {2, 7}),
    ({"field": "charge_amount", "op": "gt", "value": 199.99}, {1, 3, 4, 5}),
    ({"field": "charge_amount", "op": "eq", "value": 200}, {1, 3, 4}),
    ({"field": "charge_amount", "op": "le", "value": 60}, {2, 7}),
    # 3 days for the filed claim, 112 / 111 to the day of the check, 175 filed late
    ({"field": "days_to_filing", "op": "gt", "value": 111}, {3, 4, 5, 8}),
    ({"field": "days_to_filing", "op": "eq", "value": 3}, {0, 1, 2}),
    # lists
    ({"field": "modifiers", "op": "has", "value": "25"}, {0}),
    ({"field": "modifiers", "op": "has", "value": ["59", "XS"]}, {3}),
    ({"field": "modifiers", "op": "lacks", "value": ["25", "59"]}, {1, 2, 4, 5, 6, 7, 8}),
    ({"field": "modifiers", "op": "prefix", "value": ["L", "G"]}, {3, 7}),
    ({"field": "diagnosis_codes", "op": "prefix", "value": "M17"}, {0, 1, 2, 3, 4, 8}),
    ({"field": "diagnosis_codes", "op": "has", "value": "Z23"}, {5}),
    # combinators
    ({"all": [code("eq", "20610"), {"field": "modifiers", "op": "has", "value": "59"}]}, {3}),
    ({"any": [code("eq", "J1100"), units("ge", 4)]}, {2, 6}),
    ({"not": code("eq", "20610")}, {0, 2, 5, 6, 7, 8}),
    # count per claim: every line of a claim that holds two 20610s; of one that bills J1100
    ({"count": code("eq", "20610"), "per": "claim", "op": "ge", "value": 2}, {3, 4, 8}),
    ({"count": code("eq", "J1100"), "per": "claim", "op": "ge", "value": 1}, {0, 1, 2}),
    # per day: the patient's lines on the same date, whatever the payer
    ({"count": units("ge", 1), "per": "day", "op": "ge", "value": 3}, {0, 1, 2, 3, 4, 8}),
    ({"count": units("ge", 1), "per": "day", "op": "eq", "value": 1}, {5}),
    # per patient in a window ending on the line's date: 9 days from 03-10 reach 03-02
    ({"count": code("eq", "20610"), "per": "patient", "within_days": 9, "op": "ge",
      "value": 3}, {3, 4, 8}),  # fmt: skip
    ({"count": code("eq", "20610"), "per": "patient", "within_days": 8, "op": "ge",
      "value": 3}, set()),  # fmt: skip
    # no window: every line of the patient on or before the line's date
    ({"count": code("eq", "20610"), "per": "patient", "op": "ge", "value": 1},
     {0, 1, 2, 3, 4, 8}),  # fmt: skip
    # summing units: 4 + 2 units of 97110 on one day for P2
    ({"count": code("eq", "97110"), "per": "day", "sum": "units", "op": "gt", "value": 5},
     {6, 7}),  # fmt: skip
    ({"count": code("eq", "97110"), "per": "day", "sum": "units", "op": "gt", "value": 6},
     set()),  # fmt: skip
    # pairs: column 2 on the claim and date of a column 1, unless a bypass modifier
    ({"pair": {"column1": "20610", "column2": "J1100"}, "bypass_modifiers": []}, {2}),
    ({"pair": {"column1": "99213", "column2": "20610"}, "bypass_modifiers": []}, {1, 3, 4}),
    ({"pair": {"column1": "99213", "column2": "20610"}, "bypass_modifiers": ["59", "25"]},
     {1, 4}),  # fmt: skip
    ({"pair": {"column1": "99214", "column2": "20610"}, "bypass_modifiers": []}, set()),
    ({"not": {"pair": {"column1": "99213", "column2": "20610"}, "bypass_modifiers": []}},
     {0, 2, 5, 6, 7, 8}),  # fmt: skip
    # the shapes batched as joins: MUE per line and per day
    ({"all": [code("eq", "J1100"), units("gt", 2)]}, {2}),
    ({"all": [code("eq", "97110"), {"count": code("eq", "97110"), "per": "day",
      "sum": "units", "op": "gt", "value": 5}]}, {6, 7}),
]
# fmt: on


def rule(when, *, rid="R", version=1, payer="*", product="", start="2026-01-01", end=None):
    return {
        "rule_id": rid, "rule_version": version, "payer_id": payer, "product_line": product,
        "category": "coding_policy", "effective_from": start, "effective_to": end,
        "applies_to": "claim_line", "when": when,
        "then": {"outcome": "flag", "message": "caught"},
    }  # fmt: skip


def caught(rules: list[dict]) -> set[tuple[int, int]]:
    frame = subjects.claim_lines(charges_frame(LINES), CONTRACTS_HERE, AS_OF)
    kept, refused = engine.guard(rules_frame(rules))
    assert not refused
    hits = engine.evaluate(kept, Subjects(frame, subjects.CLAIM_DATE))
    found = set(zip(hits["subject"], hits["rule"], strict=True))
    assert found == reference.hits(rules, LINES)  # the hand count, the engine, the reference
    return found


CONTRACTS_HERE = pd.DataFrame(
    {
        "payer_id": ["MCR", "ACME", "ACME", "BLUE"],
        "product_line": ["", "", "HMO", ""],
        "payer_class": ["MEDICARE", "COMMERCIAL", "MEDICARE_ADVANTAGE", "MEDICAID_MANAGED"],
        "effective_from": pd.to_datetime(["2015-01-01"] * 4),
    }
)
assert set(CONTRACTS.columns) == set(CONTRACTS_HERE.columns)


@pytest.mark.parametrize(("when", "lines"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_each_condition_type_and_operator(when, lines):
    assert caught([rule(when)]) == {(i, 0) for i in lines}


def test_a_rule_applies_to_its_payer_and_product_line_only():
    twenties = code("eq", "20610")
    assert caught([rule(twenties, payer="ACME")]) == {(3, 0), (4, 0)}
    assert caught([rule(twenties, payer="MCR")]) == {(1, 0)}
    assert caught([rule(twenties, product="PPO")]) == set()
    assert caught([rule(units("ge", 1), payer="ACME", product="PPO")]) == {(5, 0)}


@pytest.mark.parametrize(
    "when",
    [units("ge", 1), {"all": [code("eq", "97110"), units("gt", 3)]},
     {"pair": {"column1": "99213", "column2": "20610"}, "bypass_modifiers": []}],
    ids=["plain", "mue", "pair"],
)  # fmt: skip
def test_a_rule_is_never_applied_outside_its_period(when):
    every = {i for i in range(len(LINES)) if reference.holds(when, LINES[i], LINES)}
    dated = {i: LINES[i]["_day"] for i in every}
    # From its first day, through the day before its exclusive end.
    cut = dt.date(2026, 3, 10)
    from_cut = caught([rule(when, start=cut.isoformat())])
    assert from_cut == {(i, 0) for i in every if dated[i] >= cut}
    before_cut = caught([rule(when, end=cut.isoformat())])
    assert before_cut == {(i, 0) for i in every if dated[i] < cut}
    one_day = caught([rule(when, start=cut.isoformat(), end="2026-03-11")])
    assert one_day == {(i, 0) for i in every if dated[i] == cut}
    assert caught([rule(when, start="2026-03-12")]) == set()


def test_a_new_version_replaces_the_old_from_its_first_day():
    """As approval leaves them: v1 ends (exclusive) where v2 starts."""
    old = rule(code("eq", "20610"), version=1, end="2026-03-10")
    new = rule(code("eq", "20610"), version=2, start="2026-03-10")
    assert caught([old, new]) == {(1, 0), (3, 1), (4, 1)}


def test_a_stored_rule_that_breaks_a_guardrail_is_not_applied_and_is_named():
    fine = rule(code("eq", "20610"), rid="FINE")
    protected = rule({"field": "patient_age", "op": "gt", "value": 65}, rid="AGE")
    money = {**rule(code("eq", "20610"), rid="MONEY"), "audience": "patient"}
    money["then"] = {"outcome": "flag", "message": "Your plan pays $80 less"}
    frame = rules_frame([fine, protected, money])
    frame.loc[2, "audience"] = "patient"
    kept, refused = engine.guard(frame)
    assert kept["rule_id"].tolist() == ["FINE"]
    assert [(r.rule_id, r.guardrail) for r in refused] == [
        ("AGE", "(b) protected categories"),
        ("MONEY", "(c) no money to patients"),
    ]
    assert "rule 'AGE' v1 not applied: refused by guardrail (b)" in str(refused[0])


def test_a_stored_scope_column_edited_past_the_guardrail_is_caught():
    """A visit_minutes rule for every payer, its stored payer changed by hand."""
    minutes = rule(code("eq", "99214"), rid="TIME")
    minutes["then"] = {"outcome": "visit_minutes", "minutes": 30, "message": "30 minutes"}
    frame = rules_frame([minutes])
    assert engine.guard(frame)[1] == []
    frame.loc[0, "payer_id"] = "ACME"
    kept, refused = engine.guard(frame)
    assert kept.empty and refused[0].guardrail == "(a) access"
