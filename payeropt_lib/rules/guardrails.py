"""The three guardrails, in the engine (interface section 4; domain.md section 10).

Checked on every rule as it is read (and, by the repository, again before it goes live):
- (a) **access**: no rule may decline, defer, deprioritize or shorten a visit. The only
  outcomes are ``flag``, ``require`` and ``visit_minutes``; a message may not tell staff
  to turn a visit away or put it off; and a ``visit_minutes`` rule names no payer (``*``),
  no product line and no payer condition at any depth, because the time a visit needs
  follows the documentation, never the payer.
- (b) **protected categories**: no condition may use race, color, ethnicity, national
  origin, language, religion, sex, gender identity, sexual orientation, age, disability,
  marital status or a stand-in for one (zip code, surname, interpreter need), under any
  spelling (case, separators, accents), at any depth (``all``/``any``/``not``/``count``),
  as a field or as a fact sought in a value (``documented_findings`` has ``race=...``).
- (c) **no money to patients**: a rule shown to patients (``audience`` ``patient``) and
  every appointment checklist item carries no amount, percent, rate, fee, allowed amount,
  margin or payer comparison, in its text or its conditions.

``problems(rule)`` returns every breach as (guardrail, reason); the caller refuses the
rule on the first, naming it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from . import fields

ACCESS = "(a) access"
PROTECTED = "(b) protected categories"
NO_MONEY = "(c) no money to patients"
OUTCOMES = ("flag", "require", "visit_minutes")

# Words that turn a visit away, put it off or cut it short, in a rule's own text.
_ACCESS_WORDS = re.compile(
    r"\b(declin\w*|defer\w*|postpon\w*|reschedul\w*|cancel\w*|depriorit\w*|shorten\w*|"
    r"turn(ed|ing)? away|do not (see|schedule|book)|don'?t (see|schedule|book)|"
    r"lower priority|deny (the )?(visit|appointment))\b",
    re.IGNORECASE,
)
# Stems of protected categories and their stand-ins. Long stems match anywhere in a
# name with its separators removed; short ones only as a whole word of it.
_LONG_STEMS = (
    "ethnic", "nationalit", "nationalorigin", "countryofbirth", "birthcountry", "citizen",
    "immigra", "language", "religio", "faith", "gender", "orientation", "lgbt", "disabil",
    "handicap", "impairment", "marital", "married", "spouse", "interpret", "surname",
    "lastname", "familyname", "zipcode", "postalcode", "postcode", "birthdate",
    "dateofbirth", "colour", "skincolor", "pregnan",
)  # fmt: skip
_SHORT_STEMS = frozenset(
    {"race", "races", "racial", "sex", "age", "ages", "aged", "dob", "zip", "zip5", "zip3",
     "lang", "color", "origin", "religion", "disabled", "yob"}
)  # fmt: skip
# Values that name a protected category themselves (a stand-in sought in a text field).
_VALUE_WORDS = frozenset(
    {"male", "female", "man", "woman", "transgender", "nonbinary", "black", "white",
     "asian", "hispanic", "latino", "latina", "latinx", "caucasian", "africanamerican",
     "nativeamerican", "spanish", "interpreter", "interpreterneeded", "limitedenglish",
     "catholic", "christian", "muslim", "jewish", "hindu", "buddhist", "married",
     "divorced", "widowed", "disabled", "wheelchair", "deaf", "blind", "elderly", "senior",
     "geriatric", "pediatric", "minor", "gay", "lesbian", "bisexual", "pregnant"}
)  # fmt: skip
# Money in a patient's text or a checklist item.
_MONEY_TEXT = re.compile(
    r"(\$|€|£|\d\s*%|\b\d+(\.\d+)?\s*(percent|pct|dollars?|cents?)\b|"
    r"\b(amounts?|percent(age)?s?|rates?|fees?|allowed|margins?|reimburs\w*|paid|payments?|"
    r"prices?|costs?|dollars?|cents|charges?|tariffs?|compensation|"
    r"(more|less|higher|lower|better|worse) than|compared? (to|with)|"
    r"other payers?|another payer)\b)",
    re.IGNORECASE,
)


def problems(rule: dict) -> list[tuple[str, str]]:
    """Every guardrail ``rule`` breaks, as (guardrail, reason), in the order above."""
    found: list[tuple[str, str]] = []
    found += _access(rule)
    found += _protected(rule)
    found += _money(rule)
    return found


def conditions(condition: dict, path: str = "when") -> Iterator[tuple[str, dict]]:
    """Every condition inside ``condition``, itself first, with where it sits."""
    yield path, condition
    for key in ("all", "any"):
        for i, part in enumerate(condition.get(key, [])):
            yield from conditions(part, f"{path}.{key}[{i}]")
    if "not" in condition:
        yield from conditions(condition["not"], f"{path}.not")
    if "count" in condition:
        yield from conditions(condition["count"], f"{path}.count")


def _texts(rule: dict) -> list[tuple[str, str]]:
    then = rule.get("then", {})
    return [(k, str(then[k])) for k in ("message", "detail") if then.get(k)]


def _access(rule: dict) -> list[tuple[str, str]]:
    found = []
    outcome = rule["then"].get("outcome")
    if outcome not in OUTCOMES:
        found.append(
            (ACCESS, f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}: no rule may "
             "decline, defer, deprioritize or shorten a visit")
        )  # fmt: skip
    for where, text in _texts(rule):
        hit = _ACCESS_WORDS.search(text)
        if hit:
            found.append(
                (ACCESS, f"then.{where} says {hit.group(0)!r}: no rule may decline, defer, "
                 "deprioritize or shorten a visit")
            )  # fmt: skip
    if outcome == "visit_minutes":
        if rule.get("payer_id") != "*":
            found.append((ACCESS, "a visit_minutes rule has payer_id '*': the time a visit "
                          "needs follows the documentation, never the payer"))  # fmt: skip
        if (rule.get("product_line") or "").strip():
            found.append((ACCESS, "a visit_minutes rule names no product line"))
        for where, c in conditions(rule["when"]):
            if c.get("field") in fields.PAYER:
                found.append(
                    (ACCESS, f"{where} reads {c['field']!r}: a visit_minutes rule has no "
                     "payer, product line or payer-class condition")
                )  # fmt: skip
    return found


def _normal(text: str) -> str:
    """Lower case, accents off, every run of non-letters one underscore."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.casefold()).strip("_")


