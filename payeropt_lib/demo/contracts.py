"""The demo's payers and prices: contracts, fee schedules, codes and the chargemaster.

Every payer, contract and rate is invented, and fixed (not drawn from the seed).
``CONTRACTS`` are the contracts.csv rows, with how the demo uses each one (share of the
patients, rate level); ``CODE_TABLE`` the codes the practice bills. ``read_rates`` gives
per code the 2025 Medicare amounts at DEMO_LOCALITY and the practice's charges;
``contracts_frame`` and ``fee_schedules_frame`` are the contracts.csv and
fee_schedules.csv rows.

Medicare amounts come from ``data/reference/medicare_fees_demo.csv`` (built by
``python -m payeropt_lib.reference.medicare`` from CMS's RVU25D files for Medicare
locality 04412-11, Dallas), so the demo runs without the CMS files.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from payeropt_lib import config
from payeropt_lib.formats import decimal_texts
from payeropt_lib.reference.medicare import read_medicare_fees_csv

DEMO_LOCALITY = "04412-11"  # Medicare Texas, locality 11 (Dallas)

# Committed, built by `python -m payeropt_lib.reference.medicare` (see data/reference/README.md).
REFERENCE_MEDICARE_FEES = config.REFERENCE_DIR / "medicare_fees_demo.csv"


# --------------------------------------------------------------------------- payers


@dataclass(frozen=True)
class DemoContract:
    """One contracts.csv row, plus how the demo uses it (patient share, rate level)."""

    payer_id: str
    payer_name: str
    product_line: str
    payer_class: str
    effective_from: str
    basis: str
    medicare_percent: str = ""
    renewal_date: str = ""
    notice_days: str = ""
    lesser_of_charges: str = "true"
    mppr_percent: str = "50"
    timely_filing_days: str = "90"
    payer_aliases: str = ""
    appeal_days: str = "90"
    patient_share: float = 0.0  # share of the practice's patients with this primary coverage
    allowed_permille: int = 1000  # rough allowed / Medicare, for synthetic postings only
    patient_share_kind: str = "copay"  # copay | coinsurance | none


# Invented payers. Renewals: PMH (2027-01-01, 90 days) and CRHP (2026-12-15, 60 days) are
# inside their notice windows on DEMO_AS_OF; MKSA, LBA and GCC renew later.
CONTRACTS: tuple[DemoContract, ...] = (
    DemoContract(
        "MCR", "Medicare Part B (Texas)", "", "MEDICARE", "2015-01-01", "medicare_percent",
        medicare_percent="100", timely_filing_days="365", appeal_days="120",
        payer_aliases="MEDICARE PART B TEXAS;1990000001",
        patient_share=0.28, allowed_permille=1000, patient_share_kind="coinsurance",
    ),
    DemoContract(
        "TXMCD", "Lone Star Medicaid", "", "MEDICAID", "2018-09-01", "fee_schedule",
        timely_filing_days="95", appeal_days="120",
        payer_aliases="LONE STAR MEDICAID;1746000011",
        patient_share=0.09, allowed_permille=680, patient_share_kind="none",
    ),
    DemoContract(
        "MKSA", "Mockingbird Senior Advantage", "", "MEDICARE_ADVANTAGE", "2020-01-01",
        "medicare_percent", medicare_percent="101", renewal_date="2027-04-01",
        notice_days="120", timely_filing_days="180", appeal_days="60",
        payer_aliases="MOCKINGBIRD SENIOR ADVANTAGE;MOCKINGBIRD HEALTH PLANS;1752000142",
        patient_share=0.12, allowed_permille=1010, patient_share_kind="copay",
    ),
    DemoContract(
        "PMH", "Prairie Mutual Health", "HMO", "COMMERCIAL", "2021-01-01", "fee_schedule",
        renewal_date="2027-01-01", notice_days="90", timely_filing_days="90",
        appeal_days="180", payer_aliases="PRAIRIE MUTUAL HEALTH;PRAIRIE MUTUAL;1431000555",
        patient_share=0.10, allowed_permille=1120, patient_share_kind="copay",
    ),
    DemoContract(
        "PMH", "Prairie Mutual Health", "PPO", "COMMERCIAL", "2021-01-01", "medicare_percent",
        medicare_percent="128", renewal_date="2027-01-01", notice_days="90",
        timely_filing_days="90", appeal_days="180",
        payer_aliases="PRAIRIE MUTUAL HEALTH;PRAIRIE MUTUAL;1431000555",
        patient_share=0.15, allowed_permille=1280, patient_share_kind="coinsurance",
    ),
    DemoContract(
        "CRHP", "Cedar Ridge Health Plan", "", "COMMERCIAL", "2019-07-01", "fee_schedule",
        renewal_date="2026-12-15", notice_days="60", timely_filing_days="120",
        appeal_days="90", payer_aliases="CEDAR RIDGE HEALTH PLAN;1620000877",
        patient_share=0.10, allowed_permille=1200, patient_share_kind="copay",
    ),
    DemoContract(
        "LBA", "Larkspur Benefit Administrators", "", "COMMERCIAL", "2022-07-01",
        "medicare_percent", medicare_percent="115", renewal_date="2027-07-01",
        notice_days="90", lesser_of_charges="false", timely_filing_days="180",
        appeal_days="180", payer_aliases="LARKSPUR BENEFIT ADMINISTRATORS;1841000390",
        patient_share=0.07, allowed_permille=1150, patient_share_kind="coinsurance",
    ),
    DemoContract(
        "GCC", "Gulfside Community Care", "", "MEDICAID_MANAGED", "2023-03-01",
        "medicare_percent", medicare_percent="72", renewal_date="2027-09-01",
        notice_days="90", timely_filing_days="95", appeal_days="90",
        payer_aliases="GULFSIDE COMMUNITY CARE;1273000468",
        patient_share=0.07, allowed_permille=720, patient_share_kind="none",
    ),
    DemoContract(
        "PVWC", "Pecan Valley Workers Comp Fund", "", "WORKERS_COMP", "2020-01-01",
        "medicare_percent", medicare_percent="140", timely_filing_days="95",
        appeal_days="90", payer_aliases="PECAN VALLEY WORKERS COMP FUND;1390000216",
        patient_share=0.02, allowed_permille=1400, patient_share_kind="none",
    ),
    DemoContract(
        "MGAP", "Willowmere Medigap Supplement", "", "COMMERCIAL", "2017-01-01",
        "medicare_percent", medicare_percent="100", timely_filing_days="365",
        appeal_days="90", payer_aliases="WILLOWMERE MEDIGAP SUPPLEMENT;1560000734",
        patient_share=0.0, allowed_permille=200, patient_share_kind="none",
    ),
)  # fmt: skip

MCR, TXMCD, MKSA, PVWC, MGAP = 0, 1, 2, 8, 9  # indexes into CONTRACTS the generator needs

# Fixed fee schedules: (payer_id, product_line, period starts, rate/Medicare range in permille,
# step per period in permille, E/M-only periods). Amounts are derived once from the 2025
# Medicare non-facility amount at DEMO_LOCALITY and a per-code factor, then stepped.
_FEE_SCHEDULES = (
    # State Medicaid: fiscal-year update on September 1.
    ("TXMCD", "", ("2023-09-01", "2025-09-01"), (600, 750), (1000, 1020), ()),
    # PMH HMO: January updates and a mid-year E/M-only amendment on 2025-07-01.
    ("PMH", "HMO", ("2024-01-01", "2025-01-01", "2025-07-01", "2026-01-01"),
     (1050, 1200), (970, 1035, 1040, 1030), ("2025-07-01",)),
    # CRHP: an April 2025 amendment.
    ("CRHP", "", ("2024-01-01", "2025-04-01"), (1100, 1300), (1000, 1025), ()),
)  # fmt: skip
# Drug carve-out rates per unit (J3301 is not on the Medicare PFS), in cents, per period.
_DRUG_RATES = {("TXMCD", ""): 145, ("PMH", "HMO"): 210, ("CRHP", ""): 240}


# --------------------------------------------------------------------------- codes


# Every (code, pricing modifier) the practice bills. Index = code id in the generator.
CODE_TABLE: tuple[tuple[str, str], ...] = (
    ("99202", ""), ("99203", ""), ("99204", ""), ("99205", ""),
    ("99211", ""), ("99212", ""), ("99213", ""), ("99214", ""), ("99215", ""),
    ("93000", ""), ("93010", ""), ("90471", ""), ("96372", ""), ("99406", ""), ("94010", ""),
    ("69210", ""), ("17110", ""), ("12001", ""), ("G2211", ""),
    ("20600", ""), ("20605", ""), ("20610", ""), ("20611", ""),
    ("20550", ""), ("20552", ""), ("20553", ""),
    ("25600", ""), ("26055", ""), ("27447", ""), ("29880", ""), ("29881", ""), ("64721", ""),
    ("72100", ""), ("73030", ""), ("73070", ""), ("73110", ""), ("73562", ""), ("73564", ""),
    ("73610", ""), ("73721", ""),
    ("72100", "26"), ("73030", "26"), ("73070", "26"), ("73110", "26"), ("73562", "26"),
    ("73564", "26"), ("73610", "26"), ("73721", "26"),
    ("72100", "TC"), ("73562", "TC"), ("73721", "TC"),
    ("J3301", ""),
)  # fmt: skip
CID = {key: i for i, key in enumerate(CODE_TABLE)}
CODE = np.array([c for c, _ in CODE_TABLE], dtype=object)
_PMOD = np.array([m for _, m in CODE_TABLE], dtype=object)
PMOD_CODE = np.array([("", "26", "TC").index(m) for _, m in CODE_TABLE])
EM_NEW = np.array([CID[(c, "")] for c in ("99202", "99203", "99204", "99205")])
EM_EST = np.array([CID[(c, "")] for c in ("99211", "99212", "99213", "99214", "99215")])
J3301 = CID[("J3301", "")]
# Unit charge for codes without a Medicare amount (whole dollars, in cents).
_FIXED_CHARGES = {("J3301", ""): 900}
# A chargemaster slip a practice can make: 99211 priced below the PPO's 128 % of Medicare.
_CHARGE_PERMILLE_OVERRIDES = {"99211": 1250}


# --------------------------------------------------------------------------- practice tables


@dataclass(frozen=True)
class Rates:
    """Per code id: 2025 Medicare amounts at the demo locality and the practice's charges."""

    medicare_nf_2025: np.ndarray  # cents, -1 when the code is not on the PFS
    medicare_f_2025: np.ndarray
    charge_2025: np.ndarray  # unit charge in cents, whole dollars
    charge_2026: np.ndarray
    medicare_fees: pd.DataFrame  # the reference rows at DEMO_LOCALITY (typed)


