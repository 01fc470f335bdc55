"""Levels outside Huế: summaries over every commune under any parent (a province's communes are
its grandchildren before 2025-07-01), run sets and checks over them, demo data for any parent,
series across the 2025-07-01 reform (summed when merged whole, unavailable when split), and a city
summary and a trend rendered for Tỉnh Lai Châu from generated demo data."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest

from danvan.cli.main import main
from danvan.indicators.aggregate import UnitGroup
from danvan.indicators.lineage import load_series
from danvan.intake.demo import DEMO_YEARS, demo_unit_years, generate, load_demo
from danvan.intake.unitdir import bootstrap_default_store
from danvan.reference.catalogue import load_catalogue
from danvan.reference.units import load_registry
from danvan.report.city import CitySummary, kinds_text
from danvan.run.kinds import CityKind
from danvan.run.runset import ReportSpec, RunSet, expand
from danvan.store import Store

REPO = Path(__file__).resolve().parents[1]
LAI_CHAU = "12"  # unchanged province on 2025-07-01: 106 communes in 2024, 38 from 2025-07-01
DOAN_KET = "03388"  # Phường Đoàn Kết (Lai Châu) from 2025-07-01: five units merged whole
HAI_VAN = "20194"  # Phường Hải Vân (Đà Nẵng): received part of Xã Hòa Liên (split)


@pytest.fixture(scope="module")
def lai_chau_db(tmp_path_factory) -> Path:
    """Reference data + demo data for Lai Châu 2024 and 2025 (144 unit-years)."""
    path = tmp_path_factory.mktemp("laichau") / "store.sqlite"
    store = Store(path)
    bootstrap_default_store(store)
    assert load_demo(store, demo_unit_years((2024, 2025), LAI_CHAU)) == 144
    return path


def test_demo_unit_years_for_any_parent_and_the_default_is_unchanged():
    reg = load_registry()
    assert len(demo_unit_years((2024,), LAI_CHAU)) == 106 and len(demo_unit_years((2025,), LAI_CHAU)) == 38
    assert {c for c, _y in demo_unit_years((2025,), LAI_CHAU)} == {u.code for u in reg.descendants(LAI_CHAU, 2026)}
    hue = demo_unit_years()
    assert len(hue) == 36 * len(DEMO_YEARS) - 1 and ("19780", 2023) not in hue
    assert {c for c, _ in hue} == {u.code for u in reg.children("474", 2023, level="commune")}
    # a unit-year's figures depend on its code and year only, whatever parent they were made for
    cat = load_catalogue()
    ref = {i.code: Decimal(10) for i in cat.data_indicators()}
    assert generate("03388", 2025, ref, cat) == generate("03388", 2025, ref, cat)
    assert generate("03388", 2025, ref, cat) != generate("03388", 2024, ref, cat)


def test_a_province_summary_covers_its_communes_at_any_depth(lai_chau_db):
    before = UnitGroup.load(LAI_CHAU, 2024, db=str(lai_chau_db))
    after = UnitGroup.load(LAI_CHAU, 2025, db=str(lai_chau_db))
    assert before.parent.name == after.parent.name == "Tỉnh Lai Châu"
    assert len(before.wards) == 106 and len(before.missing) == 0  # under its 8 districts
    assert {load_registry().get(w.parent_code, 2024).level for w in before.wards} == {"district"}
    assert len(after.wards) == 38 and {w.parent_code for w in after.wards} == {LAI_CHAU}
    assert after.total("REV_TOTAL").value == sum(after.raw("REV_TOTAL", w.code) for w in after.wards)
    city = CitySummary.load(LAI_CHAU, 2025, db=str(lai_chau_db))
    assert "Các phường, xã thuộc Tỉnh Lai Châu" in city.header().html
    assert kinds_text(before.wards) == "phường, xã, thị trấn"
    dep = CityKind().dependency({"parent_code": LAI_CHAU, "year": 2025, "db": str(lai_chau_db)}, None)
    assert "(38 đơn vị)" in dep.source and dep.illustrative


def test_run_sets_and_check_take_any_parent(lai_chau_db, capsys):
    rs = RunSet("lc", [2024, 2025], [ReportSpec("ward_report.ipynb", {"parent": LAI_CHAU})])
    jobs = expand(rs, available=set())
    assert [sum(p["year"] == y for _nb, p in jobs) for y in (2024, 2025)] == [106, 38]
    assert main(["check", "--parent", LAI_CHAU, "--year", "2025", "--db", str(lai_chau_db), "--json"]) in (0, 1)
    import json

    doc = json.loads(capsys.readouterr().out)
    assert len(doc) == 38 and all(d["illustrative"] for d in doc)


def test_merged_whole_sums_and_split_is_unavailable_with_the_reason(tmp_path, lai_chau_db):
    s = load_series(DOAN_KET, 2025, 2024, db=str(lai_chau_db))
    p = s.point(2024)
    assert p.aggregated and [m.code for m in p.members] == ["03386", "03388", "03389", "03391", "03403"]
    store = Store(lai_chau_db)
    assert s.raw("REV_TOTAL", 2024) == sum(store.figures(m.code, 2024)["REV_TOTAL"] for m in p.members)
    assert s.note().startswith("Số liệu trước 01/7/2025 là tổng của các đơn vị: Phường Quyết Thắng")
    # Hải Vân got part of Xã Hòa Liên: even with every predecessor's data, no 2024 point
    db = tmp_path / "dn.sqlite"
    bootstrap_default_store(Store(db))
    reg = load_registry()
    preds = reg.predecessors_of(reg.get(HAI_VAN, 2026), partial=True)
    load_demo(Store(db), [(u.code, 2024) for u in preds] + [(HAI_VAN, 2025)])
    s = load_series(HAI_VAN, 2025, 2024, db=str(db))
    assert s.years == [2025] and s.point(2024) is None
    assert "Xã Hòa Liên (mã 20296)" in s.errors[2024] and "không tính được số liệu năm 2024" in s.errors[2024]
    from danvan.report.trend import TrendReport

    assert "Xã Hòa Liên" in TrendReport(s).lineage().text


def _text(path: Path) -> str:
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<(style|svg|script)\b.*?</\1>", " ", t, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)))


@pytest.mark.slow
def test_city_summary_and_trend_of_a_province_outside_hue_from_demo_data(tmp_path, monkeypatch, capsys):
    db, out = tmp_path / "store.sqlite", tmp_path / "outputs"
    monkeypatch.setenv("DANVAN_DB", str(db))
    assert main(["setup", "--demo-parent", LAI_CHAU, "--demo-years", "2024,2025"]) == 0
    assert "(144 unit-years)" in capsys.readouterr().out
    assert main(["render", "--notebook", "city_summary.ipynb", "-p", f"parent_code={LAI_CHAU}", "-p", "year=2025",
                 "--outputs", str(out)]) == 0
    assert main(["render", "--notebook", "ward_trend.ipynb", "--unit", DOAN_KET, "--year", "2025",
                 "-p", "first_year=2024", "--outputs", str(out)]) == 0
    city = _text(out / "2025" / LAI_CHAU / "summary.html")
    assert "TỔNG HỢP CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM 2025" in city and "Các phường, xã thuộc Tỉnh Lai Châu" in city
    assert "SỐ LIỆU MINH HỌA" in city and "38/38 phường, xã" in city and "Phường Đoàn Kết" in city
    trend = _text(out / "2025" / DOAN_KET / "trend.html")
    assert "Phường Đoàn Kết, giai đoạn 2024–2025" in trend and "SỐ LIỆU MINH HỌA" in trend
    assert "Số liệu trước 01/7/2025 là tổng của các đơn vị: Phường Quyết Thắng" in trend
    s = load_series(DOAN_KET, 2025, 2024, db=str(db))
    from danvan.core.vnformat import fmt_number

    assert fmt_number(s.raw("REV_TOTAL", 2024)) in trend and fmt_number(s.raw("REV_TOTAL", 2025)) in trend
