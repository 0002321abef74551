"""Streaming writers: rows of typed Python values into CSV or XLSX, in constant memory.

Values arrive typed (str, int, Decimal, date, naive datetime in the workspace's time zone,
bool, None); each writer keeps the type where its format can:

- CSV: UTF-8 with a BOM (Excel otherwise reads UTF-8 as the ANSI code page and garbles
  Cyrillic). The delimiter is a choice; the default follows the exporter's language:
  ";" for Russian and Ukrainian (Excel in those locales splits on the list separator,
  which is ";" because "," is their decimal separator), "," for English. With ";" numbers
  are written with a decimal comma and dates as 31.12.2024, as Excel in those locales
  reads them; with "," a decimal point and ISO dates.
- XLSX: xlsxwriter in constant_memory mode (each row is flushed to disk as written), with
  numbers as numbers, dates and date-times as date cells with a date format, yes/no as
  booleans; text always through write_string, so nothing a cell holds can become a
  formula, a number or a link.

Formula neutralisation (OWASP "CSV injection"): a text cell that starts with = + - @,
a tab or a carriage return, or their full-width forms, is what a spreadsheet would run as
a formula (or DDE call). In CSV it gets a leading apostrophe; in XLSX it is a string cell.
Numbers are typed, never text, so a negative number is not touched.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import IO, Any

import xlsxwriter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_TRIGGER_CHARS = frozenset(FORMULA_TRIGGERS)
# A spreadsheet cell holds at most this many characters (Excel's limit).
CELL_MAX_CHARS = 32_767
# Excel's sheet holds 1,048,576 rows: one is the header.
XLSX_MAX_ROWS = 1_048_575
CSV_DELIMITERS = (";", ",")


class ColumnKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind = ColumnKind.TEXT
    width: int = 18


def neutralise(text: str) -> str:
    """`text` as a spreadsheet cannot run it: an apostrophe before a formula's first char."""
    if text and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def default_delimiter(language: str) -> str:
    return "," if (language or "").split("-")[0] == "en" else ";"


class ExportTooLargeError(Exception):
    """More rows than the format can hold (XLSX: about a million)."""


class CsvSink:
    """Writes a header and rows to a binary file as CSV (UTF-8 with BOM)."""

    def __init__(
        self,
        target: IO[bytes],
        columns: Sequence[Column],
        *,
        delimiter: str = ";",
        yes: str = "yes",
        no: str = "no",
    ):
        if delimiter not in CSV_DELIMITERS:
            raise ValueError(f"unsupported delimiter {delimiter!r}")
        self.columns = list(columns)
        self.decimal_comma = delimiter == ";"
        self.yes, self.no = yes, no
        target.write(b"\xef\xbb\xbf")
        # newline="" as the csv module wants; rows end in CRLF (what Excel writes itself).
        self.text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=False)
        self.writer = csv.writer(self.text, delimiter=delimiter, lineterminator="\r\n")
        self.writer.writerow([neutralise(column.header) for column in self.columns])

    def _cell(self, value: Any, kind: ColumnKind) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, dt.datetime):
            return value.strftime(
                "%d.%m.%Y %H:%M:%S" if self.decimal_comma else "%Y-%m-%d %H:%M:%S"
            )
        if isinstance(value, dt.date):
            return value.strftime("%d.%m.%Y" if self.decimal_comma else "%Y-%m-%d")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, Decimal | float):
            text = format(value, "f")
            return text.replace(".", ",") if self.decimal_comma else text
        return neutralise(str(value))[:CELL_MAX_CHARS]

    def _text_cell(self, value: Any, kind: ColumnKind) -> str:
        # The common case first: this runs for every text cell of every row.
        if value.__class__ is str:
            if value and value[0] in _TRIGGER_CHARS:
                value = "'" + value
            return value if len(value) <= CELL_MAX_CHARS else value[:CELL_MAX_CHARS]
        return self._cell(value, kind)

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> int:
        kinds = [column.kind for column in self.columns]
        cells = [self._text_cell if kind == ColumnKind.TEXT else self._cell for kind in kinds]
        plan = list(zip(cells, kinds, strict=True))
        writerow = self.writer.writerow
        count = 0
        for row in rows:
            writerow(
                [
                    "" if value is None else cell(value, kind)
                    for value, (cell, kind) in zip(row, plan, strict=True)
                ]
            )
            count += 1
        return count

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class XlsxSink:
    """Writes a header and rows to an .xlsx file (one sheet), flushing row by row."""

    def __init__(
        self,
        path: str,
        columns: Sequence[Column],
        *,
        sheet_name: str = "Export",
        date_format: str = "dd.mm.yyyy",
        datetime_format: str = "dd.mm.yyyy hh:mm",
    ):
        self.columns = list(columns)
        self.workbook = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                # Never guess: a string stays a string (no numbers, formulas or links).
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        # Sheet names: at most 31 characters, none of []:*?/\ .
        safe_name = "".join(ch for ch in sheet_name if ch not in "[]:*?/\\")[:31] or "Export"
        self.sheet = self.workbook.add_worksheet(safe_name)
        self.header_format = self.workbook.add_format({"bold": True})
        self.date_format = self.workbook.add_format({"num_format": date_format})
        self.datetime_format = self.workbook.add_format({"num_format": datetime_format})
        for index, column in enumerate(self.columns):
            width = 12 if column.kind == ColumnKind.DATE else column.width
            self.sheet.set_column(index, index, width)
            self.sheet.write_string(0, index, column.header, self.header_format)
        self.sheet.freeze_panes(1, 0)
        self.next_row = 1

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> int:
        sheet = self.sheet
        # The typed writers without xlsxwriter's A1-notation wrapper (a quarter of the time
        # per cell); the public ones if a release renames them. tests/onboarding/exporting
        # reads every kind of cell back, so a change shows there.
        write_string = getattr(sheet, "_write_string", sheet.write_string)
        write_number = getattr(sheet, "_write_number", sheet.write_number)
        write_datetime = getattr(sheet, "_write_datetime", sheet.write_datetime)
        write_boolean = getattr(sheet, "_write_boolean", sheet.write_boolean)
        date_format, datetime_format = self.date_format, self.datetime_format
        count = 0
        for row in rows:
            if self.next_row > XLSX_MAX_ROWS:
                raise ExportTooLargeError()
            number = self.next_row
            for index, value in enumerate(row):
                if value is None:
                    continue
                kind = value.__class__
                if kind is str:
                    if value:
                        write_string(number, index, value[:CELL_MAX_CHARS])
                elif kind is int:
                    write_number(number, index, value)
                elif kind is bool:
                    write_boolean(number, index, value)
                elif kind is dt.datetime:
                    write_datetime(number, index, value, datetime_format)
                elif kind is dt.date:
                    write_datetime(number, index, value, date_format)
                elif kind is Decimal or kind is float:
                    write_number(number, index, float(value))
                else:
                    write_string(number, index, str(value)[:CELL_MAX_CHARS])
            self.next_row += 1
            count += 1
        return count

    def close(self) -> None:
        self.workbook.close()
