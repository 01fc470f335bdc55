"""NĐ 30/2020/NĐ-CP (Phụ lục I) layout of the printed report, measured on the PDF Typst makes of the
reference report (positions, sizes and faces of its lines, its rules), without a kernel.

The report notebook's outputs are rebuilt in-process from the report blocks (the same
``_repr_mimebundle_`` a kernel would display) and exported to PDF once per module. Units: PDF
points from the bottom left. Rules: ../shared/design/vietnamese.md ("Document layout").
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from _pdf import (A4, BUNDLED_FACE, MM, TEXT_LEFT, TEXT_RIGHT, embedded_fonts, find, lines, page_count, page_texts,
                  rules, text_in_rect)
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

REPO = Path(__file__).resolve().parents[1]
INDENT = 1.27 / 2.54 * 72  # 1.27 cm
BODY = 14.0
PROVENANCE = {"data": "kho test.sqlite sha256:0", "notebook": "ward_report.ipynb sha256:0",
              "parameters": '{"unit_code": "19780", "year": 2023}', "catalogue": "danvan-core",
              "code": "git 0", "packages": "python 3"}


# ---- building the report without a kernel -----------------------------------------------------

def report_notebook(report, *, extra_tagged: bool = True):
    """A notebook shaped like an executed ward_report.ipynb: one display output per block."""
    blocks = [report.header(), report.part("I"), report.part("II")]
    blocks += [report.chart(name) for name in report.chart_names()]
    blocks += [report.part("III"), report.part("IV"), report.end()]
    cells = [new_markdown_cell("# Ghi chú của người phân tích", metadata={"tags": ["analyst-only"]})]
    for b in blocks:
        bundle = b._repr_mimebundle_()
        cells.append(new_code_cell("", outputs=[new_output("display_data", data=bundle)]))
    if extra_tagged:
        qa = new_code_cell("", metadata={"tags": ["qa"]}, outputs=[new_output("display_data", data={
            "text/html": '<div class="qa">KIỂM TRA NỘI BỘ</div>', "text/plain": "qa",
            "application/vnd.danvan.block+json": {"kind": "paragraphs", "paragraphs": ["KIỂM TRA NỘI BỘ"]}})])
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
def pdf(notebook) -> bytes:
    from danvan.export.pdf import notebook_to_pdf

    return notebook_to_pdf(notebook, title="Báo cáo", provenance=PROVENANCE)


@pytest.fixture(scope="module")
def pages(pdf) -> list[list]:
    return [lines(pdf, i) for i in range(page_count(pdf))]


@pytest.fixture(scope="module")
def page1(pages):
    return pages[0]


@pytest.fixture(scope="module")
def end_index(pages) -> int:
    return next(i for i in reversed(range(len(pages))) if any(ln.text == "Nơi nhận:" for ln in pages[i]))


# ---- page -------------------------------------------------------------------------------------

def test_a4_portrait_every_page(pdf):
    import pypdf
    import io

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    for p in reader.pages:
        assert float(p.mediabox.width) == pytest.approx(A4[0], abs=0.5)
        assert float(p.mediabox.height) == pytest.approx(A4[1], abs=0.5)


def test_nothing_printed_in_the_margins(pages, pdf):
    """Text between the left (30 mm) and right (15 mm) margins, above the bottom one (20 mm); only
    the page number in the top one (20 mm); so are the rules."""
    for i, page in enumerate(pages):
        for ln in page:
            assert TEXT_LEFT - 0.5 <= ln.left and ln.right <= TEXT_RIGHT + 0.5, (i, ln.text)
            assert ln.bottom >= 20 * MM - 1, (i, ln.text)
            if ln.top > A4[1] - 20 * MM:
                assert re.fullmatch(r"\d+", ln.text) and i > 0, (i, ln.text)
        for left, bottom, right, top in rules(pdf, i):
            assert TEXT_LEFT - 1 <= left and right <= TEXT_RIGHT + 1 and bottom >= 20 * MM


def test_page_numbers_top_centre_from_page_2(pdf, pages):
    top = (0, A4[1] - 20 * MM, A4[0], A4[1])
    assert text_in_rect(pdf, 0, *top).strip() == "", "page 1 carries no page number"
    for i, page in enumerate(pages[1:], start=2):
        number = [ln for ln in page if ln.bottom > A4[1] - 20 * MM]
        assert [ln.text for ln in number] == [str(i)]
        assert 13 <= number[0].size <= 14
        assert number[0].center == pytest.approx((TEXT_LEFT + TEXT_RIGHT) / 2, abs=1 * MM)  # over the text, as Word
        mid = A4[1] - 10 * MM  # the middle of the top margin
        assert (number[0].bottom + number[0].top) / 2 == pytest.approx(mid, abs=3 * MM)


def test_only_the_bundled_faces(pdf, pages):
    names = embedded_fonts(pdf)
    assert names and all(BUNDLED_FACE.match(n) for n in names), names
    assert {"Regular", "Bold", "Italic", "BoldItalic"} >= {f for page in pages for ln in page for f in ln.faces}


# ---- header block -------------------------------------------------------------------------------

HEADER_MID = TEXT_LEFT + (TEXT_RIGHT - TEXT_LEFT) * 0.44  # the left column: 44 % of the text width


def test_header_left_issuing_body(page1, reference_report):
    meta = reference_report.meta
    parent = find(page1, meta["parent_body"].upper())
    issuer = find(page1, meta["issuing_body"].upper())
    docno = next(ln for ln in page1 if ln.text.startswith("Số:"))
    assert parent.size == 13 and parent.faces == {"Regular"}
    assert issuer.size == 13 and issuer.bold
    assert docno.size == 13 and docno.text.endswith(f"/{meta['doc_code']}")
    for ln in (parent, issuer, docno):  # the left column, centred on one axis
        assert ln.right <= HEADER_MID + 1
        assert ln.center == pytest.approx(issuer.center, abs=3)
    assert parent.baseline > issuer.baseline > docno.baseline


def _rule_under(pdf, line):
    """The horizontal rule right under a line of text."""
    below = [r for r in rules(pdf, 0) if line.bottom - 12 < r[3] <= line.bottom + 1
             and line.left <= (r[0] + r[2]) / 2 <= line.right]
    assert below, f"no rule under {line.text!r}"
    return max(below, key=lambda r: r[3])


def test_issuing_body_rule_is_a_third_to_a_half_of_its_width(pdf, page1, reference_report):
    issuer = find(page1, reference_report.meta["issuing_body"].upper())
    left, _b, right, _t = _rule_under(pdf, issuer)
    assert 1 / 3 <= (right - left) / issuer.width <= 1 / 2
    assert (left + right) / 2 == pytest.approx(issuer.center, abs=1.5)


def test_header_right_national_title_and_motto(page1):
    from danvan.report.blocks import QUOC_HIEU, TIEU_NGU

    qh, tn = find(page1, QUOC_HIEU), find(page1, TIEU_NGU)  # capitals, each on one line
    pd = find(page1, "Phường Đúc, ngày 19 tháng 12 năm 2023")
    assert qh.size == 12 and qh.bold
    assert tn.size == 13 and tn.bold
    assert pd.size == 13 and pd.italic
    for ln in (qh, tn, pd):
        assert ln.left >= HEADER_MID - 1 and ln.right <= TEXT_RIGHT + 1
        assert ln.center == pytest.approx(qh.center, abs=3)
    assert qh.baseline > tn.baseline > pd.baseline


def test_motto_rule_as_long_as_the_line(pdf, page1):
    from danvan.report.blocks import TIEU_NGU

    tn = find(page1, TIEU_NGU)
    left, _b, right, _t = _rule_under(pdf, tn)
    assert right - left == pytest.approx(tn.width, rel=0.03)
    assert (left + right) / 2 == pytest.approx(tn.center, abs=1.5)


def test_title_and_subject_centred_bold_with_short_rule(pdf, page1, reference_report):
    title, subject = find(page1, "BÁO CÁO"), find(page1, reference_report.meta["subject"])
    mid = (TEXT_LEFT + TEXT_RIGHT) / 2
    for ln in (title, subject):
        assert ln.size == 14 and ln.bold
        assert ln.center == pytest.approx(mid, abs=2)
    left, _b, right, _t = _rule_under(pdf, subject)
    assert 0 < right - left < subject.width  # short
    assert (left + right) / 2 == pytest.approx(mid, abs=2)
    header_bottom = min(ln.bottom for ln in page1 if ln.text.startswith("Số:") or ln.text.startswith("Phường Đúc,"))
    assert title.top < header_bottom


# ---- body -------------------------------------------------------------------------------------

def _paragraphs(pages):
    """Body paragraphs (14 pt, not bold) whose first line is on the page: lists of lines. A
    paragraph starts at an indented line or after a gap of more than a line."""
    out = []
    for page in pages:
        cur = []
        for ln in page:
            body = ln.sizes == {BODY} and not ln.bold
            starts = abs(ln.start - (TEXT_LEFT + INDENT)) < 2
            gap = cur and cur[-1].baseline - ln.baseline > BODY * 1.3 + 1
            if not body or starts or gap:
                if cur:
                    out.append(cur)
                cur = []
            if body:
                cur.append(ln)
        if cur:
            out.append(cur)
    return [p for p in out if abs(p[0].start - (TEXT_LEFT + INDENT)) < 2]


def test_body_justified_indented_spaced(pages):
    """Measured on the laid-out lines: 14 pt; the first line starts 1.27 cm in, the other lines at
    the margin; every line but a paragraph's last reaches the right margin (justified); lines
    1.0-1.5 lines apart; at least 6 pt between paragraphs."""
    paras = _paragraphs(pages)
    assert len(paras) > 20
    checked = 0
    for para in paras:
        assert para[0].start - TEXT_LEFT == pytest.approx(INDENT, abs=0.3 * MM)
        for ln in para[1:]:
            assert ln.start == pytest.approx(TEXT_LEFT, abs=0.5), ln.text
        for ln in para[:-1]:
            assert ln.right == pytest.approx(TEXT_RIGHT, abs=1.5), ln.text
        for a, b in zip(para, para[1:]):
            assert 1.0 <= (a.baseline - b.baseline) / BODY <= 1.5
        checked += len(para) >= 3
    assert checked > 10
    gaps = [a[-1].baseline - b[0].baseline for page in pages for a, b in zip(_paragraphs([page]), _paragraphs([page])[1:])]
    assert gaps and min(gaps) >= BODY * 1.3 + 6 - 0.5


def test_headings_bold_14pt_never_last_on_a_page(pages, reference_report):
    heads = [ln for page in pages for ln in page if re.match(r"^(I|II|III|IV|\d)\. \S", ln.text) and ln.bold]
    texts = [ln.text for ln in heads]
    for h in ("I. Về công tác lãnh đạo, chỉ đạo", "II. Kết quả thực hiện", "III. Đánh giá chung",
              "IV. Nhiệm vụ, giải pháp thời gian tới"):
        assert h in texts, h
    for ln in heads:
        assert ln.size == BODY
    for page in pages[:-1]:
        body = [ln for ln in page if ln.sizes == {BODY}]
        assert not body[-1].bold, body[-1].text


def test_numbered_free_text_items_read_as_paragraphs(pages):
    """Markdown "1. …" items in free text: the number on the first (indented) line, like a
    paragraph, never alone on its own line."""
    items = [p[0] for p in _paragraphs(pages) if re.match(r"^\d+\.", p[0].text)]
    assert len(items) >= 5
    for ln in items:
        assert re.match(r"^\d+\. \S+ \S+", ln.text), ln.text


def test_amount_in_words_under_the_budget_chart(pdf, reference_report):
    from danvan.core.vnwords import amount_in_words

    text = re.sub(r"\s+", " ", " ".join(page_texts(pdf)))
    n = int(reference_report.figs.raw("REV_TOTAL"))
    assert f"Bằng chữ: {amount_in_words(n)}" in text
    assert "Bằng chữ: Bảy tỷ chín trăm sáu mươi bảy triệu năm trăm chín mươi hai nghìn một trăm bảy mươi tám đồng" \
        in text


def test_charts_full_width_with_their_labels_as_text(pdf, pages, notebook):
    """Four charts as wide as the text (their white backgrounds), their labels text in the PDF
    (9 pt in the chart), each chart's title 10 pt bold."""
    from _pdf import filled_boxes

    boxes = [b for i in range(len(pages)) for b in filled_boxes(pdf, i, min_width=100)]
    full = [b for b in boxes if b[0] == pytest.approx(TEXT_LEFT, abs=1) and b[2] == pytest.approx(TEXT_RIGHT, abs=1)]
    assert len(full) == 4 and all(TEXT_LEFT - 1 <= b[0] and b[2] <= TEXT_RIGHT + 1 for b in boxes)
    found = {ln.text: ln for page in pages for ln in page}
    for label in ("Dự toán giao", "Tổng thu ngân sách", "Nhân khẩu đủ điều kiện", "Tin về an ninh trật tự"):
        assert found[label].size == 9, label
    titles = [b["spec"]["title"] for c in notebook.cells for o in c.get("outputs", [])
              for b in [o["data"].get("application/vnd.danvan.block+json", {})] if b.get("kind") == "chart"]
    assert len(titles) == 4
    for t in titles:
        assert found[t].bold and found[t].size == 10, t


