"""Series that follow a unit through the reorganisations (Huế: 2025-07-01 merged wards).

A unit is a *registry row* (code + validity period), not just a code: codes were reused in 2025
(19789 is Phường Phú Nhuận until 30/6/2025 and Phường Thuận Hóa from 1/7/2025). For a year in which
a unit did not yet exist, its figures are those of its predecessors, combined:

- counts and amounts are summed (only when every predecessor has the figure: a partial sum would be
  a wrong value, so it is marked unavailable instead, naming the units without it);
- derived ratios are recomputed from the summed numerator and denominator (never averaged);
- stated percentages (kind ``percent``) are not summable: recomputed from the summed
  numerator/denominator when the catalogue names them, otherwise unavailable;
- indicators marked ``additive: false`` (the same list in every unit) are unavailable.

The report says so: "Số liệu trước 01/7/2025 là tổng của các đơn vị: …".

Asking for a unit in a year in which neither it nor a predecessor existed is an
:class:`~danvan.units.UnknownUnitError` naming its successor or predecessors.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .catalogue import Catalogue, load_catalogue
from .indicators import Fig, derive
from .units import Unit, UnitRegistry, UnknownUnitError, load_registry

__all__ = [
    "members", "UnitYear", "load_unit_year", "comparable_prior", "Series", "load_series",
    "TrendReport", "lineage_note", "short_date", "catalogue_paths", "open_store",
]


# ---- small shared helpers ---------------------------------------------------------------------
def short_date(d: _dt.date) -> str:
    """``01/7/2025`` (days below 10 and months 1-2 with a leading zero, as NĐ 30/2020 writes)."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"{d.day:02d}/{month}/{d.year}"


def catalogue_paths(value) -> tuple[str, ...]:
    """The ``catalogue`` notebook parameter (paths separated by ``os.pathsep``) as a tuple."""
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(p for p in value.split(os.pathsep) if p)
    return tuple(str(p) for p in value)


def open_store(db=None):
    """The store named by ``db`` (or the default one, created with the reference data if absent)."""
    from .store import Store

    store = Store(db or None)
    if not store.exists():
        if db:
            raise FileNotFoundError(f"store {db} does not exist; create it with `danvan setup --db {db}`")
        from .intake import bootstrap_default_store

        bootstrap_default_store(store)
    return store


def _row_key(u: Unit) -> tuple:
    return (u.code, u.valid_from or _dt.date.min)


# ---- which units make up a unit in a year -----------------------------------------------------
def members(unit: Unit, year: int, reg: UnitRegistry | None = None) -> list[Unit]:
    """The registry rows whose figures for ``year`` make up ``unit``'s figures.

    ``[unit]`` when it existed in ``year``; its predecessors (recursively) when it was created
    later; an :class:`UnknownUnitError` naming the successor when it had already ended.
    """
    reg = reg or load_registry()
    if unit.valid_in(year):
        return [unit]
    if unit.valid_from and unit.valid_from > _dt.date(year, 12, 31):
        out: dict[tuple, Unit] = {}
        for p in reg.predecessors_of(unit):
            for m in members(p, year, reg):
                out[_row_key(m)] = m
        if not out:
            raise UnknownUnitError(
                f"{unit.name} (mã {unit.code}) chưa tồn tại trong năm {year} (thành lập từ "
                f"{short_date(unit.valid_from)}) và danh mục đơn vị không ghi đơn vị tiền thân."
            )
        return [out[k] for k in sorted(out)]
    succ = reg.successor_of(unit)
    hint = f"; năm {year} thuộc {succ.name} (mã {succ.code})" if succ else ""
    raise UnknownUnitError(
        f"{unit.name} (mã {unit.code}) không còn tồn tại trong năm {year} "
        f"(hiệu lực đến {short_date(unit.valid_to)}){hint}."
    )


