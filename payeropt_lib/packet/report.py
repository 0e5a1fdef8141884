"""What a page notebook calls: one import for the whole page API.

Wiring only, and no code of its own: the names come from the modules that own them.
``context`` opens the store for a page and ``load`` reads a table (``context``);
``adjudicated``, ``headline``, ``renewal_evidence`` and ``data_checks`` load a page's
inputs (``loaders``); ``table``, ``key_figures``, ``show_figure``, ``fee_table``, the notes
and ``setup_notebook`` turn frames and figures into offline HTML (``display``); counts read
by the small-cell rule (``cells``). Every number on a page comes from ``analytics`` or below.
``packet.build`` runs the notebooks of ``pages.PAGES``; a page's figures need the packet's
``assets/plotly.min.js``, which the template loads by relative path (docs/report.md).
"""

from __future__ import annotations

from .cells import NA_TEXT, SUPPRESSED, cell_text, fmt_count, hidden_text, small_text
from .context import REPORT_TABLES, Context, context, load
from .display import (
    NO_REMITTANCES,
    Shown,
    action_list,
    below_contract_note,
    fee_table,
    footnote,
    if_posted,
    key_figures,
    remit_footnote,
    remit_notice,
    setup_notebook,
    show_figure,
    small_cell_note,
    table,
)
from .loaders import (
    adjudicated,
    books,
    data_checks,
    headline,
    headline_figures,
    renewal_evidence,
)

__all__ = [
    "NA_TEXT",
    "NO_REMITTANCES",
    "REPORT_TABLES",
    "SUPPRESSED",
    "Context",
    "Shown",
    "action_list",
    "adjudicated",
    "below_contract_note",
    "books",
    "cell_text",
    "context",
    "data_checks",
    "fee_table",
    "fmt_count",
    "hidden_text",
    "footnote",
    "headline",
    "headline_figures",
    "if_posted",
    "key_figures",
    "load",
    "remit_footnote",
    "remit_notice",
    "renewal_evidence",
    "setup_notebook",
    "show_figure",
    "small_cell_note",
    "small_text",
    "table",
]
