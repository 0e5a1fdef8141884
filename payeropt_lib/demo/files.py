"""A synthetic primary-care and orthopedic practice in Dallas, TX, for demos and benchmarks.

Everything here is invented and seeded: payer names, patients, NPIs and claims. Nothing
depends on today's date. ``generate`` writes the seven interface files (section 1) for
dates of service DEMO_PERIOD_START..DEMO_PERIOD_END as seen on DEMO_AS_OF; ``big_charges_csv``
writes an arbitrarily long charges.csv for import benchmarks.

Medicare amounts come from ``data/reference/medicare_fees_demo.csv`` (built by
``python -m payeropt_lib.reference.medicare`` from CMS's RVU25D files for Medicare
locality 04412-11, Dallas), so the demo runs without the CMS files.
"""

from __future__ import annotations

import functools
import logging
import re
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from payeropt_lib import config
from payeropt_lib.formats import decimal_texts
from payeropt_lib.reference.medicare import read_medicare_fees_csv, write_medicare_fees_csv
from payeropt_lib.reference.place_of_service import FACILITY_POS

logger = logging.getLogger(__name__)

DEMO_PERIOD_START = date(2024, 11, 1)  # first date of service
DEMO_PERIOD_END = date(2026, 10, 31)  # last date of service (inclusive)
DEMO_AS_OF = date(2026, 11, 1)  # "today" for the demo: nothing is posted on or after it
DEMO_LOCALITY = "04412-11"  # Medicare Texas, locality 11 (Dallas)
DEFAULT_SEED = 20261101

# Committed, built by `python -m payeropt_lib.reference.medicare` (see data/reference/README.md).
REFERENCE_MEDICARE_FEES = config.REFERENCE_DIR / "medicare_fees_demo.csv"

FILE_NAMES: dict[str, str] = {
    "contracts": "contracts.csv",
    "fee-schedules": "fee_schedules.csv",
    "medicare-fees": "medicare_fees.csv",
    "charges": "charges.csv",
    "transactions": "transactions.csv",
    "encounters": "encounters.csv",
    "appointments": "appointments.csv",
}

CHARGES_COLUMNS = (
    "claim_id",
    "line_number",
    "line_control_number",
    "patient_id",
    "date_of_service",
    "procedure_code",
    "modifiers",
    "units",
    "charge_amount",
    "primary_payer_id",
    "product_line",
    "secondary_payer_id",
    "place_of_service",
    "rendering_npi",
    "diagnosis_codes",
)

# US federal holidays the office is closed on, within the demo's dates.
_HOLIDAYS = np.array(
    [
        "2024-11-28", "2024-12-25", "2025-01-01", "2025-05-26", "2025-07-04", "2025-09-01",
        "2025-11-27", "2025-12-25", "2026-01-01", "2026-05-25", "2026-07-03", "2026-09-07",
        "2026-11-26", "2026-12-25",
    ],
    dtype="datetime64[D]",
)  # fmt: skip
# Visit volume by calendar month (Jan..Dec): winter respiratory season, summer and December dips.
_SEASON = np.array([1.06, 1.02, 1.04, 1.0, 1.0, 0.97, 0.92, 0.98, 1.02, 1.04, 0.99, 0.90])


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

_MCR, _TXMCD, _MKSA, _PVWC, _MGAP = 0, 1, 2, 8, 9  # indexes into CONTRACTS the generator needs

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
_CID = {key: i for i, key in enumerate(CODE_TABLE)}
_CODE = np.array([c for c, _ in CODE_TABLE], dtype=object)
_PMOD = np.array([m for _, m in CODE_TABLE], dtype=object)
_PMOD_CODE = np.array([("", "26", "TC").index(m) for _, m in CODE_TABLE])
_EM_NEW = np.array([_CID[(c, "")] for c in ("99202", "99203", "99204", "99205")])
_EM_EST = np.array([_CID[(c, "")] for c in ("99211", "99212", "99213", "99214", "99215")])
_J3301 = _CID[("J3301", "")]
# Unit charge for codes without a Medicare amount (whole dollars, in cents).
_FIXED_CHARGES = {("J3301", ""): 900}
# A chargemaster slip a practice can make: 99211 priced below the PPO's 128 % of Medicare.
_CHARGE_PERMILLE_OVERRIDES = {"99211": 1250}

_PCP_NPIS = ("180840001", "180840019", "180840027")  # 9-digit bases; check digit added
_ORTHO_NPIS = ("180840035", "180840043", "180840050")


def npi_with_check_digit(base9: str) -> str:
    """Append the Luhn check digit NPIs use (computed over the '80840' prefix + 9 digits)."""
    digits = [int(d) for d in "80840" + base9]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:  # the check digit will sit to the right, so these double
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return base9 + str((10 - total % 10) % 10)


PCP_NPIS = tuple(npi_with_check_digit(b) for b in _PCP_NPIS)
ORTHO_NPIS = tuple(npi_with_check_digit(b) for b in _ORTHO_NPIS)
_NPIS = np.array(PCP_NPIS + ORTHO_NPIS, dtype=object)


# --------------------------------------------------------------------------- clinical tables

# Claim categories and their mix by payer group (general, workers' comp).
_EM, _ORTHO, _READ, _TC, _SURG, _PROC = range(6)
_CATEGORY_MIX = {
    "general": np.array([0.55, 0.24, 0.05, 0.015, 0.04, 0.105]),
    "workers_comp": np.array([0.08, 0.52, 0.05, 0.03, 0.12, 0.20]),
}

# Primary-care diagnoses: acute reason for the visit, and chronic conditions.
_DX_ACUTE = np.array(
    ["J06.9", "J02.9", "R05.9", "N39.0", "M54.50", "K21.9", "F41.1", "L30.9", "R51.9",
     "J01.90", "R10.9", "H10.33"],
    dtype=object,
)  # fmt: skip
_DX_CHRONIC = np.array(
    ["I10", "E11.9", "E78.5", "E66.9", "J45.909", "E11.65", "F32.A", "J44.9"], dtype=object
)

