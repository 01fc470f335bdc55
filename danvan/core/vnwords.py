"""Vietnamese amounts in words ("Bằng chữ: ...") for official documents.

Only the standard library is used (num2words' Vietnamese output is known to be wrong).

Public API
----------
``to_words(n)``
    Lower-case formal reading of an integer ``0 <= n <= 10**15``.
``amount_in_words(n, currency="đồng")``
    The same reading, first letter capitalised, followed by the currency word, e.g.
    ``"Bảy tỷ chín trăm sáu mươi bảy triệu năm trăm chín mươi hai nghìn một trăm bảy mươi tám
    đồng"``. The formal word "chẵn" is never appended.

Conventions (formal reading used in administrative and financial documents)
---------------------------------------------------------------------------
* Digits: không một hai ba bốn năm sáu bảy tám chín; ``0`` alone is "không".
* Below 10**9 the number is split into groups of three digits with the scale words, from the
  lowest group up: (none), "nghìn", "triệu".
* From 10**9 up, the count of billions ``n // 10**9`` is read as a whole number (by these same
  rules) followed by a single "tỷ", then the remainder ``n % 10**9`` as non-leading groups:
  ``10**12`` is "một nghìn tỷ", ``10**15`` is "một triệu tỷ", ``1_234 * 10**9`` is
  "một nghìn hai trăm ba mươi tư tỷ" (not "một nghìn tỷ hai trăm ba mươi tư tỷ"), and
  ``5_003 * 10**9 + 7`` is "năm nghìn không trăm lẻ ba tỷ không trăm lẻ bảy".
* Groups equal to zero are skipped entirely, scale word included:
  ``1_000_000`` -> "một triệu"; ``1_000_000_005`` -> "một tỷ không trăm lẻ năm".
* The leading (most significant) group is read without leading zeros: 5 -> "năm",
  21 -> "hai mươi mốt", 105 -> "một trăm lẻ năm".
* Every other non-zero group is read with all three digits: a hundreds digit of 0 is read
  "không trăm" (1021 -> "một nghìn không trăm hai mươi mốt";
  7_005_000_000 -> "bảy tỷ không trăm lẻ năm triệu").
* Tens digit 0 with a non-zero units digit (after a hundreds part) -> "lẻ":
  "một trăm lẻ năm", "không trăm lẻ một", "lẻ bốn". Units after "lẻ" use plain digits.
* Tens digit 1 -> "mười"; units after "mười": 5 -> "lăm", others plain
  ("mười một", "mười bốn", "mười lăm").
* Tens digit >= 2 -> "<digit> mươi"; units after "mươi": 1 -> "mốt", 4 -> "tư", 5 -> "lăm",
  others plain ("hai mươi mốt", "hai mươi tư", "hai mươi lăm").
* "nghìn" (not "ngàn") and "tỷ" (not "tỉ") are used; all output is NFC.

Inputs must be ``int`` (``bool`` is rejected); anything else, negatives and values above
``10**15`` raise ``ValueError``.
"""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_VALUE", "to_words", "amount_in_words"]

MAX_VALUE = 10**15

_DIGITS = tuple(
    unicodedata.normalize("NFC", w)
    for w in ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
)
_SCALES = tuple(unicodedata.normalize("NFC", w) for w in ("", "nghìn", "triệu"))
_BILLION_WORD = unicodedata.normalize("NFC", "tỷ")
_BILLION = 10**9
_HUNDRED = "trăm"
_TEN = "mười"
_TENS = "mươi"
_ODD = "lẻ"
_AFTER_MUOI = {1: "mốt", 4: "tư", 5: "lăm"}
_AFTER_MUOI = {k: unicodedata.normalize("NFC", v) for k, v in _AFTER_MUOI.items()}


def _check(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"expected an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"negative numbers are not supported: {n}")
    if n > MAX_VALUE:
        raise ValueError(f"number too large (max 10**15): {n}")
    return int(n)


def _read_group(value: int, full: bool) -> list[str]:
    """Words for a group 1..999; ``full`` reads a zero hundreds digit as "không trăm"."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if full or hundreds:
        words += [_DIGITS[hundreds], _HUNDRED]
    if tens == 0:
        if units:
            if words:
                words.append(_ODD)
            words.append(_DIGITS[units])
    elif tens == 1:
        words.append(_TEN)
        if units == 5:
            words.append(_AFTER_MUOI[5])
        elif units:
            words.append(_DIGITS[units])
    else:
        words += [_DIGITS[tens], _TENS]
        if units:
            words.append(_AFTER_MUOI.get(units, _DIGITS[units]))
    return words


def to_words(n: int) -> str:
    """Formal Vietnamese reading of ``n`` (0 <= n <= 10**15), lower case, NFC."""
    n = _check(n)
    if n == 0:
        return _DIGITS[0]
    billions, rest = divmod(n, _BILLION)
    words: list[str] = []
    if billions:  # at most 10**6 (n <= 10**15): read as a whole number, then one "tỷ"
        words += _below_billion(billions, leading=True)
        words.append(_BILLION_WORD)
    words += _below_billion(rest, leading=not billions)
    return " ".join(words)


def _below_billion(n: int, leading: bool) -> list[str]:
    """Words for ``0 <= n < 10**9`` (empty for 0); ``leading=False`` reads every group in full."""
    groups: list[int] = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    words: list[str] = []
    for idx in range(len(groups) - 1, -1, -1):
        g = groups[idx]
        if not g:
            continue
        words += _read_group(g, full=bool(words) or not leading)
        if _SCALES[idx]:
            words.append(_SCALES[idx])
    return words


def amount_in_words(n: int, currency: str = "đồng") -> str:
    """Capitalised sentence for ``n`` followed by ``currency`` (no "chẵn"), NFC."""
    if not isinstance(currency, str) or not currency.strip():
        raise ValueError("currency must be a non-empty string")
    text = f"{to_words(n)} {currency.strip()}"
    text = text[0].upper() + text[1:]
    return unicodedata.normalize("NFC", text)
