"""A plain per-line evaluation of payer rules, written from interface section 4 and
docs/rules.md alone: one line at a time, one rule at a time, in Python. Slow and obvious;
the vectorized engine (``payeropt_lib.rules.engine``) must give exactly its answers.

A line is a dict of its fields: text as ``str`` (blank ``""``), numbers as ``int`` (or
``None`` when blank; ``charge_amount`` in cents), list fields as lists, ``_day`` a
``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

NUMBERS = {"units", "charge_amount", "days_to_filing", "lead_days", "total_time_minutes"}
LISTS = {"modifiers", "diagnosis_codes", "planned_procedure_codes", "documented_findings"}


def text(value: object) -> str:
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def number(field: str, value: object) -> Decimal:
    v = Decimal(str(value))
    return v * 100 if field == "charge_amount" else v


def holds(cond: dict, line: dict, lines: list[dict]) -> bool:
    if "all" in cond:
        return all(holds(c, line, lines) for c in cond["all"])
    if "any" in cond:
        return any(holds(c, line, lines) for c in cond["any"])
    if "not" in cond:
        return not holds(cond["not"], line, lines)
    if "count" in cond:
        return count_holds(cond, line, lines)
    if "pair" in cond:
        first, second = cond["pair"]["column1"], cond["pair"]["column2"]
        if line["procedure_code"] != second:
            return False
        if set(cond["bypass_modifiers"]) & set(line["modifiers"]):
            return False
        return any(
            other["claim_id"] == line["claim_id"]
            and other["_day"] == line["_day"]
            and other["procedure_code"] == first
            for other in lines
        )
    field, op, value = cond["field"], cond["op"], cond["value"]
    values = value if isinstance(value, list) else [value]
    if field in LISTS:
        items = line[field]
        wanted = [text(v) for v in values]
        if op == "prefix":
            return any(item.startswith(p) for item in items for p in wanted)
        found = any(item in wanted for item in items)
        return found if op == "has" else not found
    if field in NUMBERS:
        x = line[field]
        if x is None:
            return False
        x = Decimal(x)
        return compare(op, x, [number(field, v) for v in values])
    x = line["payer_id" if field == "primary_payer_id" else field]
    return compare(op, x, [text(v) for v in values])


def compare(op: str, x: object, wanted: list) -> bool:
    """``x OP wanted`` as the interface reads it: numbers with numbers, text with text."""
    if op == "prefix":
        return any(x.startswith(p) for p in wanted)
    if op in ("in", "not_in"):
        return (x in wanted) == (op == "in")
    if op == "between":
        return wanted[0] <= x <= wanted[1]
    return {"eq": x == wanted[0], "ne": x != wanted[0], "gt": x > wanted[0],
            "ge": x >= wanted[0], "lt": x < wanted[0], "le": x <= wanted[0]}[op]  # fmt: skip


def count_holds(cond: dict, line: dict, lines: list[dict]) -> bool:
    per, days = cond["per"], cond.get("within_days")
    total = 0
    for other in lines:
        if per == "claim":
            same = other["claim_id"] == line["claim_id"]
        elif per == "day":
            same = other["patient_id"] == line["patient_id"] and other["_day"] == line["_day"]
        else:
            earliest = dt.date.min if days is None else line["_day"] - dt.timedelta(days - 1)
            same = (
                other["patient_id"] == line["patient_id"]
                and earliest <= other["_day"] <= line["_day"]
            )
        if same and holds(cond["count"], other, lines):
            total += other["units"] if cond.get("sum") == "units" else 1
    return compare(cond["op"], total, [cond["value"]])


def applies(rule: dict, line: dict) -> bool:
    """The rule's scope: payer, product line, period (``effective_to`` exclusive)."""
    if rule["payer_id"] != "*" and rule["payer_id"] != line["payer_id"]:
        return False
    if rule.get("product_line") and rule["product_line"] != line["product_line"]:
        return False
    start = dt.date.fromisoformat(rule["effective_from"])
    end = rule.get("effective_to")
    return start <= line["_day"] and (not end or line["_day"] < dt.date.fromisoformat(end))


def hits(rules: list[dict], lines: list[dict]) -> set[tuple[int, int]]:
    """(line position, rule position) for every line a rule applies to and catches."""
    return {
        (i, r)
        for r, rule in enumerate(rules)
        for i, line in enumerate(lines)
        if applies(rule, line) and holds(rule["when"], line, lines)
    }
