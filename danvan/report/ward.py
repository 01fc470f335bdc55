"""The ward-year report "Công tác Dân vận Chính quyền": the blocks its notebook displays.

A report notebook stays thin::

    r = WardReport.load(unit_code, year)
    r.header()          # NĐ 30/2020 header block, title, illustrative banner when demo data
    r.part("I")         # heading + free text / sentences from figures, per catalogue section
    for name in r.chart_names():   # the charts the unit's report profile declares
        r.chart(name)
    r.end()             # Nơi nhận + signature block
"""

from __future__ import annotations

import datetime as _dt
import json

from ..core.vnformat import MISSING, fmt_date, nfc, round_half_up
from ..core.vnwords import MAX_VALUE as WORDS_MAX
from ..core.vnwords import amount_in_words
from ..indicators.fig import exact
from ..indicators.figures import Figures, load_figures
from ..indicators.qa import check_figures
from ..reference.catalogue import Chart, Section, catalogue_paths
from ..reference.units import load_registry
from .blocks import (ILLUSTRATIVE, QUOC_HIEU, TIEU_NGU, Block, banner_block, chart_block, group, heading_block,
                     markdown_html, paragraphs_block, table_block)
from .charts import ChartSpec, wrap
from .html import fragment
from .narrative import render_section
from .qa import qa_block

__all__ = ["WardReport", "report_meta", "chart_spec"]


def report_meta(figs: Figures, overrides: dict | None = None) -> dict:
    """Document metadata with defaults from the unit registry; data, then run parameters, win."""
    unit, year = figs.unit, figs.year
    parent = None
    if unit.parent_code:
        try:
            parent = (figs.registry or load_registry()).get(unit.parent_code, year)
        except LookupError:
            parent = None
    meta = {
        "parent_body": f"UBND {parent.name.upper()}" if parent else "",
        "issuing_body": f"UBND {unit.name.upper()}",
        "number": "",
        "doc_code": "BC-UBND",
        "place": unit.short,
        "date": None,
        "subject": f"Công tác Dân vận Chính quyền năm {year}",
        "signing_authority": ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
        "signer": "",
        "recipients": [f"UBND {parent.name}" if parent else "Cấp trên trực tiếp", "Lưu: VT"],
    }
    for src in (figs.meta or {}, overrides or {}):
        for k, v in src.items():
            if k in meta and v not in (None, "", []):
                meta[k] = v
    if isinstance(meta["signing_authority"], str):
        meta["signing_authority"] = [meta["signing_authority"]]
    return meta


def _date_text(meta: dict, year: int) -> str:
    d = meta.get("date")
    if d:
        if isinstance(d, str):
            d = _dt.date.fromisoformat(d)
        return fmt_date(d)
    return f"ngày …… tháng …… năm {year}"


# Charts of the ward report: declared by the report profile (danvan.reference.catalogue.Chart).
def chart_spec(figs: Figures, chart: Chart) -> ChartSpec:
    """The drawing of a profile's chart for one unit-year. With ``prior_year`` (a one-series chart),
    the comparable prior year's series comes first (``Figures.prior``: same lineage, real with real /
    illustrative with illustrative), the series then named "Năm 2022", "Năm 2023"."""
    def val(x):
        return None if x is None else float(x) / chart.scale if chart.scale != 1 else float(x)

    def series(raw) -> list:
        return [(name, [val(raw(c)) if c else None for c in codes]) for name, codes in chart.series]

    cur = series(figs.raw)
    if chart.prior_year and len(chart.series) == 1 and figs.prior is not None and any(
            figs.prior_raw(c) is not None for c in chart.codes):
        cur = [(f"Năm {figs.year - 1}", series(figs.prior_raw)[0][1]), (f"Năm {figs.year}", cur[0][1])]
    return ChartSpec(title=chart.title.replace("{year}", str(figs.year)), categories=list(chart.categories),
                     series=cur, unit=chart.unit, stacked=chart.stacked, horizontal=chart.horizontal,
                     value_format=chart.value_format)


