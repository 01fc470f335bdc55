"""The PDF engine (danvan.export.pdf + templates/report.typ, Typst from its wheel): data is never
Typst source, Markdown becomes structure, PDF/A-2b with the provenance in its metadata, the same
bytes for the same inputs (also in a fresh process), only the bundled faces, and the page rules
that depend on where a page breaks (a heading never alone at a page foot, the end block whole).

Blocks are written by hand here (no store, no notebook); tests/test_layout.py checks the reference
report's pages and tests/test_pdf.py the PDF a real render writes.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import subprocess
import sys
import unicodedata
from pathlib import Path

import pypdf
import pytest
from _pdf import (A4, BUNDLED_FACE, MM, TEXT_LEFT, TEXT_RIGHT, embedded_fonts, lines, metadata, page_texts, squash,
                  xmp)

from danvan.export.charts import ReportCharts
from danvan.export.pdf import TEMPLATE, blocks_to_pdf, document_data
from danvan.export.typesetter import SUBSTITUTE, typesetter
from danvan.report.blocks import chart_block
from danvan.report.charts import ChartSpec

HEADER = {"kind": "header", "place_date": "Phường Đúc, ngày 19 tháng 12 năm 2023",
          "meta": {"parent_body": "UBND THÀNH PHỐ HUẾ", "issuing_body": "UBND PHƯỜNG PHƯỜNG ĐÚC", "number": "",
                   "doc_code": "BC-UBND", "place": "Phường Đúc", "date": "2023-12-19",
                   "subject": "Công tác Dân vận Chính quyền năm 2023"}}
END = {"kind": "end", "recipients": ["- UBND thành phố Huế;", "- Lưu: VT."],
       "signing_authority": ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], "signer": "Nguyễn Văn A"}
PROVENANCE = {"data": "kho store.sqlite sha256:4b4fb1b99b7bfe3c", "data_fingerprint": "4b4f" + "0" * 60,
              "notebook": "ward_report.ipynb sha256:0b26", "notebook_sha256": "0b26" + "1" * 60,
              "parameters": '{"unit_code": "19780", "year": 2023}', "catalogue": "danvan-core@2023.1",
              "catalogue_digest": "f672" + "2" * 60, "templates_digest": "65e0" + "3" * 60,
              "code": "git 184c1883, sha256:2dc1", "code_digest": "2dc1" + "4" * 60, "git_commit": "184c1883adaf",
              "packages": "python 3.11, typst 0.15.2", "illustrative": False}


def filler(n: int, words: int = 24) -> dict:
    text = " ".join(["Nội dung báo cáo công tác dân vận chính quyền"] * (words // 8 + 1))
    return {"kind": "paragraphs", "paragraphs": [f"{i + 1}. {text}" for i in range(n)]}


def spec(**kw) -> ChartSpec:
    return ChartSpec(**({"title": "Thu ngân sách năm 2023 so với dự toán", "categories": ["Dự toán giao", "Tổng thu"],
                         "series": [("Năm 2022", [5.7, 10.3]), ("Năm 2023", [7.2, None])], "unit": "tỷ đồng"} | kw))


# ---- escaping: data is never Typst source ------------------------------------------------------

ATTACKS = ['#read("/etc/passwd")', '#import "x": *', '#include "report.typ"', "#let x = 1", "$x^2$", "<label>", "@ref",
           "// comment", "/* block */", "`raw`", "```code```", "\\", "a\\b", "*bold*", "_under_", "[bracket]", "]",
           "#", "~", "--- -- ...", '"quoted"', "= Heading", "+ item", "- dash", '#{panic("boom")}', "#sys.inputs"]


def test_the_attacks_would_run_if_spliced_as_markup(tmp_path):
    """Negative control: the same strings given to Typst *as source* are executed, so the next
    test's literal output shows that data never reaches Typst as source."""
    import typst

    from danvan.export.fonts import fonts_dir

    kw = dict(root=str(tmp_path), font_paths=[str(fonts_dir())], ignore_system_fonts=True)
    with pytest.raises(Exception):  # read() of a file outside the root: it was executed
        typst.compile('#read("/etc/passwd")'.encode(), **kw)
    text = page_texts(typst.compile("*bold* _it_ $x$ // gone".encode(), **kw))[0]
    assert "*" not in text and "gone" not in text and "bold" in text


