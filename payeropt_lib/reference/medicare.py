"""Medicare Physician Fee Schedule (PFS) amounts computed from CMS's own RVU files.

Reads the national relative value file (PPRRVU, CSV or fixed-width TXT) and the GPCI file
(CSV or TXT) of a CMS ``RVUyyX`` release and prices every payable code for one locality:

    fee = [(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x CF

Everything is exact integer arithmetic: RVUs x100, GPCIs x1000 and conversion factors x10000
are whole numbers in CMS's files, so the product is an exact integer in units of 1e-9 dollars
and is rounded half up to the cent once, at the end. Money leaves this module as int64 cents.

Run ``python -m payeropt_lib.reference.medicare --help`` to build a ``medicare_fees.csv``
(interface section 1) for a locality and a list of codes.

Not modelled here: the OPPS cap on imaging technical components (Deficit Reduction Act
s.5102(b); none of the demo practice's codes is affected in 2025), the 50 % therapy PE
reduction (MULT PROC 5), the 2026 QP/non-QP split of the RVU file, and which PW GPCI column
(with or without the 1.0 floor) a date of service needs; the "with 1.0 floor" column is used.
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from payeropt_lib.formats import day_texts, decimal_texts
from payeropt_lib.money import parse_cents, parse_scaled

from .modifiers import PRICING_MODIFIERS

logger = logging.getLogger(__name__)

# Status codes whose RVUs CMS uses for payment (RVU25D README, Attachment A).
PAYABLE_STATUS_CODES: tuple[str, ...] = ("A", "R", "T")

# The only modifiers a fee schedule or medicare_fees.csv row may carry (interface section 1).

MEDICARE_FEES_COLUMNS: tuple[str, ...] = (
    "locality",
    "procedure_code",
    "modifier",
    "effective_from",
    "effective_to",
    "non_facility_amount",
    "facility_amount",
    "mult_proc",
)
# CMS's payment-policy indicators a medicare_fees.csv may carry besides mult_proc (interface
# section 1, extended): BILAT SURG, ASST SURG, CO SURG and ENDO BASE of the PPRRVU file.
# GLOB DAYS too (issue 14): a minor procedure (000/010) is what modifier 25 is about.
INDICATOR_COLUMNS: tuple[str, ...] = (
    "bilat_surg", "asst_surg", "co_surg", "endo_base", "glob_days",
)  # fmt: skip

PPRRVU_COLUMNS: tuple[str, ...] = (
    "procedure_code",
    "modifier",
    "status_code",
    "work_rvu_x100",
    "nonfac_pe_rvu_x100",
    "fac_pe_rvu_x100",
    "mp_rvu_x100",
    "nonfac_na",
    "pctc_ind",
    "glob_days",
    "mult_proc",
    "bilat_surg",
    "asst_surg",
    "co_surg",
    "endo_base",
    "conv_factor_x10000",
)

GPCI_COLUMNS: tuple[str, ...] = (
    "locality",
    "state",
    "locality_name",
    "pw_gpci_x1000",
    "pe_gpci_x1000",
    "mp_gpci_x1000",
)


# --------------------------------------------------------------------------- conversion factor


@dataclass(frozen=True)
class ConversionFactorPeriod:
    """One PFS conversion factor, valid for dates of service in [effective_from, effective_to)."""

    effective_from: date
    effective_to: date
    conv_factor_x10000: int
    note: str = ""


# domain.md section 1.2. 2024 is split because the CAA 2024 raise was not retroactive; from
# 2026 the CF depends on the clinician's QP status, and the non-QP value is the default here.
CONVERSION_FACTORS: tuple[ConversionFactorPeriod, ...] = (
    ConversionFactorPeriod(date(2023, 1, 1), date(2024, 1, 1), 338872, "CY2023"),
    ConversionFactorPeriod(date(2024, 1, 1), date(2024, 3, 9), 327442, "CY2024 before CAA 2024"),
    ConversionFactorPeriod(date(2024, 3, 9), date(2025, 1, 1), 332875, "CY2024 from CAA 2024"),
    ConversionFactorPeriod(date(2025, 1, 1), date(2026, 1, 1), 323465, "CY2025"),
    ConversionFactorPeriod(date(2026, 1, 1), date(2027, 1, 1), 334009, "CY2026 non-QP"),
)
CONV_FACTOR_2026_QP_X10000 = 335675  # CY2026 for qualifying APM participants


def conversion_factor_x10000(date_of_service: date) -> int:
    """The non-QP PFS conversion factor x10000 in force on a date of service."""
    for period in CONVERSION_FACTORS:
        if period.effective_from <= date_of_service < period.effective_to:
            return period.conv_factor_x10000
    raise ValueError(f"no Medicare conversion factor known for date of service {date_of_service}")


# --------------------------------------------------------------------------- PPRRVU


# Output column -> (its slice of the fixed-width TXT record (RVU25D README "DATA RECORD";
# 1-based inclusive positions -> slices), the header names a CSV may give it once the split
# header rows are joined and normalised).
_PPRRVU_FIELDS: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {
    "procedure_code": ((0, 5), ("HCPCS", "HCPCS CODE")),
    "modifier": ((5, 7), ("MOD", "MODIFIER")),
    "status_code": ((57, 58), ("STATUS CODE", "STATUS")),
    "work_rvu": ((59, 65), ("WORK RVU", "WORK RVUS")),
    "nonfac_pe_rvu": ((66, 72), ("NON-FAC PE RVU", "NON-FACILITY PE RVU", "NON-FAC PE RVUS")),
    "nonfac_na": ((72, 74), ("NON-FAC NA INDICATOR", "NON-FACILITY NA INDICATOR")),
    "fac_pe_rvu": ((75, 81), ("FACILITY PE RVU", "FACILITY PE RVUS")),
    "mp_rvu": ((84, 89), ("MP RVU", "MP RVUS", "MALPRACTICE RVU")),
    "pctc_ind": ((102, 103), ("PCTC IND", "PCTC INDICATOR", "PC/TC IND", "PC/TC INDICATOR")),
    "glob_days": ((103, 106), ("GLOB DAYS", "GLOBAL DAYS", "GLOBAL SURGERY")),
    "mult_proc": ((115, 116), ("MULT PROC", "MULTIPLE PROCEDURE")),
    "bilat_surg": ((116, 117), ("BILAT SURG", "BILATERAL SURGERY")),
    "asst_surg": ((117, 118), ("ASST SURG", "ASSISTANT SURGERY", "ASSISTANT AT SURGERY")),
    "co_surg": ((118, 119), ("CO- SURG", "CO-SURG", "CO SURG", "CO SURGEONS")),
    "endo_base": ((127, 132), ("ENDO BASE", "ENDOSCOPIC BASE CODE")),
    "conv_factor": ((132, 140), ("CONV FACTOR", "CONVERSION FACTOR")),
}
_PPRRVU_HEADER_NAMES = {key: names for key, (_, names) in _PPRRVU_FIELDS.items()}
_PPRRVU_TXT_FIELDS = {key: span for key, (span, _) in _PPRRVU_FIELDS.items()}
_PPRRVU_TXT_MIN_LENGTH = 140


def _normalise_header(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().upper()


def _is_fixed_width(path: Path) -> bool:
    """TXT releases start with 'HDR' lines; anything with a .csv suffix is treated as CSV."""
    if path.suffix.lower() == ".csv":
        return False
    with path.open("r", encoding="latin-1", newline="") as handle:
        first_line = handle.readline()
    return first_line.startswith("HDR") or "," not in first_line


def _read_raw_csv(path: Path) -> list[list[str]]:
    # CMS files are Windows-1252 at best; latin-1 never fails and we only need ASCII fields.
    with path.open("r", encoding="latin-1", newline="") as handle:
        return list(csv.reader(handle))


def _find_header(rows: list[list[str]], first_cell: str) -> tuple[int, list[str]]:
    """Locate the row whose first cell is ``first_cell`` and join the header rows above it.

    CMS splits column titles over several rows (``NON-FAC`` above ``PE RVU``). The header block
    is the run of rows directly above, each with at least two non-empty cells; the preamble
    (title, copyright, release date) has one text cell per row and is not part of it.
    """
    index = next(
        (i for i, row in enumerate(rows) if row and _normalise_header(row[0]) == first_cell), None
    )
    if index is None:
        raise ValueError(f"no header row starting with {first_cell!r}")
    start = index
    while start > 0 and sum(1 for cell in rows[start - 1] if cell.strip()) >= 2:
        start -= 1
    width = max(len(row) for row in rows[start : index + 1])
    names = []
    for column in range(width):
        pieces = [row[column] for row in rows[start : index + 1] if column < len(row)]
        names.append(_normalise_header(" ".join(pieces)))
    return index, names


def _resolve(names: list[str], wanted: dict[str, tuple[str, ...]], source: str) -> dict[str, int]:
    positions: dict[str, int] = {}
    missing = []
    for key, aliases in wanted.items():
        found = [i for i, name in enumerate(names) if name in aliases]
        if len(found) > 1:
            raise ValueError(f"{source}: column {aliases[0]!r} appears {len(found)} times")
        if not found:
            missing.append(aliases[0])
        else:
            positions[key] = found[0]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")
    return positions


def _typed_pprrvu(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Turn the string fields of either PPRRVU layout into the documented typed frame."""
    raw = raw.apply(lambda column: column.astype("str").str.strip())
    frame = pd.DataFrame(
        {
            "procedure_code": raw["procedure_code"].str.upper(),
            "modifier": raw["modifier"].str.upper(),
            "status_code": raw["status_code"].str.upper(),
            "work_rvu_x100": parse_scaled(raw["work_rvu"], 2, f"{source} WORK RVU"),
            "nonfac_pe_rvu_x100": parse_scaled(
                raw["nonfac_pe_rvu"], 2, f"{source} NON-FAC PE RVU"
            ),
            "fac_pe_rvu_x100": parse_scaled(raw["fac_pe_rvu"], 2, f"{source} FACILITY PE RVU"),
            "mp_rvu_x100": parse_scaled(raw["mp_rvu"], 2, f"{source} MP RVU"),
            "nonfac_na": raw["nonfac_na"].str.upper().eq("NA").to_numpy(bool),
            "pctc_ind": raw["pctc_ind"],
            "glob_days": raw["glob_days"],
            "mult_proc": raw["mult_proc"],
            "bilat_surg": raw["bilat_surg"],
            "asst_surg": raw["asst_surg"],
            "co_surg": raw["co_surg"],
            "endo_base": raw["endo_base"].str.upper(),
            "conv_factor_x10000": parse_scaled(raw["conv_factor"], 4, f"{source} CONV FACTOR"),
        }
    )
    bad = ~frame["procedure_code"].str.fullmatch(r"[0-9A-Z]{5}")
    if bad.any():
        raise ValueError(f"{source}: bad HCPCS code {frame.loc[bad, 'procedure_code'].iloc[0]!r}")
    return frame.reset_index(drop=True)


