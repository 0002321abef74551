# ruff: noqa: RUF001 (Cyrillic names are the data here)
"""A one-column full name split in the order the exporting system wrote it."""

import pytest

from onboarding.importing.names import split_full_name


@pytest.mark.parametrize(
    ("full_name", "parts"),
    [
        # 1C, amoCRM, Russian spreadsheets: surname first.
        ("Иванов Иван Иванович", ("Иванов", "Иван", "Иванович")),
        ("Смирнова Ольга", ("Смирнова", "Ольга", "")),
        ("Кузнецов Пётр", ("Кузнецов", "Пётр", "")),
        ("Шевчук Тарас", ("Шевчук", "Тарас", "")),
        ("Алиев Ильхам Гейдар оглы", ("Алиев", "Ильхам", "Гейдар оглы")),
        # First name first (Pipedrive, HubSpot, Ukrainian and English files).
        ("Олена Коваленко", ("Коваленко", "Олена", "")),
        ("Ирина Воробьёва", ("Воробьёва", "Ирина", "")),
        ("Мария Петрова", ("Петрова", "Мария", "")),
        ("Иван Иванович Иванов", ("Иванов", "Иван", "Иванович")),
        ("Олена Петрівна Коваленко", ("Коваленко", "Олена", "Петрівна")),
        ("John Smith", ("Smith", "John", "")),
        ("Mary Ann Smith", ("Smith", "Mary Ann", "")),
        # Nothing tells: Cyrillic surname first, Latin first name first.
        ("Гладкая Эльвира", ("Гладкая", "Эльвира", "")),
        ("Лиза Зу", ("Лиза", "Зу", "")),
        ("Ann Lee", ("Lee", "Ann", "")),
        ("Мадонна", ("", "Мадонна", "")),
        ("  Иванов   Иван  ", ("Иванов", "Иван", "")),
    ],
)
def test_full_names_are_split_in_their_order(full_name, parts):
    found = split_full_name(full_name)

    assert (
        found.get("surname", ""),
        found.get("first_name", ""),
        found.get("patronymic", ""),
    ) == parts


def test_nothing_gives_nothing():
    assert split_full_name("   ") == {}
