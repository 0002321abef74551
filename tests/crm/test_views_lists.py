"""The contact and company lists as members see them: rows, filters, sorting, columns,
bulk actions, segments, the only-own rule and a fixed number of queries."""

import pytest

from crm.actions import clients as actions
from crm.models import Contact, ListColumns, Segment
from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


def test_contact_list_shows_each_contact_with_phone_email_and_company(
    in_workspace, owner, make_contact, make_company
):
    company = make_company(owner, name="Ромашка")
    make_contact(
        owner,
        surname="Иванова",
        first_name="Мария",
        phones=["+7 916 123-45-67"],
        emails=["maria@example.com"],
        companies=[{"company": company.pk, "position": "Бухгалтер"}],
    )

    response = browser_for(in_workspace, owner).get("/contacts/")

    html = text_of(response)
    assert response.status_code == 200
    assert "Иванова Мария" in html
    assert 'href="tel:+79161234567"' in html
    assert 'href="mailto:maria@example.com"' in html
    assert "Ромашка" in html
    assert "Бухгалтер" in html
    assert 'data-label="Phones"' in html  # the list pattern: labelled cells for phones


def test_empty_contact_list_says_what_to_do_first(in_workspace, owner):
    response = browser_for(in_workspace, owner).get("/contacts/")

    html = text_of(response)
    assert "No contacts yet" in html
    assert 'href="/contacts/new/"' in html


def test_member_who_sees_only_own_clients_gets_only_them_in_the_list(
    in_workspace, owner, member, only_own, make_contact
):
    make_contact(member, surname="Мой", first_name="Клиент")
    make_contact(owner, surname="Чужой", first_name="Клиент", phones=["+7 916 000-00-01"])

    html = text_of(browser_for(in_workspace, member).get("/contacts/"))

    assert "Мой Клиент" in html
    assert "Чужой" not in html


def test_list_filters_by_tag_and_responsible(in_workspace, owner, admin, make_contact):
    make_contact(owner, surname="Тегированный", tags=["VIP"])
    make_contact(admin, surname="Другой", tags=["VIP"])
    make_contact(owner, surname="Без", first_name="Меток")
    vip = in_workspace_tag("VIP")

    html = text_of(
        browser_for(in_workspace, owner).get(f"/contacts/?tags={vip}&responsible={owner.pk}")
    )

    assert "Тегированный" in html
    assert "Другой" not in html
    assert "Без Меток" not in html


def in_workspace_tag(name: str) -> int:
    from crm.models import Tag

    return Tag.objects.get(name=name).pk


def test_list_sorts_by_a_column_both_ways(in_workspace, owner, make_contact):
    make_contact(owner, surname="Абрамов")
    make_contact(owner, surname="Яковлев")
    client = browser_for(in_workspace, owner)

    ascending = text_of(client.get("/contacts/?sort=name"))
    descending = text_of(client.get("/contacts/?sort=-name"))

    assert ascending.index("Абрамов") < ascending.index("Яковлев")
    assert descending.index("Яковлев") < descending.index("Абрамов")
    assert 'aria-sort="descending"' in descending


def test_list_sorts_by_columns_of_several_values_by_their_smallest(
    in_workspace, owner, make_contact, make_company
):
    beta = make_company(owner, name="Бета")
    alpha = make_company(owner, name="Альфа")
    make_contact(
        owner,
        surname="Первый",
        phones=["+7 916 900-00-00"],
        emails=["zed@example.com"],
        tags=["Яблоко"],
        companies=[{"company": beta.pk}],
    )
    make_contact(
        owner,
        surname="Второй",
        phones=["+7 916 100-00-00", "+7 999 999-99-99"],
        emails=["Amy@example.com"],
        tags=["Арбуз", "Ясень"],
        companies=[{"company": alpha.pk}, {"company": beta.pk}],
    )
    make_contact(owner, surname="Пустой")
    client = browser_for(in_workspace, owner)

    for column in ("phones", "emails", "tags", "companies"):
        ascending = text_of(client.get(f"/contacts/?sort={column}"))
        descending = text_of(client.get(f"/contacts/?sort=-{column}"))
        # "Второй" has the smallest value; a contact with none comes last both ways.
        assert ascending.index("Второй") < ascending.index("Первый") < ascending.index("Пустой")
        assert descending.index("Первый") < descending.index("Второй") < descending.index("Пустой")
        assert 'aria-sort="descending"' in descending


def test_list_page_runs_a_fixed_number_of_queries_whatever_the_rows(
    in_workspace, owner, make_contact, make_company, django_assert_max_num_queries
):
    company = make_company(owner, name="Ромашка")
    for number in range(30):
        make_contact(
            owner,
            surname=f"Контакт{number}",
            phones=[f"+7 916 100-00-{number:02d}"],
            emails=[f"c{number}@example.com"],
            tags=["VIP", f"t{number}"],
            companies=[{"company": company.pk}],
        )
    client = browser_for(in_workspace, owner)
    client.get("/contacts/")  # warm caches (custom field definitions)

    with django_assert_max_num_queries(15):
        response = client.get("/contacts/")

    assert text_of(response).count('class="cell-primary"') == 30


