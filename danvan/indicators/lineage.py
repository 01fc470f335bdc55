"""Series that follow a unit through the reorganisations (2025-01-01 in Huế, 2025-07-01 nationwide).

A unit is a *registry row* (code + validity period), not just a code: codes were reused in 2025
(19789 is Phường Phú Nhuận until 30/6/2025 and Phường Thuận Hóa from 1/7/2025), and a unit whose
parent changed has a new row under the same code. For a year in which a unit did not yet exist, its
figures are those of its predecessors, combined:

- counts and amounts are summed (only when every predecessor has the figure: a partial sum would be
  a wrong value, so it is marked unavailable instead, naming the units without it);
- derived ratios are recomputed from the summed numerator and denominator (never averaged);
- stated percentages (kind ``percent``) are not summable: recomputed from the summed
  numerator/denominator when the catalogue names them, otherwise unavailable;
- indicators marked ``additive: false`` (the same list in every unit) are unavailable.

The report says so: "Số liệu trước 01/7/2025 là tổng của các đơn vị: …".

A unit that received only *part* of a split unit (the crosswalk's ``relation`` ``part``) cannot
have figures for the years before it existed: no shares are known, so any sum would be silently
wrong. Those years are unavailable with the reason (:class:`~danvan.core.errors.SplitLineageError`);
a unit whose predecessors were all merged whole keeps the sum.

Asking for a unit in a year in which neither it nor a predecessor existed is an
:class:`~danvan.core.errors.UnknownUnitError` naming its successor or predecessors.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..core.errors import SplitLineageError, StoreMissingError, UnknownUnitError
from ..core.vnformat import fmt_short_date
from ..intake.unitdir import read_unit_dir
from ..reference.catalogue import Catalogue, catalogue_paths
from ..reference.profiles import catalogue_for
from ..reference.units import Unit, UnitRegistry, load_registry, unit_paths
from ..store import Store
from .fig import Fig, derive

__all__ = [
    "members", "UnitYear", "unit_year_values", "combine", "load_unit_year", "comparable_prior", "Series",
    "load_series", "lineage_note", "row_key",
]


def row_key(u: Unit) -> tuple:
    return (u.code, u.valid_from or _dt.date.min)


# ---- which units make up a unit in a year -----------------------------------------------------
def members(unit: Unit, year: int, reg: UnitRegistry | None = None) -> list[Unit]:
    """The registry rows whose figures for ``year`` make up ``unit``'s figures.

    ``[unit]`` when it existed in ``year``; its predecessors (recursively) when it was created
    later; an :class:`UnknownUnitError` naming the successor when it had already ended, a
    :class:`SplitLineageError` when it received part of a split unit.
    """
    reg = reg or load_registry()
    if unit.valid_in(year):
        return [unit]
    if unit.valid_from and unit.valid_from > _dt.date(year, 12, 31):
        split = reg.split_predecessors(unit)
        if split:
            names = ", ".join(f"{p.name} (mã {p.code})" for p in split)
            raise SplitLineageError(
                f"{unit.name} (mã {unit.code}) chưa tồn tại trong năm {year} (thành lập từ "
                f"{fmt_short_date(unit.valid_from)}) và chỉ nhận một phần của {names}: đơn vị đó được chia "
                f"cho nhiều đơn vị mới, không có tỷ lệ phân chia nên không tính được số liệu năm {year}."
            )
        out: dict[tuple, Unit] = {}
        for p in reg.predecessors_of(unit):
            for m in members(p, year, reg):
                out[row_key(m)] = m
        if not out:
            raise UnknownUnitError(
                f"{unit.name} (mã {unit.code}) chưa tồn tại trong năm {year} (thành lập từ "
                f"{fmt_short_date(unit.valid_from)}) và danh mục đơn vị không ghi đơn vị tiền thân."
            )
        return [out[k] for k in sorted(out)]
    later = reg.successor_at(unit, _dt.date(year, 12, 31))
    hint = f"; năm {year} thuộc " + ", ".join(f"{s.name} (mã {s.code})" for s in later) if later else ""
    raise UnknownUnitError(
        f"{unit.name} (mã {unit.code}) không còn tồn tại trong năm {year} "
        f"(hiệu lực đến {fmt_short_date(unit.valid_to)}){hint}."
    )


def lineage_note(unit: Unit, names: list[str]) -> str:
    """"Số liệu trước 01/7/2025 là tổng của các đơn vị: …" (the sentence the report prints)."""
    when = f"trước {fmt_short_date(unit.valid_from)}" if unit.valid_from else "các năm trước"
    return f"Số liệu {when} là tổng của các đơn vị: {', '.join(names)}."


# ---- one unit-year, combined over its members --------------------------------------------------
@dataclass
class UnitYear:
    """The data values of ``unit`` in ``year`` (summed over ``members`` when it did not exist)."""

    unit: Unit
    year: int
    members: tuple[Unit, ...]
    values: dict[str, Decimal] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # code -> why (Vietnamese)
    recomputed: frozenset = frozenset()  # stated percents recomputed from summed parts
    missing_members: tuple[Unit, ...] = ()
    illustrative: bool = False
    fingerprint: str = ""

    @property
    def aggregated(self) -> bool:
        """True when the values are a sum over other units (not when the unit only changed its
        parent, name or type and its earlier row of the same code stands for it)."""
        return [m.code for m in self.members] != [self.unit.code]

    @property
    def has_data(self) -> bool:
        return bool(self.values) and not self.missing_members


def unit_year_values(code: str, year: int, cat: Catalogue, store, data_dir,
                     registry: UnitRegistry | None = None) -> tuple[dict | None, bool, str]:
    """``(values or None when no data, illustrative, fingerprint)`` of one stored unit-year (from the
    store, or from ``<data_dir>/<code>/<year>/`` when ``data_dir`` is given)."""
    if data_dir:
        if not (Path(data_dir) / code / str(year)).is_dir():
            return None, False, "-"
        d = read_unit_dir(data_dir, code, year, cat, registry=registry)
        return {k: v for k, v in d.figures.items() if k in cat}, d.illustrative, d.fingerprint
    snap = store.snapshot(code, year)
    if not (snap["figures"] or snap["texts"] or snap["meta"]):
        return None, False, "-"
    return {k: v for k, v in snap["figures"].items() if k in cat}, snap["illustrative"], snap["fingerprint"]


def combine(cat: Catalogue, parts: list[tuple[Unit, dict]]) -> tuple[dict, dict, frozenset]:
    """Values of a unit made of ``parts`` (rows with their values): see the module docstring."""
    if len(parts) == 1:
        return dict(parts[0][1]), {}, frozenset()
    values: dict[str, Decimal] = {}
    unavailable: dict[str, str] = {}
    percents = []
    for ind in cat.data_indicators():
        vals = [(u, v.get(ind.code)) for u, v in parts]
        if all(x is None for _u, x in vals):
            continue
        if ind.kind == "percent":
            percents.append(ind)
        elif not ind.additive:
            unavailable[ind.code] = "chỉ tiêu không cộng được giữa các đơn vị"
        elif any(x is None for _u, x in vals):
            lacking = ", ".join(u.name for u, x in vals if x is None)
            unavailable[ind.code] = f"thiếu số liệu của: {lacking}"
        else:
            values[ind.code] = sum((x for _u, x in vals), Decimal(0))
    recomputed = set()
    for ind in percents:
        num, den = values.get(ind.numerator or ""), values.get(ind.denominator or "")
        if num is not None and den:
            values[ind.code] = num * 100 / den
            recomputed.add(ind.code)
        else:
            unavailable[ind.code] = "tỷ lệ do từng đơn vị báo cáo, không cộng được"
    return values, unavailable, frozenset(recomputed)


def load_unit_year(unit: Unit, year: int, *, cat: Catalogue, db=None, data_dir=None, store=None,
                   reg: UnitRegistry | None = None) -> UnitYear:
    """``unit``'s values in ``year``, following its lineage (raises UnknownUnitError, see members)."""
    reg = reg or load_registry()
    ms = members(unit, year, reg)
    if store is None and not data_dir:
        store = Store(db or None).require()
    parts, missing, ill, fps = [], [], False, []
    for m in ms:
        vals, m_ill, fp = unit_year_values(m.code, year, cat, store, data_dir, reg)
        fps.append(f"{m.code}:{fp}")
        if vals is None:
            missing.append(m)
            continue
        parts.append((m, vals))
        ill = ill or m_ill
    if missing:
        values, unavailable, recomputed = {}, {}, frozenset()
    else:
        values, unavailable, recomputed = combine(cat, parts)
    fingerprint = fps[0].split(":", 1)[1] if len(fps) == 1 else hashlib.sha256(",".join(fps).encode()).hexdigest()
    return UnitYear(unit, year, tuple(ms), values, unavailable, recomputed, tuple(missing), ill, fingerprint)


