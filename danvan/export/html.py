"""Executed report notebook -> lean self-contained HTML, through nbconvert with danvan's own
template (no code, prompts, streams or tracebacks; one small stylesheet; no random ids).

Charts are inline SVGs whose labels are text in the bundled Liberation Serif: the page embeds, as
WOFF2 ``data:`` URLs, the subset of the bundled faces its charts draw (:func:`danvan.export.fonts.font_face_css`),
so every browser shows the same letters whatever fonts its system has (a system "Liberation Serif"
such as Debian's 1.07 lacks many Vietnamese letters and would mix fonts inside words).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from .. import __version__
from ..report.style import report_css, unwrap_block
from .fonts import font_face_css
from .notebook import PROVENANCE_ROWS, PROVENANCE_TITLE, is_dropped

__all__ = ["export_html", "report_css", "warm_up", "TEMPLATE_PATH"]

TEMPLATE_PATH = Path(__file__).resolve().parent / "templates" / "report.html.j2"


@functools.lru_cache(maxsize=1)
def _exporter():
    """A plain TemplateExporter with danvan's template. (nbconvert's HTMLExporter would re-parse and
    re-serialise the whole page with BeautifulSoup for lab-theme accessibility tweaks that an
    outputs-only report does not need: ~40% of export time.)"""
    from nbconvert.exporters import TemplateExporter
    from nbconvert.filters import markdown2html_mistune

    class ReportExporter(TemplateExporter):
        output_mimetype = "text/html"
        file_extension = ".html"

        def default_filters(self):
            yield from super().default_filters()
            yield ("markdown2html", markdown2html_mistune)

    exp = ReportExporter(template_file=str(TEMPLATE_PATH))
    exp.register_preprocessor(_report_preprocessor(), enabled=True)
    exp.exclude_input = True
    exp.exclude_input_prompt = True
    exp.exclude_output_prompt = True
    return exp


_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def _report_preprocessor():
    """nbconvert preprocessor: keep the cells the audience reads, take the notebook copy of the
    stylesheet out of each block output (the page has it once, in its head), and give the page the
    font subsets its charts need."""
    from nbconvert.preprocessors import Preprocessor

    class ReportPreprocessor(Preprocessor):
        def preprocess(self, nb, resources):
            audience = resources.get("danvan", {}).get("audience", "official")
            nb.cells = [c for c in nb.cells if not is_dropped(c, audience)]
            svgs = []
            for cell in nb.cells:
                for out in cell.get("outputs", []):
                    html = out.get("data", {}).get("text/html")
                    if html is not None:
                        html = unwrap_block("".join(html) if isinstance(html, list) else html)
                        out["data"]["text/html"] = html
                        svgs += _SVG.findall(html)
            resources.setdefault("danvan", {})["font_css"] = font_face_css(svgs)
            return nb, resources

    return ReportPreprocessor


def export_html(nb, *, title: str, provenance: dict | None = None, audience: str = "official") -> str:
    """The report HTML of an executed notebook (a ``NotebookNode``)."""
    resources_ = {
        "danvan": {
            "title": title,
            "css": report_css(),
            "provenance": provenance,
            "provenance_title": PROVENANCE_TITLE,
            "provenance_rows": PROVENANCE_ROWS,
            "version": __version__,
            "audience": audience,
        }
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources_)
    return body


def warm_up() -> None:
    """Build the exporter now (batch workers pay nbconvert's set-up once, before their first report)."""
    _exporter()
