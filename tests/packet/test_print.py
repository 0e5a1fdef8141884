"""The demo packet on paper (issue 12, item 3): every page fits US Letter and A4 portrait
when printed, and ``payeropt report ORG --pdf`` writes one PDF, the Summary first.

Real Chromium (Debian's, as in test_packet_demo.py) prints the pages.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from payeropt_lib.packet import pages, pdf
from tests.packet.reading import page_files

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


@pytest.mark.browser
def test_every_demo_page_fits_letter_and_a4_when_printed(chromium: str, demo_packet: Path) -> None:
    from playwright.sync_api import sync_playwright

    opened = page_files(demo_packet)
    assert len(opened) == len(pages.PAGES) + 1  # the contents too
    found: dict[str, list[str]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for paper, (_, width) in pdf.PAPERS.items():
                tab = browser.new_page(viewport={"width": width, "height": 1000})
                tab.emulate_media(media="print")
                for path in opened:
                    tab.goto(path.as_uri(), wait_until="load")
                    tab.wait_for_function(pdf.ALL_DRAWN, timeout=30_000)
                    seen = tab.evaluate(OVERFLOW, width)
                    if seen["wide"] or seen["scroll"] > width:
                        found[f"{paper} {path.name}"] = [f"page {seen['scroll']}px", *seen["wide"]]
                tab.close()
        finally:
            browser.close()
    assert found == {}, found


@pytest.mark.browser
def test_report_pdf_is_one_file_with_the_summary_first(
    chromium: str, demo_packet: Path, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    packet = tmp_path / "packet"
    shutil.copytree(
        demo_packet.parent, packet, ignore=shutil.ignore_patterns("files", "*.sqlite*")
    )
    written = pdf.write_pdf(packet / "index.html")
    assert written == packet / pdf.PDF_NAME
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
    sizes["a4"] = PdfReader(pdf.write_pdf(packet / "index.html", "a4")).pages[0].mediabox
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
