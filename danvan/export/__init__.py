"""Export stage: executed report notebook -> HTML, PDF and DOCX (one exporter per format)."""
