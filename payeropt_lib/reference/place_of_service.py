"""Places of service (CMS POS codes) paid at the Medicare facility rate.

Domain.md section 1.3: hospitals, skilled nursing (Part A), hospice inpatient, and the
other institutional settings listed below price at the facility amount; everything else
(11 office, 12 home, 20 urgent care, 32 nursing facility, blank, ...) is non-facility.
This is the list the expected engine prices with and the demo generates payments with.
"""

from __future__ import annotations

FACILITY_POS: frozenset[str] = frozenset(
    {"19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61"}
)


def is_facility(place_of_service: str | None) -> bool:
    """True when the place of service prices at the facility amount."""
    return place_of_service in FACILITY_POS
