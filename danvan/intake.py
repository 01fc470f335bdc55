"""Intake: read a unit-year's data files and put them into the store through one path.

A unit-year directory holds ``figures.csv`` (``unit_code,year,indicator,value``), ``text/<section>.md``
(free-text sections) and ``report.yaml`` (document metadata). The reference data of the repository
(``data/reference/<unit>/<year>/``) is loaded into the store through this same path.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from .catalogue import Catalogue, load_catalogue
from .store import META_SECTION, FigureValue, ImportResult, Store, project_root
from .vnformat import NumberParseError, nfc, parse_number

__all__ = [
    "IntakeError",
    "UnitYearData",
    "read_unit_dir",
    "import_unit_dir",
    "reference_root",
    "bootstrap_default_store",
]


class IntakeError(ValueError):
    """Bad input data. The message is Vietnamese and names file, row, column and the fix."""


@dataclass
class UnitYearData:
    unit_code: str
    year: int
    figures: dict[str, Decimal] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    illustrative: bool = False
    source: str = ""
    fingerprint: str = ""
    files: list[Path] = field(default_factory=list)


def reference_root() -> Path:
    """``data/reference`` of the source checkout."""
    root = project_root()
    if root is None:
        raise FileNotFoundError("danvan is not running from a source checkout: no data/reference")
    return root / "data" / "reference"


def _read_figures_csv(path: Path, unit_code: str, year: int, cat: Catalogue) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        need = {"unit_code", "year", "indicator", "value"}
        if not need <= set(reader.fieldnames or []):
            raise IntakeError(
                f"{path}: thiếu cột {sorted(need - set(reader.fieldnames or []))}; "
                "tiêu đề phải là unit_code,year,indicator,value"
            )
        for rowno, row in enumerate(reader, start=2):
            code = nfc(row["unit_code"] or "").strip()
            if code != unit_code or str(row["year"]).strip() != str(year):
                raise IntakeError(
                    f"{path}, dòng {rowno}: mã đơn vị/năm {code}/{row['year']} khác với thư mục {unit_code}/{year}"
                )
            ind = nfc(row["indicator"] or "").strip()
            if ind not in cat:
                raise IntakeError(f"{path}, dòng {rowno}, cột indicator: mã chỉ tiêu {ind!r} không có trong danh mục")
            if cat[ind].is_derived:
                raise IntakeError(f"{path}, dòng {rowno}: {ind} là chỉ tiêu tính toán, không nhập số liệu")
            raw = (row["value"] or "").strip()
            if raw == "":
                continue
            try:
                value, _pct = parse_number(raw)
            except NumberParseError:
                raise IntakeError(
                    f"{path}, dòng {rowno}, cột value ({cat[ind].label}): {raw!r} không phải là số; "
                    "ví dụ hợp lệ: 7.967.592.178 hoặc 75,07"
                ) from None
            if ind in out and out[ind] != value:
                raise IntakeError(f"{path}, dòng {rowno}: chỉ tiêu {ind} xuất hiện hai lần với giá trị khác nhau")
            out[ind] = value
    return out


def read_unit_dir(data_dir, unit_code: str, year: int, cat: Catalogue | None = None) -> UnitYearData:
    """Read ``<data_dir>/<unit_code>/<year>/`` (figures, free text, metadata)."""
    cat = cat or load_catalogue()
    base = Path(data_dir) / unit_code / str(year)
    if not base.is_dir():
        raise IntakeError(f"Không có thư mục số liệu {base} cho đơn vị {unit_code} năm {year}")
    data = UnitYearData(unit_code, int(year), source=str(base))
    fig_path = base / "figures.csv"
    if fig_path.exists():
        data.figures = _read_figures_csv(fig_path, unit_code, year, cat)
        data.files.append(fig_path)
    for md in sorted((base / "text").glob("*.md")):
        data.texts[md.stem] = nfc(md.read_text(encoding="utf-8")).strip() + "\n"
        data.files.append(md)
    meta_path = base / "report.yaml"
    if meta_path.exists():
        data.meta = yaml.safe_load(nfc(meta_path.read_text(encoding="utf-8"))) or {}
        data.files.append(meta_path)
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
) -> ImportResult:
    """Store one unit-year directory in one transaction (figures, texts, metadata)."""
    cat = cat or load_catalogue()
    d = read_unit_dir(data_dir, unit_code, year, cat)
    texts = {(unit_code, int(year), sec): body for sec, body in d.texts.items()}
    if d.meta:
        texts[(unit_code, int(year), META_SECTION)] = _meta_json(d.meta)
    return store.write_import(
        file=d.source,
        sha256=d.fingerprint,
        catalogue_version=cat.version,
        catalogue_digest=cat.digest,
        figures=[FigureValue(unit_code, int(year), k, v) for k, v in d.figures.items()],
        texts=texts,
        by=by,
        illustrative=d.illustrative,
        note="unit directory",
    )


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
    cat = load_catalogue()
    return [import_unit_dir(store, root, u, y, cat=cat, by=by or "danvan setup") for u, y in reference_unit_years(root)]
