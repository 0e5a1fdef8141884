"""The vectorized engine equals a plain per-line evaluation (``tests/rules/reference.py``)
of the same rules on generated claim lines: every condition type and operator, nested,
``count`` per claim, day and patient window (and summing units), code pairs with and
without bypass modifiers, the shapes the engine batches as joins (bare pairs, MUE line and
day limits), and each rule's payer, product line and period."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payeropt_lib.rules import engine, subjects
from payeropt_lib.rules.conditions import Subjects
from tests.rules import reference

BASE = dt.date(2026, 3, 1)
AS_OF = dt.date(2026, 9, 30)
CODES = ["99213", "99214", "20610", "J1100", "G2211", "97110"]
MODIFIERS = ["25", "59", "LT", "RT", "XS"]
DIAGNOSES = ["M17.11", "M17.12", "E11.9", "Z23"]
PAYERS = ["MCR", "ACME", "BLUE"]
PRODUCTS = ["", "HMO", "PPO"]
CONTRACTS = pd.DataFrame(
    {
        "payer_id": ["MCR", "ACME", "ACME", "BLUE", "BLUE"],
        "product_line": ["", "", "HMO", "PPO", "HMO"],
        "payer_class": [
            "MEDICARE",
            "COMMERCIAL",
            "MEDICARE_ADVANTAGE",
            "COMMERCIAL",
            "MEDICAID_MANAGED",
        ],  # fmt: skip
        "effective_from": pd.to_datetime(
            ["2015-01-01", "2019-01-01", "2020-01-01", "2020-01-01", "2021-01-01"]
        ),
    }
)
# Worked out by hand from the rule in subjects.py: the product line's own contract, else
# the payer's all-products one, else its latest.
CLASSES = {
    ("MCR", ""): "MEDICARE", ("MCR", "HMO"): "MEDICARE", ("MCR", "PPO"): "MEDICARE",
    ("ACME", ""): "COMMERCIAL", ("ACME", "HMO"): "MEDICARE_ADVANTAGE",
    ("ACME", "PPO"): "COMMERCIAL", ("BLUE", ""): "MEDICAID_MANAGED",
    ("BLUE", "HMO"): "MEDICAID_MANAGED", ("BLUE", "PPO"): "COMMERCIAL",
}  # fmt: skip


@st.composite
def a_line(draw, n: int) -> dict:
    claim = draw(st.integers(0, 5))
    return {
        "claim_id": f"C{claim}",
        "line_number": n + 1,
        "patient_id": f"P{claim % 3}",
        "_day": BASE + dt.timedelta(days=draw(st.integers(0, 12))),
        "procedure_code": draw(st.sampled_from(CODES)),
        "modifiers": draw(st.lists(st.sampled_from(MODIFIERS), max_size=2, unique=True)),
        "diagnosis_codes": draw(st.lists(st.sampled_from(DIAGNOSES), max_size=3, unique=True)),
        "units": draw(st.integers(1, 5)),
        "charge_amount": draw(st.integers(20, 600)) * 50,
        "payer_id": draw(st.sampled_from(PAYERS)),
        "product_line": draw(st.sampled_from(PRODUCTS)),
        "place_of_service": draw(st.sampled_from(["11", "22", ""])),
        "submitted": draw(st.one_of(st.none(), st.integers(0, 200))),
    }


@st.composite
def some_lines(draw) -> list[dict]:
    size = draw(st.integers(2, 24))
    lines = [draw(a_line(i)) for i in range(size)]
    for line in lines:
        submitted = line.pop("submitted")
        line["submitted_date"] = (
            "" if submitted is None else (line["_day"] + dt.timedelta(submitted)).isoformat()
        )
        filed = AS_OF if submitted is None else line["_day"] + dt.timedelta(submitted)
        line["days_to_filing"] = (filed - line["_day"]).days
        line["date_of_service"] = line["_day"].isoformat()
        line["payer_class"] = CLASSES[(line["payer_id"], line["product_line"])]
    return lines


TEXT_FIELDS = {
    "procedure_code": st.sampled_from(CODES + ["2", "9921", "J"]),
    "place_of_service": st.sampled_from(["11", "22", "", 11, 22]),
    "payer_id": st.sampled_from(PAYERS),
    "product_line": st.sampled_from(PRODUCTS),
    "payer_class": st.sampled_from(["MEDICARE", "COMMERCIAL", "MEDICARE_ADVANTAGE"]),
    "date_of_service": st.sampled_from(["2026-03-01", "2026-03-15", "2026-04-01"]),
    "claim_id": st.sampled_from(["C0", "C3", "C5"]),
}
NUMBER_FIELDS = {
    "units": st.integers(0, 6),
    "charge_amount": st.sampled_from([10, 100, 99.5, 150.25, 300, 0.5]),
    "days_to_filing": st.integers(0, 220),
}
LIST_FIELDS = {"modifiers": MODIFIERS + ["2", "X"], "diagnosis_codes": DIAGNOSES + ["M17", "E"]}


def _value(draw, op: str, value: st.SearchStrategy, key) -> object:  # noqa: ANN001
    """A rule's value for ``op``: a list for the set operators, [low, high] (ordered by
    ``key``: text as text, numbers as numbers) for between, else one value."""
    if op in ("in", "not_in", "prefix"):
        return draw(st.lists(value, min_size=1, max_size=3))
    if op == "between":
        return sorted([draw(value), draw(value)], key=key)
    return draw(value)


@st.composite
def text_test(draw) -> dict:
    field = draw(st.sampled_from(sorted(TEXT_FIELDS)))
    value = TEXT_FIELDS[field]
    op = draw(st.sampled_from(["eq", "ne", "in", "not_in", "between", "prefix", "gt", "ge",
                               "lt", "le"]))  # fmt: skip
    return {"field": field, "op": op, "value": _value(draw, op, value, key=str)}


@st.composite
def number_test(draw) -> dict:
    field = draw(st.sampled_from(sorted(NUMBER_FIELDS)))
    value = NUMBER_FIELDS[field]
    op = draw(st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "between"]))
    return {"field": field, "op": op, "value": _value(draw, op, value, key=float)}


@st.composite
def list_test(draw) -> dict:
    field = draw(st.sampled_from(sorted(LIST_FIELDS)))
    op = draw(st.sampled_from(["has", "lacks", "prefix"]))
    items = st.sampled_from(LIST_FIELDS[field])
    v = draw(st.one_of(items, st.lists(items, min_size=1, max_size=3)))
    return {"field": field, "op": op, "value": v}


@st.composite
def pair(draw) -> dict:
    first, second = draw(st.lists(st.sampled_from(CODES), min_size=2, max_size=2, unique=True))
    bypass = draw(st.sampled_from([[], ["59", "XS"], ["25"]]))
    return {"pair": {"column1": first, "column2": second}, "bypass_modifiers": bypass}


LEAF = st.one_of(text_test(), number_test(), list_test(), pair())
# Counts weigh more than their share of a random tree: their windows and groups are where
# an off-by-one hides.
COUNTED = st.one_of(LEAF, st.deferred(lambda: _count(LEAF)))


def _count(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(
        lambda c, per, days, total, op, value: {
            "count": c,
            "per": per,
            **({"within_days": days} if days else {}),
            **({"sum": "units"} if total else {}),
            "op": op,
            "value": value,
        },  # fmt: skip
        inner,
        st.sampled_from(["claim", "day", "patient"]),
        st.one_of(st.none(), st.integers(1, 5)),
        st.booleans(),
        st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]),
        st.integers(0, 4),
    )


CONDITION = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, inner),
        _count(inner),
    ),
    max_leaves=5,
)


@st.composite
def batched_shape(draw) -> dict:
    """The shapes the engine checks as joins: MUE per line and per day, a bare pair."""
    code = draw(st.sampled_from(CODES))
    op = draw(st.sampled_from(["gt", "ge", "lt", "le", "eq", "ne"]))
    limit = draw(st.integers(0, 6))
    is_code = {"field": "procedure_code", "op": "eq", "value": code}
    shape = draw(st.sampled_from(["line", "day", "pair"]))
    if shape == "pair":
        return draw(pair())
    if shape == "line":
        return {"all": [is_code, {"field": "units", "op": op, "value": limit}]}
    count = {"count": is_code, "per": "day", "sum": "units", "op": op, "value": limit}
    return {"all": [is_code, count]}


@st.composite
def a_rule(draw, i: int) -> dict:
    start = BASE + dt.timedelta(days=draw(st.sampled_from([-30, 0, 3, 6])))
    length = draw(st.one_of(st.none(), st.integers(1, 8)))
    return {
        "rule_id": f"R{i}",
        "rule_version": draw(st.integers(1, 3)),
        "payer_id": draw(st.sampled_from(["*", "*", "*", "MCR", "ACME", "NOBODY"])),
        "product_line": draw(st.sampled_from(["", "", "HMO"])),
        "category": "coding_policy",
        "effective_from": start.isoformat(),
        "effective_to": None if length is None else (start + dt.timedelta(length)).isoformat(),
        "applies_to": "claim_line",
        "when": draw(st.one_of(CONDITION, batched_shape(), _count(COUNTED))),
        "then": {"outcome": "flag", "message": f"rule {i}"},
    }


@st.composite
def some_rules(draw) -> list[dict]:
    return [draw(a_rule(i)) for i in range(draw(st.integers(1, 6)))]


def charges_frame(lines: list[dict]) -> pd.DataFrame:
    """The lines as ``store.read_frame`` gives charges."""
    return pd.DataFrame(
        {
            "claim_id": [x["claim_id"] for x in lines],
            "line_number": [x["line_number"] for x in lines],
            "line_control_number": [None] * len(lines),
            "patient_id": [x["patient_id"] for x in lines],
            "date_of_service": pd.to_datetime([x["_day"] for x in lines]),
            "procedure_code": [x["procedure_code"] for x in lines],
            "modifiers": [":".join(x["modifiers"]) for x in lines],
            "units": [x["units"] for x in lines],
            "charge_cents": [x["charge_amount"] for x in lines],
            "primary_payer_id": [x["payer_id"] for x in lines],
            "product_line": [x["product_line"] for x in lines],
            "secondary_payer_id": [None] * len(lines),
            "place_of_service": [x["place_of_service"] or None for x in lines],
            "rendering_npi": [None] * len(lines),
            "diagnosis_codes": [";".join(x["diagnosis_codes"]) or None for x in lines],
            "submitted_date": pd.to_datetime([x["submitted_date"] or None for x in lines]),
        }
    )


def rules_frame(rules: list[dict]) -> pd.DataFrame:
    """The rules as the repository stores them (``engine.RULE_COLUMNS``)."""
    return pd.DataFrame(
        {
            "rule_id": [r["rule_id"] for r in rules],
            "rule_version": [r["rule_version"] for r in rules],
            "payer_id": [r["payer_id"] for r in rules],
            "product_line": [r["product_line"] for r in rules],
            "category": [r["category"] for r in rules],
            "applies_to": [r["applies_to"] for r in rules],
            "audience": ["staff"] * len(rules),
            "effective_from": pd.to_datetime([r["effective_from"] for r in rules]),
            "effective_to": pd.to_datetime([r["effective_to"] for r in rules]),
            "definition": [json.dumps(r, sort_keys=True) for r in rules],
        },
        columns=engine.RULE_COLUMNS,
    )


def engine_hits(rules: list[dict], lines: list[dict]) -> set[tuple[int, int]]:
    frame = subjects.claim_lines(charges_frame(lines), CONTRACTS, AS_OF)
    kept, refused = engine.guard(rules_frame(rules))
    assert not refused
    found = engine.evaluate(kept, Subjects(frame, subjects.CLAIM_DATE))
    return set(zip(found["subject"], found["rule"], strict=True))


@pytest.mark.slow
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(some_lines(), some_rules())
def test_the_engine_equals_a_plain_per_line_evaluation(lines, rules):
    assert engine_hits(rules, lines) == reference.hits(rules, lines)


@settings(max_examples=30, deadline=None)
@given(some_lines())
def test_the_claim_line_fields_are_what_the_reference_reads(lines):
    """The frame the engine reads carries each field as the reference has it."""
    frame = subjects.claim_lines(charges_frame(lines), CONTRACTS, AS_OF)
    for name in ("payer_class", "days_to_filing", "product_line", "payer_id"):
        assert frame[name].tolist() == [x[name] for x in lines]
