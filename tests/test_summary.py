"""The city view: totals equal recomputed sums (ratios from summed parts, never averaged), stated
percents as distributions, missing wards named, competition rankings with the rule stated."""

from __future__ import annotations

import statistics
from decimal import Decimal
from pathlib import Path

import pytest

from _demo_store import demo_db_path, writable_copy
from danvan.reference.catalogue import load_catalogue
from danvan.store import Store
from danvan.indicators.aggregate import TIE_RULE, competition_ranks, rule_text
from danvan.indicators.fig import shown as figure_shown
from danvan.report.city import CitySummary
from danvan.reference.units import load_registry
from danvan.core.vnformat import round_half_up

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_db():
    return str(demo_db_path())


@pytest.fixture(scope="module")
def city(demo_db):
    return CitySummary.load("474", 2023, db=demo_db)


@pytest.fixture(scope="module")
def stored(demo_db):
    store = Store(demo_db)
    return {u.code: store.figures(u.code, 2023) for u in load_registry().children("474", 2023, level="commune")}


def test_all_36_wards_and_no_one_missing(city):
    assert len(city.wards) == 36 and len(city.reporting) == 36 and city.missing == []
    assert city.any_illustrative  # demo data: the summary carries the banner
    assert "Phường Phường Đúc" in city.header().text  # named as the one with real figures


@pytest.mark.parametrize("code", ["REV_TOTAL", "SEC_REPORTS", "POOR_HOUSEHOLDS", "GIFT_TET_AMOUNT", "SEC_OFFENCES_CHANGE"])
def test_totals_are_sums(city, stored, code):
    t = city.total(code)
    assert t.value == sum(f[code] for f in stored.values())
    assert len(t.reporting) == 36 and t.missing == []


@pytest.mark.parametrize("code, num, den", [("REV_PCT_ESTIMATE", "REV_TOTAL", "REV_ESTIMATE"),
                                            ("EID_ACCOUNTS_PCT", "EID_ACCOUNTS", "EID_ELIGIBLE"),
                                            ("BUILD_PERMIT_PCT", "BUILD_PERMITTED", "BUILD_TOTAL")])
def test_ratios_come_from_summed_parts_never_averaged(city, stored, code, num, den):
    t = city.total(code)
    have = [f for f in stored.values() if f.get(num) is not None and f.get(den)]
    expected = sum(f[num] for f in have) * 100 / sum(f[den] for f in have)
    assert t.value == expected
    mean = sum(f[num] / f[den] for f in have) / len(have) * 100
    assert abs(t.value - mean) > Decimal("0.001")  # the average of rates would be a different (wrong) number
    assert "không lấy trung bình" in t.method


def test_stated_percents_are_not_summed_but_distributed(city, stored):
    cat = load_catalogue()
    t = city.total("CULT_FAMILIES_PCT")
    assert t.value is None and "không cộng được" in t.method
    vals = sorted(round_half_up(f["CULT_FAMILIES_PCT"], cat["CULT_FAMILIES_PCT"].decimals) for f in stored.values())
    d = t.distribution
    assert (d.n, d.low, d.high) == (36, vals[0], vals[-1])
    assert d.median == Decimal(str(statistics.median(vals)))
    assert all(stored[u.code]["CULT_FAMILIES_PCT"].quantize(Decimal("0.1")) == d.low for u in d.low_units)
    # non-additive counts (the same list of procedures in every ward) get no total either
    assert city.total("ADMIN_PROCEDURES").value is None


def test_missing_wards_are_listed_by_name(tmp_path):
    from danvan.intake.demo import load_demo
    from danvan.intake.unitdir import bootstrap_default_store

    store = Store(tmp_path / "some.sqlite")
    bootstrap_default_store(store)  # Phường Đúc 2023 (real)
    load_demo(store, [("19750", 2023), ("19753", 2023)])
    city = CitySummary.load("474", 2023, db=str(store.path))
    assert [w.code for w in city.reporting] == ["19750", "19753", "19780"]
    assert len(city.missing) == 33
    cov = city.coverage().text
    assert "3/36" in cov and "Phường Gia Hội" in cov and "Xã Hương Thọ" in cov
    t = city.total("REV_TOTAL")
    assert t.value == sum(store.figures(c, 2023)["REV_TOTAL"] for c in ("19750", "19753", "19780"))
    assert "Phường Gia Hội" in [w.name for w in t.missing]
    table = city.totals_table().text
    assert "3/36" in table and "Phường Gia Hội" in table
    ranking = city.ranking("REV_TOTAL")
    assert [r.rank for r in ranking][:3] == [1, 2, 3] and ranking[-1].rank is None and len(ranking) == 36
    assert "Xã Hương Thọ" in city.ranking_spec("REV_TOTAL").note


def test_competition_ranking():
    assert competition_ranks([Decimal(x) for x in (10, 20, 20, 5)], "higher") == [3, 1, 1, 4]
    assert competition_ranks([Decimal(x) for x in (10, 20, 20, 5)], "lower") == [2, 3, 3, 1]
    assert competition_ranks([Decimal(7)] * 3, "higher") == [1, 1, 1]


