"""When the demo happens: its dates of service, its "today", and the office's business days.

Nothing depends on today's date: the demo's dates of service run DEMO_PERIOD_START..
DEMO_PERIOD_END and it is seen on DEMO_AS_OF. The office is closed on weekends and on
``HOLIDAYS``; dates of service and postings fall on business days.
"""

from __future__ import annotations

from datetime import date

import numpy as np

DEMO_PERIOD_START = date(2024, 11, 1)  # first date of service
DEMO_PERIOD_END = date(2026, 10, 31)  # last date of service (inclusive)
DEMO_AS_OF = date(2026, 11, 1)  # "today" for the demo: nothing is posted on or after it

# US federal holidays the office is closed on, within the demo's dates.
HOLIDAYS = np.array(
    [
        "2024-11-28", "2024-12-25", "2025-01-01", "2025-05-26", "2025-07-04", "2025-09-01",
        "2025-11-27", "2025-12-25", "2026-01-01", "2026-05-25", "2026-07-03", "2026-09-07",
        "2026-11-26", "2026-12-25",
    ],
    dtype="datetime64[D]",
)  # fmt: skip


def business_days(start: date | np.datetime64, end: date | np.datetime64) -> np.ndarray:
    """Weekdays other than holidays in [start, end], as datetime64[D]."""
    first, last = np.datetime64(start, "D"), np.datetime64(end, "D")
    days = np.arange(first, last + 1, dtype="datetime64[D]")
    return days[np.is_busday(days, holidays=HOLIDAYS)]


def months_between(start: date, end: date) -> list[np.datetime64]:
    """Every month from ``start``'s to ``end``'s, as datetime64[M]."""
    first = np.datetime64(start, "M")
    return list(np.arange(first, np.datetime64(end, "M") + 1))


def date_strings(days: np.ndarray) -> np.ndarray:
    """Days as 'YYYY-MM-DD' (an object array of str)."""
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)
