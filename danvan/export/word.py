"""Executed report notebook -> Word (.docx) in the NĐ 30/2020/NĐ-CP layout, with python-docx.

Officials edit and sign in Word, so the .docx is rebuilt from the same content as the HTML/PDF:
the ``application/vnd.danvan.block+json`` data of every display output, in notebook order (cells
tagged ``analyst-only`` or ``qa`` are skipped, as in the official HTML), plus the notebook's own
Markdown cells that are not ``analyst-only``.

Block kinds: ``header`` (two-column borderless table: issuing body | Quốc hiệu and Tiêu ngữ, then
"BÁO CÁO" and the subject), ``banner``, ``heading``, ``paragraphs``, ``markdown`` (parsed with
mistune's AST: paragraphs, lists as "1. …"/"- …" paragraphs, emphasis), ``table``, ``chart``
(re-drawn as PNG from its ChartSpec), ``end`` (two-column table: Nơi nhận | signature); ``group``
blocks are walked.

Layout: A4 portrait, margins top/bottom 20 mm, left 30 mm, right 15 mm; body 14 pt, justified,
first-line indent 1.27 cm, 6 pt after each paragraph; page numbers (PAGE field) top centre from
page 2 (different first-page header).

Fonts: styles name "Times New Roman", the decree's font. Word on Windows has it (complete
Vietnamese); LibreOffice on Linux substitutes the metric-compatible Liberation Serif (the same
metrics as the bundled Liberation Serif 2.1.5 the PDF uses, so lines break the same way). Fonts are
not embedded in the .docx: a host whose only "Liberation Serif" is Debian's 1.07 would show
missing Vietnamese letters there; install fonts-liberation2 (or Times New Roman).

Output is deterministic: core properties (created/modified) come from the report date (or the
31 December of the report year) and the zip entries carry that fixed timestamp.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import re
import unicodedata
import zipfile

import mistune

from ..report.blocks import QUOC_HIEU, TIEU_NGU
from ..report.charts import ChartSpec, font_files, render_png
from .notebook import blocks_of

__all__ = ["notebook_to_docx", "FONT_NAME", "PAGE_MARGINS_MM"]

FONT_NAME = "Times New Roman"
PAGE_MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
_TEXT_WIDTH_MM = 210 - PAGE_MARGINS_MM["left"] - PAGE_MARGINS_MM["right"]  # 165 mm
_HEADER_SPLIT = 0.44  # left column share, as in report.css
_INDENT_CM = 1.27


def _nfc(s) -> str:
    return unicodedata.normalize("NFC", str(s))


# ---- document set-up --------------------------------------------------------------------------

def _set_fonts(rpr_owner, name: str = FONT_NAME) -> None:
    """Set ascii/hAnsi/cs/eastAsia fonts on a style or run (python-docx sets only two)."""
    from docx.oxml.ns import qn

    rpr = rpr_owner.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        rfonts.attrib.pop(qn(attr), None)


def _set_language(style, tag: str) -> None:
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:val"), tag)


def _setup(doc) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm, Pt, RGBColor, Twips

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Twips(11906), Twips(16838)  # A4 exactly as Word stores it
    sec.top_margin, sec.bottom_margin = Mm(PAGE_MARGINS_MM["top"]), Mm(PAGE_MARGINS_MM["bottom"])
    sec.left_margin, sec.right_margin = Mm(PAGE_MARGINS_MM["left"]), Mm(PAGE_MARGINS_MM["right"])
    sec.header_distance, sec.footer_distance = Mm(10), Mm(10)

    normal = doc.styles["Normal"]
    normal.font.name = FONT_NAME
    normal.font.size = Pt(14)
    normal.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(normal)
    _set_language(normal, "vi-VN")  # Vietnamese proofing in Word
    pf = normal.paragraph_format
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.first_line_indent = Cm(_INDENT_CM)
    pf.space_before, pf.space_after = Pt(0), Pt(6)
    pf.line_spacing = 1.15
    pf.widow_control = True

    for name, size in (("Heading 2", 14), ("Heading 3", 14)):
        st = doc.styles[name]
        st.font.name, st.font.size, st.font.bold, st.font.italic = FONT_NAME, Pt(size), True, False
        st.font.color.rgb = RGBColor(0, 0, 0)
        _set_fonts(st)
        st.paragraph_format.first_line_indent = Cm(_INDENT_CM)
        st.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        st.paragraph_format.space_before, st.paragraph_format.space_after = Pt(6), Pt(6)
        st.paragraph_format.keep_with_next = True
        st.paragraph_format.line_spacing = 1.15

    # page number: top centre, 13 pt, not on the first page
    sec.different_first_page_header_footer = True
    hp = sec.header.paragraphs[0]
    hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    hp.paragraph_format.first_line_indent = Cm(0)
    _add_field(hp, "PAGE", size=13)
    fp = sec.first_page_header.paragraphs[0]
    fp.paragraph_format.first_line_indent = Cm(0)


def _add_field(paragraph, instr: str, size: float = 13) -> None:
    """A complex field (begin / instrText / separate / "1" / end) so Word and LibreOffice update it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    def run_with(child, text=None):
        r = paragraph.add_run(text)
        r.font.size = Pt(size)
        if child is not None:
            r._r.append(child)
        return r

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = f" {instr} "
    run_with(it)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    run_with(None, "2")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


