"""X12 tokens and envelope: delimiters from the ISA, segments, ISA/GS/ST nesting and counts.

``read(name, raw)`` splits a file into segments and elements and checks the envelope; it
knows nothing about the 835 (``era.py`` interprets the segments). Delimiters come from each
ISA: element separator = 4th character, repetition = ISA11 (from version 00402 on),
component = ISA16, segment terminator = the character after ISA16. Tolerated: a UTF-8 BOM,
whitespace or CR/LF after a terminator, a newline as the terminator itself, an
unterminated last segment, empty segments (ignored and not counted), several interchanges
in one file, each with its own delimiters.

Checked: the ISA is the fixed 106 characters; SE01 = segments from ST to SE; SE02 = ST02;
GE01 = number of ST; GE02 = GS06; IEA01 = number of GS; IEA02 = ISA13; every ST inside a
GS inside an ISA; nothing but an envelope segment outside ST..SE; nothing after IEA but
another ISA; no file ending inside an interchange; segment ids of 2-3 capitals/digits.

The splitting runs in Arrow (C++), not in a Python loop over segments: a remittance has
hundreds of thousands of segments and the envelope needs only a few of them. Every
problem is an ``X12Error(file, segment_number, segment_id, reason)``, segment numbers
1-based over the whole file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from payeropt_lib.errors import X12Error

logger = logging.getLogger(__name__)

ISA_LENGTH = 106  # with its terminator
# ISA01..ISA16 widths: the header is positional, so a wrong width moves every delimiter.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
ENVELOPE = ("ISA", "GS", "ST", "SE", "GE", "IEA")
OUTSIDE_ALLOWED = ("TA1",)  # interchange acknowledgment, between ISA and GS
WHITESPACE = " \t\r\n"
TRAILING_NOISE = WHITESPACE + "\x00\x1a"  # NUL padding, DOS end-of-file
UTF8_BOM = b"\xef\xbb\xbf"
_FIRST_WORD = re.compile(r"[A-Za-z0-9]{1,3}")
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")


@dataclass(frozen=True)
class Delimiters:
    """The separators one ISA declares."""

    element: str
    component: str
    segment: str
    repetition: str | None = None


@dataclass(frozen=True)
class Segments:
    """Every segment of a file, columnar; segment ``i`` (0-based) is segment number i + 1.

    ``elements`` holds each segment's elements, tag first (``elements[i].as_py()``);
    ``interchange[i]`` indexes ``delimiters``, the separators segment i was read with.
    """

    name: str
    elements: pa.ListArray
    interchange: np.ndarray
    delimiters: tuple[Delimiters, ...]

    def __len__(self) -> int:
        return len(self.elements)

    @cached_property
    def offsets(self) -> np.ndarray:
        """Start of each segment's elements in ``values`` (n + 1 entries)."""
        return self.elements.offsets.to_numpy().astype(np.int64)

    @property
    def values(self) -> pa.Array:
        """All elements of all segments, one flat string array."""
        return self.elements.values

    @cached_property
    def tags(self) -> pa.Array:
        return self.values.take(pa.array(self.offsets[:-1]))

    @cached_property
    def _tag_codes(self) -> tuple[list[str], np.ndarray]:
        encoded = pc.dictionary_encode(self.tags)  # a file has a few dozen distinct tags
        return encoded.dictionary.to_pylist(), encoded.indices.to_numpy()

    def codes(self, known: Sequence[str]) -> np.ndarray:
        """Per segment, the index of its tag in ``known`` (len(known) for any other tag)."""
        names, indices = self._tag_codes
        position = {tag: i for i, tag in enumerate(known)}
        lookup = np.array([position.get(tag, len(known)) for tag in names], dtype=np.int64)
        return lookup[indices] if len(names) else np.zeros(0, dtype=np.int64)

    @cached_property
    def qualifier_codes(self) -> tuple[dict[str, int], np.ndarray]:
        """Element 1 of every segment, dictionary-encoded: (value → code, code per segment);
        -1 where a segment has no element 1. Qualifier tests become integer compares."""
        offsets = self.offsets
        has = offsets[1:] - offsets[:-1] > 1
        index = pa.array(np.where(has, offsets[:-1] + 1, 0), mask=~has)
        encoded = pc.dictionary_encode(self.values.take(index))
        codes = pc.fill_null(encoded.indices, -1).to_numpy()
        return {v: i for i, v in enumerate(encoded.dictionary.to_pylist())}, codes

    def error_at_first(self, hits: np.ndarray, reason: Callable[[str], str]) -> list[X12Error]:
        """An error at the first segment index of ``hits``, ``reason`` worded from its tag:
        ``[X12Error]``, or ``[]`` when ``hits`` is empty."""
        if not len(hits):
            return []
        i = int(hits[0])
        tag = self.tags[i].as_py()
        return [X12Error(self.name, i + 1, tag, reason(tag))]

    def segment(self, i: int) -> list[str]:
        """Elements of segment index ``i`` as Python strings."""
        return self.elements[i].as_py()

    def as_lists(self) -> list[list[str]]:
        return self.elements.to_pylist()


