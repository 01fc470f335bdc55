"""The package's layout: one sub-package per pipeline stage, each importing only the stages below
it (import-linter contracts in pyproject.toml), no import cycle between modules even counting the
imports inside functions, few such imports, and every setting read in one place."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "danvan"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
STAGES = ["cli", "run", "export", "report", "indicators", "intake", "store", "reference", "core"]
MAX_FUNCTION_LEVEL_IMPORTS = 15


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[str]:
    """Absolute names of the danvan modules an import statement refers to."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "danvan"]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "danvan":
        return []
    # `from danvan.x import y` may name a sub-module y
    return [f"{target}.{a.name}" for a in node.names] + [target]


def import_graph(root: Path = REPO) -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """``(module -> danvan modules it imports, [(module, line, target) of imports inside functions])``."""
    files = {_module_name(p, root): p for p in (root / "danvan").rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    inner: list[tuple[str, int, str]] = []
    for mod, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        in_func = {id(x) for f in funcs for x in ast.walk(f)}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            targets = [t for t in _resolve(mod, path.name == "__init__.py", node) if t in files]
            graph[mod] |= {t for t in targets if t != mod}
            if targets and id(node) in in_func:
                inner.append((mod, node.lineno, targets[-1]))
    return graph, inner


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_package_folders_are_the_pipeline_stages():
    found = sorted(p.name for p in PKG.iterdir() if (p / "__init__.py").exists())
    assert found == sorted(STAGES)
    assert sorted(p.name for p in PKG.glob("*.py")) == ["__init__.py", "__main__.py"]


def test_no_import_cycle_even_counting_imports_inside_functions():
    graph, _inner = import_graph()
    assert cycles(graph) == []


def test_cycle_detection_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_few_internal_imports_inside_functions():
    _graph, inner = import_graph()
    assert len(inner) <= MAX_FUNCTION_LEVEL_IMPORTS, inner


def test_contracts_name_every_stage_in_order():
    conf = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in conf["contracts"] if c["type"] == "layers")
    assert layers["layers"] == [f"danvan.{s}" for s in STAGES]


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.skip(f"import-linter is not installed in {LINT_IMPORTS.parent} (make setup installs it)")
    return subprocess.run([str(LINT_IMPORTS), "--config", str(cwd / "pyproject.toml"), "--no-cache"],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)})


def test_import_linter_contracts_pass():
    proc = _lint(REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BROKEN" not in proc.stdout and "KEPT" in proc.stdout


def test_an_upward_import_breaks_the_contracts(tmp_path):
    """A copy of the package where the core imports the CLI: import-linter must refuse it."""
    shutil.copytree(PKG, tmp_path / "danvan", ignore=shutil.ignore_patterns("__pycache__", "fonts"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "danvan" / "core" / "vnformat.py"
    target.write_text(target.read_text(encoding="utf-8") + "\nfrom danvan.cli import main as _upward  # noqa\n",
                      encoding="utf-8")
    proc = _lint(tmp_path)
    assert proc.returncode != 0 and "BROKEN" in proc.stdout, proc.stdout
    assert "danvan.core.vnformat -> danvan.cli" in proc.stdout


def _environment_reads(tree: ast.AST) -> list[ast.AST]:
    """``os.environ[...]``, ``os.environ.get(...)``, ``os.getenv(...)`` and the like in a module."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "environ":
            out.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr == "getenv" or (isinstance(node.func.value, ast.Attribute)
                                               and node.func.value.attr == "environ")):
            out.append(node)
    return out


def test_environment_is_read_only_by_the_settings_module():
    """No DANVAN_* variable is read anywhere but danvan.core.settings; the other modules that touch
    the environment only save and restore it (engine) or set a default for a worker process
    (executors: MPLBACKEND)."""
    touching = set()
    for path in PKG.rglob("*.py"):
        reads = _environment_reads(ast.parse(path.read_text(encoding="utf-8")))
        if reads:
            touching.add(str(path.relative_to(PKG)))
        for node in reads:
            names = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
            if path != PKG / "core" / "settings.py":
                assert not [n for n in names if n.startswith("DANVAN_")], f"{path}:{node.lineno}"
    assert touching == {"core/settings.py", "run/engine.py", "run/executors.py"}


def test_settings_are_listed_in_the_readme():
    from danvan.core.settings import VARIABLES

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert [v for v in VARIABLES if f"`{v}`" not in readme] == []


def test_library_never_exits_the_process():
    offenders = [str(p.relative_to(REPO)) for p in PKG.rglob("*.py")
                 if p != PKG / "__main__.py" and ("sys.exit(" in p.read_text(encoding="utf-8")
                                                 or "SystemExit(" in p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_every_error_derives_from_danvan_error():
    import danvan.core.errors as errors

    names = [n for n in errors.__all__ if n != "DanvanError"]
    assert names and all(issubclass(getattr(errors, n), errors.DanvanError) for n in names)
    defined_elsewhere = []
    for path in PKG.rglob("*.py"):
        if path.parent.name == "core" and path.name == "errors.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(b, ast.Name) and (b.id.endswith("Error") or b.id == "Exception") for b in node.bases):
                defined_elsewhere.append(f"{path.relative_to(REPO)}:{node.name}")
    assert defined_elsewhere == []
