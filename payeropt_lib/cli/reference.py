"""The CMS fee library verbs: ``import cms-pfs``, ``cms-pfs verify`` and ``cms-pfs
locality`` (issue 15; data/reference/README.md). The library is shared by every practice:
no practice key."""

from __future__ import annotations

import getpass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from payeropt_lib.store.access import Identity

from .common import ActorOpt, CsvOpt, DbOpt, RoleOpt, app, day_option, engine_of, import_app, show

cms_app = typer.Typer(help="CMS's fee library, shared by every practice.", no_args_is_help=True)
app.add_typer(cms_app, name="cms-pfs")


def _cf(value: str | None) -> int | None:
    """``--cf 33.2875`` as an exact x10000 integer."""
    if value is None:
        return None
    try:
        scaled = Decimal(value) * 10000
    except InvalidOperation:
        scaled = Decimal("NaN")
    if not scaled.is_finite() or scaled != scaled.to_integral_value() or scaled <= 0:
        raise typer.BadParameter(
            f"{value!r} is not a conversion factor like 33.2875", param_hint="--cf"
        )
    return int(scaled)


@import_app.command("cms-pfs")
def import_cms_pfs_cmd(
    folder: Annotated[
        Path,
        typer.Argument(help="a folder of one release's PPRRVU, GPCI (LOCCO, ANES) files"),
    ],
    year: Annotated[int, typer.Option(help="the fee schedule's year, e.g. 2025")],
    release: Annotated[str, typer.Option(help="CMS's release letter: A, B, C or D")],
    cf: Annotated[
        str | None, typer.Option(help="the conversion factor where CMS changed it by law")
    ] = None,
    effective_from: Annotated[
        str | None,
        typer.Option(help="in force from (default: 1 January, April, July or October)"),
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Import one CMS Physician Fee Schedule release (RVUs, GPCIs, conversion factor) into
    the library shared by every practice; the same files again change nothing. Every
    practice's posted 835s are then evaluated again (the library prices where a practice's
    Medicare file has no row)."""
    from payeropt_lib.reference import library
    from payeropt_lib.remittances import reevaluation

    who = Identity.of(actor or getpass.getuser(), role)
    engine = engine_of(db)
    done = library.import_release(
        engine, folder, year, release.upper(), who, cf_x10000=_cf(cf),
        effective_from=day_option(effective_from, "--effective-from"),
    )  # fmt: skip
    typer.echo(done.summary())
    if not done.already:
        cause = f"import cms-pfs {year} {done.release}"
        again, failed = reevaluation.after_library(engine, who, cause)
        typer.echo(f"posted 835s evaluated again for {len(again)} opted-in practices")
        for org_id, err in failed.items():
            typer.echo(f"payeropt: {org_id}: not evaluated again ({err}); run payeropt "
                       f"reprocess {org_id}", err=True)  # fmt: skip
        if failed:
            raise typer.Exit(2)


@cms_app.command("verify")
def cms_verify_cmd(
    files: Annotated[list[Path], typer.Argument(help="CMS's published payment files")],
    csv_out: CsvOpt = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Compare CMS's published payment amounts with the library's: every line that
    differs, with the reason (a release CMS revised, a code the library does not price)."""
    from payeropt_lib.reference import library

    who = Identity.of(actor or getpass.getuser(), role)
    differs = library.verify_published(engine_of(db), files, who)
    show(differs, csv_out, "lines that differ from CMS's published amounts")


@cms_app.command("locality")
def cms_locality_cmd(
    state: Annotated[str, typer.Argument(help="the state: TX or TEXAS")],
    county: Annotated[str, typer.Argument(help="the county as CMS names it, e.g. HARRIS")],
    year: Annotated[
        int | None, typer.Option(help="the county list of this year's latest release")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """The Medicare locality of a county, by the county list (yyLOCCO) of the latest CMS
    release on file that has one, with that release's anesthesia conversion factor."""
    from payeropt_lib.reference import library

    who = Identity.of(actor or getpass.getuser(), role)
    typer.echo(library.locality(engine_of(db), state, county, who, year=year).summary())