def lineage_note(unit: Unit, names: list[str]) -> str:
    """"Số liệu trước 01/7/2025 là tổng của các đơn vị: …" (the sentence the report prints)."""
    when = f"trước {short_date(unit.valid_from)}" if unit.valid_from else "các năm trước"
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
        return [_row_key(m) for m in self.members] != [_row_key(self.unit)]

    @property
    def has_data(self) -> bool:
        return bool(self.values) and not self.missing_members


def _member_data(code: str, year: int, cat: Catalogue, store, data_dir) -> tuple[dict | None, bool, str]:
    """``(values or None when no data, illustrative, fingerprint)`` of one stored unit-year."""
    if data_dir:
        from .intake import read_unit_dir

        if not (Path(data_dir) / code / str(year)).is_dir():
            return None, False, "-"
        d = read_unit_dir(data_dir, code, year, cat)
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
    ms = members(unit, year, reg)
    if store is None and not data_dir:
        store = open_store(db)
    parts, missing, ill, fps = [], [], False, []
    for m in ms:
        vals, m_ill, fp = _member_data(m.code, year, cat, store, data_dir)
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


def comparable_prior(figs, *, db=None, data_dir=None) -> tuple[dict | None, str]:
    """The prior year's values for ``figs`` (a :class:`~danvan.indicators.Figures`) when comparable.

    Like is compared with like only: a report of real figures is never compared with illustrative
    ones, and an illustrative report not with real ones (the numbers would mean nothing and, in an
    official report, an illustrative number must never appear). Stated percents recomputed over
    predecessors are left out too (a recomputed rate is not the rate the units stated).
    Returns ``(values or None, note)``; the note says why there is no comparison, or where the
    prior figures come from (the predecessors' sum).
    """
    prev = figs.year - 1
    try:
        uy = load_unit_year(figs.unit, prev, cat=figs.catalogue, db=db or None, data_dir=data_dir or None)
    except UnknownUnitError as exc:
        return None, f"Không so sánh cùng kỳ năm {prev}: {exc}"
    except FileNotFoundError:
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
                    seen[_row_key(m)] = m
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
        import pandas as pd

        rows = []
        for code in codes or [i.code for i in self.catalogue.indicators.values()]:
            for y in self.years:
                f = self.fig(code, y)
                rows.append({"code": code, "label": self.catalogue[code].label, "year": y,
                             "value": f.value, "text": str(f.u)})
        return pd.DataFrame(rows, columns=["code", "label", "year", "value", "text"])


def load_series(unit_code: str, year: int, first_year: int, *, db=None, data_dir=None,
                catalogue: Catalogue | None = None, catalogue_files=()) -> Series:
    """The series of the unit ``unit_code`` *as it was in* ``year``, from ``first_year`` to ``year``."""
    year, first_year = int(year), int(first_year)
    if first_year > year:
        raise ValueError(f"first_year {first_year} is after year {year}")
    reg = load_registry()
    unit = reg.get(unit_code, year)
    cat = catalogue or load_catalogue(*catalogue_paths(catalogue_files))
    store = None if data_dir else open_store(db or None)
    points, errors = [], {}
    for y in range(first_year, year + 1):
        try:
            points.append(load_unit_year(unit, y, cat=cat, data_dir=data_dir or None, store=store, reg=reg))
        except UnknownUnitError as exc:
            errors[y] = str(exc)
    return Series(unit, cat, points, errors)


# ---- the trend notebook's model ---------------------------------------------------------------
TREND_CHART_LIMIT = 6


def _e(s) -> str:
    import html

    return html.escape(str(s), quote=True)


# Wide tables (many columns): smaller type and values allowed to wrap, so that the print layout
# (A4 portrait, where `td.num` never wraps) keeps every column on the page.
WIDE_TABLE_STYLE = "font-size: 10pt"
WIDE_CELL_STYLE = "white-space: normal"


