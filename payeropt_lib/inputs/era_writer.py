"""Frames back to an 835: a valid 005010X221A1 interchange from frames shaped like ``Remit``.

Used by property tests (write → parse round trips) and by the demo practice's 835
generator, which writes many payers' files: any delimiters, with or without line breaks,
with or without AMT*B6 / REF*6R (NA leaves the segment out), CAS at claim level
(``line_seq`` NA) or line level, PLB, reversals (CLP02 = 22 with negated amounts).

Columns read (others are ignored; * = required, defaults in brackets):
- transactions: txn*, payer_name*, payee_name*, total_paid_cents [Σ CLP04 − Σ PLB],
  handling [I], credit_debit [C], payment_method [ACH, or NON when nothing is paid],
  payment_date [``created``], trace_type [1], trace_number [ISA13 + sequence],
  trace_payer_id [1999999999], production_date, payer_id_qualifier [XV when payer_id],
  payer_id, payer_ref_2u, payer_refs ('EO=1;HI=2'), payee_id_qualifier [XX when
  payee_id], payee_id, payee_refs, st_control [0001, 0002, ...]
- claims: txn*, claim_seq*, claim_id*, status*, charge_cents*, paid_cents*,
  patient_resp_cents, filing_indicator [12], payer_claim_number, facility_code,
  frequency, patient_last, patient_first, patient_member_id, statement_from,
  statement_to, moa_remarks ('MA01;N123', written as MOA03..07)
- lines: txn*, claim_seq*, line_seq*, procedure_code*, charge_cents*, paid_cents*,
  qualifier [HC], modifiers ('25:59'), revenue_code, units_paid_x1000,
  submitted_qualifier [HC], submitted_code, submitted_modifiers, original_units_x1000,
  service_date, service_from, service_to, line_control_number, allowed_cents,
  remark_codes ('N130;M15', one LQ*HE each)
- adjustments: txn*, claim_seq*, line_seq* (NA = claim level), group*, reason*,
  amount_cents*, quantity; consecutive rows of one group and level share a CAS segment,
  six triplets at most
- plb: txn*, provider_id*, fiscal_period_date*, reason*, amount_cents*, reference;
  consecutive rows of one provider and period share a PLB segment, six pairs at most

Rows are written in frame order within their parent (claims by txn, lines by claim).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)

VERSION = "005010X221A1"
REPETITION_CHOICES = "^{}!`"
# Per frame: column → kind. text columns listed with a separator are lists written as
# several elements or segments (modifiers 'a:b', remarks 'a;b', refs 'EO=1;HI=2').
SPEC: dict[str, dict[str, str]] = {
    "transactions": {
        "txn": "int",
        "payer_name": "text",
        "payee_name": "text",
        "total_paid_cents": "money",
        "handling": "text",
        "credit_debit": "text",
        "payment_method": "text",
        "payment_date": "date",
        "trace_type": "text",
        "trace_number": "text",
        "trace_payer_id": "text",
        "production_date": "date",
        "payer_id_qualifier": "text",
        "payer_id": "text",
        "payer_ref_2u": "text",
        "payer_refs": "list;=",
        "payee_id_qualifier": "text",
        "payee_id": "text",
        "payee_refs": "list;=",
        "st_control": "text",
    },
    "claims": {
        "txn": "int",
        "claim_seq": "int",
        "claim_id": "text",
        "status": "text",
        "charge_cents": "money",
        "paid_cents": "money",
        "patient_resp_cents": "money",
        "filing_indicator": "text",
        "payer_claim_number": "text",
        "facility_code": "text",
        "frequency": "text",
        "patient_last": "text",
        "patient_first": "text",
        "patient_member_id": "text",
        "statement_from": "date",
        "statement_to": "date",
        "moa_remarks": "list;",
    },
    "lines": {
        "txn": "int",
        "claim_seq": "int",
        "line_seq": "int",
        "procedure_code": "text",
        "charge_cents": "money",
        "paid_cents": "money",
        "qualifier": "text",
        "modifiers": "list:",
        "revenue_code": "text",
        "units_paid_x1000": "quantity",
        "submitted_qualifier": "text",
        "submitted_code": "text",
        "submitted_modifiers": "list:",
        "original_units_x1000": "quantity",
        "service_date": "date",
        "service_from": "date",
        "service_to": "date",
        "line_control_number": "text",
        "allowed_cents": "money",
        "remark_codes": "list;",
    },
    "adjustments": {
        "txn": "int",
        "claim_seq": "int",
        "line_seq": "level",
        "group": "text",
        "reason": "text",
        "amount_cents": "money",
        "quantity": "text",
    },
    "plb": {
        "txn": "int",
        "provider_id": "text",
        "fiscal_period_date": "date",
        "reason": "text",
        "reference": "text",
        "amount_cents": "money",
    },
}
REQUIRED = {
    "transactions": ("txn", "payer_name", "payee_name"),
    "claims": ("txn", "claim_seq", "claim_id", "status", "charge_cents", "paid_cents"),
    "lines": ("txn", "claim_seq", "line_seq", "procedure_code", "charge_cents", "paid_cents"),
    "adjustments": ("txn", "claim_seq", "line_seq", "group", "reason", "amount_cents"),
    "plb": ("txn", "provider_id", "fiscal_period_date", "reason", "amount_cents"),
}


def amount(cents: int) -> str:
    """Int cents → X12 decimal: 12345 → '123.45', 10000 → '100', -950 → '-9.5'."""
    return _decimal(int(cents), 2)


def quantity(x1000: int) -> str:
    """Exact thousandths → X12 decimal: 1500 → '1.5', 2000 → '2'."""
    return _decimal(int(x1000), 3)


def _decimal(value: int, places: int) -> str:
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**places)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(frac).zfill(places).rstrip('0')}"


def _column(frame: pd.DataFrame, name: str, kind: str, forbidden: str) -> list:
    """One column as Python values ready to join: str ('' when NA) or int."""
    if name not in frame.columns:
        return [None if kind == "level" else ""] * len(frame)
    values = frame[name]
    missing = values.isna().tolist()
    raw = values.tolist()
    if kind == "int":
        return [int(v) for v in raw]
    if kind == "level":
        return [None if m else int(v) for v, m in zip(raw, missing, strict=True)]
    if kind in ("money", "quantity"):
        places = 2 if kind == "money" else 3
        return ["" if m else _decimal(int(v), places) for v, m in zip(raw, missing, strict=True)]
    if kind == "date":
        days: dict[Any, str] = {}  # a remittance has few distinct dates
        return [
            "" if m else days.get(v) or days.setdefault(v, pd.Timestamp(v).strftime("%Y%m%d"))
            for v, m in zip(raw, missing, strict=True)
        ]
    text = ["" if m else str(v) for v, m in zip(raw, missing, strict=True)]
    separators = kind[len("list") :] if kind.startswith("list") else ""
    banned = re.compile(f"[{re.escape(''.join(c for c in forbidden if c not in separators))}]")
    if banned.search("\x00".join(text)):  # one scan in C; find the value only on failure
        bad = next(t for t in text if banned.search(t))
        raise ValueError(f"{name} value {bad!r} holds a delimiter")
    return text


def _prepared(remit_like: Any, forbidden: str) -> dict[str, dict[str, list]]:
    """Each frame's columns as lists; a Remit, an object with the five frame attributes
    or a mapping of them."""
    prepared = {}
    for key, spec in SPEC.items():
        if isinstance(remit_like, Mapping):
            frame = remit_like.get(key)
        else:
            frame = getattr(remit_like, key, None)
        if frame is None:
            frame = pd.DataFrame(columns=list(REQUIRED[key]))
        missing = [c for c in REQUIRED[key] if c not in frame.columns]
        if missing and len(frame):
            raise ValueError(f"{key} frame lacks column(s) {', '.join(missing)}")
        prepared[key] = {
            name: _column(frame, name, kind, forbidden) for name, kind in spec.items()
        }
        prepared[key]["_n"] = len(frame)  # type: ignore[assignment]
    return prepared


def _children(columns: dict[str, list], keys: tuple[str, ...]) -> dict[tuple, list[int]]:
    """Row numbers of a frame by parent key, in frame order."""
    grouped: dict[tuple, list[int]] = defaultdict(list)
    for row, key in enumerate(zip(*(columns[k] for k in keys), strict=True)):
        grouped[key].append(row)
    return grouped


class _Writer:
    """Builds the segments of one interchange from prepared columns."""

    def __init__(
        self, data: dict[str, dict[str, list]], element: str, component: str, created: str
    ) -> None:
        self.out: list[str] = []
        self.element, self.component, self.created = element, component, created
        self.t, self.c, self.ln = data["transactions"], data["claims"], data["lines"]
        self.a, self.p = data["adjustments"], data["plb"]
        self.claims = _children(self.c, ("txn",))
        self.lines = _children(self.ln, ("txn", "claim_seq"))
        self.adjustments = _children(self.a, ("txn", "claim_seq", "line_seq"))
        self.plbs = _children(self.p, ("txn",))

    def seg(self, *items: str) -> None:
        end = len(items)
        while end > 1 and not items[end - 1]:
            end -= 1  # trailing empty elements are not written
        self.out.append(self.element.join(items[:end]))

    def composite(self, *parts: str) -> str:
        end = len(parts)
        while end and not parts[end - 1]:
            end -= 1
        return self.component.join(parts[:end])

    def transaction(self, i: int, trace_default: str) -> None:
        t, seg = self.t, self.seg
        key = t["txn"][i]
        start = len(self.out)
        st_control = t["st_control"][i] or f"{i + 1:04d}"
        seg("ST", "835", st_control)
        claims = self.claims.get((key,), [])
        plbs = self.plbs.get((key,), [])
        total = t["total_paid_cents"][i]
        if not total:
            paid = sum(_cents(self.c["paid_cents"][r]) for r in claims)
            total = amount(paid - sum(_cents(self.p["amount_cents"][r]) for r in plbs))
        method = t["payment_method"][i] or ("NON" if total == "0" else "ACH")
        handling, credit = t["handling"][i] or "I", t["credit_debit"][i] or "C"
        date = t["payment_date"][i] or self.created
        seg("BPR", handling, total, credit, method, *[""] * 11, date)
        trace = t["trace_number"][i] or trace_default
        seg("TRN", t["trace_type"][i] or "1", trace, t["trace_payer_id"][i] or "1999999999")
        if t["production_date"][i]:
            seg("DTM", "405", t["production_date"][i])
        payer_id, payee_id = t["payer_id"][i], t["payee_id"][i]
        payer_qualifier = t["payer_id_qualifier"][i] or ("XV" if payer_id else "")
        seg("N1", "PR", t["payer_name"][i], payer_qualifier, payer_id)
        if t["payer_ref_2u"][i]:
            seg("REF", "2U", t["payer_ref_2u"][i])
        for qualifier, value in _pairs(t["payer_refs"][i]):
            seg("REF", qualifier, value)
        payee_qualifier = t["payee_id_qualifier"][i] or ("XX" if payee_id else "")
        seg("N1", "PE", t["payee_name"][i], payee_qualifier, payee_id)
        for qualifier, value in _pairs(t["payee_refs"][i]):
            seg("REF", qualifier, value)
        if claims:
            seg("LX", "1")
        for r in claims:
            self.claim(key, r)
        self.plb(plbs)
        seg("SE", str(len(self.out) - start + 1), st_control)

    def claim(self, txn: int, r: int) -> None:
        c, seg = self.c, self.seg
        key = (txn, c["claim_seq"][r])
        charge, paid, resp = c["charge_cents"][r], c["paid_cents"][r], c["patient_resp_cents"][r]
        filing = c["filing_indicator"][r] or "12"
        rest = (c["payer_claim_number"][r], c["facility_code"][r], c["frequency"][r])
        seg("CLP", c["claim_id"][r], c["status"][r], charge, paid, resp, filing, *rest)
        self.cas(self.adjustments.get((*key, None), []))
        member = c["patient_member_id"][r]
        names = (c["patient_last"][r], c["patient_first"][r])
        seg("NM1", "QC", "1", *names, "", "", "", "MI" if member else "", member)
        remarks = [x for x in c["moa_remarks"][r].split(";") if x][:5]
        if remarks:
            seg("MOA", "", "", *remarks)
        if c["statement_from"][r]:
            seg("DTM", "232", c["statement_from"][r])
        if c["statement_to"][r]:
            seg("DTM", "233", c["statement_to"][r])
        for s in self.lines.get(key, []):
            self.line(key, s)

    def line(self, claim_key: tuple, s: int) -> None:
        ln, seg = self.ln, self.seg
        modifiers = [m for m in ln["modifiers"][s].split(":") if m][:4]
        procedure = self.composite(ln["qualifier"][s] or "HC", ln["procedure_code"][s], *modifiers)
        submitted = ""
        if ln["submitted_code"][s]:
            sub_modifiers = [m for m in ln["submitted_modifiers"][s].split(":") if m][:4]
            sub_qualifier = ln["submitted_qualifier"][s] or "HC"
            submitted = self.composite(sub_qualifier, ln["submitted_code"][s], *sub_modifiers)
        money = (ln["charge_cents"][s], ln["paid_cents"][s], ln["revenue_code"][s])
        units = (ln["units_paid_x1000"][s], submitted, ln["original_units_x1000"][s])
        seg("SVC", procedure, *money, *units)
        for qualifier, column in DATES:
            if ln[column][s]:
                seg("DTM", qualifier, ln[column][s])
        self.cas(self.adjustments.get((*claim_key, ln["line_seq"][s]), []))
        if ln["line_control_number"][s]:
            seg("REF", "6R", ln["line_control_number"][s])
        if ln["allowed_cents"][s]:
            seg("AMT", "B6", ln["allowed_cents"][s])
        for code in ln["remark_codes"][s].split(";"):
            if code:
                seg("LQ", "HE", code)

    def cas(self, rows: list[int]) -> None:
        """CAS segments: consecutive adjustments of one group, six triplets at most."""
        a = self.a
        pending: list[int] = []
        for r in [*rows, -1]:
            if pending and (r < 0 or a["group"][r] != a["group"][pending[0]] or len(pending) == 6):
                triplets = []
                for q in pending:
                    triplets += [a["reason"][q], a["amount_cents"][q], a["quantity"][q]]
                self.seg("CAS", a["group"][pending[0]], *triplets)
                pending = []
            if r >= 0:
                pending.append(r)

    def plb(self, rows: list[int]) -> None:
        """PLB segments: consecutive rows of one provider and period, six pairs at most."""
        p = self.p
        pending: list[int] = []
        for r in [*rows, -1]:
            if pending and (
                r < 0
                or len(pending) == 6
                or p["provider_id"][r] != p["provider_id"][pending[0]]
                or p["fiscal_period_date"][r] != p["fiscal_period_date"][pending[0]]
            ):
                pairs = []
                for q in pending:
                    reason = self.composite(p["reason"][q], p["reference"][q])
                    pairs += [reason, p["amount_cents"][q]]
                first = pending[0]
                self.seg("PLB", p["provider_id"][first], p["fiscal_period_date"][first], *pairs)
                pending = []
            if r >= 0:
                pending.append(r)


DATES = (("472", "service_date"), ("150", "service_from"), ("151", "service_to"))


def write(
    remit_like: Any,
    *,
    element: str = "*",
    component: str = ":",
    terminator: str = "~",
    line_breaks: bool | str = True,
    repetition: str | None = None,
    isa_control: int = 1,
    gs_control: int | None = None,
    sender: str = "PAYEROPT",
    receiver: str = "PRACTICE",
    sender_qualifier: str = "ZZ",
    receiver_qualifier: str = "ZZ",
    created: dt.datetime | None = None,
    usage: str = "P",
) -> bytes:
    """Write one interchange (one GS, one ST per transaction) as UTF-8 bytes.

    ``line_breaks`` True adds '\\n' after each terminator, a string (e.g. '\\r\\n') adds
    that; with ``terminator='\\n'`` nothing is added. ``created`` dates the ISA and GS
    (default: now). Raises ``ValueError`` for unusable delimiters, a value holding one,
    or a frame without a required column.
    """
    created = created or dt.datetime.now()
    delims = [element, component, terminator]
    if repetition is None:
        repetition = next(c for c in REPETITION_CHOICES if c not in delims)
    delims.append(repetition)
    if any(len(d) != 1 or d.isalnum() or d == " " for d in delims) or len(set(delims)) != 4:
        raise ValueError(f"delimiters must be 4 distinct non-alphanumeric characters: {delims}")
    if terminator == "\n":
        suffix = ""
    else:
        suffix = line_breaks if isinstance(line_breaks, str) else ("\n" if line_breaks else "")
    data = _prepared(remit_like, "".join(delims) + "\r\n")
    gs_control = isa_control if gs_control is None else gs_control
    writer = _Writer(data, element, component, created.strftime("%Y%m%d"))
    isa = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        sender_qualifier.ljust(2)[:2],
        sender.ljust(15)[:15],
        receiver_qualifier.ljust(2)[:2],
        receiver.ljust(15)[:15],
        created.strftime("%y%m%d"),
        created.strftime("%H%M"),
        repetition,
        "00501",
        f"{isa_control:09d}",
        "0",
        usage,
        component,
    ]
    writer.out.append(element.join(isa))
    day, time = created.strftime("%Y%m%d"), created.strftime("%H%M")
    writer.seg("GS", "HP", sender, receiver, day, time, str(gs_control), "X", VERSION)
    count = data["transactions"]["_n"]
    for i in range(count):  # type: ignore[arg-type]
        writer.transaction(i, f"{isa_control}{i + 1:04d}")
    writer.seg("GE", str(count), str(gs_control))
    writer.seg("IEA", "1", f"{isa_control:09d}")
    end = terminator + suffix
    return (end.join(writer.out) + end).encode("utf-8")


def _cents(text: str) -> int:
    """Back from a written X12 decimal (for the default BPR02 only)."""
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-").partition(".")
    return sign * (int(whole or "0") * 100 + int(frac.ljust(2, "0")))


def _pairs(refs: str) -> list[tuple[str, str]]:
    """'EO=123;HI=456' → [('EO', '123'), ('HI', '456')]."""
    pairs = []
    for part in refs.split(";"):
        qualifier, _, value = part.partition("=")
        if qualifier:
            pairs.append((qualifier, value))
    return pairs
