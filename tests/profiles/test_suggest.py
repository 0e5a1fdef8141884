"""``profile suggest`` on the shipped example exports proposes the shipped profiles'
columns; its doubts are listed; it imports nothing. And the CLI verbs end to end."""

from __future__ import annotations

import pytest
import yaml

from payeropt_lib.profiles import model, suggest
from tests.test_cli import OWNER_ENV, payeropt

from .helpers import CONTRACTS, EXAMPLES, SHIPPED


def _draft(name: str) -> suggest.Suggestion:
    profile, _ = model.load(name)
    path = EXAMPLES / SHIPPED[name][0]
    return suggest.suggest(profile.kind, path.name, path.read_bytes())


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_suggest_proposes_the_columns_of_the_shipped_profile(name):
    shipped, _ = model.load(name)
    draft = _draft(name)
    assert draft.profile["header_row"] == shipped.header_row
    proposed = {t: c["from"] for t, c in draft.profile["columns"].items()}
    wanted = {
        t: (c.sources[0] if len(c.sources) == 1 else c.sources) for t, c in shipped.columns.items()
    }
    assert proposed == wanted
    for target, column in shipped.columns.items():
        if column.type in ("date", "money", "code", "modifiers", "list", "payer"):
            assert draft.profile["columns"][target]["type"] == column.type, target
        if column.formats and not SHIPPED[name][0].endswith(".xlsx"):  # xlsx: date cells
            assert draft.profile["columns"][target]["formats"] == column.formats[:1]


def test_suggest_on_the_workbook_finds_sheets_and_says_what_it_could_not():
    draft = _draft("payer-fee-schedule-xlsx")
    assert draft.profile["sheets"] == {
        "HMO": {"product_line": "HMO"},
        "PPO": {"product_line": "PPO"},
    }
    assert draft.profile["columns"]["procedure_code"]["pad_codes"] is True
    assert draft.profile["columns"]["effective_from"]["excel_serial"] is True
    assert any(u.startswith("payer_id: required") for u in draft.unsure)
    assert "# CHECK payer_id: required" in draft.text


def test_doubts_are_comments_and_the_draft_is_yaml():
    draft = _draft("pm-transaction-detail")
    assert any(
        u.startswith("type: fill in what each of CO, PP, PRF, SIP, WOCP") for u in draft.unsure
    )
    assert any(u.startswith("payers:") for u in draft.unsure)
    again = yaml.safe_load(draft.text)
    assert again["columns"]["type"]["values"] == {
        "CO": "",
        "PP": "",
        "PRF": "",
        "SIP": "",
        "WOCP": "",
    }
    assert again["skip"]["rows"][0]["column"] == "Post Date"


def test_two_columns_that_fit_one_target_are_reported(tmp_path):
    path = tmp_path / "two-dates.csv"
    path.write_text("Claim,Service Date,DOS,CPT,Units,Charge,Insurance,Acct,Line\n"
                    "C1,01/02/2025,01/02/2025,99213,1,$10.00,Acme,A1,1\n")  # fmt: skip
    draft = suggest.suggest("charges", path.name, path.read_bytes())
    assert draft.profile["columns"]["date_of_service"]["from"] == "Service Date"
    assert "date_of_service: took 'Service Date'; 'DOS' also fit" in draft.unsure


def test_filled_in_draft_imports_like_the_shipped_profile(tmp_path):
    """The draft for the charge detail example, its payer ids filled in, maps the file to
    the same rows as the shipped profile."""
    from .helpers import expected, map_file

    draft = _draft("pm-charge-detail")
    shipped, _ = model.load("pm-charge-detail")
    draft.profile["payers"] = dict(shipped.payers)
    profile = model.Profile.model_validate(draft.profile)
    frame = map_file(profile, EXAMPLES / "pm-charge-detail.csv").frame
    want = expected("pm-charge-detail.expected.csv")
    assert frame.reindex(columns=want.columns).equals(want.astype(frame.dtypes.iloc[0]))


def test_cli_suggest_writes_the_draft_and_imports_nothing(tmp_path, db_url):
    out = tmp_path / "draft.yaml"
    path = EXAMPLES / "pm-charge-detail.csv"
    done = payeropt("profile", "suggest", "charges", str(path), "--out", str(out), db=db_url)
    assert done.code == 0, done.err
    assert f"wrote {out}" in done.out
    assert "unsure: payers: fill in the payer id of each of the 4 names" in done.err
    assert yaml.safe_load(out.read_text())["kind"] == "charges"
    shown = payeropt("profile", "list")
    assert "pm-charge-detail\tcharges\t" in shown.out


def test_cli_import_with_profile(tmp_path, db_url):
    org = "prof" + tmp_path.name[-6:].replace("_", "").lower()
    run = lambda *a: payeropt(*a, db=db_url, env=OWNER_ENV)  # noqa: E731
    assert run("practice", "create", org, "--name", "P").code == 0
    assert run("opt-in", org, "--accept-disclosure").code == 0
    contracts = tmp_path / "contracts.csv"
    contracts.write_text(CONTRACTS)
    assert run("import", "contracts", org, str(contracts)).code == 0
    path = str(EXAMPLES / "pm-charge-detail.csv")
    done = run("import", "charges", org, path, "--profile", "pm-charge-detail")
    assert done.code == 0, done.err
    assert "pm-charge-detail.csv: 7 rows: 7 new" in done.out
    again = run("import", "charges", org, path, "--profile", "pm-charge-detail")
    assert "already imported; nothing changed" in again.out
    wrong = run("import", "charges", org, path, "--profile", "payer-fee-schedule-xlsx")
    assert wrong.code == 2
    assert wrong.err == (
        "payeropt: profile payer-fee-schedule-xlsx: kind: maps fee-schedules files, not "
        "charges; nothing was imported\n"
    )
