"""Batch rendering benchmark (issue 4), measured side by side in one run on the same demo data.

    (a) naive: `papermill` CLI then `jupyter nbconvert --to html --no-input` CLI, per report
    (b) `danvan run` (warm workers, one per core)
    (c) floor: the same computations and charts in plain Python writing HTML, no kernel, same
        number of processes

for 20 and for 100 demo reports; then a re-run with nothing changed over 1,000 unit-years, and the
peak memory per worker of (b) at 20 and at 100 reports.

    python benchmarks/bench_batch.py                 # everything (~15-25 min on 2 cores)
    python benchmarks/bench_batch.py --naive-max 10  # time (a) on the first 10 reports of each size
    python benchmarks/bench_batch.py --skip-rerun    # no 1,000 unit-year re-run
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"


def demo_store(path: Path) -> None:
    from danvan.intake.demo import load_demo
    from danvan.intake.unitdir import bootstrap_default_store
    from danvan.store import Store

    bootstrap_default_store(Store(path))
    load_demo(Store(path))


def pick(n: int) -> list[tuple[str, int]]:
    """n unit-years of Huế: n codes of 2023 when n <= 36, else codes x 2021-2024."""
    from danvan.reference.units import load_registry

    codes = [u.code for u in load_registry().children("474", 2023, level="commune")]
    if n <= len(codes):
        return [(c, 2023) for c in codes[:n]]
    per_year = n // 4
    return [(c, y) for y in (2021, 2022, 2023, 2024) for c in codes[:per_year]]


def naive(unit_years, db: Path, work: Path) -> float:
    env = dict(os.environ, DANVAN_DB=str(db))
    t0 = time.perf_counter()
    for code, year in unit_years:
        out = work / f"naive-{code}-{year}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(NOTEBOOK), str(out), "-r", "unit_code", code, "-p", "year",
                        str(year), "--no-progress-bar", "--log-level", "ERROR"], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)], check=True,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def danvan_run(unit_years, db: Path, work: Path, tag: str, workers: int) -> tuple[float, float]:
    years = sorted({y for _c, y in unit_years})
    codes = sorted({c for c, _y in unit_years})
    runset = work / f"runset-{tag}.yaml"
    runset.write_text(json.dumps({"name": tag, "years": years, "formats": ["html"],
                                  "reports": [{"notebook": str(NOTEBOOK), "units": codes}]}), encoding="utf-8")
    outputs = work / f"out-{tag}"
    env = dict(os.environ, DANVAN_DB=str(db))
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "danvan"), "run", str(runset), "--outputs", str(outputs), "--workers", str(workers),
                    "--no-progress"], check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    peak = max(r.get("peak_rss_mb") or 0 for r in manifest["reports"].values())
    return seconds, peak


def _floor_one(args) -> int:
    code, year, db, outdir = args
    os.environ["DANVAN_DB"] = db
    from danvan.core.files import atomic_write
    from danvan.export.html import report_css
    from danvan.report.blocks import group
    from danvan.report.ward import WardReport

    r = WardReport.load(code, year)
    blocks = [r.header()] + [r.part(p) for p in ("I", "II")]
    blocks += [r.chart(n) for n in ("budget", "eid", "dvk", "security")]
    r.yoy_chart(), r.qa()  # computed like the notebook's "qa" cells, not published
    blocks += [r.part(p) for p in ("III", "IV")] + [r.end()]
    page = (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><style>{report_css()}</style></head>'
            f'<body><main class="report">{group(blocks).html}</main></body></html>')
    atomic_write(Path(outdir) / f"{code}-{year}.html", page)
    return len(page)


def _floor_init() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    from danvan.report import charts, ward  # noqa: F401

    charts.register_fonts()


def floor(unit_years, db: Path, work: Path, tag: str, workers: int) -> float:
    outdir = work / f"floor-{tag}"
    outdir.mkdir()
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_floor_init) as pool:
        list(pool.map(_floor_one, [(c, y, str(db), str(outdir)) for c, y in unit_years]))
    return time.perf_counter() - t0


def rerun_1000(work: Path, workers: int) -> tuple[float, float, int]:
    """1,000 unit-years (250 communes of Tỉnh Thanh Hóa x 2021-2024, demo data): render once, then
    time a re-run."""
    db = work / "store-1000.sqlite"
    from danvan.intake.demo import load_demo
    from danvan.intake.unitdir import bootstrap_default_store
    from danvan.reference.units import load_registry
    from danvan.store import Store

    codes = [u.code for u in load_registry().descendants("38", 2024)][:250]
    bootstrap_default_store(Store(db))
    n = load_demo(Store(db), [(c, y) for y in (2021, 2022, 2023, 2024) for c in codes])
    runset = work / "runset-1000.yaml"
    runset.write_text(json.dumps({"name": "r1000", "years": [2021, 2022, 2023, 2024], "formats": ["html"],
                                  "reports": [{"notebook": str(NOTEBOOK), "units": codes}]}))
    env = dict(os.environ, DANVAN_DB=str(db))
    cmd = [str(BIN / "danvan"), "run", str(runset), "--outputs", str(work / "out-1000"), "--workers", str(workers),
           "--no-progress"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, env=env, capture_output=True, text=True).stdout
    again = time.perf_counter() - t0
    if "1000 unchanged" not in out:
        raise SystemExit(f"re-run did not skip all 1000 reports:\n{out}")
    return first, again, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="20,100")
    ap.add_argument("--naive-max", type=int, default=0, help="time (a) on at most this many reports (0 = all)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--skip-rerun", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="danvan-bench-") as tmp:
        work = Path(tmp)
        db = work / "store.sqlite"
        demo_store(db)
        for n in [int(s) for s in args.sizes.split(",")]:
            uy = pick(n)
            sub = uy[: args.naive_max] if args.naive_max else uy
            a = naive(sub, db, work) / len(sub)
            b_total, peak = danvan_run(uy, db, work, f"b{n}", args.workers)
            c_total = floor(uy, db, work, f"c{n}", args.workers)
            b, c = b_total / len(uy), c_total / len(uy)
            rows.append((n, len(sub), a, b, c, peak))
            print(f"[{n} reports] (a) {a:.3f} s/report on {len(sub)}  (b) {b:.3f}  (c) {c:.3f}  "
                  f"peak RSS/worker {peak:.0f} MB", flush=True)
        print()
        print(f"machine: {os.cpu_count()} cores; workers for (b) and (c): {args.workers}")
        print("| reports | (a) naive CLI s/report | (b) danvan run s/report | (c) floor s/report "
              "| a/b (target >= 10) | b/c (target <= 1.5) | peak RSS per worker (b) |")
        print("|---|---|---|---|---|---|---|")
        for n, na, a, b, c, peak in rows:
            note = f" (on {na})" if na != n else ""
            print(f"| {n} | {a:.3f}{note} | {b:.3f} | {c:.3f} | {a / b:.1f}x | {b / c:.2f}x | {peak:.0f} MB |")
        if not args.skip_rerun:
            first, again, n = rerun_1000(work, args.workers)
            print(f"\n1,000 unit-years: first render {first:.1f} s ({first / 1000:.3f} s/report); "
                  f"re-run with nothing changed {again:.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()
