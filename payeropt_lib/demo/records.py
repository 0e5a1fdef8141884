"""The practice's other records of its claims: postings, encounter notes, appointments.

``encounters_frame`` writes what the notes of the office E/M visits document and
``appointments_frame`` the visits booked in the 60 days after DEMO_AS_OF, both drawn from
the seed after the claims. What the PM system posted besides the 835s follows the 835s
(``postings``); ``skip_former_posting_draws`` keeps the main stream where it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .claims import Population, choice, int_strings, join_nonempty
from .contracts import CONTRACTS, EM_EST, EM_NEW
from .dates import DEMO_AS_OF, business_days, date_strings

# --------------------------------------------------------------------------- postings


def skip_former_posting_draws(rng: np.random.Generator, n: int) -> None:
    """Draw from ``rng`` exactly what the former transactions.csv generator drew for ``n``
    claims, and throw it away.

    transactions.csv now follows the demo's 835s and draws from a stream of its own
    (``postings``); the notes and appointments drawn after it from the main stream stay
    byte for byte what they were only if the main stream advances as it used to. The
    calls, their bounds and their order are the former ones (a bounded integer draw may
    take more than one word, so only the same calls leave the same state).
    """

    def days(low: int, high: int) -> None:
        rng.integers(low, np.asarray(high) + 1, n)

    choice(rng, np.array([2000, 2500, 3000, 4000]), [0.3, 0.3, 0.25, 0.15], n)  # copays
    rng.random((8, n))
    for low, high in ((1, 3), (25, 70), (120, 180), (20, 50), (25, 60), (15, 45)):
        days(low, high)
    rng.random(n)  # paper EOB lines
    rng.random(n)  # missing authorizations
    rng.integers(5, 46, n)  # past the filing limit
    days(25, 60)
    rng.random(n)  # refunds to payers
    days(40, 120)
    rng.integers(15, 41, n)  # courtesy amounts
    days(15, 45)
    rng.random(n)  # courtesy reasons
    rng.random(n)  # small balances
    rng.integers(1, 1000, n)
    days(40, 100)


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
