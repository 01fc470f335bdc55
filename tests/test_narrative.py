"""danvan.report.narrative: part II sentences regenerated from the figures (editable Jinja2 templates)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from danvan.reference.catalogue import load_catalogue
from danvan.indicators.figures import Figures
from danvan.report.narrative import render_section
from danvan.reference.units import load_registry
from danvan.core.vnformat import MISSING

REPO = Path(__file__).resolve().parents[1]
NARRATIVE = [s.code for s in load_catalogue().sections.values() if s.narrative]
MISSING_SPAN = f'<span class="missing">{MISSING}</span>'
_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?%?|(?<![\w.,/])\d+(?:,\d+)?%?")


@pytest.fixture(scope="module")
def ref_values() -> dict[str, Decimal]:
    import csv

    with open(REPO / "data" / "reference" / "19780" / "2023" / "figures.csv", encoding="utf-8") as fh:
        return {r["indicator"]: Decimal(r["value"]) for r in csv.DictReader(fh)}


def _figs(values, code="19780", year=2023, catalogue=None) -> Figures:
    return Figures(load_registry().get(code, year), year, catalogue or load_catalogue(), dict(values))


def _text(figs, section=None, html=False) -> str:
    secs = [section] if section else NARRATIVE
    return "\n".join(p for s in secs for p in render_section(figs, s, html=html))


def test_narrative_sections_exist():
    assert set(NARRATIVE) == {"II.2", "II.3", "II.5"}


def test_reference_sentences_state_the_report_figures(ref_values, seed_text):
    text = _text(_figs(ref_values))
    for figure in ["7.967.592.178 đồng", "đạt 151% so với dự toán giao (5.269.000.000 đồng)", "2.209.152.000 đồng",
                   "đạt 112%", "9/9 tổ đạt tổ văn hoá", "95,2% gia đình", "139.100.000 đồng", "387.000.000 đồng",
                   "98,75% người dân", "100% hộ dân xây dựng nhà ở có phép (17/17)", "2.300.000 đồng",
                   "12.000.000 đồng", "7.400 trường hợp/9.858 nhân khẩu", "6.748 trường hợp", "đạt 75,07%",
                   "4.592 trường hợp", "4.413 trường hợp", "đạt 46,58%", "1.109 suất quà", "3.300 người",
                   "giảm 08 vụ so với cùng kỳ năm 2022"]:
        assert figure in text, figure


def test_every_number_in_the_narrative_is_in_the_seed(ref_values, seed_text):
    """The seed is the oracle: each number the templates print is stated by the report (grouped,
    or as the raw digits the report used: 1109, 3300, 1220)."""
    text = _text(_figs(ref_values))
    seed_numbers = set(_NUMBER.findall(seed_text))
    for num in set(_NUMBER.findall(text)):
        alternatives = {num, num.replace(".", ""), num.lstrip("0") or "0"}
        assert alternatives & seed_numbers, f"{num} is not stated in the reference report"


def test_no_missing_with_full_reference_data(ref_values):
    for html in (False, True):
        text = _text(_figs(ref_values), html=html)
        assert MISSING not in text and "nan" not in text and "None" not in text


def test_changed_figures_give_a_correct_text(ref_values):
    values = dict(ref_values)
    values["REV_TOTAL"] = Decimal("4214590100")  # 80% of the estimate
    values["EID_ELIGIBLE"] = Decimal("12000")
    values["CNCD_GIFT_PORTIONS"] = Decimal("25000")
    text = _text(_figs(values), "II.2") + _text(_figs(values), "II.3")
    assert "tổng thu ngân sách năm 2023 4.214.590.100 đồng, đạt 80% so với dự toán giao" in text
    assert "7.967.592.178" not in text and "151%" not in text
    assert "7.400 trường hợp/12.000 nhân khẩu" in text
    assert "đạt 61,67%" in text and "đạt 38,27%" in text  # 7400/12000, 4592/12000 half-up
    assert "25.000 suất quà" in text


def test_other_year_and_unit_words():
    """A commune (xã) of another year: 'xã', 'thôn', and the prior year from the parameter."""
    reg = load_registry()
    xa = next(u for u in reg.children("474", 2023) if u.type == "Xã")
    figs = Figures(xa, 2024, load_catalogue(), {"REV_TOTAL": Decimal(100), "REV_ESTIMATE": Decimal(80),
                                                "SEC_OFFENCES_CHANGE": Decimal(0)})
    text = _text(figs)
    assert "UBND xã" in text and "HĐND xã" in text and "các thôn" in text
    assert "phường" not in text and "tổ dân phố" not in text
    assert "năm 2024" in text and "không thay đổi so với cùng kỳ năm 2023" in text
    assert "đạt 125% so với dự toán giao" in text


def test_missing_figures_are_visible_and_never_crash():
    figs = _figs({"REV_ESTIMATE": Decimal(5269000000)})
    text = _text(figs)
    assert MISSING in text
    assert "tổng thu ngân sách năm 2023 chưa có số liệu, đạt chưa có số liệu so với dự toán giao (5.269.000.000 đồng)" in text
    assert not re.search(r"\bnan\b", text, re.I) and "None" not in text
    html = _text(figs, html=True)
    assert MISSING_SPAN in html
    assert html.count(MISSING_SPAN) == text.count(MISSING)
    assert "nan" not in re.sub(r"<[^>]+>", "", html).lower() and "None" not in html


def test_empty_unit_year_renders_every_section():
    cat = load_catalogue()
    figs = _figs({})
    for section in cat.sections:
        for html in (False, True):
            joined = " ".join(render_section(figs, section, html=html))
            assert "None" not in joined and not re.search(r"\bnan\b", joined, re.I), section
            if cat.in_section(section):
                assert (MISSING_SPAN if html else MISSING) in joined, section


@pytest.mark.parametrize(
    "code,value,phrase",
    [
        ("POOR_HOUSEHOLDS", 0, "không còn hộ nghèo"),
        ("CIT_COMPLAINTS", 0, "Không có đơn khiếu nại."),
        ("CIT_PERIODIC_CITIZENS", 3, "với 3 {unit} công dân đến"),
        ("BUILD_TOTAL", 0, "không có hộ dân xây dựng nhà ở"),
        ("CIT_DAILY_PETITIONS", 0, "không có kiến nghị"),
    ],
)
def test_conditional_sentences(ref_values, code, value, phrase):
    values = dict(ref_values) | {code: Decimal(value)}
    if code == "BUILD_TOTAL":
        values["BUILD_PERMITTED"] = Decimal(0)
    text = _text(_figs(values))
    assert phrase.format(unit=load_catalogue()[code].unit) in text


def test_html_paragraphs_are_markup_and_escaped(tmp_path, ref_values):
    user = tmp_path / "cat.yaml"
    user.write_text(
        'sections:\n  - {code: "II.6", title: "Mục <mới> & khác", after: "II.5"}\n'
        'indicators:\n  - {code: MY_X, label: "Số hộ <b>thử</b> & kiểm", unit: "hộ", section: "II.6", kind: count}\n',
        encoding="utf-8",
    )
    cat = load_catalogue(user)
    figs = _figs(dict(ref_values) | {"MY_X": Decimal(1234)}, catalogue=cat)
    plain = render_section(figs, "II.6")
    assert plain == ["Số hộ <b>thử</b> & kiểm: 1.234 hộ."]
    html = render_section(figs, "II.6", html=True)
    assert all(hasattr(p, "__html__") for p in html)
    assert html == ["Số hộ &lt;b&gt;thử&lt;/b&gt; &amp; kiểm: 1.234 hộ."]


def test_analyst_can_override_a_template(tmp_path, monkeypatch, ref_values):
    tdir = tmp_path / "templates"
    tdir.mkdir()
    (tdir / "II.5.md.j2").write_text(
        "Năm {{ year }}, {{ unit.short }} tiếp nhận {{ v.CIT_PETITIONS.u }}.\n\nĐoạn hai.\n", encoding="utf-8")
    monkeypatch.setenv("DANVAN_TEMPLATES", str(tdir))
    figs = _figs(ref_values)
    assert render_section(figs, "II.5") == ["Năm 2023, Phường Đúc tiếp nhận 5 đơn.", "Đoạn hai."]
    assert "Đoạn hai" not in _text(figs, "II.3")  # other sections keep the shipped template


def test_template_referring_to_unknown_code_fails_clearly(tmp_path, ref_values):
    tdir = tmp_path / "t"
    tdir.mkdir()
    (tdir / "II.5.md.j2").write_text("{{ v.CIT_PETITONS }}", encoding="utf-8")
    with pytest.raises(KeyError, match="CIT_PETITIONS"):
        render_section(_figs(ref_values), "II.5", extra_dirs=(str(tdir),))
