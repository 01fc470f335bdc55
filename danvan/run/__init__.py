"""Run stage: notebook parameters, kinds and provenance, the papermill engine, rendering one report,
and batches on local workers or a Dask cluster."""