# ---- end block --------------------------------------------------------------------------------

def test_recipients_block(pages, end_index):
    page = pages[end_index]
    label = find(page, "Nơi nhận:")
    assert label.size == 12 and label.bold and label.italic
    lines_ = [ln for ln in page if ln.text.startswith("- ") and ln.size == 11]
    texts = [ln.text for ln in lines_]
    assert len(texts) >= 2
    for t in texts[:-1]:
        assert t.endswith(";"), t
    assert texts[-1] == "- Lưu: VT."
    for ln in lines_:
        assert ln.left == pytest.approx(TEXT_LEFT, abs=1) and ln.faces == {"Regular"}
        assert ln.baseline < label.baseline


def test_signature_block(pages, end_index, reference_report):
    page = pages[end_index]
    auth = [find(page, a.upper()) for a in reference_report.meta["signing_authority"]]
    signer = find(page, "Nguyễn Văn Thử")
    for ln in auth:
        assert 13 <= ln.size <= 14 and ln.bold
        assert ln.center > (TEXT_LEFT + TEXT_RIGHT) / 2  # right half
    assert signer.bold and signer.size == 14
    assert auth[-1].baseline - signer.baseline > 40  # room to sign
    assert signer.center == pytest.approx(auth[0].center, abs=2)
    assert find(page, "Nơi nhận:").baseline == pytest.approx(auth[0].baseline, abs=3)  # side by side


