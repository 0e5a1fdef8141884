"""Errors a user can fix. The CLI prints ``str(err)`` on one line and exits 2.

Anything that is not a ``PayeroptError`` is a bug and keeps its traceback. Every error of
payeropt is declared here, as a dataclass whose fields are what its message names: the
fields are also the exception's ``args``, so an error survives a pickle round trip with the
same text (errors cross process boundaries in batch runs; ``tests/test_errors.py`` checks
every class).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar


class PayeroptError(Exception):
    """Base for errors a user can fix.

    A subclass whose text only fills in its fields sets ``message``, a ``str.format``
    template over the field names (a tuple field reads as its items joined by ", "); one
    whose text has logic writes ``__str__``.
    """

    message: ClassVar[str] = ""

    def __post_init__(self) -> None:
        # A dataclass __init__ does not call Exception.__init__: args would stay empty, and
        # pickle rebuilds an exception from its args.
        super().__init__(*self._values().values())

    def _values(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def __str__(self) -> str:
        shown = {
            name: ", ".join(value) if isinstance(value, tuple) else value
            for name, value in self._values().items()
        }
        return one_line(self.message.format(**shown))


def one_line(text: str) -> str:
    """``text`` with every unprintable character escaped (``\\x1e``, ``\\n``, ``\\u2028``):
    a refused file's control characters must not break the one line the CLI prints."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _error(cls: type) -> type:
    """A ``PayeroptError`` subclass as a dataclass that keeps Exception's hash and identity."""
    return dataclass(eq=False, repr=False)(cls)


# --- input files --------------------------------------------------------------------------


@_error
class InputFileError(PayeroptError):
    """A refused input file: names the file, row and column of the first problem.

    ``row`` is the line number in the file, the header being row 1. ``more`` holds a few
    further problems as ``(row, column, reason)``; ``total`` counts every problem found.
    """

    file: str
    row: int | None
    column: str
    reason: str
    more: tuple[tuple[int | None, str, str], ...] = ()
    total: int | None = None

    @staticmethod
    def _where(row: int | None, column: str) -> str:
        return (f"row {row}, " if row is not None else "") + f"column {column}"

    def __str__(self) -> str:
        text = f"{self.file}: {self._where(self.row, self.column)}: {self.reason}"
        if self.more:
            shown = "; ".join(f"{self._where(r, c)}: {why}" for r, c, why in self.more)
            count = f"; {self.total} problems in all" if self.total else ""
            text += f" (also {shown}{count})"
        return one_line(text + "; nothing was imported")


@_error
class X12Error(PayeroptError):
    """A refused 835 file: names the file, segment number and segment id."""

    file: str
    segment_number: int
    segment_id: str
    reason: str

    message = "{file}: segment {segment_number} ({segment_id}): {reason}; nothing was posted"


@_error
class ClaimFileRefused(X12Error):
    """A refused 837 claim file: the same fields as ``X12Error`` (an 835 refusal), worded
    for a claim import, where nothing is stored rather than posted."""

    message = "{file}: segment {segment_number} ({segment_id}): {reason}; nothing was stored"


@_error
class PaymentKeyConflict(PayeroptError):
    """An 835 payment whose key (sender, ISA13, TRN02, payer) was posted before, or sent
    twice in the file, with different content: not the same payment sent again, so it is
    neither skipped as already posted nor posted twice. ``earlier`` says where the key was
    seen ("posted from FILE on DAY", "sent at segment N of this file"); ``element`` is what
    differs first (BPR02, the number of CLPs, CLP01-04 of a claim)."""

    file: str
    segment_number: int
    payment_key: str
    earlier: str
    element: str
    was: str
    now: str

    message = (
        "{file}: segment {segment_number} (ST): payment key {payment_key} was {earlier} "
        "with {element} {was}; this file says {now}: one sender, ISA13, TRN02 and payer "
        "must be one payment; nothing was posted"
    )


@_error
class NotOneOf(PayeroptError):
    """A name that is not one of the names it may be; subclasses say what kind of name."""

    name: str
    choices: tuple[str, ...] = ()

    message = "{name!r} is not one of {choices}"


class UnknownImportKind(NotOneOf):
    message = "unknown import kind {name!r}: use one of {choices}"


@_error
class NoEraFiles(PayeroptError):
    """A folder (or folders) named to ``import era`` that holds no file to post."""

    folder: str

    message = "no 835 files in {folder}; nothing was posted"


