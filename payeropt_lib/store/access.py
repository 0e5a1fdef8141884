"""Roles and the permission matrix; the one gate every verb passes through.

``authorize`` checks, in order: the role exists, the role may do the action, the org
exists, and (for analytic actions) the org has opted in. A refusal by role or opt-in is
written to the org's audit trail before the error is raised. The matrix is documented
in docs/roles.md; a test keeps the two in step.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, Engine, select

from payeropt_lib.errors import (
    MissingIdentity,
    NotOptedIn,
    PayeroptError,
    PermissionDenied,
    UnknownOrg,
    UnknownRole,
)

from . import audit, tables

logger = logging.getLogger(__name__)

ROLES = ("owner", "billing_manager", "practice_manager", "clinician", "analyst")

OWNER = ("owner",)
BILLING = ("owner", "billing_manager")
OFFICE = ("owner", "billing_manager", "practice_manager")
EVERYONE = ROLES

# action -> roles that may do it. Analytic actions also need the org opted in.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "practice.create": ("owner", "practice_manager"),
    "opt_in": OWNER,
    "opt_out": OWNER,
    "import.contracts": BILLING,
    "import.fee-schedules": BILLING,
    "import.rules": BILLING,
    "rules.approve": BILLING,
    "rules.view": EVERYONE,  # the payer's rules hold no patient or claim
    "import.ncci": BILLING,
    # The lines that break a rule carry claim numbers (as the worklists do).
    "rules.check_claims": OFFICE,
    # The pre-visit checklist: appointment ids and what to have ready, no patient or money.
    "rules.checklist": ("owner", "billing_manager", "practice_manager", "clinician"),
    "import.medicare-fees": ("owner", "billing_manager", "analyst"),
    # CMS's fee library, shared by every practice (reference data, no patient or claim).
    "import.cms-pfs": ("owner", "billing_manager", "analyst"),
    "cms_pfs.verify": EVERYONE,
    "cms_pfs.view": EVERYONE,  # a county's locality, a locality's anesthesia factor
    "import.charges": OFFICE,
    "import.claims": OFFICE,
    "import.transactions": OFFICE,
    "import.appointments": OFFICE,
    "import.era": OFFICE,
    "reprocess": OFFICE,  # evaluate posted 835s again on today's charges, rates and aliases
    "import.encounters": ("owner", "billing_manager", "clinician"),
    # Coding suggestions (docs/coding.md): each names a claim, so not the analyst; a
    # clinician or the billing office decides; the money is shown to owner and billing.
    "coding.suggest": ("owner", "billing_manager", "clinician"),
    "coding.view": ("owner", "billing_manager", "practice_manager", "clinician"),
    "coding.decide": ("owner", "billing_manager", "clinician"),
    "coding.payment_impact": BILLING,
    "coding.monitors": ("owner", "billing_manager", "practice_manager", "clinician"),
    # Receivable reconciliation and the Medicare check (docs/reconciliation.md): payer
    # money by month, aggregates only (no claim, no patient); not the clinician.
    "reconciliation.view": ("owner", "billing_manager", "practice_manager", "analyst"),
    # The first-day data quality checks (docs/data_quality.md): counts and charges by payer
    # and code, no claim or patient; not the clinician.
    "data_quality.view": ("owner", "billing_manager", "practice_manager", "analyst"),
    # The payment audit's sample names claims, as the worklists do (docs/payment_audit.md).
    "reconciliation.payment_audit": OFFICE,
    "report.run": EVERYONE,
    "worklist.view": OFFICE,  # underpayments / tasks exports carry claim numbers
    "tasks.update": OFFICE,  # practice managers work the follow-up lists (docs/roles.md)
    "remits.view": ("owner", "billing_manager", "practice_manager", "analyst"),
    "audit.search": OFFICE,
    "audit.search_patient": BILLING,
    "audit.verify": ("owner", "billing_manager", "practice_manager", "analyst"),
    "audit.anchor": OFFICE,  # signs the chain's head for safekeeping (docs/audit.md)
    "demo": EVERYONE,
}

# Actions allowed before the owner opts in: setting up, opting in or out, and reading
# the audit trail (an owner must be able to see who did what, opted in or not).
NO_OPT_IN_NEEDED = frozenset(
    {
        "practice.create",
        "opt_in",
        "opt_out",
        "audit.search",
        "audit.search_patient",
        "audit.verify",
        "audit.anchor",
        "demo",
        "import.cms-pfs",  # shared reference data: no practice to opt in
        "cms_pfs.verify",
        "cms_pfs.view",
    }
)


@dataclass(frozen=True)
class Identity:
    """Who is acting: the actor's name and the role they act in."""

    actor: str
    role: str

    @classmethod
    def of(cls, actor: str | None, role: str | None) -> Identity:
        if not actor:
            raise MissingIdentity("actor")
        if not role:
            raise MissingIdentity("role")
        if role not in ROLES:
            raise UnknownRole(role, ROLES)
        return cls(actor, role)


