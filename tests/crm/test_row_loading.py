"""A page's children (crm.selectors.row_loading) are what the records' own relations hold,
in the models' order, whichever way the page's queryset is read."""

import pytest

from crm.models import Company, Contact
from crm.selectors import row_loading

pytestmark = pytest.mark.django_db


def _contact_children(contact: Contact) -> dict[str, list[tuple[object, ...]]]:
    return {
        "phones": [(p.e164, p.raw, p.label) for p in contact.phones.order_by("position", "id")],
        "emails": [(e.address,) for e in contact.emails.order_by("position", "id")],
        "tags": [(t.pk, t.name) for t in contact.tags.order_by("name")],
        "messengers": [(m.kind, m.handle) for m in contact.messengers.order_by("position", "id")],
        "company_links": [
            (link.company_id, link.position, link.company.name)
            for link in contact.company_links.select_related("company").order_by("id")
        ],
    }


def _loaded_children(contact: Contact) -> dict[str, list[tuple[object, ...]]]:
    loaded = contact.__dict__
    return {
        "phones": [(p.e164, p.raw, p.label) for p in loaded["loaded_phones"]],
        "emails": [(e.address,) for e in loaded["loaded_emails"]],
        "tags": [(t.pk, t.name) for t in loaded["loaded_tags"]],
        "messengers": [(m.kind, m.handle) for m in loaded["loaded_messengers"]],
        "company_links": [
            (link.company_id, link.position, link.company.name)
            for link in loaded["loaded_company_links"]
        ],
    }


def test_contacts_get_their_own_children_in_order(make_contact, make_company, owner):
    first = make_company(owner, name="Альфа")
    second = make_company(owner, name="Бета", tax_number="7707083893")
    full = make_contact(
        owner,
        surname="Полный",
        phones=[
            {"number": "+79160000003", "label": "work"},
            {"number": "8 (916) 000-00-01", "label": "mobile"},
            "+380441234567",
        ],
        emails=["b@example.com", "a@example.com"],
        tags=["Яблоко", "VIP", "опт"],
        messengers=[
            {"kind": "telegram", "handle": "@full"},
            {"kind": "viber", "handle": "+79160000003"},
        ],
        companies=[{"company": second.pk, "position": "CEO"}, {"company": first.pk}],
    )
    bare = make_contact(owner, surname="Пустой")

    rows = list(
        row_loading.contact_rows(Contact.objects.all(), with_messengers=True).order_by("id")
    )

    assert [row.pk for row in rows] == [full.pk, bare.pk]
    for row in rows:
        assert _loaded_children(row) == _contact_children(row)
    assert len(rows[0].loaded_tags) == 3
    assert rows[1].loaded_phones == rows[1].loaded_company_links == []


def test_children_come_with_first_in_bulk_and_slices_but_not_values(make_contact, owner):
    contact = make_contact(owner, surname="Один", phones=["+79160000001"], tags=["x"])
    rows = row_loading.contact_rows(Contact.objects.all())

    assert rows.first().loaded_phones[0].e164 == "+79160000001"  # type: ignore[union-attr]
    assert rows.in_bulk([contact.pk])[contact.pk].loaded_tags[0].name == "x"
    assert rows.filter(pk=contact.pk)[:1][0].loaded_emails == []
    assert list(rows.values_list("surname", flat=True)) == ["Один"]
    assert rows.count() == 1


def test_companies_get_their_people_with_display_names(make_contact, make_company, owner):
    company = make_company(owner, name="Гамма", phones=["+74951234567"], emails=["info@gamma.ru"])
    named = make_contact(
        owner,
        surname="Иванова",
        first_name="Анна",
        patronymic="Сергеевна",
        companies=[{"company": company.pk, "position": "бухгалтер"}],
    )
    surname_only = make_contact(
        owner, surname="Петров", first_name="", companies=[{"company": company.pk}]
    )

    row = row_loading.company_rows(Company.objects.filter(pk=company.pk), with_contacts=True)[0]

    assert [(p.e164, p.label) for p in row.loaded_phones] == [("+74951234567", "mobile")]
    assert [e.address for e in row.loaded_emails] == ["info@gamma.ru"]
    assert [
        (link.contact_id, link.position, link.contact.display_name)
        for link in row.loaded_contact_links
    ] == [
        (named.pk, "бухгалтер", "Иванова Анна Сергеевна"),
        (surname_only.pk, "", "Петров"),
    ]
