"""Batch runs: every unit and year of a run set (:mod:`danvan.run.runset`), in parallel warm
workers (local processes or a Dask cluster, :mod:`danvan.run.executors`), incremental,
fault-isolated, with one progress bar, a manifest and the portal page (:mod:`danvan.run.portal`).

Planning validates every parameter and fingerprints every input before any kernel starts. A report
is skipped when its cache key (notebook, parameters, data, catalogue, templates, danvan code,
formats) equals the one in ``outputs/manifest.json`` and its files exist.

Faults: the first report that fails for the machine (a full or read-only disk) stops the batch:
reports not yet started are not rendered (``cancelled``), the manifest and index are still
written if they can be (else the previous ones stay: they are written atomically), and
``BatchResult.fault`` says what happened (the command exits 4). The manifest never lists a file
that is not there.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from ..core.errors import MachineFault, NoDataError, RunSetError
from ..store import Store
from .bundle import collect
from .executors import DaskExecutor, Executor, LocalExecutor
from .outputs import INDEX, outputs_lock, read_manifest, relative_files, sweep_temp_files, write_manifest
from .portal import write_portal
from .render import RenderOutcome, RenderTask, plan, static_digests, write_outcome

__all__ = ["run_batch", "BatchResult"]


@dataclass
class BatchResult:
    outcomes: list[RenderOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)  # not rendered: the batch stopped on a fault
    fault: str = ""  # the machine fault that stopped the batch (Vietnamese message)
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
        if self.cancelled:
            lines.append(f"not rendered, the batch stopped on a machine fault: {len(self.cancelled)} "
                         "(run the same command again once the fault is fixed)")
        return "\n".join(lines)


@contextlib.contextmanager
def _snapshot(store: Store):
    """``(connection, fingerprints)`` of one read transaction of the store, held for the whole batch:
    the plan and every report's inputs come from the same snapshot, whatever is imported meanwhile.
    ``(None, {})`` when there is no store (reports that read data directories)."""
    if not store.exists():
        yield None, {}
        return
    with store.reading() as con:
        yield con, store.fingerprints(con)


def _check_labels(tasks: list[RenderTask]) -> None:
    """Two different jobs that would write the same files (same outdir and stem) cannot both run."""
    seen: dict[str, RenderTask] = {}
    for task in tasks:
        other = seen.setdefault(task.label, task)
        if other is not task:
            raise RunSetError(f"two reports of the run set write the same files {task.label} "
                              f"(parameters {other.params} and {task.params}); give them different outputs")


def _existing_files(outputs: Path, manifest: dict) -> None:
    """Drop from every record the files that are not there (a failed or interrupted run removed them)."""
    for rec in manifest["reports"].values():
        files = rec.get("files") or {}
        rec["files"] = {k: v for k, v in files.items() if (outputs / v).exists()}


def _progress(total: int, enabled: bool | None):
    return tqdm(total=total, unit="report", desc="danvan run", disable=(None if enabled is None else not enabled),
                dynamic_ncols=True, mininterval=0.5, file=sys.stderr)



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
    t0 = time.perf_counter()
    outputs = Path(outputs)
    result = BatchResult()
    with outputs_lock(outputs), _snapshot(Store(db)) as (store_con, fingerprints):
        sweep_temp_files(outputs)
        digests = static_digests()
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
        _check_labels(todo)
        result.plan_seconds = time.perf_counter() - t0
        if todo:
            bar = _progress(len(todo), progress)
            by_label = {t.label: t for t in todo}
            failures = 0
            last_save = time.monotonic()

            def bundle_for(t: RenderTask):
                return collect(t, None if t.params.get("data_dir") else store_con)

            def on_done(o: RenderOutcome) -> None:
                nonlocal failures, last_save
                task = by_label[o.label]
                write_outcome(o, task)
                result.outcomes.append(o)
                if not o.keep_published:  # (else the published report and its record stay as they were)
                    rec = o.to_json()
                    rec["files"] = relative_files(outputs, o.files)
                    rec["title"] = task.title
                    rec["finished"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
                    manifest["reports"][o.label] = rec
                if o.status != "ok":
                    failures += 1
                    bar.set_postfix_str(f"{failures} failed", refresh=False)
                if o.fault and not result.fault:
                    result.fault = o.fault  # stop: the next reports would fail the same way
                bar.update(1)
                if time.monotonic() - last_save > 2.0 and not result.fault:
                    _save(outputs, manifest, result)
                    last_save = time.monotonic()

            try:
                if scheduler is not None:
                    executor: Executor = DaskExecutor(scheduler, engine)
                else:
                    executor = LocalExecutor(min(workers or os.cpu_count() or 1, len(todo)), engine)
                result.cancelled = executor.run(todo, bundle_for, on_done, stop=lambda: bool(result.fault)) or []
            finally:
                bar.close()
        new_no_data = [f"{label}/report" for label in result.no_data if f"{label}/report" not in manifest["reports"]]
        for label in new_no_data:
            manifest["reports"][label] = {"status": "no-data", "files": {}, "title": label.rsplit("/", 1)[0]}
        if todo or new_no_data or not (outputs / INDEX).exists():  # nothing changed: nothing to rewrite
            _save(outputs, manifest, result, index=True)
    result.seconds = time.perf_counter() - t0
    return result


def _save(outputs: Path, manifest: dict, result: BatchResult, *, index: bool = False) -> None:
    """Write the manifest (and the index); on a machine fault the previous ones stay, the fault is kept."""
    _existing_files(outputs, manifest)
    try:
        write_manifest(outputs, manifest)
        if index:
            write_portal(outputs, manifest)
    except MachineFault as fault:
        result.fault = result.fault or str(fault)