def test_every_data_string_prints_literally():
    attack = " ".join(ATTACKS)
    chart = chart_block("x", spec(title="Biểu đồ " + attack, categories=['#read("/etc/passwd")', "$x$ <l> @r"],
                                  series=[("*s* _s_ `s` // s", [1.0, 2.0]), ("#t", [2.0, 1.0])],
                                  unit="[u] \\ #u", note='#import "n"'), caption="Chú thích " + attack).to_json()
    blocks = [
        HEADER | {"meta": HEADER["meta"] | {"parent_body": '#read("/etc/passwd") $p$', "issuing_body": "UBND <x> @y",
                                            "number": "#1", "subject": "Chủ đề " + attack}},
        {"kind": "banner", "text": "Banner " + attack},
        {"kind": "heading", "level": 2, "text": "I. Tiêu đề " + attack},
        {"kind": "paragraphs", "paragraphs": ["Đoạn " + attack]},
        {"kind": "paragraphs", "paragraphs": ["Chạy " + attack],
         "runs": [[{"text": "Chạy "}, {"text": attack, "missing": True}]]},
        {"kind": "markdown", "markdown": 'Markdown \\# #read("/etc/passwd") $x$ <l> @r // c `code` [a]'},
        chart,
        {"kind": "table", "columns": ["Cột #a", "$b$", "<c>"], "rows": [["@d", "// e", "`f`"]],
         "footer": ["\\g", "*h*", "_i_"], "note": "Ghi chú " + attack, "intro": "Mở #intro",
         "rules": ["Quy tắc $r$"], "tie_rule": "Đồng hạng @t", "sections": [{"row": 0, "text": "Mục #sec [s]"}]},
        END | {"recipients": ['- #read("/etc/passwd");', "- Lưu: VT."], "signing_authority": ["TM. $x$"],
               "signer": "@signer <s>"},
    ]
    pdf = blocks_to_pdf(blocks, title='Tiêu đề #read("/etc/passwd")',
                        provenance={"data": "kho $x$ // y", "git_commit": "abc#def", "code": "#include x"})
    text = squash("".join(page_texts(pdf)))
    assert "root:" not in text  # /etc/passwd was never read
    for s in ATTACKS:
        assert squash(s) in text, s
    for s in ['#READ("/ETC/PASSWD")$P$', "UBND<X>@Y", "Số:#1/BC-UBND", "Markdown#", "$x$<l>@r//c", "code[a]",
              "Cột#a", "$b$", "<c>", "@d", "//e", "`f`", "\\g", "*h*", "_i_", "TM.$X$", "@signer<s>",
              "[u]\\#u", '#import"n"', "*s*_s_`s`//s", "kho$x$//y", "#includex", "Mở#intro", "Quytắc$r$",
              "Đồnghạng@t", "Mục#sec[s]"]:
        assert squash(s) in text, s
    info = metadata(pdf)
    assert info["/Title"] == 'Tiêu đề #read("/etc/passwd")'
    assert "danvan:git=abc#def" in info["/Keywords"]


def test_the_template_never_evaluates_or_reads():
    src = TEMPLATE.read_text(encoding="utf-8")
    code = "\n".join(line.split("//", 1)[0] for line in src.splitlines())  # without comments
    for forbidden in ("eval(", "read(", "include", "import", "label(", "plugin(", "raw("):
        assert forbidden not in code, forbidden
    assert "sys.inputs.data" in code  # the one input


def test_typst_sees_an_empty_private_root():
    root = typesetter(TEMPLATE).root
    assert root.is_dir() and list(root.iterdir()) == []
    assert root != TEMPLATE.parent and root != Path.cwd()


# ---- Markdown -------------------------------------------------------------------------------

def test_markdown_tree_structure():
    from danvan.export.markdown import markdown_tree

    tree = markdown_tree("**1. Ưu điểm:**\n\nA *b* `c`\nd  \ne\n\n3. x\n4. y\n\n- p\n- q\n\n<b>h</b>")
    assert tree[0] == {"type": "paragraph", "children": [{"type": "strong", "children": [
        {"type": "text", "text": "1. Ưu điểm:"}]}]}
    inline = tree[1]["children"]
    assert [n["type"] for n in inline] == ["text", "emphasis", "text", "softbreak", "text", "linebreak", "text"]
    assert inline[2]["text"] == " c"  # a code span is literal text, merged with its neighbours
    assert tree[2]["type"] == "list" and tree[2]["ordered"] and tree[2]["start"] == 3
    assert [i["type"] for i in tree[2]["children"]] == ["list_item", "list_item"]
    assert tree[3]["ordered"] is False and tree[3]["start"] == 1
    assert tree[4] == {"type": "paragraph", "children": [{"type": "text", "text": "<b>h</b>"}]}


