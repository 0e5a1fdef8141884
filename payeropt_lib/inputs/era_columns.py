"""Reading columns out of an 835's segments: element k of many segments at once, typed.

``EraFile`` holds one file's segments with their tag codes and loop contexts
(``era_loops.structure``) and what every extraction needs, computed once: element
positions, Arrow takes of many columns at once, dictionary codes so each distinct value is
parsed once. Money and quantities become exact integers (``decimal``), dates
``datetime64[ns]``; a bad value is recorded as a problem naming its segment, and the file
is refused with the first one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.errors import X12Error

from . import x12
from .era_loops import OUTSIDE, WIDTH, T, element

# pandas keeps strings as Arrow large_string: reading the file as such saves a cast per column.
TEXT = pa.large_string()
# X12 decimal: optional minus, digits, optional point; trailing zeros past the cents are
# fine ('12.500'), any other digit there is a fraction of a cent and is refused.
_DECIMAL = re.compile(r"(-?)([0-9]*)(?:\.([0-9]*))?")

STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str", looked up once


@dataclass
class EraFile:
    """The segments of one file with what every extraction needs, precomputed once."""

    segments: x12.Segments
    code: np.ndarray  # tag code per segment (OTHER for unknown tags)
    context: np.ndarray  # loop context per segment
    offsets: np.ndarray
    values: pa.Array
    vlen: np.ndarray  # length of every element
    problems: list[X12Error] = field(default_factory=list)
    build: bool = True  # False: only look for problems (the file is refused anyway)
    bounds: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    fetched: dict[tuple[int, int], tuple[np.ndarray, pa.Array]] = field(default_factory=dict)
    encoded: dict[int, tuple[pa.Array, np.ndarray, list[str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, segments: x12.Segments, code: np.ndarray, context: np.ndarray) -> EraFile:
        """The file from its segments, tag codes and loop contexts (``era_loops.structure``)."""
        return cls(
            segments,
            code,
            context,
            segments.offsets,
            segments.values.cast(TEXT),
            pc.binary_length(segments.values).to_numpy(),
        )

    @property
    def name(self) -> str:
        return self.segments.name

    def where(self, tag: str, context: tuple[int, ...] | None = None) -> np.ndarray:
        """Indices of the segments with this tag (in these contexts)."""
        index = np.flatnonzero(self.code == T[tag])
        if context is not None:
            wanted = np.zeros(OUTSIDE + 1, dtype=bool)
            wanted[list(context)] = True
            index = index[wanted[self.context[index]]]
        return index

    def _bounds(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and end element position of each segment (-1: none, an empty range);
        cached because each column of a frame asks again for the same segments."""
        cached = self.bounds.get(id(index))
        if cached is not None and cached[0] is index:
            return cached[1], cached[2]
        safe = np.maximum(index, 0)
        start = self.offsets[safe]
        end = np.where(index >= 0, self.offsets[safe + 1], start)
        self.bounds[id(index)] = (index, start, end)
        return start, end

    def at(self, index: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``values`` of element k of the segments ``index`` (-1: none), and
        whether that element is there and not empty."""
        start, end = self._bounds(index)
        pos = start + k
        has = pos < end
        pos = np.where(has, pos, 0)
        return pos, has & (self.vlen[pos] > 0)

    def text(self, index: np.ndarray, k: int) -> pa.Array:
        """Element k of the segments ``index`` as strings; null where absent or empty."""
        hit = self.fetched.get((id(index), k))
        if hit is not None and hit[0] is index:
            return hit[1]
        pos, ok = self.at(index, k)
        return self.values.take(pa.array(pos, mask=~ok))

    def fetch(self, wanted: list[tuple[np.ndarray, tuple[int, ...]]]) -> None:
        """Read many (segments, element) columns with one Arrow ``take``; ``text`` then
        returns zero-copy slices. Each take costs a fixed overhead that small files feel."""
        located = [(index, k, *self.at(index, k)) for index, ks in wanted for k in ks]
        if not located:
            return
        pos = np.concatenate([p for _, _, p, _ in located])
        ok = np.concatenate([o for _, _, _, o in located])
        taken = self.values.take(pa.array(pos, mask=~ok))
        start = 0
        for index, k, p, _ in located:
            self.fetched[(id(index), k)] = (index, taken.slice(start, len(p)))
            start += len(p)

    def strings(self, array: pa.Array) -> pd.api.extensions.ExtensionArray | pa.Array:
        """A pandas ``str`` column, or the Arrow array as is when no frame is built."""
        return _strings(array) if self.build else array

    def qualified(self, index: np.ndarray, value: str) -> np.ndarray:
        """The segments of ``index`` whose element 1 (qualifier) is ``value``."""
        lookup, codes = self.segments.qualifier_codes
        return index[codes[index] == lookup.get(value, -2)]

    def count(self, index: np.ndarray) -> np.ndarray:
        """Number of elements (tag included) of the segments ``index``."""
        return self.offsets[index + 1] - self.offsets[index]

    def frame(self, columns: dict[str, object]) -> pd.DataFrame | None:
        return pd.DataFrame(columns) if self.build else None

    def problem(self, index: int, tag: str, reason: str) -> None:
        self.problems.append(X12Error(self.name, int(index) + 1, tag, reason))

    def value(self, index: int, k: int) -> str:
        return element(self.segments, index, k)

    # --- typed columns ----------------------------------------------------------------

    def encode(self, arrays: list[pa.Array]) -> None:
        """Dictionary-encode several string columns in one Arrow call; ``decimals`` and
        ``dates`` then reuse the codes (values repeat: each is parsed once)."""
        if not arrays:
            return
        joined = pa.concat_arrays(arrays) if len(arrays) > 1 else arrays[0]
        encoded = pc.dictionary_encode(joined)
        distinct = encoded.dictionary.to_pylist()
        codes = pc.fill_null(encoded.indices, len(distinct)).to_numpy()
        start = 0
        for array in arrays:
            self.encoded[id(array)] = (array, codes[start : start + len(array)], distinct)
            start += len(array)

    def _codes(self, strings: pa.Array) -> tuple[np.ndarray, list[str]]:
        """Per value, its index in the distinct values (len(distinct) for null)."""
        hit = self.encoded.get(id(strings))
        if hit is not None and hit[0] is strings:
            return hit[1], hit[2]
        self.encode([strings])
        return self.encoded[id(strings)][1:]

    def _parsed(self, strings: pa.Array, parse: Callable[[str], Any]) -> tuple:
        """(codes, distinct values, codes that parse, their values, codes that fail); only
        the distinct values this column uses are parsed."""
        codes, distinct = self._codes(strings)
        good, values, failed = [], [], []
        for code in np.unique(codes).tolist():
            if code < len(distinct):
                value = parse(distinct[code])
                if value is None:
                    failed.append(code)
                else:
                    good.append(code)
                    values.append(value)
        return codes, distinct, good, values, failed

    def decimals(
        self,
        strings: pa.Array,
        index: np.ndarray,
        label: str,
        tag: str,
        places: int = 2,
        optional: bool = False,
        nullable: bool = False,
    ) -> np.ndarray | pd.api.extensions.ExtensionArray:
        """Exact decimals → int64 × 10**places (``Int64`` with NA when ``nullable``).

        ``index`` holds each value's segment index, -1 where the segment is absent (NA,
        never a problem); an empty element of a present segment is a problem unless the
        element is ``optional``.
        """
        what = "an amount (at most 2 decimals)" if places == 2 else "a quantity"
        if places == 3:
            what += " (at most 3 decimals)"
        parse = partial(decimal, places=places)
        result, missing, bad = self._typed(
            strings, index, parse, np.int64(0), label, tag, what, optional
        )
        if not nullable:
            return result
        return pd.arrays.IntegerArray(result, missing | bad)

    def dates(
        self, strings: pa.Array, index: np.ndarray, label: str, tag: str, optional: bool = False
    ) -> np.ndarray:
        """CCYYMMDD → datetime64[ns] (NaT when absent); an impossible date is a problem, and
        so is an empty one in a present segment unless the element is ``optional``."""
        nat, what = np.datetime64("NaT", "ns"), "a date (CCYYMMDD)"
        days, _, _ = self._typed(strings, index, _date, nat, label, tag, what, optional)
        return days

    def _typed(
        self,
        strings: pa.Array,
        index: np.ndarray,
        parse: Callable[[str], Any],
        blank: np.generic,
        label: str,
        tag: str,
        what: str,
        optional: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``parse`` each distinct value once: (values, missing, bad), ``blank`` where a value
        is missing or bad. The first bad value is a problem ("LABEL 'x' is not WHAT"), and
        so is an empty one in a present segment unless ``optional``."""
        codes, distinct, good, values, failed = self._parsed(strings, parse)
        table = np.full(len(distinct) + 1, blank)
        table[good] = values
        missing = codes == len(distinct)
        bad = np.isin(codes, failed)
        if not optional:
            bad |= missing & (index >= 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            reason = (
                f"{label} is empty but required"
                if missing[row]
                else f"{label} {distinct[codes[row]]!r} is not {what}"
            )
            self.problem(index[row], tag, reason)
        return table[codes], missing, bad

    def coded(self, index: np.ndarray, k: int, allowed: tuple[str, ...], what: str) -> None:
        """Element k of the segments ``index``, where present and not empty, must be one of
        ``allowed``: the first that is not is a problem ("AMT01 'x' is not an amount
        qualifier"). One Arrow ``is_in`` over the column; element 1 reuses the qualifier
        codes of every segment. An empty required element is checked where it is read."""
        index = index[index >= 0]
        if not len(index):
            return
        if k == 1:
            lookup, codes = self.segments.qualifier_codes
            mine = codes[index]
            known = [lookup[v] for v in (*allowed, "") if v in lookup]
            bad = np.flatnonzero((mine >= 0) & ~np.isin(mine, known))
        else:
            text = self.text(index, k)  # null where absent or empty
            hit = pc.is_in(text, value_set=pa.array(allowed, TEXT))
            bad = np.flatnonzero(
                text.is_valid().to_numpy(zero_copy_only=False)
                & ~hit.to_numpy(zero_copy_only=False)
            )
        if len(bad):
            i = int(index[bad[0]])
            tag = self.segments.tags[i].as_py()
            self.problem(i, tag, f"{tag}{k:02d} {self.value(i, k)!r} is not {what}")

    def too_long(self, index: np.ndarray, tag: str) -> None:
        """A segment with more elements than the guide defines is a problem."""
        counts = self.count(index)
        over = np.flatnonzero(counts > WIDTH[tag])
        if len(over):
            elements = int(counts[over[0]]) - 1
            reason = f"{tag} has {elements} elements; the 835 defines {WIDTH[tag] - 1}"
            self.problem(index[over[0]], tag, reason)


def _strings(array: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Arrow strings → pandas ``str`` (null → NA), without a trip through Python."""
    return pd.arrays.ArrowStringArray(array, dtype=STR)


def decimal(text: str, places: int) -> int | None:
    """X12 decimal '123.45' → 12345 (places=2) exactly; None when not a decimal, longer than
    15 digits before the point, or a fraction of a cent (of a thousandth for places=3)."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        return None
    sign, whole, frac = match.groups()
    frac = frac or ""
    if not (whole or frac) or len(whole) > 15 or frac[places:].strip("0"):
        return None
    value = int(whole or "0") * 10**places + int(frac[:places].ljust(places, "0"))
    return -value if sign else value


def is_date(text: str) -> bool:
    """A real CCYYMMDD between 1700 and 2199."""
    return _date(text) is not None


def _date(text: str) -> np.datetime64 | None:
    """'20250305' → that day; None when not a real date between 1700 and 2199."""
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        return None
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return np.datetime64(day, "ns") if 1700 <= day.year < 2200 else None
