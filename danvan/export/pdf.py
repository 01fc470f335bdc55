"""Report blocks -> PDF/A-2b with Typst, in the NĐ 30/2020/NĐ-CP layout.

The PDF is built from the same ``application/vnd.danvan.block+json`` blocks as the Word export
(:func:`danvan.export.notebook.blocks_of`), not from the HTML: one renderer per format.
:func:`document_data` turns the blocks into one JSON document; the Typst template
``templates/report.typ`` reads it with ``json(bytes(sys.inputs.data))`` and lays it out.

Escaping, by construction
    No data string is ever spliced into Typst source. The template is a fixed file; the data
    reaches it only as a JSON string in ``sys.inputs``, and every string the template prints is a
    Typst *string value* turned into text, which Typst never parses as markup or code. So
    ``# $ * _ [ ] < @ \\ ` //``, ``#read("/etc/passwd")`` or ``#import "x"`` in a name, a label or
    free text print as they are. Free-text Markdown becomes a JSON tree of paragraphs, lists,
    strong/emphasis and text (:mod:`danvan.export.markdown`) that the template maps to Typst
    structure. The template calls no ``eval``, ``read``, ``include``, ``import`` or ``plugin`` (a
    test checks), and Typst's root is an empty directory (:mod:`danvan.export.typesetter`).

Fonts
    Only the bundled Liberation Serif 2.1.5 faces; a character they lack prints as □ (logged).

Archival, deterministic
    PDF/A-2b; title, author (the issuing body), subject and keywords (the document's, then the
    provenance: data, notebook, catalogue and template digests, git commit, parameters) in the Info
    dictionary and the XMP packet; every date is the document's date
    (:func:`danvan.export.notebook.document_datetime`). Same inputs, same bytes.

Charts
    The SVG each chart block carries (drawn once, in the notebook), placed as an image: its labels
    are text in the bundled faces, searchable in the PDF.

Layout
    Lines are broken as a browser (and Word) breaks them, first fit with word spaces that stretch
    but never shrink, and the line boxes are CSS's (``report.typ`` explains): the PDF's lines are the
    HTML's. Table columns are as wide as CSS's automatic table layout makes them
    (:func:`danvan.export.tables.column_widths`).
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import logging
import re
import struct
import unicodedata
from pathlib import Path

from ..indicators.qa import SEVERITY_VI
from ..report.blocks import DOC_TITLE, NOI_NHAN, QUOC_HIEU, TIEU_NGU
from ..report.qa import QA_COLUMNS, QA_NONE
from .charts import ReportCharts
from .markdown import markdown_tree
from .notebook import PROVENANCE_ROWS, PROVENANCE_TITLE, blocks_of, document_datetime, document_keywords
from .tables import WIDE_SIZE, column_widths, table_layout
from .typesetter import substitute_uncovered, svg_size, typesetter

__all__ = ["notebook_to_pdf", "blocks_to_pdf", "document_data", "TEMPLATE", "PDF_STANDARD"]

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).resolve().parent / "templates" / "report.typ"
PDF_STANDARD = "a-2b"
VN_TIME = _dt.timezone(_dt.timedelta(hours=7))
LABELS = {"quoc_hieu": QUOC_HIEU, "tieu_ngu": TIEU_NGU, "doc_title": DOC_TITLE, "noi_nhan": NOI_NHAN,
          "provenance": PROVENANCE_TITLE, "qa_none": QA_NONE}


def _nfc_tree(x):
    """Every string of a JSON-like value in NFC (the only form danvan prints)."""
    if isinstance(x, str):
        return unicodedata.normalize("NFC", x)
    if isinstance(x, dict):
        return {k: _nfc_tree(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_nfc_tree(v) for v in x]
    return x


def _table(b: dict) -> dict:
    return {"kind": "table", **table_layout(b)}


def _qa(b: dict) -> dict:
    rows = [[SEVERITY_VI.get(f.get("severity"), str(f.get("severity", ""))),
             f"{f.get('code', '')} {f.get('label', '')}".strip(), str(f.get("message", "")), str(f.get("rule", ""))]
            for f in b.get("findings") or []]
    cols = list(QA_COLUMNS)
    return {"kind": "qa", "title": b.get("title", ""), "summary": b.get("summary", ""), "columns": cols, "rows": rows,
            "footer": None, "sections": [], "size": WIDE_SIZE, "values": [False] * 4,
            "widths": column_widths(cols, rows, None, WIDE_SIZE, [False] * 4)}


# ---- charts and pictures ----------------------------------------------------------------------

def _aspect(svg: str) -> float:
    """Height / width of an SVG (its viewBox)."""
    w, h = svg_size(svg)
    return round(h / w, 6)


def _png_as_svg(png_b64: str) -> str:
    """A notebook's PNG output as an SVG holding it as a ``data:`` URL (it reaches Typst as text,
    like everything else), sized at 96 dpi as a browser shows it."""
    png_b64 = "".join(png_b64.split())
    png = base64.b64decode(png_b64)
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("an image output that is not a PNG")
    w, h = struct.unpack(">II", png[16:24])
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><image width="{w}" height="{h}" '
            f'xlink:href="data:image/png;base64,{png_b64}"/></svg>')


def _picture(svg: str, alt: str = "", caption: str | None = None) -> dict:
    return {"kind": "chart", "svg": svg, "aspect": _aspect(svg), "alt": alt, "caption": caption or None}


# ---- the document JSON ---------------------------------------------------------------------------

def _header(b: dict) -> dict:
    m = b.get("meta") or {}
    number = m.get("number") or "\u2007" * 6  # room to write the number by hand, as the HTML
    return {"kind": "header", "parent_body": m.get("parent_body", ""), "issuing_body": m.get("issuing_body", ""),
            "number_line": f"Số: {number}/{m.get('doc_code', 'BC-UBND')}", "place_date": b.get("place_date", ""),
            "subject": m.get("subject", "")}


def _paragraphs(b: dict) -> dict | None:
    paras = b.get("paragraphs") or []
    if not paras:
        return None
    whole = b.get("missing") is True  # (a city's coverage block lists missing units under "missing")
    runs = b.get("runs") if isinstance(b.get("runs"), list) and len(b["runs"]) == len(paras) else None
    out = []
    for i, p in enumerate(paras):
        rs = runs[i] if runs else [{"text": p}]
        out.append([{"text": str(r.get("text", "")), "missing": whole or bool(r.get("missing"))} for r in rs])
    return {"kind": "paragraphs", "paragraphs": out, "italic": bool(b.get("italic"))}


def _breakable(s: str, every: int = 64) -> str:
    """Long unbroken tokens (digests, paths) with a zero-width space every ``every`` characters, so
    that they wrap inside the footer (the HTML's ``word-break: break-all``)."""
    return re.sub(rf"\S{{{every}}}(?=\S)", lambda m: m.group(0) + "\u200b", s)


def document_data(blocks: list[dict], *, title: str, provenance: dict | None = None,
                  when: _dt.datetime | None = None, charts: ReportCharts | None = None) -> dict:
    """The JSON document ``report.typ`` lays out (every string NFC). ``when``: the document's date
    (default: :func:`~danvan.export.notebook.document_datetime` of the blocks and provenance)."""
    provenance = dict(provenance or {})
    charts = charts or ReportCharts()
    header_meta: dict = {}
    out: list[dict] = []
    for b in blocks:
        kind = b.get("kind")
        item = None
        if kind == "header":
            header_meta = b.get("meta") or {}
            item = _header(b)
        elif kind == "banner":
            item = {"kind": "banner", "text": b.get("text", "")}
        elif kind == "heading":
            role = b.get("role")
            if role in ("title", "subject"):  # a summary document's title and subject
                item = {"kind": "doc-" + role, "text": b.get("text", "")}
            else:
                item = {"kind": "heading", "level": int(b.get("level", 2)), "text": b.get("text", "")}
        elif kind == "paragraphs":
            item = _paragraphs(b)
        elif kind == "markdown":
            tree = markdown_tree(b.get("markdown", ""))
            item = {"kind": "markdown", "tree": tree} if tree else None
        elif kind == "chart" and isinstance(b.get("spec"), dict):
            item = _picture(charts.svg(b), (b.get("spec") or {}).get("title", ""), b.get("caption"))
        elif kind == "image" and b.get("png"):
            item = _picture(_png_as_svg(b["png"]))
        elif kind == "table" and b.get("columns"):
            item = _table(b)
        elif kind == "end":
            item = {"kind": "end", "recipients": list(b.get("recipients") or []),
                    "signing_authority": list(b.get("signing_authority") or []), "signer": b.get("signer") or ""}
        elif kind == "qa":
            item = _qa(b)
        elif kind not in ("empty", "group"):
            log.warning("block kind %r has no PDF rendering; skipped", kind)
        if item is not None:
            out.append(item)
    when = when or document_datetime(blocks, provenance)
    document = {
        "title": title,
        "author": header_meta.get("issuing_body") or "danvan",
        "subject": header_meta.get("subject") or title,
        "keywords": document_keywords(header_meta, provenance),
        "date": {"year": when.year, "month": when.month, "day": when.day},
    }
    prov_rows = [[label, _breakable(str(provenance[key]))] for label, key in PROVENANCE_ROWS if provenance.get(key)]
    return _nfc_tree({"document": document, "labels": LABELS, "blocks": out, "provenance": prov_rows})


def data_to_pdf(data: dict, when: _dt.datetime) -> bytes:
    """PDF bytes of a :func:`document_data` document."""
    payload = substitute_uncovered(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "PDF")
    stamp = when if when.tzinfo else when.replace(tzinfo=VN_TIME)
    return typesetter(TEMPLATE).compile({"data": payload}, format="pdf", pdf_standards=PDF_STANDARD, timestamp=stamp)


def blocks_to_pdf(blocks: list[dict], *, title: str, provenance: dict | None = None, when: _dt.datetime | None = None,
                  charts: ReportCharts | None = None) -> bytes:
    """The PDF/A-2b bytes of a report from its blocks (see :func:`document_data`)."""
    when = when or document_datetime(blocks, provenance or {})
    return data_to_pdf(document_data(blocks, title=title, provenance=provenance, when=when, charts=charts), when)


def notebook_to_pdf(nb, *, title: str, provenance: dict | None = None, audience: str = "official",
                    charts: ReportCharts | None = None) -> bytes:
    """The PDF of an executed report notebook: the blocks the ``audience`` reads."""
    blocks = blocks_of(nb, audience)
    return blocks_to_pdf(blocks, title=title, provenance=provenance, charts=charts,
                         when=document_datetime(blocks, provenance or {}, nb))
