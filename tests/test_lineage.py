"""Unit lineage: a merged unit's pre-merger series is the sum of its predecessors; what cannot be
summed is marked unavailable; the report says so; a unit asked for in a year it did not exist is a
clear error naming its successor or predecessors."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from _demo_store import demo_db_path, writable_copy
from danvan.reference.catalogue import load_catalogue
from danvan.core.vnformat import fmt_short_date as short_date
from danvan.indicators.lineage import load_series, members
from danvan.store import Store
from danvan.core.errors import UnknownUnitError
from danvan.reference.units import UnitRegistry, load_registry

REPO = Path(__file__).resolve().parents[1]
THUAN_HOA = "19789"  # Phường Thuận Hóa from 01/7/2025 (the code was Phường Phú Nhuận's until 30/6/2025)
PREDECESSORS = ["19780", "19783", "19786", "19789", "19795", "19798"]


@pytest.fixture(scope="module")
def demo_db():
    return str(demo_db_path())


@pytest.fixture(scope="module")
def series(demo_db):
    return load_series(THUAN_HOA, 2025, 2022, db=demo_db)


def test_members_follow_the_registry():
    reg = load_registry()
    thuan_hoa = reg.get(THUAN_HOA, 2025)
    assert thuan_hoa.name == "Phường Thuận Hóa"
    assert [m.code for m in members(thuan_hoa, 2023)] == PREDECESSORS
    assert [m.code for m in members(thuan_hoa, 2025)] == [THUAN_HOA]
    # the reused code: in 2024 the same code is Phường Phú Nhuận, a predecessor, not Thuận Hóa
    assert reg.get(THUAN_HOA, 2024).name == "Phường Phú Nhuận"
    # 2025-01-01 the six wards moved to quận Thuận Hóa (same codes, new rows): those rows merged
    preds = reg.predecessors_of(thuan_hoa)
    assert [(p.code, p.valid_from) for p in preds] == [(c, dt.date(2025, 1, 1)) for c in PREDECESSORS]
    mid = reg.successor_of(reg.get(THUAN_HOA, 2024))
    assert (mid.code, mid.name, mid.parent_code, mid.valid_from) == (THUAN_HOA, "Phường Phú Nhuận", "474",
                                                                    dt.date(2025, 1, 1))
    assert mid in preds and reg.get(mid.parent_code, 2025).name == "Quận Thuận Hóa"
    assert reg.successor_at(reg.get("19780", 2023), dt.date(2025, 7, 1)) == [thuan_hoa]
    assert thuan_hoa not in preds  # the reused code 19789 is never its own predecessor
    # the 2023 members stand for 2024 too; the 2025-01 rows only changed parent: not an aggregate
    assert [m.code for m in members(thuan_hoa, 2024)] == PREDECESSORS
    assert members(preds[0], 2024) == [reg.get("19780", 2024)]


def test_pre_merger_series_is_the_sum_of_predecessors(series, demo_db):
    store = Store(demo_db)
    cat = load_catalogue()
    assert series.unit.name == "Phường Thuận Hóa" and series.years == [2022, 2023, 2024, 2025]
    for year in (2022, 2023, 2024):
        per = [store.figures(c, year) for c in PREDECESSORS]
        point = series.point(year)
        assert point.aggregated and [m.code for m in point.members] == PREDECESSORS
        for code in ("REV_TOTAL", "SEC_REPORTS", "POOR_HOUSEHOLDS", "EID_ACCOUNTS", "GIFT_TET_AMOUNT"):
            assert series.raw(code, year) == sum(f[code] for f in per), (code, year)
        # ratios recomputed from the summed numerator and denominator, never averaged
        num, den = sum(f["REV_TOTAL"] for f in per), sum(f["REV_ESTIMATE"] for f in per)
        assert series.raw("REV_PCT_ESTIMATE", year) == num * 100 / den
        mean = sum(f["REV_TOTAL"] / f["REV_ESTIMATE"] for f in per) / len(per) * 100
        assert series.raw("REV_PCT_ESTIMATE", year) != mean
        # stated percents are not summable; the same procedure list in every ward is not either
        assert series.raw("CULT_FAMILIES_PCT", year) is None
        assert "không cộng được" in point.unavailable["CULT_FAMILIES_PCT"]
        assert series.raw("ADMIN_PROCEDURES", year) is None
        assert not cat["ADMIN_PROCEDURES"].additive
    # 2023 includes the real Phường Đúc figures and illustrative ones: the sum is illustrative
    assert series.point(2023).illustrative
    # 2025: Thuận Hóa itself, no data yet
    assert not series.point(2025).aggregated and not series.point(2025).has_data


def test_the_report_says_the_series_is_a_sum(series):
    note = series.note()
    assert note.startswith("Số liệu trước 01/7/2025 là tổng của các đơn vị: Phường Phường Đúc, Phường Vĩnh Ninh")
    assert "Phường Phú Nhuận" in note and "Phường Phước Vĩnh" in note
    from danvan.report.trend import TrendReport

    trend = TrendReport(series)
    text = trend.lineage().text
    assert note in text and "không cộng được" in text and "Năm 2025: chưa có số liệu" in text
    assert "(*)" in trend.table().html  # aggregated years are marked in the table
    assert short_date(dt.date(2025, 7, 1)) == "01/7/2025" and short_date(dt.date(2024, 2, 5)) == "05/02/2024"


def test_a_missing_predecessor_makes_the_sum_unavailable(tmp_path):
    from danvan.intake.demo import load_demo
    from danvan.intake.unitdir import bootstrap_default_store

    store = Store(tmp_path / "partial.sqlite")
    bootstrap_default_store(store)
    load_demo(store, [(c, 2024) for c in PREDECESSORS if c != "19795"])
    s = load_series(THUAN_HOA, 2025, 2024, db=str(store.path))
    p = s.point(2024)
    assert [m.code for m in p.missing_members] == ["19795"]
    assert s.raw("REV_TOTAL", 2024) is None and not p.has_data
    assert "Phường Trường An" in "".join(m.name for m in p.missing_members)


def test_unit_in_a_year_it_did_not_exist_names_successor_and_predecessors(tmp_path, monkeypatch):
    reg = load_registry()
    with pytest.raises(UnknownUnitError, match=r"năm 2026 thuộc Phường Thuận Hóa \(mã 19789\)"):
        reg.get("19780", 2026)
    with pytest.raises(UnknownUnitError, match="Phường Thuận Hóa"):
        members(reg.get("19780", 2023), 2026)
    # a new code that exists only after the merger: the error names its predecessors
    extra = tmp_path / "units.csv"
    shutil.copy(REPO / "danvan" / "reference" / "data" / "units.csv", extra)
    with open(extra, "a", encoding="utf-8") as fh:
        fh.write("99001,Phường Mới,Phường,46,commune,2025-07-01,,,test\n")
        fh.write("99002,Phường Cũ A,Phường,474,commune,,2025-06-30,99001,test\n")
        fh.write("99003,Phường Cũ B,Phường,474,commune,,2025-06-30,99001,test\n")
    reg2 = UnitRegistry.from_csv(extra)
    with pytest.raises(UnknownUnitError, match=r"Phường Cũ A \(99002\), Phường Cũ B \(99003\)"):
        reg2.get("99001", 2023)
    new = reg2.get("99001", 2025)
    assert [m.code for m in members(new, 2023, reg2)] == ["99002", "99003"]
    orphan = UnitRegistry.from_csv(extra).rows("99001")[0]
    lone = UnitRegistry([orphan], ["test"])
    with pytest.raises(UnknownUnitError, match="chưa tồn tại trong năm 2023"):
        members(orphan, 2023, lone)


def test_ward_report_of_a_merged_unit_compares_with_its_predecessors_and_says_so(tmp_path):
    """Phường Thuận Hóa 2025 (illustrative data planted here): 2024 is the predecessors' sum."""
    from danvan.intake.demo import generate
    from danvan.indicators.figures import load_figures
    from danvan.intake.unitdir import import_unit_dir, read_unit_dir, reference_root
    from danvan.report.ward import WardReport
    from danvan.store import canonical

    db = writable_copy(tmp_path)
    cat = load_catalogue()
    ref = read_unit_dir(reference_root(), "19780", 2023, cat)
    base = tmp_path / "dirs" / THUAN_HOA / "2025"
    base.mkdir(parents=True)
    figs = generate(THUAN_HOA, 2025, ref.figures, cat)
    lines = ["unit_code,year,indicator,value"] + [f"{THUAN_HOA},2025,{k},{canonical(v)}" for k, v in figs.items()]
    (base / "figures.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (base / "report.yaml").write_text("illustrative: true\n", encoding="utf-8")
    import_unit_dir(Store(db), tmp_path / "dirs", THUAN_HOA, 2025, cat=cat)

    f = load_figures(THUAN_HOA, 2025, db=str(db))
    assert f.unit.name == "Phường Thuận Hóa"
    summed = sum(Store(db).figures(c, 2024)["SEC_REPORTS"] for c in PREDECESSORS)
    assert f.prior["SEC_REPORTS"] == summed
    assert f.fig("SEC_REPORTS").prev == summed
    assert "CULT_FAMILIES_PCT" not in f.prior  # not summable: no comparison
    assert f.prior_note.startswith("Số liệu cùng kỳ năm 2024 trước 01/7/2025 là tổng của các đơn vị: Phường Phường Đúc")
    text = WardReport(f).part("II").text
    assert f.prior_note in text and "so với cùng kỳ năm 2024" in text


def test_trend_parameters_follow_lineage(demo_db):
    from danvan.core.errors import NoDataError, ParameterError
    from danvan.run.params import validate_parameters

    nb = REPO / "notebooks" / "ward_trend.ipynb"
    # 2025 itself has no data, but the predecessors' years do: valid
    validate_parameters(nb, {"unit_code": THUAN_HOA, "year": 2025, "first_year": 2021, "db": demo_db})
    with pytest.raises(ParameterError, match="first_year"):
        validate_parameters(nb, {"unit_code": "19780", "year": 2022, "first_year": 2024, "db": demo_db})
    with pytest.raises(NoDataError):
        validate_parameters(nb, {"unit_code": THUAN_HOA, "year": 2025, "first_year": 2025, "db": demo_db})


def test_trend_dependency_changes_with_a_predecessor_figure(tmp_path):
    from danvan.run.kinds import notebook_kinds
    from danvan.store import FigureValue

    db = str(writable_copy(tmp_path))
    dep = notebook_kinds.get("trend").dependency
    params = {"unit_code": THUAN_HOA, "year": 2025, "first_year": 2023, "db": db}
    before = dep(params, None)
    bulk = dep(params, Store(db).fingerprints())  # {(unit, year): (fingerprint, illustrative)}
    assert bulk.fingerprint == before.fingerprint and before.illustrative
    Store(db).write_import(file="t", sha256="x", catalogue_version="t", catalogue_digest="t",
                           figures=[FigureValue("19786", 2024, "SEC_REPORTS", Decimal(999))])
    assert dep(params, None).fingerprint != before.fingerprint
    # and a ward report depends on its prior year (YoY): a 2022 change re-renders 2023
    ward = notebook_kinds.get("ward").dependency
    w = {"unit_code": "19786", "year": 2025 - 1, "db": db}
    w_before = ward(w | {"year": 2024}, None).fingerprint
    Store(db).write_import(file="t2", sha256="y", catalogue_version="t", catalogue_digest="t",
                           figures=[FigureValue("19786", 2023, "SEC_REPORTS", Decimal(998))])
    assert ward(w | {"year": 2024}, None).fingerprint != w_before


@pytest.mark.slow
def test_trend_notebook_renders(tmp_path, demo_db):
    from danvan.run.render import render

    out = render(REPO / "notebooks" / "ward_trend.ipynb",
                 {"unit_code": THUAN_HOA, "year": 2025, "first_year": 2022, "db": demo_db}, tmp_path / "out")
    assert out.status == "ok", out.error
    html = Path(out.files["html"]).read_text(encoding="utf-8")
    assert Path(out.files["html"]).name == "trend.html" and "/2025/19789/" in out.files["html"]
    assert "Phường Thuận Hóa, giai đoạn 2022–2025" in html
    assert "Số liệu trước 01/7/2025 là tổng của các đơn vị: Phường Phường Đúc" in html
    assert "SỐ LIỆU MINH HỌA" in html and "<svg" in html
