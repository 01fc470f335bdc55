"""A synthetic national run for the portal's size test and benchmark: 34 provinces, 3,321 communes
× 3 years (the real national registry is being integrated separately).

A worst case for the data file on purpose: every commune has a report each year in all four formats
and a trend in the last year, every province a summary each year; reports carry the 11 key figures;
most priors are the previous year's record, but the first year's priors are explicit values, and so
are half the priors of renamed units; 5 % of the communes were renamed on 2025-07-01 (two names to
search and show), 0.5 % of the reports failed, 1 % had no data.
"""

from __future__ import annotations

import datetime as _dt
import random

from danvan.reference.units import Unit, UnitRegistry

YEARS = (2023, 2024, 2025)
N_COMMUNES = 3321
# the 34 provinces and centrally-run cities from 2025-07-01 (codes as in the GSO list)
PROVINCES = [
    ("01", "Thành phố Hà Nội"), ("04", "Tỉnh Cao Bằng"), ("08", "Tỉnh Tuyên Quang"), ("11", "Tỉnh Điện Biên"),
    ("12", "Tỉnh Lai Châu"), ("14", "Tỉnh Sơn La"), ("15", "Tỉnh Lào Cai"), ("19", "Tỉnh Thái Nguyên"),
    ("20", "Tỉnh Lạng Sơn"), ("22", "Tỉnh Quảng Ninh"), ("24", "Tỉnh Bắc Ninh"), ("25", "Tỉnh Phú Thọ"),
    ("31", "Thành phố Hải Phòng"), ("33", "Tỉnh Hưng Yên"), ("37", "Tỉnh Ninh Bình"), ("38", "Tỉnh Thanh Hóa"),
    ("40", "Tỉnh Nghệ An"), ("42", "Tỉnh Hà Tĩnh"), ("44", "Tỉnh Quảng Trị"), ("46", "Thành phố Huế"),
    ("48", "Thành phố Đà Nẵng"), ("51", "Tỉnh Quảng Ngãi"), ("52", "Tỉnh Gia Lai"), ("56", "Tỉnh Khánh Hòa"),
    ("66", "Tỉnh Đắk Lắk"), ("68", "Tỉnh Lâm Đồng"), ("75", "Tỉnh Đồng Nai"), ("79", "Thành phố Hồ Chí Minh"),
    ("80", "Tỉnh Tây Ninh"), ("82", "Tỉnh Đồng Tháp"), ("86", "Tỉnh Vĩnh Long"), ("91", "Tỉnh An Giang"),
    ("92", "Thành phố Cần Thơ"), ("96", "Tỉnh Cà Mau"),
]
SYLLABLES = (
    "An Bình Hòa Phú Tân Thạnh Long Hưng Đông Tây Nam Bắc Trung Vĩnh Thuận Hương Thủy Quảng Đức Mỹ "
    "Phước Hiệp Lộc Xuân Hải Sơn Cẩm Kim Ngọc Đại Gia Yên Thái Thượng Hạ Nghĩa Lương Quang Minh Thành "
    "Tiến Hợp Nhơn Điền Khánh Lạc Hoàng Ninh Định Triệu Hiếu Cường Thịnh Vạn Tường Đồng Châu Giang Hồ "
    "Lâm Tùng Trà Ea Krông Mường Nà Bản Pác Chiềng Tà Nậm Khê Cầu Chợ Bến Cửa Dương Đúc Thọ Mậu Dạ"
).split()
KEYS = ["REV_TOTAL", "REV_PCT_ESTIMATE", "CULT_FAMILIES_PCT", "POOR_HOUSEHOLDS", "DVK_GROUPS",
        "HI_VOLUNTARY_PCT", "SEC_REPORTS", "ADMIN_SATISFACTION_PCT", "ADMIN_ONTIME_PCT", "EID_ACCOUNTS_PCT",
        "CIT_PETITIONS"]
FORMATS = ("html", "pdf", "docx", "ipynb")


def _values(rnd: random.Random) -> dict:
    v = {
        "REV_TOTAL": str(rnd.randrange(2_000_000_000, 40_000_000_000, 1000)),
        "REV_PCT_ESTIMATE": str(rnd.randint(70, 210)),
        "CULT_FAMILIES_PCT": f"{rnd.uniform(80, 99.9):.1f}",
        "POOR_HOUSEHOLDS": str(rnd.randint(0, 450)),
        "DVK_GROUPS": str(rnd.randint(0, 25)),
        "HI_VOLUNTARY_PCT": f"{rnd.uniform(55, 99.99):.2f}",
        "SEC_REPORTS": str(rnd.randint(3, 140)),
        "ADMIN_SATISFACTION_PCT": str(rnd.randint(82, 100)),
        "ADMIN_ONTIME_PCT": str(rnd.randint(75, 100)),
        "EID_ACCOUNTS_PCT": f"{rnd.uniform(40, 97):.2f}",
        "CIT_PETITIONS": str(rnd.randint(0, 45)),
    }
    for k in KEYS:  # ~2% of figures not reported
        if rnd.random() < 0.02:
            v[k] = None
    return v


def _unit(code, name, type_, parent, level, valid_from="", valid_to="") -> Unit:
    return Unit(code=code, name=name, type=type_, parent_code=parent, level=level,
                valid_from=_dt.date.fromisoformat(valid_from) if valid_from else None,
                valid_to=_dt.date.fromisoformat(valid_to) if valid_to else None,
                successor_code="", source="synthetic (tests/_national.py)")


