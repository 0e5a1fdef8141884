"""The mapping-profile verbs (docs/profiles.md): ``profile suggest``, ``profile list``, and
the ``--profile`` option that ``import KIND`` takes (its option type and the ``Source`` it
hands ``imports.import_file``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from payeropt_lib.inputs import imports, schemas

from .common import app

profile_app = typer.Typer(
    help="Mapping profiles: practice-system exports and payer spreadsheets read as input files.",
    no_args_is_help=True,
)
app.add_typer(profile_app, name="profile")

ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="read each FILE through a mapping profile: a shipped one's name "
        "(payeropt profile list) or a YAML file (docs/profiles.md)",
    ),
]


def source_of(kind: str, path: Path, profile: str) -> imports.Source:
    """``import KIND FILE --profile NAME``: the file read through the profile."""
    from payeropt_lib.profiles import mapping

    return mapping.import_source(kind, path, profile)


@profile_app.command("suggest")
def profile_suggest(
    kind: Annotated[
        str, typer.Argument(help="charges, transactions, fee-schedules, contracts, ...")
    ],
    file: Annotated[Path, typer.Argument(help="the export (CSV) or workbook (.xlsx)")],
    out: Annotated[
        Path | None, typer.Option("--out", help="write the draft here (else print it)")
    ] = None,
) -> None:
    """Draft a profile from FILE's header and first rows, for you to review; imports nothing.

    What it is unsure of is listed on stderr and as '# CHECK' comments in the draft."""
    from payeropt_lib.errors import UnknownImportKind
    from payeropt_lib.profiles import model, suggest

    if kind not in model.KINDS:
        raise UnknownImportKind(kind, model.KINDS)
    raw = schemas.file_bytes(file)
    draft = suggest.suggest(kind, file.name, raw)
    if out is None:
        typer.echo(draft.text, nl=False)
    else:
        out.write_text(draft.text, encoding="utf-8")
        typer.echo(
            f"wrote {out}: review it, then 'payeropt import {kind} ORG {file} --profile {out}'"
        )
    for doubt in draft.unsure:
        print(f"unsure: {doubt}", file=sys.stderr)


@profile_app.command("list")
def profile_list() -> None:
    """The shipped profiles: name, the input kind each produces, and what it reads."""
    from payeropt_lib.profiles import model

    for name in model.shipped_names():
        profile, _ = model.load(name)
        typer.echo(f"{name}\t{profile.kind}\t{profile.description}")
