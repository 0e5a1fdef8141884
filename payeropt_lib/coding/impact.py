"""What a coding suggestion is worth: the contract's expected amount for the claim as
suggested, less as billed, priced by the same engine as under-payment detection
(``pricing.expected.expected_allowed``; interface section 5, docs/coding.md).

Each suggestion is priced on a copy of its whole claim (the multiple-procedure reduction
ranks a claim's lines together), once as billed and once with the suggestion applied:
- ``em_level``, a level: the line's code becomes the suggested one;
- ``em_level``, prolonged time (99417, G2212): the add-on line is added, removed or its
  units changed to the suggestion's;
- ``modifier``: the modifier itself prices nothing (25, 59 and X{EPSU} are not pricing
  modifiers); it decides whether the line is paid at all. Adding one makes a line the
  payer would bundle payable; removing one leaves it bundled (paid nothing) when a pair
  rule names it (``rule_id``) or, for a 25, when the claim bills a service besides the
  office visit, and changes nothing otherwise (a 25 with nothing to be separate from);
- ``icd10_specificity``: 0 (no contract prices a diagnosis; specificity avoids denials).

A changed line keeps the billed line's charge when its code stays; a new code's charge is
the practice's highest charge per unit for that code on file (its charge master), so the
contract's lesser-of-charges applies as it would on the claim; a code the practice never
charged is not capped. No contract rate for a line the suggestion changes: NA, never a
guess. Money is int64 cents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from payeropt_lib.pricing.expected import expected_allowed

from .em import LEVEL_OF, PROLONGED_CODES

NO_CAP = np.int64(10**12)  # a charge no rate reaches: lesser-of never applies
# An office visit and its add-ons: a claim of these alone has nothing to bundle a 25 into.
OFFICE_VISIT = [*LEVEL_OF, *PROLONGED_CODES, "G2211"]


def payment_impact(
    suggestions: pd.DataFrame,
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
) -> pd.Series:
    """The payment impact in cents (Int64, NA = no rate for the changed line) of each
    suggestion, on the suggestions' index.

    ``suggestions``: claim_id, line_number, kind, original_code, suggested_code, units,
    direction, rule_id, support. ``charges``: the store's charges frame (claim_id,
    line_number, procedure_code, modifiers, units, charge_cents, primary_payer_id,
    product_line, date_of_service, place_of_service). The rate frames are the store's."""
    out = pd.Series(pd.NA, index=suggestions.index, dtype="Int64")
    if suggestions.empty:
        return out
    s = suggestions.reset_index(drop=True)
    out.iloc[np.flatnonzero(s["kind"].eq("icd10_specificity").to_numpy())] = 0
    priced = s.index[~s["kind"].eq("icd10_specificity")].to_numpy()
    if len(priced) == 0:
        return out
    s = s.loc[priced].assign(sid=priced)
    before = s[["sid", "claim_id"]].merge(_lines(charges), on="claim_id")
    before["_target"] = (
        before["line_number"].to_numpy()
        == before["sid"].map(s.set_index("sid")["line_number"]).to_numpy()
    )
    after = _applied(before, s, _charge_master(charges))
    known = _target_priced(after, contracts, fee_schedules, medicare_fees)
    pays_before, pays_after = _payable(s, before)
    before = before[~(before["_target"] & before["sid"].map(pays_before).eq(False))]
    after = after[~after["_drop"] & ~(after["_target"] & after["sid"].map(pays_after).eq(False))]
    gain = _claim_totals(after, contracts, fee_schedules, medicare_fees)
    loss = _claim_totals(before, contracts, fee_schedules, medicare_fees)
    impact = gain.sub(loss, fill_value=0).reindex(priced, fill_value=0)
    impact = impact.astype("Int64").where(known.reindex(priced, fill_value=False).to_numpy())
    out.iloc[priced] = impact.to_numpy()
    return out


def _lines(charges: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "claim_id": charges["claim_id"],
            "line_number": charges["line_number"].astype("int64"),
            "procedure_code": charges["procedure_code"].astype("str"),
            "modifiers": charges["modifiers"].fillna("").astype("str"),
            "units": charges["units"].astype("int64"),
            "charge_cents": charges["charge_cents"].astype("int64"),
            "payer_id": charges["primary_payer_id"].astype("str"),
            "product_line": charges["product_line"].fillna("").astype("str"),
            "date_of_service": charges["date_of_service"],
            "place_of_service": charges["place_of_service"],
        }
    )


def _charge_master(charges: pd.DataFrame) -> pd.Series:
    """The practice's highest charge per unit for each code on file (cents)."""
    per_unit = charges["charge_cents"].astype("int64") // charges["units"].clip(lower=1)
    return per_unit.groupby(charges["procedure_code"].astype("str")).max()


