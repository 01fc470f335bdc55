"""Ward data-entry forms: write them (xlsx and CSV) from the catalogue, and read them back.

The xlsx form has three sheets:

* ``Số liệu``: one row per data indicator of the unit's report profile (section, code, Vietnamese
  label, unit, last year's value, the value the ward fills in, its qualifier "Mức độ" — a list of
  hơn, trên, gần, khoảng, ước … —, a note). Only the value, qualifier and note cells are unlocked;
  data validation suggests whole numbers for counts and amounts and 0-100 for percentages, but lets
  an official type the value as written ("hơn 4,5 tỷ", "10-12", "456/457", "không có") after a
  warning. Derived indicators (ratios danvan computes) are not asked for. Unit code (as text), year
  and catalogue version sit in the header cells B2:B4, named ``DANVAN_UNIT``, ``DANVAN_YEAR`` and
  ``DANVAN_CATALOGUE``.
* ``Văn bản``: one row per free-text section (section code, title, text cell).
* ``Hướng dẫn``: instructions in Vietnamese.

The CSV form is the tidy figures layout with helper columns
(``unit_code,year,section,indicator,label,unit,last_year,value,qualifier,note``), UTF-8 with a BOM
so Excel opens it with the right accents. The CSV reader accepts any file with at least
``unit_code,year,indicator,value`` (``qualifier`` and ``note`` optional, other columns ignored;
each row read with the catalogue of its own unit-year's profile), in UTF-8 (with or
without BOM), UTF-16 (Excel "Unicode Text") or Windows-1258, separated by ``,``, ``;`` or tab.
TCVN3 (ABC) and VNI bytes are recognised and refused with instructions to convert.

Readers never raise on bad input: they return a :class:`ParsedFile` whose ``findings`` say what is
wrong (see :mod:`danvan.validate`).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..core import settings
from ..core.errors import CatalogueError, StoreMissingError
from ..core.files import KIND_VI, atomic_write, file_kind
from ..core.sheets import csv_safe, formula_like
from ..core.vnformat import fmt_number, nfc
from ..core.written import from_storage, qualifier_choices, to_text
from ..reference.catalogue import Catalogue, Indicator, load_catalogue
from ..reference.profiles import catalogue_for, installed_profiles
from ..reference.units import UnitRegistry, load_registry
from ..store import Store, canonical
from .validate import (
    FAST_INT,
    MAX_FINDINGS,
    Finding,
    FigureRow,
    Place,
    TextEntry,
    accepted_range,
    check_text,
    closest_code,
    parse_year,
    percent_cap,
    read_value,
    resolve_unit,
)


__all__ = [
    "SHEET_DATA",
    "SHEET_TEXT",
    "SHEET_HELP",
    "CSV_COLUMNS",
    "ParsedFile",
    "write_xlsx_form",
    "write_csv_form",
    "write_form",
    "read_file",
    "read_xlsx",
    "read_csv",
    "decode_csv_bytes",
    "max_file_bytes",
]

FORM_VERSION = "danvan-form 1"
SHEET_DATA = "Số liệu"
SHEET_TEXT = "Văn bản"
SHEET_HELP = "Hướng dẫn"
NAME_UNIT, NAME_YEAR, NAME_CATALOGUE = "DANVAN_UNIT", "DANVAN_YEAR", "DANVAN_CATALOGUE"
HEADER_ROW = 7
# data sheet columns
COL_SECTION, COL_CODE, COL_LABEL, COL_UNIT, COL_LAST, COL_VALUE, COL_QUALIFIER, COL_NOTE = "ABCDEFGH"
H_CODE, H_VALUE, H_QUALIFIER, H_NOTE = "Mã chỉ tiêu", "Số liệu năm", "Mức độ", "Ghi chú"
H_SECTION, H_TEXT = "Mục", "Nội dung năm"
CSV_COLUMNS = ["unit_code", "year", "section", "indicator", "label", "unit", "last_year", "value", "qualifier",
               "note"]
_CSV_REQUIRED = ["unit_code", "year", "indicator", "value"]
_CSV_ALIASES = {
    "mã đơn vị": "unit_code", "ma_don_vi": "unit_code", "năm": "year", "mã chỉ tiêu": "indicator",
    "chỉ tiêu": "indicator", "số liệu": "value", "giá trị": "value", "ghi chú": "note", "mức độ": "qualifier",
}
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# A form's data sheet has ~100 rows of 7 cells: these caps are 100 times that, and are checked by
# streaming the sheet XML before openpyxl builds anything (a million rows took minutes and GBs).
MAX_SHEET_ROWS = 10_000
MAX_SHEET_CELLS = 100_000


def max_csv_rows() -> int:
    """Most data rows read from one CSV file (``$DANVAN_MAX_CSV_ROWS``, default 50,000)."""
    return settings.current().max_csv_rows


def max_file_bytes() -> int:
    """Largest input file accepted (``$DANVAN_MAX_IMPORT_MB``, default 20 MB): a form is ~30 kB."""
    return settings.current().max_import_bytes


@dataclass
class ParsedFile:
    """What one input file holds, and what is wrong with it."""

    path: str
    kind: str  # "xlsx" | "csv"
    sha256: str = ""
    encoding: str = ""
    rows: list[FigureRow] = field(default_factory=list)
    texts: list[TextEntry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    slots: dict[str, Place] = field(default_factory=dict)  # xlsx: value cell of each indicator
    invalid: set[str] = field(default_factory=set)  # indicators given with a refused value
    unit_code: str | None = None  # xlsx: the form's unit-year
    year: int | None = None
    catalogue_version: str = ""
    catalogues: dict = field(default_factory=dict)  # (unit, year) -> the Catalogue its rows were read with

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def unit_years(self) -> list[tuple[str, int]]:
        keys = {(r.unit_code, r.year) for r in self.rows} | {(t.unit_code, t.year) for t in self.texts}
        return sorted(keys)


def _name(path) -> str:
    return str(path)


# ================================================================================================
# writing
# ================================================================================================
def _last_year(unit_code: str, year: int, db, cat: Catalogue) -> tuple[dict[str, object], dict[str, str]]:
    """Last year's value of each figure (a number, or its text when it was not a plain figure: "hơn
    4,5 tỷ đồng") and last year's texts, from the store (none without a store). A store that cannot
    be read is an error (a MachineFault naming how to fix it), never a form silently without them."""
    store = Store(db) if db else Store()
    try:
        snap = store.snapshot(unit_code, year - 1)
        texts = store.texts(unit_code, year - 1)
    except StoreMissingError:
        return {}, {}
    out: dict[str, object] = dict(snap["figures"])
    for code, written in snap["written"].items():
        if code in cat:
            ind = cat[code]
            out[code] = to_text(from_storage(str(out[code]), written, kind=ind.written_kind, unit=ind.unit))
    return out, texts


class Catalogues:
    """The catalogue each unit-year of a file is read with: one given for every unit (``fixed``), or
    each unit-year's own profile (:func:`danvan.reference.profiles.catalogue_for`), cached."""

    def __init__(self, fixed: Catalogue | None = None, *, registry: UnitRegistry | None = None,
                 profile: str | None = None, catalogue_files=(), profiles=()):
        self.fixed, self.registry, self.profile = fixed, registry, profile
        self.catalogue_files, self.profiles = tuple(catalogue_files), tuple(profiles)
        self._cache: dict = {}

    def made_with(self, version: str, unit: str | None, year: int | None) -> Catalogue | None:
        """The catalogue a form stamped with catalogue ``version`` was made with (an installed profile
        whose version is it, or that keeps it as ``compat_catalogue``) — when none was forced and it
        is not the unit-year's own: an older form is read as it was made."""
        if self.fixed is not None or self.profile or unit is None or year is None:
            return None
        own = self.get(unit, year)
        if own.accepts_version(version):
            return None
        level = own.level
        for head in installed_profiles(self.profiles):
            try:
                cat = load_catalogue(*self.catalogue_files, profile=head["path"], level=level, profiles=self.profiles)
            except CatalogueError:  # pragma: no cover - an installed profile that does not merge
                continue
            if cat.accepts_version(version):
                return cat
        return None

    def get(self, unit: str | None, year: int | None) -> Catalogue:
        if self.fixed is not None:
            return self.fixed
        key = (unit, year)
        if key not in self._cache:
            if unit is None or year is None:  # unknown unit-year: the codes are still looked up
                self._cache[key] = load_catalogue(*self.catalogue_files, profile=self.profile, profiles=self.profiles)
            else:
                self._cache[key] = catalogue_for(unit, year, registry=self.registry, profile=self.profile,
                                                 catalogue_files=self.catalogue_files, profiles=self.profiles)
        return self._cache[key]


