"""Roles, the permission matrix, and the opt-in gate; every refusal is audited."""

from __future__ import annotations

import re
import uuid

import pytest

from payeropt_lib import store
from payeropt_lib.errors import NotOptedIn, PermissionDenied
from payeropt_lib.inputs import imports
from payeropt_lib.store import access, audit, orgs, tables
from payeropt_lib.store.access import Identity
from tests.conftest import GOOD, OWNER, ROOT

ANALYST = Identity("ana", "analyst")
CLINICIAN = Identity("cal", "clinician")
MANAGER = Identity("max", "practice_manager")
BILLING = Identity("bea", "billing_manager")


def _refusals(engine, org_id):
    entries = audit.search(engine, org_id)
    return entries[entries["outcome"] == "refused"]


def test_role_refusal_is_explained_audited_and_stores_nothing(engine, org):
    with pytest.raises(PermissionDenied) as caught:
        imports.import_file(engine, org, "contracts", GOOD / "contracts.csv", ANALYST)
    assert str(caught.value) == (
        "import.contracts refused: role 'analyst' may not do this "
        "(allowed: owner, billing_manager)"
    )
    refused = _refusals(engine, org)
    assert refused[["actor", "role", "action", "target"]].values.tolist() == [
        ["ana", "analyst", "import.contracts", "contracts.csv"]
    ]
    assert "may not do this" in refused["details"].iloc[0]
    assert store.count_rows(engine, tables.contracts, org) == 0
    assert audit.verify(engine, org).ok


def test_allowed_roles_import(engine, org):
    imports.import_file(engine, org, "contracts", GOOD / "contracts.csv", BILLING)
    imports.import_file(engine, org, "charges", GOOD / "charges.csv", MANAGER)
    imports.import_file(engine, org, "encounters", GOOD / "encounters.csv", CLINICIAN)
    assert _refusals(engine, org).empty


def test_analytic_verbs_refuse_an_org_that_has_not_opted_in(engine):
    org_id = f"n{uuid.uuid4().hex[:8]}"
    orgs.create(engine, org_id, "Not yet", OWNER)
    with pytest.raises(NotOptedIn) as caught:
        imports.import_file(engine, org_id, "contracts", GOOD / "contracts.csv", OWNER)
    assert "has not opted in" in str(caught.value)
    assert f"payeropt opt-in {org_id} --show-disclosure" in str(caught.value)
    with pytest.raises(NotOptedIn):
        access.authorize(engine, org_id, ANALYST, "report.run")
    refused = _refusals(engine, org_id)
    assert refused["action"].tolist() == ["import.contracts", "report.run"]
    assert store.count_rows(engine, tables.contracts, org_id) == 0


def test_only_the_owner_opts_in_and_must_accept_the_disclosure(engine):
    org_id = f"n{uuid.uuid4().hex[:8]}"
    orgs.create(engine, org_id, "Practice", MANAGER)
    with pytest.raises(PermissionDenied):
        orgs.opt_in(engine, org_id, MANAGER, accept_disclosure=True)
    with pytest.raises(orgs.DisclosureNotAccepted):
        orgs.opt_in(engine, org_id, OWNER, accept_disclosure=False)
    assert not orgs.get(engine, org_id)["opted_in"]
    orgs.opt_in(engine, org_id, OWNER, accept_disclosure=True)
    row = orgs.get(engine, org_id)
    assert row["opted_in"] and row["opted_in_by"] == "olivia"
    assert row["disclosure_sha256"] == orgs.disclosure_sha256()
    assert _refusals(engine, org_id)["action"].tolist() == ["opt_in"]


def test_opt_out_stops_processing_and_keeps_data(engine, loaded):
    orgs.opt_out(engine, loaded, OWNER)
    with pytest.raises(NotOptedIn):
        imports.import_file(engine, loaded, "charges", GOOD / "charges.csv", OWNER)
    assert store.count_rows(engine, tables.charges, loaded) == 20
    assert audit.search(engine, loaded, action="opt_out")["outcome"].tolist() == ["ok"]


def test_refused_practice_create_goes_to_the_system_trail(engine):
    org_id = f"n{uuid.uuid4().hex[:8]}"
    with pytest.raises(PermissionDenied):
        orgs.create(engine, org_id, "Nope", CLINICIAN)
    system = audit.search(engine, tables.SYSTEM_ORG)
    assert org_id in system["target"].tolist()
    assert audit.verify(engine, tables.SYSTEM_ORG).ok


def test_bad_org_keys_are_refused(engine):
    for bad in ("Demo", "has space", "_system", ""):
        with pytest.raises(orgs.BadOrgId):
            orgs.create(engine, bad, "x", OWNER)


def test_roles_doc_matches_the_matrix():
    """docs/roles.md shows the matrix users read; it must say what the code enforces."""
    text = (ROOT / "docs" / "roles.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    documented = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        action = re.sub(r"`", "", cells[0])
        documented[action] = tuple(
            r for r, c in zip(access.ROLES, cells[1:6], strict=True) if c == "yes"
        )
    assert documented == {
        a: tuple(r for r in access.ROLES if r in roles) for a, roles in access.PERMISSIONS.items()
    }