def test_provenance_small_after_the_signature(pages, end_index):
    last = pages[-1]
    title = find(last, "Nguồn gốc báo cáo (tái lập được)")
    prov = [ln for ln in last if ln.baseline <= title.baseline]
    assert max(s for ln in prov for s in ln.sizes) <= 8
    for label in ("Số liệu", "Sổ tay (notebook)", "Tham số", "Danh mục chỉ tiêu", "Mã nguồn", "Phiên bản gói"):
        assert any(ln.text.startswith(label + " ") for ln in prov), label
    if end_index == len(pages) - 1:
        assert title.baseline < find(last, "Nguyễn Văn Thử").baseline


def test_official_pdf_drops_analyst_and_qa_cells(pdf):
    text = " ".join(page_texts(pdf))
    assert "Ghi chú của người phân tích" not in text and "KIỂM TRA NỘI BỘ" not in text


# ---- metadata comes from data and parameters; the screen HTML ---------------------------------

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
                                  "danvan/export/templates/report.html.j2", "danvan/export/templates/report.typ",
                                  *sorted(str(p.relative_to(REPO)) for p in
                                          (REPO / "danvan" / "report" / "templates" / "html").glob("*.j2"))])
def test_no_ward_hard_coded_in_layout_code(path):
    text = unicodedata.normalize("NFC", (REPO / path).read_text(encoding="utf-8"))
    for ward in ("Đúc", "19780", "Huế"):
        assert ward not in text, (path, ward)


def test_screen_html_same_layout_with_its_charts_font(notebook):
    from danvan.export.html import export_html

    html = export_html(notebook, title="Báo cáo", provenance=PROVENANCE)
    assert 'class="report"' in html and "nd30-header" in html and "nd30-end" in html
    assert html.count("<svg") == 4 and "<text" in html  # charts: text as text ...
    assert html.count("@font-face") in (2, 3) and "data:font/woff2;base64," in html  # ... in the embedded subset
    assert "file://" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") \
        .replace("http://www.w3.org/1999/xlink", "").replace("http://purl.org/dc/", "") \
        .replace("http://creativecommons.org/ns#", "").replace("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "")
    assert len(html.encode()) <= 300_000  # lean
