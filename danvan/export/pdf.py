"""Report HTML -> PDF with WeasyPrint, using only the fonts bundled in ``danvan/fonts``.

The report HTML stays lean and names system fonts (Times New Roman / Liberation Serif) for the
screen. For print, :func:`html_to_pdf` adds one extra stylesheet, :func:`print_css`, that

* declares the bundled Liberation Serif 2.1.5 faces with ``@font-face`` (``file://`` URLs into the
  package), and
* sets every font-family stack used in print (body, page-number margin boxes, provenance footer,
  SVG chart text) to that family only.

Font fallback is closed as well: WeasyPrint runs with a Fontconfig configuration that holds *no*
system font at all (``FONTCONFIG_FILE`` points to an empty configuration while the
:class:`~weasyprint.text.fonts.FontConfiguration` is created). A glyph missing from the bundled
faces therefore cannot be borrowed from DejaVu or from Debian's incomplete Liberation 1.07: the
only fonts the PDF can embed are the four bundled faces (``pdffonts`` checks this in the tests).

The font configuration and the parsed print stylesheet are built once per process and reused
(WeasyPrint is not thread-safe with a shared configuration, so calls are serialised by a lock).
Only ``file://`` URLs inside the fonts directory and ``data:`` URLs can be fetched while printing:
a report never reaches the network.

Charts: inline chart SVGs in the notebook draw glyphs as paths (so the HTML needs no font);
WeasyPrint re-parses every glyph path of every label, which costs about 1 s per report.
:func:`print_notebook` redraws each chart from its block JSON with text as SVG ``<text>`` in the
bundled family: the same picture, 4-5x faster to print, and the labels become searchable text.
"""

from __future__ import annotations

import atexit
import copy
import functools
import logging
import os
import re
import tempfile
import threading
import unicodedata
from pathlib import Path

from ..report.blocks import MIME_BLOCK
from ..report.charts import FONT_FAMILY, ChartSpec, font_files, render_svg
from .notebook import chart_specs, is_dropped

__all__ = [
    "html_to_pdf",
    "uncovered_characters",
    "layout",
    "print_css",
    "print_notebook",
    "font_configuration",
    "fonts_dir",
    "PRINT_FAMILY",
]

log = logging.getLogger(__name__)

#: The only font family a danvan PDF uses (the bundled Liberation Serif 2.1.5 faces).
PRINT_FAMILY = FONT_FAMILY

_FACES = {  # file stem suffix -> (font-weight, font-style)
    "Regular": ("normal", "normal"),
    "Bold": ("bold", "normal"),
    "Italic": ("normal", "italic"),
    "BoldItalic": ("bold", "italic"),
}
_EMPTY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- danvan: no system font directory; the PDF may only use the @font-face faces. -->
<fontconfig></fontconfig>
"""
_LOCK = threading.RLock()


def fonts_dir() -> Path:
    return font_files()[0].parent


def _font_face_rules() -> str:
    rules = []
    by_style = {p.stem.split("-", 1)[1]: p for p in font_files()}
    missing = set(_FACES) - set(by_style)
    if missing:
        raise RuntimeError(f"bundled font faces missing from {fonts_dir()}: {sorted(missing)}")
    for style, (weight, slant) in _FACES.items():
        url = by_style[style].resolve().as_uri()
        rules.append(
            f'@font-face {{ font-family: "{PRINT_FAMILY}"; src: url("{url}") format("truetype"); '
            f"font-weight: {weight}; font-style: {slant}; }}"
        )
    return "\n".join(rules)


def print_css() -> str:
    """The print-only stylesheet: bundled @font-face faces and single-family font stacks."""
    fam = f'"{PRINT_FAMILY}"'
    return f"""{_font_face_rules()}
