"""report: what the pages say about a practice whose numbers the test knows (a packet of the
two pages checked, from the good fixtures), building a packet when a page fails, formatters,
notebook hygiene. What every packet must be is in test_packet_demo.py."""

from __future__ import annotations

import ast
import json
import re
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from payeropt_lib import config, errors, store
from payeropt_lib.analytics import directory, fee_comparisons, privacy, recovery
from payeropt_lib.errors import NotOptedIn, StoreError
from payeropt_lib.inputs import onboarding
from payeropt_lib.packet import build as packets
from payeropt_lib.packet import cache, display, jobs, kernels, loaders, pages, plots, report
from payeropt_lib.store import orgs, tables
from payeropt_lib.store.access import Identity
from tests.conftest import GOOD
from tests.packet.reading import PLOTLY_JS_BANNER, page_files, refs, table_rows
from tests.packet.single_page import only_page

OWNER = Identity("t", "owner")
AS_OF = "2025-08-01"
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
PAGE_NOTEBOOKS = [p for p in NOTEBOOKS if not p.name.startswith("explore_")]
# The pages whose numbers are checked below: the packet built here has only these.
CHECKED = tuple(p for p in pages.PAGES if p.slug in ("fee-schedules", "underpayments"))
HANG = 300  # seconds: only a hung thread takes this long (no check depends on timing)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = config.sqlite_url(tmp_path_factory.mktemp("db") / "packet.sqlite")
    engine = store.engine_for(url)
    orgs.create(engine, "t", "Test Practice & Sons", OWNER, locality="01112-05")
    orgs.opt_in(engine, "t", OWNER, True)
    onboarding.load_folder(engine, "t", GOOD, OWNER)
    orgs.create(engine, "nope", "Not Opted In", OWNER)
    return url


CLAIM_PREFIX = "ZQCLM"  # the test's claim ids: they must never reach a packet page


def _post_remittances(url: str) -> None:
    """What posting one 835 would leave: 23 under-paid lines from Medicare, 7 from Acme
    (a small cell), 2 over-paid Medicaid lines, and a task per under-paid claim."""
    under = [("MCR", "99213", 1_200)] * 23 + [("ACME", "20610", 800)] * 7
    n = len(under)
    claims = [f"{CLAIM_PREFIX}{i:04d}" for i in range(1, n + 3)]
    payer = [p for p, _, _ in under] + ["MCD", "MCD"]
    short = [s for _, _, s in under] + [-300, -300]  # negative short = over-paid
    findings = pd.DataFrame(
        {
            "org_id": "t",
            "remit_id": 1,
            "claim_seq": range(1, n + 3),
            "line_seq": 1,
            "kind": ["underpaid"] * n + ["overpaid"] * 2,
            "claim_id": claims,
            "line_number": 1,
            "payer_id": payer,
            "procedure_code": [c for _, c, _ in under] + ["99214", "99214"],
            "date_of_service": pd.Timestamp("2025-05-20"),
            "units": 1,
            "expected_cents": 10_000,
            "allowed_cents": [10_000 - s for s in short],
            "variance_cents": [-s for s in short],
            "cause": ["below_contract"] * n + ["above_contract"] * 2,
            "evidence": "allowed below expected",
            "explanation": "",
            "task_id": pd.array(list(range(1, n + 1)) + [None, None], dtype="Int64"),
            "void": False,
        }
    )
    recovered = [False] * 15 + [True] * 8 + [False] * 7  # Medicare: 15 open, 8 recovered
    tasks = pd.DataFrame(
        {
            "task_id": range(1, n + 1),
            "org_id": "t",
            "claim_id": claims[:n],
            "payer_id": payer[:n],
            "remit_id": 1,
            "opened_at": "2025-06-02T10:00:00Z",
            "remit_date": pd.Timestamp("2025-06-01"),
            "deadline": pd.Timestamp("2025-09-01"),
            "state": ["recovered" if r else "open" for r in recovered],
            "amount_cents": short[:n],
            "recovered_cents": [1_000 if r else 0 for r in recovered],
            "cause": "below_contract",
            "lines": 1,
            "closed_at": None,
        }
    )
    remittance = pd.DataFrame(
        {
            "remit_id": [1],
            "org_id": "t",
            "remit_file_id": 1,
            "isa_sender_id": "NORIDIAN",
            "isa_control": "000000001",
            "st_control": "0001",
            "total_paid_cents": 250_000,
            "trace_number": "EFT0001",
            "remit_date": pd.Timestamp("2025-06-01"),
            "balanced": True,
            "payment_key": "NORIDIAN|000000001|EFT0001|MCR",
        }
    )
    with store.engine_for(url).begin() as conn:
        store.bulk_insert(conn, tables.remittances, remittance)
        store.bulk_insert(conn, tables.tasks, tasks)
        store.bulk_insert(conn, tables.findings, findings)


