"""Jinja environments for HTML: autoescape on, undefined names an error, no trailing newline
added or dropped beyond Jinja's default (one final newline of a template file is not output)."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from markupsafe import Markup

__all__ = ["html_environment", "render_html"]


@functools.lru_cache(maxsize=8)
def html_environment(directory: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def render_html(directory: str | Path, name: str, **context) -> Markup:
    """``<directory>/<name>`` rendered with ``context``, as safe markup."""
    return Markup(html_environment(str(directory)).get_template(name).render(**context))
