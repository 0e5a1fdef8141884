"""``payeropt import claims ORG FILE_OR_DIR...``: 837P claim files into the charge lines.

Wiring only: ``inputs.claims`` reads, checks and stores. Each file is imported or refused
on its own (one line on stderr per refusal); the command exits 2 at the end if any was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from payeropt_lib.errors import FilesRefused, NoClaimFiles, PayeroptError
from payeropt_lib.store import access

from .common import ActorOpt, DbOpt, OrgArg, RoleOpt, acting, import_app, reevaluating, refusal


def files_in(paths: list[Path]) -> list[Path]:
    """The files named, and the files of the folders named (sorted; hidden files and the
    Markdown notes a folder may carry are skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.iterdir()
                if p.is_file() and not p.name.startswith(".") and p.suffix != ".md"
            )
        else:
            found.append(path)
    return found


@import_app.command("claims")
def import_claims(
    org: OrgArg,
    paths: Annotated[list[Path], typer.Argument(help="837P file(s) or folder(s) of them")],
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Import 837P claim files (005010X222A1): their claim lines become the practice's
    charges; corrections, voids and secondary claims by docs/claims_837.md. Each file is
    stored whole or refused whole; the same file again changes nothing."""
    from payeropt_lib.inputs import claims

    who, engine = acting(actor, role, db)
    access.authorize(engine, org, who, "import.claims", target=", ".join(map(str, paths)))
    files = files_in(paths)
    if not files:
        raise NoClaimFiles(", ".join(map(str, paths)))
    refused: list[str] = []
    for path, outcome in claims.import_claim_files(engine, org, files, who, after=reevaluating):
        if isinstance(outcome, PayeroptError):
            refusal(outcome)
            refused.append(path.name)
            continue
        typer.echo(outcome.summary())
    if refused:
        raise FilesRefused(tuple(refused), len(files))
