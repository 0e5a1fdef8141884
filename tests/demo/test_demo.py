"""The synthetic demo practice (``demo.files``): deterministic, valid, realistic enough.

The rules checked here are the importer's (interface section 1), checked directly on the
written files so the generator can be tested on its own.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from payeropt_lib.demo import files as demo
from payeropt_lib.money import parse_cents

SMALL = 60  # claims per month in most tests: ~1,400 claims, well under a second
KINDS = ("contracts", "fee-schedules", "medicare-fees", "charges", "transactions",
         "encounters", "appointments")  # fmt: skip

PROCEDURE = r"(\d{4}[0-9FTUM]|[A-V]\d{4})"
ICD10 = r"[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?"
MONEY = r"\d+(\.\d{1,2})?"
DATE = r"\d{4}-\d{2}-\d{2}"
PAYER_CLASSES = {"MEDICARE", "MEDICAID", "COMMERCIAL", "MEDICARE_ADVANTAGE",
                 "MEDICAID_MANAGED", "WORKERS_COMP", "SELF_PAY", "OTHER"}  # fmt: skip
TRANSACTION_TYPES = {"patient_payment", "secondary_payment", "refund", "contractual",
                     "noncash_compliance", "courtesy", "bad_debt", "small_balance"}  # fmt: skip
REQUIRED = {
    "contracts": ["payer_id", "payer_name", "payer_class", "effective_from", "basis"],
    "fee-schedules": ["payer_id", "procedure_code", "allowed_amount", "effective_from"],
    "medicare-fees": ["locality", "procedure_code", "effective_from", "non_facility_amount",
                      "facility_amount"],
    "charges": ["claim_id", "line_number", "patient_id", "date_of_service", "procedure_code",
                "units", "charge_amount", "primary_payer_id"],
    "transactions": ["claim_id", "posted_date", "type", "amount"],
    "encounters": ["claim_id", "encounter_type"],
    "appointments": ["appointment_id", "date", "patient_id", "payer_id", "visit_type"],
}  # fmt: skip


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict[str, Path]:
    return demo.generate(tmp_path_factory.mktemp("demo"), claims_per_month=SMALL)


@pytest.fixture(scope="module")
def files(paths) -> dict[str, pd.DataFrame]:
    return {kind: _read(path) for kind, path in paths.items()}


def _npi_ok(npi: str) -> bool:
    """Luhn over '80840' + the NPI, written out independently of the generator."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(d) for d in "80840" + npi]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return total % 10 == 0


# --------------------------------------------------------------------------- the files


def test_writes_the_seven_interface_files(paths, files) -> None:
    assert tuple(paths) == KINDS
    assert {p.name for p in paths.values()} == set(demo.FILE_NAMES.values())
    for kind, frame in files.items():
        raw = paths[kind].read_bytes()
        assert b"\r" not in raw and not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")
        for column in REQUIRED[kind]:
            assert frame[column].ne("").all(), f"{kind}.{column} has blanks"
    assert list(files["charges"].columns) == list(demo.CHARGES_COLUMNS)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path, paths) -> None:
    again = demo.generate(tmp_path / "again", claims_per_month=SMALL)
    for kind in KINDS:
        assert again[kind].read_bytes() == paths[kind].read_bytes(), kind
    other = demo.generate(tmp_path / "other", claims_per_month=SMALL, seed=7)
    assert other["charges"].read_bytes() != paths["charges"].read_bytes()
    assert other["contracts"].read_bytes() == paths["contracts"].read_bytes()


def test_size_scales_with_claims_per_month(tmp_path: Path, files) -> None:
    bigger = demo.generate(tmp_path / "big", claims_per_month=4 * SMALL)
    small_claims = files["charges"]["claim_id"].nunique()
    big_claims = _read(bigger["charges"])["claim_id"].nunique()
    assert 22 * SMALL < small_claims < 26 * SMALL  # ~claims_per_month x 24 months
    assert 3.6 < big_claims / small_claims < 4.4
    assert len(_read(bigger["encounters"])) > 3 * len(files["encounters"])


# --------------------------------------------------------------------------- contracts


