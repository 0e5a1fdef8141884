"""The demo's client folder (``demo.client``): 837P claims and practice-system exports
instead of charges.csv and transactions.csv, onboarded into exactly the practice that
charges.csv makes, so the payers' 835s match and find the same lines."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from payeropt_lib import store
from payeropt_lib.demo import client as demo_client
from payeropt_lib.demo import files as demo
from payeropt_lib.demo import practice
from payeropt_lib.onboard import folder as onboarding
from payeropt_lib.store import tables
from tests.conftest import demo_org, opted_in_org

SEED = 7
SERIALS = ("org_id", "import_id", "remit_id", "task_id")  # keys the store numbers itself


@pytest.fixture(scope="module")
def practice_files(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("demo-client")
    demo.generate(root / "files", claims_per_month=15, seed=SEED)
    demo_client.write_client_folder(root / "files", root / "client")
    return root / "files", root / "client"


def test_the_client_folder_holds_what_a_client_sends(practice_files) -> None:
    files, client = practice_files
    looked = onboarding.look(client)
    assert all(x.ok for x in looked), [x.problem for x in looked if not x.ok]
    kinds = {(x.found.kind, x.found.profile) for x in looked}
    assert kinds == {
        ("contracts", None), ("medicare-fees", None), ("fee-schedules", None),
        ("charges", "pm-charge-detail"), ("claims", None),
        ("transactions", "pm-transaction-detail"), ("encounters", None),
        ("appointments", None),
    }  # fmt: skip
    names = {x.found.path.name for x in looked}
    assert not names & {"charges.csv", "transactions.csv"}
    charges = pd.read_csv(files / "charges.csv", dtype=str, keep_default_na=False)
    billed = charges["submitted_date"] != ""
    rows = {x.found.path.name: x.rows for x in looked}
    # Every submitted line in a primary 837 of its month; the never-submitted ones in the
    # export; each line naming a secondary payer once more in a secondary 837.
    primary = sum(n for name, n in rows.items() if name.startswith("claims-"))
    secondary = sum(n for name, n in rows.items() if name.startswith("secondary-"))
    assert primary == billed.sum()
    assert rows[demo_client.CHARGES_EXPORT] == (~billed).sum() > 0
    assert secondary == (billed & (charges["secondary_payer_id"] != "")).sum() > 0
    months = charges.loc[billed, "submitted_date"].str[:7].unique()
    assert sorted(n for n in names if n.startswith("claims-")) == sorted(
        f"claims-{m}.837" for m in months
    )
    transactions = pd.read_csv(files / "transactions.csv", dtype=str)
    assert rows[demo_client.TRANSACTIONS_EXPORT] == len(transactions)
    # The clearinghouses' delimiters differ from file to file.
    isa = {(client / "claims" / n).read_bytes()[:106] for n in names if n.endswith(".837")}
    assert {x[3:4] for x in isa} == {b"*", b"|"}
    assert {x[104:105] for x in isa} == {b":", b">", b"^"}
    # The same files write the same bytes.
    again = demo_client.write_client_folder(files, client.parent / "again")
    for name, path in again.items():
        first = client / ("claims" if name.endswith(".837") else "") / name
        assert path.read_bytes() == first.read_bytes(), name


@pytest.mark.slow
def test_onboarded_from_the_client_folder_the_835s_find_what_charges_csv_found(
    db_url, practice_files, tmp_path
) -> None:
    """The practice from its interface files (the former demo) and from its client folder
    (the demo now), in one store: the same stored lines and postings, so the same 835s
    match the same claim lines the same way and find the same under-payments."""
    files, client = practice_files
    engine = store.engine_for(db_url)
    reference = demo_org(engine, "From charges.csv", files)
    org = opted_in_org(engine, "From 837P")
    done = onboarding.onboard(engine, org, client, practice.DEMO_ACTOR)
    charges = pd.read_csv(files / "charges.csv")
    assert (done.claims, done.lines) == (charges["claim_id"].nunique(), len(charges))

    def table(t, org_id: str) -> pd.DataFrame:
        frame = store.read_frame(engine, t, org_id)
        if "reversed_by_remit_id" in frame:  # the store's serial ids differ: is it set
            frame["reversed_by_remit_id"] = frame["reversed_by_remit_id"].notna()
        keep = [c for c in frame.columns if c not in SERIALS]
        return frame[keep].sort_values(keep, ignore_index=True, na_position="first")

    for t in (tables.charges, tables.transactions, tables.encounters):
        pd.testing.assert_frame_equal(table(t, org), table(t, reference), obj=t.name)
    for org_id in (reference, org):
        practice.post_demo_remittances(engine, tmp_path / org_id, SEED, org_id=org_id)
    for t in (tables.remit_claims, tables.remit_lines, tables.findings):
        pd.testing.assert_frame_equal(table(t, org), table(t, reference), obj=t.name)
    lines = table(tables.remit_lines, org)
    assert len(lines) > 0 and lines["line_number"].notna().all()  # every 835 line matched
    assert table(tables.findings, org)["kind"].eq("underpaid").sum() > 0
