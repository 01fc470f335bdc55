"""The trend report (``notebooks/ward_trend.ipynb``): one unit over a range of years, following its
lineage through the reorganisations (:mod:`danvan.indicators.lineage`)."""

from __future__ import annotations

from markupsafe import Markup

from ..indicators.lineage import Series, load_series
from .blocks import (ILLUSTRATIVE, Block, banner_block, chart_block, group, heading_block, paragraphs_block,
                     summary_header, table_block, table_note, wide_table)
from .charts import ChartSpec, chart_scale, wrap

__all__ = ["TrendReport", "TREND_CHART_LIMIT"]

TREND_CHART_LIMIT = 6


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
             unit_files=(), codes=None, profile=None) -> "TrendReport":
        return cls(load_series(unit_code, year, first_year, db=db or None, data_dir=data_dir or None,
                               catalogue_files=catalogue_files, unit_files=unit_files, profile=profile or None),
                   codes)

    # blocks
    def header(self) -> Block:
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
            blocks.append(banner_block(text))
        return group(blocks)

    def lineage(self) -> Block:
        """The lineage sentence, what could not be combined, and years without data."""
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
        return paragraphs_block(paras, section="lineage")

    def table(self) -> Block:
        """Section I: indicators × years, values as the report writes them."""
        return group([heading_block("I. Số liệu các năm"), self.years_table()])

    def years_table(self) -> Block:
        s = self.series
        cols = ["Chỉ tiêu"] + [str(y) + ("*" if s.point(y) and s.point(y).aggregated else "") for y in s.years]
        rows = [[s.catalogue[c].short_label] + [str(s.fig(c, y).u) for y in s.years] for c in self.codes]
        html = wide_table(cols, rows, "trend", label="Số liệu các năm")
        note = {}
        if any(s.point(y) and s.point(y).aggregated for y in s.years):
            note = {"note": f"(*) {s.note()}"}
            html = Markup(html + table_note(note["note"]))
        return table_block(cols, rows, html, wide=True, **note)

    def changes(self) -> Block:
        """Section II: the change from the year before, the report's way (like with like only)."""
        return group([heading_block("II. Thay đổi so với năm trước"), self.changes_table()])

    def changes_table(self) -> Block:
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
        note = ("“—”: không so sánh được (thiếu số liệu một trong hai năm, hoặc một năm là số liệu chính thức "
                "còn năm kia là số liệu minh họa).")
        html = Markup(wide_table(cols, rows, "trend-changes", label="Thay đổi so với năm trước") + table_note(note))
        return table_block(cols, rows, html, wide=True, note=note)

    def chart_spec(self, code: str) -> ChartSpec:
        s = self.series
        ind = s.catalogue[code]
        vals = [s.raw(code, y) for y in s.years]
        scale, unit = chart_scale(ind, vals)
        notes = []
        if s.illustrative_years and s.real_years:
            notes.append(f"Năm {_years_text(s.real_years)}: số liệu chính thức; các năm khác: số liệu minh họa.")
        if any(p.aggregated for p in s.points):
            notes.append("Các năm trước hợp nhất: tổng của các đơn vị tiền thân.")
        return ChartSpec(
            title=wrap(ind.label, 70),
            categories=[str(y) for y in s.years],
            series=[(ind.label, [None if v is None else float(v) / scale for v in vals])],
            unit=unit,
            horizontal=False,
            value_format="percent" if ind.is_rate else "number",
            note=" ".join(notes),
        )

    def chart(self, code: str) -> Block:
        return chart_block(f"trend-{code}", self.chart_spec(code))

    def charts(self) -> Block:
        """Section III: a chart per key indicator with data (at most TREND_CHART_LIMIT)."""
        codes = [c for c in self.codes if any(self.series.raw(c, y) is not None for y in self.series.years)]
        return group([heading_block("III. Biểu đồ")] + [self.chart(c) for c in codes[:TREND_CHART_LIMIT]])