def decode(raw: bytes) -> str:
    """Bytes → text: a UTF-8 BOM is dropped; bytes that are not UTF-8 are read as Latin-1.

    X12 is mostly ASCII; Latin-1 never fails, so a stray byte cannot crash the reader and
    the ISA positions stay character positions.
    """
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        logger.info("file is not UTF-8; reading it as Latin-1")
        return raw.decode("latin-1")


def _first_word(text: str) -> str:
    match = _FIRST_WORD.match(text)
    return match.group(0) if match else ""


def read_isa(name: str, text: str, pos: int = 0, number: int = 1) -> Delimiters:
    """Check the fixed-length ISA at ``text[pos:]`` and return its delimiters.

    ``number`` is the ISA's segment number, for the error.
    """
    head = text[pos : pos + ISA_LENGTH]
    if not head.startswith("ISA"):
        raise X12Error(name, number, _first_word(head), "expected an ISA interchange header")
    if len(head) < ISA_LENGTH:
        raise X12Error(
            name,
            number,
            "ISA",
            f"ISA is {len(head)} characters; the interchange header is fixed at "
            f"{ISA_LENGTH} (with its terminator)",
        )
    element = head[3]
    if element.isalnum() or element in WHITESPACE:
        raise X12Error(name, number, "ISA", f"element separator {element!r} is not usable")
    fields = head[4:103].split(element)
    if len(fields) != 15 or head[103] != element:
        raise X12Error(
            name,
            number,
            "ISA",
            f"ISA has {len(fields)} elements before ISA16 where 15 are fixed; the header "
            f"must be the fixed {ISA_LENGTH} characters",
        )
    for i, (field, width) in enumerate(zip(fields, ISA_WIDTHS, strict=False), start=1):
        if len(field) != width:
            raise X12Error(
                name,
                number,
                "ISA",
                f"ISA{i:02d} is {len(field)} characters, not {width}; the header must be the "
                f"fixed {ISA_LENGTH} characters",
            )
    component, segment = head[104], head[105]
    if component.isalnum() or component in (element, " "):
        raise X12Error(
            name, number, "ISA", f"ISA16 component separator {component!r} is not usable"
        )
    if segment.isalnum() or segment in (element, component, " ", "\t"):
        raise X12Error(
            name, number, "ISA", f"segment terminator {segment!r} (after ISA16) is not usable"
        )
    if segment in head[:105]:
        # A terminator inside a header field would cut the ISA short.
        raise X12Error(
            name, number, "ISA", "the segment terminator also occurs inside the ISA fields"
        )
    repetition: str | None = fields[10] if fields[11] >= "00402" else None
    if repetition is not None and (
        repetition.isalnum() or repetition in (element, component, segment, " ")
    ):
        repetition = None  # only matters to repeated elements, which the 835 reader never splits
    return Delimiters(element, component, segment, repetition)


