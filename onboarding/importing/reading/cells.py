"""Spreadsheet cell values as the text a person saw in the cell."""

import datetime
import re
from typing import Any

_ZERO_PADDED = re.compile(r"^0+$")


def cell_text(value: Any, number_format: str | None = None) -> str:
    """Text of a cell value from openpyxl/calamine.

    Whole numbers lose the ".0" spreadsheets store them with; a number formatted with
    leading zeros ("0000000000", how tax numbers keep their zeros) gets them back;
    dates become ISO dates (2024-12-31), date-times ISO with seconds.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e16:
            text = str(int(value))
        else:
            text = repr(value)
            if "e" in text or "E" in text:
                text = f"{value:.15f}".rstrip("0").rstrip(".")
            return text
    elif isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    elif isinstance(value, datetime.date):
        return value.isoformat()
    elif isinstance(value, datetime.time):
        return value.replace(microsecond=0).isoformat()
    elif isinstance(value, datetime.timedelta):
        return str(value)
    else:
        return str(value).strip()
    if number_format and _ZERO_PADDED.match(number_format) and not text.startswith("-"):
        return text.zfill(len(number_format))
    return text
