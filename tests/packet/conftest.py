"""The demo practice for the packet tests: its database, and its packet built once.

``make test`` builds ``out/demo`` before pytest. Without it the tests that need the demo
skip, or fail under ``CI=true``. The packet is built from the current notebooks into a temp
folder (never read from ``out/demo``, which may be older than the code under test). Every
test that only reads the finished packet is in ``test_packet_demo.py``: with
``--dist loadfile`` one worker runs them all, so the packet is built once per run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from payeropt_lib import config
from payeropt_lib.demo import files as demo
from payeropt_lib.packet import build as packets
from tests.conftest import _in_ci

DEMO_DB = config.PROJECT_ROOT / "out" / "demo" / "payeropt.sqlite"
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
    """The demo practice's packet (its index.html), built once per worker that asks."""
    out = tmp_path_factory.mktemp("demo-packet")
    return packets.write_packet(demo_url, config.DEMO_ORG, out, as_of=DEMO_AS_OF)