# Orthopedic body sites: share of ortho visits, diagnoses (right, left, is_injury, weight),
# injection codes with weights, plain film code.
_SITES = (
    ("knee", 0.40,
     (("M17.11", "M17.12", False, 0.45), ("M25.561", "M25.562", False, 0.30),
      ("S83.241A", "S83.242A", True, 0.25)),
     (("20610", 0.80), ("20611", 0.20)), "73562"),
    ("shoulder", 0.22,
     (("M75.41", "M75.42", False, 0.40), ("M75.101", "M75.102", False, 0.25),
      ("M19.011", "M19.012", False, 0.15), ("S46.011A", "S46.012A", True, 0.20)),
     (("20610", 0.85), ("20611", 0.15)), "73030"),
    ("hand", 0.12,
     (("M65.331", "M65.332", False, 0.40), ("G56.01", "G56.02", False, 0.30),
      ("M18.11", "M18.12", False, 0.20), ("S63.501A", "S63.502A", True, 0.10)),
     (("20550", 0.55), ("20600", 0.45)), "73110"),
    ("elbow", 0.06,
     (("M77.11", "M77.12", False, 0.8), ("S53.401A", "S53.402A", True, 0.2)),
     (("20605", 0.50), ("20550", 0.50)), "73070"),
    ("ankle", 0.08,
     (("M19.071", "M19.072", False, 0.45), ("S93.401A", "S93.402A", True, 0.55)),
     (("20605", 1.0),), "73610"),
    ("spine", 0.12,
     (("M54.50", "M54.50", False, 0.35), ("M54.16", "M54.16", False, 0.25),
      ("M47.816", "M47.816", False, 0.15), ("S39.012A", "S39.012A", True, 0.25)),
     (("20552", 0.6), ("20553", 0.4)), "72100"),
)  # fmt: skip

# Surgeries: code, weight, diagnoses (right, left), place-of-service choices and weights.
_SURGERIES = (
    ("29881", 0.30, ("S83.241A", "S83.242A"), ("22", "24"), (0.5, 0.5)),
    ("29880", 0.10, ("S83.241A", "S83.242A"), ("22", "24"), (0.5, 0.5)),
    ("64721", 0.20, ("G56.01", "G56.02"), ("22", "24"), (0.4, 0.6)),
    ("25600", 0.12, ("S52.501A", "S52.502A"), ("23", "22"), (0.6, 0.4)),
    ("26055", 0.10, ("M65.331", "M65.332"), ("24", "22"), (0.6, 0.4)),
    ("27447", 0.18, ("M17.11", "M17.12"), ("21", "22"), (0.7, 0.3)),
)  # fmt: skip

# Hospital reads (-26): code weights for plain film and MRI, diagnoses by code.
_READS = (
    ("73562", 0.25, ("M25.561", "M25.562")),
    ("73030", 0.15, ("M25.511", "M25.512")),
    ("72100", 0.20, ("M54.50", "M54.50")),
    ("73721", 0.10, ("M23.91", "M23.92")),
    ("73110", 0.10, ("S62.101A", "S62.102A")),
    ("73610", 0.10, ("S93.401A", "S93.402A")),
    ("73564", 0.10, ("M17.11", "M17.12")),
)  # fmt: skip
_LATERAL_IMAGING = {"73562", "73030", "73070", "73110", "73564", "73610", "73721"}


# --------------------------------------------------------------------------- small helpers


def _choice(rng: np.random.Generator, options, weights, size: int) -> np.ndarray:
    """Vectorised weighted choice of ``size`` items (indexes if options is an int)."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(options, size=size, p=p / p.sum())


def _business_days(start: date | np.datetime64, end: date | np.datetime64) -> np.ndarray:
    """Weekdays other than holidays in [start, end], as datetime64[D]."""
    first, last = np.datetime64(start, "D"), np.datetime64(end, "D")
    days = np.arange(first, last + 1, dtype="datetime64[D]")
    return days[np.is_busday(days, holidays=_HOLIDAYS)]


def _months(start: date, end: date) -> list[np.datetime64]:
    first = np.datetime64(start, "M")
    return list(np.arange(first, np.datetime64(end, "M") + 1))


def _date_strings(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)


def _join(parts: list[np.ndarray], sep: str) -> pd.Series:
    """Join equally long string arrays with ``sep``, skipping empty pieces."""
    joined = pd.Series(parts[0], dtype="str")
    for part in parts[1:]:
        joined = joined + sep + pd.Series(part, dtype="str")
    pattern = re.escape(sep) + "{2,}"
    return joined.str.replace(pattern, sep, regex=True).str.strip(sep)


def _int_strings(values: np.ndarray, width: int = 0) -> pd.Series:
    text = pd.Series(values, dtype="int64").astype("str")
    return text.str.zfill(width) if width else text


# --------------------------------------------------------------------------- practice tables


@dataclass(frozen=True)
class _Rates:
    """Per code id: 2025 Medicare amounts at the demo locality and the practice's charges."""

    medicare_nf_2025: np.ndarray  # cents, -1 when the code is not on the PFS
    medicare_f_2025: np.ndarray
    charge_2025: np.ndarray  # unit charge in cents, whole dollars
    charge_2026: np.ndarray
    medicare_fees: pd.DataFrame  # the reference rows at DEMO_LOCALITY (typed)


@functools.lru_cache(maxsize=4)
def _rates(reference: Path = REFERENCE_MEDICARE_FEES) -> _Rates:
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
    return _Rates(nf, fac, charge, charge_2026, fees.reset_index(drop=True))


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


def fee_schedules_frame(rates: _Rates) -> pd.DataFrame:
    """fee_schedules.csv rows for the fixed-fee-schedule contracts (all strings).

    Each (payer, product line, code, modifier) gets contiguous half-open periods with no
    overlap; a code whose rate does not change at a period start keeps its earlier row. The
    rate is the 2025 Medicare non-facility amount x a per-code factor (fixed per payer and
    code, not per seed) x the cumulative step of each period, rounded half up to the cent.
    """
    em_codes = set(_CODE[np.concatenate([_EM_NEW, _EM_EST])])
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


# --------------------------------------------------------------------------- patients


@dataclass(frozen=True)
class _Population:
    patient_ids: np.ndarray  # 'P' + 7 digits
    contract: np.ndarray  # index into CONTRACTS (primary coverage)
    secondary: np.ndarray  # index into CONTRACTS, -1 = none
    cdf: np.ndarray  # cumulative visit propensity, for sampling who comes in


