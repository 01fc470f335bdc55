"""Import: the bad-input corpus, the import/validate/history commands, and the round trip
form -> fill -> import -> report -> re-import -> history -> report.

"The database is unchanged" is checked on a logical dump (``iterdump``): in WAL mode the bytes of
the main file depend on when SQLite checkpoints, and a reader may create the -wal/-shm files, so
raw bytes would differ without any data changing. The dump lists every table row and schema
statement, so equal dumps mean equal content.
"""

from __future__ import annotations

import os
import sqlite3
import unicodedata
from pathlib import Path

import pytest
import yaml

from danvan.intake.forms import Catalogues
from danvan.reference.catalogue import load_catalogue
from danvan.cli.main import main
from danvan.intake.importer import check_files, format_outcomes, import_files
from danvan.store import Store, canonical
from danvan.reference.units import load_registry
from danvan.intake.validate import RULES
from _util import UNIT, YEAR, reference_values, write_csv
from _util import store_dump as dump

BAD = Path(__file__).parent / "data" / "bad"
MANIFEST = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))
NOT_INPUTS = {"make_corpus.py", "expected.yaml", "extra-catalogue.yaml"}
UNIT, YEAR = "19780", 2024
REF_CSV = Path(__file__).resolve().parents[1] / "data" / "reference" / "19780" / "2023" / "figures.csv"


def cli(argv) -> int:
    """``danvan ARGV`` in this process (errors mapped to exit codes as the command line does)."""
    from danvan.cli.main import main

    return main([str(a) for a in argv])




@pytest.fixture
def registry():
    return load_registry()


# ---- the corpus ---------------------------------------------------------------------------------
def test_corpus_is_complete_and_large_enough():
    files = {p.name for p in BAD.iterdir() if p.is_file() and p.name not in NOT_INPUTS}
    assert files == set(MANIFEST), "every corpus file needs an entry in expected.yaml and vice versa"
    assert len(files) >= 30
    assert all(p.stat().st_size < 200_000 for p in BAD.iterdir()), "corpus files stay small"


def test_corpus_covers_every_rule():
    covered = {r for spec in MANIFEST.values() for r in spec.get("errors", []) + spec.get("warnings", [])}
    covered |= {"file_too_large", "file_not_found"}  # generated at test time (below)
    covered |= {"write_failed", "unit_year_mismatch"}  # tests of this file that need no input file
    # made at test time by tests/test_hardening_files.py (huge sheets and CSV files, 1,500 findings,
    # directories, FIFOs, /proc links) and tests/test_hardening_values.py (a unit directory dated 2999)
    covered |= {"too_many_rows", "too_many_cells", "findings_truncated", "not_a_regular_file", "date_in_future"}
    assert set(RULES) - covered == set()


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus(name, store, registry, monkeypatch):
    spec = MANIFEST[name]
    cat = None
    if spec.get("catalogue"):
        cat = load_catalogue(str(BAD / spec["catalogue"]))
    if spec.get("profile"):  # the reference report's figures filed under a unit of another province
        cat = Catalogues(registry=registry, profile=spec["profile"])
    before = dump(store.path)
    outcomes = import_files([BAD / name], store, registry=registry, catalogue=cat, by="corpus")
    (o,) = outcomes
    report = format_outcomes(outcomes)
    assert {f.rule for f in o.errors} == set(spec["errors"]), report
    assert {f.rule for f in o.warnings} == set(spec.get("warnings", [])), report
    for f in o.findings:
        assert f.message and f.file == str(BAD / name)
        assert unicodedata.is_normalized("NFC", f.line())
    if spec["errors"]:
        assert o.status == "rejected"
        assert dump(store.path) == before, "a file with errors must leave the store unchanged"
        first = o.errors[0]
        if "where" in spec:
            assert first.where == spec["where"], report
        if "hint" in spec:
            assert first.expected == spec["hint"] and spec["hint"] in first.message
        if "found" in spec:
            assert spec["found"] in first.found
        assert first.line().startswith("LỖI ") and f"[{first.rule}]" in first.line()
    else:
        assert o.status == "written", report
        after = dump(store.path)
        assert set(before) <= set(after), "nothing stored before is overwritten or deleted"
        figs = store.figures(spec.get("unit", UNIT), spec.get("year", YEAR))
        for code, value in spec.get("stored", {}).items():
            assert canonical(figs[code]) == value, code
        texts = store.texts(spec.get("unit", UNIT), spec.get("year", YEAR))
        for sec, phrase in spec.get("texts", {}).items():
            assert phrase in texts[sec] and unicodedata.is_normalized("NFC", texts[sec])


