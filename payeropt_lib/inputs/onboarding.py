"""Onboarding a practice from a folder of exports: the files in dependency order."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from payeropt_lib.errors import InputFileError
from payeropt_lib.store.access import Identity

from . import imports

logger = logging.getLogger(__name__)

# Conventional file names (interface §1), in the order a practice must be loaded:
# payers before the rates and charges that name them, charges before what cites claims.
FILE_NAMES: dict[str, str] = {
    "contracts": "contracts.csv",
    "medicare-fees": "medicare_fees.csv",
    "fee-schedules": "fee_schedules.csv",
    "charges": "charges.csv",
    "transactions": "transactions.csv",
    "encounters": "encounters.csv",
    "appointments": "appointments.csv",
}


def load_folder(
    engine: Engine,
    org_id: str,
    folder: Path,
    who: Identity,
    progress: Callable[[str], None] | None = None,
    after: imports.AfterImport | None = None,
) -> list[imports.ImportResult]:
    """Import every conventionally named file present in ``folder``; contracts required.

    Each file is its own transaction, so a refused file stops the load with the files
    before it stored (re-running after a fix skips them: imports are idempotent).
    """
    folder = Path(folder)
    if not (folder / FILE_NAMES["contracts"]).exists():
        raise InputFileError(
            str(folder / FILE_NAMES["contracts"]),
            None,
            "(file)",
            "not found: a practice's folder needs its contracts first",
        )
    results = []
    for kind, name in FILE_NAMES.items():
        path = folder / name
        if path.exists():
            result = imports.import_file(engine, org_id, kind, path, who, after=after)
            results.append(result)
            if progress:
                progress(result.summary())
    return results
