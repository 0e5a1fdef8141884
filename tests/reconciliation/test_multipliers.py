"""Payer multipliers inferred from remittances (issue 15 item 5, docs/multipliers.md).

Small frames built by hand, each figure worked out in a comment; then the verb end to end
on a demo practice with its 835s posted, on both backends.
"""

from __future__ import annotations

import pandas as pd
import pytest

from payeropt_lib import store
from payeropt_lib.demo import files as demo
from payeropt_lib.errors import NoInferredMultiplier
from payeropt_lib.inputs import imports
from payeropt_lib.money import parse_scaled
from payeropt_lib.reconciliation import multipliers as m
from payeropt_lib.remittances import posting
from payeropt_lib.store import tables
from tests.conftest import OWNER, demo_835s, demo_org, opted_in_org, org_snapshot
from tests.test_cli import payeropt

D = pd.Timestamp
L1 = "01112-05"  # the percent contract's locality
L2 = "04412-11"  # the practice's own


def fees(rows: list[tuple]) -> pd.DataFrame:
    """medicare_fees rows: (locality, code, modifier, from, to, non-facility, facility,
    mult_proc)."""
    frame = pd.DataFrame(rows, columns=m.MEDICARE_COLUMNS)
    frame["effective_from"] = pd.to_datetime(frame["effective_from"])
    frame["effective_to"] = pd.to_datetime(frame["effective_to"])
    return frame


def contracts(rows: list[tuple]) -> pd.DataFrame:
    """contracts rows: (payer, product line, from, basis, percent x1000 or None, locality)."""
    frame = pd.DataFrame(rows, columns=m.CONTRACT_COLUMNS)
    frame["effective_from"] = pd.to_datetime(frame["effective_from"])
    frame["medicare_percent_x1000"] = frame["medicare_percent_x1000"].astype("Int64")
    return frame


def lines(rows: list[dict]) -> pd.DataFrame:
    """Adjudicated lines with claim facts; each row gives what differs from a plain paid
    primary office line of 1 unit."""
    plain = {
        "remit_id": 1,
        "line_number": 1,
        "payer_id": "ACME",
        "product_line": "",
        "modifiers": "",
        "units": 1,
        "charge_cents": 10_000_000,
        "primary": True,
        "outcome": "ok",
        "full_price": True,
        "place_of_service": "11",
        "filing_indicator": pd.NA,
        "date_of_service": "2025-05-02",
        "procedure_code": "99214",
        "allowed_cents": 24_000,
    }
    frame = pd.DataFrame([{**plain, **row} for row in rows])
    frame["claim_id"] = frame.get("claim_id", pd.Series(range(len(frame)))).astype(str)
    frame["date_of_service"] = pd.to_datetime(frame["date_of_service"])
    frame["service_month"] = frame["date_of_service"].dt.to_period("M").dt.to_timestamp()
    return frame[m.LINE_COLUMNS]


FEES = fees(
    [
        (L1, "99213", "", "2025-01-01", None, 10_915, 7_335, "0"),
        (L1, "73562", "26", "2025-01-01", None, 1_100, 1_100, "4"),
        (L2, "99214", "", "2025-01-01", None, 20_000, 15_000, "0"),
        (L2, "27447", "", "2025-01-01", None, 160_000, 160_000, "2"),
        (L2, "20610", "", "2025-01-01", None, 7_741, 4_987, "2"),
    ]
)
CONTRACTS = contracts(
    [
        ("ACME", "PPO", "2025-01-01", "medicare_percent", 125_000, L1),
        ("BETA", "", "2025-01-01", "fee_schedule", None, None),
    ]
)


