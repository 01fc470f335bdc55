"""Vietnamese formatting and parsing of numbers, percentages, amounts and dates.

Formatting follows how Vietnamese official reports write figures: "." groups thousands, ","
separates decimals (Babel's ``vi`` locale), rates are rounded half-up (official tables do; Babel
alone rounds half-even), and dates use the NĐ 30/2020 form "ngày 05 tháng 02 năm 2024".
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

from .errors import NumberParseError

LOCALE = "vi"
MISSING = "chưa có số liệu"

__all__ = [
    "LOCALE",
    "MISSING",
    "nfc",
    "to_decimal",
    "round_half_up",
    "fmt_number",
    "fmt_percent",
    "fmt_amount",
    "fmt_fraction",
    "fmt_padded",
    "fmt_date",
    "fmt_short_date",
    "fmt_place_date",
    "parse_number",
    "parse_figure",
    "ParsedFigure",
]


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (the only form danvan stores or prints)."""
    return unicodedata.normalize("NFC", text)


def to_decimal(value) -> Decimal:
    """Exact Decimal of an int, Decimal, str or float (floats via their shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(float(value)))
    return Decimal(str(value))


def round_half_up(value, decimals: int = 0) -> Decimal:
    """Round as official tables do: 0,585 -> 0,59 (Babel alone would give 0,58)."""
    quantum = Decimal(1).scaleb(-decimals)
    return to_decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def fmt_number(value, decimals: int | None = None) -> str:
    """``7967592178`` -> ``7.967.592.178``; ``95.2`` -> ``95,2``.

    With ``decimals=None`` an integral value prints without decimals and a non-integral one with
    its own (significant) decimals; otherwise the value is rounded half-up to ``decimals``.
    """
    d = to_decimal(value)
    if decimals is None:
        decimals = 0 if d == d.to_integral_value() else -d.normalize().as_tuple().exponent
    d = round_half_up(d, decimals)
    if d == 0:
        d = abs(d)  # never print "-0"
    return format_decimal(d, format=_pattern(decimals), locale=LOCALE)


def fmt_percent(value, decimals: int | None = None) -> str:
    """A rate already in percent units: ``75.0659`` with 2 decimals -> ``75,07%``."""
    return fmt_number(value, decimals) + "%"


def fmt_amount(value, unit: str = "đồng") -> str:
    """``7967592178`` -> ``7.967.592.178 đồng``."""
    return f"{fmt_number(value, 0)} {unit}"


def fmt_fraction(numerator, denominator) -> str:
    """``9, 9`` -> ``9/9`` (the report's "9/9 tổ đạt tổ văn hoá")."""
    return f"{fmt_number(numerator)}/{fmt_number(denominator)}"


def fmt_padded(value) -> str:
    """Whole numbers 0-9 as two digits ("04 tin"), as reports write small counts."""
    d = to_decimal(value)
    if d == d.to_integral_value() and 0 <= d < 10:
        return f"{int(d):02d}"
    return fmt_number(d)


def _date(value) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value))


def fmt_date(value) -> str:
    """NĐ 30/2020 date: ``ngày 19 tháng 12 năm 2023``; day < 10 and months 1-2 get a leading 0."""
    d = _date(value)
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def fmt_short_date(value) -> str:
    """``01/7/2025`` (days below 10 and months 1-2 with a leading zero, as NĐ 30/2020 writes)."""
    d = _date(value)
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"{d.day:02d}/{month}/{d.year}"


def fmt_place_date(place: str, value) -> str:
    """``Phường Đúc, ngày 19 tháng 12 năm 2023`` (place first, as the decree's header writes it)."""
    return f"{nfc(place)}, {fmt_date(value)}"