def test_markdown_prints_structure_never_markup():
    pdf = blocks_to_pdf([{"kind": "markdown", "markdown": "**Đậm** và *nghiêng*\n\n3. ba\n4. bốn\n\n- gạch\n\n"
                                                          "[liên kết](javascript:x) [trang](https://example.org/a)"}],
                        title="md")
    text = page_texts(pdf)[0]
    assert "Đậm và nghiêng" in text and "**" not in text and "*nghiêng*" not in text
    assert "3. ba" in text and "4. bốn" in text and "- gạch" in text
    assert "liên kết" in text and "javascript" not in text
    faces = {ln.text: ln.faces for ln in lines(pdf, 0)}
    assert faces["Đậm và nghiêng"] == {"Bold", "Regular", "Italic"}
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    uris = [str(a.get_object()["/A"].get("/URI")) for p in reader.pages for a in (p.get("/Annots") or [])
            if "/A" in a.get_object()]
    assert uris == ["https://example.org/a"]  # only the web link became a link


# ---- missing figures ---------------------------------------------------------------------------

def test_missing_figures_in_red_italics_from_the_block_runs():
    pdf = blocks_to_pdf([{"kind": "paragraphs", "paragraphs": ["Tổng thu: chưa có số liệu."],
                          "runs": [[{"text": "Tổng thu: "}, {"text": "chưa có số liệu", "missing": True},
                                    {"text": "."}]]},
                         {"kind": "paragraphs", "paragraphs": ["(chưa có số liệu)"], "missing": True}], title="m")
    text = page_texts(pdf)[0]
    assert "Tổng thu: chưa có số liệu." in text
    from _pdf import document

    doc = document(pdf)
    try:
        img = doc[0].render(scale=1).to_pil().convert("RGB")
    finally:
        doc.close()
    reds = sum(1 for r, g, b in img.get_flattened_data() if r > 150 and g < 80 and b < 80)
    assert reds > 50, "missing figures are not red"
    data = document_data([{"kind": "paragraphs", "paragraphs": ["a b"], "missing": ["19750"]}], title="t")
    assert data["blocks"][0]["paragraphs"] == [[{"text": "a b", "missing": False}]]  # a list of units is not a flag


# ---- archival, metadata, determinism, fonts ----------------------------------------------------

@pytest.fixture(scope="module")
def small_pdf() -> bytes:
    return blocks_to_pdf([HEADER, {"kind": "heading", "level": 2, "text": "I. Kết quả"}, filler(3),
                          chart_block("c", spec()).to_json(), END], title="Báo cáo thử", provenance=PROVENANCE)


def test_pdfa_2b_declared(small_pdf):
    x = xmp(small_pdf)
    assert "<pdfaid:part>2</pdfaid:part>" in x and "<pdfaid:conformance>B</pdfaid:conformance>" in x


def test_metadata_title_issuer_subject_keywords_and_dates(small_pdf):
    info = metadata(small_pdf)
    assert info["/Title"] == "Báo cáo thử"
    assert info["/Author"] == "UBND PHƯỜNG PHƯỜNG ĐÚC"
    assert info["/Subject"] == "Công tác Dân vận Chính quyền năm 2023"
    assert info["/CreationDate"].startswith("D:20231219") and info["/ModDate"].startswith("D:20231219")
    kw = info["/Keywords"]
    for name, key in (("data-sha256", "data_fingerprint"), ("git", "git_commit"), ("code-sha256", "code_digest"),
                      ("notebook-sha256", "notebook_sha256"), ("catalogue-sha256", "catalogue_digest"),
                      ("templates-sha256", "templates_digest")):
        assert f"danvan:{name}={PROVENANCE[key]}" in kw, name
    assert "danvan:parameters=unit_code:19780;year:2023" in kw and "danvan:illustrative=false" in kw
    x = xmp(small_pdf)
    assert PROVENANCE["git_commit"] in x and "UBND PHƯỜNG PHƯỜNG ĐÚC" in x and "2023-12-19" in x


def test_without_a_document_date_the_31st_of_december_of_the_report_year():
    head = HEADER | {"meta": HEADER["meta"] | {"date": None}}
    pdf = blocks_to_pdf([head, filler(1)], title="t", provenance={"parameters": '{"year": 2024}'})
    assert metadata(pdf)["/CreationDate"].startswith("D:20241231")


def test_same_blocks_same_bytes(small_pdf):
    again = blocks_to_pdf([HEADER, {"kind": "heading", "level": 2, "text": "I. Kết quả"}, filler(3),
                           chart_block("c", spec()).to_json(), END], title="Báo cáo thử", provenance=PROVENANCE)
    assert again == small_pdf


