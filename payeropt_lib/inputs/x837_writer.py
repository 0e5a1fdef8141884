"""Write 837P (005010X222A1) files from claim-line frames: the reader's round trip, the
demo's and the benchmark's claim files.

``write(lines)`` takes one row per claim line with the charges columns (``claim_id``,
``line_number``, ``line_control_number``, ``patient_id``, ``date_of_service``,
``procedure_code``, ``modifiers`` ':'-separated, ``units``, ``charge_cents``,
``primary_payer_id``, ``product_line``, ``place_of_service``, ``rendering_npi``,
``diagnosis_codes`` ';'-separated, ``submitted_date``) and, optionally per claim (read from
its first line), ``frequency`` (CLM05-3), ``original_ref`` (REF*F8), ``responsibility``
(SBR01), ``secondary_payer_id`` (with responsibility S: the 2320/2330B primary payer is
``primary_payer_id`` and the 2010BB payer the secondary). One ST per submitted date (at
most ``claims_per_st`` claims each), one HL*22 per claim (the patient is the subscriber),
place of service and rendering NPI at the claim when all its lines agree, else per line
(SV105, 2420A) as billing systems do. A loop per claim and line: this writes test and
demo files, it is not on an import path.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .x837_loops import VERSIONS

VERSION = VERSIONS[0]
# product_line → SBR09 claim filing indicator: the inverse of claims.PRODUCT_LINES where
# it is one to one ('' → CI, commercial without a product).
FILING = {
    "MEDICARE": "MB",
    "MEDICAID": "MC",
    "HMO": "HM",
    "PPO": "12",
    "POS": "13",
    "EPO": "14",
    "INDEMNITY": "15",
    "MEDICARE_ADVANTAGE": "16",
    "": "CI",
}


def amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}" + (f".{frac:02d}" if frac else "")


def _blank(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _day(value: object) -> str:
    return pd.Timestamp(value).strftime("%Y%m%d")


def write(
    lines: pd.DataFrame,
    *,
    element: str = "*",
    component: str = ":",
    terminator: str = "~",
    line_breaks: bool = True,
    isa_control: int = 1,
    claims_per_st: int = 5000,
    billing_npi: str = "1234567893",
    created: dt.datetime | None = None,
    time: str = "1200",
) -> bytes:
    """One interchange, one GS, one ST per submitted date (and per ``claims_per_st``)."""
    created = created or dt.datetime(2026, 1, 2, 12, 0)
    delims = [element, component, terminator]
    if any(len(d) != 1 or d.isalnum() or d == " " for d in delims) or len(set(delims)) != 3:
        raise ValueError(f"delimiters must be 3 distinct non-alphanumeric characters: {delims}")
    repetition = next(c for c in "^!|" if c not in delims)
    e, c = element, component
    out: list[str] = []

    def seg(*items: str) -> None:
        while len(items) > 1 and items[-1] == "":
            items = items[:-1]
        out.append(e.join(items))

    isa = [
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "PRACTICE".ljust(15), "ZZ",
        "CLEARINGHOUSE".ljust(15), created.strftime("%y%m%d"), created.strftime("%H%M"),
        repetition, "00501", f"{isa_control:09d}", "0", "P", c,
    ]  # fmt: skip
    out.append(e.join(isa))
    seg("GS", "HC", "PRACTICE", "CLEARINGHOUSE", created.strftime("%Y%m%d"), "1200",
        str(isa_control), "X", VERSION)  # fmt: skip
    frame = lines.reset_index(drop=True)
    frame["_sub"] = pd.to_datetime(frame["submitted_date"]).dt.strftime("%Y%m%d")
    order = frame.sort_values(["_sub", "claim_id", "line_number"], kind="stable")
    columns = {name: order[name].tolist() for name in order.columns}
    n = len(order)
    starts = [
        i for i in range(n) if i == 0 or columns["claim_id"][i] != columns["claim_id"][i - 1]
    ]
    bounds = list(zip(starts, [*starts[1:], n], strict=True))
    sets: list[list[tuple[int, int]]] = []
    for b in bounds:
        new_day = not sets or columns["_sub"][b[0]] != columns["_sub"][sets[-1][0][0]]
        if new_day or len(sets[-1]) >= claims_per_st:
            sets.append([b])
        else:
            sets[-1].append(b)
    for t, claims in enumerate(sets, start=1):
        start = len(out)
        st02 = f"{t:04d}"
        seg("ST", "837", st02, VERSION)
        seg("BHT", "0019", "00", f"{isa_control}{st02}", columns["_sub"][claims[0][0]], time, "CH")
        seg("NM1", "41", "2", "PRACTICE", "", "", "", "", "46", "PRACTICE")
        seg("PER", "IC", "BILLING", "TE", "5555550100")
        seg("NM1", "40", "2", "CLEARINGHOUSE", "", "", "", "", "46", "CLEARINGHOUSE")
        seg("HL", "1", "", "20", "1")
        seg("NM1", "85", "2", "PRACTICE", "", "", "", "", "XX", billing_npi)
        seg("N3", "1 MAIN ST")
        seg("N4", "SPRINGFIELD", "IL", "62701")
        seg("REF", "EI", "123456789")
        for h, (a, b) in enumerate(claims, start=2):
            _claim(seg, columns, a, b, h, c)
        seg("SE", str(len(out) - start + 1), st02)
    seg("GE", str(len(sets)), str(isa_control))
    seg("IEA", "1", f"{isa_control:09d}")
    if terminator == "\n":
        return ("\n".join(out) + "\n").encode("utf-8")
    end = terminator + ("\n" if line_breaks else "")
    return (end.join(out) + end).encode("utf-8")


def _get(columns: dict[str, list], name: str, i: int, default: str = "") -> str:
    if name not in columns:
        return default
    return _blank(columns[name][i]) or default


def _claim(seg, columns: dict[str, list], a: int, b: int, hl: int, c: str) -> None:
    """One claim: its subscriber HL, SBR, NM1*IL, NM1*PR, CLM and lines a..b-1."""
    responsibility = _get(columns, "responsibility", a, "P")
    primary = _get(columns, "primary_payer_id", a)
    secondary = _get(columns, "secondary_payer_id", a)
    payer = secondary if responsibility == "S" and secondary else primary
    product = _get(columns, "product_line", a)
    seg("HL", str(hl), "1", "22", "0")
    seg("SBR", responsibility, "18", "", "", "", "", "", "", FILING.get(product, "CI"))
    seg("NM1", "IL", "1", "PATIENT", "PAT", "", "", "", "MI", _get(columns, "patient_id", a))
    seg("NM1", "PR", "2", payer, "", "", "", "", "PI", payer)
    rows = range(a, b)
    pos = [_get(columns, "place_of_service", i) for i in rows]
    npi = [_get(columns, "rendering_npi", i) for i in rows]
    codes: list[str] = []
    for i in rows:
        for code in _get(columns, "diagnosis_codes", i).split(";"):
            if code and code not in codes:
                codes.append(code)
    if len(codes) > 12:
        raise ValueError(f"claim {columns['claim_id'][a]}: more than 12 diagnosis codes")
    total = sum(int(columns["charge_cents"][i]) for i in rows)
    frequency = _get(columns, "frequency", a, "1")
    claim_pos = pos[0] or "11"
    seg("CLM", columns["claim_id"][a], amount(total), "", "",
        c.join((claim_pos, "B", frequency)), "Y", "A", "Y", "Y")  # fmt: skip
    ref = _get(columns, "original_ref", a)
    if ref:
        seg("REF", "F8", ref)
    if codes:
        seg("HI", *(c.join(("ABK" if k == 0 else "ABF", code)) for k, code in enumerate(codes)))
    same_npi = len(set(npi)) == 1 and npi[0]
    if same_npi:
        seg("NM1", "82", "1", "RENDERING", "DOC", "", "", "", "XX", npi[0])
    if responsibility == "S" and secondary:
        seg("SBR", "P", "18", "", "", "", "", "", "", "CI")
        paid = _get(columns, "prior_paid_cents", a)
        if paid:
            seg("AMT", "D", amount(int(float(paid))))
        seg("OI", "", "", "Y", "", "", "Y")
        seg("NM1", "IL", "1", "PATIENT", "PAT", "", "", "", "MI", _get(columns, "patient_id", a))
        seg("NM1", "PR", "2", primary, "", "", "", "", "PI", primary)
    for k, i in enumerate(rows):
        seg("LX", _get(columns, "line_number", i, str(k + 1)))
        mods = [m for m in _get(columns, "modifiers", i).split(":") if m]
        if len(mods) > 4:
            raise ValueError(f"claim {columns['claim_id'][a]}: more than four modifiers")
        procedure = c.join(("HC", columns["procedure_code"][i], *mods))
        line_codes = [x for x in _get(columns, "diagnosis_codes", i).split(";") if x]
        if len(line_codes) > 4:
            raise ValueError(f"claim {columns['claim_id'][a]}: a line points to more than four")
        pointers = c.join(str(codes.index(x) + 1) for x in line_codes)
        line_pos = pos[k] if pos[k] and pos[k] != claim_pos else ""
        seg("SV1", procedure, amount(int(columns["charge_cents"][i])), "UN",
            str(int(columns["units"][i])), line_pos, "", pointers)  # fmt: skip
        seg("DTP", "472", "D8", _day(columns["date_of_service"][i]))
        lcn = _get(columns, "line_control_number", i)
        if lcn:
            seg("REF", "6R", lcn)
        if npi[k] and not same_npi:
            seg("NM1", "82", "1", "RENDERING", "DOC", "", "", "", "XX", npi[k])
