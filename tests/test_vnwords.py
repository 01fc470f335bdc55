"""Tests for danvan.vnwords (Vietnamese amounts in words, formal reading)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from danvan.core.vnwords import MAX_VALUE, amount_in_words, to_words

# --------------------------------------------------------------------------------------------
# Independent parser: reads the formal words back to an int, rejecting any non-formal form.
# --------------------------------------------------------------------------------------------

_DIGIT = {
    "không": 0, "một": 1, "hai": 2, "ba": 3, "bốn": 4,
    "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9,
}
# Units allowed after "mươi" / "mười" / "lẻ" (formal forms only).
_AFTER_MUOI = {"mốt": 1, "hai": 2, "ba": 3, "tư": 4, "lăm": 5,
               "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
_AFTER_MUOI_10 = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "lăm": 5,
                  "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
_AFTER_LE = {w: v for w, v in _DIGIT.items() if v}

VOCAB = set(_DIGIT) | {"mốt", "tư", "lăm", "mười", "mươi", "lẻ", "trăm",
                       "nghìn", "triệu", "tỷ"}


class ParseError(ValueError):
    pass


def _parse_group(tok: list[str], i: int, leading: bool) -> tuple[int, int]:
    """Parse one 1..999 group starting at tok[i]; return (value, next index)."""

    def at(k: int) -> str | None:
        return tok[k] if k < len(tok) else None

    value = 0
    has_hundreds = False
    if at(i) in _DIGIT and at(i + 1) == "trăm":
        if leading and _DIGIT[tok[i]] == 0:
            raise ParseError("leading group starts with 'không trăm'")
        value, has_hundreds, i = 100 * _DIGIT[tok[i]], True, i + 2
    elif not leading:
        raise ParseError(f"non-leading group lacks hundreds at token {i}")

    w = at(i)
    if w == "lẻ":
        if not has_hundreds:
            raise ParseError("'lẻ' without hundreds")
        if at(i + 1) not in _AFTER_LE:
            raise ParseError(f"bad unit after 'lẻ': {at(i + 1)!r}")
        value += _AFTER_LE[tok[i + 1]]
        i += 2
    elif w == "mười":
        value += 10
        i += 1
        if at(i) in _AFTER_MUOI_10:
            value += _AFTER_MUOI_10[tok[i]]
            i += 1
        elif at(i) in _DIGIT or at(i) in {"mốt", "tư"}:
            raise ParseError(f"bad unit after 'mười': {at(i)!r}")
    elif w in _DIGIT and at(i + 1) == "mươi":
        if _DIGIT[w] < 2:
            raise ParseError(f"bad tens digit {w!r}")
        value += 10 * _DIGIT[w]
        i += 2
        if at(i) in _AFTER_MUOI:
            value += _AFTER_MUOI[tok[i]]
            i += 1
        elif at(i) in _DIGIT:
            raise ParseError(f"bad unit after 'mươi': {at(i)!r}")
    elif w in _DIGIT and at(i + 1) != "trăm":
        if has_hundreds:
            raise ParseError("unit directly after hundreds (needs 'lẻ')")
        if _DIGIT[w] == 0:
            raise ParseError("'không' inside a number")
        value += _DIGIT[w]
        i += 1
    if value == 0:
        raise ParseError("empty or zero group")
    return value, i


def _parse_scale(tok: list[str], i: int) -> tuple[int, int]:
    w = tok[i] if i < len(tok) else None
    if w in {"nghìn", "triệu"}:
        return {"nghìn": 3, "triệu": 6}[w], i + 1
    return 0, i


def _parse_below_billion(tok: list[str], leading: bool) -> int:
    """Tokens of a number < 10**9 (no "tỷ"); ``leading=False``: every group read in full."""
    total, i, last_exp = 0, 0, None
    while i < len(tok):
        group, i = _parse_group(tok, i, leading=leading and last_exp is None)
        exp, i = _parse_scale(tok, i)
        if last_exp is not None and exp >= last_exp:
            raise ParseError("scales not strictly decreasing")
        if exp == 0 and i != len(tok):
            raise ParseError(f"trailing tokens: {tok[i:]}")
        total += group * 10**exp
        last_exp = exp
    return total


def words_to_int(text: str) -> int:
    """``<count of billions> tỷ <remainder>``: one "tỷ" at most, its count a whole number."""
    if text == "không":
        return 0
    tok = text.split(" ")
    if tok.count("tỷ") > 1:
        raise ParseError("'tỷ' repeated (the count of billions is read as one number)")
    if "tỷ" not in tok:
        return _parse_below_billion(tok, leading=True)
    k = tok.index("tỷ")
    if k == 0:
        raise ParseError("'tỷ' without a count")
    billions = _parse_below_billion(tok[:k], leading=True)
    return billions * 10**9 + _parse_below_billion(tok[k + 1:], leading=False)


# --------------------------------------------------------------------------------------------
# Fixed examples
# --------------------------------------------------------------------------------------------

EXAMPLES = {
    0: "không",
    5: "năm",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    15: "mười lăm",
    20: "hai mươi",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    25: "hai mươi lăm",
    41: "bốn mươi mốt",
    55: "năm mươi lăm",
    100: "một trăm",
    101: "một trăm lẻ một",
    104: "một trăm lẻ bốn",
    105: "một trăm lẻ năm",
    110: "một trăm mười",
    115: "một trăm mười lăm",
    1000: "một nghìn",
    1010: "một nghìn không trăm mười",
    1021: "một nghìn không trăm hai mươi mốt",
    1100: "một nghìn một trăm",
    1_000_000: "một triệu",
    1_000_001: "một triệu không trăm lẻ một",
    1_000_005: "một triệu không trăm lẻ năm",
    139_100_000: "một trăm ba mươi chín triệu một trăm nghìn",
    10**9: "một tỷ",
    1_000_000_005: "một tỷ không trăm lẻ năm",
    2_209_152_000: "hai tỷ hai trăm lẻ chín triệu một trăm năm mươi hai nghìn",
    7_967_592_178: "bảy tỷ chín trăm sáu mươi bảy triệu năm trăm chín mươi hai nghìn "
                   "một trăm bảy mươi tám",
    10**12: "một nghìn tỷ",
    10**12 + 5: "một nghìn tỷ không trăm lẻ năm",
    1_234_000_000_000: "một nghìn hai trăm ba mươi tư tỷ",
    5_003_000_000_000: "năm nghìn không trăm lẻ ba tỷ",
    5_003_000_000_007: "năm nghìn không trăm lẻ ba tỷ không trăm lẻ bảy",
    20_015_000_000_000: "hai mươi nghìn không trăm mười lăm tỷ",
    10**14: "một trăm nghìn tỷ",
    999_999_999_999_999: "chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ "
                         "chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn "
                         "chín trăm chín mươi chín",
    10**15: "một triệu tỷ",
}


@pytest.mark.parametrize("n, expected", sorted(EXAMPLES.items()))
def test_examples(n, expected):
    assert to_words(n) == unicodedata.normalize("NFC", expected)
    assert words_to_int(to_words(n)) == n


def test_7005_million_prefix():
    assert to_words(7_005_000_000).startswith("bảy tỷ không trăm lẻ năm triệu")
    assert to_words(7_005_000_000) == "bảy tỷ không trăm lẻ năm triệu"


def test_amount_in_words_sentence():
    assert amount_in_words(7_967_592_178) == (
        "Bảy tỷ chín trăm sáu mươi bảy triệu năm trăm chín mươi hai nghìn "
        "một trăm bảy mươi tám đồng"
    )
    assert amount_in_words(0) == "Không đồng"
    assert amount_in_words(1_000_000, currency="đô la Mỹ") == "Một triệu đô la Mỹ"
    assert "chẵn" not in amount_in_words(1_000_000)
    # A decomposed currency word comes back NFC.
    out = amount_in_words(5, currency=unicodedata.normalize("NFD", "đồng"))
    assert out == "Năm đồng" and unicodedata.is_normalized("NFC", out)


def test_parser_rejects_informal_forms():
    for bad in ["hai mươi một", "hai mươi năm", "mười năm", "một trăm năm",
                "một nghìn hai mươi mốt", "lẻ năm", "không trăm lẻ năm",
                "một tỷ triệu", "một nghìn nghìn", "mười mốt", "một trăm lẻ lăm",
                # the old per-group "tỷ" reading of 1_234 * 10**9 and 5_003 * 10**9
                "một nghìn tỷ hai trăm ba mươi tư tỷ", "năm nghìn tỷ không trăm lẻ ba tỷ",
                "tỷ", "một tỷ năm", "một tỷ hai mươi mốt", "một nghìn tỷ tỷ"]:
        with pytest.raises(ParseError):
            words_to_int(bad)


def test_exhaustive_small_round_trip():
    for n in range(0, 20_000):
        assert words_to_int(to_words(n)) == n


# --------------------------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------------------------

# Uniform integers rarely contain zero digits; also build numbers from digit strings rich in
# 0/1/4/5 so that "lẻ", "không trăm", "mốt", "tư", "lăm" and skipped groups get exercised.
_zero_rich = st.lists(
    st.sampled_from([0, 0, 0, 1, 4, 5, 9]), min_size=1, max_size=15
).map(lambda ds: int("".join(map(str, ds))))
NUMBERS = st.one_of(st.integers(0, MAX_VALUE), _zero_rich, st.just(MAX_VALUE))


@settings(max_examples=500, deadline=None)
@given(NUMBERS)
def test_round_trip(n):
    assert words_to_int(to_words(n)) == n


@settings(max_examples=500, deadline=None)
@given(NUMBERS)
def test_nfc_and_vocabulary(n):
    text = to_words(n)
    assert unicodedata.is_normalized("NFC", text)
    assert text == text.strip() and "  " not in text
    assert set(text.split(" ")) <= VOCAB
    sentence = amount_in_words(n)
    assert unicodedata.is_normalized("NFC", sentence)
    assert sentence[0].isupper() and sentence.endswith(" đồng")
    assert sentence[0].lower() + sentence[1:] == text + " đồng"


@settings(max_examples=500, deadline=None)
@given(NUMBERS)
def test_no_informal_units(n):
    padded = f" {to_words(n)} "
    for bad in ["mươi một ", "mươi năm ", "mươi bốn ", "mười năm ",
                "lẻ mốt ", "lẻ lăm ", "lẻ tư ", "mười mốt ", "mười tư "]:
        assert bad not in padded


@pytest.mark.parametrize("bad", [-1, -(10**15), MAX_VALUE + 1, 10**18,
                                 True, False, 1.0, 5.5, "5", None, Decimal(5)])
def test_errors(bad):
    with pytest.raises(ValueError):
        to_words(bad)
    with pytest.raises(ValueError):
        amount_in_words(bad)


@pytest.mark.parametrize("currency", ["", "   ", None, 5])
def test_bad_currency(currency):
    with pytest.raises(ValueError):
        amount_in_words(1, currency=currency)


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=MAX_VALUE + 1)))
@settings(max_examples=100, deadline=None)
def test_out_of_range_property(n):
    with pytest.raises(ValueError):
        to_words(n)


@settings(max_examples=300, deadline=None)
@given(NUMBERS)
def test_billions_counted_as_one_number(n):
    """n >= 10**9: the count of billions is read as a whole number, then a single "tỷ"."""
    text = to_words(n)
    if n < 10**9:
        assert "tỷ" not in text.split(" ")
        return
    assert text.split(" ").count("tỷ") == 1
    head = f"{to_words(n // 10**9)} tỷ"
    assert text == head or text.startswith(head + " ")
