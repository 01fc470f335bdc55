"""Indicators stage: one unit-year's figures and derived values, series across the reorganisations,
QA checks, and aggregation over units."""
