"""837 Professional claims (005010X222A1): X12 segments to two pandas frames.

``parse(name, raw)`` reads one file (any delimiters its ISAs declare, one or many
ISA/GS/ST, with or without line breaks) with the same tokenizer and envelope checks as the
835 (``x12.scan``) into a ``ClaimFile``: one row per claim submission (a CLM) and one per
service line (LX + SV1). A file that is not valid X12 or not an 837P (837I, 837D, 835,
4010) is refused whole with ``X12Error`` naming the first problem's segment number and id.

Columnar like ``era``: loop positions come from running maxima (``x12837_loops``), each
fact is one Arrow ``take`` of element k of the segments that carry it, and money, units and
dates are parsed once per distinct value with Python ints (exact cents, no float).
What is read from where is in docs/claims_837.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.errors import ClaimFileRefused, X12Error

from . import x12
from .era_columns import decimal
from .x837_loops import TAGS, Loops, T, structure

FREQUENCIES = ("1", "7", "8")  # CLM05-3: original, replacement, void (X222A1 allows these)
RESPONSIBILITY = ("P", "S", "T", "A", "B", "C", "D", "E", "F", "G", "H", "U")  # SBR01
DIAGNOSIS_QUALIFIERS = ("ABK", "ABF", "BK", "BF")  # ICD-10 / ICD-9 principal and other
UNIT_BASIS = ("UN", "MJ")  # SV103 units or anesthesia minutes

CLAIM_COLUMNS = (
    "claim_seq", "claim_id", "segment", "frequency", "original_ref", "responsibility",
    "filing_indicator", "payer_name", "payer_code", "other_payer_name", "other_payer_code",
    "prior_paid_cents", "prior_adjustments", "total_charge_cents", "place_of_service",
    "patient_id", "submitted_date", "submitted_time", "isa_control", "st_control",
)  # fmt: skip
LINE_COLUMNS = (
    "claim_seq", "line_number", "line_control_number", "date_of_service", "procedure_code",
    "modifiers", "units", "charge_cents", "place_of_service", "rendering_npi",
    "diagnosis_codes", "prior_paid_cents", "prior_adjustments",
)  # fmt: skip


@dataclass(frozen=True)
class ClaimFile:
    """One 837P file read.

    ``claims``: one row per CLM in file order (``claim_seq`` 0, 1, ...): ``CLAIM_COLUMNS``.
    ``lines``: one row per service line, ``claim_seq`` naming its claim: ``LINE_COLUMNS``.
    Money is integer cents; dates ``datetime64``; ``place_of_service`` on a line is SV105
    else the claim's CLM05-1; ``rendering_npi`` is 2420A, else 2310B, else the billing
    provider (2010AA), who renders when no rendering provider is named (TR3).
    """

    name: str
    claims: pd.DataFrame
    lines: pd.DataFrame


@dataclass
class _File:
    segments: x12.Segments
    loops: Loops
    problems: list[X12Error] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.segments.name

    def where(self, tag: str, mask: np.ndarray | None = None) -> np.ndarray:
        hit = self.loops.code == T[tag]
        return np.flatnonzero(hit if mask is None else hit & mask)

    def qualified(self, index: np.ndarray, value: str, k: int = 1) -> np.ndarray:
        if k == 1:
            lookup, codes = self.segments.qualifier_codes
            return index[codes[index] == lookup.get(value, -2)]
        text = self.text(index, k)
        return index[pc.fill_null(pc.equal(text, value), False).to_numpy(zero_copy_only=False)]

    def text(self, index: np.ndarray, k: int) -> pa.Array:
        """Element k of the segments ``index`` (-1 allowed: null); null where absent or ''."""
        offsets = self.segments.offsets
        safe = np.maximum(index, 0)
        start = offsets[safe]
        pos = start + k
        has = (index >= 0) & (pos < offsets[safe + 1])
        taken = self.segments.values.take(pa.array(np.where(has, pos, 0), mask=~has))
        return pc.if_else(pc.equal(taken, ""), pa.scalar(None, pa.string()), taken)

    def components(self, index: np.ndarray, k: int, count: int) -> list[pa.Array]:
        """Components 1..count of composite element k (split by each ISA's ISA16)."""
        parts = self.split(self.text(index, k), index)
        return [_component(parts, j) for j in range(count)]

    def split(self, values: pa.Array, index: np.ndarray) -> pa.ListArray:
        """Composites ``values`` (of segments ``index``) split into their components, by
        the ISA16 of each one's interchange."""
        seps = {d.component for d in self.segments.delimiters}
        if len(seps) <= 1:
            return _chunk(pc.split_pattern(values, next(iter(seps), ":")))
        inter = self.segments.interchange[np.maximum(index, 0)] if len(index) else index
        pieces, rows = [], []
        for i, d in enumerate(self.segments.delimiters):
            at = np.flatnonzero(inter == i)
            pieces.append(_chunk(pc.split_pattern(values.take(pa.array(at)), d.component)))
            rows.append(at)
        back = np.empty(len(values), dtype=np.int64)  # where each row went, in file order
        back[np.concatenate(rows)] = np.arange(len(values))
        return pa.concat_arrays(pieces).take(pa.array(back))

    def problem(self, index: int, reason: str) -> None:
        i = int(index)
        tag = TAGS[self.loops.code[i]] if self.loops.code[i] < len(TAGS) else "?"
        self.problems.append(X12Error(self.name, i + 1, tag, reason))

    def first_bad(self, index: np.ndarray, bad: np.ndarray, reason) -> None:
        hits = np.flatnonzero(bad)
        if len(hits):
            j = int(hits[0])
            self.problem(int(index[j]), reason(j) if callable(reason) else reason)


def _chunk(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _component(parts: pa.ListArray, j: int) -> pa.Array:
    """Component j (0-based) of split composites; null where there are fewer."""
    offsets = parts.offsets.to_numpy()
    lengths = offsets[1:] - offsets[:-1]
    valid = parts.is_valid().to_numpy(zero_copy_only=False)
    has = valid & (lengths > j)
    pos = np.where(has, offsets[:-1] + j, 0)
    flat = parts.values
    if not len(flat):
        return pa.nulls(len(parts), pa.string())
    taken = flat.take(pa.array(pos, mask=~has))
    return pc.if_else(pc.equal(taken, ""), pa.scalar(None, pa.string()), taken)


def _first_per(keys: np.ndarray, index: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each target key, the first segment of ``index`` whose key is it (-1: none)."""
    if not len(index):
        return np.full(len(targets), -1, dtype=np.int64)
    uniq, first = np.unique(keys, return_index=True)
    pos = np.searchsorted(uniq, targets).clip(max=len(uniq) - 1)
    found = uniq[pos] == targets
    return np.where(found, index[first[pos]], -1)


def _str(array: pa.Array) -> pd.api.extensions.ExtensionArray:
    """A frame column straight from Arrow (pandas' str dtype keeps Arrow strings)."""
    return pd.array(_chunk(array), dtype="str")


def _strings(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=object)


# --- typed values: each distinct value parsed once -----------------------------------------


def _parsed(
    f: _File, index: np.ndarray, array: pa.Array, parse, required: bool, what: str, as_=None
):
    """``parse`` over the distinct values of ``array``; a problem at the first value that
    ``parse`` refuses (None) or a missing required one. Returns an object array, or typed
    (``as_``: "Int64" for integers, "date" for ``datetime64[s]``) from a typed lookup."""
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    words = encoded.dictionary.to_pylist()
    parsed = [parse(w) for w in words]
    bad_word = np.array([p is None for p in parsed] + [required], dtype=bool)
    codes = pc.fill_null(encoded.indices, len(words)).to_numpy(zero_copy_only=False)
    f.first_bad(
        index,
        bad_word[codes],
        lambda j: (
            f"{what} is missing"
            if codes[j] == len(words)
            else f"{what} {words[codes[j]]!r} is not valid"
        ),
    )
    if as_ == "Int64":
        values = np.array([0 if p is None else p for p in parsed] + [0], dtype=np.int64)
        return pd.arrays.IntegerArray(values[codes], bad_word[codes] | (codes == len(words)))
    if as_ == "date":
        nat = np.datetime64("NaT")
        return np.array([nat if p is None else p for p in parsed] + [nat], "datetime64[s]")[codes]
    lookup = np.array([*parsed, None], dtype=object)
    return lookup[codes]


def _cents(text: str) -> int | None:
    return decimal(text, 2)


def _whole_units(text: str) -> int | None:
    value = decimal(text, 3)
    if value is None or value <= 0 or value % 1000 or value >= 10**8:  # < 100,000 units
        return None
    return value // 1000


def _date(text: str) -> np.datetime64 | None:
    head = text.split("-", 1)[0]  # RD8 CCYYMMDD-CCYYMMDD: the service starts on the first
    if len(head) != 8 or not head.isascii() or not head.isdigit() or not "1700" <= head < "2200":
        return None
    try:
        day = dt.date(int(head[:4]), int(head[4:6]), int(head[6:]))
    except ValueError:
        return None
    return np.datetime64(day, "D")


def _code(text: str, width: int) -> str | None:
    return text if len(text) == width and text.isascii() and text.isalnum() else None


# --- the frames ------------------------------------------------------------------------------


def _claims(f: _File) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per CLM; returns the frame and the CLM segment indices."""
    loops = f.loops
    clm = f.where("CLM")
    n = len(clm)
    claim_id = f.text(clm, 1)
    f.first_bad(
        clm, pc.is_null(claim_id).to_numpy(zero_copy_only=False), "CLM01 claim id is missing"
    )
    total = _parsed(f, clm, f.text(clm, 2), _cents, True, "CLM02 total charge", "Int64")
    pos_, _, freq = f.components(clm, 5, 3)
    freq = pc.fill_null(freq, "1")
    freq_np = _strings(freq)
    f.first_bad(
        clm,
        ~np.isin(freq_np, FREQUENCIES),
        lambda j: f"CLM05-3 frequency {freq_np[j]!r} is not 1 (original), 7 or 8",
    )
    # Claim header REF*F8 (the 2330B REF*F8 of an other payer is not this claim's).
    header = loops.header
    f8 = f.qualified(f.where("REF", header), "F8")
    f8_at = _first_per(loops.claim[f8], f8, clm)
    # Subscriber: the HL*22 above the claim; its SBR, NM1*IL and NM1*PR (2010BB).
    sub_mask = (loops.claim < 0) & (loops.level == 22)
    hl22 = np.flatnonzero((loops.code == T["HL"]) & (loops.level == 22))
    at = np.searchsorted(hl22, clm, side="right") - 1
    hl22_of = np.where(at >= 0, hl22[at.clip(min=0)], -1) if len(hl22) else clm * 0 - 1
    hl22_of = np.where(hl22_of > loops.st[clm], hl22_of, -1)  # in the claim's own ST
    sbr = f.where("SBR", sub_mask)
    sbr_at = _first_per(loops.hl[sbr], sbr, hl22_of)
    nm1 = f.where("NM1", sub_mask)
    il = f.qualified(nm1, "IL")
    pr = f.qualified(nm1, "PR")
    il_at = _first_per(loops.hl[il], il, hl22_of)
    pr_at = _first_per(loops.hl[pr], pr, hl22_of)
    f.first_bad(clm, sbr_at < 0, "claim without a subscriber SBR (loop 2000B)")
    f.first_bad(clm, pr_at < 0, "claim without the subscriber's payer NM1*PR (loop 2010BB)")
    f.first_bad(clm, il_at < 0, "claim without the subscriber NM1*IL (loop 2010BA)")
    resp = _strings(f.text(sbr_at, 1))
    f.first_bad(
        clm,
        (sbr_at >= 0) & ~np.isin(resp, RESPONSIBILITY),
        lambda j: f"SBR01 payer responsibility {resp[j]!r} is not a code (P, S, T, A-H, U)",
    )
    patient = _patients(f, clm, il_at)
    # Other payers (2320 SBR, 2330B NM1*PR) and what they paid (2320 AMT*D, CAS).
    other = loops.other_payer
    o_pr = f.qualified(f.where("NM1", other), "PR")
    o_pr_at = _first_per(loops.claim[o_pr], o_pr, clm)
    amt_d = f.qualified(f.where("AMT", other), "D")
    paid = _parsed(f, amt_d, f.text(amt_d, 2), _cents, True, "AMT02 prior payer paid")
    prior_paid = _sum_by(loops.claim[amt_d], paid, clm)
    cas = f.where("CAS", other)
    adjustments = _adjustments(f, cas, loops.claim[cas], clm)
    # Transaction: BHT04/05 (when the claim was created), ISA13, ST02.
    st_of = loops.st[clm]
    bht = np.where(st_of >= 0, st_of + 1, -1)
    submitted = _parsed(f, bht, f.text(bht, 4), _date, True, "BHT04 date", "date")
    time = f.text(bht, 5)
    isa = _isa_of(f, clm)
    claims = pd.DataFrame(
        {
            "claim_seq": np.arange(n),
            "claim_id": _str(claim_id),
            "segment": clm + 1,
            "frequency": freq_np,
            "original_ref": _str(f.text(f8_at, 2)),
            "responsibility": resp,
            "filing_indicator": _str(f.text(sbr_at, 9)),
            "payer_name": _str(f.text(pr_at, 3)),
            "payer_code": _str(f.text(pr_at, 9)),
            "other_payer_name": _str(f.text(o_pr_at, 3)),
            "other_payer_code": _str(f.text(o_pr_at, 9)),
            "prior_paid_cents": prior_paid,
            "prior_adjustments": adjustments,
            "total_charge_cents": total,
            "place_of_service": _str(pos_),
            "patient_id": patient,
            "submitted_date": submitted,
            "submitted_time": _str(pc.fill_null(time, "")),
            "isa_control": _str(f.text(isa, 13)),
            "st_control": _str(f.text(st_of, 2)),
        }
    )
    return claims, clm


def _isa_of(f: _File, index: np.ndarray) -> np.ndarray:
    isa = np.flatnonzero(f.loops.code == T["ISA"])
    if not len(isa):
        return np.full(len(index), -1)
    return isa[(np.searchsorted(isa, index, side="right") - 1).clip(min=0)]


def _patients(f: _File, clm: np.ndarray, il_at: np.ndarray) -> np.ndarray:
    """The patient key: the subscriber's member id (NM1*IL09); a dependent (HL*23 with
    NM1*QC) adds a short hash of name and birth date, so each dependent is a patient of
    its own. A key only: never shown in a report."""
    loops = f.loops
    member = _strings(f.text(il_at, 9))
    member = np.where(pd.isna(member), "", member).astype(object)
    hl = loops.hl[clm]
    dependent = loops.level[clm] == 23
    if not dependent.any():
        return member
    pat_mask = (loops.claim < 0) & (loops.level == 23)
    qc = f.qualified(f.where("NM1", pat_mask), "QC")
    dmg = f.where("DMG", pat_mask)
    qc_at = _first_per(loops.hl[qc], qc, np.where(dependent, hl, -2))
    dmg_at = _first_per(loops.hl[dmg], dmg, np.where(dependent, hl, -2))
    who = pd.Series(_strings(f.text(qc_at, 3))).fillna("") + "|"
    who += pd.Series(_strings(f.text(qc_at, 4))).fillna("") + "|"
    who += pd.Series(_strings(f.text(dmg_at, 2))).fillna("")
    codes, uniques = pd.factorize(who)
    short = np.array([hashlib.sha256(u.encode()).hexdigest()[:10] for u in uniques], dtype=object)
    tagged = member + "-" + short[codes]
    return np.where(dependent, tagged, member).astype(object)


def _sum_by(keys: np.ndarray, values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Sum of integer ``values`` per key, for each target (None where no value)."""
    if not len(keys):
        return np.full(len(targets), None, dtype=object)
    sums = pd.Series(values.astype(object)).groupby(keys).sum()
    got = sums.reindex(targets)
    return np.array([None if pd.isna(v) else int(v) for v in got], dtype=object)


def _adjustments(f: _File, cas: np.ndarray, keys: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """CAS groups as 'GROUP-REASON:AMOUNT;...' per key (prior payer's adjudication, kept as
    sent, with amounts in cents); None where there is none."""
    if not len(cas):
        return np.full(len(targets), None, dtype=object)
    parts = []
    for trio in range(6):  # CAS02-04, 05-07, ... up to six reasons per group
        reason = f.text(cas, 2 + 3 * trio)
        amount = f.text(cas, 3 + 3 * trio)
        keep = pc.is_valid(reason).to_numpy(zero_copy_only=False)
        if not keep.any():
            continue
        rows = cas[keep]
        cents = _parsed(f, rows, amount.filter(pa.array(keep)), _cents, True, "CAS amount")
        parts.append(
            pd.DataFrame(
                {
                    "order": rows * 8 + trio,
                    "key": keys[keep],
                    "text": pd.Series(_strings(f.text(rows, 1))).fillna("").astype(str)
                    + "-"
                    + pd.Series(_strings(reason.filter(pa.array(keep)))).fillna("").astype(str)
                    + ":"
                    + pd.Series(cents).fillna("").astype(str),
                }
            )
        )
    if not parts:
        return np.full(len(targets), None, dtype=object)
    frame = pd.concat(parts).sort_values("order")
    joined = frame.groupby("key")["text"].agg(";".join).reindex(targets)
    return np.array([None if pd.isna(v) else v for v in joined], dtype=object)


def _diagnoses(f: _File) -> tuple[np.ndarray, pa.Array]:
    """Every HI code of each claim, in file order: (claim segment per code, codes)."""
    loops = f.loops
    hi = f.where("HI", loops.header)
    if not len(hi):
        return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    # Elements 1-12 of every HI at once: one split, not one per element position.
    offsets = f.segments.offsets
    count = np.minimum(offsets[hi + 1] - offsets[hi] - 1, 12)
    segment = np.repeat(hi, count)
    starts = np.repeat(offsets[hi] + 1 - np.cumsum(count) + count, count)
    position = starts + np.arange(len(segment))
    values = f.segments.values.take(pa.array(position))
    parts = f.split(values, segment)
    qualifier, code = _component(parts, 0), _component(parts, 1)
    keep = pc.and_(
        pc.is_in(qualifier, pa.array(DIAGNOSIS_QUALIFIERS)), pc.is_valid(code)
    ).to_numpy(zero_copy_only=False)
    return loops.claim[segment[keep]], code.filter(pa.array(keep))


def _lines(f: _File, clm: np.ndarray, claims: pd.DataFrame) -> pd.DataFrame:
    loops = f.loops
    sv1 = f.where("SV1", loops.line >= 0)
    lx = loops.line[sv1]
    claim_of = loops.claim[sv1]
    claim_seq = np.searchsorted(clm, claim_of)
    line_number = _parsed(f, lx, f.text(lx, 1), _positive, True, "LX01 line number", "Int64")
    qualifier, procedure, *mods = f.components(sv1, 1, 6)
    q = _strings(qualifier)
    f.first_bad(
        sv1,
        q != "HC",
        lambda j: f"SV101-1 {q[j]!r}: only HCPCS/CPT procedure lines (HC) can be priced",
    )
    code = _parsed(f, sv1, procedure, lambda t: _code(t, 5), True, "SV101-2 procedure code")
    for m in mods:  # checked only: a file with a bad one is refused, so they are as sent
        _parsed(f, sv1, m, lambda t: _code(t, 2), False, "SV101 modifier")
    modifiers = _joined(mods, ":")
    charge = _parsed(f, sv1, f.text(sv1, 2), _cents, True, "SV102 charge", "Int64")
    basis = _strings(f.text(sv1, 3))
    f.first_bad(
        sv1,
        ~np.isin(basis, UNIT_BASIS),
        lambda j: f"SV103 {basis[j]!r} is not UN (units) or MJ (minutes)",
    )
    units = _parsed(
        f, sv1, f.text(sv1, 4), _whole_units, True, "SV104 units (a whole number)", "Int64"
    )
    line_pos = _strings(f.text(sv1, 5))
    claim_pos = claims["place_of_service"].to_numpy(dtype=object)[claim_seq]
    place = np.where(pd.isna(line_pos), claim_pos, line_pos)
    # Dates: line DTP*472, else the claim's.
    dtp_line = f.qualified(f.where("DTP", loops.line >= 0), "472")
    dtp_claim = f.qualified(f.where("DTP", loops.header), "472")
    at_line = _first_per(loops.line[dtp_line], dtp_line, lx)
    at_claim = _first_per(loops.claim[dtp_claim], dtp_claim, claim_of)
    dtp = np.where(at_line >= 0, at_line, at_claim)
    f.first_bad(sv1, dtp < 0, "no service date: DTP*472 at the line or the claim")
    day = _parsed(f, dtp[dtp >= 0], f.text(dtp[dtp >= 0], 3), _date, True, "DTP03 date", "date")
    date_of_service = np.full(len(sv1), np.datetime64("NaT"), dtype="datetime64[s]")
    date_of_service[dtp >= 0] = day
    # REF*6R line control number.
    ref6r = f.qualified(f.where("REF", loops.line >= 0), "6R")
    lcn = _strings(f.text(_first_per(loops.line[ref6r], ref6r, lx), 2))
    # Rendering: 2420A, else 2310B, else the billing provider 2010AA.
    r_line = f.qualified(f.where("NM1", loops.line >= 0), "82")
    r_claim = f.qualified(f.where("NM1", loops.header), "82")
    billing = f.qualified(f.where("NM1", (loops.claim < 0) & (loops.level == 20)), "85")
    hl20 = np.flatnonzero((loops.code == T["HL"]) & (loops.level == 20))
    hl20_of = (
        hl20[(np.searchsorted(hl20, sv1, side="right") - 1).clip(min=0)] if len(hl20) else sv1
    )
    npi = _strings(f.text(_first_per(loops.line[r_line], r_line, lx), 9))
    npi_claim = _strings(f.text(_first_per(loops.claim[r_claim], r_claim, claim_of), 9))
    npi_billing = _strings(f.text(_first_per(loops.hl[billing], billing, hl20_of), 9))
    npi = np.where(pd.isna(npi), np.where(pd.isna(npi_claim), npi_billing, npi_claim), npi)
    diagnoses = _pointed(f, sv1, claim_of)
    # 2430: the prior payer's line adjudication.
    svd = f.where("SVD", loops.line >= 0)
    svd_paid = _parsed(f, svd, f.text(svd, 2), _cents, True, "SVD02 paid")
    cas = f.where("CAS", loops.line >= 0)
    return pd.DataFrame(
        {
            "claim_seq": claim_seq,
            "line_number": line_number,
            "line_control_number": lcn,
            "date_of_service": date_of_service,
            "procedure_code": code,
            "modifiers": _str(modifiers),
            "units": units,
            "charge_cents": charge,
            "place_of_service": place,
            "rendering_npi": npi,
            "diagnosis_codes": _str(diagnoses),
            "prior_paid_cents": _sum_by(loops.line[svd], svd_paid, lx),
            "prior_adjustments": _adjustments(f, cas, loops.line[cas], lx),
        }
    )


def _positive(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 10**6 else None


def _joined(columns: list[pa.Array], sep: str) -> pa.Array:
    """Non-null values of each row joined by ``sep`` in column order ('' when none).

    As Arrow lists of the non-null values, then ``binary_join``: not
    ``binary_join_element_wise(null_handling="skip")``, which in pyarrow 26 drops a row
    whose values are all null (the result comes out shorter than its input)."""
    n, k = len(columns[0]), len(columns)
    flat = pa.concat_arrays([_chunk(c).cast(pa.string()) for c in columns])  # column-major
    order = (np.arange(n)[:, None] + np.arange(k)[None, :] * n).ravel()  # row by row
    valid = flat.is_valid().to_numpy(zero_copy_only=False)[order]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(valid.reshape(n, k).sum(axis=1), out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), flat.take(pa.array(order[valid])))
    return pc.binary_join(lists, sep)


def _pointed(f: _File, sv1: np.ndarray, claim_of: np.ndarray) -> pa.Array:
    """SV107 pointers (1-12) resolved against the claim's HI codes, in pointer order,
    ';'-separated; a line without pointers gets all the claim's codes in HI order; null
    when the claim has none."""
    diag_claim, diag_code = _diagnoses(f)
    n = len(diag_claim)
    # (claim segment, code number 1..) as one sorted integer key: a search, not a join.
    # The codes come in file order: claim after claim, each claim's in their HI order.
    starts = np.flatnonzero(np.diff(diag_claim, prepend=-1))
    number = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    key = diag_claim.astype(np.int64) * 16 + number + 1
    columns = []
    for p in f.components(sv1, 7, 4):
        pointer = _parsed(f, sv1, p, _pointer, False, "SV107 diagnosis pointer")
        has = ~pd.isna(pointer)
        num = np.where(has, pointer, 0).astype(np.int64)
        wanted = claim_of.astype(np.int64) * 16 + num
        at = np.searchsorted(key, wanted).clip(max=max(n - 1, 0))
        hit = key[at] == wanted if n else np.zeros(len(sv1), dtype=bool)
        f.first_bad(
            sv1,
            has & ~hit,
            lambda j, num=num: f"SV107 pointer {num[j]} names no diagnosis in the claim's HI",
        )
        found = diag_code.take(pa.array(at, mask=~hit)) if n else pa.nulls(len(sv1), pa.string())
        columns.append(found)
    text = _joined(columns, ";")
    if n:
        everything = _joined_by(starts, diag_code, ";")  # per claim with codes
        at = np.searchsorted(diag_claim[starts], claim_of).clip(max=len(starts) - 1)
        has = diag_claim[starts][at] == claim_of
        fallback = everything.take(pa.array(at, mask=~has))
        text = pc.if_else(pc.equal(text, ""), fallback, text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _joined_by(starts: np.ndarray, values: pa.Array, sep: str) -> pa.Array:
    """``values`` joined by ``sep`` group by group, the groups starting at ``starts``."""
    offsets = np.r_[starts, len(values)].astype(np.int32)
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), sep)


def _pointer(text: str) -> int | None:
    return int(text) if text.isdigit() and 1 <= int(text) <= 12 else None


# Values longer than the store keeps them (store/tables.py) refuse the file, naming the
# segment: stored, PostgreSQL would reject them mid-import and SQLite keep them whole.
CLAIM_WIDTHS = {"claim_id": (64, "CLM01"), "original_ref": (64, "REF*F8"),
                "patient_id": (64, "NM1*IL09"), "place_of_service": (2, "CLM05-1")}  # fmt: skip
LINE_WIDTHS = {"line_control_number": (64, "REF*6R"), "place_of_service": (2, "SV105"),
               "rendering_npi": (10, "NM1*82 NPI"),
               "diagnosis_codes": (200, "SV107 diagnoses")}  # fmt: skip


def _widths(f: _File, frame: pd.DataFrame, index: np.ndarray, widths: dict) -> None:
    for column, (width, what) in widths.items():
        text = pa.array(frame[column], pa.large_string(), from_pandas=True)  # str: no copy
        length = pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
        f.first_bad(
            index,
            length > width,
            lambda j, what=what, width=width, length=length: (
                f"{what} is {length[j]} characters; at most {width} are kept"
            ),
        )


def parse(name: str, raw: bytes | str) -> ClaimFile:
    """Read one 837P file (see ``ClaimFile``); refuse it whole with ``ClaimFileRefused``
    (an ``X12Error``) at the first problem in file order."""
    try:
        return _parse(name, raw)
    except X12Error as err:
        if isinstance(err, ClaimFileRefused):
            raise
        raise ClaimFileRefused(err.file, err.segment_number, err.segment_id, err.reason) from None


def _parse(name: str, raw: bytes | str) -> ClaimFile:
    """The work of ``parse``. The first problem in file order is raised: the envelope
    (``x12.scan``), a segment where it cannot belong or a file that is not an 837P
    (``x837_loops``), a missing or invalid value."""
    segments, envelope = x12.scan(name, raw)
    loops, placement = structure(segments)
    found = [e for e in (envelope, placement) if e is not None]
    if found:
        raise min(found, key=lambda e: e.segment_number)
    f = _File(segments, loops)
    claims, clm = _claims(f)
    lines = _lines(f, clm, claims)
    _widths(f, claims, clm, CLAIM_WIDTHS)
    _widths(f, lines, f.where("SV1", f.loops.line >= 0), LINE_WIDTHS)
    if f.problems:
        raise min(f.problems, key=lambda e: e.segment_number)
    claims["prior_paid_cents"] = claims["prior_paid_cents"].astype("Int64")
    lines["prior_paid_cents"] = lines["prior_paid_cents"].astype("Int64")
    return ClaimFile(name, claims, lines)