@functools.lru_cache(maxsize=4)
def read_rates(reference: Path = REFERENCE_MEDICARE_FEES) -> Rates:
    """Medicare amounts and the chargemaster per code id (cached; treat as read-only)."""
    fees = read_medicare_fees_csv(reference)
    fees = fees.loc[fees["locality"] == DEMO_LOCALITY]
    in_2025 = fees.loc[fees["effective_from"] == pd.Timestamp("2025-01-01")]
    lookup = in_2025.set_index(["procedure_code", "modifier"])
    nf = np.full(len(CODE_TABLE), -1, dtype=np.int64)
    fac = np.full(len(CODE_TABLE), -1, dtype=np.int64)
    charge = np.zeros(len(CODE_TABLE), dtype=np.int64)
    for cid, (code, mod) in enumerate(CODE_TABLE):
        if (code, mod) in _FIXED_CHARGES:
            charge[cid] = _FIXED_CHARGES[(code, mod)]
            continue
        if (code, mod) not in lookup.index:
            raise ValueError(f"{reference} has no 2025 row for {code} {mod!r} at {DEMO_LOCALITY}")
        nf[cid] = lookup.at[(code, mod), "non_facility_cents"]
        fac[cid] = lookup.at[(code, mod), "facility_cents"]
        # One chargemaster for all payers: 2.1-2.9x Medicare, fixed per code (not per seed).
        permille = _CHARGE_PERMILLE_OVERRIDES.get(code, 2100 + zlib.crc32(code.encode()) % 800)
        charge[cid] = max(100, (nf[cid] * permille + 50_000) // 100_000 * 100)
    charge_2026 = (charge * 103 + 5_000) // 10_000 * 100  # +3 %, whole dollars
    return Rates(nf, fac, charge, charge_2026, fees.reset_index(drop=True))


def contracts_frame() -> pd.DataFrame:
    """contracts.csv rows (all strings, interface column names)."""
    rows = []
    for c in CONTRACTS:
        rows.append(
            {
                "payer_id": c.payer_id,
                "payer_name": c.payer_name,
                "product_line": c.product_line,
                "payer_class": c.payer_class,
                "effective_from": c.effective_from,
                "renewal_date": c.renewal_date,
                "notice_days": c.notice_days,
                "basis": c.basis,
                "medicare_percent": c.medicare_percent,
                "medicare_locality": DEMO_LOCALITY if c.basis == "medicare_percent" else "",
                "lesser_of_charges": c.lesser_of_charges,
                "mppr_percent": c.mppr_percent,
                "timely_filing_days": c.timely_filing_days,
                "payer_aliases": c.payer_aliases,
                "appeal_days": c.appeal_days,
            }
        )
    return pd.DataFrame(rows, dtype="str")


def fee_schedules_frame(rates: Rates) -> pd.DataFrame:
    """fee_schedules.csv rows for the fixed-fee-schedule contracts (all strings).

    Each (payer, product line, code, modifier) gets contiguous half-open periods with no
    overlap; a code whose rate does not change at a period start keeps its earlier row. The
    rate is the 2025 Medicare non-facility amount x a per-code factor (fixed per payer and
    code, not per seed) x the cumulative step of each period, rounded half up to the cent.
    """
    em_codes = set(CODE[np.concatenate([EM_NEW, EM_EST])])
    fees = rates.medicare_fees
    in_2025 = fees.loc[fees["effective_from"] == pd.Timestamp("2025-01-01")]
    priced = list(
        zip(in_2025["procedure_code"], in_2025["modifier"], in_2025["non_facility_cents"],
            strict=True)
    )  # fmt: skip
    rows: list[tuple[str, str, str, str, int, str, str]] = []
    for payer_id, product_line, starts, (low, high), steps, em_only in _FEE_SCHEDULES:
        for code, modifier, medicare_cents in priced:
            salt = zlib.crc32(f"{payer_id}{product_line}{code}".encode())
            # Python ints: a handful of codes, and the products outgrow int64.
            numerator = int(medicare_cents) * (low + salt % (high - low + 1))
            denominator = 1000
            periods: list[tuple[str, int]] = []
            for start, step in zip(starts, steps, strict=True):
                changes = start not in em_only or code in em_codes
                numerator *= step if changes else 1000
                denominator *= 1000
                cents = (2 * numerator + denominator) // (2 * denominator)
                if not periods or periods[-1][1] != cents:
                    periods.append((start, cents))
            for index, (start, cents) in enumerate(periods):
                end = periods[index + 1][0] if index + 1 < len(periods) else ""
                rows.append((payer_id, product_line, code, modifier, cents, start, end))
        drug = _DRUG_RATES[(payer_id, product_line)]
        rows.append((payer_id, product_line, "J3301", "", drug, starts[0], ""))
    frame = pd.DataFrame(
        rows,
        columns=["payer_id", "product_line", "procedure_code", "modifier", "cents",
                 "effective_from", "effective_to"],
    )  # fmt: skip
    return pd.DataFrame(
        {
            "payer_id": frame["payer_id"],
            "product_line": frame["product_line"],
            "procedure_code": frame["procedure_code"],
            "modifier": frame["modifier"],
            "allowed_amount": decimal_texts(frame["cents"].to_numpy()).to_numpy(),
            "effective_from": frame["effective_from"],
            "effective_to": frame["effective_to"],
        },
        dtype="str",
    )
