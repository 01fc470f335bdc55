"""Validation of a ward's figures against the catalogue and the unit registry.

Every problem is a :class:`Finding`: a rule id (English ``snake_case``, stable, what tests and tools
match on), a severity (``error``: the file is not written; ``warning``: written and listed), where it
is (file, sheet, cell such as ``F14`` or CSV row and column), the indicator's code and Vietnamese
label, what was found, what was expected, and a Vietnamese message a ward official can act on.

The readers (:mod:`danvan.intake.forms`) turn cells into :class:`FigureRow` objects with
:func:`read_value` (per-cell rules): a value is read **as written** (:mod:`danvan.core.written`:
"hơn 4,5 tỷ đồng", "10–12%", "456/457 hộ", "2.941,86 ha", "25 tỷ 355 triệu đồng", "không có"),
its canonical number and how it was written kept apart. :func:`check_unit_year` then checks one
unit-year as a whole (duplicates, parts and totals, ratios, required figures) against the values
already in the store plus the file's; a qualified value is a bound there ("hơn 9.500" + "hơn 17
ngàn" does not contradict 27.000), never a false mismatch.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import NamedTuple
from decimal import Decimal, InvalidOperation

from ..core.errors import UnknownUnitError, WrittenParseError
from ..core.vnformat import fmt_number, nfc, to_decimal
from ..core.written import Bounds, bounds, from_storage, parse_written, qualify, read_written, to_storage, to_text
from ..reference.catalogue import DEFAULT_LIMITS, Catalogue, Indicator
from ..reference.units import UnitRegistry, ascii_lookalike

__all__ = [
    "ERROR",
    "WARNING",
    "RULES",
    "RELATION_RULES",
    "Finding",
    "FigureRow",
    "TextEntry",
    "parse_value",
    "read_value",
    "value_bounds",
    "accepted_range",
    "resolve_unit",
    "check_text",
    "check_unit_year",
    "format_findings",
    "closest_code",
    "percent_cap",
    "cap_findings",
    "MAX_FINDINGS",
]

ERROR, WARNING = "error", "warning"

# rule id -> (severity, short Vietnamese title). Rule ids are stable: tools and tests match on them.
RULES: dict[str, tuple[str, str]] = {
    # the file as a whole
    "file_not_found": (ERROR, "Không tìm thấy tệp"),
    "not_a_regular_file": (ERROR, "Không phải tệp thông thường"),
    "file_empty": (ERROR, "Tệp rỗng"),
    "file_too_large": (ERROR, "Tệp quá lớn"),
    "unsupported_file_type": (ERROR, "Loại tệp không được hỗ trợ"),
    "legacy_xls": (ERROR, "Tệp Excel đời cũ (.xls) hoặc có đặt mật khẩu"),
    "corrupt_xlsx": (ERROR, "Tệp Excel bị hỏng"),
    "csv_malformed": (ERROR, "Tệp CSV sai cấu trúc"),
    "legacy_encoding": (ERROR, "Tệp dùng bảng mã cũ (TCVN3/VNI)"),
    "unknown_encoding": (ERROR, "Không nhận ra bảng mã của tệp"),
    "sheet_missing": (ERROR, "Thiếu trang tính"),
    "hidden_sheet": (ERROR, "Trang tính bị ẩn"),
    "extra_sheet_ignored": (WARNING, "Trang tính không được đọc"),
    "header_missing": (ERROR, "Thiếu dòng tiêu đề hoặc cột"),
    "merged_cells": (ERROR, "Ô bị gộp"),
    "formula_in_value": (ERROR, "Ô số liệu chứa công thức"),
    "formula_injection": (ERROR, "Nội dung giống công thức"),
    "ragged_row": (ERROR, "Dòng có số cột sai"),
    "no_data": (ERROR, "Tệp không có số liệu"),
    "too_many_rows": (ERROR, "Tệp có quá nhiều dòng"),
    "too_many_cells": (ERROR, "Trang tính có quá nhiều ô"),
    "findings_truncated": (ERROR, "Còn nhiều lỗi khác chưa liệt kê"),  # a warning when only warnings were cut
    "hidden_cells": (WARNING, "Số liệu nằm ở dòng hoặc cột bị ẩn"),
    "catalogue_version_differs": (WARNING, "Biểu mẫu lập theo danh mục chỉ tiêu khác"),
    # unit and year
    "missing_unit_code": (ERROR, "Thiếu mã đơn vị"),
    "bad_year": (ERROR, "Năm báo cáo không hợp lệ"),
    "year_in_future": (ERROR, "Năm báo cáo ở tương lai"),
    "date_in_future": (ERROR, "Ngày văn bản ở tương lai"),
    "unit_code_not_ascii": (ERROR, "Mã đơn vị có chữ số không phải 0–9"),
    "unknown_unit": (ERROR, "Mã đơn vị không có trong danh mục"),
    "unit_not_in_year": (ERROR, "Đơn vị không tồn tại trong năm báo cáo"),
    "unit_code_leading_zeros": (WARNING, "Mã đơn vị bị mất số 0 ở đầu"),
    "unit_code_alias": (WARNING, "Mã đơn vị theo nguồn khác; đã dùng mã chuẩn"),
    "unit_year_mismatch": (ERROR, "Mã đơn vị/năm khác với thư mục"),
    # one cell
    "value_without_indicator": (ERROR, "Có số liệu nhưng không có mã chỉ tiêu"),
    "unknown_indicator": (ERROR, "Mã chỉ tiêu không có trong danh mục"),
    "derived_not_accepted": (ERROR, "Chỉ tiêu tự tính, không nhập"),
    "unknown_section": (ERROR, "Mục văn bản không có trong danh mục"),
    "not_a_number": (ERROR, "Không phải là số"),
    "not_integer": (ERROR, "Phải là số nguyên"),
    "negative_value": (ERROR, "Số âm"),
    "percent_out_of_range": (ERROR, "Tỷ lệ ngoài khoảng 0–100"),
    "ambiguous_value": (ERROR, "Giá trị viết chưa rõ nghĩa"),
    "value_out_of_range": (ERROR, "Giá trị vượt giới hạn cho phép"),
    "unexpected_percent": (ERROR, "Ghi tỷ lệ % cho chỉ tiêu không phải tỷ lệ"),
    "unit_mismatch": (WARNING, "Đơn vị tính ghi kèm khác danh mục"),
    # one unit-year as a whole
    "duplicate_conflict": (ERROR, "Chỉ tiêu ghi hai lần với giá trị khác nhau"),
    "duplicate_row": (WARNING, "Chỉ tiêu ghi hai lần"),
    "required_missing": (ERROR, "Thiếu chỉ tiêu bắt buộc"),
    "parts_exceed_total": (ERROR, "Các số thành phần vượt số tổng"),
    "parts_sum_mismatch": (ERROR, "Tổng các số thành phần khác số tổng"),
    "numerator_exceeds_denominator": (ERROR, "Tử số lớn hơn mẫu số"),
    "percent_mismatch": (WARNING, "Tỷ lệ ghi không khớp với số liệu"),
    # writing
    "write_failed": (ERROR, "Ghi vào kho không thành công"),
}

# Rules about how figures relate to each other; lenient readers (rendering from files) report them
# as warnings so that a report of inconsistent files still shows what is there.
RELATION_RULES = frozenset(
    {"required_missing", "parts_exceed_total", "parts_sum_mismatch", "numerator_exceeds_denominator",
     "percent_mismatch"}
)

_SEV_WORD = {ERROR: "LỖI", WARNING: "CẢNH BÁO"}


@dataclass(frozen=True)
class Finding:
    """One problem in an input file. ``message`` is Vietnamese; ``rule`` is the stable id."""

    rule: str
    message: str
    severity: str = ""  # defaults to the rule's severity
    file: str = ""
    sheet: str = ""
    cell: str = ""  # "F14" (xlsx) or "" (CSV)
    row: int | None = None  # sheet row or CSV line number
    column: str = ""  # CSV column name, or xlsx column letter
    indicator: str = ""
    label: str = ""  # the indicator's Vietnamese label
    found: str = ""
    expected: str = ""
    unit_code: str = ""
    year: int | None = None

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"unknown rule id {self.rule!r}")
        if not self.severity:
            object.__setattr__(self, "severity", RULES[self.rule][0])
        if self.severity not in (ERROR, WARNING):
            raise ValueError(f"severity must be {ERROR!r} or {WARNING!r}")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def where(self) -> str:
        """``Số liệu!F14`` / ``Số liệu, dòng 14`` / ``dòng 12, cột value`` / ``""`` (whole file)."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        parts = []
        if self.sheet:
            parts.append(self.sheet)
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            parts.append(f"cột {self.column}")
        return ", ".join(parts)

    def line(self, with_file: bool = False) -> str:
        """One line: severity, place, indicator, message, found/expected, rule id."""
        head = _SEV_WORD[self.severity]
        where = self.where
        if with_file and self.file:
            where = f"{self.file}: {where}" if where else self.file
        subject = f"{self.label} ({self.indicator}): " if self.label else (f"{self.indicator}: " if self.indicator else "")
        tail = []
        if self.found != "":
            tail.append(f"có «{self.found}»")
        if self.expected:
            tail.append(f"cần {self.expected}")
        text = f"{head} {where + ' – ' if where else ''}{subject}{self.message}"
        if tail:
            text += " (" + "; ".join(tail) + ")"
        return f"{text} [{self.rule}]"

    def __str__(self) -> str:
        return self.line(with_file=True)


