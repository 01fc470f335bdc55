"""Indicator catalogue: what each figure is, how the report writes it, and how figures relate — as
merged from a chain of **report profile** files.

A profile (``danvan/reference/data/profiles/<name>.yaml``) is the sections, indicators (with which
are required), sentence templates, charts and text data ("facts") of one kind of report, e.g. a
province's outline (đề cương). ``base`` holds the topics most reports share, every indicator
optional; a province profile ``extends: base`` and adds, requires, relaxes, hides or re-titles; a
user's profile file does the same on top of a shipped one. Files are pure data (no Python); the
format is described in docs/profiles.md.

Which profile a unit-year gets (its province as of the report year, a unit's own assignment, a run
set or a parameter) is :mod:`danvan.reference.profiles`. :func:`load_catalogue` merges one profile
chain plus **layers**: user catalogue files (``--catalogue``, ``$DANVAN_CATALOGUE``, the notebooks'
``catalogue`` parameter), which are profile files without ``extends``, applied on top of whatever
profile the unit has. A layer may add codes but never silently redefine one (``override`` changes
an inherited definition).

Value bounds: every data indicator accepts values in ``[min, max]``: its own ``min:``/``max:`` keys,
else the top-level ``limits:`` of the profile files and layers for its kind (later files override
earlier ones per kind), else :data:`DEFAULT_LIMITS`. A signed count's default range is
``[-max, max]``; a rate against a target ("so với kế hoạch": 112%, or ``share: false``) uses the
``target_percent`` limits instead of ``percent``. Intake refuses a value outside its range (rule
``value_out_of_range``).
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import hashlib
import json
import os
import re
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from ..core import settings
from ..core.errors import CatalogueError
from ..core.files import read_text
from ..core.vnformat import nfc

__all__ = ["Catalogue", "Indicator", "Section", "Chart", "KINDS", "DEFAULT_LIMITS", "load_catalogue",
           "catalogue_paths", "profiles_dir", "user_catalogue_paths", "profile_files", "find_profile",
           "profile_header", "reference_profile", "profile_chain", "deep_merge", "json_default", "is_file_ref"]

KINDS = ("count", "amount", "percent", "measure", "derived")
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
    "measure": (Decimal(0), Decimal(999_999_999_999_999)),  # hectares, km, tonnes: never negative, never huge
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
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
NOTE_MODES = ("hidden", "inline", "footnote")
AMOUNT_STYLES = ("as_written", "compact", "full")


@dataclass(frozen=True)
class Section:
    code: str
    part: str
    title: str
    narrative: bool = False
    free_text: bool = False
    number: str = ""  # the subsection's number in the report ("" = its position in its part)
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
    counts: str = ""  # what a count counts ("households", "residents", "villages"): QA finds the unit's total
    unit_total: bool = False  # this count is the unit's own total of ``counts`` (POP_HOUSEHOLDS)
    base: str | None = None  # a count's own base: a value written "456/457 hộ" has it as denominator
    share: bool = True  # a rate that is a share of its base (<= 100 %); False: "so với kế hoạch"
    unit_aliases: tuple[str, ...] = ()  # other names of the unit accepted as written ("thôn" for "tổ")
    min: Decimal | None = None  # smallest value accepted (load_catalogue fills in the default: resolve_bounds)
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
    def written_kind(self) -> str:
        """The kind a value is written in (a derived rate stated by a unit is a percent)."""
        return "percent" if self.is_rate else self.kind

    @property
    def against_target(self) -> bool:
        """A rate against a plan/estimate/last year (may exceed 100 %): ``share: false``, or said by
        its label/description."""
        text = f"{self.label} {self.description}".casefold()
        return self.kind == "percent" and (not self.share or any(w in text for w in _AGAINST_TARGET))

    @property
    def limit_kind(self) -> str | None:
        """The key of ``limits:`` whose bounds apply (None for derived indicators)."""
        if self.kind == "percent":
            return "target_percent" if self.against_target else "percent"
        return self.kind if self.kind in ("count", "amount", "measure") else None



@dataclass(frozen=True)
class Chart:
    """A bar chart a profile declares: one code (or none) per category in each series."""

    name: str
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[str | None, ...]], ...]
    unit: str = ""
    scale: float = 1.0  # values are divided by it (1000000000: tỷ đồng)
    prior_year: bool = False  # the comparable prior year's series first (a one-series chart)
    stacked: bool = False
    horizontal: bool = True
    value_format: str = "number"
    headline: str | None = None  # an amount repeated under the chart in figures and in words
    source: str = ""

    @property
    def codes(self) -> list[str]:
        return [c for _name, codes in self.series for c in codes if c]


_IND_FIELDS = {f.name: f for f in fields(Indicator)}
_IND_KEYS = set(_IND_FIELDS) - {"source"}
_SEC_KEYS = {f.name for f in fields(Section)} - {"source"} | {"after", "includes"}
_CHART_KEYS = {f.name for f in fields(Chart)} - {"source"}
_FILE_KEYS = {"profile", "catalogue", "version", "title", "description", "extends", "reference", "applies_to",
              "templates", "compat_catalogue", "sections", "indicators", "override", "require", "relax", "hide",
              "show", "charts", "facts", "words", "style", "notes", "limits"}


@dataclass
class Catalogue:
    """A merged profile: every stage reads its sections, indicators and charts (hidden ones left out),
    templates read ``facts``, ``words``, ``style`` and ``notes``."""

    sections: dict[str, Section] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    charts: dict[str, Chart] = field(default_factory=dict)
    versions: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    template_dirs: list[str] = field(default_factory=list)  # searched in this order (most specific first)
    facts: dict = field(default_factory=dict)
    words: dict = field(default_factory=dict)
    style: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    profile: str = ""  # the profile the chain ends in
    title: str = ""
    compat: frozenset = frozenset()  # catalogue versions of older forms that still import without warning
    hidden: frozenset = frozenset()  # codes the chain defines but this profile hides (read as missing)
    level: str = "commune"
    limits: dict[str, tuple[Decimal, Decimal]] = field(default_factory=lambda: dict(DEFAULT_LIMITS))

    # ---- bounds --------------------------------------------------------------------------
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
            if not ind.is_rate and ind.unit == "%":
                out.append(f"{w}: unit '%' is for kind percent or derived")
            for ref in [ind.numerator, ind.denominator, ind.base, *ind.parts]:
                if ref and ref not in self.indicators:
                    where = "hidden" if ref in self.hidden else "unknown"
                    out.append(f"{w}: refers to {where} indicator {ref!r}")
                elif ref and self.indicators[ref].is_derived and ref in ind.parts:
                    out.append(f"{w}: part {ref} is derived")
            if ind.is_derived and ind.numerator in self.indicators and self.indicators[ind.numerator].is_derived:
                out.append(f"{w}: numerator {ind.numerator} is itself derived")
        for ch in self.charts.values():
            for code in ch.codes:
                if code not in self.indicators:
                    where = "hidden" if code in self.hidden else "unknown"
                    out.append(f"chart {ch.name} ({ch.source}): uses {where} indicator {code!r}; hide the chart "
                               "or show the indicator")
            if any(len(codes) != len(ch.categories) for _n, codes in ch.series):
                out.append(f"chart {ch.name} ({ch.source}): each series needs one code (or null) per category")
            if ch.headline and ch.headline not in self.indicators:
                out.append(f"chart {ch.name} ({ch.source}): headline {ch.headline!r} is not a visible indicator")
        for k, v in self.notes.items():
            if v not in NOTE_MODES:
                out.append(f"notes.{k}: {v!r} is not one of {NOTE_MODES}")
            elif k != "default" and k not in self.indicators and k not in self.hidden:
                out.append(f"notes.{k}: no such indicator")
        if self.style.get("amounts", "as_written") not in AMOUNT_STYLES:
            out.append(f"style.amounts: {self.style['amounts']!r} is not one of {AMOUNT_STYLES}")
        for ind in self.indicators.values():
            w = f"indicator {ind.code} ({ind.source})"
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

    def note_mode(self, code: str) -> str:
        """Where the form's "Ghi chú" of ``code`` reaches the report: hidden | inline | footnote."""
        return self.notes.get(code, self.notes.get("default", "hidden"))

    @property
    def amount_style(self) -> str:
        return self.style.get("amounts", "as_written")

    @property
    def version(self) -> str:
        return "+".join(self.versions)

    def accepts_version(self, version: str) -> bool:
        """True when a form made with catalogue ``version`` needs no warning."""
        return version == self.version or version in self.compat

    @functools.cached_property
    def digest(self) -> str:
        """sha256 of the merged content: changes whenever any definition, chart, text datum or template
        changes (keys at their default are left out, so that a new optional key does not change it)."""
        payload = {
            "sections": [_non_default(s) for s in self.sections.values()],
            "indicators": [_non_default(i) for i in self.indicators.values()],
            "charts": [_non_default(c) for c in self.charts.values()],
            "facts": self.facts, "words": self.words, "style": self.style, "notes": self.notes,
            "templates": [[p.name, hashlib.sha256(p.read_bytes()).hexdigest()]
                          for d in self.template_dirs for p in sorted(Path(d).glob("*.md.j2"))],
        }
        if self.limits != DEFAULT_LIMITS:
            payload["limits"] = self.limits
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=json_default).encode()
                              ).hexdigest()

    def definition(self) -> dict:
        """The merged definitions as JSON-able data (kept in the store with each import)."""
        return {"profile": self.profile, "version": self.version,
                "sections": [asdict(x) for x in self.sections.values()],
                "indicators": [asdict(x) for x in self.indicators.values()],
                "charts": [asdict(x) for x in self.charts.values()]}


