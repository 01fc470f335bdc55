"""Provenance: what made a report (data, notebook, parameters, catalogue, code, package versions).

Everything here is deterministic for the same inputs: no timestamps, no host paths in what the
report shows (file names and hashes only), so that re-rendering gives byte-identical HTML.
"""

from __future__ import annotations

import functools
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from ..core import settings
from ..core.files import tree_digest

__all__ = ["git_commit", "package_versions", "code_digest", "report_provenance"]

PACKAGES = ("danvan", "pandas", "matplotlib", "papermill", "nbconvert", "babel", "jinja2", "typst", "python-docx")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 of the installed danvan package: every source file and data file (catalogue, unit
    registry, templates, stylesheet, fonts). Any change to the code makes every report stale."""
    return tree_digest(settings.package_dir())


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """``<sha>`` of the source checkout, ``<sha>+dirty`` with uncommitted changes to tracked code,
    or ``unknown`` outside a git checkout."""
    root = settings.project_root()
    if root is None:
        return "unknown"
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "danvan", "notebooks", "pyproject.toml"],
            cwd=root, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def report_provenance(
    *,
    notebook: Path,
    notebook_sha: str,
    parameters: dict,
    data_fingerprint: str,
    data_source: str,
    illustrative: bool,
    catalogue_version: str,
    catalogue_digest: str,
    templates_digest: str,
) -> dict:
    """The manifest record of one report; also what its footer shows."""
    versions = package_versions()
    return {
        "notebook": f"{Path(notebook).name} sha256:{notebook_sha[:16]}",
        "notebook_sha256": notebook_sha,
        "parameters": json.dumps(parameters, ensure_ascii=False, sort_keys=True),
        "data": f"{data_source} sha256:{data_fingerprint[:16]}" + (" (số liệu minh họa)" if illustrative else ""),
        "data_fingerprint": data_fingerprint,
        "illustrative": illustrative,
        "catalogue": f"{catalogue_version} sha256:{catalogue_digest[:16]}",
        "catalogue_digest": catalogue_digest,
        "templates_digest": templates_digest,
        "code": f"git {git_commit()}, sha256:{code_digest()[:16]}",
        "git_commit": git_commit(),
        "code_digest": code_digest(),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "package_versions": versions,
    }
