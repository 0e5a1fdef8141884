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

from payeropt_lib.formats import money_texts, percent_x1000_texts
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
    mppr_rank, mppr_percent_x1000, percent_x1000, medicare_cents, rate_from,
    earlier_expected_cents (what the previous rate period would have paid, NA if none),
    procedure_code, remit_id, payer_id, contract_basis, charge_cents.
    Adds cause (a key of ``CAUSES``, '' for other outcomes) and evidence (a sentence with the
    numbers). Checks run from the most specific to the least; the first that fits wins.
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

    def near(a: pd.Series, b: pd.Series) -> pd.Series:
        return _flag((a - b).abs().le(1))

    earlier = f["earlier_expected_cents"].astype("Int64")
    mppr_pct = f["mppr_percent_x1000"].fillna(50_000).astype("int64")
    reduced = pd.Series(half_up_div(expected.fillna(0) * mppr_pct, 100_000), index=f.index)
    one_unit = pd.Series(
        np.minimum(f["rate_cents"].fillna(0).astype("int64"), expected.fillna(0)), index=f.index
    )
    # SVC05 below the billed units is the payer saying so; without it, 1-unit pay is a guess.
    fewer_units = _flag(f["units_paid_x1000"].astype("Int64") < units * 1000, missing=True)
    medicare_total = f["medicare_cents"].fillna(0).astype("int64") * units
    implied_x1000 = pd.Series(
        np.where(medicare_total > 0, (allowed * 100_000) // medicare_total.clip(lower=1), 0),
        index=f.index,
    )
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

    # (cause, condition, evidence for the lines m it explains), most specific first.
    rules = [
        (
            "earlier_rate",
            under & earlier.notna() & _flag(earlier.ne(expected)) & near(allowed, earlier),
            lambda m: (
                "allowed "
                + money(allowed, m)
                + " is what the rate before "
                + pd.to_datetime(f["rate_from"][m]).dt.strftime("%Y-%m-%d").fillna("?")
                + " pays ("
                + money(earlier, m)
                + "); the contract in force pays "
                + money(expected, m)
            ),
        ),
        (
            "units_ignored",
            under & units.gt(1) & fewer_units & near(allowed, one_unit),
            lambda m: (
                "allowed "
                + money(allowed, m)
                + " pays 1 unit of "
                + units[m].astype(str)
                + "; expected "
                + money(expected, m)
            ),
        ),
        (
            "mppr_on_primary",
            under & _flag(f["mppr_rank"].eq(1)) & near(allowed, reduced),
            lambda m: (
                "allowed "
                + money(allowed, m)
                + " = "
                + (mppr_pct[m] // 1000).astype(str)
                + "% of "
                + money(expected, m)
                + " on the highest-priced procedure of the day"
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
            & medicare_total.gt(0)
            & (implied_x1000 - contract_pct).abs().ge(500),
            lambda m: (
                "allowed "
                + money(allowed, m)
                + " is "
                + percent_x1000_texts(implied_x1000[m], 1)
                + " of Medicare "
                + money(medicare_total, m)
                + "; the contract says "
                + percent_x1000_texts(contract_pct[m], 1)
            ),
        ),
        (
            "below_contract",
            under,
            lambda m: (
                "allowed "
                + money(allowed, m)
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
                "allowed "
                + money(allowed, m)
                + " is above the billed charge "
                + money(f["charge_cents"], m)
            ),
        ),
        (
            "above_contract",
            over,
            lambda m: (
                "allowed "
                + money(allowed, m)
                + " is "
                + money(f["variance_cents"].fillna(0), m)
                + " above expected "
                + money(expected, m)
            ),
        ),
        (
            "no_rate",
            outcome.eq("no_rate"),
            lambda m: (
                "no contracted rate on file for "
                + f["procedure_code"][m].astype(str)
                + " on the date of service"
            ),
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


def _flag(values: pd.Series, missing: bool = False) -> pd.Series:
    """A nullable comparison as plain bools (NA → ``missing``)."""
    return values.astype("boolean").fillna(missing).astype(bool)