def _split(code: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A suggestion's code as written (``99213-25``): the procedure and its modifiers
    (':'-joined, as charges hold them)."""
    parts = code.fillna("").astype("str").str.partition("-")
    return parts[0], parts[2].str.replace("-", ":", regex=False)


def _applied(before: pd.DataFrame, s: pd.DataFrame, master: pd.Series) -> pd.DataFrame:
    """The claims' lines with each suggestion applied: ``_target`` marks the line it
    changes (as suggested), ``_drop`` a line it removes."""
    after = before.copy()
    after["_drop"] = False
    sug = s.set_index("sid")
    code, mods = _split(sug["suggested_code"])
    orig, _ = _split(sug["original_code"])
    prolonged = (code.isin(PROLONGED_CODES) | orig.isin(PROLONGED_CODES)).to_numpy()
    sid = after["sid"]
    target = after["_target"].to_numpy()
    on_prolonged = sid.map(pd.Series(prolonged, index=sug.index)).to_numpy(bool)
    # A level or a modifier: the line takes the suggested code as written.
    recode = target & ~on_prolonged
    new_code = sid.map(code).to_numpy(object)
    changed = recode & (after["procedure_code"].to_numpy(object) != new_code)
    after.loc[recode, "procedure_code"] = new_code[recode]
    is_modifier = sid.map(sug["kind"]).eq("modifier").to_numpy()
    after.loc[recode & is_modifier, "modifiers"] = sid.map(mods).to_numpy(object)[
        recode & is_modifier
    ]
    charge = sid.map(master.reindex(code.to_numpy()).set_axis(code.index))
    charge = charge.fillna(NO_CAP).astype("int64") * after["units"]
    after.loc[changed, "charge_cents"] = charge[changed]
    # Prolonged time billed (the suggestion's line is the add-on): new units, or removed.
    billed = target & on_prolonged & sid.map(orig).ne("").to_numpy()
    units = sid.map(sug["units"]).to_numpy("int64")
    per_unit = after["charge_cents"].to_numpy("int64") // after["units"].clip(lower=1).to_numpy()
    removed = billed & sid.map(code).eq("").to_numpy()
    resized = billed & ~removed
    after.loc[resized, "charge_cents"] = (per_unit * units)[resized]
    after.loc[resized, "units"] = units[resized]
    after.loc[removed, "_drop"] = True
    # Prolonged time not billed: a new line beside the E/M line (the suggestion's line).
    fresh = target & on_prolonged & sid.map(orig).eq("").to_numpy()
    if fresh.any():
        host = after[fresh]
        new = host.assign(
            line_number=host["line_number"] + 10_000,
            procedure_code=host["sid"].map(code),
            modifiers="",
            units=host["sid"].map(sug["units"]).astype("int64"),
        )
        new["charge_cents"] = (
            new["procedure_code"].map(master).fillna(NO_CAP).astype("int64") * new["units"]
        )
        after.loc[fresh, "_target"] = False
        after = pd.concat([after, new], ignore_index=True)
    return after


def _payable(s: pd.DataFrame, before: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Whether the suggestion's line is paid as billed and as suggested (by sid): only a
    modifier decides that. Adding one makes the line payable; removing one leaves it
    bundled when a pair rule names it (``rule_id``) or, for a 25, when the claim bills a
    service besides the office visit (the procedure the E/M would be bundled into)."""
    modifier = s["kind"].eq("modifier").to_numpy()
    adds = modifier & s["direction"].eq("up").to_numpy()
    busy = before[~before["_target"] & ~before["procedure_code"].isin(OFFICE_VISIT)]["sid"]
    bundled = s["rule_id"].fillna("").ne("").to_numpy() | s["sid"].isin(busy).to_numpy()
    removes = modifier & s["direction"].eq("down").to_numpy() & bundled
    sid = s["sid"]
    return pd.Series(~adds, index=sid), pd.Series(~removes, index=sid)


def _priced(lines: pd.DataFrame, contracts, fee_schedules, medicare_fees) -> pd.DataFrame:
    frame = lines.reset_index(drop=True)
    engine = pd.DataFrame(
        {
            "line_key": np.arange(len(frame), dtype="int64"),
            "claim_id": frame["sid"].astype("str"),
            "payer_id": frame["payer_id"],
            "product_line": frame["product_line"],
            "procedure_code": frame["procedure_code"],
            "modifiers": frame["modifiers"],
            "units": frame["units"].astype("int64"),
            "charge_cents": frame["charge_cents"].astype("int64"),
            "date_of_service": frame["date_of_service"],
            "place_of_service": frame["place_of_service"],
        }
    )
    priced = expected_allowed(
        engine, contracts, fee_schedules, medicare_fees, explain=False,
        columns=["expected_cents"],
    )  # fmt: skip
    return frame.assign(expected_cents=priced["expected_cents"].to_numpy())


def _claim_totals(lines: pd.DataFrame, contracts, fee_schedules, medicare_fees) -> pd.Series:
    """Each suggestion's claim total (cents; lines without a rate count 0 on both sides)."""
    if lines.empty:
        return pd.Series(dtype="int64")
    priced = _priced(lines, contracts, fee_schedules, medicare_fees)
    return priced["expected_cents"].fillna(0).astype("int64").groupby(priced["sid"]).sum()


def _target_priced(after: pd.DataFrame, contracts, fee_schedules, medicare_fees) -> pd.Series:
    """Whether the line each suggestion changes has a contract rate as suggested (else
    its impact is not known), by sid."""
    touched = after[after["_target"]]
    if touched.empty:
        return pd.Series(dtype="bool")
    priced = _priced(touched, contracts, fee_schedules, medicare_fees)
    return priced["expected_cents"].notna().groupby(priced["sid"]).all()
