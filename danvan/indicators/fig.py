"""A figure as the report writes it (:class:`Fig`), and the derived indicators (:func:`derive`).

A missing figure never crashes a report and never prints ``nan``: it prints "chưa có số liệu",
visibly marked in HTML. A figure its unit wrote as more than a number ("hơn 4,5 tỷ đồng",
"10–12%", "456/457 hộ", "2.941,86 ha", "không có") is printed back as written
(:mod:`danvan.core.written`); a plain figure prints exactly as it always did. A profile may print
amounts compactly (``style: {amounts: compact}``: "7,97 tỷ đồng") or in full.
"""

from __future__ import annotations

from decimal import Decimal, DivisionByZero, InvalidOperation

from markupsafe import Markup, escape

from ..core.vnformat import MISSING, fmt_fraction, fmt_number, fmt_padded, fmt_percent, round_half_up
from ..core.written import WrittenValue, parse_written, to_text
from ..reference.catalogue import Catalogue, Indicator

__all__ = ["Fig", "derive", "shown", "shown_text", "exact", "MISSING_HTML"]

MISSING_HTML = Markup('<span class="missing">{}</span>').format(MISSING)


def shown(ind: Indicator, value: Decimal) -> Decimal:
    """The value as the report writes it (rates rounded to their decimals, 2 by default): what a
    reader compares, so changes and rankings are computed on it."""
    if ind.is_rate:
        return round_half_up(value, ind.decimals if ind.decimals is not None else 2)
    return round_half_up(value, ind.decimals) if ind.decimals is not None else value


def exact(wv: WrittenValue | None) -> bool:
    """True for a figure that is one number (not a bound or a range): it can be compared year to year."""
    return wv is None or (wv.qualifier is None and wv.low is None)


def shown_text(ind: Indicator, value: Decimal | None) -> str | None:
    """:func:`shown` as a plain decimal string (``"7967592178"``, ``"95.2"``; JSON-safe, never an
    exponent), or None when missing."""
    return None if value is None else format(shown(ind, value), "f")


