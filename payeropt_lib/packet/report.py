"""The report pages: which notebooks make the packet, and what a page notebook calls.

Wiring only. Every number on a page comes from a compute module (``contracts``,
``metrics``, ``performance``, ...); this module opens the store for a notebook
(``context``, ``load``, ``adjudicated``), formats values (``fmt_money``, ``fmt_pct``,
``fmt_count``) and turns figures and frames into offline HTML (``show_figure``, ``table``,
``key_figures``, ``fee_table``, notes). ``packets`` runs the notebooks of ``PAGES`` and
writes the packet; a page's figures need the packet's ``assets/plotly.min.js``, which the
template loads by relative path (docs/report.md).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from payeropt_lib import config, formats, store
from payeropt_lib.analytics import metrics
from payeropt_lib.errors import NotOptedIn, PayeroptError, StoreError
from payeropt_lib.pricing import contracts
from payeropt_lib.remittances import remitted
from payeropt_lib.store import orgs, tables

logger = logging.getLogger(__name__)

NA_TEXT = formats.NA_TEXT
SMALL_CELL = metrics.SMALL_CELL  # CMS cell-size policy: counts 1-10 are never shown
SUPPRESSED = "suppressed"  # a figure hidden so that a "<11" cell cannot be worked out
NO_REMITTANCES = "No remittances posted yet."
RENDERER_NAME = "payeropt_packet"


@dataclass(frozen=True)
class Page:
    """One packet page: a notebook in ``notebooks/`` and where its HTML goes."""

    notebook: str
    title: str
    slug: str
    summary: str

    @property
    def href(self) -> str:
        return f"{self.slug}.html"


# The packet, in reading order. Adding a page = adding a notebook and a line here.
PAGES: tuple[Page, ...] = (
    Page(
        notebook="00_summary.ipynb",
        title="Summary",
        slug="summary",
        summary="The practice's headline numbers for the period and the three actions "
        "most worth taking, each linked to its evidence.",
    ),
    Page(
        notebook="01_payer_performance.ipynb",
        title="Payer performance",
        slug="payer-performance",
        summary="Each payer and product line: volume, charges, allowed and paid, paid "
        "against the contract, denials, days to payment and under-payments, with monthly "
        "trends and a scorecard that ranks the payers.",
    ),
    Page(
        notebook="02_fee_schedule_comparison.ipynb",
        title="Fee schedules across payers",
        slug="fee-schedules",
        summary="What each payer pays for your most billed codes, in dollars and as a "
        "percent of Medicare; payers below Medicare are flagged.",
    ),
    Page(
        notebook="03_reimbursement_trends.ipynb",
        title="Reimbursement trends",
        slug="reimbursement-trends",
        summary="For your top codes, what each payer allowed month by month against the "
        "rate its contract sets.",
    ),
    Page(
        notebook="04_underpayments.ipynb",
        title="Under-payments",
        slug="underpayments",
        summary="What payers paid below your contracts: dollars still at stake and "
        "recovered, by payer and by cause, the codes under-paid most, how old the open "
        "follow-ups are, and over-payments you may have to return.",
    ),
    Page(
        notebook="05_denials.ipynb",
        title="Denials",
        slug="denials",
        summary="Which claims payers refused and why: by reason group, payer and code, "
        "and the trend month by month.",
    ),
    Page(
        notebook="06_payer_mix.ipynb",
        title="Payer mix",
        slug="payer-mix",
        summary="Who pays for your work: the share of claims, charges and payments by "
        "payer and payer type, and how it moves.",
    ),
    Page(
        notebook="07_contract_renewals.ipynb",
        title="Contract renewals",
        slug="contract-renewals",
        summary="Contracts whose notice window is open or opens within 120 days, with "
        "the evidence for the negotiation.",
    ),
)

# Tables a page may load: the imported data, and what posting 835s made of it. Not the
# remitted claims themselves (they hold patient names) nor the audit log.
REPORT_TABLES = (
    *tables.DATA_TABLES,
    tables.remittances,
    tables.remit_lines,
    tables.findings,
    tables.denials,
    tables.tasks,
)


# --- errors ---------------------------------------------------------------------------


class BadReportDate(PayeroptError):
    """A report date parameter that is not an ISO date, or a period that ends before it starts."""

    def __init__(self, name: str, value: str, reason: str = "is not a date") -> None:
        super().__init__(name, value, reason)
        self.name, self.value, self.reason = name, value, reason

    def __str__(self) -> str:
        hint = "; write dates as YYYY-MM-DD" if self.reason == "is not a date" else ""
        return f"report {self.name} {self.value!r} {self.reason}{hint}"


class UnknownTable(PayeroptError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        names = ", ".join(t.name for t in REPORT_TABLES)
        return f"no practice table {self.name!r} (one of: {names})"


# --- context: what every page works from ---------------------------------------------


@dataclass(frozen=True)
class Context:
    """One practice's report run: its store, dates and Medicare locality."""

    org_id: str
    engine: Engine = field(repr=False)
    org: dict
    as_of: pd.Timestamp
    period_start: pd.Timestamp | None  # first date of service (None: the practice has none)
    period_end: pd.Timestamp | None
    locality: str | None  # the practice's Medicare locality, reference for "% of Medicare"
    data_through: pd.Timestamp | None  # latest date of service on file
    last_import: str | None  # ISO UTC time of the latest import

    @property
    def name(self) -> str:
        return str(self.org["name"])


