"""A profile that is not a usable profile is refused naming the place in it."""

from __future__ import annotations

import pytest

from payeropt_lib.errors import ProfileError
from payeropt_lib.profiles import model

BASE = """
name: t
kind: fee-schedules
constants: {payer_id: PMH}
columns:
  procedure_code: CPT
  allowed_amount: {from: Fee, type: money}
  effective_from: {from: Eff, type: date, formats: ["%m/%d/%Y"]}
"""


def test_a_valid_profile_parses():
    profile = model.parse("t", BASE)
    assert profile.kind == "fee-schedules"
    assert profile.column("procedure_code").sources == ["CPT"]
    assert profile.column("allowed_amount").type == "money"


@pytest.mark.parametrize(
    "text, where, words",
    [
        (BASE.replace("kind: fee-schedules", "kind: claims"), "kind", "Input should be"),
        (BASE.replace("procedure_code: CPT", "procedure: CPT"), "(document)", "procedure"),
        (BASE.replace("  procedure_code: CPT\n", ""), "(document)", "procedure_code"),
        (BASE.replace("type: money", "type: cash"), "columns.allowed_amount", "Input should be"),
        (BASE.replace('formats: ["%m/%d/%Y"]', 'formats: ["mm/dd/yyyy"]'), "columns", "strptime"),
        (BASE + "payers: {}\n  - x", "line", "not YAML"),
        (
            BASE.replace("procedure_code: CPT", "procedure_code: {from: [A, B]}"),
            "columns",
            "several",
        ),
        (BASE + "skip: {rows: [{column: A, matches: '('}]}\n", "skip.rows.0.matches", "regular"),
    ],
)
def test_bad_profiles_are_refused_naming_where(text, where, words):
    with pytest.raises(ProfileError) as err:
        model.parse("t", text)
    assert err.value.where.startswith(where), str(err.value)
    assert words in str(err.value)


def test_unknown_profile_names_the_shipped_ones():
    with pytest.raises(ProfileError, match="pm-charge-detail"):
        model.load("no-such-profile")


def test_shipped_profiles_all_load():
    names = model.shipped_names()
    assert {"pm-charge-detail", "pm-transaction-detail", "payer-fee-schedule-xlsx"} <= set(names)
    for name in names:
        profile, _ = model.load(name)
        assert profile.name == name
