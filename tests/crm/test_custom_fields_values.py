"""Custom field values: every type accepted and refused, defaults, required, archived."""

from datetime import date

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from crm.actions.custom_fields import (
    archive_custom_field,
    create_custom_field,
    restore_custom_field,
    update_custom_field,
)
from crm.custom_values import (
    clean_custom_values,
    custom_form_fields,
    custom_values_for_api,
    custom_values_for_display,
    custom_values_from_form,
    missing_required_fields,
)
from crm.errors import CrmValidationError, ErrorCode
from crm.models import CustomField

COLOURS = [
    {"key": "red", "labels": {"en": "Red", "ru": "Красный"}},
    {"key": "green", "labels": {"en": "Green", "ru": "Зелёный"}},
    {"key": "blue", "labels": {"en": "Blue"}},
]


@pytest.fixture
def inside(workspace):  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name), translation.override("en"):
        yield workspace


def make_field(owner, field_type: str, key: str = "f", **extra) -> CustomField:  # type: ignore[no-untyped-def]
    if field_type in ("single_choice", "multiple_choice"):
        extra.setdefault("choices", COLOURS)
    return create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type=field_type,
        key=key,
        labels={"en": f"Field {key}"},
        **extra,
    )


def clean_one(value):  # type: ignore[no-untyped-def]
    return clean_custom_values(entity="contact", values={"f": value}, current={})


def refused_message(value) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(CrmValidationError) as caught:
        clean_one(value)
    return caught.value.field_errors["custom.f"][0]


VALID = [
    ("text", "  Hello  ", "Hello"),
    ("text", "two\nlines", "two lines"),
    ("long_text", "line one\nline two", "line one\nline two"),
    ("integer", "1 234", 1234),
    ("integer", 42, 42),
    ("integer", "-7", -7),
    ("decimal", "1 234,50", "1234.50"),
    ("decimal", 3.25, "3.25"),
    ("money", {"amount": "12,5", "currency": "usd"}, {"amount": "12.50", "currency": "USD"}),
    ("money", "99.99 EUR", {"amount": "99.99", "currency": "EUR"}),
    ("money", ["10", "UAH"], {"amount": "10.00", "currency": "UAH"}),
    ("money", {"amount": "5"}, {"amount": "5.00", "currency": "RUB"}),
    ("date", "31.12.2024", "2024-12-31"),
    ("date", "2024-12-31", "2024-12-31"),
    ("date", date(2024, 1, 5), "2024-01-05"),
    ("datetime", "2024-12-31T10:00", "2024-12-31T07:00:00Z"),  # Moscow, UTC+3
    ("datetime", "31.12.2024 10:00", "2024-12-31T07:00:00Z"),
    ("datetime", "2024-12-31T10:00:00+02:00", "2024-12-31T08:00:00Z"),
    ("boolean", True, True),
    ("boolean", "false", False),
    ("boolean", "да", True),
    ("single_choice", "green", "green"),
    ("single_choice", "Красный", "red"),
    ("multiple_choice", ["blue", "red", "blue"], ["red", "blue"]),
    ("multiple_choice", "green", ["green"]),
    ("email", " Anna@Example.com ", "Anna@Example.com"),
    ("phone", "8 (916) 123-45-67", "+79161234567"),
    ("phone", "+380 44 123 4567", "+380441234567"),
    ("url", "example.com/page", "https://example.com/page"),
    ("url", "http://example.com", "http://example.com"),
]


@pytest.mark.parametrize(("field_type", "raw", "stored"), VALID)
def test_each_type_accepts_and_normalises_valid_input(inside, field_type, raw, stored):
    make_field(inside.owner, field_type)
    assert clean_one(raw) == {"f": stored}


INVALID = [
    ("text", "x" * 501, "at most 500"),
    ("long_text", "x" * 10_001, "at most 10000"),
    ("integer", "12.5", "whole number"),
    ("integer", "twelve", "whole number"),
    ("integer", True, "whole number"),
    ("integer", "99999999999999999999", "whole number"),
    ("decimal", "1,2,3", "Enter a number"),
    ("decimal", "1.1234567", "at most 6 digits"),
    ("decimal", "1" * 16, "too large"),
    ("money", {"amount": "abc", "currency": "RUB"}, "Enter a number"),
    ("money", {"amount": "1", "currency": "roubles"}, "currency"),
    ("date", "31.02.2024", "Enter a date"),
    ("date", "yesterday", "Enter a date"),
    ("datetime", "2024-12-31 25:00", "date and time"),
    ("boolean", "maybe", "yes or no"),
    ("single_choice", "purple", "not one of the options"),
    ("single_choice", ["red"], "Choose one of the options"),
    ("multiple_choice", ["red", "purple"], "not one of the options"),
    ("email", "not-an-email", "valid e-mail"),
    ("phone", "123", "valid phone"),
    ("phone", "+7 916 123", "valid phone"),
    ("url", "not a url", "valid link"),
    ("url", "ftp://example.com", "valid link"),
]