def test_fifty_megabyte_file_is_refused_without_reading_it(store, tmp_path, registry):
    big = tmp_path / "toan-thanh-pho.csv"
    line = f"{UNIT},{YEAR},REV_TOTAL,7967592178\n".encode()
    with open(big, "wb") as fh:
        fh.write(b"unit_code,year,indicator,value\n")
        chunk = line * (1 << 16)
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(chunk)
    before = dump(store.path)
    (o,) = import_files([big], store, registry=registry)
    assert [f.rule for f in o.findings] == ["file_too_large"]
    assert "MB" in o.findings[0].message
    assert dump(store.path) == before


def test_missing_file(store, tmp_path):
    (o,) = import_files([tmp_path / "khong-co.xlsx"], store)
    assert [f.rule for f in o.findings] == ["file_not_found"]


def test_xlsx_over_the_unzipped_limit_is_refused(store, registry, monkeypatch):
    import danvan.intake.forms

    monkeypatch.setattr(danvan.intake.forms, "MAX_UNZIPPED_BYTES", 10_000)
    (o,) = check_files([BAD / "xlsx_percent_formatted_cell.xlsx"], store=store, registry=registry)
    assert [f.rule for f in o.errors] == ["file_too_large"]


def test_invalid_value_is_not_also_reported_missing(store, tmp_path):
    values = reference_values()
    values["REV_TOTAL"] = "bảy tỷ"
    (o,) = check_files([write_csv(tmp_path / "f.csv", values)], store=store)
    assert [f.rule for f in o.errors] == ["not_a_number"]


# ---- several files, all-or-nothing, failures -----------------------------------------------------
def test_valid_files_are_written_and_invalid_ones_are_not(store, tmp_path, capsys):
    good = write_csv(tmp_path / "good.csv", reference_values())
    bad_values = dict(reference_values(), CULT_FAMILIES_PCT="120")
    bad = write_csv(tmp_path / "bad.csv", bad_values, unit="19783")
    rc = cli(["import", str(good), str(bad), "--db", str(store.path), "--by", "Cán bộ tổng hợp"])
    out = capsys.readouterr().out
    assert rc == 1
    assert f"{good}: ĐÃ NHẬP" in out and f"{bad}: KHÔNG NHẬP" in out
    assert "[percent_out_of_range]" in out and "1 tệp KHÔNG nhập" in out
    assert store.figures(UNIT, YEAR)["REV_TOTAL"] == 7967592178
    assert store.figures("19783", YEAR) == {}
    assert store.history(UNIT, YEAR, "REV_TOTAL")[-1].by == "Cán bộ tổng hợp"


def test_all_or_nothing_writes_nothing_when_one_file_is_bad(store, tmp_path, capsys):
    good = write_csv(tmp_path / "good.csv", reference_values())
    bad = write_csv(tmp_path / "bad.csv", dict(reference_values(), SEC_REPORTS="99"), unit="19783")
    before = dump(store.path)
    rc = cli(["import", "--all-or-nothing", str(good), str(bad), "--db", str(store.path)])
    out = capsys.readouterr().out
    assert rc == 1 and "--all-or-nothing" in out and "[parts_sum_mismatch]" in out
    assert dump(store.path) == before


def test_validate_writes_nothing_and_reports_exit_code(store, tmp_path, capsys):
    good = write_csv(tmp_path / "good.csv", reference_values())
    before = dump(store.path)
    assert cli(["validate", str(good), "--db", str(store.path)]) == 0
    assert "HỢP LỆ" in capsys.readouterr().out
    bad = write_csv(tmp_path / "bad.csv", dict(reference_values(), POOR_HOUSEHOLDS="-1"))
    assert cli(["validate", str(bad), "--db", str(store.path)]) == 1
    out = capsys.readouterr().out
    assert "[negative_value]" in out and "dòng" in out and "Số hộ nghèo" in out
    assert dump(store.path) == before


