"""One unit-year's figures: loaded from the store (or from files), derived ones computed, each a
:class:`Fig` that prints itself the way the report writes it.

A missing figure never crashes a report and never prints ``nan``: it prints "chưa có số liệu",
visibly marked in HTML.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal, DivisionByZero, InvalidOperation

from markupsafe import Markup, escape

from .catalogue import Catalogue, Indicator, load_catalogue
from .units import Unit, load_registry
from .vnformat import MISSING, fmt_fraction, fmt_number, fmt_padded, fmt_percent

__all__ = ["Fig", "Figures", "load_figures", "derive"]

MISSING_HTML = Markup('<span class="missing">{}</span>').format(MISSING)


class Fig:
    """A figure as the report writes it. ``str(fig)`` is the formatted value (no unit)."""

    __slots__ = ("ind", "raw", "html")

    def __init__(self, ind: Indicator, raw: Decimal | None, html: bool = False):
        self.ind = ind
        self.raw = raw
        self.html = html

    # -- presence ------------------------------------------------------------------------
    @property
    def missing(self) -> bool:
        return self.raw is None

    def _out(self, text: str):
        if self.raw is None:
            return MISSING_HTML if self.html else MISSING
        return escape(text) if self.html else text

    def _plain(self) -> str:
        if self.ind.is_rate:
            return fmt_percent(self.raw, self.ind.decimals)
        return fmt_number(self.raw, self.ind.decimals)

    def __str__(self) -> str:
        return str(self._out(self._plain() if self.raw is not None else ""))

    def __html__(self) -> str:
        return str(Fig(self.ind, self.raw, html=True)._out(self._plain() if self.raw is not None else ""))

    def __repr__(self) -> str:
        return f"Fig({self.ind.code}={self.raw})"

    def _with_unit(self, text: str) -> str:
        return text if self.ind.is_rate else f"{text} {self.ind.unit}"

    # -- the report's ways of writing a figure --------------------------------------------
    @property
    def u(self):
        """With its unit: ``7.967.592.178 đồng``, ``34 tin``, ``75,07%``."""
        return self._out(self._with_unit(self._plain()) if self.raw is not None else "")

    @property
    def z(self):
        """Zero-padded small counts: ``04``."""
        return self._out(fmt_padded(self.raw) if self.raw is not None else "")

    @property
    def zu(self):
        """Zero-padded with unit: ``04 tin``."""
        return self._out(self._with_unit(fmt_padded(self.raw)) if self.raw is not None else "")

    def of(self, other: "Fig"):
        """``9/9``: this figure out of ``other``."""
        if self.raw is None or other.raw is None:
            return self._out("") if self.raw is None else other._out("")
        return self._out(fmt_fraction(self.raw, other.raw))

    @property
    def change(self):
        """A signed change: ``giảm 08 vụ`` / ``tăng 3 vụ`` / ``không thay đổi``."""
        if self.raw is None:
            return self._out("")
        if self.raw == 0:
            return self._out("không thay đổi")
        word = "giảm" if self.raw < 0 else "tăng"
        return self._out(f"{word} {self._with_unit(fmt_padded(abs(self.raw)))}")

    @property
    def value(self) -> float | None:
        """The value as a float (charts); None when missing."""
        return None if self.raw is None else float(self.raw)


def derive(cat: Catalogue, values: dict[str, Decimal]) -> dict[str, Decimal]:
    """Values of the derived indicators computable from ``values`` (numerator / denominator × 100)."""
    out: dict[str, Decimal] = {}
    for ind in cat.indicators.values():
        if not ind.is_derived:
            continue
        num, den = values.get(ind.numerator), values.get(ind.denominator)
        if num is None or den is None or den == 0:
            continue
        try:
            out[ind.code] = num * 100 / den
        except (DivisionByZero, InvalidOperation):  # pragma: no cover - den != 0 checked
            continue
    return out


class _Namespace:
    """``v.CODE`` access for templates; unknown codes are an error naming the closest code."""

    def __init__(self, figs: "Figures", html: bool):
        self._figs = figs
        self._html = html

    def __getattr__(self, code: str) -> Fig:
        if code.startswith("_"):
            raise AttributeError(code)
        self._figs.raw(code)  # an unknown code is a KeyError naming the closest known code
        return self._figs.fig(code, html=self._html)

    __getitem__ = __getattr__


@dataclass
class Figures:
    """Everything a report of one unit-year reads."""

    unit: Unit
    year: int
    catalogue: Catalogue
    values: dict[str, Decimal]  # data values (no derived ones)
    texts: dict[str, str] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    illustrative: bool = False
    source: str = ""
    fingerprint: str = ""

    def __post_init__(self):
        self.derived = derive(self.catalogue, self.values)

    def raw(self, code: str) -> Decimal | None:
        if code not in self.catalogue:
            import difflib

            close = difflib.get_close_matches(code, list(self.catalogue.indicators), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise KeyError(f"unknown indicator {code!r}{hint}")
        return self.derived.get(code, self.values.get(code))

    def fig(self, code: str, html: bool = False) -> Fig:
        return Fig(self.catalogue[code], self.raw(code), html=html)

    __getitem__ = fig

    def namespace(self, html: bool = False) -> _Namespace:
        return _Namespace(self, html)

    def missing(self, section: str | None = None) -> list[Indicator]:
        return [
            i
            for i in self.catalogue.indicators.values()
            if (section is None or i.section == section) and self.raw(i.code) is None
        ]

    def to_frame(self, section: str | None = None):
        """Tidy table: one row per indicator (section, code, label, value, unit, text)."""
        import pandas as pd

        rows = []
        for ind in self.catalogue.indicators.values():
            if section is not None and ind.section != section:
                continue
            raw = self.raw(ind.code)
            rows.append(
                {
                    "section": ind.section,
                    "code": ind.code,
                    "label": ind.label,
                    "value": None if raw is None else float(raw),
                    "unit": ind.unit,
                    "text": str(Fig(ind, raw).u),
                }
            )
        return pd.DataFrame(rows, columns=["section", "code", "label", "value", "unit", "text"])


def load_figures(
    unit_code: str,
    year: int,
    *,
    db: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    catalogue: Catalogue | None = None,
    catalogue_files: tuple[str, ...] = (),
) -> Figures:
    """Load a unit-year from the store (default) or, with ``data_dir``, from files laid out as
    ``<data_dir>/<unit>/<year>/{figures.csv,text/*.md,report.yaml}``."""
    from .units import check_code_format

    check_code_format(unit_code)
    year = int(year)
    cat = catalogue or load_catalogue(*catalogue_files)
    unit = load_registry().get(unit_code, year)
    if data_dir:
        from .intake import read_unit_dir

        d = read_unit_dir(data_dir, unit_code, year, cat)
        return Figures(unit, year, cat, d.figures, d.texts, d.meta, d.illustrative, d.source, d.fingerprint)
    from .store import Store

    store = Store(db) if db else Store()
    if not store.exists() and not db:
        from .intake import bootstrap_default_store

        bootstrap_default_store(store)
    snap = store.snapshot(unit_code, year)
    known = {k: v for k, v in snap["figures"].items() if k in cat}
    return Figures(
        unit, year, cat, known, snap["texts"], snap["meta"], snap["illustrative"],
        f"store {store.path}", snap["fingerprint"],
    )
