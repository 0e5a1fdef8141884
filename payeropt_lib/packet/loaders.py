"""What a page loads: the store's frames for the period, handed to the analytics.

Every number comes from ``analytics`` or ``remittances``; these functions only read the
practice's frames (``context.load``) and call them. ``adjudicated`` is shared by one packet
run's pages (``cache``): pricing the remitted lines is the costly part of a page.
"""

from __future__ import annotations

import pandas as pd

from payeropt_lib import formats, store
from payeropt_lib.analytics import (
    data_quality,
    directory,
    performance,
    privacy,
    recovery,
    renewals,
    summary,
)
from payeropt_lib.reconciliation import record
from payeropt_lib.remittances import remitted
from payeropt_lib.store import tables

from . import cache
from .cells import NO_DATA, SUPPRESSED, cell_texts
from .context import Context, load


def adjudicated(ctx: Context) -> pd.DataFrame:
    """The practice's remitted lines that count, in the report period
    (``remitted.adjudicated``). Reads the remitted claims' status and reversal flags only,
    never their patient columns. Every page of a packet needs this frame and pricing it is
    the costly part: one packet run builds it once (``cache.shared``)."""
    return cache.shared(adjudicated_key(ctx), lambda: read_adjudicated(ctx))


def adjudicated_key(ctx: Context) -> str:
    """The name ``adjudicated`` is kept under in a packet run (``cache``)."""
    period = f"{formats.day(ctx.period_start, '')}-{formats.day(ctx.period_end, '')}"
    return f"adjudicated-{ctx.org_id}-{period}"


def read_adjudicated(ctx: Context) -> pd.DataFrame:
    """``adjudicated`` read and priced afresh, without the packet run's cache."""
    frames = {
        "remit_lines": load(ctx, "remit_lines", remitted.REMIT_LINE_COLUMNS),
        "remit_claims": store.read_frame(
            ctx.engine, tables.remit_claims, ctx.org_id, columns=remitted.REMIT_CLAIM_COLUMNS
        ),
        "remittances": load(ctx, "remittances", remitted.REMITTANCE_COLUMNS),
        "charges": load(ctx, "charges", remitted.CHARGE_COLUMNS),
        "findings": load(ctx, "findings", remitted.FINDING_COLUMNS),
        "denials": load(ctx, "denials", remitted.DENIAL_COLUMNS),
        "contracts": load(ctx, "contracts"),
        "fee_schedules": load(ctx, "fee_schedules"),
        "medicare_fees": load(ctx, "medicare_fees"),
    }
    return remitted.adjudicated(**frames, start=ctx.period_start, end=ctx.period_end)


def _everything(ctx: Context, reads: dict[str, list[str] | None]) -> dict[str, pd.DataFrame]:
    """The frames ``reads`` names (table → columns), every row on file, not only the
    period's; the remitted claims read straight from the store for the columns named only
    (never their patient columns); the Medicare amounts completed from CMS's fee library."""
    frames = {
        name: (
            store.read_frame(ctx.engine, tables.remit_claims, ctx.org_id, columns=columns)
            if name == "remit_claims"
            else load(ctx, name, columns)
        )
        for name, columns in reads.items()
    }
    frames["medicare_fees"] = load(ctx, "medicare_fees")
    return frames


def data_checks(ctx: Context) -> dict[str, pd.DataFrame]:
    """The first-day data quality tables (``data_quality.tables``, by name) of everything
    on file, claims aged to the as-of date. The remitted claims are read for their claim id
    and reversal flags only, never their patient columns."""
    return data_quality.tables(_everything(ctx, data_quality.READS), ctx.as_of)


def books(ctx: Context) -> record.Books:
    """The practice's books for the reconciliation pages (``reconciliation.record.Books``):
    every month of service, not only the period (a month is reconciled with every posting
    made since). The remitted claims are read for their status, reversal flags, claim id
    and filing indicator only, never their patient columns."""
    frames = _everything(ctx, record.READS)
    books = record.Books.of(frames, ctx.locality)
    # Made once per packet run: the Reconciliation, Medicare check and Payment audit
    # pages all start from it.
    ledger = cache.shared(f"ledger-{ctx.org_id}", lambda: books.ledger)
    return record.Books.of(frames, ctx.locality, ledger)


