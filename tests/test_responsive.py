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


# ---- the same look inside JupyterLab: scoped styles in each block output ------------------------
def test_notebook_css_is_scoped_screen_only_and_uses_container_queries():
    from danvan.report.style import SCOPE, notebook_css

    css = notebook_css()
    assert "@page" not in css and "@media" not in css and "</" not in css and "<" not in css
    assert "@container danvan (max-width:640px)" in css.replace(": ", ":")  # 40em of report-screen.css
    # every selector of every rule (inside container queries too) is under the wrapper
    flat = re.sub(r"@container[^{]*\{", "", css)
    for prelude in re.findall(r"(?:^|})\s*([^{}@]+)\{", flat):
        for sel in prelude.split(","):
            assert sel.strip().startswith(SCOPE), sel
    assert ".danvan-block .nd30-top" in css and ".danvan-block .quochieu" in css
    assert len(css.encode()) < 10_000


def test_block_output_carries_the_scoped_sheet_and_the_export_takes_it_out(demo_db):
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from danvan.export.html import export_html
    from danvan.report.blocks import MIME_BLOCK
    from danvan.report.style import report_css, unwrap_block
    from danvan.report.ward import WardReport

    ward = WardReport.load("19780", 2023, db=demo_db)
    blocks = [ward.header(), ward.part("I"), ward.chart("budget"), ward.end()]
    bundles = [b._repr_mimebundle_() for b in blocks]
    for b, bundle in zip(blocks, bundles):
        html = bundle["text/html"]
        assert html.startswith('<style data-danvan-css="') and '<div class="danvan-block">' in html
        assert unwrap_block(html) == str(b.html)
        assert MIME_BLOCK in bundle and "data-danvan-css" not in str(bundle[MIME_BLOCK])
    assert unwrap_block("<p>other HTML</p>") == "<p>other HTML</p>"
    nb = new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data=bundle)])
                             for bundle in bundles])
    page = export_html(nb, title="Báo cáo")
    assert "data-danvan-css" not in page and "danvan-block" not in page
    assert page.count("<style>") == 1 and report_css() in page
    assert page.index('<header class="nd30-header"') < page.index('id="sec-I"') < page.index('<footer class="nd30-end"')
