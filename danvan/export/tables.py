"""A table block as the page formats (PDF, Word) lay it out: every row as wide as the header,
which columns hold values, the type size, and the column widths CSS's automatic table layout gives
the same cells in the HTML (so that the three formats break a table's cells alike)."""

from __future__ import annotations

from .fonts import text_width

__all__ = ["table_layout", "column_widths", "TEXT_WIDTH_PT", "WIDE_SIZE", "TABLE_SIZE"]

TEXT_WIDTH_PT = (210 - 30 - 15) / 25.4 * 72  # A4 minus the left and right margins: 165 mm
WIDE_SIZE, TABLE_SIZE = 10.0, 12.0  # pt: danvan's wide tables (WIDE_TABLE_STYLE) and the others (report.css)


def column_widths(columns, rows, footer, size: float, nowrap_values, avail: float = TEXT_WIDTH_PT) -> list[float]:
    """Column widths (fractions summing to 1) by CSS 2.1's automatic table layout: each column
    between its min-content width (its longest word, or the whole cell where values do not wrap)
    and its max-content width (its longest cell); the room above the sum of minima shared in
    proportion to (max - min); a table that fits gets the rest in proportion to the maxima
    (``width: 100%``). ``nowrap_values``: per column, whether its body cells never wrap (``td.num``)."""
    pad = 8.0 + 0.5  # 2 x 4 pt padding + the rule
    n = len(columns)
    lo, hi = [0.0] * n, [0.0] * n
    lines = [(columns, True, False)] + [(r, False, True) for r in rows] + ([(footer, True, True)] if footer else [])
    for cells, bold, body in lines:
        for i in range(n):
            cell = str(cells[i]) if i < len(cells) else ""
            full = text_width(cell, size, bold=bold)
            words = max((text_width(w, size, bold=bold) for w in cell.split()), default=0.0)
            hi[i] = max(hi[i], full + pad)
            lo[i] = max(lo[i], (full if body and nowrap_values[i] else words) + pad)
    if sum(hi) <= avail:
        widths = hi
    elif sum(lo) >= avail:
        widths = lo
    else:
        room = (avail - sum(lo)) / max(1e-9, sum(h - m for h, m in zip(hi, lo)))
        widths = [m + (h - m) * room for h, m in zip(hi, lo)]
    total = sum(widths) or 1.0
    return [round(w / total, 5) for w in widths]


def table_layout(b: dict) -> dict:
    """A ``table`` block (``danvan.report.blocks.table_block``) normalised for a page format."""
    cols = [str(c) for c in b.get("columns") or []]
    n = len(cols)

    def fit(r):  # every row as wide as the header
        return ([str(x) for x in r] + [""] * n)[:n]

    rows = [fit(r) for r in b.get("rows") or []]
    footer = fit(b["footer"]) if b.get("footer") else None
    wide = bool(b.get("wide", n > 2))  # blocks made before tables said so: their wide tables had > 2 columns
    values = [bool(v) for v in (b.get("value_columns") or [i > 0 for i in range(n)])][:n]
    values += [False] * (n - len(values))
    size = WIDE_SIZE if wide else TABLE_SIZE
    return {
        "columns": cols,
        "rows": rows,
        "footer": footer,
        "sections": [{"row": int(s["row"]), "text": str(s["text"])} for s in b.get("sections") or []],
        "size": size,
        "widths": column_widths(cols, rows, footer, size, [v and not wide for v in values]),
        "values": values,
        "intro": b.get("intro") or None,
        "rules": [str(r) for r in b.get("rules") or []],
        "tie_rule": b.get("tie_rule") or None,
        "note": b.get("note") or None,
    }
