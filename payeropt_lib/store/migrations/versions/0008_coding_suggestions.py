"""coding suggestions and clinician queries (issue 14), and CMS's GLOB DAYS on
medicare_fees (a minor procedure, 000 or 010, is what modifier 25 is about)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _numbered(key: str) -> list[sa.Column]:
    return [
        sa.Column(key, sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
    ]


def upgrade() -> None:
    # Rows on file before this revision: global period not known (blank), so no modifier
    # 25 suggestion rests on them until the Medicare fees are imported again.
    with op.batch_alter_table("medicare_fees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("glob_days", sa.String(length=3), nullable=True))
    op.create_table(
        "suggestions",
        *_numbered("suggestion_id"),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("original_code", sa.String(length=40), nullable=False),
        sa.Column("suggested_code", sa.String(length=40), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("support", sa.Text(), nullable=False),
        sa.Column("is_compliant", sa.Boolean(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("rendering_npi", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("decided_at", sa.String(length=32), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_role", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.org_id"], name=op.f("fk_suggestions_org_id_orgs")
        ),
        sa.PrimaryKeyConstraint("suggestion_id", name=op.f("pk_suggestions")),
        sa.UniqueConstraint(
            "org_id",
            "claim_id",
            "line_number",
            "kind",
            "original_code",
            "suggested_code",
            "units",
            name="uq_suggestions_org_claim_line_kind_codes",
        ),  # fmt: skip
    )
    op.create_index("ix_suggestions_org_status", "suggestions", ["org_id", "status"])
    op.create_table(
        "coding_queries",
        *_numbered("query_id"),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("original_code", sa.String(length=40), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("rendering_npi", sa.String(length=10), nullable=True),
        sa.Column("candidates", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("closed_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.org_id"], name=op.f("fk_coding_queries_org_id_orgs")
        ),
        sa.PrimaryKeyConstraint("query_id", name=op.f("pk_coding_queries")),
        sa.UniqueConstraint(
            "org_id",
            "claim_id",
            "line_number",
            "original_code",
            "reason",
            name="uq_coding_queries_org_claim_line_code_reason",
        ),  # fmt: skip
    )


def downgrade() -> None:
    op.drop_table("coding_queries")
    op.drop_index("ix_suggestions_org_status", table_name="suggestions")
    op.drop_table("suggestions")
    with op.batch_alter_table("medicare_fees", schema=None) as batch_op:
        batch_op.drop_column("glob_days")
