"""The 835's loop structure: which segment stands in which loop, and where it may stand.

Every segment gets a tag code (``TAGS``; ``OTHER`` for segments read past) and a loop
context: the kind of the last ST/BPR/LX/CLP/SVC/PLB before it, found by a running maximum
(``last``), not a loop over segments. ``structure`` returns both and the first segment
that stands where the 835 does not allow it (``WHERE``), a transaction set without its one
TRN, one that is not an 835, or a GS08 this reader does not know (``VERSIONS``).
"""

from __future__ import annotations

import numpy as np

from payeropt_lib.errors import X12Error

from . import x12

# GS08 values read as an 835. 004010X091A1 is the older guide some payers still send.
VERSIONS = ("005010X221A1", "005010X221", "004010X091A1", "004010X091")
# CR ("correction and reversal") is 4010 only, but is read in either version: it carries
# the same amounts, and refusing a whole payment over a retired code helps nobody.
GROUPS = ("CO", "PR", "OA", "PI", "CR")

# Code lists of the elements this reader reads or that place what it reads, from the
# 005010X221A1 and 004010X091A1 maps of pyx12 (domain.md [17]); a value outside them is a
# damaged file, not a payment (docs/era.md, "Code lists and the character set"). One list
# serves both versions: the union, so a 4010 code in a 5010 file is not refused for that.
HANDLING = ("C", "D", "H", "I", "P", "U", "X")  # BPR01
CREDIT_DEBIT = ("C", "D")  # BPR03
PAYMENT_METHODS = ("ACH", "BOP", "CHK", "FWT", "NON")  # BPR04
# BPR05, 06, 08, 12, 14 alternate with the values they qualify: a lost element separator
# before BPR15 moves a value into one of them.
BPR_QUALIFIERS = {
    5: ("CCP", "CTX"),
    6: ("01", "04"),
    8: ("DA",),
    12: ("01", "04"),
    14: ("DA", "SG"),
}
CLAIM_STATUSES = ("1", "2", "3", "4", "19", "20", "21", "22", "23", "25")  # CLP02
AMOUNT_QUALIFIERS = (  # AMT01, claim (2100) and line (2110) lists together
    "AU", "B6", "D8", "DY", "F5", "I", "KH", "NE", "NL", "T", "T2", "ZK", "ZL", "ZM", "ZN",
    "ZO", "ZZ",
)  # fmt: skip
PRODUCT_QUALIFIERS = (  # SVC01-1, SVC06-1
    "AD", "ER", "HC", "HP", "ID", "IV", "N4", "N6", "NU", "RB", "UI", "WK", "ZZ",
)  # fmt: skip

TAGS = (
    "ISA", "GS", "ST", "SE", "GE", "IEA", "BPR", "TRN", "DTM", "N1", "REF", "LX", "CLP",
    "CAS", "NM1", "SVC", "AMT", "LQ", "PLB", "MOA", "MIA",
)  # fmt: skip
T = {tag: i for i, tag in enumerate(TAGS)}
OTHER = len(TAGS)  # any other segment id (N3, N4, PER, TS3, QTY, ...): read past

# Loop context of a segment = the kind of the last "marker" segment before it.
AFTER_ST, HEADER, AFTER_LX, CLAIM, LINE, FOOTER, OUTSIDE = range(7)
MARKS = {"ST": AFTER_ST, "BPR": HEADER, "LX": AFTER_LX, "CLP": CLAIM, "SVC": LINE}
MARKS |= {"PLB": FOOTER, "SE": OUTSIDE, "GS": OUTSIDE, "GE": OUTSIDE}
MARKS |= {"ISA": OUTSIDE, "IEA": OUTSIDE}
BODY = (HEADER, AFTER_LX, CLAIM, LINE)
WHERE = {  # contexts a segment may appear in (x12 already checks what is outside ST..SE)
    "BPR": (AFTER_ST,),
    "TRN": (HEADER,),
    "N1": (HEADER,),
    "LX": BODY,
    "CLP": BODY,
    "SVC": (CLAIM, LINE),
    "CAS": (CLAIM, LINE),
    "NM1": (CLAIM, LINE),
    "AMT": (CLAIM, LINE),
    "MOA": (CLAIM, LINE),
    "MIA": (CLAIM, LINE),
    "LQ": (LINE,),
    "PLB": (*BODY, FOOTER),
    "SE": (*BODY, FOOTER),
    "DTM": BODY,
    "REF": BODY,
    None: BODY,  # any other segment
}
# DTM01 by loop: 405 production date (header), 036/050/232/233 (claim), 150/151/472 (line);
# between LX and the first CLP any of them.
DATE_QUALIFIERS = {
    HEADER: ("405",),
    CLAIM: ("036", "050", "232", "233"),
    LINE: ("150", "151", "472"),
}
DATE_QUALIFIERS[AFTER_LX] = tuple(q for qs in DATE_QUALIFIERS.values() for q in qs)
MARK = np.full(OTHER + 1, -1, dtype=np.int64)
ALLOWED = np.zeros((OTHER + 1, 7), dtype=bool)
ALLOWED[:, OUTSIDE] = True
for _tag, _mark in MARKS.items():
    MARK[T[_tag]] = _mark
