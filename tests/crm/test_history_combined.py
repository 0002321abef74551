"""A row holding several changes of one record (what bulk writes store, crm.history.COMBINED)
reads exactly as the same changes written one row each: the card's history entries, their
order, who and through what, and the record's state on a past date."""

import datetime as dt
from dataclasses import asdict

import pytest
from django.utils import timezone

from crm.actions import clients as actions
from crm.actions.custom_fields import create_custom_field
from crm.history import COMBINED, ChangeSource, combined_changes
from crm.models import ChangeRecord, Contact
from crm.selectors.history import history_for, record_state_at

pytestmark = pytest.mark.django_db


def _combine(changeset_rows: list[ChangeRecord]) -> None:
    """Replace one changeset's rows of one record by a single combined row, same order."""
    first = changeset_rows[0]
    ChangeRecord.objects.filter(pk__in=[row.pk for row in changeset_rows]).delete()
    ChangeRecord.objects.create(
        record_type=first.record_type,
        record_id=first.record_id,
        field=COMBINED,
        old=None,
        new=combined_changes([(row.field, row.old, row.new) for row in changeset_rows]),
        actor=first.actor,
        actor_label=first.actor_label,
        via=first.via,
        changeset=first.changeset,
        at=first.at,
    )


def _shown(contact: Contact) -> list[dict[str, object]]:
    return [
        {key: value for key, value in asdict(entry).items() if key != "changeset"}
        for entry in history_for(contact)
    ]


def test_a_combined_row_shows_as_its_changes_did(make_contact, owner):
    create_custom_field(
        acting_user=owner, entity="contact", field_type="text", labels={"ru": "Размер"}, key="size"
    )
    contact = make_contact(owner, surname="Иванова", position="Менеджер", custom={"size": "38"})
    ten_days_ago = timezone.now() - dt.timedelta(days=10)
    ChangeRecord.objects.filter(record_id=contact.pk).update(at=ten_days_ago)
    Contact.objects.filter(pk=contact.pk).update(created_at=ten_days_ago)
    actions.update_contact(
        acting_user=owner,
        contact=contact,
        changes={
            "surname": "Петрова",
            "position": "Директор",
            "custom": {"size": "39"},
            "phones": ["+79161234567"],
            "tags": ["VIP"],
        },
        source=ChangeSource("import", "import #7 · clients.csv"),
    )
    contact.refresh_from_db()
    separate = _shown(contact)
    state_before = record_state_at(contact, timezone.now() - dt.timedelta(days=5))
    update_rows = list(
        ChangeRecord.objects.filter(record_id=contact.pk, via="import").order_by("id")
    )
    assert len(update_rows) >= 5

    _combine(update_rows)

    assert ChangeRecord.objects.filter(record_id=contact.pk, via="import").count() == 1
    combined = _shown(contact)
    assert [entry["field"] for entry in combined] == [entry["field"] for entry in separate]
    assert combined == separate
    assert record_state_at(contact, timezone.now() - dt.timedelta(days=5)) == state_before
    assert state_before is not None
    assert (state_before["surname"], state_before["custom.size"]) == ("Иванова", "38")
    assert state_before["phones"] == []


def test_a_combined_creation_row_shows_the_creation_and_its_collections(make_contact, owner):
    contact = make_contact(
        owner, surname="Сидоров", phones=["+79160000001"], emails=["s@example.com"], tags=["опт"]
    )
    separate = _shown(contact)
    _combine(list(ChangeRecord.objects.filter(record_id=contact.pk).order_by("id")))

    assert _shown(contact) == separate
    assert {entry["field"] for entry in separate} >= {"record", "phones", "emails", "tags"}


def test_bulk_writes_store_a_row_per_record_and_show_every_change(make_contact, owner):
    from django.db import transaction

    from crm.actions.bulk import BulkRecord, bulk_upsert_contacts

    existing = make_contact(owner, surname="Старый", first_name="Иван")
    source = ChangeSource("import", "import #3 · clients.csv")
    with transaction.atomic():
        outcome = bulk_upsert_contacts(
            [
                BulkRecord(
                    row_number=1,
                    fields={"surname": "Новый", "first_name": "Пётр"},
                    phones=[("+79160000001", "8 916 000-00-01", "mobile")],
                    emails=["new@example.com"],
                    tags=["опт"],
                ),
                BulkRecord(
                    row_number=2,
                    existing_id=existing.pk,
                    fields={"first_name": "Степан", "position": "Директор"},
                ),
            ],
            acting_user=owner,
            source=source,
        )
    created = Contact.objects.get(pk=outcome.created[1])

    assert ChangeRecord.objects.filter(record_id=created.pk, via="import").count() == 1
    assert ChangeRecord.objects.filter(record_id=existing.pk, via="import").count() == 1
    new_entries = {entry.field: entry for entry in history_for(created)}
    assert {"record", "phones", "emails", "tags"} <= set(new_entries)
    assert new_entries["record"].new_display == "Новый Пётр"
    assert new_entries["phones"].new_display == "+79160000001 (mobile)"
    assert all(
        entry.actor_name.endswith("import #3 · clients.csv") for entry in new_entries.values()
    )
    updated = {entry.field: entry for entry in history_for(existing) if entry.via == "import"}
    assert (updated["first_name"].old_display, updated["first_name"].new_display) == (
        "Иван",
        "Степан",
    )
    assert updated["position"].new_display == "Директор"
