"""Embedded store (SQLite, WAL) of figures, free-text sections and report metadata, with revisions.

Nothing is overwritten in place: every import appends an ``imports`` row (when, file, sha256, by
whom, catalogue version) and one revision per value that changed. The current value of a figure is
its latest revision. One import is one transaction: a file is stored whole or not at all.

Default location: ``$DANVAN_DB``, else ``data/danvan.sqlite`` in a source checkout, else
``~/.local/share/danvan/danvan.sqlite`` (:mod:`danvan.core.settings`). Readers never block writers
(WAL) and wait for a busy writer up to ``BUSY_TIMEOUT_S`` seconds. Reading never creates a store:
only a write connection (set-up and import) creates or migrates one.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import hashlib
import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from ..core import settings
from ..core.errors import StoreMissingError, StoreSubsetError

__all__ = ["Store", "Revision", "TextRevision", "ImportResult", "FigureValue", "canonical", "META_SECTION",
           "subset_rows", "write_subset"]

SCHEMA_VERSION = 2  # 2: figure_revisions.note, units, catalogues
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
    note TEXT NOT NULL DEFAULT ''     -- the ward's note beside the value (form column "Ghi chú")
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
    """Exact text of a Decimal without exponent or trailing zeros (``95.20`` -> ``95.2``)."""
    if value is None:
        return None
    d = value.normalize()
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d, "f")


def _migrate(con: sqlite3.Connection) -> None:
    """Bring a store made by an older danvan up to ``SCHEMA_VERSION`` (additive changes only)."""
    cols = {r[1] for r in con.execute("PRAGMA table_info(figure_revisions)")}
    if "note" not in cols:
        try:
            con.execute("ALTER TABLE figure_revisions ADD COLUMN note TEXT NOT NULL DEFAULT ''")
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
    note: str = ""  # kept with the revision; a changed note alone does not make a new revision


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
    changed: int
    unchanged: int
    texts_changed: int


class Store:
    """A danvan SQLite store. Cheap to create; opens a connection per operation."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else settings.current().db

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

    def connect(self, *, readonly: bool = False) -> sqlite3.Connection:
        if readonly:
            self.require()
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(_SCHEMA)
            _migrate(con)
            con.execute(
                "INSERT OR IGNORE INTO store_info(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        con.execute("PRAGMA foreign_keys=ON")
        return con

    @contextmanager
    def transaction(self):
        """One write transaction (``BEGIN IMMEDIATE``); rolled back whole on any exception."""
        con = self.connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

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
        ``(unit_code, year, indicator, canonical value text or None, note)``.
        An import that changes nothing writes nothing (``import_id`` is None).
        """
        if con is None:
            with self.transaction() as tx:
                return self.write_import(
                    file=file, sha256=sha256, catalogue_version=catalogue_version,
                    catalogue_digest=catalogue_digest, figures=figures, texts=texts, by=by,
                    illustrative=illustrative, note=note, at=at, con=tx, figure_rows=figure_rows,
                )
        figure_rows = [(f.unit_code, f.year, f.indicator, canonical(f.value), f.note) for f in figures] + list(
            figure_rows
        )
        keys = {(r[0], r[1]) for r in figure_rows} | {(u, y) for (u, y, _s) in (texts or {})}
        # current value (text) and whether it is illustrative: the same value confirmed by real data
        # is a new revision, so that provenance (and the "SỐ LIỆU MINH HỌA" banner) follows the data
        current: dict[tuple, tuple[str | None, int]] = {}
        current_text: dict[tuple, tuple[str, int]] = {}
        for unit, year in keys:
            for ind, val, ill in con.execute(
                "SELECT c.indicator, c.value, i.illustrative FROM current_figures c"
                " JOIN imports i ON i.id = c.import_id WHERE c.unit_code=? AND c.year=?", (unit, year)
            ):
                current[(unit, year, ind)] = (val, ill)
            for sec, body, ill in con.execute(
                "SELECT c.section, c.body, i.illustrative FROM current_texts c"
                " JOIN imports i ON i.id = c.import_id WHERE c.unit_code=? AND c.year=?", (unit, year)
            ):
                current_text[(unit, year, sec)] = (body, ill)
        fig_rows, unchanged = [], 0
        ill_now = int(bool(illustrative))
        for unit, year, ind, val, fnote in figure_rows:
            if not isinstance(unit, str):
                raise TypeError(f"unit_code must be str, got {unit!r}")
            key = (unit, int(year), ind)
            cur = current.get(key)
            if cur is None:
                if val is None:
                    unchanged += 1
                    continue
            elif cur[0] == val and cur[1] == ill_now:
                unchanged += 1
                continue
            fig_rows.append((unit, key[1], ind, val, fnote or ""))
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
            "INSERT INTO figure_revisions(unit_code, year, indicator, value, note, import_id) VALUES (?,?,?,?,?,?)",
            [(*r, imp) for r in fig_rows],
        )
        if text_rows:
            con.executemany(
                "INSERT INTO text_revisions(unit_code, year, section, body, import_id) VALUES (?,?,?,?,?)",
                [(*r, imp) for r in text_rows],
            )
        return ImportResult(imp, len(fig_rows), unchanged, len(text_rows))

    # ---- reading -------------------------------------------------------------------------
    def _read(self):
        return self.connect(readonly=True)

    @contextmanager
    def reading(self):
        """One read transaction (a consistent snapshot of the whole store), for a client that plans a
        batch and then reads the inputs of every report inside the same snapshot."""
        con = self._read()
        try:
            con.execute("BEGIN")
            yield con
            con.execute("COMMIT")
        finally:
            con.close()

    def _rows(self, sql: str, params=()) -> list[tuple]:
        """All rows of one read-only query (its own connection, closed before returning)."""
        con = self._read()
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def figures(self, unit_code: str, year: int) -> dict[str, Decimal | None]:
        """Current value of every figure stored for the unit-year (withdrawn ones omitted)."""
        rows = self._rows(
            "SELECT indicator, value FROM current_figures WHERE unit_code=? AND year=? AND value IS NOT NULL",
            (unit_code, int(year)),
        )
        return {ind: Decimal(v) for ind, v in rows}

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
        """
        with self.reading() as con:
            _require_in_subset(con, unit_code, int(year))
            figs = con.execute(
                "SELECT c.indicator, c.value, c.id, i.illustrative FROM current_figures c"
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
            "figures": {ind: Decimal(v) for ind, v, _id, _ill in figs if v is not None},
            "texts": {sec: body for sec, body, _id, _ill in texts if sec != META_SECTION},
            "meta": next((json.loads(b) for s, b, _i, _l in texts if s == META_SECTION), {}),
            "illustrative": any(r[3] for r in figs + texts),
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
        con = self._read()
        try:
            has_note = "note" in {r[1] for r in con.execute("PRAGMA table_info(figure_revisions)")}
            rows = con.execute(
                "SELECT r.id, r.value, i.at, i.file, i.sha256, i.by, i.illustrative, "
                + ("r.note" if has_note else "''") + ", i.id FROM figure_revisions r"
                " JOIN imports i ON i.id = r.import_id"
                " WHERE r.unit_code=? AND r.year=? AND r.indicator=? ORDER BY r.id",
                (unit_code, int(year), indicator),
            ).fetchall()
        finally:
            con.close()
        return [
            Revision(rid, Decimal(v) if v is not None else None, at, f, sha, by, bool(ill), note, imp)
            for rid, v, at, f, sha, by, ill, note, imp in rows
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
        body = {
            "sections": [asdict(x) for x in cat.sections.values()],
            "indicators": [asdict(x) for x in cat.indicators.values()],
        }
        con.execute(
            "INSERT OR IGNORE INTO catalogues(digest, version, body) VALUES (?,?,?)",
            (cat.digest, cat.version, json.dumps(body, ensure_ascii=False, sort_keys=True, default=list)),
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
    con = store.connect()
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
    finally:
        con.close()
    return store


def _require_in_subset(con: sqlite3.Connection, unit_code: str, year: int) -> None:
    if not con.execute("SELECT 1 FROM store_info WHERE key='subset'").fetchone():
        return
    if not con.execute("SELECT 1 FROM subset_pairs WHERE unit_code=? AND year=?", (unit_code, year)).fetchone():
        raise StoreSubsetError(
            f"the inputs carried with this report do not include unit {unit_code}, year {year} "
            "(the notebook kind must list every unit-year its report reads)"
        )
