"""Word export (danvan.export.word): the report as .docx in the NĐ 30/2020 layout, rebuilt from the
block JSON of an executed notebook.

The notebook is rebuilt in-process from the report blocks (what a kernel would display), so these
tests need no kernel; tests/test_pdf.py checks the .docx written by a real `render`.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import unicodedata

import docx
import pytest
from docx.shared import Cm, Pt
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

FIGURES = ["7.967.592.178", "5.269.000.000", "151%", "2.209.152.000", "112%", "9/9", "95,2%", "139.100.000",
           "387.000.000", "98,75%", "9.858", "6.748", "75,07%", "4.592", "4.413", "46,58%"]
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _notebook(report):
    blocks = [report.header(), report.part("I"), report.part("II")]
    blocks += [report.chart(name) for name in report.chart_names()]
    blocks += [report.part("III"), report.part("IV"), report.end()]
    cells = [new_markdown_cell("Ghi chú nội bộ của người phân tích", metadata={"tags": ["analyst-only"]}),
             new_markdown_cell("Ô ghi chú **chính thức** của sổ tay.")]
    cells += [new_code_cell("", outputs=[new_output("display_data", data=b._repr_mimebundle_())]) for b in blocks]
    cells.append(new_code_cell("", metadata={"tags": ["qa"]}, outputs=[new_output(
        "display_data", data={"text/plain": "qa", "application/vnd.danvan.block+json": {
            "kind": "paragraphs", "paragraphs": ["KIỂM TRA NỘI BỘ"]}})]))
    cells.append(new_code_cell("print('x')", outputs=[new_output("stream", name="stdout", text="luồng in ra\n")]))
    return new_notebook(cells=cells, metadata={"papermill": {"parameters": {"unit_code": "19780", "year": 2023}}})


@pytest.fixture(scope="module")
def report(reference_db, tmp_path_factory):
    from danvan.report.ward import WardReport

    db = tmp_path_factory.mktemp("docx-db") / "store.sqlite"
    shutil.copy(reference_db, db)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DANVAN_CATALOGUE", raising=False)
        mp.setenv("MPLBACKEND", "Agg")
        return WardReport.load("19780", 2023, db=str(db), meta={"signer": "Nguyễn Văn Thử"})


@pytest.fixture(scope="module")
def docx_bytes(report) -> bytes:
    from danvan.export.word import notebook_to_docx

    return notebook_to_docx(_notebook(report), title="Báo cáo công tác Dân vận Chính quyền năm 2023")


@pytest.fixture(scope="module")
def document(docx_bytes):
    return docx.Document(io.BytesIO(docx_bytes))


def all_text(d) -> str:
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            for cell in row.cells:
                parts += [p.text for p in cell.paragraphs]
    return "\n".join(parts)


def para(d, text: str):
    return next(p for p in d.paragraphs if p.text == text)


def cell_paras(d, table_index: int, col: int):
    return [p for p in d.tables[table_index].rows[0].cells[col].paragraphs if p.text.strip()]


# ---- page -------------------------------------------------------------------------------------

def test_opens_a4_with_the_decree_margins(document):
    sec = document.sections[0]
    assert sec.page_width.mm == pytest.approx(210, abs=0.1) and sec.page_height.mm == pytest.approx(297, abs=0.1)
    assert sec.orientation == 0  # portrait
    assert 20 <= round(sec.top_margin.mm, 1) <= 25 and 20 <= round(sec.bottom_margin.mm, 1) <= 25
    assert 30 <= round(sec.left_margin.mm, 1) <= 35 and 15 <= round(sec.right_margin.mm, 1) <= 20


def test_body_style_14pt_justified_indented(document):
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)
    pf = normal.paragraph_format
    assert pf.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.JUSTIFY
    assert Cm(1.0) <= pf.first_line_indent <= Cm(1.27) + 1
    assert pf.space_after >= Pt(6)
    assert 1.0 <= pf.line_spacing <= 1.5
    rfonts = normal.element.rPr.find(f"{W_NS}rFonts")
    assert {rfonts.get(f"{W_NS}{k}") for k in ("ascii", "hAnsi", "cs", "eastAsia")} == {"Times New Roman"}


def test_page_number_top_centre_not_on_first_page(document):
    sec = document.sections[0]
    assert sec.different_first_page_header_footer
    head = sec.header.paragraphs[0]
    assert head.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    instr = "".join(e.text or "" for e in head._p.iter(f"{W_NS}instrText"))
    assert instr.strip() == "PAGE"
    assert [e.get(f"{W_NS}fldCharType") for e in head._p.iter(f"{W_NS}fldChar")] == ["begin", "separate", "end"]
    assert all(r.font.size in (Pt(13), Pt(14)) for r in head.runs)
    first = sec.first_page_header
    assert not list(first._element.iter(f"{W_NS}instrText")) and not "".join(p.text for p in first.paragraphs).strip()


# ---- header -----------------------------------------------------------------------------------

def test_header_table_texts_and_formats(document, report):
    from danvan.report.blocks import QUOC_HIEU, TIEU_NGU

    m = report.meta
    left, right = cell_paras(document, 0, 0), cell_paras(document, 0, 1)
    assert [p.text for p in left] == [m["parent_body"].upper(), m["issuing_body"].upper(),
                                      "Số: \u2007\u2007\u2007\u2007\u2007\u2007/BC-UBND"]
    assert [p.text for p in right] == [QUOC_HIEU, TIEU_NGU, "Phường Đúc, ngày 19 tháng 12 năm 2023"]
    parent, issuer, docno = left
    assert all(r.font.size == Pt(13) and not r.font.bold for r in parent.runs)
    assert all(r.font.size == Pt(13) and r.font.bold for r in issuer.runs)
    qh, tn, pd = right
    assert all(r.font.size == Pt(12) and r.font.bold for r in qh.runs)
    assert all(r.font.size == Pt(13) and r.font.bold for r in tn.runs)
    assert all(r.font.italic and Pt(13) <= r.font.size <= Pt(14) for r in pd.runs)
    for p in left + right:
        assert p.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER


def test_header_rules_and_borderless_table(document):
    tbl = document.tables[0]._tbl
    borders = tbl.tblPr.find(f"{W_NS}tblBorders")
    assert borders is not None and {e.get(f"{W_NS}val") for e in borders} == {"nil"}
    cells = document.tables[0].rows[0].cells
    rules = [[p for p in c.paragraphs if p._p.find(f"{W_NS}pPr/{W_NS}pBdr/{W_NS}top") is not None] for c in cells]
    assert len(rules[0]) == 1 and len(rules[1]) == 1  # under the issuing body; under the Tiêu ngữ
    # the issuing body's rule is narrower (1/3-1/2 of the name) than the Tiêu ngữ's (its full width)
    w_left = cells[0].width - rules[0][0].paragraph_format.left_indent * 2
    w_right = cells[1].width - rules[1][0].paragraph_format.left_indent * 2
    assert 0 < w_left < w_right


def test_title_and_subject(document, report):
    for text in ("BÁO CÁO", report.meta["subject"]):
        p = para(document, text)
        assert p.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
        assert all(r.font.bold and r.font.size == Pt(14) for r in p.runs)


# ---- content ----------------------------------------------------------------------------------

@pytest.mark.parametrize("figure", FIGURES)
def test_headline_figures(document, figure):
    assert re.search(r"(?<![\d.,])" + re.escape(figure) + r"(?![\d]|[.,]\d)", all_text(document)), figure


def test_amount_in_words_and_nfc(document):
    text = all_text(document)
    assert "(Bằng chữ: Bảy tỷ chín trăm sáu mươi bảy triệu năm trăm chín mươi hai nghìn một trăm bảy mươi tám đồng)" \
        in text
    assert unicodedata.is_normalized("NFC", text)
    assert "Phường Đúc" in text


def test_headings_and_free_text_lists(document):
    heads = [p for p in document.paragraphs if p.style.name in ("Heading 2", "Heading 3")]
    assert [p.text for p in heads if p.style.name == "Heading 2"][:4] == [
        "I. Về công tác lãnh đạo, chỉ đạo", "II. Kết quả thực hiện", "III. Đánh giá chung",
        "IV. Nhiệm vụ, giải pháp thời gian tới"]
    assert any(p.text.startswith("1. Tăng cường lãnh đạo") for p in document.paragraphs)
    assert any(p.text.startswith("7. ") for p in document.paragraphs)


def test_charts_as_pictures_full_width(document):
    shapes = document.inline_shapes
    assert len(shapes) == 4
    for s in shapes:
        assert s.width.mm == pytest.approx(165, abs=1)


def test_notebook_markdown_kept_analyst_and_qa_skipped(document):
    text = all_text(document)
    p = para(document, "Ô ghi chú chính thức của sổ tay.")
    assert any(r.bold for r in p.runs if r.text == "chính thức")
    for hidden in ("Ghi chú nội bộ", "KIỂM TRA NỘI BỘ", "luồng in ra", "print("):
        assert hidden not in text


def test_end_block(document):
    left, right = cell_paras(document, -1, 0), cell_paras(document, -1, 1)
    label, *lines = left
    assert label.text == "Nơi nhận:"
    assert all(r.bold and r.italic and r.font.size == Pt(12) for r in label.runs)
    assert [p.text for p in lines] == ["- UBND thành phố Huế;", "- Ban Dân vận Thành ủy Huế;", "- Đảng ủy phường;",
                                       "- Lưu: VT."]
    assert all(r.font.size == Pt(11) for p in lines for r in p.runs)
    assert [p.text for p in right] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn Thử"]
    assert all(r.bold and r.font.size == Pt(14) for p in right for r in p.runs)


def test_markdown_features():
    from danvan.export.word import notebook_to_docx

    md = "Đoạn **đậm** và *nghiêng*  \nxuống dòng\n\n- một\n- hai\n\n3. ba\n4. bốn\n\n> trích dẫn\n"
    nb = new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data={
        "text/plain": "", "application/vnd.danvan.block+json": {"kind": "markdown", "markdown": md}})])])
    d = docx.Document(io.BytesIO(notebook_to_docx(nb, title="t")))
    texts = [p.text for p in d.paragraphs if p.text]
    assert texts == ["Đoạn đậm và nghiêng\nxuống dòng", "- một", "- hai", "3. ba", "4. bốn", "trích dẫn"]
    runs = {r.text: r for r in d.paragraphs[0].runs}
    assert runs["đậm"].bold and runs["nghiêng"].italic


def _docx_of(blocks: list[dict], **kw):
    from danvan.export.word import notebook_to_docx

    nb = new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data={
        "text/plain": "", "application/vnd.danvan.block+json": b}) for b in blocks])])
    return docx.Document(io.BytesIO(notebook_to_docx(nb, title="t", **kw)))


def test_charts_are_the_notebooks_svgs_rendered_by_typst(report, monkeypatch):
    """Word's pictures are PNGs Typst renders from the SVG each chart block carries: the same
    picture as the PDF's, and no chart is drawn again."""
    from danvan.export.charts import ReportCharts
    from danvan.export.typesetter import svg_to_png

    block = report.chart("budget").to_json()
    monkeypatch.setattr("danvan.export.charts.render_svg", lambda *_a: pytest.fail("chart drawn again"))
    charts = ReportCharts()
    d = _docx_of([block], charts=charts)
    (blob,) = [r.target_part.blob for r in d.part.rels.values() if "image" in r.reltype]
    assert blob == svg_to_png(block["svg"], ppi=200) and charts.drawn == 0


