"""The practice's other records of its claims: postings, encounter notes, appointments.

``transactions_frame`` writes what the PM system posted besides the 835s (patient
payments, secondary payments, write-offs, refunds), ``encounters_frame`` what the notes of
the office E/M visits document, and ``appointments_frame`` the visits booked in the 60
days after DEMO_AS_OF. All drawn from the seed, after the claims.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from payeropt_lib.formats import decimal_texts
from payeropt_lib.reference.place_of_service import FACILITY_POS

from .claims import Population, choice, int_strings, join_nonempty
from .contracts import CONTRACTS, EM_EST, EM_NEW, MGAP, TXMCD, Rates
from .dates import DEMO_AS_OF, HOLIDAYS, business_days, date_strings

# --------------------------------------------------------------------------- postings


def _after(dos: np.ndarray, low: int, high: np.ndarray | int, rng) -> np.ndarray:
    """A business day ``low``..``high`` business days after each date of service."""
    days = rng.integers(low, np.asarray(high) + 1, len(dos))
    return np.busday_offset(dos, days, roll="forward", holidays=HOLIDAYS)


def transactions_frame(
    rng: np.random.Generator, rates: Rates, c: dict[str, np.ndarray], ln: dict[str, np.ndarray]
) -> pd.DataFrame:
    """transactions.csv rows: what the PM system posted besides the 835s (all strings)."""
    n = len(c["claim_id"])
    claim, cid, units = ln["claim"], ln["cid"], ln["units"]
    dos_line = c["dos"][claim]
    unit = np.where(dos_line >= np.datetime64("2026-01-01"), rates.charge_2026[cid],
                    rates.charge_2025[cid])  # fmt: skip
    charge = unit * units
    facility = np.isin(c["pos"][claim], sorted(FACILITY_POS))
    medicare = np.where(facility, rates.medicare_f_2025[cid], rates.medicare_nf_2025[cid])
    medicare = np.where(medicare < 0, charge // 5, medicare * units)  # drugs: a fifth of charge
    permille = np.array([x.allowed_permille for x in CONTRACTS])[c["contract"][claim]]
    allowed_line = (medicare * permille + 500) // 1000
    starts = np.flatnonzero(np.r_[True, claim[1:] != claim[:-1]])
    first_claim = claim[starts]  # lines are sorted by claim and every claim has lines
    charge_total = np.zeros(n, np.int64)
    allowed = np.zeros(n, np.int64)
    charge_total[first_claim] = np.add.reduceat(charge, starts)
    allowed[first_claim] = np.minimum(np.add.reduceat(allowed_line, starts),
                                      charge_total[first_claim])  # fmt: skip

    contract, secondary, dos = c["contract"], c["secondary"], c["dos"]
    kind = np.array([x.patient_share_kind for x in CONTRACTS])[contract]
    copay = choice(rng, np.array([2000, 2500, 3000, 4000]), [0.3, 0.3, 0.25, 0.15], n)
    patient_due = np.where(kind == "coinsurance", (allowed * 20 + 50) // 100, 0)
    patient_due = np.where(kind == "copay", np.minimum(copay, allowed), patient_due)
    patient_due = np.where(secondary >= 0, 0, patient_due)  # the supplement pays it
    payer_ids = np.array([x.payer_id for x in CONTRACTS], dtype=object)
    timely = np.array([int(x.timely_filing_days) for x in CONTRACTS])[contract]

    out: list[pd.DataFrame] = []

    def post(mask, kind_name, amount, posted, payer="", reason="", line=""):
        mask = np.asarray(mask, bool)
        if not mask.any():
            return
        take = np.flatnonzero(mask)
        out.append(
            pd.DataFrame(
                {
                    "claim": take,
                    "line_number": np.broadcast_to(np.asarray(line, dtype=object), n)[take],
                    "posted": np.asarray(posted)[take],
                    "type": kind_name,
                    "amount": np.asarray(amount)[take],
                    "payer_id": np.broadcast_to(np.asarray(payer, dtype=object), n)[take],
                    "reason": np.broadcast_to(np.asarray(reason, dtype=object), n)[take],
                }
            )
        )

    u = rng.random((8, n))
    pays = (patient_due > 0) & (u[0] < 0.75)
    bad_debt = (patient_due > 0) & ~pays & (u[1] < 0.3)
    partial = u[2] < 0.15
    paid = np.where(partial, patient_due // 2, patient_due)
    when = np.where(kind == "copay", _after(dos, 1, 3, rng), _after(dos, 25, 70, rng))
    post(pays, "patient_payment", paid, when)
    post(bad_debt, "bad_debt", patient_due, _after(dos, 120, 180, rng),
         reason="sent to collections")  # fmt: skip

    supplement = (secondary == MGAP) & (u[3] < 0.92)
    coinsurance = (allowed * 20 + 50) // 100
    post(supplement, "secondary_payment", coinsurance, _after(dos, 20, 50, rng), payer="MGAP")
    dual = (secondary == TXMCD) & (u[3] < 0.85)
    medicaid_pays = (coinsurance * 40 + 50) // 100  # Medicaid pays up to its own rate
    dual_date = _after(dos, 25, 60, rng)
    post(dual & (medicaid_pays > 0), "secondary_payment", medicaid_pays, dual_date,
         payer="TXMCD")  # fmt: skip
    post(dual & (coinsurance > medicaid_pays), "contractual", coinsurance - medicaid_pays,
         dual_date, payer="TXMCD", reason="CARC 45 Medicaid crossover")  # fmt: skip

    paper = (secondary < 0) & (u[4] < 0.02)  # paper EOBs keyed by hand
    post(paper & (charge_total > allowed), "contractual", charge_total - allowed,
         _after(dos, 15, 45, rng), payer=payer_ids[contract], reason="CARC 45",
         line=np.where(rng.random(n) < 0.3, "1", ""))  # fmt: skip

    late = u[5] < 0.012
    no_auth = late & (rng.random(n) < 0.4)
    # Found and written off after the payer's filing limit has passed.
    past_limit = dos + timely.astype("timedelta64[D]")
    late_date = np.busday_offset(
        past_limit, rng.integers(5, 46, n), roll="forward", holidays=HOLIDAYS
    )
    post(late & ~no_auth, "noncash_compliance", charge_total, late_date,
         payer=payer_ids[contract], reason="CARC 29")  # fmt: skip
    post(no_auth, "noncash_compliance", charge_total, _after(dos, 25, 60, rng),
         payer=payer_ids[contract], reason="CARC 197")  # fmt: skip

    refund = u[6] < 0.008
    to_payer = rng.random(n) < 0.5
    refund_amount = np.where(to_payer, (allowed * 10 + 50) // 100,
                             np.maximum(paid, 1500))  # fmt: skip
    post(
        refund,
        "refund",
        -np.maximum(refund_amount, 100),
        _after(dos, 40, 120, rng),
        payer=np.where(to_payer, payer_ids[contract], ""),
        reason=np.where(to_payer, "overpayment refund to payer", "patient credit refund"),
    )

    courtesy = u[7] < 0.01
    courtesy_amount = np.where(patient_due > 0, patient_due,
                               rng.integers(15, 41, n) * 100)  # fmt: skip
    post(
        courtesy,
        "courtesy",
        courtesy_amount,
        _after(dos, 15, 45, rng),
        reason=np.where(rng.random(n) < 0.7, "prompt pay courtesy", "hardship courtesy"),
    )
    small = (rng.random(n) < 0.03) & ~courtesy
    post(
        small,
        "small_balance",
        rng.integers(1, 1000, n),
        _after(dos, 40, 100, rng),
        reason="balance under $10",
    )

    empty = pd.DataFrame(
        {"claim": np.array([], np.int64), "line_number": [], "type": [],
         "posted": np.array([], "datetime64[D]"),
         "amount": np.array([], np.int64), "payer_id": [], "reason": []}
    )  # fmt: skip
    rows = pd.concat([empty, *out], ignore_index=True) if out else empty
    rows = rows.loc[rows["posted"] < np.datetime64(DEMO_AS_OF)]
    rows = rows.sort_values(["posted", "claim", "type"], kind="stable")
    return pd.DataFrame(
        {
            "claim_id": c["claim_id"][rows["claim"].to_numpy()],
            "line_number": rows["line_number"].to_numpy(),
            "posted_date": date_strings(rows["posted"].to_numpy()),
            "type": rows["type"].to_numpy(),
            "amount": decimal_texts(rows["amount"].to_numpy()).to_numpy(),
            "payer_id": rows["payer_id"].to_numpy(),
            "reason": rows["reason"].to_numpy(),
        },
        dtype="str",
    )


# --------------------------------------------------------------------------- encounters


_MDM = np.array(["straightforward", "low", "moderate", "high"], dtype=object)
# Total-time bands (minutes) per documented level: new and established patients.
_TIME_LOW = {True: np.array([15, 30, 45, 60]), False: np.array([10, 20, 30, 40])}
_TIME_HIGH = {True: np.array([29, 44, 59, 74]), False: np.array([19, 29, 39, 54])}


def encounters_frame(
    rng: np.random.Generator, c: dict[str, np.ndarray], gaps: dict[str, np.ndarray]
) -> pd.DataFrame:
    """encounters.csv: one row per claim with an office E/M (all strings).

    Documentation mostly supports the billed level; about 12 % supports one level higher
    (under-coded) and 7 % one lower (over-coded), so the coding review has work to do.
    ``gaps`` (``coding.documentation_gaps``): the undercoder's level shifts replace the
    drawn ones, and the notes it marks undocumented leave the side and episode out.
    """
    idx = np.flatnonzero(c["em_cid"] >= 0)
    n = len(idx)
    em = c["em_cid"][idx]
    new = np.isin(em, EM_NEW)
    level = np.where(new, np.searchsorted(EM_NEW, em), np.searchsorted(EM_EST, em) - 1)
    shift = choice(rng, np.array([-1, 0, 1]), [0.07, 0.81, 0.12], n)
    shift = np.where(gaps["undercoder"][idx], gaps["shift"][idx], shift)
    said = ~gaps["undocumented"][idx]
    documented = (level + shift).clip(0, 3)
    low = np.where(new, _TIME_LOW[True][documented], _TIME_LOW[False][documented])
    high = np.where(new, _TIME_HIGH[True][documented], _TIME_HIGH[False][documented])
    minutes = rng.integers(low, high + 1)
    minutes = np.where(level < 0, rng.integers(5, 10, n), minutes)  # 99211: nurse visit
    timed = rng.random(n) < 0.8
    mdm = np.where(level < 0, "", _MDM[documented])
    separate = np.where(rng.random(n) < 0.9, "true", "false")
    findings = join_nonempty(
        [
            np.where(said & (c["side"][idx] != ""),
                     "laterality=" + c["side"][idx].astype(str), ""),
            np.where(said & (c["episode"][idx] != ""),
                     "episode=" + c["episode"][idx].astype(str), ""),
            np.where(c["has25"][idx], "separate_procedure_documented=" + separate, ""),
            np.where(gaps["separate"][idx] != "",
                     "separate_procedure_documented=" + gaps["separate"][idx], ""),
            np.where(gaps["distinct"][idx] != "", "distinct_service=" + gaps["distinct"][idx], ""),
            np.where(c["chronic"][idx] > 0,
                     "chronic_conditions=" + c["chronic"][idx].astype(str), ""),
        ],
        ";",
    )  # fmt: skip
    return pd.DataFrame(
        {
            "claim_id": c["claim_id"][idx],
            "encounter_type": np.where(new, "new", "established"),
            "total_time_minutes": np.where(timed, minutes.astype(str), ""),
            "mdm_level": mdm,
            "documented_findings": findings.to_numpy(),
            "note_text": "",
        },
        dtype="str",
    )


# --------------------------------------------------------------------------- appointments


def appointments_frame(rng: np.random.Generator, pop: Population, n: int) -> pd.DataFrame:
    """appointments.csv: visits booked in the 60 days after DEMO_AS_OF (all strings)."""
    as_of = np.datetime64(DEMO_AS_OF)
    days = business_days(as_of + 1, as_of + 60)
    weight = 1.5 - (days - as_of).astype(int) / 60  # the near weeks are fuller
    day = days[choice(rng, len(days), weight, n)]
    new = rng.random(n) < 0.15
    patient = np.searchsorted(pop.cdf, rng.random(n), side="right").clip(0, len(pop.cdf) - 1)
    ids = pop.patient_ids[patient].copy()
    contract = pop.contract[patient].copy()
    fresh = np.flatnonzero(new)
    ids[fresh] = ("P" + int_strings(9_200_000 + np.arange(len(fresh)), 7)).to_numpy(object)
    shares = np.array([x.patient_share for x in CONTRACTS])
    contract[fresh] = choice(rng, len(CONTRACTS), shares, len(fresh))
    visit = np.where(
        new, "new", choice(rng, np.array(["established", "procedure", "imaging"]),
                            [0.68, 0.2, 0.12], n)
    ).astype(object)  # fmt: skip
    plans = {
        "new": (["99203", "99204", ""], [0.45, 0.4, 0.15]),
        "established": (["99213", "99214", ""], [0.45, 0.35, 0.2]),
        "procedure": (["20610", "20610;J3301", "20553", "64721", "29881"],
                      [0.35, 0.35, 0.1, 0.1, 0.1]),
        "imaging": (["73562", "73721", "72100", "73030"], [0.4, 0.2, 0.2, 0.2]),
    }  # fmt: skip
    planned = np.full(n, "", dtype=object)
    for name, (options, weights) in plans.items():
        sel = visit == name
        planned[sel] = choice(rng, np.array(options, dtype=object), weights, int(sel.sum()))
    order = np.lexsort((ids, day))
    payer_ids = np.array([x.payer_id for x in CONTRACTS], dtype=object)
    product = np.array([x.product_line for x in CONTRACTS], dtype=object)
    return pd.DataFrame(
        {
            "appointment_id": ("A" + int_strings(np.arange(1, n + 1) + 26_110_000, 8)),
            "date": date_strings(day[order]),
            "patient_id": ids[order],
            "payer_id": payer_ids[contract[order]],
            "product_line": product[contract[order]],
            "visit_type": visit[order],
            "planned_procedure_codes": planned[order],
        },
        dtype="str",
    )
