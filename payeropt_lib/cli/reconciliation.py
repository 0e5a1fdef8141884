"""The reconciliation verb: ``reconcile`` (docs/reconciliation.md): Table 3, or Table 1 or
Table 2 with ``--table``, for a month of service."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from payeropt_lib.formats import file_texts
from payeropt_lib.store.access import Identity

from .common import ActorOpt, CsvOpt, DbOpt, OrgArg, RoleOpt, app, engine_of, show

TABLES = ("receivables", "medicare", "who-paid")


@app.command("reconcile")
def reconcile_cmd(
    org: OrgArg,
    month: Annotated[str, typer.Option("--month", help="the month of service, YYYY-MM")],
    table: Annotated[
        str,
        typer.Option(
            "--table",
            help="receivables (Table 3, by primary payer), medicare (Table 1, Medicare's "
            "top codes against the published fee) or who-paid (Table 2)",
        ),
    ] = "receivables",
    csv_out: CsvOpt = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """A month of service reconciled: charges against cash, adjustments by kind, what is
    still owed and what nothing explains, per primary payer (Table 3); or Medicare's top
    codes against the published fee (Table 1) and who paid the Medicare population
    (Table 2). Aggregates only: no claim or patient."""
    from payeropt_lib.reconciliation import record

    if table not in TABLES:
        raise typer.BadParameter(
            f"--table must be one of {', '.join(TABLES)}", param_hint="--table"
        )
    try:
        first = record.month_option(month)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from None
    who = Identity.of(actor or getpass.getuser(), role)
    frame = record.reconcile(engine_of(db), org, who, first, table)
    show(file_texts(frame), csv_out, f"{table} rows")
