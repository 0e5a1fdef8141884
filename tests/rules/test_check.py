"""``payeropt import ncci`` and ``payeropt check`` on both backends: NCCI files as drafts,
approved versions applied on their dates (a replaced version stops where its successor
starts), the lines not yet paid, the appointment checklist without money, and a stored
rule that breaks a guardrail not applied."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import typing
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from payeropt_lib import errors
from payeropt_lib.rules import check, repository
from payeropt_lib.store import tables
from payeropt_lib.store.access import Identity
from tests.conftest import DATA
from tests.test_cli import payeropt

BEA = Identity("bea", "billing_manager")
OWEN = Identity("owen", "owner")
AS_OF = dt.date(2026, 12, 6)
NCCI = DATA / "rules" / "ncci"
PTP_HEAD = (NCCI / "ccipra-v313r0-f1.txt").read_text(encoding="latin-1").splitlines()[:6]


def _ptp(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "ccipra-test.txt"
    path.write_text("\r\n".join([*PTP_HEAD, *rows]) + "\r\n", encoding="latin-1")
    return path


def _rules(tmp_path: Path, name: str, rules: list[dict]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(rules), encoding="utf-8")
    return path


def _approve_last(engine, org: str) -> None:  # noqa: ANN001
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(sa.func.max(tables.imports.c.import_id)).where(
                tables.imports.c.org_id == org
            )
        ).scalar_one()
    repository.approve(engine, org, OWEN, import_id=last)


def test_ncci_files_come_in_as_drafts_once_and_catch_pairs_once_approved(
    engine, loaded: str, tmp_path: Path
) -> None:
    # 73562 is bundled into 20610 (indicator 0: no modifier bypasses it); 99214 into
    # 20610 unless an NCCI modifier (25) says it is separate.
    ptp = _ptp(
        tmp_path,
        "20610\t73562\t\t20000101\t*\t0\tMutually exclusive procedures",
        "20610\t99214\t\t20000101\t*\t1\tStandards of medical / surgical practice",
    )
    done = repository.import_ncci(engine, loaded, ptp, "*", BEA, "2026Q3")
    assert (done.rules, done.drafts, done.unchanged) == (2, 2, 0)
    again = repository.import_ncci(engine, loaded, ptp, "*", BEA, "2026Q3")
    assert again.already_imported
    mue = repository.import_ncci(engine, loaded, NCCI / "MCR_MUE_PractitionerServices.csv",
                                 "*", BEA, "2026Q3")  # fmt: skip
    assert mue.drafts == 3
    listed = repository.list_rules(engine, loaded, on=AS_OF)
    assert set(listed["state"]) == {"draft"} and len(listed) == 5
    found, refused = check.claim_findings(*_frames(engine, loaded), AS_OF)
    assert found.empty and not refused  # drafts are never applied
    _approve_last(engine, loaded)  # the MUE import
    repository.approve(engine, loaded, OWEN, rule_id="NCCI-PTP-20610-73562")
    repository.approve(engine, loaded, OWEN, rule_id="NCCI-PTP-20610-99214")
    found, _ = check.claim_findings(*_frames(engine, loaded), AS_OF)
    # CLM1003 bills 20610 and 73562 on one date; every 99214 beside a 20610 carries 25.
    # The MUE rules start on 2026-07-01: no 2025 line is in their period.
    assert found[["claim_id", "line_number", "rule_id", "rule_version"]].values.tolist() == [
        ["CLM1003", 3, "NCCI-PTP-20610-73562", 1]
    ]
    assert found.columns.tolist() == check.CLAIM_COLUMNS


def _frames(engine, org: str):  # noqa: ANN001, ANN202
    from payeropt_lib import store

    return (
        store.read_frame(engine, tables.charges, org),
        store.read_frame(engine, tables.contracts, org),
        store.read_frame(engine, tables.rules, org),
    )


FILING = {
    "rule_id": "ALL-FILING", "payer_id": "*", "category": "timely_filing",
    "effective_from": "2025-01-01", "applies_to": "claim_line",
    "when": {"field": "days_to_filing", "op": "gt", "value": 365},
    "then": {"outcome": "flag", "message": "Past a year from the date of service."},
}  # fmt: skip


def test_a_replaced_version_stops_where_its_successor_starts(
    engine, loaded: str, tmp_path: Path
) -> None:
    repository.import_rules(engine, loaded, [_rules(tmp_path, "q1.json", [FILING])], BEA)
    _approve_last(engine, loaded)
    tighter = {**FILING, "effective_from": "2025-06-01",
               "when": {"field": "days_to_filing", "op": "gt", "value": 90}}  # fmt: skip
    repository.import_rules(engine, loaded, [_rules(tmp_path, "q2.json", [tighter])], BEA)
    _approve_last(engine, loaded)
    found, _ = check.claim_findings(*_frames(engine, loaded), AS_OF)
    # No fixture claim has gone out: every line is past both limits on the day of the check.
    by_version = found.groupby("rule_version")["date_of_service"].agg(["min", "max", "size"])
    assert by_version.loc[1, "max"] < dt.date(2025, 6, 1) <= by_version.loc[2, "min"]
    charges = _frames(engine, loaded)[0]
    assert by_version["size"].sum() == len(charges)  # each line once, by one version
    # The retired version catches nothing dated after its retirement, even on its own.
    rules = _frames(engine, loaded)[2]
    only_old = rules[rules["rule_version"].eq(1)]
    alone, _ = check.claim_findings(charges, _frames(engine, loaded)[1], only_old, AS_OF)
    assert alone["date_of_service"].max() < dt.date(2025, 6, 1)


def test_only_lines_not_yet_paid_are_checked_unless_all() -> None:
    charges = pd.DataFrame({"claim_id": ["A", "A", "B", "C"], "line_number": [1, 2, 1, 1]})
    remit_lines = pd.DataFrame(
        {
            "remit_id": [1, 1, 2, 3],
            "claim_seq": [1, 1, 1, 1],
            "claim_id": ["A", "A", "B", "C"],
            "line_number": [1, 2, 1, None],
            "paid_cents": [5000, 0, 7000, 100],
        }
    )
    claims = pd.DataFrame(
        {
            "remit_id": [1, 2, 3],
            "claim_seq": [1, 1, 1],
            "is_reversal": [False, False, False],
            "reversed_by_remit_id": [None, 9, None],
        }
    )
    # A1 paid; A2 denied (0 paid); B1 paid by a posting later reversed; C1 unmatched.
    assert check.unpaid(charges, remit_lines, claims).tolist() == [False, True, True, True]


APPOINTMENT_RULES = [
    {
        "rule_id": "NEW-REFERRAL", "payer_id": "ACME", "product_line": "HMO",
        "category": "referral", "effective_from": "2025-01-01", "applies_to": "appointment",
        "audience": "patient",
        "when": {"field": "visit_type", "op": "eq", "value": "new"},
        "then": {"outcome": "require", "requirement": "referral", "detail": "PCP referral",
                 "message": "Please bring your referral to your first visit."},
    },
    {
        "rule_id": "KNEE-INJECTION-DOCS", "payer_id": "*", "category": "documentation_threshold",
        "effective_from": "2025-01-01", "applies_to": "appointment",
        "when": {"field": "planned_procedure_codes", "op": "has", "value": "20610"},
        "then": {"outcome": "visit_minutes", "minutes": 30,
                 "message": "Injection visits document the exam and the consent."},
    },
]  # fmt: skip


def test_the_checklist_names_what_to_have_ready_and_carries_no_money(
    engine, loaded: str, tmp_path: Path
) -> None:
    path = _rules(tmp_path, "appointments.json", APPOINTMENT_RULES)
    repository.import_rules(engine, loaded, [path], BEA)
    _approve_last(engine, loaded)
    day = dt.date(2025, 11, 30)
    found, refused = check.check_appointments(engine, loaded, OWEN, day)
    assert not refused
    assert found[["appointment_id", "rule_id", "requirement", "visit_minutes"]].astype(
        object
    ).values.tolist() == [
        ["APT5002", "NEW-REFERRAL", "referral", pd.NA],
        ["APT5003", "KNEE-INJECTION-DOCS", "", 30],
    ]
    later, _ = check.check_appointments(engine, loaded, OWEN, day, dt.date(2025, 12, 3))
    assert later["appointment_id"].tolist() == ["APT5003"]
    assert found.columns.tolist() == check.CHECKLIST_COLUMNS
    # Written into the store by hand past the import: money in a checklist item's message.
    with engine.begin() as conn:
        stored = json.dumps(
            {
                **APPOINTMENT_RULES[1],
                "then": {**APPOINTMENT_RULES[1]["then"], "message": "Collect the $40 copay first"},
            }  # fmt: skip
        )
        conn.execute(
            tables.rules.update()
            .where(tables.rules.c.org_id == loaded,
                   tables.rules.c.rule_id == "KNEE-INJECTION-DOCS")
            .values(definition=stored)
        )  # fmt: skip
    found, refused = check.check_appointments(engine, loaded, OWEN, day)
    assert found["rule_id"].tolist() == ["NEW-REFERRAL"]
    assert [(r.rule_id, r.guardrail) for r in refused] == [
        ("KNEE-INJECTION-DOCS", "(c) no money to patients")
    ]


def test_the_checklist_row_type_has_no_field_that_could_hold_money() -> None:
    hints = typing.get_type_hints(check.ChecklistItem)
    money_words = ("amount", "cents", "fee", "rate", "price", "paid", "allowed", "margin",
                   "charge", "cost", "percent", "payment", "copay", "balance")  # fmt: skip
    for field in dataclasses.fields(check.ChecklistItem):
        assert not any(word in field.name for word in money_words), field.name
        kinds = typing.get_args(hints[field.name]) or (hints[field.name],)
        assert not {float, decimal.Decimal} & set(kinds), field.name
    # Numbers only where a number cannot be money: the rule's version and the minutes.
    numbers = [f.name for f in dataclasses.fields(check.ChecklistItem)
               if int in (typing.get_args(hints[f.name]) or (hints[f.name],))]  # fmt: skip
    assert numbers == ["rule_version", "visit_minutes"]
    with pytest.raises(TypeError):
        check.ChecklistItem(*(["x"] * 9), allowed_amount=1)  # no such field to fill


def test_cli_check_claims_and_appointments(engine, loaded: str, db_url: str, tmp_path) -> None:
    path = _rules(tmp_path, "filing.json", [FILING])
    repository.import_rules(engine, loaded, [path], BEA)
    _approve_last(engine, loaded)
    env = {"PAYEROPT_ACTOR": "owen", "PAYEROPT_ROLE": "owner"}
    out = tmp_path / "check.csv"
    done = payeropt("check", loaded, "--claims", "--as-of", "2026-12-06", "--csv", str(out),
                    db=db_url, env=env)  # fmt: skip
    assert done.code == 0, done.err
    header = out.read_text().splitlines()[0]
    assert header == ",".join(check.CLAIM_COLUMNS)
    refused = payeropt("check", loaded, "--appointments", db=db_url,
                       env={**env, "PAYEROPT_ROLE": "analyst"})  # fmt: skip
    assert refused.code != 0 and "analyst" in refused.err
    neither = payeropt("check", loaded, db=db_url, env=env)
    assert neither.code != 0 and "--claims" in neither.err


def test_an_ncci_file_that_is_neither_is_refused_and_stores_nothing(
    engine, loaded: str, tmp_path: Path
) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("this is not an edit file\n")
    with pytest.raises(errors.InputFileError, match="neither a practitioner PTP file"):
        repository.import_ncci(engine, loaded, other, "*", BEA, "2026Q3")
    with pytest.raises(errors.RuleFileError, match="unknown payer 'NOPE'"):
        repository.import_ncci(engine, loaded, _ptp(tmp_path, "20610\t73562\t\t20000101\t*"
                                                    "\t0\tx"), "NOPE", BEA, "2026Q3")  # fmt: skip
    assert repository.list_rules(engine, loaded).empty
