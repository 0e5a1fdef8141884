"""Table 3 by hand, and the reconciliation identity for generated practices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payeropt_lib.reconciliation import ledger as L
from payeropt_lib.reconciliation import receivables as R

from .test_ledger import frames

MARCH = pd.Timestamp("2025-03-15")


def test_table3_by_hand() -> None:
    led = L.claim_ledger(**frames())
    table = R.reconcile(led, MARCH, self_pay=frozenset())
    rows = table.set_index(table["payer_id"].fillna(table["row"]))
    aet, mcr, total = rows.loc["AET"], rows.loc["MCR"], rows.loc["total"]
    # AET in March: A..F, I, J, K = 9 visits; charges 200+100+150+90+100+100+100+100+100.
    assert aet["visits"] == 9 and aet["charges_cents"] == 104000
    # Payer cash 120 + 80 + 80 + 95 + 0 + (100 - 10 refunded) = 465; patient 30 + 20 + 10.
    assert (aet["payer_cash_cents"], aet["patient_cash_cents"]) == (46500, 6000)
    # Balance: B's $100 with the payer; unexplained: C's $50 and K's $10.
    assert (aet["balance_cents"], aet["unexplained_cents"]) == (10000, 6000)
    # J = (cash 525 + bad debt 50) / 1040 = 55.288 %; K = 525 / (1040 - 100) = 55.851 %.
    assert (aet["j_percent_x1000"], aet["k_percent_x1000"]) == (55288, 55851)
    # Medicare first by... no: AET has 9 visits, MCR 2; rows are ranked by visits.
    assert list(table["row"]) == ["payer", "payer", "self_pay", "all_other", "total"]
    assert list(table["payer_id"].iloc[:2]) == ["AET", "MCR"]
    assert mcr["cash_cents"] == 7840 + 2000 + 7840 + 800
    # Shares of the month's 11 visits: 9 = 81.818 %, 2 = 18.182 %.
    assert (aet["volume_share_percent_x1000"], mcr["volume_share_percent_x1000"]) == (
        81818,
        18182,
    )
    assert total["visits"] == 11 and total["resolved_visits"] == 8
    money = [c for c in L.MONEY if c != "charges_cents"]
    assert (table[money].sum(axis=1) == table["charges_cents"]).all()


def test_top_20_then_self_pay_and_all_other() -> None:
    n = 23
    led = pd.DataFrame(
        {
            "claim_id": [f"c{i}" for i in range(n + 2)],
            "primary_payer_id": [f"P{i:02d}" for i in range(n)] + ["SELF", "SELF"],
            "service_month": pd.Timestamp("2025-03-01"),
            **{c: 100 for c in L.MONEY},
            "resolved": True,
        }
    )
    led["balance_cents"] = 0
    led["payer_cash_cents"] = np.arange(n + 2) * 10  # ties on visits broken by cash
    table = R.reconcile(led, MARCH, self_pay={"SELF"})
    assert list(table["payer_id"].iloc[:3]) == ["P22", "P21", "P20"]
    assert table["row"].value_counts().to_dict() == {
        "payer": 20, "self_pay": 1, "all_other": 1, "total": 1
    }  # fmt: skip
    assert table.set_index("row").loc["all_other", "visits"] == 3
    assert table.set_index("row").loc["self_pay", "visits"] == 2


def test_resolution_and_advice() -> None:
    months = pd.to_datetime(["2025-01-01"] * 10 + ["2025-02-01"] * 10 + ["2025-03-01"] * 10)
    resolved = [True] * 9 + [False] + [True] * 8 + [False] * 2 + [True] * 7 + [False] * 3
    led = pd.DataFrame({"claim_id": range(30), "service_month": months, "resolved": resolved})
    per = R.resolution(led)
    assert per["resolved_percent_x1000"].tolist() == [90000, 80000, 70000]
    assert R.advised_month(led) == pd.Timestamp("2025-02-01")  # exactly 80 % qualifies


# --- the identity, for generated practices ----------------------------------------------------

claims_st = st.lists(
    st.tuples(
        st.integers(1, 50_000),  # charge
        st.integers(0, 100),  # allowed % of charge
        st.integers(0, 100),  # PR % of allowed
        st.integers(0, 3),  # 0: no 835, 1: 835, 2: 835 + secondary 835, 3: 835 + write-off
        st.integers(0, 100),  # patient pays % of the PR
        st.sampled_from(["AET", "MCR", "BCBS", "SELF"]),
        st.integers(1, 3),  # month
    ),
    min_size=1,
    max_size=40,
)


def _practice(rows: list[tuple]) -> dict[str, pd.DataFrame]:
    charges, claims, adjustments, transactions, remits = [], [], [], [], []
    for i, (charge, allowed_pct, pr_pct, kind, pays_pct, payer, month) in enumerate(rows):
        cid = f"C{i}"
        charges.append((cid, 1, f"2025-0{month}-10", charge, payer))
        if kind == 0:
            continue
        allowed = charge * allowed_pct // 100
        pr = allowed * pr_pct // 100
        rid = len(remits) + 1
        remits.append((rid, payer))
        claims.append((rid, 1, cid, "1", allowed - pr, False, None))
        adjustments += [(rid, 1, "CO", "45", charge - allowed), (rid, 1, "PR", "2", pr)]
        paid_by_patient = pr * pays_pct // 100
        if kind == 2:
            rid2 = len(remits) + 1
            remits.append((rid2, "SUPP"))
            claims.append((rid2, 1, cid, "2", paid_by_patient, False, None))
        else:
            transactions.append((cid, "patient_payment", paid_by_patient, ""))
        if kind == 3 and pr > paid_by_patient:
            transactions.append((cid, "bad_debt", pr - paid_by_patient, ""))
    claims_frame = pd.DataFrame(
        claims,
        columns=["remit_id", "claim_seq", "claim_id", "status", "paid_cents", "is_reversal",
                 "reversed_by_remit_id"],
    )  # fmt: skip
    charges_frame = pd.DataFrame(charges, columns=L.CHARGE_COLUMNS)
    charges_frame["date_of_service"] = pd.to_datetime(charges_frame["date_of_service"])
    return {
        "charges": charges_frame,
        "remit_claims": claims_frame.astype({"reversed_by_remit_id": "Int64"}),
        "remittances": pd.DataFrame(remits, columns=L.REMITTANCE_COLUMNS),
        "remit_adjustments": pd.DataFrame(adjustments, columns=L.ADJUSTMENT_COLUMNS),
        "transactions": pd.DataFrame(transactions, columns=L.TRANSACTION_COLUMNS),
    }


def _tables(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    led = L.claim_ledger(**f)
    return pd.concat(
        [R.reconcile(led, pd.Timestamp(f"2025-0{m}-01"), {"SELF"}) for m in (1, 2, 3)]
    )


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(claims_st)
def test_identity_holds_and_nothing_is_unexplained(rows: list[tuple]) -> None:
    table = _tables(_practice(rows))
    money = [c for c in L.MONEY if c != "charges_cents"]
    assert (table[money].sum(axis=1) == table["charges_cents"]).all()
    assert (table["unexplained_cents"] == 0).all()
    totals = table[table["row"].eq("total")]
    assert totals["charges_cents"].sum() == sum(r[0] for r in rows)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(claims_st, st.data())
def test_a_missing_posting_is_an_unexplained_line(rows: list[tuple], data) -> None:  # noqa: ANN001
    f = _practice(rows)
    adj = f["remit_adjustments"]
    nonzero = adj.index[adj["amount_cents"].ne(0) & adj["group_code"].eq("CO")]
    if nonzero.empty:
        return
    drop = data.draw(st.sampled_from(list(nonzero)))
    lost = adj.loc[drop]
    f["remit_adjustments"] = adj.drop(index=drop)
    claim = (
        f["remit_claims"]
        .set_index(["remit_id", "claim_seq"])
        .loc[(lost["remit_id"], lost["claim_seq"]), "claim_id"]
    )
    led = L.claim_ledger(**f).set_index("claim_id")
    assert led.loc[claim, "unexplained_cents"] == lost["amount_cents"]
    table = _tables(f)
    assert table.loc[table["row"].eq("total"), "unexplained_cents"].sum() == lost["amount_cents"]
