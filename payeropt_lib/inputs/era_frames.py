"""The five frames of a parsed 835 (``Remit``) built from its segments' columns.

Each claim, line and transaction finds its child segments by running counts over the
segments (``_running``, ``_attach``), and a table's columns come from one Arrow ``take``
(``EraFile.fetch``); SVC01/SVC06 composites and the REFs of the header are parsed once
per distinct value or in a short Python loop. Problems of value (an empty required
element, an unknown CAS group, ...) are recorded on the ``EraFile``; ``era.parse`` raises
the first one. The columns are listed in ``Remit`` and ``docs/era.md``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import era_loops as codes
from .era_columns import TEXT, EraFile, is_date
from .era_loops import CLAIM, GROUPS, HEADER, LINE, T, last

# Under the public entry's name, as before era.py was split: log output and filters keep it.
logger = logging.getLogger("payeropt_lib.inputs.era")


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


FRAMES = ("transactions", "claims", "lines", "adjustments", "plb")


def concat(remits: list[Remit]) -> Remit:
    """Several parsed 835s as one, for evaluating them together: each file's ``txn``
    offset by the transactions of the files before it, so the k-th file's transactions
    follow the (k-1)-th's. Segment numbers stay those of each file."""
    if len(remits) == 1:
        return remits[0]
    offsets = np.cumsum([0] + [len(r.transactions) for r in remits[:-1]])

    def joined(name: str) -> pd.DataFrame:
        parts = [
            frame.assign(txn=frame["txn"] + offset)
            for remit, offset in zip(remits, offsets, strict=True)
            if len(frame := getattr(remit, name))
        ]
        # An empty part would only cost dtypes (pandas warns on concatenating empties).
        return pd.concat(parts, ignore_index=True) if parts else getattr(remits[0], name)

    return Remit(*(joined(name) for name in FRAMES), name=", ".join(r.name for r in remits))


def _attach(owner: np.ndarray, index: np.ndarray, count: int) -> np.ndarray:
    """For each of ``count`` owners, the last segment of ``index`` it owns (-1: none)."""
    target = np.full(count, -1, dtype=np.int64)
    if len(index):
        np.maximum.at(target, owner[index], index)
    return target


def _running(mask: np.ndarray) -> np.ndarray:
    """0-based number of the last True at or before each position (-1 before the first)."""
    return np.cumsum(mask, dtype=np.int64) - 1


def _seq(parent: np.ndarray) -> np.ndarray:
    """0.. within each run of equal, sorted parent numbers."""
    return np.arange(len(parent)) - np.searchsorted(parent, parent, side="left")


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


def _not_a_code(parts: tuple[str, str, str], k: int) -> str | None:
    """Why a parsed SVC01/SVC06 composite holds what no code list has, or None: its
    qualifier must be a product/service id qualifier, its code and modifiers ASCII letters
    and digits (CPT, HCPCS, CDT, NDC, revenue codes all are)."""
    qualifier, code, modifiers = parts
    if qualifier not in codes.PRODUCT_QUALIFIERS:
        return f"SVC{k:02d}-1 {qualifier!r} is not a product/service id qualifier"
    if not (code.isascii() and code.isalnum()):
        return f"SVC{k:02d}-2 {code!r} is not a procedure code (letters and digits)"
    for j, modifier in enumerate(modifiers.split(":") if modifiers else (), start=3):
        if not (modifier.isascii() and modifier.isalnum()):
            return f"SVC{k:02d}-{j} {modifier!r} is not a procedure modifier"
    return None


def _procedures(f: EraFile, svc: np.ndarray, k: int) -> list[pa.Array]:
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
        dictionary = encoded.dictionary.to_pylist()
        why = [
            f"SVC{k:02d} {v!r} has no procedure code" if p is None else _not_a_code(p, k)
            for v, p in zip(dictionary, parsed, strict=True)
        ]
        failed = [i for i, reason in enumerate(why) if reason is not None]
        if failed:
            at = pc.fill_null(indices, -1).to_numpy()
            row = int(np.flatnonzero(np.isin(at, failed))[0])
            f.problem(svc[rows[row]], "SVC", why[int(at[row])])
        for j in range(3):
            column = pa.array([p[j] if p else "" for p in parsed], TEXT)
            parts[j].append(column.take(indices))
        order.append(rows)
    if len(order) == 1:
        return [p[0] for p in parts]
    inverse = np.argsort(np.concatenate(order), kind="stable")
    return [pa.concat_arrays(p).take(pa.array(inverse)) for p in parts]


