"""Quality checks for analysts: ``danvan check`` and the QA block of a report notebook.

The checks, each finding citing the indicator (code and Vietnamese label), the values and the rule:

- **percent**: a stated rate (kind ``percent``) whose catalogue entry names ``numerator`` and
  ``denominator`` must equal numerator / denominator × 100 as the report rounds it. When it does not,
  the **base that would explain it** is searched: every other figure of the unit-year, sums of parts,
  pairs of figures in the denominator's unit, the denominator minus another figure, and the prior
  year's denominator; exact explanations first, then the closest. The range of denominators (and of
  numerators) that would give the stated rate is stated too. (A rate computed on a different total
  is the most common defect of published reports.)
- **shared_base**: several stated rates on one total that disagree with it: the common base that
  explains most of them is named (a range of whole numbers, with any figure of the unit in it), even
  when one rate fits neither it nor the stated total.
- **base**: a base that differs from the unit's own total of the same thing (households, residents,
  villages — the catalogue's ``counts`` / ``unit_total``): a value written "456/457 hộ" whose 457 is
  not the unit's household count, a rate computed on another count of households, or a stated rate
  whose numerator counts households and whose implied base is not the unit's; both numbers are given.
- **no_base**: a stated rate whose base has no value (none declared, or none given): it cannot be
  checked (a warning when it is an outlier: a share above 100 %, a rate "so với kế hoạch" above 200 %).
- **range**: a negative rate (above 100 % is legitimate: "so với kế hoạch").
- **parts**: parts that do not add up to their total (catalogue ``parts``).
- **yoy**: a change from the prior year beyond the indicator's ``yoy_threshold`` (relative; defaults
  per kind below). Only a comparable prior year is used (see :func:`danvan.indicators.lineage.comparable_prior`).
- **required**: required figures missing.

A value its unit wrote as a bound or a range ("hơn 9.500", "10–12%") is compared as the interval it
allows: a bound is never a false mismatch.

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
from ..core.written import INF, Bounds, bounds, to_text
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
# A rate "so với kế hoạch" (share: false) above this with no base is the outlier QA most needs a base
# for ("thu ngân sách đạt 850 %"); a share above 100 % always is.
OUTLIER_VS_PLAN = Decimal(200)


@dataclass
class Finding:
    check: str  # percent | range | parts | yoy | required | shared_base | base | no_base | comparison
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


def _decimals_of(ind, value: Decimal, written=None) -> int:
    """The precision a stated rate was written with: its own decimals ("2,1%" is 2,1 ± 0,05 even when
    the catalogue prints rates with two), at most the catalogue's."""
    if written is not None:
        return written.decimals
    exp = value.normalize().as_tuple().exponent
    own = max(0, -exp) if isinstance(exp, int) else 0
    return own if ind.decimals is None else min(own, ind.decimals)


def _bounds(figs: Figures, code: str) -> Bounds:
    """Where the true value of ``code`` lies: exactly its value, or the interval its writing allows."""
    wv = figs.written_value(code)
    v = figs.raw(code)
    return Bounds(v, v) if wv is None else bounds(wv)


def _text(figs: Figures, code: str) -> str:
    """A value as its unit wrote it, with its unit ("hơn 9.500 phần quà", "6,9%")."""
    return str(figs.fig(code).u)


def _exact(figs: Figures, *codes) -> bool:
    return all(figs.written_value(c) is None for c in codes)


def _int_range(lo, hi) -> tuple[int, int] | None:
    """The whole numbers strictly between ``lo`` and ``hi`` (an end that is a whole number excluded, as
    :func:`_range_text` does); None when there are none or an end is open."""
    if lo is None or hi is None or hi == INF:
        return None
    a = math.floor(lo) + 1 if lo == int(lo) else math.ceil(lo)
    b = math.floor(hi)
    return (a, b) if a <= b else None


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
    dec = _decimals_of(ind, stated, figs.written_value(ind.code))
    computed = num * 100 / den
    rule = (f"Tỷ lệ nêu phải bằng {n_ind.label} / {d_ind.label} × 100, làm tròn đến {dec} chữ số thập phân.")
    if round_half_up(computed, dec) == round_half_up(stated, dec):
        ranges[ind.code] = (*explain_rate(num, stated, dec, [])["base_range"], True, ind.denominator)
        return
    if not _exact(figs, ind.code, ind.numerator, ind.denominator):
        half = Decimal(1).scaleb(-dec) / 2
        allowed = _bounds(figs, ind.numerator).rate_over(_bounds(figs, ind.denominator))
        if allowed.overlaps(_bounds(figs, ind.code).widen(half)):
            return  # a bound ("hơn 100 hộ") or a range that allows the stated rate: no mismatch
    ex = explain_rate(num, stated, dec, _base_candidates(figs, ind))
    lo, hi = ex["base_range"]
    ranges[ind.code] = (lo, hi, False, ind.denominator)
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


