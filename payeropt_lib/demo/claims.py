"""The demo's patients, claims and charge lines: what the practice billed, drawn from the seed.

``population`` draws the patients and their coverage, ``claim_headers`` the claims of each
month (about ``monthly_counts`` of them, by season) and ``generate_lines`` their lines by
kind of visit (primary care, orthopedic office visit, hospital read, imaging, surgery,
procedure), filling the claim's place of service, clinician, diagnoses and what the
encounter documents. ``charges_columns`` turns them into charges.csv columns. The order of
the random draws is the demo's: the same seed gives the same claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from payeropt_lib.formats import decimal_texts

from .contracts import (
    CID,
    CODE,
    CONTRACTS,
    EM_EST,
    EM_NEW,
    J3301,
    MCR,
    MGAP,
    MKSA,
    PMOD_CODE,
    PVWC,
    TXMCD,
    Rates,
)
from .dates import (
    DEMO_AS_OF,
    DEMO_PERIOD_END,
    DEMO_PERIOD_START,
    business_days,
    date_strings,
)

# --------------------------------------------------------------------------- clinicians

_PCP_NPIS = ("180840001", "180840019", "180840027")  # 9-digit bases; check digit added
_ORTHO_NPIS = ("180840035", "180840043", "180840050")


def npi_with_check_digit(base9: str) -> str:
    """Append the Luhn check digit NPIs use (computed over the '80840' prefix + 9 digits)."""
    digits = [int(d) for d in "80840" + base9]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:  # the check digit will sit to the right, so these double
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return base9 + str((10 - total % 10) % 10)


PCP_NPIS = tuple(npi_with_check_digit(b) for b in _PCP_NPIS)
ORTHO_NPIS = tuple(npi_with_check_digit(b) for b in _ORTHO_NPIS)
_NPIS = np.array(PCP_NPIS + ORTHO_NPIS, dtype=object)


# --------------------------------------------------------------------------- clinical tables

# Claim categories and their mix by payer group (general, workers' comp).
_EM, _ORTHO, _READ, _TC, _SURG, _PROC = range(6)
_CATEGORY_MIX = {
    "general": np.array([0.55, 0.24, 0.05, 0.015, 0.04, 0.105]),
    "workers_comp": np.array([0.08, 0.52, 0.05, 0.03, 0.12, 0.20]),
}

# Primary-care diagnoses: acute reason for the visit, and chronic conditions.
_DX_ACUTE = np.array(
    ["J06.9", "J02.9", "R05.9", "N39.0", "M54.50", "K21.9", "F41.1", "L30.9", "R51.9",
     "J01.90", "R10.9", "H10.33"],
    dtype=object,
)  # fmt: skip
_DX_CHRONIC = np.array(
    ["I10", "E11.9", "E78.5", "E66.9", "J45.909", "E11.65", "F32.A", "J44.9"], dtype=object
)

# Orthopedic body sites: share of ortho visits, diagnoses (right, left, is_injury, weight),
# injection codes with weights, plain film code.
_SITES = (
    ("knee", 0.40,
     (("M17.11", "M17.12", False, 0.45), ("M25.561", "M25.562", False, 0.30),
      ("S83.241A", "S83.242A", True, 0.25)),
     (("20610", 0.80), ("20611", 0.20)), "73562"),
    ("shoulder", 0.22,
     (("M75.41", "M75.42", False, 0.40), ("M75.101", "M75.102", False, 0.25),
      ("M19.011", "M19.012", False, 0.15), ("S46.011A", "S46.012A", True, 0.20)),
     (("20610", 0.85), ("20611", 0.15)), "73030"),
    ("hand", 0.12,
     (("M65.331", "M65.332", False, 0.40), ("G56.01", "G56.02", False, 0.30),
      ("M18.11", "M18.12", False, 0.20), ("S63.501A", "S63.502A", True, 0.10)),
     (("20550", 0.55), ("20600", 0.45)), "73110"),
    ("elbow", 0.06,
     (("M77.11", "M77.12", False, 0.8), ("S53.401A", "S53.402A", True, 0.2)),
     (("20605", 0.50), ("20550", 0.50)), "73070"),
    ("ankle", 0.08,
     (("M19.071", "M19.072", False, 0.45), ("S93.401A", "S93.402A", True, 0.55)),
     (("20605", 1.0),), "73610"),
    ("spine", 0.12,
     (("M54.50", "M54.50", False, 0.35), ("M54.16", "M54.16", False, 0.25),
      ("M47.816", "M47.816", False, 0.15), ("S39.012A", "S39.012A", True, 0.25)),
     (("20552", 0.6), ("20553", 0.4)), "72100"),
)  # fmt: skip

# Surgeries: code, weight, diagnoses (right, left), place-of-service choices and weights.
_SURGERIES = (
    ("29881", 0.30, ("S83.241A", "S83.242A"), ("22", "24"), (0.5, 0.5)),
    ("29880", 0.10, ("S83.241A", "S83.242A"), ("22", "24"), (0.5, 0.5)),
    ("64721", 0.20, ("G56.01", "G56.02"), ("22", "24"), (0.4, 0.6)),
    ("25600", 0.12, ("S52.501A", "S52.502A"), ("23", "22"), (0.6, 0.4)),
    ("26055", 0.10, ("M65.331", "M65.332"), ("24", "22"), (0.6, 0.4)),
    ("27447", 0.18, ("M17.11", "M17.12"), ("21", "22"), (0.7, 0.3)),
)  # fmt: skip

# Hospital reads (-26): code weights for plain film and MRI, diagnoses by code.
_READS = (
    ("73562", 0.25, ("M25.561", "M25.562")),
    ("73030", 0.15, ("M25.511", "M25.512")),
    ("72100", 0.20, ("M54.50", "M54.50")),
    ("73721", 0.10, ("M23.91", "M23.92")),
    ("73110", 0.10, ("S62.101A", "S62.102A")),
    ("73610", 0.10, ("S93.401A", "S93.402A")),
    ("73564", 0.10, ("M17.11", "M17.12")),
)  # fmt: skip
_LATERAL_IMAGING = {"73562", "73030", "73070", "73110", "73564", "73610", "73721"}


# --------------------------------------------------------------------------- small helpers


def choice(rng: np.random.Generator, options, weights, size: int) -> np.ndarray:
    """Vectorised weighted choice of ``size`` items (indexes if options is an int)."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(options, size=size, p=p / p.sum())


