"""The custom field engine on real contacts and companies (crm_contact, crm_company)."""

import pytest
from django.db import connection
from django.utils import translation

from crm.actions import clients
from crm.actions.custom_fields import (
    archive_custom_field,
    change_custom_field_type,
    create_custom_field,
    custom_field_index_name,
    update_custom_field,
)
from crm.custom_values import custom_values_for_display
from crm.errors import CrmValidationError
from crm.models import Company, Contact
from crm.selectors.custom_fields import FilterOp, custom_field_filter, custom_field_order


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def field(owner, entity: str, field_type: str, key: str, **extra):  # type: ignore[no-untyped-def]
    return create_custom_field(
        acting_user=owner,
        entity=entity,
        field_type=field_type,
        key=key,
        labels={"en": key.title()},
        **extra,
    )


def test_required_custom_field_refuses_a_new_contact_without_it(owner, make_contact):
    field(owner, "contact", "text", "contract", required=True)
    with pytest.raises(CrmValidationError) as caught:
        make_contact(owner, surname="Иванова")
    assert "custom.contract" in caught.value.field_errors
    contact = make_contact(owner, surname="Иванова", custom={"contract": "A-17"})
    assert Contact.objects.get(pk=contact.pk).custom == {"contract": "A-17"}


def test_integer_to_decimal_converts_every_contact_in_one_update(owner, make_contact):
    seats = field(owner, "contact", "integer", "seats")
    first = make_contact(owner, surname="Иванова", custom={"seats": "12"})
    second = make_contact(owner, surname="Петров", custom={"seats": 3})
    empty = make_contact(owner, surname="Сидоров")
    change_custom_field_type(acting_user=owner, field=seats, field_type="decimal")
    assert Contact.objects.get(pk=first.pk).custom == {"seats": "12"}
    assert Contact.objects.get(pk=second.pk).custom == {"seats": "3"}
    assert Contact.objects.get(pk=empty.pk).custom == {}
    # The values are valid decimals now: a record saves without touching them.
    clients.update_contact(acting_user=owner, contact=first.pk, changes={"position": "CEO"})
    assert Contact.objects.get(pk=first.pk).custom == {"seats": "12"}


def test_lossy_change_on_companies_is_refused_and_values_stay(owner, make_company):
    segment = field(
        owner,
        "company",
        "multiple_choice",
        "segment",
        choices=[{"labels": {"en": "Retail"}}, {"labels": {"en": "Wholesale"}}],
    )
    company = make_company(owner, custom={"segment": ["retail", "wholesale"]})
    with pytest.raises(CrmValidationError) as caught:
        change_custom_field_type(acting_user=owner, field=segment, field_type="single_choice")
    assert "several options" in caught.value.field_errors["field_type"][0]
    assert Company.objects.get(pk=company.pk).custom == {"segment": ["retail", "wholesale"]}


def test_archived_field_keeps_its_value_through_edits(owner, make_contact):
    old = field(owner, "contact", "text", "old_code")
    contact = make_contact(owner, surname="Иванова", custom={"old_code": "X1"})
    archive_custom_field(acting_user=owner, field=old)
    clients.update_contact(
        acting_user=owner, contact=contact.pk, changes={"custom": {"old_code": "changed"}}
    )
    assert Contact.objects.get(pk=contact.pk).custom == {"old_code": "X1"}
    assert custom_values_for_display("contact", {"old_code": "X1"}, "en") == []


def test_renamed_field_still_shows_the_contacts_value(owner, make_contact):
    tier = field(owner, "contact", "single_choice", "tier", choices=[{"labels": {"en": "Gold"}}])
    contact = make_contact(owner, surname="Иванова", custom={"tier": "Gold"})
    update_custom_field(
        acting_user=owner,
        field=tier,
        labels={"en": "Level"},
        choices=[{"key": "gold", "labels": {"en": "Platinum"}}],
    )
    stored = Contact.objects.get(pk=contact.pk).custom
    [shown] = custom_values_for_display("contact", stored, "en")
    assert (shown.label, shown.text) == ("Level", "Platinum")


def test_indexed_field_filters_and_sorts_contacts(owner, make_contact):
    amount = field(owner, "contact", "money", "budget", indexed=True)
    make_contact(owner, surname="Малый", custom={"budget": {"amount": "900", "currency": "RUB"}})
    make_contact(owner, surname="Большой", custom={"budget": "15 000,00 RUB"})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname = %s",
            [custom_field_index_name(amount)],
        )
        [definition] = cursor.fetchone()
    assert "crm_contact" in definition
    assert "numeric" in definition
    rich = Contact.objects.filter(custom_field_filter(amount, FilterOp.RANGE, ("1000", None)))
    assert list(rich.values_list("surname", flat=True)) == ["Большой"]
    ordered = Contact.objects.order_by(custom_field_order(amount, descending=False))
    assert list(ordered.values_list("surname", flat=True)) == ["Малый", "Большой"]