def _population(rng: np.random.Generator, n_patients: int) -> _Population:
    shares = np.array([c.patient_share for c in CONTRACTS])
    contract = _choice(rng, len(CONTRACTS), shares, n_patients)
    secondary = np.full(n_patients, -1, dtype=np.int64)
    draw = rng.random(n_patients)
    medicare = contract == _MCR
    secondary[medicare & (draw < 0.35)] = _MGAP  # Medigap supplement
    secondary[medicare & (draw >= 0.35) & (draw < 0.42)] = _TXMCD  # dual eligible
    # Unique, unordered-looking account numbers without drawing from a huge pool.
    spacing = max(1, 9_000_000 // max(n_patients, 1))
    numbers = 10_000 + np.arange(n_patients) * spacing + rng.integers(0, spacing, n_patients)
    ids = ("P" + _int_strings(numbers, 7)).to_numpy(dtype=object)
    # Some patients come often (chronic care), most a few times a year.
    propensity = rng.gamma(1.3, 1.0, n_patients)
    cdf = np.cumsum(propensity)
    return _Population(ids, contract, secondary, cdf / cdf[-1])


# --------------------------------------------------------------------------- claims


def _claims(
    rng: np.random.Generator,
    pop: _Population,
    months: list[np.datetime64],
    counts: np.ndarray,
    seq_start: np.ndarray,
) -> dict[str, np.ndarray]:
    """Claim headers for ``counts[i]`` claims in ``months[i]``, sorted by date of service.

    Claim ids are 'C' + YYMM + a 6-digit sequence starting at ``seq_start[i]`` per month.
    """
    first = max(np.datetime64(DEMO_PERIOD_START), np.datetime64(months[0], "D"))
    last = min(np.datetime64(DEMO_PERIOD_END), np.datetime64(months[-1] + 1, "D") - 1)
    open_days = _business_days(first, last)
    bdays = [open_days[open_days.astype("datetime64[M]") == m] for m in months]
    sizes = np.array([len(b) for b in bdays])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    all_days = np.concatenate(bdays)
    month = np.repeat(np.arange(len(months)), counts)
    n = len(month)
    day = all_days[offsets[month] + (rng.random(n) * sizes[month]).astype(np.int64)]
    patient = np.searchsorted(pop.cdf, rng.random(n), side="right").clip(0, len(pop.cdf) - 1)
    order = np.lexsort((rng.random(n), day))
    month, day, patient = month[order], day[order], patient[order]
    first_of_month = np.concatenate([[0], np.cumsum(counts)[:-1]])
    seq = np.arange(n) - first_of_month[month] + seq_start[month]
    width = max(6, len(str(int(seq.max())))) if n else 6
    yymm = np.array([np.datetime_as_string(m, unit="M").replace("-", "")[2:] for m in months])
    claim_id = ("C" + pd.Series(yymm[month], dtype="str") + _int_strings(seq, width)).to_numpy(
        dtype=object
    )
    contract = pop.contract[patient]
    group = np.where(contract == _PVWC, 1, 0)
    mixes = np.stack([_CATEGORY_MIX["general"], _CATEGORY_MIX["workers_comp"]])
    cum = np.cumsum(mixes / mixes.sum(axis=1, keepdims=True), axis=1)[group]
    category = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, 5)
    return {
        "claim_id": claim_id,
        "dos": day,
        "patient": patient,
        "contract": contract,
        "secondary": pop.secondary[patient],
        "category": category,
    }


# Non-pricing modifiers, stored as small codes so the modifiers column is one table lookup.
_MODS = ("", "25", "59")
_SIDES = ("", "RT", "LT", "F7", "F2")
_MODIFIER_TEXT = np.array(
    [":".join(m for m in (p, a, b) if m) for p in ("", "26", "TC") for a in _MODS for b in _SIDES],
    dtype=object,
)


def _codes_of(values, vocabulary: tuple[str, ...], n: int) -> np.ndarray:
    values = np.broadcast_to(np.asarray(values, dtype=object), n)
    return np.select([values == v for v in vocabulary[1:]], range(1, len(vocabulary)), 0)


