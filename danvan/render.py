"""Render one report: plan it (parameters, dependencies, provenance, cache key: no kernel yet),
execute its notebook with papermill, export it, and write every file atomically.

Notebook metadata ``danvan`` says what a notebook renders::

    {"kind": "ward", "title": "Báo cáo ... năm {year} – {unit_name}", "stem": "report"}

``kind`` selects how its data dependencies are fingerprinted (see :data:`DEPENDENCIES`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from . import __version__
from .export import atomic_write, export_formats
from .params import validate_parameters
from .provenance import report_provenance, sha256_file

__all__ = ["RenderTask", "RenderOutcome", "plan", "execute", "render", "DEPENDENCIES", "Dependency"]

ENGINES = {"warm": "danvan", "fresh": "nbclient"}


@dataclass(frozen=True)
class Dependency:
    fingerprint: str
    source: str
    illustrative: bool


def _ward_dependency(params: dict, fingerprints: dict | None) -> Dependency:
    """A ward report reads one unit-year (store snapshot, or its data directory)."""
    code, year = params["unit_code"], int(params["year"])
    if params.get("data_dir"):
        from .catalogue import load_catalogue
        from .intake import read_unit_dir

        from .lineage import catalogue_paths

        d = read_unit_dir(params["data_dir"], code, year, load_catalogue(*catalogue_paths(params.get("catalogue"))))
        return _with_prior(Dependency(d.fingerprint, f"tệp {code}/{year}", d.illustrative), params, fingerprints)
    from .store import Store

    store = Store(params.get("db") or None)
    if fingerprints is not None and (code, year) in fingerprints:
        fp, ill = fingerprints[(code, year)]
        return _with_prior(Dependency(fp, f"kho {store.path.name}", ill), params, fingerprints)
    snap = store.snapshot(code, year)
    return _with_prior(Dependency(snap["fingerprint"], f"kho {store.path.name}", snap["illustrative"]),
                       params, fingerprints)


def _with_prior(dep: Dependency, params: dict, fingerprints) -> Dependency:
    """The report compares with the prior year (its lineage), so that year's data is an input too."""
    from .lineage import prior_year_fingerprint

    prior = prior_year_fingerprint(params, fingerprints)
    fp = hashlib.sha256(f"{dep.fingerprint}|prior:{prior}".encode()).hexdigest()
    return Dependency(fp, dep.source, dep.illustrative)


# kind -> function(params, fingerprints|None) -> Dependency. Other notebooks register theirs here;
# the modules of the kinds below are imported on first use (they register themselves).
DEPENDENCIES = {"ward": _ward_dependency}
KIND_MODULES = {"city": "danvan.summary", "trend": "danvan.lineage"}


def load_kind(kind: str):
    """The dependency function of a notebook kind, importing the module that provides it.

    Such a module defines ``RENDER_KINDS = {kind: (dependency, data_check or None)}``; the data check
    goes to :data:`danvan.params.DATA_CHECKS`.
    """
    if kind not in DEPENDENCIES and kind in KIND_MODULES:
        import importlib

        from .params import DATA_CHECKS

        for k, (dep, data_check) in importlib.import_module(KIND_MODULES[kind]).RENDER_KINDS.items():
            DEPENDENCIES.setdefault(k, dep)
            if data_check is not None:
                DATA_CHECKS.setdefault(k, data_check)
    if kind not in DEPENDENCIES:
        raise ValueError(f"unknown notebook kind {kind!r}; known: {', '.join(sorted(set(DEPENDENCIES) | set(KIND_MODULES)))}")
    return DEPENDENCIES[kind]


@functools.lru_cache(maxsize=64)
def _notebook_info(path: str, mtime: float) -> tuple[dict, str]:
    nb = nbformat.read(path, as_version=4)
    return dict(nb.metadata.get("danvan", {})), sha256_file(path)


def notebook_info(notebook: Path) -> tuple[dict, str]:
    """``(danvan metadata, sha256)`` of a notebook file (cached while the file is unchanged)."""
    path = str(Path(notebook).resolve())
    return _notebook_info(path, os.path.getmtime(path))


def notebook_meta(notebook: Path) -> dict:
    return notebook_info(notebook)[0]


@dataclass
class RenderTask:
    notebook: str
    params: dict
    outdir: str
    formats: tuple[str, ...]
    title: str
    stem: str
    key: str
    provenance: dict
    label: str = ""


@dataclass
class RenderOutcome:
    label: str
    params: dict
    status: str  # ok | failed | skipped
    outdir: str
    files: dict = field(default_factory=dict)
    error: str = ""
    failed_cell: int | None = None
    seconds: float = 0.0
    key: str = ""
    provenance: dict = field(default_factory=dict)
    attempts: int = 1
    peak_rss_mb: float = 0.0  # peak resident memory of the process that rendered it

    def to_json(self) -> dict:
        return asdict(self)


def _unit_name(params: dict) -> str:
    from .units import load_registry

    code = params.get("unit_code") or params.get("parent_code")
    if not code:
        return ""
    try:
        return load_registry().get(code, int(params.get("year", 0))).name
    except (LookupError, ValueError):
        return code


