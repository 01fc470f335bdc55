"""A store with the reference data and the illustrative demo data (36 Huế units × 2021–2024), built
once per test process and shared read-only by the city/time/QA tests; tests that write copy it."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_BUILT: dict[str, Path] = {}


def demo_db_path() -> Path:
    if "db" not in _BUILT:
        from danvan.intake.demo import load_demo
        from danvan.intake.unitdir import bootstrap_default_store
        from danvan.store import Store

        tmp = tempfile.mkdtemp(prefix="danvan-demo-test-")
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        path = Path(tmp) / "demo.sqlite"
        store = Store(path)
        bootstrap_default_store(store)
        load_demo(store)
        _BUILT["db"] = path
    return _BUILT["db"]


def writable_copy(dst_dir: Path) -> Path:
    """A private copy of the demo store (the WAL is checkpointed into the main file on close)."""
    dst = Path(dst_dir) / "demo-copy.sqlite"
    shutil.copy(demo_db_path(), dst)
    return dst
