"""Table definitions (SQLAlchemy Core). Alembic migrations are written from these.

Conventions:
- every table has ``org_id``; one org's rows never join another's;
- money is integer cents (``*_cents`` BIGINT); percents are exact integers ``*_x1000``
  (125 % = 125000), so SQLite and PostgreSQL hold the same exact values;
- optional key parts (product_line, modifier) are '' when blank so they can sit in a
  primary key; other optional values are NULL;
- effective periods are half-open ``[effective_from, effective_to)``, NULL = open ended;
- timestamps are ISO-8601 UTC strings (``2026-11-23T15:19:48.123456Z``): they hash the
  same on every dialect, which the audit chain needs.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

SYSTEM_ORG = "_system"  # holds audit entries that concern no practice yet


def _org() -> Column:
    return Column("org_id", String(64), ForeignKey("orgs.org_id"), nullable=False)


def _import_id() -> Column:
    return Column("import_id", Integer, nullable=True)


orgs = Table(
    "orgs",
    metadata,
    Column("org_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    # The practice's Medicare carrier/locality (e.g. 01112-05): the reference for
    # "percent of Medicare" comparisons. NULL = take it from the Medicare contract.
    Column("locality", String(8)),
    Column("created_at", String(32), nullable=False),
    Column("opted_in", Boolean, nullable=False, default=False),
    Column("opted_in_at", String(32)),
    Column("opted_in_by", String(200)),
    Column("disclosure_sha256", String(64)),
    # Head of the org's audit hash chain; lets --verify notice a deleted last entry.
    Column("audit_seq", BigInteger, nullable=False, default=0),
    Column("audit_head", String(64), nullable=False, default="0" * 64),
)

imports = Table(
    "imports",
    metadata,
    Column("import_id", Integer, primary_key=True, autoincrement=True),
    _org(),
    Column("kind", String(32), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("imported_at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("rows_in_file", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("replaced", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    UniqueConstraint("org_id", "kind", "sha256", name="uq_imports_org_kind_sha256"),
)

contracts = Table(
    "contracts",
    metadata,
    _org(),
    Column("payer_id", String(64), nullable=False),
    Column("product_line", String(32), nullable=False, default=""),
    Column("effective_from", Date, nullable=False),
    Column("payer_name", String(200), nullable=False),
    Column("payer_class", String(32), nullable=False),
    Column("renewal_date", Date),
    Column("notice_days", Integer, nullable=False),
    Column("basis", String(20), nullable=False),
    Column("medicare_percent_x1000", BigInteger),
    Column("medicare_locality", String(8)),
    Column("lesser_of_charges", Boolean, nullable=False),
    Column("mppr_percent_x1000", BigInteger, nullable=False),
    Column("timely_filing_days", Integer),
    Column("appeal_days", Integer, nullable=False),
    _import_id(),
    PrimaryKeyConstraint("org_id", "payer_id", "product_line", "effective_from"),
)

payer_aliases = Table(
    "payer_aliases",
    metadata,
    _org(),
    # Upper-cased, blanks collapsed: 835 senders vary case and spacing of the same name.
    Column("alias", String(200), nullable=False),
    Column("payer_id", String(64), nullable=False),
    _import_id(),
    PrimaryKeyConstraint("org_id", "alias"),
)

fee_schedules = Table(
    "fee_schedules",
    metadata,
    _org(),
    Column("payer_id", String(64), nullable=False),
    Column("product_line", String(32), nullable=False, default=""),
    Column("procedure_code", String(5), nullable=False),
    Column("modifier", String(2), nullable=False, default=""),
    Column("effective_from", Date, nullable=False),
    # In force until (derived: a later row for the same key closes an open period) ...
    Column("effective_to", Date),
    # ... and as the file gave it (NULL = blank), so the closing can be recomputed.
    Column("effective_to_given", Date),
    Column("allowed_cents", BigInteger, nullable=False),
    _import_id(),
    PrimaryKeyConstraint(
        "org_id", "payer_id", "product_line", "procedure_code", "modifier", "effective_from"
    ),
)

medicare_fees = Table(
    "medicare_fees",
    metadata,
    _org(),
    Column("locality", String(8), nullable=False),
    Column("procedure_code", String(5), nullable=False),
    Column("modifier", String(2), nullable=False, default=""),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    Column("effective_to_given", Date),
    Column("non_facility_cents", BigInteger, nullable=False),
    Column("facility_cents", BigInteger, nullable=False),
    Column("mult_proc", String(1)),
    _import_id(),
    PrimaryKeyConstraint("org_id", "locality", "procedure_code", "modifier", "effective_from"),
)

charges = Table(
    "charges",
    metadata,
    _org(),
    Column("claim_id", String(64), nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("line_control_number", String(64)),
    Column("patient_id", String(64), nullable=False),
    Column("date_of_service", Date, nullable=False),
    Column("procedure_code", String(5), nullable=False),
    Column("modifiers", String(11), nullable=False, default=""),
    Column("units", Integer, nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("primary_payer_id", String(64), nullable=False),
    Column("product_line", String(32), nullable=False, default=""),
    Column("secondary_payer_id", String(64)),
    Column("place_of_service", String(2)),
    Column("rendering_npi", String(10)),
    Column("diagnosis_codes", String(200)),
    _import_id(),
    PrimaryKeyConstraint("org_id", "claim_id", "line_number"),
)

transactions = Table(
    "transactions",
    metadata,
    _org(),
    Column("claim_id", String(64), nullable=False),
    # 0 = the whole claim (a blank line_number in the file).
    Column("line_number", Integer, nullable=False, default=0),
    Column("posted_date", Date, nullable=False),
    Column("type", String(24), nullable=False),
    # The n-th posting with the same claim, line, date and type in the file (1, 2, ...):
    # two equal patient payments on one day are two postings, not a duplicate.
    Column("occurrence", Integer, nullable=False, default=1),
    Column("amount_cents", BigInteger, nullable=False),
    Column("payer_id", String(64)),
    Column("reason", String(200)),
    _import_id(),
    PrimaryKeyConstraint("org_id", "claim_id", "line_number", "posted_date", "type", "occurrence"),
)

encounters = Table(
    "encounters",
    metadata,
    _org(),
    Column("claim_id", String(64), nullable=False),
    Column("encounter_type", String(16), nullable=False),
    Column("total_time_minutes", Integer),
    Column("mdm_level", String(16)),
    Column("documented_findings", Text),
    Column("note_text", Text),
    _import_id(),
    PrimaryKeyConstraint("org_id", "claim_id"),
)

appointments = Table(
    "appointments",
    metadata,
    _org(),
    Column("appointment_id", String(64), nullable=False),
    Column("date", Date, nullable=False),
    Column("patient_id", String(64), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("product_line", String(32), nullable=False, default=""),
    Column("visit_type", String(32), nullable=False),
    Column("planned_procedure_codes", String(200)),
    _import_id(),
    PrimaryKeyConstraint("org_id", "appointment_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    _org(),
    Column("seq", BigInteger, nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(500), nullable=False),
    Column("outcome", String(16), nullable=False),  # ok | refused
    Column("details", Text, nullable=False),  # canonical JSON
    Column("patient_id", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("org_id", "seq"),
    Index("ix_audit_log_org_patient", "org_id", "patient_id"),
    Index("ix_audit_log_org_at", "org_id", "at"),
)

# Tables that hold a practice's imported data, in the order a practice is loaded.
DATA_TABLES = (
    contracts,
    payer_aliases,
    fee_schedules,
    medicare_fees,
    charges,
    transactions,
    encounters,
    appointments,
)
