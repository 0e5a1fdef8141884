"""A client's folder, looked at (``look``: the dry run, nothing stored) or imported in
dependency order (``onboard``) with a summary of what it came to.

Order: payers and their terms before what names them, claims before what cites them,
remittances last (so every 835 line finds its claim line): contracts, Medicare fees, fee
schedules, charges (CSV or through a profile), 837P claims, transactions, encounters,
appointments, 835s. Files of one kind go in name order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select

from payeropt_lib.errors import FolderRefused, InputFileError, PayeroptError
from payeropt_lib.inputs import claims, era, imports, x837
from payeropt_lib.profiles import mapping, model
from payeropt_lib.remittances import posting
from payeropt_lib.store import tables
from payeropt_lib.store.access import Identity

from .identify import CLAIMS, ERA, Found, folder_profiles, identify

ORDER = ["contracts", "medicare-fees", "fee-schedules", "charges", CLAIMS, "transactions",
         "encounters", "appointments", ERA]  # fmt: skip
HIDDEN = (".", "~$")  # dot files, and the lock files Excel leaves beside a workbook


@dataclass(frozen=True)
class Looked:
    """One file of the folder, looked at: ``rows`` it would import (service lines for an
    837P or 835; None: nothing), ``detail`` in words, ``problem``: every problem found
    (file, row or segment, column), None when it would import."""

    found: Found
    rows: int | None = None
    detail: str = ""
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def files_of(folder: Path) -> list[Path]:
    """The files of a client's folder and its sub-folders (an ``era/`` folder of 835s, say),
    but not its notes (``.md``) or hidden files and folders."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(str(folder), None, "(folder)", "not a folder")
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() != ".md"
        and not any(part.startswith(HIDDEN) for part in p.relative_to(folder).parts)
    )  # fmt: skip


def look(folder: Path | str) -> list[Looked]:
    """The dry run: every file told apart and read as its import would read it (every
    check that needs only the file), in the order ``onboard`` imports them; stores
    nothing. What only the store can say (a payer no contract names yet, an 835 already
    posted) is checked when the files are imported."""
    folder = Path(folder)
    profiles = folder_profiles(folder) + model.shipped_names()
    found = [identify(p, profiles) for p in files_of(folder)]
    return [_look(f) for f in sorted(found, key=_rank)]


def report(looked: list[Looked]) -> list[str]:
    """The dry run in lines a consultant reads: per file, in import order, what it is,
    the profile that reads it, what it would import, and its problem."""
    out = []
    for x in looked:
        f = x.found
        head = f"{f.path.name}: {f.what}"
        if x.ok:
            said = f"would import {x.detail}" if x.detail else "nothing to import"
            out.append(f"{head}: {said}")
        else:
            out.append(f"{head}: PROBLEM: {x.problem}")
    ok = sum(x.ok and x.rows is not None for x in looked)
    out.append(f"{len(looked)} files: {ok} would import, {sum(not x.ok for x in looked)} "
               "with problems; nothing was stored")  # fmt: skip
    return out


def _rank(f: Found) -> tuple[int, str]:
    return (ORDER.index(f.kind) if f.kind in ORDER else len(ORDER), f.path.name)


def _look(f: Found) -> Looked:
    if f.kind is None or f.problem is not None:
        return Looked(f, problem=f.problem)
    name = f.path.name
    try:
        if f.kind == CLAIMS:
            parsed = x837.parse(name, f.path.read_bytes())
            n = len(parsed.lines)
            return Looked(f, n, f"{len(parsed.claims):,} claims, {n:,} service lines")
        if f.kind == ERA:
            remit = era.parse(name, f.path.read_bytes())
            n = len(remit.lines)
            return Looked(f, n, f"{len(remit.claims):,} claims, {n:,} service lines, "
                          f"{len(remit.transactions):,} payments")  # fmt: skip
        typed, _, _ = imports.checked(f.kind, name, _content(f))
        return Looked(f, len(typed), f"{len(typed):,} rows")
    except PayeroptError as err:
        return Looked(f, problem=str(err))