def may(role: str, action: str) -> bool:
    return role in PERMISSIONS[action]


def authorize(engine: Engine, org_id: str, who: Identity, action: str, target: str = "") -> None:
    """Refuse (and audit the refusal) unless ``who`` may do ``action`` on ``org_id`` now."""
    allowed = PERMISSIONS[action]
    with engine.connect() as conn:
        org = conn.execute(
            select(tables.orgs.c.opted_in).where(tables.orgs.c.org_id == org_id)
        ).one_or_none()
        if org is None:
            raise unknown_org(conn, org_id)
    refusal: PayeroptError | None = None
    if who.role not in allowed:
        refusal = PermissionDenied(who.role, action, allowed)
    elif action not in NO_OPT_IN_NEEDED and not org.opted_in:
        refusal = NotOptedIn(org_id, action)
    if refusal is not None:
        details = {"reason": str(refusal), "error": type(refusal).__name__}
        audit_refusal(engine, org_id, who, action, target, details)
        logger.info("refused %s for %s/%s on %s", action, who.actor, who.role, org_id)
        raise refusal


def unknown_org(conn: Connection, org_id: str) -> UnknownOrg:
    """The error for a practice key not on file, suggesting the nearest key that is (one
    typo away: 'demo-practce' → 'demo-practice'). The one place a missing practice is
    named: ``orgs`` imports this module, so the helper lives here rather than there."""
    known = conn.execute(
        select(tables.orgs.c.org_id).where(tables.orgs.c.org_id != tables.SYSTEM_ORG)
    ).scalars()
    close = difflib.get_close_matches(org_id, list(known), n=1, cutoff=0.8)
    return UnknownOrg(org_id, close[0] if close else "")


def authorize_shared(engine: Engine, who: Identity, action: str, target: str = "") -> None:
    """Refuse (and audit the refusal in the system trail) unless ``who``'s role may do
    ``action`` on data no practice owns (CMS's fee library): the role alone decides."""
    allowed = PERMISSIONS[action]
    if who.role not in allowed:
        refusal = PermissionDenied(who.role, action, allowed)
        details = {"reason": str(refusal), "error": type(refusal).__name__}
        audit_refusal(engine, tables.SYSTEM_ORG, who, action, target, details)
        raise refusal


def audit_action(
    conn: Connection, org_id: str, who: Identity, action: str, target: str = "", **entry
) -> int:
    """Audit ``action`` done by ``who`` inside the caller's transaction (``entry``: the
    other fields of ``audit.record``); returns the entry's seq."""
    return audit.record(conn, org_id, **asdict(who), action=action, target=target, **entry)


def audit_actions(
    conn: Connection, org_id: str, who: Identity, actions: list[tuple[str, str, dict]]
) -> list[int]:
    """Audit many actions done by ``who`` at once, in order: (action, target, details)
    each, one entry each (``audit.record_many``); returns their seqs."""
    person = asdict(who)
    entries = [
        {**person, "action": action, "target": target, "details": details}
        for action, target, details in actions
    ]
    return audit.record_many(conn, org_id, entries)


def audit_refusal(
    engine: Engine, org_id: str, who: Identity, action: str, target: str, details: dict
) -> None:
    """Audit the refusal of ``action`` to ``who``, in a transaction of its own."""
    audit.record_refusal(
        engine, org_id, **asdict(who), action=action, target=target, details=details
    )
