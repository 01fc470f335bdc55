"""The warm engine leaves the host process's own state alone (here: ``sys.modules['__main__']``,
which multiprocessing's spawn reads when the same process later starts worker processes)."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import sys

import nbformat
import papermill


def test_host_main_module_survives_a_warm_run_and_spawn_still_works(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\nx")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "tiny.ipynb"
    nbformat.write(nb, str(src))
    before = sys.modules.get("__main__")
    papermill.execute_notebook(str(src), None, engine_name="danvan", progress_bar=False)
    assert sys.modules.get("__main__") is before
    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert pool.submit(abs, -3).result(timeout=120) == 3