def test_each_line_s_ratio_worked_out_by_hand():
    frame = lines(
        [
            # 125 % of $109.15 = $136.4375, paid $136.44: 13644 × 100000 / 10915 =
            # 125002.29 → 125002 thousandths of a percent.
            {"payer_id": "ACME", "product_line": "PPO", "procedure_code": "99213",
             "allowed_cents": 13_644, "date_of_service": "2025-03-03"},
            # POS 21 prices at the facility amount $73.35; 2 units: base 2 × 7335 = 14670;
            # 18338 × 100000 / 14670 = 125003.41 → 125003.
            {"payer_id": "ACME", "product_line": "PPO", "procedure_code": "99213",
             "units": 2, "place_of_service": "21", "allowed_cents": 18_338,
             "date_of_service": "2025-03-04"},
            # The 26 among the modifiers picks the professional row: 1375 / 1100 = 125 %.
            {"payer_id": "ACME", "product_line": "PPO", "procedure_code": "73562",
             "modifiers": "26:LT", "allowed_cents": 1_375, "date_of_service": "2025-03-05"},
            # A fee-schedule contract names no locality: the practice's (L2) prices it:
            # 23333 × 100000 / 20000 = 116665 exactly.
            {"payer_id": "BETA", "procedure_code": "99214", "allowed_cents": 23_333,
             "date_of_service": "2025-03-06"},
            # Rounded half up once: 4 × 100000 / 160000 = 2.5 → 3.
            {"payer_id": "BETA", "procedure_code": "27447", "allowed_cents": 4,
             "date_of_service": "2025-03-07"},
        ]
    )  # fmt: skip
    out = m.line_ratios(frame, CONTRACTS, FEES, L2)
    assert out["reason"].tolist() == ["", "", "", "", ""]
    assert out["ratio_x1000"].tolist() == [125_002, 125_003, 125_000, 116_665, 3]
    assert out["medicare_cents"].tolist() == [10_915, 7_335, 1_100, 20_000, 160_000]
    assert out["site"].tolist() == ["non_facility", "facility", *["non_facility"] * 3]
    assert out["locality"].tolist() == [L1, L1, L1, L2, L2]
    assert out["pricing_modifier"].tolist() == ["", "", "26", "", ""]
    assert out["contract_basis"].tolist() == ["medicare_percent"] * 3 + ["fee_schedule"] * 2
    assert out["contract_x1000"].tolist() == [125_000] * 3 + [pd.NA] * 2


def test_lines_left_out_are_counted_by_reason():
    frame = lines(
        [
            {"procedure_code": "99214", "allowed_cents": 24_000, "primary": False},  # not primary
            {"procedure_code": "99214", "allowed_cents": 0, "outcome": "denied"},
            {"procedure_code": "99214", "allowed_cents": 0, "outcome": "bundled"},
            {"procedure_code": "99214", "allowed_cents": 0},  # zero allowed, not a denial
            # The charge capped it: allowed = charge.
            {"procedure_code": "99214", "allowed_cents": 15_000, "charge_cents": 15_000},
            # Posting priced it below its full rate (a 2nd procedure of its contract).
            {"procedure_code": "99214", "allowed_cents": 12_000, "full_price": False},
            # Modifier 51, multiple procedures: not the full price.
            {"procedure_code": "99214", "allowed_cents": 12_000, "modifiers": "51"},
            # Two indicator-2 surgeries on one claim and day: the larger (27447, $1,600 ×
            # 1) ranks first and counts; 20610 ($77.41) is the 2nd: reduced.
            {"claim_id": "S", "line_number": 1, "procedure_code": "27447",
             "allowed_cents": 192_000},
            {"claim_id": "S", "line_number": 2, "procedure_code": "20610",
             "allowed_cents": 4_645},
            {"procedure_code": "J3301", "allowed_cents": 900},  # no Medicare amount
            {"procedure_code": "99214", "allowed_cents": 24_000},  # counted: 120 %
        ]
    )  # fmt: skip
    reasons = m.line_ratios(frame, CONTRACTS, FEES, L2)["reason"].tolist()
    assert reasons == [
        "not_primary", "denied", "bundled", "zero_allowed", "at_charge", "reduced",
        "reduced", "", "reduced", "no_medicare", "",
    ]  # fmt: skip
    row = m.infer(frame, CONTRACTS, FEES, L2, min_lines=1).iloc[0]
    counts = {name: int(row[name]) for name in m.EXCLUSIONS}
    assert counts == {
        "not_primary": 1, "denied": 1, "bundled": 1, "zero_allowed": 1, "at_charge": 1,
        "reduced": 3, "no_medicare": 1,
    }  # fmt: skip
    # Counted: 27447 at 192000 / 160000 = 120 % and 99214 at 24000 / 20000 = 120 %.
    assert (row["lines"], row["codes"], row["median_x1000"]) == (2, 2, 120_000)


