"""PDF benchmark (issue 12): the PDF step, the charts, and what the PDF costs a whole run, in one run.

    pdf     the PDF step of danvan.export.formats (block JSON -> Typst -> PDF/A-2b; the charts are
            the SVGs the notebook drew) for 20 executed ward notebooks of Huế 2023 (demo data):
            alone (a fresh process: its first PDF, then a second one), a batch of 20 in one
            process, and the 20 split over 2 processes (wall / 20). Target <= 0.15 s per report.
    charts  ms per chart, the charts of those 20 reports: today's renderer, and the renderer of
            commit 184c188 (before this change: glyphs as paths for the HTML, text for print, a
            matplotlib PNG for Word) when git can show it; interleaved, so that the machine's load
            weighs on both alike. Target <= 40 ms per chart.
    batch   `danvan run params/hue-2023.yaml` (36 wards, the city summary, a trend) on a demo store,
            formats html vs html,pdf, each --force on a clean outputs folder, alternating; the best of
            --repeat runs and the ratio. Target: html,pdf <= 1.4 x html.
    make    `make report` after set-up: `danvan setup` on a new store + `danvan run params/hue-2023.yaml`
            on a clean outputs folder. Target <= 25 s.

Every figure is printed with the load average (1 / 5 / 15 min) when it was taken: other work on
this shared 2-core machine inflates wall and CPU times.

    python benchmarks/bench_pdf.py                   # ~4-6 min
    python benchmarks/bench_pdf.py --only pdf,charts --n 10
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"
RUNSET = REPO / "params" / "hue-2023.yaml"
DANVAN = Path(sys.executable).parent / "danvan"
OLD_COMMIT = "184c188"  # the last commit with WeasyPrint and the old chart renderer
TARGETS = {"pdf": 0.15, "chart_ms": 40.0, "ratio": 1.4, "make": 25.0}


def load() -> str:
    return "load %.2f / %.2f / %.2f" % os.getloadavg()


def flag(ok: bool) -> str:
    return "ok" if ok else "OVER"


def build_store(path: Path) -> None:
    from danvan.intake.demo import load_demo
    from danvan.intake.unitdir import bootstrap_default_store
    from danvan.store import Store

    bootstrap_default_store(Store(path))
    load_demo(Store(path))


def execute_wards(db: Path, out: Path, n: int) -> list[Path]:
    """n executed ward notebooks (HTML only; not timed)."""
    from danvan.reference.units import load_registry
    from danvan.run.render import render

    paths = []
    for unit in load_registry().children("474", 2023, level="commune")[:n]:
        o = render(NOTEBOOK, {"unit_code": unit.code, "year": 2023, "db": str(db)}, out, formats=("html",))
        if o.status != "ok":
            raise SystemExit(f"render {unit.code}/2023 failed: {o.error}")
        paths.append(Path(o.files["ipynb"]))
    return paths


# ---- the PDF step -----------------------------------------------------------------------------

def pdf_step(nb_path: str, out_dir: str) -> tuple[float, float, int]:
    """The PDF export of one executed notebook: (wall s, cpu s, bytes)."""
    import nbformat

    from danvan.export.formats import export_formats

    nb = nbformat.read(nb_path, as_version=4)
    prov = json.loads(Path(nb_path).with_suffix(".json").read_text(encoding="utf-8"))["provenance"]
    t, c = time.perf_counter(), time.process_time()
    written = export_formats(nb, Path(out_dir), formats=("pdf",), title="bench", provenance=prov,
                             stem=Path(nb_path).parent.name)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return wall, cpu, written["pdf"].stat().st_size


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", f"import json,sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                                  f"from bench_pdf import pdf_step; {code}"]


def pdf_alone(first: Path, second: Path, out_dir: Path) -> dict:
    """A fresh process: its first PDF (imports, Typst's fonts), then another report's (a different
    document: Typst's caches do not hold its result)."""
    code = (f"a=pdf_step({str(first)!r}, {str(out_dir)!r}); b=pdf_step({str(second)!r}, {str(out_dir)!r}); "
            "print(json.dumps([a, b]))")
    proc = subprocess.run(_py(code), capture_output=True, text=True, check=True, env=dict(os.environ, MPLBACKEND="Agg"))
    (cold, _c, size), (warm, warm_cpu, _s) = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"cold": cold, "warm": warm, "warm_cpu": warm_cpu, "bytes": size}


def pdf_parallel(chunks: list[list[str]], out_dir: Path) -> tuple[float, list]:
    env = dict(os.environ, MPLBACKEND="Agg")
    t0 = time.perf_counter()
    procs = [subprocess.Popen(_py(f"print(json.dumps([pdf_step(p, {str(out_dir / str(i))!r}) for p in {c!r}]))"),
                              stdout=subprocess.PIPE, text=True, env=env) for i, c in enumerate(chunks)]
    outs = [p.communicate()[0] for p in procs]
    wall = time.perf_counter() - t0
    if any(p.returncode for p in procs):
        raise SystemExit("a PDF worker failed")
    return wall, [r for o in outs for r in json.loads(o.strip().splitlines()[-1])]


def bench_pdf(nbs: list[Path], tmp: Path, workers: int) -> dict:
    n = len(nbs)
    a = pdf_alone(nbs[0], nbs[1], tmp / "alone")
    load_alone = load()
    seq = [pdf_step(str(p), str(tmp / "seq")) for p in nbs]  # this process: warm after the first
    load_seq = load()
    chunks = [[str(p) for p in nbs[i::workers]] for i in range(workers)]
    par_total, par = pdf_parallel(chunks, tmp / "par")
    load_par = load()
    target = TARGETS["pdf"]
    rows = [
        ("alone: first PDF of a fresh process (imports, fonts)", a["cold"], None, load_alone),
        ("alone: the next report's PDF in that process", a["warm"], a["warm_cpu"], load_alone),
        (f"batch of {n}, 1 process: median per report", statistics.median(w for w, _c, _b in seq[1:]),
         statistics.median(c for _w, c, _b in seq[1:]), load_seq),
        (f"batch of {n}, 1 process: p90", sorted(w for w, _c, _b in seq[1:])[int(0.9 * (n - 1))], None, load_seq),
        (f"batch of {n}, {workers} processes: wall / report (start-up included)", par_total / n, None, load_par),
        (f"batch of {n}, {workers} processes: median step", statistics.median(w for w, _c, _b in par), None, load_par),
    ]
    print(f"\nPDF step, seconds per report (target <= {target:.2f} s; WeasyPrint before: 1.7 s); cpu in []")
    for label, wall, cpu, ld in rows:
        warm = "first PDF" not in label and "start-up" not in label  # those include imports: no target
        print(f"  {label:<62} {wall:6.3f} s" + (f" [cpu {cpu:.3f}]" if cpu is not None else " " * 12)
              + f"  {flag(wall <= target) if warm else '    '}  {ld}")
    print(f"  PDF size: {statistics.mean(b for _w, _c, b in seq) / 1024:.0f} KB per report (PDF/A-2b, tagged)")
    return {"alone": a, "seq": seq, "par_wall_per_report": par_total / n}


# ---- charts -------------------------------------------------------------------------------------

def old_charts_module(tmp: Path):
    """danvan/report/charts.py of commit OLD_COMMIT, importable on its own (None without git)."""
    try:
        src = subprocess.run(["git", "show", f"{OLD_COMMIT}:danvan/report/charts.py"], cwd=REPO, capture_output=True,
                             text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    src = src.replace("from ..core import settings", "from danvan.core import settings")
    src = src.replace("from ..core.vnformat import", "from danvan.core.vnformat import")
    path = tmp / "old_charts.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("bench_old_charts", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # (dataclasses look their module up)
    spec.loader.exec_module(mod)
    return mod


def chart_specs(nbs: list[Path]) -> list[dict]:
    import nbformat

    from danvan.export.notebook import blocks_of

    return [b["spec"] for p in nbs for b in blocks_of(nbformat.read(str(p), as_version=4)) if b.get("kind") == "chart"]


def bench_charts(nbs: list[Path], tmp: Path, repeat: int) -> dict:
    from danvan.export.typesetter import svg_to_png
    from danvan.report.charts import ChartRenderer

    specs = chart_specs(nbs)
    old = old_charts_module(tmp)
    new = ChartRenderer()
    for s in specs[:4]:  # warm: imports, font set-up, first draws (the figures are per report below)
        new.svg(s)
        svg_to_png(new.svg(s))
        if old:
            old.render_svg(old.ChartSpec.from_json(s))
    keys = ("old_path", "old_text", "old_png", "new_svg", "new_png")
    times: dict[str, list[float]] = {k: [] for k in keys}
    cpu: dict[str, list[float]] = {k: [] for k in keys}

    def timed(key, fn, *a, **kw):
        t, c = time.perf_counter(), time.process_time()
        out = fn(*a, **kw)
        times[key].append(time.perf_counter() - t)
        cpu[key].append(time.process_time() - c)
        return out

    identical = 0
    for _ in range(repeat):
        for s in specs:
            svg = timed("new_svg", new.svg, s)
            timed("new_png", svg_to_png, svg)
            if old:
                o = old.ChartSpec.from_json(s)
                timed("old_path", old.render_svg, o)
                identical += timed("old_text", old.render_svg, o, text="text") == svg
                timed("old_png", old.render_png, o, dpi=200)
    ld = load()
    target = TARGETS["chart_ms"]
    print(f"\nCharts, ms per chart ({len(specs)} charts of {len(nbs)} reports x {repeat}; target <= {target:.0f} ms; "
          f"wall, and [cpu]); {ld}")
    labels = {"old_path": f"{OLD_COMMIT}: SVG, glyphs as paths (the HTML's)",
              "old_text": f"{OLD_COMMIT}: SVG, text as text (redrawn for the PDF)",
              "old_png": f"{OLD_COMMIT}: PNG 200 dpi, matplotlib (redrawn for Word)",
              "new_svg": "now: SVG drawn once (HTML, PDF; Word's PNG from it)",
              "new_png": "now: Word's PNG 200 ppi, Typst from that SVG"}
    for k, label in labels.items():
        v = times[k]
        if not v:
            continue
        med, p90 = statistics.median(v) * 1000, sorted(v)[int(0.9 * (len(v) - 1))] * 1000
        mark = f"  {flag(med <= target)}" if k == "new_svg" else ""
        print(f"  {label:<58} median {med:6.1f} [cpu {statistics.median(cpu[k]) * 1000:5.1f}]  p90 {p90:6.1f}{mark}")
    if old:
        old_per_report = sum(statistics.median(times[k]) for k in ("old_path", "old_text", "old_png"))
        new_per_report = statistics.median(times["new_svg"])
        print(f"  per chart and report, every format: before {old_per_report * 1000:.0f} ms (drawn 3 times), "
              f"now {new_per_report * 1000:.0f} ms (+{statistics.median(times['new_png']) * 1000:.0f} ms when Word "
              f"is made); SVGs byte-identical to {OLD_COMMIT}'s print SVGs: {identical}/{len(specs) * repeat}")
    else:
        print("  (git cannot show the old renderer here: only today's figures)")
    return {k: [statistics.median(v) * 1000, statistics.median(cpu[k]) * 1000] for k, v in times.items() if v}


# ---- the whole run ------------------------------------------------------------------------------

def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_set(db: Path, outputs: Path, formats: str | None) -> tuple[float, float, str]:
    """One `danvan run` of the run set: (wall s, cpu s of it and its workers, its summary line)."""
    env = dict(os.environ, DANVAN_DB=str(db), DANVAN_OUTPUTS=str(outputs), MPLBACKEND="Agg")
    shutil.rmtree(outputs, ignore_errors=True)
    cmd = [str(DANVAN), "run", str(RUNSET), "--no-progress", "--force", "--outputs", str(outputs)]
    if formats:
        cmd += ["--formats", formats]
    t0, c0 = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall, cpu, proc.stdout.strip().splitlines()[-2] if proc.stdout.strip() else ""


def bench_batch(db: Path, tmp: Path, repeat: int) -> dict:
    runs: dict[str, list[tuple[float, float, str]]] = {"html": [], "html,pdf": []}
    summary = ""
    for _ in range(repeat):
        for fmt in runs:
            wall, cpu, summary = run_set(db, tmp / f"batch-{fmt.replace(',', '-')}", fmt)
            runs[fmt].append((wall, cpu, load()))
    best = {k: min(w for w, _c, _l in v) for k, v in runs.items()}
    best_cpu = {k: min(c for _w, c, _l in v) for k, v in runs.items()}
    ratio, ratio_cpu = best["html,pdf"] / best["html"], best_cpu["html,pdf"] / best_cpu["html"]
    print(f"\n`danvan run {RUNSET.relative_to(REPO)}` ({summary.split(' — ')[0]}), --force, 2 workers; "
          f"best of {repeat}; wall, and [cpu of the run and its workers]")
    for fmt, v in runs.items():
        print(f"  formats {fmt:<9} {best[fmt]:6.1f} s [cpu {best_cpu[fmt]:6.1f} s]   runs: "
              + ", ".join(f"{w:.1f} s [{c:.1f}] ({ld})" for w, c, ld in v))
    print(f"  html,pdf / html = {ratio:.2f} wall, {ratio_cpu:.2f} cpu  (target <= {TARGETS['ratio']}; WeasyPrint "
          f"before: 46.0 / 17.4 = 2.6)  {flag(ratio <= TARGETS['ratio'])}")
    return {"runs": runs, "ratio": ratio, "ratio_cpu": ratio_cpu}


def bench_make(tmp: Path) -> dict:
    """`make report` after set-up: danvan setup (a new store) + danvan run (clean outputs)."""
    db, outputs = tmp / "make" / "danvan.sqlite", tmp / "make" / "outputs"
    db.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DANVAN_DB=str(db), DANVAN_OUTPUTS=str(outputs), MPLBACKEND="Agg")
    t0, c0 = time.perf_counter(), _children_cpu()
    subprocess.run([str(DANVAN), "setup"], check=True, capture_output=True, env=env, timeout=600)
    t_setup = time.perf_counter() - t0
    proc = subprocess.run([str(DANVAN), "run", str(RUNSET), "--no-progress"], capture_output=True, text=True,
                          env=env, timeout=1800)
    total, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"danvan run failed:\n{proc.stdout}\n{proc.stderr}")
    print(f"\n`make report` after set-up (danvan setup on a new store {t_setup:.1f} s + danvan run "
          f"{total - t_setup:.1f} s): {total:.1f} s [cpu {cpu:.1f} s]  (target <= {TARGETS['make']:.0f} s; "
          f"before: 58.6 s)  {flag(total <= TARGETS['make'])}  {load()}")
    return {"setup": t_setup, "total": total, "cpu": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20, help="ward reports for the PDF step and the charts")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each batch (the best counts); chart passes")
    ap.add_argument("--only", default="pdf,charts,batch,make", help="sections to run")
    args = ap.parse_args()
    only = set(args.only.split(","))
    os.environ.setdefault("MPLBACKEND", "Agg")
    print(f"{os.cpu_count()} CPUs; start {load()}")
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="danvan-bench-pdf-") as tmp:
        tmp = Path(tmp)
        db = tmp / "store.sqlite"
        os.environ["DANVAN_DB"] = str(db)
        build_store(db)
        if only & {"pdf", "charts"}:
            t0 = time.perf_counter()
            nbs = execute_wards(db, tmp / "outputs", args.n)
            print(f"{len(nbs)} ward notebooks of Huế 2023 (demo data) executed in {time.perf_counter() - t0:.1f} s "
                  "(not part of the figures)")
            if "pdf" in only:
                results["pdf"] = bench_pdf(nbs, tmp, args.workers)
            if "charts" in only:
                results["charts"] = bench_charts(nbs, tmp, args.repeat)
        if "batch" in only:
            results["batch"] = bench_batch(db, tmp, args.repeat)
        if "make" in only:
            results["make"] = bench_make(tmp)
    print(f"\nend {load()}")
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
