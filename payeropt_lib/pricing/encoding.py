"""The lines' strings as small integers, and the dates as day numbers.

The strings that price a line (payer, product line, code, modifiers, place of service) are
dictionary-encoded once, in slices on all cores, each slice numbered against one vocabulary
per column, so the rest of the engine works on small integers (``Found``). The pricing
modifier and the site are worked out once per distinct modifier string and place of
service (``reference.modifiers``, ``reference.place_of_service``). Dates become int32 days
since 1970-01-01. The rate tables read their strings and dates through the same helpers
(``arrow_strings``, ``to_days``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.pricing import engine_runtime as runtime
from payeropt_lib.pricing.engine_runtime import take
from payeropt_lib.reference.modifiers import PRICING_MODIFIERS, pricing_modifier
from payeropt_lib.reference.place_of_service import is_facility


@dataclass
class Found:
    """The lines' strings as small integers (dictionary codes), in input order."""

    n: int
    payer: np.ndarray  # int16 (or int32) into payers
    payers: list  # the lines' payer_ids (None for NA)
    pl: np.ndarray  # int16 (or int32) into pls
    pls: list[str]  # the lines' product lines, '' for none; '' is always there
    blank: int  # position of '' in pls
    code: np.ndarray  # int16 (or int32) into codes
    codes: list  # the lines' procedure codes (None for NA)
    pm: np.ndarray  # int8: 0 '', 1 '26', 2 'TC'
    facility: np.ndarray  # bool
    day: np.ndarray  # int32 days since 1970-01-01 (0 where NaT)
    nat: np.ndarray  # bool: no date of service


def encode(lines: pd.DataFrame, pool: ThreadPoolExecutor) -> Found:
    """Dictionary-encode the strings that price a line and read the dates: each column in
    slices, on all threads, each slice numbered against one vocabulary per column."""
    n = len(lines)
    columns = {
        "payer": _Column(lines["payer_id"]),
        "pl": _Column(lines["product_line"], blank=True),
        "code": _Column(lines["procedure_code"]),
        "pm": _Column(lines["modifiers"], _pricing_modifier, np.int8),
        "facility": _Column(lines["place_of_service"], is_facility, np.bool_),
    }
    ints, per_day = _datetimes(lines["date_of_service"])
    day, nat = np.empty(n, np.int32), np.empty(n, bool)  # int32: ±5.8 million years

    def dates(a: int, b: int) -> None:
        np.equal(ints[a:b], np.iinfo(np.int64).min, out=nat[a:b])
        np.floor_divide(ints[a:b], per_day, out=day[a:b], casting="unsafe")

    def slices(column: _Column | None) -> list:
        work = dates if column is None else column.encode
        chunk = runtime.CHUNK  # read at call time: a test shrinks it
        return [pool.submit(work, a, min(a + chunk, n)) for a in range(0, n, chunk)]

    for future in [f for c in [*columns.values(), None] for f in slices(c)]:
        future.result()
    for column in columns.values():
        if column.overflow:  # pragma: no cover - more than 32,767 distinct values
            column.widen()
            for future in slices(column):
                future.result()
    if nat.any():
        day[nat] = 0
    pl = columns["pl"]
    pls = pl.vocabulary("")  # '' is always a product line: the blank rows' key
    return Found(
        n, columns["payer"].out, columns["payer"].vocabulary(), pl.out, pls, pls.index(""),
        columns["code"].out, columns["code"].vocabulary(), columns["pm"].out,
        columns["facility"].out, day, nat,
    )  # fmt: skip


