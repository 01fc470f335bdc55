"""Quality checks for analysts: ``danvan check`` and the QA block of a report notebook.

The checks, each finding citing the indicator (code and Vietnamese label), the values and the rule:

- **percent**: a stated rate (kind ``percent``) whose catalogue entry names ``numerator`` and
  ``denominator`` must equal numerator / denominator × 100 as the report rounds it. When it does not,
  the **base that would explain it** is searched: every other figure of the unit-year, sums of parts,
  pairs of figures in the denominator's unit, the denominator minus another figure, and the prior
  year's denominator; exact explanations first, then the closest. The range of denominators (and of
  numerators) that would give the stated rate is stated too. (A rate computed on a different total
  is the most common defect of published reports.) Rates sharing a denominator whose ranges overlap
  get one more note: they were probably all computed on the same other total.
- **range**: a negative rate (above 100 % is legitimate: "so với kế hoạch").
- **parts**: parts that do not add up to their total (catalogue ``parts``).
- **yoy**: a change from the prior year beyond the indicator's ``yoy_threshold`` (relative; defaults
  per kind below). Only a comparable prior year is used (see :func:`danvan.indicators.lineage.comparable_prior`).
- **required**: required figures missing.

Severities: ``error`` (the published text would be wrong or incomplete), ``warning`` (worth a look),
``info``. ``danvan check`` exits 1 when there is an error.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from itertools import combinations

from ..core.vnformat import fmt_number, fmt_percent, round_half_up
from ..reference.catalogue import catalogue_paths
from .figures import Figures, load_figures

__all__ = ["Finding", "check_figures", "check_unit_year", "explain_rate", "DEFAULT_YOY_THRESHOLD", "SEVERITY_VI"]

SEVERITY_VI = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Lưu ý"}
_ORDER = {"error": 0, "warning": 1, "info": 2}
# relative change (1.0 = 100 %) above which a year-over-year change is flagged, when the catalogue
# sets no yoy_threshold for the indicator
DEFAULT_YOY_THRESHOLD = {"count": 1.0, "amount": 1.0, "percent": 0.25, "derived": 0.25}
MIN_COUNT_CHANGE = 5  # a count moving by fewer units is never a "jump" (2 -> 5 is +150 %)
MAX_CANDIDATES = 3
CLOSE_SHARE = Decimal("0.25")  # a base is "close" when its rate is within 25 % of the stated rate


@dataclass
class Finding:
    check: str  # percent | range | parts | yoy | required | shared_base | comparison
    severity: str  # error | warning | info
    code: str
    label: str
    rule: str  # the rule, in Vietnamese
    message: str  # what is wrong, with the values, in Vietnamese
    values: dict = field(default_factory=dict)
    candidates: list = field(default_factory=list)

    def to_json(self) -> dict:
        return json.loads(json.dumps(asdict(self), ensure_ascii=False, default=str))

    def line(self) -> str:
        return f"[{SEVERITY_VI[self.severity]}] {self.code} – {self.label}: {self.message}"


def _n(ind, x: Decimal) -> str:
    """A value as the report writes it, with its unit."""
    if ind.is_rate:
        return fmt_percent(x, ind.decimals if ind.decimals is not None else 2)
    return f"{fmt_number(x, ind.decimals)} {ind.unit}"


def _decimals_of(ind, value: Decimal) -> int:
    if ind.decimals is not None:
        return ind.decimals
    exp = value.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


# ---- the base that explains a stated rate -----------------------------------------------------
def _base_candidates(figs: Figures, ind) -> list[tuple[Decimal, str, tuple[str, ...], bool]]:
    """(value, Vietnamese label, codes, same unit as the denominator) of every total a rate might have
    been computed on."""
    cat = figs.catalogue
    den = cat[ind.denominator]
    vals = {c: v for c, v in figs.values.items() if c in cat and cat[c].integral and v > 0}
    out: list[tuple[Decimal, str, tuple[str, ...]]] = []
    for c, v in vals.items():
        if c in (ind.numerator, ind.denominator):
            continue
        out.append((v, cat[c].label, (c,), cat[c].unit == den.unit))
    for total in cat.indicators.values():  # sums of parts (which may differ from the stated total)
        if total.parts and all(p in figs.values for p in total.parts):
            s = sum((figs.values[p] for p in total.parts), Decimal(0))
            if s > 0 and s != figs.values.get(total.code):
                out.append((s, "tổng các thành phần của " + total.label, tuple(total.parts), total.unit == den.unit))
    same = sorted(c for c in vals if cat[c].unit == den.unit and c not in (ind.numerator, ind.denominator))
    for a, b in combinations(same, 2):
        out.append((vals[a] + vals[b], f"{cat[a].label} + {cat[b].label}", (a, b), True))
    if ind.denominator in vals:
        for c in same + [ind.numerator]:
            if c in vals and vals[ind.denominator] > vals[c]:
                out.append((vals[ind.denominator] - vals[c], f"{den.label} − {cat[c].label}",
                            (ind.denominator, c), True))
    if figs.prior is not None and figs.prior.get(ind.denominator):
        out.append((figs.prior[ind.denominator], f"{den.label} năm {figs.year - 1}",
                    (f"{ind.denominator}@{figs.year - 1}",), True))
    return out


def explain_rate(num: Decimal, stated: Decimal, decimals: int, candidates) -> dict:
    """Which bases give ``stated`` (rounded half-up to ``decimals``) for ``num``.

    ``candidates`` are ``(base, label, codes[, comparable])``; a base in another unit than the
    denominator (``comparable`` False) is reported only when it explains the rate exactly.
    Returns ``{"base_range": (lo, hi) | None, "matches": [...], "closest": [...]}``; each match is
    ``{"base", "label", "codes", "rate", "exact"}``, exact matches first, then the closest rates.
    """
    half = Decimal(1).scaleb(-decimals) / 2
    lo = num * 100 / (stated + half) if stated + half > 0 else None
    hi = num * 100 / (stated - half) if stated - half > 0 else None
    scored = []
    seen = set()
    for base, label, codes, *rest in candidates:
        if base <= 0 or (base, codes) in seen:
            continue
        seen.add((base, codes))
        rate = num * 100 / base
        exact = round_half_up(rate, decimals) == round_half_up(stated, decimals)
        if rest and not rest[0] and not exact:
            continue
        scored.append({"base": base, "label": label, "codes": list(codes), "rate": rate, "exact": exact})
    scored.sort(key=lambda c: (not c["exact"], abs(c["rate"] - stated), c["base"]))
    near = [c for c in scored if c["exact"] or abs(c["rate"] - stated) <= CLOSE_SHARE * abs(stated)]
    return {"base_range": (lo, hi), "matches": [c for c in scored if c["exact"]], "closest": near[:MAX_CANDIDATES]}


def _range_text(lo, hi, unit: str) -> str:
    a = None if lo is None else math.floor(lo) + 1 if lo == int(lo) else math.ceil(lo)
    b = None if hi is None else math.floor(hi)
    if a is None or b is None:
        return ""
    if a > b:
        return f"không có mẫu số nguyên nào (khoảng {fmt_number(round_half_up(lo, 2))}–{fmt_number(round_half_up(hi, 2))})"
    if a == b:
        return f"{fmt_number(a)} {unit}"
    return f"từ {fmt_number(a)} đến {fmt_number(b)} {unit}"


def _check_percent(figs: Figures, ind, out: list[Finding], ranges: dict) -> None:
    cat = figs.catalogue
    stated = figs.values.get(ind.code)
    if stated is None:
        return
    if stated < 0:  # (above 100 is legitimate for "so với kế hoạch/dự toán" rates)
        out.append(Finding("range", "error", ind.code, ind.label, "Tỷ lệ không thể là số âm.",
                           f"Tỷ lệ nêu {_n(ind, stated)} là số âm.", {"stated": stated}))
    if not (ind.numerator and ind.denominator):
        return
    num, den = figs.values.get(ind.numerator), figs.values.get(ind.denominator)
    n_ind, d_ind = cat[ind.numerator], cat[ind.denominator]
    if num is None or den is None or den == 0:
        return
    dec = _decimals_of(ind, stated)
    computed = num * 100 / den
    rule = (f"Tỷ lệ nêu phải bằng {n_ind.label} / {d_ind.label} × 100, làm tròn đến {dec} chữ số thập phân.")
    if round_half_up(computed, dec) == round_half_up(stated, dec):
        return
    ex = explain_rate(num, stated, dec, _base_candidates(figs, ind))
    lo, hi = ex["base_range"]
    ranges[ind.code] = (lo, hi)
    msg = (f"Tỷ lệ nêu {fmt_percent(stated, dec)} nhưng {fmt_number(num)} / {fmt_number(den)} × 100 = "
           f"{fmt_percent(computed, max(dec, 2))}.")
    rng = _range_text(lo, hi, d_ind.unit)
    if rng:
        msg += f" Mẫu số cho đúng tỷ lệ nêu: {rng} (thay vì {fmt_number(den)} {d_ind.unit})."
    half = Decimal(1).scaleb(-dec) / 2
    if n_ind.integral:
        a, b = math.ceil((stated - half) * den / 100), math.ceil((stated + half) * den / 100) - 1
        if a <= b:
            nums = fmt_number(a) if a == b else f"từ {fmt_number(a)} đến {fmt_number(b)}"
            msg += f" Hoặc tử số phải là {nums} {n_ind.unit} (thay vì {fmt_number(num)})."
    if ex["matches"]:
        msg += " Mẫu số giải thích được tỷ lệ nêu: " + "; ".join(
            f"{c['label']} ({fmt_number(c['base'])})" for c in ex["matches"][:MAX_CANDIDATES]) + "."
    elif ex["closest"]:
        msg += " Không có số liệu nào của đơn vị giải thích đúng tỷ lệ nêu; gần nhất: " + "; ".join(
            f"{c['label']} ({fmt_number(c['base'])} → {fmt_percent(c['rate'], max(dec, 2))})" for c in ex["closest"]) + "."
    out.append(Finding(
        "percent", "error", ind.code, ind.label, rule, msg,
        {"stated": stated, "numerator": num, "denominator": den, "computed": computed,
         "base_range": [lo, hi]},
        [{k: c[k] for k in ("label", "codes", "base", "rate", "exact")} for c in (ex["matches"] or ex["closest"])],
    ))


def _check_shared_base(figs: Figures, ranges: dict, out: list[Finding]) -> None:
    """Several mismatched rates on one denominator, explained by one common other total."""
    cat = figs.catalogue
    by_den: dict[str, list[str]] = {}
    for code in ranges:
        by_den.setdefault(cat[code].denominator, []).append(code)
    for den, codes in by_den.items():
        if len(codes) < 2:
            continue
        los = [ranges[c][0] for c in codes]
        his = [ranges[c][1] for c in codes]
        if any(x is None for x in los + his):
            continue
        lo, hi = max(los), min(his)
        rng = _range_text(lo, hi, cat[den].unit) if lo < hi else ""
        if not rng or rng.startswith("không"):
            continue
        labels = "; ".join(cat[c].label for c in codes)
        out.append(Finding(
            "shared_base", "info", den, cat[den].label,
            "Các tỷ lệ có cùng mẫu số phải cùng được tính trên số liệu mẫu số nêu trong báo cáo.",
            f"Các tỷ lệ {labels} đều khớp với một mẫu số chung {rng} (báo cáo nêu "
            f"{fmt_number(figs.values[den])} {cat[den].unit}): có thể các tỷ lệ đã được tính trên một số tổng "
            "khác (ví dụ số liệu kỳ trước).",
            {"rates": codes, "base_range": [lo, hi], "stated_denominator": figs.values[den]},
        ))


def _check_parts(figs: Figures, ind, out: list[Finding]) -> None:
    cat = figs.catalogue
    total = figs.values.get(ind.code)
    present = [p for p in ind.parts if figs.values.get(p) is not None]
    if total is None or not present:
        return
    s = sum((figs.values[p] for p in present), Decimal(0))
    complete = len(present) == len(ind.parts)
    if (complete and s == total) or (not complete and s <= total):
        return
    terms = " + ".join(fmt_number(figs.values[p]) for p in present)
    rule = f"{ind.label} phải bằng tổng các thành phần: " + "; ".join(cat[p].label for p in ind.parts) + "."
    if complete:
        msg = (f"{ind.label}: {_n(ind, total)}; cộng các thành phần: {terms} = {_n(ind, s)} "
               f"(chênh lệch {fmt_number(total - s)}).")
    else:
        msg = f"Các thành phần đã có ({terms} = {_n(ind, s)}) đã vượt tổng {_n(ind, total)}."
    out.append(Finding("parts", "error", ind.code, ind.label, rule, msg,
                       {"total": total, "parts": {p: figs.values[p] for p in present}, "sum": s}))


def _check_yoy(figs: Figures, ind, out: list[Finding]) -> None:
    if ind.signed or figs.prior is None:
        return
    cur, prev = figs.raw(ind.code), figs.prior_raw(ind.code)
    if cur is None or prev is None:
        return
    thr = Decimal(str(ind.yoy_threshold if ind.yoy_threshold is not None else DEFAULT_YOY_THRESHOLD[ind.kind]))
    diff = cur - prev
    if ind.kind == "count" and abs(diff) < MIN_COUNT_CHANGE:
        return
    if prev == 0:
        jump = diff != 0
        rel = None
    else:
        rel = abs(diff) / abs(prev)
        jump = rel > thr
    if not jump:
        return
    fig = figs.fig(ind.code)
    if ind.kind == "amount":
        change = str(fig.growth)
    elif prev == 0:
        change = str(fig.delta)
    else:
        change = f"{fig.delta}; {fig.growth}"
    rule = (f"Thay đổi so với cùng kỳ năm trước không quá {fmt_number(thr * 100)}% "
            f"({'ngưỡng riêng của chỉ tiêu' if ind.yoy_threshold is not None else 'ngưỡng mặc định'}); "
            "vượt ngưỡng thì cần kiểm tra lại số liệu hoặc giải thích trong báo cáo.")
    msg = f"Năm {figs.year - 1}: {_n(ind, prev)}; năm {figs.year}: {_n(ind, cur)} ({change})."
    out.append(Finding("yoy", "warning", ind.code, ind.label, rule, msg,
                       {"prior": prev, "current": cur, "relative_change": rel, "threshold": thr}))


def check_figures(figs: Figures) -> list[Finding]:
    """Every finding for one unit-year (``figs`` with its comparable prior year, if any)."""
    out: list[Finding] = []
    ranges: dict = {}
    cat = figs.catalogue
    for ind in cat.indicators.values():
        if ind.required and figs.raw(ind.code) is None:
            out.append(Finding("required", "error", ind.code, ind.label, "Chỉ tiêu bắt buộc phải có số liệu.",
                               "Chưa có số liệu; báo cáo sẽ ghi “chưa có số liệu”.", {}))
        if ind.kind == "percent":
            _check_percent(figs, ind, out, ranges)
        if ind.parts:
            _check_parts(figs, ind, out)
        _check_yoy(figs, ind, out)
    _check_shared_base(figs, ranges, out)
    if figs.prior is None and figs.prior_note:
        out.append(Finding("comparison", "info", "-", "So sánh cùng kỳ",
                           "Chỉ so sánh với năm trước khi số liệu hai năm cùng loại (chính thức/minh họa).",
                           figs.prior_note, {}))
    elif figs.prior_note:
        out.append(Finding("comparison", "info", "-", "So sánh cùng kỳ",
                           "Số liệu cùng kỳ của đơn vị mới thành lập là tổng của các đơn vị tiền thân.",
                           figs.prior_note, {}))
    order = {c: i for i, c in enumerate(cat.indicators)}
    out.sort(key=lambda f: (_ORDER[f.severity], order.get(f.code, len(order)), f.check))
    return out


def check_unit_year(unit_code: str, year: int, *, db=None, data_dir=None, catalogue_files=(),
                    unit_files=()) -> tuple[Figures, list[Finding]]:
    figs = load_figures(unit_code, int(year), db=db or None, data_dir=data_dir or None,
                        catalogue_files=catalogue_paths(catalogue_files), unit_files=unit_files)
    return figs, check_figures(figs)