@pytest.mark.parametrize(("field_type", "raw", "message"), INVALID)
def test_each_type_refuses_invalid_input_with_a_message(inside, field_type, raw, message):
    make_field(inside.owner, field_type)
    assert message in refused_message(raw)


def test_messages_are_translated(inside):
    make_field(inside.owner, "integer")
    with translation.override("ru"):
        assert "целое" in refused_message("abc")
    with translation.override("uk"):
        assert "ціле" in refused_message("abc")


def test_phone_uses_the_workspace_default_country(inside):
    inside.workspace.default_country = "UA"
    inside.workspace.save()
    make_field(inside.owner, "phone")
    with schema_context(inside.workspace.schema_name):
        assert clean_one("044 123 4567") == {"f": "+380441234567"}


def test_empty_values_are_not_stored_and_clear_the_current_one(inside):
    make_field(inside.owner, "text")
    result = clean_custom_values(entity="contact", values={"f": "  "}, current={"f": "old"})
    assert result == {}


def test_unknown_keys_are_refused(inside):
    with pytest.raises(CrmValidationError) as caught:
        clean_custom_values(entity="contact", values={"nope": "x"}, current={})
    assert "custom.nope" in caught.value.field_errors


def test_absent_keys_keep_their_values_and_other_entities_are_separate(inside):
    make_field(inside.owner, "text", key="a")
    make_field(inside.owner, "text", key="b")
    result = clean_custom_values(entity="contact", values={"a": "new"}, current={"b": "kept"})
    assert result == {"a": "new", "b": "kept"}
    with pytest.raises(CrmValidationError):
        clean_custom_values(entity="company", values={"a": "x"}, current={})


def test_required_custom_field_is_required_on_create(inside):
    make_field(inside.owner, "text", key="contract", required=True)
    with pytest.raises(CrmValidationError) as caught:
        clean_custom_values(entity="contact", values={}, current=None)
    assert caught.value.code == ErrorCode.REQUIRED
    assert caught.value.field_errors == {"custom.contract": ["This field is required."]}
    assert clean_custom_values(entity="contact", values={"contract": "A-1"}, current=None) == {
        "contract": "A-1"
    }


def test_required_field_added_later_does_not_block_partial_edits(inside):
    make_field(inside.owner, "text", key="note")
    make_field(inside.owner, "text", key="contract", required=True)
    # An older record without the contract number: a partial edit of another field works...
    assert clean_custom_values(
        entity="contact", values={"note": "hi"}, current={}, partial=True
    ) == {"note": "hi"}
    # ...a full save asks for it, and clearing it is refused even in a partial edit.
    with pytest.raises(CrmValidationError):
        clean_custom_values(entity="contact", values={"note": "hi"}, current={})
    with pytest.raises(CrmValidationError):
        clean_custom_values(
            entity="contact", values={"contract": ""}, current={"contract": "A"}, partial=True
        )


def test_default_applies_on_create_only(inside):
    make_field(inside.owner, "single_choice", default="green")
    assert clean_custom_values(entity="contact", values={}, current=None) == {"f": "green"}
    assert clean_custom_values(entity="contact", values={}, current={}) == {}


def test_invalid_default_is_refused(inside):
    with pytest.raises(CrmValidationError) as caught:
        make_field(inside.owner, "integer", default="many")
    assert "default" in caught.value.field_errors


def test_missing_required_fields_lists_standard_and_custom(inside):
    from crm.actions.custom_fields import set_required_standard_fields

    make_field(inside.owner, "text", key="contract", required=True)
    set_required_standard_fields(
        acting_user=inside.owner, entity="contact", fields=["phones", "source"]
    )
    missing = missing_required_fields(
        entity="contact", standard={"phones": [], "source": "web"}, custom={}
    )
    assert missing == ["phones", "custom.contract"]
    assert (
        missing_required_fields(
            entity="contact", standard={"phones": ["+7"], "source": "web"}, custom={"contract": "1"}
        )
        == []
    )


def test_archived_field_is_hidden_but_its_values_are_kept(inside):
    field = make_field(inside.owner, "text", key="old")
    make_field(inside.owner, "text", key="new")
    archive_custom_field(acting_user=inside.owner, field=field)
    stored = {"old": "kept", "new": "x"}
    # Writing to it is ignored; the stored value stays.
    assert clean_custom_values(entity="contact", values={"old": "changed"}, current=stored) == {
        "old": "kept",
        "new": "x",
    }
    assert [item.key for item in custom_values_for_display("contact", stored, "en")] == ["new"]
    assert custom_values_for_api("contact", stored) == {"new": "x"}
    assert "custom_old" not in custom_form_fields("contact")
    restore_custom_field(acting_user=inside.owner, field=field)
    assert custom_values_for_api("contact", stored) == {"new": "x", "old": "kept"}


