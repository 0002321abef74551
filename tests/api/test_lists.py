"""Listing through the API: filters, search, cursor pagination, a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.actions import clients as actions
from crm.actions.custom_fields import create_custom_field
from tests.api.conftest import assert_error, fresh_owner, inside

pytestmark = pytest.mark.django_db


def _make_contacts(new, count: int, start: int = 0, **data) -> list[int]:  # type: ignore[no-untyped-def]
    """`count` contacts through the action, numbered from `start` (distinct phones, e-mails)."""
    with inside(new):
        owner = fresh_owner(new)
        return [
            actions.create_contact(
                acting_user=owner,
                data={
                    "surname": f"Петров{number}",
                    "first_name": "Иван",
                    "phones": [f"+7 916 555-{number:02d}-{number:02d}"],
                    "emails": [f"ivan{number}@example.com"],
                    "tags": ["VIP"] if number % 2 else [],
                    **data,
                },
            ).pk
            for number in range(start, start + count)
        ]


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content.decode()[:2000]
    return [item["id"] for item in response.json()["items"]]


def test_cursor_walks_every_contact_once(workspace, api):
    made = _make_contacts(workspace, 5)

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/contacts", params).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == sorted(made)
    assert pages == 3


def test_new_contacts_do_not_shift_a_cursor(workspace, api):
    made = _make_contacts(workspace, 3)
    first = api.get("/api/contacts", {"limit": 2}).json()

    later = _make_contacts(workspace, 1, start=3)
    second = api.get("/api/contacts", {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [item["id"] for item in second["items"]] == [made[2], later[0]]


@pytest.mark.parametrize("cursor", ["garbage", "aWQ6eA", "!!!", "eHl6OjE"])
def test_bad_cursor_is_a_422(workspace, api, cursor):
    body = assert_error(api.get("/api/contacts", {"cursor": cursor}), 422, "invalid")

    assert "cursor" in body["fields"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"tag": "vip"}, "tag"),
        ({"archived": "deleted"}, "archived"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"consent_advertising": "maybe"}, "consent_advertising"),
        ({"custom.no_such_field": "1"}, "custom.no_such_field"),
    ],
)
def test_bad_filters_are_a_422(workspace, api, params, field):
    body = assert_error(api.get("/api/contacts", params), 422, "invalid")

    assert field in body["fields"], body


def test_filter_by_tag_responsible_and_date(workspace, api):
    made = _make_contacts(workspace, 4)
    with inside(workspace):
        from crm.models import Tag

        vip = Tag.objects.get(name="VIP").pk

    assert _ids(api.get("/api/contacts", {"tag": vip})) == [made[1], made[3]]
    assert _ids(api.get("/api/contacts", {"responsible": workspace.owner.pk})) == made
    assert _ids(api.get("/api/contacts", {"created_from": "2000-01-01"})) == made
    assert _ids(api.get("/api/contacts", {"created_to": "2000-01-01"})) == []


def test_filter_by_custom_field_values_in_their_types(workspace, api):
    with inside(workspace):
        owner = fresh_owner(workspace)
        create_custom_field(
            acting_user=owner, entity="contact", field_type="integer", labels={"en": "Budget"},
            key="budget",
        )  # fmt: skip
    small = api.post("/api/contacts", {"first_name": "A", "custom": {"budget": 10}}).json()
    big = api.post("/api/contacts", {"first_name": "B", "custom": {"budget": 500}}).json()
    none = api.post("/api/contacts", {"first_name": "C"}).json()

    assert small["custom"] == {"budget": 10}
    assert none["custom"] == {"budget": None}
    assert _ids(api.get("/api/contacts", {"custom.budget": "500"})) == [big["id"]]
    assert _ids(api.get("/api/contacts", {"custom.budget.min": "100"})) == [big["id"]]
    assert _ids(api.get("/api/contacts", {"custom.budget.max": "100"})) == [small["id"]]
    assert _ids(api.get("/api/contacts", {"custom.budget.empty": "true"})) == [none["id"]]
    assert_error(api.get("/api/contacts", {"custom.budget": "lots"}), 422, "invalid")


def test_search_finds_by_phone_ending_and_says_what_matched(workspace, api):
    api.post(
        "/api/contacts",
        {"surname": "Иванова", "first_name": "Мария", "phones": ["+7 916 123-45-67"]},
    )
    api.post(
        "/api/contacts",
        {"surname": "Сидоров", "first_name": "Пётр", "phones": ["+7 916 000-00-01"]},
    )

    found = api.get("/api/contacts", {"q": "4567"}).json()

    assert [item["full_name"] for item in found["items"]] == ["Иванова Мария"]
    assert found["items"][0]["matched_on"] == "phone"
    assert found["next_cursor"] is None


def test_search_finds_names_with_typos(workspace, api):
    api.post(
        "/api/contacts", {"surname": "Иванова", "first_name": "Мария", "patronymic": "Петровна"}
    )

    for query in ("Иванова Мар", "ivanova", "Ivanov Marya"):  # noqa: RUF001
        items = api.get("/api/contacts", {"q": query}).json()["items"]
        assert [item["full_name"] for item in items] == ["Иванова Мария Петровна"], query


def test_company_list_and_search_by_tax_number(workspace, api):
    api.post("/api/companies", {"name": "Ромашка", "tax_number": "7707083893"})
    api.post("/api/companies", {"name": "Лютик"})

    assert len(api.get("/api/companies").json()["items"]) == 2
    found = api.get("/api/companies", {"q": "7707083893"}).json()["items"]
    assert [item["name"] for item in found] == ["Ромашка"]
    assert found[0]["matched_on"] == "tax_number"


def _queries_for(api, path: str) -> int:  # type: ignore[no-untyped-def]
    api.get("/api/me")  # the key's "last used" is written at most once a minute: not here
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, {"limit": 50})
    assert response.status_code == 200
    return len(queries)


def test_contact_list_runs_a_fixed_number_of_queries(workspace, api):
    with inside(workspace):
        owner = fresh_owner(workspace)
        create_custom_field(
            acting_user=owner, entity="contact", field_type="text", labels={"en": "Note"}
        )
        company = actions.create_company(acting_user=owner, data={"name": "Ромашка"})
    _make_contacts(
        workspace, 3, companies=[company.pk], messengers=[{"kind": "telegram", "handle": "@x"}]
    )
    few = _queries_for(api, "/api/contacts")
    _make_contacts(workspace, 25, start=3, companies=[company.pk])

    many = _queries_for(api, "/api/contacts")

    assert many == few
    assert many <= 12


def test_company_list_runs_a_fixed_number_of_queries(workspace, api):
    for number in range(3):
        api.post(
            "/api/companies",
            {"name": f"Ромашка {number}", "tags": ["опт"], "phones": [f"+7 495 111-11-1{number}"]},
        )
    few = _queries_for(api, "/api/companies")
    for number in range(20):
        api.post("/api/companies", {"name": f"Лютик {number}", "emails": [f"l{number}@x.ru"]})

    many = _queries_for(api, "/api/companies")

    assert many == few
    assert many <= 12
