"""835 remittances: X12 loops to pandas frames, and the balancing rules of domain.md §4.4.

``parse(name, raw)`` reads one file (any delimiters, one or many ISA/GS/ST, with or without
line breaks) into a ``Remit`` of five frames; a file that is not a valid 835 is refused
whole with ``X12Error`` naming the first problem's segment. ``balance(remit)`` lists what
does not balance; an unbalanced transaction is still parsed (the interface posts it and
reports it).

The work is columnar, not a Python loop over segments (a 20,000-claim file has ~365,000):
``x12.scan`` splits the file in Arrow; here each segment gets its loop context (the kind
of the last ST/BPR/LX/CLP/SVC/PLB before it, by a running maximum), each claim, line and
transaction finds its child segments by running counts, and a table's columns come from
one Arrow ``take``. Money, quantities and dates are parsed once per distinct value (a
remittance repeats them) with Python ints, so cents are exact: no float on the way.
Columns are listed in ``Remit`` and ``docs/era.md``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.errors import X12Error
from payeropt_lib.formats import decimal_texts

from . import x12

logger = logging.getLogger(__name__)

# GS08 values read as an 835. 004010X091A1 is the older guide some payers still send.
VERSIONS = ("005010X221A1", "005010X221", "004010X091A1", "004010X091")
# CR ("correction and reversal") is 4010 only, but is read in either version: it carries
# the same amounts, and refusing a whole payment over a retired code helps nobody.
GROUPS = ("CO", "PR", "OA", "PI", "CR")

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

# pandas keeps strings as Arrow large_string: reading the file as such saves a cast per column.
TEXT = pa.large_string()
# X12 decimal: optional minus, digits, optional point; trailing zeros past the cents are
# fine ('12.500'), any other digit there is a fraction of a cent and is refused.
_DECIMAL = re.compile(r"(-?)([0-9]*)(?:\.([0-9]*))?")


@dataclass(frozen=True)
class Remit:
    """One parsed 835 file: five frames, ``txn`` (0.. in file order) links them.

    Money is int64 cents (``Int64`` where the element is optional), dates
    ``datetime64[ns]`` (NaT when absent), quantities exact ``*_x1000`` integers, blank
    optional strings NA, segment numbers (``*_segment``) 1-based over the whole file.

    - transactions: txn, isa_sender_qualifier, isa_sender_id, isa_receiver_qualifier,
      isa_receiver_id, isa_control, isa_usage, gs_sender, gs_receiver, gs_control,
      st_control, version, handling, total_paid_cents, credit_debit, payment_method,
      payment_date, trace_type, trace_number, trace_payer_id, production_date, payer_name,
      payer_id_qualifier, payer_id, payer_ref_2u, payer_refs, payee_name,
      payee_id_qualifier, payee_id, payee_refs, header_refs, st_segment
    - claims: txn, claim_seq, claim_id, status, charge_cents, paid_cents,
      patient_resp_cents, filing_indicator, payer_claim_number, facility_code, frequency,
      clp10..clp14, patient_last, patient_first, patient_member_id, insured_member_id,
      rendering_provider_id, statement_from, statement_to, received_date, moa_remarks,
      clp_segment
    - lines: txn, claim_seq, line_seq, qualifier, procedure_code, modifiers, charge_cents,
      paid_cents, revenue_code, units_paid_x1000, submitted_qualifier, submitted_code,
      submitted_modifiers, original_units_x1000, service_date, service_from, service_to,
      line_control_number, allowed_cents, remark_codes, svc_segment
    - adjustments: txn, claim_seq, line_seq (NA at claim level), group, reason,
      amount_cents, quantity, cas_segment
    - plb: txn, provider_id, fiscal_period_date, reason, reference, amount_cents,
      plb_segment
    """

    transactions: pd.DataFrame
    claims: pd.DataFrame
    lines: pd.DataFrame
    adjustments: pd.DataFrame
    plb: pd.DataFrame
    name: str = ""


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


@dataclass
class _File:
    """The segments of one file with what every extraction needs, precomputed once."""

    segments: x12.Segments
    code: np.ndarray  # tag code per segment (OTHER for unknown tags)
    context: np.ndarray  # loop context per segment
    offsets: np.ndarray
    values: pa.Array
    vlen: np.ndarray  # length of every element
    problems: list[X12Error] = field(default_factory=list)
    build: bool = True  # False: only look for problems (the file is refused anyway)
    bounds: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    fetched: dict[tuple[int, int], tuple[np.ndarray, pa.Array]] = field(default_factory=dict)
    encoded: dict[int, tuple[pa.Array, np.ndarray, list[str]]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.segments.name

    def where(self, tag: str, context: tuple[int, ...] | None = None) -> np.ndarray:
        """Indices of the segments with this tag (in these contexts)."""
        index = np.flatnonzero(self.code == T[tag])
        if context is not None:
            wanted = np.zeros(OUTSIDE + 1, dtype=bool)
            wanted[list(context)] = True
            index = index[wanted[self.context[index]]]
        return index

    def _bounds(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and end element position of each segment (-1: none, an empty range);
        cached because each column of a frame asks again for the same segments."""
        cached = self.bounds.get(id(index))
        if cached is not None and cached[0] is index:
            return cached[1], cached[2]
        safe = np.maximum(index, 0)
        start = self.offsets[safe]
        end = np.where(index >= 0, self.offsets[safe + 1], start)
        self.bounds[id(index)] = (index, start, end)
        return start, end

    def at(self, index: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``values`` of element k of the segments ``index`` (-1: none), and
        whether that element is there and not empty."""
        start, end = self._bounds(index)
        pos = start + k
        has = pos < end
        pos = np.where(has, pos, 0)
        return pos, has & (self.vlen[pos] > 0)

    def text(self, index: np.ndarray, k: int) -> pa.Array:
        """Element k of the segments ``index`` as strings; null where absent or empty."""
        hit = self.fetched.get((id(index), k))
        if hit is not None and hit[0] is index:
            return hit[1]
        pos, ok = self.at(index, k)
        return self.values.take(pa.array(pos, mask=~ok))

    def fetch(self, wanted: list[tuple[np.ndarray, tuple[int, ...]]]) -> None:
        """Read many (segments, element) columns with one Arrow ``take``; ``text`` then
        returns zero-copy slices. Each take costs a fixed overhead that small files feel."""
        located = [(index, k, *self.at(index, k)) for index, ks in wanted for k in ks]
        if not located:
            return
        pos = np.concatenate([p for _, _, p, _ in located])
        ok = np.concatenate([o for _, _, _, o in located])
        taken = self.values.take(pa.array(pos, mask=~ok))
        start = 0
        for index, k, p, _ in located:
            self.fetched[(id(index), k)] = (index, taken.slice(start, len(p)))
            start += len(p)

    def strings(self, array: pa.Array) -> pd.api.extensions.ExtensionArray | pa.Array:
        """A pandas ``str`` column, or the Arrow array as is when no frame is built."""
        return _strings(array) if self.build else array

    def qualified(self, index: np.ndarray, value: str) -> np.ndarray:
        """The segments of ``index`` whose element 1 (qualifier) is ``value``."""
        lookup, codes = self.segments.qualifier_codes
        return index[codes[index] == lookup.get(value, -2)]

    def count(self, index: np.ndarray) -> np.ndarray:
        """Number of elements (tag included) of the segments ``index``."""
        return self.offsets[index + 1] - self.offsets[index]

    def frame(self, columns: dict[str, object]) -> pd.DataFrame | None:
        return pd.DataFrame(columns) if self.build else None

    def problem(self, index: int, tag: str, reason: str) -> None:
        self.problems.append(X12Error(self.name, int(index) + 1, tag, reason))

    def value(self, index: int, k: int) -> str:
        els = self.segments.segment(int(index))
        return els[k] if k < len(els) else ""

    # --- typed columns ----------------------------------------------------------------

    def encode(self, arrays: list[pa.Array]) -> None:
        """Dictionary-encode several string columns in one Arrow call; ``decimals`` and
        ``dates`` then reuse the codes (values repeat: each is parsed once)."""
        if not arrays:
            return
        joined = pa.concat_arrays(arrays) if len(arrays) > 1 else arrays[0]
        encoded = pc.dictionary_encode(joined)
        distinct = encoded.dictionary.to_pylist()
        codes = pc.fill_null(encoded.indices, len(distinct)).to_numpy()
        start = 0
        for array in arrays:
            self.encoded[id(array)] = (array, codes[start : start + len(array)], distinct)
            start += len(array)

    def _codes(self, strings: pa.Array) -> tuple[np.ndarray, list[str]]:
        """Per value, its index in the distinct values (len(distinct) for null)."""
        hit = self.encoded.get(id(strings))
        if hit is not None and hit[0] is strings:
            return hit[1], hit[2]
        self.encode([strings])
        return self.encoded[id(strings)][1:]

    def _parsed(self, strings: pa.Array, parse: Callable[[str], Any]) -> tuple:
        """(codes, distinct values, codes that parse, their values, codes that fail); only
        the distinct values this column uses are parsed."""
        codes, distinct = self._codes(strings)
        good, values, failed = [], [], []
        for code in np.unique(codes).tolist():
            if code < len(distinct):
                value = parse(distinct[code])
                if value is None:
                    failed.append(code)
                else:
                    good.append(code)
                    values.append(value)
        return codes, distinct, good, values, failed

    def decimals(
        self,
        strings: pa.Array,
        index: np.ndarray,
        label: str,
        tag: str,
        places: int = 2,
        optional: bool = False,
        nullable: bool = False,
    ) -> np.ndarray | pd.api.extensions.ExtensionArray:
        """Exact decimals → int64 × 10**places (``Int64`` with NA when ``nullable``).

        ``index`` holds each value's segment index, -1 where the segment is absent (NA,
        never a problem); an empty element of a present segment is a problem unless the
        element is ``optional``.
        """
        codes, distinct, good, values, failed = self._parsed(
            strings, lambda text: _decimal(text, places)
        )
        table = np.zeros(len(distinct) + 1, dtype=np.int64)
        table[good] = values
        missing = codes == len(distinct)
        bad = np.isin(codes, failed)
        if not optional:
            bad |= missing & (index >= 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            if missing[row]:
                reason = f"{label} is empty but required"
            else:
                text = distinct[codes[row]]
                what = "an amount (at most 2 decimals)" if places == 2 else "a quantity"
                reason = f"{label} {text!r} is not {what}"
                if places == 3:
                    reason += " (at most 3 decimals)"
            self.problem(index[row], tag, reason)
        result = table[codes]
        if not nullable:
            return result
        return pd.arrays.IntegerArray(result, missing | bad)

    def dates(
        self, strings: pa.Array, index: np.ndarray, label: str, tag: str, optional: bool = False
    ) -> np.ndarray:
        """CCYYMMDD → datetime64[ns] (NaT when absent); an impossible date is a problem, and
        so is an empty one in a present segment unless the element is ``optional``."""
        codes, distinct, good, values, failed = self._parsed(strings, _date)
        table = np.full(len(distinct) + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
        table[good] = values
        missing = codes == len(distinct)
        bad = np.isin(codes, failed)
        if not optional:
            bad |= missing & (index >= 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            reason = (
                f"{label} is empty but required"
                if missing[row]
                else f"{label} {distinct[codes[row]]!r} is not a date (CCYYMMDD)"
            )
            self.problem(index[row], tag, reason)
        return table[codes]

    def too_long(self, index: np.ndarray, tag: str) -> None:
        """A segment with more elements than the guide defines is a problem."""
        counts = self.count(index)
        over = np.flatnonzero(counts > WIDTH[tag])
        if len(over):
            elements = int(counts[over[0]]) - 1
            reason = f"{tag} has {elements} elements; the 835 defines {WIDTH[tag] - 1}"
            self.problem(index[over[0]], tag, reason)


STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str", looked up once


def _strings(array: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Arrow strings → pandas ``str`` (null → NA), without a trip through Python."""
    return pd.arrays.ArrowStringArray(array, dtype=STR)