def protected_name(name: str) -> bool:
    """Whether ``name`` (a field, or the key of a documented fact) names a protected
    category or a stand-in, under any spelling."""
    normal = _normal(name)
    words = [w for w in normal.split("_") if w]
    joined = "".join(words)
    # "patientAge", "pt-sex": camel case and glued words split as well.
    split = _normal(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name)).split("_")
    if any(w in _SHORT_STEMS for w in {*words, *split}):
        return True
    return any(stem in joined for stem in _LONG_STEMS)


def _value_items(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items]


def _protected(rule: dict) -> list[tuple[str, str]]:
    found = []
    for where, c in conditions(rule["when"]):
        name = c.get("field")
        if name is not None and protected_name(name):
            found.append((PROTECTED, f"{where} reads {name!r}, a protected category or a "
                          "stand-in for one"))  # fmt: skip
        if "value" not in c or name is None:
            continue
        for item in _value_items(c["value"]):
            key = item.split("=", 1)[0] if "=" in item else None
            if (key is not None and protected_name(key)) or _normal(item).replace(
                "_", ""
            ) in _VALUE_WORDS:
                found.append((PROTECTED, f"{where} seeks {item!r}, a protected category or "
                              "a stand-in for one"))  # fmt: skip
    return found


def _money(rule: dict) -> list[tuple[str, str]]:
    shown = rule.get("audience") == "patient" or rule.get("applies_to") == "appointment"
    if not shown:
        return []
    who = "a rule shown to patients" if rule.get("audience") == "patient" else (
        "an appointment checklist item")  # fmt: skip
    found = []
    for where, text in _texts(rule):
        hit = _MONEY_TEXT.search(text)
        if hit:
            found.append((NO_MONEY, f"then.{where} says {hit.group(0)!r}: {who} carries no "
                          "amount, percent, rate, fee, allowed amount, margin or payer "
                          "comparison"))  # fmt: skip
    for where, c in conditions(rule["when"]):
        if c.get("field") in fields.MONEY:
            found.append((NO_MONEY, f"{where} reads {c['field']!r}: {who} carries no money "
                          "in its conditions"))  # fmt: skip
    return found
