"""Executed report notebook -> lean self-contained HTML, through nbconvert with danvan's own
template (no code, prompts, streams or tracebacks; one small stylesheet; no random ids).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from .. import __version__
from ..report.style import report_css, unwrap_block
from .notebook import is_dropped

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


_GLYPH_DEF = re.compile(r'<path id="(?P<id>LiberationSerif[^"]*)"(?: d="[^"]*")?(?: transform="[^"]*")?/>\s*')


def _report_preprocessor():
    """nbconvert preprocessor: keep the cells the audience reads, take the notebook copy of the
    stylesheet out of each block output (the page has it once, in its head), and define each chart
    glyph outline once per page (every inline SVG chart would otherwise repeat ~30 KB of the same
    glyphs)."""
    from nbconvert.preprocessors import Preprocessor

    class ReportPreprocessor(Preprocessor):
        def preprocess(self, nb, resources):
            audience = resources.get("danvan", {}).get("audience", "official")
            nb.cells = [c for c in nb.cells if not is_dropped(c, audience)]
            seen: set[str] = set()

            def once(m: re.Match) -> str:
                if m.group("id") in seen:
                    return ""
                seen.add(m.group("id"))
                return m.group(0)

            for cell in nb.cells:
                for out in cell.get("outputs", []):
                    html = out.get("data", {}).get("text/html")
                    if html is not None:
                        html = "".join(html) if isinstance(html, list) else html
                        out["data"]["text/html"] = _GLYPH_DEF.sub(once, unwrap_block(html))
            return nb, resources

    return ReportPreprocessor


def export_html(nb, *, title: str, provenance: dict | None = None, audience: str = "official",
                print_mode: bool = False) -> str:
    """The report HTML of an executed notebook (a ``NotebookNode``)."""
    resources_ = {
        "danvan": {
            "title": title,
            "css": report_css(),
            "provenance": provenance,
            "version": __version__,
            "audience": audience,
            "print": print_mode,
        }
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources_)
    return body


def warm_up() -> None:
    """Build the exporter now (batch workers pay nbconvert's set-up once, before their first report)."""
    _exporter()