def _parse_day(name: str, value: str | dt.date | None) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(value).strip()[:10]))
    except ValueError:
        raise BadReportDate(name, str(value)) from None


def _iso(day: pd.Timestamp | None) -> str:
    return "" if day is None else day.strftime("%Y-%m-%d")


def _existing(url: str) -> str:
    """A report only reads: a missing SQLite file is an error, not a new empty database."""
    parsed = make_url(store.normalize_url(url))
    db = parsed.database
    if parsed.get_backend_name() == "sqlite" and db and db != ":memory:" and not Path(db).exists():
        hint = "run 'make demo' first" if url == config.demo_db_url() else "check the URL"
        raise StoreError(store.redact(url), f"no database file at {db}; {hint}")
    return url


def context(
    org_id: str,
    db_url: str = "",
    period_start: str = "",
    period_end: str = "",
    as_of: str = "",
) -> Context:
    """Open the store for a page and settle its dates.

    Empty ``db_url`` = ``PAYEROPT_DB`` else the demo database; empty ``as_of`` = today;
    an empty period bound = the first / last date of service on file. Refuses a practice
    that has not opted in (``NotOptedIn``).
    """
    engine = store.engine_for(_existing(config.resolve_db_url(db_url, for_notebook=True)))
    org = orgs.get(engine, org_id)
    if not org["opted_in"]:
        raise NotOptedIn(org_id, "report.run")
    day = _parse_day("as_of", as_of) or pd.Timestamp(dt.date.today())
    start, end = _parse_day("period_start", period_start), _parse_day("period_end", period_end)
    charges = tables.charges
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(charges.c.date_of_service), func.max(charges.c.date_of_service)).where(
                charges.c.org_id == org_id
            )
        ).one()
        last_import = conn.execute(
            select(func.max(tables.imports.c.imported_at)).where(tables.imports.c.org_id == org_id)
        ).scalar_one()
    first = pd.Timestamp(first) if first is not None else None
    last = pd.Timestamp(last) if last is not None else None
    start, end = start or first, end or last
    if start is not None and end is not None and end < start:
        raise BadReportDate("period", f"{_iso(start)} to {_iso(end)}", "ends before it starts")
    terms = store.read_frame(
        engine,
        tables.contracts,
        org_id,
        columns=["payer_class", "effective_from", "medicare_locality"],
    )
    return Context(
        org_id=org_id,
        engine=engine,
        org=org,
        as_of=day,
        period_start=start,
        period_end=end,
        locality=contracts.practice_locality(org, terms),
        data_through=last,
        last_import=last_import,
    )