def _split(body: str, delims: Delimiters) -> pa.ListArray:
    """One interchange's text → its non-empty segments, split into elements."""
    segments = pc.split_pattern(pa.array([body], pa.string()), delims.segment).values
    strip = "".join(c for c in WHITESPACE if c not in (delims.element, delims.component))
    segments = pc.utf8_ltrim(segments, characters=strip)  # CR/LF, indentation
    lengths = pc.binary_length(segments).to_numpy()
    keep = np.flatnonzero(lengths)
    if len(keep) != len(segments):
        segments = segments.take(pa.array(keep))
    return pc.split_pattern(segments, delims.element)


def _interchange_end(text: str, pos: int, end: int, delims: Delimiters) -> int:
    """Index just after the IEA segment that closes the interchange at ``pos`` (or ``end``)."""
    marker = "IEA" + delims.element
    at = text.find(marker, pos + ISA_LENGTH)
    while 0 <= at < end:
        before = at - 1
        while before > pos and text[before] in WHITESPACE:
            before -= 1
        if text[before] == delims.segment:  # IEA starts a segment, not inside a value
            after = text.find(delims.segment, at)
            return end if after < 0 or after >= end else after + 1
        at = text.find(marker, at + 1)
    return end


def _tokenize(
    name: str, text: str
) -> tuple[list[pa.ListArray], list[Delimiters], X12Error | None]:
    """Split the text interchange by interchange; stop at text that is not an ISA."""
    chunks: list[pa.ListArray] = []
    delimiters: list[Delimiters] = []
    end_of_text = len(text.rstrip(TRAILING_NOISE))
    pos = len(text) - len(text.lstrip(WHITESPACE))
    if pos >= end_of_text:
        return chunks, delimiters, X12Error(name, 1, "", "the file is empty")
    count = 0
    while pos < end_of_text:
        number = count + 1
        if not text.startswith("ISA", pos):
            word = _first_word(text[pos : pos + 3])
            if number == 1:
                reason = "the file does not start with an ISA interchange header"
            else:
                reason = "data after IEA: only another ISA may follow an IEA"
            return chunks, delimiters, X12Error(name, number, word, reason)
        try:
            delims = read_isa(name, text, pos, number)
        except X12Error as err:
            return chunks, delimiters, err
        stop = _interchange_end(text, pos, end_of_text, delims)
        elements = _split(text[pos:stop], delims)
        chunks.append(elements)
        delimiters.append(delims)
        count += len(elements)
        pos = stop
        while pos < end_of_text and text[pos] in WHITESPACE:
            pos += 1
    return chunks, delimiters, None


def scan(name: str, raw: bytes | str) -> tuple[Segments, X12Error | None]:
    """Tokenize and check the envelope; return the segments and the first problem, if any.

    The segments are everything that could be tokenized, also when there is a problem
    (``era`` reports a bad value before the envelope problem, if there is one).
    """
    text = decode(raw) if isinstance(raw, bytes) else raw.lstrip("\ufeff")
    chunks, delimiters, problem = _tokenize(name, text)
    if chunks:
        elements = chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks)
    else:
        elements = pa.array([], pa.list_(pa.string()))
    interchange = np.repeat(
        np.arange(len(chunks), dtype=np.int32), [len(c) for c in chunks]
    ).astype(np.int32)
    segments = Segments(name, elements, interchange, tuple(delimiters))
    envelope = _check_envelope(segments, complete=problem is None)
    found = [e for e in (problem, envelope, _outside_character_set(segments)) if e]
    return segments, min(found, key=lambda e: e.segment_number) if found else None


def read(name: str, raw: bytes | str) -> Segments:
    """Tokenize and check the envelope; raise ``X12Error`` on the first problem."""
    segments, problem = scan(name, raw)
    if problem is not None:
        raise problem
    return segments


def tokenize(name: str, raw: bytes | str) -> list[list[str]]:
    """Every segment of a valid file as a list of elements (for tests and tools)."""
    return read(name, raw).as_lists()


