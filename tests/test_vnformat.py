"""danvan.core.vnformat: numbers, percents, amounts and dates as Vietnamese official reports write them.

Fixed examples come from ../shared/design/vietnamese.md; the round trips are property tests.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from danvan.core.errors import NumberParseError
from danvan.core.vnformat import MISSING, fmt_amount, fmt_date, fmt_fraction, fmt_number, fmt_padded, fmt_percent, fmt_place_date, nfc, parse_number, round_half_up, to_decimal


# ---- fixed examples (vietnamese.md) ----------------------------------------------------------
@pytest.mark.parametrize(
    "value,text",
    [
        (7967592178, "7.967.592.178"),
        (Decimal("7967592178"), "7.967.592.178"),
        ("5269000000", "5.269.000.000"),
        (1109, "1.109"),
        (3300, "3.300"),
        (999, "999"),
        (0, "0"),
        (Decimal("95.2"), "95,2"),
        (Decimal("98.75"), "98,75"),
        (-1234, "-1.234"),
    ],
)
def test_fmt_number_groups_with_dots_and_decimal_comma(value, text):
    assert fmt_number(value) == text


def test_fmt_number_never_prints_negative_zero():
    assert fmt_number(Decimal("-0.001"), 2) == "0,00"
    assert fmt_number(-0.0) == "0"


@pytest.mark.parametrize(
    "value,decimals,text",
    [
        (Decimal("75.0659"), 2, "75,07%"),  # 7.400 / 9.858
        (Decimal("46.5814"), 2, "46,58%"),  # 4.592 / 9.858
        (Decimal("151.2164"), 0, "151%"),
        (Decimal("95.2"), None, "95,2%"),
        (100, 0, "100%"),
        # half-up, not Babel's half-even
        (Decimal("0.585"), 2, "0,59%"),
        (0.585, 2, "0,59%"),  # a float goes through its shortest repr, not its binary value
        (Decimal("2.5"), 0, "3%"),
        (Decimal("0.125"), 2, "0,13%"),
    ],
)
def test_fmt_percent(value, decimals, text):
    assert fmt_percent(value, decimals) == text


def test_round_half_up_differs_from_babel_half_even():
    from babel.numbers import format_decimal

    assert format_decimal(Decimal("0.585"), format="#,##0.00", locale="vi") == "0,58"  # the trap
    assert round_half_up(Decimal("0.585"), 2) == Decimal("0.59")
    assert round_half_up(Decimal("-0.585"), 2) == Decimal("-0.59")
    assert round_half_up(Decimal("2.5")) == 3


def test_amount_fraction_padded():
    assert fmt_amount(7967592178) == "7.967.592.178 đồng"
    assert fmt_amount(Decimal("139100000")) == "139.100.000 đồng"
    assert fmt_fraction(9, 9) == "9/9"
    assert fmt_fraction(7400, 9858) == "7.400/9.858"
    assert [fmt_padded(n) for n in (0, 4, 9, 10, 1109)] == ["00", "04", "09", "10", "1.109"]
    assert fmt_padded(Decimal("4.5")) == "4,5"


@pytest.mark.parametrize(
    "date,text",
    [
        (dt.date(2024, 2, 5), "ngày 05 tháng 02 năm 2024"),
        (dt.date(2023, 3, 1), "ngày 01 tháng 3 năm 2023"),
        (dt.date(2023, 12, 19), "ngày 19 tháng 12 năm 2023"),
        (dt.date(2023, 1, 10), "ngày 10 tháng 01 năm 2023"),
        ("2023-12-19", "ngày 19 tháng 12 năm 2023"),
        (dt.datetime(2024, 2, 5, 23, 59), "ngày 05 tháng 02 năm 2024"),
    ],
)
def test_fmt_date_nd30(date, text):
    assert fmt_date(date) == text


def test_place_first_and_nfc():
    nfd_place = unicodedata.normalize("NFD", "Phường Đúc")
    out = fmt_place_date(nfd_place, dt.date(2023, 12, 19))
    assert out == "Phường Đúc, ngày 19 tháng 12 năm 2023"
    assert unicodedata.is_normalized("NFC", out)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_fmt_date_property(d):
    words = fmt_date(d).split()
    assert words[0] == "ngày" and words[2] == "tháng" and words[4] == "năm"
    day, month, year = words[1], words[3], words[5]
    assert int(day) == d.day and len(day) == 2
    assert int(month) == d.month and len(month) == (2 if d.month < 3 else len(str(d.month)))
    assert int(year) == d.year


# ---- parsing -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,value,pct",
    [
        ("7.967.592.178", Decimal("7967592178"), False),
        ("7.967.592.178 đồng", Decimal("7967592178"), False),
        ("139.100.000đ", Decimal("139100000"), False),
        ("75,07%", Decimal("75.07"), True),
        ("95,2", Decimal("95.2"), False),
        ("1.109", Decimal("1109"), False),  # dot + three digits is a thousands separator
        ("1109 suất", Decimal("1109"), False),
        ("3.300 người", Decimal("3300"), False),
        ("1.234,5", Decimal("1234.5"), False),
        ("95.2", Decimal("95.2"), False),  # plain machine decimal, unambiguous
        ("không", Decimal(0), False),
        ("-1.234", Decimal("-1234"), False),
        ("\u00a075,07 %", Decimal("75.07"), True),
    ],
)
def test_parse_number_examples(text, value, pct):
    assert parse_number(text) == (value, pct)


@pytest.mark.parametrize("text", ["", "   ", "abc", "1..2", ".5", "7,967,592,178", "12%34"])
def test_parse_number_rejects(text):
    with pytest.raises(NumberParseError):
        parse_number(text)


def test_parse_number_nfd_input():
    value, pct = parse_number(unicodedata.normalize("NFD", "7.400 trường hợp"))
    assert value == 7400 and not pct


def test_to_decimal_refuses_bool():
    with pytest.raises(TypeError):
        to_decimal(True)


# ---- property tests: parsing a formatted number gives it back --------------------------------
@settings(max_examples=400)
@given(st.integers(min_value=-(10**15), max_value=10**15))
@example(10**15)
@example(1109)
@example(-1000)
def test_integer_round_trip(n):
    text = fmt_number(n)
    assert parse_number(text) == (Decimal(n), False)
    digits = text.lstrip("-").split(".")
    assert all(len(g) == 3 for g in digits[1:]) and 1 <= len(digits[0]) <= 3  # grouped by 3
    assert "," not in text


@settings(max_examples=400)
@given(
    st.integers(min_value=-(10**13), max_value=10**13),
    st.integers(min_value=1, max_value=2),
)
@example(585, 3)  # 0,585: three places round-trip too
def test_decimal_round_trip(units, places):
    value = Decimal(units).scaleb(-places)
    text = fmt_number(value)
    parsed, pct = parse_number(text)
    assert parsed == value and not pct
    if value != value.to_integral_value():
        assert "," in text


@settings(max_examples=300)
@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=2),
)
def test_percent_round_trip(units, places):
    value = Decimal(units).scaleb(-places)
    text = fmt_percent(value, places)
    assert text.endswith("%")
    parsed, pct = parse_number(text)
    assert pct and parsed == value


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=4),
       st.integers(min_value=0, max_value=3))
def test_fixed_decimals_are_half_up(value, decimals):
    text = fmt_number(value, decimals)
    parsed, _ = parse_number(text)
    assert parsed == round_half_up(value, decimals)
    if decimals:
        assert len(text.split(",")[1]) == decimals


@given(st.text(alphabet="aăâeêioôơuưyAĂÂEÊIOÔƠUƯYđĐ\u0300\u0301\u0303\u0309\u0323 ", max_size=30))
def test_nfc_is_idempotent_and_normalised(s):
    out = nfc(s)
    assert unicodedata.is_normalized("NFC", out)
    assert nfc(out) == out
    assert unicodedata.normalize("NFD", out) == unicodedata.normalize("NFD", s)


@given(st.integers(min_value=0, max_value=10**12))
def test_formatted_output_is_nfc(n):
    for text in (fmt_number(n), fmt_amount(n), fmt_percent(n, 0)):
        assert unicodedata.is_normalized("NFC", text)


def test_missing_text_is_vietnamese_nfc():
    assert MISSING == "chưa có số liệu" and unicodedata.is_normalized("NFC", MISSING)
