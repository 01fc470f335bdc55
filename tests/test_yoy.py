"""Year over year: how a figure says its change (sign, padding, units, "không thay đổi"), when the
prior year is comparable (like with like only), and the report's YoY sentences and charts on demo data."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from _demo_store import demo_db_path
from danvan.reference.catalogue import load_catalogue
from danvan.indicators.fig import Fig
from danvan.indicators.figures import Figures, load_figures
from danvan.report.narrative import render_section
from danvan.report.ward import WardReport
from danvan.reference.units import load_registry
from danvan.core.vnformat import fmt_number, fmt_padded


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def demo_db():
    return str(demo_db_path())


def fig(cat, code, cur, prev, year=2023):
    return Fig(cat[code], None if cur is None else Decimal(cur), prev=None if prev is None else Decimal(prev),
               prev_year=year - 1)


# ---- the phrases ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code, cur, prev, expected",
    [
        ("SEC_REPORTS", "26", "34", "giảm 08 tin so với cùng kỳ năm 2022"),  # counts: absolute, padded
        ("SEC_REPORTS", "45", "34", "tăng 11 tin so với cùng kỳ năm 2022"),
        ("SEC_REPORTS", "34", "34", "không thay đổi so với cùng kỳ năm 2022"),
        ("POOR_HOUSEHOLDS", "3", "4", "giảm 01 hộ so với cùng kỳ năm 2022"),
        ("REV_TOTAL", "9000000000", "8000000000", "tăng 12,5% so với cùng kỳ năm 2022"),  # amounts: relative
        ("REV_TOTAL", "7200000000", "8000000000", "giảm 10% so với cùng kỳ năm 2022"),
        ("REV_TOTAL", "8000000000", "8000000000", "không thay đổi so với cùng kỳ năm 2022"),
        ("REV_TOTAL", "8003000000", "8000000000", "tăng 0,04% so với cùng kỳ năm 2022"),  # never "tăng 0%"
        ("REV_TOTAL", "5000000", "0", "tăng 5.000.000 đồng so với cùng kỳ năm 2022"),  # no rate from zero
        ("ADMIN_ONTIME_PCT", "97", "95", "tăng 2 điểm phần trăm so với cùng kỳ năm 2022"),  # rates: points
        ("EID_ACCOUNTS_PCT", "75.0659", "72.7123", "tăng 2,36 điểm phần trăm so với cùng kỳ năm 2022"),
        ("CULT_FAMILIES_PCT", "95.24", "95.2", "không thay đổi so với cùng kỳ năm 2022"),  # equal as written
    ],
)
def test_yoy_phrase(cat, code, cur, prev, expected):
    f = fig(cat, code, cur, prev)
    assert f.has_yoy
    assert str(f.yoy) == expected


def test_delta_and_growth_are_both_available(cat):
    f = fig(cat, "SEC_REPORTS", "26", "34")
    assert str(f.delta) == "giảm 08 tin"
    assert str(f.growth) == "giảm 23,5%"
    assert str(f.prior) == "34"
    g = fig(cat, "REV_TOTAL", "9000000000", "8000000000")
    assert str(g.delta) == "tăng 1.000.000.000 đồng"


def test_no_prior_means_no_comparison(cat):
    f = fig(cat, "SEC_REPORTS", "26", None)
    assert not f.has_yoy
    assert str(f.yoy) == "chưa có số liệu so sánh cùng kỳ năm 2022"
    assert 'class="missing"' in str(Fig(f.ind, f.raw, html=True, prev=None, prev_year=2022).yoy)
    assert not fig(cat, "SEC_REPORTS", None, "3").has_yoy
    # a figure that is itself a change from last year has no year-over-year of its own
    assert not fig(cat, "SEC_OFFENCES_CHANGE", "-8", "-3").has_yoy


def test_html_yoy_is_escaped_markup(cat):
    f = Fig(cat["SEC_REPORTS"], Decimal(26), html=True, prev=Decimal(34), prev_year=2022)
    assert str(f.yoy) == "giảm 08 tin so với cùng kỳ năm 2022"
    assert hasattr(f.yoy, "__html__")


# ---- like with like --------------------------------------------------------------------------------
def test_real_report_never_compares_with_illustrative_prior_year(demo_db, reference_db):
    """Phường Đúc 2023 is real; 2022 in the demo store is illustrative: no comparison, and the report's
    sentences are exactly those of a store holding the reference data alone."""
    figs = load_figures("19780", 2023, db=demo_db)
    assert not figs.illustrative
    assert figs.prior is None
    assert "minh họa" in figs.prior_note
    assert not figs.fig("SEC_REPORTS").has_yoy
    alone = load_figures("19780", 2023, db=str(reference_db))
    for sec in ("II.2", "II.3", "II.5"):
        assert render_section(figs, sec) == render_section(alone, sec)
    # and the other way round: an illustrative year is not compared with a real one
    demo_2024 = load_figures("19780", 2024, db=demo_db)
    assert demo_2024.illustrative and demo_2024.prior is None


def test_illustrative_years_compare_with_each_other(demo_db):
    figs = load_figures("19783", 2023, db=demo_db)
    assert figs.illustrative and figs.prior is not None
    assert figs.prior_note == ""  # same unit, not a predecessors' sum


def test_yoy_sentences_in_the_report_on_demo_data(demo_db):
    from danvan.store import Store

    store = Store(demo_db)
    code = "19783"
    cur, prev = store.figures(code, 2023), store.figures(code, 2022)
    figs = load_figures(code, 2023, db=demo_db)
    text = " ".join(render_section(figs, "II.2"))

    def phrase(c, unit):
        d = cur[c] - prev[c]
        if d == 0:
            return "không thay đổi so với cùng kỳ năm 2022"
        return f"{'tăng' if d > 0 else 'giảm'} {fmt_padded(abs(d))} {unit} so với cùng kỳ năm 2022"

    assert f"Đã tiếp nhận {fmt_number(cur['SEC_REPORTS'])} tin ban đầu ({phrase('SEC_REPORTS', 'tin')})" in text
    rel = (cur["REV_TOTAL"] - prev["REV_TOTAL"]) / prev["REV_TOTAL"] * 100
    word = "tăng" if rel > 0 else "giảm"
    m = re.search(r"tổng thu ngân sách năm 2023 [\d.]+ đồng \((tăng|giảm) ([\d,]+)% so với cùng kỳ năm 2022\)", text)
    assert m, text[:600]
    assert m.group(1) == word
    assert Decimal(m.group(2).replace(",", ".")) == abs(rel).quantize(Decimal("0.1"))
    assert f"({phrase('POOR_HOUSEHOLDS', 'hộ')})" in text
    petitions = " ".join(render_section(figs, "II.5"))
    assert f"kiến nghị ({phrase('CIT_PETITIONS', 'đơn')})" in petitions


def test_charts_show_prior_year_only_when_comparable(demo_db):
    demo = WardReport.load("19783", 2023, db=demo_db)
    spec = demo.chart_spec("budget")
    assert [name for name, _v in spec.series] == ["Năm 2022", "Năm 2023"]
    assert spec.series[0][1][1] == pytest.approx(float(demo.figs.prior["REV_TOTAL"]) / 1e9)
    assert [name for name, _v in demo.chart_spec("security").series] == ["Năm 2022", "Năm 2023"]
    real = WardReport.load("19780", 2023, db=demo_db)
    assert [name for name, _v in real.chart_spec("budget").series] == ["Tỷ đồng"]
    # the analysts' rates chart: a chart when comparable, an empty block (nothing shown) otherwise
    assert demo.yoy_chart().kind == "chart"
    empty = real.yoy_chart()
    assert empty.kind == "empty" and empty.html == "" and "minh họa" in empty.text


def test_figures_without_prior_by_request(demo_db):
    figs = load_figures("19783", 2023, db=demo_db, with_prior=False)
    assert figs.prior is None and figs.prior_note == ""


def test_prior_values_are_derived_too(cat):
    unit = load_registry().get("19783", 2023)
    figs = Figures(unit, 2023, cat, {"REV_TOTAL": Decimal(150), "REV_ESTIMATE": Decimal(100)},
                   prior={"REV_TOTAL": Decimal(120), "REV_ESTIMATE": Decimal(100)})
    assert str(figs.fig("REV_PCT_ESTIMATE").yoy) == "tăng 30 điểm phần trăm so với cùng kỳ năm 2022"


# ---- key figures (what the portal's unit page shows) ---------------------------------------------
def test_key_figures_as_the_report_writes_them_with_the_comparable_prior(demo_db, cat):
    from danvan.indicators.fig import shown

    keys = [i.code for i in cat.indicators.values() if i.key]
    figs = load_figures("19750", 2023, db=demo_db)  # illustrative, comparable with illustrative 2022
    kf = figs.key_figures()
    assert list(kf["values"]) == keys and kf["prior_year"] == 2022 and "prior_note" not in kf
    for code in keys:
        f = figs.fig(code)
        assert kf["values"][code] == (None if f.raw is None else format(shown(cat[code], f.raw), "f"))
        assert kf["prior"][code] == (None if f.prev is None else format(shown(cat[code], f.prev), "f"))
    assert kf["values"]["EID_ACCOUNTS_PCT"].count(".") == 1 and len(kf["values"]["EID_ACCOUNTS_PCT"].split(".")[1]) == 2
    real = load_figures("19780", 2023, db=demo_db).key_figures()  # real 2023, illustrative 2022: no prior
    assert real["values"]["REV_TOTAL"] == "7967592178" and real["values"]["CULT_FAMILIES_PCT"] == "95.2"
    assert "prior" not in real and real["prior_note"].startswith("Không so sánh cùng kỳ")


def test_header_blocks_carry_the_key_figures(demo_db):
    from danvan.report.city import CitySummary

    ward = WardReport.load("19750", 2023, db=demo_db)
    assert ward.header().children[0].data["key_figures"] == ward.figs.key_figures()
    city = CitySummary.load("474", 2023, db=demo_db)
    title = city.header().children[0]
    assert title.data["role"] == "title" and title.data["key_figures"]["values"]["REV_TOTAL"] == format(
        city.total("REV_TOTAL").value, "f")
    assert title.data["key_figures"]["values"]["CULT_FAMILIES_PCT"] is None  # a stated rate: not summable