def test_provenance_footer_and_keywords():
    prov = {"data": "kho x.sqlite sha256:4b4f", "data_fingerprint": "4b4f" + "0" * 60, "git_commit": "184c1883" * 5,
            "code_digest": "2dc1" + "4" * 60, "notebook_sha256": "0b26" + "1" * 60, "code": "git 184c, sha256:2dc1",
            "packages": "python 3.11, typst 0.15.2"}
    d = _docx_of([{"kind": "paragraphs", "paragraphs": ["Nội dung."]}], provenance=prov)
    texts = [p.text for p in d.paragraphs]
    assert texts[texts.index("Nguồn gốc báo cáo (tái lập được)") + 1:] == [
        "Số liệu: kho x.sqlite sha256:4b4f", "Mã nguồn: git 184c, sha256:2dc1", "Phiên bản gói: python 3.11, typst 0.15.2"]
    kw = d.core_properties.keywords
    assert len(kw) <= 255 and f"danvan:data-sha256={prov['data_fingerprint']}" in kw
    assert f"danvan:git={prov['git_commit']}" in kw


def test_missing_figures_red_italic_as_in_the_html():
    d = _docx_of([{"kind": "paragraphs", "paragraphs": ["Tổng thu: chưa có số liệu."],
                   "runs": [[{"text": "Tổng thu: "}, {"text": "chưa có số liệu", "missing": True}, {"text": "."}]]},
                  {"kind": "paragraphs", "paragraphs": ["Ghi chú nghiêng."], "italic": True}])
    first, second = d.paragraphs[:2]
    assert first.text == "Tổng thu: chưa có số liệu."
    runs = {r.text: r for r in first.runs}
    assert runs["chưa có số liệu"].italic and str(runs["chưa có số liệu"].font.color.rgb) == "B00020"
    assert not runs["Tổng thu: "].italic and runs["Tổng thu: "].font.color.rgb is None
    assert all(r.italic for r in second.runs)


