"""Days and report periods: the one reading of "on this day" and "in this period".

A report period is the dates of service from ``start`` to ``end``, both included; either
bound may be open (None). Effective periods of contracts and rates are half-open and live
with the rates (``pricing``); this module is about what a page or worklist counts.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

DateLike = str | dt.date | pd.Timestamp


def day(value: DateLike) -> pd.Timestamp:
    """A date, a 'YYYY-MM-DD' string or a timestamp as a midnight ``pd.Timestamp``."""
    return pd.Timestamp(value).normalize()


def within(dates: pd.Series, start: DateLike | None, end: DateLike | None) -> pd.Series:
    """True where a date lies in ``[start, end]`` (both included; None = no bound)."""
    keep = pd.Series(True, index=dates.index)
    if start is not None:
        keep &= dates.ge(day(start))
    if end is not None:
        keep &= dates.le(day(end))
    return keep


def days_in(start: DateLike | None, end: DateLike | None) -> int:
    """How many days the period holds, both ends counted (0 when a bound is open)."""
    if start is None or end is None:
        return 0
    return max(int((day(end) - day(start)).days) + 1, 0)
