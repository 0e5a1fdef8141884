"""Errors a user can fix. The CLI prints ``str(err)`` on one line and exits 2.

Anything that is not a ``PayeroptError`` is a bug and keeps its traceback. Every
constructor passes all its arguments to ``super().__init__`` so the errors survive a
pickle round trip (they cross process boundaries in batch runs).
"""

from __future__ import annotations


class PayeroptError(Exception):
    """Base for errors a user can fix."""


class InputFileError(PayeroptError):
    """A refused input file: names the file, row and column of the first problem.

    ``row`` is the line number in the file, the header being row 1. ``more`` holds a few
    further problems as ``(row, column, reason)``; ``total`` counts every problem found.
    """

    def __init__(
        self,
        file: str,
        row: int | None,
        column: str,
        reason: str,
        more: tuple[tuple[int | None, str, str], ...] = (),
        total: int | None = None,
    ) -> None:
        super().__init__(file, row, column, reason, more, total)
        self.file, self.row, self.column, self.reason = file, row, column, reason
        self.more, self.total = more, total

    @staticmethod
    def _where(row: int | None, column: str) -> str:
        return (f"row {row}, " if row is not None else "") + f"column {column}"

    def __str__(self) -> str:
        text = f"{self.file}: {self._where(self.row, self.column)}: {self.reason}"
        if self.more:
            shown = "; ".join(f"{self._where(r, c)}: {why}" for r, c, why in self.more)
            count = f"; {self.total} problems in all" if self.total else ""
            text += f" (also {shown}{count})"
        return text + "; nothing was imported"


class X12Error(PayeroptError):
    """A refused 835 file: names the file, segment number and segment id."""

    def __init__(self, file: str, segment_number: int, segment_id: str, reason: str) -> None:
        super().__init__(file, segment_number, segment_id, reason)
        self.file, self.segment_number, self.segment_id, self.reason = (
            file,
            segment_number,
            segment_id,
            reason,
        )

    def __str__(self) -> str:
        return (
            f"{self.file}: segment {self.segment_number} ({self.segment_id}): {self.reason}; "
            "nothing was posted"
        )


class UnknownOrg(PayeroptError):
    def __init__(self, org_id: str) -> None:
        super().__init__(org_id)
        self.org_id = org_id

    def __str__(self) -> str:
        return (
            f"practice {self.org_id!r} does not exist; create it with "
            f"'payeropt practice create {self.org_id} --name NAME'"
        )


class OrgExists(PayeroptError):
    def __init__(self, org_id: str) -> None:
        super().__init__(org_id)
        self.org_id = org_id

    def __str__(self) -> str:
        return f"practice {self.org_id!r} already exists"


class NotOptedIn(PayeroptError):
    """An analytic verb was asked for an org whose owner has not opted in."""

    def __init__(self, org_id: str, action: str) -> None:
        super().__init__(org_id, action)
        self.org_id, self.action = org_id, action

    def __str__(self) -> str:
        return (
            f"{self.action} refused: practice {self.org_id!r} has not opted in to Payer "
            f"Optimization; the owner must read the disclosure "
            f"('payeropt opt-in {self.org_id} --show-disclosure') and accept it "
            f"('payeropt opt-in {self.org_id} --actor NAME --role owner --accept-disclosure')"
        )


class PermissionDenied(PayeroptError):
    """A role tried an action the permission matrix does not give it."""

    def __init__(self, role: str, action: str, allowed: tuple[str, ...]) -> None:
        super().__init__(role, action, allowed)
        self.role, self.action, self.allowed = role, action, allowed

    def __str__(self) -> str:
        who = ", ".join(self.allowed) if self.allowed else "no role"
        return f"{self.action} refused: role {self.role!r} may not do this (allowed: {who})"


class MissingIdentity(PayeroptError):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what

    def __str__(self) -> str:
        env = "PAYEROPT_ACTOR" if self.what == "actor" else "PAYEROPT_ROLE"
        return f"no {self.what} given: pass --{self.what} or set {env}"


class GuardrailViolation(PayeroptError):
    """An engine was asked to do something the product never does (see docs)."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(rule, detail)
        self.rule, self.detail = rule, detail

    def __str__(self) -> str:
        return f"refused by guardrail {self.rule!r}: {self.detail}"


class StoreError(PayeroptError):
    """The database could not be reached or is not in a usable state."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url, self.reason = url, reason

    def __str__(self) -> str:
        return f"database {self.url}: {self.reason}"


class BadDatabaseUrl(PayeroptError):
    """``--db`` / ``PAYEROPT_DB`` is not a SQLite or PostgreSQL URL (``url`` is redacted)."""

    def __init__(self, url: str, source: str, reason: str) -> None:
        super().__init__(url, source, reason)
        self.url, self.source, self.reason = url, source, reason

    def __str__(self) -> str:
        return (
            f"database URL {self.url!r} ({self.source}) {self.reason}: write "
            "sqlite:///path/to/file.sqlite or postgresql://user@host/database"
        )


class AuditChainBroken(PayeroptError):
    def __init__(self, org_id: str, seq: int, reason: str) -> None:
        super().__init__(org_id, seq, reason)
        self.org_id, self.seq, self.reason = org_id, seq, reason

    def __str__(self) -> str:
        return f"audit trail of {self.org_id!r} is broken at entry {self.seq}: {self.reason}"


class BadReportDate(PayeroptError):
    """A report date parameter that is not an ISO date, or a period that ends before it starts."""

    def __init__(self, name: str, value: str, reason: str = "is not a date") -> None:
        super().__init__(name, value, reason)
        self.name, self.value, self.reason = name, value, reason

    def __str__(self) -> str:
        hint = "; write dates as YYYY-MM-DD" if self.reason == "is not a date" else ""
        return f"report {self.name} {self.value!r} {self.reason}{hint}"


class UnknownTable(PayeroptError):
    """A page asked for a table that is not one of the practice tables a page may read."""

    def __init__(self, name: str, tables: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__(name, tables)
        self.name, self.tables = name, tuple(tables)

    def __str__(self) -> str:
        return f"no practice table {self.name!r} (one of: {', '.join(self.tables)})"


class PageFailed(PayeroptError):
    """A packet notebook raised: names the notebook and the cell."""

    def __init__(
        self, notebook: str, exec_count: int | None, ename: str, evalue: str, executed: str
    ) -> None:
        super().__init__(notebook, exec_count, ename, evalue, executed)
        self.notebook, self.exec_count, self.ename, self.evalue, self.executed = (
            notebook,
            exec_count,
            ename,
            evalue,
            executed,
        )

    def __str__(self) -> str:
        cell = f"cell In [{self.exec_count}]" if self.exec_count is not None else "a cell"
        first = (self.evalue or "").strip().splitlines()
        why = f"{self.ename}: {first[0]}" if first else self.ename
        return (
            f"report page {self.notebook} failed in {cell} ({why}); no index.html was "
            f"written; the executed notebook is {self.executed}"
        )


class BatchFailed(PayeroptError):
    """Some practices of a batch got no packet; the others did."""

    def __init__(self, failed: dict[str, str], written: int, index: str) -> None:
        super().__init__(failed, written, index)
        self.failed, self.written, self.index = failed, written, index

    def __str__(self) -> str:
        names = "; ".join(f"{org}: {why}" for org, why in sorted(self.failed.items()))
        return (
            f"{len(self.failed)} of {len(self.failed) + self.written} packets failed "
            f"({names}); the others are listed in {self.index}"
        )
