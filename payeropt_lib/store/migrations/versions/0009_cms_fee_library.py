"""the CMS fee library (issue 15): Physician Fee Schedule releases with their RVUs and
GPCIs, shared by every practice

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _release_id() -> sa.Column:
    return sa.Column("release_id", sa.Integer(), nullable=False)


def _release_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["release_id"], ["cms_pfs_releases.release_id"],
        name=op.f(f"fk_{table}_release_id_cms_pfs_releases"),
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "cms_pfs_releases",
        sa.Column("release_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("release", sa.String(length=1), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("conv_factor_x10000", sa.BigInteger(), nullable=False),
        sa.Column("cf_source", sa.String(length=16), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_cms_pfs_releases")),
        sa.UniqueConstraint("year", "release", name="uq_cms_pfs_releases_year_release"),
    )
    op.create_table(
        "cms_pfs_rvus",
        _release_id(),
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column("modifier", sa.String(length=2), nullable=False),
        sa.Column("status_code", sa.String(length=1), nullable=False),
        sa.Column("work_rvu_x100", sa.BigInteger(), nullable=False),
        sa.Column("nonfac_pe_rvu_x100", sa.BigInteger(), nullable=False),
        sa.Column("fac_pe_rvu_x100", sa.BigInteger(), nullable=False),
        sa.Column("mp_rvu_x100", sa.BigInteger(), nullable=False),
        sa.Column("nonfac_na", sa.Boolean(), nullable=False),
        *(
            sa.Column(name, sa.String(length=n), nullable=True)
            for name, n in (
                ("pctc_ind", 1),
                ("glob_days", 3),
                ("mult_proc", 1),
                ("bilat_surg", 1),
                ("asst_surg", 1),
                ("co_surg", 1),
                ("endo_base", 5),
            )
        ),  # fmt: skip
        _release_fk("cms_pfs_rvus"),
        sa.PrimaryKeyConstraint(
            "release_id", "procedure_code", "modifier", name=op.f("pk_cms_pfs_rvus")
        ),
    )
    op.create_table(
        "cms_pfs_gpcis",
        _release_id(),
        sa.Column("locality", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("locality_name", sa.String(length=200), nullable=True),
        sa.Column("pw_gpci_x1000", sa.BigInteger(), nullable=False),
        sa.Column("pe_gpci_x1000", sa.BigInteger(), nullable=False),
        sa.Column("mp_gpci_x1000", sa.BigInteger(), nullable=False),
        _release_fk("cms_pfs_gpcis"),
        sa.PrimaryKeyConstraint("release_id", "locality", name=op.f("pk_cms_pfs_gpcis")),
    )


def downgrade() -> None:
    op.drop_table("cms_pfs_gpcis")
    op.drop_table("cms_pfs_rvus")
    op.drop_table("cms_pfs_releases")