@_error
class NoClaimFiles(PayeroptError):
    """A folder (or folders) named to ``import claims`` that holds no file to import."""

    folder: str

    message = "no 837 files in {folder}; nothing was stored"


@_error
class FolderRefused(PayeroptError):
    """``payeropt onboard``: the dry run's checks found files with problems, so nothing of
    the folder was imported. ``first`` is the first problem as the dry run words it."""

    folder: str
    first_file: str
    first: str
    files: int  # files with a problem

    def __str__(self) -> str:
        more = f" (and {self.files - 1} more files with problems)" if self.files > 1 else ""
        return one_line(
            f"{self.folder}: {self.first_file}: {self.first}{more}; nothing was imported: "
            "'payeropt onboard ORG DIR --dry-run' lists every problem"
        )


@_error
class FilesRefused(PayeroptError):
    """Some of the files (or folders) of one command were refused, each already reported on
    a line of its own; the others were stored. ``total`` counts them all."""

    refused: tuple[str, ...]
    total: int

    def __str__(self) -> str:
        names = ", ".join(self.refused)
        stored = self.total - len(self.refused)
        if stored <= 0:
            rest = "nothing was stored"
        else:
            rest = f"the other {stored} {'was' if stored == 1 else 'were'} stored"
        return f"{len(self.refused)} of {self.total} refused ({names}); {rest}"


@_error
class ProfileError(PayeroptError):
    """A mapping profile (docs/profiles.md) that cannot be used: not found, not YAML, or
    not a valid profile for the kind asked; ``where`` is the place in the profile."""

    profile: str
    where: str
    reason: str

    message = "profile {profile}: {where}: {reason}; nothing was imported"


# --- practices, roles, the store ----------------------------------------------------------


@_error
class UnknownOrg(PayeroptError):
    """A practice key not on file; ``suggestion`` is the nearest key on file ('' if none)."""

    org_id: str
    suggestion: str = ""

    def __str__(self) -> str:
        if self.suggestion:
            return f"no practice {self.org_id!r}; did you mean {self.suggestion!r}?"
        return (
            f"practice {self.org_id!r} does not exist; create it with "
            f"'payeropt practice create {self.org_id} --name NAME'"
        )


@_error
class OrgExists(PayeroptError):
    org_id: str

    message = "practice {org_id!r} already exists"


@_error
class BadOrgId(PayeroptError):
    org_id: str

    message = (
        "practice key {org_id!r} is not valid: use 1-64 lower-case letters, digits, "
        "'-' or '_', starting with a letter or digit"
    )


@_error
class BadLocality(PayeroptError):
    locality: str

    message = "Medicare locality {locality!r} is not valid: write it like 01112-05"


@_error
class DisclosureNotAccepted(PayeroptError):
    org_id: str

    message = (
        "opt-in for {org_id!r} needs --accept-disclosure after reading it "
        "('payeropt opt-in {org_id} --show-disclosure')"
    )


@_error
class NotOptedIn(PayeroptError):
    """An analytic verb was asked for an org whose owner has not opted in."""

    org_id: str
    action: str

    message = (
        "{action} refused: practice {org_id!r} has not opted in to Payer Optimization; the "
        "owner must read the disclosure ('payeropt opt-in {org_id} --show-disclosure') and "
        "accept it ('payeropt opt-in {org_id} --actor NAME --role owner --accept-disclosure')"
    )


@_error
class PermissionDenied(PayeroptError):
    """A role tried an action the permission matrix does not give it."""

    role: str
    action: str
    allowed: tuple[str, ...]

    def __str__(self) -> str:
        who = ", ".join(self.allowed) if self.allowed else "no role"
        return f"{self.action} refused: role {self.role!r} may not do this (allowed: {who})"


class UnknownRole(NotOneOf):
    message = "unknown role {name!r}: use one of {choices}"


@_error
class MissingIdentity(PayeroptError):
    what: str

    def __str__(self) -> str:
        env = "PAYEROPT_ACTOR" if self.what == "actor" else "PAYEROPT_ROLE"
        return f"no {self.what} given: pass --{self.what} or set {env}"


@_error
class StoreError(PayeroptError):
    """The database could not be reached or is not in a usable state."""

    url: str
    reason: str

    message = "database {url}: {reason}"


