"""The coding verbs: ``suggest``, ``suggestions``, ``suggestion``, ``monitors``
(docs/coding.md)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from payeropt_lib.store.access import Identity

from .common import (
    ActorOpt,
    CsvOpt,
    DbOpt,
    OrgArg,
    RoleOpt,
    app,
    day_option,
    engine_of,
    show,
)  # fmt: skip


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
    outcome = record.suggest(engine_of(db), org, who, day_option(as_of, "--as-of"))
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
    engine = engine_of(db)
    if queries:
        show(record.queries(engine, org, who), csv_out, "open clinician queries")
        return
    frame = record.listing(engine, org, who, tuple(status or ()), accepted)
    show(frame, csv_out, "accepted suggestions" if accepted else "suggestions")


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
    done = record.decide(engine_of(db), org, suggestion_id, disposition, reason, who)
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
    figures, alerts = record.monitor(engine_of(db), org, who, day_option(as_of, "--as-of"))
    if table:
        show(figures, csv_out, "clinician months")
    else:
        show(alerts, csv_out, "coding alerts")
