"""The bundled Liberation Serif 2.1.5 faces as the exporters use them: which characters they draw,
how wide a text is set in them, and the per-page WOFF2 subsets the HTML embeds for its charts.

Every format uses only these faces: the PDF (Typst is given this folder and no system font), the
charts (matplotlib), the HTML charts (an ``@font-face`` subset of the faces, so that no browser
falls back to a system "Liberation Serif" such as Debian's incomplete 1.07, which mixes two fonts
inside Vietnamese words), and the measurements of the PDF's and Word's table columns and header
rules.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
import unicodedata
from pathlib import Path

from ..report.charts import FONT_FAMILY, font_files

__all__ = ["FACES", "FONT_FAMILY", "HTML_CHART_FAMILY", "fonts_dir", "face_path", "face_name",
           "uncovered_characters", "text_width", "svg_text_chars", "font_face_css", "STABLE_CHARS"]

#: face -> (CSS font-weight, CSS font-style)
FACES = {"Regular": ("normal", "normal"), "Bold": ("bold", "normal"), "Italic": ("normal", "italic"),
         "BoldItalic": ("bold", "italic")}


def fonts_dir() -> Path:
    return font_files()[0].parent


def face_name(bold: bool = False, italic: bool = False) -> str:
    return ("Bold" if bold else "") + ("Italic" if italic else "") or "Regular"


@functools.lru_cache(maxsize=None)
def face_path(face: str) -> Path:
    by_face = {p.stem.split("-", 1)[1]: p for p in font_files()}
    missing = set(FACES) - set(by_face)
    if missing:
        raise RuntimeError(f"bundled font faces missing from {fonts_dir()}: {sorted(missing)}")
    return by_face[face]


@functools.lru_cache(maxsize=None)
def _advances(face: str) -> tuple[dict[int, float], float]:
    """code point -> advance width in em of one face; and the advance of a missing glyph."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(face_path(face)), lazy=True)
    upem = font["head"].unitsPerEm
    hmtx = font["hmtx"].metrics
    return {cp: hmtx[g][0] / upem for cp, g in font.getBestCmap().items()}, hmtx[".notdef"][0] / upem


def text_width(text: str, size: float, *, bold: bool = False, italic: bool = False) -> float:
    """Width in pt of ``text`` set at ``size`` pt in a bundled face (advance widths; the faces have
    no kerning that the exporters turn on)."""
    adv, notdef = _advances(face_name(bold, italic))
    return sum(adv.get(ord(c), notdef) for c in unicodedata.normalize("NFC", text)) * size


@functools.lru_cache(maxsize=1)
def _coverage() -> frozenset[int]:
    """Code points every bundled face can draw."""
    common: set[int] | None = None
    for face in FACES:
        cps = set(_advances(face)[0])
        common = cps if common is None else common & cps
    return frozenset(common or ())


def uncovered_characters(text: str) -> set[str]:
    """Visible characters of ``text`` that the bundled faces cannot draw (no other font may stand in)."""
    cov = _coverage()
    return {ch for ch in set(text)
            if ord(ch) not in cov and not ch.isspace() and unicodedata.category(ch)[0] not in "CZ"}


# ---- HTML: the font of text-as-text charts ------------------------------------------------------

_TEXT_RE = re.compile(r"<text\b([^>]*)>(.*?)</text>", re.S)


def svg_text_chars(svgs) -> dict[str, set[str]]:
    """Characters of the ``<text>`` elements of chart SVGs, by face: what a page's subsets hold."""
    out: dict[str, set[str]] = {}
    for svg in svgs:
        for attrs, body in _TEXT_RE.findall(svg):
            face = face_name("font-weight: 700" in attrs or "font-weight: bold" in attrs, "font-style: italic" in attrs)
            out.setdefault(face, set()).update(unicodedata.normalize("NFC", html.unescape(body)))
    return out


#: Always in a page's subset (figures and their punctuation): the pages of a batch then share a few
#: subsets, each made once per process (subsetting and WOFF2 cost ~0.1 s per face).
STABLE_CHARS = " 0123456789.,:;%()-–/"


@functools.lru_cache(maxsize=256)
def _woff2_subset(face: str, chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.drop_tables += ["FFTM"]  # FontForge's timestamps
    opts.flavor = "woff2"
    opts.layout_features = ["kern", "liga"]
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # copyright, family, version (the OFL asks to keep them)
    opts.notdef_outline = True
    font = TTFont(str(face_path(face)), recalcTimestamp=False)  # head.modified stays the font's own: same bytes
    sub = subset.Subsetter(opts)
    sub.populate(text=chars)
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff2"
    font.save(buf)
    return buf.getvalue()


#: The family the page's chart subsets are declared under: a name of its own, because a page that
#: declared "Liberation Serif" would hide the reader's own Liberation Serif from the body text too
#: (which names it as a fallback of Times New Roman), leaving only the charts' few letters.
HTML_CHART_FAMILY = "danvan Liberation Serif"


def font_face_css(svgs) -> str:
    """CSS for a page's charts (empty without chart text): ``@font-face`` rules embedding, as WOFF2
    ``data:`` URLs, the subset of each bundled face that the charts draw, and a rule that sets the
    charts' text in it (over the SVGs' own ``font-family: 'Liberation Serif'``, which Typst uses)."""
    rules = []
    for face, chars in sorted(svg_text_chars(svgs).items()):
        chars = "".join(sorted(chars | set(STABLE_CHARS)))
        data = base64.b64encode(_woff2_subset(face, chars)).decode("ascii")
        weight, style = FACES[face]
        rules.append(f'@font-face{{font-family:"{HTML_CHART_FAMILY}";font-weight:{weight};font-style:{style};'
                     f'src:url(data:font/woff2;base64,{data}) format("woff2")}}')
    if rules:
        rules.append(f'svg.chart text{{font-family:"{HTML_CHART_FAMILY}",serif!important}}')
    return "\n".join(rules)
