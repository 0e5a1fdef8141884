"""claim_submissions keyed by claim first: one B-tree, (org_id, claim_id, import_id,
claim_seq), instead of a primary key by file position plus an index by claim (issue 16)

Every read of the table is by claim (a new file's claims, the claims billed by 837P), and
(import_id, claim_seq) stays unique inside the new key. One index fewer to maintain on
every row an 837P import writes: on PostgreSQL the second index was a quarter of the
table's COPY time.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_claim_submissions_org_claim", table_name="claim_submissions")
    with op.batch_alter_table("claim_submissions", schema=None) as batch_op:
        batch_op.drop_constraint("pk_claim_submissions", type_="primary")
        batch_op.create_primary_key(
            "pk_claim_submissions", ["org_id", "claim_id", "import_id", "claim_seq"]
        )


def downgrade() -> None:
    with op.batch_alter_table("claim_submissions", schema=None) as batch_op:
        batch_op.drop_constraint("pk_claim_submissions", type_="primary")
        batch_op.create_primary_key("pk_claim_submissions", ["org_id", "import_id", "claim_seq"])
    op.create_index("ix_claim_submissions_org_claim", "claim_submissions", ["org_id", "claim_id"])
