"""Administrative unit registry: every province, district and commune of Vietnam across the
reorganisations, codes always strings, look-ups by code and year, lineage, aliases, search.

The registry is versioned data built by ``scripts/build_registry.py`` (never imported by danvan)
into ``danvan/reference/data/`` (see docs/units.md):

- ``units.csv``: one row per unit *and validity period* (``code, name, type, parent_code, level,
  valid_from, valid_to, successor_code, source``). The same code may appear in several rows (a code
  reused on 2025-07-01, a unit whose parent changed on 2025-01-01); ``(code, valid_from)`` identifies
  a row. ``successor_code`` names the row that follows on the day after ``valid_to``: the unit's own
  code when only its parent, name or type changed, its (main) successor when it was merged or split;
- ``crosswalk.csv``: old -> new on each reorganisation, every part of a split unit (``relation``
  ``whole``/``part``, ``is_main``), read on first use;
- ``aliases.csv``: codes another source gives to a unit (QĐ 19/2025/QĐ-TTg decides the canonical
  one); they resolve to the canonical unit with a Vietnamese note (:class:`AliasWarning`).

Units of a user's own (thôn, tổ dân phố, …) come from user unit files (``--units``,
``$DANVAN_UNITS``; :mod:`danvan.reference.unitfile`), with level ``user``.

Loading the national registry takes a few tens of milliseconds (rows are named tuples, lines split
on commas: the build guarantees no field needs quoting); look-ups by code are dict look-ups, and the
indexes by parent and by successor are built on first use.
"""

from __future__ import annotations

import bisect
import csv
import datetime as _dt
import gc
import io
import os
import re
import unicodedata
import warnings
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from ..core import settings
from ..core.errors import UnitCodeError, UnknownUnitError
from ..core.files import read_text
from ..core.vnformat import fmt_short_date, nfc
from .unitfile import USER_CODE_RE, USER_LEVEL, USER_TYPES, read_unit_files

