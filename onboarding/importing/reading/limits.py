"""The limits of what is read, from settings (so operators can change them per deployment)."""

from django.conf import settings

# How many data rows the preview shows, and how many rows (from the top of the file) the
# header detection, delimiter detection and column widening look at.
PREVIEW_ROWS = 20
SAMPLE_ROWS = 200
# The header is searched for among the first rows only (1C puts a few title rows on top).
HEADER_SEARCH_ROWS = 30


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 1_000_000))


def xlsx_max_entries() -> int:
    return int(getattr(settings, "IMPORT_XLSX_MAX_ENTRIES", 10_000))


def xlsx_max_uncompressed() -> int:
    return int(getattr(settings, "IMPORT_XLSX_MAX_UNCOMPRESSED", 2 * 1024**3))


def xlsx_max_ratio() -> int:
    return int(getattr(settings, "IMPORT_XLSX_MAX_RATIO", 200))


def max_columns() -> int:
    return int(getattr(settings, "IMPORT_MAX_COLUMNS", 500))
