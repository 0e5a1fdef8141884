"""Check 1,000,000 claim lines against 50 active rules plus 100,000 NCCI pairs; print
seconds and peak RSS (target, issue 13: <= 10 s and <= 2 GiB).

    .venv/bin/python benchmarks/rules.py [--lines N] [--pairs N] [--seed S]

The lines are synthetic (a practice of ~330,000 claims over two years, 2,000 codes, the
common modifiers and diagnoses); the 50 rules cover every category, condition and
operator (counts per claim, day and patient window, sums of units, nested pairs, MUE
shapes); the pairs come from a PTP frame in the published columns through
``ncci.ptp_rules``, as ``payeropt import ncci`` makes them. The figure is the whole
``check.claim_findings``: fields, the guardrails per rule shape, every rule, the report
frame. Set-up (generation) is not timed.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd

from payeropt_lib.rules import check, ncci

AS_OF = pd.Timestamp("2026-12-06")


def lines(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Charges as ``store.read_frame`` gives them, and the contracts they name."""
    codes = np.array([f"{c:05d}" for c in rng.choice(np.arange(10000, 99999), 2000, False)])
    codes[:6] = ["99213", "99214", "20610", "97110", "73562", "J1100"]
    weights = 1 / np.arange(1, len(codes) + 1)  # a few codes are most lines, as in practice
    claims = n // 3
    claim = np.sort(rng.integers(0, claims, n))
    days = pd.Timestamp("2024-12-01") + pd.to_timedelta(rng.integers(0, 730, claims), "D")
    payers = np.array(["MCR", "MCD", "ACME", "BLUE", "MA1"])
    mods = np.array(["", "", "", "", "25", "59", "RT", "LT", "26", "XS", "25:59"])
    dx = np.array(["M17.11", "M17.12;I10", "E11.9", "I10", "Z23;J06.9", "M54.16"])
    frame = pd.DataFrame(
        {
            "claim_id": pd.Series(claim).map("C{:08d}".format),
            "line_number": pd.Series(claim).groupby(claim).cumcount().to_numpy() + 1,
            "line_control_number": None,
            "patient_id": pd.Series(claim % (claims // 4)).map("P{:07d}".format),
            "date_of_service": days[claim],
            "procedure_code": rng.choice(codes, n, p=weights / weights.sum()),
            "modifiers": rng.choice(mods, n),
            "units": rng.integers(1, 5, n),
            "charge_cents": rng.integers(20, 900, n) * 100,
            "primary_payer_id": payers[claim % len(payers)],
            "product_line": np.where(claim % 7 == 0, "HMO", ""),
            "secondary_payer_id": None,
            "place_of_service": rng.choice(np.array(["11", "22", "19"]), n),
            "rendering_npi": "1234567893",
            "diagnosis_codes": rng.choice(dx, n),
            "submitted_date": pd.Series(days[claim]).where(claim % 3 > 0)
            + pd.to_timedelta(rng.integers(0, 120, n), "D"),
        }
    )
    contracts = pd.DataFrame(
        {
            "payer_id": payers,
            "product_line": "",
            "payer_class": [
                "MEDICARE",
                "MEDICAID",
                "COMMERCIAL",
                "COMMERCIAL",
                "MEDICARE_ADVANTAGE",
            ],  # fmt: skip
            "effective_from": pd.Timestamp("2015-01-01"),
        }
    )
    return frame, contracts, codes


def fifty_rules() -> list[dict]:
    """Fifty rules: ten shapes, five payers or periods each."""
    shapes = [
        ("prior_auth", {"field": "procedure_code", "op": "prefix", "value": ["7", "J1"]}),
        ("timely_filing", {"field": "days_to_filing", "op": "gt", "value": 90}),
        ("modifier_requirement", {"all": [
            {"field": "procedure_code", "op": "in", "value": ["99213", "99214"]},
            {"count": {"field": "procedure_code", "op": "eq", "value": "20610"},
             "per": "claim", "op": "ge", "value": 1},
            {"field": "modifiers", "op": "lacks", "value": "25"}]}),
        ("frequency_limit", {"all": [
            {"field": "procedure_code", "op": "eq", "value": "20610"},
            {"count": {"field": "procedure_code", "op": "eq", "value": "20610"},
             "per": "patient", "within_days": 90, "op": "gt", "value": 3}]}),
        ("frequency_limit", {"count": {"field": "procedure_code", "op": "eq", "value": "97110"},
                             "per": "day", "sum": "units", "op": "gt", "value": 8}),
        ("documentation_threshold", {"any": [
            {"field": "charge_amount", "op": "ge", "value": 800},
            {"field": "units", "op": "between", "value": [4, 6]}]}),
        ("coding_policy", {"all": [
            {"field": "diagnosis_codes", "op": "prefix", "value": ["M17"]},
            {"not": {"field": "modifiers", "op": "has", "value": ["RT", "LT"]}},
            {"field": "procedure_code", "op": "eq", "value": "20610"}]}),
        ("bundling", {"all": [
            {"pair": {"column1": "20610", "column2": "73562"}, "bypass_modifiers": ["59"]},
            {"field": "place_of_service", "op": "ne", "value": "22"}]}),
        ("referral", {"all": [
            {"field": "payer_class", "op": "eq", "value": "MEDICARE_ADVANTAGE"},
            {"field": "procedure_code", "op": "between", "value": ["99202", "99205"]}]}),
        ("coding_policy", {"all": [
            {"field": "procedure_code", "op": "eq", "value": "J1100"},
            {"field": "units", "op": "gt", "value": 3}]}),
    ]  # fmt: skip
    rules = []
    for s, (category, when) in enumerate(shapes):
        for v, payer in enumerate(["*", "MCR", "ACME", "BLUE", "MA1"]):
            rules.append(
                {
                    "rule_id": f"BENCH-{s}-{v}", "rule_version": 1, "payer_id": payer,
                    "product_line": "", "category": category, "applies_to": "claim_line",
                    "audience": "staff",
                    "effective_from": pd.Timestamp(f"{2024 + v % 2}-01-01"),
                    "effective_to": pd.NaT,
                    "definition": json.dumps(
                        {"rule_id": f"BENCH-{s}-{v}", "payer_id": payer, "category": category,
                         "effective_from": f"{2024 + v % 2}-01-01", "applies_to": "claim_line",
                         "when": when, "then": {"outcome": "flag", "message": category}}
                    ),
                }
            )  # fmt: skip
    return rules


def pairs(count: int, codes: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """``count`` PTP pairs among the lines' codes and codes no line bills."""
    universe = np.concatenate([codes, [f"{c:05d}" for c in range(10000, 20000)]])
    first = rng.choice(universe, count * 2)
    second = rng.choice(universe, count * 2)
    frame = pd.DataFrame({"column1": first, "column2": second})
    frame = frame[frame["column1"] != frame["column2"]].drop_duplicates().head(count)
    frame["effective_from"] = pd.Timestamp("2010-01-01")
    frame["effective_to"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    frame["indicator"] = rng.choice(np.array(["0", "1"]), len(frame))
    frame["rationale"] = "Standards of medical / surgical practice"
    frame["line"] = np.arange(len(frame))
    return frame.reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    charges, contracts, codes = lines(args.lines, rng)
    ptp = ncci.ptp_rules(pairs(args.pairs, codes, rng), "*", "2026Q4")
    bench = pd.DataFrame(fifty_rules())
    ncci_rules = ptp.assign(
        rule_version=1, product_line="", applies_to="claim_line", audience="staff",
        effective_from=pd.to_datetime(ptp["effective_from"]),
        effective_to=pd.to_datetime(ptp["effective_to"].replace("", None)),
    )  # fmt: skip
    rules = pd.concat([bench, ncci_rules[bench.columns]], ignore_index=True).assign(
        state="approved"
    )
    start = time.perf_counter()
    found, refused = check.claim_findings(charges, contracts, rules, AS_OF.date())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert not refused
    by = found.groupby("category").size().to_dict()
    print(f"lines {len(charges):,}  rules {len(rules):,} (50 + {len(ptp):,} NCCI pairs)")
    print(f"findings {len(found):,}: {by}")
    print(f"check.claim_findings: {seconds:.2f} s  peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
