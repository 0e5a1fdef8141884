"""The pure evaluation of an 835 and the task plan: hand-built frames, no database.

The practice: ACME pays a fixed fee schedule (99213 $95.00, 99214 $140.00 from
2025-01-01; 99213 $90.00 in 2024), lesser of charge, 50 % MPPR, appeals within 60 days.
"""

from __future__ import annotations

import pandas as pd

from payeropt_lib.inputs import era
from payeropt_lib.remittances import evaluation, tasks
from payeropt_lib.remittances.evaluation import Practice, evaluate
from payeropt_lib.remittances.matching import payment_keys
from tests.remittances.x835 import ACME, clp, era835, svc

DAY = pd.Timestamp


def days(*values: str | None) -> pd.Series:
    """Dates as the store reads them: datetime64[ns]."""
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def practice(charges: pd.DataFrame, posted_claims: pd.DataFrame | None = None) -> Practice:
    contracts = pd.DataFrame(
        {
            "payer_id": ["ACME"],
            "payer_name": ["Acme Health Plan"],
            "payer_class": ["COMMERCIAL"],
            "product_line": [""],
            "effective_from": days("2024-01-01"),
            "basis": ["fee_schedule"],
            "medicare_percent_x1000": pd.array([pd.NA], dtype="Int64"),
            "medicare_locality": pd.array([pd.NA], dtype="str"),
            "lesser_of_charges": [True],
            "mppr_percent_x1000": [50_000],
            "appeal_days": pd.array([60], dtype="Int64"),
        }
    )
    fees = pd.DataFrame(
        {
            "payer_id": "ACME",
            "product_line": "",
            "procedure_code": ["99213", "99213", "99214"],
            "modifier": "",
            "effective_from": days("2024-01-01", "2025-01-01", "2025-01-01"),
            "effective_to": days("2025-01-01", None, None),
            "allowed_cents": [9000, 9500, 14000],
        }
    )
    medicare = pd.DataFrame(
        {
            "locality": pd.Series(dtype="str"),
            "procedure_code": pd.Series(dtype="str"),
            "modifier": pd.Series(dtype="str"),
            "effective_from": pd.Series(dtype="datetime64[ns]"),
            "effective_to": pd.Series(dtype="datetime64[ns]"),
            "non_facility_cents": pd.Series(dtype="int64"),
            "facility_cents": pd.Series(dtype="int64"),
            "mult_proc": pd.Series(dtype="str"),
        }
    )
    posted = posted_claims
    if posted is None:
        posted = pd.DataFrame(
            {c: pd.Series(dtype="int64") for c in ("remit_id", "claim_seq")}
            | {"claim_id": pd.Series(dtype="str")}
            | {c: pd.Series(dtype="int64") for c in ("charge_cents", "paid_cents")}
        )
    return Practice(
        aliases=pd.DataFrame({"alias": ["ACME HEALTH PLAN"], "payer_id": ["ACME"]}),
        contracts=contracts,
        fee_schedules=fees,
        medicare_fees=medicare,
        charges=charges,
        posted_claims=posted,
    )


def charges(*lines: tuple[str, int, str, int, str]) -> pd.DataFrame:
    """(claim_id, line_number, code, charge cents, date of service) per charge line."""
    return pd.DataFrame(
        {
            "claim_id": [x[0] for x in lines],
            "line_number": [x[1] for x in lines],
            "date_of_service": days(*(x[4] for x in lines)),
            "procedure_code": [x[2] for x in lines],
            "modifiers": "",
            "units": 1,
            "charge_cents": [x[3] for x in lines],
            "primary_payer_id": "ACME",
            "product_line": "",
            "place_of_service": "11",
            "line_control_number": pd.array([pd.NA] * len(lines), dtype="str"),
        }
    )


def remit(content: bytes, first_id: int = 7) -> tuple[era.Remit, pd.DataFrame]:
    parsed = era.parse("test.835", content)
    txns = parsed.transactions.assign(payment_key=payment_keys(parsed.transactions))
    return parsed, txns.assign(remit_id=range(first_id, first_id + len(txns)))


def evaluated(content: bytes, *lines: tuple[str, int, str, int, str], first_id: int = 7):
    """``evaluate`` of an 835 for the practice with ``lines`` as its charges."""
    parsed, txns = remit(content, first_id)
    return evaluate(parsed, txns, practice(charges(*lines)), DAY("2025-04-01"))


