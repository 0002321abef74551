# ruff: noqa: RUF001 (Russian and Ukrainian names are the data here)
"""History of standard and custom fields and the state on a past date; merging with
everything kept, and undoing it; handing clients over; bulk actions; segments."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crm.actions import clients as actions
from crm.actions.custom_fields import create_custom_field
from crm.errors import CrmNotFoundError, CrmValidationError
from crm.history import API, ChangeSource
from crm.models import ChangeRecord, Company, ConsentRecord, Contact, Merge
from crm.selectors.cards import contact_card
from crm.selectors.history import history_for, record_state_at
from crm.selectors.lists import ClientFilter, contacts_for_list
from crm.selectors.segments import segment_filter, segments_for

pytestmark = pytest.mark.django_db


def _shift_history(record_id: int, *, days: int) -> None:
    """Move a record's history (and its creation) `days` into the past."""
    ChangeRecord.objects.filter(record_id=record_id).update(
        at=timezone.now() - dt.timedelta(days=days)
    )
    Contact.objects.filter(pk=record_id).update(created_at=timezone.now() - dt.timedelta(days=days))


def test_history_records_standard_and_custom_fields_with_who_and_via(make_contact, owner):
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="text",
        labels={"en": "Shoe size"},
        key="shoe",
    )
    contact = make_contact(owner, surname="Иванова", custom={"shoe": "38"})

    actions.update_contact(
        acting_user=owner,
        contact=contact,
        changes={"surname": "Петрова", "custom": {"shoe": "39"}, "phones": ["+79161234567"]},
        source=ChangeSource("api", "Zapier key"),
    )

    entries = {entry.field: entry for entry in history_for(contact) if entry.via == "api"}
    assert (entries["surname"].old_display, entries["surname"].new_display) == (
        "Иванова",
        "Петрова",
    )
    assert entries["custom.shoe"].field_label == "Shoe size"
    assert (entries["custom.shoe"].old_display, entries["custom.shoe"].new_display) == ("38", "39")
    assert entries["phones"].new_display == "+79161234567 (mobile)"
    assert entries["surname"].actor_name == f"{owner.display_name} · Zapier key"
    assert entries["surname"].via_label == "API"


def test_state_on_a_past_date_is_reconstructed(make_contact, owner):
    contact = make_contact(owner, surname="Иванова", position="Менеджер")
    _shift_history(contact.pk, days=10)
    actions.update_contact(
        acting_user=owner, contact=contact, changes={"surname": "Петрова", "position": "Директор"}
    )
    ChangeRecord.objects.filter(record_id=contact.pk, field="surname", new="Петрова").update(
        at=timezone.now() - dt.timedelta(days=5)
    )

    contact.refresh_from_db()
    week_ago = record_state_at(contact, timezone.now() - dt.timedelta(days=7))
    assert week_ago is not None
    assert (week_ago["surname"], week_ago["position"]) == ("Иванова", "Менеджер")
    yesterday = record_state_at(contact, timezone.now() - dt.timedelta(days=1))
    assert yesterday is not None
    assert (yesterday["surname"], yesterday["position"]) == ("Петрова", "Менеджер")
    assert record_state_at(contact, timezone.now() - dt.timedelta(days=30)) is None


def test_merge_keeps_every_phone_email_tag_consent_link_custom_value_and_history(
    make_contact, make_company, owner, member
):
    create_custom_field(
        acting_user=owner, entity="contact", field_type="text", labels={"en": "Note"}, key="note"
    )
    create_custom_field(
        acting_user=owner, entity="contact", field_type="text", labels={"en": "City"}, key="city"
    )
    firm = make_company(owner, name="Альфа")
    other_firm = make_company(owner, name="Бета")
    keep = make_contact(
        owner,
        surname="Иванова",
        first_name="Мария",
        phones=["+79161234567"],
        emails=["m@example.com"],
        tags=["VIP"],
        custom={"note": "primary"},
        companies=[{"company": firm.pk, "position": "CEO"}],
    )
    gone = make_contact(
        member,
        surname="Иванова",
        first_name="Маша",
        position="Бухгалтер",
        phones=["+79035551122"],
        emails=["masha@example.com"],
        tags=["опт"],
        custom={"note": "secondary", "city": "Тверь"},
        companies=[{"company": firm.pk, "position": "CFO"}, {"company": other_firm.pk}],
        allow_duplicate=True,
    )
    actions.give_consent(acting_user=owner, contact=gone, kind="advertising")

    merge = actions.merge_records(
        acting_user=owner,
        record_type="contact",
        primary=keep.pk,
        others=[gone.pk],
        choices={"first_name": gone.pk, "responsible": gone.pk},
    )

    keep.refresh_from_db()
    gone.refresh_from_db()
    assert (keep.first_name, keep.position, keep.responsible) == ("Маша", "Бухгалтер", member)
    assert sorted(keep.phones.values_list("e164", flat=True)) == ["+79035551122", "+79161234567"]
    assert sorted(keep.emails.values_list("address", flat=True)) == [
        "m@example.com",
        "masha@example.com",
    ]
    assert sorted(keep.tags.values_list("name", flat=True)) == ["VIP", "опт"]
    assert keep.custom == {"note": "primary", "city": "Тверь"}
    assert keep.consent_advertising == "given"
    assert ConsentRecord.objects.filter(contact=keep).count() == 1
    assert sorted(keep.company_links.values_list("company__name", flat=True)) == ["Альфа", "Бета"]
    assert gone.is_archived
    assert gone.merged_into == keep
    history_ids = {entry.record_id for entry in contact_card(owner, keep.pk).history}
    assert history_ids == {keep.pk, gone.pk}, "the merged record's history shows on the card"
    assert merge.merged_ids == [gone.pk]


