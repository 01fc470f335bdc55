"""danvan: reproducible "Công tác Dân vận Chính quyền" reports for every ward and year.

Pipeline (one module per stage): intake/forms/validate -> store -> catalogue/indicators ->
narrative/charts/report (in a papermill-run notebook) -> export (HTML/PDF/DOCX) -> batch/provenance.
See docs/architecture.md.
"""

__version__ = "0.1.0"
