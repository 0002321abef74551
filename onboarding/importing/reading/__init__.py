"""Reading the files people import: CSV/TSV, XLSX, XLS and Bitrix24's HTML ".xls".

`open_table(path, original_name=...)` finds the format (by content), the encoding and
delimiter (text files), the sheet (spreadsheets) and the header row, names the columns,
and returns a TableInfo with a preview and a streaming `iter_rows()`. Every refusal is
an ImportFileError with a translated message for the person who uploaded the file.
See the modules for how each step decides; everything here reads the file in bounded
memory (chunks, streaming parsers), whatever its size.
"""

from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from onboarding.importing.reading import limits, xlsx_stream
from onboarding.importing.reading.delimited import check_delimiter, csv_rows, detect_delimiter
from onboarding.importing.reading.encoding import (
    bom_encoding,
    detect_encoding,
    normalise_encoding_name,
    scan_bytes,
)
from onboarding.importing.reading.errors import ImportFileError
from onboarding.importing.reading.header import (
    filled_width,
    find_header_row,
    is_blank,
    name_headers,
)
from onboarding.importing.reading.html_table import html_rows, html_without_rows_error, meta_charset
from onboarding.importing.reading.sniff import empty_file_error, sniff_format
from onboarding.importing.reading.spreadsheets import (
    check_xlsx,
    first_non_empty,
    xls_last_row,
    xls_rows,
    xls_sheet_names,
    xlsx_rows,
    xlsx_sheet_names,
)
from onboarding.importing.reading.table import RowSource, TableInfo, too_many_rows_error

__all__ = [
    "DELIMITER_CHOICES",
    "ENCODING_CHOICES",
    "ImportFileError",
    "TableInfo",
    "open_table",
]

# What a wizard offers to override the detection with (value, label).
ENCODING_CHOICES = [
    ("utf-8", "UTF-8"),
    ("cp1251", "Windows-1251 (cp1251)"),
    ("koi8-r", "KOI8-R"),
    ("cp866", "DOS (cp866)"),
    ("utf-16", "UTF-16"),
    ("cp1252", "Windows-1252 (cp1252)"),
    ("latin-1", "Latin-1 (ISO 8859-1)"),
]
DELIMITER_CHOICES = [
    (",", _("Comma ( , )")),
    (";", _("Semicolon ( ; )")),
    ("\t", _("Tab")),
    ("|", _("Vertical bar ( | )")),
]

_UTF8 = ("utf-8", "utf8")


def _too_big_error(size: int) -> ImportFileError:
    return ImportFileError(
        _(
            "The file is %(size)s MB; the most one import takes is %(limit)s MB. Split it "
            "into smaller files, or remove columns you do not need."
        )
        % {"size": f"{size / 1024 / 1024:.0f}", "limit": f"{limits.max_bytes() / 1024 / 1024:.0f}"},
        code="too_big",
    )


