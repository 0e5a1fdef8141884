"""The "Payer rules" page's figures: rules in force by payer and kind, what the last
update changed, the lines each kind would have caught (small cells hidden when the packet
leaves the practice), and the checklist counted without an appointment id."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from payeropt_lib.analytics import payer_rules, privacy
from tests.rules.test_engine import AS_OF, CONTRACTS_HERE, LINES
from tests.rules.test_engine_property import charges_frame


def _version(rule_id, version, category, payer, start, end, state, import_id, when):  # noqa: ANN001, ANN202
    definition = {"rule_id": rule_id, "payer_id": payer, "category": category,
                  "effective_from": start, "applies_to": "claim_line", "when": when,
                  "then": {"outcome": "flag", "message": "caught"}}  # fmt: skip
    return {
        "rule_id": rule_id, "rule_version": version, "payer_id": payer, "product_line": "",
        "category": category, "applies_to": "claim_line", "audience": "staff",
        "effective_from": pd.Timestamp(start),
        "effective_to": pd.Timestamp(end) if end else pd.NaT,
        "definition": json.dumps(definition), "state": state, "import_id": import_id,
    }  # fmt: skip


TWENTIES = {"field": "procedure_code", "op": "eq", "value": "20610"}
UNITS = {"field": "units", "op": "ge", "value": 1}
RULES = pd.DataFrame(
    [
        # Import 1: two rules approved; import 2: a new version of one (retiring v1 on
        # 2026-03-10), a new rule approved, one left a draft, one rejected.
        _version("A", 1, "bundling", "*", "2026-01-01", "2026-03-10", "approved", 1, TWENTIES),
        _version("B", 1, "timely_filing", "MCR", "2026-01-01", None, "approved", 1, UNITS),
        _version("A", 2, "bundling", "*", "2026-03-10", None, "approved", 2, TWENTIES),
        _version("C", 1, "prior_auth", "ACME", "2026-01-01", None, "approved", 2, UNITS),
        _version("D", 1, "referral", "ACME", "2026-01-01", None, "draft", 2, UNITS),
        _version("E", 1, "referral", "*", "2026-01-01", None, "rejected", 2, UNITS),
    ]
)


def test_rules_in_force_by_payer_and_kind() -> None:
    grid = payer_rules.in_force(RULES, pd.Timestamp("2026-06-30"))
    assert grid["payer"].tolist() == ["Every payer", "ACME", "MCR"]
    assert grid.set_index("payer")["total_count"].to_dict() == {
        "Every payer": 1,
        "ACME": 1,
        "MCR": 1,
    }  # fmt: skip  (A v1 retired, D a draft, E rejected)
    labels = payer_rules.in_force_labels(grid)
    assert labels["bundling_count"] == "Bundling (NCCI and payer edits)"


def test_the_last_update_counts_what_it_added_changed_and_retired() -> None:
    update = payer_rules.last_update(RULES, pd.Timestamp("2026-06-30")).set_index("category")
    assert update.loc["Bundling (NCCI and payer edits)"].tolist() == [0, 1, 1, 1, 0, 0]
    assert update.loc["Prior authorization"].tolist() == [1, 0, 0, 1, 0, 0]
    assert update.loc["Referral"].tolist() == [2, 0, 0, 0, 1, 1]
    facts = payer_rules.update_facts(RULES)
    assert facts[["import_id", "versions_count"]].values.tolist() == [["2", 4]]


def test_what_each_kind_would_have_caught_is_suppressed_when_it_leaves_the_practice() -> None:
    charges = charges_frame(LINES)
    with privacy.cells_below(0):  # the practice's own packet: its own counts
        caught = payer_rules.caught(
            charges, CONTRACTS_HERE, RULES, AS_OF, pd.Timestamp("2026-03-01"), None
        ).set_index("category")
        later = payer_rules.caught(
            charges, CONTRACTS_HERE, RULES, AS_OF, pd.Timestamp("2026-03-10"), None
        )
    # A (20610) v1 to 03-10, v2 from it: lines 1, 3, 4; B: MCR lines 0-2; C: ACME 3, 4, 5, 8.
    assert caught.loc["Bundling (NCCI and payer edits)", "lines"] == 3
    assert caught.loc["Bundling (NCCI and payer edits)", "charge_cents"] == 60000
    assert caught.loc["Timely filing", "lines"] == 3
    assert caught.loc["Prior authorization", "lines"] == 4
    assert caught.loc["Any rule (each line once)", "lines"] == 7
    # The period: lines dated from 03-10 only.
    assert later.loc[later["is_total"], "lines"].item() == 4
    with privacy.cells_below(11):  # what leaves the practice
        hidden = payer_rules.caught(charges, CONTRACTS_HERE, RULES, AS_OF, None, None)
    assert hidden["lines"].isna().all() and hidden["lines_small"].all()
    assert hidden["charge_cents"].isna().all()


def test_the_checklist_ahead_is_counted_without_an_appointment_id() -> None:
    appointments = pd.DataFrame(
        {
            "appointment_id": ["A1", "A2", "A3"],
            "date": pd.to_datetime(["2026-07-01", "2026-07-02", "2026-09-01"]),
            "patient_id": ["P1", "P2", "P3"],
            "payer_id": ["ACME", "ACME", "ACME"],
            "product_line": ["", "", ""],
            "visit_type": ["new", "new", "new"],
            "planned_procedure_codes": [None, "20610", None],
        }
    )
    rule = _version("R", 1, "referral", "ACME", "2026-01-01", None, "approved", 3,
                    {"field": "visit_type", "op": "eq", "value": "new"})  # fmt: skip
    rule["applies_to"] = "appointment"
    definition = json.loads(rule["definition"])
    definition["applies_to"] = "appointment"
    definition["then"] = {"outcome": "require", "requirement": "referral",
                          "detail": "On file", "message": "Bring the referral."}  # fmt: skip
    rule["definition"] = json.dumps(definition)
    counted = payer_rules.checklist_ahead(
        appointments, CONTRACTS_HERE, pd.DataFrame([rule]), dt.date(2026, 6, 30), days=28
    )
    assert counted.to_dict("records") == [
        {"requirement": "Referral", "visits_count": 2, "items_count": 2}
    ]
    assert "appointment_id" not in counted.columns
