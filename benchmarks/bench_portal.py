"""Portal benchmark at national scale: a synthetic run of 3,321 communes × 3 years (tests/_national.py:
13,386 reports, 11 key figures each) written as a portal, its sizes, then the search time per
keystroke in Chromium (Debian's package, driven by Playwright as in tests/test_browser.py).

Queries are typed one key at a time (60 ms apart) and deleted again, with and without the year
filter. Per keystroke: ``handler`` = the portal's update (filter every record, rank, redraw the first
rows; performance.now() around it), ``frame`` = input event -> the frame after the update (what the
reader waits for). Target: < 100 ms a keystroke (95th percentile). Also with the CPU slowed 4× (DevTools throttling),
a stand-in for a low-end phone.

    python benchmarks/bench_portal.py [--throttle 1,4] [--json benchmarks/results/portal.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from _national import generate  # noqa: E402
from test_browser import CHROMIUM_ARGS, find_chromium  # noqa: E402

from danvan.run.portal import DATA_FILE, INDEX_FILE, write_portal  # noqa: E402

QUERIES = ["phuong an binh", "xa tan hoa", "thuan hoa", "ea", "00412", "nguyen trai khong co"]
LIMITS = {INDEX_FILE: 150 * 1024, DATA_FILE: 1.5 * 1024 * 1024}


def _stats(xs: list[float]) -> dict:
    xs = sorted(xs)
    return {"n": len(xs), "median": round(statistics.median(xs), 1),
            "p95": round(xs[min(len(xs) - 1, int(0.95 * len(xs)))], 1), "max": round(xs[-1], 1)}


def measure(portal: Path, throttle: float) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        if throttle != 1:
            page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        page.goto((portal / INDEX_FILE).as_uri())
        page.wait_for_function("() => window.danvanPortal && window.danvanPortal.ready")
        ready = page.evaluate("() => window.danvanPortal.readyAt")
        page.evaluate("() => { window.danvanPortal.recordTimings = true; }")
        handler, frame = [], []
        for year in ("", "2025"):
            page.select_option("#f-year", year)
            for q in QUERIES:
                page.evaluate("() => { window.danvanPortal.timings = []; window.danvanPortal.frames = []; }")
                page.click("#q")
                page.keyboard.type(q, delay=60)  # one input event a keystroke
                for _ in q:
                    page.keyboard.press("Backspace", delay=60)  # back to the empty query: every record
                page.wait_for_timeout(200)
                h, f = page.evaluate("() => [window.danvanPortal.timings, window.danvanPortal.frames]")
                handler += h
                frame += f
        browser.close()
    return {"throttle": throttle, "ready_ms": round(ready), "handler_ms": _stats(handler), "frame_ms": _stats(frame)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--throttle", default="1,4", help="CPU slow-down factors, comma-separated (default 1,4)")
    ap.add_argument("--json", help="also write the figures as JSON here")
    a = ap.parse_args(argv)
    if find_chromium() is None:
        print("needs Debian's chromium package (apt-get install chromium)", file=sys.stderr)
        return 2
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="danvan-portal-bench-") as tmp:
        portal = Path(tmp)
        t0 = time.perf_counter()
        manifest, registry = generate()
        t1 = time.perf_counter()
        stats = write_portal(portal, manifest, registry=registry)
        t2 = time.perf_counter()
        print(f"synthetic national run: {len(manifest['reports']):,} reports, {stats.units:,} units "
              f"(generated in {t1 - t0:.1f} s); portal written in {t2 - t1:.1f} s")
        sizes = {name: (portal / name).stat().st_size for name in (INDEX_FILE, DATA_FILE)}
        for name, size in sizes.items():
            print(f"  {name:15} {size:>11,} B   limit {int(LIMITS[name]):>11,} B   ({size / LIMITS[name]:.0%} of it)")
        results = [measure(portal, float(t)) for t in a.throttle.split(",")]
    load = os.getloadavg()
    print(f"\nsearch time per keystroke in Chromium, 1280×800 (load average {load0:.1f} before, {load[0]:.1f} after, "
          f"{os.cpu_count()} cores):")
    print(f"  {'CPU':8} {'ready':>7} {'keys':>5}   {'handler median / p95 / max':>28}   {'input→frame median / p95 / max':>32}")
    for r in results:
        h, f = r["handler_ms"], r["frame_ms"]
        verdict = "met" if f["p95"] < 100 else "NOT met"
        print(f"  ×{r['throttle']:<7g} {r['ready_ms']:>5} ms {h['n']:>5}   {h['median']:>8} / {h['p95']:>6} / {h['max']:>6} ms"
              f"   {f['median']:>10} / {f['p95']:>6} / {f['max']:>6} ms   target < 100 ms (p95): {verdict}")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps({"sizes": sizes, "load": [load0, load[0]], "results": results}, indent=1),
                                encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
