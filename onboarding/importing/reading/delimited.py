"""CSV/TSV: delimiter detection and the streaming row source.

csv.Sniffer guesses from character frequencies and is easily fooled (commas inside
quoted names, decimal commas, a title line). Instead each candidate delimiter is tried
with the real csv parser (quotes, doubled quotes and newlines inside quoted fields are
honoured) over the first records, and the one splitting most records into the same
number (> 1) of fields wins.
"""

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from onboarding.importing.reading.errors import ImportFileError

DELIMITERS = (",", ";", "\t", "|")
SNIFF_CHARS = 64 * 1024
SNIFF_RECORDS = 60


def delimiter_label(delimiter: str) -> str:
    return {"\t": "tab"}.get(delimiter, delimiter)


def check_delimiter(delimiter: str) -> str:
    value = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
    if len(value) != 1 or value in '\r\n"':
        raise ImportFileError(
            _("“%(delimiter)s” cannot be a column delimiter.") % {"delimiter": delimiter},
            code="bad_delimiter",
        )
    return value


def _sample(path: Path, encoding: str) -> tuple[str, bool]:
    with path.open(encoding=encoding, errors="replace", newline="") as stream:
        text = stream.read(SNIFF_CHARS)
        complete = not stream.read(1)
    return text, complete


def detect_delimiter(path: Path, encoding: str, *, prefer_tab: bool = False) -> tuple[str, float]:
    """(delimiter, confidence 0..1) from the first records of the file."""
    text, complete = _sample(path, encoding)
    if not complete and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    best: tuple[float, int, int, str] | None = None
    for order, delimiter in enumerate(DELIMITERS):
        counts: list[int] = []
        try:
            for record in csv.reader(io.StringIO(text), delimiter=delimiter, strict=False):
                if any(cell.strip() for cell in record):
                    counts.append(len(record))
                if len(counts) >= SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if not counts:
            continue
        width, times = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        consistency = times / len(counts)
        preference = -order if not (prefer_tab and delimiter == "\t") else 1
        candidate = (round(consistency, 2), width, preference, delimiter)
        if best is None or candidate[:3] > best[:3]:
            best = candidate
    if best is None:
        # One column (or nothing to compare): the delimiter does not matter.
        return ("\t" if prefer_tab else ","), 0.5
    return best[3], best[0]


# A physical line longer than this is not a table row (and would be held whole in memory).
MAX_LINE_CHARS = 1024 * 1024


def _bounded_lines(stream: io.TextIOBase) -> Iterator[str]:
    """The lines of `stream`, refusing one longer than MAX_LINE_CHARS (bounded memory)."""
    number = 0
    while line := stream.readline(MAX_LINE_CHARS):
        number += 1
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise ImportFileError(
                _(
                    "Line %(line)s of the file is longer than a million characters: this "
                    "is not a table row. Check the file's format."
                )
                % {"line": number},
                code="line_too_long",
                row_number=number,
            )
        yield line


def csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Every record of the file, blank ones included: (1-based first line, stripped cells)."""
    with path.open(encoding=encoding, errors="strict", newline="") as stream:
        reader = csv.reader(_bounded_lines(stream), delimiter=delimiter, strict=False)
        line = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                raise ImportFileError(
                    _(
                        "The file cannot be read as %(encoding)s near line %(line)s. Choose "
                        "another encoding."
                    )
                    % {"encoding": encoding, "line": reader.line_num + 1},
                    code="wrong_encoding",
                    row_number=reader.line_num + 1,
                ) from error
            except csv.Error as error:
                raise ImportFileError(
                    _(
                        "Line %(line)s of the file cannot be read (%(reason)s). Check the "
                        "quotes around that line."
                    )
                    % {"line": line, "reason": error},
                    code="broken_csv",
                    row_number=line,
                ) from error
            yield line, [cell.strip() for cell in record]
            line = reader.line_num + 1
