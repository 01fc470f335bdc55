"""Embedded store (SQLite, WAL) of figures, free-text sections and report metadata, with revisions.

Nothing is overwritten in place: every import appends an ``imports`` row (when, file, sha256, by
whom, catalogue version) and one revision per value that changed. The current value of a figure is
its latest revision. One import is one transaction: a file is stored whole or not at all.

Default location: ``$DANVAN_DB``, else ``data/danvan.sqlite`` in a source checkout, else
``~/.local/share/danvan/danvan.sqlite`` (:mod:`danvan.core.settings`). Readers never block writers
(WAL) and wait for a busy writer up to ``BUSY_TIMEOUT_S`` seconds. Reading never creates a store:
only a write connection (set-up and import) creates or migrates one.

Faults: read connections open the file ``mode=ro`` (and ``immutable=1`` on a read-only mount, where
SQLite cannot create the ``-shm`` file of a WAL store). The first write connection of a
:class:`Store` runs ``PRAGMA quick_check`` before anything is written. SQLite errors that are the
machine's, not the caller's, become :class:`~danvan.core.errors.MachineFault` subclasses with a
Vietnamese message: :class:`StoreDamaged` (with how to restore from a backup, :meth:`Store.backup`),
:class:`DiskFull`, :class:`NotWritable`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import hashlib
import json
import os
import sqlite3
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Context, Decimal
from pathlib import Path

from ..core import settings
from ..core.errors import DiskFull, MachineFault, NotWritable, StoreDamaged, StoreMissingError, StoreSubsetError, UsageError
from ..core.files import commit_file, machine_fault
from ..reference.catalogue import json_default

__all__ = ["Store", "Revision", "TextRevision", "ImportResult", "FigureValue", "canonical", "store_fault",
           "META_SECTION", "later_columns", "subset_rows", "write_subset"]

SCHEMA_VERSION = 3  # 2: figure_revisions.note, units, catalogues; 3: figure_revisions.written
BUSY_TIMEOUT_S = 60
META_SECTION = "@meta"  # report metadata (issuing body, number, signer ...) stored as JSON text

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS imports(
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    by TEXT NOT NULL,
    catalogue_version TEXT NOT NULL,
    catalogue_digest TEXT NOT NULL,
    illustrative INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS figure_revisions(
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL CHECK (typeof(unit_code) = 'text'),
    year INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    value TEXT,                       -- canonical decimal text; NULL = withdrawn
    import_id INTEGER NOT NULL REFERENCES imports(id),
    note TEXT NOT NULL DEFAULT '',    -- the ward's note beside the value (form column "Ghi chú")
    written TEXT                      -- how the value was written (JSON: qualifier, range, ratio ...);
                                      -- NULL for a plain figure (danvan.core.written.to_storage)
);
CREATE INDEX IF NOT EXISTS figure_revisions_key ON figure_revisions(unit_code, year, indicator, id);
CREATE TABLE IF NOT EXISTS text_revisions(
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL CHECK (typeof(unit_code) = 'text'),
    year INTEGER NOT NULL,
    section TEXT NOT NULL,
    body TEXT NOT NULL,
    import_id INTEGER NOT NULL REFERENCES imports(id)
);
CREATE INDEX IF NOT EXISTS text_revisions_key ON text_revisions(unit_code, year, section, id);
-- registry rows of the units figures were imported for, and every catalogue version used
CREATE TABLE IF NOT EXISTS units(
    code TEXT NOT NULL CHECK (typeof(code) = 'text'),
    valid_from TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    parent_code TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '',
    valid_to TEXT NOT NULL DEFAULT '',
    successor_code TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (code, valid_from, name)
);
CREATE TABLE IF NOT EXISTS catalogues(
    digest TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    body TEXT NOT NULL                -- JSON: sections and indicators as loaded
);
CREATE VIEW IF NOT EXISTS current_figures AS
    SELECT r.* FROM figure_revisions r
    WHERE r.id = (SELECT MAX(id) FROM figure_revisions q
                  WHERE q.unit_code = r.unit_code AND q.year = r.year AND q.indicator = r.indicator);
CREATE VIEW IF NOT EXISTS current_texts AS
    SELECT r.* FROM text_revisions r
    WHERE r.id = (SELECT MAX(id) FROM text_revisions q
                  WHERE q.unit_code = r.unit_code AND q.year = r.year AND q.section = r.section);
"""


