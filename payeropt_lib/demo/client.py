"""The demo practice as a client hands it over: the folder ``payeropt onboard`` reads.

``files.generate`` writes the demo's interface files (``out/files``: tests and benchmarks
read them). ``write_client_folder`` turns them into what a real practice sends on day one
(``out/client``), with no charges.csv or transactions.csv in it:

- ``contracts.csv``, ``fee_schedules.csv``, ``medicare_fees.csv``, ``encounters.csv``,
  ``appointments.csv``: as written (the consultant's own files, built from the contracts);
- ``claims/claims-YYYY-MM.837``: what the clearinghouse sent, one 837P file per month of
  submission (BHT04 = the line's submitted_date), each written with the delimiters of one
  of ``DELIMITERS`` in turn, as clearinghouses differ;
- ``claims/secondary-YYYY-MM.837``: the same claims sent on to the secondary payer
  (SBR01 S, the primary in 2330B) ``SECONDARY_AFTER_DAYS`` after the primary claim: what
  gives the stored lines their ``secondary_payer_id``;
- ``unbilled-charges.csv``: the charge lines never submitted (blank submitted_date, so
  the clearinghouse never got them), as the practice system's charge detail report
  (shipped profile ``pm-charge-detail``);
- ``payments-adjustments.csv``: the practice system's postings, as its payments and
  adjustments report (shipped profile ``pm-transaction-detail``).

The store then holds exactly the charge lines charges.csv holds (tests/demo/test_client.py),
so the payers' plan made from charges.csv (``remittances.planned_from_files``) is the one
made from the onboarded store.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd

from payeropt_lib.inputs import x837_writer
from payeropt_lib.profiles import model

from .dates import DEMO_AS_OF

AS_GIVEN = ("contracts.csv", "fee_schedules.csv", "medicare_fees.csv", "encounters.csv",
            "appointments.csv")  # fmt: skip
CHARGES_EXPORT = "unbilled-charges.csv"
TRANSACTIONS_EXPORT = "payments-adjustments.csv"
# (element, component, terminator, line breaks): what three clearinghouses write.
DELIMITERS = (("*", ":", "~", True), ("|", ">", "~", False), ("*", "^", "\n", True))
SECONDARY_AFTER_DAYS = 21
PRACTICE = "Demo Family & Orthopedic Practice (synthetic)"
_DESCRIPTIONS = {
    "patient_payment": "Patient payment",
    "secondary_payment": "Secondary insurance payment",
    "refund": "Refund",
    "contractual": "Contractual adjustment",
    "noncash_compliance": "Write-off: timely filing",
    "courtesy": "Courtesy write-off",
    "bad_debt": "Sent to collections",
    "small_balance": "Small balance write-off",
}


def write_client_folder(files: Path, client: Path) -> dict[str, Path]:
    """Write the client folder ``client`` from the interface files in ``files`` (module
    docstring); returns {what: path}. The same files write the same bytes."""
    files, client = Path(files), Path(client)
    if client.exists():  # a file of an earlier layout must not be onboarded again
        shutil.rmtree(client)
    (client / "claims").mkdir(parents=True)
    out = {name: Path(shutil.copy(files / name, client / name)) for name in AS_GIVEN}
    charges = pd.read_csv(files / "charges.csv", dtype=str, keep_default_na=False)
    billed = charges[charges["submitted_date"] != ""]
    for name, content in claim_files(billed).items():
        out[name] = client / "claims" / name
        out[name].write_bytes(content)
    unbilled = charges[charges["submitted_date"] == ""]
    out[CHARGES_EXPORT] = _write_report(
        charge_detail(unbilled),
        client / CHARGES_EXPORT,
        ["Charge Detail Report", PRACTICE, "Unbilled charges", ""],
    )
    transactions = pd.read_csv(files / "transactions.csv", dtype=str, keep_default_na=False)
    out[TRANSACTIONS_EXPORT] = _write_report(
        transaction_detail(transactions),
        client / TRANSACTIONS_EXPORT,
        ["Payments & Adjustments Detail", _posted_range(transactions["posted_date"])],
    )
    return out


def claim_files(billed: pd.DataFrame) -> dict[str, bytes]:
    """837P files of the submitted charge lines ``billed`` (charges.csv columns, as text):
    the primary claims by month of submission, and the secondary claims of the lines
    that name a secondary payer (module docstring). {file name: content}."""
    lines = billed.assign(
        charge_cents=[int(Decimal(a) * 100) for a in billed["charge_amount"]],
        units=billed["units"].astype("int64"),
    )
    second = lines[lines["secondary_payer_id"] != ""]
    sent_on = pd.to_datetime(second["submitted_date"]) + pd.Timedelta(days=SECONDARY_AFTER_DAYS)
    second = second.assign(
        responsibility="S",
        submitted_date=sent_on.clip(upper=pd.Timestamp(DEMO_AS_OF)).dt.strftime("%Y-%m-%d"),
    )
    out: dict[str, bytes] = {}
    control = 0
    for prefix, frame in (("claims", lines), ("secondary", second)):
        for month, part in frame.groupby(frame["submitted_date"].str[:7], sort=True):
            control += 1
            element, component, terminator, breaks = DELIMITERS[control % len(DELIMITERS)]
            out[f"{prefix}-{month}.837"] = x837_writer.write(
                part, element=element, component=component, terminator=terminator,
                line_breaks=breaks, isa_control=control,
                created=dt.datetime.fromisoformat(part["submitted_date"].max()),
            )  # fmt: skip
    return out


def charge_detail(charges: pd.DataFrame) -> pd.DataFrame:
    """charges.csv rows (as text) in the shape of profile ``pm-charge-detail``."""
    profile, _ = model.load("pm-charge-detail")
    names = _payer_names(profile)
    mods = _four(charges["modifiers"], ":")
    dx = _four(charges["diagnosis_codes"], ";")
    return pd.DataFrame({
        "Claim #": charges["claim_id"],
        "Line": charges["line_number"],
        "Line Ctrl #": charges["line_control_number"],
        "Acct #": charges["patient_id"],
        "DOS": _us_date(charges["date_of_service"], "%m/%d/%Y"),
        "CPT": charges["procedure_code"],
        **{f"Mod {k + 1}": mods[k] for k in range(4)},
        "Units": charges["units"],
        "Charges": charges["charge_amount"].map(_dollars),
        "Primary Insurance": charges["primary_payer_id"].map(names),
        "Secondary Insurance": charges["secondary_payer_id"].map(names).fillna(""),
        "Plan Type": charges["product_line"],
        "POS": charges["place_of_service"],
        "Rendering NPI": charges["rendering_npi"],
        **{f"Dx {k + 1}": dx[k] for k in range(4)},
        "Billed Date": _us_date(charges["submitted_date"], "%m/%d/%Y"),
    })  # fmt: skip


def transaction_detail(transactions: pd.DataFrame) -> pd.DataFrame:
    """transactions.csv rows (as text) in the shape of profile ``pm-transaction-detail``,
    with the report's total row."""
    profile, _ = model.load("pm-transaction-detail")
    codes = {v: k for k, v in profile.columns["type"].values.items()}
    report = pd.DataFrame({
        "Post Date": _us_date(transactions["posted_date"], "%m/%d/%y"),
        "Claim #": transactions["claim_id"],
        "Line": transactions["line_number"],
        "Trans Code": transactions["type"].map(codes),
        "Description": transactions["type"].map(_DESCRIPTIONS),
        "Amount": transactions["amount"].map(_dollars),
        "Payer": transactions["payer_id"].map(_payer_names(profile)).fillna(""),
        "Reason": transactions["reason"],
    })  # fmt: skip
    total = sum(Decimal(a) for a in transactions["amount"])
    report.loc[len(report)] = ["Total", "", "", "", "", _dollars(str(total)), "", ""]
    return report


