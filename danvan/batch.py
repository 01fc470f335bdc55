"""Batch runs: every unit and year of a run set, in parallel warm workers (local processes or a
Dask cluster), incremental, fault-isolated, with one progress bar, a manifest and an index page.

Run sets live in ``params/*.yaml``::

    name: hue-2023
    years: [2023]
    formats: [html]
    reports:
      - notebook: ward_report.ipynb
        units: {parent: "474"}        # every commune of Thành phố Huế in each year
      - notebook: city_summary.ipynb
        params: {parent_code: "474"}

``units`` is a list of code strings, ``all`` (every unit-year with data in the store) or
``{parent: CODE}``. Each entry × year × unit becomes one report with parameters
``{unit_code, year} ∪ params``.

Planning validates every parameter and fingerprints every input before any kernel starts. A report
is skipped when its cache key (notebook, parameters, data, catalogue, templates, danvan version,
formats) equals the one in ``outputs/manifest.json`` and its files exist.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as _dt
import fcntl
import html as _html
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import __version__
from .export import atomic_write
from .params import NoDataError, ParameterError
from .render import RenderOutcome, RenderTask, _static_digests, execute, plan

__all__ = ["RunSet", "load_runset", "expand", "run_batch", "BatchResult", "OutputsLocked", "register"]

MANIFEST = "manifest.json"
INDEX = "index.html"
LOCK = ".danvan.lock"


class RunSetError(ValueError):
    """A run-set file that is not well formed."""


class OutputsLocked(RuntimeError):
    """Another danvan batch is writing the same outputs directory."""


@dataclass
class ReportSpec:
    notebook: str
    units: object = None  # None | "all" | list[str] | {"parent": code}
    params: dict = field(default_factory=dict)


@dataclass
class RunSet:
    name: str
    years: list[int]
    reports: list[ReportSpec]
    formats: tuple[str, ...] = ("html",)
    source: str = ""


def _check_units(value, where: str):
    if value is None or value == "all":
        return value
    if isinstance(value, dict) and set(value) == {"parent"}:
        if not isinstance(value["parent"], str):
            raise RunSetError(f"{where}: parent code must be a quoted string, e.g. parent: \"474\"")
        return value
    if isinstance(value, list):
        bad = [v for v in value if not isinstance(v, str)]
        if bad:
            raise RunSetError(
                f"{where}: unit codes must be quoted strings (YAML reads 00004 as the number 4): {bad}"
            )
        return value
    raise RunSetError(f"{where}: units must be a list of codes, 'all', or {{parent: CODE}}")


def load_runset(path) -> RunSet:
    """Read and check a run-set YAML file."""
    from .export import FORMATS

    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RunSetError(f"{path}: cannot read run set: {exc}") from exc
    unknown = set(doc) - {"name", "years", "reports", "formats", "description"}
    if unknown:
        raise RunSetError(f"{path}: unknown keys {sorted(unknown)}")
    years = doc.get("years")
    if not isinstance(years, list) or not years or not all(isinstance(y, int) for y in years):
        raise RunSetError(f"{path}: 'years' must be a list of years, e.g. [2023]")
    formats = tuple(doc.get("formats") or ("html",))
    if set(formats) - set(FORMATS):
        raise RunSetError(f"{path}: formats must be among {FORMATS}")
    reports = []
    for i, r in enumerate(doc.get("reports") or []):
        where = f"{path}: reports[{i}]"
        if not isinstance(r, dict) or "notebook" not in r:
            raise RunSetError(f"{where}: each report needs a 'notebook'")
        extra = set(r) - {"notebook", "units", "params"}
        if extra:
            raise RunSetError(f"{where}: unknown keys {sorted(extra)}")
        reports.append(ReportSpec(r["notebook"], _check_units(r.get("units"), where), dict(r.get("params") or {})))
    if not reports:
        raise RunSetError(f"{path}: 'reports' is empty")
    return RunSet(doc.get("name", path.stem), years, reports, formats, str(path))


def expand(runset: RunSet, *, available: set[tuple[str, int]]) -> list[tuple[Path, dict]]:
    """(notebook, parameters) of every report of the run set."""
    from .cli import resolve_notebook
    from .units import load_registry

    reg = load_registry()
    jobs = []
    for spec in runset.reports:
        nb = resolve_notebook(spec.notebook)
        for year in runset.years:
            if spec.units is None:
                jobs.append((nb, {"year": year, **spec.params}))
                continue
            if spec.units == "all":
                codes = sorted(u for u, y in available if y == year)
            elif isinstance(spec.units, dict):
                codes = [u.code for u in reg.children(spec.units["parent"], year, level="commune")]
            else:
                codes = list(spec.units)
            jobs.extend((nb, {"unit_code": c, "year": year, **spec.params}) for c in codes)
    return jobs


# ---- outputs: lock, manifest, index -------------------------------------------------------
@contextlib.contextmanager
def outputs_lock(outputs: Path):
    """Exclusive lock on an outputs directory (released by the OS if the process dies)."""
    outputs.mkdir(parents=True, exist_ok=True)
    fh = open(outputs / LOCK, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "?"
        fh.close()
        raise OutputsLocked(
            f"another danvan run (pid {holder}) is writing {outputs}; wait for it to finish, "
            "or use a different --outputs directory"
        ) from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def read_manifest(outputs: Path) -> dict:
    p = outputs / MANIFEST
    if not p.exists():
        return {"danvan": __version__, "reports": {}}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError:  # never happens with atomic writes; be safe anyway
        return {"danvan": __version__, "reports": {}}


def _rel(outputs: Path, files: dict) -> dict:
    out = {}
    for k, v in files.items():
        try:
            out[k] = str(Path(v).resolve().relative_to(outputs.resolve()))
        except ValueError:
            out[k] = str(v)
    return out


def write_manifest(outputs: Path, manifest: dict) -> None:
    manifest["danvan"] = __version__
    manifest["reports"] = dict(sorted(manifest["reports"].items()))
    atomic_write(outputs / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))


_STATUS_VI = {"ok": "thành công", "failed": "lỗi", "no-data": "chưa có số liệu"}


def write_index(outputs: Path, manifest: dict) -> None:
    """``outputs/index.html``: every report, its status and links (deterministic order)."""
    rows = []
    by_year: dict[str, list] = {}
    for label, rec in manifest["reports"].items():
        year = label.split("/", 1)[0]
        by_year.setdefault(year, []).append((label, rec))
    for year in sorted(by_year, reverse=True):
        rows.append(f'<h2>Năm {_html.escape(year)}</h2><table><thead><tr><th>Mã</th><th>Báo cáo</th>'
                    "<th>Trạng thái</th><th>Tệp</th></tr></thead><tbody>")
        for label, rec in sorted(by_year[year]):
            _y, code, _stem = label.split("/", 2)
            status = rec.get("status", "?")
            links = " ".join(
                f'<a href="{_html.escape(path)}">{_html.escape(fmt.upper())}</a>'
                for fmt, path in sorted(rec.get("files", {}).items())
            )
            note = " <span class=\"ill\">(minh họa)</span>" if rec.get("provenance", {}).get("illustrative") else ""
            err = f'<div class="err">{_html.escape(rec.get("error", ""))}</div>' if status != "ok" else ""
            rows.append(
                f'<tr class="{_html.escape(status)}"><td>{_html.escape(code)}</td>'
                f'<td>{_html.escape(rec.get("title", label))}{note}</td>'
                f'<td>{_html.escape(_STATUS_VI.get(status, status))}{err}</td><td>{links}</td></tr>'
            )
        rows.append("</tbody></table>")
    counts = {s: sum(1 for r in manifest["reports"].values() if r.get("status") == s) for s in _STATUS_VI}
    summary = ", ".join(f"{n} {_STATUS_VI[s]}" for s, n in counts.items() if n)
    page = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Báo cáo công tác Dân vận Chính quyền – mục lục</title>
<style>
body {{ font-family: "Times New Roman", "Liberation Serif", serif; margin: 2em auto; max-width: 60em; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #999; padding: 3px 6px; text-align: left; vertical-align: top; }}
tr.failed td {{ background: #fdecea; }} tr.no-data td {{ background: #fff8e1; }}
.ill {{ color: #b00020; font-size: 90%; }} .err {{ font-size: 85%; color: #b00020; }}
</style></head><body>
<h1>Báo cáo công tác Dân vận Chính quyền</h1>
<p>{_html.escape(summary)}. Mỗi báo cáo ghi rõ nguồn số liệu, sổ tay, phiên bản gói và mã git đã tạo ra nó
(chân trang báo cáo; <a href="{MANIFEST}">{MANIFEST}</a>).</p>
{''.join(rows)}
</body></html>
"""
    atomic_write(outputs / INDEX, page)


