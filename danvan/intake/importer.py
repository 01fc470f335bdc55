"""Import of ward files: read, validate, and write each file in its own transaction.

* **Forms** (``danvan import FILE…``): filled xlsx forms and CSV files (see :mod:`danvan.intake.forms`).
  :func:`check_files` reads and validates files (nothing written). :func:`import_files` validates
  each file completely and writes each file that has no error in **its own transaction** (all of a
  file or nothing of it). A file with errors is not written; the other, valid files of the same
  command are, and the summary says which were and which were not. With ``all_or_nothing=True``
  (``--all-or-nothing``) every file is validated before anything is written, nothing at all is
  written when any file has an error, and the valid files are written in **one** transaction.
  Findings are printed together at the end in both modes. A crash or kill leaves every file either
  fully stored or not at all (WAL, one transaction each).
* **Concurrent imports**: relations (parts and totals, ratios, required figures) are checked once
  against the store as read before writing (early messages, ``validate``) and again **inside the
  write transaction** (``BEGIN IMMEDIATE``: one writer at a time) whenever the stored values of the
  unit-year changed in between; a file that another import has made inconsistent is rolled back
  and refused. So every committed state of the store passes the relation checks.
* **Machine faults** (a full disk, a read-only or damaged store) roll the file back and are kept on
  its outcome (``fault``); the command line prints the outcomes, then the fault (exit code 4).

Unit directories (``<dir>/<unit>/<year>/``) go through :mod:`danvan.intake.unitdir`.
"""

from __future__ import annotations

import contextlib
import getpass
import multiprocessing
import os
import sqlite3
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from ..core import settings
from ..core.errors import CatalogueError, DiskFull, MachineFault, NotWritable, StoreDamaged
from ..core.procs import exit_with_parent
from ..reference.catalogue import Catalogue
from ..reference.units import load_registry
from ..store import ImportResult, Store, canonical, store_fault
from .forms import Catalogues, read_file
from .validate import Place, cap_findings, check_unit_year

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
    fault: MachineFault | None = None  # the machine fault that stopped the write (exit code 4)
    notes: list = field(default_factory=list)  # Vietnamese remarks about the store (not findings)
    cut_errors: int = 0  # findings left out of ``findings`` (see validate.cap_findings)
    cut_warnings: int = 0
    # kept from the check until the file is written, to re-check relations inside the transaction:
    # (unit, year) -> the file's rows, and the stored values the check compared them with
    groups: dict = field(default_factory=dict, repr=False)
    bases: dict = field(default_factory=dict, repr=False)  # (unit, year) -> (values, written)
    group_cats: dict = field(default_factory=dict, repr=False)  # (unit, year) -> the catalogue it was read with
    invalid: set = field(default_factory=set, repr=False)
    slots: dict | None = field(default=None, repr=False)

    @property
    def errors(self) -> list:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list:
        return [f for f in self.findings if not f.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def n_errors(self) -> int:
        """Every error of the file, including those left out of ``findings``."""
        return sum(f.is_error and f.rule != "findings_truncated" for f in self.findings) + self.cut_errors

    @property
    def n_warnings(self) -> int:
        return sum(not f.is_error and f.rule != "findings_truncated" for f in self.findings) + self.cut_warnings

    def release(self) -> None:
        """Drop what only the relation check inside the write transaction needs (large batches)."""
        self.groups, self.bases, self.group_cats, self.invalid, self.slots = {}, {}, {}, set(), None


class _Current:
    """Current store values per unit-year, read lazily through one read-only connection (each query
    sees the latest committed state: no read transaction is held open)."""

    def __init__(self, store: Store | None):
        self.con = None
        self.store = store
        if store is not None and store.exists():
            self.con = store.connect(readonly=True)

    def get(self, unit: str, year: int) -> tuple[dict[str, Decimal], dict[str, str]]:
        """``(values, written)`` of a unit-year (how values were written, for those not plain)."""
        if self.con is None:
            return {}, {}
        with self.store.guarded():
            return Store.current_state(self.con, unit, year)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


# Parsing (decode, cells, per-cell rules) is pure Python and CPU-bound; with ``workers=N`` it runs in
# N worker processes while this process checks relations and writes (SQLite). Off by default: on
# the 2-core development machine, under load, shipping each parsed file back to this process cost
# more than the parallelism gained (benchmarks/bench_import.py: ~40-50k figures/s with one worker
# against ~50-60k inline). Worth measuring again on machines with more cores.
_WORKER: dict = {}


def _init_worker(cat, reg, parent_pid: int) -> None:
    exit_with_parent(parent_pid)
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
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(cat, reg, os.getpid())) as ex:
            yield from ex.map(_read_in_worker, paths, chunksize=8)
        return
    for path in paths:
        yield read_file(path, catalogue=cat, registry=reg)