class _Column:
    """A string column of the lines, encoded slice by slice (any thread) against one
    vocabulary: int16 codes (int32 past 32,767 values), or with ``function`` its value of
    each distinct string (``dtype``). NA is a value (None) of its own, '' with ``blank``."""

    def __init__(
        self,
        series: pd.Series,
        function: Callable | None = None,
        dtype: type = np.int16,
        blank: bool = False,
    ) -> None:
        self.function, self.blank, self.overflow = function, blank, False
        self.categories: list | None = None
        if isinstance(series.dtype, pd.CategoricalDtype):
            self.codes = series.cat.codes.to_numpy()  # -1 = NA: reads the last, None
            self.categories = [None if pd.isna(v) else str(v) for v in series.cat.categories]
            self.categories.append(None)
        else:
            self.strings = arrow_strings(series)
        self.values: list = []
        self.index: dict = {}
        self.lock = threading.Lock()
        self.out = np.empty(len(series), dtype)

    def widen(self) -> None:  # pragma: no cover - see encode
        self.out, self.overflow = self.out.astype(np.int32), False

    def vocabulary(self, *always: str) -> list:
        for value in always:
            self._ids([value])
        return self.values

    def _ids(self, values: list) -> np.ndarray:
        if self.function is not None:
            return np.array([self.function(v) for v in values], dtype=self.out.dtype)
        if self.blank:
            values = ["" if v is None else v for v in values]
        with self.lock:
            ids = []
            for value in values:
                at = self.index.get(value)
                if at is None:
                    at = self.index[value] = len(self.values)
                    self.values.append(value)
                ids.append(at)
            self.overflow |= len(self.values) > np.iinfo(self.out.dtype).max
        return np.array(ids, dtype=np.int64)

    def encode(self, a: int, b: int) -> None:
        if self.categories is not None:
            parts, values = [self.codes[a:b]], self.categories
        else:
            piece = self.strings.slice(a, b - a)
            chunks = [c for c in pc.dictionary_encode(piece, null_encoding="encode").chunks]
            chunks = [c for c in chunks if len(c)]
            if not chunks:
                return
            # Arrow encodes a column's chunks against one dictionary, which the last chunk
            # holds whole. Should a version ever encode them apart, encode them as one.
            if any(len(c.dictionary) != len(chunks[-1].dictionary) for c in chunks):
                combined = pa.chunked_array([piece.combine_chunks()])  # pragma: no cover
                chunks = pc.dictionary_encode(combined, null_encoding="encode").chunks
            parts = [c.indices.to_numpy() for c in chunks]
            values = chunks[-1].dictionary.to_pylist()
        ids = self._ids(values)
        if self.overflow:
            return
        ids = ids.astype(self.out.dtype)
        for part in parts:
            take(ids, part, self.out[a : a + len(part)])
            a += len(part)


def _pricing_modifier(modifiers: str | None) -> int:
    """The code of the line's pricing modifier (``PRICING_MODIFIERS`` order)."""
    return PRICING_MODIFIERS.index(pricing_modifier(modifiers))


def arrow_strings(series: pd.Series) -> pa.ChunkedArray:
    """A column as Arrow strings (zero-copy for pandas' Arrow-backed str)."""
    try:
        column = pa.Table.from_pandas(series.to_frame(name="x"), preserve_index=False).column(0)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: their str, NA kept
        column = pa.chunked_array([pa.array([None if pd.isna(v) else str(v) for v in series])])
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.large_string())
    return column


def _arrow_encoded(column: pa.ChunkedArray) -> tuple[list[np.ndarray], list]:
    chunks = [c for c in pc.dictionary_encode(column, null_encoding="encode").chunks if len(c)]
    if not chunks:
        return [], []
    # Arrow encodes the chunks of a column against one growing dictionary: the last chunk's
    # holds every value. Should a version ever encode chunks apart, encode them as one.
    size = len(chunks[-1].dictionary)
    if any(len(c.dictionary) != size for c in chunks):  # pragma: no cover - defensive
        return _arrow_encoded(pa.chunked_array([column.combine_chunks()]))
    return [c.indices.to_numpy() for c in chunks], chunks[-1].dictionary.to_pylist()


def arrow_dictionary(column: pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """(int32 codes, values) of Arrow strings; NA is a value (None) of its own."""
    parts, values = _arrow_encoded(column)
    return _flat(parts, len(column)), values


def _flat(parts: list[np.ndarray], n: int) -> np.ndarray:
    """The per-chunk codes as one int32 array."""
    out = np.empty(n, np.int32)
    at = 0
    for part in parts:
        out[at : at + len(part)] = part
        at += len(part)
    return out


def _datetimes(values: pd.Series) -> tuple[np.ndarray, int]:
    """The dates as int64 (NaT = int64 min) in their unit, and that unit's count per day."""
    if not pd.api.types.is_datetime64_dtype(values.dtype):
        values = pd.to_datetime(values)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    raw = np.asarray(values.to_numpy())
    per_day = int(np.timedelta64(1, "D") / np.timedelta64(1, np.datetime_data(raw.dtype)[0]))
    return raw.view(np.int64), per_day


def to_days(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 (int64, floor; 0 where NaT) and the NaT mask."""
    ints, per_day = _datetimes(values)
    nat = ints == np.iinfo(np.int64).min
    return np.where(nat, 0, ints // per_day), nat
