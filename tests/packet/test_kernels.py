"""The warm kernel a process runs page after page in (``packet.kernels``): each page starts
from an empty namespace, with the modules an earlier page imported still loaded."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import nbformat
import pytest

from payeropt_lib.packet import jobs, kernels


def _notebook(folder: Path, name: str, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_a_page_sees_no_name_an_earlier_page_left_but_its_modules_stay_loaded(
    tmp_path: Path,
) -> None:
    first = _notebook(
        tmp_path,
        "first.ipynb",
        "import os\nimport xml.dom.minidom\nleft_behind = os.getpid()\nleft_behind",
    )
    second = _notebook(
        tmp_path,
        "second.ipynb",
        # Same kernel (the pid), the module still loaded, gc.collect the real one again ...
        "import gc, os, sys\npid = os.getpid()\nloaded = 'xml.dom.minidom' in sys.modules\n"
        "real_gc = gc.collect() >= 0 and gc.collect.__module__ == 'gc'\n"
        "print(pid, loaded, real_gc)",
        # ... and the earlier page's name gone.
        "left_behind",
    )
    try:
        done = kernels.run(first, tmp_path / "out" / first.name, {"x": 1}, "python3", [])
        pid = done.cells[-1].outputs[0]["data"]["text/plain"]
        with pytest.raises(kernels.PageError) as failed:
            jobs.retrying_kernel_start(
                lambda: kernels.run(
                    second, tmp_path / "out" / second.name, {"x": 2}, "python3", []
                ),
                second.name,
            )
    finally:
        kernels.shutdown()
    assert failed.value.ename == "NameError" and "left_behind" in failed.value.evalue
    seen = nbformat.read(tmp_path / "out" / second.name, as_version=4)
    (checks,) = [c for c in seen.cells if c.source.startswith("import gc")]
    printed = checks.outputs[0]["text"].split()
    assert printed == [pid, "True", "True"]  # warm kernel, module loaded, real gc.collect


def test_a_kernel_started_ahead_runs_the_first_page_and_one_that_died_is_replaced(
    tmp_path: Path,
) -> None:
    page = _notebook(
        tmp_path,
        "page.ipynb",
        "import sys\nprint('payeropt_lib.packet.report' in sys.modules)",
    )
    try:
        kernels.prestart("python3", str(tmp_path), jobs.KERNEL_ARGS)
        ahead = kernels._warm["km"]
        done = kernels.run(page, tmp_path / "out" / "a.ipynb", {"x": 1}, "python3", [])
        # The page ran in the kernel started ahead, which had imported the pages' library
        # (the page itself did not).
        assert kernels._warm["km"] is ahead
        assert done.cells[-1].outputs[0]["text"] == "True\n"
        kernels.shutdown()
        # A kernel started ahead that dies before the first page: the page starts another.
        kernels.prestart("python3", str(tmp_path), jobs.KERNEL_ARGS)
        dead = kernels._warm["km"]
        os.kill(dead.provisioner.process.pid, signal.SIGKILL)
        dead.provisioner.process.wait()
        done = jobs.retrying_kernel_start(
            lambda: kernels.run(page, tmp_path / "out" / "b.ipynb", {"x": 2}, "python3", []),
            page.name,
        )
        assert kernels._warm["km"] is not dead
        assert done.cells[-1].outputs[0]["text"] == "False\n"  # a new kernel, no warm-up
    finally:
        kernels.shutdown()
