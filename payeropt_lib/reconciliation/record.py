"""The thin wiring of the reconciliation tables: a practice's books read once, the tables
of a month made from them, and the command line's authorized entry points.

``Books`` holds the frames every table reads (``READS``: table → columns) and the claim
ledger made from them; ``read_books`` reads them from the store, and a packet run builds
the same from its shared frames (``Books.of``). No arithmetic here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
from sqlalchemy.engine import Engine

from payeropt_lib import store
from payeropt_lib.pricing.contracts import practice_locality
from payeropt_lib.pricing.expected import FEE_COLUMNS
from payeropt_lib.remittances import rates_cache
from payeropt_lib.store import access, orgs, tables
from payeropt_lib.store.access import Identity

from . import ledger, medicare_check, payment_audit, receivables

# What the tables read of the store, per table (medicare_fees: completed from CMS's
# library, ``rates_cache.medicare_fees``).
READS: dict[str, list[str] | None] = {
    "charges": payment_audit.CHARGE_COLUMNS,
    "remit_claims": [*ledger.REMIT_CLAIM_COLUMNS, "filing_indicator"],
    "remittances": ledger.REMITTANCE_COLUMNS,
    "remit_adjustments": payment_audit.ADJUSTMENT_COLUMNS,
    "remit_lines": payment_audit.REMIT_LINE_COLUMNS,
    "transactions": ledger.TRANSACTION_COLUMNS,
    "contracts": sorted({*payment_audit.CONTRACT_COLUMNS, "payer_name", "payer_class"}),
    "fee_schedules": list(FEE_COLUMNS),
}  # fmt: skip
MEDICARE_CLASS = "MEDICARE"
SELF_PAY_CLASS = "SELF_PAY"


@dataclass(frozen=True)
class Books:
    """One practice's frames for the reconciliation tables, and its Medicare locality
    (``pricing.contracts.practice_locality``: the fee Table 1 calls published)."""

    frames: dict[str, pd.DataFrame] = field(repr=False)
    locality: str | None
    # Every month's audited lines (``price_audits``), by the inferred schedule priced at.
    _audited: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        frames: dict[str, pd.DataFrame],
        locality: str | None,
        ledger: pd.DataFrame | None = None,
    ) -> Books:
        """The books of ``frames`` (``READS`` and medicare_fees); ``ledger``: the claim
        ledger already made of the same frames (a packet run shares it between pages)."""
        missing = [name for name in (*READS, "medicare_fees") if name not in frames]
        if missing:
            raise ValueError(f"books need the frames {', '.join(missing)}")
        books = cls(frames, locality)
        if ledger is not None:
            books.__dict__["ledger"] = ledger  # the cached_property's own slot
        return books

    @cached_property
    def ledger(self) -> pd.DataFrame:
        f = self.frames
        return ledger.claim_ledger(
            f["charges"], f["remit_claims"], f["remittances"], f["remit_adjustments"],
            f["transactions"],
        )  # fmt: skip

    @cached_property
    def remitted(self) -> pd.DataFrame:
        f = self.frames
        return ledger.remitted_claims(f["charges"], f["remit_claims"], f["remittances"])

    def payers_of_class(self, payer_class: str) -> frozenset[str]:
        c = self.frames["contracts"]
        return frozenset(c.loc[c["payer_class"].eq(payer_class), "payer_id"].astype("str"))

    def named(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with ``payer_name`` after its payer_id (the latest contract's name;
        blank where no contract names the payer)."""
        c = self.frames["contracts"].sort_values("effective_from")
        names = c.drop_duplicates("payer_id", keep="last").set_index("payer_id")["payer_name"]
        at = frame.columns.get_loc("payer_id") + 1
        out = frame.copy()
        out.insert(at, "payer_name", frame["payer_id"].map(names).fillna("").astype("str"))
        return out

    def receivables(self, month: pd.Timestamp) -> pd.DataFrame:
        """Table 3 (``receivables.TABLE3_COLUMNS``)."""
        return receivables.reconcile(self.ledger, month, self.payers_of_class(SELF_PAY_CLASS))

    @cached_property
    def medicare_priced(self) -> pd.DataFrame:
        """Every month's Medicare lines priced at Medicare's terms, once
        (``medicare_check.priced_lines``); none without a locality to price at."""
        f = self.frames
        medicare = self.payers_of_class(MEDICARE_CLASS) if self.locality else frozenset()
        return medicare_check.priced_lines(
            f["charges"], self.ledger, f["remit_lines"], self.remitted, f["medicare_fees"],
            medicare, self.locality or "",
        )  # fmt: skip

    @cached_property
    def secondary(self) -> pd.DataFrame:
        """Cash from payers other than each claim's primary (``ledger.secondary_cash``)."""
        f = self.frames
        return ledger.secondary_cash(f["charges"], self.remitted, f["transactions"])

    def medicare_lines(self, month: pd.Timestamp) -> pd.DataFrame:
        """The month's Medicare lines priced at Medicare's terms."""
        priced = self.medicare_priced
        return priced[priced["service_month"].eq(receivables.month_start(month))]

    def medicare(self, month: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
        """Table 1, and Table 2's rows and figures, for ``month``."""
        priced = self.medicare_lines(month)
        rows, figures = medicare_check.who_paid(
            self.ledger, priced, self.secondary, self.payers_of_class(MEDICARE_CLASS), month
        )
        return medicare_check.top_codes(priced), rows, figures

    def audit(
        self,
        month: pd.Timestamp,
        sample_size: int = payment_audit.SAMPLE_SIZE,
        seed: int = payment_audit.DEFAULT_SEED,
        inferred: pd.DataFrame | None = None,
    ) -> payment_audit.Audit:
        """The payment audit of ``month`` (``payment_audit.of_month``): Medicare at its
        terms, contract payers at their contracts, ``inferred`` percents of Medicare
        (``payment_audit.inferred_schedule``) for payers with neither. Prices the month's
        clean visits, unless ``price_audits`` priced every month's already."""
        schedules = self._schedules(inferred)
        lines = self._audited.get(schedules.inferred.to_csv(index=False))
        if lines is None:
            lines = self._audit_lines(schedules, month)
        return payment_audit.of_month(lines, self.ledger, schedules, month, sample_size, seed)

    def price_audits(self, inferred: pd.DataFrame | None = None) -> None:
        """Price every month's clean visits in one pass (``payment_audit.every_line``) and
        keep them, for audits of many months (a year of them: one engine call)."""
        schedules = self._schedules(inferred)
        self._audited[schedules.inferred.to_csv(index=False)] = self._audit_lines(schedules)

    def _audit_lines(
        self, schedules: payment_audit.Schedules, month: pd.Timestamp | None = None
    ) -> pd.DataFrame:
        f = self.frames
        clean = payment_audit.population(self.ledger, month, schedules.self_pay)
        return payment_audit.every_line(
            f["charges"], clean, f["remit_lines"], self.remitted, f["remit_adjustments"],
            schedules,
        )  # fmt: skip

    def _schedules(self, inferred: pd.DataFrame | None) -> payment_audit.Schedules:
        f = self.frames
        return payment_audit.Schedules(
            contracts=f["contracts"],
            fee_schedules=f["fee_schedules"],
            medicare_fees=f["medicare_fees"],
            inferred=payment_audit.inferred_schedule(None) if inferred is None else inferred,
            medicare_payers=self.payers_of_class(MEDICARE_CLASS),
            self_pay=self.payers_of_class(SELF_PAY_CLASS),
            locality=self.locality,
        )


def read_books(engine: Engine, org_id: str) -> Books:
    """A practice's books from the store, in one read-only connection."""
    with engine.connect() as conn:
        frames = {
            name: store.read_frame(conn, getattr(tables, name), org_id, columns=columns)
            for name, columns in READS.items()
        }
        frames["medicare_fees"] = rates_cache.medicare_fees(conn, org_id)
    locality = practice_locality(orgs.get(engine, org_id), frames["contracts"])
    return Books.of(frames, locality)


def month_option(text: str) -> pd.Timestamp:
    """'2025-06' → the first day of that month; anything else raises ValueError."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text.strip()):
        raise ValueError(f"not a month (YYYY-MM): {text!r}")
    return pd.Period(text.strip(), freq="M").to_timestamp()


VIEW = "reconciliation.view"


def reconcile(
    engine: Engine, org_id: str, who: Identity, month: pd.Timestamp, table: str = "receivables"
) -> pd.DataFrame:
    """``payeropt reconcile``: one of the month's tables as a frame: ``receivables``
    (Table 3), ``medicare`` (Table 1) or ``who-paid`` (Table 2's rows). Reads only."""
    access.authorize(engine, org_id, who, VIEW, target=org_id)
    books = read_books(engine, org_id)
    if table == "receivables":
        return books.named(books.receivables(month))
    top, rows, _ = books.medicare(month)
    return top if table == "medicare" else books.named(rows)
