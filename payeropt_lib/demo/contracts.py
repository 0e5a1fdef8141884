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
    payment_rules: str = "contract"  # "medicare": Medicare's own reductions too
    patient_share: float = 0.0  # share of the practice's patients with this primary coverage
    allowed_permille: int = 1000  # rough allowed / Medicare, for synthetic postings only
    patient_share_kind: str = "copay"  # copay | coinsurance | none


# Invented payers: name and class (contracts.csv columns).
_PAYERS: dict[str, tuple[str, str]] = {
    "MCR": ("Medicare Part B (Texas)", "MEDICARE"),
    "TXMCD": ("Lone Star Medicaid", "MEDICAID"),
    "MKSA": ("Mockingbird Senior Advantage", "MEDICARE_ADVANTAGE"),
    "PMH": ("Prairie Mutual Health", "COMMERCIAL"),
    "CRHP": ("Cedar Ridge Health Plan", "COMMERCIAL"),
    "LBA": ("Larkspur Benefit Administrators", "COMMERCIAL"),
    "GCC": ("Gulfside Community Care", "MEDICAID_MANAGED"),
    "PVWC": ("Pecan Valley Workers Comp Fund", "WORKERS_COMP"),
    "MGAP": ("Willowmere Medigap Supplement", "COMMERCIAL"),
}
# The names and payer ids each payer sends on its 835s (contracts.csv payer_aliases).
_PAYER_ALIASES: dict[str, str] = {
    "MCR": "MEDICARE PART B TEXAS;1990000001",
    "TXMCD": "LONE STAR MEDICAID;1746000011",
    "MKSA": "MOCKINGBIRD SENIOR ADVANTAGE;MOCKINGBIRD HEALTH PLANS;1752000142",
    "PMH": "PRAIRIE MUTUAL HEALTH;PRAIRIE MUTUAL;1431000555",
    "CRHP": "CEDAR RIDGE HEALTH PLAN;1620000877",
    "LBA": "LARKSPUR BENEFIT ADMINISTRATORS;1841000390",
    "GCC": "GULFSIDE COMMUNITY CARE;1273000468",
    "PVWC": "PECAN VALLEY WORKERS COMP FUND;1390000216",
    "MGAP": "WILLOWMERE MEDIGAP SUPPLEMENT;1560000734",
}

# The contracts, one row each, in the columns of _TERM_FIELDS ("" = blank). A contract with
# a percent of Medicare is priced on that basis, the others on a fee schedule. Renewals: PMH
# (2027-01-01, 90 days) and CRHP (2026-12-15, 60 days) are inside their notice windows on
# DEMO_AS_OF; MKSA, LBA and GCC renew later.
_TERM_FIELDS = (
    "payer_id", "product_line", "effective_from", "medicare_percent", "renewal_date",
    "notice_days", "lesser_of_charges", "timely_filing_days", "appeal_days",
)  # fmt: skip
_TERMS: tuple[tuple[str, ...], ...] = (
    ("MCR",   "",    "2015-01-01", "100", "",           "",    "true",  "365", "120"),
    ("TXMCD", "",    "2018-09-01", "",    "",           "",    "true",  "95",  "120"),
    ("MKSA",  "",    "2020-01-01", "101", "2027-04-01", "120", "true",  "180", "60"),
    ("PMH",   "HMO", "2021-01-01", "",    "2027-01-01", "90",  "true",  "90",  "180"),
    ("PMH",   "PPO", "2021-01-01", "128", "2027-01-01", "90",  "true",  "90",  "180"),
    ("CRHP",  "",    "2019-07-01", "",    "2026-12-15", "60",  "true",  "120", "90"),
    ("LBA",   "",    "2022-07-01", "115", "2027-07-01", "90",  "false", "180", "180"),
    ("GCC",   "",    "2023-03-01", "72",  "2027-09-01", "90",  "true",  "95",  "90"),
    ("PVWC",  "",    "2020-01-01", "140", "",           "",    "true",  "95",  "90"),
    ("MGAP",  "",    "2017-01-01", "100", "",           "",    "true",  "365", "90"),
)  # fmt: skip
# Payers that apply Medicare's own reductions (contracts.csv payment_rules=medicare): Medicare
# itself and the Medicare Advantage plan, which follows Medicare's payment policy.
_MEDICARE_RULES = frozenset({"MCR", "MKSA"})
# How the demo uses each contract: (patient_share, allowed_permille, patient_share_kind).
_DEMO_USE: dict[tuple[str, str], tuple[float, int, str]] = {
    ("MCR", ""): (0.28, 1000, "coinsurance"),
    ("TXMCD", ""): (0.09, 680, "none"),
    ("MKSA", ""): (0.12, 1010, "copay"),
    ("PMH", "HMO"): (0.10, 1120, "copay"),
    ("PMH", "PPO"): (0.15, 1280, "coinsurance"),
    ("CRHP", ""): (0.10, 1200, "copay"),
    ("LBA", ""): (0.07, 1150, "coinsurance"),
    ("GCC", ""): (0.07, 720, "none"),
    ("PVWC", ""): (0.02, 1400, "none"),
    ("MGAP", ""): (0.0, 200, "none"),
}


def _contract(terms: tuple[str, ...]) -> DemoContract:
    """One row of _TERMS with its payer's name, class and aliases and the demo's use of it."""
    row = dict(zip(_TERM_FIELDS, terms, strict=True))
    payer_name, payer_class = _PAYERS[row["payer_id"]]
    patient_share, allowed_permille, kind = _DEMO_USE[row["payer_id"], row["product_line"]]
    return DemoContract(
        **row,
        payer_name=payer_name,
        payer_class=payer_class,
        basis="medicare_percent" if row["medicare_percent"] else "fee_schedule",
        payment_rules="medicare" if row["payer_id"] in _MEDICARE_RULES else "contract",
        payer_aliases=_PAYER_ALIASES[row["payer_id"]],
        patient_share=patient_share,
        allowed_permille=allowed_permille,
        patient_share_kind=kind,
    )


CONTRACTS: tuple[DemoContract, ...] = tuple(map(_contract, _TERMS))

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
                "payment_rules": c.payment_rules,
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
