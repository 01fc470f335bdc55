"""Hardening, values and units (issue cases 1, 7a, 7c, 7d, 7l, 7m): every bad value gets a Vietnamese
finding with a rule id, and nothing is stored.

New rule ids assumed (danvan.intake.validate.RULES): value_out_of_range, unit_code_not_ascii, year_in_future,
date_in_future, hidden_cells.
"""

from __future__ import annotations

import shutil
import unicodedata

import pytest

from _hardening import (
    EXIT_DATA,
    EXIT_USAGE,
    REPO,
    UNIT,
    assert_clean,
    edited_xlsx,
    reference_values,
    row_of,
    run_main,
    set_value,
    write_csv,
)
from _util import store_dump as dump
from danvan.intake.importer import check_files, format_outcomes, import_files


def _rules(o, errors=True):
    return {f.rule for f in (o.errors if errors else o.warnings)}


def _assert_vietnamese_finding(f):
    line = f.line()
    assert unicodedata.is_normalized("NFC", line)
    assert f.message and f.file and f"[{f.rule}]" in line
    return line


# ---- case 1: no upper bound on values ---------------------------------------------------------------
def test_101_digit_amount_in_csv_is_refused(store, tmp_path):
    """Before: imported with exit 0 and no finding; the ward's report then failed with InvalidOperation."""
    values = dict(reference_values(), REV_TOTAL="1" * 101)
    f = write_csv(tmp_path / "101-chu-so.csv", values)
    before = dump(store.path)
    (o,) = import_files([f], store)
    report = format_outcomes([o])
    assert o.status == "rejected", report
    assert "value_out_of_range" in _rules(o), report
    bad = next(x for x in o.errors if x.rule == "value_out_of_range")
    line = _assert_vietnamese_finding(bad)
    assert bad.indicator == "REV_TOTAL" and bad.where == "dòng 2, cột value", line
    assert bad.found and bad.expected, line  # what was found (shortened) and the allowed range
    assert len(bad.found) <= 60
    assert dump(store.path) == before


def test_1e300_in_xlsx_is_a_finding_not_a_traceback(store, tmp_path, capsys):
    """Before: `danvan import` and `danvan validate` crashed in store.canonical (decimal.InvalidOperation)."""
    f = edited_xlsx(tmp_path / "1e300.xlsx", set_value("REV_TOTAL", 1e300))
    before = dump(store.path)
    (o,) = check_files([f], store=store)
    assert "value_out_of_range" in _rules(o), format_outcomes([o], wrote=False)
    bad = next(x for x in o.errors if x.rule == "value_out_of_range")
    assert bad.where == "Số liệu!F9" and bad.indicator == "REV_TOTAL", bad.line()
    rc, out, err = run_main(["import", f, "--db", store.path], capsys)
    assert_clean(out + err)
    assert rc == EXIT_DATA and "[value_out_of_range]" in out
    assert dump(store.path) == before


@pytest.mark.parametrize("code,value", [
    ("SEC_REPORTS", "100000000000000000000"),  # a count of 10^20 reports
    ("REV_TOTAL", "1000000000000000000000000"),  # 10^24 đồng
    ("SEC_OFFENCES_CHANGE", "-100000000000000000000"),  # a signed count far below any bound
])
def test_default_bounds_per_kind(store, tmp_path, code, value):
    f = write_csv(tmp_path / "f.csv", dict(reference_values(), **{code: value}))
    (o,) = check_files([f], store=store)
    assert "value_out_of_range" in _rules(o), format_outcomes([o], wrote=False)


