"""Reproducible illustrative data: by default for the 36 units of Huế city, 2021-2024; for the
communes under any parent unit and any years on request (``danvan setup --demo-parent 01
--demo-years 2024,2025``: Hà Nội's 526 communes of 2024 and its 126 of 2025).

Generated from the reference unit-year (Phường Đúc 2023) with a fixed seed: every unit gets a
size factor, every year a trend, every figure some noise; relations hold (parts sum to totals,
numerators stay below denominators, rates within 0-100). The files are written in the ordinary
unit-directory layout with ``illustrative: true`` in ``report.yaml`` and imported through the same
intake path as real data, so every report built from them carries the "SỐ LIỆU MINH HỌA" banner.
The real reference unit-years are never overwritten.
"""

from __future__ import annotations

import csv
import random
import tempfile
from decimal import Decimal
from pathlib import Path

import yaml

from ..reference.catalogue import Catalogue
from ..reference.profiles import catalogue_for
from ..reference.units import UnitRegistry, load_registry
from ..store import Store, canonical
from .unitdir import import_unit_dir, read_unit_dir, reference_root, reference_unit_years

__all__ = ["SEED", "DEMO_YEARS", "DEMO_PARENT", "demo_unit_years", "generate", "write_demo_dirs", "load_demo"]

# The figures of a unit-year depend only on the seed, its code and its year (not on the parent it
# was generated for), so the Huế demo data stays the same whatever else is generated.

SEED = 20231219
DEMO_YEARS = (2021, 2022, 2023, 2024)
DEMO_PARENT = "474"  # Thành phố Huế
REFERENCE = ("19780", 2023)

# Plausibility pairs the catalogue does not state as ratios: value <= bound.
_AT_MOST = {
    "CULT_GROUPS_ACHIEVED": "CULT_GROUPS_TOTAL",
    "CIT_DAILY_RESOLVED": "CIT_DAILY_PETITIONS",
    "CIT_COMPLAINTS_RETURNED": "CIT_COMPLAINTS",
    "SEC_ORDER_FILED": "SEC_REPORTS_ORDER",
    "SEC_ORDER_RESOLVED": "SEC_REPORTS_ORDER",
    "ADMIN_NEWS_TTHC": "ADMIN_NEWS_CCHC",
    "JOB_YOUTH_HIRED": "JOB_YOUTH_INTRODUCED",
    "SEC_CRIME_VPHC_CASES": "SEC_CRIME_RESOLVED",
    "SEC_ORDER_VPHC_CASES": "SEC_ORDER_RESOLVED",
    "FIRE_GROUPS_TEAMS": "CULT_GROUPS_TOTAL",
    "FIRE_GROUPS_POINTS": "CULT_GROUPS_TOTAL",
    "DVK_GROUPS": "CULT_GROUPS_TOTAL",
}
# Figures that do not scale with the size of the unit (catalogue-wide, per administrative rules).
_FIXED = {"ADMIN_FIELDS", "ADMIN_PROCEDURES", "ADMIN_PROCEDURES_DUPLICATE", "ADMIN_LINKED_PROVINCE_PROCEDURES",
          "ADMIN_LINKED_DISTRICT_FIELDS", "ADMIN_LINKED_DISTRICT_PROCEDURES"}


def demo_unit_years(years=DEMO_YEARS, parent: str = DEMO_PARENT, registry: UnitRegistry | None = None
                    ) -> list[tuple[str, int]]:
    """Every reporting unit under ``parent`` (its communes at any depth, or a commune's own units) in
    each of ``years``, without the reference unit-year. An unknown parent, or one that did not exist
    in one of the years, is an :class:`~danvan.core.errors.UnknownUnitError`."""
    reg = registry or load_registry()
    out = []
    for y in years:
        p = reg.get(parent, int(y))
        out += [(u.code, int(y)) for u in reg.descendants(p.code, int(y), level=reg.reporting_level(p))]
    return [uy for uy in out if uy != REFERENCE]


def _rate(rng: random.Random, ref: Decimal, decimals: int | None) -> Decimal:
    base = float(ref)
    lo, hi = max(0.0, base - 12), min(100.0, base + 4)
    if base >= 99.99:
        lo, hi = 90.0, 100.0
    v = rng.uniform(lo, hi)
    return Decimal(str(round(v, decimals if decimals is not None else 1)))


