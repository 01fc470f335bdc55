"""PDF (and the Word file and HTML) of the reference report, end to end: `danvan.run.render.render(...)`
with formats html, pdf, docx, read with pypdf/pypdfium2 (pip: no system package).

One render is shared by every test here (once per session, even across pytest-xdist workers); one
more, in a fresh process, shows that the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from _pdf import (A4, BUNDLED_FACE, MM, dark_share, embedded_fonts, lines, metadata, page_count, page_texts,
                  text_in_rect, xmp)
from _util import file_lock

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"
FIGURES = ["7.967.592.178", "5.269.000.000", "151%", "2.209.152.000", "112%", "9/9", "95,2%", "139.100.000",
           "387.000.000", "98,75%", "17/17", "2.300.000", "12.000.000", "9.858", "6.748", "75,07%",
           "4.592", "4.413", "46,58%"]


@pytest.fixture(scope="session")
def rendered(reference_db, tmp_path_factory, worker_id) -> dict:
    """Phường Đúc 2023 rendered once as html, pdf and docx (a private copy of the reference store)."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # shared by the xdist workers of this session
    base = root / "danvan-official-render"
    with file_lock(root / "danvan-official-render.lock"):
        done = base / "result.json"
        if not done.exists():
            from danvan.run.render import render

            base.mkdir(parents=True, exist_ok=True)
            db = base / "store.sqlite"
            shutil.copy(reference_db, db)
            with pytest.MonkeyPatch.context() as mp:
                mp.delenv("DANVAN_CATALOGUE", raising=False)
                mp.delenv("DANVAN_TEMPLATES", raising=False)
                mp.setenv("DANVAN_DB", str(db))
                mp.setenv("DANVAN_OUTPUTS", str(base / "outputs"))
                mp.setenv("MPLBACKEND", "Agg")
                out = render(NOTEBOOK, {"unit_code": "19780", "year": 2023, "db": str(db)}, base / "outputs",
                             formats=("html", "pdf", "docx"))
            done.write_text(json.dumps(out.to_json(), ensure_ascii=False), encoding="utf-8")
    result = json.loads(done.read_text(encoding="utf-8"))
    assert result["status"] == "ok", result["error"]
    result["db"] = str(db) if (db := base / "store.sqlite").exists() else ""
    return result


@pytest.fixture(scope="session")
def pdf_path(rendered) -> Path:
    return Path(rendered["files"]["pdf"])


@pytest.fixture(scope="session")
def pdf(pdf_path) -> bytes:
    return pdf_path.read_bytes()


@pytest.fixture(scope="session")
def pdf_text(pdf) -> str:
    return "\n".join(page_texts(pdf))


pytestmark = pytest.mark.slow


# ---- the files ----------------------------------------------------------------------------------

def test_render_writes_pdf_and_docx(rendered):
    files = rendered["files"]
    assert {"html", "pdf", "docx", "ipynb"} <= set(files)
    pdf = Path(files["pdf"]).read_bytes()
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:]
    assert not [p for p in Path(files["pdf"]).parent.iterdir() if p.name.startswith(".")]  # atomic writes


def test_the_html_is_lean_and_carries_its_charts_font(rendered):
    html = Path(rendered["files"]["html"]).read_bytes()
    assert len(html) <= 300_000
    text = html.decode("utf-8")
    assert text.count("<svg") == 4 and "data:font/woff2;base64," in text and "file://" not in text


# ---- fonts --------------------------------------------------------------------------------------

def test_only_the_bundled_faces_embedded(pdf, pdf_text):
    names = embedded_fonts(pdf)
    assert names, "no font in the PDF"
    for name in names:
        assert BUNDLED_FACE.match(name), f"unexpected font {name}"
    faces = {n.split("+", 1)[1] for n in names}
    assert {"LiberationSerif", "LiberationSerif-Bold", "LiberationSerif-Italic"} <= faces


# ---- text -------------------------------------------------------------------------------------

def test_text_layer_has_nfc_names_and_figures(pdf_text):
    assert unicodedata.is_normalized("NFC", pdf_text)
    for s in ("Phường Đúc", "UBND PHƯỜNG PHƯỜNG ĐÚC", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
              "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO", "Công tác Dân vận Chính quyền năm 2023",
              "ngày 19 tháng 12 năm 2023", "Nơi nhận:", "- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN"):
        assert s in pdf_text, s
    flat = re.sub(r"\s+", " ", pdf_text)
    for figure in FIGURES:
        assert re.search(r"(?<![\d.,])" + re.escape(figure) + r"(?![\d]|[.,]\d)", flat), figure
    assert ("Bằng chữ: Bảy tỷ chín trăm sáu mươi bảy triệu năm trăm chín mươi hai nghìn một trăm bảy mươi tám "
            "đồng") in flat


def test_pypdf_reads_the_same_figures(pdf):
    import pypdf

    text = unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    assert "7.967.592.178" in text and "75,07%" in text