def comparable_prior(figs, *, db=None, data_dir=None, reg: UnitRegistry | None = None) -> tuple[dict | None, str]:
    """The prior year's values for ``figs`` (a :class:`~danvan.indicators.figures.Figures`) when comparable.

    Like is compared with like only: a report of real figures is never compared with illustrative
    ones, and an illustrative report not with real ones (the numbers would mean nothing and, in an
    official report, an illustrative number must never appear). Stated percents recomputed over
    predecessors are left out too (a recomputed rate is not the rate the units stated).
    Returns ``(values or None, note)``; the note says why there is no comparison, or where the
    prior figures come from (the predecessors' sum).
    """
    prev = figs.year - 1
    try:
        uy = load_unit_year(figs.unit, prev, cat=figs.catalogue, db=db or None, data_dir=data_dir or None,
                            reg=reg)
    except UnknownUnitError as exc:
        return None, f"Không so sánh cùng kỳ năm {prev}: {exc}"
    except StoreMissingError:
        return None, f"Không so sánh cùng kỳ năm {prev}: chưa có kho dữ liệu."
    if not uy.has_data:
        return None, f"Không so sánh cùng kỳ: chưa có số liệu năm {prev}."
    if uy.illustrative != figs.illustrative:
        which = "minh họa" if uy.illustrative else "chính thức"
        return None, (f"Không so sánh cùng kỳ: số liệu năm {prev} là số liệu {which}, "
                      f"số liệu năm {figs.year} thì không; chỉ so sánh số liệu cùng loại.")
    values = {k: v for k, v in uy.values.items() if k not in uy.recomputed}
    note = ""
    if uy.aggregated:
        note = lineage_note(figs.unit, [m.name for m in uy.members]).replace(
            "Số liệu", f"Số liệu cùng kỳ năm {prev}", 1)
    return values, note


