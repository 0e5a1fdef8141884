"""Write data/profiles/examples/payer-fee-schedule-xlsx.xlsx, the synthetic payer fee
schedule workbook the ``payer-fee-schedule-xlsx`` profile reads (data/profiles/README.md).

The shape payers send: a sheet per product line, the payer's title block above the header
(merged across the columns), the effective date in one cell merged down a block of codes,
codes typed as numbers (00100 is stored as the number 100), amounts as numbers or as
"$1,234.50" text, dates as date cells on one sheet and as Excel serial numbers on the other,
and a closing "End of schedule" row. Run: python scripts/make_profile_examples.py
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parents[1] / "data" / "profiles" / "examples"
HEADER = ["CPT/HCPCS", "Mod", "Description", "Allowed", "Effective"]
JAN = dt.datetime(2025, 1, 1)
JUL = dt.datetime(2025, 7, 1)


def _title(ws, product: str) -> None:  # noqa: ANN001 - a Worksheet
    ws.append(["Prairie Mutual Health"])
    ws.append([f"Professional Fee Schedule - {product} (synthetic)"])
    ws.append([])
    ws.append(HEADER)
    ws.merge_cells("A1:E1")
    ws.merge_cells("A2:E2")


def build() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    hmo = book.active
    hmo.title = "HMO"
    _title(hmo, "HMO")
    for row in (
        [99213, None, "Office visit est low", 92.5, JAN],  # rows 5-9: one merged date
        [99214, None, "Office visit est mod", 131.2, None],
        [93000, None, "ECG complete", "$24.10", None],
        [100, None, "Anesth salivary gland", 300.0, None],  # 00100 typed as a number
        ["0001F", None, "Heart failure composite", 0, None],
        [71046, "26", "Chest x-ray 2 views", 11.25, JUL],  # rows 10-11: merged date
        [71046, "TC", "Chest x-ray 2 views", 27.4, None],
        ["End of schedule"],
    ):
        hmo.append(row)
    hmo.merge_cells("E5:E9")
    hmo.merge_cells("E10:E11")
    for cell in ("E5", "E10"):
        hmo[cell].number_format = "mm/dd/yyyy"
    ppo = book.create_sheet("PPO")
    _title(ppo, "PPO")
    serial = (JAN - dt.datetime(1899, 12, 30)).days  # 45658: dates typed as serial numbers
    for row in (
        [99213, None, "Office visit est low", 110, serial],
        [99214, None, "Office visit est mod", 155.25, serial],
        ["99204 - Office visit new mod", None, None, "$1,210.00", serial],
        ["J1100", None, "Dexamethasone 1 mg", 1.05, serial],
        ["End of schedule"],
    ):
        ppo.append(row)
    return book


def main(out: Path = OUT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "payer-fee-schedule-xlsx.xlsx"
    book = build()
    # A fixed creation time: the same script writes the same workbook content each run.
    book.properties.created = book.properties.modified = dt.datetime(2025, 1, 1)
    book.save(path)
    return path


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
