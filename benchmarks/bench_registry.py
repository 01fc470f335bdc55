"""Load time of the national unit registry, in fresh processes (the first load a command pays).

    .venv/bin/python benchmarks/bench_registry.py [N]      # N fresh processes (default 7)

Prints min / median wall and CPU time of ``load_registry()`` after the imports (the target is
<= 100 ms), of the imports themselves, of the first use of the indexes built lazily (children,
successors, the crosswalk, search), and of one look-up by code and year; with the load average,
because wall time on a shared machine follows the other jobs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, time
t0, c0 = time.perf_counter(), time.process_time()
from danvan.reference.units import load_registry
t1, c1 = time.perf_counter(), time.process_time()
reg = load_registry()
t2, c2 = time.perf_counter(), time.process_time()
reg.descendants("01", 2024); reg.predecessors_of(reg.get("19789", 2026))
t3 = time.perf_counter()
reg.successors(reg.get("00007", 2024))
t4 = time.perf_counter()
reg.search("phuong duc", 2023)
t5 = time.perf_counter()
n = 10000
for _ in range(n):
    reg.get("19780", 2023)
t6 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "load_ms": (t2 - t1) * 1e3, "load_cpu_ms": (c2 - c1) * 1e3,
                  "indexes_ms": (t3 - t2) * 1e3, "crosswalk_ms": (t4 - t3) * 1e3, "search_index_ms": (t5 - t4) * 1e3,
                  "get_us": (t6 - t5) / n * 1e6, "rows": len(reg.units)}))
"""


def main(argv=None) -> int:
    n = int((argv or sys.argv[1:] or ["7"])[0])
    runs = [json.loads(subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout)
            for _ in range(n)]
    print(f"unit registry: {runs[0]['rows']:,} rows; {n} fresh processes; load average {os.getloadavg()[0]:.1f}")
    for key, label in (("load_ms", "load_registry() wall"), ("load_cpu_ms", "load_registry() CPU"),
                       ("import_ms", "import danvan.reference.units"), ("indexes_ms", "parent/successor indexes (first use)"),
                       ("crosswalk_ms", "crosswalk.csv + index (first use)"), ("search_index_ms", "search index (first use)"),
                       ("get_us", "get(code, year), µs")):
        vals = [r[key] for r in runs]
        print(f"  {label:40} min {min(vals):7.1f}   median {statistics.median(vals):7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
