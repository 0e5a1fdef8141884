"""The explore_* dashboards, headless: built on the demo practice, a control changed, the
figure redrawn with what the packet's functions give for the new selection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

from payeropt_lib import config, formats, store
from payeropt_lib.analytics import directory, privacy, reconciliation, recovery
from payeropt_lib.errors import PermissionDenied
from payeropt_lib.packet import cells, dashboards, jobs, plots, report
from payeropt_lib.store import audit, trail
from tests.conftest import OWNER, opted_in_org
from tests.packet.conftest import DEMO_AS_OF
from tests.packet.reading import table_rows

EXPLORE = sorted(config.NOTEBOOKS_DIR.glob("explore_*.ipynb"))


@pytest.fixture(scope="module")
def ctx(demo_url: str) -> report.Context:
    return report.context(config.DEMO_ORG, demo_url, "", "", DEMO_AS_OF)


def _plain(value: object) -> object:
    if isinstance(value, np.ndarray | list | tuple):
        return np.asarray(value, dtype=object).tolist()
    return value


def _data(board: dashboards.Dashboard) -> list[dict]:
    """The figure's traces with arrays as plain lists (comparable with ==)."""
    return [{k: _plain(v) for k, v in t.to_plotly_json().items()} for t in board.figure.data]


def test_fee_explorer_redraws_for_fewer_codes(ctx: report.Context) -> None:
    board = dashboards.fee_explorer(ctx)
    before = _data(board)
    assert len(before) == 1 and len(before[0]["y"]) == 15  # the default top 15 codes
    board.controls["codes"].value = 5
    after = _data(board)
    assert after != before
    assert list(after[0]["y"]) == list(before[0]["y"])[:5]  # the same codes, most billed first
    assert "<table" in board.table.value and board.table.value.count("<tr>") == 6


def test_a_dashboard_figure_is_strict_json(ctx: report.Context) -> None:
    """A code without a rate is a gap (null), not NaN: the widget's figure travels as strict
    JSON, and jupyter_client warned "Out of range float values" on every run (issue 12)."""
    import json

    board = dashboards.fee_explorer(ctx)
    z = [v for row in _data(board)[0]["z"] for v in row]
    assert None in z  # the demo's J3301 has no Medicare amount: the check can fail
    json.dumps(board.figure.to_plotly_json(), allow_nan=False, default=lambda a: a.tolist())


def test_fee_explorer_as_of_date_changes_the_rates(ctx: report.Context) -> None:
    board = dashboards.fee_explorer(ctx)
    before = _data(board)
    board.controls["as_of"].value = ctx.as_of.date().replace(year=ctx.as_of.year - 2)
    after = _data(board)
    assert after[0]["z"] is not None and before[0]["z"] is not None
    assert after[0]["z"] != before[0]["z"]


def _by_payer(ctx: report.Context, cause: str) -> pd.DataFrame:
    """What the packet's function gives for one cause over the whole period."""
    findings = report.load(ctx, "findings", recovery.FINDING_COLUMNS)
    tasks = report.load(ctx, "tasks", recovery.TASK_COLUMNS)
    f, t = recovery.in_period(findings, tasks, ctx.period_start, ctx.period_end)
    f, t = f[f["cause"].eq(cause)], t[t["cause"].eq(cause)]
    payers = directory.payer_directory(report.load(ctx, "contracts"))
    return recovery.underpayments_by_payer(f, t, payers)


def test_underpayment_explorer_matches_the_packet_functions(ctx: report.Context) -> None:
    board = dashboards.underpayment_explorer(ctx)
    everything = _data(board)
    board.controls["cause"].value = "earlier_rate"
    only = _data(board)
    assert only != everything
    expected = _by_payer(ctx, "earlier_rate")
    shown = expected[~expected["is_total"] & expected["at_stake_cents"].notna()]
    assert len(shown) >= 1  # some payer's bar is drawn: the comparison has something to match
    # The orange bars are the at-stake dollars of the payers shown, in the table's order.
    stake = [x for x in only[0]["x"] if x == x]  # hidden bars are NaN: not drawn
    assert stake == pytest.approx([c / 100 for c in shown["at_stake_cents"].astype(int)])


