"""Helpers of the hardening tests (issue "bounded input, checks inside the write transaction, clean
failure on full disks and broken stores"). They sit beside tests/_util.py and use the same fixtures
(tests/conftest.py: ``store``, ``reference_db``, the isolated DANVAN_* environment).

Conventions the tests assume of the fix (one place to change them):

* exit codes: 0 ok, 1 a file/report had errors, 2 bad usage (an argument names something that is not
  what it must be: a directory for a file, a file for a directory, a run set that is not UTF-8 YAML, a
  notebook that is not one ...), 3 outputs locked (existing), **4 a machine fault**: disk full,
  read-only store or outputs, damaged store (new);
* every message is Vietnamese and no command prints a Python traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from _util import corpus_module, integrity, reference_values, write_csv  # noqa: F401  (the hardening tests import them from here)

def _repo() -> Path:
    """The danvan checkout: the parent of tests/ where these files belong, else where danvan runs from."""
    here = Path(__file__).resolve().parents[1]
    if (here / "pyproject.toml").exists() and (here / "danvan").is_dir():
        return here
    from danvan.core.settings import project_root

    root = project_root()
    if root is None:
        raise RuntimeError("copy these files into the tests/ folder of a danvan checkout")
    return root


REPO = _repo()
BAD = REPO / "tests" / "data" / "bad"
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"
BASE_XLSX = BAD / "xlsx_percent_formatted_cell.xlsx"  # a valid filled form of 19780/2024
UNIT, YEAR = "19780", 2024

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_LOCKED, EXIT_FAULT = 0, 1, 2, 3, 4

# a message that says the disk is full, in Vietnamese
DISK_FULL = re.compile(r"(đĩa|ổ|thiết bị|bộ nhớ)[^\n]*(đầy|hết chỗ|hết dung lượng|không còn chỗ)", re.I)
READ_ONLY = re.compile(r"chỉ đọc|không (có quyền )?ghi (được|vào)", re.I)


# ---- running danvan -------------------------------------------------------------------------------
def danvan(*args, env: dict | None = None, timeout: float = 600, cwd=None) -> subprocess.CompletedProcess:
    """``danvan ARGS`` in a subprocess (what a user sees: exit code, stdout, stderr)."""
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("MPLBACKEND", "Agg")
    return subprocess.run([sys.executable, "-m", "danvan", *map(str, args)], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd)


def run_main(argv, capsys) -> tuple[int, str, str]:
    """``danvan.cli.main.main(argv)`` in this process: ``(exit code, stdout, stderr)``. An exception that
    escapes ``main`` (a traceback, for a user) fails the test where it is raised."""
    from danvan.cli.main import main

    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse and resolve_notebook exit this way
        rc = exc.code if isinstance(exc.code, int) else 2
    out = capsys.readouterr()
    return rc, out.out, out.err


def assert_clean(proc_or_text, *, rc: int | None = None) -> str:
    """No traceback and (optionally) the expected exit code; returns stdout+stderr."""
    if isinstance(proc_or_text, subprocess.CompletedProcess):
        text = proc_or_text.stdout + proc_or_text.stderr
        if rc is not None:
            assert proc_or_text.returncode == rc, f"exit {proc_or_text.returncode}, expected {rc}:\n{text[-3000:]}"
    else:
        text = proc_or_text
    assert "Traceback (most recent call last)" not in text, text[-3000:]
    return text


# ---- input files ----------------------------------------------------------------------------------
def row_of(ws, code: str) -> int:
    """The row of indicator ``code`` on the data sheet of a form."""
    return corpus_module().row_of(ws, code)


def edited_xlsx(path: Path, edit, base: Path = BASE_XLSX) -> Path:
    """A copy of a valid filled form (19780/2024) changed by ``edit(wb, ws_data)``."""
    import openpyxl

    wb = openpyxl.load_workbook(base)
    edit(wb, wb["Số liệu"])
    wb.save(path)
    return path


def set_value(code: str, value, fmt: str | None = None):
    def edit(wb, ws):
        c = ws.cell(row_of(ws, code), 6)
        c.value = value
        if fmt:
            c.number_format = fmt
    return edit


# ---- the machine: tmpfs, full disks, read-only places ---------------------------------------------
def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _mount(*args) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "8m"):
    """A small tmpfs at ``path`` (root only: skipped with the reason elsewhere)."""
    if not _is_root() or shutil.which("mount") is None or not sys.platform.startswith("linux"):
        pytest.skip("needs root on Linux to mount a small tmpfs (full-disk / read-only mount cases)")
    path.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc})")
    try:
        yield path
    finally:
        for _ in range(20):
            r = subprocess.run(["umount", str(path)], capture_output=True)
            if r.returncode == 0:
                break
            import time

            time.sleep(0.25)  # a process we started may still hold a file open
        else:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount_ro(path: Path) -> None:
    _mount("-o", "remount,ro", str(path))


def remount_rw(path: Path) -> None:
    _mount("-o", "remount,rw", str(path))


def fill(mount: Path, leave_bytes: int) -> Path:
    """Fill the tmpfs at ``mount`` so that about ``leave_bytes`` stay free; returns the filler file."""
    filler = mount / f".filler-{uuid.uuid4().hex[:6]}"
    st = os.statvfs(mount)
    free = st.f_bavail * st.f_frsize
    size = max(0, free - leave_bytes)
    with open(filler, "wb") as fh:
        chunk = b"\0" * (1 << 16)
        try:
            while size > 0:
                n = fh.write(chunk[: min(len(chunk), size)])
                size -= n
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return filler


def free_bytes(mount: Path) -> int:
    st = os.statvfs(mount)
    return st.f_bavail * st.f_frsize


@contextlib.contextmanager
def read_only_dir(path: Path, size: str = "8m"):
    """A directory nothing can be written to: a tmpfs remounted read-only (root), else chmod 555.
    Fill it inside the ``with`` before calling ``.make_ro()``: yields a callable that makes it read-only."""
    if _is_root():
        with tmpfs(path, size):
            yield lambda: remount_ro(path)
            with contextlib.suppress(Exception):
                remount_rw(path)
    else:
        path.mkdir(parents=True, exist_ok=True)

        def make_ro():
            for p in [path, *path.rglob("*")]:
                p.chmod(0o555 if p.is_dir() else 0o444)

        try:
            yield make_ro
        finally:
            for p in [path, *path.rglob("*")]:
                with contextlib.suppress(OSError):
                    p.chmod(0o755 if p.is_dir() else 0o644)


# ---- outputs --------------------------------------------------------------------------------------
def incomplete_outputs(outputs: Path) -> list[str]:
    """Files under a final (non-hidden) name that are not complete: empty, truncated HTML, a notebook
    or JSON that does not parse, a PDF without %%EOF, a DOCX that is not a zip."""
    import json
    import zipfile

    import nbformat

    bad = []
    for p in sorted(outputs.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        data = p.read_bytes()
        why = ""
        if not data:
            why = "empty"
        elif p.suffix == ".html" and not data.rstrip().endswith(b"</html>"):
            why = "truncated html"
        elif p.suffix == ".pdf" and b"%%EOF" not in data[-1024:]:
            why = "truncated pdf"
        elif p.suffix == ".json":
            try:
                json.loads(data)
            except ValueError:
                why = "bad json"
        elif p.suffix == ".ipynb":
            try:
                nbformat.reads(data.decode("utf-8"), as_version=4)
            except Exception as exc:  # noqa: BLE001
                why = f"bad notebook ({type(exc).__name__})"
        elif p.suffix == ".docx":
            try:
                zipfile.ZipFile(p).testzip()
            except Exception:  # noqa: BLE001
                why = "bad docx"
        if why:
            bad.append(f"{p.relative_to(outputs)}: {why} ({len(data)} bytes)")
    return bad


def children_of(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# ---- the store ------------------------------------------------------------------------------------
def relation_errors(db, unit: str, year: int, catalogue=None) -> list[str]:
    """Relation findings (parts and totals, ratios) of what the store holds for one unit-year."""
    from danvan.reference.catalogue import load_catalogue
    from danvan.store import Store
    from danvan.intake.validate import RELATION_RULES, FigureRow, check_unit_year

    cat = catalogue or load_catalogue()
    figs = Store(db).figures(unit, year)
    rows = [FigureRow(unit, year, k, v) for k, v in figs.items() if k in cat]
    _chosen, findings = check_unit_year(rows, cat, require=False)
    return [f.line() for f in findings if f.rule in RELATION_RULES and f.is_error]


def file_digest(path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
