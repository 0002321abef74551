# ruff: noqa: DTZ001 (spreadsheet cells hold naive local date-times)
"""The writers alone: BOM, delimiter, typed cells, and formula neutralisation."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from onboarding.exporting.writers import Column, ColumnKind, CsvSink, XlsxSink, neutralise

NASTY = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # full-width equals sign
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
]


@pytest.mark.parametrize("value", NASTY)
def test_every_formula_trigger_gets_an_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Иванова", "a=b", "1+1", "", "'quoted", " =spaced"])
def test_text_that_cannot_run_is_left_alone(value):
    assert neutralise(value) == value


def _csv(columns, rows, **options) -> bytes:
    target = io.BytesIO()
    sink = CsvSink(target, columns, **options)
    sink.write_rows(rows)
    sink.close()
    return target.getvalue()


def test_csv_starts_with_a_bom_and_neutralises_text_but_not_numbers():
    columns = [
        Column("Name"),
        Column("Balance", ColumnKind.DECIMAL),
        Column("N", ColumnKind.INTEGER),
    ]
    data = _csv(columns, [[value, Decimal("-5.50"), -3] for value in NASTY], delimiter=",")

    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert rows[0] == ["Name", "Balance", "N"]
    for row, value in zip(rows[1:], NASTY, strict=True):
        assert row == ["'" + value, "-5.50", "-3"]


def test_csv_with_semicolons_writes_decimal_commas_and_day_first_dates():
    columns = [
        Column("Amount", ColumnKind.DECIMAL),
        Column("Day", ColumnKind.DATE),
        Column("At", ColumnKind.DATETIME),
        Column("Ok", ColumnKind.BOOLEAN),
        Column("Note"),
    ]
    data = _csv(
        columns,
        [[Decimal("1234.5"), dt.date(2024, 12, 31), dt.datetime(2024, 12, 31, 9, 5), True, "a;b"]],
        delimiter=";",
        yes="да",
        no="нет",
    )

    text = data[3:].decode("utf-8")
    assert text.splitlines()[1] == '1234,5;31.12.2024;31.12.2024 09:05:00;да;"a;b"'


def test_xlsx_cells_are_typed_and_nasty_text_stays_a_string(tmp_path):
    path = str(tmp_path / "out.xlsx")
    columns = [
        Column("Text"),
        Column("Int", ColumnKind.INTEGER),
        Column("Dec", ColumnKind.DECIMAL),
        Column("Day", ColumnKind.DATE),
        Column("At", ColumnKind.DATETIME),
        Column("Ok", ColumnKind.BOOLEAN),
    ]
    sink = XlsxSink(path, columns, sheet_name="Contacts: [all]")
    sink.write_rows(
        [
            [value, 7, Decimal("12.25"), dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4), False]
            for value in NASTY
        ]
        + [["0042", None, None, None, None, None]]
    )
    sink.close()

    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Contacts all"
    assert [cell.value for cell in sheet[1]] == ["Text", "Int", "Dec", "Day", "At", "Ok"]
    for number, value in enumerate(NASTY, start=2):
        text, integer, decimal, day, moment, flag = sheet[number]
        # openpyxl leaves Excel's escape of a carriage return (_x000D_) as it is stored.
        assert text.data_type == "s"
        assert text.value.replace("_x000D_", "\r") == value
        assert integer.value == 7
        assert integer.data_type == "n"
        assert decimal.value == 12.25
        assert day.is_date
        assert day.value == dt.datetime(2024, 1, 2)
        assert moment.is_date
        assert moment.value == dt.datetime(2024, 1, 2, 3, 4)
        assert flag.value is False
        assert flag.data_type == "b"
    leading_zeros = sheet.cell(row=len(NASTY) + 2, column=1)
    assert leading_zeros.value == "0042"
    assert leading_zeros.data_type == "s"
