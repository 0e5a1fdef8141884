"""The CMS fee library (issue 15, item 1, begun): CMS's Physician Fee Schedule releases as
CMS publishes them, kept with the dates they are in force, shared by every practice.

``import_release`` reads one release's files from a folder (the PPRRVU relative value file,
CSV or fixed-width, and the GPCI file, CSV or TXT; ``medicare`` reads both layouts) and
stores its RVUs, GPCIs and conversion factor in one transaction, audited in the system
trail (reference data concerns no practice):
- a release is ``YYYY`` and a letter (CMS's ``RVUyyA`` .. ``D``), in force from its
  effective date (January, April, July, October 1st by letter; ``effective_from`` when CMS
  made it another day, as the 2024 B release from 9 March) until the next release's;
- the conversion factor is the RVU file's, or ``cf`` where CMS changed it by law and the
  file does not say so;
- a folder with the same file twice in both layouts (PPRRVU CSV and TXT) is read both
  ways and refused if they differ: CMS publishes both, and they must agree;
- the same files again change nothing ("already imported"); other files for a release
  already on file are refused (a correction is the next release letter);
- anything unreadable refuses the release whole, naming the file.

``amounts(engine, locality)`` gives the ``medicare_fees`` rows of a locality for every
release on file (``medicare.fee_schedule_amounts`` per release); ``releases`` lists them;
``verify_published`` holds CMS's own published payment amounts against the library
(``published``: the oracle); ``completed`` fills a practice's Medicare rows from the
library. A release's county list (yyLOCCO) and anesthesia conversion factors (ANESyyyy),
CSV or TXT, are read and stored with it when the folder holds them (``localities``);
``locality`` places a county, ``anesthesia_cf`` gives a locality's factor on a date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from payeropt_lib import store
from payeropt_lib.errors import InputFileError, NoLocality, PublishedFileError
from payeropt_lib.store import access, tables
from payeropt_lib.store.access import Identity

from . import localities, medicare, published

RELEASE_MONTH = {"A": 1, "B": 4, "C": 7, "D": 10}
RVU_COLUMNS = [c for c in medicare.PPRRVU_COLUMNS if c != "conv_factor_x10000"]
PUBLISHED_NAME = re.compile(r"^PF[A-Z]{2}\d{2}([A-D])")  # PFTX25A: Texas, 2025, release A


@dataclass(frozen=True)
class Imported:
    """What one ``import cms-pfs`` did."""

    year: int
    release: str
    effective_from: dt.date
    conv_factor_x10000: int
    codes: int
    localities: int
    already: bool
    counties: int = 0  # county-list rules stored (0: no LOCCO file)
    anesthesia: int = 0  # localities with an anesthesia conversion factor (0: no ANES file)

    def summary(self) -> str:
        cf = f"{self.conv_factor_x10000 // 10000}.{self.conv_factor_x10000 % 10000:04d}"
        if self.already:
            return f"CMS PFS {self.year} {self.release}: already imported (nothing changed)"
        extra = [
            "county list" if self.counties else "no county list",
            f"anesthesia factors for {self.anesthesia} localities"
            if self.anesthesia else "no anesthesia factors",
        ]  # fmt: skip
        return (
            f"CMS PFS {self.year} {self.release}: {self.codes} code rows, {self.localities} "
            f"localities, conversion factor {cf}, in force from {self.effective_from}; "
            + ", ".join(extra)
        )


def _files(folder: Path, prefix: str) -> list[Path]:
    found = sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.name.upper().startswith(prefix)
        and p.suffix.lower() in (".csv", ".txt")
    )  # fmt: skip
    if not found:
        raise InputFileError(folder.name, None, "folder", f"no {prefix}*.csv or .txt file in it")
    return found


def _optional_files(folder: Path, word: str, start: bool) -> list[Path]:
    """The release's county list (``25LOCCO.csv``: ``word`` inside the name) or anesthesia
    factors (``ANES2025.txt``: the name starts with it), CSV and TXT; none is fine."""
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in (".csv", ".txt")
        and (p.name.upper().startswith(word) if start else word in p.name.upper())
    )  # fmt: skip


def _read_agreeing(paths: list[Path], read, key: list[str]) -> pd.DataFrame:  # noqa: ANN001
    """Each file read; all must agree (CMS's CSV and TXT of one release)."""
    frames = []
    for path in paths:
        try:
            frames.append(read(path).sort_values(key, ignore_index=True))
        except (ValueError, KeyError) as err:
            raise InputFileError(path.name, None, "file", str(err)) from None
    for path, frame in zip(paths[1:], frames[1:], strict=True):
        if not frame.equals(frames[0]):
            raise InputFileError(
                path.name, None, "file", f"does not agree with {paths[0].name} (same release)"
            )
    return frames[0]


def import_release(
    engine: Engine,
    folder: Path | str,
    year: int,
    release: str,
    who: Identity,
    *,
    cf_x10000: int | None = None,
    effective_from: dt.date | None = None,
) -> Imported:
    """Store one CMS PFS release from ``folder`` (module docstring)."""
    access.authorize_shared(engine, who, "import.cms-pfs", target=f"CMS PFS {year} {release}")
    folder = Path(folder)
    if release not in RELEASE_MONTH:
        raise InputFileError(folder.name, None, "--release", "must be A, B, C or D")
    start = effective_from or dt.date(year, RELEASE_MONTH[release], 1)
    if start.year != year:
        raise InputFileError(folder.name, None, "--effective-from", f"{start} is not in {year}")
    rvu_paths, gpci_paths = _files(folder, "PPRRVU"), _files(folder, "GPCI")
    rvus = _read_agreeing(rvu_paths, medicare.read_pprrvu, ["procedure_code", "modifier"])
    gpcis = _read_agreeing(gpci_paths, medicare.read_gpci, ["locality"])
    for frame, key, path in ((rvus, ["procedure_code", "modifier"], rvu_paths[0]),
                             (gpcis, ["locality"], gpci_paths[0])):  # fmt: skip
        twice = frame[frame.duplicated(key)]
        if len(twice):
            raise InputFileError(
                path.name, None, key[0], f"{twice.iloc[0][key].tolist()} appears twice"
            )
    counties, anesthesia, extra_paths = _localities(folder, gpcis)
    given = cf_x10000 is not None
    cf = cf_x10000 if given else _file_cf(rvus, rvu_paths[0].name)
    paths = rvu_paths + gpci_paths + extra_paths
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    # The release is what the files hold, whatever their names: their contents' hashes.
    identity = json.dumps(
        {"files": sorted(files.values()), "year": year, "release": release, "cf": cf,
         "from": start.isoformat()},
        sort_keys=True,
    )  # fmt: skip
    digest = hashlib.sha256(identity.encode()).hexdigest()
    outcome = Imported(
        year, release, start, cf, len(rvus), len(gpcis), already=False,
        counties=len(counties), anesthesia=len(anesthesia),
    )  # fmt: skip
    r = tables.cms_pfs_releases
    with store.writing(engine, tables.SYSTEM_ORG) as conn:
        on_file = store.read_frame(conn, r, None, ["year", "release", "effective_from", "sha256"])
        this = on_file[on_file["year"].eq(year) & on_file["release"].eq(release)]
        if len(this) and this["sha256"].iloc[0] == digest:
            return Imported(**{**outcome.__dict__, "already": True})
        if len(this):
            raise InputFileError(
                folder.name, None, "--release",
                f"CMS PFS {year} {release} is already on file, from other files or with "
                "another conversion factor or date; a correction is CMS's next release",
            )  # fmt: skip
        _check_order(on_file, year, release, start, folder.name)
        release_id = store.reserve_ids(conn, r, "release_id", 1)[0]
        store.insert_rows(conn, r, pd.DataFrame([{
            "release_id": release_id, "year": year, "release": release,
            "effective_from": pd.Timestamp(start), "conv_factor_x10000": cf,
            "cf_source": "given" if given else "rvu_file",
            "files": json.dumps(files, sort_keys=True),
            "sha256": digest, "imported_at": store.audit.utc_now(), "actor": who.actor,
        }]))  # fmt: skip
        store.bulk_insert(
            conn, tables.cms_pfs_rvus, rvus[RVU_COLUMNS].assign(release_id=release_id)
        )
        store.bulk_insert(conn, tables.cms_pfs_gpcis, gpcis.assign(release_id=release_id))
        if len(counties):
            store.bulk_insert(
                conn, tables.cms_pfs_counties, counties.assign(release_id=release_id)
            )
        if len(anesthesia):
            store.bulk_insert(
                conn, tables.cms_pfs_anesthesia, anesthesia.assign(release_id=release_id)
            )
        access.audit_action(
            conn, tables.SYSTEM_ORG, who, "import.cms-pfs", f"CMS PFS {year} {release}",
            details={"files": files, "conv_factor_x10000": cf, "effective_from": start.isoformat(),
                     "codes": len(rvus), "localities": len(gpcis), "county_rules": len(counties),
                     "anesthesia_localities": len(anesthesia)},
        )  # fmt: skip
    return outcome


def _localities(
    folder: Path, gpcis: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[Path]]:
    """The release's county-list rules and anesthesia factors, each from its CSV and TXT
    (both read where both are there, and they must agree; ``localities``), and the files
    read. A locality neither in the GPCI file is refused: the release would not price it.
    Without the files, empty frames: the release imports, and nothing is known of them."""
    locco = _optional_files(folder, "LOCCO", start=False)
    anes = _optional_files(folder, "ANES", start=True)
    states = dict(zip(gpcis["locality"], gpcis["state"].fillna(""), strict=True))
    counties = pd.DataFrame(columns=localities.RULE_COLUMNS)
    anesthesia = pd.DataFrame(columns=["locality", "locality_name", "anes_cf_x10000"])
    if locco:
        counties = localities.agreeing_rules(
            [(p.name, localities.read_locco(p)) for p in locco], states
        )
    if anes:
        anesthesia = localities.agreeing_anesthesia(
            [(p.name, localities.read_anes(p)) for p in anes]
        )
    for frame, paths in ((counties, locco), (anesthesia, anes)):
        unknown = sorted(set(frame["locality"]) - set(states))
        if unknown:
            raise InputFileError(
                paths[0].name, None, "Locality", f"{unknown[0]} is not in the GPCI file"
            )
    return counties, anesthesia, locco + anes


def _check_order(
    on_file: pd.DataFrame, year: int, release: str, start: dt.date, name: str
) -> None:
    """A release's date must be its own and follow its letter: no two releases from one
    day, and within a year a later letter is in force later."""
    day = pd.Timestamp(start)
    if on_file["effective_from"].eq(day).any():
        raise InputFileError(name, None, "--effective-from", f"a release is on file from {start}")
    same_year = on_file[on_file["year"].eq(year)]
    earlier = same_year["release"] < release
    late = same_year[earlier & same_year["effective_from"].ge(day)]
    early = same_year[~earlier & same_year["effective_from"].le(day)]
    clash = pd.concat([late, early])
    if len(clash):
        other = clash.iloc[0]
        raise InputFileError(
            name, None, "--effective-from",
            f"{year} {release} from {start} is out of order with {year} {other['release']} "
            f"from {other['effective_from'].date()}",
        )  # fmt: skip


def _file_cf(rvus: pd.DataFrame, name: str) -> int:
    """The RVU file's conversion factor: the one value its priced rows carry."""
    values = set(rvus.loc[rvus["conv_factor_x10000"] > 0, "conv_factor_x10000"].tolist())
    if len(values) != 1:
        raise InputFileError(
            name, None, "CONV FACTOR", f"{len(values)} conversion factors; give one with --cf"
        )
    return int(values.pop())


def releases(conn: Engine | Connection) -> pd.DataFrame:
    """The releases on file, oldest first, each with ``effective_to`` (the next one's
    effective date; NaT = in force)."""
    frame = store.read_frame(conn, tables.cms_pfs_releases, None)
    frame = frame.sort_values("effective_from", ignore_index=True)
    frame["effective_to"] = frame["effective_from"].shift(-1)
    return frame


def stamp(conn: Connection) -> tuple:
    """The library's version: (releases, latest release id). A release is only ever
    added, so this changes exactly when the library does."""
    r = tables.cms_pfs_releases
    count, last = conn.execute(select(func.count(), func.max(r.c.release_id))).one()
    return (int(count), last)


# The Medicare fee schedule (RBRVS) began on 1 January 1992: no date before it is priced.
SUBSTITUTE_FROM = pd.Timestamp("1992-01-01")


def _amounts(
    conn: Connection, on_file: pd.DataFrame, localities: list[str], substitute: bool = False
) -> pd.DataFrame:
    """The rows of ``localities`` for every release on file, each over the dates it is in
    force (with ``substitute``, the oldest also over every earlier date: no release covers
    them, so pricing takes the nearest and the engine flags each line so priced): each
    release read once."""
    parts = []
    oldest = on_file["effective_from"].min()
    for row in on_file.itertuples(index=False):  # a release each: a few a year
        rvus, gpcis = _release_frames(conn, int(row.release_id), row.sha256)
        end = None if pd.isna(row.effective_to) else row.effective_to
        # No release on file covers the dates before the oldest: it prices them too, and
        # the engine says a schedule of another year was used (interface: issue 15).
        first = substitute and row.effective_from == oldest
        start = SUBSTITUTE_FROM if first else row.effective_from
        for locality in localities:
            if not gpcis["locality"].eq(locality).any():
                continue  # a locality the release does not hold prices nothing from it
            parts.append(
                medicare.fee_schedule_amounts(
                    rvus, gpcis, locality, row.conv_factor_x10000, start, end
                ).assign(release=f"{row.year}{row.release}")
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def amounts(engine: Engine, locality: str) -> pd.DataFrame:
    """The ``medicare_fees`` rows (``medicare.fee_schedule_amounts``) of ``locality`` for
    every release on file, each over the dates it is in force, with ``release``
    (``2025D``)."""
    with engine.connect() as conn:
        return _amounts(conn, releases(conn), [locality])


def completed(
    conn: Connection, medicare_fees: pd.DataFrame, localities: list[str]
) -> pd.DataFrame:
    """A practice's ``medicare_fees`` frame (``store.read_frame``) with the library's
    amounts wherever it has no row for the locality, code, modifier and date: each
    library row is kept before the practice's first row of that code and after its last
    (closed) one. The practice's own rows always win, and a gap between two of them stays
    a gap (the practice's file says what it says). The rows added say which release
    priced them (``source``: ``CMS PFS 2025D``; NA on the practice's own). Dates before the
    oldest release on file are priced from it: no CMS file covers them, and the engine
    says which year's schedule it used instead. ``localities``: those its contracts price
    by."""
    on_file = releases(conn)
    if on_file.empty or not localities:
        return medicare_fees
    library = _amounts(conn, on_file, sorted(set(localities)), substitute=True)
    if library.empty:
        return medicare_fees
    key = ["locality", "procedure_code", "modifier"]
    own = medicare_fees.groupby(key, as_index=False).agg(
        first=("effective_from", "min"), last=("effective_to", "max")
    )
    open_ended = medicare_fees.loc[medicare_fees["effective_to"].isna(), key].drop_duplicates()
    own = own.merge(open_ended.assign(open=True), on=key, how="left")
    own["open"] = own["open"].astype("boolean").fillna(False).astype(bool)
    both = library.merge(own, on=key, how="left")
    start, end = both["effective_from"], both["effective_to"]
    mine = both["first"].notna()
    # Before the practice's first row: the library's, up to it.
    before = both[~mine | (start < both["first"])].copy()
    cut = before["first"].notna() & (before["effective_to"].isna()
                                     | (before["effective_to"] > before["first"]))  # fmt: skip
    before.loc[cut, "effective_to"] = before.loc[cut, "first"]
    # After its last closed row: the library's, from it.
    after = both[mine & ~both["open"].astype("boolean").fillna(False).astype(bool)
                 & (end.isna() | (end > both["last"]))].copy()  # fmt: skip
    after["effective_from"] = after[["effective_from", "last"]].max(axis=1)
    added = pd.concat([before, after], ignore_index=True)[list(library.columns)]
    added["source"] = "CMS PFS " + added.pop("release")  # which release priced it
    for name in ("mult_proc", *medicare.INDICATOR_COLUMNS):
        if name in added:  # '' from CMS's file reads as NULL, as an imported blank does
            added[name] = added[name].replace("", pd.NA)
    columns = [c for c in medicare_fees.columns if c in added.columns] + ["source"]
    return pd.concat([medicare_fees, added[columns]], ignore_index=True)


# A release never changes once imported: its frames are kept per process, by database,
# id and contents (an id can come back after a test empties the library; contents cannot).
_RELEASES: dict[tuple[str, int, str], tuple[pd.DataFrame, pd.DataFrame]] = {}
KEEP_RELEASES = 8


def _release_frames(
    conn: Connection, release_id: int, sha256: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    key = (conn.engine.url.render_as_string(hide_password=True), release_id, sha256)
    kept = _RELEASES.get(key)
    if kept is not None:
        return kept
    rvus = store.read_frame(
        conn, tables.cms_pfs_rvus, None, where=[tables.cms_pfs_rvus.c.release_id == release_id]
    )
    gpcis = store.read_frame(
        conn, tables.cms_pfs_gpcis, None, where=[tables.cms_pfs_gpcis.c.release_id == release_id]
    )
    if len(_RELEASES) >= KEEP_RELEASES:
        _RELEASES.pop(next(iter(_RELEASES)))
    _RELEASES[key] = (rvus, gpcis)
    return rvus, gpcis


def global_days(conn: Connection) -> pd.DataFrame:
    """procedure_code, modifier, glob_days of the latest release on file (CMS's global
    periods; empty without a release)."""
    on_file = releases(conn)
    if on_file.empty:
        return pd.DataFrame(columns=["procedure_code", "modifier", "glob_days"], dtype="str")
    latest = on_file.iloc[-1]
    rvus, _ = _release_frames(conn, int(latest["release_id"]), latest["sha256"])
    known = rvus[rvus["glob_days"].notna() & rvus["glob_days"].ne("")]
    return known[["procedure_code", "modifier", "glob_days"]].reset_index(drop=True)


def verify_published(engine: Engine, paths: list[Path], who: Identity) -> pd.DataFrame:
    """``payeropt cms-pfs verify``: each of CMS's published payment files
    (``published.read_published``) against the library's latest release of the file's
    year; every line that differs (``published.DIFFERENCE_COLUMNS``), with its reason. A
    year with no release on file refuses the file, naming it."""
    access.authorize_shared(engine, who, "cms_pfs.verify", target="published amounts")
    on_file = releases(engine)
    found = []
    with engine.connect() as conn:
        for path in paths:
            lines = published.read_published(path)
            year = int(lines["year"].iloc[0])
            ours = on_file[on_file["year"].eq(year)]
            if ours.empty:
                raise PublishedFileError(
                    Path(path).name, 1, "year", f"no CMS PFS release of {year} in the library"
                )
            # The release the file is from (CMS names it PFssyyX), if on file; else the
            # latest of its year, and then a difference may be a revision between them.
            named = PUBLISHED_NAME.match(Path(path).name.upper())
            letter = named.group(1) if named else None
            same = ours[ours["release"].eq(letter)]
            chosen = (same if len(same) else ours).iloc[-1]
            rvus, gpcis = _release_frames(conn, int(chosen["release_id"]), chosen["sha256"])
            found.append(
                published.verify(
                    lines,
                    rvus,
                    gpcis,
                    int(chosen["conv_factor_x10000"]),
                    f"RVU{year % 100:02d}{chosen['release']}",
                    same_release=bool(len(same)),
                )  # fmt: skip
            )
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(
        columns=published.DIFFERENCE_COLUMNS
    )  # fmt: skip


# --------------------------------------------------------------------------- localities


@dataclass(frozen=True)
class Placed:
    """Where ``locality`` put a county: the locality, its name (the GPCI file's), the
    release whose county list said so, and that release's anesthesia conversion factor for
    the locality (None: the release came without its ANES file)."""

    locality: str
    name: str
    release: str  # "CMS PFS 2025D"
    anes_cf_x10000: int | None

    def summary(self) -> str:
        anes = ""
        if self.anes_cf_x10000 is not None:
            cf = self.anes_cf_x10000
            anes = f"; anesthesia conversion factor {cf // 10000}.{cf % 10000:04d}"
        return f"{self.locality} {self.name} ({self.release} county list{anes})"


def _label(row: object) -> str:
    return f"CMS PFS {row.year}{row.release}"  # type: ignore[attr-defined]


def _of_release(conn: Connection, table, release_id: int) -> pd.DataFrame:  # noqa: ANN001
    return store.read_frame(conn, table, None, where=[table.c.release_id == release_id])


def locality(
    engine: Engine, state: str, county: str, who: Identity, *, year: int | None = None
) -> Placed:
    """``payeropt cms-pfs locality``: the Medicare locality of ``county`` in ``state``
    (USPS code or name) by the county list of the latest release on file that has one (of
    ``year``, if given); ``localities.find_locality`` says how a list is read. Refused,
    naming why (``NoLocality``), where no release has a county list or the list does not
    place the county for sure."""
    access.authorize_shared(engine, who, "cms_pfs.view", target=f"{county}, {state}")
    what = f"{county}, {state}"
    c = tables.cms_pfs_counties
    with engine.connect() as conn:
        on_file = releases(conn)
        listed = set(conn.execute(select(c.c.release_id).distinct()).scalars())
        chosen = on_file[on_file["release_id"].isin(listed)]
        if year is not None:
            chosen = chosen[chosen["year"].eq(year)]
        if chosen.empty:
            of = f" of {year}" if year is not None else ""
            raise NoLocality(what, f"no CMS PFS release{of} on file has its county list "
                             "(import it with the release's yyLOCCO file)")  # fmt: skip
        row = chosen.iloc[-1]
        rules = _of_release(conn, c, int(row["release_id"]))
        found = localities.find_locality(rules, state, county, _label(row))
        gpcis = _of_release(conn, tables.cms_pfs_gpcis, int(row["release_id"]))
        anes = _of_release(conn, tables.cms_pfs_anesthesia, int(row["release_id"]))
    name = gpcis.loc[gpcis["locality"].eq(found), "locality_name"]
    cf = anes.loc[anes["locality"].eq(found), "anes_cf_x10000"]
    return Placed(
        found, str(name.iloc[0]) if len(name) else "", _label(row),
        int(cf.iloc[0]) if len(cf) else None,
    )  # fmt: skip


def anesthesia_cf(conn: Connection, locality: str, day: dt.date) -> tuple[int, str]:
    """The anesthesia conversion factor x10000 of ``locality`` on ``day``, and the release
    it is from ("CMS PFS 2025D"): the release in force that day must hold its ANES file.
    An earlier release's factor is never used instead: CMS changed it mid-year (2024)."""
    what = f"anesthesia conversion factor of {locality} on {day}"
    on_file = releases(conn)
    stamp_day = pd.Timestamp(day)
    ended = on_file["effective_to"].isna() | (on_file["effective_to"] > stamp_day)
    now = on_file[(on_file["effective_from"] <= stamp_day) & ended]
    if now.empty:
        raise NoLocality(what, "no CMS PFS release on file is in force then")
    row = now.iloc[-1]
    anes = _of_release(conn, tables.cms_pfs_anesthesia, int(row["release_id"]))
    if anes.empty:
        raise NoLocality(what, f"{_label(row)}, in force then, was imported without its "
                         "anesthesia factors (ANESyyyy)")  # fmt: skip
    cf = anes.loc[anes["locality"].eq(locality), "anes_cf_x10000"]
    if cf.empty:
        raise NoLocality(what, f"{_label(row)} has no anesthesia factor for it")
    return int(cf.iloc[0]), _label(row)
