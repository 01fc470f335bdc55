"""Notebook kinds and output formats are explicit registries: the shipped ones are registered by
name, a third party registers its own without touching danvan, and an unknown name is a clear error."""

from __future__ import annotations

import nbformat
import pytest

from danvan.core.errors import ExportError, ParameterError
from danvan.export.formats import FORMATS, Exporter, export_formats, exporters
from danvan.run.kinds import CityKind, NotebookKind, TrendKind, WardKind, notebook_kinds


def test_shipped_kinds_and_formats():
    assert FORMATS == ("html", "pdf", "docx")
    assert [type(notebook_kinds.get(k)) for k in ("ward", "trend", "city")] == [WardKind, TrendKind, CityKind]


def test_unknown_names_are_clear_errors():
    with pytest.raises(ParameterError, match="unknown notebook kind 'village'.*city, trend, ward"):
        notebook_kinds.get("village")
    with pytest.raises(ExportError, match="unknown output format 'odt'"):
        exporters.get("odt")


def test_a_third_party_format_is_registered_and_used(tmp_path):
    class Plain(Exporter):
        name, extension = "txt", "txt"

        def export(self, nb, ctx):
            return f"{ctx.title}: {len(nb.cells)} cells".encode()

    exporters.register("txt", Plain())
    try:
        written = export_formats(nbformat.v4.new_notebook(), tmp_path, formats=("txt",), title="T", provenance=None)
        assert written == {"txt": tmp_path / "report.txt"} and written["txt"].read_text() == "T: 0 cells"
    finally:
        exporters._items.pop("txt")


def test_an_unknown_format_writes_nothing(tmp_path):
    with pytest.raises(ExportError):
        export_formats(nbformat.v4.new_notebook(), tmp_path, formats=("html", "odt"), title="T", provenance=None)
    assert list(tmp_path.iterdir()) == []


def test_a_third_party_kind_is_registered():
    class Village(NotebookKind):
        pass

    notebook_kinds.register("village", Village())
    try:
        assert isinstance(notebook_kinds.get("village"), Village)
        notebook_kinds.get("village").check_data({})  # the base check accepts everything
    finally:
        notebook_kinds._items.pop("village")