def _check_envelope(segments: Segments, complete: bool) -> X12Error | None:
    """First envelope problem: nesting, counts and control numbers, ids, stray segments.

    Vectorized for the body segments; the envelope segments themselves (a handful per
    transaction set) go through a small state machine. ``complete`` is False when the
    tokenizer stopped early, so the end of the text is not the end of the file.
    """
    n = len(segments)
    if n == 0:
        return None
    tags = segments.tags
    found: list[X12Error] = []

    names, indices = segments._tag_codes
    valid_id = np.array([bool(_SEGMENT_ID.fullmatch(tag)) for tag in names], dtype=bool)
    found += segments.error_at_first(
        np.flatnonzero(~valid_id[indices]),
        lambda tag: f"{tag!r} is not a segment identifier (2-3 capital letters or digits)",
    )

    code = segments.codes(ENVELOPE)
    is_st, is_se = code == 2, code == 3
    depth = np.cumsum(is_st, dtype=np.int64) - np.cumsum(is_se, dtype=np.int64) + is_se
    outside = (code == len(ENVELOPE)) & (depth <= 0)
    if outside.any():
        allowed = pc.is_in(tags, value_set=pa.array(OUTSIDE_ALLOWED)).to_numpy(
            zero_copy_only=False
        )
        found += segments.error_at_first(
            np.flatnonzero(outside & ~allowed),
            lambda tag: (
                f"{tag} outside a transaction set: only envelope segments may appear "
                "outside ST..SE"
            ),
        )

    problem = _envelope_states(segments, np.flatnonzero(code < len(ENVELOPE)), complete)
    if problem is not None:
        found.append(problem)
    return min(found, key=lambda e: e.segment_number) if found else None


