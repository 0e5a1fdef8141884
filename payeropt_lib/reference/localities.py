"""CMS's county list (``yyLOCCO``) and anesthesia conversion factors (``ANESyyyy``), read
as CMS publishes them in a PFS release, and a county placed in its Medicare locality.

Both come as CSV and fixed-width TXT. What the files really say (RVU25D, read whole):

- **LOCCO CSV**: a title row, a header (``Medicare Adminstrative Contractor`` [sic],
  ``Locality Number``, ``State``, ``Fee Schedule Area``, ``Counties``), then data rows with
  blank spacer rows between states; MAC and locality numbers lose their leading zeros
  (``2102`` for 02102, ``0`` for 00); the state is written on a state's first row only
  (later rows leave it blank, one holds a single space); a closing ``*`` footnote row.
- **LOCCO TXT**: the same rows at fixed columns (zeros kept), but the county list is cut at
  58 characters (``BROWARD, COLLIER, INDIAN RIVER, LEE, MARTIN, PALM BEACH, A``), so a
  list that fills its field may be incomplete.
- County lists are names joined by ``,``, ``/``, ``AND`` and ``;`` (``MARIN``, ``DADE AND
  MONROE``, ``SAN FRANCISCO/ALAMEDA/...``), or CMS's words for the rest: ``ALL COUNTIES``,
  ``ALL COUNTY EQUIVALENTS``, ``ALL COUNTIES, EXCEPT ...``, ``ALL OTHER COUNTIES``, ``ALL
  OTHER COUNTIES EXCEPT ...``; the DC row names counties of other states (``...; FALLS
  CHURCH CITY IN VIRGINIA; MONTGOMERY AND PRINCE GEORGE'S IN MARYLAND``) and one row is
  two states (``HAWAII/GUAM``). A row may appear twice (05302-99, served by two carriers).
  The two layouts do not spell every name alike (the CSV's ``LOS ANGELES /ORAGNGE CNTY``
  is the TXT's ``LOS ANGELES/ORANGE``): each name either layout gives is kept.
- **ANES CSV**: ``Contractor, Locality, Locality Name, National Anes CF of 20.3178``, the
  fields padded with trailing spaces, names marked ``*`` / ``**`` (footnotes), a last row of
  commas. **ANES TXT**: fixed columns, the name cut at 40 characters, the conversion factor
  without its decimal point (``1931`` = 19.31), the file ending with a ^Z byte.

Each reader refuses a file it cannot read whole with ``CmsFileError`` naming the file, the
line and the field. ``county_rules`` turns the rows into what a lookup needs, one row per
(locality, state, kind, county): ``named`` (the county is in the locality), ``all`` (every
county of the state but its ``except`` rows), ``rest`` (every county no other row of the
state names, but its ``except`` rows); ``complete`` is False where a cut list may have lost
names. ``find_locality`` answers from those rows.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from payeropt_lib.errors import CmsFileError, NoLocality

# USPS codes of the states and territories CMS's county list names (written out, as there).
STATES: dict[str, str] = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "GUAM": "GU", "IDAHO": "ID",
    "ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY",
    "LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA",
    "MICHIGAN": "MI", "MINNESOTA": "MN", "MISSISSIPPI": "MS", "MISSOURI": "MO",
    "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV", "NEW HAMPSHIRE": "NH",
    "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY", "NORTH CAROLINA": "NC",
    "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
    "PENNSYLVANIA": "PA", "PUERTO RICO": "PR", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC",
    "SOUTH DAKOTA": "SD", "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT",
    "VIRGIN ISLANDS": "VI", "VIRGINIA": "VA", "WASHINGTON": "WA", "WEST VIRGINIA": "WV",
    "WISCONSIN": "WI", "WYOMING": "WY", "AMERICAN SAMOA": "AS",
    "NORTHERN MARIANA ISLANDS": "MP",
}  # fmt: skip
# Names people write that CMS's list spells otherwise (the county renamed in 1997).
COUNTY_ALIASES = {"MIAMI-DADE": "DADE"}

LOCCO_COLUMNS = ["line", "locality", "state", "area", "counties", "cut"]
RULE_COLUMNS = ["locality", "state", "kind", "county", "complete"]
ANES_COLUMNS = ["line", "locality", "locality_name", "anes_cf_x10000"]
KINDS = ("named", "all", "rest", "except")

# LOCCO TXT record (0-based slices; the county list runs to the end, 58 characters at most).
_LOCCO_TXT = {"mac": (0, 12), "number": (12, 22), "state": (22, 45), "area": (45, 143)}
_LOCCO_COUNTIES_AT, _LOCCO_COUNTIES_WIDTH = 143, 58
# ANES TXT record: MAC, locality, name (cut at 40), the CF in cents without its point.
_ANES_TXT = {"mac": (0, 5), "gap1": (5, 12), "number": (12, 14), "gap2": (14, 18),
             "name": (18, 58), "cf": (58, None)}  # fmt: skip
_ANES_NAME_WIDTH = 40

_ALL = re.compile(r"^ALL (OTHER )?(?:COUNTIES|COUNTY EQUIVALENTS)\s*,?\s*(?:EXCEPT\s+(.+))?$")
_IN_STATE = re.compile(r"^(.+?)\s+IN\s+([A-Z][A-Z .]+)$")
_SEPARATORS = re.compile(r"\s*(?:,|/|\bAND\b)\s*")


def _lines(path: Path) -> list[str]:
    """The file's lines, ASCII only; a ^Z (old DOS end-of-file) is allowed as the last
    byte and dropped."""
    raw = path.read_bytes()
    if raw.endswith(b"\x1a"):
        raw = raw[:-1]
    for number, line in enumerate(raw.split(b"\n"), start=1):
        bad = next((b for b in line if b > 127 or (b < 32 and b not in (9, 13))), None)
        if bad is not None:
            raise CmsFileError(path.name, number, "file", f"byte 0x{bad:02x} is not ASCII text")
    return raw.decode("ascii").replace("\r\n", "\n").split("\n")


def _csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(_lines(path)))


def _upper(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().upper()


def _digits(text: str, low: int, high: int, path: Path, line: int, field: str) -> str:
    value = text.strip()
    if not re.fullmatch(rf"\d{{{low},{high}}}", value):
        raise CmsFileError(path.name, line, field, f"{value!r} is not {low}-{high} digits")
    return value


def _state_codes(name: str, path: Path, line: int) -> str:
    """'TEXAS' -> 'TX'; 'HAWAII/GUAM' -> 'HI/GU' (a row of two states)."""
    parts = [_upper(p) for p in name.split("/")]
    unknown = [p for p in parts if p not in STATES]
    if unknown:
        raise CmsFileError(path.name, line, "State", f"{unknown[0]!r} is not a state CMS names")
    return "/".join(STATES[p] for p in parts)


# --------------------------------------------------------------------------- LOCCO


def read_locco(path: Path | str) -> pd.DataFrame:
    """CMS's county list, CSV or fixed-width TXT: one row per data row, in file order.

    Returns line (int, the line in the file), locality ('MMMMM-LL', zeros restored),
    state (USPS code; 'HI/GU' for a row of two; a continuation row takes the row above's;
    None for a block whose first row names none: the TXT never writes CALIFORNIA),
    area (the fee schedule area), counties (the list as CMS wrote it, upper case, blanks
    collapsed) and cut (bool: the TXT's field is full, so the list may go on).
    """
    path = Path(path)
    csv_layout = path.suffix.lower() == ".csv"
    rows = _locco_csv(path) if csv_layout else _locco_txt(path)
    if not rows:
        raise CmsFileError(path.name, None, "file", "no county rows")
    frame = pd.DataFrame(rows, columns=LOCCO_COLUMNS)
    return frame.astype({"line": "int64", "cut": "bool"})


def _locco_row(path: Path, line: int, fields: dict[str, str], state: str | None) -> list:
    mac = _digits(fields["mac"], 4, 5, path, line, "Medicare Administrative Contractor")
    number = _digits(fields["number"], 1, 2, path, line, "Locality Number")
    named = fields["state"].strip()
    if named:
        state = _state_codes(named, path, line)
    area, counties = _upper(fields["area"]), _upper(fields["counties"])
    for field, value in (("Fee Schedule Area", area), ("Counties", counties)):
        if not value:
            raise CmsFileError(path.name, line, field, "blank")
    return [line, f"{mac.zfill(5)}-{number.zfill(2)}", state, area, counties, False]


def _locco_csv(path: Path) -> list[list]:
    table = _csv_rows(path)
    head = next((i for i, r in enumerate(table) if r and _upper(r[0]).startswith("MEDICARE ADM")),
                None)  # fmt: skip
    if head is None:
        raise CmsFileError(path.name, None, "header", "no 'Medicare Adminstrative Contractor' row")
    names = [_upper(c) for c in table[head]]
    wanted = {"mac": "MEDICARE ADM", "number": "LOCALITY", "state": "STATE",
              "area": "FEE SCHEDULE AREA", "counties": "COUNTIES"}  # fmt: skip
    at = {}
    for key, start in wanted.items():
        found = [i for i, n in enumerate(names) if n.startswith(start)]
        if len(found) != 1:
            raise CmsFileError(path.name, head + 1, "header", f"no one column {start!r}")
        at[key] = found[0]
    rows, state = [], None
    for number, row in enumerate(table[head + 1 :], start=head + 2):
        if not any(c.strip() for c in row):
            state = None  # CMS's spacer rows: a state's block ends
            continue
        if row[0].strip().startswith("*"):
            continue  # a footnote ("*  Payment locality is serviced by two carriers.")
        if len(row) <= max(at.values()):
            fields = f"{len(row)} fields, not {len(names)}"
            raise CmsFileError(path.name, number, "Counties", fields)
        out = _locco_row(path, number, {k: row[i] for k, i in at.items()}, state)
        state = out[2]
        rows.append(out)
    return rows


def _locco_txt(path: Path) -> list[list]:
    lines = _lines(path)
    head = next((i for i, t in enumerate(lines) if _upper(t).startswith("MEDICARE ADM")), None)
    if head is None:
        reason = "no 'Medicare Adminstrative Contractor' line"
        raise CmsFileError(path.name, None, "header", reason)
    rows, state = [], None
    for number, text in enumerate(lines[head + 1 :], start=head + 2):
        text = text.rstrip("\r")
        if not text.strip() or text.lstrip().startswith("*"):
            state = None  # spacer lines (a state's block ends); the footnote
            continue
        if len(text) <= _LOCCO_COUNTIES_AT or text[_LOCCO_COUNTIES_AT - 1] != " ":
            raise CmsFileError(
                path.name, number, "Counties", f"not at column {_LOCCO_COUNTIES_AT + 1}"
            )
        fields = {k: text[a:b] for k, (a, b) in _LOCCO_TXT.items()}
        fields["counties"] = text[_LOCCO_COUNTIES_AT:]
        out = _locco_row(path, number, fields, state)
        state = out[2]
        # CMS trims the trailing blank: a list that reaches the field's last column, or
        # the one before, may have been cut.
        out[5] = len(fields["counties"].rstrip()) >= _LOCCO_COUNTIES_WIDTH - 1
        rows.append(out)
    return rows


def county_key(name: str) -> str:
    """A county name as the lookup compares it: upper case, blanks collapsed, 'COUNTY' /
    'CNTY' / 'PARISH' dropped, 'SAINT' and 'ST' written 'ST.' (``COUNTY_ALIASES`` too)."""
    text = _upper(name).strip("* ")
    text = re.sub(r"\bSAINT\b\.?|\bST\b\.?", "ST.", text)
    text = re.sub(r"\s+(?:COUNTY|COUNTIES|CNTY|CNTYS|PARISH)$", "", text).strip()
    return COUNTY_ALIASES.get(text, text)


def county_rules(rows: pd.DataFrame, name: str) -> pd.DataFrame:
    """``read_locco`` rows as lookup rules (``RULE_COLUMNS``), plus ``row`` (the data
    row's position) and ``cut`` (that row's list may be cut), for merging layouts.
    ``name`` is the file's, for errors."""
    out = []
    for i, row in enumerate(rows.itertuples(index=False)):  # ~100 rows a release
        segments = [s.strip() for s in row.counties.split(";") if s.strip()]
        for j, segment in enumerate(segments):
            last = j == len(segments) - 1
            states = row.state.split("/")
            within = _IN_STATE.match(segment)
            if within and within.group(2) in STATES:
                segment, states = within.group(1), [STATES[within.group(2)]]
            elif row.cut and last and len(segments) > 1:
                # Its "IN <STATE>" may be what was cut: its state is not known, so no
                # state's other counties can be placed for sure ('*', complete False).
                out.append((i, bool(row.cut), row.locality, "*", "named", "", False))
                continue
            complete = not (row.cut and last)
            whole = _ALL.match(segment)
            if whole:
                kind = "rest" if whole.group(1) else "all"
                listed = _names(whole.group(2) or "", row.cut and last)
                items = [(kind, "")] + [("except", n) for n in listed]
            elif segment.startswith("ALL "):
                raise CmsFileError(name, int(row.line), "Counties", f"{segment!r}: not read")
            else:
                items = [("named", n) for n in _names(segment, row.cut and last)]
            for state in states:
                out += [(i, bool(row.cut), row.locality, state, k, n, complete) for k, n in items]
    frame = pd.DataFrame(out, columns=["row", "cut", *RULE_COLUMNS])
    frame = frame.drop_duplicates(ignore_index=True)
    _check_rules(frame, rows, name)
    return frame


def _names(text: str, cut: bool) -> list[str]:
    """The county names of a list; of a cut one, the last name only if a separator
    follows it (else it may be a piece of a name)."""
    pieces = [p for p in _SEPARATORS.split(text.strip())]
    if cut and pieces:
        pieces = pieces[:-1]  # '' after a closing ',', else the piece that may be cut
    return [county_key(p) for p in pieces if p.strip()]


def _check_rules(rules: pd.DataFrame, rows: pd.DataFrame, name: str) -> None:
    """A county named by two localities of a state, or a state with two 'all' rows of
    different localities, cannot be looked up: refused, naming the row."""
    known = rules[rules["state"].ne("*")]  # '*': a cut row's state is not known
    named = known[known["kind"].eq("named")].drop_duplicates(["locality", "state", "county"])
    twice = named[named.duplicated(["state", "county"], keep=False)]
    wide = known[known["kind"].isin(["all", "rest"])].drop_duplicates(["locality", "state"])
    both = wide[wide.duplicated(["state"], keep=False)]
    for clash, what in ((twice, "names {county} of {state} in two localities"),
                        (both, "gives {state}'s other counties to two localities")):  # fmt: skip
        if len(clash):
            first = clash.iloc[-1]
            line = int(rows["line"].iloc[int(first["row"])])
            raise CmsFileError(name, line, "Counties", what.format(**first.to_dict()))


def agreeing_rules(
    read: list[tuple[str, pd.DataFrame]], gpci_states: dict[str, str]
) -> pd.DataFrame:
    """The lookup rules of one release's county list given in one or both layouts
    ((file name, ``read_locco`` rows) each). Both must list the same localities in the same
    order with the same states (where both name one) and the same kind of list; each name
    either gives is kept, and a row is complete if either layout's is. A row whose state
    neither names takes its locality's from ``gpci_states`` (the release's GPCI file:
    locality -> USPS code)."""
    first_name, first = read[0]
    states = first["state"].copy()
    for other_name, other in read[1:]:
        if len(other) != len(first):
            raise CmsFileError(other_name, None, "file", f"{len(other)} county rows, "
                               f"{first_name} has {len(first)} (same release)")  # fmt: skip
        for a, b in zip(first.itertuples(index=False), other.itertuples(index=False), strict=True):
            kind_a = a.counties.startswith("ALL ") and a.counties[:9]
            kind_b = b.counties.startswith("ALL ") and b.counties[:9]
            state_a = b.state if pd.isna(a.state) else a.state
            state_b = a.state if pd.isna(b.state) else b.state
            if (a.locality, state_a, kind_a) != (b.locality, state_b, kind_b):
                raise CmsFileError(
                    other_name, int(b.line), "Counties",
                    f"{b.locality} {b.state} does not agree with {first_name} line {a.line} "
                    f"({a.locality} {a.state})",
                )  # fmt: skip
        states = states.where(states.notna(), other["state"].to_numpy())
    # A block no layout names the state of: the GPCI file's state of its locality.
    for name, rows in read:
        unknown = states.isna() & ~rows["locality"].isin(gpci_states)
        if unknown.any():
            at = int(np.flatnonzero(unknown)[0])
            reason = f"blank, and the GPCI file has no {rows['locality'].iloc[at]}"
            raise CmsFileError(name, int(rows["line"].iloc[at]), "State", reason)
    states = states.where(states.notna(), first["locality"].map(gpci_states))
    parts = [county_rules(rows.assign(state=states.to_numpy()), name) for name, rows in read]
    rules = pd.concat(parts, ignore_index=True)
    # A row one layout gives whole is whole: the other's cut loses nothing.
    whole = ~rules.groupby("row")["cut"].transform("min").astype(bool)
    rules["complete"] = rules["complete"] | whole
    rules = rules[~(rules["state"].eq("*") & rules["complete"])]  # a layout said it whole
    return rules[RULE_COLUMNS].drop_duplicates(ignore_index=True)


def find_locality(rules: pd.DataFrame, state: str, county: str, release: str) -> str:
    """The locality of ``county`` in ``state`` (USPS code or name) by a release's rules
    (``RULE_COLUMNS``). A county the list names is its locality's; else the state's
    ``all`` row, else its ``rest`` row, unless that row excepts it. Refused (``NoLocality``)
    where the list does not say, or where a cut list leaves the answer unsure."""
    code = _upper(state)
    code = STATES.get(code, code)
    key = county_key(county)
    what = f"{key}, {code} in {release}'s county list"
    ours = rules[rules["state"].eq(code)]
    if ours.empty:
        raise NoLocality(what, f"{code!r} is not a state or territory the list names")
    named = ours.loc[ours["kind"].eq("named") & ours["county"].eq(key), "locality"].unique()
    if len(named):
        return str(named[0])  # one at most: county_rules refuses a county named twice
    excepted = set(ours.loc[ours["kind"].eq("except") & ours["county"].eq(key), "locality"])
    unsure = pd.concat([ours, rules[rules["state"].eq("*")]])
    if not unsure["complete"].all():
        cut = ", ".join(sorted(set(unsure.loc[~unsure["complete"], "locality"])))
        raise NoLocality(what, f"not named where the list is whole, and the list of {cut} "
                         "is cut off in CMS's TXT; import the CSV of the release too")  # fmt: skip
    for kind in ("all", "rest"):
        wide = ours.loc[ours["kind"].eq(kind), "locality"]
        wide = wide[~wide.isin(excepted)].unique()
        if len(wide):
            return str(wide[0])
    raise NoLocality(what, "no row of the list covers it")


# --------------------------------------------------------------------------- ANES


def read_anes(path: Path | str) -> pd.DataFrame:
    """CMS's anesthesia conversion factors, CSV or fixed-width TXT (``ANES_COLUMNS``):
    line (int), locality ('MMMMM-LL'), locality_name (as written, footnote marks kept:
    the TXT cuts it at 40 characters) and anes_cf_x10000 (int64, CF x 10000, exact)."""
    path = Path(path)
    rows = _anes_csv(path) if path.suffix.lower() == ".csv" else _anes_txt(path)
    if not rows:
        raise CmsFileError(path.name, None, "file", "no anesthesia conversion factors")
    frame = pd.DataFrame(rows, columns=ANES_COLUMNS).astype(
        {"line": "int64", "anes_cf_x10000": "int64"}
    )
    twice = frame[frame["locality"].duplicated()]
    if len(twice):
        first = twice.iloc[0]
        raise CmsFileError(path.name, int(first["line"]), "Locality", f"{first['locality']} twice")
    return frame


def _anes_csv(path: Path) -> list[list]:
    table = _csv_rows(path)
    if not table or _upper(table[0][0]) != "CONTRACTOR" or len(table[0]) < 4:
        reason = "not 'Contractor, Locality, Locality Name, National Anes CF'"
        raise CmsFileError(path.name, 1, "header", reason)
    rows = []
    for number, row in enumerate(table[1:], start=2):
        if not any(c.strip() for c in row):
            continue  # the closing row of commas
        if len(row) != len(table[0]):
            fields = f"{len(row)} fields, not {len(table[0])}"
            raise CmsFileError(path.name, number, "file", fields)
        mac = _digits(row[0], 4, 5, path, number, "Contractor")
        loc = _digits(row[1], 1, 2, path, number, "Locality")
        name = _upper(row[2])
        cf = row[3].strip()
        if not name:
            raise CmsFileError(path.name, number, "Locality Name", "blank")
        match = re.fullmatch(r"(\d{1,3})\.(\d{1,4})", cf)
        if not match:
            raise CmsFileError(path.name, number, "Anes CF", f"{cf!r} is not like 19.31")
        x10000 = int(match.group(1)) * 10000 + int(match.group(2).ljust(4, "0"))
        rows.append([number, f"{mac.zfill(5)}-{loc.zfill(2)}", name, x10000])
    return rows


def _anes_txt(path: Path) -> list[list]:
    rows = []
    for number, text in enumerate(_lines(path), start=1):
        text = text.rstrip("\r")
        if not text.strip():
            continue
        f = {k: text[a:b] for k, (a, b) in _ANES_TXT.items()}
        if f["gap1"].strip() or f["gap2"].strip():
            raise CmsFileError(path.name, number, "record", "not CMS's fixed columns")
        mac = _digits(f["mac"], 5, 5, path, number, "Contractor")
        loc = _digits(f["number"], 2, 2, path, number, "Locality")
        cents = _digits(f["cf"], 3, 5, path, number, "Anes CF")  # 1931 = 19.31
        name = _upper(f["name"])
        if not name:
            raise CmsFileError(path.name, number, "Locality Name", "blank")
        rows.append([number, f"{mac}-{loc}", name, int(cents) * 100])
    return rows


def agreeing_anesthesia(read: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """One release's anesthesia factors from one or both layouts: the same localities and
    factors in the same order, the TXT's name the first 40 characters of the CSV's
    (footnote marks aside). The whole names are kept (the CSV's, where given), footnote
    marks dropped."""
    read = sorted(read, key=lambda item: not item[0].lower().endswith(".csv"))  # CSV first
    first_name, first = read[0]
    for other_name, other in read[1:]:
        same = (
            len(other) == len(first)
            and (
                other[["locality", "anes_cf_x10000"]].to_numpy()
                == first[["locality", "anes_cf_x10000"]].to_numpy()
            ).all()
        )
        if not same:
            at = _first_difference(first, other, ["locality", "anes_cf_x10000"])
            raise CmsFileError(other_name, at, "Anes CF", f"does not agree with {first_name}")
        # The TXT leaves out the CSV's footnote marks ('ALASKA*') and cuts at 40.
        cut = first["locality_name"].str.replace("*", "").str.slice(0, _ANES_NAME_WIDTH)
        own = other["locality_name"].str.replace("*", "").str.strip().to_numpy()
        differ = np.flatnonzero(cut.str.strip().to_numpy() != own)
        if len(differ):
            line = int(other["line"].iloc[differ[0]])
            reason = f"does not agree with {first_name}"
            raise CmsFileError(other_name, line, "Locality Name", reason)
    out = first[["locality", "locality_name", "anes_cf_x10000"]].copy()
    out["locality_name"] = out["locality_name"].str.replace("*", "").str.strip()
    return out


def _first_difference(a: pd.DataFrame, b: pd.DataFrame, columns: list[str]) -> int | None:
    n = min(len(a), len(b))
    for i in range(n):  # a release's ~110 rows, once, on a refusal only
        if a[columns].iloc[i].tolist() != b[columns].iloc[i].tolist():
            return int(b["line"].iloc[i])
    if len(a) == len(b) or not len(b):
        return None
    return int(b["line"].iloc[min(n, len(b) - 1)])