def _attach(owner: np.ndarray, index: np.ndarray, count: int) -> np.ndarray:
    """For each of ``count`` owners, the last segment of ``index`` it owns (-1: none)."""
    target = np.full(count, -1, dtype=np.int64)
    if len(index):
        np.maximum.at(target, owner[index], index)
    return target


def _running(mask: np.ndarray) -> np.ndarray:
    """0-based number of the last True at or before each position (-1 before the first)."""
    return np.cumsum(mask, dtype=np.int64) - 1


def _last(mask: np.ndarray) -> np.ndarray:
    """Index of the last True at or before each position (-1 before the first)."""
    return np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1))


def _seq(parent: np.ndarray) -> np.ndarray:
    """0.. within each run of equal, sorted parent numbers."""
    return np.arange(len(parent)) - np.searchsorted(parent, parent, side="left")


def _structure(segments: x12.Segments) -> tuple[_File, X12Error | None]:
    """Codes and loop contexts, and the first problem of placement (vectorized)."""
    tags = segments.tags
    code = segments.codes(TAGS)
    n = len(code)
    marker = MARK[code]
    last = _last(marker >= 0)
    before = np.concatenate(([-1], last[:-1])) if n else last
    context = np.where(before >= 0, marker[np.maximum(before, 0)], OUTSIDE)
    file = _File(
        segments,
        code,
        context,
        segments.offsets,
        segments.values.cast(TEXT),
        pc.binary_length(segments.values).to_numpy(),
    )
    name = segments.name
    found: list[X12Error] = []
    misplaced = np.flatnonzero(~ALLOWED[code, context])
    if len(misplaced):
        i = int(misplaced[0])
        found.append(_misplaced(name, i, tags[i].as_py(), int(context[i])))
    # One TRN per transaction set, and it is required.
    is_st, is_trn = code == T["ST"], code == T["TRN"]
    trn_total = np.cumsum(is_trn)
    trn_seen = trn_total - trn_total[np.maximum(_last(is_st), 0)] if n else trn_total
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
    last_gs = _last(code == T["GS"])
    for i in np.flatnonzero(is_st).tolist():
        st01 = file.value(i, 1)
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
        version = file.value(gs, 8)
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
    return file, min(found, key=lambda e: e.segment_number) if found else None


