"""Hardening, the store (issue cases 2, 5c, 6b, 6c, 6d, 6e, and `danvan backup`): relation checks
inside the write transaction, read-only opening for read-only commands, an integrity check before
writing, clean messages on a full disk or a read-only or damaged store.

Assumed: `danvan backup OUT [--db STORE] [--force]` (SQLite online backup); exit code 4 for a machine
fault (_hardening.EXIT_FAULT).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _hardening import (
    DISK_FULL,
    EXIT_DATA,
    EXIT_FAULT,
    EXIT_USAGE,
    READ_ONLY,
    UNIT,
    assert_clean,
    danvan,
    file_digest,
    fill,
    integrity,
    read_only_dir,
    reference_values,
    relation_errors,
    run_main,
    tmpfs,
    write_csv,
)
from _util import store_dump as dump
from _util import wait_for_marker

RESTORE = re.compile(r"sao lưu|danvan backup", re.I)
DAMAGED = re.compile(r"hỏng|không toàn vẹn|integrity", re.I)


def _paused_import(file: Path, db: Path, marker: Path, seconds: float) -> subprocess.Popen:
    """``danvan import FILE`` that sleeps ``seconds`` inside its write transaction (test hook of
    danvan.intake.importer), started and waited for until it is in the transaction."""
    env = dict(os.environ, DANVAN_TEST_PAUSE_IN_TRANSACTION=str(seconds), DANVAN_TEST_PAUSE_MARKER=str(marker))
    proc = subprocess.Popen([sys.executable, "-m", "danvan", "import", str(file), "--db", str(db)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_marker(marker, proc)
    return proc


# ---- case 2: relation checks inside the write transaction ----------------------------------------
def test_two_concurrent_imports_cannot_break_a_relation_together(store, tmp_path):
    """Before: both were checked against the store as it was before either (15 + 19 = 34), both were
    written, and the store held SEC_REPORTS = 55 with parts 37 + 40."""
    a = write_csv(tmp_path / "a.csv", {"SEC_REPORTS_CRIME": "37", "SEC_CRIME_TRANSFERRED": "33",
                                       "SEC_REPORTS": "56"}, year=2023)  # 37 + 19 = 56
    b = write_csv(tmp_path / "b.csv", {"SEC_REPORTS_ORDER": "40", "SEC_REPORTS": "55"}, year=2023)  # 15 + 40
    pa = _paused_import(a, store.path, tmp_path / "a-in-tx", seconds=3)
    pb = danvan("import", b, "--db", store.path, timeout=120)  # checked while a holds the write lock
    out_a, err_a = pa.communicate(timeout=120)
    assert pa.returncode == 0, out_a + err_a
    out_b = assert_clean(pb, rc=EXIT_DATA)
    assert "[parts_sum_mismatch]" in out_b and "KHÔNG NHẬP" in out_b, out_b
    assert relation_errors(store.path, UNIT, 2023) == []
    figs = store.figures(UNIT, 2023)
    assert (figs["SEC_REPORTS"], figs["SEC_REPORTS_CRIME"], figs["SEC_REPORTS_ORDER"]) == (56, 37, 19)
    assert integrity(store.path) == "ok"


def test_all_or_nothing_refused_inside_the_transaction_writes_none(store, tmp_path):
    """--all-or-nothing writes its files in one transaction: when a concurrent import makes one of
    them inconsistent, the others (valid, already inserted in that transaction) are not kept."""
    a = write_csv(tmp_path / "a.csv", {"SEC_REPORTS_CRIME": "37", "SEC_CRIME_TRANSFERRED": "33",
                                       "SEC_REPORTS": "56"}, year=2023)
    other = write_csv(tmp_path / "khac.csv", reference_values(), unit="19783")  # independent, valid
    b = write_csv(tmp_path / "b.csv", {"SEC_REPORTS_ORDER": "40", "SEC_REPORTS": "55"}, year=2023)
    pa = _paused_import(a, store.path, tmp_path / "a-in-tx", seconds=3)
    pb = danvan("import", other, b, "--all-or-nothing", "--db", store.path, timeout=120)
    pa.communicate(timeout=120)
    assert pa.returncode == 0
    out = assert_clean(pb, rc=EXIT_DATA)
    assert "[parts_sum_mismatch]" in out and "một lần nhập khác" in out, out
    assert "--all-or-nothing" in out  # the valid file is held, not written
    assert store.figures("19783", 2024) == {}
    assert relation_errors(store.path, UNIT, 2023) == []


# ---- case 6b: a read-only store ------------------------------------------------------------------------
def test_import_into_a_read_only_store(store, tmp_path, capsys):
    f = write_csv(tmp_path / "f.csv", {"REV_TOTAL": "8000000000"}, year=2023)
    ro = tmp_path / "ro"
    with read_only_dir(ro) as make_ro:
        db = ro / "store.sqlite"
        shutil.copy(store.path, db)
        digest = file_digest(db)
        make_ro()
        rc, out, err = run_main(["import", f, "--db", db], capsys)
        text = assert_clean(out + err)
        assert rc == EXIT_FAULT, text
        assert str(db) in text and READ_ONLY.search(text), text
        assert file_digest(db) == digest


# ---- case 6c: read-only commands on a read-only mount -----------------------------------------------------
@pytest.fixture
def ro_store(store, tmp_path):
    """A copy of the reference store on a read-only mount (root: a tmpfs remounted ro; else chmod)."""
    ro = tmp_path / "ro"
    with read_only_dir(ro) as make_ro:
        db = ro / "store.sqlite"
        shutil.copy(store.path, db)
        make_ro()
        yield db


def test_history_and_check_read_a_store_on_a_read_only_mount(ro_store, capsys):
    rc, out, err = run_main(["history", "--unit", UNIT, "--year", "2023", "--indicator", "REV_TOTAL",
                             "--db", ro_store], capsys)
    assert rc == 0 and "7.967.592.178" in out, out + err
    rc, out, err = run_main(["check", "--unit", UNIT, "--year", "2023", "--db", ro_store], capsys)
    assert_clean(out + err)
    assert rc in (0, 1) and "Kiểm tra số liệu" in out, out + err


def test_validate_reads_a_store_on_a_read_only_mount(ro_store, tmp_path, capsys):
    partial = write_csv(tmp_path / "total.csv", {"SEC_REPORTS": "40"}, year=2023)  # parts stored: 15 + 19
    rc, out, err = run_main(["validate", partial, "--db", ro_store], capsys)
    assert rc == EXIT_DATA and "[parts_sum_mismatch]" in out, out + err


def test_form_reads_last_year_from_a_store_on_a_read_only_mount(ro_store, tmp_path, capsys):
    """Before: the form was made, silently without last year's values (the store could not be opened)."""
    import openpyxl

    out_file = tmp_path / "bieu.xlsx"
    rc, out, err = run_main(["form", "--unit", UNIT, "--year", "2024", "--out", out_file, "--db", ro_store], capsys)
    assert rc == 0, out + err
    ws = openpyxl.load_workbook(out_file)["Số liệu"]
    last = {row[1].value: row[4].value for row in ws.iter_rows(min_row=8)}
    assert last["REV_TOTAL"] == 7967592178


