"""CMS's published Physician Fee Schedule payment amounts, the oracle for the amounts
payeropt computes (issue 15, item 2).

CMS publishes, with each PFS release, the resulting payment amount of every code and
locality (the "carrier" files, ``PFxxyyA.TXT``): comma-separated, **every field quoted**,
lines ending CR LF (CMS's files write CR CR LF; one or more CRs are read), amounts
zero-padded to ``0000000.00``. A record's fields, in order:

    year, carrier (MAC), locality, HCPCS code, modifier ("  " = none), non-facility
    amount, facility amount, filler, PC/TC indicator, status code, multiple-procedure
    indicator, then five more fields (amounts and an indicator CMS adds for the
    therapy and OPPS rules)

Where a PE RVU is NA, CMS prints the other setting's amount in that column (a
facility-only code's non-facility column holds its facility amount), which is how
``medicare.fee_schedule_amounts`` computes the non-facility NA case. The facility NA case
is not read from the PPRRVU file: RVU25D prints the same PE RVU in both columns for every
payable facility-NA row, so the amounts agree; a file that printed 0.00 there would
differ, and ``verify`` would show it.

``read_published`` reads such a file exactly (a line that is not that layout refuses the
file, naming the line and field); ``verify`` computes the same amounts from a PPRRVU and
GPCI release (``medicare``) and lists every line that differs, with its reason. The
last five fields are kept as read (``extra_1`` .. ``extra_5``) and not interpreted: they
carry CMS's amounts under the therapy and OPPS caps, which payeropt does not model (see
``medicare``), so no computed figure is held against them. CMS closes a file with
``"TRL-..."`` lines (its CPT copyright notice), which are read past.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from payeropt_lib.errors import PublishedFileError
from payeropt_lib.formats import decimal_texts

from . import medicare

FIELDS = (
    "year", "carrier", "locality", "procedure_code", "modifier", "non_facility",
    "facility", "filler", "pctc_ind", "status_code", "mult_proc",
    "extra_1", "extra_2", "extra_3", "extra_4", "extra_5",
)  # fmt: skip
AMOUNT = re.compile(r"\d{7}\.\d{2}")
QUOTED = re.compile(r'"[^"]*"')
TRAILER = re.compile(r'"TRL-[^"]*"')  # CMS's closing lines (the CPT copyright notice)
FIELD_RULES = {
    "year": (re.compile(r"\d{4}"), "a four-digit year"),
    "carrier": (re.compile(r"\d{5}"), "a five-digit MAC number"),
    "locality": (re.compile(r"\d{2}"), "a two-digit locality"),
    "procedure_code": (re.compile(r"[0-9A-Z]{5}"), "a five-character HCPCS code"),
    "modifier": (re.compile(r"(?:  |[0-9A-Z]{2})"), "two blanks or a modifier"),
    "non_facility": (AMOUNT, "an amount written 0000000.00"),
    "facility": (AMOUNT, "an amount written 0000000.00"),
    "filler": (re.compile(r" *"), "blank"),
    "pctc_ind": (re.compile(r"\d"), "a one-digit PC/TC indicator"),
    "status_code": (re.compile(r"[A-Z]"), "a one-letter status code"),
    "mult_proc": (re.compile(r"\d"), "a one-digit multiple-procedure indicator"),
}
# What ``verify`` lists (issue 15: the interface of ``payeropt cms-pfs verify``).
DIFFERENCE_COLUMNS = [
    "carrier", "locality", "procedure_code", "modifier", "published_non_facility",
    "computed_non_facility", "published_facility", "computed_facility", "reason",
]  # fmt: skip


def read_published(path: Path | str) -> pd.DataFrame:
    """A published payment file as CMS writes it: ``FIELDS`` as text, plus
    non_facility_cents and facility_cents (int64) and locality_key (``04412-09``, as the
    GPCI file names it); modifier '' when blank. Refused whole (``PublishedFileError``: file,
    line, field) on the first line that is not the layout (module docstring)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError as err:
        raise PublishedFileError(path.name, None, "file", f"not ASCII ({err.reason})") from None
    lines = text.split("\n")
    if lines[-1]:  # the last record ends its line too
        raise PublishedFileError(path.name, len(lines), "line end", "CR LF expected at the end")
    rows = []
    trailer = False
    for number, line in enumerate(lines[:-1], start=1):
        if not line.endswith("\r"):
            raise PublishedFileError(path.name, number, "line end", "CR LF expected")
        record = line.rstrip("\r")
        if TRAILER.fullmatch(record):  # CMS closes a file with "TRL-..." lines
            trailer = True
            continue
        if trailer:
            raise PublishedFileError(path.name, number, "record", "a record after the trailer")
        cells = record.split(",")
        if len(cells) != len(FIELDS) or not all(QUOTED.fullmatch(c) for c in cells):
            raise PublishedFileError(
                path.name, number, "record", f"{len(FIELDS)} quoted fields expected"
            )
        values = [c[1:-1] for c in cells]
        for name, value in zip(FIELDS, values, strict=True):
            rule = FIELD_RULES.get(name)
            if rule and not rule[0].fullmatch(value):
                raise PublishedFileError(path.name, number, name, f"{value!r} is not {rule[1]}")
        rows.append(values)
    if not rows:
        raise PublishedFileError(path.name, None, "file", "no payment records")
    years = sorted({r[0] for r in rows})
    if len(years) > 1:
        first = next(n for n, r in enumerate(rows, start=1) if r[0] != rows[0][0])
        raise PublishedFileError(path.name, first, "year", f"one year per file ({years})")
    frame = pd.DataFrame(rows, columns=list(FIELDS), dtype="str")
    frame["modifier"] = frame["modifier"].str.strip()
    for name in ("non_facility", "facility"):
        # 0002983.39 -> 298339: the digits without the point are the cents, exactly.
        frame[f"{name}_cents"] = frame[name].str.replace(".", "", regex=False).astype("int64")
    frame["locality_key"] = frame["carrier"] + "-" + frame["locality"]
    twice = frame.duplicated(["locality_key", "procedure_code", "modifier"])
    if twice.any():
        raise PublishedFileError(
            path.name, int(np.flatnonzero(twice)[0]) + 1, "procedure_code",
            "the same locality, code and modifier twice",
        )  # fmt: skip
    return frame


