"""Every notebook runs under plain papermill (a fresh Jupyter kernel, its default parameters) and
under `papermill --engine danvan`, with no error output: analysts and Airflow's PapermillOperator
use them without danvan's runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from _demo_store import demo_db_path

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("engine", [None, "danvan"], ids=["kernel", "danvan-engine"])
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_its_default_parameters(notebook, engine, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANVAN_")}
    env.update(DANVAN_DB=str(demo_db_path()), MPLBACKEND="Agg")
    out = tmp_path / "out.ipynb"
    cmd = [str(BIN / "papermill"), str(notebook), str(out), "--cwd", str(notebook.parent)]
    if engine:
        cmd += ["--engine", engine]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(str(out), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    displayed = [o for c in code for o in c.outputs if o.output_type in ("display_data", "execute_result")]
    assert len(displayed) >= 4, f"{notebook.name} displayed only {len(displayed)} outputs"
    assert all("application/vnd.danvan.block+json" in o.data for o in displayed)
