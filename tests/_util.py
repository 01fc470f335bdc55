"""Small helpers shared by several test modules."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import functools
import importlib.util
import sqlite3
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REF_CSV = REPO / "data" / "reference" / "19780" / "2023" / "figures.csv"
UNIT, YEAR = "19780", 2024


def store_dump(path) -> list[str]:
    """Logical dump of a SQLite store (SQL statements): equal dumps mean equal content, whatever
    the WAL/page layout (raw bytes of a WAL database are not comparable)."""
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


@contextlib.contextmanager
def file_lock(path: Path):
    """Exclusive lock on ``path`` across pytest-xdist workers (one shared render per session)."""
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def integrity(path) -> str:
    """``PRAGMA integrity_check`` of a store: "ok" when it is sound."""
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def reference_values() -> dict[str, str]:
    """indicator -> value of the reference unit-year (19780/2023)."""
    with open(REF_CSV, encoding="utf-8") as fh:
        return {r["indicator"]: r["value"] for r in csv.DictReader(fh)}


def write_csv(path: Path, values: dict[str, str], unit=UNIT, year=YEAR, notes=None) -> Path:
    """A tidy figures CSV (``unit_code,year,indicator,value,note``) of one unit-year."""
    notes = notes or {}
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["unit_code", "year", "indicator", "value", "note"])
        for k, v in values.items():
            w.writerow([unit, year, k, v, notes.get(k, "")])
    return path


def wait_for_marker(marker: Path, proc, seconds: float = 60) -> None:
    """Wait until a paused importer (DANVAN_TEST_PAUSE_MARKER) is inside its write transaction."""
    deadline = time.monotonic() + seconds
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"importer ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("importer never reached its transaction")
        time.sleep(0.05)


def demo_store(folder: Path, wards, years=(2022, 2023)) -> Path:
    """A store with the reference data and the illustrative demo data of ``wards`` × ``years``."""
    from danvan.intake.demo import load_demo
    from danvan.intake.unitdir import bootstrap_default_store
    from danvan.store import Store

    path = folder / "demo.sqlite"
    bootstrap_default_store(Store(path))
    load_demo(Store(path), [(c, y) for c in wards for y in years])
    return path


@functools.lru_cache(maxsize=1)
def corpus_module():
    """``tests/data/bad/make_corpus.py`` as a module (its encoders and form helpers)."""
    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "tests" / "data" / "bad" / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