def test_small_cells_stay_hidden_in_the_dashboard(ctx: report.Context) -> None:
    board = dashboards.underpayment_explorer(ctx)
    board.controls["cause"].value = "units_ignored"
    expected = _by_payer(ctx, "units_ignored")
    columns = ["lines", "underpaid_cents", "at_stake_cents", "recovered_cents"]
    # The cause has figures to hide (the demo: fewer than 11 claims recovered) and to show.
    assert expected[columns].isna().any().any() and expected[columns].notna().any().any()
    texts = {c: cells.cell_text(expected, c) for c in columns}
    want = pd.DataFrame({"payer": expected["payer_label"], **texts}).to_numpy().tolist()
    # The dashboard's table, row for row and cell for cell: what the packet shows.
    assert table_rows(board.table.value)[1:] == want


def _execute(nb: nbformat.NotebookNode, name: str) -> None:
    """Run ``nb`` headless in the notebooks' folder, as JupyterLab would."""
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        shutdown_kernel="immediate",  # as jobs.run_page does
        resources={"metadata": {"path": str(config.NOTEBOOKS_DIR)}},
    )
    # Kernels start alongside the packet tests' (see jobs.KERNEL_STARTS).
    jobs.retrying_kernel_start(client.execute, name)


# After the first control's change, what a notebook's further controls are checked doing.
FURTHER = {
    # The payer with the most visits of the latest month: its own figures in place of the
    # month's, and the month's Table 3 gone.
    "explore_reconciliation.ipynb": (
        "facts = board.facts.value\n"
        "board.controls['payer'].value = board.controls['payer'].options[1][1]\n"
        "assert snap() != after and board.facts.value != facts\n"
        "assert 'Table 3' not in board.table.value\n"
        "print('payer redrawn')"
    ),
}


@pytest.mark.parametrize("path", EXPLORE, ids=lambda p: p.name)
def test_notebook_runs_headless_and_a_widget_change_redraws(
    ctx: report.Context, path: Path
) -> None:
    nb = nbformat.read(path, as_version=4)
    params = nb.cells[1]
    assert "parameters" in params.metadata.get("tags", [])
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import numpy as np\n"
            "snap = lambda: [np.asarray(v, dtype=object).tolist() for t in board.figure.data\n"
            "                for v in (t.x, t.y, getattr(t, 'z', None))]\n"
            "before = snap()\n"
            "control = next(iter(board.controls.values()))\n"
            "options = getattr(control, 'options', None)\n"
            "if options:\n"
            "    values = [o[1] if isinstance(o, tuple) else o for o in options]\n"
            "    control.value = values[-1]\n"
            "else:\n"
            "    control.value = control.value.replace(year=control.value.year - 2)\n"
            "after = snap()\n"
            "assert after != before, 'the figure did not change'\n"
            "print('redrawn', len(board.figure.data))"
        )
    )
    if path.name in FURTHER:
        nb.cells.append(nbformat.v4.new_code_cell(FURTHER[path.name]))
    _execute(nb, path.name)
    out = [o for c in nb.cells[-2:] for o in c.outputs]
    assert any("redrawn" in o.get("text", "") for o in out), out
    if path.name in FURTHER:
        assert any("payer redrawn" in o.get("text", "") for o in out), out
    # The dashboard cell put a live widget (not a static picture) in the notebook.
    views = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert views


def test_payer_explorer_redraws_for_another_payer(ctx: report.Context) -> None:
    board = dashboards.payer_explorer(ctx)
    options = [value for _, value in board.controls["payer"].options]
    assert len(options) >= 2
    before, table_before = _data(board), board.table.value
    board.controls["payer"].value = options[1]
    after = _data(board)
    assert after != before and board.table.value != table_before
    # The figure only ever shows the chosen payer's lines.
    chosen = dict((v, k) for k, v in board.controls["payer"].options)[options[1]]
    names = {t.get("legendgroup") or t.get("name") for t in after} - {None, ""}
    assert names  # the figure names its lines: the check below has something to check
    assert all(chosen in n or n.lower().startswith("contract") for n in names), names


