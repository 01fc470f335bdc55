"""What of an executed report notebook each audience reads, and its report blocks in order.

Cells tagged ``analyst-only`` are never in a report; cells tagged ``qa`` only in the analysts'
version. Every exporter (HTML, PDF, Word) goes through these helpers, so that the formats never
disagree on what is in the official document.
"""

from __future__ import annotations

from ..report.blocks import MIME_BLOCK

__all__ = ["HIDDEN_TAGS", "ANALYST_TAGS", "dropped_tags", "is_dropped", "blocks_of", "chart_specs", "key_figures_of"]

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
