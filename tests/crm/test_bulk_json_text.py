# ruff: noqa: RUF001 (Cyrillic text is the point of some values)
"""crm.actions.bulk.json_text: the JSON a jsonb column receives in COPY, as Jsonb would send it."""

import json

import pytest

from crm.actions.bulk import json_text

VALUES = [
    None,
    "",
    "Иванова Мария",
    'quote " and backslash \\ and tab \t and newline \n and \r',
    "emoji 🙂 and zero-width \u200b",
    True,
    False,
    0,
    -5,
    10**20,
    1.5,
    [],
    {},
    ["+79161234567 (mobile)", "a@example.com"],
    {"fields": {"surname": "Было", "birthday": None}, "custom_set": {"n": 3}, "custom_unset": []},
    [{"label": "", "text": "г. Москва, ул. Ленина, д. 1"}],
]


@pytest.mark.parametrize("value", VALUES)
def test_json_text_reads_back_as_the_value(value: object) -> None:
    text = json_text(value)
    assert json.loads(text) == value
    assert type(json.loads(text)) is type(value)
    # The same JSON document as psycopg's Jsonb adapter sends (json.dumps), once parsed.
    assert json.loads(text) == json.loads(json.dumps(value))
