"""Executed report notebook -> Word (.docx) in the NĐ 30/2020/NĐ-CP layout, with python-docx.

Officials edit and sign in Word, so the .docx is rebuilt from the same content as the HTML/PDF:
the ``application/vnd.danvan.block+json`` data of every display output, in notebook order (cells
tagged ``analyst-only`` or ``qa`` are skipped, as in the official HTML), plus the notebook's own
Markdown cells that are not ``analyst-only``.

Block kinds: ``header`` (two-column borderless table: issuing body | Quốc hiệu and Tiêu ngữ, then
"BÁO CÁO" and the subject), ``banner``, ``heading``, ``paragraphs`` (missing figures in red
italics, as the HTML's ``span.missing``), ``markdown`` (:mod:`danvan.export.markdown`'s tree:
paragraphs, lists as "1. …"/"- …" paragraphs, emphasis), ``table`` (what the HTML says before it,
its section rows, its footer row and note; columns as wide as the PDF's), ``chart`` (a PNG that
Typst renders from the chart's own SVG, the same picture as in the PDF), ``end`` (two-column
table: Nơi nhận | signature); ``group`` blocks are walked.

Layout: A4 portrait, margins top/bottom 20 mm, left 30 mm, right 15 mm; body 14 pt, justified,
first-line indent 1.27 cm, 6 pt after each paragraph; page numbers (PAGE field) top centre from
page 2 (different first-page header).

Fonts: styles name "Times New Roman", the decree's font. Word on Windows has it (complete
Vietnamese); LibreOffice on Linux substitutes the metric-compatible Liberation Serif (the same
metrics as the bundled Liberation Serif 2.1.5 the PDF uses, so lines break the same way). Fonts are
not embedded in the .docx: a host whose only "Liberation Serif" is Debian's 1.07 would show
missing Vietnamese letters there; install fonts-liberation2 (or Times New Roman).

Output is deterministic: core properties (created/modified) come from the report date (or the
31 December of the report year) and the zip entries carry that fixed timestamp. The keywords carry
the provenance (data, notebook and code digests, git commit), as the PDF's do.
"""

from __future__ import annotations

import datetime as _dt
import io
import unicodedata
import zipfile

from ..report.blocks import DOC_TITLE, NOI_NHAN, QUOC_HIEU, TIEU_NGU
from .charts import ReportCharts
from .fonts import text_width
from .markdown import markdown_tree
from .notebook import PROVENANCE_ROWS, PROVENANCE_TITLE, blocks_of, document_datetime, document_keywords
from .tables import table_layout

__all__ = ["notebook_to_docx", "FONT_NAME", "PAGE_MARGINS_MM"]

FONT_NAME = "Times New Roman"
PAGE_MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
_TEXT_WIDTH_MM = 210 - PAGE_MARGINS_MM["left"] - PAGE_MARGINS_MM["right"]  # 165 mm
_HEADER_SPLIT = 0.44  # left column share, as in report.css
_INDENT_CM = 1.27
_RED = "B00020"  # report.css: .missing, .banner
_GREY = "555555"  # the provenance footer


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

def _run(p, text: str, *, size=None, bold=None, italic=None, color=None):
    """A run of ``text`` (NFC); None leaves a property to the paragraph's style."""
    from docx.shared import Pt, RGBColor

    r = p.add_run(_nfc(text))
    if size:
        r.font.size = Pt(size)
    r.font.bold, r.font.italic = bold, italic
    if color:
        r.font.color.rgb = RGBColor.from_string(color)
    return r


def _para(container, text: str = "", *, size=None, bold=None, italic=None, align=None, indent=None,
          after=None, before=None, keep_next=None, caps=False, color=None):
    from docx.shared import Cm, Pt

    p = container.add_paragraph()
    if text:
        _run(p, text.upper() if caps else text, size=size, bold=bold, italic=italic, color=color)
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