def open_table(
    path: str | Path,
    *,
    original_name: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    sheet: str | None = None,
) -> TableInfo:
    """Read how `path` is laid out (the arguments after it override the detection).

    Raises ImportFileError for a file that is empty, too big (checked before reading),
    hostile (zip bomb, XML entities), binary, in mixed encodings, without data rows, or
    unreadable. `original_name`'s extension is only a hint (".tsv" prefers tabs): the
    content decides the format.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ImportFileError(_("The file cannot be opened."), code="unreadable") from error
    if size == 0:
        raise empty_file_error()
    if size > limits.max_bytes():
        raise _too_big_error(size)
    with path.open("rb") as stream:
        head = stream.read(65536)
    kind = sniff_format(head)

    sheets: list[str] = []
    chosen_sheet: str | None = None
    file_encoding: str | None = None
    confidence: float | None = None
    chosen_delimiter: str | None = None
    estimated: int | None = None
    source: RowSource
    if kind == "xlsx":
        check_xlsx(path)
        sheets = xlsx_sheet_names(path)
        chosen_sheet = _choose_sheet(sheets, sheet, lambda name: xlsx_rows(path, name))
        sheet_name = chosen_sheet

        def source() -> Iterator[tuple[int, list[str]]]:
            return xlsx_rows(path, sheet_name)

        try:
            estimated = xlsx_stream.sheet_last_row(path, sheet_name)
        except Exception:  # only an estimate: a sheet without one is read all the same
            estimated = None

        file_format = "xlsx"
    elif kind == "xls":
        sheets = xls_sheet_names(path)
        chosen_sheet = _choose_sheet(sheets, sheet, lambda name: xls_rows(path, name))
        xls_sheet = chosen_sheet

        def source() -> Iterator[tuple[int, list[str]]]:
            return xls_rows(path, xls_sheet)

        estimated = xls_last_row(path, xls_sheet)

        file_format = "xls"
    else:
        scan = scan_bytes(path)
        if kind == "html" and not encoding:
            declared = meta_charset(head)
            # The bytes win over a declaration they contradict (valid UTF-8 text, or a
            # page declaring UTF-8 whose bytes are not).
            if bom_encoding(head) or scan.utf8_valid or (declared or "").lower() in _UTF8:
                file_encoding, confidence = detect_encoding(scan)
            elif declared:
                try:
                    file_encoding, confidence = normalise_encoding_name(declared), 1.0
                except ImportFileError:
                    file_encoding, confidence = detect_encoding(scan)
            else:
                file_encoding, confidence = detect_encoding(scan)
        else:
            file_encoding, confidence = detect_encoding(scan, override=encoding)
        text_encoding = file_encoding
        if kind == "html":
            file_format = "html"

            def source() -> Iterator[tuple[int, list[str]]]:
                return html_rows(path, text_encoding)

        else:
            file_format = "csv"
            if delimiter:
                chosen_delimiter = check_delimiter(delimiter)
            else:
                chosen_delimiter, _delimiter_confidence = detect_delimiter(
                    path, file_encoding, prefer_tab=original_name.lower().endswith(".tsv")
                )
            text_delimiter = chosen_delimiter

            def source() -> Iterator[tuple[int, list[str]]]:
                return csv_rows(path, text_encoding, text_delimiter)

            estimated = scan.newlines + (0 if head.endswith(b"\n") and size <= 65536 else 1)

    top = [cells for _number, cells in islice(source(), limits.SAMPLE_ROWS)]
    if all(is_blank(cells) for cells in top):
        if file_format == "html":
            raise html_without_rows_error()
        raise empty_file_error()
    search = top[: limits.HEADER_SEARCH_ROWS]
    if header_row is None:
        found, header_confidence = find_header_row(search)
    else:
        if header_row < 0 or header_row >= len(top) or is_blank(top[header_row]):
            raise ImportFileError(
                _("Row %(row)s is empty or too far down the file to be the header.")
                % {"row": header_row + 1},
                code="bad_header_row",
            )
        found, header_confidence = header_row, 1.0
    data_sample = [cells for cells in top[found + 1 :] if not is_blank(cells)]
    width = max([filled_width(top[found])] + [filled_width(cells) for cells in data_sample])
    if width > limits.max_columns():
        raise ImportFileError(
            _(
                "The table has %(columns)s columns; an import takes at most %(limit)s. "
                "Remove the columns you do not need."
            )
            % {"columns": width, "limit": limits.max_columns()},
            code="too_many_columns",
        )
    headers = name_headers(top[found], width)
    info = TableInfo(
        file_format=file_format,
        encoding=file_encoding,
        encoding_confidence=confidence,
        delimiter=chosen_delimiter,
        header_row=found,
        header_confidence=header_confidence,
        sheets=sheets,
        sheet=chosen_sheet,
        headers=headers,
        preview=[],
        estimated_rows=None,
        raw_top_rows=search,
        path=path,
        original_name=original_name,
        source=source,
    )
    info.preview = [cells for _number, cells in islice(info.iter_rows(), limits.PREVIEW_ROWS)]
    if not info.preview:
        raise ImportFileError(
            _(
                "The file has only the column names (%(headers)s) and no rows below them. "
                "Add the rows and upload it again."
            )
            % {"headers": ", ".join(headers[:5]) + ("…" if len(headers) > 5 else "")},
            code="no_rows",
        )
    if len(top) < limits.SAMPLE_ROWS:
        # The whole file is in the sample: count exactly.
        info.estimated_rows = sum(1 for _row in info.iter_rows())
    elif estimated is not None:
        info.estimated_rows = max(len(data_sample), estimated - found - 1)
        if info.estimated_rows > limits.max_rows():
            # The line count is an estimate (quoted fields may span lines): count exactly.
            for _row in info.iter_rows():
                pass
    return info


def _choose_sheet(
    sheets: list[str],
    wanted: str | None,
    rows_of: Callable[[str], Iterator[tuple[int, list[str]]]],
) -> str:
    if not sheets:
        raise ImportFileError(_("The workbook has no sheets."), code="no_sheets")
    if wanted:
        if wanted not in sheets:
            raise ImportFileError(
                _("The workbook has no sheet named “%(sheet)s”.") % {"sheet": wanted},
                code="no_such_sheet",
            )
        return wanted
    return first_non_empty(sheets, rows_of) or sheets[0]


# Re-exported for callers that want to format the row-limit message themselves.
too_many_rows = too_many_rows_error
