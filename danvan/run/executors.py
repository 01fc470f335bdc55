"""Executors: where a batch's planned reports run (ploomber's ``Executor`` idea). One interface,
:meth:`Executor.run`, with a pool of warm local worker processes and a Dask cluster behind it.

Both run a report the same way: the client gathers its inputs into a bundle (:mod:`danvan.run.bundle`)
just before it is submitted, the worker renders it in a temporary folder and returns the outcome with
the output files as bytes, and the client writes them (:func:`danvan.run.render.write_outcome`).
Workers need only danvan installed: they never open the store or touch ``outputs/``.

Work in flight is bounded (:data:`IN_FLIGHT_PER_WORKER` reports per worker thread), so the client's
memory stays flat however large the batch. Every worker pays imports, font registration and the warm
shell once (:func:`worker_init`); a report's own failure is an outcome, never an exception.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterable

from .. import __version__
from ..core.errors import MachineFault, WorkerMismatchError
from ..core.procs import exit_with_parent
from ..export.html import warm_up as warm_up_export
from ..report import city, trend, ward  # noqa: F401  (what the notebooks import: paid once per worker)
from ..report.charts import register_fonts
from . import engine
from .bundle import Bundle
from .provenance import code_digest
from .render import RenderOutcome, RenderTask, execute

__all__ = ["Executor", "LocalExecutor", "DaskExecutor", "worker_init", "run_task", "worker_identity",
           "skip_slow_optional_imports", "IN_FLIGHT_PER_WORKER"]

#: reports submitted but not finished, per worker thread
IN_FLIGHT_PER_WORKER = 2
_INITIALISED = False


def skip_slow_optional_imports() -> None:
    """Keep jsonschema (imported by nbformat/papermill) from importing ``rfc3987_syntax``, which
    builds ~35 Earley parsers at import: 2+ s of every danvan process start, for IRI formats no
    notebook schema uses (python-jsonschema/jsonschema#1428). Only in processes danvan owns (the
    CLI and its workers), never on import of the package."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # -> ImportError


def worker_init(parent_pid: int | None = None) -> None:
    """Pay imports, font registration and shell creation once per worker process. A local worker
    (``parent_pid`` given) exits when the ``danvan run`` that started it dies."""
    global _INITIALISED
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    if _INITIALISED:
        return
    os.environ.setdefault("MPLBACKEND", "Agg")
    skip_slow_optional_imports()
    import papermill  # noqa: F401  (imported for its cost, once per worker)

    register_fonts()
    engine.get_shell()
    warm_up_export()
    _INITIALISED = True


def worker_identity() -> tuple[str, str]:
    """``(danvan version, code digest)`` of this process: a batch checks every worker's before it starts."""
    return __version__, code_digest()


def run_task(task: RenderTask, bundle: Bundle, engine_name: str) -> RenderOutcome:
    """Worker entry point (the local pool's and Dask's): never raises for a report's own failure."""
    if engine_name == "warm":
        worker_init()  # a worker that joined a cluster after the batch started is set up here
    return execute(task, bundle, engine=engine_name)


def _failed(t: RenderTask, error: str) -> RenderOutcome:
    """A report that failed for a reason not its own (a crashed or lost worker, inputs that could not
    be gathered): what was published before is kept."""
    return RenderOutcome(t.label, t.params, "failed", t.outdir, key=t.key, provenance=t.provenance, error=error,
                         keep_published=True)


def _inputs(t: RenderTask, bundle_for, on_done) -> Bundle | None:
    """``bundle_for(t)``, or None after reporting the report failed: a file it names gone since the
    plan, a store that cannot be read (a machine fault: the batch stops)."""
    try:
        return bundle_for(t)
    except Exception as exc:  # noqa: BLE001 - one report's inputs: never the whole batch's traceback
        out = _failed(t, f"gathering the report's inputs: {type(exc).__name__}: {exc}")
        if isinstance(exc, MachineFault):
            out.fault = str(exc)
        on_done(out)
        return None


BundleFor = Callable[[RenderTask], Bundle]
OnDone = Callable[[RenderOutcome], None]


class Executor:
    """Runs planned reports: ``bundle_for(task)`` gathers a report's inputs just before it is
    submitted, ``on_done(outcome)`` is called once per report in completion order. Once ``stop()``
    is true, reports not yet started are not run: their labels are returned."""

    def run(self, tasks: Iterable[RenderTask], bundle_for: BundleFor, on_done: OnDone,
            stop=lambda: False) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError


