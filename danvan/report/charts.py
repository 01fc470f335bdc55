"""Charts of a report: matplotlib with the bundled Liberation Serif 2 fonts (complete Vietnamese),
drawn once per chart as a deterministic SVG that every format reuses (HTML inline, PDF through
Typst, Word as a PNG Typst renders from the same SVG).

A chart is described by a JSON-serialisable :class:`ChartSpec`. :func:`render_svg` draws it:

* **text as text** (``svg.fonttype: none``): labels are SVG ``<text>`` in the bundled family. Typst
  lays them out with the bundled faces (it is given no other font); the HTML page embeds a subset
  of those faces (``danvan.export.fonts``). No glyph outlines: a chart is ~9 KB instead of ~50 KB.
* **one figure, reused**: creating a ``Figure`` and its ``Axes`` is about a third of the cost of a
  small chart. :class:`ChartRenderer` keeps one and resets exactly what a chart sets; a test checks
  that a reused figure draws the same bytes as a fresh one, in any order.
* **fixed ticks**: the value axis' ticks are matplotlib's own ``AutoLocator`` ticks on the final
  layout, computed once and frozen (``FixedLocator``/``FixedFormatter``, labels formatted once)
  instead of being recomputed at each of the ~9 tick updates of a draw; the title's position is
  given (no title-placement pass); fixed margins (no ``tight_layout``); label measurements are
  shared across charts (matplotlib's own cache is per renderer, so every chart missed it).
* **independent of the caller's rcParams**: every chart is drawn under matplotlib's defaults plus
  :data:`STYLE`, so a notebook that changes ``rcParams`` changes no chart (and a warm worker's
  reused figure never carries one report's style into the next).

The SVG has no date, a fixed hash salt, and every id prefixed per chart (several charts share one
HTML page): the same spec gives the same bytes in every process.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import re
import textwrap
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core import settings
from ..core.vnformat import MISSING, fmt_number, fmt_percent, nfc

__all__ = ["ChartSpec", "ChartRenderer", "render_svg", "chart_key", "font_files", "FONT_FAMILY", "register_fonts",
           "chart_scale", "wrap", "STYLE"]

FONT_FAMILY = "Liberation Serif"
FIG_WIDTH_IN = 6.3
#: matplotlib settings of every chart (over matplotlib's defaults)
STYLE = {
    "font.family": "serif",
    "font.serif": [FONT_FAMILY],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "danvan",
    "svg.id": "danvan-chart",
    "axes.unicode_minus": False,
    "figure.dpi": 100,
}
_COLORS = ["#1f4e79", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646"]
_SVG_METADATA = {"Date": None, "Creator": "danvan"}


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


def _spec(spec) -> ChartSpec:
    return spec if isinstance(spec, ChartSpec) else ChartSpec.from_json(spec)


def chart_key(spec) -> str:
    """A stable digest of a chart spec (its SVG ids are prefixed with it)."""
    return hashlib.sha1(json.dumps(_spec(spec).to_json(), sort_keys=True).encode()).hexdigest()


def _bar_label(v: float, kind: str) -> str:
    if kind == "percent":
        return fmt_percent(v, 2 if v != int(v) else 0)
    return fmt_number(round(v, 2) if v != int(v) else int(v))


def _tick_label(x: float, kind: str) -> str:
    return fmt_number(round(x, 2) if x != int(x) else int(x)) + ("%" if kind == "percent" else "")


# ---- the renderer -------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _chart_rc_values() -> dict:
    """matplotlib's defaults with :data:`STYLE` (validated once; the backend and other interactive
    settings as they are)."""
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(STYLE)
        return dict(matplotlib.rcParams)


@contextlib.contextmanager
def _chart_rc():
    """:func:`_chart_rc_values` while a chart is made; the caller's rcParams are restored
    afterwards, and never seen by the chart."""
    import matplotlib

    rc = matplotlib.rcParams
    saved = dict.copy(rc)  # (matplotlib.rc_context does the same, validating every value again)
    try:
        dict.update(rc, _chart_rc_values())
        yield
    finally:
        dict.update(rc, saved)


@functools.lru_cache(maxsize=8192)
def _text_metrics(text: str, prop, ismath) -> tuple[float, float, float]:
    """Width, height and descent of a label as matplotlib's SVG renderer measures it (TextToPath at
    72 dpi), kept for the process: the same labels come back in every report of a batch."""
    return _text_to_path().get_text_width_height_descent(text, prop, ismath)


@functools.lru_cache(maxsize=1)
def _text_to_path():
    from matplotlib.textpath import TextToPath

    return TextToPath()  # what RendererSVG measures text with


@functools.lru_cache(maxsize=1)
def _renderer_class():
    from matplotlib.backends.backend_svg import RendererSVG

    class MeasuringRendererSVG(RendererSVG):
        """matplotlib's SVG renderer with label measurements shared across renderers."""

        def get_text_width_height_descent(self, s, prop, ismath):
            return _text_metrics(s, prop.copy(), ismath)

    return MeasuringRendererSVG


_COMMENT = re.compile(r"\s*<!--.*?-->", re.S)
_XML_HEAD = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')