def cache_key(notebook_sha: str, params: dict, dep: Dependency, extra: dict) -> str:
    """Everything a report depends on: notebook, parameters, data, catalogue, templates, danvan."""
    payload = {
        "notebook": notebook_sha,
        "params": params,
        "data": dep.fingerprint,
        "danvan": __version__,
        **extra,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _static_digests() -> dict:
    """Digests of what every report depends on besides its own inputs (cached per call site)."""
    from importlib import resources

    from .catalogue import load_catalogue
    from .narrative import templates_digest

    cat = load_catalogue()
    pkg = Path(str(resources.files("danvan")))
    h = hashlib.sha256()
    for p in [pkg / "templates" / "nbconvert" / "report.html.j2", pkg / "static" / "report.css"]:
        h.update(p.read_bytes())
    return {
        "catalogue_version": cat.version,
        "catalogue_digest": cat.digest,
        "templates_digest": templates_digest() + ":" + h.hexdigest(),
    }


def plan(
    notebook,
    params: dict,
    outputs: Path,
    *,
    formats=("html",),
    fingerprints: dict | None = None,
    digests: dict | None = None,
    check: bool = True,
) -> RenderTask:
    """Validate parameters and compute dependencies, provenance and cache key; start no kernel."""
    notebook = Path(notebook).resolve()
    meta, nb_sha = notebook_info(notebook)
    bulk = fingerprints is not None
    values = validate_parameters(notebook, params, check_data=check and not bulk) if check else dict(params)
    from .params import NoDataError, _defaults

    full = _defaults(notebook) | values
    kind = meta.get("kind", "ward")
    if check and bulk and kind == "ward" and not full.get("data_dir"):
        if (full["unit_code"], int(full["year"])) not in fingerprints:
            raise NoDataError(f"no data for unit {full['unit_code']} in {full['year']}")
    dep = load_kind(kind)(full, fingerprints)
    digests = digests or _static_digests()
    if full.get("catalogue"):
        # a user catalogue passed as a parameter is an input too: its content goes into the key
        # and the footer (DANVAN_CATALOGUE files are already in _static_digests)
        from .catalogue import load_catalogue

        cat = load_catalogue(*[p for p in str(full["catalogue"]).split(os.pathsep) if p])
        digests = digests | {"catalogue_version": cat.version, "catalogue_digest": cat.digest}
    year = full.get("year", "")
    code = full.get("unit_code") or full.get("parent_code") or "all"
    outdir = Path(outputs) / str(year) / str(code)
    stem = meta.get("stem", "report")
    prov = report_provenance(
        notebook=notebook, notebook_sha=nb_sha, parameters=values, data_fingerprint=dep.fingerprint,
        data_source=dep.source, illustrative=dep.illustrative, **digests,
    )
    title = meta.get("title", "{unit_name} {year}").format(unit_name=_unit_name(full), **full)
    key = cache_key(nb_sha, values, dep, digests | {"formats": sorted(formats)})
    return RenderTask(str(notebook), values, str(outdir), tuple(formats), title, stem, key, prov,
                      label=f"{year}/{code}/{stem}")


def _is_kernel_start_failure(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("Address already in use", "Kernel didn't respond", "Kernel died before replying",
                                   "RuntimeError: Kernel died", "ZMQError", "kernel_info"))


def execute(task: RenderTask, *, engine: str = "warm", start_retries: int = 3) -> RenderOutcome:
    """Execute and export one planned report. Never raises for a notebook error: returns 'failed'."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    outdir = Path(task.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    out = RenderOutcome(task.label, task.params, "ok", task.outdir, key=task.key, provenance=task.provenance)
    tmp_nb = outdir / f".{task.stem}.{os.getpid()}.tmp.ipynb"
    final_nb = outdir / f"{task.stem}.ipynb"
    attempt = 0
    while True:
        attempt += 1
        try:
            nb = papermill.execute_notebook(
                task.notebook, str(tmp_nb), parameters=task.params, engine_name=ENGINES.get(engine, engine),
                request_save_on_cell_execute=False, progress_bar=False, log_output=False,
                cwd=str(Path(task.notebook).parent),
            )
            break
        except PapermillExecutionError as exc:
            out.status, out.error, out.failed_cell = "failed", f"{exc.ename}: {exc.evalue}", exc.exec_count
            break
        except Exception as exc:  # kernel start-up failures are retried a bounded number of times
            if _is_kernel_start_failure(exc) and attempt <= start_retries:
                time.sleep(0.2 * attempt)
                continue
            out.status, out.error = "failed", "".join(traceback.format_exception_only(exc)).strip()
            nb = None
            break
    out.attempts = attempt
    if tmp_nb.exists():
        os.replace(tmp_nb, final_nb)
        out.files["ipynb"] = str(final_nb)
    if out.status == "ok":
        try:
            written = export_formats(nb, outdir, formats=task.formats, title=task.title,
                                     provenance=task.provenance, stem=task.stem)
            out.files.update({k: str(v) for k, v in written.items()})
        except Exception as exc:  # an export error fails this report only
            out.status, out.error = "failed", "export: " + "".join(traceback.format_exception_only(exc)).strip()
    if out.status == "ok":
        record = out.to_json() | {"seconds": None, "peak_rss_mb": None}  # deterministic record
        atomic_write(outdir / f"{task.stem}.json", json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True))
    else:
        for fmt in ("html", "pdf", "docx", "json"):  # never leave a stale report beside a failed run
            stale = outdir / f"{task.stem}.{fmt}"
            if stale.exists():
                stale.unlink()
    out.seconds = round(time.perf_counter() - t0, 3)
    import resource

    out.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def render(notebook, params: dict, outputs: Path, *, formats=("html",), engine: str = "warm") -> RenderOutcome:
    """Plan and execute one report (``danvan render``)."""
    task = plan(notebook, params, outputs, formats=formats)
    return execute(task, engine=engine)