MAX_FINDINGS = 200  # per file: a form has ~90 figures; beyond, one more finding counts the rest


def cap_findings(findings: list[Finding], *, file: str = "", limit: int = MAX_FINDINGS) -> tuple[list[Finding], int, int]:
    """At most ``limit`` findings (errors first, then by row) plus one ``findings_truncated`` that
    counts the rest: ``(findings, errors cut, warnings cut)``. The finding is an error when any cut
    finding was one, so that a file never looks better for having too many problems."""
    if len(findings) <= limit:
        return findings, 0, 0
    ordered = sorted(findings, key=lambda f: (not f.is_error, f.row or 0, f.cell))
    kept, cut = ordered[:limit], ordered[limit:]
    n_err = sum(f.is_error for f in cut)
    n_warn = len(cut) - n_err
    kept.append(Finding(
        "findings_truncated",
        f"chỉ liệt kê {limit} lỗi/cảnh báo đầu tiên của tệp; sửa các lỗi trên (thường cùng một nguyên nhân) "
        "rồi kiểm tra lại để xem phần còn lại",
        severity=ERROR if n_err else WARNING, file=file,
        found=f"{fmt_number(n_err)} lỗi và {fmt_number(n_warn)} cảnh báo khác",
        expected=f"không quá {limit} lỗi/cảnh báo mỗi tệp"))
    return kept, n_err, n_warn