__all__ = [
    "Unit", "Edge", "Alias", "AliasWarning", "UnitRegistry", "check_code_format", "ascii_lookalike", "is_user_code", "fold",
    "load_registry", "unit_paths", "default_registry_path", "DATA_DIR", "LEVELS",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
LEVELS = ("province", "district", "commune", USER_LEVEL)
# ASCII digits only: "\d" would accept "１９７８０" (full-width) and "١٩٧٨٠" (Arabic-Indic), codes that
# look like 19780 and are not it
_OFFICIAL_RE = re.compile(r"[0-9]{2}|[0-9]{3}|[0-9]{5}")
_TYPES = ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Phường", "Huyện", "Quận", "Tỉnh", "Xã", *USER_TYPES)
_LEVEL_RANK = {lv: i for i, lv in enumerate(LEVELS)}
_MIN, _MAX = _dt.date.min, _dt.date.max
_FIELDS = ("code", "name", "type", "parent_code", "level", "valid_from", "valid_to", "successor_code", "source")
_code_of = itemgetter(0)


class AliasWarning(UserWarning):
    """A code was resolved through ``aliases.csv`` (another source's code for the unit); the message
    is the Vietnamese note."""


def ascii_lookalike(code: str) -> str | None:
    """The ASCII code a code of other Unicode digits looks like ("１９７８０" -> "19780"), if any."""
    try:
        return "".join(str(unicodedata.digit(ch)) for ch in code.strip())
    except (TypeError, ValueError):
        return None


def check_code_format(code) -> str:
    """Return ``code`` if it is a unit code *string*, else raise :class:`UnitCodeError`.

    Official codes are 2 (province), 3 (district) or 5 (commune) ASCII digits; a user unit's code is
    its parent's code, ``-`` and a suffix (``19780-03``). Integers are refused on purpose: ``1`` for
    ``"00001"`` loses the leading zeros.
    """
    if not isinstance(code, str):
        raise UnitCodeError(
            f"unit code must be a string such as '19780', got {type(code).__name__} {code!r}; "
            "with papermill pass it with -r (raw string), e.g. `-r unit_code 00004`"
        )
    if not code.isascii() and any(ch.isdigit() for ch in code):
        guess = ascii_lookalike(code)
        raise UnitCodeError(
            f"mã đơn vị {code!r} có chữ số không phải 0-9 (ASCII)" + (f"; có phải là {guess!r}?" if guess else "")
            + " Mã đơn vị chỉ gồm các chữ số 0-9, ví dụ '19780'.")
    if not code.isascii() or not (_OFFICIAL_RE.fullmatch(code) or USER_CODE_RE.fullmatch(code)):
        raise UnitCodeError(
            f"unit code {code!r} is not a 5-digit string such as '19780' (communes; provinces have 2 digits, "
            "districts 3, a user unit its parent's code, '-' and a suffix such as '19780-03')"
        )
    return code


def is_user_code(code: str) -> bool:
    """True for the code of a user unit (``19780-03``): official codes are digits only."""
    return "-" in code


class Unit(NamedTuple):
    """One registry row (a named tuple: 14,000 of them load in a few milliseconds)."""

    code: str
    name: str
    type: str
    parent_code: str
    level: str
    valid_from: _dt.date | None
    valid_to: _dt.date | None
    successor_code: str
    source: str

    @property
    def short(self) -> str:
        """Name without its type word: "Phường Phường Đúc" -> "Phường Đúc"."""
        if self.type and self.name.startswith(self.type + " "):
            return self.name[len(self.type) + 1:]
        for t in _TYPES:
            if self.name.startswith(t + " "):
                return self.name[len(t) + 1:]
        return self.name

    @property
    def kind_word(self) -> str:
        """"phường", "xã", ... as used inside a sentence."""
        return self.type.lower()

    @property
    def is_user(self) -> bool:
        """A unit of a user unit file (thôn, tổ dân phố, …), not of the official registry."""
        return self.level == USER_LEVEL

    def valid_in(self, year: int) -> bool:
        """True when the unit existed on at least one day of ``year``."""
        return ((self.valid_from or _MIN) <= _dt.date(year, 12, 31)
                and (self.valid_to or _MAX) >= _dt.date(year, 1, 1))

    def valid_on(self, day: _dt.date) -> bool:
        return (self.valid_from or _MIN) <= day <= (self.valid_to or _MAX)

    def period(self) -> str:
        a = self.valid_from.isoformat() if self.valid_from else "…"
        b = self.valid_to.isoformat() if self.valid_to else "nay"
        return f"{a} – {b}"


class Edge(NamedTuple):
    """One crosswalk line: ``old_code`` (a row that ended the day before ``effective``) -> ``new_code``."""

    effective: _dt.date
    old_code: str
    new_code: str
    relation: str  # "whole": all of old went into new; "part": old was split, new got a part
    is_main: bool  # the successor recorded in old's successor_code
    source: str


class Alias(NamedTuple):
    """A code another source gives to a unit (``aliases.csv``)."""

    code: str
    canonical_code: str
    level: str
    valid_from: _dt.date | None
    valid_to: _dt.date | None
    name: str
    alias_source: str
    status: str  # "resolves", or "conflict": the code is another unit's canonical code (never applied)
    note: str  # Vietnamese

    def valid_in(self, year: int) -> bool:
        return ((self.valid_from or _MIN) <= _dt.date(year, 12, 31)
                and (self.valid_to or _MAX) >= _dt.date(year, 1, 1))


# ---- search: case and diacritics folded (đ -> d) ----------------------------------------------
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in [*range(0x80, 0x250), *range(0x1E00, 0x1F00)]:  # Latin-1 .. Extended-B, Extended Additional
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)).lower()
        if base != ch and base.isascii():
            table[cp] = base
    table[ord("đ")] = table[ord("Đ")] = "d"
    for ch in "-–—'’‘.,;:()/\"":
        table[ord(ch)] = " "
    return table