def _best_common_base(spans: dict[str, tuple[int, int]]) -> tuple[tuple[int, int], list[str]] | None:
    """The whole-number range covered by the most of ``spans`` (code -> (a, b)), by a sweep over their
    ends; ties: the narrowest, then the lowest. Returns ``((a, b), codes covering it)``."""
    points = sorted({a for a, _b in spans.values()} | {b + 1 for _a, b in spans.values()})
    best = None
    for p, q in zip(points, points[1:]):
        cover = [c for c, (a, b) in spans.items() if a <= p and q - 1 <= b]
        if cover and (best is None or (len(cover), p - q) > (len(best[1]), best[0][0] - best[0][1] - 1)):
            best = ((p, q - 1), cover)
    if best is None:
        return None
    cover = best[1]  # the common range: the intersection of the spans that cover the best stretch
    return (max(spans[c][0] for c in cover), min(spans[c][1] for c in cover)), cover


def _check_shared_base(figs: Figures, ranges: dict, out: list[Finding]) -> None:
    """Several stated rates on one total that disagree with it: the common other base that explains
    most of them (even when one rate fits neither it nor the stated total)."""
    cat = figs.catalogue
    by_den: dict[str, list[str]] = {}
    for code, (_lo, _hi, _fits, den) in ranges.items():
        by_den.setdefault(den, []).append(code)
    for den, codes in by_den.items():
        fits = [c for c in codes if ranges[c][2]]
        if len(codes) < 2 or len(fits) == len(codes):
            continue
        spans = {c: r for c in codes if (r := _int_range(ranges[c][0], ranges[c][1]))}
        found = _best_common_base(spans) if spans else None
        if found is None:
            continue
        (a, b), explained = found
        t, unit = figs.values[den], cat[den].unit
        if len(explained) < 2 or len(explained) <= len(fits) or a <= t <= b:
            continue
        rng = f"{fmt_number(a)} {unit}" if a == b else f"từ {fmt_number(a)} đến {fmt_number(b)} {unit}"
        labels = "; ".join(cat[c].label for c in explained)
        msg = (f"Các tỷ lệ {labels} đều khớp với một mẫu số chung {rng} (báo cáo nêu {fmt_number(t)} {unit}): "
               "có thể các tỷ lệ đã được tính trên một số tổng khác (ví dụ số liệu kỳ trước).")
        both = [c for c in explained if ranges[c][2]]
        if both:
            msg += (" (" + "; ".join(cat[c].label for c in both) + f" khớp cả với {fmt_number(t)} {unit}; "
                    "các tỷ lệ còn lại thì không.)")
        neither = [c for c in codes if c not in explained and not ranges[c][2]]
        if neither:
            msg += (" Tỷ lệ không khớp cả mẫu số chung này lẫn số liệu báo cáo nêu: "
                    + "; ".join(f"{cat[c].label} ({_text(figs, c)})" for c in neither) + ".")
        inside = [(cat[c].label, v) for c, v in figs.values.items()
                  if c != den and c in cat and cat[c].unit == unit and not cat[c].is_rate and a <= v <= b]
        prior = figs.prior.get(den) if figs.prior else None
        if prior is not None and a <= prior <= b:
            inside.append((f"{cat[den].label} năm {figs.year - 1}", prior))
        if inside:
            msg += " Số liệu của đơn vị nằm trong khoảng đó: " + "; ".join(
                f"{label} ({fmt_number(v)} {unit})" for label, v in inside) + "."
        out.append(Finding(
            "shared_base", "info", den, cat[den].label,
            "Các tỷ lệ có cùng mẫu số phải cùng được tính trên số liệu mẫu số nêu trong báo cáo.", msg,
            {"rates": explained, "base_range": [a, b], "stated_denominator": t, "fits_stated": fits,
             "fits_neither": neither},
        ))


def _unit_total(cat, counts: str, exclude: str = ""):
    """The indicator that is the unit's own total of ``counts`` ("households" -> POP_HOUSEHOLDS)."""
    if not counts:
        return None
    return next((i for i in cat.indicators.values() if i.unit_total and i.counts == counts and i.code != exclude),
                None)


