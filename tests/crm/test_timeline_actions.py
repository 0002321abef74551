# ruff: noqa: RUF001 (Cyrillic text is the data)
"""The timeline's rules: every kind, versions, archive, last contact, the missed-call task."""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from crm.actions import timeline as actions
from crm.errors import CrmNotFoundError, CrmValidationError
from crm.models import Activity, ActivityVersion, Company, Contact, Task, TaskOrigin
from crm.selectors.tasks import next_step
from crm.selectors.timeline import TimelineQuery, timeline_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Actions answer in the active language: make it English here."""
    with translation.override("en"):
        yield


HOUR = dt.timedelta(hours=1)


def _log(user, record, **data):  # type: ignore[no-untyped-def]
    key = "company" if isinstance(record, Company) else "contact"
    return actions.log_activity(acting_user=user, data={key: record, **data})


def test_a_call_keeps_direction_duration_outcome_and_number(owner, make_contact):
    contact = make_contact(owner, surname="Иванов")

    call = _log(
        owner,
        contact,
        kind="call",
        direction="outgoing",
        duration_seconds=245,
        outcome="reached",
        number="+7 916 000-00-01",
        text="Договорились о встрече",
    )

    call.refresh_from_db()
    assert (call.direction, call.duration_seconds, call.number) == (
        "outgoing",
        245,
        "+7 916 000-00-01",
    )
    assert call.details == {"outcome": "reached"}
    assert call.author == owner
    assert "dogovorilis" in call.search_text


def test_a_call_needs_a_direction_and_a_known_outcome(owner, make_contact):
    contact = make_contact(owner)

    with pytest.raises(CrmValidationError) as refused:
        _log(owner, contact, kind="call", outcome="maybe", duration_seconds=-3)

    assert set(refused.value.field_errors) == {"direction", "outcome", "duration_seconds"}
    assert Activity.objects.count() == 0


def test_a_meeting_keeps_time_place_and_participants(owner, make_contact):
    contact = make_contact(owner)
    start = timezone.now() - 2 * HOUR

    meeting = _log(
        owner,
        contact,
        kind="meeting",
        occurred_at=start,
        ends_at=start + HOUR,
        place="Офис на Тверской",
        participants="Иванов, Петрова",
    )

    assert meeting.details["place"] == "Офис на Тверской"
    assert meeting.details["participants"] == ["Иванов", "Петрова"]
    assert meeting.details["ends_at"] == (start + HOUR).isoformat()
    with pytest.raises(CrmValidationError) as refused:
        _log(owner, contact, kind="meeting", occurred_at=start, ends_at=start - HOUR)
    assert "ends_at" in refused.value.field_errors


def test_email_and_message_need_direction_text_and_channel(owner, make_contact):
    contact = make_contact(owner)

    email = _log(
        owner, contact, kind="email", direction="incoming", subject="Счёт", text="Пришлите"
    )
    message = _log(
        owner, contact, kind="message", direction="outgoing", channel="telegram", text="Привет"
    )

    assert email.details == {"channel": "email"}
    assert message.details == {"channel": "telegram"}
    with pytest.raises(CrmValidationError) as refused:
        _log(owner, contact, kind="message", direction="missed", channel="fax")
    assert set(refused.value.field_errors) == {"direction", "channel", "text"}


def test_proposal_and_invoice_keep_number_amount_currency_status(owner, make_contact):
    contact = make_contact(owner)

    proposal = _log(
        owner,
        contact,
        kind="proposal",
        number="КП-12",
        amount="150 000,50",
        currency="rub",
        status="sent",
    )
    invoice = _log(
        owner,
        contact,
        kind="invoice",
        number="42",
        amount=Decimal(9000),
        currency="UAH",
        status="paid",
    )

    assert (proposal.amount, proposal.currency, proposal.status) == (
        Decimal("150000.50"),
        "RUB",
        "sent",
    )
    assert (invoice.number, invoice.status) == ("42", "paid")
    with pytest.raises(CrmValidationError) as refused:
        _log(owner, contact, kind="invoice", amount="много", currency="XYZ", status="accepted")
    assert set(refused.value.field_errors) == {"number", "amount", "currency", "status"}


def test_a_payment_needs_a_positive_amount_and_keeps_its_date(owner, make_contact):
    contact = make_contact(owner)
    paid_on = timezone.now() - dt.timedelta(days=3)

    payment = _log(
        owner, contact, kind="payment", amount="1200", currency="EUR", occurred_at=paid_on
    )

    assert (payment.amount, payment.currency, payment.occurred_at) == (
        Decimal(1200),
        "EUR",
        paid_on,
    )
    with pytest.raises(CrmValidationError) as refused:
        _log(owner, contact, kind="payment", amount="0", currency="EUR")
    assert "amount" in refused.value.field_errors


def test_a_note_needs_text_and_a_document_needs_a_file(owner, make_contact):
    contact = make_contact(owner)

    note = _log(owner, contact, kind="note", text="Любит звонки после обеда")

    assert note.kind == "note"
    with pytest.raises(CrmValidationError) as empty_note:
        _log(owner, contact, kind="note", text="   ")
    assert "text" in empty_note.value.field_errors
    with pytest.raises(CrmValidationError) as no_file:
        _log(owner, contact, kind="document")
    assert "file" in no_file.value.field_errors


def test_an_entry_needs_a_client_and_a_known_kind(owner):
    with pytest.raises(CrmValidationError):
        actions.log_activity(acting_user=owner, data={"kind": "note", "text": "x"})
    with pytest.raises(CrmValidationError):
        actions.log_activity(acting_user=owner, data={"kind": "fax", "contact": 1})


def test_editing_keeps_the_previous_version(owner, make_contact):
    contact = make_contact(owner)
    note = _log(owner, contact, kind="note", text="Первая версия")

    edited = actions.edit_activity(
        acting_user=owner, activity=note, changes={"text": "Вторая версия"}
    )

    assert edited.text == "Вторая версия"
    assert edited.edited_at is not None
    version = ActivityVersion.objects.get(activity=note)
    assert version.snapshot["text"] == "Первая версия"
    assert version.edited_by == owner
    assert "vtoraya" in Activity.objects.get(pk=note.pk).search_text


def test_an_edit_that_changes_nothing_keeps_no_version(owner, make_contact):
    note = _log(owner, make_contact(owner), kind="note", text="Та же")

    actions.edit_activity(acting_user=owner, activity=note, changes={"text": "Та же"})

    assert not ActivityVersion.objects.exists()


def test_only_the_author_or_an_admin_edits(owner, admin, member, member2, make_contact):
    contact = make_contact(owner, responsible=member.pk)
    note = _log(member, contact, kind="note", text="Моя заметка")

    with pytest.raises(PermissionDenied):
        actions.edit_activity(acting_user=member2, activity=note, changes={"text": "Чужая"})
    actions.edit_activity(acting_user=admin, activity=note, changes={"text": "Поправил админ"})

    assert Activity.objects.get(pk=note.pk).text == "Поправил админ"


def test_only_admins_archive_and_restore(owner, member, make_contact):
    contact = make_contact(owner, responsible=member.pk)
    note = _log(member, contact, kind="note", text="Лишняя")

    with pytest.raises(PermissionDenied):
        actions.archive_activity(acting_user=member, activity=note)
    actions.archive_activity(acting_user=owner, activity=note)
    assert timeline_page(owner, "contact", contact).entries == []
    assert [
        e.pk for e in timeline_page(owner, "contact", contact, TimelineQuery(archived=True)).entries
    ] == [note.pk]

    actions.restore_activity(acting_user=owner, activity=note)
    assert [e.pk for e in timeline_page(member, "contact", contact).entries] == [note.pk]


def test_member_who_sees_only_own_clients_cannot_log_or_read_others(
    owner, member, only_own, make_contact
):
    others = make_contact(owner, surname="Чужой")
    note = _log(owner, others, kind="note", text="Секрет")

    with pytest.raises(CrmNotFoundError):
        _log(member, others, kind="note", text="Попытка")
    with pytest.raises(CrmNotFoundError):
        actions.get_activity(member, note.pk)
    with pytest.raises(CrmNotFoundError):
        actions.edit_activity(acting_user=member, activity=note.pk, changes={"text": "x"})


def test_last_contact_counts_calls_meetings_and_messages_not_notes(owner, make_contact):
    contact = make_contact(owner)
    talked = timezone.now() - dt.timedelta(days=5)

    _log(owner, contact, kind="note", text="Заметка")
    _log(owner, contact, kind="call", direction="missed")
    assert Contact.objects.get(pk=contact.pk).last_contact_at is None

    call = _log(owner, contact, kind="call", direction="incoming", occurred_at=talked)
    assert Contact.objects.get(pk=contact.pk).last_contact_at == talked
    _log(owner, contact, kind="meeting", occurred_at=timezone.now() + dt.timedelta(days=2))
    assert Contact.objects.get(pk=contact.pk).last_contact_at == talked, "a planned meeting"

    earlier = talked - dt.timedelta(days=10)
    actions.edit_activity(acting_user=owner, activity=call, changes={"occurred_at": earlier})
    assert Contact.objects.get(pk=contact.pk).last_contact_at == earlier

    actions.archive_activity(acting_user=owner, activity=call)
    assert Contact.objects.get(pk=contact.pk).last_contact_at is None


def test_a_company_last_contact_counts_its_people(owner, make_contact, make_company):
    company = make_company(owner, name="Ромашка")
    contact = make_contact(owner, companies=[company.pk])
    when = timezone.now() - dt.timedelta(days=1)

    _log(owner, contact, kind="email", direction="outgoing", text="Добрый день", occurred_at=when)

    assert Company.objects.get(pk=company.pk).last_contact_at == when


def test_a_missed_call_makes_one_callback_task_for_the_manager(owner, member, make_contact):
    contact = make_contact(owner, responsible=member.pk, surname="Сидоров")

    call = _log(owner, contact, kind="call", direction="missed", number="+79160000009")

    task = Task.objects.get()
    assert (task.assignee, task.contact, task.origin) == (member, contact, TaskOrigin.MISSED_CALL)
    assert task.occurrence_key == f"missed-call:{call.uuid}"
    assert next_step(owner, contact_id=contact.pk) == task


def test_the_same_missed_call_logged_twice_makes_one_task(owner, make_contact):
    contact = make_contact(owner)
    event = "0b7f3f6e-2a8f-4a37-9d35-0b3f5f7f1e11"

    first = _log(owner, contact, kind="call", direction="missed", uuid=event)
    second = _log(owner, contact, kind="call", direction="missed", uuid=event)
    _log(owner, contact, kind="call", direction="missed")

    assert first.pk == second.pk
    assert Activity.objects.count() == 2
    assert Task.objects.count() == 2, "one task per missed call"


def test_an_answered_call_makes_no_task(owner, make_contact):
    _log(owner, make_contact(owner), kind="call", direction="incoming")

    assert not Task.objects.exists()


def test_a_call_corrected_to_missed_makes_its_callback_task_once(owner, member, make_contact):
    contact = make_contact(owner, responsible=member.pk)
    call = _log(owner, contact, kind="call", direction="incoming")

    actions.edit_activity(acting_user=owner, activity=call, changes={"direction": "missed"})
    actions.edit_activity(acting_user=owner, activity=call, changes={"text": "не дозвонились"})

    task = Task.objects.get()
    assert (task.assignee, task.origin) == (member, TaskOrigin.MISSED_CALL)
    assert task.occurrence_key == f"missed-call:{call.uuid}"


def test_a_contacts_timeline_shows_its_companys_entries_marked(owner, make_contact, make_company):
    company = make_company(owner, name="Ромашка")
    contact = make_contact(owner, companies=[company.pk])
    own = _log(owner, contact, kind="note", text="Про контакт")
    from_company = _log(owner, company, kind="note", text="Про компанию")

    page = timeline_page(owner, "contact", contact)
    company_page = timeline_page(owner, "company", company)

    assert [e.pk for e in page.entries] == [from_company.pk, own.pk]
    assert page.entries[0].from_record == company
    assert page.entries[1].from_record is None
    assert [e.from_record for e in company_page.entries] == [None, contact]


def test_filter_search_and_show_older(owner, make_contact):
    contact = make_contact(owner)
    start = timezone.now() - dt.timedelta(days=30)
    for number in range(7):
        _log(
            owner,
            contact,
            kind="note" if number % 2 else "call",
            direction="outgoing",
            text=f"Запись {number} {'договор' if number == 3 else ''}",
            occurred_at=start + dt.timedelta(days=number),
        )

    first = timeline_page(owner, "contact", contact, page_size=3)
    older = timeline_page(
        owner,
        "contact",
        contact,
        TimelineQuery.from_params({"before": first.next_position}),
        page_size=3,
    )
    notes = timeline_page(owner, "contact", contact, TimelineQuery(kinds=["note"]))
    found = timeline_page(owner, "contact", contact, TimelineQuery(search="ДОГОВОР"))

    assert [e.text.split()[1] for e in first.entries] == ["6", "5", "4"]
    assert [e.text.split()[1] for e in older.entries] == ["3", "2", "1"]
    assert older.next_position is not None
    assert len(notes.entries) == 3
    assert [e.text.split()[1] for e in found.entries] == ["3"]
