"""danvan.reference.units: codes are strings, look-ups by code and year, lineage across the 2025 reform."""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from pathlib import Path

import pytest

from danvan.core.errors import UnknownUnitError
from danvan.reference.units import check_code_format, load_registry

# the copy of shared/design/hue-units-2023-2025.csv the registry build reads (its sha256 is pinned there)
HUE_UNITS = Path(__file__).resolve().parents[1] / "scripts" / "registry-sources" / "hue-units-2023-2025.csv"


@pytest.fixture(scope="module")
def reg():
    return load_registry()


def test_codes_are_strings(reg):
    assert all(isinstance(u.code, str) for u in reg.units)
    assert all(isinstance(u.parent_code, str) and isinstance(u.successor_code, str) for u in reg.units)


@pytest.mark.parametrize("bad", [19780, 1, 19780.0, None, b"19780"])
def test_check_code_format_refuses_non_strings(bad):
    with pytest.raises(TypeError, match="-r"):
        check_code_format(bad)


@pytest.mark.parametrize("bad", ["1978", "197800", "1978O", "19 780", "", "abcde"])
def test_check_code_format_refuses_malformed(bad):
    with pytest.raises(ValueError, match="19780"):
        check_code_format(bad)


def test_phuong_duc_2023(reg):
    u = reg.get("19780", 2023)
    assert u.name == "Phường Phường Đúc" and u.short == "Phường Đúc"
    assert u.kind_word == "phường" and u.level == "commune"
    parent = reg.get(u.parent_code, 2023)
    assert parent.name == "Thành phố Huế" and reg.get(parent.parent_code, 2023).name == "Tỉnh Thừa Thiên Huế"
    assert unicodedata.is_normalized("NFC", u.name)


def test_unit_that_no_longer_exists_names_its_successor(reg):
    old = reg.rows("19780")[0]
    [succ] = reg.successor_at(old, dt.date(2026, 1, 1))  # through its 2025-01-01 row (quận Thuận Hóa)
    with pytest.raises(UnknownUnitError) as err:
        reg.get("19780", 2026)
    msg = str(err.value)
    assert "2026" in msg and succ.name in msg and succ.code in msg
    assert succ.name == "Phường Thuận Hóa"


def test_unknown_code_says_how_to_fix(reg):
    with pytest.raises(UnknownUnitError, match="5 chữ số"):
        reg.get("99999", 2023)


def test_year_end_row_wins_for_reused_codes(reg):
    """19789 was Phường Phú Nhuận until 2025-06-30 and is Phường Thuận Hóa from 2025-07-01."""
    rows = reg.rows("19789")
    assert len(rows) >= 2
    assert reg.get("19789", 2023).name == "Phường Phú Nhuận"
    assert reg.get("19789", 2025).name == "Phường Thuận Hóa"
    assert reg.get("19789", 2026).name == "Phường Thuận Hóa"
    preds = {p.code for p in reg.predecessors("19789")}
    assert "19780" in preds


def test_valid_in_boundaries(reg):
    u, later = reg.rows("19780")
    assert u.valid_to == dt.date(2024, 12, 31) and later.valid_from == dt.date(2025, 1, 1)
    assert u.valid_in(2024) and u.valid_in(1990) and not u.valid_in(2025)
    assert later.valid_to == dt.date(2025, 6, 30) and later.valid_in(2025) and not later.valid_in(2026)
    assert u.valid_on(dt.date(2024, 12, 31)) and not u.valid_on(dt.date(2025, 1, 1))


def test_hue_city_2023(reg):
    kids = reg.children("474", 2023)
    assert len(kids) == 36
    assert sum(k.type == "Xã" for k in kids) == 7 and sum(k.type == "Phường" for k in kids) == 29
    assert all(len(k.code) == 5 for k in kids)


def test_registry_agrees_with_design_crosswalk(reg):
    if not HUE_UNITS.exists():
        pytest.skip(f"{HUE_UNITS} not available")
    with open(HUE_UNITS, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        u = reg.get(r["code_2023"], 2023)
        assert u.name == unicodedata.normalize("NFC", r["name_2023"])
        [new] = reg.successor_at(u, dt.date(2025, 7, 1))
        assert new.code == r["code_vietnamadminunits"]
        assert new.name.replace("–", "-") == unicodedata.normalize("NFC", r["ward_2025_07"]).replace("–", "-")


def test_user_unit_file_via_environment(tmp_path, monkeypatch):
    extra = tmp_path / "units.csv"
    extra.write_text(
        "code,name,type,parent_code,valid_from,valid_to,source\n"
        "00004-01,Tổ dân phố 1,Tổ dân phố,00004,2024-01-01,2025-06-30,thử nghiệm\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DANVAN_UNITS", str(extra))
    u = load_registry().get("00004-01", 2024)
    assert u.code == "00004-01" and u.short == "1" and u.is_user and u.parent_code == "00004"
    assert load_registry().get("00004", 2024).name == "Phường Trúc Bạch"  # the official unit is still there
    monkeypatch.delenv("DANVAN_UNITS")
    assert "00004-01" not in load_registry()