def _read_pprrvu_csv(path: Path) -> pd.DataFrame:
    rows = _read_raw_csv(path)
    header_index, names = _find_header(rows, "HCPCS")
    positions = _resolve(names, _PPRRVU_HEADER_NAMES, path.name)
    body = [row for row in rows[header_index + 1 :] if row and row[0].strip()]
    width = len(names)
    body = [row + [""] * (width - len(row)) for row in body]
    raw = pd.DataFrame({key: [row[i] for row in body] for key, i in positions.items()})
    return _typed_pprrvu(raw, path.name)


def _read_pprrvu_txt(path: Path) -> pd.DataFrame:
    text = path.read_text(encoding="latin-1")
    lines = pd.Series(text.splitlines(), dtype="str")
    records = lines[~lines.str.startswith("HDR") & lines.str.strip().ne("")]
    short = records.str.len() < _PPRRVU_TXT_MIN_LENGTH
    if short.any():
        raise ValueError(f"{path.name}: record shorter than {_PPRRVU_TXT_MIN_LENGTH} characters")
    raw = pd.DataFrame(
        {key: records.str.slice(a, b) for key, (a, b) in _PPRRVU_TXT_FIELDS.items()}
    )
    return _typed_pprrvu(raw, path.name)


def read_pprrvu(path: Path | str) -> pd.DataFrame:
    """Read a CMS PPRRVU relative value file, CSV or fixed-width TXT, all status codes.

    The CSV's preamble is skipped and its split header joined; columns are found by name
    because CMS inserts columns between years. The TXT uses the RVU25D record layout.

    Returns one row per HCPCS + modifier: procedure_code (str, 5 chars), modifier (str,
    '' when blank), status_code (str), work_rvu_x100, nonfac_pe_rvu_x100, fac_pe_rvu_x100,
    mp_rvu_x100 (int64, RVU x 100), nonfac_na (bool, True when the non-facility NA indicator
    is set, i.e. a facility-only code), pctc_ind, glob_days, mult_proc, bilat_surg,
    asst_surg, co_surg, endo_base (str; '' when blank) and conv_factor_x10000 (int64, CF x
    10000 as printed in the file).
    """
    path = Path(path)
    frame = _read_pprrvu_txt(path) if _is_fixed_width(path) else _read_pprrvu_csv(path)
    logger.info("read %d PPRRVU rows from %s", len(frame), path)
    return frame