class Fig:
    """A figure as the report writes it. ``str(fig)`` is the formatted value (no unit).

    ``prev`` is the same figure one year earlier when it is comparable (see
    :func:`danvan.indicators.lineage.comparable_prior`): ``fig.yoy`` then says the change the report's way.
    ``written`` is how the unit wrote it (None: a plain figure), ``style`` the profile's way of printing
    amounts (as_written | compact | full), ``note`` the unit's note printed after the figure (``.u``).
    """

    __slots__ = ("ind", "raw", "html", "prev", "prev_year", "written", "style", "note")

    def __init__(self, ind: Indicator, raw: Decimal | None, html: bool = False,
                 prev: Decimal | None = None, prev_year: int | None = None,
                 written: WrittenValue | None = None, style: str = "as_written", note: str = ""):
        self.ind = ind
        self.raw = raw
        self.html = html
        self.prev = prev
        self.prev_year = prev_year
        self.written = written
        self.style = style
        self.note = note

    # -- presence ------------------------------------------------------------------------
    @property
    def missing(self) -> bool:
        return self.raw is None

    def _out(self, text: str):
        if self.raw is None:
            return MISSING_HTML if self.html else MISSING
        return escape(text) if self.html else text

    def _as_written(self) -> WrittenValue | None:
        """The value to print through :func:`~danvan.core.written.to_text`: as written, or an amount in
        the profile's style; None: print it the plain way."""
        if self.written is not None:
            return self.written
        if self.style != "as_written" and self.ind.kind == "amount" and self.raw is not None:
            return parse_written(self.raw, kind="amount", unit=self.ind.unit)
        return None

    def _style(self) -> str:
        return self.style if self.ind.kind == "amount" else "as_written"

    def _plain(self) -> str:
        wv = self._as_written()
        if wv is not None:
            return to_text(wv, self._style(), unit=False)
        if self.ind.is_rate:
            return fmt_percent(self.raw, self.ind.decimals)
        return fmt_number(self.raw, self.ind.decimals)

    def __str__(self) -> str:
        return str(self._out(self._plain() if self.raw is not None else ""))

    def __html__(self) -> str:
        return str(self._with(html=True)._out(self._plain() if self.raw is not None else ""))

    def _with(self, **changes) -> "Fig":
        kw = {k: getattr(self, k) for k in self.__slots__} | changes
        return Fig(**kw)

    def _text(self, text: str, missing: bool = False):
        if missing:
            return Markup('<span class="missing">{}</span>').format(text) if self.html else text
        return escape(text) if self.html else text

    def __repr__(self) -> str:
        return f"Fig({self.ind.code}={self.raw})"

    def _with_unit(self, text: str) -> str:
        return text if self.ind.is_rate else f"{text} {self.ind.unit}"

    # -- the report's ways of writing a figure --------------------------------------------
    def _with_note(self, text: str) -> str:
        return f"{text} ({self.note})" if self.note else text

    @property
    def u(self):
        """With its unit: ``7.967.592.178 đồng``, ``34 tin``, ``75,07%``; as written: ``hơn 4,5 tỷ
        đồng``, ``10–12%``, ``456/457 hộ``, ``không có``; and the unit's note when the profile prints
        notes inline."""
        if self.raw is None:
            return self._out("")
        wv = self._as_written()
        text = to_text(wv, self._style()) if wv is not None else self._with_unit(self._plain())
        return self._out(self._with_note(text))

    @property
    def n(self):
        """Without its unit (a rate keeps its %): ``1.109``, ``hơn 9.500``, ``75,07%``."""
        return self._out(self._plain() if self.raw is not None else "")

    @property
    def z(self):
        """Zero-padded small counts: ``04``."""
        if self.written is not None and self.raw is not None:
            return self.n
        return self._out(fmt_padded(self.raw) if self.raw is not None else "")

    @property
    def zu(self):
        """Zero-padded with unit: ``04 tin``."""
        if self.written is not None and self.raw is not None:
            return self._out(to_text(self.written, self._style()))
        return self._out(self._with_unit(fmt_padded(self.raw)) if self.raw is not None else "")

    def of(self, other: "Fig"):
        """``9/9``: this figure out of ``other`` (a figure written "456/457" keeps its own base)."""
        if self.raw is None or other.raw is None:
            return self._out("") if self.raw is None else other._out("")
        if self.written is not None and self.written.denominator is not None:
            return self._out(to_text(self.written, unit=False))
        return self._out(fmt_fraction(self.raw, other.raw))

    @property
    def change(self):
        """A signed change: ``giảm 08 vụ`` / ``tăng 3 vụ`` / ``không thay đổi``."""
        if self.raw is None:
            return self._out("")
        if self.written is not None and self.written.change_word:
            return self._out(to_text(self.written))
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
        """True when this year's and a comparable prior year's figure both exist (and this year's is
        one number: "hơn 4,5 tỷ" is not compared)."""
        return self.raw is not None and self.prev is not None and not self.ind.signed and exact(self.written)

    @property
    def prior(self) -> "Fig":
        """The prior year's figure (``chưa có số liệu`` when missing or not comparable)."""
        return Fig(self.ind, self.prev, self.html, style=self.style)

    def _no_yoy(self):
        return self._text(f"chưa có số liệu so sánh cùng kỳ năm {self.prev_year or ''}".rstrip(), missing=True)

    @property
    def delta(self):
        """Absolute change: ``giảm 08 vụ``, ``tăng 1.250.000 đồng``, ``tăng 2,35 điểm phần trăm``,
        ``không thay đổi``."""
        if not self.has_yoy:
            return self._no_yoy()
        d = shown(self.ind, self.raw) - shown(self.ind, self.prev)
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
        cur, prev = shown(self.ind, self.raw), shown(self.ind, self.prev)
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
