"""Unit directories: one unit-year as files, ``<dir>/<unit>/<year>/``.

``figures.csv`` (``unit_code,year,indicator,value``), ``text/<section>.md`` (free-text sections)
and ``report.yaml`` (document metadata). The reference data of the repository
(``data/reference/<unit>/<year>/``) is loaded into the store through this path (``danvan setup``),
and reports can be rendered straight from such directories. ``figures.csv`` goes through the same
CSV reader and rules as an imported file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from ..core import settings
from ..core.errors import IntakeError
from ..core.vnformat import nfc
from ..reference.catalogue import Catalogue
from ..reference.profiles import catalogue_for
from ..reference.units import UnitRegistry, load_registry
from ..store import META_SECTION, FigureValue, ImportResult, Store
from .forms import read_file
from .validate import RELATION_RULES, Place, check_date, check_unit_year, demote, format_findings

__all__ = [
    "UnitYearData",
    "read_unit_dir",
    "import_unit_dir",
    "reference_root",
    "reference_unit_years",
    "bootstrap_default_store",
]


@dataclass
class UnitYearData:
    unit_code: str
    year: int
    figures: dict[str, Decimal] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)  # how values were written (those not plain)
    notes: dict[str, str] = field(default_factory=dict)  # the unit's note beside a value
    texts: dict[str, str] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    illustrative: bool = False
    source: str = ""
    fingerprint: str = ""
    files: list[Path] = field(default_factory=list)
    findings: list = field(default_factory=list)  # validate.Finding warnings (errors raise IntakeError)


def reference_root() -> Path:
    """``data/reference`` of the source checkout."""
    root = settings.project_root()
    if root is None:
        raise FileNotFoundError("danvan is not running from a source checkout: no data/reference")
    return root / "data" / "reference"


def _read_figures_csv(path: Path, unit_code: str, year: int, cat: Catalogue, *, strict: bool = False,
                      registry: UnitRegistry | None = None):
    """Figures of a unit directory's ``figures.csv`` through the validating CSV reader.

    Returns ``(rows, warnings)`` (one :class:`FigureRow` per indicator); raises :class:`IntakeError`
    listing every error. A unit directory
    describes its unit-year completely, so figures relate to each other within the file only.
    ``strict=False`` (rendering from files) reports inconsistent relations as warnings.
    """
    pf = read_file(path, catalogue=cat, registry=registry or load_registry())
    findings = list(pf.findings)
    mine, seen = [], set()
    for r in pf.rows:
        if (r.unit_code, r.year) == (unit_code, int(year)):
            mine.append(r)
        elif (r.unit_code, r.year) not in seen:
            seen.add((r.unit_code, r.year))
            findings.append(Place(str(path), row=r.row, column="unit_code").finding(
                "unit_year_mismatch", f"mã đơn vị/năm khác với thư mục {unit_code}/{year}",
                found=f"{r.unit_code}/{r.year}", expected=f"{unit_code}/{year}"))
    chosen, fs = check_unit_year(mine, cat, file=str(path), require=True, invalid=pf.invalid)
    findings += demote(fs, {"required_missing"} if strict else RELATION_RULES)
    errors = [f for f in findings if f.is_error]
    if errors:
        raise IntakeError(format_findings(findings, [str(path)]))
    return chosen, findings


def read_unit_dir(data_dir, unit_code: str, year: int, cat: Catalogue | None = None, *,
                  strict: bool = False, registry: UnitRegistry | None = None) -> UnitYearData:
    """Read ``<data_dir>/<unit_code>/<year>/`` (figures, free text, metadata; unit codes checked
    against ``registry``, by default the shipped one with ``$DANVAN_UNITS``). ``cat``: the catalogue
    to read it with (default: the unit-year's report profile)."""
    cat = cat or catalogue_for(unit_code, int(year), registry=registry or load_registry())
    base = Path(data_dir) / unit_code / str(year)
    if not base.is_dir():
        raise IntakeError(f"Không có thư mục số liệu {base} cho đơn vị {unit_code} năm {year}")
    data = UnitYearData(unit_code, int(year), source=str(base))
    fig_path = base / "figures.csv"
    if fig_path.exists():
        rows, data.findings = _read_figures_csv(fig_path, unit_code, year, cat, strict=strict, registry=registry)
        data.figures = {k: r.value for k, r in rows.items()}
        data.written = {k: r.written for k, r in rows.items() if r.written}
        data.notes = {k: r.note for k, r in rows.items() if r.note}
        data.files.append(fig_path)
    for md in sorted((base / "text").glob("*.md")):
        data.texts[md.stem] = nfc(md.read_text(encoding="utf-8")).strip() + "\n"
        data.files.append(md)
    meta_path = base / "report.yaml"
    if meta_path.exists():
        data.meta = yaml.safe_load(nfc(meta_path.read_text(encoding="utf-8"))) or {}
        data.files.append(meta_path)
        late = [f for key, value in data.meta.items() if isinstance(key, str)
                for f in check_date(value, Place(str(meta_path), column=key), f"ngày «{key}»")]
        if late:
            raise IntakeError(format_findings(late, [str(meta_path)]))
    data.illustrative = bool(data.meta.get("illustrative", False))
    h = hashlib.sha256()
    for p in data.files:
        h.update(p.relative_to(base).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    data.fingerprint = h.hexdigest()
    return data


def _meta_json(meta: dict) -> str:
    return json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str)


def import_unit_dir(
    store: Store, data_dir, unit_code: str, year: int, *, cat: Catalogue | None = None, by: str | None = None,
    registry: UnitRegistry | None = None,
) -> ImportResult:
    """Store one unit-year directory in one transaction (figures, texts, metadata)."""
    registry = registry or load_registry()
    cat = cat or catalogue_for(unit_code, int(year), registry=registry)
    d = read_unit_dir(data_dir, unit_code, year, cat, strict=True, registry=registry)
    texts = {(unit_code, int(year), sec): body for sec, body in d.texts.items()}
    if d.meta:
        texts[(unit_code, int(year), META_SECTION)] = _meta_json(d.meta)
    unit = registry.get(unit_code, int(year))
    with store.transaction() as con:
        result = store.write_import(
            file=d.source,
            sha256=d.fingerprint,
            catalogue_version=cat.version,
            catalogue_digest=cat.digest,
            figures=[FigureValue(unit_code, int(year), k, v, d.notes.get(k, ""), d.written.get(k))
                     for k, v in d.figures.items()],
            texts=texts,
            by=by,
            illustrative=d.illustrative,
            note="unit directory",
            con=con,
        )
        if result.import_id is not None:  # an unchanged directory writes nothing at all
            store.record_catalogue(con, cat)
            store.record_units(con, [unit])
    return result


def reference_unit_years(root: Path | None = None) -> list[tuple[str, int]]:
    root = root or reference_root()
    return sorted(
        (u.name, int(y.name))
        for u in root.iterdir() if u.is_dir()
        for y in u.iterdir() if y.is_dir() and y.name.isdigit()
    )


def bootstrap_default_store(store: Store, *, by: str | None = None) -> list[ImportResult]:
    """Load the repository's reference data into ``store`` (idempotent: unchanged data adds nothing)."""
    root = reference_root()
    return [import_unit_dir(store, root, u, y, by=by or "danvan setup") for u, y in reference_unit_years(root)]