def test_relations_are_checked_against_the_stored_values(store, tmp_path):
    # the store holds 19780/2023 with SEC_REPORTS = 15 + 19; a file changing only the total
    partial = write_csv(tmp_path / "total.csv", {"SEC_REPORTS": "40"}, year=2023)
    (o,) = check_files([partial], store=store)
    assert [f.rule for f in o.errors] == ["parts_sum_mismatch"]
    fixed = write_csv(tmp_path / "both.csv", {"SEC_REPORTS": "40", "SEC_REPORTS_ORDER": "25"}, year=2023)
    (o,) = import_files([fixed], store)
    assert o.status == "written" and o.result.changed == 2
    # a later file of the same batch is checked against the earlier valid ones
    a = write_csv(tmp_path / "a.csv", {"EID_ACCOUNTS": "7500", "EID_ACCOUNTS_L1": "752"}, year=2023)
    b = write_csv(tmp_path / "b.csv", {"EID_ACCOUNTS_L1": "752"}, year=2023)
    (alone,) = check_files([b], store=store)  # 752 + 6748 != 7400 stored
    assert [f.rule for f in alone.errors] == ["parts_sum_mismatch"]
    oa, ob = check_files([a, b], store=store)  # after a: 752 + 6748 == 7500
    assert oa.ok and ob.ok


def test_a_failed_write_rolls_back_that_file_only(store, tmp_path, monkeypatch):
    first = write_csv(tmp_path / "first.csv", reference_values())
    second = write_csv(tmp_path / "second.csv", reference_values(), unit="19783")
    real = Store.write_import
    calls = []

    def flaky(self, **kw):
        calls.append(kw["file"])
        result = real(self, **kw)  # rows inserted, then the failure: the transaction must roll back
        if len(calls) == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return result

    monkeypatch.setattr(Store, "write_import", flaky)
    o1, o2 = import_files([first, second], store)
    assert o1.status == "failed" and [f.rule for f in o1.errors] == ["write_failed"]
    assert o2.status == "written"
    assert store.figures(UNIT, YEAR) == {} and store.figures("19783", YEAR)


def test_reimport_of_the_same_file_adds_nothing(store, tmp_path, capsys):
    f = write_csv(tmp_path / "f.csv", reference_values())
    (o,) = import_files([f], store)
    assert o.status == "written"
    n = len(dump(store.path))
    assert cli(["import", str(f), "--db", str(store.path)]) == 0
    assert "ĐÃ CÓ" in capsys.readouterr().out
    assert len(dump(store.path)) == n


