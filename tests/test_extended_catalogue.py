"""The user catalogue example (examples/vinh-ha-2022): base indicators the Huế profile hides, shown
again by a layer file, with values as the real published report writes them (2.941,86 ha, 6,9%),
work everywhere — catalogue, forms, import, QA, ward report, city summary — with no code change."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from _demo_store import writable_copy
from danvan.reference.catalogue import load_catalogue

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "vinh-ha-2022"
CATALOGUE = EXAMPLE / "catalogue.yaml"
DATA = EXAMPLE / "data"
UNIT, YEAR = "19906", 2022  # Xã Phú Dương (Huế demo unit); the figures are Vinh Hà's (illustrative mapping)
NEW = ["AREA_NATURAL_HA", "POP_HOUSEHOLDS", "POP_PEOPLE", "POOR_HH_PCT", "POOR_NEAR_HH_PCT"]


@pytest.fixture(scope="module")
def cat():
    return load_catalogue(CATALOGUE)


def test_catalogue_extends_the_shipped_one(cat):
    shipped = load_catalogue()
    assert not set(NEW) & set(shipped.indicators) and set(NEW) <= shipped.hidden  # defined by base, hidden by hue
    assert set(NEW) <= set(cat.indicators) and set(shipped.indicators) <= set(cat.indicators)
    assert cat["AREA_NATURAL_HA"].kind == "measure" and cat["POOR_HH_PCT"].decimals == 1
    assert cat.problems() == []
    secs = list(cat.sections)
    assert secs.index("II.6") == secs.index("II.5") + 1  # placed by `after: II.5`
    assert [s.code for s in cat.subsections("II")][-1] == "II.6"
    assert cat.template_dirs[0] == str((EXAMPLE / "templates").resolve())  # before the profile's own
    assert cat["POOR_HH_PCT"].numerator == "POOR_HOUSEHOLDS"  # a shipped indicator as numerator
    assert cat.digest != shipped.digest


def test_example_data_is_nfc_and_cites_its_source():
    import unicodedata

    for p in EXAMPLE.rglob("*"):
        if p.is_file():
            assert unicodedata.is_normalized("NFC", p.read_text(encoding="utf-8")), p
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert "07-BC/DV" in readme and "minh họa" in readme and "01_vinh-ha-xa-phu-vang-dan-van-2022.txt" in readme
    rows = list(csv.DictReader(open(DATA / UNIT / str(YEAR) / "figures.csv", encoding="utf-8")))
    assert {r["indicator"]: r["value"] for r in rows}["POP_HOUSEHOLDS"] == "2782"


def test_ward_report_text_and_qa(cat):
    from danvan.indicators.figures import load_figures
    from danvan.report.narrative import render_section
    from danvan.indicators.qa import check_figures

    figs = load_figures(UNIT, YEAR, data_dir=DATA, catalogue=cat)
    assert figs.illustrative  # real figures, illustrative unit mapping: the report carries the banner
    text = render_section(figs, "II.6")
    assert text == [
        "Diện tích đất tự nhiên là 2.941,86 ha. Dân số toàn xã: 2.782 hộ, 11.376 khẩu; địa giới hành chính được "
        "chia thành 5 thôn dân cư.",
        "Hộ nghèo: 189 hộ, tỷ lệ 6,9%. Hộ cận nghèo: 201 hộ, tỷ lệ 7,34%.",
    ]
    findings = {(f.check, f.code): f for f in check_figures(figs)}
    poor = findings[("percent", "POOR_HH_PCT")]
    assert "189 / 2.782 × 100 = 6,79%" in poor.message and "từ 2.720 đến 2.759 hộ" in poor.message
    near = findings[("percent", "POOR_NEAR_HH_PCT")]
    assert "từ 2.737 đến 2.740 hộ" in near.message
    shared = findings[("shared_base", "POP_HOUSEHOLDS")]  # both rates fit one other household count
    assert "từ 2.737 đến 2.740 hộ" in shared.message


def test_forms_and_import_pick_it_up(tmp_path, monkeypatch):
    from danvan.intake.forms import write_form
    from danvan.intake.unitdir import import_unit_dir
    from danvan.store import Store

    monkeypatch.setenv("DANVAN_CATALOGUE", str(CATALOGUE))
    form = write_form(UNIT, YEAR, tmp_path / "form.csv", fmt="csv")
    body = form.read_text(encoding="utf-8-sig")
    assert "POP_HOUSEHOLDS" in body and "POOR_HH_PCT" in body
    db = writable_copy(tmp_path)
    res = import_unit_dir(Store(db), DATA, UNIT, YEAR)
    assert res.changed >= len(NEW)
    assert Store(db).figures(UNIT, YEAR)["POP_PEOPLE"] == Decimal(11376)


def test_city_summary_shows_the_new_indicators_and_who_lacks_them(tmp_path, cat):
    from danvan.intake.unitdir import import_unit_dir
    from danvan.store import Store
    from danvan.report.city import CitySummary

    db = writable_copy(tmp_path)
    import_unit_dir(Store(db), DATA, UNIT, YEAR, cat=cat)
    city = CitySummary.load("474", YEAR, db=str(db), catalogue_files=str(CATALOGUE))
    t = city.total("POP_HOUSEHOLDS")
    assert t.value == 2782 and [w.code for w in t.reporting] == [UNIT] and len(t.missing) == 35
    assert "Xã Phú Mậu" in [w.name for w in t.missing]
    assert "POP_HOUSEHOLDS" in city.key_codes()
    assert "Số hộ dân" in city.ward_tables().text
    assert "Tỷ lệ hộ nghèo" in city.rankings_table().text
    # the stated rate is recomputed from the summed parts (here: one ward)
    assert city.total("POOR_HH_PCT").value == Decimal(189) * 100 / 2782


@pytest.mark.slow
def test_extended_catalogue_example_renders(tmp_path):
    """`danvan render --unit 19906 --year 2022 --data-dir examples/vinh-ha-2022/data
    -p catalogue=examples/vinh-ha-2022/catalogue.yaml` (through the Python API)."""
    import json

    from danvan.run.render import render

    out = render(REPO / "notebooks" / "ward_report.ipynb",
                 {"unit_code": UNIT, "year": YEAR, "data_dir": str(DATA), "catalogue": str(CATALOGUE)},
                 tmp_path / "out")
    assert out.status == "ok", out.error
    html = Path(out.files["html"]).read_text(encoding="utf-8")
    assert "6. Dân cư, hộ gia đình và giảm nghèo" in html
    assert "2.782 hộ, 11.376 khẩu" in html and "SỐ LIỆU MINH HỌA" in html
    assert "Kiểm tra số liệu" not in html  # the QA cell is for analysts only
    nb = json.loads(Path(out.files["ipynb"]).read_text(encoding="utf-8"))
    qa = next(c for c in nb["cells"] if c.get("id") == "cell-qa")
    assert "POOR_HH_PCT" in json.dumps(qa["outputs"], ensure_ascii=False)