def test_catalogue_bounds_are_checked_at_validation(store, tmp_path):
    cat_file = tmp_path / "gioi-han.yaml"
    cat_file.write_text(
        'catalogue: test-bounds\nversion: "1"\nindicators:\n'
        '  - {code: X_TREES, label: "Số cây xanh trồng mới", unit: "cây", section: "II.2", kind: count, max: 1000}\n',
        encoding="utf-8")
    from danvan.reference.catalogue import load_catalogue

    cat = load_catalogue(str(cat_file))
    over = write_csv(tmp_path / "over.csv", dict(reference_values(), X_TREES="1001"))
    ok = write_csv(tmp_path / "ok.csv", dict(reference_values(), X_TREES="1000"))
    o_over, = check_files([over], store=store, catalogue=cat)
    o_ok, = check_files([ok], store=store, catalogue=cat)
    assert [x.rule for x in o_over.errors] == ["value_out_of_range"]
    assert "1.000" in o_over.errors[0].line()  # the bound, written the Vietnamese way
    assert o_ok.ok, format_outcomes([o_ok], wrote=False)


# ---- case 7a: a change of only a note -----------------------------------------------------------------
def test_a_note_only_change_is_stored(store, tmp_path, capsys):
    """Before: reported as "ĐÃ CÓ – số liệu giống hệt" and the note was dropped."""
    f = write_csv(tmp_path / "ghi-chu.csv", {"REV_TOTAL": "7967592178"}, year=2023,
                  notes={"REV_TOTAL": "Số liệu chính thức sau quyết toán"})
    rc, out, err = run_main(["import", f, "--db", store.path], capsys)
    assert rc == 0, out + err
    assert "ĐÃ CÓ" not in out and "ĐÃ NHẬP" in out, out
    revs = store.history(UNIT, 2023, "REV_TOTAL")
    assert revs[-1].note == "Số liệu chính thức sau quyết toán"
    assert revs[-1].value == revs[0].value
    # the same file again changes nothing
    (o,) = import_files([f], store)
    assert o.status == "unchanged"


# ---- case 7c: unit codes with non-ASCII digits --------------------------------------------------------
FULLWIDTH = "１９７８０"  # looks like 19780
ARABIC_INDIC = "١٩٧٨٠"


@pytest.mark.parametrize("code", [FULLWIDTH, ARABIC_INDIC])
def test_non_ascii_digits_in_a_data_file(store, tmp_path, code):
    f = write_csv(tmp_path / "f.csv", reference_values(), unit=code)
    (o,) = check_files([f], store=store)
    assert _rules(o) == {"unit_code_not_ascii"}, format_outcomes([o], wrote=False)
    assert "0" in o.errors[0].expected and "9" in o.errors[0].expected


@pytest.mark.parametrize("code", [FULLWIDTH, ARABIC_INDIC])
def test_non_ascii_digits_on_the_command_line(code, tmp_path, capsys):
    rc, out, err = run_main(["render", "--unit", code, "--year", "2023"], capsys)
    assert rc == EXIT_USAGE and "0-9" in err.replace("–", "-"), err
    rc, out, err = run_main(["form", "--unit", code, "--year", "2024", "--out", tmp_path / "x.xlsx"], capsys)
    assert rc == EXIT_USAGE and "0-9" in err.replace("–", "-"), err


def test_a_registry_with_non_ascii_digits_is_refused(store, tmp_path, capsys):
    """Before: a registry row "１９７８０,Phường Phường Đúc" loaded, its data imported and a report that
    looks like Phường Đúc's rendered under 2024/１９７８０/. A user unit file (docs/units.md) is the
    registry a user brings: a code of other digits is refused with the file and row."""
    reg = tmp_path / "units-extra.csv"
    code = FULLWIDTH + "-01"
    reg.write_text("code,name,type,parent_code,valid_from,valid_to,successor_code,source\n"
                   f"{code},Tổ dân phố 1,Tổ dân phố,19780,2020-01-01,,,giả mạo\n", encoding="utf-8")
    f = write_csv(tmp_path / "f.csv", reference_values(), unit=code)
    before = dump(store.path)
    rc, out, err = run_main(["import", f, "--units", reg, "--db", store.path], capsys)
    assert_clean(out + err)
    assert rc == EXIT_USAGE, out + err
    assert "units-extra.csv, dòng 2" in err and code in err
    assert dump(store.path) == before


