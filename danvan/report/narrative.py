"""Part II sentences produced from the figures by Jinja2 templates an analyst can edit.

Templates come with the unit's report profile (``<profile folder>/<section>.md.j2``, the most
specific profile first, then its parents: a province profile's, then the national base's); a
directory named by ``DANVAN_TEMPLATES`` (or the ``extra_dirs`` argument) is searched before them, so
a unit can override one section's wording without touching the package. Paragraphs are separated
by blank lines. A section with figures but no template gets one sentence per figure
("<label>: <value>.").

A template reads ``v.CODE`` (a :class:`~danvan.indicators.fig.Fig`; a code the profile hides reads as
missing), ``unit``, ``year``, ``prev_year``, ``meta``, ``facts`` — the profile's text data (legal bases,
programme names) deep-merged with the unit-year's own (``report.yaml`` ``facts:``) — and ``words``
(the profile's vocabulary: ``words.village`` = thôn / tổ dân phố / ấp / khóm by commune type). No
unit's or province's facts are written in a shared template.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from ..core import settings
from ..indicators.figures import Figures
from ..reference.catalogue import deep_merge

__all__ = ["render_section", "template_dirs", "templates_digest"]

_PARA_SPLIT = re.compile(r"\n\s*\n")


def template_dirs(extra=()) -> tuple[str, ...]:
    """Folders searched for a section's template: ``extra``, then ``$DANVAN_TEMPLATES``."""
    env = settings.current().templates
    return tuple(str(Path(p).resolve()) for p in [*extra, *env])


@functools.lru_cache(maxsize=8)
def _env(dirs: tuple[str, ...], html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(dirs)),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _name(section: str) -> str:
    return f"{section}.md.j2"


def templates_digest(extra=()) -> str:
    """sha256 over the template files in use (a report depends on them)."""
    h = hashlib.sha256()
    seen = set()
    for d in template_dirs(extra):
        for p in sorted(Path(d).glob("*.md.j2")):
            if p.name in seen:
                continue
            seen.add(p.name)
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _generic(figs: Figures, section: str, html: bool) -> str:
    v = figs.namespace(html=html)
    lines = []
    for ind in figs.catalogue.in_section(section):
        label = escape(ind.label) if html else ind.label  # a label is data, never markup
        lines.append(f"{label}: {getattr(v, ind.code).u}.")
    return "\n\n".join(lines)


def render_section(figs: Figures, section: str, *, html: bool = False, extra_dirs=()) -> list[str]:
    """The section's paragraphs, formatted from ``figs`` (HTML-escaped Markup when ``html``)."""
    # $DANVAN_TEMPLATES first, then the templates the profile chain and the catalogue layers bring
    dirs = (*template_dirs(extra_dirs), *getattr(figs.catalogue, "template_dirs", ()))
    if any((Path(d) / _name(section)).exists() for d in dirs):
        tpl = _env(dirs, html).get_template(_name(section))
        meta = figs.meta or {}
        text = tpl.render(
            v=figs.namespace(html=html),
            unit=figs.unit,
            year=figs.year,
            prev_year=figs.year - 1,
            meta=meta,
            facts=deep_merge(figs.catalogue.facts, meta.get("facts") or {}),
            words=figs.catalogue.words,
        )
    else:
        text = _generic(figs, section, html)
    paras = [re.sub(r"\s*\n\s*", " ", p).strip() for p in _PARA_SPLIT.split(text)]
    if html:
        return [Markup(p) for p in paras if p]
    return [p for p in paras if p]