# --- the audit trail ------------------------------------------------------------------------


def _patient_entry(engine, org: str) -> None:  # noqa: ANN001 - an Engine
    """An entry about one patient (as a coding review will write)."""
    with store.writing(engine, org) as conn:
        audit.record(conn, org, actor="bea", role="billing_manager", action="coding.review",
                     target="CLM1001", patient_id="PAT001")  # fmt: skip


def _bars(board: dashboards.Dashboard) -> int:
    return sum(sum(t["y"]) for t in _data(board) if t.get("type") == "bar")


def test_audit_explorer_searches_as_the_library_does(db_url, engine, loaded) -> None:
    board = dashboards.audit_explorer(loaded, db_url, "olivia", "owner")
    assert list(board.controls)[:4] == ["action", "actor", "from", "to"]
    everything = trail.search(engine, loaded, OWNER)
    assert _bars(board) == len(everything) and board.table.value.count("<tr>") == 1 + len(
        everything
    )
    board.controls["action"].value = "import"
    imported = trail.search(engine, loaded, OWNER, action="import")
    assert _bars(board) == len(imported) == 7
    assert {t["name"] for t in _data(board)} == set(imported["action"])
    opted_out = dashboards.audit_explorer(loaded, db_url, "olivia", "owner", action="opt_out")
    assert opted_out.controls["action"].value == "opt_out" and _bars(opted_out) == 0
    board.controls["to"].value = dt.date(2000, 1, 1)
    assert _bars(board) == 0 and "No entries." in board.table.value
    # Looking is not a change: none of this went on the record.
    assert len(audit.search(engine, loaded)) == len(everything)


def test_audit_explorer_shows_a_patient_key_only_in_a_search_by_patient(db_url, engine, org):
    _patient_entry(engine, org)
    manager = dashboards.audit_explorer(org, db_url, "max", "practice_manager")
    assert "patient" not in manager.controls  # not offered to a role that may not
    assert "PAT001" not in manager.table.value and trail.WITHHELD in manager.table.value
    billing = dashboards.audit_explorer(org, db_url, "bea", "billing_manager")
    assert "PAT001" not in billing.table.value
    billing.controls["patient"].value = "PAT001"
    assert "PAT001" in billing.table.value and _bars(billing) == 1
    recorded = audit.search(engine, org, action="audit.search_patient")
    assert recorded[["actor", "patient_id"]].values.tolist() == [["bea", "PAT001"]]
    billing.controls["patient"].value = ""
    assert "PAT001" not in billing.table.value


def test_audit_explorer_refuses_a_role_that_may_not_search(db_url, engine, org):
    with pytest.raises(PermissionDenied):
        dashboards.audit_explorer(org, db_url, "cal", "clinician")
    refused = audit.search(engine, org, action="audit.search")
    assert refused[["actor", "outcome"]].values.tolist() == [["cal", "refused"]]


def test_the_audit_notebook_keeps_patient_keys_out_of_its_output(tmp_path: Path) -> None:
    """Run as committed on a practice with an entry about a patient, as the owner (who may
    search by patient, and is offered the box): nothing in the saved notebook, widget state
    included, names the patient until a search by patient is run."""
    url = config.sqlite_url(tmp_path / "trail.sqlite")
    org = opted_in_org(store.engine_for(url), "Audit")
    _patient_entry(store.engine_for(url), org)
    nb = nbformat.read(config.NOTEBOOKS_DIR / "explore_audit.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(
        f"org_id, db_url, actor, role = {org!r}, {url!r}, 'olivia', 'owner'"
    ))  # fmt: skip
    nb.cells.append(nbformat.v4.new_code_cell("print(sorted(board.controls))"))
    _execute(nb, "explore_audit.ipynb")
    saved = nbformat.writes(nb)
    assert "'patient'" in nb.cells[-1].outputs[0]["text"]
    assert trail.WITHHELD in saved  # the table is in the saved output...
    assert "PAT001" not in saved  # ... and the patient's key is not


# --- reconciliation -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def read_once(ctx: report.Context):  # noqa: ANN201 - record.Books
    return report.books(ctx)


