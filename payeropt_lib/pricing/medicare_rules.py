"""Medicare's own reductions, for the lines of contracts with ``payment_rules=medicare``.

Interface §1 (contracts.csv ``payment_rules``) and domain.md §2.2-2.4. The lines of such a
contract (``Book.seg["rules"]``, a minority: none at all for most practices) are priced
again here, whole-array over those lines only, in this order:

1. the line's underlying amount per unit ``u0``: the fee for a fixed fee schedule, the
   Medicare amount (locality and site) for a percent contract;
2. multiple-procedure indicators 3, 4, 6 and 7 (``mp_step``): the lines of a claim, day and
   indicator (for 3, of one endoscopic base code) rank by u0 × units, highest first, ties
   to the lower line_key; the 2nd and later are reduced: 3, the base code's amount is
   subtracted (never below $0.00); 4, technical component at 50 %, professional at 95 %
   (2017+); 6, technical component at 75 %; 7, at 80 %. A global line is its TC and 26
   rows' amounts, each reduced and rounded; a TC or 26 line is reduced as that component.
   The components' and the base code's amounts are the contract's own (fee rows, or Medicare
   rows of the contract locality), found by pricing them as lines (``reprice``);
3. modifiers (``mod_steps``), in this order: bilateral (50: BILAT SURG 1 150 %, 3 200 %,
   else no uplift; RT and LT lines of one code, claim and day with BILAT SURG 1: the 2nd side
   at 50 %, so the pair is 150 % of one side), assistant at surgery (80, 81, 82: 16 %; AS:
   13.6 %; not payable, $0.00, where ASST SURG is 1 or 9), co-surgeons (62: 62.5 %; not
   payable where CO-SURG is 0 or 9). An indicator not on file does not stop the percent;
4. the contract's percent (percent contracts): × percent_x1000, rounded half up: the rate;
5. × units; then the contract's MPPR (indicator 2) ranked by that gross among these lines
   (the 2nd side of an RT+LT pair takes its first side's rank and is not ranked itself; the
   first side ranks with the pair's amount); then lesser of charge.

Every step rounds half up to the cent: (amount × percent_x1000 + 50000) // 100000.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from payeropt_lib.formats import money_texts, ordinal, percent_x1000_texts
from payeropt_lib.pricing.encoding import Found, to_days
from payeropt_lib.pricing.ranking import rank_within
from payeropt_lib.reference.modifiers import PRICING_MODIFIERS

# What a line of the rules looks like to ``reprice``: (lines, positions, code, modifier)
# → per position, the contract's underlying amount per unit (fee or Medicare), -1 = none.
Reprice = Callable[[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray], np.ndarray]

MEDICARE = "medicare"  # contracts.payment_rules value
ASSISTANT = {"80": 16_000, "81": 16_000, "82": 16_000, "AS": 13_600}
CO_SURGEON = 62_500
# Indicator → (technical component percent, professional component percent) for 2nd+.
COMPONENT_CUTS = {"4": (50_000, 95_000), "6": (75_000, 100_000), "7": (80_000, 100_000)}
_MP_NAMES = {
    "3": "endoscopy",
    "4": "imaging procedure",
    "6": "diagnostic cardiovascular procedure",
    "7": "diagnostic ophthalmology procedure",
}
_MP_PLURALS = {
    "3": "endoscopies",
    "4": "imaging procedures",
    "6": "diagnostic cardiovascular procedures",
    "7": "diagnostic ophthalmology procedures",
}


@dataclass
class Adjusted:
    """The lines priced under Medicare's rules: their positions (ascending) and figures."""

    at: np.ndarray
    rate: np.ndarray  # per unit, after the rules (and the percent)
    gross: np.ndarray
    rank: np.ndarray  # MPPR (indicator 2) rank, 0 = not ranked
    n_proc: np.ndarray
    first: np.ndarray  # the line ranked 1st with it, -1 = none
    after: np.ndarray
    lesser_hit: np.ndarray
    expected: np.ndarray
    u_rule: np.ndarray  # the underlying amount after the rules, before the percent
    rule: np.ndarray  # object: the sentence's rule steps ('' = none applied)


def half_up(cents: np.ndarray, x1000: np.ndarray | int) -> np.ndarray:
    """cents × percent, rounded half up to the cent (non-negative amounts)."""
    return (np.asarray(cents, np.int64) * x1000 + 50_000) // 100_000


def _groups(*parts: np.ndarray) -> np.ndarray:
    """One int64 id per distinct combination of the parts (same length)."""
    if not len(parts[0]):
        return np.zeros(0, np.int64)
    return np.unique(np.column_stack(parts), axis=0, return_inverse=True)[1].ravel()


