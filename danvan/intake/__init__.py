"""Intake stage: data forms (xlsx/CSV), validation, import into the store, unit directories, and
reproducible illustrative demo data."""
