"""The secret key the audit chain is signed with: one file, outside the database.

Keyed hashes (HMAC-SHA256) are what make the chain hold against someone who can write the
database but cannot read this file: they can edit rows and recompute plain SHA-256 hashes,
not keyed ones. The key is made at first use (32 random bytes as hex, mode 0600) where
``config.audit_key_file`` says. Its ``key_id`` is stored with every keyed entry, so a wrong
or replaced key file is named as such instead of showing as a trail full of edits.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from payeropt_lib import config
from payeropt_lib.errors import AuditKeyMissing, BadAuditKey

logger = logging.getLogger(__name__)

KEY_BYTES = 32
# What the key id is the HMAC of: names the key without saying anything about it.
_KEY_ID_MESSAGE = b"payeropt audit key id"


@dataclass(frozen=True)
class AuditKey:
    """The key's secret (never shown) and the file it came from."""

    secret: bytes = field(repr=False)
    path: Path

    @property
    def key_id(self) -> str:
        """16 hex digits that name this key in the trail and in anchors."""
        return hmac.new(self.secret, _KEY_ID_MESSAGE, hashlib.sha256).hexdigest()[:16]

    def sign(self, message: str) -> str:
        """HMAC-SHA256 of ``message`` (UTF-8), as 64 hex digits."""
        return hmac.new(self.secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def setting() -> str:
    """Where the key's path came from, for messages."""
    if os.environ.get(config.AUDIT_KEY_ENV):
        return config.AUDIT_KEY_ENV
    return f"the default; {config.AUDIT_KEY_ENV} sets another"


def exists() -> bool:
    return config.audit_key_file().is_file()


def load(why: str) -> AuditKey:
    """The key on file; ``AuditKeyMissing`` (saying ``why`` it is needed) when there is none.
    Never made here: a new key cannot check what the lost one signed."""
    path = config.audit_key_file()
    if not path.is_file():
        raise missing(why)
    return _read(path)


def missing(why: str) -> AuditKeyMissing:
    """The error for no key on file, saying ``why`` it is needed."""
    return AuditKeyMissing(str(config.audit_key_file()), setting(), why)


def load_or_create() -> AuditKey:
    """The key on file, made first when there is none (the first audited write)."""
    path = config.audit_key_file()
    if not path.is_file():
        _create(path)
    return _read(path)


def _read(path: Path) -> AuditKey:
    try:
        text = path.read_text(encoding="ascii").strip()
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        raise BadAuditKey(str(path), f"cannot be read ({exc})") from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise BadAuditKey(str(path), f"does not hold a key ({KEY_BYTES * 2} hex digits)")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("audit key %s can be read by others: chmod 600 it", path)
    return AuditKey(secret, path)


def _create(path: Path) -> None:
    """Write a new key atomically (no reader sees half a key; of two processes making it at
    once, the first link wins and the other reads that one)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(KEY_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return
        # info, not warning: a command's stderr is its one-line error (docs/audit.md says
        # to back the key up).
        logger.info("made the audit key %s: back it up", path)
    finally:
        tmp.unlink(missing_ok=True)