def test_same_bytes_in_a_fresh_process(small_pdf, tmp_path):
    out = tmp_path / "fresh.pdf"
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import test_typst as t; "
            "from danvan.report.blocks import chart_block; from danvan.export.pdf import blocks_to_pdf; "
            "pdf = blocks_to_pdf([t.HEADER, {'kind': 'heading', 'level': 2, 'text': 'I. Kết quả'}, t.filler(3), "
            "chart_block('c', t.spec()).to_json(), t.END], title='Báo cáo thử', provenance=t.PROVENANCE); "
            f"open({str(out)!r}, 'wb').write(pdf)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, timeout=180)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(small_pdf).hexdigest()


def test_only_the_bundled_faces(small_pdf):
    names = embedded_fonts(small_pdf)
    assert names and all(BUNDLED_FACE.match(n) for n in names), names


def test_a_letter_the_faces_lack_prints_as_a_box_never_in_another_font(caplog):
    with caplog.at_level(logging.WARNING, logger="danvan.export.typesetter"):
        pdf = blocks_to_pdf([{"kind": "paragraphs", "paragraphs": ["Chữ Hán 漢 và người tuyết ☃"]}], title="u")
    assert "U+6F22" in caplog.text and "U+2603" in caplog.text
    assert f"Chữ Hán {SUBSTITUTE} và người tuyết {SUBSTITUTE}" in page_texts(pdf)[0]
    assert all(BUNDLED_FACE.match(n) for n in embedded_fonts(pdf))


def test_nfd_input_prints_nfc():
    nfd = unicodedata.normalize("NFD", "Phường Vĩnh Ninh, Thủy Biều")
    pdf = blocks_to_pdf([{"kind": "paragraphs", "paragraphs": [nfd]}], title=nfd)
    assert "Phường Vĩnh Ninh, Thủy Biều" in page_texts(pdf)[0]
    assert metadata(pdf)["/Title"] == unicodedata.normalize("NFC", nfd)


# ---- charts: drawn once, reused ----------------------------------------------------------------

def test_the_pdf_reuses_the_blocks_svg(monkeypatch):
    """A chart block carries its SVG (drawn in the notebook): the PDF places that drawing, and
    draws nothing; the Word PNG is made from the same SVG."""
    block = chart_block("c", spec(title="Biểu đồ vẽ một lần")).to_json()
    charts = ReportCharts()

    def no_drawing(*_a, **_k):
        raise AssertionError("chart drawn again")

    monkeypatch.setattr("danvan.export.charts.render_svg", no_drawing)
    pdf = blocks_to_pdf([block], title="once", charts=charts)
    assert "Biểu đồ vẽ một lần" in page_texts(pdf)[0] and "Dự toán giao" in page_texts(pdf)[0]
    png = charts.png(block, ppi=50)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and charts.png(block, ppi=50) is png and charts.drawn == 0


def test_an_svg_that_refers_outside_itself_is_drawn_again(caplog):
    block = chart_block("c", spec()).to_json()
    charts = ReportCharts()
    bad = block | {"svg": '<svg viewBox="0 0 10 10"><image href="file:///etc/passwd"/></svg>'}
    with caplog.at_level(logging.WARNING, logger="danvan.export.charts"):
        assert charts.svg(bad) == block["svg"]
    assert charts.drawn == 1 and "drawn again" in caplog.text


def test_a_png_output_is_placed():
    import base64

    from danvan.export.typesetter import svg_to_png

    png = base64.b64encode(svg_to_png(chart_block("c", spec()).data["svg"], ppi=40)).decode()
    pdf = blocks_to_pdf([{"kind": "image", "png": png}], title="img")
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1 and pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images


# ---- page rules that depend on where a page breaks ---------------------------------------------

def _texts(pdf: bytes) -> list[list[str]]:
    return [[ln.text for ln in lines(pdf, i)] for i in range(len(page_texts(pdf)))]


def test_a_heading_is_never_alone_at_a_page_foot():
    heading = "II. Kết quả thực hiện"
    moved = 0
    for n in range(14, 30):  # the heading falls at every height near the foot of page 1 or 2
        pages = _texts(blocks_to_pdf([filler(n), {"kind": "heading", "level": 2, "text": heading}, filler(3)],
                                     title="h"))
        for i, page in enumerate(pages[:-1]):
            assert page[-1] != heading, (n, i)
        moved += any(page[1:2] == [heading] for page in pages[1:])  # [0] is the page number
    assert moved, "no variant moved the heading to the next page: the test tested nothing"