def test_tables_say_what_the_html_says():
    """What the HTML shows around and inside a table reaches Word too: the introduction and rules
    before it, a section row across the columns, the footer row, the note under it; values right."""
    d = _docx_of([{"kind": "table", "columns": ["Chỉ tiêu", "Toàn địa bàn", "Cách tính"],
                   "rows": [["Tổng thu", "7.967.592.178 đồng", "tổng"], ["Số hộ", "12 hộ", "tổng"]],
                   "footer": ["Toàn địa bàn", "—", ""], "value_columns": [False, True, False], "wide": True,
                   "sections": [{"row": 1, "text": "II.3. Xã hội"}], "intro": "Xếp hạng theo từng chỉ tiêu:",
                   "rules": ["Tỷ lệ: cao hơn xếp trên."], "tie_rule": "Bằng nhau thì đồng hạng.",
                   "note": "(*) Ghi chú."}])
    texts = [p.text for p in d.paragraphs if p.text]
    assert texts[:3] == ["Xếp hạng theo từng chỉ tiêu:", "- Tỷ lệ: cao hơn xếp trên.", "Bằng nhau thì đồng hạng."]
    assert "(*) Ghi chú." in texts
    (t,) = d.tables
    rows = [[c.text for c in r.cells] for r in t.rows]
    assert rows[0] == ["Chỉ tiêu", "Toàn địa bàn", "Cách tính"]
    assert rows[2] == ["II.3. Xã hội"] * 3  # one merged cell
    assert rows[3][0] == "Số hộ" and rows[-1][0] == "Toàn địa bàn"
    value = t.rows[1].cells[1].paragraphs[0]
    assert value.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
    assert t.rows[1].cells[2].paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.LEFT
    assert all(r.bold for r in t.rows[-1].cells[0].paragraphs[0].runs) and value.runs[0].font.size == Pt(10)


