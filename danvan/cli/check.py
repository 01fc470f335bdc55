"""``danvan check``: QA findings of one unit-year, or of every commune under a parent."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..core.errors import NoDataError, UsageError
from ..indicators.figures import Figures
from ..indicators.qa import SEVERITY_VI, Finding, check_unit_year
from ..reference.units import check_code_format, load_registry
from .options import absolute_paths, add_db, add_profile, add_unit_files, parse_year, profile_arg

__all__ = ["register"]


def _print_findings(figs: Figures, findings: list[Finding], out) -> None:
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITY_VI}
    kind = "minh họa" if figs.illustrative else "chính thức"
    print(f"Kiểm tra số liệu {figs.unit.name} (mã {figs.unit.code}), năm {figs.year} – số liệu {kind}, "
          f"{figs.source}: " + ", ".join(f"{n} {SEVERITY_VI[s].lower()}" for s, n in counts.items()), file=out)
    for f in findings:
        print(f"\n[{SEVERITY_VI[f.severity]}] {f.code} – {f.label}", file=out)
        print(f"  {f.message}", file=out)
        print(f"  Quy tắc: {f.rule}", file=out)


def _cmd_check(args) -> int:
    cat_files = absolute_paths(args.catalogue or [])
    db = str(Path(args.db).resolve()) if args.db else None
    if bool(args.unit) == bool(args.parent):
        raise UsageError("give --unit CODE or --parent CODE (and --year)")
    unit_files = absolute_paths(args.unit_files)
    reg = load_registry(*args.unit_files)
    if args.parent:
        check_code_format(args.parent)
        parent = reg.get(args.parent, args.year)
        codes = [u.code for u in reg.descendants(parent.code, args.year, level=reg.reporting_level(parent))]
    else:
        codes = [reg.get(check_code_format(args.unit), args.year).code]
    results, errors = [], 0
    for code in codes:
        figs, findings = check_unit_year(code, args.year, db=db, data_dir=args.data_dir, catalogue_files=cat_files,
                                         unit_files=unit_files, profile=profile_arg(args.profile))
        if not figs.values and args.parent:
            continue  # a ward without data in a city-wide check: nothing to check
        if not figs.values:
            raise NoDataError(f"không có số liệu của {figs.unit.name} (mã {code}) năm {args.year} trong {figs.source}")
        errors += sum(f.severity == "error" for f in findings)
        results.append((figs, findings))
    if args.json:
        doc = [{"unit_code": f.unit.code, "unit": f.unit.name, "year": f.year, "illustrative": f.illustrative,
                "findings": [x.to_json() for x in fs]} for f, fs in results]
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        for i, (figs, findings) in enumerate(results):
            if i:
                print("\n" + "-" * 72)
            _print_findings(figs, findings, sys.stdout)
    return 1 if errors else 0


def register(sub) -> None:
    p = sub.add_parser(
        "check",
        help="QA of a unit-year's figures (rates vs their parts, the base explaining a rate, bases other than the "
             "unit's own totals, parts vs totals, year-over-year jumps, required figures)",
        description="Check one unit-year (or every commune under --parent) and list findings in Vietnamese: "
                    "stated percentages that disagree with their numerator/denominator and the base that would "
                    "explain them, parts that do not sum to totals, year-over-year jumps beyond the indicator's "
                    "threshold, required figures missing. Exit code 1 when there is an error, 0 otherwise, "
                    "2 for bad usage, 4 when the store cannot be read (damaged).",
        epilog="example: danvan check --unit 19780 --year 2023",
    )
    p.add_argument("--unit", metavar="CODE", help="unit code, a string: 5 digits such as 19780, or a unit of your own such as 19780-01")
    p.add_argument("--parent", metavar="CODE",
                   help="check every commune under this unit (e.g. 474, or a province: 46; a commune: its own units)")
    p.add_argument("--year", type=parse_year, required=True, help="report year, e.g. 2023")
    add_db(p)
    p.add_argument("--data-dir", help="read <DIR>/<unit>/<year>/ files instead of the store")
    p.add_argument("--catalogue", action="append", metavar="YAML",
                   help="extra indicator catalogue file (repeatable; also $DANVAN_CATALOGUE)")
    add_profile(p)
    add_unit_files(p)
    p.add_argument("--json", action="store_true", help="findings as JSON")
    p.set_defaults(func=_cmd_check)
