"""Posting many 835s at once (``posting.post_files``): consecutive files that share no
claim, payment key or content are evaluated and written as one batch, and what the store
holds afterwards is exactly what posting them one by one holds, refusals included.

The practice is a small demo practice; its 835s (``demo.remittances``) carry a re-sent
copy of one file and a reversal with its corrected claim, and the list posted adds a file
that is not X12, an envelope without a transaction, a payment whose key was posted before
with another amount, and one file named twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from payeropt_lib import store
from payeropt_lib.demo import files as demo
from payeropt_lib.errors import PayeroptError, PaymentKeyConflict, X12Error
from payeropt_lib.remittances import posting, tasks
from payeropt_lib.store import tables
from tests.conftest import OWNER, comparable, demo_835s, demo_org

SEED = 7
PLAN_SEED = 3  # the payers' plan whose 835s hold a reversal (seed 7's do not)


def new_org(engine, files: Path) -> str:
    return demo_org(engine, "Batches", files)


@pytest.fixture(scope="module")
def practice_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batches") / "practice"
    demo.generate(folder, claims_per_month=15, seed=SEED)
    return folder


@pytest.fixture(scope="module")
def era_list(practice_files, tmp_path_factory) -> list[Path]:
    """The demo's 835s in posting order, with the odd files a real folder holds.

    Written once for the module, planned from a loaded copy of the practice in a SQLite
    store of its own: the plan reads only what the practice's files put in the store, so
    these are the same 835s whichever store the test posts them to. Read only.
    """
    folder = tmp_path_factory.mktemp("batches-era")
    engine = store.engine_for(f"sqlite:///{folder / 'plan.sqlite'}")
    out = folder / "era"
    paths = demo_835s(engine, new_org(engine, practice_files), PLAN_SEED, out)
    first = paths[0].read_bytes()
    # The first payment again, with another BPR02: a different payment under a used key.
    changed = re.sub(
        rb"BPR\*([A-Z])\*([0-9.]+)\*",
        lambda m: b"BPR*" + m[1] + b"*" + f"{float(m[2]) + 1:.2f}".encode() + b"*",
        first,
        count=1,
    )
    assert changed != first
    (out / "conflict.835").write_bytes(changed)
    (out / "garbage.835").write_bytes(b"this is not an 835 at all\n")
    isa = first.split(b"~")[0].strip()
    (out / "empty.835").write_bytes(
        isa + b"~GS*HP*PAYER*PRACTICE*20250301*1200*1*X*005010X221A1~GE*0*1~IEA*1*"
        + isa.split(b"*")[13] + b"~"
    )  # fmt: skip
    mid = len(paths) // 2
    return [
        *paths[:mid],
        out / "garbage.835",
        out / "conflict.835",
        *paths[mid : mid + 3],
        paths[1],  # named twice
        out / "empty.835",
        *paths[mid + 3 :],
    ]


def outcome_text(outcome: posting.PostResult | PayeroptError) -> str:
    return outcome.summary() if isinstance(outcome, posting.PostResult) else str(outcome)


def one_by_one(engine, org: str, paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        try:
            out.append(outcome_text(posting.post_file(engine, org, path, OWNER)))
        except PayeroptError as err:
            out.append(str(err))
    return out


@pytest.mark.slow
def test_batches_store_what_posting_file_by_file_stores(
    engine, practice_files, era_list, monkeypatch
) -> None:
    by_file = new_org(engine, practice_files)
    texts = one_by_one(engine, by_file, era_list)
    evaluations = []
    monkeypatch.setattr(
        posting, "evaluate", lambda *a, **k: evaluations.append(1) or evaluate(*a, **k)
    )
    batched = new_org(engine, practice_files)
    outcomes = list(posting.post_files(engine, batched, era_list, OWNER))
    assert [path for path, _ in outcomes] == era_list
    assert [outcome_text(o) for _, o in outcomes] == texts
    reference = comparable(engine, by_file)
    assert comparable(engine, batched) == reference
    # Batched indeed: far fewer evaluations than files (4 are refused or repeated).
    assert 1 < len(evaluations) < (len(era_list) - 4) / 4
    kinds = [type(o) for _, o in outcomes]
    assert kinds.count(X12Error) == 2 and kinds.count(PaymentKeyConflict) == 1
    texts_of = dict(zip((p.name for p in era_list), texts, strict=False))
    assert texts_of["garbage.835"].startswith("garbage.835: segment 1")
    assert "already posted" in texts[era_list.index(era_list[1], 2)]
    reversals = sum(o.reversals for _, o in outcomes if isinstance(o, posting.PostResult))
    assert reversals == 1  # the demo's reversal cancelled its claim across batches

    # Small batches, and a crash in the third: what the first two posted is stored whole,
    # nothing of the third; posting the folder again completes it to the same store.
    crashed = new_org(engine, practice_files)
    apply = tasks.apply
    calls = []

    def crash_on_the_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return apply(*args, **kwargs)

    monkeypatch.setattr(tasks, "apply", crash_on_the_third_batch)
    evaluations.clear()
    with pytest.raises(RuntimeError, match="power cut"):
        for _ in posting.post_files(engine, crashed, era_list, OWNER, batch_lines=60):
            pass
    stored = set(store.read_frame(engine, tables.remit_files, crashed)["file_name"])
    assert len(evaluations) == 3 and 2 <= len(stored) < len(era_list) / 2
    assert stored == {p.name for p in era_list[: len(stored)]}  # the first files, whole
    monkeypatch.setattr(tasks, "apply", apply)
    again = list(posting.post_files(engine, crashed, era_list, OWNER, batch_lines=60))
    assert sum(o.already_posted for _, o in again if isinstance(o, posting.PostResult)) >= len(
        stored
    )
    assert comparable(engine, crashed) == reference
    assert len(evaluations) > 6  # the small batches were many


evaluate = posting.evaluate
