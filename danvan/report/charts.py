"""Charts of a report: matplotlib with explicit ``Figure`` objects (no pyplot global state), the
bundled Liberation Serif 2 fonts (complete Vietnamese), and deterministic SVG (fixed hash salt, no
date, glyphs as paths so the HTML needs no font).

A chart is described by a JSON-serialisable :class:`ChartSpec`; the same spec is drawn as SVG for
HTML/PDF and as PNG for Word.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core import settings
from ..core.vnformat import MISSING, fmt_number, fmt_percent

__all__ = ["ChartSpec", "render_svg", "render_png", "font_files", "FONT_FAMILY", "register_fonts", "chart_scale",
           "wrap"]

FONT_FAMILY = "Liberation Serif"
_STYLE = {
    "font.family": "serif",
    "font.serif": [FONT_FAMILY],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "danvan",
    "svg.id": "danvan-chart",
    "axes.unicode_minus": False,
    "figure.dpi": 100,
}
_COLORS = ["#1f4e79", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646"]


def font_files() -> list[Path]:
    return sorted(settings.fonts_dir().glob("LiberationSerif-*.ttf"))


@functools.lru_cache(maxsize=1)
def register_fonts() -> None:
    """Make the bundled faces known to matplotlib (once per process)."""
    from matplotlib import font_manager

    for f in font_files():
        font_manager.fontManager.addfont(str(f))


@dataclass
class ChartSpec:
    """A bar chart: ``categories`` on one axis, one or more ``series`` of values (None = missing)."""

    title: str
    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    unit: str = ""
    stacked: bool = False
    horizontal: bool = True
    value_format: str = "number"  # number | percent
    note: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        d = asdict(self)
        d["series"] = [[name, list(vals)] for name, vals in self.series]
        return d

    @classmethod
    def from_json(cls, d: dict) -> "ChartSpec":
        d = dict(d)
        d["series"] = [(name, list(vals)) for name, vals in d["series"]]
        return cls(**d)


def _label(v: float, kind: str) -> str:
    if kind == "percent":
        return fmt_percent(v, 2 if v != int(v) else 0)
    return fmt_number(round(v, 2) if v != int(v) else int(v))


def _draw(spec: ChartSpec):
    import matplotlib
    from matplotlib.figure import Figure

    register_fonts()
    n = len(spec.categories)
    height = max(1.6, 0.42 * n * (1 if spec.stacked else max(1, len(spec.series))) + 0.9)
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(6.3, height))
        ax = fig.add_subplot()
        cats = [
            c + (f" ({MISSING})" if all(vals[i] is None for _n, vals in spec.series) else "")
            for i, c in enumerate(spec.categories)
        ]
        k = len(spec.series)
        width = 0.7 if spec.stacked else 0.8 / k
        base = [0.0] * n
        for j, (name, vals) in enumerate(spec.series):
            vals_f = [0.0 if v is None else float(v) for v in vals]
            pos = list(range(n)) if spec.stacked else [i - 0.4 + width * (j + 0.5) for i in range(n)]
            kw = dict(color=_COLORS[j % len(_COLORS)], label=name)
            if spec.horizontal:
                bars = ax.barh(pos, vals_f, height=width, left=base if spec.stacked else None, **kw)
            else:
                bars = ax.bar(pos, vals_f, width=width, bottom=base if spec.stacked else None, **kw)
            labels = ["" if v is None else _label(float(v), spec.value_format) for v in vals]
            ax.bar_label(bars, labels=labels, label_type="center" if spec.stacked else "edge",
                         padding=2, fontsize=8, color="white" if spec.stacked else "black")
            if spec.stacked:
                base = [b + v for b, v in zip(base, vals_f)]
        if spec.horizontal:
            ax.set_yticks(range(n), cats)
            ax.invert_yaxis()
            ax.set_xlabel(spec.unit)
            ax.margins(x=0.15)
        else:
            ax.set_xticks(range(n), cats)
            ax.set_ylabel(spec.unit)
            ax.margins(y=0.15)
        # the value axis (y for vertical bars: x carries the category labels there)
        (ax.xaxis if spec.horizontal else ax.yaxis).set_major_formatter(_tick_formatter(spec.value_format))
        ax.set_title(spec.title, loc="left", fontweight="bold")
        if k > 1:
            ax.legend(frameon=False, fontsize=8, loc="lower right" if spec.horizontal and spec.stacked else "best")
        if spec.note:
            fig.text(0.01, 0.01, spec.note, fontsize=7, style="italic", color="#444444")
        # fixed margins instead of tight_layout(), which draws the whole figure once more
        longest = max((len(c) for c in cats), default=10) if spec.horizontal else 0
        left = min(0.55, 0.05 + longest * 0.075 / 6.3) if spec.horizontal else 0.1
        legend_room = 0.0
        fig.subplots_adjust(left=left, right=0.97, top=1 - 0.38 / height,
                            bottom=(0.45 + legend_room) / height)
    return fig


def _tick_formatter(kind: str):
    from matplotlib.ticker import FuncFormatter

    def fmt(x, _pos):
        s = fmt_number(round(x, 2) if x != int(x) else int(x))
        return s + ("%" if kind == "percent" else "")

    return FuncFormatter(fmt)


_COMMENT = re.compile(r"\s*<!--.*?-->", re.S)
_XML_HEAD = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)


def render_svg(spec: ChartSpec, text: str = "path") -> str:
    """Inline SVG (no XML prologue), byte-identical for the same spec.

    ``text="path"`` (default, HTML) draws glyphs as paths: the page needs no font.
    ``text="text"`` (print) keeps labels as SVG ``<text>`` in the bundled family: the PDF renderer
    draws them with the bundled @font-face faces, much faster, and they stay searchable.
    """
    import matplotlib

    if text not in ("path", "text"):
        raise ValueError(f"text must be 'path' or 'text', not {text!r}")
    fig = _draw(spec)
    buf = io.StringIO()
    with matplotlib.rc_context(_STYLE | {"svg.fonttype": "path" if text == "path" else "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "danvan"})
    svg = _COMMENT.sub("", _XML_HEAD.sub("", buf.getvalue()))  # matplotlib echoes every label as a comment
    # scale with the page: drop the fixed pt size, keep the viewBox
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart"', svg, count=1)
    return _prefix_ids(svg, "c" + hashlib.sha1(json.dumps(spec.to_json(), sort_keys=True).encode()).hexdigest()[:8])


GLYPH_ID_PREFIX = "LiberationSerif"  # matplotlib names glyph outlines <font postscript name>-<code>


def _prefix_ids(svg: str, prefix: str) -> str:
    """Give every id of one chart a prefix of its own (several inline SVGs share one HTML document,
    and matplotlib names clip paths and markers the same way in every figure) -- except glyph
    outlines: a glyph is the same shape in every chart, so the export keeps one definition per page
    (``danvan.export.html``)."""
    keep = f"(?!{GLYPH_ID_PREFIX})"
    svg = re.sub(rf'\bid="{keep}', f'id="{prefix}-', svg)
    svg = re.sub(rf'href="#{keep}', f'href="#{prefix}-', svg)
    return re.sub(rf"url\(#{keep}", f"url(#{prefix}-", svg)


def render_png(spec: ChartSpec, dpi: int = 200) -> bytes:
    """PNG of the chart (Word export)."""
    import matplotlib

    fig = _draw(spec)
    buf = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "danvan"})
    return buf.getvalue()


def wrap(text: str, width: int) -> str:
    """A long label on several lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width)) or text


def chart_scale(ind, vals) -> tuple[float, str]:
    """``(divisor, axis unit)``: amounts in đồng are drawn in tỷ đồng or triệu đồng so that labels
    stay short; rates have no axis unit; other figures keep theirs."""
    if ind.unit == "đồng":
        top = max((abs(float(v)) for v in vals if v is not None), default=0)
        if top >= 1e9:
            return 1e9, "tỷ đồng"
        if top >= 1e6:
            return 1e6, "triệu đồng"
    return 1.0, "" if ind.is_rate else ind.unit
