"""What a coding suggestion is worth: the contract's expected amount for the claim as
suggested, less as billed, priced by the same engine as under-payment detection
(``pricing.expected.expected_allowed``; interface section 5, docs/coding.md).

Each suggestion is priced on two copies of its whole claim (the multiple-procedure
reduction ranks a claim's lines together): **as billed**, the suggestion's line with its
``original_code`` (so a claim rebilled after the suggestion was accepted still shows what
accepting it was worth), and **as suggested**:
- ``em_level``, a level: the line's code is the original, then the suggested one;
- ``em_level``, prolonged time (99417, G2212): the claim's add-on lines as billed, then
  one add-on line of the suggested code and units (none when the suggestion removes it);
- ``modifier``: 25, 59 and X{EPSU} price nothing themselves; they decide whether the line
  is paid at all. Adding one makes a line the payer would bundle payable (as billed it
  counts as bundled); removing one leaves the line bundled when a pair rule names it
  (``rule_id``) or, for a 25, when the claim bills a minor procedure (global 000 or 010:
  ``modifiers.MINOR_GLOBALS``), and changes nothing otherwise;
- ``icd10_specificity``: 0 (no contract prices a diagnosis; specificity avoids denials).

A line whose code changes is charged the practice's highest charge per unit for its code
(``charge_master``, over every charge on file), so the contract's lesser-of-charges
applies as it would on the claim; a code the practice never charged is not capped. No
contract rate for the line as billed or as suggested, or the line no longer on file: NA,
never a guess. Money is int64 cents.

Not known after a rebill: the prolonged-time units billed before the practice applied a
suggestion (the suggestion keeps the units it suggests, not the ones it replaced); such a
suggestion is priced against the add-on lines on file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from payeropt_lib.pricing.expected import engine_lines, expected_allowed

from .em import PROLONGED_CODES
from .modifiers import MINOR_GLOBALS

NO_CAP = np.int64(10**12)  # a charge no rate reaches: lesser-of never applies
# Offsets that keep the lines a suggestion adds apart from the claim's own.
ADDED_LINE = 10_000


def charge_master(charges: pd.DataFrame) -> pd.Series:
    """The practice's highest charge per unit (cents) for each code on file:
    ``charges`` procedure_code, units, charge_cents."""
    per_unit = charges["charge_cents"].astype("int64") // charges["units"].clip(lower=1)
    return per_unit.groupby(charges["procedure_code"].astype("str")).max()


def payment_impact(
    suggestions: pd.DataFrame,
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    *,
    master: pd.Series | None = None,
    global_days: pd.DataFrame | None = None,
) -> pd.Series:
    """The payment impact in cents (Int64, NA = no rate for a line it changes) of each
    suggestion, on the suggestions' index.

    ``suggestions``: claim_id, line_number, kind, original_code, suggested_code, units,
    direction, rule_id. ``charges``: the store's charges of (at least) the suggestions'
    claims. ``master``: ``charge_master`` over every charge of the practice (default:
    over ``charges``). ``global_days``: procedure_code, glob_days (default: none known,
    so only a pair rule bundles a line). The rate frames are the store's."""
    out = pd.Series(pd.NA, index=suggestions.index, dtype="Int64")
    if suggestions.empty:
        return out
    s = suggestions.reset_index(drop=True)
    out.iloc[np.flatnonzero(s["kind"].eq("icd10_specificity").to_numpy())] = 0
    priced = np.flatnonzero(~s["kind"].eq("icd10_specificity").to_numpy())
    if len(priced) == 0:
        return out
    s = s.iloc[priced].assign(sid=priced).set_index("sid", drop=False)
    master = charge_master(charges) if master is None else master
    claims = s[["sid", "claim_id"]].merge(_lines(charges), on="claim_id")
    before, after = _as_billed(claims, s, master), _as_suggested(claims, s, master)
    known = _priced_targets(before, after, contracts, fee_schedules, medicare_fees)
    bundled_before, bundled_after = _bundled(s, claims, global_days)
    before = before[~(before["_target"] & before["sid"].map(bundled_before).to_numpy(bool))]
    after = after[~(after["_target"] & after["sid"].map(bundled_after).to_numpy(bool))]
    gain = _totals(after, contracts, fee_schedules, medicare_fees)
    loss = _totals(before, contracts, fee_schedules, medicare_fees)
    impact = gain.sub(loss, fill_value=0).reindex(priced, fill_value=0).astype("Int64")
    # A suggestion whose line is no longer on file changes nothing found: not known.
    out.iloc[priced] = impact.where(known.reindex(priced, fill_value=False).to_numpy())
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