def test_undo_merge_restores_both_records(make_contact, make_company, owner):
    firm = make_company(owner, name="Альфа")
    keep = make_contact(owner, surname="Иванова", phones=["+79161234567"], tags=["VIP"])
    gone = make_contact(
        owner,
        surname="Петрова",
        phones=["+79035551122"],
        emails=["p@example.com"],
        tags=["опт"],
        companies=[{"company": firm.pk, "position": "CFO"}],
    )
    actions.give_consent(acting_user=owner, contact=gone, kind="personal_data")
    merge = actions.merge_records(
        acting_user=owner,
        record_type="contact",
        primary=keep.pk,
        others=[gone.pk],
        choices={"surname": gone.pk},
    )

    actions.undo_merge(acting_user=owner, merge=merge)

    keep.refresh_from_db()
    gone.refresh_from_db()
    assert (keep.surname, gone.surname) == ("Иванова", "Петрова")
    assert not gone.is_archived
    assert gone.merged_into is None
    assert list(keep.phones.values_list("e164", flat=True)) == ["+79161234567"]
    assert list(gone.phones.values_list("e164", flat=True)) == ["+79035551122"]
    assert list(gone.emails.values_list("address", flat=True)) == ["p@example.com"]
    assert list(keep.tags.values_list("name", flat=True)) == ["VIP"]
    assert list(gone.company_links.values_list("company__name", "position")) == [("Альфа", "CFO")]
    assert (keep.consent_personal_data, gone.consent_personal_data) == ("", "given")
    assert Merge.objects.get().undone_at is not None
    with pytest.raises(CrmValidationError, match="already"):
        actions.undo_merge(acting_user=owner, merge=merge)


def test_merge_of_companies_moves_contact_persons(make_company, make_contact, owner):
    keep = make_company(owner, name="Ромашка", tax_number="7707083893")
    gone = make_company(owner, name="ООО Ромашка", tax_number="7707083893", allow_duplicate=True)
    person = make_contact(owner, surname="Иванова", companies=[{"company": gone.pk}])

    actions.merge_records(
        acting_user=owner, record_type="company", primary=keep.pk, others=[gone.pk]
    )

    assert list(person.company_links.values_list("company_id", flat=True)) == [keep.pk]
    assert Company.objects.get(pk=gone.pk).is_archived


def test_member_cannot_merge_records_they_may_not_see(make_contact, owner, member, only_own):
    theirs = make_contact(owner, surname="Чужая")
    mine = make_contact(member, surname="Моя")

    with pytest.raises(CrmNotFoundError):
        actions.merge_records(
            acting_user=member, record_type="contact", primary=mine.pk, others=[theirs.pk]
        )


def test_hand_over_moves_every_client_and_records_it(
    make_contact, make_company, owner, member, member2
):
    contacts = [make_contact(member, surname=f"Клиент {n}") for n in range(3)]
    company = make_company(member, name="Фирма")
    make_contact(member2, surname="Не его")

    counts = actions.hand_over_clients(acting_user=owner, from_member=member, to_member=member2)

    assert counts == {"contacts": 3, "companies": 1}
    assert Contact.objects.filter(responsible=member).count() == 0
    assert Contact.objects.filter(responsible=member2).count() == 4
    company.refresh_from_db()
    assert company.responsible == member2
    change = ChangeRecord.objects.get(
        record_type="contact",
        record_id=contacts[0].pk,
        field="responsible",
        via="form",
        old=member.pk,
    )
    assert (change.old, change.new, change.actor) == (member.pk, member2.pk, owner)


