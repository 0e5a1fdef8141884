"""What an 835 says about a claim's adjudication: CLP02 claim status codes.

X12 835 CLP02 (domain.md section 4): 1 processed as primary, 2 as secondary, 3 as tertiary,
4 denied, 19 processed as primary and forwarded to another payer, 20 and 21 secondary and
tertiary forwarded, 22 reversal of a previous payment, 23 not our claim, forwarded.
"""

from __future__ import annotations

import pandas as pd

PRIMARY = frozenset({"1", "19"})  # this payer's own adjudication as primary
DENIED = "4"
REVERSAL = "22"


def primary_adjudication(status: pd.Series, by_primary_payer: pd.Series) -> pd.Series:
    """True where a line's allowed amount is its primary payer's own adjudication.

    ``status`` is the claim's CLP02; ``by_primary_payer`` is true where the remitting payer
    is the line's primary payer (NA counts as not). A claim processed as primary (1, 19) or
    denied (4) by the primary payer qualifies; a secondary's allowed is not its own
    contract's allowed (domain.md section 4.7).
    """
    processed = status.isin(PRIMARY) | status.eq(DENIED)
    return by_primary_payer.astype("boolean").fillna(False).astype(bool) & processed.fillna(
        False
    ).astype(bool)
