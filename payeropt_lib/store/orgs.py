"""Practices (orgs) and the owner's opt-in to Payer Optimization."""

from __future__ import annotations

import hashlib
import logging
import re

from sqlalchemy import Engine, insert, select, update

from payeropt_lib.config import DISCLOSURE_FILE
from payeropt_lib.errors import (
    BadLocality,
    BadOrgId,
    DisclosureNotAccepted,
    OrgExists,
    PermissionDenied,
)

from . import access, audit, tables
from .access import Identity
from .database import writing

logger = logging.getLogger(__name__)

ORG_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LOCALITY = re.compile(r"^\d{5}-\d{2}$")


def disclosure_text() -> str:
    return DISCLOSURE_FILE.read_text(encoding="utf-8")


def disclosure_sha256() -> str:
    """Identifies the exact text the owner accepted; stored with the opt-in."""
    return hashlib.sha256(DISCLOSURE_FILE.read_bytes()).hexdigest()


def get(engine: Engine, org_id: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(tables.orgs).where(tables.orgs.c.org_id == org_id)).mappings()
        found = row.one_or_none()
        if found is None:
            raise access.unknown_org(conn, org_id)
    return dict(found)


def list_orgs(engine: Engine, opted_in_only: bool = False) -> list[dict]:
    stmt = select(tables.orgs).where(tables.orgs.c.org_id != tables.SYSTEM_ORG)
    if opted_in_only:
        stmt = stmt.where(tables.orgs.c.opted_in.is_(True))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt.order_by(tables.orgs.c.org_id)).mappings()]


def create(
    engine: Engine, org_id: str, name: str, who: Identity, locality: str | None = None
) -> None:
    """Register a practice; it starts opted out. ``locality`` (e.g. 01112-05) is the
    practice's Medicare carrier-locality, stored on the org row (NULL when not given)."""
    if not ORG_ID.match(org_id) or org_id == tables.SYSTEM_ORG:
        raise BadOrgId(org_id)
    if locality is not None and not LOCALITY.match(locality):
        raise BadLocality(locality)
    allowed = access.PERMISSIONS["practice.create"]
    if who.role not in allowed:
        # The org does not exist yet, so the refusal goes to the system chain.
        refusal = PermissionDenied(who.role, "practice.create", allowed)
        details = {"reason": str(refusal)}
        access.audit_refusal(engine, tables.SYSTEM_ORG, who, "practice.create", org_id, details)
        raise refusal
    with writing(engine, org_id) as conn:
        exists = conn.execute(
            select(tables.orgs.c.org_id).where(tables.orgs.c.org_id == org_id)
        ).one_or_none()
        if exists is not None:
            raise OrgExists(org_id)
        conn.execute(
            insert(tables.orgs).values(
                org_id=org_id,
                name=name,
                locality=locality,
                created_at=audit.utc_now(),
                opted_in=False,
                audit_seq=0,
                audit_head=audit.GENESIS,
            )
        )
        details = {"name": name, **({"locality": locality} if locality else {})}
        access.audit_action(conn, org_id, who, "practice.create", org_id, details=details)


def opt_in(engine: Engine, org_id: str, who: Identity, accept_disclosure: bool) -> None:
    """The owner turns Payer Optimization on, accepting the disclosure text on file."""
    access.authorize(engine, org_id, who, "opt_in", target=org_id)
    if not accept_disclosure:
        raise DisclosureNotAccepted(org_id)
    digest = disclosure_sha256()
    with writing(engine, org_id) as conn:
        conn.execute(
            update(tables.orgs)
            .where(tables.orgs.c.org_id == org_id)
            .values(
                opted_in=True,
                opted_in_at=audit.utc_now(),
                opted_in_by=who.actor,
                disclosure_sha256=digest,
            )
        )
        details = {"disclosure_sha256": digest}
        access.audit_action(conn, org_id, who, "opt_in", org_id, details=details)


def opt_out(engine: Engine, org_id: str, who: Identity) -> None:
    """Stop all processing for the org; its data stays."""
    access.authorize(engine, org_id, who, "opt_out", target=org_id)
    with writing(engine, org_id) as conn:
        conn.execute(
            update(tables.orgs).where(tables.orgs.c.org_id == org_id).values(opted_in=False)
        )
        access.audit_action(conn, org_id, who, "opt_out", org_id)
