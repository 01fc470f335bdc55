"""Output formats: one exporter per format, found through a registry (like nbconvert's
``get_exporter``). Each exporter turns an executed report notebook into the bytes of one file;
writing them (atomically) is the caller's business. The exporters of one report share its
:class:`~danvan.export.charts.ReportCharts` (``ExportContext.charts``): a chart is drawn once, in
the notebook, and its PNG for Word made once.

Third parties add formats with ``exporters.register(name, exporter)`` or through the
``danvan.exporter`` entry point group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ExportError
from ..core.files import atomic_write
from ..core.registry import Registry
from .charts import ReportCharts
from .html import export_html
from .pdf import notebook_to_pdf
from .word import notebook_to_docx

__all__ = ["Exporter", "exporters", "ExportContext", "FORMATS", "export_formats"]


@dataclass(frozen=True)
class ExportContext:
    """What every exporter of one report is given besides the notebook."""

    title: str
    provenance: dict | None = None
    charts: ReportCharts = field(default_factory=ReportCharts)


class Exporter:
    """Base class: ``export(nb, ctx) -> bytes`` of a file ``<stem>.<extension>``."""

    name = ""
    extension = ""

    def export(self, nb, ctx: ExportContext) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError


class HTMLExporter(Exporter):
    name, extension = "html", "html"

    def export(self, nb, ctx: ExportContext) -> bytes:
        return export_html(nb, title=ctx.title, provenance=ctx.provenance).encode("utf-8")


class PDFExporter(Exporter):
    name, extension = "pdf", "pdf"

    def export(self, nb, ctx: ExportContext) -> bytes:
        return notebook_to_pdf(nb, title=ctx.title, provenance=ctx.provenance, charts=ctx.charts)


class DOCXExporter(Exporter):
    name, extension = "docx", "docx"

    def export(self, nb, ctx: ExportContext) -> bytes:
        return notebook_to_docx(nb, title=ctx.title, provenance=ctx.provenance, charts=ctx.charts)


#: output formats: name -> exporter
exporters: Registry[Exporter] = Registry("output format", "danvan.exporter", ExportError)
exporters.register("html", HTMLExporter())
exporters.register("pdf", PDFExporter())
exporters.register("docx", DOCXExporter())

#: the shipped formats, in the order reports list them
FORMATS = exporters.names()


def export_formats(nb, outdir, *, formats=("html",), title: str, provenance: dict | None,
                   stem: str = "report") -> dict[str, Path]:
    """Write the requested formats of one report atomically; return ``{format: path}``."""
    chosen = [exporters.get(f) for f in formats]  # an unknown format fails before anything is written
    ctx = ExportContext(title, provenance)
    written: dict[str, Path] = {}
    for exp in chosen:
        path = Path(outdir) / f"{stem}.{exp.extension}"
        atomic_write(path, exp.export(nb, ctx))
        written[exp.name] = path
    return written
