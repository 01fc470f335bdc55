"""QA of the bases of stated rates (danvan.indicators.qa): (a) a base other than the unit's own total
of the same thing, with both numbers; (b) the common base that explains most of several rates, even
when one fits neither; (c) a stated rate with no denominator value. A value written as a bound is
never a false mismatch. Today's Vietnamese wording of the QA is kept."""

from __future__ import annotations

import textwrap
from decimal import Decimal as D

import pytest

from danvan.core.written import parse_written, to_storage
from danvan.indicators.figures import Figures
from danvan.indicators.qa import check_figures
from danvan.reference.catalogue import load_catalogue
from danvan.reference.units import load_registry

LONG_HIEP, VINH_HA = ("29506", 2025), ("19906", 2022)


def figs(profile: str, unit_year, values: dict, *, layer=None, tmp_path=None) -> Figures:
    """A unit-year from values as written ("hơn 150 hộ"), through the storage format."""
    files = ()
    if layer:
        p = tmp_path / "layer.yaml"
        p.write_text(textwrap.dedent(layer), encoding="utf-8")
        files = (str(p),)
    cat = load_catalogue(*files, profile=profile)
    plain, written = {}, {}
    for code, text in values.items():
        ind = cat[code]
        wv = parse_written(text, kind=ind.written_kind, unit=ind.unit, decimals=ind.decimals,
                           unit_aliases=ind.unit_aliases)
        value, w = to_storage(wv, ind.decimals if ind.written_kind in ("percent", "measure") else None)
        plain[code] = D(value)
        if w:
            written[code] = w
    unit = load_registry().get(*unit_year)
    return Figures(unit, unit_year[1], cat, plain, written=written)


def by(findings, check):
    return {f.code: f for f in findings if f.check == check}


# ---- (a) a base other than the unit's own total ------------------------------------------------------
def test_a_ratio_written_on_another_household_count_is_flagged_with_both_numbers():
    f = figs("vinh-long", LONG_HIEP, {"POP_HOUSEHOLDS": "7.337", "POOR_HOUSEHOLDS": "154/7.300 hộ"})
    x = by(check_figures(f), "base")["POOR_HOUSEHOLDS"]
    assert x.severity == "warning" and "154/7.300 hộ" in x.message
    assert "mẫu số 7.300 hộ khác Tổng số hộ dân trên địa bàn là 7.337 hộ" in x.message
    assert x.values == {"written_base": D(7300), "unit_total": D(7337), "total_code": "POP_HOUSEHOLDS"}
    f = figs("vinh-long", LONG_HIEP, {"POP_HOUSEHOLDS": "7.337", "POOR_HOUSEHOLDS": "154/7.400 hộ"})
    assert by(check_figures(f), "base")["POOR_HOUSEHOLDS"].severity == "error"  # a base above the unit's total
    f = figs("vinh-long", LONG_HIEP, {"POP_HOUSEHOLDS": "7.337", "POOR_HOUSEHOLDS": "154/7.337 hộ"})
    assert not by(check_figures(f), "base")


def test_a_rate_on_another_count_and_an_implied_base(tmp_path):
    layer = """\
        indicators:
          - {code: X_SURVEYED_HH, label: "Số hộ được khảo sát", unit: hộ, section: II.ktxh, kind: count,
             counts: households}
          - {code: X_WATER_PCT, label: "Tỷ lệ hộ hài lòng với nước sạch", unit: "%", section: II.ktxh,
             kind: derived, numerator: CLEAN_WATER_HH, denominator: X_SURVEYED_HH, decimals: 1}
          - {code: X_POOR_STATED_PCT, label: "Tỷ lệ hộ nghèo (đơn vị nêu)", unit: "%", section: II.ktxh,
             kind: percent, numerator: POOR_HOUSEHOLDS, decimals: 2}
        """
    f = figs("vinh-long", LONG_HIEP, {"POP_HOUSEHOLDS": "7.337", "X_SURVEYED_HH": "6.900", "CLEAN_WATER_HH": "6.500",
                                      "POOR_HOUSEHOLDS": "123", "X_POOR_STATED_PCT": "1,69"},
             layer=layer, tmp_path=tmp_path)
    found = by(check_figures(f), "base")
    other = found["X_WATER_PCT"]
    assert "Số hộ được khảo sát (6.900 hộ), khác Tổng số hộ dân trên địa bàn của đơn vị (7.337 hộ)" in other.message
    implied = found["X_POOR_STATED_PCT"]
    assert "Tỷ lệ nêu 1,69% nhưng 123 hộ / 7.337 hộ × 100 = 1,68%" in implied.message
    assert "từ 7.257 đến 7.299 hộ" in implied.message and "(7.337 hộ)" in implied.message


