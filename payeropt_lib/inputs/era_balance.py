"""Balancing a parsed 835 (domain.md §4.4): what does not add up, one row per failure.

Lines, claims and transactions are checked with exact int sums by key (``np.add.at``), no
loop over rows; messages are built for the failures only. An unbalanced remittance is
still parsed and posted: ``balance`` reports, it refuses nothing.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from payeropt_lib.formats import decimal_texts

from .era_columns import STR
from .era_frames import Remit

BALANCE_COLUMNS = (
    "level",
    "txn",
    "claim_seq",
    "line_seq",
    "claim_id",
    "expected_cents",
    "actual_cents",
    "message",
)


def _sum_into(target: np.ndarray, source: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """For each target key, the exact int sum of the amounts with that source key."""
    order = np.argsort(target, kind="stable")
    ordered = target[order]
    pos = np.minimum(np.searchsorted(ordered, source), max(len(ordered) - 1, 0))
    found = ordered[pos] == source if len(ordered) else np.zeros(len(source), dtype=bool)
    sums = np.zeros(len(target), dtype=np.int64)
    np.add.at(sums, order[pos[found]], amounts[found])
    return sums


def balance(remit: Remit) -> pd.DataFrame:
    """One row per balancing failure (domain.md §4.4), empty when everything balances.

    - line: SVC02 − Σ CAS of the line = SVC03;
    - claim: CLP03 − Σ CAS of the claim − Σ CAS of its lines = CLP04;
    - claim, only for a claim with service lines: Σ SVC03 − Σ claim-level CAS = CLP04
      (the lines pay what the claim pays; TR3 claim balancing);
    - transaction: Σ CLP04 − Σ PLB amounts = BPR02 (a positive PLB reduces the payment).

    Columns: level (line|claim|transaction), txn, claim_seq and line_seq (``Int64``, NA
    above their level), claim_id (NA for transactions), expected_cents (the left-hand
    side), actual_cents (SVC03, CLP04 or BPR02), message. Vectorized: exact int sums by
    key (``np.add.at``), no loop over rows; messages are built for failures only.
    """
    adj, lines, claims, txns = remit.adjustments, remit.lines, remit.claims, remit.transactions

    def ints(frame: pd.DataFrame, column: str, na: int = 0) -> np.ndarray:
        return frame[column].to_numpy(dtype=np.int64, na_value=na)

    # Claims and lines are found by one int key per row: (txn, claim_seq[, line_seq]).
    a_txn, a_claim, a_line = ints(adj, "txn"), ints(adj, "claim_seq"), ints(adj, "line_seq", -1)
    l_txn, l_claim, l_line = ints(lines, "txn"), ints(lines, "claim_seq"), ints(lines, "line_seq")
    c_txn, c_claim = ints(claims, "txn"), ints(claims, "claim_seq")
    parts_of = (a_claim, l_claim, c_claim, a_line, l_line)
    width = max([int(v.max()) + 2 for v in parts_of if len(v)] or [2])
    claim_key = c_txn * width + c_claim
    line_claim = l_txn * width + l_claim
    adj_claim = a_txn * width + a_claim
    line_key = line_claim * width + l_line
    adj_line = adj_claim * width + a_line
    at_line = a_line >= 0
    amounts = ints(adj, "amount_cents")

    line_cas = _sum_into(line_key, adj_line[at_line], amounts[at_line])
    line_charge, line_paid = ints(lines, "charge_cents"), ints(lines, "paid_cents")
    line_expected = line_charge - line_cas

    claim_charge, claim_paid = ints(claims, "charge_cents"), ints(claims, "paid_cents")
    claim_cas = _sum_into(claim_key, adj_claim, amounts)
    claim_expected = claim_charge - claim_cas
    claim_level = _sum_into(claim_key, adj_claim[~at_line], amounts[~at_line])
    lines_paid = _sum_into(claim_key, line_claim, line_paid)
    has_lines = _sum_into(claim_key, line_claim, np.ones(len(lines), dtype=np.int64)) > 0
    by_lines = np.where(has_lines, lines_paid - claim_level, claim_paid)

    txn_key, bpr = ints(txns, "txn"), ints(txns, "total_paid_cents")
    paid = _sum_into(txn_key, c_txn, claim_paid)
    plb = _sum_into(txn_key, ints(remit.plb, "txn"), ints(remit.plb, "amount_cents"))
    txn_expected = paid - plb

    bad_line = np.flatnonzero(line_expected != line_paid)
    bad_claim = np.flatnonzero(claim_expected != claim_paid)
    bad_by_lines = np.flatnonzero(by_lines != claim_paid)
    bad_txn = np.flatnonzero(txn_expected != bpr)
    if not (len(bad_line) or len(bad_claim) or len(bad_by_lines) or len(bad_txn)):
        return _empty_balance()

    ids = dict(zip(claim_key.tolist(), claims["claim_id"].tolist(), strict=True))
    parts = []
    if len(bad_line):
        rows = lines.iloc[bad_line]
        claim_id = pd.Series([ids.get(k) for k in line_claim[bad_line].tolist()], dtype=STR)
        message = (
            "claim " + claim_id + " line " + (rows["line_seq"] + 1).astype(str).to_numpy()
            + ": SVC02 " + decimal_texts(line_charge[bad_line]) + " - CAS "
            + decimal_texts(line_cas[bad_line]) + " = " + decimal_texts(line_expected[bad_line])
            + " but SVC03 = " + decimal_texts(line_paid[bad_line])
        )  # fmt: skip
        parts.append(_rows("line", rows, claim_id, line_expected[bad_line],
                           line_paid[bad_line], message))  # fmt: skip
    for bad, expected, text in (
        (bad_claim, claim_expected, "CAS"),
        (bad_by_lines, by_lines, "lines"),
    ):
        if not len(bad):
            continue
        rows = claims.iloc[bad]
        claim_id = rows["claim_id"].reset_index(drop=True)
        who = "claim " + claim_id + " (CLP02 " + rows["status"].to_numpy() + "): "
        if text == "CAS":
            detail = (
                "CLP03 "
                + decimal_texts(claim_charge[bad])
                + " - CAS "
                + decimal_texts(claim_cas[bad])
            )
        else:
            detail = (
                "its lines pay SVC03 " + decimal_texts(lines_paid[bad]) + " - claim CAS "
                + decimal_texts(claim_level[bad])
            )  # fmt: skip
        message = who + detail + " = " + decimal_texts(expected[bad]) + " but CLP04 = "
        message = message + decimal_texts(claim_paid[bad])
        parts.append(_rows("claim", rows, claim_id, expected[bad], claim_paid[bad], message))
    if len(bad_txn):
        rows = txns.iloc[bad_txn]
        message = (
            "transaction set " + rows["st_control"].fillna("").reset_index(drop=True)
            + ": sum(CLP04) " + decimal_texts(paid[bad_txn])
            + " - PLB " + decimal_texts(plb[bad_txn])
            + " = " + decimal_texts(txn_expected[bad_txn])
            + " but BPR02 = " + decimal_texts(bpr[bad_txn])
        )  # fmt: skip
        none = pd.Series([None] * len(rows), dtype=STR)
        parts.append(
            _rows("transaction", rows, none, txn_expected[bad_txn], bpr[bad_txn], message)
        )
    result = pd.concat(parts, ignore_index=True)
    order = result["level"].map({"line": 0, "claim": 1, "transaction": 2})
    result = result.assign(_order=order).sort_values(
        ["txn", "claim_seq", "_order", "line_seq"], na_position="last", kind="stable"
    )
    return result.drop(columns="_order").reset_index(drop=True)


def _rows(
    level: str,
    rows: pd.DataFrame,
    claim_id: pd.Series,
    expected: np.ndarray,
    actual: np.ndarray,
    message: pd.Series,
) -> pd.DataFrame:
    count = len(rows)

    def ints(column: str) -> pd.api.extensions.ExtensionArray:
        if column not in rows:
            return pd.array([pd.NA] * count, dtype="Int64")
        return pd.array(rows[column].to_numpy(dtype=np.int64), dtype="Int64")

    return pd.DataFrame(
        {
            "level": pd.Series([level] * count, dtype=STR),
            "txn": rows["txn"].to_numpy(dtype=np.int64),
            "claim_seq": ints("claim_seq"),
            "line_seq": ints("line_seq"),
            "claim_id": pd.Series(claim_id.to_numpy(), dtype=STR),
            "expected_cents": np.asarray(expected, dtype=np.int64),
            "actual_cents": np.asarray(actual, dtype=np.int64),
            "message": pd.Series(message.to_numpy(), dtype=STR),
        }
    )


def _empty_balance() -> pd.DataFrame:
    return _empty_balance_template().copy()


@functools.cache
def _empty_balance_template() -> pd.DataFrame:
    """Built once: creating an empty frame with its dtypes costs more than checking."""
    return pd.DataFrame(
        {
            "level": pd.Series(dtype=STR),
            "txn": pd.Series(dtype="int64"),
            "claim_seq": pd.Series(dtype="Int64"),
            "line_seq": pd.Series(dtype="Int64"),
            "claim_id": pd.Series(dtype=STR),
            "expected_cents": pd.Series(dtype="int64"),
            "actual_cents": pd.Series(dtype="int64"),
            "message": pd.Series(dtype=STR),
        }
    )
