"""The demo practice's packet: what every packet must be. Complete, linked, offline in a
real browser, private, small.

Every test here only reads the packet, and they share one build (``demo_packet`` in
conftest.py; this one file runs on one worker, so the demo packet is built once per test
run). Tests of building itself (failing pages, kernel retries, batches) build their own
small packets in test_report.py and test_packets_batch.py. Playwright drives Debian's
chromium (``playwright install`` cannot download browsers here, style pitfall 10.8); every
request that is not ``file:`` or ``data:`` is aborted, so a page that needs the network
fails. Screenshots go to out/test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import plotly
import pytest
import sqlalchemy as sa

from payeropt_lib import config
from payeropt_lib.packet import build as packets
from payeropt_lib.packet import jobs, pages
from tests.packet.conftest import DEMO_AS_OF
from tests.packet.reading import PLOTLY_JS_BANNER, packet_files, page_files, refs

ARTIFACTS = config.PROJECT_ROOT / "out" / "test-artifacts"
PACKET_LIMIT = 6 * 1024 * 1024  # issue 5: a practice's packet stays under 6 MB
# Every figure div has drawn its SVG (plotly adds .main-svg when it renders).
ALL_DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')]
    .every(div => div.querySelector('.main-svg') !== null)"""
TOKEN = re.compile(r"[A-Za-z0-9]+")


@pytest.fixture(scope="module")
def identifiers(demo_url: str) -> dict[str, set[str]]:
    """Every patient id, patient name, member id and claim id in the demo database."""
    engine = sa.create_engine(demo_url)
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


# --- complete and linked ----------------------------------------------------------------


def test_packet_has_index_and_every_page(demo_packet: Path) -> None:
    assert demo_packet.name == "index.html"
    for path in page_files(demo_packet):
        assert path.is_file(), path
        # Every page (and the index) links the index and every page.
        hrefs = {v for tag, k, v in refs(path) if tag == "a"}
        assert {"index.html", *(p.href for p in pages.PAGES)} <= hrefs, path
    # Executed notebooks are not part of what the manager receives (issue 12).
    assert not list(demo_packet.parent.rglob("*.ipynb"))
    assert not (demo_packet.parent / "_executed").exists()


def test_every_page_has_the_practice_header(demo_packet: Path) -> None:
    for path in page_files(demo_packet):
        text = path.read_text(encoding="utf-8")
        assert "Demo Family &amp; Orthopedic Practice" in text, path  # escaped, once escaped
        assert "&amp;amp;" not in text, path
        assert f"Rates as of</dt><dd>{DEMO_AS_OF}" in text, path
        assert "claims through " in text and "Generated</dt><dd>" in text, path


def test_packet_references_nothing_on_the_network(demo_packet: Path) -> None:
    for path in page_files(demo_packet):
        text = path.read_text(encoding="utf-8")
        assert 'src="http' not in text and "src='http" not in text, path
        external = [r for r in refs(path) if re.match(r"(https?:)?//", r[2])]
        assert external == [], path
        assert "cdnjs" not in re.sub(r"<script>.*?</script>", "", text, flags=re.S), path


def test_every_local_link_resolves(demo_packet: Path) -> None:
    for path in page_files(demo_packet):
        local = [r for _tag, _attr, r in refs(path) if not r.startswith(("#", "data:"))]
        assert local, path  # the navigation at least: the check below has links to follow
        for ref in local:
            assert (path.parent / ref.split("#")[0]).is_file(), (path, ref)


def test_plotly_js_shipped_once_per_packet(demo_packet: Path) -> None:
    assets = demo_packet.parent / packets.ASSETS_DIR
    shipped = (assets / packets.PLOTLY_JS).read_text(encoding="utf-8")
    assert PLOTLY_JS_BANNER in shipped
    assert "jp-OutputArea" in (assets / packets.LAB_CSS).read_text(encoding="utf-8")
    for path in page_files(demo_packet):
        text = path.read_text(encoding="utf-8")
        assert PLOTLY_JS_BANNER not in text, path  # linked, never embedded
        assert len(text) < 600_000, path  # pages stay small; the packet is ~5 MB in all
    for page in pages.PAGES:
        shown = refs(demo_packet.parent / page.href)
        assert ("script", "src", "assets/plotly.min.js") in shown, page.href
        assert ("link", "href", "assets/lab.css") in shown, page.href


# --- private and small ------------------------------------------------------------------


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
    demo_packet: Path, identifiers: dict[str, set[str]]
) -> None:
    files = packet_files(demo_packet)
    searched = [p for p in files if not _third_party(p, demo_packet.parent)]
    assert len(files) - len(searched) == 2  # only plotly.js and lab.css are skipped
    assert {p.name for p in searched} >= {"index.html", *(pg.href for pg in pages.PAGES)}
    for path in searched:  # pages, index, executed notebooks
        leaks = _leaks(path.read_text(encoding="utf-8", errors="replace"), identifiers)
        assert leaks == {}, (path, {k: sorted(v)[:5] for k, v in leaks.items()})


def test_packet_is_small(demo_packet: Path) -> None:
    # What the manager receives: the pages, the index and the assets (issue 12: <= 6 MB).
    size = sum(p.stat().st_size for p in packet_files(demo_packet))
    assert size <= PACKET_LIMIT, f"{size:,} bytes"


# --- offline in a real browser ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_every_page_renders_offline(chromium: str, demo_packet: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened = page_files(demo_packet)
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
                drawn_per_page[path.stem] = tab.locator(".plotly-graph-div").count()
                assert tab.locator(".packet-header .packet-nav a").count() == len(opened)
                assert tab.locator(".packet-header").inner_text().count("Generated") == 1
                tab.screenshot(path=str(ARTIFACTS / f"demo-{path.stem}.png"), full_page=True)
            # Every page but the contents, the summary and the data quality checks (tables of
            # what to fix) has at least one figure (drawn: ALL_DRAWN waited for each).
            pictured = [p.slug for p in pages.PAGES if drawn_per_page.get(p.slug, 0) >= 1]
            unpictured = {"summary", "data-quality"}
            assert set(pictured) >= {p.slug for p in pages.PAGES} - unpictured, drawn_per_page
            assert blocked == [] and failed == [] and errors == []
        finally:
            browser.close()


def test_an_index_of_practices_hides_the_small_counts_a_practice_sees_in_its_own(
    demo_url: str, demo_packet: Path
) -> None:
    """The demo's own packet shows what it recovered (a handful of claims); an index of
    practices (``report --all``) holds the same figure to the 11 rule (issue 12)."""
    parameters = {"db_url": demo_url, "period_start": "", "period_end": "",
                  "as_of": DEMO_AS_OF, "suppress_below": 0}  # fmt: skip
    headline = jobs.run_headline(jobs.HeadlineJob(config.DEMO_ORG, parameters))
    own, combined = dict(headline["figures"]), dict(headline["batch_figures"])
    assert combined["Recovered"] == "<11 claims"
    assert own["Recovered"].startswith("$"), own
    assert "suppressed" not in own.values() and not any(v.startswith("<") for v in own.values())
    index = demo_packet.read_text(encoding="utf-8")
    assert own["Recovered"] in index and "small ones included" in index