def _checked(paths, *, store, cat, reg, workers: int | None = None, overlay: bool = True):
    """Yield a :class:`FileOutcome` per file, in order: read, parsed and fully validated.

    Relations (parts and totals, ratios, required figures) are checked on what the unit-year will
    hold after the import: the store's current values, then (``overlay``: when the earlier files
    are not yet committed as this one is checked) the earlier valid files of the same call, then
    this file's figures.
    """
    paths = list(paths)
    current = _Current(store)
    pending_values: dict[tuple[str, int], tuple[dict[str, Decimal], dict[str, str]]] = {}
    try:
        for pf in _parsed(paths, cat, reg, _auto_workers(len(paths), workers)):
            name = pf.path
            out = FileOutcome(name, pf.kind, pf.sha256, list(pf.findings))
            groups: dict[tuple[str, int], list] = defaultdict(list)
            for r in pf.rows:
                groups[(r.unit_code, r.year)].append(r)
            slots = pf.slots if pf.kind == "xlsx" else None
            pending: dict[tuple[str, int], tuple[dict[str, Decimal], dict[str, str]]] = {}
            for key, rows in groups.items():
                base, base_written = pending_values[key] if key in pending_values else current.get(*key)
                uy_cat = pf.catalogues.get(key) or cat.get(*key)
                if uy_cat not in out.catalogues:
                    out.catalogues.append(uy_cat)
                chosen, fs = check_unit_year(rows, uy_cat, file=name, current=base, invalid=pf.invalid,
                                             slots=slots, current_written=base_written)
                out.findings += fs
                out.figures += [(r.unit_code, r.year, r.indicator, _canon(r.value), r.note, r.written)
                                for r in chosen.values()]
                out.bases[key] = (base, base_written)
                out.group_cats[key] = uy_cat
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
            out.findings, out.cut_errors, out.cut_warnings = cap_findings(out.findings, file=name)
            out.status = "checked" if out.ok else "rejected"
            if out.ok:
                out.groups, out.invalid, out.slots = dict(groups), set(pf.invalid), slots
                if overlay:
                    pending_values.update(pending)
            else:
                out.release()
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
    outcomes = []
    for o in _checked(paths, store=store, cat=cat, reg=reg, workers=workers):
        o.release()  # nothing is written
        outcomes.append(o)
    return outcomes


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


RACE_NOTE = " (số liệu trong kho vừa được một lần nhập khác thay đổi)"
_FAULT_VI = {DiskFull: "ổ đĩa chứa kho đã đầy", NotWritable: "kho chỉ đọc hoặc không có quyền ghi",
             StoreDamaged: "kho dữ liệu bị hỏng"}


