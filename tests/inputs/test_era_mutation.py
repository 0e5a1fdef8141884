"""Mutation: damaged 835s are refused with X12Error or parsed, never crash the parser.

1,200 mutants are derived deterministically (seeded, the same every run) from valid scenario files:
truncated at a random byte, bytes flipped, a random byte replaced by a delimiter or digit,
segments dropped, duplicated or swapped, an element blanked or garbled, two delimiters
swapped through the whole file. ``era.parse`` may raise nothing but ``X12Error`` (naming
a segment), and ``era.balance`` must not raise on what ``parse`` accepts.
"""

from __future__ import annotations

import random
import traceback
from collections import Counter

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
