"""Executors: where a batch's planned reports run (ploomber's ``Executor`` idea). One interface,
:meth:`Executor.run`, with a pool of warm local worker processes and a Dask cluster behind it.

Every worker pays imports, font registration and the warm shell once (:func:`worker_init`), then
runs :func:`run_task` for each report; a report's own failure is an outcome, never an exception.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import time

from ..core.procs import exit_with_parent
from ..export.html import warm_up as warm_up_export
from ..report import city, trend, ward  # noqa: F401  (what the notebooks import: paid once per worker)
from ..report.charts import register_fonts
from . import engine
from .render import RenderOutcome, RenderTask, execute

__all__ = ["Executor", "LocalExecutor", "DaskExecutor", "worker_init", "run_task", "skip_slow_optional_imports"]


def skip_slow_optional_imports() -> None:
    """Keep jsonschema (imported by nbformat/papermill) from importing ``rfc3987_syntax``, which
    builds ~35 Earley parsers at import: 2+ s of every danvan process start, for IRI formats no
    notebook schema uses (python-jsonschema/jsonschema#1428). Only in processes danvan owns (the
    CLI and its workers), never on import of the package."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # -> ImportError


def worker_init(parent_pid: int | None = None) -> None:
    """Pay imports, font registration and shell creation once per worker process. A local worker
    (``parent_pid`` given) exits when the ``danvan run`` that started it dies."""
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    os.environ.setdefault("MPLBACKEND", "Agg")
    skip_slow_optional_imports()
    import papermill  # noqa: F401  (imported for its cost, once per worker)

    register_fonts()
    engine.get_shell()
    warm_up_export()


def run_task(task: RenderTask, engine_name: str) -> RenderOutcome:
    """Worker entry point (also what Dask runs): never raises for a report's own failure."""
    if engine_name == "warm":
        engine.get_shell()
    return execute(task, engine=engine_name)


def _failed(t: RenderTask, error: str) -> RenderOutcome:
    return RenderOutcome(t.label, t.params, "failed", t.outdir, key=t.key, provenance=t.provenance, error=error)


class Executor:
    """Runs planned reports and calls ``on_done(outcome)`` once per report, in completion order.
    Once ``stop()`` is true, reports not yet started are not run: their labels are returned."""

    def run(self, tasks: list[RenderTask], on_done, stop=lambda: False) -> list[str]:  # pragma: no cover
        raise NotImplementedError


class LocalExecutor(Executor):
    """A pool of warm worker processes (spawned); a crashed worker fails only its tasks (after one retry)."""

    def __init__(self, workers: int, engine_name: str = "warm"):
        self.workers = max(1, workers)
        self.engine_name = engine_name

    def run(self, tasks, on_done, stop=lambda: False) -> list[str]:
        ctx = multiprocessing.get_context("spawn")
        pending = list(tasks)
        crashes: dict[str, int] = {}
        cancelled: list[str] = []
        while pending:
            with cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=worker_init,
                                        initargs=(os.getpid(),)) as pool:
                futs = {pool.submit(run_task, t, self.engine_name): t for t in pending}
                pending = []
                broken = False
                for fut in cf.as_completed(futs):
                    t = futs[fut]
                    if fut.cancelled():
                        cancelled.append(t.label)
                        continue
                    try:
                        on_done(fut.result())
                        if stop():
                            for other in futs:
                                other.cancel()
                    except cf.process.BrokenProcessPool:
                        broken = True
                        crashes[t.label] = crashes.get(t.label, 0) + 1
                        if crashes[t.label] >= 2:
                            on_done(_failed(t, "worker process crashed twice"))
                        else:
                            pending.append(t)
                    except Exception as exc:  # noqa: BLE001 - an unexpected worker error fails one report
                        on_done(_failed(t, f"{type(exc).__name__}: {exc}"))
                if broken:
                    time.sleep(0.2)
                if stop():
                    cancelled += [t.label for t in pending]
                    pending = []
        return cancelled


class DaskExecutor(Executor):
    """A Dask cluster (``scheduler`` address or an existing ``distributed.Client``)."""

    def __init__(self, scheduler, engine_name: str = "warm"):
        self.scheduler = scheduler
        self.engine_name = engine_name

    def run(self, tasks, on_done, stop=lambda: False) -> list[str]:
        from distributed import Client, as_completed  # heavy, and only for cluster runs

        own = not isinstance(self.scheduler, Client)
        client = Client(self.scheduler, timeout="30s") if own else self.scheduler
        try:
            client.run(worker_init)
            futs = client.map(run_task, tasks, engine_name=self.engine_name, pure=False, retries=0,
                              key=[f"danvan-{t.label}-{t.key[:12]}" for t in tasks])
            cancelled: list[str] = []
            for fut in as_completed(futs):
                if fut.cancelled():
                    cancelled.append(tasks[futs.index(fut)].label)
                    continue
                try:
                    on_done(fut.result())
                except Exception as exc:  # noqa: BLE001 - a lost worker fails one report
                    on_done(_failed(tasks[futs.index(fut)], f"{type(exc).__name__}: {exc}"))
                if stop():
                    client.cancel([f for f in futs if not f.done()])
            return cancelled
        finally:
            if own:
                client.close()
