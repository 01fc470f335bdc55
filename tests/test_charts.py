"""Charts draw every Vietnamese letter with the bundled fonts: no missing glyph, no font fallback;
each chart is one deterministic SVG with its text as text, whatever figure drew it before.

matplotlib reports a missing glyph with a warning ("Glyph 7841 (…) missing from font(s) …") and an
unknown family through the ``matplotlib.font_manager`` logger ("findfont: Font family … not found").
Both are captured while every chart is drawn (the SVG, and its PNG for Word); any such message fails.
"""

from __future__ import annotations

import logging
import unicodedata
import warnings
from pathlib import Path


from danvan.report.charts import ChartRenderer, ChartSpec, font_files, render_svg

BASES = "aăâeêioôơuưy"
TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]  # ngang huyền sắc hỏi ngã nặng
CONSONANTS = "bcdđghklmnpqrstvx"


def vietnamese_letters() -> list[str]:
    letters = {unicodedata.normalize("NFC", b + t) for b in BASES for t in TONES} | set(CONSONANTS)
    letters |= {c.upper() for c in letters}
    return sorted(letters)


def test_letter_set_is_complete_and_nfc():
    letters = vietnamese_letters()
    assert len(letters) == 2 * (len(BASES) * len(TONES) + len(CONSONANTS))  # 134 vowels + 34 consonants
    assert all(len(c) == 1 and unicodedata.is_normalized("NFC", c) for c in letters)
    assert {"ạ", "Ặ", "ẫ", "ệ", "Ờ", "ữ", "ỹ", "Đ"} <= set(letters)


def _spec(text_pool: str) -> list[ChartSpec]:
    """Specs that put Vietnamese text in every text slot (title, categories, legend, unit, note)."""
    words = text_pool.split(" ")
    cats = [" ".join(words[i:i + 6]) for i in range(0, len(words), 6)]
    return [
        ChartSpec(title="Tiêu đề " + words[0], categories=cats,
                  series=[("Chuỗi " + w, [float(i + 1) for i in range(len(cats))]) for w in words[:3]],
                  unit="đơn vị ₫ – “ngoặc” …", note="Ghi chú: " + " ".join(words[-6:])),
        ChartSpec(title="Xếp chồng", categories=cats[:4], stacked=True, horizontal=False,
                  series=[("Mức độ 1", [1, 2, None, 4]), ("Mức độ 2", [2.5, 1, 3, None])], value_format="percent"),
    ]


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def draw_everything(specs: list[ChartSpec]) -> list[str]:
    """Draw each spec as SVG and as the Word PNG; return every glyph/font complaint."""
    from danvan.export.typesetter import svg_to_png

    handler = _Capture()
    loggers = [logging.getLogger(n) for n in ("matplotlib", "matplotlib.font_manager", "matplotlib.text")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for spec in specs:
                svg_to_png(render_svg(spec), ppi=30)
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
    messages = [str(w.message) for w in caught]
    messages += [r.getMessage() for r in handler.records if r.levelno >= logging.WARNING]
    return [m for m in messages
            if "missing from" in m.lower() or "glyph" in m.lower() or "findfont" in m.lower()
            or "not found" in m.lower()]


def test_every_vietnamese_letter_draws_without_missing_glyphs():
    pool = " ".join("".join(vietnamese_letters()[i:i + 7]) for i in range(0, len(vietnamese_letters()), 7))
    pool += " Phường Đúc Thuận Hóa Thủy Biều Hương An ₫ “Dân vận khéo” – …"
    assert draw_everything(_spec(pool)) == []


def test_the_report_charts_draw_without_missing_glyphs(store):
    from danvan.report.ward import WardReport

    r = WardReport.load("19780", 2023, db=str(store.path))
    assert r.chart_names() == ["budget", "eid", "dvk", "security"]
    assert draw_everything([r.chart_spec(name) for name in r.chart_names()]) == []


def test_capture_would_catch_a_missing_glyph(caplog):
    """Positive control: a CJK character is not in Liberation Serif, and the capture sees it (and
    its PNG prints a box for it, with a warning, never another font's glyph)."""
    with caplog.at_level(logging.WARNING, logger="danvan.export.typesetter"):
        complaints = draw_everything([ChartSpec(title="漢字", categories=["a"], series=[("s", [1.0])])])
    assert complaints and any("missing" in m.lower() for m in complaints)
    assert "U+6F22" in caplog.text


def test_charts_use_the_bundled_faces():
    from matplotlib import font_manager

    from danvan.report.charts import FONT_FAMILY, register_fonts

    register_fonts()
    bundled = {str(p.resolve()) for p in font_files()}
    assert len(bundled) == 4
    for weight in ("normal", "bold"):
        found = font_manager.fontManager.findfont(
            font_manager.FontProperties(family=FONT_FAMILY, weight=weight), fallback_to_default=False)
        assert str(Path(found).resolve()) in bundled


def _specs() -> list[ChartSpec]:
    spec = _spec("Thu ngân sách năm 2023 so với dự toán giao")[0]
    return [spec, ChartSpec("Xếp chồng", ["Nhân khẩu", "Tài khoản"], stacked=True, value_format="percent",
                            series=[("Mức độ 1", [1.5, None]), ("Mức độ 2", [2, 3.25])]),
            ChartSpec("Một chuỗi", ["a", "b", "c", "d"], [("x", [1, 2, 3, None])], note="Ghi chú"),
            ChartSpec("Dọc", ["2021", "2022"], [("Tổng", [7.2, 10.3])], horizontal=False, unit="tỷ đồng")]


def test_svg_keeps_text_as_text_and_is_deterministic():
    spec = _specs()[0]
    a, b = render_svg(spec), render_svg(ChartSpec.from_json(spec.to_json()))
    assert a == b and "<text" in a and "Thu ngân sách" in a
    assert "font-family: 'Liberation Serif'" in a
    assert 'id="LiberationSerif' not in a and "<!--" not in a and not a.startswith("<?xml")  # no glyph outlines
    assert 'width="' not in a[:a.index(">")]  # scales with its box
    assert unicodedata.is_normalized("NFC", a)


def test_a_reused_figure_draws_as_a_new_one_in_any_order():
    specs = _specs()
    fresh = [ChartRenderer().svg(s) for s in specs]
    r = ChartRenderer()
    for _ in range(2):
        assert [r.svg(s) for s in specs] == fresh
        assert [r.svg(s) for s in reversed(specs)] == list(reversed(fresh))


def test_the_callers_matplotlib_settings_change_no_chart():
    """A notebook that changes rcParams (a warm worker runs many notebooks) changes no chart, and
    gets its own settings back."""
    import matplotlib

    specs = _specs()
    before = [render_svg(s) for s in specs]
    with matplotlib.rc_context({"font.size": 20, "axes.edgecolor": "red", "xtick.color": "green",
                                "svg.fonttype": "path", "axes.spines.top": True}):
        assert [render_svg(s) for s in specs] == before
        assert matplotlib.rcParams["font.size"] == 20 and matplotlib.rcParams["svg.fonttype"] == "path"


def test_ids_are_prefixed_per_chart():
    import re

    a, b = (render_svg(s) for s in _specs()[:2])
    ids_a, ids_b = (set(re.findall(r'\bid="([^"]+)"', x)) for x in (a, b))
    assert ids_a and ids_b and not ids_a & ids_b
    for svg, ids in ((a, ids_a), (b, ids_b)):
        refs = set(re.findall(r'href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
        assert refs <= ids
