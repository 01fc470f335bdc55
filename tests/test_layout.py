"""NĐ 30/2020/NĐ-CP (Phụ lục I) layout of the printed report, checked on WeasyPrint's own layout
tree (positions, sizes, weights of the boxes danvan.pdf prints), without a kernel or poppler.

The report notebook's outputs are rebuilt in-process from the report blocks (the same
``_repr_mimebundle_`` a kernel would display), exported to print HTML and laid out once per module.
Rules: ../shared/design/vietnamese.md ("Document layout").
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

REPO = Path(__file__).resolve().parents[1]
PX_PER_PT = 96 / 72
PX_PER_MM = 96 / 25.4
PROVENANCE = {"data": "kho test.sqlite sha256:0", "notebook": "ward_report.ipynb sha256:0",
              "parameters": '{"unit_code": "19780", "year": 2023}', "catalogue": "danvan-core",
              "code": "git 0", "packages": "python 3"}


def pt(px: float) -> float:
    return px / PX_PER_PT


def mm(px: float) -> float:
    return px / PX_PER_MM


# ---- building the report without a kernel -----------------------------------------------------

def report_notebook(report, *, extra_tagged: bool = True):
    """A notebook shaped like an executed ward_report.ipynb: one display output per block."""
    from danvan.report.ward import CHARTS

    blocks = [report.header(), report.part("I"), report.part("II")]
    blocks += [report.chart(name) for name in CHARTS]
    blocks += [report.part("III"), report.part("IV"), report.end()]
    cells = [new_markdown_cell("# Ghi chú của người phân tích", metadata={"tags": ["analyst-only"]})]
    for b in blocks:
        bundle = b._repr_mimebundle_()
        cells.append(new_code_cell("", outputs=[new_output("display_data", data=bundle)]))
    if extra_tagged:
        qa = new_code_cell("", metadata={"tags": ["qa"]}, outputs=[new_output(
            "display_data", data={"text/html": '<div class="qa">KIỂM TRA NỘI BỘ</div>', "text/plain": "qa"})])
        cells.append(qa)
    return new_notebook(cells=cells, metadata={"papermill": {"parameters": {"unit_code": report.figs.unit.code,
                                                                             "year": report.figs.year}}})


@pytest.fixture(scope="module")
def module_db(reference_db, tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("layout-db") / "store.sqlite"
    shutil.copy(reference_db, dst)
    return dst


@pytest.fixture(scope="module")
def reference_report(module_db):
    from danvan.report.ward import WardReport

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DANVAN_CATALOGUE", raising=False)
        mp.delenv("DANVAN_TEMPLATES", raising=False)
        mp.setenv("MPLBACKEND", "Agg")
        return WardReport.load("19780", 2023, db=str(module_db),
                               meta={"signer": "Nguyễn Văn Thử"})  # a run parameter: signer shown


@pytest.fixture(scope="module")
def notebook(reference_report):
    return report_notebook(reference_report)


@pytest.fixture(scope="module")
def print_html(notebook) -> str:
    from danvan.export.html import export_html
    from danvan.export.pdf import print_notebook

    return export_html(print_notebook(notebook), title="Báo cáo", provenance=PROVENANCE, print_mode=True)


@pytest.fixture(scope="module")
def doc(print_html):
    from danvan.export.pdf import layout

    d = layout(print_html)
    _index_parents(d)
    return d


# ---- walking the layout tree ------------------------------------------------------------------

def _classes(el) -> set[str]:
    return set((el.get("class") or "").split()) if el is not None else set()


_PARENTS: dict[int, object] = {}


def _parent(el):
    return _PARENTS.get(id(el))


def _index_parents(doc) -> None:
    root = doc.pages[0]._page_box.children[0].element  # <html>
    for parent in root.iter():
        for child in parent:
            _PARENTS[id(child)] = parent


def _ancestors_classes(box_el) -> set[str]:
    out: set[str] = set()
    el = box_el
    while el is not None:
        out |= _classes(el)
        el = _parent(el)
    return out


def text_boxes(page):
    from weasyprint.formatting_structure import boxes

    return [b for b in page._page_box.descendants() if isinstance(b, boxes.TextBox) and b.text.strip()]


def boxes_with_class(page, cls: str):
    return [b for b in page._page_box.descendants()
            if b.element is not None and cls in _classes(b.element) and b.element_tag != "#text"
            and not type(b).__name__.startswith(("Text", "Line", "Inline"))]


def first_text(page, cls: str):
    """Text boxes whose element (or an ancestor element up to 3 levels) has class ``cls``."""
    found = []
    for b in text_boxes(page):
        el, depth = b.element, 0
        while el is not None and depth < 4:
            if cls in _classes(el):
                found.append(b)
                break
            el, depth = _parent(el), depth + 1
    assert found, f"no text with class {cls!r} on the page"
    return found


def joined(boxes_) -> str:
    return " ".join(b.text.strip() for b in boxes_)


def right_edge(b) -> float:
    return b.position_x + b.margin_width()


def center(b) -> float:
    return b.position_x + b.margin_width() / 2


@pytest.fixture(scope="module")
def page1(doc):
    return doc.pages[0]


@pytest.fixture(scope="module")
def content_box(page1):
    """(left, right) x of the text area in px."""
    pb = page1._page_box
    left = pb.margin_left
    return left, page1.width - pb.margin_right


# ---- page ---------------------------------------------------------------------------------------

def test_a4_portrait_every_page(doc):
    assert len(doc.pages) >= 2
    for p in doc.pages:
        assert mm(p.width) == pytest.approx(210, abs=0.2)
        assert mm(p.height) == pytest.approx(297, abs=0.2)


def test_margins_within_the_decree(doc):
    for p in doc.pages:
        pb = p._page_box
        assert 20 <= round(mm(pb.margin_top), 1) <= 25
        assert 20 <= round(mm(pb.margin_bottom), 1) <= 25
        assert 30 <= round(mm(pb.margin_left), 1) <= 35
        assert 15 <= round(mm(pb.margin_right), 1) <= 20


def test_page_numbers_top_centre_from_page_2(doc):
    from weasyprint.formatting_structure import boxes

    for i, p in enumerate(doc.pages, start=1):
        margin = [c for c in p._page_box.children if isinstance(c, boxes.MarginBox)]
        texts = [(c, t) for c in margin for t in c.descendants() if isinstance(t, boxes.TextBox) and t.text.strip()]
        if i == 1:
            assert texts == [], "page 1 carries no page number"
            continue
        assert [c.at_keyword for c, _t in texts] == ["@top-center"], i
        box, t = texts[0]
        assert t.text.strip() == str(i)
        assert 13 <= pt(t.style["font_size"]) <= 14
        pb = p._page_box
        text_mid = (pb.margin_left + p.width - pb.margin_right) / 2
        assert center(t) == pytest.approx(text_mid, abs=1 * PX_PER_MM)  # centred over the text, as Word does
        assert t.position_y < p._page_box.margin_top  # in the top margin


def test_only_the_bundled_family_is_named_in_print(doc):
    from weasyprint.formatting_structure import boxes

    from danvan.export.pdf import PRINT_FAMILY

    families = set()
    for p in doc.pages:
        for b in p._page_box.descendants():
            if isinstance(b, boxes.TextBox):
                families.add(tuple(b.style["font_family"]))
    assert families == {(PRINT_FAMILY,)}


# ---- header block -------------------------------------------------------------------------------

def test_header_left_issuing_body(page1, content_box, reference_report):
    left, right = content_box
    mid = left + (right - left) * 0.44
    meta = reference_report.meta
    parent = first_text(page1, "parent")
    issuer = first_text(page1, "issuer")
    docno = first_text(page1, "docno")
    assert joined(parent) == meta["parent_body"].upper()
    assert joined(issuer) == meta["issuing_body"].upper()
    for b in parent:
        assert 12 <= pt(b.style["font_size"]) <= 13 and b.style["font_weight"] == 400
    for b in issuer:
        assert 12 <= pt(b.style["font_size"]) <= 13 and b.style["font_weight"] >= 700
    assert joined(docno).startswith("Số:") and joined(docno).endswith(f"/{meta['doc_code']}")
    assert 12.5 <= pt(docno[0].style["font_size"]) <= 13.5
    for b in parent + issuer + docno:  # the left column, centred on one axis
        assert right_edge(b) <= mid + 1
        assert center(b) == pytest.approx(center(issuer[0]), abs=3)
    assert parent[0].position_y < issuer[0].position_y < docno[0].position_y


def test_issuing_body_rule_is_a_third_to_a_half_of_its_width(page1):
    issuer = first_text(page1, "issuer")[0]
    rule = boxes_with_class(page1, "short")[0]
    assert rule.style["border_top_width"] > 0 and rule.style["border_top_style"] == "solid"
    ratio = rule.border_width() / issuer.width
    assert 1 / 3 <= ratio <= 1 / 2, ratio
    assert center(rule) == pytest.approx(center(issuer), abs=1.5)
    assert rule.position_y >= issuer.position_y + issuer.height  # below the text


def test_header_right_national_title_and_motto(page1, content_box, reference_report):
    from danvan.report.blocks import QUOC_HIEU, TIEU_NGU

    left, right = content_box
    mid = left + (right - left) * 0.44
    qh = first_text(page1, "quochieu")
    tn = first_text(page1, "tieungu")
    pd = first_text(page1, "placedate")
    assert len(qh) == 1 and qh[0].text == QUOC_HIEU  # capitals, on one line
    assert 12 <= pt(qh[0].style["font_size"]) <= 13 and qh[0].style["font_weight"] >= 700
    assert joined(tn) == TIEU_NGU
    assert 13 <= pt(tn[0].style["font_size"]) <= 14 and tn[0].style["font_weight"] >= 700
    assert joined(pd) == "Phường Đúc, ngày 19 tháng 12 năm 2023"
    for b in pd:
        assert 13 <= pt(b.style["font_size"]) <= 14 and b.style["font_style"] == "italic"
    for b in qh + tn + pd:
        assert b.position_x >= mid - 1 and right_edge(b) <= right + 1
        assert center(b) == pytest.approx(center(qh[0]), abs=3)
    assert qh[0].position_y < tn[0].position_y < pd[0].position_y


def test_motto_rule_as_long_as_the_line(page1):
    tn = first_text(page1, "tieungu")[0]
    rule = boxes_with_class(page1, "full")[0]
    assert rule.style["border_top_width"] > 0
    assert rule.border_width() == pytest.approx(tn.width, rel=0.02)
    assert center(rule) == pytest.approx(center(tn), abs=1.5)
    assert rule.position_y >= tn.position_y + tn.height


def test_title_and_subject_centred_bold_with_short_rule(page1, content_box, reference_report):
    left, right = content_box
    title = first_text(page1, "doc-title")
    subject = first_text(page1, "doc-subject")
    assert joined(title) == "BÁO CÁO"
    assert joined(subject) == reference_report.meta["subject"]
    for b in title + subject:
        assert 13 <= pt(b.style["font_size"]) <= 14 and b.style["font_weight"] >= 700
        assert center(b) == pytest.approx((left + right) / 2, abs=2)
    rule = boxes_with_class(page1, "subject")[0]
    assert rule.style["border_top_width"] > 0
    assert rule.border_width() < subject[0].width  # short
    assert center(rule) == pytest.approx((left + right) / 2, abs=2)
    assert rule.position_y >= subject[-1].position_y + subject[-1].height
    header_bottom = max(b.position_y for b in first_text(page1, "placedate") + first_text(page1, "docno"))
    assert title[0].position_y > header_bottom


# ---- body -------------------------------------------------------------------------------------

def _paragraph_boxes(doc):
    from weasyprint.formatting_structure import boxes

    out = []
    for p in doc.pages:
        for b in p._page_box.descendants():
            if isinstance(b, boxes.BlockBox) and b.element_tag == "p" and b.element is not None \
                    and "report" in _ancestors_classes(b.element):
                out.append((p, b))
    return out


def test_body_paragraphs_justified_indented_spaced(doc):
    paras = _paragraph_boxes(doc)
    assert len(paras) > 20
    for _p, b in paras:
        s = b.style
        assert s["text_align_all"] == "justify"
        assert pt(s["font_size"]) == pytest.approx(14)
        indent = s["text_indent"]
        indent = indent.value if hasattr(indent, "unit") else indent  # computed: px
        assert 1.0 <= indent / PX_PER_MM / 10 <= 1.27 + 1e-6
        mb = s["margin_bottom"]
        assert pt(mb.value if hasattr(mb, "unit") else mb) >= 6  # 6 pt between paragraphs
        lines = [c for c in b.children if type(c).__name__ == "LineBox"]
        for a_, b_ in zip(lines, lines[1:]):  # line spacing measured: single to 1.5 lines
            assert 1.0 <= (b_.position_y - a_.position_y) / s["font_size"] <= 1.5


def test_first_lines_indented_and_lines_fill_the_measure(doc, content_box):
    """Measured on the laid-out lines: the first line starts 1.27 cm in; the other lines start at
    the margin; every line but the last of a paragraph reaches the right margin (justified)."""
    from weasyprint.formatting_structure import boxes

    left, right = content_box
    checked = 0
    for _p, para in _paragraph_boxes(doc):
        lines = [c for c in para.children if isinstance(c, boxes.LineBox)]
        texts = [[t for t in ln.descendants() if isinstance(t, boxes.TextBox) and t.text.strip()] for ln in lines]
        texts = [t for t in texts if t]
        if len(texts) < 3:
            continue
        own = re.sub(r"\s+", " ", "".join(para.element.itertext())).strip()
        if not own.startswith(texts[0][0].text.strip()[:20]):
            continue  # the rest of a paragraph split across pages
        assert mm(texts[0][0].position_x - left) == pytest.approx(12.7, abs=0.3)
        for line in texts[1:]:
            assert line[0].position_x == pytest.approx(left, abs=0.5)
        for line in texts[:-1]:
            assert right_edge(line[-1]) == pytest.approx(right, abs=1.5)
        checked += 1
    assert checked > 10


def test_headings_bold_14pt(doc):
    heads = [t for p in doc.pages for t in text_boxes(p) if t.element_tag in ("h2", "h3")]
    assert {t.element_tag for t in heads} == {"h2", "h3"}
    for t in heads:
        assert t.style["font_weight"] >= 700 and pt(t.style["font_size"]) == pytest.approx(14)


def test_numbered_free_text_items_read_as_paragraphs(doc):
    """Markdown "1. …" items in free text: the number on the first (indented) line, like a
    paragraph, never alone on its own line."""
    from weasyprint.formatting_structure import boxes

    items = [b for p in doc.pages for b in p._page_box.descendants()
             if isinstance(b, boxes.BlockBox) and b.element_tag == "li"]
    firsts = 0
    for li in items:
        first_line = next(c for c in li.descendants() if isinstance(c, boxes.LineBox))
        words = re.sub(r"\s+", " ", "".join(t.text for t in first_line.descendants()
                                              if isinstance(t, boxes.TextBox))).strip()
        own = re.sub(r"\s+", " ", "".join(li.element.itertext())).strip()
        body = re.sub(r"^\d+\.\s*", "", words)
        if not own.startswith(body[:30]):
            continue  # the rest of an item split across pages
        assert re.match(r"^\d+\. \S+ \S+", words), words
        firsts += 1
    assert firsts >= 5


def test_amount_in_words_under_the_budget_chart(print_html, reference_report):
    from danvan.core.vnwords import amount_in_words

    n = int(reference_report.figs.raw("REV_TOTAL"))
    assert f"Bằng chữ: {amount_in_words(n)}" in print_html
    assert "Bằng chữ: Bảy tỷ chín trăm sáu mươi bảy triệu năm trăm chín mươi hai nghìn một trăm bảy mươi tám đồng" \
        in print_html


# ---- end block --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def end_page(doc):
    for p in reversed(doc.pages):
        if boxes_with_class(p, "noinhan"):
            return p
    raise AssertionError("no end block")


def test_recipients_block(end_page, content_box):
    left, right = content_box
    col = [t for t in first_text(end_page, "noinhan")]
    label, lines = col[0], col[1:]
    assert label.text == "Nơi nhận:"
    assert pt(label.style["font_size"]) == pytest.approx(12)
    assert label.style["font_weight"] >= 700 and label.style["font_style"] == "italic"
    texts = [t.text for t in lines]
    assert len(texts) >= 2
    for t in texts[:-1]:
        assert t.startswith("- ") and t.endswith(";"), t
    assert texts[-1] == "- Lưu: VT."
    for t in lines:
        assert pt(t.style["font_size"]) == pytest.approx(11)
        assert t.position_x == pytest.approx(left, abs=1)  # at the left
        assert t.style["font_weight"] == 400


def test_signature_block(end_page, content_box, reference_report):
    left, right = content_box
    auth = first_text(end_page, "auth")
    signer = first_text(end_page, "signer")
    assert [t.text for t in auth] == [a.upper() for a in reference_report.meta["signing_authority"]]
    for t in auth:
        assert 13 <= pt(t.style["font_size"]) <= 14 and t.style["font_weight"] >= 700
        assert t.text == t.text.upper()
        assert center(t) > (left + right) / 2  # right half
    assert joined(signer) == "Nguyễn Văn Thử"
    assert signer[0].style["font_weight"] >= 700
    assert signer[0].position_y > auth[-1].position_y + 40  # room to sign
    assert center(signer[0]) == pytest.approx(center(auth[0]), abs=2)


def test_provenance_small_after_the_signature(doc, end_page):
    last = doc.pages[-1]
    prov = first_text(last, "provenance")
    assert any("Nguồn gốc báo cáo" in t.text for t in prov)
    assert max(pt(t.style["font_size"]) for t in prov) <= 8
    if last is end_page:
        signer = first_text(end_page, "signer")[0]
        assert min(t.position_y for t in prov) > signer.position_y


def test_official_print_hides_analyst_and_qa_cells(print_html):
    assert "Ghi chú của người phân tích" not in print_html
    assert "KIỂM TRA NỘI BỘ" not in print_html


# ---- metadata comes from data and parameters; screen HTML uses the same layout ---------------

def test_metadata_from_parameters_not_hard_coded(reference_report):
    from danvan.report.ward import WardReport

    other = WardReport(reference_report.figs, {
        "parent_body": "UBND HUYỆN THỬ", "issuing_body": "UBND XÃ THỬ NGHIỆM", "number": "07",
        "place": "Thử Nghiệm", "date": "2024-02-05", "subject": "Công tác thử năm 2023",
        "signing_authority": ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], "signer": "Trần Thị B",
        "recipients": ["UBND huyện Thử", "Lưu: VT, VP"]})
    head, end = other.header().html, other.end().html
    for s in ["UBND HUYỆN THỬ", "UBND XÃ THỬ NGHIỆM", "Số: 07/BC-UBND", "Thử Nghiệm, ngày 05 tháng 02 năm 2024",
              "Công tác thử năm 2023"]:
        assert s in head
    for s in ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Thị B", "- UBND huyện Thử;", "- Lưu: VT, VP."]:
        assert s in end
    assert "Đúc" not in head + end


def test_recipients_always_end_with_luu_vt(reference_report):
    from danvan.report.ward import WardReport

    r = WardReport(reference_report.figs, {"recipients": ["- Lưu: VT.", "UBND thành phố;", "Ban Dân vận"]})
    assert r.end().data["recipients"] == ["- UBND thành phố;", "- Ban Dân vận;", "- Lưu: VT."]
    r = WardReport(reference_report.figs, {"recipients": ["UBND thành phố"]})
    assert r.end().data["recipients"] == ["- UBND thành phố;", "- Lưu: VT."]


@pytest.mark.parametrize("path", ["danvan/export/pdf.py", "danvan/export/word.py", "danvan/report/static/report.css",
                                  "danvan/report/static/report-screen.css", "danvan/report/style.py",
                                  "danvan/run/templates/portal.html.j2", "danvan/run/static/portal.js",
                                  "danvan/run/static/portal.css",
                                  "danvan/export/templates/report.html.j2", *sorted(
                                      str(p.relative_to(REPO)) for p in (REPO / "danvan" / "report" / "templates" / "html").glob("*.j2"))])
def test_no_ward_hard_coded_in_layout_code(path):
    text = unicodedata.normalize("NFC", (REPO / path).read_text(encoding="utf-8"))
    for ward in ("Đúc", "19780", "Huế"):
        assert ward not in text, (path, ward)


def test_screen_html_same_layout_lean_fonts(notebook):
    from danvan.export.html import export_html

    html = export_html(notebook, title="Báo cáo", provenance=PROVENANCE)
    assert 'class="report"' in html and "nd30-header" in html and "nd30-end" in html
    assert "@font-face" not in html and "file://" not in html  # the screen page stays lean
    assert html.count("<svg") == 4 and "<text" not in html  # charts: glyphs as paths on screen


def test_print_charts_keep_text_as_text(notebook, print_html):
    from danvan.export.pdf import print_notebook

    import base64
    import re

    svgs = [base64.b64decode(b).decode("utf-8")
            for b in re.findall(r'<img class="chart" alt="[^"]*" src="data:image/svg\+xml;base64,([^"]+)"', print_html)]
    assert len(svgs) == 4 and "<svg" not in print_html  # drawn as images: no CSS cascade over SVG nodes
    assert all("<text" in svg for svg in svgs) and any("Dự toán giao" in svg for svg in svgs)
    assert print_notebook(notebook) is not notebook  # the executed notebook is not modified
    assert "<text" not in nbformat.writes(notebook)


def test_print_stylesheet_names_only_the_bundled_family_even_for_code_and_lists():
    """The user-agent sheet asks monospace for code/pre; the print sheet overrides every element."""
    from weasyprint.formatting_structure import boxes

    from danvan.export.pdf import PRINT_FAMILY, layout

    d = layout('<html><body><main class="report print"><p>Tiếng <code>mã</code> <kbd>phím</kbd></p>'
               '<pre>khối mã</pre><ol><li>mục</li></ol><footer class="provenance">nguồn</footer>'
               '<p style="font-family: sans-serif">không chân</p></main></body></html>')
    fams = {tuple(b.style["font_family"]) for p in d.pages for b in p._page_box.descendants()
            if isinstance(b, (boxes.TextBox, boxes.InlineBox, boxes.BlockBox))}
    assert fams == {(PRINT_FAMILY,)}
