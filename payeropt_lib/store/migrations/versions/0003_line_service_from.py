"""remit_lines.service_from: the 835's service period start (DTM*150)

Matching dates a line by its service date (DTM*472), else this, else the claim's statement
date; a posted line is evaluated again after late charges, rates or aliases
(``remittances.reevaluation``) from what is stored, so the start date is stored too.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("remit_lines") as batch:
        batch.add_column(sa.Column("service_from", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("remit_lines") as batch:
        batch.drop_column("service_from")
