"""The demo practice's payer rules: a reviewed set of its own payers' rules (2026 Q3), a
small sample of CMS's NCCI edits for Medicare, and the Q4 quarterly update with changes,
one update rejected and one left for review (``data/demo/rules``, ``data/demo/ncci``).

Imported by the demo's owner and approved by its billing manager (nobody approves what
they imported), so the packet's "Payer rules" page and ``payeropt check`` have real
states, versions and findings to show. Idempotent, as every import is.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from payeropt_lib import config
from payeropt_lib.rules import repository
from payeropt_lib.store.access import Identity

RULES_DIR = config.DATA_DIR / "demo" / "rules"
NCCI_DIR = config.DATA_DIR / "demo" / "ncci"
REVIEWER = Identity("demo-billing-manager", "billing_manager")
# The Q4 update as the billing manager left it: one draft misread the payer's bulletin,
# one waits for the contract it refers to.
REJECTED = {"GCC-PA-ALL-EM": "The GCC bulletin is about home visits, not office visits"}
HELD = ("MGAP-SPECIALIST-REFERRAL",)


def load_rules(
    engine: Engine, org_id: str, importer: Identity, progress: Callable[[str], None] | None
) -> None:
    """Import and review the demo's rules (module docstring)."""
    base = repository.import_rules(engine, org_id, [RULES_DIR / "2026Q3"], importer)
    if base.drafts:
        repository.approve(engine, org_id, REVIEWER, import_id=base.import_id)
    for path in sorted(NCCI_DIR.iterdir()):
        edits = repository.import_ncci(engine, org_id, path, "MCR", importer, "2026Q3")
        if edits.drafts:
            repository.approve(engine, org_id, REVIEWER, import_id=edits.import_id)
    update = repository.import_rules(engine, org_id, [RULES_DIR / "2026Q4"], importer)
    if update.drafts:
        drafts = repository.list_rules(engine, org_id, state="draft")
        for rule_id in drafts.loc[drafts["import_id"].eq(update.import_id), "rule_id"]:
            if rule_id in REJECTED:
                repository.reject(engine, org_id, REVIEWER, rule_id, REJECTED[rule_id])
            elif rule_id not in HELD:
                repository.approve(engine, org_id, REVIEWER, rule_id=rule_id)
    if progress:
        listed = repository.list_rules(engine, org_id)
        states = listed["state"].value_counts().to_dict()
        progress(f"payer rules: {len(listed)} versions ({states})")
