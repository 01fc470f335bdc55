"""``danvan info``: the effective settings, what danvan finds with them, and its versions."""

from __future__ import annotations

import json

from ..core import settings
from ..reference.catalogue import profile_files, user_catalogue_paths
from ..reference.units import DATA_DIR, default_registry_path
from ..report.charts import font_files
from ..report.narrative import template_dirs
from ..run.provenance import code_digest, git_commit, package_versions

__all__ = ["register", "info"]


def info() -> dict:
    """Everything ``danvan info`` prints (also as JSON)."""
    conf = settings.current()
    return {
        "store": {"path": str(conf.db), "exists": conf.db.exists()},
        "outputs": str(conf.outputs),
        "notebooks": str(conf.notebooks),
        "profiles": profile_files(),
        "catalogues": list(user_catalogue_paths()),
        "templates": list(template_dirs()),
        "unit registries": [str(default_registry_path()), str(DATA_DIR / "crosswalk.csv"),
                            str(DATA_DIR / "aliases.csv"), *conf.units],
        "fonts": [str(p) for p in font_files()],
        "max import size (MB)": conf.max_import_mb,
        "max CSV rows": conf.max_csv_rows,
        "project checkout": str(settings.project_root() or "-"),
        "git commit": git_commit(),
        "code digest": code_digest(),
        "versions": package_versions(),
        "environment": settings.environment(),
    }


def _cmd_info(args) -> int:
    data = info()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    for key, value in data.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k}: {v}" if v != "" else f"  {k}: (not set) — {settings.VARIABLES.get(k, '')}".rstrip(" —"))
        elif isinstance(value, list):
            print(f"{key}:")
            for v in value:
                print(f"  {v}")
        else:
            print(f"{key}: {value}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("info", help="show the effective settings, paths, versions and code digest",
                       description="Print the store, outputs and notebooks in use, the profile, catalogue, template, unit "
                                   "registry and font files danvan reads, every DANVAN_* environment variable, "
                                   "the package versions, the git commit and the code digest that enter every "
                                   "report's provenance.")
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(func=_cmd_info)
