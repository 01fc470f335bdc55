#!/usr/bin/env python3
"""Build danvan's administrative-unit registry (units, crosswalk, aliases) from pinned public data.

Run at data-preparation time only; danvan never imports this script (nor its inputs)::

    python3 -m venv /tmp/registry-venv
    /tmp/registry-venv/bin/pip install --no-deps --require-hashes -r scripts/requirements-registry.txt
    /tmp/registry-venv/bin/python scripts/build_registry.py          # writes danvan/reference/data/
    /tmp/registry-venv/bin/python scripts/build_registry.py --check  # rebuilds in memory, fails if it differs

Pinned inputs (the script refuses other versions and checks the data files' SHA-256):

* ``vietnamadminunits==1.0.4`` (MIT, wheel sha256 737ee366…35) - the source of every row:
  ``data/dataset.db`` table ``admin_units_legacy`` (63 provinces, 696 districts, 10,035 communes:
  the list in force just before 2025-07-01, Huế already as Thành phố Huế with quận Thuận Hóa 474
  and Phú Xuân 475), table ``admin_units`` (34 provinces, 3,321 communes from 2025-07-01) and
  ``data/converter_2025.json`` (old -> new mapping by name keys, split communes with a default).
  The package is never imported (importing it pulls shapely/geopy; its converter geocodes over
  the network): its files are located through ``importlib.metadata`` and read as SQLite/JSON.
* ``vietnam-provinces==2025.10.1`` (no licence in this release's metadata, GPL-3.0+ in 0.5.0),
  wheel sha256 1693dece…7f57 - read ONLY to record the codes it gives to the same 2025 units
  (``aliases.csv``); no row comes from it.
* ``scripts/registry-sources/hue-units-2023-2025.csv`` - copy of shared/design/hue-units-2023-2025.csv
  (Huế city's 36 units of 2023, danvan's curated list), sha256 52a4cb68…99ec.

Output (UTF-8, NFC, codes zero-padded strings, rows sorted, no timestamps; byte-identical on
every run) in ``danvan/reference/data/``: ``units.csv``, ``crosswalk.csv``, ``aliases.csv`` and
``MANIFEST.json`` (inputs, counts, output hashes; ``tests/test_registry_data.py`` checks the
shipped files against it). docs/units.md describes the files.
"""

from __future__ import annotations

import argparse
import base64
import collections
import csv
import hashlib
import io
import json
import re
import sqlite3
import sys
import unicodedata
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

PINS = {
    "vietnamadminunits": {
        "version": "1.0.4",
        "files": {
            "vietnamadminunits/data/dataset.db":
                "147cbbf81c8964bb594e1dda7ebab5649bce21efbfd6cb508cab7fefca62257d",
            "vietnamadminunits/data/converter_2025.json":
                "84f0848bf401b047775cbb49768c181a9271f77e4a4ec706d293b09bcb4faddd",
        },
    },
    "vietnam-provinces": {
        "version": "2025.10.1",
        "files": {
            "vietnam_provinces/data/nested-divisions.json":
                "9c8e3c603f860d2bb554e2946e3272ad743f734adfac8567a585ae498bd2cbb2",
        },
    },
}
HUE_CSV = HERE / "registry-sources" / "hue-units-2023-2025.csv"
HUE_CSV_SHA256 = "52a4cb68153c73cc61b0a5c1d17e655b2306af4b4137746821186e7b61b499ec"

REFORM = "2025-07-01"       # district level abolished, communes merged (3,321 units, 34 provinces)
LAST_OLD_DAY = "2025-06-30"
HUE_REFORM = "2025-01-01"   # Thành phố Huế centrally run, quận Thuận Hóa (474) and Phú Xuân (475)
HUE_LAST_OLD_DAY = "2024-12-31"

VAM = "vietnamadminunits 1.0.4"
SRC_LEGACY = f"{VAM} admin_units_legacy"
SRC_NEW = f"QĐ 19/2025/QĐ-TTg via {VAM} admin_units"
SRC_CONV = f"{VAM} converter_2025.json"
SRC_HUE23 = "QĐ 124/2004 list as of 2023 (design/hue-units-2023-2025.csv)"
SRC_HUE_NOTE = "design/vietnamese.md"