class _Writer:
    """One connection; each file in its own ``BEGIN IMMEDIATE`` … ``COMMIT`` (or all files in one,
    :meth:`write_all`), relations re-checked inside the transaction."""

    def __init__(self, store: Store, reg, by):
        self.store, self.reg, self.by = store, reg, by or getpass.getuser()
        self.con = None
        self.broken: MachineFault | None = None  # no connection could be made: nothing more is tried
        self.catalogues_kept: set = set()  # digests of the catalogues recorded in the store
        self.units_kept: set = set()
        self.last_written: FileOutcome | None = None

    def _connect(self) -> sqlite3.Connection:
        if self.broken is not None:
            raise self.broken
        if self.con is None:
            try:
                self.con = self.store.connect()
            except MachineFault as fault:
                self.broken = fault
                raise
            # Bulk writer: every figure row references the imports row inserted just before it in the
            # same transaction (store.write_import), so the per-row foreign-key probe is redundant and
            # costs a third of the insert time; tests check PRAGMA foreign_key_check stays empty.
            # Checkpoint the WAL at the end of the batch rather than every 4 MB (each one fsyncs).
            self.con.execute("PRAGMA foreign_keys=OFF")
            self.con.execute("PRAGMA wal_autocheckpoint=16384")
        return self.con

    def _recheck(self, con, o: FileOutcome) -> list:
        """Relation findings of ``o`` against the store as it is now, inside the write transaction,
        for the unit-years whose stored values changed since ``o`` was checked."""
        new = []
        for key, rows in o.groups.items():
            now = Store.current_state(con, *key)
            if now == o.bases.get(key):
                continue  # the check outside the transaction saw exactly this
            _chosen, fs = check_unit_year(rows, o.group_cats[key], file=o.path, current=now[0], invalid=o.invalid,
                                          slots=o.slots, current_written=now[1])
            new += [replace(f, message=f.message + RACE_NOTE) for f in fs if f.is_error]
        return new

    def _write_one(self, con, o: FileOutcome) -> bool:
        """Inside an open transaction: re-check, then write ``o``; False when it is refused."""
        late = self._recheck(con, o)
        if late:
            o.findings += late
            o.status = "rejected"
            return False
        for c in o.catalogues:
            if c.digest not in self.catalogues_kept:
                self.store.record_catalogue(con, c)
        new_units = [uy for uy in o.unit_years if uy not in self.units_kept]
        if new_units:
            self.store.record_units(con, [self.reg.get(u, y) for (u, y) in new_units])
        o.result = self.store.write_import(
            file=os.path.abspath(o.path), sha256=o.sha256,
            catalogue_version=" | ".join(dict.fromkeys(c.version for c in o.catalogues)),
            catalogue_digest=",".join(dict.fromkeys(c.digest for c in o.catalogues)),
            figure_rows=o.figures, texts=o.texts, by=self.by, note=f"{o.kind} form", con=con,
        )
        _test_pause()
        return True

    def _failed(self, outcomes, exc: BaseException) -> None:
        fault = exc if isinstance(exc, MachineFault) else None
        if fault is not None:  # the whole message is printed once, after the outcomes
            detail = _FAULT_VI.get(type(fault), "lỗi của máy")
            why = "; xem thông báo cuối cùng"
        else:
            detail, why = f"{type(exc).__name__}: {exc}"[:120], "; thử lại sau"
        for o in outcomes:
            o.status, o.fault, o.result = "failed", fault, None
            o.findings.append(Place(o.path).finding(
                "write_failed", "ghi vào kho không thành công, tệp không được nhập (kho giữ nguyên như trước)" + why,
                found=detail, expected="ghi thành công"))

    def _committed(self, outcomes) -> None:
        for o in outcomes:
            self.catalogues_kept.update(c.digest for c in o.catalogues)
            self.units_kept.update(o.unit_years)
            o.status = "written" if o.result.import_id is not None else "unchanged"
            if o.status == "written":
                self.last_written = o
            o.figures = []  # written: release the memory (large batches)
            o.release()

    def _transaction(self, outcomes, body) -> None:
        """``BEGIN IMMEDIATE``, ``body(con)``, ``COMMIT`` (or ROLLBACK when it returns False or raises)."""
        try:
            con = self._connect()
            with self.store.guarded(writing=True):
                con.execute("BEGIN IMMEDIATE")
                if body(con):
                    con.execute("COMMIT")
                    self._committed(outcomes)
                    return
                con.execute("ROLLBACK")
        except Exception as exc:  # the files are rolled back whole; the others go on
            if self.con is not None and self.con.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.con.execute("ROLLBACK")
            self._failed([o for o in outcomes if o.status != "rejected"], exc)
        except BaseException:
            if self.con is not None and self.con.in_transaction:
                self.con.execute("ROLLBACK")
            raise

    def write(self, o: FileOutcome) -> None:
        """Write one checked file in its own transaction."""
        self._transaction([o], lambda con: self._write_one(con, o))

    def write_all(self, outcomes: list[FileOutcome]) -> None:
        """Write every checked file in one transaction: all of them, or (one refused) none."""
        def body(con) -> bool:
            for o in outcomes:
                if not self._write_one(con, o):
                    for other in outcomes:
                        if other is not o:
                            other.status, other.result = "held", None
                    return False
            return True

        self._transaction(outcomes, body)

    def close(self) -> None:
        if self.con is None:
            return
        try:
            self.con.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            # committed (the data is safe in the -wal file) but not folded into the store file yet:
            # the next danvan command that writes to the store does it
            if self.last_written is not None:
                why = "ổ đĩa chứa kho đã đầy" if isinstance(store_fault(exc, self.store.path), DiskFull) else str(exc)
                self.last_written.notes.append(
                    f"số liệu đã được ghi vào kho (an toàn trong tệp {self.store.path.name}-wal), nhưng chưa gộp được "
                    f"tệp đó vào tệp kho: {why}. Hãy giải phóng chỗ trống rồi chạy lại một lệnh danvan ghi vào kho "
                    "này (ví dụ nhập lại chính tệp này: «ĐÃ CÓ») để gộp.")
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.con.close()
            self.con = None


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
    any has an error (``status="held"`` for the valid ones); the valid files are then written in one
    transaction, so that a refusal inside it (relations changed by a concurrent import) still writes
    none. A file whose values equal the stored ones adds nothing (``"unchanged"``); otherwise one
    ``imports`` row records when, the file and its sha256, and by whom (``by``, else the OS user),
    and every changed value becomes a new revision (old ones are kept). ``workers``: processes that
    parse files (default: none, parse here). A machine fault (disk full, read-only or damaged store)
    is ``status="failed"`` with ``fault`` set.
    ``catalogue``: one catalogue for every unit, or a :class:`~danvan.intake.forms.Catalogues` (default:
    each unit-year's own report profile).
    """
    store = store or Store()
    reg = registry or load_registry()
    cat = catalogue if isinstance(catalogue, Catalogues) else Catalogues(catalogue, registry=reg)
    writer = _Writer(store, reg, by)
    outcomes: list[FileOutcome] = []
    try:
        # each file is committed before the next is checked (default), so the store itself holds
        # the earlier files; with all_or_nothing nothing is committed until every file is checked
        checked = _checked(paths, store=store, cat=cat, reg=reg, workers=workers, overlay=all_or_nothing)
        if all_or_nothing:
            outcomes = list(checked)
            if any(not o.ok for o in outcomes):
                for o in outcomes:
                    if o.ok:
                        o.status = "held"
                        o.figures = []
                        o.release()
                return outcomes
            writer.write_all(outcomes)
        else:
            for o in checked:
                outcomes.append(o)
                if o.ok:
                    writer.write(o)
    except CatalogueError as exc:
        # a unit-year's profile or catalogue that does not load stops the batch (a usage error); the
        # files before it are already written: the error carries their outcomes, for the summary
        exc.outcomes = outcomes
        raise
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
        text = f"ĐÃ NHẬP – {r.changed} số liệu mới/thay đổi, {r.texts_changed} mục văn bản (lần nhập #{r.import_id})"
        if r.notes_only:
            text += f"; {r.notes_only} số liệu giữ nguyên giá trị, chỉ thêm ghi chú mới"
        return text
    if o.status == "rejected" and not wrote:
        return "CÓ LỖI – không thể nhập"
    return _STATUS[o.status]


def format_outcomes(outcomes: list[FileOutcome], *, wrote: bool = True) -> str:
    """Per file: a status line, then one line per finding; then a summary line (Vietnamese)."""
    lines: list[str] = []
    for o in outcomes:
        counts = f"{o.n_errors} lỗi, {o.n_warnings} cảnh báo"
        lines.append(f"{o.path}: {_status_text(o, wrote)} ({counts})")
        for f in sorted(o.findings, key=lambda f: (f.rule == "findings_truncated", not f.is_error, f.row or 0, f.cell)):
            lines.append("  " + f.line())
        lines += [f"  LƯU Ý: {note}" for note in o.notes]
    n = len(outcomes)
    errors = sum(o.n_errors for o in outcomes)
    warns = sum(o.n_warnings for o in outcomes)
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
