"""Notebook kinds: what a report notebook reads, so that a run can check it has data before any
kernel starts and fingerprint its inputs for the cache key.

A notebook names its kind in its metadata (``{"danvan": {"kind": "ward"}}``). The shipped kinds are
registered below; third parties add theirs with ``notebook_kinds.register(name, kind)`` or through
the ``danvan.notebook_kind`` entry point group (papermill's ``PapermillEngines`` pattern).

- ``ward``: one unit-year (and the prior year of its lineage, which it compares with);
- ``trend``: one unit over ``first_year`` .. ``year``, following its lineage;
- ``city``: every commune of ``parent_code`` in ``year`` (its descendants: a province's communes
  are its grandchildren before 2025-07-01; a commune's own units for a commune).

Every kind reads the unit registry with the user unit files of the ``units`` parameter (and
``$DANVAN_UNITS``); :func:`with_unit_files` puts those files' content into the fingerprint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import NoDataError, ParameterError, UnknownUnitError
from ..core.files import sha256_file
from ..core.registry import Registry
from ..indicators.lineage import members, unit_year_values
from ..intake.unitdir import read_unit_dir
from ..reference.catalogue import Catalogue, catalogue_paths
from ..reference.profiles import catalogue_for, reporting_unit
from ..reference.units import UnitRegistry, load_registry, unit_paths
from ..store import Store

__all__ = ["Dependency", "NotebookKind", "notebook_kinds", "WardKind", "TrendKind", "CityKind", "registry",
           "with_unit_files", "report_catalogue"]

MAX_TREND_YEARS = 30


@dataclass(frozen=True)
class Dependency:
    """What a report read: a fingerprint of its data, where it came from, and whether illustrative."""

    fingerprint: str
    source: str
    illustrative: bool


def _store(params: dict) -> Store:
    return Store(params.get("db") or None).require()


def registry(params: dict) -> UnitRegistry:
    """The unit registry a report reads: the shipped one, ``$DANVAN_UNITS`` and the ``units`` parameter."""
    return load_registry(*unit_paths(params.get("units")))


def report_catalogue(params: dict) -> Catalogue:
    """The catalogue a report reads: the report profile of its unit (``unit_code``) or parent
    (``parent_code``) in ``year`` — or the ``profile`` parameter —, with the ``catalogue`` files.
    A profile or catalogue file that is not well formed raises before any kernel starts."""
    reg, year = registry(params), int(params["year"])
    unit = reg.get(params.get("unit_code") or params.get("parent_code"), year)
    if not params.get("unit_code"):
        unit = reporting_unit(unit, year, reg)
    return catalogue_for(unit, year, registry=reg, profile=params.get("profile") or None,
                         catalogue_files=catalogue_paths(params.get("catalogue")))


def with_unit_files(dep: Dependency, params: dict) -> Dependency:
    """``dep`` with the content of the user unit files in its fingerprint (unchanged without any)."""
    files = registry(params).sources[1:]
    if not files:
        return dep
    digest = ",".join(f"{Path(f).name}:{sha256_file(f)}" for f in files)
    return Dependency(hashlib.sha256(f"{dep.fingerprint}|units:{digest}".encode()).hexdigest(), dep.source,
                      dep.illustrative)


def _lookup(params: dict, fingerprints):
    """``(code, year) -> (fingerprint, illustrative)``: from the batch's bulk fingerprints when given,
    else from the data directory or the store."""
    if fingerprints is not None:
        return lambda code, year: fingerprints.get((code, year), ("-", False))
    data_dir = params.get("data_dir") or None
    store = None if data_dir else _store(params)
    cat = report_catalogue(params)
    reg = registry(params)

    def look(code: str, year: int) -> tuple[str, bool]:
        _vals, ill, fp = unit_year_values(code, year, cat, store, data_dir, reg)
        return fp, ill

    return look


def unit_years_dependency(pairs, params: dict, fingerprints, *, label: str) -> Dependency:
    """A :class:`Dependency` over several unit-years (``pairs`` of ``(code, year)``)."""
    look = _lookup(params, fingerprints)
    parts, ill = [], False
    for code, year in sorted(set(pairs)):
        fp, i = look(code, year)
        parts.append(f"{code}/{year}:{fp}")
        ill = ill or bool(i)
    parts.append("catalogue:" + ",".join(sha256_file(p) for p in catalogue_paths(params.get("catalogue"))))
    source = "tệp" if params.get("data_dir") else "kho"
    return Dependency(hashlib.sha256("\n".join(parts).encode()).hexdigest(), f"{source} {label}", ill)


def has_data(pairs, params: dict) -> list[tuple[str, int]]:
    """The ``(code, year)`` pairs that have data in the data directory or the store."""
    data_dir = params.get("data_dir") or None
    if data_dir:
        return [p for p in pairs if (Path(data_dir) / p[0] / str(p[1])).is_dir()]
    known = set(_store(params).unit_years())
    return [p for p in pairs if p in known]


class NotebookKind:
    """Base class of a notebook kind."""

    def pairs(self, params: dict) -> list[tuple[str, int]]:  # pragma: no cover - interface
        """Every ``(unit_code, year)`` whose data the report reads: what a batch carries to a worker
        (a report reading any other unit-year fails loudly there, see ``danvan.store.write_subset``)."""
        raise NotImplementedError

    def dependency(self, params: dict, fingerprints: dict | None) -> Dependency:  # pragma: no cover
        raise NotImplementedError

    def check_data(self, params: dict) -> None:
        """Raise :class:`NoDataError` / :class:`ParameterError` when the run cannot have data."""


class WardKind(NotebookKind):
    """A report of one unit-year, compared with the prior year of the unit's lineage."""

    def pairs(self, params: dict) -> list[tuple[str, int]]:
        code, year = params["unit_code"], int(params["year"])
        return [(code, year), *self.prior_pairs(params)]

    @staticmethod
    def prior_pairs(params: dict) -> list[tuple[str, int]]:
        """The unit-years of the prior year the report compares with (its lineage members)."""
        year = int(params["year"])
        try:
            reg = registry(params)
            unit = reg.get(params["unit_code"], year)
            return [(m.code, year - 1) for m in members(unit, year - 1, reg)]
        except UnknownUnitError:
            return []

    def dependency(self, params: dict, fingerprints: dict | None) -> Dependency:
        code, year = params["unit_code"], int(params["year"])
        if params.get("data_dir"):
            d = read_unit_dir(params["data_dir"], code, year, report_catalogue(params), registry=registry(params))
            dep = Dependency(d.fingerprint, f"tệp {code}/{year}", d.illustrative)
        elif fingerprints is not None and (code, year) in fingerprints:
            fp, ill = fingerprints[(code, year)]
            dep = Dependency(fp, f"kho {Store(params.get('db') or None).path.name}", ill)
        else:
            store = _store(params)
            snap = store.snapshot(code, year)
            dep = Dependency(snap["fingerprint"], f"kho {store.path.name}", snap["illustrative"])
        # the report compares with the prior year (its lineage), so that year's data is an input too
        prior = self.prior_year_fingerprint(params, fingerprints)
        return Dependency(hashlib.sha256(f"{dep.fingerprint}|prior:{prior}".encode()).hexdigest(),
                          dep.source, dep.illustrative)

    @classmethod
    def prior_year_fingerprint(cls, params: dict, fingerprints) -> str:
        """Fingerprint of the prior year a ward report compares with (its lineage members' data)."""
        pairs = cls.prior_pairs(params)
        if not pairs:
            return "-"
        look = _lookup(params, fingerprints)
        return ",".join(f"{c}/{y}:{look(c, y)[0]}" for c, y in pairs)

    def check_data(self, params: dict) -> None:
        code, year = params["unit_code"], int(params["year"])
        data_dir = params.get("data_dir") or None
        if data_dir:
            base = Path(data_dir) / code / str(year)
            if not base.is_dir():
                raise NoDataError(f"no data for unit {code} in {year}: directory {base} does not exist")
            return
        store = _store(params)
        years = sorted(y for u, y in store.unit_years() if u == code)
        if year not in years:
            have = (f"years with data for {code}: {', '.join(map(str, years))}" if years
                    else f"no year has data for {code}")
            raise NoDataError(
                f"no data for unit {code} in {year} in {store.path} ({have}). "
                f"Create a form with `danvan form --unit {code} --year {year}`, fill it, then `danvan import FILE`."
            )


