"""HTML export: which cells each audience reads, and charts that share glyph outlines on one page."""

from __future__ import annotations

import re

import nbformat

from danvan.report.charts import ChartSpec
from danvan.export.html import export_html
from danvan.report.blocks import MIME_BLOCK, chart_block


def chart_output(title: str) -> dict:
    spec = ChartSpec(title, ["Phường Đúc", "Vĩnh Ninh", "Thuận Hóa"], [("Số hộ", [3.0, 12.0, 7.5])])
    block = chart_block("t", spec)
    return nbformat.v4.new_output("display_data", data={"text/html": block.html, MIME_BLOCK: block.to_json()})


def notebook():
    cells = []
    for title, tags in [("Biểu đồ kiểm tra", ["qa"]), ("Biểu đồ một", []), ("Ghi chú", ["analyst-only"]),
                        ("Biểu đồ hai", [])]:
        c = nbformat.v4.new_code_cell("report.chart()")
        c.outputs = [chart_output(title)]
        c.metadata["tags"] = tags
        cells.append(c)
    return nbformat.v4.new_notebook(cells=cells)


def ids_and_refs(html: str):
    ids = re.findall(r'\bid="([^"]+)"', html)
    refs = re.findall(r'href="#([^"]+)"', html) + re.findall(r"url\(#([^)]+)\)", html)
    return ids, refs


def test_official_page_drops_analyst_cells_and_keeps_every_reference_resolved():
    nb = notebook()
    html = export_html(nb, title="t")
    assert "Biểu đồ một" in html and "Biểu đồ hai" in html
    assert "Biểu đồ kiểm tra" not in html and "Ghi chú" not in html
    ids, refs = ids_and_refs(html)
    assert len(ids) == len(set(ids)), "duplicate ids on one page"
    missing = set(refs) - set(ids)
    assert not missing, f"references to undefined ids: {sorted(missing)[:5]}"
    glyphs = [i for i in ids if i.startswith("LiberationSerif")]
    assert glyphs and len(glyphs) == len(set(glyphs))
    assert len(nb.cells) == 4, "exporting must not modify the executed notebook"


def test_analyst_page_keeps_qa_cells_and_shares_glyphs_once():
    html = export_html(notebook(), title="t", audience="analyst")
    assert "Biểu đồ kiểm tra" in html and "Ghi chú" not in html
    ids, refs = ids_and_refs(html)
    assert len(ids) == len(set(ids)) and not set(refs) - set(ids)


def test_shared_glyphs_make_a_page_of_charts_smaller_than_its_charts():
    nb = notebook()
    html = export_html(nb, title="t", audience="analyst")
    charts = sum(len(c.outputs[0]["data"]["text/html"]) for c in nb.cells if "analyst-only" not in c.metadata.tags)
    assert len(html) < charts, "each glyph outline should be defined once per page"
