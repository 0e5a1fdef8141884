"""The "Data quality" tables over small hand-built frames, figures worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from payeropt_lib.analytics import data_quality as dq
from payeropt_lib.analytics import privacy
from tests.remittances.x835 import ACME, FEB_99213_UNDERPAID, SEP_99213, clp, era835, svc
from tests.test_cli import payeropt

AS_OF = pd.Timestamp("2025-06-01")


def _contracts() -> pd.DataFrame:
    rows = [
        # payer, class, basis, percent_x1000
        ("ACME", "Acme Health Plan", "COMMERCIAL", "fee_schedule", None),
        ("MCR", "Medicare Part B", "MEDICARE", "medicare_percent", 100_000),
        ("SELF", "Self Pay", "SELF_PAY", "fee_schedule", None),
    ]
    return pd.DataFrame(
        {
            "payer_id": [r[0] for r in rows],
            "product_line": "",
            "effective_from": pd.Timestamp("2025-01-01"),
            "payer_name": [r[1] for r in rows],
            "payer_class": [r[2] for r in rows],
            "basis": [r[3] for r in rows],
            "medicare_percent_x1000": pd.array([r[4] for r in rows], dtype="Int64"),
            "medicare_locality": "01112-05",
            "lesser_of_charges": False,
            "mppr_percent_x1000": 50_000,
        }
    )


FEES = pd.DataFrame(
    {
        "payer_id": ["ACME"],
        "product_line": [""],
        "procedure_code": ["99213"],
        "modifier": [""],
        "effective_from": [pd.Timestamp("2025-01-01")],
        "effective_to": [pd.NaT],
        "allowed_cents": [9_500],
    }
)
MEDICARE = pd.DataFrame(
    {
        "locality": ["01112-05"],
        "procedure_code": ["99213"],
        "modifier": [""],
        "effective_from": [pd.Timestamp("2025-01-01")],
        "effective_to": [pd.NaT],
        "non_facility_cents": [10_000],
        "facility_cents": [7_000],
        "mult_proc": ["0"],
    }
)


def _charges(rows: list[tuple]) -> pd.DataFrame:
    """(claim, line, payer, code, date of service, submitted or None, charge cents)."""
    return pd.DataFrame(
        {
            "claim_id": [r[0] for r in rows],
            "line_number": [r[1] for r in rows],
            "primary_payer_id": [r[2] for r in rows],
            "procedure_code": [r[3] for r in rows],
            "date_of_service": pd.to_datetime([r[4] for r in rows]),
            "submitted_date": pd.to_datetime([r[5] for r in rows]),
            "charge_cents": pd.array([r[6] for r in rows], dtype="int64"),
            "modifiers": "",
            "units": 1,
            "product_line": "",
            "place_of_service": "11",
        }
    )


PRICING = _charges(
    [
        ("P1", 1, "ACME", "99213", "2025-03-03", None, 15_000),  # fee row: priced
        ("P1", 2, "ACME", "99214", "2025-03-03", None, 25_000),  # fee schedule, no row
        ("P2", 1, "ACME", "99214", "2025-04-07", None, 26_000),  # again
        ("P3", 1, "MCR", "99213", "2025-03-04", None, 15_000),  # Medicare amount: priced
        ("P3", 2, "MCR", "99215", "2025-03-04", None, 30_000),  # percent, no Medicare amount
        ("P4", 1, "ZED", "99213", "2025-03-05", None, 15_000),  # no contract at all
        ("P5", 1, "ACME", "99213", "2024-12-30", None, 14_000),  # before ACME's contract
        ("P6", 1, "SELF", "99213", "2025-03-06", None, 9_000),  # self-pay: not a payer rate
    ]
)


@pytest.fixture
def own_counts():
    """A practice's own packet: no count hidden."""
    with privacy.cells_below(0):
        yield


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(r) for r in frame[columns].astype(object).itertuples(index=False)]


def test_codes_with_no_rate_on_a_fee_schedule_and_a_percent_of_medicare_contract(own_counts):
    priced = dq.priced_charges(PRICING, _contracts(), FEES, MEDICARE)
    table = dq.no_rate(priced, _contracts())
    columns = ["payer_label", "basis_label", "procedure_code", "lines", "charge_cents"]
    assert _rows(table, columns) == [
        ("Acme Health Plan", "Fee schedule", "99214", 2, 51_000),
        ("Medicare Part B", "Percent of Medicare", "99215", 1, 30_000),
        ("All payers", "", "", 3, 81_000),
    ]  # fmt: skip
    assert table["first_date"].iloc[0] == pd.Timestamp("2025-03-03")
    assert table["last_date"].iloc[0] == pd.Timestamp("2025-04-07")
    assert table["why"].iloc[1] == dq.WHY_NO_RATE["medicare_percent"]
    assert table["is_total"].tolist() == [False, False, True]


