"""Values as officials write them, end to end: a form cell (or the "Mức độ" column, or a CSV
phrase) -> validation -> the store (``written`` beside the canonical value) -> the report prints it
back as written; a re-import of the same writing adds nothing, another qualifier is a new revision;
a profile prints amounts compactly; notes reach the report where the profile says."""

from __future__ import annotations

import csv
import textwrap
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from danvan.indicators.figures import load_figures
from danvan.indicators.qa import check_figures
from danvan.intake.forms import write_xlsx_form
from danvan.intake.importer import import_files
from danvan.report.narrative import render_section
from danvan.report.ward import WardReport

REPO = Path(__file__).resolve().parents[1]
BAD = REPO / "tests" / "data" / "bad"

# code, cell as written, "Mức độ", stored value, stored writing, printed back (Fig.u)
FORMS = [
    ("REV_TOTAL", "4,5 tỷ", "hơn", "4500000000", '{"q":"hon","sc":["tỷ"]}', "hơn 4,5 tỷ đồng"),
    ("REV_ESTIMATE", "25 tỷ 355 triệu", "", "25355000000", '{"sc":["tỷ","triệu"]}', "25 tỷ 355 triệu đồng"),
    ("CULT_FAMILIES_PCT", "10-12", "", "11", '{"hi":"12","lo":"10"}', "10–12%"),
    ("CULT_GROUPS_ACHIEVED", "8/9", "", "8", '{"den":"9"}', "8/9 tổ"),
    ("CULT_GROUPS_TOTAL", "9 tổ", "", "9", None, "9 tổ"),
    ("CIT_PERIODIC_CITIZENS", "không có", "", "0", '{"zw":"không có"}', "không có"),
    ("DVK_GREEN_STREETS", "02", "", "2", '{"pad":true}', "02 tuyến"),
    ("GIFT_TET_PORTIONS", "492 xuất", "", "492", None, "492 suất"),
    ("HI_VOLUNTARY_PCT", "98,5", "", "98.5", '{"dp":1}', "98,5%"),
    ("SEC_OFFENCES_CHANGE", "giảm 08 vụ", "", "-8", '{"cw":true,"pad":true}', "giảm 08 vụ"),
    ("ADMIN_SATISFACTION_PCT", "95", "từ … trở lên", "95", '{"q":"tu_tro_len"}', "từ 95% trở lên"),
    ("CNCD_AMOUNT", "387000000", "khoảng", "387000000", '{"q":"khoang"}', "khoảng 387.000.000 đồng"),
]


