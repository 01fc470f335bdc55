"""A real Dask cluster on 127.0.0.1: a `dask scheduler` and two `dask worker` processes, each in a
temporary working directory with no store (`DANVAN_DB` and `DANVAN_OUTPUTS` point nowhere). Reports
carry their inputs and come back as bytes, so the outputs are byte-identical to a local run; a worker
killed mid-batch loses nothing; a worker with other danvan code is refused; work in flight is bounded."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _demo_store import demo_db_path

from danvan.core.errors import WorkerMismatchError
from danvan.run.batch import run_batch
from danvan.run.executors import IN_FLIGHT_PER_WORKER, DaskExecutor, LocalExecutor, worker_identity

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
NB = REPO / "notebooks"
BIN = Path(sys.executable).parent
WARDS = ["19750", "19753", "19756", "19759", "19762", "19768", "19774", "19780"]


def jobs(wards=WARDS):
    out = [(NB / "ward_report.ipynb", {"unit_code": c, "year": 2023}) for c in wards]
    out.append((NB / "ward_trend.ipynb", {"unit_code": "19780", "year": 2024, "first_year": 2022}))
    out.append((NB / "city_summary.ipynb", {"parent_code": "474", "year": 2023}))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """`dask scheduler` + `dask worker` processes; each worker in its own empty working directory."""

    def __init__(self, tmp: Path, n_workers: int = 2):
        self.tmp = tmp
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        env = {k: v for k, v in os.environ.items() if not k.startswith("DANVAN_")}
        self.env = env | {"DANVAN_DB": "/nonexistent/danvan.sqlite", "DANVAN_OUTPUTS": "/nonexistent/outputs",
                          "MPLBACKEND": "Agg"}
        self._start("scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                  "--no-dashboard"], tmp)
        for i in range(n_workers):
            wd = tmp / f"worker{i}"
            wd.mkdir()
            self._start(f"worker{i}", [str(BIN / "dask"), "worker", self.address, "--nthreads", "1",
                                       "--no-dashboard", "--name", f"w{i}", "--local-directory", str(wd)], wd)

    def _start(self, name: str, cmd: list[str], cwd: Path) -> None:
        log = open(self.tmp / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen(cmd, cwd=cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def client(self, n_workers: int):
        from distributed import Client

        client = Client(self.address, timeout="60s")
        client.wait_for_workers(n_workers, timeout=120)
        return client

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def close(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)  # its own session: the nanny and its worker
                p.wait(timeout=30)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("cluster-store") / "store.sqlite"
    shutil.copy(demo_db_path(), dst)
    return dst


@pytest.fixture(scope="module")
def local(db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local-run") / "outputs"
    res = run_batch(jobs(), out, formats=("html", "pdf", "docx"), db=str(db), workers=2, progress=False)
    assert not res.failed and len(res.ok) == len(jobs()), res.summary()
    return out


def _report_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.suffix in (".html", ".pdf", ".docx")}


def test_a_real_cluster_without_the_store_gives_the_local_bytes(db, local, tmp_path):
    cluster = Cluster(tmp_path)
    try:
        client = cluster.client(2)
        try:
            res = run_batch(jobs(), tmp_path / "outputs", formats=("html", "pdf", "docx"), db=str(db),
                            scheduler=client, progress=False)
        finally:
            client.close()
    finally:
        cluster.close()
    assert not res.failed and len(res.ok) == len(jobs()), res.summary()
    mine, theirs = _report_files(tmp_path / "outputs"), _report_files(local)
    assert mine.keys() == theirs.keys() and len(mine) == 3 * len(jobs()) + 1  # + index.html
    assert [k for k in mine if mine[k] != theirs[k]] == []
    for i in range(2):  # the workers wrote nothing but Dask's own scratch files
        assert not list((tmp_path / f"worker{i}").rglob("*.html"))


def test_a_worker_killed_mid_batch_loses_no_report(db, local, tmp_path):
    cluster = Cluster(tmp_path)
    out = tmp_path / "outputs"
    done = threading.Event()
    result = {}
    try:
        client = cluster.client(2)

        def batch():
            try:
                result["res"] = run_batch(jobs(), out, formats=("html", "pdf", "docx"), db=str(db),
                                          scheduler=client, progress=False)
            finally:
                done.set()

        runner = threading.Thread(target=batch)
        runner.start()
        deadline = time.monotonic() + 240
        while not list(out.rglob("report.html")) and time.monotonic() < deadline:  # mid-batch: one is done
            time.sleep(0.2)
        cluster.kill("worker0")
        assert done.wait(timeout=600), "the batch did not complete after a worker was lost"
        runner.join()
        client.close()
    finally:
        cluster.close()
    res = result["res"]
    assert not res.failed and len(res.ok) == len(jobs()), res.summary()
    mine, theirs = _report_files(out), _report_files(local)
    assert mine == theirs


class _FakeClient:
    """What DaskExecutor.check_workers asks of a distributed.Client (the comparison logic only)."""

    def __init__(self, identities: dict):
        self.identities = identities
        self.scheduler = type("S", (), {"address": "tcp://127.0.0.1:1"})()

    def run(self, fn):
        assert fn is worker_identity
        return self.identities

    def nthreads(self):
        return {a: 1 for a in self.identities}


def test_a_worker_with_other_danvan_code_is_refused_before_anything_runs():
    version, digest = worker_identity()
    ok = _FakeClient({"tcp://a:1": (version, digest), "tcp://b:1": (version, digest)})
    assert DaskExecutor.check_workers(ok) == 2
    bad = _FakeClient({"tcp://a:1": (version, digest), "tcp://b:1": ("0.0.9", "f" * 64)})
    with pytest.raises(WorkerMismatchError) as err:
        DaskExecutor.check_workers(bad)
    msg = str(err.value)
    assert "tcp://b:1" in msg and "0.0.9" in msg and "ffffffffffffffff" in msg and version in msg and digest[:16] in msg


def test_a_task_refuses_to_run_on_other_danvan_code(db, tmp_path):
    from danvan.run.bundle import collect
    from danvan.run.render import execute, plan
    from danvan.store import Store

    store = Store(db)
    with store.reading() as con:
        task = plan(NB / "ward_report.ipynb", {"unit_code": "19780", "year": 2023, "db": str(db)}, tmp_path,
                    fingerprints=store.fingerprints(con))
        bundle = collect(task, con)
    task.provenance = task.provenance | {"code_digest": "0" * 64}
    out = execute(task, bundle)
    assert out.status == "failed" and "differs" in out.error and "0000000000000000" in out.error
    assert out.payload == {}


def test_work_in_flight_is_bounded(db, tmp_path):
    """The local pool submits at most IN_FLIGHT_PER_WORKER reports per worker before one is done."""
    from danvan.run.bundle import collect
    from danvan.run.render import plan
    from danvan.store import Store

    store = Store(db)
    in_flight, peak = [0], [0]
    with store.reading() as con:
        fps = store.fingerprints(con)
        tasks = [plan(nb, p | {"db": str(db)}, tmp_path, fingerprints=fps) for nb, p in jobs()]

        def bundle_for(t):
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            return collect(t, con)

        def on_done(o):
            in_flight[0] -= 1
            assert o.status == "ok", o.error

        LocalExecutor(1).run(tasks, bundle_for, on_done)
    assert peak[0] == IN_FLIGHT_PER_WORKER and in_flight[0] == 0
