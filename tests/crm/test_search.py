# ruff: noqa: RUF001 (Russian and Ukrainian names are the data here)
"""The search box: names in any order and with typos, phones by any format or ending,
e-mails by any part, tax numbers; only what the member may see."""

import pytest

from crm.selectors.search import search_clients

pytestmark = pytest.mark.django_db


def _found(user, query):  # type: ignore[no-untyped-def]
    return [(hit.record.display_name, hit.matched_on) for hit in search_clients(user, query)]


@pytest.fixture
def maria(make_contact, owner):  # type: ignore[no-untyped-def]
    make_contact(owner, surname="Петров", first_name="Иван", phones=["+7 903 555-11-22"])
    return make_contact(
        owner,
        surname="Иванова",
        first_name="Мария",
        patronymic="Петровна",
        phones=["+7 916 123-45-67"],
        emails=["M.Ivanova@Example.com"],
    )


@pytest.mark.parametrize(
    "query", ["Иванова Мар", "Мар Иванова", "ivanova", "Ivanov Marya", "Иванва Мария", "ИВАНОВА"]
)
def test_name_search_finds_fragments_in_any_order_with_typos_and_latin(maria, owner, query):
    found = search_clients(owner, query)

    assert found, query
    assert found[0].record.pk == maria.pk
    assert found[0].matched_on == "name"


@pytest.mark.parametrize(
    "query", ["4567", "45-67", "123-45-67", "8 916 123-45-67", "+79161234567", "(916) 1234567"]
)
def test_phone_search_by_ending_and_any_format(maria, owner, query):
    found = search_clients(owner, query)

    assert [(hit.record.pk, hit.matched_on) for hit in found] == [(maria.pk, "phone")]
    assert found[0].matched_value == "+79161234567"


def test_email_search_by_any_part_ignores_case(maria, owner):
    assert _found(owner, "m.ivanova@example.com")[0] == ("Иванова Мария Петровна", "email")
    assert _found(owner, "IVANOVA@EXA")[0] == ("Иванова Мария Петровна", "email")


def test_part_of_an_address_is_found_as_that_address(maria, make_contact, owner):
    namesake = make_contact(owner, surname="Иванова", first_name="Марина")

    found = search_clients(owner, "m.ivanova")

    assert [(hit.record.pk, hit.matched_on) for hit in found] == [(maria.pk, "email")]
    # Without the dot it is a name again, and both namesakes are found.
    assert {hit.record.pk for hit in search_clients(owner, "ivanova")} >= {maria.pk, namesake.pk}


def test_tax_number_search_finds_company(make_company, owner):
    company = make_company(owner, name="Ромашка", tax_number="7707083893")

    found = search_clients(owner, "7707083893")

    assert [(hit.record.pk, hit.matched_on) for hit in found] == [(company.pk, "tax_number")]


def test_company_found_by_name_typo(make_company, owner):
    company = make_company(owner, name="Сибирские Технологии")

    found = search_clients(owner, "сибирскее техно")

    assert found
    assert found[0].record.pk == company.pk


def test_member_who_sees_only_own_finds_only_own(make_contact, owner, member, only_own):
    mine = make_contact(member, surname="Иванова", first_name="Анна", phones=["+7 916 000-45-67"])
    make_contact(owner, surname="Иванова", first_name="Мария", phones=["+7 916 123-45-67"])

    assert [hit.record.pk for hit in search_clients(member, "Иванова")] == [mine.pk]
    assert [hit.record.pk for hit in search_clients(member, "4567")] == [mine.pk]
    assert len(search_clients(owner, "4567")) == 2


def test_archived_records_are_not_found(make_contact, owner, maria):
    from crm.actions.clients import archive_contact

    archive_contact(acting_user=owner, contact=maria)

    assert search_clients(owner, "4567") == []