_WORD_ZERO = {"không", "0"}
_GROUPED = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")  # 7.967.592.178 / 1.234,5
_PLAIN_COMMA = re.compile(r"^-?\d+(,\d+)?$")  # 95,2 / 1109
_PLAIN_DOT = re.compile(r"^-?\d+\.\d{1,2}$|^-?\d+\.\d{4,}$")  # 95.2 (machine decimal, unambiguous)
_DOT3 = re.compile(r"^-?\d{1,3}\.\d{3}$")  # 1.109: thousands, or a rate's 3 decimals (rate=True)
_SUFFIX = re.compile(r"^(?P<num>[-\d.,\s]+?)\s*(?P<pct>%)?\s*(?P<unit>[^\d%]*)$")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-"})
# Multipliers a ward may write before the unit: "387 triệu đồng", "7,9 tỷ đồng" (exact in Decimal).
_SCALE = {"nghìn": 3, "ngàn": 3, "triệu": 6, "tỷ": 9, "tỉ": 9}


class ParsedFigure(tuple):
    """``(value, is_percent, unit_text)``: what :func:`parse_figure` read (unit_text in NFC, may be "")."""

    __slots__ = ()

    def __new__(cls, value: Decimal, is_percent: bool, unit: str = ""):
        return super().__new__(cls, (value, is_percent, unit))

    value = property(lambda self: self[0])
    is_percent = property(lambda self: self[1])
    unit = property(lambda self: self[2])


def parse_figure(text, *, rate: bool = False) -> ParsedFigure:
    """Parse a figure as a ward writes it; return ``(value, is_percent, unit_text)``.

    Like :func:`parse_number`, and also: a multiplier word before the unit scales the value exactly
    (``387 triệu đồng`` -> 387000000), "−" (U+2212) and "–" are minus signs, and with ``rate=True``
    (the figure is a percentage, never above 100) ``98.755`` is read as a decimal, not 98755.
    """
    if isinstance(text, (int, float, Decimal)) and not isinstance(text, bool):
        return ParsedFigure(to_decimal(text), False, "")
    s = nfc(str(text)).strip().replace("\u00a0", " ").translate(_MINUS)
    if s == "":
        raise NumberParseError("empty")
    if s.lower() in _WORD_ZERO:
        return ParsedFigure(Decimal(0), False, "")
    m = _SUFFIX.match(s)
    if not m:
        raise NumberParseError(s)
    num = m.group("num").replace(" ", "")
    is_pct = bool(m.group("pct"))
    unit = m.group("unit").strip()
    if unit and not any(ch.isalpha() for ch in unit):
        # "5-", "5 +", "7 =": a sign or symbol after the number is no unit; never guess what it meant
        raise NumberParseError(s)
    scale = 0
    first = unit.split(" ", 1)[0].lower() if unit else ""
    if first in _SCALE and not is_pct:
        scale = _SCALE[first]
        unit = unit[len(first):].strip()
    value = None
    if rate and _DOT3.match(num):
        value = Decimal(num)
    elif _GROUPED.match(num):
        value = Decimal(num.replace(".", "").replace(",", "."))
    elif _PLAIN_COMMA.match(num):
        value = Decimal(num.replace(",", "."))
    elif _PLAIN_DOT.match(num):
        value = Decimal(num)
    if value is None:
        raise NumberParseError(s)
    if scale:
        value = value.scaleb(scale)
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    return ParsedFigure(value, is_pct, unit)


def parse_number(text) -> tuple[Decimal, bool]:
    """Parse a figure as a ward writes it; return ``(value, is_percent)``.

    Accepts ``7.967.592.178``, ``7.967.592.178 đồng``, ``75,07%``, ``95,2``, ``1.109 suất``,
    ``không`` (zero), ``387 triệu đồng`` (scaled exactly) and plain machine decimals ``95.2``. A dot
    followed by exactly three digits is a thousands separator (Vietnamese), so ``1.109`` is 1109.
    Raises :class:`NumberParseError`. :func:`parse_figure` also returns the unit written after it.
    """
    value, is_pct, _unit = parse_figure(text)
    return value, is_pct