for _tag in ("ISA", "GS", "ST", "GE", "IEA"):
    ALLOWED[T[_tag]] = True
for _tag, _contexts in WHERE.items():
    ALLOWED[OTHER if _tag is None else T[_tag], list(_contexts)] = True
# Element counts with the tag: more than the guide defines is refused.
WIDTH = {"CLP": 15, "SVC": 8, "CAS": 20, "BPR": 22, "PLB": 15}


def last(mask: np.ndarray) -> np.ndarray:
    """Index of the last True at or before each position (-1 before the first)."""
    return np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1))


def element(segments: x12.Segments, index: int, k: int) -> str:
    """Element k of segment ``index`` ('' when the segment has fewer elements)."""
    els = segments.segment(int(index))
    return els[k] if k < len(els) else ""


def _misplaced(name: str, index: int, tag: str, context: int) -> X12Error:
    if tag == "SE":
        why = "transaction set has no BPR: an 835 without a payment header cannot be posted"
    elif context == AFTER_ST:
        why = f"{tag} where BPR must be: an 835 starts with BPR right after ST"
    elif context == FOOTER:
        why = f"{tag} after PLB: provider adjustments must be the last segments before SE"
    elif tag == "BPR":
        why = "BPR must come right after ST"
    elif tag in ("TRN", "N1"):
        why = f"{tag} after the first claim or LX: it belongs in the 835 header"
    elif tag == "LQ":
        why = "LQ outside a service line: it must follow an SVC"
    elif tag == "SVC":
        why = "SVC before any CLP: a service line must belong to a claim"
    else:
        why = f"{tag} outside a claim: it must follow a CLP"
    return X12Error(name, index + 1, tag, why)


def structure(segments: x12.Segments) -> tuple[np.ndarray, np.ndarray, X12Error | None]:
    """Tag codes and loop contexts per segment, and the first problem of placement
    (vectorized)."""
    tags = segments.tags
    code = segments.codes(TAGS)
    n = len(code)
    marker = MARK[code]
    marked = last(marker >= 0)
    before = np.concatenate(([-1], marked[:-1])) if n else marked
    context = np.where(before >= 0, marker[np.maximum(before, 0)], OUTSIDE)
    name = segments.name
    found: list[X12Error] = []
    misplaced = np.flatnonzero(~ALLOWED[code, context])
    if len(misplaced):
        i = int(misplaced[0])
        found.append(_misplaced(name, i, tags[i].as_py(), int(context[i])))
    # One TRN per transaction set, and it is required.
    is_st, is_trn = code == T["ST"], code == T["TRN"]
    trn_total = np.cumsum(is_trn)
    trn_seen = trn_total - trn_total[np.maximum(last(is_st), 0)] if n else trn_total
    second = np.flatnonzero(is_trn & (trn_seen >= 2))
    if len(second):
        found.append(
            X12Error(name, int(second[0]) + 1, "TRN", "a second TRN: an 835 has one trace number")
        )
    no_trn = np.flatnonzero((code == T["SE"]) & (trn_seen == 0) & (context != AFTER_ST))
    if len(no_trn):
        found.append(
            X12Error(
                name,
                int(no_trn[0]) + 1,
                "SE",
                "transaction set has no TRN: the check or EFT trace number is required",
            )
        )
    # Each ST: an 835, in a group whose GS08 is a guide this reader knows.
    last_gs = last(code == T["GS"])
    for i in np.flatnonzero(is_st).tolist():
        st01 = element(segments, i, 1)
        if st01 != "835":
            found.append(
                X12Error(
                    name,
                    i + 1,
                    "ST",
                    f"transaction set {st01} is not an 835 remittance; this file cannot be posted",
                )
            )
            break
        gs = int(last_gs[i])
        if gs < 0:
            continue  # an ST outside GS..GE: x12 reports it
        version = element(segments, gs, 8)
        if version not in VERSIONS:
            found.append(
                X12Error(
                    name,
                    gs + 1,
                    "GS",
                    f"GS08 {version!r} is not an 835 guide this reader knows "
                    f"({', '.join(VERSIONS[::2])})",
                )
            )
            break
    return code, context, min(found, key=lambda e: e.segment_number) if found else None
