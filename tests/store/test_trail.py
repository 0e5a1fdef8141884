"""The keyed audit chain against someone who can write the database but has not the key:
both attacks of issue 13 item 5 (delete the tail and rewind the head; edit an entry and
re-hash the chain with plain SHA-256), on both backends, seen by ``payeropt audit --verify``;
the key file, anchors, the migration of older trails, and searching (by patient too)."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from payeropt_lib import config, errors, store
from payeropt_lib.inputs import imports
from payeropt_lib.store import anchors, audit, audit_key, orgs, trail
from payeropt_lib.store.access import Identity
from tests.conftest import GOOD, OWNER, _fresh_pg_database
from tests.test_cli import payeropt

BILLING = Identity("bea", "billing_manager")
MANAGER = Identity("max", "practice_manager")
OWNER_ENV = {"PAYEROPT_ACTOR": "olivia", "PAYEROPT_ROLE": "owner"}


@pytest.fixture
def practice(engine, org) -> str:
    """An opted-in practice with three entries: created, opted in, contracts imported."""
    imports.import_file(engine, org, "contracts", GOOD / "contracts.csv", OWNER)
    return org


def _verify(db_url: str, org: str, *args: str, env: dict | None = None):
    """``payeropt audit ORG --verify`` as a user runs it (the test run's key, unless
    ``env`` says otherwise)."""
    key = {config.AUDIT_KEY_ENV: str(config.audit_key_file())}
    env = {**OWNER_ENV, **key, **(env or {})}
    return payeropt("audit", org, "--verify", *args, db=db_url, env=env)


# --- what someone with write access does ----------------------------------------------------


def _as_db_writer(engine, statements: list[tuple[str, dict]]) -> None:
    """Run ``statements`` as someone holding the database: past the append-only triggers
    (SQLite: dropped; PostgreSQL: disabled for the transaction, as the table's owner may)."""
    pg = engine.dialect.name == "postgresql"
    trigger = "TRIGGER audit_log_no_update_delete"
    with engine.begin() as conn:
        if pg:
            conn.exec_driver_sql(f"ALTER TABLE audit_log DISABLE {trigger}")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
        for statement, params in statements:
            conn.execute(sa.text(statement), params)
        if pg:
            conn.exec_driver_sql(f"ALTER TABLE audit_log ENABLE {trigger}")


def _rows(engine, org: str) -> list[dict]:
    log = store.tables.audit_log
    with engine.connect() as conn:
        query = sa.select(*[log.c[c] for c in audit.COLUMNS]).where(log.c.org_id == org)
        return [dict(r) for r in conn.execute(query.order_by(log.c.seq)).mappings()]


def _delete_tail(engine, org: str, first: int) -> None:
    """Delete entries ``first`` onwards and rewind the practice's head to the one before."""
    before = _rows(engine, org)[first - 2]
    _as_db_writer(engine, [
        ("DELETE FROM audit_log WHERE org_id = :org AND seq >= :first",
         {"org": org, "first": first}),
        ("UPDATE orgs SET audit_seq = :seq, audit_head = :hash WHERE org_id = :org",
         {"org": org, "seq": before["seq"], "hash": before["hash"]}),
    ])  # fmt: skip


def _rehash(engine, org: str, first: int, scheme: str, edit: dict) -> None:
    """Edit entry ``first`` and re-hash it and every later entry with plain SHA-256 (all an
    attacker without the key can compute), marked ``scheme``; the head follows."""
    rows = _rows(engine, org)
    prev = rows[first - 2]["hash"] if first > 1 else audit.GENESIS
    statements = []
    for row in rows[first - 1 :]:
        if row["seq"] == first:
            row.update(edit)
        row.update(prev_hash=prev, scheme=scheme)
        if scheme == audit.SHA256:
            row["key_id"] = None
        row["hash"] = prev = audit.entry_hash(org, row)
        statements.append((
            "UPDATE audit_log SET actor = :actor, details = :details, prev_hash = :prev_hash, "
            "hash = :hash, scheme = :scheme, key_id = :key_id WHERE org_id = :org AND seq = :seq",
            {**row, "org": org},
        ))  # fmt: skip
    statements.append(
        ("UPDATE orgs SET audit_head = :hash WHERE org_id = :org", {"org": org, "hash": prev})
    )
    _as_db_writer(engine, statements)


# --- the two attacks --------------------------------------------------------------------------


def test_deleting_the_tail_and_rewinding_the_head_fails_verify_against_the_anchor(
    db_url, engine, practice, tmp_path
):
    out = tmp_path / "safe" / "anchor.json"
    made = trail.anchor(engine, practice, OWNER, out)
    assert made.seq == 4  # created, opted in, contracts, and the anchor's own entry
    orgs.opt_out(engine, practice, OWNER)  # the trail goes on after the anchor (entry 5)
    done = _verify(db_url, practice)
    assert done.code == 0 and f"holds to the anchor of {made.at} (entry 4)" in done.out

    _delete_tail(engine, practice, 3)
    # Chain and head agree: without the anchor this is a trail of two entries, intact.
    assert audit.verify(engine, practice).ok
    for args in [(), ("--anchor-file", str(out))]:  # remembered beside the key, or the file
        done = _verify(db_url, practice, *args)
        assert done.code == 1, (args, done.out, done.err)
        assert done.err == (
            f"the chain ends at entry 2, but the anchor of {made.at} says it had 4: "
            "entries 3–4 deleted\n"
        )
        assert "chain intact" not in done.out


@pytest.mark.parametrize(
    ("first", "scheme", "says"),
    [
        # Plain SHA-256 where a keyed hash belongs.
        (2, audit.HMAC, "entries 2–3: content does not match its keyed hash (edited, or "
                        "re-hashed without the key)"),
        # ... marked as the unkeyed scheme of before migration 0007: not after a keyed entry,
        (2, audit.SHA256, "entries 2–3: unkeyed hash after keyed entries (re-hashed without "
                          "the key)"),
        # ... nor as a whole trail with no keyed entry after it.
        (1, audit.SHA256, "entries 1–3: only unkeyed hashes, and no keyed entry follows"),
    ],
    ids=["keyed-scheme-kept", "downgraded-from-2", "downgraded-whole"],
)  # fmt: skip
def test_an_edit_rehashed_without_the_key_fails_verify(db_url, engine, practice, first, scheme,
                                                       says):  # fmt: skip
    assert _verify(db_url, practice).code == 0
    _rehash(engine, practice, first, scheme, {"actor": "mallory"})
    # What the attacker made is a consistent plain SHA-256 chain, head included...
    rows = _rows(engine, practice)
    assert all(audit.entry_hash(practice, r) == r["hash"] for r in rows[first - 1 :])
    # ... which the keyed chain does not take.
    done = _verify(db_url, practice)
    assert done.code == 1 and "chain intact" not in done.out
    assert done.err.startswith(says), done.err
    assert "Traceback" not in done.err


def test_a_rewrite_before_the_anchor_is_named_by_the_anchor(db_url, engine, practice):
    made = trail.anchor(engine, practice, OWNER)
    _rehash(engine, practice, 2, audit.HMAC, {"details": '{"rows":1}'})
    verdict = trail.verify(engine, practice, OWNER)
    assert verdict.problems[-1] == (
        f"entry 4 is not the one anchored on {made.at}: the trail up to it was rewritten"
    )


def test_anchoring_refuses_a_broken_chain(engine, practice):
    _rehash(engine, practice, 3, audit.HMAC, {"actor": "mallory"})
    with pytest.raises(errors.AuditChainBroken, match="nothing anchored") as caught:
        trail.anchor(engine, practice, OWNER)
    assert caught.value.seq == 3
    assert audit.search(engine, practice, action="audit.anchor").empty


# --- the key ----------------------------------------------------------------------------------


def test_the_test_run_keeps_its_key_out_of_the_home_folder():
    """A temp folder, or under `make test` the demo's own key in the project's out/ (the
    demo store the tests read is signed with it): never the user's real one."""
    key = config.audit_key_file()
    demo_out = config.PROJECT_ROOT / "out"
    assert key.is_relative_to(tempfile.gettempdir()) or key.is_relative_to(demo_out), key
    assert not key.is_relative_to(Path.home() / ".config")


def test_the_key_location(monkeypatch, tmp_path):
    monkeypatch.delenv(config.AUDIT_KEY_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config.audit_key_file() == tmp_path / "xdg" / "payeropt" / "audit.key"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config.audit_key_file() == tmp_path / "home" / ".config" / "payeropt" / "audit.key"
    monkeypatch.setenv(config.AUDIT_KEY_ENV, "~/keys/payeropt.key")
    assert config.audit_key_file() == tmp_path / "home" / "keys" / "payeropt.key"
    assert config.audit_anchor_dir() == tmp_path / "home" / "keys" / "anchors"


def test_the_key_is_made_once_readable_by_its_owner_only(monkeypatch, tmp_path):
    path = tmp_path / "cfg" / "audit.key"
    monkeypatch.setenv(config.AUDIT_KEY_ENV, str(path))
    with pytest.raises(errors.AuditKeyMissing):
        audit_key.load("needed")
    made = audit_key.load_or_create()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert audit_key.load_or_create() == made == audit_key.load("needed")
    assert len(made.key_id) == 16 and made.secret.hex() not in repr(made)
    path.write_text("not a key\n")
    with pytest.raises(errors.BadAuditKey, match="does not hold a key"):
        audit_key.load("needed")


def test_keyed_hash_is_pinned():
    key = audit_key.AuditKey(bytes(range(32)), Path("k"))
    entry = {
        "seq": 1, "at": "2026-01-01T00:00:00.000000Z", "actor": "a", "role": "owner",
        "action": "opt_in", "target": "x", "outcome": "ok", "details": "{}", "patient_id": None,
        "prev_hash": audit.GENESIS, "scheme": audit.HMAC, "key_id": key.key_id,
    }  # fmt: skip
    # A change here breaks every keyed chain on file.
    assert key.key_id == "967300af79eba7e6"
    assert audit.keyed_hash(key, "x", entry) == (
        "7b8ae5a3456c2a219f2591551bedddf630fc29f28c6ab270b3a035e56f600e9c"
    )
    assert audit.keyed_hash(key, "y", entry) != audit.keyed_hash(key, "x", entry)
    assert audit.keyed_hash(key, "x", {**entry, "scheme": audit.SHA256}) != (
        audit.keyed_hash(key, "x", entry)
    )


def test_verify_without_the_key_file_says_the_key_is_missing(db_url, engine, practice, tmp_path):
    missing = tmp_path / "gone" / "audit.key"
    done = _verify(db_url, practice, env={config.AUDIT_KEY_ENV: str(missing)})
    assert done.code == 2 and done.out == ""
    assert done.err == (
        f"payeropt: no audit key at {missing} (PAYEROPT_AUDIT_KEY_FILE): the trail is signed "
        "with it and cannot be verified without it; restore the key file from its backup\n"
    )


def test_writing_without_the_practices_key_is_refused_and_changes_nothing(
    engine, practice, tmp_path, monkeypatch
):
    before = _rows(engine, practice)
    monkeypatch.setenv(config.AUDIT_KEY_ENV, str(tmp_path / "gone" / "audit.key"))
    with pytest.raises(errors.AuditKeyMissing, match=f"the audit trail of '{practice}' is signed"):
        orgs.opt_out(engine, practice, OWNER)
    # Nor for a new practice of a store whose trails are keyed: its key is elsewhere.
    with pytest.raises(errors.AuditKeyMissing, match="this store's audit trails are signed"):
        orgs.create(engine, practice + "n", "New", OWNER)
    assert not (tmp_path / "gone").exists()  # no new key made
    monkeypatch.setenv(config.AUDIT_KEY_ENV, str(tmp_path / "other" / "audit.key"))
    other = audit_key.load_or_create()
    with pytest.raises(errors.AuditKeyMismatch, match=f"but the key at .* is {other.key_id}"):
        orgs.opt_out(engine, practice, OWNER)
    assert _rows(engine, practice) == before
    assert orgs.get(engine, practice)["opted_in"]
    # Verified with another key, the entries are named for the key they are signed with.
    verdict = audit.verify(engine, practice)
    assert verdict.problems[0].startswith("entries 1–3: signed with key ")
    assert f"not with the key at {other.path} ({other.key_id})" in verdict.problems[0]


# --- anchors ----------------------------------------------------------------------------------


def test_an_anchor_file_that_is_edited_or_not_this_practices_fails_verify(
    db_url, engine, practice, tmp_path
):
    out = tmp_path / "anchor.json"
    trail.anchor(engine, practice, OWNER, out)
    fields = json.loads(out.read_text())
    assert set(fields) == {"format", "org_id", "seq", "hash", "at", "key_id", "signature",
                           "database"}  # fmt: skip
    assert _verify(db_url, practice, "--anchor-file", str(out)).code == 0

    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**fields, "seq": 2}))
    done = _verify(db_url, practice, "--anchor-file", str(forged))
    assert done.code == 1
    assert done.err == f"the anchor {forged} does not match its signature (edited, or forged)\n"

    elsewhere = tmp_path / "other.json"
    elsewhere.write_text(json.dumps({**fields, "org_id": "another"}))
    done = _verify(db_url, practice, "--anchor-file", str(elsewhere))
    assert done.code == 1 and f"is for practice 'another', not '{practice}'" in done.err

    (tmp_path / "a-file").write_text("")
    nowhere = payeropt("audit", practice, "--anchor", "--out", str(tmp_path / "a-file" / "x.json"),
                       db=db_url, env=OWNER_ENV)  # fmt: skip
    assert nowhere.code == 2 and "is a file, not a folder" in nowhere.err
    assert len(audit.search(engine, practice, action="audit.anchor")) == 1  # nothing recorded

    junk = tmp_path / "junk.json"
    junk.write_text("{")
    done = _verify(db_url, practice, "--anchor-file", str(junk))
    assert done.code == 2 and done.err.startswith(f"payeropt: anchor file {junk}: cannot be read")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_anchors_are_remembered_per_store(engine, practice, tmp_path):
    """A second database with a practice of the same key keeps anchors of its own."""
    trail.anchor(engine, practice, OWNER)
    trail.anchor(engine, practice, OWNER)
    kept, path = anchors.remembered(engine, practice)
    assert kept.seq == 5 and path.parent.parent == config.audit_anchor_dir()
    other = store.engine_for(config.sqlite_url(tmp_path / "other.sqlite"))
    orgs.create(other, practice, "Same key, other store", OWNER)
    assert anchors.remembered(other, practice) is None
    assert trail.verify(other, practice, OWNER).ok