def _sweep_temp_files(outputs: Path) -> None:
    """Remove temporary files a killed run left (hidden names; never visible as reports)."""
    for p in outputs.glob("*/*/.*.tmp*"):
        p.unlink(missing_ok=True)
    for p in outputs.glob(".*.tmp"):
        p.unlink(missing_ok=True)


# ---- execution ----------------------------------------------------------------------------
def _worker_init() -> None:
    """Pay imports, font registration and shell creation once per worker process."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    from .cli import skip_slow_optional_imports

    skip_slow_optional_imports()
    import papermill  # noqa: F401  (imported for its cost, once per worker)

    from . import charts, engine, report  # noqa: F401

    charts.register_fonts()
    engine.get_shell()
    from .export import _exporter

    _exporter()


def _run_task(task: RenderTask, engine_name: str) -> RenderOutcome:
    """Worker entry point (also what Dask runs): never raises for a report's own failure."""
    if engine_name == "warm":
        from .engine import get_shell

        get_shell()
    return execute(task, engine=engine_name)


@dataclass
class BatchResult:
    outcomes: list[RenderOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)
    seconds: float = 0.0
    plan_seconds: float = 0.0

    @property
    def failed(self) -> list[RenderOutcome]:
        return [o for o in self.outcomes if o.status != "ok"]

    @property
    def ok(self) -> list[RenderOutcome]:
        return [o for o in self.outcomes if o.status == "ok"]

    def summary(self) -> str:
        n = len(self.outcomes)
        per = f" ({self.seconds / n:.2f} s/report)" if n else ""
        lines = [
            f"{len(self.ok)} rendered, {len(self.failed)} failed, {len(self.skipped)} unchanged (skipped), "
            f"{len(self.no_data)} without data — {self.seconds:.1f} s{per}"
        ]
        if self.failed:
            lines.append("failed reports (executed notebook kept with the error at the failing cell):")
            for o in self.failed:
                cell = f" cell {o.failed_cell}" if o.failed_cell is not None else ""
                lines.append(f"  {o.label}{cell}: {o.error}  [{o.files.get('ipynb', '-')}]")
        if self.no_data:
            lines.append("without data (import a form first): " + ", ".join(self.no_data[:20])
                         + (" …" if len(self.no_data) > 20 else ""))
        return "\n".join(lines)


