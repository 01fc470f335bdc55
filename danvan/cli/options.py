"""Options and argument types shared by several commands."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..core import settings
from ..export.formats import FORMATS

__all__ = ["add_db", "add_reference", "add_unit_files", "add_profile", "profile_arg", "parse_formats", "parse_param",
           "outputs_dir", "absolute_paths", "parse_year"]

UNITS_HELP = "user unit file (thôn, tổ dân phố, …; format: docs/units.md; repeatable; also $DANVAN_UNITS)"


def add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="SQLite store (default: $DANVAN_DB, else data/danvan.sqlite in the checkout)")


def add_reference(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalogue", action="append", default=[], metavar="YAML",
                   help="extra indicator catalogue file (repeatable; also $DANVAN_CATALOGUE)")
    add_profile(p)
    add_unit_files(p)


def add_profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", metavar="NAME|YAML",
                   help="report profile (a shipped name such as vinh-long, or your profile file; default: each "
                        "unit's own, by its province; see docs/profiles.md)")


def profile_arg(value: str | None) -> str | None:
    """``--profile``: a name as given, a file made absolute (the kernel of a notebook runs in notebooks/)."""
    if not value:
        return None
    return str(Path(value).resolve()) if value.endswith((".yaml", ".yml")) else value


def add_unit_files(p: argparse.ArgumentParser, *flags: str) -> None:
    """``--units CSV`` (repeatable; ``danvan run`` names it ``--unit-file``, its ``--units`` selects units)."""
    p.add_argument(*(flags or ("--units", "--unit-file")), dest="unit_files", action="append", default=[],
                   metavar="CSV", help=UNITS_HELP)


def parse_year(text: str) -> int:
    """A report year, 1900-2100 (argparse type: anything else is a usage error, exit 2)."""
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a year is a whole number such as 2023, got {text!r}") from None
    if not 1900 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"year {year} is outside 1900-2100")
    return year


def parse_formats(text: str) -> tuple[str, ...]:
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


def outputs_dir(value: str | None = None) -> Path:
    return Path(value) if value else settings.current().outputs


def absolute_paths(paths) -> str:
    """Paths joined by ``os.pathsep``, made absolute (the kernel of a notebook runs in notebooks/)."""
    return os.pathsep.join(str(Path(p).resolve()) for p in paths if p)
