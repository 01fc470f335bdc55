"""Files: atomic writes, machine faults, what kind of file a path names, and content digests.

Every file danvan writes for people or for later runs appears under its final name only when it is
complete: it is written to a temporary file in the same directory, flushed to disk (``fsync``),
renamed over the final name, and the directory is flushed too. A full disk or a read-only place
leaves the final name as it was and raises a :class:`~danvan.core.errors.MachineFault` whose
Vietnamese message names the file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import DanvanError, DiskFull, MachineFault, NotWritable

__all__ = ["atomic_write", "commit_file", "fsync_dir", "machine_fault", "file_kind", "KIND_VI", "read_text",
           "sha256_file", "sha256_text", "tree_digest"]

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS}
_NO_PERMISSION = {errno.EACCES, errno.EPERM}


def machine_fault(exc: OSError, path=None, what: str = "tệp", action: str = "ghi") -> MachineFault:
    """The :class:`MachineFault` (Vietnamese message naming ``what`` ``path``) of an ``OSError``:
    :class:`DiskFull` for a full disk, :class:`NotWritable` for a read-only or forbidden place."""
    where = f"{what} {path if path is not None else (exc.filename or '')}".strip()
    head = f"không {action} được {where}"
    if exc.errno in _FULL:
        return DiskFull(f"{head}: ổ đĩa đã đầy (hết chỗ trống). Hãy giải phóng chỗ trống rồi chạy lại lệnh; "
                        "các tệp đã có vẫn giữ nguyên như trước.")
    if exc.errno in _READ_ONLY:
        return NotWritable(f"{head}: ổ đĩa chỉ đọc (read-only). Hãy chọn một thư mục ghi được.")
    if exc.errno in _NO_PERMISSION:
        return NotWritable(f"{head}: không có quyền ghi (thư mục chỉ đọc đối với người dùng này). "
                           "Hãy chọn một thư mục ghi được hoặc xin cấp quyền.")
    return MachineFault(f"{head}: {exc.strerror or exc} (lỗi hệ thống {exc.errno}).")


def fsync_dir(path: str | os.PathLike) -> None:
    """Flush a directory entry (a rename inside it) to disk; a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a directory: the rename itself is done
        pass
    finally:
        os.close(fd)


def commit_file(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Make the complete temporary file ``tmp`` (same directory) appear as ``path``: fsync, rename,
    fsync the directory. ``OSError`` is left to the caller (who knows what the file is)."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(Path(path).parent)


def atomic_write(path: str | os.PathLike, data: bytes | str, *, what: str = "tệp") -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory, ``fsync`` and ``os.replace``.

    On a full disk or a read-only place nothing appears under ``path`` (an existing file stays as it
    was), the temporary file is removed, and a :class:`MachineFault` naming ``what`` ``path`` is raised.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
        fsync_dir(path.parent)
    except OSError as exc:
        raise machine_fault(exc, path, what) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


#: what :func:`file_kind` found, in Vietnamese ("... là một thư mục")
KIND_VI = {
    "missing": "không tồn tại",
    "dangling": "một liên kết trỏ tới tệp không có",
    "directory": "một thư mục",
    "fifo": "một ống dẫn (FIFO)",
    "device": "một thiết bị",
    "socket": "một socket",
    "pseudo": "một tệp ảo của hệ điều hành (/proc, /sys, /dev)",
    "unreadable": "không đọc được (không có quyền)",
    "other": "không phải tệp thông thường",
}
_PSEUDO_ROOTS = ("/proc/", "/sys/", "/dev/")
_NOT_PSEUDO = ("/dev/shm/",)  # tmpfs: ordinary files


def file_kind(path: str | os.PathLike) -> str:
    """``"file"`` for a regular file danvan may read, else a key of :data:`KIND_VI`. Never opens the
    path (opening a FIFO blocks) and never reads it; symbolic links are followed, and a regular
    file of a pseudo filesystem (``/proc/self/status``) is not a file a user meant to give."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "dangling" if os.path.lexists(path) else "missing"
    except PermissionError:
        return "unreadable"
    except OSError:
        return "other"
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    if not stat.S_ISREG(mode):
        return "other"
    real = os.path.realpath(path)
    if real.startswith(_PSEUDO_ROOTS) and not real.startswith(_NOT_PSEUDO):
        return "pseudo"
    return "file"


def read_text(path: str | os.PathLike, what: str, error: type[DanvanError]) -> str:
    """The text of a UTF-8 file a user named (a catalogue, a registry, a run set), or ``error``
    naming the file: not a regular file (nothing of it is read or echoed), unreadable, not UTF-8."""
    kind = file_kind(path)
    if kind != "file":
        raise error(f"{path}: không phải {what}: đường dẫn là {KIND_VI[kind]}")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"{path}: không đọc được {what} ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: {what} không phải văn bản UTF-8 (byte {exc.start}); hãy lưu lại tệp dạng UTF-8 "
                    "(Notepad: Save As › Encoding: UTF-8)") from None


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def tree_digest(root: str | os.PathLike) -> str:
    """sha256 over every file below ``root`` (relative path and bytes, in sorted order), leaving
    out byte-code caches: the same tree gives the same digest on any machine."""
    root = Path(root)
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if p.suffix in _SKIP_SUFFIXES:
                continue
            h.update(p.relative_to(root).as_posix().encode("utf-8") + b"\0")
            h.update(p.read_bytes())
            h.update(b"\0")
    return h.hexdigest()
