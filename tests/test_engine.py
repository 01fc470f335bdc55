"""danvan.run.engine: the warm in-process papermill engine isolates notebooks from each other and
produces the same outputs as a real Jupyter kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from danvan.report.style import unwrap_block
from danvan.run.engine import ENGINE_NAME, shell_available

BIN = Path(sys.executable).parent

LEAKY = r"""
import builtins, os, sys, warnings
import matplotlib
matplotlib.rcParams["lines.linewidth"] = 9.25
matplotlib.rcParams["font.family"] = ["DejaVu Sans"]
import matplotlib.pyplot as plt
plt.style.use("ggplot")
os.environ["DANVAN_LEAK"] = "leaked"
os.environ.pop("DANVAN_KEEP", None)
os.makedirs(LEAK_DIR, exist_ok=True)
os.chdir(LEAK_DIR)
sys.path.insert(0, "/danvan-leak")
warnings.simplefilter("error")
builtins.DANVAN_BUILTIN_LEAK = 1
LEAKED_GLOBAL = 42
"""

PROBE = r"""
import json, os, sys, warnings, builtins
import matplotlib
state = {
    "linewidth": matplotlib.rcParams["lines.linewidth"],
    "family": list(matplotlib.rcParams["font.family"]),
    "facecolor": matplotlib.rcParams["axes.facecolor"],
    "env": os.environ.get("DANVAN_LEAK"),
    "keep": os.environ.get("DANVAN_KEEP"),
    "cwd": os.getcwd(),
    "path": "/danvan-leak" in sys.path,
    "global": "LEAKED_GLOBAL" in globals(),
    "leak_dir": "LEAK_DIR" in globals(),
    "builtin": hasattr(builtins, "DANVAN_BUILTIN_LEAK"),
    "error_filter": any(f[0] == "error" and f[2] is Warning for f in warnings.filters),
}
print(json.dumps(state))
"""


def _notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = []
    if parameters is not None:
        cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.cells = cells
    nbformat.write(nb, str(path))
    return path


def _run(src: Path, out: Path, engine: str = ENGINE_NAME, **params):
    return papermill.execute_notebook(str(src), str(out), parameters=params, engine_name=engine,
                                      progress_bar=False, log_output=False)


def _stdout(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def test_engine_is_registered():
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine(ENGINE_NAME).__name__ == "WarmEngine"
    assert shell_available()


def test_next_notebook_sees_nothing_of_the_previous(tmp_path, monkeypatch):
    monkeypatch.setenv("DANVAN_KEEP", "kept")
    leak_dir = tmp_path / "elsewhere"
    probe = _notebook(tmp_path / "probe.ipynb", PROBE)
    before = json.loads(_stdout(_run(probe, tmp_path / "p0.ipynb").cells[0]))
    host = {  # after the first run: creating the shell once may add its own warning filters
        "cwd": os.getcwd(),
        "rc": dict(matplotlib.rcParams),
        "path": list(sys.path),
        "filters": list(warnings.filters),
    }

    leaky = _notebook(tmp_path / "leaky.ipynb", LEAKY, parameters="LEAK_DIR = ''")
    _run(leaky, tmp_path / "leaky.out.ipynb", LEAK_DIR=str(leak_dir))
    assert leak_dir.is_dir()  # it did run

    after = json.loads(_stdout(_run(probe, tmp_path / "p1.ipynb").cells[0]))
    assert after == before
    assert after["env"] is None and after["keep"] == "kept" and not after["global"] and not after["path"]
    assert after["linewidth"] != 9.25 and after["cwd"] == host["cwd"] and not after["builtin"]
    # and the host process itself is as it was
    assert os.getcwd() == host["cwd"]
    assert dict(matplotlib.rcParams) == host["rc"]
    assert sys.path == host["path"] and warnings.filters == host["filters"]
    assert os.environ.get("DANVAN_LEAK") is None and os.environ["DANVAN_KEEP"] == "kept"


def test_notebook_state_does_not_reach_papermill_bookkeeping(tmp_path, monkeypatch):
    """papermill saves the notebook between cells in the host process. A notebook's chdir must not
    move those saves, and its warnings.simplefilter('error') must not turn papermill's own warnings
    into crashes (a real kernel is another process: it cannot do either)."""
    monkeypatch.chdir(tmp_path)
    leaky = _notebook(tmp_path / "leaky.ipynb", LEAKY, "x = 1", parameters="LEAK_DIR = ''")
    params = {"LEAK_DIR": str(tmp_path / "d")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the host ignores papermill's "does not end in .ipynb"
        papermill.execute_notebook("leaky.ipynb", "saved.ipynb", parameters=params, engine_name=ENGINE_NAME,
                                   progress_bar=False, request_save_on_cell_execute=True)
        papermill.execute_notebook("leaky.ipynb", "saved.json.txt", parameters=params, engine_name=ENGINE_NAME,
                                   progress_bar=False, request_save_on_cell_execute=True)
    assert (tmp_path / "saved.ipynb").exists() and (tmp_path / "saved.json.txt").exists()
    assert not (tmp_path / "d" / "saved.ipynb").exists()


def test_globals_do_not_survive_but_parameters_are_injected(tmp_path):
    nb = _notebook(tmp_path / "a.ipynb", "print(unit_code, type(unit_code).__name__)",
                   parameters='unit_code = "19780"')
    out = _run(nb, tmp_path / "a.out.ipynb", unit_code="00004")
    assert _stdout(out.cells[-1]) == "00004 str\n"
    assert "injected-parameters" in out.cells[1].metadata.tags


def test_error_raises_papermill_execution_error_with_outputs(tmp_path):
    nb = _notebook(tmp_path / "bad.ipynb", "x = 1", "print('before')\nraise ValueError('số liệu hỏng')",
                   "print('never')")
    out = tmp_path / "bad.out.ipynb"
    with pytest.raises(PapermillExecutionError) as err:
        _run(nb, out)
    exc = err.value
    assert exc.ename == "ValueError" and exc.evalue == "số liệu hỏng"
    assert exc.exec_count == 2
    executed = nbformat.read(str(out), as_version=4)
    failing = [c for c in executed.cells if c.cell_type == "code" and c.source.startswith("print('before')")][0]
    kinds = [o.output_type for o in failing.outputs]
    assert kinds == ["stream", "error"]
    error = failing.outputs[-1]
    assert error.ename == "ValueError" and error.evalue == "số liệu hỏng"
    assert any("ValueError" in line for line in error.traceback)
    assert failing.metadata.papermill.exception is True
    last = executed.cells[-1]
    assert last.outputs == [] and last.execution_count is None  # never ran
    # the shell is usable again afterwards
    ok = _notebook(tmp_path / "ok.ipynb", "print(1 + 1)")
    assert _stdout(_run(ok, tmp_path / "ok.out.ipynb").cells[0]) == "2\n"


def test_syntax_error_is_an_execution_error(tmp_path):
    nb = _notebook(tmp_path / "syn.ipynb", "def f(:\n    pass")
    with pytest.raises(PapermillExecutionError) as err:
        _run(nb, tmp_path / "syn.out.ipynb")
    assert err.value.ename == "SyntaxError"


BLOCK_CELLS = [
    "from danvan.report.blocks import Block\n"
    "b = Block('heading', {'level': 2, 'text': 'Ảnh', 'n': 1.5}, '<h2>Ảnh &amp; ý</h2>', 'Ảnh')\n"
    "display(b)",
    "b",
    "print('xin chào')\n{'a': 1}",
    "x = 3  # no output",
    "import matplotlib\nmatplotlib.get_backend() is not None",
]


def _outputs(nb) -> list[list[dict]]:
    out = []
    for c in nb.cells:
        if c.cell_type == "code":
            out.append([{k: v for k, v in o.items() if k != "traceback"} for o in c.outputs])
    return out


def test_display_and_last_expression_are_captured(tmp_path):
    nb = _notebook(tmp_path / "blocks.ipynb", *BLOCK_CELLS)
    out = _run(nb, tmp_path / "blocks.out.ipynb")
    first, second, third, fourth = (c.outputs for c in out.cells[:4])
    assert [o.output_type for o in first] == ["display_data"]
    bundle = first[0].data
    assert set(bundle) == {"text/plain", "text/html", "application/vnd.danvan.block+json"}
    assert bundle["application/vnd.danvan.block+json"] == {"kind": "heading", "level": 2, "text": "Ảnh", "n": 1.5}
    assert unwrap_block(bundle["text/html"]) == "<h2>Ảnh &amp; ý</h2>" and bundle["text/plain"] == "Ảnh"
    assert bundle["text/html"].startswith('<style data-danvan-css="')  # the block's styles, for JupyterLab
    assert [o.output_type for o in second] == ["execute_result"]
    assert second[0].data == bundle and second[0].execution_count == out.cells[1].execution_count == 2
    assert [o.output_type for o in third] == ["stream", "execute_result"]
    assert third[0].text == "xin chào\n" and third[1].data == {"text/plain": "{'a': 1}"}
    assert fourth == []
    assert [c.execution_count for c in out.cells] == [1, 2, 3, 4, 5]


def test_execution_counts_restart_for_each_notebook(tmp_path):
    nb = _notebook(tmp_path / "n.ipynb", "1", "2")
    for i in range(2):
        out = _run(nb, tmp_path / f"n{i}.ipynb")
        assert [c.execution_count for c in out.cells] == [1, 2]
        assert [c.outputs[0].execution_count for c in out.cells] == [1, 2]


def _kernel_available() -> bool:
    proc = subprocess.run([str(BIN / "jupyter"), "kernelspec", "list", "--json"], capture_output=True, text=True)
    return proc.returncode == 0 and "python3" in json.loads(proc.stdout)["kernelspecs"]


@pytest.mark.slow
def test_same_outputs_as_a_real_kernel(tmp_path):
    assert _kernel_available(), (
        f"no 'python3' Jupyter kernel in {sys.prefix}: run `{sys.executable} -m ipykernel install --prefix "
        f"{sys.prefix}` (the Makefile does this)"
    )
    nb = _notebook(tmp_path / "blocks.ipynb", *BLOCK_CELLS, "1/0", parameters="x = 1")
    warm, real = tmp_path / "warm.ipynb", tmp_path / "real.ipynb"
    for engine, out in ((ENGINE_NAME, warm), ("nbclient", real)):
        with pytest.raises(PapermillExecutionError) as err:
            _run(nb, out, engine=engine, x=2)
        assert err.value.ename == "ZeroDivisionError"
    w, r = nbformat.read(str(warm), as_version=4), nbformat.read(str(real), as_version=4)
    assert _outputs(w) == _outputs(r)
    assert [c.get("execution_count") for c in w.cells] == [c.get("execution_count") for c in r.cells]
    assert [c.metadata.get("tags") for c in w.cells] == [c.metadata.get("tags") for c in r.cells]
