"""Places of service (CMS POS codes) and the Medicare setting each prices at.

The one list is ``data/reference/place_of_service.csv`` (code, name, setting): CMS's POS
code set, with the setting of domain.md section 1.3: hospitals, skilled nursing (Part A),
hospice inpatient, the other institutional settings and POS 02 (telehealth outside the
patient's home) price at the facility amount; everything else (10 telehealth in the home
since 2024, 11 office, 12 home, 20 urgent care, 32 nursing facility, a code not listed,
blank) at the non-facility amount. The expected engine prices with it and the demo
generates payments with it.
"""

from __future__ import annotations

import csv

from payeropt_lib import config

POS_FILE = config.REFERENCE_DIR / "place_of_service.csv"
FACILITY = "facility"
NON_FACILITY = "non_facility"


def _read() -> dict[str, tuple[str, str]]:
    with POS_FILE.open(newline="", encoding="utf-8") as f:
        return {row["code"]: (row["name"], row["setting"]) for row in csv.DictReader(f)}


# code → (name, setting), as the file says.
PLACES: dict[str, tuple[str, str]] = _read()
FACILITY_POS: frozenset[str] = frozenset(c for c, (_, s) in PLACES.items() if s == FACILITY)


def is_facility(place_of_service: str | None) -> bool:
    """True when the place of service prices at the facility amount."""
    return place_of_service in FACILITY_POS