class WardReport:
    """The ward-year report "Công tác Dân vận Chính quyền"."""

    def __init__(self, figs: Figures, meta_overrides: dict | None = None):
        self.figs = figs
        self.meta = report_meta(figs, meta_overrides)

    @classmethod
    def load(
        cls,
        unit_code: str,
        year: int,
        *,
        db: str | None = None,
        data_dir: str | None = None,
        catalogue_files=(),
        unit_files=(),
        meta: dict | None = None,
        profile: str | None = None,
    ) -> "WardReport":
        figs = load_figures(unit_code, year, db=db or None, data_dir=data_dir or None,
                            catalogue_files=catalogue_paths(catalogue_files), unit_files=unit_files,
                            profile=profile or None)
        return cls(figs, meta)

    # ---- blocks ------------------------------------------------------------------------
    def header(self) -> Block:
        m, year = self.meta, self.figs.year
        number = m["number"] or "\u2007" * 6
        place_date = f"{m['place']}, {_date_text(m, year)}"
        html = fragment("nd30_header", m=m, number=number, place_date=place_date, quoc_hieu=QUOC_HIEU,
                        tieu_ngu=TIEU_NGU)
        data = {"meta": _jsonable(m), "place_date": nfc(place_date), "key_figures": self.figs.key_figures()}
        blocks = [Block("header", data, html, m["subject"])]
        if self.figs.illustrative:
            blocks.append(banner_block(ILLUSTRATIVE))
        return group(blocks)

    def _section_title(self, sec: Section, number: int | None = None) -> str:
        """``II. Kết quả thực hiện``; a subsection numbered by its position in its part (or its
        ``number:``): ``3. Kết quả thực hiện cải cách hành chính``."""
        if sec.is_part:
            return f"{sec.code}. {sec.title}"
        if number is None:
            number = [s.code for s in self.figs.catalogue.subsections(sec.part)].index(sec.code) + 1
        return f"{sec.number or number}. {sec.title}"

    def heading(self, sec: Section, number: int | None = None) -> Block:
        return heading_block(self._section_title(sec, number), 2 if sec.is_part else 3, section=sec.code)

    def body(self, sec: Section) -> Block | None:
        figs = self.figs
        blocks: list[Block] = []
        if sec.free_text or sec.code in figs.texts:
            md = figs.texts.get(sec.code)
            if md:
                blocks.append(Block("markdown", {"markdown": md, "section": sec.code},
                                    fragment("free_text", html=markdown_html(md)), md))
            elif sec.free_text:
                blocks.append(paragraphs_block([f"({MISSING})"], cls="missing", missing=True))
        if figs.catalogue.in_section(sec.code):
            text = render_section(figs, sec.code, html=False)
            htmls = render_section(figs, sec.code, html=True)
            if text or not sec.narrative:
                blocks.append(paragraphs_block(text, html=htmls, sep="\n", section=sec.code))
        notes = [f"{ind.label}: {note}." for ind, note in figs.footnotes(sec.code)]
        if notes:  # the unit's notes the profile prints under the section
            blocks.append(paragraphs_block([f"Ghi chú: {' '.join(notes)}"], cls="notes", italic=True,
                                           section=sec.code, note="notes"))
        return group(blocks) if blocks else None

    def section(self, code: str, number: int | None = None) -> Block:
        sec = self.figs.catalogue.sections[code]
        parts = [self.heading(sec, number)]
        body = self.body(sec)
        if body is not None:
            parts.append(body)
        return group(parts)

    def part(self, part: str) -> Block:
        """A whole part (I, II, III, IV, or a user part): its heading, body, and subsections numbered
        in order. A narrative subsection with nothing to say (none of its figures given, no text) is
        left out; a part the profile does not have is an empty block."""
        cat = self.figs.catalogue
        if part not in cat.sections:
            why = f"Đề cương báo cáo ({cat.profile}) không có phần {part}."
            return Block("empty", {"reason": why}, "", why)
        blocks = [self.section(part)]
        number = 0
        for sec in cat.subsections(part):
            body = self.body(sec)
            if body is None and sec.narrative and not sec.free_text:
                continue
            number += 1
            blocks.append(group([self.heading(sec, number), *([body] if body is not None else [])]))
        note = self.figs.prior_note if self.figs.prior is not None else ""
        if note and part == "II":  # the prior year of a merged unit is its predecessors' sum: say so
            blocks.append(paragraphs_block([note], cls="lineage-note", italic=True, section="II", note="lineage"))
        return group(blocks)

    def parts(self) -> list[str]:
        return [s.code for s in self.figs.catalogue.sections.values() if s.is_part]

    def amount_line(self, code: str) -> str | None:
        """``<label> năm <year>: 7.967.592.178 đồng (Bằng chữ: Bảy tỷ … đồng).`` or None if missing."""
        fig = self.figs.fig(code)
        if fig.raw is None or fig.ind.unit != "đồng" or not exact(fig.written):
            return None  # (a bound, "hơn 4,5 tỷ", has no amount to write in words)
        n = int(round_half_up(fig.raw, 0))
        if not 0 <= n <= WORDS_MAX:
            return None
        return nfc(f"{fig.ind.label} năm {self.figs.year}: {fig.u} "
                   f"(Bằng chữ: {amount_in_words(n, fig.ind.unit)}).")

    def chart_names(self) -> list[str]:
        """The charts of the unit's report profile, in order."""
        return list(self.figs.catalogue.charts)

    def chart_spec(self, name: str) -> ChartSpec:
        return chart_spec(self.figs, self.figs.catalogue.charts[name])

    def chart(self, name: str) -> Block:
        """A chart of the profile; an empty block (nothing in the report) when none of its figures
        is given. A ``headline`` amount is repeated under it in figures and in words."""
        chart = self.figs.catalogue.charts[name]
        if all(self.figs.raw(c) is None for c in chart.codes):
            why = f"Biểu đồ «{chart.title}»: chưa có số liệu."
            return Block("empty", {"reason": why}, "", why)
        caption = self.amount_line(chart.headline) if chart.headline else None
        return chart_block(name, self.chart_spec(name), caption or "", "amount-words")

    def yoy_chart(self) -> Block:
        """Key rates this year beside the prior year's, when the prior year is comparable
        (``danvan.lineage.comparable_prior``); otherwise an empty block (nothing in the report).
        When the prior year is the sum of predecessor units, the note says so."""
        figs = self.figs
        figs_ = [figs.fig(i.code) for i in figs.catalogue.indicators.values() if i.key and i.is_rate]
        figs_ = [f for f in figs_ if f.has_yoy]
        if not figs_:
            why = figs.prior_note or f"Không có chỉ tiêu tỷ lệ nào so sánh được với năm {figs.year - 1}."
            return Block("empty", {"reason": why}, "", why)
        spec = ChartSpec(
            title=f"Một số chỉ tiêu tỷ lệ năm {figs.year} so với cùng kỳ năm {figs.year - 1}",
            categories=[wrap(f.ind.short_label, 40) for f in figs_],
            series=[(str(figs.year - 1), [float(f.prev) for f in figs_]), (str(figs.year), [f.value for f in figs_])],
            value_format="percent",
        )
        note = figs.prior_note if figs.prior is not None else ""
        return chart_block("yoy", spec, note, "yoy-note")

    def qa(self) -> Block:
        """Checks for analysts (:mod:`danvan.indicators.qa`). Shown in the notebook cell tagged "qa";
        the export drops that cell from the official HTML/PDF."""
        return qa_block(check_figures(self.figs), self.figs)

    def table(self, section: str) -> Block:
        """The figures of a section as a table (label, value with unit)."""
        df = self.figs.to_frame(section)
        rows = [[r.label, r.text] for r in df.itertuples()]
        sec = self.figs.catalogue.sections.get(section)
        label = f"Bảng số liệu – {sec.title}" if sec else "Bảng số liệu"
        return table_block(["Chỉ tiêu", "Số liệu"], rows, fragment("figures_table", rows=rows, label=label),
                           text="\n".join(f"{a}: {b}" for a, b in rows))

    def end(self) -> Block:
        m = self.meta
        recips = [str(r).strip().lstrip("-– ").rstrip(";. ") for r in m["recipients"]]
        recips = [r for r in recips if r]
        keep = [r for r in recips if r.startswith("Lưu")]  # NĐ 30: the list ends "- Lưu: VT."
        recips = [r for r in recips if not r.startswith("Lưu")] + (keep[-1:] or ["Lưu: VT"])
        lines = [f"- {r};" for r in recips[:-1]] + ([f"- {recips[-1]}."] if recips else [])
        auth = m["signing_authority"]
        signer = m["signer"] or ""
        html = fragment("nd30_end", recipients=lines, authority=auth, signer=signer)
        return Block("end", {"recipients": lines, "signing_authority": auth, "signer": signer}, html,
                     "Nơi nhận: " + " ".join(lines))


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, ensure_ascii=False, default=str))