# ---- series over years ------------------------------------------------------------------------
@dataclass
class Series:
    """One unit's figures over consecutive years, following its lineage."""

    unit: Unit
    catalogue: Catalogue
    points: list[UnitYear]
    errors: dict[int, str] = field(default_factory=dict)  # year -> why there is no point

    def __post_init__(self):
        self._derived = {p.year: derive(self.catalogue, p.values) for p in self.points}

    @property
    def years(self) -> list[int]:
        return [p.year for p in self.points]

    def point(self, year: int) -> UnitYear | None:
        return next((p for p in self.points if p.year == year), None)

    def raw(self, code: str, year: int) -> Decimal | None:
        p = self.point(year)
        if p is None:
            return None
        return self._derived[year].get(code, p.values.get(code))

    def fig(self, code: str, year: int, html: bool = False) -> Fig:
        """The figure of ``year`` with the previous year's attached when comparable (same kind of data)."""
        prev = None
        p, q = self.point(year), self.point(year - 1)
        if p is not None and q is not None and q.has_data and p.has_data and p.illustrative == q.illustrative:
            if code not in q.recomputed and code not in p.recomputed:
                prev = self.raw(code, year - 1)
        return Fig(self.catalogue[code], self.raw(code, year), html=html, prev=prev, prev_year=year - 1)

    def aggregated_names(self) -> list[str]:
        seen: dict[tuple, Unit] = {}
        for p in self.points:
            if p.aggregated:
                for m in p.members:
                    seen[row_key(m)] = m
        return [seen[k].name for k in sorted(seen)]

    def note(self) -> str:
        """The lineage sentence, when some years are sums of predecessors ("" otherwise)."""
        names = self.aggregated_names()
        return lineage_note(self.unit, names) if names else ""

    @property
    def illustrative_years(self) -> list[int]:
        return [p.year for p in self.points if p.has_data and p.illustrative]

    @property
    def real_years(self) -> list[int]:
        return [p.year for p in self.points if p.has_data and not p.illustrative]

    def frame(self, codes=None):
        """Tidy table: one row per indicator and year (code, label, year, value, text)."""
        import pandas as pd  # heavy: only when a notebook asks for a frame

        rows = []
        for code in codes or [i.code for i in self.catalogue.indicators.values()]:
            for y in self.years:
                f = self.fig(code, y)
                rows.append({"code": code, "label": self.catalogue[code].label, "year": y,
                             "value": f.value, "text": str(f.u)})
        return pd.DataFrame(rows, columns=["code", "label", "year", "value", "text"])


def load_series(unit_code: str, year: int, first_year: int, *, db=None, data_dir=None,
                catalogue: Catalogue | None = None, catalogue_files=(), unit_files=(), profile=None) -> Series:
    """The series of the unit ``unit_code`` *as it was in* ``year``, from ``first_year`` to ``year``
    (``unit_files``: user unit files, docs/units.md), with the catalogue of its report profile in
    ``year`` (or ``profile``)."""
    year, first_year = int(year), int(first_year)
    if first_year > year:
        raise ValueError(f"first_year {first_year} is after year {year}")
    reg = load_registry(*unit_paths(unit_files))
    unit = reg.get(unit_code, year)
    cat = catalogue or catalogue_for(unit, year, registry=reg, profile=profile,
                                     catalogue_files=catalogue_paths(catalogue_files))
    store = None if data_dir else Store(db or None).require()
    points, errors = [], {}
    for y in range(first_year, year + 1):
        try:
            points.append(load_unit_year(unit, y, cat=cat, data_dir=data_dir or None, store=store, reg=reg))
        except UnknownUnitError as exc:
            errors[y] = str(exc)
    return Series(unit, cat, points, errors)