def test_contracts(files) -> None:
    contracts = files["contracts"]
    assert set(contracts["payer_class"]) <= PAYER_CLASSES
    assert not contracts.duplicated(["payer_id", "product_line", "effective_from"]).any()
    assert set(contracts["basis"]) == {"fee_schedule", "medicare_percent"}
    percent = contracts[contracts["basis"] == "medicare_percent"]
    assert percent["medicare_percent"].str.fullmatch(r"\d+(\.\d+)?").all()
    assert percent["medicare_locality"].eq(demo.DEMO_LOCALITY).all()
    assert contracts.loc[contracts["payer_class"] == "MEDICARE", "medicare_percent"].tolist() == [
        "100"
    ]
    assert set(contracts["lesser_of_charges"]) <= {"true", "false"}
    pmh = contracts[contracts["payer_id"] == "PMH"].set_index("product_line")
    assert pmh.loc["HMO", "basis"] == "fee_schedule"
    assert pmh.loc["PPO", "basis"] == "medicare_percent"
    assert 120 <= float(pmh.loc["PPO", "medicare_percent"]) <= 135
    aliases = contracts["payer_aliases"].str.split(";")
    assert aliases.map(lambda a: any(re.fullmatch(r"1\d{9}", x) for x in a)).all()
    for column in ("appeal_days", "timely_filing_days", "mppr_percent"):
        assert contracts[column].str.fullmatch(r"\d+").all()


def test_renewals_inside_and_outside_the_notice_window(files) -> None:
    contracts = files["contracts"]
    dated = contracts[contracts["renewal_date"] != ""]
    renewal = pd.to_datetime(dated["renewal_date"])
    notice = pd.to_numeric(dated["notice_days"].replace("", "90"))
    as_of = pd.Timestamp(demo.DEMO_AS_OF)
    inside = (renewal - pd.to_timedelta(notice, unit="D") <= as_of) & (as_of < renewal)
    assert set(dated.loc[inside, "payer_id"]) == {"PMH", "CRHP"}
    assert (renewal[~inside] > as_of).all()
    assert (renewal > pd.to_datetime(dated["effective_from"])).all()


# --------------------------------------------------------------------------- fee schedules


def test_fee_schedules_have_no_overlaps_and_real_changes(files) -> None:
    fees = files["fee-schedules"]
    assert fees["procedure_code"].str.fullmatch(PROCEDURE).all()
    assert set(fees["modifier"]) == {"", "26", "TC"}
    assert fees["allowed_amount"].str.fullmatch(MONEY).all()
    assert fees["effective_from"].str.fullmatch(DATE).all()
    assert fees["effective_to"].str.fullmatch(f"({DATE})?").all()
    key = ["payer_id", "product_line", "procedure_code", "modifier"]
    ordered = fees.sort_values([*key, "effective_from"])
    same_key = ordered[key].eq(ordered[key].shift(-1)).all(axis=1)
    # Contiguous half-open periods: each row ends where the next one of its key starts.
    assert (
        ordered["effective_to"][same_key] == ordered["effective_from"].shift(-1)[same_key]
    ).all()
    assert (ordered["effective_to"][~same_key] == "").all()
    closed = ordered[ordered["effective_to"] != ""]
    assert (closed["effective_to"] > closed["effective_from"]).all()
    payers = set(files["contracts"].loc[lambda c: c["basis"] == "fee_schedule", "payer_id"])
    assert set(fees["payer_id"]) == payers
    hmo = fees[(fees["payer_id"] == "PMH") & (fees["product_line"] == "HMO")]
    assert {"2025-01-01", "2025-07-01", "2026-01-01"} <= set(hmo["effective_from"])
    em = hmo[hmo["procedure_code"] == "99213"].sort_values("effective_from")
    assert len(em) == 4 and em["allowed_amount"].astype(float).is_monotonic_increasing
    imaging = fees[fees["procedure_code"] == "73562"]
    assert set(imaging["modifier"]) == {"", "26", "TC"}


def test_medicaid_fee_schedule_is_60_to_75_percent_of_medicare(files) -> None:
    fees = files["fee-schedules"]
    medicaid = fees[(fees["payer_id"] == "TXMCD") & (fees["effective_from"] == "2023-09-01")]
    medicare = files["medicare-fees"]
    in_2025 = medicare[medicare["effective_from"] == "2025-01-01"]
    both = medicaid.merge(in_2025, on=["procedure_code", "modifier"])
    ratio = parse_cents(both["allowed_amount"]) / parse_cents(both["non_facility_amount"])
    assert len(both) > 40
    assert ratio.min() >= 0.595 and ratio.max() <= 0.755