def verify(
    published: pd.DataFrame,
    pprrvu: pd.DataFrame,
    gpci: pd.DataFrame,
    conv_factor_x10000: int,
    release: str = "the computed release",
    same_release: bool = False,
) -> pd.DataFrame:
    """Every published line whose computed amount differs (``DIFFERENCE_COLUMNS``;
    amounts in dollars as text, blank where not computed), with the reason:
    - the locality is not in the release's GPCI file, or the code is not priced by it
      (status, or not in its file);
    - one setting differs and the other matches (or, for a facility-only code, whose
      published columns both hold the facility amount, both move together): that
      setting's PE RVU differs between the release CMS published from and ``release``
      (the only input the two settings do not share), with the PE RVU the published
      amount implies. With ``same_release`` (the published file is from ``release``
      itself) no revision can explain it, and the reason says so;
    - otherwise both differ (work or malpractice RVU, GPCI or conversion factor)."""
    keys = published["locality_key"].drop_duplicates()
    parts = [
        medicare.fee_schedule_amounts(pprrvu, gpci, key, conv_factor_x10000, "2000-01-01", None)
        for key in keys[keys.isin(gpci["locality"])]
    ]
    columns = ["locality", "procedure_code", "modifier", "non_facility_cents", "facility_cents"]
    computed = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    computed = computed[columns].rename(columns={"locality": "locality_key"})
    both = published.merge(
        computed, on=["locality_key", "procedure_code", "modifier"], how="left",
        suffixes=("", "_computed"),
    )  # fmt: skip
    nf_pub, fac_pub = both["non_facility_cents"], both["facility_cents"]
    nf_new = both["non_facility_cents_computed"].astype("Int64")
    fac_new = both["facility_cents_computed"].astype("Int64")
    missing = nf_new.isna().to_numpy()
    no_locality = ~both["locality_key"].isin(gpci["locality"]).to_numpy()
    nf_same = nf_pub.eq(nf_new).fillna(False).to_numpy(bool)
    fac_same = fac_pub.eq(fac_new).fillna(False).to_numpy(bool)
    # A facility-only code: CMS prints the facility amount in both columns, as we do.
    facility_only = (nf_pub.eq(fac_pub) & nf_new.eq(fac_new)).fillna(False).to_numpy(bool)
    differs = missing | ~(nf_same & fac_same)
    out = both[differs]
    implied = _implied_pe_rvu(out, pprrvu, gpci, conv_factor_x10000)
    revised = "PE RVU revised between the published release and " + release
    if same_release:
        revised = "PE RVU differs although the published file is from " + release
    one = ~missing
    reason = np.select(
        [
            no_locality[differs],
            missing[differs],
            (one & fac_same & ~nf_same)[differs],
            (one & ((nf_same & ~fac_same) | (facility_only & ~fac_same)))[differs],
        ],
        [
            f"locality not in {release}'s GPCI file",
            f"not priced by {release} (status or code not in its file)",
            "non-facility " + revised + ": the published amount implies "
            + implied["non_facility"],
            "facility " + revised + ": the published amount implies " + implied["facility"],
        ],
        "work or malpractice RVU, GPCI or conversion factor differ (both settings)",
    )  # fmt: skip
    return pd.DataFrame(
        {
            "carrier": out["carrier"],
            "locality": out["locality"],
            "procedure_code": out["procedure_code"],
            "modifier": out["modifier"],
            "published_non_facility": _money(out["non_facility_cents"]),
            "computed_non_facility": _money(out["non_facility_cents_computed"]),
            "published_facility": _money(out["facility_cents"]),
            "computed_facility": _money(out["facility_cents_computed"]),
            "reason": reason,
        }
    ).reset_index(drop=True)


