"""x12: delimiters from the ISA, tokenizing, and the envelope checks with exact messages."""

from __future__ import annotations

import pickle

import pytest

from payeropt_lib.errors import X12Error
from payeropt_lib.inputs import x12

ISA = (
    "ISA*00*          *00*          *ZZ*PAYERSENDER    *ZZ*PRACTICERECV   "
    "*250401*0930*^*00501*000000123*0*P*:~"
)
BODY = [
    "GS*HP*PAYERSENDER*PRACTICERECV*20250401*0930*7*X*005010X221A1",
    "ST*835*0001",
    "BPR*I*100*C*ACH************20250401",
    "TRN*1*EFT1*1123456789",
    "SE*4*0001",
    "GE*1*7",
    "IEA*1*000000123",
]


def envelope(body: list[str] = BODY, isa: str = ISA, end: str = "~") -> str:
    """An interchange: the ISA (with its terminator) and the other segments."""
    return isa + "".join(segment + end for segment in body)


def refused(text: str | bytes, name: str = "f.835") -> X12Error:
    with pytest.raises(X12Error) as caught:
        x12.read(name, text)
    return caught.value


def with_segment(old: str, new: str) -> str:
    return envelope([new if s == old else s for s in BODY])


# --- delimiters ------------------------------------------------------------------------


def test_delimiters_come_from_the_isa():
    assert x12.read_isa("f", ISA) == x12.Delimiters("*", ":", "~", "^")


def test_repetition_separator_only_from_00402_on():
    isa_4010 = ISA.replace("*^*00501*", "*U*00401*")
    assert x12.read_isa("f", isa_4010) == x12.Delimiters("*", ":", "~", None)


def test_pipe_element_caret_component():
    isa = ISA.replace("*", "|").replace("|:~", "|^~").replace("|^|00501", "|{|00501")
    assert x12.read_isa("f", isa) == x12.Delimiters("|", "^", "~", "{")


def test_newline_as_the_terminator():
    text = envelope(end="\n", isa=ISA[:-1] + "\n")
    segments = x12.tokenize("f", text)
    assert [s[0] for s in segments] == ["ISA", "GS", "ST", "BPR", "TRN", "SE", "GE", "IEA"]


def test_isa_shorter_than_106_characters():
    err = refused(ISA[:50])
    assert str(err) == (
        "f.835: segment 1 (ISA): ISA is 50 characters; the interchange header is fixed at 106 "
        "(with its terminator); nothing was posted"
    )


def test_isa_field_of_the_wrong_width():
    isa = ISA.replace("PAYERSENDER    ", "PAYERSENDER").replace("RECV   ", "RECV       ")
    err = refused(envelope(isa=isa))
    assert str(err) == (
        "f.835: segment 1 (ISA): ISA06 is 11 characters, not 15; the header must be the "
        "fixed 106 characters; nothing was posted"
    )


def test_terminator_equal_to_element_separator():
    err = refused(ISA[:-1] + "*" + "".join(BODY))
    assert err.segment_number == 1
    assert err.reason == "segment terminator '*' (after ISA16) is not usable"


# --- tokenizing ------------------------------------------------------------------------


def test_segments_and_elements():
    segments = x12.tokenize("f", envelope())
    assert segments[3] == ["BPR", "I", "100", "C", "ACH"] + [""] * 11 + ["20250401"]
    assert len(segments) == 8


@pytest.mark.parametrize(
    "variant",
    ["bom", "crlf", "lf", "indented", "no final terminator", "blank lines", "trailing noise"],
)
def test_tolerated_layouts_give_the_same_segments(variant: str):
    plain = x12.tokenize("f", envelope())
    text = {
        "bom": "\ufeff" + envelope(),
        "crlf": envelope(end="~\r\n", isa=ISA + "\r\n"),
        "lf": envelope(end="~\n", isa=ISA + "\n"),
        "indented": envelope(end="~\n    ", isa=ISA + "\n  "),
        "no final terminator": envelope()[:-1],
        "blank lines": envelope(end="~\n\n", isa=ISA + "\n\n"),
        "trailing noise": envelope() + "\r\n\x1a",
    }[variant]
    raw = text.encode("utf-8")
    assert x12.tokenize("f", raw) == plain


def test_empty_segments_are_ignored_and_not_counted():
    text = envelope([*BODY[:3], "", *BODY[3:]])  # "~~" inside the transaction set
    assert x12.tokenize("f", text) == x12.tokenize("f", envelope())


def test_latin1_bytes_are_read_not_refused():
    text = envelope().replace("EFT1", "EFT\xe9").encode("latin-1")
    assert x12.tokenize("f", text)[4][2] == "EFT\xe9"


def test_several_interchanges_each_with_its_delimiters():
    second_isa = ISA.replace("*", "|").replace("|:~", "|^!").replace("000000123", "000000124")
    second = second_isa + "".join(
        s.replace("*", "|").replace("000000123", "000000124") + "!\n" for s in BODY
    )
    segments = x12.read("f", envelope(end="~\n") + second)
    assert len(segments) == 16
    assert segments.delimiters == (
        x12.Delimiters("*", ":", "~", "^"),
        x12.Delimiters("|", "^", "!", None),  # ISA11 '^' is the component: not a repetition
    )
    assert segments.interchange.tolist() == [0] * 8 + [1] * 8
    assert segments.segment(11) == ["BPR", "I", "100", "C", "ACH"] + [""] * 11 + ["20250401"]


