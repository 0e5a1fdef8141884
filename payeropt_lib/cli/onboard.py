"""``payeropt onboard ORG DIR [--dry-run]`` (docs/onboarding.md): a client's folder told
apart and looked at, or imported in dependency order with a summary. Wiring only:
``onboard.folder`` does the work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import ActorOpt, DbOpt, OrgArg, RoleOpt, acting, app, reevaluating


@app.command("onboard")
def onboard_cmd(
    org: OrgArg,
    folder: Annotated[Path, typer.Argument(help="the client's folder of files")],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="say what each file is and every problem; store nothing"),
    ] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Every file of a client's folder: 837P claims, 835s, interface CSVs, practice-system
    exports and payer workbooks (through the mapping profile that fits them). With
    --dry-run: what each file is, which profile reads it, how many rows it would import and
    every problem, storing nothing (exit 2 if any file has one). Without: all of them
    imported in dependency order, then a summary; a folder with a problem imports nothing."""
    from payeropt_lib.onboard import folder as onboarding

    if dry_run:
        looked = onboarding.look(folder)
        for line in onboarding.report(looked):
            typer.echo(line)
        bad = sum(not x.ok for x in looked)
        if bad:
            typer.echo(
                f"payeropt: {bad} of {len(looked)} files have problems; nothing would be "
                "imported until they are fixed",
                err=True,
            )
            raise typer.Exit(2)
        return
    who, engine = acting(actor, role, db)
    done = onboarding.onboard(engine, org, folder, who, progress=typer.echo, after=reevaluating)
    typer.echo(done.text())
