"""``payeropt onboard``: a client's folder told apart, looked at without storing, and
imported in dependency order; the demo onboarded from 837P files finds what it found from
charges.csv."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from payeropt_lib import store
from payeropt_lib.demo import files as demo
from payeropt_lib.errors import FolderRefused
from payeropt_lib.inputs import x837_writer
from payeropt_lib.onboard import folder as onboarding
from payeropt_lib.remittances import posting
from payeropt_lib.store import tables
from tests.conftest import OWNER, ROOT, demo_835s, demo_org, opted_in_org, require_shared

EXAMPLES = ROOT / "data" / "profiles" / "examples"


@pytest.fixture(scope="module")
def practice(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("onboard") / "practice"
    demo.generate(folder, claims_per_month=15, seed=7)
    return folder


def _client(practice: Path, target: Path, *names: str) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(practice / name, target / name)
    return target


def _kinds(looked: list[onboarding.Looked]) -> dict[str, tuple]:
    return {x.found.path.name: (x.found.kind, x.found.profile, x.rows, x.ok) for x in looked}


def test_the_dry_run_tells_each_file_apart_by_its_content(practice, tmp_path) -> None:
    shared = require_shared()
    client = _client(practice, tmp_path / "client", "contracts.csv", "fee_schedules.csv")
    # Names that say nothing: the content decides.
    shutil.copy(practice / "charges.csv", client / "export1.csv")
    shutil.copy(EXAMPLES / "pm-charge-detail.csv", client / "report.csv")
    shutil.copy(EXAMPLES / "payer-fee-schedule-xlsx.xlsx", client / "rates.xlsx")
    (client / "era").mkdir()
    shutil.copy(shared / "claims" / "lfh-x12__demo.837", client / "era" / "a.txt")
    shutil.copy(shared / "claims" / "lfh-x12__demo.837i", client / "b.837")
    (client / "signed.pdf").write_bytes(b"%PDF-1.7\n...")
    (client / "notes.md").write_text("the client's notes: not read")
    (client / ".~lock.rates.xlsx#").write_text("a lock file: not read")
    looked = onboarding.look(client)
    got = _kinds(looked)
    assert set(got) == {"contracts.csv", "fee_schedules.csv", "export1.csv", "report.csv",
                        "rates.xlsx", "a.txt", "b.837", "signed.pdf"}  # fmt: skip
    charges_rows = len(pd.read_csv(practice / "charges.csv"))
    assert got["export1.csv"] == ("charges", None, charges_rows, True)
    assert got["report.csv"] == ("charges", "pm-charge-detail", 7, True)
    assert got["rates.xlsx"] == ("fee-schedules", "payer-fee-schedule-xlsx", 11, True)
    assert got["a.txt"] == ("claims", None, 4, True)  # SOURCES: 1 claim, 4 service lines
    assert got["b.837"][0] is None and "005010X223" in looked_problem(looked, "b.837")
    assert got["signed.pdf"][3] is False and "a PDF" in looked_problem(looked, "signed.pdf")
    # Dependency order: contracts first, then rates, charges, claims.
    order = [x.found.path.name for x in looked if x.ok]
    assert order.index("contracts.csv") < order.index("fee_schedules.csv") < order.index(
        "export1.csv") < order.index("a.txt")  # fmt: skip
    lines = onboarding.report(looked)
    assert lines[-1] == "8 files: 6 would import, 2 with problems; nothing was stored"


def looked_problem(looked: list[onboarding.Looked], name: str) -> str:
    return next(str(x.problem) for x in looked if x.found.path.name == name)


def test_a_problem_in_one_file_is_named_with_its_row_and_column(practice, tmp_path) -> None:
    client = _client(practice, tmp_path / "client", "contracts.csv")
    text = (EXAMPLES / "pm-charge-detail.csv").read_text()
    first_dos = text.split("\n")[5].split(",")[4]  # a data row's DOS
    (client / "report.csv").write_text(text.replace(first_dos, "31/31/2025", 1))
    (x,) = [x for x in onboarding.look(client) if x.found.path.name == "report.csv"]
    assert not x.ok and "row 6, column DOS" in str(x.problem)


def test_a_folder_with_a_problem_imports_nothing(db_url, practice, tmp_path) -> None:
    engine = store.engine_for(db_url)
    org = opted_in_org(engine, "Refused")
    client = _client(practice, tmp_path / "client", "contracts.csv", "charges.csv")
    (client / "mystery.csv").write_text("a,b\n1,2\n")
    with pytest.raises(FolderRefused, match=r"mystery\.csv: no interface header"):
        onboarding.onboard(engine, org, client, OWNER)
    assert store.count_rows(engine, tables.imports, org) == 0
    assert store.count_rows(engine, tables.contracts, org) == 0


@pytest.mark.slow
def test_onboarded_from_837p_it_finds_what_charges_csv_found(db_url, practice, tmp_path):
    """The same practice twice in one store: from charges.csv (the reference), and from
    a folder where its claims come as 837P files. The same 835s then match the same lines
    and find the same under-payments, line for line."""
    engine = store.engine_for(db_url)
    reference = demo_org(engine, "From charges", practice)
    eras = demo_835s(engine, reference, 7, tmp_path / "era")
    posted = [o for _, o in posting.post_files(engine, reference, eras, OWNER)]
    assert all(isinstance(o, posting.PostResult) for o in posted), posted
    client = _client(
        practice, tmp_path / "client", "contracts.csv", "fee_schedules.csv", "medicare_fees.csv"
    )
    # What the clearinghouse sent: every claim submitted, and the one the demo's export
    # shows unsubmitted though its payer answered it (its 837 went out on the day).
    charges = store.read_frame(engine, tables.charges, reference)
    answered = charges["claim_id"].isin(
        store.read_frame(engine, tables.remit_claims, reference, ["claim_id"])["claim_id"]
    )
    charges = charges[charges["submitted_date"].notna() | answered]
    charges["submitted_date"] = charges["submitted_date"].fillna(charges["date_of_service"])
    for n, (month, part) in enumerate(charges.groupby(
            charges["submitted_date"].dt.strftime("%Y-%m"))):  # fmt: skip
        (client / f"claims-{month}.837").write_bytes(x837_writer.write(part, isa_control=n + 1))
    shutil.copytree(tmp_path / "era", client / "era")
    org = opted_in_org(engine, "From 837P")
    done = onboarding.onboard(engine, org, client, OWNER)
    assert (done.claims, done.lines) == (charges["claim_id"].nunique(), len(charges))
    assert done.remittances == len(eras) - 1  # the demo re-sends one file
    assert done.unmatched_lines == 0

    def found(org_id: str) -> pd.DataFrame:
        f = store.read_frame(engine, tables.findings, org_id)
        keep = ["claim_id", "line_number", "kind", "expected_cents", "allowed_cents", "void"]
        return f[keep].sort_values(keep[:3], ignore_index=True)

    ours, theirs = found(org), found(reference)
    assert int(ours["kind"].eq("underpaid").sum()) > 0
    pd.testing.assert_frame_equal(ours, theirs)
    assert done.underpaid == sum(o.underpaid for o in posted)
    assert done.unmatched_claims == sum(o.unmatched_claims for o in posted)


def test_the_verb_says_each_file_then_imports_the_folder(db_url, practice, tmp_path) -> None:
    from tests.test_cli import OWNER_ENV, payeropt

    engine = store.engine_for(db_url)
    org = opted_in_org(engine, "Verb")
    client = _client(practice, tmp_path / "client", "contracts.csv", "fee_schedules.csv")
    shutil.copy(EXAMPLES / "pm-charge-detail.csv", client / "charge-report.csv")
    (client / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 60)
    dry = payeropt("onboard", org, str(client), "--dry-run", db=db_url, env=OWNER_ENV)
    assert dry.code == 2 and "1 of 4 files have problems" in dry.err
    assert "charge-report.csv: charges (CSV export, profile pm-charge-detail): would import " \
        "7 rows" in dry.out  # fmt: skip
    assert "old.xls: not a file payeropt reads: PROBLEM: an old Office file" in dry.out
    refused = payeropt("onboard", org, str(client), db=db_url, env=OWNER_ENV)
    assert refused.code == 2 and "old.xls" in refused.err and "nothing was imported" in refused.err
    assert store.count_rows(engine, tables.imports, org) == 0
    (client / "old.xls").unlink()
    done = payeropt("onboard", org, str(client), db=db_url, env=OWNER_ENV)
    assert done.code == 0, done.err
    assert done.out.splitlines()[-1].startswith(
        "3 files imported, 0 already on file; the practice has 4 claims (7 lines); "
        "0 835 files posted"
    )
    again = payeropt("onboard", org, str(client), db=db_url, env=OWNER_ENV)
    assert again.out.splitlines()[-1].startswith("0 files imported, 3 already on file")
