"""Store stage: the SQLite store of figures, texts and report metadata, with every revision."""

from .sqlite import (META_SECTION, FigureValue, ImportResult, Revision, Store, TextRevision, canonical,
                     subset_rows, write_subset)

__all__ = ["Store", "Revision", "TextRevision", "ImportResult", "FigureValue", "canonical", "META_SECTION",
           "subset_rows", "write_subset"]
