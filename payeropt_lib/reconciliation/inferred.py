"""The payer multipliers of a practice, read from its store (``payeropt multipliers``).

Thin wiring, no arithmetic: authorize, read the practice's frames in one snapshot (the
remitted lines that count, as every page reads them: ``remitted.adjudicated``; the charge's
place of service and the 835 claim's filing indicator; its contracts; its Medicare amounts
completed from CMS's library, as posting prices: ``rates_cache.medicare_fees``), and hand
them to ``multipliers``. Reading the figures is ``reconciliation.view``'s, as the other
tables by payer (docs/roles.md); no claim or patient leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from payeropt_lib import store
from payeropt_lib.periods import DateLike, day
from payeropt_lib.pricing.contracts import practice_locality
from payeropt_lib.remittances import rates_cache, remitted
from payeropt_lib.store import access, orgs, tables
from payeropt_lib.store.access import Identity

from . import multipliers

ACTION = "reconciliation.view"
CLAIM_COLUMNS = [*remitted.REMIT_CLAIM_COLUMNS, "claim_id", "filing_indicator"]


@dataclass(frozen=True)
class Inputs:
    """What ``multipliers.infer`` reads, for one practice and period."""

    lines: pd.DataFrame  # multipliers.LINE_COLUMNS
    contracts: pd.DataFrame
    medicare_fees: pd.DataFrame
    locality: str | None


def read(
    engine: Engine, org_id: str, start: DateLike | None = None, end: DateLike | None = None
) -> Inputs:
    """The practice's inputs of ``multipliers.infer``, dates of service in [start, end]
    (None = open). The caller has authorized."""
    org = orgs.get(engine, org_id)
    with engine.connect() as conn:
        frames = {
            "remit_lines": store.read_frame(
                conn, tables.remit_lines, org_id, remitted.REMIT_LINE_COLUMNS
            ),
            "remit_claims": store.read_frame(conn, tables.remit_claims, org_id, CLAIM_COLUMNS),
            "remittances": store.read_frame(
                conn, tables.remittances, org_id, remitted.REMITTANCE_COLUMNS
            ),
            "charges": store.read_frame(conn, tables.charges, org_id, remitted.CHARGE_COLUMNS),
            "findings": store.read_frame(conn, tables.findings, org_id, remitted.FINDING_COLUMNS),
            "denials": store.read_frame(conn, tables.denials, org_id, remitted.DENIAL_COLUMNS),
            "contracts": store.read_frame(conn, tables.contracts, org_id),
            "fee_schedules": store.read_frame(conn, tables.fee_schedules, org_id),
        }
        frames["medicare_fees"] = rates_cache.medicare_fees(conn, org_id, frames["contracts"])
    lines = remitted.adjudicated(
        **frames,
        start=day(start) if start is not None else None,
        end=day(end) if end is not None else None,
    )
    lines = multipliers.claim_facts(lines, frames["charges"], frames["remit_claims"])
    return Inputs(
        lines=lines,
        contracts=frames["contracts"],
        medicare_fees=frames["medicare_fees"],
        locality=practice_locality(org, frames["contracts"]),
    )


def table(
    engine: Engine,
    org_id: str,
    who: Identity,
    start: DateLike | None = None,
    end: DateLike | None = None,
    tolerance_x1000: int = multipliers.GAP_TOLERANCE_X1000,
    min_lines: int = multipliers.MIN_LINES,
) -> pd.DataFrame:
    """``payeropt multipliers``: ``multipliers.infer`` for the practice
    (``multipliers.MULTIPLIER_COLUMNS``)."""
    access.authorize(engine, org_id, who, ACTION, target=org_id)
    found = read(engine, org_id, start, end)
    return multipliers.infer(
        found.lines,
        found.contracts,
        found.medicare_fees,
        found.locality,
        tolerance_x1000=tolerance_x1000,
        min_lines=min_lines,
    )


def draft(
    engine: Engine,
    org_id: str,
    who: Identity,
    payer_id: str,
    product_line: str = "",
    payer_name: str | None = None,
    payer_class: str | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    min_lines: int = multipliers.MIN_LINES,
) -> pd.DataFrame:
    """``payeropt multipliers --draft``: the contracts.csv row ``multipliers.draft_contract``
    writes for one payer; its name and class from the payer's contracts on file when the
    caller gives none (else the payer key and OTHER). Nothing is stored."""
    access.authorize(engine, org_id, who, ACTION, target=f"{org_id}/{payer_id}")
    found = read(engine, org_id, start, end)
    figures = multipliers.infer(
        found.lines, found.contracts, found.medicare_fees, found.locality, min_lines=min_lines
    )
    known = found.contracts[found.contracts["payer_id"].eq(payer_id)].sort_values("effective_from")
    if len(known):
        payer_name = payer_name or str(known["payer_name"].iloc[-1])
        payer_class = payer_class or str(known["payer_class"].iloc[-1])
    return multipliers.draft_contract(
        figures,
        payer_id,
        product_line,
        payer_name=payer_name,
        payer_class=payer_class or "OTHER",
    )
