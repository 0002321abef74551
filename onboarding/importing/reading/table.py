"""TableInfo: what was found in a file, and the streaming iterator over its data rows."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from onboarding.importing.reading import limits
from onboarding.importing.reading.errors import ImportFileError
from onboarding.importing.reading.header import is_blank, is_footer

# Every record of the file from its top, blank ones included: (row number for people, cells).
RowSource = Callable[[], Iterator[tuple[int, list[str]]]]


@dataclass
class TableInfo:
    """A readable table: how it is read, its headers, a preview, and `iter_rows()`.

        `header_row` is the 0-based index of the header among the file's records (for CSV a
        record can span several lines; for XLSX/XLS/HTML it is the sheet row - 1).
        `raw_top_rows` are the first records as they are, so a wizard can offer another
        header row. Data rows that are entirely empty are skipped, and so are totals lines
    ("Итого: 3", "Total" alone in the first cell of a table of 3+ columns). Rows shorter than the
        headers are padded with ""; cells beyond the last column are dropped, and the rows
        where a non-empty cell was dropped are counted in `overflow_count` (first ones in
        `overflow_rows`) while iterating - columns are sized from the header and the first
        rows, so only a stray long row further down loses cells, and it is reported.
    """

    file_format: str
    encoding: str | None
    encoding_confidence: float | None
    delimiter: str | None
    header_row: int
    header_confidence: float
    sheets: list[str]
    sheet: str | None
    headers: list[str]
    preview: list[list[str]]
    estimated_rows: int | None
    raw_top_rows: list[list[str]]
    path: Path
    original_name: str
    source: RowSource = field(repr=False)
    overflow_rows: list[int] = field(default_factory=list, repr=False)
    overflow_count: int = 0

    def iter_rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number in the file, cells as strings, len == len(headers)) of each data row.

        Streams from the file each time it is called (bounded memory). Raises
        ImportFileError past IMPORT_MAX_ROWS rows, or when the file breaks mid-way.
        """
        width = len(self.headers)
        most = limits.max_rows()
        self.overflow_rows = []
        self.overflow_count = 0
        data_rows = 0
        for index, (row_number, cells) in enumerate(self.source()):
            if index <= self.header_row or is_blank(cells) or is_footer(cells, width):
                continue
            data_rows += 1
            if data_rows > most:
                raise too_many_rows_error(most)
            if len(cells) > width:
                if any(cell for cell in cells[width:]):
                    self.overflow_count += 1
                    if len(self.overflow_rows) < 100:
                        self.overflow_rows.append(row_number)
                cells = cells[:width]
            elif len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield row_number, cells


def too_many_rows_error(most: int) -> ImportFileError:
    return ImportFileError(
        _(
            "The file has more than %(rows)s rows, the most one import takes. Split it "
            "into smaller files."
        )
        % {"rows": f"{most:,}".replace(",", " ")},
        code="too_many_rows",
    )