# ---- (b) the common base ----------------------------------------------------------------------------
def test_the_common_base_is_named_even_when_one_rate_fits_neither(tmp_path):
    layer = """\
        indicators:
          - {code: X_CLEAN_PCT, label: "Tỷ lệ hộ dùng nước sạch (đơn vị nêu)", unit: "%", section: II.ktxh,
             kind: percent, numerator: CLEAN_WATER_HH, denominator: POP_HOUSEHOLDS, decimals: 1}
        """
    values = {"POP_HOUSEHOLDS": "2.782", "POOR_HOUSEHOLDS": "189", "POOR_NEAR_HOUSEHOLDS": "201",
              "POOR_HH_PCT": "6,9", "POOR_NEAR_HH_PCT": "7,34", "CLEAN_WATER_HH": "2.000", "X_CLEAN_PCT": "80,5"}
    x = by(check_figures(figs("base", VINH_HA, values, layer=layer, tmp_path=tmp_path)), "shared_base")["POP_HOUSEHOLDS"]
    assert "Các tỷ lệ Tỷ lệ hộ nghèo; Tỷ lệ hộ cận nghèo đều khớp với một mẫu số chung từ 2.737 đến 2.740 hộ" in x.message
    assert "(báo cáo nêu 2.782 hộ): có thể các tỷ lệ đã được tính trên một số tổng khác" in x.message  # today's words
    assert "không khớp cả mẫu số chung này lẫn số liệu báo cáo nêu: Tỷ lệ hộ dùng nước sạch" in x.message
    assert x.values["base_range"] == [2737, 2740] and x.values["fits_neither"] == ["X_CLEAN_PCT"]


def test_the_common_base_when_one_rate_also_fits_the_stated_total_long_hiep():
    values = {"POP_HOUSEHOLDS": "7.337", "POOR_HOUSEHOLDS": "154", "POOR_HH_PCT": "2,1",
              "POOR_NEAR_HOUSEHOLDS": "123", "POOR_NEAR_HH_PCT": "1,69"}
    found = check_figures(figs("vinh-long", LONG_HIEP, values))
    assert "POOR_HH_PCT" not in by(found, "percent")  # 154 / 7.337 = 2,1 % as written (one decimal)
    assert by(found, "percent")["POOR_NEAR_HH_PCT"].severity == "error"
    x = by(found, "shared_base")["POP_HOUSEHOLDS"]
    assert "đều khớp với một mẫu số chung từ 7.257 đến 7.299 hộ (báo cáo nêu 7.337 hộ)" in x.message
    assert "Tỷ lệ hộ nghèo khớp cả với 7.337 hộ" in x.message and x.values["fits_stated"] == ["POOR_HH_PCT"]


def test_no_common_base_when_the_stated_total_explains_as_many():
    values = {"POP_HOUSEHOLDS": "7.337", "POOR_HOUSEHOLDS": "154", "POOR_HH_PCT": "2,1",
              "POOR_NEAR_HOUSEHOLDS": "123", "POOR_NEAR_HH_PCT": "1,68"}
    found = check_figures(figs("vinh-long", LONG_HIEP, values))
    assert not by(found, "shared_base") and not by(found, "percent")


# ---- (c) a stated rate without a base -------------------------------------------------------------------
def test_a_stated_rate_without_a_denominator_value():
    found = check_figures(figs("vinh-long", LONG_HIEP, {"POOR_HOUSEHOLDS": "154", "POOR_HH_PCT": "2,1"}))
    x = by(found, "no_base")["POOR_HH_PCT"]
    assert x.severity == "info" and "Tỷ lệ nêu 2,1% nhưng không có số liệu «Tổng số hộ dân trên địa bàn»" in x.message
    found = check_figures(figs("hue", ("19780", 2023), {"REV_TAX_REGULATED_PCT_PLAN": "850"}))
    x = by(found, "no_base")["REV_TAX_REGULATED_PCT_PLAN"]  # "so với kế hoạch", no plan figure: an outlier
    assert x.severity == "warning" and "cần nêu rõ số so sánh" in x.message
    x = by(check_figures(figs("hue", ("19780", 2023), {"HI_VOLUNTARY_PCT": "98,75"})), "no_base")["HI_VOLUNTARY_PCT"]
    assert x.severity == "info" and "không có số liệu làm mẫu số" in x.message


# ---- a bound is not a mismatch --------------------------------------------------------------------------
@pytest.mark.parametrize("poor,flagged", [("hơn 120", False), ("khoảng 125", False), ("dưới 100", True),
                                          ("100", True)])
def test_a_qualified_numerator_is_compared_as_a_bound(poor, flagged):
    values = {"POP_HOUSEHOLDS": "7.337", "POOR_NEAR_HOUSEHOLDS": poor, "POOR_NEAR_HH_PCT": "1,69"}
    assert ("POOR_NEAR_HH_PCT" in by(check_figures(figs("vinh-long", LONG_HIEP, values)), "percent")) is flagged


def test_parts_written_as_bounds_do_not_contradict_their_total():
    values = {"DVK_MODELS": "123", "DVK_MODELS_COLLECTIVE": "hơn 60", "DVK_MODELS_INDIVIDUAL": "khoảng 55"}
    assert not by(check_figures(figs("base", ("26620", 2024), values)), "parts")
    values["DVK_MODELS_COLLECTIVE"] = "dưới 40"
    x = by(check_figures(figs("base", ("26620", 2024), values)), "parts")["DVK_MODELS"]
    assert "dưới 40 mô hình + khoảng 55 mô hình" in x.message