def format_findings(findings: list[Finding], files: list[str] | None = None) -> str:
    """Findings grouped per file (one line each), then a summary line, in Vietnamese."""
    order = list(dict.fromkeys([*(files or []), *(f.file for f in findings)]))
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_file[f.file].append(f)
    lines: list[str] = []
    for name in order:
        items = by_file.get(name, [])
        n_err = sum(f.is_error for f in items)
        state = f"{n_err} lỗi, {len(items) - n_err} cảnh báo" if items else "không có lỗi"
        lines.append(f"{name or '(không rõ tệp)'}: {state}")
        for f in sorted(items, key=lambda f: (f.severity != ERROR, f.row or 0)):
            lines.append("  " + f.line())
    n_err = sum(f.is_error for f in findings)
    lines.append(f"Tổng cộng: {len(order)} tệp, {n_err} lỗi, {len(findings) - n_err} cảnh báo.")
    return "\n".join(lines)


# ---- parsed rows -------------------------------------------------------------------------------
class FigureRow(NamedTuple):
    """One reported figure as read from a file, with where it came from (a tuple: cheap to make).
    ``written`` is how it was written (JSON of :func:`danvan.core.written.to_storage`), None when the
    number says it all."""

    unit_code: str
    year: int
    indicator: str
    value: Decimal
    raw: object = None
    note: str = ""
    sheet: str = ""
    cell: str = ""
    row: int | None = None
    column: str = ""
    written: str | None = None


@dataclass(slots=True)
class TextEntry:
    """One free-text section as read from a file."""

    unit_code: str
    year: int
    section: str
    body: str
    sheet: str = ""
    cell: str = ""
    row: int | None = None


@dataclass
class Place:
    """Where a cell is; passed to the per-cell rules so findings point at it."""

    file: str = ""
    sheet: str = ""
    cell: str = ""
    row: int | None = None
    column: str = ""

    def finding(self, rule: str, message: str, ind: Indicator | None = None, **kw) -> Finding:
        return Finding(
            rule, message, file=self.file, sheet=self.sheet, cell=self.cell, row=self.row, column=self.column,
            indicator=ind.code if ind else kw.pop("indicator", ""), label=ind.label if ind else kw.pop("label", ""),
            **kw,
        )


