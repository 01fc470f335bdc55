"""Soak (issue "Done when"): 20 concurrent imports of random valid and invalid files for the same and
different unit-years while a batch renders. Afterwards every stored unit-year passes the relation
checks, the history is complete (every file reported as written is there whole, with exactly the
values it changed; every file reported as not written left nothing), and PRAGMA integrity_check is ok.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _hardening import assert_clean, incomplete_outputs, integrity, reference_values, relation_errors
from _util import store_dump as dump

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("DANVAN_SOAK_SEED", "20240601"))
N_FILES = 20
KEYS = [("19780", 2023), ("19780", 2024), ("19783", 2024)]  # stored / new / new, other unit
_BARRIER = (
    "import os, sys, time\n"
    "from danvan.cli.main import main, build_parser\n"
    "import danvan.intake.importer, danvan.intake.forms, danvan.intake.validate, danvan.reference.units, danvan.reference.catalogue\n"
    "build_parser(); danvan.reference.catalogue.load_catalogue(); danvan.reference.units.load_registry()\n"
    "open(sys.argv[1], 'w').close()\n"
    "while not os.path.exists(sys.argv[2]):\n"
    "    time.sleep(0.005)\n"
    "sys.exit(main(sys.argv[3:]))\n"
)
WRITTEN = re.compile(r"ĐÃ NHẬP – (\d+) số liệu mới/thay đổi, (\d+) mục văn bản \(lần nhập #(\d+)\)")


def _consistent(rng: random.Random) -> dict[str, str]:
    """Reference values with the SEC_REPORTS and EID_ACCOUNTS trees redrawn, consistent with each other."""
    v = dict(reference_values())
    resolved, transferred, order = rng.randint(0, 20), rng.randint(0, 20), rng.randint(0, 40)
    crime = resolved + transferred
    v.update(SEC_CRIME_RESOLVED=str(resolved), SEC_CRIME_TRANSFERRED=str(transferred),
             SEC_REPORTS_CRIME=str(crime), SEC_REPORTS_ORDER=str(order), SEC_REPORTS=str(crime + order))
    l1, l2 = rng.randint(0, 5000), rng.randint(0, 5000)
    v.update(EID_ACCOUNTS_L1=str(l1), EID_ACCOUNTS_L2=str(l2), EID_ACCOUNTS=str(l1 + l2))
    v["REV_TOTAL"] = str(rng.randint(5_000_000_000, 9_000_000_000))
    return v


def _make_files(tmp: Path, rng: random.Random) -> list[tuple[Path, str, tuple, dict]]:
    """Files for the stored unit-year 19780/2023 (parts 15 + 19 = 34) change one part of SEC_REPORTS
    and its total: each is valid alone against the store, but a "crime" and an "order" file together
    are not (the race of the issue). Files for new unit-years are complete. A third are invalid."""
    files = []
    for i in range(N_FILES):
        key = rng.choices(KEYS, weights=[3, 1, 1])[0]  # most files race for the stored unit-year
        if key == KEYS[0]:
            kind = rng.choice(["crime", "crime", "order", "order", "bad_value", "bad_relation"])
        else:
            kind = rng.choice(["full", "full", "bad_value", "bad_relation"])
        if kind == "crime":
            t = rng.randint(0, 40)
            values = {"SEC_CRIME_TRANSFERRED": str(t), "SEC_REPORTS_CRIME": str(4 + t), "SEC_REPORTS": str(4 + t + 19)}
        elif kind == "order":
            o = rng.randint(0, 40)
            values = {"SEC_REPORTS_ORDER": str(o), "SEC_REPORTS": str(15 + o)}
        elif kind == "full":
            values = _consistent(rng)
        elif kind == "bad_value":
            values = dict(_consistent(rng), POOR_HOUSEHOLDS="khoảng ba mươi")
        else:
            values = _consistent(rng)
            values["SEC_REPORTS"] = str(int(values["SEC_REPORTS"]) + 1)
        path = tmp / f"{i:02d}-{kind}-{key[0]}-{key[1]}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["unit_code", "year", "indicator", "value"])
            for k, val in values.items():
                w.writerow([key[0], key[1], k, val])
        files.append((path, kind, key, values))
    return files


def test_soak_concurrent_imports_while_a_batch_renders(store, tmp_path):
    from danvan.intake.demo import load_demo

    load_demo(store, [(c, 2023) for c in ("19750", "19753")])
    db = store.path
    before = dump(db)
    con = sqlite3.connect(db)
    imports_before = con.execute("SELECT COUNT(*) FROM imports").fetchone()[0]
    con.close()
    rng = random.Random(SEED)
    files = _make_files(tmp_path, rng)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    # every write transaction lasts 1 s (test hook of danvan.intake.importer; a slow disk's fsync does the
    # same): writers queue on the lock, so that files are checked while another file of the same
    # unit-year is being written (what broke relations before the fix)
    import_env = {**env, "DANVAN_TEST_PAUSE_IN_TRANSACTION": os.environ.get("DANVAN_SOAK_PAUSE", "1.0")}
    out = tmp_path / "out"
    batch = subprocess.Popen(
        [sys.executable, "-m", "danvan", "run", "--year", "2023", "--units", "19750,19753,19780", "--db", str(db),
         "--outputs", str(out), "--no-progress", "--workers", "1", "--force"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # each importer pays its start-up first, then waits at a barrier: released together, they all
    # check their file against the same store while the first writers hold the lock
    go = tmp_path / "go"
    procs = []
    for i, (path, *_) in enumerate(files):
        ready = tmp_path / f"ready-{i}"
        procs.append(subprocess.Popen([sys.executable, "-c", _BARRIER, str(ready), str(go), "import", str(path),
                                       "--db", str(db)],
                                      env=import_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + 300
    while not all((tmp_path / f"ready-{i}").exists() for i in range(len(files))):
        assert time.monotonic() < deadline, "importers did not start"
        time.sleep(0.05)
    go.touch()
    results = [p.communicate(timeout=600) for p in procs]
    b_out, b_err = batch.communicate(timeout=900)

    # every command ended cleanly and said what happened
    written: dict[int, tuple[Path, int, dict]] = {}
    for (path, kind, key, values), p, (o, e) in zip(files, procs, results):
        assert_clean(o + e)
        assert p.returncode in (0, 1), f"{path.name}: exit {p.returncode}\n{o}{e}"
        m = WRITTEN.search(o)
        if m:
            assert p.returncode == 0, o
            written[int(m.group(3))] = (path, int(m.group(1)), values)
        else:
            assert ("ĐÃ CÓ" in o) == (p.returncode == 0), o
        if kind.startswith("bad_"):
            assert not m and p.returncode == 1, f"{path.name} ({kind}) must be refused:\n{o}"
    assert_clean(b_out + b_err)
    assert batch.returncode == 0, b_out + b_err
    assert incomplete_outputs(out) == []

    # relations hold in every stored unit-year
    from danvan.store import Store, canonical

    for unit, year in Store(db).unit_years():
        assert relation_errors(db, unit, year) == [], f"seed {SEED}: {unit}/{year}"

    # ... and so does every state the store went through: replay the revisions import by import
    from decimal import Decimal

    from danvan.reference.catalogue import load_catalogue
    from danvan.intake.validate import RELATION_RULES, FigureRow, check_unit_year

    cat = load_catalogue()
    broken = []
    con = sqlite3.connect(db)
    rows = con.execute("SELECT import_id, unit_code, year, indicator, value FROM figure_revisions ORDER BY id").fetchall()
    con.close()
    state: dict[tuple, dict] = {}
    for i, (imp, unit, year, ind, val) in enumerate(rows):
        d = state.setdefault((unit, year), {})
        if val is None:
            d.pop(ind, None)
        else:
            d[ind] = Decimal(val)
        end_of_import = i + 1 == len(rows) or rows[i + 1][0] != imp
        if end_of_import and imp > imports_before:
            for (u, y) in {(r[1], r[2]) for r in rows if r[0] == imp}:
                fr = [FigureRow(u, y, k, v) for k, v in state[(u, y)].items() if k in cat]
                _c, fs = check_unit_year(fr, cat, require=False)
                bad = [f.line() for f in fs if f.rule in RELATION_RULES and f.is_error]
                if bad:
                    broken.append(f"after import #{imp}, {u}/{y}: {bad[0]}")
    assert broken == [], f"seed {SEED}: a committed state broke a relation:\n" + "\n".join(broken)

    # the history is complete: nothing overwritten, every written file whole, the others absent
    after = dump(db)
    assert set(before) <= set(after), "a stored row was changed or deleted"
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == imports_before + len(written)
        for imp, (path, changed, values) in written.items():
            sha, = con.execute("SELECT sha256 FROM imports WHERE id=?", (imp,)).fetchone()
            assert sha == hashlib.sha256(path.read_bytes()).hexdigest(), path.name
            revs = con.execute("SELECT indicator, value FROM figure_revisions WHERE import_id=?", (imp,)).fetchall()
            assert len(revs) == changed, path.name
            for ind, val in revs:
                assert val == canonical(Decimal(values[ind].replace(",", "."))), (path.name, ind)
        stored_shas = {r[0] for r in con.execute("SELECT sha256 FROM imports")}
        for path, *_ in files:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            assert (sha in stored_shas) == any(p == path for p, _c, _v in written.values()), path.name
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()
    assert integrity(db) == "ok"
