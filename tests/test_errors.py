"""Every error of payeropt: declared in errors.py, one line of text, and picklable.

Errors cross process boundaries (packet batches run pages in worker processes), so each
must come back from a pickle round trip with the same class, fields and message.
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import pytest

import payeropt_lib
from payeropt_lib import errors

SAMPLES: dict[type, errors.PayeroptError] = {
    errors.InputFileError: errors.InputFileError(
        "charges.csv", 14, "units", "must be positive", ((15, "units", "not a number"),), 2
    ),
    errors.X12Error: errors.X12Error("acme.835", 12, "CLP", "CLP02 'Z' is not a claim status"),
    errors.ClaimFileRefused: errors.ClaimFileRefused(
        "march.837", 31, "CLM", "CLM05-3 frequency '5' is not 1 (original), 7 or 8"
    ),
    errors.PaymentKeyConflict: errors.PaymentKeyConflict(
        "acme-2.835",
        3,
        "PAYERSND|000000101|EFT1|1234567890",
        "posted from acme-1.835 on 2025-03-02",
        "BPR02",
        "1234.56",
        "999.00",
    ),
    errors.NotOneOf: errors.NotOneOf("claims", ("contracts", "charges")),
    errors.UnknownImportKind: errors.UnknownImportKind("claims", ("contracts", "charges")),
    errors.NoEraFiles: errors.NoEraFiles("remits/march"),
    errors.ProfileError: errors.ProfileError("pm-charge-detail", "columns.units", "bad"),
    errors.NoClaimFiles: errors.NoClaimFiles("claims/march"),
    errors.UnknownSuggestion: errors.UnknownSuggestion("acme", 12),
    errors.PublishedFileError: errors.PublishedFileError("PFTX25A.TXT", 7, "modifier", "bad"),
    errors.CmsFileError: errors.CmsFileError("25LOCCO.csv", 14, "State", "not a state name"),
    errors.NoLocality: errors.NoLocality("FAIRFAX, VA", "no county list on file"),
    errors.SuggestionDecided: errors.SuggestionDecided(12, "accepted"),
    errors.ReasonRequired: errors.ReasonRequired("rejecting suggestion 12"),
    errors.FilesRefused: errors.FilesRefused(("a.835", "remits/april"), 5),
    errors.FolderRefused: errors.FolderRefused(
        "client/acme", "export.csv", "row 3, column DOS: not a date", 2
    ),
    errors.UnknownOrg: errors.UnknownOrg("acme-helth", "acme-health"),
    errors.OrgExists: errors.OrgExists("acme"),
    errors.BadOrgId: errors.BadOrgId("Acme!"),
    errors.BadLocality: errors.BadLocality("1112-5"),
    errors.DisclosureNotAccepted: errors.DisclosureNotAccepted("acme"),
    errors.NotOptedIn: errors.NotOptedIn("acme", "report.run"),
    errors.PermissionDenied: errors.PermissionDenied("analyst", "import.era", ("owner",)),
    errors.UnknownRole: errors.UnknownRole("boss", ("owner", "analyst")),
    errors.MissingIdentity: errors.MissingIdentity("actor"),
    errors.StoreError: errors.StoreError("sqlite:///x.sqlite", "no such file"),
    errors.BadDatabaseUrl: errors.BadDatabaseUrl("mysql://x", "--db", "names mysql"),
    errors.AuditChainBroken: errors.AuditChainBroken("acme", 7, "hash does not match"),
    errors.AuditKeyMissing: errors.AuditKeyMissing(
        "/home/o/.config/payeropt/audit.key", "default", "the trail cannot be verified"
    ),
    errors.AuditKeyMismatch: errors.AuditKeyMismatch(
        "acme", "/home/o/.config/payeropt/audit.key", "1a2b3c4d5e6f7a8b", "9f8e7d6c5b4a3928"
    ),
    errors.BadAuditKey: errors.BadAuditKey("/k/audit.key", "does not hold a 64-digit key"),
    errors.BadAnchorFile: errors.BadAnchorFile("acme.anchor.json", "is not JSON"),
    errors.UnknownTask: errors.UnknownTask("acme", 41),
    errors.NoInferredMultiplier: errors.NoInferredMultiplier("ACME", "PPO", 12, "too few lines"),
    errors.BadTransition: errors.BadTransition(41, "recovered", "open", ()),
    errors.RecoveredNeedsAmount: errors.RecoveredNeedsAmount("task 41"),
    errors.BulkNeedsSelection: errors.BulkNeedsSelection("written_off"),
    errors.NoTasksSelected: errors.NoTasksSelected("acme", "of payer ACME"),
    errors.PdfUnavailable: errors.PdfUnavailable("no Chromium found"),
    errors.RuleFileError: errors.RuleFileError(
        "q3/acme.json", "ACME-PA-1", "when.all[0].field", "unknown field 'colour'"
    ),
    errors.RuleRefused: errors.RuleRefused(
        "q3/acme.json", "ACME-PA-1", "(a) access", "outcome 'decline' is not one of ..."
    ),
    errors.NoDrafts: errors.NoDrafts("acme", "of rule 'ACME-MRI-PA'"),
    errors.SelfApproval: errors.SelfApproval("'ACME-MRI-PA' v2", "bea"),
    errors.ClusterUnavailable: errors.ClusterUnavailable(
        "tcp://10.0.0.5:8786", "a SQLite store is a file the workers cannot read"
    ),
    errors.BadReportDate: errors.BadReportDate("as_of", "soon"),
    errors.UnknownTable: errors.UnknownTable("audit_log", ("charges", "findings")),
    errors.OutputFolderError: errors.OutputFolderError("/srv/out", "/srv: Permission denied"),
    errors.PageFailed: errors.PageFailed("05_denials.ipynb", 7, "KeyError", "'x'", "out/x"),
    errors.BatchFailed: errors.BatchFailed({"beta": "boom"}, 2, "out/index.html"),
}


def _all_modules() -> None:
    for info in pkgutil.walk_packages(payeropt_lib.__path__, "payeropt_lib."):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_error_is_declared_in_errors_py_and_has_a_sample() -> None:
    _all_modules()
    declared = _subclasses(errors.PayeroptError)
    elsewhere = sorted(
        f"{c.__module__}.{c.__name__}" for c in declared if c.__module__ != errors.__name__
    )
    assert elsewhere == [], "errors belong in payeropt_lib/errors.py"
    assert declared == set(SAMPLES)


@pytest.mark.parametrize("err", SAMPLES.values(), ids=lambda e: type(e).__name__)
def test_an_error_survives_pickle_with_its_fields_and_message(err: errors.PayeroptError) -> None:
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert back.args == err.args and back.args  # every field is an argument
    assert vars(back) == vars(err)
    assert str(back) == str(err)
    assert "\n" not in str(err)  # the CLI prints it as one line


def test_messages_name_what_to_fix() -> None:
    assert str(SAMPLES[errors.InputFileError]) == (
        "charges.csv: row 14, column units: must be positive (also row 15, column units: "
        "not a number; 2 problems in all); nothing was imported"
    )
    assert str(SAMPLES[errors.BadTransition]) == (
        "task 41 is recovered; it cannot become 'open' (next states: none (closed))"
    )
    assert str(SAMPLES[errors.UnknownRole]) == "unknown role 'boss': use one of owner, analyst"
    assert str(errors.BadReportDate("period", "2025-02 to 2025-01", "ends before it starts")) == (
        "report period '2025-02 to 2025-01' ends before it starts"
    )


def test_control_characters_in_a_message_are_escaped_so_it_stays_one_line() -> None:
    err = errors.X12Error("m.835", 7, "AMT", "AMT01 '\x1e6' is not\nan amount qualifier\u2028")
    assert str(err) == (
        "m.835: segment 7 (AMT): AMT01 '\\x1e6' is not\\nan amount qualifier\\u2028; "
        "nothing was posted"
    )
    assert len(str(err).splitlines()) == 1
    assert errors.one_line("PEÑA V20î0") == "PEÑA V20î0"  # printable letters stay
