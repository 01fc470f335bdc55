"""Validation rules one by one: per-cell parsing, unit codes, free text, one unit-year as a whole,
and how findings read."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from danvan.reference.catalogue import load_catalogue
from danvan.reference.units import load_registry
from danvan.intake.validate import ERROR, RULES, WARNING, FigureRow, Finding, Place, check_text, check_unit_year, format_findings, parse_value, percent_cap, resolve_unit
from danvan.core.vnformat import fmt_number

BAD = Path(__file__).parent / "data" / "bad"


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def value(cat, code, raw, fmt=""):
    return parse_value(raw, cat[code], Place("f.csv", row=2, column="value"), number_format=fmt)


# ---- one cell -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code,raw,expected",
    [
        ("REV_TOTAL", "7.967.592.178", "7967592178"),
        ("REV_TOTAL", "7.967.592.178 đồng", "7967592178"),
        ("REV_TOTAL", "387 triệu đồng", "387000000"),
        ("REV_TOTAL", 7967592178, "7967592178"),
        ("REV_TOTAL", 7967592178.0, "7967592178"),
        ("CNCD_GIFT_PORTIONS", "1.109 suất", "1109"),
        ("CNCD_GIFT_PORTIONS", "1109", "1109"),
        ("CIT_PERIODIC_CITIZENS", "không", "0"),
        ("CIT_PERIODIC_CITIZENS", "Không", "0"),
        ("CIT_PERIODIC_CITIZENS", "0", "0"),
        ("CIT_PERIODIC_CITIZENS", 0, "0"),
        ("CULT_FAMILIES_PCT", "95,2", "95.2"),
        ("CULT_FAMILIES_PCT", "95.2", "95.2"),
        ("HI_VOLUNTARY_PCT", "98,75%", "98.75"),
        ("HI_VOLUNTARY_PCT", "98.755", "98.755"),  # a rate: dot + 3 digits is a decimal point here
        ("HI_VOLUNTARY_PCT", 98.75, "98.75"),
        ("SEC_OFFENCES_CHANGE", "−8", "-8"),  # signed count, Unicode minus
        ("SEC_OFFENCES_CHANGE", "-8", "-8"),
        ("REV_TAX_REGULATED_PCT_PLAN", "112", "112"),  # a rate against a plan may exceed 100
    ],
)
def test_values_a_ward_writes(cat, code, raw, expected):
    v, findings = value(cat, code, raw)
    assert findings == [] and v == Decimal(expected)


def test_excel_percent_formatted_cell(cat):
    v, findings = value(cat, "HI_VOLUNTARY_PCT", 0.9875, "0.00%")
    assert findings == [] and v == Decimal("98.75")
    v, findings = value(cat, "POOR_HOUSEHOLDS", 0.02, "0%")
    assert [f.rule for f in findings] == ["unexpected_percent"] and v is None


@pytest.mark.parametrize("raw", [None, "", "   ", "\u00a0"])
def test_blank_is_not_reported(cat, raw):
    assert value(cat, "REV_TOTAL", raw) == (None, [])


@pytest.mark.parametrize(
    "code,raw,rule",
    [
        ("REV_TOTAL", "bảy tỷ", "not_a_number"),
        ("REV_TOTAL", "-", "not_a_number"),
        ("REV_TOTAL", True, "not_a_number"),
        ("REV_TOTAL", float("nan"), "not_a_number"),
        ("DVK_GROUPS", dt.datetime(2024, 1, 5), "not_a_number"),
        ("POOR_HOUSEHOLDS", "2,5", "not_integer"),
        ("REV_TOTAL", 1000.5, "not_integer"),
        ("POOR_HOUSEHOLDS", "-1", "negative_value"),
        ("REV_TOTAL", -5, "negative_value"),
        ("CULT_FAMILIES_PCT", "120", "percent_out_of_range"),
        ("CULT_FAMILIES_PCT", "-1", "percent_out_of_range"),
        ("REV_TAX_REGULATED_PCT_PLAN", "-3", "percent_out_of_range"),
        ("POOR_HOUSEHOLDS", "2%", "unexpected_percent"),
    ],
)
def test_values_that_are_refused(cat, code, raw, rule):
    v, findings = value(cat, code, raw)
    assert v is None and [f.rule for f in findings] == [rule]
    f = findings[0]
    assert f.severity == ERROR and f.indicator == code and f.label == cat[code].label
    assert f.row == 2 and f.column == "value" and f.expected


def test_a_unit_word_that_differs_is_a_warning(cat):
    v, findings = value(cat, "GIFT_TET_PORTIONS", "492 người")
    assert v == 492 and [(f.rule, f.severity) for f in findings] == [("unit_mismatch", WARNING)]
    assert value(cat, "GIFT_TET_AMOUNT", "139.100.000 VNĐ")[1] == []
    assert value(cat, "GIFT_TET_AMOUNT", "139.100.000đ")[1] == []


def test_thousands_dot_hint_for_a_rate(cat):
    v, findings = value(cat, "CULT_FAMILIES_PCT", "95.200")
    assert v == Decimal("95.2")  # a rate reads "95.200" as 95,2
    v, findings = value(cat, "CULT_FAMILIES_PCT", "9.520")
    assert v == Decimal("9.52")


def test_percent_cap(cat):
    assert percent_cap(cat["CULT_FAMILIES_PCT"]) == 100
    assert percent_cap(cat["REV_TAX_REGULATED_PCT_PLAN"]) is None


@given(st.integers(min_value=0, max_value=10**13))
def test_any_formatted_count_reads_back(n):
    cat = load_catalogue()
    v, findings = parse_value(fmt_number(n), cat["REV_TOTAL"], Place())
    assert findings == [] and v == n


# ---- unit codes ---------------------------------------------------------------------------------
def test_unit_codes():
    reg = load_registry()
    p = Place("f.xlsx", "Số liệu", "B2")
    assert resolve_unit("19780", 2024, reg, p) == ("19780", [])
    assert resolve_unit(19780, 2024, reg, p) == ("19780", [])
    assert resolve_unit(19780.0, 2024, reg, p) == ("19780", [])
    code, fs = resolve_unit(4, 2024, reg, p)
    assert code == "00004" and isinstance(code, str) and [f.rule for f in fs] == ["unit_code_leading_zeros"]
    code, fs = resolve_unit("0", 2024, reg, p)  # no 00000 / 000 / 00 in the registry: refused
    assert code is None and [f.rule for f in fs] == ["unknown_unit"]
    code, fs = resolve_unit(1, 2024, reg, p)  # 00001 Phúc Xá, 001 Ba Đình, 01 Hà Nội: the commune first
    assert code == "00001" and [f.rule for f in fs] == ["unit_code_leading_zeros"]
    code, fs = resolve_unit("19786", 2026, reg, p)  # vietnam-provinces' code of Phường Thuận Hóa
    assert code == "19789" and [f.rule for f in fs] == ["unit_code_alias"] and "QĐ 19/2025" in fs[0].message
    assert not fs[0].is_error
    code, fs = resolve_unit("19780", 2026, reg, p)
    assert code is None and [f.rule for f in fs] == ["unit_not_in_year"] and "19789" in fs[0].message
    code, fs = resolve_unit(" ", 2024, reg, p)
    assert code is None and [f.rule for f in fs] == ["missing_unit_code"]


# ---- free text ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Tiếp tục thể chế hoá cơ chế “Đảng lãnh đạo, Nhà nước quản lý, Nhân dân làm chủ”.",
    "- Tiếp tục đẩy mạnh cải cách hành chính;\n- Nâng cao chất lượng tiếp công dân.",
    "-8 vụ so với cùng kỳ",
    "+ Tổ chức tuyên truyền;\n+ Vận động nhân dân.",
    "Tỷ lệ 95,2% (tăng 1,2%); email: ubnd@hue.gov.vn",
    "--- \nghi chú",
    "|Chỉ tiêu|Kết quả|\n|---|---|\n|Thu ngân sách|Vượt dự toán!|",
])
def test_ordinary_text_is_accepted(text):
    assert check_text(text, Place()) == []


@pytest.mark.parametrize("text", [
    "=cmd|' /C calc'!A0",
    "=1+1",
    "+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "-cmd",
    "\t=1+1",
    "＝HYPERLINK(\"http://x\")",
    "Báo cáo tốt. cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid","Bấm")',
])
def test_formula_like_text_is_refused(text):
    assert [f.rule for f in check_text(text, Place())] == ["formula_injection"]


# ---- one unit-year -----------------------------------------------------------------------------------
def rows(**values) -> list[FigureRow]:
    return [FigureRow("19780", 2024, k, Decimal(v), row=i + 2) for i, (k, v) in enumerate(values.items())]


def test_parts_must_add_up(cat):
    _, fs = check_unit_year(rows(SEC_REPORTS=34, SEC_REPORTS_CRIME=15, SEC_REPORTS_ORDER=19), cat, require=False)
    assert fs == []
    _, fs = check_unit_year(rows(SEC_REPORTS=35, SEC_REPORTS_CRIME=15, SEC_REPORTS_ORDER=19), cat, require=False)
    assert [f.rule for f in fs] == ["parts_sum_mismatch"] and fs[0].indicator == "SEC_REPORTS"
    _, fs = check_unit_year(rows(SEC_REPORTS=10, SEC_REPORTS_CRIME=15), cat, require=False)
    assert [f.rule for f in fs] == ["parts_exceed_total"]
    _, fs = check_unit_year(rows(SEC_REPORTS=40, SEC_REPORTS_CRIME=15), cat, require=False)
    assert fs == []  # one part missing: it may be the other 25


def test_ratios(cat):
    _, fs = check_unit_year(rows(BUILD_PERMITTED=18, BUILD_TOTAL=17), cat, require=False)
    assert [f.rule for f in fs] == ["numerator_exceeds_denominator"] and fs[0].indicator == "BUILD_PERMITTED"
    # revenue above its estimate is normal (151%): no finding for amounts
    _, fs = check_unit_year(rows(REV_TOTAL=7967592178, REV_ESTIMATE=5269000000), cat, require=False)
    assert fs == []


def test_stated_percent_against_its_numerator_and_denominator():
    cat = load_catalogue(str(BAD / "extra-catalogue.yaml"))
    ok = rows(BUILD_PERMITTED=17, BUILD_TOTAL=17, X_BUILD_PERMIT_STATED_PCT=100)
    assert check_unit_year(ok, cat, require=False)[1] == []
    rounded = rows(BUILD_PERMITTED=2, BUILD_TOTAL=3, X_BUILD_PERMIT_STATED_PCT=67)  # 66,67 -> 67 (0 decimals)
    assert check_unit_year(rounded, cat, require=False)[1] == []
    off = rows(BUILD_PERMITTED=2, BUILD_TOTAL=3, X_BUILD_PERMIT_STATED_PCT=70)
    fs = check_unit_year(off, cat, require=False)[1]
    assert [(f.rule, f.severity) for f in fs] == [("percent_mismatch", WARNING)] and "67%" in fs[0].expected


def test_duplicates(cat):
    chosen, fs = check_unit_year(rows(POOR_HOUSEHOLDS=2) + rows(POOR_HOUSEHOLDS=2), cat, require=False)
    assert [f.rule for f in fs] == ["duplicate_row"] and chosen["POOR_HOUSEHOLDS"].value == 2
    _, fs = check_unit_year(rows(POOR_HOUSEHOLDS=2) + rows(POOR_HOUSEHOLDS=3), cat, require=False)
    assert [f.rule for f in fs] == ["duplicate_conflict"] and "dòng 2" in fs[0].message


def test_required_and_stored_values(cat):
    required = {i.code for i in cat.indicators.values() if i.required and not i.is_derived}
    _, fs = check_unit_year(rows(POOR_HOUSEHOLDS=2), cat)
    assert {f.indicator for f in fs if f.rule == "required_missing"} == required - {"POOR_HOUSEHOLDS"}
    stored = {c: Decimal(1) for c in required}
    stored.update(SEC_REPORTS=Decimal(34), SEC_REPORTS_CRIME=Decimal(15), SEC_REPORTS_ORDER=Decimal(19),
                  EID_ACCOUNTS=Decimal(2), EID_ACCOUNTS_L1=Decimal(1), EID_ACCOUNTS_L2=Decimal(1),
                  EID_ELIGIBLE=Decimal(10), CIT_PETITIONS=Decimal(1))
    assert check_unit_year(rows(POOR_HOUSEHOLDS=2), cat, current=stored)[1] == []
    # a file changing one part is checked against the stored total and other part
    fs = check_unit_year(rows(SEC_REPORTS_ORDER=20), cat, current=stored)[1]
    assert [f.rule for f in fs] == ["parts_sum_mismatch"]
    # an inconsistency already in the store is not blamed on a file that does not touch it
    broken = dict(stored, SEC_REPORTS=Decimal(99))
    assert check_unit_year(rows(POOR_HOUSEHOLDS=2), cat, current=broken)[1] == []
    # a refused value is reported once, not also as missing
    assert check_unit_year([], cat, invalid={"REV_TOTAL"}, current={k: v for k, v in stored.items()
                                                                     if k != "REV_TOTAL"})[1] == []


# ---- findings -------------------------------------------------------------------------------------
def test_every_rule_has_a_severity_and_a_vietnamese_title():
    for rule, (severity, title) in RULES.items():
        assert rule.isascii() and rule == rule.lower() and " " not in rule
        assert severity in (ERROR, WARNING)
        assert not title.isascii() and unicodedata.is_normalized("NFC", title)


def test_finding_line_and_grouping():
    f = Finding("percent_out_of_range", "tỷ lệ phải từ 0 đến 100", file="a.xlsx", sheet="Số liệu", cell="F16",
                indicator="CULT_FAMILIES_PCT", label="Tỷ lệ gia đình văn hoá", found="120",
                expected="một tỷ lệ từ 0 đến 100")
    assert f.severity == ERROR and f.where == "Số liệu!F16"
    assert f.line() == ("LỖI Số liệu!F16 – Tỷ lệ gia đình văn hoá (CULT_FAMILIES_PCT): tỷ lệ phải từ 0 đến 100 "
                        "(có «120»; cần một tỷ lệ từ 0 đến 100) [percent_out_of_range]")
    w = Finding("duplicate_row", "ghi hai lần", file="b.csv", row=7, column="value")
    assert w.severity == WARNING and w.where == "dòng 7, cột value" and w.line().startswith("CẢNH BÁO ")
    text = format_findings([f, w], ["a.xlsx", "b.csv", "c.csv"])
    lines = text.splitlines()
    assert lines[0] == "a.xlsx: 1 lỗi, 0 cảnh báo" and lines[1].startswith("  LỖI Số liệu!F16")
    assert lines[2] == "b.csv: 0 lỗi, 1 cảnh báo" and lines[4] == "c.csv: không có lỗi"
    assert lines[-1] == "Tổng cộng: 3 tệp, 1 lỗi, 1 cảnh báo."
    with pytest.raises(ValueError):
        Finding("no_such_rule", "x")


def test_every_rule_is_explained_in_the_guide():
    guide = (Path(__file__).resolve().parents[1] / "docs" / "nhap-lieu.md").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", guide)
    missing = [rule for rule in RULES if f"| `{rule}` |" not in guide]
    assert missing == []
