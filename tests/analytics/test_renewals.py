"""renewals: notice windows, rates against peers, history, suppression and guardrails."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from payeropt_lib.analytics import directory, recovery, renewals
from payeropt_lib.packet import plots
from tests.conftest import ROOT

AS_OF = "2026-11-01"
LOCALITY = "01112-05"
NOTEBOOK = ROOT / "notebooks" / "07_contract_renewals.ipynb"


def _contracts(*rows: dict) -> pd.DataFrame:
    base = {
        "product_line": "",
        "payer_class": "COMMERCIAL",
        "effective_from": "2024-01-01",
        "renewal_date": None,
        "notice_days": None,
        "basis": "fee_schedule",
        "medicare_percent_x1000": None,
        "medicare_locality": None,
    }
    frame = pd.DataFrame([{**base, **r} for r in rows])
    if "payer_name" not in frame:
        frame["payer_name"] = frame["payer_id"]
    frame["payer_name"] = frame["payer_name"].fillna(frame["payer_id"])
    return frame.astype(
        {
            "effective_from": "datetime64[ns]",
            "renewal_date": "datetime64[ns]",
            "notice_days": "Int64",
            "medicare_percent_x1000": "Int64",
            "medicare_locality": "str",
        }
    )


def _fees(*rows: tuple) -> pd.DataFrame:
    """(payer_id, procedure_code, cents); blank product line and modifier, from 2024."""
    frame = pd.DataFrame(rows, columns=["payer_id", "procedure_code", "allowed_cents"])
    return frame.assign(
        product_line="",
        modifier="",
        effective_from=pd.Timestamp("2024-01-01"),
        effective_to=pd.NaT,
    ).astype({"allowed_cents": "int64", "effective_to": "datetime64[ns]"})


MEDICARE = pd.DataFrame(
    {
        "locality": LOCALITY,
        "procedure_code": ["99213", "99214"],
        "modifier": "",
        "effective_from": pd.Timestamp("2026-01-01"),
        "effective_to": pd.NaT,
        "non_facility_cents": [10_000, 15_000],
        "facility_cents": [8_000, 12_000],
    }
).astype({"effective_to": "datetime64[ns]"})


def _charges(*groups: tuple) -> pd.DataFrame:
    """(payer_id, product_line, code, n claims, units each); one line per claim, in 2026."""
    rows = []
    for g, (payer, line, code, n, units) in enumerate(groups):
        rows += [
            {
                "claim_id": f"C{g}-{i}",
                "date_of_service": pd.Timestamp("2026-03-01"),
                "procedure_code": code,
                "modifiers": "",
                "units": units,
                "primary_payer_id": payer,
                "product_line": line,
            }
            for i in range(n)
        ]
    columns = renewals.CHARGE_COLUMNS
    return pd.DataFrame(rows, columns=columns).astype({"units": "int64"})


def _row(frame: pd.DataFrame, payer: str, line: str = "", **match: str) -> dict:
    hit = frame[frame["payer_id"].eq(payer) & frame["product_line"].eq(line)]
    for column, value in match.items():
        hit = hit[hit[column].eq(value)]
    assert len(hit) == 1, hit
    return hit.iloc[0].to_dict()


# --- the notice window ------------------------------------------------------------------


def _schedule_contracts() -> pd.DataFrame:
    return _contracts(
        {"payer_id": "OPEN", "renewal_date": "2027-01-31", "notice_days": 60},
        {"payer_id": "SOON", "renewal_date": "2027-07-01", "notice_days": 90},
        {"payer_id": "MISS", "renewal_date": "2026-12-15", "notice_days": 60},
        {"payer_id": "LATE", "renewal_date": "2027-09-01", "notice_days": 90},
        {"payer_id": "NODATE"},
        {"payer_id": "OLD", "renewal_date": "2026-06-01", "notice_days": 90},
        {"payer_id": "DFLT", "renewal_date": "2027-01-30"},  # no notice days: 90
        {"payer_id": "MCR", "payer_class": "MEDICARE", "renewal_date": "2027-01-01"},
        {"payer_id": "MA", "payer_class": "MEDICARE_ADVANTAGE", "renewal_date": "2027-02-01"},
        {"payer_id": "SELF", "payer_class": "SELF_PAY", "renewal_date": "2027-01-01"},
    )


def test_notice_deadline_window_and_status() -> None:
    out = renewals.upcoming(_schedule_contracts(), AS_OF)
    assert list(out.columns) == renewals.UPCOMING_COLUMNS
    assert "SELF" not in set(out["payer_id"])  # self-pay is not a payer contract

    opened = _row(out, "OPEN")
    assert opened["notice_deadline"] == pd.Timestamp("2026-12-02")  # 2027-01-31 − 60 days
    assert opened["notice_opens"] == pd.Timestamp("2026-09-03")  # deadline − 90 days
    assert opened["days_left"] == 31
    assert opened["status"] == "open" and opened["due"] and opened["act_now"]
    assert opened["status_label"] == "Notice window open: 31 days to the deadline"

    soon = _row(out, "SOON")
    assert soon["notice_deadline"] == pd.Timestamp("2027-04-02")
    assert soon["notice_opens"] == pd.Timestamp("2027-01-02")  # 62 days after as_of
    assert (soon["status"], soon["due"], soon["act_now"]) == ("opens_soon", True, False)
    assert soon["status_label"] == "Notice window opens in 62 days"

    missed = _row(out, "MISS")
    assert missed["days_left"] == -16
    assert missed["status"] == "missed" and missed["due"]
    assert missed["status_label"] == "Notice deadline missed 16 days ago: renews on current terms"

    later = _row(out, "LATE")
    assert later["status"] == "later" and not later["due"]  # opens in 124 days
    assert later["status_label"] == "Notice window opens in 124 days"

    assert _row(out, "NODATE")["status"] == "no_date"
    assert pd.isna(_row(out, "NODATE")["days_left"])
    assert _row(out, "OLD")["status"] == "lapsed" and not _row(out, "OLD")["due"]
    dflt = _row(out, "DFLT")
    assert dflt["notice_days"] == 90 and dflt["notice_deadline"] == pd.Timestamp("2026-11-01")
    assert dflt["status_label"] == "Notice window open: the deadline is today"

    ma = _row(out, "MA")
    assert ma["status"] == "open" and ma["negotiable"] and ma["public_plan"]
    assert ma["class_label"] == "Medicare Advantage"


def test_status_order_is_urgency_then_days_left() -> None:
    out = renewals.upcoming(_schedule_contracts(), AS_OF)
    assert out["payer_id"].tolist() == [
        "DFLT",  # open, 0 days left
        "MA",  # open, 2 days left (2027-02-01 − 90 days = 2026-11-03)
        "OPEN",  # open, 31 days left
        "SOON",
        "MISS",
        "LATE",
        "OLD",
        "NODATE",
        "MCR",
    ]


@pytest.mark.parametrize(
    ("renewal", "status"),
    [
        # window = [deadline − 90, deadline], deadline = renewal − 90; listed up to +120 days
        ("2027-08-28", "opens_soon"),  # opens 2027-03-01 = as_of + 120 days
        ("2027-08-29", "later"),  # opens as_of + 121 days
        ("2027-04-30", "open"),  # opens exactly on as_of
        ("2027-01-30", "open"),  # deadline exactly on as_of
        ("2027-01-29", "missed"),  # deadline the day before
        ("2026-11-01", "missed"),  # renews today: the deadline has passed
        ("2026-10-31", "lapsed"),
    ],
)
def test_window_boundaries(renewal: str, status: str) -> None:
    out = renewals.upcoming(_contracts({"payer_id": "X", "renewal_date": renewal}), AS_OF)
    assert out["status"].iloc[0] == status


def test_window_and_lead_are_parameters() -> None:
    terms = _contracts({"payer_id": "X", "renewal_date": "2027-08-28", "notice_days": 90})
    assert renewals.upcoming(terms, AS_OF)["status"].iloc[0] == "opens_soon"
    assert renewals.upcoming(terms, AS_OF, window_days=119)["status"].iloc[0] == "later"
    wide = renewals.upcoming(terms, AS_OF, lead_days=210)
    # deadline 2027-08-28 − 90 days = 2027-05-30; opens 210 days before it
    assert wide["notice_opens"].iloc[0] == pd.Timestamp("2026-11-01")
    assert wide["status"].iloc[0] == "open"


def test_medicare_and_medicaid_are_never_due() -> None:
    terms = _contracts(
        {"payer_id": "MCR", "payer_class": "MEDICARE", "renewal_date": "2027-01-15"},
        {"payer_id": "MCD", "payer_class": "MEDICAID", "renewal_date": "2027-01-15"},
    )
    out = renewals.upcoming(terms, AS_OF)
    assert out["status"].eq("public").all() and not out["due"].any()
    assert not out["negotiable"].any()
    assert out["status_label"].eq("Public program: published fees, not negotiated").all()
    assert renewals.due(out).empty and len(renewals.others(out)) == 2


def test_latest_contract_per_payer_and_product_line() -> None:
    terms = _contracts(
        {"payer_id": "A", "effective_from": "2024-01-01", "renewal_date": "2026-01-01"},
        {"payer_id": "A", "effective_from": "2026-01-01", "renewal_date": "2027-01-30"},
        {"payer_id": "A", "effective_from": "2027-01-01", "renewal_date": "2028-01-01"},
        {"payer_id": "A", "product_line": "HMO", "renewal_date": "2027-03-31"},
    )
    out = renewals.upcoming(terms, AS_OF)
    assert out[["product_line", "renewal_date"]].values.tolist() == [
        ["", pd.Timestamp("2027-01-30")],
        ["HMO", pd.Timestamp("2027-03-31")],
    ]
    assert out["payer_label"].tolist() == ["A", "A · HMO"]


def test_empty_contracts() -> None:
    out = renewals.upcoming(_contracts({"payer_id": "X"}).iloc[0:0], AS_OF)
    assert out.empty and list(out.columns) == renewals.UPCOMING_COLUMNS
    assert (
        renewals.headline(out, pd.DataFrame(columns=renewals.EVIDENCE_COLUMNS), AS_OF).iloc[0][
            "windows_open"
        ]
        == 0
    )


# --- rates against peers ------------------------------------------------------------------


def _rate_case() -> tuple[pd.DataFrame, ...]:
    terms = _contracts(
        {"payer_id": "AAA", "renewal_date": "2027-01-31", "notice_days": 60},
        {"payer_id": "BBB", "renewal_date": "2027-07-01"},
        {"payer_id": "CCC"},
        {"payer_id": "DDD"},  # never billed as primary: not a peer
        {
            "payer_id": "MA1",
            "payer_class": "MEDICARE_ADVANTAGE",
            "basis": "medicare_percent",
            "medicare_percent_x1000": 101000,
            "medicare_locality": LOCALITY,
        },
        {
            "payer_id": "MCR",
            "payer_class": "MEDICARE",
            "basis": "medicare_percent",
            "medicare_percent_x1000": 100000,
            "medicare_locality": LOCALITY,
        },
    )
    fees = _fees(
        ("AAA", "99213", 11_000),
        ("AAA", "99214", 15_000),
        ("BBB", "99213", 12_000),
        ("BBB", "99214", 18_000),
        ("CCC", "99213", 13_001),
        ("CCC", "99214", 16_500),
        ("DDD", "99213", 50_000),
        ("DDD", "99214", 50_000),
    )
    charges = _charges(
        ("AAA", "", "99213", 12, 1),
        ("AAA", "", "99214", 5, 1),
        ("BBB", "", "99213", 20, 2),
        ("CCC", "", "99214", 3, 1),
        ("MA1", "", "99213", 15, 1),
        ("MCR", "", "99213", 40, 1),
    )
    return terms, fees, charges


def _position(start: str = "2026-01-01", end: str = "2026-12-31") -> pd.DataFrame:
    terms, fees, charges = _rate_case()
    schedule = renewals.upcoming(terms, AS_OF)
    return renewals.rate_position(
        schedule, charges, terms, fees, MEDICARE, AS_OF, LOCALITY, start, end
    )


def test_rate_against_peer_median_with_estimate_in_cents() -> None:
    rows = _position()
    assert list(rows.columns) == renewals.CODE_COLUMNS
    a13 = _row(rows, "AAA", procedure_code="99213")
    assert a13["rate_cents"] == 11_000 and a13["medicare_cents"] == 10_000
    # Peers: BBB and CCC (billed, same class, another payer); DDD was never billed.
    assert a13["peer_rate_cents"] == 12_501  # median of 12000 and 13001 = 12500.5, half up
    assert a13["peer_contracts"] == 2 and a13["peers"] == "BBB; CCC"
    assert a13["pct_of_medicare"] == pytest.approx(110.0)
    assert a13["pct_peers"] == pytest.approx(125.01)
    # 12 units × (12501 − 11000) = 18012 cents over a 365-day period
    assert a13["est_annual_change_cents"] == 18_012 and a13["note"] == ""
    a14 = _row(rows, "AAA", procedure_code="99214")
    assert a14["peer_rate_cents"] == 17_250  # median of 18000 and 16500
    assert pd.isna(a14["est_annual_change_cents"])  # 5 claims: could be worked out
    assert a14["note"] == "fewer than 11 claims: not estimated"


def test_estimate_scales_the_period_to_a_year_half_up() -> None:
    rows = _position("2026-01-01", "2026-06-30")  # 181 days
    a13 = _row(rows, "AAA", procedure_code="99213")
    # 18012 × 365 / 181 = 36322.54… → 36323
    assert a13["est_annual_change_cents"] == 36_323
    # 24 days: 18012 × 365 / 24 = 273932.5 exactly: half up is 273933 (to even: 273932).
    a13 = _row(_position("2026-03-01", "2026-03-24"), "AAA", procedure_code="99213")
    assert a13["est_annual_change_cents"] == 273_933


def test_no_peers_and_public_programs_get_no_estimate() -> None:
    rows = _position()
    ma = _row(rows, "MA1", procedure_code="99213")
    assert ma["rate_cents"] == 10_100 and ma["pct_of_medicare"] == pytest.approx(101.0)
    assert pd.isna(ma["peer_rate_cents"]) and pd.isna(ma["est_annual_change_cents"])
    assert ma["note"] == "no other payer of this kind to compare"
    mcr = _row(rows, "MCR", procedure_code="99213")
    assert pd.isna(mcr["peer_rate_cents"]) and mcr["note"] == "public program"
    b14 = _row(rows, "BBB", procedure_code="99214")
    assert b14["note"] == "not billed to this payer in the period"


def test_rate_summary_weighs_codes_by_the_practice_volume() -> None:
    summary = renewals.rate_summary(_position())
    assert list(summary.columns) == renewals.SUMMARY_COLUMNS
    a = _row(summary, "AAA")
    # Practice lines: 99213 = 12 + 20 + 15 + 40 = 87, 99214 = 5 + 3 = 8.
    # Σ V × rate = 87 × 11000 + 8 × 15000 = 1,077,000; Σ V × Medicare = 87 × 10000 +
    # 8 × 15000 = 990,000; peers: 87 × 12501 + 8 × 17250 = 1,225,587.
    assert a["n_codes"] == 2
    assert a["pct_of_medicare"] == pytest.approx(1_077_000 * 100 / 990_000)
    assert a["pct_peers"] == pytest.approx(1_225_587 * 100 / 990_000)
    assert a["codes_in_estimate"] == 1 and a["est_annual_change_cents"] == 18_012
    assert a["peers"] == "BBB; CCC"
    b = _row(summary, "BBB")
    # 99213 peers AAA 11000, CCC 13001: median 12000.5 → 12001; 20 claims × 2 units × 1
    assert b["est_annual_change_cents"] == 40 * (12_001 - 12_000)
    ma = _row(summary, "MA1")
    assert pd.isna(ma["pct_peers"]) and pd.isna(ma["est_annual_change_cents"])
    assert ma["pct_of_medicare"] == pytest.approx(101.0)


def test_a_payers_other_product_line_is_not_its_peer() -> None:
    terms = _contracts(
        {"payer_id": "PMH", "product_line": "HMO"},
        {"payer_id": "PMH", "product_line": "PPO"},
    )
    fees = pd.concat(
        [
            _fees(("PMH", "99213", 9_000)).assign(product_line="HMO"),
            _fees(("PMH", "99213", 12_000)).assign(product_line="PPO"),
        ]
    )
    charges = _charges(("PMH", "HMO", "99213", 20, 1), ("PMH", "PPO", "99213", 20, 1))
    schedule = renewals.upcoming(terms, AS_OF)
    rows = renewals.rate_position(
        schedule, charges, terms, fees, MEDICARE, AS_OF, LOCALITY, "2026-01-01", "2026-12-31"
    )
    assert rows["rate_cents"].tolist() == [9_000, 12_000]
    assert rows["peer_rate_cents"].isna().all()


# --- volume, payments, denials: suppression ----------------------------------------------


def _adjudicated(*groups: tuple) -> pd.DataFrame:
    """(payer_id, product_line, n claims, paid cents each, primary); remit 1, one line."""
    columns = ["remit_id", "claim_id", "payer_id", "product_line", "paid_cents", "primary"]
    rows = []
    for g, (payer, line, n, paid, primary) in enumerate(groups):
        rows += [
            {
                "remit_id": 1,
                "claim_id": f"C{g}-{i}",
                "payer_id": payer,
                "product_line": line,
                "paid_cents": paid,
                "primary": primary,
            }
            for i in range(n)
        ]
    return pd.DataFrame(rows, columns=columns).astype({"paid_cents": "int64", "remit_id": "int64"})


def _denials(*claims: tuple) -> pd.DataFrame:
    """(claim_id, denial_class, void); remit 1."""
    frame = pd.DataFrame(claims, columns=["claim_id", "denial_class", "void"])
    return frame.assign(remit_id=1)[renewals.DENIAL_COLUMNS]


def test_activity_counts_volume_payments_and_denial_rate() -> None:
    terms = _contracts({"payer_id": "P1"}, {"payer_id": "P3"})
    schedule = renewals.upcoming(terms, AS_OF)
    charges = _charges(("P1", "", "99213", 60, 1), ("P3", "", "99213", 25, 1))
    adjudicated = _adjudicated(
        ("P1", "", 60, 10_000, True),
        ("P3", "", 25, 4_000, True),
        ("P3", "", 5, 2_000, False),  # P3 paying as secondary: in the total only
    )
    denials = _denials(
        *[(f"C0-{i}", "denied", False) for i in range(12)],
        ("C0-1", "denied", False),  # the same claim twice counts once
        ("C0-20", "bundled", False),  # bundled is not a denial of the claim
        ("C0-21", "denied", True),  # reversed posting
    )
    out = renewals.activity(schedule, charges, adjudicated, denials)
    assert list(out.columns) == renewals.ACTIVITY_COLUMNS
    p1 = _row(out, "P1")
    assert (p1["claims"], p1["lines"], p1["adjudicated_claims"], p1["denied_claims"]) == (
        60,
        60,
        60,
        12,
    )
    assert p1["pct_denied"] == pytest.approx(20.0)
    assert p1["paid_cents"] == 600_000
    # All payer payments: 600,000 + 100,000 + 10,000 (secondary) = 710,000.
    assert p1["pct_paid_share"] == pytest.approx(600_000 * 100 / 710_000)
    p3 = _row(out, "P3")
    assert p3["paid_cents"] == 100_000 and p3["denied_claims"] == 0 and p3["pct_denied"] == 0
    total = out[out["is_total"]].iloc[0]
    assert (
        total["claims"] == 85 and total["paid_cents"] == 700_000 and total["denied_claims"] == 12
    )


def test_a_small_denial_count_hides_the_denial_rate() -> None:
    terms = _contracts({"payer_id": "P1"}, {"payer_id": "P2"})
    schedule = renewals.upcoming(terms, AS_OF)
    charges = _charges(("P1", "", "99213", 60, 1), ("P2", "", "99213", 40, 1))
    adjudicated = _adjudicated(("P1", "", 60, 100, True), ("P2", "", 40, 100, True))
    denials = _denials(*[(f"C0-{i}", "denied", False) for i in range(3)])
    out = renewals.activity(schedule, charges, adjudicated, denials)
    p1 = _row(out, "P1")
    assert pd.isna(p1["denied_claims"]) and p1["denied_claims_small"]
    assert pd.isna(p1["pct_denied"])
    assert p1["paid_cents"] == 6_000  # the claims themselves are not small


def test_a_payer_with_7_claims_shows_under_11_and_no_dollars() -> None:
    terms = _contracts({"payer_id": "BIG"}, {"payer_id": "MID"}, {"payer_id": "TINY"})
    schedule = renewals.upcoming(terms, AS_OF)
    charges = _charges(
        ("BIG", "", "99213", 30, 1), ("MID", "", "99213", 25, 1), ("TINY", "", "99213", 7, 1)
    )
    adjudicated = _adjudicated(
        ("BIG", "", 30, 10_000, True), ("MID", "", 25, 9_000, True), ("TINY", "", 7, 8_000, True)
    )
    out = renewals.activity(schedule, charges, adjudicated, _denials())
    tiny = _row(out, "TINY")
    assert pd.isna(tiny["claims"]) and tiny["claims_small"]
    assert pd.isna(tiny["paid_cents"]) and pd.isna(tiny["pct_paid_share"])
    assert pd.isna(tiny["pct_denied"])
    # Complement: the smallest other part is hidden too ("suppressed", not "<11").
    mid = _row(out, "MID")
    assert pd.isna(mid["claims"]) and not mid["claims_small"] and pd.isna(mid["paid_cents"])
    big = _row(out, "BIG")
    assert big["claims"] == 30 and big["paid_cents"] == 300_000
    assert out[out["is_total"]]["claims"].iloc[0] == 62

    summary = renewals.rate_summary(
        renewals.rate_position(
            schedule,
            charges,
            terms,
            _fees(("BIG", "99213", 9_000), ("MID", "99213", 9_000), ("TINY", "99213", 5_000)),
            MEDICARE,
            AS_OF,
            LOCALITY,
            "2026-01-01",
            "2026-12-31",
        )
    )
    findings = pd.DataFrame(
        {
            "kind": "underpaid",
            "payer_id": "TINY",
            "procedure_code": "99213",
            "date_of_service": pd.Timestamp("2026-03-01"),
            "expected_cents": 5_000,
            "allowed_cents": 4_000,
            "variance_cents": -1_000,
            "cause": "below_contract",
            "task_id": pd.array([None] * 12, dtype="Int64"),
            "void": False,
        }
    )
    tasks = pd.DataFrame(columns=recovery.TASK_COLUMNS)
    under = recovery.underpayments_by_payer(findings, tasks, directory.payer_directory(terms))
    assert _row(under.assign(product_line=""), "TINY")["underpaid_cents"] == 12_000
    ev = renewals.evidence(schedule, summary, out, under)
    row = _row(ev, "TINY")
    assert pd.isna(row["claims"]) and row["claims_small"]
    assert row["underpaid_lines"] == 12  # 12 lines is no small cell …
    assert pd.isna(row["underpaid_cents"])  # … but a payer with < 11 claims shows no dollars
    assert pd.isna(row["est_annual_change_cents"])
    assert row["est_note"] == "fewer than 11 claims"
    assert _row(ev, "MID")["est_note"] == "hidden so that a small count cannot be worked out"


def test_product_lines_of_one_payer_hide_each_other() -> None:
    """PMH's two product lines add up to PMH's total, which other pages show: hiding the
    5-claim PPO alone would let it be worked out, so the HMO is hidden too."""
    terms = _contracts(
        {"payer_id": "PMH", "product_line": "HMO"},
        {"payer_id": "PMH", "product_line": "PPO"},
        {"payer_id": "Y"},
        {"payer_id": "Z"},
    )
    schedule = renewals.upcoming(terms, AS_OF)
    charges = _charges(
        ("PMH", "HMO", "99213", 50, 1),
        ("PMH", "PPO", "99213", 5, 1),
        ("Y", "", "99213", 40, 1),
        ("Z", "", "99213", 30, 1),
    )
    adjudicated = _adjudicated(("Y", "", 40, 100, True))
    out = renewals.activity(schedule, charges, adjudicated, _denials())
    assert pd.isna(_row(out, "PMH", "PPO")["claims"])
    assert pd.isna(_row(out, "Z")["claims"])  # the complement against the practice total
    assert pd.isna(_row(out, "PMH", "HMO")["claims"])  # the complement within PMH
    assert _row(out, "Y")["claims"] == 40


def test_lines_under_no_contract_are_a_hidden_part_of_the_total() -> None:
    terms = _contracts({"payer_id": "A"}, {"payer_id": "B"})
    schedule = renewals.upcoming(terms, AS_OF)
    charges = _charges(
        ("A", "", "99213", 40, 1), ("B", "", "99213", 30, 1), ("GONE", "", "99213", 4, 1)
    )
    out = renewals.activity(schedule, charges, _adjudicated(), _denials())
    other = _row(out, renewals.NO_CONTRACT)
    assert pd.isna(other["claims"]) and other["claims_small"]
    assert pd.isna(_row(out, "B")["claims"])  # its complement
    ev = renewals.evidence(
        schedule,
        pd.DataFrame(columns=renewals.SUMMARY_COLUMNS),
        out,
        pd.DataFrame(columns=["payer_id", "lines", "lines_small", "is_total"]),
    )
    assert renewals.NO_CONTRACT not in set(ev["payer_id"])


def test_a_contract_with_no_activity_reads_zero_not_hidden() -> None:
    terms = _contracts({"payer_id": "A"}, {"payer_id": "QUIET"})
    schedule = renewals.upcoming(terms, AS_OF)
    charges = _charges(("A", "", "99213", 40, 1))
    act = renewals.activity(schedule, charges, _adjudicated(("A", "", 40, 100, True)), _denials())
    ev = renewals.evidence(
        schedule,
        pd.DataFrame(columns=renewals.SUMMARY_COLUMNS),
        act,
        recovery.underpayments_by_payer(
            pd.DataFrame(columns=recovery.FINDING_COLUMNS),
            pd.DataFrame(columns=recovery.TASK_COLUMNS),
            directory.payer_directory(terms),
        ),
    )
    quiet = _row(ev, "QUIET")
    assert quiet["claims"] == 0 and quiet["paid_cents"] == 0 and quiet["underpaid_cents"] == 0
    assert quiet["pct_paid_share"] == 0 and not quiet["claims_small"]
    assert quiet["est_note"] == "no other payer of this kind to compare"  # checked first


def test_empty_inputs_give_empty_frames_with_columns() -> None:
    terms = _contracts({"payer_id": "A", "renewal_date": "2027-01-31"})
    schedule = renewals.upcoming(terms, AS_OF)
    none = _charges()
    rows = renewals.rate_position(schedule, none, terms, _fees(), MEDICARE, AS_OF, LOCALITY)
    assert rows.empty and list(rows.columns) == renewals.CODE_COLUMNS
    summary = renewals.rate_summary(rows)
    assert summary.empty and list(summary.columns) == renewals.SUMMARY_COLUMNS
    act = renewals.activity(schedule, none, _adjudicated(), _denials())
    assert act.empty and list(act.columns) == renewals.ACTIVITY_COLUMNS
    under = recovery.underpayments_by_payer(
        pd.DataFrame(columns=recovery.FINDING_COLUMNS),
        pd.DataFrame(columns=recovery.TASK_COLUMNS),
        directory.payer_directory(terms),
    )
    ev = renewals.evidence(schedule, summary, act, under)
    assert list(ev.columns) == renewals.EVIDENCE_COLUMNS and len(ev) == 1
    assert ev["claims"].iloc[0] == 0
    top = renewals.top_renewal_action(ev)
    assert top.empty and list(top.columns) == renewals.TOP_COLUMNS
    head = renewals.headline(schedule, ev, AS_OF).iloc[0]
    assert head["windows_open"] == 1 and pd.isna(head["top_gain_cents"])
    assert head["top_payer"] == "none this time"
    assert renewals.history(ev, pd.DataFrame(columns=["remit_date"])).empty
    assert renewals.codes_for(rows, ev).empty


# --- the top renewal action and guardrails ------------------------------------------------


def _evidence_rows(*rows: dict) -> pd.DataFrame:
    base = {c: pd.NA for c in renewals.EVIDENCE_COLUMNS}
    frame = pd.DataFrame(
        [
            {
                **base,
                "product_line": "",
                "negotiable": True,
                "days_left": 30,
                "pct_of_medicare": 110.0,
                "pct_peers": 120.0,
                "n_codes": 10,
                **r,
            }
            for r in rows
        ]
    )
    frame["payer_label"] = frame["payer_id"]
    return frame.astype({"est_annual_change_cents": "Int64", "days_left": "Int64"})


def test_top_renewal_action_is_the_largest_gain_with_the_deadline_ahead() -> None:
    ev = _evidence_rows(
        {"payer_id": "OPEN", "status": "open", "est_annual_change_cents": 50_000},
        {"payer_id": "SOON", "status": "opens_soon", "est_annual_change_cents": 90_000},
        {"payer_id": "MISS", "status": "missed", "est_annual_change_cents": 900_000},
        {"payer_id": "LATE", "status": "later", "est_annual_change_cents": 800_000},
        {"payer_id": "NEG", "status": "open", "est_annual_change_cents": -70_000},
        {"payer_id": "HID", "status": "open", "est_annual_change_cents": pd.NA},
    )
    top = renewals.top_renewal_action(ev)
    assert list(top.columns) == renewals.TOP_COLUMNS and len(top) == 1
    assert top.iloc[0]["payer_id"] == "SOON"
    assert top.iloc[0]["est_annual_gain_cents"] == 90_000


def test_ties_go_to_the_nearer_deadline() -> None:
    ev = _evidence_rows(
        {"payer_id": "FAR", "status": "open", "est_annual_change_cents": 5_000, "days_left": 80},
        {"payer_id": "NEAR", "status": "open", "est_annual_change_cents": 5_000, "days_left": 9},
    )
    assert renewals.top_renewal_action(ev)["payer_id"].tolist() == ["NEAR"]


def test_medicare_and_medicaid_are_never_a_negotiation_target() -> None:
    """Even with an open window and peers paying more, public programs get no evidence row,
    no estimate and are never the top action; their managed plans are contracts."""
    terms = _contracts(
        {"payer_id": "MCD1", "payer_class": "MEDICAID", "renewal_date": "2027-01-31"},
        {"payer_id": "MCD2", "payer_class": "MEDICAID", "renewal_date": "2027-01-31"},
        {"payer_id": "COM", "renewal_date": "2027-01-31", "notice_days": 60},
        {"payer_id": "COM2"},
    )
    # Each payer's 99213: its rate, and its claims in 2026 (one unit each).
    book = {"MCD1": (5_000, 500), "MCD2": (9_000, 500), "COM": (11_000, 20), "COM2": (11_500, 20)}
    fees = _fees(*((payer, "99213", cents) for payer, (cents, _) in book.items()))
    charges = _charges(*((payer, "", "99213", n, 1) for payer, (_, n) in book.items()))
    schedule = renewals.upcoming(terms, AS_OF)
    rows = renewals.rate_position(
        schedule, charges, terms, fees, MEDICARE, AS_OF, LOCALITY, "2026-01-01", "2026-12-31"
    )
    public = rows[rows["payer_id"].isin(["MCD1", "MCD2"])]
    assert public["note"].tolist() == ["public program", "public program"]
    assert public["est_annual_change_cents"].isna().all()
    assert public["peer_rate_cents"].isna().all()
    act = renewals.activity(schedule, charges, _adjudicated(), _denials())
    under = recovery.underpayments_by_payer(
        pd.DataFrame(columns=recovery.FINDING_COLUMNS),
        pd.DataFrame(columns=recovery.TASK_COLUMNS),
        directory.payer_directory(terms),
    )
    ev = renewals.evidence(schedule, renewals.rate_summary(rows), act, under)
    assert set(ev["payer_id"]) == {"COM", "COM2"}
    top = renewals.top_renewal_action(ev)
    assert top["payer_id"].tolist() == ["COM"]
    assert top["est_annual_gain_cents"].iloc[0] == 20 * (11_500 - 11_000)
    # The MEDICARE/MEDICAID classes themselves, whatever a caller passes in.
    forced = _evidence_rows(
        {"payer_id": "MCR", "status": "open", "negotiable": False, "est_annual_change_cents": 1}
    )
    assert renewals.top_renewal_action(forced).empty


def test_page_words_never_suggest_reducing_access() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in nb["cells"]).lower()
    labels = " ".join(
        [
            *renewals.CLASS_WORDS.values(),
            *plots.renewals.STATUS_NAMES.values(),
            renewals.upcoming(_schedule_contracts(), AS_OF)["status_label"].str.cat(sep=" "),
        ]
    ).lower()
    for words in ("drop", "terminat", "stop seeing", "stop accepting", "fewer patients",
                  "limit access", "reduce access", "leave the network", "exit"):  # fmt: skip
        assert words not in text and words not in labels, words
    # Nothing read names a protected attribute (a word of a column name, e.g. "patient_age").
    protected = re.compile(r"(?i)\b(age|sex|race|gender|ethnic\w*|disab\w*|birth|dob)\b")
    read = [*renewals.CHARGE_COLUMNS, *renewals.DENIAL_COLUMNS]
    assert not [c for c in read if protected.search(c.replace("_", " "))]
    assert protected.search("patient age") and protected.search("ethnicity")  # it can fail


# --- figures ------------------------------------------------------------------------------


def test_renewal_calendar_draws_negotiable_contracts_with_dates_only() -> None:
    schedule = renewals.upcoming(_schedule_contracts(), AS_OF)
    fig = plots.renewal_calendar(schedule, pd.Timestamp(AS_OF), 120)
    bars = [t for t in fig.data if t.type == "bar"]
    drawn = {y for t in bars for y in t.y}
    assert drawn == {"OPEN", "SOON", "MISS", "LATE", "OLD", "DFLT", "MA"}
    assert {t.name for t in bars} == set(plots.renewals.STATUS_NAMES.values())
    open_bar = next(t for t in bars if t.name == "Notice window open")
    at = list(open_bar.y).index("OPEN")
    assert open_bar.base[at] == "2026-09-03"
    assert open_bar.x[at] == 91 * plots.renewals.DAY_MS  # 2026-09-03 to 2026-12-02
    empty = plots.renewal_calendar(renewals.others(schedule).iloc[0:0], pd.Timestamp(AS_OF))
    assert empty.layout.annotations[0].text.startswith("No renewal dates")


def test_rates_vs_peers_draws_both_percents_and_skips_missing() -> None:
    ev = _evidence_rows(
        {"payer_id": "A", "pct_of_medicare": 110.0, "pct_peers": 125.0},
        {"payer_id": "B", "pct_of_medicare": 101.0, "pct_peers": pd.NA},
        {"payer_id": "C", "pct_of_medicare": pd.NA, "pct_peers": 125.0},
    ).astype({"pct_of_medicare": "Float64", "pct_peers": "Float64"})
    fig = plots.rates_vs_peers(ev)
    mine, peers = fig.data
    assert list(mine.y) == ["A", "B"] and list(mine.x) == [110.0, 101.0]
    assert peers.x[0] == 125.0 and np.isnan(peers.x[1])
    assert list(peers.text) == ["125%", ""]
    assert plots.rates_vs_peers(ev.iloc[0:0]).layout.annotations[0].text.startswith("No ")