def _non_default(obj) -> dict:
    """The fields of a definition that differ from their defaults (``source`` left out)."""
    out = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if f.name != "source" and (f.default is MISSING or v != f.default):
            out[f.name] = v
    return out


# ================================================================================================
# profile files
# ================================================================================================
def profiles_dir() -> Path:
    """The shipped profiles (``base``, province profiles, ``khu-dan-cu``) and their templates."""
    return Path(__file__).resolve().parent / "data" / "profiles"


def _read_yaml(path: str) -> dict:
    text = read_text(path, "tệp danh mục chỉ tiêu (YAML)", CatalogueError)
    try:
        doc = yaml.safe_load(nfc(text)) or {}
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: cannot read catalogue file: {exc}") from exc
    if not isinstance(doc, dict):
        raise CatalogueError(f"{path}: expected a mapping with 'sections' and/or 'indicators'")
    unknown = set(doc) - _FILE_KEYS
    if unknown:
        raise CatalogueError(f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(_FILE_KEYS)}")
    return doc


@functools.lru_cache(maxsize=256)
def _header(path: str, mtime: float) -> dict:
    doc = _read_yaml(path)
    return {k: doc.get(k) for k in ("profile", "catalogue", "version", "title", "extends", "reference",
                                   "applies_to")} | {"path": path}