def generate(unit_code: str, year: int, ref: dict[str, Decimal], cat: Catalogue) -> dict[str, Decimal]:
    """Figures of one illustrative unit-year (deterministic for the same arguments)."""
    rng = random.Random(f"{SEED}:{unit_code}:{year}")
    size = random.Random(f"{SEED}:{unit_code}").lognormvariate(0.0, 0.35)
    trend = 1.0 + 0.06 * (year - 2023)
    out: dict[str, Decimal] = {}
    for ind in cat.data_indicators():
        r = ref.get(ind.code)
        if r is None:
            continue
        if ind.kind == "percent":
            out[ind.code] = _rate(rng, r, ind.decimals)
        elif ind.signed:
            out[ind.code] = Decimal(rng.randint(-12, 6))
        elif ind.code in _FIXED:
            out[ind.code] = r
        else:
            noise = rng.uniform(0.8, 1.2)
            scale = size * (trend if ind.kind == "amount" else 1 + (trend - 1) / 2) * noise
            v = int(round(float(r) * scale, -3 if ind.kind == "amount" and r >= 1_000_000 else 0))
            out[ind.code] = Decimal(max(0, v))
    # derived pairs: numerator <= denominator, as a plausible share of it
    for ind in cat.indicators.values():
        if ind.is_derived and ind.numerator in out and ind.denominator in out:
            ref_share = float(ref[ind.numerator]) / float(ref[ind.denominator]) if ref.get(ind.denominator) else 0.5
            share = min(1.0, ref_share * rng.uniform(0.85, 1.1)) if ref_share < 1.2 else None
            if share is not None and ref_share <= 1.0:
                out[ind.numerator] = Decimal(int(float(out[ind.denominator]) * share))
    for code, bound in _AT_MOST.items():
        if code in out and bound in out and out[code] > out[bound]:
            out[code] = out[bound] - Decimal(rng.randint(0, min(2, int(out[bound]))))
    # parts sum to their totals (totals first, so nested parts follow): split like the reference
    for ind in cat.indicators.values():
        if ind.parts and ind.code in out and all(p in out for p in ind.parts):
            total = int(out[ind.code])
            weights = [max(float(ref.get(p, 1)), 0.5) * rng.uniform(0.8, 1.2) for p in ind.parts]
            shares = [int(total * w / sum(weights)) for w in weights]
            shares[-1] = total - sum(shares[:-1])
            for p, v in zip(ind.parts, shares):
                out[p] = Decimal(v)
    return out


def write_demo_dirs(root: Path, unit_years=None, cat: Catalogue | None = None,
                    registry: UnitRegistry | None = None) -> list[tuple[str, int]]:
    """Write illustrative unit directories under ``root`` (the layout ``read_unit_dir`` reads): the
    figures of each unit's own report profile (``cat`` to force one) that the reference unit-year has."""
    reg = registry or load_registry()
    ref_root = reference_root()
    ref = read_unit_dir(ref_root, *REFERENCE, registry=reg)
    done = []
    real = set(reference_unit_years(ref_root))
    for code, year in unit_years or demo_unit_years(registry=reg):
        if (code, year) in real:
            continue  # real data is never replaced by illustrative data
        unit = reg.get(code, year)
        base = root / code / str(year)
        (base / "text").mkdir(parents=True, exist_ok=True)
        figs = generate(code, year, ref.figures, cat or catalogue_for(unit, year, registry=reg))
        with open(base / "figures.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["unit_code", "year", "indicator", "value"])
            for k, v in figs.items():
                w.writerow([code, year, k, canonical(v)])
        for sec, body in ref.texts.items():
            text = body.replace(str(REFERENCE[1]), str(year))
            (base / "text" / f"{sec}.md").write_text(text, encoding="utf-8")
        meta = {
            "illustrative": True,
            "place": unit.short,
            "date": f"{year}-12-15",
            "subject": f"Công tác Dân vận Chính quyền năm {year}",
            "source": f"Số liệu minh họa sinh tự động (danvan.demo, seed {SEED}); không phải số liệu thật.",
        }
        (base / "report.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=True), encoding="utf-8")
        done.append((code, year))
    return done


def load_demo(store: Store, unit_years=None, *, by: str = "danvan demo", registry: UnitRegistry | None = None) -> int:
    """Generate and import the illustrative unit-years into ``store`` (default: Huế city 2021-2024);
    return how many."""
    reg = registry or load_registry()
    with tempfile.TemporaryDirectory(prefix="danvan-demo-") as tmp:
        done = write_demo_dirs(Path(tmp), unit_years, None, reg)
        for code, year in done:
            import_unit_dir(store, tmp, code, year, by=by, registry=reg)
    return len(done)