def canonical(value: Decimal | None) -> str | None:
    """Exact text of a Decimal without exponent or trailing zeros (``95.20`` -> ``95.2``).

    Exact for any finite Decimal, however many digits (never rounds, never raises
    ``InvalidOperation``); intake bounds the values it accepts long before that matters."""
    if value is None:
        return None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    d = value.normalize(Context(prec=max(1, len(value.as_tuple().digits))))
    return format(d, "f")


def later_columns(con: sqlite3.Connection, alias: str = "c") -> tuple[str, str]:
    """SQL for ``(note, written)`` of ``figure_revisions``: the columns when the store has them, else
    ``''`` / ``NULL``. Reading never migrates, so an older store is read as it is (no notes, every
    figure plain)."""
    cols = {r[1] for r in con.execute("PRAGMA table_info(figure_revisions)")}
    return (f"{alias}.note" if "note" in cols else "''", f"{alias}.written" if "written" in cols else "NULL")


def _restore_hint(path) -> str:
    return (f"Khôi phục: chép bản sao lưu gần nhất (tạo bằng `danvan backup`) đè lên {path} "
            f"(giữ lại tệp hỏng để đối chiếu), hoặc thử `sqlite3 {path} .recover`.")


def store_fault(exc: sqlite3.Error, path, *, writing: bool = False) -> MachineFault | None:
    """The :class:`MachineFault` an SQLite error means for the store at ``path``, or None when it is
    not the machine's (a programming error, a busy store: left as it is)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return StoreDamaged(f"Kho dữ liệu {path} bị hỏng ({text}); danvan không ghi gì thêm vào kho. "
                            + _restore_hint(path))
    if name == "SQLITE_FULL" or "disk is full" in text:
        return DiskFull(f"không ghi được vào kho dữ liệu {path}: ổ đĩa chứa kho đã đầy (hết chỗ trống); kho giữ "
                        "nguyên như trước. Hãy giải phóng chỗ trống rồi chạy lại lệnh.")
    if name.startswith("SQLITE_READONLY") or "readonly database" in text or (
            writing and (name.startswith("SQLITE_CANTOPEN") or "unable to open" in text)):
        return NotWritable(f"không ghi được vào kho dữ liệu {path}: kho nằm trên ổ chỉ đọc hoặc người dùng này "
                           "không có quyền ghi; kho giữ nguyên như trước.")
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) or "disk I/O error" in text or "unable to open" in text:
        return MachineFault(f"không đọc/ghi được kho dữ liệu {path} ({text}); kiểm tra ổ đĩa và quyền truy cập.")
    return None


def _migrate(con: sqlite3.Connection) -> None:
    """Bring a store made by an older danvan up to ``SCHEMA_VERSION`` (additive changes only)."""
    cols = {r[1] for r in con.execute("PRAGMA table_info(figure_revisions)")}
    for name, decl in (("note", "TEXT NOT NULL DEFAULT ''"), ("written", "TEXT")):
        if name in cols:
            continue
        try:
            con.execute(f"ALTER TABLE figure_revisions ADD COLUMN {name} {decl}")
        except sqlite3.OperationalError as exc:  # another connection migrated it first
            if "duplicate column" not in str(exc):
                raise
    con.execute(
        "UPDATE store_info SET value=? WHERE key='schema_version' AND CAST(value AS INTEGER) < ?",
        (str(SCHEMA_VERSION), SCHEMA_VERSION),
    )


@dataclass(frozen=True)
class FigureValue:
    unit_code: str
    year: int
    indicator: str
    value: Decimal | None
    note: str = ""  # kept with the revision; a new non-empty note alone makes a new revision too
    written: str | None = None  # how it was written (JSON, danvan.core.written); None for a plain figure


@dataclass(frozen=True)
class Revision:
    revision: int
    value: Decimal | None
    at: str
    file: str
    sha256: str
    by: str
    illustrative: bool
    note: str = ""
    import_id: int | None = None
    written: str | None = None


@dataclass(frozen=True)
class TextRevision:
    revision: int
    body: str
    at: str
    file: str
    sha256: str
    by: str
    import_id: int | None = None


@dataclass(frozen=True)
class ImportResult:
    import_id: int | None
    changed: int  # revisions written (a changed value, or the same value with a new note)
    unchanged: int
    texts_changed: int
    notes_only: int = 0  # of ``changed``: the value was the same, only the note is new


class Store:
    """A danvan SQLite store. Cheap to create; opens a connection per operation."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else settings.current().db
        self._verified = False  # quick_check passed on this Store's first write connection

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ---- connections ---------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def require(self) -> "Store":
        """This store, or a :class:`StoreMissingError` naming ``danvan setup`` when it does not exist."""
        if not self.path.exists():
            raise StoreMissingError(
                f"Chưa có kho dữ liệu {self.path}. Chạy `danvan setup` (hoặc `danvan setup --db {self.path}`) "
                "để tạo kho và nạp dữ liệu, hoặc `danvan import TỆP` để nhập số liệu."
            )
        return self

    @contextmanager
    def guarded(self, *, writing: bool = False):
        """SQLite errors inside the block that are the machine's become a :class:`MachineFault`."""
        try:
            yield
        except sqlite3.Error as exc:
            fault = store_fault(exc, self.path, writing=writing)
            if fault is None:
                raise
            raise fault from exc

    def _open_readonly(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri() + "?mode=ro"
        con = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opens the file (and -shm)
            return con
        except sqlite3.OperationalError as exc:
            con.close()
            folder = self.path.resolve().parent
            if os.access(folder, os.W_OK) or "unable to open" not in str(exc):
                raise
        # a read-only mount: SQLite cannot create the -shm file of a WAL store. Nobody can write
        # there, so the file cannot change under us: open it immutable, unless a WAL file holds
        # committed transactions that immutable mode would not see.
        wal = Path(f"{self.path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise NotWritable(
                f"kho dữ liệu {self.path} nằm trên ổ chỉ đọc và còn nhật ký {wal.name} chưa gộp vào kho; danvan "
                "không đọc được mà không bỏ sót số liệu. Hãy chép cả hai tệp sang một thư mục ghi được rồi dùng "
                "--db trỏ tới bản chép đó.")
        con = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=BUSY_TIMEOUT_S)
        con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return con

    def check_integrity(self, con: sqlite3.Connection) -> None:
        """``PRAGMA quick_check`` (every page read once: ~10 ms for the 4 MB sample store, ~1 s per
        100 MB); a damaged store is a :class:`StoreDamaged` naming how to restore it."""
        with self.guarded():
            rows = [r[0] for r in con.execute("PRAGMA quick_check(5)")]
        if rows != ["ok"]:
            raise StoreDamaged(f"Kho dữ liệu {self.path} bị hỏng (kiểm tra toàn vẹn: {'; '.join(rows)[:200]}); "
                               "danvan không ghi gì thêm vào kho. " + _restore_hint(self.path))

    def connect(self, *, readonly: bool = False) -> sqlite3.Connection:
        """A connection: read-only (never creates, never writes, works on a read-only mount), or a
        write connection that creates or migrates the store after checking its integrity."""
        if readonly:
            self.require()
            with self.guarded():
                con = self._open_readonly()
        else:
            self._check_writable()
            with self.guarded(writing=True):
                con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
                try:
                    if not self._verified:
                        self.check_integrity(con)
                        self._verified = True
                    con.execute("PRAGMA journal_mode=WAL")
                    con.execute("PRAGMA synchronous=NORMAL")
                    con.executescript(_SCHEMA)
                    _migrate(con)
                    con.execute(
                        "INSERT OR IGNORE INTO store_info(key, value) VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),),
                    )
                except BaseException:
                    con.close()
                    raise
        con.execute("PRAGMA foreign_keys=ON")
        return con

    def _check_writable(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise machine_fault(exc, self.path.parent, "thư mục của kho dữ liệu") from exc
        if not os.access(self.path.parent, os.W_OK) or (self.path.exists() and not os.access(self.path, os.W_OK)):
            raise NotWritable(f"không ghi được vào kho dữ liệu {self.path}: kho (hoặc thư mục của nó) chỉ đọc, hoặc "
                              "người dùng này không có quyền ghi; kho giữ nguyên như trước.")

    @contextmanager
    def transaction(self):
        """One write transaction (``BEGIN IMMEDIATE``); rolled back whole on any exception."""
        con = self.connect()
        try:
            with self.guarded(writing=True):
                con.execute("BEGIN IMMEDIATE")
                yield con
                con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def backup(self, out: str | os.PathLike, *, force: bool = False) -> Path:
        """A consistent copy of the store at ``out`` while others read and write it (SQLite's online
        backup API), checked (``integrity_check``) and written atomically (temporary file, fsync,
        rename). A damaged store is refused; an existing ``out`` only with ``force``."""
        out = Path(out)
        if out.is_dir():
            raise UsageError(f"{out} là một thư mục; hãy ghi tên tệp sao lưu, ví dụ {out / 'danvan-sao-luu.sqlite'}")
        if out.exists() and not force:
            raise UsageError(f"tệp {out} đã có; danvan không ghi đè bản sao lưu (thêm --force nếu muốn ghi đè)")
        if out.resolve() == self.path.resolve():
            raise UsageError(f"{out} chính là kho dữ liệu; hãy chọn một tệp khác")
        src = self.connect(readonly=True)
        tmp = None
        try:
            self.check_integrity(src)
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
                os.close(fd)
                dst = sqlite3.connect(tmp)
                try:
                    with self.guarded():
                        src.backup(dst, pages=1024, sleep=0.005)
                    dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                    check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                finally:
                    dst.close()
                if check != "ok":
                    raise StoreDamaged(f"bản sao lưu của {self.path} không toàn vẹn ({check}); không ghi {out}")
                commit_file(tmp, out)
                tmp = None
            except OSError as exc:
                raise machine_fault(exc, out, "bản sao lưu") from exc
            except sqlite3.Error as exc:
                fault = store_fault(exc, out, writing=True)
                if fault is None:
                    raise
                raise fault from exc
        finally:
            src.close()
            if tmp is not None:
                for leftover in (tmp, f"{tmp}-journal", f"{tmp}-wal", f"{tmp}-shm"):
                    with contextlib.suppress(OSError):
                        os.unlink(leftover)
        return out

    # ---- writing -------------------------------------------------------------------------
    def write_import(
        self,
        *,
        file: str,
        sha256: str,
        catalogue_version: str,
        catalogue_digest: str,
        figures: list[FigureValue] = (),
        texts: dict[tuple[str, int, str], str] | None = None,
        by: str | None = None,
        illustrative: bool = False,
        note: str = "",
        at: str | None = None,
        con: sqlite3.Connection | None = None,
        figure_rows=(),
    ) -> ImportResult:
        """Append the values that differ from the current ones, in one transaction.

        ``texts`` maps ``(unit_code, year, section)`` to Markdown (``META_SECTION`` for metadata).
        ``figure_rows`` is a faster alternative to ``figures`` for bulk imports: tuples
        ``(unit_code, year, indicator, canonical value text or None, note[, written])``.
        A value is new when its number **or** how it was written changed ("hơn 4,5 tỷ" is not
        "4,5 tỷ"). An import that changes nothing writes nothing (``import_id`` is None).
        """
        if con is None:
            with self.transaction() as tx:
                return self.write_import(
                    file=file, sha256=sha256, catalogue_version=catalogue_version,
                    catalogue_digest=catalogue_digest, figures=figures, texts=texts, by=by,
                    illustrative=illustrative, note=note, at=at, con=tx, figure_rows=figure_rows,
                )
        figure_rows = [(f.unit_code, f.year, f.indicator, canonical(f.value), f.note, f.written) for f in figures] + [
            (*r, None) if len(r) == 5 else tuple(r) for r in figure_rows
        ]
        keys = {(r[0], r[1]) for r in figure_rows} | {(u, y) for (u, y, _s) in (texts or {})}
        # current value (text) and whether it is illustrative: the same value confirmed by real data
        # is a new revision, so that provenance (and the "SỐ LIỆU MINH HỌA" banner) follows the data
        current: dict[tuple, tuple[str | None, str | None, int, str]] = {}
        current_text: dict[tuple, tuple[str, int]] = {}
        for unit, year in keys:
            for ind, val, written, ill, cnote in con.execute(
                "SELECT c.indicator, c.value, c.written, i.illustrative, c.note FROM current_figures c"
                " JOIN imports i ON i.id = c.import_id WHERE c.unit_code=? AND c.year=?", (unit, year)
            ):
                current[(unit, year, ind)] = (val, written, ill, cnote)
            for sec, body, ill in con.execute(
                "SELECT c.section, c.body, i.illustrative FROM current_texts c"
                " JOIN imports i ON i.id = c.import_id WHERE c.unit_code=? AND c.year=?", (unit, year)
            ):
                current_text[(unit, year, sec)] = (body, ill)
        fig_rows, unchanged, notes_only = [], 0, 0
        ill_now = int(bool(illustrative))
        for unit, year, ind, val, fnote, written in figure_rows:
            if not isinstance(unit, str):
                raise TypeError(f"unit_code must be str, got {unit!r}")
            key = (unit, int(year), ind)
            cur = current.get(key)
            if cur is None:
                if val is None:
                    unchanged += 1
                    continue
            elif cur[0] == val and cur[1] == written and cur[2] == ill_now:
                # the same value, written the same: a revision only for a new note (an empty note
                # never erases one)
                if not fnote or fnote == cur[3]:
                    unchanged += 1
                    continue
                notes_only += 1
            fig_rows.append((unit, key[1], ind, val, fnote or "", written if val is not None else None))
        text_rows = [
            (u, int(y), s, body) for (u, y, s), body in (texts or {}).items()
            if current_text.get((u, y, s)) != (body, ill_now)
        ]
        if not fig_rows and not text_rows:
            return ImportResult(None, 0, unchanged, 0)
        cur = con.execute(
            "INSERT INTO imports(at, file, sha256, by, catalogue_version, catalogue_digest, illustrative, note)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (
                at or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                file, sha256, by or getpass.getuser(), catalogue_version, catalogue_digest,
                int(illustrative), note,
            ),
        )
        imp = cur.lastrowid
        con.executemany(
            "INSERT INTO figure_revisions(unit_code, year, indicator, value, note, written, import_id)"
            " VALUES (?,?,?,?,?,?,?)",
            [(*r, imp) for r in fig_rows],
        )
        if text_rows:
            con.executemany(
                "INSERT INTO text_revisions(unit_code, year, section, body, import_id) VALUES (?,?,?,?,?)",
                [(*r, imp) for r in text_rows],
            )
        return ImportResult(imp, len(fig_rows), unchanged, len(text_rows), notes_only)

    # ---- reading -------------------------------------------------------------------------
    def _read(self):
        return self.connect(readonly=True)

    @contextmanager
    def reading(self):
        """A read-only connection in one read transaction (a consistent snapshot of the whole store:
        a batch plans and reads the inputs of every report inside one), closed after the block;
        machine faults mapped (:meth:`guarded`)."""
        con = self._read()
        try:
            with self.guarded():
                con.execute("BEGIN")
                yield con
                con.execute("COMMIT")
        finally:
            con.close()

    def _rows(self, sql: str, params=()) -> list[tuple]:
        """All rows of one read-only query (its own connection, closed before returning)."""
        with self.reading() as con:
            return con.execute(sql, params).fetchall()

    @staticmethod
    def current_values(con: sqlite3.Connection, unit_code: str, year: int) -> dict[str, Decimal]:
        """Current value of every figure of the unit-year, read on ``con`` (withdrawn ones omitted):
        what relation checks compare with, also inside a write transaction."""
        rows = con.execute(
            "SELECT indicator, value FROM current_figures WHERE unit_code=? AND year=? AND value IS NOT NULL",
            (unit_code, int(year)),
        ).fetchall()
        return {ind: Decimal(v) for ind, v in rows}

    @staticmethod
    def current_state(con: sqlite3.Connection, unit_code: str, year: int) -> tuple[dict[str, Decimal], dict[str, str]]:
        """``(values, written)`` of the unit-year on ``con``: :meth:`current_values`, and how the values
        that are not plain figures were written (what relation checks of written values compare with)."""
        written = later_columns(con)[1]
        rows = con.execute(
            f"SELECT c.indicator, c.value, {written} FROM current_figures c"
            " WHERE c.unit_code=? AND c.year=? AND c.value IS NOT NULL",
            (unit_code, int(year)),
        ).fetchall()
        return {k: Decimal(v) for k, v, _w in rows}, {k: w for k, _v, w in rows if w}

    def figures(self, unit_code: str, year: int) -> dict[str, Decimal | None]:
        """Current value of every figure stored for the unit-year (withdrawn ones omitted)."""
        with self.reading() as con:
            return self.current_values(con, unit_code, year)

    def texts(self, unit_code: str, year: int) -> dict[str, str]:
        rows = self._rows(
            "SELECT section, body FROM current_texts WHERE unit_code=? AND year=?", (unit_code, int(year))
        )
        return dict(rows)

    def report_meta(self, unit_code: str, year: int) -> dict:
        body = self.texts(unit_code, year).get(META_SECTION)
        return json.loads(body) if body else {}

    def snapshot(self, unit_code: str, year: int) -> dict:
        """Everything a report of the unit-year reads, in one read transaction.

        ``fingerprint`` changes whenever any figure, text or metadata of the unit-year changes.
        ``written`` maps codes to how a value was written (only values that are not plain figures),
        ``notes`` codes to the unit's note beside a value.
        """
        with self.reading() as con:
            _require_in_subset(con, unit_code, int(year))
            note, written = later_columns(con)
            figs = con.execute(
                f"SELECT c.indicator, c.value, c.id, i.illustrative, {written}, {note} FROM current_figures c"
                " JOIN imports i ON i.id = c.import_id WHERE c.unit_code=? AND c.year=?",
                (unit_code, int(year)),
            ).fetchall()
            texts = con.execute(
                "SELECT c.section, c.body, c.id, i.illustrative FROM current_texts c"
                " JOIN imports i ON i.id = c.import_id WHERE c.unit_code=? AND c.year=?",
                (unit_code, int(year)),
            ).fetchall()
        ids = sorted([f"f{r[2]}" for r in figs] + [f"t{r[2]}" for r in texts])
        return {
            "figures": {ind: Decimal(v) for ind, v, *_rest in figs if v is not None},
            "written": {ind: w for ind, v, _id, _ill, w, _n in figs if v is not None and w},
            "notes": {ind: n for ind, v, _id, _ill, _w, n in figs if v is not None and n},
            "texts": {sec: body for sec, body, _id, _ill in texts if sec != META_SECTION},
            "meta": next((json.loads(b) for s, b, _i, _l in texts if s == META_SECTION), {}),
            "illustrative": any(r[3] for r in [*figs, *texts]),
            "fingerprint": hashlib.sha256(",".join(ids).encode()).hexdigest(),
        }

    def fingerprints(self, con: sqlite3.Connection | None = None) -> dict[tuple[str, int], tuple[str, bool]]:
        """``(snapshot fingerprint, illustrative)`` for every unit-year at once (incremental batches);
        inside ``con``'s transaction when given (see :meth:`reading`)."""
        sql = ("SELECT c.unit_code, c.year, 'f' || c.id, i.illustrative FROM current_figures c"
               " JOIN imports i ON i.id = c.import_id"
               " UNION ALL SELECT c.unit_code, c.year, 't' || c.id, i.illustrative FROM current_texts c"
               " JOIN imports i ON i.id = c.import_id")
        rows = con.execute(sql).fetchall() if con is not None else self._rows(sql)
        acc: dict[tuple[str, int], list[str]] = {}
        ill: dict[tuple[str, int], bool] = {}
        for unit, year, rid, illustrative in rows:
            key = (unit, int(year))
            acc.setdefault(key, []).append(rid)
            ill[key] = ill.get(key, False) or bool(illustrative)
        return {k: (hashlib.sha256(",".join(sorted(v)).encode()).hexdigest(), ill[k]) for k, v in acc.items()}

    def unit_years(self) -> list[tuple[str, int]]:
        rows = self._rows(
            "SELECT DISTINCT unit_code, year FROM figure_revisions"
            " UNION SELECT DISTINCT unit_code, year FROM text_revisions ORDER BY 2, 1"
        )
        return [(u, int(y)) for u, y in rows]

    def history(self, unit_code: str, year: int, indicator: str) -> list[Revision]:
        """Every revision of one figure, oldest first."""
        with self.reading() as con:
            note, written = later_columns(con, "r")
            rows = con.execute(
                f"SELECT r.id, r.value, i.at, i.file, i.sha256, i.by, i.illustrative, {note}, i.id, {written}"
                " FROM figure_revisions r"
                " JOIN imports i ON i.id = r.import_id"
                " WHERE r.unit_code=? AND r.year=? AND r.indicator=? ORDER BY r.id",
                (unit_code, int(year), indicator),
            ).fetchall()
        return [
            Revision(rid, Decimal(v) if v is not None else None, at, f, sha, by, bool(ill), note, imp, written)
            for rid, v, at, f, sha, by, ill, note, imp, written in rows
        ]

    def text_history(self, unit_code: str, year: int, section: str) -> list[TextRevision]:
        """Every revision of one free-text section, oldest first."""
        rows = self._rows(
            "SELECT r.id, r.body, i.at, i.file, i.sha256, i.by, i.id FROM text_revisions r"
            " JOIN imports i ON i.id = r.import_id"
            " WHERE r.unit_code=? AND r.year=? AND r.section=? ORDER BY r.id",
            (unit_code, int(year), section),
        )
        return [TextRevision(*r) for r in rows]

    def revision_counts(self, unit_code: str, year: int) -> dict[str, int]:
        """How many revisions each figure of the unit-year has (figures never stored are absent)."""
        rows = self._rows(
            "SELECT indicator, COUNT(*) FROM figure_revisions WHERE unit_code=? AND year=? GROUP BY indicator",
            (unit_code, int(year)),
        )
        return dict(rows)

    # ---- reference facts kept with the data ----------------------------------------------
    @staticmethod
    def record_units(con: sqlite3.Connection, units) -> None:
        """Keep the registry rows (``units.Unit``) of imported units (existing rows are kept as they are)."""
        con.executemany(
            "INSERT OR IGNORE INTO units(code, valid_from, name, type, parent_code, level, valid_to,"
            " successor_code, source) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (u.code, u.valid_from.isoformat() if u.valid_from else "", u.name, u.type, u.parent_code,
                 u.level, u.valid_to.isoformat() if u.valid_to else "", u.successor_code, u.source)
                for u in units
            ],
        )

    @staticmethod
    def record_catalogue(con: sqlite3.Connection, cat) -> None:
        """Keep the definitions of the catalogue version an import was validated against."""
        if con.execute("SELECT 1 FROM catalogues WHERE digest=?", (cat.digest,)).fetchone():
            return
        body = cat.definition()
        con.execute(
            "INSERT OR IGNORE INTO catalogues(digest, version, body) VALUES (?,?,?)",
            (cat.digest, cat.version, json.dumps(body, ensure_ascii=False, sort_keys=True, default=json_default)),
        )


