"""Finding the header row, and naming the columns.

1C lists and many reports start with a title ("Контрагенты", a date, an empty line)
before the real header; some files have no title at all. Each of the first rows is
scored: many non-empty cells, text-like cells (not numbers, dates, e-mails or phones),
all different, and followed by rows of about the same width (the data). The best
score wins; ties go to the upper row.
"""

import re
from collections.abc import Sequence

from django.utils.translation import gettext

_NUMBER = re.compile(r"^[+-]?[\d\s\u00a0\u202f]*[\d]([.,]\d+)?%?$")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[+\d][\d\s()\-.]{5,}$")


def is_blank(cells: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in cells)


_FOOTER = re.compile(r"^(итого|всего|разом|усього|total|totals)\b", re.I)


def is_footer(cells: Sequence[str], width: int) -> bool:
    """A totals line under a report ("Итого: 3" alone in the first cell), not a record."""
    if width < 3 or not cells or not _FOOTER.match(cells[0].strip()):
        return False
    return not any(cell.strip() for cell in cells[1:])


def is_value_like(text: str) -> bool:
    """A cell that looks like data (a number, date, e-mail or phone), not a column name."""
    text = text.strip()
    return bool(
        _NUMBER.match(text) or _DATE.match(text) or _EMAIL.match(text) or _PHONE.match(text)
    )


def filled_width(cells: Sequence[str]) -> int:
    """Index after the last non-empty cell (trailing empty cells do not count)."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index].strip():
            return index + 1
    return 0


def _score(rows: Sequence[Sequence[str]], index: int, widest: int) -> float:
    cells = [cell.strip() for cell in rows[index]]
    filled = [cell for cell in cells if cell]
    if not filled:
        return -1.0
    text_like = sum(1 for cell in filled if not is_value_like(cell)) / len(filled)
    distinct = len({cell.casefold() for cell in filled}) / len(filled)
    short = sum(1 for cell in filled if len(cell) <= 60) / len(filled)
    coverage = len(filled) / max(widest, 1)
    following = [row for row in rows[index + 1 : index + 6] if not all(not c.strip() for c in row)]
    if following:
        width = filled_width(cells)
        similar = sum(
            1 for row in following if abs(filled_width(row) - width) <= max(1, width // 5)
        ) / len(following)
        # Data rows below a header usually hold values (numbers, dates, e-mails, phones)
        # or at least differ from the header; a header row is rarely followed by another
        # all-text row of the same names.
        repeats = sum(
            1
            for row in following
            if [c.strip().casefold() for c in row[: len(cells)]] == [c.casefold() for c in cells]
        )
        data_like = similar - 0.5 * repeats / len(following)
        # A header names columns whose values below are numbers, dates, e-mails, phones.
        contrasting = 0
        for column, cell in enumerate(cells):
            if not cell or is_value_like(cell):
                continue
            below = [row[column].strip() for row in following if column < len(row)]
            below = [value for value in below if value]
            if below and sum(1 for value in below if is_value_like(value)) * 2 > len(below):
                contrasting += 1
        contrast = contrasting / len(filled)
    else:
        data_like = 0.0
        contrast = 0.0
    if len(filled) == 1 and widest > 1:
        coverage *= 0.3
    return (
        3.0 * coverage + 2.5 * text_like + distinct + 0.5 * short + 1.5 * data_like + 1.5 * contrast
    )


def find_header_row(rows: Sequence[Sequence[str]]) -> tuple[int, float]:
    """(0-based index of the header among `rows`, confidence 0..1)."""
    candidates = [index for index, row in enumerate(rows) if not is_blank(row)]
    if not candidates:
        return 0, 0.0
    widest = max(filled_width(row) for row in rows)
    scores = [(_score(rows, index, widest), index) for index in candidates]
    best_score, best_index = max(scores, key=lambda pair: (pair[0], -pair[1]))
    # 8.5 is the score of a full, text, distinct, short header above rows of its width;
    # values (not text) below it make it surer still.
    return best_index, round(max(0.0, min(1.0, best_score / 8.5)), 2)


def column_name(number: int) -> str:
    """The name of a column without a header ("Column 5"), 1-based."""
    return gettext("Column %(number)s") % {"number": number}


def name_headers(raw: Sequence[str], width: int) -> list[str]:
    """Headers for `width` columns: empty ones named, repeated ones numbered ("Phone (2)")."""
    cells = [" ".join(cell.split()) for cell in list(raw)[:width]]
    cells += [""] * (width - len(cells))
    taken = {cell.casefold() for cell in cells if cell}
    names: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        name = cell or column_name(index + 1)
        if not cell and name.casefold() in taken:
            name = f"{name} (#{index + 1})"
        if name.casefold() in seen:
            counter = 2
            while f"{name} ({counter})".casefold() in seen | taken:
                counter += 1
            name = f"{name} ({counter})"
        seen.add(name.casefold())
        names.append(name)
    return names