def test_the_835_filing_indicator_names_the_product_line_only_for_a_plan_the_payer_has():
    frame = lines(
        [
            # The charge says PPO: the charge wins over the 835's HM.
            {"payer_id": "ACME", "product_line": "PPO", "filing_indicator": "HM"},
            # ACME has a PPO contract: the 835's 12 (PPO) is believed.
            {"payer_id": "ACME", "filing_indicator": "12"},
            # ACME has no HMO plan on file: HM alone is not believed.
            {"payer_id": "ACME", "filing_indicator": "HM"},
            # BL and CI are 837 codes with no product line; blank says nothing.
            {"payer_id": "ACME", "filing_indicator": "BL"},
            {"payer_id": "ACME", "filing_indicator": pd.NA},
            # BETA has an all-products contract only, but another of its charge lines
            # names HMO: the 835's HM is believed for it.
            {"payer_id": "BETA", "product_line": "HMO"},
            {"payer_id": "BETA", "filing_indicator": "hm "},
            {"payer_id": "BETA", "filing_indicator": "MB"},  # no MEDICARE plan: ''
        ]
    )  # fmt: skip
    out = m.product_lines(frame, CONTRACTS)
    assert out["product_line"].tolist() == ["PPO", "PPO", "", "", "", "HMO", "HMO", ""]
    assert out["product_line_source"].tolist() == [
        "charge", "835", "", "", "", "charge", "835", "",
    ]  # fmt: skip
    assert m.FILING_INDICATORS["16"] == "MEDICARE_ADVANTAGE"
    assert "BL" not in m.FILING_INDICATORS and "CI" not in m.FILING_INDICATORS


def test_a_product_line_read_from_the_835_takes_that_product_line_s_contract():
    # ACME's only contract is PPO at 125 %: a line whose charge has no product line is
    # compared with it when its 835 claim says 12 (PPO); without it there is no contract.
    frame = lines(
        [
            {"procedure_code": "99213", "allowed_cents": 13_644, "filing_indicator": "12",
             "date_of_service": "2025-04-01"},
            {"procedure_code": "99213", "allowed_cents": 13_644, "filing_indicator": "BL",
             "date_of_service": "2025-04-01"},
        ]
    )  # fmt: skip
    out = m.line_ratios(frame, CONTRACTS, FEES, L1)
    assert out["contract_x1000"].tolist() == [125_000, pd.NA]
    table = m.infer(frame, CONTRACTS, FEES, L1, min_lines=1)
    assert table["product_line"].tolist() == ["", "PPO"]
    assert table["contract_x1000"].tolist() == [pd.NA, 125_000]
    assert table["status"].tolist() == ["no percent contract", "within tolerance"]


# Two Medicare years whose amounts do not move together (a code's RVUs change, not only the
# conversion factor): 2024 = base, 2025 = base × a factor of its own per code.
YEAR_CODES = {"99212": (5_000, 5_300), "99213": (10_000, 9_600), "99214": (15_000, 15_900),
              "20610": (8_000, 7_200), "93000": (2_000, 2_150)}  # fmt: skip
YEAR_FEES = fees(
    [(L2, c, "", "2024-01-01", "2025-01-01", a, a, "0") for c, (a, _) in YEAR_CODES.items()]
    + [(L2, c, "", "2025-01-01", None, b, b, "0") for c, (_, b) in YEAR_CODES.items()]
)