# --- an older store: entries hashed before keying -----------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request, tmp_path):
    """A new database at revision 0005, the schema before keying."""
    if request.param == "sqlite":
        url = config.sqlite_url(tmp_path / "old.sqlite")
        yield store.engine_for(url, migrate=False)
        return
    with _fresh_pg_database() as url:
        yield store.engine_for(url, migrate=False)


def test_the_migration_seals_older_trails_and_keeps_their_hashes(old_store):
    engine = old_store
    assert store.upgrade(engine, "0005") == "0005"
    org = "older"
    prev = audit.GENESIS
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO orgs (org_id, name, created_at, opted_in, audit_seq, audit_head) "
            "VALUES (:org, 'Older', '2025-01-01T00:00:00.000000Z', false, 0, :g)"
        ), {"org": org, "g": prev})  # fmt: skip
        for seq, action in enumerate(["practice.create", "opt_in", "import.charges"], 1):
            entry = {
                "seq": seq, "at": f"2025-01-0{seq}T00:00:00.000000Z", "actor": "olivia",
                "role": "owner", "action": action, "target": org, "outcome": "ok",
                "details": "{}", "patient_id": None, "prev_hash": prev,
            }  # fmt: skip
            entry["hash"] = prev = audit.entry_hash(org, entry)  # how 0005 hashed
            columns = ", ".join(entry)
            conn.execute(
                sa.text(f"INSERT INTO audit_log (org_id, {columns}) VALUES (:org, "
                        + ", ".join(f":{c}" for c in entry) + ")"),
                {**entry, "org": org},
            )  # fmt: skip
        conn.execute(
            sa.text("UPDATE orgs SET audit_seq = 3, audit_head = :h WHERE org_id = :org"),
            {"h": prev, "org": org},
        )
    assert store.upgrade(engine) == store.head_revision()
    rows = _rows(engine, org)
    assert [r["scheme"] for r in rows] == [audit.SHA256] * 3 + [audit.HMAC]
    assert rows[3]["action"] == "audit.keyed" and rows[3]["prev_hash"] == prev
    assert json.loads(rows[3]["details"]) == {"migration": "0007", "sealed_seq": 3}
    assert rows[2]["hash"] == prev  # the old entries keep their hashes
    system = _rows(engine, store.tables.SYSTEM_ORG)
    assert system == []  # an empty trail needs no seal
    assert audit.verify(engine, org).ok
    orgs.opt_out(engine, org, OWNER)  # the trail goes on keyed
    assert audit.verify(engine, org).ok

    # An edit of an old entry, re-hashed up to the seal: the seal's keyed link gives it away.
    _rehash_until(engine, org, 2, 3)
    problems = audit.verify(engine, org).problems
    assert problems == ("entry 4: link to the previous entry is broken",), problems


