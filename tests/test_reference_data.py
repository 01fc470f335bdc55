"""Consistency of the shipped data files with each other and with the reference report.

Checks the indicator catalogue of the reference report (the Huế profile merged on the national base,
danvan.reference.catalogue), the reference figures of Phường Phường Đúc 2023, its free-text sections,
and the unit registry. Apart from merging the profile files, it needs only pyyaml, babel and the
standard library, so it guards the data even while the machinery changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml
from babel.numbers import format_decimal

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PROFILES = REPO / "danvan" / "reference" / "data" / "profiles"
UNITS = REPO / "danvan" / "reference" / "data" / "units.csv"
REF = REPO / "data" / "reference" / "19780" / "2023"
SEED = SHARED / "seed" / "000_80b070889012a684.txt"
HUE_UNITS = REPO / "scripts" / "registry-sources" / "hue-units-2023-2025.csv"  # copy of shared/design's

KINDS = {"count", "amount", "percent", "derived"}  # (the reference report has no measure)
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
SECTION_ORDER = ["I", "II", "II.1", "II.2", "II.3", "II.4", "II.5", "III", "IV"]
FREE_TEXT = {"I", "II.1", "II.4", "III", "IV"}
NARRATIVE = {"II.2", "II.3", "II.5"}


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _read_csv(path: Path) -> list[dict[str, str]]:
    # csv module: every cell stays a string ("19780", "00001" keep their form)
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def catalogue() -> dict:
    from danvan.reference.catalogue import load_catalogue

    doc = load_catalogue(profile="hue").definition()
    for i in doc["indicators"]:  # as a YAML file would give them: no keys at their default
        for k, default in (("parts", ()), ("unit_aliases", ()), ("decimals", None), ("numerator", None),
                           ("denominator", None), ("base", None), ("required", False), ("signed", False)):
            if i.get(k) == default:
                del i[k]
    return doc


@pytest.fixture(scope="module")
def indicators(catalogue) -> dict[str, dict]:
    return {i["code"]: i for i in catalogue["indicators"]}


@pytest.fixture(scope="module")
def figures() -> list[dict[str, str]]:
    return _read_csv(REF / "figures.csv")


@pytest.fixture(scope="module")
def values(figures) -> dict[str, Decimal]:
    return {r["indicator"]: Decimal(r["value"]) for r in figures}


@pytest.fixture(scope="module")
def seed() -> str:
    if not SEED.exists():
        pytest.skip(f"reference report text not available at {SEED}")
    return unicodedata.normalize("NFC", _read_text(SEED))


@pytest.fixture(scope="module")
def units() -> list[dict[str, str]]:
    return _read_csv(UNITS)


# ---- files ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [*sorted(PROFILES.rglob("*.yaml")), *sorted(PROFILES.rglob("*.md.j2")), UNITS, REF / "figures.csv",
     REF / "report.yaml", *[REF / "text" / f"{s}.md" for s in sorted(FREE_TEXT)]],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_file_is_nfc_utf8(path):
    text = _read_text(path)
    assert unicodedata.is_normalized("NFC", text), f"{path} is not NFC-normalised"
    assert "\r" not in text


# ---- catalogue --------------------------------------------------------------------------------
def test_catalogue_header(catalogue):
    assert catalogue["profile"] == "hue"
    assert catalogue["version"] == "base@2025.1+hue@2023.1"


def test_sections_in_report_order(catalogue):
    secs = catalogue["sections"]
    assert [s["code"] for s in secs] == SECTION_ORDER
    for s in secs:
        assert s["part"] == s["code"].split(".")[0]
        assert s["title"].strip() == s["title"] and not s["title"].endswith((":", "."))
        assert bool(s.get("free_text")) == (s["code"] in FREE_TEXT), s["code"]
        assert bool(s.get("narrative")) == (s["code"] in NARRATIVE), s["code"]
    titles = " ".join(s["title"] for s in secs)
    assert "đội ngũa" not in titles and "đội ngũ" in titles


def test_indicator_codes_unique_and_ascii(catalogue):
    codes = [i["code"] for i in catalogue["indicators"]]
    assert len(codes) == len(set(codes)), [c for c in codes if codes.count(c) > 1]
    for c in codes:
        assert c.isascii() and CODE_RE.match(c), c
    assert 75 <= len(codes) <= 90


def test_indicator_fields(catalogue, indicators):
    sections = {s["code"] for s in catalogue["sections"]}
    for code, ind in indicators.items():
        for key in ("label", "unit", "section", "kind"):
            assert ind.get(key), f"{code}: missing {key}"
        assert ind["kind"] in KINDS, code
        assert ind["section"] in sections, f"{code}: unknown section {ind['section']}"
        assert ind["section"] in NARRATIVE, f"{code}: figures belong to a narrative section"
        assert ind.get("better") in (None, "higher", "lower"), code
        if ind["kind"] in ("percent", "derived"):
            assert ind["unit"] == "%", code
            assert isinstance(ind.get("decimals"), int), f"{code}: rates need decimals"
        else:
            assert ind["unit"] != "%", code
        if ind["kind"] == "derived":
            assert ind.get("numerator") and ind.get("denominator"), code
        for ref in [ind.get("numerator"), ind.get("denominator"), *(ind.get("parts") or [])]:
            if ref is not None:
                assert ref in indicators, f"{code}: refers to unknown {ref}"
                assert indicators[ref]["kind"] != "derived" or ref != ind.get("numerator"), code
        for part in ind.get("parts") or []:
            assert indicators[part]["kind"] != "derived", f"{code}: part {part} is derived"
            assert indicators[part]["unit"] == ind["unit"], f"{code}: part {part} has another unit"


def test_required_headline_figures(indicators):
    required = {c for c, i in indicators.items() if i.get("required")}
    assert {"REV_TOTAL", "REV_ESTIMATE", "POOR_HOUSEHOLDS", "EID_ELIGIBLE", "EID_ACCOUNTS", "CIT_PETITIONS"} <= required
    assert 8 <= len(required) <= 14


# ---- figures ----------------------------------------------------------------------------------
def test_figures_header_and_unit(figures):
    with open(REF / "figures.csv", encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == ["unit_code", "year", "indicator", "value"]
    for r in figures:
        assert r["unit_code"] == "19780" and r["year"] == "2023", r


def test_figures_match_catalogue(catalogue, indicators, figures):
    codes = [r["indicator"] for r in figures]
    assert len(codes) == len(set(codes)), "duplicate indicator rows"
    for c in codes:
        assert c in indicators, f"figures.csv: {c} not in catalogue"
        assert indicators[c]["kind"] != "derived", f"figures.csv: {c} is derived (computed, not data)"
    data_codes = [i["code"] for i in catalogue["indicators"] if i["kind"] != "derived"]
    assert codes == data_codes, "figures.csv must have one row per data indicator, in catalogue order"


def test_values_canonical(figures, indicators):
    for r in figures:
        v = r["value"]
        assert re.fullmatch(r"-?\d+(\.\d*[1-9])?", v), f"{r['indicator']}: {v!r} is not a canonical decimal"
        ind = indicators[r["indicator"]]
        if ind["kind"] in ("count", "amount"):
            assert "." not in v, r
        if v.startswith("-"):
            assert ind.get("signed"), f"{r['indicator']}: negative value needs signed: true"


def _spellings(value: Decimal, ind: dict) -> list[str]:
    """How the report may write ``value``: grouped, raw digits, zero-padded, decimal comma."""
    if ind.get("signed") and value < 0:
        n = -value
        return [f"{int(n):02d} {ind['unit']}", f"{int(n)} {ind['unit']}"]
    if value == 0:
        return ["0", "không có"]
    if value == value.to_integral_value():
        n = int(value)
        out = [format_decimal(n, locale="vi"), str(n)]
        if 0 <= n <= 9:
            out.append(f"{n:02d}")
        return out
    return [format_decimal(value, locale="vi"), str(value).replace(".", ",")]


def _occurs(s: str, text: str) -> bool:
    if not s[0].isdigit():
        return s in text
    return re.search(r"(?<![\d.,])" + re.escape(s) + r"(?![\d]|[.,]\d)", text) is not None


def test_every_value_is_stated_in_the_report(seed, figures, indicators):
    body = seed.split("II. Kết quả thực hiện", 1)[1].split("III.Đánh giá chung", 1)[0]
    missing = []
    for r in figures:
        ind = indicators[r["indicator"]]
        cands = _spellings(Decimal(r["value"]), ind)
        if not any(_occurs(s, body) for s in cands):
            missing.append(f"{r['indicator']}={r['value']} (looked for {cands})")
    assert not missing, "values not found in part II of the report:\n" + "\n".join(missing)


def test_parts_sum_to_totals(indicators, values):
    for code, ind in indicators.items():
        parts = ind.get("parts") or []
        if parts and code in values:
            assert sum(values[p] for p in parts) == values[code], code


def _rate(values, ind) -> Decimal:
    q = Decimal(1).scaleb(-ind["decimals"])
    return (values[ind["numerator"]] / values[ind["denominator"]] * 100).quantize(q, rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(
    "code,stated",
    [("REV_PCT_ESTIMATE", "151"), ("BUILD_PERMIT_PCT", "100"), ("EID_ACCOUNTS_PCT", "75.07"), ("EID_ACTIVATED_PCT", "46.58")],
)
def test_derived_rates_reproduce_the_report(indicators, values, code, stated):
    ind = indicators[code]
    assert ind["kind"] == "derived" and code not in values
    assert _rate(values, ind) == Decimal(stated)


def test_all_derived_computable(indicators, values):
    for code, ind in indicators.items():
        if ind["kind"] == "derived":
            assert ind["numerator"] in values and ind["denominator"] in values, code


# ---- free text and metadata -------------------------------------------------------------------
@pytest.mark.parametrize("section", sorted(FREE_TEXT))
def test_free_text_from_report(seed, section):
    text = _read_text(REF / "text" / f"{section}.md")
    assert text.endswith("\n") and not text.endswith("\n\n")
    paras = text.strip().split("\n\n")
    flat = re.sub(r"\s+", " ", seed).replace("đãquan", "đã quan")  # the one scrape artefact fixed
    for p in paras:
        assert p == p.strip() and "\n" not in p, f"{section}: one line per paragraph"
        body = re.sub(r"^\*\*(\d)\. (.*)\*\*$", r"\1.\2", p)  # III sub-headings
        body = re.sub(r"^(\d)\. ", r"\1.", body)  # IV numbered items
        assert re.sub(r"\s+", " ", body) in flat, f"{section}: paragraph not verbatim from the report: {p[:60]}…"


def test_free_text_structure():
    iii = _read_text(REF / "text" / "III.md")
    assert "**1. Ưu điểm:**" in iii and "**2. Khó khăn, hạn chế, nguyên nhân:**" in iii
    items = [p for p in _read_text(REF / "text" / "IV.md").strip().split("\n\n")]
    assert [p.split(". ", 1)[0] for p in items] == [str(i) for i in range(1, 8)]


def test_report_metadata():
    meta = yaml.safe_load(_read_text(REF / "report.yaml"))
    assert meta["date"] == dt.date(2023, 12, 19)
    assert meta["doc_code"] == "BC-UBND" and meta["number"] == ""
    assert meta["subject"] == "Công tác Dân vận Chính quyền năm 2023"
    assert meta["issuing_body"] == "UBND PHƯỜNG PHƯỜNG ĐÚC"
    assert meta["recipients"][-1] == "Lưu: VT"
    assert meta["signing_authority"] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert meta["source"] and "\n" not in meta["source"]


# ---- narrative templates ----------------------------------------------------------------------
@pytest.mark.parametrize("section", sorted(NARRATIVE))
def test_templates_refer_to_known_codes(indicators, section):
    path = PROFILES / "templates" / "hue" / f"{section}.md.j2"
    text = _read_text(path)
    assert unicodedata.is_normalized("NFC", text)
    used = set(re.findall(r"\bv\.([A-Z][A-Z0-9_]*)", text))
    assert used, section
    for code in used:
        assert code in indicators, f"{path.name}: unknown indicator {code}"
    own = {c for c, i in indicators.items() if i["section"] == section}
    assert own <= used, f"{path.name}: figures never stated: {sorted(own - used)}"
    for word in ("Phường Đúc", "Phú Vĩnh", "Nguyễn Hoàng", "Dã Viên", "2023", "2022", "xuất quà", "điện tủe"):
        assert word not in text, f"{path.name}: hard-coded {word!r}"


# ---- unit registry ----------------------------------------------------------------------------
def test_units_header(units):
    with open(UNITS, encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == [
            "code", "name", "type", "parent_code", "level", "valid_from", "valid_to", "successor_code", "source",
        ]


def test_unit_codes_and_rows(units):
    keys = [(u["code"], u["valid_from"]) for u in units]
    assert len(keys) == len(set(keys)), "(code, valid_from) must identify a row"
    width = {"province": 2, "district": 3, "commune": 5}
    for u in units:
        assert u["level"] in width, u
        assert re.fullmatch(r"\d{%d}" % width[u["level"]], u["code"]), u
        assert u["name"].startswith(u["type"] + " "), u
        for k in ("valid_from", "valid_to"):
            if u[k]:
                dt.date.fromisoformat(u[k])
        assert u["source"], u


def _on(units, code, day: dt.date):
    """The row of ``code`` in force on ``day`` (None if none)."""
    for u in units:
        start = dt.date.fromisoformat(u["valid_from"]) if u["valid_from"] else dt.date.min
        end = dt.date.fromisoformat(u["valid_to"]) if u["valid_to"] else dt.date.max
        if u["code"] == code and start <= day <= end:
            return u
    return None


def _row(units, code, year):
    return _on(units, code, dt.date(year, 7, 1))


def _next(units, u):
    """The row that follows ``u`` the day after it ends (its ``successor_code``)."""
    return _on(units, u["successor_code"], dt.date.fromisoformat(u["valid_to"]) + dt.timedelta(days=1))


def test_phuong_duc(units):
    u = _row(units, "19780", 2023)
    assert u and u["name"] == "Phường Phường Đúc" and u["type"] == "Phường" and u["parent_code"] == "474"
    # 2025-01-01: same code under quận Thuận Hóa (474); 2025-07-01: merged into Phường Thuận Hóa
    mid = _next(units, u)
    assert mid["code"] == "19780" and mid["parent_code"] == "474" and mid["valid_from"] == "2025-01-01"
    assert _on(units, "474", dt.date(2025, 1, 1))["name"] == "Quận Thuận Hóa"
    succ = _next(units, mid)
    assert succ and succ["name"] == "Phường Thuận Hóa" and succ["code"] == "19789"
    assert _row(units, "474", 2023)["name"] == "Thành phố Huế"
    assert _row(units, "46", 2023)["name"] == "Tỉnh Thừa Thiên Huế"
    assert _row(units, "46", 2025)["name"] == "Thành phố Huế"


def test_hue_communes_2023(units):
    cross = _read_csv(HUE_UNITS)
    assert len(cross) == 36
    for r in cross:
        u = _row(units, r["code_2023"], 2023)
        assert u, f"{r['code_2023']} {r['name_2023']} missing"
        assert unicodedata.normalize("NFC", r["name_2023"]) == u["name"]
        assert u["level"] == "commune" and u["parent_code"] == "474" and u["valid_to"] == "2024-12-31"
        mid = _next(units, u)  # the unit of 2025-01-01 (itself, or the commune it merged into)
        assert mid and mid["valid_from"] == "2025-01-01" and mid["parent_code"] in ("474", "475"), u
        new = _next(units, mid)
        assert new and new["valid_from"] == "2025-07-01" and new["code"] == r["code_vietnamadminunits"], r
        assert unicodedata.normalize("NFC", r["ward_2025_07"]).replace("–", "-") == new["name"].replace("–", "-")
    hue_2023 = [u for u in units if u["level"] == "commune" and u["parent_code"] == "474"
                and u["valid_to"] == "2024-12-31"]
    assert len(hue_2023) == 36
    assert sum(u["type"] == "Xã" for u in hue_2023) == 7