def profile_header(path) -> dict:
    """``profile``, ``version``, ``title``, ``extends``, ``applies_to`` … of a profile file (cached)."""
    path = os.path.abspath(path)
    try:
        return _header(path, os.path.getmtime(path))
    except FileNotFoundError:
        raise CatalogueError(f"profile file not found: {path}") from None


def profile_files(extra=()) -> list[str]:
    """Installed profile files: the shipped ones, ``$DANVAN_PROFILES`` and ``extra``."""
    shipped = _shipped_files()
    user = [os.path.abspath(p) for p in [*settings.profile_files(), *extra]]
    missing = [p for p in user if not os.path.exists(p)]
    if missing:
        raise CatalogueError(f"profile file not found: {', '.join(missing)}")
    return list(dict.fromkeys([*user, *shipped]))


@functools.lru_cache(maxsize=1)
def _shipped_files() -> list[str]:
    return sorted(str(p) for p in profiles_dir().glob("*.yaml"))


def is_file_ref(ref: str) -> bool:
    """A profile named by its file (``.yaml``, or a path), not by the name an installed profile declares."""
    return ref.endswith((".yaml", ".yml")) or os.sep in ref or "/" in ref


def find_profile(ref: str, *, relative_to: str | None = None, extra=()) -> str:
    """The file of profile ``ref``: a path (``.yaml``; relative to ``relative_to``'s folder when
    given) or the name an installed file declares (``profile: vinh-long``)."""
    ref = str(ref)
    if is_file_ref(ref):
        p = Path(ref)
        if relative_to and not p.is_absolute():
            p = Path(relative_to).parent / p
        if not p.exists():
            raise CatalogueError(f"profile file not found: {p}")
        return str(p.resolve())
    names = {}
    for path in profile_files(extra):
        names.setdefault(profile_header(path).get("profile"), path)
    if ref not in names:
        known = ", ".join(sorted(n for n in names if n))
        raise CatalogueError(f"profile {ref!r} not found; installed profiles: {known} (or give a .yaml file)")
    return names[ref]


