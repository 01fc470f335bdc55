"""Cluster benchmark (issue 15), measured side by side in one run on illustrative demo data for every
commune of Vietnam after 1 July 2025 (3,321 communes, one year):

    planning      plan all 3,321 ward reports (parameters, fingerprints, cache keys; no kernel)
    dask 2        render all of them on a Dask cluster of 2 single-thread worker processes
    dask 1        render a sample on a cluster of 1 worker (scaling efficiency = t1 / (2 * t2))
    local 2       render the same sample on the local pool of 2 processes (per-task overhead of Dask)
    re-run        the whole batch again with nothing changed (target < 5 s)
    memory        peak RSS of the client and of the workers

    python benchmarks/bench_cluster.py                  # everything (~30-40 min on 2 cores)
    python benchmarks/bench_cluster.py --limit 300      # the first 300 communes only
    python benchmarks/bench_cluster.py --sample 60      # size of the 1-worker / local-pool sample

The demo store is built once under benchmarks/results/ (kept between runs; --rebuild to start over).
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"
YEAR = 2025
RESULTS = REPO / "benchmarks" / "results"


def communes(limit: int | None) -> list[str]:
    from danvan.reference.units import load_registry

    reg = load_registry()
    provinces = sorted(u.code for u in reg.units if u.level == "province" and u.valid_in(YEAR) and u.valid_to is None)
    codes = sorted(c.code for p in provinces for c in reg.descendants(p, YEAR))
    return codes[:limit] if limit else codes


def build_store(path: Path, codes: list[str]) -> float:
    from danvan.intake.demo import load_demo
    from danvan.intake.unitdir import bootstrap_default_store
    from danvan.store import Store

    t0 = time.perf_counter()
    store = Store(path)
    bootstrap_default_store(store)
    load_demo(store, [(c, YEAR) for c in codes])
    return time.perf_counter() - t0


def jobs(codes):
    return [(NOTEBOOK, {"unit_code": c, "year": YEAR}) for c in codes]


def timed_batch(codes, out: Path, db: Path, **kw):
    from danvan.run.batch import run_batch

    t0 = time.perf_counter()
    res = run_batch(jobs(codes), out, db=str(db), progress=False, **kw)
    seconds = time.perf_counter() - t0
    if res.failed:
        raise SystemExit(f"benchmark batch failed:\n{res.summary()}")
    return res, seconds


def render_seconds(res, seconds: float) -> float:
    n = len(res.outcomes)
    return (seconds - res.plan_seconds) / n if n else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, help="only the first N communes (default: all 3,321)")
    ap.add_argument("--sample", type=int, default=60, help="reports of the 1-worker and local-pool runs")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the demo store")
    args = ap.parse_args()

    from distributed import Client, LocalCluster

    from danvan.run.bundle import collect
    from danvan.run.executors import worker_init
    from danvan.run.render import plan, static_digests
    from danvan.store import Store

    codes = communes(args.limit)
    RESULTS.mkdir(parents=True, exist_ok=True)
    db = RESULTS / f"national-{len(codes)}.sqlite"
    if args.rebuild or not db.exists():
        db.unlink(missing_ok=True)
        print(f"building the demo store ({len(codes)} communes, {YEAR}) ...", flush=True)
        print(f"  built in {build_store(db, codes):.0f} s")
    load = os.getloadavg()
    print(f"{len(codes)} communes, year {YEAR}; load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    # planning alone, and the size of what one task carries
    store = Store(db)
    t0 = time.perf_counter()
    with store.reading() as con:
        fps = store.fingerprints(con)
        digests = static_digests()
        tasks = [plan(nb, p | {"db": str(db)}, RESULTS / "plan-only", fingerprints=fps, digests=digests)
                 for nb, p in jobs(codes)]
        plan_s = time.perf_counter() - t0
        sizes = sorted(len(pickle.dumps((t, collect(t, con)))) for t in tasks[: min(200, len(tasks))])
    out2 = RESULTS / "cluster-2"
    shutil.rmtree(out2, ignore_errors=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(worker_init)  # steady state: the workers' one-off start-up is not a per-report cost
        res2, s2 = timed_batch(codes, out2, db, scheduler=client)
        worker_rss = max(o.peak_rss_mb for o in res2.outcomes)
        client_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        again, _ = timed_batch(codes, out2, db, scheduler=client)
        rerun_s = time.perf_counter() - t0
        assert not again.outcomes and len(again.skipped) == len(codes), again.summary()
    sample = codes[: args.sample]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(worker_init)
        res1, s1 = timed_batch(sample, RESULTS / "cluster-1", db, scheduler=client, force=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(worker_init)
        res2s, s2s = timed_batch(sample, RESULTS / "cluster-2-sample", db, scheduler=client, force=True)
    # the local pool starts its processes inside the batch: that start-up is in its figure
    resl, sl = timed_batch(sample, RESULTS / "local-2", db, workers=2, force=True)

    per1, per2, per2s, perl = (render_seconds(res1, s1), render_seconds(res2, s2), render_seconds(res2s, s2s),
                               render_seconds(resl, sl))
    load = os.getloadavg()
    print()
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| planning, {len(codes)} ward reports | {plan_s:.2f} s ({plan_s / len(codes) * 1000:.2f} ms/report) | |")
    print(f"| bundle carried per report (pickled), median / max | {sizes[len(sizes) // 2] / 1024:.1f} / "
          f"{sizes[-1] / 1024:.1f} KB | |")
    print(f"| Dask, 2 workers, all {len(res2.outcomes)} reports | {per2:.3f} s/report ({s2:.0f} s in all) | |")
    print(f"| Dask, 1 worker, {len(sample)} reports | {per1:.3f} s/report | |")
    print(f"| Dask, 2 workers, the same {len(sample)} | {per2s:.3f} s/report | |")
    print(f"| scaling efficiency 1 -> 2 workers | {per1 / (2 * per2s):.2f} | |")
    print(f"| local pool, 2 processes, the same {len(sample)} (its start-up included) | {perl:.3f} s/report | |")
    print(f"| per-task overhead of Dask vs the local pool | {(per2s - perl) * 1000:+.0f} ms/report "
          f"({per2s / perl:.2f}x) | |")
    print(f"| no-change re-run of all {len(codes)} | {rerun_s:.2f} s | < 5 s |")
    print(f"| peak RSS: client / worker | {client_rss:.0f} MB / {worker_rss:.0f} MB | |")
    print(f"\nload average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
