"""The ``payeropt`` command line (typer). Wiring only: no business arithmetic here.

Every verb exits 0 on success; a ``PayeroptError`` becomes one line on stderr and exit 2.
``common`` holds what every verb shares; the payer-rules and coding verbs live in
``rules`` and ``coding``, the others here.
May import: every stage (the CLI is the top of the flow).
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import click
import typer

from payeropt_lib import config, store
from payeropt_lib.errors import BatchFailed, FilesRefused, NoEraFiles, PayeroptError
from payeropt_lib.inputs import imports
from payeropt_lib.store import access, orgs
from payeropt_lib.store.access import Identity

from .common import (
    STATE,
    ActorOpt,
    CsvOpt,
    DbOpt,
    OrgArg,
    RoleOpt,
    acting,
    app,
    authorized,
    day_option,
    db_app,
    engine_of,
    import_app,
    practice_app,
    reevaluating,
    refusal,
    show,
)
from .profiles import ProfileOpt, source_of

logger = logging.getLogger(__name__)

# fmt: skip

# --- practices and opt-in ------------------------------------------------------------------


@practice_app.command("create")
def practice_create(
    org: OrgArg,
    name: Annotated[str, typer.Option("--name", help="the practice's display name")],
    locality: Annotated[
        str | None, typer.Option(help="Medicare carrier-locality, e.g. 01112-05")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Register a practice. It starts opted out."""
    orgs.create(engine_of(db), org, name, Identity.of(actor, role), locality=locality)
    typer.echo(f"practice {org} created; opted out until the owner opts in")


@practice_app.command("list")
def practice_list(db: DbOpt = None) -> None:
    """List the practices and whether each has opted in."""
    for row in orgs.list_orgs(engine_of(db)):
        state = "opted in" if row["opted_in"] else "opted out"
        typer.echo(f"{row['org_id']}\t{state}\t{row['name']}")


