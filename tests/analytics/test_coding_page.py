"""The "Coding" page's figures on hand-built frames: acceptance by kind and direction, the
downcode balance by month, the monitors with no clinician named under 11 encounters in a
month (10 pooled, 11 named; a small pool takes in the smallest named clinician; a pool
still small is not shown), the alerts' figures under the cell size in force, and the net
payment impact of accepted suggestions. No claim id leaves a function."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from payeropt_lib import config, store
from payeropt_lib.analytics import coding, privacy
from payeropt_lib.coding import monitors
from payeropt_lib.demo.claims import PCP_NPIS
from payeropt_lib.inputs import onboarding
from payeropt_lib.packet import build as packets
from payeropt_lib.packet import pages
from payeropt_lib.store import orgs, tables
from payeropt_lib.store.access import Identity
from tests.coding.test_impact import CHARGES, CONTRACTS, FEES, MEDICARE
from tests.conftest import GOOD

OWNER = Identity("t", "owner")

AS_OF = pd.Timestamp("2026-11-15")
FRESH = "2026-11-14T09:00:00.000000Z"
OLD = "2026-10-01T09:00:00.000000Z"
A, B, C, D, E = (f"18084000{i}{i}" for i in range(1, 6))


def _suggestions(*rows: tuple) -> pd.DataFrame:
    """(kind, direction, status, npi, date of service, created_at[, impact cents]) per row;
    claim ids CLAIM0001... (they must never leave a function)."""
    frame = pd.DataFrame(
        [r if len(r) == 7 else (*r, None) for r in rows],
        columns=["kind", "direction", "status", "rendering_npi", "date_of_service",
                 "created_at", "payment_impact_cents"],
    )  # fmt: skip
    return frame.assign(
        claim_id=[f"CLAIM{i:04d}" for i in range(1, len(frame) + 1)],
        line_number=1,
        rendering_npi=frame["rendering_npi"].astype("str"),
        date_of_service=pd.to_datetime(frame["date_of_service"]),
        payment_impact_cents=frame["payment_impact_cents"].astype("Int64"),
    )


def _visits(counts: dict[tuple[str | None, str], int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Encounters and their claims' lines: ``counts[(npi, day)]`` encounters of that
    clinician on that day, each on a claim of its own."""
    rows = [(npi, day) for (npi, day), n in counts.items() for _ in range(n)]
    claims = [f"ENC{i:05d}" for i in range(len(rows))]
    encounters = pd.DataFrame({"claim_id": claims}, dtype="str")
    charges = pd.DataFrame(
        {
            "claim_id": claims,
            "line_number": 1,
            "rendering_npi": [npi for npi, _ in rows],
            "date_of_service": pd.to_datetime([day for _, day in rows]),
        }
    ).astype({"claim_id": "str", "rendering_npi": "str"})
    return encounters, charges


def _no_claim_ids(frame: pd.DataFrame, suggestions: pd.DataFrame) -> None:
    assert "claim_id" not in frame.columns
    text = frame.astype("str").to_numpy().ravel().tolist()
    assert not set(text) & set(suggestions["claim_id"])


MIXED = _suggestions(
    *[("em_level", "up", "accepted", A, "2026-09-02", FRESH)] * 6,
    *[("em_level", "up", "rejected", A, "2026-09-02", FRESH)] * 2,
    *[("em_level", "up", "open", A, "2026-09-02", FRESH)] * 4,
    *[("em_level", "down", "accepted", A, "2026-09-03", FRESH)] * 3,
    *[("em_level", "down", "withdrawn", A, "2026-09-03", FRESH)] * 5,
    *[("modifier", "down", "rejected", B, "2026-10-04", FRESH)] * 1,
    *[("icd10_specificity", "none", "accepted", B, "2026-10-04", FRESH)] * 2,
    *[("em_level", "up", "open", B, "2026-10-05", FRESH)] * 3,
)


