"""Table definitions (SQLAlchemy Core). Alembic migrations are written from these.

Conventions:
- every table of a practice has ``org_id``; one org's rows never join another's (the CMS
  fee library alone has none: CMS's data belongs to no practice and serves them all);
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
    Constraint,
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


def _org(checked: bool = True) -> Column:
    if not checked:  # see _archive_table
        return Column("org_id", String(64), nullable=False)
    return Column("org_id", String(64), ForeignKey("orgs.org_id"), nullable=False)


def _import_id() -> Column:
    return Column("import_id", Integer, nullable=True)


def _practice_table(name: str, *columns: Column | Constraint | Index) -> Table:
    """A table of one practice's rows: ``org_id`` first."""
    return Table(name, metadata, _org(), *columns)


def _archive_table(name: str, *columns: Column | Constraint | Index) -> Table:
    """A practice's rows written only with an ``imports`` row of the same practice, in its
    transaction: no foreign key to orgs of their own, which PostgreSQL checks row by row
    (the imports row has it; migration 0012 says what it cost)."""
    return Table(name, metadata, _org(checked=False), *columns)


def _numbered_table(name: str, key: str, *columns: Column | Constraint | Index) -> Table:
    """A table of one practice's rows numbered by ``key`` (autoincrement), ahead of ``org_id``."""
    serial = Column(key, Integer, primary_key=True, autoincrement=True)
    return Table(name, metadata, serial, _org(), *columns)