def reference_profile() -> str:
    """The profile of the reference report (the shipped file with ``reference: true``): the catalogue
    read when no unit is known."""
    for path in profile_files():
        if profile_header(path).get("reference"):
            return str(profile_header(path)["profile"])
    return "base"  # pragma: no cover - a shipped profile is marked


def profile_chain(ref: str, extra=()) -> list[str]:
    """The files of profile ``ref``, parent first: ``hue`` -> [base.yaml, hue.yaml]."""
    out: list[str] = []

    def visit(path: str, seen: tuple) -> None:
        head = profile_header(path)
        if path in seen:
            raise CatalogueError(f"{path}: profile {head.get('profile')!r} extends itself (cycle)")
        parent = head.get("extends")
        if parent is None and path != _base_path():
            parent = "base"  # a profile file extends the national base unless it says otherwise
        if parent:
            visit(find_profile(str(parent), relative_to=path, extra=extra), (*seen, path))
        out.append(path)

    visit(find_profile(ref, extra=extra), ())
    return out


def _base_path() -> str:
    return str(profiles_dir() / "base.yaml")


def user_catalogue_paths(extra=()) -> tuple[str, ...]:
    return tuple(str(Path(p).resolve()) for p in [*settings.catalogue_files(), *extra])


def catalogue_paths(value) -> tuple[str, ...]:
    """The ``catalogue`` notebook parameter (paths separated by ``os.pathsep``) as a tuple."""
    if not value:
        return ()
    if isinstance(value, str):
        return settings.path_list(value)
    return tuple(str(p) for p in value)


# ================================================================================================
# merging
# ================================================================================================
def _match(code: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(code, str(p)) for p in patterns or ())


def deep_merge(a: dict, b: dict) -> dict:
    """``a`` with ``b`` merged in, key by key (mappings recursively; anything else replaced)."""
    out = dict(a)
    for k, v in (b or {}).items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


