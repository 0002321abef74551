"""The HTML table Bitrix24 (and other systems) save with an ".xls" name.

Parsed as a stream with the standard library's html.parser, fed 64 KB at a time: only
the rows completed so far are held, never a DOM of the whole file. Rows of the outer
table(s) are read; a nested table's text becomes part of its cell. `<br>` becomes a
line break; `colspan` adds empty cells so columns stay aligned.
"""

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from onboarding.importing.reading.errors import ImportFileError

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def meta_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head[:8192])
    return match.group(1).decode("ascii") if match else None


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.table_depth = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.colspan = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.table_depth += 1
            return
        if self.table_depth != 1:
            if tag == "br" and self.cell is not None:
                self.cell.append("\n")
            return
        if tag == "tr":
            self._end_row()
            self.row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self.row is None:
                self.row = []
            self.cell = []
            span = dict(attrs).get("colspan") or "1"
            self.colspan = int(span) if span.isdigit() and 0 < int(span) <= 1000 else 1
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            if self.table_depth == 1:
                self._end_row()
            self.table_depth = max(0, self.table_depth - 1)
        elif self.table_depth == 1:
            if tag in ("td", "th"):
                self._end_cell()
            elif tag == "tr":
                self._end_row()

    def handle_data(self, data: str) -> None:
        if self.cell is not None and self.table_depth >= 1:
            self.cell.append(data)

    def _end_cell(self) -> None:
        if self.cell is None or self.row is None:
            return
        lines = (_SPACES.sub(" ", line).strip() for line in "".join(self.cell).split("\n"))
        self.row.append("\n".join(line for line in lines if line))
        self.row.extend([""] * (self.colspan - 1))
        self.cell = None
        self.colspan = 1

    def _end_row(self) -> None:
        self._end_cell()
        if self.row is not None:
            self.rows.append(self.row)
        self.row = None


def html_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """Every <tr> of the outer table(s): (1-based row number, cells)."""
    parser = _TableParser()
    number = 0
    with path.open(encoding=encoding, errors="replace") as stream:
        while True:
            chunk = stream.read(64 * 1024)
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
                parser._end_row()
            for row in parser.rows:
                number += 1
                yield number, row
            parser.rows = []
            if not chunk:
                return


def html_without_rows_error() -> ImportFileError:
    return ImportFileError(
        _("The web page in this file has no table rows to import."), code="html_without_table"
    )
