"""The thin wiring of the payment audit (``payment_audit``, docs/payment_audit.md): who may
run it, the books and the few more frames it reads, and its frames as the office reads
them. No arithmetic here.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine

from payeropt_lib import store
from payeropt_lib.formats import day_texts, decimal_texts, percent_x1000_texts
from payeropt_lib.pricing.expected import FEE_COLUMNS
from payeropt_lib.store import access, tables
from payeropt_lib.store.access import Identity

from . import payment_audit, record

ACTION = "reconciliation.payment_audit"  # the sample names claims, as the worklists do

# What the audit reads beyond the books (``record.READS``): the secondary payer on file,
# each 835 line's and adjustment's place (line_seq) and allowed amount, the contracts'
# terms and the fee schedules.
MORE: dict[str, list[str]] = {
    "charges": ["claim_id", "line_number", "secondary_payer_id"],
    "remit_lines": payment_audit.REMIT_LINE_COLUMNS,
    "remit_adjustments": payment_audit.ADJUSTMENT_COLUMNS,
    "contracts": payment_audit.CONTRACT_COLUMNS,
    "fee_schedules": list(FEE_COLUMNS),
}


def no_inferred_schedule() -> pd.DataFrame:
    """An empty inferred schedule (``payment_audit.INFERRED_COLUMNS``)."""
    return pd.DataFrame(
        {
            "payer_id": pd.Series(dtype="str"),
            "product_line": pd.Series(dtype="str"),
            "percent_x1000": pd.Series(dtype="int64"),
        }
    )


def run(
    engine: Engine,
    org_id: str,
    who: Identity,
    month: pd.Timestamp,
    sample_size: int = payment_audit.SAMPLE_SIZE,
    seed: int = payment_audit.DEFAULT_SEED,
    inferred: pd.DataFrame | None = None,
) -> payment_audit.Audit:
    """``payeropt payment-audit``: the month's sample, audited lines and report card.
    Reads only (a refusal is audited by ``access.authorize``). ``inferred``: a payer's
    percent of Medicare inferred from its remittances (default: none)."""
    access.authorize(engine, org_id, who, ACTION, target=org_id)
    books = record.read_books(engine, org_id)
    with engine.connect() as conn:
        more = {
            name: store.read_frame(conn, getattr(tables, name), org_id, columns=columns)
            for name, columns in MORE.items()
        }
    charges = books.frames["charges"].merge(
        more["charges"], on=["claim_id", "line_number"], how="left", validate="one_to_one"
    )
    f = books.frames
    schedules = payment_audit.Schedules(
        contracts=more["contracts"],
        fee_schedules=more["fee_schedules"],
        medicare_fees=f["medicare_fees"],
        inferred=no_inferred_schedule() if inferred is None else inferred,
        medicare_payers=books.payers_of_class(record.MEDICARE_CLASS),
        self_pay=books.payers_of_class(record.SELF_PAY_CLASS),
        locality=books.locality,
    )
    return payment_audit.payment_audit(
        charges, books.ledger, more["remit_lines"], books.remitted, more["remit_adjustments"],
        schedules, month, sample_size, seed,
    )  # fmt: skip


def for_the_office(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame of the audit as a file reads: cents as plain decimals (the column without
    ``_cents``), exact percents as text ('33.333%'; blank when not known), days as
    'YYYY-MM-DD'."""
    out = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if column.endswith("_cents"):
            out[column] = decimal_texts(values)
            out = out.rename(columns={column: column.removesuffix("_cents")})
        elif column.endswith("_percent_x1000"):
            known = values.notna()
            text = pd.Series("", index=frame.index, dtype="str")
            text[known] = percent_x1000_texts(values[known].astype("int64")).to_numpy()
            out[column] = text
            out = out.rename(columns={column: column.removesuffix("_x1000")})
        elif pd.api.types.is_datetime64_any_dtype(values):
            out[column] = day_texts(values)
        elif isinstance(values.dtype, pd.BooleanDtype):
            out[column] = values.astype("object").where(values.notna(), "")
    return out
