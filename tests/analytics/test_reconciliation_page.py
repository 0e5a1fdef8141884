"""The "Reconciliation" and "Medicare check" pages' frames: the month chosen, small cells
hidden only when the packet leaves the practice, and no claim id anywhere."""

from __future__ import annotations

import pandas as pd

from payeropt_lib.analytics import privacy
from payeropt_lib.analytics import reconciliation as page
from payeropt_lib.reconciliation import record
from tests.reconciliation import test_ledger


def _books(months_resolved: dict[str, tuple[int, int]] | None = None) -> record.Books:
    """The ledger test's claims, plus ``months_resolved``: month → (visits, resolved) of
    AET visits (resolved ones paid in full by an 835, the others not yet answered)."""
    f = test_ledger.frames()
    added, paid = [], []
    for month, (visits, resolved) in (months_resolved or {}).items():
        for i in range(visits):
            cid = f"{month}-{i}"
            added.append((cid, 1, pd.Timestamp(f"{month}-05"), 10000, "AET"))
            if i < resolved:
                paid.append((1, 100 + len(paid), cid, "1", 10000, False, pd.NA))
    charges = pd.concat(
        [f["charges"], pd.DataFrame(added, columns=f["charges"].columns)], ignore_index=True
    ).assign(procedure_code="99213", modifiers="", units=1, product_line="", place_of_service="11")
    claims = pd.concat(
        [f["remit_claims"], pd.DataFrame(paid, columns=f["remit_claims"].columns)],
        ignore_index=True,
    ).astype({"reversed_by_remit_id": "Int64"})
    frames = {
        "charges": charges,
        "remit_claims": claims,
        "remittances": f["remittances"],
        "remit_adjustments": f["remit_adjustments"],
        "transactions": f["transactions"],
        "remit_lines": pd.DataFrame(columns=["remit_id", "claim_seq", "claim_id", "line_number",
                                             "paid_cents", "patient_resp_cents",
                                             "sequestration_cents"]),
        "contracts": pd.DataFrame({"payer_id": ["AET", "MCR"],
                                   "payer_name": ["Aetna", "Medicare Part B"],
                                   "payer_class": ["COMMERCIAL", "MEDICARE"],
                                   "effective_from": pd.Timestamp("2025-01-01"),
                                   "medicare_locality": ["04412-11", "04412-11"]}),
        "fee_schedules": pd.DataFrame(columns=["payer_id", "product_line", "procedure_code",
                                               "modifier", "effective_from", "effective_to",
                                               "allowed_cents"]),
        "medicare_fees": pd.DataFrame(columns=["locality", "procedure_code", "modifier",
                                               "effective_from", "effective_to",
                                               "non_facility_cents", "facility_cents",
                                               "mult_proc"]),
    }  # fmt: skip
    return record.Books.of(frames, "04412-11")


def test_the_month_chosen_is_the_latest_80_percent_resolved() -> None:
    books = _books({"2025-05": (10, 9), "2025-06": (10, 8), "2025-07": (10, 7)})
    month, why = page.chosen_month(books, None, None)
    assert month == pd.Timestamp("2025-06-01") and "at least 80 %" in why
    # Up to May only: May.
    assert page.chosen_month(books, None, pd.Timestamp("2025-05-31"))[0] == pd.Timestamp(
        "2025-05-01"
    )
    # Asked for: that month, whatever its share.
    assert page.chosen_month(books, "2025-07", None)[0] == pd.Timestamp("2025-07-01")


def test_no_month_resolved_enough_says_so() -> None:
    # Up to March: March alone, 8 of its 11 visits resolved (72.7 %).
    month, why = page.chosen_month(_books(), None, pd.Timestamp("2025-03-31"))
    assert month == pd.Timestamp("2025-03-01")
    assert why.startswith("March 2025: no month of service has 80 %") and "(72.7%)" in why
    # With April (its one visit resolved), April.
    assert page.chosen_month(_books(), None, None)[0] == pd.Timestamp("2025-04-01")


def test_small_rows_hidden_only_when_the_packet_leaves() -> None:
    books = _books()
    with privacy.cells_below(0):
        own = page.receivables_table(books, pd.Timestamp("2025-03-01")).set_index("payer")
    assert own.loc["Medicare Part B", "visits_count"] == 2
    assert own.loc["Medicare Part B", "charges_cents"] == 30000
    with privacy.cells_below(11):
        shared = page.receivables_table(books, pd.Timestamp("2025-03-01")).set_index("payer")
    assert pd.isna(shared.loc["Medicare Part B", "visits_count"])
    assert shared.loc["Medicare Part B", "visits_count_small"]
    assert pd.isna(shared.loc["Medicare Part B", "charges_cents"])
    # The total's 11 visits still show: 9 of Aetna + 2 of Medicare.
    assert shared.loc["All payers", "visits_count"] == 11


def test_no_claim_id_on_any_page_frame() -> None:
    books = _books({"2025-06": (12, 12)})
    month = pd.Timestamp("2025-03-01")
    frames = [
        page.receivables_table(books, month),
        page.unexplained_by_payer(books, month),
        page.resolution(books, None),
        page.identity_facts(page.receivables_table(books, month), books),
        *page.who_paid(books, month),
        *page.medicare_top(books, month).values(),
    ]
    ids = set(books.frames["charges"]["claim_id"])
    for frame in frames:
        text = frame.astype(str).to_numpy().ravel().tolist() + list(frame.columns)
        assert not ids & set(text), frame.columns
        assert "claim_id" not in frame.columns


