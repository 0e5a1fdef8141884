"""CMS's NCCI edit files as published, read into frames and turned into payer rules.

Two files (domain.md 6.4), read set-based (the practitioner PTP file holds hundreds of
thousands of pairs):
- **PTP** (procedure-to-procedure, ``ccipra-v*.txt``): tab-separated, Latin-1, a preamble
  (the AMA copyright line, "Column1/Column2 Edits"), a header row starting
  ``Column 1<TAB>Column 2``, legend rows with an empty first column ("0=not allowed",
  "*=no data", ...), then one row per pair: column 1, column 2, ``*`` when in existence
  before 1996, effective date and deletion date as ``YYYYMMDD`` (``*`` = not deleted),
  the modifier indicator (0 never bypassed, 1 bypassed by an NCCI-associated modifier,
  9 not applicable) and the rationale.
- **MUE** (medically unlikely edits, practitioner services, CSV): a quoted preamble, the
  header ``HCPCS/CPT Code, Practitioner Services MUE Values, MUE Adjudication
  Indicator, MUE Rationale``, then one row per code; the indicator cell is the digit and
  its name ("1 Line Edit", "2 Date of Service Edit: Policy", "3 Date of Service Edit:
  Clinical").

A problem refuses the file whole (``InputFileError``: file, line, column). ``ptp_rules``
and ``mue_rules`` make the rows rules of the practice's format (interface section 4),
drafts like any other: every rule of one kind is the same template with other codes and
dates, so the template is checked against the schema and the guardrails once
(``template_problems``), not each of 500,000 rows.

Decisions (docs/rules.md, "NCCI"): the deletion date is the rule's exclusive
``effective_to`` (the edit no longer applies to services on or after it); indicator 9
makes no rule; an MUE with indicator 1 (a claim-line edit) flags a line with more units
than the MUE; indicators 2 and 3 (date-of-service edits) flag the lines of a code when
the patient's units of that code on that date, over every line and claim, exceed it
(``count`` with ``"sum": "units"``, per day).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from payeropt_lib.errors import InputFileError, RuleFileError

from . import definitions

# CMS's NCCI-associated modifiers: anatomic, global surgery, 25, 59 and its X{EPSU}.
BYPASS_MODIFIERS = (
    "E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9",
    "LC", "LD", "LM", "LT", "RC", "RI", "RT", "TA", "T1", "T2", "T3", "T4", "T5", "T6",
    "T7", "T8", "T9", "24", "25", "27", "57", "58", "59", "78", "79", "91", "XE", "XP",
    "XS", "XU",
)  # fmt: skip
PTP_COLUMNS = ["column1", "column2", "before_1996", "effective", "deletion", "indicator",
               "rationale"]  # fmt: skip
CODE = re.compile(r"^[A-Z0-9]{5}$")
QUARTER = re.compile(r"^\d{4}Q[1-4]$")


def read_ptp(path: Path | str) -> pd.DataFrame:
    """The pairs of a practitioner PTP file: column1, column2, effective_from,
    effective_to (NaT = not deleted), indicator ('0', '1', '9'), rationale, line (the
    line of the file, for messages)."""
    path = Path(path)
    text = _text(path)
    lines = text.splitlines()
    header = next(
        (i for i, line in enumerate(lines[:40]) if _cells(line, "\t")[:2] == ["column 1",
                                                                          "column 2"]),
        None,
    )  # fmt: skip
    if header is None:
        raise InputFileError(str(path), None, "Column 1", "no 'Column 1<TAB>Column 2' header")
    body = pd.read_csv(
        io.StringIO("\n".join(lines[header + 1 :])),
        sep="\t",
        header=None,
        names=PTP_COLUMNS,
        dtype=str,
        keep_default_na=False,
        usecols=range(7),
        quoting=3,  # QUOTE_NONE: the rationale may hold quotes
        skip_blank_lines=False,
    )
    body["line"] = np.arange(len(body)) + header + 2
    for column in PTP_COLUMNS:  # a short row's missing cells read as empty
        body[column] = body[column].fillna("").str.strip()
    body = body[body["column1"].ne("")]  # the legend rows under the header, blank lines
    _require(path, body, "column1", body["column1"].str.match(CODE), "not a 5-character code")
    _require(path, body, "column2", body["column2"].str.match(CODE), "not a 5-character code")
    _require(path, body, "indicator", body["indicator"].isin(["0", "1", "9"]), "not 0, 1 or 9")
    effective = _days(path, body, "effective", allow_star=False)
    deletion = _days(path, body, "deletion", allow_star=True)
    return pd.DataFrame(
        {
            "column1": body["column1"],
            "column2": body["column2"],
            "effective_from": effective,
            "effective_to": deletion,
            "indicator": body["indicator"],
            "rationale": body["rationale"],
            "line": body["line"],
        }
    ).reset_index(drop=True)


def read_mue(path: Path | str) -> pd.DataFrame:
    """The limits of a practitioner MUE file: code, mue (units), indicator ('1', '2',
    '3'), rationale, line."""
    path = Path(path)
    lines = _text(path).splitlines()
    header = next(
        (i for i, line in enumerate(lines[:40]) if _cells(line, ",")[:1] == ["hcpcs/cpt code"]),
        None,
    )
    if header is None:
        raise InputFileError(str(path), None, "HCPCS/CPT Code", "no 'HCPCS/CPT Code' header")
    body = pd.read_csv(
        io.StringIO("\n".join(lines[header:])),
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,  # one row a line: the line numbers stay the file's
    ).iloc[:, :4]
    body.columns = ["code", "mue", "indicator", "rationale"]
    body["line"] = np.arange(len(body)) + header + 2
    for column in ("code", "mue", "indicator", "rationale"):
        body[column] = body[column].fillna("").str.strip()
    body = body[body["code"].ne("")]
    _require(path, body, "code", body["code"].str.match(CODE), "not a 5-character code")
    _require(path, body, "mue", body["mue"].str.fullmatch(r"\d+"), "not a whole number")
    indicator = body["indicator"].str[:1]
    _require(path, body, "indicator", indicator.isin(["1", "2", "3"]), "not 1, 2 or 3")
    return pd.DataFrame(
        {
            "code": body["code"],
            "mue": body["mue"].astype("int64"),
            "indicator": indicator,
            "rationale": body["rationale"],
            "line": body["line"],
        }
    ).reset_index(drop=True)


def ptp_rules(pairs: pd.DataFrame, payer_id: str, quarter: str) -> pd.DataFrame:
    """One ``bundling`` rule per pair (indicator 9: none), as a frame: rule_id, payer_id,
    category, effective_from, effective_to (text, '' = open) and definition (the rule's
    JSON)."""
    _check_quarter(quarter)
    # Indicator 9 is no edit; a pair deleted on or before its own effective date never was.
    in_force = pairs["effective_to"].isna() | (pairs["effective_to"] > pairs["effective_from"])
    # A code paired with itself is no edit a rule can say (column 1 and 2 are one code).
    live = pairs[pairs["indicator"].ne("9") & in_force & pairs["column1"].ne(pairs["column2"])]
    bypass = np.where(live["indicator"].eq("1"), json.dumps(list(BYPASS_MODIFIERS)), "[]")
    rule_id = "NCCI-PTP-" + live["column1"] + "-" + live["column2"]
    source = f"CMS NCCI practitioner PTP edits {quarter}: " + live["rationale"]
    unless = np.where(
        live["indicator"].eq("1"), "unless a modifier bypasses it", "(no modifier bypasses it)"
    )
    message = (
        live["column2"] + " is bundled into " + live["column1"] + " on the same day " + unless
    )
    when = (
        '{"pair": {"column1": "' + live["column1"] + '", "column2": "' + live["column2"]
        + '"}, "bypass_modifiers": ' + bypass + "}"
    )  # fmt: skip
    then = '{"outcome": "flag", "message": ' + message.map(_json_text) + "}"
    return _frame(live, rule_id, payer_id, "bundling", when, then, source)


def mue_rules(limits: pd.DataFrame, payer_id: str, quarter: str) -> pd.DataFrame:
    """One ``frequency_limit`` rule per code from the quarter's first day: per line for
    indicator 1, per patient and date of service for 2 and 3 (module docstring). Same
    columns as ``ptp_rules``."""
    _check_quarter(quarter)
    mue = limits["mue"].astype(str)
    code = limits["code"]
    per_day = limits["indicator"].isin(["2", "3"])
    rule_id = "NCCI-MUE-" + code
    source = f"CMS NCCI practitioner MUE {quarter}: " + limits["rationale"]
    where = np.where(per_day, " on one date of service", " on one line")
    message = "More than " + mue + " units of " + code + where + " (MUE " + mue + ")"
    is_code = '{"field": "procedure_code", "op": "eq", "value": "' + code + '"}'
    line_test = '{"field": "units", "op": "gt", "value": ' + mue + "}"
    day_test = (
        '{"count": ' + is_code + ', "per": "day", "sum": "units", "op": "gt", "value": '
        + mue + "}"
    )  # fmt: skip
    when = (
        '{"all": ['
        + is_code
        + ", "
        + pd.Series(np.where(per_day, day_test, line_test), index=limits.index)
        + "]}"
    )
    then = '{"outcome": "flag", "message": ' + message.map(_json_text) + "}"
    dated = limits.assign(
        effective_from=pd.Timestamp(_quarter_start(quarter)),
        effective_to=pd.Series(pd.NaT, index=limits.index, dtype="datetime64[ns]"),
    )
    return _frame(dated, rule_id, payer_id, "frequency_limit", when, then, source)


def read_rules(path: Path | str, payer_id: str, quarter: str) -> tuple[str, pd.DataFrame]:
    """A PTP or MUE file as published, told apart by its header, made rules: ("ptp" or
    "mue", the frame of ``ptp_rules`` / ``mue_rules``). Refused whole (``InputFileError``,
    ``RuleFileError``) when it is neither, when a row is bad, or when its template breaks
    the schema or a guardrail."""
    path = Path(path)
    head = _text(path).splitlines()[:40]
    if any(_cells(line, "\t")[:2] == ["column 1", "column 2"] for line in head):
        kind, rules = "ptp", ptp_rules(read_ptp(path), payer_id, quarter)
    elif any(_cells(line, ",")[:1] == ["hcpcs/cpt code"] for line in head):
        kind, rules = "mue", mue_rules(read_mue(path), payer_id, quarter)
    else:
        raise InputFileError(
            str(path), None, "header",
            "neither a practitioner PTP file ('Column 1<TAB>Column 2') nor an MUE table "
            "('HCPCS/CPT Code,...')",
        )  # fmt: skip
    for problem in template_problems(rules):
        raise RuleFileError(str(path), "NCCI template", "the rules", problem)
    return kind, rules


def template_problems(rules: pd.DataFrame) -> list[str]:
    """The rules' one template checked against the schema and the guardrails, on its
    first row and on one row of each distinct shape (bypassable or not): [] when fine."""
    found = []
    for _, row in rules.drop_duplicates("shape").iterrows():
        rule = json.loads(row["definition"])
        try:
            definitions.check_rule(rule, "NCCI", repr(rule["rule_id"]))
        except Exception as err:  # noqa: BLE001 - reported, not raised
            found.append(str(err))
    return found


def _frame(rows, rule_id, payer_id, category, when, then, source) -> pd.DataFrame:  # noqa: ANN001
    start = rows["effective_from"].dt.strftime("%Y-%m-%d")
    end = rows["effective_to"].dt.strftime("%Y-%m-%d").fillna("")
    end_json = np.where(end.eq(""), "", ', "effective_to": "' + end + '"')
    definition = (
        '{"rule_id": "' + rule_id + '", "payer_id": ' + json.dumps(payer_id)
        + ', "category": "' + category + '", "effective_from": "' + start + '"' + end_json
        + ', "applies_to": "claim_line", "when": ' + when + ', "then": ' + then
        + ', "source": ' + source.map(_json_text) + "}"
    )  # fmt: skip
    return pd.DataFrame(
        {
            "rule_id": rule_id,
            "payer_id": payer_id,
            "category": category,
            "effective_from": start,
            "effective_to": end,
            "definition": definition,
            # One row per distinct shape is enough to check the template (not the codes).
            "shape": when.str.replace(r'"[A-Z0-9]{5}"', '"C"', regex=True).str.replace(
                r"\d+}", "N}", regex=True
            ),
        }
    ).reset_index(drop=True)


def _json_text(text: str) -> str:
    return json.dumps(text)


def _check_quarter(quarter: str) -> None:
    if not QUARTER.match(quarter):
        raise ValueError(f"quarter {quarter!r} is not YYYYQN")


def _quarter_start(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year}-{3 * (q - 1) + 1:02d}-01"


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("latin-1")
    except OSError as err:
        raise InputFileError(str(path), None, "the file", str(err)) from None


def _cells(line: str, sep: str) -> list[str]:
    return [c.strip().strip('"').strip().lower() for c in line.split(sep)]


def _require(path: Path, body: pd.DataFrame, column: str, ok: pd.Series, why: str) -> None:
    bad = ~ok.fillna(False).to_numpy(bool)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        value = body[column].iloc[at]
        raise InputFileError(str(path), int(body["line"].iloc[at]), column, f"{value!r}: {why}")


def _days(path: Path, body: pd.DataFrame, column: str, allow_star: bool) -> pd.Series:
    text = body[column]
    open_ = text.eq("*") if allow_star else pd.Series(False, index=text.index)
    days = pd.to_datetime(text.where(~open_), format="%Y%m%d", errors="coerce")
    _require(path, body, column, days.notna() | open_, "not a date YYYYMMDD")
    return days
