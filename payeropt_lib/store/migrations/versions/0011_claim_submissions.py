"""837P claim submissions and their lines: every claim of every imported 837P file, from
which the claim's charge lines are derived (issue 16)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _org(table: str) -> tuple[sa.Column, sa.ForeignKeyConstraint]:
    return (
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.org_id"], name=op.f(f"fk_{table}_org_id_orgs")),
    )


def upgrade() -> None:
    org, fk = _org("claim_submissions")
    op.create_table(
        "claim_submissions",
        org,
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("claim_seq", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=1), nullable=False),
        sa.Column("original_ref", sa.String(length=64), nullable=True),
        sa.Column("responsibility", sa.String(length=1), nullable=False),
        sa.Column("filing_indicator", sa.String(length=3), nullable=True),
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("other_payer_id", sa.String(length=64), nullable=True),
        sa.Column("prior_paid_cents", sa.BigInteger(), nullable=True),
        sa.Column("prior_adjustments", sa.String(length=500), nullable=True),
        sa.Column("total_charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("submitted_date", sa.Date(), nullable=False),
        sa.Column("submitted_time", sa.String(length=8), nullable=False),
        sa.Column("isa_control", sa.String(length=16), nullable=False),
        sa.Column("st_control", sa.String(length=16), nullable=False),
        fk,
        sa.PrimaryKeyConstraint(
            "org_id", "import_id", "claim_seq", name=op.f("pk_claim_submissions")
        ),
    )
    op.create_index("ix_claim_submissions_org_claim", "claim_submissions", ["org_id", "claim_id"])
    org, fk = _org("claim_submission_lines")
    op.create_table(
        "claim_submission_lines",
        org,
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("claim_seq", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("line_control_number", sa.String(length=64), nullable=True),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column("modifiers", sa.String(length=11), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("place_of_service", sa.String(length=2), nullable=True),
        sa.Column("rendering_npi", sa.String(length=10), nullable=True),
        sa.Column("diagnosis_codes", sa.String(length=200), nullable=True),
        sa.Column("prior_paid_cents", sa.BigInteger(), nullable=True),
        sa.Column("prior_adjustments", sa.String(length=500), nullable=True),
        fk,
        sa.PrimaryKeyConstraint(
            "org_id", "import_id", "claim_seq", "line_number",
            name=op.f("pk_claim_submission_lines"),
        ),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("claim_submission_lines")
    op.drop_index("ix_claim_submissions_org_claim", table_name="claim_submissions")
    op.drop_table("claim_submissions")
