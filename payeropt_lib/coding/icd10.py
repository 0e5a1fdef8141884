"""ICD-10-CM specificity (domain.md 6.2; interface section 5): the billed diagnosis made
as specific as the documented findings allow, or a clinician query when they do not.

``icd10_suggestions(encounters, lines)`` is pure and vectorized over claim lines; the
decisions are taken once per distinct (code set, billed code, findings), which are few:

- the code set is the one in force on the line's date of service (``code_sets``); a date
  no loaded release covers gets a query (``code_set_not_loaded``), never a code of
  another year;
- a billed code that is neither billable in that code set nor a category above billable
  codes gets a query (``invalid_on_dos``);
- a non-billable category or subcategory, or a billable code whose side is "unspecified",
  is made specific by walking down the hierarchy (``hierarchy``): at each level the
  documented findings must choose exactly one child (``laterality``; ``episode``,
  ``fracture`` and ``healing`` for the 7th character). Every character added or changed
  is chosen by a documented fact, named in ``support``; every other character is as
  billed. When the findings choose no child, or several, or contradict the billed code,
  a query says what to document (``not_documented``, ``ambiguous``,
  ``findings_conflict``) and which billable codes remain (``candidates``);
- a billable code that is already as specific as its siblings allow gets nothing.

A diagnosis belongs to the claim: one row per (claim, billed code), on the first line
(lowest ``line_number``) that lists it. Only claims with an encounter are compared.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from payeropt_lib.coding import code_sets, findings, hierarchy
from payeropt_lib.coding.em import COLUMNS

KIND = "icd10_specificity"
QUERY_COLUMNS = [
    "claim_id", "line_number", "original_code", "date_of_service", "candidates",
    "question", "reason",
]  # fmt: skip
# The findings read (interface section 1, encounters.csv ``documented_findings``) and the
# values each may take; any other value is as good as not documented.
FACTS = {name: findings.FACTS[name] for name in ("laterality", "episode", "fracture", "healing")}
MAX_CANDIDATES = 12  # more than this many remaining codes are counted, not listed
MAX_SCANNED = 400  # billable codes under a code looked through for candidates
_NOT_LOADED_SLOT = 1000  # + fiscal year: a date of service no period covers
_NO_DATE_SLOT = 999
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default text ("str")

Facts = findings.Facts
parse_findings = findings.parse_findings


@dataclass(frozen=True)
class Outcome:
    """What one billed code comes to: a suggested code (no dot) with its support, or a
    query (candidates without dots), or nothing (``None`` where returned)."""

    suggested: str = ""
    support: str = ""
    candidates: tuple[str, ...] = ()
    question: str = ""
    reason: str = ""


def icd10_suggestions(
    encounters: pd.DataFrame, lines: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(suggestions, queries) for the billed diagnoses of the encountered claims.

    ``encounters``: claim_id, documented_findings (``;``-separated ``key=value``; blank or
    missing: none). ``lines``: claim_id, line_number, date_of_service, diagnosis_codes
    (``;``-separated, with or without the dot). Suggestions have ``em.COLUMNS`` (kind
    ``icd10_specificity``, units 1, direction ``none``, is_compliant true), codes written
    as the billed code is (dotted or not); queries have ``QUERY_COLUMNS``."""
    billed = billed_diagnoses(lines)
    findings = encounters.drop_duplicates("claim_id")
    text = findings.get("documented_findings", pd.Series(None, index=findings.index))
    facts_id, facts_text = pd.factorize(text.astype(object), use_na_sentinel=True)
    facts = [parse_findings(t) for t in facts_text] + [()]  # the last: nothing documented
    facts_id = np.where(facts_id < 0, len(facts) - 1, facts_id)
    # The findings of each billed claim; -1 for a claim without an encounter (not compared).
    at = pd.Index(billed.claim_id).get_indexer(findings["claim_id"])
    of_claim = np.full(len(billed.claim_id), -1, dtype="int64")
    of_claim[at[at >= 0]] = facts_id[at >= 0]
    row_facts = of_claim[billed.rows["claim"].to_numpy()]
    rows = billed.rows[row_facts >= 0].reset_index(drop=True)
    row_facts = row_facts[row_facts >= 0]

    slot = _slots(rows["date_of_service"])
    tokens = billed.tokens
    n_tokens, n_facts = len(tokens) + 1, len(facts) + 1
    key = (slot * n_tokens + rows["token"].to_numpy()) * n_facts + row_facts
    inverse, unique_keys = pd.factorize(key)
    outcomes = []
    for k in unique_keys.tolist():
        s, rest = divmod(k, n_tokens * n_facts)
        t, f = divmod(rest, n_facts)
        outcomes.append(_written(s, tokens[t], facts[f]))
    return _frames(rows, billed.claim_id, tokens, outcomes, inverse)


