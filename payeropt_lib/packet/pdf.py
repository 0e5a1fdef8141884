"""A written packet as one PDF to print or mail: ``payeropt report ORG --pdf``.

Headless Chromium (Playwright's ``page.pdf``: the browser the tests already drive) prints
each page of the packet, the Summary first and then the others in packet order, on US
Letter or A4 portrait; ``pypdf`` joins them into ``packet.pdf`` beside ``index.html``.
Each page is laid out at the paper's printable width before it prints, so the figures
(which size themselves to their window) are drawn for the paper, and the print styles of
``templates/packet/static/packet.css`` wrap wide tables instead of cutting them
(``tests/packet/test_print.py``).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from payeropt_lib.errors import PdfUnavailable

from . import pages

logger = logging.getLogger(__name__)

PDF_NAME = "packet.pdf"
# Paper: Playwright's format name and the printable width in CSS pixels (96 a inch) inside
# the 0.5 in margins the stylesheet's @page sets.
PAPERS = {"letter": ("Letter", int((8.5 - 1.0) * 96)), "a4": ("A4", int((210 - 25.4) / 25.4 * 96))}
MARGIN = "0.5in"
# Every figure on a page drawn (plotly has laid it out) before it prints.
ALL_DRAWN = (
    "() => [...document.querySelectorAll('.plotly-graph-div')]"
    ".every(d => d._fullLayout !== undefined)"
)


def chromium_path() -> str:
    """The Chromium to print with: ``PAYEROPT_CHROMIUM``, else ``chromium`` on the PATH."""
    path = os.environ.get("PAYEROPT_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise PdfUnavailable(
            "no Chromium found: install it (apt-get install chromium) or set PAYEROPT_CHROMIUM"
        )
    return path


def printed_pages(packet_dir: Path) -> list[Path]:
    """The packet's pages in print order: the Summary first, then the others as listed."""
    order = sorted(pages.PAGES, key=lambda p: p.slug != "summary")
    return [packet_dir / p.href for p in order if (packet_dir / p.href).is_file()]


def launch(playwright):  # noqa: ANN001, ANN201 - Playwright's sync API and its Browser
    """Headless Chromium as ``write_pdf`` prints with (``chromium_path``)."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
    )


def write_pdf(index: Path, paper: str = "letter", *, browser=None) -> Path:  # noqa: ANN001
    """Print the packet whose ``index.html`` is ``index`` into ``packet.pdf`` beside it
    (``paper``: "letter" or "a4"); returns its path.

    ``browser``: a Chromium that ``launch`` started, for a caller that prints several
    times (it prints in a tab of its own there and leaves the browser open); without it,
    one is launched for this packet and closed."""
    try:
        from playwright.sync_api import sync_playwright
        from pypdf import PdfWriter
    except ImportError as err:  # the [pdf] extra
        raise PdfUnavailable(
            f"{err.name} is not installed (pip install 'payeropt[pdf]')"
        ) from None
    if paper not in PAPERS:
        raise PdfUnavailable(f"paper {paper!r} is not one of {', '.join(PAPERS)}")
    packet_dir = Path(index).parent
    target = packet_dir / PDF_NAME
    printed = printed_pages(packet_dir)
    writer = PdfWriter()
    if browser is not None:
        _print(browser, printed, paper, writer)
    else:
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                _print(browser, printed, paper, writer)
            finally:
                browser.close()
    partial = target.with_suffix(".pdf.part")
    with partial.open("wb") as out:
        writer.write(out)
    partial.replace(target)  # a reader never sees half a PDF
    logger.info("%s: %d pages of the packet, %s", target, len(printed), PAPERS[paper][0])
    return target


def _print(browser, printed: list[Path], paper: str, writer) -> None:  # noqa: ANN001
    """Print each of ``printed`` on ``paper`` in a new tab of ``browser``, appending the
    sheets to ``writer`` (a pypdf PdfWriter)."""
    size, width = PAPERS[paper]
    tab = browser.new_page(viewport={"width": width, "height": 1000})
    try:
        for page in printed:
            tab.goto(page.as_uri(), wait_until="load")
            tab.wait_for_function(ALL_DRAWN, timeout=30_000)
            body = tab.pdf(
                format=size,
                print_background=True,
                margin={side: MARGIN for side in ("top", "right", "bottom", "left")},
            )
            writer.append(_reader(body))
    finally:
        tab.close()


def _reader(body: bytes):  # noqa: ANN202 - a pypdf PdfReader
    import io

    from pypdf import PdfReader

    return PdfReader(io.BytesIO(body))