def _text_mm(text: str, pt: float, bold=False, italic=False) -> float:
    """Width of a line in the (metric-identical) bundled Liberation Serif, in mm."""
    return text_width(text, pt, bold=bold, italic=italic) * 25.4 / 72


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
    _para(doc, DOC_TITLE, size=14, bold=True, align=A.CENTER, indent=0, after=0, before=18, keep_next=True)
    _para(doc, m.get("subject", ""), size=14, bold=True, align=A.CENTER, indent=0, after=0, keep_next=True)
    _rule(doc, 30, _TEXT_WIDTH_MM, before=3, after=12)


def _heading(doc, b: dict) -> None:
    level = int(b.get("level", 2))
    doc.add_paragraph(_nfc(b.get("text", "")), style="Heading 2" if level <= 2 else "Heading 3")


def _paragraphs(doc, b: dict) -> None:
    paras = b.get("paragraphs", []) or []
    runs = b.get("runs") if isinstance(b.get("runs"), list) and len(b["runs"]) == len(paras) else None
    whole = b.get("missing") is True  # (a city's coverage block lists missing units under "missing")
    for i, text in enumerate(paras):
        p = _para(doc)
        for r in (runs[i] if runs else [{"text": text}]):
            missing = whole or bool(r.get("missing"))  # red italics, as the HTML's span.missing
            _run(p, str(r.get("text", "")), italic=(missing or b.get("italic")) or None, color=_RED if missing else None)


def _inline(p, nodes: list, bold=False, italic=False) -> None:
    for n in nodes or []:
        t = n["type"]
        if t == "text":
            _run(p, n["text"], bold=bold or None, italic=italic or None)
        elif t == "strong":
            _inline(p, n["children"], True, italic)
        elif t == "emphasis":
            _inline(p, n["children"], bold, True)
        elif t == "softbreak":
            p.add_run(" ")
        elif t == "linebreak":
            p.add_run().add_break()
        elif t == "link":
            _inline(p, n["children"], bold, italic)


def _markdown(doc, md: str) -> None:
    _md_nodes(doc, markdown_tree(md))


def _md_nodes(doc, nodes: list, prefix: str = "") -> None:
    for n in nodes:
        t = n["type"]
        if t == "paragraph":
            p = _para(doc)
            if prefix:
                p.add_run(prefix)
                prefix = ""
            _inline(p, n["children"])
        elif t == "heading":
            p = _para(doc, keep_next=True)
            _inline(p, n["children"], bold=True)
        elif t == "list":
            for k, item in enumerate(n["children"], start=n["start"]):
                mark = f"{k}. " if n["ordered"] else "- "
                _md_nodes(doc, item["children"], prefix=prefix + mark)
                prefix = ""
        elif t == "block_quote":
            _md_nodes(doc, n["children"])
        elif t == "block_code":
            _para(doc, n["text"])


def _table(doc, b: dict) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A
    from docx.shared import Mm, Pt

    t = table_layout(b)
    cols = t["columns"]
    if not cols:
        return
    for line in ([t["intro"]] if t["intro"] else []) + [f"- {r}" for r in t["rules"]] + (
            [t["tie_rule"]] if t["tie_rule"] else []):
        _para(doc, line)
    lines = [("header", cols)]
    for i, row in enumerate(t["rows"]):
        lines += [("section", s["text"]) for s in t["sections"] if s["row"] == i]
        lines.append(("body", row))
    if t["footer"]:
        lines.append(("footer", t["footer"]))
    table = doc.add_table(rows=len(lines), cols=len(cols))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    widths = [_TEXT_WIDTH_MM * w for w in t["widths"]]
    for r_i, (what, values) in enumerate(lines):
        cells = table.rows[r_i].cells
        for cell, w in zip(cells, widths):
            cell.width = Mm(w)
        if what == "section":  # one cell across the row, as the HTML's section rows
            cells = [cells[0].merge(cells[-1])]
            values = [values]
        for c_i, cell in enumerate(cells):
            p = cell.paragraphs[0]
            _run(p, values[c_i] if c_i < len(values) else "", size=t["size"], bold=True if what != "body" else None)
            pf = p.paragraph_format
            pf.first_line_indent, pf.space_after = Mm(0), Pt(0)
            if what == "header":
                pf.alignment = A.CENTER
            else:
                pf.alignment = A.RIGHT if what != "section" and t["values"][c_i] else A.LEFT
    if t["note"]:
        _para(doc, t["note"], before=6)
    _para(doc, after=0)


