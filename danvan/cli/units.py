"""``danvan units``: list and find units of the registry (and of the user's own unit files)."""

from __future__ import annotations

import argparse
import json
import warnings

from ..core.errors import UsageError
from ..reference.units import LEVELS, AliasWarning, Unit, UnitRegistry, check_code_format, load_registry
from .options import add_unit_files, parse_year

__all__ = ["register", "select"]


def _row(u: Unit) -> dict:
    return {"code": u.code, "name": u.name, "type": u.type, "parent_code": u.parent_code, "level": u.level,
            "valid_from": u.valid_from.isoformat() if u.valid_from else None,
            "valid_to": u.valid_to.isoformat() if u.valid_to else None,
            "successor_code": u.successor_code or None, "source": u.source}


def _by_code(reg: UnitRegistry, text: str, year: int | None) -> tuple[list[Unit], list[str]]:
    """Rows of a code (``danvan units --search 19786``): the code's own rows, else what it resolves to."""
    notes = []
    rows = [u for u in reg.rows(text) if year is None or u.valid_in(year)]
    if year is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AliasWarning)
            try:
                unit, note = reg.resolve(text, year)
            except LookupError:
                unit, note = None, ""
        if note:
            notes.append(note)
        if unit is not None and unit not in rows:
            rows.append(unit)
    else:
        notes += [a.note for a in reg.aliases(text)]
        for a in reg.aliases(text):
            if a.status == "resolves":
                rows += [u for u in reg.rows(a.canonical_code) if u.valid_from == a.valid_from]
    return rows, notes


def select(reg: UnitRegistry, *, year: int | None, parent: str | None, search: str | None,
           level: str | None, limit: int | None) -> tuple[list[Unit], list[str]]:
    """The units ``danvan units`` lists, and notes (aliases) to print with them."""
    notes: list[str] = []
    if parent is not None:
        check_code_format(parent)
        if year is None:
            raise UsageError("--parent needs --year (the tree changed in 2025: e.g. --parent 46 --year 2024)")
        p = reg.get(parent, year)  # an unknown parent, or one that did not exist that year: exit 2
        units = reg.descendants(p.code, year, level=level) if level else reg.children(p.code, year)
        if not level:
            day = reg.reference_day(p, year)
            units = [u for u in units if u.valid_on(day)]
    elif search is not None:
        text = search.strip()
        try:
            check_code_format(text)
            is_code = True
        except UsageError:
            is_code = False
        if is_code:
            units, notes = _by_code(reg, text, year)
        else:
            units = reg.search(text, year, level=level, limit=None)
    else:
        units = [u for u in reg.units if (year is None or u.valid_in(year)) and (level is None or u.level == level)]
    if search is not None and parent is not None:
        from_search = {(u.code, u.valid_from) for u in reg.search(search, year, level=level, limit=None)}
        units = [u for u in units if (u.code, u.valid_from) in from_search]
    if level and parent is None:
        units = [u for u in units if u.level == level]
    if limit:
        units = units[:limit]
    return units, notes


def _cmd_units(args) -> int:
    reg = load_registry(*args.unit_files)
    if args.year is not None and not any(u.valid_in(args.year) for u in reg.units):
        raise UsageError(f"no unit of the registry existed in {args.year}")
    units, notes = select(reg, year=args.year, parent=args.parent, search=args.search, level=args.level,
                          limit=args.limit)
    if args.json:
        print(json.dumps({"units": [_row(u) for u in units], "notes": notes}, ensure_ascii=False, indent=1))
        return 0
    w = max((len(u.code) for u in units), default=5)
    wn = min(max((len(u.name) for u in units), default=10), 48)
    wt = max((len(u.type) for u in units), default=5)
    for u in units:
        print(f"{u.code:<{w}}  {u.name:<{wn}}  {u.type:<{wt}}  {u.parent_code or '-':<8}  {u.period()}")
    for n in notes:
        print(f"lưu ý: {n}")
    if not units:
        print("không có đơn vị nào khớp")
        return 1
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "units",
        help="list and find administrative units (code, name, type, parent, validity)",
        description="List units of the national registry (63 provinces / 10,035 communes until 30/6/2025, "
                    "34 provinces / 3,321 communes from 1/7/2025) and of the user unit files: one unit per "
                    "line, code first, then name, type, parent code and validity. --search ignores case and "
                    "diacritics ('phuong duc' finds Phường Phường Đúc); a code as the search text lists that "
                    "code's rows and what an alias code stands for. Exit 1 when nothing matches, 2 on a bad "
                    "year or parent.",
        epilog="examples:\n  danvan units --search 'phuong duc' --year 2023\n  danvan units --parent 474 --year 2023\n"
               "  danvan units --parent 01 --year 2024 --level commune\n  danvan units --search 19786 --year 2026",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--year", type=parse_year, help="only units that existed in this year")
    p.add_argument("--parent", metavar="CODE",
                   help="units directly under CODE in --year (with --level: every unit of that level under it)")
    p.add_argument("--search", metavar="TEXT", help="name (case and diacritics ignored) or a code")
    p.add_argument("--level", choices=LEVELS, help="only this level (province, district, commune, user)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N lines")
    p.add_argument("--json", action="store_true", help="as JSON (units and notes)")
    add_unit_files(p)
    p.set_defaults(func=_cmd_units)
