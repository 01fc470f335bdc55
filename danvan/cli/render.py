"""``danvan render`` (one report) and ``danvan setup`` (create the store, load the data)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.errors import MachineFault
from ..core.settings import path_list
from ..intake.demo import load_demo
from ..intake.unitdir import bootstrap_default_store
from ..run.notebooks import DEFAULT_NOTEBOOK, resolve_notebook
from ..run.outputs import check_outputs_dir, outputs_lock
from ..run.render import execute, plan
from ..store import Store
from .options import absolute_paths, add_db, outputs_dir, parse_formats, parse_param

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
        if k == "catalogue" and v:  # the kernel runs in notebooks/: make the files' paths absolute
            params[k] = absolute_paths(path_list(v))
    outputs = check_outputs_dir(outputs_dir(args.outputs))
    task = plan(nb, params, outputs, formats=args.formats)  # bad parameters: nothing made, no kernel
    with outputs_lock(outputs):  # like `danvan run`: one writer of an outputs folder at a time
        outcome = execute(task, engine="fresh" if args.kernel == "fresh" else "warm")
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


def _cmd_setup(args) -> int:
    store = Store(args.db)
    results = bootstrap_default_store(store)
    changed = sum(r.changed + r.texts_changed for r in results)
    print(f"store {store.path}: reference data loaded ({len(results)} unit-years, {changed} new values)")
    if not args.no_demo:
        n = load_demo(store)
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
    p.add_argument("--unit", metavar="CODE", help="unit code, a 5-character string such as 19780")
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
    p.set_defaults(func=_cmd_render)

    s = sub.add_parser("setup", help="create the store and load the reference (and demo) data",
                       description="Create the SQLite store if needed and load the repository's reference "
                                   "data (idempotent), then the illustrative demo data unless --no-demo.")
    s.add_argument("--no-demo", action="store_true", help="load only the real reference data")
    add_db(s)
    s.set_defaults(func=_cmd_setup)
