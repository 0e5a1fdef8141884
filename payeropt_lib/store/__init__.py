"""The store: where a practice's data lives, who may touch it, and the record of who did.

Owns the engine per URL and its migrations (``database``), the table definitions
(``tables``, ``migrations/``), practices and opt-in (``orgs``), roles and the permission
matrix (``access``) and the audit trail: its keyed hash chain (``audit``), the key kept
outside the database (``audit_key``), signed anchors of its head (``anchors``), and its
searches, verification and anchoring as people run them (``trail``).
May import: the kernel (``errors``, ``config``, ``formats``, ``money``,
``periods``); nothing else of payeropt.
The frame reads and bulk writes every stage uses are re-exported here.
"""

from payeropt_lib.store.database import (
    bulk_insert,
    count_rows,
    current_revision,
    dispose_all,
    engine_for,
    head_revision,
    insert_rows,
    normalize_url,
    pairs_in,
    read_frame,
    read_in,
    read_pairs,
    read_staged,
    redact,
    reserve_ids,
    upgrade,
    writing,
)

__all__ = [
    "bulk_insert",
    "count_rows",
    "current_revision",
    "dispose_all",
    "engine_for",
    "head_revision",
    "insert_rows",
    "normalize_url",
    "pairs_in",
    "read_frame",
    "read_in",
    "read_pairs",
    "read_staged",
    "redact",
    "reserve_ids",
    "upgrade",
    "writing",
]
