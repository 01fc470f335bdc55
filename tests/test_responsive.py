"""Responsive report HTML without a browser: the screen-only stylesheet, the scroll boxes every
table sits in, the layout tables marked as such. (What a phone shows is checked in Chromium by
tests/test_browser.py; that the PDF is unchanged, by the PDF tests and the layout tests.)"""

from __future__ import annotations

import re

import pytest

from _demo_store import demo_db_path
from danvan.report.style import STYLESHEETS, report_css


def _top_level_blocks(css: str) -> list[str]:
    """The preludes of the top-level rules of a stylesheet (comments dropped)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    preludes, depth, start = [], 0, 0
    for i, ch in enumerate(css):
        if ch == "{":
            if depth == 0:
                preludes.append(css[start:i].strip())
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                start = i + 1
    assert depth == 0, "unbalanced braces"
    return preludes


def test_screen_stylesheet_only_holds_screen_rules():
    """Print (WeasyPrint, print preview) never sees a rule of report-screen.css."""
    screen = STYLESHEETS[-1]
    assert screen.name == "report-screen.css"
    preludes = _top_level_blocks(screen.read_text(encoding="utf-8"))
    assert preludes and all(re.fullmatch(r"@media screen( and \(.+\))?", p) for p in preludes), preludes
    assert report_css().startswith(STYLESHEETS[0].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_db() -> str:
    return str(demo_db_path())


def _tables_in_boxes(html: str) -> list[tuple[bool, str]]:
    """For every table.figures of ``html``: (inside a labelled, focusable scroll region, its label)."""
    out = []
    for m in re.finditer(r'<table class="figures[ "]', html):
        before = html[:m.start()]
        box = re.search(r'<div class="table-scroll" role="region" tabindex="0" aria-label="([^"]+)">$', before)
        out.append((box is not None, box.group(1) if box else ""))
    return out


def test_every_table_scrolls_in_its_own_labelled_box(demo_db):
    from danvan.report.city import CitySummary
    from danvan.report.trend import TrendReport
    from danvan.report.ward import WardReport

    ward = WardReport.load("19780", 2023, db=demo_db)
    trend = TrendReport.load("19780", 2023, 2021, db=demo_db)
    city = CitySummary.load("474", 2023, db=demo_db)
    pages = {
        "ward": str(ward.table("II.2").html) + str(ward.qa().html),
        "trend": str(trend.table().html) + str(trend.changes().html),
        "city": str(city.ward_tables().html) + str(city.totals_section().html) + str(city.rankings().html),
    }
    labels = []
    for name, html in pages.items():
        boxes = _tables_in_boxes(html)
        assert boxes and all(ok for ok, _ in boxes), (name, boxes)
        labels += [label for _, label in boxes]
    assert len(labels) == len(set(labels)), f"two scroll regions share a name: {labels}"
    assert "Bảng số liệu – " in labels[0]


def test_layout_tables_are_presentation(demo_db):
    from danvan.report.ward import WardReport

    ward = WardReport.load("19780", 2023, db=demo_db)
    assert '<table class="nd30-top" role="presentation">' in str(ward.header().html)
    assert '<table role="presentation">' in str(ward.end().html)