@_error
class BadDatabaseUrl(PayeroptError):
    """``--db`` / ``PAYEROPT_DB`` is not a SQLite or PostgreSQL URL (``url`` is redacted)."""

    url: str
    source: str
    reason: str

    message = (
        "database URL {url!r} ({source}) {reason}: write "
        "sqlite:///path/to/file.sqlite or postgresql://user@host/database"
    )


@_error
class AuditChainBroken(PayeroptError):
    """A chain that does not verify, where a verb needs it intact (``audit --anchor``)."""

    org_id: str
    seq: int
    reason: str

    message = "audit trail of {org_id!r} is broken at entry {seq}: {reason}"


@_error
class AuditKeyMissing(PayeroptError):
    """The audit key file is not there (``path``; ``setting``: where the path came from)."""

    path: str
    setting: str
    why: str

    message = "no audit key at {path} ({setting}): {why}; restore the key file from its backup"


@_error
class AuditKeyMismatch(PayeroptError):
    """The key on this machine is not the one the practice's trail is signed with."""

    org_id: str
    path: str
    trail_key: str
    this_key: str

    message = (
        "the audit trail of {org_id!r} is signed with key {trail_key}, but the key at {path} "
        "is {this_key}: use the practice's key file (PAYEROPT_AUDIT_KEY_FILE)"
    )


@_error
class BadAuditKey(PayeroptError):
    """A key file that cannot be read or does not hold a key."""

    path: str
    reason: str

    message = "audit key {path}: {reason}"


@_error
class BadAnchorFile(PayeroptError):
    """An anchor file that cannot be read or is not an anchor (its signature is checked by
    ``--verify``, which reports a bad one as a problem of the trail)."""

    path: str
    reason: str

    message = "anchor file {path}: {reason}"


# --- coding suggestions ---------------------------------------------------------------------


@_error
class UnknownSuggestion(PayeroptError):
    org_id: str
    suggestion_id: int

    message = "practice {org_id!r} has no coding suggestion {suggestion_id}"


@_error
class SuggestionDecided(PayeroptError):
    """A disposition asked of a suggestion that is no longer open: a clinician's decision
    is kept as made (the audit trail holds it), and a withdrawn one supports nothing."""

    suggestion_id: int
    status: str

    message = (
        "suggestion {suggestion_id} is {status}; only an open suggestion can be accepted "
        "or rejected"
    )


@_error
class ReasonRequired(PayeroptError):
    """A disposition without a reason: the audit trail keeps why."""

    what: str

    message = "{what} needs --reason (kept in the audit trail)"


# --- CMS reference files --------------------------------------------------------------------


@_error
class PublishedFileError(InputFileError):
    """A CMS published payment file that is not in CMS's layout, or that the library
    cannot check: read, never imported, so nothing to say of what was stored."""

    def __str__(self) -> str:
        return one_line(f"{self.file}: {self._where(self.row, self.column)}: {self.reason}")


@_error
class CmsFileError(InputFileError):
    """A file of a CMS PFS release (county list, anesthesia conversion factors) not in
    CMS's layout: names the file, its line and the field; the release is refused whole."""


@_error
class NoLocality(PayeroptError):
    """A county the library's county list cannot place in one locality, or a release
    without the county list or anesthesia factors asked for."""

    what: str
    reason: str

    message = "{what}: {reason}"


# --- follow-up tasks ----------------------------------------------------------------------


@_error
class UnknownTask(PayeroptError):
    org_id: str
    task_id: int

    message = "practice {org_id!r} has no task {task_id}"


@_error
class BadTransition(PayeroptError):
    """A task asked to move to a state its current state does not lead to."""

    task_id: int
    from_state: str
    to_state: str
    next_states: tuple[str, ...] = ()

    def __str__(self) -> str:
        allowed = ", ".join(self.next_states) or "none (closed)"
        return (
            f"task {self.task_id} is {self.from_state}; it cannot become {self.to_state!r} "
            f"(next states: {allowed})"
        )


@_error
class RecoveredNeedsAmount(PayeroptError):
    """Recovered records what the payer paid on a task, which only the person working it
    knows; the amount at stake is what was owed, not what came in."""

    what: str

    message = (
        "{what}: 'recovered' needs the amount the payer paid on the task (--amount 12.50, "
        "one task at a time); nothing was changed"
    )


