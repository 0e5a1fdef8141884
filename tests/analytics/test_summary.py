"""summary: headline figures and the ranked actions, on hand-built frames."""

from __future__ import annotations

import pandas as pd

from payeropt_lib.analytics import summary
from payeropt_lib.packet import report

AS_OF = pd.Timestamp("2026-11-01")


def _appealable() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "payer_id": ["A", "B", "C", "D", None],
            "payer_label": ["Acme", "Bluebonnet", "Cedar", "Dogwood", "All payers"],
            "open_claims": pd.array([40, 25, pd.NA, 12, 81], dtype="Int64"),
            "at_stake_cents": pd.array([120_000, 480_000, pd.NA, 90_000, 700_500], dtype="Int64"),
            "next_deadline": pd.to_datetime(
                ["2026-11-05", "2026-12-20", "2026-11-02", "2026-11-01", "2026-11-01"]
            ),
            "is_total": [False, False, False, False, True],
        }
    )


def test_appeal_actions_pick_the_most_still_appealable_among_shown_rows() -> None:
    found = summary.appeal_actions(_appealable(), AS_OF, top_n=2)
    assert found["action"].tolist() == [
        "Follow up the under-paid claims with Bluebonnet",
        "Follow up the under-paid claims with Acme",
    ]
    row = found.iloc[0]
    assert row["value_cents"] == 480_000 and row["deadline"] == pd.Timestamp("2026-12-20")
    assert row["evidence"] == (
        "25 claims with $4,800.00 at stake, paid below the contract and still within the "
        "appeal window; the first deadline is 2026-12-20 (in 49 days)."
    )
    assert row["href"] == "underpayments.html#Under-payments-by-payer"
    today = summary.appeal_actions(_appealable(), AS_OF, top_n=4).iloc[-1]
    assert today["evidence"].endswith("the first deadline is 2026-11-01 (today).")


def test_appeal_actions_never_use_a_hidden_row_or_the_total() -> None:
    frame = _appealable()
    frame.loc[[0, 1, 3], "at_stake_cents"] = pd.NA
    assert summary.appeal_actions(frame, AS_OF).empty
    assert summary.appeal_actions(frame.iloc[0:0], AS_OF).empty


def test_money_past_the_appeal_deadline_is_named_with_what_can_be_done() -> None:
    stake = pd.DataFrame(
        {
            "past_deadline_claims": pd.array([63], dtype="Int64"),
            "past_deadline_cents": pd.array([1_234_500], dtype="Int64"),
        }
    )
    row = summary.past_deadline_action(stake).iloc[0]
    assert row["value_cents"] == 1_234_500 and pd.isna(row["deadline"])
    assert row["evidence"].startswith(
        "63 claims with $12,345.00 at stake are past the appeal deadline."
    )
    assert "reprocess them at the contract rate" in row["evidence"]
    assert row["href"] == "underpayments.html#How-old-the-open-follow-ups-are"
    hidden = stake.assign(past_deadline_cents=pd.array([pd.NA], dtype="Int64"))
    assert summary.past_deadline_action(hidden).empty
    assert summary.past_deadline_action(stake.assign(past_deadline_cents=0)).empty


def _overpaid(hidden: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "payer_label": ["Medicare", "Acme"],
            "federal": [True, False],
            "lines": pd.array([None if hidden else 14, 30], dtype="Int64"),
            "overpaid_cents": pd.array([None if hidden else 9_999, 50_000], dtype="Int64"),
        }
    )


def test_overpayment_action_is_about_public_programs_only() -> None:
    row = summary.overpayment_action(_overpaid(False)).iloc[0]
    assert row["value_cents"] == 9_999  # Medicare's, not Acme's
    assert row["evidence"].startswith("$99.99 was allowed above the fee schedule")
    assert "60 days" in row["evidence"]
    hidden = summary.overpayment_action(_overpaid(True)).iloc[0]
    assert pd.isna(hidden["value_cents"]) and "fewer than 11 lines" in hidden["evidence"]
    assert summary.overpayment_action(_overpaid(False).iloc[[1]]).empty


