"""The payer-rules verbs: ``import rules``, ``import ncci``, ``rules list|diff|approve|
reject`` and ``check`` (docs/rules.md)."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Annotated

import typer

from payeropt_lib.errors import NotOneOf
from payeropt_lib.store.access import Identity

from .common import (
    ActorOpt,
    CsvOpt,
    DbOpt,
    OrgArg,
    RoleOpt,
    app,
    authorized,
    day_option,
    engine_of,
    import_app,
    rules_app,
    show,
)  # fmt: skip


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

    result = repository.import_rules(engine_of(db), org, paths, Identity.of(actor, role))
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
    result = repository.import_ncci(engine_of(db), org, path, payer, who, quarter)
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
    day = day_option(as_of, "--as-of")
    engine = authorized(org, actor, role, db, "rules.view")
    frame = repository.list_rules(engine, org, state, day)
    show(frame, csv_out, "rule versions")


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

    day = day_option(as_of, "--as-of")
    engine = authorized(org, actor, role, db, "rules.view")
    show(repository.diff(engine, org, day), csv_out, "draft changes")


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
    done = repository.approve(engine_of(db), org, Identity.of(actor, role), rule_id, import_id)
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

    done = repository.reject(engine_of(db), org, Identity.of(actor, role), rule_id, reason)
    typer.echo(f"rejected: {', '.join(done)}")


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
    day = day_option(as_of, "--as-of") or dt.date.today()
    who = Identity.of(actor or getpass.getuser(), role)
    engine = engine_of(db)
    if claims:
        found, refused = check.check_claims(engine, org, who, day, all_lines)
        what = "lines breaking a rule"
    else:
        start, end = day_option(date_from, "--from"), day_option(date_to, "--to")
        found, refused = check.check_appointments(engine, org, who, day, start, end)
        what = "checklist items"
    for refusal in refused:  # stored rules the engine would not apply
        typer.echo(f"payeropt: {refusal}", err=True)
    show(found, csv_out, what)
