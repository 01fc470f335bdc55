"""``danvan form | import | validate | history``: the intake commands (see :mod:`danvan.intake`).

Exit codes: 0 success (warnings allowed), 1 a file had errors / was not written / nothing found,
2 bad usage (unknown unit or indicator code, bad option, ``--out`` a directory or an existing file
without ``--force``), 4 a machine fault (disk full, read-only or damaged store, unwritable ``--out``).
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import CatalogueError, UnitCodeError, UnknownUnitError, UsageError
from ..core.vnformat import fmt_number
from ..intake.forms import Catalogues, write_form
from ..intake.importer import check_files, format_outcomes, import_files
from ..intake.validate import closest_code, written_text
from ..reference.profiles import catalogue_for, profile_for
from ..reference.units import check_code_format, load_registry
from ..store import Store
from .options import add_db, add_reference, profile_arg

__all__ = ["register"]


def _reference(args):
    """The catalogues (each unit-year's report profile, or ``--profile``, with the ``--catalogue``
    layers) and the unit registry the command works with (shipped + user files)."""
    reg = load_registry(*args.unit_files)  # a bad unit file is a UnitFileError (exit 2)
    return Catalogues(registry=reg, profile=profile_arg(args.profile), catalogue_files=args.catalogue), reg


def _unit_catalogue(args, reg, unit, year: int):
    try:
        return catalogue_for(unit, year, registry=reg, profile=profile_arg(args.profile), catalogue_files=args.catalogue)
    except (OSError, KeyError) as exc:  # a user file that is not one
        raise UsageError(str(exc)) from exc


def _store(args) -> Store:
    return Store(args.db or None)


# ---- form ----------------------------------------------------------------------------------------
def _cmd_form(args) -> int:
    _cats, reg = _reference(args)
    check_code_format(args.unit)
    unit = reg.get(args.unit, args.year)  # an alias code resolves to the canonical unit (with a note)
    if args.out and Path(args.out).is_dir():
        raise UsageError(f"--out {args.out} là một thư mục; hãy ghi tên tệp, ví dụ "
                         f"{Path(args.out) / f'bieu-nhap-{unit.code}-{args.year}.xlsx'}")
    cat = _unit_catalogue(args, reg, unit, args.year)
    chosen = profile_for(unit, args.year, reg, profile=profile_arg(args.profile))
    fmt = args.format or (Path(args.out).suffix.lstrip(".").lower() if args.out else "xlsx") or "xlsx"
    if fmt not in ("xlsx", "csv"):
        raise UsageError(f"--format must be xlsx or csv, got {fmt!r}")
    out = Path(args.out) if args.out else Path(f"bieu-nhap-{unit.code}-{args.year}.{fmt}")
    parent = next((a for a in out.absolute().parents if a.exists()), None)
    if parent is not None and not parent.is_dir():
        raise UsageError(f"--out {out}: {parent} là một tệp, không phải thư mục; hãy chọn một thư mục khác")
    if out.exists() and not args.force:
        raise UsageError(f"tệp {out} đã có (có thể là biểu đã điền); danvan không ghi đè. Chọn tên khác bằng --out, "
                         "hoặc thêm --force để ghi đè")
    path = write_form(unit.code, args.year, out, fmt=fmt, catalogue=cat, registry=reg, db=args.db)
    print(f"{fmt:4} {path}")
    print(f"Đã lập biểu nhập số liệu năm {args.year} cho {unit.name} (mã {unit.code}); "
          f"danh mục chỉ tiêu {cat.version} ({chosen.why}); {len(cat.data_indicators())} chỉ tiêu, "
          f"{sum(i.required for i in cat.indicators.values())} bắt buộc.")
    return 0


# ---- import / validate ---------------------------------------------------------------------------
def _cmd_import(args) -> int:
    cat, reg = _reference(args)
    store = _store(args)
    try:
        outcomes = import_files(args.files, store, by=args.by, catalogue=cat, registry=reg,
                                all_or_nothing=args.all_or_nothing, workers=args.workers)
    except CatalogueError as exc:
        done = getattr(exc, "outcomes", [])
        if done:  # what was already written is said before the error (exit 2)
            print(format_outcomes(done, wrote=True))
            print(f"Kho dữ liệu: {store.path}")
            print(f"LƯU Ý: dừng nhập sau {len(done)} tệp vì lỗi danh mục/đề cương dưới đây; các tệp còn lại chưa "
                  "được đọc. Sửa tệp đó rồi chạy lại lệnh (các tệp đã nhập sẽ báo «ĐÃ CÓ»).")
        raise
    print(format_outcomes(outcomes, wrote=True))
    print(f"Kho dữ liệu: {store.path}")
    fault = next((o.fault for o in outcomes if o.fault is not None), None)
    if fault is not None:
        raise fault  # the machine's fault, not the files': exit code 4
    return 0 if all(o.status in ("written", "unchanged") for o in outcomes) else 1


def _cmd_validate(args) -> int:
    cat, reg = _reference(args)
    store = None if args.no_store else _store(args)
    outcomes = check_files(args.files, store=store, catalogue=cat, registry=reg)
    print(format_outcomes(outcomes, wrote=False))
    return 0 if all(o.ok for o in outcomes) else 1


# ---- history -------------------------------------------------------------------------------------
def _short_file(path: str) -> str:
    return Path(path).name or path


def _cmd_history(args) -> int:
    cats, reg = _reference(args)
    store = _store(args).require()
    try:
        unit = reg.get(args.unit, args.year)
        unit_name = unit.name
        cat = cats.get(unit.code, args.year)
    except (UnitCodeError, UnknownUnitError):  # history of a unit no longer in the registry is still shown
        unit_name = "?"
        cat = cats.get(None, None)
    head = f"Đơn vị {args.unit} ({unit_name}), năm {args.year}"

    if args.section:
        revs = store.text_history(args.unit, args.year, args.section)
        print(f"Lịch sử mục văn bản {args.section} – {head}")
        if not revs:
            print("  (chưa có lần nhập nào)")
            return 1
        for i, r in enumerate(revs, start=1):
            mark = "  ← hiện hành" if i == len(revs) else ""
            first = r.body.strip().splitlines()[0] if r.body.strip() else ""
            print(f"  {i}. {r.at}  {r.by}  {_short_file(r.file)} (sha256 {r.sha256[:12]}){mark}")
            print(f"     {first[:100]}{'…' if len(first) > 100 else ''} ({len(r.body)} ký tự)")
        return 0

    if not args.indicator:
        counts = store.revision_counts(args.unit, args.year)
        if not counts:
            print(f"{head}: chưa có số liệu nào trong kho {store.path}")
            return 1
        current = store.figures(args.unit, args.year)
        print(f"Số liệu trong kho – {head} (số lần nhập mỗi chỉ tiêu; xem chi tiết bằng --indicator MÃ)")
        for code in [c for c in cat.indicators if c in counts] + sorted(set(counts) - set(cat.indicators)):
            val = current.get(code)
            shown = fmt_number(val) if val is not None else "(đã rút)"
            label = cat[code].label if code in cat else "(không còn trong danh mục)"
            print(f"  {code:34} {counts[code]:>2} lần  hiện hành {shown:>16}  {label}")
        return 0

    code = args.indicator.strip()
    if code not in cat:
        hint = closest_code(code, cat.indicators)
        raise UsageError(f"mã chỉ tiêu {code!r} không có trong danh mục" + (f"; có phải là {hint}?" if hint else ""))
    ind = cat[code]
    revs = store.history(args.unit, args.year, code)
    print(f"Lịch sử chỉ tiêu {code} – {ind.label} ({ind.unit})")
    print(head)
    if not revs:
        print("  (chưa có lần nhập nào)")
        return 1
    print(f"  {'lần':>3}  {'giá trị':>18}  {'thời điểm (UTC)':25}  {'người nhập':16}  tệp (sha256)")
    for i, r in enumerate(revs, start=1):
        val = written_text(ind, r.value, r.written) if r.value is not None else "(đã rút)"
        mark = "  ← hiện hành" if i == len(revs) else ""
        note = f"  ghi chú: {r.note}" if r.note else ""
        demo = "  [minh họa]" if r.illustrative else ""
        print(f"  {i:>3}  {val:>18}  {r.at:25}  {r.by[:16]:16}  {_short_file(r.file)} ({r.sha256[:12]}){demo}{note}{mark}")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "form", help="write a data-entry form (xlsx or CSV) for one unit-year",
        description="Write the data-entry workbook of one unit-year from its report profile: sections, Vietnamese "
                    "labels, units, last year's value, locked labels, data validation, instructions in "
                    "Vietnamese (sheet 'Hướng dẫn'). --format csv writes the CSV form (UTF-8 with BOM).",
        epilog="example: danvan form --unit 19780 --year 2024 --out bieu-19780-2024.xlsx",
    )
    p.add_argument("--unit", required=True, metavar="CODE", help="unit code, a string: 5 digits such as 19780, or a unit of your own such as 19780-01")
    p.add_argument("--year", required=True, type=int, help="report year, e.g. 2024")
    p.add_argument("--out", help="output file (default: bieu-nhap-UNIT-YEAR.xlsx in the current directory)")
    p.add_argument("--format", choices=("xlsx", "csv"), help="xlsx (default, or by --out suffix) or csv")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists (it may be a filled form)")
    add_db(p)
    add_reference(p)
    p.set_defaults(func=_cmd_form)

    i = sub.add_parser(
        "import", help="validate and store filled forms / CSV files (one transaction per file)",
        description="Validate every file first, then write each file without errors in its own transaction "
                    "(a file is stored whole or not at all). Files with errors are not written; the summary "
                    "says which files were. Every changed value is kept as a new revision.",
        epilog="example: danvan import bieu-19780-2024.xlsx --by 'Nguyễn Văn A'",
    )
    i.add_argument("files", nargs="+", metavar="FILE", help=".xlsx forms or .csv files")
    i.add_argument("--by", help="who imports (default: the OS user)")
    i.add_argument("--all-or-nothing", action="store_true",
                   help="write nothing at all if any file has an error")
    i.add_argument("--workers", type=int, default=0, metavar="N",
                   help="parse files in N worker processes (large batches on many-core machines; default 0)")
    add_db(i)
    add_reference(i)
    i.set_defaults(func=_cmd_import)

    v = sub.add_parser(
        "validate", help="check files exactly as import does, without writing",
        description="Run every import check (against the store's current values, so that relations such as "
                    "parts and totals are checked on what the unit-year would hold) and write nothing.",
        epilog="example: danvan validate bieu-19780-2024.xlsx",
    )
    v.add_argument("files", nargs="+", metavar="FILE", help=".xlsx forms or .csv files")
    v.add_argument("--no-store", action="store_true", help="check the files alone, ignoring stored values")
    add_db(v)
    add_reference(v)
    v.set_defaults(func=_cmd_validate)

    h = sub.add_parser(
        "history", help="every stored revision of a figure (or a text section) of one unit-year",
        description="Show every revision of one figure: value, when, by whom, from which file (sha256). "
                    "Without --indicator: the figures of the unit-year with their number of revisions.",
        epilog="example: danvan history --unit 19780 --year 2023 --indicator REV_TOTAL",
    )
    h.add_argument("--unit", required=True, metavar="CODE")
    h.add_argument("--year", required=True, type=int)
    g = h.add_mutually_exclusive_group()
    g.add_argument("--indicator", metavar="CODE", help="indicator code, e.g. REV_TOTAL")
    g.add_argument("--section", metavar="CODE", help="free-text section code, e.g. II.1")
    add_db(h)
    add_reference(h)
    h.set_defaults(func=_cmd_history)
