"""What kind of file this is, by its content (the extension is only a hint).

A Bitrix24 ".xls" is an HTML table, an ".xlsx" may be a renamed zip bomb, a ".csv" may
be a PNG: the first bytes decide. Known non-table formats are refused by name.
"""

import re

from django.utils.translation import gettext_lazy as _

from onboarding.importing.reading.errors import ImportFileError

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_NOT_TABLES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF", "PDF"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x7fELF", "ELF"),
    (b"MZ", "EXE"),
    (b"RIFF", "RIFF"),
    (b"{\\rtf", "RTF"),
)
_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|table|style)\b", re.I | re.S
)
_HTML_TABLE = re.compile(rb"<table\b", re.I)


def sniff_format(head: bytes) -> str:
    """ "xlsx" (any zip: checked further), "xls" (OLE2), "html" or "text"; refuses the rest."""
    if not head.strip():
        raise empty_file_error()
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE2_MAGIC):
        return "xls"
    for magic, name in _NOT_TABLES:
        if head.startswith(magic):
            raise ImportFileError(
                _("This is a %(kind)s file, not a table. Upload a CSV, TSV, XLSX or XLS file.")
                % {"kind": name},
                code="binary",
            )
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 text: decode the start to look for HTML.
        try:
            text = text.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return "text"
    if _HTML_START.match(text) and _HTML_TABLE.search(text):
        return "html"
    if _HTML_START.match(text):
        raise ImportFileError(
            _("This is a web page without a table. Upload a CSV, TSV, XLSX or XLS file."),
            code="html_without_table",
        )
    return "text"


def empty_file_error() -> ImportFileError:
    return ImportFileError(_("The file is empty."), code="empty")