def _split(code: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A suggestion's code as written (``99213-25``): the procedure and its modifiers
    (':'-joined, as charges hold them)."""
    text = code.fillna("").astype("str")
    modifiers = text.str.replace(r"^[^-]*-?", "", regex=True).str.replace("-", ":")
    return text.str.replace(r"-.*$", "", regex=True), modifiers


def _is_prolonged(s: pd.DataFrame) -> pd.Series:
    original, suggested = _split(s["original_code"])[0], _split(s["suggested_code"])[0]
    return original.isin(PROLONGED_CODES) | suggested.isin(PROLONGED_CODES)


def _recoded(claims: pd.DataFrame, s: pd.DataFrame, column: str, master: pd.Series):  # noqa: ANN202
    """The claims with each level or modifier suggestion's line written as ``column``
    (original_code or suggested_code) says; ``_target`` marks that line."""
    out = claims.copy()
    level = ~out["sid"].map(_is_prolonged(s)).to_numpy(bool)
    on_line = out["line_number"].to_numpy() == out["sid"].map(s["line_number"]).to_numpy()
    target = level & on_line
    code, mods = _split(s[column])
    new_code = out["sid"].map(code).to_numpy(object)
    changed = target & (out["procedure_code"].to_numpy(object) != new_code)
    out.loc[target, "procedure_code"] = new_code[target]
    out.loc[target, "modifiers"] = out["sid"].map(mods).to_numpy(object)[target]
    per_unit = out["procedure_code"].map(master).fillna(NO_CAP).astype("int64")
    out.loc[changed, "charge_cents"] = (per_unit * out["units"])[changed]
    out["_target"] = target
    return out


def _with_add_on(lines: pd.DataFrame, s: pd.DataFrame, column: str, units, master):  # noqa: ANN001, ANN202
    """The prolonged-time suggestions' claims: their add-on lines replaced by one line of
    ``column``'s code and ``units`` (a Series by sid; none when the code is blank)."""
    prolonged = s[_is_prolonged(s)]
    if prolonged.empty:
        return lines
    mine = lines["sid"].isin(prolonged.index).to_numpy()
    add_on = mine & lines["procedure_code"].isin(PROLONGED_CODES).to_numpy()
    host = lines[mine & (lines["line_number"].to_numpy()
                         == lines["sid"].map(s["line_number"]).to_numpy())]  # fmt: skip
    host = host.drop_duplicates("sid")
    code = _split(prolonged[column])[0]
    new = host.assign(
        line_number=lines["line_number"].max() + ADDED_LINE,
        procedure_code=host["sid"].map(code).to_numpy(object),
        modifiers="",
        units=host["sid"].map(units).astype("int64").to_numpy(),
        _target=True,
    )
    new = new[new["procedure_code"].ne("") & new["units"].gt(0)]
    new["charge_cents"] = (
        new["procedure_code"].map(master).fillna(NO_CAP).astype("int64") * (new["units"])
    )
    return pd.concat([lines[~add_on], new], ignore_index=True)


def _as_billed(claims: pd.DataFrame, s: pd.DataFrame, master: pd.Series) -> pd.DataFrame:
    """Each suggestion's claim as billed: its line with the original code; for prolonged
    time, the add-on lines of the original code as on file (none when it was not billed)."""
    out = _recoded(claims, s, "original_code", master)
    prolonged = s[_is_prolonged(s)]
    code = _split(prolonged["original_code"])[0]
    billed = out[out["sid"].isin(prolonged.index) & out["procedure_code"].isin(PROLONGED_CODES)]
    billed = billed[billed["procedure_code"].to_numpy(object)
                    == billed["sid"].map(code).to_numpy(object)]  # fmt: skip
    units = billed.groupby("sid")["units"].sum().reindex(prolonged.index, fill_value=0)
    return _with_add_on(out, s, "original_code", units, master)


def _as_suggested(claims: pd.DataFrame, s: pd.DataFrame, master: pd.Series) -> pd.DataFrame:
    """Each suggestion's claim as suggested."""
    out = _recoded(claims, s, "suggested_code", master)
    return _with_add_on(out, s, "suggested_code", s["units"], master)


def _bundled(
    s: pd.DataFrame, claims: pd.DataFrame, global_days: pd.DataFrame | None
) -> tuple[pd.Series, pd.Series]:
    """Whether the suggestion's line counts as bundled (paid nothing) as billed and as
    suggested, by sid: only a modifier decides that (module docstring)."""
    modifier = s["kind"].eq("modifier")
    adds = modifier & s["direction"].eq("up")
    minor = pd.Series(dtype="str") if global_days is None else global_days.loc[
        global_days["glob_days"].isin(MINOR_GLOBALS), "procedure_code"
    ]  # fmt: skip
    procedure_day = claims.loc[claims["procedure_code"].isin(minor), "sid"].unique()
    is_25 = _split(s["original_code"])[1].str.contains(r"(?:^|:)25(?::|$)", regex=True)
    named = s["rule_id"].fillna("").ne("") | (is_25 & s["sid"].isin(procedure_day))
    removes = modifier & s["direction"].eq("down") & named
    return adds, removes


def _priced(lines: pd.DataFrame, contracts, fee_schedules, medicare_fees) -> pd.DataFrame:
    """``lines`` with each one's expected_cents; a suggestion's claim copy (``sid``) is
    one claim to the engine (``expected.engine_lines``, the one adapter)."""
    frame = lines.reset_index(drop=True)
    priced = expected_allowed(
        engine_lines(frame, frame["sid"]), contracts, fee_schedules, medicare_fees,
        explain=False, columns=["expected_cents"],
    )  # fmt: skip
    return frame.assign(expected_cents=priced["expected_cents"].to_numpy())


def _totals(lines: pd.DataFrame, contracts, fee_schedules, medicare_fees) -> pd.Series:
    """Each suggestion's claim total (cents; lines without a rate count 0 on both sides)."""
    if lines.empty:
        return pd.Series(dtype="int64")
    priced = _priced(lines, contracts, fee_schedules, medicare_fees)
    return priced["expected_cents"].fillna(0).astype("int64").groupby(priced["sid"]).sum()


def _priced_targets(before, after, contracts, fee_schedules, medicare_fees) -> pd.Series:  # noqa: ANN001
    """Whether every line a suggestion changes has a contract rate as billed and as
    suggested (else its impact is not known), by sid."""
    touched = pd.concat([before[before["_target"]], after[after["_target"]]], ignore_index=True)
    if touched.empty:
        return pd.Series(dtype="bool")
    priced = _priced(touched, contracts, fee_schedules, medicare_fees)
    return priced["expected_cents"].notna().groupby(priced["sid"]).all()