@pytest.mark.slow
def test_render_and_run_read_a_store_on_a_read_only_mount(ro_store, tmp_path, capsys):
    rc, out, err = run_main(["render", "--unit", UNIT, "--year", "2023", "--db", ro_store,
                             "--outputs", tmp_path / "out"], capsys)
    assert rc == 0, out + err
    assert (tmp_path / "out" / "2023" / UNIT / "report.html").exists()
    proc = danvan("run", "--year", "2023", "--units", UNIT, "--db", ro_store, "--outputs", tmp_path / "out2",
                  "--no-progress", "--workers", "1")
    assert_clean(proc, rc=0)


# ---- case 6d: a truncated store -----------------------------------------------------------------------------
@pytest.fixture
def truncated_store(store):
    con = sqlite3.connect(store.path)  # fold the WAL in, so that the main file holds everything
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    size = store.path.stat().st_size
    os.truncate(store.path, size // 2)
    return store.path


@pytest.mark.parametrize("argv", [
    ["history", "--unit", UNIT, "--year", "2023", "--indicator", "REV_TOTAL"],
    ["check", "--unit", UNIT, "--year", "2023"],
    ["import", "@CSV"],
    ["validate", "@CSV"],
    ["render", "--unit", UNIT, "--year", "2023", "--outputs", "@OUT"],
    ["form", "--unit", UNIT, "--year", "2024", "--out", "@FORM"],  # before: a form without last year's values
    ["backup", "@BACKUP"],
])
def test_a_truncated_store_gives_a_message_not_a_traceback(truncated_store, tmp_path, argv, capsys):
    f = write_csv(tmp_path / "f.csv", {"REV_TOTAL": "8000000000"}, year=2023)
    places = {"@CSV": f, "@OUT": tmp_path / "out", "@FORM": tmp_path / "bieu.xlsx", "@BACKUP": tmp_path / "b.sqlite"}
    argv = [str(places.get(a, a)) for a in argv]
    digest = file_digest(truncated_store)
    rc, out, err = run_main([*argv, "--db", truncated_store], capsys)
    text = assert_clean(out + err)
    assert rc == EXIT_FAULT, text
    assert str(truncated_store) in text and DAMAGED.search(text) and RESTORE.search(text), text
    assert file_digest(truncated_store) == digest
    assert not (tmp_path / "out" / "2023").exists()
    assert not (tmp_path / "bieu.xlsx").exists() and not (tmp_path / "b.sqlite").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# ---- case 6e: a store with overwritten pages --------------------------------------------------------------------
def test_no_import_into_a_store_with_overwritten_pages(store, tmp_path, capsys):
    """Before: the import succeeded (exit 0, "ĐÃ NHẬP") into a store whose text_revisions table had a page
    of garbage; PRAGMA quick_check reported it as malformed."""
    from danvan.intake.demo import load_demo

    load_demo(store, [(c, y) for c in ("19750", "19753", "19756") for y in (2021, 2022, 2023)])
    con = sqlite3.connect(store.path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try:
        pages = [r[0] for r in con.execute(
            "SELECT pageno FROM dbstat WHERE name='text_revisions' AND pagetype='leaf' ORDER BY pageno")]
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    assert len(pages) > 2
    with open(store.path, "r+b") as fh:
        fh.seek((pages[len(pages) // 2] - 1) * page_size)
        fh.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    digest = file_digest(store.path)
    f = write_csv(tmp_path / "f.csv", {"REV_TOTAL": "8000000000"}, year=2023)
    rc, out, err = run_main(["import", f, "--db", store.path], capsys)
    text = assert_clean(out + err)
    assert rc == EXIT_FAULT, text
    assert "ĐÃ NHẬP" not in text and DAMAGED.search(text) and RESTORE.search(text), text
    assert file_digest(store.path) == digest


# ---- danvan backup ---------------------------------------------------------------------------------------------
def test_backup_copies_a_consistent_store_while_a_writer_is_busy(store, tmp_path, capsys):
    before = dump(store.path)
    f = write_csv(tmp_path / "f.csv", {"REV_TOTAL": "8000000000"}, year=2023)
    importer = _paused_import(f, store.path, tmp_path / "in-tx", seconds=30)
    try:
        out_file = tmp_path / "sao-luu" / "danvan-2024.sqlite"
        t0 = time.monotonic()
        rc, out, err = run_main(["backup", out_file, "--db", store.path], capsys)
        assert rc == 0, out + err
        assert time.monotonic() - t0 < 20, "a backup does not wait for the writer to finish"
        assert str(out_file) in out
        assert integrity(out_file) == "ok"
        assert dump(out_file) == before  # the committed state, without the uncommitted import
    finally:
        importer.send_signal(signal.SIGKILL)
        importer.wait(timeout=30)
    rc, out, err = run_main(["backup", out_file, "--db", store.path], capsys)
    assert rc == EXIT_USAGE and "--force" in err, out + err  # never overwrites a backup by accident


# ---- case 5c: the store's disk fills after the commit ----------------------------------------------------------
def _many_unit_years_csv(path: Path) -> Path:
    from danvan.reference.units import load_registry

    reg = load_registry()
    wards = [u.code for u in reg.children("474", 2023, level="commune")][:10]
    values = reference_values()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["unit_code", "year", "indicator", "value"])
        for u in wards:
            for y in range(2010, 2023):
                for k, v in values.items():
                    w.writerow([u, y, k, v])
    return path


@pytest.mark.parametrize("leave_kb", [500, 1100, 1400, 4000])
def test_a_full_store_disk_never_hides_whether_the_file_was_stored(reference_db, tmp_path, leave_kb):
    """Before: with 1,000-1,600 kB free the commit fitted in the WAL but the checkpoint after it did not:
    a traceback (sqlite3.OperationalError: database or disk is full) from the import, exit 1, although
    the 10,140 figures *were* stored."""
    big = _many_unit_years_csv(tmp_path / "nhieu-don-vi.csv")  # 10,140 figures: ~0.9 MB of WAL
    mnt = tmp_path / "disk"
    with tmpfs(mnt, "8m"):
        db = mnt / "store.sqlite"
        shutil.copy(reference_db, db)
        before = dump(db)
        filler = fill(mnt, leave_kb * 1024)
        proc = danvan("import", big, "--db", db, timeout=300)
        filler.unlink()
        text = assert_clean(proc)
        stored = len(dump(db)) > len(before)
        assert integrity(db) == "ok"
        if stored:
            assert proc.returncode == 0 and "ĐÃ NHẬP" in proc.stdout, text
        else:
            assert proc.returncode == EXIT_FAULT and "KHÔNG NHẬP" in proc.stdout, text
            assert DISK_FULL.search(text), text
            assert dump(db) == before