def _outside_character_set(segments: Segments) -> X12Error | None:
    """The first element holding a control character: C0 (0x00-0x1F), DEL or C1 (0x80-0x9F).

    X12.6 (005010) section 3.3 allows the basic set (capitals, digits, space and
    ``!"&'()*+,-./:;?=``) and the extended set (lowercase, ``%@[]_{}\\|<>#$~^```` and, by
    agreement, language characters such as Ñ); no control character is in either. A
    delimiter may be one (it is never inside an element). Numpy over the bytes of every
    element at once: a file without such a byte costs one min and one max.
    """
    values = segments.values
    if not len(values):
        return None
    bounds = np.frombuffer(values.buffers()[1], dtype=np.int32)
    bounds = bounds[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[bounds[0] : bounds[-1]]
    if not len(data) or (data.min() >= 0x20 and data.max() < 0x7F):
        return None
    bad = (data < 0x20) | (data == 0x7F)
    if data.max() >= 0x80:  # C1 controls are 0xC2 0x80-0x9F in UTF-8
        bad[1:] |= (data[:-1] == 0xC2) & (data[1:] >= 0x80) & (data[1:] < 0xA0)
    hits = np.flatnonzero(bad)
    if not len(hits):
        return None
    value_index = int(np.searchsorted(bounds, hits[0] + bounds[0], side="right")) - 1
    index = int(np.searchsorted(segments.offsets, value_index, side="right")) - 1
    k = value_index - int(segments.offsets[index])
    tag = segments.tags[index].as_py()
    value = values[value_index].as_py()
    char = next(c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0)
    label = "the segment id" if k == 0 else f"{tag}{k:02d}"
    return X12Error(
        segments.name,
        index + 1,
        tag,
        f"{label} {value!r} holds the control character {char!r}, outside the X12 character set",
    )


def _el(elements: list[str], i: int) -> str:
    return elements[i] if i < len(elements) else ""


def _count(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() else None


@dataclass(frozen=True)
class _Envelope:
    """An envelope a trailer closes: its header, the header element holding the control
    number, its name and what the trailer's element 1 counts."""

    header: str
    control: str
    name: str
    holds: str


_GROUP = _Envelope("GS", "GS06", "functional group", "transaction sets")  # closed by GE
_INTERCHANGE = _Envelope("ISA", "ISA13", "interchange", "functional groups")  # by IEA


def _trailer(
    els: list[str], envelope: _Envelope, opened: bool, control: str, counted: int
) -> str | None:
    """Why a GE or IEA does not close its envelope, or None: the envelope must be open,
    element 1 must count what it holds (``counted`` were read) and element 2 repeat the
    header's ``control`` number."""
    tag = els[0]
    if not opened:
        return f"{tag} without a matching {envelope.header}"
    count, number = _el(els, 1), _el(els, 2)
    if _count(count) is None:
        return f"{tag}01 {count!r} is not a count"
    if int(count) != counted:
        return (
            f"{tag}01 says {int(count)} {envelope.holds} but {envelope.name} {control} "
            f"has {counted}"
        )
    if number != control:
        return f"{tag}02 {number} does not match {envelope.control} {control}"
    return None


def _envelope_states(segments: Segments, positions: np.ndarray, complete: bool) -> X12Error | None:
    """The ISA/GS/ST nesting over the envelope segments only, in file order."""
    name = segments.name
    isa13 = gs06 = st02 = ""
    in_isa = in_gs = in_st = False
    groups = sets = st_index = 0
    for index in positions.tolist():
        els = segments.segment(index)
        tag, number = els[0], index + 1

        def fail(reason: str, tag: str = tag, number: int = number) -> X12Error:
            return X12Error(name, number, tag, reason)

        if tag == "ST":
            if in_st:
                return fail(f"ST inside transaction set {st02}: the previous one has no SE")
            if not in_gs:
                return fail(
                    "ST outside a functional group: every transaction set must be inside GS..GE"
                )
            in_st, st02, st_index = True, _el(els, 2), index
            sets += 1
        elif tag == "SE":
            if not in_st:
                return fail("SE without a matching ST")
            count = index - st_index + 1
            se01, se02 = _el(els, 1), _el(els, 2)
            if _count(se01) is None:
                return fail(f"SE01 {se01!r} is not a segment count")
            if int(se01) != count:
                return fail(
                    f"SE01 says {int(se01)} segments but transaction set {st02} has {count} "
                    "(ST to SE)"
                )
            if se02 != st02:
                return fail(f"SE02 {se02} does not match ST02 {st02}")
            in_st = False
        elif tag == "GS":
            if in_st:
                return fail(f"GS inside transaction set {st02}: SE missing")
            if in_gs:
                return fail(f"GS inside functional group {gs06}: the previous one has no GE")
            if not in_isa:
                return fail("GS outside an interchange (ISA..IEA)")
            in_gs, gs06, sets = True, _el(els, 6), 0
            groups += 1
        elif tag in ("GE", "IEA"):  # a trailer: nothing inside it may still be open
            if in_st:
                return fail(f"{tag} inside transaction set {st02}: SE missing")
            if tag == "GE":
                problem = _trailer(els, _GROUP, in_gs, gs06, sets)
                in_gs = False
            elif in_gs:
                return fail(f"IEA inside functional group {gs06}: GE missing")
            else:
                problem = _trailer(els, _INTERCHANGE, in_isa, isa13, groups)
                in_isa = False
            if problem is not None:
                return fail(problem)
        else:  # ISA
            if in_isa:
                missing = "SE" if in_st else ("GE" if in_gs else "IEA")
                return fail(f"ISA inside interchange {isa13}: the {missing} before it is missing")
            in_isa, isa13, groups = True, _el(els, 13), 0
    if not complete:
        return None
    end = len(segments) + 1
    if in_st:
        return X12Error(
            name, end, "SE", f"missing: the file ends inside transaction set {st02} (truncated?)"
        )
    if in_gs:
        return X12Error(
            name, end, "GE", f"missing: the file ends inside functional group {gs06} (truncated?)"
        )
    if in_isa:
        return X12Error(
            name, end, "IEA", f"missing: the file ends inside interchange {isa13} (truncated?)"
        )
    return None
