"""PDF export benchmark (issue 5): seconds per report for the PDF step, alone and within a batch.

The notebooks are executed first (HTML only, not timed here), then only the PDF step of
danvan.export.formats is timed: charts redrawn for print + print HTML + WeasyPrint with the bundled fonts.

    alone  - one report in a fresh process: the first PDF (imports, font set-up) and a second one
    batch  - 20 reports in one process, one after the other (font configuration reused)
    batch2 - the same 20 split over 2 processes (one per core), wall time / 20

Reports: 20 demo wards of Huế 2023 (danvan.intake.demo); without demo data, the reference report 20 times.
Target: <= 1 s per report on a 2-core machine.

    python benchmarks/bench_pdf.py            # ~2 min, mostly executing the 20 notebooks
    python benchmarks/bench_pdf.py --n 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"
TARGET = 1.0


def build_store(path: Path, n: int) -> tuple[list[tuple[str, int]], str]:
    from danvan.intake.unitdir import bootstrap_default_store
    from danvan.store import Store

    bootstrap_default_store(Store(path))
    try:
        from danvan.intake.demo import load_demo
        from danvan.reference.units import load_registry

        codes = [u.code for u in load_registry().children("474", 2023, level="commune")][:n]
        load_demo(Store(path), [(c, 2023) for c in codes if c != "19780"])
        return [(c, 2023) for c in codes], "demo wards of Huế 2023"
    except Exception as exc:  # no demo module/data: the reference report n times
        print(f"(demo data unavailable: {exc}; using the reference report {n} times)", file=sys.stderr)
        return [("19780", 2023)] * n, "the reference report (Phường Đúc 2023), repeated"


def execute_all(unit_years, db: Path, out: Path) -> list[Path]:
    from danvan.run.render import render

    paths, seen = [], {}
    for code, year in unit_years:
        if (code, year) in seen:  # the fallback: execute once, reuse the notebook
            paths.append(seen[(code, year)])
            continue
        o = render(NOTEBOOK, {"unit_code": code, "year": year, "db": str(db)}, out, formats=("html",))
        if o.status != "ok":
            raise SystemExit(f"render {code}/{year} failed: {o.error}")
        seen[(code, year)] = Path(o.files["ipynb"])
        paths.append(seen[(code, year)])
    return paths


def pdf_step(nb_path: str, out_dir: str) -> tuple[float, float, int]:
    """Time the PDF export of one executed notebook: (wall s, cpu s, bytes)."""
    import nbformat

    from danvan.export.formats import export_formats

    nb = nbformat.read(nb_path, as_version=4)
    t, c = time.perf_counter(), time.process_time()
    written = export_formats(nb, Path(out_dir), formats=("pdf",), title="bench", provenance=None,
                             stem=Path(nb_path).parent.name)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return wall, cpu, written["pdf"].stat().st_size


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", f"import json,sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                                  f"from bench_pdf import pdf_step; {code}"]


def parallel(chunks: list[list[str]], out_dir: Path) -> tuple[float, list]:
    """Each chunk in its own fresh process (one per core), all at once: (wall s, step results)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    t0 = time.perf_counter()
    procs = [subprocess.Popen(_py(f"print(json.dumps([pdf_step(p, {str(out_dir / str(i))!r}) for p in {c!r}]))"),
                              stdout=subprocess.PIPE, text=True, env=env) for i, c in enumerate(chunks)]
    outs = [p.communicate()[0] for p in procs]
    wall = time.perf_counter() - t0
    if any(p.returncode for p in procs):
        raise SystemExit("a PDF worker failed")
    return wall, [r for o in outs for r in json.loads(o.strip().splitlines()[-1])]


def alone(nb_path: Path, out_dir: Path) -> dict:
    """A fresh interpreter: first PDF (cold) and second PDF (warm) of the same report."""
    code = f"a=pdf_step({str(nb_path)!r}, {str(out_dir)!r}); b=pdf_step({str(nb_path)!r}, {str(out_dir)!r}); " \
           "print(json.dumps([a, b]))"
    t0 = time.perf_counter()
    proc = subprocess.run(_py(code), capture_output=True, text=True, check=True,
                          env=dict(os.environ, MPLBACKEND="Agg"))
    total = time.perf_counter() - t0
    (cold, _c1, size), (warm, warm_cpu, _s) = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"cold": cold, "warm": warm, "warm_cpu": warm_cpu, "process_total": total, "bytes": size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")

    with tempfile.TemporaryDirectory(prefix="danvan-bench-pdf-") as tmp:
        tmp = Path(tmp)
        db = tmp / "store.sqlite"
        os.environ["DANVAN_DB"] = str(db)
        unit_years, what = build_store(db, args.n)
        t0 = time.perf_counter()
        nbs = execute_all(unit_years, db, tmp / "outputs")
        t_exec = time.perf_counter() - t0
        print(f"{len(nbs)} notebooks: {what}; executed in {t_exec:.1f} s (not part of the PDF figures)")

        a = alone(nbs[0], tmp / "alone")

        t0 = time.perf_counter()
        seq = [pdf_step(str(p), str(tmp / "seq")) for p in nbs]
        seq_total = time.perf_counter() - t0

        chunks = [[str(p) for p in nbs[i::args.workers]] for i in range(args.workers)]
        par_total, par_steps = parallel(chunks, tmp / "par")

    n = len(nbs)
    load = os.getloadavg()
    rows = [
        ("alone, first PDF in a fresh process", a["cold"], None),
        ("alone, next PDF in that process", a["warm"], a["warm_cpu"]),
        (f"batch of {n}, 1 process: mean per report", seq_total / n, statistics.mean(c for _w, c, _b in seq)),
        (f"batch of {n}, 1 process: median", statistics.median(w for w, _c, _b in seq), None),
        (f"batch of {n}, {args.workers} processes: wall / report", par_total / n, None),
        (f"batch of {n}, {args.workers} processes: median step", statistics.median(w for w, _c, _b in par_steps),
         None),
    ]
    print(f"\nPDF seconds per report (target <= {TARGET:.1f} s); cpu in brackets")
    for label, wall, cpu in rows:
        flag = "ok" if wall <= TARGET else "OVER"
        print(f"  {label:<48} {wall:6.3f} s" + (f"  [cpu {cpu:.3f}]" if cpu is not None else "") + f"  {flag}")
    print(f"  PDF size: {statistics.mean(b for _w, _c, b in seq) / 1024:.0f} KB per report; "
          f"{os.cpu_count()} CPUs; process start-up and imports included in the {args.workers}-process wall time")
    print(f"  load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (other work on the machine "
          "inflates wall and cpu times)")
    print(json.dumps({"n": n, "reports": what, "alone": a, "batch_seq_per_report": seq_total / n,
                      "batch_parallel_per_report": par_total / n, "workers": args.workers, "loadavg": load}))


if __name__ == "__main__":
    main()
