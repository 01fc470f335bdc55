"""The city summary (``notebooks/city_summary.ipynb``, notebook kind "city"): every commune of a
parent unit in one year (a province, a district or city; a commune for a user's own units) — key
figures, totals, emulation rankings and distributions. The numbers come from
:class:`danvan.indicators.aggregate.UnitGroup`; this module only lays them out.
"""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup

from ..indicators.aggregate import TIE_RULE, Distribution, UnitGroup, rule_text
from ..indicators.fig import Fig
from ..reference.catalogue import Indicator
from ..reference.units import Unit
from .blocks import (ILLUSTRATIVE, WIDE_CELL_STYLE, WIDE_TABLE_STYLE, Block, banner_block, chart_block, group,
                     heading_block, paragraphs_block, summary_header, table_block, wide_table)
from .charts import ChartSpec, chart_scale, wrap
from .html import fragment

__all__ = ["CitySummary", "RANKINGS_INTRO"]

RANKINGS_INTRO = "Xếp hạng thi đua theo từng chỉ tiêu; quy tắc của từng chỉ tiêu theo danh mục chỉ tiêu:"


def _names(units: list[Unit]) -> str:
    return ", ".join(u.name for u in units)


# how the summary names the units it covers, in this order ("Các phường, xã, thị trấn thuộc Tỉnh …")
_KIND_ORDER = ("phường", "xã", "thị trấn", "đặc khu")


def kinds_text(units: list[Unit]) -> str:
    """The kinds of ``units`` as a summary names them: "phường, xã", "xã, thị trấn", "tổ dân phố"."""
    present = list(dict.fromkeys(u.kind_word for u in units))
    ordered = [k for k in _KIND_ORDER if k in present] + [k for k in present if k not in _KIND_ORDER]
    return ", ".join(ordered) or "phường, xã"