def test_acceptance_by_kind_and_direction() -> None:
    shown = coding.in_period(MIXED, None, None)
    assert len(shown) == len(MIXED) - 5  # withdrawn left out
    with privacy.cells_below(0):
        table = coding.acceptance(shown)
    _no_claim_ids(table, MIXED)
    got = table[["kind_label", "direction_label", "suggestions_count", "accepted_count",
                 "rejected_count", "open_count"]].values.tolist()  # fmt: skip
    assert got == [
        ["E/M level", "Up", 15, 6, 2, 7],
        ["E/M level", "Down", 3, 3, 0, 0],
        ["ICD-10-CM specificity", "Neither", 2, 2, 0, 0],
        ["Modifier", "Down", 1, 0, 1, 0],
        ["All suggestions", "", 21, 11, 3, 7],
    ]
    assert table["is_total"].tolist() == [False] * 4 + [True]
    assert table["pct_accepted"].round(2).tolist() == [75.0, 100.0, 100.0, 0.0, 78.57]
    with privacy.cells_below(0):
        head = coding.headline(shown)
    figures = ["suggestions_count", "up_count", "down_count", "accepted_count"]
    assert head[figures].values.tolist() == [[21, 15, 4, 11]]
    # The period: only September's suggestions.
    september = coding.in_period(MIXED, pd.Timestamp("2026-09-01"), pd.Timestamp("2026-09-30"))
    assert september["date_of_service"].dt.month.eq(9).all() and len(september) == 15


def test_acceptance_hides_small_counts_when_the_packet_leaves_the_practice() -> None:
    with privacy.cells_below(11):
        table = coding.acceptance(coding.in_period(MIXED, None, None)).set_index("kind_label")
    # Every part under 11 suggestions: hidden, with its rate; the total stays.
    assert table.loc["E/M level", "suggestions_count"].isna().all()
    assert pd.isna(table.loc["Modifier", "suggestions_count"])
    assert table.loc["Modifier", "accepted_count"] == 0  # a zero is shown, never hidden
    assert table.loc["All suggestions", "suggestions_count"] == 21
    assert table.loc["All suggestions", "accepted_count"] == 11
    assert pd.isna(table.loc["All suggestions", "pct_accepted"])  # 3 rejected is small


def test_the_downcode_balance_by_month() -> None:
    rows = [
        *[("em_level", "up", "open", A, "2026-08-10", FRESH)] * 3,
        ("em_level", "down", "open", A, "2026-08-11", FRESH),  # 1 per 3 exactly: balanced
        *[("em_level", "up", "open", A, "2026-09-10", FRESH)] * 4,
        ("modifier", "down", "accepted", B, "2026-09-11", FRESH),  # 1 per 4: below
        ("em_level", "down", "rejected", B, "2026-10-11", FRESH),  # no upcode: balanced
    ]
    with privacy.cells_below(0):
        table = coding.downcode_balance(coding.in_period(_suggestions(*rows), None, None))
    assert table["month_label"].tolist() == ["2026-08", "2026-09", "2026-10", "All months"]
    assert table["up_count"].tolist() == [3, 4, 0, 7]
    assert table["down_count"].tolist() == [1, 1, 1, 3]
    assert table["below_balance"].tolist() == [False, True, False, False]
    assert pd.isna(table["downcodes_per_upcode"].iloc[2])
    assert table["service_month"].iloc[1] == pd.Timestamp("2026-09-01")
    with privacy.cells_below(11):
        hidden = coding.downcode_balance(coding.in_period(_suggestions(*rows), None, None))
    assert hidden["up_count"].iloc[:2].isna().all() and hidden["up_count"].iloc[2] == 0
    assert hidden["below_balance"].iloc[:3].isna().all()  # each month has a count hidden


