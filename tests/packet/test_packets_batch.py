"""Consultant batches (``payeropt report --all``): practices in parallel, failures isolated,
an index of practices, and no practice's data in another's packet."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from payeropt_lib import config, errors, formats, store
from payeropt_lib.analytics import reconciliation
from payeropt_lib.inputs import onboarding
from payeropt_lib.packet import build as packets
from payeropt_lib.packet import pages, report
from payeropt_lib.store import orgs
from payeropt_lib.store.access import Identity
from tests.conftest import GOOD
from tests.packet.single_page import only_page
from tests.test_cli import payeropt

OWNER = Identity("t", "owner")
AS_OF = "2025-08-01"
COPIES = 12  # each fixture claim 12 times: counts of 11 and more, so figures are shown

# The good fixture's payer ids, and the names of its commercial and Medicaid payers.
FIXTURE_PAYERS = ("MCR", "MCD", "ACME", "SELF")
FIXTURE_NAMES = ("Acme Health Plan", "State Medicaid")


@dataclass(frozen=True)
class Practice:
    """The good fixture as one practice: ``FIXTURE_PAYERS`` and ``FIXTURE_NAMES`` become
    ``payers`` and ``names``, claim and patient numbers get their own prefixes, and every
    amount is scaled."""

    name: str
    payers: tuple[str, str, str, str]
    names: tuple[str, str]
    claim: str
    patient: str
    scale: float


# Two practices with nothing in common but the Medicare reference: payer ids and names,
# claim and patient numbers, and contracted amounts all differ.
PRACTICES = {
    "alpha": Practice("Alpha Orthopedics", FIXTURE_PAYERS, FIXTURE_NAMES, "QAC", "QAP", 1.0131),
    "beta": Practice(
        "Beta Family Medicine",
        ("MCRB", "TXMD", "BLUEB", "SELF"),
        ("Bluebonnet Mutual", "Lone Star Care"),
        "ZBC",
        "ZBP",
        1.3717,
    ),
}


def _variant(folder: Path, spec: Practice) -> Path:
    """The good fixture as the practice ``spec``, each claim ``COPIES`` times."""
    folder.mkdir(parents=True)
    payer = dict(zip(FIXTURE_PAYERS, spec.payers, strict=True))
    names = dict(zip(FIXTURE_NAMES, spec.names, strict=True))

    def ids(values: pd.Series, prefix: str, copy: int) -> pd.Series:
        return prefix + values.str.extract(r"(\d+)$", expand=False) + f"{copy:02d}"

    def scaled(amounts: pd.Series) -> pd.Series:
        return (amounts.astype(float) * spec.scale).map("{:.2f}".format)

    contracts = pd.read_csv(GOOD / "contracts.csv", dtype=str, keep_default_na=False)
    contracts["payer_id"] = contracts["payer_id"].map(payer)
    contracts["payer_name"] = contracts["payer_name"].replace(names)
    contracts["payer_aliases"] = contracts["payer_aliases"].replace(names, regex=True)
    contracts.to_csv(folder / "contracts.csv", index=False)
    fees = pd.read_csv(GOOD / "fee_schedules.csv", dtype=str, keep_default_na=False)
    fees["payer_id"] = fees["payer_id"].map(payer)
    fees["allowed_amount"] = scaled(fees["allowed_amount"])
    fees.to_csv(folder / "fee_schedules.csv", index=False)
    (folder / "medicare_fees.csv").write_bytes((GOOD / "medicare_fees.csv").read_bytes())
    charges = pd.read_csv(GOOD / "charges.csv", dtype=str, keep_default_na=False)
    copies = []
    for copy in range(COPIES):
        c = charges.copy()
        c["claim_id"] = ids(c["claim_id"], spec.claim, copy)
        c["line_control_number"] = ids(c["line_control_number"], spec.claim + "L", copy)
        c["patient_id"] = ids(c["patient_id"], spec.patient, copy)
        c["primary_payer_id"] = c["primary_payer_id"].map(payer)
        c["secondary_payer_id"] = c["secondary_payer_id"].map(payer).fillna("")
        c["charge_amount"] = scaled(c["charge_amount"])
        copies.append(c)
    pd.concat(copies).to_csv(folder / "charges.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("batch")
    url = config.sqlite_url(root / "batch.sqlite")
    engine = store.engine_for(url)
    for org_id, spec in PRACTICES.items():
        orgs.create(engine, org_id, spec.name, OWNER, locality="01112-05")
        orgs.opt_in(engine, org_id, OWNER, True)
        onboarding.load_folder(engine, org_id, _variant(root / org_id, spec), OWNER)
    orgs.create(engine, "gamma", "Gamma Not Opted In", OWNER)
    orgs.create(engine, "delta", "Delta Empty Practice", OWNER)
    orgs.opt_in(engine, "delta", OWNER, True)  # opted in, nothing imported yet
    return url


# No practice here has posted an 835. These pages show a practice's own payers, rates and
# charges all the same (what the isolation test looks for); the others would show only
# "No remittances posted yet." in every packet, and run once, for the empty practice.
DATA_PAGES = (
    "summary",
    "data-quality",  # claims unanswered, payers with no contract, codes with no rate
    "fee-schedules",
    "payer-mix",
    "contract-renewals",
    "payer-rules",
    "coding",  # no suggestion on file here: the page says so, for every practice
)


# Pages of the month of service reconciled: with no claim, they say so.
RECONCILED = ("reconciliation", "medicare-check", "payment-audit")


def _pages(slugs) -> tuple[pages.Page, ...]:  # noqa: ANN001 - slugs to keep, or to drop
    return tuple(p for p in pages.PAGES if p.slug in slugs)


@pytest.fixture(scope="module")
def batch(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> packets.BatchResult:
    out = tmp_path_factory.mktemp("packets")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "PAGES", _pages(DATA_PAGES))
        return packets.write_packets(db_url, out, as_of=AS_OF, who=OWNER, workers=2)


def _files(folder: Path) -> dict[Path, str]:
    return {
        p: p.read_text(encoding="utf-8", errors="replace")
        for p in folder.rglob("*")
        if p.is_file() and p.parent.name != packets.ASSETS_DIR
    }


def _markers(db_url: str, org_id: str) -> set[str]:
    """What only this practice has: its payer names, claim ids and contracted dollars."""
    engine = store.engine_for(db_url)
    contracts = store.read_frame(engine, store.tables.contracts, org_id)
    fees = store.read_frame(engine, store.tables.fee_schedules, org_id)
    charges = store.read_frame(engine, store.tables.charges, org_id)
    names = set(contracts.loc[contracts["payer_class"].eq("COMMERCIAL"), "payer_name"])
    names |= set(contracts.loc[contracts["payer_class"].eq("MEDICAID"), "payer_name"])
    dollars = {formats.money(c) for c in fees["allowed_cents"]}
    return names | set(charges["claim_id"]) | dollars


def test_every_opted_in_practice_gets_a_packet(batch: packets.BatchResult) -> None:
    # gamma has not opted in; delta has no data yet, and its pages still render.
    assert set(batch.packets) == {"alpha", "beta", "delta"}
    for org_id, index in batch.packets.items():
        assert index == batch.index.parent / org_id / "index.html"
        for page in _pages(DATA_PAGES):
            assert (index.parent / page.href).is_file(), (org_id, page.href)
        assert (index.parent / packets.ASSETS_DIR / packets.PLOTLY_JS).is_file()
    assert batch.failed == {}


@pytest.mark.slow
def test_an_empty_practice_renders_every_remittance_page(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages the batch leaves out, for the practice with nothing on file: each says
    that no remittance is posted yet, and the reconciliation pages that there is no claim
    to reconcile (with the batch, every page renders for it). In this process's kernel:
    the pages are what this checks; the pool runs the batch's, and the failing practice's
    below."""
    rest = tuple(p for p in pages.PAGES if p.slug not in DATA_PAGES)
    monkeypatch.setattr(pages, "PAGES", rest)
    index = packets.write_packet(db_url, "delta", tmp_path, as_of=AS_OF, workers=1)
    assert len(rest) == len(pages.PAGES) == 7
    for page in rest:
        text = (index.parent / page.href).read_text(encoding="utf-8")
        expected = reconciliation.NO_CLAIMS if page.slug in RECONCILED else report.NO_REMITTANCES
        assert expected in text, page.slug


