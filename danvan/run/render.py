"""Render one report: plan it (parameters, dependencies, provenance, cache key: no kernel yet),
gather its inputs into a bundle (:mod:`danvan.run.bundle`) in the same snapshot of the store as the
plan — so the report shows exactly the data its footer names, whatever is imported meanwhile —,
execute its notebook with papermill in a folder of its own and export it (in whatever process or
machine runs it: the files come back as bytes), then write every file under ``outputs/``.

Every file appears complete or not at all: an executed notebook is kept only when it parses, and
every file is written by :func:`~danvan.core.files.atomic_write` (temporary file, fsync, rename). A
full or read-only disk fails the report with ``fault`` set (the batch stops, the command exits 4)
and leaves no partial file under a final name.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sqlite3
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import __version__
from ..core import settings
from ..core.errors import MachineFault, NoDataError
from ..core.files import atomic_write, machine_fault
from ..export.formats import FORMATS, export_formats
from ..export.html import TEMPLATE_PATH
from ..export.notebook import key_figures_of
from ..export.pdf import TEMPLATE as PDF_TEMPLATE
from ..reference.catalogue import catalogue_paths, load_catalogue
from ..report.narrative import templates_digest
from ..report.style import STYLESHEETS
from ..store import Store
from .bundle import Bundle, collect, materialize
from .kinds import Dependency, notebook_kinds, registry, report_catalogue, with_unit_files
from .notebooks import notebook_info, notebook_path
from .params import defaults, validate_parameters
from .provenance import code_digest, report_provenance

__all__ = ["RenderTask", "RenderOutcome", "plan", "prepare", "execute", "write_outcome", "render", "cache_key",
           "static_digests", "ENGINES"]

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
    outputs: str = ""  # the output root (outdir is outputs/<year>/<code>)
    kind: str = "ward"
    pairs: list = field(default_factory=list)  # the (unit_code, year) pairs the report reads


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
    fault: str = ""  # a machine fault (full or read-only disk): the message; the batch stops
    figures: dict | None = None  # the key figures the report states (the portal's unit pages)
    payload: dict = field(default_factory=dict, repr=False)  # file name -> bytes, until the client writes them
    # failed for a reason that is not this report's (the worker's machine or code, a crashed or lost
    # worker, inputs that could not be gathered): the report published before stays as it was
    keep_published: bool = field(default=False, repr=False)

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("payload", "keep_published")}


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
    for p in (TEMPLATE_PATH, *STYLESHEETS, PDF_TEMPLATE):
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
    notebook = Path(notebook_path(notebook))
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
    if full.get("unit_code") or full.get("parent_code"):
        # the report's own catalogue (its unit's report profile, the `profile` and `catalogue`
        # parameters): its content (definitions, charts, text data, templates) goes into the key and
        # the footer
        cat = report_catalogue(full)
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
    pairs = [list(p) for p in notebook_kinds.get(kind).pairs(full)]
    return RenderTask(str(notebook), values, str(outdir), tuple(formats), title, stem, key, prov,
                      label=f"{year}/{code}/{stem}", outputs=str(outputs), kind=kind, pairs=pairs)


def _is_kernel_start_failure(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("Address already in use", "Kernel didn't respond", "Kernel died before replying",
                                   "RuntimeError: Kernel died", "ZMQError", "kernel_info"))


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()


def execute(task: RenderTask, bundle: Bundle, *, engine: str = "warm", start_retries: int = 3) -> RenderOutcome:
    """Execute and export one planned report from its bundle, in a temporary folder of this process;
    return the outcome with the output files as bytes (``payload``). Never raises for the report's
    own failure (a notebook error, an export error, a worker with other danvan code, a machine fault
    of the worker: ``fault``): returns 'failed'."""
    t0 = time.perf_counter()
    out = RenderOutcome(task.label, task.params, "ok", task.outdir, key=task.key, provenance=task.provenance)
    expected = task.provenance.get("code_digest")
    if expected and expected != code_digest():
        out.status, out.keep_published = "failed", True
        out.error = (f"danvan on this worker differs from the client's: client "
                     f"{task.provenance.get('package_versions', {}).get('danvan', '?')} code sha256:{expected[:16]}, "
                     f"worker {__version__} code sha256:{code_digest()[:16]}; install the same danvan on every worker")
        return out
    try:
        with tempfile.TemporaryDirectory(prefix="danvan-task-") as tmp:
            notebook = materialize(bundle, tmp)
            with settings.overridden(bundle.env):
                _run(notebook, bundle.params, task, out, Path(tmp) / "out", engine, start_retries)
    except (OSError, MachineFault, sqlite3.Error) as exc:  # the worker's own temporary disk (full, read-only)
        if isinstance(exc, MachineFault):
            fault = exc
        elif isinstance(exc, OSError):
            fault = machine_fault(exc, tempfile.gettempdir(), "thư mục tạm của máy chạy báo cáo")
        else:
            fault = MachineFault(f"máy chạy báo cáo gặp lỗi SQLite trong thư mục tạm {tempfile.gettempdir()} ({exc})")
        out.status, out.error, out.fault, out.payload = "failed", str(fault), str(fault), {}
        out.keep_published = True
    out.seconds = round(time.perf_counter() - t0, 3)
    out.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _run(notebook: Path, params: dict, task: RenderTask, out: RenderOutcome, outdir: Path, engine: str,
         start_retries: int) -> None:
    import nbformat
    import papermill  # heavy: imported where a notebook is executed
    from papermill.exceptions import PapermillExecutionError

    outdir.mkdir()
    executed = outdir / f"{task.stem}.ipynb"
    nb, attempt = None, 0
    while True:
        attempt += 1
        try:
            nb = papermill.execute_notebook(
                str(notebook), str(executed), parameters=params, engine_name=ENGINES.get(engine, engine),
                request_save_on_cell_execute=False, progress_bar=False, log_output=False, cwd=str(notebook.parent),
            )
            break
        except PapermillExecutionError as exc:
            out.status, out.error, out.failed_cell = "failed", f"{exc.ename}: {exc.evalue}", exc.exec_count
            break
        except OSError:  # papermill could not write the notebook: the worker's disk (execute maps it)
            raise
        except Exception as exc:  # kernel start-up failures are retried a bounded number of times
            if _is_kernel_start_failure(exc) and attempt <= start_retries:
                time.sleep(0.2 * attempt)
                continue
            out.status, out.error = "failed", _error_text(exc)
            break
    out.attempts = attempt
    if out.status == "ok":
        out.figures = key_figures_of(nb)
        try:
            export_formats(nb, outdir, formats=task.formats, title=task.title, provenance=task.provenance,
                           stem=task.stem)
        except MachineFault:  # the worker's temporary disk: execute records it as the report's fault
            raise
        except Exception as exc:  # an export error fails this report only
            out.status, out.error = "failed", "export: " + _error_text(exc)
    # the executed notebook is kept even when the report failed (the error at the failing cell), but
    # only when it is whole (a notebook cut short does not parse)
    payload = {}
    for p in sorted(outdir.iterdir()):
        if p.suffix == ".ipynb":
            try:
                nbformat.read(str(p), as_version=4)
            except Exception:  # noqa: BLE001 - incomplete: never shown as the report's notebook
                continue
        elif out.status != "ok":
            continue
        payload[p.name] = p.read_bytes()
    out.payload = payload


def write_outcome(out: RenderOutcome, task: RenderTask) -> RenderOutcome:
    """Write what a worker returned under the task's output folder, each file atomically, and the
    outcome record; remove the formats this run did not produce (a failed report leaves only its
    executed notebook, never a stale report beside it). A full or read-only outputs disk fails the
    report with ``fault`` (nothing partial under a final name). The payload is dropped once written."""
    outdir = Path(task.outdir)
    if out.fault or out.keep_published:  # the worker's fault: nothing of this run to write, and the report
        out.payload = {}  # already published stays as it was (the batch keeps its manifest record)
        out.keep_published = True
        return out
    try:
        for name, data in out.payload.items():
            atomic_write(outdir / name, data, what="tệp báo cáo")
            out.files[Path(name).suffix.lstrip(".")] = str(outdir / name)
        if out.status == "ok":
            record = out.to_json() | {"seconds": None, "peak_rss_mb": None}  # deterministic record
            atomic_write(outdir / f"{task.stem}.json",
                         json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True), what="bản ghi báo cáo")
    except MachineFault as fault:
        out.status, out.error, out.fault = "failed", str(fault), str(fault)
    out.payload = {}
    if out.status != "ok":
        out.files = {k: v for k, v in out.files.items() if k == "ipynb"}
    kept = {Path(p).name for p in out.files.values()} | ({f"{task.stem}.json"} if out.status == "ok" else set())
    for fmt in (*FORMATS, "json", "ipynb"):  # (a notebook too, when this run has no whole one)
        stale = outdir / f"{task.stem}.{fmt}"
        if stale.name in kept:
            continue
        try:
            stale.unlink(missing_ok=True)
        except OSError as exc:  # a read-only outputs disk refuses even a missing file's unlink
            fault = machine_fault(exc, stale, "tệp báo cáo cũ", "xoá")
            out.status, out.error, out.fault = "failed", out.error or str(fault), out.fault or str(fault)
            break
    return out


def prepare(notebook, params: dict, outputs: Path, *, formats=("html",)) -> tuple[RenderTask, Bundle]:
    """Validate the parameters (before any kernel, with the full data checks), plan the report and
    gather its inputs, the plan and the inputs from one snapshot of the store."""
    notebook = Path(notebook)
    values = validate_parameters(notebook, params)
    if values.get("data_dir"):
        task = plan(notebook, values, outputs, formats=formats, check=False)
        return task, collect(task, None)
    store = Store(values.get("db") or None).require()
    with store.reading() as con:
        task = plan(notebook, values, outputs, formats=formats, fingerprints=store.fingerprints(con), check=False)
        return task, collect(task, con)


def render(notebook, params: dict, outputs: Path, *, formats=("html",), engine: str = "warm") -> RenderOutcome:
    """Prepare, execute and write one report (``danvan render`` holds the outputs lock around it)."""
    task, bundle = prepare(notebook, params, outputs, formats=formats)
    return write_outcome(execute(task, bundle, engine=engine), task)
