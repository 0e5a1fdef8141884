"""The payer multipliers verb: ``multipliers`` (docs/multipliers.md)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from payeropt_lib.money import parse_scaled
from payeropt_lib.store.access import Identity

from .common import ActorOpt, CsvOpt, DbOpt, OrgArg, RoleOpt, app, day_option, engine_of, show


@app.command("multipliers")
def multipliers_cmd(
    org: OrgArg,
    csv_out: CsvOpt = None,
    date_from: Annotated[str | None, typer.Option("--from", help="first date of service")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last date of service")] = None,
    tolerance: Annotated[
        str, typer.Option(help="percentage points between median and contract before a flag")
    ] = "2",
    min_lines: Annotated[
        int, typer.Option(help="counted lines below which a payer is 'too few lines'")
    ] = 30,
    draft: Annotated[
        str | None,
        typer.Option(help="write a contracts.csv draft for this payer (with --out)"),
    ] = None,
    product_line: Annotated[
        str, typer.Option(help="the product line of --draft (default: all products)")
    ] = "",
    payer_name: Annotated[str | None, typer.Option(help="payer_name of the draft")] = None,
    payer_class: Annotated[str | None, typer.Option(help="payer_class of the draft")] = None,
    out: Annotated[Path | None, typer.Option(help="the draft's file (with --draft)")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Each payer's multiple of Medicare as its remittances show it, per product line:
    median and spread over lines, codes and months, the Medicare year that fits best, the
    contract's percent beside it and a flag where they part beyond the tolerance. With
    --draft PAYER --out FILE, a contracts.csv row at the inferred percent, for review
    (nothing is stored)."""
    from payeropt_lib.reconciliation import inferred, multipliers

    if (draft is None) != (out is None):
        raise typer.BadParameter("--draft and --out go together", param_hint="--draft/--out")
    try:  # points as written, exactly, in thousandths: '1.5' -> 1500
        tolerance_x1000 = int(parse_scaled(pd.Series([tolerance]), 3, "--tolerance")[0])
    except ValueError:
        raise typer.BadParameter(
            f"{tolerance!r}: give percentage points, e.g. 2 or 1.5", param_hint="--tolerance"
        ) from None
    who = Identity.of(actor or getpass.getuser(), role)
    engine = engine_of(db)
    start, end = day_option(date_from, "--from"), day_option(date_to, "--to")
    if draft is not None:
        row = inferred.draft(
            engine, org, who, draft, product_line.upper(), payer_name, payer_class,
            start, end, min_lines,
        )  # fmt: skip
        row.to_csv(out, index=False)
        typer.echo(
            f"draft contract for {draft} at {row['medicare_percent'].iloc[0]}% of Medicare "
            f"written to {out} (review it before importing; nothing was stored)"
        )
        return
    frame = inferred.table(engine, org, who, start, end, tolerance_x1000, min_lines)
    if csv_out:
        show(frame, csv_out, "payer multipliers")
    else:
        show(multipliers.readable(frame), None, "payer multipliers")
