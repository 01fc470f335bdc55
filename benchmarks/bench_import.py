"""Import benchmark: every commune-level unit of Việt Nam (3,321 after 2025) × the whole catalogue.

Generates one CSV file per unit (the tidy figures layout, ~80 data indicators each, ~265,000
figures in all) with consistent values (the reference unit-year scaled by a whole factor, so parts
still sum to totals and numerators stay below denominators), registers the synthetic unit codes
through an extra registry file, then times

  1. ``check_files``  (read + decode + parse + validate, nothing written), and
  2. ``import_files`` (the same validation, then one transaction per file) into a new store,

and prints figures/second and peak memory (ru_maxrss of this process). Validation stays fully on.

    python benchmarks/bench_import.py [--units 3321] [--keep DIR] [--xlsx 20]

``--xlsx N`` also times N filled xlsx forms (openpyxl is much slower per file than CSV).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from danvan.reference.catalogue import load_catalogue
from danvan.intake.importer import check_files, import_files
from danvan.intake.unitdir import reference_root
from danvan.store import Store, canonical
from danvan.reference.units import UnitRegistry, default_registry_path

TARGET = 50_000  # figures per second
YEAR = 2026


def reference_values() -> dict[str, Decimal]:
    with open(reference_root() / "19780" / "2023" / "figures.csv", encoding="utf-8") as fh:
        return {r["indicator"]: Decimal(r["value"]) for r in csv.DictReader(fh)}


def generate(root: Path, n_units: int) -> tuple[list[Path], Path, int]:
    cat = load_catalogue()
    ref = reference_values()
    data = [i for i in cat.data_indicators() if i.code in ref]
    reg_path = root / "units-bench.csv"
    with open(reg_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "type", "parent_code", "level", "valid_from", "valid_to", "successor_code", "source"])
        for i in range(n_units):
            w.writerow([f"{90000 + i:05d}", f"Phường Thử {i}", "Phường", "", "commune", "", "", "", "benchmark"])
    files = []
    n_figs = 0
    for i in range(n_units):
        code = f"{90000 + i:05d}"
        k = 1 + i % 7
        path = root / "files" / f"{code}.csv"
        path.parent.mkdir(exist_ok=True)
        lines = ["unit_code,year,indicator,value"]
        for ind in data:
            v = ref[ind.code] if ind.is_rate else ref[ind.code] * k
            lines.append(f"{code},{YEAR},{ind.code},{canonical(v)}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
        n_figs += len(data)
    return files, reg_path, n_figs


def fill_xlsx(root: Path, n: int, registry) -> list[Path]:
    import openpyxl

    from danvan.intake.forms import write_xlsx_form

    ref = reference_values()
    out = []
    for i in range(n):
        code = f"{90000 + i:05d}"
        path = write_xlsx_form(code, YEAR, root / "xlsx" / f"{code}.xlsx", registry=registry, db=root / "none.sqlite",
                               catalogue=load_catalogue())
        wb = openpyxl.load_workbook(path)
        ws = wb["Số liệu"]
        for row in ws.iter_rows(min_row=8):
            if row[1].value in ref:
                v = ref[row[1].value]
                row[5].value = int(v) if v == v.to_integral_value() else float(v)
        wb.save(path)
        out.append(path)
    return out


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=3321)
    ap.add_argument("--xlsx", type=int, default=0, help="also time N xlsx forms")
    ap.add_argument("--keep", help="generate into DIR and keep it")
    args = ap.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="danvan-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        files, reg_path, n_figs = generate(root, args.units)
        registry = UnitRegistry.from_csv(default_registry_path(), reg_path)
        print(f"generated {len(files)} CSV files, {n_figs} figures in {time.perf_counter() - t0:.1f} s ({root})")
        rss_before = maxrss_mb()

        store = Store(root / "bench.sqlite")
        # the synthetic units have no province: they are read with the reference report's catalogue
        cat = load_catalogue()
        load = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), cpu_seconds()
        outcomes = import_files(files, store, registry=registry, catalogue=cat, by="benchmark")
        dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        written = sum(o.result.changed for o in outcomes if o.result)
        bad = [o for o in outcomes if not o.ok]
        rate = written / dt
        print(f"import:   {written} figures validated and written in {dt:.2f} s = {rate:,.0f} figures/s "
              f"({sum(o.status == 'written' for o in outcomes)} files, one transaction each; {len(bad)} with errors)")
        print(f"          CPU time {cpu:.2f} s (including any parsing workers) = {written / cpu:,.0f} figures per "
              f"CPU-second; {os.cpu_count()} cores, load average {load:.1f} when it started")
        print(f"peak memory of the import (max RSS): {maxrss_mb():.0f} MB (before: {rss_before:.0f} MB)")
        print(f"store: {store.path.stat().st_size / 1e6:.1f} MB")
        del outcomes

        t0 = time.perf_counter()
        checked = check_files(files, registry=registry, catalogue=cat, store=Store(root / "empty.sqlite"))
        dt_check = time.perf_counter() - t0
        print(f"validate only (check_files, nothing written): {n_figs / dt_check:,.0f} figures/s "
              f"({dt_check:.2f} s); max RSS now {maxrss_mb():.0f} MB (check_files keeps every result)")
        del checked
        if args.xlsx:
            xs = fill_xlsx(root, args.xlsx, registry)
            t0 = time.perf_counter()
            xo = import_files(xs, Store(root / "bench-xlsx.sqlite"), registry=registry, catalogue=cat, by="benchmark")
            dtx = time.perf_counter() - t0
            nx = sum(o.result.changed for o in xo if o.result)
            print(f"xlsx:     {len(xs)} forms, {nx} figures in {dtx:.2f} s = {nx / dtx:,.0f} figures/s "
                  f"({dtx / len(xs) * 1000:.0f} ms per form)")
        ok = rate >= TARGET and not bad and written == n_figs
        print(f"target ≥ {TARGET:,} figures/s: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
