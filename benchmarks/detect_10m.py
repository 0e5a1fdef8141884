"""Expected allowed amounts for 10,000,000 lines, next to a bare DuckDB range join.

    .venv/bin/python benchmarks/detect_10m.py [--lines N] [--seed S] [--short-paid F]
        [--keep DIR [--reuse]] [--no-reference] [--no-hugepage-advice]

A child process generates the lines and the effective-dated rate tables (seeded, numpy
only) and writes them as Arrow files. Each side then runs in a child process of its own, so
its peak RSS (VmHWM) is its own; it memory-maps the same files into the same pandas frames
(not timed) and times:

- ``expected_allowed + variance`` (the target's row): ``expected.expected_allowed`` over the
  whole frame with ``explain="flagged"`` and ``columns=("expected_cents",)`` -- every line
  priced, its expected amount kept, the sentence written for the lines a billing manager
  reads (allowed outside the interface §3 tolerance either way, or no price), as the
  product shows them -- then the variance column (allowed − expected, Int64);
- ``reference: every column`` (the same, keeping all 17 figure columns), ``reference:
  explain=False`` (every column, no sentence) and ``reference: explain=True`` (every column,
  a sentence for every line), for comparison (``--no-reference`` leaves them out);
- ``bare DuckDB range join``: the lines joined to the fee rows on payer, product line,
  procedure code, pricing modifier and ``effective_from <= DOS < effective_to``, fetched
  back as a pandas frame (line_key, allowed_cents, fee_from): the least any engine must do.

Each row prints wall seconds, the process's CPU seconds over the same span (all threads,
user + system: on a shared machine they show how much of the wall time was the side's own
work), peak RSS and the ratio to the join's wall seconds.

Data: 20 fixed-fee payers × 2 product lines ('' = all products, PPO) × 1,500 code +
modifier pairs × 4 yearly periods = 240,000 fee rows (1 % closed early, so some lines have
no rate); 4 percent-of-Medicare payers over 3 localities × 4 years of medicare_fees (about
20 % of codes carry MULT PROC 2); 1-6 lines a claim; 0.5 % of lines for a payer without a
contract. The remittance's allowed amount is the contract price, worked out by the generator
on its own (``_contract_price``, no payeropt_lib code), except for ``--short-paid`` (3 %)
of the lines paid 10 % short and 0.5 % paid 5 % over; lines without a price are paid 60 %
of charge. The count of lines explained must equal the count planted: a check that the
engine and the generator price every other line alike. Target: ≤ 1.5 × the join's seconds
and ≤ 4 GiB peak RSS. Figures: docs/expected.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as pf

N_FIXED_PAYERS = 20
N_PERCENT_PAYERS = 4
N_PLAIN_CODES = 1_200  # global-only codes (modifier '')
N_PCTC_CODES = 100  # diagnostic tests priced as '', 26 and TC: 300 pairs, 1,500 in all
YEARS = (2022, 2023, 2024, 2025)
LOCALITIES = ("01112-05", "04412-11", "05302-99")
FACILITY_POS = "22"
OVER_PAID = 0.005  # share of lines the remittance over-pays (5 %)
TARGET_RATIO = 1.5
TARGET_RSS_MIB = 4 * 1024


def _strings(values: np.ndarray | list, index: np.ndarray) -> pa.Array:
    """``values[index]`` as an Arrow string array, without a Python loop over the index."""
    return pa.array(list(values), pa.large_string()).take(pa.array(index))


def _year_start(year: int) -> np.datetime64:
    return np.datetime64(f"{year}-01-01", "ns")


def _contract_price(
    line: dict[str, np.ndarray],
    pair: dict[str, np.ndarray],
    fee_level: np.ndarray,
    fee_to: np.ndarray,
) -> np.ndarray:
    """Each line's contract price (-1 = none) from the generator's own tables, without
    payeropt_lib: the interface §3 rules as they apply to this data (docs/expected.md).

    ``pair``: per code + modifier pair, its base price ("cents"), pricing modifier
    ("modifier": 0 = '', 1 = 26, 2 = TC) and MULT PROC indicator ("mult_proc");
    ``fee_level`` and ``fee_to``: per fee row, its percent of the base price and its end."""
    n = len(line["payer"])
    n_pairs = len(pair["cents"])
    base = pair["cents"][line["pair"]]
    n_years = len(YEARS)
    year = line["dos"].astype("M8[Y]").astype(np.int64) + 1970 - YEARS[0]
    fixed = line["payer"] < N_FIXED_PAYERS
    percent = (line["payer"] >= N_FIXED_PAYERS) & (line["payer"] < N_FIXED_PAYERS + 4)
    rate = np.full(n, -1, np.int64)
    # Fixed fees: the PPO row in force for PPO lines, else the all-products ('') row.
    payer = np.minimum(line["payer"], N_FIXED_PAYERS - 1)

    def fee_row(pl: np.ndarray) -> np.ndarray:
        return ((payer * 2 + pl) * n_pairs + line["pair"]) * n_years + year

    def in_force(row: np.ndarray) -> np.ndarray:
        to = fee_to[row]
        return np.isnat(to) | (line["dos"] < to)

    own, blank = fee_row(np.ones(n, np.int64)), fee_row(np.zeros(n, np.int64))
    use_own = (line["pl"] == 1) & in_force(own)
    row = np.where(use_own, own, blank)
    ok = fixed & (use_own | in_force(blank))
    cents = base * fee_level[row] // 100
    rate[ok] = cents[ok]
    # Percent of Medicare: the contract locality's non-facility or facility amount.
    m = np.maximum(line["payer"] - N_FIXED_PAYERS, 0)
    pct = np.array([110_000, 112_500, 125_000, 130_000])[np.minimum(m, 3)]
    loc = m % len(LOCALITIES)
    nf = base * (80 + 3 * loc + 2 * year) // 100
    fac = np.where(pair["modifier"][line["pair"]] == 1, nf, nf * 85 // 100)
    medicare = np.where(line["facility"], fac, nf)
    rate = np.where(percent, (medicare * pct + 50_000) // 100_000, rate)
    # × units; MPPR (indicator 2, same claim and day): 2nd and later at 50 %, by gross.
    priced = rate >= 0
    gross = np.where(priced, rate * line["units"], 0)
    ranked = priced & (pair["mult_proc"][line["pair"]] == "2")
    at = np.flatnonzero(ranked)
    order = np.lexsort((at, -gross[at], line["claim"][at]))  # line_key = position
    claim = line["claim"][at][order]
    first = np.r_[True, claim[1:] != claim[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(at)), 0))
    second = np.zeros(n, bool)
    second[at[order]] = np.arange(len(at)) > start
    after = np.where(second, (gross * 50_000 + 50_000) // 100_000, gross)
    # Lesser of charge: the even contracts (P01, P03, …, M01, M03) have the clause.
    lesser = np.where(fixed, line["payer"] % 2 == 0, m % 2 == 0)
    price = np.where(lesser, np.minimum(after, line["charge"]), after)
    return np.where(priced, price, -1)


def make_data(n_lines: int, seed: int, short_paid: float = 0.03) -> dict[str, pd.DataFrame]:
    """The four frames (lines with a remittance's ``allowed_cents``, contracts,
    fee_schedules, medicare_fees) shaped as ``store.read_frame`` and the charges import give
    them. ``lines.attrs["planted"]``: how many lines the remittance short- or over-pays, or
    that have no price (the lines whose explanation a billing manager reads)."""
    rng = np.random.default_rng(seed)

    # Codes: 1,200 global-only codes, then 100 PC/TC codes with '', 26 and TC rows.
    n_codes = N_PLAIN_CODES + N_PCTC_CODES
    code_names = [f"{10000 + 37 * k:05d}" for k in range(n_codes)]
    pair_code = np.concatenate(
        [np.arange(N_PLAIN_CODES), np.repeat(np.arange(N_PLAIN_CODES, n_codes), 3)]
    )
    pair_mod = np.concatenate(
        [np.zeros(N_PLAIN_CODES, np.int64), np.tile(np.arange(3), N_PCTC_CODES)]
    )
    modifier_names = ["", "26", "TC"]
    n_pairs = len(pair_code)  # 1,500
    base_cents = rng.integers(2_000, 150_000, n_codes)  # a code's price level
    pair_share = np.array([100, 30, 70])[pair_mod]  # 26 ≈ 30 %, TC ≈ 70 % of the global
    pair_cents = base_cents[pair_code] * pair_share // 100
    mult_proc = np.where(rng.random(n_codes) < 0.2, "2", "0")[pair_code]
    mult_proc = np.where(pair_mod > 0, "4", mult_proc)  # imaging components

    # Fee rows: payer × product line × pair × year; 1 % of rows end early.
    payers = [f"P{p:02d}" for p in range(1, N_FIXED_PAYERS + 1)]
    pls = ["", "PPO"]
    n_years = len(YEARS)
    grid = np.indices((N_FIXED_PAYERS, len(pls), n_pairs, n_years)).reshape(4, -1)
    g_payer, g_pl, g_pair, g_year = grid
    starts = np.array([_year_start(y) for y in YEARS])
    ends = np.array([_year_start(y + 1) for y in YEARS])
    effective_to = ends[g_year].copy()
    effective_to[g_year == n_years - 1] = np.datetime64("NaT")  # the last period is open
    early = rng.random(len(g_year)) < 0.01
    effective_to[early] = starts[g_year[early]] + np.timedelta64(180, "D").astype("m8[ns]")
    level = 100 + 5 * g_year + 10 * g_pl + rng.integers(-20, 40, len(g_year))  # % of price
    fee_schedules = pa.table(
        {
            "payer_id": _strings(payers, g_payer),
            "product_line": _strings(pls, g_pl),
            "procedure_code": _strings(code_names, pair_code[g_pair]),
            "modifier": _strings(modifier_names, pair_mod[g_pair]),
            "effective_from": pa.array(starts[g_year]),
            "effective_to": pa.array(effective_to),
            "allowed_cents": pair_cents[g_pair] * level // 100,
        }
    ).to_pandas()

    # Medicare: locality × pair × year, facility a little below non-facility.
    grid = np.indices((len(LOCALITIES), n_pairs, n_years)).reshape(3, -1)
    m_loc, m_pair, m_year = grid
    non_facility = pair_cents[m_pair] * (80 + 3 * m_loc + 2 * m_year) // 100
    medicare_fees = pa.table(
        {
            "locality": _strings(LOCALITIES, m_loc),
            "procedure_code": _strings(code_names, pair_code[m_pair]),
            "modifier": _strings(modifier_names, pair_mod[m_pair]),
            "effective_from": pa.array(starts[m_year]),
            "effective_to": pa.array(
                np.where(m_year == n_years - 1, np.datetime64("NaT"), ends[m_year])
            ),
            "non_facility_cents": non_facility,
            "facility_cents": np.where(
                pair_mod[m_pair] == 1, non_facility, non_facility * 85 // 100
            ),
            "mult_proc": _strings(
                ["0", "2", "4"], np.searchsorted(["0", "2", "4"], mult_proc[m_pair])
            ),
        }
    ).to_pandas()

    # Contracts: each fixed payer has an all-products contract since 2021 and a PPO one
    # since 2024; the percent payers pay 110-130 % of Medicare in one locality.
    percent_payers = [f"M{p:02d}" for p in range(1, N_PERCENT_PAYERS + 1)]
    n_contracts = 2 * N_FIXED_PAYERS + N_PERCENT_PAYERS
    contracts = pd.DataFrame(
        {
            "payer_id": payers * 2 + percent_payers,
            "product_line": [""] * N_FIXED_PAYERS
            + ["PPO"] * N_FIXED_PAYERS
            + [""] * N_PERCENT_PAYERS,
            "effective_from": pd.to_datetime(
                ["2021-01-01"] * N_FIXED_PAYERS
                + ["2024-01-01"] * N_FIXED_PAYERS
                + ["2021-01-01"] * N_PERCENT_PAYERS
            ).astype("datetime64[ns]"),
            "payer_name": payers * 2 + percent_payers,
            "payer_class": ["COMMERCIAL"] * n_contracts,
            "basis": ["fee_schedule"] * (2 * N_FIXED_PAYERS)
            + ["medicare_percent"] * N_PERCENT_PAYERS,
            "medicare_percent_x1000": pd.array(
                [None] * (2 * N_FIXED_PAYERS) + [110_000, 112_500, 125_000, 130_000], "Int64"
            ),
            "medicare_locality": pd.array(
                [None] * (2 * N_FIXED_PAYERS) + [LOCALITIES[k % 3] for k in range(4)], "str"
            ),
            "lesser_of_charges": [True, False] * (n_contracts // 2),
            "mppr_percent_x1000": np.full(n_contracts, 50_000, np.int64),
        }
    )

    # Lines: claims of 1-6 lines sharing payer, product line, DOS and place of service.
    per_claim = rng.integers(1, 7, n_lines // 2)
    per_claim = per_claim[: int(np.searchsorted(per_claim.cumsum(), n_lines)) + 1]
    claim_of_line = np.repeat(np.arange(len(per_claim)), per_claim)[:n_lines]
    n_claims = len(per_claim)
    all_payers = [*payers, *percent_payers, "NOCONTRACT"]
    weights = np.r_[
        np.full(N_FIXED_PAYERS, 0.8 / N_FIXED_PAYERS),
        np.full(N_PERCENT_PAYERS, 0.195 / N_PERCENT_PAYERS),
        0.005,
    ]
    c_payer = rng.choice(len(all_payers), n_claims, p=weights)
    c_pl = rng.choice(3, n_claims, p=[0.3, 0.5, 0.2])  # '', PPO, HMO (HMO → '' rows)
    day0 = np.datetime64("2022-01-01", "D")
    c_dos = (day0 + rng.integers(0, 4 * 365, n_claims).astype("m8[D]")).astype("M8[ns]")
    c_pos = rng.choice(4, n_claims, p=[0.7, 0.2, 0.05, 0.05])  # 11, 22, 21, blank
    line_pair = rng.integers(0, n_pairs, n_lines)
    # Charge modifiers: the pair's pricing modifier plus, sometimes, edit modifiers.
    extra = rng.choice(5, n_lines, p=[0.7, 0.1, 0.08, 0.07, 0.05])
    edits = ["", "59", "RT", "25", "59:RT"]
    # 15 possible texts: pricing modifier (3) × edit modifiers (5), joined by ':'.
    vocab = [":".join(m for m in (p, e) if m) for p in modifier_names for e in edits]
    modifiers_index = pair_mod[line_pair] * len(edits) + extra
    units = np.where(rng.random(n_lines) < 0.9, 1, rng.integers(2, 4, n_lines))
    charge_each = pair_cents[line_pair] * rng.integers(80, 300, n_lines) // 100
    digits = pc.utf8_lpad(pc.cast(pa.array(claim_of_line), pa.large_string()), 8, "0")
    empty = pa.scalar("", pa.large_string())
    claim_ids = pc.binary_join_element_wise(pa.scalar("C", pa.large_string()), digits, empty)
    pos = pa.array(
        np.array(["11", FACILITY_POS, "21", None], dtype=object)[c_pos[claim_of_line]],
        pa.large_string(),
    )
    line_payer = c_payer[claim_of_line]
    lines = pa.table(
        {
            "line_key": np.arange(n_lines, dtype=np.int64),
            "claim_id": claim_ids,
            "payer_id": _strings(all_payers, line_payer),
            "product_line": _strings(["", "PPO", "HMO"], c_pl[claim_of_line]),
            "procedure_code": _strings(code_names, pair_code[line_pair]),
            "modifiers": _strings(vocab, modifiers_index),
            "units": units.astype(np.int64),
            "charge_cents": (charge_each * units).astype(np.int64),
            "date_of_service": c_dos[claim_of_line],
            "place_of_service": pos,
        }
    ).to_pandas()
    # The remittance's allowed amount: the contract price, worked out here on its own
    # (independently of payeropt_lib), for most lines; a few short- or over-paid; lines
    # without a price paid 60 % of charge.
    expected = _contract_price(
        line={
            "payer": line_payer,
            "pl": c_pl[claim_of_line],
            "pair": line_pair,
            "dos": c_dos[claim_of_line],
            "facility": np.isin(c_pos[claim_of_line], [1, 2]),  # POS 22, 21
            "claim": claim_of_line,
            "units": units,
            "charge": (charge_each * units).astype(np.int64),
        },
        pair={"cents": pair_cents, "modifier": pair_mod, "mult_proc": mult_proc},
        fee_level=level,
        fee_to=effective_to,
    )
    draw = rng.random(n_lines)
    priced = expected >= 0
    allowed = np.where(priced, expected, lines["charge_cents"].to_numpy() * 6 // 10)
    short = priced & (draw < short_paid)
    over = priced & (draw >= short_paid) & (draw < short_paid + OVER_PAID)
    allowed = np.where(short, expected * 90 // 100, allowed)
    allowed = np.where(over, expected * 105 // 100, allowed)
    lines["allowed_cents"] = allowed.astype(np.int64)
    lines.attrs["planted"] = int(short.sum() + over.sum() + (~priced).sum())
    return {
        "lines": lines,
        "contracts": contracts,
        "fee_schedules": fee_schedules,
        "medicare_fees": medicare_fees,
    }


FRAMES = ("lines", "contracts", "fee_schedules", "medicare_fees")


def _load(folder: Path) -> dict[str, pd.DataFrame]:
    """The frames from memory-mapped Arrow files: the pandas frames share the file's pages,
    so a child's RSS is the data plus what its side allocates, not a decoding copy."""
    return {
        name: pf.read_table(folder / f"{name}.arrow", memory_map=True).to_pandas()
        for name in FRAMES
    }


