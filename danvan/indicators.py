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
from .vnformat import MISSING, fmt_fraction, fmt_number, fmt_padded, fmt_percent, round_half_up

__all__ = ["Fig", "Figures", "load_figures", "derive"]

MISSING_HTML = Markup('<span class="missing">{}</span>').format(MISSING)


class Fig:
    """A figure as the report writes it. ``str(fig)`` is the formatted value (no unit).

    ``prev`` is the same figure one year earlier when it is comparable (see
    :func:`danvan.lineage.comparable_prior`): ``fig.yoy`` then says the change the report's way.
    """

    __slots__ = ("ind", "raw", "html", "prev", "prev_year")

    def __init__(self, ind: Indicator, raw: Decimal | None, html: bool = False,
                 prev: Decimal | None = None, prev_year: int | None = None):
        self.ind = ind
        self.raw = raw
        self.html = html
        self.prev = prev
        self.prev_year = prev_year

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

    def _text(self, text: str, missing: bool = False):
        if missing:
            return Markup('<span class="missing">{}</span>').format(text) if self.html else text
        return escape(text) if self.html else text

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

    # -- year over year ------------------------------------------------------------------------
    # Changes are computed on the figures *as the report writes them* (rates rounded to their
    # decimals), so "95,2% -> 95,2%" is "không thay đổi", never "tăng 0 điểm phần trăm".
    @property
    def has_yoy(self) -> bool:
        """True when this year's and a comparable prior year's figure both exist."""
        return self.raw is not None and self.prev is not None and not self.ind.signed

    @property
    def prior(self) -> "Fig":
        """The prior year's figure (``chưa có số liệu`` when missing or not comparable)."""
        return Fig(self.ind, self.prev, self.html)

    def _no_yoy(self):
        return self._text(f"chưa có số liệu so sánh cùng kỳ năm {self.prev_year or ''}".rstrip(), missing=True)

    def _shown(self, x: Decimal) -> Decimal:
        if self.ind.is_rate:
            return round_half_up(x, self.ind.decimals if self.ind.decimals is not None else 2)
        return round_half_up(x, self.ind.decimals) if self.ind.decimals is not None else x

    @property
    def delta(self):
        """Absolute change: ``giảm 08 vụ``, ``tăng 1.250.000 đồng``, ``tăng 2,35 điểm phần trăm``,
        ``không thay đổi``."""
        if not self.has_yoy:
            return self._no_yoy()
        d = self._shown(self.raw) - self._shown(self.prev)
        if d == 0:
            return self._text("không thay đổi")
        word = "tăng" if d > 0 else "giảm"
        if self.ind.is_rate:
            dec = self.ind.decimals if self.ind.decimals is not None else 2
            return self._text(f"{word} {fmt_number(abs(d), dec)} điểm phần trăm")
        amount = fmt_padded(abs(d)) if self.ind.kind == "count" else fmt_number(abs(d), self.ind.decimals)
        return self._text(f"{word} {amount} {self.ind.unit}")

    @property
    def growth(self):
        """Relative change: ``tăng 12,5%`` (one decimal, two when one would show 0); from a prior
        value of zero there is no rate of change, so the absolute change is said instead."""
        if not self.has_yoy:
            return self._no_yoy()
        cur, prev = self._shown(self.raw), self._shown(self.prev)
        if cur == prev:
            return self._text("không thay đổi")
        if prev == 0:
            return self.delta
        g = (cur - prev) / abs(prev) * 100
        r = round_half_up(g, 1)
        if r == 0:
            r = round_half_up(g, 2)
        word = "tăng" if g > 0 else "giảm"
        return self._text(f"{word} {fmt_number(abs(r))}%")

    @property
    def yoy(self):
        """The change the way a report says it, with the comparison: counts absolute
        (``giảm 08 vụ so với cùng kỳ năm 2022``), amounts relative (``tăng 12,5% so với cùng kỳ
        năm 2022``), rates in percentage points; ``không thay đổi so với cùng kỳ năm 2022``."""
        if not self.has_yoy:
            return self._no_yoy()
        change = self.growth if self.ind.kind == "amount" else self.delta
        return self._text(f"{change} so với cùng kỳ năm {self.prev_year}")


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
    # The prior year's data values when comparable with this year's (same unit lineage, same
    # real/illustrative status); None otherwise, with the reason in ``prior_note``.
    prior: dict[str, Decimal] | None = None
    prior_note: str = ""

    def __post_init__(self):
        self.derived = derive(self.catalogue, self.values)
        self.prior_derived = derive(self.catalogue, self.prior) if self.prior is not None else {}

    def prior_raw(self, code: str) -> Decimal | None:
        if self.prior is None or code not in self.catalogue:
            return None
        return self.prior_derived.get(code, self.prior.get(code))

    def raw(self, code: str) -> Decimal | None:
        if code not in self.catalogue:
            import difflib

            close = difflib.get_close_matches(code, list(self.catalogue.indicators), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise KeyError(f"unknown indicator {code!r}{hint}")
        return self.derived.get(code, self.values.get(code))

    def fig(self, code: str, html: bool = False) -> Fig:
        raw = self.raw(code)  # first: an unknown code is a KeyError naming the closest known code
        return Fig(self.catalogue[code], raw, html=html, prev=self.prior_raw(code), prev_year=self.year - 1)

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
    with_prior: bool = True,
) -> Figures:
    """Load a unit-year from the store (default) or, with ``data_dir``, from files laid out as
    ``<data_dir>/<unit>/<year>/{figures.csv,text/*.md,report.yaml}``.

    With ``with_prior`` the prior year's figures of the same unit lineage are attached when they
    are comparable (:func:`danvan.lineage.comparable_prior`), for the year-over-year phrases.
    """
    figs = _load_figures(unit_code, year, db=db, data_dir=data_dir, catalogue=catalogue,
                         catalogue_files=catalogue_files)
    if with_prior:
        from .lineage import comparable_prior

        figs.prior, figs.prior_note = comparable_prior(figs, db=db, data_dir=data_dir)
        figs.__post_init__()
    return figs


def _load_figures(unit_code, year, *, db, data_dir, catalogue, catalogue_files) -> Figures:
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