# Huế city (district 474 in 2023) on 2025-01-01: the four 2023 communes that are absent from the
# list in force on 2025-06-30 and the unit that took each over. Not in any package: inferred from
# the 2023 list (design csv) + vietnamadminunits' 2025-06-30 list + each one's ward of 2025-07-01.
HUE_2025_01_MERGES = {
    "19906": ("19909", "Xã Phú Dương -> Phường Dương Nỗ (code of Xã Phú Mậu); only 2025-06-30 unit of its 2025-07 ward"),
    "19924": ("19909", "Xã Phú Thanh -> Phường Dương Nỗ (code of Xã Phú Mậu); only 2025-06-30 unit of its 2025-07 ward"),
    "19999": ("19900", "Xã Hải Dương -> Phường Thuận An; only former-Huế-city 2025-06-30 unit of its 2025-07 ward"),
    "20032": ("20029", "Xã Hương Thọ -> Phường Long Hồ (Hương Hồ renamed); one of 3 candidates of its 2025-07 ward chosen by the rename: NOT sourced"),
}

# Codes that a third source (not read by this script) gives to a unit; curated by hand.
EXTRA_ALIASES = [
    # (alias, canonical, valid_from, source, note-reason)
    ("06978", "06970", REFORM,
     "thanglequoc/vietnamese-provinces-database (MIT) json of 2026-07-25, reverted by its PR #202",
     "ghi nhầm theo một bản QĐ 19/2025/QĐ-TTg; nguồn đó đã sửa lại 06970"),
]

TYPES = ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Phường", "Huyện", "Quận", "Tỉnh", "Xã")
LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2}
UNIT_FIELDS = ["code", "name", "type", "parent_code", "level", "valid_from", "valid_to", "successor_code", "source"]
XWALK_FIELDS = ["effective", "old_code", "old_name", "old_level", "new_code", "new_name", "new_level",
                "relation", "is_main", "source"]
ALIAS_FIELDS = ["code", "canonical_code", "level", "valid_from", "valid_to", "name", "alias_source",
                "canonical_source", "status", "note"]


# ---------------------------------------------------------------- inputs
def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def locate(dist_name: str) -> dict[str, Path]:
    """Paths of the pinned data files of an installed distribution (without importing it)."""
    pin = PINS[dist_name]
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        sys.exit(f"{dist_name}=={pin['version']} is not installed: "
                 "pip install --no-deps --require-hashes -r scripts/requirements-registry.txt")
    if dist.version != pin["version"]:
        sys.exit(f"{dist_name} {dist.version} installed, this script is pinned to {pin['version']}")
    # RECORD lists every file with its sha256 (urlsafe base64): check ours against it and the pin
    record = {}
    for f in dist.files or []:
        if f.hash:
            record[str(f)] = f.hash.value
    out = {}
    for rel, want in pin["files"].items():
        p = Path(dist.locate_file(rel))
        got = sha256(p)
        if want and got != want:
            sys.exit(f"{p}: sha256 {got} != pinned {want}")
        rec = record.get(rel)
        if rec and base64.urlsafe_b64encode(bytes.fromhex(got)).rstrip(b"=").decode() != rec:
            sys.exit(f"{p}: does not match the wheel's RECORD (modified after install?)")
        out[rel] = p
    return out


# ---------------------------------------------------------------- text helpers
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def clean(s: str) -> str:
    return re.sub(r"\s+", " ", nfc(s or "")).strip()


def match_key(s: str) -> str:
    """Key for matching the same name across sources: case, spacing, dash and apostrophe forms and
    tone placement ("Hoà"/"Hòa", "Thuỷ"/"Thủy") ignored; letters and tones themselves kept."""
    s = clean(s).lower().replace("–", "-").replace("’", "'").replace("‘", "'")
    s = re.sub(r"\s*-\s*", " - ", s)
    words = []
    for w in s.split():
        d = unicodedata.normalize("NFD", w)
        words.append(nfc("".join(c for c in d if c not in TONE_MARKS)) + "".join(sorted(c for c in d if c in TONE_MARKS)))
    return " ".join(words)