@dataclass(frozen=True)
class Billed:
    """The distinct billed codes of each claim: ``claim_id`` (the sorted distinct claim
    ids), ``tokens`` (the distinct codes as written, stripped) and ``rows``: claim (index
    into claim_id), line_number, date_of_service, token (index into tokens), in claim,
    line and listing order."""

    claim_id: pd.Index
    tokens: list[str]
    rows: pd.DataFrame


def billed_diagnoses(lines: pd.DataFrame) -> Billed:
    """The distinct billed codes of each claim, each on the first line that lists it."""
    claim, claim_ids = pd.factorize(lines["claim_id"], sort=True)
    text_id, texts = pd.factorize(lines["diagnosis_codes"].astype(object), use_na_sentinel=True)
    split = [[t.strip() for t in str(x).split(";") if t.strip()] for x in texts]
    flat = [t for parts in split for t in parts]
    token_of_flat, tokens = pd.factorize(pd.Series(flat, dtype=object))
    counts = np.array([len(parts) for parts in split] + [0], dtype="int64")
    starts = np.concatenate([[0], np.cumsum(counts[:-1])])
    per_line = counts[text_id]  # text_id -1 (blank) takes the trailing 0
    line_of = np.repeat(np.arange(len(lines)), per_line)
    position = np.arange(len(line_of)) - np.repeat(np.cumsum(per_line) - per_line, per_line)
    token = token_of_flat[starts[text_id][line_of] + position] if len(line_of) else line_of
    normal = np.array([normalize(t) for t in tokens], dtype=object)
    same_code, _ = pd.factorize(normal)
    line_number = lines["line_number"].to_numpy("int64")[line_of]
    claim_of = claim[line_of]
    # Claim, line and listing order (one sort of one number), then the first of each
    # (claim, code) pair: its lowest line.
    lowest = line_number.min(initial=0)
    span_line = line_number.max(initial=0) - lowest + 1
    span_position = position.max(initial=0) + 1
    order = np.argsort(
        (claim_of * span_line + (line_number - lowest)) * span_position + position, kind="stable"
    )
    pair = claim_of[order] * (len(normal) + 1) + same_code[token[order]]
    kept = order[~pd.Series(pair).duplicated().to_numpy()]
    days = pd.to_datetime(lines["date_of_service"]).to_numpy("datetime64[ns]")
    rows = pd.DataFrame(
        {
            "claim": claim_of[kept],
            "line_number": line_number[kept],
            "date_of_service": days[line_of[kept]],
            "token": token[kept].astype("int64"),
        }
    )
    return Billed(pd.Index(claim_ids), list(tokens), rows)


def normalize(code: str) -> str:
    """A code as the code sets hold it: upper case, no dot, no spaces."""
    return code.upper().replace(".", "").replace(" ", "")


def resolve(slot: int, token: str, facts: Facts) -> Outcome | None:
    """What the billed code ``token`` (as written) comes to in code-set slot ``slot`` (an
    index into ``code_sets.PERIODS``, else ``_NOT_LOADED_SLOT`` + fiscal year, or
    ``_NO_DATE_SLOT``) with the documented ``facts``."""
    if slot == _NO_DATE_SLOT:
        return Outcome(question=f"{token}: the line has no date of service", reason="no_date")
    if slot >= _NOT_LOADED_SLOT:
        year = slot - _NOT_LOADED_SLOT
        return Outcome(
            question=f"No ICD-10-CM code set is loaded for FY{year} (dates of service "
            f"{year - 1}-10-01 to {year}-09-30): check {token} against the FY{year} code set",
            reason="code_set_not_loaded",
        )
    period = code_sets.PERIODS[slot]
    found = _decide(period.code_set, normalize(token), facts)
    if found is None or not found.question:
        return found
    question = found.question.replace(_BILLED, token).replace(_CODE_SET, period.label)
    return replace(found, question=question)


