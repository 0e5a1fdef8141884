"""837P reader: the real public files, each rule on a written file, odd delimiters and
envelopes, a hypothesis round trip (claim lines -> 837P -> parsed -> equal) and mutants
that raise nothing but the refusal error."""

from __future__ import annotations

import random
import traceback

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payeropt_lib.errors import ClaimFileRefused, X12Error
from payeropt_lib.inputs import x837, x837_writer
from tests.conftest import SHARED
from tests.inputs.test_era_mutation import mutate
from tests.inputs.x837_cases import claim, good_lines

CLAIMS = SHARED / "claims"

# file: (claims, service lines) as SOURCES-claims.md counts them, or the refusal
# (segment number, segment id); docs/claims_837.md has the same table.
REAL = {
    "donfox-837pjson__sample_837p.txt": (1, 2),
    "lfh-x12__demo.837": (1, 4),
    "lfh-x12__demo.ambulance.example5.837": (1, 4),
    "lfh-x12__demo.cob.example3.B.837": (1, 3),
    "lfh-x12__demo.drug.example10.2.837": (1, 6),
    "mjkubba-edi__edi837P-demo-005010X222.edi": (1, 2),
    "oopfactory__Example1_2_And_3_Combined.txt": (3, 11),
    "staedi__sample837-original.edi": (1, 1),
    "stupidedi__anesthesia.edi": (1, 1),
    "stupidedi__ppo-repriced-claim.edi": (1, 2),
    # refused: envelope counts (SE01, GE01, IEA01), no ISA, not an 837P, 4010, bad ISA
    "imsweb-x12__x12_complex.txt": (149, "SE"),
    "imsweb-x12__x12_multiple_gs.txt": (36, "SE"),
    "imsweb-x12__x12_no_isa_line.txt": (1, "GS"),
    "imsweb-x12__x12_valid_different_separators.txt": (36, "SE"),
    "lfh-x12__demo.837i": (2, "GS"),
    "mjkubba-edi__edi837D-demo-005010X224.edi": (2, "GS"),
    "pyx12__bad_elements.txt": (2, "GS"),
    "pyx12__simple_837p.txt": (2, "GS"),
    "tigershark__837-example.txt": (1, "ISA"),
    # composites written with '>' where ISA16 declares ':'
    "lfh-x12__demo.example11.837": (21, "CLM"),
}


