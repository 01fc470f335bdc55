"""Store stage: the SQLite store of figures, texts and report metadata, with every revision."""

from .sqlite import META_SECTION, FigureValue, ImportResult, Revision, Store, TextRevision, canonical, later_columns

__all__ = ["Store", "Revision", "TextRevision", "ImportResult", "FigureValue", "canonical", "META_SECTION",
           "later_columns"]