def split_type(name: str) -> tuple[str, str, str]:
    """(type, name with the type word's canonical case, note about a fix or '')."""
    for t in TYPES:
        if name.lower().startswith(t.lower() + " "):
            fixed = t + name[len(t):]
            return t, fixed, ("" if fixed == name else f"name case fixed from {name!r}")
    raise ValueError(f"no unit type word at the start of {name!r}")


def unit_row(code, name, parent, level, valid_from, valid_to, successor, source, source_type=None):
    typ, name, note = split_type(clean(name))
    notes = [note] if note else []
    if source_type and source_type != typ:
        notes.append(f"type from name (source type field says {source_type!r})")
    if notes:
        source = source + "; " + "; ".join(notes)
    return {"code": code, "name": name, "type": typ, "parent_code": parent, "level": level,
            "valid_from": valid_from, "valid_to": valid_to, "successor_code": successor, "source": source}


# ---------------------------------------------------------------- build
def build() -> tuple[dict[str, list[dict]], dict]:
    vam_files = locate("vietnamadminunits")
    vp_files = locate("vietnam-provinces")
    if sha256(HUE_CSV) != HUE_CSV_SHA256:
        sys.exit(f"{HUE_CSV} changed (sha256 {sha256(HUE_CSV)}); review and update HUE_CSV_SHA256")

    con = sqlite3.connect(f"file:{vam_files['vietnamadminunits/data/dataset.db']}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    legacy = [dict(r) for r in con.execute(
        "SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode")]
    new = [dict(r) for r in con.execute("SELECT * FROM admin_units ORDER BY provinceCode, wardCode")]
    con.close()
    conv = json.loads(Path(vam_files["vietnamadminunits/data/converter_2025.json"]).read_text("utf-8"))

    # --- the 2025-07-01 list
    new_by_key = {(r["provinceKey"], r["wardKey"]): r for r in new}
    assert len(new_by_key) == len(new)
    new_prov = {}                       # new province key -> (code, name)
    for r in new:
        new_prov.setdefault(r["provinceKey"], (r["provinceCode"], clean(r["province"])))
    old_prov_key_to_new = {}
    for nkey, olds in conv["DICT_PROVINCE"].items():
        for okey in olds:
            assert okey not in old_prov_key_to_new
            old_prov_key_to_new[okey] = nkey

    # --- old (province_district_ward key) -> [(new ward row, relation, is_main)]
    legacy_by_key = {f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}": r for r in legacy}
    assert len(legacy_by_key) == len(legacy)
    succ: dict[str, list[tuple[dict, str, bool]]] = collections.defaultdict(list)
    for nprov, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for nward, olds in wards.items():
            for okey in olds:
                succ[okey].append((new_by_key[(nprov, nward)], "whole", True))
    for nprov, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for okey, parts in olds.items():
            assert okey not in succ, okey
            assert sum(p["isDefaultNewWard"] for p in parts) == 1, okey
            for p in parts:
                succ[okey].append((new_by_key[(nprov, p["newWardKey"])], "part", bool(p["isDefaultNewWard"])))
    missing = [k for k in legacy_by_key if k not in succ]
    assert not missing, f"legacy units without a successor: {missing[:5]}"
    extra = [k for k in succ if k not in legacy_by_key]
    assert not extra, f"converter keys not in the legacy list: {extra[:5]}"

    units: list[dict] = []
    xwalk: list[dict] = []

    def xw(effective, old, new_, relation, is_main, source):
        xwalk.append({"effective": effective, "old_code": old["code"], "old_name": old["name"],
                      "old_level": old["level"], "new_code": new_["code"], "new_name": new_["name"],
                      "new_level": new_["level"], "relation": relation, "is_main": "1" if is_main else "0",
                      "source": source})

    # --- provinces
    legacy_prov = {}
    for r in legacy:
        legacy_prov.setdefault(r["provinceCode"], r)
    new_prov_rows = {}
    for nkey, (ncode, nname) in sorted(new_prov.items(), key=lambda kv: kv[1][0]):
        new_prov_rows[ncode] = unit_row(ncode, nname, "", "province", REFORM, "", "", SRC_NEW)
    unchanged = set()
    old_prov_rows = {}
    for pcode, r in sorted(legacy_prov.items()):
        nkey = old_prov_key_to_new[r["provinceKey"]]
        ncode, nname = new_prov[nkey]
        if conv["DICT_PROVINCE"][nkey] == [r["provinceKey"]] and ncode == pcode and nname == clean(r["province"]):
            unchanged.add(pcode)
            row = unit_row(pcode, r["province"], "", "province", "", "", "",
                           f"{SRC_LEGACY}; unchanged on {REFORM} ({VAM} admin_units)")
        else:
            row = unit_row(pcode, r["province"], "", "province", "", LAST_OLD_DAY, ncode, SRC_LEGACY)
        old_prov_rows[pcode] = row
    # Huế: Tỉnh Thừa Thiên Huế until 2024-12-31, Thành phố Huế (centrally run) from 2025-01-01
    assert "46" in unchanged
    hue_city = dict(old_prov_rows["46"], valid_from=HUE_REFORM,
                    source=f"centrally-run city from {HUE_REFORM} ({SRC_HUE_NOTE}); {SRC_LEGACY}; "
                           f"unchanged on {REFORM} ({VAM} admin_units)")
    tth = unit_row("46", "Tỉnh Thừa Thiên Huế", "", "province", "", HUE_LAST_OLD_DAY, "46",
                   f"QĐ 124/2004 list as of 2023 ({SRC_HUE_NOTE})")
    old_prov_rows["46"] = hue_city
    for pcode, row in old_prov_rows.items():
        units.append(row)
    units.append(tth)
    for ncode, row in new_prov_rows.items():
        if ncode not in unchanged:
            units.append(row)
    by_prov_new = {ncode: row for ncode, row in new_prov_rows.items()}
    for pcode, r in sorted(legacy_prov.items()):
        ncode = new_prov[old_prov_key_to_new[r["provinceKey"]]][0]
        xw(REFORM, old_prov_rows[pcode], by_prov_new[ncode], "whole", True, SRC_CONV + " DICT_PROVINCE")
    xw(HUE_REFORM, tth, hue_city, "whole", True, SRC_HUE_NOTE)

    # --- 2025-07-01 communes
    new_rows = {}
    for r in new:
        row = unit_row(r["wardCode"], r["ward"], r["provinceCode"], "commune", REFORM, "", "", SRC_NEW,
                       source_type=r["wardType"])
        new_rows[r["wardCode"]] = row
        units.append(row)
    assert len(new_rows) == len(new)

    # --- districts and communes before 2025-07-01
    hue_2025 = {"474", "475"}   # quận Thuận Hóa, quận Phú Xuân: from 2025-01-01
    districts = {}
    for r in legacy:
        if r["districtCode"] in districts:
            continue
        key = f"{r['provinceKey']}_{r['districtKey']}_"
        successors = succ.get(key, [])       # island districts without communes -> đặc khu
        main = next((n for n, _, m in successors if m), None)
        row = unit_row(r["districtCode"], r["district"], r["provinceCode"], "district",
                       HUE_REFORM if r["districtCode"] in hue_2025 else "", LAST_OLD_DAY,
                       main["wardCode"] if main else "",
                       SRC_LEGACY,
                       source_type=r["districtType"])
        if r["districtCode"] in hue_2025:
            row["source"] += f"; quận of Thành phố Huế from {HUE_REFORM} ({SRC_HUE_NOTE})"
        districts[r["districtCode"]] = row
        units.append(row)
        for n, rel, m in successors:
            xw(REFORM, row, new_rows[n["wardCode"]], rel, m, SRC_CONV)

    legacy_commune_rows = {}
    for r in legacy:
        if not r["wardCode"]:
            continue
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"
        successors = succ[key]
        main = next(n for n, _, m in successors if m)
        row = unit_row(r["wardCode"], r["ward"], r["districtCode"], "commune",
                       HUE_REFORM if r["districtCode"] in hue_2025 else "", LAST_OLD_DAY, main["wardCode"],
                       SRC_LEGACY, source_type=r["wardType"])
        if r["districtCode"] in hue_2025:
            row["source"] += f"; in quận {districts[r['districtCode']]['name'].split(' ', 1)[1]} from {HUE_REFORM}"
        if len(successors) > 1:
            row["source"] += "; split: successor_code is the default part and crosswalk.csv lists all parts"
        assert r["wardCode"] not in legacy_commune_rows
        legacy_commune_rows[r["wardCode"]] = row
        units.append(row)
        for n, rel, m in sorted(successors, key=lambda t: (not t[2], t[0]["wardCode"])):
            xw(REFORM, row, new_rows[n["wardCode"]], rel, m, SRC_CONV)

    # --- Huế city before 2025-01-01 (danvan's curated 2023 list)
    hue23 = list(csv.DictReader(open(HUE_CSV, encoding="utf-8-sig", newline="")))
    assert len(hue23) == 36
    hue_district = unit_row("474", "Thành phố Huế", "46", "district", "", HUE_LAST_OLD_DAY, "474",
                            f"QĐ 124/2004 list as of 2023 ({SRC_HUE_NOTE}); divided on {HUE_REFORM} into "
                            "quận Thuận Hóa (474) and Phú Xuân (475): crosswalk.csv")
    units.append(hue_district)
    xw(HUE_REFORM, hue_district, districts["474"], "part", True, SRC_HUE_NOTE + "; " + SRC_LEGACY)
    xw(HUE_REFORM, hue_district, districts["475"], "part", False, SRC_HUE_NOTE + "; " + SRC_LEGACY)
    hue_checks = []
    for h in hue23:
        code = h["code_2023"].strip()
        if code in legacy_commune_rows and legacy_commune_rows[code]["parent_code"] in hue_2025:
            later = legacy_commune_rows[code]
            absorbed = sorted(c for c, (t, _) in HUE_2025_01_MERGES.items() if t == code)
            what = ("continues" if match_key(later["name"]) == match_key(h["name_2023"])
                    else f"becomes {later['name']}")
            if absorbed:
                what += " absorbing " + " and ".join(absorbed)
            nxt, how, src = code, "whole", SRC_HUE23 + f"; {what} on {HUE_REFORM} with the same code ({VAM})"
        else:
            nxt, why = HUE_2025_01_MERGES[code]
            how, src = "whole", SRC_HUE23 + f"; merged on {HUE_REFORM} (inferred: {why})"
        row = unit_row(code, h["name_2023"], "474", "commune", "", HUE_LAST_OLD_DAY, nxt, src)
        units.append(row)
        xw(HUE_REFORM, row, legacy_commune_rows[nxt], how, True, src.split("; ", 1)[1])
        hue_checks.append((row, h))
    assert not set(HUE_2025_01_MERGES) - {h["code_2023"] for h in hue23}
    hue_in_2025 = [c for c, r in legacy_commune_rows.items() if r["parent_code"] in hue_2025]
    assert sorted(hue_in_2025) == sorted({r["successor_code"] for r, _ in hue_checks}), "Huế 2025-01 list"
    # every 2023 Huế unit reaches, through 2025-01-01, the 2025-07-01 ward the design csv names
    for row, h in hue_checks:
        mid = legacy_commune_rows[row["successor_code"]]
        end = new_rows[mid["successor_code"]]
        assert end["code"] == h["code_vietnamadminunits"], (row, end)
        assert match_key(end["name"]) == match_key(h["ward_2025_07"]), (row, end)

    # --- aliases: codes vietnam-provinces 2025.10.1 gives to the same 2025 units
    vp = json.loads(Path(vp_files["vietnam_provinces/data/nested-divisions.json"]).read_text("utf-8"))
    vp_src = "vietnam-provinces 2025.10.1 nested-divisions.json"
    new_by_name = {(r["parent_code"], match_key(r["name"])): r for r in new_rows.values()}
    assert len(new_by_name) == len(new_rows), "two 2025 units of one province share a name key"
    aliases = []
    unmatched_vp = []
    vp_prov_diff = []
    for p in vp:
        pcode = f"{int(p['code']):02d}"
        if pcode not in new_prov_rows:
            vp_prov_diff.append((pcode, p["name"]))
        for w in p["wards"]:
            wcode = f"{int(w['code']):05d}"
            row = new_by_name.get((pcode, match_key(w["name"])))
            if row is None:
                unmatched_vp.append((pcode, wcode, w["name"]))
                continue
            if row["code"] == wcode:
                continue
            other = new_rows.get(wcode)
            if other is None:
                status = "resolves"
                note = (f"Mã {wcode} là mã {vp_src.split(' nested')[0]} ghi cho {row['name']}; theo "
                        f"QĐ 19/2025/QĐ-TTg (như {VAM}) mã của đơn vị này là {row['code']}.")
            else:
                status = "conflict"
                note = (f"Mã {wcode} là mã {vp_src.split(' nested')[0]} ghi cho {row['name']}, nhưng theo "
                        f"QĐ 19/2025/QĐ-TTg đó là mã của {other['name']}; mã của {row['name']} là "
                        f"{row['code']}. Không tự chuyển mã này.")
            aliases.append({"code": wcode, "canonical_code": row["code"], "level": "commune",
                            "valid_from": REFORM, "valid_to": "", "name": row["name"], "alias_source": vp_src,
                            "canonical_source": SRC_NEW, "status": status, "note": note})
    for alias, canon, vfrom, src, reason in EXTRA_ALIASES:
        row = new_rows[canon]
        assert alias not in new_rows
        aliases.append({"code": alias, "canonical_code": canon, "level": row["level"], "valid_from": vfrom,
                        "valid_to": "", "name": row["name"], "alias_source": src, "canonical_source": SRC_NEW,
                        "status": "resolves",
                        "note": f"Mã {alias} ({reason}) chỉ {row['name']}; mã đúng là {canon}."})

    # --- order, normalise, check
    units.sort(key=lambda u: (LEVEL_ORDER[u["level"]], u["code"], u["valid_from"]))
    xwalk.sort(key=lambda x: (x["effective"], LEVEL_ORDER[x["old_level"]], x["old_code"], x["is_main"] != "1",
                              x["new_code"]))
    aliases.sort(key=lambda a: (a["valid_from"], a["code"], a["canonical_code"]))
    stats = check(units, xwalk, aliases, len(legacy), len(new))
    stats["vietnam_provinces_unmatched"] = unmatched_vp
    stats["vietnam_provinces_province_code_differences"] = vp_prov_diff
    stats["alias_status"] = dict(sorted(collections.Counter(a["status"] for a in aliases).items()))
    stats["split_communes"] = sum(1 for v in conv["DICT_PROVINCE_WARD_DIVIDED"].values() for _ in v)
    return {"units": units, "crosswalk": xwalk, "aliases": aliases}, stats