def _rehash_until(engine, org: str, first: int, last: int) -> None:
    rows = _rows(engine, org)
    prev = rows[first - 2]["hash"]
    statements = []
    for row in rows[first - 1 : last]:
        row.update(actor="mallory", prev_hash=prev)
        row["hash"] = prev = audit.entry_hash(org, row)
        statements.append((
            "UPDATE audit_log SET actor = :actor, prev_hash = :prev_hash, hash = :hash "
            "WHERE org_id = :org AND seq = :seq", {**row, "org": org},
        ))  # fmt: skip
    _as_db_writer(engine, statements)


# --- searching --------------------------------------------------------------------------------


def _patient_entry(engine, org: str) -> None:
    """An entry about one patient (as a coding review will write)."""
    with store.writing(engine, org) as conn:
        audit.record(conn, org, actor="bea", role="billing_manager", action="coding.review",
                     target="CLM1001", patient_id="PAT001")  # fmt: skip


def test_a_search_by_patient_is_for_the_owner_and_billing_and_is_recorded(engine, practice):
    _patient_entry(engine, practice)
    with pytest.raises(errors.PermissionDenied):
        trail.search(engine, practice, MANAGER, patient_id="PAT001")
    refused = audit.search(engine, practice, action="audit.search_patient")
    assert refused[["actor", "outcome", "patient_id"]].values.tolist() == [
        ["max", "refused", None]  # the refusal does not repeat the key it was not given
    ]
    found = trail.search(engine, practice, BILLING, patient_id="PAT001", action="coding")
    assert found[["action", "patient_id"]].values.tolist() == [["coding.review", "PAT001"]]
    recorded = audit.search(engine, practice, action="audit.search_patient", actor="bea")
    assert recorded[["outcome", "patient_id"]].values.tolist() == [["ok", "PAT001"]]
    assert json.loads(recorded["details"].iloc[0]) == {"entries": 1, "action": "coding"}
    assert trail.verify(engine, practice, OWNER).ok


