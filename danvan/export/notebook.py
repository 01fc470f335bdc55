"""What of an executed report notebook each audience reads, its report blocks in order, and what
every format says about the document (its date, keywords, provenance).

Cells tagged ``analyst-only`` are never in a report; cells tagged ``qa`` only in the analysts'
version. Every exporter (HTML, PDF, Word) goes through these helpers, so that the formats never
disagree on what is in the official document.
"""

from __future__ import annotations

import datetime as _dt
import json
import re

from ..core.vnformat import nfc
from ..report.blocks import MIME_BLOCK

__all__ = ["HIDDEN_TAGS", "ANALYST_TAGS", "dropped_tags", "is_dropped", "blocks_of", "chart_specs", "key_figures_of",
           "PROVENANCE_TITLE", "PROVENANCE_ROWS", "run_parameters", "document_datetime", "document_keywords"]

#: The provenance footer of every format: its title, and (label, key of the provenance record) rows.
PROVENANCE_TITLE = "Nguồn gốc báo cáo (tái lập được)"
PROVENANCE_ROWS = (
    ("Số liệu", "data"),
    ("Sổ tay (notebook)", "notebook"),
    ("Tham số", "parameters"),
    ("Danh mục chỉ tiêu", "catalogue"),
    ("Mã nguồn", "code"),
    ("Phiên bản gói", "packages"),
)

# cells never in a report, and cells only analysts see (dropped from the official HTML/PDF/DOCX)
HIDDEN_TAGS = frozenset({"analyst-only"})
ANALYST_TAGS = frozenset({"qa"})


def dropped_tags(audience: str = "official") -> frozenset:
    """Tags of the cells an ``audience`` ("official" or "analyst") does not read."""
    return HIDDEN_TAGS | (ANALYST_TAGS if audience == "official" else frozenset())


def is_dropped(cell, audience: str = "official") -> bool:
    return bool(dropped_tags(audience) & set(cell.get("metadata", {}).get("tags", []) or []))


def blocks_of(nb, audience: str = "official") -> list[dict]:
    """The report's blocks in order: display outputs' block JSON (groups flattened) and the
    audience's Markdown cells as ``{"kind": "markdown", "markdown": ...}``."""
    out: list[dict] = []

    def walk(b: dict):
        if b.get("kind") == "group":
            for c in b.get("children", []) or []:
                walk(c)
        else:
            out.append(b)

    for cell in nb.cells:
        if is_dropped(cell, audience):
            continue
        if cell.cell_type == "markdown":
            src = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            if src.strip():
                out.append({"kind": "markdown", "markdown": src, "cell": True})
        elif cell.cell_type == "code":
            for o in cell.get("outputs", []):
                if o.get("output_type") not in ("display_data", "execute_result"):
                    continue
                data = o.get("data") or {}
                if isinstance(data.get(MIME_BLOCK), dict):
                    walk(data[MIME_BLOCK])
                elif "image/png" in data:
                    out.append({"kind": "image", "png": data["image/png"]})
    return out


def chart_specs(block: dict) -> list[dict]:
    """The chart specs (JSON) inside one block, in order (groups walked)."""
    if block.get("kind") == "chart" and isinstance(block.get("spec"), dict):
        return [block["spec"]]
    out: list[dict] = []
    for child in block.get("children", []) or []:
        out.extend(chart_specs(child))
    return out


def key_figures_of(nb) -> dict | None:
    """The key figures a report states (the ``key_figures`` of its header or title block: see
    :meth:`danvan.indicators.figures.Figures.key_figures`), or None when it states none."""
    return next((b["key_figures"] for b in blocks_of(nb) if isinstance(b.get("key_figures"), dict)), None)


# ---- what every format says about the document ------------------------------------------------

def run_parameters(provenance: dict | None) -> dict:
    """The run parameters of a provenance record (kept there as a JSON string)."""
    try:
        params = json.loads((provenance or {}).get("parameters") or "{}")
    except (TypeError, ValueError):
        return {}
    return params if isinstance(params, dict) else {}


def _header_meta(blocks: list[dict]) -> dict:
    return next((b.get("meta") or {} for b in blocks if b.get("kind") == "header"), {})


def document_datetime(blocks: list[dict], provenance: dict | None = None, nb=None) -> _dt.datetime:
    """The one timestamp of every format's metadata (so that the same inputs give the same bytes):
    the document's date (its header's ``date``) at 08:00, else 31 December of the report year (the
    run parameter ``year``, else a year in the subject)."""
    meta = _header_meta(blocks)
    if meta.get("date"):
        try:
            day = _dt.date.fromisoformat(str(meta["date"])[:10])
            return _dt.datetime(day.year, day.month, day.day, 8, 0, 0)
        except ValueError:
            pass
    params = dict(run_parameters(provenance))
    if nb is not None:
        params |= (nb.metadata.get("papermill") or {}).get("parameters") or {}
    try:
        year = int(params.get("year"))
    except (TypeError, ValueError):
        found = re.search(r"(19|20)\d\d", str(meta.get("subject", "")))
        year = int(found.group(0)) if found else 2000
    return _dt.datetime(year, 12, 31, 8, 0, 0)


def document_keywords(header_meta: dict, provenance: dict | None) -> list[str]:
    """Keywords of a document's metadata: its own (document code, subject), then its provenance as
    ``danvan:<name>=<value>`` with full digests (data, git commit, code, notebook, catalogue,
    templates, parameters, illustrative); a comma inside one becomes ";"."""
    kw = [str(v) for v in (header_meta.get("doc_code"), header_meta.get("subject")) if v]
    p = provenance or {}
    prov = [  # the most telling first (a format with room for a few keeps those)
        ("data-sha256", p.get("data_fingerprint")),
        ("git", p.get("git_commit")),
        ("code-sha256", p.get("code_digest")),
        ("notebook-sha256", p.get("notebook_sha256")),
        ("catalogue-sha256", p.get("catalogue_digest")),
        ("templates-sha256", p.get("templates_digest")),
    ]
    params = run_parameters(p)
    if params:
        prov.append(("parameters", ";".join(f"{k}:{params[k]}" for k in sorted(params))))
    if "illustrative" in p:
        prov.append(("illustrative", str(bool(p["illustrative"])).lower()))
    kw += [f"danvan:{k}={v}" for k, v in prov if v not in (None, "")]
    return [re.sub(r",\s*", ";", nfc(k)) for k in kw]  # no ", " inside one: PDF and Word join them with it
