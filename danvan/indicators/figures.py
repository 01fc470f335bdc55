"""One unit-year's figures: loaded from the store (or from files) with the catalogue of the
unit-year's report profile, derived ones computed, each a :class:`~danvan.indicators.fig.Fig` that
prints itself the way the report writes it (as the unit wrote it, when it wrote more than a number).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from decimal import Decimal

from ..core.vnformat import round_half_up
from ..core.written import WrittenValue, from_storage, to_storage
from ..intake.unitdir import read_unit_dir
from ..reference.catalogue import Catalogue, Indicator
from ..reference.profiles import catalogue_for
from ..reference.units import Unit, UnitRegistry, check_code_format, load_registry, unit_paths
from ..store import Store
from .fig import Fig, derive, exact, shown_text
from .lineage import comparable_prior

__all__ = ["Figures", "load_figures"]


class _Namespace:
    """``v.CODE`` access for templates; a code the profile hides reads as missing, an unknown code is
    an error naming the closest code (a typo in a template)."""

    def __init__(self, figs: "Figures", html: bool):
        self._figs = figs
        self._html = html

    def __getattr__(self, code: str) -> Fig:
        if code.startswith("_"):
            raise AttributeError(code)
        if code in self._figs.catalogue.hidden:
            return Fig(Indicator(code, code, "", "", "count"), None, html=self._html)
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
    # the unit registry the unit comes from (with the user's own unit files); None: the shipped one
    registry: UnitRegistry | None = field(default=None, repr=False, compare=False)
    written: dict[str, str] = field(default_factory=dict)  # how values were written (JSON; plain ones absent)
    notes: dict[str, str] = field(default_factory=dict)  # the unit's note beside a value (form "Ghi chú")

    def __post_init__(self):
        self.derived = derive(self.catalogue, self.values)
        self.prior_derived = derive(self.catalogue, self.prior) if self.prior is not None else {}
        self._wv = {c: self._parse(c, w) for c, w in self.written.items() if c in self.catalogue}
        self._wv.update(self._derived_bounds())

    def _parse(self, code: str, written: str) -> WrittenValue:
        ind = self.catalogue[code]
        return from_storage(str(self.values[code]), written, kind=ind.written_kind, unit=ind.unit)

    def _derived_bounds(self) -> dict[str, WrittenValue]:
        """A rate computed from a bound or a range ("hơn 100 hộ" / 457) is approximate: "khoảng 22%"."""
        out = {}
        for code, value in self.derived.items():
            ind = self.catalogue[code]
            if exact(self._wv.get(ind.numerator)) and exact(self._wv.get(ind.denominator)):
                continue
            dec = ind.decimals if ind.decimals is not None else 2
            out[code] = WrittenValue(round_half_up(value, dec), "percent", "%", qualifier="khoang", decimals=dec)
        return out

    def written_value(self, code: str) -> WrittenValue | None:
        """How the unit wrote ``code`` (None: a plain figure, or missing)."""
        return self._wv.get(code)

    def written_json(self, code: str) -> str | None:
        wv = self._wv.get(code)
        return None if wv is None else to_storage(wv)[1]

    def prior_raw(self, code: str) -> Decimal | None:
        if self.prior is None or code not in self.catalogue:
            return None
        return self.prior_derived.get(code, self.prior.get(code))

    def raw(self, code: str) -> Decimal | None:
        if code not in self.catalogue:
            close = difflib.get_close_matches(code, list(self.catalogue.indicators), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise KeyError(f"unknown indicator {code!r}{hint}")
        return self.derived.get(code, self.values.get(code))

    def fig(self, code: str, html: bool = False) -> Fig:
        raw = self.raw(code)  # first: an unknown code is a KeyError naming the closest known code
        note = self.notes.get(code, "") if self.catalogue.note_mode(code) == "inline" else ""
        return Fig(self.catalogue[code], raw, html=html, prev=self.prior_raw(code), prev_year=self.year - 1,
                   written=self._wv.get(code), style=self.catalogue.amount_style, note=note)

    def footnotes(self, section: str) -> list[tuple[Indicator, str]]:
        """The notes of a section's figures that the profile prints as footnotes."""
        return [(i, self.notes[i.code]) for i in self.catalogue.in_section(section)
                if self.notes.get(i.code) and self.catalogue.note_mode(i.code) == "footnote"]

    __getitem__ = fig

    def key_figures(self) -> dict:
        """The key indicators (catalogue ``key: true``) as numbers (:func:`shown_text`), with their text
        as the report prints them where that is not the plain number (``written``; ``inexact``: the
        codes that are a bound or a range), and the comparable prior year's when there is one (``prior``, ``prior_year``); ``prior_note``
        says why there is none, or that the prior year is the sum of predecessor units. What the
        portal shows on the unit's page (the batch keeps it in the report's manifest record)."""
        keys = [i for i in self.catalogue.indicators.values() if i.key]
        out: dict = {"values": {i.code: shown_text(i, self.raw(i.code)) for i in keys}}
        written = {}  # the ones not printed the plain way ("hơn 4,5 tỷ đồng", "04 tập thể"), as printed
        for i in keys:
            f = self.fig(i.code)._with(note="")
            if not f.missing and f._as_written() is not None:
                written[i.code] = str(f.u)
        if written:
            out["written"] = written
            inexact = sorted(c for c in written if not exact(self._wv.get(c)))
            if inexact:  # bounds and ranges: not compared year to year (Fig.has_yoy)
                out["inexact"] = inexact
        if self.prior is not None:
            out["prior"] = {i.code: shown_text(i, self.prior_raw(i.code)) for i in keys}
            out["prior_year"] = self.year - 1
        if self.prior_note:
            out["prior_note"] = self.prior_note
        return out

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
                    "text": str(self.fig(ind.code).u),
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
    unit_files=(),
    with_prior: bool = True,
    profile: str | None = None,
) -> Figures:
    """Load a unit-year from the store (default) or, with ``data_dir``, from files laid out as
    ``<data_dir>/<unit>/<year>/{figures.csv,text/*.md,report.yaml}``.

    With ``with_prior`` the prior year's figures of the same unit lineage are attached when they
    are comparable (:func:`danvan.indicators.lineage.comparable_prior`), for the year-over-year
    phrases. ``unit_files``: user unit files (docs/units.md), paths or a string of paths separated
    by ``os.pathsep``. ``profile``: a report profile (name or file) instead of the unit's own
    (:func:`danvan.reference.profiles.profile_for`). Reading never writes: a missing store is a
    :class:`~danvan.core.errors.StoreMissingError`.
    """
    figs = _load_figures(unit_code, year, db=db, data_dir=data_dir, catalogue=catalogue,
                         catalogue_files=catalogue_files, reg=load_registry(*unit_paths(unit_files)), profile=profile)
    if with_prior:
        figs.prior, figs.prior_note = comparable_prior(figs, db=db, data_dir=data_dir, reg=figs.registry)
        figs.__post_init__()
    return figs


def _load_figures(unit_code, year, *, db, data_dir, catalogue, catalogue_files, reg: UnitRegistry,
                  profile=None) -> Figures:
    check_code_format(unit_code)
    year = int(year)
    unit = reg.get(unit_code, year)
    cat = catalogue or catalogue_for(unit, year, registry=reg, profile=profile, catalogue_files=catalogue_files)
    if data_dir:
        d = read_unit_dir(data_dir, unit_code, year, cat, registry=reg)
        return Figures(unit, year, cat, d.figures, d.texts, d.meta, d.illustrative, d.source, d.fingerprint,
                       registry=reg, written=d.written, notes=d.notes)
    store = Store(db or None).require()
    snap = store.snapshot(unit_code, year)
    known = {k: v for k, v in snap["figures"].items() if k in cat}
    return Figures(
        unit, year, cat, known, snap["texts"], snap["meta"], snap["illustrative"],
        f"store {store.path}", snap["fingerprint"], registry=reg,
        written={k: w for k, w in snap["written"].items() if k in known},
        notes={k: n for k, n in snap["notes"].items() if k in known},
    )
