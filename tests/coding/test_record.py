"""``payeropt suggest`` and the dispositions, on a real store (SQLite and PostgreSQL): what
is recorded, what a second run changes (nothing), what a changed note withdraws, who may
see the money, and the audit entry of each disposition.

The practice is tests/data/good. Its notes support two E/M changes, worked by hand:
CLM1005 (established, 10 minutes, straightforward MDM) billed 99213 supports 99212
(down); CLM1008 (established, 40 minutes, high MDM) billed 99214 supports 99215 (up).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from payeropt_lib import errors, store
from payeropt_lib.coding import em, record
from payeropt_lib.inputs import imports
from payeropt_lib.store import tables
from payeropt_lib.store.access import Identity
from tests.conftest import GOOD, OWNER

BILLING = Identity("bea", "billing_manager")
CLINICIAN = Identity("dr-lee", "clinician")
DAY = dt.date(2026, 1, 15)


def _stored(engine, org) -> pd.DataFrame:
    frame = store.read_frame(engine, tables.suggestions, org)
    return frame.sort_values("suggestion_id", ignore_index=True)


def _em_rows(frame: pd.DataFrame) -> list[tuple]:
    em_rows = frame[frame["kind"].eq("em_level")]
    return sorted(
        em_rows[["claim_id", "original_code", "suggested_code", "direction", "status"]].itertuples(
            index=False, name=None
        )
    )


def test_suggest_records_what_the_notes_support_and_a_second_run_changes_nothing(
    engine, loaded
) -> None:
    first = record.suggest(engine, loaded, BILLING, DAY)
    stored = _stored(engine, loaded)
    assert _em_rows(stored) == [
        ("CLM1005", "99213", "99212", "down", "open"),
        ("CLM1008", "99214", "99215", "up", "open"),
    ]
    assert first.recorded == len(stored) == first.found
    assert stored["is_compliant"].all() and stored["support"].str.len().gt(0).all()
    assert stored["created_at"].str.startswith("2026-01-15").all()
    again = record.suggest(engine, loaded, BILLING, DAY)
    assert (again.recorded, again.reopened, again.withdrawn) == (0, 0, 0)
    pd.testing.assert_frame_equal(_stored(engine, loaded), stored)


def test_a_changed_note_withdraws_an_open_suggestion_and_keeps_a_decided_one(
    engine, loaded, tmp_path
) -> None:
    record.suggest(engine, loaded, BILLING, DAY)
    ids = _stored(engine, loaded).set_index("claim_id")["suggestion_id"]
    record.decide(engine, loaded, int(ids["CLM1005"]), "reject", "note addendum", CLINICIAN)
    # Both notes now support what was billed: 99213 and 99214.
    notes = (GOOD / "encounters.csv").read_text()
    notes = notes.replace("CLM1005,established,10,straightforward",
                          "CLM1005,established,20,low")  # fmt: skip
    notes = notes.replace("CLM1008,established,40,high", "CLM1008,established,30,moderate")
    (tmp_path / "encounters.csv").write_text(notes)
    imports.import_file(engine, loaded, "encounters", tmp_path / "encounters.csv", OWNER)
    run = record.suggest(engine, loaded, BILLING, DAY)
    assert run.withdrawn == 1
    assert _em_rows(_stored(engine, loaded)) == [
        ("CLM1005", "99213", "99212", "down", "rejected"),
        ("CLM1008", "99214", "99215", "up", "withdrawn"),
    ]
    # The notes as they were (rows in another order: the same file would be "already
    # imported"): the withdrawn suggestion opens again; nothing is duplicated.
    header, *rows = (GOOD / "encounters.csv").read_text().splitlines()
    (tmp_path / "again.csv").write_text("\n".join([header, *reversed(rows)]) + "\n")
    imports.import_file(engine, loaded, "encounters", tmp_path / "again.csv", OWNER)
    assert record.suggest(engine, loaded, BILLING, DAY).reopened == 1
    assert _em_rows(_stored(engine, loaded))[1][-1] == "open"


def test_a_disposition_is_one_audit_entry_and_is_final(engine, loaded) -> None:
    record.suggest(engine, loaded, BILLING, DAY)
    sid = int(_stored(engine, loaded).set_index("claim_id").at["CLM1008", "suggestion_id"])
    before = store.count_rows(engine, tables.audit_log, loaded)
    record.decide(engine, loaded, sid, "accept", "time and MDM both support 99215", CLINICIAN)
    log = store.read_frame(engine, tables.audit_log, loaded).sort_values("seq")
    assert len(log) == before + 1
    entry = log.iloc[-1]
    assert (entry["actor"], entry["role"], entry["action"]) == ("dr-lee", "clinician",
                                                                "coding.accept")  # fmt: skip
    assert '"original_code":"99214"' in entry["details"].replace(" ", "")
    assert '"suggested_code":"99215"' in entry["details"].replace(" ", "")
    assert '"reason":"timeandMDMbothsupport99215"' in entry["details"].replace(" ", "")
    with pytest.raises(errors.SuggestionDecided):
        record.decide(engine, loaded, sid, "reject", "changed my mind", CLINICIAN)
    with pytest.raises(errors.UnknownSuggestion):
        record.decide(engine, loaded, 10**6, "reject", "no such", CLINICIAN)
    other = int(_stored(engine, loaded).set_index("claim_id").at["CLM1005", "suggestion_id"])
    with pytest.raises(errors.ReasonRequired):
        record.decide(engine, loaded, other, "reject", "  ", CLINICIAN)
    with pytest.raises(errors.PermissionDenied):
        record.decide(engine, loaded, other, "accept", "ok", Identity("ann", "analyst"))
    assert store.count_rows(engine, tables.audit_log, loaded) == before + 2  # + the refusal
    accepted = record.listing(engine, loaded, BILLING, accepted=True)
    assert list(accepted.columns) == record.ACCEPTED_COLUMNS
    assert accepted[["claim_id", "suggested_code"]].values.tolist() == [["CLM1008", "99215"]]


def test_payment_impact_is_shown_to_owner_and_billing_only(engine, loaded, tmp_path) -> None:
    # Medicaid pays 99214 at 90.00 (tests/data/good); a 99215 rate of 120.00 prices
    # CLM1008's suggestion at +30.00. Self pay (CLM1005) has no rates: not known.
    header = (GOOD / "fee_schedules.csv").read_text().splitlines()[0]
    (tmp_path / "fee_schedules.csv").write_text(f"{header}\nMCD,,99215,,120.00,2025-01-01,\n")
    imports.import_file(engine, loaded, "fee-schedules", tmp_path / "fee_schedules.csv", OWNER)
    record.suggest(engine, loaded, BILLING, DAY)
    billing = record.listing(engine, loaded, BILLING).set_index("claim_id")
    assert billing.at["CLM1008", "payment_impact"] == "30.00"
    assert billing.at["CLM1005", "payment_impact"] == ""  # blank: not known
    clinician = record.listing(engine, loaded, CLINICIAN)
    assert list(clinician.columns) == record.LIST_COLUMNS
    assert clinician["payment_impact"].eq("").all()


def test_a_suggestion_without_documented_support_is_never_recorded(
    engine, loaded, monkeypatch
) -> None:
    """An engine that returned rows it cannot prove (is_compliant false, or a support
    that names no documented fact) records nothing of them."""
    real = em.em_suggestions

    def careless(encounters, lines):  # noqa: ANN001, ANN202
        found = real(encounters, lines)
        found["is_compliant"] = found["claim_id"].ne("CLM1008")
        found.loc[found["claim_id"].eq("CLM1005"), "support"] = "the level billed most often"
        return found

    monkeypatch.setattr(em, "em_suggestions", careless)
    assert record.suggest(engine, loaded, BILLING, DAY).by_kind.get("em_level", 0) == 0
    assert _em_rows(_stored(engine, loaded)) == []


def test_an_open_suggestion_found_again_shows_the_facts_as_documented_now(
    engine, loaded, tmp_path
) -> None:
    record.suggest(engine, loaded, BILLING, DAY)
    before = _stored(engine, loaded).set_index("claim_id").loc["CLM1008"]
    assert before["support"].startswith("mdm_level=high; total_time_minutes=40")
    # The MDM is corrected to moderate: 40 minutes still support 99215, by time alone.
    notes = (GOOD / "encounters.csv").read_text()
    notes = notes.replace("CLM1008,established,40,high", "CLM1008,established,40,moderate")
    (tmp_path / "encounters.csv").write_text(notes)
    imports.import_file(engine, loaded, "encounters", tmp_path / "encounters.csv", OWNER)
    run = record.suggest(engine, loaded, BILLING, DAY)
    assert (run.recorded, run.withdrawn) == (0, 0)
    after = _stored(engine, loaded).set_index("claim_id").loc["CLM1008"]
    assert after["suggestion_id"] == before["suggestion_id"] and after["status"] == "open"
    assert after["support"] == "total_time_minutes=40 (at least 40 for 99215)"


def test_a_run_as_of_an_earlier_day_leaves_later_services_alone(engine, loaded) -> None:
    record.suggest(engine, loaded, BILLING, DAY)
    # CLM1005 (2025-03-20) and CLM1008 (2025-06-18) are after 2025-03-01.
    run = record.suggest(engine, loaded, BILLING, dt.date(2025, 3, 1))
    assert run.withdrawn == 0
    assert {r[-1] for r in _em_rows(_stored(engine, loaded))} == {"open"}


def test_one_batch_cannot_decide_a_suggestion_twice(engine, loaded) -> None:
    record.suggest(engine, loaded, BILLING, DAY)
    sid = int(_stored(engine, loaded)["suggestion_id"].iloc[0])
    entries = store.count_rows(engine, tables.audit_log, loaded)
    twice = pd.DataFrame({"suggestion_id": [sid, sid], "disposition": ["accept", "reject"],
                          "reason": ["yes", "no"]})  # fmt: skip
    with pytest.raises(errors.SuggestionDecided):
        record.decide_many(engine, loaded, twice, CLINICIAN)
    assert set(_stored(engine, loaded)["status"]) == {"open"}
    assert store.count_rows(engine, tables.audit_log, loaded) == entries