def test_actions_put_compliance_first_then_dollars_and_keep_three() -> None:
    denial = summary.denial_action(
        pd.DataFrame(
            [
                {
                    "category_label": "Eligibility or coverage",
                    "action": "Verify coverage before the visit.",
                    "payer_label": "Acme",
                    "claims": 31,
                    "denied_cents": 700_000,
                }
            ]
        )
    )
    renewal = summary.renewal_action(
        pd.DataFrame(
            [
                {
                    "payer_label": "Cedar · PPO",
                    "notice_deadline": pd.Timestamp("2027-01-31"),
                    "days_left": 91,
                    "est_annual_gain_cents": 1_250_000,
                    "pct_of_medicare": 104.4,
                    "pct_peers": 121.0,
                }
            ]
        )
    )
    ranked = summary.actions(
        summary.appeal_actions(_appealable(), AS_OF),
        denial,
        renewal,
        summary.overpayment_action(_overpaid(True)),
    )
    assert list(ranked["rank"]) == [1, 2, 3]
    # The two largest sums after compliance ($12,500 a year, $7,000), nearest deadline first.
    assert list(ranked["kind"]) == ["return_overpayment", "renegotiate", "denials"]
    assert ranked.loc[1, "action"] == "Renegotiate the Cedar · PPO contract before 2027-01-31"
    assert "pays 104% of Medicare" in ranked.loc[1, "evidence"]
    assert "other payers of the same kind pay 121%" in ranked.loc[1, "evidence"]
    assert "about $12,500.00 more a year" in ranked.loc[1, "evidence"]
    assert ranked.loc[2, "evidence"] == (
        "31 claims with $7,000.00 billed were denied for eligibility or coverage: verify "
        "coverage before the visit."
    )
    # Guardrail: no action proposes seeing fewer patients or leaving a payer.
    words = " ".join(ranked["action"] + " " + ranked["evidence"]).lower()
    for banned in ("drop", "terminate", "stop seeing", "limit access", "fewer patients"):
        assert banned not in words
    assert summary.actions().empty

    # With more money at stake in appeals, those come in, and the nearest deadline leads.
    four = summary.actions(
        summary.appeal_actions(_appealable().assign(
            at_stake_cents=lambda d: d["at_stake_cents"] * 10), AS_OF),
        denial, renewal, top_n=4,
    )  # fmt: skip
    assert four["action"].tolist() == [
        "Follow up the under-paid claims with Dogwood",  # 2026-11-01, $9,000
        "Follow up the under-paid claims with Acme",  # 2026-11-05, $12,000
        "Follow up the under-paid claims with Bluebonnet",  # 2026-12-20, $48,000
        "Renegotiate the Cedar · PPO contract before 2027-01-31",  # $12,500 a year
    ]


def test_headline_takes_kpis_and_stake_and_keeps_small_flags() -> None:
    kpis = pd.DataFrame(
        {
            "pct_net_collection": [96.5],
            "pct_denial": [4.2],
            "median_days_to_payment": pd.array([31], dtype="Int64"),
            "pct_allowed_of_expected": [99.1],
            "claims": [1200],
            "claims_small": [False],
        }
    )
    stake = pd.DataFrame(
        {
            "underpaid_cents": pd.array([123_456], dtype="Int64"),
            "recovered_cents": pd.array([pd.NA], dtype="Int64"),
            "at_stake_cents": pd.array([100_000], dtype="Int64"),
            "recovered_claims_small": [True],
        }
    )
    row = summary.headline(kpis, stake)
    assert list(row.columns[:8]) == [c for c, _ in summary.HEADLINE_LABELS]
    assert row.loc[0, "underpaid_cents"] == 123_456 and pd.isna(row.loc[0, "recovered_cents"])
    assert bool(row.loc[0, "recovered_claims_small"])
    # The hidden dollars say why they are hidden; the shown ones are untouched.
    assert bool(row.loc[0, "recovered_cents_small"])
    figures = dict(report.headline_figures(row)["figures"])
    assert figures["Recovered"] == "<11 claims"
    assert figures["Under-paid on remitted lines"] == "$1,234.56"
    shown = report.key_figures(
        row, dict(summary.HEADLINE_LABELS), small_text=summary.headline_small_text()
    ).html
    assert "&lt;11 claims" in shown and "&lt;11 lines" not in shown
    assert summary.headline_small_text() == {
        "at_stake_cents": "<11 claims",
        "past_deadline_cents": "<11 claims",
        "recovered_cents": "<11 claims",
        "underpaid_cents": "<11 lines",
    }
    empty = summary.headline(pd.DataFrame(), pd.DataFrame())
    assert len(empty) == 1 and empty.iloc[0].isna().all()
