"""Modifiers 25 and 59/X{EPSU} in both directions (issue 14), against the NCCI pairs of
the rules repository: the demo's sample PTP file imported and approved through the
repository on both backends (``ptp_pairs``, and the check no longer flagging a line once
its suggestion is taken), then table-driven cases on frames: pairs not in force on the
date, for another payer or product line, indicator 0, a modifier already there, another
date or patient, an E/M with 25 and no procedure, a major (090) procedure, and the facts
read as documented or not."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from payeropt_lib import config, store
from payeropt_lib.coding import modifiers
from payeropt_lib.rules import check, ncci, repository
from payeropt_lib.store import tables
from payeropt_lib.store.access import Identity

BEA = Identity("bea", "billing_manager")
OWEN = Identity("owen", "owner")
SAMPLE = config.DATA_DIR / "demo" / "ncci" / "ccipra-v323r0-f1-sample.txt"
DAY = "2026-03-02"
NCCI_LIST = ":".join(ncci.BYPASS_MODIFIERS)
# Global periods as CMS's PPRRVU (2025) prints them, with its component rows.
GLOBALS = pd.DataFrame(
    [
        ("20610", "", "000"), ("20611", "", "000"), ("20552", "", "000"),
        ("20553", "", "000"), ("20526", "", "000"), ("17110", "", "010"),
        ("27447", "", "090"), ("29880", "", "090"), ("29881", "", "090"),
        ("64721", "", "090"), ("36415", "", "XXX"), ("96372", "", "XXX"),
        ("90471", "", "XXX"), ("93000", "", "XXX"), ("73562", "", "XXX"),
        ("73562", "26", "XXX"), ("73562", "TC", "XXX"), ("99213", "", "XXX"),
        ("99214", "", "XXX"), ("99215", "", "XXX"),
    ],
    columns=["procedure_code", "modifier", "glob_days"],
)  # fmt: skip


def sample_pairs(payer_id: str = "MCR") -> pd.DataFrame:
    """The demo sample's pairs as ``ptp_pairs`` returns them once approved, read here from
    the rules ``ncci.ptp_rules`` makes of the file (their JSON parsed, row by row)."""
    rules = ncci.ptp_rules(ncci.read_ptp(SAMPLE), payer_id, "2026Q3")
    rows = []
    for rule_id, text in zip(rules["rule_id"], rules["definition"], strict=True):
        rule = json.loads(text)
        when = rule["when"]
        rows.append(
            {
                "payer_id": payer_id,
                "product_line": "",
                "column1": when["pair"]["column1"],
                "column2": when["pair"]["column2"],
                "bypassable": bool(when["bypass_modifiers"]),
                "bypass_modifiers": ":".join(when["bypass_modifiers"]),
                "effective_from": pd.Timestamp(rule["effective_from"]),
                "effective_to": pd.Timestamp(rule.get("effective_to") or pd.NaT),
                "rule_id": rule_id,
                "rule_version": 1,
            }
        )
    frame = pd.DataFrame(rows).astype({"effective_to": "datetime64[ns]"})
    return frame.sort_values(["rule_id", "rule_version"]).reset_index(drop=True)


def _pair(column1: str, column2: str, bypass: str, rule_id: str, payer: str = "ACME",
          product: str = "", start: str = "2024-01-01",
          end: str | None = None) -> dict:  # fmt: skip
    return {
        "payer_id": payer, "product_line": product, "column1": column1, "column2": column2,
        "bypassable": bypass != "", "bypass_modifiers": bypass,
        "effective_from": pd.Timestamp(start), "effective_to": pd.Timestamp(end or pd.NaT),
        "rule_id": rule_id, "rule_version": 1,
    }  # fmt: skip


# A payer's own pair rules beside NCCI's: ACME's PPO bundles 96372 into 20610 unless 59,
# XS or XU; ACME bundles 99213 into 17110 unless 25, 99214 into 20552 always, 73562 into
# 20610 unless XS, and 99211 into 96372 unless 25.
PAYER_PAIRS = pd.DataFrame(
    [
        _pair("20610", "96372", "59:XS:XU", "ACME-INJ-BUNDLE", product="PPO"),
        _pair("17110", "99213", "25", "ACME-17110-EM"),
        _pair("20552", "99214", "", "ACME-20552-EM"),
        _pair("20610", "73562", "XS", "ACME-20610-XRAY"),
        _pair("96372", "99211", "25", "ACME-96372-EM"),
    ]
).astype({"effective_to": "datetime64[ns]"})
PAIRS = pd.concat([sample_pairs(), PAYER_PAIRS], ignore_index=True)


def line(claim: str, number: int, code: str, mods: str = "", day: str = DAY,
         patient: str | None = None, payer: str = "MCR", product: str = "") -> dict:  # fmt: skip
    return {
        "claim_id": claim, "line_number": number, "patient_id": patient or "P" + claim,
        "date_of_service": pd.Timestamp(day), "procedure_code": code, "modifiers": mods,
        "rendering_npi": "1234567893", "payer_id": payer, "product_line": product,
    }  # fmt: skip


def suggest(lines: list[dict], findings: dict[str, str], pairs=PAIRS) -> list[tuple]:  # noqa: ANN001
    encounters = pd.DataFrame({"claim_id": list(findings), "encounter_type": "established"})
    encounters["documented_findings"] = list(findings.values())
    found = modifiers.modifier_suggestions(encounters, pd.DataFrame(lines), pairs, GLOBALS)
    assert found.columns.tolist() == modifiers.COLUMNS
    assert found["kind"].eq("modifier").all() and found["is_compliant"].all()
    assert found["units"].eq(1).all()
    return [
        (r.claim_id, r.line_number, r.original_code, r.suggested_code, r.direction, r.rule_id)
        for r in found.itertuples()
    ]


SEP_TRUE = "separate_procedure_documented=true"
SEP_FALSE = "separate_procedure_documented=false"

# name: (lines, findings by claim, expected (claim, line, original, suggested, direction,
# rule_id))
# fmt: off
CASES = {
    # --- modifier 25 ---------------------------------------------------------------------
    "25 added: E/M with a minor procedure, separately identifiable": (
        [line("A", 1, "99213"), line("A", 2, "20610")], {"A": SEP_TRUE},
        [("A", 1, "99213", "99213-25", "up", "")]),
    "25 added on a 010 procedure day, satisfying the payer's pair rule": (
        [line("A", 1, "99213", payer="ACME"), line("A", 2, "17110", payer="ACME")],
        {"A": SEP_TRUE}, [("A", 1, "99213", "99213-25", "up", "ACME-17110-EM")]),
    "25 not added where a pair rule nothing bypasses bundles the E/M": (
        [line("A", 1, "99214", payer="ACME"), line("A", 2, "20552", payer="ACME")],
        {"A": SEP_TRUE}, []),
    "25 not suggested when the documentation is silent": (
        [line("A", 1, "99213"), line("A", 2, "20610")], {"A": "laterality=left"}, []),
    "25 not suggested without an encounter": (
        [line("A", 1, "99213"), line("A", 2, "20610")], {}, []),
    "25 already there": (
        [line("A", 1, "99213", "25"), line("A", 2, "20610")], {"A": SEP_TRUE}, []),
    "25 removed: documented as not separately identifiable": (
        [line("A", 1, "99213", "25"), line("A", 2, "20610")], {"A": SEP_FALSE},
        [("A", 1, "99213-25", "99213", "down", "")]),
    "25 removed from an E/M with other modifiers, which stay": (
        [line("A", 1, "99213", "GT:25"), line("A", 2, "20610")], {"A": SEP_FALSE},
        [("A", 1, "99213-GT-25", "99213-GT", "down", "")]),
    "no 25 and documented false: nothing to remove": (
        [line("A", 1, "99213"), line("A", 2, "20610")], {"A": SEP_FALSE}, []),
    "25 with a major (090) procedure: 57's territory, no 25": (
        [line("A", 1, "99213"), line("A", 2, "29881")], {"A": SEP_TRUE}, []),
    "a major and a minor procedure the same day: still no 25": (
        [line("A", 1, "99213"), line("A", 2, "20610"), line("A", 3, "27447")],
        {"A": SEP_TRUE}, []),
    "E/M with 57 takes no 25": (
        [line("A", 1, "99213", "57"), line("A", 2, "20610")], {"A": SEP_TRUE}, []),
    "an XXX service alone is no minor procedure: no 25 added": (
        [line("A", 1, "99213"), line("A", 2, "36415")], {"A": SEP_TRUE}, []),
    "an XXX service a pair rule bundles the E/M into unless 25: 25 added": (
        [line("A", 1, "99211", payer="ACME"), line("A", 2, "96372", payer="ACME")],
        {"A": SEP_TRUE}, [("A", 1, "99211", "99211-25", "up", "ACME-96372-EM")]),
    "the procedure on another date of the claim: no 25": (
        [line("A", 1, "99213"), line("A", 2, "20610", day="2026-03-03")], {"A": SEP_TRUE},
        []),
    # The note says a separate E/M: a procedure may be missing from the claim. Nothing
    # documented supports removing the 25, so nothing is suggested.
    "E/M with 25 and no procedure that day, the note says separate: no suggestion": (
        [line("A", 1, "99213", "25"), line("A", 2, "99417")], {"A": SEP_TRUE}, []),
    "E/M with 25 and the patient's procedure on another claim that day: kept": (
        [line("A", 1, "99213", "25"), line("B", 1, "20610", patient="PA")], {"A": ""}, []),
    "E/M with 25 beside an XXX service: kept (25 may be needed)": (
        [line("A", 1, "99213", "25"), line("A", 2, "96372")], {"A": ""}, []),
    "E/M with 25, nothing else that day, no encounter: no suggestion": (
        [line("A", 1, "99213", "25")], {}, []),
    "E/M with four modifiers takes no fifth": (
        [line("A", 1, "99213", "GT:95:AI:Q5"), line("A", 2, "20610")], {"A": SEP_TRUE}, []),
    "25 removed where it bypassed a pair rule: the rule is named": (
        [line("A", 1, "99213", "25", payer="ACME"), line("A", 2, "17110", payer="ACME")],
        {"A": SEP_FALSE}, [("A", 1, "99213-25", "99213", "down", "ACME-17110-EM")]),
    # --- modifier 59 and X{EPSU} ---------------------------------------------------------
    "XS added on the column-2 line of an NCCI pair": (
        [line("A", 1, "20611"), line("A", 2, "20610")],
        {"A": "distinct_service=separate_structure"},
        [("A", 2, "20610", "20610-XS", "up", "NCCI-PTP-20611-20610")]),
    "59 added when distinct with no subset documented": (
        [line("A", 1, "96372"), line("A", 2, "90471")], {"A": "distinct_service=true"},
        [("A", 2, "90471", "90471-59", "up", "NCCI-PTP-96372-90471")]),
    "XE, XP, XU as documented": (
        [line("A", 1, "64721"), line("A", 2, "20526"), line("B", 1, "64721"),
         line("B", 2, "20526"), line("C", 1, "64721"), line("C", 2, "20526")],
        {"A": "distinct_service=separate_encounter",
         "B": "distinct_service=separate_practitioner",
         "C": "distinct_service=unusual_non_overlapping"},
        [("A", 2, "20526", "20526-XE", "up", "NCCI-PTP-64721-20526"),
         ("B", 2, "20526", "20526-XP", "up", "NCCI-PTP-64721-20526"),
         ("C", 2, "20526", "20526-XU", "up", "NCCI-PTP-64721-20526")]),
    "two pairs on one line: one suggestion, the first rule named": (
        [line("A", 1, "29881"), line("A", 2, "20610"), line("A", 3, "27447")],
        {"A": "distinct_service=separate_structure"},
        [("A", 2, "20610", "20610-XS", "up", "NCCI-PTP-27447-20610")]),
    "a pair deleted before the date of service is not in force": (
        [line("A", 1, "99215"), line("A", 2, "36415")], {"A": "distinct_service=true"}, []),
    "the same pair on a date it was in force": (
        [line("A", 1, "99215", day="2023-12-31"), line("A", 2, "36415", day="2023-12-31")],
        {"A": "distinct_service=true"},
        [("A", 2, "36415", "36415-59", "up", "NCCI-PTP-99215-36415")]),
    "a pair for another payer": (
        [line("A", 1, "20611", payer="ACME"), line("A", 2, "20610", payer="ACME")],
        {"A": "distinct_service=separate_structure"}, []),
    "a payer's pair for another product line": (
        [line("A", 1, "20610", payer="ACME", product="HMO"),
         line("A", 2, "96372", payer="ACME", product="HMO")],
        {"A": "distinct_service=separate_structure"}, []),
    "the payer's pair on its product line": (
        [line("A", 1, "20610", payer="ACME", product="PPO"),
         line("A", 2, "96372", payer="ACME", product="PPO")],
        {"A": "distinct_service=separate_structure"},
        [("A", 2, "96372", "96372-XS", "up", "ACME-INJ-BUNDLE")]),
    "an X its list lacks falls back to 59": (
        [line("A", 1, "20610", payer="ACME", product="PPO"),
         line("A", 2, "96372", payer="ACME", product="PPO")],
        {"A": "distinct_service=separate_encounter"},
        [("A", 2, "96372", "96372-59", "up", "ACME-INJ-BUNDLE")]),
    "neither the X nor 59 bypasses it: nothing": (
        [line("A", 1, "20610", payer="ACME"), line("A", 2, "73562", payer="ACME")],
        {"A": "distinct_service=separate_encounter"}, []),
    "indicator 0: no modifier helps, none suggested": (
        [line("A", 1, "29881"), line("A", 2, "29880")], {"A": "distinct_service=true"}, []),
    "already has 59": (
        [line("A", 1, "20611"), line("A", 2, "20610", "59")],
        {"A": "distinct_service=separate_structure"}, []),
    "already bypassed by an anatomic modifier": (
        [line("A", 1, "20611", "LT"), line("A", 2, "20610", "RT")],
        {"A": "distinct_service=separate_structure"}, []),
    "column 1 on another date": (
        [line("A", 1, "20611"), line("A", 2, "20610", day="2026-03-03")],
        {"A": "distinct_service=separate_structure"}, []),
    "column 1 billed for another patient": (
        [line("A", 1, "20611"), line("B", 1, "20610")],
        {"A": "distinct_service=separate_structure", "B": "distinct_service=separate_structure"},
        []),
    "column 1 alone, no column 2: nothing": (
        [line("A", 1, "20611")], {"A": "distinct_service=separate_structure"}, []),
    "silence: no 59": (
        [line("A", 1, "20611"), line("A", 2, "20610")], {"A": SEP_TRUE}, []),
    "no 59 on an E/M (25 is its modifier)": (
        [line("A", 1, "17110", payer="ACME"), line("A", 2, "99213", payer="ACME")],
        {"A": "distinct_service=true"}, []),
    "59 removed: documented as not distinct": (
        [line("A", 1, "20611"), line("A", 2, "20610", "59")], {"A": "distinct_service=false"},
        [("A", 2, "20610-59", "20610", "down", "NCCI-PTP-20611-20610")]),
    "every 59/X removed, other modifiers kept": (
        [line("A", 1, "20611"), line("A", 2, "20610", "RT:XS:59")],
        {"A": "distinct_service=false"},
        [("A", 2, "20610-RT-XS-59", "20610-RT", "down", "NCCI-PTP-20611-20610")]),
    "a 59 with no pair removed too, no rule named": (
        [line("A", 1, "97110", "59")], {"A": "distinct_service=false"},
        [("A", 1, "97110-59", "97110", "down", "")]),
    "documented false, no 59: nothing": (
        [line("A", 1, "20611"), line("A", 2, "20610")], {"A": "distinct_service=false"}, []),
    # --- the facts as documented ---------------------------------------------------------
    "facts read trimmed and in any case": (
        [line("A", 1, "20611"), line("A", 2, "20610")],
        {"A": " Distinct_Service = Separate_Structure ;laterality=left"},
        [("A", 2, "20610", "20610-XS", "up", "NCCI-PTP-20611-20610")]),
    "a fact documented twice, disagreeing: not documented": (
        [line("A", 1, "99213", "25"), line("A", 2, "20610")],
        {"A": f"{SEP_TRUE};{SEP_FALSE}"}, []),
    "an unknown value is not documented": (
        [line("A", 1, "20611"), line("A", 2, "20610")], {"A": "distinct_service=maybe"}, []),
    "both modifiers at once on one claim": (
        [line("A", 1, "99213"), line("A", 2, "20611"), line("A", 3, "20610")],
        {"A": f"{SEP_TRUE};distinct_service=separate_structure"},
        [("A", 1, "99213", "99213-25", "up", ""),
         ("A", 3, "20610", "20610-XS", "up", "NCCI-PTP-20611-20610")]),
}
# fmt: on


@pytest.mark.parametrize("name", list(CASES))
def test_modifier_cases(name: str) -> None:
    lines, findings, expected = CASES[name]
    assert suggest(lines, findings) == expected


def test_every_case_at_once_is_each_case_alone() -> None:
    lines, findings, expected = [], {}, []
    for i, (rows, facts, wanted) in enumerate(CASES.values()):
        rename = {c: f"{i}-{c}" for c in {r["claim_id"] for r in rows} | set(facts)}
        lines += [{**r, "claim_id": rename[r["claim_id"]],
                   "patient_id": f"{i}-{r['patient_id']}"} for r in rows]  # fmt: skip
        findings |= {rename[c]: f for c, f in facts.items()}
        expected += [(rename[w[0]], *w[1:]) for w in wanted]
    assert suggest(lines, findings) == sorted(expected, key=lambda w: (w[0], w[1], w[3]))


def test_the_support_names_the_fact_and_the_lines() -> None:
    encounters = pd.DataFrame(
        {"claim_id": ["A", "B", "C"], "encounter_type": "established",
         "documented_findings": [f"{SEP_TRUE};distinct_service=separate_structure", SEP_TRUE,
                                 SEP_TRUE]}
    )  # fmt: skip
    lines = pd.DataFrame(
        [line("A", 1, "99213"), line("A", 2, "20611"), line("A", 3, "20610"),
         line("B", 1, "99214", "25"), line("C", 1, "99211", payer="ACME"),
         line("C", 2, "96372", payer="ACME")]
    )  # fmt: skip
    found = modifiers.modifier_suggestions(encounters, lines, PAIRS, GLOBALS)
    assert found["support"].tolist() == [
        "separate_procedure_documented=true; 20611 global 000 same day",
        "distinct_service=separate_structure; 20610 billed with 20611 the same day",
        "separate_procedure_documented=true; 99211 billed with 96372 the same day",
    ]


def test_nothing_billed_or_nothing_documented_is_an_empty_frame() -> None:
    empty = modifiers.modifier_suggestions(
        pd.DataFrame({"claim_id": [], "documented_findings": []}),
        pd.DataFrame([line("A", 1, "99213")]).iloc[:0], PAIRS, GLOBALS,
    )  # fmt: skip
    assert empty.empty and empty.columns.tolist() == modifiers.COLUMNS
    none = suggest([line("A", 1, "99213"), line("A", 2, "20610")], {"A": ""}, PAIRS.iloc[:0])
    assert none == []


# --- through the rules repository, on both backends ------------------------------------


def _charges(lines: list[dict]) -> pd.DataFrame:
    """The lines as the store's charges read (``check.claim_findings`` takes them)."""
    frame = pd.DataFrame(lines).rename(columns={"payer_id": "primary_payer_id"})
    return frame.assign(
        line_control_number=None, units=1, charge_cents=10_000, secondary_payer_id=None,
        place_of_service="11", diagnosis_codes="M17.11", submitted_date=pd.NaT,
    )  # fmt: skip


