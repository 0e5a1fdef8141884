"""``payeropt report --all --scheduler ADDRESS``: the same packets, progress, failure
isolation and index from a dask.distributed cluster (a ``LocalCluster`` of two worker
processes here) whose workers read the PostgreSQL store."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from payeropt_lib import config, errors, store
from payeropt_lib.inputs import onboarding
from payeropt_lib.packet import build as packets
from payeropt_lib.packet import cluster, kernels, pages
from payeropt_lib.store import orgs
from payeropt_lib.store.access import Identity
from tests.packet import test_packets_batch as batch
from tests.packet.single_page import only_page
from tests.test_cli import payeropt

OWNER = Identity("t", "owner")
AS_OF = "2025-08-01"
# Two practices with nothing in common but the Medicare reference (payers, claims, amounts).
PRACTICES = {"clu-north": "Alpha Orthopedics", "clu-south": "Beta Family Medicine"}
VARIANT = {"clu-north": "alpha", "clu-south": "beta"}
# Two pages that read the practice's contracts, fees and charges (no 835 is posted here).
PAGES = ("summary", "fee-schedules")


@pytest.fixture(scope="module")
def scheduler() -> str:
    # Worker processes with one thread each, as docs/report.md says to start them.
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def pg(pg_module_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    # A database of its own: report --all renders every opted-in practice in the store.
    pg_url = pg_module_url
    engine = store.engine_for(pg_url)
    root = tmp_path_factory.mktemp("cluster-practices")
    for org_id, name in PRACTICES.items():
        orgs.create(engine, org_id, name, OWNER, locality="01112-05")
        orgs.opt_in(engine, org_id, OWNER, True)
        files = batch._variant(root / org_id, batch.PRACTICES[VARIANT[org_id]])
        onboarding.load_folder(engine, org_id, files, OWNER)
    return pg_url


def _page_texts(folder: Path) -> dict[str, str]:
    """Each page of a packet, without what differs from run to run: when it was made, the
    ids plotly gives its charts and those nbformat gives cells."""
    texts = {}
    for path in sorted(folder.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "WHEN", text)
        text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", text)
        text = re.sub(r'id="cell-id=[0-9a-f]{8}"', "CELL", text)
        texts[path.name] = text
    return texts


@pytest.mark.slow
def test_report_all_on_a_cluster_writes_what_the_local_pool_writes(
    scheduler: str, pg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGES", tuple(p for p in pages.PAGES if p.slug in PAGES))
    kept = tmp_path / "notebooks"
    args = ["report", "--all", "--as-of", AS_OF, "--actor", "t", "--role", "owner"]
    done = payeropt(
        *args, "--out", str(tmp_path / "cluster"), "--scheduler", scheduler,
        "--keep-notebooks", str(kept), db=pg,
    )  # fmt: skip
    assert (done.code, done.err) == (0, ""), done.err
    local = packets.write_packets(pg, tmp_path / "local", as_of=AS_OF, who=OWNER, workers=1)
    assert set(local.packets) == set(PRACTICES) and local.failed == {}
    for org_id, name in PRACTICES.items():
        assert f"{org_id}: {tmp_path / 'cluster' / org_id / 'index.html'}" in done.out
        on_cluster = _page_texts(tmp_path / "cluster" / org_id)
        assert sorted(on_cluster) == ["fee-schedules.html", "index.html", "summary.html"]
        assert name in on_cluster["summary.html"]
        other = next(n for o, n in PRACTICES.items() if o != org_id)
        assert not any(other in text for text in on_cluster.values())  # no other practice
        # Page for page, the same HTML as this machine's pool writes (the check can fail:
        # each practice's pages name it).
        assert on_cluster == _page_texts(tmp_path / "local" / org_id), org_id
        assert (tmp_path / "cluster" / org_id / packets.ASSETS_DIR / packets.PLOTLY_JS).is_file()
        # The executed notebooks came back from the workers, into the folder named.
        assert sorted(p.name for p in (kept / org_id).iterdir()) == [
            "00_summary.ipynb",
            "02_fee_schedule_comparison.ipynb",
        ]
    index = (tmp_path / "cluster" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{o}/index.html"' in index for o in PRACTICES)
    assert not list((tmp_path / "cluster").rglob("*.ipynb"))
    # The run ended on every worker: no warm kernel left, no cache folder.
    with Client(scheduler) as client:
        left = client.run(lambda: ("km" in kernels._warm, dict(cluster._runs)))
    assert all(warm is False and runs == {} for warm, runs in left.values()), left


def test_a_page_failing_on_a_worker_costs_only_its_practice(
    scheduler: str, pg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_page(
        tmp_path, monkeypatch, "fragile", "F",
        'assert org_id != "clu-south", "south breaks this page"',
    )  # fmt: skip
    result = packets.write_packets(
        pg, tmp_path / "out", list(PRACTICES), as_of=AS_OF, scheduler=scheduler
    )
    assert set(result.packets) == {"clu-north"}
    assert set(result.failed) == {"clu-south"}
    why = result.failed["clu-south"]
    assert "99_fragile.ipynb" in why and "south breaks this page" in why
    # The failed page's executed notebook is here, where the error says, not on a worker.
    kept = Path(why.split("the executed notebook is ")[1])
    assert kept.is_file() and kept.parent.name == "clu-south"
    assert "south breaks this page" in kept.read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "clu-south" / "index.html").exists()
    assert "No packet:" in result.index.read_text(encoding="utf-8")
    shutil.rmtree(kept.parent.parent)  # kept for the reader of the error; the test is it


def test_a_sqlite_store_or_workers_and_a_scheduler_are_refused(
    scheduler: str, tmp_path: Path
) -> None:
    url = config.sqlite_url(tmp_path / "one.sqlite")
    store.engine_for(url)
    earlier = tmp_path / "o" / "index.html"  # an earlier run's packets stay as they were
    earlier.parent.mkdir()
    earlier.write_text("earlier", encoding="utf-8")
    done = payeropt("report", "--all", "--out", str(tmp_path / "o"), "--scheduler", scheduler,
                    db=url)  # fmt: skip
    assert sorted(p.name for p in earlier.parent.iterdir()) == ["index.html"]
    assert earlier.read_text(encoding="utf-8") == "earlier"
    assert done.code == 2
    assert done.err == (
        f"payeropt: cannot run the packets on the dask cluster at {scheduler}: the store is "
        "a SQLite file on this machine, which the workers cannot read; use a PostgreSQL "
        "store (--db postgresql://...)\n"
    )
    done = payeropt("report", "--all", "--scheduler", scheduler, "--workers", "2", db=url)
    assert done.code == 2 and "drop --workers" in done.err


def test_no_scheduler_at_the_address_is_one_clear_error(
    pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    with pytest.raises(errors.ClusterUnavailable, match="no scheduler answered"):
        cluster.connect("tcp://127.0.0.1:9", pg)


def test_workers_that_differ_from_this_machine_are_refused(
    scheduler: str, pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other code on the workers (here: this machine's digest made to differ), or a URL
    that leads them to another database, is refused before anything is submitted."""
    cluster.connect(scheduler, pg).close()  # the same: accepted
    monkeypatch.setattr(cluster, "_code_digest", lambda: "0123456789abcdef")
    with pytest.raises(
        errors.ClusterUnavailable,
        match=r"differs from this machine in payeropt code: [0-9a-f]{16} there, "
        r"0123456789abcdef here",
    ):
        cluster.connect(scheduler, pg)  # fmt: skip
    monkeypatch.undo()
    monkeypatch.setattr(cluster, "_store_digest", lambda url: "another-store")
    with pytest.raises(errors.ClusterUnavailable, match="differs from this machine in store"):
        cluster.connect(scheduler, pg)
