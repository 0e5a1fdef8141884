"""Imports: good files load, bad files are refused whole, re-imports change nothing."""

from __future__ import annotations

import csv
import shutil
import uuid
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from payeropt_lib import store
from payeropt_lib.errors import InputFileError
from payeropt_lib.inputs import imports, onboarding, schemas
from payeropt_lib.store import orgs, tables
from tests.conftest import BAD, GOOD, OWNER

FILE_OF = onboarding.FILE_NAMES
MANIFEST = list(csv.DictReader((BAD / "MANIFEST.csv").open(encoding="utf-8")))
# Every table that holds rows of a practice: its data, imports, audit trail, org row (with
# the audit chain's head), remittances, findings and tasks.
ORG_TABLES = [t for t in tables.metadata.sorted_tables if "org_id" in t.c]
# What every refused file's setup (MANIFEST.csv) needs stored first, and the shared
# practice holds: contracts (payers) and charges (claims).
REFUSAL_SETUP = ("contracts", "charges")


def snapshot(engine, org_id: str) -> dict[str, list[tuple]]:
    """Every row of the org in every table, sorted: equal snapshots = nothing changed."""
    out = {}
    with engine.connect() as conn:
        for table in ORG_TABLES:
            rows = conn.execute(select(table).where(table.c.org_id == org_id)).fetchall()
            out[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return out


def test_the_snapshot_covers_every_table_of_a_practice():
    names = {t.name for t in ORG_TABLES}
    assert {t.name for t in tables.DATA_TABLES} <= names
    assert {"orgs", "imports", "audit_log", "remit_lines", "findings", "tasks"} <= names


def test_good_files_load_with_expected_counts(engine, loaded):
    counts = {t.name: store.count_rows(engine, t, loaded) for t in tables.DATA_TABLES}
    assert counts == {
        "contracts": 5,
        "payer_aliases": 6,
        "fee_schedules": 15,
        "medicare_fees": 7,
        "charges": 20,
        "transactions": 9,
        "encounters": 11,
        "appointments": 5,
    }


def test_reimporting_every_good_file_changes_nothing(engine, loaded):
    before = snapshot(engine, loaded)
    for kind, name in FILE_OF.items():
        result = imports.import_file(engine, loaded, kind, GOOD / name, OWNER)
        assert result.already_imported, kind
    assert snapshot(engine, loaded) == before


def test_same_rows_in_other_bytes_change_no_data(engine, loaded, tmp_path):
    """CRLF + BOM + reordered columns: a new file, but every row is unchanged."""
    frame = pd.read_csv(GOOD / "charges.csv", dtype=str, keep_default_na=False)
    frame = frame[list(reversed(frame.columns))]
    path = tmp_path / "charges.csv"
    path.write_bytes(b"\xef\xbb\xbf" + frame.to_csv(index=False, lineterminator="\r\n").encode())
    before = snapshot(engine, loaded)
    result = imports.import_file(engine, loaded, "charges", path, OWNER)
    assert (result.inserted, result.replaced, result.removed, result.unchanged) == (0, 0, 0, 20)
    after = snapshot(engine, loaded)
    assert after["charges"] == before["charges"]
    # It is a new file all the same: recorded as an import, and audited.
    assert len(after["imports"]) == len(before["imports"]) + 1
    assert len(after["audit_log"]) == len(before["audit_log"]) + 1


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def refusing(request, tmp_path_factory):
    """(engine, org): one practice per backend for every refused file of MANIFEST.csv, with
    contracts and charges stored. A refused file stores nothing (each case checks it), so
    the cases cannot change what the next one sees."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('refusals') / 'payeropt.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = store.engine_for(url)
    org_id = f"r{uuid.uuid4().hex[:10]}"
    orgs.create(engine, org_id, "Refusals", OWNER, locality="01112-05")
    orgs.opt_in(engine, org_id, OWNER, accept_disclosure=True)
    for kind in REFUSAL_SETUP:
        imports.import_file(engine, org_id, kind, GOOD / FILE_OF[kind], OWNER)
    return engine, org_id


@pytest.mark.parametrize("case", MANIFEST, ids=[c["file"] for c in MANIFEST])
def test_bad_file_is_refused_whole(refusing, case):
    """The exact message MANIFEST.csv expects, and every row of the practice, in every
    table, as it was: no data, no import record, and no audit entry either (a refused
    file is not audited; a refused *permission* is, see test_access)."""
    engine, org = refusing
    assert set(filter(None, case["setup"].split(";"))) <= set(REFUSAL_SETUP)
    before = snapshot(engine, org)
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, case["kind"], BAD / case["file"], OWNER)
    err = caught.value
    assert (err.file, err.row, err.column) == (
        case["file"],
        int(case["expected_row"]),
        case["expected_column"],
    )
    assert str(err) == (
        f"{case['file']}: row {case['expected_row']}, column {case['expected_column']}: "
        f"{case['expected_reason']}; nothing was imported"
    )
    after = snapshot(engine, org)
    assert after["audit_log"] == before["audit_log"], "a refused file was audited"
    assert after == before


def test_every_bad_file_is_in_the_manifest():
    on_disk = {p.name for p in BAD.iterdir() if p.name != "MANIFEST.csv"}
    assert on_disk == {c["file"] for c in MANIFEST}
    assert all(c["expected_reason"] for c in MANIFEST)


def test_at_least_twenty_bad_files_cover_the_required_cases():
    names = " ".join(c["file"] for c in MANIFEST)
    assert len(MANIFEST) >= 20
    for needed in (
        "missing",
        "unparseable_date",
        "negative_units",
        "bad_procedure_code",
        "dollar_sign",
        "overlapping_periods",
        "unknown_payer",
        "duplicate",
        "empty_file",
        "header_only",
        "non_utf8",
        "delimited",
        "unknown_payer_class",
    ):
        assert needed in names, needed


def test_message_names_file_row_and_column_exactly(engine, org):
    imports.import_file(engine, org, "contracts", GOOD / "contracts.csv", OWNER)
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, "charges", BAD / "charges__negative_units.csv", OWNER)
    assert str(caught.value) == (
        "charges__negative_units.csv: row 7, column units: must be a positive whole number "
        "(got '-1'); nothing was imported"
    )


def test_many_problems_are_all_counted(engine, org, tmp_path):
    imports.import_file(engine, org, "contracts", GOOD / "contracts.csv", OWNER)
    frame = pd.read_csv(GOOD / "charges.csv", dtype=str, keep_default_na=False)
    frame["units"] = "-1"
    path = tmp_path / "charges.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, "charges", path, OWNER)
    assert caught.value.row == 2
    assert str(caught.value).endswith("; 20 problems in all); nothing was imported")


def test_corrected_charges_file_replaces_whole_claims(engine, loaded, tmp_path):
    frame = pd.read_csv(GOOD / "charges.csv", dtype=str, keep_default_na=False)
    first_claim = frame["claim_id"].iloc[0]
    lines = frame[frame["claim_id"] == first_claim]
    assert len(lines) >= 2, "fixture: the first claim needs two lines"
    corrected = lines.iloc[:1].assign(charge_amount="999.99")  # one line changed, one dropped
    new_claim = lines.iloc[:1].assign(claim_id="CLMNEW", line_control_number="CLMNEW-1")
    path = tmp_path / "charges_corrected.csv"
    pd.concat([corrected, new_claim]).to_csv(path, index=False)
    result = imports.import_file(engine, loaded, "charges", path, OWNER)
    assert (result.inserted, result.replaced, result.removed, result.unchanged) == (
        1,
        1,
        len(lines) - 1,
        0,
    )
    stored = store.read_frame(engine, tables.charges, loaded)
    mine = stored[stored["claim_id"] == first_claim]
    assert mine["charge_cents"].tolist() == [99999]
    assert len(stored) == 20 - (len(lines) - 1) + 1


def test_a_later_fee_row_closes_the_stored_open_period(engine, loaded, tmp_path):
    path = tmp_path / "fees_2026.csv"
    path.write_text(
        "payer_id,product_line,procedure_code,modifier,allowed_amount,effective_from\n"
        "ACME,HMO,99213,,101.00,2026-01-01\n"
    )
    result = imports.import_file(engine, loaded, "fee-schedules", path, OWNER)
    assert result.inserted == 1
    fees = store.read_frame(engine, tables.fee_schedules, loaded)
    key = fees[(fees.payer_id == "ACME") & (fees.procedure_code == "99213")].sort_values(
        "effective_from"
    )
    assert key["effective_to"].dt.strftime("%Y-%m-%d").fillna("open").tolist() == [
        "2025-07-01",
        "2026-01-01",
        "open",
    ]
    assert key["allowed_cents"].tolist()[-1] == 10100
    assert key["effective_to_given"].isna().all()


def test_a_fee_row_inside_a_stored_explicit_period_is_refused(engine, loaded, tmp_path):
    fees = store.read_frame(engine, tables.fee_schedules, loaded)
    explicit = fees[fees["effective_to_given"].notna()].iloc[0]
    inside = explicit["effective_from"] + pd.Timedelta(days=30)
    path = tmp_path / "fees_overlap.csv"
    path.write_text(
        "payer_id,product_line,procedure_code,modifier,allowed_amount,effective_from\n"
        f"{explicit.payer_id},{explicit.product_line},{explicit.procedure_code},"
        f"{explicit.modifier},1.00,{inside:%Y-%m-%d}\n"
    )
    before = snapshot(engine, loaded)
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, loaded, "fee-schedules", path, OWNER)
    assert (caught.value.row, caught.value.column) == (2, "effective_from")
    assert snapshot(engine, loaded) == before


def test_extra_columns_are_ignored_and_header_case_is_free(engine, org, tmp_path):
    text = (GOOD / "contracts.csv").read_text()
    header, rest = text.split("\n", 1)
    path = tmp_path / "contracts.csv"
    path.write_text(header.upper() + ",internal_note\n" + rest.replace("\n", ",x\n"))
    result = imports.import_file(engine, org, "contracts", path, OWNER)
    assert result.inserted == 5


def test_aliases_are_normalized_for_835_matching(engine, loaded):
    aliases = store.read_frame(engine, tables.payer_aliases, loaded)
    assert ("ACME HEALTH PLAN", "ACME") in set(zip(aliases.alias, aliases.payer_id, strict=True))


def test_unknown_kind_is_refused(engine, org):
    with pytest.raises(imports.UnknownImportKind):
        imports.import_file(engine, org, "payments", GOOD / "charges.csv", OWNER)


def test_missing_file_names_the_file(engine, org, tmp_path):
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, "contracts", tmp_path / "nope.csv", OWNER)
    assert str(caught.value).startswith("nope.csv: column (file): cannot be read")


def test_quoted_line_breaks_keep_row_numbers_exact(engine, loaded, tmp_path):
    path = tmp_path / "encounters.csv"
    path.write_text(
        'claim_id,encounter_type,note_text\nCLM1001,established,"two\nlines"\nCLM1002,consult,x\n'
    )
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, loaded, "encounters", path, OWNER)
    assert (caught.value.row, caught.value.column) == (4, "encounter_type")


@given(
    st.decimals(
        min_value=Decimal("-99999999.99"),
        max_value=Decimal("99999999.99"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_money_becomes_exact_cents(amount):
    text = f"{amount:f}"
    cents = schemas.to_cents(pd.Series([text, text.rstrip("0").rstrip(".") or "0"]))
    assert cents.tolist() == [int(amount * 100)] * 2


def test_percent_becomes_exact_thousandths():
    assert schemas.to_x1000(pd.Series(["125", "112.5", "99.999", "0.001"])).tolist() == [
        125000,
        112500,
        99999,
        1,
    ]


def test_npi_check_digit():
    values = pd.Series(["1234567893", "1234567890", "1245319599", "12345"])
    assert schemas.npi_valid(values).tolist() == [True, False, True, False]


def test_fixture_folder_is_untouched(tmp_path):
    """Imports read files; they never rewrite them."""
    copy = tmp_path / "good"
    shutil.copytree(GOOD, copy)
    for path in GOOD.iterdir():
        assert path.read_bytes() == (copy / path.name).read_bytes()


# --- headers, line ends and files that are not CSV (issue 11) ------------------------------


@pytest.mark.parametrize(
    ("header", "column", "written"),
    [
        ("claim_id\r,line_number", "claim_id", "claim_id\r"),  # inside the header line
        ("diagnosis_codes\r\r", "diagnosis_codes", "diagnosis_codes\r"),  # on the last name
    ],
    ids=["inside", "last-name"],
)
def test_a_carriage_return_in_the_header_is_refused_at_its_column(
    engine, org, tmp_path, header, column, written
):
    text = (GOOD / "charges.csv").read_text()
    first, rest = text.split("\n", 1)
    target = header.replace("\r", "").split(",")[0]
    path = tmp_path / "charges.csv"
    path.write_bytes((first.replace(target, header, 1) + "\n" + rest).encode())
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, "charges", path, OWNER)
    assert str(caught.value) == (
        f"charges.csv: row 1, column {column}: the header name {written!r} holds a carriage "
        "return; remove it, or save the file with LF or CRLF line ends; nothing was imported"
    )


def test_cr_only_line_ends_are_read_as_lf(engine, org, tmp_path):
    """Old Mac exports end lines with CR alone: read, with the same rows as the LF file."""
    path = tmp_path / "contracts.csv"
    path.write_bytes((GOOD / "contracts.csv").read_bytes().replace(b"\n", b"\r"))
    assert imports.import_file(engine, org, "contracts", path, OWNER).inserted == 5
    again = imports.import_file(engine, org, "contracts", GOOD / "contracts.csv", OWNER)
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 5)
    broken = tmp_path / "charges.csv"
    lines = (GOOD / "charges.csv").read_text().split("\n")
    cells = lines[3].split(",")  # row 4
    cells[lines[0].split(",").index("units")] = "-1"
    lines[3] = ",".join(cells)
    broken.write_bytes("\r".join(lines).encode())
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, "charges", broken, OWNER)
    assert (caught.value.row, caught.value.column) == (4, "units")


def _zip_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "looks"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", " (it looks like a PNG image)"),
        (None, " (it looks like a gzip archive)"),
        (_zip_bytes(), " (it looks like a ZIP archive (an Excel .xlsx is one))"),
        (bytes(range(256)) * 4, ""),
    ],
    ids=["png", "gzip", "xlsx", "unknown"],
)
def test_a_file_that_is_not_text_is_refused_as_such(engine, org, tmp_path, content, looks):
    import gzip

    path = tmp_path / "contracts.csv"
    path.write_bytes(content or gzip.compress((GOOD / "contracts.csv").read_bytes()))
    before = snapshot(engine, org)
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, "contracts", path, OWNER)
    assert str(caught.value) == (
        f"contracts.csv: column (file): not a text CSV file{looks}; export the data as CSV; "
        "nothing was imported"
    )
    assert snapshot(engine, org) == before


@pytest.mark.parametrize("kind", list(schemas.SPECS))
def test_a_near_spelled_header_is_refused_naming_both(engine, org, tmp_path, kind):
    """'Claim ID' for claim_id: refused for every kind, naming what was written and what
    the column is (no guessing: the interface's column names are exact but for case)."""
    spec = schemas.SPECS[kind]
    text = (GOOD / FILE_OF[kind]).read_text()
    first, rest = text.split("\n", 1)
    column = next(c.name for c in spec.columns if c.required and "_" in c.name)
    written = column.replace("_", " ").title()  # claim_id → Claim Id
    names = [written if n == column else n for n in first.split(",")]
    path = tmp_path / FILE_OF[kind]
    path.write_text(",".join(names) + "\n" + rest)
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, kind, path, OWNER)
    assert str(caught.value) == (
        f"{path.name}: row 1, column {column}: saw {written!r}; the column is {column}; "
        "nothing was imported"
    )


def test_a_near_spelled_optional_column_is_refused_not_ignored():
    """An optional column written 'Secondary Payer ID' would otherwise be dropped as an
    unknown extra column, and the claims stored without their secondary payer."""
    header = schemas.header_of((GOOD / "charges.csv").read_text())
    header = [("Secondary Payer-ID" if h == "secondary_payer_id" else h) for h in header]
    with pytest.raises(InputFileError) as caught:
        schemas.check_header("charges.csv", schemas.SPECS["charges"], header)
    assert caught.value.column == "secondary_payer_id"
    assert "saw 'Secondary Payer-ID'; the column is secondary_payer_id" in str(caught.value)


def test_replacing_charges_grows_in_proportion_to_the_file(tmp_path):
    """Issue 11: a corrected charges file into a practice that holds them was quadratic on
    SQLite (each stored line searched the unindexed staging table: 40,000 lines took
    358 s). Counted in SQLite VM steps, not seconds: twice the lines, about twice the
    steps (the quadratic merge took four times as many)."""
    from sqlalchemy import event

    from payeropt_lib.demo import files as demo

    demo.generate(tmp_path / "practice", claims_per_month=1)
    engine = store.engine_for(f"sqlite:///{tmp_path / 'linear.sqlite'}")
    steps = [0]

    def count(*_args) -> int:
        steps[0] += 1
        return 0  # go on

    @event.listens_for(engine, "checkout")
    def _watch(dbapi_conn, _record, _proxy):  # noqa: ANN001
        dbapi_conn.set_progress_handler(count, 100)  # called every 100 VM instructions

    per_line = {}
    for lines in (2_000, 4_000):
        org = f"lin{lines}"
        orgs.create(engine, org, "Linear", OWNER)
        orgs.opt_in(engine, org, OWNER, True)
        imports.import_file(engine, org, "contracts", tmp_path / "practice/contracts.csv", OWNER)
        first = demo.big_charges_csv(tmp_path / f"first{lines}.csv", lines, seed=1)
        again = demo.big_charges_csv(tmp_path / f"again{lines}.csv", lines, seed=2)
        imports.import_file(engine, org, "charges", first, OWNER)
        steps[0] = 0
        result = imports.import_file(engine, org, "charges", again, OWNER)
        assert result.replaced > lines // 2
        per_line[lines] = steps[0] / lines
    event.remove(engine, "checkout", _watch)
    assert per_line[4_000] < 1.3 * per_line[2_000], per_line


def test_payment_rules_default_to_contract_and_medicare_is_stored(engine, org, tmp_path):
    path = tmp_path / "contracts.csv"
    path.write_text(
        "payer_id,payer_name,payer_class,effective_from,basis,medicare_percent,"
        "medicare_locality,payment_rules\n"
        "MCR,Medicare,MEDICARE,2025-01-01,medicare_percent,100,01112-05,Medicare\n"
        "ACME,Acme,COMMERCIAL,2025-01-01,medicare_percent,125,01112-05,\n"
    )
    imports.import_file(engine, org, "contracts", path, OWNER)
    stored = store.read_frame(engine, tables.contracts, org).set_index("payer_id")
    assert stored.loc["MCR", "payment_rules"] == "medicare"
    assert stored.loc["ACME", "payment_rules"] == "contract"


def test_a_payment_rules_value_other_than_medicare_or_contract_is_refused(engine, org, tmp_path):
    path = tmp_path / "contracts.csv"
    path.write_text(
        "payer_id,payer_name,payer_class,effective_from,basis,payment_rules\n"
        "ACME,Acme,COMMERCIAL,2025-01-01,fee_schedule,cms\n"
    )
    before = snapshot(engine, org)
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, "contracts", path, OWNER)
    assert (caught.value.row, caught.value.column) == (2, "payment_rules")
    assert "contract, medicare" in str(caught.value)
    assert snapshot(engine, org) == before