def test_the_end_block_is_kept_whole():
    moved = 0
    for n in range(14, 30):
        pages = _texts(blocks_to_pdf([filler(n), END], title="e", provenance=PROVENANCE))
        where = [i for i, p in enumerate(pages) if "Nơi nhận:" in p]
        assert len(where) == 1, n
        page = pages[where[0]]
        for s in ("- UBND thành phố Huế;", "- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn A"):
            assert s in page, (n, s)
        moved += page[1] == "Nơi nhận:"  # the block began a page of its own
    assert moved, "no variant moved the end block to the next page: the test tested nothing"


def test_a_chart_taller_than_a_page_is_scaled_to_fit():
    """The city summary's ranking of 36 units is ~41 cm at full width: it is scaled to the page."""
    cats = [f"{i}. Phường số {i}" for i in range(1, 37)]
    pdf = blocks_to_pdf([chart_block("r", spec(categories=cats, series=[("x", list(range(36)))])).to_json()],
                        title="t")
    text = page_texts(pdf)
    assert len(text) == 1 and "36. Phường số 36" in text[0]


def test_long_provenance_tokens_wrap_inside_the_margins():
    pdf = blocks_to_pdf([filler(1)], title="p", provenance={"data": "kho /" + "a" * 300})
    assert max(ln.right for ln in lines(pdf, 0)) <= TEXT_RIGHT + 0.5
    assert min(ln.left for ln in lines(pdf, 0)) >= TEXT_LEFT - 0.5


def test_tables_carry_sections_footer_intro_and_note_and_fit_the_page():
    cols = ["Đơn vị"] + [f"Chỉ tiêu số {i} rất dài" for i in range(1, 9)]
    rows = [[f"Phường {i}"] + [f"{i * 1234567:,}".replace(",", ".") + " đồng" for _ in range(8)] for i in range(40)]
    pdf = blocks_to_pdf([{"kind": "table", "columns": cols, "rows": rows, "footer": ["Toàn địa bàn"] + ["—"] * 8,
                          "wide": True, "sections": [{"row": 0, "text": "II.2. Kinh tế"}], "intro": "Xếp hạng:",
                          "note": "(*) Ghi chú dưới bảng."}], title="t")
    pages = _texts(pdf)
    flat = [t for p in pages for t in p]
    assert flat.index("Xếp hạng:") < flat.index("II.2. Kinh tế") < flat.index("(*) Ghi chú dưới bảng.")
    assert sum(t.startswith("Đơn vị") for t in flat) == len(pages)  # the header row on every page
    assert "Toànđịabàn" in squash("".join(pages[-1]))  # the footer row, once, at the end
    for i in range(len(pages)):
        for ln in lines(pdf, i):
            assert TEXT_LEFT - 0.5 <= ln.left and ln.right <= TEXT_RIGHT + 0.5, (i, ln.text)


def test_page_geometry_of_a_small_document(small_pdf):
    reader = pypdf.PdfReader(io.BytesIO(small_pdf))
    for p in reader.pages:
        assert abs(float(p.mediabox.width) - A4[0]) < 0.5 and abs(float(p.mediabox.height) - A4[1]) < 0.5
    for ln in lines(small_pdf, 0):
        assert ln.bottom >= 20 * MM - 1 and ln.top <= A4[1] - 20 * MM + 1, ln.text


def test_document_json_is_what_the_template_reads():
    data = document_data([HEADER, filler(1), END], title="t", provenance=PROVENANCE)
    assert json.loads(json.dumps(data)) == data
    assert [b["kind"] for b in data["blocks"]] == ["header", "paragraphs", "end"]
    assert data["labels"]["quoc_hieu"] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert [r[0] for r in data["provenance"]] == ["Số liệu", "Sổ tay (notebook)", "Tham số", "Danh mục chỉ tiêu",
                                                  "Mã nguồn", "Phiên bản gói"]


def test_a_qa_block_prints_its_findings_for_analysts():
    """(Official documents drop the cells tagged "qa"; a QA block shown elsewhere prints as in the HTML.)"""
    qa = {"kind": "qa", "title": "Kiểm tra số liệu (dành cho cán bộ tổng hợp) – Phường X, năm 2023",
          "summary": "1 lỗi, 0 cảnh báo, 0 lưu ý.",
          "findings": [{"severity": "error", "code": "REV_TOTAL", "label": "Tổng thu", "message": "Sai số liệu",
                        "rule": "R1"}]}
    text = page_texts(blocks_to_pdf([qa], title="q"))[0]
    for s in ("Kiểm tra số liệu (dành cho cán bộ tổng hợp)", "1 lỗi", "Mức độ", "Lỗi", "REV_TOTAL Tổng thu",
              "Sai số liệu", "R1"):
        assert s in text, s
    assert "Không phát hiện sai sót." in page_texts(blocks_to_pdf([qa | {"findings": []}], title="q"))[0]