def test_only_admins_hand_over(owner, member, member2):
    with pytest.raises(PermissionDenied):
        actions.hand_over_clients(acting_user=member, from_member=member2, to_member=member)


def test_bulk_tag_change_manager_and_archive(make_contact, owner, member):
    first = make_contact(owner, surname="А")
    second = make_contact(owner, surname="Б", tags=["old"])
    ids = [first.pk, second.pk]

    assert (
        actions.bulk_tag(
            acting_user=member, record_type="contact", ids=ids, add=["new"], remove=["old"]
        )
        == 2
    )
    assert (
        actions.bulk_change_responsible(
            acting_user=member, record_type="contact", ids=ids, responsible=member.pk
        )
        == 2
    )
    with pytest.raises(PermissionDenied):
        actions.bulk_archive(acting_user=member, record_type="contact", ids=ids)
    assert actions.bulk_archive(acting_user=owner, record_type="contact", ids=ids) == 2

    second.refresh_from_db()
    assert list(second.tags.values_list("name", flat=True)) == ["new"]
    assert second.responsible == member
    assert second.is_archived


def test_segments_are_shared_and_filter_lists(make_contact, owner, member):
    vip = make_contact(owner, surname="Вип", tags=["VIP"])
    make_contact(owner, surname="Обычный")
    tag_id = vip.tags.get().pk

    segment = actions.create_segment(
        acting_user=owner, record_type="contact", name="VIP клиенты", filters={"tags": [tag_id]}
    )

    assert [s.name for s in segments_for(member, "contact")] == ["VIP клиенты"]
    page = contacts_for_list(member, filters=segment_filter(segment))
    assert [row.pk for row in page.rows] == [vip.pk]
    with pytest.raises(PermissionDenied):
        actions.delete_segment(acting_user=member, segment=segment)


def test_list_filters_and_sorts_by_custom_fields(make_contact, owner):
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="integer",
        labels={"en": "Score"},
        key="score",
    )
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="single_choice",
        labels={"en": "Level"},
        key="level",
        choices=[
            {"key": "gold", "labels": {"en": "Gold"}},
            {"key": "silver", "labels": {"en": "Silver"}},
        ],
    )
    low = make_contact(owner, surname="Low", custom={"score": 5, "level": "gold"})
    high = make_contact(owner, surname="High", custom={"score": 50, "level": "gold"})
    make_contact(owner, surname="Silver", custom={"score": 20, "level": "silver"})
    empty = make_contact(owner, surname="Empty")

    gold_by_score = contacts_for_list(
        owner,
        filters=ClientFilter.from_dict({"custom": [{"key": "level", "op": "eq", "value": "gold"}]}),
        sort="-custom.score",
    )
    assert [row.pk for row in gold_by_score.rows] == [high.pk, low.pk]
    ranged = contacts_for_list(
        owner,
        filters=ClientFilter.from_dict(
            {"custom": [{"key": "score", "op": "range", "min": 10, "max": 60}]}
        ),
        sort="custom.score",
    )
    assert [row.surname for row in ranged.rows] == ["Silver", "High"]
    empties = contacts_for_list(
        owner, filters=ClientFilter.from_dict({"custom": [{"key": "score", "op": "empty"}]})
    )
    assert [row.pk for row in empties.rows] == [empty.pk]
    any_of = contacts_for_list(
        owner,
        filters=ClientFilter.from_dict(
            {"custom": [{"key": "level", "op": "any_of", "values": ["silver", "gold"]}]}
        ),
    )
    assert any_of.total == 3


def test_list_filters_by_consent_source_manager_and_created(make_contact, owner, member):
    site = actions.create_source_channel(acting_user=owner, name="Сайт")
    agreed = make_contact(member, surname="Согласен", source=site.pk)
    actions.give_consent(acting_user=owner, contact=agreed, kind="advertising")
    make_contact(owner, surname="Нет")

    def ids(**filters):  # type: ignore[no-untyped-def]
        return [
            row.pk for row in contacts_for_list(owner, filters=ClientFilter.from_dict(filters)).rows
        ]

    assert ids(consent_advertising="given") == [agreed.pk]
    assert ids(sources=[site.pk]) == [agreed.pk]
    assert ids(responsible=[member.pk]) == [agreed.pk]
    assert len(ids(created_from=timezone.localdate().isoformat())) == 2
    assert ids(created_to=(timezone.localdate() - dt.timedelta(days=1)).isoformat()) == []


def test_api_source_label_is_kept(make_contact, owner):
    contact = actions.create_contact(acting_user=owner, data={"surname": "Из API"}, source=API)

    assert ChangeRecord.objects.filter(record_id=contact.pk, via="api").exists()
