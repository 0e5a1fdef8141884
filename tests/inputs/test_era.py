"""era: 835 files to frames, refusals naming a segment, and balancing.

Three groups of tests: the 32 public files in shared/data/era (their verdicts checked
against SOURCES.md), the synthetic scenario files in tests/data/835 (one per behaviour),
and unit checks of amounts, dates and placement on small edits of a scenario file.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from payeropt_lib.errors import X12Error
from payeropt_lib.inputs import era
from tests.conftest import DATA, SHARED

SHARED_ERA = SHARED / "era"
SCENARIOS = DATA / "835"


def shared_file(name: str) -> Path:
    path = SHARED_ERA / name
    if not path.exists():
        message = f"shared 835 sample {path} is missing"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def parse(path: Path) -> era.Remit:
    return era.parse(path.name, path.read_bytes())


def refusal(name: str, raw: bytes) -> X12Error:
    with pytest.raises(X12Error) as caught:
        era.parse(name, raw)
    return caught.value


# --- the public files: our verdicts, and SOURCES.md's ------------------------------------

# The files that parse → whether they balance.
PARSED: dict[str, bool] = {
    "badx12__X221-dollars-and-data-sent-separate.edi": True,
    "badx12__X221-dollars-and-data-sent-together.edi": True,
    "badx12__X221-era-sample.edi": True,
    "badx12__X221-multiple-claims-single-check.edi": True,
    "badx12__X221-secondary-payment-with-higher-fee-schedule.edi": True,
    "badx12__X221-secondary-payments.edi": True,
    "badx12__X221-tertiary-payments.edi": True,
    "edi835parser__emedny_sample.txt": True,
    "edi835parser__united_healthcare_legacy_sample.txt": True,
    "lfh-x12__cob-contractural-adjustment.835": True,
    "lfh-x12__medicare-part-a.835": True,
    "lfh-x12__secondary-payment.835": True,
    "mjkubba-edi__edi835-1.edi": True,
    "oopfactory-inteligenz__Example1_GripElements.txt": False,
    "pyx12__835_mult_loops.txt": True,
    "pyx12__835_simple.txt": False,
    "tastypackets__multi-line-not-delimited.edi": True,
    "tastypackets__oneLine.edi": True,
    "tastypackets__profee.edi": True,
    "tastypackets__profeeMultiple.edi": True,
    "tigershark__5010-835-example-1.txt": True,
    "tigershark__5010-835-example-2.txt": True,
    "tigershark__5010-835-example-3.txt": True,
}
# The files refused → (segment number, segment id) the refusal names.
REFUSED: dict[str, tuple[int, str]] = {
    "badx12__error_validation.edi": (29, "SE"),
    "chs-edi835parser__test.835": (18, "SE"),
    "edi835parser__blue_cross_nc_sample.txt": (1, "ST"),
    "lfh-x12__managed-care.835": (4, "BPR"),
    "oopfactory__Example1.txt": (2, "GS"),
    "pyx12__mult_isa.txt": (3, "ST"),
    "tastypackets__errorISA.edi": (35, "IEA"),
    "tigershark__835-example.txt": (2, "~GS"),
}
SHARED_FILES = sorted({*PARSED, *REFUSED})

# Where SOURCES.md says "well-formed: yes" but the file is refused. Its checker looked at
# the envelope only (its own words: "did not validate element content"); these refusals
# are about the 835 inside a sound envelope.
DISAGREEMENTS = {
    "lfh-x12__managed-care.835": "BPR16 '20002316' is not a date (month 23)",
    "oopfactory__Example1.txt": "GS08 '5010' is not an 835 guide version "
    "(it also has a CLP without CLP03/CLP04 at segment 98)",
    "pyx12__mult_isa.txt": "holds 278 and 837 transaction sets (and 835 sets with no BPR)",
}


def sources_verdicts() -> dict[str, tuple[str, str]]:
    """file → (well-formed, balances) cells of the era table in SOURCES.md."""
    sources = SHARED / "SOURCES.md"
    verdicts = {}
    for line in sources.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `era/") or "/expected/" in line:
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        verdicts[cells[0].strip("`").removeprefix("era/")] = (cells[-2], cells[-1])
    return verdicts


def test_every_shared_file_has_a_verdict():
    shared_file("pyx12__835_simple.txt")
    on_disk = {p.name for p in SHARED_ERA.iterdir() if p.suffix in (".txt", ".835", ".edi")}
    assert on_disk == set(SHARED_FILES)


@pytest.mark.parametrize("name", SHARED_FILES)
def test_shared_file_parses_or_is_refused_naming_a_segment(name: str):
    path = shared_file(name)
    if name in REFUSED:
        segment, tag = REFUSED[name]
        err = refusal(name, path.read_bytes())
        assert (err.segment_number, err.segment_id) == (segment, tag)
        assert str(err).startswith(f"{name}: segment {segment} ({tag}): ")
        return
    remit = parse(path)
    failures = era.balance(remit)
    assert failures.empty == PARSED[name], failures["message"].tolist()


@pytest.mark.parametrize("name", SHARED_FILES)
def test_shared_verdict_agrees_with_sources(name: str):
    shared_file(name)
    well_formed, balances = sources_verdicts()[name]
    if well_formed.startswith("no"):
        assert name in REFUSED
        named = re.search(r"\(segment (\d+)\)", well_formed)
        if named:  # SOURCES names the segment for its SE01 findings: the same one
            assert REFUSED[name][0] == int(named.group(1))
    elif name in DISAGREEMENTS:
        assert name in REFUSED
    else:
        assert PARSED.get(name) == (balances == "yes")


def test_same_transactions_in_another_layout_parse_identically():
    one_line = parse(shared_file("edi835parser__emedny_sample.txt"))
    for other in ("tastypackets__profee.edi", "tastypackets__multi-line-not-delimited.edi"):
        remit = parse(shared_file(other))
        for key in ("transactions", "claims", "lines", "adjustments", "plb"):
            pd.testing.assert_frame_equal(getattr(remit, key), getattr(one_line, key))


def test_emedny_claims_by_hand():
    remit = parse(shared_file("edi835parser__emedny_sample.txt"))
    claims = remit.claims
    assert claims["claim_id"].tolist() == ["PATIENT ACCOUNT NUMBER"] * 3  # one CLP01, 3 claims
    assert claims["status"].tolist() == ["1", "2", "2"]
    assert claims["charge_cents"].tolist() == [3425, 3400, 3425]
    assert claims["paid_cents"].tolist() == [3425, 0, 1150]
    assert claims["patient_resp_cents"].isna().all()
    assert claims["payer_claim_number"].tolist() == [
        "1000210000000030",
        "1000220000000020",
        "1000230000000020",
    ]
    assert claims["patient_member_id"].tolist() == ["LL99999L", "LL88888L", "LL77777L"]
    assert (claims["statement_from"] == pd.Timestamp("2010-01-01")).all()
    lines = remit.lines
    assert lines["procedure_code"].tolist() == [
        "V2020", "V2700", "V2103", "S0580", "V2020", "V2103", "V2020", "V2103", "V2700", "S0580",
    ]  # fmt: skip
    assert lines["modifiers"].tolist()[:4] == ["RB", "RB", "RB", ""]
    assert lines["line_seq"].tolist() == [0, 1, 2, 3, 0, 1, 0, 1, 2, 3]
    assert lines["units_paid_x1000"].tolist()[3:6] == [2000, 0, 0]  # S0580 x2; denied: 0
    assert lines.loc[7, "service_date"] == pd.Timestamp("2013-09-17")
    assert lines.loc[8, "remark_codes"] == "N206"
    allowed = lines["allowed_cents"]
    assert allowed.isna().tolist() == [False] * 4 + [True] * 2 + [False] * 2 + [True] * 2
    assert allowed.dropna().tolist() == [600, 275, 550, 2000, 600, 550]
    adjustments = remit.adjustments
    assert adjustments[
        ["claim_seq", "line_seq", "group", "reason", "amount_cents"]
    ].values.tolist() == [
        [1, 0, "CO", "29", 1200],
        [1, 1, "CO", "29", 2200],
        [2, 2, "CO", "251", 275],
        [2, 3, "CO", "251", 2000],
    ]
    txn = remit.transactions.iloc[0]
    assert (txn["total_paid_cents"], txn["trace_number"], txn["payer_name"]) == (
        4575,
        "10100000000",
        "NYSDOH",
    )
    assert (txn["isa_sender_id"], txn["isa_control"], txn["version"]) == (
        "EMEDNYBAT",
        "006000600",
        "005010X221A1",
    )


def test_uhc_cas_segment_with_two_triplets():
    remit = parse(shared_file("edi835parser__united_healthcare_legacy_sample.txt"))
    adj = remit.adjustments
    two = adj[adj["cas_segment"] == 59]
    assert two[["group", "reason", "amount_cents"]].values.tolist() == [
        ["PR", "2", 513],
        ["PR", "1", 11000],
    ]
    assert two["line_seq"].tolist() == [2, 2]
    line = remit.lines.iloc[4]
    assert (line["procedure_code"], line["units_paid_x1000"], line["allowed_cents"]) == (
        "B4154",
        178000,
        14418,
    )
    assert line["line_control_number"] == "123456789014"
    assert remit.transactions.loc[0, "payer_ref_2u"] == "87726"


def test_pyx12_simple_plb_and_reversals():
    remit = parse(shared_file("pyx12__835_simple.txt"))
    plb = remit.plb
    assert plb["amount_cents"].tolist() == [-100810, 2421, 595]
    assert plb["reason"].tolist() == ["CS", "CS", "CS"]
    assert plb["reference"].isna().all()
    assert plb["provider_id"].tolist() == ["382999999"] * 3
    assert (plb["fiscal_period_date"] == pd.Timestamp("2009-09-30")).all()
    assert remit.claims["status"].tolist() == ["22", "1", "22"]
    assert remit.claims["charge_cents"].tolist() == [-31000, 30000, -50025]
    assert remit.adjustments["group"].tolist() == ["CR", "CR"]  # 4010 group, read as is
    assert remit.transactions.loc[0, "version"] == "004010X091A1"
    assert remit.lines["service_from"].tolist()[0] == pd.Timestamp("2008-01-11")


def test_lfh_composite_written_with_another_separator_is_read():
    # ISA16 declares ':' but SVC01 reads 'HC>55669': a 2-letter qualifier then a symbol.
    remit = parse(shared_file("lfh-x12__cob-contractural-adjustment.835"))
    line = remit.lines.iloc[0]
    assert (line["qualifier"], line["procedure_code"]) == ("HC", "55669")
    assert remit.adjustments["amount_cents"].tolist() == [51600, -900]


# --- the scenario files --------------------------------------------------------------------

# file → ("ok", transactions, claims, lines, adjustments, plb rows, balances) or the refusal
SCENARIO_VERDICTS: dict[str, tuple] = {
    "pipe-delimiters.835": ("ok", 1, 1, 1, 2, 1, True),
    "caret-delimiters.835": ("ok", 1, 1, 1, 2, 1, True),
    "no-line-breaks.835": ("ok", 1, 1, 1, 2, 1, True),
    "crlf-line-breaks.835": ("ok", 1, 1, 1, 2, 1, True),
    "newline-terminator.835": ("ok", 1, 1, 1, 2, 1, True),
    "several-interchanges.835": ("ok", 3, 4, 4, 8, 4, True),
    "claim-and-line-level-cas.835": ("ok", 1, 2, 2, 5, 0, True),
    "six-cas-triplets.835": ("ok", 1, 1, 1, 7, 0, True),
    "negative-cas.835": ("ok", 1, 1, 1, 2, 0, True),
    "svc06-submitted-code.835": ("ok", 1, 1, 1, 1, 0, True),
    "service-period-and-lq-remarks.835": ("ok", 1, 1, 2, 2, 0, True),
    "plb-several-pairs.835": ("ok", 1, 1, 1, 1, 3, True),
    "reversal-and-correction.835": ("ok", 1, 2, 2, 4, 0, True),
    "unbalanced-claim.835": ("ok", 1, 1, 1, 2, 1, False),
    "version-4010.835": ("ok", 1, 1, 1, 2, 1, True),
    "se-count-wrong.835": (
        "refused",
        24,
        "SE",
        "SE01 says 21 segments but transaction set 0001 has 22 (ST to SE)",
    ),
    "ge-count-wrong.835": (
        "refused",
        25,
        "GE",
        "GE01 says 2 transaction sets but functional group 302 has 1",
    ),
    "iea-control-mismatch.835": (
        "refused",
        26,
        "IEA",
        "IEA02 000000330 does not match ISA13 000000303",
    ),
    "svc-before-clp.835": (
        "refused",
        13,
        "SVC",
        "SVC before any CLP: a service line must belong to a claim",
    ),
    "truncated-no-iea.835": (
        "refused",
        26,
        "IEA",
        "missing: the file ends inside interchange 000000305 (truncated?)",
    ),
    "truncated-mid-transaction.835": (
        "refused",
        20,
        "CAS",
        "CAS01 'P' is not a claim adjustment group code",
    ),
    "non-835-transaction.835": (
        "refused",
        25,
        "ST",
        "transaction set 837 is not an 835 remittance; this file cannot be posted",
    ),
    "non-numeric-amount.835": (
        "refused",
        13,
        "CLP",
        "CLP03 '2OO' is not an amount (at most 2 decimals)",
    ),
}


def test_every_scenario_file_has_a_verdict():
    assert {p.name for p in SCENARIOS.iterdir()} == set(SCENARIO_VERDICTS)


@pytest.mark.parametrize("name", sorted(SCENARIO_VERDICTS))
def test_scenario(name: str):
    path = SCENARIOS / name
    expected = SCENARIO_VERDICTS[name]
    if expected[0] == "refused":
        err = refusal(name, path.read_bytes())
        assert str(err) == f"{name}: segment {expected[1]} ({expected[2]}): {expected[3]}; " + (
            "nothing was posted"
        )
        return
    remit = parse(path)
    frames = (remit.transactions, remit.claims, remit.lines, remit.adjustments, remit.plb)
    assert tuple(len(f) for f in frames) == expected[1:6]
    assert era.balance(remit).empty == expected[6]


def data_columns(remit: era.Remit) -> dict[str, pd.DataFrame]:
    """Frames without what depends on the layout (segment numbers, envelope)."""
    out = {}
    for key in ("transactions", "claims", "lines", "adjustments", "plb"):
        frame = getattr(remit, key)
        drop = [
            c for c in frame.columns if c.endswith("_segment") or c.startswith(("isa_", "gs_"))
        ]
        out[key] = frame.drop(columns=drop)
    return out


@pytest.mark.parametrize(
    "name",
    [
        "caret-delimiters.835",
        "no-line-breaks.835",
        "crlf-line-breaks.835",
        "newline-terminator.835",
        "version-4010.835",
    ],
)
def test_layouts_and_delimiters_do_not_change_the_data(name: str):
    reference = data_columns(parse(SCENARIOS / "pipe-delimiters.835"))
    other = data_columns(parse(SCENARIOS / name))
    if name == "version-4010.835":
        assert other["transactions"].loc[0, "version"] == "004010X091A1"
        other["transactions"]["version"] = reference["transactions"]["version"]
    for key, frame in reference.items():
        pd.testing.assert_frame_equal(other[key], frame, check_names=False)


def test_mini_example_values():
    """domain.md §4.6: 200 − 61 − 25 = 114 paid; 114 − 14 PLB = 100 BPR02."""
    remit = parse(SCENARIOS / "pipe-delimiters.835")
    expected = {  # frame → values of its first row
        "transactions": {
            "total_paid_cents": 10000,
            "handling": "I",
            "credit_debit": "C",
            "payment_method": "ACH",
            "payment_date": pd.Timestamp("2025-04-01"),
            "production_date": pd.Timestamp("2025-03-31"),
            "trace_type": "1",
            "trace_number": "EFT0042",
            "trace_payer_id": "1123456789",
            "payer_name": "ACME HEALTH PLAN",
            "payer_id_qualifier": "XV",
            "payer_id": "12345",
            "payer_ref_2u": "ACME01",
            "payer_refs": "EO=EO777",
            "payee_refs": "TJ=123456789",
            "payee_name": "DEMO FAMILY PRACTICE",
            "payee_id_qualifier": "XX",
            "payee_id": "1234567893",
            "isa_sender_id": "PAYERSENDER",
            "isa_receiver_id": "PRACTICERECV",
            "st_segment": 3,
        },
        "claims": {
            "charge_cents": 20000,
            "paid_cents": 11400,
            "patient_resp_cents": 2500,
            "patient_last": "DOE",
            "patient_first": "JANE",
            "patient_member_id": "MEM123",
            "frequency": "1",
            "clp_segment": 13,
        },
        "lines": {
            "qualifier": "HC",
            "procedure_code": "99214",
            "modifiers": "",
            "allowed_cents": 13900,
            "line_control_number": "LN1",
            "units_paid_x1000": 1000,
        },
        "plb": {"reason": "WO", "reference": "PRIORCLM", "amount_cents": 1400},
    }
    for frame, values in expected.items():
        row = getattr(remit, frame).iloc[0]
        assert {column: row[column] for column in values} == values, frame
    assert pd.isna(remit.claims.iloc[0]["clp10"])
    line = remit.lines.iloc[0]
    assert pd.isna(line["original_units_x1000"])
    assert pd.isna(line["submitted_code"]) and pd.isna(line["revenue_code"])


def test_several_interchanges_with_their_own_delimiters():
    remit = parse(SCENARIOS / "several-interchanges.835")
    txns = remit.transactions
    assert txns["txn"].tolist() == [0, 1, 2]
    assert txns["isa_control"].tolist() == ["000000206", "000000207", "000000207"]
    assert txns["st_control"].tolist() == ["0001", "0001", "0002"]
    assert remit.claims["txn"].tolist() == [0, 1, 1, 2]
    assert remit.claims["claim_seq"].tolist() == [0, 0, 1, 0]
    # The second interchange declares '^' as component separator: SVC01 'HC^93000^26'.
    assert remit.lines["modifiers"].tolist() == ["", "", "26", ""]
    assert remit.plb["reason"].tolist() == ["WO", "L6", "WO", "FB"]


def test_claim_level_and_line_level_cas():
    remit = parse(SCENARIOS / "claim-and-line-level-cas.835")
    adj = remit.adjustments
    assert adj["line_seq"].isna().tolist() == [True, False, False, False, False]
    assert adj.loc[0, ["claim_seq", "group", "reason", "amount_cents"]].tolist() == [
        0,
        "CO",
        "A2",
        5000,
    ]
    assert adj["line_seq"].dropna().tolist() == [0, 0, 1, 1]
    assert remit.claims["patient_resp_cents"].isna().tolist() == [True, False]
    assert remit.lines["modifiers"].tolist() == ["", "26"]


def test_six_triplets_on_one_cas_segment():
    adj = parse(SCENARIOS / "six-cas-triplets.835").adjustments
    first = adj[adj["cas_segment"] == adj["cas_segment"].min()]
    assert first["reason"].tolist() == ["45", "59", "97", "253", "16", "A2"]
    assert first["amount_cents"].tolist() == [1000, 900, 800, 700, 300, 200]
    assert first["quantity"].isna().tolist() == [True, True, True, False, True, False]
    assert first["quantity"].dropna().tolist() == ["1", "2"]


def test_negative_cas_increases_payment():
    remit = parse(SCENARIOS / "negative-cas.835")
    assert remit.adjustments["amount_cents"].tolist() == [51600, -900]
    assert era.balance(remit).empty  # 541 − 516 + 9 = 34


def test_svc06_submitted_code_and_original_units():
    line = parse(SCENARIOS / "svc06-submitted-code.835").lines.iloc[0]
    assert (line["procedure_code"], line["modifiers"]) == ("59410", "GB")
    assert (line["submitted_qualifier"], line["submitted_code"], line["submitted_modifiers"]) == (
        "HC",
        "59430",
        "GB:59",
    )
    assert (line["units_paid_x1000"], line["original_units_x1000"]) == (1000, 2000)


def test_service_period_and_remark_codes():
    remit = parse(SCENARIOS / "service-period-and-lq-remarks.835")
    lines = remit.lines
    assert lines["service_from"].tolist() == [
        pd.Timestamp("2025-02-01"),
        pd.Timestamp("2025-03-01"),
    ]
    assert lines["service_to"].tolist() == [pd.Timestamp("2025-02-28"), pd.Timestamp("2025-03-15")]
    assert lines["service_date"].isna().all()
    assert lines["remark_codes"].tolist() == ["N14", "N14;MA130"]
    assert lines["units_paid_x1000"].tolist() == [68000, 52500]
    assert remit.claims.loc[0, "status"] == "4"
    assert remit.transactions.loc[0, "total_paid_cents"] == 0


def test_plb_with_several_pairs():
    remit = parse(SCENARIOS / "plb-several-pairs.835")
    plb = remit.plb
    assert plb["reason"].tolist() == ["L6", "WO", "FB"]
    assert plb["reference"].tolist()[1:] == ["CLM0999", "CLM0888"]
    assert pd.isna(plb.loc[0, "reference"])
    assert plb["amount_cents"].tolist() == [-525, 3000, 500]
    assert plb["plb_segment"].nunique() == 1
    assert era.balance(remit).empty  # 200 − (−5.25 + 30 + 5) = 170.25


def test_reversal_and_correction():
    remit = parse(SCENARIOS / "reversal-and-correction.835")
    claims = remit.claims
    assert claims["claim_id"].tolist() == ["CLMREV", "CLMREV"]
    assert claims["status"].tolist() == ["22", "1"]
    assert claims["paid_cents"].tolist() == [-11400, 13400]
    assert remit.lines["allowed_cents"].tolist() == [-13900, 15900]
    assert remit.lines["units_paid_x1000"].tolist() == [-1000, 1000]
    assert remit.adjustments["amount_cents"].tolist() == [-6100, -2500, 4100, 2500]
    assert era.balance(remit).empty


def test_unbalanced_claim_is_parsed_and_reported():
    failures = era.balance(parse(SCENARIOS / "unbalanced-claim.835"))
    assert failures[["level", "claim_seq", "expected_cents", "actual_cents"]].values.tolist() == [
        ["claim", 0, 11400, 12000],
        ["claim", 0, 11400, 12000],
        ["transaction", pd.NA, 10600, 10000],
    ]
    assert failures["message"].tolist() == [
        "claim CLM1001 (CLP02 1): CLP03 200.00 - CAS 86.00 = 114.00 but CLP04 = 120.00",
        "claim CLM1001 (CLP02 1): its lines pay SVC03 114.00 - claim CAS 0.00 = 114.00 but "
        "CLP04 = 120.00",
        "transaction set 0001: sum(CLP04) 120.00 - PLB 14.00 = 106.00 but BPR02 = 100.00",
    ]


def test_line_failure_names_the_line():
    raw = (SCENARIOS / "pipe-delimiters.835").read_bytes().replace(b"CAS|PR|3|25", b"CAS|PR|3|24")
    failures = era.balance(era.parse("f", raw))
    line = failures.iloc[0]
    assert (line["level"], line["line_seq"], line["expected_cents"], line["actual_cents"]) == (
        "line",
        0,
        11500,
        11400,
    )
    assert line["message"] == (
        "claim CLM1001 line 1: SVC02 200.00 - CAS 85.00 = 115.00 but SVC03 = 114.00"
    )


# --- frames: columns and types ---------------------------------------------------------------

COLUMNS = {
    "transactions": [
        "txn", "isa_sender_qualifier", "isa_sender_id", "isa_receiver_qualifier",
        "isa_receiver_id", "isa_control", "isa_usage", "gs_sender", "gs_receiver", "gs_control",
        "st_control", "version", "handling", "total_paid_cents", "credit_debit",
        "payment_method", "payment_date", "trace_type", "trace_number", "trace_payer_id",
        "production_date", "payer_name", "payer_id_qualifier", "payer_id", "payer_ref_2u",
        "payer_refs", "payee_name", "payee_id_qualifier", "payee_id", "payee_refs",
        "header_refs", "st_segment",
    ],
    "claims": [
        "txn", "claim_seq", "claim_id", "status", "charge_cents", "paid_cents",
        "patient_resp_cents", "filing_indicator", "payer_claim_number", "facility_code",
        "frequency", "clp10", "clp11", "clp12", "clp13", "clp14", "patient_last",
        "patient_first", "patient_member_id", "insured_member_id", "rendering_provider_id",
        "statement_from", "statement_to", "received_date", "moa_remarks", "clp_segment",
    ],
    "lines": [
        "txn", "claim_seq", "line_seq", "qualifier", "procedure_code", "modifiers",
        "charge_cents", "paid_cents", "revenue_code", "units_paid_x1000", "submitted_qualifier",
        "submitted_code", "submitted_modifiers", "original_units_x1000", "service_date",
        "service_from", "service_to", "line_control_number", "allowed_cents", "remark_codes",
        "svc_segment",
    ],
    "adjustments": [
        "txn", "claim_seq", "line_seq", "group", "reason", "amount_cents", "quantity",
        "cas_segment",
    ],
    "plb": [
        "txn", "provider_id", "fiscal_period_date", "reason", "reference", "amount_cents",
        "plb_segment",
    ],
}  # fmt: skip
NULLABLE_INTS = {
    "patient_resp_cents",
    "units_paid_x1000",
    "original_units_x1000",
    "allowed_cents",
    "line_seq",
}


@pytest.mark.parametrize("name", ["several-interchanges.835", "service-period-and-lq-remarks.835"])
def test_columns_and_dtypes(name: str):
    remit = parse(SCENARIOS / name)
    for key, columns in COLUMNS.items():
        frame = getattr(remit, key)
        assert frame.columns.tolist() == columns
        for column in columns:
            dtype = frame[column].dtype
            if column.endswith(("_date", "_from", "_to")):
                assert dtype == "datetime64[ns]", column
            elif column in NULLABLE_INTS and not (key == "lines" and column == "line_seq"):
                assert dtype == "Int64", column
            elif column.endswith(("_cents", "_seq", "_segment")) or column == "txn":
                assert dtype == np.int64, column
            else:
                assert dtype == "str", column


def test_empty_frames_keep_their_columns():
    remit = parse(shared_file("tastypackets__oneLine.edi"))  # claims without service lines
    assert remit.lines.empty and remit.lines.columns.tolist() == COLUMNS["lines"]
    assert remit.plb.columns.tolist() == COLUMNS["plb"]
    assert era.balance(remit).empty


def test_remit_is_frozen():
    remit = parse(SCENARIOS / "pipe-delimiters.835")
    with pytest.raises(dataclasses.FrozenInstanceError):
        remit.claims = remit.lines  # type: ignore[misc]


# --- amounts, dates, placement: small edits of a valid file ------------------------------------

PIPE = (SCENARIOS / "pipe-delimiters.835").read_bytes()


def edited(old: str, new: str) -> bytes:
    assert old.encode() in PIPE
    return PIPE.replace(old.encode(), new.encode(), 1)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("123.45", 12345),
        ("100", 10000),
        ("-9.5", -950),
        (".5", 50),
        ("-.05", -5),
        ("5.", 500),
        ("12.500", 1250),
        ("0000012.3", 1230),
        ("-0", 0),
        ("999999999999999.99", 99999999999999999),
    ],
)
def test_x12_decimals_become_exact_cents(text: str, cents: int):
    remit = era.parse("f", edited("CLP|CLM1001|1|200|", f"CLP|CLM1001|1|{text}|"))
    assert remit.claims.loc[0, "charge_cents"] == cents


def test_quantities_are_exact_thousandths():
    remit = era.parse("f", edited("SVC|HC:99214|200|114||1", "SVC|HC:99214|200|114||1.125||2.5"))
    line = remit.lines.iloc[0]
    assert (line["units_paid_x1000"], line["original_units_x1000"]) == (1125, 2500)
    err = refusal("f", edited("SVC|HC:99214|200|114||1", "SVC|HC:99214|200|114||1.1255"))
    assert err.reason == "SVC05 '1.1255' is not a quantity (at most 3 decimals)"


REFUSALS = [  # (old text, new text, segment number, segment id, reason): element values
    ("CAS|CO|45|61", "CAS|XX|45|61", 19, "CAS", "CAS01 'XX' is not a claim adjustment group code"),
    ("CAS|CO|45|61", "CAS|CO||61", 19, "CAS", "CAS02 (reason code) is empty but required"),
    ("CAS|CO|45|61", "CAS|CO|45|61|1|97", 19, "CAS", "CAS06 (amount) is empty but required"),
    ("SVC|HC:99214|", "SVC|HC|", 17, "SVC", "SVC01 'HC' has no procedure code"),
    ("CLP|CLM1001|", "CLP||", 13, "CLP", "CLP01 (patient control number) is empty but required"),
    *(
        (
            "CLP|CLM1001|1|200|",
            f"CLP|CLM1001|1|{text}|",
            13,
            "CLP",
            f"CLP03 {text!r} is not an amount (at most 2 decimals)",
        )
        for text in ["1.005", "+5", "1e3", " 5", "5-", "1,000", "$5", ".", "-", "١٢"]
    ),
    ("SVC|HC:99214|200|114|", "SVC|HC:99214|200||", 17, "SVC", "SVC03 is empty but required"),
    *(
        (
            "DTM|472|20250305",
            f"DTM|472|{date}",
            18,
            "DTM",
            f"DTM02 {date!r} is not a date (CCYYMMDD)",
        )
        for date in ["20250230", "2025-03-05", "2025035", "00010101", "2025O305"]
    ),
    ("AMT|B6|139", "AMT|B6|13 9", 22, "AMT", "AMT02 '13 9' is not an amount (at most 2 decimals)"),
    (
        "PCN987654|11|1",
        "PCN987654|11|1|||||||",
        13,
        "CLP",
        "CLP has 16 elements; the 835 defines 14",
    ),
    ("BPR|I|100|", "BPR|I||", 4, "BPR", "BPR02 is empty but required"),
    ("98765|20250401", "98765|20250431", 4, "BPR", "BPR16 '20250431' is not a date (CCYYMMDD)"),
    ("TRN|1|EFT0042|", "TRN|1||", 5, "TRN", "TRN02 (trace number) is empty but required"),
    (
        "PRIORCLM|14",
        "PRIORCLM|x",
        23,
        "PLB",
        "PLB amount 'x' is not an amount (at most 2 decimals)",
    ),
    ("PLB|1234567893|20251231|", "PLB|1234567893||", 23, "PLB", "PLB02 is empty but required"),
]
REFUSALS += [  # segments out of place, and a guide this reader does not know
    ("LX|1", "LQ|HE|N1", 12, "LQ", "LQ outside a service line: it must follow an SVC"),
    ("DTM|405|20250331", "CAS|CO|45|1", 6, "CAS", "CAS outside a claim: it must follow a CLP"),
    (
        "BPR|I|100|",
        "TRN|1|X|1~\nBPR|I|100|",
        4,
        "TRN",
        "TRN where BPR must be: an 835 starts with BPR right after ST",
    ),
    (
        "PRIORCLM|14",
        "PRIORCLM|14~\nDTM|405|20250331",
        24,
        "DTM",
        "DTM after PLB: provider adjustments must be the last segments before SE",
    ),
    ("LX|1", "TRN|1|EFT0043|1", 12, "TRN", "a second TRN: an 835 has one trace number"),
    (
        "TRN|1|EFT0042|1123456789",
        "REF|EV|X",
        24,
        "SE",
        "transaction set has no TRN: the check or EFT trace number is required",
    ),
    (
        "005010X221A1",
        "005010X222A1",
        2,
        "GS",
        "GS08 '005010X222A1' is not an 835 guide this reader knows (005010X221A1, 004010X091A1)",
    ),
]


@pytest.mark.parametrize(("old", "new", "segment", "tag", "reason"), REFUSALS)
def test_refusals_name_the_first_problem(old, new, segment, tag, reason):
    raw = edited(old, new)
    # Keep SE01 right when a segment was added, so the edit is the only problem.
    added = new.count("~")
    if added:
        raw = raw.replace(b"SE|22|0001", f"SE|{22 + added}|0001".encode())
    err = refusal("f", raw)
    assert (err.segment_number, err.segment_id, err.reason) == (segment, tag, reason)


def test_a_bad_value_before_an_envelope_problem_is_reported_first():
    raw = edited("CLP|CLM1001|1|200|", "CLP|CLM1001|1|2x0|").replace(b"GE|1|201", b"GE|2|201")
    assert refusal("f", raw).segment_number == 13
    raw = edited("PLB|1234567893|20251231|WO:PRIORCLM|14", "PLB|1234567893|20251231|WO:PRIORCLM|x")
    raw = raw.replace(b"SE|22|0001", b"SE|21|0001")  # SE (24) after the PLB (23)
    assert refusal("f", raw).segment_number == 23


def test_interchange_without_transactions_is_fine():
    raw = (
        b"ISA*00*          *00*          *ZZ*PAYERSENDER    *ZZ*PRACTICERECV   *250401*0930*^"
        b"*00501*000000001*0*P*:~GS*HP*A*B*20250401*0930*1*X*005010X221A1~GE*0*1~IEA*1*000000001~"
    )
    remit = era.parse("empty.835", raw)
    assert all(getattr(remit, k).empty for k in COLUMNS)
    assert era.balance(remit).empty
