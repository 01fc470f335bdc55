"""The report stylesheet: the NĐ 30/2020 look of the blocks' HTML, on screen and in print.

It lives with the blocks it styles (``templates/html/``), in ``static/``:

- ``report.css``: the document layout (A4 sheet, header, body, tables, end block, footer), used by
  the screen page and by the PDF;
- ``report-screen.css``: responsive rules for screens only (every rule inside ``@media screen``):
  phones and narrow windows, tables scrolling in their own box. Print never sees them.

The export stage puts :func:`report_css` once in the ``<head>`` of every report page.
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["STATIC_DIR", "STYLESHEETS", "report_css"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: the report's stylesheets, in cascade order
STYLESHEETS = (STATIC_DIR / "report.css", STATIC_DIR / "report-screen.css")


@functools.lru_cache(maxsize=1)
def report_css() -> str:
    """The report stylesheet (every file of :data:`STYLESHEETS`, in order)."""
    return "".join(p.read_text(encoding="utf-8") for p in STYLESHEETS)