@_error
class BulkNeedsSelection(PayeroptError):
    """A change of many tasks at once that does not say which."""

    to_state: str

    message = (
        "--set-state {to_state} changes many tasks at once: name them with --payer, --cause "
        "or --state; nothing was changed"
    )


@_error
class NoTasksSelected(PayeroptError):
    org_id: str
    selection: str

    message = "practice {org_id!r} has no task {selection}; nothing was changed"


# --- payer multipliers (docs/multipliers.md) ------------------------------------------------


@_error
class NoInferredMultiplier(PayeroptError):
    """``multipliers --draft``: the payer has no multiple of Medicare to draft from."""

    payer_id: str
    product_line: str
    lines: int
    reason: str

    def __str__(self) -> str:
        which = f"{self.payer_id} {self.product_line}".strip()
        return one_line(
            f"no contract drafted for {which}: {self.reason} ({self.lines} lines counted); "
            "see payeropt multipliers for the payers and product lines on file"
        )


# --- report packets -----------------------------------------------------------------------


@_error
class PdfUnavailable(PayeroptError):
    """A packet cannot be printed to PDF on this machine (no Chromium, no Playwright)."""

    reason: str

    message = "cannot write the packet's PDF: {reason}"


@_error
class RuleFileError(PayeroptError):
    """A rule file that does not say a valid rule: names the file, the rule and where."""

    file: str
    rule: str
    where: str
    reason: str

    message = "{file}: rule {rule}: {where}: {reason}; nothing was stored"


@_error
class RuleRefused(PayeroptError):
    """A rule that breaks a guardrail (docs/rules.md, "Guardrails")."""

    file: str
    rule: str
    guardrail: str
    reason: str

    message = "{file}: rule {rule} refused by guardrail {guardrail}: {reason}; nothing was stored"


@_error
class NoDrafts(PayeroptError):
    """A review named rules that have no draft to approve or reject."""

    org_id: str
    selection: str

    message = "practice {org_id!r} has no draft {selection}; nothing was changed"


@_error
class SelfApproval(PayeroptError):
    """A rule version approved by the person who imported it."""

    rule: str
    actor: str

    message = (
        "{rule} was imported by {actor}: another owner or billing manager must approve it; "
        "nothing was approved"
    )


@_error
class ClusterUnavailable(PayeroptError):
    """``report --scheduler``: the dask cluster cannot run the packets (no ``distributed``
    installed, no scheduler at the address, a store its workers cannot read, versions that
    differ between here and the workers)."""

    address: str
    reason: str

    message = "cannot run the packets on the dask cluster at {address}: {reason}"


@_error
class BadReportDate(PayeroptError):
    """A report date parameter that is not an ISO date, or a period that ends before it starts."""

    name: str
    value: str
    reason: str = "is not a date"

    def __str__(self) -> str:
        hint = "; write dates as YYYY-MM-DD" if self.reason == "is not a date" else ""
        return f"report {self.name} {self.value!r} {self.reason}{hint}"


class UnknownTable(NotOneOf):
    """A page asked for a table that is not one of the practice tables a page may read."""

    message = "no practice table {name!r} (one of: {choices})"


@_error
class OutputFolderError(PayeroptError):
    """A folder to write into (``report --out``) that cannot be created or written."""

    folder: str
    reason: str

    message = "cannot write to folder {folder}: {reason}"


@_error
class PageFailed(PayeroptError):
    """A packet notebook raised: names the notebook and the cell."""

    notebook: str
    exec_count: int | None
    ename: str
    evalue: str
    executed: str

    def __str__(self) -> str:
        cell = f"cell In [{self.exec_count}]" if self.exec_count is not None else "a cell"
        first = (self.evalue or "").strip().splitlines()
        why = f"{self.ename}: {first[0]}" if first else self.ename
        return (
            f"report page {self.notebook} failed in {cell} ({why}); no index.html was "
            f"written; the executed notebook is {self.executed}"
        )


@_error
class BatchFailed(PayeroptError):
    """Some practices of a batch got no packet; the others did."""

    failed: dict[str, str]
    written: int
    index: str

    def __str__(self) -> str:
        names = "; ".join(f"{org}: {why}" for org, why in sorted(self.failed.items()))
        return (
            f"{len(self.failed)} of {len(self.failed) + self.written} packets failed "
            f"({names}); the others are listed in {self.index}"
        )