def join_nonempty(parts: list[np.ndarray], sep: str) -> pd.Series:
    """Join equally long string arrays with ``sep``, skipping empty pieces."""
    joined = pd.Series(parts[0], dtype="str")
    for part in parts[1:]:
        joined = joined + sep + pd.Series(part, dtype="str")
    pattern = re.escape(sep) + "{2,}"
    return joined.str.replace(pattern, sep, regex=True).str.strip(sep)


def int_strings(values: np.ndarray, width: int = 0) -> pd.Series:
    text = pd.Series(values, dtype="int64").astype("str")
    return text.str.zfill(width) if width else text


# --------------------------------------------------------------------------- patients


@dataclass(frozen=True)
class Population:
    patient_ids: np.ndarray  # 'P' + 7 digits
    contract: np.ndarray  # index into CONTRACTS (primary coverage)
    secondary: np.ndarray  # index into CONTRACTS, -1 = none
    cdf: np.ndarray  # cumulative visit propensity, for sampling who comes in


def population(rng: np.random.Generator, n_patients: int) -> Population:
    shares = np.array([c.patient_share for c in CONTRACTS])
    contract = choice(rng, len(CONTRACTS), shares, n_patients)
    secondary = np.full(n_patients, -1, dtype=np.int64)
    draw = rng.random(n_patients)
    medicare = contract == MCR
    secondary[medicare & (draw < 0.35)] = MGAP  # Medigap supplement
    secondary[medicare & (draw >= 0.35) & (draw < 0.42)] = TXMCD  # dual eligible
    # Unique, unordered-looking account numbers without drawing from a huge pool.
    spacing = max(1, 9_000_000 // max(n_patients, 1))
    numbers = 10_000 + np.arange(n_patients) * spacing + rng.integers(0, spacing, n_patients)
    ids = ("P" + int_strings(numbers, 7)).to_numpy(dtype=object)
    # Some patients come often (chronic care), most a few times a year.
    propensity = rng.gamma(1.3, 1.0, n_patients)
    cdf = np.cumsum(propensity)
    return Population(ids, contract, secondary, cdf / cdf[-1])


# --------------------------------------------------------------------------- claims

# Visit volume by calendar month (Jan..Dec): winter respiratory season, summer and December dips.
_SEASON = np.array([1.06, 1.02, 1.04, 1.0, 1.0, 0.97, 0.92, 0.98, 1.02, 1.04, 0.99, 0.90])


def monthly_counts(
    rng: np.random.Generator, months: list[np.datetime64], claims_per_month: int
) -> np.ndarray:
    """Claims in each month: Poisson around ``claims_per_month`` by season, at least one."""
    month_of_year = np.array([int(str(m)[5:7]) - 1 for m in months])
    expected = claims_per_month * _SEASON[month_of_year] / _SEASON.mean()
    return np.maximum(rng.poisson(expected), 1)


def claim_headers(
    rng: np.random.Generator,
    pop: Population,
    months: list[np.datetime64],
    counts: np.ndarray,
    seq_start: np.ndarray,
) -> dict[str, np.ndarray]:
    """Claim headers for ``counts[i]`` claims in ``months[i]``, sorted by date of service.

    Claim ids are 'C' + YYMM + a 6-digit sequence starting at ``seq_start[i]`` per month.
    """
    first = max(np.datetime64(DEMO_PERIOD_START), np.datetime64(months[0], "D"))
    last = min(np.datetime64(DEMO_PERIOD_END), np.datetime64(months[-1] + 1, "D") - 1)
    open_days = business_days(first, last)
    bdays = [open_days[open_days.astype("datetime64[M]") == m] for m in months]
    sizes = np.array([len(b) for b in bdays])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    all_days = np.concatenate(bdays)
    month = np.repeat(np.arange(len(months)), counts)
    n = len(month)
    day = all_days[offsets[month] + (rng.random(n) * sizes[month]).astype(np.int64)]
    patient = np.searchsorted(pop.cdf, rng.random(n), side="right").clip(0, len(pop.cdf) - 1)
    order = np.lexsort((rng.random(n), day))
    month, day, patient = month[order], day[order], patient[order]
    first_of_month = np.concatenate([[0], np.cumsum(counts)[:-1]])
    seq = np.arange(n) - first_of_month[month] + seq_start[month]
    width = max(6, len(str(int(seq.max())))) if n else 6
    yymm = np.array([np.datetime_as_string(m, unit="M").replace("-", "")[2:] for m in months])
    claim_id = ("C" + pd.Series(yymm[month], dtype="str") + int_strings(seq, width)).to_numpy(
        dtype=object
    )
    contract = pop.contract[patient]
    group = np.where(contract == PVWC, 1, 0)
    mixes = np.stack([_CATEGORY_MIX["general"], _CATEGORY_MIX["workers_comp"]])
    cum = np.cumsum(mixes / mixes.sum(axis=1, keepdims=True), axis=1)[group]
    category = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, 5)
    return {
        "claim_id": claim_id,
        "dos": day,
        "patient": patient,
        "contract": contract,
        "secondary": pop.secondary[patient],
        "category": category,
    }