# --------------------------------------------------------------------------- GPCI


_GPCI_TXT_RE = re.compile(
    r"^\s*(?P<mac>\d{4,5})\s+(?P<state>[A-Z]{2})\s+(?P<loc>\d{1,2})\s+(?P<name>\S.*?)"
    r"(?P<numbers>(?:\s+\d*\.\d+){3,})\s*$"
)


def _locality_key(mac: pd.Series, number: pd.Series) -> pd.Series:
    # CMS sometimes drops leading zeros (25LOCCO.csv); the key is always 'MMMMM-LL'.
    return mac.str.strip().str.zfill(5) + "-" + number.str.strip().str.zfill(2)


def _read_gpci_csv(path: Path) -> pd.DataFrame:
    rows = _read_raw_csv(path)
    header_index = next(
        (i for i, row in enumerate(rows) if any("LOCALITY NAME" in c.upper() for c in row)), None
    )
    if header_index is None:
        raise ValueError(f"{path.name}: no header row with 'Locality Name'")
    names = [_normalise_header(cell) for cell in rows[header_index]]

    def find(predicate, label: str) -> int:
        found = [i for i, name in enumerate(names) if predicate(name)]
        if not found:
            raise ValueError(f"{path.name}: missing column {label!r}")
        return found[0]

    pw_candidates = [i for i, name in enumerate(names) if "PW GPCI" in name]
    # Some years publish both the PW GPCI without and with the statutory 1.0 floor.
    with_floor = [i for i in pw_candidates if "WITH 1.0 FLOOR" in names[i]]
    plain = [i for i in pw_candidates if "WITHOUT" not in names[i]]
    if not (with_floor or plain):
        raise ValueError(f"{path.name}: missing column 'PW GPCI (with 1.0 Floor)'")
    positions = {
        "mac": find(lambda n: "CONTRACTOR" in n or n in ("MAC", "CARRIER"), "MAC"),
        "state": find(lambda n: n == "STATE", "State"),
        "number": find(lambda n: "LOCALITY NUMBER" in n or n == "LOCALITY", "Locality Number"),
        "name": find(lambda n: "LOCALITY NAME" in n, "Locality Name"),
        "pw": (with_floor or plain)[0],
        "pe": find(lambda n: "PE GPCI" in n, "PE GPCI"),
        "mp": find(lambda n: "MP GPCI" in n, "MP GPCI"),
    }
    body = [
        row
        for row in rows[header_index + 1 :]
        if len(row) > max(positions.values()) and row[positions["mac"]].strip().isdigit()
    ]
    raw = pd.DataFrame(
        {key: pd.Series([row[i] for row in body], dtype="str") for key, i in positions.items()}
    )
    return _typed_gpci(raw, path.name)


