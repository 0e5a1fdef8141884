"""The reconciliation tables from a store, on both backends: the small test practice
(tests/data/good) with a hand-made 835, through the library and the command line."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from payeropt_lib.inputs import imports, onboarding
from payeropt_lib.reconciliation import record
from payeropt_lib.remittances import posting, reevaluation
from tests.conftest import GOOD, OWNER, opted_in_org
from tests.remittances.x835 import (
    ACME,
    PPO_20610_ONE_UNIT_PAID,
    PPO_73562_TWO_UNITS,
    PPO_99214_25,
    clp,
    era835,
    svc,
)
from tests.test_cli import OWNER_ENV, payeropt

FEBRUARY = pd.Timestamp("2025-02-01")
# CLM1002 (ACME HMO, $150): paid $95, CO-45 $25, PR-3 $30 copay.
HMO_99213_COPAY = svc(
    "99213", 15000, 9500, dos="20250203", cas=[("CO", "45", 2500), ("PR", "3", 3000)],
    lcn="LCN100201",
)  # fmt: skip


def _acme_835(folder: Path) -> Path:
    path = folder / "acme.835"
    path.write_bytes(
        era835(
            ACME,
            [
                clp("CLM1002", [HMO_99213_COPAY]),
                clp("CLM1003", [PPO_99214_25, PPO_20610_ONE_UNIT_PAID, PPO_73562_TWO_UNITS],
                    payer_claim="PCN2"),
            ],
        )
    )  # fmt: skip
    return path


def test_february_by_hand(engine, loaded, tmp_path) -> None:  # noqa: ANN001
    posting.post_file(engine, loaded, _acme_835(tmp_path), OWNER)
    table = record.reconcile(engine, loaded, OWNER, FEBRUARY)
    acme = table.set_index("row").loc["payer"]
    assert acme["payer_id"] == "ACME" and acme["payer_name"] == "Acme Health Plan"
    # CLM1002 $150 + CLM1003 $1,090; ACME paid 95 + 190.44 + 96.76 + 120.24 = $502.44;
    # the patient paid the $30 copay and was refunded $5: $25, so $5 is still owed.
    assert (acme["visits"], acme["charges_cents"], acme["payer_cash_cents"]) == (2, 124000, 50244)
    assert (acme["patient_cash_cents"], acme["balance_cents"], acme["unexplained_cents"]) == (
        2500, 500, 0,
    )  # fmt: skip
    # CO-45: 25 + 59.56 + 503.24 + 119.76 = $707.56.
    assert acme["contractual_cents"] == 70756
    # J = 527.44 / 1240 = 42.535 %; K = 527.44 / 1235 = 42.708 %; CLM1003 resolved.
    assert (acme["j_percent_x1000"], acme["k_percent_x1000"], acme["resolved_visits"]) == (
        42535, 42708, 1,
    )  # fmt: skip


@pytest.mark.slow
def test_postings_in_any_order_give_the_same_table(engine, tmp_path) -> None:  # noqa: ANN001
    """Transactions imported after the 835 (and charges last of all) end as if in order."""
    first = opted_in_org(engine, "In order", GOOD)
    posting.post_file(engine, first, _acme_835(tmp_path), OWNER)
    late = tmp_path / "late"
    shutil.copytree(GOOD, late)
    (late / "transactions.csv").unlink()
    second = opted_in_org(engine, "Out of order")
    posting.post_file(engine, second, _acme_835(tmp_path), OWNER)
    # As the command line imports: posted 835s evaluated again after each file.
    onboarding.load_folder(engine, second, late, OWNER, after=reevaluation.after_import)
    imports.import_file(engine, second, "transactions", GOOD / "transactions.csv", OWNER,
                        after=reevaluation.after_import)  # fmt: skip
    for month in ("2025-01", "2025-02", "2025-03"):
        at = record.month_option(month)
        pd.testing.assert_frame_equal(
            record.reconcile(engine, first, OWNER, at), record.reconcile(engine, second, OWNER, at)
        )


def test_the_command_line_writes_the_three_tables(db_url, engine, loaded, tmp_path) -> None:  # noqa: ANN001
    posting.post_file(engine, loaded, _acme_835(tmp_path), OWNER)
    out = tmp_path / "t3.csv"
    done = payeropt("reconcile", loaded, "--month", "2025-02", "--csv", str(out), db=db_url,
                    env=OWNER_ENV)  # fmt: skip
    assert done.code == 0, done.err
    rows = {r["row"] + r["payer_id"]: r for r in csv.DictReader(out.open())}
    assert rows["payerACME"]["charges"] == "1240.00"
    assert rows["payerACME"]["j_percent"] == "42.535"
    assert rows["total"]["visits"] == "2"
    january = payeropt("reconcile", loaded, "--month", "2025-01", "--table", "who-paid",
                       db=db_url, env=OWNER_ENV)  # fmt: skip
    # CLM1001 (Medicare, no 835 yet): Medicaid's $45.95 as secondary is all the cash.
    assert january.code == 0, january.err
    assert "MCD" in january.out and "45.95" in january.out
    bad = payeropt("reconcile", loaded, "--month", "Feb", db=db_url, env=OWNER_ENV)
    assert bad.code == 2 and "YYYY-MM" in bad.err
    clinician = payeropt("reconcile", loaded, "--month", "2025-02", db=db_url,
                         env={"PAYEROPT_ACTOR": "dr", "PAYEROPT_ROLE": "clinician"})  # fmt: skip
    assert clinician.code == 2 and clinician.err.count("\n") == 1
