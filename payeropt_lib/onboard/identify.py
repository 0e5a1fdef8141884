"""What each file of a client's folder is, and how it would be imported.

A file is, by its content (never by its name alone):
- an X12 interchange: an 837P (``import claims``), an 835 (``import era``), or another
  transaction (837I, 837D, 270, ...), which payeropt does not read;
- an interface CSV (interface section 1): a header naming every required column of one
  input kind (the kind whose columns it names most, when two fit);
- a practice system's export or a payer's workbook that a mapping profile fits: the
  profile's header row names every column the profile maps (the folder's own profiles
  first, then the shipped ones; the one that maps the most columns wins);
- a mapping profile (YAML) of the folder, used for the files above;
- or something payeropt does not read, said so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from payeropt_lib.errors import PayeroptError
from payeropt_lib.inputs import schemas, x12
from payeropt_lib.profiles import mapping, model, sources

CLAIMS = "claims"  # an 837P: payeropt import claims
ERA = "era"  # an 835: payeropt import era
PROFILE_SUFFIXES = (".yaml", ".yml")
SKIPPED_SUFFIXES = (".md",)  # a folder's notes

# Transaction set (ST01) and the start of the version (GS08) → import kind; the reader
# of that kind then checks the exact version (it names the segment if it refuses it).
X12_KINDS = {("837", "005010X222"): CLAIMS, ("835", "005010X221"): ERA,
             ("835", "004010X091"): ERA}  # fmt: skip
# Files a client's folder often holds beside its data (the signed contract as a PDF...).
NOT_DATA = {
    b"%PDF": "a PDF",
    b"{\\rtf": "an RTF document",
    b"\xd0\xcf\x11\xe0": "an old Office file (.xls or .doc): save it as .xlsx or CSV",
}


@dataclass(frozen=True)
class Found:
    """One file: ``what`` it is in words, the import ``kind`` (None: nothing to import),
    the ``profile`` it is read through (None: read as it is), and ``problem``: why it
    cannot be imported as it is (None: it can, as far as telling it apart goes)."""

    path: Path
    what: str
    kind: str | None = None
    profile: str | None = None
    problem: str | None = None


def folder_profiles(folder: Path) -> list[str]:
    """The mapping profiles a client's folder carries (YAML files), as paths."""
    return sorted(str(p) for p in folder.iterdir() if p.suffix.lower() in PROFILE_SUFFIXES)


def identify(path: Path, profiles: list[str]) -> Found:
    """What ``path`` is (module docstring); ``profiles``: names or paths to try, in order."""
    if path.suffix.lower() in PROFILE_SUFFIXES:
        return Found(path, "mapping profile (used for the files it fits)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Found(path, "unreadable file", problem=f"cannot be read: {exc.strerror}")
    if raw.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"ISA"):
        return _x12(path, raw)
    if sources.is_workbook(path.name, raw):
        return _through_profile(path, raw, profiles, "workbook")
    for magic, named in NOT_DATA.items():
        if raw.startswith(magic):
            return Found(path, "not a file payeropt reads", problem=f"{named}, not data")
    if b"\0" in raw[:4096]:
        return Found(path, "not a file payeropt reads", problem="a binary file, not data")
    return _csv(path, raw, profiles)


def _x12(path: Path, raw: bytes) -> Found:
    segments, problem = x12.scan(path.name, raw)
    gs = [segments.segment(i) for i in _first(segments, "GS")]
    st = [segments.segment(i) for i in _first(segments, "ST")]
    version = gs[0][8] if gs and len(gs[0]) > 8 else ""
    transaction = st[0][1] if st and len(st[0]) > 1 else ""
    kind = X12_KINDS.get((transaction, version[:10]))
    if kind is None:
        named = f"X12 {transaction or '?'} ({version or 'no GS08'})"
        return Found(path, named, problem="payeropt reads 837P (005010X222A1) claims and "
                     f"835 (005010X221A1) remittances, not {named}")  # fmt: skip
    what = "837P claims" if kind == CLAIMS else "835 remittance"
    return Found(path, what, kind, problem=str(problem) if problem else None)


def _first(segments: x12.Segments, tag: str) -> list[int]:
    hits = (segments.codes([tag]) == 0).nonzero()[0]
    return [int(hits[0])] if len(hits) else []


def _csv(path: Path, raw: bytes, profiles: list[str]) -> Found:
    try:
        frame, _ = schemas.read_csv(path.name, head_of(raw))
    except PayeroptError:
        frame = None
    if frame is not None:
        header = set(frame.columns)
        fits = [
            (len(header & {c.name for c in spec.columns}), kind)
            for kind, spec in schemas.SPECS.items()
            if {c.name for c in spec.columns if c.required} <= header
        ]
        if fits:
            kind = max(fits)[1]
            return Found(path, f"{kind} file (interface columns)", kind)
    return _through_profile(path, raw, profiles, "CSV export")


def _through_profile(path: Path, raw: bytes, profiles: list[str], form: str) -> Found:
    best: tuple[int, str, model.Profile] | None = None
    for name in profiles:
        try:
            profile, _ = model.load(name)
            whole = sources.is_workbook(path.name, raw)  # a workbook is read whole
            grids = sources.read_grids(
                path.name, raw if whole else head_of(raw),
                list(profile.sheets) if profile.sheets else None,
            )  # fmt: skip
            for sheet, grid in grids:
                mapping.header_positions(path.name, profile, sheet, _head(grid, profile))
        except PayeroptError:
            continue  # the profile does not fit this file
        mapped = len(profile.columns)
        if best is None or mapped > best[0]:
            best = (mapped, name, profile)
    if best is None:
        return Found(
            path, f"{form} that no profile fits",
            problem="no interface header and no mapping profile fits: draft one with "
            f"'payeropt profile suggest KIND {path.name}', review it and put it in the folder",
        )  # fmt: skip
    _, name, profile = best
    return Found(path, f"{profile.kind} ({form}, profile {profile.name})", profile.kind, name)


HEAD_BYTES = 65536  # enough of a CSV to see its header and first rows


def head_of(raw: bytes) -> bytes:
    """The first lines of a CSV, whole lines only (a cut line would read as a bad row)."""
    if len(raw) <= HEAD_BYTES:
        return raw
    cut = raw.rfind(b"\n", 0, HEAD_BYTES)
    return raw[: cut + 1] if cut > 0 else raw


def _head(grid: pd.DataFrame, profile: model.Profile) -> pd.DataFrame:
    """The rows down to the profile's header row: all a fit needs to look at."""
    return grid.loc[grid.index <= profile.header_row]