def test_medicare_fees_copy_the_reference_file(paths) -> None:
    assert paths["medicare-fees"].read_bytes() == demo.REFERENCE_MEDICARE_FEES.read_bytes()


# --------------------------------------------------------------------------- charges


def test_charges_follow_the_import_rules(files) -> None:
    charges = files["charges"]
    assert not charges.duplicated(["claim_id", "line_number"]).any()
    assert charges["procedure_code"].str.fullmatch(PROCEDURE).all()
    assert charges["modifiers"].str.fullmatch(r"([A-Z0-9]{2}(:[A-Z0-9]{2}){0,3})?").all()
    assert charges["units"].str.fullmatch(r"[1-9]\d*").all()
    assert charges["charge_amount"].str.fullmatch(MONEY).all()
    assert charges["date_of_service"].str.fullmatch(DATE).all()
    assert charges["place_of_service"].str.fullmatch(r"\d{2}").all()
    assert charges["diagnosis_codes"].str.fullmatch(rf"{ICD10}(;{ICD10})*").all()
    assert charges["rendering_npi"].map(_npi_ok).all()
    assert 3 <= charges["rendering_npi"].nunique() <= 6
    assert charges["rendering_npi"].str.startswith("80840").sum() == 0  # 10 digits, no prefix
    assert (
        charges["line_control_number"] == charges["claim_id"] + "-" + charges["line_number"]
    ).all()
    dos = pd.to_datetime(charges["date_of_service"])
    assert dos.min() >= pd.Timestamp(demo.DEMO_PERIOD_START)
    assert dos.max() <= pd.Timestamp(demo.DEMO_PERIOD_END)
    assert (dos.dt.day_of_week < 5).all()
    per_claim = charges.groupby("claim_id")
    assert (
        per_claim["line_number"]
        .apply(lambda s: sorted(map(int, s)) == list(range(1, len(s) + 1)))
        .all()
    )
    assert per_claim.size().max() <= 4
    assert 1.45 < per_claim.size().mean() < 1.8
    assert (per_claim["date_of_service"].nunique() == 1).all()
    assert charges["claim_id"].str.fullmatch(r"C\d{4}\d{6}").all()


def test_every_payer_and_claim_reference_exists(files) -> None:
    payers = set(files["contracts"]["payer_id"])
    claims = set(files["charges"]["claim_id"])
    for kind, column in [
        ("fee-schedules", "payer_id"),
        ("charges", "primary_payer_id"),
        ("charges", "secondary_payer_id"),
        ("transactions", "payer_id"),
        ("appointments", "payer_id"),
    ]:
        used = set(files[kind][column]) - {""}
        assert used <= payers, (kind, column, used - payers)
    assert set(files["transactions"]["claim_id"]) <= claims
    assert set(files["encounters"]["claim_id"]) <= claims
    lines = set(files["charges"]["claim_id"] + "#" + files["charges"]["line_number"])
    posted = files["transactions"].loc[lambda t: t["line_number"] != ""]
    assert set(posted["claim_id"] + "#" + posted["line_number"]) <= lines


def test_patients_keep_one_payer_and_product_line(files) -> None:
    charges = files["charges"]
    per_patient = charges.groupby("patient_id")[["primary_payer_id", "product_line"]].nunique()
    assert (per_patient == 1).all().all()
    assert charges["patient_id"].str.fullmatch(r"P\d{7}").all()
    contracts = files["contracts"]
    lines = set(contracts["payer_id"] + "|" + contracts["product_line"])
    assert set(charges["primary_payer_id"] + "|" + charges["product_line"]) <= lines
    secondary = charges.loc[charges["secondary_payer_id"] != ""]
    assert len(secondary) and secondary["primary_payer_id"].eq("MCR").all()


def test_payer_mix_covers_every_payer_class(files) -> None:
    classes = files["contracts"].drop_duplicates("payer_id").set_index("payer_id")["payer_class"]
    used = set(files["charges"]["primary_payer_id"].map(classes))
    assert used == {"MEDICARE", "MEDICAID", "MEDICARE_ADVANTAGE", "COMMERCIAL",
                    "MEDICAID_MANAGED", "WORKERS_COMP"}  # fmt: skip
    assert set(files["charges"]["product_line"]) == {"", "HMO", "PPO"}