# Encounters per clinician and month (each on its first line's day):
#   2026-09: A 11, B 11 named; C 10 + D 1 pooled: 11, shown.
#   2026-10: A 12 named; C 10 pooled, under 11: takes in B (11, the smallest named).
#   2026-11: C 10 alone: a pool under 11 with no one named: not shown.
#   2026-12: A 11 named, no pool.
VISITS = {
    (A, "2026-09-01"): 11, (B, "2026-09-02"): 11, (C, "2026-09-03"): 10, (D, "2026-09-04"): 1,
    (A, "2026-10-01"): 12, (B, "2026-10-02"): 11, (C, "2026-10-03"): 10,
    (C, "2026-11-03"): 10,
    (A, "2026-12-01"): 11,
}  # fmt: skip
POOLED = _suggestions(
    # 2026-09, the pool (C, D): 4 up, no down: the pool's own balance alert.
    *[("em_level", "up", "open", C, "2026-09-03", FRESH)] * 3,
    ("em_level", "up", "open", D, "2026-09-04", FRESH),
    # 2026-09, A: 3 up, 1 down: balanced; B: all 4 accepted: acceptance alert.
    *[("em_level", "up", "open", A, "2026-09-01", FRESH)] * 3,
    ("em_level", "down", "open", A, "2026-09-01", FRESH),
    *[("em_level", "up", "accepted", B, "2026-09-02", FRESH)] * 4,
    # 2026-10: C's 2 stale open suggestions, pooled with B.
    *[("em_level", "down", "open", C, "2026-10-03", OLD)] * 2,
    # 2026-11: C alone, not shown: its alert must not appear.
    *[("em_level", "up", "open", C, "2026-11-03", OLD)] * 5,
)


def _pooled(suggestions: pd.DataFrame = POOLED, visits: dict = VISITS) -> pd.DataFrame:
    encounters, charges = _visits(visits)
    return coding.clinician_monitors(
        coding.in_period(suggestions, None, None), encounters, charges, AS_OF
    )


def test_no_clinician_is_named_under_11_encounters_in_a_month() -> None:
    with privacy.cells_below(0):  # the practice's own packet: clinicians are still pooled
        table = _pooled()
    shown = table.assign(month=table["service_month"].dt.strftime("%Y-%m"))
    got = shown[["month", "clinician", "encounters"]].astype("str").values.tolist()
    got = [[m, c, "hidden" if pd.isna(n) else n] for m, c, n in got]
    assert got == [
        ["2026-09", A, "11"], ["2026-09", B, "11"], ["2026-09", coding.OTHER_CLINICIANS, "11"],
        ["2026-10", A, "12"], ["2026-10", coding.OTHER_CLINICIANS, "21"],
        ["2026-11", coding.OTHER_CLINICIANS, "hidden"],
        ["2026-12", A, "11"],
    ]  # fmt: skip
    named = set(table["clinician"]) | set(table["rendering_npi"].dropna())
    assert C not in named and D not in named  # 10 and 1 encounters: never named
    hidden = table[table["is_hidden"]]
    assert hidden[monitors.COUNTS].isna().all(axis=None)
    assert not hidden[monitors.ALERT_COLUMNS].any(axis=None)
    # The pool's figures are the pool's sums, judged as a clinician's would be.
    pool = table[table["is_pooled"] & ~table["is_hidden"]].set_index("service_month")
    september, october = pool.loc["2026-09-01"], pool.loc["2026-10-01"]
    assert (september["up"], september["down"], september["downcode_balance_alert"]) == (
        4,
        0,
        True,
    )
    assert (october["stale_open"], october["stale_alert"]) == (2, True)
    facts = coding.monitor_facts(table).iloc[0].to_dict()
    assert facts == {"named_clinicians": 2, "named_months": 4, "pooled_months": 2,
                     "hidden_months": "2026-11", "alerts": 4}  # fmt: skip


