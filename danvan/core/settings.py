"""Every setting danvan reads from the environment, and every default path, in one place.

Values are read when asked for (not at import), so that a test or a notebook that changes the
environment is seen at once. ``danvan info`` prints :func:`current` and the README lists
:data:`VARIABLES`; a test checks that the two stay in step.

Paths default to the source checkout danvan runs from (a directory whose ``pyproject.toml`` names
danvan); installed elsewhere, the store goes to ``~/.local/share/danvan`` and outputs and
notebooks are looked for in the current directory.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "VARIABLES",
    "Settings",
    "current",
    "package_dir",
    "project_root",
    "fonts_dir",
    "path_list",
    "profile_files",
    "catalogue_files",
    "environment",
    "overridden",
    "PATH_VARIABLES",
]

# name -> what it sets (and its default). Every variable danvan reads is listed here.
VARIABLES: dict[str, str] = {
    "DANVAN_DB": "SQLite store (default: data/danvan.sqlite in the checkout, else ~/.local/share/danvan/danvan.sqlite)",
    "DANVAN_OUTPUTS": "output root of reports, portal and manifest (default: outputs/ in the checkout, else ./outputs)",
    "DANVAN_NOTEBOOKS": "folder of the report notebooks (default: notebooks/ in the checkout, else ./notebooks)",
    "DANVAN_CATALOGUE": "extra indicator catalogue YAML files, separated by ':' (os.pathsep)",
    "DANVAN_TEMPLATES": "folders of sentence templates searched before the profiles' ones, separated by ':'",
    "DANVAN_PROFILES": "report profile files of your own (docs/profiles.md), known by name and by their applies_to, "
                       "separated by ':'",
    "DANVAN_UNITS": "user unit files (thôn, tổ dân phố, …; docs/units.md), separated by ':'",
    "DANVAN_MAX_IMPORT_MB": "largest input file intake accepts, in MB (default 20)",
    "DANVAN_MAX_CSV_ROWS": "most rows intake reads from one CSV file (default 50000; a form sheet: 10000 rows)",
    "DANVAN_DEBUG": "1: a command that fails also prints the Python traceback (developers)",
    "DANVAN_TEST_PAUSE_IN_TRANSACTION": "test hook: seconds to sleep inside each import transaction (crash tests)",
    "DANVAN_TEST_PAUSE_MARKER": "test hook: file touched just before that pause",
}

DEFAULT_MAX_IMPORT_MB = 20.0
DEFAULT_MAX_CSV_ROWS = 50_000  # a province's tidy file of one year is ~48,000 rows (600 communes x 80)
#: the variables naming files and folders that a report's kernel reads: Settings field -> variable
PATH_VARIABLES = {"catalogues": "DANVAN_CATALOGUE", "units": "DANVAN_UNITS", "templates": "DANVAN_TEMPLATES",
                  "profiles": "DANVAN_PROFILES"}
_OVERRIDE_LOCK = threading.RLock()


def path_list(value: str | None) -> tuple[str, ...]:
    """``a:b`` (``os.pathsep``-separated) as a tuple of non-empty entries."""
    return tuple(p for p in (value or "").split(os.pathsep) if p.strip())


@functools.lru_cache(maxsize=1)
def package_dir() -> Path:
    """The installed ``danvan`` package directory."""
    return Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def project_root() -> Path | None:
    """The source checkout danvan runs from (``pyproject.toml`` naming danvan), if any."""
    here = package_dir().parent
    pp = here / "pyproject.toml"
    if pp.exists() and 'name = "danvan"' in pp.read_text(encoding="utf-8"):
        return here
    return None


def fonts_dir() -> Path:
    """The bundled fonts (Liberation Serif 2.1.5, OFL-1.1): the only fonts charts and PDFs use."""
    return package_dir() / "fonts"


@dataclass(frozen=True)
class Settings:
    """The effective settings of this process (see :data:`VARIABLES`)."""

    db: Path
    outputs: Path
    notebooks: Path
    catalogues: tuple[str, ...]
    templates: tuple[str, ...]
    profiles: tuple[str, ...]
    units: tuple[str, ...]
    max_import_mb: float
    max_csv_rows: int
    debug: bool
    test_pause_seconds: float | None
    test_pause_marker: str | None

    @property
    def max_import_bytes(self) -> int:
        return int(self.max_import_mb * 1024 * 1024)


def _in_checkout(rel: str, elsewhere: Path) -> Path:
    root = project_root()
    return root / rel if root is not None else elsewhere


def _float(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        return default


def current() -> Settings:
    """The settings as the environment says now (cached while the environment and the working
    directory stay the same: a batch asks thousands of times)."""
    return _current(tuple(os.environ.get(v) for v in VARIABLES), os.getcwd())


@functools.lru_cache(maxsize=32)
def _current(values: tuple, cwd: str) -> Settings:
    env = {k: v for k, v in zip(VARIABLES, values) if v is not None}
    return Settings(
        db=Path(env["DANVAN_DB"]) if env.get("DANVAN_DB") else _in_checkout(
            "data/danvan.sqlite", Path.home() / ".local" / "share" / "danvan" / "danvan.sqlite"),
        outputs=Path(env["DANVAN_OUTPUTS"]) if env.get("DANVAN_OUTPUTS") else _in_checkout(
            "outputs", Path.cwd() / "outputs"),
        notebooks=Path(env["DANVAN_NOTEBOOKS"]) if env.get("DANVAN_NOTEBOOKS") else _in_checkout(
            "notebooks", Path.cwd() / "notebooks"),
        catalogues=path_list(env.get("DANVAN_CATALOGUE")),
        templates=path_list(env.get("DANVAN_TEMPLATES")),
        profiles=path_list(env.get("DANVAN_PROFILES")),
        units=path_list(env.get("DANVAN_UNITS")),
        max_import_mb=_float("DANVAN_MAX_IMPORT_MB", DEFAULT_MAX_IMPORT_MB),
        max_csv_rows=int(_float("DANVAN_MAX_CSV_ROWS", DEFAULT_MAX_CSV_ROWS)),
        debug=env.get("DANVAN_DEBUG", "").strip() not in ("", "0"),
        test_pause_seconds=_float("DANVAN_TEST_PAUSE_IN_TRANSACTION", None),
        test_pause_marker=env.get("DANVAN_TEST_PAUSE_MARKER") or None,
    )


def profile_files() -> tuple[str, ...]:
    """``$DANVAN_PROFILES`` alone (asked for once per catalogue look-up: cheaper than :func:`current`)."""
    return path_list(os.environ.get("DANVAN_PROFILES"))


def catalogue_files() -> tuple[str, ...]:
    """``$DANVAN_CATALOGUE`` alone."""
    return path_list(os.environ.get("DANVAN_CATALOGUE"))


def environment() -> dict[str, str]:
    """The value of every variable of :data:`VARIABLES` ("" when not set), for ``danvan info``."""
    return {name: os.environ.get(name, "") for name in VARIABLES}


@contextlib.contextmanager
def overridden(values: dict[str, str]):
    """Exactly ``values`` among the :data:`VARIABLES` (the others unset) while the block runs — a
    report carried to a worker brings the settings its kernel reads — then the environment as it
    was. Serialised by a lock: one overridden block at a time per process."""
    unknown = set(values) - set(VARIABLES)
    if unknown:
        raise ValueError(f"not danvan settings: {sorted(unknown)}")
    with _OVERRIDE_LOCK:
        saved = {k: os.environ.get(k) for k in VARIABLES}
        try:
            for k in VARIABLES:
                os.environ.pop(k, None)
            os.environ.update(values)
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
