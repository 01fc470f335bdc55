"""Export an executed report notebook: lean self-contained HTML through nbconvert with danvan's own
template (no code, prompts, streams or tracebacks; one small stylesheet; no random ids), and from
that HTML a PDF (WeasyPrint) or, from the report blocks, a Word document.

All writes are atomic: a file appears under its final name only when complete.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
from importlib import resources
from pathlib import Path

__all__ = ["export_html", "atomic_write", "report_css", "FORMATS", "export_formats"]

FORMATS = ("html", "pdf", "docx")


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _template_path() -> Path:
    return Path(str(resources.files("danvan") / "templates" / "nbconvert" / "report.html.j2"))


@functools.lru_cache(maxsize=1)
def report_css() -> str:
    return (Path(str(resources.files("danvan") / "static" / "report.css"))).read_text(encoding="utf-8")


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

    exp = ReportExporter(template_file=str(_template_path()))
    exp.register_preprocessor(_report_preprocessor(), enabled=True)
    exp.exclude_input = True
    exp.exclude_input_prompt = True
    exp.exclude_output_prompt = True
    return exp


# cells never in a report, and cells only analysts see (dropped from the official HTML/PDF)
HIDDEN_TAGS = {"analyst-only"}
ANALYST_TAGS = {"qa"}
_GLYPH_DEF = re.compile(r'<path id="(?P<id>LiberationSerif[^"]*)"(?: d="[^"]*")?(?: transform="[^"]*")?/>\s*')


def _report_preprocessor():
    """nbconvert preprocessor: keep the cells the audience reads, and define each chart glyph
    outline once per page (every inline SVG chart would otherwise repeat ~30 KB of the same glyphs)."""
    from nbconvert.preprocessors import Preprocessor

    class ReportPreprocessor(Preprocessor):
        def preprocess(self, nb, resources):
            official = "official" in resources.get("danvan", {}).get("audience", "official")
            drop = HIDDEN_TAGS | (ANALYST_TAGS if official else set())
            nb.cells = [c for c in nb.cells if not drop & set(c.metadata.get("tags", []))]
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
                        out["data"]["text/html"] = _GLYPH_DEF.sub(once, html)
            return nb, resources

    return ReportPreprocessor


def export_html(nb, *, title: str, provenance: dict | None = None, audience: str = "official",
                print_mode: bool = False) -> str:
    """The report HTML of an executed notebook (a ``NotebookNode``)."""
    from . import __version__

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


def export_formats(nb, outdir: Path, *, formats=("html",), title: str, provenance: dict | None,
                   stem: str = "report") -> dict[str, Path]:
    """Write the requested formats of one report atomically; return ``{format: path}``."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {sorted(unknown)}; choose from {FORMATS}")
    written: dict[str, Path] = {}
    html = export_html(nb, title=title, provenance=provenance)
    if "html" in formats:
        p = outdir / f"{stem}.html"
        atomic_write(p, html)
        written["html"] = p
    if "pdf" in formats:
        from .pdf import html_to_pdf, print_notebook

        p = outdir / f"{stem}.pdf"
        # print_notebook: charts redrawn with text as text (bundled font), 4-5x faster to print
        atomic_write(p, html_to_pdf(export_html(print_notebook(nb), title=title, provenance=provenance,
                                                print_mode=True)))
        written["pdf"] = p
    if "docx" in formats:
        from .docx_export import notebook_to_docx

        p = outdir / f"{stem}.docx"
        atomic_write(p, notebook_to_docx(nb, title=title))
        written["docx"] = p
    return written
