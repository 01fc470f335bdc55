"""The outputs folder of a batch: its lock, the manifest of every report, and the sweeping of
temporary files a killed run left behind (the portal page: :mod:`danvan.run.portal`)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path

from .. import __version__
from ..core.errors import OutputsLocked
from ..core.files import atomic_write

__all__ = ["MANIFEST", "INDEX", "LOCK", "outputs_lock", "read_manifest", "write_manifest", "relative_files",
           "sweep_temp_files"]

MANIFEST = "manifest.json"
INDEX = "index.html"
LOCK = ".danvan.lock"


@contextlib.contextmanager
def outputs_lock(outputs: Path):
    """Exclusive lock on an outputs directory (released by the OS if the process dies)."""
    outputs.mkdir(parents=True, exist_ok=True)
    fh = open(outputs / LOCK, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "?"
        fh.close()
        raise OutputsLocked(
            f"another danvan run (pid {holder}) is writing {outputs}; wait for it to finish, "
            "or use a different --outputs directory"
        ) from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def read_manifest(outputs: Path) -> dict:
    p = outputs / MANIFEST
    if not p.exists():
        return {"danvan": __version__, "reports": {}}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError:  # never happens with atomic writes; be safe anyway
        return {"danvan": __version__, "reports": {}}


def relative_files(outputs: Path, files: dict) -> dict:
    out = {}
    for k, v in files.items():
        try:
            out[k] = str(Path(v).resolve().relative_to(outputs.resolve()))
        except ValueError:
            out[k] = str(v)
    return out


def write_manifest(outputs: Path, manifest: dict) -> None:
    manifest["danvan"] = __version__
    manifest["reports"] = dict(sorted(manifest["reports"].items()))
    atomic_write(outputs / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))


def sweep_temp_files(outputs: Path) -> None:
    """Remove temporary files a killed run left (hidden names; never visible as reports)."""
    for p in outputs.glob("*/*/.*.tmp*"):
        p.unlink(missing_ok=True)
    for p in outputs.glob(".*.tmp"):
        p.unlink(missing_ok=True)

