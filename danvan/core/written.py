"""Figures as Vietnamese officials write them: qualifiers, ranges, ratios, measures, mixed amounts.

A report says "hơn 4,5 tỷ đồng", "10–12%", "456/457 hộ", "2.941,86 ha", "25 tỷ 355 triệu đồng",
"không có", "04 tập thể". Reducing such a figure to one bare number loses what the writer meant
("hơn" is a bound, not a value) and makes QA raise false "parts do not add up" findings. This module
keeps the figure *as written* beside its canonical number:

- :class:`WrittenValue` — a frozen value object: the canonical number (``value``, what sums, charts
  and the store's ``value`` column use) plus how it was written (qualifier, range ends, ratio terms,
  decimals, scale words, zero padding, a zero word, a change word).
- :func:`parse_written` — read a cell or a phrase; refuses ambiguous text with a reason
  (:class:`WrittenParseError`: an English ``code``/message for tools, a Vietnamese message for the
  ward official).
- :func:`to_text` — print it back: ``as_written`` (default; ``parse_written(to_text(v)) == v``),
  ``compact`` (amounts in tỷ/triệu: "4,5 tỷ đồng") or ``full`` (every digit: "4.500.000.000 đồng").
  Babel ``vi`` separators, half-up rounding (Babel alone rounds half-even).
- :func:`bounds` — the interval the true value lies in, for QA (a qualified value is a bound).
- :func:`to_storage` / :func:`from_storage` — the two store columns: ``value`` (canonical decimal
  text, unchanged meaning) and ``written`` (compact JSON, NULL for a plain figure).

Depends only on the standard library and Babel (core stage). All text in and out is NFC. Two
choices keep today's intake behaviour: a rate with one dot and three decimals ("98.755") is a
machine decimal (a share cannot be 98.755 %), and a bare "không" is the number 0 (plain, not a
zero word); "không có", "không còn" are zero words, kept and printed back.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterator

from babel.numbers import format_decimal

from .errors import WrittenParseError

__all__ = [
    "KINDS",
    "QUALIFIERS",
    "Qualifier",
    "SCALES",
    "APPROX_TOLERANCE",
    "WrittenValue",
    "WrittenParseError",
    "Bounds",
    "parse_written",
    "read_written",
    "qualify",
    "qualifier_choices",
    "ZERO_WORDS",
    "to_text",
    "bounds",
    "to_storage",
    "from_storage",
]

LOCALE = "vi"
KINDS = ("count", "amount", "percent", "measure")
INF = Decimal("Infinity")

# "khoảng / gần / ước x": the true value is within this share of x (or within half the written
# resolution, whichever is wider). 10 %: a figure rounded to two significant digits is off by at most
# 5 % (0,5 in 10); estimates ("ước", "dự ước") are made before the period closes, hence a factor 2.
# A profile may set its own (``bounds(..., approx=...)``).
APPROX_TOLERANCE = Decimal("0.10")


# ---- vocabulary ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Qualifier:
    """One word (or circumfix) that qualifies a figure.

    ``code`` is ASCII and stable (stored); ``text`` is the Vietnamese as printed; ``relation`` is what
    it says about the true value t against the written x: ``gt`` t > x, ``ge`` t ≥ x, ``lt`` t < x,
    ``le`` t ≤ x, ``near_below`` x − tol ≤ t ≤ x ("gần"), ``approx`` |t − x| ≤ tol ("khoảng"),
    ``estimate`` like approx, and the figure is provisional ("ước", "dự ước"). ``position``: ``prefix``
    ("hơn x"), ``circumfix`` ("từ x trở lên"), ``suffix`` ("x trở xuống").
    """

    code: str
    text: str
    relation: str
    position: str = "prefix"

    def wrap(self, figure: str) -> str:
        if self.position == "circumfix":
            head, tail = self.text.split(" … ")
            return f"{head} {figure} {tail}"
        if self.position == "suffix":
            return f"{figure} {self.text.removeprefix('… ')}"
        return f"{self.text} {figure}"


_Q = [
    Qualifier("hon", "hơn", "gt"),
    Qualifier("tren", "trên", "gt"),
    Qualifier("gan", "gần", "near_below"),
    Qualifier("khoang", "khoảng", "approx"),
    Qualifier("tren_duoi", "trên dưới", "approx"),
    Qualifier("xap_xi", "xấp xỉ", "approx"),
    Qualifier("uoc", "ước", "estimate"),
    Qualifier("uoc_dat", "ước đạt", "estimate"),
    Qualifier("uoc_tinh", "ước tính", "estimate"),
    Qualifier("du_uoc", "dự ước", "estimate"),
    Qualifier("duoi", "dưới", "lt"),
    Qualifier("chua_den", "chưa đến", "lt"),
    Qualifier("it_nhat", "ít nhất", "ge"),
    Qualifier("toi_thieu", "tối thiểu", "ge"),
    Qualifier("tu_tro_len", "từ … trở lên", "ge", "circumfix"),
    Qualifier("khong_qua", "không quá", "le"),
    Qualifier("khong_vuot_qua", "không vượt quá", "le"),
    Qualifier("toi_da", "tối đa", "le"),
    Qualifier("tro_xuong", "… trở xuống", "le", "suffix"),
]
QUALIFIERS: dict[str, Qualifier] = {q.code: q for q in _Q}
# prefix words, longest first ("trên dưới" before "trên", "ước đạt" before "ước")
_PREFIXES = sorted(((q.text, q) for q in _Q if q.position == "prefix"), key=lambda t: -len(t[0]))
_PREFIX_ALIASES = {"chưa tới": "chua_den", "ước khoảng": "khoang", "dự ước đạt": "du_uoc"}
# symbols typed in forms (printed back as words)
_SYMBOLS = {">": "hon", "≥": "tu_tro_len", ">=": "tu_tro_len", "<": "duoi", "≤": "khong_qua",
            "<=": "khong_qua", "~": "khoang", "≈": "khoang"}

# scale words: exponent of ten; "tỉ" is a spelling of "tỷ", "ngàn" (South) of "nghìn"
SCALES: dict[str, int] = {"nghìn": 3, "ngàn": 3, "triệu": 6, "tỷ": 9, "tỉ": 9}
_COMPACT_SCALES = (("tỷ", 9), ("triệu", 6))

ZERO_WORDS = ("không có", "không còn")
_MISSING_WORDS = ("chưa có số liệu", "không có số liệu", "không có dữ liệu", "chưa có", "không rõ", "n/a",
                  "na", "-", "–", "—", "x", "?")
_NOISE_PREFIX = ("đạt", "chiếm")  # verbs that carry no meaning in a value cell: "đạt 95%"

# unit synonyms: written form -> canonical form (compared after lower-casing)
_UNIT_SYNONYMS = {
    "đ": "đồng", "vnđ": "đồng", "vnd": "đồng", "₫": "đồng", "đồng": "đồng",
    "m2": "m²", "m²": "m²", "mét vuông": "m²", "km2": "km²", "km²": "km²",
    "ha": "ha", "héc-ta": "ha", "hécta": "ha", "héc ta": "ha",
    "m": "m", "mét": "m", "km": "km", "ki-lô-mét": "km",
    "tấn": "tấn", "phần trăm": "%", "%": "%",
    "xuất": "suất",  # the seed's spelling of "suất" (492 xuất)
}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _canon_unit(u: str) -> str:
    k = re.sub(r"\s*,\s*|\s+", " ", _nfc(u).strip().lower())  # "tin, bài" = "tin bài"
    return _UNIT_SYNONYMS.get(k, k)


# ---- errors (WrittenParseError lives in danvan.core.errors) ------------------------------------
def _err(code: str, text: str, en: str, vi: str) -> WrittenParseError:
    return WrittenParseError(code, en, _nfc(vi), text)


# ---- numbers ---------------------------------------------------------------------------------
def _canonical(d: Decimal) -> Decimal:
    """Same number, no exponent, no trailing zeros: ``Decimal('4.5E9')`` -> ``4500000000``."""
    d = d.normalize()
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return Decimal(format(d, "f"))


def _places(d: Decimal) -> int:
    """Decimals needed to write ``d`` exactly."""
    exp = d.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def round_half_up(d: Decimal, decimals: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _fmt(d: Decimal, decimals: int, group: bool = True) -> str:
    """Babel ``vi`` text of ``d`` with exactly ``decimals`` decimals, rounded half-up first."""
    q = round_half_up(d, decimals)
    if q == 0:
        q = abs(q)  # never "-0"
    pattern = ("#,##0" if group else "0") + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(q, format=pattern, locale=LOCALE)


_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")   # 7.967.592.178 / 2.941,86
_COMMA = re.compile(r"\d+(?:,\d+)?")                     # 95,2 / 1109 / 04
_ONE_DOT3 = re.compile(r"\d{1,3}\.\d{3}")                # 1.109: thousands (vi) or a machine decimal
_DOT = re.compile(r"\d+\.\d+")                           # 95.2: a machine decimal
_ENGLISH = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+,\d+\.\d+|\d+\.\d+,\d+\.\d+")


@dataclass(frozen=True)
class _Num:
    value: Decimal
    decimals: int
    padded: bool


def _number(tok: str, *, kind: str, declared: int | None, scaled: bool, text: str) -> _Num:
    """One number token, Vietnamese notation ("." groups, "," decimals)."""
    padded = len(tok) == 2 and tok[0] == "0" and tok[1].isdigit()
    if _GROUPED.fullmatch(tok):
        if kind == "percent" and _ONE_DOT3.fullmatch(tok):
            # a rate: "98.755" cannot be 98.755 %; read as a machine decimal (today's intake reading)
            intpart, _, frac = tok.partition(".")
            return _Num(Decimal(tok), len(frac), False)
        intpart, _, frac = tok.partition(",")
        d = Decimal(intpart.replace(".", "") + ("." + frac if frac else ""))
        return _Num(d, len(frac), False)
    if _COMMA.fullmatch(tok):
        intpart, _, frac = tok.partition(",")
        integral_kind = kind == "count" or (kind == "amount" and not scaled)
        if frac and len(frac) == 3 and (integral_kind or (kind == "measure" and declared is not None
                                                          and declared < 3)):
            raise _err("ambiguous_comma", text,
                       "a comma followed by three digits is ambiguous (decimals or English thousands?)",
                       f"«{tok}» không rõ: trong văn bản tiếng Việt dấu phẩy là dấu thập phân; nếu là số nghìn "
                       f"hãy ghi {intpart}.{frac}")
        return _Num(Decimal(intpart + ("." + frac if frac else "")), len(frac), padded)
    if _DOT.fullmatch(tok):  # a machine decimal: 95.2, 2941.86 (one dot, not three digits after it)
        intpart, _, frac = tok.partition(".")
        if len(frac) == 3:  # one dot + three digits but more than three digits before it: 1234.567
            raise _err("ambiguous_dot", text, "a dot followed by three digits after more than three digits",
                       f"«{tok}» không rõ; số thập phân viết bằng dấu phẩy: {intpart},{frac}")
        return _Num(Decimal(tok), len(frac), False)
    if _ENGLISH.fullmatch(tok):
        raise _err("english_notation", text, "English number notation (comma thousands, dot decimals)",
                   f"«{tok}» viết theo kiểu tiếng Anh; số tiếng Việt dùng dấu chấm phân cách hàng nghìn và "
                   "dấu phẩy thập phân, ví dụ 1.234,5")
    raise _err("not_a_number", text, "not a number", f"«{tok}» không phải là số")


_TOKEN = re.compile(r"\d[\d.,]*|%|/|[^\s\d%/]+")


def _tokens(s: str) -> list[str]:
    return _TOKEN.findall(s)


# ---- the value object ------------------------------------------------------------------------
@dataclass(frozen=True)
class WrittenValue:
    """A figure and how it was written.

    ``value`` is the canonical number: the figure itself (plain, qualified, measure), the numerator
    of a ratio, the midpoint of a range, 0 for a zero word. Everything else is presentation or
    meaning that the number alone cannot carry. ``decimals`` are those written in the mantissa
    ("4,5 tỷ" -> 1, "2.941,86" -> 2, "25 tỷ 355 triệu" -> 0); ``scale`` the scale words written
    ("tỷ",), ("tỷ", "triệu"), ("ngàn",). ``unit`` is the indicator's unit ("%" for rates).
    """

    value: Decimal
    kind: str
    unit: str
    qualifier: str | None = None  # a code of QUALIFIERS
    low: Decimal | None = None  # range ends (both or neither)
    high: Decimal | None = None
    numerator: Decimal | None = None  # ratio terms (both or neither); numerator == value
    denominator: Decimal | None = None
    decimals: int = 0
    scale: tuple[str, ...] = ()
    padded: bool = False  # "04 tập thể"
    zero_word: str | None = None  # "không có", "không còn", "không"
    change_word: bool = False  # written "tăng 3" / "giảm 08" (a signed change)
    unit_written: str | None = None  # an alias of the unit as written ("5 thôn" for unit "tổ")

    def __post_init__(self):
        s = object.__setattr__
        for name in ("value", "low", "high", "numerator", "denominator"):
            x = getattr(self, name)
            if x is not None:
                if not isinstance(x, Decimal):
                    x = Decimal(str(x))
                if not x.is_finite():
                    raise ValueError(f"{name} must be finite, got {x}")
                s(self, name, _canonical(x))
        s(self, "unit", _nfc(self.unit))
        if self.unit_written is not None:
            s(self, "unit_written", _nfc(self.unit_written))
            if self.unit_written == self.unit or not self.unit_written or self.kind == "percent":
                raise ValueError("unit_written is an alias different from the unit (and not for rates)")
        s(self, "scale", tuple(self.scale))
        self._check()

    def _check(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if (self.kind == "percent") != (self.unit == "%"):
            raise ValueError("a percent figure has unit '%', and only a percent figure")
        if self.qualifier is not None and self.qualifier not in QUALIFIERS:
            raise ValueError(f"unknown qualifier {self.qualifier!r}")
        if not isinstance(self.decimals, int) or isinstance(self.decimals, bool) or self.decimals < 0:
            raise ValueError("decimals must be an int >= 0")
        if (self.low is None) != (self.high is None):
            raise ValueError("a range needs both low and high")
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError("a ratio needs both numerator and denominator")
        forms = sum([self.low is not None, self.numerator is not None, self.zero_word is not None])
        if forms > 1:
            raise ValueError("a figure is at most one of range, ratio, zero word")
        if self.qualifier and (self.low is not None or self.numerator is not None or self.zero_word):
            raise ValueError("a qualifier goes with a single figure, not a range, ratio or zero word")
        for w in self.scale:
            if w not in SCALES:
                raise ValueError(f"unknown scale word {w!r}")
        if self.scale and self.kind not in ("count", "amount"):
            raise ValueError("scale words (nghìn, triệu, tỷ) are for counts and amounts")
        exps = [SCALES[w] for w in self.scale]
        if exps != sorted(set(exps), reverse=True):
            raise ValueError("scale words must be strictly decreasing (tỷ, triệu, nghìn)")
        if len(self.scale) > 1 and (self.decimals or self.low is not None or self.numerator is not None):
            raise ValueError("a mixed amount (25 tỷ 355 triệu) has no decimals and is not a range or ratio")
        unit_exp = exps[-1] if exps else 0
        for name in ("low", "high") if self.low is not None else ("value",):
            x = getattr(self, name)
            if _places(x.scaleb(-unit_exp)) > self.decimals:
                raise ValueError(f"{name} {x} has more decimals than written ({self.decimals})")
        if self.low is not None:
            if not self.low < self.high:
                raise ValueError("a range needs low < high")
            if self.value != _canonical((self.low + self.high) / 2):
                raise ValueError("the value of a range is its midpoint")
        if self.numerator is not None:
            if self.numerator != self.value:
                raise ValueError("the value of a ratio is its numerator")
            if self.kind == "percent" or self.numerator != self.numerator.to_integral_value() or \
                    self.denominator != self.denominator.to_integral_value():
                raise ValueError("ratio terms are whole numbers of a count or amount")
            if not 0 <= self.numerator <= self.denominator or self.denominator == 0:
                raise ValueError("a ratio is 0 <= numerator <= denominator, denominator > 0")
        if self.zero_word is not None and (self.zero_word not in ZERO_WORDS or self.value != 0):
            raise ValueError("a zero word stands for 0: one of " + ", ".join(ZERO_WORDS))
        if self.padded and not (self.kind == "count" and not self.scale and abs(self.value) <= 9
                                and self.value == self.value.to_integral_value()):
            raise ValueError("zero padding ('04') is for whole counts 0-9")
        if self.kind in ("count", "amount") and self.value != self.value.to_integral_value() \
                and self.low is None:
            raise ValueError(f"a {self.kind} is a whole number")
        if self.change_word and self.zero_word:
            raise ValueError("a change word and a zero word exclude each other")
        if self.change_word and self.value == 0 and (self.decimals or self.scale or self.padded):
            raise ValueError("a zero change is written 'không thay đổi': no decimals, scale or padding")

    # -- what kind of writing ------------------------------------------------------------------
    @property
    def form(self) -> str:
        """plain | qualified | range | ratio | mixed | scaled | zero-word (the inventory's vocabulary;
        ``measure`` is a kind, see ``kind``)."""
        if self.zero_word is not None:
            return "zero-word"
        if self.numerator is not None:
            return "ratio"
        if self.low is not None:
            return "range"
        if self.qualifier is not None:
            return "qualified"
        if len(self.scale) > 1:
            return "mixed"
        if self.scale:
            return "scaled"
        return "plain"

    @property
    def is_plain(self) -> bool:
        """True when the number and the catalogue say everything (no ``written`` to store)."""
        return to_storage(self)[1] is None

    @property
    def qualifier_obj(self) -> Qualifier | None:
        return QUALIFIERS[self.qualifier] if self.qualifier else None


# ---- parsing ---------------------------------------------------------------------------------
_DASHES = str.maketrans({"\u2013": "–", "\u2014": "–", "\u2012": "–", "\u2010": "-", "\u2011": "-"})
_GROUP_SPACE = re.compile(r"(?<=\d)[\u00a0\u202f](?=\d{3}(?!\d))")  # 7 967 592 (NBSP groups only)


def _normalise(text: str) -> str:
    s = _nfc(str(text)).translate(_DASHES)
    s = _GROUP_SPACE.sub(".", s)
    s = s.replace("\u00a0", " ").replace("\u202f", " ")
    s = re.sub(r"\s+", " ", s).strip().lower()
    s = s.replace("phần trăm", "%")
    s = re.sub(r"(?<=\d)(?=[^\W\d_])", " ", s)  # "139.100.000đ" -> "139.100.000 đ", "03vụ" -> "03 vụ"
    s = re.sub(r"(?<=%)(?=[^\W\d_])", " ", s)
    s = re.sub(r"[\s.;:,]+$", "", s)  # sentence punctuation copied with the figure: "189 hộ."
    if re.match(r"–\s?\d", s):  # an en dash written as a minus sign: "–8"
        s = "-" + s[1:].lstrip()
    return s


@dataclass
class _Quantity:
    value: Decimal
    decimals: int
    scale: tuple[str, ...]
    unit: str  # canonical unit text written ("" = none)
    percent: bool
    padded: bool


def _quantity(s: str, *, kind: str, declared: int | None, text: str) -> _Quantity:
    """``number [scale] [number scale]... [unit | %]``."""
    toks = _tokens(s)
    if not toks or not toks[0][0].isdigit():
        raise _err("not_a_number", text, "no number where a figure was expected",
                   "không đọc được số; chỉ ghi con số (và đơn vị), ví dụ 1.109 hoặc hơn 4,5 tỷ đồng")
    i = 0
    parts: list[tuple[_Num, str | None]] = []
    while i < len(toks) and toks[i][0].isdigit():
        num_tok = toks[i]
        scale = toks[i + 1] if i + 1 < len(toks) and toks[i + 1] in SCALES else None
        parts.append((num_tok, scale))
        i += 2 if scale else 1
        if scale is None:
            break
    rest = toks[i:]
    percent = False
    if rest and rest[0] == "%":
        percent, rest = True, rest[1:]
    if any(t[0].isdigit() or t == "%" for t in rest):
        raise _err("two_values", text, "more than one figure in one value",
                   "ô số liệu có nhiều hơn một con số; mỗi chỉ tiêu ghi một số (ghi phần giải thích vào cột Ghi chú)")
    unit = " ".join(rest)
    scaled = any(sc for _, sc in parts)
    nums = [(_number(t, kind=kind, declared=declared, scaled=scaled, text=text), sc) for t, sc in parts]
    if len(nums) == 1:
        n, sc = nums[0]
        exp = SCALES[sc] if sc else 0
        return _Quantity(n.value.scaleb(exp), n.decimals, (sc,) if sc else (), unit, percent, n.padded)
    # mixed: 25 tỷ 355 triệu (đồng)
    exps = [SCALES[sc] for _, sc in nums if sc]
    if any(sc is None for _, sc in nums[:-1]) or nums[-1][1] is None:
        raise _err("mixed_unscaled", text, "a mixed amount ends with a scale word (25 tỷ 355 triệu)",
                   "số tiền ghi kết hợp phải có chữ tỷ/triệu/nghìn sau mỗi phần, ví dụ 25 tỷ 355 triệu đồng")
    if exps != sorted(set(exps), reverse=True):
        raise _err("mixed_order", text, "scale words of a mixed amount must decrease (tỷ, triệu, nghìn)",
                   "các phần tỷ, triệu, nghìn phải ghi theo thứ tự giảm dần, ví dụ 25 tỷ 355 triệu")
    total = Decimal(0)
    for k, (n, sc) in enumerate(nums):
        if n.decimals:
            raise _err("mixed_decimals", text, "a mixed amount has whole parts only",
                       "số tiền ghi kết hợp (tỷ … triệu …) không có phần thập phân; hãy ghi 25,4 tỷ hoặc 25 tỷ 400 triệu")
        if k and n.value >= Decimal(10) ** (exps[k - 1] - exps[k]):
            raise _err("mixed_overflow", text, "a part of a mixed amount exceeds its place",
                       f"phần «{n.value} {sc}» lớn hơn một đơn vị của phần trước; kiểm tra lại số tiền")
        total += n.value.scaleb(SCALES[sc])
    return _Quantity(total, 0, tuple(sc for _, sc in nums), unit, percent, False)


def _check_unit(q: _Quantity, kind: str, unit: str, text: str, aliases=(), soft: list | None = None) -> str | None:
    """Refuse a unit other than the indicator's; return the alias written (None: the unit itself).
    With ``soft`` (a list), a foreign unit is appended to it instead (the caller warns and keeps the
    number)."""
    if q.percent and kind != "percent":
        raise _err("unexpected_percent", text, "a percentage for an indicator that is not a rate",
                   f"chỉ tiêu này tính bằng {unit}, không phải tỷ lệ %")
    if q.scale and kind not in ("count", "amount"):
        raise _err("unexpected_scale", text, "scale words (nghìn, triệu, tỷ) only go with counts and amounts",
                   f"chỉ tiêu này tính bằng {unit}; không ghi nghìn/triệu/tỷ")
    if not q.unit or _canon_unit(q.unit) == _canon_unit(unit):
        return None
    for a in aliases:
        if _canon_unit(q.unit) == _canon_unit(a):
            return _nfc(a)
    if q.unit and soft is not None:
        soft.append(q.unit)
        return None
    if q.unit:
        raise _err("unit_mismatch", text, f"unit written {q.unit!r} is not the indicator's {unit!r}",
                   f"đơn vị ghi kèm «{q.unit}» khác đơn vị tính của chỉ tiêu ({unit}); ghi số theo {unit}, "
                   "phần giải thích ghi vào cột Ghi chú")


def _check_value(wv_value: Decimal, kind: str, signed: bool, text: str, unit: str) -> None:
    if kind in ("count", "amount") and wv_value != wv_value.to_integral_value():
        raise _err("not_integer", text, f"a {kind} is a whole number",
                   f"số {unit} phải là số nguyên (dấu phẩy là dấu thập phân; hàng nghìn dùng dấu chấm)")
    if wv_value < 0 and not signed:
        raise _err("negative_value", text, "negative value for an indicator that cannot be negative",
                   "số liệu không được âm")


def _strip_qualifier(s: str, text: str) -> tuple[str, str | None]:
    """Remove one qualifier (prefix word, symbol, circumfix or suffix); refuse two."""
    found: str | None = None
    for sym in sorted(_SYMBOLS, key=len, reverse=True):
        if s.startswith(sym):
            found, s = _SYMBOLS[sym], s[len(sym):].strip()
            break
    if found is None:
        for word, code in sorted(_PREFIX_ALIASES.items(), key=lambda t: -len(t[0])):
            if s.startswith(word + " "):
                found, s = code, s[len(word) + 1:]
                break
    if found is None:
        for word, q in _PREFIXES:
            if s.startswith(word + " "):
                found, s = q.code, s[len(word) + 1:]
                break
    if s.startswith("đạt "):  # "ước đạt", "dự ước đạt", "hơn" ... "đạt" adds nothing
        s = s[4:]
    m = re.fullmatch(r"(?:từ )?(.+?) trở lên", s)
    if m:
        if found:
            raise _err("two_qualifiers", text, "two qualifiers", "chỉ ghi một từ chỉ mức độ (hơn, gần, khoảng …)")
        return m.group(1), "tu_tro_len"
    m = re.fullmatch(r"(.+?) trở xuống", s)
    if m:
        if found:
            raise _err("two_qualifiers", text, "two qualifiers", "chỉ ghi một từ chỉ mức độ (hơn, gần, khoảng …)")
        return m.group(1), "tro_xuong"
    if re.fullmatch(r"\d[\d.,]*\+(\s.*)?", s):  # "93+": 93 or more (portal shorthand)
        if found:
            raise _err("two_qualifiers", text, "two qualifiers", "chỉ ghi một từ chỉ mức độ (hơn, gần, khoảng …)")
        return s.replace("+", "", 1).strip(), "tu_tro_len"
    if s.startswith("từ ") and not re.search(r"\d\s*(?:–|-|\bđến\b|\btới\b)\s*\d", s):
        raise _err("open_tu", text, "'từ x' needs 'trở lên' (at least x) or 'đến y' (a range)",
                   "«từ …» chưa rõ: ghi «từ 93 trở lên» (tối thiểu) hoặc «từ 10 đến 12» (khoảng giá trị)")
    if found and any(s.startswith(w + " ") for w, _ in _PREFIXES):
        raise _err("two_qualifiers", text, "two qualifiers", "chỉ ghi một từ chỉ mức độ (hơn, gần, khoảng …)")
    return s, found


_RANGE = re.compile(r"^(?:từ )?(?P<a>\d[^–\-]*?)\s*(?:–|-|\bđến\b|\btới\b)\s*(?P<b>\d.*)$")


def parse_written(text, *, kind: str, unit: str, decimals: int | None = None,
                  signed: bool = False, unit_aliases=()) -> WrittenValue:
    """Read a figure as a ward writes it, for an indicator of ``kind`` (count, amount, percent,
    measure) and ``unit`` (its catalogue unit; "%" for rates).

    ``decimals`` is the indicator's declared number of decimals (measures, rates): it only resolves
    "1,234 ha" (three written decimals beyond a declared two are taken for English thousands and
    refused); the value keeps the decimals as written. ``signed`` allows negatives and the change
    words "tăng 3" / "giảm 08 vụ" / "không thay đổi". ``unit_aliases`` are other names of the unit
    the indicator accepts ("thôn", "ấp" for "tổ"); the alias written is kept and printed back.

    Raises :class:`WrittenParseError` (``code`` names the reason) for empty, missing-data words
    ("chưa có số liệu": leave the cell blank), two figures in one cell, English notation, ambiguous
    separators, a unit other than the indicator's, a ratio of two different things, and so on.
    """
    return _parse(text, kind, unit, decimals, signed, unit_aliases, None)


def read_written(text, *, kind: str, unit: str, decimals: int | None = None, signed: bool = False,
                 unit_aliases=()) -> tuple[WrittenValue, str | None]:
    """Like :func:`parse_written`, but a unit other than the indicator's (and its aliases) is not an
    error: ``(value, the foreign unit as written)`` — intake keeps the number and warns."""
    soft: list = []
    wv = _parse(text, kind, unit, decimals, signed, unit_aliases, soft)
    return wv, (soft[0] if soft else None)


def _sign(s: str, raw: str, change: bool, signed: bool) -> tuple[bool, str]:
    """``(negative, rest)`` of a text that may start with a sign; a sign with a change word, or a minus
    for an indicator that cannot be negative, is refused."""
    if not s.startswith(("-", "+")):
        return False, s
    if change:
        raise _err("sign_and_word", raw, "a sign and a change word", "ghi «tăng 3» hoặc «+3», không ghi cả hai")
    negative = s[0] == "-"
    if negative and not signed:
        raise _err("negative_value", raw, "negative value for an indicator that cannot be negative",
                   "số liệu không được âm")
    return negative, s[1:].lstrip()


def _parse(text, kind: str, unit: str, decimals: int | None, signed: bool, unit_aliases, soft) -> WrittenValue:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} (a derived indicator is computed, not entered)")
    unit = _nfc(unit)
    if kind == "percent":
        unit = "%"
    if isinstance(text, bool):
        raise _err("not_a_number", str(text), "a boolean is not a figure", "ô chứa giá trị đúng/sai, không phải số")
    if isinstance(text, (int, float, Decimal)):
        d = Decimal(repr(text)) if isinstance(text, float) else Decimal(text)
        if not d.is_finite():
            raise _err("not_a_number", str(text), "not a finite number", "giá trị không phải là số hữu hạn")
        _check_value(d, kind, signed, str(text), unit)
        return WrittenValue(d, kind, unit, decimals=_places(d))
    raw = _nfc(str(text))
    s = _normalise(raw)
    if not s:
        raise _err("empty", raw, "empty", "ô trống; để trống nếu chưa có số liệu")
    if s in _MISSING_WORDS:
        raise _err("missing", raw, "a missing-data word is not a value",
                   "chưa có số liệu thì để trống ô; nếu bằng không thì ghi 0 hoặc «không có»")
    s = s.translate({0x2212: "-"})  # U+2212 MINUS SIGN
    units = {_canon_unit(u) for u in (unit, *unit_aliases)}
    if s == "không" or (s.startswith("không ") and _canon_unit(s[6:]) in units):
        return WrittenValue(Decimal(0), kind, unit)  # "không" is the number 0 (as intake always read it)
    # zero words: "không có", "không còn (hộ nghèo)"; the words after them name what there is none of
    # ("không có đơn khiếu nại") and are not kept
    for w in ZERO_WORDS:
        rest = s[len(w) + 1:] if s.startswith(w + " ") else None
        if s == w or (rest is not None and (_canon_unit(rest) in units or not re.search(r"\d", rest))):
            return WrittenValue(Decimal(0), kind, unit, zero_word=w)
    # change words (signed indicators): tăng 3 vụ, giảm 08 vụ, không thay đổi
    change, sign = False, 1
    if s == "không thay đổi":
        if not signed:
            raise _err("unexpected_change", raw, "a change word for an indicator that is a level",
                       "chỉ tiêu này là số liệu trong kỳ, không phải mức tăng/giảm; ghi con số")
        return WrittenValue(Decimal(0), kind, unit, change_word=True)
    m = re.match(r"^(tăng|giảm) (.+)$", s)
    if m:
        if not signed:
            raise _err("unexpected_change", raw, "a change word for an indicator that is a level",
                       "chỉ tiêu này là số liệu trong kỳ, không phải mức tăng/giảm; ghi con số")
        change, sign, s = True, (-1 if m.group(1) == "giảm" else 1), m.group(2)
    for w in _NOISE_PREFIX:
        if s.startswith(w + " "):
            s = s[len(w) + 1:]
    negative, s = _sign(s, raw, change, signed)
    s, qual = _strip_qualifier(s, raw)
    if qual and not negative:  # "chưa đến -1": the sign after the qualifier
        negative, s = _sign(s, raw, change, signed)
    if s.count("/") > 1:
        raise _err("date_like", raw, "more than one '/': a date, not a figure",
                   "giá trị có nhiều dấu «/» (giống ngày tháng); ghi một con số, hoặc tử số/mẫu số như 456/457")
    sgn = Decimal(-1 if negative else 1) * sign

    # ratio: 456/457 hộ, 13/16 chỉ tiêu, 7.400 trường hợp/ 9.858 trường hợp
    if "/" in s:
        left, right = (x.strip() for x in s.split("/"))
        if "%" in left or "%" in right:
            raise _err("two_values", raw, "two rates in one value", "ô có hai tỷ lệ; mỗi chỉ tiêu ghi một tỷ lệ")
        if qual:
            raise _err("qualified_ratio", raw, "a ratio cannot be qualified", "tử số/mẫu số không ghi kèm hơn, gần, khoảng …")
        if kind == "percent":
            raise _err("ratio_for_rate", raw, "a ratio given for a rate",
                       "chỉ tiêu này là tỷ lệ %; ghi tỷ lệ, còn tử số và mẫu số ghi vào các chỉ tiêu số lượng của chúng")
        a = _quantity(left, kind=kind, declared=decimals, text=raw)
        b = _quantity(right, kind=kind, declared=decimals, text=raw)
        if a.unit and b.unit and _canon_unit(a.unit) != _canon_unit(b.unit):
            raise _err("ratio_of_two_things", raw, "numerator and denominator count different things",
                       f"«{a.unit}» và «{b.unit}» là hai chỉ tiêu khác nhau; ghi mỗi số vào chỉ tiêu của nó")
        alias = None
        for q in (a, b):
            alias = _check_unit(replace(q, unit=q.unit or b.unit), kind, unit, raw, unit_aliases, soft) or alias
            if q.scale or q.decimals:
                raise _err("ratio_not_integer", raw, "ratio terms are whole numbers written in full",
                           "tử số và mẫu số là số nguyên, ghi đủ chữ số, ví dụ 456/457")
        if sgn < 0 or change:
            raise _err("negative_value", raw, "a ratio is not negative", "tử số/mẫu số không âm")
        if b.value == 0:
            raise _err("zero_denominator", raw, "denominator 0", "mẫu số bằng 0")
        if a.value > b.value:
            raise _err("numerator_exceeds_denominator", raw, "numerator larger than denominator",
                       f"tử số {a.value} lớn hơn mẫu số {b.value}; «456/457» là 456 trên tổng số 457")
        return WrittenValue(a.value, kind, unit, numerator=a.value, denominator=b.value, unit_written=alias)

    # range: 10-12%, 10–12%, từ 10 đến 12%, 4-5 tỷ đồng
    m = _RANGE.match(s)
    if m:
        if qual:
            raise _err("qualified_range", raw, "a range cannot also be qualified",
                       "khoảng giá trị (10–12%) không ghi kèm hơn, gần, khoảng …")
        a = _quantity(m.group("a"), kind=kind, declared=decimals, text=raw)
        b = _quantity(m.group("b"), kind=kind, declared=decimals, text=raw)
        if a.scale and a.scale != b.scale:
            raise _err("range_scales", raw, "the two ends of a range are written in different scales",
                       "hai đầu khoảng phải cùng đơn vị, ví dụ 4–5 tỷ đồng (không ghi 900 triệu – 1,2 tỷ)")
        if (a.unit and _canon_unit(a.unit) != _canon_unit(b.unit or a.unit)) or (a.percent and not b.percent):
            raise _err("range_units", raw, "the two ends of a range have different units",
                       "hai đầu khoảng phải cùng đơn vị, ví dụ 10–12%")
        if len(b.scale) > 1:
            raise _err("range_scales", raw, "a range of mixed amounts", "khoảng giá trị không ghi kiểu 25 tỷ 355 triệu")
        if sgn < 0 or change:
            raise _err("signed_range", raw, "a signed range", "khoảng giá trị không ghi dấu hoặc tăng/giảm")
        sc = b.scale
        lo = a.value if a.scale else a.value.scaleb(SCALES[sc[0]] if sc else 0)
        hi = b.value
        alias = _check_unit(b, kind, unit, raw, unit_aliases, soft)
        dec = max(a.decimals, b.decimals)
        if not lo < hi:
            raise _err("range_order", raw, "a range needs low < high",
                       "khoảng giá trị ghi số nhỏ trước, số lớn sau, ví dụ 10–12%")
        for x in (lo, hi):
            _check_value(x, kind, signed, raw, unit)
        return WrittenValue(_canonical((lo + hi) / 2), kind, unit, low=lo, high=hi, decimals=dec, scale=sc,
                            unit_written=alias)

    q = _quantity(s, kind=kind, declared=decimals, text=raw)
    alias = _check_unit(q, kind, unit, raw, unit_aliases, soft)
    value = q.value * sgn
    _check_value(value, kind, signed, raw, unit)
    padded = q.padded and kind == "count"
    return WrittenValue(value, kind, unit, qualifier=qual, decimals=q.decimals, scale=q.scale,
                        padded=padded, change_word=change, unit_written=alias)


# ---- printing --------------------------------------------------------------------------------
def _mantissa(wv: WrittenValue, x: Decimal, decimals: int | None = None) -> str:
    exp = SCALES[wv.scale[-1]] if wv.scale else 0
    decimals = wv.decimals if decimals is None else decimals
    # rates of 1000 % and more print without grouping: "1.234%" would be ambiguous (see _number)
    group = not (wv.kind == "percent" and abs(x) >= 1000 and decimals == 0)
    return _fmt(x.scaleb(-exp), decimals, group=group)


def _with_unit(wv: WrittenValue, number: str) -> str:
    if wv.kind == "percent":
        return number + "%"
    unit = wv.unit_written or wv.unit
    return f"{number} {unit}" if unit else number


def _as_written_number(wv: WrittenValue, x: Decimal) -> str:
    sign = "-" if x < 0 else ""
    if len(wv.scale) > 1:  # 25 tỷ 355 triệu: every part written, as parsed
        parts, rest = [], abs(x)
        for w in wv.scale:
            q, rest = divmod(rest, Decimal(10) ** SCALES[w])
            parts.append(f"{_fmt(q, 0)} {w}")
        return sign + " ".join(parts)
    if wv.padded:
        return f"{sign}{int(abs(x)):02d}"
    num = _mantissa(wv, x)
    return f"{num} {wv.scale[0]}" if wv.scale else num


def _compact_scale(x: Decimal) -> tuple[str, int] | None:
    for word, e in _COMPACT_SCALES:
        if abs(x) >= Decimal(10) ** e:
            return word, e
    return None


def _compact_amount(x: Decimal, decimals: int, scale: tuple[str, int] | None = None,
                    word: bool = True) -> str:
    scale = scale or _compact_scale(x)
    if scale is None:
        return _fmt(x, 0)
    m = round_half_up(x.scaleb(-scale[1]), decimals)
    return f"{_fmt(m, _places(m))} {scale[0]}" if word else _fmt(m, _places(m))


def to_text(wv: WrittenValue, style: str = "as_written", *, compact_decimals: int = 2,
            unit: bool = True) -> str:
    """The figure as a report prints it (NFC).

    - ``as_written``: qualifier, scale words, decimals, padding and words as parsed:
      "hơn 4,5 tỷ đồng", "10–12%", "456/457 hộ", "2.941,86 ha", "25 tỷ 355 triệu đồng", "không có".
    - ``compact``: the same, but an amount of a million or more in tỷ/triệu with at most
      ``compact_decimals`` decimals, rounded half-up ("7.967.592.178 đồng" -> "7,97 tỷ đồng").
    - ``full``: every digit, no scale words or zero words ("4.500.000.000 đồng", "0 hộ").

    Qualifiers and ranges are meaning, kept in every style. ``unit=False`` leaves the unit out
    ("%" stays: it is part of the number).
    """
    if style not in ("as_written", "compact", "full"):
        raise ValueError("style is 'as_written', 'compact' or 'full'")

    def num(x: Decimal) -> str:
        if style == "compact" and wv.kind == "amount":
            return _compact_amount(x, compact_decimals)
        if style in ("as_written", "compact"):
            return _as_written_number(wv, x)
        if wv.scale:  # full: every digit of the scaled figure
            return _fmt(x, _places(x))
        return _mantissa(wv, x)

    def with_unit(text: str) -> str:
        if wv.kind == "percent":
            return text + "%"
        return _with_unit(wv, text) if unit else text

    if wv.zero_word is not None:
        if style == "as_written":
            return wv.zero_word
        return with_unit(_fmt(Decimal(0), wv.decimals))
    if wv.numerator is not None:
        return with_unit(f"{_fmt(wv.numerator, 0)}/{_fmt(wv.denominator, 0)}")
    if wv.low is not None:
        if style == "compact" and wv.kind == "amount":  # 4–5 tỷ đồng: one scale, from the high end
            sc = _compact_scale(wv.high)
            lo = _compact_amount(wv.low, compact_decimals, sc, word=False) if sc else _fmt(wv.low, 0)
            return with_unit(f"{lo}–{_compact_amount(wv.high, compact_decimals, sc)}")
        if style == "as_written" and wv.scale:
            lo = _mantissa(wv, wv.low)
            text = f"{lo}–{_as_written_number(wv, wv.high)}"
        else:
            text = f"{num(wv.low)}–{num(wv.high)}"
        return with_unit(text)
    x = wv.value
    if wv.change_word and style != "full":
        if x == 0:
            return "không thay đổi"
        word = "tăng" if x > 0 else "giảm"
        figure = with_unit(num(abs(x)))
        q = wv.qualifier_obj
        return _nfc(f"{word} {q.wrap(figure) if q else figure}")  # "tăng hơn 10%"
    figure = with_unit(num(x))
    q = wv.qualifier_obj
    return _nfc(q.wrap(figure) if q else figure)


# ---- bounds for QA ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Bounds:
    """An interval of possible true values; ``lo, hi = bounds(wv)`` unpacks the ends.
    Infinite ends are ``Decimal('±Infinity')``; ``lo_open``/``hi_open`` say whether an end is excluded."""

    lo: Decimal
    hi: Decimal
    lo_open: bool = False
    hi_open: bool = False

    def __iter__(self) -> Iterator[Decimal]:
        yield self.lo
        yield self.hi

    @property
    def exact(self) -> bool:
        return self.lo == self.hi and not (self.lo_open or self.hi_open)

    def contains(self, x: Decimal) -> bool:
        x = Decimal(x)
        above = x > self.lo or (x == self.lo and not self.lo_open)
        below = x < self.hi or (x == self.hi and not self.hi_open)
        return above and below

    def overlaps(self, other: "Bounds") -> bool:
        if self.hi < other.lo or other.hi < self.lo:
            return False
        if self.hi == other.lo:
            return not (self.hi_open or other.lo_open)
        if other.hi == self.lo:
            return not (other.hi_open or self.lo_open)
        return True

    def __add__(self, other: "Bounds") -> "Bounds":
        return Bounds(self.lo + other.lo, self.hi + other.hi, self.lo_open or other.lo_open,
                      self.hi_open or other.hi_open)

    def rate_over(self, den: "Bounds") -> "Bounds":
        """Bounds of self / den × 100 for non-negative self and positive den."""
        if den.lo <= 0 or self.lo < 0:
            return Bounds(Decimal(0), INF)
        lo = self.lo * 100 / den.hi if den.hi != INF else Decimal(0)
        hi = self.hi * 100 / den.lo if self.hi != INF else INF
        return Bounds(lo, hi, self.lo_open or (den.hi_open and den.hi != INF), self.hi_open or den.lo_open)

    def widen(self, by: Decimal) -> "Bounds":
        return Bounds(self.lo - by, self.hi + by, self.lo_open, self.hi_open)

    def text(self) -> str:
        """"[6,85; 6,95)" style, for messages."""
        def f(x: Decimal) -> str:
            return "∞" if x == INF else "−∞" if x == -INF else _fmt(x, _places(x))
        return f"{'(' if self.lo_open else '['}{f(self.lo)}; {f(self.hi)}{')' if self.hi_open else ']'}"


def resolution(wv: WrittenValue) -> Decimal:
    """Half the unit of the last written digit, when the writing rounds; 0 when it is exact.

    Whole counts and amounts written in full digits, ratio terms and zero words are exact; a rate,
    a measure, or a figure written with scale words ("17 ngàn", "4,5 tỷ") was rounded half-up.
    """
    if wv.zero_word is not None or wv.numerator is not None:
        return Decimal(0)
    exp = SCALES[wv.scale[-1]] if wv.scale else 0
    if wv.kind in ("count", "amount") and not wv.scale and wv.decimals == 0:
        return Decimal(0)
    return Decimal(5).scaleb(exp - wv.decimals - 1)


def bounds(wv: WrittenValue, *, approx: Decimal = APPROX_TOLERANCE, nonnegative: bool | None = None) -> Bounds:
    """Where the true value lies, given how it was written (for QA: a bound is not a mismatch).

    - plain: exact for whole counts/amounts in full digits, else ± half the last written digit
      (6,9% -> [6,85; 6,95); "17 ngàn" -> [16.500; 17.500));
    - hơn / trên x -> (x, ∞); từ x trở lên, tối thiểu, ít nhất -> [x, ∞);
    - dưới, chưa đến x -> [0, x) (−∞ when the figure may be negative); không quá, tối đa, trở xuống -> [0, x];
    - khoảng, trên dưới, xấp xỉ, ước, ước đạt, dự ước x -> x ± max(approx·|x|, resolution);
    - gần x -> [x − max(approx·x, resolution), x] ("gần 5 tỷ" -> [4,5 tỷ; 5 tỷ]);
    - range -> [low − r, high + r); ratio -> the numerator, exact; zero word -> [0, 0].
    """
    if nonnegative is None:
        nonnegative = not (wv.change_word or wv.value < 0)
    floor = Decimal(0) if nonnegative else -INF
    r = resolution(wv)
    if wv.low is not None:
        return Bounds(wv.low - r, wv.high + r, False, bool(r))
    x = wv.value
    plain = Bounds(x - r, x + r, False, bool(r))
    q = wv.qualifier_obj
    if q is None:
        return plain
    # after a qualifier the number is a reference point, not a rounded measurement: "gần 5 tỷ" is at
    # most 5 tỷ; only the approximate words get a width (at least the written resolution)
    tol = max(approx * abs(x), r)
    if q.relation == "gt":
        return Bounds(x, INF, True, True)
    if q.relation == "ge":
        return Bounds(x, INF, False, True)
    if q.relation == "lt":
        return Bounds(floor, x, False, True)
    if q.relation == "le":
        return Bounds(floor, x)
    if q.relation == "near_below":
        return Bounds(max(floor, x - tol), x)
    # approx, estimate
    return Bounds(max(floor, x - tol), x + tol)


# ---- storage ---------------------------------------------------------------------------------
def _dtext(d: Decimal) -> str:
    d = _canonical(d)
    return format(d, "f")


def to_storage(wv: WrittenValue, declared: int | None = None) -> tuple[str, str | None]:
    """``(value, written)``: the store's two columns.

    ``value`` is the canonical decimal text the store keeps today (``4500000000``, ``95.2``);
    ``written`` is compact, deterministic JSON of what the number does not say, or ``None`` for a
    plain figure (whole numbers in full digits, or decimals written as the number has them), so every
    existing row stays as it is. Keys (omitted when default): ``q`` qualifier code, ``lo``/``hi``
    range ends, ``den`` ratio denominator (the numerator is ``value``), ``dp`` decimals written when
    they differ from the value's own, ``sc`` scale words, ``pad``, ``zw`` zero word, ``cw`` change word,
    ``u`` the unit alias written ("thôn" for an indicator counted in "tổ").
    E.g. "hơn 4,5 tỷ đồng" -> ``("4500000000", '{"dp":1,"q":"hon","sc":["tỷ"]}')``. ``declared``: the
    decimals the catalogue prints the indicator with; a figure written with others keeps its own
    ("2,1%" of a rate printed with two decimals: ``{"dp":1}``, printed back "2,1%").
    """
    doc: dict = {}
    if wv.qualifier:
        doc["q"] = wv.qualifier
    if wv.low is not None:
        doc["lo"], doc["hi"] = _dtext(wv.low), _dtext(wv.high)
    if wv.denominator is not None:
        doc["den"] = _dtext(wv.denominator)
    exp = SCALES[wv.scale[-1]] if wv.scale else 0
    ends = (wv.low, wv.high) if wv.low is not None else (wv.value,)
    natural = max(_places(x.scaleb(-exp)) for x in ends)
    if wv.decimals != natural:
        doc["dp"] = wv.decimals
    if wv.scale:
        doc["sc"] = list(wv.scale)
    if wv.padded:
        doc["pad"] = True
    if wv.zero_word is not None:
        doc["zw"] = wv.zero_word
    if wv.change_word:
        doc["cw"] = True
    if wv.unit_written:
        doc["u"] = wv.unit_written
    if not doc and declared is not None and wv.decimals != declared:
        doc["dp"] = wv.decimals  # a plain figure the catalogue would print with other decimals
    written = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if doc else None
    return _dtext(wv.value), written


_STORAGE_KEYS = {"q", "lo", "hi", "den", "dp", "sc", "pad", "zw", "cw", "u"}


def from_storage(value: str, written: str | None, *, kind: str, unit: str) -> WrittenValue:
    """The inverse of :func:`to_storage`; ``kind`` and ``unit`` come from the catalogue (the store
    does not repeat them). Raises ValueError on unknown keys or inconsistent columns."""
    v = Decimal(value)
    if kind == "percent":
        unit = "%"
    doc = json.loads(written) if written else {}
    if not isinstance(doc, dict) or set(doc) - _STORAGE_KEYS:
        raise ValueError(f"written column: unknown keys {sorted(set(doc) - _STORAGE_KEYS)}")
    lo = Decimal(doc["lo"]) if "lo" in doc else None
    hi = Decimal(doc["hi"]) if "hi" in doc else None
    den = Decimal(doc["den"]) if "den" in doc else None
    scale = tuple(doc.get("sc", ()))
    exp = SCALES[scale[-1]] if scale else 0
    if "dp" in doc:
        dp = int(doc["dp"])
    elif lo is not None:
        dp = max(_places(lo.scaleb(-exp)), _places(hi.scaleb(-exp)))
    else:
        dp = _places(v.scaleb(-exp))
    return WrittenValue(v, kind, unit, qualifier=doc.get("q"), low=lo, high=hi,
                        numerator=v if den is not None else None, denominator=den, decimals=dp,
                        scale=scale, padded=bool(doc.get("pad")), zero_word=doc.get("zw"),
                        change_word=bool(doc.get("cw")), unit_written=doc.get("u"))


# ---- the form's "Mức độ" column ----------------------------------------------------------------
def qualifier_choices() -> list[str]:
    """The words a form offers beside the value (Excel list validation), in vocabulary order."""
    return [q.text for q in _Q]


def qualify(wv: WrittenValue, word: str) -> WrittenValue:
    """``wv`` with the qualifier a form's "Mức độ" cell names (its text, e.g. "hơn", "từ … trở lên",
    or its code); "" leaves it as it is. A range, ratio, zero word or a second qualifier is refused."""
    text = _nfc(str(word or "")).strip().lower()
    if not text:
        return wv
    q = next((q for q in _Q if text in (q.text, q.code)), None)
    if q is None:
        code = _PREFIX_ALIASES.get(text) or _SYMBOLS.get(text)
        q = QUALIFIERS.get(code) if code else None
    if q is None:
        raise _err("unknown_qualifier", word, "not a qualifier of the vocabulary",
                   "cột «Mức độ» chỉ nhận một từ trong danh sách: " + ", ".join(qualifier_choices()))
    if wv.qualifier is not None:
        raise _err("two_qualifiers", word, "two qualifiers", "chỉ ghi một từ chỉ mức độ (hơn, gần, khoảng …)")
    if wv.low is not None or wv.numerator is not None or wv.zero_word is not None:
        raise _err("qualified_range", word, "a range, ratio or zero word cannot also be qualified",
                   "khoảng giá trị, tử số/mẫu số hay «không có» không ghi kèm hơn, gần, khoảng …")
    return replace(wv, qualifier=q.code)
