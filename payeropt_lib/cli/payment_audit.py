"""The payment audit verb: ``payment-audit`` (docs/payment_audit.md)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from payeropt_lib.formats import file_texts
from payeropt_lib.store.access import Identity

from .common import ActorOpt, CsvOpt, DbOpt, OrgArg, RoleOpt, app, engine_of, show


@app.command("payment-audit")
def payment_audit_cmd(
    org: OrgArg,
    month: Annotated[str, typer.Option(help="month of service, YYYY-MM")],
    csv_out: CsvOpt = None,
    sample: Annotated[
        int, typer.Option("--sample", min=0, help="visits to draw for checking by hand")
    ] = 30,
    seed: Annotated[
        int, typer.Option(help="seed of the draw (the same seed draws the same visits)")
    ] = 15,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Audit the month's visits that resolved to zero by cash and contractual adjustment
    only: a seeded random sample stratified by payer (claim numbers, to check by hand),
    every such visit of Medicare and of each payer with a contract or inferred schedule
    priced against its fee, and a report card per payer. Prints the card and the sample;
    --csv OUT writes the sample to OUT, the card and the audited lines beside it."""
    from payeropt_lib.reconciliation import audit_run, record

    try:
        first = record.month_option(month)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--month") from None
    who = Identity.of(actor or getpass.getuser(), role)
    done = audit_run.run(engine_of(db), org, who, first, sample, seed)
    card, drawn = file_texts(done.card), file_texts(done.sample)
    if csv_out:
        show(drawn, csv_out, f"sampled visits (seed {seed})")
        for name, frame in (("card", card), ("lines", file_texts(done.lines))):
            path = Path(csv_out).with_name(f"{Path(csv_out).stem}-{name}.csv")
            show(frame, path, "report card rows" if name == "card" else "audited lines")
        return
    show(card, None, "visits to audit")
    typer.echo(f"\nsample (seed {seed}):")
    show(drawn, None, "visits to sample")
