"""Payers as a page names and groups them: directory, names, classes, labels.

A payer's name and class come from its latest contract (``payer_directory``); a payer
without a contract on file reads as its own id. Medicare and Medicaid (``PUBLIC_PROGRAMS``)
are shown for reference and never ranked or targeted; ``FEDERAL_CLASSES`` adds their
managed plans, whose over-payments may have to be returned within 60 days.
"""

from __future__ import annotations

import pandas as pd

# Medicare and Medicaid, including their managed plans: over-payments from these programs
# may have to be reported and returned within 60 days of being identified (domain §10).
FEDERAL_CLASSES = ("MEDICARE", "MEDICAID", "MEDICARE_ADVANTAGE", "MEDICAID_MANAGED")


ALL_PAYERS = "All payers"


def payer_directory(contracts: pd.DataFrame) -> pd.DataFrame:
    """One row per payer: payer_id, payer_name, payer_class (from its latest contract).

    Needs contracts: payer_id, payer_name, payer_class, effective_from.
    """
    latest = contracts.sort_values(["payer_id", "effective_from"], kind="stable")
    latest = latest.drop_duplicates("payer_id", keep="last")
    return latest[["payer_id", "payer_name", "payer_class"]].reset_index(drop=True)


# Payer classes in words (interface: contracts.csv payer_class).
CLASS_LABELS = {
    "COMMERCIAL": "Commercial",
    "MEDICARE": "Medicare",
    "MEDICARE_ADVANTAGE": "Medicare Advantage",
    "MEDICAID": "Medicaid",
    "MEDICAID_MANAGED": "Medicaid managed care",
    "WORKERS_COMP": "Workers' compensation",
    "SELF_PAY": "Self-pay",
    "OTHER": "Other",
}


UNKNOWN_CLASS = "UNKNOWN"  # a payer with no contract on file


UNKNOWN_CLASS_LABEL = "No contract on file"


def _lookup(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """``keys.map(mapping)``, looking up each distinct key once (keys repeat a lot)."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=False)
    found = pd.Series(uniques).map(mapping).to_numpy(dtype=object)
    return pd.Series(found[codes], index=keys.index, dtype=object)


def payer_classes(payer_ids: pd.Series, payers: pd.DataFrame | None) -> pd.Series:
    """Each payer id's class (``directory.payer_directory``); ``UNKNOWN`` when not on file."""
    if payers is None or payers.empty:
        return pd.Series(UNKNOWN_CLASS, index=payer_ids.index, dtype="str")
    classes = payers.drop_duplicates("payer_id").set_index("payer_id")["payer_class"]
    return _lookup(payer_ids, classes).fillna(UNKNOWN_CLASS).astype("str")


def payer_names(payer_ids: pd.Series, payers: pd.DataFrame | None) -> pd.Series:
    """Each payer id's name (``directory.payer_directory``); the id itself when not on file."""
    if payers is None or payers.empty:
        return payer_ids.astype("str")
    names = payers.drop_duplicates("payer_id").set_index("payer_id")["payer_name"]
    return _lookup(payer_ids, names).fillna(payer_ids).astype("str")


def class_labels(classes: pd.Series) -> pd.Series:
    labels = {**CLASS_LABELS, UNKNOWN_CLASS: UNKNOWN_CLASS_LABEL}
    return classes.map(labels).fillna(classes).astype("str")


# Classes that have no contracted rates to compare: a self-pay "contract" is the practice's
# own cash price, not a payer's fee schedule.
NOT_PAYERS = ("SELF_PAY",)


# Public programs with published fee schedules: shown for reference, never a negotiation
# target (domain §10). Their managed-care plans are contracts like any other.
PUBLIC_PROGRAMS = ("MEDICARE", "MEDICAID")


def product_labels(frame: pd.DataFrame) -> pd.Series:
    """'Acme Health Plan · HMO'; two payer ids sharing a name also get '(payer_id)'."""
    label = frame["payer_name"] + frame["product_line"].where(
        frame["product_line"].eq(""), " · " + frame["product_line"]
    )
    ids_per_label = frame.groupby(label)["payer_id"].transform("nunique")
    return label.where(ids_per_label.le(1), label + " (" + frame["payer_id"] + ")")
