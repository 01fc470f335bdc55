"""danvan.reference.catalogue: integrity of the reference report's catalogue (the Huế profile on the
national base), user catalogue files (layers on a unit's profile), clear errors."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from danvan.core.errors import CatalogueError
from danvan.reference.catalogue import KINDS, Catalogue, load_catalogue

USER_YAML = """\
catalogue: my-ward
version: "1"
sections:
  - code: "II.6"
    title: "Công tác dân vận trong xây dựng nông thôn mới"
    after: "II.5"
  - code: "V"
    title: "Kiến nghị, đề xuất"
    free_text: true
    after: "IV"
indicators:
  - code: MY_MEETINGS
    label: "Số cuộc đối thoại với Nhân dân"
    unit: "cuộc"
    section: "II.6"
    kind: count
  - code: MY_MEETINGS_ONLINE
    label: "Số cuộc đối thoại trực tuyến"
    unit: "cuộc"
    section: "II.6"
    kind: count
  - code: MY_ONLINE_PCT
    label: "Tỷ lệ đối thoại trực tuyến"
    unit: "%"
    section: "II.6"
    kind: derived
    numerator: MY_MEETINGS_ONLINE
    denominator: MY_MEETINGS
    decimals: 1
"""


def _write(tmp_path: Path, text: str, name: str = "user.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


# ---- shipped catalogue -------------------------------------------------------------------------
def test_shipped_catalogue_has_no_problems(cat):
    assert cat.problems() == []
    assert cat.version == "base@2025.1+hue@2023.1" and cat.profile == "hue"
    assert cat.accepts_version("danvan-core@2023.1")  # forms made before profiles import without warning
    assert len(cat.digest) == 64


def test_every_kind_is_known_and_codes_are_ascii(cat):
    for ind in cat.indicators.values():
        assert ind.kind in KINDS, ind.code
        assert ind.code.isascii() and ind.code == ind.code.upper(), ind.code
        assert ind.label and ind.unit and ind.section in cat.sections, ind.code


def test_every_derived_has_numerator_and_denominator(cat):
    derived = [i for i in cat.indicators.values() if i.is_derived]
    assert len(derived) >= 4  # 151%, 100%, 75,07%, 46,58%
    for ind in derived:
        assert ind.numerator in cat and ind.denominator in cat, ind.code
        assert not cat[ind.numerator].is_derived and not cat[ind.denominator].is_derived, ind.code
        assert ind.unit == "%" and isinstance(ind.decimals, int), ind.code


def test_parts_reference_existing_codes(cat):
    with_parts = [i for i in cat.indicators.values() if i.parts]
    assert {"SEC_REPORTS", "EID_ACCOUNTS", "EID_ACTIVATED"} <= {i.code for i in with_parts}
    for ind in with_parts:
        assert len(ind.parts) >= 2, ind.code
        for p in ind.parts:
            assert p in cat, f"{ind.code}: part {p} unknown"
            assert not cat[p].is_derived and cat[p].unit == ind.unit, f"{ind.code}: part {p}"


def test_relations_stated_by_the_report(cat):
    assert (cat["REV_PCT_ESTIMATE"].numerator, cat["REV_PCT_ESTIMATE"].denominator) == ("REV_TOTAL", "REV_ESTIMATE")
    assert (cat["EID_ACCOUNTS_PCT"].numerator, cat["EID_ACCOUNTS_PCT"].denominator) == ("EID_ACCOUNTS", "EID_ELIGIBLE")
    assert cat["EID_ACCOUNTS"].parts == ("EID_ACCOUNTS_L1", "EID_ACCOUNTS_L2")
    assert cat["SEC_REPORTS"].parts == ("SEC_REPORTS_CRIME", "SEC_REPORTS_ORDER")


def test_sections_in_report_order_and_parts_exist(cat):
    codes = list(cat.sections)
    assert codes[:3] == ["I", "II", "II.1"] and codes[-2:] == ["III", "IV"]
    for sec in cat.sections.values():
        assert sec.part in cat.sections
    assert [s.code for s in cat.subsections("II")] == ["II.1", "II.2", "II.3", "II.4", "II.5"]


def test_problems_detects_inconsistency(cat):
    c = Catalogue(sections=dict(cat.sections), indicators=dict(cat.indicators))
    assert c.problems() == []
    bad = c.indicators["REV_PCT_ESTIMATE"].__class__(
        code="BAD_RATE", label="x", unit="đồng", section="II.9", kind="derived", numerator="NOPE"
    )
    c.indicators["BAD_RATE"] = bad
    probs = "\n".join(c.problems())
    assert "II.9" in probs and "NOPE" in probs and "numerator and denominator" in probs and "'%'" in probs
    with pytest.raises(CatalogueError, match="BAD_RATE"):
        c.check()


# ---- user catalogue files ----------------------------------------------------------------------
def _check_user_additions(c: Catalogue, user: Path, shipped: Catalogue):
    assert "MY_MEETINGS" in c and c["MY_MEETINGS"].source == str(user.resolve())
    assert c["MY_ONLINE_PCT"].is_derived
    codes = list(c.sections)
    assert codes.index("II.6") == codes.index("II.5") + 1, codes  # after: II.5
    assert codes.index("III") == codes.index("II.6") + 1
    assert codes[-1] == "V" and c.sections["V"].is_part and c.sections["V"].free_text
    assert c.sections["II.6"].part == "II"
    assert [s.code for s in c.subsections("II")][-1] == "II.6"
    assert "my-ward@1" in c.version
    assert c.problems() == []
    # the shipped definitions are all still there
    assert set(shipped.indicators) < set(c.indicators)
    assert c.digest != shipped.digest


def test_user_catalogue_via_argument(tmp_path):
    user = _write(tmp_path, USER_YAML)
    _check_user_additions(load_catalogue(user), user, load_catalogue())


def test_user_catalogue_via_environment(tmp_path, monkeypatch):
    user = _write(tmp_path, USER_YAML)
    shipped = load_catalogue()
    monkeypatch.setenv("DANVAN_CATALOGUE", str(user))
    _check_user_additions(load_catalogue(), user, shipped)


def test_user_catalogue_after_nested_section(tmp_path):
    user = _write(tmp_path, USER_YAML)
    more = _write(tmp_path, """\
        sections:
          - code: "V.1"
            part: "V"
            title: "Kiến nghị với cấp trên"
            after: "V"
          - code: "II.7"
            title: "Mục tiếp theo"
            after: "II.6"
        """, "more.yaml")
    c = load_catalogue(user, more)
    codes = list(c.sections)
    assert codes[-2:] == ["V", "V.1"]
    assert codes.index("II.7") == codes.index("II.6") + 1


def test_user_catalogue_is_reloaded_when_edited(tmp_path):
    user = _write(tmp_path, USER_YAML)
    assert "MY_EXTRA" not in load_catalogue(user)
    text = USER_YAML + (
        "  - code: MY_EXTRA\n"
        '    label: "Thêm"\n'
        '    unit: "lượt"\n'
        '    section: "V"\n'
        "    kind: count\n"
    )
    user.write_text(text, encoding="utf-8")
    os.utime(user, (os.path.getatime(user), os.path.getmtime(user) + 5))
    assert "MY_EXTRA" in load_catalogue(user)


def test_redefining_a_shipped_code_names_the_file(tmp_path):
    user = _write(tmp_path, """\
        indicators:
          - code: REV_TOTAL
            label: "Tổng thu (của tôi)"
            unit: "đồng"
            section: "II.2"
            kind: amount
        """)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(user)
    msg = str(err.value)
    assert str(user.resolve()) in msg and "REV_TOTAL" in msg
    assert "base.yaml" in msg  # where it is already defined
    assert "new code" in msg


def test_redefining_a_shipped_section_is_an_error(tmp_path):
    user = _write(tmp_path, 'sections:\n  - code: "II.2"\n    title: "Khác"\n')
    with pytest.raises(CatalogueError, match=r"II\.2.*already defined"):
        load_catalogue(user)


@pytest.mark.parametrize(
    "text,expect",
    [
        ("indicators:\n  - code: X_A\n    label: a\n", r"indicators\[0\].*missing.*unit"),
        ("indicators:\n  - just a string\n", r"indicators\[0\].*mapping"),
        ("indicators:\n  - {code: X_A, label: a, unit: hộ, section: II.2, kind: count, colour: red}\n",
         r"X_A.*unknown keys.*colour"),
        ("indicators:\n  - {code: X_A, label: a, unit: hộ, section: II.2, kind: number}\n",
         r"X_A.*kind 'number'"),
        ("indicators:\n  - {code: X_A, label: a, unit: hộ, section: II.99, kind: count}\n",
         r"X_A.*section 'II.99' is not defined"),
        ("indicators:\n  - {code: x_a, label: a, unit: hộ, section: II.2, kind: count}\n",
         r"x_a.*upper snake case"),
        ("indicators:\n  - {code: X_R, label: a, unit: '%', section: II.2, kind: derived, numerator: REV_TOTAL}\n",
         r"X_R.*numerator and denominator"),
        ("indicators:\n  - {code: X_R, label: a, unit: '%', section: II.2, kind: derived, numerator: REV_TOTL,"
         " denominator: REV_ESTIMATE, decimals: 0}\n", r"X_R.*unknown indicator 'REV_TOTL'"),
        ("indicators:\n  - {code: X_T, label: a, unit: hộ, section: II.2, kind: count, parts: [POOR_HOUSEHOLDS, NOPE]}\n",
         r"X_T.*unknown indicator 'NOPE'"),
        ("indicators:\n  - {code: X_T, label: a, unit: hộ, section: II.2, kind: count, parts: POOR_HOUSEHOLDS}\n",
         r"X_T.*parts must be a list"),
        ("indicators:\n  - {code: X_R, label: a, unit: '%', section: II.2, kind: derived, numerator: REV_TOTAL,"
         " denominator: REV_ESTIMATE, decimals: two}\n", r"X_R.*decimals"),
        ("indicators:\n  - {code: X_A, label: a, unit: hộ, section: II.2, kind: count, required: 'no'}\n",
         r"X_A.*required.*true or false"),
        ("sections:\n  - {code: VI, title: t, after: IX}\n", r"sections\[0\].*after: IX"),
        ("sections:\n  - {title: no code}\n", r"sections\[0\].*'code' and 'title'"),
        ("sections:\n  - {code: VI, title: t, colour: red}\n", r"sections\[0\].*unknown keys"),
        ("- a\n- b\n", r"expected a mapping"),
        ("indicators: [\n", r"cannot read catalogue file"),
    ],
)
def test_malformed_user_catalogue_gives_clear_error(tmp_path, text, expect):
    user = _write(tmp_path, text)
    with pytest.raises(CatalogueError, match=expect) as err:
        load_catalogue(user)
    assert str(user.resolve()) in str(err.value)  # names the file to fix


def test_missing_catalogue_file(tmp_path):
    with pytest.raises(CatalogueError, match="not found"):
        load_catalogue(tmp_path / "nope.yaml")


def test_user_catalogue_changes_nothing_in_python(tmp_path):
    """A user indicator flows through Figures and the narrative without any code change."""
    from decimal import Decimal

    from danvan.indicators.figures import Figures
    from danvan.report.narrative import render_section
    from danvan.reference.units import load_registry

    user = _write(tmp_path, USER_YAML)
    c = load_catalogue(user)
    figs = Figures(load_registry().get("19780", 2023), 2023, c,
                   {"MY_MEETINGS": Decimal(8), "MY_MEETINGS_ONLINE": Decimal(3)})
    assert str(figs["MY_ONLINE_PCT"]) == "37,5%"
    text = " ".join(render_section(figs, "II.6"))
    assert "Số cuộc đối thoại với Nhân dân: 8 cuộc." in text and "37,5%" in text


def test_notebook_catalogue_parameter_is_a_pathsep_list(tmp_path, store, monkeypatch):
    """The ward notebook's `catalogue` parameter is one string: files joined by os.pathsep."""
    from danvan.report.ward import WardReport
    from danvan.core.vnformat import MISSING

    monkeypatch.setenv("DANVAN_DB", str(store.path))
    user = _write(tmp_path, USER_YAML)
    other = _write(tmp_path, 'sections:\n  - {code: "VI", title: "Phụ lục", after: "V", free_text: true}\n', "other.yaml")
    report = WardReport.load("19780", 2023, catalogue_files=os.pathsep.join([str(user), str(other)]))
    assert report.parts()[-2:] == ["V", "VI"]
    part_ii = report.part("II").html
    assert "Công tác dân vận trong xây dựng nông thôn mới" in part_ii
    assert f'Số cuộc đối thoại với Nhân dân: <span class="missing">{MISSING}</span>.' in part_ii
    assert WardReport.load("19780", 2023, catalogue_files="").parts() == ["I", "II", "III", "IV"]
