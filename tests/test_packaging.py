"""Packaging: the dependency lists agree, the lock pins them, the CLI helps, notebooks are clean."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
_SPEC_SPLIT = re.compile(r"[\s<>=!~;\[@]")


def _norm(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower().strip()


def _name(spec: str) -> str:
    return _norm(_SPEC_SPLIT.split(spec.strip(), maxsplit=1)[0])


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runtime_deps(pyproject) -> set[str]:
    deps = {_name(d) for d in pyproject["project"]["dependencies"]}
    assert deps, "no runtime dependencies declared"
    return deps


def test_name_normalisation():
    assert _name("python-docx>=1.1") == "python-docx"
    assert _name("PyYAML >= 6.0") == "pyyaml"
    assert _name("jupyter_client[test]==8.0; python_version>'3'") == "jupyter-client"


def test_environment_yml_lists_the_same_runtime_dependencies(runtime_deps):
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(d) for d in dep.get("pip", []) if not d.startswith("-")}
        else:
            conda.add(_name(dep))
    conda -= {"python", "pip"}
    listed = conda | pip
    assert listed == runtime_deps, (
        f"only in environment.yml: {sorted(listed - runtime_deps)}; only in pyproject.toml: "
        f"{sorted(runtime_deps - listed)}"
    )
    python = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "python"]
    assert python and "3.11" in python[0]


def test_requirements_lock_pins_every_dependency(runtime_deps, pyproject):
    pins = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
            assert m, f"requirements.lock: not an exact pin: {line!r}"
            pins[_norm(m.group(1))] = m.group(2)
    test_deps = {_name(d) for d in pyproject["project"]["optional-dependencies"]["test"]}
    missing = sorted((runtime_deps | test_deps) - set(pins))
    assert not missing, f"not pinned in requirements.lock: {missing}"
    assert "danvan" not in pins  # the project itself is installed editable, not pinned


def test_requires_python_and_entry_points(pyproject):
    assert pyproject["project"]["requires-python"] == ">=3.11"
    assert pyproject["project"]["scripts"]["danvan"] == "danvan.cli.main:main"
    assert pyproject["project"]["entry-points"]["papermill.engine"]["danvan"] == "danvan.run.papermill_engine:WarmEngine"


def test_package_data_is_shipped():
    from importlib import resources

    base = resources.files("danvan")
    for rel in ("reference/data/profiles/base.yaml", "reference/data/profiles/hue.yaml", "reference/data/units.csv",
                "export/templates/report.html.j2", "export/templates/report.typ",
                "reference/data/profiles/templates/base/II.ktxh.md.j2",
                "reference/data/profiles/templates/hue/II.2.md.j2", "report/templates/html/nd30_header.html.j2",
                "report/static/report.css", "run/templates/portal.html.j2",
                "run/static/portal.js", "run/static/portal.css"):
        assert (base / rel).is_file(), rel
    fonts = [p.name for p in (base / "fonts").iterdir()]
    assert any(f.lower().endswith((".ttf", ".otf")) for f in fonts)


# ---- command line help -------------------------------------------------------------------------
def test_cli_help():
    """`danvan --help`, `python -m danvan --help` and `danvan render --help` (the installed executable;
    run side by side)."""
    cmds = [[str(BIN / "danvan"), "--help"], [sys.executable, "-m", "danvan", "--help"],
            [str(BIN / "danvan"), "render", "--help"]]
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    (top, top_err), (module, module_err), (render, render_err) = (p.communicate(timeout=120) for p in procs)
    assert procs[0].returncode == 0, top_err
    for word in ("render", "setup", "run", "check", "info", "Công tác Dân vận Chính quyền"):
        assert word in top, word
    assert procs[1].returncode == 0 and module == top, module_err
    assert procs[1].returncode == 0, render_err
    for word in ("--unit", "--year", "--kernel", "--formats", "--outputs", "19780-01", "before any kernel",
                 "danvan render --unit 19780 --year 2023"):
        assert word in render, word


def test_info_prints_the_effective_settings(capsys, tmp_path, monkeypatch):
    from danvan.cli.main import main
    from danvan.core.settings import VARIABLES
    from danvan.run.provenance import code_digest

    monkeypatch.setenv("DANVAN_UNITS", str(tmp_path / "mine.csv"))
    assert main(["info", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["store"] == {"path": str(tmp_path / "default-store.sqlite"), "exists": False}  # conftest's DANVAN_DB
    assert data["outputs"] == str(tmp_path / "outputs")
    assert data["unit registries"][-1] == str(tmp_path / "mine.csv")
    assert any(p.endswith("reference/data/profiles/hue.yaml") for p in data["profiles"]) and data["catalogues"] == []
    assert data["code digest"] == code_digest() and len(code_digest()) == 64
    assert set(data["environment"]) == set(VARIABLES) and data["environment"]["DANVAN_UNITS"].endswith("mine.csv")
    assert {Path(f).name for f in data["fonts"]} >= {"LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"}
    assert main(["info"]) == 0
    text = capsys.readouterr().out
    assert "code digest: " + code_digest() in text and "DANVAN_TEMPLATES: (not set)" in text


def test_code_digest_covers_sources_and_data(tmp_path):
    """Any change to a source or data file of the package changes the digest; byte-code caches do not."""
    import shutil

    from danvan.core.files import tree_digest

    copy = tmp_path / "danvan"
    shutil.copytree(REPO / "danvan", copy, ignore=shutil.ignore_patterns("__pycache__"))
    base = tree_digest(copy)
    (copy / "core" / "__pycache__").mkdir(exist_ok=True)
    (copy / "core" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"cache")
    assert tree_digest(copy) == base
    for rel in ("core/vnformat.py", "reference/data/profiles/hue.yaml", "report/templates/html/banner.html.j2"):
        f = copy / rel
        original = f.read_bytes()
        f.write_bytes(original + b"\n")
        assert tree_digest(copy) != base, rel
        f.write_bytes(original)
    assert tree_digest(copy) == base


def test_cli_version_and_no_command(capsys):
    from danvan import __version__
    from danvan.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and __version__ in capsys.readouterr().out
    assert main([]) == 2 and "usage" in capsys.readouterr().out


# ---- notebooks ---------------------------------------------------------------------------------
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_is_a_ward_notebook():
    assert REPO / "notebooks" / "ward_report.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
        assert "papermill" not in cell.get("metadata", {}), f"{path.name} cell {i}: papermill metadata"
        assert "execution" not in cell.get("metadata", {}), f"{path.name} cell {i}: execution timings"
    assert "papermill" not in nb["metadata"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_in_git_is_clean_too(path):
    proc = subprocess.run(["git", "show", f"HEAD:notebooks/{path.name}"], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"{path.name} not committed yet")
    nb = json.loads(proc.stdout)
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_typed_parameters_cell(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, f"{path.name}: exactly one cell tagged 'parameters'"
    src = "".join(params[0]["source"])
    for line in src.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            assert re.match(r"^\w+\s*:\s*\w+\s*=", line), f"{path.name}: parameter without a type: {line!r}"
    if "unit_code" in src:
        assert re.search(r'^unit_code\s*:\s*str\s*=\s*"\d{5}"', src, re.M), "unit_code must be a str"


def test_ward_notebook_keeps_logic_in_danvan():
    nb = json.loads((REPO / "notebooks" / "ward_report.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            if "parameters" not in cell["metadata"].get("tags", []):  # declarations, not logic
                assert len(src.splitlines()) <= 8, src
            assert not re.search(r"^\s*(def|class) ", src, re.M), src
