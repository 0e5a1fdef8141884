"""The demo practice for the packet tests: its database, and its packet built once.

``make test`` builds ``out/demo`` before pytest, afresh whenever the code, notebooks,
templates or data it is made from changed. Without it the tests that need the demo skip,
or fail under ``CI=true``. The packet tests read that packet when it is newer than
everything it is made from; otherwise (a run after an edit, outside make) they build one
from the current code into a temp folder. Every test that only reads the finished packet
is in ``test_packet_demo.py``: with ``--dist loadfile`` one worker runs them all, so a
packet is built at most once per run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from payeropt_lib import config
from payeropt_lib.demo import files as demo
from payeropt_lib.packet import build as packets
from tests.conftest import _in_ci

DEMO_DIR = config.PROJECT_ROOT / "out" / "demo"
DEMO_DB = DEMO_DIR / "payeropt.sqlite"
# What the demo packet is made from (the Makefile's DEMO_SOURCES).
SOURCES = ("payeropt_lib", "notebooks", "templates", "data")
DEMO_AS_OF = demo.DEMO_AS_OF.isoformat()


@pytest.fixture(scope="session")
def demo_url() -> str:
    """The demo database's URL (``make demo`` writes it)."""
    if not DEMO_DB.is_file():
        message = f"no demo database at {DEMO_DB}: run `make demo` (make test builds it first)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return config.sqlite_url(DEMO_DB)


@pytest.fixture(scope="session")
def demo_packet(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo practice's packet (its index.html): ``make``'s when it is up to date, else
    built once per worker that asks."""
    built = DEMO_DIR / "index.html"
    if built.is_file() and built.stat().st_mtime >= _newest_source():
        return built
    out = tmp_path_factory.mktemp("demo-packet")
    return packets.write_packet(demo_url, config.DEMO_ORG, out, as_of=DEMO_AS_OF)


def _newest_source() -> float:
    files = (
        p
        for folder in SOURCES
        for p in (config.PROJECT_ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    return max(p.stat().st_mtime for p in files)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium (Playwright cannot download browsers here)."""
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path
