"""CMS's fee library prices the Medicare lines a practice's own medicare_fees.csv does not
cover, and it may arrive in any order: a release imported after the 835s were posted
re-evaluates them (``reevaluation.after_library``) to exactly what posting them after the
import stores.

The practice is tests/data/good without its medicare_fees.csv: its Medicare claim CLM1001
(99214-25 and 20610 at locality 01112-05, January 2025) has no rate of its own. The
library holds RVU25D's files as a 2025 A release (in force from 1 January; a stand-in: the
dates are what this test is about), whose 2025 amounts for 01112-05 are the ones
tests/data/good's medicare_fees.csv gives (99214: $152.35, what the 835 allowed).
"""

from __future__ import annotations

import shutil

import pytest

from payeropt_lib import store
from payeropt_lib.reference import library
from payeropt_lib.remittances import reevaluation
from payeropt_lib.store import orgs, tables
from payeropt_lib.store.access import Identity
from tests.conftest import OWNER, empty_cms_library, require_shared
from tests.remittances.test_reevaluation import _load, _practice, live_state

WITHOUT_MEDICARE_FEES = ["contracts", "fee-schedules", "charges", "era0", "era1", "era2", "era3"]


def _no_rate(engine, org_id: str) -> list[tuple]:
    f = tables.findings
    found = store.read_frame(
        engine, f, org_id, ["claim_id", "procedure_code", "kind"], where=[f.c.void.is_(False)]
    )
    return sorted(map(tuple, found[found["kind"].eq("no_rate")].values.tolist()))


@pytest.mark.slow
def test_a_release_after_posting_ends_as_a_release_before_it(engine, tmp_path) -> None:
    empty_cms_library(engine)
    try:
        folder = tmp_path / "rvu25"
        folder.mkdir()
        for name in ("PPRRVU2025_Oct.txt", "GPCI2025.txt"):
            shutil.copy(require_shared() / "cms" / name, folder / name)
        late = _practice(engine)  # posted before the library holds anything
        _load(engine, late, WITHOUT_MEDICARE_FEES, tmp_path)
        assert ("CLM1001", "99214", "no_rate") in _no_rate(engine, late)
        gone = _practice(engine)  # posted, then opted out: nothing runs for it
        _load(engine, gone, WITHOUT_MEDICARE_FEES, tmp_path)
        orgs.opt_out(engine, gone, OWNER)
        before = live_state(engine, gone)
        library.import_release(engine, folder, 2025, "A", Identity("ana", "analyst"))
        again, failed = reevaluation.after_library(engine, OWNER, "import cms-pfs 2025 A")
        assert late in again and gone not in again and failed == {}
        assert live_state(engine, gone) == before
        early = _practice(engine)  # posted with the library in place
        _load(engine, early, WITHOUT_MEDICARE_FEES, tmp_path)
        assert live_state(engine, late) == live_state(engine, early)
        assert _no_rate(engine, early) == []
    finally:
        empty_cms_library(engine)


@pytest.mark.slow
def test_a_line_priced_from_another_years_release_says_so_in_its_finding(engine, tmp_path) -> None:
    """RVU25D's 99214 and 20610 imported as a 2024 D release (from 1 October 2024) at the
    CAA 2024 conversion factor 33.2875: the only schedule on file for CLM1001's January
    2025 lines. 99214 at 01112-05: work 1.92 x 1.088 + PE 1.80 x 1.419 (non-facility) +
    MP 0.15 x 0.445 = 2.08896 + 2.5542 + 0.06675 = 4.70991 RVUs, x 33.2875 = 156.7811...
    -> $156.78 (x 32.3465 it is the $152.35 the 835 allowed): an under-payment whose
    finding, and the under-payments list, say the 2025 date was priced from CMS PFS
    2024D."""
    from payeropt_lib.remittances import worklists
    from tests.reference.cms_files import release_folder

    empty_cms_library(engine)
    try:
        folder = release_folder(tmp_path / "rvu", ("99214", "20610"))
        library.import_release(
            engine, folder, 2024, "D", Identity("ana", "analyst"), cf_x10000=332875
        )
        org = _practice(engine)
        _load(engine, org, WITHOUT_MEDICARE_FEES, tmp_path)
        under = worklists.findings(engine, org, "underpaid")
        line = under[under["claim_id"].eq("CLM1001") & under["procedure_code"].eq("99214")]
        assert len(line) == 1
        assert line["expected_allowed"].iloc[0] == "156.78"
        assert line["explanation"].iloc[0].endswith("; priced from CMS PFS 2024D")
        assert "no CMS schedule on file covers 2025-01-" in line["explanation"].iloc[0]
    finally:
        empty_cms_library(engine)