class _Stages(logging.Handler):
    """Catches expected_allowed's debug line with the seconds per stage."""

    text = ""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "seconds: " in message:
            self.text = message.split("seconds: ", 1)[1]


def _peak_rss_mib() -> float:
    """This process's peak RSS. Linux: VmHWM, which starts afresh at exec (ru_maxrss would
    carry over the parent's figure at fork time)."""
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024  # kB -> MiB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def generate(folder: Path, n_lines: int, seed: int, short_paid: float) -> None:
    """Runs in its own process, so the parent stays small when it starts the timed sides."""
    data = make_data(n_lines, seed, short_paid)
    for name in FRAMES:
        table = pa.Table.from_pandas(data[name], preserve_index=False)
        pf.write_feather(table, folder / f"{name}.arrow", compression="uncompressed")
    sizes = {name: len(frame) for name, frame in data.items()}
    sizes["planted"] = data["lines"].attrs["planted"]
    print(json.dumps(sizes))


def child(side: str, folder: Path) -> None:
    """Runs in its own process: load the frames (not timed), time one side, report JSON."""
    data = _load(folder)
    lines = data["lines"]
    loaded = _peak_rss_mib()
    stages = _Stages()
    if side.startswith("expected"):
        from payeropt_lib.pricing import expected

        logger = logging.getLogger("payeropt_lib.pricing.expected")
        logger.addHandler(stages)
        logger.setLevel(logging.DEBUG)
        start, cpu = time.perf_counter(), time.process_time()
        out = expected.expected_allowed(
            lines,
            data["contracts"],
            data["fee_schedules"],
            data["medicare_fees"],
            explain=SIDES[side][0],
            columns=SIDES[side][1],
        )
        variance = out["allowed_cents"] - out["expected_cents"]  # Int64, NA without a rate
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        # Interface §3 tolerance: the larger of $0.50 and 0.5 % of the expected amount.
        tolerance = np.maximum(50, (out["expected_cents"] * 5 + 500) // 1000)
        flagged = int((variance < -tolerance).fillna(False).sum())
        rows = len(out)
        priced = int(out["expected_cents"].notna().sum())
        explained = int(out["explanation"].notna().sum()) if "explanation" in out else 0
    else:
        import duckdb

        start, cpu = time.perf_counter(), time.process_time()
        con = duckdb.connect()
        con.register("l", pa.Table.from_pandas(lines[list(JOIN_COLUMNS)], preserve_index=False))
        con.register("f", pa.Table.from_pandas(data["fee_schedules"], preserve_index=False))
        out = con.sql(BARE_JOIN).to_arrow_table().to_pandas()
        con.close()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        rows, priced, flagged, explained = len(out), len(out), 0, 0
    peak = _peak_rss_mib()
    result = {
        "side": side,
        "lines": len(lines),
        "rows": rows,
        "priced": priced,
        "flagged": flagged,
        "explained": explained,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "loaded_rss_mib": loaded,
        "peak_rss_mib": peak,
        "stages": stages.text,
    }
    print(json.dumps(result))


# What each payeropt side asks for: (explain, columns). "expected" is the product's path,
# the one the target is for: every line priced, its expected amount kept (the variance's
# other term), the sentence written for the lines a billing manager reads (outside
# tolerance, or without a price; expected.flagged). The others are for reference: every
# figure column kept (what posting's first pass keeps most of), no sentence, every sentence.
SIDES = {
    "expected": ("flagged", ("expected_cents",)),
    "expected-all-columns": ("flagged", None),
    "expected-no-explanation": (False, None),
    "expected-all-explained": (True, None),
}
JOIN_COLUMNS = (
    "line_key",
    "payer_id",
    "product_line",
    "procedure_code",
    "modifiers",
    "date_of_service",
)
# The bare join: each line's fee row for payer, product line, code, pricing modifier and
# date of service, nothing else (no blank product line fallback, no contract, no Medicare).
BARE_JOIN = """
SELECT l.line_key, f.allowed_cents, f.effective_from AS fee_from
FROM l JOIN f ON f.payer_id = l.payer_id AND f.product_line = l.product_line
    AND f.procedure_code = l.procedure_code
    AND f.modifier = coalesce(regexp_extract(l.modifiers, '(?:^|:)(26|TC)(?::|$)', 1), '')
    AND f.effective_from <= l.date_of_service
    AND (f.effective_to IS NULL OR l.date_of_service < f.effective_to)
"""


def _run(side: str, folder: Path, hugepage_advice: bool) -> dict:
    env = dict(os.environ)
    if not hugepage_advice:
        # numpy asks the kernel for huge pages on every large array; where the kernel then
        # compacts memory on the spot (transparent_hugepage/defrag = madvise), each fresh
        # array faults in slowly. NUMPY_MADVISE_HUGEPAGE=0 is numpy's own switch for it.
        env["NUMPY_MADVISE_HUGEPAGE"] = "0"
    done = subprocess.run(
        [sys.executable, __file__, "--child", side, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--short-paid",
        type=float,
        default=0.03,
        help="share of lines the remittance short-pays (default 0.03; 0.005 more are over-paid)",
    )
    parser.add_argument("--keep", type=Path, help="write the generated frames here and keep them")
    parser.add_argument(
        "--reuse", action="store_true", help="with --keep: time the frames already there"
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="time only the join and the product's path, not explain=False / explain=True",
    )
    parser.add_argument(
        "--no-hugepage-advice",
        action="store_true",
        help="run the sides with NUMPY_MADVISE_HUGEPAGE=0 (see docs/expected.md)",
    )
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "FOLDER"))
    parser.add_argument("--generate", nargs=4, metavar=("FOLDER", "LINES", "SEED", "SHORT"))
    args = parser.parse_args()
    if args.generate:
        folder, n, seed, short = args.generate
        generate(Path(folder), int(n), int(seed), float(short))
        return
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        sizes_file = folder / "sizes.json"
        if not (args.reuse and sizes_file.exists()):
            made = subprocess.run(
                [
                    sys.executable, __file__, "--generate", str(folder), str(args.lines),
                    str(args.seed), str(args.short_paid),
                ],
                capture_output=True,
                text=True,
                check=True,
            )  # fmt: skip
            sizes_file.write_text(made.stdout.strip().splitlines()[-1])
        sizes = json.loads(sizes_file.read_text())
        print(
            f"generated {sizes['lines']:,} lines, {sizes['fee_schedules']:,} fee rows, "
            f"{sizes['contracts']:,} contracts and {sizes['medicare_fees']:,} Medicare rows in "
            f"{time.perf_counter() - t0:.1f} s; the remittance short- or over-pays, or has no "
            f"price for, {sizes['planted']:,} lines ({sizes['planted'] / sizes['lines']:.1%})"
        )
        print(
            f"{'side':<30} {'lines':>10} {'seconds':>8} {'CPU s':>6} {'peak RSS':>10} "
            f"{'× join':>7}  stages (s)"
        )
        advice = not args.no_hugepage_advice
        sides = ["duckdb", "expected"]
        if not args.no_reference:
            sides += ["expected-all-columns", "expected-no-explanation", "expected-all-explained"]
        results = [_run(side, folder, advice) for side in sides]
        join = results[0]
        names = {
            "duckdb": "bare DuckDB range join",
            "expected": "expected_allowed + variance",
            "expected-all-columns": "  reference: every column",
            "expected-no-explanation": "  reference: explain=False",
            "expected-all-explained": "  reference: explain=True",
        }
        for r in results:
            ratio = r["seconds"] / join["seconds"]
            verdict = ""
            if r["side"] == "expected":  # the target is for the product's path
                ok = ratio <= TARGET_RATIO and r["peak_rss_mib"] <= TARGET_RSS_MIB
                verdict = "  [ok]" if ok else "  [OVER]"
            print(
                f"{names[r['side']]:<30} {r['lines']:>10,} {r['seconds']:>8.2f} "
                f"{r['cpu_seconds']:>6.1f} {r['peak_rss_mib']:>6,.0f} MiB "
                f"{ratio:>6.2f}×  {r['stages']}{verdict}"
            )
        product = results[1]
        print(
            f"priced {product['priced']:,} of {product['rows']:,} lines; explained "
            f"{product['explained']:,} (outside tolerance or without a price; planted "
            f"{sizes['planted']:,}); {product['flagged']:,} under-paid beyond tolerance; the "
            f"join matched {join['rows']:,}; each side loaded the frames at "
            f"{product['loaded_rss_mib']:,.0f} MiB RSS before timing"
        )


if __name__ == "__main__":
    main()