# --- envelope refusals (exact messages) --------------------------------------------------


def test_empty_file():
    assert str(refused(b"  \n")) == "f.835: segment 1 (): the file is empty; nothing was posted"


def test_file_not_starting_with_isa():
    err = refused("ST*835*1234~BPR*I*1*C*CHK~SE*3*1234~")
    assert (err.segment_number, err.segment_id) == (1, "ST")
    assert str(err) == (
        "f.835: segment 1 (ST): the file does not start with an ISA interchange header; "
        "nothing was posted"
    )


# An envelope segment edited: (as written, as edited, segment number, segment id, reason).
ENVELOPE_EDITS = {
    "se01-wrong": (
        "SE*4*0001",
        "SE*5*0001",
        6,
        "SE",
        "SE01 says 5 segments but transaction set 0001 has 4 (ST to SE)",
    ),
    "se01-not-a-number": ("SE*4*0001", "SE*x*0001", 6, "SE", "SE01 'x' is not a segment count"),
    "se02-differs-from-st02": (
        "SE*4*0001",
        "SE*4*0002",
        6,
        "SE",
        "SE02 0002 does not match ST02 0001",
    ),
    "ge01-wrong": (
        "GE*1*7",
        "GE*2*7",
        7,
        "GE",
        "GE01 says 2 transaction sets but functional group 7 has 1",
    ),
    "ge02-differs-from-gs06": ("GE*1*7", "GE*1*8", 7, "GE", "GE02 8 does not match GS06 7"),
    "iea01-wrong": (
        "IEA*1*000000123",
        "IEA*3*000000123",
        8,
        "IEA",
        "IEA01 says 3 functional groups but interchange 000000123 has 1",
    ),
    "iea02-differs-from-isa13": (
        "IEA*1*000000123",
        "IEA*1*000000124",
        8,
        "IEA",
        "IEA02 000000124 does not match ISA13 000000123",
    ),
}


@pytest.mark.parametrize(
    ("old", "new", "segment", "tag", "reason"), ENVELOPE_EDITS.values(), ids=ENVELOPE_EDITS
)
def test_envelope_edit_is_refused_naming_its_segment(old, new, segment, tag, reason):
    err = refused(with_segment(old, new))
    assert (err.segment_number, err.segment_id, err.reason) == (segment, tag, reason)
    assert str(err) == f"f.835: segment {segment} ({tag}): {reason}; nothing was posted"


def test_missing_iea():
    err = refused(envelope(BODY[:-1]))
    assert str(err) == (
        "f.835: segment 8 (IEA): missing: the file ends inside interchange 000000123 "
        "(truncated?); nothing was posted"
    )


def test_file_ending_inside_a_transaction_set():
    err = refused(envelope(BODY[:4]))
    assert (err.segment_number, err.segment_id) == (6, "SE")
    assert err.reason == "missing: the file ends inside transaction set 0001 (truncated?)"


def test_data_after_iea():
    err = refused(envelope() + "CLP*1*1*1*1~")
    assert str(err) == (
        "f.835: segment 9 (CLP): data after IEA: only another ISA may follow an IEA; "
        "nothing was posted"
    )


def test_segment_before_st():
    err = refused(envelope([BODY[0], "CLP*A*1*1*1", *BODY[1:]]))
    assert str(err) == (
        "f.835: segment 3 (CLP): CLP outside a transaction set: only envelope segments may "
        "appear outside ST..SE; nothing was posted"
    )


def test_st_outside_a_functional_group():
    err = refused(envelope(BODY[1:5] + BODY[6:]))
    assert (err.segment_number, err.reason) == (
        2,
        "ST outside a functional group: every transaction set must be inside GS..GE",
    )


def test_st_without_se_before_the_next_st():
    body = [*BODY[:4], "ST*835*0002", *BODY[2:5], "GE*2*7", BODY[-1]]
    err = refused(envelope(body))
    assert (err.segment_number, err.reason) == (
        6,
        "ST inside transaction set 0001: the previous one has no SE",
    )


def test_segment_id_that_is_not_one():
    err = refused(envelope([*BODY[:3], "~TRN*1*EFT1*1", *BODY[4:]], end="\n", isa=ISA[:-1] + "\n"))
    assert str(err) == (
        "f.835: segment 5 (~TRN): '~TRN' is not a segment identifier (2-3 capital letters or "
        "digits); nothing was posted"
    )


def test_the_first_problem_in_file_order_wins():
    # SE01 is wrong at segment 6 and IEA02 at segment 8: segment 6 is reported.
    text = with_segment("SE*4*0001", "SE*9*0001").replace("IEA*1*000000123", "IEA*1*9")
    assert refused(text).segment_number == 6


def test_error_survives_a_pickle_round_trip():
    err = refused(with_segment("GE*1*7", "GE*2*7"))
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.segment_number == 7
