"""Store stage: the SQLite store of figures, texts and report metadata, with every revision."""

from .sqlite import (META_SECTION, FigureValue, ImportResult, Revision, Store, TextRevision, canonical, later_columns,
                     store_fault, subset_rows, write_subset)

__all__ = ["Store", "Revision", "TextRevision", "ImportResult", "FigureValue", "canonical", "store_fault",
           "META_SECTION", "later_columns", "subset_rows", "write_subset"]
