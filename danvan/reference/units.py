"""Administrative unit registry: codes (always strings), names, parents, validity and lineage.

The registry is versioned data (``danvan/data/units.csv``): one row per unit *and validity period*.
The same code may appear in several rows (a code reused after the 2025 reorganisation, or a unit
whose parent changed); ``(code, valid_from)`` identifies a row.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..core import settings
from ..core.errors import UnitCodeError, UnknownUnitError
from ..core.files import read_text
from ..core.vnformat import nfc

__all__ = ["Unit", "UnitRegistry", "check_code_format", "ascii_lookalike", "load_registry", "default_registry_path"]

# ASCII digits only: "\d" would accept "１９７８０" (full-width) and "١٩٧٨٠" (Arabic-Indic), codes that
# look like 19780 and are not it
_CODE_RE = re.compile(r"^[0-9]{2}$|^[0-9]{3}$|^[0-9]{5}$")


def ascii_lookalike(code: str) -> str | None:
    """The ASCII code a code of other Unicode digits looks like ("１９７８０" -> "19780"), if any."""
    try:
        return "".join(str(unicodedata.digit(ch)) for ch in code.strip())
    except (TypeError, ValueError):
        return None
_TYPES = ("Thành phố", "Thị trấn", "Phường", "Xã", "Tỉnh", "Quận", "Huyện", "Thị xã", "Đặc khu")


def check_code_format(code) -> str:
    """Return ``code`` if it is a unit code *string* (2, 3 or 5 digits), else raise TypeError/ValueError.

    Integers are refused on purpose: ``1`` for ``"00001"`` loses the leading zeros.
    """
    if not isinstance(code, str):
        raise UnitCodeError(
            f"unit code must be a string such as '19780', got {type(code).__name__} {code!r}; "
            "with papermill pass it with -r (raw string), e.g. `-r unit_code 00004`"
        )
    if not _CODE_RE.fullmatch(code):
        if not code.isascii() and any(ch.isdigit() for ch in code):
            guess = ascii_lookalike(code)
            raise UnitCodeError(
                f"mã đơn vị {code!r} có chữ số không phải 0-9 (ASCII)" + (f"; có phải là {guess!r}?" if guess else "")
                + " Mã đơn vị chỉ gồm các chữ số 0-9, ví dụ '19780'.")
        raise UnitCodeError(f"unit code {code!r} is not a 5-digit string such as '19780' (communes) ")
    return code


def _date(text: str) -> _dt.date | None:
    return _dt.date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Unit:
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
        for t in sorted(_TYPES, key=len, reverse=True):
            if self.name.startswith(t + " "):
                return self.name[len(t) + 1 :]
        return self.name

    @property
    def kind_word(self) -> str:
        """"phường", "xã", ... as used inside a sentence."""
        return self.type.lower()

    def valid_in(self, year: int) -> bool:
        """True when the unit existed on at least one day of ``year``."""
        start = self.valid_from or _dt.date.min
        end = self.valid_to or _dt.date.max
        return start <= _dt.date(year, 12, 31) and end >= _dt.date(year, 1, 1)

    def period(self) -> str:
        a = self.valid_from.isoformat() if self.valid_from else "…"
        b = self.valid_to.isoformat() if self.valid_to else "nay"
        return f"{a} – {b}"


class UnitRegistry:
    """All units of one or more registry files; look-ups by code and year."""

    def __init__(self, units: list[Unit], sources: list[str]):
        self.units = units
        self.sources = sources
        self._by_code: dict[str, list[Unit]] = {}
        for u in units:
            self._by_code.setdefault(u.code, []).append(u)

    @classmethod
    def from_csv(cls, *paths) -> "UnitRegistry":
        units: list[Unit] = []
        for p in paths:
            rows = list(csv.DictReader(io.StringIO(read_text(p, "tệp danh mục đơn vị (CSV)", UnitCodeError),
                                                   newline="")))
            for line, row in enumerate(rows, start=2):
                row = {k: nfc((v or "").strip()) for k, v in row.items()}
                try:
                    code = check_code_format(row["code"])
                except UnitCodeError as exc:
                    raise UnitCodeError(f"{p}, dòng {line}: {exc}") from None
                units.append(
                    Unit(
                        code=code,
                        name=row["name"],
                        type=row["type"],
                        parent_code=row.get("parent_code", ""),
                        level=row.get("level", ""),
                        valid_from=_date(row.get("valid_from", "")),
                        valid_to=_date(row.get("valid_to", "")),
                        successor_code=row.get("successor_code", ""),
                        source=row.get("source", ""),
                    )
                )
        return cls(units, [str(p) for p in paths])

    def __contains__(self, code) -> bool:
        return code in self._by_code

    def rows(self, code: str) -> list[Unit]:
        return list(self._by_code.get(code, []))

    def get(self, code, year: int) -> Unit:
        """The unit with ``code`` that existed in ``year``; a clear error naming the fix otherwise."""
        check_code_format(code)
        rows = self._by_code.get(code)
        if not rows:
            raise UnknownUnitError(
                f"Mã đơn vị {code!r} không có trong danh mục đơn vị hành chính ({', '.join(self.sources)}). "
                "Kiểm tra lại mã (5 chữ số, ví dụ '19780'), hoặc bổ sung đơn vị vào danh mục."
            )
        valid = [u for u in rows if u.valid_in(year)]
        if valid:
            # a code reused within the year (2025: old commune until 30/6, new ward from 1/7):
            # the unit existing at the end of the year is the one that reports for that year
            year_end = _dt.date(year, 12, 31)
            valid.sort(key=lambda u: not ((u.valid_from or _dt.date.min) <= year_end <= (u.valid_to or _dt.date.max)))
            return valid[0]
        hints = []
        for u in rows:
            hint = f"{u.name} ({u.period()})"
            if u.valid_to and u.valid_to.year < year and u.successor_code:
                succ = [s for s in self.rows(u.successor_code) if s.valid_in(year)]
                if succ:
                    hint += f"; năm {year} thuộc {succ[0].name} (mã {succ[0].code})"
            hints.append(hint)
        preds = self.predecessors(code)
        if preds:
            hints.append("các đơn vị trước đó: " + ", ".join(f"{p.name} ({p.code})" for p in preds))
        raise UnknownUnitError(
            f"Mã đơn vị {code!r} không tồn tại trong năm {year}: " + "; ".join(hints) + "."
        )

    def children(self, parent_code: str, year: int, level: str | None = None) -> list[Unit]:
        """Units directly under ``parent_code`` in ``year``, by code."""
        out = [
            u
            for u in self.units
            if u.parent_code == parent_code and u.valid_in(year) and (level is None or u.level == level)
        ]
        return sorted(out, key=lambda u: u.code)

    def predecessors_of(self, unit: Unit) -> list[Unit]:
        """The rows merged into ``unit`` when it was created: ended before it began, successor its code.

        Unlike :meth:`predecessors` this works on a *row*, so a reused code (2025: Phường Phú Nhuận
        19789 until 30/6, Phường Thuận Hóa 19789 from 1/7) never names the unit as its own predecessor.
        """
        if unit.valid_from is None:
            return []
        out = [u for u in self.units
               if u.successor_code == unit.code and u.valid_to and u.valid_to < unit.valid_from]
        return sorted(out, key=lambda u: (u.code, u.valid_from or _dt.date.min))

    def successor_of(self, unit: Unit) -> Unit | None:
        """The row that took ``unit`` over when it ended (None if it has not ended or none recorded)."""
        if not unit.valid_to or not unit.successor_code:
            return None
        after = [s for s in self.rows(unit.successor_code) if (s.valid_from or _dt.date.min) > unit.valid_to]
        return min(after, key=lambda s: s.valid_from) if after else None

    def predecessors(self, code: str) -> list[Unit]:
        """Ended units whose successor is ``code`` (those merged into it), by code."""
        out = {(u.code, u.valid_from): u for u in self.units if u.successor_code == code and u.valid_to}
        return [out[k] for k in sorted(out, key=lambda k: (k[0], k[1] or _dt.date.min))]


def default_registry_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "units.csv"


@functools.lru_cache(maxsize=8)
def _load(paths: tuple[str, ...]) -> UnitRegistry:
    return UnitRegistry.from_csv(*paths)


def load_registry(*extra_paths: str) -> UnitRegistry:
    """The shipped registry, plus registry files named in ``$DANVAN_UNITS`` (``os.pathsep``-separated)
    and ``extra_paths`` (cached per set of paths)."""
    env = settings.current().units
    return _load((str(default_registry_path()), *env, *map(str, extra_paths)))
