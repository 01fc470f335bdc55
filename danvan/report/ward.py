"""The ward-year report "Công tác Dân vận Chính quyền": the blocks its notebook displays.

A report notebook stays thin::

    r = WardReport.load(unit_code, year)
    r.header()          # NĐ 30/2020 header block, title, illustrative banner when demo data
    r.part("I")         # heading + free text / sentences from figures, per catalogue section
    r.chart("budget")
    r.end()             # Nơi nhận + signature block
"""

from __future__ import annotations

import datetime as _dt
import json

from ..core.vnformat import MISSING, fmt_date, nfc, round_half_up
from ..core.vnwords import MAX_VALUE as WORDS_MAX
from ..core.vnwords import amount_in_words
from ..indicators.figures import Figures, load_figures
from ..indicators.qa import check_figures
from ..reference.catalogue import Section, catalogue_paths
from ..reference.units import load_registry
from .blocks import (ILLUSTRATIVE, QUOC_HIEU, TIEU_NGU, Block, banner_block, chart_block, group, heading_block,
                     markdown_html, paragraphs_block, table_block)
from .charts import ChartSpec, wrap
from .html import fragment
from .narrative import render_section
from .qa import qa_block

__all__ = ["WardReport", "report_meta", "CHARTS", "HEADLINE_AMOUNTS"]


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


# Charts of the ward report: name -> builder(figs) -> ChartSpec. Codes are catalogue codes.
def _prior_series(figs: Figures, name: str, codes: list[str], scale: float = 1.0) -> list:
    """One series of this year's figures, preceded by the prior year's when it is comparable
    (``Figures.prior``: same lineage, real with real / illustrative with illustrative)."""
    def val(x):
        return None if x is None else float(x) / scale
    cur = [val(figs.raw(c)) for c in codes]
    if figs.prior is None or all(figs.prior_raw(c) is None for c in codes):
        return [(name, cur)]
    return [(f"Năm {figs.year - 1}", [val(figs.prior_raw(c)) for c in codes]), (f"Năm {figs.year}", cur)]


def _budget(figs: Figures) -> ChartSpec:
    return ChartSpec(
        title=f"Thu ngân sách năm {figs.year} so với dự toán",
        categories=["Dự toán giao", "Tổng thu ngân sách", "Thu từ các khoản điều tiết"],
        series=_prior_series(figs, "Tỷ đồng", ["REV_ESTIMATE", "REV_TOTAL", "REV_TAX_REGULATED"], 1_000_000_000),
        unit="tỷ đồng",
    )


def _eid(figs: Figures) -> ChartSpec:
    r = lambda c: None if figs.raw(c) is None else float(figs.raw(c))  # noqa: E731
    return ChartSpec(
        title="Tài khoản định danh điện tử (người)",
        categories=["Nhân khẩu đủ điều kiện", "Đã thu nhận tài khoản", "Đã kích hoạt tài khoản"],
        series=[
            ("Tổng số", [r("EID_ELIGIBLE"), None, None]),
            ("Mức độ 1", [None, r("EID_ACCOUNTS_L1"), r("EID_ACTIVATED_L1")]),
            ("Mức độ 2", [None, r("EID_ACCOUNTS_L2"), r("EID_ACTIVATED_L2")]),
        ],
        unit="người",
        stacked=True,
    )


def _dvk(figs: Figures) -> ChartSpec:
    r = lambda c: None if figs.raw(c) is None else float(figs.raw(c))  # noqa: E731
    return ChartSpec(
        title="Đăng ký thi đua “Dân vận khéo”",
        categories=["Tổ dân phố tiêu biểu", "Tuyến đường xanh, sạch, đẹp", "Tuyến kiệt sáng, sạch, đẹp",
                    "Hàng quán tiêu biểu"],
        series=[("Số đăng ký", [r("DVK_GROUPS"), r("DVK_GREEN_STREETS"), r("DVK_ALLEYS"), r("DVK_SHOPS")])],
    )


def _petitions(figs: Figures) -> ChartSpec:
    return ChartSpec(
        title="Tin báo ban đầu về an ninh, trật tự",
        categories=["Tố giác tội phạm, kiến nghị khởi tố", "Tin về an ninh trật tự"],
        series=_prior_series(figs, "Số tin", ["SEC_REPORTS_CRIME", "SEC_REPORTS_ORDER"]),
    )


CHARTS = {"budget": _budget, "eid": _eid, "dvk": _dvk, "security": _petitions}
# The headline amount a chart shows, repeated under it in figures and in words ("Bằng chữ").
HEADLINE_AMOUNTS = {"budget": "REV_TOTAL"}


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
    ) -> "WardReport":
        figs = load_figures(unit_code, year, db=db or None, data_dir=data_dir or None,
                            catalogue_files=catalogue_paths(catalogue_files), unit_files=unit_files)
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

    def _section_title(self, sec: Section) -> str:
        if sec.is_part:
            return f"{sec.code}. {sec.title}"
        return f"{sec.code.split('.', 1)[1]}. {sec.title}"

    def heading(self, sec: Section) -> Block:
        return heading_block(self._section_title(sec), 2 if sec.is_part else 3, section=sec.code)

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
            blocks.append(paragraphs_block(text, html=htmls, sep="\n", section=sec.code))
        return group(blocks) if blocks else None

    def section(self, code: str) -> Block:
        sec = self.figs.catalogue.sections[code]
        parts = [self.heading(sec)]
        body = self.body(sec)
        if body is not None:
            parts.append(body)
        return group(parts)

    def part(self, part: str) -> Block:
        """A whole part (I, II, III, IV, or a user part): its heading, body, and subsections."""
        cat = self.figs.catalogue
        blocks = [self.section(part)]
        for sec in cat.subsections(part):
            blocks.append(self.section(sec.code))
        note = self.figs.prior_note if self.figs.prior is not None else ""
        if note and part == "II":  # the prior year of a merged unit is its predecessors' sum: say so
            blocks.append(paragraphs_block([note], cls="lineage-note", italic=True, section="II", note="lineage"))
        return group(blocks)

    def parts(self) -> list[str]:
        return [s.code for s in self.figs.catalogue.sections.values() if s.is_part]

    def amount_line(self, code: str) -> str | None:
        """``<label> năm <year>: 7.967.592.178 đồng (Bằng chữ: Bảy tỷ … đồng).`` or None if missing."""
        fig = self.figs.fig(code)
        if fig.raw is None or fig.ind.unit != "đồng":
            return None
        n = int(round_half_up(fig.raw, 0))
        if not 0 <= n <= WORDS_MAX:
            return None
        return nfc(f"{fig.ind.label} năm {self.figs.year}: {fig.u} "
                   f"(Bằng chữ: {amount_in_words(n, fig.ind.unit)}).")

    def chart(self, name: str) -> Block:
        spec = CHARTS[name](self.figs)
        caption = self.amount_line(HEADLINE_AMOUNTS[name]) if name in HEADLINE_AMOUNTS else None
        return chart_block(name, spec, caption or "", "amount-words")

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
