"""The command line as a user runs it: exit codes, one-line errors, --help everywhere.

Every test but one runs the CLI in this process through ``cli.run``, the function the
console script's ``main`` exits with: the same one-line errors and exit codes, without
starting Python and importing the library again for each command. The one smoke test
starts the installed ``payeropt`` script itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from payeropt_lib import cli, store
from tests.conftest import BAD, GOOD, ROOT, _in_ci

OWNER_ENV = {"PAYEROPT_ACTOR": "olivia", "PAYEROPT_ROLE": "owner"}


@dataclass(frozen=True)
class Done:
    code: int
    out: str
    err: str


def payeropt(*args: str, db: str | None = None, env: dict[str, str] | None = None) -> Done:
    """``payeropt [--db DB] ARGS`` in this process, with stdout and stderr captured apart.
    PAYEROPT_* variables come from ``env`` only (none of the test run's leak in)."""
    unset = {name: None for name in os.environ if name.startswith("PAYEROPT_")}
    argv = [*(["--db", db] if db else []), *args]
    with CliRunner().isolation(env={**unset, **(env or {})}) as (out, err, _):
        code = cli.run(argv, prog_name="payeropt")
        sys.stdout.flush()
        sys.stderr.flush()
        return Done(code, out.getvalue().decode(), err.getvalue().decode())


def _verbs(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every group and command of the CLI, as the words a user types."""
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _verbs(sub, (*path, name))
    return found


VERBS = _verbs(typer.main.get_command(cli.app))


def test_the_verb_list_is_the_whole_cli():
    """The --help test below covers what the app really has, not a list kept by hand."""
    assert len(VERBS) > 25
    for verb in [(), ("practice", "create"), ("import", "era"), ("task",), ("db", "upgrade")]:
        assert verb in VERBS


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: " ".join(v) or "payeropt")
def test_help_on_every_verb(verb):
    done = payeropt(*verb, "--help")
    assert (done.code, done.err) == (0, ""), done.err
    assert "Usage: " + " ".join(("payeropt", *verb)) in done.out


def test_a_practice_from_the_command_line(db_url, tmp_path):
    org = "cli" + tmp_path.name[-6:].replace("_", "").lower()

    def run(*args: str, env: dict[str, str] | None = None) -> Done:
        return payeropt(*args, db=db_url, env=env)

    made = run("practice", "create", org, "--name", "CLI Practice", env=OWNER_ENV)
    assert made.code == 0, made.err
    assert made.out == f"practice {org} created; opted out until the owner opts in\n"

    early = run("import", "contracts", org, str(GOOD / "contracts.csv"), env=OWNER_ENV)
    assert early.code == 2
    assert early.err.count("\n") == 1 and "has not opted in" in early.err

    shown = run("opt-in", org, "--show-disclosure")
    assert shown.code == 0 and "What it never does" in shown.out

    unaccepted = run("opt-in", org, env=OWNER_ENV)
    assert unaccepted.code == 2 and "--accept-disclosure" in unaccepted.err

    opted = run("opt-in", org, "--accept-disclosure", env=OWNER_ENV)
    assert opted.code == 0, opted.err

    loaded = run("import", "folder", org, str(GOOD), env=OWNER_ENV)
    assert loaded.code == 0, loaded.err
    assert "charges.csv: 20 rows: 20 new" in loaded.out

    again = run("import", "charges", org, str(GOOD / "charges.csv"), env=OWNER_ENV)
    assert again.code == 0 and "already imported; nothing changed" in again.out

    bad = run("import", "charges", org, str(BAD / "charges__negative_units.csv"), env=OWNER_ENV)
    assert bad.code == 2
    assert bad.err == (
        "payeropt: charges__negative_units.csv: row 7, column units: must be a positive "
        "whole number (got '-1'); nothing was imported\n"
    )

    refused = run(
        "import",
        "contracts",
        org,
        str(GOOD / "contracts.csv"),
        env={"PAYEROPT_ACTOR": "ana", "PAYEROPT_ROLE": "analyst"},
    )
    assert refused.code == 2 and "role 'analyst' may not" in refused.err

    verified = run("audit", org, "--verify", "--role", "owner")
    assert verified.code == 0 and "chain intact" in verified.out

    out = tmp_path / "audit.csv"
    listed = run("audit", org, "--action", "import", "--csv", str(out), "--role", "owner")
    assert listed.code == 0, listed.err
    text = out.read_text()
    assert text.count("import.") >= 8 and "refused" in text

    by_patient = run("audit", org, "--patient", "PAT001", "--role", "practice_manager")
    assert by_patient.code == 2 and "audit.search_patient refused" in by_patient.err


def test_missing_role_is_one_clear_line(tmp_path):
    done = payeropt("practice", "create", "x1", "--name", "X", db=f"sqlite:///{tmp_path}/a.sqlite")
    assert done.code == 2
    assert done.err == "payeropt: no actor given: pass --actor or set PAYEROPT_ACTOR\n"


def test_unreachable_database_is_one_clear_line():
    done = payeropt("practice", "list", db="postgresql://nobody@127.0.0.1:1/none")
    assert done.code == 2
    assert done.err.startswith("payeropt: database postgresql+psycopg://nobody@127.0.0.1:1/")
    assert done.err.count("\n") == 1


def test_db_upgrade(tmp_path):
    done = payeropt("db", "upgrade", db=f"sqlite:///{tmp_path}/b.sqlite")
    assert done.code == 0 and done.out == f"database at revision {store.head_revision()}\n"


def test_broken_audit_chain_exits_1(tmp_path):
    """`audit --verify` is what a cron job or a consultant's script checks: a broken chain
    must fail the process, not only print."""
    db = f"sqlite:///{tmp_path}/chain.sqlite"
    assert payeropt("practice", "create", "ch1", "--name", "Chain", db=db, env=OWNER_ENV).code == 0
    assert payeropt("audit", "ch1", "--verify", db=db, env=OWNER_ENV).code == 0
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
    engine.dispose()
    done = payeropt("audit", "ch1", "--verify", db=db, env=OWNER_ENV)
    assert done.code == 1, (done.out, done.err)
    assert "entry 1: content" in done.err and "chain intact" not in done.out


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("out/demo/payeropt.sqlite", "is not a SQLAlchemy URL"),
        ("mysql://someone@localhost/payers", "names mysql, which payeropt does not use"),
        ("postgresql://u:hunter2@db:port/x", "is not a SQLAlchemy URL"),
    ],
)
def test_bad_database_url_is_one_clear_line(url, says):
    done = payeropt("practice", "list", db=url)
    assert done.code == 2
    assert done.err.startswith("payeropt: ") and done.err.count("\n") == 1, done.err
    assert says in done.err and "(--db or PAYEROPT_DB)" in done.err
    assert "hunter2" not in done.err
    from_env = payeropt("practice", "list", env={"PAYEROPT_DB": url})
    assert from_env.code == 2 and from_env.err == done.err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuch"], "Error: No such command 'nosuch'."),
        (["report"], "Error: Invalid value for ORG: name one practice, or pass --all"),
        (
            ["report", "demo", "--out", "x", "--from", "soon"],
            "Error: Invalid value for --from/--to/--as-of: 'soon' is not a date (YYYY-MM-DD)",
        ),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(args, says, tmp_path):
    done = payeropt(*args, db=f"sqlite:///{tmp_path}/u.sqlite")
    assert done.code == 2, done.err
    assert done.err.startswith("Usage: payeropt ")
    assert done.err.splitlines()[-1] == says  # click's usage line, then one error line
    assert done.out == ""


def test_the_installed_command_exits_with_the_codes_users_get(tmp_path):
    """Smoke test of the real entry point (the console script `pip install -e .` makes, in
    the environment running these tests), importing this checkout: --help exits 0; a bad
    --db exits 2 with one line on stderr."""
    script = Path(sys.executable).with_name("payeropt")
    if not script.is_file():
        message = f"no console script at {script}: pip install -e . first"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYEROPT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # Both at once: each process spends its seconds importing the library.
    runs = [
        subprocess.Popen(
            [str(script), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for args in (["--help"], ["--db", "payeropt.sqlite", "practice", "list"])
    ]
    (help_out, help_err), (bad_out, bad_err) = (p.communicate(timeout=120) for p in runs)
    assert runs[0].returncode == 0, help_err
    assert "Usage: payeropt [OPTIONS] COMMAND [ARGS]..." in help_out
    assert runs[1].returncode == 2, bad_err
    assert bad_out == "" and bad_err.count("\n") == 1
    assert bad_err.startswith("payeropt: ") and "is not a SQLAlchemy URL" in bad_err
    assert "Traceback" not in help_err + bad_err


# --- issue 11: small things a user meets --------------------------------------------------


def _opted_in_practice(db: str, org: str, *, loaded: bool = True) -> None:
    """``org`` created, opted in and (``loaded``) holding every good fixture file."""
    steps = [
        ("practice", "create", org, "--name", "Small Practice", "--locality", "01112-05"),
        ("opt-in", org, "--accept-disclosure"),
        *([("import", "folder", org, str(GOOD))] if loaded else []),
    ]
    for step in steps:
        done = payeropt(*step, db=db, env=OWNER_ENV)
        assert done.code == 0, (step, done.err)


def test_practice_create_stores_the_locality(db_url, tmp_path):
    from payeropt_lib.store import orgs

    org = "loc" + tmp_path.name[-6:].replace("_", "").lower()
    args = ("practice", "create", org, "--name", "Locality", "--locality", "04412-11")
    assert payeropt(*args, db=db_url, env=OWNER_ENV).code == 0
    assert orgs.get(store.engine_for(db_url), org)["locality"] == "04412-11"


def test_a_mistyped_practice_key_names_the_nearest_one(tmp_path):
    db = f"sqlite:///{tmp_path}/typo.sqlite"
    _opted_in_practice(db, "demo-practice", loaded=False)
    typo = payeropt("tasks", "demo-practce", db=db, env=OWNER_ENV)
    assert (typo.code, typo.out) == (2, "")
    assert typo.err == "payeropt: no practice 'demo-practce'; did you mean 'demo-practice'?\n"
    far = payeropt("opt-in", "smith-ortho", "--accept-disclosure", db=db, env=OWNER_ENV)
    assert far.code == 2
    assert far.err == (
        "payeropt: practice 'smith-ortho' does not exist; create it with "
        "'payeropt practice create smith-ortho --name NAME'\n"
    )


def _remit(trace: str, control: str, payer=None) -> bytes:
    from tests.remittances.x835 import ACME, FEB_99213_AS_CONTRACTED, clp, era835

    claims = [clp("CLM1002", [FEB_99213_AS_CONTRACTED])]
    return era835(payer or ACME, claims, trace=trace, isa_control=control)


def test_remits_unmatched_prints_blanks_not_nan(tmp_path):
    db = f"sqlite:///{tmp_path}/nan.sqlite"
    _opted_in_practice(db, "nan1")
    remit = tmp_path / "mystery.835"
    remit.write_bytes(_remit("EFT30", "000000501", ("MYSTERY PAYER", "5550001111")))
    assert payeropt("import", "era", "nan1", str(remit), db=db, env=OWNER_ENV).code == 0
    listed = payeropt("remits", "nan1", "--unmatched", db=db, env=OWNER_ENV)
    assert listed.code == 0, listed.err
    assert "unknown_payer" in listed.out
    assert "NaN" not in listed.out and "None" not in listed.out and "<NA>" not in listed.out


def test_import_era_posts_every_file_and_reports_each_refusal(tmp_path):
    db = f"sqlite:///{tmp_path}/era.sqlite"
    _opted_in_practice(db, "era1")
    folder = tmp_path / "remits"
    folder.mkdir()
    (folder / "a.835").write_bytes(_remit("EFT41", "000000701"))
    (folder / "b.835").write_bytes(b"this is not an 835")
    (folder / "c.835").write_bytes(_remit("EFT42", "000000702"))
    (folder / "d.835").write_bytes(b"")
    done = payeropt("import", "era", "era1", str(folder), db=db, env=OWNER_ENV)
    assert done.code == 2
    assert [line.split(":")[0] for line in done.out.splitlines()] == ["a.835", "c.835"]
    refusals = done.err.splitlines()
    assert len(refusals) == 3, done.err
    assert refusals[0].startswith("payeropt: b.835: segment 1 ")
    assert refusals[1].startswith("payeropt: d.835: ")
    assert refusals[2] == "payeropt: 2 of 4 refused (b.835, d.835); the other 2 were stored"
    listed = payeropt("remits", "era1", db=db, env=OWNER_ENV)
    assert "EFT41" in listed.out and "EFT42" in listed.out


def test_import_era_of_an_empty_folder_says_so(tmp_path):
    db = f"sqlite:///{tmp_path}/empty.sqlite"
    _opted_in_practice(db, "era2", loaded=False)
    empty = tmp_path / "none"
    empty.mkdir()
    done = payeropt("import", "era", "era2", str(empty), db=db, env=OWNER_ENV)
    assert (done.code, done.out) == (2, "")
    assert done.err == f"payeropt: no 835 files in {empty}; nothing was posted\n"
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "x.835").write_bytes(_remit("EFT43", "000000703"))
    mixed = payeropt(
        "import", "era", "era2", str(empty), str(tmp_path / "one"), db=db, env=OWNER_ENV
    )
    assert mixed.code == 2 and mixed.out.startswith("x.835: ")
    assert mixed.err.splitlines() == [
        f"payeropt: no 835 files in {empty}; nothing was posted",
        f"payeropt: 1 of 2 refused ({empty}); the other 1 was stored",
    ]


def _read_only_folder(tmp_path: Path) -> tuple[Path, str]:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    return folder / "report", f"{folder}: Permission denied"


@pytest.mark.parametrize("case", ["parent-is-a-file", "read-only", "read-only-filesystem"])
def test_report_into_a_folder_that_cannot_be_written_is_one_line(tmp_path, case):
    if case == "parent-is-a-file":
        (tmp_path / "notes.txt").write_text("x")
        out, why = (
            tmp_path / "notes.txt" / "report",
            f"{tmp_path / 'notes.txt'} is a file, not a folder",
        )
    elif case == "read-only":
        out, why = _read_only_folder(tmp_path)
    else:
        if not Path("/sys/kernel").is_dir():
            pytest.skip("no sysfs here")
        out, why = Path("/sys/payeropt-report"), "/sys: "
    db = f"sqlite:///{tmp_path}/out.sqlite"
    done = payeropt("report", "demo", "--out", str(out), db=db, env=OWNER_ENV)
    assert (done.code, done.out) == (2, "")
    assert done.err.startswith(f"payeropt: cannot write to folder {out}: {why}"), done.err
    assert done.err.count("\n") == 1 and "Traceback" not in done.err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"claim_id\r,line_number\nCLM1,1\n", "row 1, column claim_id: the header name"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", "not a text CSV file (it looks like a gzip"),
        (b"Claim ID,line_number\nCLM1,1\n", "saw 'Claim ID'; the column is claim_id"),
    ],
    ids=["carriage-return-in-header", "gzip", "near-spelled-header"],
)
def test_a_refused_csv_is_one_line_not_a_traceback(tmp_path, content, says):
    db = f"sqlite:///{tmp_path}/csv.sqlite"
    _opted_in_practice(db, "csv1", loaded=False)
    path = tmp_path / "charges.csv"
    path.write_bytes(content)
    done = payeropt("import", "charges", "csv1", str(path), db=db, env=OWNER_ENV)
    assert (done.code, done.out) == (2, "")
    assert done.err.startswith("payeropt: charges.csv: ") and done.err.count("\n") == 1
    assert says in done.err and done.err.endswith("; nothing was imported\n")


def test_the_readme_says_how_a_new_shell_finds_payeropt():
    """Its examples call a bare `payeropt`, which lives in .venv/bin, not on PATH."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_example = readme.index("\npayeropt ")
    assert "source .venv/bin/activate" in readme[:first_example]
    assert ".venv/bin/payeropt" in readme[:first_example]


def test_report_passes_suppress_below_to_the_packets(monkeypatch, db_url):
    """``report --suppress-below 11`` reaches the packet builder (its effect on a page is
    tested in tests/packet/test_report.py); without it, a packet shows its own counts."""
    from payeropt_lib.packet import build as packets

    seen = []
    monkeypatch.setattr(
        packets, "write_packet", lambda *a, **k: seen.append(k["suppress_below"]) or "x"
    )
    for extra, want in (((), 0), (("--suppress-below", "11"), 11)):
        done = payeropt("report", "demo", *extra, db=db_url, env=OWNER_ENV)
        assert done.code == 0, done.err
        assert seen[-1] == want
    bad = payeropt("report", "demo", "--suppress-below", "-1", db=db_url, env=OWNER_ENV)
    assert bad.code == 2
