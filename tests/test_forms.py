"""Forms: the xlsx and CSV forms a ward receives, reading them back, and CSV encodings."""

from __future__ import annotations

import csv
import unicodedata
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from danvan.reference.catalogue import load_catalogue
from danvan.intake.forms import CSV_COLUMNS, SHEET_DATA, SHEET_HELP, SHEET_TEXT, decode_csv_bytes, read_file, write_csv_form, write_xlsx_form
from danvan.core.errors import IntakeError
from danvan.intake.importer import check_files
from danvan.intake.unitdir import read_unit_dir
from _util import corpus_module

BAD = Path(__file__).parent / "data" / "bad"
corpus = corpus_module()


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture
def form(store, tmp_path):
    return write_xlsx_form("19780", 2024, tmp_path / "bieu.xlsx", db=store.path)


def rows_by_code(ws) -> dict[str, int]:
    return {row[1].value: row[0].row for row in ws.iter_rows(min_row=8) if row[1].value}


# ---- the xlsx form --------------------------------------------------------------------------------
def test_xlsx_form_layout(form, cat):
    wb = openpyxl.load_workbook(form)
    assert wb.sheetnames == [SHEET_DATA, SHEET_TEXT, SHEET_HELP]
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets)
    ws = wb[SHEET_DATA]
    assert ws["B2"].value == "19780" and isinstance(ws["B2"].value, str) and ws["B2"].number_format == "@"
    assert ws["C2"].value == "Phường Phường Đúc" and ws["B3"].value == 2024 and ws["B4"].value == cat.version
    assert {n: wb.defined_names[n].attr_text for n in ("DANVAN_UNIT", "DANVAN_YEAR", "DANVAN_CATALOGUE")} == {
        "DANVAN_UNIT": "'Số liệu'!$B$2", "DANVAN_YEAR": "'Số liệu'!$B$3", "DANVAN_CATALOGUE": "'Số liệu'!$B$4"}
    assert [c.value for c in ws[7]] == ["Mục", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", "Năm 2023",
                                        "Số liệu năm 2024", "Mức độ", "Ghi chú"]
    codes = rows_by_code(ws)
    assert list(codes) == [i.code for i in cat.data_indicators()]  # derived indicators are not asked for
    r = codes["REV_TOTAL"]
    assert ws.cell(r, 3).value == "Tổng thu ngân sách trên địa bàn (*)" and ws.cell(r, 4).value == "đồng"
    assert ws.cell(r, 5).value == 7967592178  # last year's value, from the store
    assert ws.protection.sheet
    assert all(ws.cell(r, c).protection.locked is False for c in (6, 7, 8))  # value, qualifier, note
    assert ws.cell(r, 3).protection.locked is True and ws.cell(r, 2).protection.locked is True
    for row in ws.iter_rows(min_row=1):
        for c in row:
            if isinstance(c.value, str):
                assert unicodedata.is_normalized("NFC", c.value)


