"""The data quality verb: ``data-quality`` (docs/data_quality.md): one of the first-day
checks of a practice's files as a table, or a CSV file. Aggregates only: no claim or
patient id."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pandas as pd
import typer

from payeropt_lib.formats import file_texts

from .common import ActorOpt, CsvOpt, DbOpt, OrgArg, RoleOpt, app, authorized, day_option, show

VIEW = "data_quality.view"


@app.command("data-quality")
def data_quality_cmd(
    org: OrgArg,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="the day claims are aged to, YYYY-MM-DD (default: today)"),
    ] = None,
    table: Annotated[
        str,
        typer.Option(
            "--table",
            help="matching (835 lines matched to claim lines, by payer), unremitted (claims "
            "with no remittance after 60 days), no-contract (payers with no contract) or "
            "no-rate (codes with no contract rate)",
        ),
    ] = "matching",
    csv_out: CsvOpt = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """A first-day data quality check of the practice's files, by payer: how many 835
    lines matched a claim line, claims no 835 answers 60 days after they were sent, payers
    with no contract and codes with no contract rate. The practice's own counts, small
    ones included; no claim or patient."""
    from payeropt_lib import store
    from payeropt_lib.analytics import data_quality, privacy
    from payeropt_lib.remittances import rates_cache
    from payeropt_lib.store import tables

    if table not in data_quality.TABLES:
        raise typer.BadParameter(
            f"--table must be one of {', '.join(data_quality.TABLES)}", param_hint="--table"
        )
    day = pd.Timestamp(day_option(as_of, "--as-of") or dt.date.today())
    engine = authorized(org, actor, role, db, VIEW)
    with engine.connect() as conn:
        frames = {
            name: store.read_frame(conn, getattr(tables, name), org, columns=columns)
            for name, columns in data_quality.READS.items()
        }
        frames["medicare_fees"] = rates_cache.medicare_fees(conn, org, frames["contracts"])
    # The practice's own staff: its own counts, as in its own packet (docs/report.md).
    with privacy.cells_below(0):
        frame = data_quality.tables(frames, day)[table]
    frame = frame[[c for c in frame if not c.endswith(privacy.SMALL_SUFFIX)]]
    if "pct_matched" in frame:
        frame = frame.assign(pct_matched=frame["pct_matched"].round(1))
    show(file_texts(frame), csv_out, f"{table} rows")