def _catalogues(catalogue, registry) -> Catalogues:
    return catalogue if isinstance(catalogue, Catalogues) else Catalogues(catalogue, registry=registry)


def _put(ws, row: int, col: int, value=None):
    """A cell of a form: text is written as a string, never a formula, with Excel's quote prefix
    when a spreadsheet would otherwise run it (:mod:`danvan.core.sheets`)."""
    cell = ws.cell(row, col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    return cell


def _data_sections(cat: Catalogue) -> list[tuple[str, str, list[Indicator]]]:
    out = []
    for sec in cat.sections.values():
        inds = [i for i in cat.in_section(sec.code) if not i.is_derived]
        if inds:
            out.append((sec.code, sec.title, inds))
    known = set(cat.sections)
    stray = [i for i in cat.data_indicators() if i.section not in known]
    if stray:  # pragma: no cover - catalogue.check() refuses unknown sections
        out.append(("", "", stray))
    return out


HELP_LINES = [
    "HƯỚNG DẪN ĐIỀN BIỂU NHẬP SỐ LIỆU",
    "",
    "1. Trang «Số liệu»: chỉ nhập vào cột «Số liệu năm …» (cột F), cột «Mức độ» (cột G) và cột «Ghi chú» "
    "(cột H). Các cột khác đã khoá.",
    "2. Nhập số như bình thường: 7967592178 hoặc 7.967.592.178; tỷ lệ nhập 75,07 (không cần dấu %); số đo có "
    "phần thập phân ghi dấu phẩy: 2.941,86 (ha).",
    "3. Ghi số liệu đúng như báo cáo viết: nếu báo cáo viết «hơn 4,5 tỷ đồng», «gần 2 tỷ», «khoảng 15 km», hãy "
    "ghi con số vào cột F (4,5 tỷ) và chọn từ «hơn», «gần», «khoảng», «ước», «dưới», «từ … trở lên» … ở cột G. "
    "Cột F cũng nhận cả cụm chữ: «hơn 4,5 tỷ», «25 tỷ 355 triệu», khoảng «10-12» (%), tỷ số «456/457» (hộ), "
    "«không có»; Excel sẽ hỏi lại, chọn Yes (Có) để giữ.",
    "4. Chưa có số liệu thì ĐỂ TRỐNG ô. Nếu số liệu bằng không thì ghi 0 (hoặc «không có»). Ô trống và ô ghi 0 "
    "khác nhau. Số lượng (hộ, người, tin, …) là số nguyên, không âm.",
    "5. Không dùng công thức trong ô số liệu. Nếu đã tính bằng công thức, hãy sao chép rồi dán giá trị "
    "(Paste Special > Values / Dán giá trị).",
    "6. Không đổi tên, không ẩn, không xoá trang tính; không chèn hay xoá cột; không gộp ô (Merge).",
    "7. Không sửa ô mã đơn vị (B2) và năm (B3). Mỗi biểu chỉ dùng cho một đơn vị, một năm.",
    "8. Các chỉ tiêu tỷ lệ do danvan tự tính (ví dụ tỷ lệ thu so với dự toán) không có trong biểu.",
    "9. Trang «Văn bản»: mỗi mục một ô, viết đoạn văn như trong báo cáo; xuống dòng trong ô bằng Alt+Enter. "
    "Không bắt đầu nội dung bằng dấu =, +, @.",
    "10. Cột «Năm trước» là số liệu đã có trong kho để đối chiếu; không cần sửa. Cột «Ghi chú» ghi giải thích "
    "của đơn vị; báo cáo in ghi chú ở những chỉ tiêu mà đề cương của tỉnh quy định.",
    "11. Lưu tệp dạng Excel (.xlsx) rồi gửi lại. Cán bộ tổng hợp kiểm tra bằng lệnh «danvan validate TỆP» "
    "và nhập bằng «danvan import TỆP»; mỗi lỗi ghi rõ ô (ví dụ F14), chỉ tiêu và cách sửa.",
    "12. Mỗi lần nhập lại, số liệu cũ vẫn được lưu trong lịch sử (danvan history).",
]


def _form_of(unit_code: str, year, catalogue: Catalogue | None, registry: UnitRegistry | None, db):
    """``(unit, year, catalogue, last year's values, last year's texts)`` of a form: the unit-year's
    own report profile unless a catalogue is given."""
    reg = registry or load_registry()
    year = int(year)
    unit = reg.get(unit_code, year)
    cat = catalogue or catalogue_for(unit, year, registry=reg)
    return unit, year, cat, *_last_year(unit_code, year, db, cat)


def unit_text(ind: Indicator, most: int = 3) -> str:
    """The unit column of a form: the unit and the other names it may be written with
    ("tổ (hoặc thôn, tổ dân phố, ấp …)")."""
    others = [a for a in ind.unit_aliases if a != ind.unit]
    if not others:
        return ind.unit
    more = " …" if len(others) > most else ""
    return f"{ind.unit} (hoặc {', '.join(others[:most])}{more})"


def write_xlsx_form(
    unit_code: str,
    year: int,
    path,
    *,
    catalogue: Catalogue | None = None,
    registry: UnitRegistry | None = None,
    db=None,
) -> Path:
    """Write the xlsx data-entry form of one unit-year to ``path``; return the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    unit, year, cat, last, last_texts = _form_of(unit_code, year, catalogue, registry, db)

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_DATA
    bold = Font(bold=True)
    grey = Font(color="666666")
    head_fill = PatternFill("solid", fgColor="DDE6F0")
    sec_fill = PatternFill("solid", fgColor="EEEEEE")
    input_fill = PatternFill("solid", fgColor="FFF9DB")
    unlocked = Protection(locked=False)
    wrap = Alignment(wrap_text=True, vertical="top")

    _put(ws, 1, 1, f"BIỂU NHẬP SỐ LIỆU BÁO CÁO CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM {year}").font = Font(bold=True, size=13)
    for col, value in enumerate(("Mã đơn vị:", unit_code, unit.name), start=1):
        _put(ws, 2, col, value)
    ws["B2"].number_format = "@"  # text: keeps leading zeros
    _put(ws, 3, 1, "Năm báo cáo:")
    _put(ws, 3, 2, year)
    for col, value in enumerate(("Danh mục chỉ tiêu:", cat.version, FORM_VERSION), start=1):
        _put(ws, 4, col, value)
    _put(ws, 5, 1, f"Chỉ nhập vào cột «{H_VALUE} {year}», cột «{H_QUALIFIER}» (hơn, gần, khoảng …) và cột "
                   f"«{H_NOTE}». Để trống nếu chưa có số liệu; ghi 0 nếu bằng không. Xem trang «Hướng dẫn»."
         ).font = Font(italic=True)
    for c in ("A2", "A3", "A4"):
        ws[c].font = bold
    ws["B2"].font = ws["B3"].font = bold
    headers = [H_SECTION, H_CODE, "Chỉ tiêu", "Đơn vị tính", f"Năm {year - 1}", f"{H_VALUE} {year}", H_QUALIFIER,
               H_NOTE]
    for i, h in enumerate(headers):
        cell = _put(ws, HEADER_ROW, i + 1, h)
        cell.font = bold
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")

    validations = {
        "count": DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True),
        "signed": DataValidation(type="whole", operator="between", formula1="-1000000000", formula2="1000000000",
                                 allow_blank=True),
        "percent": DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True),
        "rate": DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True),
        "measure": DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True),
    }
    as_written = (" Nếu báo cáo viết kèm chữ (hơn 4,5 tỷ; 10-12; 456/457; không có), có thể ghi cả cụm chữ: "
                  "chọn Yes (Có) để giữ.")
    messages = {
        "count": ("Số nguyên không âm", "Nhập một số nguyên không âm, ví dụ 1109. Để trống nếu chưa có số liệu."),
        "signed": ("Số nguyên", "Nhập số nguyên; số giảm ghi dấu trừ, ví dụ -8."),
        "percent": ("Tỷ lệ %", "Nhập tỷ lệ từ 0 đến 100, ví dụ 75,07 (không cần dấu %)."),
        "rate": ("Tỷ lệ % so với kế hoạch", "Nhập tỷ lệ không âm, ví dụ 112 (không cần dấu %)."),
        "amount": ("Số tiền (đồng)", "Nhập số tiền bằng đồng, ví dụ 7967592178 (hoặc 4,5 tỷ)."),
        "measure": ("Số đo", "Nhập số đo, phần thập phân ghi dấu phẩy, ví dụ 2941,86."),
    }

    def explain(dv, key: str) -> None:
        title, msg = messages[key]
        dv.errorTitle, dv.error, dv.promptTitle, dv.prompt = "Số liệu không hợp lệ", msg + as_written, title, msg
        dv.errorStyle = "warning"  # the value as written ("hơn 4,5 tỷ") stays possible after a warning
        dv.showErrorMessage = dv.showInputMessage = True

    for key, dv in validations.items():
        explain(dv, key)
        ws.add_data_validation(dv)
    choices = DataValidation(type="list", formula1='"' + ",".join(qualifier_choices()) + '"', allow_blank=True)
    choices.errorTitle, choices.error = "Mức độ", "Chọn một từ trong danh sách (hơn, gần, khoảng …) hoặc để trống."
    choices.promptTitle, choices.prompt = "Mức độ", "Để trống nếu số liệu là số chính xác; chọn hơn, gần, khoảng … nếu báo cáo viết như vậy."
    choices.showErrorMessage = choices.showInputMessage = True
    ws.add_data_validation(choices)

    r = HEADER_ROW + 1
    for sec_code, sec_title, inds in _data_sections(cat):
        _put(ws, r, 1, sec_code).font = bold
        _put(ws, r, 3, sec_title).font = bold
        for col in range(1, 9):
            ws.cell(r, col).fill = sec_fill
        ws.cell(r, 3).alignment = wrap
        r += 1
        for ind in inds:
            _put(ws, r, 1, ind.section)
            _put(ws, r, 2, ind.code).font = grey
            _put(ws, r, 3, ind.label + (" (*)" if ind.required else "")).alignment = wrap
            _put(ws, r, 4, unit_text(ind)).alignment = wrap
            fmt = "0.00" if ind.is_rate else "General" if ind.kind == "measure" else "#,##0"
            prev = last.get(ind.code)
            if prev is not None:
                shown = prev if isinstance(prev, str) else int(prev) if prev == prev.to_integral_value() else float(prev)
                c = ws.cell(r, 5, shown)
                c.number_format = fmt
                c.font = grey
            v = ws.cell(r, 6)
            v.number_format = fmt
            v.protection = unlocked
            v.fill = input_fill
            q = ws.cell(r, 7)
            q.protection = unlocked
            q.fill = input_fill
            choices.add(f"{COL_QUALIFIER}{r}")
            n = ws.cell(r, 8)
            n.protection = unlocked
            n.alignment = wrap
            ref = f"{COL_VALUE}{r}"
            if ind.kind == "percent":
                validations["percent" if percent_cap(ind) is not None else "rate"].add(ref)
            elif ind.kind == "amount":
                # whole numbers of any size (Excel's "whole number" rule stops at 2^31)
                dv = DataValidation(type="custom", formula1=f"AND(ISNUMBER({ref}),{ref}>=0,{ref}=INT({ref}))",
                                    allow_blank=True)
                explain(dv, "amount")
                ws.add_data_validation(dv)
                dv.add(ref)
            elif ind.kind == "measure" and not ind.signed:
                validations["measure"].add(ref)
            elif ind.kind != "measure":
                validations["signed" if ind.signed else "count"].add(ref)
            r += 1
    for col, width in zip("ABCDEFGH", (7, 30, 70, 12, 16, 20, 12, 32)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"F{HEADER_ROW + 1}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # allowed: resize columns and rows
    ws.protection.formatRows = False
    _put(ws, r + 1, 3, "(*) chỉ tiêu bắt buộc").font = Font(italic=True)

    # ---- free text -----------------------------------------------------------------------
    wt = wb.create_sheet(SHEET_TEXT)
    _put(wt, 1, 1, f"NỘI DUNG VĂN BẢN BÁO CÁO NĂM {year}").font = Font(bold=True, size=13)
    _put(wt, 2, 1, "Mỗi mục một ô ở cột C; viết như trong báo cáo. Xuống dòng trong ô: Alt+Enter. "
                   "Để trống mục chưa viết. Cột D là nội dung năm trước để tham khảo.").font = Font(italic=True)
    for i, h in enumerate([H_SECTION, "Tiêu đề", f"{H_TEXT} {year}", f"Nội dung năm {year - 1} (tham khảo)"]):
        c = _put(wt, 3, i + 1, h)
        c.font = bold
        c.fill = head_fill
    r = 4
    for sec in cat.sections.values():
        if not sec.free_text:
            continue
        _put(wt, r, 1, sec.code).font = bold
        _put(wt, r, 2, sec.title).alignment = wrap
        t = wt.cell(r, 3)
        t.protection = unlocked
        t.alignment = wrap
        t.fill = input_fill
        t.number_format = "@"
        prev = last_texts.get(sec.code)
        if prev:
            p = _put(wt, r, 4, prev.strip()[:32000])
            p.alignment = wrap
            p.font = grey
        wt.row_dimensions[r].height = 120
        r += 1
    for col, width in zip("ABCD", (7, 40, 80, 60)):
        wt.column_dimensions[col].width = width
    wt.protection.sheet = True
    wt.protection.formatColumns = False
    wt.protection.formatRows = False

    # ---- instructions --------------------------------------------------------------------
    wh = wb.create_sheet(SHEET_HELP)
    for i, line in enumerate(HELP_LINES, start=1):
        _put(wh, i, 1, line).alignment = Alignment(wrap_text=True)
    wh["A1"].font = Font(bold=True, size=13)
    wh.column_dimensions["A"].width = 120

    quoted = f"'{SHEET_DATA}'"
    for name, ref in ((NAME_UNIT, "$B$2"), (NAME_YEAR, "$B$3"), (NAME_CATALOGUE, "$B$4")):
        wb.defined_names[name] = DefinedName(name, attr_text=f"{quoted}!{ref}")
    wb.properties.title = f"Biểu nhập số liệu {unit_code} năm {year}"
    wb.properties.creator = "danvan"
    wb.properties.keywords = FORM_VERSION
    buf = io.BytesIO()
    wb.save(buf)
    out = Path(path)
    atomic_write(out, buf.getvalue(), what="biểu nhập số liệu")  # never a half-written form
    return out


def write_csv_form(
    unit_code: str,
    year: int,
    path,
    *,
    catalogue: Catalogue | None = None,
    registry: UnitRegistry | None = None,
    db=None,
) -> Path:
    """Write the CSV form (UTF-8 with BOM, one row per data indicator, ``value`` empty)."""
    _unit, year, cat, last, _texts = _form_of(unit_code, year, catalogue, registry, db)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for _sec, _title, inds in _data_sections(cat):
        for ind in inds:
            prev = last.get(ind.code)
            shown = "" if prev is None else prev if isinstance(prev, str) else canonical(prev)
            w.writerow([csv_safe(v) for v in (unit_code, int(year), ind.section, ind.code, ind.label, unit_text(ind),
                                              shown, "", "", "")])
    out = Path(path)
    atomic_write(out, "\ufeff" + buf.getvalue(), what="biểu nhập số liệu")
    return out


def write_form(unit_code: str, year: int, path, *, fmt: str | None = None, **kw) -> Path:
    """Write the xlsx or CSV form (by ``fmt``, else by the suffix of ``path``)."""
    fmt = (fmt or Path(path).suffix.lstrip(".") or "xlsx").lower()
    if fmt == "csv":
        return write_csv_form(unit_code, year, path, **kw)
    if fmt == "xlsx":
        return write_xlsx_form(unit_code, year, path, **kw)
    raise ValueError(f"form format must be xlsx or csv, got {fmt!r}")


# ================================================================================================
# reading: common
# ================================================================================================
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_file(path, *, catalogue: "Catalogue | Catalogues | None" = None,
              registry: UnitRegistry | None = None) -> ParsedFile:
    """Read an xlsx form or a CSV file (by content and suffix). Never raises on bad content.

    ``catalogue``: one catalogue for every unit of the file, or a :class:`Catalogues` (default: each
    unit-year's own profile)."""
    reg = registry or load_registry()
    cat = _catalogues(catalogue, reg)
    name = _name(path)
    p = Path(path)
    suffix = p.suffix.lower()
    pf = ParsedFile(name, "xlsx" if suffix in (".xlsx", ".xlsm") else "csv")
    place = Place(name)
    kind = file_kind(p)  # never opens the path: opening a FIFO would block
    if kind == "missing":
        pf.findings.append(place.finding("file_not_found", "không tìm thấy tệp (kiểm tra lại đường dẫn)",
                                         found=name))
        return pf
    if kind != "file":
        pf.findings.append(place.finding(
            "not_a_regular_file", f"đường dẫn này là {KIND_VI[kind]}, không phải một tệp biểu số liệu; hãy ghi "
            "đúng tên tệp .xlsx hoặc .csv", found=KIND_VI[kind], expected="một tệp .xlsx hoặc .csv"))
        return pf
    size = p.stat().st_size
    conf = settings.current()  # (once per file: reading the settings costs more than parsing a form row)
    limit = conf.max_import_bytes
    if size > limit:
        pf.findings.append(place.finding(
            "file_too_large", f"tệp lớn {size / 1024 / 1024:.1f} MB, quá giới hạn {limit / 1024 / 1024:.0f} MB; "
            "một biểu nhập số liệu chỉ khoảng vài chục kB — kiểm tra lại có đúng tệp không",
            found=f"{size} byte", expected=f"không quá {limit} byte"))
        return pf
    data = p.read_bytes()
    pf.sha256 = hashlib.sha256(data).hexdigest()
    if not data.strip():
        pf.findings.append(place.finding("file_empty", "tệp rỗng, không có nội dung", found="0 byte"))
        return pf
    if data[:8] == _OLE_MAGIC:
        pf.findings.append(place.finding(
            "legacy_xls", "đây là tệp Excel đời cũ (.xls) hoặc tệp Excel có đặt mật khẩu; hãy mở bằng Excel, "
            "bỏ mật khẩu và lưu lại dạng «Excel Workbook (.xlsx)»", found=p.suffix or "(không đuôi)",
            expected="tệp .xlsx không mật khẩu"))
        return pf
    if data[:4] == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm"):
        pf.kind = "xlsx"
        return _guarded(read_xlsx_bytes, data, pf, cat, reg, "corrupt_xlsx")
    if suffix in (".csv", ".txt", ".tsv", ""):
        pf.kind = "csv"
        return _guarded(read_csv_bytes, data, pf, cat, reg, "csv_malformed", max_rows=conf.max_csv_rows)
    pf.findings.append(place.finding(
        "unsupported_file_type", "chỉ nhận biểu nhập số liệu dạng .xlsx hoặc .csv; hãy lưu lại đúng dạng",
        found=p.suffix, expected=".xlsx hoặc .csv"))
    return pf


def _guarded(reader, data, pf: ParsedFile, cat, reg, rule: str, **kw) -> ParsedFile:
    """Run a reader; content it did not foresee becomes a finding, never an exception, so that one
    odd file cannot stop a batch."""
    try:
        reader(data, pf, cat, reg, **kw)
    except CatalogueError:  # a unit-year's catalogue (a user's file) is wrong, not this file
        raise
    except Exception as exc:
        pf.rows.clear()
        pf.texts.clear()
        pf.findings.append(Place(pf.path).finding(
            rule, "không đọc được tệp (cấu trúc bất thường); hãy mở bằng Excel và lưu lại, hoặc dùng biểu mới "
            "lập bằng «danvan form»", found=f"{type(exc).__name__}: {str(exc)[:80]}", expected="một biểu hợp lệ"))
    return pf


def read_xlsx(path, **kw) -> ParsedFile:
    return read_file(path, **kw)


def read_csv(path, **kw) -> ParsedFile:
    return read_file(path, **kw)


def _clean_text(value) -> str:
    text = nfc(str(value)).replace("_x000D_", "").replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def _cell_text(value) -> str:
    return "" if value is None else nfc(str(value)).strip()


def _fold(value) -> str:
    return " ".join(_cell_text(value).casefold().split())


# ================================================================================================
# reading: xlsx
# ================================================================================================
_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")


def _count_rows_and_cells(zf: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """Rows and cells of one worksheet, counted on its XML as it is inflated (1 MB at a time) and
    stopped as soon as a cap is passed: bounded time and memory whatever the sheet holds."""
    rows = cells = 0
    tail = b""
    with zf.open(member) as fh:
        while rows <= MAX_SHEET_ROWS and cells <= MAX_SHEET_CELLS:
            chunk = fh.read(1 << 20)
            data = tail + chunk
            # a tag that starts in the last bytes is counted with the next chunk, where it is whole
            cut = max(0, len(data) - 64) if chunk else len(data)
            for m in _ROW_OR_CELL.finditer(data):
                if m.start() >= cut:
                    break
                if m.group(1) == b"row":
                    rows += 1
                else:
                    cells += 1
            if not chunk:
                break
            tail = data[cut:]
    return rows, cells


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part name -> sheet title (best effort: the part name when the workbook is odd)."""
    names = {n: n.rsplit("/", 1)[-1] for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    try:
        wb = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return names
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="/?(?:xl/)?([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'Target="/?(?:xl/)?([^"]+)"[^>]*Id="([^"]+)"', rels)})
    for title, rid in re.findall(r'<(?:\w+:)?sheet [^>]*name="([^"]*)"[^>]*r:id="([^"]+)"', wb):
        part = "xl/" + targets.get(rid, "")
        if part in names:
            names[part] = nfc(title)
    return names


def _check_zip(data: bytes, pf: ParsedFile) -> bool:
    place = Place(pf.path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if len(infos) > 10000 or total > MAX_UNZIPPED_BYTES:
                pf.findings.append(place.finding(
                    "file_too_large", "tệp Excel khi giải nén quá lớn (có thể là tệp độc hại); không đọc",
                    found=f"{total} byte sau giải nén", expected=f"không quá {MAX_UNZIPPED_BYTES} byte"))
                return False
            bad = zf.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"bad CRC in {bad}")
            if "xl/workbook.xml" not in zf.namelist():
                raise zipfile.BadZipFile("no xl/workbook.xml")
            for member, title in _sheet_names(zf).items():
                rows, cells = _count_rows_and_cells(zf, member)
                if rows > MAX_SHEET_ROWS:
                    pf.findings.append(Place(pf.path, title).finding(
                        "too_many_rows", f"trang tính có hơn {fmt_number(MAX_SHEET_ROWS)} dòng (một biểu chỉ khoảng "
                        "100 dòng); có thể đã dán nhầm dữ liệu — hãy xoá các dòng thừa hoặc dùng biểu mới lập bằng "
                        "«danvan form»", found=f"hơn {fmt_number(MAX_SHEET_ROWS)} dòng",
                        expected=f"không quá {fmt_number(MAX_SHEET_ROWS)} dòng"))
                    return False
                if cells > MAX_SHEET_CELLS:
                    pf.findings.append(Place(pf.path, title).finding(
                        "too_many_cells", f"trang tính có hơn {fmt_number(MAX_SHEET_CELLS)} ô có nội dung (một biểu "
                        "chỉ khoảng 700 ô); hãy xoá các cột, dòng thừa hoặc dùng biểu mới lập bằng «danvan form»",
                        found=f"hơn {fmt_number(MAX_SHEET_CELLS)} ô", expected=f"không quá {fmt_number(MAX_SHEET_CELLS)} ô"))
                    return False
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        pf.findings.append(place.finding(
            "corrupt_xlsx", "tệp Excel bị hỏng hoặc không trọn vẹn (gửi thiếu, tải về lỗi); hãy mở lại bằng Excel "
            "và lưu lại, hoặc xin gửi lại tệp", found=type(exc).__name__ + (f": {exc}" if str(exc) else ""),
            expected="một tệp .xlsx đầy đủ"))
        return False
    return True


def _load_workbook(data: bytes, pf: ParsedFile, *, data_only: bool = False):
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only, keep_links=False)
    except Exception as exc:  # openpyxl raises many types on damaged parts
        pf.findings.append(Place(pf.path).finding(
            "corrupt_xlsx", "không đọc được nội dung tệp Excel (tệp bị hỏng hoặc không phải biểu của danvan); "
            "hãy mở bằng Excel, lưu lại dạng .xlsx, hoặc lập biểu mới bằng «danvan form»",
            found=f"{type(exc).__name__}: {str(exc)[:80]}", expected="một tệp .xlsx đọc được"))
        return None


def _find_sheet(wb, wanted: str):
    key = _fold(wanted)
    for ws in wb.worksheets:
        if _fold(ws.title) == key:
            return ws
    return None


def _defined_cell(wb, name: str):
    try:
        dn = wb.defined_names.get(name)
    except Exception:  # pragma: no cover - openpyxl API differences
        dn = None
    if dn is None:
        return None
    try:
        for sheet, coord in dn.destinations:
            ws = _find_sheet(wb, sheet)
            if ws is not None:
                return ws[coord.replace("$", "")]
    except Exception:
        return None
    return None


def _label_value(ws, label: str, max_row: int):
    key = _fold(label)
    for row in ws.iter_rows(min_row=1, max_row=max_row, max_col=4):
        for i, c in enumerate(row[:-1]):
            if _fold(c.value) == key:
                return row[i + 1]
    return None


def _formula_text(cell) -> str:
    v = cell.value
    text = getattr(v, "text", None) or str(v)
    return text if text.startswith("=") else "=" + text


def read_xlsx_bytes(data: bytes, pf: ParsedFile, cats, reg: UnitRegistry) -> ParsedFile:
    """Fill ``pf`` from the bytes of an xlsx form (``cats``: a Catalogue or :class:`Catalogues`)."""
    cats = _catalogues(cats, reg)
    if not _check_zip(data, pf):
        return pf
    wb = _load_workbook(data, pf)
    if wb is None:
        return pf
    name = pf.path
    ws = _find_sheet(wb, SHEET_DATA)
    if ws is None:
        have = ", ".join(f"«{nfc(s.title)}»" for s in wb.worksheets)
        pf.findings.append(Place(name).finding(
            "sheet_missing", f"không có trang tính «{SHEET_DATA}» (tệp có: {have}); đừng đổi tên trang tính — hãy "
            f"đổi lại tên thành «{SHEET_DATA}» hoặc dùng biểu mới lập bằng «danvan form»",
            found=have, expected=f"trang tính «{SHEET_DATA}»"))
        return pf
    sheet = nfc(ws.title)
    wt = _find_sheet(wb, SHEET_TEXT)
    wh = _find_sheet(wb, SHEET_HELP)
    for s in (ws, wt):
        # a few cells at row 1,000,000 pass the streamed counts, but iterating to them would not
        if s is not None and (s.max_row > MAX_SHEET_ROWS or s.max_row * s.max_column > 10 * MAX_SHEET_CELLS):
            pf.findings.append(Place(name, nfc(s.title)).finding(
                "too_many_rows", f"trang tính có ô ở dòng {fmt_number(s.max_row)}, cột {s.max_column} (một biểu chỉ "
                "khoảng 100 dòng, 7 cột); hãy xoá các dòng, cột thừa ở cuối trang hoặc dùng biểu mới lập bằng "
                "«danvan form»", found=f"dòng {fmt_number(s.max_row)}",
                expected=f"không quá {fmt_number(MAX_SHEET_ROWS)} dòng"))
            return pf
    for s in wb.worksheets:
        if s in (ws, wt) and s.sheet_state != "visible":
            pf.findings.append(Place(name, nfc(s.title)).finding(
                "hidden_sheet", "trang tính có số liệu đang bị ẩn; hãy bỏ ẩn (Unhide), kiểm tra lại rồi lưu",
                found=s.sheet_state, expected="trang tính hiện (visible)"))
        elif s not in (ws, wt, wh):
            state = "bị ẩn, " if s.sheet_state != "visible" else ""
            pf.findings.append(Place(name, nfc(s.title)).finding(
                "extra_sheet_ignored", f"trang tính này {state}không thuộc biểu mẫu nên không được đọc; "
                "số liệu phải nằm ở trang «Số liệu»", found=nfc(s.title), expected="không có trang tính thêm"))

    # ---- unit, year, catalogue version -------------------------------------------------------
    header_row, cols = None, {}
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 30)):
        folded = [_fold(c.value) for c in row]
        if _fold(H_CODE) in folded:
            header_row = row[0].row
            for c, f in zip(row, folded):
                if f == _fold(H_CODE):
                    cols["code"] = c.column_letter
                elif f.startswith(_fold(H_VALUE)):
                    cols.setdefault("value", c.column_letter)
                elif f == _fold(H_QUALIFIER):
                    cols["qualifier"] = c.column_letter
                elif f == _fold(H_NOTE):
                    cols["note"] = c.column_letter
            break
    unit_cell = _defined_cell(wb, NAME_UNIT) or _label_value(ws, "Mã đơn vị:", header_row or 10)
    year_cell = _defined_cell(wb, NAME_YEAR) or _label_value(ws, "Năm báo cáo:", header_row or 10)
    cat_cell = _defined_cell(wb, NAME_CATALOGUE) or _label_value(ws, "Danh mục chỉ tiêu:", header_row or 10)

    def cell_place(c) -> Place:
        return Place(name, nfc(c.parent.title), c.coordinate, c.row, c.column_letter)

    year = None
    if year_cell is None:
        pf.findings.append(Place(name, sheet).finding("bad_year", "không tìm thấy ô năm báo cáo (B3)",
                                                      expected="năm ở ô B3"))
    else:
        year, fs = parse_year(year_cell.value, cell_place(year_cell))
        pf.findings += fs
    unit = None
    if unit_cell is None:
        pf.findings.append(Place(name, sheet).finding("missing_unit_code", "không tìm thấy ô mã đơn vị (B2)",
                                                      expected="mã đơn vị ở ô B2"))
    else:
        unit, fs = resolve_unit(unit_cell.value, year, reg, cell_place(unit_cell))
        pf.findings += fs
    pf.unit_code, pf.year = unit, year
    cat = cats.get(unit, year)
    if cat_cell is not None and _cell_text(cat_cell.value):
        pf.catalogue_version = _cell_text(cat_cell.value)
        cat = cats.made_with(pf.catalogue_version, unit, year) or cat
        if not cat.accepts_version(pf.catalogue_version):
            pf.findings.append(cell_place(cat_cell).finding(
                "catalogue_version_differs", "biểu được lập theo một phiên bản danh mục chỉ tiêu khác; các mã chỉ "
                "tiêu vẫn được kiểm tra theo danh mục hiện hành", found=pf.catalogue_version, expected=cat.version))
    if unit is not None and year is not None:
        pf.catalogues[(unit, year)] = cat

    if header_row is None or "value" not in cols:
        missing = H_CODE if header_row is None else f"{H_VALUE} …"
        pf.findings.append(Place(name, sheet).finding(
            "header_missing", f"không tìm thấy dòng tiêu đề có cột «{missing}»; đừng xoá/sửa dòng tiêu đề hay chèn, "
            "xoá cột — hãy dùng biểu mới lập bằng «danvan form»", found="", expected=f"cột «{missing}»"))
        return pf

    # ---- merged cells in the data area ---------------------------------------------------
    from openpyxl.utils import column_index_from_string

    data_cols = {column_index_from_string(cols[k]) for k in cols}
    for rng in list(ws.merged_cells.ranges):
        if rng.max_row > header_row and any(rng.min_col <= c <= rng.max_col for c in data_cols):
            pf.findings.append(Place(name, sheet, rng.coord.split(":")[0], rng.min_row).finding(
                "merged_cells", f"các ô {rng.coord} bị gộp (Merge); hãy bỏ gộp ô (Unmerge) để mỗi chỉ tiêu một ô",
                found=rng.coord, expected="ô không gộp"))
    if any(f.rule == "merged_cells" for f in pf.findings):
        return pf

    # ---- figure rows ---------------------------------------------------------------------
    ci = column_index_from_string
    c_code, c_value = ci(cols["code"]) - 1, ci(cols["value"]) - 1
    c_note = ci(cols["note"]) - 1 if "note" in cols else None
    c_qual = ci(cols["qualifier"]) - 1 if "qualifier" in cols else None
    formulas: list = []
    hidden_rows, hidden_cols = _hidden(ws)
    _hidden_columns(ws, pf, header_row, [c for c in (c_value, c_qual, c_note) if c is not None], hidden_cols)
    for row in ws.iter_rows(min_row=header_row + 1, max_row=ws.max_row):
        code_cell = row[c_code] if c_code < len(row) else None
        vcell = row[c_value] if c_value < len(row) else None
        ncell = row[c_note] if c_note is not None and c_note < len(row) else None
        qcell = row[c_qual] if c_qual is not None and c_qual < len(row) else None
        code = _cell_text(code_cell.value) if code_cell is not None else ""
        vraw = vcell.value if vcell is not None else None
        blank_value = vraw is None or (isinstance(vraw, str) and not vraw.strip())
        note = ""
        if ncell is not None and ncell.value is not None:
            if ncell.data_type == "f":
                pf.findings.append(cell_place(ncell).finding(
                    "formula_injection", "ô ghi chú chứa công thức; hãy ghi chú bằng chữ", found=_formula_text(ncell),
                    expected="văn bản thường"))
            else:
                note = _clean_text(ncell.value)
                fs = check_text(note, cell_place(ncell), "ghi chú")
                pf.findings += fs
                if fs:
                    note = ""
        if not code:
            if not blank_value:
                pf.findings.append(cell_place(vcell).finding(
                    "value_without_indicator", "có số liệu ở dòng không có mã chỉ tiêu (dòng tiêu đề mục hoặc dòng "
                    "thêm vào); hãy ghi số liệu đúng dòng của chỉ tiêu", found=_show_raw(vraw),
                    expected="ô trống"))
            continue
        if code not in cat:
            pf.findings.append(cell_place(code_cell).finding(
                "unknown_indicator", **_unknown_code(code, cat, hint=len(pf.findings) < MAX_FINDINGS),
                indicator=code, found=code))
            continue
        ind = cat[code]
        pf.slots.setdefault(code, cell_place(vcell) if vcell is not None else Place(name, sheet))
        if ind.is_derived:
            if not blank_value:
                pf.findings.append(cell_place(vcell).finding(
                    "derived_not_accepted", "chỉ tiêu này do danvan tự tính từ các số liệu khác, không nhập", ind,
                    found=_show_raw(vraw), expected="ô trống"))
            continue
        if vcell is not None and vcell.row in hidden_rows and (not blank_value or note):
            shown = vcell if not blank_value else ncell
            if shown.column - 1 not in hidden_cols:  # (a hidden column has its own finding)
                pf.findings.append(cell_place(shown).finding(
                    "hidden_cells", "ô nằm ở dòng đang bị ẩn; số liệu vẫn được nhập — hãy bỏ ẩn dòng (Unhide) để "
                    "kiểm tra đúng là số liệu muốn báo cáo", ind, found=_show_raw(vraw if not blank_value else note),
                    expected="dòng không bị ẩn"))
        if vcell is None or blank_value:
            continue
        if vcell.data_type == "f":
            formulas.append((vcell, ind))
            pf.invalid.add(code)
            continue
        if vcell.data_type == "e":
            pf.invalid.add(code)
            pf.findings.append(cell_place(vcell).finding(
                "not_a_number", f"ô đang báo lỗi {vraw}; hãy nhập số liệu", ind, found=str(vraw),
                expected="một số"))
            continue
        if unit is None or year is None:
            continue
        qual = _cell_text(qcell.value) if qcell is not None else ""
        value, written, fs = read_value(vraw, ind, cell_place(vcell), number_format=vcell.number_format or "",
                                        qualifier=qual)
        pf.findings += fs
        if value is None:
            pf.invalid.add(code)
        if value is not None:
            pf.rows.append(FigureRow(unit, year, code, value, vraw, note, sheet, vcell.coordinate, vcell.row,
                                     vcell.column_letter, written))
    if formulas:
        cached = _load_workbook(data, ParsedFile(name, "xlsx"), data_only=True)
        for vcell, ind in formulas:
            cval = None
            if cached is not None:
                cval = _find_sheet(cached, SHEET_DATA)[vcell.coordinate].value
            shown = _formula_text(vcell) + (f" (giá trị {cval})" if cval is not None else "")
            pf.findings.append(cell_place(vcell).finding(
                "formula_in_value", "ô số liệu chứa công thức; danvan cần giá trị — hãy sao chép ô rồi dán giá trị "
                "(Paste Values / Dán giá trị)", ind, found=shown, expected="một số, không phải công thức"))

    # ---- free text -----------------------------------------------------------------------
    if wt is not None:
        _read_text_sheet(wt, pf, cat, unit, year)
    return pf


def _unknown_code(code: str, cat: Catalogue, *, hint: bool = True) -> dict:
    """Message and expectation of an indicator code the unit's catalogue does not have: a typo (with
    the closest code, unless ``hint`` is False: a hint costs a fuzzy search, none once the findings
    shown are full), or an indicator its report profile hides."""
    if code in cat.hidden:
        return {"message": f"chỉ tiêu này không có trong đề cương báo cáo của đơn vị ({cat.profile}); bỏ dòng này, "
                           "hoặc dùng tệp đề cương riêng có chỉ tiêu đó (show)", "expected": "một mã trong đề cương"}
    close = closest_code(code, cat.indicators) if hint else None
    return {"message": "mã chỉ tiêu không có trong danh mục" + (f"; có phải là {close}?" if close else ""),
            "expected": close or "một mã trong danh mục"}


def _hidden(ws) -> tuple[set[int], set[int]]:
    """Hidden row numbers and hidden column indexes (0-based) of a sheet."""
    from openpyxl.utils import column_index_from_string

    rows = {r for r, dim in ws.row_dimensions.items() if dim.hidden}
    cols: set[int] = set()
    for key, dim in ws.column_dimensions.items():
        if dim.hidden:
            first = dim.min or column_index_from_string(key)
            cols.update(range(first - 1, (dim.max or first)))
    return rows, cols


def _hidden_columns(ws, pf: ParsedFile, header_row: int, columns: list[int], hidden: set[int]) -> None:
    """One ``hidden_cells`` warning per hidden input column that holds something below the header."""
    for c in columns:
        if c not in hidden:
            continue
        filled = next((row[c] for row in ws.iter_rows(min_row=header_row + 1, max_row=ws.max_row)
                       if c < len(row) and row[c].value not in (None, "")), None)
        if filled is not None:
            letter = filled.column_letter
            pf.findings.append(Place(pf.path, nfc(ws.title), column=letter).finding(
                "hidden_cells", f"cột {letter} đang bị ẩn nhưng có nội dung (số liệu vẫn được nhập); hãy bỏ ẩn cột "
                "(Unhide) để kiểm tra lại", found=f"cột {letter} bị ẩn", expected="cột không bị ẩn"))


def _show_raw(v) -> str:
    text = str(v)
    return text if len(text) <= 60 else text[:57] + "…"


def _read_text_sheet(wt, pf: ParsedFile, cat: Catalogue, unit: str | None, year: int | None) -> None:
    name, sheet = pf.path, nfc(wt.title)
    head, c_sec, c_text = None, None, None
    for row in wt.iter_rows(min_row=1, max_row=min(wt.max_row, 15)):
        folded = [_fold(c.value) for c in row]
        if _fold(H_SECTION) in folded:
            head = row[0].row
            c_sec = folded.index(_fold(H_SECTION))
            for i, f in enumerate(folded):
                if f.startswith(_fold(H_TEXT)) and "tham khảo" not in f:
                    c_text = i
                    break
            break
    if head is None or c_text is None:
        pf.findings.append(Place(name, sheet).finding(
            "header_missing", f"trang «{SHEET_TEXT}» không có dòng tiêu đề «{H_SECTION}» / «{H_TEXT} …»",
            expected=f"cột «{H_TEXT} …»"))
        return
    for rng in wt.merged_cells.ranges:
        if rng.max_row > head and rng.min_col <= c_text + 1 <= rng.max_col:
            pf.findings.append(Place(name, sheet, rng.coord.split(":")[0], rng.min_row).finding(
                "merged_cells", f"các ô {rng.coord} bị gộp (Merge); hãy bỏ gộp ô", found=rng.coord,
                expected="ô không gộp"))
            return
    hidden_rows, hidden_cols = _hidden(wt)
    _hidden_columns(wt, pf, head, [c_text], hidden_cols)
    for row in wt.iter_rows(min_row=head + 1, max_row=wt.max_row):
        if c_text >= len(row):
            continue
        sec_code = _cell_text(row[c_sec].value)
        tcell = row[c_text]
        place = Place(name, sheet, tcell.coordinate, tcell.row, tcell.column_letter)
        if tcell.value is None or (isinstance(tcell.value, str) and not tcell.value.strip()):
            continue
        if tcell.row in hidden_rows and c_text not in hidden_cols:
            pf.findings.append(place.finding(
                "hidden_cells", "ô nội dung nằm ở dòng đang bị ẩn; nội dung vẫn được nhập — hãy bỏ ẩn dòng để kiểm tra",
                found=_show_raw(tcell.value), expected="dòng không bị ẩn"))
        if tcell.data_type == "f":
            pf.findings.append(place.finding(
                "formula_injection", "ô nội dung chứa công thức; danvan chỉ nhận văn bản thường",
                found=_formula_text(tcell), expected="văn bản thường"))
            continue
        if sec_code not in cat.sections:
            pf.findings.append(place.finding(
                "unknown_section", "mục văn bản không có trong danh mục (cột A phải giữ nguyên mã mục)",
                found=sec_code, expected=", ".join(s for s, x in cat.sections.items() if x.free_text)))
            continue
        body = _clean_text(tcell.value)
        fs = check_text(body, place)
        pf.findings += fs
        if fs or unit is None or year is None:
            continue
        pf.texts.append(TextEntry(unit, year, sec_code, body + "\n", sheet, tcell.coordinate, tcell.row))


# ================================================================================================
# reading: CSV and encodings
# ================================================================================================
# TCVN3 (ABC, TCVN 5712:1993 VN3): one byte per Vietnamese letter (lower case + the 7 base capitals)
_TCVN3 = dict(zip(
    b"\xb5\xb8\xb6\xb7\xb9\xa8\xbb\xbe\xbc\xbd\xc6\xa9\xc7\xca\xc8\xc9\xcb\xae\xcc\xd0\xce\xcf\xd1"
    b"\xaa\xd2\xd5\xd3\xd4\xd6\xd7\xdd\xd8\xdc\xde\xdf\xe3\xe1\xe2\xe4\xab\xe5\xe8\xe6\xe7\xe9"
    b"\xac\xea\xed\xeb\xec\xee\xef\xf3\xf1\xf2\xf4\xad\xf5\xf8\xf6\xf7\xf9\xfa\xfd\xfb\xfc\xfe"
    b"\xa1\xa2\xa7\xa3\xa4\xa5\xa6",
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ",
))
# VNI (VNI-Windows): a base letter followed by a mark byte; a few single-byte letters
_VNI_SINGLE = {"ñ": "đ", "Ñ": "Đ", "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư", "æ": "ỉ", "Æ": "Ỉ", "ó": "ĩ",
               "Ó": "Ĩ", "ò": "ị", "Ò": "Ị"}
_ACU, _GRA, _HOOK, _TIL, _DOT, _CIRC, _BREVE = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323", "\u0302", "\u0306"
_VNI_MARK = {
    "ù": _ACU, "ø": _GRA, "û": _HOOK, "õ": _TIL, "ï": _DOT,
    "â": _CIRC, "á": _CIRC + _ACU, "à": _CIRC + _GRA, "å": _CIRC + _HOOK, "ã": _CIRC + _TIL, "ä": _CIRC + _DOT,
    "ê": _BREVE, "é": _BREVE + _ACU, "è": _BREVE + _GRA, "ú": _BREVE + _HOOK, "ü": _BREVE + _TIL, "ë": _BREVE + _DOT,
}
_VNI_MARK.update({k.upper(): v for k, v in list(_VNI_MARK.items())})
_VOWELS = set("aeiouyAEIOUYơưƠƯ")


def _decode_tcvn3(data: bytes) -> str:
    return "".join(_TCVN3.get(b, chr(b)) for b in data)


def _decode_vni(data: bytes) -> str:
    out: list[str] = []
    for ch in data.decode("cp1252", errors="replace"):
        if ch in _VNI_MARK and out and out[-1] in _VOWELS:
            out.append(_VNI_MARK[ch])
        elif ch in _VNI_SINGLE:
            out.append(_VNI_SINGLE[ch])
        else:
            out.append(ch)
    return nfc("".join(out))


def _decode_cp1258(data: bytes) -> str | None:
    try:
        return nfc(data.decode("cp1258"))
    except UnicodeDecodeError:
        return None


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_INITIAL = re.compile(r"^(ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnprstvx])?")
_FINAL = re.compile(r"(ch|ng|nh|[cmnpt])?$")
_NUCLEI = set(
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê ui uô uơ ưa ưi ưu ươ uy "
    "yê iêu oai oay oao oeo uây uôi ươi ươu uya uyê yêu uyu".split()
)
_TOKEN = re.compile(r"[^\s!-/:-@\[-`{-~0-9“”‘’…–—«»]+")


def _syllable_ok(token: str) -> bool:
    d = unicodedata.normalize("NFD", token.lower())
    tones = sum(ch in _TONES for ch in d)
    if tones > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(ch for ch in d if ch not in _TONES))
    if any(not ("a" <= ch <= "z" or ch in "ăâđêôơư") for ch in base):
        return False
    rest = base[_INITIAL.match(base).end():]
    m = _FINAL.search(rest)
    nucleus = rest[: m.start()] if m else rest
    if not nucleus and base.startswith("gi"):
        nucleus = "i"
    return nucleus in _NUCLEI


_COMMON = ("của và các có được trong những cho với người năm này đã không là một số hộ xã phường tổ dân phố "
           "đồng tỷ lệ thực hiện công tác chính quyền ủy ban nhân dân tổng cộng ghi chú đơn vị tính chỉ tiêu")


@functools.lru_cache(maxsize=1)
def _lexicon() -> frozenset:
    """Syllables a ward's file is likely to hold: the catalogue's labels and titles, common words."""
    words = _COMMON.split()
    try:
        cat = load_catalogue()
        for text in [*(i.label for i in cat.indicators.values()), *(s.title for s in cat.sections.values())]:
            words += _TOKEN.findall(text)
    except Exception:  # pragma: no cover - a broken user catalogue must not break decoding
        pass
    return frozenset(nfc(w).lower() for w in words if not w.isascii())


def _viet_score(text: str) -> float:
    """How Vietnamese ``text`` reads: the share of its non-ASCII words that are well-formed syllables,
    plus half the share that are known syllables (breaks ties on short texts: TCVN3 "Số" read as
    Windows-1258 is "Sè", a well-formed but unlikely syllable)."""
    words = [w for w in _TOKEN.findall(text) if not w.isascii()]
    if not words:
        return 1.5
    words = words[:4000]
    lex = _lexicon()
    return (sum(_syllable_ok(w) for w in words) + 0.5 * sum(w.lower() in lex for w in words)) / len(words)


_LEGACY_HELP = (
    "tệp CSV dùng bảng mã cũ {enc} (phông chữ .Vn…/VNI-…), danvan không đọc để tránh sai chữ. Cách chuyển: "
    "mở Unikey > Công cụ chuyển mã (Ctrl+Shift+F6), chọn nguồn «{enc}», đích «Unicode», chuyển nội dung; hoặc "
    "mở tệp bằng Excel và lưu lại dạng «CSV UTF-8 (Comma delimited)»"
)


def decode_csv_bytes(data: bytes) -> tuple[str | None, str, str | None]:
    """``(text, encoding, problem)``: ``text`` in NFC, or None with ``problem`` a rule id.

    UTF-8 (with or without BOM) and UTF-16 with BOM are decoded directly; other bytes are tried as
    Windows-1258, TCVN3 and VNI and the reading that gives well-formed Vietnamese syllables wins:
    Windows-1258 is accepted (decoded, then NFC: cp1258 gives combining tone marks), TCVN3/VNI refused.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return nfc(data[3:].decode("utf-8")), "utf-8-sig", None
        except UnicodeDecodeError:
            return None, "utf-8-sig", "unknown_encoding"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return nfc(data.decode("utf-16")), "utf-16", None
        except UnicodeDecodeError:
            return None, "utf-16", "unknown_encoding"
    head = data[:4096]
    if len(head) >= 4 and head.count(0) >= len(head) // 3:
        enc = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return nfc(data.decode(enc)), enc, None
        except UnicodeDecodeError:
            return None, enc, "unknown_encoding"
    try:
        return nfc(data.decode("utf-8")), "utf-8", None
    except UnicodeDecodeError:
        pass
    sample = data[:200_000]
    cands = {"windows-1258": _decode_cp1258(sample), "TCVN3": _decode_tcvn3(sample), "VNI": _decode_vni(sample)}
    scores = {k: _viet_score(v) if v is not None else -1.0 for k, v in cands.items()}
    best = max(scores, key=lambda k: (scores[k], k == "windows-1258"))
    if best == "windows-1258" and scores[best] >= 0.6:
        return _decode_cp1258(data), "windows-1258", None
    if best != "windows-1258" and scores[best] >= 0.6:
        return None, best, "legacy_encoding"
    return None, best, "unknown_encoding"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


_TABLES: dict[int, tuple] = {}


def _int_bounds(ind: Indicator) -> tuple[int, int]:
    lo, hi = accepted_range(ind)
    return (int(lo) if lo is not None else -(10 ** 18)), (int(hi) if hi is not None else 10 ** 18)


def _tables(cat: Catalogue) -> tuple[set, dict]:
    """Derived codes, and integral codes -> (min, max) as ints (a plain integer within them needs no
    other rule), per catalogue."""
    t = _TABLES.get(id(cat))
    if t is None or t[0] is not cat:
        inds = cat.indicators
        t = _TABLES[id(cat)] = (cat, {c for c, i in inds.items() if i.is_derived},
                                {c: _int_bounds(i) for c, i in inds.items() if i.integral})
    return t[1], t[2]


def _csv_rows_over(text: str, delim: str, cap: int) -> bool:
    """More than ``cap`` data rows (after the header)? Counted without building them."""
    if text.count("\n") <= cap:
        return False
    return sum(1 for _ in zip(range(cap + 2), csv.reader(io.StringIO(text, newline=""), delimiter=delim))) > cap + 1


def read_csv_bytes(data: bytes, pf: ParsedFile, cats, reg: UnitRegistry, *,
                   max_rows: int | None = None) -> ParsedFile:
    """Fill ``pf`` from the bytes of a CSV file (tidy figures or the CSV form); each row is read with
    the catalogue of its unit-year (``cats``: a Catalogue or :class:`Catalogues`); at most ``max_rows``
    data rows (default :func:`max_csv_rows`), else one ``too_many_rows`` finding and nothing read."""
    cats = _catalogues(cats, reg)
    name = pf.path
    text, enc, problem = decode_csv_bytes(data)
    pf.encoding = enc
    if problem == "legacy_encoding":
        pf.findings.append(Place(name).finding("legacy_encoding", _LEGACY_HELP.format(enc=enc), found=enc,
                                               expected="UTF-8"))
        return pf
    if problem:
        pf.findings.append(Place(name).finding(
            "unknown_encoding", "không nhận ra bảng mã chữ của tệp; hãy mở bằng Excel và lưu lại dạng «CSV UTF-8 "
            "(Comma delimited)»", found=f"gần giống {enc}" if enc else "", expected="UTF-8"))
        return pf
    if "\x00" in text:
        pf.findings.append(Place(name).finding("csv_malformed", "tệp chứa ký tự NUL (có thể là tệp nhị phân, "
                                               "không phải CSV)", found="NUL", expected="tệp văn bản CSV"))
        return pf
    first = text.split("\n", 1)[0]
    delim = _sniff_delimiter(first)
    cap = max_rows if max_rows is not None else max_csv_rows()
    try:
        over = _csv_rows_over(text, delim, cap)
    except csv.Error:
        over = False  # the reader below reports the malformed line
    if over:
        pf.findings.append(Place(name).finding(
            "too_many_rows", f"tệp có hơn {fmt_number(cap)} dòng số liệu; danvan không đọc tệp lớn như vậy (có thể "
            "đã dán nhầm dữ liệu). Hãy chia thành nhiều tệp (ví dụ mỗi năm, mỗi huyện một tệp)",
            found=f"hơn {fmt_number(cap)} dòng", expected=f"không quá {fmt_number(cap)} dòng (DANVAN_MAX_CSV_ROWS)"))
        return pf
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        pf.findings.append(Place(name, row=1).finding("csv_malformed", f"dòng tiêu đề sai cấu trúc CSV: {exc}"))
        return pf
    if not header:
        pf.findings.append(Place(name).finding("file_empty", "tệp không có dòng nào"))
        return pf
    cols: dict[str, int] = {}
    for i, h in enumerate(header):
        key = _fold(h)
        key = _CSV_ALIASES.get(key, key)
        cols.setdefault(key, i)
    missing = [c for c in _CSV_REQUIRED if c not in cols]
    if missing:
        pf.findings.append(Place(name, row=1).finding(
            "header_missing", f"thiếu cột {', '.join(missing)}; dòng đầu phải là tiêu đề, ví dụ "
            "«unit_code,year,indicator,value» (lập biểu mẫu CSV bằng «danvan form --format csv»)",
            found=delim.join(header)[:80], expected=",".join(_CSV_REQUIRED)))
        return pf
    i_unit, i_year, i_ind, i_val = (cols[c] for c in _CSV_REQUIRED)
    i_note, i_qual = cols.get("note"), cols.get("qualifier")
    width = len(header)
    uy_cache: dict[tuple, tuple] = {}
    year_cache: dict[str, tuple] = {}
    fast_int = FAST_INT.match
    findings = pf.findings
    rows_out = pf.rows
    try:
        for rec in reader:
            if len(rec) != width:
                line = reader.line_num
                if not any(x.strip() for x in rec):
                    continue
                if len(rec) > width and not any(x.strip() for x in rec[width:]):
                    rec = rec[:width]
                else:
                    findings.append(Place(name, row=line).finding(
                        "ragged_row", f"dòng có {len(rec)} cột, trong khi dòng tiêu đề có {width} cột (thừa/thiếu "
                        f"dấu phân cách «{delim}», hoặc dấu phẩy thập phân không nằm trong ngoặc kép)",
                        found=f"{len(rec)} cột", expected=f"{width} cột"))
                    continue
            line = reader.line_num
            code = rec[i_ind]
            raw = rec[i_val]
            if not code or code[0] == " " or code[-1] == " ":
                code = code.strip()
                if not code:
                    if raw.strip():
                        findings.append(Place(name, row=line, column="indicator").finding(
                            "value_without_indicator", "dòng có số liệu nhưng không có mã chỉ tiêu", found=raw.strip(),
                            expected="mã chỉ tiêu"))
                    continue
            key = (rec[i_unit], rec[i_year])
            uy = uy_cache.get(key)
            if uy is None:
                yraw = key[1].strip()
                yres = year_cache.get(yraw)
                if yres is None:
                    yres = year_cache[yraw] = parse_year(yraw, Place(name, row=line, column="year"))
                    findings.extend(yres[1])
                ures = resolve_unit(key[0].strip(), yres[0], reg, Place(name, row=line, column="unit_code"))
                findings.extend(ures[1])
                cat = cats.get(ures[0], yres[0])
                if ures[0] is not None and yres[0] is not None:
                    pf.catalogues[(ures[0], yres[0])] = cat
                uy = uy_cache[key] = (ures[0], yres[0], cat, *_tables(cat))
            unit, year, cat, derived, plain = uy
            ind = cat.indicators.get(code)
            if ind is None:
                findings.append(Place(name, row=line, column="indicator").finding(
                    "unknown_indicator", **_unknown_code(code, cat, hint=len(findings) < MAX_FINDINGS),
                    indicator=code, found=code))
                continue
            if code in derived:
                if raw.strip():
                    findings.append(Place(name, row=line, column="value").finding(
                        "derived_not_accepted", "chỉ tiêu này do danvan tự tính từ các số liệu khác, không nhập", ind,
                        found=raw.strip(), expected="bỏ dòng này"))
                continue
            note = ""
            if i_note is not None and i_note < len(rec) and rec[i_note].strip():
                note = _clean_text(rec[i_note])
                fs = check_text(note, Place(name, row=line, column="note"), "ghi chú")
                if fs:
                    findings.extend(fs)
                    note = ""
            qual = rec[i_qual].strip() if i_qual is not None and i_qual < len(rec) else ""
            bounds = plain.get(code)
            written = None
            if bounds is not None and not qual and fast_int(raw) and bounds[0] <= int(raw) <= bounds[1]:
                value = Decimal(raw)
            else:
                if not raw or not raw.strip():
                    continue
                value, written, fs = read_value(raw, ind, Place(name, row=line, column="value"), qualifier=qual)
                if fs:
                    findings.extend(fs)
                if value is None:
                    pf.invalid.add(code)
            if value is None or unit is None or year is None:
                continue
            rows_out.append(FigureRow(unit, year, code, value, raw, note, "", "", line, "value", written))
    except csv.Error as exc:
        findings.append(Place(name, row=reader.line_num).finding(
            "csv_malformed", f"tệp CSV sai cấu trúc ({exc}); hãy mở bằng Excel và lưu lại dạng CSV UTF-8",
            found=str(exc)[:60], expected="tệp CSV hợp lệ"))
    return pf
