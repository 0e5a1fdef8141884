"""The demo practice's packet: private, offline in a real browser, small.

Built once from the demo database (``make test`` builds ``out/demo`` first) into a temp
folder. Playwright drives Debian's chromium (``playwright install`` cannot download
browsers here, style pitfall 10.8); every request that is not ``file:`` or ``data:`` is
aborted, so a page that needs the network fails. Screenshots go to out/test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import plotly
import pytest
import sqlalchemy as sa

from payeropt_lib import config
from payeropt_lib.demo import files as demo
from payeropt_lib.packet import build as packets
from payeropt_lib.packet import pages

pytestmark = pytest.mark.browser

ARTIFACTS = config.PROJECT_ROOT / "out" / "test-artifacts"
DEMO_DB = config.PROJECT_ROOT / "out" / "demo" / "payeropt.sqlite"
PACKET_LIMIT = 6 * 1024 * 1024  # issue 5: a practice's packet stays under 6 MB
# Every figure div has drawn its SVG (plotly adds .main-svg when it renders).
ALL_DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')]
    .every(div => div.querySelector('.main-svg') !== null)"""
TOKEN = re.compile(r"[A-Za-z0-9]+")


@pytest.fixture(scope="module")
def packet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not DEMO_DB.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no demo database at {DEMO_DB}: make test builds it first")
        pytest.skip("no demo database: run `make demo`")
    out = tmp_path_factory.mktemp("demo-packet")
    return packets.write_packet(
        config.sqlite_url(DEMO_DB), config.DEMO_ORG, out, as_of=demo.DEMO_AS_OF.isoformat()
    )


@pytest.fixture(scope="module")
def identifiers() -> dict[str, set[str]]:
    """Every patient id, patient name, member id and claim id in the demo database."""
    engine = sa.create_engine(config.sqlite_url(DEMO_DB))
    with engine.connect() as conn:

        def column(sql: str) -> set[str]:
            return {str(v) for (v,) in conn.execute(sa.text(sql)) if v not in (None, "")}

        found = {
            "patient_id": column("SELECT DISTINCT patient_id FROM charges"),
            "claim_id": column("SELECT DISTINCT claim_id FROM charges")
            | column("SELECT DISTINCT claim_id FROM remit_claims"),
            "line_control_number": column("SELECT DISTINCT line_control_number FROM charges"),
            "patient_name": column("SELECT DISTINCT patient_last FROM remit_claims")
            | column("SELECT DISTINCT patient_first FROM remit_claims"),
            "member_id": column("SELECT DISTINCT patient_member_id FROM remit_claims"),
            "payer_claim_number": column("SELECT DISTINCT payer_claim_number FROM remit_claims"),
        }
    engine.dispose()
    return found


def _third_party(path: Path, packet_dir: Path) -> bool:
    """plotly.js and lab's CSS, byte-identical to the installed packages' files."""
    if path.parent != packet_dir / packets.ASSETS_DIR:
        return False
    if path.name == packets.PLOTLY_JS:
        source = Path(plotly.__file__).parent / "package_data" / packets.PLOTLY_JS
        return path.read_bytes() == source.read_bytes()
    if path.name == packets.LAB_CSS:
        css = "\n".join(p.read_text(encoding="utf-8") for p in packets._lab_stylesheets())
        return path.read_text(encoding="utf-8") == css
    return False


def _leaks(text: str, ids: dict[str, set[str]]) -> dict[str, set[str]]:
    tokens = set(TOKEN.findall(text))
    upper = {t.upper() for t in tokens}
    out = {}
    for kind, values in ids.items():
        hits = (
            {v for v in values if v.upper() in upper}
            if kind == "patient_name"
            else values & tokens
        )
        if hits:
            out[kind] = hits
    return out


def test_demo_has_identifiers_to_look_for(identifiers: dict[str, set[str]]) -> None:
    assert len(identifiers["patient_id"]) > 1000 and len(identifiers["claim_id"]) > 10_000
    assert len(identifiers["patient_name"]) >= 20 and len(identifiers["member_id"]) > 1000
    # The search finds an identifier where one is (the test can fail).
    claim = sorted(identifiers["claim_id"])[0]
    name = sorted(identifiers["patient_name"])[0]
    text = f"<td>{claim}</td><td>{name.title()}</td>"
    assert _leaks(text, identifiers) == {"claim_id": {claim}, "patient_name": {name}}


def test_no_patient_or_claim_identifier_in_any_packet_file(
    packet: Path, identifiers: dict[str, set[str]]
) -> None:
    files = [p for p in packet.parent.rglob("*") if p.is_file()]
    searched = [p for p in files if not _third_party(p, packet.parent)]
    assert len(files) - len(searched) == 2  # only plotly.js and lab.css are skipped
    assert {p.name for p in searched} >= {"index.html", *(pg.href for pg in pages.PAGES)}
    for path in searched:  # pages, index, executed notebooks
        leaks = _leaks(path.read_text(encoding="utf-8", errors="replace"), identifiers)
        assert leaks == {}, (path, {k: sorted(v)[:5] for k, v in leaks.items()})


def test_packet_is_small(packet: Path) -> None:
    shipped = [
        p for p in packet.parent.rglob("*") if p.is_file() and packets.EXECUTED_DIR not in p.parts
    ]
    size = sum(p.stat().st_size for p in shipped)
    assert size <= PACKET_LIMIT, f"{size:,} bytes"


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def test_every_page_renders_offline(chromium: str, packet: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened = [packet, *(packet.parent / p.href for p in pages.PAGES)]
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
            drawn_per_page = {}
            for path in opened:
                tab.goto(path.as_uri(), wait_until="load")
                tab.wait_for_function(ALL_DRAWN, timeout=30_000)
                count = tab.locator(".plotly-graph-div").count()
                drawn = tab.locator(".plotly-graph-div .main-svg").count()
                assert count == 0 or drawn >= count, path.name
                drawn_per_page[path.stem] = count
                assert tab.locator(".packet-header .packet-nav a").count() == len(opened)
                assert tab.locator(".packet-header").inner_text().count("Generated") == 1
                tab.screenshot(path=str(ARTIFACTS / f"demo-{path.stem}.png"), full_page=True)
            # Every page but the contents and the summary has at least one figure.
            pictured = [p.slug for p in pages.PAGES if drawn_per_page.get(p.slug, 0) >= 1]
            assert set(pictured) >= {p.slug for p in pages.PAGES} - {"summary"}, drawn_per_page
            assert blocked == [] and failed == [] and errors == []
        finally:
            browser.close()
