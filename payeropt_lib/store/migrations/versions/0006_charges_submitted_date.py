"""charges.submitted_date: when the claim went to the payer (issue 13; interface section 1),
read by timely-filing rules (days_to_filing)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Lines on file before this revision: not known to have been submitted (blank), so a
    # timely-filing rule counts them to the day of the check, as the interface says.
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.drop_column("submitted_date")