def test_medicare_fee_indicators_are_stored_and_optional(engine, org, tmp_path):
    path = tmp_path / "medicare_fees.csv"
    path.write_text(
        "locality,procedure_code,modifier,effective_from,non_facility_amount,facility_amount,"
        "mult_proc,bilat_surg,asst_surg,co_surg,endo_base\n"
        "01112-05,29880,,2025-01-01,500.00,500.00,3,1,0,1,29870\n"
        "01112-05,99213,,2025-01-01,89.32,63.92,0,,,,\n"
    )
    imports.import_file(engine, org, "medicare-fees", path, OWNER)
    stored = store.read_frame(engine, tables.medicare_fees, org).set_index("procedure_code")
    assert list(stored.loc["29880", ["bilat_surg", "asst_surg", "co_surg", "endo_base"]]) == [
        "1",
        "0",
        "1",
        "29870",
    ]
    assert stored.loc["99213", ["bilat_surg", "endo_base"]].isna().all()
    bad = tmp_path / "bad.csv"
    bad.write_text(path.read_text().replace(",3,1,0,1,29870", ",3,B,0,1,29870"))
    with pytest.raises(InputFileError) as caught:
        imports.import_file(engine, org, "medicare-fees", bad, OWNER)
    assert (caught.value.row, caught.value.column) == (2, "bilat_surg")


