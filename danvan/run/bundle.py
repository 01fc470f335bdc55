"""Task bundles: everything one report reads, carried to the process that renders it.

A batch plans every report, then reads each report's inputs inside one read transaction of the
store (one snapshot) and hands the worker a :class:`Bundle`: the notebook, the store rows of every
unit-year the report reads (its notebook kind says which, :meth:`NotebookKind.pairs`), and the
user's files it names (catalogue and unit files, sentence template folders, a data directory). The
worker rebuilds them in a temporary folder — a small SQLite store marked as a subset, the files
under ``files/`` at their original absolute paths — and runs the notebook there. It never opens
the client's store nor touches ``outputs/``: the output files come back as bytes.

The local process pool and a Dask cluster run bundles the same way, and so does ``danvan render``:
there is one way to run a report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..core import settings
from ..core.vnformat import nfc
from ..reference.catalogue import is_file_ref
from ..store import subset_rows, write_subset

__all__ = ["Bundle", "collect", "materialize", "FILE_PARAMETERS", "STORE_NAME"]

#: notebook parameters that name files (os.pathsep-separated lists): carried with the report
#: (``profile`` only when it is a file, not the name of an installed profile)
FILE_PARAMETERS = ("catalogue", "units", "profile")
STORE_NAME = "inputs.sqlite"
FILES_DIR = "files"


@dataclass
class Bundle:
    """One report's inputs: the notebook, store rows, files, and the parameters and environment to
    run it with (paths relative to the folder the worker rebuilds them in)."""

    notebook_name: str
    notebook: bytes
    params: dict
    rows: dict | None = None  # danvan.store.subset_rows(); None when the report reads a data directory
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> content
    env: dict[str, str] = field(default_factory=dict)  # DANVAN_* settings for the kernel (settings.overridden)


def _mirror(path: str | os.PathLike) -> str:
    """The bundle-relative name of a file: ``files/<its absolute path>`` (relative references between
    carried files, such as a catalogue's ``templates:`` folder, keep working)."""
    return f"{FILES_DIR}/{Path(path).resolve().as_posix().lstrip('/')}"


class _Collector:
    def __init__(self):
        self.files: dict[str, bytes] = {}

    def file(self, path) -> str:
        name = _mirror(path)
        if name not in self.files:
            self.files[name] = Path(path).read_bytes()
            if str(path).endswith((".yaml", ".yml")):
                self._catalogue_extras(Path(path))
        return name

    def folder(self, path, pattern: str = "*") -> str:
        for p in sorted(Path(path).rglob(pattern)):
            if p.is_file():
                self.file(p)
        return _mirror(path)

    def _catalogue_extras(self, path: Path) -> None:
        """A catalogue or profile file may bring its own sentence templates (``templates: dir``) and
        extend another profile file (``extends: ../vung-tau.yaml``)."""
        try:
            doc = yaml.safe_load(nfc(path.read_text(encoding="utf-8"))) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return  # the kernel reports the bad file itself, as it would locally
        if not isinstance(doc, dict):
            return
        if doc.get("templates"):
            tdir = (path.parent / str(doc["templates"])).resolve()
            if tdir.is_dir():
                self.folder(tdir, "*.md.j2")
        parent = str(doc.get("extends") or "")
        if is_file_ref(parent) and (path.parent / parent).is_file():
            self.file(path.parent / parent)



def collect(task, con) -> Bundle:
    """The bundle of a planned report (:class:`danvan.run.render.RenderTask`); ``con`` is the read
    transaction of the store the batch planned against (None when the report reads a data directory)."""
    c = _Collector()
    params = dict(task.params)
    for name in FILE_PARAMETERS:
        if params.get(name) and (name != "profile" or is_file_ref(str(params[name]))):
            params[name] = os.pathsep.join(c.file(p) for p in settings.path_list(str(params[name])))
    env = {}
    conf = settings.current()
    for field_name, var in settings.PATH_VARIABLES.items():
        paths = getattr(conf, field_name)
        if paths:  # template folders are carried with their templates, the others as files
            carry = (lambda p: c.folder(p, "*.md.j2")) if field_name == "templates" else c.file
            env[var] = os.pathsep.join(carry(p) for p in paths)
    rows = None
    if params.get("data_dir"):
        for code, year in task.pairs:
            unit_dir = Path(params["data_dir"]) / code / str(year)
            if unit_dir.is_dir():
                c.folder(unit_dir)
        params["data_dir"] = _mirror(params["data_dir"])
    else:
        rows = subset_rows(con, task.pairs)
        params["db"] = STORE_NAME
    notebook = Path(task.notebook)
    return Bundle(notebook.name, notebook.read_bytes(), params, rows, c.files, env)


def materialize(bundle: Bundle, root: str | os.PathLike) -> Path:
    """Rebuild ``bundle`` in the (empty) folder ``root``; return the notebook's path there."""
    root = Path(root)
    for name, data in bundle.files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    if bundle.rows is not None:
        write_subset(root / STORE_NAME, bundle.rows)
    nb = root / bundle.notebook_name
    nb.write_bytes(bundle.notebook)
    return nb
