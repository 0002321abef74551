"""Date cells of a list read as Django's date_format gives them, in every language."""

import datetime as dt

import pytest
from django.utils import translation
from django.utils.formats import date_format

from crm.views.columns import Column
from crm.views.list_cells import CellRenderer


class _Record:
    pk = 7
    archived_at = None
    display_name = "Иванова Анна"
    birthday = dt.date(1990, 2, 28)
    created_at = dt.datetime(2024, 12, 31, 23, 59, tzinfo=dt.UTC)
    last_contact_at = dt.datetime(2025, 5, 9, 8, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_date_cells_match_date_format(language: str) -> None:
    columns = [Column(key, key) for key in ("birthday", "created_at", "last_contact_at")]
    with translation.override(language):
        html = CellRenderer("contact").row(_Record(), columns, {})
        for value in (_Record.birthday, _Record.created_at, _Record.last_contact_at):
            assert f">{date_format(value, 'DATE_FORMAT')}<" in html