def _money(cents: pd.Series) -> np.ndarray:
    """Cents as dollars text ('2983.39'; '' when not computed): ``formats.decimal_texts``."""
    return np.asarray(decimal_texts(cents.astype("Int64")), dtype=object)


def _implied_pe_rvu(
    lines: pd.DataFrame, pprrvu: pd.DataFrame, gpci: pd.DataFrame, cf_x10000: int
) -> dict[str, np.ndarray]:
    """The PE RVU each setting's published amount implies, given the computed release's
    work and malpractice RVUs (text, two decimals; a message, not money)."""
    rvus = lines[["procedure_code", "modifier", "locality_key"]].merge(
        pprrvu[["procedure_code", "modifier", "work_rvu_x100", "mp_rvu_x100"]],
        on=["procedure_code", "modifier"], how="left",
    ).merge(gpci, left_on="locality_key", right_on="locality", how="left")  # fmt: skip
    fixed = (rvus["work_rvu_x100"] * rvus["pw_gpci_x1000"]
             + rvus["mp_rvu_x100"] * rvus["mp_gpci_x1000"]) / 1e5  # fmt: skip
    out = {}
    for name in ("non_facility", "facility"):
        dollars = lines[f"{name}_cents"].to_numpy() / 100
        pe = (dollars / (cf_x10000 / 1e4) - fixed.to_numpy()) / (
            rvus["pe_gpci_x1000"].to_numpy() / 1e3
        )
        out[name] = (
            pd.Series(pe).map(lambda v: f"{v:.2f}" if np.isfinite(v) else "?").to_numpy(object)
        )
    return out