class _Lines:
    """Accumulates candidate lines (claim index, order on the claim, code id, modifiers)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, claims, order, cid, mod="", side="", units=1, mask=None) -> None:
        claims = np.asarray(claims)
        n = len(claims)
        arrays = [
            claims,
            np.broadcast_to(np.asarray(order), n),
            np.broadcast_to(np.asarray(cid), n),
            _codes_of(mod, _MODS, n),
            _codes_of(side, _SIDES, n),
            np.broadcast_to(np.asarray(units), n),
        ]
        if mask is not None:
            arrays = [a[mask] for a in arrays]
        self.parts.append(tuple(np.asarray(a) for a in arrays))

    def frame(self, max_lines: int = 4) -> dict[str, np.ndarray]:
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(6)]
        claim, order, cid, mod, side, units = cols
        sort = np.lexsort((order, claim))
        claim, cid, mod, side, units = (a[sort] for a in (claim, cid, mod, side, units))
        starts = np.flatnonzero(np.r_[True, claim[1:] != claim[:-1]])
        line = np.arange(len(claim)) - np.repeat(starts, np.diff(np.r_[starts, len(claim)])) + 1
        keep = line <= max_lines
        return {
            "claim": claim[keep],
            "line_number": line[keep],
            "cid": cid[keep].astype(np.int64),
            "mod": mod[keep],
            "side": side[keep],
            "units": units[keep].astype(np.int64),
        }


def _em_codes(rng: np.random.Generator, is_new: np.ndarray, ortho: bool) -> np.ndarray:
    n = len(is_new)
    if ortho:
        new = _EM_NEW[_choice(rng, 4, [0.05, 0.35, 0.50, 0.10], n)]
        est = _EM_EST[_choice(rng, 5, [0.0, 0.05, 0.45, 0.45, 0.05], n)]
    else:
        new = _EM_NEW[_choice(rng, 4, [0.10, 0.40, 0.38, 0.12], n)]
        est = _EM_EST[_choice(rng, 5, [0.04, 0.10, 0.42, 0.38, 0.06], n)]
    return np.where(is_new, new, est)


def _sides(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.where(rng.random(n) < 0.5, "RT", "LT").astype(object)


def _generate_lines(
    rng: np.random.Generator, c: dict[str, np.ndarray], is_new: np.ndarray
) -> dict[str, np.ndarray]:
    """Lines for every claim, filling claim-level pos, npi, diagnoses and encounter facts."""
    n = len(c["claim_id"])
    blank = np.full(n, "", dtype=object)
    c.update(
        pos=np.full(n, "11", dtype=object), npi=np.zeros(n, np.int64),
        dx1=blank.copy(), dx2=blank.copy(), dx3=blank.copy(),
        em_cid=np.full(n, -1, np.int64), has25=np.zeros(n, bool), side=blank.copy(),
        episode=blank.copy(), chronic=np.zeros(n, np.int64),
    )  # fmt: skip
    lines = _Lines()
    _primary_care(rng, c, lines, np.flatnonzero(c["category"] == _EM), is_new)
    _ortho_office(rng, c, lines, np.flatnonzero(c["category"] == _ORTHO), is_new)
    _hospital_reads(rng, c, lines, np.flatnonzero(c["category"] == _READ))
    _technical_only(rng, c, lines, np.flatnonzero(c["category"] == _TC))
    _surgery(rng, c, lines, np.flatnonzero(c["category"] == _SURG))
    _procedure_only(rng, c, lines, np.flatnonzero(c["category"] == _PROC))
    return lines.frame()


def _primary_care(rng, c, lines: _Lines, idx: np.ndarray, is_new: np.ndarray) -> None:
    n = len(idx)
    em = _em_codes(rng, is_new[idx], ortho=False)
    extras = (  # code, probability, needs modifier 25 on the E/M, diagnosis it brings
        ("93000", 0.12, False, "R00.2"),
        ("90471", 0.14, False, "Z23"),
        ("96372", 0.04, True, "E53.8"),
        ("99406", 0.04, False, "F17.210"),
        ("94010", 0.03, False, "J44.9"),
        ("69210", 0.04, True, "H61.23"),
        ("17110", 0.03, True, "B07.9"),
        ("12001", 0.015, True, "S61.411A"),
    )
    needs25 = np.zeros(n, bool)
    any_extra = np.zeros(n, bool)
    reason = _DX_ACUTE[rng.integers(0, len(_DX_ACUTE), n)]
    tail = np.full(n, "", dtype=object)
    for order, (code, p, with25, dx) in enumerate(extras, start=1):
        present = rng.random(n) < p
        units = np.where((code == "96372") & (rng.random(n) < 0.1), 2, 1)
        lines.add(idx, order, _CID[(code, "")], units=units, mask=present)
        needs25 |= present & with25
        any_extra |= present
        if with25:  # the procedure's diagnosis leads the claim
            reason = np.where(present, dx, reason)
        else:
            tail = np.where(present & (tail == ""), dx, tail)
    has25 = needs25 & (rng.random(n) < 0.92)  # a few 25s forgotten: bundling denials
    # Visit-complexity add-on for longitudinal care, billed to Medicare and MA plans; not with
    # a modifier-25 visit, which Medicare does not pay it with.
    medicare_like = np.isin(c["contract"][idx], [_MCR, _MKSA])
    complexity = medicare_like & ~is_new[idx] & ~has25 & (rng.random(n) < 0.5)
    lines.add(idx, 9, _CID[("G2211", "")], mask=complexity)
    lines.add(idx, 0, em, mod=np.where(has25, "25", "").astype(object))
    chronic = (rng.random(n) < 0.55).astype(np.int64) + (rng.random(n) < 0.2)
    chronic_dx = _DX_CHRONIC[rng.integers(0, len(_DX_CHRONIC), n)]
    chronic_dx2 = _DX_CHRONIC[rng.integers(0, len(_DX_CHRONIC), n)]
    second = np.where(chronic >= 1, chronic_dx, "")
    third = np.where((chronic >= 2) & (chronic_dx2 != chronic_dx), chronic_dx2, tail)
    c["dx1"][idx], c["dx2"][idx], c["dx3"][idx] = reason, second, third
    telehealth = ~is_new[idx] & ~any_extra & (rng.random(n) < 0.05)
    c["pos"][idx] = np.where(telehealth, "10", "11")
    c["npi"][idx] = rng.integers(0, len(PCP_NPIS), n)
    c["em_cid"][idx], c["has25"][idx] = em, has25
    c["chronic"][idx] = np.where(third != "", 2, chronic.clip(0, 1))


def _ortho_office(rng, c, lines: _Lines, idx: np.ndarray, is_new: np.ndarray) -> None:
    site_of = _choice(rng, len(_SITES), [s[1] for s in _SITES], len(idx))
    for s, (name, _, conditions, injections, film) in enumerate(_SITES):
        sub = idx[site_of == s]
        n = len(sub)
        if not n:
            continue
        lateral = name != "spine"
        side = _sides(rng, n) if lateral else np.full(n, "", dtype=object)
        cond = _choice(rng, len(conditions), [x[3] for x in conditions], n)
        # Workers' comp pays for the work injury only: its claims carry the injury diagnosis.
        injury_index = next(i for i, x in enumerate(conditions) if x[2])
        cond = np.where(c["contract"][sub] == _PVWC, injury_index, cond)
        right = np.array([x[0] for x in conditions], dtype=object)[cond]
        left = np.array([x[1] for x in conditions], dtype=object)[cond]
        dx = np.where(side == "LT", left, right)
        injury = np.array([x[2] for x in conditions])[cond]
        new = is_new[sub]
        inject = rng.random(n) < 0.45
        xray = rng.random(n) < np.where(new, 0.6, 0.35)
        with_em = new | (rng.random(n) < 0.85) | ~(inject | xray)  # never an empty claim
        inj_cid = np.array([_CID[(code, "")] for code, _ in injections])[
            _choice(rng, len(injections), [w for _, w in injections], n)
        ]
        lines.add(sub, 1, inj_cid, side=side, mask=inject)
        if name == "knee":  # both knees injected: RT and LT lines (bilateral indicator 1)
            both = inject & (rng.random(n) < 0.12)
            other = np.where(side == "RT", "LT", "RT").astype(object)
            lines.add(sub, 2, inj_cid, side=other, mask=both)
        if lateral:  # trigger points the same day: a second indicator-2 procedure, with 59
            trigger = inject & (rng.random(n) < 0.08)
            lines.add(sub, 3, _CID[("20552", "")], mod="59", mask=trigger)
        steroid = inject & np.isin(_CODE[inj_cid], ["20610", "20611", "20605", "20600", "20550"])
        steroid &= rng.random(n) < 0.6
        units = _choice(rng, np.array([1, 2, 3, 4]), [0.1, 0.2, 0.2, 0.5], n)
        lines.add(sub, 4, _J3301, units=units, mask=steroid)
        film_cid = np.full(n, _CID[(film, "")])
        if name == "knee":
            film_cid = np.where(rng.random(n) < 0.2, _CID[("73564", "")], film_cid)
        lines.add(sub, 5, film_cid, side=side, mask=xray)
        if name == "knee":
            mri = rng.random(n) < 0.03
            lines.add(sub, 6, _CID[("73721", "")], side=side, mask=mri)
        has25 = with_em & inject & (rng.random(n) < 0.93)
        em = _em_codes(rng, new, ortho=True)
        lines.add(sub, 0, em, mod=np.where(has25, "25", "").astype(object), mask=with_em)
        # Injuries: initial encounter (A) at first, subsequent (D) on many follow-ups.
        later = injury & ~new & (rng.random(n) < 0.4)
        dx = np.where(later, pd.Series(dx, dtype="str").str[:-1].to_numpy(object) + "D", dx)
        chronic = rng.random(n) < 0.25
        c["dx1"][sub] = dx
        c["dx2"][sub] = np.where(chronic, _DX_CHRONIC[rng.integers(0, 4, n)], "")
        c["npi"][sub] = len(PCP_NPIS) + rng.integers(0, len(ORTHO_NPIS), n)
        c["em_cid"][sub] = np.where(with_em, em, -1)
        c["has25"][sub] = has25
        c["side"][sub] = np.where(side == "RT", "right", np.where(side == "LT", "left", ""))
        c["episode"][sub] = np.where(injury, np.where(later, "subsequent", "initial"), "")
        c["chronic"][sub] = chronic


def _hospital_reads(rng, c, lines: _Lines, idx: np.ndarray) -> None:
    n = len(idx)
    ecg = rng.random(n) < 0.25  # ECG interpretations for the hospital, by the PCPs
    pick = _choice(rng, len(_READS), [r[1] for r in _READS], n)
    codes = np.array([r[0] for r in _READS], dtype=object)[pick]
    side = _sides(rng, n)
    side = np.where(np.isin(codes, list(_LATERAL_IMAGING)), side, "").astype(object)
    cid = np.array([_CID[(code, "26")] for code in codes])
    lines.add(idx, 0, cid, side=side, mask=~ecg)
    lines.add(idx, 0, _CID[("93010", "")], mask=ecg)
    knee_mri = ~ecg & (codes == "73562") & (rng.random(n) < 0.3)
    lines.add(idx, 1, _CID[("73721", "26")], side=side, mask=knee_mri)
    right = np.array([r[2][0] for r in _READS], dtype=object)[pick]
    left = np.array([r[2][1] for r in _READS], dtype=object)[pick]
    ecg_dx = np.array(["R07.9", "I48.91", "R55"], dtype=object)[rng.integers(0, 3, n)]
    c["dx1"][idx] = np.where(ecg, ecg_dx, np.where(side == "LT", left, right))
    c["pos"][idx] = _choice(rng, np.array(["22", "21", "23", "19"]), [0.5, 0.25, 0.2, 0.05], n)
    c["npi"][idx] = np.where(
        ecg, rng.integers(0, len(PCP_NPIS), n), len(PCP_NPIS) + rng.integers(0, 2, n)
    )


def _technical_only(rng, c, lines: _Lines, idx: np.ndarray) -> None:
    n = len(idx)
    codes = _choice(rng, np.array(["73721", "73562", "72100"]), [0.5, 0.3, 0.2], n)
    side = np.where(codes == "72100", "", _sides(rng, n)).astype(object)
    cid = np.array([_CID[(code, "TC")] for code in codes])
    lines.add(idx, 0, cid, side=side)
    dx_by_code = {"73721": ("M23.91", "M23.92"), "73562": ("M17.11", "M17.12"),
                  "72100": ("M54.50", "M54.50")}  # fmt: skip
    right = np.array([dx_by_code[x][0] for x in codes], dtype=object)
    left = np.array([dx_by_code[x][1] for x in codes], dtype=object)
    c["dx1"][idx] = np.where(side == "LT", left, right)
    c["npi"][idx] = len(PCP_NPIS) + rng.integers(0, len(ORTHO_NPIS), n)


def _surgery(rng, c, lines: _Lines, idx: np.ndarray) -> None:
    n = len(idx)
    pick = _choice(rng, len(_SURGERIES), [s[1] for s in _SURGERIES], n)
    codes = np.array([s[0] for s in _SURGERIES], dtype=object)[pick]
    side = _sides(rng, n)
    cid = np.array([_CID[(code, "")] for code in codes])
    finger = codes == "26055"  # fingers take F-modifiers instead of RT/LT
    finger_mod = np.where(side == "RT", "F7", "F2").astype(object)
    lines.add(idx, 0, cid, side=np.where(finger, finger_mod, side).astype(object))
    # Carpal tunnel release with a trigger finger release: two indicator-2 procedures.
    combo = (codes == "64721") & (rng.random(n) < 0.3)
    lines.add(idx, 1, _CID[("26055", "")], mod="59", side=finger_mod, mask=combo)
    # Closed fracture care with the surgeon's own read of the films in the ED.
    films = (codes == "25600") & (rng.random(n) < 0.4)
    lines.add(idx, 2, _CID[("73110", "26")], side=side, mask=films)
    right = np.array([s[2][0] for s in _SURGERIES], dtype=object)[pick]
    left = np.array([s[2][1] for s in _SURGERIES], dtype=object)[pick]
    dx = np.where(side == "LT", left, right)
    c["dx1"][idx] = dx
    c["dx2"][idx] = np.where(combo, np.where(side == "LT", "M65.332", "M65.331"), "")
    pos = np.full(n, "22", dtype=object)
    for s, (_, _, _, places, weights) in enumerate(_SURGERIES):
        sel = pick == s
        pos[sel] = _choice(rng, np.array(places), weights, int(sel.sum()))
    c["pos"][idx] = pos
    c["npi"][idx] = len(PCP_NPIS) + rng.integers(0, 2, n)  # the two surgeons, not the PA
    c["side"][idx] = np.where(side == "RT", "right", "left")


def _procedure_only(rng, c, lines: _Lines, idx: np.ndarray) -> None:
    n = len(idx)
    kinds = np.array(["20610", "20553", "20552", "96372", "90471"])
    kind = _choice(rng, kinds, [0.45, 0.14, 0.13, 0.15, 0.13], n)
    side = np.where(kind == "20610", _sides(rng, n), "").astype(object)
    cid = np.array([_CID[(code, "")] for code in kind])
    units = np.where((kind == "96372") & (rng.random(n) < 0.15), 2, 1)
    lines.add(idx, 0, cid, side=side, units=units)
    steroid = (kind == "20610") & (rng.random(n) < 0.6)
    j_units = _choice(rng, np.array([2, 3, 4]), [0.2, 0.3, 0.5], n)
    lines.add(idx, 1, _J3301, units=j_units, mask=steroid)
    knee = rng.random(n) < 0.7
    joint_dx = np.where(
        knee,
        np.where(side == "LT", "M17.12", "M17.11"),
        np.where(side == "LT", "M75.42", "M75.41"),
    )
    dx_by_kind = {"20553": "M79.18", "20552": "M79.18", "96372": "E53.8", "90471": "Z23"}
    other_dx = np.array([dx_by_kind.get(k, "") for k in kind], dtype=object)
    c["dx1"][idx] = np.where(kind == "20610", joint_dx, other_dx)
    pcp = np.isin(kind, ["96372", "90471"])
    c["npi"][idx] = np.where(
        pcp, rng.integers(0, len(PCP_NPIS), n), len(PCP_NPIS) + rng.integers(0, 3, n)
    )
    c["side"][idx] = np.where(side == "RT", "right", np.where(side == "LT", "left", ""))


def _charges_columns(
    rates: _Rates, c: dict[str, np.ndarray], ln: dict[str, np.ndarray], pop: _Population
) -> dict[str, np.ndarray]:
    """charges.csv columns (object arrays of str) for claim headers ``c`` and lines ``ln``.

    Built from lookups into small tables (codes, modifiers, amounts) and claim-level strings
    taken per line, so a million lines take about a second.
    """
    claim, cid, units = ln["claim"], ln["cid"], ln["units"]
    in_2026 = c["dos"][claim] >= np.datetime64("2026-01-01")
    amount = np.where(in_2026, rates.charge_2026[cid], rates.charge_2025[cid]) * units
    amounts, amount_index = np.unique(amount, return_inverse=True)
    small_ints = np.array([str(i) for i in range(max(int(units.max(initial=0)), 4) + 1)],
                          dtype=object)  # fmt: skip
    line_text = small_ints[ln["line_number"]]
    claim_text = c["claim_id"][claim]
    payer_ids = np.array([x.payer_id for x in CONTRACTS] + [""], dtype=object)
    product = np.array([x.product_line for x in CONTRACTS], dtype=object)
    modifier_key = (_PMOD_CODE[cid] * len(_MODS) + ln["mod"]) * len(_SIDES) + ln["side"]
    dx = _join([c["dx1"], c["dx2"], c["dx3"]], ";").to_numpy(dtype=object)
    return {
        "claim_id": claim_text,
        "line_number": line_text,
        "line_control_number": claim_text + "-" + line_text,
        "patient_id": pop.patient_ids[c["patient"]][claim],
        "date_of_service": _date_strings(c["dos"])[claim],
        "procedure_code": _CODE[cid],
        "modifiers": _MODIFIER_TEXT[modifier_key],
        "units": small_ints[units],
        "charge_amount": decimal_texts(amounts).to_numpy(dtype=object)[amount_index],
        "primary_payer_id": payer_ids[c["contract"]][claim],
        "product_line": product[c["contract"]][claim],
        "secondary_payer_id": payer_ids[c["secondary"]][claim],  # -1 -> the trailing ''
        "place_of_service": c["pos"][claim],
        "rendering_npi": _NPIS[c["npi"]][claim],
        "diagnosis_codes": dx[claim],
    }


def _write_rows(handle, columns: dict[str, np.ndarray], header: bool) -> None:
    """Write string columns as CSV rows. Values never hold ',', '"' or line breaks here
    (codes, ids, amounts), so no quoting is needed and C-level joins are fast."""
    if header:
        handle.write(",".join(columns) + "\n")
    if len(next(iter(columns.values()))):
        handle.write("\n".join(map(",".join, zip(*columns.values(), strict=True))) + "\n")


# --------------------------------------------------------------------------- postings


def _after(dos: np.ndarray, low: int, high: np.ndarray | int, rng) -> np.ndarray:
    """A business day ``low``..``high`` business days after each date of service."""
    days = rng.integers(low, np.asarray(high) + 1, len(dos))
    return np.busday_offset(dos, days, roll="forward", holidays=_HOLIDAYS)


def _transactions_frame(
    rng: np.random.Generator, rates: _Rates, c: dict[str, np.ndarray], ln: dict[str, np.ndarray]
) -> pd.DataFrame:
    """transactions.csv rows: what the PM system posted besides the 835s (all strings)."""
    n = len(c["claim_id"])
    claim, cid, units = ln["claim"], ln["cid"], ln["units"]
    dos_line = c["dos"][claim]
    unit = np.where(dos_line >= np.datetime64("2026-01-01"), rates.charge_2026[cid],
                    rates.charge_2025[cid])  # fmt: skip
    charge = unit * units
    facility = np.isin(c["pos"][claim], sorted(FACILITY_POS))
    medicare = np.where(facility, rates.medicare_f_2025[cid], rates.medicare_nf_2025[cid])
    medicare = np.where(medicare < 0, charge // 5, medicare * units)  # drugs: a fifth of charge
    permille = np.array([x.allowed_permille for x in CONTRACTS])[c["contract"][claim]]
    allowed_line = (medicare * permille + 500) // 1000
    starts = np.flatnonzero(np.r_[True, claim[1:] != claim[:-1]])
    first_claim = claim[starts]  # lines are sorted by claim and every claim has lines
    charge_total = np.zeros(n, np.int64)
    allowed = np.zeros(n, np.int64)
    charge_total[first_claim] = np.add.reduceat(charge, starts)
    allowed[first_claim] = np.minimum(np.add.reduceat(allowed_line, starts),
                                      charge_total[first_claim])  # fmt: skip

    contract, secondary, dos = c["contract"], c["secondary"], c["dos"]
    kind = np.array([x.patient_share_kind for x in CONTRACTS])[contract]
    copay = _choice(rng, np.array([2000, 2500, 3000, 4000]), [0.3, 0.3, 0.25, 0.15], n)
    patient_due = np.where(kind == "coinsurance", (allowed * 20 + 50) // 100, 0)
    patient_due = np.where(kind == "copay", np.minimum(copay, allowed), patient_due)
    patient_due = np.where(secondary >= 0, 0, patient_due)  # the supplement pays it
    payer_ids = np.array([x.payer_id for x in CONTRACTS], dtype=object)
    timely = np.array([int(x.timely_filing_days) for x in CONTRACTS])[contract]

    out: list[pd.DataFrame] = []

    def post(mask, kind_name, amount, posted, payer="", reason="", line=""):
        mask = np.asarray(mask, bool)
        if not mask.any():
            return
        take = np.flatnonzero(mask)
        out.append(
            pd.DataFrame(
                {
                    "claim": take,
                    "line_number": np.broadcast_to(np.asarray(line, dtype=object), n)[take],
                    "posted": np.asarray(posted)[take],
                    "type": kind_name,
                    "amount": np.asarray(amount)[take],
                    "payer_id": np.broadcast_to(np.asarray(payer, dtype=object), n)[take],
                    "reason": np.broadcast_to(np.asarray(reason, dtype=object), n)[take],
                }
            )
        )

    u = rng.random((8, n))
    pays = (patient_due > 0) & (u[0] < 0.75)
    bad_debt = (patient_due > 0) & ~pays & (u[1] < 0.3)
    partial = u[2] < 0.15
    paid = np.where(partial, patient_due // 2, patient_due)
    when = np.where(kind == "copay", _after(dos, 1, 3, rng), _after(dos, 25, 70, rng))
    post(pays, "patient_payment", paid, when)
    post(bad_debt, "bad_debt", patient_due, _after(dos, 120, 180, rng),
         reason="sent to collections")  # fmt: skip

    supplement = (secondary == _MGAP) & (u[3] < 0.92)
    coinsurance = (allowed * 20 + 50) // 100
    post(supplement, "secondary_payment", coinsurance, _after(dos, 20, 50, rng), payer="MGAP")
    dual = (secondary == _TXMCD) & (u[3] < 0.85)
    medicaid_pays = (coinsurance * 40 + 50) // 100  # Medicaid pays up to its own rate
    dual_date = _after(dos, 25, 60, rng)
    post(dual & (medicaid_pays > 0), "secondary_payment", medicaid_pays, dual_date,
         payer="TXMCD")  # fmt: skip
    post(dual & (coinsurance > medicaid_pays), "contractual", coinsurance - medicaid_pays,
         dual_date, payer="TXMCD", reason="CARC 45 Medicaid crossover")  # fmt: skip

    paper = (secondary < 0) & (u[4] < 0.02)  # paper EOBs keyed by hand
    post(paper & (charge_total > allowed), "contractual", charge_total - allowed,
         _after(dos, 15, 45, rng), payer=payer_ids[contract], reason="CARC 45",
         line=np.where(rng.random(n) < 0.3, "1", ""))  # fmt: skip

    late = u[5] < 0.012
    no_auth = late & (rng.random(n) < 0.4)
    # Found and written off after the payer's filing limit has passed.
    past_limit = dos + timely.astype("timedelta64[D]")
    late_date = np.busday_offset(
        past_limit, rng.integers(5, 46, n), roll="forward", holidays=_HOLIDAYS
    )
    post(late & ~no_auth, "noncash_compliance", charge_total, late_date,
         payer=payer_ids[contract], reason="CARC 29")  # fmt: skip
    post(no_auth, "noncash_compliance", charge_total, _after(dos, 25, 60, rng),
         payer=payer_ids[contract], reason="CARC 197")  # fmt: skip

    refund = u[6] < 0.008
    to_payer = rng.random(n) < 0.5
    refund_amount = np.where(to_payer, (allowed * 10 + 50) // 100,
                             np.maximum(paid, 1500))  # fmt: skip
    post(
        refund,
        "refund",
        -np.maximum(refund_amount, 100),
        _after(dos, 40, 120, rng),
        payer=np.where(to_payer, payer_ids[contract], ""),
        reason=np.where(to_payer, "overpayment refund to payer", "patient credit refund"),
    )

    courtesy = u[7] < 0.01
    courtesy_amount = np.where(patient_due > 0, patient_due,
                               rng.integers(15, 41, n) * 100)  # fmt: skip
    post(
        courtesy,
        "courtesy",
        courtesy_amount,
        _after(dos, 15, 45, rng),
        reason=np.where(rng.random(n) < 0.7, "prompt pay courtesy", "hardship courtesy"),
    )
    small = (rng.random(n) < 0.03) & ~courtesy
    post(
        small,
        "small_balance",
        rng.integers(1, 1000, n),
        _after(dos, 40, 100, rng),
        reason="balance under $10",
    )

    empty = pd.DataFrame(
        {"claim": np.array([], np.int64), "line_number": [], "type": [],
         "posted": np.array([], "datetime64[D]"),
         "amount": np.array([], np.int64), "payer_id": [], "reason": []}
    )  # fmt: skip
    rows = pd.concat([empty, *out], ignore_index=True) if out else empty
    rows = rows.loc[rows["posted"] < np.datetime64(DEMO_AS_OF)]
    rows = rows.sort_values(["posted", "claim", "type"], kind="stable")
    return pd.DataFrame(
        {
            "claim_id": c["claim_id"][rows["claim"].to_numpy()],
            "line_number": rows["line_number"].to_numpy(),
            "posted_date": _date_strings(rows["posted"].to_numpy()),
            "type": rows["type"].to_numpy(),
            "amount": decimal_texts(rows["amount"].to_numpy()).to_numpy(),
            "payer_id": rows["payer_id"].to_numpy(),
            "reason": rows["reason"].to_numpy(),
        },
        dtype="str",
    )


# --------------------------------------------------------------------------- encounters


_MDM = np.array(["straightforward", "low", "moderate", "high"], dtype=object)
# Total-time bands (minutes) per documented level: new and established patients.
_TIME_LOW = {True: np.array([15, 30, 45, 60]), False: np.array([10, 20, 30, 40])}
_TIME_HIGH = {True: np.array([29, 44, 59, 74]), False: np.array([19, 29, 39, 54])}


def _encounters_frame(rng: np.random.Generator, c: dict[str, np.ndarray]) -> pd.DataFrame:
    """encounters.csv: one row per claim with an office E/M (all strings).

    Documentation mostly supports the billed level; about 12 % supports one level higher
    (under-coded) and 7 % one lower (over-coded), so the coding review has work to do.
    """
    idx = np.flatnonzero(c["em_cid"] >= 0)
    n = len(idx)
    em = c["em_cid"][idx]
    new = np.isin(em, _EM_NEW)
    level = np.where(new, np.searchsorted(_EM_NEW, em), np.searchsorted(_EM_EST, em) - 1)
    shift = _choice(rng, np.array([-1, 0, 1]), [0.07, 0.81, 0.12], n)
    documented = (level + shift).clip(0, 3)
    low = np.where(new, _TIME_LOW[True][documented], _TIME_LOW[False][documented])
    high = np.where(new, _TIME_HIGH[True][documented], _TIME_HIGH[False][documented])
    minutes = rng.integers(low, high + 1)
    minutes = np.where(level < 0, rng.integers(5, 10, n), minutes)  # 99211: nurse visit
    timed = rng.random(n) < 0.8
    mdm = np.where(level < 0, "", _MDM[documented])
    separate = np.where(rng.random(n) < 0.9, "true", "false")
    findings = _join(
        [
            np.where(c["side"][idx] != "", "laterality=" + c["side"][idx].astype(str), ""),
            np.where(c["episode"][idx] != "", "episode=" + c["episode"][idx].astype(str), ""),
            np.where(c["has25"][idx], "separate_procedure_documented=" + separate, ""),
            np.where(c["chronic"][idx] > 0,
                     "chronic_conditions=" + c["chronic"][idx].astype(str), ""),
        ],
        ";",
    )  # fmt: skip
    return pd.DataFrame(
        {
            "claim_id": c["claim_id"][idx],
            "encounter_type": np.where(new, "new", "established"),
            "total_time_minutes": np.where(timed, minutes.astype(str), ""),
            "mdm_level": mdm,
            "documented_findings": findings.to_numpy(),
            "note_text": "",
        },
        dtype="str",
    )


# --------------------------------------------------------------------------- appointments


def _appointments_frame(rng: np.random.Generator, pop: _Population, n: int) -> pd.DataFrame:
    """appointments.csv: visits booked in the 60 days after DEMO_AS_OF (all strings)."""
    as_of = np.datetime64(DEMO_AS_OF)
    days = _business_days(as_of + 1, as_of + 60)
    weight = 1.5 - (days - as_of).astype(int) / 60  # the near weeks are fuller
    day = days[_choice(rng, len(days), weight, n)]
    new = rng.random(n) < 0.15
    patient = np.searchsorted(pop.cdf, rng.random(n), side="right").clip(0, len(pop.cdf) - 1)
    ids = pop.patient_ids[patient].copy()
    contract = pop.contract[patient].copy()
    fresh = np.flatnonzero(new)
    ids[fresh] = ("P" + _int_strings(9_200_000 + np.arange(len(fresh)), 7)).to_numpy(object)
    shares = np.array([x.patient_share for x in CONTRACTS])
    contract[fresh] = _choice(rng, len(CONTRACTS), shares, len(fresh))
    visit = np.where(
        new, "new", _choice(rng, np.array(["established", "procedure", "imaging"]),
                            [0.68, 0.2, 0.12], n)
    ).astype(object)  # fmt: skip
    plans = {
        "new": (["99203", "99204", ""], [0.45, 0.4, 0.15]),
        "established": (["99213", "99214", ""], [0.45, 0.35, 0.2]),
        "procedure": (["20610", "20610;J3301", "20553", "64721", "29881"],
                      [0.35, 0.35, 0.1, 0.1, 0.1]),
        "imaging": (["73562", "73721", "72100", "73030"], [0.4, 0.2, 0.2, 0.2]),
    }  # fmt: skip
    planned = np.full(n, "", dtype=object)
    for name, (options, weights) in plans.items():
        sel = visit == name
        planned[sel] = _choice(rng, np.array(options, dtype=object), weights, int(sel.sum()))
    order = np.lexsort((ids, day))
    payer_ids = np.array([x.payer_id for x in CONTRACTS], dtype=object)
    product = np.array([x.product_line for x in CONTRACTS], dtype=object)
    return pd.DataFrame(
        {
            "appointment_id": ("A" + _int_strings(np.arange(1, n + 1) + 26_110_000, 8)),
            "date": _date_strings(day[order]),
            "patient_id": ids[order],
            "payer_id": payer_ids[contract[order]],
            "product_line": product[contract[order]],
            "visit_type": visit[order],
            "planned_procedure_codes": planned[order],
        },
        dtype="str",
    )


# --------------------------------------------------------------------------- public API


def _monthly_counts(
    rng: np.random.Generator, months: list[np.datetime64], claims_per_month: int
) -> np.ndarray:
    month_of_year = np.array([int(str(m)[5:7]) - 1 for m in months])
    expected = claims_per_month * _SEASON[month_of_year] / _SEASON.mean()
    return np.maximum(rng.poisson(expected), 1)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def generate(
    out_dir: Path, claims_per_month: int = 2000, seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Write the demo practice's seven interface CSVs into ``out_dir``; returns {kind: path}.

    Kinds: contracts, fee-schedules, medicare-fees, charges, transactions, encounters,
    appointments. Dates of service run DEMO_PERIOD_START..DEMO_PERIOD_END with about
    ``claims_per_month`` claims a month (1-4 lines, ~1.6 on average); postings stop before
    DEMO_AS_OF and appointments fill the 60 days after it. The same seed writes
    byte-identical files, whatever today's date.
    """
    if claims_per_month < 1:
        raise ValueError("claims_per_month must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rates = _rates()
    months = _months(DEMO_PERIOD_START, DEMO_PERIOD_END)
    counts = _monthly_counts(rng, months, claims_per_month)
    pop = _population(rng, max(50, int(counts.sum() / 3.5)))
    c = _claims(rng, pop, months, counts, np.ones(len(months), np.int64))
    n = len(c["claim_id"])
    first_visit = np.zeros(n, bool)
    first_visit[np.unique(c["patient"], return_index=True)[1]] = True
    is_new = first_visit & (rng.random(n) < 0.5)  # the rest were seen before the period
    ln = _generate_lines(rng, c, is_new)
    frames = {
        "contracts": contracts_frame(),
        "fee-schedules": fee_schedules_frame(rates),
        "transactions": _transactions_frame(rng, rates, c, ln),
        "encounters": _encounters_frame(rng, c),
        "appointments": _appointments_frame(rng, pop, max(5, round(claims_per_month * 1.2))),
    }
    paths = {kind: _write(frame, out_dir / FILE_NAMES[kind]) for kind, frame in frames.items()}
    paths["charges"] = out_dir / FILE_NAMES["charges"]
    with paths["charges"].open("w", encoding="utf-8", newline="") as handle:
        _write_rows(handle, _charges_columns(rates, c, ln, pop), header=True)
    paths["medicare-fees"] = write_medicare_fees_csv(
        rates.medicare_fees, out_dir / FILE_NAMES["medicare-fees"]
    )
    logger.info(
        "demo practice: %d claims, %d lines, %d postings in %s",
        n, len(ln["claim"]), len(frames["transactions"]), out_dir,
    )  # fmt: skip
    return {kind: paths[kind] for kind in FILE_NAMES}


def big_charges_csv(path: Path, n_lines: int, seed: int = 1) -> Path:
    """Write a charges.csv of exactly ``n_lines`` lines of the demo practice, for benchmarks.

    Same payers, codes, chargemaster and rules as ``generate`` (so it imports against the
    demo's contracts.csv); written month by month to keep memory flat. The last claim may
    be cut short to hit the exact line count.
    """
    if n_lines < 0:
        raise ValueError("n_lines must not be negative")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rates = _rates()
    months = _months(DEMO_PERIOD_START, DEMO_PERIOD_END)
    # ~1.6 lines a claim; a short first pass is topped up by a second one (new claim ids).
    per_month = max(1, -(-n_lines * 100 // (162 * len(months))))
    pop = _population(rng, max(100, per_month * len(months) // 3))
    next_seq = np.ones(len(months), np.int64)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(CHARGES_COLUMNS) + "\n")
        while written < n_lines:  # a second round only when the first fell short
            for i, month in enumerate(months):
                counts = _monthly_counts(rng, [month], per_month)
                c = _claims(rng, pop, [month], counts, next_seq[i : i + 1])
                next_seq[i] += counts[0]
                is_new = rng.random(len(c["claim_id"])) < 0.12
                columns = _charges_columns(rates, c, _generate_lines(rng, c, is_new), pop)
                take = min(len(columns["claim_id"]), n_lines - written)
                _write_rows(handle, {k: v[:take] for k, v in columns.items()}, header=False)
                written += take
                if written >= n_lines:
                    break
    logger.info("wrote %d charge lines to %s", written, path)
    return path