def _picture(doc, png: bytes) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A
    from docx.shared import Mm

    p = _para(doc, align=A.CENTER, indent=0, after=2, keep_next=True)
    p.add_run().add_picture(io.BytesIO(png), width=Mm(_TEXT_WIDTH_MM))


def _chart(doc, b: dict, charts: ReportCharts) -> None:
    _picture(doc, charts.png(b))
    if b.get("caption"):
        _para(doc, b["caption"], size=13, italic=True)


def _end(doc, b: dict) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A

    _para(doc, after=0)
    t, _w = _two_columns(doc, 0.5)
    left, right = (_clear(c) for c in t.rows[0].cells)
    _para(left, NOI_NHAN, size=12, bold=True, italic=True, align=A.LEFT, indent=0, after=0)
    for line in b.get("recipients", []) or []:
        _para(left, line, size=11, align=A.LEFT, indent=0, after=0)
    for a in b.get("signing_authority", []) or []:
        _para(right, a, size=14, bold=True, caps=True, align=A.CENTER, indent=0, after=0)
    for _ in range(4):  # room for signature and seal
        _para(right, align=A.CENTER, indent=0, after=0)
    _para(right, b.get("signer", "") or "", size=14, bold=True, align=A.CENTER, indent=0, after=0)


def _provenance(doc, provenance: dict) -> None:
    """The provenance footer of the HTML and the PDF: small grey lines after the signature."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A

    rows = [(label, str(provenance[key])) for label, key in PROVENANCE_ROWS if provenance.get(key)]
    if not rows:
        return
    kw = dict(size=6.5, align=A.LEFT, indent=0, after=0, color=_GREY)
    _para(doc, PROVENANCE_TITLE, bold=True, before=18, **kw)
    for label, value in rows:
        p = _para(doc, **kw)
        _run(p, f"{label}: ", size=6.5, bold=True, color=_GREY)
        _run(p, value, size=6.5, color=_GREY)


def _core_keywords(keywords: list[str], limit: int = 255) -> str:
    """The keywords that fit Word's 255 characters, in order (the body's footer has them all)."""
    kept: list[str] = []
    for k in keywords:
        if len(", ".join([*kept, k])) <= limit:
            kept.append(k)
    return ", ".join(kept)


def _banner(doc, b: dict) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A

    _para(doc, b.get("text", ""), size=12, bold=True, align=A.CENTER, indent=0, color=_RED,
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
    "end": _end,
    "image": _image,
}


# ---- entry point ------------------------------------------------------------------------------

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


def notebook_to_docx(nb, *, title: str = "", provenance: dict | None = None,
                     charts: ReportCharts | None = None) -> bytes:
    """The .docx bytes of an executed report notebook (see the module docstring). ``charts``: the
    report's :class:`~danvan.export.charts.ReportCharts` (shared with the other formats)."""
    import docx

    charts = charts or ReportCharts()
    blocks = blocks_of(nb)
    doc = docx.Document()
    _setup(doc)
    builders = _BUILDERS | {"chart": lambda doc_, b_: _chart(doc_, b_, charts)}
    for b in blocks:
        builder = builders.get(b.get("kind"))
        if builder is not None:
            builder(doc, b)
    _provenance(doc, provenance or {})
    when = document_datetime(blocks, provenance, nb)
    cp = doc.core_properties
    cp.title = _nfc(title)
    header = next((b.get("meta") or {} for b in blocks if b.get("kind") == "header"), {})
    cp.author = cp.last_modified_by = _nfc(header.get("issuing_body", "danvan"))
    cp.subject = _nfc(header.get("subject", ""))
    cp.keywords = _core_keywords(document_keywords(header, provenance))
    cp.comments = "danvan"
    cp.language = "vi-VN"
    cp.created = cp.modified = when
    cp.last_printed = when
    cp.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return _deterministic_zip(buf.getvalue(), when)