def closest_code(code: str, known) -> str | None:
    close = difflib.get_close_matches(code.upper(), list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _show(raw) -> str:
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer() and abs(raw) < 1e15:
        raw = int(raw)
    text = str(raw)
    return text if len(text) <= 60 else text[:57] + "…"


def percent_cap(ind: Indicator) -> Decimal | None:
    """Largest share a percent indicator may take: 100, or None for a rate against a target (which
    may exceed 100: its upper bound is the ``target_percent`` limit)."""
    return None if ind.against_target else Decimal(100)


# canonical machine numbers (the common case, read without the parser of written values): no leading
# zero ("04" is a zero-padded count, printed back "04"), never a dot + 3 digits (thousands in Vietnamese)
FAST_INT = re.compile(r"-?(0|[1-9]\d{0,17})\Z")
# a number written with more digits than this is refused before it is parsed (bounds are < 10^18)
_MAX_DIGITS = 20
_TOO_BIG = Decimal(10) ** _MAX_DIGITS
_NUMBER_RUN = re.compile(r"\d[\d.,]*")
_DIGIT_SEP = re.compile(r"[.,]")
_FAST_DEC = re.compile(r"-?(0|[1-9]\d{0,14})\.(\d{1,2}|\d{4,})\Z")
_EXPECT = {
    "count": "một số nguyên không âm, ví dụ 1.109",
    "amount": "một số tiền bằng đồng (số nguyên), ví dụ 7.967.592.178 hoặc 4,5 tỷ",
    "percent": "một tỷ lệ từ 0 đến 100, ví dụ 75,07",
    "measure": "một số đo, ví dụ 2.941,86",
}
# reasons of danvan.core.written -> rule ids (the rest are "ambiguous_value")
_REASON_RULE = {"not_a_number": "not_a_number", "empty": "not_a_number", "missing": "not_a_number",
                "not_integer": "not_integer", "negative_value": "negative_value",
                "unexpected_percent": "unexpected_percent",
                "numerator_exceeds_denominator": "numerator_exceeds_denominator"}


_SPECS: dict[int, tuple] = {}


def accepted_range(ind: Indicator) -> tuple[Decimal | None, Decimal | None]:
    """``(min, max)`` accepted for ``ind``: its own (the loaded catalogue fills them in from
    ``limits:``), else the built-in defaults of its kind; None where there is no bound (derived)."""
    lo, hi = DEFAULT_LIMITS.get(ind.limit_kind or "", (None, None))
    hi = ind.max if ind.max is not None else hi
    if ind.min is not None:
        lo = ind.min
    elif ind.signed and hi is not None:
        lo = -hi
    return lo, hi


def value_spec(ind: Indicator) -> tuple[bool, bool, bool, Decimal | None, Decimal | None, Decimal | None]:
    """``(integral, signed, is_rate, cap, min, max)`` of an indicator, cached (the readers' hot path)."""
    spec = _SPECS.get(id(ind))
    if spec is None or spec[0] is not ind:
        spec = _SPECS[id(ind)] = (ind, (ind.integral, ind.signed, ind.is_rate,
                                        percent_cap(ind) if ind.is_rate else None, *accepted_range(ind)))
    return spec[1]


def _written_args(ind: Indicator) -> dict:
    return {"kind": ind.written_kind, "unit": ind.unit, "decimals": ind.decimals, "signed": ind.signed,
            "unit_aliases": ind.unit_aliases}


def parse_value(raw, ind: Indicator, place: Place, *, number_format: str = "",
                qualifier: str = "") -> tuple[Decimal | None, list[Finding]]:
    """The canonical number of one value cell of ``ind`` and the findings; ``(None, [])`` when blank."""
    value, _written, findings = read_value(raw, ind, place, number_format=number_format, qualifier=qualifier)
    return value, findings


def read_value(raw, ind: Indicator, place: Place, *, number_format: str = "",
               qualifier: str = "") -> tuple[Decimal | None, str | None, list[Finding]]:
    """Read one value cell of indicator ``ind``: ``(value, written, findings)``; ``(None, None, [])``
    when blank (not reported). ``written`` is how the value was written (storage JSON, None for a
    plain figure).

    ``raw`` is what the file holds: a str (CSV, or a text cell) — a number or the whole phrase as an
    official writes it ("hơn 4,5 tỷ", "10-12%", "456/457", "không có") —, an int/float (a number
    cell; with an Excel ``number_format`` containing "%" the stored fraction 0.7507 means 75.07%), or
    a date/bool. ``qualifier`` is the form's "Mức độ" cell beside the value ("hơn", "khoảng" …).
    """
    if raw is None:
        return None, None, []
    expected = _EXPECT.get(ind.written_kind, "một số")
    qualifier = qualifier.strip() if isinstance(qualifier, str) else ("" if qualifier is None else str(qualifier))
    is_pct, foreign = False, None
    try:
        if isinstance(raw, str):
            s = raw.strip()
            if not s:
                return None, None, []
            if any(len(_DIGIT_SEP.sub("", n)) > _MAX_DIGITS for n in _NUMBER_RUN.findall(s)):
                return None, None, [_out_of_range(ind, raw, place)]  # far beyond any bound (and exact arithmetic)
            if s.endswith(("-", "\u2212", "\u2013")) and any(ch.isdigit() for ch in s):  # "5-": a sign misplaced
                return None, None, [place.finding(
                    "not_a_number", "dấu trừ đặt sau số; số âm ghi dấu trừ ở trước (ví dụ -5), số dương không ghi dấu",
                    ind, found=_show(raw), expected=expected)]
            if not qualifier and (FAST_INT.match(s) or _FAST_DEC.match(s)):
                wv = None
                value = Decimal(s)
            else:
                wv, foreign = read_written(s, **_written_args(ind))
        elif isinstance(raw, bool):
            return None, None, [place.finding("not_a_number", "ô chứa giá trị đúng/sai (TRUE/FALSE), không phải số",
                                              ind, found=_show(raw), expected=expected)]
        elif isinstance(raw, (_dt.date, _dt.datetime, _dt.time, _dt.timedelta)):
            return None, None, [place.finding(
                "not_a_number", "ô đang có định dạng ngày tháng (Excel tự đổi số thành ngày); hãy định dạng ô là "
                "Number và nhập lại", ind, found=_show(raw), expected=expected)]
        elif isinstance(raw, (int, float, Decimal)):
            if (isinstance(raw, float) and not math.isfinite(raw)) or (isinstance(raw, Decimal) and not raw.is_finite()):
                return None, None, [place.finding("not_a_number", "giá trị không phải là số hữu hạn", ind,
                                                  found=_show(raw), expected=expected)]
            value = to_decimal(raw)
            if "%" in (number_format or ""):
                value, is_pct = value * 100, True  # Excel stores 75,07% as 0.7507
                if not ind.is_rate:
                    return None, None, [place.finding(
                        "unexpected_percent", f"chỉ tiêu này tính bằng {ind.unit}, không phải tỷ lệ %", ind,
                        found=_show(raw), expected=expected)]
            if abs(value) >= _TOO_BIG:  # 1E+300: out of every range, and of exact arithmetic (qualifier below)
                return None, None, [_out_of_range(ind, raw, place)]
            wv = parse_written(value, **_written_args(ind)) if qualifier else None
        else:
            return None, None, [place.finding("not_a_number", "ô không chứa số", ind, found=_show(raw),
                                              expected=expected)]
        if qualifier:
            wv = qualify(wv, qualifier)
    except WrittenParseError as exc:
        rule = _REASON_RULE.get(exc.code, "ambiguous_value")
        if exc.code == "ambiguous_comma" and ind.integral:
            rule = "not_integer"
        if rule == "negative_value" and ind.is_rate:
            rule = "percent_out_of_range"
        return None, None, [place.finding(rule, exc.message_vi, ind, found=_show(raw if not qualifier else
                                                                                   f"{qualifier} {raw}"),
                                          expected=expected)]
    out: list[Finding] = []
    written = None
    if wv is not None:
        declared = ind.decimals if ind.written_kind in ("percent", "measure") else None
        value, written = wv.value, to_storage(wv, declared)[1]
    if foreign:
        out.append(place.finding(
            "unit_mismatch", f"đơn vị ghi kèm «{foreign}» khác đơn vị tính của chỉ tiêu; đã lấy số {fmt_number(value)}",
            ind, found=_show(raw), expected=f"số tính bằng {ind.unit}"))
    integral, signed, is_rate, cap, lo, hi = value_spec(ind)
    if integral and value != value.to_integral_value() and not (wv is not None and wv.low is not None):
        return None, None, out + [place.finding("not_integer", f"số {ind.unit} phải là số nguyên", ind,
                                                found=_show(raw), expected=expected)]
    if value < 0 and not signed and not is_rate:  # (a negative rate: percent_out_of_range below)
        return None, None, out + [place.finding("negative_value", "số liệu không được âm", ind, found=_show(raw),
                                                expected=expected)]
    top = wv.high if wv is not None and wv.high is not None else value
    if is_rate and (value < 0 or (cap is not None and top > cap)):
        hint = ""
        if top > 100 and isinstance(raw, str) and "." in raw and "," not in raw:
            hint = " (dấu chấm là dấu phân cách hàng nghìn; số thập phân viết bằng dấu phẩy: 98,75)"
        what = "từ 0 đến 100" if cap is not None else "không âm"
        return None, None, out + [place.finding(
            "percent_out_of_range", f"tỷ lệ phải {what}{hint}", ind, found=_show(raw),
            expected=expected if cap is not None else "một tỷ lệ không âm, ví dụ 112")]
    low = wv.low if wv is not None and wv.low is not None else value
    den = wv.denominator if wv is not None else None  # "456/457 hộ": the base is a count of the same unit
    if (lo is not None and low < lo) or (hi is not None and (top > hi or (den is not None and den > hi))):
        return None, None, out + [_out_of_range(ind, raw, place)]
    return value, written, out


def value_bounds(ind: Indicator, value: Decimal, written: str | None) -> Bounds:
    """Where the true value lies: exactly ``value`` for a plain figure, the interval its writing
    allows otherwise ("hơn 9.500" -> (9.500; ∞))."""
    if not written:
        return Bounds(value, value)
    return bounds(from_storage(str(value), written, kind=ind.written_kind, unit=ind.unit))


def written_text(ind: Indicator, value: Decimal, written: str | None) -> str:
    """A value as its unit wrote it, for messages ("hơn 9.500 phần quà"; "1.109" for a plain figure)."""
    if not written:
        return fmt_number(value)
    return to_text(from_storage(str(value), written, kind=ind.written_kind, unit=ind.unit))


def _fmt_bound(value: Decimal | None) -> str:
    return "…" if value is None else fmt_number(value)


def _out_of_range(ind: Indicator, raw, place: Place) -> Finding:
    _i, _s, _r, _cap, lo, hi = value_spec(ind)
    unit_word = "%" if ind.unit == "%" else f" {ind.unit}"
    return place.finding(
        "value_out_of_range", "giá trị nằm ngoài giới hạn cho phép của chỉ tiêu (có thể gõ thừa chữ số); "
        "kiểm tra lại số liệu", ind, found=_show(raw),
        expected=f"một số từ {_fmt_bound(lo)} đến {_fmt_bound(hi)}{unit_word}")


# ---- units -------------------------------------------------------------------------------------
def resolve_unit(raw, year: int | None, registry: UnitRegistry, place: Place) -> tuple[str | None, list[Finding]]:
    """The unit code (always a str) that ``raw`` means, checked against the registry for ``year``.

    Excel turns "00004" into the number 4: a code that lost its leading zeros is restored when a
    zero-padded form exists in the registry, a commune's (5 digits) first, as data forms are a
    commune's (reported as a warning). A code that is only another source's code for a unit
    (aliases.csv) becomes the canonical code, with a warning carrying the note.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, [place.finding("missing_unit_code", "chưa ghi mã đơn vị (5 chữ số, ví dụ 19780)",
                                    expected="mã đơn vị 5 chữ số")]
    out: list[Finding] = []
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    code = nfc(str(raw)).strip()
    if not code.isascii() and any(ch.isdigit() for ch in code):
        # "１９７８０" (full-width) or "١٩٧٨٠" (Arabic-Indic) looks like 19780 but is another code
        guess = ascii_lookalike(code)
        return None, [place.finding(
            "unit_code_not_ascii", "mã đơn vị có chữ số không phải chữ số 0–9 thông thường (bàn phím hoặc bộ gõ "
            "đã đổi thành chữ số khác)" + (f"; có phải là {guess}?" if guess else ""),
            found=code, expected="mã đơn vị 5 chữ số 0–9, ví dụ 19780")]
    if code.endswith(".0") and code[:-2].isdigit():
        code = code[:-2]
    if code.isdigit() and code not in registry and len(code) < 5:
        padded = next((code.zfill(n) for n in (5, 3, 2) if n > len(code) and code.zfill(n) in registry), None)
        if padded:
            out.append(place.finding(
                "unit_code_leading_zeros",
                f"mã đơn vị {code} bị mất số 0 ở đầu (Excel đã đổi thành số); đã hiểu là {padded}. "
                "Hãy định dạng ô mã đơn vị là Text",
                found=code, expected=padded, unit_code=padded))
            code = padded
    if code not in registry:
        return None, out + [place.finding(
            "unknown_unit", "mã đơn vị không có trong danh mục đơn vị hành chính (hay trong tệp đơn vị tự đặt); "
            "kiểm tra lại mã (5 chữ số; tìm theo tên: danvan units --search TÊN)",
            found=code, expected="một mã đơn vị trong danh mục, ví dụ 19780")]
    if year is not None:
        try:
            unit, note = registry.resolve(code, int(year))
        except UnknownUnitError as exc:
            return None, out + [place.finding("unit_not_in_year", str(exc), found=f"{code} / {year}",
                                              expected=f"một đơn vị tồn tại trong năm {year}")]
        if unit.code != code:
            out.append(place.finding("unit_code_alias", f"{note} Đã ghi số liệu cho mã {unit.code}.",
                                     found=code, expected=unit.code, unit_code=unit.code))
            code = unit.code
        elif note:
            out.append(place.finding("unit_code_alias", note, found=code, expected=code, unit_code=code))
    return code, out


FIRST_YEAR = 1990


def last_year_accepted() -> int:
    """The latest report year intake accepts: next year (a form may be prepared ahead)."""
    return _dt.date.today().year + 1


def parse_year(raw, place: Place) -> tuple[int | None, list[Finding]]:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = nfc(str(raw)).strip() if raw is not None else ""
    if text.isascii() and text.isdigit() and len(text) == 4:
        year, last = int(text), last_year_accepted()
        if FIRST_YEAR <= year <= last:
            return year, []
        if year > last:
            return None, [place.finding(
                "year_in_future", f"năm báo cáo {year} ở tương lai; kiểm tra lại năm (có thể gõ nhầm)",
                found=text, expected=f"một năm từ {FIRST_YEAR} đến {last}")]
    return None, [place.finding("bad_year", "năm báo cáo phải là số có 4 chữ số", found=_show(text),
                                expected="một năm, ví dụ 2024")]


def check_date(value, place: Place, what: str = "ngày văn bản") -> list[Finding]:
    """A document date more than a year ahead of today is a typing error (``date_in_future``)."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if not isinstance(value, _dt.date):
        return []
    limit = _dt.date.today() + _dt.timedelta(days=366)
    if value <= limit:
        return []
    return [place.finding("date_in_future", f"{what} {value.isoformat()} ở quá xa trong tương lai; kiểm tra lại",
                          found=value.isoformat(), expected=f"một ngày không sau {limit.isoformat()}")]


# ---- free text ---------------------------------------------------------------------------------
_INJECTION_START = re.compile(r"^[=@\t\r\uff1d\uff20]|^[+\-\uff0b](?![\s\-\d])")
_DDE = re.compile(r"\w+\|\s*['\"][^'\"\n]*['\"]\s*!")  # cmd|' /C calc'!A0


def check_text(text: str, place: Place, what: str = "nội dung") -> list[Finding]:
    """Refuse text that a spreadsheet would run as a formula (CSV/formula injection, DDE ``=cmd|...``).

    Markdown list items ("- Tiếp tục …", "+ Tổ chức …") and signed numbers are allowed; "=" or "@"
    at the start of the cell, "+"/"-" followed by a letter, and DDE payloads anywhere, are not.
    """
    s = text.lstrip(" ")
    if _INJECTION_START.match(s) or _DDE.search(text):
        return [place.finding(
            "formula_injection",
            f"{what} bắt đầu bằng ký tự của công thức (= + - @) hoặc chứa lệnh DDE; danvan không lưu nội dung có thể "
            "chạy như công thức. Hãy sửa câu chữ (ví dụ bỏ dấu = ở đầu)",
            found=_show(text.strip()), expected="văn bản thường")]
    return []


# ---- one unit-year as a whole ------------------------------------------------------------------
def _fmt(v: Decimal | None) -> str:
    return "" if v is None else fmt_number(v)


_RELATIONS: dict[int, tuple] = {}


def _relations(cat: Catalogue) -> tuple[list[Indicator], list[Indicator]]:
    """Indicators with parts or a numerator/denominator, and required data indicators (cached)."""
    t = _RELATIONS.get(id(cat))
    if t is None or t[0] is not cat:
        inds = list(cat.indicators.values())
        t = _RELATIONS[id(cat)] = (
            cat,
            [i for i in inds if i.parts or (i.numerator and i.denominator)],
            [i for i in inds if i.required and not i.is_derived],
        )
    return t[1], t[2]


def check_unit_year(
    rows: list[FigureRow],
    cat: Catalogue,
    *,
    file: str = "",
    current: dict[str, Decimal] | None = None,
    slots: dict[str, Place] | None = None,
    require: bool = True,
    invalid=frozenset(),
    current_written: dict[str, str] | None = None,
) -> tuple[dict[str, FigureRow], list[Finding]]:
    """Check the figures one file gives for ONE unit-year, together with ``current`` (the values the
    store already holds for it: a file may bring only some figures).

    Returns the figures to write (one row per indicator) and the findings. ``slots`` tells where the
    value cell of each indicator is (xlsx forms), so that a missing required figure points at a cell.
    ``invalid`` names indicators whose value was given but refused: they are neither "missing" nor
    checked against others (their own finding says what is wrong). ``current_written`` says how the
    stored values were written: a qualified value, a range or a rounded figure is compared as the
    interval it allows, so "hơn 9.500" + "hơn 17 ngàn" never contradicts a total of 27.000.
    """
    findings: list[Finding] = []
    chosen: dict[str, FigureRow] = {}
    for r in rows:
        prev = chosen.get(r.indicator)
        if prev is None:
            chosen[r.indicator] = r
            continue
        ind = cat[r.indicator]
        first = prev.cell and f"{prev.sheet}!{prev.cell}" or f"dòng {prev.row}"
        rule = "duplicate_row" if (prev.value, prev.written) == (r.value, r.written) else "duplicate_conflict"
        msg = (f"chỉ tiêu đã ghi ở {first}" + ("; giữ một lần" if rule == "duplicate_row" else
                                                 " với giá trị khác; hãy giữ lại một dòng đúng"))
        findings.append(Finding(rule, msg, file=file, sheet=r.sheet, cell=r.cell, row=r.row, column=r.column,
                                indicator=ind.code, label=ind.label, found=_fmt(r.value),
                                expected=f"một giá trị duy nhất (đã có {_fmt(prev.value)})",
                                unit_code=r.unit_code, year=r.year))
    merged: dict[str, Decimal] = dict(current or {})
    merged.update({k: r.value for k, r in chosen.items()})
    written = {k: w for k, w in (current_written or {}).items() if k in merged}
    for k, r in chosen.items():
        written.pop(k, None)
        if r.written:
            written[k] = r.written

    def exact(*codes) -> bool:
        return not any(c in written for c in codes)

    def bnd(code: str) -> Bounds:
        return value_bounds(cat[code], merged[code], written.get(code))

    def shown(code: str) -> str:
        return written_text(cat[code], merged[code], written.get(code))

    def at(code: str) -> Place:
        r = chosen.get(code)
        if r is not None:
            return Place(file, r.sheet, r.cell, r.row, r.column)
        if slots and code in slots:
            return replace(slots[code], file=file)
        return Place(file)

    def finding(rule: str, code: str, message: str, **kw) -> Finding:
        ind = cat[code]
        return at(code).finding(rule, message, ind, **kw)

    related, required = _relations(cat)
    for ind in related:
        code = ind.code
        if ind.parts:
            total = merged.get(code)
            involved = [code, *ind.parts]
            if total is None or not any(c in chosen for c in involved) or any(c in invalid for c in involved):
                pass
            else:
                present = [p for p in ind.parts if p in merged]
                s = sum((merged[p] for p in present), Decimal(0))
                complete = len(present) == len(ind.parts)
                if exact(code, *present):
                    differs, exceeds = s != total, s > total
                else:  # a bound is not a mismatch: compare the intervals the writings allow
                    sb = sum((bnd(p) for p in present[1:]), bnd(present[0])) if present else Bounds(s, s)
                    differs, exceeds = not sb.overlaps(bnd(code)), sb.lo > bnd(code).hi
                labels = ", ".join(f"{cat[p].label} = {shown(p)}" for p in present) if differs or exceeds else ""
                if complete and differs:
                    findings.append(finding(
                        "parts_sum_mismatch", code,
                        f"tổng các số thành phần ({labels}) là {_fmt(s)}, khác số tổng",
                        found=shown(code), expected=f"bằng tổng các thành phần: {_fmt(s)}"))
                elif present and exceeds:
                    findings.append(finding(
                        "parts_exceed_total", code,
                        f"các số thành phần ({labels}) cộng lại là {_fmt(s)}, lớn hơn số tổng",
                        found=shown(code), expected=f"không nhỏ hơn {_fmt(s)}"))
        if ind.numerator and ind.denominator:
            num, den = merged.get(ind.numerator), merged.get(ind.denominator)
            involved = [ind.numerator, ind.denominator, code]
            if num is None or den is None or not any(c in chosen for c in involved) or any(
                c in invalid for c in involved
            ):
                continue
            n_ind, d_ind = cat[ind.numerator], cat[ind.denominator]
            # counts of the same population: the part cannot exceed the whole (a revenue may exceed its plan)
            bigger = num > den if exact(ind.numerator, ind.denominator) else \
                bnd(ind.numerator).lo > bnd(ind.denominator).hi
            if n_ind.kind == "count" and d_ind.kind == "count" and bigger:
                findings.append(finding(
                    "numerator_exceeds_denominator", ind.numerator,
                    f"«{n_ind.label}» không thể lớn hơn «{d_ind.label}» ({_fmt(den)}), dùng để tính «{ind.label}»",
                    found=_fmt(num), expected=f"không quá {_fmt(den)}"))
            stated = merged.get(code)
            if ind.kind == "percent" and stated is not None and den != 0:
                computed = num * 100 / den
                places = ind.decimals if ind.decimals is not None else 2
                tol = Decimal(5).scaleb(-(places + 1)) + Decimal("1e-9")
                if exact(code, ind.numerator, ind.denominator):
                    mismatch = abs(stated - computed) > tol
                else:
                    mismatch = not bnd(ind.numerator).rate_over(bnd(ind.denominator)).overlaps(
                        bnd(code).widen(tol))
                if mismatch:
                    findings.append(finding(
                        "percent_mismatch", code,
                        f"tỷ lệ ghi khác tỷ lệ tính từ «{n_ind.label}» / «{d_ind.label}» "
                        f"= {_fmt(num)} / {_fmt(den)}",
                        found=_fmt(stated) + "%", expected=f"khoảng {fmt_number(computed, places)}%"))
    if require:
        for ind in required:
            if ind.code not in merged and ind.code not in invalid:
                findings.append(finding(
                    "required_missing", ind.code, "chỉ tiêu bắt buộc chưa có số liệu (nếu bằng không, ghi 0)",
                    found="", expected="một số liệu"))
    if rows:
        unit, year = rows[0].unit_code, rows[0].year
        findings = [f if f.unit_code else replace(f, unit_code=unit, year=year) for f in findings]
    return chosen, findings


def demote(findings: list[Finding], rules=RELATION_RULES) -> list[Finding]:
    """The same findings with those of ``rules`` made warnings (lenient reading)."""
    return [replace(f, severity=WARNING) if f.rule in rules else f for f in findings]