def _payer_names(profile: model.Profile) -> dict[str, str]:
    return {payer_id: name for name, payer_id in profile.payers.items()}


def _four(values: pd.Series, separator: str) -> pd.DataFrame:
    """A joined list ('M17.11;I10') in four columns, blank where it has fewer (the report
    prints four modifiers and four diagnoses a line, as the 837's SV1 points to four)."""
    parts = values.str.split(separator, expand=True).reindex(columns=range(4))
    return parts.astype(object).where(parts.notna(), "")


def _dollars(amount: str) -> str:
    """'-1234.5' → '($1,234.50)': money as a practice system's report prints it."""
    value = Decimal(amount)
    text = f"${abs(value):,.2f}"
    return f"({text})" if value < 0 else text


def _us_date(values: pd.Series, form: str) -> pd.Series:
    return pd.to_datetime(values.replace("", None)).dt.strftime(form).fillna("")


def _posted_range(posted: pd.Series) -> str:
    days = pd.to_datetime(posted)
    return f"Posted {days.min():%m/%d/%Y} - {days.max():%m/%d/%Y}"


def _write_report(frame: pd.DataFrame, path: Path, title: list[str]) -> Path:
    """A report as the system exports it: its title rows (padded to the header's width, as
    a spreadsheet saved as CSV writes them), then the header and rows."""
    pad = "," * (frame.shape[1] - 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("".join(f"{line}{pad}\n" for line in title))
        frame.to_csv(handle, index=False, lineterminator="\n")
    return path
