"""Property: random balanced remittances → era_writer.write → era.parse round-trip exactly.

Claims get 0-3 service lines; adjustments go at line level, or at claim level, with
amounts chosen so every line, claim and transaction balances (domain.md §4.4). The file
is written with random delimiters from a safe set, with or without line breaks, so the
test also covers the tokenizer. Every amount must come back to the cent and ``balance``
must find nothing.
"""

from __future__ import annotations

import datetime as dt
import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payeropt_lib.inputs import era, era_columns, era_writer

SAFE = "*|^~!:>{}`\\"  # delimiters: never alphanumeric, never a space
IDS = st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=10)
CENTS = st.integers(-(10**9), 10**9)
GROUPS = st.sampled_from(["CO", "PR", "OA", "PI"])
REASONS = st.sampled_from(["45", "1", "2", "3", "23", "97", "253", "A2", "B7"])
MODIFIERS = st.text(string.ascii_uppercase + string.digits, min_size=2, max_size=2)
UNITS = st.integers(-5000, 999999)  # thousandths: -5 to 999.999
DAYS = st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31)).map(pd.Timestamp)


@st.composite
def delimiters(draw: st.DrawFn) -> dict:
    element, component, terminator = draw(st.permutations(SAFE))[:3]
    terminator = draw(st.sampled_from([terminator, "\n"]))
    line_breaks = draw(st.sampled_from([True, False, "\r\n"]))
    return {
        "element": element,
        "component": component,
        "terminator": terminator,
        "line_breaks": line_breaks,
    }


@st.composite
def adjustments(draw: st.DrawFn, most: int) -> list[tuple[str, str, int, str | None]]:
    quantity = st.one_of(st.none(), st.integers(1, 99).map(str))
    return draw(st.lists(st.tuples(GROUPS, REASONS, CENTS, quantity), max_size=most))


