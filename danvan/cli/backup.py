"""``danvan backup``: a consistent copy of the store, taken while others read and write it."""

from __future__ import annotations

from pathlib import Path

from ..store import Store
from .options import add_db

__all__ = ["register"]


def _cmd_backup(args) -> int:
    store = Store(args.db or None).require()
    out = store.backup(Path(args.out), force=args.force)
    print(f"Đã sao lưu kho dữ liệu {store.path} vào {out} ({out.stat().st_size / 1024:.0f} kB, đã kiểm tra toàn vẹn).")
    print(f"Khôi phục khi cần: chép {out} đè lên {store.path} (khi không có lệnh danvan nào đang chạy).")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "backup", help="copy the store to a file (online: imports and reports may run meanwhile)",
        description="Copy the SQLite store with SQLite's online backup API: a consistent snapshot of what is "
                    "committed, checked with PRAGMA integrity_check, written to a temporary file and renamed "
                    "(never a half-written backup). A damaged store is refused. An existing OUT is kept unless "
                    "--force.",
        epilog="example: danvan backup sao-luu/danvan-2024-06-01.sqlite",
    )
    p.add_argument("out", metavar="OUT", help="the backup file to write")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    add_db(p)
    p.set_defaults(func=_cmd_backup)
