"""Intake: read ward files, validate them, and put them into the store through one path.

Two kinds of input come in:

* **Forms** (``danvan import FILE…``): filled xlsx forms and CSV files (see :mod:`danvan.forms`).
  :func:`check_files` reads and validates files (nothing written). :func:`import_files` validates
  each file completely and writes each file that has no error in **its own transaction** (all of a
  file or nothing of it). A file with errors is not written; the other, valid files of the same
  command are, and the summary says which were and which were not. With ``all_or_nothing=True``
  (``--all-or-nothing``) every file is validated before anything is written, and nothing at all is
  written when any file has an error. Findings are printed together at the end in both modes.
  A crash or kill leaves every file either fully stored or not at all (WAL, one transaction each).
* **Unit directories** (``<dir>/<unit>/<year>/``): ``figures.csv`` (``unit_code,year,indicator,
  value``), ``text/<section>.md`` (free-text sections) and ``report.yaml`` (document metadata). The
  reference data of the repository (``data/reference/<unit>/<year>/``) is loaded through this path,
  and reports can be rendered straight from such directories. ``figures.csv`` goes through the same
  CSV reader and rules as an imported file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from .catalogue import Catalogue, load_catalogue
from .store import META_SECTION, FigureValue, ImportResult, Store, project_root
from .vnformat import nfc

__all__ = [
    "IntakeError",
    "UnitYearData",
    "FileOutcome",
    "read_unit_dir",
    "import_unit_dir",
    "check_files",
    "import_files",
    "format_outcomes",
    "reference_root",
    "bootstrap_default_store",
]

# Test hook (used only by tests/test_store.py): sleep this many seconds inside the write
# transaction of each file, after its rows are inserted and before COMMIT, and touch the marker
# file first, so that a test can kill the process mid-transaction.
_PAUSE_ENV, _MARKER_ENV = "DANVAN_TEST_PAUSE_IN_TRANSACTION", "DANVAN_TEST_PAUSE_MARKER"


class IntakeError(ValueError):
    """Bad input data. The message is Vietnamese and names file, row, column and the fix."""


@dataclass
class UnitYearData:
    unit_code: str
    year: int
    figures: dict[str, Decimal] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    illustrative: bool = False
    source: str = ""
    fingerprint: str = ""
    files: list[Path] = field(default_factory=list)
    findings: list = field(default_factory=list)  # validate.Finding warnings (errors raise IntakeError)


def reference_root() -> Path:
    """``data/reference`` of the source checkout."""
    root = project_root()
    if root is None:
        raise FileNotFoundError("danvan is not running from a source checkout: no data/reference")
    return root / "data" / "reference"


def _read_figures_csv(path: Path, unit_code: str, year: int, cat: Catalogue, *, strict: bool = False):
    """Figures of a unit directory's ``figures.csv`` through the validating CSV reader.

    Returns ``(figures, warnings)``; raises :class:`IntakeError` listing every error. A unit directory
    describes its unit-year completely, so figures relate to each other within the file only.
    ``strict=False`` (rendering from files) reports inconsistent relations as warnings.
    """
    from .forms import read_file
    from .units import load_registry
    from .validate import RELATION_RULES, Place, check_unit_year, demote, format_findings

    pf = read_file(path, catalogue=cat, registry=load_registry())
    findings = list(pf.findings)
    mine, seen = [], set()
    for r in pf.rows:
        if (r.unit_code, r.year) == (unit_code, int(year)):
            mine.append(r)
        elif (r.unit_code, r.year) not in seen:
            seen.add((r.unit_code, r.year))
            findings.append(Place(str(path), row=r.row, column="unit_code").finding(
                "unit_year_mismatch", f"mã đơn vị/năm khác với thư mục {unit_code}/{year}",
                found=f"{r.unit_code}/{r.year}", expected=f"{unit_code}/{year}"))
    chosen, fs = check_unit_year(mine, cat, file=str(path), require=True, invalid=pf.invalid)
    findings += demote(fs, {"required_missing"} if strict else RELATION_RULES)
    errors = [f for f in findings if f.is_error]
    if errors:
        raise IntakeError(format_findings(findings, [str(path)]))
    return {k: r.value for k, r in chosen.items()}, findings


def read_unit_dir(data_dir, unit_code: str, year: int, cat: Catalogue | None = None, *,
                  strict: bool = False) -> UnitYearData:
    """Read ``<data_dir>/<unit_code>/<year>/`` (figures, free text, metadata)."""
    cat = cat or load_catalogue()
    base = Path(data_dir) / unit_code / str(year)
    if not base.is_dir():
        raise IntakeError(f"Không có thư mục số liệu {base} cho đơn vị {unit_code} năm {year}")
    data = UnitYearData(unit_code, int(year), source=str(base))
    fig_path = base / "figures.csv"
    if fig_path.exists():
        data.figures, data.findings = _read_figures_csv(fig_path, unit_code, year, cat, strict=strict)
        data.files.append(fig_path)
    for md in sorted((base / "text").glob("*.md")):
        data.texts[md.stem] = nfc(md.read_text(encoding="utf-8")).strip() + "\n"
        data.files.append(md)
    meta_path = base / "report.yaml"
    if meta_path.exists():
        data.meta = yaml.safe_load(nfc(meta_path.read_text(encoding="utf-8"))) or {}
        data.files.append(meta_path)
    data.illustrative = bool(data.meta.get("illustrative", False))
    h = hashlib.sha256()
    for p in data.files:
        h.update(p.relative_to(base).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    data.fingerprint = h.hexdigest()
    return data


def _meta_json(meta: dict) -> str:
    return json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str)


def import_unit_dir(
    store: Store, data_dir, unit_code: str, year: int, *, cat: Catalogue | None = None, by: str | None = None,
) -> ImportResult:
    """Store one unit-year directory in one transaction (figures, texts, metadata)."""
    cat = cat or load_catalogue()
    d = read_unit_dir(data_dir, unit_code, year, cat, strict=True)
    texts = {(unit_code, int(year), sec): body for sec, body in d.texts.items()}
    if d.meta:
        texts[(unit_code, int(year), META_SECTION)] = _meta_json(d.meta)
    from .units import load_registry

    unit = load_registry().get(unit_code, int(year))
    with store.transaction() as con:
        result = store.write_import(
            file=d.source,
            sha256=d.fingerprint,
            catalogue_version=cat.version,
            catalogue_digest=cat.digest,
            figures=[FigureValue(unit_code, int(year), k, v) for k, v in d.figures.items()],
            texts=texts,
            by=by,
            illustrative=d.illustrative,
            note="unit directory",
            con=con,
        )
        if result.import_id is not None:  # an unchanged directory writes nothing at all
            store.record_catalogue(con, cat)
            store.record_units(con, [unit])
    return result


def reference_unit_years(root: Path | None = None) -> list[tuple[str, int]]:
    root = root or reference_root()
    return sorted(
        (u.name, int(y.name))
        for u in root.iterdir() if u.is_dir()
        for y in u.iterdir() if y.is_dir() and y.name.isdigit()
    )


def bootstrap_default_store(store: Store, *, by: str | None = None) -> list[ImportResult]:
    """Load the repository's reference data into ``store`` (idempotent: unchanged data adds nothing)."""
    root = reference_root()
    cat = load_catalogue()
    return [import_unit_dir(store, root, u, y, cat=cat, by=by or "danvan setup") for u, y in reference_unit_years(root)]


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
    figures: list = field(default_factory=list)  # (unit, year, indicator, canonical text, note) to write
    texts: dict = field(default_factory=dict)  # (unit, year, section) -> body
    unit_years: list = field(default_factory=list)
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

    def get(self, unit: str, year: int) -> dict[str, Decimal]:
        if self.con is None:
            return {}
        rows = self.con.execute(
            "SELECT indicator, value FROM current_figures WHERE unit_code=? AND year=? AND value IS NOT NULL",
            (unit, int(year)),
        ).fetchall()
        return {k: Decimal(v) for k, v in rows}

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
    from .forms import read_file

    return read_file(path, catalogue=_WORKER["cat"], registry=_WORKER["reg"])


