"""keyed audit chain: audit_log.scheme and key_id; each older trail sealed (issue 13, item 5)

Entries already on file keep their plain SHA-256 hash (scheme ``sha256``): rewriting them
would erase the evidence they are. Each practice whose trail has entries gets one keyed
entry, ``audit.keyed``, that links to its last one: from then on the old entries cannot
change without breaking a hash only the key can make, and every trail ends keyed, which
is what ``verify`` holds a trail re-hashed without the key to (docs/audit.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

Numbered 0007: 0006 (charges.submitted_date) was written at the same time on another
branch, and this revision follows it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: SQLite's batch mode copies the table, and the copy
    # would lose the append-only triggers.
    op.add_column(
        "audit_log",
        sa.Column("scheme", sa.String(length=16), nullable=False, server_default="sha256"),
    )
    op.add_column("audit_log", sa.Column("key_id", sa.String(length=16), nullable=True))
    _seal_older_trails()


def _seal_older_trails() -> None:
    """One keyed ``audit.keyed`` entry at the end of every trail that has entries (the key
    is made here when there is none: this is its first use)."""
    from payeropt_lib.store import audit, audit_key

    conn = op.get_bind()
    orgs = sa.table("orgs", sa.column("org_id"), sa.column("audit_seq"), sa.column("audit_head"))
    log = sa.table("audit_log", sa.column("org_id"), *(sa.column(c) for c in audit.COLUMNS))
    heads = conn.execute(
        sa.select(orgs.c.org_id, orgs.c.audit_seq, orgs.c.audit_head)
        .where(orgs.c.audit_seq > 0)
        .order_by(orgs.c.org_id)
    ).all()
    if not heads:
        return
    key = audit_key.load_or_create()
    for org_id, seq, head in heads:
        entry = {
            "seq": int(seq) + 1,
            "at": audit.utc_now(),
            "actor": "payeropt",
            "role": "system",
            "action": "audit.keyed",
            "target": org_id,
            "outcome": "ok",
            "details": audit.canonical_json({"migration": revision, "sealed_seq": int(seq)}),
            "patient_id": None,
            "prev_hash": head,
            "scheme": audit.HMAC,
            "key_id": key.key_id,
        }
        entry["hash"] = audit.keyed_hash(key, org_id, entry)
        conn.execute(log.insert().values(org_id=org_id, **entry))
        conn.execute(
            orgs.update()
            .where(orgs.c.org_id == org_id)
            .values(audit_seq=entry["seq"], audit_head=entry["hash"])
        )


def downgrade() -> None:
    # The seals stay (the trail is append-only); the code of 0005 reads them as entries
    # whose hash it cannot check, which is the truth.
    with op.batch_alter_table("audit_log", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("key_id")
        batch_op.drop_column("scheme")