def _progress(total: int, enabled: bool | None):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="report", desc="danvan run", disable=(None if enabled is None else not enabled),
                dynamic_ncols=True, mininterval=0.5, file=sys.stderr)


def _local_run(tasks, engine, workers, on_done):
    """Run tasks in a pool of warm worker processes; a crashed worker fails only its tasks."""
    ctx = multiprocessing.get_context("spawn")
    pending = list(tasks)
    crashes: dict[str, int] = {}
    while pending:
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
            futs = {pool.submit(_run_task, t, engine): t for t in pending}
            pending = []
            broken = False
            for fut in cf.as_completed(futs):
                t = futs[fut]
                try:
                    on_done(fut.result())
                except cf.process.BrokenProcessPool:
                    broken = True
                    crashes[t.label] = crashes.get(t.label, 0) + 1
                    if crashes[t.label] >= 2:
                        on_done(RenderOutcome(t.label, t.params, "failed", t.outdir, key=t.key,
                                              provenance=t.provenance, error="worker process crashed twice"))
                    else:
                        pending.append(t)
                except Exception as exc:  # noqa: BLE001 - an unexpected worker error fails one report
                    on_done(RenderOutcome(t.label, t.params, "failed", t.outdir, key=t.key,
                                          provenance=t.provenance, error=f"{type(exc).__name__}: {exc}"))
            if broken:
                time.sleep(0.2)