def test_index_lists_practices_with_headline_numbers(batch: packets.BatchResult) -> None:
    text = batch.index.read_text(encoding="utf-8")
    assert 'href="alpha/index.html"' in text and 'href="beta/index.html"' in text
    assert "Alpha Orthopedics" in text and "Beta Family Medicine" in text
    for label in packets.summary_columns():
        assert f"<th>{label}</th>" in text
    assert set(batch.headlines) == {"alpha", "beta", "delta"}
    assert all(h.get("figures") for h in batch.headlines.values())
    assert "Delta Empty Practice" in text and "no claims on file" in text
    # A practice with nothing on file reads "no data", not "suppressed" (nothing is hidden);
    # a practice not opted in is listed with why it has no packet, not left out.
    delta = dict(batch.headlines["delta"]["batch_figures"])
    assert delta["Denial rate (claims)"] == "no data", delta
    assert "Gamma Not Opted In" in text and "not opted in to payer optimization yet" in text
    assert "gamma" not in batch.failed


def test_no_practice_sees_another(db_url: str, batch: packets.BatchResult) -> None:
    alpha, beta = _markers(db_url, "alpha"), _markers(db_url, "beta")
    only_alpha, only_beta = alpha - beta, beta - alpha
    assert {"Acme Health Plan", "Bluebonnet Mutual"} <= only_alpha | only_beta
    assert len(only_alpha) > 100 and len(only_beta) > 100
    seen = {org: _files(batch.packets[org].parent) for org in ("alpha", "beta")}
    # Each packet shows its own payers (the check can fail) ...
    assert any("Acme Health Plan" in t for t in seen["alpha"].values())
    assert any("Bluebonnet Mutual" in t for t in seen["beta"].values())
    # ... and none of the other's payer names, claim ids or contracted dollars.
    for org, others in (("alpha", only_beta), ("beta", only_alpha)):
        for path, text in seen[org].items():
            words = set(re.findall(r"[A-Za-z0-9]+", text))
            leaked = {m for m in others if (m in words if m.isalnum() else m in text)}
            assert leaked == set(), (org, path.name, sorted(leaked)[:5])