def headline(ctx: Context, adjudicated_lines: pd.DataFrame | None = None) -> pd.DataFrame:
    """The practice's headline figures for the period (``summary.headline``): one row."""
    lines = adjudicated(ctx) if adjudicated_lines is None else adjudicated_lines
    transactions = load(ctx, "transactions", performance.TRANSACTION_COLUMNS)
    findings, tasks = recovery.in_period(
        load(ctx, "findings", recovery.FINDING_COLUMNS),
        load(ctx, "tasks", recovery.TASK_COLUMNS),
        ctx.period_start,
        ctx.period_end,
    )
    return summary.headline(
        performance.practice_kpis(lines, transactions),
        recovery.headline(findings, tasks, ctx.as_of),
    )


def headline_figures(frame: pd.DataFrame) -> dict:
    """``headline`` as display text: {"figures": [(label, text), ...]} for the indexes."""
    if frame.empty:
        return {"figures": []}
    columns = [c for c, _ in summary.HEADLINE_LABELS]
    # With no claim adjudicated there is nothing to hide: a missing figure is no data.
    claims = frame["claims"].iloc[0] if "claims" in frame else pd.NA
    missing = NO_DATA if not pd.isna(claims) and int(claims) == 0 else SUPPRESSED
    formatted = cell_texts(
        frame.iloc[[0]], columns, missing, digits=1, small_texts=summary.headline_small_text()
    )
    figures = [(label, formatted[c][0].iloc[0]) for c, label in summary.HEADLINE_LABELS]
    return {"figures": figures}


def renewal_evidence(
    ctx: Context,
    adjudicated_lines: pd.DataFrame | None = None,
    window_days: int = 120,
    lead_days: int = 90,
    top_n: int = 15,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The contract schedule (``renewals.upcoming``), the rates per contract and top code
    (``renewals.rate_position``) and the negotiation evidence per contract
    (``renewals.evidence``), loaded for the practice and period. ``adjudicated_lines``:
    ``adjudicated(ctx)`` when the page holds it already (nothing else), so that it is not
    priced again outside a packet run. The Summary and the Contract renewals page both
    need the evidence: one packet run builds it once (``cache``)."""
    # Suppression is applied inside (recovery, activity): the cell size is part of the key.
    settings = (
        f"{window_days}-{lead_days}-{top_n}-{formats.day(ctx.as_of, '')}"
        f"-cells{privacy.small_cell()}"
    )
    return cache.shared(
        f"renewals-{adjudicated_key(ctx)}-{settings}",
        lambda: _renewal_evidence(ctx, adjudicated_lines, window_days, lead_days, top_n),
    )


def _renewal_evidence(
    ctx: Context,
    adjudicated_lines: pd.DataFrame | None,
    window_days: int,
    lead_days: int,
    top_n: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    terms = load(ctx, "contracts")
    charges = load(ctx, "charges", renewals.CHARGE_COLUMNS)
    schedule = renewals.upcoming(terms, ctx.as_of, window_days=window_days, lead_days=lead_days)
    code_rows = renewals.rate_position(
        schedule,
        charges,
        terms,
        load(ctx, "fee_schedules"),
        load(ctx, "medicare_fees"),
        ctx.as_of,
        ctx.locality,
        period_start=ctx.period_start,
        period_end=ctx.period_end,
        top_n=top_n,
    )
    findings, tasks = recovery.in_period(
        load(ctx, "findings", recovery.FINDING_COLUMNS),
        load(ctx, "tasks", recovery.TASK_COLUMNS),
        ctx.period_start,
        ctx.period_end,
    )
    lines = adjudicated(ctx) if adjudicated_lines is None else adjudicated_lines
    evidence = renewals.evidence(
        schedule,
        renewals.rate_summary(code_rows),
        renewals.activity(
            schedule,
            charges,
            lines,
            load(ctx, "denials", renewals.DENIAL_COLUMNS),
            ctx.period_start,
            ctx.period_end,
        ),
        recovery.underpayments_by_payer(findings, tasks, directory.payer_directory(terms)),
    )
    return schedule, code_rows, evidence
