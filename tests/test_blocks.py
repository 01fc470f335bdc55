"""The block JSON carries everything the HTML shows, so that the PDF and the Word file (made from
the JSON) show the same document: missing-figure spans, chart SVGs, and what the city summary's and
the trend's tables say around their cells."""

from __future__ import annotations

from decimal import Decimal

import pytest
from markupsafe import Markup

from _demo_store import demo_db_path
from danvan.core.vnformat import MISSING
from danvan.report.blocks import chart_block, paragraphs_block, text_runs
from danvan.report.charts import ChartSpec, render_svg


def test_runs_are_the_spans_the_html_marks_missing():
    html = Markup('Tổng thu &amp; chi: <span class="missing">chưa có số liệu</span>; so với năm trước: '
                  '<span class="missing">chưa có số liệu so sánh cùng kỳ năm 2022</span>.')
    plain = "Tổng thu & chi: chưa có số liệu; so với năm trước: chưa có số liệu so sánh cùng kỳ năm 2022."
    assert text_runs(html, plain) == [
        {"text": "Tổng thu & chi: "}, {"text": "chưa có số liệu", "missing": True},
        {"text": "; so với năm trước: "}, {"text": "chưa có số liệu so sánh cùng kỳ năm 2022", "missing": True},
        {"text": "."}]
    assert text_runs(Markup("Không thiếu gì."), "Không thiếu gì.") is None
    assert text_runs(html, "another text") is None  # the plain text stays the one source


def test_a_ward_reports_missing_figures_reach_the_json():
    """A unit-year with one figure: part II's JSON marks exactly the spans its HTML marks."""
    from danvan.indicators.figures import Figures
    from danvan.reference.catalogue import load_catalogue
    from danvan.reference.units import load_registry
    from danvan.report.ward import WardReport

    figs = Figures(load_registry().get("19780", 2023), 2023, load_catalogue(), {"REV_ESTIMATE": Decimal(5269000000)})
    blocks = [b for b in WardReport(figs).part("II").children if b.kind == "paragraphs" and b.data.get("section")]
    assert len(blocks) >= 2
    for block in blocks:
        b = block.to_json()
        missing = [r for rs in b["runs"] for r in rs if r.get("missing")]
        assert missing and len(missing) == str(block.html).count('<span class="missing">')
        assert all(r["text"].startswith(MISSING) for r in missing)
        for runs, text in zip(b["runs"], b["paragraphs"]):
            assert "".join(r["text"] for r in runs) == text


def test_a_paragraph_without_markup_carries_no_runs():
    b = paragraphs_block(["Một.", "Hai."], html=[Markup("Một."), Markup("Hai.")], italic=True).to_json()
    assert "runs" not in b and b["italic"] is True


def test_a_chart_block_carries_the_one_drawing():
    spec = ChartSpec("Tiêu đề", ["a", "b"], [("x", [1.0, 2.0])])
    b = chart_block("c", spec, "Chú thích")
    assert b.data["svg"] == render_svg(spec) and b.data["svg"] in str(b.html)
    assert b.to_json()["spec"] == spec.to_json() and b.to_json()["caption"] == "Chú thích"


@pytest.fixture(scope="module")
def city():
    from danvan.report.city import CitySummary

    return CitySummary.load("474", 2023, db=str(demo_db_path()))


def test_city_totals_table_carries_its_section_rows(city):
    t = city.totals_table().to_json()
    html = str(city.totals_table().html)
    assert t["sections"] and t["sections"][0]["row"] == 0
    for s in t["sections"]:
        assert f"<b>{s['text']}</b>" in html
        assert t["rows"][s["row"]]  # a section row opens before a row of the table
    assert t["value_columns"] == [False, True, False, False, False] and t["wide"] is True


def test_city_rankings_table_carries_its_introduction(city):
    from danvan.report.city import RANKINGS_INTRO

    block = city.rankings_table()
    t = block.to_json()
    assert t["intro"] == RANKINGS_INTRO and f"<p>{RANKINGS_INTRO}</p>" in str(block.html)
    assert t["rules"] and t["tie_rule"] and t["wide"] is True


def test_city_ward_table_footer_and_value_columns(city):
    t = city.ward_table().to_json()
    assert t["footer"][0] == "Toàn địa bàn" and t["value_columns"] == [False] + [True] * (len(t["columns"]) - 1)


def test_trend_years_table_carries_the_aggregation_note():
    from danvan.indicators.lineage import load_series
    from danvan.report.trend import TrendReport

    trend = TrendReport(load_series("19789", 2025, 2023, db=str(demo_db_path())))
    block = trend.years_table()
    t = block.to_json()
    assert any(c.endswith("*") for c in t["columns"])
    assert t["note"].startswith("(*) ") and t["note"] in str(block.html)