def wide_table(cols, rows, cls: str, foot=None) -> str:
    """HTML of a table whose first column is a label and the others values."""
    html = [f'<table class="figures {cls}" style="{WIDE_TABLE_STYLE}"><thead><tr>'
            + "".join(f"<th>{_e(c)}</th>" for c in cols) + "</tr></thead><tbody>"]
    for r in rows:
        html.append(f"<tr><td>{_e(r[0])}</td>"
                    + "".join(f'<td class="num" style="{WIDE_CELL_STYLE}">{_e(x)}</td>' for x in r[1:]) + "</tr>")
    html.append("</tbody>")
    if foot:
        html.append("<tfoot><tr>" + f"<th>{_e(foot[0])}</th>"
                    + "".join(f'<th class="num" style="{WIDE_CELL_STYLE}">{_e(x)}</th>' for x in foot[1:])
                    + "</tr></tfoot>")
    html.append("</table>")
    return "".join(html)


def _years_text(years: list[int]) -> str:
    return ", ".join(map(str, years))


class TrendReport:
    """Blocks of ``notebooks/ward_trend.ipynb``: one unit over a range of years."""

    def __init__(self, series: Series, codes=None):
        self.series = series
        cat = series.catalogue
        self.codes = list(codes) if codes else [i.code for i in cat.indicators.values() if i.key]

    @classmethod
    def load(cls, unit_code: str, year: int, first_year: int, *, db=None, data_dir=None, catalogue_files=(),
             codes=None) -> "TrendReport":
        return cls(load_series(unit_code, year, first_year, db=db or None, data_dir=data_dir or None,
                               catalogue_files=catalogue_files), codes)

    # blocks
    def header(self):
        from .report import ILLUSTRATIVE, Block, group, summary_header

        s = self.series
        first, last = s.years[0] if s.years else "", s.years[-1] if s.years else ""
        title = "DIỄN BIẾN CÁC CHỈ TIÊU CÔNG TÁC DÂN VẬN CHÍNH QUYỀN"
        subject = f"{s.unit.name}, giai đoạn {first}–{last}"
        blocks = summary_header(title, subject)
        if s.illustrative_years:
            text = ILLUSTRATIVE
            if s.real_years:
                text += (f" Số liệu chính thức: năm {_years_text(s.real_years)}; số liệu minh họa: năm "
                         f"{_years_text(s.illustrative_years)}. Chỉ so sánh giữa các năm có số liệu cùng loại.")
            blocks.append(Block("banner", {"text": text},
                                f'<div class="banner illustrative" role="note">{_e(text)}</div>', text))
        return group(blocks)

    def lineage(self):
        """The lineage sentence, what could not be combined, and years without data."""
        from .report import Block

        s = self.series
        paras = []
        if s.note():
            paras.append(s.note())
            unavailable = sorted({c for p in s.points if p.aggregated for c in p.unavailable if c in self.codes})
            recomputed = sorted({c for p in s.points if p.aggregated for c in p.recomputed if c in self.codes})
            if recomputed:
                paras.append("Các tỷ lệ sau được tính lại từ tổng tử số và tổng mẫu số của các đơn vị: "
                             + "; ".join(s.catalogue[c].label for c in recomputed) + ".")
            if unavailable:
                paras.append("Không có số liệu tổng hợp cho các năm trước khi hợp nhất (tỷ lệ do từng đơn vị "
                             "báo cáo không cộng được, hoặc thiếu số liệu): "
                             + "; ".join(s.catalogue[c].label for c in unavailable) + ".")
        for p in s.points:
            if p.missing_members:
                paras.append(f"Năm {p.year}: chưa có số liệu của "
                             + ", ".join(m.name for m in p.missing_members) + ".")
        for y, why in sorted(s.errors.items()):
            paras.append(f"Năm {y}: {why}")
        html = "".join(f"<p>{_e(x)}</p>" for x in paras)
        return Block("paragraphs", {"paragraphs": paras, "section": "lineage"}, html, "\n\n".join(paras))

    def table(self):
        """Section I: indicators × years, values as the report writes them."""
        from .report import group

        return group([_heading("I. Số liệu các năm"), self.years_table()])

    def years_table(self):
        from .report import Block

        s = self.series
        cols = ["Chỉ tiêu"] + [str(y) + ("*" if s.point(y) and s.point(y).aggregated else "") for y in s.years]
        rows = [[s.catalogue[c].short_label] + [str(s.fig(c, y).u) for y in s.years] for c in self.codes]
        html = [wide_table(cols, rows, "trend")]
        if any(s.point(y) and s.point(y).aggregated for y in s.years):
            html.append(f'<p class="table-note">(*) {_e(s.note())}</p>')
        return Block("table", {"columns": cols, "rows": rows}, "".join(html),
                     "\n".join(" | ".join(r) for r in [cols, *rows]))

    def changes(self):
        """Section II: the change from the year before, the report's way (like with like only)."""
        from .report import group

        return group([_heading("II. Thay đổi so với năm trước"), self.changes_table()])

    def changes_table(self):
        from .report import Block

        s = self.series
        years = s.years[1:]
        cols = ["Chỉ tiêu"] + [f"{y} so với {y - 1}" for y in years]
        rows = []
        for c in self.codes:
            row = [s.catalogue[c].short_label]
            for y in years:
                f = s.fig(c, y)
                row.append(str(f.growth if s.catalogue[c].kind == "amount" else f.delta) if f.has_yoy else "—")
            rows.append(row)
        html = [wide_table(cols, rows, "trend-changes")]
        note = ("“—”: không so sánh được (thiếu số liệu một trong hai năm, hoặc một năm là số liệu chính thức "
                "còn năm kia là số liệu minh họa).")
        html.append(f'<p class="table-note">{_e(note)}</p>')
        return Block("table", {"columns": cols, "rows": rows, "note": note}, "".join(html),
                     "\n".join(" | ".join(r) for r in [cols, *rows]))

    def chart_spec(self, code: str):
        from .charts import ChartSpec

        s = self.series
        ind = s.catalogue[code]
        vals = [s.raw(code, y) for y in s.years]
        scale, unit = _chart_scale(ind, vals)
        notes = []
        if s.illustrative_years and s.real_years:
            notes.append(f"Năm {_years_text(s.real_years)}: số liệu chính thức; các năm khác: số liệu minh họa.")
        if any(p.aggregated for p in s.points):
            notes.append("Các năm trước hợp nhất: tổng của các đơn vị tiền thân.")
        return ChartSpec(
            title=_wrap(ind.label, 70),
            categories=[str(y) for y in s.years],
            series=[(ind.label, [None if v is None else float(v) / scale for v in vals])],
            unit=unit,
            horizontal=False,
            value_format="percent" if ind.is_rate else "number",
            note=" ".join(notes),
        )

    def chart(self, code: str):
        from .report import chart_block

        return chart_block(f"trend-{code}", self.chart_spec(code))

    def charts(self):
        """Section III: a chart per key indicator with data (at most TREND_CHART_LIMIT)."""
        from .report import group

        codes = [c for c in self.codes if any(self.series.raw(c, y) is not None for y in self.series.years)]
        return group([_heading("III. Biểu đồ")] + [self.chart(c) for c in codes[:TREND_CHART_LIMIT]])