def test_renaming_a_field_and_a_choice_keeps_values(inside):
    field = make_field(inside.owner, "single_choice", key="colour")
    stored = clean_custom_values(entity="contact", values={"colour": "red"}, current={})
    update_custom_field(
        acting_user=inside.owner,
        field=field,
        labels={"en": "Favourite colour"},
        choices=[{"key": "red", "labels": {"en": "Crimson"}}, *COLOURS[1:]],
    )
    [shown] = custom_values_for_display("contact", stored, "en")
    assert (shown.label, shown.text) == ("Favourite colour", "Crimson")
    assert clean_custom_values(entity="contact", values={}, current=stored) == {"colour": "red"}


def test_removed_choice_is_archived_and_still_reads(inside):
    field = make_field(inside.owner, "single_choice", key="colour")
    stored = {"colour": "blue"}
    update_custom_field(acting_user=inside.owner, field=field, choices=COLOURS[:2])
    field.refresh_from_db()
    assert [c["key"] for c in field.active_choices] == ["red", "green"]
    assert custom_values_for_display("contact", stored, "en")[0].text == "Blue"
    # Kept on a record that holds it, refused as a new value.
    assert clean_custom_values(entity="contact", values={"colour": "blue"}, current=stored)
    with pytest.raises(CrmValidationError):
        clean_custom_values(entity="contact", values={"colour": "blue"}, current={})


def test_labels_fall_back_to_the_one_given(inside):
    create_custom_field(
        acting_user=inside.owner,
        entity="contact",
        field_type="text",
        labels={"uk": "Номер договору"},
    )
    field = CustomField.objects.get(entity="contact")
    assert field.label_in("en") == "Номер договору"
    assert field.label_in("ru") == "Номер договору"
    assert field.key == "nomer_dogovoru"
    with translation.override("en"):
        assert field.label == "Номер договору"


def test_display_formats_values_in_the_readers_language(inside):
    make_field(inside.owner, "integer", key="n")
    make_field(inside.owner, "money", key="m")
    make_field(inside.owner, "date", key="d")
    make_field(inside.owner, "boolean", key="b")
    make_field(inside.owner, "phone", key="p")
    make_field(inside.owner, "multiple_choice", key="c")
    stored = {
        "n": 1234567,
        "m": {"amount": "1234.50", "currency": "RUB"},
        "d": "2024-12-31",
        "b": True,
        "p": "+79161234567",
        "c": ["red", "green"],
    }
    english = {item.key: item for item in custom_values_for_display("contact", stored, "en")}
    assert english["n"].text == "1,234,567"
    assert english["m"].text == "1,234.50\u00a0RUB"
    assert english["d"].text == "Dec. 31, 2024"
    assert english["b"].text == "Yes"
    assert english["p"].text == "+7 916 123-45-67"
    assert english["p"].href == "tel:+79161234567"
    assert english["c"].text == "Red, Green"
    russian = {item.key: item for item in custom_values_for_display("contact", stored, "ru")}
    assert russian["d"].text == "31 декабря 2024 г."  # noqa: RUF001
    assert russian["b"].text == "Да"
    assert russian["c"].text == "Красный, Зелёный"


def test_api_values_have_real_json_types(inside):
    make_field(inside.owner, "integer", key="n")
    make_field(inside.owner, "decimal", key="x")
    make_field(inside.owner, "boolean", key="b")
    make_field(inside.owner, "text", key="t")
    stored = clean_custom_values(
        entity="contact", values={"n": "5", "x": "2,5", "b": "yes"}, current={}
    )
    assert custom_values_for_api("contact", stored) == {"n": 5, "x": 2.5, "b": True, "t": None}


def test_form_fields_clean_with_the_same_rules(inside):
    from django import forms

    make_field(inside.owner, "date", key="d", required=True)
    make_field(inside.owner, "money", key="m")
    make_field(inside.owner, "multiple_choice", key="c")

    class ContactForm(forms.Form):
        name = forms.CharField()

        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self.fields.update(custom_form_fields("contact"))

    form = ContactForm(
        {"name": "A", "custom_d": "31.12.2024", "custom_m_0": "1 000,5", "custom_m_1": "EUR",
         "custom_c": ["green", "red"]}
    )  # fmt: skip
    assert form.is_valid(), form.errors
    assert custom_values_from_form("contact", form.cleaned_data) == {
        "d": "2024-12-31",
        "m": {"amount": "1000.50", "currency": "EUR"},
        "c": ["red", "green"],
    }
    bad = ContactForm({"name": "A", "custom_d": "", "custom_m_0": "x", "custom_m_1": "EUR"})
    assert not bad.is_valid()
    assert bad.errors["custom_d"] == ["This field is required."]
    assert "Enter a number" in bad.errors["custom_m"][0]
    html = str(bad["custom_c"])
    assert "Red" in html
    assert 'type="checkbox"' in html
