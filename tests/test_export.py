"""HTML export: which cells each audience reads, and the font subset a page embeds for its charts."""

from __future__ import annotations

import base64
import io
import re
import time

import nbformat

from danvan.export.fonts import HTML_CHART_FAMILY, STABLE_CHARS, _woff2_subset, font_face_css
from danvan.export.html import export_html
from danvan.report.blocks import MIME_BLOCK, chart_block
from danvan.report.charts import ChartSpec


def chart_output(title: str) -> dict:
    spec = ChartSpec(title, ["Phường Đúc", "Vĩnh Ninh", "Thuận Hóa"], [("Số hộ", [3.0, 12.0, 7.5])])
    block = chart_block("t", spec)
    return nbformat.v4.new_output("display_data", data={"text/html": block.html, MIME_BLOCK: block.to_json()})


def notebook(titles=(("Biểu đồ kiểm tra", ["qa"]), ("Biểu đồ một", []), ("Ghi chú", ["analyst-only"]),
                     ("Biểu đồ hai", []))):
    cells = []
    for title, tags in titles:
        c = nbformat.v4.new_code_cell("report.chart()")
        c.outputs = [chart_output(title)]
        c.metadata["tags"] = tags
        cells.append(c)
    return nbformat.v4.new_notebook(cells=cells)


def ids_and_refs(html: str):
    ids = re.findall(r'\bid="([^"]+)"', html)
    refs = re.findall(r'href="#([^"]+)"', html) + re.findall(r"url\(#([^)]+)\)", html)
    return ids, refs


def embedded_faces(html: str) -> dict[str, set[str]]:
    """face (weight, style) -> the characters of its embedded WOFF2 subset."""
    from fontTools.ttLib import TTFont

    out = {}
    for weight, style, data in re.findall(
            r'@font-face\{font-family:"' + re.escape(HTML_CHART_FAMILY) + r'";font-weight:(\w+);font-style:(\w+);'
            r'src:url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\) format\("woff2"\)\}', html):
        font = TTFont(io.BytesIO(base64.b64decode(data)))
        out[(weight, style)] = {chr(c) for c in font.getBestCmap()}
    return out


def test_official_page_drops_analyst_cells_and_keeps_every_reference_resolved():
    nb = notebook()
    html = export_html(nb, title="t")
    assert "Biểu đồ một" in html and "Biểu đồ hai" in html
    assert "Biểu đồ kiểm tra" not in html and "Ghi chú" not in html
    ids, refs = ids_and_refs(html)
    assert len(ids) == len(set(ids)), "duplicate ids on one page"
    missing = set(refs) - set(ids)
    assert not missing, f"references to undefined ids: {sorted(missing)[:5]}"
    assert len(nb.cells) == 4, "exporting must not modify the executed notebook"


def test_analyst_page_keeps_qa_cells():
    html = export_html(notebook(), title="t", audience="analyst")
    assert "Biểu đồ kiểm tra" in html and "Ghi chú" not in html
    ids, refs = ids_and_refs(html)
    assert len(ids) == len(set(ids)) and not set(refs) - set(ids)


def test_page_embeds_the_subset_its_charts_draw():
    """Chart text is text: the page carries the bundled faces' glyphs for exactly its characters
    (and the figures' digits and punctuation), under a family of its own that the charts' text is
    set in, so no browser uses a system font for it and the body text is left to its own stack."""
    html = export_html(notebook(), title="t")
    faces = embedded_faces(html)
    assert set(faces) == {("normal", "normal"), ("bold", "normal")}  # labels; the bold title
    regular, bold = faces[("normal", "normal")], faces[("bold", "normal")]
    assert set("Phường Đúc Vĩnh Ninh Thuận Hóa 12") <= regular and set(STABLE_CHARS) <= regular
    assert set("Biểu đồ một hai") <= bold
    assert "Ỹ" not in regular and "Q" not in regular  # nothing the page does not draw
    assert f'svg.chart text{{font-family:"{HTML_CHART_FAMILY}",serif!important}}' in html
    assert '@font-face{font-family:"Liberation Serif"' not in html  # the reader's own stays usable
    assert len(html) < 60_000


def test_a_page_without_charts_embeds_no_font():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Chỉ có chữ.")])
    html = export_html(nb, title="t")
    assert "@font-face" not in html and "Chỉ có chữ." in html
    assert font_face_css([]) == ""


def test_font_subsets_are_the_same_bytes_every_time():
    """fontTools would stamp the subset with the time of saving (head.modified): never."""
    a = _woff2_subset.__wrapped__("Regular", "abc ộ")
    time.sleep(1.1)
    assert _woff2_subset.__wrapped__("Regular", "abc ộ") == a
    nb = notebook()
    assert export_html(nb, title="t") == export_html(nb, title="t")
