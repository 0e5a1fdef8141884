"""A packet of one page of the test's own: for tests of how packets handle a failing page."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from payeropt_lib import config
from payeropt_lib.packet import pages

PARAMETERS = (
    'org_id: str = "x"  # practice\n'
    'db_url: str = ""  # store\n'
    'period_start: str = ""  # from\n'
    'period_end: str = ""  # to\n'
    'as_of: str = ""  # terms on'
)


def only_page(
    folder: Path, monkeypatch: pytest.MonkeyPatch, slug: str, title: str, body: str
) -> str:
    """Make the report's pages one notebook: the parameters cell, then a cell of ``body``.
    Returns its file name (``99_<slug>.ipynb``, in ``folder/notebooks``)."""
    notebooks = folder / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ]
    name = f"99_{slug}.ipynb"
    nbformat.write(nb, notebooks / name)
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    monkeypatch.setattr(pages, "PAGES", (pages.Page(name, title, slug, "x"),))
    return name
