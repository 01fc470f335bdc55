"""danvan.indicators.figures: loading a unit-year, derived ratios against the seed, and how a Fig writes itself."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from danvan.reference.catalogue import load_catalogue
from danvan.indicators.fig import Fig, derive
from danvan.indicators.figures import Figures, load_figures
from danvan.reference.units import load_registry
from danvan.core.vnformat import MISSING, fmt_number

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "data" / "reference"


@pytest.fixture(scope="module")
def ref() -> Figures:
    return load_figures("19780", 2023, data_dir=REFERENCE)


def _figs(values: dict, year: int = 2023, code: str = "19780") -> Figures:
    return Figures(load_registry().get(code, year), year, load_catalogue(), {k: Decimal(v) for k, v in values.items()})


def _stated(text: str, seed: str) -> bool:
    """``text`` occurs in ``seed`` as a whole figure (not inside a longer number)."""
    return re.search(r"(?<![\d.,])" + re.escape(text) + r"(?![\d]|[.,]\d)", seed) is not None


# ---- derived ratios against the reference report ----------------------------------------------
def test_every_derived_indicator_is_computed(ref):
    derived = [i.code for i in ref.catalogue.indicators.values() if i.is_derived]
    assert derived and set(derived) == set(ref.derived)


@pytest.mark.parametrize("code", [i.code for i in load_catalogue().indicators.values() if i.is_derived])
def test_derived_ratio_is_stated_in_the_seed(ref, seed_text, code):
    fig = ref[code]
    text = str(fig)
    assert text.endswith("%") and MISSING not in text
    assert _stated(text, seed_text), f"{code} = {text} not in the reference report"


def test_known_ratios(ref):
    got = {c: str(ref[c]) for c in ("REV_PCT_ESTIMATE", "EID_ACCOUNTS_PCT", "EID_ACTIVATED_PCT", "BUILD_PERMIT_PCT")}
    assert got == {"REV_PCT_ESTIMATE": "151%", "EID_ACCOUNTS_PCT": "75,07%", "EID_ACTIVATED_PCT": "46,58%",
                   "BUILD_PERMIT_PCT": "100%"}
    # exact arithmetic, not float: 7400 / 9858 * 100
    assert ref.raw("EID_ACCOUNTS_PCT") == Decimal(7400) * 100 / Decimal(9858)


def test_stated_rates_are_in_the_seed(ref, seed_text):
    for ind in ref.catalogue.indicators.values():
        if ind.kind == "percent" and ref.raw(ind.code) is not None:
            assert _stated(str(ref[ind.code]), seed_text), ind.code


@pytest.mark.parametrize("code", [i.code for i in load_catalogue().indicators.values() if i.parts])
def test_parts_sum_to_totals(ref, seed_text, code):
    ind = ref.catalogue[code]
    parts = [ref.raw(p) for p in ind.parts]
    assert None not in parts and ref.raw(code) is not None
    assert sum(parts) == ref.raw(code)
    # and the report states the total and every part (grouped, or as the raw digits it used)
    for c in (code, *ind.parts):
        n = ref.raw(c)
        assert any(_stated(s, seed_text) for s in (fmt_number(n), str(int(n)), f"{int(n):02d}")), c


def test_eid_parts_example(ref):
    assert (str(ref["EID_ACCOUNTS_L1"]), str(ref["EID_ACCOUNTS_L2"]), str(ref["EID_ACCOUNTS"])) == ("652", "6.748", "7.400")


def test_store_and_files_give_the_same_figures(store, ref):
    from_store = load_figures("19780", 2023, db=store.path)
    assert from_store.values == ref.values
    assert from_store.derived == ref.derived
    assert set(from_store.texts) == set(ref.texts)
    assert from_store.unit.name == "Phường Phường Đúc"


def test_reading_a_missing_store_is_a_clear_error_and_creates_nothing(tmp_path, monkeypatch):
    from danvan.core.errors import StoreMissingError

    db = tmp_path / "fresh.sqlite"
    monkeypatch.setenv("DANVAN_DB", str(db))
    with pytest.raises(StoreMissingError, match="danvan setup"):
        load_figures("19780", 2023)
    assert not db.exists() and list(tmp_path.iterdir()) == []


# ---- Fig -------------------------------------------------------------------------------------
def test_missing_figure_text_and_html():
    figs = _figs({"REV_ESTIMATE": 5269000000})  # REV_TOTAL missing -> REV_PCT_ESTIMATE missing too
    for code in ("REV_TOTAL", "REV_PCT_ESTIMATE", "SEC_OFFENCES_CHANGE", "CULT_GROUPS_ACHIEVED"):
        f = figs[code]
        assert f.missing and f.value is None
        for text in (str(f), f.u, f.z, f.zu, f.change, f.of(figs["CULT_GROUPS_TOTAL"])):
            assert str(text) == MISSING
        html = figs.fig(code, html=True)
        for h in (html.__html__(), html.u, html.z, html.zu, html.change):
            assert str(h) == f'<span class="missing">{MISSING}</span>'
    # a present figure "of" a missing one is missing too
    assert str(_figs({"CULT_GROUPS_ACHIEVED": 9})["CULT_GROUPS_ACHIEVED"].of(figs["CULT_GROUPS_TOTAL"])) == MISSING


def test_nothing_prints_nan_or_none():
    figs = _figs({})
    frame = figs.to_frame()
    assert len(frame) == len(figs.catalogue.indicators)
    assert set(frame["text"]) == {MISSING}
    for text in frame["text"]:
        assert "nan" not in text.lower() and "None" not in text


def test_zero_denominator_is_missing_not_an_error():
    figs = _figs({"BUILD_PERMITTED": 0, "BUILD_TOTAL": 0})
    assert figs["BUILD_PERMIT_PCT"].missing
    assert "BUILD_PERMIT_PCT" not in derive(figs.catalogue, figs.values)


def test_fig_ways_of_writing(ref):
    assert ref["REV_TOTAL"].u == "7.967.592.178 đồng"
    assert str(ref["CNCD_GIFT_PORTIONS"]) == "1.109"
    assert ref["SEC_CRIME_RESOLVED"].z == "04" and ref["SEC_CRIME_RESOLVED"].zu == "04 tin"
    assert ref["CULT_GROUPS_ACHIEVED"].of(ref["CULT_GROUPS_TOTAL"]) == "9/9"
    assert ref["BUILD_PERMITTED"].of(ref["BUILD_TOTAL"]) == "17/17"
    assert ref["EID_ACCOUNTS_PCT"].u == "75,07%"  # a rate carries no unit word
    assert str(ref["CULT_FAMILIES_PCT"]) == "95,2%" and str(ref["HI_VOLUNTARY_PCT"]) == "98,75%"
    assert ref["SEC_OFFENCES_CHANGE"].change == "giảm 08 vụ"
    assert ref["REV_TOTAL"].value == 7967592178.0


@pytest.mark.parametrize("value,text", [(-8, "giảm 08 vụ"), (3, "tăng 03 vụ"), (0, "không thay đổi"),
                                        (-12, "giảm 12 vụ"), (1500, "tăng 1.500 vụ")])
def test_change(value, text):
    assert _figs({"SEC_OFFENCES_CHANGE": value})["SEC_OFFENCES_CHANGE"].change == text


def test_html_escapes_and_marks_up():
    figs = _figs({"REV_TOTAL": 1000})
    f = figs.fig("REV_TOTAL", html=True)
    assert f.u == "1.000 đồng" and hasattr(f.u, "__html__")


def test_unknown_code_suggests_the_closest():
    figs = _figs({})
    with pytest.raises(KeyError, match="REV_TOTAL"):
        figs.raw("REV_TOTL")
    with pytest.raises(KeyError, match="did you mean REV_TOTAL"):
        figs["REV_TOTL"]
    with pytest.raises(KeyError):
        figs.namespace().NOT_A_CODE


def test_different_figures_recompute(ref):
    values = dict(ref.values)
    values["REV_TOTAL"] = Decimal("6000000000")
    values["EID_ACCOUNTS_L1"] = Decimal("1000")
    values["EID_ACCOUNTS"] = Decimal("7748")
    figs = Figures(ref.unit, 2023, ref.catalogue, values)
    assert figs["REV_TOTAL"].u == "6.000.000.000 đồng"
    assert str(figs["REV_PCT_ESTIMATE"]) == "114%"  # 6.000.000.000 / 5.269.000.000 = 113,87% -> 114%
    assert str(figs["EID_ACCOUNTS_PCT"]) == "78,60%"  # 7.748 / 9.858 = 78,5961% -> 78,60%


def test_fig_repr_and_raw_type(ref):
    f = ref["REV_TOTAL"]
    assert isinstance(f, Fig) and isinstance(f.raw, Decimal) and "REV_TOTAL" in repr(f)