def active_on(units, day):
    return [u for u in units if (u["valid_from"] or "0000") <= day <= (u["valid_to"] or "9999")]


def check(units, xwalk, aliases, n_legacy, n_new) -> dict:
    code_re = {"province": r"\d{2}", "district": r"\d{3}", "commune": r"\d{5}"}
    seen = set()
    by_code = collections.defaultdict(list)
    for u in units:
        for k, v in u.items():
            assert v == nfc(v) and v == v.strip(), (k, v)
        assert re.fullmatch(code_re[u["level"]], u["code"]), u
        assert (u["code"], u["valid_from"]) not in seen, u
        seen.add((u["code"], u["valid_from"]))
        by_code[u["code"]].append(u)
    for code, rows in by_code.items():   # rows of one code never overlap in time
        rows = sorted(rows, key=lambda u: u["valid_from"] or "0000")
        for a, b in zip(rows, rows[1:]):
            assert a["valid_to"] and a["valid_to"] < (b["valid_from"] or "0000"), (a, b)
    counts = {}
    for day in ("2024-12-31", HUE_REFORM, LAST_OLD_DAY, REFORM):
        c = collections.Counter(u["level"] for u in active_on(units, day))
        counts[day] = {lvl: c.get(lvl, 0) for lvl in LEVEL_ORDER}
    assert counts[LAST_OLD_DAY] == {"province": 63, "district": 696, "commune": 10035}, counts
    assert counts[REFORM] == {"province": 34, "district": 0, "commune": 3321}, counts
    types = {day: dict(sorted(collections.Counter(u["type"] for u in active_on(units, day)
                                                  if u["level"] == "commune").items()))
             for day in (LAST_OLD_DAY, REFORM)}
    # parents exist on the unit's first and last day
    idx = collections.defaultdict(list)
    for u in units:
        idx[u["code"]].append(u)
    for u in units:
        if u["parent_code"]:
            for day in {u["valid_from"] or "2000-01-01", u["valid_to"] or "2100-01-01"}:
                assert any((p["valid_from"] or "0000") <= day <= (p["valid_to"] or "9999")
                           for p in idx[u["parent_code"]]), (u, day)
    # every unit in force on 2025-06-30 maps to >= 1 unit of 2025-07-01, exactly one main
    olds = {(u["code"], u["level"]) for u in active_on(units, LAST_OLD_DAY) if u["valid_to"] == LAST_OLD_DAY}
    edges = collections.defaultdict(list)
    for x in xwalk:
        if x["effective"] == REFORM:
            edges[(x["old_code"], x["old_level"])].append(x)
    communes_old = {k for k in olds if k[1] == "commune"}
    assert all(k in edges for k in communes_old)
    assert all(sum(e["is_main"] == "1" for e in v) == 1 for v in edges.values())
    news = {u["code"] for u in active_on(units, REFORM) if u["level"] == "commune"}
    assert news == {x["new_code"] for x in xwalk if x["effective"] == REFORM and x["new_level"] == "commune"}
    for a in aliases:
        assert a["canonical_code"] in idx
    n_succ = collections.Counter(len(v) for k, v in edges.items() if k[1] == "commune")
    return {
        "rows": {"units": len(units), "crosswalk": len(xwalk), "aliases": len(aliases)},
        "in_force": counts,
        "commune_types": types,
        "communes_by_number_of_successors": dict(sorted(n_succ.items())),
        "source_rows": {"admin_units_legacy": n_legacy, "admin_units": n_new},
    }


