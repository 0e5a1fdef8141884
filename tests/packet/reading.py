"""Reading a written packet: its page files, the links in a page, a table's cells."""

from __future__ import annotations

from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

from payeropt_lib.packet import pages
from payeropt_lib.packet.build import ASSETS_DIR as ASSETS

PLOTLY_JS_BANNER = "* plotly.js v"  # the first line of plotly.min.js


def page_files(index: Path, shown: Sequence[pages.Page] = pages.PAGES) -> list[Path]:
    """The packet's index.html, then the file of each page in ``shown``."""
    return [index, *(index.parent / page.href for page in shown)]


def packet_files(index: Path) -> list[Path]:
    """Every file a packet is made of: its top-level HTML pages, assets and executed
    notebooks. ``make demo`` writes the packet beside the practice's input files and
    database (``out/demo/files``, ``payeropt.sqlite``), which are not part of it."""
    folder = index.parent
    pages_ = [p for p in folder.glob("*.html") if p.is_file()]
    parts = [p for p in (folder / ASSETS).rglob("*") if p.is_file()]
    return sorted(pages_ + parts)


class _Refs(HTMLParser):
    """src/href attributes of real tags (a <script>'s body is not parsed as tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [(tag, k, v) for k, v in attrs if k in ("src", "href") and v]


def refs(path: Path) -> list[tuple[str, str, str]]:
    """(tag, attribute, value) of every src and href in the page at ``path``."""
    parser = _Refs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.refs


class _Rows(HTMLParser):
    """The text of each <th>/<td>, row by row (entities decoded: "&lt;11" reads "<11")."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """The cells of every table row in ``html``, the header row included."""
    parser = _Rows()
    parser.feed(html)
    return parser.rows
