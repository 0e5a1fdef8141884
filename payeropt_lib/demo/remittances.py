"""The demo practice's 835 remittances: realistic payers, quirks and planted under-payments.

From the demo's charges and contract terms (store frames), every adjudicated claim gets a
remittance from its primary payer. The payer pays the contract (``expected.py`` is the
ground truth) except where this module plants a problem for the analyses to find:

| planted | who | how it shows |
|---|---|---|
| earlier period's rate | fixed-fee payers, 90 days after a rate change | allowed = the old rate |
| wrong percent of Medicare | LBA, Q1 2026 | paid 110 % instead of 115 % |
| MPPR on the primary procedure | CRHP | the day's costliest indicator-2 line at 50 % |
| units ignored | PMH | SVC05 = 1 on multi-unit lines, paid for one |
| flat rate across codes | GCC, October 2025 | every E/M at the 99213 amount |
| random shortfall / over-payment | anyone, rarely | 90 % / 110-120 % of contract |

Plus what real payers send: denials (CO-16/50/197/29/96 with RARCs), bundled lines (CO-97 with
N390), patient responsibility (coinsurance PR-2, copays PR-3, deductibles PR-1), Medicare
sequestration (CO-253, 2 % of Medicare's share), CO-45 write-downs (negative when the payer
allows more than the charge), and file quirks: delimiters differ by payer, one payer sends no
line breaks, one sends neither AMT*B6 nor REF*6R, one reverses and corrects a claim in a later
file, and one file is re-sent under another name. Seeded: the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from payeropt_lib import config, store
from payeropt_lib.frames import member_of
from payeropt_lib.inputs import era_writer, imports
from payeropt_lib.pricing import expected
from payeropt_lib.remittances import rates_cache
from payeropt_lib.store import orgs, tables
from payeropt_lib.store.access import Identity

from .cms_release import import_demo_release

logger = logging.getLogger(__name__)

# Per payer: (element, component, terminator, line breaks, sends AMT*B6 and REF*6R, lag days)
FORMATS: dict[str, tuple[str, str, str, bool | str, bool, int]] = {
    "MCR": ("*", ":", "~", True, True, 14),
    "TXMCD": ("|", "^", "~", False, True, 30),  # one long line
    "MKSA": ("*", ":", "~", "\r\n", True, 21),
    "PMH": ("*", ">", "~", True, True, 18),
    "CRHP": ("*", ":", "~", True, False, 25),  # no AMT*B6, no REF*6R
    "LBA": ("^", ":", "~", True, True, 28),
    "GCC": ("*", ":", "\n", True, True, 35),  # newline is the terminator
    "PVWC": ("*", ":", "~", True, True, 40),
}
DEFAULT_FORMAT = ("*", ":", "~", True, True, 30)
MEDICARE_LIKE = ("MCR", "MKSA")  # coinsurance 20 %; MCR also sequestration
SEQUESTRATION_X1000 = 2_000  # 2 %
EM_CODES = ("99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215")
DENIALS = (("16", "MA130"), ("50", "N115"), ("197", "N54"), ("29", None), ("96", "N425"))


def _half_up(numerator: np.ndarray, denominator: int) -> np.ndarray:
    return (np.asarray(numerator, dtype="int64") * 2 + denominator) // (2 * denominator)


def plan_payments(
    charges: pd.DataFrame,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
    as_of: dt.date,
    seed: int,
) -> pd.DataFrame:
    """What each payer allows and pays for each adjudicated charge line.

    Needs the store frames of one practice. Returns one row per line with: claim_id,
    line_number, line_control_number, payer_id, procedure_code, modifiers, units,
    charge_cents, date_of_service, payment_date, expected_cents, allowed_cents, units_paid,
    denial_carc, denial_rarc, bundled, pr1/pr2/pr3_cents, sequestration_cents, paid_cents,
    co45_cents, planted (the planted cause, '' when paid as contracted).
    """
    rng = np.random.default_rng(seed)
    # The draws follow the charge lines' key, not the order the store returned them in
    # (PostgreSQL's is not SQLite's): one seed, one practice, on either store.
    lines = charges.sort_values(["claim_id", "line_number"], kind="stable").reset_index(drop=True)
    lines["line_key"] = np.arange(len(lines), dtype="int64")
    lag = (
        lines["primary_payer_id"].map(lambda p: FORMATS.get(p, DEFAULT_FORMAT)[5]).astype("int64")
    )
    lines["payment_date"] = lines["date_of_service"] + pd.to_timedelta(
        lag + rng.integers(0, 12, len(lines)), unit="D"
    )
    # Whole claims are paid together, on the claim's latest line date.
    lines["payment_date"] = lines.groupby("claim_id")["payment_date"].transform("max")
    lines = lines[lines["payment_date"] < pd.Timestamp(as_of)].reset_index(drop=True)
    engine_in = lines.assign(
        payer_id=lines["primary_payer_id"], product_line=lines["product_line"].fillna("")
    )[
        [
            "line_key",
            "claim_id",
            "payer_id",
            "product_line",
            "procedure_code",
            "modifiers",
            "units",
            "charge_cents",
            "date_of_service",
            "place_of_service",
        ]
    ]
    priced = expected.expected_allowed(
        engine_in, contracts, fee_schedules, medicare_fees, explain=False
    )
    lines = lines.merge(
        priced[
            [
                "line_key",
                "expected_cents",
                "rate_cents",
                "rate_from",
                "mppr_rank",
                "contract_basis",
            ]
        ],
        on="line_key",
        how="left",
    )
    exp = lines["expected_cents"]
    payer = lines["primary_payer_id"]
    dos = lines["date_of_service"]
    # No rate on file: the payer pays 60 % of charge (the page lists these as "no rate").
    own = pd.Series(_half_up(lines["charge_cents"] * 6, 10), index=lines.index)
    allowed = exp.fillna(own).astype("int64").to_numpy()
    planted = np.full(len(lines), "", dtype=object)
    units_paid = lines["units"].to_numpy().copy()
    has_rate = exp.notna().to_numpy()

    # Earlier period's rate: fixed-fee payers keep paying the old rate for a while.
    earlier_in = engine_in.merge(lines[["line_key", "rate_from", "contract_basis"]], on="line_key")
    recent = earlier_in["contract_basis"].eq("fee_schedule") & (
        earlier_in["date_of_service"] - earlier_in["rate_from"]
    ).dt.days.between(0, 90)
    earlier_in = earlier_in[recent.fillna(False).astype(bool)]
    earlier_in = earlier_in.assign(date_of_service=earlier_in["rate_from"] - pd.Timedelta(days=1))
    old = expected.expected_allowed(
        earlier_in.drop(columns=["rate_from", "contract_basis"]),
        contracts,
        fee_schedules,
        medicare_fees,
        explain=False,
    )
    old = old.set_index("line_key")["expected_cents"].reindex(lines["line_key"]).to_numpy()
    old_known = pd.notna(old)
    pick = has_rate & old_known & (rng.random(len(lines)) < 0.5)
    pick &= np.where(old_known, old, 0) != exp.fillna(0).to_numpy()
    allowed = np.where(pick, np.where(old_known, old, 0), allowed).astype("int64")
    planted[pick] = "earlier_rate"

    # Wrong percent of Medicare: LBA pays 110 % instead of 115 % in Q1 2026.
    q1 = payer.eq("LBA") & dos.between("2026-01-01", "2026-03-31") & exp.notna()
    if q1.any():
        cut = contracts.assign(
            medicare_percent_x1000=contracts["medicare_percent_x1000"].where(
                contracts["payer_id"] != "LBA", 110_000
            )
        )
        wrong = expected.expected_allowed(
            engine_in[q1.to_numpy()], cut, fee_schedules, medicare_fees, explain=False
        )
        idx = np.flatnonzero(q1.to_numpy())
        allowed[idx] = wrong["expected_cents"].fillna(0).astype("int64").to_numpy()
        planted[idx] = "percent_of_medicare"

    free = has_rate & (planted == "")
    # MPPR on the primary procedure: CRHP halves the day's costliest surgical line.
    rank1 = lines["mppr_rank"].eq(1).fillna(False).to_numpy()
    ranked_claims = lines.loc[lines["mppr_rank"].notna(), "claim_id"].value_counts()
    multi = lines["claim_id"].map(ranked_claims).fillna(0).ge(2).to_numpy()
    pick = free & rank1 & multi & payer.eq("CRHP").to_numpy() & (rng.random(len(lines)) < 0.6)
    allowed = np.where(pick, _half_up(allowed * 50, 100), allowed)
    planted[pick] = "mppr_on_primary"

    free = has_rate & (planted == "")
    # Units ignored: PMH pays one unit of multi-unit lines.
    multi_unit = lines["units"].gt(1).to_numpy()
    pick = free & multi_unit & payer.eq("PMH").to_numpy() & (rng.random(len(lines)) < 0.6)
    one = np.minimum(lines["rate_cents"].fillna(0).astype("int64").to_numpy(), allowed)
    allowed = np.where(pick, one, allowed)
    units_paid = np.where(pick, 1, units_paid)
    planted[pick] = "units_ignored"

    free = has_rate & (planted == "")
    # Flat rate: GCC pays every E/M at its 99213 amount in October 2025.
    october = payer.eq("GCC") & dos.between("2025-10-01", "2025-10-31")
    em = lines["procedure_code"].isin(EM_CODES)
    flat_src = lines[october & lines["procedure_code"].eq("99213") & exp.notna()]
    if len(flat_src):
        flat = int(flat_src["expected_cents"].median())
        pick = free & (october & em & ~lines["procedure_code"].eq("99213")).to_numpy()
        pick &= allowed > flat
        allowed = np.where(pick, flat, allowed)
        planted[pick] = "flat_rate"

    free = has_rate & (planted == "")
    roll = rng.random(len(lines))
    short = free & (roll < 0.006)
    allowed = np.where(short, _half_up(allowed * 90, 100), allowed)
    planted[short] = "below_contract"
    over = free & (roll > 0.997)
    allowed = np.where(over, _half_up(allowed * rng.integers(110, 121, len(lines)), 100), allowed)
    planted[over] = "overpaid"

    # Denials (whole claims) and bundled lines (later lines of multi-line claims).
    claim_roll = (
        lines.groupby("claim_id")["line_key"]
        .transform("min")
        .map(dict(zip(lines["line_key"], rng.random(len(lines)), strict=True)))
    )
    denied = (claim_roll < 0.04).to_numpy()
    which = rng.integers(0, len(DENIALS), len(lines))
    denial_carc = np.where(denied, np.array([d[0] for d in DENIALS])[which], None)
    denial_rarc = np.where(denied, np.array([d[1] for d in DENIALS], dtype=object)[which], None)
    later_line = (
        lines["line_number"].ge(2).to_numpy() & ~lines["procedure_code"].isin(EM_CODES).to_numpy()
    )
    bundled = ~denied & later_line & (rng.random(len(lines)) < 0.05)
    zero = denied | bundled
    allowed = np.where(zero, 0, allowed)
    planted[zero] = ""
    # A bundled line takes no multiple-procedure rank (interface §3): where one had ranked
    # ahead of a paid procedure, the payer prices that procedure again, as the 1st. (Priced
    # after the draws above, so the seeded choices stay what they were.)
    exp, allowed = _rank_without_bundled(
        engine_in, bundled, exp, allowed, planted, contracts, fee_schedules, medicare_fees
    )
    lines["expected_cents"] = exp

    # Patient responsibility and sequestration.
    medicare_like = payer.isin(MEDICARE_LIKE).to_numpy()
    commercial = payer.isin(("PMH", "CRHP", "LBA")).to_numpy()
    pr2 = np.where(medicare_like & ~zero, _half_up(allowed * 20, 100), 0)
    is_em = em.to_numpy()
    first_em = is_em & ~lines.duplicated(["claim_id"]).to_numpy()
    pr3 = np.where(commercial & first_em & ~zero, np.minimum(2500, allowed), 0)
    early = dos.dt.month.le(2).to_numpy()
    pr1 = np.where(
        commercial & early & ~zero & (rng.random(len(lines)) < 0.3),
        np.minimum(allowed - pr3, 5000),
        0,
    )
    share = allowed - pr1 - pr2 - pr3
    seq = np.where(
        payer.eq("MCR").to_numpy() & ~zero, _half_up(share * SEQUESTRATION_X1000, 100_000), 0
    )
    paid = share - seq
    out = lines.assign(
        allowed_cents=allowed.astype("int64"),
        units_paid=units_paid.astype("int64"),
        denial_carc=denial_carc,
        denial_rarc=denial_rarc,
        bundled=bundled,
        pr1_cents=pr1.astype("int64"),
        pr2_cents=pr2.astype("int64"),
        pr3_cents=pr3.astype("int64"),
        sequestration_cents=seq.astype("int64"),
        paid_cents=paid.astype("int64"),
        planted=planted,
    )
    out["co45_cents"] = out["charge_cents"] - out["allowed_cents"]
    return out


# What the payers' plan reads from a practice's store, and the files that fill them.
PLAN_TABLES = (tables.charges, tables.contracts, tables.fee_schedules)
PLAN_FILES = {
    "contracts": "contracts.csv",
    "medicare-fees": "medicare_fees.csv",
    "fee-schedules": "fee_schedules.csv",
    "charges": "charges.csv",
}


def stored_frames(engine: Engine, org_id: str) -> dict[str, pd.DataFrame]:
    """The frames ``plan_payments`` needs, as the store of ``org_id`` holds them (by table
    name: charges, contracts, fee_schedules, medicare_fees). The Medicare amounts are
    those posting prices by: the practice's own, and CMS's fee library where it has none
    (``rates_cache.medicare_fees``)."""
    with engine.connect() as conn:
        frames = {t.name: store.read_frame(conn, t, org_id) for t in PLAN_TABLES}
        frames["medicare_fees"] = rates_cache.medicare_fees(conn, org_id, frames["contracts"])
    return frames


def plan_of(frames: dict[str, pd.DataFrame], as_of: dt.date, seed: int) -> pd.DataFrame:
    """``plan_payments`` over ``stored_frames``."""
    return plan_payments(
        frames["charges"],
        frames["contracts"],
        frames["fee_schedules"],
        frames["medicare_fees"],
        as_of,
        seed,
    )


def planned_from_files(
    folder: Path, as_of: dt.date, seed: int, locality: str | None = None
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The stored frames and the payers' plan for the practice files in ``folder``
    (``PLAN_FILES``), before any store of the practice exists.

    The files go through the importer into a scratch SQLite store, so the plan is made
    from exactly the frames the practice's own store will hold once they are loaded (the
    plan does not depend on the order a store returns rows in): the demo's postings
    (``postings``) follow the 835s that the demo writes later from that store.
    """
    # The same files make the same plan: a process that generates one practice many
    # times (a test session) imports and plans it once.
    digest = hashlib.sha256(repr((str(as_of), seed, locality)).encode())
    for name in PLAN_FILES.values():
        digest.update((Path(folder) / name).read_bytes())
    key = digest.hexdigest()
    if key not in _PLANS:
        if len(_PLANS) >= _KEEP_PLANS:
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[key] = _planned(folder, as_of, seed, locality)
    frames, plan = _PLANS[key]
    return {name: frame.copy() for name, frame in frames.items()}, plan.copy()