def frozen(p: Practice) -> dict[str, pd.DataFrame]:
    return {name: getattr(p, name).copy() for name in p.__dataclass_fields__}


def test_an_under_paid_line_is_a_finding_with_its_cause_and_explanation() -> None:
    parsed, txns = remit(
        era835(
            ACME,
            [
                clp(
                    "C1",
                    [
                        svc("99213", 15000, 8000, dos="20250310", cas=[("CO", "45", 7000)]),
                        svc("99214", 20000, 14000, dos="20250310", cas=[("CO", "45", 6000)]),
                    ],
                )
            ],
        )
    )
    p = practice(
        charges(("C1", 1, "99213", 15000, "2025-03-10"), ("C1", 2, "99214", 20000, "2025-03-10"))
    )
    before = frozen(p)
    found = evaluate(parsed, txns, p, DAY("2025-04-01"))

    for name, frame in before.items():  # pure: the practice's frames are untouched
        pd.testing.assert_frame_equal(getattr(p, name), frame)
    lines = found.lines.set_index("line_number")
    assert lines.loc[1, "outcome"] == "underpaid"
    assert lines.loc[2, "outcome"] == "ok"
    assert lines["expected_cents"].tolist() == [9500, 14000]
    finding = found.findings.iloc[0]
    assert (finding["remit_id"], finding["claim_id"], finding["kind"]) == (7, "C1", "underpaid")
    assert (finding["expected_cents"], finding["variance_cents"]) == (9500, -1500)
    assert finding["cause"] == "below_contract"
    assert finding["evidence"] == "allowed $80.00 for 99213 is $15.00 below expected $95.00"
    assert finding["explanation"].startswith("ACME contract from 2024-01-01: fixed fee schedule")
    assert found.remittances[["remit_id", "payer_id", "balanced"]].values.tolist() == [
        [7, "ACME", True]
    ]
    assert found.problems.empty and found.denials.empty and found.reversed.empty


def test_the_earlier_period_rate_is_the_evidence_when_it_matches() -> None:
    paid = svc("99213", 15000, 9000, dos="20250310", cas=[("CO", "45", 6000)])
    found = evaluated(era835(ACME, [clp("C2", [paid])]), ("C2", 1, "99213", 15000, "2025-03-10"))
    finding = found.findings.iloc[0]
    assert finding["cause"] == "earlier_rate"
    assert finding["evidence"] == (
        "allowed $90.00 for 99213 is what the rate before 2025-01-01 pays; "
        "the contract in force pays $95.00"
    )


def percent_practice(lines: pd.DataFrame) -> Practice:
    """ACME at 115 % of Medicare locality L1 (50 % MPPR, not lesser-of): 20611 $100.00 and
    20610 $77.41 (multiple-procedure indicator 2), 99213 $80.00 (indicator 0)."""
    base = practice(lines)
    contracts = base.contracts.assign(
        basis="medicare_percent",
        medicare_percent_x1000=pd.array([115_000], dtype="Int64"),
        medicare_locality=pd.array(["L1"], dtype="str"),
        lesser_of_charges=False,
    )
    medicare = pd.DataFrame(
        {
            "locality": "L1",
            "procedure_code": ["20611", "20610", "99213"],
            "modifier": "",
            "effective_from": days("2025-01-01", "2025-01-01", "2025-01-01"),
            "effective_to": days(None, None, None),
            "non_facility_cents": [10_000, 7_741, 8_000],
            "facility_cents": [9_000, 4_987, 6_000],
            "mult_proc": ["2", "2", "0"],
        }
    )
    return Practice(
        aliases=base.aliases,
        contracts=contracts,
        fee_schedules=base.fee_schedules.iloc[0:0],
        medicare_fees=medicare,
        charges=lines,
        posted_claims=base.posted_claims,
    )