def test_ten_encounters_are_pooled_and_eleven_named() -> None:
    ten = {(A, "2026-09-01"): 10, (B, "2026-09-02"): 30}
    eleven = {(A, "2026-09-01"): 11, (B, "2026-09-02"): 30}
    with privacy.cells_below(0):
        pooled_ten, pooled_eleven = _pooled(POOLED.iloc[:0], ten), _pooled(POOLED.iloc[:0], eleven)
    # A with 10 would be a pool of 10 beside B: B (the smallest named) joins it.
    assert pooled_ten["clinician"].tolist() == [coding.OTHER_CLINICIANS]
    assert pooled_ten["encounters"].tolist() == [40]
    assert pooled_eleven["clinician"].tolist() == [A, B]
    # A larger cell size in force raises the bar: 11 is then too few to be named.
    with privacy.cells_below(20):
        wider = _pooled(POOLED.iloc[:0], {**eleven, (None, "2026-09-03"): 20})
    assert wider["clinician"].tolist() == [B, coding.OTHER_CLINICIANS]
    assert wider["encounters"].tolist() == [30, 31]
    # A line without a rendering NPI is never a clinician named.
    unknown = {(None, "2026-09-01"): 25, (B, "2026-09-02"): 30}
    with privacy.cells_below(0):
        assert _pooled(POOLED.iloc[:0], unknown)["clinician"].tolist() == [
            B,
            coding.OTHER_CLINICIANS,
        ]


def test_the_alerts_of_the_pooled_monitors() -> None:
    with privacy.cells_below(0):
        table = _pooled()
        alerts = coding.monitor_alerts(table)
    assert alerts.values.tolist() == [
        [B, "2026-09", "Downcode balance", "0 downcodes to 4 upcodes", "at least 1 to 3"],
        [B, "2026-09", "Acceptance rate", "4 of 4 decided accepted (100.0%)",
         "30% to 70% accepted"],
        [coding.OTHER_CLINICIANS, "2026-09", "Downcode balance", "0 downcodes to 4 upcodes",
         "at least 1 to 3"],
        [coding.OTHER_CLINICIANS, "2026-10", "Left open", "2 suggestions open over 14 days",
         "none open over 14 days"],
    ]  # fmt: skip
    _no_claim_ids(alerts, POOLED)
    # Under the 11 rule the figures measured over a small count are hidden, not the alert.
    with privacy.cells_below(11):
        hidden = coding.monitor_alerts(_pooled())
    assert hidden["alert"].tolist() == alerts["alert"].tolist()
    assert hidden["figure"].isna().all()


def test_the_net_payment_impact_of_accepted_suggestions() -> None:
    rows = [
        *[("em_level", "up", "accepted", A, "2026-09-02", FRESH, 4_000)] * 12,
        ("em_level", "up", "accepted", A, "2026-09-02", FRESH, None),  # no rate: not $0
        *[("em_level", "down", "accepted", A, "2026-09-02", FRESH, -2_500)] * 11,
        ("em_level", "up", "rejected", A, "2026-09-02", FRESH, 9_999),  # not accepted
        ("em_level", "up", "open", A, "2026-09-02", FRESH, 9_999),
        ("icd10_specificity", "none", "accepted", A, "2026-09-02", FRESH, 0),
    ]
    suggestions = _suggestions(*rows)
    with privacy.cells_below(0):
        table = coding.payment_impact(suggestions)
    _no_claim_ids(table, suggestions)
    columns = ["direction_label", "accepted_count", "no_rate_count", "impact_cents"]
    assert table[columns].values.tolist() == [
        ["Up", 13, 1, 48_000],
        ["Down", 11, 0, -27_500],
        ["Neither", 1, 0, 0],
        [coding.ALL_ACCEPTED, 25, 1, 20_500],
    ]  # fmt: skip
    with privacy.cells_below(11):
        hidden = coding.payment_impact(suggestions).set_index("direction_label")
    assert pd.isna(hidden.loc["Neither", "impact_cents"])  # 1 accepted: small
    assert hidden.loc[coding.ALL_ACCEPTED, "impact_cents"] == 20_500


