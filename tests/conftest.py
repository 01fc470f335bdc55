"""Shared fixtures. Every test that touches a store gets its own temporary SQLite file; nothing
writes to the developer's default store or to outputs/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seed" / "000_80b070889012a684.txt"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test reads the developer's default store, outputs or user catalogues by accident."""
    monkeypatch.setenv("DANVAN_DB", str(tmp_path / "default-store.sqlite"))
    monkeypatch.setenv("DANVAN_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.delenv("DANVAN_CATALOGUE", raising=False)
    monkeypatch.delenv("DANVAN_TEMPLATES", raising=False)
    monkeypatch.delenv("DANVAN_UNITS", raising=False)
    monkeypatch.delenv("DANVAN_PROFILES", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def reference_db(tmp_path_factory) -> Path:
    """A store holding the reference data only (built once per session; copy it before writing)."""
    from danvan.intake.unitdir import bootstrap_default_store
    from danvan.store import Store

    path = tmp_path_factory.mktemp("refstore") / "reference.sqlite"
    bootstrap_default_store(Store(path))
    return path


@pytest.fixture(scope="module")
def wards_db(tmp_path_factory, request) -> Path:
    """A store with the reference data and the demo data of the test module's ``WARDS`` in 2022 and
    2023 (built once per module; copy it before writing: fixture ``db``)."""
    from _util import demo_store

    return demo_store(tmp_path_factory.mktemp("demo"), request.module.WARDS)


@pytest.fixture
def db(wards_db, tmp_path) -> Path:
    """A private writable copy of ``wards_db``."""
    dst = tmp_path / "db.sqlite"
    shutil.copy(wards_db, dst)
    return dst


@pytest.fixture
def store(reference_db, tmp_path):
    """A private writable copy of the reference store."""
    from danvan.store import Store

    dst = tmp_path / "store.sqlite"
    shutil.copy(reference_db, dst)
    return Store(dst)


@pytest.fixture(scope="session")
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"reference report not found at {SEED}")
    import unicodedata

    return unicodedata.normalize("NFC", SEED.read_text(encoding="utf-8"))
