"""Exports: every dashboard table (`tables`) and the filtered project list (`projects`), as
CSV (streamed) or XLSX (`writers`)."""
