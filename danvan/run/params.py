"""Typed notebook parameters, checked before any kernel starts.

A notebook's ``parameters`` cell *is* its schema: names, annotated types and defaults
(``unit_code: str = "19780"``), read with papermill's own inspector. Unknown names, wrong types, a
unit code that is not a 5-character string of a unit existing that year (or a user unit's code, of
the unit files in the ``units`` parameter), and a unit-year without data are errors whose message
names the fix. A code that is only another source's code for a unit (aliases.csv) is replaced by
the canonical code, with an :class:`~danvan.reference.units.AliasWarning` carrying the note.
"""

from __future__ import annotations

import ast
import datetime as _dt
import difflib
import functools
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ParameterError, UnitCodeError, UnknownUnitError
from ..reference.units import AliasWarning, check_code_format, is_user_code, load_registry, unit_paths
from .kinds import notebook_kinds
from .notebooks import notebook_meta, notebook_path

__all__ = ["ParamSpec", "notebook_parameters", "validate_parameters", "defaults"]


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type_name: str
    default: str
    help: str


@functools.lru_cache(maxsize=32)
def _inspect(path: str, mtime: float) -> dict[str, ParamSpec]:
    import papermill  # heavy (nbformat, jsonschema): only when a notebook is inspected

    try:
        raw = papermill.inspect_notebook(path)
    except Exception as exc:  # nbformat/jsonschema/JSON errors of a file that is not a notebook
        raise ParameterError(f"{path} không phải là sổ tay Jupyter (.ipynb) ({type(exc).__name__}: "
                             f"{str(exc)[:100]})") from None
    return {
        name: ParamSpec(name, (p.get("inferred_type_name") or "None").strip(), p.get("default", ""), p.get("help", ""))
        for name, p in raw.items()
    }


def notebook_parameters(notebook) -> dict[str, ParamSpec]:
    """The declared parameters of ``notebook`` (its ``parameters`` cell)."""
    path = notebook_path(notebook)
    try:
        mtime = os.path.getmtime(path)
    except OSError:
        raise ParameterError(f"notebook not found: {notebook}") from None
    specs = _inspect(path, mtime)
    if not specs:
        raise ParameterError(f"{notebook} has no cell tagged 'parameters'; add one declaring its parameters")
    return specs


def _coerce(spec: ParamSpec, value):
    t = spec.type_name
    if t == "str":
        if not isinstance(value, str):
            fix = ""
            if spec.name == "unit_code":
                fix = (" Unit codes are strings with leading zeros kept: write '00004', "
                       "and with papermill use -r (raw) instead of -p: `-r unit_code 00004`.")
            raise ParameterError(
                f"parameter {spec.name} must be a string, got {type(value).__name__} {value!r}.{fix}"
            )
        return value
    if t == "int":
        if isinstance(value, bool):
            raise ParameterError(f"parameter {spec.name} must be a whole number, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ParameterError(f"parameter {spec.name} must be a whole number such as 2023, got {value!r}")
    if t == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"parameter {spec.name} must be a number, got {value!r}") from None
    if t == "bool":
        if isinstance(value, bool):
            return value
        raise ParameterError(f"parameter {spec.name} must be true or false, got {value!r}")
    return value


def validate_parameters(notebook, params: dict, *, check_data: bool = True) -> dict:
    """Return the full parameter set (defaults + ``params``), coerced, or raise ParameterError."""
    specs = notebook_parameters(notebook)
    for name in params:
        if name not in specs:
            close = difflib.get_close_matches(name, list(specs), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ParameterError(
                f"unknown parameter {name!r} for {Path(notebook).name}.{hint} "
                f"Known parameters: {', '.join(specs)}."
            )
    values = {name: _coerce(specs[name], v) for name, v in params.items()}
    for name, v in values.items():
        if name.endswith("_date") and isinstance(v, str) and v:
            try:
                day = _dt.date.fromisoformat(v)
            except ValueError:
                raise ParameterError(
                    f"parameter {name} must be a date written YYYY-MM-DD, e.g. 2023-12-19; got {v!r}"
                ) from None
            latest = _dt.date.today() + _dt.timedelta(days=366)
            if not _dt.date(1990, 1, 1) <= day <= latest:
                raise ParameterError(
                    f"parameter {name}: {v} is not a plausible document date (1990-01-01 .. {latest.isoformat()}); "
                    "check the year")
    if "unit_code" in specs or "year" in specs:
        full = defaults(notebook) | values
        key, canonical = _check_unit_year(full, specs, check_data, notebook_meta(Path(notebook)).get("kind", "ward"))
        if key and canonical != full.get(key):
            values[key] = canonical
    return values


def defaults(notebook) -> dict:
    """Default values of the parameters cell, evaluated safely (literals only)."""
    return dict(_defaults(tuple(notebook_parameters(notebook).values())))


@functools.lru_cache(maxsize=32)
def _defaults(specs: tuple[ParamSpec, ...]) -> tuple:
    out = []
    for spec in specs:
        try:
            out.append((spec.name, ast.literal_eval(spec.default)))
        except (ValueError, SyntaxError):
            continue
    return tuple(out)


def _check_unit_year(full: dict, specs: dict, check_data: bool, kind: str = "ward") -> tuple[str | None, str]:
    """Check the unit code and year; return ``(parameter name, canonical code)`` (``(None, "")``
    when the notebook has no unit parameter)."""
    code_key = "unit_code" if "unit_code" in specs else "parent_code" if "parent_code" in specs else None
    year = full.get("year")
    if code_key is None or year is None:
        return None, ""
    code = full.get(code_key)
    try:
        year_ok = 1900 <= int(year) <= 2100
    except (TypeError, ValueError):
        year_ok = False
    if not year_ok:  # year 0 would reach datetime.date and crash with a traceback
        raise ParameterError(f"parameter year: {year!r} is not a report year such as 2023 (1900-2100)")
    try:
        check_code_format(code)
    except UnitCodeError as exc:
        raise ParameterError(f"parameter {code_key}: {exc}") from None
    if code_key == "unit_code" and len(code) != 5 and not is_user_code(code):
        # "474" is a district (city), not a ward/commune
        raise ParameterError(
            f"parameter unit_code: {code!r} is not a 5-character ward/commune code such as '19780' "
            "(2- and 3-digit codes are provinces and districts; a user unit's code looks like '19780-03')"
        )
    try:
        unit, note = load_registry(*unit_paths(full.get("units"))).resolve(code, int(year))
    except UnknownUnitError as exc:
        raise ParameterError(f"parameter {code_key}: {exc}") from None
    if note:
        warnings.warn(note, AliasWarning, stacklevel=3)
    if check_data and code_key == "unit_code":
        notebook_kinds.get(kind).check_data(full | {code_key: unit.code})
    return code_key, unit.code
