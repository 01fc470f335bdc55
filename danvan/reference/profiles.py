"""Which report profile a unit-year gets, and its catalogue.

Highest first:

1. an explicit profile: a run parameter (``-p profile=…``, ``--profile``), or a run set's
   ``profile:`` (for all its reports or one ``reports[]`` entry) — a name or a ``.yaml`` file;
2. a profile whose ``applies_to`` names the unit (``units: ["19906"]``);
3. a profile whose ``applies_to`` names the unit's **province as of the report year** (its parent
   chain in the registry of that year) — directly, or through the province's lineage: a claim on
   An Giang (89) also covers the An Giang formed on 2025-07-01 (91) from An Giang and Kiên Giang.
   A direct claim beats a claim through the lineage; naming the unit's level (``levels: [user]``)
   or type (``types: [Thôn, …]``) beats naming only the province; ``from``/``to`` bound the years;
4. the national base profile.

Installed profiles are the shipped ones and the files of ``$DANVAN_PROFILES`` (and ``profiles=``).
Two unrelated profiles making equally specific claims are an error naming both (set one per run
set or parameter); when one extends the other, the more specific one wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import CatalogueError, UnknownUnitError
from .catalogue import Catalogue, load_catalogue, profile_chain, profile_files, profile_header
from .units import Unit, UnitRegistry, load_registry

__all__ = ["Assignment", "province_of", "profile_for", "catalogue_for", "installed_profiles", "reporting_unit"]


@dataclass(frozen=True)
class Assignment:
    """The profile of a unit-year: what :func:`load_catalogue` reads (a name or a file), its name,
    and why it applies (Vietnamese, printed by ``danvan form``)."""

    profile: str
    name: str
    why: str


def installed_profiles(extra=()) -> list[dict]:
    """The headers (``profile``, ``version``, ``extends``, ``applies_to``, ``path``) of every installed
    profile file, user files first."""
    return [profile_header(p) for p in profile_files(extra)]


def province_of(unit: Unit, year: int, reg: UnitRegistry) -> Unit | None:
    """The province ``unit`` belongs to in ``year`` (walking its parents in that year's tree)."""
    seen = set()
    u = unit
    while u.level != "province":
        if not u.parent_code or u.parent_code in seen:
            return None
        seen.add(u.parent_code)
        try:
            u = reg.get(u.parent_code, year)
        except UnknownUnitError:
            return None
    return u


def _lineage(province: Unit, reg: UnitRegistry) -> set[str]:
    """Codes of the provinces ``province`` was formed from (recursively)."""
    out, todo = set(), [province]
    while todo:
        for p in reg.predecessors_of(todo.pop()):
            if p.code not in out and p.level == "province":
                out.add(p.code)
                todo.append(p)
    out.discard(province.code)
    return out


def _score(claim: dict, unit: Unit, year: int, province: Unit | None, lineage: set[str]) -> int | None:
    """How specifically ``claim`` (one ``applies_to`` entry) names the unit-year; None: not at all."""
    if not isinstance(claim, dict):
        return None
    if not int(claim.get("from", 0)) <= year <= int(claim.get("to", 9999)):
        return None
    if claim.get("levels") and unit.level not in claim["levels"]:
        return None
    if claim.get("types") and unit.type not in claim["types"]:
        return None
    narrow = 20 * bool(claim.get("levels") or claim.get("types"))
    if "units" in claim:
        return 1000 + narrow if unit.code in {str(c) for c in claim["units"]} else None
    prov = str(claim.get("province", ""))
    if prov == "*":
        return 1 + narrow
    if province is not None and prov == province.code:
        return 10 + narrow
    if prov in lineage:
        return 5 + narrow
    return None


def _ancestors(path: str, extra) -> set[str]:
    return set(profile_chain(path, extra)[:-1])


def profile_for(unit: Unit, year: int, registry: UnitRegistry | None = None, *, profile: str | None = None,
                profiles=()) -> Assignment:
    """The profile of ``unit`` in ``year`` (see the module docstring for the order)."""
    if profile:
        return Assignment(str(profile), str(profile), "chọn khi chạy (tùy chọn --profile / tham số profile)")
    reg = registry or load_registry()
    province = province_of(unit, int(year), reg)
    lineage = _lineage(province, reg) if province is not None else set()
    best: dict[str, tuple[int, dict]] = {}
    for head in installed_profiles(profiles):
        for claim in head.get("applies_to") or []:
            score = _score(claim, unit, int(year), province, lineage)
            if score is not None and score > best.get(head["path"], (-1, None))[0]:
                best[head["path"]] = (score, head)
    if not best:
        return Assignment("base", "base", "khung chung toàn quốc (tỉnh chưa có đề cương riêng)")
    top = max(score for score, _h in best.values())
    heads = [h for score, h in best.values() if score == top]
    specific = [h for h in heads if not any(h["path"] in _ancestors(o["path"], profiles) for o in heads)]
    if len(specific) > 1:
        names = ", ".join(sorted(str(h.get("profile")) for h in specific))
        raise CatalogueError(
            f"unit {unit.code} ({year}): several profiles claim it equally ({names}); choose one with "
            "--profile / the `profile` parameter, or in the run set")
    head = specific[0]
    where = (f"đơn vị {unit.code}" if top >= 1000 else
             f"{province.name} (mã {province.code})" if province is not None and top % 20 >= 5 else "mọi tỉnh")
    return Assignment(head["path"], str(head.get("profile")), f"đề cương «{head.get('profile')}» áp dụng cho {where}")


def catalogue_for(unit: Unit | str, year: int, *, registry: UnitRegistry | None = None, profile: str | None = None,
                  catalogue_files=(), profiles=()) -> Catalogue:
    """The merged catalogue a unit-year's forms, intake, figures and report read: its profile
    (:func:`profile_for`) for its level, with the user catalogue layers ``catalogue_files``."""
    reg = registry or load_registry()
    if isinstance(unit, str):
        unit = reg.get(unit, int(year))
    chosen = profile_for(unit, int(year), reg, profile=profile, profiles=profiles)
    return load_catalogue(*catalogue_files, profile=chosen.profile, level=unit.level, profiles=profiles)


def reporting_unit(parent: Unit, year: int, reg: UnitRegistry) -> Unit:
    """The unit whose profile a summary over ``parent`` reads: the parent itself, or — for a commune's
    own units (thôn, tổ dân phố) — its first reporting unit (they report on their own outline)."""
    if reg.reporting_level(parent) == "commune":
        return parent
    kids = reg.descendants(parent.code, int(year), level=reg.reporting_level(parent))
    return kids[0] if kids else parent