def test_company_list_page_runs_a_fixed_number_of_queries(
    in_workspace, owner, make_company, django_assert_max_num_queries
):
    for number in range(20):
        make_company(owner, name=f"Компания {number}", phones=[f"+7 495 100-00-{number:02d}"])
    client = browser_for(in_workspace, owner)
    client.get("/companies/")

    with django_assert_max_num_queries(15):
        response = client.get("/companies/")

    assert "Компания 19" in text_of(response)


def test_member_chooses_and_orders_columns_and_they_are_kept(in_workspace, owner, make_contact):
    make_contact(owner, surname="Иванова", position="Директор")
    client = browser_for(in_workspace, owner)

    response = client.post(
        "/clients/contact/columns/",
        {"order": ["position", "name", "phones"], "columns": ["position", "phones"]},
    )

    assert response.status_code == 302
    assert ListColumns.objects.get(member=owner, record_type="contact").columns == [
        "position",
        "phones",
    ]
    html = text_of(client.get("/contacts/"))
    assert 'data-label="Position"' in html
    assert 'data-label="E-mails"' not in html
    head = html.split("<thead>")[1].split("</thead>")[0]
    assert head.index("Name") < head.index("Position") < head.index("Phones")


def test_bulk_tag_adds_the_tag_to_ticked_rows_and_says_so(in_workspace, owner, make_contact):
    first = make_contact(owner, surname="Первый")
    second = make_contact(owner, surname="Второй")
    client = browser_for(in_workspace, owner)

    response = client.post(
        "/clients/contact/bulk/",
        {"action": "tag", "tag": "Выставка", "ids": [first.pk, second.pk]},
        follow=True,
    )

    assert "Tag added; records changed: 2." in text_of(response)
    assert {t.name for t in Contact.objects.get(pk=first.pk).tags.all()} == {"Выставка"}


def test_bulk_change_of_responsible_manager(in_workspace, owner, admin, make_contact):
    contact = make_contact(owner, surname="Передаваемый")

    browser_for(in_workspace, owner).post(
        "/clients/contact/bulk/",
        {"action": "responsible", "responsible": admin.pk, "ids": [contact.pk]},
    )

    assert Contact.objects.get(pk=contact.pk).responsible_id == admin.pk


def test_member_may_not_archive_in_bulk(in_workspace, owner, member, make_contact):
    contact = make_contact(member, surname="Мой")

    response = browser_for(in_workspace, member).post(
        "/clients/contact/bulk/", {"action": "archive", "ids": [contact.pk]}
    )

    assert response.status_code == 403
    assert Contact.objects.get(pk=contact.pk).archived_at is None


def test_admin_archives_in_bulk(in_workspace, owner, admin, make_contact):
    contact = make_contact(owner, surname="Старый")

    response = browser_for(in_workspace, admin).post(
        "/clients/contact/bulk/", {"action": "archive", "ids": [contact.pk]}, follow=True
    )

    assert "Records archived: 1." in text_of(response)
    assert Contact.objects.get(pk=contact.pk).archived_at is not None


def test_filter_saved_as_segment_is_shared_and_applies_it(
    in_workspace, owner, member, make_contact
):
    make_contact(owner, surname="Вип", tags=["VIP"])
    make_contact(owner, surname="Обычный")
    vip = in_workspace_tag("VIP")

    browser_for(in_workspace, owner).post(
        "/clients/contact/segments/", {"name": "Важные", "filter_query": f"tags={vip}"}
    )
    segment = Segment.objects.get(name="Важные")
    client = browser_for(in_workspace, member)
    html = text_of(client.get(f"/contacts/?segment={segment.pk}", follow=True))

    assert segment.filters == {"tags": [vip]}
    assert "Важные" in html
    assert "Вип" in html
    assert "Обычный" not in html


def test_to_complete_lists_records_missing_a_field_made_required_later(
    in_workspace, owner, make_contact
):
    make_contact(owner, surname="Без", first_name="Телефона")
    make_required_standard_field("contact", "phones", owner)

    html = text_of(browser_for(in_workspace, owner).get("/clients/to-complete/"))

    assert "Без Телефона" in html


def make_required_standard_field(entity: str, field: str, owner) -> None:  # type: ignore[no-untyped-def]
    from crm.actions import custom_fields

    custom_fields.set_required_standard_fields(acting_user=owner, entity=entity, fields=[field])


def test_list_survives_an_archived_filter_and_shows_the_archived_badge(
    in_workspace, owner, make_contact
):
    contact = make_contact(owner, surname="Архивный")
    actions.archive_contact(acting_user=owner, contact=contact)

    html = text_of(browser_for(in_workspace, owner).get("/contacts/?archived=archived"))

    assert "Архивный" in html
    assert "Archived" in html
