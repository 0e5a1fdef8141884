"""Signed anchors of a practice's audit chain, kept outside the database.

An anchor is the chain's head (practice, seq, hash, time) signed with the audit key. Kept
elsewhere (``audit --anchor --out FILE``) and remembered beside the key, it tells
``verify`` what the practice row's head cannot: whoever deletes the last entries and
rewinds the head leaves a chain shorter than the anchor, and whoever rewrites entries
leaves a chain that no longer reaches the anchored hash. Anchors are not secret; the key
that signs them is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine

from payeropt_lib import config
from payeropt_lib.errors import BadAnchorFile

from .audit import Head, canonical_json
from .audit_key import AuditKey

FORMAT = "payeropt-audit-anchor/1"
SIGNED = ("format", "org_id", "seq", "hash", "at", "key_id")


@dataclass(frozen=True)
class Anchor:
    """A signed head. ``database`` says where the store was: a hint, not signed, so a store
    moved to another path or host keeps its anchors."""

    org_id: str
    seq: int
    hash: str
    at: str
    key_id: str
    signature: str
    database: str = ""
    format: str = FORMAT

    @property
    def head(self) -> Head:
        return Head(self.seq, self.hash, self.at)

    def text(self) -> str:
        """The anchor file's content: small JSON, one field a line."""
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"


def _message(fields: dict) -> str:
    return canonical_json({k: fields[k] for k in SIGNED})


def sign(key: AuditKey, org_id: str, head: Head, database: str) -> Anchor:
    """``head`` of ``org_id``'s chain, signed with ``key``."""
    fields = {"format": FORMAT, "org_id": org_id, "seq": head.seq, "hash": head.hash,
              "at": head.at, "key_id": key.key_id}  # fmt: skip
    return Anchor(
        org_id, head.seq, head.hash, head.at, key.key_id, key.sign(_message(fields)), database
    )


def problems(anchor: Anchor, key: AuditKey, org_id: str, source: str) -> list[str]:
    """Why ``anchor`` (read from ``source``) cannot vouch for ``org_id``'s chain under
    ``key``; empty when it can."""
    if anchor.org_id != org_id:
        return [f"the anchor {source} is for practice {anchor.org_id!r}, not {org_id!r}"]
    if anchor.key_id != key.key_id:
        return [
            f"the anchor {source} is signed with key {anchor.key_id}, not with the key at "
            f"{key.path} ({key.key_id})"
        ]
    if not hmac.compare_digest(key.sign(_message(asdict(anchor))), anchor.signature):
        return [f"the anchor {source} does not match its signature (edited, or forged)"]
    return []


def read(path: Path) -> Anchor:
    """The anchor in ``path``; ``BadAnchorFile`` when it cannot be read or is not one (its
    signature is ``problems``' to check)."""
    try:
        fields = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadAnchorFile(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadAnchorFile(str(path), f"cannot be read as JSON ({exc})") from None
    if not isinstance(fields, dict) or fields.get("format") != FORMAT:
        raise BadAnchorFile(str(path), f"is not a payeropt audit anchor ({FORMAT})")
    try:
        return Anchor(**{k: fields[k] for k in (*SIGNED, "signature")},
                      database=str(fields.get("database", "")))  # fmt: skip
    except KeyError as missing:
        raise BadAnchorFile(str(path), f"has no {missing}") from None


def write(anchor: Anchor, path: Path) -> None:
    """Write ``anchor`` to ``path`` whole or not at all (a cron job may be reading it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        tmp.write_text(anchor.text(), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def database_name(engine: Engine) -> str:
    """The store as anchors name it: a SQLite file's absolute path, else the URL without
    its password."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return f"sqlite:///{Path(url.database).resolve()}"
    return url.render_as_string(hide_password=True)


def remembered_path(database: str, org_id: str) -> Path:
    """Where the last anchor of ``org_id`` in ``database`` is remembered: beside the key,
    one folder per store (named by a hash of ``database_name``), one file per practice."""
    store_dir = hashlib.sha256(database.encode("utf-8")).hexdigest()[:16]
    return config.audit_anchor_dir() / store_dir / f"{org_id}.json"


def remember(anchor: Anchor) -> Path:
    """Keep ``anchor`` as its practice's last, unless a later one is kept already (two
    anchors made at once may finish writing in either order)."""
    path = remembered_path(anchor.database, anchor.org_id)
    kept = remembered_at(path)
    if kept is None or kept.key_id != anchor.key_id or kept.seq <= anchor.seq:
        write(anchor, path)
    return path


def remembered(engine: Engine, org_id: str) -> tuple[Anchor, Path] | None:
    """The last anchor remembered for ``org_id`` in this store, and where, if any."""
    path = remembered_path(database_name(engine), org_id)
    anchor = remembered_at(path)
    return None if anchor is None else (anchor, path)


def remembered_at(path: Path) -> Anchor | None:
    return read(path) if path.is_file() else None
