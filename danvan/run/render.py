"""Render one report: plan it (parameters, dependencies, provenance, cache key: no kernel yet),
execute its notebook with papermill, export it, and write every file atomically.

Every file appears complete or not at all: papermill writes the executed notebook to a hidden
temporary file, which is checked (it parses), flushed and renamed; the exports and ``report.json``
go through :func:`~danvan.core.files.atomic_write`. A full or read-only disk fails the report with
``fault`` set (the batch stops, the command exits 4) and leaves no partial file under a final name.
The report names the data it shows: when the data changed between planning and execution (an import
committed meanwhile), the report is planned and executed again.
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
from ..core.errors import MachineFault, NoDataError
from ..core.files import atomic_write, commit_file, machine_fault
from ..export.formats import FORMATS, export_formats
from ..export.html import TEMPLATE_PATH
from ..export.notebook import key_figures_of
from ..export.pdf import TEMPLATE as PDF_TEMPLATE
from ..reference.catalogue import catalogue_paths, load_catalogue
from ..report.narrative import templates_digest
from ..report.style import STYLESHEETS
from .kinds import Dependency, notebook_kinds, registry, report_catalogue, with_unit_files
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
    outputs: str = ""  # the output root (outdir is outputs/<year>/<code>)


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
    notebook = Path(notebook).resolve()
    meta, nb_sha = notebook_info(notebook)
    bulk = fingerprints is not None
    values = validate_parameters(notebook, params, check_data=check and not bulk) if check else dict(params)
    full = defaults(notebook) | values
    kind = meta.get("kind", "ward")
    if check and bulk and kind == "ward" and not full.get("data_dir"):
        if (full["unit_code"], int(full["year"])) not in fingerprints:
            raise NoDataError(f"no data for unit {full['unit_code']} in {full['year']}")
    dep = _dependency(notebook, values, fingerprints)
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
    return RenderTask(str(notebook), values, str(outdir), tuple(formats), title, stem, key, prov,
                      label=f"{year}/{code}/{stem}", outputs=str(outputs))


def _dependency(notebook, values: dict, fingerprints: dict | None) -> Dependency:
    """What the report of ``notebook`` with ``values`` reads (bulk ``fingerprints``, else the store now)."""
    kind = notebook_info(notebook)[0].get("kind", "ward")
    full = defaults(notebook) | values
    return with_unit_files(notebook_kinds.get(kind).dependency(full, fingerprints), full)


def _is_kernel_start_failure(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("Address already in use", "Kernel didn't respond", "Kernel died before replying",
                                   "RuntimeError: Kernel died", "ZMQError", "kernel_info"))


MAX_DATA_RETRIES = 3  # the data changed during execution: plan and execute again, at most this often


def _run_notebook(task: RenderTask, tmp_nb: Path, engine: str, start_retries: int, out: RenderOutcome):
    """Execute the notebook into ``tmp_nb``; the executed notebook, or None (``out`` says why)."""
    import papermill  # heavy: imported where a notebook is executed
    from papermill.exceptions import PapermillExecutionError

    attempt = 0
    while True:
        attempt += 1
        try:
            return papermill.execute_notebook(
                task.notebook, str(tmp_nb), parameters=task.params, engine_name=ENGINES.get(engine, engine),
                request_save_on_cell_execute=False, progress_bar=False, log_output=False,
                cwd=str(Path(task.notebook).parent),
            )
        except PapermillExecutionError as exc:
            out.status, out.error, out.failed_cell = "failed", f"{exc.ename}: {exc.evalue}", exc.exec_count
            return None
        except OSError as exc:  # papermill could not write the notebook (disk full, read-only)
            fault = machine_fault(exc, tmp_nb.with_name(f"{task.stem}.ipynb"), "sổ tay đã chạy")
            out.status, out.error, out.fault = "failed", str(fault), str(fault)
            return None
        except Exception as exc:  # kernel start-up failures are retried a bounded number of times
            if _is_kernel_start_failure(exc) and attempt <= start_retries:
                out.attempts += 1
                time.sleep(0.2 * attempt)
                continue
            out.status, out.error = "failed", "".join(traceback.format_exception_only(exc)).strip()
            return None


def _keep_notebook(tmp_nb: Path, final_nb: Path, out: RenderOutcome) -> None:
    """``tmp_nb`` -> ``final_nb`` when it is a whole notebook (flushed, renamed); else removed."""
    import nbformat

    if not tmp_nb.exists():
        return
    try:
        nbformat.read(str(tmp_nb), as_version=4)  # a notebook cut short by a full disk does not parse
        commit_file(tmp_nb, final_nb)
        out.files["ipynb"] = str(final_nb)
    except OSError as exc:
        fault = machine_fault(exc, final_nb, "sổ tay đã chạy")
        out.status, out.error, out.fault = "failed", str(fault), str(fault)
    except Exception:  # noqa: BLE001 - incomplete: never under the final name
        pass
    finally:
        tmp_nb.unlink(missing_ok=True)


def _remove(outdir: Path, stem: str, formats) -> None:
    for fmt in formats:
        (outdir / f"{stem}.{fmt}").unlink(missing_ok=True)


def execute(task: RenderTask, *, engine: str = "warm", start_retries: int = 3) -> RenderOutcome:
    """Execute and export one planned report. Never raises for a notebook error or a machine fault:
    returns 'failed' (with ``fault`` for a full or read-only disk)."""
    t0 = time.perf_counter()
    out = RenderOutcome(task.label, task.params, "ok", task.outdir, key=task.key, provenance=task.provenance)
    outdir = Path(task.outdir)
    try:
        for round_ in range(1, MAX_DATA_RETRIES + 1):
            out = RenderOutcome(task.label, task.params, "ok", task.outdir, key=task.key, provenance=task.provenance,
                                attempts=out.attempts)
            nb = _execute_once(task, outdir, engine, start_retries, out)
            if out.status != "ok":
                break
            # the report names the data it shows: did an import change it since the plan?
            if _dependency(task.notebook, task.params, None).fingerprint == task.provenance.get("data_fingerprint"):
                _export(task, outdir, out, nb)
                break
            task = plan(task.notebook, task.params, Path(task.outputs or outdir.parent.parent), formats=task.formats,
                        check=False)
        else:
            out.status = "failed"
            out.error = (f"số liệu thay đổi liên tục trong khi tạo báo cáo ({MAX_DATA_RETRIES} lần); "
                         "hãy tạo lại báo cáo khi không có lần nhập nào đang chạy")
    except MachineFault as fault:  # e.g. the report folder cannot be made
        out.status, out.error, out.fault = "failed", str(fault), str(fault)
    except OSError as exc:
        fault = machine_fault(exc, outdir, "thư mục báo cáo")
        out.status, out.error, out.fault = "failed", str(fault), str(fault)
    if out.status != "ok":  # never leave a stale report beside a failed run
        _remove(outdir, task.stem, (*FORMATS, "json"))
    out.seconds = round(time.perf_counter() - t0, 3)
    out.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _execute_once(task: RenderTask, outdir: Path, engine: str, start_retries: int, out: RenderOutcome):
    """Run the notebook once; the executed notebook (kept as ``<stem>.ipynb`` when whole), or None."""
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise machine_fault(exc, outdir, "thư mục báo cáo") from exc
    tmp_nb = outdir / f".{task.stem}.{os.getpid()}.tmp.ipynb"
    try:
        return _run_notebook(task, tmp_nb, engine, start_retries, out)
    finally:
        if out.fault:
            tmp_nb.unlink(missing_ok=True)
        else:
            _keep_notebook(tmp_nb, outdir / f"{task.stem}.ipynb", out)


def _export(task: RenderTask, outdir: Path, out: RenderOutcome, nb) -> None:
    """Export the executed notebook to the task's formats, then ``report.json``; remove the files of
    formats no longer asked for (the manifest lists every report file there is). The key figures the
    report states go into its record (the portal's unit pages)."""
    out.figures = key_figures_of(nb)
    try:
        written = export_formats(nb, outdir, formats=task.formats, title=task.title,
                                 provenance=task.provenance, stem=task.stem)
        out.files.update({k: str(v) for k, v in written.items()})
        record = out.to_json() | {"seconds": None, "peak_rss_mb": None}  # deterministic record
        atomic_write(outdir / f"{task.stem}.json", json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True),
                     what="bản ghi báo cáo")
    except MachineFault as fault:
        out.status, out.error, out.fault = "failed", str(fault), str(fault)
        return
    except Exception as exc:  # an export error fails this report only
        out.status, out.error = "failed", "export: " + "".join(traceback.format_exception_only(exc)).strip()
        return
    _remove(outdir, task.stem, [f for f in FORMATS if f not in task.formats])


def render(notebook, params: dict, outputs: Path, *, formats=("html",), engine: str = "warm") -> RenderOutcome:
    """Plan and execute one report (``danvan render``)."""
    task = plan(notebook, params, outputs, formats=formats)
    return execute(task, engine=engine)
