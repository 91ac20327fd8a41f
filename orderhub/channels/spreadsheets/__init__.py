"""Spreadsheet order import: CSV/XLSX sheets from Excel, WPS and platform exports, mapped onto
the canonical order by a saved template, previewed, imported through the pipeline, with bad
rows kept for correction. See docs/channels.md, "Spreadsheet import"."""
