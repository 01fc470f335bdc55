"""Render one report: plan it (parameters, dependencies, provenance, cache key: no kernel yet),
execute its notebook with papermill, export it, and write every file atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import __version__
from ..core.errors import NoDataError
from ..core.files import atomic_write
from ..export.formats import export_formats
from ..export.html import CSS_PATH, TEMPLATE_PATH
from ..export.pdf import TEMPLATE as PDF_TEMPLATE
from ..reference.catalogue import catalogue_paths, load_catalogue
from ..report.narrative import templates_digest
from .kinds import Dependency, notebook_kinds, registry, with_unit_files
from .notebooks import notebook_info
from .params import defaults, validate_parameters
from .provenance import code_digest, report_provenance

__all__ = ["RenderTask", "RenderOutcome", "plan", "execute", "render", "cache_key", "static_digests", "ENGINES"]

ENGINES = {"warm": "danvan", "fresh": "nbclient"}


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
    code = params.get("unit_code") or params.get("parent_code")
    if not code:
        return ""
    try:
        return registry(params).get(code, int(params.get("year", 0))).name
    except (LookupError, ValueError):
        return code


def cache_key(notebook_sha: str, params: dict, dep: Dependency, extra: dict) -> str:
    """Everything a report depends on: notebook, parameters, data, catalogue, templates, and the
    code of danvan itself (a digest of its sources and data files, not only its version)."""
    payload = {
        "notebook": notebook_sha,
        "params": params,
        "data": dep.fingerprint,
        "danvan": __version__,
        "code": code_digest(),
        **extra,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def static_digests() -> dict:
    """Digests of what every report depends on besides its own inputs (a batch computes them once)."""
    cat = load_catalogue()
    h = hashlib.sha256()
    for p in (TEMPLATE_PATH, CSS_PATH, PDF_TEMPLATE):
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
    full = defaults(notebook) | values
    kind = meta.get("kind", "ward")
    if check and bulk and kind == "ward" and not full.get("data_dir"):
        if (full["unit_code"], int(full["year"])) not in fingerprints:
            raise NoDataError(f"no data for unit {full['unit_code']} in {full['year']}")
    dep = with_unit_files(notebook_kinds.get(kind).dependency(full, fingerprints), full)
    digests = digests or static_digests()
    if full.get("catalogue"):
        # a user catalogue passed as a parameter is an input too: its content goes into the key
        # and the footer (DANVAN_CATALOGUE files are already in static_digests)
        cat = load_catalogue(*catalogue_paths(full["catalogue"]))
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
    import papermill  # heavy: imported where a notebook is executed
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
    out.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def render(notebook, params: dict, outputs: Path, *, formats=("html",), engine: str = "warm") -> RenderOutcome:
    """Plan and execute one report (``danvan render``)."""
    task = plan(notebook, params, outputs, formats=formats)
    return execute(task, engine=engine)