def test_a_cause_is_named_only_when_its_evidence_fits_to_the_cent() -> None:
    """Issue 11.6. Line 2 (20610-LT, the 2nd procedure, 50 %) was paid at 110 % of its
    reduced Medicare base: $77.41 × 110 % = $85.15, × 50 % = $42.58 (it once read "55.0% of
    Medicare"). C2's 99213 at $88.88 fits no whole or half percent: a plain shortfall. C3's
    two 99213 lines at 107.3 % ($85.84) share one payer's percent on one remittance."""
    lines = charges(
        ("C1", 1, "20611", 30000, "2025-03-10"),
        ("C1", 2, "20610", 30000, "2025-03-10"),
        ("C2", 1, "99213", 15000, "2025-03-10"),
        ("C3", 1, "99213", 15000, "2025-03-11"),
        ("C4", 1, "99213", 15000, "2025-03-12"),
    ).assign(modifiers=["", "LT", "", "", ""])
    day = "20250310"
    content = era835(
        ACME,
        [
            clp(
                "C1",
                [
                    svc("20611", 30000, 11500, dos=day, cas=[("CO", "45", 18500)]),
                    svc("20610", 30000, 4258, mods="LT", dos=day, cas=[("CO", "45", 25742)]),
                ],
            ),
            clp("C2", [svc("99213", 15000, 8888, dos=day, cas=[("CO", "45", 6112)])]),
            clp("C3", [svc("99213", 15000, 8584, dos="20250311", cas=[("CO", "45", 6416)])]),
            clp("C4", [svc("99213", 15000, 8584, dos="20250312", cas=[("CO", "45", 6416)])]),
        ],
    )
    parsed, txns = remit(content)
    found = evaluate(parsed, txns, percent_practice(lines), DAY("2025-04-01"))
    f = found.findings.set_index(["claim_id", "line_number"])
    assert f["cause"].to_dict() == {
        ("C1", 2): "percent_of_medicare",
        ("C2", 1): "below_contract",
        ("C3", 1): "percent_of_medicare",
        ("C4", 1): "percent_of_medicare",
    }
    assert f.loc[("C1", 2), "evidence"] == (
        "allowed $42.58 for 20610-LT is 110% of Medicare $77.41 (2nd procedure at 50%); "
        "the contract says 115%"
    )
    assert f.loc[("C2", 1), "evidence"] == (
        "allowed $88.88 for 99213 is $3.12 below expected $92.00"
    )
    assert f.loc[("C3", 1), "evidence"] == (
        "allowed $85.84 for 99213 is 107.3% of Medicare $80.00; the contract says 115%"
    )


def test_units_ignored_fits_one_units_price_exactly() -> None:
    """Issue 11.6: 20610 × 3 at 115 % is 3 × $89.02 = $267.06; the payer paid one unit,
    $89.02 (units ignored); one cent more ($89.03) is not one unit's price, so it is a
    plain shortfall."""
    lines = charges(
        ("C5", 1, "20610", 60000, "2025-03-10"), ("C6", 1, "20610", 60000, "2025-03-10")
    ).assign(units=3)
    content = era835(
        ACME,
        [
            clp(
                "C5",
                [
                    svc(
                        "20610",
                        60000,
                        8902,
                        units=3,
                        units_paid=1,
                        cas=[("CO", "45", 51098)],
                        dos="20250310",
                    )
                ],
            ),
            clp(
                "C6",
                [
                    svc(
                        "20610",
                        60000,
                        8903,
                        units=3,
                        units_paid=1,
                        cas=[("CO", "45", 51097)],
                        dos="20250310",
                    )
                ],
            ),
        ],
    )
    parsed, txns = remit(content)
    found = evaluate(parsed, txns, percent_practice(lines), DAY("2025-04-01"))
    f = found.findings.set_index("claim_id")
    assert f["expected_cents"].tolist() == [26706, 26706]
    assert f["cause"].to_dict() == {"C5": "units_ignored", "C6": "below_contract"}
    assert f.loc["C5", "evidence"] == (
        "allowed $89.02 for 20610 pays 1 unit of 3; expected $267.06 for 3 units"
    )
    assert f.loc["C6", "evidence"] == (
        "allowed $89.03 for 20610 (3 units) is $178.03 below expected $267.06"
    )


def test_unmatched_claims_unknown_payers_and_denials_are_reported() -> None:
    other = ("SOME OTHER PLAN", "555")
    content = era835(
        ACME,
        [
            clp("C3", [svc("99214", 20000, 0, dos="20250310", cas=[("CO", "50", 20000)])]),
            clp("NOPE", [svc("99213", 15000, 9500, dos="20250310", cas=[("CO", "45", 5500)])]),
        ],
    )
    charge = ("C3", 1, "99214", 20000, "2025-03-10")
    found = evaluated(content, charge)
    assert found.denials[["claim_id", "denial_class", "carc", "carcs"]].values.tolist() == [
        ["C3", "denied", "50", "CO-50"]
    ]
    assert found.problems[["kind", "claim_id"]].values.tolist() == [["unmatched_claim", "NOPE"]]
    assert found.findings.empty

    paid = svc("99214", 20000, 14000, dos="20250310", cas=[("CO", "45", 6000)])
    found = evaluated(era835(other, [clp("C3", [paid])]), charge)
    assert found.problems["kind"].tolist() == ["unknown_payer"]
    assert found.remittances["payer_id"].isna().all()
    assert found.lines["outcome"].tolist() == ["unknown_payer"]


