"""Table 1 (Medicare's top codes against the published fee) and Table 2 (who paid the
Medicare population) for a month of service.

Every Medicare-primary charge line of the month is priced at Medicare's own terms
(``medicare_terms``: 100 % of the fee schedule for the practice's locality, the lesser of
charge and fee, Medicare's multiple-procedure and other reductions), by the engine posting
uses (``pricing.expected``), so "perfect resolution" is what Medicare's rules allow: count
x published fee, less the reductions the rules make. What was paid comes from the ledger
(``ledger.claim_ledger``) and the primary's 835 lines: Medicare's payment per line, and the
claim's secondary and patient cash spread over its lines in proportion to the patient
responsibility each line carried (docs/reconciliation.md). Sequestration (CO-253) is shown
apart: a reduction by law, part of the slippage but not the practice's to collect.
Pure functions; no store, no clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from payeropt_lib.frames import member_of
from payeropt_lib.money import percent_x1000
from payeropt_lib.pricing.expected import engine_lines, expected_allowed

from .receivables import month_of

TOP = 20
SURGICAL = "surgical"  # lines of claims where a multiple-procedure reduction applied
OTHER_SERVICES = "services"
ALL_OTHER_CODES = "All other codes"

# What each input needs.
CHARGE_COLUMNS = [
    "claim_id", "line_number", "date_of_service", "procedure_code", "modifiers", "units",
    "charge_cents", "primary_payer_id", "product_line", "place_of_service",
]  # fmt: skip
REMIT_LINE_COLUMNS = [
    "remit_id", "claim_seq", "claim_id", "line_number", "paid_cents", "patient_resp_cents",
    "sequestration_cents",
]  # fmt: skip

PRICED_COLUMNS = [
    "claim_id", "line_number", "procedure_code", "pricing_modifier", "site", "units",
    "fee_cents", "perfect_cents", "mppr_applied", "payer_paid_cents", "other_paid_cents",
    "sequestration_cents", "service_month",
]  # fmt: skip
TABLE1_COLUMNS = [
    "section", "procedure_code", "modifier", "site", "services", "lines", "unpriced_lines",
    "fee_cents",
    "payer_paid_cents", "patient_paid_cents", "actual_cents", "perfect_cents",
    "sequestration_cents", "slippage_cents", "visits", "visits_perfect",
]  # fmt: skip


def medicare_terms(payer_ids: list[str], locality: str) -> pd.DataFrame:
    """Medicare's own terms as contract rows the engine reads: 100 % of the fee schedule
    for ``locality``, lesser of charge, 50 % multiple-procedure reduction and Medicare's
    other reductions, for each of ``payer_ids``, from any date."""
    n = len(payer_ids)
    return pd.DataFrame(
        {
            "payer_id": list(payer_ids),
            "product_line": [""] * n,
            "effective_from": pd.Series([pd.Timestamp("1900-01-01")] * n, dtype="datetime64[ns]"),
            "basis": ["medicare_percent"] * n,
            "medicare_percent_x1000": pd.Series([100_000] * n, dtype="Int64"),
            "medicare_locality": [locality] * n,
            "lesser_of_charges": [True] * n,
            "mppr_percent_x1000": pd.Series([50_000] * n, dtype="int64"),
            "payment_rules": ["medicare"] * n,
        }
    )


def priced_lines(
    charges: pd.DataFrame,
    ledger: pd.DataFrame,
    remit_lines: pd.DataFrame,
    remitted: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    medicare_payers: set[str] | frozenset[str],
    locality: str,
    month: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The month's Medicare-primary charge lines (``PRICED_COLUMNS``; every month's when
    ``month`` is None: one pricing for a year of pages), priced at Medicare's terms, with
    what was paid on each.

    ``charges``: ``CHARGE_COLUMNS``; ``ledger``: ``ledger.claim_ledger``; ``remit_lines``:
    the 835 lines (``REMIT_LINE_COLUMNS``); ``remitted``: ``ledger.remitted_claims``;
    ``medicare_fees``: the practice's Medicare amounts completed from the CMS library
    (``rates_cache.medicare_fees``).
    fee_cents (Int64, per unit; NA: no fee on file), perfect_cents (Int64, Medicare's
    allowed for the line), payer_paid_cents (the primary's 835 payments on the line),
    other_paid_cents (the claim's secondary and patient cash, spread over its lines),
    sequestration_cents; site 'facility' / 'non_facility'; service_month (the claim's).
    """
    claims = ledger if month is None else month_of(ledger, month)
    claims = claims[member_of(claims["primary_payer_id"], medicare_payers)]
    lines = charges[member_of(charges["claim_id"], claims["claim_id"])].reset_index(drop=True)
    priced = expected_allowed(
        engine_lines(lines, lines["claim_id"], payer="primary_payer_id"),
        medicare_terms(sorted(medicare_payers), locality),
        _no_fees(),
        medicare_fees,
        explain=False,
        columns=["pricing_modifier", "site", "rate_cents", "expected_cents", "mppr_applied"],
    )
    paid = _primary_paid(lines, remit_lines, remitted)
    out = pd.DataFrame(
        {
            "claim_id": lines["claim_id"],
            "line_number": lines["line_number"].astype("int64"),
            "procedure_code": lines["procedure_code"],
            "pricing_modifier": priced["pricing_modifier"].astype("str"),
            "site": priced["site"].astype("str"),
            "units": lines["units"].astype("int64"),
            "fee_cents": priced["rate_cents"].astype("Int64"),
            "perfect_cents": priced["expected_cents"].astype("Int64"),
            "mppr_applied": priced["mppr_applied"].to_numpy(),
            "payer_paid_cents": paid["paid_cents"].to_numpy(),
            "sequestration_cents": paid["sequestration_cents"].to_numpy(),
        }
    )
    others = claims.set_index("claim_id")[["secondary_cash_cents", "patient_cash_cents"]].sum(
        axis=1
    )
    weight = paid["patient_resp_cents"].where(
        paid.groupby(lines["claim_id"])["patient_resp_cents"].transform("sum").gt(0),
        out["perfect_cents"].fillna(0).astype("int64"),
    )
    out["other_paid_cents"] = spread(
        others.reindex(out["claim_id"]).to_numpy(), weight.to_numpy(), out["claim_id"]
    )
    out["service_month"] = (
        claims.set_index("claim_id")["service_month"].reindex(out["claim_id"]).to_numpy()
    )
    return out[PRICED_COLUMNS]


