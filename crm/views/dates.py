"""Dates of many rows in the reader's format, without Django's formatter per value.

`date_formatter` is what the board, the deal list, the timeline and the client lists use:
`django.utils.formats.date_format` reads the format and walks it for every value, which
was a visible part of a page with a hundred dates.
"""

import datetime as dt
from collections.abc import Callable

from django.utils.formats import date_format, get_format

# Date format characters that are plain numbers (django.utils.dateformat's meaning).
_NUMERIC_DATE_PARTS = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
    "y": "{0:%y}",
    "H": "{0.hour:02d}",
    "G": "{0.hour}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}
# ...and those that name the month (in the reader's language: asked of date_format once
# per month and page).
_MONTH_NAME_PARTS = frozenset("EFMNb")


def date_formatter(format_name: str) -> Callable[[dt.date], str]:
    """`date_format(value, format_name)` for many values: the reader's format read once.

    A format of numbers, month names and separators ("d.m.Y", "j E Y, H:i", "j M Y")
    becomes one str.format, with the month's name looked up once per month; any other
    goes through date_format itself. Time characters need a datetime.
    """
    pattern = str(get_format(format_name))
    month_chars = {char for char in pattern if char in _MONTH_NAME_PARTS}
    if len(month_chars) > 1 or any(
        (char.isalpha() and char not in _NUMERIC_DATE_PARTS and char not in _MONTH_NAME_PARTS)
        or char in "\\{}"
        for char in pattern
    ):
        return lambda value: date_format(value, format_name)
    template = "".join(
        "{1}" if char in _MONTH_NAME_PARTS else _NUMERIC_DATE_PARTS.get(char, char)
        for char in pattern
    ).format
    if not month_chars:
        return template
    month_char = month_chars.pop()
    names: dict[int, str] = {}

    def format_value(value: dt.date) -> str:
        name = names.get(value.month)
        if name is None:
            name = names[value.month] = date_format(dt.date(2000, value.month, 1), month_char)
        return template(value, name)

    return format_value