def load(ctx: Context, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One of the practice's tables (``REPORT_TABLES``) as a typed frame
    (``store.read_frame``); pass ``columns`` to load only what the page needs."""
    table = {t.name: t for t in REPORT_TABLES}.get(name)
    if table is None:
        raise UnknownTable(name)
    return store.read_frame(ctx.engine, table, ctx.org_id, columns=columns)


CACHE_ENV = "PAYEROPT_REPORT_CACHE"  # set by packets for one run's kernels


def _cache_file(ctx: Context) -> Path | None:
    folder = os.environ.get(CACHE_ENV)
    if not folder:
        return None
    return (
        Path(folder)
        / f"adjudicated-{ctx.org_id}-{_iso(ctx.period_start)}-{_iso(ctx.period_end)}.pkl"
    )


def adjudicated(ctx: Context) -> pd.DataFrame:
    """The practice's remitted lines that count, in the report period
    (``remitted.adjudicated``). Reads the remitted claims' status and reversal flags only,
    never their patient columns.

    Every page of a packet needs this frame and pricing it is the costly part, so during a
    packet run (``packets`` sets ``PAYEROPT_REPORT_CACHE`` to a private temp folder for
    that run only, outside the packet, removed afterwards) the first page to build it
    leaves it there for the others. Pages run in parallel: the first holds a lock while it
    builds the frame, and a page that asks meanwhile waits for it rather than building it
    again on the same cores.
    """
    cached = _cache_file(ctx)
    if cached is None:
        return _adjudicated(ctx)
    with _exclusive(cached.with_suffix(".lock")):
        if cached.is_file():
            return pd.read_pickle(cached)
        lines = _adjudicated(ctx)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        lines.to_pickle(partial)
        partial.replace(cached)  # atomic: a page never reads half a file
    return lines


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """An exclusive lock on a file, across processes (POSIX ``flock``; without it, none:
    the pages then may build the frame twice, never read half of one)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _adjudicated(ctx: Context) -> pd.DataFrame:
    frames = {
        "remit_lines": load(ctx, "remit_lines", remitted.REMIT_LINE_COLUMNS),
        "remit_claims": store.read_frame(
            ctx.engine, tables.remit_claims, ctx.org_id, columns=remitted.REMIT_CLAIM_COLUMNS
        ),
        "remittances": load(ctx, "remittances", remitted.REMITTANCE_COLUMNS),
        "charges": load(ctx, "charges", remitted.CHARGE_COLUMNS),
        "findings": load(ctx, "findings", remitted.FINDING_COLUMNS),
        "denials": load(ctx, "denials", remitted.DENIAL_COLUMNS),
        "contracts": load(ctx, "contracts"),
        "fee_schedules": load(ctx, "fee_schedules"),
        "medicare_fees": load(ctx, "medicare_fees"),
    }
    return remitted.adjudicated(**frames, start=ctx.period_start, end=ctx.period_end)


# --- formatters (also Jinja filters in the templates) ---------------------------------


def fmt_count(n: Any, na: str = NA_TEXT) -> str:
    """A count of lines, claims or patients: '1,234'; 1-10 as '<11' (small-cell rule)."""
    if formats.missing(n):
        return na
    n = int(n)
    if 0 < n < SMALL_CELL:
        return f"<{SMALL_CELL}"
    return f"{n:,}"


FILTERS = {
    "fmt_money": formats.money,
    "fmt_pct": formats.percent,
    "fmt_count": fmt_count,
    "fmt_date": formats.day,
}


# --- displayable HTML -----------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """Something a notebook cell shows: HTML for the packet, plus richer mimetypes for Lab."""

    html: str = field(repr=False)
    extra: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        # IPython stores repr() as the text/plain fallback: never the whole HTML again.
        return f"<{len(self.html):,} characters of HTML>"

    def _repr_html_(self) -> str:
        return self.html

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:  # noqa: ANN001 - IPython
        return {**self.extra, "text/html": self.html}


def _packet_renderer_class():
    from plotly.io._base_renderers import MimetypeRenderer

    class PacketRenderer(MimetypeRenderer):
        """plotly JSON for JupyterLab, and offline HTML for nbconvert (which cannot show the
        plotly mimetype, pitfall 10.1). plotly.js is never embedded: the packet ships it
        once in ``assets/`` and the page template loads it; no MathJax tag at all (pitfall
        10.3)."""

        def to_mimebundle(self, fig_dict: dict) -> dict:
            import plotly.io as pio

            body = pio.to_html(
                fig_dict,
                full_html=False,
                include_plotlyjs=False,
                include_mathjax=False,
                config={"displaylogo": False, "responsive": True},
                default_width="100%",
                default_height="525px",
                validate=False,
            )
            spec = json.loads(pio.to_json(fig_dict, validate=False, remove_uids=False))
            return {"application/vnd.plotly.v1+json": spec, "text/html": body}

    return PacketRenderer


def _renderer():
    import plotly.io as pio

    if RENDERER_NAME not in pio.renderers:
        pio.renderers[RENDERER_NAME] = _packet_renderer_class()()
    return pio.renderers[RENDERER_NAME]


def setup_notebook() -> None:
    """Call once at the top of every packet notebook (and again to start a new page).

    Figures: the packet renderer (offline, plotly.js from the packet assets, no MathJax), also
    for a bare figure left as a cell's last expression. Frames: wide display, no truncated
    columns. Logging: library warnings only; the packet template hides stderr.
    """
    import plotly.io as pio

    pio.renderers[RENDERER_NAME] = _packet_renderer_class()()
    pio.renderers.default = RENDERER_NAME
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.width", 160)
    pd.set_option("display.max_colwidth", 80)
    logging.getLogger("payeropt_lib").setLevel(logging.WARNING)


def show_figure(fig) -> Shown:  # noqa: ANN001 - a plotly Figure
    """A figure as offline HTML (plotly.js comes from the packet's assets)."""
    bundle = _renderer().to_mimebundle(fig.to_dict())
    body = bundle.pop("text/html")
    return Shown(f'<div class="packet-figure">{body}</div>', bundle)


NUMERIC = "num"  # CSS class: right-aligned figures
COUNT_SUFFIXES = ("_count", "_claims", "_lines")


def _cell_text(
    column: str, values: pd.Series, missing: str, digits: int = 0
) -> tuple[pd.Series, str]:
    """Format one column by its name's convention; returns the text and its CSS class."""
    if column.endswith("_cents"):
        return values.map(lambda v: formats.money(v, missing)), NUMERIC
    if column.startswith("pct_") or column.endswith("_pct"):
        return values.map(lambda v: formats.percent(v, digits, na=missing)), NUMERIC
    if column in ("volume", "lines", "claims", "count") or column.endswith(COUNT_SUFFIXES):
        return values.map(lambda v: fmt_count(v, missing)), NUMERIC
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "yes", False: ""}).fillna(missing), ""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.map(lambda v: formats.day(v, missing)), ""
    return values.map(lambda v: missing if formats.missing(v) else str(v)), ""


