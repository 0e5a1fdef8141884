"""Rule files (``rules.definitions``) and the guardrails (``rules.guardrails``): every
adversarial file in tests/data/rules/refused is refused naming the rule and the guardrail
it breaks; the legitimate look-alikes in tests/data/rules/accepted are read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from payeropt_lib import errors
from payeropt_lib.rules import definitions, fields, guardrails
from tests.conftest import DATA

RULES = DATA / "rules"
EXPECTED = json.loads((RULES / "refused" / "EXPECTED.json").read_text(encoding="utf-8"))


def test_there_are_twenty_adversarial_files_and_every_guardrail_is_attacked_several_ways():
    assert len(EXPECTED) >= 20
    kinds = [g for g in EXPECTED.values()]
    for guardrail in (guardrails.ACCESS, guardrails.PROTECTED, guardrails.NO_MONEY):
        assert kinds.count(guardrail) >= 5, guardrail
    assert sorted(EXPECTED) == sorted(p.name for p in (RULES / "refused").glob("[abc]*.json"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_adversarial_rule_is_refused_naming_the_rule_and_the_guardrail(name: str) -> None:
    path = RULES / "refused" / name
    rule_id = json.loads(path.read_text(encoding="utf-8"))["rule_id"]
    with pytest.raises(errors.RuleRefused) as refused:
        definitions.read_rules(path)
    err = refused.value
    assert (err.rule, err.guardrail) == (repr(rule_id), EXPECTED[name])
    assert str(err).startswith(f"{path}: rule {rule_id!r} refused by guardrail {EXPECTED[name]}")


def test_legitimate_look_alikes_are_read() -> None:
    """A Medicare Advantage prior-authorization rule (a payer class condition, not a
    visit-length one), a patient-facing "bring your referral", a documentation time rule
    for every payer, and words that merely contain a stem ("agency", "stage", "page")."""
    rules = definitions.read_rules(RULES / "accepted" / "lookalikes.json")
    assert [r["rule_id"] for r in rules][:2] == ["OK-MA-PA", "OK-REFERRAL"]
    assert all(guardrails.problems(r) == [] for r in rules)


@pytest.mark.parametrize(
    ("name", "protected"),
    [
        ("race", True), ("Race", True), ("patient_race", True), ("PT-SEX", True),
        ("patientAge", True), ("age", True), ("ZIP5", True), ("postal-code", True),
        ("Surname", True), ("primaryLanguage", True), ("interpreterNeeded", True),
        ("marital_status", True), ("date_of_birth", True), ("Religión", True),
        ("procedure_code", False), ("units", False), ("days_to_filing", False),
        ("place_of_service", False), ("visit_type", False), ("lead_days", False),
        ("documented_findings", False), ("page_count", False), ("stage", False),
        ("agency", False), ("message", False),
    ],
)  # fmt: skip
def test_protected_names_under_any_spelling(name: str, protected: bool) -> None:
    assert guardrails.protected_name(name) is protected


def test_no_field_a_rule_may_read_reads_as_protected() -> None:
    """The stems are strict, but never so strict that a legitimate field trips them."""
    every = set().union(*fields.BY_KIND.values())
    assert [f for f in sorted(every) if guardrails.protected_name(f)] == []


def _write(tmp_path: Path, rule: object) -> Path:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(rule), encoding="utf-8")
    return path


BASE = {
    "rule_id": "R1", "payer_id": "ACME", "category": "prior_auth",
    "effective_from": "2026-01-01", "applies_to": "claim_line",
    "when": {"field": "procedure_code", "op": "eq", "value": "70551"},
    "then": {"outcome": "flag", "message": "Check."},
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "where", "reason"),
    [
        ({"category": "pricing"}, "category", "is not one of"),
        ({"effective_from": "2026-02-30"}, "effective_from", "is not a date"),
        ({"effective_to": "2025-12-31"}, "effective_to", "ends on or before"),
        ({"when": {"field": "car_model", "op": "eq", "value": "x"}}, "when.field",
         "unknown field"),
        ({"when": {"field": "visit_type", "op": "eq", "value": "new"}}, "when.field",
         "unknown field 'visit_type' for a claim_line rule"),
        ({"when": {"field": "units", "op": "gt", "value": "2"}}, "when.value", "is a number"),
        ({"when": {"field": "modifiers", "op": "eq", "value": "25"}}, "when.op", "is a list"),
        ({"when": {"field": "procedure_code", "op": "in", "value": "70551"}}, "when.value",
         "in takes a list"),
        ({"when": {"field": "procedure_code", "op": "between", "value": ["1", "2", "3"]}},
         "when.value", "between takes [low, high]"),
        ({"when": {"field": "procedure_code", "op": "like", "value": "7%"}}, "when", ""),
        ({"then": {"outcome": "require", "message": "x"}}, "then.requirement",
         "a require outcome needs it"),
        ({"then": {"outcome": "flag", "message": "x", "minutes": 5}}, "then.minutes",
         "a flag outcome has none"),
        ({"applies_to": "appointment", "when": {"pair": {"column1": "1", "column2": "2"},
          "bypass_modifiers": []}}, "when", "a code pair applies to claim lines only"),
        ({"extra": 1}, "the rule", "Additional properties are not allowed"),
        ({"when": {"field": "units", "op": "prefix", "value": [1]}}, "when.op", "no prefix"),
    ],
)  # fmt: skip
def test_a_rule_that_does_not_say_a_valid_rule_is_refused_naming_where(
    tmp_path: Path, change: dict, where: str, reason: str
) -> None:
    path = _write(tmp_path, {**BASE, **change})
    with pytest.raises(errors.RuleFileError) as refused:
        definitions.read_rules(path)
    assert refused.value.rule == "'R1'" and refused.value.where == where, str(refused.value)
    assert reason in refused.value.reason


def test_a_file_is_one_rule_or_a_list_and_a_rule_twice_is_refused(tmp_path: Path) -> None:
    assert definitions.read_rules(_write(tmp_path, BASE)) == [BASE]
    second = {**BASE, "rule_id": "R2"}
    assert [r["rule_id"] for r in definitions.read_rules(_write(tmp_path, [BASE, second]))] == [
        "R1",
        "R2",
    ]
    with pytest.raises(errors.RuleFileError, match="the same rule and version twice"):
        definitions.read_rules(_write(tmp_path, [BASE, BASE]))
    (tmp_path / "bad.json").write_text('{"rule_id": ', encoding="utf-8")
    with pytest.raises(errors.RuleFileError, match=r"line 1 column 13: not JSON"):
        definitions.read_rules(tmp_path / "bad.json")
