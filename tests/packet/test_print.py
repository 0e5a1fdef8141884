"""The demo packet on paper (issue 12, item 3): every page fits US Letter and A4 portrait
when printed, and ``payeropt report ORG --pdf`` writes one PDF, the Summary first.

Real Chromium (Debian's, as in test_packet_demo.py) prints the pages: one Chromium for the
module (``printer``, launched as ``pdf.write_pdf`` launches it), a new tab for each check;
the A4 print launches its own, as ``payeropt report ORG --pdf`` does.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from payeropt_lib.packet import pages, pdf
from tests.packet.reading import page_files

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Everything on a page that could run past the paper's edge.
OVERFLOW = """(width) => {
  const wide = [];
  for (const el of document.querySelectorAll(
      'table, .plotly-graph-div, img, svg.main-svg, pre, .packet-header, .packet-footer')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      wide.push(`${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]}`
                + ` right edge ${Math.round(box.right)}px`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, wide};
}"""


@pytest.fixture(scope="module")
def printer(chromium: str) -> Iterator[Browser]:
    """One headless Chromium for the module's checks, launched as ``pdf.write_pdf``
    launches its own: starting one costs more than a page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pdf.launch(pw)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.slow
@pytest.mark.browser
def test_every_demo_page_fits_letter_and_a4_when_printed(
    printer: Browser, demo_packet: Path
) -> None:
    opened = page_files(demo_packet)
    assert len(opened) == len(pages.PAGES) + 1  # the contents too
    found: dict[str, list[str]] = {}
    # One tab for both papers: each page is loaded afresh at the paper's width all the
    # same, and the tab's renderer compiles plotly.js once instead of once a paper.
    tab = printer.new_page()
    try:
        tab.emulate_media(media="print")
        for paper, (_, width) in pdf.PAPERS.items():
            tab.set_viewport_size({"width": width, "height": 1000})
            for path in opened:
                tab.goto(path.as_uri(), wait_until="load")
                tab.wait_for_function(pdf.ALL_DRAWN, timeout=30_000)
                seen = tab.evaluate(OVERFLOW, width)
                if seen["wide"] or seen["scroll"] > width:
                    found[f"{paper} {path.name}"] = [f"page {seen['scroll']}px", *seen["wide"]]
    finally:
        tab.close()
    assert found == {}, found


@pytest.mark.slow
@pytest.mark.browser
def test_report_pdf_is_one_file_with_the_summary_first(
    printer: Browser, demo_packet: Path, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    packet = tmp_path / "packet"
    shutil.copytree(
        demo_packet.parent, packet, ignore=shutil.ignore_patterns("files", "*.sqlite*")
    )
    written = pdf.write_pdf(packet / "index.html", browser=printer)
    assert written == packet / pdf.PDF_NAME
    assert printer.is_connected() and printer.contexts == []  # left open, its tab closed
    reader = PdfReader(io.BytesIO(written.read_bytes()))
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) >= len(pages.PAGES)  # each page of the packet, one sheet or more
    assert "Summary" in texts[0] and "Three actions worth taking" in " ".join(texts[:2])
    whole = " ".join(texts)
    for page in pages.PAGES:  # every page's title is printed
        assert page.title.split(" ")[0] in whole, page.title
    assert not list(packet.glob("*.part"))
    sizes = {"letter": reader.pages[0].mediabox}
    # A4: the Summary alone is enough to see the paper (a page missing is left out).
    for other in pages.PAGES[1:]:
        (packet / other.href).unlink()
    # This one as `payeropt report --pdf` prints: a Chromium of its own, launched and
    # closed; from a thread of its own, as this one's Playwright is the module's.
    with ThreadPoolExecutor(1) as thread:
        a4 = thread.submit(pdf.write_pdf, packet / "index.html", "a4").result()
    sizes["a4"] = PdfReader(a4).pages[0].mediabox
    sizes = {k: (round(float(b.width)), round(float(b.height))) for k, b in sizes.items()}
    # Points: Letter 8.5 × 11 in; A4 210 × 297 mm (595.3 × 841.9, as Chromium rounds it).
    assert sizes["letter"] == (612, 792)
    assert all(abs(a - b) <= 1 for a, b in zip(sizes["a4"], (595, 842), strict=True))


def test_pdf_refuses_clearly_without_chromium(monkeypatch, tmp_path: Path) -> None:
    from payeropt_lib.errors import PdfUnavailable

    monkeypatch.setenv("PAYEROPT_CHROMIUM", "")
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(PdfUnavailable, match="no Chromium found"):
        pdf.chromium_path()
    with pytest.raises(PdfUnavailable, match="paper 'legal'"):
        pdf.write_pdf(tmp_path / "index.html", "legal")
