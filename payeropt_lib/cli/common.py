"""What every verb of the command line shares: the typer apps, the options, who is
acting and the database, and how a frame is shown or written."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from payeropt_lib import config, store
from payeropt_lib.errors import PayeroptError
from payeropt_lib.store import access
from payeropt_lib.store.access import Identity

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

STATE: dict[str, str | None] = {"db": None}


def engine_of(db: str | None):
    return store.engine_for(db or STATE["db"])


def acting(actor: str | None, role: str | None, db: str | None):
    """Who is acting (checked first) and the database they act on."""
    who = Identity.of(actor, role)
    return who, engine_of(db)


def day_option(value: str | None, option: str) -> dt.date | None:
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
    STATE["db"] = db
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def reevaluating(conn, org_id, kind, rows, cause, who):  # noqa: ANN001, ANN201 - AfterImport
    """The hook every import command gives its import (``after=``), run in the import's
    transaction: the posted remittances its rows can change are evaluated again
    (``remittances.reevaluation``), and what changed is said."""
    from payeropt_lib.remittances import reevaluation

    done = reevaluation.after_import(conn, org_id, kind, rows, cause, who)
    if done is not None:
        typer.echo(done.summary())
    return done


def refusal(err: PayeroptError) -> None:
    typer.echo(f"payeropt: {err}", err=True)


def authorized(org: str, actor: str | None, role: str | None, db: str | None, action: str):
    """The database, once the actor (default: the login name) may do ``action`` on ``org``."""
    engine = engine_of(db)
    who = Identity.of(actor or getpass.getuser(), role)
    access.authorize(engine, org, who, action, target=org)
    return engine


def show(frame, csv_out: Path | None, what: str) -> None:
    if csv_out:
        frame.to_csv(csv_out, index=False)
        typer.echo(f"{len(frame)} {what} written to {csv_out}")
    else:
        # A missing value (a file-level problem has no claim) shows blank, not NaN.
        typer.echo(frame.to_string(index=False, na_rep="") if len(frame) else f"no {what}")


CsvOpt = Annotated[Path | None, typer.Option("--csv", help="write a CSV file instead")]
