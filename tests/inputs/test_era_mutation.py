"""Mutation: damaged 835s are refused with X12Error or parsed, never crash the parser.

1,200 mutants are derived deterministically (seeded, the same every run) from valid scenario files:
truncated at a random byte, bytes flipped, a random byte replaced by a delimiter or digit,
segments dropped, duplicated or swapped, an element blanked or garbled, two delimiters
swapped through the whole file. ``era.parse`` may raise nothing but ``X12Error`` (naming
a segment, on one line), and ``era.balance`` must not raise on what ``parse`` accepts.

A byte flipped inside a qualifier or code the reader reads (BPR01/03/04/16, CLP02, CAS01,
DTM01, AMT01, SVC01's qualifier and procedure code) to one outside the X12 character set or
the element's code list must be refused, naming that segment: accepted, it became junk in
a stored code (issue 11: AMT01 '\\x1e6', procedure code 'V20î0').
"""

from __future__ import annotations

import random
import traceback
from collections import Counter

import pytest

from payeropt_lib.errors import X12Error
from payeropt_lib.inputs import era
from tests.conftest import DATA

SCENARIOS = DATA / "835"
SEEDS = [
    "pipe-delimiters.835",
    "several-interchanges.835",
    "claim-and-line-level-cas.835",
    "six-cas-triplets.835",
    "reversal-and-correction.835",
    "service-period-and-lq-remarks.835",
    "plb-several-pairs.835",
    "crlf-line-breaks.835",
    "newline-terminator.835",
    "svc06-submitted-code.835",
]
MUTANTS = 1200
TRICKY = b"*~:^|>!\n\r 0123456789.-"


def segments_of(raw: bytes) -> tuple[bytes, list[bytes]]:
    """The terminator of the first ISA, and the file split on it (bytes, lossless)."""
    terminator = raw[raw.find(b"ISA") + 105 : raw.find(b"ISA") + 106]
    return terminator, raw.split(terminator)


