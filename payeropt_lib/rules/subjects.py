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


def claim_lines(charges: pd.DataFrame, contracts: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The charge lines with the fields of a claim-line rule (module docstring)."""
    out = pd.DataFrame(
        {
            "claim_id": charges["claim_id"],
            "line_number": charges["line_number"].astype("int64"),
            "line_control_number": charges["line_control_number"],
            "patient_id": charges["patient_id"],
            CLAIM_DATE: charges[CLAIM_DATE],
            "procedure_code": charges["procedure_code"],
            "modifiers": charges["modifiers"].fillna(""),
            "units": charges["units"].astype("int64"),
            "charge_amount": charges["charge_cents"].astype("int64"),
            "payer_id": charges["primary_payer_id"],
            "product_line": charges["product_line"].fillna(""),
            "secondary_payer_id": charges["secondary_payer_id"],
            "place_of_service": charges["place_of_service"],
            "rendering_npi": charges["rendering_npi"],
            "diagnosis_codes": charges["diagnosis_codes"].fillna(""),
            "submitted_date": charges["submitted_date"],
        }
    ).reset_index(drop=True)
    out["payer_class"] = _with_class(out, contracts)
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
