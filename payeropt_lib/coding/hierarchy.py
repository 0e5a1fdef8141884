"""The ICD-10-CM hierarchy, from simple-icd-10-cm (docs/coding.md, "ICD-10-CM
specificity"), and what tells the children of a code apart.

The package bundles one release (1.5.0: the April 2026 update, FY2026) and reads it when
imported (~2 s): it is imported on first use, once per process, and its version checked.
Codes here are without the dot, upper case (``M1711``); the package's own are dotted.

``options(code)`` gives each child of a code with its *attributes*, the facts that choose
it over its siblings:

- ``laterality`` (right, left, bilateral, unspecified) when the siblings' descriptions are
  the same but for the side (``M17.11`` "Unilateral primary osteoarthritis, right knee"
  against ``M17.12`` "..., left knee" and ``M17.10`` "..., unspecified knee"), or when the
  7th character is the eye (``right eye``, ``left eye``, ``bilateral``, ``unspecified eye``);
- from the category's 7th-character definitions: ``episode`` (initial, subsequent,
  sequela), ``fracture`` (closed, open), ``healing`` (routine, delayed, nonunion,
  malunion) and ``gustilo`` (the open-fracture type);
- ``detail``: anything else (another site, type, stage, fetus...), which no documented
  finding payeropt reads can choose. Siblings that differ by side *and* by something else
  (``D17.21`` right arm, ``D17.23`` right leg) carry both.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from types import ModuleType

PACKAGE = "simple-icd-10-cm"
VERSION = "1.5.0"
SIDES = ("right", "left", "bilateral", "unspecified")
# A word the side replaces in a "bilateral" sibling ("..., right eye" / "..., bilateral").
_SIDE_NOUNS = frozenset({"eye", "ear", "side", "orbit"})
_FILLER = frozenset({"the", "of"})
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Option:
    """A child of a code: the code (no dot), its description and the attributes that tell
    it from its siblings, as sorted ``(name, value)`` pairs."""

    code: str
    description: str
    attrs: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        for key, value in self.attrs:
            if key == name:
                return value
        return None


@cache
def package() -> ModuleType:
    """simple_icd_10_cm, imported once (it parses its XML on import), at the pinned
    version: another version bundles another release."""
    found = metadata.version(PACKAGE)
    if found != VERSION:
        raise RuntimeError(
            f"payeropt reads the ICD-10-CM hierarchy from {PACKAGE} {VERSION} (April 2026, "
            f"FY2026); {found} is installed (pip install -c constraints.txt -e .)"
        )
    with warnings.catch_warnings():  # it reads its data with importlib.resources' old API
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module("simple_icd_10_cm")


def dotted(code: str) -> str:
    """``M1711`` as the package names it: ``M17.11``."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def undotted(code: str) -> str:
    return code.replace(".", "")


@cache
def is_code(code: str) -> bool:
    """A category, subcategory or full code (with its 7th character) of the package's
    release, not a chapter or block."""
    icd = package()
    name = dotted(code)
    return icd.is_valid_item(name) and icd.is_category_or_subcategory(name)


@cache
def description(code: str) -> str:
    return package().get_description(dotted(code)) if is_code(code) else ""


@cache
def options(code: str) -> tuple[Option, ...]:
    """The children of ``code`` with their attributes (none for a code without children)."""
    if not is_code(code):
        return ()
    icd = package()
    children = [undotted(c) for c in icd.get_children(dotted(code))]
    if not children:
        return ()
    if icd.is_extended_subcategory(dotted(children[0])):  # the 7th character
        meaning = icd.get_seven_chr_def(dotted(code), search_in_ancestors=True)
        return tuple(
            Option(c, description(c), _sorted(seventh_character(meaning.get(c[-1], ""))))
            for c in children
        )
    return tuple(
        Option(c, description(c), _sorted(found))
        for c, found in _sides({c: description(c) for c in children}).items()
    )


@cache
def path(code: str) -> tuple[tuple[str, Option], ...] | None:
    """The steps from the code's category down to it, each ``(parent, child option)``;
    ``()`` for a category, None for a code the package does not know."""
    if not is_code(code):
        return None
    icd = package()
    # A block named as its one category (T14) is listed as an ancestor too: keep one.
    ancestors = dict.fromkeys(
        undotted(a) for a in icd.get_ancestors(dotted(code)) if is_code(undotted(a))
    )
    chain = [*reversed(ancestors), code]
    steps = []
    for parent, child in zip(chain, chain[1:], strict=False):
        found = next((o for o in options(parent) if o.code == child), None)
        if found is None:
            return None
        steps.append((parent, found))
    return tuple(steps)