# ---- small helpers ----------------------------------------------------------------------------

def _para(container, text: str = "", *, size=None, bold=None, italic=None, align=None, indent=None,
          after=None, before=None, keep_next=None, caps=False, color=None):
    from docx.shared import Cm, Pt, RGBColor

    p = container.add_paragraph()
    if text:
        r = p.add_run(_nfc(text.upper() if caps else text))
        if size:
            r.font.size = Pt(size)
        if bold is not None:
            r.font.bold = bold
        if italic is not None:
            r.font.italic = italic
        if color:
            r.font.color.rgb = RGBColor.from_string(color)
    pf = p.paragraph_format
    if align is not None:
        pf.alignment = align
    if indent is not None:
        pf.first_line_indent = Cm(indent)
    if after is not None:
        pf.space_after = Pt(after)
    if before is not None:
        pf.space_before = Pt(before)
    if keep_next is not None:
        pf.keep_with_next = keep_next
    return p


def _rule(container, width_mm: float, cell_width_mm: float, *, before: float = 0, after: float = 0):
    """A centred horizontal rule ``width_mm`` long: an empty paragraph with a top border whose
    left/right indents leave that width in a box ``cell_width_mm`` wide."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    width_mm = max(5.0, min(width_mm, cell_width_mm))
    side = (cell_width_mm - width_mm) / 2
    p = container.add_paragraph()
    pf = p.paragraph_format
    pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pf.first_line_indent = Mm(0)
    pf.left_indent, pf.right_indent = Mm(side), Mm(side)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    pf.line_spacing = Pt(2)
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(k), v)
    bdr.append(top)
    # pBdr must precede w:spacing / w:ind / w:jc in CT_PPr's sequence
    anchor = next((c for c in ppr if c.tag in (qn("w:spacing"), qn("w:ind"), qn("w:jc"))), None)
    if anchor is not None:
        anchor.addprevious(bdr)
    else:
        ppr.append(bdr)
    return p


@functools.lru_cache(maxsize=8)
def _font(bold: bool, italic: bool):
    from PIL import ImageFont

    style = ("Bold" if bold else "") + ("Italic" if italic else "") or "Regular"
    path = next(p for p in font_files() if p.stem.endswith("-" + style))
    return ImageFont.truetype(str(path), 1000)


def _text_mm(text: str, pt: float, bold=False, italic=False) -> float:
    """Width of a line in the (metric-identical) bundled Liberation Serif, in mm."""
    try:
        return _font(bold, italic).getlength(_nfc(text)) / 1000 * pt * 25.4 / 72
    except Exception:  # Pillow missing or without FreeType: a rough estimate
        return len(text) * pt * 0.55 * 25.4 / 72


def _borderless(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tblPr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "nil")
        borders.append(e)
    tblPr.append(borders)
    margins = OxmlElement("w:tblCellMar")  # no cell padding: columns as wide as in the HTML
    for edge in ("left", "right"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:w"), "0")
        e.set(qn("w:type"), "dxa")
        margins.append(e)
    tblPr.append(margins)


def _two_columns(doc, left_share: float):
    from docx.shared import Mm

    t = doc.add_table(rows=1, cols=2)
    t.autofit = False
    _borderless(t)
    widths = (_TEXT_WIDTH_MM * left_share, _TEXT_WIDTH_MM * (1 - left_share))
    for col, w in zip(t.columns, widths):
        col.width = Mm(w)
    for cell, w in zip(t.rows[0].cells, widths):
        cell.width = Mm(w)
    return t, widths


def _clear(cell):
    """A new cell holds one empty paragraph: remove it so content starts at the top."""
    for p in list(cell.paragraphs):
        p._p.getparent().remove(p._p)
    return cell


# ---- blocks -----------------------------------------------------------------------------------

def _header(doc, b: dict) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A

    m = b.get("meta", {}) or {}
    number = m.get("number") or "\u2007" * 6
    t, (wl, wr) = _two_columns(doc, _HEADER_SPLIT)
    left, right = (_clear(c) for c in t.rows[0].cells)
    cell_l, cell_r = wl, wr  # borderless tables have no cell padding
    kw = dict(align=A.CENTER, indent=0, after=0)
    if m.get("parent_body"):
        _para(left, m["parent_body"], size=13, caps=True, **kw)
    issuer = _nfc(m.get("issuing_body", "")).upper()
    _para(left, issuer, size=13, bold=True, **kw)
    _rule(left, 0.4 * min(_text_mm(issuer, 13, bold=True), cell_l), cell_l, before=2)
    _para(left, f"Số: {number}/{m.get('doc_code', 'BC-UBND')}", size=13, align=A.CENTER, indent=0, after=0,
          before=5)

    _para(right, QUOC_HIEU, size=12, bold=True, **kw)
    _para(right, TIEU_NGU, size=13, bold=True, **kw)
    _rule(right, _text_mm(TIEU_NGU, 13, bold=True), cell_r, before=2)
    _para(right, b.get("place_date", ""), size=13, italic=True, align=A.CENTER, indent=0, after=0, before=5)
    _para(doc, "BÁO CÁO", size=14, bold=True, align=A.CENTER, indent=0, after=0, before=18, keep_next=True)
    _para(doc, m.get("subject", ""), size=14, bold=True, align=A.CENTER, indent=0, after=0, keep_next=True)
    _rule(doc, 30, _TEXT_WIDTH_MM, before=3, after=12)


def _heading(doc, b: dict) -> None:
    level = int(b.get("level", 2))
    doc.add_paragraph(_nfc(b.get("text", "")), style="Heading 2" if level <= 2 else "Heading 3")


def _paragraphs(doc, b: dict) -> None:
    for text in b.get("paragraphs", []) or []:
        p = _para(doc, text)
        if b.get("missing"):
            for r in p.runs:
                r.font.italic = True


def _inline(p, nodes: list, bold=False, italic=False) -> None:
    for n in nodes or []:
        t = n.get("type")
        if t in ("text", "codespan", "inline_html"):
            r = p.add_run(_nfc(n.get("raw", "")))
            r.font.bold, r.font.italic = bold or None, italic or None
        elif t == "strong":
            _inline(p, n.get("children"), True, italic)
        elif t == "emphasis":
            _inline(p, n.get("children"), bold, True)
        elif t == "softbreak":
            p.add_run(" ")
        elif t == "linebreak":
            p.add_run().add_break()
        else:  # link, image alt, strikethrough...: their text
            if n.get("children"):
                _inline(p, n["children"], bold, italic)
            elif n.get("raw"):
                p.add_run(_nfc(n["raw"]))


@functools.lru_cache(maxsize=1)
def _md_ast():
    return mistune.create_markdown(renderer=None)


def _markdown(doc, md: str) -> None:
    _md_nodes(doc, _md_ast()(_nfc(md)))


def _md_nodes(doc, nodes: list, prefix: str = "") -> None:
    for n in nodes:
        t = n.get("type")
        if t in ("paragraph", "block_text"):
            p = _para(doc)
            if prefix:
                p.add_run(prefix)
                prefix = ""
            _inline(p, n.get("children"))
        elif t == "heading":
            p = _para(doc, keep_next=True)
            _inline(p, n.get("children"), bold=True)
        elif t == "list":
            attrs = n.get("attrs", {}) or {}
            k = int(attrs.get("start", 1) or 1)
            for item in n.get("children", []):
                mark = f"{k}. " if attrs.get("ordered") else "- "
                _md_nodes(doc, item.get("children", []), prefix=prefix + mark)
                prefix = ""
                k += 1
        elif t == "block_quote":
            _md_nodes(doc, n.get("children", []))
        elif t == "block_code":
            _para(doc, n.get("raw", "").rstrip("\n"))
        elif t == "thematic_break" or t == "blank_line":
            continue
        elif n.get("children"):
            _md_nodes(doc, n["children"])
        elif n.get("raw", "").strip():
            _para(doc, n["raw"])


def _table(doc, b: dict) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A
    from docx.shared import Mm, Pt

    cols = b.get("columns", []) or []
    rows = b.get("rows", []) or []
    if not cols:
        return
    t = doc.add_table(rows=1 + len(rows), cols=len(cols))
    t.style = doc.styles["Table Grid"]
    t.autofit = False
    widths = [_TEXT_WIDTH_MM * 0.7] + [_TEXT_WIDTH_MM * 0.3 / max(1, len(cols) - 1)] * (len(cols) - 1)
    for r_i, values in enumerate([cols] + [list(r) for r in rows]):
        for c_i, (cell, w) in enumerate(zip(t.rows[r_i].cells, widths)):
            cell.width = Mm(w)
            p = cell.paragraphs[0]
            run = p.add_run(_nfc(values[c_i] if c_i < len(values) else ""))
            run.font.size = Pt(12)
            run.font.bold = True if r_i == 0 else None
            pf = p.paragraph_format
            pf.first_line_indent, pf.space_after = Mm(0), Pt(0)
            pf.alignment = A.CENTER if r_i == 0 else (A.RIGHT if c_i > 0 else A.LEFT)
    _para(doc, after=0)


def _picture(doc, png: bytes) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A
    from docx.shared import Mm

    p = _para(doc, align=A.CENTER, indent=0, after=2, keep_next=True)
    p.add_run().add_picture(io.BytesIO(png), width=Mm(_TEXT_WIDTH_MM))


def _chart(doc, b: dict) -> None:

    _picture(doc, render_png(ChartSpec.from_json(b["spec"])))
    if b.get("caption"):
        _para(doc, b["caption"], size=13, italic=True)


def _end(doc, b: dict) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A

    _para(doc, after=0)
    t, _w = _two_columns(doc, 0.5)
    left, right = (_clear(c) for c in t.rows[0].cells)
    _para(left, "Nơi nhận:", size=12, bold=True, italic=True, align=A.LEFT, indent=0, after=0)
    for line in b.get("recipients", []) or []:
        _para(left, line, size=11, align=A.LEFT, indent=0, after=0)
    for a in b.get("signing_authority", []) or []:
        _para(right, a, size=14, bold=True, caps=True, align=A.CENTER, indent=0, after=0)
    for _ in range(4):  # room for signature and seal
        _para(right, align=A.CENTER, indent=0, after=0)
    _para(right, b.get("signer", "") or "", size=14, bold=True, align=A.CENTER, indent=0, after=0)


def _banner(doc, b: dict) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A

    _para(doc, b.get("text", ""), size=12, bold=True, align=A.CENTER, indent=0, color="B00020",
          before=6, after=6)


def _image(doc, b: dict) -> None:
    import base64

    _picture(doc, base64.b64decode(b["png"]))


_BUILDERS = {
    "header": _header,
    "banner": _banner,
    "heading": _heading,
    "paragraphs": _paragraphs,
    "markdown": lambda doc, b: _markdown(doc, b.get("markdown", "")),
    "table": _table,
    "chart": _chart,
    "end": _end,
    "image": _image,
}


# ---- entry point ------------------------------------------------------------------------------

def _doc_date(nb, blocks: list[dict]) -> _dt.datetime:
    """Fixed timestamp for core properties and zip entries: the report date, else 31 Dec of the year."""
    for b in blocks:
        if b.get("kind") == "header":
            d = (b.get("meta") or {}).get("date")
            if d:
                try:
                    day = _dt.date.fromisoformat(str(d)[:10])
                    return _dt.datetime(day.year, day.month, day.day, 8, 0, 0)
                except ValueError:
                    pass
    year = None
    params = (nb.metadata.get("papermill") or {}).get("parameters") or {}
    try:
        year = int(params.get("year"))
    except (TypeError, ValueError):
        for b in blocks:
            if b.get("kind") == "header":
                found = re.search(r"(19|20)\d\d", str((b.get("meta") or {}).get("subject", "")))
                year = int(found.group(0)) if found else None
    return _dt.datetime(year or 2000, 12, 31, 8, 0, 0)


def _deterministic_zip(data: bytes, when: _dt.datetime) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def notebook_to_docx(nb, *, title: str = "") -> bytes:
    """The .docx bytes of an executed report notebook (see the module docstring)."""
    import docx

    blocks = blocks_of(nb)
    doc = docx.Document()
    _setup(doc)
    for b in blocks:
        builder = _BUILDERS.get(b.get("kind"))
        if builder is not None:
            builder(doc, b)
    when = _doc_date(nb, blocks)
    cp = doc.core_properties
    cp.title = _nfc(title)
    header = next((b for b in blocks if b.get("kind") == "header"), {})
    cp.author = cp.last_modified_by = _nfc((header.get("meta") or {}).get("issuing_body", "danvan"))
    cp.subject = _nfc((header.get("meta") or {}).get("subject", ""))
    cp.comments = "danvan"
    cp.language = "vi-VN"
    cp.created = cp.modified = when
    cp.last_printed = when
    cp.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return _deterministic_zip(buf.getvalue(), when)