# ---- subsets: what one report reads, carried to a worker that has no store ---------------------
SUBSET_TABLES = ("imports", "figure_revisions", "text_revisions")


def subset_rows(con: sqlite3.Connection, pairs) -> dict:
    """The current figure and text revisions of the ``(unit_code, year)`` pairs and the imports they
    come from, as ``{table: (columns, rows)}``, read in ``con``'s transaction. Written to an empty
    store with :func:`write_subset`, they give the same :meth:`Store.snapshot` (fingerprints
    included: the revision ids are kept)."""
    out: dict = {}
    pairs = sorted({(str(u), int(y)) for u, y in pairs})
    fig_rows, text_rows = [], []
    for table, view, acc in (("figure_revisions", "current_figures", fig_rows),
                             ("text_revisions", "current_texts", text_rows)):
        cur = None
        for unit, year in pairs:
            cur = con.execute(f"SELECT * FROM {view} WHERE unit_code=? AND year=? ORDER BY id", (unit, year))
            acc.extend(cur.fetchall())
        cols = [d[0] for d in cur.description] if cur is not None else [
            r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        out[table] = (cols, acc)
    import_ids = sorted({r[out["figure_revisions"][0].index("import_id")] for r in fig_rows}
                        | {r[out["text_revisions"][0].index("import_id")] for r in text_rows})
    cur = con.execute(f"SELECT * FROM imports WHERE id IN ({','.join('?' * len(import_ids))}) ORDER BY id",
                      import_ids) if import_ids else con.execute("SELECT * FROM imports WHERE 0")
    out["imports"] = ([d[0] for d in cur.description], cur.fetchall())
    out["pairs"] = pairs
    return out


def write_subset(path: str | os.PathLike, rows: dict) -> Store:
    """A new store at ``path`` holding only ``rows`` (:func:`subset_rows`), marked partial: a snapshot
    of a unit-year outside it is an error, never an empty unit-year."""
    store = Store(path)
    try:
        con = store.connect()
    except (sqlite3.Error, MachineFault) as exc:
        raise _subset_fault(exc, path) from exc
    try:
        con.execute("BEGIN IMMEDIATE")
        for table in SUBSET_TABLES:
            cols, data = rows[table]
            if data:
                con.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})", data)
        con.execute("CREATE TABLE subset_pairs(unit_code TEXT NOT NULL, year INTEGER NOT NULL, PRIMARY KEY (unit_code, year))")
        con.executemany("INSERT INTO subset_pairs VALUES (?, ?)", rows["pairs"])
        con.execute("INSERT OR REPLACE INTO store_info(key, value) VALUES ('subset', '1')")
        con.execute("COMMIT")
    except sqlite3.Error as exc:  # the worker's temporary disk (full, read-only): the report's machine fault
        raise _subset_fault(exc, path) from exc
    finally:
        con.close()
    return store