_FOLD = _fold_table()
_NON_ALNUM = re.compile(r"[^0-9a-z ]+")


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), words separated by single spaces: for search.
    ("Phường Phường Đúc" -> "phuong phuong duc"; NFC or NFD input alike.)"""
    t = text.lower().translate(_FOLD)
    if not t.isascii():  # combining marks (NFD input) or other scripts
        t = unicodedata.normalize("NFD", t)
        t = "".join(c for c in t if not unicodedata.combining(c)).translate(_FOLD)
    return " ".join(_NON_ALNUM.sub(" ", t).split())


# ---- reading the built files ------------------------------------------------------------------
def _read_plain(path: Path) -> list[list[str]]:
    """Rows of a CSV file written by build_registry.py, header first. Its units.csv and crosswalk.csv
    have no field that needs quoting (the build asserts it), so lines are split on commas (twice as
    fast as csv.reader); a file with any quote goes through the csv module."""
    text = path.read_bytes().decode("utf-8-sig")
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = nfc(text)
    if '"' in text:
        return list(csv.reader(text.splitlines()))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.split(",") for line in lines]


class _Dates(dict):
    """ISO date text -> date, parsed once per distinct value ("" -> None)."""

    def __missing__(self, key: str):
        v = self[key] = _dt.date.fromisoformat(key) if key else None
        return v


class _Crosswalk:
    """The crosswalk lines, read on first use and shared by every registry built on the same data."""

    def __init__(self, path: Path | None = None, edges: list[Edge] | None = None):
        self.path = path
        self._edges = edges
        self._index: tuple[dict, dict] | None = None

    @property
    def edges(self) -> list[Edge]:
        if self._edges is None:
            self._edges = self._load() if self.path else []
        return self._edges

    def _load(self) -> list[Edge]:
        enabled = gc.isenabled()
        gc.disable()  # tens of thousands of new objects: collections during the load only cost time
        try:
            rows = _read_plain(self.path)
            h = {k: i for i, k in enumerate(rows[0])}
            ie, io_, inn, ir, im, isrc = (h[k] for k in ("effective", "old_code", "new_code", "relation",
                                                          "is_main", "source"))
            d = _Dates()
            mk = tuple.__new__
            return [mk(Edge, (d[r[ie]], r[io_], r[inn], r[ir], r[im] == "1", r[isrc])) for r in rows[1:]]
        finally:
            if enabled:
                gc.enable()

    def index(self) -> tuple[dict, dict]:
        """``(from, to)``: ``(old_code, effective)`` -> edges, ``(new_code, effective)`` -> edges."""
        if self._index is None:
            frm: dict[tuple[str, _dt.date], list[Edge]] = {}
            to: dict[tuple[str, _dt.date], list[Edge]] = {}
            for e in self.edges:
                frm.setdefault((e.old_code, e.effective), []).append(e)
                to.setdefault((e.new_code, e.effective), []).append(e)
            self._index = (frm, to)
        return self._index


class UnitRegistry:
    """All units (official and a user's own), the crosswalk and the aliases; look-ups by code and year.

    Built at load: code -> rows and alias code -> aliases. Built on first use (a few ms each, then
    O(1) per look-up): parent -> rows (``children``, ``descendants``), successor code -> rows
    (``predecessors*``), the crosswalk indexes and the search index.
    """

    def __init__(self, units: list[Unit], sources: list[str], edges: list[Edge] | None = None,
                 aliases=(), *, crosswalk: _Crosswalk | None = None, alias_index: dict | None = None):
        self.units = units
        self.sources = list(sources)
        by_code: dict[str, list[Unit]] = {}
        groups = 0
        for c, g in groupby(units, _code_of):  # rows of one code are adjacent in the built files
            by_code[c] = list(g)
            groups += 1
        if groups != len(by_code):  # not grouped (several files): group again
            by_code = {}
            for u in units:
                by_code.setdefault(u[0], []).append(u)
        for rows in by_code.values():
            if len(rows) > 1:
                rows.sort(key=lambda u: u.valid_from or _MIN)
        self._by_code = by_code
        self._crosswalk = crosswalk or _Crosswalk(edges=list(edges or ()))
        if alias_index is None:
            alias_index = {}
            for a in aliases:
                alias_index.setdefault(a.code, []).append(a)
        self._aliases: dict[str, list[Alias]] = alias_index
        self._children_idx: dict[str, list[Unit]] | None = None
        self._succ_idx: dict[str, list[Unit]] | None = None
        self._search_index = None

    # ---- loading --------------------------------------------------------------------------------
    @classmethod
    def from_dir(cls, directory: Path | str = DATA_DIR) -> "UnitRegistry":
        """The registry built by scripts/build_registry.py in ``directory`` (units and aliases now,
        the crosswalk on first use)."""
        directory = Path(directory)
        enabled = gc.isenabled()
        gc.disable()  # ~30,000 new objects: collections during the load only cost time
        try:
            d = _Dates()
            up = directory / "units.csv"
            rows = _read_plain(up)
            ix = [rows[0].index(k) for k in _FIELDS]
            body = rows[1:] if ix == list(range(9)) else [[r[i] for i in ix] for r in rows[1:]]
            mk = tuple.__new__
            units = [mk(Unit, (c, n, t, p, lv, d[vf], d[vt], s, src)) for c, n, t, p, lv, vf, vt, s, src in body]
            aliases: list[Alias] = []
            ap = directory / "aliases.csv"
            if ap.is_file():
                ar = _read_plain(ap)
                h = {k: i for i, k in enumerate(ar[0])}
                aliases = [Alias(r[h["code"]], r[h["canonical_code"]], r[h["level"]], d[r[h["valid_from"]]],
                                 d[r[h["valid_to"]]], r[h["name"]], r[h["alias_source"]], r[h["status"]],
                                 r[h["note"]]) for r in ar[1:]]
        finally:
            if enabled:
                gc.enable()
        xp = directory / "crosswalk.csv"
        return cls(units, [str(up)], aliases=aliases, crosswalk=_Crosswalk(xp if xp.is_file() else None))

    @classmethod
    def from_csv(cls, *paths) -> "UnitRegistry":
        """A registry of files in the layout of ``units.csv`` (no crosswalk, no aliases): for tests
        and tools that build a registry of their own."""
        units: list[Unit] = []
        d = _Dates()
        for p in paths:
            text = read_text(p, "tệp danh mục đơn vị (CSV)", UnitCodeError)
            for line, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2):
                row = {k: nfc((v or "").strip()) for k, v in row.items()}
                try:
                    code = check_code_format(row["code"])
                except UnitCodeError as exc:
                    raise UnitCodeError(f"{p}, dòng {line}: {exc}") from None
                units.append(Unit(
                    code, row["name"], row["type"], row.get("parent_code", ""),
                    row.get("level", ""), d[row.get("valid_from", "")], d[row.get("valid_to", "")],
                    row.get("successor_code", ""), row.get("source", ""),
                ))
        return cls(units, [str(p) for p in paths])

    def with_units(self, units: list[Unit], sources: list[str]) -> "UnitRegistry":
        """This registry plus ``units`` (a user's own), sharing the crosswalk and the aliases."""
        return UnitRegistry(self.units + list(units), self.sources + list(sources), crosswalk=self._crosswalk,
                            alias_index=self._aliases)

    # ---- indexes --------------------------------------------------------------------------------
    def _group_by(self, field: int) -> dict[str, list[Unit]]:
        """Rows by the value of one field (3: parent_code, 7: successor_code), rows without it left out."""
        idx: dict[str, list[Unit]] = {}
        for u in self.units:
            if u[field]:
                idx.setdefault(u[field], []).append(u)
        return idx

    @property
    def _children(self) -> dict[str, list[Unit]]:
        if self._children_idx is None:
            idx = self._group_by(3)
            for rows in idx.values():
                rows.sort(key=lambda u: (u.code, u.valid_from or _MIN))
            self._children_idx = idx
        return self._children_idx

    @property
    def _by_succ(self) -> dict[str, list[Unit]]:
        if self._succ_idx is None:
            self._succ_idx = self._group_by(7)
        return self._succ_idx

    @property
    def edges(self) -> list[Edge]:
        """Every crosswalk line (reads crosswalk.csv on first use)."""
        return list(self._crosswalk.edges)

    # ---- basic look-ups -------------------------------------------------------------------------
    def __contains__(self, code) -> bool:
        return code in self._by_code or code in self._aliases

    def rows(self, code: str) -> list[Unit]:
        """Every row of ``code``, oldest first."""
        return list(self._by_code.get(code, ()))

    def aliases(self, code: str) -> list[Alias]:
        return list(self._aliases.get(code, ()))

    def _canonical(self, code: str, year: int) -> Unit | None:
        rows = self._by_code.get(code)
        if not rows:
            return None
        valid = [u for u in rows if u.valid_in(year)]
        if len(valid) <= 1:
            return valid[0] if valid else None
        # a code reused within the year (2025: old commune until 30/6, new ward from 1/7): the unit
        # existing at the end of the year is the one that reports for that year
        year_end = _dt.date(year, 12, 31)
        valid.sort(key=lambda u: not u.valid_on(year_end))
        return valid[0]

    def resolve(self, code, year: int) -> tuple[Unit, str]:
        """``(unit, note)``: the canonical unit of ``code`` in ``year``; when ``code`` is only another
        source's code for it (aliases.csv), the canonical unit and the alias's Vietnamese note.
        The note is also set when the canonical row ended during ``year`` and another source used
        the code for a different unit later that year (the canonical row is still returned)."""
        check_code_format(code)
        u = self._canonical(code, year)
        if u is not None:
            if not u.valid_on(_dt.date(year, 12, 31)):
                for a in self._aliases.get(code, ()):
                    if a.status == "resolves" and a.valid_in(year) and (a.valid_from or _MIN) > (u.valid_to or _MAX):
                        return u, (f"Năm {year}: mã {code} là {u.name} ({u.period()}); "
                                   f"từ {fmt_short_date(a.valid_from)} nguồn khác dùng mã này cho {a.name} "
                                   f"(mã {a.canonical_code}). " + a.note)
            return u, ""
        for a in self._aliases.get(code, ()):
            if a.status == "resolves" and a.valid_in(year):
                target = self._canonical(a.canonical_code, year)
                if target is not None:
                    return target, a.note
        raise UnknownUnitError(self._unknown_message(code, year))

    def get(self, code, year: int) -> Unit:
        """The unit with ``code`` that existed in ``year``; a clear error naming the fix otherwise.
        A code known only as an alias resolves to its canonical unit with an :class:`AliasWarning`."""
        unit, note = self.resolve(code, year)
        if note:
            warnings.warn(note, AliasWarning, stacklevel=2)
        return unit

    def _unknown_message(self, code: str, year: int) -> str:
        rows = self._by_code.get(code)
        conflicts = [a.note for a in self._aliases.get(code, ()) if a.valid_in(year)]
        if not rows:
            where = ", ".join(Path(s).name for s in self.sources)
            msg = (f"Mã đơn vị {code!r} không có trong danh mục đơn vị hành chính ({where}). "
                   "Kiểm tra lại mã (5 chữ số, ví dụ '19780'; tìm mã theo tên: `danvan units --search TÊN`), "
                   "hoặc khai báo đơn vị tự đặt trong một tệp --units (docs/units.md).")
            return " ".join([msg, *conflicts])
        hints = [f"{u.name} ({u.period()})" for u in rows]
        later: dict[tuple, Unit] = {}
        for u in rows:
            if u.valid_to and u.valid_to.year < year:
                for s in self.successor_at(u, _dt.date(year, 12, 31)):
                    later[(s.code, s.valid_from or _MIN)] = s
        if later:
            hints.append(f"năm {year} thuộc " + ", ".join(f"{s.name} (mã {s.code})" for s in later.values()))
        preds = [p for p in self.predecessors(code) if p.code != code]
        if preds:
            hints.append("các đơn vị trước đó: " + ", ".join(f"{p.name} ({p.code})" for p in preds))
        return f"Mã đơn vị {code!r} không tồn tại trong năm {year}: " + "; ".join([*hints, *conflicts]) + "."

    # ---- the tree -------------------------------------------------------------------------------
    def children(self, parent_code: str, year: int, level: str | None = None) -> list[Unit]:
        """Rows directly under ``parent_code`` that existed on some day of ``year``, by code."""
        return [u for u in self._children.get(parent_code, ())
                if u.valid_in(year) and (level is None or u.level == level)]

    @staticmethod
    def reference_day(unit: Unit, year: int) -> _dt.date:
        """The day ``unit`` is looked at for ``year``: the year's last day, or the unit's last day when
        it ended during the year (quận Thuận Hóa 474 in 2025: 30/6/2025)."""
        return min(_dt.date(year, 12, 31), unit.valid_to or _MAX)

    def descendants(self, parent_code: str, year: int, level: str | None = "commune") -> list[Unit]:
        """Every unit of ``level`` (every level when None) under the unit ``parent_code`` of ``year``,
        at any depth, as the tree stood on :meth:`reference_day` (before 2025-07-01 a province's
        communes are its grandchildren, under its districts), by code. A unit of ``level`` inside
        another one of that level (a user's khu dân cư inside its tổ dân phố) is not listed: a sum
        over the list counts everything once. Raises UnknownUnitError when the parent did not exist
        that year."""
        parent = self.get(parent_code, year)
        day = self.reference_day(parent, year)
        out: list[Unit] = []
        stack, seen = [parent.code], {parent.code}
        while stack:
            for u in self._children.get(stack.pop(), ()):
                if not u.valid_on(day):
                    continue
                if level is None or u.level == level:
                    out.append(u)
                if u.level != level and u.code not in seen:
                    seen.add(u.code)
                    stack.append(u.code)
        out.sort(key=lambda u: u.code)
        return out

    def reporting_level(self, unit: Unit) -> str:
        """The level of the units that report under ``unit``: communes under a province or district,
        a user's own units under a commune or a user unit."""
        return "commune" if unit.level in ("province", "district") else USER_LEVEL

    # ---- lineage --------------------------------------------------------------------------------
    def successor_of(self, unit: Unit) -> Unit | None:
        """The row that followed ``unit`` the day after it ended (its main successor when it was
        merged or split; its own next row when it only changed parent, name or type)."""
        if not unit.valid_to or not unit.successor_code:
            return None
        after = [s for s in self._by_code.get(unit.successor_code, ()) if (s.valid_from or _MIN) > unit.valid_to]
        return after[0] if after else None  # rows are sorted by valid_from

    def successors(self, unit: Unit) -> list[tuple[Unit, str, bool]]:
        """Every successor of ``unit`` with ``(row, relation, is_main)``, main first: all parts of a
        split unit (crosswalk.csv); ``[(successor_of(unit), "whole", True)]`` without crosswalk line."""
        if not unit.valid_to:
            return []
        eff = unit.valid_to + _dt.timedelta(days=1)
        out = []
        for e in self._crosswalk.index()[0].get((unit.code, eff), ()):
            new = next((s for s in self._by_code.get(e.new_code, ()) if s.valid_from == eff), None)
            if new is not None:
                out.append((new, e.relation, e.is_main))
        if not out:
            s = self.successor_of(unit)
            return [(s, "whole", True)] if s else []
        out.sort(key=lambda t: (not t[2], t[0].code))
        return out

    def successor_at(self, unit: Unit, day: _dt.date) -> list[Unit]:
        """The rows in force on ``day`` that ``unit`` became (through every successor; a split unit
        gives several). ``[unit]`` when it is in force on ``day``; ``[]`` for a day before it."""
        if unit.valid_on(day):
            return [unit]
        if (unit.valid_from or _MIN) > day:
            return []
        out: dict[tuple, Unit] = {}
        for s, _rel, _main in self.successors(unit):
            for r in self.successor_at(s, day):
                out[(r.code, r.valid_from or _MIN)] = r
        return [out[k] for k in sorted(out)]

    def predecessors_of(self, unit: Unit, partial: bool = False) -> list[Unit]:
        """The rows that ``unit`` took over when it began (their ``successor_of`` is ``unit``);
        with ``partial=True`` also the split units that gave it only part of their area.
        A reused code (Phường Phú Nhuận 19789 until 30/6/2025, Phường Thuận Hóa 19789 from 1/7)
        never names the unit as its own predecessor."""
        if unit.valid_from is None:
            return []
        out = {(p.code, p.valid_from or _MIN): p for p in self._by_succ.get(unit.code, ())
               if p.valid_to and p.valid_to < unit.valid_from and self.successor_of(p) == unit}
        if partial:
            out.update({(p.code, p.valid_from or _MIN): p for p in self.split_predecessors(unit)})
        return [out[k] for k in sorted(out)]

    def split_predecessors(self, unit: Unit) -> list[Unit]:
        """The units that were split when ``unit`` began and gave it only part of their area
        (crosswalk ``relation`` ``part``, main part or not). Their figures cannot be summed into
        ``unit``: no shares are known."""
        if unit.valid_from is None:
            return []
        out: dict[tuple, Unit] = {}
        for e in self._crosswalk.index()[1].get((unit.code, unit.valid_from), ()):
            if e.relation != "part":
                continue
            for p in self._by_code.get(e.old_code, ()):
                if p.valid_to and p.valid_to + _dt.timedelta(days=1) == unit.valid_from:
                    out[(p.code, p.valid_from or _MIN)] = p
        return [out[k] for k in sorted(out)]

    def predecessors(self, code: str) -> list[Unit]:
        """Ended rows whose successor is ``code`` (those merged into it, and its own earlier rows)."""
        out = {(u.code, u.valid_from or _MIN): u for u in self._by_succ.get(code, ()) if u.valid_to}
        return [out[k] for k in sorted(out)]

    # ---- search ---------------------------------------------------------------------------------
    def _index(self):
        """(entries, words, vocabulary): entries[i] = (" folded name ", folded name, folded short, unit);
        words: folded word -> ids of the entries whose name has it."""
        if self._search_index is None:
            cache: dict[tuple[str, str], tuple[str, str]] = {}
            entries = []
            words: dict[str, list[int]] = {}
            for i, u in enumerate(self.units):
                f = cache.get((u.name, u.type))
                if f is None:
                    full = fold(u.name)
                    tw = fold(u.type) + " "
                    f = cache[(u.name, u.type)] = (full, full[len(tw):] if full.startswith(tw) else full)
                entries.append((" " + f[0] + " ", f[0], f[1], u))
                for w in set(f[0].split()):
                    words.setdefault(w, []).append(i)
            self._search_index = (entries, words, sorted(words))
        return self._search_index

    def search(self, text: str, year: int | None = None, level: str | None = None,
               limit: int | None = 50) -> list[Unit]:
        """Units whose name matches ``text`` ignoring case and diacritics (đ = d), best first.

        Every query word must begin a word of the name ("phuong du" finds "Phường Phường Đúc").
        Ranking: name, or name without its type word, equal to the query; name starting with it;
        the query as consecutive whole words inside the name; the words anywhere in the name.
        Ties: the query's own diacritics found in the name, then the query's first word being the
        unit's type ("phuong duc": Phường Phường Đúc before Xã Phượng Dực), level (province first),
        code, start date. ``year`` keeps the units that existed in that year; ``level`` one level."""
        q = fold(text)
        if not q:
            return []
        entries, words, vocab = self._index()
        qwords = q.split()
        cand: set[int] | None = None
        for w in sorted(set(qwords), key=len, reverse=True):
            lo = bisect.bisect_left(vocab, w)
            ids: set[int] = set()
            while lo < len(vocab) and vocab[lo].startswith(w):
                ids.update(words[vocab[lo]])
                lo += 1
            cand = ids if cand is None else cand & ids
            if not cand:
                return []
        padded = " " + q + " "
        qtype = qwords[0] + " "
        exact_text = nfc(" ".join(text.lower().split()))
        hits = []
        for i in cand:
            spaced, f, short, u = entries[i]
            if (year is not None and not u.valid_in(year)) or (level is not None and u.level != level):
                continue
            if f == q or short == q:
                rank = 0
            elif spaced.startswith(" " + q):
                rank = 1
            elif padded in spaced:
                rank = 2
            else:
                rank = 3
            hits.append((rank, exact_text not in u.name.lower(), not f.startswith(qtype),
                         _LEVEL_RANK.get(u.level, 9), u.code, u.valid_from or _MIN, u))
        hits.sort(key=lambda h: h[:6])
        out = [h[-1] for h in hits]
        return out[:limit] if limit else out


# ---- the shipped registry, plus user unit files ---------------------------------------------------
def default_registry_path() -> Path:
    return DATA_DIR / "units.csv"


_BASE: dict[str, UnitRegistry] = {}
_WITH_USER: dict[tuple, UnitRegistry] = {}


def _base() -> UnitRegistry:
    reg = _BASE.get("")
    if reg is None:
        reg = _BASE[""] = UnitRegistry.from_dir(DATA_DIR)
    return reg


def unit_paths(value) -> tuple[str, ...]:
    """The ``units`` notebook parameter / ``--units`` values (paths, a string of paths separated by
    ``os.pathsep``, or nothing) as a tuple of paths."""
    if not value:
        return ()
    if isinstance(value, (str, os.PathLike)):
        return settings.path_list(str(value))
    return tuple(str(p) for p in value if p)


def _stat(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def load_registry(*extra_paths) -> UnitRegistry:
    """The shipped national registry, plus the user unit files named in ``$DANVAN_UNITS`` and
    ``extra_paths`` (docs/units.md), validated together (:class:`~danvan.core.errors.UnitFileError`);
    cached per set of files and their modification times."""
    paths = tuple(dict.fromkeys(str(Path(p).resolve()) for p in (*settings.current().units,
                                                                  *(str(e) for e in extra_paths)) if p))
    base = _base()
    if not paths:
        return base
    key = tuple((p, _stat(p)) for p in paths)
    reg = _WITH_USER.get(key)
    if reg is None:
        rows = read_unit_files(paths, base.rows)
        reg = base.with_units([Unit._make(r) for r in rows], list(paths))
        if len(_WITH_USER) >= 8:
            _WITH_USER.clear()
        _WITH_USER[key] = reg
    return reg
