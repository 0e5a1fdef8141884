"""The thin wiring of the payment audit (``payment_audit``, docs/payment_audit.md): who may
run it, the books it reads (``record.read_books``) and the inferred schedules it prices
payers without a contract at. No arithmetic here.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine

from payeropt_lib.store import access
from payeropt_lib.store.access import Identity

from . import inferred, multipliers, payment_audit, record

ACTION = "reconciliation.payment_audit"  # the sample names claims, as the worklists do


def run(
    engine: Engine,
    org_id: str,
    who: Identity,
    month: pd.Timestamp,
    sample_size: int = payment_audit.SAMPLE_SIZE,
    seed: int = payment_audit.DEFAULT_SEED,
) -> payment_audit.Audit:
    """``payeropt payment-audit``: the month's sample, audited lines and report card.
    Reads only (a refusal is audited by ``access.authorize``). A payer with no contract on
    file is priced at the percent of Medicare its remittances show
    (``multipliers.infer``), where they show one."""
    access.authorize(engine, org_id, who, ACTION, target=org_id)
    books = record.read_books(engine, org_id)
    found = inferred.read(engine, org_id)
    figures = multipliers.infer(found.lines, found.contracts, found.medicare_fees, found.locality)
    schedule = payment_audit.inferred_schedule(figures, books.frames["contracts"])
    return books.audit(month, sample_size, seed, schedule)