def test_a_reversal_cancels_the_earlier_posting_it_negates() -> None:
    reversal = clp(
        "C4", [svc("99213", -15000, -8000, dos="20250310", cas=[("CO", "45", -7000)])], status="22"
    )
    parsed, txns = remit(era835(ACME, [reversal]), first_id=9)
    posted = pd.DataFrame(
        {
            "remit_id": [3, 5],
            "claim_seq": [0, 2],
            "claim_id": ["C4", "C4"],
            "charge_cents": [15000, 15000],
            "paid_cents": [8000, 9000],
        }
    )
    p = practice(charges(("C4", 1, "99213", 15000, "2025-03-10")), posted)
    found = evaluate(parsed, txns, p, DAY("2025-04-01"))
    # The exact negation (remit 3) is preferred over the later posting (remit 5).
    assert found.reversed.values.tolist() == [[3, 0, 9]]
    assert found.lines["outcome"].tolist() == ["reversal"]
    assert found.claims["is_reversal"].tolist() == [True]


def test_a_zero_paid_line_with_a_denial_reason_is_denied_whatever_the_group() -> None:
    """Issue 11.2: nothing paid and a refusing reason (domain §5) is a denial under PR or OA
    too, allowed $0 (PR-29 once read as allowed at the full charge: an over-payment); a
    deductible that takes the whole allowed amount is no denial."""
    found = evaluated(
        era835(
            ACME,
            [
                clp("C1", [svc("99213", 15000, 0, dos="20250310", cas=[("PR", "29", 15000)])]),
                clp("C2", [svc("99213", 15000, 0, dos="20250310", cas=[("OA", "18", 15000)])]),
                clp(
                    "C3",
                    [
                        svc(
                            "99213",
                            15000,
                            0,
                            dos="20250310",
                            cas=[("PR", "1", 9500), ("CO", "45", 5500)],
                        )
                    ],
                ),
            ],
        ),
        ("C1", 1, "99213", 15000, "2025-03-10"),
        ("C2", 1, "99213", 15000, "2025-03-10"),
        ("C3", 1, "99213", 15000, "2025-03-10"),
    )
    lines = found.lines.set_index("claim_id")
    assert lines["outcome"].to_dict() == {"C1": "denied", "C2": "denied", "C3": "ok"}
    assert lines["allowed_cents"].to_dict() == {"C1": 0, "C2": 0, "C3": 9500}
    assert found.findings.empty
    denials = found.denials.set_index("claim_id")
    assert denials[["group_code", "carc", "carcs"]].values.tolist() == [
        ["PR", "29", "PR-29"],
        ["OA", "18", "OA-18"],
    ]


def test_several_reversals_of_one_claim_cancel_different_postings() -> None:
    """Issue 11.1: a claim paid twice and reversed twice in one 835: each reversal takes its
    own posting (exact negations first), never the same one twice."""
    line = svc("99213", -15000, -8000, dos="20250310", cas=[("CO", "45", -7000)])
    reversals = [clp("C4", [line], status="22"), clp("C4", [line], status="22")]
    parsed, txns = remit(era835(ACME, reversals), first_id=9)
    posted = pd.DataFrame(
        {
            "remit_id": [3, 5, 6],
            "claim_seq": [0, 2, 0],
            "claim_id": ["C4", "C4", "C4"],
            "charge_cents": [15000, 15000, 15000],
            "paid_cents": [8000, 8000, 9000],
        }
    )
    p = practice(charges(("C4", 1, "99213", 15000, "2025-03-10")), posted)
    found = evaluate(parsed, txns, p, DAY("2025-04-01"))
    assert sorted(found.reversed.values.tolist()) == [[3, 0, 9], [5, 2, 9]]


