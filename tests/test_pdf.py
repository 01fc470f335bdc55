"""PDF (and the Word file) of the reference report, end to end: `danvan.render.render(...)` with
formats html, pdf, docx, checked with poppler-utils (pdffonts, pdftotext, pdfinfo, pdftoppm).

One render is shared by every test here (once per session, even across pytest-xdist workers).
poppler-utils is installed by `make test` (target system-deps); where it is missing the poppler
checks are skipped with that reason.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from _util import file_lock

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"
FIGURES = ["7.967.592.178", "5.269.000.000", "151%", "2.209.152.000", "112%", "9/9", "95,2%", "139.100.000",
           "387.000.000", "98,75%", "17/17", "2.300.000", "12.000.000", "9.858", "6.748", "75,07%",
           "4.592", "4.413", "46,58%"]
POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdffonts", "pdfinfo", "pdftoppm"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext/pdffonts/pdfinfo/pdftoppm) is "
                                                       "not installed: `make system-deps` installs it")
BUNDLED_FACE = re.compile(r"^[A-Z]{6}\+Liberation-?Serif(-Bold|-Italic|-Bold-?Italic|-BoldItalic)?$")


def run(*args: str) -> str:
    proc = subprocess.run(list(args), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return unicodedata.normalize("NFC", proc.stdout.decode("utf-8"))


def pdf_font_names(path: Path) -> list[tuple[str, str]]:
    """(name, embedded) rows of `pdffonts`."""
    rows = run("pdffonts", str(path)).splitlines()[2:]
    out = []
    for row in rows:
        parts = row.split()
        # name type... encoding emb sub uni object ID: emb is the 5th column from the end
        out.append((parts[0], parts[-5]))
    return out




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
    return result


@pytest.fixture(scope="session")
def pdf_path(rendered) -> Path:
    return Path(rendered["files"]["pdf"])


@pytest.fixture(scope="session")
def pdf_text(pdf_path) -> str:
    if not POPPLER:
        pytest.skip("poppler-utils is not installed: `make system-deps` installs it")
    return run("pdftotext", str(pdf_path), "-")


pytestmark = pytest.mark.slow


# ---- the files ----------------------------------------------------------------------------------

def test_render_writes_pdf_and_docx(rendered):
    files = rendered["files"]
    assert {"html", "pdf", "docx", "ipynb"} <= set(files)
    pdf = Path(files["pdf"]).read_bytes()
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:]
    assert not [p for p in Path(files["pdf"]).parent.iterdir() if p.name.startswith(".")]  # atomic writes


# ---- fonts --------------------------------------------------------------------------------------

@needs_poppler
def test_pdffonts_lists_only_the_bundled_faces(pdf_path):
    rows = pdf_font_names(pdf_path)
    assert rows, "no font in the PDF"
    for name, emb in rows:
        assert BUNDLED_FACE.match(name), f"unexpected font {name}"
        assert emb == "yes", f"{name} not embedded"
    names = {n.split("+", 1)[1] for n, _ in rows}
    assert "Liberation-Serif" in names and "Liberation-Serif-Bold" in names and "Liberation-Serif-Italic" in names
    assert not any("DejaVu" in n or "Sans" in n for n in names)


@needs_poppler
def test_no_fallback_font_even_for_missing_glyphs_or_generic_families(tmp_path, caplog):
    """Fallback is closed: sans-serif / monospace / a glyph only DejaVu has still embed only the
    bundled faces (the missing glyph prints as a box and is logged)."""
    from danvan.export.pdf import html_to_pdf

    html = ('<html><body><main class="report print"><p>Tiếng Việt đủ dấu: Ữ ỹ ặ ₫</p>'
            '<p style="font-family: sans-serif">chữ không chân</p><p style="font-family: DejaVu Sans">DejaVu</p>'
            '<pre style="font-family: monospace">mono</pre><p>người tuyết ☃</p></main></body></html>')
    path = tmp_path / "x.pdf"
    with caplog.at_level("WARNING", logger="danvan.export.pdf"):
        path.write_bytes(html_to_pdf(html))
    assert any("☃" in r.getMessage() for r in caplog.records)
    for name, _emb in pdf_font_names(path):
        assert BUNDLED_FACE.match(name), name


# ---- text -------------------------------------------------------------------------------------

@needs_poppler
def test_pdftotext_finds_nfc_names_and_figures(pdf_text):
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


@needs_poppler
def test_chart_labels_are_text_in_the_pdf(pdf_text):
    for label in ("Dự toán giao", "Tổng thu ngân sách", "Nhân khẩu đủ điều kiện", "Tin về an ninh trật tự"):
        assert label in pdf_text, label


@needs_poppler
def test_provenance_footer_kept(pdf_text):
    assert "Nguồn gốc báo cáo" in pdf_text
    assert pdf_text.rindex("Nguồn gốc báo cáo") > pdf_text.rindex("Nơi nhận:")  # after the signature block


# ---- pages ------------------------------------------------------------------------------------

@needs_poppler
def test_a4_pages(pdf_path):
    info = run("pdfinfo", str(pdf_path))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3


@needs_poppler
def test_page_numbers_from_page_two(pdf_path):
    first = [ln.strip() for ln in run("pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf_path), "-").splitlines()
             if ln.strip()]
    second = [ln.strip() for ln in run("pdftotext", "-f", "2", "-l", "2", "-layout", str(pdf_path), "-").splitlines()
              if ln.strip()]
    third = [ln.strip() for ln in run("pdftotext", "-f", "3", "-l", "3", "-layout", str(pdf_path), "-").splitlines()
             if ln.strip()]
    assert not re.fullmatch(r"\d+", first[0]), first[0]  # page 1: the header block, no number
    assert "UBND" in first[0] and "CỘNG HÒA" in first[0]
    assert second[0] == "2" and third[0] == "3"


def _read_pgm(data: bytes) -> tuple[int, int, bytes]:
    """A binary PGM (P5, 8-bit) as (width, height, pixels)."""
    tokens, pos = [], 0
    while len(tokens) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        tokens.append(data[pos:end])
        pos = end
    assert tokens[0] == b"P5" and int(tokens[3]) == 255, tokens
    w, h = int(tokens[1]), int(tokens[2])
    pixels = data[pos + 1:pos + 1 + w * h]
    assert len(pixels) == w * h
    return w, h, pixels


def _dark_share(w, pixels, x0, x1, y0, y1) -> float:
    dark = total = 0
    for y in range(y0, y1):
        row = pixels[y * w + x0:y * w + x1]
        dark += sum(1 for v in row if v < 128)
        total += len(row)
    return dark / total


@needs_poppler
def test_page_one_is_not_blank_where_the_header_is(pdf_path, tmp_path):
    """pdftoppm -gray: dark pixels in the header region (top left and top right), none in the
    left margin, and the first page is not blank."""
    run("pdftoppm", "-gray", "-r", "50", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "p"))
    pgm = next(tmp_path.glob("p*.pgm"))
    w, h, px = _read_pgm(pgm.read_bytes())
    per_mm = w / 210
    top, bottom = int(20 * per_mm), int(45 * per_mm)  # the header block: 20-45 mm from the top
    left_col = _dark_share(w, px, int(30 * per_mm), int(100 * per_mm), top, bottom)
    right_col = _dark_share(w, px, int(110 * per_mm), int(195 * per_mm), top, bottom)
    margin = _dark_share(w, px, 0, int(28 * per_mm), 0, h)
    assert left_col > 0.02 and right_col > 0.02, (left_col, right_col)
    assert margin == 0
    assert _dark_share(w, px, 0, w, 0, h) > 0.02


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


# ---- printing is local and deterministic ---------------------------------------------------

def test_print_fetches_nothing_but_bundled_fonts_and_data_urls():
    from danvan.export.pdf import _LocalFetcher, font_files

    f = _LocalFetcher()
    resp = f(font_files()[0].resolve().as_uri())
    try:
        assert resp.read(4) == b"\x00\x01\x00\x00"  # a TrueType file
    finally:
        resp.close()
    for url in ("http://example.invalid/x.png", "https://example.invalid/a.css", "file:///etc/passwd",
                (font_files()[0].parent / ".." / "pdf.py").as_uri()):
        with pytest.raises(ValueError):
            f(url)


def test_same_html_same_pdf_bytes():
    from danvan.export.pdf import html_to_pdf

    html = '<html><body><main class="report print"><p>Phường Đúc – 75,07%</p></main></body></html>'
    assert html_to_pdf(html) == html_to_pdf(html)