def _dask_run(tasks, engine, scheduler, on_done):
    """Run tasks on a Dask cluster (``scheduler`` address or an existing ``Client``)."""
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler, timeout="30s")
    try:
        client.run(_worker_init)
        futs = client.map(_run_task, tasks, engine_name=engine, pure=False, retries=0,
                          key=[f"danvan-{t.label}-{t.key[:12]}" for t in tasks])
        for fut in as_completed(futs):
            try:
                on_done(fut.result())
            except Exception as exc:  # noqa: BLE001 - a lost worker fails one report
                t = tasks[futs.index(fut)]
                on_done(RenderOutcome(t.label, t.params, "failed", t.outdir, key=t.key,
                                      provenance=t.provenance, error=f"{type(exc).__name__}: {exc}"))
    finally:
        if not isinstance(scheduler, Client):
            client.close()


def run_batch(
    jobs: list[tuple[Path, dict]],
    outputs: Path,
    *,
    formats=("html",),
    workers: int | None = None,
    scheduler=None,
    engine: str = "warm",
    force: bool = False,
    retry_failed: bool = False,
    db: str | None = None,
    progress: bool | None = None,
    log=print,
) -> BatchResult:
    """Plan every job, skip the unchanged, execute the rest, update manifest and index."""
    from .store import Store

    t0 = time.perf_counter()
    outputs = Path(outputs)
    result = BatchResult()
    with outputs_lock(outputs):
        _sweep_temp_files(outputs)
        store = Store(db)
        fingerprints = store.fingerprints() if store.exists() else {}
        digests = _static_digests()
        manifest = read_manifest(outputs)
        todo: list[RenderTask] = []
        for nb, params in jobs:
            if db and "db" not in params:
                params = {**params, "db": str(db)}
            try:
                task = plan(nb, params, outputs, formats=formats, fingerprints=fingerprints, digests=digests)
            except NoDataError:
                label = f"{params.get('year')}/{params.get('unit_code', '-')}"
                result.no_data.append(label)
                continue
            prev = manifest["reports"].get(task.label)
            if retry_failed:
                if not prev or prev.get("status") == "ok":
                    result.skipped.append(task.label)
                    continue
            elif not force and prev and prev.get("status") == "ok" and prev.get("key") == task.key and all(
                (outputs / p).exists() for p in prev.get("files", {}).values()
            ):
                result.skipped.append(task.label)
                continue
            todo.append(task)
        result.plan_seconds = time.perf_counter() - t0
        if todo:
            bar = _progress(len(todo), progress)
            titles = {t.label: t.title for t in todo}
            failures = 0
            last_save = time.monotonic()

            def on_done(o: RenderOutcome) -> None:
                nonlocal failures, last_save
                result.outcomes.append(o)
                rec = o.to_json()
                rec["files"] = _rel(outputs, o.files)
                rec["title"] = titles.get(o.label, o.label)
                rec["finished"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
                manifest["reports"][o.label] = rec
                if o.status != "ok":
                    failures += 1
                    bar.set_postfix_str(f"{failures} failed", refresh=False)
                bar.update(1)
                if time.monotonic() - last_save > 2.0:
                    write_manifest(outputs, manifest)
                    last_save = time.monotonic()

            try:
                if scheduler is not None:
                    _dask_run(todo, engine, scheduler, on_done)
                else:
                    n = workers or os.cpu_count() or 1
                    _local_run(todo, engine, max(1, min(n, len(todo))), on_done)
            finally:
                bar.close()
                write_manifest(outputs, manifest)
        for label in result.no_data:
            manifest["reports"].setdefault(f"{label}/report", {"status": "no-data", "files": {}, "title": label})
        write_manifest(outputs, manifest)
        write_index(outputs, manifest)
    result.seconds = time.perf_counter() - t0
    return result


# ---- CLI ------------------------------------------------------------------------------------
def _cmd_run(args) -> int:
    from .cli import outputs_dir, resolve_notebook
    from .store import Store

    try:
        if args.runset:
            rs = load_runset(args.runset)
            if args.year:
                rs.years = [args.year]
        else:
            if not args.year:
                print("danvan run: give a run set (params/*.yaml) or --year with --units", file=sys.stderr)
                return 2
            units = _parse_units_arg(args.units)
            rs = RunSet("ad-hoc", [args.year], [ReportSpec(args.notebook or "ward_report.ipynb", units, {})])
        formats = args.formats or rs.formats
        store = Store(args.db)
        if not store.exists():
            from .intake import bootstrap_default_store

            bootstrap_default_store(store)
        available = set(store.fingerprints())
        jobs = expand(rs, available=available)
        if args.notebook and args.runset:
            nb = resolve_notebook(args.notebook)
            jobs = [(n, p) for n, p in jobs if n == nb]
        res = run_batch(
            jobs, outputs_dir(args.outputs), formats=formats, workers=args.workers, scheduler=args.scheduler,
            engine="fresh" if args.kernel == "fresh" else "warm", force=args.force,
            retry_failed=args.retry_failed, db=args.db, progress=None if not args.no_progress else False,
        )
    except (RunSetError, ParameterError) as exc:
        print(f"danvan run: {exc}", file=sys.stderr)
        return 2
    except OutputsLocked as exc:
        print(f"danvan run: {exc}", file=sys.stderr)
        return 3
    print(res.summary())
    print(f"index: {outputs_dir(args.outputs) / INDEX}")
    return 1 if res.failed else 0


def _parse_units_arg(text: str | None):
    if not text or text == "all":
        return "all"
    if text.startswith("parent:"):
        return {"parent": text.split(":", 1)[1]}
    return [c.strip() for c in text.split(",") if c.strip()]


def register(sub) -> None:
    from .cli import add_common_data_options, parse_formats

    p = sub.add_parser(
        "run",
        help="render many reports (a run set in params/, or --year/--units), in parallel, incrementally",
        description=(
            "Render every report of a run set. Parameters are validated and inputs fingerprinted before "
            "any kernel starts; unchanged reports are skipped; failures do not stop the batch (exit 1)."
        ),
        epilog=(
            "examples:\n  danvan run params/hue-2023.yaml\n  danvan run --year 2023 --units all\n"
            "  danvan run --year 2023 --units parent:474 --formats html,pdf\n"
            "  danvan run params/hue-2023.yaml --scheduler tcp://10.0.0.5:8786"
        ),
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    p.add_argument("runset", nargs="?", help="run-set YAML (see params/)")
    p.add_argument("--year", type=int, help="year (ad hoc run, or override the run set's years)")
    p.add_argument("--units", help="ad hoc: 'all' (default), 'parent:474', or codes '19780,19783'")
    p.add_argument("--notebook", help="ad hoc notebook (default ward_report.ipynb); with a run set: only this one")
    p.add_argument("--formats", type=parse_formats, help="html,pdf,docx (default: the run set's, else html)")
    p.add_argument("--outputs", help="output root (default: outputs/ of the checkout, or $DANVAN_OUTPUTS)")
    p.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", help="Dask scheduler address tcp://HOST:PORT (default: local processes)")
    p.add_argument("--kernel", choices=("warm", "fresh"), default="warm",
                   help="warm: in-process engine in each worker (default); fresh: a new Jupyter kernel per report")
    p.add_argument("--force", action="store_true", help="re-render even when nothing changed")
    p.add_argument("--retry-failed", action="store_true", help="re-render only the reports that failed last time")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_common_data_options(p)
    p.set_defaults(func=_cmd_run)
