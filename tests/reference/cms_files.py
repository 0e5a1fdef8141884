"""Small CMS PFS release folders for tests: RVU25D's files, the PPRRVU cut to a few codes
(a release's full PPRRVU takes seconds to import; the dates and factors are what most
tests are about)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import require_shared


def release_folder(folder: Path, codes: tuple[str, ...] = (), *extra: str) -> Path:
    """``folder`` holding RVU25D's PPRRVU TXT (its HDR lines and the records of ``codes``
    with every modifier; the first 40 records when none are named), the GPCI CSV and the
    ``extra`` files of shared/data/cms."""
    cms = require_shared() / "cms"
    folder.mkdir(parents=True)
    lines = (cms / "PPRRVU2025_Oct.txt").read_text(encoding="latin-1").splitlines(True)
    head = [line for line in lines if line.startswith("HDR")]
    records = [line for line in lines if not line.startswith("HDR")]
    chosen = [line for line in records if line[:5] in codes] if codes else records[:40]
    (folder / "PPRRVU25.txt").write_text("".join(head + chosen), encoding="latin-1")
    for name in ("GPCI2025.csv", *extra):
        shutil.copy(cms / name, folder / name)
    return folder