def _fragile_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The packet is one page that fails for the practice "beta" only."""
    only_page(
        tmp_path, monkeypatch, "fragile", "F", 'assert org_id != "beta", "beta breaks this page"'
    )


@pytest.mark.slow
def test_a_failing_practice_does_not_stop_the_others(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fragile_page(tmp_path, monkeypatch)
    result = packets.write_packets(
        db_url, tmp_path / "out", ["alpha", "beta", "gamma"], as_of=AS_OF, workers=2
    )
    assert set(result.packets) == {"alpha"}
    assert set(result.failed) == {"beta", "gamma"}
    assert "99_fragile.ipynb" in result.failed["beta"] and "beta breaks" in result.failed["beta"]
    assert "opt" in result.failed["gamma"]
    assert not (tmp_path / "out" / "beta" / "index.html").exists()
    index = result.index.read_text(encoding="utf-8")
    assert "No packet:" in index and 'href="alpha/index.html"' in index
    error = errors.BatchFailed(result.failed, len(result.packets), str(result.index))
    assert str(error).startswith("2 of 3 packets failed")
    # The failed page's notebook is kept outside the packets, where the error says; the
    # pages that were written left none behind.
    kept = Path(result.failed["beta"].split("the executed notebook is ")[1])
    assert kept.is_file() and kept.parent.name == "beta"
    assert sorted(p.name for p in kept.parent.parent.iterdir()) == ["beta"]
    assert not list((tmp_path / "out").rglob("*.ipynb"))
    shutil.rmtree(kept.parent.parent)


@pytest.mark.slow
def test_cli_report_all_exits_non_zero_when_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = config.sqlite_url(tmp_path / "cli.sqlite")
    engine = store.engine_for(url)
    for org_id in ("alpha", "beta"):
        orgs.create(engine, org_id, org_id.title(), OWNER)
        orgs.opt_in(engine, org_id, OWNER, True)
    _fragile_page(tmp_path, monkeypatch)
    out = tmp_path / "out"
    args = ["report", "--all", "--out", str(out), "--as-of", AS_OF, "--workers", "1"]
    # As a user runs it (cli.run, what the console script exits with): a user error is
    # one line on stderr and exit 2. (A bare `report` is test_cli.py's usage error.)
    kept = tmp_path / "notebooks"
    done = payeropt(
        *args, "--keep-notebooks", str(kept), "--actor", "t", "--role", "owner", db=url
    )
    executed = kept / "beta" / "99_fragile.ipynb"  # outside the packets (issue 12)
    assert (done.code, done.err) == (
        2,
        "payeropt: 1 of 2 packets failed (beta: report page 99_fragile.ipynb failed in cell "
        "In [3] (AssertionError: beta breaks this page); no index.html was written; the "
        f"executed notebook is {executed}); the others are listed in {out / 'index.html'}\n",
    )
    assert done.out == f"alpha: {out / 'alpha' / 'index.html'}\n{out / 'index.html'}\n"
    assert (out / "index.html").is_file() and (out / "alpha" / "index.html").is_file()
    assert executed.is_file() and (kept / "alpha" / "99_fragile.ipynb").is_file()
    assert not list(out.rglob("*.ipynb"))


@pytest.mark.slow
def test_packet_on_postgresql_keeps_the_password_out_of_every_file(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One page is enough: every page gets the URL the same way (papermill's parameters,
    # written into the executed notebook, or PAYEROPT_DB, which the kernel inherits).
    monkeypatch.setattr(pages, "PAGES", tuple(p for p in pages.PAGES if p.slug == "summary"))
    engine = store.engine_for(pg_url)
    org_id = "pgpacket"
    orgs.create(engine, org_id, "PostgreSQL Practice", OWNER, locality="01112-05")
    orgs.opt_in(engine, org_id, OWNER, True)
    onboarding.load_folder(engine, org_id, GOOD, OWNER)
    # Trust authentication ignores the password; the packet must not write it anywhere.
    secret = "Sekr3tPassw0rd"
    url = sa.engine.make_url(store.normalize_url(pg_url)).set(password=secret)
    index = packets.write_packet(
        url.render_as_string(hide_password=False), org_id, tmp_path, as_of=AS_OF, workers=2
    )
    assert index.is_file()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8", errors="replace"), path
    assert "PostgreSQL Practice" in (tmp_path / "summary.html").read_text(encoding="utf-8")