# ---- case 7d: dates far in the future --------------------------------------------------------------------
def test_a_data_year_far_in_the_future_is_refused(store, tmp_path):
    f = write_csv(tmp_path / "f.csv", reference_values(), unit="19789", year=2099)  # a ward valid "until now"
    before = dump(store.path)
    (o,) = import_files([f], store)
    assert "year_in_future" in _rules(o), format_outcomes([o])
    assert dump(store.path) == before


def test_a_document_date_far_in_the_future_is_refused(store, tmp_path, capsys):
    rc, out, err = run_main(["render", "--unit", UNIT, "--year", "2023", "--db", store.path,
                             "-p", "doc_date=2999-12-31", "--outputs", tmp_path / "out"], capsys)
    assert rc == EXIT_USAGE and "2999" in err, out + err
    assert not (tmp_path / "out" / "2023").exists()


def test_a_unit_directory_with_a_future_document_date_is_refused(store, tmp_path):
    from danvan.core.errors import IntakeError
    from danvan.intake.unitdir import import_unit_dir

    src = REPO / "data" / "reference" / UNIT / "2023"
    dst = tmp_path / "dirs" / UNIT / "2023"
    shutil.copytree(src, dst)
    meta = dst / "report.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("date: 2023-12-19", "date: 2999-12-19"),
                    encoding="utf-8")
    before = dump(store.path)
    with pytest.raises(IntakeError) as exc:
        import_unit_dir(store, tmp_path / "dirs", UNIT, 2023)
    assert "[date_in_future]" in str(exc.value) and "2999" in str(exc.value)
    assert dump(store.path) == before


# ---- case 7l: values in hidden rows or columns ------------------------------------------------------------
def test_a_value_in_a_hidden_row_is_reported(store, tmp_path):
    def hide(wb, ws):
        r = row_of(ws, "GIFT_TET_PORTIONS")
        ws.cell(r, 6).value = 999
        ws.row_dimensions[r].hidden = True
    f = edited_xlsx(tmp_path / "dong-an.xlsx", hide)
    (o,) = check_files([f], store=store)
    hidden = [x for x in o.findings if x.rule == "hidden_cells"]
    assert hidden, format_outcomes([o], wrote=False)
    assert hidden[0].cell.startswith("F") and hidden[0].indicator == "GIFT_TET_PORTIONS"
    assert "999" in hidden[0].found


def test_a_hidden_value_column_is_reported(store, tmp_path):
    def hide(wb, ws):
        ws.column_dimensions["F"].hidden = True
    f = edited_xlsx(tmp_path / "cot-an.xlsx", hide)
    (o,) = check_files([f], store=store)
    hidden = [x for x in o.findings if x.rule == "hidden_cells"]
    assert len(hidden) == 1, format_outcomes([o], wrote=False)  # one finding for the column, not one per cell
    assert hidden[0].column == "F" or "F" in hidden[0].where


# ---- case 7m: a trailing minus -----------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["5-", "5 -", "1.109-"])
def test_a_trailing_minus_is_not_a_number(store, tmp_path, raw):
    """Before: `5-` was stored as 5 with only a unit_mismatch warning («-» read as a unit)."""
    csv_f = write_csv(tmp_path / "f.csv", dict(reference_values(), DVK_HOUSEHOLDS=raw))
    xlsx_f = edited_xlsx(tmp_path / "f.xlsx", set_value("DVK_HOUSEHOLDS", raw))
    before = dump(store.path)
    for f in (csv_f, xlsx_f):
        (o,) = import_files([f], store)
        assert o.status == "rejected", format_outcomes([o])
        assert [x.rule for x in o.errors] == ["not_a_number"] and not o.warnings, format_outcomes([o])
        assert o.errors[0].indicator == "DVK_HOUSEHOLDS"
    assert dump(store.path) == before