class CitySummary(UnitGroup):
    """The blocks of the city summary over a :class:`~danvan.indicators.aggregate.UnitGroup`."""

    def header(self) -> Block:
        title = f"TỔNG HỢP CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM {self.year}"
        subject = f"Các {kinds_text(self.wards)} thuộc {self.parent.name}"
        blocks = summary_header(title, subject, key_figures=self.key_figures())
        if self.any_illustrative:
            real = [w.name for w in self.reporting if not self.illustrative.get(w.code)]
            text = ILLUSTRATIVE
            if real:
                text += (" Số liệu chính thức: " + ", ".join(real) + "; các đơn vị khác: số liệu minh họa; "
                         "các số tổng hợp có số liệu minh họa.")
            blocks.append(banner_block(text))
        return group(blocks)

    def coverage(self) -> Block:
        """Which wards reported (and, by name, which did not)."""
        n, total = len(self.reporting), len(self.wards)
        paras = [f"Số đơn vị có số liệu năm {self.year}: {n}/{total} {kinds_text(self.wards)}."]
        if self.missing:
            paras.append("Chưa có số liệu: " + _names(self.missing)
                         + ". Các số tổng hợp dưới đây chưa gồm các đơn vị này.")
        return paragraphs_block(paras, text_sep="\n", section="coverage", missing=[w.code for w in self.missing])

    def _missing_text(self, units: list[Unit]) -> str:
        if not units:
            return ""
        if len(units) == len(self.wards):
            return "tất cả các đơn vị"
        return _names(units)

    def totals_section(self) -> Block:
        """Section II: every indicator's city total (or distribution), how, and who is missing."""
        return group([heading_block("II. Số liệu tổng hợp toàn địa bàn"), self.totals_table()])

    def totals_table(self, codes=None) -> Block:
        """Every indicator (or ``codes``), by section: city total, how it is computed, who is missing."""
        cols = ["Chỉ tiêu", "Toàn địa bàn", "Cách tính", "Số đơn vị có số liệu", "Chưa có số liệu"]
        rows, items, sections = [], [], []
        sec = None
        for t in self.totals(codes):
            if t.ind.section != sec:
                sec = t.ind.section
                title = self.catalogue.sections[sec].title if sec in self.catalogue.sections else sec
                items.append({"section": sec, "title": title})
                sections.append({"row": len(rows), "text": f"{sec}. {title}"})  # as the HTML's section rows
            method = t.method
            if t.distribution is not None and t.distribution.n:
                method += "; " + self._dist_text(t.ind, t.distribution)
            row = [t.ind.label, t.text, method, f"{len(t.reporting)}/{len(self.wards)}", self._missing_text(t.missing)]
            rows.append(row)
            items.append({"section": None, "row": row})
        html = fragment("totals_table", columns=cols, items=items, table_style=WIDE_TABLE_STYLE,
                        cell_style=WIDE_CELL_STYLE, label="Số liệu tổng hợp toàn địa bàn")
        return table_block(cols, rows, html, value_columns=[False, True, False, False, False], wide=True,
                           sections=sections)

    def _fmt(self, ind: Indicator, v: Decimal | None) -> str:
        return str(Fig(ind, v).u) if v is not None else "—"

    def _dist_text(self, ind: Indicator, d: Distribution) -> str:
        if d.low == d.high:
            return f"như nhau ở {d.n} đơn vị có số liệu: {self._fmt(ind, d.low)}"
        lo = _names(d.low_units[:3]) + (" …" if len(d.low_units) > 3 else "")
        hi = _names(d.high_units[:3]) + (" …" if len(d.high_units) > 3 else "")
        return (f"thấp nhất {self._fmt(ind, d.low)} ({lo}), trung vị {self._fmt(ind, d.median)}, "
                f"cao nhất {self._fmt(ind, d.high)} ({hi})")

    def ward_table(self, codes=None, label: str | None = None) -> Block:
        """Wards × indicators (short labels), as the reports write the figures; city totals below."""
        codes = codes or self.key_codes()
        cat = self.catalogue
        cols = ["Đơn vị"] + [cat[c].short_label for c in codes]
        rows = [[w.name] + [str(self.fig(c, w.code).u) for c in codes] for w in self.wards]
        foot = ["Toàn địa bàn"] + [self.total(c).text for c in codes]
        label = label or f"Số liệu chính của các {kinds_text(self.wards)}"
        return table_block(cols, rows, wide_table(cols, rows, "city-wards", foot, label=label), footer=foot,
                           wide=True, codes=list(codes))

    def ward_tables(self) -> Block:
        """Section I: the key indicators of every ward (counts and amounts, then rates)."""
        codes = self.key_codes()
        cat = self.catalogue
        blocks = [heading_block(f"I. Số liệu chính của các {kinds_text(self.wards)}")]
        for part, what in (([c for c in codes if not cat[c].is_rate], "số đếm, số tiền"),
                           ([c for c in codes if cat[c].is_rate], "tỷ lệ")):
            if part:
                blocks.append(self.ward_table(part, f"Số liệu chính của các {kinds_text(self.wards)}: {what}"))
        note = ("Dòng “Toàn địa bàn”: số đếm, số tiền là tổng của các đơn vị; tỷ lệ tính lại từ tổng tử số và "
                "tổng mẫu số; tỷ lệ do từng đơn vị báo cáo không cộng được (“—”, xem phân bố ở mục II).")
        blocks.append(paragraphs_block([note], cls="table-note"))
        return group(blocks)

    def rankings_table(self, codes=None) -> Block:
        """Wards × ranked indicators: the rank in each, with the rule of each stated."""
        codes = codes or self.ranked_codes()
        cat = self.catalogue
        ranks = {c: {r.unit.code: r.rank for r in self.ranking(c)} for c in codes}
        cols = ["Đơn vị"] + [cat[c].short_label for c in codes]
        rows = [[w.name] + [str(ranks[c][w.code]) if ranks[c][w.code] is not None else "—" for c in codes]
                for w in self.wards]
        rules = [f"{cat[c].short_label} ({cat[c].label}): {rule_text(cat[c])}." for c in codes]
        table = wide_table(cols, rows, "city-ranks", label=f"Xếp hạng thi đua của các {kinds_text(self.wards)}")
        html = fragment("rankings", intro=RANKINGS_INTRO, rules=rules, tie_rule=TIE_RULE, table=Markup(table))
        return table_block(cols, rows, html, wide=True, intro=RANKINGS_INTRO, rules=rules, tie_rule=TIE_RULE,
                           text_lines=[TIE_RULE, *rules])

    def ranking_spec(self, code: str) -> ChartSpec:
        ind = self.catalogue[code]
        rows = [r for r in self.ranking(code) if r.rank is not None]
        scale, unit = chart_scale(ind, [r.value for r in rows])
        missing = self.missing_for(code)
        note = f"Chưa có số liệu: {_names(missing)}." if missing else ""
        return ChartSpec(
            title=wrap(f"Xếp hạng: {ind.label} năm {self.year} ({rule_text(ind)})", 80),
            categories=[f"{r.rank}. {r.unit.short}" for r in rows],
            series=[(ind.label, [float(r.value) / scale for r in rows])],
            unit=unit,
            value_format="percent" if ind.is_rate else "number",
            note=wrap(note, 140),
        )

    def rankings(self, rank_by: str | None = None) -> Block:
        """Section III: the ranks of every ward in each ranked key indicator, and a ranking chart."""
        blocks = [heading_block("III. Xếp hạng thi đua"), self.rankings_table()]
        if rank_by or self.default_rank_by():
            blocks.append(self.ranking_chart(rank_by or None))
        return group(blocks)

    def distributions(self) -> Block:
        """Section IV: lowest / median / highest of the key rates."""
        return group([heading_block("IV. Phân bố các tỷ lệ giữa các đơn vị"), self.distribution_chart()])

    def ranking_chart(self, code: str | None = None) -> Block:
        code = code or self.default_rank_by()
        return chart_block(f"ranking-{code}", self.ranking_spec(code))

    def distribution_spec(self, codes=None) -> ChartSpec:
        cat = self.catalogue
        codes = codes or [c for c in self.key_codes() if cat[c].is_rate]
        dists = [(c, self.distribution(c)) for c in codes]
        dists = [(c, d) for c, d in dists if d.n]
        f = lambda x: None if x is None else float(x)  # noqa: E731
        return ChartSpec(
            title=f"Phân bố một số tỷ lệ giữa các {kinds_text(self.wards)} năm {self.year}",
            categories=[wrap(cat[c].short_label, 40) for c, _d in dists],
            series=[("Thấp nhất", [f(d.low) for _c, d in dists]),
                    ("Trung vị", [f(d.median) for _c, d in dists]),
                    ("Cao nhất", [f(d.high) for _c, d in dists])],
            value_format="percent",
            note="Tỷ lệ của từng đơn vị; không lấy trung bình các tỷ lệ làm tỷ lệ chung.",
        )

    def distribution_chart(self, codes=None) -> Block:
        return chart_block("distribution", self.distribution_spec(codes))
