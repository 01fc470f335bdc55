"""Indicator catalogue: what each figure is, how the report writes it, and how figures relate.

The shipped catalogue (``danvan/data/catalogue.yaml``) holds every figure of the reference report.
Users add their own indicators and sections with YAML files of the same shape, named by the
``--catalogue`` option or the ``DANVAN_CATALOGUE`` environment variable (paths separated by
``os.pathsep``). A user file may add codes but not silently redefine shipped ones.

Value bounds: every data indicator accepts values in ``[min, max]``: its own ``min:``/``max:`` keys,
else the top-level ``limits:`` of the catalogue files for its kind (later files override earlier
ones per kind), else :data:`DEFAULT_LIMITS`. A signed count's default range is ``[-max, max]``; a
rate against a target ("so với kế hoạch": 112%) uses the ``target_percent`` limits instead of
``percent``. Intake refuses a value outside its range (rule ``value_out_of_range``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from ..core import settings
from ..core.errors import CatalogueError
from ..core.files import read_text
from ..core.vnformat import nfc

__all__ = ["Catalogue", "Indicator", "Section", "KINDS", "DEFAULT_LIMITS", "load_catalogue", "catalogue_paths",
           "default_catalogue_path", "user_catalogue_paths", "json_default"]

KINDS = ("count", "amount", "percent", "derived")
# Bounds of the values intake accepts when neither the indicator nor a catalogue's `limits:` says:
# a count below 10^9 (the country has ~10^8 people: a commune's count of a billion is a typing
# error), an amount below 10^15 đồng (about the whole country's yearly budget revenue; a commune's
# is ~10^10), a share 0-100 %, a rate against a target at most 100 times the target. Products and
# ratios of such values stay far inside Decimal's 28 digits, and the report can always write them.
DEFAULT_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "count": (Decimal(0), Decimal(999_999_999)),
    "amount": (Decimal(0), Decimal(999_999_999_999_999)),
    "percent": (Decimal(0), Decimal(100)),
    "target_percent": (Decimal(0), Decimal(10_000)),
}
LIMIT_KINDS = tuple(DEFAULT_LIMITS)
_BOUND_MAX = Decimal(10) ** 18  # a bound beyond this would not keep arithmetic exact
# A stated rate against a plan, an estimate or last year ("so với kế hoạch": 112%) may exceed 100;
# a share of a population (households, citizens, files) may not. The label decides.
_AGAINST_TARGET = ("so với", "kế hoạch", "dự toán", "cùng kỳ")


def json_default(value):
    """``json.dumps`` of catalogue definitions: tuples and sets as lists, Decimals as text."""
    return str(value) if isinstance(value, Decimal) else list(value)
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SECTION_RE = re.compile(r"^[IVX]+(\.\d+)*$|^[A-Za-z][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Section:
    code: str
    part: str
    title: str
    narrative: bool = False
    free_text: bool = False
    source: str = ""

    @property
    def is_part(self) -> bool:
        return self.code == self.part


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    unit: str
    section: str
    kind: str
    decimals: int | None = None
    numerator: str | None = None
    denominator: str | None = None
    parts: tuple[str, ...] = ()
    required: bool = False
    better: str | None = None
    signed: bool = False
    yoy_threshold: float | None = None  # relative change (0.5 = 50%) above which QA flags a jump
    additive: bool = True  # counts/amounts: False when a sum over units means nothing (procedures listed)
    key: bool = False  # shown in the city-summary table and the trend notebook
    short: str = ""  # a short label for table headers and charts (default: the label)
    description: str = ""
    min: Decimal | None = None  # smallest value accepted (catalogue.check() fills in the default)
    max: Decimal | None = None  # largest value accepted
    source: str = ""

    @property
    def is_derived(self) -> bool:
        return self.kind == "derived"

    @property
    def is_rate(self) -> bool:
        return self.kind in ("percent", "derived")

    @property
    def integral(self) -> bool:
        return self.kind in ("count", "amount")

    @property
    def short_label(self) -> str:
        return self.short or self.label

    @property
    def against_target(self) -> bool:
        """A rate against a plan/estimate/last year (may exceed 100 %), by its label/description."""
        text = f"{self.label} {self.description}".casefold()
        return self.kind == "percent" and any(w in text for w in _AGAINST_TARGET)

    @property
    def limit_kind(self) -> str | None:
        """The key of ``limits:`` whose bounds apply (None for derived indicators)."""
        if self.kind == "percent":
            return "target_percent" if self.against_target else "percent"
        return self.kind if self.kind in ("count", "amount") else None


_IND_KEYS = {f for f in Indicator.__dataclass_fields__} - {"source"}
_SEC_KEYS = {f for f in Section.__dataclass_fields__} - {"source"} | {"after"}


@dataclass
class Catalogue:
    sections: dict[str, Section] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    versions: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    template_dirs: list[str] = field(default_factory=list)  # narrative templates a user file brings along
    limits: dict[str, tuple[Decimal, Decimal]] = field(default_factory=lambda: dict(DEFAULT_LIMITS))

    # ---- loading -------------------------------------------------------------------------
    def add_file(self, path: str | os.PathLike) -> None:
        path = str(path)
        text = read_text(path, "tệp danh mục chỉ tiêu (YAML)", CatalogueError)
        try:
            doc = yaml.safe_load(nfc(text)) or {}
        except yaml.YAMLError as exc:
            raise CatalogueError(f"{path}: cannot read catalogue file: {exc}") from exc
        if not isinstance(doc, dict):
            raise CatalogueError(f"{path}: expected a mapping with 'sections' and/or 'indicators'")
        if doc.get("limits") is not None:
            self._add_limits(path, doc["limits"])
        self.versions.append(f"{doc.get('catalogue', Path(path).stem)}@{doc.get('version', '?')}")
        self.sources.append(path)
        if doc.get("templates"):  # `templates: templates/` = narrative templates beside the file
            tdir = (Path(path).parent / str(doc["templates"])).resolve()
            if not tdir.is_dir():
                raise CatalogueError(f"{path}: 'templates: {doc['templates']}' is not a directory ({tdir})")
            self.template_dirs.append(str(tdir))
        for i, raw in enumerate(doc.get("sections") or []):
            self._add_section(path, i, raw)
        for i, raw in enumerate(doc.get("indicators") or []):
            self._add_indicator(path, i, raw)

    def _add_limits(self, path: str, raw) -> None:
        where = f"{path}: limits"
        if not isinstance(raw, dict) or set(raw) - set(LIMIT_KINDS):
            raise CatalogueError(f"{where}: a mapping of {', '.join(LIMIT_KINDS)} to {{min: …, max: …}}")
        for kind, bounds in raw.items():
            if not isinstance(bounds, dict) or not bounds or set(bounds) - {"min", "max"}:
                raise CatalogueError(f"{where}.{kind}: expected {{min: NUMBER, max: NUMBER}}")
            lo, hi = self.limits[kind]
            lo = _bound(f"{where}.{kind}.min", bounds["min"]) if "min" in bounds else lo
            hi = _bound(f"{where}.{kind}.max", bounds["max"]) if "max" in bounds else hi
            if lo > hi:
                raise CatalogueError(f"{where}.{kind}: min {lo} is above max {hi}")
            self.limits[kind] = (lo, hi)

    def resolve_bounds(self) -> "Catalogue":
        """Give every data indicator without its own ``min``/``max`` the bounds of ``limits``."""
        for code, ind in self.indicators.items():
            if ind.limit_kind is None or ind.limit_kind not in self.limits:
                continue
            lo, hi = self.limits[ind.limit_kind]
            if ind.signed and ind.min is None:
                lo = -(ind.max if ind.max is not None else hi)
            if ind.min is None or ind.max is None:
                self.indicators[code] = replace(ind, min=ind.min if ind.min is not None else lo,
                                                max=ind.max if ind.max is not None else hi)
        return self

    def _add_section(self, path: str, i: int, raw: dict) -> None:
        where = f"{path}: sections[{i}]"
        if not isinstance(raw, dict) or "code" not in raw or "title" not in raw:
            raise CatalogueError(f"{where}: each section needs 'code' and 'title'")
        unknown = set(raw) - _SEC_KEYS
        if unknown:
            raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_SEC_KEYS)}")
        code = str(raw["code"])
        if code in self.sections:
            raise CatalogueError(f"{where}: section {code!r} already defined in {self.sections[code].source}")
        after = raw.get("after")
        sec = Section(
            code=code,
            part=str(raw.get("part", code.split(".")[0])),
            title=str(raw["title"]),
            narrative=bool(raw.get("narrative", False)),
            free_text=bool(raw.get("free_text", False)),
            source=path,
        )
        if after is None:
            self.sections[code] = sec
            return
        if after not in self.sections:
            raise CatalogueError(f"{where}: 'after: {after}' names no known section")
        items = list(self.sections.items())
        pos = [k for k, _ in items].index(after) + 1
        # place after the whole subtree of `after` (e.g. after II.5's own subsections)
        while pos < len(items) and items[pos][0].startswith(after + "."):
            pos += 1
        items.insert(pos, (code, sec))
        self.sections = dict(items)

    def _add_indicator(self, path: str, i: int, raw: dict) -> None:
        where = f"{path}: indicators[{i}]"
        if not isinstance(raw, dict):
            raise CatalogueError(f"{where}: expected a mapping")
        missing = [k for k in ("code", "label", "unit", "section", "kind") if k not in raw]
        if missing:
            raise CatalogueError(f"{where}: missing {missing}")
        unknown = set(raw) - _IND_KEYS
        if unknown:
            raise CatalogueError(f"{where} ({raw['code']}): unknown keys {sorted(unknown)}")
        code = str(raw["code"])
        if code in self.indicators:
            raise CatalogueError(
                f"{where}: indicator {code!r} already defined in {self.indicators[code].source}; "
                "choose a new code for your own indicator"
            )
        values = dict(raw)
        if not isinstance(values.get("parts") or [], list):  # `parts: A` would become ('A',) letters
            raise CatalogueError(f"{where} ({code}): parts must be a list of codes, e.g. [CODE_A, CODE_B]")
        dec = values.get("decimals")
        if dec is not None and (isinstance(dec, bool) or not isinstance(dec, int) or dec < 0):
            raise CatalogueError(f"{where} ({code}): decimals must be a whole number >= 0, got {dec!r}")
        for k in ("required", "signed", "additive", "key"):
            if k in values and not isinstance(values[k], bool):
                raise CatalogueError(f"{where} ({code}): {k} must be true or false, got {values[k]!r}")
        for k in ("min", "max"):
            if values.get(k) is not None:
                values[k] = _bound(f"{where} ({code}).{k}", values[k])
        values["parts"] = tuple(values.get("parts") or ())
        values["code"] = code
        for k in ("label", "unit", "section", "kind"):
            values[k] = str(values[k])
        self.indicators[code] = Indicator(**values, source=path)

    # ---- integrity -----------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Everything wrong with the catalogue as a whole (empty when it is consistent)."""
        out: list[str] = []
        for sec in self.sections.values():
            if not _SECTION_RE.match(sec.code):
                out.append(f"section {sec.code!r}: code must look like 'II.3' or 'X_MY_SECTION'")
            if sec.part not in self.sections:
                out.append(f"section {sec.code}: part {sec.part!r} is not a section")
        for ind in self.indicators.values():
            w = f"indicator {ind.code} ({ind.source})"
            if not _CODE_RE.match(ind.code):
                out.append(f"{w}: code must be ASCII upper snake case, e.g. REV_TOTAL")
            if ind.kind not in KINDS:
                out.append(f"{w}: kind {ind.kind!r} not one of {KINDS}")
            if ind.section not in self.sections:
                out.append(f"{w}: section {ind.section!r} is not defined")
            if ind.better not in (None, "higher", "lower"):
                out.append(f"{w}: better must be 'higher' or 'lower'")
            if ind.yoy_threshold is not None and not ind.yoy_threshold > 0:
                out.append(f"{w}: yoy_threshold is a relative change > 0 (0.5 = 50%)")
            if ind.is_derived and not (ind.numerator and ind.denominator):
                out.append(f"{w}: a derived indicator needs numerator and denominator")
            if ind.is_rate and ind.unit != "%":
                out.append(f"{w}: a {ind.kind} indicator has unit '%'")
            for ref in [ind.numerator, ind.denominator, *ind.parts]:
                if ref and ref not in self.indicators:
                    out.append(f"{w}: refers to unknown indicator {ref!r}")
                elif ref and self.indicators[ref].is_derived and ref in ind.parts:
                    out.append(f"{w}: part {ref} is derived")
            if ind.is_derived and ind.numerator in self.indicators and self.indicators[ind.numerator].is_derived:
                out.append(f"{w}: numerator {ind.numerator} is itself derived")
            if ind.is_derived and (ind.min is not None or ind.max is not None):
                out.append(f"{w}: a derived indicator is computed, it has no min/max")
            if ind.min is not None and ind.max is not None and ind.min > ind.max:
                out.append(f"{w}: min {ind.min} is above max {ind.max}")
            if ind.integral and any(b is not None and b != b.to_integral_value() for b in (ind.min, ind.max)):
                out.append(f"{w}: min/max of a {ind.kind} indicator are whole numbers")
        return out

    def check(self) -> "Catalogue":
        probs = self.problems()
        if probs:
            raise CatalogueError("catalogue inconsistent:\n  " + "\n  ".join(probs))
        return self

    # ---- queries -------------------------------------------------------------------------
    def __getitem__(self, code: str) -> Indicator:
        return self.indicators[code]

    def __contains__(self, code: str) -> bool:
        return code in self.indicators

    def in_section(self, section: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.section == section]

    def data_indicators(self) -> list[Indicator]:
        """Indicators entered as data (everything but derived)."""
        return [i for i in self.indicators.values() if not i.is_derived]

    def subsections(self, part: str) -> list[Section]:
        return [s for s in self.sections.values() if s.part == part and not s.is_part]

    @property
    def version(self) -> str:
        return "+".join(self.versions)

    @functools.cached_property
    def digest(self) -> str:
        """sha256 of the merged content: changes whenever any definition changes."""
        payload = {
            "sections": [asdict(s) | {"source": ""} for s in self.sections.values()],
            "indicators": [asdict(i) | {"source": ""} for i in self.indicators.values()],
        }
        if self.limits != DEFAULT_LIMITS:
            payload["limits"] = self.limits
        if self.template_dirs:  # a user file's own templates are part of what it defines
            payload["templates"] = [
                [p.name, hashlib.sha256(p.read_bytes()).hexdigest()]
                for d in self.template_dirs for p in sorted(Path(d).glob("*.md.j2"))
            ]
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=json_default)
                              .encode()).hexdigest()


