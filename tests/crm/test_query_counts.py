"""Lists and cards run a fixed number of queries whatever the number of rows shown."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.actions import clients as actions
from crm.selectors.cards import company_card, contact_card
from crm.selectors.lists import companies_for_list, contacts_for_list
from crm.selectors.search import search_clients

pytestmark = pytest.mark.django_db


def _queries(function, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        function(*args, **kwargs)
    return len(captured.captured_queries)


def _contacts(make_contact, owner, company, count: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    for number in range(start, start + count):
        make_contact(
            owner,
            surname=f"Client{number}",
            phones=[f"+7916{number:07d}", f"+7903{number:07d}"],
            emails=[f"c{number}@example.com"],
            tags=["a", "b"],
            companies=[{"company": company.pk, "position": "CEO"}],
        )


def test_contact_list_query_count_does_not_grow_with_rows(make_contact, make_company, owner):
    company = make_company(owner, name="Firm")
    _contacts(make_contact, owner, company, 2)
    few = _queries(contacts_for_list, owner, per_page=50)
    _contacts(make_contact, owner, company, 12, start=2)

    many = _queries(contacts_for_list, owner, per_page=50)

    assert many == few
    assert many <= 15


def test_company_list_query_count_does_not_grow_with_rows(make_company, owner):
    make_company(owner, name="Firm 0", phones=["+79160000000"])
    few = _queries(companies_for_list, owner)
    for number in range(1, 10):
        make_company(owner, name=f"Firm {number}", phones=[f"+7916000000{number}"], tags=["x"])

    assert _queries(companies_for_list, owner) == few <= 15


def test_contact_card_query_count_is_fixed(make_contact, make_company, owner):
    company = make_company(owner, name="Firm")
    small = make_contact(owner, surname="Small")
    big = make_contact(
        owner,
        surname="Big",
        phones=["+79160000001", "+79160000002", "+79160000003"],
        emails=["a@example.com", "b@example.com"],
        messengers=[{"kind": "telegram", "handle": "@big"}],
        tags=["a", "b", "c"],
        companies=[{"company": company.pk}],
    )
    actions.give_consent(acting_user=owner, contact=big, kind="advertising")
    for number in range(5):
        actions.update_contact(acting_user=owner, contact=big, changes={"position": f"P{number}"})

    small_count = _queries(contact_card, owner, small.pk)
    big_count = _queries(contact_card, owner, big.pk)

    assert big_count <= small_count + 3, "name lookups for the history at most"
    assert big_count <= 15


def test_company_card_query_count_is_fixed(make_contact, make_company, owner):
    company = make_company(owner, name="Firm", phones=["+79160000001"])
    for number in range(5):
        make_contact(owner, surname=f"P{number}", companies=[{"company": company.pk}])

    assert _queries(company_card, owner, company.pk) <= 15


def test_search_query_count_is_bounded(make_contact, owner):
    for number in range(10):
        make_contact(owner, surname=f"Иванов{number}", phones=[f"+791600045{number:02d}"])

    assert _queries(search_clients, owner, "Иванов") <= 10
    assert _queries(search_clients, owner, "4501") <= 10
