"""Units outside Huế with the figures of a published text of ../shared/reports/, as written there:
what the end-to-end CLI tests (tests/test_provinces.py) type into the generated forms.

Each entry: unit code, report year, the text it comes from, the profile the unit gets by its province
(None: the national base), and the cells — indicator code -> (value cell as written, "Mức độ" cell).
"""

from __future__ import annotations

# 08 — Xã Long Hiệp (Vĩnh Long), dân vận chính quyền 2025 (the commune portal's figures of its report)
LONG_HIEP = {
    "unit": "29506", "year": 2025, "text": "08_long-hiep-xa-vinh-long-dvcq-2025-secondary.txt",
    "profile": "vinh-long",
    "cells": {
        "AREA_NATURAL_HA": ("6.516,77", ""),
        "CULT_GROUPS_TOTAL": ("22 ấp", ""),
        "POP_HOUSEHOLDS": ("7.337", ""),
        "POP_PEOPLE": ("30.272 người", ""),
        "ETHNIC_KHMER_HH_PCT": ("80,45", ""),
        "DIST_TO_PROVINCE_KM": ("15", "khoảng"),
        "ADMIN_PROCEDURES": ("410 TTHC", ""),
        "SCHOOLS": ("13", ""),
        "SCHOOLS_UPPER_SECONDARY": ("01", ""),
        "SCHOOLS_LOCAL": ("12", ""),
        "HEALTH_STATIONS": ("01", ""),
        "PAGODAS": ("16", ""),
        "PAGODAS_MAHAYANA": ("03", ""),
        "PAGODAS_KHMER_THERAVADA": ("13", ""),
        "POOR_HOUSEHOLDS": ("154", ""),
        "POOR_HH_PCT": ("2,1", ""),
        "POOR_NEAR_HOUSEHOLDS": ("123", ""),
        "POOR_NEAR_HH_PCT": ("1,69", ""),
        "INCOME_PER_CAPITA": ("70,62 triệu", ""),
        "ADMIN_PAR_INDEX": ("93", "từ … trở lên"),
        "ADMIN_SATISFACTION_INDEX": ("93+", ""),
        "CLEAN_WATER_HH_PCT": ("100%", ""),
        "ELECTRICITY_HH_PCT": ("99%", ""),
    },
    "texts": {"I": "Xã tiếp tục quán triệt công tác dân vận, đề cao trách nhiệm người đứng đầu, tăng đối thoại "
                   "trực tiếp và phối hợp chặt chẽ với Mặt trận Tổ quốc, các đoàn thể."},
}

# 16 — Xã Phú Thạnh (huyện Phú Tân, An Giang), tổng kết công tác Dân vận - Mặt trận năm 2024
PHU_THANH = {
    "unit": "30427", "year": 2024, "text": "16_phu-thanh-xa-an-giang-dan-van-mat-tran-2024.txt",
    "profile": "an-giang",
    "cells": {
        "FUND_SPRING_TREE_AMOUNT": ("300 triệu", "trên"),
        "GIFT_PORTIONS": ("trên 1350 phần quà", ""),
        "HOUSES_SOLIDARITY": ("28 căn", ""),
        "HOUSES_SOLIDARITY_AMOUNT": ("gần 2 tỷ", ""),
        "COMMEND_COLLECTIVES": ("04", ""),
        "COMMEND_INDIVIDUALS": ("08", ""),
    },
    "texts": {},
}

# 14 — Huyện Xuyên Mộc (Bà Rịa – Vũng Tàu), dân vận 2024: the district's figures, filed under one of its
# communes (Thị trấn Phước Bửu) for the commune-level report; BR-VT has no profile of its own (base),
# the second gift programme needs a user's profile file (XUYEN_MOC_PROFILE)
XUYEN_MOC = {
    "unit": "26620", "year": 2024, "text": "14_xuyen-moc-huyen-ba-ria-vung-tau-dan-van-2024.txt",
    "profile": None,
    "cells": {
        "DVK_MODELS": ("342", ""),
        "DVK_MODELS_COMMENDED": ("18", ""),
        "DVK_EXEMPLARS": ("1", ""),
        "GIFT_PORTIONS": ("hơn 9.500 phần quà", ""),
        "GIFT_AMOUNT": ("5 tỷ", "gần"),
        "GIFT_EMERGENCY_PORTIONS": ("hơn 17 ngàn suất", ""),
        "GIFT_EMERGENCY_AMOUNT": ("hơn 8 tỷ đồng", ""),
    },
    "texts": {},
}

XUYEN_MOC_PROFILE = """\
# A user's profile file (no Python): the national base, plus the help given to families in sudden
# hardship that Huyện Xuyên Mộc reports beside its gifts (Báo Bà Rịa – Vũng Tàu, 12/2024).
profile: xuyen-moc-2024
version: "2024.1"
title: "Báo cáo công tác dân vận – Xuyên Mộc"
extends: base
applies_to:
  - units: ["26620"]
templates: templates
sections:
  - code: "II.hotro"
    part: "II"
    title: "Giúp đỡ đột xuất hoàn cảnh khó khăn"
    narrative: true
    after: "II.vandong"
indicators:
  - code: GIFT_EMERGENCY_PORTIONS
    label: "Số suất quà giúp đỡ đột xuất hoàn cảnh khó khăn"
    unit: "suất"
    section: "II.hotro"
    kind: count
    unit_aliases: [suất quà, phần quà]
  - code: GIFT_EMERGENCY_AMOUNT
    label: "Tổng giá trị quà giúp đỡ đột xuất"
    unit: "đồng"
    section: "II.hotro"
    kind: amount
"""

XUYEN_MOC_TEMPLATE = """\
{%- if not v.GIFT_EMERGENCY_PORTIONS.missing -%}
Giúp đỡ đột xuất cho những hoàn cảnh khó khăn {{ v.GIFT_EMERGENCY_PORTIONS.u }} quà{% if not v.GIFT_EMERGENCY_AMOUNT.missing %} với tổng giá trị {{ v.GIFT_EMERGENCY_AMOUNT.u }}{% endif %}.
{%- endif %}
"""

ALL = {"long-hiep": LONG_HIEP, "phu-thanh": PHU_THANH, "xuyen-moc": XUYEN_MOC}
FORBIDDEN = ("Thừa Thiên Huế", "Huế", "Phường Đúc", "Nguyễn Hoàng")
