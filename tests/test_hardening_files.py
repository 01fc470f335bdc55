"""Hardening, input files as a whole (issue cases 3, 7j, 7k): bounded work on huge workbooks and CSV
files, and files that are not regular files.

New rule ids assumed: too_many_rows, too_many_cells, findings_truncated, not_a_regular_file.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from _hardening import BASE_XLSX, EXIT_DATA, EXIT_USAGE, UNIT, YEAR, assert_clean, danvan
from _util import store_dump as dump
from danvan.intake.importer import check_files, format_outcomes

SHEET = "xl/worksheets/sheet1.xml"  # the data sheet «Số liệu» of a danvan form


def _xlsx_with_rows(path: Path, rows_xml: str) -> Path:
    """The valid filled form with ``rows_xml`` appended to the data sheet (written straight into the
    XML: openpyxl would take minutes and gigabytes to write a million rows)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(BASE_XLSX) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == SHEET:
                body = body.replace(b"</sheetData>", rows_xml.encode() + b"</sheetData>")
            dst.writestr(item, body)
    path.write_bytes(buf.getvalue())
    return path


def _tall(path: Path, n: int, first: int = 200) -> Path:
    """``n`` extra rows, each with a value in F and no indicator code (value_without_indicator)."""
    rows = "".join(f'<row r="{r}"><c r="F{r}"><v>1</v></c></row>' for r in range(first, first + n))
    return _xlsx_with_rows(path, rows)


def _wide(path: Path, n_rows: int, n_cols: int, first: int = 200) -> Path:
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c) for c in range(8, 8 + n_cols)]  # beyond the form's columns A:G
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{col}{r}"><v>1</v></c>' for col in letters) + "</row>"
                   for r in range(first, first + n_rows))
    return _xlsx_with_rows(path, rows)


def _run_measured(args, timeout=180):
    """``danvan ARGS`` in a child: (process, seconds, peak RSS of the child in MB)."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr); "
            "print(f'@@ {time.perf_counter() - t:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f}',"
            " file=sys.stderr); sys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "danvan", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)
    tail = [ln for ln in proc.stderr.splitlines() if ln.startswith("@@ ")][-1].split()
    return proc, float(tail[1]), float(tail[2])


# ---- case 3: unbounded xlsx work -------------------------------------------------------------------
def test_a_workbook_with_200k_rows_is_refused_quickly_and_briefly(store, tmp_path):
    """Before (measured, see BEFORE.md): 100,000 extra rows took 8.7-19 s, 374 MB and printed 100,003
    lines; 1,000,000 rows 75 s, 3.0 GB, 1,000,003 lines (the issue measured 449 s on a loaded machine)."""
    f = _tall(tmp_path / "trieu-dong.xlsx", 200_000)
    assert f.stat().st_size < 20 * 1024 * 1024  # under both size limits: the file itself is not "too large"
    with zipfile.ZipFile(f) as z:
        assert sum(i.file_size for i in z.infolist()) < 200 * 1024 * 1024
    before = dump(store.path)
    proc, seconds, peak_mb = _run_measured(["import", f, "--db", store.path])
    out = assert_clean(proc, rc=EXIT_DATA)
    assert "[too_many_rows]" in out, out[-2000:]
    assert len(proc.stdout.splitlines()) <= 250, f"{len(proc.stdout.splitlines())} lines of output"
    assert seconds < 15, f"{seconds:.1f} s"
    assert peak_mb < 400, f"{peak_mb:.0f} MB"
    assert dump(store.path) == before


def test_findings_are_capped_with_a_count_of_what_was_cut(store, tmp_path):
    # within any sane row cap (a form has ~90 rows; BEFORE.md proposes 10,000), but 1,500 findings
    f = _tall(tmp_path / "nhieu-loi.xlsx", 1_500)
    (o,) = check_files([f], store=store)
    assert len(o.findings) <= 201, len(o.findings)
    cut = [x for x in o.findings if x.rule == "findings_truncated"]
    assert len(cut) == 1, format_outcomes([o], wrote=False)[-1500:]
    shown = len(o.findings) - 1
    assert str(1_500 - shown) in cut[0].found.replace(".", ""), cut[0].line()
    assert not o.ok  # the cut findings were errors: the file stays refused
    text = format_outcomes([o], wrote=False)
    assert "1.500 lỗi" in text or "1500 lỗi" in text, text[-400:]  # the summary counts every finding


def test_a_sheet_with_too_many_cells_is_refused_before_it_is_loaded(store, tmp_path):
    f = _wide(tmp_path / "rong.xlsx", 500, 1_000)  # 500,000 cells in 500 rows
    proc, seconds, peak_mb = _run_measured(["validate", f, "--db", store.path])
    out = assert_clean(proc, rc=EXIT_DATA)
    assert "[too_many_cells]" in out or "[too_many_rows]" in out, out[-2000:]
    assert len(proc.stdout.splitlines()) <= 250
    assert seconds < 15 and peak_mb < 400, (seconds, peak_mb)


def test_a_csv_with_100k_rows_is_refused_briefly(store, tmp_path):
    f = tmp_path / "rat-nhieu-dong.csv"
    with open(f, "w", encoding="utf-8") as fh:
        fh.write("unit_code,year,indicator,value\n")
        for i in range(100_000):
            fh.write(f"{UNIT},{YEAR},X_{i},1\n")  # each an unknown indicator
    assert f.stat().st_size < 20 * 1024 * 1024
    proc, seconds, peak_mb = _run_measured(["validate", f, "--db", store.path])
    out = assert_clean(proc, rc=EXIT_DATA)
    assert "[too_many_rows]" in out, out[-2000:]
    assert len(proc.stdout.splitlines()) <= 250
    assert seconds < 15 and peak_mb < 400, (seconds, peak_mb)


# ---- case 7k: a directory or a FIFO passed as a file ------------------------------------------------
def test_a_directory_is_not_reported_as_missing(store, tmp_path):
    d = tmp_path / "bieu.csv"
    d.mkdir()
    (o,) = check_files([d], store=store)
    assert [x.rule for x in o.errors] == ["not_a_regular_file"], format_outcomes([o], wrote=False)
    assert "thư mục" in o.errors[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(store, tmp_path):
    fifo = tmp_path / "bieu.csv"
    os.mkfifo(fifo)
    link = tmp_path / "lien-ket.xlsx"
    link.symlink_to(fifo)
    proc = danvan("validate", fifo, link, "--db", store.path, timeout=60)  # opening a FIFO would block
    out = assert_clean(proc, rc=EXIT_DATA)
    assert out.count("[not_a_regular_file]") == 2 and "[file_not_found]" not in out, out


# ---- case 7j: a symlink to a non-regular file -------------------------------------------------------------
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_symlink_to_a_pseudo_file_does_not_echo_its_content(store, tmp_path):
    """Before: header_missing echoed the target's first line («Name:\tdanvan»); a run set linked the same
    way echoed it in the YAML error."""
    link = tmp_path / "so-lieu.csv"
    link.symlink_to("/proc/self/status")
    proc = danvan("validate", link, "--db", store.path)
    out = assert_clean(proc, rc=EXIT_DATA)
    assert "[not_a_regular_file]" in out and "Name:" not in out and "Pid" not in out, out
    rs = tmp_path / "dot.yaml"
    rs.symlink_to("/proc/self/status")
    proc = danvan("run", rs, "--db", store.path, "--outputs", tmp_path / "out", "--no-progress")
    out = assert_clean(proc, rc=EXIT_USAGE)
    assert "Name:" not in out and "Pid" not in out, out
    assert not (tmp_path / "out").exists()
