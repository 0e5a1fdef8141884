"""The demo practice's coding story (issue 14): what its notes document beyond the billed
codes, so ``payeropt suggest`` and the "Coding" page have real work, up and down.

``documentation_gaps`` changes the generated claims before their files are written, from
a random stream of its own (the seed's other figures, payments and under-payments, stay
as they were):
- some orthopedic visits bill a diagnosis less specific than the note: the unspecified
  side (M17.10 for M17.11) or an injury code without its 7th character (S83.241 for
  S83.241A); a quarter of those notes leave the side or the episode out too, so the
  clinician gets a query instead of a code;
- one primary-care clinician (``UNDERCODER``) documents more than they bill: their notes
  support a higher level more often and a lower one almost never, so the monitors see
  fewer than one downcode per three upcodes and raise the alert.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .claims import PCP_NPIS

# The demo's lateral diagnoses and the unspecified code a hurried biller picks instead.
UNSPECIFIED = {
    "M17.11": "M17.10", "M17.12": "M17.10",  # primary OA of knee
    "M25.561": "M25.569", "M25.562": "M25.569",  # pain in knee
    "M75.41": "M75.40", "M75.42": "M75.40",  # impingement syndrome of shoulder
    "M19.011": "M19.019", "M19.012": "M19.019",  # primary OA of shoulder
    "M65.331": "M65.339", "M65.332": "M65.339",  # trigger finger, middle finger
    "G56.01": "G56.00", "G56.02": "G56.00",  # carpal tunnel syndrome
    "M77.11": "M77.10", "M77.12": "M77.10",  # lateral epicondylitis
    "M19.071": "M19.079", "M19.072": "M19.079",  # primary OA of ankle and foot
    "S83.241A": "S83.249A", "S83.242A": "S83.249A",  # medial meniscus tear, initial
    "S46.011A": "S46.019A", "S46.012A": "S46.019A",  # rotator cuff strain, initial
    "S93.401A": "S93.409A", "S93.402A": "S93.409A",  # ankle sprain, initial
}  # fmt: skip
UNSPECIFIED_SHARE = 0.15  # of the visits billing one of the codes above
NO_SEVENTH_SHARE = 0.06  # of the injury visits: the 7th character left off
NOT_DOCUMENTED_SHARE = 0.25  # of both: the note does not say the side or episode either
UNDERCODER = PCP_NPIS[1]
UNDERCODER_SHIFT = (0.01, 0.74, 0.25)  # documented level vs billed: -1, 0, +1


def documentation_gaps(seed: int, c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Bill some diagnoses less specifically than documented (in ``c``, in place) and
    return per claim: ``undocumented`` (the note leaves the side and episode out),
    ``undercoder`` (the claim is the undercoder's) and ``shift`` (-1, 0, +1: their
    documented level against the billed one; ``encounters_frame`` draws the others')."""
    rng = np.random.default_rng([seed, 14])
    n = len(c["claim_id"])
    draw, again, shift_draw = rng.random(n), rng.random(n), rng.random(n)
    noted = c["em_cid"] >= 0  # only visits with an E/M have a note (encounters.csv)
    dx1 = pd.Series(c["dx1"], dtype="str")
    unspecified = dx1.map(UNSPECIFIED)
    vague = noted & unspecified.notna().to_numpy() & (draw < UNSPECIFIED_SHARE)
    injury = dx1.str.fullmatch(r"S\d\d\.\d{3}[ADS]").to_numpy()
    short = noted & injury & ~vague & (draw >= 1 - NO_SEVENTH_SHARE)
    c["dx1"] = np.where(vague, unspecified.to_numpy(object), c["dx1"])
    c["dx1"] = np.where(short, dx1.str[:-1].to_numpy(object), c["dx1"]).astype(object)
    undocumented = (vague | short) & (again < NOT_DOCUMENTED_SHARE)
    cdf = np.cumsum(UNDERCODER_SHIFT)
    shift = np.searchsorted(cdf / cdf[-1], shift_draw, side="right") - 1
    # c["npi"] indexes PCP_NPIS + ORTHO_NPIS (claims.generate_lines).
    undercoder = noted & (c["npi"] == PCP_NPIS.index(UNDERCODER))
    return {"undocumented": undocumented, "undercoder": undercoder, "shift": shift}
