"""Run sets: which reports a batch renders (``params/*.yaml``)::

    name: hue-2023
    years: [2023]
    formats: [html]
    profile: hue                      # optional: the report profile of every report (default: each unit's)
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
to :func:`expand` are added to every report's ``units`` parameter; a report listed twice is rendered
once (:func:`dedupe`). A parent that is not a code, names no unit, or has no unit under it in the
years of the run set, is an error, not an empty batch. A top-level ``profile`` (a profile name, or a
``.yaml`` file relative to the run set) is every report's ``profile`` parameter unless its ``params``
name one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..core.errors import RunSetError, UnitCodeError, UnknownUnitError
from ..core.files import read_text
from ..export.formats import FORMATS
from ..reference.units import check_code_format
from .kinds import registry
from .notebooks import resolve_notebook

__all__ = ["ReportSpec", "RunSet", "load_runset", "expand", "dedupe", "parse_units"]


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
    profile: str = ""


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
    text = read_text(path, "tệp bộ chạy (YAML)", RunSetError)
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RunSetError(f"{path}: cannot read run set: {exc}") from exc
    if not isinstance(doc, dict):
        raise RunSetError(f"{path}: a run set is a mapping with 'years' and 'reports' (see params/)")
    unknown = set(doc) - {"name", "years", "reports", "formats", "description", "profile"}
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
    profile = doc.get("profile") or ""
    if profile and not isinstance(profile, str):
        raise RunSetError(f"{path}: 'profile' must be a profile name or a .yaml file")
    if profile.endswith((".yaml", ".yml")) and not Path(profile).is_absolute():
        profile = str((path.parent / profile).resolve())
    return RunSet(doc.get("name", path.stem), years, reports, formats, str(path), profile)


def expand(runset: RunSet, *, available: set[tuple[str, int]], unit_files: str = "") -> list[tuple[Path, dict]]:
    """(notebook, parameters) of every report of the run set; ``unit_files``: user unit files
    (paths joined by ``os.pathsep``) added to every report's ``units`` parameter."""
    jobs = []
    for spec in runset.reports:
        nb = resolve_notebook(spec.notebook)
        params = dict(spec.params)
        if runset.profile and not params.get("profile"):
            params["profile"] = runset.profile
        if unit_files:
            params["units"] = os.pathsep.join(p for p in (params.get("units") or "", unit_files) if p)
        reg = registry(params)
        parent = spec.units.get("parent") if isinstance(spec.units, dict) else None
        if parent is not None:
            _check_parent(parent)
        found = 0
        for year in runset.years:
            if spec.units is None:
                jobs.append((nb, {"year": year, **params}))
                continue
            if spec.units == "all":
                codes = sorted(u for u, y in available if y == year)
            elif parent is not None:
                try:
                    unit = reg.get(parent, year)
                except UnknownUnitError as exc:
                    raise RunSetError(f"{runset.source or runset.name}: units.parent: {exc}") from None
                codes = [u.code for u in reg.descendants(unit.code, year, level=reg.reporting_level(unit))]
            else:
                codes = list(spec.units)
            found += len(codes)
            jobs.extend((nb, {"unit_code": c, "year": year, **params}) for c in codes)
        if parent is not None and not found:
            years = ", ".join(map(str, runset.years))
            raise RunSetError(f"units: {{parent: {parent!r}}}: không có đơn vị nào dưới «{parent}» năm {years}")
    return jobs


def _check_parent(parent) -> None:
    """A parent is a unit code (a province, a district, or a commune for its own units)."""
    try:
        check_code_format(parent)
    except UnitCodeError as exc:
        raise RunSetError(f"units: {{parent: {parent!r}}}: {exc}") from None


def dedupe(jobs: list[tuple[Path, dict]]) -> tuple[list[tuple[Path, dict]], list[str]]:
    """The jobs without repeats (the first kept), and a description of each repeat dropped: a report
    listed twice would be rendered twice, at the same time, into the same folder."""
    seen, out, dropped = set(), [], []
    for nb, params in jobs:
        key = (str(nb), tuple(sorted((k, repr(v)) for k, v in params.items())))
        if key in seen:
            dropped.append(f"{Path(nb).name} {params.get('year', '')}/{params.get('unit_code') or params.get('parent_code') or ''}")
            continue
        seen.add(key)
        out.append((nb, params))
    return out, dropped



def parse_units(text: str | None):
    """The ``--units`` option: ``all`` (default), ``parent:474``, or codes ``19780,19783``."""
    if not text or text == "all":
        return "all"
    if text.startswith("parent:"):
        return {"parent": text.split(":", 1)[1]}
    return [c.strip() for c in text.split(",") if c.strip()]