# --- frames --------------------------------------------------------------------------


def _decimal(text: str, places: int) -> int | None:
    """X12 decimal '123.45' → 12345 (places=2) exactly; None when not a decimal, longer than
    15 digits before the point, or a fraction of a cent (of a thousandth for places=3)."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        return None
    sign, whole, frac = match.groups()
    frac = frac or ""
    if not (whole or frac) or len(whole) > 15 or frac[places:].strip("0"):
        return None
    value = int(whole or "0") * 10**places + int(frac[:places].ljust(places, "0"))
    return -value if sign else value


def _date(text: str) -> np.datetime64 | None:
    """'20250305' → that day; None when not a real date between 1700 and 2199."""
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        return None
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return np.datetime64(day, "ns") if 1700 <= day.year < 2200 else None


def _blank_is_null(array: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(pc.binary_length(array), 0), pa.scalar(None, TEXT), array)


def _stripped(array: pa.Array) -> pa.Array:
    return _blank_is_null(pc.utf8_trim_whitespace(array))


def _composite(value: str, component: str) -> tuple[str, str, str] | None:
    """SVC01/SVC06 'HC:99213:25' → (qualifier, code, 'mod:mod'); None without a code."""
    parts = value.split(component)
    if len(parts) == 1 and len(value) > 3 and not value[2].isalnum() and value[2] != " ":
        # Some payers write the composite with another separator than ISA16 declares
        # ('HC>55669' under ':'); a 2-letter qualifier then a symbol is unambiguous.
        logger.info(
            "composite %r read with separator %r, not ISA16 %r", value, value[2], component
        )
        parts = value.split(value[2])
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1], ":".join(m for m in parts[2:6] if m)


def _procedures(f: _File, svc: np.ndarray, k: int) -> list[pa.Array]:
    """SVC01 (k=1) or SVC06 (k=6) → qualifier, code, modifiers; parsed once per distinct
    value (a remittance repeats a few hundred codes), nulls where the element is absent.

    Each interchange is split with its own component separator.
    """
    strings = f.text(svc, k)
    if not len(svc):
        return [pa.array([], TEXT)] * 3
    interchange = f.segments.interchange[svc]
    groups = np.unique(interchange).tolist()
    parts: list[list[pa.Array]] = [[], [], []]
    order: list[np.ndarray] = []
    for group in groups:
        rows = np.flatnonzero(interchange == group)
        component = f.segments.delimiters[group].component
        mine = strings if len(groups) == 1 else strings.take(pa.array(rows))
        encoded = pc.dictionary_encode(mine)
        parsed = [_composite(v, component) for v in encoded.dictionary.to_pylist()]
        indices = encoded.indices
        failed = [i for i, p in enumerate(parsed) if p is None]
        if failed:
            codes = pc.fill_null(indices, -1).to_numpy()
            row = int(np.flatnonzero(np.isin(codes, failed))[0])
            value = encoded.dictionary[int(codes[row])].as_py()
            f.problem(svc[rows[row]], "SVC", f"SVC{k:02d} {value!r} has no procedure code")
        for j in range(3):
            column = pa.array([p[j] if p else "" for p in parsed], TEXT)
            parts[j].append(column.take(indices))
        order.append(rows)
    if len(order) == 1:
        return [p[0] for p in parts]
    inverse = np.argsort(np.concatenate(order), kind="stable")
    return [pa.concat_arrays(p).take(pa.array(inverse)) for p in parts]


def _transactions(f: _File, txn_of: np.ndarray) -> pd.DataFrame:
    st = f.where("ST")
    count = len(st)
    isa = _last(f.code == T["ISA"])[st]
    gs = _last(f.code == T["GS"])[st]
    bpr = _attach(txn_of, f.where("BPR"), count)
    trn = _attach(txn_of, f.where("TRN"), count)
    header_dtm = f.where("DTM", (HEADER,))
    dtm405 = _attach(txn_of, f.qualified(header_dtm, "405"), count)
    n1 = f.where("N1")
    payer = _attach(txn_of, f.qualified(n1, "PR"), count)
    payee = _attach(txn_of, f.qualified(n1, "PE"), count)
    refs = _header_refs(f, txn_of, count)
    f.fetch(
        [
            (isa, (5, 6, 7, 8, 13, 15)),
            (gs, (2, 3, 6, 8)),
            (st, (2,)),
            (bpr, (1, 2, 3, 4, 16)),
            (trn, (1, 2, 3)),
            (dtm405, (2,)),
            (payer, (2, 3, 4)),
            (payee, (2, 3, 4)),
        ]
    )
    f.encode([f.text(bpr, 2), f.text(bpr, 16), f.text(dtm405, 2)])
    trace = f.text(trn, 2)
    missing_trace = np.flatnonzero((trn >= 0) & trace.is_null().to_numpy(zero_copy_only=False))
    if len(missing_trace):
        f.problem(trn[missing_trace[0]], "TRN", "TRN02 (trace number) is empty but required")
    return f.frame(
        {
            "txn": np.arange(count, dtype=np.int64),
            "isa_sender_qualifier": f.strings(f.text(isa, 5)),
            "isa_sender_id": f.strings(_stripped(f.text(isa, 6))),
            "isa_receiver_qualifier": f.strings(f.text(isa, 7)),
            "isa_receiver_id": f.strings(_stripped(f.text(isa, 8))),
            "isa_control": f.strings(f.text(isa, 13)),
            "isa_usage": f.strings(f.text(isa, 15)),
            "gs_sender": f.strings(f.text(gs, 2)),
            "gs_receiver": f.strings(f.text(gs, 3)),
            "gs_control": f.strings(f.text(gs, 6)),
            "st_control": f.strings(f.text(st, 2)),
            "version": f.strings(f.text(gs, 8)),
            "handling": f.strings(f.text(bpr, 1)),
            "total_paid_cents": f.decimals(f.text(bpr, 2), bpr, "BPR02", "BPR"),
            "credit_debit": f.strings(f.text(bpr, 3)),
            "payment_method": f.strings(f.text(bpr, 4)),
            "payment_date": f.dates(f.text(bpr, 16), bpr, "BPR16", "BPR", optional=True),
            "trace_type": f.strings(f.text(trn, 1)),
            "trace_number": f.strings(trace),
            "trace_payer_id": f.strings(f.text(trn, 3)),
            "production_date": f.dates(f.text(dtm405, 2), dtm405, "DTM02", "DTM"),
            "payer_name": f.strings(f.text(payer, 2)),
            "payer_id_qualifier": f.strings(f.text(payer, 3)),
            "payer_id": f.strings(f.text(payer, 4)),
            "payer_ref_2u": f.strings(pa.array(refs["2u"], TEXT)),
            "payer_refs": f.strings(pa.array(refs["payer"], TEXT)),
            "payee_name": f.strings(f.text(payee, 2)),
            "payee_id_qualifier": f.strings(f.text(payee, 3)),
            "payee_id": f.strings(f.text(payee, 4)),
            "payee_refs": f.strings(pa.array(refs["payee"], TEXT)),
            "header_refs": f.strings(pa.array(refs["header"], TEXT)),
            "st_segment": st + 1,
        }
    )


def _header_refs(f: _File, txn_of: np.ndarray, count: int) -> dict[str, list[str | None]]:
    """REFs of the 835 header by owner: before any N1 (header), after N1*PR (payer; REF*2U
    apart) or N1*PE (payee). A few per transaction, so a Python loop is fine."""
    owners = {"header": [[] for _ in range(count)], "payer": [[] for _ in range(count)]}
    owners["payee"] = [[] for _ in range(count)]
    ref_2u: list[str | None] = [None] * count
    refs = f.where("REF", (HEADER,))
    last_n1 = _last(f.code == T["N1"])
    last_st = _last(f.code == T["ST"])
    for i in refs.tolist():
        owner = int(last_n1[i])
        entity = f.value(owner, 1) if owner > last_st[i] else ""
        role = {"PR": "payer", "PE": "payee", "": "header"}.get(entity)
        qualifier, value = f.value(i, 1), f.value(i, 2)
        txn = int(txn_of[i])
        if role == "payer" and qualifier == "2U":
            ref_2u[txn] = value or None
        elif role:
            owners[role][txn].append(f"{qualifier}={value}")
    joined = {role: [";".join(r) or None for r in lists] for role, lists in owners.items()}
    return joined | {"2u": ref_2u}


def _claims(f: _File, txn_of: np.ndarray, claim_of: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    clp = f.where("CLP")
    count = len(clp)
    f.too_long(clp, "CLP")
    claim_seq = _seq(txn_of[clp])
    nm1 = f.where("NM1", (CLAIM, LINE))
    patient = _attach(claim_of, f.qualified(nm1, "QC"), count)
    insured = _attach(claim_of, f.qualified(nm1, "IL"), count)
    rendering = _attach(claim_of, f.qualified(nm1, "82"), count)
    dtm = f.where("DTM", (CLAIM,))
    dates = {q: _attach(claim_of, f.qualified(dtm, q), count) for q in ("232", "233", "050")}
    f.fetch(
        [
            (clp, tuple(range(1, 15))),
            (patient, (3, 4, 9)),
            (insured, (9,)),
            (rendering, (9,)),
            *((target, (2,)) for target in dates.values()),
        ]
    )
    f.encode([f.text(clp, k) for k in (3, 4, 5)] + [f.text(t, 2) for t in dates.values()])
    claim_id, status = f.text(clp, 1), f.text(clp, 2)
    for k, text, label in ((1, claim_id, "patient control number"), (2, status, "claim status")):
        empty = np.flatnonzero(text.is_null().to_numpy(zero_copy_only=False))
        if len(empty):
            f.problem(clp[empty[0]], "CLP", f"CLP{k:02d} ({label}) is empty but required")
    remarks: list[list[str]] = [[] for _ in range(count)]
    for tag, picks in (("MOA", range(3, 8)), ("MIA", (5, 20, 21, 22, 23))):
        for i in f.where(tag, (CLAIM, LINE)).tolist():
            els = f.segments.segment(i)
            remarks[int(claim_of[i])] += [els[k] for k in picks if k < len(els) and els[k]]
    frame = f.frame(
        {
            "txn": txn_of[clp],
            "claim_seq": claim_seq,
            "claim_id": f.strings(claim_id),
            "status": f.strings(status),
            "charge_cents": f.decimals(f.text(clp, 3), clp, "CLP03", "CLP"),
            "paid_cents": f.decimals(f.text(clp, 4), clp, "CLP04", "CLP"),
            "patient_resp_cents": f.decimals(
                f.text(clp, 5), clp, "CLP05", "CLP", optional=True, nullable=True
            ),
            "filing_indicator": f.strings(f.text(clp, 6)),
            "payer_claim_number": f.strings(f.text(clp, 7)),
            "facility_code": f.strings(f.text(clp, 8)),
            "frequency": f.strings(f.text(clp, 9)),
            **{f"clp{k}": f.strings(f.text(clp, k)) for k in range(10, 15)},
            "patient_last": f.strings(_stripped(f.text(patient, 3))),
            "patient_first": f.strings(_stripped(f.text(patient, 4))),
            "patient_member_id": f.strings(_stripped(f.text(patient, 9))),
            "insured_member_id": f.strings(_stripped(f.text(insured, 9))),
            "rendering_provider_id": f.strings(_stripped(f.text(rendering, 9))),
            "statement_from": f.dates(f.text(dates["232"], 2), dates["232"], "DTM02", "DTM"),
            "statement_to": f.dates(f.text(dates["233"], 2), dates["233"], "DTM02", "DTM"),
            "received_date": f.dates(f.text(dates["050"], 2), dates["050"], "DTM02", "DTM"),
            "moa_remarks": f.strings(pa.array([";".join(r) or None for r in remarks], TEXT)),
            "clp_segment": clp + 1,
        }
    )
    return frame, claim_seq


def _lines(
    f: _File, txn_of: np.ndarray, claim_of: np.ndarray, line_of: np.ndarray, claim_seq: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    svc = f.where("SVC")
    count = len(svc)
    f.too_long(svc, "SVC")
    line_claim = claim_of[svc]
    line_seq = _seq(line_claim)
    dtm = f.where("DTM", (LINE,))
    dates = {q: _attach(line_of, f.qualified(dtm, q), count) for q in ("472", "150", "151")}
    control = _attach(line_of, f.qualified(f.where("REF", (LINE,)), "6R"), count)
    allowed = _attach(line_of, f.qualified(f.where("AMT", (LINE,)), "B6"), count)
    lq = f.qualified(f.where("LQ", (LINE,)), "HE")
    targets = (*dates.values(), control, allowed, lq)
    f.fetch([(svc, tuple(range(1, 8))), *((target, (2,)) for target in targets)])
    numeric = [f.text(svc, k) for k in (2, 3, 5, 7)] + [f.text(allowed, 2)]
    f.encode(numeric + [f.text(t, 2) for t in dates.values()])
    svc01 = f.text(svc, 1)
    empty = np.flatnonzero(svc01.is_null().to_numpy(zero_copy_only=False))
    if len(empty):
        f.problem(svc[empty[0]], "SVC", "SVC01 (procedure) is empty but required")
    qualifier, code, modifiers = _procedures(f, svc, 1)
    sub_qualifier, sub_code, sub_modifiers = _procedures(f, svc, 6)
    remarks: list[str | None] = [None] * count
    for i, code_text in zip(line_of[lq].tolist(), f.text(lq, 2).to_pylist(), strict=True):
        if code_text:
            remarks[i] = code_text if remarks[i] is None else f"{remarks[i]};{code_text}"
    frame = f.frame(
        {
            "txn": txn_of[svc],
            "claim_seq": claim_seq[line_claim] if count else np.zeros(0, dtype=np.int64),
            "line_seq": line_seq,
            "qualifier": f.strings(qualifier),
            "procedure_code": f.strings(code),
            "modifiers": f.strings(modifiers),
            "charge_cents": f.decimals(f.text(svc, 2), svc, "SVC02", "SVC"),
            "paid_cents": f.decimals(f.text(svc, 3), svc, "SVC03", "SVC"),
            "revenue_code": f.strings(f.text(svc, 4)),
            "units_paid_x1000": f.decimals(
                f.text(svc, 5), svc, "SVC05", "SVC", 3, optional=True, nullable=True
            ),
            "submitted_qualifier": f.strings(sub_qualifier),
            "submitted_code": f.strings(sub_code),
            "submitted_modifiers": f.strings(sub_modifiers),
            "original_units_x1000": f.decimals(
                f.text(svc, 7), svc, "SVC07", "SVC", 3, optional=True, nullable=True
            ),
            "service_date": f.dates(f.text(dates["472"], 2), dates["472"], "DTM02", "DTM"),
            "service_from": f.dates(f.text(dates["150"], 2), dates["150"], "DTM02", "DTM"),
            "service_to": f.dates(f.text(dates["151"], 2), dates["151"], "DTM02", "DTM"),
            "line_control_number": f.strings(f.text(control, 2)),
            "allowed_cents": f.decimals(
                f.text(allowed, 2), allowed, "AMT02", "AMT", nullable=True
            ),
            "remark_codes": f.strings(pa.array(remarks, TEXT)),
            "svc_segment": svc + 1,
        }
    )
    return frame, line_seq


def _adjustments(
    f: _File,
    txn_of: np.ndarray,
    claim_of: np.ndarray,
    line_of: np.ndarray,
    claim_seq: np.ndarray,
    line_seq: np.ndarray,
) -> pd.DataFrame:
    cas = f.where("CAS")
    count = len(cas)
    f.too_long(cas, "CAS")
    lookup, qualifiers = f.segments.qualifier_codes  # CAS01 is the segment's element 1
    known = [lookup[g] for g in GROUPS if g in lookup]
    unknown = np.flatnonzero(~np.isin(qualifiers[cas], known))
    if len(unknown):
        value = f.value(cas[unknown[0]], 1)
        f.problem(cas[unknown[0]], "CAS", f"CAS01 {value!r} is not a claim adjustment group code")
    g_pos, g_ok = f.at(cas, 1)
    # Six (reason, amount, quantity) triplets per segment: positions as (count, 6) grids.
    located = [f.at(cas, k) for k in range(2, 20)]
    r_pos, a_pos, q_pos = (np.stack([p for p, _ in located[e::3]], axis=1) for e in range(3))
    r_ok, a_ok, q_ok = (np.stack([o for _, o in located[e::3]], axis=1) for e in range(3))
    present = r_ok | a_ok | q_ok
    incomplete = present & ~(r_ok & a_ok)
    incomplete[:, 0] |= ~present[:, 0]  # the first triplet is required
    if incomplete.any():
        row, triplet = (int(v) for v in np.argwhere(incomplete)[0])
        no_reason = not r_ok[row, triplet]
        position = 2 + 3 * triplet + (0 if no_reason else 1)
        what = "reason code" if no_reason else "amount"
        f.problem(cas[row], "CAS", f"CAS{position:02d} ({what}) is empty but required")
    keep = present & ~incomplete
    rows = np.repeat(np.arange(count), keep.sum(axis=1))
    segment = cas[rows]
    at_line = f.context[segment] == LINE
    line = np.where(at_line, line_seq[np.maximum(line_of[segment], 0)] if len(line_seq) else 0, 0)
    # One take for the four string columns, then zero-copy slices.
    n = len(rows)
    pos = np.concatenate([g_pos[rows], r_pos[keep], a_pos[keep], q_pos[keep]])
    ok = np.concatenate([g_ok[rows], r_ok[keep], a_ok[keep], q_ok[keep]])
    taken = f.values.take(pa.array(pos, mask=~ok))
    group, reason, amount, quantity = (taken.slice(i * n, n) for i in range(4))
    return f.frame(
        {
            "txn": txn_of[segment],
            "claim_seq": claim_seq[claim_of[segment]] if len(segment) else segment,
            "line_seq": pd.arrays.IntegerArray(line.astype(np.int64), ~at_line),
            "group": f.strings(group),
            "reason": f.strings(reason),
            "amount_cents": f.decimals(amount, segment, "CAS amount", "CAS"),
            "quantity": f.strings(quantity),
            "cas_segment": segment + 1,
        }
    )


def _plb(f: _File, txn_of: np.ndarray) -> pd.DataFrame:
    """PLB: every (reason:reference, amount) pair; few segments, so a Python loop."""
    rows: list[tuple] = []
    plb = f.where("PLB")
    f.too_long(plb, "PLB")
    for i in plb.tolist():
        els = f.segments.segment(i)
        if len(els) < 5:
            f.problem(i, "PLB", "PLB needs PLB01 to PLB04")
            continue
        component = f.segments.delimiters[f.segments.interchange[i]].component
        for k in range(3, len(els), 2):
            composite, amount = els[k], els[k + 1] if k + 1 < len(els) else ""
            if not composite and not amount:
                continue
            reason, _, rest = composite.partition(component)
            if not reason:
                f.problem(i, "PLB", f"PLB{k:02d} has no adjustment reason code")
            reference = rest.split(component)[0] or None
            rows.append(
                (int(txn_of[i]), els[1], els[2] or None, reason, reference, amount or None, i)
            )
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    where = np.asarray(cols[6], dtype=np.int64)
    return f.frame(
        {
            "txn": np.asarray(cols[0], dtype=np.int64),
            "provider_id": f.strings(pa.array(cols[1], TEXT)),
            "fiscal_period_date": f.dates(pa.array(cols[2], TEXT), where, "PLB02", "PLB"),
            "reason": f.strings(pa.array(cols[3], TEXT)),
            "reference": f.strings(pa.array(cols[4], TEXT)),
            "amount_cents": f.decimals(pa.array(cols[5], TEXT), where, "PLB amount", "PLB"),
            "plb_segment": where + 1,
        }
    )


def _frames(f: _File) -> tuple[pd.DataFrame, ...]:
    code = f.code
    txn_of = _running(code == T["ST"])
    claim_of = _running(code == T["CLP"])
    line_of = _running(code == T["SVC"])
    transactions = _transactions(f, txn_of)
    claims, claim_seq = _claims(f, txn_of, claim_of)
    lines, line_seq = _lines(f, txn_of, claim_of, line_of, claim_seq)
    adjustments = _adjustments(f, txn_of, claim_of, line_of, claim_seq, line_seq)
    return transactions, claims, lines, adjustments, _plb(f, txn_of)


def parse(name: str, raw: bytes) -> Remit:
    """Read one 835 file into frames (see ``Remit``); refuse it whole with ``X12Error``.

    Refused: anything ``x12.read`` refuses (envelope, delimiters, segment ids), a
    transaction set other than 835, a GS08 other than 005010X221(A1) / 004010X091(A1), an
    835 without BPR right after ST or without its one TRN, a segment where it cannot
    belong (SVC or CAS before any CLP, LQ outside a service line, anything but PLB after
    PLB, TRN/N1 after the claims), a segment with more elements than the guide defines, a
    missing or non-numeric amount where the guide requires one, a fraction of a cent, a
    date that is not a real CCYYMMDD, an unknown CAS group, an SVC01 without a procedure
    code. The error names the first problem in file order.
    """
    segments, envelope = x12.scan(name, raw)
    f, placement = _structure(segments)
    found = [e for e in (envelope, placement) if e is not None]
    first = min(found, key=lambda e: e.segment_number) if found else None
    if first is not None:
        # Read values only up to the first structural problem: before it the loops are
        # sound, and a bad value there is the file's first problem. No frames are needed.
        f.code = f.code[: first.segment_number - 1]
        f.context = f.context[: first.segment_number - 1]
        f.build = False
    frames = _frames(f)
    if f.problems:
        bad_value = min(f.problems, key=lambda e: e.segment_number)
        if first is None or bad_value.segment_number < first.segment_number:
            raise bad_value
    if first is not None:
        raise first
    return Remit(*frames, name=name)


# --- balancing -----------------------------------------------------------------------

BALANCE_COLUMNS = (
    "level",
    "txn",
    "claim_seq",
    "line_seq",
    "claim_id",
    "expected_cents",
    "actual_cents",
    "message",
)


def _sum_into(target: np.ndarray, source: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """For each target key, the exact int sum of the amounts with that source key."""
    order = np.argsort(target, kind="stable")
    ordered = target[order]
    pos = np.minimum(np.searchsorted(ordered, source), max(len(ordered) - 1, 0))
    found = ordered[pos] == source if len(ordered) else np.zeros(len(source), dtype=bool)
    sums = np.zeros(len(target), dtype=np.int64)
    np.add.at(sums, order[pos[found]], amounts[found])
    return sums


def balance(remit: Remit) -> pd.DataFrame:
    """One row per balancing failure (domain.md §4.4), empty when everything balances.

    - line: SVC02 − Σ CAS of the line = SVC03;
    - claim: CLP03 − Σ CAS of the claim − Σ CAS of its lines = CLP04;
    - claim, only for a claim with service lines: Σ SVC03 − Σ claim-level CAS = CLP04
      (the lines pay what the claim pays; TR3 claim balancing);
    - transaction: Σ CLP04 − Σ PLB amounts = BPR02 (a positive PLB reduces the payment).

    Columns: level (line|claim|transaction), txn, claim_seq and line_seq (``Int64``, NA
    above their level), claim_id (NA for transactions), expected_cents (the left-hand
    side), actual_cents (SVC03, CLP04 or BPR02), message. Vectorized: exact int sums by
    key (``np.add.at``), no loop over rows; messages are built for failures only.
    """
    adj, lines, claims, txns = remit.adjustments, remit.lines, remit.claims, remit.transactions

    def ints(frame: pd.DataFrame, column: str, na: int = 0) -> np.ndarray:
        return frame[column].to_numpy(dtype=np.int64, na_value=na)

    # Claims and lines are found by one int key per row: (txn, claim_seq[, line_seq]).
    a_txn, a_claim, a_line = ints(adj, "txn"), ints(adj, "claim_seq"), ints(adj, "line_seq", -1)
    l_txn, l_claim, l_line = ints(lines, "txn"), ints(lines, "claim_seq"), ints(lines, "line_seq")
    c_txn, c_claim = ints(claims, "txn"), ints(claims, "claim_seq")
    parts_of = (a_claim, l_claim, c_claim, a_line, l_line)
    width = max([int(v.max()) + 2 for v in parts_of if len(v)] or [2])
    claim_key = c_txn * width + c_claim
    line_claim = l_txn * width + l_claim
    adj_claim = a_txn * width + a_claim
    line_key = line_claim * width + l_line
    adj_line = adj_claim * width + a_line
    at_line = a_line >= 0
    amounts = ints(adj, "amount_cents")

    line_cas = _sum_into(line_key, adj_line[at_line], amounts[at_line])
    line_charge, line_paid = ints(lines, "charge_cents"), ints(lines, "paid_cents")
    line_expected = line_charge - line_cas

    claim_charge, claim_paid = ints(claims, "charge_cents"), ints(claims, "paid_cents")
    claim_cas = _sum_into(claim_key, adj_claim, amounts)
    claim_expected = claim_charge - claim_cas
    claim_level = _sum_into(claim_key, adj_claim[~at_line], amounts[~at_line])
    lines_paid = _sum_into(claim_key, line_claim, line_paid)
    has_lines = _sum_into(claim_key, line_claim, np.ones(len(lines), dtype=np.int64)) > 0
    by_lines = np.where(has_lines, lines_paid - claim_level, claim_paid)

    txn_key, bpr = ints(txns, "txn"), ints(txns, "total_paid_cents")
    paid = _sum_into(txn_key, c_txn, claim_paid)
    plb = _sum_into(txn_key, ints(remit.plb, "txn"), ints(remit.plb, "amount_cents"))
    txn_expected = paid - plb

    bad_line = np.flatnonzero(line_expected != line_paid)
    bad_claim = np.flatnonzero(claim_expected != claim_paid)
    bad_by_lines = np.flatnonzero(by_lines != claim_paid)
    bad_txn = np.flatnonzero(txn_expected != bpr)
    if not (len(bad_line) or len(bad_claim) or len(bad_by_lines) or len(bad_txn)):
        return _empty_balance()

    ids = dict(zip(claim_key.tolist(), claims["claim_id"].tolist(), strict=True))
    parts = []
    if len(bad_line):
        rows = lines.iloc[bad_line]
        claim_id = pd.Series([ids.get(k) for k in line_claim[bad_line].tolist()], dtype=STR)
        message = (
            "claim " + claim_id + " line " + (rows["line_seq"] + 1).astype(str).to_numpy()
            + ": SVC02 " + decimal_texts(line_charge[bad_line]) + " - CAS "
            + decimal_texts(line_cas[bad_line]) + " = " + decimal_texts(line_expected[bad_line])
            + " but SVC03 = " + decimal_texts(line_paid[bad_line])
        )  # fmt: skip
        parts.append(_rows("line", rows, claim_id, line_expected[bad_line],
                           line_paid[bad_line], message))  # fmt: skip
    for bad, expected, text in (
        (bad_claim, claim_expected, "CAS"),
        (bad_by_lines, by_lines, "lines"),
    ):
        if not len(bad):
            continue
        rows = claims.iloc[bad]
        claim_id = rows["claim_id"].reset_index(drop=True)
        who = "claim " + claim_id + " (CLP02 " + rows["status"].to_numpy() + "): "
        if text == "CAS":
            detail = (
                "CLP03 "
                + decimal_texts(claim_charge[bad])
                + " - CAS "
                + decimal_texts(claim_cas[bad])
            )
        else:
            detail = (
                "its lines pay SVC03 " + decimal_texts(lines_paid[bad]) + " - claim CAS "
                + decimal_texts(claim_level[bad])
            )  # fmt: skip
        message = who + detail + " = " + decimal_texts(expected[bad]) + " but CLP04 = "
        message = message + decimal_texts(claim_paid[bad])
        parts.append(_rows("claim", rows, claim_id, expected[bad], claim_paid[bad], message))
    if len(bad_txn):
        rows = txns.iloc[bad_txn]
        message = (
            "transaction set " + rows["st_control"].fillna("").reset_index(drop=True)
            + ": sum(CLP04) " + decimal_texts(paid[bad_txn])
            + " - PLB " + decimal_texts(plb[bad_txn])
            + " = " + decimal_texts(txn_expected[bad_txn])
            + " but BPR02 = " + decimal_texts(bpr[bad_txn])
        )  # fmt: skip
        none = pd.Series([None] * len(rows), dtype=STR)
        parts.append(
            _rows("transaction", rows, none, txn_expected[bad_txn], bpr[bad_txn], message)
        )
    result = pd.concat(parts, ignore_index=True)
    order = result["level"].map({"line": 0, "claim": 1, "transaction": 2})
    result = result.assign(_order=order).sort_values(
        ["txn", "claim_seq", "_order", "line_seq"], na_position="last", kind="stable"
    )
    return result.drop(columns="_order").reset_index(drop=True)


def _rows(
    level: str,
    rows: pd.DataFrame,
    claim_id: pd.Series,
    expected: np.ndarray,
    actual: np.ndarray,
    message: pd.Series,
) -> pd.DataFrame:
    count = len(rows)

    def ints(column: str) -> pd.api.extensions.ExtensionArray:
        if column not in rows:
            return pd.array([pd.NA] * count, dtype="Int64")
        return pd.array(rows[column].to_numpy(dtype=np.int64), dtype="Int64")

    return pd.DataFrame(
        {
            "level": pd.Series([level] * count, dtype=STR),
            "txn": rows["txn"].to_numpy(dtype=np.int64),
            "claim_seq": ints("claim_seq"),
            "line_seq": ints("line_seq"),
            "claim_id": pd.Series(claim_id.to_numpy(), dtype=STR),
            "expected_cents": np.asarray(expected, dtype=np.int64),
            "actual_cents": np.asarray(actual, dtype=np.int64),
            "message": pd.Series(message.to_numpy(), dtype=STR),
        }
    )


def _empty_balance() -> pd.DataFrame:
    return _empty_balance_template().copy()


@functools.cache
def _empty_balance_template() -> pd.DataFrame:
    """Built once: creating an empty frame with its dtypes costs more than checking."""
    return pd.DataFrame(
        {
            "level": pd.Series(dtype=STR),
            "txn": pd.Series(dtype="int64"),
            "claim_seq": pd.Series(dtype="Int64"),
            "line_seq": pd.Series(dtype="Int64"),
            "claim_id": pd.Series(dtype=STR),
            "expected_cents": pd.Series(dtype="int64"),
            "actual_cents": pd.Series(dtype="int64"),
            "message": pd.Series(dtype=STR),
        }
    )
