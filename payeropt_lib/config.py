"""Where things live: one place for paths and the default database URL.

Notebooks run with papermill in the caller's directory and in JupyterLab in their own
folder, so nothing may depend on the working directory except the documented default
SQLite file of the CLI.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from payeropt_lib.errors import BadDatabaseUrl, OutputFolderError

PACKAGE_DIR = Path(__file__).resolve().parent
# The project is installed editable (`make`), so the repository root sits beside the package.
PROJECT_ROOT = PACKAGE_DIR.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DATA_DIR = PROJECT_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
DISCLOSURE_FILE = PACKAGE_DIR / "store" / "disclosure.md"

DEFAULT_DB_FILE = "payeropt.sqlite"
AUDIT_KEY_ENV = "PAYEROPT_AUDIT_KEY_FILE"
DB_BACKENDS = ("sqlite", "postgresql", "postgres")  # the stores payeropt migrates and tests
DEMO_ORG = "demo"


def out_dir() -> Path:
    """Generated output (demo database, packets): ``PAYEROPT_OUT`` or ``<project>/out``."""
    return Path(os.environ.get("PAYEROPT_OUT") or PROJECT_ROOT / "out")


def demo_dir() -> Path:
    return out_dir() / "demo"


def demo_db_url() -> str:
    return f"sqlite:///{demo_dir() / DEFAULT_DB_FILE}"


def audit_key_file() -> Path:
    """The secret key the audit chain is signed with (docs/audit.md): ``PAYEROPT_AUDIT_KEY_FILE``,
    else ``$XDG_CONFIG_HOME/payeropt/audit.key`` (``~/.config/payeropt/audit.key``).

    Outside the project and the database on purpose: whoever can write the database must not
    be able to read the key, or they could sign a rewritten trail.
    """
    env = os.environ.get(AUDIT_KEY_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "payeropt" / "audit.key"


def audit_anchor_dir() -> Path:
    """Where payeropt remembers each practice's last signed anchor: beside the key, so the
    anchors are as far from the database as the key is."""
    return audit_key_file().parent / "anchors"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def resolve_db_url(url: str | None = None, *, for_notebook: bool = False) -> str:
    """The database to use: the explicit URL, else ``PAYEROPT_DB``, else a default.

    The CLI's default is ``payeropt.sqlite`` in the working directory (interface §2); a
    notebook's default is the demo practice's database, so it runs as-is in JupyterLab.
    """
    if url:
        return checked_db_url(url, "db_url")
    env = os.environ.get("PAYEROPT_DB")
    if env:
        return checked_db_url(env, "PAYEROPT_DB")
    if for_notebook:
        return demo_db_url()
    return sqlite_url(Path.cwd() / DEFAULT_DB_FILE)


def checked_db_url(url: str, source: str) -> str:
    """``url`` if it is a SQLite or PostgreSQL SQLAlchemy URL, else ``BadDatabaseUrl``
    naming where it came from (a file path given where a URL belongs is the usual slip)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    # A URL that does not parse cannot be redacted by SQLAlchemy: hide user:password@.
    shown = re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        raise BadDatabaseUrl(shown, source, "is not a SQLAlchemy URL") from None
    if backend not in DB_BACKENDS:
        raise BadDatabaseUrl(shown, source, f"names {backend}, which payeropt does not use")
    return url


def checked_out_dir(folder: Path) -> Path:
    """``folder`` if it can be written (made, when missing), else ``OutputFolderError``
    naming it and why: the nearest folder on its path that exists is a file, or a probe
    folder cannot be made there (read-only, no permission). Nothing is left behind."""
    folder = Path(folder)
    nearest = folder
    while not nearest.exists() and nearest.parent != nearest:
        nearest = nearest.parent
    if nearest.exists() and not nearest.is_dir():
        raise OutputFolderError(str(folder), f"{nearest} is a file, not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".payeropt-probe-", dir=nearest))
    except OSError as exc:
        raise OutputFolderError(str(folder), f"{nearest}: {exc.strerror or exc}") from None
    return folder