class LocalExecutor(Executor):
    """A pool of warm worker processes (spawned; they exit when this process dies); a crashed worker
    fails only its report (after one retry)."""

    def __init__(self, workers: int, engine_name: str = "warm"):
        self.workers = max(1, workers)
        self.engine_name = engine_name

    def run(self, tasks, bundle_for, on_done, stop=lambda: False) -> list[str]:
        ctx = multiprocessing.get_context("spawn")
        pending = list(tasks)
        crashes: dict[str, int] = {}
        cancelled: list[str] = []
        limit = IN_FLIGHT_PER_WORKER * self.workers
        while pending:
            with cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=worker_init,
                                        initargs=(os.getpid(),)) as pool:
                queue, pending, broken = list(pending), [], False
                running: dict[cf.Future, RenderTask] = {}
                while queue or running:
                    while queue and len(running) < limit and not broken and not stop():
                        t = queue.pop(0)
                        bundle = _inputs(t, bundle_for, on_done)
                        if bundle is not None:
                            running[pool.submit(run_task, t, bundle, self.engine_name)] = t
                    if stop():  # a machine fault: the reports not started are not run
                        cancelled += [t.label for t in queue]
                        queue = []
                    if not running:
                        break
                    done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                    for fut in done:
                        t = running.pop(fut)
                        try:
                            on_done(fut.result())
                        except cf.process.BrokenProcessPool:
                            broken = True
                            crashes[t.label] = crashes.get(t.label, 0) + 1
                            if crashes[t.label] >= 2:
                                on_done(_failed(t, "worker process crashed twice"))
                            else:
                                pending.append(t)
                        except Exception as exc:  # noqa: BLE001 - an unexpected worker error fails one report
                            on_done(_failed(t, f"{type(exc).__name__}: {exc}"))
                    if broken:  # the pool is gone: what was not submitted waits for the next pool
                        pending.extend(queue)
                        queue = []
            if broken:
                time.sleep(0.2)
            if stop():
                cancelled += [t.label for t in pending]
                pending = []
        return cancelled


class DaskExecutor(Executor):
    """A Dask cluster (``scheduler`` address or an existing ``distributed.Client``). A report whose
    worker is lost runs again on another worker (the scheduler's allowed failures); every worker's
    danvan must be the client's (checked before the batch starts)."""

    def __init__(self, scheduler, engine_name: str = "warm"):
        self.scheduler = scheduler
        self.engine_name = engine_name

    @staticmethod
    def check_workers(client) -> int:
        """The number of worker threads; a :class:`WorkerMismatchError` naming both sides when a
        worker runs another danvan (version or code digest) than the client."""
        mine = worker_identity()
        theirs = client.run(worker_identity)
        if not theirs:
            raise WorkerMismatchError(f"the Dask cluster at {client.scheduler.address} has no worker")
        other = {addr: ident for addr, ident in theirs.items() if tuple(ident) != mine}
        if other:
            addr, (version, digest) = sorted(other.items())[0]
            raise WorkerMismatchError(
                f"worker {addr} runs danvan {version} (code sha256:{digest[:16]}), this client danvan "
                f"{mine[0]} (code sha256:{mine[1][:16]}); install the same danvan on every worker "
                f"({len(other)} of {len(theirs)} workers differ)"
            )
        return sum(client.nthreads().values())

    def run(self, tasks, bundle_for, on_done, stop=lambda: False) -> list[str]:
        from distributed import Client, as_completed  # heavy, and only for cluster runs

        own = not isinstance(self.scheduler, Client)
        client = Client(self.scheduler, timeout="30s") if own else self.scheduler
        try:
            threads = self.check_workers(client)
            client.run(worker_init)
            queue = list(tasks)
            futures = as_completed()
            labels = {}

            def submit() -> None:
                while queue and not stop():
                    t = queue.pop(0)
                    bundle = _inputs(t, bundle_for, on_done)
                    if bundle is None:
                        continue
                    fut = client.submit(run_task, t, bundle, self.engine_name, pure=False,
                                        key=f"danvan-{t.label}-{t.key[:12]}", retries=0)
                    labels[fut.key] = t
                    futures.add(fut)
                    return

            for _ in range(min(len(queue), IN_FLIGHT_PER_WORKER * max(1, threads))):
                submit()
            for fut in futures:
                t = labels.pop(fut.key)
                try:
                    on_done(fut.result())
                except Exception as exc:  # noqa: BLE001 - lost more often than allowed: fails one report
                    on_done(_failed(t, f"{type(exc).__name__}: {exc}"))
                finally:
                    fut.release()
                if queue and not stop():
                    submit()
            return [t.label for t in queue]  # not submitted: the batch stopped on a fault
        finally:
            if own:
                client.close()