def test_no_month_gives_empty_frames() -> None:
    books = _books()
    assert page.receivables_table(books, None).empty
    assert page.unexplained_by_payer(books, None).empty
    assert all(f.empty for f in page.who_paid(books, None))
    assert page.identity_facts(page.receivables_table(books, None), books).empty


def test_unexplained_kinds() -> None:
    with privacy.cells_below(0):
        table = page.unexplained_by_payer(_books(), pd.Timestamp("2025-03-01"))
    # C: $50 not accounted for; K: $10 refund to the payer with no recoupment.
    row = table.iloc[0]
    assert (row["payer"], row["visits_count"], row["unexplained_cents"]) == ("Aetna", 2, 6000)
    assert row["kind"].startswith("Charged but not accounted for")


def test_schedules_used_say_which_source_priced_the_month() -> None:
    """June 2026 at 04412-11: 99213 from the practice's file until 10 June, then from CMS
    PFS 2025D (no 2026 release on file: the note says so); 99214 from 2025D all month."""
    books = _books()
    fees = pd.DataFrame(
        {
            "locality": "04412-11",
            "procedure_code": ["99213", "99213", "99214"],
            "modifier": "",
            "effective_from": pd.to_datetime(["2026-01-01", "2026-06-10", "1992-01-01"]),
            "effective_to": pd.to_datetime(["2026-06-10", None, None]),
            "non_facility_cents": [9000, 8932, 12567],
            "facility_cents": [6000, 6392, 9000],
            "mult_proc": "0",
            "source": [pd.NA, "CMS PFS 2025D", "CMS PFS 2025D"],
        }
    )
    books = record.Books.of({**books.frames, "medicare_fees": fees}, "04412-11")
    used = page.schedules_used(books, pd.Timestamp("2026-06-01")).set_index("source")
    assert used.loc["CMS PFS 2025D", "from_date"] == pd.Timestamp("2026-06-01")
    assert used.loc["CMS PFS 2025D", "to_date"] == pd.Timestamp("2026-06-30")
    assert used.loc["CMS PFS 2025D", "codes_count"] == 2
    assert used.loc["CMS PFS 2025D", "note"] == (
        "no 2026 CMS schedule on file: the 2025 release stands in"
    )
    own = used.loc[page.OWN_FILE]
    assert (own["from_date"], own["to_date"], own["note"]) == (
        pd.Timestamp("2026-06-01"), pd.Timestamp("2026-06-09"), "",
    )  # fmt: skip


def test_period_schedules_give_each_unbroken_span_its_source() -> None:
    """The demo's shape: the practice's file covers 2025; CMS PFS 2025D prices the dates
    before it and after it, as two spans, each saying which year it stands in for."""
    books = _books()
    fees = pd.DataFrame(
        {
            "locality": "04412-11",
            "procedure_code": ["99213", "99214", "99213", "99214", "99213", "99214"],
            "modifier": "",
            "effective_from": pd.to_datetime(
                ["2025-01-01"] * 2 + ["1992-01-01"] * 2 + ["2026-01-01"] * 2
            ),
            "effective_to": pd.to_datetime(
                ["2026-01-01", "2026-01-01", "2025-01-01", "2025-01-01", None, None]
            ),
            "non_facility_cents": 9000,
            "facility_cents": 6000,
            "mult_proc": "0",
            "source": [pd.NA, pd.NA, *["CMS PFS 2025D"] * 4],
        }
    )
    books = record.Books.of({**books.frames, "medicare_fees": fees}, "04412-11")
    spans = page.period_schedules(books, pd.Timestamp("2024-11-01"), pd.Timestamp("2026-10-31"))
    assert spans.to_dict("records") == [
        {"source": "CMS PFS 2025D", "from_date": pd.Timestamp("2024-11-01"),
         "to_date": pd.Timestamp("2024-12-31"), "codes_count": 2,
         "note": "no 2024 CMS schedule on file: the 2025 release stands in"},
        {"source": page.OWN_FILE, "from_date": pd.Timestamp("2025-01-01"),
         "to_date": pd.Timestamp("2025-12-31"), "codes_count": 2, "note": ""},
        {"source": "CMS PFS 2025D", "from_date": pd.Timestamp("2026-01-01"),
         "to_date": pd.Timestamp("2026-10-31"), "codes_count": 2,
         "note": "no 2026 CMS schedule on file: the 2025 release stands in"},
    ]  # fmt: skip
    # One span over several years names each year the release stands in for.
    only_cms = record.Books.of(
        {**books.frames, "medicare_fees": fees[fees["source"].notna()].assign(
            effective_to=pd.NaT)}, "04412-11",
    )  # fmt: skip
    (span,) = page.period_schedules(
        only_cms, pd.Timestamp("2023-06-01"), pd.Timestamp("2026-02-28")
    ).to_dict("records")
    assert span["note"] == "no 2023, 2024 or 2026 CMS schedule on file: the 2025 release stands in"
    assert page.period_schedules(books, None, None).empty
