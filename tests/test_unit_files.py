"""Units of a user's own (docs/units.md): the CSV format, its validation (every problem named by
file, row and column, in Vietnamese, never a traceback), codes that cannot collide with official
ones, and --units on every command that reads units."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from danvan.cli.main import main
from danvan.core.errors import UnitFileError, UsageError
from danvan.reference.units import check_code_format, is_user_code, load_registry
from danvan.run.render import plan

REPO = Path(__file__).resolve().parents[1]
HEADER = "code,name,type,parent_code,valid_from,valid_to,successor_code,source\n"
GOOD = HEADER + (
    '19780-01,Tổ dân phố 1,Tổ dân phố,19780,2020-01-01,2024-12-31,,"Quyết định số 12/QĐ-UBND, ngày 05/02/2020"\n'
    "19780-02,Tổ dân phố 2,Tổ dân phố,19780,2020-01-01,2024-12-31,19780-03,ví dụ\n"
    "19780-03,Tổ dân phố 3,Tổ dân phố,19780,2025-01-01,2025-06-30,,ví dụ\n"
    "19780-01-A,Khu dân cư A,Khu dân cư,19780-01,2022-01-01,2024-12-31,,ví dụ\n"
    "46-TD1,Đơn vị thí điểm Huế 1,Đơn vị thí điểm,46,2025-07-01,,,ví dụ\n"
)


def write(tmp_path: Path, text: str, name: str = "units.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def errors_of(path: Path) -> str:
    with pytest.raises(UnitFileError) as err:
        load_registry(path)
    assert isinstance(err.value, UsageError) and err.value.exit_code == 2
    return str(err.value)


# ---- a good file --------------------------------------------------------------------------------
def test_a_good_file_adds_units_below_official_ones(tmp_path):
    reg = load_registry(write(tmp_path, GOOD))
    t1 = reg.get("19780-01", 2023)
    assert (t1.name, t1.type, t1.parent_code, t1.level, t1.short) == ("Tổ dân phố 1", "Tổ dân phố", "19780", "user", "1")
    assert t1.source == "Quyết định số 12/QĐ-UBND, ngày 05/02/2020"  # a quoted comma is fine
    assert t1.is_user and not reg.get("19780", 2023).is_user
    assert reg.reporting_level(reg.get("19780", 2023)) == "user"
    # a unit inside another user unit is not listed beside it (a sum would count it twice)
    assert [u.code for u in reg.descendants("19780", 2023, level="user")] == ["19780-01", "19780-02"]
    assert [u.code for u in reg.descendants("19780", 2023, level=None)] == ["19780-01", "19780-01-A", "19780-02"]
    assert [u.code for u in reg.children("19780-01", 2023)] == ["19780-01-A"]
    assert [u.code for u in reg.descendants("19780", 2025, level="user")] == ["19780-03"]
    # lineage like official units: 19780-02 became 19780-03 on 2025-01-01
    assert reg.successor_of(reg.get("19780-02", 2024)) == reg.get("19780-03", 2025)
    assert reg.search("to dan pho 3")[0].code == "19780-03"
    assert reg.get("46-TD1", 2026).parent_code == "46"
    # the official registry is unchanged, and without the file the units are unknown
    assert len(reg.descendants("474", 2023)) == 36 and "19780-01" not in load_registry()


def test_user_codes_can_never_be_official_codes():
    for code in ("19780-01", "46-TD1", "19780-01-A", "474-P2"):
        assert check_code_format(code) == code and is_user_code(code)
    for code in ("19780", "46", "474", "00004"):
        assert not is_user_code(code)
    for bad in ("19780-", "19780-ab", "19780-TOOLONG", "1978-01", "19780_01", "19780-0Ạ"):
        with pytest.raises(UsageError):
            check_code_format(bad)


def test_excel_utf8_with_bom_is_read(tmp_path):
    reg = load_registry(write(tmp_path, "\ufeff" + GOOD))
    assert reg.get("19780-02", 2022).name == "Tổ dân phố 2"


def test_the_file_is_read_again_when_it_changes(tmp_path):
    p = write(tmp_path, GOOD)
    assert load_registry(p).get("19780-01", 2023).name == "Tổ dân phố 1"
    p.write_text(GOOD.replace("Tổ dân phố 1,", "Tổ dân phố Một,"), encoding="utf-8")
    assert load_registry(p).get("19780-01", 2023).name == "Tổ dân phố Một"


# ---- bad files: every problem, with file, row, column, found and expected --------------------------
def test_bad_rows_are_all_reported_with_file_row_and_column(tmp_path):
    text = HEADER + "\n".join([
        "19780-01,Tổ dân phố 1,Tổ dân phố,19780,2020-01-01,2024-12-31,,Quyết định 12, ngày 5/2",  # 2 comma
        "19780-02,Thôn 2,Thôn,19780,2020-13-01,,,x",  # 3 bad date (and no end: parent ends 2024-12-31)
        "19780-03,Thôn 3,Thôn,19780,2021-01-01,2020-01-01,,x",  # 4 reversed dates
        "99999-01,Thôn 4,Thôn,99999,2020-01-01,2020-12-31,,x",  # 5 unknown parent
        "19780-05,Thôn 5,Thôn,19780,2020-01-01,2020-12-31,,x",  # 6
        "19780-05,Thôn 5,Thôn,19780,2020-06-01,2020-12-31,,x",  # 7 duplicate code, overlapping
        "19780,Thôn 6,Thôn,19780,2020-01-01,2020-12-31,,x",  # 8 an official code
        "19783-07,Thôn 7,Thôn,19780,2020-01-01,2020-12-31,,x",  # 9 code not under its parent
        "19780-08,Bản 8,Thôn,19780,2020-01-01,2020-12-31,,x",  # 10 name does not start with its type
        "19780-09,Phố 9,Phố,19780,2020-01-01,2020-12-31,,x",  # 11 unknown type
        "19780-10,Thôn 10,Thôn,19780,2020-01-01,,,x",  # 12 open-ended under a unit that ended
        "19780-11,Thôn 11,Thôn,19780,2020-01-01,2020-12-31,,",  # 13 no source
        "19780-12,Thôn 12,Thôn,19780,2020-01-01,2020-12-31,19780-99,x",  # 14 unknown successor
    ]) + "\n"
    msg = errors_of(write(tmp_path, text, "to-dan-pho.csv"))
    expect = [
        ("dòng 2, cột source", "dấu ngoặc kép", "ngày 5/2"),
        ("dòng 3, cột valid_from", "ngày không đúng", "2020-13-01"),
        ("dòng 4, cột valid_to", "trước ngày bắt đầu", "2020-01-01"),
        ("dòng 5, cột parent_code", "không có đơn vị hành chính nào", "99999"),
        ("dòng 7, cột code", "mã bị trùng", "dòng 6"),
        ("dòng 8, cột code", "không bao giờ trùng mã chính thức", "'19780'"),
        ("dòng 9, cột code", "mã đơn vị cấp trên", "19783-07"),
        ("dòng 10, cột name", "phải bắt đầu bằng loại đơn vị 'Thôn'", "Bản 8"),
        ("dòng 11, cột type", "không có trong danh sách", "Phố"),
        ("dòng 12, cột parent_code", "hết hiệu lực ngày 2025-06-30", "19780"),
        ("dòng 13, cột source", "ô bắt buộc đang trống", ""),
        ("dòng 14, cột successor_code", "không có trong các tệp", "19780-99"),
    ]
    lines = msg.splitlines()
    assert "14 lỗi" in lines[0] or "lỗi" in lines[0]
    for where, what, found in expect:
        hits = [ln for ln in lines if f"to-dan-pho.csv, {where}" in ln and what in ln and found in ln]
        assert hits, f"{where}: {what} not in\n{msg}"
    assert "Traceback" not in msg and "docs/units.md" in lines[0]
    rows = [int(ln.split("dòng ")[1].split(",")[0]) for ln in lines[1:] if "dòng " in ln]
    assert rows == sorted(rows), "problems are listed in row order"


@pytest.mark.parametrize("data,needle", [
    ("\ufeff".encode("utf-16-le") + HEADER.encode("utf-16-le"), "UTF-16"),
    ("code,name\n".encode() + "19780-01,Thôn Đông\n".encode("cp1258", errors="replace") + b"\xff\n", "không phải UTF-8"),
    (b"", "tệp trống"),
    (b"code,name,type,parent_code,valid_from,source,level\n", "cột level"),
    (b"code,name,type,parent_code,source\n", "thiếu cột bắt buộc"),
    (b"code,name,type,parent_code,valid_from,source\n19780-01,Th\x00n,Th,19780,2020-01-01,x\n", "NUL"),
])
def test_files_that_are_not_unit_files(tmp_path, data, needle):
    p = tmp_path / "u.csv"
    p.write_bytes(data)
    assert needle in errors_of(p)


def test_a_missing_file(tmp_path):
    assert "không tìm thấy tệp" in errors_of(tmp_path / "missing.csv")


def test_two_files_checked_together(tmp_path):
    a = write(tmp_path, HEADER + "19780-01,Thôn 1,Thôn,19780,2020-01-01,2024-12-31,,a\n", "a.csv")
    b = write(tmp_path, HEADER + "19780-01,Thôn 1,Thôn,19780,2022-01-01,2023-12-31,,b\n"
                                 "19780-01-1,Xóm 1,Xóm,19780-01,2021-01-01,2021-12-31,,b\n", "b.csv")
    msg = errors_of_pair(a, b)
    assert "b.csv, dòng 2, cột code: mã bị trùng: a.csv, dòng 2" in msg
    reg = load_registry(a, write(tmp_path, HEADER + "19780-01-1,Xóm 1,Xóm,19780-01,2021-01-01,2021-12-31,,b\n", "c.csv"))
    assert reg.get("19780-01-1", 2021).parent_code == "19780-01"  # a parent from the other file


def errors_of_pair(a: Path, b: Path) -> str:
    with pytest.raises(UnitFileError) as err:
        load_registry(a, b)
    return str(err.value)


# ---- --units on every command, DANVAN_UNITS, notebooks ----------------------------------------------
@pytest.mark.parametrize("argv", [
    ["units", "--search", "x"],
    ["render", "--unit", "19780", "--year", "2023"],
    ["check", "--unit", "19780", "--year", "2023"],
    ["form", "--unit", "19780", "--year", "2024"],
    ["import", "x.csv"],
    ["validate", "x.csv"],
    ["history", "--unit", "19780", "--year", "2023"],
    ["setup", "--no-demo"],
])
def test_every_command_reports_a_bad_unit_file_with_exit_2(argv, tmp_path, capsys):
    bad = write(tmp_path, HEADER + "19780-01,Tổ 1,Tổ,19780,2020-01-01,,,Quyết định 1, ngày 2\n")
    assert main([*argv, "--units", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "units.csv, dòng 2, cột source" in err and "Traceback" not in err
    assert not (tmp_path / "outputs").exists()


def test_run_takes_unit_files_with_unit_file(tmp_path, capsys, reference_db):
    bad = write(tmp_path, HEADER + "19780-01,Tổ 1,Tổ,19780,2020-01-01,,,x\n")  # open-ended: parent ends
    assert main(["run", "--year", "2023", "--units", "19780", "--unit-file", str(bad), "--db", str(reference_db),
                 "--outputs", str(tmp_path / "out")]) == 2
    assert "hết hiệu lực" in capsys.readouterr().err


def test_danvan_units_environment_variable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DANVAN_UNITS", str(write(tmp_path, GOOD)))
    assert main(["units", "--parent", "19780", "--year", "2023"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in out] == ["19780-01", "19780-02"]
    assert out[0].split("  ")[0] == "19780-01" and "Tổ dân phố 1" in out[0] and "2020-01-01 – 2024-12-31" in out[0]


def test_form_import_and_check_of_a_user_unit(tmp_path, capsys, store):
    units = write(tmp_path, GOOD)
    form = tmp_path / "bieu.csv"
    assert main(["form", "--unit", "19780-01", "--year", "2023", "--format", "csv", "--out", str(form),
                 "--db", str(store.path), "--units", str(units)]) == 0
    with open(form, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["unit_code"] for r in rows} == {"19780-01"}
    assert "POP_HOUSEHOLDS" in {r["indicator"] for r in rows} and len(rows) < 20  # a tổ dân phố's short form
    with open(REPO / "data" / "reference" / "19780" / "2023" / "figures.csv", encoding="utf-8") as fh:
        ref = {r["indicator"]: r["value"] for r in csv.DictReader(fh)}
    for r in rows:
        r["value"] = {"POP_HOUSEHOLDS": "312"}.get(r["indicator"], ref.get(r["indicator"], ""))
    with open(form, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert main(["import", str(form), "--db", str(store.path)]) == 1  # without the unit file: unknown unit
    assert "unknown_unit" in capsys.readouterr().out
    assert main(["import", str(form), "--db", str(store.path), "--units", str(units)]) == 0
    assert store.figures("19780-01", 2023)["POP_HOUSEHOLDS"] == 312
    capsys.readouterr()
    main(["check", "--unit", "19780-01", "--year", "2023", "--db", str(store.path), "--units", str(units)])
    assert "Tổ dân phố 1 (mã 19780-01), năm 2023" in capsys.readouterr().out


def test_unit_files_are_in_the_cache_key(tmp_path, store):
    nb = REPO / "notebooks" / "ward_report.ipynb"
    base = plan(nb, {"unit_code": "19780", "year": 2023, "db": str(store.path)}, tmp_path / "out")
    units = write(tmp_path, GOOD)
    one = plan(nb, {"unit_code": "19780", "year": 2023, "db": str(store.path), "units": str(units)}, tmp_path / "out")
    units.write_text(GOOD.replace("ví dụ", "ví dụ khác"), encoding="utf-8")
    two = plan(nb, {"unit_code": "19780", "year": 2023, "db": str(store.path), "units": str(units)}, tmp_path / "out")
    assert len({base.key, one.key, two.key}) == 3
    assert base.params == {"unit_code": "19780", "year": 2023, "db": str(store.path)}


def test_the_documented_example_file_is_valid():
    example = REPO / "examples" / "units-19780.csv"
    reg = load_registry(example)
    kids = reg.descendants("19780", 2024, level="user")
    assert kids and all(u.is_user and u.valid_on(dt.date(2024, 12, 31)) for u in kids)
    assert "minh họa" in kids[0].source


def _import_user_unit_year(tmp_path, store, units: Path, code: str, year: int) -> None:
    """The reference figures the user unit's report profile has (a tổ dân phố: the khu dân cư's few)."""
    from danvan.reference.profiles import catalogue_for

    cat = catalogue_for(code, year, registry=load_registry(units))
    with open(REPO / "data" / "reference" / "19780" / "2023" / "figures.csv", encoding="utf-8") as fh:
        ref = [r for r in csv.DictReader(fh) if r["indicator"] in cat]
    ref.append({"indicator": "POP_HOUSEHOLDS", "value": "312"})
    f = tmp_path / f"{code}-{year}.csv"
    with open(f, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["unit_code", "year", "indicator", "value"])
        w.writerows([code, year, r["indicator"], r["value"]] for r in ref)
    assert main(["import", str(f), "--db", str(store.path), "--units", str(units)]) == 0


def test_a_summary_over_a_communes_own_units(tmp_path, store):
    from danvan.report.city import CitySummary

    units = write(tmp_path, GOOD)
    _import_user_unit_year(tmp_path, store, units, "19780-01", 2023)
    s = CitySummary.load("19780", 2023, db=str(store.path), unit_files=str(units))
    assert [w.code for w in s.wards] == ["19780-01", "19780-02"] and [w.code for w in s.missing] == ["19780-02"]
    assert "Các tổ dân phố thuộc Phường Phường Đúc" in s.header().html
    assert "Số đơn vị có số liệu năm 2023: 1/2 tổ dân phố." in s.coverage().text


@pytest.mark.slow
def test_render_a_user_unit_with_units(tmp_path, store, capsys):
    units = write(tmp_path, GOOD)
    _import_user_unit_year(tmp_path, store, units, "19780-01", 2023)
    out = tmp_path / "outputs"
    argv = ["render", "--unit", "19780-01", "--year", "2023", "--db", str(store.path), "--outputs", str(out)]
    assert main(argv) == 2 and "19780-01" in capsys.readouterr().err  # unknown without the file
    assert main([*argv, "--units", str(units)]) == 0
    page = (out / "2023" / "19780-01" / "report.html").read_text(encoding="utf-8")
    assert "UBND TỔ DÂN PHỐ 1" in page and "UBND PHƯỜNG PHƯỜNG ĐÚC" in page
