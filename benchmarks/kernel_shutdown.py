"""What a packet page pays for its kernel: a one-cell notebook through papermill, with the
kernel stopped politely (nbclient's default) and killed (``shutdown_kernel="immediate"``,
what ``packet.jobs.run_page`` does).

    .venv/bin/python benchmarks/kernel_shutdown.py [--runs 20]

Prints the mean, 90th percentile and slowest seconds per notebook for each way, run
alternately so that both see the same machine. A packet runs one kernel per page
(9 a practice), so what a kernel costs beyond the page's own work is paid 180 times in a
20-practice batch.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm

WAYS = {"polite (graceful)": "graceful", "killed (immediate)": "immediate"}


def one_cell_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    path = folder / "one_cell.ipynb"
    nbformat.write(nb, path)
    return path


def run(path: Path, shutdown: str) -> float:
    started = time.monotonic()
    pm.execute_notebook(
        str(path),
        str(path.with_suffix(".out.ipynb")),
        kernel_name="python3",
        progress_bar=False,
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        shutdown_kernel=shutdown,
    )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="notebooks per way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = one_cell_notebook(Path(folder))
        run(path, "immediate")  # warm the file cache: the first kernel start is slower
        seconds: dict[str, list[float]] = {way: [] for way in WAYS}
        for _ in range(args.runs):
            for way, shutdown in WAYS.items():
                seconds[way].append(run(path, shutdown))
    print(f"one-cell notebook through papermill, {args.runs} runs each (seconds)")
    for way, times in seconds.items():
        ranked = sorted(times)
        p90 = ranked[max(0, int(round(0.9 * len(ranked))) - 1)]
        print(
            f"  {way:<20} mean {statistics.fmean(times):.2f}   p90 {p90:.2f}   "
            f"slowest {ranked[-1]:.2f}"
        )


if __name__ == "__main__":
    main()