def _received_file(at: str) -> list[Column]:
    """A file as received: its name and SHA-256, when (column ``at``) and by whom."""
    return [
        Column("file_name", String(500), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column(at, String(32), nullable=False),
        Column("actor", String(200), nullable=False),
    ]


def _payer_product() -> list[Column]:
    """The payer and product line a rate or a visit belongs to ('' = any product line)."""
    return [
        Column("payer_id", String(64), nullable=False),
        Column("product_line", String(32), nullable=False, default=""),
    ]


def _code_and_period() -> list[Column]:
    """A fee row's procedure (code and modifier, '' = none) and effective period."""
    return [
        Column("procedure_code", String(5), nullable=False),
        Column("modifier", String(2), nullable=False, default=""),
        Column("effective_from", Date, nullable=False),
        # In force until (derived: a later row for the same key closes an open period) ...
        Column("effective_to", Date),
        # ... and as the file gave it (NULL = blank), so the closing can be recomputed.
        Column("effective_to_given", Date),
    ]


def _clp_as_sent() -> list[Column]:
    """CLP06 to CLP14 of an 835 claim, stored as sent."""
    return [
        Column("filing_indicator", String(4)),
        Column("payer_claim_number", String(64)),
        Column("facility_code", String(4)),
        Column("frequency", String(4)),
        *(Column(f"clp{n}", String(32)) for n in range(10, 15)),
    ]


def _in_remit(*seqs: str) -> list[Column]:
    """``remit_id`` and the sequence numbers that place a row within that remittance."""
    return [Column(name, Integer, nullable=False) for name in ("remit_id", *seqs)]


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

imports = _numbered_table(
    "imports",
    "import_id",
    Column("kind", String(32), nullable=False),
    *_received_file("imported_at"),
    Column("rows_in_file", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("replaced", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    UniqueConstraint("org_id", "kind", "sha256", name="uq_imports_org_kind_sha256"),
)

contracts = _practice_table(
    "contracts",
    *_payer_product(),
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
    # 'contract' (only this row's terms) or 'medicare' (Medicare's own reductions too).
    Column("payment_rules", String(8), nullable=False, server_default="contract"),
    # A contract "at 2024 Medicare rates": the schedule in force on 1 January of this year
    # prices every line (docs/expected.md); NULL = the schedule of the date of service.
    Column("medicare_year", Integer),
    _import_id(),
    PrimaryKeyConstraint("org_id", "payer_id", "product_line", "effective_from"),
)

payer_aliases = _practice_table(
    "payer_aliases",
    # Upper-cased, blanks collapsed: 835 senders vary case and spacing of the same name.
    Column("alias", String(200), nullable=False),
    Column("payer_id", String(64), nullable=False),
    _import_id(),
    PrimaryKeyConstraint("org_id", "alias"),
)

fee_schedules = _practice_table(
    "fee_schedules",
    *_payer_product(),
    *_code_and_period(),
    Column("allowed_cents", BigInteger, nullable=False),
    _import_id(),
    PrimaryKeyConstraint(
        "org_id", "payer_id", "product_line", "procedure_code", "modifier", "effective_from"
    ),
)

medicare_fees = _practice_table(
    "medicare_fees",
    Column("locality", String(8), nullable=False),
    *_code_and_period(),
    Column("non_facility_cents", BigInteger, nullable=False),
    Column("facility_cents", BigInteger, nullable=False),
    Column("mult_proc", String(1)),
    Column("bilat_surg", String(1)),
    Column("asst_surg", String(1)),
    Column("co_surg", String(1)),
    Column("endo_base", String(5)),
    Column("glob_days", String(3)),
    _import_id(),
    PrimaryKeyConstraint("org_id", "locality", "procedure_code", "modifier", "effective_from"),
)

charges = _practice_table(
    "charges",
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
    # When the claim went to the payer; NULL = not yet (timely-filing rules, issue 13).
    Column("submitted_date", Date),
    _import_id(),
    PrimaryKeyConstraint("org_id", "claim_id", "line_number"),
)

# --- 837P claim submissions (issue 16) ---------------------------------------------------
# Every claim (CLM) of every imported 837P file, as submitted: a claim's charge lines are
# derived from all its submissions (the latest original or replacement by BHT04/05, a void
# removing it, secondary claims linking), so the result does not depend on import order.
claim_submissions = _archive_table(
    "claim_submissions",
    Column("import_id", Integer, nullable=False),
    Column("claim_seq", Integer, nullable=False),  # CLM's position in its file: 0, 1, ...
    Column("claim_id", String(64), nullable=False),
    Column("segment", Integer, nullable=False),
    Column("frequency", String(1), nullable=False),  # CLM05-3: 1, 7 replace, 8 void
    Column("original_ref", String(64)),  # 2300 REF*F8
    Column("responsibility", String(1), nullable=False),  # SBR01: P, S, T, ...
    Column("filing_indicator", String(3)),  # SBR09
    Column("payer_id", String(64), nullable=False),  # 2010BB NM1*PR via payer_aliases
    Column("other_payer_id", String(64)),  # 2330B NM1*PR of the first 2320 (mapped)
    Column("prior_paid_cents", BigInteger),  # 2320 AMT*D
    Column("prior_adjustments", String(500)),  # 2320 CAS, 'CO-45:1200;PR-1:2189'
    Column("total_charge_cents", BigInteger, nullable=False),
    Column("patient_id", String(64), nullable=False),
    Column("submitted_date", Date, nullable=False),  # BHT04
    Column("submitted_time", String(8), nullable=False),  # BHT05
    Column("isa_control", String(16), nullable=False),
    Column("st_control", String(16), nullable=False),
    # by claim first: every read is by claim, and one B-tree is all a row costs (0012)
    PrimaryKeyConstraint("org_id", "claim_id", "import_id", "claim_seq"),
)

# The lines of secondary submissions (their 2430 prior-payer adjudication); a primary
# submission's lines are the claim's charge lines while it is the latest.
claim_submission_lines = _archive_table(
    "claim_submission_lines",
    Column("import_id", Integer, nullable=False),
    Column("claim_seq", Integer, nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("line_control_number", String(64)),
    Column("date_of_service", Date, nullable=False),
    Column("procedure_code", String(5), nullable=False),
    Column("modifiers", String(11), nullable=False, default=""),
    Column("units", Integer, nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("place_of_service", String(2)),
    Column("rendering_npi", String(10)),
    Column("diagnosis_codes", String(200)),
    Column("prior_paid_cents", BigInteger),  # 2430 SVD02
    Column("prior_adjustments", String(500)),  # 2430 CAS
    PrimaryKeyConstraint("org_id", "import_id", "claim_seq", "line_number"),
)

transactions = _practice_table(
    "transactions",
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

encounters = _practice_table(
    "encounters",
    Column("claim_id", String(64), nullable=False),
    Column("encounter_type", String(16), nullable=False),
    Column("total_time_minutes", Integer),
    Column("mdm_level", String(16)),
    Column("documented_findings", Text),
    Column("note_text", Text),
    _import_id(),
    PrimaryKeyConstraint("org_id", "claim_id"),
)

appointments = _practice_table(
    "appointments",
    Column("appointment_id", String(64), nullable=False),
    Column("date", Date, nullable=False),
    Column("patient_id", String(64), nullable=False),
    *_payer_product(),
    Column("visit_type", String(32), nullable=False),
    Column("planned_procedure_codes", String(200)),
    _import_id(),
    PrimaryKeyConstraint("org_id", "appointment_id"),
)

# A payer rule version the practice imported (docs/rules.md): the definition as read, and
# its scope as columns for set-based checks. Nothing is ever deleted: a version is a
# draft, approved or rejected; in force and retired follow from its dates.
rules = _practice_table(
    "rules",
    Column("rule_id", String(64), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("product_line", String(64), nullable=False, server_default=""),
    Column("category", String(32), nullable=False),
    Column("applies_to", String(16), nullable=False),
    Column("audience", String(8), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    Column("definition", Text, nullable=False),
    Column("state", String(10), nullable=False),
    _import_id(),
    Column("imported_by", String(200), nullable=False),
    Column("decided_by", String(200)),
    Column("decided_at", String(32)),
    Column("reason", Text),
    PrimaryKeyConstraint("org_id", "rule_id", "rule_version"),
    Index("ix_rules_org_state", "org_id", "state"),
)

audit_log = _practice_table(
    "audit_log",
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
    # How ``hash`` was made: hmac-sha256 (keyed, ``key_id`` names the key) or sha256 (the
    # plain hash of entries written before migration 0007); docs/audit.md.
    Column("scheme", String(16), nullable=False, server_default="sha256"),
    Column("key_id", String(16)),
    PrimaryKeyConstraint("org_id", "seq"),
    Index("ix_audit_log_org_patient", "org_id", "patient_id"),
    Index("ix_audit_log_org_at", "org_id", "at"),
)

# --- CMS fee library (issue 15; data/reference/README.md) --------------------------------
# CMS's Physician Fee Schedule releases, shared by every practice (no org_id: what CMS
# publishes belongs to no practice). A release is in force from its effective date until
# the next release's, so a later release corrects an earlier one from its date only.
cms_pfs_releases = Table(
    "cms_pfs_releases",
    metadata,
    Column("release_id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("release", String(1), nullable=False),  # A, B, C, D (CMS's RVUyyX)
    Column("effective_from", Date, nullable=False),
    Column("conv_factor_x10000", BigInteger, nullable=False),
    Column("cf_source", String(16), nullable=False),  # rvu_file | given (--cf)
    Column("files", Text, nullable=False),  # canonical JSON: name -> SHA-256
    Column("sha256", String(64), nullable=False),  # of the files, year, release, CF, date
    Column("imported_at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    UniqueConstraint("year", "release", name="uq_cms_pfs_releases_year_release"),
)

cms_pfs_rvus = Table(
    "cms_pfs_rvus",
    metadata,
    Column("release_id", Integer, ForeignKey("cms_pfs_releases.release_id"), nullable=False),
    Column("procedure_code", String(5), nullable=False),
    Column("modifier", String(2), nullable=False),
    Column("status_code", String(1), nullable=False),
    Column("work_rvu_x100", BigInteger, nullable=False),
    Column("nonfac_pe_rvu_x100", BigInteger, nullable=False),
    Column("fac_pe_rvu_x100", BigInteger, nullable=False),
    Column("mp_rvu_x100", BigInteger, nullable=False),
    Column("nonfac_na", Boolean, nullable=False),
    Column("pctc_ind", String(1)),
    Column("glob_days", String(3)),
    Column("mult_proc", String(1)),
    Column("bilat_surg", String(1)),
    Column("asst_surg", String(1)),
    Column("co_surg", String(1)),
    Column("endo_base", String(5)),
    PrimaryKeyConstraint("release_id", "procedure_code", "modifier"),
)

cms_pfs_gpcis = Table(
    "cms_pfs_gpcis",
    metadata,
    Column("release_id", Integer, ForeignKey("cms_pfs_releases.release_id"), nullable=False),
    Column("locality", String(8), nullable=False),  # MAC-locality, e.g. 04412-11
    Column("state", String(2)),
    Column("locality_name", String(200)),
    Column("pw_gpci_x1000", BigInteger, nullable=False),
    Column("pe_gpci_x1000", BigInteger, nullable=False),
    Column("mp_gpci_x1000", BigInteger, nullable=False),
    PrimaryKeyConstraint("release_id", "locality"),
)

# The release's county list (yyLOCCO: which locality a county is in; ``kind`` named, all,
# rest, except; ``complete`` False where CMS's TXT cut the list) and anesthesia conversion
# factors (ANESyyyy). A release imported without those files has no rows here.
cms_pfs_counties = Table(
    "cms_pfs_counties",
    metadata,
    Column("release_id", Integer, ForeignKey("cms_pfs_releases.release_id"), nullable=False),
    Column("locality", String(8), nullable=False),
    Column("state", String(2), nullable=False),  # USPS code; '*' = not known (a cut row)
    Column("kind", String(8), nullable=False),
    Column("county", String(64), nullable=False),  # '' for all and rest
    Column("complete", Boolean, nullable=False),
    PrimaryKeyConstraint("release_id", "state", "kind", "county", "locality"),
)

cms_pfs_anesthesia = Table(
    "cms_pfs_anesthesia",
    metadata,
    Column("release_id", Integer, ForeignKey("cms_pfs_releases.release_id"), nullable=False),
    Column("locality", String(8), nullable=False),
    Column("locality_name", String(200)),
    Column("anes_cf_x10000", BigInteger, nullable=False),
    PrimaryKeyConstraint("release_id", "locality"),
)

# --- coding suggestions (issue 14, docs/coding.md) ---------------------------------------
# What the documentation of an encounter supports against what was billed. A row is never
# deleted: ``payeropt suggest`` adds what is new, leaves what it finds again as it is, and
# withdraws an open suggestion the documentation or the billed lines no longer support;
# accepted and rejected ones are the clinician's and never change.
suggestions = _numbered_table(
    "suggestions",
    "suggestion_id",
    Column("claim_id", String(64), nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("kind", String(24), nullable=False),  # em_level | icd10_specificity | modifier
    Column("original_code", String(40), nullable=False),  # '' = none billed
    Column("suggested_code", String(40), nullable=False),  # '' = remove
    Column("units", Integer, nullable=False),
    Column("direction", String(8), nullable=False),  # up | down | none
    Column("support", Text, nullable=False),
    Column("is_compliant", Boolean, nullable=False),
    Column("rule_id", String(64), nullable=False, server_default=""),
    # Of the billed line, kept so the monitors need no join: month and clinician.
    Column("date_of_service", Date, nullable=False),
    Column("rendering_npi", String(10)),
    Column("status", String(10), nullable=False),  # open | accepted | rejected | withdrawn
    Column("created_at", String(32), nullable=False),
    Column("decided_at", String(32)),
    Column("decided_by", String(200)),
    Column("decided_role", String(32)),
    Column("reason", Text),
    UniqueConstraint(
        "org_id",
        "claim_id",
        "line_number",
        "kind",
        "original_code",
        "suggested_code",
        "units",
        name="uq_suggestions_org_claim_line_kind_codes",
    ),  # fmt: skip
    Index("ix_suggestions_org_status", "org_id", "status"),
)

# A question for the clinician where the documentation does not select one code (an
# unspecified diagnosis with laterality not documented, a code set not loaded for the
# date of service). Same life as a suggestion: open until answered or withdrawn.
coding_queries = _numbered_table(
    "coding_queries",
    "query_id",
    Column("claim_id", String(64), nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("original_code", String(40), nullable=False),
    Column("date_of_service", Date, nullable=False),
    Column("rendering_npi", String(10)),
    Column("candidates", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("status", String(10), nullable=False),  # open | withdrawn
    Column("created_at", String(32), nullable=False),
    Column("closed_at", String(32)),
    UniqueConstraint(
        "org_id",
        "claim_id",
        "line_number",
        "original_code",
        "reason",
        name="uq_coding_queries_org_claim_line_code_reason",
    ),  # fmt: skip
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


# --- remittances (835) ------------------------------------------------------------------
# One posted file; a file is refused whole, so a row here means every transaction in it
# was posted or recognized as already posted.
remit_files = _numbered_table(
    "remit_files",
    "remit_file_id",
    *_received_file("posted_at"),
    Column("transactions", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    UniqueConstraint("org_id", "sha256", name="uq_remit_files_org_sha256"),
)

# One 835 transaction (ST..SE): one payment (check or EFT) from one payer.
remittances = _numbered_table(
    "remittances",
    "remit_id",
    Column("remit_file_id", Integer, nullable=False),
    Column("isa_sender_id", String(64), nullable=False),
    Column("isa_control", String(16), nullable=False),
    Column("st_control", String(16), nullable=False),
    Column("version", String(16)),
    Column("handling", String(2)),
    Column("total_paid_cents", BigInteger, nullable=False),
    Column("credit_debit", String(2)),
    Column("payment_method", String(3)),
    Column("payment_date", Date),
    Column("trace_number", String(64), nullable=False),
    Column("trace_payer_id", String(64)),
    Column("production_date", Date),
    Column("payer_name", String(200)),
    Column("payer_id_835", String(64)),
    Column("payer_ref_2u", String(64)),
    Column("payee_name", String(200)),
    Column("payee_id", String(64)),
    Column("payer_id", String(64)),  # the practice's payer, via payer_aliases; NULL = unknown
    Column("remit_date", Date, nullable=False),  # payment date, else production date, else post
    Column("balanced", Boolean, nullable=False),
    # What identifies a payment for idempotency: sender, ISA13, TRN02 and the payer key.
    Column("payment_key", String(300), nullable=False),
    UniqueConstraint("org_id", "payment_key", name="uq_remittances_org_payment_key"),
)

remit_claims = _practice_table(
    "remit_claims",
    *_in_remit("claim_seq"),
    Column("claim_id", String(64), nullable=False),
    Column("status", String(4), nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("paid_cents", BigInteger, nullable=False),
    Column("patient_resp_cents", BigInteger),
    *_clp_as_sent(),
    # NM1*QC: kept to match claims by hand, never shown in reports.
    Column("patient_last", String(100)),
    Column("patient_first", String(100)),
    Column("patient_member_id", String(64)),
    Column("statement_from", Date),
    Column("statement_to", Date),
    Column("matched", Boolean, nullable=False),  # CLP01 is one of the practice's claims
    Column("is_reversal", Boolean, nullable=False),  # CLP02 = 22
    # Set on a posting that a later reversal cancelled: it no longer counts.
    Column("reversed_by_remit_id", Integer),
    PrimaryKeyConstraint("org_id", "remit_id", "claim_seq"),
    Index("ix_remit_claims_org_claim", "org_id", "claim_id"),
)

remit_lines = _practice_table(
    "remit_lines",
    *_in_remit("claim_seq", "line_seq"),
    Column("claim_id", String(64), nullable=False),
    Column("procedure_code", String(48)),
    Column("modifiers", String(11), nullable=False, default=""),
    Column("charge_cents", BigInteger, nullable=False),
    Column("paid_cents", BigInteger, nullable=False),
    Column("revenue_code", String(8)),
    Column("units_paid_x1000", BigInteger),
    Column("submitted_code", String(48)),
    Column("submitted_modifiers", String(11)),
    Column("original_units_x1000", BigInteger),
    Column("service_date", Date),
    Column("service_from", Date),  # DTM*150, matching's date when DTM*472 is absent
    Column("line_control_number", String(64)),
    Column("amt_b6_cents", BigInteger),  # AMT*B6 as sent
    Column("remark_codes", String(200)),
    Column("line_number", Integer),  # the matched charge line; NULL = unmatched
    Column("match_method", String(16)),  # ref_6r | code_date_order
    # Allowed = AMT*B6, else paid + patient responsibility + sequestration (CARC 253).
    Column("allowed_cents", BigInteger, nullable=False),
    Column("patient_resp_cents", BigInteger, nullable=False),
    Column("sequestration_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("org_id", "remit_id", "claim_seq", "line_seq"),
    Index("ix_remit_lines_org_claim", "org_id", "claim_id"),
)

remit_adjustments = _practice_table(
    "remit_adjustments",
    *_in_remit("claim_seq", "line_seq", "adj_seq"),  # line_seq -1 = claim level
    Column("group_code", String(2), nullable=False),
    Column("reason", String(8), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("quantity", String(32)),
    PrimaryKeyConstraint("org_id", "remit_id", "claim_seq", "line_seq", "adj_seq"),
)

remit_plb = _practice_table(
    "remit_plb",
    *_in_remit("plb_seq"),
    Column("provider_id", String(64)),
    Column("fiscal_period_date", Date),
    Column("reason", String(8), nullable=False),
    Column("reference", String(64)),
    Column("amount_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("org_id", "remit_id", "plb_seq"),
)

# What posting noticed: unbalanced amounts, unmatched claims and lines, unknown payers.
remit_problems = _practice_table(
    "remit_problems",
    *_in_remit("problem_seq"),
    Column("kind", String(24), nullable=False),  # unbalanced|unmatched_claim|unmatched_line|...
    Column("level", String(12), nullable=False),  # transaction|claim|line
    Column("claim_seq", Integer),
    Column("line_seq", Integer),
    Column("claim_id", String(64)),
    Column("expected_cents", BigInteger),
    Column("actual_cents", BigInteger),
    Column("message", String(500), nullable=False),
    PrimaryKeyConstraint("org_id", "remit_id", "problem_seq"),
)

# A remitted line compared with its contract: under-paid, over-paid or no rate on file.
findings = _practice_table(
    "findings",
    *_in_remit("claim_seq", "line_seq"),
    Column("kind", String(12), nullable=False),  # underpaid | overpaid | no_rate
    Column("claim_id", String(64), nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("procedure_code", String(5), nullable=False),
    Column("date_of_service", Date, nullable=False),
    Column("units", Integer, nullable=False),
    Column("expected_cents", BigInteger),
    Column("allowed_cents", BigInteger, nullable=False),
    Column("variance_cents", BigInteger),  # allowed - expected (negative = under-paid)
    Column("cause", String(40), nullable=False),
    Column("evidence", String(500), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("task_id", Integer),
    Column("void", Boolean, nullable=False),  # its posting was reversed
    PrimaryKeyConstraint("org_id", "remit_id", "claim_seq", "line_seq"),
)

denials = _practice_table(
    "denials",
    *_in_remit("claim_seq", "line_seq"),  # line_seq -1 = whole claim
    Column("claim_id", String(64), nullable=False),
    Column("line_number", Integer),
    Column("payer_id", String(64)),
    Column("procedure_code", String(48)),
    Column("date_of_service", Date),
    Column("denial_class", String(16), nullable=False),  # denied | bundled
    Column("group_code", String(2)),
    Column("carc", String(8)),  # the largest non-PR reason
    Column("carcs", String(200), nullable=False),  # every group-reason, e.g. CO-97;PR-1
    Column("rarcs", String(200)),
    Column("charge_cents", BigInteger, nullable=False),
    Column("remit_date", Date, nullable=False),
    Column("void", Boolean, nullable=False),
    PrimaryKeyConstraint("org_id", "remit_id", "claim_seq", "line_seq"),
)

tasks = _numbered_table(
    "tasks",
    "task_id",
    Column("claim_id", String(64), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("remit_id", Integer, nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("remit_date", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    # open | in_progress | appealed | recovered | written_off | withdrawn (tasks.STATES)
    Column("state", String(16), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),  # at stake: Σ expected − allowed
    Column("recovered_cents", BigInteger, nullable=False, default=0),
    Column("cause", String(40), nullable=False),
    Column("lines", Integer, nullable=False),
    Column("closed_at", String(32)),
    Index("ix_tasks_org_claim", "org_id", "claim_id"),
)

task_events = _practice_table(
    "task_events",
    Column("task_id", Integer, nullable=False),
    Column("event_seq", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16), nullable=False),
    Column("amount_cents", BigInteger),
    Column("note", String(500)),
    PrimaryKeyConstraint("org_id", "task_id", "event_seq"),
)

REMIT_TABLES = (
    remittances,
    remit_claims,
    remit_lines,
    remit_adjustments,
    remit_plb,
    remit_problems,
    findings,
    denials,
    tasks,
    task_events,
)