def _heading(text: str, level: int = 2):
    from .report import Block

    return Block("heading", {"level": level, "text": text}, f'<h{level} class="sec">{_e(text)}</h{level}>', text)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _chart_scale(ind, vals) -> tuple[float, str]:
    """Amounts in đồng are drawn in tỷ đồng or triệu đồng so that labels stay short."""
    if ind.unit == "đồng":
        top = max((abs(float(v)) for v in vals if v is not None), default=0)
        if top >= 1e9:
            return 1e9, "tỷ đồng"
        if top >= 1e6:
            return 1e6, "triệu đồng"
    return 1.0, "" if ind.is_rate else ind.unit


# ---- render plumbing: the "trend" notebook kind ------------------------------------------------
def _fingerprint_lookup(fingerprints, store, data_dir, cat):
    def look(code: str, year: int) -> tuple[str, bool]:
        if fingerprints is not None:
            return fingerprints.get((code, year), ("-", False))
        vals, ill, fp = _member_data(code, year, cat, store, data_dir)
        return fp, ill
    return look


def _catalogue_digest(params: dict) -> str:
    from .provenance import sha256_file

    return ",".join(sha256_file(p) for p in catalogue_paths(params.get("catalogue")))


def unit_years_dependency(pairs, params: dict, fingerprints, *, label: str):
    """A :class:`danvan.render.Dependency` over several unit-years (``pairs`` of (code, year))."""
    from .render import Dependency

    data_dir = params.get("data_dir") or None
    store = None if (data_dir or fingerprints is not None) else open_store(params.get("db") or None)
    cat = load_catalogue(*catalogue_paths(params.get("catalogue")))
    look = _fingerprint_lookup(fingerprints, store, data_dir, cat)
    parts, ill = [], False
    for code, year in sorted(set(pairs)):
        fp, i = look(code, year)
        parts.append(f"{code}/{year}:{fp}")
        ill = ill or bool(i)
    parts.append("catalogue:" + _catalogue_digest(params))
    fp = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    source = "tệp" if data_dir else "kho"
    return Dependency(fp, f"{source} {label}", ill)


