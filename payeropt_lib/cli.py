"""The ``payeropt`` command line (typer). Wiring only: no business arithmetic here.

Every verb exits 0 on success; a ``PayeroptError`` becomes one line on stderr and exit 2.
"""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import click
import typer

from payeropt_lib import config, store
from payeropt_lib.errors import BatchFailed, FilesRefused, NoEraFiles, NotOneOf, PayeroptError
from payeropt_lib.inputs import imports
from payeropt_lib.store import access, orgs
from payeropt_lib.store.access import Identity

logger = logging.getLogger(__name__)

app = typer.Typer(
    name="payeropt",
    help="Payer-optimization workbench for independent US medical practices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
practice_app = typer.Typer(help="Register and list practices (orgs).", no_args_is_help=True)
import_app = typer.Typer(help="Import a practice's input files.", no_args_is_help=True)
rules_app = typer.Typer(help="The practice's payer rules and their review.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(practice_app, name="practice")
app.add_typer(import_app, name="import")
app.add_typer(rules_app, name="rules")
app.add_typer(db_app, name="db")

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="PAYEROPT_DB",
        help="SQLAlchemy URL (default: ./payeropt.sqlite)",
        callback=lambda url: url and config.checked_db_url(url, "--db or PAYEROPT_DB"),
    ),
]
ActorOpt = Annotated[
    str | None, typer.Option("--actor", envvar="PAYEROPT_ACTOR", help="who is acting")
]
RoleOpt = Annotated[
    str | None,
    typer.Option("--role", envvar="PAYEROPT_ROLE", help=f"one of {', '.join(access.ROLES)}"),
]
OrgArg = Annotated[str, typer.Argument(help="practice key, e.g. demo")]

_state: dict[str, str | None] = {"db": None}


def _engine(db: str | None):
    return store.engine_for(db or _state["db"])


def _acting(actor: str | None, role: str | None, db: str | None):
    """Who is acting (checked first) and the database they act on."""
    who = Identity.of(actor, role)
    return who, _engine(db)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


@app.callback()
def _main(
    db: DbOpt = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "warning",
) -> None:
    _state["db"] = db
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


# --- practices and opt-in ------------------------------------------------------------------


