"""The duplicate rule on create and edit, and the "members see only their own" setting on
lists, cards, search and duplicate warnings."""

import pytest

from crm.actions import clients as actions
from crm.errors import CrmNotFoundError, DuplicateFound
from crm.models import Contact
from crm.selectors.access import visible_contacts
from crm.selectors.cards import company_card, contact_card
from crm.selectors.lists import companies_for_list, contacts_for_list
from crm.selectors.search import search_clients

pytestmark = pytest.mark.django_db


def test_creating_a_contact_with_a_known_phone_names_the_record_and_its_manager(
    make_contact, owner, member
):
    existing = make_contact(member, surname="Иванова", phones=["+7 916 123-45-67"])

    with pytest.raises(DuplicateFound) as found:
        make_contact(owner, surname="Иванова-2", phones=["8 916 1234567"])

    (match,) = found.value.matches
    assert (match.record_id, match.record_name, match.matched_on) == (
        existing.pk,
        "Иванова Мария",
        "phone",
    )
    assert match.responsible_name == member.display_name
    assert Contact.objects.count() == 1


def test_email_duplicates_ignore_case(make_contact, owner):
    existing = make_contact(owner, surname="Иванова", emails=["Masha@Example.com"])

    with pytest.raises(DuplicateFound) as found:
        make_contact(owner, surname="Другая", emails=["masha@EXAMPLE.com"])

    assert [m.record_id for m in found.value.matches] == [existing.pk]


def test_saving_anyway_makes_the_duplicate(make_contact, owner):
    make_contact(owner, surname="Иванова", phones=["+79161234567"])

    make_contact(owner, surname="Иванова", phones=["+79161234567"], allow_duplicate=True)

    assert Contact.objects.count() == 2


def test_editing_into_a_duplicate_warns_too(make_contact, owner):
    make_contact(owner, surname="Первая", emails=["a@example.com"])
    second = make_contact(owner, surname="Вторая", emails=["b@example.com"])

    with pytest.raises(DuplicateFound):
        actions.update_contact(
            acting_user=owner, contact=second, changes={"emails": ["A@example.com"]}
        )
    actions.update_contact(
        acting_user=owner,
        contact=second,
        changes={"emails": ["A@example.com"]},
        allow_duplicate=True,
    )


def test_editing_other_fields_of_a_known_duplicate_does_not_warn(make_contact, owner):
    make_contact(owner, surname="Первая", emails=["a@example.com"])
    second = make_contact(owner, surname="Вторая", emails=["a@example.com"], allow_duplicate=True)

    actions.update_contact(acting_user=owner, contact=second, changes={"position": "CEO"})


def test_company_tax_number_duplicate(make_company, owner):
    make_company(owner, name="Ромашка", tax_number="7707083893")

    with pytest.raises(DuplicateFound) as found:
        make_company(owner, name="Ромашка 2", tax_number="7707083893")

    assert found.value.matches[0].matched_on == "tax_number"


def test_archived_records_are_not_duplicates(make_contact, owner):
    old = make_contact(owner, surname="Иванова", phones=["+79161234567"])
    actions.archive_contact(acting_user=owner, contact=old)

    make_contact(owner, surname="Иванова", phones=["+79161234567"])


def test_duplicate_warning_names_the_owner_but_not_a_hidden_record(
    make_contact, owner, member, only_own
):
    make_contact(owner, surname="Секретная", phones=["+79161234567"])

    with pytest.raises(DuplicateFound) as found:
        make_contact(member, surname="Моя", phones=["+79161234567"])

    (match,) = found.value.matches
    assert match.visible is False
    assert match.record_id is None
    assert match.record_name is None
    assert match.matched_value == ""
    assert match.responsible_name == owner.display_name


def test_only_own_setting_on_lists(make_contact, make_company, owner, member, only_own):
    mine = make_contact(member, surname="Моя")
    make_contact(owner, surname="Чужая")
    my_company = make_company(member, name="Моя фирма")
    make_company(owner, name="Чужая фирма")

    assert [row.pk for row in contacts_for_list(member).rows] == [mine.pk]
    assert contacts_for_list(member).total == 1
    assert [row.pk for row in companies_for_list(member).rows] == [my_company.pk]
    assert contacts_for_list(owner).total == 2


def test_members_see_everything_when_the_setting_is_off(make_contact, owner, member):
    make_contact(owner, surname="Чужая")

    assert contacts_for_list(member).total == 1


def test_admin_sees_all_even_with_only_own(make_contact, owner, admin, only_own):
    make_contact(owner, surname="Чужая")

    assert contacts_for_list(admin).total == 1


def test_only_own_setting_on_cards(make_contact, make_company, owner, member, only_own):
    hidden = make_contact(owner, surname="Чужая")
    hidden_company = make_company(owner, name="Чужая фирма")
    mine = make_contact(member, surname="Моя", companies=[])
    actions.link_contact_to_company(acting_user=owner, contact=mine, company=hidden_company)

    with pytest.raises(CrmNotFoundError):
        contact_card(member, hidden.pk)
    with pytest.raises(CrmNotFoundError):
        company_card(member, hidden_company.pk)
    card = contact_card(member, mine.pk)
    assert card.company_links == [], "a company the member may not see is not shown"


def test_only_own_setting_on_search(make_contact, owner, member, only_own):
    make_contact(owner, surname="Иванова", emails=["ivanova@example.com"])

    assert search_clients(member, "Иванова") == []
    assert search_clients(member, "ivanova@example.com") == []
    assert len(search_clients(owner, "Иванова")) == 1


def test_deactivated_member_sees_nothing(make_contact, owner, member):
    make_contact(member, surname="Моя")
    member.is_active = False

    assert not visible_contacts(member).exists()


def test_long_lists_count_up_to_the_limit(make_contact, owner, monkeypatch):
    from crm.selectors import lists

    monkeypatch.setattr(lists, "COUNT_LIMIT", 3)
    for number in range(5):
        make_contact(owner, surname=f"N{number}")

    page = contacts_for_list(owner, per_page=2)

    assert (page.total, page.total_is_exact, page.total_label) == (3, False, "3+")
    assert page.has_next
    assert len(contacts_for_list(owner, per_page=2, page=3).rows) == 1