def mutate(raw: bytes, rnd: random.Random) -> tuple[str, bytes]:
    kind = rnd.choice(
        ["truncate", "flip", "tricky byte", "drop", "duplicate", "swap", "element", "delimiters"]
    )
    data = bytearray(raw)
    if kind == "truncate":
        return kind, raw[: rnd.randrange(len(raw))]
    if kind == "flip":
        for _ in range(rnd.randint(1, 3)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        return kind, bytes(data)
    if kind == "tricky byte":
        data[rnd.randrange(len(data))] = rnd.choice(TRICKY)
        return kind, bytes(data)
    if kind == "delimiters":
        a, b = rnd.sample(b"*~:^|>\n", 2)
        return kind, raw.translate(bytes.maketrans(bytes([a, b]), bytes([b, a])))
    terminator, parts = segments_of(raw)
    i = rnd.randrange(len(parts))
    if kind == "drop":
        del parts[i]
    elif kind == "duplicate":
        parts.insert(rnd.randrange(len(parts) + 1), parts[i])
    elif kind == "swap":
        j = min(i + 1, len(parts) - 1)
        parts[i], parts[j] = parts[j], parts[i]
    else:  # element: blank it or put garbage in it
        separator = raw[raw.find(b"ISA") + 3 : raw.find(b"ISA") + 4]
        elements = parts[i].split(separator)
        k = rnd.randrange(len(elements))
        elements[k] = rnd.choice([b"", b"X", b"-", b"1.005", b"99999999999999999999", b"+5"])
        parts[i] = separator.join(elements)
    return kind, terminator.join(parts)


@pytest.mark.slow
def test_mutants_are_refused_or_parsed_never_crash():
    rnd = random.Random(835)
    seeds = [(SCENARIOS / name).read_bytes() for name in SEEDS]
    outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    for number in range(MUTANTS):
        kind, raw = mutate(rnd.choice(seeds), rnd)
        try:
            remit = era.parse(f"mutant-{number}.835", raw)
        except X12Error as err:
            assert err.segment_number >= 1 and str(err).endswith("nothing was posted")
            assert len(str(err).splitlines()) == 1, repr(str(err))
            outcomes["refused"] += 1
            continue
        except Exception:  # noqa: BLE001 - any other exception is the bug we look for
            crashes.append(f"mutant {number} ({kind}) in parse: {traceback.format_exc()}")
            continue
        outcomes["parsed"] += 1
        try:
            failures = era.balance(remit)
            assert list(failures.columns) == list(era.BALANCE_COLUMNS)
        except Exception:  # noqa: BLE001
            crashes.append(f"mutant {number} ({kind}) in balance: {traceback.format_exc()}")
    assert not crashes, f"{len(crashes)} crashes; first: {crashes[0]}"
    # Both outcomes must really be exercised.
    assert outcomes["refused"] > 500 and outcomes["parsed"] > 100, outcomes


# Elements read as codes: (segment id, element, component or None).
READ_CODES = [
    ("BPR", 1, None),
    ("BPR", 3, None),
    ("BPR", 4, None),
    ("BPR", 16, None),
    ("CLP", 2, None),
    ("CAS", 1, None),
    ("DTM", 1, None),
    ("AMT", 1, None),
    ("SVC", 1, 0),  # the product/service id qualifier
    ("SVC", 1, 1),  # the procedure code
]
# Bytes no read code may hold: control characters, DEL, bytes above 0x7F (C1 controls or
# Latin-1 letters once the file is read as Latin-1) and punctuation no code list has.
JUNK = bytes([*range(0x01, 0x20), 0x7F, *range(0x80, 0x100)]) + b"#%@!?"


def code_positions(raw: bytes) -> list[tuple[int, int, str]]:
    """(byte offset, segment number, label) of every character of every READ_CODES value."""
    isa = raw.find(b"ISA")
    separator, component = raw[isa + 3 : isa + 4], raw[isa + 104 : isa + 105]
    terminator, parts = segments_of(raw)
    found, offset, number = [], 0, 0
    for part in parts:
        body = part.lstrip(b" \r\n\t")
        start = offset + len(part) - len(body)
        offset += len(part) + len(terminator)
        if not body:
            continue
        number += 1
        elements = body.split(separator)
        for tag, k, c in READ_CODES:
            if elements[0].decode() != tag or k >= len(elements) or not elements[k]:
                continue
            at = start + sum(len(e) + 1 for e in elements[:k])
            value = elements[k]
            if c is not None:
                pieces = value.split(component)
                if c >= len(pieces) or not pieces[c]:
                    continue
                at += sum(len(p) + 1 for p in pieces[:c])
                value = pieces[c]
            found += [(at + i, number, f"{tag}{k:02d}") for i in range(len(value))]
    return found


@pytest.mark.slow
def test_a_byte_flipped_in_a_read_code_is_refused_at_its_segment_on_one_line():
    rnd = random.Random(11)
    refused = Counter()
    for name in SEEDS:
        raw = (SCENARIOS / name).read_bytes()
        delimiters = set(raw[raw.find(b"ISA") + 3 : raw.find(b"ISA") + 106 : 101]) | {
            raw[raw.find(b"ISA") + 104],
            raw[raw.find(b"ISA") + 105],
            *b"\r\n\t",
        }
        junk = [b for b in JUNK if b not in delimiters]
        for at, number, label in code_positions(raw):
            data = bytearray(raw)
            data[at] = rnd.choice(junk)
            with pytest.raises(X12Error) as caught:
                era.parse(f"{name}@{at}", bytes(data))
            message = str(caught.value)
            assert caught.value.segment_number == number, (label, message)
            assert len(message.splitlines()) == 1 and message.isprintable(), message
            refused[label] += 1
    assert set(refused) == {f"{tag}{k:02d}" for tag, k, _ in READ_CODES}, refused
    assert sum(refused.values()) > 300, refused


@pytest.mark.parametrize(
    ("edit", "segment", "reason"),
    [
        (
            (b"AMT*B6*", b"AMT*\x1e6*"),
            "AMT",
            "AMT01 '\\x1e6' holds the control character '\\x1e', outside the X12 character set",
        ),
        (
            (b"HC:99213", "HC:V20\u00ee0".encode()),
            "SVC",
            "SVC01-2 'V20\u00ee0' is not a procedure code (letters and digits)",
        ),
        (
            (b"*98765*20250301", b"*98765\x8520250301"),  # NEL: a line break to Python
            "BPR",
            "BPR15 '98765\\x8520250301' holds the control character '\\x85', outside the X12 "
            "character set",
        ),
        (
            (b"*98765*20250301", b"*98765X20250301"),
            "BPR",
            "BPR15 '98765X20250301' is not a date and BPR16 (the payment date) is missing: an "
            "element separator lost?",
        ),
        (
            (b"*1512345678**01*", b"*1512345678*01*"),
            "BPR",
            "BPR12 '999988880' is not a BPR12 qualifier (01, 04)",
        ),
        ((b"CLP*CLM1*1*", b"CLP*CLM1*I*"), "CLP", "CLP02 'I' is not a claim status code (CLP02)"),
        (
            (b"DTM*472*", b"DTM*4\xe972*"),  # not UTF-8: read as Latin-1, 'é'
            "DTM",
            "DTM01 '4\u00e972' is not a date qualifier of the 835 here (150, 151, 472)",
        ),
    ],
    ids=[
        "amt01-control",
        "svc01-latin1",
        "bpr15-c1",
        "bpr-lost-separator",
        "bpr-shifted",
        "clp02",
        "dtm01",
    ],
)
def test_issue_11_byte_flips_are_refused_naming_segment_and_element(edit, segment, reason):
    from tests.remittances.x835 import ACME, clp, era835, svc

    line = svc("99213", 15000, 9500, dos="20250301", cas=[("CO", "45", 5500)], b6=9500)
    raw = era835(ACME, [clp("CLM1", [line])])
    assert edit[0] in raw
    with pytest.raises(X12Error) as caught:
        era.parse("flip.835", raw.replace(edit[0], edit[1], 1))
    assert caught.value.segment_id == segment
    assert str(caught.value).endswith(f"({segment}): {reason}; nothing was posted")
    assert len(str(caught.value).splitlines()) == 1
