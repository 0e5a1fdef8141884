"""835 remittances: X12 loops to pandas frames, and the balancing rules of domain.md §4.4.

``parse(name, raw)`` reads one file (any delimiters, one or many ISA/GS/ST, with or without
line breaks) into a ``Remit`` of five frames; a file that is not a valid 835 is refused
whole with ``X12Error`` naming the first problem's segment. ``balance(remit)`` lists what
does not balance; an unbalanced transaction is still parsed (the interface posts it and
reports it).

The work is columnar, not a Python loop over segments (a 20,000-claim file has ~365,000):
``x12.scan`` splits the file in Arrow; here each segment gets its loop context (the kind
of the last ST/BPR/LX/CLP/SVC/PLB before it, by a running maximum), each claim, line and
transaction finds its child segments by running counts, and a table's columns come from
one Arrow ``take``. Money, quantities and dates are parsed once per distinct value (a
remittance repeats them) with Python ints, so cents are exact: no float on the way.
Columns are listed in ``Remit`` and ``docs/era.md``.

This module is the public entry; the work is in ``era_loops`` (segment codes, loop
contexts, placement), ``era_columns`` (typed columns out of the segments), ``era_frames``
(``Remit`` and its five frames) and ``era_balance`` (``balance``).
"""

from __future__ import annotations

from . import era_frames, x12
from .era_balance import BALANCE_COLUMNS, balance
from .era_columns import EraFile
from .era_frames import Remit, concat
from .era_loops import structure

__all__ = ["BALANCE_COLUMNS", "Remit", "balance", "concat", "parse"]


def parse(name: str, raw: bytes) -> Remit:
    """Read one 835 file into frames (see ``Remit``); refuse it whole with ``X12Error``.

    Refused: anything ``x12.read`` refuses (envelope, delimiters, segment ids), a
    transaction set other than 835, a GS08 other than 005010X221(A1) / 004010X091(A1), an
    835 without BPR right after ST or without its one TRN, a segment where it cannot
    belong (SVC or CAS before any CLP, LQ outside a service line, anything but PLB after
    PLB, TRN/N1 after the claims), a segment with more elements than the guide defines, a
    missing or non-numeric amount where the guide requires one, a fraction of a cent, a
    date that is not a real CCYYMMDD, an unknown CAS group, an SVC01 without a procedure
    code, a control character in any element, a read qualifier or code outside its code
    list (``era_loops``: BPR01/03/04 and its qualifiers, CLP02, DTM01, AMT01, SVC01-1), a
    procedure code or modifier that is not letters and digits, a BPR15 that is not a date
    when BPR16 is missing. The error names the first problem in file order.
    """
    segments, envelope = x12.scan(name, raw)
    code, context, placement = structure(segments)
    found = [e for e in (envelope, placement) if e is not None]
    first = min(found, key=lambda e: e.segment_number) if found else None
    f = EraFile.of(segments, code, context)
    if first is not None:
        # Read values only up to the first structural problem: before it the loops are
        # sound, and a bad value there is the file's first problem. No frames are needed.
        f.code = f.code[: first.segment_number - 1]
        f.context = f.context[: first.segment_number - 1]
        f.build = False
    frames = era_frames.build(f)
    if f.problems:
        bad_value = min(f.problems, key=lambda e: e.segment_number)
        if first is None or bad_value.segment_number < first.segment_number:
            raise bad_value
    if first is not None:
        raise first
    return Remit(*frames, name=name)