class _Merge:
    """Applies profile files and layers one after another, then builds the :class:`Catalogue`."""

    def __init__(self, level: str):
        self.level = level
        self.sections: dict[str, dict] = {}
        self.sec_order: list[str] = []
        self.indicators: dict[str, dict] = {}
        self.ind_order: list[str] = []
        self.charts: dict[str, dict] = {}
        self.hidden: dict[str, set] = {"sections": set(), "indicators": set(), "charts": set()}
        self.cat = Catalogue(level=level)
        self.compat: set[str] = set()

    # ---- one file ------------------------------------------------------------------------
    def add(self, path: str) -> None:
        doc = _read_yaml(path)
        name = doc.get("profile") or doc.get("catalogue") or Path(path).stem
        self.cat.versions.append(f"{name}@{doc.get('version', '?')}")
        self.cat.sources.append(path)
        if doc.get("profile"):
            self.cat.profile = str(doc["profile"])
            self.cat.title = str(doc.get("title") or self.cat.title)
        if doc.get("templates"):  # `templates: templates/` = narrative templates beside the file
            tdir = (Path(path).parent / str(doc["templates"])).resolve()
            if not tdir.is_dir():
                raise CatalogueError(f"{path}: 'templates: {doc['templates']}' is not a directory ({tdir})")
            self.cat.template_dirs.insert(0, str(tdir))
        compat = doc.get("compat_catalogue") or []
        self.compat |= {str(c) for c in ([compat] if isinstance(compat, str) else compat)}
        includes = []
        prev = None
        for i, raw in enumerate(doc.get("sections") or []):
            prev = self._section(path, i, raw, prev)
            if raw.get("includes"):
                includes.append((prev, raw["includes"], i))
        prev = None
        for i, raw in enumerate(doc.get("indicators") or []):
            prev = self._indicator(path, i, raw, prev)
        for code, inc, i in includes:
            self._include(path, i, code, inc)
        self._override(path, doc.get("override") or {})
        for verb, flag in (("require", True), ("relax", False)):
            self._require(path, verb, flag, doc.get(verb) or [])
        for i, raw in enumerate(doc.get("charts") or []):
            self._chart(path, i, raw)
        self._hide_show(path, doc.get("hide") or {}, doc.get("show") or {}, doc.get("charts") or [])
        if doc.get("limits") is not None:
            self._limits(path, doc["limits"])
        for k in ("facts", "words", "style", "notes"):
            value = doc.get(k) or {}
            if not isinstance(value, dict):
                raise CatalogueError(f"{path}: '{k}' must be a mapping")
            setattr(self.cat, k, deep_merge(getattr(self.cat, k), value))

    def _limits(self, path: str, raw) -> None:
        where = f"{path}: limits"
        if not isinstance(raw, dict) or set(raw) - set(LIMIT_KINDS):
            raise CatalogueError(f"{where}: a mapping of {', '.join(LIMIT_KINDS)} to {{min: …, max: …}}")
        for kind, bounds in raw.items():
            if not isinstance(bounds, dict) or not bounds or set(bounds) - {"min", "max"}:
                raise CatalogueError(f"{where}.{kind}: expected {{min: NUMBER, max: NUMBER}}")
            lo, hi = self.cat.limits[kind]
            lo = _bound(f"{where}.{kind}.min", bounds["min"]) if "min" in bounds else lo
            hi = _bound(f"{where}.{kind}.max", bounds["max"]) if "max" in bounds else hi
            if lo > hi:
                raise CatalogueError(f"{where}.{kind}: min {lo} is above max {hi}")
            self.cat.limits[kind] = (lo, hi)

    @staticmethod
    def _entry(where: str, raw, needs: tuple, allowed: set, key: str, pool: dict, what: str, fix: str) -> str:
        """Check one new entry (a section or a chart): its keys, and that its ``key`` is not inherited."""
        if not isinstance(raw, dict) or not set(needs) <= set(raw):
            raise CatalogueError(f"{where}: each {what} needs " + " and ".join(f"'{k}'" for k in needs))
        unknown = set(raw) - allowed
        if unknown:
            raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
        name = str(raw[key])
        if name in pool:
            raise CatalogueError(f"{where}: {what} {name!r} already defined in {pool[name]['source']}; "
                                 + fix.format(name=name))
        return name

    def _section(self, path: str, i: int, raw, prev: str | None) -> str:
        where = f"{path}: sections[{i}]"
        code = self._entry(where, raw, ("code", "title"), _SEC_KEYS, "code", self.sections, "section",
                           "change it with 'override: {{{name}: …}}'")
        after = raw.get("after", prev)
        if after is not None and str(after) not in self.sections:
            raise CatalogueError(f"{where}: 'after: {after}' names no known section")
        sec = {"code": code, "part": str(raw.get("part", code.split(".")[0])), "title": str(raw["title"]),
               "narrative": bool(raw.get("narrative", False)), "free_text": bool(raw.get("free_text", False)),
               "number": str(raw.get("number") or ""), "source": path}
        self.sections[code] = sec
        if after is None:
            self.sec_order.append(code)
        else:  # after the whole subtree of `after` (its subsections, or a part's sections)
            after = str(after)
            pos = self.sec_order.index(after) + 1
            while pos < len(self.sec_order) and self._inside(self.sec_order[pos], after):
                pos += 1
            self.sec_order.insert(pos, code)
        return code

    def _inside(self, code: str, anchor: str) -> bool:
        s = self.sections[code]
        return code.startswith(anchor + ".") or (s["part"] == anchor and code != anchor)

    def _indicator(self, path: str, i: int, raw, prev: str | None) -> str:
        where = f"{path}: indicators[{i}]"
        if not isinstance(raw, dict):
            raise CatalogueError(f"{where}: expected a mapping")
        missing = [k for k in ("code", "label", "unit", "section", "kind") if k not in raw]
        if missing:
            raise CatalogueError(f"{where}: missing {missing}")
        unknown = set(raw) - _IND_KEYS - {"after", "before"}
        if unknown:
            raise CatalogueError(f"{where} ({raw['code']}): unknown keys {sorted(unknown)}")
        code = str(raw["code"])
        if code in self.indicators:
            raise CatalogueError(
                f"{where}: indicator {code!r} already defined in {self.indicators[code]['source']}; "
                "choose a new code for your own indicator (or change the inherited one with 'override')"
            )
        values = {k: v for k, v in raw.items() if k not in ("after", "before")}
        self._check_values(f"{where} ({code})", values)
        for k in ("label", "unit", "section", "kind"):
            values[k] = str(values[k])
        values["code"] = code
        values["source"] = path
        self.indicators[code] = values
        anchor = raw.get("after", raw.get("before"))
        if anchor is not None:
            if anchor not in self.indicators:
                word = "after" if "after" in raw else "before"
                raise CatalogueError(f"{where} ({code}): '{word}: {anchor}' names no known indicator")
            self.ind_order.insert(self.ind_order.index(anchor) + (0 if "before" in raw else 1), code)
        elif prev is not None and self.indicators[prev]["section"] == values["section"]:
            self.ind_order.insert(self.ind_order.index(prev) + 1, code)
        else:
            same = [c for c in self.ind_order if self.indicators[c]["section"] == values["section"]]
            self.ind_order.insert(self.ind_order.index(same[-1]) + 1 if same else len(self.ind_order), code)
        return code

    @staticmethod
    def _check_values(where: str, values: dict) -> None:
        for k in ("parts", "unit_aliases"):
            if not isinstance(values.get(k) or [], list):  # `parts: A` would become ('A',) letters
                raise CatalogueError(f"{where}: {k} must be a list, e.g. [CODE_A, CODE_B]")
        dec = values.get("decimals")
        if dec is not None and (isinstance(dec, bool) or not isinstance(dec, int) or dec < 0):
            raise CatalogueError(f"{where}: decimals must be a whole number >= 0, got {dec!r}")
        for k in ("required", "signed", "additive", "key", "unit_total", "share"):
            if k in values and not isinstance(values[k], bool):
                raise CatalogueError(f"{where}: {k} must be true or false, got {values[k]!r}")
        for k in ("min", "max"):
            if values.get(k) is not None:
                values[k] = _bound(f"{where}.{k}", values[k])
        if values.get("yoy_threshold") is not None:
            values["yoy_threshold"] = float(_bound(f"{where}.yoy_threshold", values["yoy_threshold"]))

    def _include(self, path: str, i: int, code: str, inc) -> None:
        for other in [inc] if isinstance(inc, str) else inc:
            other = str(other)
            if other not in self.sections or other == code:
                raise CatalogueError(f"{path}: sections[{i}] ({code}): includes unknown section {other!r}")
            for ind in self.indicators.values():
                if ind["section"] == other:
                    ind["section"] = code
            del self.sections[other]
            self.sec_order.remove(other)

    def _override(self, path: str, changes: dict) -> None:
        if not isinstance(changes, dict):
            raise CatalogueError(f"{path}: override must map codes to changes")
        for code, change in changes.items():
            code = str(code)
            target = self.indicators.get(code) or self.sections.get(code)
            if target is None or not isinstance(change, dict):
                raise CatalogueError(f"{path}: override of unknown code {code!r}")
            bad = {"code", "kind"} & set(change)
            if bad:
                raise CatalogueError(f"{path}: override of {code}: {sorted(bad)} cannot change (stored data "
                                     "depends on it); define a new indicator instead")
            allowed = (_IND_KEYS if code in self.indicators else _SEC_KEYS - {"after", "includes"}) - {"code"}
            if set(change) - allowed:
                raise CatalogueError(f"{path}: override of {code}: unknown keys {sorted(set(change) - allowed)}")
            if code in self.indicators:
                self._check_values(f"{path}: override of {code}", change)
            for k, v in change.items():
                if v is None:
                    target.pop(k, None)
                else:
                    target[k] = v

    def _require(self, path: str, verb: str, flag: bool, items) -> None:
        for item in items:
            code, levels = (item, None) if isinstance(item, str) else (item.get("code"), item.get("levels"))
            if code not in self.indicators:
                raise CatalogueError(f"{path}: {verb} names unknown indicator {code!r}")
            if levels is None or self.level in levels:
                self.indicators[code]["required"] = flag

    def _chart(self, path: str, i: int, raw) -> None:
        where = f"{path}: charts[{i}]"
        name = self._entry(where, raw, ("name", "title", "categories", "series"), _CHART_KEYS, "name", self.charts,
                           "chart", "hide it and add one with another name")
        series = []
        for s in raw["series"] or []:
            if not isinstance(s, dict) or "codes" not in s:
                raise CatalogueError(f"{where} ({name}): each series is {{name: …, codes: [CODE or null, …]}}")
            series.append((str(s.get("name", "")), tuple(None if c is None else str(c) for c in s["codes"])))
        scale = float(_bound(f"{where} ({name}).scale", raw.get("scale", 1) or 1))
        self.charts[name] = dict(raw, name=name, categories=tuple(str(c) for c in raw["categories"]),
                                 series=tuple(series), scale=scale, source=path)

    def _hide_show(self, path: str, hide: dict, show: dict, own_charts) -> None:
        pools = {"sections": self.sections, "indicators": self.indicators, "charts": self.charts}
        for verb, spec in (("hide", hide), ("show", show)):
            if not isinstance(spec, dict) or set(spec) - set(pools):
                raise CatalogueError(f"{path}: {verb} is {{sections: […], indicators: […], charts: […]}}")
        for what, pool in pools.items():
            h, s = hide.get(what) or [], show.get(what) or []
            for p in [*h, *s]:
                if not any(fnmatch.fnmatchcase(c, str(p)) for c in pool):
                    raise CatalogueError(f"{path}: hide/show {what}: {p!r} matches nothing (a typo?)")
            self.hidden[what] |= {c for c in pool if _match(c, h)}
            self.hidden[what] -= {c for c in pool if _match(c, s)}
        # a file's own charts are shown even when an earlier file hid every chart ("*")
        self.hidden["charts"] -= {str(c["name"]) for c in own_charts if isinstance(c, dict) and "name" in c}

    # ---- the result ----------------------------------------------------------------------
    def build(self) -> Catalogue:
        cat = self.cat
        hidden_secs = set(self.hidden["sections"])
        hidden_secs |= {c for c, s in self.sections.items() if s["part"] in hidden_secs}
        hidden_inds = set(self.hidden["indicators"]) | {
            c for c, i in self.indicators.items() if i["section"] in hidden_secs}
        for code in sorted(hidden_inds):
            if self.indicators[code].get("required"):
                raise CatalogueError(f"{self.indicators[code]['source']}: required indicator {code} is hidden; "
                                     "relax it (relax: [CODE]) or show it")
        sections = {c: Section(**self.sections[c]) for c in self.sec_order if c not in hidden_secs}
        pos = {c: n for n, c in enumerate(sections)}
        order = [c for c in self.ind_order if c not in hidden_inds]
        for c in order:  # an indicator in a section that is not in the outline: problems() says so
            pos.setdefault(self.indicators[c]["section"], len(pos))
        order.sort(key=lambda c: pos[self.indicators[c]["section"]])  # stable: by section, then placement
        inds = {}
        for c in order:
            v = dict(self.indicators[c])
            v["parts"] = tuple(v.get("parts") or ())
            v["unit_aliases"] = tuple(str(a) for a in v.get("unit_aliases") or ())
            if v.get("base") and v["base"] in hidden_inds:
                v["base"] = None  # a soft QA relation: a hidden base turns the check off
            if v.get("yoy_threshold") is not None:
                v["yoy_threshold"] = float(v["yoy_threshold"])
            inds[c] = Indicator(**{k: v[k] for k in v if k in _IND_FIELDS})
        charts = {}
        for name, raw in self.charts.items():
            if name in self.hidden["charts"]:
                continue
            values = {k: v for k, v in raw.items() if k in _CHART_KEYS | {"source"}}
            values["scale"] = float(values.get("scale", 1) or 1)
            charts[name] = Chart(**values)
        cat.sections, cat.indicators, cat.charts = sections, inds, charts
        cat.hidden = frozenset(set(self.indicators) - set(inds))
        cat.compat = frozenset(self.compat)
        return cat