def _check_bases(figs: Figures, ind, out: list[Finding], ranges: dict) -> None:
    """Rules (a) — a base other than the unit's own total — and (c) — a stated rate without a base."""
    cat = figs.catalogue
    value = figs.raw(ind.code)
    if value is None:
        return
    wv = figs.written_value(ind.code)
    if wv is not None and wv.denominator is not None:  # written "456/457 hộ": 457 vs the unit's total
        total = cat[ind.base] if ind.base in cat else _unit_total(cat, ind.counts, ind.code)
        t = figs.values.get(total.code) if total is not None else None
        if t is not None and t != wv.denominator:
            severity = "error" if wv.denominator > t and total.unit_total else "warning"
            out.append(Finding(
                "base", severity, ind.code, ind.label,
                f"Mẫu số ghi kèm phải là {total.label} của đơn vị.",
                f"Ghi {to_text(wv)}: mẫu số {fmt_number(wv.denominator)} {ind.unit} khác {total.label} là "
                f"{fmt_number(t)} {total.unit} ({fmt_number(wv.numerator)}/{fmt_number(wv.denominator)} = "
                f"{fmt_percent(wv.numerator * 100 / wv.denominator, 2)}, còn {fmt_number(wv.numerator)}/"
                f"{fmt_number(t)} = {fmt_percent(wv.numerator * 100 / t, 2) if t else '—'}).",
                {"written_base": wv.denominator, "unit_total": t, "total_code": total.code}))
    if not ind.is_rate:
        return
    den = cat[ind.denominator] if ind.denominator in cat else None
    if den is not None and den.counts and not den.unit_total:  # computed on another count of the same thing
        total = _unit_total(cat, den.counts, den.code)
        d, t = figs.values.get(den.code), figs.values.get(total.code) if total is not None else None
        if d is not None and t is not None and d != t:
            out.append(Finding(
                "base", "info", ind.code, ind.label, f"Tỷ lệ so sánh được khi tính trên {total.label}.",
                f"Tỷ lệ tính trên {den.label} ({fmt_number(d)} {den.unit}), khác {total.label} của đơn vị "
                f"({fmt_number(t)} {total.unit}).", {"denominator": d, "unit_total": t, "total_code": total.code}))
    if ind.kind != "percent":
        return
    num = cat[ind.numerator] if ind.numerator in cat else None
    if den is None and num is not None:  # the implied base against the unit's total of what it counts
        total = _unit_total(cat, num.counts, num.code)
        if total is not None and figs.values.get(total.code) is not None and figs.raw(num.code) is not None:
            _implied_base(figs, ind, num, total, out, ranges)
            return
    if den is not None and figs.values.get(den.code) is not None:
        return  # checked against its denominator (the percent check)
    share = ind.share and ind.is_rate
    outlier = value > (100 if share else OUTLIER_VS_PLAN)
    what = f"số liệu «{den.label}»" if den is not None else "số liệu làm mẫu số"
    out.append(Finding(
        "no_base", "warning" if outlier else "info", ind.code, ind.label,
        "Tỷ lệ nêu cần có số liệu mẫu số để kiểm tra.",
        f"Tỷ lệ nêu {_text(figs, ind.code)} nhưng không có {what} nên không kiểm tra được"
        + ("; tỷ lệ trên 100% cần nêu rõ số so sánh (kế hoạch, dự toán, cùng kỳ)" if outlier else "") + ".",
        {"stated": value, "denominator": den.code if den is not None else None}))


def _implied_base(figs: Figures, ind, num, total, out: list[Finding], ranges: dict) -> None:
    """A stated rate of a count with no declared denominator, against the unit's own total."""
    dec = _decimals_of(ind, figs.values[ind.code], figs.written_value(ind.code))
    half = Decimal(1).scaleb(-dec) / 2
    rate, n = _bounds(figs, ind.code).widen(half), _bounds(figs, num.code)
    t = figs.values[total.code]
    lo = n.lo * 100 / rate.hi if rate.hi not in (INF, 0) else None
    hi = n.hi * 100 / rate.lo if rate.lo > 0 and n.hi != INF else None
    fits = n.rate_over(Bounds(t, t)).overlaps(rate)
    ranges[ind.code] = (lo, hi, fits, total.code)
    if fits:
        return
    rng = _range_text(lo, hi, total.unit) if lo is not None and hi is not None else ""
    out.append(Finding(
        "base", "warning", ind.code, ind.label, f"Tỷ lệ phải được tính trên {total.label} của đơn vị.",
        f"Tỷ lệ nêu {_text(figs, ind.code)} nhưng {_text(figs, num.code)} / {fmt_number(t)} {total.unit} × 100 = "
        f"{fmt_percent(figs.raw(num.code) * 100 / t, max(dec, 2))}"
        + (f": tỷ lệ nêu ứng với mẫu số {rng}" if rng else "")
        + f", không phải {total.label} của đơn vị ({fmt_number(t)} {total.unit}).",
        {"stated": figs.values[ind.code], "numerator": figs.raw(num.code), "unit_total": t, "base_range": [lo, hi]}))


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
    if not _exact(figs, ind.code, *present):  # a bound is not a mismatch: compare the intervals
        sb = sum((_bounds(figs, p) for p in present[1:]), _bounds(figs, present[0]))
        tb = _bounds(figs, ind.code)
        if (complete and sb.overlaps(tb)) or (not complete and sb.lo <= tb.hi):
            return
    terms = " + ".join(_text(figs, p) if figs.written_value(p) else fmt_number(figs.values[p]) for p in present)
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
        _check_bases(figs, ind, out, ranges)
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
                    unit_files=(), profile=None) -> tuple[Figures, list[Finding]]:
    figs = load_figures(unit_code, int(year), db=db or None, data_dir=data_dir or None,
                        catalogue_files=catalogue_paths(catalogue_files), unit_files=unit_files, profile=profile)
    return figs, check_figures(figs)
