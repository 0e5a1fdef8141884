"""Which subjects break which rules (docs/rules.md, "How a check runs").

``evaluate(rules, subjects)`` returns one row per (subject, rule version) that applies
and whose condition holds: ``subject`` and ``rule`` are row positions in the two frames.

A rule version applies to a subject when its ``payer_id`` is ``*`` or the subject's
payer, its ``product_line`` is blank or the subject's, and the subject's date is in
``[effective_from, effective_to)``. The stored columns are the truth for the scope (an
approval moves ``effective_to``); the definition holds the condition and the outcome.

How it stays set-based with 100,000 NCCI edits over 1,000,000 lines:
- every rule whose condition is one bare ``pair`` is checked in one self-join of the
  claim-and-date groups against all the pairs at once (``_pairs``);
- every rule shaped as CMS's MUE edits (``procedure_code eq C`` and a units test, on the
  line or summed over the patient's day) is checked in one join on the code
  (``_unit_limits``);
- any other rule is one vectorized mask over all subjects (``conditions.mask``): a loop
  over rules, never over lines.

The guardrails are checked again here (``guard``): a stored rule that breaks one (written
into the database by hand, or stored before a guardrail was tightened) is not applied,
and is reported by rule and guardrail. Rules are checked per distinct *shape* (the
definition with its codes and dates masked), so 100,000 edits of one template cost one
check each of their few shapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import conditions, guardrails
from .conditions import Subjects

RULE_COLUMNS = [
    "rule_id", "rule_version", "payer_id", "product_line", "category", "applies_to",
    "audience", "effective_from", "effective_to", "definition",
]  # fmt: skip
HIT_COLUMNS = ["subject", "rule"]
# What a guardrail cannot depend on: a code (5 characters, the first digit at any place:
# no word of letters alone, such as a protected category, is ever masked) or a date. RE2
# syntax, for Arrow's vectorized replace (no look-around).
_CODE = (
    r"\b(?:[0-9][A-Z0-9]{4}|[A-Z][0-9][A-Z0-9]{3}|[A-Z]{2}[0-9][A-Z0-9]{2}"
    r"|[A-Z]{3}[0-9][A-Z0-9]|[A-Z]{4}[0-9])\b"
)
_DATE = r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b"
# A definition that speaks of money is its own shape, masked nothing ("$12345" stays).
_MONEY_SIGNS = r"[$%€£]"
_UNIT_OPS = ("gt", "ge", "lt", "le", "eq", "ne")


@dataclass(frozen=True)
class Refusal:
    """A stored rule the engine will not apply: which, and the guardrail it breaks."""

    rule_id: str
    rule_version: int
    guardrail: str
    reason: str

    def __str__(self) -> str:
        return (
            f"rule {self.rule_id!r} v{self.rule_version} not applied: refused by guardrail "
            f"{self.guardrail}: {self.reason}"
        )


def as_checked(rules: pd.DataFrame, row: int, definition: dict) -> dict:
    """The rule as the engine applies it: its definition with the stored scope columns."""
    stored = rules.iloc[row]
    return {
        **definition,
        "payer_id": stored["payer_id"],
        "product_line": stored["product_line"] or "",
        "audience": stored["audience"],
        "applies_to": stored["applies_to"],
    }


def shapes(rules: pd.DataFrame) -> pd.Series:
    """Each rule's *shape*: its definition with the codes and dates masked, and its stored
    scope (payer, product line, audience, kind). Rules of one shape differ in nothing a
    guardrail or the schema reads, so one of them checked is all of them checked; a
    definition with a money sign is its own shape, masked nothing."""
    text = pa.array(rules["definition"].astype(str).to_numpy(object), type=pa.string())
    masked = pc.replace_substring_regex(text, _CODE, "C")
    masked = pc.replace_substring_regex(masked, _DATE, "D")
    masked = pc.if_else(pc.match_substring_regex(text, _MONEY_SIGNS), text, masked)
    shape = pd.Series(masked.to_numpy(zero_copy_only=False), index=rules.index, dtype=object)
    for column in ("payer_id", "product_line", "audience", "applies_to"):
        shape = shape + "|" + rules[column].fillna("").astype(str).to_numpy(object)
    return shape


def guard(rules: pd.DataFrame) -> tuple[pd.DataFrame, list[Refusal]]:
    """The rules within the guardrails (rows kept in order, index reset), and a refusal
    for each of the others."""
    if rules.empty:
        return rules.reset_index(drop=True), []
    rules = rules.reset_index(drop=True)
    shape = shapes(rules)
    first = shape.drop_duplicates()
    broken: dict[str, tuple[str, str]] = {}
    for row, key in first.items():
        rule = as_checked(rules, int(row), json.loads(rules.at[row, "definition"]))
        found = guardrails.problems(rule)
        if found:
            broken[key] = found[0]
    if not broken:
        return rules, []
    bad = shape.isin(list(broken))
    refusals = [
        Refusal(r.rule_id, int(r.rule_version), *broken[shape.at[i]])
        for i, r in rules[bad].iterrows()
    ]
    return rules[~bad].reset_index(drop=True), refusals


def evaluate(
    rules: pd.DataFrame, subjects: Subjects, conditions_of: list[dict] | None = None
) -> pd.DataFrame:
    """Every (subject, rule) where the rule applies and its condition holds
    (``HIT_COLUMNS``, row positions), sorted. ``rules`` has ``RULE_COLUMNS`` and must have
    passed ``guard``; ``conditions_of`` is each rule's ``when`` when the caller has parsed
    the definitions already (100,000 of them take a second to parse)."""
    if rules.empty or subjects.n == 0:
        return pd.DataFrame({c: np.zeros(0, dtype="int64") for c in HIT_COLUMNS})
    parsed = conditions_of or [json.loads(d)["when"] for d in rules["definition"]]
    kinds = [_kind(c) for c in parsed]
    scope = _Scope(rules, subjects)
    batched = []  # the joins find every match; each rule's scope is applied after
    pair_rows = [i for i, k in enumerate(kinds) if k == "pair"]
    if pair_rows:
        batched.append(_pairs(subjects, [parsed[i] for i in pair_rows], np.array(pair_rows)))
    limit_rows = [i for i, k in enumerate(kinds) if k in ("line_units", "day_units")]
    if limit_rows:
        batched.append(_unit_limits(subjects, parsed, kinds, limit_rows))
    found = []
    for frame in batched:
        subject, rule = frame["subject"].to_numpy("int64"), frame["rule"].to_numpy("int64")
        keep = scope.pairs(subject, rule)
        found.append(pd.DataFrame({"subject": subject[keep], "rule": rule[keep]}))
    for i, kind in enumerate(kinds):
        if kind != "other":
            continue
        where = scope.mask(i)
        if where.any():
            hit = np.flatnonzero(conditions.mask(parsed[i], subjects) & where)
            found.append(pd.DataFrame({"subject": hit, "rule": np.full(len(hit), i)}))
    if not found:
        return pd.DataFrame({c: np.zeros(0, dtype="int64") for c in HIT_COLUMNS})
    hits = pd.concat(found, ignore_index=True).astype("int64").drop_duplicates()
    return hits.sort_values(HIT_COLUMNS).reset_index(drop=True)


def _kind(condition: dict) -> str:
    """``pair``, ``line_units``, ``day_units`` (the shapes batched as joins) or ``other``."""
    if set(condition) == {"pair", "bypass_modifiers"}:
        return "pair"
    parts = condition.get("all")
    if set(condition) != {"all"} or len(parts) != 2:
        return "other"
    code, test = parts
    if not _code_eq(code):
        return "other"
    if (
        set(test) == {"field", "op", "value"}
        and test["field"] == "units"
        and test["op"] in _UNIT_OPS
        and isinstance(test["value"], int | float)
    ):
        return "line_units"
    if (
        set(test) == {"count", "per", "sum", "op", "value"}
        and test["per"] == "day"
        and test["sum"] == "units"
        and test["op"] in _UNIT_OPS
        and test["count"] == code
    ):
        return "day_units"
    return "other"


def _code_eq(c: dict) -> bool:
    return (
        set(c) == {"field", "op", "value"}
        and c["field"] == "procedure_code"
        and c["op"] == "eq"
        and isinstance(c["value"], str)
    )


class _Scope:
    """Which subjects each rule applies to (payer, product line, period), vectorized."""

    def __init__(self, rules: pd.DataFrame, subjects: Subjects) -> None:
        payer_codes, payers = subjects.text("payer_id")
        product_codes, products = subjects.text("product_line")
        self.payer, self.product = payer_codes, product_codes
        self.day = subjects.day()
        # A rule's payer as a code into the subjects' payers: -1 = every payer (*),
        # -2 = a payer no subject has.
        index = pd.Index(payers)
        rule_payer = index.get_indexer(rules["payer_id"])
        self.rule_payer = np.where(
            rules["payer_id"].eq("*").to_numpy(), -1, np.where(rule_payer < 0, -2, rule_payer)
        )
        wanted = rules["product_line"].fillna("")
        rule_product = pd.Index(products).get_indexer(wanted)
        self.rule_product = np.where(
            wanted.eq("").to_numpy(), -1, np.where(rule_product < 0, -2, rule_product)
        )
        self.start = rules["effective_from"].to_numpy("datetime64[D]").astype("int64")
        end = pd.to_datetime(rules["effective_to"])
        far = np.iinfo("int64").max
        self.end = np.where(
            end.isna().to_numpy(), far, end.to_numpy("datetime64[D]").astype("int64")
        )

    def mask(self, rule: int) -> np.ndarray:
        ok = (self.day >= self.start[rule]) & (self.day < self.end[rule])
        if self.rule_payer[rule] != -1:
            ok &= self.payer == self.rule_payer[rule]
        if self.rule_product[rule] != -1:
            ok &= self.product == self.rule_product[rule]
        return ok

    def pairs(self, subject: np.ndarray, rule: np.ndarray) -> np.ndarray:
        day = self.day[subject]
        ok = (day >= self.start[rule]) & (day < self.end[rule])
        payer, product = self.rule_payer[rule], self.rule_product[rule]
        ok &= (payer == -1) | (payer == self.payer[subject])
        ok &= (product == -1) | (product == self.product[subject])
        return ok


def _pairs(subjects: Subjects, conds: list[dict], rows: np.ndarray) -> pd.DataFrame:
    """Every bare ``pair`` rule at once: a line billing column 2 in a claim-and-date group
    that bills column 1, unless it carries one of the rule's bypass modifiers."""
    codes, shown = subjects.text("procedure_code")
    index = pd.Index(shown)
    first = index.get_indexer([c["pair"]["column1"] for c in conds])
    second = index.get_indexer([c["pair"]["column2"] for c in conds])
    bypass = [json.dumps(sorted(c["bypass_modifiers"])) for c in conds]
    rules = pd.DataFrame({"rule": rows, "first": first, "second": second, "bypass": bypass})
    rules = rules[(rules["first"] >= 0) & (rules["second"] >= 0)]
    if rules.empty:
        return pd.DataFrame(columns=HIT_COLUMNS)
    k = np.int64(len(shown))
    group = subjects.groups("claim_id", "_day")
    line_key = group * k + codes
    present = np.unique(line_key)
    g, c = present // k, present % k
    # Only groups with two codes or more can hold a pair: the self-join stays small.
    sizes = np.bincount(g)
    multi = sizes[g] > 1
    both = pd.DataFrame({"g": g[multi], "c": c[multi]})
    joined = both.merge(both, on="g", suffixes=("1", "2"))
    joined = joined[joined["c1"] != joined["c2"]]
    pair_key = joined["c1"].to_numpy("int64") * k + joined["c2"].to_numpy("int64")
    rule_key = rules["first"].to_numpy("int64") * k + rules["second"].to_numpy("int64")
    wanted = np.isin(pair_key, rule_key)
    found = pd.DataFrame({"key": pair_key[wanted], "at": (joined["g"].to_numpy() * k
                          + joined["c2"].to_numpy())[wanted]})  # fmt: skip
    found = found.merge(rules.assign(key=rule_key)[["key", "rule", "bypass"]], on="key")
    lines = pd.DataFrame({"at": line_key, "subject": np.arange(subjects.n)})
    lines = lines[np.isin(line_key, found["at"].to_numpy())]
    hits = lines.merge(found[["at", "rule", "bypass"]], on="at")
    keep = np.ones(len(hits), dtype=bool)
    for listed in hits["bypass"].unique():
        modifiers = json.loads(listed)
        if not modifiers:
            continue
        carries = conditions.mask(
            {"field": "modifiers", "op": "has", "value": modifiers}, subjects
        )
        keep &= ~(hits["bypass"].eq(listed).to_numpy() & carries[hits["subject"].to_numpy()])
    return hits.loc[keep, HIT_COLUMNS]


