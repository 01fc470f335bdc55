"""Typst (the PyPI ``typst`` package: the compiler is inside the wheel, no system library) set up the
way every danvan document uses it.

* **Only the bundled fonts**: ``font_paths=[danvan/fonts]`` and ``ignore_system_fonts=True``, which
  also keeps out Typst's own embedded fonts. A character the faces lack is printed as
  :data:`SUBSTITUTE` and logged: PDF/A forbids the ``.notdef`` box, and no other font may stand in.
* **No file, no data as source**: the template is a fixed file of the package, passed as bytes;
  Typst's project root is an empty private directory, so not even a template bug could read a
  file; data reaches a template only through ``sys.inputs`` (strings), never as Typst source.
* **Warm**: one compiler per template and process (fonts loaded once, Typst's caches warm),
  calls serialised by a lock.
"""

from __future__ import annotations

import atexit
import functools
import logging
import re
import shutil
import tempfile
import threading
from pathlib import Path

from .fonts import fonts_dir, uncovered_characters

__all__ = ["Typesetter", "typesetter", "svg_to_png", "svg_size", "substitute_uncovered", "SUBSTITUTE"]

log = logging.getLogger(__name__)

#: Printed instead of a character the bundled faces lack (□ WHITE SQUARE, which they have).
SUBSTITUTE = "\u25a1"


class Typesetter:
    """One Typst compiler for one template (bytes), its root an empty private directory."""

    def __init__(self, template: bytes):
        import typst

        self._root = Path(tempfile.mkdtemp(prefix="danvan-typst-root-"))
        atexit.register(shutil.rmtree, self._root, True)
        self._lock = threading.Lock()
        self._template = template
        self._compiler = typst.Compiler(template, root=str(self._root), font_paths=[str(fonts_dir())],
                                        ignore_system_fonts=True)

    @property
    def root(self) -> Path:
        return self._root

    def compile(self, sys_inputs: dict[str, str], **kw) -> bytes | list[bytes]:
        # the template is passed again on every call: typst-py 0.15 forgets an in-memory main
        # file after its first compilation ("file not found: __typst_py_bytes__.typ")
        with self._lock:
            out, warnings = self._compiler.compile_with_warnings(self._template, sys_inputs=sys_inputs, **kw)
        for w in warnings:
            log.warning("typst: %s", getattr(w, "message", w))
        return out


@functools.lru_cache(maxsize=8)
def typesetter(template: Path) -> Typesetter:
    """The process' compiler of a template file."""
    return Typesetter(Path(template).read_bytes())


def substitute_uncovered(text: str, what: str = "document") -> str:
    """``text`` with every character the bundled faces lack replaced by :data:`SUBSTITUTE` (logged)."""
    missing = uncovered_characters(text)
    if not missing:
        return text
    log.warning("%s: characters missing from the bundled fonts (printed as %s): %s", what, SUBSTITUTE,
                " ".join(f"{c} U+{ord(c):04X}" for c in sorted(missing)))
    return "".join(SUBSTITUTE if c in missing else c for c in text)


# ---- SVG -> PNG (Word) ------------------------------------------------------------------------

_PNG_TEMPLATE = b"""// one SVG chart on a page of its own size (the PNG of a chart for Word)
#let w = float(sys.inputs.width) * 1pt
#set page(width: w, height: auto, margin: 0pt, fill: white)
#image(bytes(sys.inputs.svg), format: "svg", width: w)
"""
_VIEWBOX = re.compile(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"')


def svg_size(svg: str) -> tuple[float, float]:
    """Width and height of an SVG's viewBox (user units: pt for matplotlib's charts)."""
    m = _VIEWBOX.search(svg)
    if not m or float(m.group(1)) <= 0:
        raise ValueError("chart SVG without a usable viewBox")
    return float(m.group(1)), float(m.group(2))


@functools.lru_cache(maxsize=1)
def _png_typesetter() -> Typesetter:
    return Typesetter(_PNG_TEMPLATE)


def svg_to_png(svg: str, ppi: int = 200) -> bytes:
    """PNG of a chart SVG drawn by Typst with the bundled fonts (the SVG's user unit is 1 pt, as
    matplotlib writes it): the same picture as in the PDF, with no second drawing."""
    width, _height = svg_size(svg)
    out = _png_typesetter().compile({"svg": substitute_uncovered(svg, "chart"), "width": repr(width)},
                                    format="png", ppi=ppi)
    return out[0] if isinstance(out, list) else out