def test_payers_with_no_contract_from_claims_and_from_unmapped_835s(own_counts):
    priced = dq.priced_charges(PRICING, _contracts(), FEES, MEDICARE)
    lines, claims, remits = _remits()
    table = dq.no_contract(priced, lines, claims, remits)
    assert _rows(table, ["source", "payer_label", "lines", "charge_cents"]) == [
        (dq.SOURCE_835, "ACME HLTH", 2, 40_000),  # the 835's own charge
        (dq.SOURCE_CLAIMS, "ACME", 1, 14_000),  # a date of service before its contract
        (dq.SOURCE_CLAIMS, "ZED", 1, 15_000),
    ]
    acme = table[table["payer_label"].eq("ACME")].iloc[0]
    assert acme["first_date"] == acme["last_date"] == pd.Timestamp("2024-12-30")
    assert table["action"].iloc[0] == dq.ACTIONS["no_contract_835"]


def _remits() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Remittance 1 from Acme (mapped): claim M1 with two matched lines and one not, and a
    reversal (left out); remittance 2 from "ACME HLTH", which no alias maps: two lines."""
    lines = pd.DataFrame(
        {
            "remit_id": [1, 1, 1, 1, 2, 2],
            "claim_seq": [1, 1, 1, 2, 1, 1],
            "line_seq": [1, 2, 3, 1, 1, 2],
            "line_number": pd.array([1, 2, None, 1, None, None], dtype="Int64"),
            "charge_cents": [10_000, 20_000, 7_000, -10_000, 15_000, 25_000],
        }
    )
    claims = pd.DataFrame(
        {
            "remit_id": [1, 1, 2],
            "claim_seq": [1, 2, 1],
            "claim_id": ["M1", "M0", "M2"],
            "is_reversal": [False, True, False],
            "reversed_by_remit_id": pd.array([None, None, None], dtype="Int64"),
        }
    )
    remits = pd.DataFrame(
        {
            "remit_id": [1, 2],
            "payer_id": ["ACME", None],
            "payer_name": ["ACME HEALTH PLAN", "ACME HLTH"],
            "payer_id_835": ["123", None],
            "trace_payer_id": [None, None],
            "remit_date": pd.to_datetime(["2025-04-01", "2025-04-02"]),
        }
    )
    return lines, claims, remits


def test_matching_rates_by_payer_with_an_unmapped_835_payer(own_counts):
    lines, claims, remits = _remits()
    table = dq.matching(lines, claims, remits, _contracts())
    assert _rows(
        table, ["payer_label", "mapped", "lines", "matched_lines", "unmatched_lines"]
    ) == [
        ("Acme Health Plan", True, 3, 2, 1),
        ("ACME HLTH", False, 2, 0, 2),
        ("All payers", True, 5, 2, 3),
    ]
    assert table["unmatched_charge_cents"].tolist() == [7_000, 40_000, 47_000]
    assert table["pct_matched"].round(2).tolist() == [66.67, 0.0, 40.0]


def test_a_claim_61_days_old_is_unremitted_and_one_59_days_old_is_not(own_counts):
    charges = _charges(
        [
            ("A", 1, "ACME", "99213", "2025-03-20", "2025-04-01", 10_000),  # sent 61 days ago
            ("A", 2, "ACME", "99214", "2025-03-20", "2025-04-01", 20_000),
            ("B", 1, "ACME", "99213", "2025-03-20", "2025-04-03", 10_000),  # 59 days: not yet
            ("C", 1, "MCR", "99213", "2025-03-01", None, 5_000),  # no submitted date: DOS
            ("D", 1, "MCR", "99213", "2025-01-02", "2025-01-03", 7_000),  # answered
            ("E", 1, "MCR", "99213", "2025-01-02", "2025-01-03", 8_000),  # answered, reversed
            ("F", 1, "ZED", "99213", "2025-01-02", "2025-01-03", 9_000),  # answered after as-of
            ("G", 1, "MCR", "99213", "2025-05-30", None, 9_000),  # recent
        ]
    )
    claims = pd.DataFrame(
        {
            "remit_id": [1, 1, 2, 3],
            "claim_seq": [1, 2, 1, 1],
            "claim_id": ["D", "E", "E", "F"],
            "is_reversal": [False, False, True, False],
            "reversed_by_remit_id": pd.array([None, 2, None, None], dtype="Int64"),
        }
    )
    remits = pd.DataFrame(
        {
            "remit_id": [1, 2, 3],
            "remit_date": pd.to_datetime(["2025-02-01", "2025-02-10", "2025-06-02"]),
        }  # fmt: skip
    )
    table = dq.unremitted(charges, claims, remits, _contracts(), AS_OF)
    assert _rows(table, ["payer_label", "claims", "lines", "charge_cents"]) == [
        ("Medicare Part B", 2, 2, 13_000),  # C and E
        ("Acme Health Plan", 1, 2, 30_000),  # A
        ("ZED", 1, 1, 9_000),  # F: its remittance is dated after the as-of date
        ("All payers", 4, 5, 52_000),
    ]
    assert (
        table["oldest_date"].tolist()
        == pd.to_datetime(["2025-01-03", "2025-04-01", "2025-01-03", "2025-01-03"]).tolist()
    )
    assert table["oldest_days"].tolist() == [149, 61, 149, 149]
    # One more day and B is 60 days old: it counts.
    later = dq.unremitted(charges, claims, remits, _contracts(), AS_OF + pd.Timedelta(days=1))
    assert later.loc[later["payer_label"].eq("Acme Health Plan"), "claims"].tolist() == [2]


def test_small_counts_are_hidden_outside_the_practice():
    """At the 11 rule: "ACME HLTH"'s 10 lines are hidden, and so Acme's 15 (else the total
    gives them back); a hidden row hides its matched and unmatched lines (not a zero: it
    gives nothing away). The total's 10 matched lines are small: hidden, and with them its
    unmatched (25 − 10)."""
    lines, claims, remits = _remits()
    big = pd.concat(
        [lines.assign(line_seq=lines["line_seq"] + 10 * k) for k in range(5)], ignore_index=True
    )
    # 15 Acme lines (10 matched, 5 unmatched), 10 from "ACME HLTH" (all unmatched).
    table = dq.matching(big, claims, remits, _contracts())
    assert table["lines"].isna().tolist() == [True, True, False]
    assert table["lines_small"].tolist() == [False, True, False]  # 10 reads "<11"
    assert table["matched_lines"].isna().tolist() == [True, False, True]  # 0 stays
    assert table["unmatched_lines"].isna().tolist() == [True, True, True]
    assert table["pct_matched"].isna().tolist() == [True, True, True]
    assert table.loc[2, "lines"] == 25


def test_a_lone_hidden_part_beside_zeros_hides_the_totals_parts():
    """Acme 18 lines, 6 unmatched; "ACME HLTH" 12, none matched. Acme's 6 is hidden, then
    its 12 matched (18 − 12 = 6) and the other payer's 12 unmatched (the column's total);
    the matched column has no other part to hide (a zero), so the total's matched and
    unmatched go as well. The lines stay."""
    lines, claims, remits = _remits()
    big = pd.concat(
        [lines.assign(line_seq=lines["line_seq"] + 10 * k) for k in range(6)], ignore_index=True
    )
    table = dq.matching(big, claims, remits, _contracts())
    assert table["lines"].tolist() == [18, 12, 30]
    assert table["matched_lines"].isna().tolist() == [True, False, True]
    assert table["unmatched_lines"].isna().tolist() == [True, True, True]
    assert table["unmatched_lines_small"].tolist() == [True, False, False]


def test_a_small_unmatched_count_hides_the_matched_one_beside_it():
    """Acme 40 lines, 3 unmatched; Beta 30, none unmatched; Gamma 20, 12 unmatched. Acme's 3
    is hidden, so is its 37 matched (40 − 37 = 3), and in each column one more part (else
    the total row gives them back): Gamma's 8 matched is the smallest shown, then Gamma's
    unmatched (its row total 20 − ...)."""
    frame = pd.DataFrame(
        {
            "payer_label": ["Acme", "Beta", "Gamma", "All payers"],
            "mapped": True,
            "lines": [40, 30, 20, 90],
            "matched_lines": [37, 30, 8, 75],
            "unmatched_lines": [3, 0, 12, 15],
            "unmatched_charge_cents": [300, 0, 1_200, 1_500],
            "is_total": [False, False, False, True],
        }
    )
    out = dq.suppress_matching(frame)
    assert out["lines"].isna().tolist() == [False, False, False, False]
    assert out["unmatched_lines"].isna().tolist() == [True, False, True, False]
    assert out["matched_lines"].isna().tolist() == [True, False, True, False]
    assert out["unmatched_charge_cents"].isna().tolist() == [True, False, True, False]


def test_headline_takes_the_tables_totals(own_counts):
    priced = dq.priced_charges(PRICING, _contracts(), FEES, MEDICARE)
    lines, claims, remits = _remits()
    row = dq.headline(
        dq.matching(lines, claims, remits, _contracts()),
        dq.unremitted(PRICING, claims, remits, _contracts(), AS_OF),
        dq.no_contract(priced, lines, claims, remits),
        dq.no_rate(priced, _contracts()),
    ).iloc[0]
    assert round(float(row["pct_matched"]), 1) == 40.0
    assert (row["unmatched_lines"], row["unmapped_payers"]) == (3, 1)
    # Every PRICING claim is 55+ days old but P2 (55 days): P1, P3-P6 wait, M1/M2 are not
    # among them.
    assert (row["unremitted_claims"], row["no_contract_lines"], row["no_rate_lines"]) == (5, 2, 3)


def test_nothing_on_file_gives_empty_tables(own_counts):
    empty_lines, empty_claims, empty_remits = (f.iloc[0:0] for f in _remits())
    priced = dq.priced_charges(PRICING.iloc[0:0], _contracts(), FEES, MEDICARE)
    assert dq.matching(empty_lines, empty_claims, empty_remits, _contracts()).empty
    assert dq.unremitted(PRICING.iloc[0:0], empty_claims, empty_remits, _contracts(), AS_OF).empty
    assert dq.no_contract(priced, empty_lines, empty_claims, empty_remits).empty
    assert dq.no_rate(priced, _contracts()).empty
    row = dq.headline(
        dq.matching(empty_lines, empty_claims, empty_remits, _contracts()),
        dq.unremitted(PRICING.iloc[0:0], empty_claims, empty_remits, _contracts(), AS_OF),
        dq.no_contract(priced, empty_lines, empty_claims, empty_remits),
        dq.no_rate(priced, _contracts()),
    ).iloc[0]
    assert pd.isna(row["pct_matched"])
    assert (row["unremitted_claims"], row["no_contract_lines"], row["no_rate_lines"]) == (0, 0, 0)


ZETA = ("ZETA HEALTH", "5550001")  # a payer no alias of the practice names


def test_the_checks_of_a_loaded_practice_from_the_command_line(db_url, loaded, tmp_path):
    """The good practice (20 lines, 12 claims, no submitted dates) with two 835s: Acme
    pays CLM1002 and a claim the practice never billed (CLM9999: its line matches
    nothing); Zeta, which no alias maps, pays CLM1011."""
    era = tmp_path / "era"
    era.mkdir()
    unknown = svc("99213", 10_000, 10_000, dos="20250301")
    (era / "a.835").write_bytes(
        era835(ACME, [clp("CLM1002", [FEB_99213_UNDERPAID]), clp("CLM9999", [unknown])])
    )
    (era / "b.835").write_bytes(
        era835(ZETA, [clp("CLM1011", [SEP_99213])], trace="EFT9", isa_control="000000909")
    )
    as_owner = ["--actor", "olivia", "--role", "owner"]
    posted = payeropt("import", "era", loaded, str(era), *as_owner, db=db_url)
    assert posted.code == 0, posted.err

    def table(name: str) -> pd.DataFrame:
        out = tmp_path / f"{name}.csv"
        done = payeropt(
            "data-quality", loaded, "--table", name, "--as-of", "2026-01-01", "--csv", str(out),
            "--actor", "ana", "--role", "analyst", db=db_url,
        )  # fmt: skip
        assert done.code == 0, done.err
        return pd.read_csv(out, dtype=str, keep_default_na=False)

    matched = table("matching")
    assert _rows(matched, ["payer_label", "lines", "matched_lines", "unmatched_lines"]) == [
        ("Acme Health Plan", "2", "1", "1"),
        ("ZETA HEALTH", "1", "1", "0"),
        ("All payers", "3", "2", "1"),
    ]
    assert matched["pct_matched"].tolist() == ["50.0", "100.0", "66.7"]
    assert matched["unmatched_charge"].tolist() == ["100.00", "0.00", "100.00"]

    # As of 2026-01-01 every claim is 60+ days past its date of service; CLM1002 and
    # CLM1011 are answered.
    late = table("unremitted")
    assert _rows(late, ["payer_label", "claims", "lines", "charge", "oldest_date"]) == [
        ("Acme Health Plan", "3", "7", "1910.00", "2025-02-10"),
        ("Medicare Part B (Noridian JE)", "3", "5", "1060.00", "2025-01-15"),
        ("State Medicaid", "3", "5", "970.00", "2025-03-05"),
        ("Self Pay", "1", "1", "150.00", "2025-03-20"),
        ("All payers", "10", "18", "4090.00", "2025-01-15"),
    ]
    assert "claim_id" not in late and "patient_id" not in late

    uncontracted = table("no-contract")
    assert _rows(uncontracted, ["source", "payer_label", "lines", "charge"]) == [
        (dq.SOURCE_835, "ZETA HEALTH", "1", "150.00"),
    ]

    # Every billed code has a rate in the good files but the self-pay one (left out).
    assert table("no-rate").empty