def _formatted(
    frame: pd.DataFrame,
    columns: list[str],
    missing: str,
    digits: int = 0,
    small_text: dict[str, str] | None = None,
) -> dict[str, tuple[pd.Series, str]]:
    """Each column's text and CSS class (``_cell_text``). A figure hidden by
    ``metrics.suppress`` reads "<11" (or ``small_text[column]``) where its
    ``<column>_small`` flag is set; every other hidden figure reads ``missing``."""
    out = {}
    for column in columns:
        text, kind = _cell_text(column, frame[column], missing, digits)
        flag = column + metrics.SMALL_SUFFIX
        if flag in frame:
            small = frame[flag].fillna(False).astype(bool) & frame[column].isna()
            text = text.where(~small, (small_text or {}).get(column, f"<{SMALL_CELL}"))
        out[column] = (text, kind)
    return out


def cell_text(frame: pd.DataFrame, column: str, missing: str = SUPPRESSED) -> pd.Series:
    """One column as the text a table shows (e.g. for chart labels and hover text)."""
    return _formatted(frame, [column], missing)[column][0]


def _html_table(header: list[str], cells: pd.DataFrame, classes: pd.DataFrame) -> str:
    """A plain, escaped HTML table; ``classes`` (same shape, str) styles single cells."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    rows = []
    for values, styles in zip(
        cells.itertuples(index=False), classes.itertuples(index=False), strict=True
    ):
        tds = "".join(
            f'<td class="{esc(c)}">{esc(v)}</td>' if c else f"<td>{esc(v)}</td>"
            for v, c in zip(values, styles, strict=True)
        )
        rows.append(f"<tr>{tds}</tr>")
    return (
        f'<table class="packet-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def table(
    frame: pd.DataFrame,
    columns: dict[str, str] | None = None,
    flag: str | None = None,
    missing: str = NA_TEXT,
    empty: str = "Nothing to show.",
    digits: int = 0,
) -> Shown:
    """A frame as a formatted HTML table (``empty`` is shown instead when it has no rows).

    ``columns`` maps column → header (and picks and orders them); without it every column
    is shown under its own name. Values are formatted by column name: ``*_cents`` money,
    ``pct_*``/``*_pct`` percent, ``volume``/``*_count`` counts (small-cell rule), booleans
    yes/blank, dates ISO. Rows where the bool column ``flag`` is true are highlighted.
    Frames from ``metrics`` mark hidden small counts: they read "<11", and other hidden
    figures read ``missing`` (pass ``missing=SUPPRESSED`` for those frames). Percents
    show ``digits`` decimals (denial rates read better as 3.9% than 4%).
    """
    if frame.empty:
        return Shown(f'<p class="packet-empty">{html.escape(empty)}</p>')
    columns = columns or {c: c for c in frame.columns}
    formatted = _formatted(frame, list(columns), missing, digits)
    cells = pd.DataFrame({c: text for c, (text, _) in formatted.items()})
    marked = pd.Series("", index=frame.index)
    if flag is not None:
        marked = frame[flag].fillna(False).astype(bool).map({True: " flag", False: ""})
    classes = pd.DataFrame({c: (kind + marked).str.strip() for c, (_, kind) in formatted.items()})
    return Shown(_html_table(list(columns.values()), cells, classes))


def key_figures(
    frame: pd.DataFrame,
    labels: dict[str, str],
    missing: str = SUPPRESSED,
    empty: str = "Nothing to show.",
    digits: int = 0,
    small_text: dict[str, str] | None = None,
) -> Shown:
    """The first row of ``frame`` as a two-column table: one labelled figure per line.

    ``labels`` maps column → words, in the order shown. Values are formatted as in
    ``table`` (a hidden small count reads "<11", or ``small_text[column]``; other hidden
    figures ``missing``; percents with ``digits`` decimals); ``empty`` is shown instead
    when the frame has no row.
    """
    if frame.empty:
        return Shown(f'<p class="packet-empty">{html.escape(empty)}</p>')
    row = frame.iloc[[0]]
    formatted = _formatted(row, list(labels), missing, digits, small_text)
    cells = pd.DataFrame(
        {
            "figure": list(labels.values()),
            "value": [text.iloc[0] for text, _ in formatted.values()],
        }
    )
    classes = pd.DataFrame({"figure": "", "value": NUMERIC}, index=cells.index)
    return Shown(_html_table(["Figure", "Value"], cells, classes))


def if_posted(remittances: pd.DataFrame, text: str) -> str:
    """``text`` when any remittance is on file, else "No remittances posted yet." (what an
    empty table or chart says on a practice that has not imported an 835)."""
    return text if len(remittances) else NO_REMITTANCES


def remit_notice(remittances: pd.DataFrame) -> Shown:
    """The opening note of a remittance page: which remittances are on file, or that none
    has been posted yet and how to post them. Needs remittances: remit_date."""
    if remittances.empty:
        return Shown(
            f'<p class="packet-empty"><strong>{html.escape(NO_REMITTANCES)}</strong> '
            "This page fills in once the payers' 835 remittance files are imported "
            "(<code>payeropt import era</code>) and the packet is made again.</p>"
        )
    first, last = remittances["remit_date"].min(), remittances["remit_date"].max()
    return Shown(
        f'<p class="packet-notes">Remittances on file are dated {formats.day(first)} to '
        f"{formats.day(last)}.</p>"
    )


def remit_footnote(ctx: Context, remittances: pd.DataFrame) -> Shown:
    """Data notes for a remittance page: what is counted, what is left out, what is
    hidden and why."""
    posted = (
        f"Remittances on file are dated {formats.day(remittances['remit_date'].min())} to "
        f"{formats.day(remittances['remit_date'].max())}."
        if len(remittances)
        else NO_REMITTANCES
    )
    notes = [
        posted,
        f"Lines are remitted lines with dates of service {formats.day(ctx.period_start)} to "
        f"{formats.day(ctx.period_end)}, compared with the contract in force on the date of "
        "service. A line is under-paid when the payer allowed less than the contract by "
        "more than $0.50 or 0.5 %, whichever is larger; over-paid likewise above it.",
        "Each claim with under-paid lines on a remittance is one follow-up task; open, "
        "in-progress and appealed tasks are \u201cat stake\u201d. States are those after the "
        f"latest posting; ages are days from the remittance to {formats.day(ctx.as_of)}.",
        "Postings later reversed by the payer are left out.",
        f"Counts from 1 to 10 are shown as \u201c<{SMALL_CELL}\u201d and their dollars are not "
        f"shown; \u201c{SUPPRESSED}\u201d marks a figure hidden so that a small one cannot be "
        "worked out from a total.",
        "This page shows totals only: no claim numbers or patient details. Staff with "
        "access find the lines in the worklists (payeropt underpayments, payeropt tasks).",
    ]
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return Shown(f'<ul class="packet-notes">{items}</ul>')


def fee_table(comparison: pd.DataFrame) -> Shown:
    """A ``contracts.fee_comparison`` frame as codes × payers: '$98.00 · 90%' per cell.

    Cells below Medicare carry a '▼' and the ``below`` class; missing rates read
    'no rate on file'. Rows keep the frame's order (most billed first).
    """
    if comparison.empty:
        return Shown('<p class="packet-empty">No billed codes in this period.</p>')
    text = (
        comparison["rate_cents"].map(formats.money)
        + " · "
        + comparison["pct_of_medicare"].map(lambda p: formats.percent(p, na="no Medicare amount"))
    )
    text = text.where(comparison["rate_cents"].notna(), contracts.NO_RATE)
    text = text.where(~comparison["below_medicare"], "▼\u00a0" + text)  # ▼ stays with its $
    style = comparison["below_medicare"].map({True: "num below", False: NUMERIC})
    style = style.where(comparison["rate_cents"].notna(), "num missing")
    shaped = comparison.assign(text=text, style=style)
    rows = ["code_label", "volume", "medicare_cents"]
    payers = list(dict.fromkeys(comparison["payer_label"]))
    codes = shaped.drop_duplicates("code_label")[rows].reset_index(drop=True)
    wide = shaped.pivot(index="code_label", columns="payer_label", values=["text", "style"])
    wide = wide.reindex(codes["code_label"])
    cells = pd.DataFrame(
        {
            "code": codes["code_label"],
            "lines": codes["volume"].map(fmt_count),
            "medicare": codes["medicare_cents"].map(formats.money),
            **{p: wide[("text", p)].to_numpy() for p in payers},
        }
    )
    classes = pd.DataFrame(
        {
            "code": "",
            "lines": NUMERIC,
            "medicare": NUMERIC,
            **{p: wide[("style", p)].fillna("").to_numpy() for p in payers},
        },
        index=cells.index,
    )
    header = ["Code", "Lines", "Medicare allowed", *payers]
    return Shown(_html_table(header, cells, classes))


def footnote(ctx: Context) -> Shown:
    """Data notes for the bottom of a page: freshness, dates, locality, display rules."""
    notes = [
        f"Claims on file through {formats.day(ctx.data_through)}; last import "
        f"{(ctx.last_import or NA_TEXT)[:16].replace('T', ' ')} UTC.",
        f"Volumes count claim lines with dates of service {formats.day(ctx.period_start)} to "
        f"{formats.day(ctx.period_end)}; counts from 1 to 10 are shown as \u201c<11\u201d.",
        f"Rates are those in force on {formats.day(ctx.as_of)}. Medicare reference: locality "
        f"{ctx.locality or 'unknown'}, non-facility amounts.",
        f"\u201c{contracts.NO_RATE}\u201d means no fee schedule row or Medicare amount applies "
        "on that date; it is not a zero rate.",
    ]
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return Shown(f'<ul class="packet-notes">{items}</ul>')


# --- the summary ------------------------------------------------------------------------


def headline(ctx: Context, adjudicated_lines: pd.DataFrame | None = None) -> pd.DataFrame:
    """The practice's headline figures for the period (``summary.headline``): one row."""
    from payeropt_lib.analytics import performance, summary

    lines = adjudicated(ctx) if adjudicated_lines is None else adjudicated_lines
    transactions = load(ctx, "transactions", performance.TRANSACTION_COLUMNS)
    findings, tasks = metrics.in_period(
        load(ctx, "findings", metrics.FINDING_COLUMNS),
        load(ctx, "tasks", metrics.TASK_COLUMNS),
        ctx.period_start,
        ctx.period_end,
    )
    return summary.headline(
        performance.practice_kpis(lines, transactions),
        metrics.headline(findings, tasks, ctx.as_of),
    )