_PLANS: dict[str, tuple[dict[str, pd.DataFrame], pd.DataFrame]] = {}
_KEEP_PLANS = 8


def _planned(
    folder: Path, as_of: dt.date, seed: int, locality: str | None
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """``planned_from_files``, made afresh."""
    who = Identity("payeropt-demo-plan", "owner")
    with tempfile.TemporaryDirectory(prefix="payeropt-plan-") as scratch:
        engine = store.engine_for(config.sqlite_url(Path(scratch) / "plan.sqlite"))
        try:
            import_demo_release(engine, who)
            orgs.create(engine, "plan", "Plan", who, locality=locality)
            orgs.opt_in(engine, "plan", who, accept_disclosure=True)
            for kind, name in PLAN_FILES.items():
                imports.import_file(engine, "plan", kind, Path(folder) / name, who)
            frames = stored_frames(engine, "plan")
        finally:
            engine.dispose()
    return frames, plan_of(frames, as_of, seed)


def _rank_without_bundled(
    engine_in: pd.DataFrame,
    bundled: np.ndarray,
    exp: pd.Series,
    allowed: np.ndarray,
    planted: np.ndarray,
    contracts: pd.DataFrame,
    fee_schedules: pd.DataFrame,
    medicare_fees: pd.DataFrame,
) -> tuple[pd.Series, np.ndarray]:
    """The claims with a bundled line priced again with each bundled line a group of its
    own; returns the expected amounts and the allowed amounts of the lines paid as
    contracted, updated where the rank changed."""
    claims = engine_in.loc[bundled, "claim_id"].unique()
    again = member_of(engine_in["claim_id"], claims)
    if not again.any():
        return exp, allowed
    part = engine_in[again]
    own = bundled[again]
    part = part.assign(
        claim_id=part["claim_id"].where(
            ~own, part["claim_id"] + "/" + part["line_key"].astype(str)
        )
    )
    priced = expected.expected_allowed(
        part, contracts, fee_schedules, medicare_fees, explain=False, columns=("expected_cents",)
    )
    exp = exp.copy()
    exp[again] = priced.set_index("line_key")["expected_cents"].reindex(part["line_key"]).array
    as_contracted = again & (planted == "") & ~bundled & exp.notna().to_numpy()
    allowed = np.where(as_contracted, exp.fillna(0).astype("int64").to_numpy(), allowed)
    return exp, allowed


def remittance_files(plan: pd.DataFrame, seed: int) -> dict[str, bytes]:
    """835 files from a payment plan: one per payer and half-year, one check per month.

    Adds the re-sent copy of one file and, for one under-paid PMH claim, a reversal and its
    corrected claim in the payer's next file. Names sort in posting order.
    """
    rng = np.random.default_rng(seed + 1)
    plan = plan.copy()
    # Half-years keep the demo to a few dozen files (posting has a fixed cost per file).
    half = np.where(plan["payment_date"].dt.month <= 6, "H1", "H2")
    plan["period"] = plan["payment_date"].dt.year.astype(str) + half
    plan["month"] = plan["payment_date"].dt.to_period("M").astype(str)
    files: dict[str, bytes] = {}
    control = 100
    correction = _pick_correction(plan)
    for (period, payer), part in plan.groupby(["period", "primary_payer_id"], sort=True):
        full = FORMATS.get(payer, DEFAULT_FORMAT)[4]
        extra = None
        if (
            correction is not None
            and payer == correction["payer"]
            and (period == correction["next_period"])
        ):
            extra = correction["claim"]
        frames = writer_frames(part, full, extra)
        control += 1
        name = f"{period}_{payer}.835"
        files[name] = payer_file(frames, payer, control, part["payment_date"].max())
    # A clearinghouse re-sends one MKSA file under another name a day later.
    mksa = sorted(n for n in files if n.endswith("_MKSA.835"))
    if mksa:
        original = mksa[len(mksa) // 2]
        text = files[original].decode()
        day = text[70:76]
        resent = text[:70] + _next_day(day) + text[76:]
        files[original.replace(".835", "_resent.835")] = resent.encode()
    del rng
    return files


def payer_file(
    frames: dict[str, pd.DataFrame], payer: str, control: int, day: pd.Timestamp
) -> bytes:
    """One 835 of ``payer`` in its own format (``FORMATS``: delimiters, line breaks),
    interchange ``control``, created at 06:00 on ``day``."""
    element, component, terminator, breaks, _, _ = FORMATS.get(payer, DEFAULT_FORMAT)
    return era_writer.write(
        frames,
        element=element,
        component=component,
        terminator=terminator,
        line_breaks=breaks,
        isa_control=control,
        sender=f"{payer}EDI",
        receiver="DEMOPRACTICE",
        created=dt.datetime.combine(day.date(), dt.time(6, 0)),
    )


def _next_day(yymmdd: str) -> str:
    return (dt.datetime.strptime(yymmdd, "%y%m%d") + dt.timedelta(days=1)).strftime("%y%m%d")


def _pick_correction(plan: pd.DataFrame) -> dict | None:
    """An under-paid PMH claim whose payer reverses and corrects it the next file."""
    candidates = plan[plan["primary_payer_id"].eq("PMH") & plan["planted"].eq("units_ignored")]
    if candidates.empty:
        return None
    claim_id = candidates.sort_values("payment_date")["claim_id"].iloc[0]
    claim = plan[plan["claim_id"] == claim_id]
    period = claim["period"].iloc[0]  # "2025H1": sorts as text
    later = sorted(
        q for q in plan.loc[plan["primary_payer_id"].eq("PMH"), "period"].unique() if q > period
    )
    if not later:
        return None
    return {"payer": "PMH", "claim": claim, "next_period": later[0]}


def writer_frames(part: pd.DataFrame, full: bool, correction: pd.DataFrame | None) -> dict:
    """Writer frames (transactions, claims, lines, adjustments) for one payer's file: one
    transaction per ``month`` of ``part`` (rows of ``plan_payments`` of one payer, with a
    ``month`` column); ``benchmarks/era_many.py`` writes daily files with it."""
    months = sorted(part["month"].unique())
    txn_of = {m: i for i, m in enumerate(months)}
    part = part.assign(txn=part["month"].map(txn_of))
    pieces = [part.assign(status="1", sign=1)]
    if correction is not None:
        last = len(months) - 1
        rev = correction.assign(txn=last, status="22", sign=-1)
        fixed = correction.assign(
            txn=last,
            status="1",
            sign=1,
            units_paid=correction["units"],
            allowed_cents=correction["expected_cents"].astype("int64"),
        )
        fixed = fixed.assign(
            paid_cents=fixed["allowed_cents"]
            - fixed["pr1_cents"]
            - fixed["pr2_cents"]
            - fixed["pr3_cents"],
            co45_cents=fixed["charge_cents"] - fixed["allowed_cents"],
        )
        pieces += [rev, fixed]
    rows = pd.concat(pieces, ignore_index=True)
    rows["claim_key"] = rows["claim_id"] + "|" + rows["status"] + "|" + rows["sign"].astype(str)
    rows["claim_seq"] = rows.groupby("txn")["claim_key"].transform(lambda k: pd.factorize(k)[0])
    rows["line_seq"] = rows.groupby(["txn", "claim_seq"]).cumcount()
    s = rows["sign"]
    payer = part["primary_payer_id"].iloc[0]
    name = {
        "MCR": "MEDICARE PART B TEXAS",
        "TXMCD": "LONE STAR MEDICAID",
        "MKSA": "MOCKINGBIRD HEALTH PLANS",
        "PMH": "PRAIRIE MUTUAL",
        "CRHP": "CEDAR RIDGE HEALTH PLAN",
        "LBA": "LARKSPUR BENEFIT ADMINISTRATORS",
        "GCC": "GULFSIDE COMMUNITY CARE",
        "PVWC": "PECAN VALLEY WORKERS COMP FUND",
    }.get(payer, payer)
    transactions = pd.DataFrame(
        {
            "txn": range(len(months)),
            "payer_name": name,
            "payee_name": "DEMO FAMILY ORTHOPEDIC",
            "payee_id": "1234567893",
            "trace_number": [f"{payer}{m.replace('-', '')}" for m in months],
            "payment_date": [part.loc[part["month"] == m, "payment_date"].max() for m in months],
        }
    )
    lines = pd.DataFrame(
        {
            "txn": rows["txn"],
            "claim_seq": rows["claim_seq"],
            "line_seq": rows["line_seq"],
            "procedure_code": rows["procedure_code"],
            "modifiers": rows["modifiers"].fillna(""),
            "charge_cents": s * rows["charge_cents"],
            "paid_cents": s * rows["paid_cents"],
            "units_paid_x1000": rows["units_paid"] * 1000,
            "service_date": rows["date_of_service"],
            "line_control_number": rows["line_control_number"] if full else pd.NA,
            "allowed_cents": (s * rows["allowed_cents"]) if full else pd.NA,
            "remark_codes": np.where(rows["bundled"], "N390", rows["denial_rarc"]),
        }
    )
    claims = (
        rows.groupby(["txn", "claim_seq"], sort=True)
        .agg(
            claim_id=("claim_id", "first"),
            status=("status", "first"),
            sign=("sign", "first"),
            charge=("charge_cents", "sum"),
            paid=("paid_cents", "sum"),
            pr=("pr1_cents", "sum"),
            pr2=("pr2_cents", "sum"),
            pr3=("pr3_cents", "sum"),
            dos=("date_of_service", "min"),
            patient_id=("patient_id", "first"),
        )
        .reset_index()
    )
    last, first, member = _patient_names(claims["patient_id"])
    claims = pd.DataFrame(
        {
            "txn": claims["txn"],
            "claim_seq": claims["claim_seq"],
            "claim_id": claims["claim_id"],
            "status": claims["status"],
            "charge_cents": claims["sign"] * claims["charge"],
            "paid_cents": claims["sign"] * claims["paid"],
            "patient_resp_cents": claims["sign"] * (claims["pr"] + claims["pr2"] + claims["pr3"]),
            "payer_claim_number": "PCN" + claims["claim_id"].str[-8:],
            "patient_last": last,
            "patient_first": first,
            "patient_member_id": member,
            "statement_from": claims["dos"],
            "statement_to": claims["dos"],
        }
    )
    adjustments = _adjustments(rows)
    return {
        "transactions": transactions,
        "claims": claims,
        "lines": lines,
        "adjustments": adjustments,
    }


# Invented patients for NM1*QC: a surname and a given name per account number, so the
# privacy tests have names to look for (they must never reach a packet).
SURNAMES = (
    "ABERNATHY",
    "BALLARD",
    "CASTELLANOS",
    "DRUMMOND",
    "ESPINOZA",
    "FAIRWEATHER",
    "GALLOWAY",
    "HOLLINGSWORTH",
    "IBARRA",
    "JABLONSKI",
    "KOWALCZYK",
    "LINDQVIST",
    "MCALLISTER",
    "NAKAGAWA",
    "OYELARAN",
    "PETTIGREW",
    "QUINTANILLA",
    "ROSSWELL",
    "SZYMANSKI",
    "TREMBLAY",
    "UMBERGER",
    "VANDERHOOF",
    "WHITTAKER",
    "YBARRA",
    "ZELLWEGER",
)
GIVEN_NAMES = (
    "ADELINE",
    "BARNABY",
    "CORDELIA",
    "DESMOND",
    "EVANGELINE",
    "FLETCHER",
    "GWENDOLYN",
    "HORATIO",
    "ISOLDE",
    "JASPER",
    "KATRINA",
    "LEOPOLD",
    "MARISOL",
    "NATHANIEL",
    "OPHELIA",
)


def _patient_names(patient_ids: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """NM1*QC surname, given name and member id for each claim's patient (deterministic)."""
    number = patient_ids.str[1:].astype("int64")
    last = pd.Series(np.asarray(SURNAMES, dtype=object)[number % len(SURNAMES)])
    first = pd.Series(np.asarray(GIVEN_NAMES, dtype=object)[(number // 7) % len(GIVEN_NAMES)])
    member = "MBR" + ((number * 7919) % 10_000_000).astype(str).str.zfill(7)
    return last.set_axis(patient_ids.index), first.set_axis(patient_ids.index), member


def _adjustments(rows: pd.DataFrame) -> pd.DataFrame:
    """Line-level CAS rows: PR-1/2/3, CO-253, CO-45 or the denial / bundling reason."""
    s = rows["sign"]
    zero = rows["allowed_cents"].eq(0)
    reason = np.where(rows["bundled"], "97", rows["denial_carc"].fillna("45"))
    parts = []
    for group, why, amount in (
        ("PR", "1", rows["pr1_cents"]),
        ("PR", "2", rows["pr2_cents"]),
        ("PR", "3", rows["pr3_cents"]),
        ("CO", "253", rows["sequestration_cents"]),
        (
            "CO",
            pd.Series(np.where(zero, reason, "45"), index=rows.index),
            np.where(zero, rows["charge_cents"], rows["co45_cents"]),
        ),
    ):
        amount = pd.Series(amount, index=rows.index)
        keep = amount.ne(0)
        parts.append(
            pd.DataFrame(
                {
                    "txn": rows["txn"][keep],
                    "claim_seq": rows["claim_seq"][keep],
                    "line_seq": rows["line_seq"][keep],
                    "group": group,
                    "reason": why[keep] if isinstance(why, pd.Series) else why,
                    "amount_cents": (s * amount)[keep],
                }
            )
        )
    adj = pd.concat(parts)
    # Group by line and CAS group so the writer puts a group's triplets on one segment.
    return adj.sort_values(["txn", "claim_seq", "line_seq", "group"], kind="stable").reset_index(
        drop=True
    )
