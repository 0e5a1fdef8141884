"""One number, one text (issue 12, item 1): every headline figure of the demo packet reads
the same on every page that shows it, and where two related figures differ on purpose the
page says why, with the numbers.

The figures are read from the rendered HTML, as a manager reads them: the key-figure
tables (Figure | Value), the total rows of the tables, the contents page's headline.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest

TOTALS = ("All payers", "All causes", "All open tasks", "Past the appeal deadline (any age)")


def _cells(fragment: str, tag: str) -> list[str]:
    found = re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", fragment, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in found]


def read_page(path: Path) -> dict:
    """A page's key figures ({label: text}) and its tables' total rows ({total label:
    [{header: text}, one per table]})."""
    text = path.read_text(encoding="utf-8")
    key: dict[str, str] = {}
    totals: dict[str, list[dict[str, str]]] = {}
    for table in re.findall(r'<table class="packet-table[^"]*">(.*?)</table>', text, re.S):
        head = _cells(table, "th")
        body = table.split("</thead>")[-1]
        rows = [_cells(r, "td") for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
        if head[1:2] == ["Value"]:  # key figures, and the contents page's headline
            key.update({r[0]: r[1] for r in rows if len(r) >= 2})
        for row in rows:
            if row and row[0] in TOTALS:
                totals.setdefault(row[0], []).append(dict(zip(head, row, strict=False)))
    return {"key": key, "totals": totals, "text": re.sub(r"\s+", " ", html.unescape(text))}


@pytest.fixture(scope="module")
def packet(demo_packet: Path) -> dict[str, dict]:
    folder = demo_packet.parent
    return {p.stem: read_page(p) for p in folder.glob("*.html")}


def _money(text: str) -> int:
    """'$1,234.56' or '-$0.20' → cents, exactly."""
    sign = -1 if text.startswith("-") else 1
    return sign * int(Decimal(text.lstrip("-").replace("$", "").replace(",", "")) * 100)


def test_every_headline_figure_reads_the_same_on_every_page(packet: dict[str, dict]) -> None:
    summary, perf = packet["summary"]["key"], packet["payer-performance"]["key"]
    under, denials = packet["underpayments"]["key"], packet["denials"]["key"]

    def total(page: str, label: str, column: str) -> dict[str, str]:
        """The total row ``label`` of the one table of ``page`` with ``column``."""
        (row,) = [r for r in packet[page]["totals"].get(label, []) if column in r]
        return row

    by_payer = total("underpayments", "All payers", "Claims recovered")
    by_cause = total("underpayments", "All causes", "Claims recovered")
    aging = total("underpayments", "All open tasks", "At stake")
    past = total("underpayments", TOTALS[3], "At stake")
    over = total("underpayments", "All payers", "Over-paid")
    rates = total("payer-performance", "All payers", "Below the contract")
    by_payer_denials = total("denials", "All payers", "Claims with a denied line")
    denial = {
        summary["Denial rate (claims)"],
        perf["Denial rate (claims)"],
        denials["Denial rate (claims)"],
        by_payer_denials["Denial rate"],
        packet["index"]["key"]["Denial rate (claims)"],
    }
    assert len(denial) == 1 and re.fullmatch(r"\d+\.\d%", denial.pop())
    assert len({summary["Under-paid on remitted lines"], under["Under-paid on remitted lines"],
                by_payer["Under-paid"], by_cause["Under-paid"]}) == 1  # fmt: skip
    assert len({perf["Lines under-paid"], under["Lines under-paid"], by_payer["Lines under-paid"],
                by_cause["Lines under-paid"], rates["Lines under-paid"]}) == 1  # fmt: skip
    assert len({summary["At stake in open follow-ups"], under["At stake in open follow-ups"],
                by_payer["At stake"], by_cause["At stake"], aging["At stake"]}) == 1  # fmt: skip
    assert len({under["Claims with an open follow-up"], by_payer["Open claims"],
                by_cause["Open claims"], aging["Open claims"]}) == 1  # fmt: skip
    assert len({summary["Recovered"], under["Recovered"], by_payer["Recovered"],
                by_cause["Recovered"]}) == 1  # fmt: skip
    assert len({summary["Of which past the appeal deadline"],
                under["Of which past the appeal deadline"], past["At stake"]}) == 1  # fmt: skip
    assert perf["Allowed below the contract (net of any above it)"] == rates["Below the contract"]
    assert under["Over-paid on remitted lines"] == over["Over-paid"]
    assert under["Lines over-paid"] == over["Lines over-paid"]
    index = packet["index"]["key"]
    for label in ("Under-paid on remitted lines", "Recovered", "At stake in open follow-ups",
                  "Of which past the appeal deadline", "Net collection rate"):  # fmt: skip
        assert index[label] == summary[label], label


def test_figures_that_differ_on_purpose_say_why_with_the_numbers(packet: dict[str, dict]) -> None:
    perf, under = packet["payer-performance"], packet["underpayments"]["key"]
    # Allowed below the contract = under-paid − over-paid + the small differences.
    net = perf["key"]["Allowed below the contract (net of any above it)"]
    note = re.search(
        r"Allowed below the contract \((\$[\d,.]+)\) is the net .*?included \((-?\$[\d,.]+)\);"
        r".*?under-paid (\$[\d,.]+) less over-paid (\$[\d,.]+) = (-?\$[\d,.]+)\.",
        perf["text"],
    )
    assert note, "the payer-performance page explains its net below the contract"
    shown, within, under_paid, over_paid, difference = (_money(g) for g in note.groups())
    assert note.group(1) == net
    assert note.group(3) == under["Under-paid on remitted lines"]
    assert note.group(4) == under["Over-paid on remitted lines"]
    assert under_paid - over_paid == difference and difference + within == shown
    # Charges billed: every claim of the period (mix) against the claims answered.
    (mix_total,) = [r for r in packet["payer-mix"]["totals"]["All payers"] if "Claims billed" in r]
    mix = mix_total["Charges billed"]
    answered = perf["key"]["Charges billed on the claims answered"]
    assert _money(mix) > _money(answered)
    assert "count only the claims a payer has answered" in perf["text"]
    assert "They are larger than the payer-performance page's" in packet["payer-mix"]["text"]


def test_the_packet_names_no_figure_hidden_inside_its_own_practice(
    packet: dict[str, dict],
) -> None:
    for page, read in packet.items():
        assert "suppressed" not in read["text"] and "&lt;11" not in read["text"], page
