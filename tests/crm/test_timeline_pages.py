"""The timeline on the cards: quick entry, the full form, files, access, edit and archive."""

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.middleware.csrf import CSRF_TOKEN_LENGTH
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from crm.actions import timeline as actions
from crm.models import Activity, ActivityVersion, Task
from crm.selectors.timeline import timeline_page
from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Actions called directly answer in the active language: make it English here."""
    with translation.override("en"):
        yield


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _card(contact) -> str:  # type: ignore[no-untyped-def]
    return reverse("crm_contact_detail", args=[contact.pk])


def _log_url(contact) -> str:  # type: ignore[no-untyped-def]
    return reverse("crm_activity_log", args=["contact", contact.pk])


def test_the_card_shows_the_timeline_with_quick_entry_and_summary(
    in_workspace, owner, make_contact
):
    contact = make_contact(owner, surname="Иванов")
    actions.log_activity(
        acting_user=owner,
        data={"contact": contact, "kind": "call", "direction": "incoming", "outcome": "reached"},
    )

    page = text_of(browser_for(in_workspace, owner).get(_card(contact)))

    assert "Log a call" in page
    assert "Add a note" in page
    assert "Attach a file" in page
    assert "Last contact" in page
    assert "Next planned step" in page
    assert "Talked" in page
    assert "none planned" in page


def test_logging_a_call_from_the_card_in_one_form(in_workspace, owner, member, make_contact):
    contact = make_contact(owner, responsible=member.pk)
    browser = browser_for(in_workspace, member)

    response = browser.post(
        _log_url(contact),
        {
            "kind": "call",
            "quick": "1",
            "direction": "missed",
            "outcome": "no_answer",
            "number": "+79160000001",
        },
    )

    assert response.status_code == 302
    call = Activity.objects.get()
    assert (call.kind, call.direction, call.author) == ("call", "missed", member)
    assert Task.objects.get().assignee == member
    card = text_of(browser.get(_card(contact)))
    assert "Call back" in card, "the next planned step is the call-back"


def test_the_full_form_logs_a_meeting_and_shows_errors(in_workspace, owner, make_contact):
    contact = make_contact(owner)
    browser = browser_for(in_workspace, owner)

    form = browser.get(_log_url(contact) + "?kind=meeting")
    bad = browser.post(
        _log_url(contact),
        {
            "kind": "meeting",
            "occurred_at": "2026-11-20T10:00",
            "ends_at": "2026-11-20T09:00",
        },
    )
    good = browser.post(
        _log_url(contact),
        {
            "kind": "meeting",
            "occurred_at": "2026-11-20T10:00",
            "ends_at": "2026-11-20T11:30",
            "place": "Кафе",
            "participants": "Анна, Борис",
        },
    )

    assert form.status_code == 200
    assert "Participants" in text_of(form)
    assert bad.status_code == 400
    assert "A meeting ends after it starts." in text_of(bad)
    assert good.status_code == 302
    assert Activity.objects.get().details["participants"] == ["Анна", "Борис"]


def test_attach_a_file_and_download_it(in_workspace, owner, make_contact):
    contact = make_contact(owner)
    browser = browser_for(in_workspace, owner)

    browser.post(
        _log_url(contact),
        {"kind": "document", "quick": "1", "file": SimpleUploadedFile("Договор.pdf", PDF)},
    )
    document = Activity.objects.get()
    download = browser.get(reverse("crm_activity_file", args=[document.pk]))

    assert document.file.name.startswith(f"timeline/{document.uuid}/")
    assert document.file_type == "application/pdf"
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/octet-stream"
    assert "attachment" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "Programs and scripts"),
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 60, "Programs and scripts"),
        ("page.html", b"<html><script>alert(1)</script></html>", "Web pages"),
        ("report.pdf", b"<!DOCTYPE html><p>hi</p>", "Web pages"),
        ("photo.png", PDF, "does not match"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', "SVG"),
        ("tool.bin", b"\x00\x01\x02", "cannot be attached"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_files_of_a_wrong_type_are_refused(owner, make_contact, name, content, reason):
    contact = make_contact(owner)

    with pytest.raises(actions.CrmValidationError) as refused:
        actions.log_activity(
            acting_user=owner,
            data={
                "contact": contact,
                "kind": "document",
                "file": SimpleUploadedFile(name, content),
            },
        )

    assert reason in refused.value.field_errors["file"][0]
    assert not Activity.objects.exists()


def test_a_file_over_the_size_limit_is_refused(owner, make_contact, settings):
    settings.TIMELINE_MAX_FILE_BYTES = 1024
    contact = make_contact(owner)

    with pytest.raises(actions.CrmValidationError) as refused:
        actions.log_activity(
            acting_user=owner,
            data={
                "contact": contact,
                "kind": "document",
                "file": SimpleUploadedFile("big.pdf", PDF + b"0" * 2048),
            },
        )

    assert "too large" in refused.value.field_errors["file"][0]


def test_allowed_files_pass(owner, make_contact):
    contact = make_contact(owner)
    for name, content in (
        ("scan.png", PNG),
        ("Смета.xlsx", b"PK\x03\x04" + b"\x00" * 40),
        ("notes.txt", "Привет, мир".encode("cp1251")),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1"/></svg>'),
    ):
        actions.log_activity(
            acting_user=owner,
            data={
                "contact": contact,
                "kind": "document",
                "file": SimpleUploadedFile(name, content),
            },
        )

    assert Activity.objects.count() == 4


def test_a_member_who_sees_only_own_clients_gets_404_for_others_timeline_and_files(
    in_workspace, owner, member, only_own, make_contact
):
    others = make_contact(owner, surname="Чужой")
    document = actions.log_activity(
        acting_user=owner,
        data={"contact": others, "kind": "document", "file": SimpleUploadedFile("a.pdf", PDF)},
    )
    browser = browser_for(in_workspace, member)

    assert browser.get(reverse("crm_activity_file", args=[document.pk])).status_code == 404
    assert browser.get(reverse("crm_activity_versions", args=[document.pk])).status_code == 404
    assert browser.get(reverse("crm_activity_edit", args=[document.pk])).status_code == 404
    assert browser.post(_log_url(others), {"kind": "note", "text": "x"}).status_code == 404
    assert (
        browser.get(
            reverse("crm_timeline", args=["contact", others.pk]), headers={"HX-Request": "true"}
        ).status_code
        == 404
    )
    assert Activity.objects.count() == 1


def test_a_contact_card_hides_entries_of_a_company_the_member_may_not_see(
    owner, member, only_own, make_contact, make_company
):
    company = make_company(owner, name="Чужая фирма")
    contact = make_contact(owner, responsible=member.pk, companies=[company.pk])
    actions.log_activity(
        acting_user=owner, data={"company": company, "kind": "note", "text": "Секрет фирмы"}
    )

    assert timeline_page(member, "contact", contact).entries == []
    assert len(timeline_page(owner, "contact", contact).entries) == 1


def test_edit_page_keeps_the_previous_version_and_shows_it(in_workspace, owner, make_contact):
    contact = make_contact(owner)
    note = actions.log_activity(
        acting_user=owner, data={"contact": contact, "kind": "note", "text": "Старый текст"}
    )
    browser = browser_for(in_workspace, owner)

    response = browser.post(
        reverse("crm_activity_edit", args=[note.pk]),
        {"text": "Новый текст", "occurred_at": ""},
    )
    card = text_of(browser.get(_card(contact)))
    versions = text_of(browser.get(reverse("crm_activity_versions", args=[note.pk])))

    assert response.status_code == 302
    assert ActivityVersion.objects.get().snapshot["text"] == "Старый текст"
    assert "edited" in card
    assert "Старый текст" in versions
    assert "Новый текст" in versions


def test_members_see_no_archive_button_and_cannot_archive(
    in_workspace, owner, member, make_contact
):
    contact = make_contact(owner, responsible=member.pk)
    note = actions.log_activity(
        acting_user=member, data={"contact": contact, "kind": "note", "text": "Заметка"}
    )
    browser = browser_for(in_workspace, member)

    card = text_of(browser.get(_card(contact)))
    response = browser.post(reverse("crm_activity_archive", args=[note.pk]))

    assert reverse("crm_activity_archive", args=[note.pk]) not in card
    assert response.status_code == 403
    assert Activity.objects.get().archived_at is None


def test_admin_archives_and_restores_from_the_card(in_workspace, owner, make_contact):
    contact = make_contact(owner)
    note = actions.log_activity(
        acting_user=owner, data={"contact": contact, "kind": "note", "text": "Лишняя запись"}
    )
    browser = browser_for(in_workspace, owner)

    browser.post(reverse("crm_activity_archive", args=[note.pk]))
    hidden = text_of(browser.get(_card(contact)))
    archived_view = text_of(browser.get(_card(contact) + "?tl_archived=1"))
    browser.post(reverse("crm_activity_restore", args=[note.pk]))

    assert "Лишняя запись" not in hidden
    assert "Лишняя запись" in archived_view
    assert Activity.objects.get().archived_at is None


def test_htmx_filter_and_show_older_return_only_the_list(in_workspace, owner, make_contact):
    contact = make_contact(owner)
    start = timezone.now() - dt.timedelta(days=100)
    Activity.objects.bulk_create(
        Activity(
            contact=contact,
            kind="note",
            text=f"Запись номер {number}",
            search_text=f"zapis nomer {number}",
            occurred_at=start + dt.timedelta(days=number),
            author=owner,
        )
        for number in range(40)
    )
    browser = browser_for(in_workspace, owner)
    url = reverse("crm_timeline", args=["contact", contact.pk])

    first = text_of(browser.get(url, headers={"HX-Request": "true"}))
    search = text_of(browser.get(url, {"tl_q": "номер 7"}, headers={"HX-Request": "true"}))
    plain = browser.get(url, {"tl_kind": "call"})

    assert "<html" not in first
    assert "Запись номер 39" in first
    assert "Show older" in first
    assert "Запись номер 7<" in search or "Запись номер 7\n" in search
    assert plain.status_code == 302
    assert plain["Location"].startswith(_card(contact))


def _entries(contact, owner, count: int) -> None:  # type: ignore[no-untyped-def]
    start = timezone.now() - dt.timedelta(days=count)
    Activity.objects.bulk_create(
        Activity(
            contact=contact,
            kind=("call", "note", "email")[number % 3],
            direction="outgoing" if number % 3 != 1 else "",
            text=f"Запись {number}",
            occurred_at=start + dt.timedelta(hours=number),
            author=owner,
            edited_at=timezone.now() if number % 5 == 0 else None,
        )
        for number in range(count)
    )


def test_card_with_its_timeline_runs_the_same_queries_for_10_and_1000_entries(
    in_workspace, owner, make_contact, make_company
):
    company = make_company(owner, name="Фирма")
    small = make_contact(owner, surname="Малый", companies=[company.pk])
    big = make_contact(owner, surname="Большой", companies=[company.pk])
    _entries(small, owner, 10)
    _entries(big, owner, 1000)
    browser = browser_for(in_workspace, owner)
    browser.get(_card(small))  # warm the caches a first request fills

    with CaptureQueriesContext(connection) as few:
        assert browser.get(_card(small)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert browser.get(_card(big)).status_code == 200

    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 25


def test_the_quick_entry_made_once_carries_each_cards_log_url_and_the_visitors_token(
    in_workspace, owner, make_contact
):
    first = make_contact(owner, surname="Иванов")
    second = make_contact(owner, surname="Петров", allow_duplicate=True)
    browser = browser_for(in_workspace, owner)

    for contact in (first, second, first):
        html = browser.get(_card(contact)).content.decode()
        quick = html[html.index('class="timeline-quick"') : html.index('class="timeline-filters"')]
        assert quick.count(f'action="{_log_url(contact)}"') == 3
        assert "quick-entry-log-url" not in quick
        tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', quick)
        assert len(tokens) == 3
        assert all(len(token) == CSRF_TOKEN_LENGTH and token.isalnum() for token in tokens)


def test_the_quick_entry_made_once_speaks_the_readers_language(in_workspace, owner):
    from django.test import RequestFactory

    from crm.views.timeline import quick_entry_html

    request = RequestFactory().get("/")
    with translation.override("en"):
        english = quick_entry_html(request, "/log/")
    with translation.override("ru"):
        russian = quick_entry_html(request, "/log/")

    assert "Log a call" in english
    assert "Записать звонок" in russian
