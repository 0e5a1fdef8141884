"""What a page cell shows: figures and frames as offline HTML, and the page's notes.

Figures go through the packet renderer (plotly JSON for JupyterLab, HTML without
plotly.js for nbconvert: the packet ships plotly.js once in ``assets/``); frames become
escaped tables formatted by ``cells``.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field

import pandas as pd

from payeropt_lib import formats
from payeropt_lib.analytics import fee_comparisons, privacy

from .cells import NA_TEXT, NUMERIC, SUPPRESSED, cell_texts, fmt_count
from .context import Context

NO_REMITTANCES = "No remittances posted yet."
RENDERER_NAME = "payeropt_packet"


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


WIDE_COLUMNS = 9
# Every percent on a page has one decimal (3.9%, never 4% on one page and 3.9% on another):
# one number, one text (issue 12).
PERCENT_DIGITS = 1


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
    # More than nine columns print smaller (packet.css) to fit the paper's width.
    kind = "packet-table packet-wide" if len(header) > WIDE_COLUMNS else "packet-table"
    return (
        f'<div class="packet-table-wrap"><table class="{kind}"><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def table(
    frame: pd.DataFrame,
    columns: dict[str, str] | None = None,
    flag: str | None = None,
    missing: str = NA_TEXT,
    empty: str = "Nothing to show.",
    digits: int = PERCENT_DIGITS,
) -> Shown:
    """A frame as a formatted HTML table (``empty`` is shown instead when it has no rows).

    ``columns`` maps column → header (and picks and orders them); without it every column
    is shown under its own name. Values are formatted by column name: ``*_cents`` money,
    ``pct_*``/``*_pct`` percent, ``volume``/``*_count`` counts (small-cell rule), booleans
    yes/blank, dates ISO. Rows where the bool column ``flag`` is true are highlighted.
    Frames from ``analytics`` mark hidden small counts: they read "<11", and other hidden
    figures read ``missing`` (pass ``missing=SUPPRESSED`` for those frames). Percents
    show ``digits`` decimals (denial rates read better as 3.9% than 4%).
    """
    if frame.empty:
        return Shown(f'<p class="packet-empty">{html.escape(empty)}</p>')
    columns = columns or {c: c for c in frame.columns}
    formatted = cell_texts(frame, list(columns), missing, digits)
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
    digits: int = PERCENT_DIGITS,
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
    formatted = cell_texts(row, list(labels), missing, digits, small_text)
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
        small_cell_note(),
        "This page shows totals only: no claim numbers or patient details. Staff with "
        "access find the lines in the worklists (payeropt underpayments, payeropt tasks).",
    ]
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return Shown(f'<ul class="packet-notes">{items}</ul>')


def fee_table(comparison: pd.DataFrame) -> Shown:
    """A ``fee_comparisons.fee_comparison`` frame as codes × payers: '$98.00 · 90%' per cell.

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
    text = text.where(comparison["rate_cents"].notna(), fee_comparisons.NO_RATE)
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
        f"{formats.day(ctx.period_end)}.",
        small_cell_note(),
        f"Rates are those in force on {formats.day(ctx.as_of)}. Medicare reference: locality "
        f"{ctx.locality or 'unknown'}, non-facility amounts.",
        f"\u201c{fee_comparisons.NO_RATE}\u201d means no fee schedule row or Medicare amount "
        "applies on that date; it is not a zero rate.",
    ]
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return Shown(f'<ul class="packet-notes">{items}</ul>')


def below_contract_note(parts: pd.DataFrame) -> Shown:
    """The data note that ties *allowed below the contract* to the Under-payments page
    (``performance.below_contract_parts``): the same lines, the small differences apart."""
    if parts.empty:
        return Shown("")
    row = parts.iloc[0]
    short, under = int(row["short_of_contract_cents"]), int(row["underpaid_cents"])
    over, within = int(row["overpaid_cents"]), int(row["within_tolerance_cents"])
    m = formats.money
    text = (
        f"Allowed below the contract ({m(short)}) is the net over every line with a contract "
        f"rate, the small differences within the $0.50 or 0.5 % tolerance included "
        f"({m(within)}); the Under-payments page counts only the lines beyond it: under-paid "
        f"{m(under)} less over-paid {m(over)} = {m(under - over)}."
    )
    return Shown(f'<ul class="packet-notes"><li>{html.escape(text)}</li></ul>')


def small_cell_note() -> str:
    """The data note on small counts, for the cell size in force (``privacy.small_cell``)."""
    below = privacy.small_cell()
    if below <= 1:
        return (
            "Counts are the practice's own and are shown as they are, small ones included: "
            "this packet is for the practice. Anything that leaves it or combines practices "
            "(the consultant's index of practices) hides counts from 1 to 10."
        )
    return (
        f"Counts from 1 to {below - 1} are shown as \u201c<{below}\u201d and their dollars "
        f"are not shown; \u201c{SUPPRESSED}\u201d marks a figure hidden so that a small one "
        "cannot be worked out from a total."
    )


_SMALL_NOTE = re.compile(r'^- <span class="small-cells-note">.*?</span>[ \t]*$', re.M)
_SMALL_SPAN = re.compile(r'[ \t]?<span class="small-cells">(.*?)</span>', re.S)


def small_cell_markdown(text: str) -> str:
    """A page's markdown for the cell size in force: a bullet marked
    ``<span class="small-cells-note">`` becomes ``small_cell_note()``; a sentence marked
    ``<span class="small-cells">`` (what hiding small counts does to a table or chart) is
    left out where nothing is hidden, else read with the size in force ("fewer than 11",
    "<11", "1 to 10"). The notebooks keep the 11 version, which JupyterLab shows as is."""
    below = privacy.small_cell()
    text = _SMALL_NOTE.sub(lambda _: "- " + small_cell_note(), text)

    def sentence(match: re.Match) -> str:
        if below <= 1:
            return ""
        inner = match.group(1).replace("fewer than 11", f"fewer than {below}")
        inner = inner.replace("<11", f"<{below}").replace("1 to 10", f"1 to {below - 1}")
        return match.group(0)[: match.start(1) - match.start(0)].split("<span")[0] + inner

    text = _SMALL_SPAN.sub(sentence, text)
    return re.sub(r"^- *\n", "", text, flags=re.M)  # a bullet that was only such a sentence


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
