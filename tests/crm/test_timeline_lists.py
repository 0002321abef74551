"""Contact and company lists filter and sort by the last contact with the client."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.actions import timeline as actions
from crm.selectors.lists import ClientFilter, companies_for_list, contacts_for_list
from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


def _called(owner, contact, days_ago: int) -> None:  # type: ignore[no-untyped-def]
    actions.log_activity(
        acting_user=owner,
        data={
            "contact": contact,
            "kind": "call",
            "direction": "outgoing",
            "occurred_at": timezone.now() - dt.timedelta(days=days_ago),
        },
    )


@pytest.fixture
def three(owner, make_contact):  # type: ignore[no-untyped-def]
    recent = make_contact(owner, surname="Недавний")
    old = make_contact(owner, surname="Давний")
    never = make_contact(owner, surname="Никогда")
    _called(owner, recent, 2)
    _called(owner, old, 60)
    return recent, old, never


def test_no_contact_for_more_than_n_days_includes_the_never_contacted(owner, three):
    _recent, old, never = three

    page = contacts_for_list(owner, filters=ClientFilter.from_dict({"no_contact_days": "30"}))

    assert {row.pk for row in page.rows} == {old.pk, never.pk}


def test_last_contact_date_range(owner, three):
    recent, _old, _never = three
    since = (timezone.now() - dt.timedelta(days=7)).date()

    page = contacts_for_list(
        owner, filters=ClientFilter.from_dict({"last_contact_from": since.isoformat()})
    )

    assert [row.pk for row in page.rows] == [recent.pk]


def test_sort_by_last_contact(owner, three):
    recent, old, never = three

    page = contacts_for_list(owner, sort="last_contact_at")

    assert [row.pk for row in page.rows] == [old.pk, recent.pk, never.pk]


def test_company_list_filters_by_its_people_contact(owner, make_contact, make_company):
    quiet = make_company(owner, name="Тихая")
    busy = make_company(owner, name="Активная")
    person = make_contact(owner, surname="Сотрудник", companies=[busy.pk])
    _called(owner, person, 1)

    page = companies_for_list(owner, filters=ClientFilter.from_dict({"no_contact_days": 10}))

    assert [row.pk for row in page.rows] == [quiet.pk]


def test_list_page_shows_the_last_contact_column_and_filter(in_workspace, owner, three):
    browser = browser_for(in_workspace, owner)
    browser.post(
        reverse("crm_columns_save", args=["contact"]),
        {"columns": ["name", "last_contact_at"], "order": ["name", "last_contact_at"]},
    )

    page = text_of(
        browser.get(
            reverse("crm_contact_list"), {"no_contact_days": "30", "sort": "last_contact_at"}
        )
    )

    assert "No contact for more than, days" in page
    assert "Last contact" in page
    assert "Давний" in page
    assert "Недавний" not in page
    assert "never" in page
