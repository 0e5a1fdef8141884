"""The packet in a real browser, offline: every page loads, every figure draws.

Playwright drives Debian's chromium (``playwright install`` cannot download browsers here,
style pitfall 10.8). Every request that is not ``file:`` or ``data:`` is aborted, so a
page that needs the network fails this test. Screenshots go to out/test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from payeropt_lib import config, onboarding, orgs, report, store
from payeropt_lib.access import Identity

pytestmark = pytest.mark.browser

GOOD = Path(__file__).parent / "data" / "good"
OWNER = Identity("t", "owner")
ARTIFACTS = config.PROJECT_ROOT / "out" / "test-artifacts"
# Every figure div has drawn its SVG (plotly adds .main-svg when it renders).
ALL_DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')]
    .every(div => div.querySelector('.main-svg') !== null)"""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def packet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    url = config.sqlite_url(tmp_path_factory.mktemp("db") / "browser.sqlite")
    engine = store.engine_for(url)
    orgs.create(engine, "t", "Browser Test Practice", OWNER, locality="01112-05")
    orgs.opt_in(engine, "t", OWNER, True)
    onboarding.load_folder(engine, "t", GOOD, OWNER)
    return report.write_packet(url, "t", tmp_path_factory.mktemp("packet"), as_of="2025-08-01")


def test_every_page_renders_offline(chromium: str, packet: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = [packet, *(packet.parent / p.href for p in report.PAGES)]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--headless"]
        )
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            blocked: list[str] = []
            failed: list[str] = []
            errors: list[str] = []

            def offline(route) -> None:  # noqa: ANN001 - playwright Route
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()

            tab.route("**/*", offline)
            tab.on("requestfailed", lambda r: failed.append(r.url))
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: errors.append(str(e)))
            figures = 0
            for path in pages:
                tab.goto(path.as_uri(), wait_until="load")
                tab.wait_for_function(ALL_DRAWN, timeout=15_000)
                count = tab.locator(".plotly-graph-div").count()
                drawn = tab.locator(".plotly-graph-div .main-svg").count()
                assert count == 0 or drawn >= count, path.name
                figures += count
                assert tab.locator(".packet-header .packet-nav a").count() == len(pages)
                tab.screenshot(path=str(ARTIFACTS / f"packet-{path.stem}.png"), full_page=True)
            assert figures >= 1  # the fee page has its heatmap
            assert blocked == [] and failed == [] and errors == []
        finally:
            browser.close()