_BILLED, _CODE_SET = "{billed}", "{code set}"  # filled in by resolve


@cache
def _decide(code_set: code_sets.CodeSet, code: str, facts: Facts) -> Outcome | None:
    """``resolve`` of a normalized code in one code set: the periods that share a code
    set, and the ways of writing a code, decide alike."""
    codes = code_sets.billable(code_set)
    doc = dict(facts)
    if code in codes:
        return _respecify(_BILLED, code, doc, codes)
    if not codes.under(code):
        return _invalid(_BILLED, code, codes)
    return _specify(_BILLED, code, doc, codes)


def _respecify(token: str, code: str, doc: dict, codes) -> Outcome | None:  # noqa: ANN001
    """A billable code: nothing, unless its side is "unspecified" and a sibling names it."""
    steps = hierarchy.path(code)
    if not steps:
        return None  # a category that is a code (I10), or not in the package's release
    at = _unspecified_side(steps)
    if at is None:
        return _unspecified_site(token, steps, doc, codes)
    parent, option = steps[at]
    group = _side_group(parent, option)
    lead = f"{token} does not say the side"
    if "laterality" not in doc:
        found = [s.code + code[len(option.code) :] for s in group.values()]
        return _ask(lead, parent, ["laterality"], [c for c in found if c in codes], group)
    sibling = group.get(doc["laterality"])
    new = sibling.code + code[len(option.code) :] if sibling else ""
    if new not in codes:
        return _conflict(token, code, {"laterality": doc["laterality"]})
    against = _contradicted(hierarchy.path(new) or (), doc)
    if against:
        return _conflict(token, code, against)
    return Outcome(suggested=new, support=_support(doc, {"laterality"}))


def _specify(token: str, code: str, doc: dict, codes) -> Outcome:  # noqa: ANN001
    """A non-billable code with billable codes under it: walk down as the findings say."""
    steps = hierarchy.path(code)
    used: set[str] = set()
    start = code
    if steps is not None:
        at = _unspecified_side(steps)
        if at is not None and "laterality" in doc:
            parent, option = steps[at]
            sibling = _side_group(parent, option).get(doc["laterality"])
            if sibling is None:
                return _conflict(token, code, {"laterality": doc["laterality"]})
            start = sibling.code + code[len(option.code) :]
            used.add("laterality")
            steps = hierarchy.path(start)
        against = _contradicted(steps or (), doc)
        if against:
            return _conflict(token, code, against)
    if steps is None or not (start in codes or codes.under(start)):
        return _ask(f"{token} is not billable", start, ["detail"], codes.under(start), {})
    return _walk(token, start, doc, used, codes)


def _walk(token: str, node: str, doc: dict, used: set[str], codes) -> Outcome:  # noqa: ANN001
    while node not in codes:
        live = [o for o in hierarchy.options(node) if o.code in codes or codes.under(o.code)]
        chosen = [o for o in live if o.attrs and all(doc.get(k) == v for k, v in o.attrs)]
        if len(chosen) != 1:
            return _stopped(token, node, live, len(chosen) > 1, doc, codes)
        used.update(k for k, _ in chosen[0].attrs)
        node = chosen[0].code
    return Outcome(suggested=node, support=_support(doc, used))


def _stopped(token: str, node: str, live: list, several: bool, doc: dict, codes) -> Outcome:  # noqa: ANN001
    """The findings choose no child of ``node``, or several: a query."""
    lead = f"{token} is not billable"
    if not live:  # this release's codes under node are not the package's children
        return _ask(lead, node, ["detail"], codes.under(node), {})
    kept = [o for o in live if not _against(o.attrs, doc)]
    if not kept:
        named = {k: doc[k] for o in live for k, _ in o.attrs if k in doc}
        return _conflict(token, node, named, under=True)
    leaves, missing = _remaining(node, doc, codes)
    needs = {k for o in kept for k, _ in o.attrs} - doc.keys()
    if several or not needs <= FACTS.keys():  # a choice no finding read here makes
        reason, missing = "ambiguous", ["gustilo"] if needs == {"gustilo"} else ["detail"]
    else:
        reason, missing = "not_documented", missing or [k for k in FACTS if k in needs]
    sides = {o.get("laterality"): o for o in kept if o.get("laterality")}
    return _ask(lead, node, missing, leaves, sides, reason=reason)