def test_a_contract_may_name_the_medicare_year_it_is_frozen_at(engine, org, tmp_path):
    """contracts.csv medicare_year: "at 2024 Medicare rates" (docs/imports.md). Row 5 of
    tests/data/good is ACME PPO, 125 % of Medicare; row 3 is MCD, a fixed fee schedule."""
    lines = (GOOD / "contracts.csv").read_text().splitlines()
    path = tmp_path / "contracts.csv"

    def write(row: int, year: str) -> None:
        body = [line + ("," + year if n == row else ",") for n, line in
                enumerate(lines[1:], start=2)]  # fmt: skip
        path.write_text("\n".join([lines[0] + ",medicare_year", *body]) + "\n")

    write(5, "2024")
    imports.import_file(engine, org, "contracts", path, OWNER)
    stored = store.read_frame(engine, tables.contracts, org, ["payer_id", "product_line",
                                                              "medicare_year"])  # fmt: skip
    years = {(r.payer_id, r.product_line): r.medicare_year for r in stored.itertuples()}
    assert years[("ACME", "PPO")] == 2024 and pd.isna(years[("MCR", "")])
    # A fixed fee schedule is priced from no Medicare year; a year before the RBRVS is none.
    for row, year in ((3, "2024"), (5, "1989")):
        write(row, year)
        with pytest.raises(InputFileError) as caught:
            imports.import_file(engine, org, "contracts", path, OWNER)
        assert (caught.value.row, caught.value.column) == (row, "medicare_year")