def test_charges_are_two_to_three_times_medicare(files) -> None:
    charges = files["charges"]
    charges = charges[charges["date_of_service"].str.startswith("2025")]
    pricing = charges["modifiers"].str.extract(r"^(26|TC)", expand=False).fillna("")
    medicare = files["medicare-fees"]
    in_2025 = medicare[medicare["effective_from"] == "2025-01-01"]
    lines = charges.assign(modifier=pricing).merge(in_2025, on=["procedure_code", "modifier"])
    unit_charge = parse_cents(lines["charge_amount"]) / lines["units"].astype(int)
    ratio = unit_charge / parse_cents(lines["non_facility_amount"])
    assert len(lines) > 0.9 * len(charges)  # all but the drug (J3301) are on the PFS
    assert 2.0 <= ratio.mean() <= 3.0
    assert (parse_cents(charges["charge_amount"]) % 100 == 0).all()  # whole dollars
    # One chargemaster: the same code (and units) costs the same in a year, for every payer.
    per_code = charges.groupby(["procedure_code", "modifiers", "units"])["charge_amount"]
    assert (per_code.nunique() == 1).all()


def test_charges_rise_three_percent_in_2026(files) -> None:
    charges = files["charges"]
    one = charges[(charges["procedure_code"] == "99213") & (charges["units"] == "1")]
    by_year = one.groupby(one["date_of_service"].str[:4])["charge_amount"].first()
    rise = (
        parse_cents(pd.Series([by_year["2026"]]))[0] / parse_cents(pd.Series([by_year["2025"]]))[0]
    )
    assert 1.025 < rise < 1.035


def test_clinical_patterns_the_analyses_need(files) -> None:
    charges = files["charges"]
    mods = charges["modifiers"]
    em = charges["procedure_code"].str.fullmatch(r"992(0[2-5]|1[1-5])")
    assert mods[em].str.contains("25").any()
    assert {"26", "TC"} <= set(mods.str.extract(r"^(26|TC)", expand=False).dropna())
    reads = charges[mods.str.startswith("26")]
    assert reads["place_of_service"].isin(["19", "21", "22", "23"]).all()
    assert charges.loc[mods == "", "place_of_service"].isin(["11"]).any()
    assert mods.str.contains("RT").any() and mods.str.contains("LT").any()
    assert mods.str.contains("59").any()
    surgery = charges["procedure_code"].isin(["27447", "29881", "29880", "64721", "25600"])
    assert surgery.any()  # else the next line checks nothing
    assert charges.loc[surgery, "place_of_service"].isin(["21", "22", "23", "24"]).all()
    # Several multiple-procedure-indicator-2 procedures on one claim (MPPR candidates).
    indicator_2 = charges["procedure_code"].isin(
        ["20610", "20611", "20605", "20600", "20550", "20552", "20553", "64721", "26055"]
    )
    assert (charges[indicator_2].groupby("claim_id").size() >= 2).any()
    assert (charges["units"].astype(int) > 1).any()


# --------------------------------------------------------------------------- the rest


def test_transactions(files) -> None:
    transactions = files["transactions"]
    assert set(transactions["type"]) == TRANSACTION_TYPES
    assert transactions["amount"].str.fullmatch(rf"-?{MONEY}").all()
    assert transactions["posted_date"].str.fullmatch(DATE).all()
    assert transactions["line_number"].str.fullmatch(r"([1-9]\d*)?").all()
    amount = parse_cents(transactions["amount"])
    refund = transactions["type"].eq("refund").to_numpy()
    assert (amount[refund] < 0).all() and (amount[~refund] > 0).all()
    dos = transactions["claim_id"].map(
        files["charges"].drop_duplicates("claim_id").set_index("claim_id")["date_of_service"]
    )
    assert (transactions["posted_date"] > dos).all()
    assert (transactions["posted_date"] < demo.DEMO_AS_OF.isoformat()).all()
    secondary = transactions[transactions["type"] == "secondary_payment"]
    assert secondary["payer_id"].isin(["MGAP", "TXMCD"]).all()
    compliance = transactions[transactions["type"] == "noncash_compliance"]
    assert compliance["reason"].str.fullmatch(r"CARC (29|197)").all()