def _remaining(node: str, doc: dict, codes) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """The billable codes under ``node`` the findings do not rule out (those of an
    unspecified side dropped when others remain), and the facts that would choose among
    them; no codes when there are too many to look through."""
    keys = _scanned(node, codes)[1]
    return _filtered(node, codes, tuple((k, v) for k, v in doc.items() if k in keys))


@cache
def _filtered(node: str, codes, facts: Facts) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """``_remaining`` under the facts that bear on the codes under ``node``."""
    doc = dict(facts)
    kept, unspecified, missing = [], [], set()
    for leaf, attrs, named in _scanned(node, codes)[0]:
        other_side = "laterality" in doc and named and doc["laterality"] not in named
        if other_side or _against(attrs, doc):  # other side: named in the description
            continue
        missing.update(k for k, _ in attrs if k not in doc)
        (unspecified if ("laterality", "unspecified") in attrs else kept).append(leaf)
    order = [*FACTS, "gustilo", "detail"]
    return kept or unspecified, [k for k in order if k in missing]


@cache
def _scanned(node: str, codes) -> tuple:  # noqa: ANN001
    """Each billable code under ``node`` with the attributes of its steps below ``node``
    and the sides its description names (``M17.0`` "Bilateral primary osteoarthritis"
    names bilateral), none when there are more than ``MAX_SCANNED``; and the facts that
    bear on them. A code of this release the package's hierarchy does not reach has no
    attributes."""
    under = codes.under(node)
    if len(under) > MAX_SCANNED:
        return (), frozenset()
    found: dict[str, tuple] = {}
    stack: list[tuple[str, tuple]] = [(node, ())]
    while stack:
        parent, above = stack.pop()
        for option in hierarchy.options(parent):
            attrs = above + option.attrs
            if option.code in codes:
                found[option.code] = attrs
            else:
                stack.append((option.code, attrs))
    out = []
    for leaf in under:
        words = set(hierarchy.description(leaf).lower().replace(",", " ").split())
        out.append((leaf, found.get(leaf, ()), frozenset(words & set(FACTS["laterality"]))))
    keys = frozenset(k for _, attrs, _ in out for k, _ in attrs) | {"laterality"}
    return tuple(out), keys


def _against(attrs, doc: dict) -> bool:  # noqa: ANN001
    """True when a documented fact contradicts one of ``attrs`` (an unspecified side
    counts against a documented side)."""
    return any(k in doc and doc[k] != v for k, v in attrs)


def _contradicted(steps, doc: dict) -> dict[str, str]:  # noqa: ANN001
    """The documented facts a billed code's own characters contradict (an unspecified
    side contradicts nothing: the side is what a suggestion adds)."""
    return {
        k: doc[k]
        for _, option in steps
        for k, v in option.attrs
        if k in doc and doc[k] != v and v != "unspecified"
    }


def _unspecified_side(steps) -> int | None:  # noqa: ANN001
    """The first step of a code's path that chose the "unspecified" side, if any."""
    return next(
        (i for i, (_, option) in enumerate(steps) if option.get("laterality") == "unspecified"),
        None,
    )


def _side_group(parent: str, option: hierarchy.Option) -> dict[str, hierarchy.Option]:
    """The siblings of ``option`` that differ from it only by a named side, by side."""
    rest = [(k, v) for k, v in option.attrs if k != "laterality"]
    return {
        o.get("laterality"): o
        for o in hierarchy.options(parent)
        if o.get("laterality") not in (None, "unspecified")
        and [(k, v) for k, v in o.attrs if k != "laterality"] == rest
    }


