"""Rule files: JSON, one rule object or a list of them (interface section 4).

``read_rules(path)`` returns the file's rules as plain dicts, each checked three ways, the
first problem refusing the whole file (nothing of it is stored) with the file, the rule
and the place named:
1. against ``rule.schema.json`` (JSON Schema 2020-12, validated by ``jsonschema``: the
   schema is the document a billing manager and a payer's export can be checked against,
   kept in the repo beside the code that reads it);
2. against the guardrails (``guardrails``: refused as ``RuleRefused``, naming the
   guardrail), before the fields, so that a protected field reads as a guardrail breach
   rather than as an unknown field;
3. against what the kind of rule may read (``fields``) and what each outcome needs:
   ``require`` a requirement and a detail, ``visit_minutes`` its minutes; operators that
   fit the field (numbers, text, lists); values of the right shape; dates that exist, the
   period's end after its start; a code pair only on claim lines.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

from payeropt_lib.errors import RuleFileError, RuleRefused

from . import fields, guardrails

SCHEMA_FILE = Path(__file__).with_name("rule.schema.json")
LIST_OPS = ("has", "lacks", "prefix")
ORDER_OPS = ("gt", "ge", "lt", "le", "between")
MANY_OPS = ("in", "not_in", "between")


@functools.lru_cache(maxsize=1)
def _validator():  # noqa: ANN202 - a jsonschema validator
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def read_rules(path: Path | str) -> list[dict]:
    """The rules of one file, each valid and within the guardrails (module docstring)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RuleFileError(
            str(path), "-", f"line {err.lineno} column {err.colno}", f"not JSON ({err.msg})"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise RuleFileError(str(path), "-", "the file", str(err)) from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise RuleFileError(str(path), "-", "the file", "holds no rule")
    seen: set[tuple[str, object]] = set()
    rules = []
    for i, rule in enumerate(items):
        name = _name(rule, i)
        check_rule(rule, str(path), name)
        key = (rule["rule_id"], rule.get("rule_version"))
        if key in seen:
            raise RuleFileError(str(path), name, "rule_id", "the same rule and version twice")
        seen.add(key)
        rules.append(rule)
    return rules


def _name(rule: object, i: int) -> str:
    if isinstance(rule, dict) and isinstance(rule.get("rule_id"), str):
        return repr(rule["rule_id"])
    return f"#{i + 1} of the file"


def check_rule(rule: object, file: str, name: str) -> None:
    """Refuse ``rule`` (``RuleFileError`` or ``RuleRefused``) unless it is a valid rule
    within the guardrails."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(rule))  # the most telling, or None
    if error is not None:
        where = _where(error.absolute_path)
        raise RuleFileError(file, name, where, error.message)
    assert isinstance(rule, dict)
    for guardrail, reason in guardrails.problems(rule):
        raise RuleRefused(file, name, guardrail, reason)
    _check_then(rule, file, name)
    _check_dates(rule, file, name)
    allowed = fields.BY_KIND[rule["applies_to"]]
    for where, c in guardrails.conditions(rule["when"]):
        if "field" in c:
            _check_field(c, allowed, rule["applies_to"], file, name, where)
        if "pair" in c and rule["applies_to"] != "claim_line":
            raise RuleFileError(file, name, where, "a code pair applies to claim lines only")
        if "pair" in c and c["pair"]["column1"] == c["pair"]["column2"]:
            raise RuleFileError(file, name, f"{where}.pair", "column 1 and column 2 are one code")
        if "count" in c and rule["applies_to"] == "appointment":
            if c["per"] == "claim":
                raise RuleFileError(file, name, f"{where}.per", "an appointment has no claim")
            if "sum" in c:
                raise RuleFileError(file, name, f"{where}.sum", "an appointment has no units")


def _where(path) -> str:  # noqa: ANN001 - a deque of keys
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "the rule"


def _check_then(rule: dict, file: str, name: str) -> None:
    then = rule["then"]
    outcome = then["outcome"]
    needs = {"flag": (), "require": ("requirement", "detail"), "visit_minutes": ("minutes",)}
    for key in needs[outcome]:
        if key not in then:
            raise RuleFileError(file, name, f"then.{key}", f"a {outcome} outcome needs it")
    # A detail may explain any outcome; a requirement or minutes belong to theirs only.
    for key in sorted(({"requirement", "minutes"} - set(needs[outcome])) & set(then)):
        raise RuleFileError(file, name, f"then.{key}", f"a {outcome} outcome has none")


def _check_dates(rule: dict, file: str, name: str) -> None:
    days = {}
    for key in ("effective_from", "effective_to"):
        if rule.get(key):
            try:
                days[key] = dt.date.fromisoformat(rule[key])
            except ValueError:
                raise RuleFileError(file, name, key, f"{rule[key]!r} is not a date") from None
    if "effective_to" in days and days["effective_to"] <= days["effective_from"]:
        raise RuleFileError(
            file, name, "effective_to", "ends on or before effective_from (an exclusive end)"
        )


def _check_field(c: dict, allowed: frozenset, kind: str, file: str, name: str, where: str) -> None:
    field, op, value = c["field"], c["op"], c["value"]
    if field not in allowed:
        raise RuleFileError(
            file, name, f"{where}.field", f"unknown field {field!r} for a {kind} rule"
        )
    is_list = isinstance(value, list)
    if op in LIST_OPS and field not in fields.LISTS and op != "prefix":
        raise RuleFileError(file, name, f"{where}.op", f"{op} needs a list field, not {field!r}")
    if field in fields.LISTS and op not in LIST_OPS:
        raise RuleFileError(
            file, name, f"{where}.op", f"{field!r} is a list: use has, lacks or prefix"
        )
    if op == "prefix" and field in fields.NUMBERS:
        raise RuleFileError(file, name, f"{where}.op", f"{field!r} is a number: no prefix")
    if op in MANY_OPS and not is_list:
        raise RuleFileError(file, name, f"{where}.value", f"{op} takes a list")
    if op == "between" and len(value) != 2:
        raise RuleFileError(file, name, f"{where}.value", "between takes [low, high]")
    if op in ("eq", "ne", "gt", "ge", "lt", "le") and is_list:
        raise RuleFileError(file, name, f"{where}.value", f"{op} takes one value")
    items = value if is_list else [value]
    if field in fields.NUMBERS and not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in items
    ):
        raise RuleFileError(file, name, f"{where}.value", f"{field!r} is a number")
