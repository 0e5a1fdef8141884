"""A rule's condition as one vectorized mask over the things checked (docs/rules.md,
"How a condition is evaluated").

``Subjects`` wraps a frame of claim lines or appointments (``subjects.py`` builds them)
and keeps the views every condition reads: text fields as codes into their distinct values
(a test on text runs on the distinct values and is spread back by the codes: 1,000,000
lines, a few thousand codes), numbers as float arrays, list fields exploded once per
field, and the groups ``count`` and ``pair`` need. ``mask(condition, subjects)`` is a bool
array, one per subject: no Python loop over lines anywhere.

The meaning, exactly as interface section 4 says, with these decisions (docs/rules.md):
- text compares as text (a number in a rule's value is read as its text: ``11`` is
  ``"11"``); blank text is ``""``;
- a number field that is blank fails every test, ``ne`` included;
- ``charge_amount`` is compared in exact cents (the rule's value times 100, as a decimal);
- ``count`` without ``within_days`` on ``per: patient`` counts the patient's lines dated
  on or before the line's date; ``"sum": "units"`` (an extension) adds up the units of
  the lines that satisfy C instead of counting them.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from . import fields

# Where each list field's items are separated in the frame (as stored and as in the CSVs).
SEPARATORS = {
    "modifiers": ":",
    "diagnosis_codes": ";",
    "planned_procedure_codes": ";",
    "documented_findings": ";",
}
# Fields that read another column of the frame.
SAME_AS = {"primary_payer_id": "payer_id"}
CENTS = "charge_amount"  # held in cents in the frame


class Subjects:
    """The things a rule is checked against, with their cached column views.

    ``frame`` holds one row per subject and a column per field it has (lists as their
    separated text, ``charge_amount`` in cents, dates as datetime64), among them
    ``patient_id`` and, for claim lines, ``claim_id``; ``date_field`` names the subject's
    own date (the date of service, the appointment's day), which ``count`` and ``pair``
    group by and a rule's period is read against.
    """

    def __init__(self, frame: pd.DataFrame, date_field: str) -> None:
        self.frame = frame.reset_index(drop=True)
        self.date_field = date_field
        self.n = len(self.frame)
        self._cache: dict[tuple, object] = {}

    def _cached(self, key: tuple, make):  # noqa: ANN001, ANN202 - any view
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def text(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct values as text): ``values[codes]`` is the column as text."""
        field = SAME_AS.get(field, field)

        def make() -> tuple[np.ndarray, np.ndarray]:
            column = self.frame[field]
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
            if pd.api.types.is_datetime64_any_dtype(column):
                shown = pd.DatetimeIndex(uniques).strftime("%Y-%m-%d").to_numpy(object)
            else:
                shown = np.array([_text(v) for v in uniques], dtype=object)
            # A blank (missing) value is the empty text; values that read as the same
            # text (a blank and "") are one distinct value.
            shown = np.append(shown, "").astype(object)
            codes = np.where(codes < 0, len(shown) - 1, codes)
            again, distinct = pd.factorize(shown)
            return again[codes], np.asarray(distinct, dtype=object)

        return self._cached(("text", field), make)

    def number(self, field: str) -> np.ndarray:
        def make() -> np.ndarray:
            return pd.to_numeric(self.frame[field], errors="coerce").to_numpy("float64")

        return self._cached(("number", field), make)

    def items(self, field: str) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
        """A list field exploded over its distinct texts (not over the lines): the lines'
        codes into those texts, how many there are, and per item the text it belongs to
        (its owner) and its own text."""

        def make() -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
            codes, shown = self.text(field)
            parts = pd.Series(shown).str.split(SEPARATORS[field]).explode()
            parts = parts.str.strip()
            keep = parts.notna() & parts.ne("")
            owner = parts.index.to_numpy()[keep.to_numpy()]
            return codes, len(shown), owner, parts[keep].to_numpy(object)

        return self._cached(("items", field), make)

    def day(self) -> np.ndarray:
        """The subject's date as a day number (days since 1970-01-01)."""
        return self._cached(
            ("day",),
            lambda: self.frame[self.date_field].to_numpy("datetime64[D]").astype("int64"),
        )

    def groups(self, *columns: str) -> np.ndarray:
        """One id per distinct combination of ``columns`` ('_day' = the subject's date)."""

        def make() -> np.ndarray:
            keys = [self.day() if c == "_day" else self.text(c)[0] for c in columns]
            group = pd.factorize(keys[0])[0].astype("int64")
            for key in keys[1:]:  # two small codes as one int64, numbered again
                part = pd.factorize(key)[0].astype("int64")
                group = pd.factorize(group * (int(part.max(initial=0)) + 1) + part)[0]
            return group.astype("int64")

        return self._cached(("groups", *columns), make)


def _text(value: object) -> str:
    """A value of a rule or a frame read as text (``11`` is ``"11"``, ``2.0`` is ``"2"``)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else str(value)


def _values(value: object) -> list:
    return list(value) if isinstance(value, list) else [value]


def mask(condition: dict, subjects: Subjects) -> np.ndarray:
    """Which subjects satisfy ``condition``: a bool array of ``subjects.n``."""
    if "all" in condition:
        return np.logical_and.reduce([mask(c, subjects) for c in condition["all"]])
    if "any" in condition:
        return np.logical_or.reduce([mask(c, subjects) for c in condition["any"]])
    if "not" in condition:
        return ~mask(condition["not"], subjects)
    if "count" in condition:
        return _count(condition, subjects)
    if "pair" in condition:
        return _pair(condition, subjects)
    field, op, value = condition["field"], condition["op"], condition["value"]
    if field in fields.LISTS:
        return _list_test(subjects, field, op, value)
    if field in fields.NUMBERS:
        return _number_test(subjects, field, op, value)
    codes, shown = subjects.text(field)
    return _text_test(shown, op, value)[codes]


def _text_test(shown: np.ndarray, op: str, value: object) -> np.ndarray:
    """``op`` on each distinct text (``shown``): spread back by the caller's codes."""
    items = [_text(v) for v in _values(value)]
    if op in ("eq", "ne"):
        hit = shown == items[0]
        return hit if op == "eq" else ~hit
    if op in ("in", "not_in"):
        hit = np.isin(shown, np.array(items, dtype=object))
        return hit if op == "in" else ~hit
    if op == "between":
        low, high = items
        return (shown >= low).astype(bool) & (shown <= high).astype(bool)
    if op == "prefix":
        return pd.Series(shown, dtype=object).str.startswith(tuple(items)).to_numpy(bool)
    return compare(op, shown, items[0]).astype(bool)


def _number_test(subjects: Subjects, field: str, op: str, value: object) -> np.ndarray:
    x = subjects.number(field)
    items = [_number(field, v) for v in _values(value)]
    known = ~np.isnan(x)
    if op in ("in", "not_in"):
        hit = np.isin(x, items)
        return (hit if op == "in" else ~hit) & known
    if op == "between":
        return (x >= items[0]) & (x <= items[1])
    return compare(op, x, items[0]) & known


def _number(field: str, value: object) -> float:
    # Money in exact cents: 100.10 is 10010 cents, never 10009.999...
    if field == CENTS:
        return float(Decimal(str(value)) * 100)
    return float(value)


def _list_test(subjects: Subjects, field: str, op: str, value: object) -> np.ndarray:
    codes, distinct, owner, item_text = subjects.items(field)
    wanted = [_text(v) for v in _values(value)]
    if op == "prefix":
        hit_items = pd.Series(item_text, dtype=object).str.startswith(tuple(wanted))
        hit_items = hit_items.to_numpy(bool)
    else:  # has / lacks
        hit_items = np.isin(item_text, np.array(wanted, dtype=object))
    shown_hit = np.zeros(distinct, dtype=bool)
    shown_hit[owner[hit_items]] = True
    hit = shown_hit[codes]
    return ~hit if op == "lacks" else hit


def _count(condition: dict, subjects: Subjects) -> np.ndarray:
    counted = mask(condition["count"], subjects)
    weight = subjects.number("units") if condition.get("sum") == "units" else None
    w = counted.astype("float64") if weight is None else np.where(counted, weight, 0.0)
    per = condition["per"]
    if per == "patient":
        total = _window(subjects, w, condition.get("within_days"))
    else:
        group = (
            subjects.groups("claim_id")
            if per == "claim"
            else subjects.groups("patient_id", "_day")
        )
        total = np.bincount(group, weights=w)[group]
    # Counts and sums of whole units are whole numbers in float64: exact.
    return compare(condition["op"], total, float(condition["value"]))


_COMPARE = {"eq": np.equal, "ne": np.not_equal, "gt": np.greater, "ge": np.greater_equal,
            "lt": np.less, "le": np.less_equal}  # fmt: skip


def compare(op: str, x: np.ndarray, value: object) -> np.ndarray:
    """``x OP value`` elementwise (``value`` one number or an array of them)."""
    return _COMPARE[op](x, value)


def _window(subjects: Subjects, weight: np.ndarray, days: int | None) -> np.ndarray:
    """Per subject: the weight of the same patient's subjects dated in the ``days`` days
    ending on its date (all earlier ones when ``days`` is None), itself included."""
    patient = subjects.groups("patient_id")
    day = subjects.day()
    # One sorted key per subject: patient first, then day; a window is a key range.
    span = int(day.max(initial=0) - day.min(initial=0)) + 2 + (days or 0)
    key = patient * span + (day - day.min(initial=0))
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    cumulative = np.concatenate([[0.0], np.cumsum(weight[order])])
    high = np.searchsorted(sorted_key, key, side="right")
    low_key = patient * span if days is None else key - (days - 1)
    low = np.searchsorted(sorted_key, low_key, side="left")
    return cumulative[high] - cumulative[low]


def _pair(condition: dict, subjects: Subjects) -> np.ndarray:
    """A line billing column 2 on a claim and date that also bill column 1, unless the
    line carries a bypass modifier."""
    codes, shown = subjects.text("procedure_code")
    pair = condition["pair"]
    first = _code_of(shown, pair["column1"])
    second = _code_of(shown, pair["column2"])
    if first is None or second is None:
        return np.zeros(subjects.n, dtype=bool)
    group = subjects.groups("claim_id", "_day")
    with_first = np.zeros(int(group.max(initial=-1)) + 1, dtype=bool)
    with_first[group[codes == first]] = True
    hit = (codes == second) & with_first[group]
    bypass = condition["bypass_modifiers"]
    if bypass:
        hit &= ~_list_test(subjects, "modifiers", "has", list(bypass))
    return hit


def _code_of(shown: np.ndarray, code: str) -> int | None:
    where = np.flatnonzero(shown == code)
    return int(where[0]) if len(where) else None
