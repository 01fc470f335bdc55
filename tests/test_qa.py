"""QA for analysts: a planted wrong percentage is flagged and the base that explains it named; parts
vs totals; year-over-year jumps; required figures; `danvan check` and its exit codes; the QA block
never reaches the official HTML."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from _demo_store import demo_db_path, writable_copy
from danvan.indicators.figures import load_figures
from danvan.indicators.qa import check_figures, explain_rate
from danvan.store import FigureValue, Store
from danvan.core.vnformat import round_half_up

REPO = Path(__file__).resolve().parents[1]
UNIT, YEAR = "19783", 2023  # Phường Vĩnh Ninh, illustrative demo data

# A stated rate the shipped catalogue does not have: "tỷ lệ kích hoạt" as the ward writes it, with
# its relation, so QA can check it (the catalogue's own EID_ACTIVATED_PCT is computed, never stated).
STATED = """
catalogue: test-stated
version: "1"
indicators:
  - code: EID_ACTIVATED_STATED_PCT
    label: "Tỷ lệ kích hoạt tài khoản định danh điện tử (đơn vị báo cáo)"
    unit: "%"
    section: "II.3"
    kind: percent
    numerator: EID_ACTIVATED
    denominator: EID_ELIGIBLE
    decimals: 2
"""


def _import(db, unit, year, values: dict):
    Store(db).write_import(file="test", sha256="test", catalogue_version="t", catalogue_digest="t",
                           figures=[FigureValue(unit, year, k, Decimal(v)) for k, v in values.items()],
                           illustrative=True)


@pytest.fixture
def planted(tmp_path):
    """A demo store copy where the stated rate was computed on the wrong total (accounts, not eligible)."""
    db = str(writable_copy(tmp_path))
    cat_file = tmp_path / "stated.yaml"
    cat_file.write_text(STATED, encoding="utf-8")
    f = Store(db).figures(UNIT, YEAR)
    wrong = round_half_up(f["EID_ACTIVATED"] * 100 / f["EID_ACCOUNTS"], 2)
    _import(db, UNIT, YEAR, {"EID_ACTIVATED_STATED_PCT": wrong})
    return db, str(cat_file), f, wrong


def test_planted_wrong_percentage_is_flagged_with_the_base_that_explains_it(planted):
    db, cat_file, f, wrong = planted
    figs = load_figures(UNIT, YEAR, db=db, catalogue_files=(cat_file,))
    findings = [x for x in check_figures(figs) if x.code == "EID_ACTIVATED_STATED_PCT"]
    assert len(findings) == 1
    x = findings[0]
    assert x.check == "percent" and x.severity == "error"
    assert x.label.startswith("Tỷ lệ kích hoạt")
    assert x.values["stated"] == wrong and x.values["denominator"] == f["EID_ELIGIBLE"]
    best = x.candidates[0]
    assert best["exact"] and best["codes"] == ["EID_ACCOUNTS"]
    assert "Mẫu số giải thích được tỷ lệ nêu: Số trường hợp đã thu nhận tài khoản định danh điện tử" in x.message
    assert "Tỷ lệ nêu phải bằng Số trường hợp đã kích hoạt" in x.rule
    # a correct stated rate raises nothing
    right = round_half_up(f["EID_ACTIVATED"] * 100 / f["EID_ELIGIBLE"], 2)
    _import(db, UNIT, YEAR, {"EID_ACTIVATED_STATED_PCT": right})
    figs = load_figures(UNIT, YEAR, db=db, catalogue_files=(cat_file,))
    assert not [x for x in check_figures(figs) if x.code == "EID_ACTIVATED_STATED_PCT"]


def test_explain_rate_ranges():
    # Vinh Hà 2022 (shared/reports/01): 189 poor households stated as 6,9% of 2.782 households
    ex = explain_rate(Decimal(189), Decimal("6.9"), 1, [(Decimal(2782), "Tổng số hộ", ("HH",), True),
                                                       (Decimal(2740), "Số hộ năm trước", ("HH@",), True),
                                                       (Decimal(11376), "Dân số", ("POP",), False)])
    lo, hi = ex["base_range"]
    assert 2719 < lo < 2720 and 2759 < hi < 2760
    assert [c["label"] for c in ex["matches"]] == ["Số hộ năm trước"]
    assert all(c["label"] != "Dân số" for c in ex["closest"])  # another unit, not exact: not a candidate


def test_parts_that_do_not_sum(tmp_path):
    db = str(writable_copy(tmp_path))
    f = Store(db).figures(UNIT, YEAR)
    _import(db, UNIT, YEAR, {"SEC_REPORTS": f["SEC_REPORTS"] + 2})
    findings = [x for x in check_figures(load_figures(UNIT, YEAR, db=db)) if x.check == "parts"]
    assert [x.code for x in findings] == ["SEC_REPORTS"]
    assert findings[0].severity == "error"
    assert "chênh lệch 2" in findings[0].message
    assert findings[0].values["sum"] == f["SEC_REPORTS_CRIME"] + f["SEC_REPORTS_ORDER"]


def test_year_over_year_jump_beyond_threshold(tmp_path):
    db = str(writable_copy(tmp_path))
    prev = Store(db).figures(UNIT, YEAR - 1)
    _import(db, UNIT, YEAR, {"REV_TOTAL": prev["REV_TOTAL"] * 3})
    figs = load_figures(UNIT, YEAR, db=db)
    jumps = {x.code: x for x in check_figures(figs) if x.check == "yoy"}
    assert "REV_TOTAL" in jumps
    x = jumps["REV_TOTAL"]
    assert x.severity == "warning" and "tăng 200%" in x.message
    assert "không quá 50%" in x.rule and "ngưỡng riêng" in x.rule  # the catalogue's yoy_threshold 0.5
    assert x.values["threshold"] == Decimal("0.5")


def test_required_missing_and_clean_demo_unit(tmp_path):
    db = str(writable_copy(tmp_path))
    clean = check_figures(load_figures(UNIT, YEAR, db=db))
    assert not [x for x in clean if x.severity == "error"]
    Store(db).write_import(file="t", sha256="t", catalogue_version="t", catalogue_digest="t",
                           figures=[FigureValue(UNIT, YEAR, "CIT_PETITIONS", None)])  # withdrawn
    errs = [x for x in check_figures(load_figures(UNIT, YEAR, db=db)) if x.check == "required"]
    assert [x.code for x in errs] == ["CIT_PETITIONS"]
    assert errs[0].rule == "Chỉ tiêu bắt buộc phải có số liệu."


def test_danvan_check_cli(planted, capsys):
    from danvan.cli.main import main

    db, cat_file, _f, _w = planted
    rc = main(["check", "--unit", UNIT, "--year", str(YEAR), "--db", db, "--catalogue", cat_file])
    out = capsys.readouterr().out
    assert rc == 1
    assert "Phường Vĩnh Ninh" in out and "[Lỗi] EID_ACTIVATED_STATED_PCT" in out and "Quy tắc:" in out
    rc = main(["check", "--unit", UNIT, "--year", str(YEAR), "--db", db, "--catalogue", cat_file, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1 and doc[0]["unit_code"] == UNIT
    assert any(f["code"] == "EID_ACTIVATED_STATED_PCT" for f in doc[0]["findings"])
    assert main(["check", "--unit", "19786", "--year", str(YEAR), "--db", str(demo_db_path())]) == 0
    capsys.readouterr()
    assert main(["check", "--unit", "12345", "--year", str(YEAR), "--db", db]) == 2
    assert main(["check", "--unit", "19780", "--year", "2019", "--db", db]) == 2  # no data that year
    assert "19780" in capsys.readouterr().err


def test_qa_block_is_for_analysts_only():
    import nbformat

    from danvan.export.html import export_html
    from danvan.report.ward import WardReport

    block = WardReport.load("19780", 2023, db=str(demo_db_path())).qa()
    assert block.kind == "qa" and 'class="qa"' in block.html
    assert block.to_json()["counts"]["error"] == 0
    # the ward notebook shows it in a cell tagged "qa" ...
    nb = nbformat.read(REPO / "notebooks" / "ward_report.ipynb", as_version=4)
    qa_cells = [c for c in nb.cells if "qa" in c.metadata.get("tags", [])]
    assert [c.source for c in qa_cells] == ["report.yoy_chart()", "report.qa()"]
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # committed output-free
    # ... which the official export drops
    cell = nbformat.v4.new_code_cell("report.qa()", metadata={"tags": ["qa"]})
    cell.outputs = [nbformat.v4.new_output("display_data", data=block._repr_mimebundle_())]
    shown = nbformat.v4.new_code_cell("1")
    shown.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>VISIBLE</p>"})]
    html = export_html(nbformat.v4.new_notebook(cells=[shown, cell]), title="t")
    assert "VISIBLE" in html and "Kiểm tra số liệu" not in html
