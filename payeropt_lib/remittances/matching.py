"""Which payment, payer and charge line each part of an 835 is.

A payment is known by its sender, ISA13, TRN02 and payer (``payment_keys``: the same
payment sent twice has the same key). The 835's payer becomes the practice's payer
through ``payer_aliases`` (``map_payers``). A remitted line finds its charge line by
REF*6R, else by procedure code, modifiers, date of service and order (``match_lines``,
interface section 2). Frames in, frames out; no store access.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from payeropt_lib.inputs.aliases import normalize_alias


def payment_keys(txns: pd.DataFrame) -> pd.Series:
    """Sender, ISA13, TRN02 and the payer: the same payment posted twice has the same key."""
    payer = txns["trace_payer_id"].fillna(txns["payer_id"]).fillna(txns["payer_name"]).fillna("")
    return (
        txns["isa_sender_id"].fillna("")
        + "|"
        + txns["isa_control"].fillna("")
        + "|"
        + txns["trace_number"].fillna("")
        + "|"
        + payer.astype(str)
    )


def map_payers(txns: pd.DataFrame, aliases: pd.DataFrame, contract_payers: pd.Index) -> pd.Series:
    """The practice's payer_id for each transaction (NA = unknown).

    Tried in order: REF*2U, TRN03, N1*PR id, N1*PR name against payer_aliases, then the
    N1*PR id as a practice payer_id itself.
    """
    lookup = dict(zip(aliases["alias"], aliases["payer_id"], strict=True))
    found = pd.Series(pd.NA, index=txns.index, dtype="object")
    for column in ("payer_ref_2u", "trace_payer_id", "payer_id", "payer_name"):
        keys = normalize_alias(txns[column].astype("object").where(txns[column].notna(), ""))
        found = found.fillna(keys.map(lookup))
    direct = txns["payer_id"].where(txns["payer_id"].isin(contract_payers))
    return found.fillna(direct)


def sorted_modifiers(values: pd.Series) -> pd.Series:
    """'59:RT' and 'RT:59' alike: the modifiers in sorted order, ':'-joined.

    Sorted once per distinct value (a file has a few dozen modifier combinations), then
    spread back to every line through the factorized codes.
    """
    codes, distinct = pd.factorize(values.fillna(""), use_na_sentinel=False)
    canonical = np.array(
        [":".join(sorted(p for p in str(v).split(":") if p)) for v in distinct] or [""],
        dtype=object,
    )
    return pd.Series(canonical[codes], index=values.index, dtype=object)


def match_keys(lines: pd.DataFrame) -> pd.DataFrame:
    """The keys a remitted line is matched on besides REF*6R: the code and modifiers the
    practice submitted (SVC06 when the payer changed them, else SVC01) and the line's date
    of service (DTM*472, else the line's period start, else the claim's statement start).

    Needs: submitted_code, procedure_code, submitted_modifiers, modifiers, service_date,
    service_from, statement_from. Adds match_code, match_modifiers, match_date.
    """
    return lines.assign(
        match_code=lines["submitted_code"].fillna(lines["procedure_code"]),
        match_modifiers=sorted_modifiers(lines["submitted_modifiers"].fillna(lines["modifiers"])),
        match_date=lines["service_date"]
        .fillna(lines["service_from"])
        .fillna(lines["statement_from"]),
    )


def match_lines(lines: pd.DataFrame, charges: pd.DataFrame) -> pd.DataFrame:
    """The charge line_number of each remitted line (NA = unmatched) and how it matched.

    First REF*6R = line_control_number within the claim; the rest by submitted procedure
    code, modifiers (in any order), date of service and order of appearance within the
    payment (a claim paid twice in one file matches its charge lines in each payment).
    Needs lines: claim_id, line_seq, remit_id, claim_seq, line_control_number, match_code,
    match_modifiers, match_date. Adds line_number and match_method.
    """
    out = lines.copy()
    out["line_number"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["match_method"] = pd.Series(pd.NA, index=out.index, dtype="object")
    by_ref = (
        out.reset_index()
        .merge(
            charges.loc[
                charges["line_control_number"].notna(),
                ["claim_id", "line_control_number", "line_number"],
            ],
            on=["claim_id", "line_control_number"],
            how="inner",
        )
        .drop_duplicates("index")
        .set_index("index")
    )
    out.loc[by_ref.index, "line_number"] = by_ref["line_number_y"].astype("Int64")
    out.loc[by_ref.index, "match_method"] = "ref_6r"

    rest = out[out["line_number"].isna()]
    if len(rest):
        # Each payment (remit_id, claim_seq) answers the claim's charge lines on its own: a
        # claim paid twice in one file matches its lines twice, in order within each.
        pay = ["remit_id", "claim_seq"]
        used = out.loc[out["line_number"].notna(), [*pay, "claim_id", "line_number"]]
        free = rest[[*pay, "claim_id"]].drop_duplicates().merge(charges, on="claim_id")
        free = free.merge(
            used.astype({"line_number": "int64"}),
            on=[*pay, "claim_id", "line_number"],
            how="left",
            indicator=True,
        )
        free = free[free["_merge"] == "left_only"].drop(columns="_merge")
        keys = [*pay, "claim_id", "match_code", "match_modifiers", "match_date"]
        free = free.assign(
            match_code=free["procedure_code"],
            match_modifiers=sorted_modifiers(free["modifiers"]),
            match_date=free["date_of_service"],
        )
        free["order"] = free.sort_values("line_number").groupby(keys).cumcount()
        rest = rest.reset_index()
        rest["order"] = rest.sort_values([*pay, "line_seq"]).groupby(keys).cumcount()
        hit = rest.merge(
            free[[*keys, "order", "line_number"]],
            on=[*keys, "order"],
            how="inner",
            suffixes=("_x", ""),
        )
        hit = hit.set_index("index")
        out.loc[hit.index, "line_number"] = hit["line_number"].astype("Int64")
        out.loc[hit.index, "match_method"] = "code_date_order"
    return out