def test_encounters(files) -> None:
    encounters = files["encounters"]
    charges = files["charges"]
    em = charges[charges["procedure_code"].str.fullmatch(r"992(0[2-5]|1[1-5])")]
    assert not encounters["claim_id"].duplicated().any()
    assert set(encounters["claim_id"]) == set(em["claim_id"])
    code = encounters["claim_id"].map(em.set_index("claim_id")["procedure_code"])
    expected_type = np.where(code.str.startswith("9920"), "new", "established")
    assert (encounters["encounter_type"] == expected_type).all()
    assert set(encounters["mdm_level"]) <= {"", "straightforward", "low", "moderate", "high"}
    assert encounters["total_time_minutes"].str.fullmatch(r"(\d{1,3})?").all()
    assert encounters["note_text"].eq("").all()
    findings = encounters["documented_findings"]
    assert findings.str.fullmatch(r"([a-z_]+=[a-z0-9_]+(;[a-z_]+=[a-z0-9_]+)*)?").all()
    assert findings.str.contains("laterality=left").any()
    assert findings.str.contains("episode=initial").any()
    # Documentation mostly matches the billed level, sometimes not (coding review material).
    level = {"2": "straightforward", "3": "low", "4": "moderate", "5": "high"}
    billed = code.str[-1].map(level)
    agree = (billed == encounters["mdm_level"])[encounters["mdm_level"] != ""]
    assert 0.7 < agree.mean() < 0.95


def test_appointments(files) -> None:
    appointments = files["appointments"]
    assert not appointments["appointment_id"].duplicated().any()
    when = pd.to_datetime(appointments["date"])
    assert (when > pd.Timestamp(demo.DEMO_AS_OF)).all()
    assert (when <= pd.Timestamp(demo.DEMO_AS_OF + timedelta(days=60))).all()
    assert (
        appointments["planned_procedure_codes"]
        .str.fullmatch(rf"({PROCEDURE}(;{PROCEDURE})*)?")
        .all()
    )
    assert {"new", "established", "procedure", "imaging"} == set(appointments["visit_type"])
    known = files["charges"].drop_duplicates("patient_id").set_index("patient_id")
    seen = appointments[appointments["patient_id"].isin(known.index)]
    assert len(seen) > len(appointments) / 2
    assert (seen["payer_id"] == seen["patient_id"].map(known["primary_payer_id"])).all()


def test_demo_dates_are_fixed() -> None:
    assert date(2024, 11, 1) == demo.DEMO_PERIOD_START
    assert date(2026, 10, 31) == demo.DEMO_PERIOD_END
    assert date(2026, 11, 1) == demo.DEMO_AS_OF


# --------------------------------------------------------------------------- big file


def test_big_charges_csv_has_exactly_n_lines(tmp_path: Path, files) -> None:
    path = demo.big_charges_csv(tmp_path / "charges.csv", 5_003)
    frame = _read(path)
    assert len(frame) == 5_003
    assert list(frame.columns) == list(demo.CHARGES_COLUMNS)
    assert not frame.duplicated(["claim_id", "line_number"]).any()
    assert set(frame["primary_payer_id"]) <= set(files["contracts"]["payer_id"])
    assert frame["procedure_code"].str.fullmatch(PROCEDURE).all()
    assert frame["rendering_npi"].map(_npi_ok).all()
    assert len(_read(demo.big_charges_csv(tmp_path / "one.csv", 1))) == 1
    empty = demo.big_charges_csv(tmp_path / "empty.csv", 0).read_text()
    assert empty == ",".join(demo.CHARGES_COLUMNS) + "\n"