def _content(f: Found) -> Callable[[], bytes | imports.Source]:
    if f.profile is None:
        return f.path.read_bytes
    return lambda: mapping.import_source(f.kind, f.path, f.profile)


@dataclass
class Summary:
    """What ``onboard`` did: files imported (or already there), and what they came to."""

    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    claims: int = 0  # the practice's claims and claim lines after the import
    lines: int = 0
    remittances: int = 0  # 835 files posted by this run
    remit_lines: int = 0
    unmatched_claims: int = 0
    unmatched_lines: int = 0
    underpaid: int = 0

    def text(self) -> str:
        matched = self.remit_lines - self.unmatched_lines
        return (
            f"{len(self.imported)} files imported, {len(self.already)} already on file; "
            f"the practice has {self.claims:,} claims ({self.lines:,} lines); "
            f"{self.remittances} 835 files posted: {self.remit_lines:,} service lines, "
            f"{matched:,} matched to claim lines, {self.unmatched_lines:,} not matched "
            f"({self.unmatched_claims:,} claims not found); "
            f"{self.underpaid:,} under-paid lines found"
        )


def onboard(
    engine: Engine,
    org_id: str,
    folder: Path | str,
    who: Identity,
    progress: Callable[[str], None] | None = None,
    after: imports.AfterImport | None = None,
) -> Summary:
    """Import the folder in dependency order. The dry run's checks come first: a file with
    a problem, or one payeropt cannot read, refuses the whole folder (``FolderRefused``)
    and nothing is stored. Then each file is its own transaction, as its own import
    would be: a refusal only the store can give (a payer no contract names) stops the run
    with the files before it stored, and running it again after the fix goes on from
    there (imports are idempotent)."""
    folder = Path(folder)
    looked = look(folder)
    bad = [x for x in looked if not x.ok]
    if bad:
        raise FolderRefused(str(folder), bad[0].found.path.name, str(bad[0].problem), len(bad))
    say = progress or (lambda _text: None)
    done = Summary()
    eras = [x.found.path for x in looked if x.found.kind == ERA]
    claim_files = [x.found.path for x in looked if x.found.kind == CLAIMS]
    for x in looked:
        f = x.found
        if f.kind is None or f.kind == ERA or (f.kind == CLAIMS and f.path != claim_files[0]):
            continue
        if f.kind == CLAIMS:  # all of them at once, in order: one is read while one is stored
            results = list(_claims_imported(engine, org_id, claim_files, who, after, say))
        else:
            source = None if f.profile is None else mapping.import_source(
                f.kind, f.path, f.profile)  # fmt: skip
            result = imports.import_file(
                engine, org_id, f.kind, f.path, who, after=after, source=source
            )
            say(result.summary())
            results = [result]
        for result in results:
            (done.already if result.already_imported else done.imported).append(result.file)
    for path, outcome in posting.post_files(engine, org_id, eras, who):
        if isinstance(outcome, PayeroptError):
            raise outcome
        if outcome.already_posted:
            done.already.append(path.name)
            continue
        done.imported.append(path.name)
        done.remittances += 1
        done.remit_lines += outcome.lines
        done.unmatched_claims += outcome.unmatched_claims
        done.unmatched_lines += outcome.unmatched_lines
        done.underpaid += outcome.underpaid
        say(outcome.summary())
    c = tables.charges
    with engine.connect() as conn:
        done.claims, done.lines = conn.execute(
            select(func.count(func.distinct(c.c.claim_id)), func.count()).where(
                c.c.org_id == org_id
            )  # fmt: skip
        ).one()
    return done


def _claims_imported(
    engine: Engine,
    org_id: str,
    paths: list[Path],
    who: Identity,
    after: imports.AfterImport | None,
    say: Callable[[str], None],
) -> Iterator[imports.ImportResult]:
    """The 837P files imported in order (``claims.import_claim_files``); the first refusal
    stops the run, as any other file's does."""
    for _path, outcome in claims.import_claim_files(engine, org_id, paths, who, after=after):
        if isinstance(outcome, PayeroptError):
            raise outcome
        say(outcome.summary())
        yield outcome
