"""Report blocks: what a report notebook displays, each rendered as HTML for the reader and carried
as JSON (``application/vnd.danvan.block+json``) so that the other exports (PDF, Word) rebuild the
same document from the executed notebook.

The block kinds: ``header`` (NĐ 30/2020 header), ``banner`` (illustrative data), ``heading``,
``paragraphs``, ``markdown`` (free text), ``table``, ``chart``, ``qa`` (analysts only), ``end``
(Nơi nhận and signature), ``empty`` and ``group`` (several blocks in one output).

Everything a reader sees is in the JSON, so that every format shows the same document: a
``paragraphs`` block whose text marks missing figures carries ``runs`` (the spans the HTML shows
as ``span.missing``); a ``table`` block says which columns hold values (``value_columns``), whether
it is a wide table (``wide``: smaller type), and carries its ``footer`` row, ``sections`` (rows
that open a catalogue section), ``intro``/``rules``/``tie_rule`` (said before it) and ``note``
(under it); a ``chart`` block carries its spec and its SVG, drawn once.
"""

from __future__ import annotations

import functools
import html as _html
import re
from dataclasses import dataclass, field

import mistune
from markupsafe import Markup

from ..core.vnformat import nfc
from .charts import ChartSpec, render_svg
from .html import fragment
from .style import wrap_block

__all__ = [
    "Block",
    "group",
    "MIME_BLOCK",
    "ILLUSTRATIVE",
    "QUOC_HIEU",
    "TIEU_NGU",
    "DOC_TITLE",
    "NOI_NHAN",
    "markdown_html",
    "chart_block",
    "summary_header",
    "heading_block",
    "paragraphs_block",
    "banner_block",
    "wide_table",
    "table_note",
    "table_block",
    "text_runs",
    "WIDE_TABLE_STYLE",
    "WIDE_CELL_STYLE",
]

MIME_BLOCK = "application/vnd.danvan.block+json"
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
DOC_TITLE = "BÁO CÁO"  # the document type above the subject (templates/html/nd30_header.html.j2)
NOI_NHAN = "Nơi nhận:"  # the recipients' label of the end block (templates/html/nd30_end.html.j2)
ILLUSTRATIVE = (
    "SỐ LIỆU MINH HỌA – báo cáo này được tạo từ số liệu giả lập để trình diễn, "
    "không phải số liệu chính thức của đơn vị."
)
# Wide tables (many columns): smaller type and values allowed to wrap, so that the print layout
# (A4 portrait, where `td.num` never wraps) keeps every column on the page.
WIDE_TABLE_STYLE = "font-size: 10pt"
WIDE_CELL_STYLE = "white-space: normal"


@dataclass
class Block:
    """One displayable piece of a report. ``data`` is JSON; ``html`` is what the reader sees."""

    kind: str
    data: dict
    html: str
    text: str = ""
    children: list["Block"] = field(default_factory=list)

    def to_json(self) -> dict:
        d = {"kind": self.kind, **self.data}
        if self.children:
            d["children"] = [c.to_json() for c in self.children]
        return d

    def _repr_mimebundle_(self, include=None, exclude=None):
        # in a notebook the block brings its (scoped) styles, so that the analyst sees what readers
        # will see; the export stage takes them out again (danvan.report.style.unwrap_block)
        return {
            "text/plain": self.text or f"<danvan {self.kind}>",
            "text/html": str(wrap_block(self.html)),
            MIME_BLOCK: self.to_json(),
        }

    def __add__(self, other: "Block") -> "Block":
        return group([self, other])


def group(blocks: list[Block]) -> Block:
    flat: list[Block] = []
    for b in blocks:
        flat.extend(b.children if b.kind == "group" else [b])
    return Block("group", {}, "\n".join(str(b.html) for b in flat), "\n\n".join(b.text for b in flat), flat)


@functools.lru_cache(maxsize=1)
def _markdown():
    return mistune.create_markdown(escape=True, plugins=[])


def markdown_html(md: str) -> Markup:
    """Markdown of free-text sections -> HTML (raw HTML in data is escaped, never rendered)."""
    return Markup(_markdown()(nfc(md)).strip())


def chart_block(name: str, spec: ChartSpec, caption: str = "", caption_class: str = "") -> Block:
    """A chart as a report block, drawn once here: the block JSON carries the spec and the SVG
    (text as text), which the HTML shows inline (its title as the accessible name) and the PDF and
    Word exports reuse as they are; an optional caption."""
    svg = render_svg(spec)
    data = {"name": name, "spec": spec.to_json(), "svg": svg} | ({"caption": caption} if caption else {})
    html = fragment("chart", title=spec.title, svg=Markup(svg), caption=caption, caption_class=caption_class)
    return Block("chart", data, html, spec.title + (f"\n{caption}" if caption else ""))


