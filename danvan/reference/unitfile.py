"""Units of a user's own (thôn, tổ dân phố, khu dân cư, an office's pilot units): the CSV format
documented in ``docs/units.md``, read and validated here.

A user unit's code is its parent's code, a hyphen and a suffix of 1-6 digits or capital ASCII
letters (``19780-03``, ``46-TD1``, ``19780-03-A`` under ``19780-03``). Official codes are digits only,
so a user code can never collide with one, and two files can only collide on the same parent and
suffix, which is reported as a duplicate. The parent must be an official unit (or another user unit
of the files) in force over the whole validity of the unit.

Every problem is collected and reported at once in Vietnamese, naming file, row (the line in the
file), column, what was found and what was expected, as a :class:`~danvan.core.errors.UnitFileError`
(never a traceback): bad encoding or a UTF-16 file, a missing or unknown column, a row with more
cells than the header (an unquoted comma in ``source``), a malformed or duplicate code, a parent
that does not exist then, bad or reversed dates, an unknown type.

This module knows nothing of :class:`~danvan.reference.units.UnitRegistry`: it is given the
official registry's row look-up and returns plain tuples in the field order of ``Unit``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from ..core.errors import UnitFileError
from ..core.vnformat import nfc

__all__ = ["USER_LEVEL", "USER_TYPES", "USER_CODE_RE", "COLUMNS", "REQUIRED", "read_unit_files"]

USER_LEVEL = "user"
#: Types a user unit may have (the name starts with its type word, as official names do).
USER_TYPES = ("Tổ dân phố", "Khu dân cư", "Khu phố", "Thôn", "Ấp", "Bản", "Buôn", "Sóc", "Khóm", "Xóm",
              "Làng", "Tổ", "Khu", "Đơn vị thí điểm")
USER_CODE_RE = re.compile(r"(?:\d{2}|\d{3}|\d{5})(?:-[0-9A-Z]{1,6})+")
COLUMNS = ("code", "name", "type", "parent_code", "valid_from", "valid_to", "successor_code", "source")
REQUIRED = ("code", "name", "type", "parent_code", "valid_from", "source")
MAX_ERRORS = 30
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MIN, _MAX = _dt.date.min, _dt.date.max

# rows of the official registry of one code: objects with valid_from / valid_to (dates or None)
RowsOf = Callable[[str], Iterable]


class _Errors:
    """Problems found, reported together in file and row order."""

    def __init__(self):
        self.items: list[tuple[int, int, int, str]] = []  # (file order, row, found order, text)
        self._files: dict[str, int] = {}

    def add(self, file: str, row: int | None, column: str | None, what: str, found: str = "",
            expected: str = "") -> None:
        where = file + (f", dòng {row}" if row else "") + (f", cột {column}" if column else "")
        text = f"{where}: {what}"
        if found:
            text += f"; tìm thấy: {found!r}"
        if expected:
            text += f"; cần: {expected}"
        order = self._files.setdefault(file, len(self._files))
        self.items.append((order, row or 0, len(self.items), text))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = [t for *_k, t in sorted(self.items)[:MAX_ERRORS]]
        more = len(self.items) - len(shown)
        tail = f"\n- … và {more} lỗi khác" if more else ""
        raise UnitFileError(
            f"Tệp đơn vị tự đặt có {len(self.items)} lỗi (định dạng: docs/units.md); chưa dùng tệp nào:\n- "
            + "\n- ".join(shown) + tail
        )


def _decode(path: Path, errors: _Errors) -> str | None:
    name = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        errors.add(str(path), None, None, "không tìm thấy tệp", expected="đường dẫn tới một tệp CSV có thật")
        return None
    except OSError as exc:
        errors.add(name, None, None, f"không đọc được tệp ({exc.strerror or exc})")
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        errors.add(name, None, None, "tệp được lưu bằng UTF-16 (Excel: 'Unicode Text')",
                   expected="lưu lại bằng 'CSV UTF-8 (Comma delimited)'")
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # the BOM Excel writes in front of "CSV UTF-8"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.add(name, line, None, "tệp không phải UTF-8 (có thể là Windows-1258, TCVN3 hoặc VNI)",
                   found=raw[exc.start: exc.start + 4].hex(" "), expected="lưu lại bằng 'CSV UTF-8 (Comma delimited)'")
        return None
    if "\x00" in text:
        errors.add(name, text[: text.index("\x00")].count("\n") + 1, None, "tệp có ký tự NUL (không phải tệp văn bản)")
        return None
    return nfc(text)


def _date(value: str, file: str, row: int, column: str, errors: _Errors) -> _dt.date | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors.add(file, row, column, "ngày không đúng", found=value, expected="ngày dạng NNNN-TT-NN, ví dụ 2024-01-01")
    return None


def _covers(rows: list[tuple[_dt.date, _dt.date]], start: _dt.date, end: _dt.date) -> bool:
    """True when the periods ``rows`` (inclusive, possibly adjacent) cover every day ``start``..``end``."""
    day = start
    for a, b in sorted(rows):
        if a > day:
            return False
        if b >= day:
            if b >= end:
                return True
            day = b + _dt.timedelta(days=1)
    return False


def _type_of(name: str) -> str | None:
    for t in sorted(USER_TYPES, key=len, reverse=True):
        if name.startswith(t + " "):
            return t
    return None


def read_unit_files(paths: Iterable[str], official_rows: RowsOf) -> list[tuple]:
    """Rows of the user unit files ``paths`` as tuples ``(code, name, type, parent_code, "user",
    valid_from, valid_to, successor_code, source)``, checked together against the official registry
    (``official_rows(code)``: its rows of a code). Raises :class:`UnitFileError` listing every problem."""
    errors = _Errors()
    parsed: list[tuple[str, int, dict]] = []  # (file, line, fields)
    for p in paths:
        path = Path(p)
        name = path.name
        text = _decode(path, errors)
        if text is None:
            continue
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            errors.add(name, 1, None, f"dòng tiêu đề không đọc được ({exc})")
            continue
        if not header or not any(h.strip() for h in header):
            errors.add(name, 1, None, "tệp trống hoặc thiếu dòng tiêu đề",
                       expected="dòng tiêu đề: " + ",".join(REQUIRED))
            continue
        header = [h.strip() for h in header]
        bad_head = False
        for h in header:
            if h not in COLUMNS:
                hint = " (tệp đơn vị tự đặt không có cột level: cấp luôn là 'user')" if h == "level" else ""
                errors.add(name, 1, h or "(trống)", "cột không có trong định dạng" + hint, found=h,
                           expected="các cột " + ", ".join(COLUMNS))
                bad_head = True
        for h in REQUIRED:
            if h not in header:
                errors.add(name, 1, h, "thiếu cột bắt buộc", expected="các cột " + ", ".join(REQUIRED))
                bad_head = True
        dup = sorted({h for h in header if header.count(h) > 1})
        for h in dup:
            errors.add(name, 1, h, "cột bị lặp lại")
            bad_head = True
        if bad_head:
            continue
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                errors.add(name, reader.line_num, None, f"dòng không đọc được ({exc})",
                           expected='ô có dấu phẩy hoặc xuống dòng phải đặt trong dấu ngoặc kép "…"')
                break
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                extra = cells[len(header):]
                errors.add(name, line, header[-1] if len(cells) > len(header) else None,
                           f"dòng có {len(cells)} ô nhưng tiêu đề có {len(header)} cột",
                           found=",".join(extra) if extra else ",".join(cells),
                           expected='ô có dấu phẩy (thường là cột source) phải đặt trong dấu ngoặc kép "…"'
                           if len(cells) > len(header) else f"{len(header)} ô, như dòng tiêu đề")
                continue
            fields = {h: c.strip() for h, c in zip(header, cells)}
            for h, v in fields.items():
                if _CONTROL.search(v):
                    errors.add(name, line, h, "ô có ký tự điều khiển", found=v, expected="chữ, số và dấu câu")
            parsed.append((name, line, fields))

    # ---- each row on its own
    rows: list[tuple[str, int, tuple]] = []
    for file, line, f in parsed:
        ok = True
        code, parent = f["code"], f["parent_code"]
        for col in REQUIRED:
            if not f.get(col):
                errors.add(file, line, col, "ô bắt buộc đang trống")
                ok = False
        if not ok:
            continue
        if not parent.isascii() or not (re.fullmatch(r"\d{2}|\d{3}|\d{5}", parent) or USER_CODE_RE.fullmatch(parent)):
            errors.add(file, line, "parent_code", "mã đơn vị cấp trên không đúng dạng", found=parent,
                       expected="mã chính thức (2, 3 hoặc 5 chữ số, ví dụ 19780) hoặc mã đơn vị tự đặt")
            ok = False
        elif not (code.isascii() and USER_CODE_RE.fullmatch(code) and code.startswith(parent + "-")
                  and "-" not in code[len(parent) + 1:]):
            errors.add(file, line, "code", "mã đơn vị tự đặt phải là mã đơn vị cấp trên, dấu '-' và 1-6 chữ số "
                       "hoặc chữ in hoa không dấu (để không bao giờ trùng mã chính thức)",
                       found=code, expected=f"ví dụ {parent}-01")
            ok = False
        typ = f["type"]
        if typ not in USER_TYPES:
            errors.add(file, line, "type", "loại đơn vị không có trong danh sách", found=typ,
                       expected=", ".join(USER_TYPES))
            ok = False
        elif not f["name"].startswith(typ + " "):
            errors.add(file, line, "name", f"tên phải bắt đầu bằng loại đơn vị '{typ}'", found=f["name"],
                       expected=f"ví dụ '{typ} 3'")
            ok = False
        elif _type_of(f["name"]) != typ:
            errors.add(file, line, "type", "loại đơn vị không khớp với tên", found=typ,
                       expected=f"'{_type_of(f['name'])}' (theo tên {f['name']!r})")
            ok = False
        vf = _date(f["valid_from"], file, line, "valid_from", errors)
        vt = _date(f["valid_to"], file, line, "valid_to", errors) if f.get("valid_to") else None
        if vf is None or (f.get("valid_to") and vt is None):
            continue
        if vt is not None and vt < vf:
            errors.add(file, line, "valid_to", "ngày hết hiệu lực trước ngày bắt đầu", found=f["valid_to"],
                       expected=f"một ngày từ {f['valid_from']} trở đi, hoặc để trống nếu còn hiệu lực")
            ok = False
        succ = f.get("successor_code", "")
        if succ and vt is None:
            errors.add(file, line, "successor_code", "có đơn vị kế tiếp nhưng chưa ghi ngày hết hiệu lực",
                       found=succ, expected="ghi valid_to (ngày cuối cùng của đơn vị này)")
            ok = False
        if ok:
            rows.append((file, line, (code, f["name"], typ, parent, USER_LEVEL, vf, vt, succ, f["source"])))

    # ---- rows together: duplicates, parents, successors
    by_code: dict[str, list[tuple[str, int, tuple]]] = {}
    for r in rows:
        by_code.setdefault(r[2][0], []).append(r)
    for code, rs in by_code.items():
        rs.sort(key=lambda r: r[2][5])
        for a, b in zip(rs, rs[1:]):
            if (a[2][6] or _MAX) >= b[2][5]:
                errors.add(b[0], b[1], "code", f"mã bị trùng: {a[0]}, dòng {a[1]} đã có mã này trong cùng thời gian",
                           found=code, expected="mỗi mã một dòng cho mỗi thời kỳ (các thời kỳ không chồng lên nhau)")
    for file, line, (code, _n, _t, parent, _l, vf, vt, succ, _s) in rows:
        if "-" in parent:
            periods = [(r[2][5], r[2][6] or _MAX) for r in by_code.get(parent, ())]
            what = "đơn vị tự đặt"
        else:
            periods = [(u.valid_from or _MIN, u.valid_to or _MAX) for u in official_rows(parent)]
            what = "đơn vị hành chính"
        if not periods:
            errors.add(file, line, "parent_code", f"không có {what} nào mang mã này", found=parent,
                       expected="mã một đơn vị trong danh mục (xem `danvan units --search TÊN`) hoặc trong tệp")
        elif not _covers(periods, vf, vt or _MAX):
            last = max(b for _a, b in periods)
            end = "còn hiệu lực" if vt is None else f"đến {vt.isoformat()}"
            hint = (f"; đơn vị cấp trên hết hiệu lực ngày {last.isoformat()}: ghi valid_to không muộn hơn ngày đó "
                    "và thêm một dòng mới dưới đơn vị cấp trên kế tiếp" if last < (vt or _MAX) else "")
            errors.add(file, line, "parent_code",
                       f"đơn vị cấp trên không tồn tại suốt thời gian của đơn vị này (từ {vf.isoformat()} {end}){hint}",
                       found=parent, expected="một đơn vị cấp trên có hiệu lực trong cả thời kỳ đó")
        if succ and succ not in by_code:
            errors.add(file, line, "successor_code", "đơn vị kế tiếp không có trong các tệp đơn vị tự đặt", found=succ,
                       expected="mã của một đơn vị tự đặt khác, bắt đầu ngày sau valid_to")
        elif succ and not any(r[2][5] > vt for r in by_code[succ]):
            errors.add(file, line, "successor_code", "đơn vị kế tiếp không bắt đầu sau ngày hết hiệu lực", found=succ,
                       expected=f"một dòng của {succ} có valid_from sau {vt.isoformat()}")
    errors.raise_if_any()
    return [r[2] for r in rows]