def generate(seed: int = 2025, n_communes: int = N_COMMUNES, years=YEARS) -> tuple[dict, UnitRegistry]:
    """(manifest ``{"danvan": …, "reports": {label: record}}``, unit registry)."""
    rnd = random.Random(seed)
    units: list[dict] = []
    for code, name in PROVINCES:
        units.append(_unit(code, name, "Thành phố" if name.startswith("Thành phố") else "Tỉnh", "", "province"))
    weights = [rnd.uniform(0.5, 1.5) for _ in PROVINCES]
    total = sum(weights)
    counts = [max(20, round(n_communes * w / total)) for w in weights]
    counts[-1] += n_communes - sum(counts)
    communes = []
    next_code = 4
    special = 13  # "Đặc khu" (island special zones)
    for (pcode, pname), n in zip(PROVINCES, counts):
        used: set[str] = set()
        for _ in range(n):
            while True:
                base = f"{rnd.choice(SYLLABLES)} {rnd.choice(SYLLABLES)}"
                if base not in used:
                    used.add(base)
                    break
            r = rnd.random()
            if special and r < 0.004:
                t, special = "Đặc khu", special - 1
            else:
                t = "Phường" if r < 0.2 else "Xã"
            code = f"{next_code:05d}"
            next_code += rnd.choice((3, 3, 3, 6, 9))
            communes.append((code, f"{t} {base}", t, pcode, pname))
    renamed = {}
    for code, name, t, pcode, _pname in communes:
        if rnd.random() < 0.05:  # renamed (or code reused by a merger) on 2025-07-01
            old = f"{t} {rnd.choice(SYLLABLES)} {rnd.choice(SYLLABLES)}"
            units.append(_unit(code, old, t, pcode, "commune", valid_to="2025-06-30"))
            units.append(_unit(code, name, t, pcode, "commune", valid_from="2025-07-01"))
            renamed[code] = old
        else:
            units.append(_unit(code, name, t, pcode, "commune"))

    reports: dict[str, dict] = {}
    prev_vals: dict[str, dict] = {}
    ill_of = {c[0]: rnd.random() < 0.6 for c in communes}
    finished = "2026-12-01T08:00:00+00:00"
    for y in years:
        for code, name, _t, _pcode, _pname in communes:
            label = f"{y}/{code}/report"
            ill = ill_of[code] if rnd.random() > 0.03 else not ill_of[code]
            r = rnd.random()
            status = "failed" if r < 0.005 else "no-data" if r < 0.015 else "ok"
            shown_name = renamed.get(code, name) if y < 2025 else name
            rec = {"status": status, "title": f"Báo cáo công tác Dân vận Chính quyền năm {y} – {shown_name}",
                   "params": {"unit_code": code, "year": y}, "finished": finished,
                   "provenance": {"illustrative": ill}, "label": label}
            if status == "ok":
                rec["files"] = {f: f"{y}/{code}/report.{f}" for f in FORMATS}
                vals = _values(rnd)
                figs = {"values": vals}
                prev = prev_vals.get(code)
                if y == years[0]:
                    if rnd.random() < 0.7:  # prior from the year before the portal: explicit values
                        figs["prior"], figs["prior_year"] = _values(rnd), y - 1
                elif prev is not None and prev[1] == ill:
                    if code in renamed and y == 2025 and rnd.random() < 0.5:
                        figs["prior"] = _values(rnd)  # merged unit: prior = sum of predecessors
                    else:
                        figs["prior"] = prev[0]
                    figs["prior_year"] = y - 1
                elif prev is not None:
                    figs["prior_note"] = (f"Không so sánh cùng kỳ: số liệu năm {y - 1} và năm {y} "
                                          "không cùng loại (chính thức/minh họa).")
                rec["figures"] = figs
                prev_vals[code] = (vals, ill)
            elif status == "failed":
                rec["files"] = {"ipynb": f"{y}/{code}/report.ipynb"}
                rec["error"] = "ValueError: thiếu chỉ tiêu bắt buộc REV_TOTAL trong biểu mẫu nhập liệu"
                prev_vals.pop(code, None)
            else:
                rec["files"] = {}
                prev_vals.pop(code, None)
            reports[label] = rec
        for pcode, pname in PROVINCES:
            label = f"{y}/{pcode}/summary"
            reports[label] = {"status": "ok", "title": f"Tổng hợp công tác Dân vận Chính quyền năm {y} – {pname}",
                              "params": {"parent_code": pcode, "year": y}, "finished": finished,
                              "provenance": {"illustrative": True}, "label": label,
                              "files": {f: f"{y}/{pcode}/summary.{f}" for f in ("html", "pdf", "ipynb")},
                              "figures": {"values": _values(rnd)}}
    y = years[-1]
    for code, name, _t, _pcode, _pname in communes:  # a trend for every commune in the last year
        label = f"{y}/{code}/trend"
        reports[label] = {"status": "ok", "title": f"Diễn biến công tác Dân vận Chính quyền {y - 2}–{y} – {name}",
                          "params": {"unit_code": code, "year": y, "first_year": y - 2}, "finished": finished,
                          "provenance": {"illustrative": True}, "label": label,
                          "files": {f: f"{y}/{code}/trend.{f}" for f in ("html", "pdf", "ipynb")}}
    return {"danvan": "synthetic", "reports": reports}, UnitRegistry(units, ["synthetic"])