@pytest.fixture
def filled(store, tmp_path):
    path = write_xlsx_form("19780", 2024, tmp_path / "f.xlsx", db=store.path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Số liệu"]
    rows = {r[1].value: r[0].row for r in ws.iter_rows(min_row=8) if r[1].value}
    with open(REPO / "data" / "reference" / "19780" / "2023" / "figures.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):  # the reference figures (the required ones among them) ...
            ws.cell(rows[r["indicator"]], 6, Decimal(r["value"]) if "." in r["value"] else int(r["value"]))
    for code, cell, qualifier, *_ in FORMS:  # ... some of them written as officials write them
        ws.cell(rows[code], 6, cell)
        ws.cell(rows[code], 7, qualifier or None)
    ws.cell(rows["CULT_GROUPS_ACHIEVED"], 8, "Tổ 9 chưa đạt do mới thành lập")  # a note
    wb.save(path)
    return path


def test_every_form_is_stored_and_printed_back_as_written(store, filled):
    (o,) = import_files([filled], store, by="test")
    assert o.status == "written" and not o.errors, [f.line() for f in o.findings]
    snap = store.snapshot("19780", 2024)
    figs = load_figures("19780", 2024, db=str(store.path), with_prior=False)
    for code, _cell, _q, value, written, printed in FORMS:
        assert str(snap["figures"][code].normalize()) == str(Decimal(value).normalize()), code
        assert snap["written"].get(code) == written, code
        assert str(figs[code].u) == printed, code
    assert snap["notes"]["CULT_GROUPS_ACHIEVED"] == "Tổ 9 chưa đạt do mới thành lập"
    # the sentences of the reference profile's templates, with the values as written
    ii2 = " ".join(render_section(figs, "II.2"))
    for phrase in ("tổng thu ngân sách năm 2024 hơn 4,5 tỷ đồng", "dự toán giao (25 tỷ 355 triệu đồng)",
                   "có 8/9 tổ đạt tổ văn hoá, 10–12% gia đình", "đăng ký 02 “Tuyến đường xanh",
                   "Số vụ phạm tội và vi phạm pháp luật giảm 08 vụ so với cùng kỳ năm 2023"):
        assert phrase in ii2, phrase
    assert "nhưng không có công dân đến" in " ".join(render_section(figs, "II.5"))  # "không có": zero
    # the stated "hơn 4,5 tỷ" is a bound: the rate to the estimate is approximate, and not said in words
    assert str(figs["REV_PCT_ESTIMATE"]) == "khoảng 18%"
    assert WardReport(figs).amount_line("REV_TOTAL") is None


def test_the_same_writing_adds_nothing_another_is_a_new_revision(store, filled, tmp_path):
    import_files([filled], store, by="test")
    (again,) = import_files([filled], store, by="test")
    assert again.status == "unchanged"
    wb = openpyxl.load_workbook(filled)
    ws = wb["Số liệu"]
    row = next(r[0].row for r in ws.iter_rows(min_row=8) if r[1].value == "REV_TOTAL")
    ws.cell(row, 7, "gần")  # the same number, another qualifier: another meaning
    wb.save(filled)
    (o,) = import_files([filled], store, by="test")
    assert o.status == "written" and o.result.changed == 1
    hist = store.history("19780", 2024, "REV_TOTAL")
    assert [h.written for h in hist] == ['{"q":"hon","sc":["tỷ"]}', '{"q":"gan","sc":["tỷ"]}']
    assert hist[0].value == hist[1].value == 4500000000


def test_history_prints_the_writing(store, filled, capsys):
    from danvan.cli.main import main

    import_files([filled], store, by="test")
    assert main(["history", "--unit", "19780", "--year", "2024", "--indicator", "REV_TOTAL", "--db",
                 str(store.path)]) == 0
    assert "hơn 4,5 tỷ đồng" in capsys.readouterr().out


def test_the_csv_corpus_of_values_as_written(store):
    (o,) = import_files([BAD / "csv_values_as_written.csv"], store, by="test")
    assert o.status == "written" and not o.findings
    figs = load_figures("19780", 2024, db=str(store.path), with_prior=False)
    assert [str(figs[c].u) for c in ("REV_TOTAL", "HI_VOLUNTARY_PCT", "SEC_REPORTS_ORDER", "GIFT_TET_AMOUNT")] == [
        "hơn 7,9 tỷ đồng", "98–99%", "khoảng 19 tin", "139,1 triệu đồng"]
    # 15 + "khoảng 19" = 34: a bound, not a "parts do not add up" error
    assert "parts" not in {f.check for f in check_figures(figs)}


def _layer(tmp_path, text: str) -> str:
    p = tmp_path / "layer.yaml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(p)


def test_a_profile_prints_amounts_compactly_and_places_notes(store, filled, tmp_path):
    import_files([filled], store, by="test")
    layer = _layer(tmp_path, """\
        catalogue: compact
        version: "1"
        style: {amounts: compact}
        notes: {CULT_GROUPS_ACHIEVED: inline, CIT_PETITIONS: footnote}
        """)
    figs = load_figures("19780", 2024, db=str(store.path), with_prior=False, catalogue_files=(layer,))
    assert str(figs["SEC_CRIME_FINES"].u) == "2,3 triệu đồng" and str(figs["REV_TOTAL"].u) == "hơn 4,5 tỷ đồng"
    assert str(figs["CULT_GROUPS_ACHIEVED"].u) == "8/9 tổ (Tổ 9 chưa đạt do mới thành lập)"
    assert str(load_figures("19780", 2024, db=str(store.path), with_prior=False)["CULT_GROUPS_ACHIEVED"].u) == "8/9 tổ"
    figs.notes["CIT_PETITIONS"] = "2 đơn chuyển sang năm sau"
    body = WardReport(figs).section("II.5")
    assert "Ghi chú: Số đơn thư, kiến nghị tiếp nhận: 2 đơn chuyển sang năm sau." in body.text


def test_refused_writings_say_how_to_write_them(store, tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("unit_code,year,indicator,value,qualifier\n"
                 "19780,2024,HI_VOLUNTARY_PCT,100% / 99%,\n"
                 "19780,2024,POOR_HOUSEHOLDS,\"1,234\",\n"
                 "19780,2024,DVK_GROUPS,từ 93,\n"
                 "19780,2024,CIT_PETITIONS,34,rất nhiều\n", encoding="utf-8")
    (o,) = import_files([p], store, by="test")
    got = {f.indicator: (f.rule, f.message) for f in o.errors}
    assert got["HI_VOLUNTARY_PCT"][0] == "ambiguous_value" and "mỗi chỉ tiêu ghi một tỷ lệ" in got["HI_VOLUNTARY_PCT"][1]
    assert got["POOR_HOUSEHOLDS"][0] == "not_integer" and "1.234" in got["POOR_HOUSEHOLDS"][1]
    assert got["DVK_GROUPS"][0] == "ambiguous_value" and "từ 93 trở lên" in got["DVK_GROUPS"][1]
    assert got["CIT_PETITIONS"][0] == "ambiguous_value" and "Mức độ" in got["CIT_PETITIONS"][1]