@pytest.fixture(scope="module")
def packet(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packet of the pages in ``CHECKED`` (the numbers need this practice, not the demo:
    a packet of every page is the demo's, built once for test_packet_demo.py)."""
    _post_remittances(db_url)
    out = tmp_path_factory.mktemp("packet")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "PAGES", CHECKED)
        return packets.write_packet(db_url, "t", out, as_of=AS_OF, who=OWNER)


@pytest.fixture(scope="module")
def suppressed_packet(packet: Path, db_url: str, tmp_path_factory: pytest.TempPathFactory):
    """The under-payments page again, for a practice that asks for the 11 rule in its own
    packet too (``report --suppress-below 11``)."""
    out = tmp_path_factory.mktemp("suppressed")
    page = [p for p in CHECKED if p.slug == "underpayments"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "PAGES", page)
        return packets.write_packet(db_url, "t", out, as_of=AS_OF, suppress_below=11)


# --- the packet -----------------------------------------------------------------------


def test_every_page_has_header_navigation_and_footer(packet: Path) -> None:
    for path in page_files(packet, CHECKED):
        text = path.read_text(encoding="utf-8")
        assert "Test Practice &amp; Sons" in text, path  # escaped, once escaped
        assert "Test Practice &amp;amp;" not in text, path
        assert "2025-01-15 to 2025-10-21" in text, path  # the whole data's period
        assert f"Rates as of</dt><dd>{AS_OF}" in text, path
        assert "claims through 2025-10-21" in text, path
        assert "Generated</dt><dd>" in text, path
        hrefs = {v for tag, k, v in refs(path) if tag == "a"}
        assert {"index.html", *(p.href for p in CHECKED)} <= hrefs, path


def test_page_shows_the_numbers_not_the_code(packet: Path) -> None:
    page = (packet.parent / "fee-schedules.html").read_text(encoding="utf-8")
    assert "report.context(" not in page  # exclude_input
    assert "$98.00 · 90%" in page  # ACME HMO 99213 from 2025-07-01 vs Medicare $109.15
    assert "$136.44 · 125%" in page  # ACME PPO 125 % of $109.15, half up
    assert 'class="num below"' in page


def _text(page: Path) -> str:
    """A page's words: scripts, styles and tags removed."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_underpayments_page_is_aggregate_only(packet: Path) -> None:
    path = packet.parent / "underpayments.html"
    page = path.read_text(encoding="utf-8")
    text = _text(path)
    assert "Remittances on file are dated 2025-06-01 to 2025-06-01." in text
    # Key figures: 30 under-paid lines, $332.00 short (23 × $12.00 + 7 × $8.00).
    assert "Lines under-paid 30" in text and "Under-paid on remitted lines $332.00" in text
    # The practice's own packet: its own counts, small ones included (issue 12).
    assert "Acme Health Plan 7 $56.00" in text
    assert "Medicare Part B (Noridian JE) 23 $276.00" in text
    assert "All payers 30 $332.00" in text
    assert "State Medicaid yes 2 $6.00" in text  # over-payments: 2 Medicaid lines
    assert "&lt;11" not in text and "suppressed" not in text
    assert "small ones included" in text
    # Aging: 22 open claims remitted 61 days before the as-of date, none past its deadline.
    assert "61-90 days 22 $236.00" in text and "All open tasks 22 $236.00" in text
    assert "Past the appeal deadline (any age) 0 $0.00" in text
    # Nothing that names a claim or a patient, anywhere in the file (scripts included).
    assert CLAIM_PREFIX not in page
    assert not re.search(r"\bCLM\d|\bPAT\d|\bLCN\d", page)
    assert PLOTLY_JS_BANNER not in page
    assert page.count("Plotly.newPlot(") == 3  # by payer, by cause, aging


def test_a_practice_may_ask_for_the_11_rule_in_its_own_packet(suppressed_packet: Path) -> None:
    text = _text(suppressed_packet.parent / "underpayments.html")
    # By payer: Acme's 7 lines are "<11"; Medicare is hidden with it, or the total
    # (30 lines) minus Medicare would give Acme's count.
    assert "Acme Health Plan &lt;11 suppressed" in text
    assert "Medicare Part B (Noridian JE) suppressed suppressed" in text
    assert "All payers 30 $332.00" in text
    # Over-payments: 2 Medicaid lines, hidden with their dollars.
    assert "State Medicaid yes &lt;11 suppressed" in text
    assert "$6.00" not in text
    assert "counts from 1 to 10 are shown as “&lt;11”" in text.replace("&ldquo;", "“").replace(
        "&rdquo;", "”"
    )


def test_not_opted_in_practice_is_refused(db_url: str, tmp_path: Path) -> None:
    with pytest.raises(NotOptedIn) as err:
        report.context("nope", db_url, "", "", AS_OF)
    assert str(err.value) == (
        "report.run refused: practice 'nope' has not opted in to Payer Optimization; the "
        "owner must read the disclosure ('payeropt opt-in nope --show-disclosure') and accept "
        "it ('payeropt opt-in nope --actor NAME --role owner --accept-disclosure')"
    )
    with pytest.raises(NotOptedIn):
        packets.write_packet(db_url, "nope", tmp_path, as_of=AS_OF)
    assert not (tmp_path / "index.html").exists()


def test_context_never_creates_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(StoreError) as err:
        report.context("t", config.sqlite_url(missing))
    assert str(err.value) == (
        f"database {config.sqlite_url(missing)}: no database file at {missing}; check the URL"
    )
    assert not missing.exists()


def test_context_settles_dates_and_locality(db_url: str) -> None:
    ctx = report.context("t", db_url, "", "2025-06-30", AS_OF)
    assert ctx.period_start == pd.Timestamp("2025-01-15")
    assert ctx.period_end == pd.Timestamp("2025-06-30")
    assert ctx.as_of == pd.Timestamp(AS_OF)
    assert ctx.locality == "01112-05"
    assert ctx.data_through == pd.Timestamp("2025-10-21")
    assert ctx.name == "Test Practice & Sons"
    with pytest.raises(errors.BadReportDate) as err:
        report.context("t", db_url, "", "", "2025-13-01")
    assert str(err.value) == "report as_of '2025-13-01' is not a date; write dates as YYYY-MM-DD"
    with pytest.raises(errors.BadReportDate) as err:
        report.context("t", db_url, "2025-06-01", "2025-05-01", AS_OF)
    assert str(err.value) == "report period '2025-06-01 to 2025-05-01' ends before it starts"
    with pytest.raises(errors.UnknownTable):
        report.load(ctx, "audit_log")


@pytest.mark.slow
def test_failing_notebook_names_notebook_and_cell(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_page(tmp_path, monkeypatch, "boom", "Boom", 'raise ValueError("boom")')
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("stale")
    with pytest.raises(errors.PageFailed) as err:
        packets.write_packet(db_url, "t", out, as_of=AS_OF)
    # Kept outside the packet, in the temporary folder the run made, and named (issue 12).
    executed = Path(err.value.executed)
    assert executed.name == "99_boom.ipynb" and out not in executed.parents
    assert str(err.value) == (
        "report page 99_boom.ipynb failed in cell In [3] (ValueError: boom); no index.html "
        f"was written; the executed notebook is {executed}"
    )
    assert executed.is_file()
    assert not list(out.rglob("*.ipynb"))
    shutil.rmtree(executed.parent)
    assert not (out / "index.html").exists()
    assert not (out / "boom.html").exists()


def _kernels_lose_port_race(
    monkeypatch: pytest.MonkeyPatch, held: socket.socket, times: int
) -> list[int]:
    """The first ``times`` kernels get ``held``'s port as their control port, as when a
    kernel started elsewhere took it between jupyter_client picking it and the kernel
    binding it. Returns the control ports handed out, one per kernel start."""
    from jupyter_client.connect import ConnectionFileMixin

    held.bind(("127.0.0.1", 0))
    held.listen()
    write = ConnectionFileMixin.write_connection_file
    ports: list[int] = []

    def losing(self, **kwargs):  # noqa: ANN001, ANN202
        if len(ports) < times:
            self.control_port = held.getsockname()[1]
        write(self, **kwargs)
        ports.append(self.control_port)

    monkeypatch.setattr(ConnectionFileMixin, "write_connection_file", losing)
    return ports


def _no_kernel_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's own kernel starts only: a kernel started ahead of the pages that dies is
    replaced by the first page without a retry (tests/packet/test_kernels.py)."""
    monkeypatch.setattr(kernels, "prestart", lambda *args: None)


@pytest.mark.slow
def test_kernel_that_loses_a_port_race_is_started_again(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    only_page(tmp_path, monkeypatch, "fine", "Fine", 'print("fine")')
    _no_kernel_ahead(monkeypatch)
    out = tmp_path / "out"
    with socket.socket() as held, caplog.at_level("WARNING", logger=jobs.__name__):
        ports = _kernels_lose_port_race(monkeypatch, held, times=1)
        index = packets.write_packet(db_url, "t", out, as_of=AS_OF, workers=1)
        assert len(ports) == 2 and ports[0] == held.getsockname()[1] != ports[1]
    assert index.is_file() and (out / "fine.html").is_file()
    assert [r.getMessage() for r in caplog.records if r.name == jobs.__name__] == [
        "99_fine.ipynb: the kernel died while starting (start 1 of 3); starting another"
    ]


@pytest.mark.slow
def test_kernel_that_never_starts_fails_its_page(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_page(tmp_path, monkeypatch, "fine", "Fine", 'print("fine")')
    _no_kernel_ahead(monkeypatch)
    out = tmp_path / "out"
    with socket.socket() as held:
        ports = _kernels_lose_port_race(monkeypatch, held, times=jobs.KERNEL_STARTS)
        with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
            packets.write_packet(db_url, "t", out, as_of=AS_OF, workers=1)
    assert len(ports) == jobs.KERNEL_STARTS
    assert not (out / "index.html").exists()


# --- formatters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (1, "<11"), (10, "<11"), (11, "11"), (12345, "12,345"), (pd.NA, "—")],
)
def test_fmt_count_suppresses_small_cells(n: object, text: str) -> None:
    assert report.fmt_count(n) == text


# --- figures and tables ---------------------------------------------------------------


def test_setup_notebook_renders_figures_offline_without_plotly_js(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pio.renderers, "default", pio.renderers.default)  # restored after
    report.setup_notebook()
    assert pio.renderers.default == display.RENDERER_NAME
    fig = go.Figure(go.Bar(y=[1, 2]))
    for shown in (report.show_figure(fig), report.show_figure(fig)):
        assert PLOTLY_JS_BANNER not in shown.html  # the packet's assets/ carries it
        assert "Plotly.newPlot(" in shown.html
        assert re.search(r"<script[^>]*\bsrc=", shown.html) is None  # no MathJax/CDN tag
        assert "application/vnd.plotly.v1+json" in shown._repr_mimebundle_()
        assert len(repr(shown)) < 100  # the text/plain fallback never repeats the HTML
    # A bare figure left as a cell's last expression goes through the same renderer.
    bundle = fig._repr_mimebundle_()
    assert "text/html" in bundle and PLOTLY_JS_BANNER not in bundle["text/html"]
    assert "Plotly.newPlot(" in bundle["text/html"]


def _comparison(db_url: str) -> pd.DataFrame:
    ctx = report.context("t", db_url, "", "", AS_OF)
    return fee_comparisons.fee_comparison(
        report.load(ctx, "charges"),
        report.load(ctx, "contracts"),
        report.load(ctx, "fee_schedules"),
        report.load(ctx, "medicare_fees"),
        ctx.as_of,
        ctx.locality,
        top_n=3,
    )


def test_fee_heatmap_diverges_at_medicare(db_url: str) -> None:
    comparison = _comparison(db_url)
    fig = plots.fee_heatmap(comparison)
    heat = fig.data[0]
    assert heat.zmid == 100
    columns = [x.replace("<br>", " ") for x in heat.x]  # long names wrap onto lines
    assert columns == list(dict.fromkeys(comparison["payer_label"]))
    assert heat.x[0] == "Medicare Part<br>B (Noridian<br>JE)"
    # The practice's own volumes; with the 11 rule they would read "<11 lines".
    assert [y.split(" (")[0] for y in heat.y] == ["99213", "20610", "99214"]
    assert heat.y[0] == "99213 (7 lines)" and heat.y[2] == "99214 (4 lines)"
    assert heat.z[0][0] == pytest.approx(100.0)
    assert "Rate: %{customdata[0]}" in heat.hovertemplate
    assert fig.layout.yaxis.title.text and fig.layout.xaxis.title.text
    assert plots.fee_heatmap(comparison.iloc[0:0]).layout.annotations


def test_tables_format_money_and_flag_rows(db_url: str) -> None:
    comparison = _comparison(db_url)
    wide = report.fee_table(comparison).html
    assert "<th>Medicare allowed</th>" in wide
    assert '<td class="num below">▼\u00a0$98.00 · 90%</td>' in wide
    flagged = report.table(
        fee_comparisons.below_medicare(comparison),
        columns={"code_label": "Code", "rate_cents": "Rate", "pct_of_medicare": "%"},
        flag="below_medicare",
    ).html
    assert "<th>Code</th><th>Rate</th><th>%</th>" in flagged
    assert '<td class="num flag">$98.00</td>' in flagged  # Acme HMO; Medicaid is no target
    empty = report.table(comparison.iloc[0:0], empty="Nothing below Medicare.").html
    assert empty == '<p class="packet-empty">Nothing below Medicare.</p>'


def _stake(labels: list[str], lines: list[int], stake: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "payer_label": labels,
            "lines": lines,
            "underpaid_cents": stake,
            "open_claims": lines,
            "at_stake_cents": stake,
            "recovered_claims": 0,
            "recovered_cents": 0,
        }
    )
    frame = privacy.with_total(frame, "payer_label", directory.ALL_PAYERS)
    return privacy.suppress(frame, recovery.STAKE_COUNTS, recovery.STAKE_VALUES)


def test_tables_show_small_cells_as_under_11_and_their_complement_as_suppressed() -> None:
    frame = _stake(["Acme", "Beta", "Gamma"], [7, 30, 40], [700, 3_000, 4_000])
    columns = {"payer_label": "Payer", "lines": "Lines", "at_stake_cents": "At stake"}
    shown = report.table(frame, columns=columns, missing=report.SUPPRESSED).html
    # The whole table: Acme's 7 lines read "<11"; Beta is hidden with them, or the total
    # minus the others would give Acme's count; nobody's hidden dollars are anywhere.
    assert table_rows(shown) == [
        ["Payer", "Lines", "At stake"],
        ["Acme", "<11", "suppressed"],
        ["Beta", "suppressed", "suppressed"],
        ["Gamma", "40", "$40.00"],
        ["All payers", "77", "$77.00"],
    ]
    assert "$7.00" not in shown and "$30.00" not in shown


def test_key_figures_and_remittance_notes(db_url: str) -> None:
    row = privacy.suppress(
        pd.DataFrame({"open_claims": [4], "at_stake_cents": [1_234], "no_rate_lines": [12]}),
        ["open_claims", "no_rate_lines"],
        {"at_stake_cents": "open_claims"},
    )
    labels = {"at_stake_cents": "At stake", "open_claims": "Claims", "no_rate_lines": "No rate"}
    shown = report.key_figures(row, labels).html
    assert "<th>Figure</th><th>Value</th>" in shown
    assert '<td>At stake</td><td class="num">suppressed</td>' in shown
    assert '<td>Claims</td><td class="num">&lt;11</td>' in shown
    assert '<td>No rate</td><td class="num">12</td>' in shown
    assert report.key_figures(row.iloc[0:0], labels, empty="None.").html == (
        '<p class="packet-empty">None.</p>'
    )
    none = pd.DataFrame({"remit_date": pd.Series([], dtype="datetime64[ns]")})
    assert "No remittances posted yet." in report.remit_notice(none).html
    assert report.if_posted(none, "No under-payments.") == report.NO_REMITTANCES
    some = pd.DataFrame({"remit_date": pd.to_datetime(["2025-06-01", "2025-07-15"])})
    assert report.if_posted(some, "No under-payments.") == "No under-payments."
    assert "dated 2025-06-01 to 2025-07-15" in report.remit_notice(some).html
    ctx = report.context("t", db_url, "", "", AS_OF)
    notes = report.remit_footnote(ctx, none).html
    assert "No remittances posted yet." in notes and "small ones included" in notes
    report.context("t", db_url, "", "", AS_OF, suppress_below=11)
    assert "&lt;11" in report.remit_footnote(ctx, none).html


def test_report_loads_remittance_tables_but_not_remitted_patients(db_url: str) -> None:
    ctx = report.context("t", db_url, "", "", AS_OF)
    frame = report.load(ctx, "findings", recovery.FINDING_COLUMNS)
    assert list(frame.columns) == recovery.FINDING_COLUMNS
    assert list(report.load(ctx, "tasks", recovery.TASK_COLUMNS).columns) == recovery.TASK_COLUMNS
    with pytest.raises(errors.UnknownTable):
        report.load(ctx, "remit_claims")  # holds patient names


def test_stake_bars_leave_out_the_total_and_hidden_figures() -> None:
    frame = _stake(["Acme", "Beta", "Gamma"], [7, 30, 40], [700, 3_000, 4_000])
    fig = plots.underpaid_by_payer(frame)
    stake, recovered = fig.data
    assert fig.layout.barmode == "stack"
    assert list(stake.y) == ["Acme *", "Beta *", "Gamma"]  # no "All payers" bar
    assert np.isnan(stake.x[0]) and np.isnan(stake.x[1])
    assert stake.x[2] == pytest.approx(40.0)
    assert [list(c) for c in stake.customdata] == [
        ["suppressed", "<11 claims"],
        ["suppressed", "suppressed"],
        ["$40.00", "40 claims"],
    ]
    assert recovered.name == "Recovered"
    assert any("fewer than 11" in a.text for a in fig.layout.annotations)
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    empty = plots.underpaid_by_cause(frame.iloc[0:0], empty=report.NO_REMITTANCES)
    assert empty.layout.annotations[0].text == report.NO_REMITTANCES


def test_task_aging_bars() -> None:
    tasks = pd.DataFrame(
        {
            "state": "open",
            "amount_cents": 1_000,
            "remit_date": pd.to_datetime(["2025-07-20"] * 4 + ["2025-05-01"] * 30),
            "deadline": pd.to_datetime(["2025-10-01"] * 4 + ["2025-07-01"] * 30),
        }
    )
    fig = plots.task_aging_bars(recovery.task_aging(tasks, pd.Timestamp(AS_OF)))
    bars = fig.data[0]
    assert list(bars.x) == ["0-30 days *", "31-60 days", "61-90 days", "over 90 days *"]
    assert list(bars.text) == ["<11 claims", "0 claims", "0 claims", "suppressed"]
    assert np.isnan(bars.y[0]) and bars.y[1] == 0
    assert "Past the appeal deadline: suppressed, suppressed at stake" in fig.layout.title.text
    none = plots.task_aging_bars(recovery.task_aging(tasks.iloc[0:0], pd.Timestamp(AS_OF)))
    assert none.layout.annotations[0].text == "No open follow-up tasks."


# --- notebook hygiene -----------------------------------------------------------------


def test_every_page_has_a_notebook_and_every_notebook_a_page() -> None:
    assert sorted(p.notebook for p in pages.PAGES) == [p.name for p in PAGE_NOTEBOOKS]
    assert len({p.slug for p in pages.PAGES}) == len(pages.PAGES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert "".join(nb["cells"][0]["source"]).startswith("# ")
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    params = "".join(tagged[0]["source"])
    for statement in ast.parse(params).body:
        # Typed literal defaults only: a derived value would ignore injected parameters.
        assert isinstance(statement, ast.AnnAssign), ast.unparse(statement)
        assert isinstance(statement.value, ast.Constant), ast.unparse(statement)
    assert all("  # " in line and line.count("=") == 1 for line in params.splitlines())
    for cell in code[1:]:
        source = "".join(cell["source"])
        tree = ast.parse(source)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            assert not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print")
        assert not re.search(r"(?i)\b(select|insert|update|delete)\b.+\b(from|into|set)\b", source)
    assert "report.setup_notebook()" in "".join(code[1]["source"])


def test_adjudicated_lines_are_priced_once_per_packet_run(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = report.context("t", db_url, "", "", AS_OF)
    key = loaders.adjudicated_key(ctx)
    priced: list[str] = []
    price = loaders.read_adjudicated

    def counted(c: report.Context) -> pd.DataFrame:
        priced.append(c.org_id)
        return price(c)

    monkeypatch.setattr(loaders, "read_adjudicated", counted)
    # Outside a packet run nothing is kept: no cache file, so every call prices the lines,
    # and nothing is written where a cache could land (this folder is the working
    # directory, for a relative path, and the temp directory).
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setattr(tempfile, "tempdir", str(outside))
    assert cache.cache_file(key) is None
    fresh = report.adjudicated(ctx)
    pd.testing.assert_frame_equal(report.adjudicated(ctx), fresh)
    assert priced == ["t", "t"]
    assert not list(outside.iterdir())
    # In a packet run: priced by the first page that asks, then read by every other page.
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv(cache.CACHE_ENV, str(run))
    pd.testing.assert_frame_equal(report.adjudicated(ctx), fresh)
    pd.testing.assert_frame_equal(report.adjudicated(ctx), fresh)
    assert priced == ["t", "t", "t"]
    kept = [p.name for p in run.glob("adjudicated-*.pkl")]
    assert kept == [f"{key}.pkl"] == [cache.cache_file(key).name]
    assert key.startswith("adjudicated-t-")


def test_a_packet_run_reads_each_table_and_builds_the_renewal_evidence_once(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page of a run reads the same snapshot of the store, once; outside a run
    every call reads the store afresh."""
    ctx = report.context("t", db_url, "", "", AS_OF)
    reads: list[str] = []
    read_frame = store.read_frame

    def counted(engine, table, org_id, columns=None):  # noqa: ANN001, ANN202
        reads.append(table.name)
        return read_frame(engine, table, org_id, columns=columns)

    monkeypatch.setattr(store, "read_frame", counted)
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    outside = report.load(ctx, "charges", ["claim_id"])
    report.load(ctx, "charges", ["claim_id"])
    assert reads == ["charges", "charges"]
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    reads.clear()
    for _ in range(2):
        pd.testing.assert_frame_equal(report.load(ctx, "charges", ["claim_id"]), outside)
    both = report.load(ctx, "charges")  # other columns: read once more
    assert reads == ["charges", "charges"] and len(both.columns) > 1
    # The Summary's and the Contract renewals page's evidence: built once.
    built: list[str] = []
    build = loaders._renewal_evidence

    def counted_build(*args):  # noqa: ANN002, ANN202
        built.append(args[0].org_id)
        return build(*args)

    monkeypatch.setattr(loaders, "_renewal_evidence", counted_build)
    first, second = report.renewal_evidence(ctx), report.renewal_evidence(ctx)
    assert built == ["t"]
    for a, b in zip(first, second, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert len(first[0]) > 0  # the fixture has contracts to renew: the frames are not empty


def test_a_page_waits_for_the_page_pricing_the_lines_instead_of_pricing_them_too(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = report.context("t", db_url, "", "", AS_OF)
    lines = report.adjudicated(ctx)
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    cached = cache.cache_file(loaders.adjudicated_key(ctx))
    monkeypatch.setattr(loaders, "read_adjudicated", lambda ctx: pytest.fail("priced twice"))
    fcntl = pytest.importorskip("fcntl")  # the lock is POSIX flock (none elsewhere)
    got: list[pd.DataFrame] = []
    # The page's thread says whether its lock request found the lock taken ("waits"),
    # then waits for it; or that it never asked (it finished, or failed).
    asked: list[str] = []
    answered = threading.Event()
    flock = fcntl.flock

    def watched(fd: object, op: int) -> None:
        if threading.current_thread() is page and op == fcntl.LOCK_EX:
            try:
                flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                asked.append("waits")
                answered.set()
                flock(fd, op)
                return
            asked.append("took it at once")
            answered.set()
            return
        flock(fd, op)

    def open_page() -> None:
        try:
            got.append(report.adjudicated(ctx))
        finally:
            answered.set()

    page = threading.Thread(target=open_page)
    with cache.exclusive(cached.with_suffix(".lock")):  # another page is pricing them
        monkeypatch.setattr(fcntl, "flock", watched)
        page.start()
        assert answered.wait(HANG)
        assert asked == ["waits"] and not got  # blocked on the lock, no lines of its own
        lines.to_pickle(cached)  # the other page is done
    page.join(HANG)
    assert not page.is_alive()
    assert len(got) == 1
    pd.testing.assert_frame_equal(got[0], lines)


def test_fee_heatmap_without_a_single_percent_says_so(db_url: str) -> None:
    comparison = _comparison(db_url)
    blank = comparison.assign(
        rate_cents=pd.array([pd.NA] * len(comparison), dtype="Int64"),
        pct_of_medicare=pd.array([pd.NA] * len(comparison), dtype="Float64"),
    )
    fig = plots.fee_heatmap(blank)
    assert not fig.data  # no grey grid
    assert "No percent of Medicare to show" in fig.layout.annotations[0].text