def test_deterministic_bytes_and_dates(report, docx_bytes, document):
    import datetime as dt

    from danvan.export.word import notebook_to_docx

    again = notebook_to_docx(_notebook(report), title="Báo cáo công tác Dân vận Chính quyền năm 2023")
    assert again == docx_bytes
    cp = document.core_properties
    fixed = dt.datetime(2023, 12, 19, 8, 0)  # the report date, not the time of export
    assert cp.created.replace(tzinfo=None) == cp.modified.replace(tzinfo=None) == fixed
    assert cp.title == "Báo cáo công tác Dân vận Chính quyền năm 2023"


# ---- LibreOffice ------------------------------------------------------------------------------

def _soffice() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (libreoffice/soffice) is not installed on this host: "
                                                "the .docx -> PDF conversion check cannot run")
def test_libreoffice_converts_the_docx(docx_bytes, tmp_path):
    src = tmp_path / "report.docx"
    src.write_bytes(docx_bytes)
    profile = tmp_path / "lo-profile"
    env = dict(os.environ, HOME=str(tmp_path))
    proc = subprocess.run([_soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path / "out"), str(src)],
                          capture_output=True, text=True, timeout=240, env=env)
    pdf = tmp_path / "out" / "report.pdf"
    assert proc.returncode == 0, proc.stderr
    assert pdf.exists() and pdf.stat().st_size > 10_000, proc.stdout + proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    from _pdf import page_texts, text_in_rect

    data = pdf.read_bytes()
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2 and abs(float(reader.pages[0].mediabox.width) - 595.3) < 1  # A4
    text = "\n".join(page_texts(data))
    for s in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Phường Đúc", "75,07%", "7.967.592.178", "Nơi nhận:"):
        assert s in text, s
    top = (0, 841.89 - 20 * 72 / 25.4, 595.28, 841.89)
    assert text_in_rect(data, 0, *top).strip() != "1"
    assert text_in_rect(data, 1, *top).strip() == "2"
