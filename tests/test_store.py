"""Store: every revision kept, nothing overwritten; schema migration; a crash mid-import leaves the
store as it was; readers are not blocked by a writer (WAL).

Equality of stores is checked on a logical dump (``iterdump``) plus ``PRAGMA integrity_check``:
in WAL mode the main file's bytes depend on checkpoint timing and a killed writer may leave a -wal
file with uncommitted frames that SQLite ignores, so raw bytes are not a meaningful comparison.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path


from danvan.intake.importer import import_files
from danvan.store import FigureValue, Store
from _util import integrity, wait_for_marker
from _util import store_dump as dump

REPO = Path(__file__).resolve().parents[1]
UNIT = "19780"


def write(store: Store, value, *, year=2024, code="REV_TOTAL", by="test", illustrative=False, note=""):
    return store.write_import(
        file=f"f-{value}.csv", sha256=f"sha-{value}", catalogue_version="v", catalogue_digest="d", by=by,
        figures=[FigureValue(UNIT, year, code, None if value is None else Decimal(value), note)],
        illustrative=illustrative,
    )


def test_every_revision_is_kept(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    r1 = write(store, "100", by="A")
    r2 = write(store, "120", by="B", note="điều chỉnh")
    r3 = write(store, "120", by="C")  # same value: nothing new
    assert r1.changed == r2.changed == 1 and r3.import_id is None and r3.unchanged == 1
    hist = store.history(UNIT, 2024, "REV_TOTAL")
    assert [(h.value, h.by, h.file, h.note) for h in hist] == [
        (Decimal(100), "A", "f-100.csv", ""), (Decimal(120), "B", "f-120.csv", "điều chỉnh")]
    assert store.figures(UNIT, 2024) == {"REV_TOTAL": Decimal(120)}
    write(store, None)  # withdrawn: a revision too, and the figure is no longer current
    assert store.figures(UNIT, 2024) == {} and len(store.history(UNIT, 2024, "REV_TOTAL")) == 3
    assert store.revision_counts(UNIT, 2024) == {"REV_TOTAL": 3}


def test_real_data_confirming_an_illustrative_value_is_a_new_revision(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    write(store, "100", illustrative=True)
    assert store.snapshot(UNIT, 2024)["illustrative"] is True
    assert write(store, "100").changed == 1  # same value, now from real data
    assert store.snapshot(UNIT, 2024)["illustrative"] is False


def test_text_history(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    for body in ("Lần một.\n", "Lần hai.\n", "Lần hai.\n"):
        store.write_import(file="t.xlsx", sha256=body, catalogue_version="v", catalogue_digest="d",
                           texts={(UNIT, 2024, "I"): body})
    assert [t.body for t in store.text_history(UNIT, 2024, "I")] == ["Lần một.\n", "Lần hai.\n"]


_V1_SCHEMA = """
CREATE TABLE store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO store_info VALUES ('schema_version', '1');
CREATE TABLE imports(id INTEGER PRIMARY KEY, at TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL,
    by TEXT NOT NULL, catalogue_version TEXT NOT NULL, catalogue_digest TEXT NOT NULL,
    illustrative INTEGER NOT NULL DEFAULT 0, note TEXT NOT NULL DEFAULT '');
CREATE TABLE figure_revisions(id INTEGER PRIMARY KEY, unit_code TEXT NOT NULL CHECK (typeof(unit_code) = 'text'),
    year INTEGER NOT NULL, indicator TEXT NOT NULL, value TEXT, import_id INTEGER NOT NULL REFERENCES imports(id));