def heading_block(text: str, level: int = 2, *, section: str | None = None, role: str | None = None) -> Block:
    """A heading; ``section`` (a catalogue section code) also gives it the anchor ``sec-<code>``."""
    data = {"level": level, "text": text} | ({"section": section} if section else {}) | ({"role": role} if role else {})
    return Block("heading", data, fragment("heading", level=level, text=text, anchor=section), text)


# how danvan.indicators.fig marks a missing figure in HTML (MISSING_HTML, Fig._text)
_MISSING_SPAN = re.compile(r'<span class="missing">(.*?)</span>', re.S)


def text_runs(markup: str, plain: str) -> list[dict] | None:
    """A paragraph as runs ``{"text"}`` / ``{"text", "missing": True}``: the spans its Markup marks
    ``span.missing``, the rest plain; None when it marks nothing (or when the Markup does not spell
    the same text as ``plain``, which then stays the one source)."""
    markup = str(markup)
    if '<span class="missing">' not in markup:
        return None
    runs, pos = [], 0
    for m in _MISSING_SPAN.finditer(markup):
        if m.start() > pos:
            runs.append({"text": _html.unescape(markup[pos:m.start()])})
        runs.append({"text": _html.unescape(m.group(1)), "missing": True})
        pos = m.end()
    if pos < len(markup):
        runs.append({"text": _html.unescape(markup[pos:])})
    return runs if "".join(r["text"] for r in runs) == plain else None


def paragraphs_block(paragraphs: list[str], *, cls: str = "", sep: str = "", text_sep: str = "\n\n",
                     italic: bool = False, html: list | None = None, **data) -> Block:
    """Paragraphs as ``<p>`` elements joined by ``sep`` (``html``: their Markup, when they hold
    markup of their own, e.g. missing figures, which the JSON then carries as ``runs``, one list
    per paragraph); the plain text joins them with ``text_sep``."""
    body = fragment("paragraphs", paragraphs=html if html is not None else paragraphs, cls=cls, sep=sep, italic=italic)
    if italic:
        data["italic"] = True
    if html is not None:
        runs = [text_runs(h, p) for h, p in zip(html, paragraphs)]
        if any(runs):
            data["runs"] = [r or [{"text": p}] for r, p in zip(runs, paragraphs)]
    return Block("paragraphs", {"paragraphs": paragraphs, **data}, body, text_sep.join(paragraphs))


def banner_block(text: str) -> Block:
    """The red "SỐ LIỆU MINH HỌA" banner of a report built from illustrative data."""
    return Block("banner", {"text": text}, fragment("banner", text=text), text)


def summary_header(title: str, subject: str, **data) -> list[Block]:
    """Title and subject of a summary document (city summary, trend): two "heading" blocks, not an
    NĐ 30 header (a summary has no issuer or number), so that the Word export rebuilds them as headings.
    ``data``: more JSON of the title block (e.g. ``key_figures``)."""
    return [
        Block("heading", {"level": 1, "text": title, "role": "title", **data}, fragment("summary_title", title=title),
              title),
        Block("heading", {"level": 2, "text": subject, "role": "subject"},
              fragment("summary_subject", subject=subject), subject),
    ]


def wide_table(columns, rows, cls: str, foot=None, *, label: str) -> Markup:
    """HTML of a table whose first column is a label and the others values (``foot``: a total row),
    in its own scrolling box named ``label`` (on a phone the table scrolls there, not the page)."""
    return fragment("wide_table", columns=columns, rows=rows, cls=cls, foot=foot, table_style=WIDE_TABLE_STYLE,
                    cell_style=WIDE_CELL_STYLE, label=label)


def table_note(text: str) -> Markup:
    """The small note under a table."""
    return fragment("paragraphs", paragraphs=[text], cls="table-note", sep="", italic=False)


def table_block(columns: list[str], rows: list[list[str]], html, *, footer: list[str] | None = None,
                value_columns: list[bool] | None = None, wide: bool = False, text_lines=(), text: str | None = None,
                **data) -> Block:
    """A table as a block: ``html`` is what the reader sees; the JSON carries the same cells, which
    columns hold values (right-aligned; default: every column after the first), ``wide`` (smaller
    type, values may wrap), the ``footer`` row, and whatever else the table shows (``sections``,
    ``intro``, ``rules``, ``tie_rule``, ``note``). The plain text: ``text``, else ``text_lines`` then
    the cells, " | " between them."""
    values = list(value_columns) if value_columns is not None else [i > 0 for i in range(len(columns))]
    d = {"columns": columns, "rows": rows} | ({"footer": footer} if footer else {})
    d |= {"value_columns": values, "wide": wide, **data}
    if text is None:
        text = "\n".join([*text_lines, *(" | ".join(r) for r in [columns, *rows, *([footer] if footer else [])])])
    return Block("table", d, html, text)