def _unspecified_site(token: str, steps, doc: dict, codes) -> Outcome | None:  # noqa: ANN001
    """A billable code that says "unspecified" where its siblings name a side and more
    (``D17.20`` unspecified limb beside ``D17.21`` right arm): a query, since the side
    alone does not choose among them."""
    for parent, option in steps:
        words = set(option.description.lower().replace(",", " ").split())
        if "unspecified" not in words or words & {"right", "left", "bilateral"}:
            continue
        sided = [
            o
            for o in hierarchy.options(parent)
            if o.get("laterality") not in (None, "unspecified")
            and doc.get("laterality", o.get("laterality")) == o.get("laterality")
            and hierarchy.alike(o.description, option.description)
        ]
        if not sided:
            continue
        found = [c for o in sided for c in ([o.code] if o.code in codes else codes.under(o.code))]
        lead = f"{token} does not say the site"
        missing = ["detail"] if "laterality" in doc else ["laterality", "detail"]
        sides = {o.get("laterality"): o for o in sided}
        return _ask(lead, parent, missing, found, sides, reason="ambiguous")
    return None


def _support(doc: dict, used: set[str]) -> str:
    return "; ".join(f"{k}={doc[k]}" for k in FACTS if k in used)


_PHRASES = {
    "episode": "the episode of care",
    "fracture": "whether the fracture is closed or open",
    "healing": "the healing",
    "gustilo": "the open fracture's Gustilo type (I or II; IIIA, IIIB or IIIC)",
    "detail": "which applies",
}
_VALUES = {
    "laterality": {"right": "right", "left": "left", "bilateral": "bilateral"},
    "episode": {"initial": "initial encounter", "subsequent": "subsequent encounter",
                "sequela": "sequela"},
    "healing": {"routine": "routine", "delayed": "delayed", "nonunion": "nonunion",
                "malunion": "malunion"},
}  # fmt: skip


def _ask(
    lead: str,
    stem: str,
    missing: list[str],
    candidates: list[str],
    sides: dict,
    reason: str = "not_documented",
) -> Outcome:
    """A query: what to document for ``stem``-, and the codes that remain."""
    if missing == ["detail"] or not missing:
        reason = "ambiguous" if reason == "not_documented" else reason
    listed = candidates if len(candidates) <= MAX_CANDIDATES else []
    what = []
    for name in missing or ["detail"]:
        if name == "laterality":
            named = [s for s in ("right", "left", "bilateral") if not sides or s in sides]
            what.append(f"laterality ({_or(named)})")
        elif name in ("episode", "healing"):
            shown = [v for k, v in _VALUES[name].items() if _has(candidates, name, k)]
            what.append(_PHRASES[name] + (f" ({_or(shown)})" if shown else ""))
        else:
            what.append(_PHRASES[name])
    if listed:
        described = "detail" in missing and len(listed) <= 6
        shown = [
            f"{hierarchy.dotted(c)} ({hierarchy.description(c)})"
            if described and hierarchy.description(c) else hierarchy.dotted(c)
            for c in listed
        ]  # fmt: skip
        tail = f": {_or(shown)}"
    else:
        tail = f" ({len(candidates):,} billable codes remain)" if candidates else ""
    question = f"{lead}: document {_and(what)} for {hierarchy.dotted(stem)}-{tail}"
    return Outcome(candidates=tuple(listed), question=question, reason=reason)


def _has(candidates: list[str], name: str, value: str) -> bool:
    """True when one of ``candidates`` has ``name`` = ``value`` on its path."""
    return any(
        (name, value) in option.attrs for c in candidates for _, option in hierarchy.path(c) or ()
    )


def _conflict(token: str, code: str, against: dict, under: bool = False) -> Outcome:
    """A query: the documented facts contradict the billed code (``under``: no code
    under ``code`` fits them)."""
    facts = ", ".join(f"{k}={v}" for k, v in against.items()) or "findings"
    what = hierarchy.description(code)
    named = hierarchy.dotted(code) + "-" if under else token
    named += f" ({what})" if what else ""
    text = f"no code under {named} fits" if under else f"{named} does not match"
    return Outcome(
        question=f"{text[0].upper()}{text[1:]} the documented {facts}: confirm the diagnosis "
        "and the findings",
        reason="findings_conflict",
    )