def test_the_table_covers_every_real_file():
    files = {p.name for p in CLAIMS.iterdir() if p.suffix != ".md"}
    assert files == set(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_import_or_are_refused_at_a_named_segment(name):
    raw = (CLAIMS / name).read_bytes()
    first, second = REAL[name]
    if isinstance(second, str):
        with pytest.raises(ClaimFileRefused) as caught:
            x837.parse(name, raw)
        assert (caught.value.segment_number, caught.value.segment_id) == (first, second)
        assert name in str(caught.value) and "nothing was stored" in str(caught.value)
    else:
        parsed = x837.parse(name, raw)
        assert (len(parsed.claims), len(parsed.lines)) == (first, second)


def test_the_cob_secondary_keeps_the_prior_payers_adjudication():
    parsed = x837.parse("cob", (CLAIMS / "lfh-x12__demo.cob.example3.B.837").read_bytes())
    c = parsed.claims.iloc[0]
    assert (c["responsibility"], c["payer_name"], c["other_payer_name"]) == (
        "S", "GREAT PRAIRIES HEALTH", "KEY INSURANCE COMPANY",
    )  # fmt: skip
    assert (c["prior_paid_cents"], c["prior_adjustments"]) == (3915, "PR-1:2189;PR-2:1500")
    lines = parsed.lines
    assert lines["prior_paid_cents"].tolist() == [4000, 1500, 2104]
    assert lines["prior_adjustments"].tolist()[0] == "CO-42:300"
    # pointers 1:2:3:4 and 1:2 against HI*BK:4779*BF:2724*BF:2780*BF:53081
    assert lines["diagnosis_codes"].tolist() == ["4779;2724;2780;53081", "4779;2724", "4779;2724"]
    assert lines["rendering_npi"].tolist() == ["1999996666"] * 3  # 2310B


def test_ambulance_line_control_numbers_modifiers_and_claim_place_of_service():
    raw = (CLAIMS / "lfh-x12__demo.ambulance.example5.837").read_bytes()
    parsed = x837.parse("amb", raw)
    lines = parsed.lines
    assert lines["line_control_number"].tolist() == ["1001", "1002", "1003", "1004"]
    assert lines["modifiers"].tolist() == ["RH"] * 4
    assert lines["units"].tolist() == [1, 21, 1, 1]
    assert lines["charge_cents"].tolist() == [70000, 820, 4600, 1230]
    assert lines["place_of_service"].tolist() == ["41"] * 4  # CLM05-1, no SV105
    assert parsed.claims.iloc[0]["filing_indicator"] == "MB"


def test_line_place_of_service_and_three_modifiers():
    drug = x837.parse("d", (CLAIMS / "lfh-x12__demo.drug.example10.2.837").read_bytes())
    assert drug.lines["place_of_service"].tolist() == ["12"] * 6  # SV105
    anesthesia = x837.parse("a", (CLAIMS / "stupidedi__anesthesia.edi").read_bytes())
    assert anesthesia.lines.iloc[0]["modifiers"] == "QK:QS:P1"
    assert anesthesia.lines.iloc[0]["units"] == 61  # SV103 MJ minutes


def _parsed(lines: pd.DataFrame, **kwargs) -> x837.ClaimFile:
    return x837.parse("t.837", x837_writer.write(lines, **kwargs))


def test_rendering_npi_at_line_level_beats_the_claims_and_sv105_beats_clm05():
    lines = claim(good_lines(), "CLM1003")
    lines["rendering_npi"] = ["1111111111", "2222222222", "2222222222"]
    lines["place_of_service"] = ["11", "22", "11"]
    raw = x837_writer.write(lines)
    assert b"NM1*82" in raw and b"*22**" in raw
    parsed = x837.parse("t", raw)
    assert parsed.lines["rendering_npi"].tolist() == ["1111111111", "2222222222", "2222222222"]
    assert parsed.lines["place_of_service"].tolist() == ["11", "22", "11"]
    same = _parsed(lines.assign(rendering_npi="3333333333"))
    assert same.lines["rendering_npi"].tolist() == ["3333333333"] * 3  # one 2310B
    none = _parsed(lines.assign(rendering_npi=""), billing_npi="1234567893")
    assert none.lines["rendering_npi"].tolist() == ["1234567893"] * 3  # billing provider


def test_pointers_resolve_in_pointer_order():
    lines = claim(good_lines(), "CLM1001")
    lines["diagnosis_codes"] = ["I10;M17.11", "M17.11"]  # HI: I10, M17.11; SV107 1:2 and 2
    parsed = _parsed(lines)
    assert parsed.lines["diagnosis_codes"].tolist() == ["I10;M17.11", "M17.11"]
    raw = x837_writer.write(lines).replace(b"*1:2~", b"*2:1~")
    assert x837.parse("t", raw).lines["diagnosis_codes"].tolist()[0] == "M17.11;I10"
    bad = x837_writer.write(lines).replace(b"*1:2~", b"*1:5~")
    with pytest.raises(ClaimFileRefused, match=r"\(SV1\): SV107 pointer 5 names no diagnosis"):
        x837.parse("t", bad)


def test_frequency_f8_and_claim_level_date():
    lines = claim(good_lines(), "CLM1002").assign(frequency="7", original_ref="ICN9")
    parsed = _parsed(lines)
    assert parsed.claims[["frequency", "original_ref"]].iloc[0].tolist() == ["7", "ICN9"]
    raw = x837_writer.write(lines).replace(b":B:7*", b":B:5*")
    with pytest.raises(ClaimFileRefused, match=r"\(CLM\): CLM05-3 frequency '5'"):
        x837.parse("t", raw)


@pytest.mark.parametrize(
    "delims",
    [("*", ":", "~", True), ("|", ">", "!", False), ("^", "\\", "\n", False), ("~", "^", "_", 0)],
)
def test_odd_delimiters_and_no_line_breaks(delims):
    element, component, terminator, breaks = delims
    lines = good_lines()
    expected = _parsed(lines).lines
    raw = x837_writer.write(
        lines, element=element, component=component, terminator=terminator,
        line_breaks=bool(breaks),
    )  # fmt: skip
    pd.testing.assert_frame_equal(x837.parse("odd", raw).lines, expected)


def test_several_interchanges_in_one_file():
    lines = good_lines()
    one = x837_writer.write(claim(lines, "CLM1001"), isa_control=1)
    two = x837_writer.write(claim(lines, "CLM1002"), isa_control=2, element="|", component=">")
    parsed = x837.parse("two", one + two)
    assert parsed.claims["claim_id"].tolist() == ["CLM1001", "CLM1002"]
    assert parsed.claims["isa_control"].tolist() == ["000000001", "000000002"]
    assert parsed.lines["modifiers"].tolist() == ["25", "RT:59", ""]


@pytest.mark.parametrize(
    ("name", "edit", "where"),
    [
        ("835", (b"ST*837*", b"ST*835*"), "ST"),
        ("837I", (b"005010X222A1", b"005010X223A3"), "GS"),
        ("837D", (b"005010X222A1", b"005010X224A3"), "GS"),
        ("no SV1", (b"SV1*", b"SVX*"), "LX"),
    ],
)
def test_other_transactions_are_refused_whole(name, edit, where):
    raw = x837_writer.write(claim(good_lines(), "CLM1002")).replace(*edit)
    with pytest.raises(ClaimFileRefused) as caught:
        x837.parse(name, raw)
    assert caught.value.segment_id == where


PRODUCTS = ["MEDICARE", "MEDICAID", "HMO", "PPO", ""]
code = st.text(alphabet="ABCDEFGHJKLMNPQRSTVWXYZ0123456789", min_size=5, max_size=5)
line = st.fixed_dictionaries(
    {
        "procedure_code": code,
        "modifiers": st.lists(st.sampled_from(["25", "59", "RT", "LT", "TC", "26"]),
                              max_size=4, unique=True).map(":".join),
        "units": st.integers(1, 99),
        "charge_cents": st.integers(0, 10**9),
        "place_of_service": st.sampled_from(["11", "22", "02"]),
        "rendering_npi": st.sampled_from(["1234567893", "1111111111"]),
        "diagnosis_codes": st.lists(st.sampled_from(["I10", "M17.11", "E11.9", "Z00.00", "J02.9"]),
                                    min_size=1, max_size=4, unique=True).map(";".join),
        "date_of_service": st.dates(min_value=pd.Timestamp("2020-01-01").date(),
                                    max_value=pd.Timestamp("2026-12-31").date()),
        "line_control_number": st.sampled_from(["", "LCN1", "A-22"]),
    }
)  # fmt: skip
claims_ = st.lists(
    st.tuples(
        st.lists(line, min_size=1, max_size=5),
        st.sampled_from(["ACME", "MCR"]),
        st.sampled_from(PRODUCTS),
        st.dates(min_value=pd.Timestamp("2024-01-01").date(),
                 max_value=pd.Timestamp("2026-12-31").date()),
    ),
    min_size=1, max_size=6,
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims_)
def test_round_trip(drawn):
    rows = []
    for c, (lines, payer, product, submitted) in enumerate(drawn):
        for n, values in enumerate(lines, start=1):
            rows.append({**values, "claim_id": f"C{c}", "line_number": n, "patient_id": f"P{c}",
                         "primary_payer_id": payer, "product_line": product,
                         "submitted_date": submitted})  # fmt: skip
    frame = pd.DataFrame(rows)
    parsed = x837.parse("rt", x837_writer.write(frame))
    got = parsed.lines.merge(parsed.claims, on="claim_seq", suffixes=("", "_claim"))
    got = got.sort_values(["claim_id", "line_number"]).reset_index(drop=True)
    want = frame.sort_values(["claim_id", "line_number"]).reset_index(drop=True)
    for column in ("procedure_code", "modifiers", "place_of_service", "rendering_npi",
                   "diagnosis_codes", "claim_id", "patient_id"):  # fmt: skip
        assert got[column].fillna("").tolist() == want[column].tolist(), column
    for column in ("units", "charge_cents", "line_number"):
        assert got[column].astype(int).tolist() == want[column].tolist(), column
    assert got["line_control_number"].fillna("").tolist() == want["line_control_number"].tolist()
    assert got["date_of_service"].tolist() == pd.to_datetime(want["date_of_service"]).tolist()
    assert got["submitted_date"].tolist() == pd.to_datetime(want["submitted_date"]).tolist()
    assert got["payer_code"].tolist() == want["primary_payer_id"].tolist()
    products = got["filing_indicator"].map({v: k for k, v in x837_writer.FILING.items()})
    assert products.tolist() == want["product_line"].tolist()


MUTANTS = 2000
QUICK = 250  # a parse costs ~40 ms of Arrow overhead: the full 2,000 run is marked slow


@pytest.mark.slow
def test_mutants_raise_nothing_but_the_refusal():
    _mutants(MUTANTS)


def test_some_mutants_raise_nothing_but_the_refusal():
    _mutants(QUICK)


def _mutants(count: int) -> None:
    seeds = [
        x837_writer.write(good_lines()),
        x837_writer.write(
            good_lines(), element="|", component=">", terminator="!", line_breaks=False
        ),  # fmt: skip
        (CLAIMS / "lfh-x12__demo.cob.example3.B.837").read_bytes(),
        (CLAIMS / "oopfactory__Example1_2_And_3_Combined.txt").read_bytes(),
        (CLAIMS / "stupidedi__anesthesia.edi").read_bytes(),
    ]
    rnd = random.Random(837)
    outcomes = {"parsed": 0, "refused": 0}
    for i in range(count):
        kind, raw = mutate(seeds[i % len(seeds)], rnd)
        try:
            x837.parse(f"m{i}", raw)
            outcomes["parsed"] += 1
        except ClaimFileRefused as err:
            assert isinstance(err, X12Error) and str(err).isprintable()
            outcomes["refused"] += 1
        except Exception:  # noqa: BLE001 - the test's point
            pytest.fail(f"mutant {i} ({kind}) crashed:\n{traceback.format_exc()}")
    assert outcomes["refused"] > count // 3