def _bound(where: str, raw) -> Decimal:
    """A ``min``/``max`` value of the catalogue: a plain number (YAML int, float, or text)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise CatalogueError(f"{where}: expected a number, got {raw!r}")
    try:
        value = Decimal(str(raw).replace("_", "").strip())
    except InvalidOperation:
        raise CatalogueError(f"{where}: expected a number, got {raw!r}") from None
    if not value.is_finite() or abs(value) >= _BOUND_MAX:
        raise CatalogueError(f"{where}: {raw!r} is not a number below 10^18")
    return value


@functools.lru_cache(maxsize=64)
def _load(paths: tuple[str, ...], mtimes: tuple[float, ...], level: str) -> Catalogue:
    m = _Merge(level)
    for p in paths:
        m.add(p)
    return m.build().resolve_bounds().check()


def load_catalogue(*extra: str | os.PathLike, profile: str | None = None, level: str = "commune",
                   profiles=()) -> Catalogue:
    """The merged catalogue of ``profile`` (a name or a ``.yaml`` file; default: the reference report's
    profile) for a unit of ``level``, plus the ``$DANVAN_CATALOGUE`` files and ``extra`` as layers,
    checked for integrity. ``profiles``: more profile files to know by name (``$DANVAN_PROFILES`` too)."""
    chain = profile_chain(profile or reference_profile(), profiles)
    layers = user_catalogue_paths(tuple(str(e) for e in extra))
    missing = [p for p in layers if not os.path.exists(p)]
    if missing:
        raise CatalogueError(f"catalogue file not found: {', '.join(missing)}")
    for p in layers:  # a layer goes on top of the unit's profile; a whole profile is given as `profile`
        if profile_header(p).get("extends"):
            raise CatalogueError(f"{p}: a catalogue file with 'extends' is a profile: give it as --profile "
                                 "(or the notebook's `profile` parameter), not as --catalogue")
    paths = tuple(dict.fromkeys([*chain, *layers]))
    return _load(paths, tuple(os.path.getmtime(p) for p in paths), level)
