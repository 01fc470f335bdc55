"""Run sets: which reports a batch renders (``params/*.yaml``)::

    name: hue-2023
    years: [2023]
    formats: [html]
    reports:
      - notebook: ward_report.ipynb
        units: {parent: "474"}        # every commune of Thành phố Huế in each year
        params: {units: "my-units.csv"}   # optional: user unit files (docs/units.md)
      - notebook: city_summary.ipynb
        params: {parent_code: "474"}

``units`` is a list of code strings, ``all`` (every unit-year with data in the store) or
``{parent: CODE}``: every commune under CODE in that year at any depth (a province's communes are
its grandchildren before 2025-07-01), or a commune's own units when CODE is a commune. Each entry ×
year × unit becomes one report with parameters ``{unit_code, year} ∪ params``; user unit files given
to :func:`expand` are added to every report's ``units`` parameter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..core.errors import RunSetError, UnknownUnitError
from ..export.formats import FORMATS
from .kinds import registry
from .notebooks import resolve_notebook

__all__ = ["ReportSpec", "RunSet", "load_runset", "expand", "parse_units"]


@dataclass
class ReportSpec:
    notebook: str
    units: object = None  # None | "all" | list[str] | {"parent": code}
    params: dict = field(default_factory=dict)


@dataclass
class RunSet:
    name: str
    years: list[int]
    reports: list[ReportSpec]
    formats: tuple[str, ...] = ("html",)
    source: str = ""


def _check_units(value, where: str):
    if value is None or value == "all":
        return value
    if isinstance(value, dict) and set(value) == {"parent"}:
        if not isinstance(value["parent"], str):
            raise RunSetError(f"{where}: parent code must be a quoted string, e.g. parent: \"474\"")
        return value
    if isinstance(value, list):
        bad = [v for v in value if not isinstance(v, str)]
        if bad:
            raise RunSetError(
                f"{where}: unit codes must be quoted strings (YAML reads 00004 as the number 4): {bad}"
            )
        return value
    raise RunSetError(f"{where}: units must be a list of codes, 'all', or {{parent: CODE}}")


def load_runset(path) -> RunSet:
    """Read and check a run-set YAML file."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RunSetError(f"{path}: cannot read run set: {exc}") from exc
    unknown = set(doc) - {"name", "years", "reports", "formats", "description"}
    if unknown:
        raise RunSetError(f"{path}: unknown keys {sorted(unknown)}")
    years = doc.get("years")
    if not isinstance(years, list) or not years or not all(isinstance(y, int) for y in years):
        raise RunSetError(f"{path}: 'years' must be a list of years, e.g. [2023]")
    formats = tuple(doc.get("formats") or ("html",))
    if set(formats) - set(FORMATS):
        raise RunSetError(f"{path}: formats must be among {FORMATS}")
    reports = []
    for i, r in enumerate(doc.get("reports") or []):
        where = f"{path}: reports[{i}]"
        if not isinstance(r, dict) or "notebook" not in r:
            raise RunSetError(f"{where}: each report needs a 'notebook'")
        extra = set(r) - {"notebook", "units", "params"}
        if extra:
            raise RunSetError(f"{where}: unknown keys {sorted(extra)}")
        reports.append(ReportSpec(r["notebook"], _check_units(r.get("units"), where), dict(r.get("params") or {})))
    if not reports:
        raise RunSetError(f"{path}: 'reports' is empty")
    return RunSet(doc.get("name", path.stem), years, reports, formats, str(path))


def expand(runset: RunSet, *, available: set[tuple[str, int]], unit_files: str = "") -> list[tuple[Path, dict]]:
    """(notebook, parameters) of every report of the run set; ``unit_files``: user unit files
    (paths joined by ``os.pathsep``) added to every report's ``units`` parameter."""
    jobs = []
    for spec in runset.reports:
        nb = resolve_notebook(spec.notebook)
        params = dict(spec.params)
        if unit_files:
            params["units"] = os.pathsep.join(p for p in (params.get("units") or "", unit_files) if p)
        reg = registry(params)
        for year in runset.years:
            if spec.units is None:
                jobs.append((nb, {"year": year, **params}))
                continue
            if spec.units == "all":
                codes = sorted(u for u, y in available if y == year)
            elif isinstance(spec.units, dict):
                try:
                    parent = reg.get(spec.units["parent"], year)
                except UnknownUnitError as exc:
                    raise RunSetError(f"{runset.source or runset.name}: units.parent: {exc}") from None
                codes = [u.code for u in reg.descendants(parent.code, year, level=reg.reporting_level(parent))]
            else:
                codes = list(spec.units)
            jobs.extend((nb, {"unit_code": c, "year": year, **params}) for c in codes)
    return jobs



def parse_units(text: str | None):
    """The ``--units`` option: ``all`` (default), ``parent:474``, or codes ``19780,19783``."""
    if not text or text == "all":
        return "all"
    if text.startswith("parent:"):
        return {"parent": text.split(":", 1)[1]}
    return [c.strip() for c in text.split(",") if c.strip()]
