"""835 files written segment by segment for the remittance tests (not with the library's
writer, so the tests also check the parser against hand-made files)."""

from __future__ import annotations

MCR = ("NORIDIAN JE PART B", "01112")
ACME = ("ACME HEALTH PLAN", "1234567890")
MCD = ("STATE MEDICAID", "77027")


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}".removesuffix(".00")


def svc(
    code,
    charge,
    paid,
    *,
    mods="",
    units=1,
    dos="20250115",
    cas=(),
    lcn=None,
    b6=None,
    remarks=(),
    units_paid=None,
):
    """One service line; CAS triplets as (group, reason, cents)."""
    assert charge - sum(c[2] for c in cas) == paid, "line must balance"
    comp = "HC:" + code + (":" + mods if mods else "")
    paid_units = units if units_paid is None else units_paid
    segs = [f"SVC*{comp}*{money(charge)}*{money(paid)}**{paid_units}", f"DTM*472*{dos}"]
    segs += [f"CAS*{g}*{r}*{money(a)}" for g, r, a in cas]
    if lcn:
        segs.append(f"REF*6R*{lcn}")
    if b6 is not None:
        segs.append(f"AMT*B6*{money(b6)}")
    segs += [f"LQ*HE*{r}" for r in remarks]
    return {
        "segs": segs,
        "charge": charge,
        "paid": paid,
        "pr": sum(a for g, _, a in cas if g == "PR"),
    }


def reversal_of(line):
    """The reversal of a service line built by ``svc`` (CLP02 = 22): every amount negated."""
    segs = []
    for seg in line["segs"]:
        parts = seg.split("*")
        if parts[0] == "SVC":
            parts[2], parts[3] = f"-{parts[2]}", f"-{parts[3]}"
        elif parts[0] == "CAS":
            parts[3] = f"-{parts[3]}"
        segs.append("*".join(parts))
    return {"segs": segs, "charge": -line["charge"], "paid": -line["paid"], "pr": -line["pr"]}


def clp(claim_id, lines, status="1", payer_claim="PCN1"):
    charge = sum(line["charge"] for line in lines)
    paid = sum(line["paid"] for line in lines)
    pr = sum(line["pr"] for line in lines)
    segs = [
        f"CLP*{claim_id}*{status}*{money(charge)}*{money(paid)}*{money(pr)}*12*{payer_claim}",
        "NM1*QC*1*DOE*JANE****MI*M123",
    ]
    for line in lines:
        segs += line["segs"]
    return {"segs": segs, "paid": paid}


def era835(
    payer,
    claims,
    *,
    trace="EFT1",
    isa_control="000000101",
    sender="PAYERSND",
    plb=(),
    date="20250301",
):
    """A whole 005010X221A1 interchange with correct counts; PLB as (reason, cents)."""
    total = sum(c["paid"] for c in claims) - sum(a for _, a in plb)
    body = [
        "ST*835*0001",
        f"BPR*I*{money(total)}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*"
        f"98765*{date}",
        f"TRN*1*{trace}*1{payer[1][-9:].rjust(9, '0')}",
        f"DTM*405*{date}",
        f"N1*PR*{payer[0]}",
        f"REF*2U*{payer[1]}",
        "N1*PE*TEST PRACTICE*XX*1234567893",
        "LX*1",
    ]
    for claim in claims:
        body += claim["segs"]
    if plb:
        pairs = "*".join(f"{r}:REF{i}*{money(a)}" for i, (r, a) in enumerate(plb))
        body.append(f"PLB*1234567893*20251231*{pairs}")
    body.append(f"SE*{len(body) + 1}*0001")
    isa = (
        f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*PRACTICE       *250301*1200*^*"
        f"00501*{isa_control}*0*P*:"
    )
    segs = [
        isa,
        f"GS*HP*{sender}*PRACTICE*20250301*1200*1*X*005010X221A1",
        *body,
        "GE*1*1",
        f"IEA*1*{isa_control}",
    ]
    return ("~\n".join(segs) + "~\n").encode()


# Lines of the test practice (tests/data/good) that several scenarios send.
JUL_99213_EARLIER_RATE = svc(
    "99213", 15000, 9500, dos="20250709", cas=[("CO", "45", 5500)], lcn="LCN100901"
)
FEB_99213_AS_CONTRACTED = svc(
    "99213", 15000, 9500, dos="20250203", cas=[("CO", "45", 5500)], lcn="LCN100201"
)
SEP_99213 = svc("99213", 15000, 13644, dos="20250902", cas=[("CO", "45", 1356)], lcn="LCN101101")
PPO_99214_25 = svc("99214", 25000, 19044, mods="25", dos="20250210", cas=[("CO", "45", 5956)])
PPO_20610_ONE_UNIT_PAID = svc(
    "20610", 60000, 9676, units=2, units_paid=1, dos="20250210", cas=[("CO", "45", 50324)]
)
PPO_73562_TWO_UNITS = svc(
    "73562", 24000, 12024, units=2, dos="20250210", cas=[("CO", "45", 11976)]
)
JUL_73562 = svc("73562", 12000, 4500, dos="20250709", cas=[("CO", "45", 7500)], lcn="LCN100902")
FEB_99213_UNDERPAID = svc(
    "99213", 15000, 9000, dos="20250203", cas=[("CO", "45", 6000)], lcn="LCN100201"
)
FEB_99213_NO_LCN = svc("99213", 15000, 9500, dos="20250203", cas=[("CO", "45", 5500)])