def headline_figures(frame: pd.DataFrame) -> dict:
    """``headline`` as display text: {"figures": [(label, text), ...]} for the indexes."""
    from payeropt_lib.analytics import summary

    if frame.empty:
        return {"figures": []}
    columns = [c for c, _ in summary.HEADLINE_LABELS]
    formatted = _formatted(
        frame.iloc[[0]], columns, SUPPRESSED, digits=1, small_text=summary.HEADLINE_SMALL_TEXT
    )
    figures = [(label, formatted[c][0].iloc[0]) for c, label in summary.HEADLINE_LABELS]
    return {"figures": figures}


def action_list(actions: pd.DataFrame, empty: str = "No action stands out this period.") -> Shown:
    """``summary.actions`` as a numbered list, each action linked to its evidence."""
    if actions.empty:
        return Shown(f'<p class="packet-empty">{html.escape(empty)}</p>')
    esc = html.escape
    items = "".join(
        f"<li><strong>{esc(str(a))}</strong>. {esc(str(e))} "
        f'<a href="{esc(str(h))}">See the evidence</a>.</li>'
        for a, e, h in zip(actions["action"], actions["evidence"], actions["href"], strict=True)
    )
    return Shown(f'<ol class="packet-actions">{items}</ol>')


def renewal_evidence(
    ctx: Context,
    adjudicated_lines: pd.DataFrame | None = None,
    window_days: int = 120,
    lead_days: int = 90,
    top_n: int = 15,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The contract schedule (``renewals.upcoming``), the rates per contract and top code
    (``renewals.rate_position``) and the negotiation evidence per contract
    (``renewals.evidence``), loaded for the practice and period."""
    from payeropt_lib.analytics import renewals

    terms = load(ctx, "contracts")
    charges = load(ctx, "charges", renewals.CHARGE_COLUMNS)
    schedule = renewals.upcoming(terms, ctx.as_of, window_days=window_days, lead_days=lead_days)
    code_rows = renewals.rate_position(
        schedule,
        charges,
        terms,
        load(ctx, "fee_schedules"),
        load(ctx, "medicare_fees"),
        ctx.as_of,
        ctx.locality,
        period_start=ctx.period_start,
        period_end=ctx.period_end,
        top_n=top_n,
    )
    findings, tasks = metrics.in_period(
        load(ctx, "findings", metrics.FINDING_COLUMNS),
        load(ctx, "tasks", metrics.TASK_COLUMNS),
        ctx.period_start,
        ctx.period_end,
    )
    lines = adjudicated(ctx) if adjudicated_lines is None else adjudicated_lines
    evidence = renewals.evidence(
        schedule,
        renewals.rate_summary(code_rows),
        renewals.activity(
            schedule,
            charges,
            lines,
            load(ctx, "denials", renewals.DENIAL_COLUMNS),
            ctx.period_start,
            ctx.period_end,
        ),
        metrics.underpayments_by_payer(findings, tasks, metrics.payer_directory(terms)),
    )
    return schedule, code_rows, evidence
