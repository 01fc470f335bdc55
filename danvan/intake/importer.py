"""Import of ward files: read, validate, and write each file in its own transaction.

* **Forms** (``danvan import FILE…``): filled xlsx forms and CSV files (see :mod:`danvan.intake.forms`).
  :func:`check_files` reads and validates files (nothing written). :func:`import_files` validates
  each file completely and writes each file that has no error in **its own transaction** (all of a
  file or nothing of it). A file with errors is not written; the other, valid files of the same
  command are, and the summary says which were and which were not. With ``all_or_nothing=True``
  (``--all-or-nothing``) every file is validated before anything is written, and nothing at all is
  written when any file has an error. Findings are printed together at the end in both modes.
  A crash or kill leaves every file either fully stored or not at all (WAL, one transaction each).

Unit directories (``<dir>/<unit>/<year>/``) go through :mod:`danvan.intake.unitdir`.
"""

from __future__ import annotations

import getpass
import multiprocessing
import os
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..core import settings
from ..reference.catalogue import Catalogue
from ..reference.units import load_registry
from ..store import ImportResult, Store, canonical, later_columns
from .forms import Catalogues, read_file
from .validate import Place, check_unit_year

__all__ = ["FileOutcome", "check_files", "import_files", "format_outcomes"]

# ================================================================================================
# forms and CSV files: validate all, then write each file in its own transaction
# ================================================================================================
@dataclass
class FileOutcome:
    """What happened to one input file."""

    path: str
    kind: str = ""
    sha256: str = ""
    findings: list = field(default_factory=list)  # validate.Finding
    status: str = "checked"  # checked | rejected | held | written | unchanged | failed
    figures: list = field(default_factory=list)  # (unit, year, indicator, canonical text, note, written) to write
    texts: dict = field(default_factory=dict)  # (unit, year, section) -> body
    unit_years: list = field(default_factory=list)
    catalogues: list = field(default_factory=list)  # the catalogues (report profiles) its unit-years were read with
    result: ImportResult | None = None

    @property
    def errors(self) -> list:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list:
        return [f for f in self.findings if not f.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


class _Current:
    """Current store values per unit-year, read lazily through one read-only connection."""

    def __init__(self, store: Store | None):
        self.con = None
        if store is not None and store.exists():
            self.con = store.connect(readonly=True)
            self.written = later_columns(self.con)[1]

    def get(self, unit: str, year: int) -> tuple[dict[str, Decimal], dict[str, str]]:
        """``(values, written)`` of a unit-year (how values were written, for those not plain)."""
        if self.con is None:
            return {}, {}
        rows = self.con.execute(
            f"SELECT c.indicator, c.value, {self.written} FROM current_figures c"
            " WHERE c.unit_code=? AND c.year=? AND c.value IS NOT NULL",
            (unit, int(year)),
        ).fetchall()
        return {k: Decimal(v) for k, v, _w in rows}, {k: w for k, _v, w in rows if w}

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


# Parsing (decode, cells, per-cell rules) is pure Python and CPU-bound; with ``workers=N`` it runs in
# N worker processes while this process checks relations and writes (SQLite). Off by default: on
# the 2-core development machine, under load, shipping each parsed file back to this process cost
# more than the parallelism gained (benchmarks/bench_import.py: ~40-50k figures/s with one worker
# against ~50-60k inline). Worth measuring again on machines with more cores.
_WORKER: dict = {}


def _init_worker(cat, reg) -> None:
    _WORKER["cat"], _WORKER["reg"] = cat, reg


def _read_in_worker(path):
    return read_file(path, catalogue=_WORKER["cat"], registry=_WORKER["reg"])


def _auto_workers(n_files: int, workers: int | None) -> int:
    return workers if workers and workers > 0 and n_files > 1 else 0


def _parsed(paths: list, cat, reg, workers: int):
    """``read_file`` of every path, in order; in ``workers`` processes when > 0."""
    if workers:
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(cat, reg)) as ex:
            yield from ex.map(_read_in_worker, paths, chunksize=8)
        return
    for path in paths:
        yield read_file(path, catalogue=cat, registry=reg)


