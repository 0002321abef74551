# ruff: noqa: RUF001 (Russian and Ukrainian names are the data here)
"""Creating and editing contacts and companies: validation, phones, e-mails, tax numbers,
required fields (and "to complete"), consents, links, archive and restore."""

import pytest
from django.core.exceptions import PermissionDenied

from crm.actions import clients as actions
from crm.actions.custom_fields import create_custom_field, set_required_standard_fields
from crm.errors import CrmNotFoundError, CrmValidationError, ErrorCode
from crm.models import ChangeRecord, ConsentRecord, Contact, Tag
from crm.selectors.lists import contacts_to_complete
from tenants.guards import WorkspaceReadOnlyError
from tenants.models import WorkspaceStatus

pytestmark = pytest.mark.django_db


def test_contact_keeps_phone_as_typed_beside_e164_and_email_as_entered(make_contact, owner):
    contact = make_contact(
        owner,
        surname="Иванова",
        first_name="Мария",
        patronymic="Петровна",
        phones=[{"number": "8 (916) 123-45-67", "label": "work"}, "+380 44 123 4567"],
        emails=["Maria.Ivanova@Example.COM"],
        messengers=[{"kind": "telegram", "handle": "@masha"}],
        tags=["VIP", "опт"],
    )

    phones = [(p.e164, p.raw, p.label) for p in contact.phones.all()]
    assert phones == [
        ("+79161234567", "8 (916) 123-45-67", "work"),
        ("+380441234567", "+380 44 123 4567", "mobile"),
    ]
    email = contact.emails.get()
    assert (email.address, email.address_casefold) == (
        "Maria.Ivanova@Example.COM",
        "maria.ivanova@example.com",
    )
    assert sorted(t.name for t in contact.tags.all()) == ["VIP", "опт"]
    assert contact.responsible == owner, "the creator is responsible by default"
    assert contact.full_name == "Иванова Мария Петровна"


def test_impossible_phone_is_refused_with_a_translated_message(make_contact, owner):
    from django.utils import translation

    with translation.override("ru"), pytest.raises(CrmValidationError) as refused:
        make_contact(owner, phones=["123"])

    assert "phones" in refused.value.field_errors
    assert "не может быть номером телефона" in refused.value.field_errors["phones"][0]
    assert not Contact.objects.exists()


def test_invalid_email_is_refused(make_contact, owner):
    with pytest.raises(CrmValidationError) as refused:
        make_contact(owner, emails=["not-an-email"])

    assert list(refused.value.field_errors) == ["emails"]


@pytest.mark.parametrize("tax_number", ["7707083893", "500100732259", "00032129", "14360570"])
def test_valid_tax_numbers_are_kept_with_leading_zeros(make_company, owner, tax_number):
    company = make_company(owner, name=f"Firm {tax_number}", tax_number=tax_number)

    company.refresh_from_db()
    assert company.tax_number == tax_number


@pytest.mark.parametrize("tax_number", ["7707083894", "123", "00032128", "50010073225X"])
def test_tax_numbers_with_wrong_checksum_are_refused(make_company, owner, tax_number):
    with pytest.raises(CrmValidationError) as refused:
        make_company(owner, tax_number=tax_number)

    assert list(refused.value.field_errors) == ["tax_number"]


def test_contact_needs_a_name(make_contact, owner):
    with pytest.raises(CrmValidationError) as refused:
        make_contact(owner, first_name="", surname="")

    assert "first_name" in refused.value.field_errors


def test_update_changes_only_given_fields_and_writes_history(make_contact, owner):
    contact = make_contact(owner, surname="Иванова", phones=["+79161234567"])

    actions.update_contact(
        acting_user=owner, contact=contact, changes={"surname": "Петрова", "position": "CEO"}
    )

    contact.refresh_from_db()
    assert (contact.surname, contact.first_name, contact.position) == ("Петрова", "Мария", "CEO")
    assert contact.phones.count() == 1
    changed = dict(
        ChangeRecord.objects.filter(record_id=contact.pk, field__in=["surname", "position"])
        .exclude(old=None)
        .values_list("field", "new")
    )
    assert changed == {"surname": "Петрова", "position": "CEO"}


def test_required_standard_field_is_enforced_on_create_and_edit(make_contact, owner):
    set_required_standard_fields(acting_user=owner, entity="contact", fields=["phones"])

    with pytest.raises(CrmValidationError) as refused:
        make_contact(owner, surname="Без телефона")
    assert refused.value.code == ErrorCode.REQUIRED
    assert list(refused.value.field_errors) == ["phones"]

    contact = make_contact(owner, surname="С телефоном", phones=["+79161234567"])
    with pytest.raises(CrmValidationError) as cleared:
        actions.update_contact(acting_user=owner, contact=contact, changes={"phones": []})
    assert cleared.value.code == ErrorCode.REQUIRED


def test_required_custom_field_is_enforced_on_create(make_contact, owner):
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="text",
        labels={"en": "Client number"},
        key="client_no",
        required=True,
    )

    with pytest.raises(CrmValidationError) as refused:
        make_contact(owner, surname="Иванова")
    assert refused.value.code == ErrorCode.REQUIRED
    assert "custom.client_no" in refused.value.field_errors

    contact = make_contact(owner, surname="Иванова", custom={"client_no": "A-1"})
    assert contact.custom == {"client_no": "A-1"}