def top_codes(priced: pd.DataFrame) -> pd.DataFrame:
    """Table 1 (``TABLE1_COLUMNS``) from ``priced_lines``: per section (``services``, then
    ``surgical``: claims where a multiple-procedure reduction applied), the 20 codes billed
    most often (lines; ties by units, then perfect resolution), then the rest as one row,
    then the section's total.

    fee_cents is the per-unit fee most of the code's lines were priced at (a month can
    straddle a change of fee); perfect_cents the exact sum over lines with a fee
    (unpriced_lines have none: NA when no line has one); actual = Medicare's payments + the
    patient's and secondary payers'; slippage = perfect - actual over the priced lines;
    visits_perfect counts the code's visits whose cash and sequestration equal their
    perfect resolution to the cent.
    """
    p = priced.copy()
    # Group on integers and categories, not Arrow text: a year of pages groups often.
    p["claim_id"] = pd.factorize(p["claim_id"])[0]
    for key in ("procedure_code", "pricing_modifier", "site"):
        p[key] = p[key].astype("str").astype("category")
    p["priced"] = p["perfect_cents"].notna()
    p["perfect_cents"] = p["perfect_cents"].fillna(0).astype("int64")
    surgical = p.groupby("claim_id")["mppr_applied"].transform("any")
    p["section"] = np.where(surgical, SURGICAL, OTHER_SERVICES)
    claim_cash = p.groupby("claim_id")[
        ["payer_paid_cents", "other_paid_cents", "sequestration_cents", "perfect_cents"]
    ].transform("sum")
    p["visit_perfect"] = (
        claim_cash["payer_paid_cents"]
        + claim_cash["other_paid_cents"]
        + claim_cash["sequestration_cents"]
    ).eq(claim_cash["perfect_cents"]) & p.groupby("claim_id")["priced"].transform("all")
    # fmt: skip
    parts = [_section(p[p["section"].eq(s)], s) for s in (OTHER_SERVICES, SURGICAL)]
    return pd.concat(parts, ignore_index=True)[TABLE1_COLUMNS]


