"""The demo practice end to end: its files generated, onboarded, its 835s written and posted.

This is the path a consultant takes with a new practice (``onboard.folder``, then
``remittances.posting``), run on the synthetic practice of ``demo.files``: its claims come
as the clearinghouse's 837P files and its postings as a practice-system export
(``demo.client``), not as charges.csv and transactions.csv.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from tqdm import tqdm

from payeropt_lib import config, store
from payeropt_lib.errors import OrgExists
from payeropt_lib.onboard.folder import onboard
from payeropt_lib.remittances import posting
from payeropt_lib.remittances.reevaluation import after_import
from payeropt_lib.store import orgs, tables
from payeropt_lib.store.access import Identity

from . import client as demo_client
from . import coding as demo_coding
from . import files as demo
from . import remittances as demo_era
from . import rules as demo_rules
from .cms_release import import_demo_release

logger = logging.getLogger(__name__)

DEMO_ACTOR = Identity("payeropt-demo", "owner")


def demo_practice(
    out: Path,
    db_url: str | None,
    claims_per_month: int = 2000,
    seed: int = 20261101,
    progress: Callable[[str], None] | None = None,
    org_id: str | None = None,
    name: str = "Demo Family & Orthopedic Practice",
) -> str:
    """Generate the synthetic demo practice and onboard it; returns the database URL.

    ``out/files`` gets the interface files (``files.generate``: tests and benchmarks read
    them), ``out/client`` the folder a client would send (``client.write_client_folder``:
    837P claims and practice-system exports, no charges.csv), which is onboarded; the
    payers' 835s are written to ``out/files/era`` from the onboarded store. The database
    defaults to ``out/payeropt.sqlite``. Running it again changes nothing (the same seed
    writes the same files, and imports are idempotent). ``org_id`` and
    ``name`` make more synthetic practices in one store (benchmarks: ``config.DEMO_ORG``
    by default).
    """
    out = Path(out)
    files = demo.generate(out / "files", claims_per_month=claims_per_month, seed=seed)
    if progress:
        progress(f"demo files written to {out / 'files'} ({len(files)} files)")
    sent = demo_client.write_client_folder(out / "files", out / "client")
    if progress:
        progress(f"the client's folder written to {out / 'client'} ({len(sent)} files)")
    url = db_url or config.sqlite_url(out / config.DEFAULT_DB_FILE)
    org = org_id or config.DEMO_ORG
    engine = store.engine_for(url)
    with contextlib.suppress(OrgExists):
        orgs.create(engine, org, name, DEMO_ACTOR, locality=demo.DEMO_LOCALITY)
    if not orgs.get(engine, org)["opted_in"]:
        orgs.opt_in(engine, org, DEMO_ACTOR, accept_disclosure=True)
    done = onboard(engine, org, out / "client", DEMO_ACTOR, progress, after=after_import)
    if progress:
        # The 835s come next (posted from out/files/era), so only what the folder held.
        progress(
            f"onboarded {out / 'client'}: {len(done.imported)} files imported, "
            f"{len(done.already)} already on file; {done.claims:,} claims "
            f"({done.lines:,} lines)"
        )
    post_demo_remittances(engine, out / "files" / "era", seed, progress, org_id=org)
    demo_rules.load_rules(engine, org, DEMO_ACTOR, progress)
    demo_coding.record_demo_coding(engine, org, seed, progress)
    return url


def post_demo_remittances(
    engine: Engine,
    folder: Path,
    seed: int,
    progress: Callable[[str], None] | None = None,
    org_id: str | None = None,
) -> None:
    """Write the demo payers' 835 files from the loaded practice, then post them in order.

    Posting is idempotent, so running the demo again posts nothing twice. The demo's CMS
    release goes into the fee library first (when the library lacks it): the payers pay,
    and posting prices, the dates the practice's own Medicare file does not cover (2024
    and 2026) from it.
    """
    org = org_id or config.DEMO_ORG
    import_demo_release(engine, DEMO_ACTOR)
    plan = payment_plan(engine, org, seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = demo_era.remittance_files(plan, seed)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    paths = [folder / name for name in sorted(files)]
    posted = []
    for _, outcome in tqdm(
        posting.post_files(engine, org, paths, DEMO_ACTOR),
        total=len(paths), desc="posting 835s", unit="file", leave=False, disable=None,
    ):  # fmt: skip
        if isinstance(outcome, Exception):  # the demo's own files: never refused
            raise outcome
        posted.append(outcome)
    if progress:
        # What the packet counts: the live findings, a posting a later reversal cancelled
        # left out (the files' own counts include it).
        f = tables.findings
        live = store.read_frame(engine, f, org, ["kind"], where=[f.c.void.is_(False)])
        under = int(live["kind"].eq("underpaid").sum())
        reversed_ = sum(p.underpaid for p in posted) - under
        progress(
            f"{len(posted)} 835 files posted from {folder}: {under} under-paid lines"
            + (f" ({reversed_} more cancelled by a later reversal)" if reversed_ > 0 else "")
            + f", {sum(p.tasks_opened for p in posted)} tasks, "
            f"{sum(p.already_posted for p in posted)} already posted"
        )


def payment_plan(engine: Engine, org_id: str, seed: int):  # noqa: ANN201 - a DataFrame
    """What the demo's payers pay for the loaded practice ``org_id``
    (``remittances.plan_payments`` over its stored charges and terms)."""
    return demo_era.plan_of(demo_era.stored_frames(engine, org_id), demo.DEMO_AS_OF, seed)