def test_records_made_before_a_field_became_required_stay_editable_and_are_to_complete(
    make_contact, owner
):
    old = make_contact(owner, surname="Старая")
    complete = make_contact(owner, surname="Полная", phones=["+79161234567"], custom={})
    set_required_standard_fields(acting_user=owner, entity="contact", fields=["phones"])
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="integer",
        labels={"en": "Score"},
        key="score",
        required=True,
    )

    actions.update_contact(acting_user=owner, contact=old, changes={"position": "Бухгалтер"})

    old.refresh_from_db()
    assert old.position == "Бухгалтер"
    listed = [row.pk for row in contacts_to_complete(owner).rows]
    assert old.pk in listed
    assert complete.pk in listed, "it lacks the new required custom field"
    actions.update_contact(
        acting_user=owner,
        contact=complete,
        changes={"custom": {"score": 5}},
    )
    assert [row.pk for row in contacts_to_complete(owner).rows] == [old.pk]


def test_custom_values_are_validated_on_every_write(make_contact, owner):
    create_custom_field(
        acting_user=owner, entity="contact", field_type="integer", labels={"en": "Age"}, key="age"
    )

    with pytest.raises(CrmValidationError) as refused:
        make_contact(owner, custom={"age": "много"})

    assert "custom.age" in refused.value.field_errors


def test_consents_are_separate_and_withdrawal_keeps_history(make_contact, owner):
    contact = make_contact(owner, surname="Иванова")

    actions.give_consent(
        acting_user=owner,
        contact=contact,
        kind="personal_data",
        consent_source="form",
        text_version="policy v3",
    )
    actions.give_consent(acting_user=owner, contact=contact, kind="advertising")
    actions.withdraw_consent(acting_user=owner, contact=contact, kind="advertising")

    contact.refresh_from_db()
    assert (contact.consent_personal_data, contact.consent_advertising) == ("given", "withdrawn")
    records = list(
        ConsentRecord.objects.filter(contact=contact)
        .order_by("id")
        .values_list("kind", "status", "source", "text_version", "recorded_by")
    )
    assert records == [
        ("personal_data", "given", "form", "policy v3", owner.pk),
        ("advertising", "given", "manual", "", owner.pk),
        ("advertising", "withdrawn", "manual", "", owner.pk),
    ]


def test_contact_in_several_companies_with_positions(make_contact, make_company, owner):
    first = make_company(owner, name="Альфа")
    second = make_company(owner, name="Бета")
    contact = make_contact(
        owner, surname="Иванова", companies=[{"company": first.pk, "position": "CEO"}]
    )

    actions.link_contact_to_company(
        acting_user=owner, contact=contact, company=second, position="Advisor"
    )

    links = sorted(contact.company_links.values_list("company__name", "position"))
    assert links == [("Альфа", "CEO"), ("Бета", "Advisor")]
    actions.unlink_contact_from_company(acting_user=owner, contact=contact, company=first)
    assert list(contact.company_links.values_list("company__name", flat=True)) == ["Бета"]
    assert ChangeRecord.objects.filter(
        record_type="company", record_id=first.pk, field="contacts"
    ).exists()


def test_archive_and_restore(make_contact, owner):
    contact = make_contact(owner, surname="Иванова")

    actions.archive_contact(acting_user=owner, contact=contact)
    contact.refresh_from_db()
    assert contact.is_archived
    actions.restore_contact(acting_user=owner, contact=contact)
    contact.refresh_from_db()
    assert not contact.is_archived


def test_read_only_workspace_refuses_writes(make_contact, owner, in_workspace):
    contact = make_contact(owner, surname="Иванова")
    in_workspace.workspace.status = WorkspaceStatus.READ_ONLY

    with pytest.raises(WorkspaceReadOnlyError):
        actions.update_contact(acting_user=owner, contact=contact, changes={"surname": "X"})
    with pytest.raises(WorkspaceReadOnlyError):
        make_contact(owner, surname="Новая")


def test_member_cannot_edit_a_contact_they_may_not_see(make_contact, owner, member, only_own):
    contact = make_contact(owner, surname="Чужая")

    with pytest.raises(CrmNotFoundError):
        actions.update_contact(acting_user=member, contact=contact, changes={"surname": "X"})


def test_source_list_is_edited_by_admins(owner, member, make_contact):
    site = actions.create_source_channel(acting_user=owner, name="Сайт")
    actions.create_source_channel(acting_user=owner, name="Выставка")
    with pytest.raises(PermissionDenied):
        actions.create_source_channel(acting_user=member, name="Холодный звонок")

    contact = make_contact(owner, surname="Иванова", source=site.pk)
    actions.rename_source_channel(acting_user=owner, channel=site, name="Веб-сайт")
    actions.archive_source_channel(acting_user=owner, channel=site)

    contact.refresh_from_db()
    assert contact.source.name == "Веб-сайт", "records keep an archived source"
    with pytest.raises(CrmValidationError):
        make_contact(owner, surname="Новая", source=site.pk)


def test_tags_are_matched_case_insensitively(make_contact, owner):
    make_contact(owner, surname="А", tags=["VIP"])
    make_contact(owner, surname="Б", tags=["vip"])

    assert Tag.objects.count() == 1