def test_the_best_fitting_medicare_year_is_the_one_the_payer_pays_from():
    rows = []
    for k in range(40):
        code = list(YEAR_CODES)[k % 5]
        y2024, y2025 = YEAR_CODES[code]
        day = f"2025-{k % 12 + 1:02d}-{k % 27 + 1:02d}"
        # FROZEN pays 120 % of 2024 amounts whatever the date (every 2024 amount is a
        # multiple of 5 cents, so 120 % is exact); CURRENT pays 110 % of the year of service.
        rows.append(
            {
                "payer_id": "FROZEN",
                "procedure_code": code,
                "allowed_cents": y2024 * 6 // 5,
                "date_of_service": day,
            }
        )
        rows.append({"payer_id": "CURRENT", "procedure_code": code,
                     "allowed_cents": y2025 * 11 // 10, "date_of_service": day})  # fmt: skip
    table = m.infer(lines(rows), CONTRACTS, YEAR_FEES, L2).set_index("payer_id")
    frozen, current = table.loc["FROZEN"], table.loc["CURRENT"]
    assert frozen["medicare_year"] == 2024
    assert (frozen["year_median_x1000"], frozen["year_dispersion_x1000"]) == (120_000, 0)
    # Against 2025 amounts the same payments spread: 99213 at 12000 / 9600 = 125 %, 20610
    # at 9600 / 7200 = 133.333 %, 99214 at 18000 / 15900 = 113.208 % ...
    assert frozen["dispersion_x1000"] > 0
    assert frozen["median_x1000"] != 120_000
    # A payer on current Medicare: the year of service (NA) fits, and ties with 2025 (the
    # only year its lines fall in) go to current.
    assert pd.isna(current["medicare_year"])
    assert (current["year_median_x1000"], current["year_dispersion_x1000"]) == (110_000, 0)
    assert current["median_x1000"] == 110_000


def test_a_leap_day_moves_to_the_28th_in_a_common_year():
    days = pd.to_datetime(pd.Series(["2024-02-29", "2025-07-15", "2024-12-31"]))
    moved = m.same_day_in(days.to_numpy().astype("datetime64[D]").astype("int64"), 2025)
    assert pd.to_datetime(moved.astype("datetime64[D]")).strftime("%Y-%m-%d").tolist() == [
        "2025-02-28", "2025-07-15", "2025-12-31",
    ]  # fmt: skip


def month_lines(percents: list[int], per_month: int = 10) -> pd.DataFrame:
    """ACME PPO lines of 99213 ($109.15 at L1), ``per_month`` a month from January 2025,
    month i allowed at percents[i] % of Medicare (exact: 10915 × p / 100 rounded half up)."""
    rows = []
    for month, p in enumerate(percents, start=1):
        allowed = (10_915 * p * 2 + 100) // 200
        rows += [
            {"payer_id": "ACME", "product_line": "PPO", "procedure_code": "99213",
             "allowed_cents": allowed, "date_of_service": f"2025-{month:02d}-{d + 1:02d}"}
            for d in range(per_month)
        ]  # fmt: skip
    return lines(rows)


def test_a_gap_beyond_tolerance_is_flagged_with_the_month_it_began():
    # Contract 125 %; paid 125 % January to June, 118 % from July: 13644 / 10915 =
    # 125.002 %, 12880 / 10915 = 118.003 % (10915 × 1.18 = 12879.7 → 12880).
    frame = month_lines([125] * 6 + [118] * 6)
    row = m.infer(frame, CONTRACTS, FEES, L1).iloc[0]
    assert row["status"] == "beyond tolerance"
    assert row["since_month"] == D("2025-07-01")
    assert row["note"] == "contract 125%, remittances show 118% since 2025-07"
    # 120 lines: the lower median is the 60th, the last of the 118 % ones.
    assert (row["lines"], row["median_x1000"], row["contract_x1000"]) == (120, 118_003, 125_000)
    assert row["gap_x1000"] == 118_003 - 125_000
    # The monthly medians: six at 125002, six at 118003 → Q1 118003, Q3 125002.
    assert row["month_iqr_x1000"] == 125_002 - 118_003


def test_the_since_month_is_where_the_gap_has_stayed_since():
    # Low in March, back in April, low again from October: since 2025-10.
    frame = month_lines([125, 125, 118, 125, 125, 125, 125, 125, 125, 118, 118, 118])
    row = m.infer(frame, CONTRACTS, FEES, L1).iloc[0]
    assert (row["status"], row["since_month"]) == ("beyond tolerance", D("2025-10-01"))
    # Over-paid is a gap too (Medicare over-payments go back: domain §10).
    row = m.infer(month_lines([125] * 8 + [131] * 4), CONTRACTS, FEES, L1).iloc[0]
    assert row["note"] == "contract 125%, remittances show 131% since 2025-09"


def test_within_tolerance_and_its_edge():
    # 10915 × 1.27 = 13862.05 → 13862; 13862 × 100000 / 10915 = 127000.46 → 127000:
    # 127000 − 125000 = 2000 is the tolerance itself, not beyond it.
    row = m.infer(month_lines([127] * 12), CONTRACTS, FEES, L1).iloc[0]
    assert (row["median_x1000"], row["status"], row["note"]) == (127_000, "within tolerance", "")
    # The same 2 points are beyond a 1-point tolerance, in every month since January.
    row = m.infer(month_lines([127] * 12), CONTRACTS, FEES, L1, tolerance_x1000=1_000).iloc[0]
    assert row["status"] == "beyond tolerance"
    assert row["note"] == "contract 125%, remittances show 127% since 2025-01"


def test_small_samples_say_too_few_lines_rather_than_flag():
    frame = month_lines([125] * 6 + [118] * 6, per_month=2)  # 24 lines, 12 of them since July
    row = m.infer(frame, CONTRACTS, FEES, L1).iloc[0]
    assert (row["lines"], row["status"], row["note"]) == (24, "too few lines", "")
    assert pd.isna(row["since_month"])
    # Enough lines in all, too few in the run since July: watched, not flagged.
    row = m.infer(month_lines([125] * 10 + [118] * 2, per_month=4), CONTRACTS, FEES, L1).iloc[0]
    assert row["status"] == "watch"
    assert row["note"] == (
        "contract 125%, remittances show 118% since 2025-11 (8 lines: too few to flag)"
    )


def test_draft_contract_is_a_contracts_csv_row_at_the_inferred_percent():
    rows = []
    for k in range(40):
        code = list(YEAR_CODES)[k % 5]
        rows.append(
            {
                "payer_id": "NEWCO",
                "procedure_code": code,
                "date_of_service": f"2025-{k % 12 + 1:02d}-10",
                "allowed_cents": YEAR_CODES[code][0] * 6 // 5,
            }
        )
    # fmt: skip
    table = m.infer(lines(rows), CONTRACTS, YEAR_FEES, L2)
    draft = m.draft_contract(table, "NEWCO", payer_name="New Co", payer_class="COMMERCIAL")
    assert list(draft.columns) == m.DRAFT_COLUMNS
    row = draft.iloc[0]
    assert (row["basis"], row["medicare_percent"], row["medicare_year"]) == (
        "medicare_percent", "120", "2024",
    )  # fmt: skip
    assert (row["medicare_locality"], row["effective_from"]) == (L2, "2025-01-01")
    assert (row["payer_name"], row["payer_class"]) == ("New Co", "COMMERCIAL")
    assert row["evidence"].startswith("inferred from 40 lines, 2025-01 to 2025-12: median 120.0%")
    with pytest.raises(NoInferredMultiplier, match="too few lines"):
        m.draft_contract(m.infer(lines(rows[:5]), CONTRACTS, YEAR_FEES, L2), "NEWCO")
    with pytest.raises(NoInferredMultiplier, match="no remitted lines"):
        m.draft_contract(table, "NOBODY")


def test_no_lines_no_rows():
    empty = lines(
        [{"procedure_code": "99213", "allowed_cents": 1, "date_of_service": "2025-01-01"}]
    )
    out = m.infer(empty.iloc[0:0], CONTRACTS, FEES, L1)
    assert out.empty and list(out.columns) == m.MULTIPLIER_COLUMNS


# --- end to end: the verb on a demo practice ---------------------------------------------


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multipliers") / "practice"
    demo.generate(folder, claims_per_month=15, seed=7)
    return folder


BILLING_ENV = {"PAYEROPT_ACTOR": "bill", "PAYEROPT_ROLE": "billing_manager"}


@pytest.mark.slow
def test_the_verb_on_a_demo_practice(db_url, demo_files, tmp_path):
    engine = store.engine_for(db_url)
    org = demo_org(engine, "Multipliers", demo_files)
    paths = demo_835s(engine, org, 7, tmp_path / "era")
    assert all(isinstance(o, posting.PostResult) for _, o in posting.post_files(
        engine, org, paths, OWNER
    ))  # fmt: skip
    # LBA's contract rises from 115 % to 120 % on 2026-01-01; its remittances stay at 115 %.
    terms = pd.read_csv(demo_files / "contracts.csv", dtype=str, keep_default_na=False)
    raised = terms[terms["payer_id"].eq("LBA")].assign(
        effective_from="2026-01-01", medicare_percent="120"
    )
    raised.to_csv(tmp_path / "raise.csv", index=False)
    imports.import_file(engine, org, "contracts", tmp_path / "raise.csv", OWNER)

    out = tmp_path / "multipliers.csv"
    done = payeropt(
        "multipliers", org, "--csv", str(out), "--min-lines", "10", db=db_url, env=BILLING_ENV
    )
    assert done.code == 0, done.err
    assert done.out.strip().endswith(f"payer multipliers written to {out}")
    table = pd.read_csv(out, dtype=str, keep_default_na=False).set_index(
        ["payer_id", "product_line"]
    )
    assert list(table.reset_index().columns) == m.MULTIPLIER_COLUMNS
    # The demo's payers pay their contracts (planted under-payments are a few lines each):
    # Medicare 100 %, the PPO 128 %, Medicaid managed care 72 %, on current Medicare.
    paying = {("MCR", ""): "100000", ("PMH", "PPO"): "128000", ("GCC", ""): "72000"}
    for key, percent in paying.items():
        row = table.loc[key]
        assert (row["median_x1000"], row["contract_x1000"], row["status"]) == (
            percent, percent, "within tolerance",
        )  # fmt: skip
        assert row["medicare_year"] == ""  # the year of service fits best
    # J3301 (a drug) has no Medicare amount: counted as left out, not as a ratio.
    assert int(table.loc[("MCR", ""), "no_medicare"]) > 0
    lba = table.loc[("LBA", "")]
    assert (lba["median_x1000"], lba["contract_x1000"]) == ("115000", "120000")
    assert lba["status"] == "beyond tolerance"
    assert lba["note"] == f"contract 120%, remittances show 115% since {lba['since_month'][:7]}"
    assert lba["since_month"].startswith("2026-0")
    assert table.loc[("PVWC", ""), "status"] == "too few lines"  # 5 lines
    assert table.loc[("PMH", "HMO"), "status"] == "no percent contract"  # a fee schedule

    # On screen: percents as text.
    shown = payeropt("multipliers", org, "--min-lines", "10", db=db_url, env=BILLING_ENV)
    assert shown.code == 0 and "contract 120%, remittances show 115% since 2026-" in shown.out

    # A contract draft for CRHP (a fixed fee schedule on file): written, not stored, and a
    # contracts.csv another practice's import takes as it is.
    before = org_snapshot(engine, org)
    draft = tmp_path / "crhp.csv"
    done = payeropt("multipliers", org, "--draft", "CRHP", "--out", str(draft), db=db_url,
                    env=BILLING_ENV)  # fmt: skip
    assert done.code == 0, done.err
    assert org_snapshot(engine, org) == before
    row = pd.read_csv(draft, dtype=str, keep_default_na=False).iloc[0]
    assert (row["payer_id"], row["payer_name"], row["basis"]) == (
        "CRHP", "Cedar Ridge Health Plan", "medicare_percent",
    )  # fmt: skip
    other = opted_in_org(engine, "Drafted")
    imports.import_file(engine, other, "contracts", draft, OWNER)
    stored = store.read_frame(engine, tables.contracts, other)
    percent = parse_scaled(row[["medicare_percent"]], 3)[0]
    assert stored["medicare_percent_x1000"].iloc[0] == percent

    # A clinician may not read the payers' figures; a payer without lines gets no draft.
    clinician = {**BILLING_ENV, "PAYEROPT_ROLE": "clinician"}
    refused = payeropt("multipliers", org, db=db_url, env=clinician)
    assert refused.code == 2 and "clinician" in refused.err
    none = payeropt("multipliers", org, "--draft", "NOBODY", "--out", str(tmp_path / "x.csv"),
                    db=db_url, env=BILLING_ENV)  # fmt: skip
    assert none.code == 2 and "no contract drafted for NOBODY" in none.err