def _prefix_ids(svg: str, prefix: str) -> str:
    """Every id of one chart gets a prefix of its own: several inline SVGs share one HTML page, and
    matplotlib names clip paths and markers the same way in every figure."""
    svg = re.sub(r'\bid="', f'id="{prefix}-', svg)
    svg = re.sub(r'href="#', f'href="#{prefix}-', svg)
    return re.sub(r"url\(#", f"url(#{prefix}-", svg)


class ChartRenderer:
    """Draws :class:`ChartSpec` charts on one reused matplotlib figure (see the module docstring).
    Calls are serialised by a lock (one figure)."""

    def __init__(self):
        from matplotlib.backends.backend_svg import FigureCanvasSVG
        from matplotlib.figure import Figure

        register_fonts()
        self._lock = threading.Lock()
        with _chart_rc():
            self._fig = Figure(figsize=(FIG_WIDTH_IN, 2.0))
            self._canvas = FigureCanvasSVG(self._fig)
            self._ax = self._fig.add_subplot()

    def _reset(self) -> None:
        """Undo everything :meth:`_draw` sets, so that the next chart starts as on a new figure."""
        from matplotlib.transforms import Bbox

        fig, ax = self._fig, self._ax
        for c in list(ax.containers):
            c.remove()  # the bars (and their patches)
        for t in list(ax.texts):
            t.remove()  # bar labels
        if ax.legend_ is not None:
            ax.legend_.remove()
        for t in list(fig.texts):
            t.remove()  # the note
        ax.dataLim.set_points(Bbox.null().get_points())
        ax.ignore_existing_data_limits = True
        ax.xaxis.set_inverted(False)
        ax.yaxis.set_inverted(False)
        ax.set_autoscale_on(True)
        ax.margins(0.05, 0.05)  # rc axes.xmargin / ymargin
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_title("", loc="left")

    def _draw(self, spec: ChartSpec) -> None:
        from matplotlib.ticker import AutoLocator, FixedFormatter, FixedLocator

        fig, ax = self._fig, self._ax
        n = len(spec.categories)
        height = max(1.6, 0.42 * n * (1 if spec.stacked else max(1, len(spec.series))) + 0.9)
        fig.set_size_inches(FIG_WIDTH_IN, height)
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
            labels = ["" if v is None else _bar_label(float(v), spec.value_format) for v in vals]
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
        ax.set_title(spec.title, loc="left", fontweight="bold", y=1.0)  # y given: no title-placement pass
        if k > 1:
            ax.legend(frameon=False, fontsize=8, loc="lower right" if spec.horizontal and spec.stacked else "best")
        if spec.note:
            fig.text(0.01, 0.01, spec.note, fontsize=7, style="italic", color="#444444")
        # fixed margins instead of tight_layout(), which draws the whole figure once more
        longest = max((len(c) for c in cats), default=10) if spec.horizontal else 0
        left = min(0.55, 0.05 + longest * 0.075 / FIG_WIDTH_IN) if spec.horizontal else 0.1
        fig.subplots_adjust(left=left, right=0.97, top=1 - 0.38 / height, bottom=0.45 / height)
        # the value axis (y for vertical bars): matplotlib's own ticks on the final layout, frozen
        vax = ax.xaxis if spec.horizontal else ax.yaxis
        vax.set_major_locator(AutoLocator())
        ax.autoscale_view()
        lo, hi = sorted(vax.get_view_interval())
        eps = (hi - lo) * 1e-10
        ticks = [float(t) for t in vax.get_major_locator()() if lo - eps <= t <= hi + eps]
        vax.set_major_locator(FixedLocator(ticks))
        vax.set_major_formatter(FixedFormatter([_tick_label(t, spec.value_format) for t in ticks]))

    def _print_svg(self) -> str:
        """``FigureCanvasSVG.print_svg`` with :func:`_renderer_class` (shared label metrics)."""
        from matplotlib.backends.backend_mixed import MixedModeRenderer

        fig = self._fig
        buf = io.StringIO()
        dpi = STYLE["figure.dpi"]
        fig.dpi = 72  # SVG user units are points
        width, height = fig.get_size_inches()
        svg_renderer = _renderer_class()(width * 72, height * 72, buf, image_dpi=dpi, metadata=_SVG_METADATA)
        renderer = MixedModeRenderer(fig, width, height, dpi, svg_renderer)
        fig.draw(renderer)
        renderer.finalize()
        return buf.getvalue()

    def svg(self, spec) -> str:
        """Inline SVG of the chart: no XML prologue, no fixed size (it scales with its box), text as
        ``<text>`` in the bundled family, ids prefixed per chart; NFC; byte-identical per spec."""
        spec = _spec(spec)
        with self._lock, _chart_rc():
            self._reset()
            self._draw(spec)
            raw = self._print_svg()
        svg = _COMMENT.sub("", _XML_HEAD.sub("", raw))  # matplotlib echoes every label as a comment
        svg = _SIZE.sub(r'<svg\1 class="chart"', svg, count=1)
        return nfc(_prefix_ids(svg, "c" + chart_key(spec)[:8]))


@functools.lru_cache(maxsize=1)
def _renderer() -> ChartRenderer:
    return ChartRenderer()


def render_svg(spec) -> str:
    """The chart's SVG (a :class:`ChartSpec` or its JSON), drawn by the process' renderer."""
    return _renderer().svg(spec)


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