def _transactions(f: EraFile, txn_of: np.ndarray) -> pd.DataFrame:
    st = f.where("ST")
    count = len(st)
    isa = last(f.code == T["ISA"])[st]
    gs = last(f.code == T["GS"])[st]
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


def _header_refs(f: EraFile, txn_of: np.ndarray, count: int) -> dict[str, list[str | None]]:
    """REFs of the 835 header by owner: before any N1 (header), after N1*PR (payer; REF*2U
    apart) or N1*PE (payee). A few per transaction, so a Python loop is fine."""
    owners = {"header": [[] for _ in range(count)], "payer": [[] for _ in range(count)]}
    owners["payee"] = [[] for _ in range(count)]
    ref_2u: list[str | None] = [None] * count
    refs = f.where("REF", (HEADER,))
    last_n1 = last(f.code == T["N1"])
    last_st = last(f.code == T["ST"])
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


def _claims(
    f: EraFile, txn_of: np.ndarray, claim_of: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
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
    f.coded(clp, 2, codes.CLAIM_STATUSES, "a claim status code (CLP02)")
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
    f: EraFile,
    txn_of: np.ndarray,
    claim_of: np.ndarray,
    line_of: np.ndarray,
    claim_seq: np.ndarray,
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
    f: EraFile,
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


def _plb(f: EraFile, txn_of: np.ndarray) -> pd.DataFrame:
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


def _code_lists(f: EraFile) -> None:
    """Qualifiers and codes this reader reads, against their 835 code lists (``era_loops``);
    the first value outside one is a problem. A byte flipped or a separator lost in them
    (AMT*\\x1e6, a BPR whose elements shifted) would otherwise be read as something else,
    or silently not read. One vectorized check per element."""
    bpr = f.where("BPR")
    f.coded(bpr, 1, codes.HANDLING, "a transaction handling code (BPR01)")
    f.coded(bpr, 3, codes.CREDIT_DEBIT, "a credit/debit flag (BPR03: C or D)")
    f.coded(bpr, 4, codes.PAYMENT_METHODS, "a payment method (ACH, BOP, CHK, FWT, NON)")
    for k, allowed in codes.BPR_QUALIFIERS.items():
        f.coded(bpr, k, allowed, f"a BPR{k:02d} qualifier ({', '.join(allowed)})")
    # BPR16 absent: tolerated when BPR15 holds the date (some TR3 examples); anything else
    # in BPR15 is a lost separator that moved the date into it.
    for i in bpr[f.count(bpr) == 16].tolist():
        value = f.value(i, 15)
        if value and not is_date(value):
            reason = f"BPR15 {value!r} is not a date and BPR16 (the payment date) is missing"
            f.problem(i, "BPR", reason + ": an element separator lost?")
    f.coded(f.where("AMT"), 1, codes.AMOUNT_QUALIFIERS, "an 835 amount qualifier (AMT01)")
    # DTM01 by loop, every DTM at once: a table of (loop context, qualifier code) allowed.
    lookup, qualifier = f.segments.qualifier_codes
    allowed = np.ones((codes.OUTSIDE + 1, len(lookup) + 1), dtype=bool)  # last: no DTM01
    for context, wanted in codes.DATE_QUALIFIERS.items():
        allowed[context, :-1] = False
        allowed[context, [lookup[q] for q in (*wanted, "") if q in lookup]] = True
    dtm = f.where("DTM")
    bad = dtm[~allowed[f.context[dtm], qualifier[dtm]]]
    if len(bad):
        i = int(bad[0])
        wanted = ", ".join(codes.DATE_QUALIFIERS[int(f.context[i])])
        reason = f"DTM01 {f.value(i, 1)!r} is not a date qualifier of the 835 here ({wanted})"
        f.problem(i, "DTM", reason)


def build(f: EraFile) -> tuple[pd.DataFrame, ...]:
    """The five frames of ``Remit``, in its order (None each when ``f.build`` is False)."""
    code = f.code
    txn_of = _running(code == T["ST"])
    claim_of = _running(code == T["CLP"])
    line_of = _running(code == T["SVC"])
    _code_lists(f)
    transactions = _transactions(f, txn_of)
    claims, claim_seq = _claims(f, txn_of, claim_of)
    lines, line_seq = _lines(f, txn_of, claim_of, line_of, claim_seq)
    adjustments = _adjustments(f, txn_of, claim_of, line_of, claim_seq, line_seq)
    return transactions, claims, lines, adjustments, _plb(f, txn_of)
