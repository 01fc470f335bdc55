"""Report profiles: the national base, the Huế profile that reproduces the reference report, the
province profiles drawn from ../shared/reports/, user profile files; merging rules and their errors;
which profile a unit-year gets."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
import yaml

from danvan.core.errors import CatalogueError
from danvan.indicators.figures import Figures
from danvan.reference.catalogue import load_catalogue, profiles_dir
from danvan.reference.profiles import catalogue_for, profile_for
from danvan.reference.units import load_registry
from danvan.report.narrative import render_section

REPO = Path(__file__).resolve().parents[1]
FORMER = REPO / "tests" / "data" / "catalogue-danvan-core-2023.1.yaml"  # the catalogue before profiles
SHIPPED = ["base", "hue", "vinh-long", "an-giang", "khu-dan-cu"]
REFERENCE_WORDS = re.compile(r"Huế|Thừa Thiên|Phường Đúc|Nguyễn Hoàng|Dã Viên|sông Hương|kiệt", re.IGNORECASE)
KEYS = ("code", "label", "unit", "section", "kind", "decimals", "numerator", "denominator", "parts", "required",
        "better", "signed", "yoy_threshold", "additive", "key", "short", "description")
DEFAULTS = {"decimals": None, "numerator": None, "denominator": None, "parts": (), "required": False, "better": None,
            "signed": False, "yoy_threshold": None, "additive": True, "key": False, "short": "", "description": ""}


def _write(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


# ---- the Huế profile is the former catalogue ------------------------------------------------------
def test_base_plus_hue_is_the_former_catalogue_field_for_field():
    former = yaml.safe_load(FORMER.read_text(encoding="utf-8"))
    cat = load_catalogue(profile="hue")
    assert [(s["code"], s.get("part", s["code"].split(".")[0]), s["title"], s.get("narrative", False),
             s.get("free_text", False)) for s in former["sections"]] == [
        (s.code, s.part, s.title, s.narrative, s.free_text) for s in cat.sections.values()]
    want = [{k: tuple(i.get(k) or ()) if k == "parts" else i.get(k, DEFAULTS.get(k)) for k in KEYS}
            for i in former["indicators"]]
    got = [{k: getattr(i, k) for k in KEYS} for i in cat.indicators.values()]
    assert [w["code"] for w in want] == [g["code"] for g in got]  # the same 82 codes in the same order
    for w, g in zip(want, got):
        assert w == g, w["code"]
    assert sum(i.required for i in cat.indicators.values()) == 11
    assert list(cat.charts) == ["budget", "eid", "dvk", "security"]
    assert cat.accepts_version(f"{former['catalogue']}@{former['version']}")  # former forms import quietly


def test_the_huế_legal_bases_are_profile_data_and_render_as_before(store):
    """II.3 named decisions of UBND tỉnh Thừa Thiên Huế in the template; they are the profile's facts
    now, and the section renders the same text."""
    from danvan.indicators.figures import load_figures

    figs = load_figures("19780", 2023, db=str(store.path))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(REPO / "tests" / "data")), trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    former = env.get_template("former-II.3.md.j2").render(v=figs.namespace(), unit=figs.unit, year=2023,
                                                         prev_year=2022, meta={})
    paras = [re.sub(r"\s*\n\s*", " ", p).strip() for p in re.split(r"\n\s*\n", former) if p.strip()]
    assert render_section(figs, "II.3") == paras
    hue = (profiles_dir() / "templates" / "hue" / "II.3.md.j2").read_text(encoding="utf-8")
    assert "Quyết định số 31/2019" not in hue and "Thừa Thiên Huế" not in hue
    assert "Quyết định số 31/2019/QĐ-UBND" in paras[0]


# ---- the shipped profiles -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("level", ["commune", "user"])
def test_every_shipped_profile_merges(name, level):
    cat = load_catalogue(profile=name, level=level)
    assert cat.problems() == [] and cat.profile == name and cat.version.startswith("base@")
    for path in [*profiles_dir().glob("*.yaml"), *profiles_dir().rglob("*.md.j2")]:
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), path


def test_the_national_base_requires_nothing_and_names_no_place():
    base = load_catalogue(profile="base")
    assert not [i.code for i in base.indicators.values() if i.required]
    assert {"REV_TOTAL", "POOR_HOUSEHOLDS", "CULT_FAMILIES_PCT", "DVK_MODELS", "ADMIN_PROCEDURES", "CIT_PETITIONS",
            "DIALOGUES", "SEC_REPORTS", "EID_ACCOUNTS", "CONTRIB_PEOPLE_AMOUNT", "COMMEND_COLLECTIVES"} <= set(base.indicators)
    assert base["AREA_NATURAL_HA"].kind == "measure" and base["POP_HOUSEHOLDS"].unit_total
    for path in profiles_dir().rglob("*"):
        if path.is_file() and "hue" not in path.parts and path.name != "hue.yaml":
            text = path.read_text(encoding="utf-8")
            found = REFERENCE_WORDS.findall(text)
            assert not found, f"{path.relative_to(profiles_dir())}: {found}"


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("code", ["19780", "19906"])  # a phường and a xã
def test_every_template_renders_with_every_figure_and_with_none(name, code):
    cat = load_catalogue(profile=name)
    unit = load_registry().get(code, 2023)
    full = {}
    for ind in cat.data_indicators():
        full[ind.code] = Decimal("12.5") if ind.is_rate or ind.kind == "measure" else Decimal(3)
    for values in (full, {}):
        figs = Figures(unit, 2023, cat, values)
        for sec in cat.sections.values():
            if sec.narrative:
                for p in render_section(figs, sec.code):
                    assert unicodedata.is_normalized("NFC", p) and "  " not in p, p
                if not values and name != "hue":  # a base template says nothing without figures
                    assert render_section(figs, sec.code) == [], sec.code


def test_province_profiles_from_the_shared_texts():
    vl = load_catalogue(profile="vinh-long")
    assert {"DIST_TO_PROVINCE_KM", "ETHNIC_KHMER_HH_PCT", "PAGODAS", "SCHOOLS", "HEALTH_STATIONS"} <= set(vl.indicators)
    assert vl.words["village"]["xã"] == "ấp" and vl["CIT_PETITIONS"].parts == ("CIT_PETITIONS_RESOLVED",
                                                                                 "CIT_PETITIONS_PENDING")
    assert {c for c, i in vl.indicators.items() if i.required} == {"POP_HOUSEHOLDS", "POOR_HOUSEHOLDS",
                                                                    "POOR_NEAR_HOUSEHOLDS"}
    assert not any(i.required for i in load_catalogue(profile="vinh-long", level="district").indicators.values())
    ag = load_catalogue(profile="an-giang")
    assert "FUND_SPRING_TREE_AMOUNT" in ag and "social_support" in ag.charts
    kdc = load_catalogue(profile="khu-dan-cu", level="user")
    assert len(kdc.data_indicators()) == 12 and list(kdc.charts) == ["poverty"]


# ---- which profile a unit-year gets --------------------------------------------------------------------
@pytest.mark.parametrize("code,year,expected", [
    ("19780", 2023, "hue"),          # Thừa Thiên Huế (46)
    ("19789", 2026, "hue"),          # Thành phố Huế from 2025-07-01, the same code
    ("29506", 2025, "vinh-long"),    # Long Hiệp: in the Vĩnh Long of 2025-07-01 (86)...
    ("29506", 2024, "base"),         # ... but in Trà Vinh (84) until 30/6/2025: not Vĩnh Long's outline
    ("30427", 2024, "an-giang"),     # Phú Thạnh, An Giang (89)
    ("26620", 2024, "base"),         # Bà Rịa – Vũng Tàu has no profile of its own
])
def test_a_unit_gets_the_profile_of_its_province_as_of_the_report_year(code, year, expected):
    reg = load_registry()
    assert profile_for(reg.get(code, year), year, reg).name == expected


def test_the_province_lineage_carries_a_claim_past_the_reform():
    reg = load_registry()
    new_an_giang = [u for u in reg.descendants("91", 2026)]  # An Giang of 2025-07-01: An Giang 89 + Kiên Giang 91
    assert new_an_giang and profile_for(new_an_giang[0], 2026, reg).name == "an-giang"
    kien_giang = reg.descendants("91", 2024)  # Kiên Giang (91) before the reform: not An Giang's outline
    assert kien_giang and profile_for(kien_giang[0], 2024, reg).name == "base"


def test_a_unit_claim_a_parameter_and_a_users_unit(tmp_path, monkeypatch):
    mine = _write(tmp_path, """\
        profile: my-ward
        version: "1"
        extends: hue
        applies_to:
          - units: ["19783"]
        """)
    reg = load_registry()
    assert profile_for(reg.get("19783", 2023), 2023, reg).name == "hue"
    monkeypatch.setenv("DANVAN_PROFILES", str(mine))
    assert profile_for(reg.get("19783", 2023), 2023, reg).name == "my-ward"  # the unit's own beats its province
    assert profile_for(reg.get("19780", 2023), 2023, reg).name == "hue"
    assert profile_for(reg.get("19783", 2023), 2023, reg, profile="base").name == "base"  # a parameter beats all
    units = load_registry(REPO / "examples" / "units-19780.csv")
    assert profile_for(units.get("19780-01", 2023), 2023, units).name == "khu-dan-cu"  # a tổ dân phố


def test_two_equal_claims_are_an_error_naming_both(tmp_path, monkeypatch):
    a = _write(tmp_path, 'profile: a\nversion: "1"\napplies_to: [{province: "89"}]\n', "a.yaml")
    monkeypatch.setenv("DANVAN_PROFILES", str(a))
    reg = load_registry()
    with pytest.raises(CatalogueError, match=r"a, an-giang"):
        profile_for(reg.get("30427", 2024), 2024, reg)


def test_a_run_set_and_a_notebook_parameter_choose_a_profile(tmp_path, store):
    from danvan.run.render import plan
    from danvan.run.runset import RunSet, ReportSpec, expand, load_runset

    rs_file = _write(tmp_path, 'name: t\nyears: [2023]\nprofile: base\nreports:\n  - notebook: ward_report.ipynb\n'
                               '    units: ["19780"]\n', "rs.yaml")
    rs = load_runset(rs_file)
    [(_nb, params)] = expand(rs, available=set())
    assert params["profile"] == "base"
    assert expand(RunSet("t", [2023], [ReportSpec("ward_report.ipynb", ["19780"], {"profile": "hue"})], profile="base"),
                  available=set())[0][1]["profile"] == "hue"  # a report's own params win
    nb = REPO / "notebooks" / "ward_report.ipynb"
    hue = plan(nb, {"unit_code": "19780", "year": 2023, "db": str(store.path)}, tmp_path / "out")
    base = plan(nb, {"unit_code": "19780", "year": 2023, "db": str(store.path), "profile": "base"}, tmp_path / "out")
    assert hue.key != base.key and base.provenance["catalogue"].startswith("base@2025.1 ")


# ---- a user's profile file ----------------------------------------------------------------------------
def test_a_user_profile_hides_a_base_section_and_a_chart_relaxes_and_brings_templates(tmp_path, store):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "II.tcd.md.j2").write_text("Đã tiếp {{ v.DIALOGUES.u }}.", encoding="utf-8")
    mine = _write(tmp_path, """\
        profile: vinh-long-no-dvk
        version: "2025.1"
        extends: vinh-long
        templates: tpl
        hide:
          sections: ["II.dvk"]
          charts: [dvk_models]
        relax: [POOR_NEAR_HOUSEHOLDS]
        require: [DIALOGUES]
        """)
    cat = load_catalogue(profile=str(mine))
    vl = load_catalogue(profile="vinh-long")
    assert "II.dvk" in vl.sections and "II.dvk" not in cat.sections
    assert not {c for c, i in vl.indicators.items() if i.section == "II.dvk"} & set(cat.indicators)
    assert "dvk_models" in vl.charts and "dvk_models" not in cat.charts and "coverage" in cat.charts
    assert not cat["POOR_NEAR_HOUSEHOLDS"].required and cat["DIALOGUES"].required
    assert cat.template_dirs[0] == str((tmp_path / "tpl").resolve())
    figs = Figures(load_registry().get("29506", 2025), 2025, cat, {"DIALOGUES": Decimal(68)})
    assert render_section(figs, "II.tcd") == ["Đã tiếp 68 cuộc."]
    assert catalogue_for("29506", 2025, profile=str(mine)).profile == "vinh-long-no-dvk"


@pytest.mark.parametrize("text,expect", [
    ("indicators:\n  - {code: REV_TOTAL, label: x, unit: đồng, section: II.ktxh, kind: amount}\n",
     r"REV_TOTAL.*already defined in .*base\.yaml"),
    ("override:\n  REV_TOTAL: {kind: count}\n", r"override of REV_TOTAL.*cannot change"),
    ("hide:\n  indicators: [REV_TOTL]\n", r"'REV_TOTL' matches nothing"),
    ("require: [SEC_REPORTS]\nhide:\n  indicators: [SEC_REPORTS]\n", r"required indicator SEC_REPORTS is hidden"),
    ("hide:\n  indicators: [SEC_REPORTS_CRIME]\n", r"SEC_REPORTS.*refers to hidden indicator 'SEC_REPORTS_CRIME'"),
    ("hide:\n  indicators: [REV_ESTIMATE]\n", r"chart budget_estimate.*hidden indicator 'REV_ESTIMATE'"),
    ("colour: red\n", r"unknown keys \['colour'\]"),
    ("sections:\n  - {code: II.x, title: t, includes: [II.nope]}\n", r"includes unknown section 'II.nope'"),
    ("charts:\n  - {name: poverty, title: t, categories: [a], series: [{codes: [POOR_HOUSEHOLDS]}]}\n",
     r"chart 'poverty' already defined"),
    ("extends: mine\n", r"extends itself"),
    ("extends: nowhere\n", r"profile 'nowhere' not found"),
    ("notes:\n  REV_TOTAL: margin\n", r"notes.REV_TOTAL: 'margin'"),
])
def test_a_profile_that_does_not_merge_says_why(tmp_path, text, expect):
    mine = _write(tmp_path, 'profile: mine\nversion: "1"\n' + text)
    with pytest.raises(CatalogueError, match=expect):
        load_catalogue(profile=str(mine), profiles=(str(mine),))


def test_a_catalogue_layer_may_not_extend(tmp_path):
    mine = _write(tmp_path, 'profile: mine\nversion: "1"\nextends: base\n')
    with pytest.raises(CatalogueError, match="give it as --profile"):
        load_catalogue(mine)


def test_a_unit_years_own_facts_reach_the_base_templates():
    """Legal bases are text data: the province profile's `facts`, deep-merged with the unit-year's
    (report.yaml `facts:`); a base template names none of its own."""
    cat = load_catalogue(profile="base")
    unit = load_registry().get("26620", 2024)
    figs = Figures(unit, 2024, cat, {"ADMIN_PROCEDURES": Decimal(410)},
                   meta={"facts": {"legal_bases": {"cchc": ["Kế hoạch số 12/KH-UBND ngày 10/01/2024 của UBND thị trấn"]}}})
    assert render_section(figs, "II.cchc")[0].startswith(
        "Triển khai thực hiện Kế hoạch số 12/KH-UBND ngày 10/01/2024 của UBND thị trấn. Niêm yết, công khai 410 thủ tục")
    assert not render_section(Figures(unit, 2024, cat, {"ADMIN_PROCEDURES": Decimal(410)}),
                              "II.cchc")[0].startswith("Triển khai")


def test_an_unknown_profile_stops_a_render_before_any_kernel(tmp_path, store):
    from danvan.run.render import plan

    with pytest.raises(CatalogueError, match="profile 'nowhere' not found; installed profiles: an-giang, base"):
        plan(REPO / "notebooks" / "ward_report.ipynb",
             {"unit_code": "19780", "year": 2023, "db": str(store.path), "profile": "nowhere"}, tmp_path / "out")