def _subset_fault(exc: sqlite3.Error | MachineFault, path) -> MachineFault:
    """The fault of a worker that cannot write a report's inputs to its temporary folder (not the
    user's store: the message says so)."""
    folder = Path(path).parent
    fault = exc if isinstance(exc, MachineFault) else store_fault(exc, path, writing=True)
    if isinstance(fault, DiskFull):
        return DiskFull(f"không ghi được số liệu của báo cáo vào thư mục tạm {folder} của máy chạy báo cáo: ổ đĩa đã "
                        "đầy (hết chỗ trống). Hãy giải phóng chỗ trống (hoặc đặt TMPDIR sang ổ khác) rồi chạy lại; "
                        "các báo cáo đã có vẫn giữ nguyên như trước.")
    return MachineFault(f"không ghi được số liệu của báo cáo vào thư mục tạm {folder} của máy chạy báo cáo ({exc}); "
                        "kiểm tra ổ đĩa và quyền ghi của thư mục tạm (TMPDIR).")


def _require_in_subset(con: sqlite3.Connection, unit_code: str, year: int) -> None:
    if not con.execute("SELECT 1 FROM store_info WHERE key='subset'").fetchone():
        return
    if not con.execute("SELECT 1 FROM subset_pairs WHERE unit_code=? AND year=?", (unit_code, year)).fetchone():
        raise StoreSubsetError(
            f"the inputs carried with this report do not include unit {unit_code}, year {year} "
            "(the notebook kind must list every unit-year its report reads)"
        )
