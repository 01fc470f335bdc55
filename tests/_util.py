"""Small helpers shared by several test modules."""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from pathlib import Path


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