def test_xlsx_form_data_validation(form):
    ws = openpyxl.load_workbook(form)[SHEET_DATA]
    codes = rows_by_code(ws)
    rules, qualifier = {}, {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in range(rng.min_row, rng.max_row + 1):
                (rules if rng.min_col == 6 else qualifier)[row] = (dv.type, dv.operator, dv.formula1, dv.formula2)
    assert rules[codes["POOR_HOUSEHOLDS"]] == ("whole", "greaterThanOrEqual", "0", None)
    assert rules[codes["CULT_FAMILIES_PCT"]] == ("decimal", "between", "0", "100")
    assert rules[codes["REV_TAX_REGULATED_PCT_PLAN"]] == ("decimal", "greaterThanOrEqual", "0", None)
    assert rules[codes["SEC_OFFENCES_CHANGE"]][:2] == ("whole", "between")
    r = codes["REV_TOTAL"]
    assert rules[r][0] == "custom" and f"INT(F{r})" in rules[r][2]
    assert all(dv.showErrorMessage and dv.error and not dv.error.isascii() for dv in ws.data_validations.dataValidation)
    # a value as written ("hơn 4,5 tỷ") stays possible after a warning; the qualifier is a list beside it
    assert all(dv.errorStyle == "warning" for dv in ws.data_validations.dataValidation if dv.type != "list")
    kind, _op, choices, _f2 = qualifier[r]
    assert kind == "list" and "hơn" in choices and "từ … trở lên" in choices and "dự ước" in choices


def test_xlsx_form_text_and_help_sheets(form, cat):
    wb = openpyxl.load_workbook(form)
    wt = wb[SHEET_TEXT]
    sections = [wt.cell(r, 1).value for r in range(4, wt.max_row + 1) if wt.cell(r, 1).value]
    assert sections == [s.code for s in cat.sections.values() if s.free_text]
    assert wt["C4"].protection.locked is False and wt["B4"].protection.locked is True
    assert "Tiếp tục thể chế hoá" in wt["D5"].value  # last year's II.1 text, for reference
    help_text = "\n".join(str(c.value) for c in wb[SHEET_HELP]["A"] if c.value)
    for phrase in ("ĐỂ TRỐNG", "ghi 0", "Paste Special", "Alt+Enter", "không gộp ô"):
        assert phrase in help_text


def test_form_without_a_previous_year(tmp_path):
    path = write_xlsx_form("19783", 2024, tmp_path / "f.xlsx", db=tmp_path / "none.sqlite")
    ws = openpyxl.load_workbook(path)[SHEET_DATA]
    assert all(ws.cell(r, 5).value is None for r in rows_by_code(ws).values())


def test_filled_form_reads_back(form, cat):
    wb = openpyxl.load_workbook(form)
    ws = wb[SHEET_DATA]
    codes = rows_by_code(ws)
    ws.cell(codes["REV_TOTAL"], 6).value = 8000000000
    ws.cell(codes["REV_TOTAL"], 8).value = "Số liệu quyết toán"
    ws.cell(codes["CULT_FAMILIES_PCT"], 6).value = 96.5
    ws.cell(codes["CIT_PERIODIC_CITIZENS"], 6).value = 0
    wb[SHEET_TEXT]["C4"] = "Dòng một.\r\nDòng hai."
    wb.save(form)
    pf = read_file(form, catalogue=cat)
    assert pf.ok and pf.kind == "xlsx" and (pf.unit_code, pf.year) == ("19780", 2024)
    got = {r.indicator: (r.value, r.cell, r.note) for r in pf.rows}
    r = codes["REV_TOTAL"]
    assert got == {
        "REV_TOTAL": (Decimal(8000000000), f"F{r}", "Số liệu quyết toán"),
        "CULT_FAMILIES_PCT": (Decimal("96.5"), f"F{codes['CULT_FAMILIES_PCT']}", ""),
        "CIT_PERIODIC_CITIZENS": (Decimal(0), f"F{codes['CIT_PERIODIC_CITIZENS']}", ""),
    }
    assert [(t.section, t.body, t.cell) for t in pf.texts] == [("I", "Dòng một.\nDòng hai.\n", "C4")]
    # blank cells are "not reported": only the three figures are there, the rest are required-missing
    (o,) = check_files([form], store=None, catalogue=cat)
    assert {f.rule for f in o.errors} == {"required_missing"}
    assert all(f.cell.startswith("F") for f in o.errors)


# ---- the CSV form ----------------------------------------------------------------------------------
def test_csv_form(store, tmp_path, cat):
    path = write_csv_form("19780", 2024, tmp_path / "f.csv", db=store.path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert rows[0] == CSV_COLUMNS
    assert [r[3] for r in rows[1:]] == [i.code for i in cat.data_indicators()]
    rev = next(r for r in rows if r[3] == "REV_TOTAL")
    assert rev[:2] == ["19780", "2024"] and rev[6] == "7967592178" and rev[7] == ""
    (o,) = check_files([path], store=store)
    assert [f.rule for f in o.errors] == ["no_data"]
    # filled in Excel with Vietnamese numbers, then read back
    text = data.decode("utf-8-sig").replace("REV_TOTAL,Tổng thu ngân sách trên địa bàn,đồng,7967592178,,",
                                            'REV_TOTAL,Tổng thu ngân sách trên địa bàn,đồng,7967592178,"8.000.000.000",')
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    pf = read_file(path, catalogue=cat)
    assert [(r.indicator, r.value) for r in pf.rows] == [("REV_TOTAL", Decimal(8000000000))]


def test_form_cli(tmp_path, store, capsys):
    from danvan.cli.main import main

    out = tmp_path / "b.csv"
    assert main(["form", "--unit", "19780", "--year", "2024", "--out", str(out), "--db", str(store.path)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "Phường Phường Đúc" in capsys.readouterr().out
    assert main(["form", "--unit", "1978", "--year", "2024", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "1978" in capsys.readouterr().err


# ---- unit directories ------------------------------------------------------------------------------
def test_unit_directory_rows_must_match_the_directory(tmp_path):
    d = tmp_path / "19780" / "2023"
    d.mkdir(parents=True)
    (d / "figures.csv").write_text("unit_code,year,indicator,value\n19783,2023,POOR_HOUSEHOLDS,2\n",
                                   encoding="utf-8")
    with pytest.raises(IntakeError) as exc:
        read_unit_dir(tmp_path, "19780", 2023)
    assert "[unit_year_mismatch]" in str(exc.value) and "19780/2023" in str(exc.value)


def test_unit_directory_relations_are_warnings_when_rendering_from_files(tmp_path):
    d = tmp_path / "19780" / "2023"
    d.mkdir(parents=True)
    (d / "figures.csv").write_text(
        "unit_code,year,indicator,value\n19780,2023,SEC_REPORTS,40\n19780,2023,SEC_REPORTS_CRIME,15\n"
        "19780,2023,SEC_REPORTS_ORDER,19\n", encoding="utf-8")
    data = read_unit_dir(tmp_path, "19780", 2023)
    assert data.figures["SEC_REPORTS"] == 40
    assert {f.rule for f in data.findings} >= {"parts_sum_mismatch", "required_missing"}
    assert not any(f.is_error for f in data.findings)
    with pytest.raises(IntakeError, match="parts_sum_mismatch"):
        read_unit_dir(tmp_path, "19780", 2023, strict=True)


# ---- encodings --------------------------------------------------------------------------------------
SAMPLE = ("unit_code,year,indicator,label,value\n"
          "19780,2024,CULT_GROUPS_ACHIEVED,Số tổ dân phố đạt danh hiệu văn hoá,9\n"
          "19780,2024,POOR_NEAR_HOUSEHOLDS,Số hộ cận nghèo của phường,18\n"
          "19780,2024,EID_ACCOUNTS,Số trường hợp đã thu nhận tài khoản định danh điện tử mức độ 1 và 2,7400\n")


def test_utf8_variants_and_utf16():
    for data, enc in [(SAMPLE.encode("utf-8"), "utf-8"), (b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), "utf-8-sig"),
                      (SAMPLE.encode("utf-16"), "utf-16"), (SAMPLE.encode("utf-16-le"), "utf-16-le")]:
        text, got, problem = decode_csv_bytes(data)
        assert (text, got, problem) == (SAMPLE, enc, None)


def test_windows_1258_decodes_to_nfc():
    data = corpus.encode_cp1258(SAMPLE)
    assert b"\xec" in data or b"\xcc" in data  # combining tone marks, as Windows writes them
    text, enc, problem = decode_csv_bytes(data)
    assert (enc, problem) == ("windows-1258", None)
    assert text == SAMPLE and unicodedata.is_normalized("NFC", text)


def test_legacy_encodings_are_recognised_and_refused():
    assert decode_csv_bytes(corpus.encode_tcvn3(SAMPLE))[1:] == ("TCVN3", "legacy_encoding")
    assert decode_csv_bytes(corpus.encode_vni(SAMPLE))[1:] == ("VNI", "legacy_encoding")
    # hand-written legacy bytes (not made by our encoders): "Bảo Thắng" in TCVN3, "Xin chào các bạn" in VNI
    assert decode_csv_bytes(b"name\nB\xb6o Th\xbeng, M\xad\xeang Kh\xac\xb5ng\n")[1:] == ("TCVN3", "legacy_encoding")
    assert decode_csv_bytes("name\nXin chaøo caùc baïn\n".encode("cp1252"))[1:] == ("VNI", "legacy_encoding")


def test_legacy_refusal_message_says_how_to_convert(tmp_path):
    p = tmp_path / "cu.csv"
    p.write_bytes(corpus.encode_tcvn3(SAMPLE))
    (o,) = check_files([p], store=None)
    (f,) = o.errors
    assert f.rule == "legacy_encoding" and "TCVN3" in f.message and "Unikey" in f.message and "UTF-8" in f.message


WORDS = ["Số", "hộ", "nghèo", "cận", "đạt", "danh", "hiệu", "văn", "hoá", "tổ", "dân", "phố", "thu", "ngân",
         "sách", "trường", "hợp", "điện", "tử", "người", "được", "tiếp", "nhận", "khiếu", "nại", "tố", "cáo",
         "đường", "kiệt", "sáng", "sạch", "đẹp", "quà", "Tết", "nghĩa", "tình", "Ủy", "ban", "nhân"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=4, max_size=30))
def test_encoding_detection_on_random_vietnamese(words):
    text = "code,label\nX," + " ".join(words) + "\n"
    assume(not text.isascii())  # ASCII is valid UTF-8 in every encoding
    assert decode_csv_bytes(corpus.encode_cp1258(text))[:3] == (text, "windows-1258", None)
    assert decode_csv_bytes(corpus.encode_tcvn3(text))[2] == "legacy_encoding"
    if any(not w.isascii() and unicodedata.normalize("NFD", w) != w for w in words):
        assert decode_csv_bytes(corpus.encode_vni(text))[2] == "legacy_encoding"


def test_an_unforeseen_reader_failure_is_a_finding_not_a_crash(tmp_path, monkeypatch):
    import danvan.intake.forms

    def boom(*a, **k):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(danvan.intake.forms, "read_csv_bytes", boom)
    p = tmp_path / "f.csv"
    p.write_text("unit_code,year,indicator,value\n19780,2024,REV_TOTAL,1\n", encoding="utf-8")
    pf = read_file(p)
    assert [f.rule for f in pf.findings] == ["csv_malformed"] and "RuntimeError" in pf.findings[0].found
