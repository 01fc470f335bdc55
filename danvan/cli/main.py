"""The ``danvan`` command line (also ``python -m danvan``): a thin shell over the library.

Every command module registers its subcommands; each subcommand sets ``func(args) -> int``. Errors
are mapped to messages and exit codes here and only here: a :class:`~danvan.core.errors.DanvanError`
prints its message (no traceback) and exits with its ``exit_code``; a machine fault (a full disk, a
permission) prints what failed.

Exit codes: 0 success, 1 a report/import/check failed, 2 bad usage or bad parameters (nothing ran),
3 another danvan run holds the outputs, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from .. import __version__
from ..core.errors import DanvanError
from ..reference.units import AliasWarning
from ..run.executors import skip_slow_optional_imports
from . import check, info, intake, render, run, units

__all__ = ["main", "build_parser"]

COMMANDS = (render, run, intake, check, units, info)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="danvan",
        description="Reproducible 'Công tác Dân vận Chính quyền' reports: forms -> validate -> store -> "
                    "notebook (papermill) -> HTML/PDF/DOCX.",
    )
    parser.add_argument("--version", action="version", version=f"danvan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def _show_alias_notes(command: str) -> None:
    """Print the note of a code resolved through aliases.csv as one line (once per note), not as a
    Python warning with a file name and line."""
    shown: set[str] = set()
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, AliasWarning):
            return default(message, category, filename, lineno, file, line)
        if str(message) not in shown:
            shown.add(str(message))
            print(f"danvan {command}: lưu ý: {message}", file=sys.stderr)

    warnings.simplefilter("always", AliasWarning)
    warnings.showwarning = show


def main(argv=None) -> int:
    skip_slow_optional_imports()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            _show_alias_notes(args.command)
            return args.func(args)
    except DanvanError as exc:
        print(f"danvan {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"danvan {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `danvan units | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing more may reach the closed pipe
        return 0
    except OSError as exc:  # a machine fault (disk full, permission, read-only mount): say what failed
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"danvan {args.command}: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
