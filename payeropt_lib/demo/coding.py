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
  fewer than one downcode per three upcodes and raise the alert;
- modifiers: an injection day whose E/M went out without 25 mostly documents a separately
  identifiable visit (add 25); a therapeutic injection billed with an immunization
  (NCCI pair 96372/90471) mostly documents an unusual, non-overlapping service (add XU);
  a trigger-point injection billed with 59 sometimes documents that it was not distinct
  (remove the 59).

``record_demo_coding`` then runs ``payeropt suggest`` as of a month before DEMO_AS_OF and
on it, and the clinicians decide: all of the first run's suggestions but a tenth of the
slow clinician's (``SLOW``: the stale alert), a third of the second's; one orthopedist
(``EAGER``) accepts nearly everything (the acceptance alert).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from payeropt_lib import store
from payeropt_lib.coding import record
from payeropt_lib.store import tables
from payeropt_lib.store.access import Identity

from .claims import ORTHO_NPIS, PCP_NPIS
from .contracts import CODE
from .dates import DEMO_AS_OF

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
SEPARATE_WITHOUT_25 = 0.6  # injection days billed without 25 whose note proves the visit
DISTINCT_PAIR = ("96372", "90471")  # column 1, column 2 (NCCI indicator 1)
DISTINCT_SHARE = 0.7
NOT_DISTINCT_SHARE = 0.2  # of the 59s on trigger points


def documentation_gaps(
    seed: int, c: dict[str, np.ndarray], ln: dict[str, np.ndarray], minor: frozenset[str]
) -> dict[str, np.ndarray]:
    """Bill some diagnoses less specifically than documented (in ``c``, in place) and
    return per claim: ``undocumented`` (the note leaves the side and episode out),
    ``undercoder`` (the claim is the undercoder's), ``shift`` (-1, 0, +1: their
    documented level against the billed one; ``encounters_frame`` draws the others'),
    ``separate`` and ``distinct`` (the value of those facts, '' = not documented).
    ``ln``: the claims' lines; ``minor``: the codes with a 000 or 010 global period."""
    rng = np.random.default_rng([seed, 14])
    n = len(c["claim_id"])
    draw, again, shift_draw = rng.random(n), rng.random(n), rng.random(n)
    mod_draw = rng.random(n)
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
    return {
        "undocumented": undocumented, "undercoder": undercoder, "shift": shift,
        **_modifier_facts(c, ln, minor, mod_draw),
    }  # fmt: skip


def _claims_with(ln: dict[str, np.ndarray], n: int, line_mask: np.ndarray) -> np.ndarray:
    """Per claim: whether one of its lines is in ``line_mask``."""
    return np.bincount(ln["claim"][line_mask], minlength=n) > 0


def _modifier_facts(c, ln, minor: frozenset[str], draw: np.ndarray) -> dict[str, np.ndarray]:
    n = len(c["claim_id"])
    code = CODE[ln["cid"]]
    noted = c["em_cid"] >= 0
    procedure_day = _claims_with(ln, n, np.isin(code, sorted(minor)))
    no25 = noted & procedure_day & ~c["has25"]
    separate = np.where(no25, np.where(draw < SEPARATE_WITHOUT_25, "true", "false"), "")
    both = _claims_with(ln, n, code == DISTINCT_PAIR[0]) & _claims_with(
        ln, n, code == DISTINCT_PAIR[1]
    )
    with59 = _claims_with(ln, n, (code == "20552") & (ln["mod"] == 2))  # _MODS: "", 25, 59
    distinct = np.select(
        [noted & both & (draw < DISTINCT_SHARE),
         noted & with59 & (draw < NOT_DISTINCT_SHARE), noted & with59],
        ["unusual_non_overlapping", "false", "separate_structure"], "",
    ).astype(object)  # fmt: skip
    return {"separate": separate.astype(object), "distinct": distinct}


# ----------------------------------------------------------------- the suggestions, decided

FIRST_RUN = dt.date(2026, 10, 1)  # a month before DEMO_AS_OF: its open ones are stale by then
DECIDED_SHARE = {FIRST_RUN: 1.0, DEMO_AS_OF: 0.3}  # of each run's suggestions
SLOW = PCP_NPIS[2]  # leaves some suggestions undecided for weeks: the stale alert
SLOW_SHARE = 0.9  # of the first run's, by the slow clinician
ACCEPTS = {"up": 0.6, "down": 0.45, "none": 0.7}  # a clinician's acceptance by direction
EAGER = ORTHO_NPIS[0]  # accepts nearly everything: the acceptance-rate alert
EAGER_ACCEPTS = 0.93
REASONS = {
    "accept": "documentation supports it",
    "reject": "addendum pending: the note does not yet show it",
}


def record_demo_coding(
    engine: Engine,
    org_id: str,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Run ``payeropt suggest`` as the practice would have (a month before DEMO_AS_OF,
    then on it), and have each clinician accept or reject most of what a run found, so
    the monitors and the "Coding" page have real figures (module docstring)."""
    billing = Identity("demo-billing-manager", "billing_manager")
    for day in DECIDED_SHARE:
        record.suggest(engine, org_id, billing, as_of=day)
    t = tables.suggestions
    found = store.read_frame(
        engine, t, org_id, ["suggestion_id", "direction", "rendering_npi", "created_at", "status"]
    ).sort_values("suggestion_id", ignore_index=True)
    rng = np.random.default_rng([seed, 141])
    decide_draw, accept_draw = rng.random(len(found)), rng.random(len(found))
    share = found["created_at"].str[:10].map({d.isoformat(): s for d, s in DECIDED_SHARE.items()})
    first = found["created_at"].str.startswith(FIRST_RUN.isoformat())
    share = share.where(~(first & found["rendering_npi"].eq(SLOW)), SLOW_SHARE)
    accepts = (
        found["direction"].map(ACCEPTS).where(found["rendering_npi"].ne(EAGER), EAGER_ACCEPTS)
    )
    decided = found[(decide_draw < share.to_numpy()) & found["status"].eq("open").to_numpy()]
    accept = (accept_draw < accepts.to_numpy())[decided.index]
    decisions = decided.assign(disposition=np.where(accept, "accept", "reject"))
    decisions["reason"] = decisions["disposition"].map(REASONS)
    for npi, theirs in decisions.groupby("rendering_npi", sort=True):
        record.decide_many(engine, org_id, theirs, Identity(f"dr-{npi}", "clinician"))
    if progress:
        counts = store.read_frame(engine, t, org_id, ["status"])["status"].value_counts()
        progress(
            "coding suggestions: "
            + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        )
