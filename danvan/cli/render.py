"""``danvan render`` (one report) and ``danvan setup`` (create the store, load the data)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.errors import MachineFault, UsageError
from ..core.settings import path_list
from ..intake.demo import DEMO_PARENT, DEMO_YEARS, demo_unit_years, load_demo
from ..intake.unitdir import bootstrap_default_store
from ..run.notebooks import DEFAULT_NOTEBOOK, resolve_notebook
from ..run.outputs import check_outputs_dir, outputs_lock
from ..run.render import execute, prepare, write_outcome
from ..store import Store
from ..reference.units import load_registry
from .options import (absolute_paths, add_db, add_profile, add_unit_files, outputs_dir, parse_formats, parse_param,
                      parse_year, profile_arg)

__all__ = ["register"]


def _cmd_render(args) -> int:
    nb = resolve_notebook(args.notebook)
    params: dict = {}
    if args.unit is not None:
        params["unit_code"] = args.unit
    if args.year is not None:
        params["year"] = args.year
    if args.db:
        params["db"] = str(Path(args.db).resolve())
    if args.data_dir:
        params["data_dir"] = str(Path(args.data_dir).resolve())
    for k, v in args.param or []:
        params[k] = int(v) if k == "year" and v.strip().isdigit() else v
        if k in ("catalogue", "units") and v:  # the kernel runs in notebooks/: make the files' paths absolute
            params[k] = absolute_paths(path_list(v))
        if k == "profile" and v:
            params[k] = profile_arg(v)
    if args.unit_files:
        params["units"] = absolute_paths([*path_list(params.get("units", "")), *args.unit_files])
    if args.profile:
        params["profile"] = profile_arg(args.profile)
    outputs = check_outputs_dir(outputs_dir(args.outputs))
    task, bundle = prepare(nb, params, outputs, formats=args.formats)  # bad parameters: nothing made, no kernel
    outcome = execute(task, bundle, engine="fresh" if args.kernel == "fresh" else "warm")
    with outputs_lock(outputs):  # like `danvan run`: one writer of an outputs folder at a time
        outcome = write_outcome(outcome, task)
    if outcome.fault:
        raise MachineFault(f"FAILED {outcome.label}: {outcome.fault}")
    if outcome.status != "ok":
        where = f" (cell {outcome.failed_cell})" if outcome.failed_cell is not None else ""
        print(f"danvan render: FAILED {outcome.label}{where}: {outcome.error}", file=sys.stderr)
        if "ipynb" in outcome.files:
            print(f"  executed notebook kept: {outcome.files['ipynb']}", file=sys.stderr)
        return 1
    for fmt, path in outcome.files.items():
        print(f"{fmt:5} {path}")
    print(f"rendered {outcome.label} in {outcome.seconds:.2f} s")
    return 0


def _parse_years(text: str) -> tuple[int, ...]:
    years = []
    for part in text.split(","):
        part = part.strip()
        a, _, b = part.partition("-")
        try:
            lo, hi = parse_year(a), parse_year(b or a)
        except Exception:
            raise UsageError(f"--demo-years: {part!r} is not a year or a range such as 2024 or 2021-2024") from None
        years += range(lo, hi + 1)
    return tuple(dict.fromkeys(years))


def _cmd_setup(args) -> int:
    if args.no_demo and (args.demo_parent or args.demo_years):
        raise UsageError("--no-demo and --demo-parent/--demo-years contradict each other")
    demo = None
    reg = load_registry(*args.unit_files)  # check the unit files and the demo request before writing
    if not args.no_demo:
        years = _parse_years(args.demo_years) if args.demo_years else DEMO_YEARS
        demo = demo_unit_years(years, args.demo_parent or DEMO_PARENT, registry=reg)
    store = Store(args.db)
    results = bootstrap_default_store(store)
    changed = sum(r.changed + r.texts_changed for r in results)
    print(f"store {store.path}: reference data loaded ({len(results)} unit-years, {changed} new values)")
    if demo is not None:
        n = load_demo(store, demo, registry=reg)
        print(f"store {store.path}: illustrative demo data loaded ({n} unit-years)")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "render",
        help="render one report (validate parameters, execute the notebook, export)",
        description=(
            "Render one unit-year report. Parameters are validated before any kernel starts; the "
            "notebook is executed with papermill and exported to outputs/<year>/<unit>/."
        ),
        epilog="example: danvan render --unit 19780 --year 2023 --formats html,pdf",
    )
    p.add_argument("--unit", metavar="CODE", help="unit code, a string: 5 digits such as 19780, or a unit of your own such as 19780-01")
    p.add_argument("--year", type=int, help="report year, e.g. 2023")
    p.add_argument("--notebook", default=None, help=f"notebook to run (default: notebooks/{DEFAULT_NOTEBOOK})")
    p.add_argument("--formats", type=parse_formats, default=("html",), help="html,pdf,docx (default: html)")
    p.add_argument("--outputs", help="output root (default: outputs/ of the checkout, or $DANVAN_OUTPUTS)")
    p.add_argument("--data-dir", help="read <DIR>/<unit>/<year>/ files instead of the store")
    p.add_argument("--kernel", choices=("warm", "fresh"), default="warm",
                   help="warm: in-process danvan engine (fast, default); fresh: a new Jupyter kernel")
    p.add_argument("-p", "--param", action="append", type=parse_param, metavar="NAME=VALUE",
                   help="other notebook parameter (repeatable)")
    add_db(p)
    add_profile(p)
    add_unit_files(p)
    p.set_defaults(func=_cmd_render)

    s = sub.add_parser("setup", help="create the store and load the reference (and demo) data",
                       description="Create the SQLite store if needed and load the repository's reference "
                                   "data (idempotent), then the illustrative demo data unless --no-demo: by "
                                   "default Huế city's 36 units 2021-2024; with --demo-parent the communes "
                                   "under any unit (a province, a district; a commune's own units).",
                       epilog="example: danvan setup --demo-parent 12 --demo-years 2024,2025  (Lai Châu)")
    s.add_argument("--no-demo", action="store_true", help="load only the real reference data")
    s.add_argument("--demo-parent", metavar="CODE",
                   help=f"generate illustrative data for every commune under CODE (default {DEMO_PARENT}, Huế)")
    s.add_argument("--demo-years", metavar="YEARS",
                   help="years of the demo data: 2025, 2024,2025 or 2021-2024 (default 2021-2024)")
    add_db(s)
    add_unit_files(s)
    s.set_defaults(func=_cmd_setup)