def _bound(where: str, raw) -> Decimal:
    """A ``min``/``max`` value of the catalogue: a plain number (YAML int, float, or text)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise CatalogueError(f"{where}: expected a number, got {raw!r}")
    try:
        value = Decimal(str(raw).replace("_", "").strip())
    except InvalidOperation:
        raise CatalogueError(f"{where}: expected a number, got {raw!r}") from None
    if not value.is_finite() or abs(value) >= _BOUND_MAX:
        raise CatalogueError(f"{where}: {raw!r} is not a number below 10^18")
    return value


def default_catalogue_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "catalogue.yaml"


def user_catalogue_paths(extra=()) -> tuple[str, ...]:
    return tuple(str(Path(p).resolve()) for p in [*settings.current().catalogues, *extra])


def catalogue_paths(value) -> tuple[str, ...]:
    """The ``catalogue`` notebook parameter (paths separated by ``os.pathsep``) as a tuple."""
    if not value:
        return ()
    if isinstance(value, str):
        return settings.path_list(value)
    return tuple(str(p) for p in value)


@functools.lru_cache(maxsize=16)
def _load(paths: tuple[str, ...], mtimes: tuple[float, ...]) -> Catalogue:
    cat = Catalogue()
    for p in paths:
        cat.add_file(p)
    return cat.resolve_bounds().check()


def load_catalogue(*extra: str | os.PathLike) -> Catalogue:
    """Shipped catalogue + ``DANVAN_CATALOGUE`` files + ``extra`` files, checked for integrity."""
    paths = (str(default_catalogue_path()), *user_catalogue_paths(tuple(str(e) for e in extra)))
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise CatalogueError(f"catalogue file not found: {', '.join(missing)}")
    return _load(paths, tuple(os.path.getmtime(p) for p in paths))
