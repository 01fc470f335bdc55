"""HTML fragments of the report blocks, from Jinja templates with autoescape.

Every piece of HTML a block shows comes from a template in ``danvan/report/templates/html/``:
data (names, labels, free text, figures) is escaped by Jinja, and only values already marked safe
(:class:`markupsafe.Markup`: a rendered fragment, a chart SVG, Markdown rendered with raw HTML
escaped) pass through as markup.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from ..core.templating import render_html

__all__ = ["fragment", "TEMPLATES_DIR"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates" / "html"


def fragment(name: str, **context) -> Markup:
    """The fragment ``templates/html/<name>.html.j2`` rendered with ``context`` (safe markup)."""
    return render_html(TEMPLATES_DIR, f"{name}.html.j2", **context)