def test_ranking_ties_as_the_report_writes_values():
    cat = load_catalogue()
    reg = load_registry()
    wards = reg.children("474", 2023, level="commune")[:5]
    vals = ["75.071", "75.074", "80", "75.069", "60"]  # 75,07% 75,07% 80% 75,07% 60% as written (2 decimals)
    data = {w.code: {"EID_ACCOUNTS": Decimal(v), "EID_ELIGIBLE": Decimal(100)} for w, v in zip(wards, vals)}
    city = CitySummary(reg.get("474", 2023), 2023, cat, wards, data)
    rows = city.ranking("EID_ACCOUNTS_PCT")
    assert [(r.rank, r.unit.code) for r in rows[:5]] == [
        (1, wards[2].code), (2, wards[0].code), (2, wards[1].code), (2, wards[3].code), (5, wards[4].code)]
    poor = CitySummary(reg.get("474", 2023), 2023, cat, wards,
                       {w.code: {"POOR_HOUSEHOLDS": Decimal(n)} for w, n in zip(wards, (3, 1, 1, 0, 7))})
    assert [r.rank for r in poor.ranking("POOR_HOUSEHOLDS")] == [1, 2, 2, 4, 5]  # lower is better
    with pytest.raises(ValueError, match="better"):
        poor.ranking("GIFT_TET_PORTIONS")


def test_rankings_on_demo_data_are_consistent(city):
    cat = city.catalogue
    for code in city.ranked_codes():
        ind = cat[code]
        rows = [r for r in city.ranking(code) if r.rank is not None]
        shown = [figure_shown(ind, r.value) for r in rows]
        sign = 1 if ind.better == "higher" else -1
        for r, s in zip(rows, shown):
            assert r.rank == 1 + sum(1 for t in shown if sign * (t - s) > 0)
        assert all(sign * (a - b) >= 0 for a, b in zip(shown, shown[1:])), code


def test_rules_are_stated_in_vietnamese(city):
    cat = city.catalogue
    assert rule_text(cat["REV_TOTAL"]) == "xếp hạng: cao hơn là tốt hơn"
    assert rule_text(cat["POOR_HOUSEHOLDS"]) == "xếp hạng: thấp hơn là tốt hơn"
    block = city.rankings()
    assert "xếp hạng: cao hơn là tốt hơn" in block.text and "xếp hạng: thấp hơn là tốt hơn" in block.text
    assert TIE_RULE in block.text and "1, 2, 2, 4" in TIE_RULE
    assert any(b.kind == "chart" for b in block.children)


def test_charts_are_deterministic(city):
    from danvan.report.charts import render_svg

    spec = city.ranking_spec("REV_PCT_ESTIMATE")
    assert spec.categories[0].startswith("1. ")
    assert render_svg(spec) == render_svg(city.ranking_spec("REV_PCT_ESTIMATE"))
    dist = city.distribution_spec()
    assert [n for n, _v in dist.series] == ["Thấp nhất", "Trung vị", "Cao nhất"]
    assert dist.value_format == "percent"


def test_city_dependency_follows_every_ward(tmp_path):
    from danvan.run.kinds import notebook_kinds
    from danvan.store import FigureValue

    db = str(writable_copy(tmp_path))
    dep = notebook_kinds.get("city").dependency
    params = {"parent_code": "474", "year": 2023, "db": db}
    before = dep(params, None)
    assert before.illustrative
    assert dep(params, Store(db).fingerprints()).fingerprint == before.fingerprint
    Store(db).write_import(file="t", sha256="x", catalogue_version="t", catalogue_digest="t",
                           figures=[FigureValue("20032", 2023, "SEC_REPORTS", Decimal(1))])
    assert dep(params, None).fingerprint != before.fingerprint
    # another year's change does not touch the 2023 summary
    after = dep(params, None).fingerprint
    Store(db).write_import(file="t2", sha256="y", catalogue_version="t", catalogue_digest="t",
                           figures=[FigureValue("20032", 2022, "SEC_REPORTS", Decimal(1))])
    assert dep(params, None).fingerprint == after


@pytest.mark.slow
def test_city_summary_notebook_renders(tmp_path, demo_db):
    from danvan.run.render import render

    out = render(REPO / "notebooks" / "city_summary.ipynb", {"parent_code": "474", "year": 2023, "db": demo_db},
                 tmp_path / "out")
    assert out.status == "ok", out.error
    path = Path(out.files["html"])
    assert path.name == "summary.html" and path.parent.name == "474" and path.parent.parent.name == "2023"
    html = path.read_text(encoding="utf-8")
    for text in ("TỔNG HỢP CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM 2023", "Các phường, xã thuộc Thành phố Huế",
                 "Số đơn vị có số liệu năm 2023: 36/36", "xếp hạng: cao hơn là tốt hơn", "III. Xếp hạng thi đua",
                 "SỐ LIỆU MINH HỌA", "Toàn địa bàn"):
        assert text in html, text
    assert html.count("<svg") == 2
    assert "Tổng hợp công tác Dân vận Chính quyền năm 2023 – Thành phố Huế" in html  # <title>