@practice_app.command("create")
def practice_create(
    org: OrgArg,
    name: Annotated[str, typer.Option("--name", help="the practice's display name")],
    locality: Annotated[
        str | None, typer.Option(help="Medicare carrier-locality, e.g. 01112-05")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Register a practice. It starts opted out."""
    orgs.create(_engine(db), org, name, Identity.of(actor, role), locality=locality)
    typer.echo(f"practice {org} created; opted out until the owner opts in")


@practice_app.command("list")
def practice_list(db: DbOpt = None) -> None:
    """List the practices and whether each has opted in."""
    for row in orgs.list_orgs(_engine(db)):
        state = "opted in" if row["opted_in"] else "opted out"
        typer.echo(f"{row['org_id']}\t{state}\t{row['name']}")


@app.command("opt-in")
def opt_in(
    org: OrgArg,
    show_disclosure: Annotated[
        bool, typer.Option("--show-disclosure", help="print the disclosure and stop")
    ] = False,
    accept_disclosure: Annotated[
        bool, typer.Option("--accept-disclosure", help="confirm you read and accept it")
    ] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """The practice owner enables Payer Optimization after reading the disclosure."""
    if show_disclosure:
        typer.echo(orgs.disclosure_text())
        return
    orgs.opt_in(_engine(db), org, Identity.of(actor, role), accept_disclosure)
    typer.echo(f"practice {org} opted in (disclosure {orgs.disclosure_sha256()[:12]})")


@app.command("opt-out")
def opt_out(org: OrgArg, actor: ActorOpt = None, role: RoleOpt = None, db: DbOpt = None) -> None:
    """Stop all processing for the practice; its data stays."""
    orgs.opt_out(_engine(db), org, Identity.of(actor, role))
    typer.echo(f"practice {org} opted out; its data stays")


# --- imports ---------------------------------------------------------------------------------


def _import_command(kind: str):
    def command(
        org: OrgArg,
        files: Annotated[list[Path], typer.Argument(help="CSV file(s)", exists=False)],
        actor: ActorOpt = None,
        role: RoleOpt = None,
        db: DbOpt = None,
    ) -> None:
        who, engine = _acting(actor, role, db)
        for path in files:
            result = imports.import_file(
                engine, org, kind, path, who, progress=_progress(), after=_reevaluating()
            )
            typer.echo(result.summary())

    command.__doc__ = f"Import {kind} CSV file(s); each is refused whole or stored whole."
    return command


for _kind in imports.KINDS:
    import_app.command(_kind)(_import_command(_kind))


@import_app.command("rules")
def import_rules_cmd(
    org: OrgArg,
    paths: Annotated[
        list[Path], typer.Argument(help="JSON rule files, or folders of them (a quarterly update)")
    ],
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Import payer rules as drafts to review (docs/rules.md); refused whole, naming the
    file, the rule and the guardrail or field, on any problem."""
    from payeropt_lib.rules import repository

    result = repository.import_rules(_engine(db), org, paths, Identity.of(actor, role))
    typer.echo(result.summary())


@import_app.command("ncci")
def import_ncci_cmd(
    org: OrgArg,
    path: Annotated[Path, typer.Argument(help="CMS practitioner PTP (.txt) or MUE (.csv) file")],
    payer: Annotated[str, typer.Option("--payer", help="the payer the edits apply to, or *")],
    quarter: Annotated[
        str | None, typer.Option(help="the release, YYYYQN (default: this quarter)")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Import CMS's NCCI edits as published (PTP pairs or MUE limits) as draft bundling and
    frequency-limit rules for a payer (docs/rules.md, "NCCI")."""
    from payeropt_lib.rules import repository

    who = Identity.of(actor, role)
    result = repository.import_ncci(_engine(db), org, path, payer, who, quarter)
    typer.echo(result.summary())


@rules_app.command("list")
def rules_list_cmd(
    org: OrgArg,
    state: Annotated[
        str | None, typer.Option(help="draft, approved, active, retired or rejected")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="the day states are shown for")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write a CSV file instead")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """The practice's rule versions and their states on a day (today by default)."""
    from payeropt_lib.rules import repository

    if state is not None and state not in repository.SHOWN_STATES:
        raise NotOneOf(state, repository.SHOWN_STATES)
    day = _date(as_of, "--as-of")
    engine = _authorized(org, actor, role, db, "rules.view")
    frame = repository.list_rules(engine, org, state, day)
    _show(frame, csv_out, "rule versions")


@rules_app.command("diff")
def rules_diff_cmd(
    org: OrgArg,
    as_of: Annotated[str | None, typer.Option(help="the day the rules in force are read")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write a CSV file instead")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """The drafts against the rules in force: what they add, change and retire."""
    from payeropt_lib.rules import repository

    day = _date(as_of, "--as-of")
    engine = _authorized(org, actor, role, db, "rules.view")
    _show(repository.diff(engine, org, day), csv_out, "draft changes")


@rules_app.command("approve")
def rules_approve_cmd(
    org: OrgArg,
    rule_id: Annotated[str | None, typer.Argument(help="the rule whose drafts to approve")] = None,
    import_id: Annotated[
        int | None, typer.Option("--import", help="approve every draft of this import")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Approve drafts (an owner or billing manager who did not import them); each goes live
    on its effective_from and retires the version it replaces the day before."""
    from payeropt_lib.rules import repository

    if (rule_id is None) == (import_id is None):
        raise typer.BadParameter("name a RULE_ID or pass --import ID", param_hint="RULE_ID")
    done = repository.approve(_engine(db), org, Identity.of(actor, role), rule_id, import_id)
    typer.echo(f"approved: {', '.join(done)}")


@rules_app.command("reject")
def rules_reject_cmd(
    org: OrgArg,
    rule_id: Annotated[str, typer.Argument(help="the rule whose drafts to reject")],
    reason: Annotated[str, typer.Option("--reason", help="why (kept with the rule)")],
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Reject a rule's drafts; they are kept, with the reason, never deleted."""
    from payeropt_lib.rules import repository

    done = repository.reject(_engine(db), org, Identity.of(actor, role), rule_id, reason)
    typer.echo(f"rejected: {', '.join(done)}")


@import_app.command("folder")
def import_folder(
    org: OrgArg,
    folder: Annotated[Path, typer.Argument(help="folder with contracts.csv, charges.csv, ...")],
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Import every conventionally named CSV in a folder, in dependency order."""
    from payeropt_lib.inputs import onboarding

    onboarding.load_folder(
        _engine(db), org, folder, Identity.of(actor, role), progress=typer.echo,
        after=_reevaluating(),
    )  # fmt: skip


def _reevaluating():
    """The hook an import runs in its transaction: the posted remittances its rows can
    change are evaluated again (``remittances.reevaluation``), and what changed is said."""
    from payeropt_lib.remittances import reevaluation

    def after(conn, org_id, kind, rows, cause, who):  # noqa: ANN001, ANN202 - AfterImport
        done = reevaluation.after_import(conn, org_id, kind, rows, cause, who)
        if done is not None:
            typer.echo(done.summary())
        return done

    return after


@app.command("reprocess")
def reprocess_cmd(
    org: OrgArg,
    since: Annotated[
        str | None, typer.Option("--since", help="only remittances dated on or after YYYY-MM-DD")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Evaluate posted 835s again on today's charges, contracts, rates and aliases.

    Imports do this themselves for what they change; this is the same on demand (after a
    fix outside payeropt, say). Findings and tasks change as posting in the natural order
    would have left them; one audit entry records it."""
    from payeropt_lib.remittances import reevaluation

    who, engine = _acting(actor, role, db)
    access.authorize(engine, org, who, "reprocess", target=org)
    day = _date(since, "--since")
    cause = "payeropt reprocess" + (f" --since {day.isoformat()}" if day else "")
    with store.writing(engine, org) as conn:
        remit_ids = reevaluation.remits_since(conn, org, day)
        done = reevaluation.reevaluate(conn, org, remit_ids, who, cause) if remit_ids else None
    typer.echo(done.summary() if done else "no posted remittances to evaluate again")


def _progress():
    """A stage progress bar on a terminal; silent when output is not a TTY."""
    from tqdm import tqdm

    bar = tqdm(total=len(imports.STAGES), unit="stage", leave=False, disable=None, file=sys.stderr)

    def step(stage: str) -> None:
        bar.set_description(stage)
        bar.update(1)
        if bar.n >= bar.total:
            bar.close()

    return step


@import_app.command("era")
def import_era(
    org: OrgArg,
    paths: Annotated[list[Path], typer.Argument(help="835 file(s) or folder(s) of them")],
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Post 835 remittances: under-payment detection and follow-up tasks at posting time.

    Every file is posted or refused on its own: each refusal is one line on stderr, and
    the command exits 2 at the end if any file (or an empty folder) was refused."""
    from tqdm import tqdm

    from payeropt_lib.remittances import posting

    who, engine = _acting(actor, role, db)
    # Refused once, not once per file, when the practice or the role is wrong.
    access.authorize(engine, org, who, "import.era", target=", ".join(map(str, paths)))
    files = posting.files_in(paths)
    if not files:
        raise NoEraFiles(", ".join(map(str, paths)))
    empty = [folder for folder in paths if folder.is_dir() and not posting.files_in([folder])]
    for folder in empty:
        _refusal(NoEraFiles(str(folder)))
    refused = [str(folder) for folder in empty]
    posted = posting.post_files(engine, org, files, who)
    for path, outcome in tqdm(
        posted, total=len(files), desc="835 files", unit="file", leave=False, disable=None
    ):
        if isinstance(outcome, PayeroptError):  # refused whole; the others are posted still
            _refusal(outcome)
            refused.append(path.name)
        else:
            typer.echo(outcome.summary())
    if refused:
        raise FilesRefused(tuple(refused), len(files) + len(empty))


def _refusal(err: PayeroptError) -> None:
    typer.echo(f"payeropt: {err}", err=True)


def _authorized(org: str, actor: str | None, role: str | None, db: str | None, action: str):
    """The database, once the actor (default: the login name) may do ``action`` on ``org``."""
    engine = _engine(db)
    who = Identity.of(actor or getpass.getuser(), role)
    access.authorize(engine, org, who, action, target=org)
    return engine


def _show(frame, csv_out: Path | None, what: str) -> None:
    if csv_out:
        frame.to_csv(csv_out, index=False)
        typer.echo(f"{len(frame)} {what} written to {csv_out}")
    else:
        # A missing value (a file-level problem has no claim) shows blank, not NaN.
        typer.echo(frame.to_string(index=False, na_rep="") if len(frame) else f"no {what}")


CsvOpt = Annotated[Path | None, typer.Option("--csv", help="write a CSV file instead")]


@app.command("check")
def check_cmd(
    org: OrgArg,
    claims: Annotated[bool, typer.Option("--claims", help="lines before submission")] = False,
    appointments: Annotated[
        bool, typer.Option("--appointments", help="the checklist of upcoming visits")
    ] = False,
    all_lines: Annotated[
        bool, typer.Option("--all", help="with --claims: paid lines too")
    ] = False,
    date_from: Annotated[
        str | None, typer.Option("--from", help="first appointment day (default: today)")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last appointment day")] = None,
    as_of: Annotated[str | None, typer.Option(help="day of the check (default today)")] = None,
    csv_out: CsvOpt = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Lines that break the practice's active payer rules (--claims), or the checklist per
    upcoming appointment (--appointments): each names the rule and version behind it."""
    from payeropt_lib.rules import check

    if claims == appointments:
        raise typer.BadParameter("pass --claims or --appointments", param_hint="--claims")
    day = _date(as_of, "--as-of") or dt.date.today()
    who = Identity.of(actor or getpass.getuser(), role)
    engine = _engine(db)
    if claims:
        found, refused = check.check_claims(engine, org, who, day, all_lines)
        what = "lines breaking a rule"
    else:
        start, end = _date(date_from, "--from"), _date(date_to, "--to")
        found, refused = check.check_appointments(engine, org, who, day, start, end)
        what = "checklist items"
    for refusal in refused:  # stored rules the engine would not apply
        typer.echo(f"payeropt: {refusal}", err=True)
    _show(found, csv_out, what)


@app.command("suggest")
def suggest_cmd(
    org: OrgArg,
    as_of: Annotated[str | None, typer.Option(help="day of the run (default today)")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Compare encounters.csv with the billed lines and record the coding suggestions the
    documentation supports, up and down alike (E/M level, ICD-10-CM specificity,
    modifiers), and the clinician queries where it cannot decide."""
    from payeropt_lib.coding import record

    who = Identity.of(actor or getpass.getuser(), role)
    outcome = record.suggest(_engine(db), org, who, _date(as_of, "--as-of"))
    typer.echo(outcome.summary())


@app.command("suggestions")
def suggestions_cmd(
    org: OrgArg,
    csv_out: CsvOpt = None,
    status: Annotated[
        list[str] | None,
        typer.Option(help="only this status: open, accepted, rejected, withdrawn (repeatable)"),
    ] = None,
    accepted: Annotated[
        bool, typer.Option("--accepted", help="the accepted ones, for the practice system")
    ] = False,
    queries: Annotated[
        bool, typer.Option("--queries", help="the open clinician queries instead")
    ] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """The recorded coding suggestions: suggestion_id, claim_id, line_number, kind,
    original_code, suggested_code, direction, support, is_compliant, payment_impact (owner
    and billing only), status, then units, rule_id, date_of_service, rendering_npi and the
    disposition."""
    from payeropt_lib.coding import record

    for name in status or ():
        if name not in record.STATUSES:
            raise typer.BadParameter(
                f"{name!r} is not a status ({', '.join(record.STATUSES)})", param_hint="--status"
            )
    who = Identity.of(actor or getpass.getuser(), role)
    engine = _engine(db)
    if queries:
        _show(record.queries(engine, org, who), csv_out, "open clinician queries")
        return
    frame = record.listing(engine, org, who, tuple(status or ()), accepted)
    _show(frame, csv_out, "accepted suggestions" if accepted else "suggestions")


@app.command("suggestion")
def suggestion_cmd(
    org: OrgArg,
    suggestion_id: Annotated[int, typer.Argument(help="the suggestion number")],
    disposition: Annotated[str, typer.Argument(help="accept or reject")],
    reason: Annotated[str | None, typer.Option(help="why (kept in the audit trail)")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Accept or reject a coding suggestion (a clinician or the billing office): one audit
    entry with the codes, the disposition, the reason and who decided."""
    from payeropt_lib.coding import record

    if disposition not in record.DISPOSITIONS:
        raise typer.BadParameter(
            f"{disposition!r}: say accept or reject", param_hint="DISPOSITION"
        )
    who = Identity.of(actor or getpass.getuser(), role)
    done = record.decide(_engine(db), org, suggestion_id, disposition, reason, who)
    typer.echo(
        f"suggestion {suggestion_id} {done['disposition']}: {done['original_code'] or '(none)'}"
        f" -> {done['suggested_code'] or '(none)'} on claim {done['claim_id']} line "
        f"{done['line_number']}"
    )


@app.command("monitors")
def monitors_cmd(
    org: OrgArg,
    csv_out: CsvOpt = None,
    table: Annotated[
        bool, typer.Option("--table", help="every clinician and month, not only the alerts")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option(help="count open suggestions' age to this day (default today)")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """The coding monitors per clinician (rendering NPI) and month of service: downcodes
    surfaced per upcode (alert under 1 per 3), acceptance rate (alert outside 30-70 %),
    suggestions left open more than 14 days. Prints the alerts, or with --table the
    figures of every clinician and month."""
    from payeropt_lib.coding import record

    who = Identity.of(actor or getpass.getuser(), role)
    figures, alerts = record.monitor(_engine(db), org, who, _date(as_of, "--as-of"))
    if table:
        _show(figures, csv_out, "clinician months")
    else:
        _show(alerts, csv_out, "coding alerts")


@app.command("underpayments")
def underpayments_cmd(
    org: OrgArg,
    csv_out: CsvOpt = None,
    over: Annotated[bool, typer.Option("--over", help="over-payments instead")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Flagged lines: claim_id, line_number, payer_id, procedure_code, modifiers,
    date_of_service, units, expected_allowed, actual_allowed, variance, reason."""
    from payeropt_lib.remittances import worklists

    engine = _authorized(org, actor, role, db, "worklist.view")
    frame = worklists.findings(engine, org, "overpaid" if over else "underpaid")
    if not over:
        frame = frame[worklists.UNDERPAYMENT_COLUMNS]
    _show(frame, csv_out, "over-paid lines" if over else "under-paid lines")


@app.command("tasks")
def tasks_cmd(
    org: OrgArg,
    csv_out: CsvOpt = None,
    all_states: Annotated[bool, typer.Option("--all", help="closed tasks too")] = False,
    state: Annotated[
        list[str] | None,
        typer.Option(help="only tasks in this state (repeatable; default: the open ones)"),
    ] = None,
    payer: Annotated[
        list[str] | None, typer.Option(help="only this payer's tasks (repeatable)")
    ] = None,
    cause: Annotated[
        list[str] | None,
        typer.Option(help="only tasks with this main cause, e.g. earlier_rate (repeatable)"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="count days left from this day (default today)")
    ] = None,
    set_state: Annotated[
        str | None,
        typer.Option(
            "--set-state",
            help="move every selected task to this state (in_progress, appealed, written_off)",
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option(help="with --set-state: a note for the record")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """The follow-up worklist: nearest deadline first, then the most money; days left and
    overdue. With --set-state, moves the selected tasks at once (one audit entry each)."""
    from payeropt_lib.remittances import tasks, worklists

    states = tuple(state or ())
    for name in states + ((set_state,) if set_state else ()):
        if name not in tasks.STATES:
            raise typer.BadParameter(
                f"{name!r} is not a task state ({', '.join(tasks.STATES)})", param_hint="--state"
            )
    if set_state:
        engine = _engine(db)
        moved = tasks.change_many(
            engine, org, set_state, Identity.of(actor, role), payers=tuple(payer or ()),
            causes=tuple(cause or ()), states=states, note=note,
        )  # fmt: skip
        typer.echo(f"{len(moved)} tasks are now {set_state}: {', '.join(map(str, moved))}")
        return
    engine = _authorized(org, actor, role, db, "worklist.view")
    if not states:
        states = tasks.STATES if all_states else tasks.OPEN_STATES
    day = _date(as_of, "--as-of")
    listed = worklists.task_list(engine, org, states, day, tuple(payer or ()), tuple(cause or ()))
    _show(listed, csv_out, "tasks")


@app.command("task")
def task_cmd(
    org: OrgArg,
    task_id: Annotated[int, typer.Argument(help="the task number")],
    state: Annotated[str, typer.Option(help="in_progress, appealed, recovered or written_off")],
    amount: Annotated[
        str | None, typer.Option(help="amount recovered, e.g. 12.50 (with --state recovered)")
    ] = None,
    note: Annotated[str | None, typer.Option(help="a note for the record")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Move a follow-up task to its next state (audited); recovered needs --amount, what
    the payer paid on the task."""
    import pandas as pd

    from payeropt_lib.money import parse_cents
    from payeropt_lib.remittances import tasks

    cents = None
    if amount is not None:
        if state != "recovered":
            raise typer.BadParameter("goes with --state recovered only", param_hint="--amount")
        try:
            cents = int(parse_cents(pd.Series([amount]), "--amount")[0])
        except ValueError:
            cents = -1
        if cents < 0:  # exact cents, no sign: what came in
            raise typer.BadParameter(
                f"{amount!r} is not an amount like 12.50", param_hint="--amount"
            ) from None
    tasks.change_state(_engine(db), org, task_id, state, Identity.of(actor, role), cents, note)
    typer.echo(f"task {task_id} is now {state}")


@app.command("remits")
def remits_cmd(
    org: OrgArg,
    unbalanced: Annotated[bool, typer.Option("--unbalanced", help="what did not balance")] = False,
    unmatched: Annotated[
        bool, typer.Option("--unmatched", help="claims and lines that matched no charge")
    ] = False,
    csv_out: CsvOpt = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Posted remittances, and what did not balance or match."""
    from payeropt_lib.remittances import worklists

    engine = _authorized(org, actor, role or "analyst", db, "remits.view")
    kinds: tuple[str, ...] = ()
    if unbalanced:
        kinds += ("unbalanced",)
    if unmatched:
        kinds += ("unmatched_claim", "unmatched_line", "unknown_payer")
    frame = worklists.problems(engine, org, kinds) if kinds else worklists.remits(engine, org)
    _show(frame, csv_out, "problems" if kinds else "remittances")


@app.command("denials")
def denials_cmd(
    org: OrgArg,
    csv_out: CsvOpt = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Denied and bundled lines with their CARC and RARC codes."""
    from payeropt_lib.remittances import worklists

    engine = _authorized(org, actor, role, db, "worklist.view")
    _show(worklists.denial_list(engine, org), csv_out, "denials")


# --- audit -----------------------------------------------------------------------------------


@app.command("audit")
def audit_cmd(
    org: OrgArg,
    date_from: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. import, import.charges, opt_in")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="entries by this actor")] = None,
    patient: Annotated[str | None, typer.Option(help="entries about this patient_id")] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="check the chain (against the last anchor)")
    ] = False,
    anchor: Annotated[
        bool, typer.Option("--anchor", help="sign the chain's head and keep it (docs/audit.md)")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="with --anchor: also here")] = None,
    anchor_file: Annotated[
        Path | None, typer.Option("--anchor-file", help="with --verify: hold to this anchor")
    ] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write entries to CSV")] = None,
    by: Annotated[
        str | None, typer.Option("--by", envvar="PAYEROPT_ACTOR", help="who is searching")
    ] = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Search the audit trail; verify its chain (--verify); sign its head (--anchor)."""
    from payeropt_lib.store import trail

    if verify and anchor:
        raise typer.BadParameter("one of --verify and --anchor", param_hint="--anchor")
    if out is not None and not anchor:
        raise typer.BadParameter("goes with --anchor", param_hint="--out")
    if anchor_file is not None and not verify:
        raise typer.BadParameter("goes with --verify", param_hint="--anchor-file")
    engine = _engine(db)
    who = Identity.of(by or getpass.getuser(), role)
    if anchor:
        made = trail.anchor(engine, org, who, out)
        kept = f"; written to {out}" if out else ""
        typer.echo(f"audit trail of {org} anchored at entry {made.seq} ({made.at}){kept}")
        return
    if verify:
        verdict = trail.verify(engine, org, who, anchor_file)
        if not verdict.ok:
            for problem in verdict.problems:
                typer.echo(problem, err=True)
            raise typer.Exit(1)
        held = (
            f"; holds to the anchor of {verdict.anchor.at} (entry {verdict.anchor.seq})"
            if verdict.anchor
            else f"; no anchor yet (payeropt audit {org} --anchor)"
        )
        typer.echo(f"audit trail of {org}: {verdict.entries} entries, chain intact{held}")
        return
    found = trail.search(
        engine,
        org,
        who,
        date_from=_date(date_from, "--from"),
        date_to=_date(date_to, "--to"),
        action=action,
        actor=actor,
        patient_id=patient,
    )
    if csv_out:
        found.to_csv(csv_out, index=False)
        typer.echo(f"{len(found)} entries written to {csv_out}")
    else:
        shown = found[trail.SHOWN]
        typer.echo(shown.to_string(index=False) if len(shown) else "no entries")


# --- database and demo -----------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Apply schema migrations (also done automatically on first use)."""
    engine = store.engine_for(db or _state["db"], migrate=False)
    revision = store.upgrade(engine)
    typer.echo(f"database at revision {revision}")


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option(help="where the demo files and packet go")] = Path(
        "out/demo"
    ),
    claims_per_month: Annotated[int, typer.Option(help="size of the demo practice")] = 2000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same practice)")] = 20261101,
    db: DbOpt = None,
) -> None:
    """Build the synthetic demo practice, import it and write its packet (prints its path)."""
    from payeropt_lib.demo import files as demo
    from payeropt_lib.demo import practice
    from payeropt_lib.packet import build as packets

    out = config.checked_out_dir(out)
    url = practice.demo_practice(
        out,
        db or _state["db"],
        claims_per_month=claims_per_month,
        seed=seed,
        progress=lambda msg: typer.echo(msg, err=True),
    )
    index = packets.write_packet(
        url, config.DEMO_ORG, out, as_of=demo.DEMO_AS_OF.isoformat(), who=practice.DEMO_ACTOR
    )
    typer.echo(str(index))


@app.command("report")
def report_cmd(
    org: Annotated[str | None, typer.Argument(help="practice key (omit with --all)")] = None,
    out: Annotated[Path, typer.Option(help="folder for the packet")] = Path("out/report"),
    all_orgs: Annotated[
        bool, typer.Option("--all", help="a packet for every opted-in practice, plus an index")
    ] = False,
    date_from: Annotated[str | None, typer.Option("--from", help="first date of service")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last date of service")] = None,
    as_of: Annotated[str | None, typer.Option(help="contract terms in force on this date")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="pages run in parallel (default: every core)")
    ] = None,
    suppress_below: Annotated[
        int,
        typer.Option(
            "--suppress-below",
            min=0,
            help="hide counts from 1 to N-1 in the packets too (default 0: a practice sees its "
            "own counts; the --all index always hides counts under 11)",
        ),
    ] = 0,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="also print the packet to DIR/packet.pdf, Summary first")
    ] = False,
    paper: Annotated[str, typer.Option(help="paper for --pdf: letter or a4")] = "letter",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="run the pages on the dask.distributed cluster whose scheduler is at this "
            "address (tcp://HOST:8786), instead of this machine's cores; needs a PostgreSQL "
            "store (docs/report.md)",
        ),
    ] = None,
    keep_notebooks: Annotated[
        Path | None,
        typer.Option(
            "--keep-notebooks",
            help="keep the executed notebooks here (default: removed once the pages are "
            "written; a failed page's is kept and named)",
        ),
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Write the practice's HTML report packet (DIR/index.html first); with --all, one
    packet per opted-in practice in DIR/<practice>/ and DIR/index.html listing them;
    with --pdf, each packet printed to packet.pdf beside its index too."""
    from payeropt_lib.packet import build as packets

    if (org is None) == (not all_orgs):
        raise typer.BadParameter("name one practice, or pass --all", param_hint="ORG")
    if paper not in ("letter", "a4"):
        raise typer.BadParameter(f"{paper!r} is not letter or a4", param_hint="--paper")
    if scheduler is not None and workers is not None:
        raise typer.BadParameter(
            "the cluster's workers run the pages: drop --workers", param_hint="--scheduler"
        )
    # Packets are aggregate-only, so every role may run one; default to the least privileged.
    who = Identity.of(actor or getpass.getuser(), role or "analyst")
    out = config.checked_out_dir(out)
    engine = _engine(db)  # packets authorizes (and audits) each practice's run itself
    for stage in (date_from, date_to, as_of):
        _date(stage, "--from/--to/--as-of")
    url = engine.url.render_as_string(hide_password=False)
    if org is not None:
        index = packets.write_packet(
            url, org, out, date_from, date_to, as_of, who=who, workers=workers,
            suppress_below=suppress_below, keep_notebooks=keep_notebooks, scheduler=scheduler,
        )  # fmt: skip
        typer.echo(str(index))
        if pdf:
            from payeropt_lib.packet import pdf as packet_pdf

            typer.echo(str(packet_pdf.write_pdf(index, paper)))
        return
    result = packets.write_packets(
        url, out, None, date_from, date_to, as_of, who=who, workers=workers,
        suppress_below=suppress_below, keep_notebooks=keep_notebooks, scheduler=scheduler,
    )  # fmt: skip
    for org_id, path in sorted(result.packets.items()):
        typer.echo(f"{org_id}: {path}")
        if pdf:
            from payeropt_lib.packet import pdf as packet_pdf

            typer.echo(f"{org_id}: {packet_pdf.write_pdf(path, paper)}")
    typer.echo(str(result.index))
    if result.failed:
        raise BatchFailed(result.failed, len(result.packets), str(result.index))


def run(argv: Sequence[str] | None = None, prog_name: str | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``) and return its exit code:
    user errors → one line on stderr, exit 2. ``main`` exits with it; tests call it directly."""
    # typer ≥ 0.20 runs its own copy of click: its usage errors and Exit/Abort are typer's
    # classes, not click's. Not standalone, a raised typer.Exit(code) comes back as the
    # return value, so a verb's exit code (audit --verify: 1) is the process's.
    try:
        code = app(args=argv, prog_name=prog_name, standalone_mode=False)
    except PayeroptError as err:
        typer.echo(f"payeropt: {err}", err=True)
        return 2
    except (typer.Abort, click.exceptions.Abort):
        typer.echo("payeropt: aborted", err=True)
        return 130
    except (typer.TyperException, click.ClickException) as err:
        err.show()  # the usage line and "Error: ...", as click prints it
        return err.exit_code
    except (typer.Exit, click.exceptions.Exit) as exc:
        return exc.exit_code
    return code if isinstance(code, int) else 0


def main() -> None:
    """Console entry point: user errors → one line on stderr, exit 2."""
    sys.exit(run())


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