INSERT INTO imports VALUES (1, '2024-01-01T00:00:00+00:00', 'old.csv', 'abc', 'cũ', 'v', 'd', 0, '');
INSERT INTO figure_revisions VALUES (1, '19780', 2023, 'REV_TOTAL', '7967592178', 1);
"""


def test_a_version_1_store_is_migrated_in_place(tmp_path):
    path = tmp_path / "v1.sqlite"
    con = sqlite3.connect(path)
    con.executescript(_V1_SCHEMA)
    con.close()
    store = Store(path)
    assert store.history(UNIT, 2023, "REV_TOTAL")[0].note == ""  # readable before migration
    write(store, "8000000000", year=2023, note="mới")
    hist = store.history(UNIT, 2023, "REV_TOTAL")
    assert [(str(h.value), h.by, h.note) for h in hist] == [("7967592178", "cũ", ""), ("8000000000", "test", "mới")]
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM store_info WHERE key='schema_version'").fetchone()[0] == "3"
    assert "written" in {r[1] for r in con.execute("PRAGMA table_info(figure_revisions)")}
    con.close()
    assert store.snapshot(UNIT, 2023)["written"] == {}  # the old rows stay plain figures


# ---- crash and concurrency ------------------------------------------------------------------------
def _csv(path: Path, value: str) -> Path:
    with open(REPO / "data" / "reference" / UNIT / "2023" / "figures.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["unit_code", "year", "indicator", "value"])
        for r in rows:
            w.writerow([UNIT, 2023, r["indicator"], value if r["indicator"] == "REV_TOTAL" else r["value"]])
    return path


def _start_paused_import(file: Path, db: Path, marker: Path) -> subprocess.Popen:
    env = dict(os.environ, DANVAN_TEST_PAUSE_IN_TRANSACTION="60", DANVAN_TEST_PAUSE_MARKER=str(marker),
               PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from danvan.cli.intake import register; import argparse;"
         "p = argparse.ArgumentParser(); register(p.add_subparsers(dest='command'));"
         "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))",
         "import", str(file), "--db", str(db)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    wait_for_marker(marker, proc)
    return proc


def test_kill_during_import_leaves_the_store_as_it_was(store, tmp_path):
    before = dump(store.path)
    snap_before = store.snapshot(UNIT, 2023)
    proc = _start_paused_import(_csv(tmp_path / "changed.csv", "9999999999"), store.path, tmp_path / "in-tx")
    try:
        # the importer holds the write lock with its rows inserted but not committed:
        # a reader (a report rendering) is not blocked and sees the last committed state
        t0 = time.monotonic()
        snap = store.snapshot(UNIT, 2023)
        assert time.monotonic() - t0 < 5
        assert snap["figures"]["REV_TOTAL"] == Decimal("7967592178")
        assert snap["fingerprint"] == snap_before["fingerprint"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert dump(store.path) == before
    assert integrity(store.path) == "ok"
    # the store is usable after the crash: the same file now imports whole
    (o,) = import_files([tmp_path / "changed.csv"], store)
    assert o.status == "written" and store.figures(UNIT, 2023)["REV_TOTAL"] == Decimal("9999999999")
    assert integrity(store.path) == "ok"


def test_a_second_writer_waits_for_the_first(store, tmp_path):
    import threading

    proc = _start_paused_import(_csv(tmp_path / "a.csv", "1"), store.path, tmp_path / "in-tx")
    result = {}
    other = _csv(tmp_path / "b.csv", "2")
    t = threading.Thread(target=lambda: result.update(o=import_files([other], Store(store.path))[0]))
    try:
        t.start()
        time.sleep(1.0)
        assert t.is_alive(), "the second import waits on the lock (busy timeout), it does not fail"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    t.join(timeout=60)
    assert result["o"].status == "written"
    assert store.figures(UNIT, 2023)["REV_TOTAL"] == Decimal("2")
    assert [str(r.value) for r in store.history(UNIT, 2023, "REV_TOTAL")] == ["7967592178", "2"]
    assert integrity(store.path) == "ok"


def test_reading_a_store_never_writes_to_it(store):
    before = dump(store.path)
    store.snapshot(UNIT, 2023)
    store.history(UNIT, 2023, "REV_TOTAL")
    assert dump(store.path) == before