def _indicators(medicare_fees: pd.DataFrame, code: np.ndarray, pm: np.ndarray,
                day: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """BILAT SURG, ASST SURG, CO-SURG and ENDO BASE of each line (national: the smallest
    locality's row in force on the day; '' where none is on file)."""
    names = ("bilat_surg", "asst_surg", "co_surg", "endo_base")
    want = pd.DataFrame(
        {"i": np.arange(len(code)), "procedure_code": code, "modifier": pm, "day": day}
    )
    mf = medicare_fees[[c for c in ("locality", "procedure_code", "modifier") if c]].copy()
    for name in names:
        column = medicare_fees[name] if name in medicare_fees else pd.Series("", index=mf.index)
        mf[name] = column.astype(object).where(column.notna(), "").astype(str)
    mf["modifier"] = medicare_fees["modifier"].fillna("").astype(str)
    mf["procedure_code"] = medicare_fees["procedure_code"].astype(str)
    start, start_nat = to_days(medicare_fees["effective_from"])
    end, end_nat = to_days(medicare_fees["effective_to"])
    mf["start"] = np.where(start_nat, np.iinfo(np.int64).max, start)
    mf["end"] = np.where(end_nat, np.iinfo(np.int64).max, end)
    hit = want.merge(mf, on=["procedure_code", "modifier"], how="inner")
    hit = hit[(hit["start"] <= hit["day"]) & (hit["day"] < hit["end"])]
    hit = hit.sort_values(["i", "locality"]).drop_duplicates("i")
    out = pd.DataFrame({n: np.full(len(code), "", dtype=object) for n in names})
    for name in names:
        out.loc[hit["i"].to_numpy(), name] = hit[name].to_numpy()
    return out


def _flags(modifiers: pd.Series) -> dict[str, np.ndarray]:
    """Per line: which payment modifiers it carries (each distinct string read once)."""
    codes, uniques = pd.factorize(modifiers.fillna("").astype(str))
    sets = [set(u.split(":")) for u in uniques]
    names = ("50", "RT", "LT", "62", *ASSISTANT)
    table = {n: np.array([n in s for s in sets] or [False], bool) for n in names}
    return {n: v[codes] if len(sets) else np.zeros(len(codes), bool) for n, v in table.items()}


def _texts(values: np.ndarray) -> pd.Series:
    return money_texts(np.asarray(values, np.int64)).reset_index(drop=True)


def _pct(values: np.ndarray | int, n: int) -> pd.Series:
    return percent_x1000_texts(np.broadcast_to(np.asarray(values, np.int64), (n,))).reset_index(
        drop=True
    )


def apply(
    lines: pd.DataFrame,
    found: Found,
    seg: dict[str, np.ndarray],
    t: np.ndarray,
    units: np.ndarray,
    charge: np.ndarray,
    line_key: np.ndarray,
    mult_vocab: list[str],
    medicare_fees: pd.DataFrame,
    reprice: Reprice,
) -> Adjusted | None:
    """Price the lines of ``payment_rules=medicare`` contracts again (module docstring);
    None when there are none."""
    if not seg["rules"].any():
        return None
    at = np.flatnonzero(seg["rules"][t >> 1] & ~seg["rate_na"][t])
    if not at.size:
        return None
    n = len(at)
    tt = t[at]
    ss = tt >> 1
    fixed = seg["basis"][ss] == 0
    pct = seg["percent"][ss]
    u0 = np.where(fixed, seg["rate"][tt], seg["med"][tt]).astype(np.int64)
    u = units[at]
    code = np.array(found.codes, dtype=object)[found.code[at]]
    pm_code = found.pm[at]
    pm = np.array(PRICING_MODIFIERS, dtype=object)[pm_code]
    day = found.day[at].astype(np.int64)
    mult = np.array([*mult_vocab, ""], dtype=object)[seg["mult"][ss]]
    claim = pd.factorize(lines["claim_id"].to_numpy()[at])[0].astype(np.int64)
    keys = line_key[at]
    ind = _indicators(medicare_fees, code, pm, day)
    flags = _flags(lines["modifiers"].iloc[at])
    rule = pd.Series("", index=range(n), dtype=object)
    first_code = np.where(pm_code == 0, code, code + "-" + pm)

    # 2. Multiple-procedure indicators 3, 4, 6, 7.
    u_mp = u0.copy()
    family = np.where(mult == "3", ind["endo_base"].to_numpy(), "")
    kind = np.where(np.isin(mult, list(_MP_NAMES)) & ((mult != "3") | (family != "")), mult, "")
    mp = np.flatnonzero(kind != "")
    if mp.size:
        kind_id = pd.factorize(pd.Series(kind[mp] + ":" + family[mp]))[0]
        g = _groups(claim[mp], day[mp], kind_id)
        r, size, first = rank_within(g, u0[mp] * u[mp], keys[mp])
        reduced = mp[r >= 2]
        nth = pd.Series(r).map({k: ordinal(int(k)) for k in np.unique(r)})
        head = "; " + nth + " " + pd.Series(kind[mp]).map(_MP_NAMES)
        head = head + np.where(kind[mp] == "3", " of base " + family[mp], "")
        head = head + " (1st: " + first_code[mp][first] + ")"
        text = pd.Series("", index=range(len(mp)), dtype=object)
        lead = (r == 1) & (size >= 2)
        text[lead] = (
            "; 1st of " + pd.Series(size[lead]).astype(str).to_numpy() + " "
            + pd.Series(kind[mp][lead]).map(_MP_PLURALS).to_numpy()
            + np.where(kind[mp][lead] == "3", " of base " + family[mp][lead], "")
            + ", in full"
        )  # fmt: skip
        if reduced.size:
            kr = kind[reduced]
            # The amounts the reduction is made of: base code, or TC and 26 components.
            endo = reduced[kr == "3"]
            base = reprice(lines, at[endo], family[endo], pm[endo]) if endo.size else None
            comp = reduced[(kr != "3") & (pm_code[reduced] == 0)]
            tc = reprice(lines, at[comp], code[comp], np.full(comp.size, "TC", object))
            pc = reprice(lines, at[comp], code[comp], np.full(comp.size, "26", object))
            out = u0[reduced].copy()
            words = pd.Series("", index=range(len(reduced)), dtype=object)
            if endo.size:
                i = np.searchsorted(reduced, endo)  # both ascending: positions among reduced
                known = base >= 0
                out[i[known]] = np.maximum(u0[endo][known] - base[known], 0)
                words[i] = np.where(
                    known,
                    " less base " + _texts(np.maximum(base, 0)) + " = " + _texts(out[i]),
                    ": no amount on file for base " + family[endo] + ", not reduced",
                )
            for mk, (tc_pct, pc_pct) in COMPONENT_CUTS.items():
                sel = kr == mk
                if not sel.any():
                    continue
                i = np.flatnonzero(sel)
                rows = reduced[i]
                pmr = pm_code[rows]
                tc_only, pc_only = pmr == 2, pmr == 1
                out_k = out[i]
                out_k[tc_only] = half_up(u0[rows][tc_only], tc_pct)
                out_k[pc_only] = half_up(u0[rows][pc_only], pc_pct)
                tc_t, pc_t = _pct(tc_pct, len(i)), _pct(pc_pct, len(i))
                w = np.where(tc_only, ": TC at " + tc_t, ": PC at " + pc_t).astype(object)
                glob = np.flatnonzero(pmr == 0)
                if glob.size:
                    j = np.searchsorted(comp, rows[glob])
                    t_amt, p_amt = tc[j], pc[j]
                    known = (t_amt >= 0) & (p_amt >= 0)
                    both = half_up(np.maximum(t_amt, 0), tc_pct) + half_up(
                        np.maximum(p_amt, 0), pc_pct
                    )
                    out_k[glob[known]] = both[known]
                    w[glob] = np.where(
                        known,
                        ": TC " + _texts(np.maximum(t_amt, 0)) + " at " + tc_t[glob].to_numpy()
                        + " + PC " + _texts(np.maximum(p_amt, 0)) + " at " + pc_t[glob].to_numpy(),
                        ": components (TC, 26) not on file, not reduced",
                    )  # fmt: skip
                out[i] = out_k
                changed = out_k != u0[rows]
                words[i] = w + np.where(changed | (u0[rows] == 0), " = " + _texts(out_k), "")
            u_mp[reduced] = out
            text[np.flatnonzero(r >= 2)] = head[r >= 2].to_numpy() + words.to_numpy()
        rule[mp] = text.to_numpy()

    # 3. Modifiers: bilateral, assistant at surgery, co-surgeons.
    u1 = u_mp.copy()
    bilat = ind["bilat_surg"].to_numpy()
    side = np.where(flags["RT"] & ~flags["LT"], 1, np.where(flags["LT"] & ~flags["RT"], 2, 0))
    pairable = np.flatnonzero((bilat == "1") & (side > 0) & ~flags["50"])
    second = np.zeros(n, bool)
    partner = np.full(n, -1, np.int64)
    if pairable.size:
        code_id = pd.factorize(code[pairable].astype(str))[0]
        same = _groups(claim[pairable], day[pairable], code_id, pm_code[pairable], side[pairable])
        nth = rank_within(same, np.zeros(pairable.size, np.int64), keys[pairable])[0]
        pair = _groups(claim[pairable], day[pairable], code_id, pm_code[pairable], nth)
        r, size, first = rank_within(pair, np.zeros(pairable.size, np.int64), keys[pairable])
        two = (size == 2) & (r == 2)
        second[pairable[two]] = True
        partner[pairable[two]] = pairable[first[two]]
        partner[pairable[first[two]]] = pairable[two]
    steps: list[tuple[np.ndarray, np.ndarray, pd.Series]] = []
    # Modifier 50: BILAT SURG 1 (or not on file) 150 %, 3 100 % each side, else no uplift.
    uplift = np.where(np.isin(bilat, ["1", ""]), 150_000, np.where(bilat == "3", 200_000, 100_000))
    steps.append(
        (
            flags["50"] | second,
            np.where(second, 50_000, uplift),
            pd.Series(
                np.where(
                    second,
                    "; bilateral (RT+LT), 2nd side: ",
                    np.where(
                        np.isin(bilat, ["1", "3", ""]),
                        "; bilateral (modifier 50): ",
                        "; modifier 50, no bilateral uplift (BILAT SURG " + bilat + "): ",
                    ),
                )
            ),
        )
    )
    asst = np.zeros(n, np.int64)
    asst_name = np.full(n, "", object)
    for name, x in ASSISTANT.items():
        hit = flags[name] & (asst == 0)
        asst[hit] = x
        asst_name[hit] = name
    asst_ind = ind["asst_surg"].to_numpy()
    asst_no = np.isin(asst_ind, ["1", "9"])
    steps.append(
        (
            asst > 0,
            np.where(asst_no, 0, asst),
            pd.Series(
                np.where(
                    asst_no,
                    "; assistant at surgery (" + asst_name + ") not payable (ASST SURG "
                    + asst_ind + "): ",
                    "; assistant at surgery ("
                    + np.where(asst_name == "AS", "AS, non-physician: 85% × 16%", asst_name)
                    + "): ",
                )
            ),
        )
    )  # fmt: skip
    co_ind = ind["co_surg"].to_numpy()
    co_no = np.isin(co_ind, ["0", "9"])
    steps.append(
        (
            flags["62"],
            np.where(co_no, 0, CO_SURGEON),
            pd.Series(
                np.where(
                    co_no,
                    "; co-surgeons (62) not payable (CO-SURG " + co_ind + "): ",
                    "; co-surgeons (62): ",
                )
            ),
        )
    )
    for hit, x, words in steps:
        i = np.flatnonzero(hit)
        if not i.size:
            continue
        before = u1[i]
        u1[i] = half_up(before, x[i])
        rounded = np.where((before * x[i]) % 100_000 != 0, " (rounded half up)", "")
        piece = words[i].reset_index(drop=True) + _pct(x[i], i.size) + " = " + _texts(u1[i])
        rule[i] = (rule[i].reset_index(drop=True) + piece + rounded).to_numpy()

    # 4-5. The percent, units, MPPR (indicator 2) and lesser of.
    rate = np.where(fixed, u1, half_up(u1, pct))
    gross = rate * u
    two = mult_vocab.index("2") if "2" in mult_vocab else -2
    candidate = (seg["mult"][ss] == two) & ~second
    c = np.flatnonzero(candidate)
    rank = np.zeros(n, np.int64)
    n_proc = np.zeros(n, np.int64)
    first_at = np.full(n, -1, np.int64)
    if c.size:
        amount = gross[c] + np.where(partner[c] >= 0, gross[np.maximum(partner[c], 0)], 0)
        r, size, first = rank_within(_groups(claim[c], day[c]), amount, keys[c])
        rank[c], n_proc[c], first_at[c] = r, size, at[c[first]]
        follow = np.flatnonzero(second & (partner >= 0))
        lead = partner[follow]
        rank[follow], n_proc[follow], first_at[follow] = rank[lead], n_proc[lead], first_at[lead]
    mppr = seg["mppr"][ss]
    after = np.where(rank >= 2, half_up(gross, mppr), gross)
    lesser = seg["lesser"][ss]
    ch = charge[at]
    hit = lesser & (ch < after)
    expected = np.where(hit, ch, after)
    return Adjusted(
        at, rate, gross, rank, n_proc, first_at, after, hit, expected, u1,
        rule.to_numpy(dtype=object),
    )  # fmt: skip