def test_only_accepted_suggestions_are_priced_by_the_engine() -> None:
    suggestions = pd.DataFrame(
        {
            "claim_id": ["C1", "C2", "C1"],
            "line_number": 1,
            "kind": "em_level",
            "original_code": ["99213", "99214", "99213"],
            "suggested_code": ["99214", "99213", "99214"],
            "units": 1,
            "direction": ["up", "down", "up"],
            "rule_id": "",
            "support": "",
            "status": ["accepted", "accepted", "open"],
        },
        index=[7, 3, 5],
    )
    out = coding.priced(suggestions, CHARGES, CONTRACTS, FEES, MEDICARE)
    # 99214 at 130.00 against 99213 at 90.00, both ways; the open one is not priced.
    assert out.loc[[7, 3], "payment_impact_cents"].tolist() == [4_000, -4_000]
    assert pd.isna(out.loc[5, "payment_impact_cents"])


def test_a_practice_without_suggestions_gets_empty_frames_not_errors() -> None:
    none = coding.in_period(_suggestions(), None, None)
    encounters, charges = _visits({(A, "2026-09-01"): 12})
    with privacy.cells_below(0):
        assert coding.headline(none).empty
        assert coding.acceptance(none).empty
        assert coding.downcode_balance(none).empty
        assert coding.payment_impact(none).empty
        pooled = coding.clinician_monitors(none, encounters, charges, AS_OF)
        assert coding.monitor_alerts(pooled).empty
        nothing = coding.clinician_monitors(none, encounters.iloc[:0], charges.iloc[:0], AS_OF)
        assert nothing.empty and coding.monitor_facts(nothing).empty
    assert pooled["clinician"].tolist() == [A] and pooled["encounters"].tolist() == [12]
    assert coding.priced(none, CHARGES, CONTRACTS, FEES, MEDICARE).empty


@pytest.mark.parametrize("start, kept", [("2026-09-02", 11), ("2026-09-01", 11 + 11)])
def test_the_period_counts_encounters_by_their_first_line(start: str, kept: int) -> None:
    encounters, charges = _visits({(A, "2026-09-01"): 11, (B, "2026-09-02"): 11})
    with privacy.cells_below(0):
        table = coding.clinician_monitors(
            POOLED.iloc[:0], encounters, charges, AS_OF, pd.Timestamp(start), None
        )
    assert int(table["encounters"].sum()) == kept


def test_the_alert_summary_and_the_latest_months() -> None:
    with privacy.cells_below(0):
        table = _pooled()
        summary = coding.alert_summary(table)
        latest = coding.monitor_alerts(table, last_months=1)
    assert summary.values.tolist() == [
        [A, 3, 0, 0, 0],
        [B, 1, 1, 1, 0],
        [coding.OTHER_CLINICIANS, 2, 1, 0, 1],  # 2026-11's pool is not shown
    ]
    # The latest month shown is 2026-12 (A alone, no alert); 2026-11 is hidden.
    assert latest.empty
    # The latest months shown: 2026-11 is not one of them.
    with privacy.cells_below(0):
        two, three = (coding.monitor_alerts(table, last_months=n) for n in (2, 3))
    assert two["month"].unique().tolist() == ["2026-10"]
    assert three["month"].unique().tolist() == ["2026-09", "2026-10"]


# --- the page, rendered -----------------------------------------------------------------

PAGE_AS_OF = "2025-08-01"
CLAIM_PREFIX, PATIENT_PREFIX = "ZQCOD", "ZQPAT"  # never on the page


