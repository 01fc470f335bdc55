"""``danvan run``: a batch of reports (a run set, or ``--year``/``--units``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import MachineFault, UsageError
from ..run.batch import run_batch
from ..run.notebooks import DEFAULT_NOTEBOOK, resolve_notebook
from ..run.outputs import INDEX, check_outputs_dir
from ..run.runset import ReportSpec, RunSet, dedupe, expand, load_runset, parse_units
from ..store import Store
from .options import absolute_paths, add_db, add_profile, add_unit_files, outputs_dir, parse_formats, profile_arg

__all__ = ["register"]


def _cmd_run(args) -> int:
    if args.runset:
        rs = load_runset(args.runset)
        if args.year:
            rs.years = [args.year]
    else:
        if not args.year:
            raise UsageError("give a run set (params/*.yaml) or --year with --units")
        rs = RunSet("ad-hoc", [args.year], [ReportSpec(args.notebook or DEFAULT_NOTEBOOK, parse_units(args.units), {})])
    if args.profile:
        rs.profile = profile_arg(args.profile)
    formats = args.formats or rs.formats
    outputs = check_outputs_dir(outputs_dir(args.outputs))  # before any work: a file, read-only, full
    db = str(Path(args.db).resolve()) if args.db else None  # the notebooks run in notebooks/
    available = set(Store(db).require().fingerprints())
    jobs = expand(rs, available=available, unit_files=absolute_paths(args.unit_files))
    if args.notebook and args.runset:
        nb = resolve_notebook(args.notebook)
        jobs = [(n, p) for n, p in jobs if n == nb]
    jobs, repeated = dedupe(jobs)
    if repeated:
        print(f"danvan run: listed more than once, rendered once: {', '.join(repeated)}", file=sys.stderr)
    res = run_batch(
        jobs, outputs, formats=formats, workers=args.workers, scheduler=args.scheduler,
        engine="fresh" if args.kernel == "fresh" else "warm", force=args.force,
        retry_failed=args.retry_failed, db=db, progress=None if not args.no_progress else False,
    )
    print(res.summary())
    print(f"index: {outputs / INDEX}")
    if res.fault:
        raise MachineFault(res.fault)  # exit code 4: the machine, not the reports
    return 1 if res.failed else 0


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="render many reports (a run set in params/, or --year/--units), in parallel, incrementally",
        description=(
            "Render every report of a run set. Parameters are validated and inputs fingerprinted before "
            "any kernel starts; unchanged reports are skipped; failures do not stop the batch (exit 1)."
        ),
        epilog=(
            "examples:\n  danvan run params/hue-2023.yaml\n  danvan run --year 2023 --units all\n"
            "  danvan run --year 2023 --units parent:474 --formats html,pdf\n"
            "  danvan run params/hue-2023.yaml --scheduler tcp://10.0.0.5:8786"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runset", nargs="?", help="run-set YAML (see params/)")
    p.add_argument("--year", type=int, help="year (ad hoc run, or override the run set's years)")
    p.add_argument("--units", help="ad hoc: 'all' (default), 'parent:474' (every commune under 474; 'parent:46' "
                                   "a province's), or codes '19780,19783'")
    p.add_argument("--notebook", help="ad hoc notebook (default ward_report.ipynb); with a run set: only this one")
    p.add_argument("--formats", type=parse_formats, help="html,pdf,docx (default: the run set's, else html)")
    p.add_argument("--outputs", help="output root (default: outputs/ of the checkout, or $DANVAN_OUTPUTS)")
    p.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", help="Dask scheduler address tcp://HOST:PORT (default: local processes)")
    p.add_argument("--kernel", choices=("warm", "fresh"), default="warm",
                   help="warm: in-process engine in each worker (default); fresh: a new Jupyter kernel per report")
    p.add_argument("--force", action="store_true", help="re-render even when nothing changed")
    p.add_argument("--retry-failed", action="store_true", help="re-render only the reports that failed last time")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_db(p)
    add_profile(p)
    add_unit_files(p, "--unit-file")  # --units selects the units of an ad hoc run
    p.set_defaults(func=_cmd_run)