def test_notes_are_kept_with_the_revision(store, tmp_path, capsys):
    f = write_csv(tmp_path / "f.csv", {"REV_TOTAL": "8000000000"}, year=2023,
                  notes={"REV_TOTAL": "Số liệu chính thức sau quyết toán"})
    (o,) = import_files([f], store)
    assert o.status == "written"
    assert store.history(UNIT, 2023, "REV_TOTAL")[-1].note == "Số liệu chính thức sau quyết toán"
    assert cli(["history", "--unit", UNIT, "--year", "2023", "--indicator", "REV_TOTAL",
                 "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "7.967.592.178" in out and "8.000.000.000" in out and "sau quyết toán" in out


def test_worker_processes_give_the_same_outcome(store, tmp_path, registry):
    files = [write_csv(tmp_path / f"{u}.csv", reference_values(), unit=u) for u in ("19780", "19783", "19786")]
    files.append(BAD / "xlsx_merged_cells.xlsx")
    inline = check_files(files, store=store, registry=registry, workers=0)
    pooled = check_files(files, store=store, registry=registry, workers=2)
    assert [(o.status, [f.rule for f in o.findings], o.figures) for o in inline] == \
           [(o.status, [f.rule for f in o.findings], o.figures) for o in pooled]
    outcomes = import_files(files, store, registry=registry, workers=2)
    assert [o.status for o in outcomes] == ["written", "written", "written", "rejected"]
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("SELECT COUNT(*) FROM units WHERE code IN ('19780','19783','19786')").fetchone()[0] == 3
    assert con.execute("SELECT COUNT(*) FROM catalogues").fetchone()[0] >= 1


# ---- CLI ------------------------------------------------------------------------------------------
def test_cli_exit_codes(store, tmp_path, capsys):
    assert main(["history", "--unit", UNIT, "--year", "2023", "--indicator", "REV_TOTL",
                 "--db", str(store.path)]) == 2
    assert "REV_TOTAL" in capsys.readouterr().err
    assert main(["form", "--unit", "99999", "--year", "2024", "--out", str(tmp_path / "x.xlsx")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["import"])
    assert exc.value.code == 2
    capsys.readouterr()
    assert main(["history", "--unit", UNIT, "--year", "2023", "--db", str(tmp_path / "none.sqlite")]) == 2
    assert "danvan setup" in capsys.readouterr().err and not (tmp_path / "none.sqlite").exists()


def test_history_overview_and_text_history(store, capsys):
    assert cli(["history", "--unit", UNIT, "--year", "2023", "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "REV_TOTAL" in out and "Tổng thu ngân sách trên địa bàn" in out
    assert cli(["history", "--unit", UNIT, "--year", "2023", "--section", "II.1", "--db", str(store.path)]) == 0
    assert "II.1" in capsys.readouterr().out


# ---- round trip ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_round_trip_form_import_report_history(store, tmp_path, capsys):
    import openpyxl

    from danvan.run.render import render

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "ward_report.ipynb"
    db = str(store.path)
    form = tmp_path / "bieu.xlsx"
    assert cli(["form", "--unit", UNIT, "--year", str(YEAR), "--out", str(form), "--db", db]) == 0
    values = reference_values()

    def fill(path: Path, rev_total: int) -> Path:
        wb = openpyxl.load_workbook(form)
        ws = wb["Số liệu"]
        for row in ws.iter_rows(min_row=8):
            code = row[1].value
            if code in values:
                v = values[code]
                row[5].value = float(v) if "." in v else int(v)
            if code == "REV_TOTAL":
                assert row[4].value == 7967592178  # last year's value beside the row
                row[5].value = rev_total
        wb["Văn bản"]["C4"] = "Năm 2024, Đảng ủy phường lãnh đạo xây dựng mô hình “Dân vận khéo” ở tổ dân phố số 7."
        wb.save(path)
        return path

    first = fill(tmp_path / "lan-1.xlsx", 8123456789)
    assert cli(["import", str(first), "--db", db, "--by", "Cán bộ A"]) == 0
    capsys.readouterr()
    params = {"unit_code": UNIT, "year": YEAR, "db": db}
    out1 = render(notebook, params, tmp_path / "out1")
    assert out1.status == "ok", out1.error
    html = Path(out1.files["html"]).read_text(encoding="utf-8")
    assert "8.123.456.789 đồng" in html
    assert "mô hình “Dân vận khéo” ở tổ dân phố số 7" in html

    second = fill(tmp_path / "lan-2.xlsx", 8200000000)
    assert cli(["import", str(second), "--db", db, "--by", "Cán bộ B"]) == 0
    assert "1 số liệu mới/thay đổi" in capsys.readouterr().out
    assert cli(["history", "--unit", UNIT, "--year", str(YEAR), "--indicator", "REV_TOTAL", "--db", db]) == 0
    hist = capsys.readouterr().out
    assert "8.123.456.789" in hist and "8.200.000.000" in hist
    assert "Cán bộ A" in hist and "Cán bộ B" in hist and "lan-1.xlsx" in hist and "lan-2.xlsx" in hist
    revs = Store(db).history(UNIT, YEAR, "REV_TOTAL")
    assert [r.value for r in revs] == [8123456789, 8200000000]
    assert revs[0].sha256 != revs[1].sha256

    out2 = render(notebook, params, tmp_path / "out2")
    assert out2.status == "ok", out2.error
    html2 = Path(out2.files["html"]).read_text(encoding="utf-8")
    assert "8.200.000.000 đồng" in html2 and "8.123.456.789" not in html2
    assert os.path.exists(out2.files["html"])
