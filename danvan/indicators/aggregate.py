"""Aggregation over units: every commune of a parent unit in one year — totals, distributions and
emulation (thi đua) rankings (the data of the city summary, :mod:`danvan.report.city`).

The parent may be any unit of that year: a province (before 2025-07-01 its communes are its
grandchildren, under its districts), a district or city, or — for a user's own units (thôn, tổ dân
phố) — a commune: :meth:`~danvan.reference.units.UnitRegistry.descendants` at
:meth:`~danvan.reference.units.UnitRegistry.reporting_level`.

Totals are computed the only correct way:

- counts and amounts (``additive``) are summed over the wards that have the figure;
- ratios (kind ``derived``) are recomputed from the summed numerators and denominators, never
  averaged; a stated percentage (kind ``percent``) is not summable: its distribution (lowest,
  median, highest) is shown and, when the catalogue names its numerator and denominator, it is
  recomputed from their sums as well;
- figures that mean the same list in every ward (``additive: false``) get a distribution only;
- wards without the figure are listed by name beside the total, never silently dropped.

Rankings use each indicator's ``better`` (``higher`` / ``lower``) from the catalogue, compare values
as the report writes them (rates rounded to their decimals) and give ties the same rank with the
next ranks skipped (competition ranking: 1, 2, 2, 4).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from ..reference.catalogue import Catalogue, Indicator, catalogue_paths
from ..reference.profiles import catalogue_for, reporting_unit
from ..reference.units import Unit, load_registry, unit_paths
from ..store import Store
from .fig import Fig, derive, shown, shown_text
from .lineage import unit_year_values

__all__ = ["UnitGroup", "Total", "RankRow", "Distribution", "competition_ranks", "rule_text", "TIE_RULE"]

TIE_RULE = ("Các đơn vị có số liệu bằng nhau (theo cách báo cáo ghi số) cùng hạng; hạng kế tiếp bỏ qua "
            "số hạng tương ứng (ví dụ 1, 2, 2, 4). Đơn vị chưa có số liệu không được xếp hạng.")


def rule_text(ind: Indicator) -> str:
    """``xếp hạng: cao hơn là tốt hơn`` / ``xếp hạng: thấp hơn là tốt hơn``."""
    return "xếp hạng: " + ("cao hơn là tốt hơn" if ind.better == "higher" else "thấp hơn là tốt hơn")


def competition_ranks(values: list[Decimal], better: str) -> list[int]:
    """Rank of each value (1 = best): 1 + how many values are strictly better (ties share a rank)."""
    sign = 1 if better == "higher" else -1
    return [1 + sum(1 for w in values if sign * (w - v) > 0) for v in values]


@dataclass
class Distribution:
    n: int
    low: Decimal | None = None
    median: Decimal | None = None
    high: Decimal | None = None
    low_units: list[Unit] = field(default_factory=list)
    high_units: list[Unit] = field(default_factory=list)


@dataclass
class Total:
    ind: Indicator
    value: Decimal | None  # city total, or recomputed ratio; None when not summable
    method: str  # how it was computed, in Vietnamese
    reporting: list[Unit]
    missing: list[Unit]
    distribution: Distribution | None = None

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        fig = Fig(self.ind, self.value)
        return str(fig.change if self.ind.signed else fig.u)


@dataclass
class RankRow:
    rank: int | None
    unit: Unit
    value: Decimal | None



class UnitGroup:
    """All reporting units of ``parent`` in ``year`` (its communes, or a commune's own units), with
    their data values."""

    def __init__(self, parent: Unit, year: int, catalogue: Catalogue, wards: list[Unit],
                 data: dict[str, dict[str, Decimal]], illustrative: dict[str, bool] | None = None):
        self.parent = parent
        self.year = int(year)
        self.catalogue = catalogue
        self.wards = list(wards)
        self.data = {k: dict(v) for k, v in data.items()}  # ward code -> data values (only wards with data)
        self.illustrative = dict(illustrative or {})
        self.derived = {k: derive(catalogue, v) for k, v in self.data.items()}

    @classmethod
    def load(cls, parent_code: str, year: int, *, db=None, data_dir=None, catalogue_files=(), unit_files=(),
             profile=None):
        """Every reporting unit of ``parent_code``, with the catalogue of the parent's report profile
        (its province's; a commune's own units: theirs; or ``profile``)."""
        reg = load_registry(*unit_paths(unit_files))
        year = int(year)
        parent = reg.get(parent_code, year)
        cat = catalogue_for(reporting_unit(parent, year, reg), year, registry=reg, profile=profile,
                            catalogue_files=catalogue_paths(catalogue_files))
        wards = reg.descendants(parent.code, year, level=reg.reporting_level(parent))
        store = None if data_dir else Store(db or None).require()
        data, ill = {}, {}
        for w in wards:
            vals, i, _fp = unit_year_values(w.code, year, cat, store, data_dir or None, reg)
            if vals is not None:
                data[w.code], ill[w.code] = vals, i
        return cls(parent, year, cat, wards, data, ill)

    # ---- data --------------------------------------------------------------------------------
    @property
    def reporting(self) -> list[Unit]:
        return [w for w in self.wards if w.code in self.data]

    @property
    def missing(self) -> list[Unit]:
        return [w for w in self.wards if w.code not in self.data]

    @property
    def any_illustrative(self) -> bool:
        return any(self.illustrative.values())

    def raw(self, code: str, ward: str) -> Decimal | None:
        if ward not in self.data:
            return None
        return self.derived[ward].get(code, self.data[ward].get(code))

    def fig(self, code: str, ward: str) -> Fig:
        return Fig(self.catalogue[code], self.raw(code, ward))

    # ---- totals ------------------------------------------------------------------------------
    def distribution(self, code: str) -> Distribution:
        ind = self.catalogue[code]
        pairs = [(w, self.raw(code, w.code)) for w in self.wards]
        pairs = [(w, v) for w, v in pairs if v is not None]
        if not pairs:
            return Distribution(0)
        vals = [shown(ind, v) for _w, v in pairs]
        lo, hi = min(vals), max(vals)
        med = Decimal(str(statistics.median(vals)))
        return Distribution(len(pairs), lo, med, hi,
                            [w for (w, _v), s in zip(pairs, vals) if s == lo],
                            [w for (w, _v), s in zip(pairs, vals) if s == hi])

    def _ratio_total(self, num: str, den: str) -> tuple[Decimal | None, list[Unit], list[Unit]]:
        have = [w for w in self.wards if self.raw(num, w.code) is not None and self.raw(den, w.code) is not None]
        missing = [w for w in self.wards if w not in have]
        n = sum((self.raw(num, w.code) for w in have), Decimal(0))
        d = sum((self.raw(den, w.code) for w in have), Decimal(0))
        return (n * 100 / d if have and d else None), have, missing

    def total(self, code: str) -> Total:
        ind = self.catalogue[code]
        cat = self.catalogue
        if ind.kind == "derived" or (ind.kind == "percent" and ind.numerator and ind.denominator):
            value, have, missing = self._ratio_total(ind.numerator, ind.denominator)
            method = (f"tính lại từ tổng “{cat[ind.numerator].label}” / tổng “{cat[ind.denominator].label}” "
                      "của các đơn vị (không lấy trung bình các tỷ lệ)")
            if ind.kind == "percent":
                method = "tỷ lệ do từng đơn vị báo cáo, không cộng được; " + method
            return Total(ind, value, method, have, missing, self.distribution(code))
        have = [w for w in self.wards if self.raw(code, w.code) is not None]
        missing = [w for w in self.wards if w not in have]
        if ind.kind == "percent":
            return Total(ind, None, "tỷ lệ do từng đơn vị báo cáo, không cộng được: xem phân bố", have, missing,
                         self.distribution(code))
        if not ind.additive:
            return Total(ind, None, "không cộng được giữa các đơn vị: xem phân bố", have, missing,
                         self.distribution(code))
        value = sum((self.raw(code, w.code) for w in have), Decimal(0)) if have else None
        return Total(ind, value, "tổng của các đơn vị", have, missing)

    def totals(self, codes=None) -> list[Total]:
        return [self.total(c) for c in (codes or list(self.catalogue.indicators))]

    # ---- rankings ----------------------------------------------------------------------------
    def ranking(self, code: str) -> list[RankRow]:
        """Every ward: ranked ones best first (ties by code), then those without data (rank None)."""
        ind = self.catalogue[code]
        if ind.better not in ("higher", "lower"):
            raise ValueError(f"{code}: the catalogue sets no 'better' (higher/lower), so it is not ranked")
        have = [(w, self.raw(code, w.code)) for w in self.wards if self.raw(code, w.code) is not None]
        ranks = competition_ranks([shown(ind, v) for _w, v in have], ind.better)
        rows = [RankRow(r, w, v) for r, (w, v) in zip(ranks, have)]
        rows.sort(key=lambda r: (r.rank, r.unit.code))
        rows += [RankRow(None, w, None) for w in self.missing_for(code)]
        return rows

    def missing_for(self, code: str) -> list[Unit]:
        return [w for w in self.wards if self.raw(code, w.code) is None]

    def key_figures(self) -> dict:
        """The totals of the key indicators as the summary writes them (None: not summable), like
        :meth:`danvan.indicators.figures.Figures.key_figures` (no prior year: the units of two
        years' summaries may differ)."""
        return {"values": {c: shown_text(self.catalogue[c], self.total(c).value) for c in self.key_codes()}}

    def key_codes(self) -> list[str]:
        return [i.code for i in self.catalogue.indicators.values() if i.key]

    def ranked_codes(self) -> list[str]:
        return [c for c in self.key_codes() if self.catalogue[c].better]

    def default_rank_by(self) -> str:
        codes = self.ranked_codes()
        rates = [c for c in codes if self.catalogue[c].is_rate]
        return (rates or codes or [""])[0]