def _checked(paths, *, store, cat, reg, workers: int | None = None):
    """Yield a :class:`FileOutcome` per file, in order: read, parsed and fully validated.

    Relations (parts and totals, ratios, required figures) are checked on what the unit-year will
    hold after the import: the store's current values, then the earlier valid files of the same
    call, then this file's figures.
    """
    paths = list(paths)
    current = _Current(store)
    overlay: dict[tuple[str, int], tuple[dict[str, Decimal], dict[str, str]]] = {}
    try:
        for pf in _parsed(paths, cat, reg, _auto_workers(len(paths), workers)):
            name = pf.path
            out = FileOutcome(name, pf.kind, pf.sha256, list(pf.findings))
            groups: dict[tuple[str, int], list] = defaultdict(list)
            for r in pf.rows:
                groups[(r.unit_code, r.year)].append(r)
            pending: dict[tuple[str, int], tuple[dict[str, Decimal], dict[str, str]]] = {}
            for key, rows in groups.items():
                base, base_written = overlay[key] if key in overlay else current.get(*key)
                uy_cat = pf.catalogues.get(key) or cat.get(*key)
                if uy_cat not in out.catalogues:
                    out.catalogues.append(uy_cat)
                chosen, fs = check_unit_year(rows, uy_cat, file=name, current=base, invalid=pf.invalid,
                                             slots=pf.slots if pf.kind == "xlsx" else None,
                                             current_written=base_written)
                out.findings += fs
                out.figures += [(r.unit_code, r.year, r.indicator, _canon(r.value), r.note, r.written)
                                for r in chosen.values()]
                written = {k: w for k, w in base_written.items() if k not in chosen}
                written.update({k: r.written for k, r in chosen.items() if r.written})
                pending[key] = ({**base, **{k: r.value for k, r in chosen.items()}}, written)
            for t in pf.texts:
                out.texts[(t.unit_code, t.year, t.section)] = t.body
            out.unit_years = sorted(set(groups) | {(u, y) for (u, y, _s) in out.texts})
            if not out.figures and not out.texts and out.ok:
                out.findings.append(Place(name).finding(
                    "no_data", "tệp không có số liệu hay nội dung nào để nhập (các ô số liệu đều trống)",
                    expected="ít nhất một số liệu"))
            out.status = "checked" if out.ok else "rejected"
            if out.ok:
                overlay.update(pending)
            yield out
    finally:
        current.close()


def check_files(
    paths,
    *,
    store: Store | None = None,
    catalogue: Catalogue | None = None,
    registry=None,
    workers: int | None = None,
) -> list[FileOutcome]:
    """Read and validate every file exactly as :func:`import_files` does; write nothing.
    ``catalogue``: one catalogue for every unit, or a :class:`~danvan.intake.forms.Catalogues`
    (default: each unit-year's own report profile)."""
    reg = registry or load_registry()
    cat = catalogue if isinstance(catalogue, Catalogues) else Catalogues(catalogue, registry=reg)
    return list(_checked(paths, store=store, cat=cat, reg=reg, workers=workers))


def _canon(value: Decimal) -> str:
    """``store.canonical`` with a fast path for plain integers (most figures)."""
    text = str(value)
    if "E" in text or "." in text:
        return canonical(value)
    return text


def _test_pause() -> None:
    """Test hook (tests/test_store.py): sleep inside the write transaction of each file, after its
    rows are inserted and before COMMIT, touching the marker file first, so that a test can kill the
    process mid-transaction (``DANVAN_TEST_PAUSE_IN_TRANSACTION``, ``DANVAN_TEST_PAUSE_MARKER``)."""
    conf = settings.current()
    if not conf.test_pause_seconds:
        return
    if conf.test_pause_marker:
        Path(conf.test_pause_marker).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(conf.test_pause_seconds)


class _Writer:
    """One connection; each file in its own ``BEGIN IMMEDIATE`` … ``COMMIT``."""

    def __init__(self, store: Store, reg, by):
        self.store, self.reg, self.by = store, reg, by or getpass.getuser()
        self.con = None
        self.catalogues_kept: set = set()
        self.units_kept: set = set()

    def write(self, o: FileOutcome) -> None:
        if self.con is None:
            self.con = self.store.connect()
            # Bulk writer: every figure row references the imports row inserted just before it in the
            # same transaction (store.write_import), so the per-row foreign-key probe is redundant and
            # costs a third of the insert time; tests check PRAGMA foreign_key_check stays empty.
            # Checkpoint the WAL at the end of the batch rather than every 4 MB (each one fsyncs).
            self.con.execute("PRAGMA foreign_keys=OFF")
            self.con.execute("PRAGMA wal_autocheckpoint=16384")
        con, store = self.con, self.store
        try:
            con.execute("BEGIN IMMEDIATE")
            new_cats = [c for c in o.catalogues if c.digest not in self.catalogues_kept]
            for c in new_cats:
                store.record_catalogue(con, c)
            new_units = [uy for uy in o.unit_years if uy not in self.units_kept]
            if new_units:
                store.record_units(con, [self.reg.get(u, y) for (u, y) in new_units])
            o.result = store.write_import(
                file=os.path.abspath(o.path), sha256=o.sha256,
                catalogue_version=" | ".join(dict.fromkeys(c.version for c in o.catalogues)),
                catalogue_digest=",".join(dict.fromkeys(c.digest for c in o.catalogues)),
                figure_rows=o.figures, texts=o.texts, by=self.by, note=f"{o.kind} form", con=con,
            )
            _test_pause()
            con.execute("COMMIT")
            self.catalogues_kept.update(c.digest for c in new_cats)
            self.units_kept.update(new_units)
        except Exception as exc:  # the file is rolled back whole; the others go on
            if con.in_transaction:
                con.execute("ROLLBACK")
            o.status = "failed"
            o.findings.append(Place(o.path).finding(
                "write_failed", "ghi vào kho không thành công, tệp không được nhập (kho giữ nguyên như trước); "
                "thử lại sau", found=f"{type(exc).__name__}: {exc}"[:120], expected="ghi thành công"))
            return
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        o.status = "written" if o.result.import_id is not None else "unchanged"
        o.figures = []  # written: release the memory (large batches)

    def close(self) -> None:
        if self.con is not None:
            try:
                self.con.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                self.con.close()