# ---------------------------------------------------------------- output
def to_csv(rows: list[dict], fields: list[str], plain: bool = False) -> bytes:
    """CSV bytes; ``plain``: no field may need quoting (the loader then splits lines on commas)."""
    if plain:
        bad = [r for r in rows for k in fields if any(ch in r[k] for ch in ',"\r\n')]
        assert not bad, f"fields needing quotes: {bad[:3]}"
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r[k] for k in fields})
    return buf.getvalue().encode("utf-8")


def outputs(tables, stats) -> dict[str, bytes]:
    files = {}
    for name, fields in (("units", UNIT_FIELDS), ("crosswalk", XWALK_FIELDS), ("aliases", ALIAS_FIELDS)):
        data = to_csv(tables[name], fields, plain=name != "aliases")
        files[f"{name}.csv"] = data
    manifest = {
        "inputs": {
            "vietnamadminunits": {"version": PINS["vietnamadminunits"]["version"], "licence": "MIT",
                                  "files": PINS["vietnamadminunits"]["files"]},
            "vietnam-provinces": {"version": PINS["vietnam-provinces"]["version"],
                                  "use": "alias codes and cross-check only"},
            "scripts/registry-sources/hue-units-2023-2025.csv": HUE_CSV_SHA256,
        },
        "stats": stats,
        "outputs": {k: {"bytes": len(v), "sha256": hashlib.sha256(v).hexdigest()} for k, v in sorted(files.items())},
    }
    files["MANIFEST.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    return files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "danvan" / "reference" / "data")
    ap.add_argument("--check", action="store_true", help="fail if the files in --out differ from a rebuild")
    args = ap.parse_args(argv)
    tables, stats = build()
    files = outputs(tables, stats)
    if args.check:
        bad = [n for n, b in files.items() if not (args.out / n).is_file() or (args.out / n).read_bytes() != b]
        if bad:
            print("out of date:", ", ".join(bad), file=sys.stderr)
            return 1
        print("registry data up to date")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for n, b in files.items():
        (args.out / n).write_bytes(b)
    print(json.dumps(stats["in_force"], indent=1))
    for n in sorted(files):
        print(f"{len(files[n]):>9,d}  {args.out / n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