def who_paid(
    ledger: pd.DataFrame,
    priced: pd.DataFrame,
    secondary: pd.DataFrame,
    medicare_payers: set[str] | frozenset[str],
    month: pd.Timestamp,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Table 2 for the month's Medicare-primary visits: cash by payer and the figures.

    ``secondary``: ``ledger.secondary_cash`` (claim_id, payer_id, cash_cents). Returns rows
    (payer_id: a Medicare payer id, each secondary payer id, or '' for the patient; kind
    'medicare' / 'secondary' / 'patient'; cash_cents; share_percent_x1000) and figures:
    visits, cash_cents, perfect_cents, bad_debt_cents, medicare_share_percent_x1000
    (Medicare's proportion of income), liquidation_percent_x1000 (cash / perfect) and
    simulation_percent_x1000 ((cash + bad debt) / perfect).
    """
    claims = month_of(ledger, month)
    claims = claims[member_of(claims["primary_payer_id"], medicare_payers)]
    medicare = claims.groupby("primary_payer_id")["payer_cash_cents"].sum()
    sec = secondary[member_of(secondary["claim_id"], claims["claim_id"])]
    by_secondary = sec.groupby("payer_id")["cash_cents"].sum()
    rows = pd.concat(
        [
            pd.DataFrame({"payer_id": medicare.index, "kind": "medicare",
                          "cash_cents": medicare.to_numpy()}),
            pd.DataFrame({"payer_id": by_secondary.index, "kind": "secondary",
                          "cash_cents": by_secondary.to_numpy()}),
            pd.DataFrame({"payer_id": [""], "kind": ["patient"],
                          "cash_cents": [int(claims["patient_cash_cents"].sum())]}),
        ],
        ignore_index=True,
    ).astype({"cash_cents": "int64"})  # fmt: skip
    cash = int(rows["cash_cents"].sum())
    rows["share_percent_x1000"] = percent_x1000(rows["cash_cents"], cash)
    perfect = int(priced["perfect_cents"].fillna(0).sum())
    bad_debt = int(claims["bad_debt_cents"].sum())
    figures: dict[str, object] = {
        "visits": len(claims),
        "cash_cents": cash,
        "perfect_cents": perfect,
        "bad_debt_cents": bad_debt,
        "medicare_share_percent_x1000": _one(int(medicare.sum()), cash),
        "liquidation_percent_x1000": _one(cash, perfect),
        "simulation_percent_x1000": _one(cash + bad_debt, perfect),
    }
    return rows, figures


def spread(total: np.ndarray, weight: np.ndarray, claim: pd.Series) -> np.ndarray:
    """Each claim's ``total`` cents (repeated on each of its lines) spread over its lines in
    proportion to ``weight`` (equal shares where a claim's weights are all 0), to the cent:
    the largest remainders get the leftover cents, so the lines add up to the total."""
    total = np.asarray(total, dtype=np.int64)
    w = np.maximum(np.asarray(weight, dtype=np.int64), 0)
    codes, _ = pd.factorize(claim)
    w_sum = pd.Series(w).groupby(codes).transform("sum").to_numpy()
    w = np.where(w_sum == 0, 1, w)
    w_sum = np.where(w_sum == 0, np.bincount(codes)[codes], w_sum)
    sign = np.where(total < 0, -1, 1)
    scaled = np.abs(total) * w
    base = scaled // w_sum
    frac = scaled % w_sum
    short = np.abs(total) - pd.Series(base).groupby(codes).transform("sum").to_numpy()
    order = pd.DataFrame({"c": codes, "f": -frac, "i": np.arange(len(codes))})
    rank = order.sort_values(["c", "f", "i"]).groupby("c").cumcount()
    extra = (rank.sort_index().to_numpy() < short).astype(np.int64)
    return sign * (base + extra)


# Table 1's summed columns: name -> the column of the priced lines it sums.
SUMMED = {
    "services": "units",
    "payer_paid_cents": "payer_paid_cents",
    "patient_paid_cents": "other_paid_cents",
    "actual_cents": "actual",
    "perfect_cents": "perfect_cents",
    "priced_actual_cents": "priced_actual",
    "unpriced_lines": "unpriced",
    "sequestration_cents": "sequestration_cents",
}


def _section(p: pd.DataFrame, name: str) -> pd.DataFrame:
    """One section of Table 1: the top codes by services, the rest, the total."""
    key = ["procedure_code", "pricing_modifier", "site"]
    actual = p["payer_paid_cents"] + p["other_paid_cents"]
    p = p.assign(actual=actual, priced_actual=actual.where(p["priced"], 0),
                 unpriced=~p["priced"])  # fmt: skip
    fee_mode = (
        p.dropna(subset=["fee_cents"])
        .groupby([*key, "fee_cents"], sort=False, observed=True)
        .size()
        .reset_index(name="n")
        .sort_values([*key, "n", "fee_cents"], ascending=[True, True, True, False, False])
        .drop_duplicates(key)
        .set_index(key)["fee_cents"]
    )

    def sums(frame: pd.DataFrame, by: list[str] | None) -> pd.DataFrame:
        # A visit resolved perfectly counts by its claim key; the others by none (NA).
        perfect_claim = frame["claim_id"].where(frame["visit_perfect"])
        if not by:  # one row: plain sums (a groupby costs more than they do)
            return pd.DataFrame(
                {
                    **{name: [frame[column].sum()] for name, column in SUMMED.items()},
                    "lines": [len(frame)],
                    "visits": [frame["claim_id"].nunique()],
                    "visits_perfect": [perfect_claim.nunique()],
                }
            )
        g = frame.assign(perfect_claim=perfect_claim).groupby(by, sort=False, observed=True)
        out = g.agg(
            lines=("units", "size"),
            **{name: (column, "sum") for name, column in SUMMED.items()},
            visits=("claim_id", "nunique"),
            visits_perfect=("perfect_claim", "nunique"),
        )
        return out.reset_index()

    # Volume is how often a code was billed (lines), not its units: a drug billed in
    # units of 1 mg would otherwise outrank every visit.
    per_code = sums(p, key).sort_values(
        ["lines", "services", "perfect_cents", *key],
        ascending=[False, False, False, True, True, True],
    )
    top = per_code.head(TOP)
    fees = fee_mode.reset_index().astype({k: "str" for k in key})
    top = top.astype({k: "str" for k in key}).merge(fees, on=key, how="left")
    rest_codes = per_code.iloc[TOP:][key]
    rest = p.merge(rest_codes, on=key, how="inner")
    rows = [top.rename(columns={"pricing_modifier": "modifier"})]
    if len(rest):
        rows.append(sums(rest, None).assign(procedure_code=ALL_OTHER_CODES, modifier="", site=""))
    rows.append(sums(p, None).assign(procedure_code="Total", modifier="", site=""))
    rows[0] = rows[0].astype({"procedure_code": "str", "modifier": "str", "site": "str"})
    table = pd.concat(rows, ignore_index=True).assign(section=name)
    table["fee_cents"] = table.get("fee_cents", pd.Series(dtype="Int64")).astype("Int64")
    ints = ["services", "lines", "unpriced_lines", "payer_paid_cents", "patient_paid_cents",
            "actual_cents", "sequestration_cents", "visits", "visits_perfect"]  # fmt: skip
    table = table.astype({c: "int64" for c in ints})
    # Perfect resolution and slippage over the lines with a published fee only: a drug
    # Medicare prices from ASP has none here, and its payments are not slippage.
    none = table["unpriced_lines"].eq(table["lines"])
    perfect = table["perfect_cents"].astype("Int64").mask(none)
    table["slippage_cents"] = (perfect - table["priced_actual_cents"]).astype("Int64")
    table["perfect_cents"] = perfect
    return table


def _primary_paid(
    lines: pd.DataFrame, remit_lines: pd.DataFrame, remitted: pd.DataFrame
) -> pd.DataFrame:
    """Per charge line (same order): paid, patient responsibility and sequestration cents
    on the primary payer's 835 lines that count (``ledger.remitted_claims``)."""
    primary = remitted.loc[remitted["primary"], ["remit_id", "claim_seq"]]
    rl = remit_lines.merge(primary, on=["remit_id", "claim_seq"])
    rl = rl[rl["line_number"].notna()].astype({"line_number": "int64"})
    per = rl.groupby(["claim_id", "line_number"])[
        ["paid_cents", "patient_resp_cents", "sequestration_cents"]
    ].sum()
    key = pd.MultiIndex.from_arrays([lines["claim_id"], lines["line_number"].astype("int64")])
    return per.reindex(key).fillna(0).astype("int64").reset_index(drop=True)


def _no_fees() -> pd.DataFrame:
    """An empty fee schedule frame: Medicare's terms price from the Medicare amounts only."""
    return pd.DataFrame(
        {
            "payer_id": pd.Series(dtype="str"),
            "product_line": pd.Series(dtype="str"),
            "procedure_code": pd.Series(dtype="str"),
            "modifier": pd.Series(dtype="str"),
            "effective_from": pd.Series(dtype="datetime64[ns]"),
            "effective_to": pd.Series(dtype="datetime64[ns]"),
            "allowed_cents": pd.Series(dtype="int64"),
        }
    )


def _one(numerator: int, denominator: int) -> int | None:
    value = percent_x1000(np.array([numerator]), np.array([denominator])).iloc[0]
    return None if pd.isna(value) else int(value)
