"""The city view: every ward of a parent unit in one year — totals, distributions and emulation
(thi đua) rankings. Used by ``notebooks/city_summary.ipynb`` (notebook kind "city").

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

import html as _html
import statistics
import textwrap
from dataclasses import dataclass, field
from decimal import Decimal

from .catalogue import Catalogue, Indicator, load_catalogue
from .indicators import Fig, derive
from .lineage import WIDE_CELL_STYLE, WIDE_TABLE_STYLE, _member_data, catalogue_paths, open_store, \
    unit_years_dependency, wide_table
from .units import Unit, load_registry
from .vnformat import round_half_up

__all__ = ["CitySummary", "Total", "RankRow", "Distribution", "competition_ranks", "rule_text", "TIE_RULE"]

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


def _short(u: Unit) -> str:
    return u.name


def _e(s) -> str:
    return _html.escape(str(s), quote=True)


def heading(text: str, level: int = 2):
    from .report import Block

    return Block("heading", {"level": level, "text": text},
                 f'<h{level} class="sec">{_e(text)}</h{level}>', text)


class CitySummary:
    """All wards (level ``commune``) of ``parent`` in ``year``."""

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
    def load(cls, parent_code: str, year: int, *, db=None, data_dir=None, catalogue_files=()) -> "CitySummary":
        reg = load_registry()
        year = int(year)
        parent = reg.get(parent_code, year)
        cat = load_catalogue(*catalogue_paths(catalogue_files))
        wards = reg.children(parent_code, year, level="commune")
        store = None if data_dir else open_store(db or None)
        data, ill = {}, {}
        for w in wards:
            vals, i, _fp = _member_data(w.code, year, cat, store, data_dir or None)
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

    def _shown(self, ind: Indicator, v: Decimal) -> Decimal:
        """The value as the report writes it (what a reader compares)."""
        if ind.is_rate:
            return round_half_up(v, ind.decimals if ind.decimals is not None else 2)
        return round_half_up(v, ind.decimals) if ind.decimals is not None else v

    # ---- totals ------------------------------------------------------------------------------
    def distribution(self, code: str) -> Distribution:
        ind = self.catalogue[code]
        pairs = [(w, self.raw(code, w.code)) for w in self.wards]
        pairs = [(w, v) for w, v in pairs if v is not None]
        if not pairs:
            return Distribution(0)
        vals = [self._shown(ind, v) for _w, v in pairs]
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
        ranks = competition_ranks([self._shown(ind, v) for _w, v in have], ind.better)
        rows = [RankRow(r, w, v) for r, (w, v) in zip(ranks, have)]
        rows.sort(key=lambda r: (r.rank, r.unit.code))
        rows += [RankRow(None, w, None) for w in self.missing_for(code)]
        return rows

    def missing_for(self, code: str) -> list[Unit]:
        return [w for w in self.wards if self.raw(code, w.code) is None]

    def key_codes(self) -> list[str]:
        return [i.code for i in self.catalogue.indicators.values() if i.key]

    def ranked_codes(self) -> list[str]:
        return [c for c in self.key_codes() if self.catalogue[c].better]

    def default_rank_by(self) -> str:
        codes = self.ranked_codes()
        rates = [c for c in codes if self.catalogue[c].is_rate]
        return (rates or codes or [""])[0]

    # ---- blocks ------------------------------------------------------------------------------
    def header(self):
        from .report import ILLUSTRATIVE, Block, group, summary_header

        title = f"TỔNG HỢP CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM {self.year}"
        subject = f"Các phường, xã thuộc {self.parent.name}"
        blocks = summary_header(title, subject)
        if self.any_illustrative:
            real = [w.name for w in self.reporting if not self.illustrative.get(w.code)]
            text = ILLUSTRATIVE
            if real:
                text += (" Số liệu chính thức: " + ", ".join(real) + "; các đơn vị khác: số liệu minh họa; "
                         "các số tổng hợp có số liệu minh họa.")
            blocks.append(Block("banner", {"text": text},
                                f'<div class="banner illustrative" role="note">{_e(text)}</div>', text))
        return group(blocks)

    def coverage(self):
        """Which wards reported (and, by name, which did not)."""
        from .report import Block

        n, total = len(self.reporting), len(self.wards)
        paras = [f"Số đơn vị có số liệu năm {self.year}: {n}/{total} phường, xã."]
        if self.missing:
            paras.append("Chưa có số liệu: " + ", ".join(_short(w) for w in self.missing)
                         + ". Các số tổng hợp dưới đây chưa gồm các đơn vị này.")
        html = "".join(f"<p>{_e(p)}</p>" for p in paras)
        return Block("paragraphs", {"paragraphs": paras, "section": "coverage",
                                    "missing": [w.code for w in self.missing]}, html, "\n".join(paras))

    def _missing_text(self, units: list[Unit]) -> str:
        if not units:
            return ""
        if len(units) == len(self.wards):
            return "tất cả các đơn vị"
        return ", ".join(_short(w) for w in units)

    def totals_section(self):
        """Section II: every indicator's city total (or distribution), how, and who is missing."""
        from .report import group

        return group([heading("II. Số liệu tổng hợp toàn địa bàn"), self.totals_table()])

    def totals_table(self, codes=None):
        """Every indicator (or ``codes``), by section: city total, how it is computed, who is missing."""
        from .report import Block

        cols = ["Chỉ tiêu", "Toàn địa bàn", "Cách tính", "Số đơn vị có số liệu", "Chưa có số liệu"]
        rows, html = [], [f'<table class="figures city-totals" style="{WIDE_TABLE_STYLE}"><thead><tr>'
                          + "".join(f"<th>{_e(c)}</th>" for c in cols) + "</tr></thead><tbody>"]
        sec = None
        for t in self.totals(codes):
            if t.ind.section != sec:
                sec = t.ind.section
                title = self.catalogue.sections[sec].title if sec in self.catalogue.sections else sec
                html.append(f'<tr class="section"><td colspan="5"><b>{_e(sec)}. {_e(title)}</b></td></tr>')
            method = t.method
            if t.distribution is not None and t.distribution.n:
                method += "; " + self._dist_text(t.ind, t.distribution)
            row = [t.ind.label, t.text, method, f"{len(t.reporting)}/{len(self.wards)}", self._missing_text(t.missing)]
            rows.append(row)
            html.append("<tr>" + f'<td>{_e(row[0])}</td><td class="num" style="{WIDE_CELL_STYLE}">{_e(row[1])}</td>'
                        + "".join(f"<td>{_e(x)}</td>" for x in row[2:]) + "</tr>")
        html.append("</tbody></table>")
        return Block("table", {"columns": cols, "rows": rows}, "".join(html),
                     "\n".join(" | ".join(r) for r in [cols, *rows]))

    def _fmt(self, ind: Indicator, v: Decimal | None) -> str:
        return str(Fig(ind, v).u) if v is not None else "—"

    def _dist_text(self, ind: Indicator, d: Distribution) -> str:
        if d.low == d.high:
            return f"như nhau ở {d.n} đơn vị có số liệu: {self._fmt(ind, d.low)}"
        lo = ", ".join(_short(w) for w in d.low_units[:3]) + (" …" if len(d.low_units) > 3 else "")
        hi = ", ".join(_short(w) for w in d.high_units[:3]) + (" …" if len(d.high_units) > 3 else "")
        return (f"thấp nhất {self._fmt(ind, d.low)} ({lo}), trung vị {self._fmt(ind, d.median)}, "
                f"cao nhất {self._fmt(ind, d.high)} ({hi})")

    def ward_table(self, codes=None):
        """Wards × indicators (short labels), as the reports write the figures; city totals below."""
        from .report import Block

        codes = codes or self.key_codes()
        cat = self.catalogue
        cols = ["Đơn vị"] + [cat[c].short_label for c in codes]
        rows = [[w.name] + [str(self.fig(c, w.code).u) for c in codes] for w in self.wards]
        foot = ["Toàn địa bàn"] + [self.total(c).text for c in codes]
        return Block("table", {"columns": cols, "rows": rows, "footer": foot, "codes": list(codes)},
                     wide_table(cols, rows, "city-wards", foot),
                     "\n".join(" | ".join(r) for r in [cols, *rows, foot]))

    def ward_tables(self):
        """Section I: the key indicators of every ward (counts and amounts, then rates)."""
        from .report import group

        codes = self.key_codes()
        cat = self.catalogue
        blocks = [heading("I. Số liệu chính của các phường, xã")]
        for part in ([c for c in codes if not cat[c].is_rate], [c for c in codes if cat[c].is_rate]):
            if part:
                blocks.append(self.ward_table(part))
        note = ("Dòng “Toàn địa bàn”: số đếm, số tiền là tổng của các đơn vị; tỷ lệ tính lại từ tổng tử số và "
                "tổng mẫu số; tỷ lệ do từng đơn vị báo cáo không cộng được (“—”, xem phân bố ở mục II).")
        blocks.append(self._para(note))
        return group(blocks)

    def _para(self, text: str):
        from .report import Block

        return Block("paragraphs", {"paragraphs": [text]}, f'<p class="table-note">{_e(text)}</p>', text)

    def rankings_table(self, codes=None):
        """Wards × ranked indicators: the rank in each, with the rule of each stated."""
        from .report import Block

        codes = codes or self.ranked_codes()
        cat = self.catalogue
        ranks = {c: {r.unit.code: r.rank for r in self.ranking(c)} for c in codes}
        cols = ["Đơn vị"] + [cat[c].short_label for c in codes]
        rows = [[w.name] + [str(ranks[c][w.code]) if ranks[c][w.code] is not None else "—" for c in codes]
                for w in self.wards]
        rules = [f"{cat[c].short_label} ({cat[c].label}): {rule_text(cat[c])}." for c in codes]
        html = ['<div class="rankings"><p>Xếp hạng thi đua theo từng chỉ tiêu; quy tắc của từng chỉ tiêu '
                "theo danh mục chỉ tiêu:</p><ul>"]
        html += [f"<li>{_e(r)}</li>" for r in rules]
        html.append(f"</ul><p>{_e(TIE_RULE)}</p>")
        html.append(wide_table(cols, rows, "city-ranks"))
        html.append("</div>")
        return Block("table", {"columns": cols, "rows": rows, "rules": rules, "tie_rule": TIE_RULE},
                     "".join(html), "\n".join([TIE_RULE, *rules] + [" | ".join(r) for r in [cols, *rows]]))

    def ranking_spec(self, code: str):
        from .charts import ChartSpec
        from .lineage import _chart_scale

        ind = self.catalogue[code]
        rows = [r for r in self.ranking(code) if r.rank is not None]
        scale, unit = _chart_scale(ind, [r.value for r in rows])
        missing = self.missing_for(code)
        note = f"Chưa có số liệu: {', '.join(_short(w) for w in missing)}." if missing else ""
        return ChartSpec(
            title="\n".join(textwrap.wrap(f"Xếp hạng: {ind.label} năm {self.year} ({rule_text(ind)})", 80)),
            categories=[f"{r.rank}. {r.unit.short}" for r in rows],
            series=[(ind.label, [float(r.value) / scale for r in rows])],
            unit=unit,
            value_format="percent" if ind.is_rate else "number",
            note="\n".join(textwrap.wrap(note, 140)),
        )

    def rankings(self, rank_by: str | None = None):
        """Section III: the ranks of every ward in each ranked key indicator, and a ranking chart."""
        from .report import group

        blocks = [heading("III. Xếp hạng thi đua"), self.rankings_table()]
        if rank_by or self.default_rank_by():
            blocks.append(self.ranking_chart(rank_by or None))
        return group(blocks)

    def distributions(self):
        """Section IV: lowest / median / highest of the key rates."""
        from .report import group

        return group([heading("IV. Phân bố các tỷ lệ giữa các đơn vị"), self.distribution_chart()])

    def ranking_chart(self, code: str | None = None):
        from .report import chart_block

        code = code or self.default_rank_by()
        return chart_block(f"ranking-{code}", self.ranking_spec(code))

    def distribution_spec(self, codes=None):
        from .charts import ChartSpec

        cat = self.catalogue
        codes = codes or [c for c in self.key_codes() if cat[c].is_rate]
        dists = [(c, self.distribution(c)) for c in codes]
        dists = [(c, d) for c, d in dists if d.n]
        f = lambda x: None if x is None else float(x)  # noqa: E731
        return ChartSpec(
            title=f"Phân bố một số tỷ lệ giữa các phường, xã năm {self.year}",
            categories=["\n".join(textwrap.wrap(cat[c].short_label, 40)) for c, _d in dists],
            series=[("Thấp nhất", [f(d.low) for _c, d in dists]),
                    ("Trung vị", [f(d.median) for _c, d in dists]),
                    ("Cao nhất", [f(d.high) for _c, d in dists])],
            value_format="percent",
            note="Tỷ lệ của từng đơn vị; không lấy trung bình các tỷ lệ làm tỷ lệ chung.",
        )

    def distribution_chart(self, codes=None):
        from .report import chart_block

        return chart_block("distribution", self.distribution_spec(codes))


# ---- render plumbing: the "city" notebook kind -------------------------------------------------
def _city_dependency(params: dict, fingerprints):
    reg = load_registry()
    year = int(params["year"])
    wards = reg.children(params["parent_code"], year, level="commune")
    return unit_years_dependency([(w.code, year) for w in wards], params, fingerprints,
                                 label=f"{params['parent_code']}/{year} ({len(wards)} đơn vị)")


# notebook kind -> (dependency, data check); danvan.render.load_kind registers them on first use
RENDER_KINDS = {"city": (_city_dependency, None)}
