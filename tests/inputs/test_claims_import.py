"""837P imports on both backends: claim lines stored like charges.csv's, corrections and
secondary claims by their rules, any order the same, refusals and re-imports change nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from payeropt_lib import store
from payeropt_lib.errors import ClaimFileRefused
from payeropt_lib.inputs import claims, imports
from payeropt_lib.store import tables
from tests.conftest import GOOD, OWNER
from tests.inputs.test_imports import snapshot
from tests.inputs.x837_cases import claim, good_lines, write


@pytest.fixture
def practice(engine, org):
    imports.import_file(engine, org, "contracts", GOOD / "contracts.csv", OWNER)
    return org


def charges(engine, org: str) -> pd.DataFrame:
    frame = store.read_frame(engine, tables.charges, org).drop(columns=["org_id", "import_id"])
    return frame.sort_values(["claim_id", "line_number"]).reset_index(drop=True)


def test_an_837_stores_the_same_lines_as_charges_csv(engine, practice, tmp_path):
    lines = good_lines()
    path = write(tmp_path, "all.837", lines.assign(secondary_payer_id=""))
    result = claims.import_claims(engine, practice, path, OWNER)
    assert (result.rows, result.inserted) == (20, 20)
    got = charges(engine, practice)
    assert got["claim_id"].nunique() == 12
    first = got.iloc[0]
    assert first["claim_id"] == "CLM1001"
    assert first["charge_cents"] == 25000
    assert first["line_control_number"] == "LCN100101"
    assert first["diagnosis_codes"] == "M17.11;I10"
    assert first["modifiers"] == "25"
    assert got.iloc[1]["modifiers"] == "RT:59"
    assert first["submitted_date"] == pd.Timestamp("2025-02-01")


def test_reimport_changes_nothing_and_a_refused_file_stores_nothing(engine, practice, tmp_path):
    path = write(tmp_path, "a.837", good_lines())
    claims.import_claims(engine, practice, path, OWNER)
    before = snapshot(engine, practice)
    again = claims.import_claims(engine, practice, path, OWNER)
    assert again.already_imported
    assert snapshot(engine, practice) == before
    bad = tmp_path / "bad.837"
    bad.write_bytes(path.read_bytes().replace(b"SV1*HC:99214", b"SV1*HC:9921!"))
    with pytest.raises(ClaimFileRefused, match=r"segment \d+ \(SV1\): SV101-2"):
        claims.import_claims(engine, practice, bad, OWNER)
    assert snapshot(engine, practice) == before


def test_a_value_longer_than_stored_refuses_the_file(engine, practice, tmp_path):
    lines = claim(good_lines(), "CLM1002").assign(place_of_service="111")
    path = write(tmp_path, "w.837", lines)
    before = snapshot(engine, practice)
    with pytest.raises(ClaimFileRefused, match=r"\(CLM\): CLM05-1 is 3 characters"):
        claims.import_claims(engine, practice, path, OWNER)
    assert snapshot(engine, practice) == before


def test_an_unknown_payer_refuses_the_file(engine, practice, tmp_path):
    lines = claim(good_lines(), "CLM1002").assign(primary_payer_id="NOBODY")
    path = write(tmp_path, "p.837", lines)
    before = snapshot(engine, practice)
    with pytest.raises(ClaimFileRefused, match=r"\(CLM\): claim CLM1002: payer 'NOBODY'"):
        claims.import_claims(engine, practice, path, OWNER)
    assert snapshot(engine, practice) == before


def _files(tmp_path):
    """Original, replacement (one line less, a new charge), a secondary, then a void of
    another claim; their BHT dates say the order."""
    lines = good_lines()
    original = pd.concat([claim(lines, "CLM1003"), claim(lines, "CLM1002")])
    replacement = (
        claim(lines, "CLM1003")
        .iloc[:1]
        .assign(
            frequency="7",
            original_ref="PAYERICN1",
            charge_cents=12345,
            submitted_date="2025-03-01",
        )
    )
    secondary = claim(lines, "CLM1002").assign(
        responsibility="S", secondary_payer_id="MCD", submitted_date="2025-04-01",
        prior_paid_cents="5000",
    )  # fmt: skip
    void = claim(lines, "CLM1002").assign(
        frequency="8", original_ref="PAYERICN2", submitted_date="2025-05-01"
    )
    return [
        write(tmp_path, "1-original.837", original, isa_control=1),
        write(tmp_path, "2-replacement.837", replacement, isa_control=2),
        write(tmp_path, "3-secondary.837", secondary, isa_control=3),
        write(tmp_path, "4-void.837", void, isa_control=4),
    ]


def test_replacement_secondary_and_void_in_their_order(engine, practice, tmp_path):
    original, replacement, secondary, void = _files(tmp_path)
    claims.import_claims(engine, practice, original, OWNER)
    assert len(charges(engine, practice)) == 4  # CLM1003 three lines, CLM1002 one
    claims.import_claims(engine, practice, replacement, OWNER)
    got = charges(engine, practice)
    c3 = got[got["claim_id"] == "CLM1003"]
    assert c3["charge_cents"].tolist() == [12345]  # the replacement's one line
    claims.import_claims(engine, practice, secondary, OWNER)
    got = charges(engine, practice)
    c2 = got[got["claim_id"] == "CLM1002"]
    assert len(c2) == 1 and c2["secondary_payer_id"].tolist() == ["MCD"]
    assert c2["primary_payer_id"].tolist() == ["ACME"]
    stored = store.read_frame(engine, tables.claim_submissions, practice)
    sec = stored[stored["responsibility"] == "S"].iloc[0]
    assert (sec["other_payer_id"], sec["prior_paid_cents"]) == ("ACME", 5000)
    claims.import_claims(engine, practice, void, OWNER)
    got = charges(engine, practice)
    assert got["claim_id"].tolist() == ["CLM1003"]


@pytest.mark.parametrize("order", [(3, 1, 0, 2), (2, 0, 3, 1)])
def test_any_import_order_gives_the_same_lines(engine, practice, tmp_path, order, request):
    files = _files(tmp_path)
    for path in files:
        claims.import_claims(engine, practice, path, OWNER)
    expected = charges(engine, practice).drop(columns=[])
    # a second practice imports the same files in another order
    from tests.conftest import _new_org

    other = _new_org(engine)
    imports.import_file(engine, other, "contracts", GOOD / "contracts.csv", OWNER)
    for i in order:
        claims.import_claims(engine, other, files[i], OWNER)
    pd.testing.assert_frame_equal(charges(engine, other), expected)


def _submissions(engine, org: str) -> pd.DataFrame:
    frame = store.read_frame(engine, tables.claim_submissions, org)
    frame = frame.drop(columns=["org_id", "import_id"])
    return frame.sort_values(["claim_id", "submitted_date"]).reset_index(drop=True)


@pytest.mark.parametrize("parallel_bytes", [0, 2**40], ids=["reader-process", "here"])
def test_files_imported_together_store_what_one_by_one_stores(
    engine, practice, tmp_path, parallel_bytes
):
    """``import_claim_files`` (the CLI's and onboard's way), with the next file read in a
    second process or not: each file's outcome in order, a refusal among them (raised in
    the reader process, handed back) and a file seen before, and what is stored equals
    importing the good files one by one."""
    from tests.conftest import _new_org

    files = _files(tmp_path)
    bad = tmp_path / "0-bad.837"
    bad.write_bytes(files[1].read_bytes().replace(b"SV1*HC:", b"SV1*HC:9921!:", 1))
    order = [files[0], bad, files[1], files[0], files[2], files[3]]
    outcomes = list(
        claims.import_claim_files(engine, practice, order, OWNER, parallel_bytes=parallel_bytes)
    )
    assert [p.name for p, _ in outcomes] == [p.name for p in order]
    assert isinstance(outcomes[1][1], ClaimFileRefused)
    assert "segment" in str(outcomes[1][1]) and "SV101-2" in str(outcomes[1][1])
    assert outcomes[3][1].already_imported
    other = _new_org(engine)
    imports.import_file(engine, other, "contracts", GOOD / "contracts.csv", OWNER)
    for path in files:
        claims.import_claims(engine, other, path, OWNER)
    pd.testing.assert_frame_equal(charges(engine, practice), charges(engine, other))
    pd.testing.assert_frame_equal(_submissions(engine, practice), _submissions(engine, other))


def test_the_reader_process_dying_reads_the_file_here(tmp_path):
    from payeropt_lib.inputs import readahead, x837

    path = write(tmp_path, "a.837", good_lines())
    raw = path.read_bytes()
    expected = x837.parse(path.name, raw)
    with readahead.Reader(parallel=True) as reader:
        first = reader.ahead(path.name, raw)
        pd.testing.assert_frame_equal(first().lines, expected.lines)
        for process in list(reader._pool._processes.values()):
            process.kill()
        again = reader.ahead(path.name, raw)  # refused by the broken pool, or failing in it
        pd.testing.assert_frame_equal(again().lines, expected.lines)


def test_a_secondary_claim_alone_bills_the_prior_payer_as_primary(engine, practice, tmp_path):
    files = _files(tmp_path)
    claims.import_claims(engine, practice, files[2], OWNER)
    got = charges(engine, practice)
    assert got["primary_payer_id"].tolist() == ["ACME"]
    assert got["secondary_payer_id"].tolist() == ["MCD"]
    claims.import_claims(engine, practice, files[0], OWNER)  # the primary arrives: no 2nd set
    got = charges(engine, practice)
    assert len(got[got["claim_id"] == "CLM1002"]) == 1


def test_cli_imports_a_folder_and_reports_a_refused_file(db_url, practice, tmp_path):
    from tests.test_cli import payeropt

    folder = tmp_path / "claims"
    folder.mkdir()
    write(folder, "a.837", claim(good_lines(), "CLM1002"))
    bad = write(folder, "b.837", claim(good_lines(), "CLM1003"))
    bad.write_bytes(bad.read_bytes().replace(b"005010X222A1", b"005010X223A3"))
    who = ("--actor", "olivia", "--role", "owner")
    done = payeropt("import", "claims", practice, str(folder), *who, db=db_url)
    assert done.code == 2
    assert "a.837: 1 rows: 1 new" in done.out
    assert "b.837: segment 2 (GS): an 837 Institutional claim" in done.err
    again = payeropt("import", "claims", practice, str(folder / "a.837"), *who, db=db_url)
    assert again.code == 0 and "already imported" in again.out


@pytest.mark.parametrize("csv_first", [True, False])
def test_charges_csv_and_837_for_one_claim_the_837_wins_in_any_order(
    engine, practice, tmp_path, csv_first
):
    lines = claim(good_lines(), "CLM1002").assign(charge_cents=99900)
    path = write(tmp_path, "c.837", lines)
    steps = [
        lambda: imports.import_file(engine, practice, "charges", GOOD / "charges.csv", OWNER),
        lambda: claims.import_claims(engine, practice, path, OWNER),
    ]
    for step in steps if csv_first else steps[::-1]:
        step()
    got = charges(engine, practice)
    assert got[got["claim_id"] == "CLM1002"]["charge_cents"].tolist() == [99900]
    assert got["claim_id"].nunique() == 12  # the other claims from charges.csv


def test_a_crash_mid_import_leaves_nothing(engine, practice, tmp_path, monkeypatch):
    first = write(tmp_path, "a.837", claim(good_lines(), "CLM1002"))
    claims.import_claims(engine, practice, first, OWNER)
    before = snapshot(engine, practice)
    real = store.bulk_insert

    def failing(conn, table, frame):
        if getattr(table, "name", table) == "charges":
            raise RuntimeError("disk full")
        return real(conn, table, frame)

    monkeypatch.setattr(store, "bulk_insert", failing)
    path = write(tmp_path, "b.837", claim(good_lines(), "CLM1003"))
    with pytest.raises(RuntimeError, match="disk full"):
        claims.import_claims(engine, practice, path, OWNER)
    assert snapshot(engine, practice) == before
    monkeypatch.setattr(store, "bulk_insert", real)
    assert claims.import_claims(engine, practice, path, OWNER).inserted == 3  # not "already"


def test_mutated_files_are_imported_whole_or_store_nothing(engine, practice, tmp_path):
    import random

    from tests.inputs.test_era_mutation import mutate

    seed = write(tmp_path, "seed.837", claim(good_lines(), "CLM1003")).read_bytes()
    rnd = random.Random(16)
    refused = 0
    for i in range(30):
        _, raw = mutate(seed, rnd)
        path = tmp_path / f"m{i}.837"
        path.write_bytes(raw)
        before = snapshot(engine, practice)
        try:
            claims.import_claims(engine, practice, path, OWNER)
        except ClaimFileRefused:
            refused += 1
            assert snapshot(engine, practice) == before
    assert refused > 5