def _unit_limits(
    subjects: Subjects, parsed: list[dict], kinds: list[str], rows: list[int]
) -> pd.DataFrame:
    """Every MUE-shaped rule at once: joined to the lines of its code, the units of the
    line (``line_units``) or of the patient's day for that code (``day_units``) tested."""
    codes, shown = subjects.text("procedure_code")
    code = [parsed[i]["all"][0]["value"] for i in rows]
    test = [parsed[i]["all"][1] for i in rows]
    rules = pd.DataFrame(
        {
            "rule": rows,
            "code": pd.Index(shown).get_indexer(code),
            "op": [t["op"] for t in test],
            "limit": [float(t["value"]) for t in test],
            "day": [kinds[i] == "day_units" for i in rows],
        }
    )
    rules = rules[rules["code"] >= 0]
    units = subjects.number("units")
    # The patient's units of the line's own code on the line's day.
    day_key = subjects.groups("patient_id", "_day") * np.int64(len(shown)) + codes
    _, inverse = np.unique(day_key, return_inverse=True)
    day_units = np.bincount(inverse, weights=units)[inverse]
    lines = pd.DataFrame({"subject": np.arange(subjects.n), "code": codes})
    lines = lines[np.isin(codes, rules["code"].to_numpy())]
    hits = lines.merge(rules, on="code")
    subject = hits["subject"].to_numpy()
    amount = np.where(hits["day"].to_numpy(bool), day_units[subject], units[subject])
    keep = np.zeros(len(hits), dtype=bool)
    for op in hits["op"].unique():
        this = hits["op"].eq(op).to_numpy()
        keep |= this & conditions.compare(op, amount, hits["limit"].to_numpy("float64"))
    return hits.loc[keep, HIT_COLUMNS]
