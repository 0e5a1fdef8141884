"""payment rules: contracts.payment_rules and Medicare's bilateral, assistant, co-surgeon
and endoscopic-base indicators on medicare_fees (issue 11, item 7)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Contracts on file before this revision keep their meaning: only their own terms.
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "payment_rules", sa.String(length=8), nullable=False, server_default="contract"
            )
        )
    with op.batch_alter_table("medicare_fees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bilat_surg", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("asst_surg", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("co_surg", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("endo_base", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("medicare_fees", schema=None) as batch_op:
        batch_op.drop_column("endo_base")
        batch_op.drop_column("co_surg")
        batch_op.drop_column("asst_surg")
        batch_op.drop_column("bilat_surg")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_column("payment_rules")