class TrendKind(NotebookKind):
    """One unit over a range of years, following its lineage."""

    def pairs(self, params: dict) -> list[tuple[str, int]]:
        reg = registry(params)
        year, first = int(params["year"]), int(params.get("first_year") or params["year"])
        unit = reg.get(params["unit_code"], year)
        pairs = []
        for y in range(first, year + 1):
            try:
                pairs += [(m.code, y) for m in members(unit, y, reg)]
            except UnknownUnitError:
                continue
        return pairs

    def dependency(self, params: dict, fingerprints: dict | None) -> Dependency:
        return unit_years_dependency(self.pairs(params), params, fingerprints,
                                     label=f"{params['unit_code']} {params.get('first_year')}–{params['year']}")

    def check_data(self, params: dict) -> None:
        """The range is sane and some year of it has data."""
        year, first = int(params["year"]), int(params.get("first_year") or params["year"])
        if first > year:
            raise ParameterError(f"parameter first_year ({first}) must not be after year ({year})")
        if year - first > MAX_TREND_YEARS:
            raise ParameterError(f"first_year {first} .. year {year}: at most {MAX_TREND_YEARS} years in one trend")
        if not has_data(self.pairs(params), params):
            raise NoDataError(
                f"no data for unit {params['unit_code']} (or its predecessors) in any year {first}–{year}"
            )


class CityKind(NotebookKind):
    """Every commune of a parent unit in one year (any depth: a province's, a district's), or a
    commune's own units."""

    def pairs(self, params: dict) -> list[tuple[str, int]]:
        year = int(params["year"])
        reg = registry(params)
        parent = reg.get(params["parent_code"], year)
        return [(w.code, year) for w in reg.descendants(parent.code, year, level=reg.reporting_level(parent))]

    def dependency(self, params: dict, fingerprints: dict | None) -> Dependency:
        pairs = self.pairs(params)
        return unit_years_dependency(pairs, params, fingerprints,
                                     label=f"{params['parent_code']}/{int(params['year'])} ({len(pairs)} đơn vị)")


#: notebook kinds: name -> kind
notebook_kinds: Registry[NotebookKind] = Registry("notebook kind", "danvan.notebook_kind", ParameterError)
notebook_kinds.register("ward", WardKind())
notebook_kinds.register("trend", TrendKind())
notebook_kinds.register("city", CityKind())