def test_other_searches_withhold_patient_keys_from_every_role(engine, practice):
    _patient_entry(engine, practice)
    for who in (OWNER, BILLING, MANAGER):
        found = trail.search(engine, practice, who)
        assert "PAT001" not in found.to_string()
        assert found["patient_id"].dropna().tolist() == [trail.WITHHELD]
    assert audit.search(engine, practice, action="audit.search").empty  # not recorded


def test_search_from_the_command_line(db_url, engine, practice, tmp_path):
    _patient_entry(engine, practice)

    def audit_cmd(*args: str, role: str = "owner"):
        return payeropt("audit", practice, *args, "--role", role, db=db_url, env=OWNER_ENV)

    listed = audit_cmd("--action", "import", "--actor", "olivia")
    assert listed.code == 0, listed.err
    assert listed.out.count("import.contracts") == 1 and "opt_in" not in listed.out
    assert "prev_hash" not in listed.out and "hmac" not in listed.out
    today = audit.utc_now()[:10]
    assert "no entries" in audit_cmd("--to", "2000-01-01").out
    assert audit_cmd("--from", today, "--to", today).out.count("\n") == 5  # header + 4
    assert audit_cmd("--from", "someday").code == 2
    general = audit_cmd()
    assert "PAT001" not in general.out and trail.WITHHELD in general.out
    by_patient = audit_cmd("--patient", "PAT001", role="billing_manager")
    assert by_patient.code == 0 and "PAT001" in by_patient.out
    refused = audit_cmd("--patient", "PAT001", role="practice_manager")
    assert refused.code == 2 and "audit.search_patient refused" in refused.err
    out = tmp_path / "trail.csv"
    exported = audit_cmd("--csv", str(out), "--action", "coding")
    assert exported.code == 0 and exported.out == f"1 entries written to {out}\n"
    header, row = out.read_text().splitlines()
    assert header.split(",") == audit.COLUMNS
    assert "PAT001" not in row and trail.WITHHELD in row
    assert audit_cmd("--out", str(out)).code == 2  # --out goes with --anchor
    assert audit_cmd("--verify", "--anchor").code == 2
    assert os.environ.get(config.AUDIT_KEY_ENV)  # the run's key, untouched by the above
