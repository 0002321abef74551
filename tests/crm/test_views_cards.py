"""The contact and company cards: everything on one screen, the only-own rule, consents,
archive with undo, and a fixed number of queries."""

import pytest

from crm.actions import clients as actions
from crm.models import Contact
from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


def test_contact_card_shows_pinned_note_first_and_tappable_phones_and_emails(
    in_workspace, owner, make_contact, make_company
):
    company = make_company(owner, name="Ромашка")
    contact = make_contact(
        owner,
        surname="Иванова",
        first_name="Александра",
        form_of_address="Саша",
        pinned_note="Зовите её Саша, не Александра",
        phones=[{"number": "+7 916 123-45-67", "label": "work"}],
        emails=["sasha@example.com"],
        messengers=[{"kind": "telegram", "handle": "@sasha"}],
        companies=[{"company": company.pk, "position": "Главный бухгалтер"}],
    )

    response = browser_for(in_workspace, owner).get(f"/contacts/{contact.pk}/")

    html = text_of(response)
    assert response.status_code == 200
    assert html.index("Зовите её Саша") < html.index("How to reach")
    assert 'href="tel:+79161234567"' in html
    assert 'href="mailto:sasha@example.com"' in html
    assert "https://t.me/sasha" in html
    assert "Ромашка" in html
    assert "Главный бухгалтер" in html
    assert "Timeline" in html
    assert "History of changes" in html


def test_member_who_sees_only_own_gets_404_for_another_managers_card(
    in_workspace, owner, member, only_own, make_contact, make_company
):
    contact = make_contact(owner, surname="Чужая")
    company = make_company(owner, name="Чужая фирма")
    client = browser_for(in_workspace, member)

    assert client.get(f"/contacts/{contact.pk}/").status_code == 404
    assert client.get(f"/companies/{company.pk}/").status_code == 404
    assert client.get(f"/contacts/{contact.pk}/edit/").status_code == 404


def test_card_history_names_who_changed_which_field(in_workspace, owner, make_contact):
    contact = make_contact(owner, surname="Иванова", position="Бухгалтер")
    actions.update_contact(acting_user=owner, contact=contact, changes={"position": "Директор"})

    html = text_of(browser_for(in_workspace, owner).get(f"/contacts/{contact.pk}/"))

    history = html.split("History of changes")[1]
    assert "Position" in history or "position" in history
    assert "Бухгалтер" in history
    assert "Директор" in history
    assert "created the record" in history


def test_consent_given_then_withdrawn_keeps_both_records_on_the_card(
    in_workspace, owner, make_contact
):
    contact = make_contact(owner, surname="Согласная")
    client = browser_for(in_workspace, owner)

    client.post(
        f"/contacts/{contact.pk}/consent/",
        {"kind": "advertising", "status": "given", "text_version": "Рассылка v2"},
    )
    response = client.post(
        f"/contacts/{contact.pk}/consent/",
        {"kind": "advertising", "status": "withdrawn"},
        follow=True,
    )

    html = text_of(response)
    assert "Consent recorded as withdrawn" in html
    consents = html.split('id="consents"')[1].split("</section>")[0]
    assert consents.count("badge ok") == 1  # the given record stays as proof
    assert "Рассылка v2" in consents
    assert Contact.objects.get(pk=contact.pk).consent_advertising == "withdrawn"


def test_archive_says_so_with_an_undo_that_restores(in_workspace, owner, make_contact):
    contact = make_contact(owner, surname="Архивируемая")
    client = browser_for(in_workspace, owner)

    response = client.post(f"/contacts/{contact.pk}/archive/", follow=True)

    html = text_of(response)
    assert "“Архивируемая Мария” archived." in html
    assert f'action="/contacts/{contact.pk}/restore/"' in html  # the toast's undo
    assert Contact.objects.get(pk=contact.pk).archived_at is not None

    response = client.post(f"/contacts/{contact.pk}/restore/", follow=True)

    assert "“Архивируемая Мария” restored." in text_of(response)
    assert Contact.objects.get(pk=contact.pk).archived_at is None


def test_contact_card_runs_a_fixed_number_of_queries(
    in_workspace, owner, make_contact, make_company, django_assert_max_num_queries
):
    companies = [make_company(owner, name=f"Фирма {n}") for n in range(5)]
    contact = make_contact(
        owner,
        surname="Полная",
        phones=[f"+7 916 200-00-0{n}" for n in range(5)],
        emails=[f"full{n}@example.com" for n in range(5)],
        messengers=[{"kind": "telegram", "handle": f"@full{n}"} for n in range(3)],
        tags=["a", "b", "c"],
        companies=[{"company": c.pk} for c in companies],
    )
    for n in range(5):
        actions.update_contact(acting_user=owner, contact=contact, changes={"position": f"P{n}"})
    actions.give_consent(acting_user=owner, contact=contact, kind="personal_data")
    client = browser_for(in_workspace, owner)
    client.get(f"/contacts/{contact.pk}/")

    with django_assert_max_num_queries(15):
        response = client.get(f"/contacts/{contact.pk}/")

    assert response.status_code == 200


def test_company_card_lists_contact_persons_in_a_fixed_number_of_queries(
    in_workspace, owner, make_contact, make_company, django_assert_max_num_queries
):
    company = make_company(owner, name="Ромашка", tax_number="7707083893")
    for n in range(8):
        make_contact(
            owner,
            surname=f"Сотрудник {n}",
            phones=[f"+7 916 300-00-0{n}"],
            companies=[{"company": company.pk, "position": "Менеджер"}],
        )
    client = browser_for(in_workspace, owner)
    client.get(f"/companies/{company.pk}/")

    with django_assert_max_num_queries(15):
        response = client.get(f"/companies/{company.pk}/")

    html = text_of(response)
    assert "7707083893" in html
    assert "Сотрудник 7" in html
    assert f'href="/contacts/new/?company={company.pk}"' in html