def test_pairs_from_the_repository_and_the_check_agrees(
    engine, loaded: str, tmp_path: Path
) -> None:
    done = repository.import_ncci(engine, loaded, SAMPLE, "MCR", BEA, "2026Q3")
    repository.approve(engine, loaded, OWEN, import_id=done.import_id)
    own = [
        {"rule_id": r["rule_id"], "payer_id": "ACME", "category": "bundling",
         "effective_from": "2024-01-01", "applies_to": "claim_line",
         **({"product_line": r["product_line"]} if r["product_line"] else {}),
         "when": {"pair": {"column1": r["column1"], "column2": r["column2"]},
                  "bypass_modifiers": [m for m in r["bypass_modifiers"].split(":") if m]},
         "then": {"outcome": "flag", "message": "bundled"}}
        for r in PAYER_PAIRS.to_dict("records")
    ]  # fmt: skip
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(own), encoding="utf-8")
    mine = repository.import_rules(engine, loaded, [path], BEA)
    repository.approve(engine, loaded, OWEN, import_id=mine.import_id)
    # A definition written into the database by hand, in neither import's layout, is read
    # too (parsed); a rule still a draft is not a pair in force.
    r = tables.rules
    by_hand = {"bypass_modifiers": ["XS"], "pair": {"column2": "73562", "column1": "20610"}}
    with engine.begin() as conn:
        conn.execute(
            r.update()
            .where(r.c.org_id == loaded, r.c.rule_id == "ACME-20610-XRAY")
            .values(definition=json.dumps({**own[3], "when": by_hand}))
        )
    repository.import_rules(
        engine, loaded, [_file(tmp_path, "draft.json", {**own[0], "rule_id": "ACME-DRAFT"})],
        BEA,
    )  # fmt: skip

    pairs = repository.ptp_pairs(engine, loaded)
    assert pairs.columns.tolist() == repository.PAIR_COLUMNS
    expected = PAIRS.sort_values(["rule_id", "rule_version"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(pairs, expected, check_dtype=False)
    assert pairs["effective_from"].dtype == "datetime64[ns]"
    assert pairs["bypassable"].dtype == bool

    lines = [
        line("A", 1, "20611"), line("A", 2, "20610"),  # NCCI indicator 1
        line("B", 1, "29881"), line("B", 2, "29880"),  # indicator 0
        line("C", 1, "20610", payer="ACME", product="PPO"),
        line("C", 2, "96372", payer="ACME", product="PPO"),
        line("D", 1, "96372"), line("D", 2, "90471", "59"),  # already bypassed
    ]  # fmt: skip
    findings = {c: "distinct_service=separate_structure" for c in "ABCD"}
    found = suggest(lines, findings, pairs)
    assert found == [
        ("A", 2, "20610", "20610-XS", "up", "NCCI-PTP-20611-20610"),
        ("C", 2, "96372", "96372-XS", "up", "ACME-INJ-BUNDLE"),
    ]
    # The check flags those two lines for the rules named, and the indicator 0 pair; with
    # the suggestions taken, only the indicator 0 pair is left.
    contracts = store.read_frame(engine, tables.contracts, loaded)
    rules = store.read_frame(engine, tables.rules, loaded)
    as_of = dt.date(2026, 12, 6)
    flagged, _ = check.claim_findings(_charges(lines), contracts, rules, as_of)
    pairs_found = flagged[flagged["rule_id"].isin(pairs["rule_id"])]
    assert pairs_found[["claim_id", "line_number", "rule_id"]].values.tolist() == [
        ["A", 2, "NCCI-PTP-20611-20610"], ["B", 2, "NCCI-PTP-29881-29880"],
        ["C", 2, "ACME-INJ-BUNDLE"],
    ]  # fmt: skip
    taken = [dict(x) for x in lines]
    for claim, number, _, suggested, _, _ in found:
        at = next(x for x in taken if (x["claim_id"], x["line_number"]) == (claim, number))
        at["modifiers"] = ":".join(suggested.split("-")[1:])
    after, _ = check.claim_findings(_charges(taken), contracts, rules, as_of)
    after = after[after["rule_id"].isin(pairs["rule_id"])]
    assert after[["claim_id", "rule_id"]].values.tolist() == [["B", "NCCI-PTP-29881-29880"]]
    with engine.connect() as conn:  # the draft was stored, and left out
        drafts = conn.execute(
            sa.select(sa.func.count()).where(r.c.org_id == loaded, r.c.state == "draft")
        ).scalar_one()
    assert drafts == 1


def _file(folder: Path, name: str, rule: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(rule), encoding="utf-8")
    return path


def test_the_practices_global_period_wins_over_the_librarys() -> None:
    """``global_days``: the practice's own row (010) beats a row CMS's fee library filled
    in for another locality (XXX, ``source`` set); the library's latest release gives
    the codes the practice's file lacks."""
    rows = pd.DataFrame(
        {
            "procedure_code": ["99213", "99213"], "modifier": "",
            "effective_from": pd.to_datetime(["2025-01-01", "2025-10-01"]),
            "glob_days": ["010", "XXX"], "source": [None, "CMS PFS 2025D"],
        }
    )  # fmt: skip
    cms = pd.DataFrame({"procedure_code": ["99213", "20610"], "modifier": "",
                        "glob_days": ["XXX", "000"]})  # fmt: skip
    found = modifiers.global_days(rows, cms).set_index("procedure_code")["glob_days"]
    assert found.to_dict() == {"99213": "010", "20610": "000"}