@pytest.fixture
def books(read_once, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """The demo's books, read once for the module: each explorer built here gets them (a
    read is 6 s; a cell size changes the display frames, never the books)."""
    monkeypatch.setattr(report, "books", lambda _: read_once)
    return read_once


def _payers(board: dashboards.Dashboard) -> dict[str, str]:
    """The payer control's options: key → label."""
    return {key: label for label, key in board.controls["payer"].options}


def test_reconciliation_explorer_starts_on_the_pages_month_and_reads_the_books_once(
    ctx: report.Context, books, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = []
    monkeypatch.setattr(report, "books", lambda c: reads.append(c) or books)  # counted
    board = dashboards.reconciliation_explorer(ctx)
    chosen, _ = reconciliation.chosen_month(books, None, ctx.period_end)
    resolution = reconciliation.resolution(books, ctx.period_end)
    month = board.controls["month"]
    # Every month on file, labelled with its resolved share; the page's month first shown.
    assert [v for _, v in month.options] == resolution["month_label"].tolist()
    assert month.value == f"{chosen:%Y-%m}"
    share = resolution.loc[resolution["month_label"].eq(month.value), "pct_resolved"].iloc[0]
    assert f"{month.value} ({formats.percent(share, 1)} resolved)" in month.label
    # The chosen month's bar is the blue one.
    colors = list(board.months.data[0].marker.color)
    assert colors.count(plots.reconciliation.CHOSEN_COLOR) == 1
    assert list(board.months.data[0].x)[colors.index(plots.reconciliation.CHOSEN_COLOR)] == (
        month.value
    )
    # "All payers", then each row of the month's Table 3 but the total, by name.
    table = reconciliation.receivables_table(books, chosen)
    assert board.controls["payer"].value == dashboards.ALL
    assert list(_payers(board).values()) == ["All payers", *table["payer"].iloc[:-1]]
    assert "Table 3" in board.table.value and "What the postings" in board.table.value
    for key in list(_payers(board))[1:3]:
        board.controls["payer"].value = key
    month.value = month.options[-1][1]
    assert len(reads) == 1  # the books were read once, for every change


def test_reconciliation_explorer_for_all_payers_is_the_pages_table(
    ctx: report.Context, books
) -> None:
    board = dashboards.reconciliation_explorer(ctx)
    chosen, _ = reconciliation.chosen_month(books, None, ctx.period_end)
    table = reconciliation.receivables_table(books, chosen)
    # The chart: the page's chart of the page's Table 3, bar for bar.
    page = plots.charge_outcome_bars(table)
    assert [(t.name, list(t.x)) for t in board.figure.data] == [
        (t.name, list(t.x)) for t in page.data
    ]
    # The first table: Table 3's money columns, row for row as the page prints them.
    shown = table_rows(board.table.value)
    header = list(dashboards.TABLE3_HEADERS.values())
    assert shown[0] == header
    first = shown[1 : 1 + len(table)]
    texts = {c: cells.cell_text(table, c).tolist() for c in dashboards.TABLE3_HEADERS}
    assert first == [list(row) for row in zip(*texts.values(), strict=True)]
    # The key figures are the month's identity: charges = cash + adjustments + owed + unexplained
    facts = reconciliation.identity_facts(table, books).iloc[0]
    parts = ["cash_cents", "adjustments_cents", "balance_cents", "unexplained_cents"]
    assert facts["charges_cents"] == sum(int(facts[c]) for c in parts)
    assert formats.money(facts["charges_cents"]) in board.facts.value


def test_reconciliation_explorer_for_one_payer(ctx: report.Context, books) -> None:
    board = dashboards.reconciliation_explorer(ctx)
    chosen, _ = reconciliation.chosen_month(books, None, ctx.period_end)
    table = reconciliation.receivables_table(books, chosen)
    medicare = sorted(books.payers_of_class("MEDICARE") & set(_payers(board)))
    others = [k for k in list(_payers(board))[1:] if k not in medicare]
    assert medicare and others  # the demo's month has both: the checks below check something
    board.controls["payer"].value = medicare[0]
    name = _payers(board)[medicare[0]]
    row = table[table["payer"].eq(name)]
    # Its Table 3 row as key figures, figure by figure.
    facts = table_rows(board.facts.value)[1:]
    texts = cells.cell_texts(row, list(dashboards.PAYER_FACTS), report.SUPPRESSED, digits=1)
    want = [[label, texts[c][0].iloc[0]] for c, label in dashboards.PAYER_FACTS.items()]
    assert facts[-len(want) :] == want  # after the month's line
    # Where its charges went: one bar per outcome, its own, as the page's chart draws it.
    page = plots.charge_outcome_bars(row)
    assert [(t.name, list(t.y), list(t.x)) for t in board.figure.data] == [
        (t.name, list(t.y), list(t.x)) for t in page.data
    ]
    cash = next(t for t in board.figure.data if t.name == "Cash")
    assert list(cash.x) == [int(row["cash_cents"].iloc[0]) / 100]
    # A Medicare payer: Tables 1 and 2, as the Medicare check page makes them.
    assert "Table 1" in board.table.value and "Table 2" in board.table.value
    _, paid = reconciliation.who_paid(books, chosen)
    assert formats.money(paid["perfect_cents"].iloc[0]) in board.table.value
    assert "Table 3" not in board.table.value
    # Another payer: no Medicare tables; its unexplained rows only.
    board.controls["payer"].value = others[0]
    other = _payers(board)[others[0]]
    assert "Table 1" not in board.table.value
    unexplained = reconciliation.unexplained_by_payer(books, chosen)
    mine = unexplained[unexplained["payer"].eq(other)]
    assert len(mine) and len(mine) < len(unexplained)
    texts = {c: cells.cell_text(mine, c).tolist() for c in dashboards.UNEXPLAINED_HEADERS_ONE}
    assert table_rows(board.table.value)[1:] == [
        list(r) for r in zip(*texts.values(), strict=True)
    ]
    # A later month keeps the payer while it has visits in that month.
    board.controls["month"].value = board.controls["month"].options[-1][1]
    assert board.controls["payer"].value == others[0]
    assert _payers(board)[others[0]] == other


def test_reconciliation_explorer_hides_small_cells_and_names_no_claim(
    ctx: report.Context, books
) -> None:
    chosen, _ = reconciliation.chosen_month(books, None, ctx.period_end)
    table = reconciliation.receivables_table(books, chosen)
    smallest = table[~table["is_total"]].sort_values("visits_count").iloc[0]
    below = int(smallest["visits_count"]) + 1  # hides the smallest payer's row
    with privacy.cells_below(below):
        board = dashboards.reconciliation_explorer(ctx)
        key = next(k for k, v in _payers(board).items() if v == smallest["payer"])
        board.controls["payer"].value = key
        facts = dict(table_rows(board.facts.value)[1:])
        assert facts["Visits"] == f"<{below}" and facts["Charges"] == "suppressed"
        assert formats.money(smallest["charges_cents"]) not in board.facts.value
        assert all(x is None for t in board.figure.data for x in t.x)  # no bar drawn
        board.controls["payer"].value = dashboards.ALL
        seen = board.facts.value + board.table.value + str(board.figure.to_plotly_json())
    # Aggregates only: no claim id anywhere in what the dashboard shows.
    ids = set(books.ledger["claim_id"].astype(str))
    assert not any(i in seen for i in ids if len(i) > 4)


def test_reconciliation_explorer_on_a_practice_without_claims(tmp_path: Path) -> None:
    """A practice with nothing on file: one month option that says so, empty charts that
    say why, and no error."""
    url = config.sqlite_url(tmp_path / "empty.sqlite")
    org = opted_in_org(store.engine_for(url), "Empty")
    board = dashboards.reconciliation_explorer(report.context(org, url, "", "", DEMO_AS_OF))
    assert board.controls["month"].options == ((reconciliation.NO_CLAIMS, ""),)
    assert [v for _, v in board.controls["payer"].options] == [dashboards.ALL]
    assert reconciliation.NO_CLAIMS in board.facts.value and board.table.value == ""
    texts = [a.text for f in (board.months, board.figure) for a in f.layout.annotations]
    assert texts == ["No claims on file.", "No claims this month."]