def _trend_pairs(params: dict) -> list[tuple[str, int]]:
    reg = load_registry()
    year, first = int(params["year"]), int(params.get("first_year") or params["year"])
    unit = reg.get(params["unit_code"], year)
    pairs = []
    for y in range(first, year + 1):
        try:
            pairs += [(m.code, y) for m in members(unit, y, reg)]
        except UnknownUnitError:
            continue
    return pairs


def _trend_dependency(params: dict, fingerprints):
    pairs = _trend_pairs(params)
    return unit_years_dependency(pairs, params, fingerprints,
                                 label=f"{params['unit_code']} {params.get('first_year')}–{params['year']}")


def _trend_data_check(full: dict) -> None:
    """Before any kernel starts: the range is sane and some year of it has data."""
    from .params import NoDataError, ParameterError

    year, first = int(full["year"]), int(full.get("first_year") or full["year"])
    if first > year:
        raise ParameterError(f"parameter first_year ({first}) must not be after year ({year})")
    if year - first > 30:
        raise ParameterError(f"first_year {first} .. year {year}: at most 30 years in one trend")
    pairs = _trend_pairs(full)
    data_dir = full.get("data_dir") or None
    if data_dir:
        have = [p for p in pairs if (Path(data_dir) / p[0] / str(p[1])).is_dir()]
    else:
        store = open_store(full.get("db") or None)
        known = set(store.unit_years())
        have = [p for p in pairs if p in known]
    if not have:
        raise NoDataError(
            f"no data for unit {full['unit_code']} (or its predecessors) in any year {first}–{year}"
        )


def prior_year_fingerprint(params: dict, fingerprints) -> str:
    """Fingerprint of the prior year a ward report compares with (its lineage members' data)."""
    try:
        reg = load_registry()
        unit = reg.get(params["unit_code"], int(params["year"]))
        pairs = [(m.code, int(params["year"]) - 1) for m in members(unit, int(params["year"]) - 1, reg)]
    except (UnknownUnitError, KeyError, ValueError):
        return "-"
    data_dir = params.get("data_dir") or None
    store = None if (data_dir or fingerprints is not None) else open_store(params.get("db") or None)
    cat = load_catalogue(*catalogue_paths(params.get("catalogue")))
    look = _fingerprint_lookup(fingerprints, store, data_dir, cat)
    return ",".join(f"{c}/{y}:{look(c, y)[0]}" for c, y in pairs)


# notebook kind -> (dependency, data check); danvan.render.load_kind registers them on first use
RENDER_KINDS = {"trend": (_trend_dependency, _trend_data_check)}