def _practice_folder(folder: Path) -> tuple[Path, dict[str, list[str]]]:
    """The good fixture's contracts and rates, and June 2025 visits of three clinicians:
    14 (named), 12 (the smallest named: taken into the pool) and 5 (pooled). Returns the
    folder and each clinician's claim ids."""
    folder.mkdir()
    for name in ("contracts.csv", "fee_schedules.csv", "medicare_fees.csv"):
        (folder / name).write_bytes((GOOD / name).read_bytes())
    visits = {PCP_NPIS[0]: 14, PCP_NPIS[1]: 12, PCP_NPIS[2]: 5}
    claims: dict[str, list[str]] = {}
    charges, encounters = [], []
    for npi, n in visits.items():
        for _ in range(n):
            claim = f"{CLAIM_PREFIX}{len(charges) + 1:04d}"
            claims.setdefault(npi, []).append(claim)
            charges.append(
                {"claim_id": claim, "line_number": 1, "line_control_number": "",
                 "patient_id": f"{PATIENT_PREFIX}{len(charges) + 1:04d}",
                 "date_of_service": "2025-06-10", "procedure_code": "99213", "modifiers": "",
                 "units": 1, "charge_amount": "150.00", "primary_payer_id": "MCD",
                 "product_line": "", "secondary_payer_id": "", "place_of_service": "11",
                 "rendering_npi": npi, "diagnosis_codes": "I10"}
            )  # fmt: skip
            encounters.append(
                {"claim_id": claim, "encounter_type": "established", "total_time_minutes": 30,
                 "mdm_level": "moderate", "documented_findings": "", "note_text": "Visit."}
            )  # fmt: skip
    pd.DataFrame(charges).to_csv(folder / "charges.csv", index=False)
    pd.DataFrame(encounters).to_csv(folder / "encounters.csv", index=False)
    return folder, claims


@pytest.mark.slow
def test_the_page_shows_the_figures_and_names_no_small_clinician(tmp_path: Path) -> None:
    url = config.sqlite_url(tmp_path / "coding.sqlite")
    engine = store.engine_for(url)
    orgs.create(engine, "t", "Coding Practice", OWNER, locality="01112-05")
    orgs.opt_in(engine, "t", OWNER, True)
    folder, claims = _practice_folder(tmp_path / "files")
    onboarding.load_folder(engine, "t", folder, OWNER)
    named, joined, small = PCP_NPIS
    rows = [
        # The named clinician: 12 upcodes, 11 accepted and 1 open long ago; 1 downcode.
        *[(claims[named][i], "99214", "up", "accepted" if i < 11 else "open", named)
          for i in range(12)],
        (claims[named][12], "99212", "down", "rejected", named),
        # The pool: 3 upcodes accepted.
        *[(claims[joined][i], "99214", "up", "accepted", joined) for i in range(2)],
        (claims[small][0], "99214", "up", "accepted", small),
    ]  # fmt: skip
    stored = pd.DataFrame(
        {
            "org_id": "t",
            "claim_id": [r[0] for r in rows],
            "line_number": 1,
            "kind": "em_level",
            "original_code": "99213",
            "suggested_code": [r[1] for r in rows],
            "units": 1,
            "direction": [r[2] for r in rows],
            "support": "mdm_level=moderate",
            "is_compliant": True,
            "rule_id": "",
            "date_of_service": dt.date(2025, 6, 10),
            "rendering_npi": [r[4] for r in rows],
            "status": [r[3] for r in rows],
            "created_at": "2025-06-20T10:00:00.000000Z",
        }
    )
    with engine.begin() as conn:
        store.bulk_insert(conn, tables.suggestions, stored)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "PAGES", tuple(p for p in pages.PAGES if p.slug == "coding"))
        index = packets.write_packet(url, "t", tmp_path / "packet", as_of=PAGE_AS_OF, who=OWNER)
    text = (index.parent / "coding.html").read_text(encoding="utf-8")
    words = set(re.findall(r"[A-Za-z0-9]+", text))
    assert named in words and coding.OTHER_CLINICIANS in text
    assert joined not in words and small not in words  # 12 (taken into the pool) and 5
    assert not {w for w in words if w.startswith((CLAIM_PREFIX, PATIENT_PREFIX))}
    # Figures: 16 suggestions, 14 accepted; the named clinician's balance (1 to 12) and
    # acceptance (11 of 12); 99214 against 99213 at the Medicaid fees, 90.00 - 62.50 for
    # each of the 14 accepted upcodes: $385.00.
    assert "1 downcode to 12 upcodes" in text
    assert "11 of 12 decided accepted (91.7%)" in text
    assert "$385.00" in text
    assert coding.NO_SUGGESTIONS not in text