def seventh_character(meaning: str) -> dict[str, str]:
    """The attributes a 7th-character definition carries: "initial encounter for closed
    fracture" is episode initial and fracture closed; "right eye" is laterality right;
    a definition that names none of them (a stage, a fetus) is a ``detail``."""
    text = meaning.split("/")[0].strip().lower()  # the package appends notes after "/"
    found: dict[str, str] = {}
    for episode in ("initial", "subsequent"):
        if text.startswith(f"{episode} encounter"):
            found["episode"] = episode
    if text.startswith("sequela"):
        found["episode"] = "sequela"
    for kind in ("closed", "open"):
        if f"{kind} fracture" in text:
            found["fracture"] = kind
    if "type i or ii" in text:
        found["gustilo"] = "I or II"
    elif "type iiia" in text:
        found["gustilo"] = "IIIA, IIIB or IIIC"
    for healing in ("routine", "delayed"):
        if f"{healing} healing" in text:
            found["healing"] = healing
    for healing in ("nonunion", "malunion"):
        if healing in text:
            found["healing"] = healing
    eye = {"right eye": "right", "left eye": "left", "bilateral": "bilateral",
           "unspecified eye": "unspecified"}  # fmt: skip
    if text in eye:
        found["laterality"] = eye[text]
    if not found:
        found["detail"] = meaning.split("/")[0].strip()
    return found


def alike(one: str, other: str) -> bool:
    """True when two descriptions share most of their words, side words aside: "... of
    right arm" and "... of unspecified limb" do; "Contusion and laceration of right
    cerebrum" and "Unspecified focal traumatic brain injury" do not."""
    a, b = set(_signature(_words(one))), set(_signature(_words(other)))
    return len(a & b) >= 0.6 * len(a | b)


def _words(text: str) -> list[str]:
    """Lower-case words, plurals made singular ("ovaries" and "ovary" compare equal)."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word.endswith("ies"):
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
        out.append(word)
    return out


def _signature(words: list[str], loose: bool = False) -> tuple[str, ...]:
    """A description without its side words, word order ignored: what siblings that
    differ only by side share. Strict, the noun after a side goes too ("right eye"
    against "bilateral"); ``loose``, every such noun does ("Abscess of right external
    ear" against "Abscess of external ear, bilateral")."""
    kept = []
    for i, word in enumerate(words):
        if word in SIDES or word in _FILLER:
            continue
        after_side = i > 0 and words[i - 1] in SIDES
        if word in _SIDE_NOUNS and (loose or after_side):
            continue
        kept.append(word)
    return tuple(sorted(kept))


def _sides(described: dict[str, str]) -> dict[str, dict[str, str]]:
    """The attributes of siblings that are not 7th characters: siblings whose descriptions
    are the same but for exactly one side word, distinct among them and including right
    and left, form a laterality group; each member's attribute is its side. A sibling
    left out whose description is the group's but for its side and the side nouns joins
    it when its side is not taken. When the siblings are not all one such group, each
    also carries the ``detail`` that sets its group (or itself) apart, which no finding
    chooses."""
    words = {code: _words(text) for code, text in described.items()}
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for code, found in words.items():
        groups[_signature(found)].append(code)
    lateral: dict[str, str] = {}
    group_of: dict[str, tuple[str, ...]] = {}
    for signature, members in groups.items():
        side = _group_sides(members, words)
        if side:
            lateral.update(side)
            group_of.update(dict.fromkeys(members, signature))
    loose = {_signature(words[m], loose=True): sig for m, sig in group_of.items()}
    for code in [c for c in described if c not in group_of]:
        signature = loose.get(_signature(words[code], loose=True))
        if signature is None:
            continue
        members = [m for m, sig in group_of.items() if sig == signature]
        side = _group_sides([*members, code], words)
        if side and all(side[m] == lateral[m] for m in members):
            lateral[code] = side[code]
            group_of[code] = signature
    pure = len(set(group_of.values())) == 1 and len(lateral) == len(described)
    out: dict[str, dict[str, str]] = {}
    for code in described:
        found: dict[str, str] = {}
        if code in lateral:
            found["laterality"] = lateral[code]
        if not pure:
            found["detail"] = " ".join(group_of[code]) if code in lateral else described[code]
        out[code] = found
    return out


def _group_sides(members: list[str], words: dict[str, list[str]]) -> dict[str, str] | None:
    """Each member's side when the members differ by exactly one side word each."""
    if len(members) < 2:
        return None
    counts = {m: Counter(w for w in words[m] if w in SIDES) for m in members}
    common = counts[members[0]]
    for m in members[1:]:
        common = common & counts[m]
    extra = {m: list((counts[m] - common).elements()) for m in members}
    if any(len(e) != 1 for e in extra.values()):
        return None
    side = {m: e[0] for m, e in extra.items()}
    values = list(side.values())
    if len(set(values)) != len(values) or not {"right", "left"} <= set(values):
        return None
    return side


def _sorted(found: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(found.items()))