@app.command("opt-in")
def opt_in(
    org: OrgArg,
    show_disclosure: Annotated[
        bool, typer.Option("--show-disclosure", help="print the disclosure and stop")
    ] = False,
    accept_disclosure: Annotated[
        bool, typer.Option("--accept-disclosure", help="confirm you read and accept it")
    ] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """The practice owner enables Payer Optimization after reading the disclosure."""
    if show_disclosure:
        typer.echo(orgs.disclosure_text())
        return
    orgs.opt_in(engine_of(db), org, Identity.of(actor, role), accept_disclosure)
    typer.echo(f"practice {org} opted in (disclosure {orgs.disclosure_sha256()[:12]})")


@app.command("opt-out")
def opt_out(org: OrgArg, actor: ActorOpt = None, role: RoleOpt = None, db: DbOpt = None) -> None:
    """Stop all processing for the practice; its data stays."""
    orgs.opt_out(engine_of(db), org, Identity.of(actor, role))
    typer.echo(f"practice {org} opted out; its data stays")


# --- imports ---------------------------------------------------------------------------------


def _import_command(kind: str):
    def command(
        org: OrgArg,
        files: Annotated[list[Path], typer.Argument(help="CSV file(s)", exists=False)],
        profile: ProfileOpt = None,
        actor: ActorOpt = None,
        role: RoleOpt = None,
        db: DbOpt = None,
    ) -> None:
        who, engine = acting(actor, role, db)
        for path in files:
            source = source_of(kind, path, profile) if profile else None
            result = imports.import_file(
                engine, org, kind, path, who, progress=_progress(), after=reevaluating,
                source=source,
            )  # fmt: skip
            typer.echo(result.summary())

    command.__doc__ = f"Import {kind} CSV file(s); each is refused whole or stored whole."
    return command


for _kind in imports.KINDS:
    import_app.command(_kind)(_import_command(_kind))


@import_app.command("folder")
def import_folder(
    org: OrgArg,
    folder: Annotated[Path, typer.Argument(help="folder with contracts.csv, charges.csv, ...")],
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Import every conventionally named CSV in a folder, in dependency order."""
    from payeropt_lib.inputs import onboarding

    onboarding.load_folder(
        engine_of(db), org, folder, Identity.of(actor, role), progress=typer.echo,
        after=reevaluating,
    )  # fmt: skip


@app.command("reprocess")
def reprocess_cmd(
    org: OrgArg,
    since: Annotated[
        str | None, typer.Option("--since", help="only remittances dated on or after YYYY-MM-DD")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Evaluate posted 835s again on today's charges, contracts, rates and aliases.

    Imports do this themselves for what they change; this is the same on demand (after a
    fix outside payeropt, say). Findings and tasks change as posting in the natural order
    would have left them; one audit entry records it."""
    from payeropt_lib.remittances import reevaluation

    who, engine = acting(actor, role, db)
    access.authorize(engine, org, who, "reprocess", target=org)
    day = day_option(since, "--since")
    cause = "payeropt reprocess" + (f" --since {day.isoformat()}" if day else "")
    with store.writing(engine, org) as conn:
        remit_ids = reevaluation.remits_since(conn, org, day)
        done = reevaluation.reevaluate(conn, org, remit_ids, who, cause) if remit_ids else None
    typer.echo(done.summary() if done else "no posted remittances to evaluate again")


def _progress():
    """A stage progress bar on a terminal; silent when output is not a TTY."""
    from tqdm import tqdm

    bar = tqdm(total=len(imports.STAGES), unit="stage", leave=False, disable=None, file=sys.stderr)

    def step(stage: str) -> None:
        bar.set_description(stage)
        bar.update(1)
        if bar.n >= bar.total:
            bar.close()

    return step


@import_app.command("era")
def import_era(
    org: OrgArg,
    paths: Annotated[list[Path], typer.Argument(help="835 file(s) or folder(s) of them")],
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Post 835 remittances: under-payment detection and follow-up tasks at posting time.

    Every file is posted or refused on its own: each refusal is one line on stderr, and
    the command exits 2 at the end if any file (or an empty folder) was refused."""
    from tqdm import tqdm

    from payeropt_lib.remittances import posting

    who, engine = acting(actor, role, db)
    # Refused once, not once per file, when the practice or the role is wrong.
    access.authorize(engine, org, who, "import.era", target=", ".join(map(str, paths)))
    files = posting.files_in(paths)
    if not files:
        raise NoEraFiles(", ".join(map(str, paths)))
    empty = [folder for folder in paths if folder.is_dir() and not posting.files_in([folder])]
    for folder in empty:
        refusal(NoEraFiles(str(folder)))
    refused = [str(folder) for folder in empty]
    posted = posting.post_files(engine, org, files, who)
    for path, outcome in tqdm(
        posted, total=len(files), desc="835 files", unit="file", leave=False, disable=None
    ):
        if isinstance(outcome, PayeroptError):  # refused whole; the others are posted still
            refusal(outcome)
            refused.append(path.name)
        else:
            typer.echo(outcome.summary())
    if refused:
        raise FilesRefused(tuple(refused), len(files) + len(empty))


@app.command("underpayments")
def underpayments_cmd(
    org: OrgArg,
    csv_out: CsvOpt = None,
    over: Annotated[bool, typer.Option("--over", help="over-payments instead")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Flagged lines: claim_id, line_number, payer_id, procedure_code, modifiers,
    date_of_service, units, expected_allowed, actual_allowed, variance, reason."""
    from payeropt_lib.remittances import worklists

    engine = authorized(org, actor, role, db, "worklist.view")
    frame = worklists.findings(engine, org, "overpaid" if over else "underpaid")
    if not over:
        frame = frame[worklists.UNDERPAYMENT_COLUMNS]
    show(frame, csv_out, "over-paid lines" if over else "under-paid lines")


@app.command("tasks")
def tasks_cmd(
    org: OrgArg,
    csv_out: CsvOpt = None,
    all_states: Annotated[bool, typer.Option("--all", help="closed tasks too")] = False,
    state: Annotated[
        list[str] | None,
        typer.Option(help="only tasks in this state (repeatable; default: the open ones)"),
    ] = None,
    payer: Annotated[
        list[str] | None, typer.Option(help="only this payer's tasks (repeatable)")
    ] = None,
    cause: Annotated[
        list[str] | None,
        typer.Option(help="only tasks with this main cause, e.g. earlier_rate (repeatable)"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="count days left from this day (default today)")
    ] = None,
    set_state: Annotated[
        str | None,
        typer.Option(
            "--set-state",
            help="move every selected task to this state (in_progress, appealed, written_off)",
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option(help="with --set-state: a note for the record")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """The follow-up worklist: nearest deadline first, then the most money; days left and
    overdue. With --set-state, moves the selected tasks at once (one audit entry each)."""
    from payeropt_lib.remittances import tasks, worklists

    states = tuple(state or ())
    for name in states + ((set_state,) if set_state else ()):
        if name not in tasks.STATES:
            raise typer.BadParameter(
                f"{name!r} is not a task state ({', '.join(tasks.STATES)})", param_hint="--state"
            )
    if set_state:
        engine = engine_of(db)
        moved = tasks.change_many(
            engine, org, set_state, Identity.of(actor, role), payers=tuple(payer or ()),
            causes=tuple(cause or ()), states=states, note=note,
        )  # fmt: skip
        typer.echo(f"{len(moved)} tasks are now {set_state}: {', '.join(map(str, moved))}")
        return
    engine = authorized(org, actor, role, db, "worklist.view")
    if not states:
        states = tasks.STATES if all_states else tasks.OPEN_STATES
    day = day_option(as_of, "--as-of")
    listed = worklists.task_list(engine, org, states, day, tuple(payer or ()), tuple(cause or ()))
    show(listed, csv_out, "tasks")


@app.command("task")
def task_cmd(
    org: OrgArg,
    task_id: Annotated[int, typer.Argument(help="the task number")],
    state: Annotated[str, typer.Option(help="in_progress, appealed, recovered or written_off")],
    amount: Annotated[
        str | None, typer.Option(help="amount recovered, e.g. 12.50 (with --state recovered)")
    ] = None,
    note: Annotated[str | None, typer.Option(help="a note for the record")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Move a follow-up task to its next state (audited); recovered needs --amount, what
    the payer paid on the task."""
    import pandas as pd

    from payeropt_lib.money import parse_cents
    from payeropt_lib.remittances import tasks

    cents = None
    if amount is not None:
        if state != "recovered":
            raise typer.BadParameter("goes with --state recovered only", param_hint="--amount")
        try:
            cents = int(parse_cents(pd.Series([amount]), "--amount")[0])
        except ValueError:
            cents = -1
        if cents < 0:  # exact cents, no sign: what came in
            raise typer.BadParameter(
                f"{amount!r} is not an amount like 12.50", param_hint="--amount"
            ) from None
    tasks.change_state(engine_of(db), org, task_id, state, Identity.of(actor, role), cents, note)
    typer.echo(f"task {task_id} is now {state}")


@app.command("remits")
def remits_cmd(
    org: OrgArg,
    unbalanced: Annotated[bool, typer.Option("--unbalanced", help="what did not balance")] = False,
    unmatched: Annotated[
        bool, typer.Option("--unmatched", help="claims and lines that matched no charge")
    ] = False,
    csv_out: CsvOpt = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Posted remittances, and what did not balance or match."""
    from payeropt_lib.remittances import worklists

    engine = authorized(org, actor, role or "analyst", db, "remits.view")
    kinds: tuple[str, ...] = ()
    if unbalanced:
        kinds += ("unbalanced",)
    if unmatched:
        kinds += ("unmatched_claim", "unmatched_line", "unknown_payer")
    frame = worklists.problems(engine, org, kinds) if kinds else worklists.remits(engine, org)
    show(frame, csv_out, "problems" if kinds else "remittances")


@app.command("denials")
def denials_cmd(
    org: OrgArg,
    csv_out: CsvOpt = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Denied and bundled lines with their CARC and RARC codes."""
    from payeropt_lib.remittances import worklists

    engine = authorized(org, actor, role, db, "worklist.view")
    show(worklists.denial_list(engine, org), csv_out, "denials")


# --- audit -----------------------------------------------------------------------------------


@app.command("audit")
def audit_cmd(
    org: OrgArg,
    date_from: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. import, import.charges, opt_in")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="entries by this actor")] = None,
    patient: Annotated[str | None, typer.Option(help="entries about this patient_id")] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="check the chain (against the last anchor)")
    ] = False,
    anchor: Annotated[
        bool, typer.Option("--anchor", help="sign the chain's head and keep it (docs/audit.md)")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="with --anchor: also here")] = None,
    anchor_file: Annotated[
        Path | None, typer.Option("--anchor-file", help="with --verify: hold to this anchor")
    ] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write entries to CSV")] = None,
    by: Annotated[
        str | None, typer.Option("--by", envvar="PAYEROPT_ACTOR", help="who is searching")
    ] = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Search the audit trail; verify its chain (--verify); sign its head (--anchor)."""
    from payeropt_lib.store import trail

    if verify and anchor:
        raise typer.BadParameter("one of --verify and --anchor", param_hint="--anchor")
    if out is not None and not anchor:
        raise typer.BadParameter("goes with --anchor", param_hint="--out")
    if anchor_file is not None and not verify:
        raise typer.BadParameter("goes with --verify", param_hint="--anchor-file")
    engine = engine_of(db)
    who = Identity.of(by or getpass.getuser(), role)
    if anchor:
        made = trail.anchor(engine, org, who, out)
        kept = f"; written to {out}" if out else ""
        typer.echo(f"audit trail of {org} anchored at entry {made.seq} ({made.at}){kept}")
        return
    if verify:
        verdict = trail.verify(engine, org, who, anchor_file)
        if not verdict.ok:
            for problem in verdict.problems:
                typer.echo(problem, err=True)
            raise typer.Exit(1)
        held = (
            f"; holds to the anchor of {verdict.anchor.at} (entry {verdict.anchor.seq})"
            if verdict.anchor
            else f"; no anchor yet (payeropt audit {org} --anchor)"
        )
        typer.echo(f"audit trail of {org}: {verdict.entries} entries, chain intact{held}")
        return
    found = trail.search(
        engine,
        org,
        who,
        date_from=day_option(date_from, "--from"),
        date_to=day_option(date_to, "--to"),
        action=action,
        actor=actor,
        patient_id=patient,
    )
    if csv_out:
        found.to_csv(csv_out, index=False)
        typer.echo(f"{len(found)} entries written to {csv_out}")
    else:
        shown = found[trail.SHOWN]
        typer.echo(shown.to_string(index=False) if len(shown) else "no entries")


# --- database and demo -----------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Apply schema migrations (also done automatically on first use)."""
    engine = store.engine_for(db or STATE["db"], migrate=False)
    revision = store.upgrade(engine)
    typer.echo(f"database at revision {revision}")


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option(help="where the demo files and packet go")] = Path(
        "out/demo"
    ),
    claims_per_month: Annotated[int, typer.Option(help="size of the demo practice")] = 2000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same practice)")] = 20261101,
    db: DbOpt = None,
) -> None:
    """Build the synthetic demo practice, import it and write its packet (prints its path)."""
    from payeropt_lib.demo import files as demo
    from payeropt_lib.demo import practice
    from payeropt_lib.packet import build as packets

    out = config.checked_out_dir(out)
    url = practice.demo_practice(
        out,
        db or STATE["db"],
        claims_per_month=claims_per_month,
        seed=seed,
        progress=lambda msg: typer.echo(msg, err=True),
    )
    index = packets.write_packet(
        url, config.DEMO_ORG, out, as_of=demo.DEMO_AS_OF.isoformat(), who=practice.DEMO_ACTOR
    )
    typer.echo(str(index))


@app.command("report")
def report_cmd(
    org: Annotated[str | None, typer.Argument(help="practice key (omit with --all)")] = None,
    out: Annotated[Path, typer.Option(help="folder for the packet")] = Path("out/report"),
    all_orgs: Annotated[
        bool, typer.Option("--all", help="a packet for every opted-in practice, plus an index")
    ] = False,
    date_from: Annotated[str | None, typer.Option("--from", help="first date of service")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last date of service")] = None,
    as_of: Annotated[str | None, typer.Option(help="contract terms in force on this date")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="pages run in parallel (default: every core)")
    ] = None,
    suppress_below: Annotated[
        int,
        typer.Option(
            "--suppress-below",
            min=0,
            help="hide counts from 1 to N-1 in the packets too (default 0: a practice sees its "
            "own counts; the --all index always hides counts under 11)",
        ),
    ] = 0,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="also print the packet to DIR/packet.pdf, Summary first")
    ] = False,
    paper: Annotated[str, typer.Option(help="paper for --pdf: letter or a4")] = "letter",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="run the pages on the dask.distributed cluster whose scheduler is at this "
            "address (tcp://HOST:8786), instead of this machine's cores; needs a PostgreSQL "
            "store (docs/report.md)",
        ),
    ] = None,
    keep_notebooks: Annotated[
        Path | None,
        typer.Option(
            "--keep-notebooks",
            help="keep the executed notebooks here (default: removed once the pages are "
            "written; a failed page's is kept and named)",
        ),
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    db: DbOpt = None,
) -> None:
    """Write the practice's HTML report packet (DIR/index.html first); with --all, one
    packet per opted-in practice in DIR/<practice>/ and DIR/index.html listing them;
    with --pdf, each packet printed to packet.pdf beside its index too."""
    from payeropt_lib.packet import build as packets

    if (org is None) == (not all_orgs):
        raise typer.BadParameter("name one practice, or pass --all", param_hint="ORG")
    if paper not in ("letter", "a4"):
        raise typer.BadParameter(f"{paper!r} is not letter or a4", param_hint="--paper")
    if scheduler is not None and workers is not None:
        raise typer.BadParameter(
            "the cluster's workers run the pages: drop --workers", param_hint="--scheduler"
        )
    # Packets are aggregate-only, so every role may run one; default to the least privileged.
    who = Identity.of(actor or getpass.getuser(), role or "analyst")
    out = config.checked_out_dir(out)
    engine = engine_of(db)  # packets authorizes (and audits) each practice's run itself
    for stage in (date_from, date_to, as_of):
        day_option(stage, "--from/--to/--as-of")
    url = engine.url.render_as_string(hide_password=False)
    if org is not None:
        index = packets.write_packet(
            url, org, out, date_from, date_to, as_of, who=who, workers=workers,
            suppress_below=suppress_below, keep_notebooks=keep_notebooks, scheduler=scheduler,
        )  # fmt: skip
        typer.echo(str(index))
        if pdf:
            from payeropt_lib.packet import pdf as packet_pdf

            typer.echo(str(packet_pdf.write_pdf(index, paper)))
        return
    result = packets.write_packets(
        url, out, None, date_from, date_to, as_of, who=who, workers=workers,
        suppress_below=suppress_below, keep_notebooks=keep_notebooks, scheduler=scheduler,
    )  # fmt: skip
    for org_id, path in sorted(result.packets.items()):
        typer.echo(f"{org_id}: {path}")
        if pdf:
            from payeropt_lib.packet import pdf as packet_pdf

            typer.echo(f"{org_id}: {packet_pdf.write_pdf(path, paper)}")
    typer.echo(str(result.index))
    if result.failed:
        raise BatchFailed(result.failed, len(result.packets), str(result.index))


# The payer-rules and coding verbs, registered after these so --help keeps its order.
from . import (  # noqa: E402,F401
    claims,
    coding,
    multipliers,
    onboard,
    payment_audit,
    reconciliation,
    reference,
    rules,
)
from .data_quality import data_quality_cmd  # noqa: E402,F401


def run(argv: Sequence[str] | None = None, prog_name: str | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``) and return its exit code:
    user errors → one line on stderr, exit 2. ``main`` exits with it; tests call it directly."""
    # typer ≥ 0.20 runs its own copy of click: its usage errors and Exit/Abort are typer's
    # classes, not click's. Not standalone, a raised typer.Exit(code) comes back as the
    # return value, so a verb's exit code (audit --verify: 1) is the process's.
    try:
        code = app(args=argv, prog_name=prog_name, standalone_mode=False)
    except PayeroptError as err:
        typer.echo(f"payeropt: {err}", err=True)
        return 2
    except (typer.Abort, click.exceptions.Abort):
        typer.echo("payeropt: aborted", err=True)
        return 130
    except (typer.TyperException, click.ClickException) as err:
        err.show()  # the usage line and "Error: ...", as click prints it
        return err.exit_code
    except (typer.Exit, click.exceptions.Exit) as exc:
        return exc.exit_code
    return code if isinstance(code, int) else 0


def main() -> None:
    """Console entry point: user errors → one line on stderr, exit 2."""
    sys.exit(run())


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
