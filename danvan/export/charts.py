"""The charts of one report as the exporters use them: the SVG drawn once when the report block was
made (``danvan.report.blocks.chart_block`` keeps it in the block JSON), and its PNG for Word,
rendered by Typst from that same SVG. One :class:`ReportCharts` per report is shared by every
format (``danvan.export.formats.ExportContext.charts``), so nothing is drawn twice.
"""

from __future__ import annotations

import logging
import re

from ..report.charts import chart_key, render_svg
from .typesetter import svg_to_png

__all__ = ["ReportCharts", "safe_svg"]

log = logging.getLogger(__name__)

_UNSAFE_SVG = re.compile(r"<(?:image|foreignObject|script)\b|\bhref=\"(?!#)|url\((?!#)", re.I)


def safe_svg(svg) -> bool:
    """A chart SVG refers to nothing outside itself (no image, script, foreign object, external link)."""
    return isinstance(svg, str) and svg.lstrip().startswith("<svg") and not _UNSAFE_SVG.search(svg)


class ReportCharts:
    """SVG and PNG of a report's chart blocks, each made at most once."""

    def __init__(self):
        self._svg: dict[str, str] = {}
        self._png: dict[tuple[str, int], bytes] = {}
        self.drawn = 0  # charts this cache had to draw (blocks without a usable SVG)

    def svg(self, block: dict) -> str:
        """The block's SVG as drawn in the notebook; drawn from its spec when the block has none
        (a notebook made before charts were kept) or one that refers to anything outside itself."""
        spec = block["spec"]
        key = chart_key(spec)
        if key not in self._svg:
            svg = block.get("svg")
            if not safe_svg(svg):
                if svg is not None:
                    log.warning("chart %r: the notebook's SVG refers to outside resources; drawn again",
                                spec.get("title", ""))
                svg = render_svg(spec)
                self.drawn += 1
            self._svg[key] = svg
        return self._svg[key]

    def png(self, block: dict, ppi: int = 200) -> bytes:
        """PNG of the block's SVG (Word), rendered by Typst with the bundled fonts."""
        key = (chart_key(block["spec"]), ppi)
        if key not in self._png:
            self._png[key] = svg_to_png(self.svg(block), ppi=ppi)
        return self._png[key]
