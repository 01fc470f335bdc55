"""The report stylesheet: the NĐ 30/2020 look of the blocks' HTML, on screen and in print.

It lives with the blocks it styles (``templates/html/``), in ``static/``:

- ``report.css``: the document layout (A4 sheet, header, body, tables, end block, footer), used by
  the screen page and by the PDF;
- ``report-screen.css``: responsive rules for screens only (every rule inside ``@media screen``):
  phones and narrow windows, tables scrolling in their own box. Print never sees them.

The export stage puts :func:`report_css` once in the ``<head>`` of every report page.

**Inside JupyterLab** a block's HTML output brings the stylesheet with it, so that the analyst sees
in the notebook what readers will see: ``Block._repr_mimebundle_`` gives :func:`wrap_block` of the
block's HTML as ``text/html`` (``<style data-danvan-css="…">`` with :func:`notebook_css`, then the
block inside ``<div class="danvan-block">``), and the export stage applies :func:`unwrap_block` to
every output, so an exported page still carries the stylesheet once, in its ``<head>``.

:func:`scoped_css` derives the notebook sheet from the report sheet: ``@page`` and print rules
dropped; ``html``, ``body`` and ``main.report`` mapped to the wrapper; every other selector
prefixed with it; width media queries turned into container queries on the wrapper
(``container: danvan / inline-size``), since in a notebook the output area's width matters (side
panels open or not), not the window's. A short reset first undoes JupyterLab's own rules for
rendered HTML (right-aligned, striped 12 px tables, paragraph margins) with selectors at least as
specific as JupyterLab's. One copy per output (about 7 KB): an output is shown, cleared, re-run or
copied on its own. JupyterLab keeps ``<style>`` only in trusted outputs (a notebook the analyst
ran); an untrusted notebook shows the blocks unstyled, as before.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from markupsafe import Markup

from .html import fragment

__all__ = ["STATIC_DIR", "STYLESHEETS", "report_css", "scoped_css", "notebook_css", "wrap_block", "unwrap_block",
           "SCOPE"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: the report's stylesheets, in cascade order
STYLESHEETS = (STATIC_DIR / "report.css", STATIC_DIR / "report-screen.css")


@functools.lru_cache(maxsize=1)
def report_css() -> str:
    """The report stylesheet (every file of :data:`STYLESHEETS`, in order)."""
    return "".join(p.read_text(encoding="utf-8") for p in STYLESHEETS)


# ---- the notebook copy: scoped under the wrapper of a block output ----------------------------
SCOPE = ".danvan-block"
_CONTAINER = "danvan"
_PX_PER_EM = 16  # em in a container query is the container's font size: media-query em -> px

# JupyterLab's .jp-RenderedHTMLCommon rules for tables, cells and paragraphs, undone inside the
# wrapper (its selectors are (0,1,1) to (0,2,2); these are as specific and come later).
_RESET = f"""
{SCOPE} {{ container: {_CONTAINER} / inline-size; font-family: "Times New Roman", "Liberation Serif", "Tinos", serif;
  font-size: 14pt; line-height: 1.3; color: #000; background: #fff; padding: 2pt 8pt; max-width: 180mm;
  text-align: left; }}
{SCOPE} table {{ table-layout: auto; margin: 0; font-size: inherit; border: none; border-spacing: 0; }}
{SCOPE} td, {SCOPE} th {{ text-align: left; vertical-align: top; padding: 0; line-height: inherit; max-width: none;
  border: none; }}
{SCOPE} tbody tr:nth-child(odd), {SCOPE} tbody tr:nth-child(even), {SCOPE} tbody tr:hover {{ background: transparent; }}
{SCOPE} p {{ margin: 0 0 6pt 0; }}
{SCOPE} h2, {SCOPE} h3 {{ margin: 6pt 0; line-height: 1.3; }}
{SCOPE} svg {{ max-width: 100%; height: auto; }}
"""
_PAGE_LEVEL = {"html", "body", "main.report", "main.report.print"}  # the wrapper's own rule replaces them


def _rules(css: str):
    """Top-level ``(prelude, body)`` pairs of a stylesheet without comments (nested at-rules kept
    as body text)."""
    i, n = 0, len(css)
    while i < n:
        j = css.find("{", i)
        if j < 0:
            return
        depth, k = 1, j + 1
        while k < n and depth:
            depth += {"{": 1, "}": -1}.get(css[k], 0)
            k += 1
        yield css[i:j].strip(), css[j + 1:k - 1]
        i = k


def _scope_selector(sel: str) -> str | None:
    sel = sel.strip()
    if sel in _PAGE_LEVEL:
        return None
    sel = re.sub(r"^main\.report\b", "", sel).strip()
    return f"{SCOPE} {sel}" if sel else SCOPE


def _scope_rules(body: str) -> str:
    out = []
    for prelude, decls in _rules(body):
        if prelude.startswith("@"):
            continue  # @page margin boxes
        sels = [s for s in (_scope_selector(x) for x in prelude.split(",")) if s]
        if sels:
            out.append(f"{', '.join(sels)} {{ {decls.strip()} }}")
    return "\n".join(out)


def _container_condition(media: str) -> str | None:
    """``screen and (max-width: 40em)`` -> ``(max-width: 640px)``; ``print`` -> None; ``screen`` -> ""."""
    if re.search(r"\bprint\b", media):
        return None
    widths = re.findall(r"\((?:max|min)-width:\s*[^)]+\)", media)
    return " and ".join(re.sub(r"([\d.]+)em\b", lambda m: f"{float(m.group(1)) * _PX_PER_EM:g}px", w)
                        for w in widths)


def scoped_css(*sheets: str) -> str:
    """The notebook stylesheet of report stylesheets (their text): scoped under :data:`SCOPE`,
    screen rules only, width media queries as container queries, minified."""
    parts = [_RESET]
    for sheet in sheets:
        for prelude, body in _rules(re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)):
            if prelude.startswith("@media"):
                cond = _container_condition(prelude[len("@media"):])
                rules = _scope_rules(body) if cond is not None else ""
                if rules:
                    parts.append(f"@container {_CONTAINER} {cond} {{\n{rules}\n}}" if cond else rules)
            elif not prelude.startswith("@"):  # @page and other at-rules: print only
                parts.append(_scope_rules(f"{prelude} {{{body}}}"))
    css = re.sub(r"\s+", " ", "\n".join(p for p in parts if p.strip()))
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)
    return css.replace(";}", "}").strip()


@functools.lru_cache(maxsize=1)
def notebook_css() -> str:
    """The scoped sheet of :func:`report_css` (computed once per process)."""
    return scoped_css(report_css())


@functools.lru_cache(maxsize=1)
def _digest() -> str:
    return hashlib.sha256(notebook_css().encode("utf-8")).hexdigest()[:12]


_WRAPPED = re.compile(r'<style data-danvan-css="[0-9a-f]+">[^<]*</style><div class="danvan-block">(.*)</div>', re.S)


def wrap_block(html) -> Markup:
    """A block's ``text/html`` in a notebook: the scoped sheet, then the block (trusted markup) in
    the wrapper. Empty HTML stays empty (nothing to show)."""
    if not str(html):
        return Markup("")
    return fragment("notebook_block", digest=_digest(), css=Markup(notebook_css()), html=Markup(html))


def unwrap_block(html: str) -> str:
    """The block's own HTML back from :func:`wrap_block`'s output (other HTML unchanged)."""
    m = _WRAPPED.fullmatch(html)
    return m.group(1) if m else html