def import_files(
    paths,
    store: Store | None = None,
    *,
    by: str | None = None,
    catalogue: Catalogue | None = None,
    registry=None,
    all_or_nothing: bool = False,
    workers: int | None = None,
) -> list[FileOutcome]:
    """Validate each file fully, and write each file without errors in its own transaction.

    Files with errors are not written (``status="rejected"``); the others are, each whole or not at
    all. With ``all_or_nothing`` every file is validated first and nothing at all is written when
    any has an error (``status="held"`` for the valid ones). A file whose values equal the stored
    ones adds nothing (``"unchanged"``); otherwise one ``imports`` row records when, the file and
    its sha256, and by whom (``by``, else the OS user), and every changed value becomes a new
    revision (old ones are kept). ``workers``: processes that parse files (default: none, parse here).
    ``catalogue``: one catalogue for every unit, or a :class:`~danvan.intake.forms.Catalogues` (default:
    each unit-year's own report profile).
    """
    store = store or Store()
    reg = registry or load_registry()
    cat = catalogue if isinstance(catalogue, Catalogues) else Catalogues(catalogue, registry=reg)
    writer = _Writer(store, reg, by)
    outcomes: list[FileOutcome] = []
    try:
        checked = _checked(paths, store=store, cat=cat, reg=reg, workers=workers)
        if all_or_nothing:
            outcomes = list(checked)
            if any(not o.ok for o in outcomes):
                for o in outcomes:
                    if o.ok:
                        o.status = "held"
                return outcomes
            for o in outcomes:
                writer.write(o)
        else:
            for o in checked:
                outcomes.append(o)
                if o.ok:
                    writer.write(o)
    finally:
        writer.close()
    return outcomes


_STATUS = {
    "checked": "HỢP LỆ",
    "rejected": "KHÔNG NHẬP – có lỗi, kho dữ liệu không thay đổi",
    "held": "KHÔNG NHẬP – hợp lệ, nhưng tệp khác có lỗi (chế độ --all-or-nothing)",
    "failed": "KHÔNG NHẬP – ghi vào kho không thành công",
    "unchanged": "ĐÃ CÓ – số liệu giống hệt trong kho, không ghi thêm",
}


def _status_text(o: FileOutcome, wrote: bool) -> str:
    if o.status == "written":
        r = o.result
        return f"ĐÃ NHẬP – {r.changed} số liệu mới/thay đổi, {r.texts_changed} mục văn bản (lần nhập #{r.import_id})"
    if o.status == "rejected" and not wrote:
        return "CÓ LỖI – không thể nhập"
    return _STATUS[o.status]


def format_outcomes(outcomes: list[FileOutcome], *, wrote: bool = True) -> str:
    """Per file: a status line, then one line per finding; then a summary line (Vietnamese)."""
    lines: list[str] = []
    for o in outcomes:
        n_err = len(o.errors)
        counts = f"{n_err} lỗi, {len(o.findings) - n_err} cảnh báo"
        lines.append(f"{o.path}: {_status_text(o, wrote)} ({counts})")
        for f in sorted(o.findings, key=lambda f: (not f.is_error, f.row or 0, f.cell)):
            lines.append("  " + f.line())
    n = len(outcomes)
    errors = sum(len(o.errors) for o in outcomes)
    warns = sum(len(o.warnings) for o in outcomes)
    bad = sum(not o.ok for o in outcomes)
    if wrote:
        written = sum(o.status == "written" for o in outcomes)
        same = sum(o.status == "unchanged" for o in outcomes)
        values = sum(o.result.changed for o in outcomes if o.result)
        not_written = n - written - same
        lines.append(
            f"Tổng cộng: {n} tệp; {written} tệp đã nhập ({values} số liệu mới/thay đổi), {same} tệp không thay đổi, "
            f"{not_written} tệp KHÔNG nhập; {errors} lỗi, {warns} cảnh báo."
        )
    else:
        lines.append(f"Tổng cộng: {n} tệp; {n - bad} tệp hợp lệ, {bad} tệp có lỗi; {errors} lỗi, {warns} cảnh báo.")
    return "\n".join(lines)
