"""Intake where values as written (profiles, qualifiers, ratios) meet the bounds and file checks of
the hardening work: a huge number with a qualifier, a ratio's denominator, a hidden qualifier
column, a catalogue value that is not a number, a profile that does not load halfway through a batch."""

from __future__ import annotations

from decimal import Decimal

import pytest

from _hardening import EXIT_USAGE, UNIT, reference_values, row_of, run_main, write_csv
from _util import store_dump as dump
from danvan.intake.forms import write_xlsx_form
from danvan.intake.importer import check_files, format_outcomes
from danvan.intake.validate import Place, read_value
from danvan.reference.catalogue import load_catalogue


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def _form(store, tmp_path, edit):
    """A form of today's layout (F value, G «Mức độ», H note) for 19780/2024, changed by ``edit``."""
    import openpyxl

    path = write_xlsx_form(UNIT, 2024, tmp_path / "bieu.xlsx", db=store.path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Số liệu"]
    assert ws.cell(7, 7).value == "Mức độ"  # the header row of the layout this test is about
    edit(ws)
    wb.save(path)
    return path


@pytest.mark.parametrize("qualifier", ["", "hơn"])
def test_a_huge_number_cell_is_out_of_range_with_or_without_a_qualifier(store, tmp_path, qualifier):
    """1E+30 with «hơn» beside it: one finding at the cell, not a file read as corrupt."""
    def edit(ws):
        r = row_of(ws, "CULT_GREEN_SPOTS")
        ws.cell(r, 6).value = 1e30
        ws.cell(r, 7).value = qualifier or None
    (o,) = check_files([_form(store, tmp_path, edit)], store=store)
    report = format_outcomes([o], wrote=False)
    assert "value_out_of_range" in {x.rule for x in o.errors}, report
    assert not {"corrupt_xlsx", "xlsx_malformed"} & {x.rule for x in o.findings}, report
    bad = next(x for x in o.errors if x.rule == "value_out_of_range")
    assert bad.indicator == "CULT_GREEN_SPOTS" and bad.cell.startswith("F"), report


def test_a_number_that_is_not_finite_is_not_a_number(cat):
    value, written, findings = read_value(Decimal("NaN"), cat["CULT_FAMILIES_PCT"], Place("f.xlsx"))
    assert value is None and written is None and [f.rule for f in findings] == ["not_a_number"]


def test_the_denominator_of_a_ratio_is_within_the_range_too(cat):
    ind = cat["CULT_GROUPS_ACHIEVED"]
    ok, written, findings = read_value("456/457", ind, Place("f.csv"))
    assert ok == 456 and '"den"' in written and findings == []
    value, _w, findings = read_value("5/2.000.000.000 tổ", ind, Place("f.csv"))
    assert value is None and [f.rule for f in findings] == ["value_out_of_range"]
    assert "999.999.999" in findings[0].expected


def test_a_hidden_qualifier_column_is_reported(store, tmp_path):
    """«hơn» in a hidden «Mức độ» column turns a figure into a bound: the official must see it."""
    def edit(ws):
        r = row_of(ws, "GIFT_TET_PORTIONS")
        ws.cell(r, 6).value = 9500
        ws.cell(r, 7).value = "hơn"
        ws.column_dimensions["G"].hidden = True
    (o,) = check_files([_form(store, tmp_path, edit)], store=store)
    hidden = [x for x in o.findings if x.rule == "hidden_cells"]
    assert len(hidden) == 1 and "G" in hidden[0].where, format_outcomes([o], wrote=False)


@pytest.mark.parametrize("layer", ["override:\n  REV_TOTAL: {yoy_threshold: abc}\n",
                                   "charts:\n  - {name: x, title: X, categories: [a], scale: nhiều,\n"
                                   "     series: [{name: s, codes: [REV_TOTAL]}]}\n"])
def test_a_catalogue_value_that_is_not_a_number_is_a_usage_error(layer, store, tmp_path, capsys):
    f = tmp_path / "lop.yaml"
    f.write_text("catalogue: lop\nversion: '1'\n" + layer, encoding="utf-8")
    rc, out, err = run_main(["validate", write_csv(tmp_path / "f.csv", {"REV_TOTAL": "1"}, year=2023),
                             "--catalogue", f, "--db", store.path], capsys)
    assert rc == EXIT_USAGE and str(f) in err and "expected a number" in err, out + err
    assert "csv_malformed" not in out


def test_a_profile_that_does_not_load_midway_says_what_was_imported(store, tmp_path, capsys, monkeypatch):
    """Two unrelated profiles claim 19783 equally: the batch stops there (exit 2), and the summary
    still says that the file before it was written."""
    for name in ("mot", "hai"):
        (tmp_path / f"{name}.yaml").write_text(f"profile: {name}\nversion: '1'\napplies_to:\n  - units: ['19783']\n",
                                               encoding="utf-8")
    monkeypatch.setenv("DANVAN_PROFILES", f"{tmp_path / 'mot.yaml'}:{tmp_path / 'hai.yaml'}")
    a = write_csv(tmp_path / "a.csv", reference_values())
    b = write_csv(tmp_path / "b.csv", {"POP_HOUSEHOLDS": "100"}, unit="19783")
    c = write_csv(tmp_path / "c.csv", {"POP_HOUSEHOLDS": "100"}, unit=UNIT, year=2025)
    before = dump(store.path)
    rc, out, err = run_main(["import", a, b, c, "--db", store.path, "--by", "test"], capsys)
    assert rc == EXIT_USAGE and "mot" in err and "hai" in err, out + err
    assert f"{a}: ĐÃ NHẬP" in out and str(c) not in out and "các tệp còn lại chưa được đọc" in out, out
    assert dump(store.path) != before  # a.csv is in the store, as the summary says
