"""ICD-10-CM code sets by date of service: which release is in force on a date, and the
billable codes of that release (docs/coding.md, "ICD-10-CM specificity").

CMS releases the code set each fiscal year, in force from 1 October to 30 September, and
sometimes updates it on 1 April. ``PERIODS`` says, for each half of a fiscal year, which
billable code list stands for it. The lists are ``data/reference/icd10cm/*.txt.gz`` (one
code a line, without the dot), extracted from the simple-icd-10-cm wheel that bundles that
release and checked against their SHA-256 when first read (``data/reference/icd10cm/
README.md`` has the provenance). Only April updates are bundled by any package on this
machine, so the April list of a fiscal year also stands for its October release
(``Period.exact`` is false there): a code added on 1 April would be taken as valid from
the October before. A date no period covers (before FY2025, or FY2027 from 2026-10-01) has
no code set: the caller asks a clinician rather than guess from another year.

Rebuild a list from a wheel (the installed simple-icd-10-cm reads the wheel's files with
its own ``change_version``)::

    python -m payeropt_lib.coding.code_sets WHEEL OUT.txt.gz
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import hashlib
import importlib
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from payeropt_lib import config

CODE_SET_DIR = config.REFERENCE_DIR / "icd10cm"


@dataclass(frozen=True)
class CodeSet:
    """One billable code list: the release it comes from, its file and how to check it."""

    name: str  # the release the list is, as CMS names it: "April 2025"
    fiscal_year: int
    file: str
    sha256: str  # of the .gz file as committed
    codes: int
    source: str  # the package version (wheel) it was extracted from


@dataclass(frozen=True)
class Period:
    """Dates of service ``[effective_from, effective_to)`` and the code list in force."""

    effective_from: date
    effective_to: date
    release: str  # what CMS released for these dates
    code_set: CodeSet
    exact: bool  # False: another update of the same fiscal year stands in for it

    @property
    def label(self) -> str:
        """How a clinician query names the code set used: e.g. "FY2026 code set (April
        2026 update)", and what it stands for when it is not the exact release."""
        base = f"FY{self.code_set.fiscal_year} code set ({self.code_set.name} update"
        return base + (")" if self.exact else f", standing in for {self.release})")


APRIL_2025 = CodeSet(
    name="April 2025",
    fiscal_year=2025,
    file="fy2025-april-2025-billable.txt.gz",
    sha256="a2a2a9e52db3beceee6b15c96f231463a99ef80a4d0c412fd501f9944f16fca2",
    codes=74_260,
    source="simple-icd-10-cm 1.4.0",
)
APRIL_2026 = CodeSet(
    name="April 2026",
    fiscal_year=2026,
    file="fy2026-april-2026-billable.txt.gz",
    sha256="b45751520497c599fca1d1e0a02f42a45163f931900afa2e84bb777911b0be90",
    codes=74_719,
    source="simple-icd-10-cm 1.5.0",
)
# Contiguous, in date order. FY2027 (from 2026-10-01) is on no package here.
PERIODS: tuple[Period, ...] = (
    Period(date(2024, 10, 1), date(2025, 4, 1), "the October 2024 release", APRIL_2025, False),
    Period(date(2025, 4, 1), date(2025, 10, 1), "the April 2025 update", APRIL_2025, True),
    Period(date(2025, 10, 1), date(2026, 4, 1), "the October 2025 release", APRIL_2026, False),
    Period(date(2026, 4, 1), date(2026, 10, 1), "the April 2026 update", APRIL_2026, True),
)
_STARTS = np.array([p.effective_from for p in PERIODS], dtype="datetime64[ns]")
_END = np.datetime64(PERIODS[-1].effective_to, "ns")


def period_index(dates_of_service: pd.Series) -> np.ndarray:
    """The index in ``PERIODS`` of each date of service, -1 where none covers it (a date
    before the first period or from the end of the last, or a missing date)."""
    days = pd.to_datetime(pd.Series(dates_of_service)).to_numpy("datetime64[ns]")
    found = np.searchsorted(_STARTS, days, side="right") - 1
    covered = (found >= 0) & (days < _END) & ~np.isnat(days)
    return np.where(covered, found, -1)


class BillableCodes:
    """The billable codes of one release, without dots: membership and the codes under a
    category or subcategory (a code's descendants share its characters as a prefix)."""

    def __init__(self, codes: list[str]) -> None:
        self.sorted = sorted(codes)
        self.members = frozenset(codes)

    def __contains__(self, code: str) -> bool:
        return code in self.members

    def under(self, prefix: str) -> list[str]:
        """The billable codes that start with ``prefix`` and are longer than it."""
        lo = bisect.bisect_right(self.sorted, prefix)
        hi = bisect.bisect_left(self.sorted, prefix + "~")  # "~" sorts after [0-9A-Z]
        return self.sorted[lo:hi]


@cache
def billable(code_set: CodeSet) -> BillableCodes:
    """The code list of ``code_set``, read once per process and checked against its hash
    and count: a list that differs from the one documented is an installation fault."""
    raw = (CODE_SET_DIR / code_set.file).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != code_set.sha256:
        raise RuntimeError(
            f"{CODE_SET_DIR / code_set.file}: SHA-256 {digest}, expected {code_set.sha256} "
            "(data/reference/icd10cm/README.md says how to rebuild it)"
        )
    codes = gzip.decompress(raw).decode("ascii").split()
    if len(codes) != code_set.codes:
        raise RuntimeError(f"{code_set.file}: {len(codes)} codes, expected {code_set.codes}")
    return BillableCodes(codes)


def extract(wheel: Path) -> list[str]:
    """The billable codes of the release a simple-icd-10-cm wheel bundles: every category
    or subcategory without children (the package's own definition), without dots. The
    installed package reads the wheel's two data files with ``change_version``."""
    icd = importlib.import_module("simple_icd_10_cm")
    with zipfile.ZipFile(wheel) as whl, tempfile.TemporaryDirectory() as tmp:
        names = [n for n in whl.namelist() if "/data/" in n and n.endswith((".txt", ".xml"))]
        listing = next(n for n in names if n.endswith(".txt"))
        tabular = next(n for n in names if n.endswith(".xml"))
        icd.change_version(whl.extract(listing, tmp), whl.extract(tabular, tmp))
    try:
        every = icd.get_all_codes(with_dots=False)
        return sorted({c for c in every if icd.is_category_or_subcategory(c) and icd.is_leaf(c)})
    finally:
        icd.change_version()  # back to the release the installed version bundles


def main() -> None:
    parser = argparse.ArgumentParser(description="Billable ICD-10-CM codes of a wheel.")
    parser.add_argument("wheel", type=Path, help="a simple_icd_10_cm-*.whl")
    parser.add_argument("out", type=Path, help="the .txt.gz to write")
    args = parser.parse_args()
    codes = extract(args.wheel)
    text = ("\n".join(codes) + "\n").encode("ascii")
    packed = gzip.compress(text, compresslevel=9, mtime=0)
    args.out.write_bytes(packed)
    print(f"{args.out}: {len(codes)} codes")
    print(f"sha256 (list) {hashlib.sha256(text).hexdigest()}")
    print(f"sha256 (gzip) {hashlib.sha256(packed).hexdigest()}")


if __name__ == "__main__":
    main()