def test_the_payers_plan_does_not_depend_on_the_order_the_store_returns_charges(
    paths, tmp_path: Path
) -> None:
    """PostgreSQL returns rows in another order than SQLite: the demo's 835s must be the
    same on both (they once differed: 2,911 under-paid lines on one, 2,889 on the other)."""
    from payeropt_lib import config, store
    from payeropt_lib.demo import practice
    from payeropt_lib.demo import remittances as demo_era
    from payeropt_lib.demo.cms_release import import_demo_release
    from payeropt_lib.inputs import onboarding
    from payeropt_lib.store import orgs

    engine = store.engine_for(config.sqlite_url(tmp_path / "order.sqlite"))
    import_demo_release(engine, practice.DEMO_ACTOR)
    orgs.create(engine, "o", "Order", practice.DEMO_ACTOR, locality=demo.DEMO_LOCALITY)
    orgs.opt_in(engine, "o", practice.DEMO_ACTOR, accept_disclosure=True)
    onboarding.load_folder(engine, "o", paths["charges"].parent, practice.DEMO_ACTOR)
    frames = demo_era.stored_frames(engine, "o")

    def plan(charges: pd.DataFrame) -> pd.DataFrame:
        return demo_era.plan_payments(
            charges, frames["contracts"], frames["fee_schedules"], frames["medicare_fees"],
            demo.DEMO_AS_OF, 7,
        )  # fmt: skip

    stored = plan(frames["charges"])
    shuffled = plan(frames["charges"].sample(frac=1, random_state=3))
    assert len(stored) > 100 and stored["planted"].ne("").any()
    pd.testing.assert_frame_equal(stored, shuffled)
    files = demo_era.remittance_files(stored, 7)
    assert files == demo_era.remittance_files(shuffled, 7)


def test_the_dates_the_demo_file_does_not_cover_are_priced_from_its_cms_release(
    paths, tmp_path: Path
) -> None:
    """The demo's own Medicare file covers 2025; its other dates (November 2024 on, 2026)
    are priced by the fee library from CMS PFS 2025D, flagged as a stand-in, at the
    release's own amounts (99213 at Dallas, non-facility: $89.32, as the 2025 row)."""
    from payeropt_lib import config, store
    from payeropt_lib.demo import practice
    from payeropt_lib.demo import remittances as demo_era
    from payeropt_lib.demo.cms_release import import_demo_release
    from payeropt_lib.inputs import onboarding
    from payeropt_lib.pricing import expected
    from payeropt_lib.store import orgs

    engine = store.engine_for(config.sqlite_url(tmp_path / "library.sqlite"))
    assert import_demo_release(engine, practice.DEMO_ACTOR) is True
    assert import_demo_release(engine, practice.DEMO_ACTOR) is False  # on file: nothing
    orgs.create(engine, "l", "Library", practice.DEMO_ACTOR, locality=demo.DEMO_LOCALITY)
    orgs.opt_in(engine, "l", practice.DEMO_ACTOR, accept_disclosure=True)
    onboarding.load_folder(engine, "l", paths["charges"].parent, practice.DEMO_ACTOR)
    frames = demo_era.stored_frames(engine, "l")
    fees = frames["medicare_fees"]
    own = fees[fees["source"].isna()]
    assert set(own["effective_from"].dt.year) == {2025}
    assert set(own["effective_to"].dt.year) == {2026}
    visit = fees[fees["procedure_code"].eq("99213") & fees["modifier"].fillna("").eq("")]
    rows = visit.sort_values("effective_from")
    assert rows["source"].fillna("own").tolist() == ["CMS PFS 2025D", "own", "CMS PFS 2025D"]
    assert rows["effective_from"].dt.strftime("%F").tolist() == [
        "1992-01-01", "2025-01-01", "2026-01-01"]  # fmt: skip
    assert rows["effective_to"].dt.strftime("%F").fillna("open").tolist() == [
        "2025-01-01", "2026-01-01", "open"]  # fmt: skip
    assert rows["non_facility_cents"].tolist() == [8932, 8932, 8932]
    charges = frames["charges"]
    medicare = charges[charges["primary_payer_id"].eq("MCR") & charges["procedure_code"].eq(
        "99213")]  # fmt: skip
    lines = medicare.groupby(medicare["date_of_service"].dt.year).head(1)
    assert set(lines["date_of_service"].dt.year) == {2024, 2025, 2026}
    lines = lines.assign(
        line_key=range(len(lines)), payer_id=lines["primary_payer_id"], allowed_cents=pd.NA
    )
    priced = expected.expected_allowed(lines, frames["contracts"], frames["fee_schedules"], fees)
    year = lines.set_index("line_key")["date_of_service"].dt.year
    priced = priced.set_index(priced["line_key"].map(year).to_numpy())
    assert priced["medicare_schedule_substituted"].to_dict() == {
        2024: True, 2025: False, 2026: True,
    }  # fmt: skip
    assert priced["medicare_release"].astype("object").fillna("own file").to_dict() == {
        2024: "CMS PFS 2025D", 2025: "own file", 2026: "CMS PFS 2025D",
    }  # fmt: skip
    assert priced["expected_cents"].tolist() == [8932, 8932, 8932]
