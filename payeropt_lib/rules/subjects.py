"""Claim lines and appointments as the frames rules are checked against (``fields.py``).

Pure functions over store frames (``store.read_frame``):
- ``claim_lines(charges, contracts, as_of)``: one row per charge line, with the
  charges.csv columns (``payer_id`` = the primary payer, ``charge_amount`` in cents,
  ``modifiers`` ``:``-separated and ``diagnosis_codes`` ``;``-separated as stored),
  ``payer_class`` and ``days_to_filing`` (to ``submitted_date``, or to ``as_of`` when the
  claim has not gone out).
- ``appointments(appointments, contracts, as_of)``: one row per appointment, with
  ``payer_class`` and ``lead_days`` (from ``as_of`` to the appointment).

``payer_class`` is the class of the payer's contract for the product line (the most
recent such contract), else of its all-products contract, else of its latest contract,
else blank: a class is what kind of payer it is, and that does not change by date.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

CLAIM_DATE = "date_of_service"
APPOINTMENT_DATE = "date"


def payer_classes(contracts: pd.DataFrame) -> pd.DataFrame:
    """payer_id, product_line ('' = the payer's fallback), payer_class: one row each."""
    latest = contracts.sort_values("effective_from", kind="stable")
    own = latest.drop_duplicates(["payer_id", "product_line"], keep="last")
    blank = own[own["product_line"].eq("")]
    # A payer with product-line contracts only: its latest one stands for the others.
    fallback = latest.drop_duplicates("payer_id", keep="last")
    fallback = fallback[~fallback["payer_id"].isin(blank["payer_id"])].assign(product_line="")
    both = pd.concat([own, fallback], ignore_index=True)
    return both[["payer_id", "product_line", "payer_class"]].reset_index(drop=True)


def _with_class(frame: pd.DataFrame, contracts: pd.DataFrame) -> pd.Series:
    classes = payer_classes(contracts)
    keys = frame[["payer_id", "product_line"]].astype(object).fillna("")
    exact = keys.merge(classes, how="left", on=["payer_id", "product_line"])["payer_class"]
    blank = classes[classes["product_line"].eq("")][["payer_id", "payer_class"]]
    general = keys[["payer_id"]].merge(blank, how="left", on="payer_id")["payer_class"]
    found = exact.fillna(general).fillna("")
    return pd.Series(found.to_numpy(object), index=frame.index)


def _days(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    return (later.to_numpy("datetime64[D]") - earlier.to_numpy("datetime64[D]")).astype("int64")


# Each field of a claim line, from its charges column (claim_lines' ``fields``).
_CLAIM_SOURCES = {
    "claim_id": "claim_id", "line_number": "line_number",
    "line_control_number": "line_control_number", "patient_id": "patient_id",
    CLAIM_DATE: CLAIM_DATE, "procedure_code": "procedure_code", "modifiers": "modifiers",
    "units": "units", "charge_amount": "charge_cents", "payer_id": "primary_payer_id",
    "product_line": "product_line", "secondary_payer_id": "secondary_payer_id",
    "place_of_service": "place_of_service", "rendering_npi": "rendering_npi",
    "diagnosis_codes": "diagnosis_codes", "submitted_date": "submitted_date",
}  # fmt: skip
_BLANK_IS_EMPTY = ("modifiers", "product_line", "diagnosis_codes")
_INTEGERS = ("line_number", "units", "charge_amount")


def charges_columns(fields: list[str]) -> list[str]:
    """The charges columns ``claim_lines`` reads for ``fields`` (payer_class needs the
    payer and product line; days_to_filing the date and submitted_date)."""
    needs = set(fields)
    if "payer_class" in needs:
        needs |= {"payer_id", "product_line"}
    if "days_to_filing" in needs:
        needs |= {CLAIM_DATE, "submitted_date"}
    return [source for field, source in _CLAIM_SOURCES.items() if field in needs]


def claim_lines(
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    as_of: dt.date,
    fields: list[str] | None = None,
) -> pd.DataFrame:
    """The charge lines with the fields of a claim-line rule (module docstring); with
    ``fields``, only those (``charges`` then needs ``charges_columns(fields)``)."""
    wanted = set(fields) if fields is not None else {*_CLAIM_SOURCES, "payer_class",
                                                     "days_to_filing"}  # fmt: skip
    needed = set(charges_columns(list(wanted)))
    columns = {}
    for field, source in _CLAIM_SOURCES.items():
        if source not in needed:
            continue
        value = charges[source]
        if field in _BLANK_IS_EMPTY:
            value = value.fillna("")
        elif field in _INTEGERS:
            value = value.astype("int64")
        columns[field] = value
    out = pd.DataFrame(columns).reset_index(drop=True)
    if "payer_class" in wanted:
        out["payer_class"] = _with_class(out, contracts)
    if "days_to_filing" in wanted:
        filed = out["submitted_date"].fillna(pd.Timestamp(as_of))
        out["days_to_filing"] = _days(filed, out[CLAIM_DATE])
    return out


def appointments(
    appointments: pd.DataFrame, contracts: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    """The appointments with the fields of an appointment rule (module docstring)."""
    out = pd.DataFrame(
        {
            "appointment_id": appointments["appointment_id"],
            APPOINTMENT_DATE: appointments[APPOINTMENT_DATE],
            "patient_id": appointments["patient_id"],
            "payer_id": appointments["payer_id"],
            "product_line": appointments["product_line"].fillna(""),
            "visit_type": appointments["visit_type"],
            "planned_procedure_codes": appointments["planned_procedure_codes"].fillna(""),
        }
    ).reset_index(drop=True)
    out["payer_class"] = _with_class(out, contracts)
    as_of_days = pd.Series(pd.Timestamp(as_of), index=out.index)
    out["lead_days"] = _days(out[APPOINTMENT_DATE], as_of_days)
    return out
