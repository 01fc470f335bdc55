"""The report notebooks: where they are, and what their metadata says they render.

Notebook metadata ``danvan`` says what a notebook renders::

    {"kind": "ward", "title": "Báo cáo ... năm {year} – {unit_name}", "stem": "report"}

``kind`` is one of :data:`danvan.run.kinds.notebook_kinds`.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from ..core import settings
from ..core.errors import NotebookNotFoundError, ParameterError
from ..core.files import sha256_file

__all__ = ["DEFAULT_NOTEBOOK", "notebooks_dir", "resolve_notebook", "notebook_info", "notebook_meta", "notebook_path"]

DEFAULT_NOTEBOOK = "ward_report.ipynb"


def notebooks_dir() -> Path:
    return settings.current().notebooks


def resolve_notebook(name: str | None) -> Path:
    """A notebook by path, or by name (with or without ``.ipynb``) in :func:`notebooks_dir`."""
    name = name or DEFAULT_NOTEBOOK
    folder = notebooks_dir()
    for cand in (Path(name), folder / name, folder / f"{name}.ipynb"):
        if cand.is_file():
            notebook_info(cand)  # a file that is not a notebook is an error now, before any kernel
            return cand.resolve()
    raise NotebookNotFoundError(f"notebook {name!r} not found (looked in . and {folder})")


@functools.lru_cache(maxsize=256)
def _resolved(path: str) -> str:
    return str(Path(path).resolve())


def notebook_path(notebook) -> str:
    """The notebook's absolute path (resolved once per process: a batch plans thousands of reports
    of the same notebook)."""
    return _resolved(os.fspath(notebook))


@functools.lru_cache(maxsize=64)
def _notebook_info(path: str, mtime: float) -> tuple[dict, str]:
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read().decode("utf-8"))
        if not (isinstance(doc, dict) and isinstance(doc.get("cells"), list) and isinstance(doc.get("nbformat"), int)):
            raise ValueError("no 'cells' and 'nbformat'")
        meta = doc.get("metadata", {}).get("danvan", {})
        if not isinstance(meta, dict):
            raise ValueError("metadata 'danvan' is not a mapping")
    except (OSError, ValueError, AttributeError) as exc:  # (UnicodeDecodeError and JSON errors are ValueErrors)
        reason = f"{type(exc).__name__}: {exc}"[:100]
        raise ParameterError(f"{path} không phải là sổ tay Jupyter (.ipynb) ({reason})") from None
    return dict(meta), sha256_file(path)


def notebook_info(notebook) -> tuple[dict, str]:
    """``(danvan metadata, sha256)`` of a notebook file (cached while the file is unchanged)."""
    path = notebook_path(notebook)
    return _notebook_info(path, os.path.getmtime(path))


def notebook_meta(notebook) -> dict:
    return notebook_info(notebook)[0]
