"""Merging duplicates from the list (choose values, confirm, undo) and handing over a
leaving member's clients (admins only, offered from the members page)."""

import pytest

from crm.models import Contact
from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


def test_merge_keeps_the_chosen_value_and_both_phones_then_undo_separates_them(
    in_workspace, owner, make_contact
):
    first = make_contact(
        owner, surname="Иванова", position="Бухгалтер", phones=["+7 916 111-11-11"]
    )
    second = make_contact(
        owner,
        surname="Иванова",
        position="Главный бухгалтер",
        phones=["+7 916 222-22-22"],
        allow_duplicate=True,
    )
    client = browser_for(in_workspace, owner)

    choose = client.post(
        "/clients/contact/bulk/", {"action": "merge", "ids": [first.pk, second.pk]}, follow=True
    )
    assert "Values to keep" in text_of(choose)

    merged = client.post(
        "/clients/contact/merge/",
        {
            "ids": [first.pk, second.pk],
            "primary": first.pk,
            "choice_position": second.pk,
            "confirm": "1",
        },
        follow=True,
    )

    first.refresh_from_db()
    assert first.position == "Главный бухгалтер"
    assert sorted(p.e164 for p in first.phones.all()) == ["+79161111111", "+79162222222"]
    assert Contact.objects.get(pk=second.pk).merged_into_id == first.pk
    html = text_of(merged)
    assert "2 records merged" in html
    undo_url = html.split('action="/merges/')[1].split('"')[0]

    undone = client.post(f"/merges/{undo_url}", follow=True)

    assert "Merge undone" in text_of(undone)
    assert Contact.objects.get(pk=second.pk).archived_at is None


def test_merge_needs_two_records(in_workspace, owner, make_contact):
    only = make_contact(owner, surname="Одна")

    response = browser_for(in_workspace, owner).get(
        "/clients/contact/merge/", {"ids": [only.pk]}, follow=True
    )

    assert "Tick at least two records to merge." in text_of(response)


def test_admin_hands_over_all_clients_of_a_leaving_member(
    in_workspace, owner, member, member2, make_contact, make_company
):
    make_contact(member, surname="Клиент один")
    make_contact(member, surname="Клиент два")
    make_company(member, name="Фирма")
    client = browser_for(in_workspace, owner)

    page = text_of(client.get(f"/settings/members/{member.pk}/hand-over/"))
    assert "2 contacts and 1 companies" in page

    response = client.post(
        f"/settings/members/{member.pk}/hand-over/", {"to_member": member2.pk}, follow=True
    )

    assert Contact.objects.filter(responsible=member2).count() == 2
    assert "handed over to" in text_of(response)


def test_member_cannot_hand_over_clients(in_workspace, owner, member, member2):
    response = browser_for(in_workspace, member).get(f"/settings/members/{member2.pk}/hand-over/")

    assert response.status_code == 403


def test_members_page_offers_the_hand_over(in_workspace, owner, member):
    html = text_of(browser_for(in_workspace, owner).get("/settings/members/"))

    assert f'href="/settings/members/{member.pk}/hand-over/"' in html
