"""The CMS fee-library release the demo practice is priced from where its own file is silent.

The demo's ``medicare_fees.csv`` holds CMS's 2025 amounts for its locality (computed from
RVU25D, exact). Its dates of service run from November 2024 to October 2026, and no CMS
file of 2024 or 2026 is in the repository, so those dates are priced by the fee library
(``reference.library.completed``) from this release, and every such line says so
(``medicare_schedule_substituted``, "priced from CMS PFS 2025D"): the mechanism a real
practice gets, rather than amounts the demo made up for years it has no CMS file of.

The files are CMS's own RVU25D (``data/reference/cms/rvu25d/README.md``): the whole GPCI,
county and anesthesia files, and the PPRRVU rows of the codes the demo bills.
"""

from __future__ import annotations

from sqlalchemy import Engine

from payeropt_lib import config
from payeropt_lib.reference import library
from payeropt_lib.store.access import Identity

DEMO_RELEASE_DIR = config.REFERENCE_DIR / "cms" / "rvu25d"
DEMO_RELEASE = (2025, "D")


def import_demo_release(engine: Engine, who: Identity) -> bool:
    """Store the demo's CMS release in ``engine``'s fee library (shared by every practice
    of the database); False when the library already holds a 2025 D release (this one, or
    CMS's whole file, which prices the demo's codes alike)."""
    year, release = DEMO_RELEASE
    on_file = library.releases(engine)
    if (on_file["year"].eq(year) & on_file["release"].eq(release)).any():
        return False
    library.import_release(engine, DEMO_RELEASE_DIR, year, release, who)
    return True