/* print: only the bundled family, everywhere (text, margin boxes, footer, chart text) */
*, *::before, *::after, *::marker, svg text {{ font-family: {fam} !important; }}
@page {{ @top-center {{ font-family: {fam}; }} }}
"""


class _LocalFetcher:
    """URL fetcher for printing: ``data:`` URLs and the bundled font files only."""

    def __init__(self):
        from weasyprint.urls import URLFetcher

        self._inner = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=False)
        self._fail_on_errors = False
        self._root = fonts_dir().resolve()

    def __call__(self, url: str):
        if url.startswith("file:"):
            from urllib.parse import unquote, urlparse

            path = Path(unquote(urlparse(url).path)).resolve()
            if self._root not in path.parents:
                raise ValueError(f"refusing to read {url} while printing a report")
        elif not url.startswith("data:"):
            raise ValueError(f"refusing to fetch {url} while printing a report")
        return self._inner.fetch(url)

    fetch = __call__


@functools.lru_cache(maxsize=1)
def font_configuration():
    """A WeasyPrint ``FontConfiguration`` whose Fontconfig knows no system font (once per process)."""
    from weasyprint.text.fonts import FontConfiguration

    with _LOCK:
        fd, conf = tempfile.mkstemp(prefix="danvan-fonts-", suffix=".conf")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_EMPTY_FONTCONFIG)
        saved = os.environ.get("FONTCONFIG_FILE")
        os.environ["FONTCONFIG_FILE"] = conf
        try:
            fc = FontConfiguration()
        finally:
            if saved is None:
                os.environ.pop("FONTCONFIG_FILE", None)
            else:
                os.environ["FONTCONFIG_FILE"] = saved
            os.unlink(conf)
    atexit.register(_release, fc)
    return fc


def _release(fc) -> None:
    """Remove the configuration's temporary font folder before interpreter shutdown (WeasyPrint's
    own ``__del__`` would run when ``shutil`` is already torn down and print a traceback)."""
    import shutil

    folder, fc._folder = getattr(fc, "_folder", None), None
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _stylesheet():
    from weasyprint import CSS

    return CSS(string=print_css(), font_config=font_configuration(), url_fetcher=_LocalFetcher())


@functools.lru_cache(maxsize=1)
def _fetcher():
    return _LocalFetcher()


@functools.lru_cache(maxsize=1)
def _coverage() -> frozenset[int]:
    """Code points every bundled face can draw."""
    from fontTools.ttLib import TTFont

    common: set[int] | None = None
    for f in font_files():
        cps = set(TTFont(str(f), lazy=True)["cmap"].getBestCmap())
        common = cps if common is None else common & cps
    return frozenset(common or ())


def uncovered_characters(text: str) -> set[str]:
    """Visible characters of ``text`` that the bundled faces cannot draw (they would print as
    boxes: no other font is allowed to stand in)."""
    cov = _coverage()
    return {ch for ch in set(text)
            if ord(ch) not in cov and not ch.isspace() and unicodedata.category(ch)[0] not in "CZ"}


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """PDF bytes of a report HTML page (export_html(..., print_mode=True)), bundled fonts only."""
    missing = uncovered_characters(html)
    if missing:
        log.warning("characters missing from the bundled fonts (printed as boxes): %s",
                    " ".join(f"{c} U+{ord(c):04X}" for c in sorted(missing)))
    with _LOCK:
        return layout(html, base_url=base_url).write_pdf()


def layout(html: str, *, base_url: str | None = None):
    """The laid-out WeasyPrint ``Document`` (pages and boxes) of a print HTML page, exactly as
    :func:`html_to_pdf` prints it; the layout tests inspect it."""
    from weasyprint import HTML

    with _LOCK:
        doc = HTML(string=html, base_url=base_url, url_fetcher=_fetcher())
        return doc.render(stylesheets=[_stylesheet()], font_config=font_configuration())


# ---- charts for print ----------------------------------------------------------------------

_SVG_RE = re.compile(r"<svg\b.*?</svg>", re.S)


def _svg_img(svg: str, title: str) -> str:
    """A chart as an ``<img>`` of SVG data: WeasyPrint then draws it as an image, without running
    the document's CSS cascade over every SVG node (~25% of a report's PDF time)."""
    import base64
    import html

    if "xmlns=" not in svg[: svg.find(">")]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="chart" alt="{html.escape(title, quote=True)}" src="data:image/svg+xml;base64,{data}">'


def print_notebook(nb):
    """A copy of an executed report notebook whose chart outputs draw text as text (for print).

    Each display output carrying chart blocks gets its inline SVGs replaced, in order, by
    :func:`danvan.report.charts.render_svg` with ``text="text"``. Outputs whose SVG count does not
    match their chart blocks are left alone (correct, only slower to print).
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_dropped(cell):
            continue  # never printed: the export drops it, so do not redraw its charts
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data") or {}
            block, html = data.get(MIME_BLOCK), data.get("text/html")
            if not isinstance(block, dict) or not isinstance(html, str):
                continue
            specs = chart_specs(block)
            if not specs or len(_SVG_RE.findall(html)) != len(specs):
                continue
            try:
                svgs = iter([_svg_img(render_svg(ChartSpec.from_json(s), text="text"), s.get("title", ""))
                             for s in specs])
            except Exception:  # a bad spec keeps the notebook's own SVG
                log.warning("chart redraw for print failed; keeping the notebook SVG", exc_info=True)
                continue
            data["text/html"] = _SVG_RE.sub(lambda _m: next(svgs), html)
    return nb
