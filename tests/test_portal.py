"""The portal without a browser: search normalisation, Vietnamese order, a lossless data format,
deterministic bytes, the Content-Security-Policy, and the size limits at national scale (3,321
communes × 3 years). What a reader does with it is tested in Chromium (tests/test_browser.py)."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import re
from decimal import Decimal

import pytest

from _national import generate
from _portal import decode, read_data
from danvan.reference.units import Unit, UnitRegistry
from danvan.run import portal
from danvan.run.portal import collation_key, normalize, portal_data, write_portal

KB = 1024


def test_normalize():
    assert normalize("Phường Phường Đúc") == "phuong phuong duc"
    assert normalize("  THUẬN\u00a0 HÒA ") == normalize("Thuận Hòa") == normalize("thuan hoa") == "thuan hoa"
    assert normalize("Thuỷ") == normalize("Thủy") == "thuy"
    assert normalize("Đắk Lắk") == "dak lak"
    assert normalize("e\u0301") == normalize("é") == "e"


def test_vietnamese_order():
    """a < ă < â, d < đ; tones only break ties."""
    names = ["Ân Hòa", "An Hòa", "Đông Ba", "Dương Nỗ", "Ấp Bắc", "Ba Đình", "Ăn Cư"]
    assert sorted(names, key=collation_key) == ["An Hòa", "Ăn Cư", "Ân Hòa", "Ấp Bắc", "Ba Đình", "Dương Nỗ", "Đông Ba"]


def _scaled(value, scale):
    return None if value is None else int(Decimal(value).scaleb(scale))


@pytest.fixture(scope="module")
def small():
    return generate(seed=7, n_communes=300)


def test_data_format_is_lossless(small):
    manifest, registry = small
    data = portal_data(manifest["reports"], registry)
    got = decode(data)
    assert set(got) == set(manifest["reports"])
    scales = {ind[0]: ind[7] for ind in data["ind"]}
    for label, rec in manifest["reports"].items():
        g = got[label]
        assert g["status"] == rec["status"] and g["illustrative"] == rec["provenance"]["illustrative"], label
        assert g["files"] == rec.get("files", {}) and g["title"] == rec["title"], label
        figs = rec.get("figures")
        if figs:
            assert g["values"] == [_scaled(figs["values"].get(c), s) for c, s in scales.items()], label
            want = [_scaled(figs["prior"].get(c), s) for c, s in scales.items()] if "prior" in figs else None
            assert g["prior"] == want, label
        else:
            assert g["values"] is None, label
    # the unit of a record is named as in its year (5 % were renamed in 2025)
    renamed = [lab for lab in manifest["reports"] if lab.startswith("2024/") and lab.endswith("/report")
               and len(registry.rows(lab.split("/")[1])) == 2]
    assert renamed and all(got[lab]["name"] == registry.get(lab.split("/")[1], 2024).name for lab in renamed)


def test_same_inputs_same_bytes_and_no_timestamps(small, tmp_path):
    manifest, registry = small
    a, b = tmp_path / "a", tmp_path / "b"
    write_portal(a, manifest, registry=registry)
    later = {"reports": {k: {**v, "finished": "2031-01-01T00:00:00+00:00", "seconds": 9.9}
                         for k, v in reversed(list(manifest["reports"].items()))}}
    write_portal(b, later, registry=registry)
    for name in (portal.INDEX_FILE, portal.DATA_FILE):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert b"2026-12-01" not in (a / portal.DATA_FILE).read_bytes()


def test_content_security_policy_names_the_inline_script_and_style(small, tmp_path):
    manifest, registry = small
    write_portal(tmp_path, manifest, registry=registry)
    page = (tmp_path / portal.INDEX_FILE).read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1).replace("&#39;", "'")
    for tag in ("script", "style"):
        inline = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        assert len(inline) == 1, tag
        digest = base64.b64encode(hashlib.sha256(inline[0].encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp, tag
    assert "connect-src 'none'" in csp and "default-src 'none'" in csp
    assert re.search(r'<script src="portal-data\.js"></script>', page)
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "nothing from the network"
    assert f'<meta name="danvan-build" content="{read_data(tmp_path)["build"]}">' in page
    js = (portal.STATIC_DIR / "portal.js").read_text(encoding="utf-8")
    assert f"var DATA_VERSION = {portal.DATA_VERSION};" in js
    assert '<html lang="vi">' in page


def test_national_size_limits(tmp_path):
    """3,321 communes × 3 years (worst case: every report in four formats, a trend per commune,
    11 key figures each): the page ≤ 150 KB, the data ≤ 1.5 MB."""
    manifest, registry = generate()
    stats = write_portal(tmp_path, manifest, registry=registry)
    communes = {u.code for u in registry.units if u.level == "commune"}
    assert len(communes) == 3321 and stats.records == len(manifest["reports"]) > 3 * 3321
    assert stats.index_bytes == (tmp_path / portal.INDEX_FILE).stat().st_size <= 150 * KB
    assert stats.data_bytes == (tmp_path / portal.DATA_FILE).stat().st_size <= 1.5 * KB * KB
    assert stats.units == len(communes) + 34
    print(stats.summary())


def _unit(code, name, parent, level, start=None, end=None):
    return Unit(code, name, name.split(" ")[0], parent, level, start and _dt.date.fromisoformat(start),
                end and _dt.date.fromisoformat(end), "", "test")


def test_names_are_nfc_and_a_renamed_code_keeps_its_periods():
    registry = UnitRegistry([
        _unit("46", "Tỉnh Thừa Thiên Huế", "", "province", end="2024-12-31"),
        _unit("46", "Thành phố Huế", "", "province", start="2025-01-01"),
        _unit("474", "Thành phố Huế", "46", "district", end="2024-12-31"),
        _unit("19789", "Phường Phu\u0301 Nhuận", "474", "commune", end="2025-06-30"),
        _unit("19789", "Phường Thuận Hóa", "46", "commune", start="2025-07-01"),
    ], ["test"])
    reports = {"2024/19789/report": {"status": "ok", "files": {}}, "2025/19789/report": {"status": "ok", "files": {}}}
    data = portal_data(reports, registry)
    codes = data["u"]["code"]
    i = codes.index("19789")
    assert data["u"]["name"][i] == "Phường Thuận Hóa" and codes[data["u"]["par"][i]] == "46"
    assert data["per"][str(i)] == [[2024, "Phường Phú Nhuận", codes.index("474")]]  # NFC; until 2024 under 474
    assert "phuong phu nhuan" in data["u"]["key"][i] and "phuong thuan hoa" in data["u"]["key"][i]
    assert data["per"][str(codes.index("46"))] == [[2024, "Tỉnh Thừa Thiên Huế", -1]]
    assert [data["u"]["lvl"][codes.index(c)] for c in ("46", "474", "19789")] == [0, 1, 2]
    got = decode(data)
    assert got["2024/19789/report"]["name"] == "Phường Phú Nhuận" and got["2025/19789/report"]["name"] == "Phường Thuận Hóa"
