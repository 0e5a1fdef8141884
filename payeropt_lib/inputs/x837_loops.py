"""The 837P's loop structure: which claim, line and hierarchical level each segment is in.

Every segment gets, by running maxima over the segment list (``last``, no Python loop over
segments): its HL and that HL's level code (20 billing provider, 22 subscriber, 23
patient), the claim (CLM) it belongs to, its service line (LX) and whether it stands in
the claim's other-payer loops (2320/2330, after a claim-level SBR and before the first
LX). ``structure`` returns them with the first segment that stands where a professional
claim does not allow it, a transaction set that is not an 837, or a GS08 that is not the
professional guide (``VERSIONS``): 837I (X223), 837D (X224), 835 and 4010 files are
refused whole here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.errors import X12Error

from . import x12
from .era_loops import element, last

# GS08 read as an 837 Professional. A2 is the 2014 errata; the bare 005010X222 is what
# some clearinghouses still write: the same segments.
VERSIONS = ("005010X222A1", "005010X222A2", "005010X222")
OTHER_GUIDES = {
    "X223": "an 837 Institutional claim (005010X223)",
    "X224": "an 837 Dental claim (005010X224)",
    "X221": "an 835 remittance",
    "X098": "a 4010 837 Professional claim (004010X098)",
    "X096": "a 4010 837 Institutional claim (004010X096)",
    "X097": "a 4010 837 Dental claim (004010X097)",
    "X091": "a 4010 835 remittance",
}

TAGS = (
    "ISA", "GS", "ST", "SE", "GE", "IEA", "BHT", "HL", "SBR", "NM1", "CLM", "REF", "DTP",
    "HI", "LX", "SV1", "SVD", "CAS", "AMT", "SV2", "SV3", "DMG", "PAT",
)  # fmt: skip
T = {tag: i for i, tag in enumerate(TAGS)}
OTHER = len(TAGS)


@dataclass(frozen=True)
class Loops:
    """Per segment (index i): tag code and loop positions (-1: none)."""

    code: np.ndarray
    hl: np.ndarray  # index of the HL the segment is under
    level: np.ndarray  # that HL's level code as an int (20, 22, 23; 0 other or none)
    claim: np.ndarray  # index of its CLM (-1 outside a claim)
    line: np.ndarray  # index of its LX (-1 outside a service line)
    other_payer: np.ndarray  # bool: in 2320/2330 (after a claim SBR, before the first LX)
    st: np.ndarray  # index of its ST
    gs: np.ndarray  # index of its GS

    @property
    def header(self) -> np.ndarray:
        """In the claim's own loops (2300, 2310x), not other payers' and not a line."""
        return (self.claim >= 0) & (self.line < 0) & ~self.other_payer


def _levels(segments: x12.Segments, code: np.ndarray) -> np.ndarray:
    """HL03 of every HL as an int (0 when not 20/22/23), in Arrow: a file of a million lines
    has a quarter million HLs."""
    hl = np.flatnonzero(code == T["HL"])
    out = np.zeros(len(code), dtype=np.int64)
    if not len(hl):
        return out
    offsets = segments.offsets
    has = offsets[hl + 1] - offsets[hl] > 3
    pos = np.where(has, offsets[hl] + 3, 0)
    values = segments.values.take(pa.array(pos, mask=~has))
    for level in ("20", "22", "23"):
        hit = pc.fill_null(pc.equal(values, level), False).to_numpy(zero_copy_only=False)
        out[hl[hit]] = int(level)
    return out


def structure(segments: x12.Segments) -> tuple[Loops, X12Error | None]:
    """Loop positions of every segment and the first misplaced segment (vectorized)."""
    code = segments.codes(TAGS)
    n = len(code)
    level_at = _levels(segments, code)
    st = last(code == T["ST"])
    gs = last(code == T["GS"])
    hl = last(code == T["HL"])
    hl = np.where(hl > st, hl, -1)
    level = np.where(hl >= 0, level_at[np.maximum(hl, 0)], 0)
    clm = last(code == T["CLM"])
    claim = np.where((clm > hl) & (clm > st) & (hl >= 0), clm, -1)
    closed = np.isin(code, [T["SE"], T["HL"]])
    claim[closed & (claim != np.arange(n))] = -1
    lx = last(code == T["LX"])
    line = np.where((claim >= 0) & (lx > claim), lx, -1)
    sbr = last(code == T["SBR"])
    other_payer = (claim >= 0) & (line < 0) & (sbr > claim)
    loops = Loops(code, hl, level, claim, line, other_payer, st, gs)
    return loops, _first_problem(segments, loops)


def _first_problem(segments: x12.Segments, loops: Loops) -> X12Error | None:
    name = segments.name
    code = loops.code
    found: list[X12Error] = []

    def at_first(mask: np.ndarray, reason: str) -> None:
        hits = np.flatnonzero(mask)
        if len(hits):
            i = int(hits[0])
            found.append(X12Error(name, i + 1, TAGS[code[i]], reason))

    in_st = (loops.st >= 0) & ~np.isin(code, [T["ISA"], T["GS"], T["GE"], T["IEA"]])
    at_first(
        (code == T["SV2"]) & in_st,
        "SV2 is an institutional service line: this is not an 837 Professional",
    )
    at_first(
        (code == T["SV3"]) & in_st, "SV3 is a dental service line: this is not an 837 Professional"
    )
    at_first(
        (code == T["CLM"]) & ~np.isin(loops.level, [22, 23]),
        "CLM outside a subscriber (HL*22) or patient (HL*23) loop",
    )
    at_first((code == T["LX"]) & (loops.claim < 0), "LX outside a claim: it must follow a CLM")
    at_first(
        (code == T["SV1"]) & (loops.line < 0), "SV1 outside a service line: it must follow an LX"
    )
    at_first(
        (code == T["SVD"]) & (loops.line < 0),
        "SVD outside a service line: prior-payer line adjudication follows an SV1",
    )
    # Exactly one SV1 per LX, and at least one LX per claim.
    n = len(code)
    is_lx = code == T["LX"]
    in_line = (code == T["SV1"]) & (loops.line >= 0)
    sv1_per_line = np.bincount(loops.line[in_line], minlength=n)
    at_first(is_lx & (sv1_per_line == 0), "service line without SV1: an 837P line is LX then SV1")
    at_first(is_lx & (sv1_per_line > 1), "service line with more than one SV1")
    lx_per_claim = np.bincount(loops.claim[is_lx & (loops.claim >= 0)], minlength=n)
    at_first(
        (code == T["CLM"]) & (lx_per_claim == 0),
        "claim without a service line (LX): an 837P claim has at least one",
    )
    is_st = code == T["ST"]
    bht_next = np.zeros(len(code), dtype=bool)
    sts = np.flatnonzero(is_st)
    after = np.minimum(sts + 1, len(code) - 1)
    bht_next[sts] = code[after] == T["BHT"] if len(sts) else False
    at_first(is_st & ~bht_next, "an 837 starts with BHT right after ST")
    for i in sts.tolist():
        st01 = element(segments, i, 1)
        gs = int(loops.gs[i])
        version = element(segments, gs, 8) if gs >= 0 else ""
        guide = next((what for key, what in OTHER_GUIDES.items() if key in version), None)
        if st01 != "837" and guide is None:
            kind = "an 835 remittance" if st01 == "835" else f"transaction set {st01!r}"
            found.append(X12Error(name, i + 1, "ST", f"{kind} is not an 837 Professional claim"))
            break
        if gs >= 0 and version not in VERSIONS:
            what = guide or f"GS08 {version!r} is not an 837 Professional guide"
            found.append(
                X12Error(
                    name,
                    gs + 1,
                    "GS",
                    f"{what}; only 837 Professional ({', '.join(VERSIONS)}) is read",
                )
            )
            break
        if st01 != "837":
            found.append(X12Error(name, i + 1, "ST", f"transaction set {st01!r} is not an 837"))
            break
    return min(found, key=lambda e: e.segment_number) if found else None
