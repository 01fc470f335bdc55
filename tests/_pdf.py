"""Reading PDFs in tests with pip packages only (pypdf, pypdfium2): text, lines of text with their
positions, sizes and faces, horizontal rules, embedded fonts, metadata. Units: PDF points, origin
at the bottom left of the page."""

from __future__ import annotations

import ctypes
import io
import re
import unicodedata
from dataclasses import dataclass, field

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

MM = 72 / 25.4
A4 = (595.276, 841.89)
MARGINS_MM = {"top": 20, "right": 15, "bottom": 20, "left": 30}
TEXT_LEFT, TEXT_RIGHT = MARGINS_MM["left"] * MM, A4[0] - MARGINS_MM["right"] * MM
BUNDLED_FACE = re.compile(r"^/?[A-Z]{6}\+LiberationSerif(-Bold|-Italic|-BoldItalic)?$")


@dataclass
class Line:
    """A run of characters pdfium reads as one line (one baseline, in reading order)."""

    text: str = ""
    left: float = 1e9
    right: float = -1e9
    bottom: float = 1e9
    top: float = -1e9
    baseline: float = 0.0
    start: float = 1e9  # the pen position (origin) of the first character: where a line begins
    sizes: set = field(default_factory=set)
    faces: set = field(default_factory=set)  # Regular, Bold, Italic, BoldItalic

    @property
    def size(self) -> float:
        assert len(self.sizes) == 1, (self.text, self.sizes)
        return next(iter(self.sizes))

    @property
    def bold(self) -> bool:
        return bool(self.faces) and all("Bold" in f for f in self.faces)

    @property
    def italic(self) -> bool:
        return bool(self.faces) and all("Italic" in f for f in self.faces)

    @property
    def center(self) -> float:
        return (self.left + self.right) / 2

    @property
    def width(self) -> float:
        return self.right - self.left


def document(pdf: bytes) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(pdf)


def page_count(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def page_texts(pdf: bytes) -> list[str]:
    doc = document(pdf)
    try:
        return [unicodedata.normalize("NFC", doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
    finally:
        doc.close()


def text_in_rect(pdf: bytes, page: int, left: float, bottom: float, right: float, top: float) -> str:
    doc = document(pdf)
    try:
        return doc[page].get_textpage().get_text_bounded(left, bottom, right, top)
    finally:
        doc.close()


def squash(s: str) -> str:
    """Text without whitespace (a justified line may break wherever a space allows)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", s))


def _face(font_name: bytes) -> str:
    name = font_name.decode("ascii", "replace").split("+", 1)[-1]
    return name.split("-", 1)[1] if "-" in name else "Regular"


def lines(pdf: bytes, page: int) -> list[Line]:
    """The page's lines of text: pdfium's reading order, a new line where pdfium starts one (its
    generated line breaks) or where the baseline moves."""
    doc = document(pdf)
    try:
        tp = doc[page].get_textpage()
        out: list[Line] = []
        cur: Line | None = None
        buf = ctypes.create_string_buffer(256)
        flags = ctypes.c_int()
        x, y = ctypes.c_double(), ctypes.c_double()
        for i in range(tp.count_chars()):
            ch = tp.get_text_range(i, 1)
            if ch in ("\r", "\n"):
                cur = None
                continue
            if pdfium_c.FPDFText_IsGenerated(tp.raw, i) == 1:  # a space pdfium infers between words
                if cur is not None:
                    cur.text += " "
                continue
            pdfium_c.FPDFText_GetCharOrigin(tp.raw, i, x, y)
            if cur is None or abs(y.value - cur.baseline) > 1.0:
                cur = Line(baseline=y.value)
                out.append(cur)
            cur.text += ch
            if ch.isspace():
                continue
            cur.start = min(cur.start, x.value)
            left, bottom, right, top = tp.get_charbox(i)
            cur.left, cur.right = min(cur.left, left), max(cur.right, right)
            cur.bottom, cur.top = min(cur.bottom, bottom), max(cur.top, top)
            cur.sizes.add(round(pdfium_c.FPDFText_GetFontSize(tp.raw, i), 2))
            pdfium_c.FPDFText_GetFontInfo(tp.raw, i, buf, 256, ctypes.byref(flags))
            cur.faces.add(_face(buf.value))
        for ln in out:
            ln.text = unicodedata.normalize("NFC", ln.text).strip()
        return [ln for ln in out if ln.text]
    finally:
        doc.close()


def find(lines_: list[Line], text: str) -> Line:
    found = [ln for ln in lines_ if ln.text == text]
    assert found, f"no line {text!r} among {[ln.text for ln in lines_][:40]}"
    return found[0]


def rules(pdf: bytes, page: int) -> list[tuple[float, float, float, float]]:
    """Horizontal rules drawn on the page (path objects less than 2 pt high): (left, bottom, right,
    top) of their bounds, stroke included."""
    doc = document(pdf)
    try:
        out = []
        for obj in doc[page].get_objects(max_depth=1):
            if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
                left, bottom, right, top = obj.get_bounds()
                if top - bottom < 2 and right - left > 5:
                    out.append((left, bottom, right, top))
        return out
    finally:
        doc.close()


def filled_boxes(pdf: bytes, page: int, min_width: float = 100, min_height: float = 50) -> list[tuple]:
    """Bounds of the large path objects of a page (e.g. a chart's background)."""
    doc = document(pdf)
    try:
        return [b for obj in doc[page].get_objects(max_depth=1) if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH
                for b in [obj.get_bounds()] if b[2] - b[0] >= min_width and b[3] - b[1] >= min_height]
    finally:
        doc.close()


def embedded_fonts(pdf: bytes) -> set[str]:
    """BaseFont of every font a PDF holds (pages and nested form XObjects, e.g. the SVG charts)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    names: set[str] = set()
    seen: set = set()

    def walk(res):
        if res is None:
            return
        res = res.get_object()
        for font in (res.get("/Font") or {}).values():
            font = font.get_object()
            names.add(str(font.get("/BaseFont")))
            for d in font.get("/DescendantFonts") or []:
                d = d.get_object()
                names.add(str(d.get("/BaseFont")))
                desc = d.get("/FontDescriptor")
                assert desc is not None and any(k in desc.get_object() for k in ("/FontFile2", "/FontFile3")), \
                    f"{d.get('/BaseFont')} is not embedded"
        for xo in (res.get("/XObject") or {}).values():
            ref = getattr(xo, "idnum", id(xo))
            if ref in seen:
                continue
            seen.add(ref)
            walk(xo.get_object().get("/Resources"))

    for p in reader.pages:
        walk(p.get("/Resources"))
    return names


def metadata(pdf: bytes) -> dict:
    return dict(pypdf.PdfReader(io.BytesIO(pdf)).metadata or {})


def xmp(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")


def dark_share(pdf: bytes, page: int, box_mm: tuple[float, float, float, float] | None = None, scale=0.5) -> float:
    """Share of dark pixels (grey < 128) of a page, or of a box (left, top, right, bottom in mm from
    the top left corner)."""
    doc = document(pdf)
    try:
        img = doc[page].render(scale=scale, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    if box_mm:
        per_mm = img.width / 210
        img = img.crop(tuple(int(v * per_mm) for v in box_mm))
    hist = img.histogram()
    return sum(hist[:128]) / max(1, img.width * img.height)