def test_chart_labels_are_text_in_the_pdf(pdf_text):
    for label in ("Dự toán giao", "Tổng thu ngân sách", "Nhân khẩu đủ điều kiện", "Tin về an ninh trật tự"):
        assert label in pdf_text, label


def test_provenance_footer_kept(pdf_text, rendered):
    assert "Nguồn gốc báo cáo" in pdf_text
    assert pdf_text.rindex("Nguồn gốc báo cáo") > pdf_text.rindex("Nơi nhận:")  # after the signature block
    assert rendered["provenance"]["git_commit"][:12] in pdf_text


# ---- archival and metadata ----------------------------------------------------------------------

def test_pdfa_2b_with_the_provenance_in_its_metadata(pdf, rendered):
    prov = rendered["provenance"]
    x = xmp(pdf)
    assert "<pdfaid:part>2</pdfaid:part>" in x and "<pdfaid:conformance>B</pdfaid:conformance>" in x
    info = metadata(pdf)
    assert info["/Title"] == "Báo cáo công tác Dân vận Chính quyền năm 2023 – Phường Phường Đúc"
    assert info["/Author"] == "UBND PHƯỜNG PHƯỜNG ĐÚC"
    assert info["/Subject"] == "Công tác Dân vận Chính quyền năm 2023"
    assert info["/CreationDate"].startswith("D:20231219")  # the document's date, not the render's
    for key in ("data_fingerprint", "code_digest", "notebook_sha256", "catalogue_digest", "git_commit"):
        assert prov[key] in info["/Keywords"] and prov[key] in x, key


def test_the_same_inputs_give_the_same_bytes_in_another_process(rendered, tmp_path):
    """Rendered again in a fresh process (same parameters), into other outputs: PDF, Word and HTML
    are byte-identical."""
    env = dict(os.environ, DANVAN_DB=rendered["db"], DANVAN_OUTPUTS=str(tmp_path / "outputs"), MPLBACKEND="Agg")
    code = ("import sys; from pathlib import Path; from danvan.run.render import render; "
            f"o = render(Path({str(NOTEBOOK)!r}), {rendered['params']!r}, Path({str(tmp_path / 'outputs')!r}), "
            "formats=('html', 'pdf', 'docx')); sys.exit(o.status != 'ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for fmt in ("pdf", "docx", "html"):
        again = (tmp_path / "outputs" / "2023" / "19780" / f"report.{fmt}").read_bytes()
        assert again == Path(rendered["files"][fmt]).read_bytes(), fmt


# ---- pages ------------------------------------------------------------------------------------

def test_a4_pages(pdf):
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    for p in reader.pages:
        assert abs(float(p.mediabox.width) - A4[0]) < 0.5 and abs(float(p.mediabox.height) - A4[1]) < 0.5


def test_page_numbers_from_page_two(pdf):
    top = (0, A4[1] - 20 * MM, A4[0], A4[1])
    assert text_in_rect(pdf, 0, *top).strip() == ""  # page 1: no number
    first = lines(pdf, 0)
    assert "UBND" in first[0].text
    for i in range(1, page_count(pdf)):
        assert text_in_rect(pdf, i, *top).strip() == str(i + 1)


def test_page_one_is_not_blank_where_the_header_is(pdf):
    """Dark pixels in the header region (top left and top right), none in the left margin, and the
    first page is not blank."""
    left_col = dark_share(pdf, 0, (30, 20, 100, 45))
    right_col = dark_share(pdf, 0, (110, 20, 195, 45))
    margin = dark_share(pdf, 0, (0, 0, 28, 297))
    assert left_col > 0.02 and right_col > 0.02, (left_col, right_col)
    assert margin == 0
    assert dark_share(pdf, 0) > 0.02


# ---- Word from the same render --------------------------------------------------------------

def test_rendered_docx_opens_with_figures_and_header(rendered):
    import docx

    d = docx.Document(io.BytesIO(Path(rendered["files"]["docx"]).read_bytes()))
    sec = d.sections[0]
    assert sec.page_width.mm == pytest.approx(210, abs=0.1) and sec.page_height.mm == pytest.approx(297, abs=0.1)
    assert (round(sec.top_margin.mm), round(sec.bottom_margin.mm), round(sec.left_margin.mm),
            round(sec.right_margin.mm)) == (20, 20, 30, 15)
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [c.text for c in t.rows[0].cells]
    text = unicodedata.normalize("NFC", "\n".join(parts))
    for s in ["UBND PHƯỜNG PHƯỜNG ĐÚC", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
              "Phường Đúc, ngày 19 tháng 12 năm 2023", "BÁO CÁO", "Nơi nhận:", *FIGURES]:
        assert s in text, s
    # the notebook's analyst-only markdown and code never reach the Word file
    assert "Sổ tay (notebook) này" not in text and "WardReport" not in text
    # its provenance, as the PDF's
    assert "Nguồn gốc báo cáo (tái lập được)" in text and rendered["provenance"]["git_commit"] in text
    assert rendered["provenance"]["data_fingerprint"] in d.core_properties.keywords
