"""The QA block of a report notebook (kind "qa"): the findings of :mod:`danvan.indicators.qa` for
analysts. The notebook shows it in a cell tagged "qa"; the official HTML/PDF/DOCX drop that cell."""

from __future__ import annotations

from ..indicators.figures import Figures
from ..indicators.qa import SEVERITY_VI, Finding
from .blocks import Block
from .html import fragment

__all__ = ["qa_block", "QA_COLUMNS", "QA_NONE"]

# the findings table's columns and the line shown without findings (as templates/html/qa.html.j2)
QA_COLUMNS = ("Mức độ", "Chỉ tiêu", "Nhận xét", "Quy tắc")
QA_NONE = "Không phát hiện sai sót."


def qa_block(findings: list[Finding], figs: Figures) -> Block:
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITY_VI}
    title = f"Kiểm tra số liệu (dành cho cán bộ tổng hợp) – {figs.unit.name}, năm {figs.year}"
    summary = ", ".join(f"{n} {SEVERITY_VI[s].lower()}" for s, n in counts.items())
    html = fragment("qa", title=title, summary=summary, findings=findings, severity_vi=SEVERITY_VI,
                    label="Các phát hiện khi kiểm tra số liệu")
    text = "\n".join([title, summary] + [f.line() for f in findings])
    return Block("qa", {"unit_code": figs.unit.code, "year": figs.year, "title": title, "summary": summary + ".",
                        "counts": counts,
                        "findings": [f.to_json() for f in findings]}, html, text)