def _auto_workers(n_files: int, workers: int | None) -> int:
    return workers if workers and workers > 0 and n_files > 1 else 0


def _parsed(paths: list, cat, reg, workers: int):
    """``read_file`` of every path, in order; in ``workers`` processes when > 0."""
    from .forms import read_file

    if workers:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

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
    from .validate import Place, check_unit_year

    paths = list(paths)
    current = _Current(store)
    overlay: dict[tuple[str, int], dict[str, Decimal]] = {}
    try:
        for pf in _parsed(paths, cat, reg, _auto_workers(len(paths), workers)):
            name = pf.path
            out = FileOutcome(name, pf.kind, pf.sha256, list(pf.findings))
            groups: dict[tuple[str, int], list] = defaultdict(list)
            for r in pf.rows:
                groups[(r.unit_code, r.year)].append(r)
            pending: dict[tuple[str, int], dict[str, Decimal]] = {}
            for key, rows in groups.items():
                base = overlay[key] if key in overlay else current.get(*key)
                chosen, fs = check_unit_year(rows, cat, file=name, current=base, invalid=pf.invalid,
                                             slots=pf.slots if pf.kind == "xlsx" else None)
                out.findings += fs
                out.figures += [(r.unit_code, r.year, r.indicator, _canon(r.value), r.note) for r in chosen.values()]
                pending[key] = {**base, **{k: r.value for k, r in chosen.items()}}
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
    """Read and validate every file exactly as :func:`import_files` does; write nothing."""
    from .units import load_registry

    cat = catalogue or load_catalogue()
    reg = registry or load_registry()
    return list(_checked(paths, store=store, cat=cat, reg=reg, workers=workers))


def _canon(value: Decimal) -> str:
    """``store.canonical`` with a fast path for plain integers (most figures)."""
    text = str(value)
    if "E" in text or "." in text:
        from .store import canonical

        return canonical(value)
    return text


def _test_pause() -> None:
    seconds = os.environ.get(_PAUSE_ENV)
    if not seconds:
        return
    marker = os.environ.get(_MARKER_ENV)
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(seconds))


class _Writer:
    """One connection; each file in its own ``BEGIN IMMEDIATE`` … ``COMMIT``."""

    def __init__(self, store: Store, cat, reg, by):
        import getpass

        self.store, self.cat, self.reg, self.by = store, cat, reg, by or getpass.getuser()
        self.con = None
        self.catalogue_kept = False
        self.units_kept: set = set()

    def write(self, o: FileOutcome) -> None:
        from .validate import Place

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
            if not self.catalogue_kept:
                store.record_catalogue(con, self.cat)
            new_units = [uy for uy in o.unit_years if uy not in self.units_kept]
            if new_units:
                store.record_units(con, [self.reg.get(u, y) for (u, y) in new_units])
            o.result = store.write_import(
                file=os.path.abspath(o.path), sha256=o.sha256, catalogue_version=self.cat.version,
                catalogue_digest=self.cat.digest, figure_rows=o.figures, texts=o.texts, by=self.by,
                note=f"{o.kind} form", con=con,
            )
            _test_pause()
            con.execute("COMMIT")
            self.catalogue_kept = True
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
    """
    from .units import load_registry

    store = store or Store()
    cat = catalogue or load_catalogue()
    reg = registry or load_registry()
    writer = _Writer(store, cat, reg, by)
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