def test_the_task_plan_opens_and_recovers_without_touching_its_inputs() -> None:
    findings = pd.DataFrame(
        {
            "kind": ["underpaid", "underpaid", "overpaid"],
            "claim_id": ["C1", "C1", "C9"],
            "remit_id": [7, 7, 7],
            "payer_id": "ACME",
            "variance_cents": [-1500, -500, 900],
            "cause": ["below_contract", "units_ignored", "above_contract"],
            "remit_date": DAY("2025-03-01"),
            "product_line": "",
            "contract_from": DAY("2024-01-01"),
        }
    )
    lines = pd.DataFrame(
        {
            "claim_id": ["C1", "C2", "C2"],
            "line_number": [1, 1, 2],
            "is_reversal": False,
            "allowed_cents": [8000, 9500, 14000],
            "outcome": ["underpaid", "ok", "ok"],
        }
    )
    open_tasks = pd.DataFrame({"task_id": [41], "amount_cents": [2000], "state": ["appealed"]})
    task_findings = pd.DataFrame(
        {
            "task_id": [41, 41],
            "claim_id": "C2",
            "line_number": [1, 2],
            "allowed_cents": [8000, 13500],
        }
    )
    contracts = practice(charges()).contracts
    inputs = [f.copy() for f in (findings, lines, open_tasks, task_findings, contracts)]
    plan = tasks.plan(findings, lines, open_tasks, task_findings, contracts)

    for given, kept in zip(
        (findings, lines, open_tasks, task_findings, contracts), inputs, strict=True
    ):
        pd.testing.assert_frame_equal(given, kept)
    opened = plan.opened.iloc[0]
    assert len(plan.opened) == 1
    assert (opened["claim_id"], opened["amount_cents"], opened["lines"]) == ("C1", 2000, 2)
    assert opened["cause"] == "below_contract"  # the cause with the most money at stake
    assert opened["deadline"] == DAY("2025-04-30")  # 60 days from the remittance
    # C2 now allowed 9500 + 14000 = 23500 against 21500 before: 2000 recovered, the stake.
    assert plan.recovered.values.tolist() == [[41, "appealed", 2000]]
    assert tasks.claims_answered(lines) == ["C1", "C2"]
    linked = tasks.link(
        findings, plan.opened.assign(task_id=[101])[["claim_id", "remit_id", "task_id"]]
    )
    assert linked["task_id"].tolist() == [101, 101, pd.NA]


def test_pricing_input_groups_the_lines_of_one_remitted_claim() -> None:
    lines = pd.DataFrame(
        {
            "remit_id": [1, 1, 2, 2],
            "claim_seq": [0, 0, 0, 0],
            "line_seq": [0, 1, 0, 1],
            "denial_class": pd.array([pd.NA, pd.NA, pd.NA, "bundled"], dtype="str"),
            "payer_id": "ACME",
            "product_line": pd.array([pd.NA, "", "HMO", "HMO"], dtype="str"),
            "procedure_code": "99213",
            "modifiers": pd.array(["25", pd.NA, "", ""], dtype="str"),
            "units": 1,
            "billed_cents": 100,
            "date_of_service": DAY("2025-01-01"),
            "place_of_service": "11",
        }
    )
    engine_in = evaluation.pricing_input(lines, "procedure_code", "modifiers", lines["claim_seq"])
    # A bundled (or denied) line is a group of its own: it takes no rank (interface §3).
    assert engine_in["claim_id"].tolist() == ["1:0", "1:0", "2:0", "2:0/1"]
    assert engine_in["product_line"].tolist() == ["", "", "HMO", "HMO"]
    assert engine_in["modifiers"].tolist() == ["25", "", "", ""]
    assert engine_in["line_key"].tolist() == [0, 1, 2, 3]


def test_a_claim_paid_twice_in_one_file_ranks_within_each_payment() -> None:
    """Issue 11 (store under load): the same claim paid twice in one 835 (two CLPs) is two
    payments: each 20610 is the 1st procedure of its own, priced in full ($89.02 at 115 %),
    not ranked across both (once the second was priced at 50 %: a false over-payment)."""
    lines = charges(("C7", 1, "20610", 30000, "2025-03-10"))
    paid = svc("20610", 30000, 8902, dos="20250310", cas=[("CO", "45", 21098)])
    parsed, txns = remit(era835(ACME, [clp("C7", [paid]), clp("C7", [paid])]))
    found = evaluate(parsed, txns, percent_practice(lines), DAY("2025-04-01"))
    assert found.lines["expected_cents"].tolist() == [8902, 8902]
    assert found.lines["outcome"].tolist() == ["ok", "ok"]
    assert found.findings.empty