def _invalid(token: str, code: str, codes) -> Outcome:  # noqa: ANN001
    """A code that is not in the code set in force: the codes under its nearest
    category, if they are few."""
    near: list[str] = []
    stem = ""
    for length in range(len(code) - 1, 2, -1):
        stem = code[:length]
        near = ([stem] if stem in codes else []) + codes.under(stem)
        if near:
            break
    listed = near if len(near) <= MAX_CANDIDATES else []
    shown = [hierarchy.dotted(c) for c in listed]
    tail = f"; billable under {hierarchy.dotted(stem)}: {_or(shown)}" if listed else ""
    return Outcome(
        candidates=tuple(listed),
        question=f"{token} is not a valid ICD-10-CM code in the {_CODE_SET}, in force on "
        f"the date of service: choose a valid code{tail}",
        reason="invalid_on_dos",
    )


def _or(words: list[str]) -> str:
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _and(words: list[str]) -> str:
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@cache
def _written(slot: int, token: str, facts: Facts) -> tuple[int, str, str, str, str, str]:
    """``resolve`` with the codes written as the billed one is: (kind, suggested, support,
    candidates, question, reason); kind 0 nothing, 1 a suggestion, 2 a query."""
    found = resolve(slot, token, facts)
    if found is None:
        return (0, "", "", "", "", "")
    # As billed: without the dot only when written so (a 3-character code shows neither).
    undotted = "." not in token and len(normalize(token)) > 3
    write = (lambda c: c) if undotted else hierarchy.dotted
    if found.suggested:
        return (1, write(found.suggested), found.support, "", "", "")
    cands = ";".join(write(c) for c in found.candidates)
    return (2, "", "", cands, found.question, found.reason)


def _slots(days: pd.Series) -> np.ndarray:
    """The code-set slot of each date of service (see ``resolve``)."""
    index = code_sets.period_index(days)
    values = pd.to_datetime(days)
    year = (values.dt.year + (values.dt.month >= 10)).fillna(0).to_numpy("int64")
    missing = values.isna().to_numpy()
    return np.where(
        index >= 0, index, np.where(missing, _NO_DATE_SLOT, _NOT_LOADED_SLOT + year)
    ).astype("int64")


def _frames(rows: pd.DataFrame, claim_ids: pd.Index, tokens: list[str], outcomes: list,
            inverse: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """The suggestion and query rows. Text columns are taken from the few distinct
    values by index in Arrow (building 800,000 strings one by one costs ~1 s)."""
    table = list(zip(*outcomes, strict=True)) if outcomes else [()] * 6
    kind = np.asarray(table[0], dtype="int64")[inverse] if outcomes else inverse
    claim, token = rows["claim"].to_numpy(), rows["token"].to_numpy()
    line_number = rows["line_number"].to_numpy()

    def frame(mask: np.ndarray, columns: list[str], taken: dict, fixed: dict) -> pd.DataFrame:
        """Rows ``mask``: text columns ``taken`` from the outcome fields they name, and
        ``fixed`` columns as given."""
        found = {
            "claim_id": claim_ids.take(claim[mask]).array,
            "line_number": line_number[mask],
            "original_code": _texts(tokens, token[mask]),
            **{name: _texts(table[field], inverse[mask]) for name, field in taken.items()},
            **fixed,
        }
        return pd.DataFrame({c: found[c] for c in columns}).reset_index(drop=True)

    suggest, ask = kind == 1, kind == 2
    suggestions = frame(
        suggest, COLUMNS, {"suggested_code": 1, "support": 2},
        {"kind": KIND, "units": 1, "direction": "none", "is_compliant": True},
    )  # fmt: skip
    queries = frame(
        ask, QUERY_COLUMNS, {"candidates": 3, "question": 4, "reason": 5},
        {"date_of_service": rows["date_of_service"].to_numpy()[ask]},
    )  # fmt: skip
    return suggestions, queries


def _texts(values, index: np.ndarray) -> pd.Series:  # noqa: ANN001
    """``values[index]`` as a text column, taken in Arrow."""
    taken = pa.array(list(values), type=pa.string()).take(pa.array(index, type=pa.int64()))
    return pd.Series(pd.array(taken, dtype=TEXT))
