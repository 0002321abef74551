"""XLSX (checked as a zip, then streamed by openpyxl read-only) and XLS (calamine).

XLSX is a zip of XML parts, so before any parser sees it:
- the zip's directory is checked: number of entries, total uncompressed size, and the
  compression ratio of each large entry (a zip bomb renamed .xlsx is refused);
- every XML part's prolog is read with defusedxml, DTDs forbidden (an XML entity
  expansion "billion laughs" or an external entity (XXE) is refused). Only the prolog
  is read: a DTD must come before the root element, so parsing stops at the first
  element.
The sheet is then streamed row by row by `xlsx_stream` (expat with defusedxml's guards),
so memory stays bounded.
"""

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.sax import make_parser
from django.utils.translation import gettext_lazy as _

from onboarding.importing.reading import limits, xlsx_stream
from onboarding.importing.reading.cells import cell_text
from onboarding.importing.reading.errors import ImportFileError
from onboarding.importing.reading.header import is_blank

_XML_SUFFIXES = (".xml", ".rels", ".vml")
# A ratio above the limit is suspicious only for large entries (small XML parts full of
# repeated attributes compress very well and are harmless).
_RATIO_MIN_SIZE = 1024 * 1024


def unreadable_spreadsheet_error(kind: str = "XLSX") -> ImportFileError:
    return ImportFileError(
        _(
            "The %(kind)s file is damaged or is not a spreadsheet. Open it in Excel or "
            "LibreOffice, save it again and upload it again."
        )
        % {"kind": kind},
        code="unreadable",
    )


def _hostile_error() -> ImportFileError:
    return ImportFileError(
        _(
            "This file looks like an attack on the server (it would unpack to far more "
            "data than it holds), so it was refused. If it is a real spreadsheet, open "
            "it in Excel or LibreOffice, save it again and upload it again."
        ),
        code="zip_bomb",
    )


class _StopAtRoot(Exception):
    pass


class _RootStopper:
    """SAX content handler that stops the parse at the first element."""

    def startElement(self, name: str, attrs: Any) -> None:
        raise _StopAtRoot

    def startElementNS(self, name: Any, qname: Any, attrs: Any) -> None:
        raise _StopAtRoot

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _check_xml_prolog(archive: zipfile.ZipFile, name: str) -> None:
    parser = make_parser()
    parser.forbid_dtd = True
    parser.forbid_entities = True
    parser.forbid_external = True
    parser.setContentHandler(_RootStopper())
    try:
        with archive.open(name) as part:
            while chunk := part.read(64 * 1024):
                parser.feed(chunk)
            parser.close()
    except _StopAtRoot:
        return
    except DefusedXmlException as error:
        raise ImportFileError(
            _(
                "This XLSX file contains XML declarations (DTD or entities) that a "
                "spreadsheet never needs and that can attack the server, so it was "
                "refused. Open it in Excel or LibreOffice, save it again and upload it "
                "again."
            ),
            code="xml_attack",
        ) from error
    except Exception as error:
        raise unreadable_spreadsheet_error() from error


def check_xlsx(path: Path) -> None:
    """Refuse zip bombs, non-XLSX zips and hostile XML before any parsing."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > limits.xlsx_max_entries():
                raise _hostile_error()
            total = 0
            for entry in entries:
                total += entry.file_size
                if total > limits.xlsx_max_uncompressed():
                    raise _hostile_error()
                if (
                    entry.file_size > _RATIO_MIN_SIZE
                    and entry.file_size > limits.xlsx_max_ratio() * max(entry.compress_size, 1)
                ):
                    raise _hostile_error()
            names = {entry.filename for entry in entries}
            if "xl/workbook.xml" not in names:
                if "content.xml" in names or "mimetype" in names:
                    raise ImportFileError(
                        _(
                            "OpenDocument (ODS) files are not supported. Save the table "
                            "as XLSX or CSV and upload it again."
                        ),
                        code="ods",
                    )
                raise ImportFileError(
                    _("This is a zip archive, not a spreadsheet. Upload the table itself."),
                    code="zip_not_xlsx",
                )
            for entry in entries:
                if entry.filename.lower().endswith(_XML_SUFFIXES) and entry.file_size:
                    _check_xml_prolog(archive, entry.filename)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        raise unreadable_spreadsheet_error() from error
    except NotImplementedError as error:  # an unsupported compression method
        raise unreadable_spreadsheet_error() from error


def xlsx_sheet_names(path: Path) -> list[str]:
    try:
        return xlsx_stream.sheet_names(path)
    except DefusedXmlException as error:
        raise _hostile_error() from error
    except Exception as error:
        raise unreadable_spreadsheet_error() from error


def xlsx_rows(path: Path, sheet_name: str) -> Iterator[tuple[int, list[str]]]:
    """Every row of the sheet from row 1 (gaps filled with blank rows): (sheet row, cells)."""
    try:
        yield from xlsx_stream.open_sheet_rows(path, sheet_name)
    except DefusedXmlException as error:
        raise _hostile_error() from error
    except ImportFileError:
        raise
    except Exception as error:
        raise unreadable_spreadsheet_error() from error


def first_non_empty(names: list[str], rows_of: Any) -> str | None:
    """The first sheet with a non-empty cell among its first rows."""
    for name in names:
        for index, (_number, cells) in enumerate(rows_of(name)):
            if not is_blank(cells):
                return name
            if index > 200:
                break
    return names[0] if names else None


# ------------------------------------------------------------------------------ XLS


def _xls_workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as error:
        raise unreadable_spreadsheet_error("XLS") from error


def xls_sheet_names(path: Path) -> list[str]:
    return list(_xls_workbook(path).sheet_names)


def xls_rows(path: Path, sheet_name: str) -> Iterator[tuple[int, list[str]]]:
    """Every row of an XLS (BIFF) sheet from row 1. XLS holds at most 65,536 rows."""
    workbook = _xls_workbook(path)
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        start_row = (sheet.start or (0, 0))[0]
        start_column = (sheet.start or (0, 0))[1]
        expected = 1
        for offset, row in enumerate(sheet.iter_rows()):
            number = start_row + offset + 1
            while expected < number:
                yield expected, []
                expected += 1
            yield number, [""] * start_column + [cell_text(value) for value in row]
            expected = number + 1
    except ImportFileError:
        raise
    except Exception as error:
        raise unreadable_spreadsheet_error("XLS") from error


def xls_last_row(path: Path, sheet_name: str) -> int | None:
    """The 1-based number of the sheet's last used row (an estimate of its size)."""
    try:
        end = _xls_workbook(path).get_sheet_by_name(sheet_name).end
    except Exception:  # only an estimate
        return None
    return end[0] + 1 if end else None
