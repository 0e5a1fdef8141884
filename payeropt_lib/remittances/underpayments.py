"""Comparing remitted lines with their contract: under-, over-paid, denied, bundled.

Frames in, frames out; no I/O. Interface §3: a line is under-paid when the payer's
allowed amount is below the expected allowed amount by more than the tolerance (the larger
of $0.50 and 0.5 % of expected); denied and bundled lines are denials, not under-payments;
sequestration and patient responsibility never make an under-payment (they are part of
allowed).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from payeropt_lib.formats import money_texts, ordinal, percent_x1000_texts
from payeropt_lib.money import half_up_div
from payeropt_lib.pricing.tolerance import beyond
from payeropt_lib.reference.carcs import (
    BUNDLING_CARCS,
    BUNDLING_RARCS,
    DENIAL_CARCS,
    SEQUESTRATION,
)
from payeropt_lib.reference.claim_status import DENIED, primary_adjudication

logger = logging.getLogger(__name__)

CAUSES = {
    "earlier_rate": "paid at an earlier period's rate",
    "percent_of_medicare": "paid at a different percent of Medicare than contracted",
    "mppr_on_primary": "multiple-procedure reduction applied to the primary procedure",
    "units_ignored": "units ignored",
    "flat_rate": "flat rate across codes",
    "below_contract": "paid below the contracted rate",
    "above_contract": "paid above the contracted rate",
    "above_charge": "paid above the billed charge",
    "no_rate": "no rate on file",
}


def line_adjustment_totals(adjustments: pd.DataFrame) -> pd.DataFrame:
    """Per remitted line: patient responsibility, sequestration and the main denial reason.

    Needs: remit_id, claim_seq, line_seq, group_code, reason, amount_cents.
    Returns one row per (remit_id, claim_seq, line_seq): patient_resp_cents,
    sequestration_cents, bundled (bool), refused (bool: a ``DENIAL_CARCS`` reason under
    any group), denial_carc (the non-PR reason with the largest amount; else the refusing
    reason with the largest amount, PR included; NA if neither), denial_group. Sums only:
    the label list is ``carc_labels``.
    """
    keys = ["remit_id", "claim_seq", "line_seq"]
    adj = adjustments.assign(
        pr=adjustments["amount_cents"].where(adjustments["group_code"] == "PR", 0),
        seq=adjustments["amount_cents"].where(adjustments["reason"] == SEQUESTRATION, 0),
        bundling=adjustments["reason"].isin(BUNDLING_CARCS),
        refusing=adjustments["reason"].isin(DENIAL_CARCS),
    )
    grouped = adj.groupby(keys, sort=False)
    out = pd.DataFrame(
        {
            "patient_resp_cents": grouped["pr"].sum(),
            "sequestration_cents": grouped["seq"].sum(),
            "bundled": grouped["bundling"].any(),
            "refused": grouped["refusing"].any(),
        }
    )
    by_amount = adj.sort_values("amount_cents", ascending=False, kind="stable")
    reason = ["reason", "group_code"]
    main = by_amount[(by_amount["group_code"] != "PR") & (by_amount["reason"] != SEQUESTRATION)]
    main = main.drop_duplicates(keys).set_index(keys)[reason]
    refusing = by_amount[by_amount["refusing"]].drop_duplicates(keys).set_index(keys)[reason]
    top = main.combine_first(refusing).rename(
        columns={"reason": "denial_carc", "group_code": "denial_group"}
    )
    return out.join(top, how="left").reset_index()


def carc_labels(adjustments: pd.DataFrame, lines: pd.DataFrame) -> pd.Series:
    """'CO-97;PR-1' for each of ``lines`` (remit_id, claim_seq, line_seq), in CAS order.

    Joined per line in Python, so call it for the few lines that need it (denials).
    """
    keys = ["remit_id", "claim_seq", "line_seq"]
    wanted = adjustments.merge(lines[keys].drop_duplicates(), on=keys, how="inner")
    labels = (
        (wanted["group_code"] + "-" + wanted["reason"])
        .groupby([wanted[k] for k in keys], sort=False)
        .agg(";".join)
    )
    index = pd.MultiIndex.from_frame(lines[keys])
    return pd.Series(labels.reindex(index).to_numpy(), index=lines.index).fillna("")


def refused(lines: pd.DataFrame) -> pd.Series:
    """Lines the payer refused: nothing paid, and a reason that refuses payment
    (``DENIAL_CARCS``) under any group code. Needs: paid_cents, refused (NA = no CAS)."""
    return lines["paid_cents"].eq(0) & lines["refused"].astype("boolean").fillna(False).astype(
        bool
    )


def allowed_amounts(lines: pd.DataFrame) -> pd.Series:
    """AMT*B6 when sent, else paid + patient responsibility + sequestration (interface §3);
    0 for a refused line (``refused``): a timely-filing denial that leaves the charge to
    the patient (PR-29) allowed nothing, whatever its PR amount.

    Needs: amt_b6_cents (Int64), paid_cents, patient_resp_cents, sequestration_cents,
    refused.
    """
    derived = lines["paid_cents"] + lines["patient_resp_cents"] + lines["sequestration_cents"]
    derived = derived.where(~refused(lines), 0)
    return lines["amt_b6_cents"].fillna(derived).astype("int64")


def denial_classes(lines: pd.DataFrame) -> pd.Series:
    """'bundled', 'denied' or NA for each remitted line, from the 835 alone (no price).

    Bundled: CARC 97/234/236 or remark N390/N20/N19. Denied: nothing paid with a refusing
    reason under any group (``refused``), allowed and paid 0 with a non-PR reason, or the
    claim denied (CLP02 = 4). Needs: status, allowed_cents, paid_cents, bundled, refused,
    denial_carc, remark_codes. Decided before pricing, as denied and bundled lines take no
    multiple-procedure rank (interface §3).
    """
    rarc_pattern = r"(?:^|;)(?:" + "|".join(sorted(BUNDLING_RARCS)) + r")(?:;|$)"
    bundled_rarc = lines["remark_codes"].fillna("").str.contains(rarc_pattern, regex=True)
    zero = lines["allowed_cents"].eq(0) & lines["paid_cents"].eq(0)
    bundled = lines["bundled"].fillna(False).astype(bool) | bundled_rarc.astype(bool)
    denied = (zero & lines["denial_carc"].notna()) | refused(lines) | lines["status"].eq(DENIED)
    out = np.select(
        [_flag(bundled).to_numpy(dtype=bool), _flag(denied).to_numpy(dtype=bool)],
        ["bundled", "denied"],
        default="",
    )
    return pd.Series(out, index=lines.index, dtype="str").replace("", pd.NA)


def classify(lines: pd.DataFrame) -> pd.DataFrame:
    """Decide what each remitted line is.

    Needs: status (CLP02), is_reversal, line_number (NA = unmatched), payer_id (NA =
    unknown), primary_payer_id, allowed_cents, expected_cents (Int64, NA = no rate),
    contract_basis (NA = no contract), charge_cents (billed, from the 835), and
    ``denial_class`` (``denial_classes``).
    Adds ``outcome``: one of reversal, unmatched, unknown_payer, not_primary, bundled,
    denied, no_contract, no_rate, underpaid, overpaid, ok; and variance_cents.
    """
    denial = lines["denial_class"]
    expected = lines["expected_cents"]
    variance = (lines["allowed_cents"] - expected).astype("Int64")
    out_of_tolerance = beyond(variance, expected)
    conditions = [
        _flag(lines["is_reversal"]),
        lines["line_number"].isna(),
        lines["payer_id"].isna(),
        ~primary_adjudication(lines["status"], lines["payer_id"].eq(lines["primary_payer_id"])),
        _flag(denial.eq("bundled")),
        _flag(denial.eq("denied")),
        lines["contract_basis"].isna(),
        expected.isna(),
        out_of_tolerance & _flag(variance < 0),
        out_of_tolerance & _flag(variance > 0),
    ]
    choices = [
        "reversal",
        "unmatched",
        "unknown_payer",
        "not_primary",
        "bundled",
        "denied",
        "no_contract",
        "no_rate",
        "underpaid",
        "overpaid",
    ]
    outcome = np.select([c.to_numpy(dtype=bool) for c in conditions], choices, default="ok")
    return lines.assign(outcome=outcome, variance_cents=variance)


def likely_causes(found: pd.DataFrame) -> pd.DataFrame:
    """A likely cause and its evidence for each under- or over-paid line.

    Needs the ``classify`` output plus: units, units_paid_x1000 (SVC05), rate_cents,
    gross_cents, mppr_rank, mppr_percent_x1000, percent_x1000, medicare_cents, rate_from,
    earlier_expected_cents (what the previous rate period would have paid, NA if none),
    billed_code and billed_modifiers (else procedure_code and modifiers), remit_id,
    payer_id, contract_basis, charge_cents.
    Adds cause (a key of ``CAUSES``, '' for other outcomes) and evidence (a sentence with the
    numbers). Checks run from the most specific to the least; the first that fits wins, and
    a cause is named only when its evidence fits the allowed amount to the cent (interface
    §3's rounding: the per-unit rate, the line, the reduced line); otherwise the line was
    paid below (or above) the contract.
    """
    flagged = found["outcome"].isin(["underpaid", "overpaid", "no_rate"]).to_numpy()
    if not flagged.any():
        return found.assign(cause="", evidence="")
    # Conditions are worked out for the flagged lines only, and each sentence only for the
    # lines whose cause it explains, not for every line posted.
    f = found[flagged]
    allowed = f["allowed_cents"].astype("int64")
    expected = f["expected_cents"].astype("Int64")
    outcome = f["outcome"]
    under = outcome.eq("underpaid")
    over = outcome.eq("overpaid")
    units = f["units"].fillna(1).astype("int64")
    rank = f["mppr_rank"].astype("Int64")
    mppr_pct = f["mppr_percent_x1000"].fillna(50_000).astype("int64")
    reduced = _flag(rank.ge(2))  # the engine reduced this line (2nd or later procedure)
    label = _code_labels(f)

    def priced(per_unit: pd.Series, n: pd.Series) -> pd.Series:
        """What ``n`` units at ``per_unit`` come to, reduced where the line was reduced."""
        line = per_unit.astype("int64") * n
        cut = pd.Series(half_up_div(line * mppr_pct, 100_000), index=f.index)
        return line.where(~reduced, cut)

    earlier = f["earlier_expected_cents"].astype("Int64")
    # SVC05 below the billed units is the payer saying so; without it, 1-unit pay is a guess.
    fewer_units = _flag(f["units_paid_x1000"].astype("Int64") < units * 1000, missing=True)
    one_unit = priced(f["rate_cents"].fillna(0), pd.Series(1, index=f.index))
    gross = f["gross_cents"].astype("Int64").fillna(0).astype("int64")
    primary_cut = pd.Series(half_up_div(gross * mppr_pct, 100_000), index=f.index)
    percent_x1000, medicare_base = _paid_percent(f, allowed, units, reduced, mppr_pct, priced)
    contract_pct = f["percent_x1000"].fillna(0).astype("int64")
    codes_at_amount = pd.Series(0, index=f.index, dtype="int64")
    if under.any():
        u = f[under]
        codes_at_amount[under] = (
            u.groupby([u["remit_id"], u["payer_id"], allowed[under]], dropna=False)[
                "procedure_code"
            ]
            .transform("nunique")
            .astype("int64")
        )

    def money(cents: pd.Series, m: np.ndarray) -> pd.Series:
        return money_texts(cents[m], na="n/a")

    def allowed_for(m: np.ndarray) -> pd.Series:
        return "allowed " + money(allowed, m) + " for " + label[m]

    def place(m: np.ndarray) -> pd.Series:
        """'' or ' (2nd procedure at 50%)': where a reduced line stands."""
        text = (
            " ("
            + rank[m].fillna(0).astype("int64").map(ordinal)
            + " procedure at "
            + percent_x1000_texts(mppr_pct[m])
            + ")"
        )
        return text.where(reduced[m], "")

    # (cause, condition, evidence for the lines m it explains), most specific first.
    rules = [
        (
            "earlier_rate",
            under & earlier.notna() & _flag(earlier.ne(expected)) & _flag(allowed.eq(earlier)),
            lambda m: (
                allowed_for(m)
                + " is what the rate before "
                + pd.to_datetime(f["rate_from"][m]).dt.strftime("%Y-%m-%d").fillna("?")
                + " pays; the contract in force pays "
                + money(expected, m)
            ),
        ),
        (
            "units_ignored",
            under
            & units.gt(1)
            & fewer_units
            & allowed.eq(one_unit)
            & _flag(one_unit.lt(expected)),
            lambda m: (
                allowed_for(m)
                + place(m)
                + " pays 1 unit of "
                + units[m].astype(str)
                + "; expected "
                + money(expected, m)
                + " for "
                + units[m].astype(str)
                + " units"
            ),
        ),
        (
            "mppr_on_primary",
            under & _flag(rank.eq(1)) & gross.gt(0) & allowed.eq(primary_cut),
            lambda m: (
                allowed_for(m)
                + " = "
                + percent_x1000_texts(mppr_pct[m])
                + " of "
                + money(gross, m)
                + ", but it is the 1st procedure of the day, paid in full"
            ),
        ),
        (
            "flat_rate",
            under & codes_at_amount.ge(3),
            lambda m: (
                "the payer allowed "
                + money(allowed, m)
                + " for "
                + codes_at_amount[m].astype(str)
                + " different codes on this remittance"
            ),
        ),
        (
            "percent_of_medicare",
            under
            & _flag(f["contract_basis"].eq("medicare_percent"))
            & _flag(percent_x1000.notna())
            & _flag(percent_x1000.ne(contract_pct)),
            lambda m: (
                allowed_for(m)
                + " is "
                + percent_x1000_texts(percent_x1000[m].fillna(0))
                + " of Medicare "
                + money(medicare_base, m)
                + _units_text(units[m])
                + place(m)
                + "; the contract says "
                + percent_x1000_texts(contract_pct[m])
            ),
        ),
        (
            "below_contract",
            under,
            lambda m: (
                allowed_for(m)
                + _units_text(units[m])
                + place(m)
                + " is "
                + money(-f["variance_cents"].fillna(0), m)
                + " below expected "
                + money(expected, m)
            ),
        ),
        (
            "above_charge",
            over & allowed.gt(f["charge_cents"]),
            lambda m: (
                allowed_for(m) + " is above the billed charge " + money(f["charge_cents"], m)
            ),
        ),
        (
            "above_contract",
            over,
            lambda m: (
                allowed_for(m)
                + _units_text(units[m])
                + place(m)
                + " is "
                + money(f["variance_cents"].fillna(0), m)
                + " above expected "
                + money(expected, m)
            ),
        ),
        (
            "no_rate",
            outcome.eq("no_rate"),
            lambda m: "no contracted rate on file for " + label[m] + " on the date of service",
        ),
    ]
    conditions = [cond.to_numpy(dtype=bool) for _, cond, _ in rules]
    chosen = np.select(conditions, np.arange(len(rules)), default=-1)
    names = np.array([name for name, _, _ in rules] + [""], dtype=object)
    texts = np.full(len(f), "", dtype=object)
    for k, (_, _, text) in enumerate(rules):  # one vectorized sentence per cause
        m = chosen == k
        if m.any():
            texts[m] = text(m).to_numpy(dtype=object)
    cause = np.full(len(found), "", dtype=object)
    evidence = np.full(len(found), "", dtype=object)
    cause[flagged] = names[chosen]
    evidence[flagged] = texts
    return found.assign(cause=cause, evidence=evidence)


def _code_labels(f: pd.DataFrame) -> pd.Series:
    """'73562-26', '20610-RT-59', '99213': the billed code with its modifiers, so a
    component line never reads like the global code."""
    code = f["billed_code"] if "billed_code" in f else f["procedure_code"]
    mods = f["billed_modifiers"] if "billed_modifiers" in f else f["modifiers"]
    dashed = mods.fillna("").astype(str).str.replace(r"[:;,\s]+", "-", regex=True).str.strip("-")
    return code.astype(str) + dashed.where(dashed.eq(""), "-" + dashed)


def _units_text(units: pd.Series) -> pd.Series:
    """'' for one unit, ' (2 units)' for more."""
    return (" (" + units.astype(str) + " units)").where(units.gt(1), "")


# Percents a payer is taken to have paid at: whole and half percents (in thousandths).
_HALF_PERCENT = 500
_TENTH_PERCENT = 100


def _paid_percent(
    f: pd.DataFrame,
    allowed: pd.Series,
    units: pd.Series,
    reduced: pd.Series,
    mppr_pct: pd.Series,
    priced,  # noqa: ANN001 - the closure of likely_causes: per-unit cents, units -> line
) -> tuple[pd.Series, pd.Series]:
    """The percent of Medicare the allowed amount is, where one fits it to the cent.

    A percent p fits when pricing the line at p, as the engine prices (per-unit rate =
    Medicare × p half up, × units, reduced where the line was reduced), gives the allowed
    amount exactly. Tried: the nearest whole or half percent; then the nearest tenth,
    which counts only when another flagged line of the same payer on the same remittance
    fits the same tenth. Returns the percent (Int64 thousandths, NA where none fits) and
    the Medicare base it is of (Medicare amount × units), same index.
    """
    medicare = f["medicare_cents"].astype("Int64").fillna(0).astype("int64")
    base = medicare * units
    cut = pd.Series(half_up_div(base * mppr_pct, 100_000), index=f.index)
    reduced_base = base.where(~reduced, cut)
    usable = reduced_base.gt(0)
    # Only a guess to try (the ratio in floating point); the check below is exact.
    ratio = allowed.to_numpy(dtype="float64") / reduced_base.clip(lower=1).to_numpy("float64")

    def fitting(step: int) -> tuple[pd.Series, pd.Series]:
        guess = pd.Series(np.rint(ratio * 100_000 / step).astype("int64") * step, index=f.index)
        per_unit = pd.Series(half_up_div(medicare * guess, 100_000), index=f.index)
        return guess, usable & guess.gt(0) & priced(per_unit, units).eq(allowed)

    half, fits_half = fitting(_HALF_PERCENT)
    tenth, fits_tenth = fitting(_TENTH_PERCENT)
    keys = [f["remit_id"], f["payer_id"].fillna(""), tenth]
    shared = fits_tenth.groupby(keys, dropna=False).transform("sum").ge(2) & fits_tenth
    percent = half.where(fits_half, tenth).astype("Int64").where(fits_half | shared, pd.NA)
    return percent, base


def _flag(values: pd.Series, missing: bool = False) -> pd.Series:
    """A nullable comparison as plain bools (NA → ``missing``)."""
    return values.astype("boolean").fillna(missing).astype(bool)