# Non-pricing modifiers, stored as small codes so the modifiers column is one table lookup.
_MODS = ("", "25", "59")
_SIDES = ("", "RT", "LT", "F7", "F2")
_MODIFIER_TEXT = np.array(
    [":".join(m for m in (p, a, b) if m) for p in ("", "26", "TC") for a in _MODS for b in _SIDES],
    dtype=object,
)


def _codes_of(values, vocabulary: tuple[str, ...], n: int) -> np.ndarray:
    values = np.broadcast_to(np.asarray(values, dtype=object), n)
    return np.select([values == v for v in vocabulary[1:]], range(1, len(vocabulary)), 0)


class _Lines:
    """Accumulates candidate lines (claim index, order on the claim, code id, modifiers)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, claims, order, cid, mod="", side="", units=1, mask=None) -> None:
        claims = np.asarray(claims)
        n = len(claims)
        arrays = [
            claims,
            np.broadcast_to(np.asarray(order), n),
            np.broadcast_to(np.asarray(cid), n),
            _codes_of(mod, _MODS, n),
            _codes_of(side, _SIDES, n),
            np.broadcast_to(np.asarray(units), n),
        ]
        if mask is not None:
            arrays = [a[mask] for a in arrays]
        self.parts.append(tuple(np.asarray(a) for a in arrays))

    def frame(self, max_lines: int = 4) -> dict[str, np.ndarray]:
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(6)]
        claim, order, cid, mod, side, units = cols
        sort = np.lexsort((order, claim))
        claim, cid, mod, side, units = (a[sort] for a in (claim, cid, mod, side, units))
        starts = np.flatnonzero(np.r_[True, claim[1:] != claim[:-1]])
        line = np.arange(len(claim)) - np.repeat(starts, np.diff(np.r_[starts, len(claim)])) + 1
        keep = line <= max_lines
        return {
            "claim": claim[keep],
            "line_number": line[keep],
            "cid": cid[keep].astype(np.int64),
            "mod": mod[keep],
            "side": side[keep],
            "units": units[keep].astype(np.int64),
        }


def _em_codes(rng: np.random.Generator, is_new: np.ndarray, ortho: bool) -> np.ndarray:
    n = len(is_new)
    if ortho:
        new = EM_NEW[choice(rng, 4, [0.05, 0.35, 0.50, 0.10], n)]
        est = EM_EST[choice(rng, 5, [0.0, 0.05, 0.45, 0.45, 0.05], n)]
    else:
        new = EM_NEW[choice(rng, 4, [0.10, 0.40, 0.38, 0.12], n)]
        est = EM_EST[choice(rng, 5, [0.04, 0.10, 0.42, 0.38, 0.06], n)]
    return np.where(is_new, new, est)


def _sides(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.where(rng.random(n) < 0.5, "RT", "LT").astype(object)


def generate_lines(
    rng: np.random.Generator, c: dict[str, np.ndarray], is_new: np.ndarray
) -> dict[str, np.ndarray]:
    """Lines for every claim, filling claim-level pos, npi, diagnoses and encounter facts."""
    n = len(c["claim_id"])
    blank = np.full(n, "", dtype=object)
    c.update(
        pos=np.full(n, "11", dtype=object), npi=np.zeros(n, np.int64),
        dx1=blank.copy(), dx2=blank.copy(), dx3=blank.copy(),
        em_cid=np.full(n, -1, np.int64), has25=np.zeros(n, bool), side=blank.copy(),
        episode=blank.copy(), chronic=np.zeros(n, np.int64),
    )  # fmt: skip
    lines = _Lines()
    _primary_care(rng, c, lines, np.flatnonzero(c["category"] == _EM), is_new)
    _ortho_office(rng, c, lines, np.flatnonzero(c["category"] == _ORTHO), is_new)
    _hospital_reads(rng, c, lines, np.flatnonzero(c["category"] == _READ))
    _technical_only(rng, c, lines, np.flatnonzero(c["category"] == _TC))
    _surgery(rng, c, lines, np.flatnonzero(c["category"] == _SURG))
    _procedure_only(rng, c, lines, np.flatnonzero(c["category"] == _PROC))
    return lines.frame()


def _primary_care(rng, c, lines: _Lines, idx: np.ndarray, is_new: np.ndarray) -> None:
    n = len(idx)
    em = _em_codes(rng, is_new[idx], ortho=False)
    extras = (  # code, probability, needs modifier 25 on the E/M, diagnosis it brings
        ("93000", 0.12, False, "R00.2"),
        ("90471", 0.14, False, "Z23"),
        ("96372", 0.04, True, "E53.8"),
        ("99406", 0.04, False, "F17.210"),
        ("94010", 0.03, False, "J44.9"),
        ("69210", 0.04, True, "H61.23"),
        ("17110", 0.03, True, "B07.9"),
        ("12001", 0.015, True, "S61.411A"),
    )
    needs25 = np.zeros(n, bool)
    any_extra = np.zeros(n, bool)
    reason = _DX_ACUTE[rng.integers(0, len(_DX_ACUTE), n)]
    tail = np.full(n, "", dtype=object)
    for order, (code, p, with25, dx) in enumerate(extras, start=1):
        present = rng.random(n) < p
        units = np.where((code == "96372") & (rng.random(n) < 0.1), 2, 1)
        lines.add(idx, order, CID[(code, "")], units=units, mask=present)
        needs25 |= present & with25
        any_extra |= present
        if with25:  # the procedure's diagnosis leads the claim
            reason = np.where(present, dx, reason)
        else:
            tail = np.where(present & (tail == ""), dx, tail)
    has25 = needs25 & (rng.random(n) < 0.92)  # a few 25s forgotten: bundling denials
    # Visit-complexity add-on for longitudinal care, billed to Medicare and MA plans; not with
    # a modifier-25 visit, which Medicare does not pay it with.
    medicare_like = np.isin(c["contract"][idx], [MCR, MKSA])
    complexity = medicare_like & ~is_new[idx] & ~has25 & (rng.random(n) < 0.5)
    lines.add(idx, 9, CID[("G2211", "")], mask=complexity)
    lines.add(idx, 0, em, mod=np.where(has25, "25", "").astype(object))
    chronic = (rng.random(n) < 0.55).astype(np.int64) + (rng.random(n) < 0.2)
    chronic_dx = _DX_CHRONIC[rng.integers(0, len(_DX_CHRONIC), n)]
    chronic_dx2 = _DX_CHRONIC[rng.integers(0, len(_DX_CHRONIC), n)]
    second = np.where(chronic >= 1, chronic_dx, "")
    third = np.where((chronic >= 2) & (chronic_dx2 != chronic_dx), chronic_dx2, tail)
    c["dx1"][idx], c["dx2"][idx], c["dx3"][idx] = reason, second, third
    telehealth = ~is_new[idx] & ~any_extra & (rng.random(n) < 0.05)
    c["pos"][idx] = np.where(telehealth, "10", "11")
    c["npi"][idx] = rng.integers(0, len(PCP_NPIS), n)
    c["em_cid"][idx], c["has25"][idx] = em, has25
    c["chronic"][idx] = np.where(third != "", 2, chronic.clip(0, 1))


def _ortho_office(rng, c, lines: _Lines, idx: np.ndarray, is_new: np.ndarray) -> None:
    site_of = choice(rng, len(_SITES), [s[1] for s in _SITES], len(idx))
    for s, (name, _, conditions, injections, film) in enumerate(_SITES):
        sub = idx[site_of == s]
        n = len(sub)
        if not n:
            continue
        lateral = name != "spine"
        side = _sides(rng, n) if lateral else np.full(n, "", dtype=object)
        cond = choice(rng, len(conditions), [x[3] for x in conditions], n)
        # Workers' comp pays for the work injury only: its claims carry the injury diagnosis.
        injury_index = next(i for i, x in enumerate(conditions) if x[2])
        cond = np.where(c["contract"][sub] == PVWC, injury_index, cond)
        right = np.array([x[0] for x in conditions], dtype=object)[cond]
        left = np.array([x[1] for x in conditions], dtype=object)[cond]
        dx = np.where(side == "LT", left, right)
        injury = np.array([x[2] for x in conditions])[cond]
        new = is_new[sub]
        inject = rng.random(n) < 0.45
        xray = rng.random(n) < np.where(new, 0.6, 0.35)
        with_em = new | (rng.random(n) < 0.85) | ~(inject | xray)  # never an empty claim
        inj_cid = np.array([CID[(code, "")] for code, _ in injections])[
            choice(rng, len(injections), [w for _, w in injections], n)
        ]
        lines.add(sub, 1, inj_cid, side=side, mask=inject)
        if name == "knee":  # both knees injected: RT and LT lines (bilateral indicator 1)
            both = inject & (rng.random(n) < 0.12)
            other = np.where(side == "RT", "LT", "RT").astype(object)
            lines.add(sub, 2, inj_cid, side=other, mask=both)
        if lateral:  # trigger points the same day: a second indicator-2 procedure, with 59
            trigger = inject & (rng.random(n) < 0.08)
            lines.add(sub, 3, CID[("20552", "")], mod="59", mask=trigger)
        steroid = inject & np.isin(CODE[inj_cid], ["20610", "20611", "20605", "20600", "20550"])
        steroid &= rng.random(n) < 0.6
        units = choice(rng, np.array([1, 2, 3, 4]), [0.1, 0.2, 0.2, 0.5], n)
        lines.add(sub, 4, J3301, units=units, mask=steroid)
        film_cid = np.full(n, CID[(film, "")])
        if name == "knee":
            film_cid = np.where(rng.random(n) < 0.2, CID[("73564", "")], film_cid)
        lines.add(sub, 5, film_cid, side=side, mask=xray)
        if name == "knee":
            mri = rng.random(n) < 0.03
            lines.add(sub, 6, CID[("73721", "")], side=side, mask=mri)
        has25 = with_em & inject & (rng.random(n) < 0.93)
        em = _em_codes(rng, new, ortho=True)
        lines.add(sub, 0, em, mod=np.where(has25, "25", "").astype(object), mask=with_em)
        # Injuries: initial encounter (A) at first, subsequent (D) on many follow-ups.
        later = injury & ~new & (rng.random(n) < 0.4)
        dx = np.where(later, pd.Series(dx, dtype="str").str[:-1].to_numpy(object) + "D", dx)
        chronic = rng.random(n) < 0.25
        c["dx1"][sub] = dx
        c["dx2"][sub] = np.where(chronic, _DX_CHRONIC[rng.integers(0, 4, n)], "")
        c["npi"][sub] = len(PCP_NPIS) + rng.integers(0, len(ORTHO_NPIS), n)
        c["em_cid"][sub] = np.where(with_em, em, -1)
        c["has25"][sub] = has25
        c["side"][sub] = np.where(side == "RT", "right", np.where(side == "LT", "left", ""))
        c["episode"][sub] = np.where(injury, np.where(later, "subsequent", "initial"), "")
        c["chronic"][sub] = chronic


def _hospital_reads(rng, c, lines: _Lines, idx: np.ndarray) -> None:
    n = len(idx)
    ecg = rng.random(n) < 0.25  # ECG interpretations for the hospital, by the PCPs
    pick = choice(rng, len(_READS), [r[1] for r in _READS], n)
    codes = np.array([r[0] for r in _READS], dtype=object)[pick]
    side = _sides(rng, n)
    side = np.where(np.isin(codes, list(_LATERAL_IMAGING)), side, "").astype(object)
    cid = np.array([CID[(code, "26")] for code in codes])
    lines.add(idx, 0, cid, side=side, mask=~ecg)
    lines.add(idx, 0, CID[("93010", "")], mask=ecg)
    knee_mri = ~ecg & (codes == "73562") & (rng.random(n) < 0.3)
    lines.add(idx, 1, CID[("73721", "26")], side=side, mask=knee_mri)
    right = np.array([r[2][0] for r in _READS], dtype=object)[pick]
    left = np.array([r[2][1] for r in _READS], dtype=object)[pick]
    ecg_dx = np.array(["R07.9", "I48.91", "R55"], dtype=object)[rng.integers(0, 3, n)]
    c["dx1"][idx] = np.where(ecg, ecg_dx, np.where(side == "LT", left, right))
    c["pos"][idx] = choice(rng, np.array(["22", "21", "23", "19"]), [0.5, 0.25, 0.2, 0.05], n)
    c["npi"][idx] = np.where(
        ecg, rng.integers(0, len(PCP_NPIS), n), len(PCP_NPIS) + rng.integers(0, 2, n)
    )


def _technical_only(rng, c, lines: _Lines, idx: np.ndarray) -> None:
    n = len(idx)
    codes = choice(rng, np.array(["73721", "73562", "72100"]), [0.5, 0.3, 0.2], n)
    side = np.where(codes == "72100", "", _sides(rng, n)).astype(object)
    cid = np.array([CID[(code, "TC")] for code in codes])
    lines.add(idx, 0, cid, side=side)
    dx_by_code = {"73721": ("M23.91", "M23.92"), "73562": ("M17.11", "M17.12"),
                  "72100": ("M54.50", "M54.50")}  # fmt: skip
    right = np.array([dx_by_code[x][0] for x in codes], dtype=object)
    left = np.array([dx_by_code[x][1] for x in codes], dtype=object)
    c["dx1"][idx] = np.where(side == "LT", left, right)
    c["npi"][idx] = len(PCP_NPIS) + rng.integers(0, len(ORTHO_NPIS), n)


def _surgery(rng, c, lines: _Lines, idx: np.ndarray) -> None:
    n = len(idx)
    pick = choice(rng, len(_SURGERIES), [s[1] for s in _SURGERIES], n)
    codes = np.array([s[0] for s in _SURGERIES], dtype=object)[pick]
    side = _sides(rng, n)
    cid = np.array([CID[(code, "")] for code in codes])
    finger = codes == "26055"  # fingers take F-modifiers instead of RT/LT
    finger_mod = np.where(side == "RT", "F7", "F2").astype(object)
    lines.add(idx, 0, cid, side=np.where(finger, finger_mod, side).astype(object))
    # Carpal tunnel release with a trigger finger release: two indicator-2 procedures.
    combo = (codes == "64721") & (rng.random(n) < 0.3)
    lines.add(idx, 1, CID[("26055", "")], mod="59", side=finger_mod, mask=combo)
    # Closed fracture care with the surgeon's own read of the films in the ED.
    films = (codes == "25600") & (rng.random(n) < 0.4)
    lines.add(idx, 2, CID[("73110", "26")], side=side, mask=films)
    right = np.array([s[2][0] for s in _SURGERIES], dtype=object)[pick]
    left = np.array([s[2][1] for s in _SURGERIES], dtype=object)[pick]
    dx = np.where(side == "LT", left, right)
    c["dx1"][idx] = dx
    c["dx2"][idx] = np.where(combo, np.where(side == "LT", "M65.332", "M65.331"), "")
    pos = np.full(n, "22", dtype=object)
    for s, (_, _, _, places, weights) in enumerate(_SURGERIES):
        sel = pick == s
        pos[sel] = choice(rng, np.array(places), weights, int(sel.sum()))
    c["pos"][idx] = pos
    c["npi"][idx] = len(PCP_NPIS) + rng.integers(0, 2, n)  # the two surgeons, not the PA
    c["side"][idx] = np.where(side == "RT", "right", "left")


def _procedure_only(rng, c, lines: _Lines, idx: np.ndarray) -> None:
    n = len(idx)
    kinds = np.array(["20610", "20553", "20552", "96372", "90471"])
    kind = choice(rng, kinds, [0.45, 0.14, 0.13, 0.15, 0.13], n)
    side = np.where(kind == "20610", _sides(rng, n), "").astype(object)
    cid = np.array([CID[(code, "")] for code in kind])
    units = np.where((kind == "96372") & (rng.random(n) < 0.15), 2, 1)
    lines.add(idx, 0, cid, side=side, units=units)
    steroid = (kind == "20610") & (rng.random(n) < 0.6)
    j_units = choice(rng, np.array([2, 3, 4]), [0.2, 0.3, 0.5], n)
    lines.add(idx, 1, J3301, units=j_units, mask=steroid)
    knee = rng.random(n) < 0.7
    joint_dx = np.where(
        knee,
        np.where(side == "LT", "M17.12", "M17.11"),
        np.where(side == "LT", "M75.42", "M75.41"),
    )
    dx_by_kind = {"20553": "M79.18", "20552": "M79.18", "96372": "E53.8", "90471": "Z23"}
    other_dx = np.array([dx_by_kind.get(k, "") for k in kind], dtype=object)
    c["dx1"][idx] = np.where(kind == "20610", joint_dx, other_dx)
    pcp = np.isin(kind, ["96372", "90471"])
    c["npi"][idx] = np.where(
        pcp, rng.integers(0, len(PCP_NPIS), n), len(PCP_NPIS) + rng.integers(0, 3, n)
    )
    c["side"][idx] = np.where(side == "RT", "right", np.where(side == "LT", "left", ""))


def charges_columns(
    rates: Rates, c: dict[str, np.ndarray], ln: dict[str, np.ndarray], pop: Population
) -> dict[str, np.ndarray]:
    """charges.csv columns (object arrays of str) for claim headers ``c`` and lines ``ln``.

    Built from lookups into small tables (codes, modifiers, amounts) and claim-level strings
    taken per line, so a million lines take about a second.
    """
    claim, cid, units = ln["claim"], ln["cid"], ln["units"]
    in_2026 = c["dos"][claim] >= np.datetime64("2026-01-01")
    amount = np.where(in_2026, rates.charge_2026[cid], rates.charge_2025[cid]) * units
    amounts, amount_index = np.unique(amount, return_inverse=True)
    small_ints = np.array([str(i) for i in range(max(int(units.max(initial=0)), 4) + 1)],
                          dtype=object)  # fmt: skip
    line_text = small_ints[ln["line_number"]]
    claim_text = c["claim_id"][claim]
    payer_ids = np.array([x.payer_id for x in CONTRACTS] + [""], dtype=object)
    product = np.array([x.product_line for x in CONTRACTS], dtype=object)
    modifier_key = (PMOD_CODE[cid] * len(_MODS) + ln["mod"]) * len(_SIDES) + ln["side"]
    dx = join_nonempty([c["dx1"], c["dx2"], c["dx3"]], ";").to_numpy(dtype=object)
    return {
        "claim_id": claim_text,
        "line_number": line_text,
        "line_control_number": claim_text + "-" + line_text,
        "patient_id": pop.patient_ids[c["patient"]][claim],
        "date_of_service": date_strings(c["dos"])[claim],
        "procedure_code": CODE[cid],
        "modifiers": _MODIFIER_TEXT[modifier_key],
        "units": small_ints[units],
        "charge_amount": decimal_texts(amounts).to_numpy(dtype=object)[amount_index],
        "primary_payer_id": payer_ids[c["contract"]][claim],
        "product_line": product[c["contract"]][claim],
        "secondary_payer_id": payer_ids[c["secondary"]][claim],  # -1 -> the trailing ''
        "place_of_service": c["pos"][claim],
        "rendering_npi": _NPIS[c["npi"]][claim],
        "diagnosis_codes": dx[claim],
        "submitted_date": submitted_dates(c["dos"])[claim],
    }


def submitted_dates(dos: np.ndarray) -> np.ndarray:
    """When each claim went out (text, '' = not yet): 1 to 6 days after its date of
    service, one claim in 100 months late (a timely-filing rule's catch), and none on or
    after the demo's "today". Arithmetic on the claim's number, not a random draw, so the
    rest of the demo practice is the same draw as before this column existed."""
    number = np.arange(len(dos), dtype=np.int64)
    lag = 1 + (number * 2654435761) % 6
    late = (number * 40503) % 100 == 0
    lag = np.where(late, 120 + number % 90, lag)
    sent = dos.astype("datetime64[D]") + lag.astype("timedelta64[D]")
    text = date_strings(sent)
    return np.where(sent < np.datetime64(DEMO_AS_OF), text, "").astype(object)
