"""Modifiers 25 and 59/X{EPSU} the documentation supports, against what was billed: added
where the documentation proves them, removed where it disproves them (domain.md 6.3 and
6.4; interface section 5; docs/coding.md, "Modifiers").

``modifier_suggestions(encounters, lines, pairs, global_days)`` is pure and vectorized
(no loop over encounters or lines; the few distinct modifier strings, findings and bypass
lists are read once each). The facts it reads from ``documented_findings``:
- ``separate_procedure_documented=true|false``: the E/M is (or is not) significant and
  separately identifiable from the procedure of the day (modifier 25);
- ``distinct_service=separate_encounter|separate_structure|separate_practitioner|
  unusual_non_overlapping`` (XE, XS, XP, XU), ``=true`` (59: distinct, no subset
  documented) or ``=false`` (documented as not distinct).
A fact documented twice with different values, or with a value outside these, is not
documented.

Modifier 25, on an office E/M line (99202-99205, 99211-99215):
- *up*, add 25: the claim bills, on the E/M's date, a minor procedure (global 000 or 010),
  or a service a pair rule in force bundles the E/M into unless 25, and no major procedure
  (090: the decision for surgery takes 57, which is not suggested); the encounter
  documents ``separate_procedure_documented=true``, and the E/M carries neither 25 nor
  57; not when a pair rule in force bundles the E/M into a code of that day and 25 does
  not bypass it (indicator 0: no modifier gets it paid);
- *down*, remove 25: the encounter documents ``separate_procedure_documented=false``. A
  25 on a day with nothing billed but the visit is not suggested for removal: that rests
  on the claim, not on the note (every suggestion rests on a documented fact), and a note
  that documents a separate E/M there points at a procedure missing from the claim.

Modifier 59 or X{EPSU}, on a line that is column 2 of a pair rule in force (``pairs``:
approved, on the date of service, for the line's payer and product line) whose column 1
is billed on the same claim, patient and date, the line carrying none of the rule's
bypass modifiers (the line the check flags):
- *up*, add the X modifier the encounter documents (59 for ``distinct_service=true``, or
  when the rule's bypass list takes 59 but not that X), when every such rule on the line
  is bypassed by it; never on an E/M (99202-99499: 25's work) nor against an indicator 0
  rule (nothing bypasses it);
- *down*, remove every 59/X{EPSU} of a line when the encounter documents
  ``distinct_service=false``.

A suggestion is made only for a claim with an encounter, and only where the line can take
a modifier more (four at most). ``rule_id`` is the pair rule the suggested 25 or 59/X
bypasses (for a removal: the one the removed modifier bypassed), '' when none applies;
when several apply, the first by rule id. ``support`` names the documented fact and the
billed lines the suggestion rests on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import em
from .findings import documented_facts

COLUMNS = [*em.COLUMNS, "rule_id"]
KIND = "modifier"
OFFICE_EM = tuple(em.LEVEL_OF)  # 99202-99205, 99211-99215
EM_ADD_ONS = (*em.PROLONGED_CODES, "G2211")
E_M_RANGE = ("99202", "99499")  # E/M codes take 25, never 59 or an X modifier
MINOR_GLOBALS = ("000", "010")
MAJOR_GLOBAL = "090"
MAX_MODIFIERS = 4
SEPARATE = "separate_procedure_documented"
DISTINCT = "distinct_service"
DISTINCT_MODIFIER = {
    "separate_encounter": "XE",
    "separate_structure": "XS",
    "separate_practitioner": "XP",
    "unusual_non_overlapping": "XU",
    "true": "59",
}
DISTINCT_MODIFIERS = ("59", "XE", "XP", "XS", "XU")
# The modifiers whose presence in a pair rule's bypass list is asked.
_ASKED = ("25", *DISTINCT_MODIFIERS)


def modifier_suggestions(
    encounters: pd.DataFrame,
    lines: pd.DataFrame,
    pairs: pd.DataFrame,
    global_days: pd.DataFrame,
) -> pd.DataFrame:
    """The modifier suggestions (``COLUMNS``), sorted by claim, line and suggested code.

    ``encounters``: claim_id, documented_findings (``;``-separated ``key=value``; blank =
    none). ``lines``: every billed line of the practice (claim_id, line_number,
    patient_id, date_of_service, procedure_code, modifiers ``:``-separated as stored,
    payer_id, product_line). ``pairs``: ``rules.repository.ptp_pairs``. ``global_days``:
    procedure_code, glob_days (PPRRVU's; with a ``modifier`` column, the global service's
    row stands for the code)."""
    line = _Lines(lines)
    facts = documented_facts(encounters, (SEPARATE, DISTINCT))
    at = pd.Index(facts["claim_id"]).get_indexer(line.claim)
    documented = at >= 0
    # The claim's fact; '' (the last, appended) for a claim without an encounter.
    separate = np.append(facts[SEPARATE].to_numpy(object), "")[at]
    distinct = np.append(facts[DISTINCT].to_numpy(object), "")[at]
    hits = _applicable_pairs(line, pairs)
    found = [
        _modifier_25(line, hits, separate, documented, _globals(global_days, line.code)),
        _distinct_service(line, hits, distinct),
    ]
    found = [f for f in found if len(f)]
    out = pd.concat(found, ignore_index=True) if found else _empty()
    return (
        out[COLUMNS]
        .astype({"line_number": "int64", "units": "int64", "is_compliant": bool})
        .sort_values(["claim_id", "line_number", "suggested_code"])
        .reset_index(drop=True)
    )


def global_days(medicare_fees: pd.DataFrame, fallback: pd.DataFrame | None = None) -> pd.DataFrame:
    """procedure_code, modifier, glob_days: CMS's global period of each code and modifier
    row, from its latest row that says one (the period does not depend on the locality;
    ``modifiers`` lets the code's own row stand for the code). The practice's own rows
    win over rows CMS's fee library filled in (``source`` set: ``library.completed``),
    and ``fallback`` (procedure_code, modifier, glob_days: the library's latest release)
    gives the codes neither has."""
    columns = ["procedure_code", "modifier", "glob_days"]
    if "glob_days" not in medicare_fees:  # a frame read without it: none known
        medicare_fees = pd.DataFrame(columns=[*columns, "effective_from"])
    known = medicare_fees[medicare_fees["glob_days"].notna()]
    own = ~known["source"].notna() if "source" in known else pd.Series(True, index=known.index)
    latest = known.assign(_own=own).sort_values(
        ["procedure_code", "modifier", "_own", "effective_from"], kind="stable"
    )
    latest = latest.drop_duplicates(["procedure_code", "modifier"], keep="last")[columns]
    if fallback is not None and len(fallback):
        missing = fallback.merge(latest[columns[:2]], on=columns[:2], how="left", indicator=True)
        latest = pd.concat([latest, missing[missing["_merge"].eq("left_only")][columns]])
    return latest.astype(str).reset_index(drop=True)


class _Lines:
    """The billed lines as arrays: codes, days, groups (claim, patient and date), and
    each line's modifiers read once per distinct ``modifiers`` text."""

    def __init__(self, lines: pd.DataFrame) -> None:
        self.n = len(lines)
        self.claim = lines["claim_id"].to_numpy(object)
        self.line_number = lines["line_number"].to_numpy("int64")
        code, codes = pd.factorize(lines["procedure_code"].astype(object).fillna(""))
        self.code = np.array([str(c).upper() for c in codes], dtype=object)[code]
        day = pd.to_datetime(lines["date_of_service"]).to_numpy("datetime64[D]")
        self.day = day
        self.payer = lines["payer_id"].to_numpy(object)
        self.product = lines["product_line"].astype(object).fillna("").to_numpy(object)
        patient = lines["patient_id"].to_numpy(object)
        keys = pd.DataFrame({"c": self.claim, "p": patient, "d": day})
        self.group = _groups(keys, ["c", "p", "d"])
        self.patient_day = _groups(keys, ["p", "d"])
        mods = lines["modifiers"].astype(object).fillna("").to_numpy(object)
        self.mod, uniques = pd.factorize(mods)
        listed = [[m for m in str(u).upper().split(":") if m] for u in uniques]
        self.mod_lists = listed
        self.count = np.array([len(m) for m in listed], dtype="int64")[self.mod]
        self.has = {
            m: np.array([m in ms for ms in listed], dtype=bool)[self.mod] for m in ("25", "57")
        }
        self.has_distinct = np.array(
            [bool(set(ms) & set(DISTINCT_MODIFIERS)) for ms in listed], dtype=bool
        )[self.mod]
        self._shown = {
            "now": [_hyphens(ms) for ms in listed],
            "no25": [_hyphens([m for m in ms if m != "25"]) for ms in listed],
            "nodistinct": [_hyphens([m for m in ms if m not in DISTINCT_MODIFIERS])
                           for ms in listed],
        }  # fmt: skip

    def shown(self, rows: np.ndarray, which: str, add: np.ndarray | str = "") -> np.ndarray:
        """The code of ``rows`` with its modifiers joined by '-': as billed (``now``),
        without 25 (``no25``) or without 59/X (``nodistinct``), then ``add`` appended."""
        suffix = np.asarray(self._shown[which], dtype=object)[self.mod[rows]]
        extra = np.where(np.asarray(add, dtype=object) != "", "-" + np.asarray(add, object), "")
        return self.code[rows] + suffix + extra


def _groups(keys: pd.DataFrame, by: list[str]) -> np.ndarray:
    """A group number per row (0, 1, ...) for the distinct values of ``by``."""
    return keys.groupby(by, sort=False, dropna=False).ngroup().to_numpy("int64")


def _hyphens(modifiers: list[str]) -> str:
    return "".join("-" + m for m in modifiers)


def _globals(global_days: pd.DataFrame, code: np.ndarray) -> np.ndarray:
    """Each line's global period as PPRRVU prints it ('' when the code is not listed)."""
    table = global_days
    if "modifier" in table:  # the global service's row first
        table = table.assign(_own=table["modifier"].fillna("").eq("")).sort_values(
            "_own", ascending=False, kind="stable"
        )
    table = table.drop_duplicates("procedure_code")
    at = pd.Index(table["procedure_code"].astype(object)).get_indexer(code)
    # A code not listed points past the end, at a blank (an empty table has no -1).
    days = np.append(table["glob_days"].astype(object).fillna("").to_numpy(object), "")
    return days[np.where(at >= 0, at, len(days) - 1)]


def _applicable_pairs(line: _Lines, pairs: pd.DataFrame) -> pd.DataFrame:
    """Every (line, pair rule) where the line bills column 2, column 1 is billed on the
    same claim, patient and date, and the rule is in force for the line (its date, payer
    and product line): line, rule (row of ``pairs``), column1, rule_id, flagged (the line
    carries none of the rule's bypass modifiers) and, per modifier of ``_ASKED``,
    whether the rule's bypass list takes it (``takes_25``, ``takes_59``, ...)."""
    columns = ["line", "rule", "column1", "rule_id", "flagged", *(f"takes_{m}" for m in _ASKED)]
    codes, shown = pd.factorize(line.code)
    index = pd.Index(shown)
    first = index.get_indexer(pairs["column1"].astype(object))
    second = index.get_indexer(pairs["column2"].astype(object))
    rules = np.flatnonzero((first >= 0) & (second >= 0))
    if not len(rules) or not line.n:
        return pd.DataFrame({c: [] for c in columns})
    k = np.int64(len(shown))
    line_key = line.group * k + codes
    present = np.unique(line_key)
    g, c = present // k, present % k
    multi = np.bincount(g)[g] > 1  # only a group of two codes or more holds a pair
    both = pd.DataFrame({"g": g[multi], "c": c[multi]})
    joined = both.merge(both, on="g", suffixes=("1", "2"))
    pair_key = joined["c1"].to_numpy("int64") * k + joined["c2"].to_numpy("int64")
    rule_key = first[rules] * k + second[rules]
    wanted = np.isin(pair_key, rule_key)
    second_at = joined["g"].to_numpy("int64") * k + joined["c2"].to_numpy("int64")
    seen = pd.DataFrame({"key": pair_key[wanted], "at": second_at[wanted]})
    seen = seen.merge(pd.DataFrame({"key": rule_key, "rule": rules}), on="key")
    at_lines = pd.DataFrame({"at": line_key, "line": np.arange(line.n)})
    hits = at_lines[np.isin(line_key, seen["at"].to_numpy())].merge(seen[["at", "rule"]], on="at")
    i, r = hits["line"].to_numpy("int64"), hits["rule"].to_numpy("int64")
    start = pairs["effective_from"].to_numpy("datetime64[D]")[r]
    end = pd.to_datetime(pairs["effective_to"]).to_numpy("datetime64[D]")[r]
    day = line.day[i]
    payer = pairs["payer_id"].astype(object).to_numpy(object)[r]
    product = pairs["product_line"].astype(object).fillna("").to_numpy(object)[r]
    live = (day >= start) & (np.isnat(end) | (day < end))
    live &= (payer == "*") | (payer == line.payer[i])
    live &= (product == "") | (product == line.product[i])
    i, r = i[live], r[live]
    bypass, lists = pd.factorize(pairs["bypass_modifiers"].astype(object).fillna(""))
    taken = [set(m for m in str(b).split(":") if m) for b in lists]
    out = pd.DataFrame(
        {
            "line": i,
            "rule": r,
            "column1": pairs["column1"].astype(object).to_numpy(object)[r],
            "rule_id": pairs["rule_id"].astype(object).to_numpy(object)[r],
        }
    )
    # Flagged: the line's modifiers meet none of the rule's; one test per distinct pair
    # of (modifier text, bypass list).
    width = np.int64(max(len(lists), 1))
    combos, combo = np.unique(line.mod[i] * width + bypass[r], return_inverse=True)
    meets = np.array(
        [bool(set(line.mod_lists[key // width]) & taken[key % width]) for key in combos],
        dtype=bool,
    )
    out["flagged"] = ~meets[combo] if len(combo) else np.zeros(0, dtype=bool)
    for m in _ASKED:
        out[f"takes_{m}"] = np.array([m in t for t in taken], dtype=bool)[bypass[r]]
    return out.sort_values(["line", "rule_id"], kind="stable").reset_index(drop=True)


def _first(hits: pd.DataFrame, where: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per line (of ``n``): the rule id and column 1 of its first hit where ``where``
    (rule id order), '' where none."""
    chosen = hits[where].drop_duplicates("line")
    rule_id = np.full(n, "", dtype=object)
    column1 = np.full(n, "", dtype=object)
    rule_id[chosen["line"].to_numpy("int64")] = chosen["rule_id"].to_numpy(object)
    column1[chosen["line"].to_numpy("int64")] = chosen["column1"].to_numpy(object)
    return rule_id, column1


def _any(hits: pd.DataFrame, where: np.ndarray, n: int) -> np.ndarray:
    """Per line (of ``n``): whether any of its hits is ``where``."""
    out = np.zeros(n, dtype=bool)
    out[hits["line"].to_numpy("int64")[where]] = True
    return out


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def _rows(line: _Lines, rows: np.ndarray, original, suggested, direction, support, rule_id):  # noqa: ANN001, ANN202
    return pd.DataFrame(
        {
            "claim_id": line.claim[rows],
            "line_number": line.line_number[rows],
            "kind": KIND,
            "original_code": original,
            "suggested_code": suggested,
            "units": 1,
            "direction": direction,
            "support": support,
            "is_compliant": True,
            "rule_id": rule_id,
        }
    )


def _modifier_25(
    line: _Lines,
    hits: pd.DataFrame,
    separate: np.ndarray,
    documented: np.ndarray,
    globs: np.ndarray,
) -> pd.DataFrame:
    """Add 25 where the documentation proves it, remove it where it disproves it
    (module docstring)."""
    n = line.n
    is_em = np.isin(line.code, OFFICE_EM)
    minor = np.isin(globs, MINOR_GLOBALS) & ~is_em
    groups = int(line.group.max(initial=-1)) + 1
    has_major = np.zeros(groups, dtype=bool)
    has_major[line.group[globs == MAJOR_GLOBAL]] = True
    # The first minor procedure of each claim, patient and date (by line number).
    order = np.lexsort((line.line_number, line.group))
    order = order[minor[order]]
    with_minor, first = np.unique(line.group[order], return_index=True)
    first_minor = np.full(groups, -1, dtype="int64")
    first_minor[with_minor] = order[first]
    procedure = first_minor[line.group]
    flagged = hits["flagged"].to_numpy(bool)
    blocked = _any(hits, flagged & ~hits["takes_25"].to_numpy(bool), n)
    # A pair rule in force that bundles the E/M into a service of the day unless 25
    # makes that day a procedure day too (an injection, a vaccine administration...).
    rule_for_25, bundled_into = _first(hits, flagged & hits["takes_25"].to_numpy(bool), n)
    add = (
        is_em & documented & (separate == "true") & ((procedure >= 0) | (rule_for_25 != ""))
        & ~has_major[line.group] & ~line.has["25"] & ~line.has["57"]
        & (line.count < MAX_MODIFIERS) & ~blocked
    )  # fmt: skip
    bypassed_by_25, _ = _first(hits, hits["takes_25"].to_numpy(bool), n)
    refuted = is_em & line.has["25"] & documented & (separate == "false")
    found = []
    rows = np.flatnonzero(add)
    if len(rows):
        named = np.maximum(procedure[rows], 0)
        support = f"{SEPARATE}=true; " + np.where(
            procedure[rows] >= 0,
            line.code[named] + " global " + globs[named] + " same day",
            line.code[rows] + " billed with " + bundled_into[rows] + " the same day",
        )
        found.append(_rows(line, rows, line.shown(rows, "now"), line.shown(rows, "now", "25"),
                           "up", support, rule_for_25[rows]))  # fmt: skip
    rows = np.flatnonzero(refuted)
    if len(rows):
        found.append(_rows(line, rows, line.shown(rows, "now"), line.shown(rows, "no25"),
                           "down", f"{SEPARATE}=false", bypassed_by_25[rows]))  # fmt: skip
    return pd.concat(found, ignore_index=True) if found else _empty()


def _distinct_service(line: _Lines, hits: pd.DataFrame, distinct: np.ndarray) -> pd.DataFrame:
    """Add 59 or an X modifier on a flagged column-2 line the documentation proves
    distinct; remove them where it documents the service as not distinct."""
    n = line.n
    is_em = (line.code >= E_M_RANGE[0]) & (line.code <= E_M_RANGE[1])
    wanted = np.array([DISTINCT_MODIFIER.get(v, "") for v in distinct], dtype=object)
    flagged = hits["flagged"].to_numpy(bool)
    on = hits["line"].to_numpy("int64")
    chosen = wanted[on]
    takes_own = np.zeros(len(hits), dtype=bool)
    for m in DISTINCT_MODIFIERS:
        takes_own |= (chosen == m) & hits[f"takes_{m}"].to_numpy(bool)
    takes_59 = hits["takes_59"].to_numpy(bool)
    own_ok = ~_any(hits, flagged & ~takes_own, n)
    fallback_ok = ~_any(hits, flagged & ~takes_59, n)
    any_flagged = _any(hits, flagged, n)
    modifier = np.where(own_ok, wanted, np.where(fallback_ok, "59", ""))
    add = (
        any_flagged & (wanted != "") & (modifier != "") & ~is_em & ~line.has_distinct
        & (line.count < MAX_MODIFIERS)
    )  # fmt: skip
    rule_id, column1 = _first(hits, flagged, n)
    found = []
    rows = np.flatnonzero(add)
    if len(rows):
        support = (
            f"{DISTINCT}=" + distinct[rows].astype(object) + "; " + line.code[rows]
            + " billed with " + column1[rows] + " the same day"
        )  # fmt: skip
        found.append(_rows(line, rows, line.shown(rows, "now"),
                           line.shown(rows, "now", modifier[rows]), "up", support,
                           rule_id[rows]))  # fmt: skip
    refuted = line.has_distinct & (distinct == "false")
    rows = np.flatnonzero(refuted)
    if len(rows):
        bypassed = _bypassed_by_distinct(line, hits, n)
        found.append(_rows(line, rows, line.shown(rows, "now"), line.shown(rows, "nodistinct"),
                           "down", f"{DISTINCT}=false", bypassed[rows]))  # fmt: skip
    return pd.concat(found, ignore_index=True) if found else _empty()


def _bypassed_by_distinct(line: _Lines, hits: pd.DataFrame, n: int) -> np.ndarray:
    """Per line: the first pair rule one of its 59/X modifiers bypasses ('' none)."""
    on = hits["line"].to_numpy("int64")
    met = np.zeros(len(hits), dtype=bool)
    for m in DISTINCT_MODIFIERS:
        carries = np.array([m in ms for ms in line.mod_lists], dtype=bool)[line.mod[on]]
        met |= carries & hits[f"takes_{m}"].to_numpy(bool)
    rule_id, _ = _first(hits, met, n)
    return rule_id