def _read_gpci_txt(path: Path) -> pd.DataFrame:
    records = []
    for line in path.read_text(encoding="latin-1").splitlines():
        match = _GPCI_TXT_RE.match(line)
        if match:
            # [PW without floor,] PW with floor, PE, MP: the last three are the ones we use.
            pw, pe, mp = match["numbers"].split()[-3:]
            records.append((match["mac"], match["state"], match["loc"], match["name"], pw, pe, mp))
    raw = pd.DataFrame(
        records, columns=["mac", "state", "number", "name", "pw", "pe", "mp"], dtype="str"
    )
    return _typed_gpci(raw, path.name)


def _typed_gpci(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    if raw.empty:
        raise ValueError(f"{source}: no GPCI rows found")
    frame = pd.DataFrame(
        {
            "locality": _locality_key(raw["mac"], raw["number"]),
            "state": raw["state"].str.strip(),
            "locality_name": raw["name"].str.strip(),
            "pw_gpci_x1000": parse_scaled(raw["pw"], 3, f"{source} PW GPCI"),
            "pe_gpci_x1000": parse_scaled(raw["pe"], 3, f"{source} PE GPCI"),
            "mp_gpci_x1000": parse_scaled(raw["mp"], 3, f"{source} MP GPCI"),
        }
    )
    duplicated = frame["locality"].duplicated()
    if duplicated.any():
        raise ValueError(f"{source}: locality {frame.loc[duplicated, 'locality'].iloc[0]} twice")
    return frame.reset_index(drop=True)


def read_gpci(path: Path | str) -> pd.DataFrame:
    """Read a CMS GPCI file (Addendum E), CSV or TXT.

    Returns one row per locality: locality ('MMMMM-LL', MAC + locality number with leading
    zeros, e.g. '01112-05'), state, locality_name (str), pw_gpci_x1000 (the PW GPCI "with 1.0
    floor"), pe_gpci_x1000 and mp_gpci_x1000 (int64, GPCI x 1000). Footnote rows are dropped.
    """
    path = Path(path)
    frame = _read_gpci_txt(path) if _is_fixed_width(path) else _read_gpci_csv(path)
    logger.info("read %d GPCI localities from %s", len(frame), path)
    return frame


# --------------------------------------------------------------------------- fee amounts


def _half_up_cents(value_e9_dollars: np.ndarray) -> np.ndarray:
    """Round non-negative amounts in 1e-9 dollars (= 1e-7 cents) half up to whole cents."""
    return (value_e9_dollars + 5_000_000) // 10_000_000


def fee_schedule_amounts(
    pprrvu: pd.DataFrame,
    gpci: pd.DataFrame,
    locality: str,
    conv_factor_x10000: int,
    effective_from: date | str | pd.Timestamp,
    effective_to: date | str | pd.Timestamp | None,
) -> pd.DataFrame:
    """Medicare PFS amounts per unit for one locality and one conversion-factor period.

    Needs ``read_pprrvu`` columns (procedure_code, modifier, status_code, work_rvu_x100,
    nonfac_pe_rvu_x100, fac_pe_rvu_x100, mp_rvu_x100, nonfac_na, mult_proc; bilat_surg,
    asst_surg, co_surg and endo_base when present) and ``read_gpci``
    columns. Only status codes A, R and T are priced (the only ones CMS pays from RVUs).

    Returns locality, procedure_code, modifier (str), effective_from, effective_to
    (datetime64; effective_to exclusive, NaT = open ended), non_facility_cents, facility_cents
    (int64, per unit), mult_proc and the ``INDICATOR_COLUMNS`` (str; '' when the PPRRVU frame
    has no such column). Amounts use integer arithmetic and are rounded half
    up to the cent once. For facility-only codes (non-facility NA indicator set)
    non_facility_cents is set to facility_cents, so a line billed from a non-facility place of
    service is expected at the facility rate rather than at an unpublished non-facility one.
    """
    match = gpci.loc[gpci["locality"] == locality]
    if match.empty:
        raise ValueError(f"locality {locality!r} is not in the GPCI file")
    row = match.iloc[0]
    pw, pe, mp = (np.int64(row[c]) for c in ("pw_gpci_x1000", "pe_gpci_x1000", "mp_gpci_x1000"))
    cf = np.int64(conv_factor_x10000)

    payable = pprrvu.loc[pprrvu["status_code"].isin(PAYABLE_STATUS_CODES)]
    work = payable["work_rvu_x100"].to_numpy(np.int64) * pw
    malpractice = payable["mp_rvu_x100"].to_numpy(np.int64) * mp
    # RVU x100 times GPCI x1000 = 1e-5 RVU; times CF x10000 = 1e-9 dollars, all exact.
    nonfac = (work + payable["nonfac_pe_rvu_x100"].to_numpy(np.int64) * pe + malpractice) * cf
    fac = (work + payable["fac_pe_rvu_x100"].to_numpy(np.int64) * pe + malpractice) * cf
    facility_cents = _half_up_cents(fac)
    non_facility_cents = np.where(
        payable["nonfac_na"].to_numpy(bool), facility_cents, _half_up_cents(nonfac)
    )
    end = pd.NaT if effective_to is None else pd.Timestamp(effective_to)
    return pd.DataFrame(
        {
            "locality": locality,
            "procedure_code": payable["procedure_code"].to_numpy(),
            "modifier": payable["modifier"].to_numpy(),
            "effective_from": pd.Timestamp(effective_from),
            "effective_to": end,
            "non_facility_cents": non_facility_cents.astype(np.int64),
            "facility_cents": facility_cents.astype(np.int64),
            "mult_proc": payable["mult_proc"].to_numpy(),
            **{
                c: payable[c].to_numpy() if c in payable else np.full(len(payable), "")
                for c in INDICATOR_COLUMNS
            },
        }
    ).astype({"effective_from": "datetime64[ns]", "effective_to": "datetime64[ns]"})


def reference_periods(
    periods: Sequence[ConversionFactorPeriod] = CONVERSION_FACTORS,
    start: date = date(2024, 1, 1),
    open_ended: bool = True,
) -> list[tuple[date, date | None, int]]:
    """(from, to, CF x10000) for every CF period starting on or after ``start``.

    With ``open_ended`` the last period gets no end date, so it keeps applying until a newer
    file replaces it.
    """
    chosen = [p for p in periods if p.effective_from >= start]
    result: list[tuple[date, date | None, int]] = [
        (p.effective_from, p.effective_to, p.conv_factor_x10000) for p in chosen
    ]
    if open_ended and result:
        first, _, cf = result[-1]
        result[-1] = (first, None, cf)
    return result


def year_periods(year: int) -> list[tuple[date, date | None, int]]:
    """(from, to, CF x10000) of the conversion-factor periods of one calendar year."""
    chosen = [p for p in CONVERSION_FACTORS if p.effective_from.year == year]
    if not chosen:
        raise ValueError(f"no Medicare conversion factor known for {year}")
    return [(p.effective_from, p.effective_to, p.conv_factor_x10000) for p in chosen]


def build_medicare_fees(
    pprrvu: pd.DataFrame,
    gpci: pd.DataFrame,
    locality: str,
    codes: Iterable[str],
    periods: Sequence[tuple[date, date | None, int]],
) -> pd.DataFrame:
    """``fee_schedule_amounts`` for several CF periods, restricted to ``codes``.

    Keeps every pricing modifier row ('', '26', 'TC') of each requested code, so the 26 and TC
    variants of PCTC-indicator-1 codes come along. The same RVUs are used for every period:
    pass each period's own PPRRVU when you have it. Codes without a payable row are logged.
    Output columns as ``fee_schedule_amounts``, sorted by code, modifier and effective_from.
    """
    wanted = sorted({code.strip().upper() for code in codes if code.strip()})
    subset = pprrvu.loc[
        pprrvu["procedure_code"].isin(wanted) & pprrvu["modifier"].isin(PRICING_MODIFIERS)
    ]
    frames = [
        fee_schedule_amounts(subset, gpci, locality, cf, start, end) for start, end, cf in periods
    ]
    fees = pd.concat(frames, ignore_index=True)
    unpriced = sorted(set(wanted) - set(fees["procedure_code"]))
    if unpriced:
        logger.warning(
            "no payable (status A/R/T) PFS row for %d code(s): %s", len(unpriced), unpriced
        )
    return fees.sort_values(
        ["locality", "procedure_code", "modifier", "effective_from"], ignore_index=True
    )


# --------------------------------------------------------------------------- medicare_fees.csv


def write_medicare_fees_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``fee_schedule_amounts``-shaped rows as interface ``medicare_fees.csv``.

    Columns, in order: locality, procedure_code, modifier, effective_from, effective_to,
    non_facility_amount, facility_amount, mult_proc, then the ``INDICATOR_COLUMNS`` present
    in ``frame`` (bilat_surg, asst_surg, co_surg, endo_base; blank when CMS gives none).
    Money as plain decimals ('123.45'), dates YYYY-MM-DD, blank for an empty modifier or an
    open-ended effective_to. UTF-8, LF endings.
    """
    path = Path(path)
    out = pd.DataFrame(
        {
            "locality": frame["locality"].astype("str"),
            "procedure_code": frame["procedure_code"].astype("str"),
            "modifier": frame["modifier"].fillna("").astype("str"),
            "effective_from": day_texts(frame["effective_from"]),
            "effective_to": day_texts(frame["effective_to"]),
            "non_facility_amount": decimal_texts(frame["non_facility_cents"]).to_numpy(),
            "facility_amount": decimal_texts(frame["facility_cents"]).to_numpy(),
            "mult_proc": frame["mult_proc"].fillna("").astype("str"),
            **{c: frame[c].fillna("").astype("str") for c in INDICATOR_COLUMNS if c in frame},
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    logger.info("wrote %d Medicare fee rows to %s", len(out), path)
    return path


def read_medicare_fees_csv(path: Path | str) -> pd.DataFrame:
    """Read an interface ``medicare_fees.csv`` back into the ``fee_schedule_amounts`` shape.

    Returns locality, procedure_code, modifier, effective_from, effective_to (datetime64,
    NaT = open ended), non_facility_cents, facility_cents (int64), mult_proc and the
    ``INDICATOR_COLUMNS`` ('' when the file has no such column). Money is parsed
    to cents without passing through float. Does not validate beyond parsing.
    """
    raw = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8")
    return pd.DataFrame(
        {
            "locality": raw["locality"],
            "procedure_code": raw["procedure_code"],
            "modifier": raw["modifier"],
            "effective_from": pd.to_datetime(raw["effective_from"], format="%Y-%m-%d"),
            "effective_to": pd.to_datetime(
                raw["effective_to"].replace("", None), format="%Y-%m-%d"
            ),
            "non_facility_cents": parse_cents(raw["non_facility_amount"]),
            "facility_cents": parse_cents(raw["facility_amount"]),
            "mult_proc": raw.get("mult_proc", pd.Series("", index=raw.index)),
            **{c: raw.get(c, pd.Series("", index=raw.index)) for c in INDICATOR_COLUMNS},
        }
    ).astype({"effective_from": "datetime64[ns]", "effective_to": "datetime64[ns]"})


# --------------------------------------------------------------------------- command line


def _parse_codes(value: str) -> list[str]:
    """A file with codes (one per line, or comma/space separated; '#' comments) or a list."""
    candidate = Path(value)
    if candidate.is_file():
        text = "\n".join(line.split("#", 1)[0] for line in candidate.read_text().splitlines())
    else:
        text = value
    return [code for code in re.split(r"[\s,;]+", text) if code]


def main(argv: Sequence[str] | None = None) -> int:
    """Build a medicare_fees.csv for one calendar year (``--year``, by default the 2025 of
    RVU25D), each conversion-factor period of the year with its own factor, closed at the
    year's end: dates outside it are the fee library's (``import cms-pfs``), which says
    which release priced them. A year other than the PPRRVU file's own is an
    approximation (that year's RVUs and GPCIs differ): build each year from its own files.
    """
    parser = argparse.ArgumentParser(
        prog="python -m payeropt_lib.reference.medicare",
        description=(
            "Compute Medicare PFS amounts for one locality from CMS PPRRVU and GPCI files and "
            "write them as medicare_fees.csv for one calendar year, each conversion-factor "
            "period of the year with its own factor (2024 has two), closed at the year's end."
        ),
    )
    parser.add_argument("--pprrvu", required=True, type=Path, help="PPRRVU .csv or .txt")
    parser.add_argument("--gpci", required=True, type=Path, help="GPCI .csv or .txt")
    parser.add_argument("--locality", required=True, help="e.g. 04412-11 (MAC-locality)")
    parser.add_argument(
        "--codes", required=True, help="file of codes, or a comma-separated list of codes"
    )
    parser.add_argument(
        "--year", type=int, default=2025, help="calendar year of the rows (default 2025)"
    )
    parser.add_argument("--out", required=True, type=Path, help="medicare_fees.csv to write")
    args = parser.parse_args(argv)
    # This entry point is a small stand-alone tool, so it configures its own log output.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        gpci = read_gpci(args.gpci)
        if not gpci["locality"].eq(args.locality).any():  # fail before the big file is read
            raise ValueError(f"locality {args.locality!r} is not in {args.gpci.name}")
        fees = build_medicare_fees(
            read_pprrvu(args.pprrvu),
            gpci,
            args.locality,
            _parse_codes(args.codes),
            year_periods(args.year),
        )
    except (OSError, ValueError) as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    write_medicare_fees_csv(fees, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
