"""``danvan`` command line. Each stage module registers its own subcommands (see ``_COMMAND_MODULES``).

Exit codes: 0 success, 1 a report/import failed, 2 bad usage or bad parameters (nothing ran).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from . import __version__

__all__ = ["main", "build_parser"]

# module: function(subparsers) adding its subcommands; each subcommand sets `func(args) -> int`.
_COMMAND_MODULES = [
    "danvan.cli:_register_core",
    "danvan.intake_cli:register",
    "danvan.batch:register",
    "danvan.qa:register",
]

DEFAULT_NOTEBOOK = "ward_report.ipynb"


def notebooks_dir() -> Path:
    from .store import project_root

    root = project_root()
    env = os.environ.get("DANVAN_NOTEBOOKS")
    if env:
        return Path(env)
    if root is not None:
        return root / "notebooks"
    return Path.cwd() / "notebooks"


def outputs_dir(value: str | None = None) -> Path:
    if value:
        return Path(value)
    if os.environ.get("DANVAN_OUTPUTS"):
        return Path(os.environ["DANVAN_OUTPUTS"])
    from .store import project_root

    root = project_root()
    return (root / "outputs") if root is not None else Path.cwd() / "outputs"


def resolve_notebook(name: str | None) -> Path:
    name = name or DEFAULT_NOTEBOOK
    p = Path(name)
    if p.exists():
        return p.resolve()
    cand = notebooks_dir() / name
    if cand.exists():
        return cand.resolve()
    if not name.endswith(".ipynb") and (notebooks_dir() / f"{name}.ipynb").exists():
        return (notebooks_dir() / f"{name}.ipynb").resolve()
    print(f"danvan: notebook {name!r} not found (looked in . and {notebooks_dir()})", file=sys.stderr)
    raise SystemExit(2)  # bad usage: nothing ran


def parse_formats(text: str) -> tuple[str, ...]:
    from .export import FORMATS

    fmts = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise argparse.ArgumentTypeError(f"formats must be a comma list of {', '.join(FORMATS)}; got {text!r}")
    return fmts


def parse_param(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    k, v = text.split("=", 1)
    return k.strip(), v


def add_common_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="SQLite store (default: $DANVAN_DB, else data/danvan.sqlite in the checkout)")


# ---- core commands --------------------------------------------------------------------------
def _cmd_render(args) -> int:
    from .params import ParameterError
    from .render import render

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
            params[k] = os.pathsep.join(str(Path(p).resolve()) for p in v.split(os.pathsep) if p)
    try:
        outcome = render(nb, params, outputs_dir(args.outputs), formats=args.formats,
                         engine="fresh" if args.kernel == "fresh" else "warm")
    except ParameterError as exc:
        print(f"danvan render: {exc}", file=sys.stderr)
        return 2
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
    from .intake import bootstrap_default_store
    from .store import Store

    store = Store(args.db)
    results = bootstrap_default_store(store)
    changed = sum(r.changed + r.texts_changed for r in results)
    print(f"store {store.path}: reference data loaded ({len(results)} unit-years, {changed} new values)")
    if not args.no_demo:
        from .demo import load_demo

        n = load_demo(store)
        print(f"store {store.path}: illustrative demo data loaded ({n} unit-years)")
    return 0


def _register_core(sub) -> None:
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
    add_common_data_options(p)
    p.set_defaults(func=_cmd_render)

    s = sub.add_parser("setup", help="create the store and load the reference (and demo) data",
                       description="Create the SQLite store if needed and load the repository's reference "
                                   "data (idempotent), then the illustrative demo data unless --no-demo.")
    s.add_argument("--no-demo", action="store_true", help="load only the real reference data")
    add_common_data_options(s)
    s.set_defaults(func=_cmd_setup)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="danvan",
        description="Reproducible 'Công tác Dân vận Chính quyền' reports: forms -> validate -> store -> "
                    "notebook (papermill) -> HTML/PDF/DOCX.",
    )
    parser.add_argument("--version", action="version", version=f"danvan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for spec in _COMMAND_MODULES:
        mod, fn = spec.split(":")
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name == mod:  # stage not built into this version
                continue
            raise
        getattr(module, fn)(sub)
    return parser


def skip_slow_optional_imports() -> None:
    """Keep jsonschema (imported by nbformat/papermill) from importing ``rfc3987_syntax``, which
    builds ~35 Earley parsers at import: 2+ s of every danvan process start, for IRI formats no
    notebook schema uses (python-jsonschema/jsonschema#1428). Only in processes danvan owns (the
    CLI and its workers), never on import of the package."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # -> ImportError


def main(argv=None) -> int:
    skip_slow_optional_imports()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
