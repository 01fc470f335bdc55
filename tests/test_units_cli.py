"""``danvan units``: one unit per line (code, name, type, parent, validity), search without diacritics,
JSON, exit 2 on a bad year or parent."""

from __future__ import annotations

import json
import re

import pytest

from danvan.cli.main import main


def run(argv, capsys) -> tuple[int, str, str]:
    code = main(["units", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_search_ignores_diacritics_and_case_code_first(capsys):
    code, out, _ = run(["--search", "phuong duc", "--year", "2023"], capsys)
    first = out.splitlines()[0].split()
    assert code == 0 and first[0] == "19780"
    assert re.split(r"\s{2,}", out.splitlines()[0]) == ["19780", "Phường Phường Đúc", "Phường", "474", "… – 2024-12-31"]
    assert first[-3:] == ["…", "–", "2024-12-31"] and "474" in first
    assert any(ln.split()[0] == "10279" and "Xã Phượng Dực" in ln for ln in out.splitlines())
    assert run(["--search", "PHƯỜNG ĐÚC", "--year", "2023", "--limit", "1"], capsys)[1].split()[0] == "19780"


def test_parent_lists_its_children_in_that_year(capsys):
    code, out, _ = run(["--parent", "474", "--year", "2023"], capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 36 and lines[0].startswith("19750  Phường Tây Lộc")
    _, out, _ = run(["--parent", "474", "--year", "2025"], capsys)  # quận Thuận Hóa from 2025-01-01
    assert len(out.splitlines()) == 19 and all("2025-01-01 – 2025-06-30" in ln for ln in out.splitlines())
    _, out, _ = run(["--parent", "46", "--year", "2024", "--level", "commune"], capsys)  # grandchildren
    assert len(out.splitlines()) == 137
    _, out, _ = run(["--parent", "01", "--year", "2024"], capsys)  # Hà Nội's districts
    assert all(len(ln.split()[0]) == 3 for ln in out.splitlines()) and len(out.splitlines()) == 30


def test_json_and_leading_zeros(capsys):
    code, out, _ = run(["--parent", "01", "--year", "2026", "--limit", "2", "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and [u["code"] for u in doc["units"]] == ["00004", "00008"]
    assert doc["units"][0] | {"source": ""} == {
        "code": "00004", "name": "Phường Ba Đình", "type": "Phường", "parent_code": "01", "level": "commune",
        "valid_from": "2025-07-01", "valid_to": None, "successor_code": None, "source": ""}


def test_an_alias_code_shows_the_canonical_unit_and_the_note(capsys):
    code, out, _ = run(["--search", "19786", "--year", "2026"], capsys)
    assert code == 0 and out.splitlines()[0].startswith("19789  Phường Thuận Hóa")
    assert "lưu ý:" in out and "QĐ 19/2025/QĐ-TTg" in out


@pytest.mark.parametrize("argv,needle", [
    (["--parent", "99", "--year", "2023"], "'99' không có trong danh mục"),
    (["--parent", "474", "--year", "2026"], "không tồn tại trong năm 2026"),
    (["--parent", "474"], "--parent needs --year"),
    (["--parent", "4 74", "--year", "2023"], "'4 74'"),
])
def test_bad_parent_is_exit_2_with_a_message(argv, needle, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and needle in err and "Traceback" not in err and out == ""


@pytest.mark.parametrize("year", ["1800", "20233", "năm"])
def test_bad_year_is_exit_2(year, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["units", "--year", year])
    assert exc.value.code == 2
    assert "--year" in capsys.readouterr().err


def test_nothing_found_is_exit_1(capsys):
    code, out, _ = run(["--search", "khong co don vi nao ten nay"], capsys)
    assert code == 1 and "không có đơn vị nào" in out
