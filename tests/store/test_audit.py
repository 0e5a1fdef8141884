"""The audit trail: hash chain verification and database-enforced immutability."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payeropt_lib import store
from payeropt_lib.inputs import imports
from payeropt_lib.store import audit, orgs, tables
from payeropt_lib.store.access import Identity
from tests.conftest import GOOD, OWNER


def test_every_change_is_chained_and_verifies(engine, loaded):
    verdict = audit.verify(engine, loaded)
    assert verdict.ok, verdict.problems
    entries = audit.search(engine, loaded)
    # create, opt-in, then one entry per imported file
    assert entries["action"].tolist()[:2] == ["practice.create", "opt_in"]
    assert entries["action"].str.startswith("import.").sum() == 7
    assert entries["seq"].tolist() == list(range(1, len(entries) + 1))
    assert (entries["prev_hash"].iloc[1:].to_numpy() == entries["hash"].iloc[:-1].to_numpy()).all()
    assert entries["actor"].eq("olivia").all()


def test_search_filters(engine, loaded):
    everything = audit.search(engine, loaded)
    assert len(audit.search(engine, loaded, action="import")) == 7
    assert len(audit.search(engine, loaded, action="import.charges")) == 1
    assert len(audit.search(engine, loaded, action="impor")) == 0  # prefixes end at a dot
    assert len(audit.search(engine, loaded, actor="nobody")) == 0
    today = dt.datetime.now(dt.UTC).date()
    assert len(audit.search(engine, loaded, date_from=today, date_to=today)) == len(everything)
    assert len(audit.search(engine, loaded, date_to=today - dt.timedelta(days=1))) == 0


def test_patient_entries_are_searchable(engine, loaded):
    with engine.begin() as conn:
        audit.record(
            conn,
            loaded,
            actor="bea",
            role="billing_manager",
            action="coding.review",
            target="CLM1001",
            patient_id="PAT001",
        )
    found = audit.search(engine, loaded, patient_id="PAT001")
    assert found["action"].tolist() == ["coding.review"]
    assert audit.verify(engine, loaded).ok


def _sqlite_raw(db_url: str):
    engine = sa.create_engine(db_url)
    return engine


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_triggers_refuse_update_and_delete(engine, loaded):
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert audit.verify(engine, loaded).ok


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("UPDATE audit_log SET details = '{\"rows\":1}' WHERE seq = 3", "entry 3: content"),
        ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2", "entry 2: content"),
        ("DELETE FROM audit_log WHERE seq = 4", "entry 4 is missing"),
        (
            "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)",
            "deleted at the end",
        ),
    ],
)
def test_verify_detects_edits_on_sqlite(db_url, engine, loaded, tamper, expected):
    """Someone with the database file drops the triggers and edits: the chain tells."""
    raw = _sqlite_raw(db_url)
    with raw.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        conn.exec_driver_sql(tamper.replace("WHERE", f"WHERE org_id = '{loaded}' AND"))
    raw.dispose()
    verdict = audit.verify(engine, loaded)
    assert not verdict.ok
    assert any(expected in p for p in verdict.problems), verdict.problems


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
def test_postgresql_refuses_update_delete_truncate(engine, loaded, statement):
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert audit.verify(engine, loaded).ok
    assert store.count_rows(engine, tables.audit_log, loaded) >= 9


def test_chains_are_per_org(engine, loaded):
    other = loaded + "x"
    orgs.create(engine, other, "Other", OWNER)
    first = audit.search(engine, other)
    assert first["seq"].tolist() == [1]
    assert first["prev_hash"].tolist() == [audit.GENESIS]
    assert audit.verify(engine, loaded).ok and audit.verify(engine, other).ok


def test_audit_entry_is_in_the_same_transaction_as_the_change(engine, org, monkeypatch):
    """If writing the audit entry fails, the import it describes is rolled back."""
    seen = []

    def boom(conn, org_id, **kwargs):
        # The import's rows are written by now, in the transaction the entry would join.
        seen.append(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(tables.contracts)
                .where(tables.contracts.c.org_id == org_id)
            ).scalar_one()
        )
        raise RuntimeError("audit write failed")

    monkeypatch.setattr(audit, "record", boom)
    with pytest.raises(RuntimeError, match="audit write failed"):
        imports.import_file(engine, org, "contracts", GOOD / "contracts.csv", OWNER)
    assert seen == [5]
    monkeypatch.undo()
    assert store.count_rows(engine, tables.contracts, org) == 0
    assert store.count_rows(engine, tables.imports, org) == 0


def test_hash_is_stable_across_dialects():
    entry = {
        "seq": 1,
        "at": "2026-01-01T00:00:00.000000Z",
        "actor": "a",
        "role": "owner",
        "action": "opt_in",
        "target": "x",
        "outcome": "ok",
        "details": "{}",
        "patient_id": None,
        "prev_hash": audit.GENESIS,
    }
    # Pinned: canonical JSON of text fields, so SQLite, PostgreSQL and any later version of
    # payeropt hash a stored entry alike (a change here breaks every existing chain).
    assert audit.entry_hash("x", entry) == (
        "a7313735dbcb5486cb349a30df990fb27ce30cb9e3e13bbffb4dd89c23bc168a"
    )
    assert audit.entry_hash("x", entry) != audit.entry_hash("y", entry)


def test_identity_needs_actor_and_known_role():
    from payeropt_lib.errors import MissingIdentity
    from payeropt_lib.store.access import UnknownRole

    with pytest.raises(MissingIdentity):
        Identity.of(None, "owner")
    with pytest.raises(MissingIdentity):
        Identity.of("a", None)
    with pytest.raises(UnknownRole):
        Identity.of("a", "admin")