@st.composite
def remits(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    txns, claims, lines, adjs, plbs = [], [], [], [], []
    for txn in range(draw(st.integers(1, 3))):
        for claim_seq in range(draw(st.integers(1, 4))):
            claim_adjustments = []
            charge_total = paid_total = 0
            n_lines = draw(st.integers(0, 3))
            line_rows, line_cas = [], []
            for line_seq in range(n_lines):
                charge = draw(CENTS)
                cas = draw(adjustments(8))  # more than six: two CAS segments
                paid = charge - sum(a[2] for a in cas)
                line_rows.append(
                    {
                        "txn": txn,
                        "claim_seq": claim_seq,
                        "line_seq": line_seq,
                        "procedure_code": draw(st.sampled_from(["99213", "99214", "J1100"])),
                        "modifiers": ":".join(draw(st.lists(MODIFIERS, max_size=4))),
                        "charge_cents": charge,
                        "paid_cents": paid,
                        "units_paid_x1000": draw(st.one_of(st.none(), UNITS)),
                        "service_date": draw(st.one_of(st.none(), DAYS)),
                        "line_control_number": draw(st.one_of(st.none(), IDS)),
                        "allowed_cents": draw(st.one_of(st.none(), CENTS)),
                    }
                )
                line_cas += [(txn, claim_seq, line_seq, *a) for a in cas]
                charge_total += charge
                paid_total += paid
            if not n_lines or draw(st.booleans()):
                claim_adjustments = draw(adjustments(7))
            claim_cas = sum(a[2] for a in claim_adjustments)
            if not n_lines:
                charge_total = draw(CENTS)
                paid_total = charge_total
            # CLP03 = Σ SVC02 and CLP04 = Σ SVC03 − claim CAS: both claim rules hold. The
            # claim's own CAS is written before its lines, so it comes first in the file.
            adjs += [(txn, claim_seq, None, *a) for a in claim_adjustments] + line_cas
            lines += line_rows
            claims.append(
                {
                    "txn": txn,
                    "claim_seq": claim_seq,
                    "claim_id": draw(IDS),
                    "status": draw(st.sampled_from(["1", "2", "3", "4", "19", "22", "25"])),
                    "charge_cents": charge_total,
                    "paid_cents": paid_total - claim_cas,
                    "patient_resp_cents": draw(st.one_of(st.none(), CENTS)),
                    "patient_last": draw(IDS),
                    "statement_from": draw(st.one_of(st.none(), DAYS)),
                }
            )
        for _ in range(draw(st.integers(0, 7))):  # more than six pairs: two PLB segments
            period = pd.Timestamp("2025-12-31")
            plbs.append((txn, "1234567893", period, "WO", draw(IDS), draw(CENTS)))
        txns.append({"txn": txn, "payer_name": f"PAYER {txn}", "payee_name": "PRACTICE"})
    line_columns = [
        "txn",
        "claim_seq",
        "line_seq",
        "procedure_code",
        "modifiers",
        "charge_cents",
        "paid_cents",
        "units_paid_x1000",
        "service_date",
        "line_control_number",
        "allowed_cents",
    ]
    adj_columns = ["txn", "claim_seq", "line_seq", "group", "reason", "amount_cents", "quantity"]
    plb_columns = ["txn", "provider_id", "fiscal_period_date", "reason", "reference"]
    return {
        "transactions": pd.DataFrame(txns),
        "claims": pd.DataFrame(claims),
        "lines": pd.DataFrame(lines, columns=line_columns).astype(
            {"units_paid_x1000": "Int64", "allowed_cents": "Int64"}
        ),
        "adjustments": pd.DataFrame(adjs, columns=adj_columns).astype({"line_seq": "Int64"}),
        "plb": pd.DataFrame(plbs, columns=[*plb_columns, "amount_cents"]),
    }


def nullable(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.tolist()]


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=remits(), delims=delimiters())
def test_written_remittances_parse_back_balanced_to_the_cent(frames, delims):
    raw = era_writer.write(frames, created=dt.datetime(2025, 6, 1, 12, 0), **delims)
    remit = era.parse("property.835", raw)

    failures = era.balance(remit)
    assert failures.empty, failures["message"].tolist()

    claims, lines = frames["claims"], frames["lines"]
    adj, plb = frames["adjustments"], frames["plb"]
    assert remit.claims["claim_id"].tolist() == claims["claim_id"].tolist()
    assert remit.claims["status"].tolist() == claims["status"].tolist()
    for column in ("txn", "claim_seq", "charge_cents", "paid_cents"):
        assert remit.claims[column].tolist() == claims[column].tolist(), column
    assert nullable(remit.claims["patient_resp_cents"]) == nullable(claims["patient_resp_cents"])
    assert nullable(remit.claims["statement_from"]) == nullable(claims["statement_from"])

    for column in ("txn", "claim_seq", "line_seq", "charge_cents", "paid_cents"):
        assert remit.lines[column].tolist() == lines[column].tolist(), column
    for column in ("units_paid_x1000", "allowed_cents", "service_date", "line_control_number"):
        assert nullable(remit.lines[column]) == nullable(lines[column]), column
    assert remit.lines["procedure_code"].tolist() == lines["procedure_code"].tolist()
    assert remit.lines["modifiers"].tolist() == lines["modifiers"].tolist()

    for column in ("txn", "claim_seq", "group", "reason", "amount_cents"):
        assert remit.adjustments[column].tolist() == adj[column].tolist(), column
    assert nullable(remit.adjustments["line_seq"]) == nullable(adj["line_seq"])
    assert nullable(remit.adjustments["quantity"]) == nullable(adj["quantity"])

    assert remit.plb["amount_cents"].tolist() == plb["amount_cents"].tolist()
    assert remit.plb["reference"].tolist() == plb["reference"].tolist()
    paid = claims.groupby("txn")["paid_cents"].sum()
    recouped = plb.groupby("txn")["amount_cents"].sum().reindex(paid.index, fill_value=0)
    assert remit.transactions["total_paid_cents"].tolist() == (paid - recouped).tolist()


@settings(max_examples=100, deadline=None)
@given(cents=st.integers(-(10**15), 10**15))
def test_amount_text_round_trips(cents: int):
    text = era_writer.amount(cents)
    assert era_columns.decimal(text, 2) == cents
    assert text == "0" or not text.rstrip("0").endswith(".")  # minimal X12 decimal
