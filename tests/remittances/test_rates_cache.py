"""The practice's rate tables kept between postings, read again after an import."""

from __future__ import annotations

from payeropt_lib import store
from payeropt_lib.inputs import imports
from payeropt_lib.remittances import rates_cache
from payeropt_lib.store import tables

from ..conftest import GOOD, OWNER


def _read(engine, org):
    with engine.connect() as conn:
        return rates_cache.rate_tables(conn, org)


def test_kept_until_an_import_changes_them(engine, loaded, tmp_path):
    first = _read(engine, loaded)
    assert _read(engine, loaded) is first  # nothing imported since: the same frames
    fresh = store.read_frame(engine, tables.fee_schedules, loaded)
    assert first.fee_schedules.equals(fresh)

    # An import (from any process: the stamp is in the database) makes the next read fresh.
    path = tmp_path / "fee_schedules.csv"
    path.write_text((GOOD / "fee_schedules.csv").read_text() + "MCD,,99499,,12.34,2025-01-01,\n")
    imports.import_file(engine, loaded, "fee-schedules", path, OWNER)
    after = _read(engine, loaded)
    assert after is not first
    assert after.fee_schedules.equals(store.read_frame(engine, tables.fee_schedules, loaded))
    assert "99499" in set(after.fee_schedules["procedure_code"])
    assert _read(engine, loaded) is after


def test_practices_and_databases_are_kept_apart(engine, loaded, org):
    # ``org`` is the same practice as ``loaded``; a second practice has no rates at all.
    from payeropt_lib.store import orgs

    orgs.create(engine, f"{org}b", "Other", OWNER)
    other = _read(engine, f"{org}b")
    assert other.contracts.empty and other.fee_schedules.empty
    assert not _read(engine, loaded).contracts.empty
