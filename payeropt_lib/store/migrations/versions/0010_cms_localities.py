"""the CMS fee library's county list and anesthesia conversion factors (shared, no
practice key, like 0009), and contracts.medicare_year (a contract frozen at a year's
Medicare rates) (issue 15)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _release(table: str) -> tuple[sa.Column, sa.ForeignKeyConstraint]:
    return (
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["cms_pfs_releases.release_id"],
            name=op.f(f"fk_{table}_release_id_cms_pfs_releases"),
        ),
    )  # fmt: skip


def upgrade() -> None:
    column, fk = _release("cms_pfs_counties")
    op.create_table(
        "cms_pfs_counties",
        column,
        sa.Column("locality", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("county", sa.String(length=64), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        fk,
        sa.PrimaryKeyConstraint(
            "release_id", "state", "kind", "county", "locality", name=op.f("pk_cms_pfs_counties")
        ),
    )
    column, fk = _release("cms_pfs_anesthesia")
    op.create_table(
        "cms_pfs_anesthesia",
        column,
        sa.Column("locality", sa.String(length=8), nullable=False),
        sa.Column("locality_name", sa.String(length=200), nullable=True),
        sa.Column("anes_cf_x10000", sa.BigInteger(), nullable=False),
        fk,
        sa.PrimaryKeyConstraint("release_id", "locality", name=op.f("pk_cms_pfs_anesthesia")),
    )
    # Contracts on file keep their meaning: priced by the schedule of the date of service.
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("medicare_year", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_column("medicare_year")
    op.drop_table("cms_pfs_anesthesia")
    op.drop_table("cms_pfs_counties")
