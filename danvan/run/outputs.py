"""The outputs folder of a batch: its lock, the manifest of every report, and the sweeping of
temporary files a killed run left behind (the portal page: :mod:`danvan.run.portal`)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path

from .. import __version__
from ..core.errors import OutputsLocked, UsageError
from ..core.files import atomic_write, machine_fault

__all__ = ["MANIFEST", "INDEX", "LOCK", "check_outputs_dir", "outputs_lock", "read_manifest", "write_manifest",
           "relative_files", "sweep_temp_files"]

MANIFEST = "manifest.json"
INDEX = "index.html"
LOCK = ".danvan.lock"


def check_outputs_dir(outputs: Path) -> Path:
    """``outputs`` is (or can be made) a directory danvan can write into, else a clear error before
    anything runs: a :class:`UsageError` (exit 2) when it, or a folder above it, is a file; a
    :class:`MachineFault` (exit 4) when it is read-only, not writable, or the disk is full. Leaves
    nothing behind (the folder itself is made by :func:`outputs_lock`)."""
    outputs = Path(outputs)
    existing = next((p for p in (outputs, *outputs.absolute().parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "" if existing == outputs else f" ({existing} là một tệp)"
        raise UsageError(f"thư mục kết quả {outputs}{where}: là một tệp, không phải thư mục; hãy chọn một thư mục "
                         "bằng --outputs (hoặc DANVAN_OUTPUTS)")
    try:  # can a file be made there? (EROFS / EACCES now, not a traceback half-way)
        fd, probe = tempfile.mkstemp(prefix=".danvan-probe.", suffix=".tmp", dir=existing or ".")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise machine_fault(exc, outputs, "vào thư mục kết quả") from exc
    return outputs


@contextlib.contextmanager
def outputs_lock(outputs: Path):
    """Exclusive lock on an outputs directory (released by the OS if the process dies), taken after
    :func:`check_outputs_dir`."""
    outputs = check_outputs_dir(outputs)
    try:
        outputs.mkdir(parents=True, exist_ok=True)
        fh = open(outputs / LOCK, "a+")
    except OSError as exc:
        raise machine_fault(exc, outputs / LOCK, "tệp khoá của thư mục kết quả") from exc
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "?"
        fh.close()
        raise OutputsLocked(
            f"another danvan run or render (pid {holder}) is writing {outputs}; wait for it to finish, "
            "or use a different --outputs directory"
        ) from None
    try:
        with contextlib.suppress(OSError):  # (the pid is for the message of a second run; a full disk may refuse it)
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
    atomic_write(outputs / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True),
                 what="manifest")


def sweep_temp_files(outputs: Path) -> None:
    """Remove temporary files a killed run left (hidden names; never visible as reports)."""
    for p in outputs.glob("*/*/.*.tmp*"):
        p.unlink(missing_ok=True)
    for p in outputs.glob(".*.tmp"):
        p.unlink(missing_ok=True)

