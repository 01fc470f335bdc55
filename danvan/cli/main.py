"""The ``danvan`` command line (also ``python -m danvan``): a thin shell over the library.

Every command module registers its subcommands; each subcommand sets ``func(args) -> int``. Errors
are mapped to messages and exit codes here and only here: a :class:`~danvan.core.errors.DanvanError`
prints its message (no traceback) and exits with its ``exit_code``; an ``OSError`` or SQLite error
the library did not foresee is a machine fault and prints what failed. ``DANVAN_DEBUG=1`` also
prints the Python traceback (for developers).

Exit codes:

* 0 success (warnings allowed);
* 1 the work failed: a file had data errors and was not imported, a report failed, a check found errors;
* 2 bad usage or bad parameters, nothing ran: an unknown unit, a directory given for a file, a file
  for a directory, a run set or catalogue that is not UTF-8 YAML, a notebook that is not one, an
  existing ``--out`` without ``--force``;
* 3 another danvan run holds the outputs folder;
* 4 a machine fault: a full disk, a read-only or unwritable store or outputs folder, a damaged store
  (nothing half-written is left behind; the message says what to do);
* 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import traceback
import warnings

from .. import __version__
from ..core import settings
from ..core.errors import DanvanError
from ..core.files import machine_fault
from ..reference.units import AliasWarning
from ..run.executors import skip_slow_optional_imports
from . import backup, check, info, intake, render, run, units

__all__ = ["main", "build_parser"]

COMMANDS = (render, run, intake, backup, check, units, info)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="danvan",
        description="Reproducible 'Công tác Dân vận Chính quyền' reports: forms -> validate -> store -> "
                    "notebook (papermill) -> HTML/PDF/DOCX.",
        epilog="exit codes: 0 ok, 1 data errors or a failed report, 2 bad usage, 3 outputs locked by "
               "another run, 4 machine fault (disk full, read-only or damaged store/outputs)",
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


def _fail(command: str, message: str, code: int) -> int:
    if settings.current().debug:
        traceback.print_exc()
    print(f"danvan {command}: {message}", file=sys.stderr)
    return code


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
        return _fail(args.command, str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail(args.command, "interrupted", 130)
    except BrokenPipeError:  # `danvan units | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing more may reach the closed pipe
        return 0
    except OSError as exc:  # a machine fault the library did not foresee: say what failed
        fault = machine_fault(exc, what="tệp", action="đọc hoặc ghi")
        return _fail(args.command, str(fault), fault.exit_code)
    except sqlite3.Error as exc:  # the store library mapped what it foresaw (damaged, full, read-only)
        return _fail(args.command, f"lỗi kho dữ liệu SQLite: {exc}", 4)
