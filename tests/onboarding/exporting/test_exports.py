# ruff: noqa: DTZ001 (spreadsheet cells hold naive local date-times)
"""Exports as admins use them: every entity in CSV and XLSX, the lists' filters and
segments, the audit record, the background path, links, access and a read-only workspace."""

import csv
import datetime as dt
import io
import time
from decimal import Decimal

import openpyxl
import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from crm.actions.custom_fields import create_custom_field
from crm.models import (
    Activity,
    Deal,
    Pipeline,
    Segment,
    Stage,
    Tag,
    Task,
    TaskStatus,
)
from onboarding.exporting import actions
from onboarding.exporting.models import ExportJob, ExportStatus
from tenants.members.models import AuditEntry
from tenants.models import Workspace, WorkspaceStatus
from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


def _fields(owner):
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="integer",
        key="visits",
        labels={"en": "Visits", "ru": "Визиты"},
    )
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="decimal",
        key="discount",
        labels={"en": "Discount"},
    )
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="date",
        key="policy_ends",
        labels={"en": "Policy ends"},
    )
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="boolean",
        key="vip",
        labels={"en": "VIP"},
    )
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="money",
        key="budget",
        labels={"en": "Budget"},
    )
    create_custom_field(
        acting_user=owner,
        entity="contact",
        field_type="single_choice",
        key="level",
        labels={"en": "Level"},
        choices=[{"key": "gold", "labels": {"en": "Gold", "ru": "Золото"}}],
    )


def _maria(owner, make_contact, make_company, **extra):
    company = make_company(owner, name="Ромашка", tax_number="")
    return make_contact(
        owner,
        surname="Иванова",
        first_name="Мария",
        birthday="1990-05-17",
        phones=["+7 916 123-45-67", "+7 495 000-00-01"],
        emails=["maria@example.com"],
        tags=["vip", "опт"],
        companies=[company.pk],
        custom={
            "visits": 12,
            "discount": "7,5",
            "policy_ends": "31.12.2026",
            "vip": True,
            "budget": {"amount": "1500.50", "currency": "RUB"},
            "level": "gold",
        },
        **extra,
    )


def _start(client, **data):
    form = {"entity": "contacts", "file_format": "csv", "delimiter": ",", **data}
    return client.post("/settings/exports/start/", form)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _csv_rows(response) -> list[list[str]]:
    data = _body(response)
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    text = data[3:].decode("utf-8")
    delimiter = ";" if text.splitlines()[0].count(";") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _xlsx(response):
    return openpyxl.load_workbook(io.BytesIO(_body(response))).active


# ---------------------------------------------------------------- contents


def test_contacts_csv_has_headers_custom_fields_and_joined_collections(
    in_workspace, owner, make_contact, make_company
):
    _fields(owner)
    _maria(owner, make_contact, make_company)

    response = _start(browser_for(in_workspace, owner))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert 'filename="acme-contacts-' in response["Content-Disposition"]
    header, row = _csv_rows(response)
    record = dict(zip(header, row, strict=True))
    assert record["Surname"] == "Иванова"
    assert record["First name"] == "Мария"
    # Phones start with "+": neutralised, as every text cell a spreadsheet would run.
    assert record["Phones"] == "'+79161234567, +74950000001"
    assert record["E-mails"] == "maria@example.com"
    assert record["Tags"] == "vip, опт"
    assert record["Companies"] == "Ромашка"
    assert record["Birthday"] == "1990-05-17"
    assert record["Visits"] == "12"
    assert record["Discount"] == "7.5"
    assert record["Policy ends"] == "2026-12-31"
    assert record["VIP"] == "Yes"
    assert record["Budget"] == "1500.50"
    assert record["Budget, currency"] == "RUB"
    assert record["Level"] == "Gold"
    assert record["Responsible manager"] == owner.display_name


def test_csv_in_russian_uses_semicolons_translated_headers_and_decimal_commas(
    in_workspace, owner, make_contact, make_company
):
    _fields(owner)
    _maria(owner, make_contact, make_company)

    response = _start(browser_for(in_workspace, owner, "ru"), delimiter=";")

    header, row = _csv_rows(response)
    record = dict(zip(header, row, strict=True))
    assert record["Фамилия"] == "Иванова"
    assert record["Визиты"] == "12"
    assert record["Discount"] == "7,5"
    assert record["Policy ends"] == "31.12.2026"
    assert record["Level"] == "Золото"
    assert record["День рождения"] == "17.05.1990"


def test_contacts_xlsx_has_typed_cells(in_workspace, owner, make_contact, make_company):
    _fields(owner)
    contact = _maria(owner, make_contact, make_company)

    response = _start(browser_for(in_workspace, owner), file_format="xlsx")

    assert response.status_code == 200
    sheet = _xlsx(response)
    header = [cell.value for cell in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    assert cells["ID"].value == contact.pk
    assert cells["ID"].data_type == "n"
    assert cells["Phones"].value == "+79161234567, +74950000001"  # a string: no apostrophe
    assert cells["Phones"].data_type == "s"
    assert cells["Birthday"].is_date
    assert cells["Birthday"].value == dt.datetime(1990, 5, 17)
    assert cells["Visits"].value == 12
    assert cells["Visits"].data_type == "n"
    assert cells["Discount"].value == 7.5
    assert cells["Policy ends"].is_date
    assert cells["VIP"].value is True
    assert cells["VIP"].data_type == "b"
    assert cells["Budget"].value == 1500.5
    assert cells["Created"].is_date
    created = timezone.localtime(contact.created_at, cells_zone(in_workspace))
    assert cells["Created"].value == created.replace(tzinfo=None, microsecond=0)


def cells_zone(new):
    import zoneinfo

    return zoneinfo.ZoneInfo(new.workspace.time_zone)


def test_companies_export_keeps_tax_numbers_as_text(in_workspace, owner, make_company):
    make_company(
        owner, name="Зоряна", tax_number="00032129", headcount=40, addresses=["Київ, Хрещатик 1"]
    )

    csv_response = _start(browser_for(in_workspace, owner), entity="companies")
    xlsx_response = _start(browser_for(in_workspace, owner), entity="companies", file_format="xlsx")

    header, row = _csv_rows(csv_response)
    record = dict(zip(header, row, strict=True))
    assert record["Tax number"] == "00032129"
    assert record["Headcount"] == "40"
    assert record["Addresses"] == "Київ, Хрещатик 1"
    sheet = _xlsx(xlsx_response)
    cells = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert cells["Tax number"].value == "00032129"
    assert cells["Tax number"].data_type == "s"
    assert cells["Headcount"].value == 40


def test_formulas_in_contact_fields_are_neutralised(in_workspace, owner, make_contact):
    make_contact(
        owner,
        surname='=HYPERLINK("http://evil.example","Invoice")',
        first_name="@SUM(1+1)",
        position="-2+3+cmd|' /C calc'!A0",
        pinned_note="\uff1d1+1",
    )

    rows = _csv_rows(_start(browser_for(in_workspace, owner)))
    sheet = _xlsx(_start(browser_for(in_workspace, owner), file_format="xlsx"))

    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Surname"] == '\'=HYPERLINK("http://evil.example","Invoice")'
    assert record["First name"] == "'@SUM(1+1)"
    assert record["Position"] == "'-2+3+cmd|' /C calc'!A0"
    assert record["Pinned note"] == "'\uff1d1+1"
    cells = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert cells["Surname"].data_type == "s"
    assert cells["Surname"].value == '=HYPERLINK("http://evil.example","Invoice")'
    assert cells["Position"].data_type == "s"


def _deal_world(owner, make_contact):
    contact = make_contact(owner, surname="Петров")
    sales = Pipeline.objects.create(name="Продажи")
    other = Pipeline.objects.create(name="Тендеры")
    stage = Stage.objects.create(pipeline=sales, name="Переговоры", probability=40)
    other_stage = Stage.objects.create(pipeline=other, name="Заявка")
    now = timezone.now()
    won = Deal.objects.create(
        title="Поставка",
        contact=contact,
        amount=Decimal("125000.50"),
        currency="RUB",
        expected_close_date=dt.date(2026, 12, 20),
        pipeline=sales,
        stage=stage,
        status="won",
        stage_entered_at=now,
        responsible=owner,
    )
    Deal.objects.create(
        title="Тендер", pipeline=other, stage=other_stage, stage_entered_at=now, responsible=owner
    )
    return contact, sales, won


def test_deals_export_by_pipeline_and_status_with_typed_amount(in_workspace, owner, make_contact):
    _contact, sales, _won = _deal_world(owner, make_contact)

    response = _start(
        browser_for(in_workspace, owner),
        entity="deals",
        file_format="xlsx",
        pipeline=str(sales.pk),
        deal_status="won",
    )

    sheet = _xlsx(response)
    assert sheet.max_row == 2
    cells = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert cells["Title"].value == "Поставка"
    assert cells["Amount"].value == 125000.5
    assert cells["Amount"].data_type == "n"
    assert cells["Expected close date"].value == dt.datetime(2026, 12, 20)
    assert cells["Contact"].value == "Петров Мария"
    assert cells["Status"].value == "Won"
    job = ExportJob.objects.get()
    assert job.filters == {"pipeline": sales.pk, "status": "won"}
    assert "Продажи" in job.filter_description


def test_activities_export_by_kind_and_date_range(in_workspace, owner, make_contact):
    contact = make_contact(owner, surname="Сидорова")
    zone = cells_zone(in_workspace)
    Activity.objects.create(
        kind="call",
        contact=contact,
        direction="missed",
        number="+79160000000",
        occurred_at=dt.datetime(2026, 3, 10, 10, 0, tzinfo=zone),
        duration_seconds=65,
        author=owner,
    )
    Activity.objects.create(
        kind="call", contact=contact, occurred_at=dt.datetime(2026, 4, 1, 10, 0, tzinfo=zone)
    )
    Activity.objects.create(
        kind="note",
        contact=contact,
        text="=1+1",
        occurred_at=dt.datetime(2026, 3, 11, 10, 0, tzinfo=zone),
    )

    response = _start(
        browser_for(in_workspace, owner),
        entity="activities",
        activity_kind="call",
        date_from="2026-03-01",
        date_to="2026-03-31",
    )

    header, *rows = _csv_rows(response)
    assert len(rows) == 1
    record = dict(zip(header, rows[0], strict=True))
    assert record["Type"] == "Call"
    assert record["Direction"] == "Missed"
    assert record["When"] == "2026-03-10 10:00:00"
    assert record["Duration, seconds"] == "65"
    assert record["Number"] == "'+79160000000"
    assert record["Contact"] == "Сидорова Мария"


def test_tasks_export_by_status_and_assignee(in_workspace, owner, admin, make_contact):
    contact = make_contact(owner, surname="Котова")
    now = timezone.now()
    Task.objects.create(
        title="Перезвонить", due_at=now, due_date=now.date(), assignee=admin, contact=contact
    )
    Task.objects.create(title="Чужая", due_at=now, due_date=now.date(), assignee=owner)
    Task.objects.create(
        title="Сделано",
        due_at=now,
        due_date=now.date(),
        assignee=admin,
        status=TaskStatus.DONE,
    )

    response = _start(
        browser_for(in_workspace, owner),
        entity="tasks",
        file_format="xlsx",
        task_status="open",
        assignee=str(admin.pk),
    )

    sheet = _xlsx(response)
    assert sheet.max_row == 2
    cells = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert cells["Title"].value == "Перезвонить"
    assert cells["Assignee"].value == admin.display_name
    assert cells["Contact"].value == "Котова Мария"
    assert cells["Due date"].is_date


# ---------------------------------------------------------------- filters and segments


def test_the_list_filter_is_carried_to_the_export(in_workspace, owner, make_contact):
    make_contact(owner, surname="Оптовая", tags=["опт"])
    make_contact(owner, surname="Розничная", tags=["розница"])
    wholesale = Tag.objects.get(name="опт")
    client = browser_for(in_workspace, owner)

    list_page = client.get(f"/contacts/?tags={wholesale.pk}")
    confirm = client.get(f"/settings/exports/new/?entity=contacts&tags={wholesale.pk}")
    response = _start(client, query=f"tags={wholesale.pk}")

    assert f"/settings/exports/new/?entity=contacts&amp;tags={wholesale.pk}" in text_of(list_page)
    assert "1 record will be exported" in text_of(confirm)
    assert "tags: опт" in text_of(confirm)
    header, *rows = _csv_rows(response)
    assert [dict(zip(header, row, strict=True))["Surname"] for row in rows] == ["Оптовая"]
    assert ExportJob.objects.get().filters == {"tags": [wholesale.pk]}


def test_a_segment_is_exported_with_its_name_recorded(in_workspace, owner, make_contact):
    _fields(owner)
    make_contact(owner, surname="Частая", custom={"visits": 30})
    make_contact(owner, surname="Редкая", custom={"visits": 1})
    segment = Segment.objects.create(
        name="Постоянные",
        record_type="contact",
        filters={"custom": [{"key": "visits", "op": "range", "min": 10}]},
        created_by=owner,
    )
    client = browser_for(in_workspace, owner)

    # The list applies the segment (a redirect to its filter); its Export button carries both.
    list_page = client.get(f"/contacts/?segment={segment.pk}", follow=True)
    href = text_of(list_page).split('id="export-link" href="')[1].split('"')[0]
    confirm = client.get(href.replace("&amp;", "&"))
    response = _start(client, query="cf_visits_min=10", applied_segment=str(segment.pk))

    assert f"applied_segment={segment.pk}" in href
    assert "segment “Постоянные”" in text_of(confirm)
    header, *rows = _csv_rows(response)
    assert [dict(zip(header, row, strict=True))["Surname"] for row in rows] == ["Частая"]
    assert "Постоянные" in ExportJob.objects.get().filter_description


# ---------------------------------------------------------------- the record of exports


def test_every_export_is_recorded_and_shown_in_the_settings_history(
    in_workspace, owner, make_contact
):
    make_contact(owner, surname="Одна")
    make_contact(owner, surname="Вторая")
    client = browser_for(in_workspace, owner)

    _start(client)

    job = ExportJob.objects.get()
    assert job.created_by == owner
    assert (job.entity, job.file_format, job.status, job.row_count) == (
        "contacts",
        "csv",
        "done",
        2,
    )
    assert job.finished_at is not None
    assert job.download_count == 1
    entry = AuditEntry.objects.get(action="data.exported")
    assert entry.actor == owner
    assert entry.changes["_export"]["rows"] == 2
    history = text_of(client.get("/settings/workspace/"))
    assert "Exported 2 rows of contacts (CSV)" in history
    exports_page = text_of(client.get("/settings/exports/"))
    assert owner.display_name in exports_page
    assert "Download" in exports_page


# ---------------------------------------------------------------- background path


@override_settings(EXPORT_DIRECT_MAX_ROWS=1)
def test_a_large_export_runs_in_the_background_and_emails_a_link(
    in_workspace, owner, make_contact, django_capture_on_commit_callbacks
):
    make_contact(owner, surname="Одна")
    make_contact(owner, surname="Вторая")
    client = browser_for(in_workspace, owner)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, file_format="xlsx")

    assert response.status_code == 302
    assert response["Location"] == "/settings/exports/"
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE
    assert job.row_count == 2
    assert [message.to for message in mail.outbox] == [[owner.email]]
    assert "/settings/exports/" in mail.outbox[0].body
    page = text_of(client.get("/settings/exports/"))
    link = page.split('href="/settings/exports/download/')[1].split('"')[0]
    download = client.get(f"/settings/exports/download/{link}")
    assert download.status_code == 200
    assert _xlsx(download).max_row == 3
    job.refresh_from_db()
    assert job.download_count == 1
    assert job.downloaded_at is not None


def test_running_an_export_twice_writes_it_once(in_workspace, owner, make_contact):
    make_contact(owner, surname="Одна")
    job = actions.start_export(
        acting_user=owner,
        request=actions.ExportRequest(entity="contacts", file_format="csv", filters={}),
    )

    first = actions.run_export(job=job)
    second = actions.run_export(job=job)

    assert first.file.name == second.file.name
    assert ExportJob.objects.get().row_count == 1


def test_old_export_files_are_removed_and_the_record_stays(in_workspace, owner, make_contact):
    make_contact(owner, surname="Одна")
    job = actions.run_export(
        job=actions.start_export(
            acting_user=owner,
            request=actions.ExportRequest(entity="contacts", file_format="csv", filters={}),
        )
    )
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)

    removed_now = actions.remove_expired_export_files()
    removed_later = actions.remove_expired_export_files(
        now=timezone.now() + dt.timedelta(days=actions.retention_days() + 1)
    )

    assert (removed_now, removed_later) == (0, 1)
    assert not storage.exists(name)
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED
    assert not job.can_download


# ---------------------------------------------------------------- access and links


def test_member_gets_no_export_button_and_403_on_every_export_page(
    in_workspace, owner, member, make_contact
):
    make_contact(owner, surname="Одна")
    client = browser_for(in_workspace, member)

    assert 'id="export-link"' not in text_of(client.get("/contacts/"))
    assert client.get("/settings/exports/").status_code == 403
    assert client.get("/settings/exports/new/?entity=contacts").status_code == 403
    refused = _start(client)
    assert refused.status_code == 403
    assert ExportJob.objects.count() == 0
    with pytest.raises(PermissionError):
        actions.start_export(
            acting_user=member,
            request=actions.ExportRequest(entity="contacts", file_format="csv", filters={}),
        )


def test_admin_sees_the_export_button(in_workspace, admin):
    assert 'id="export-link"' in text_of(browser_for(in_workspace, admin).get("/contacts/"))


def _link_for(client) -> str:
    page = text_of(client.get("/settings/exports/"))
    return page.split('href="/settings/exports/download/')[1].split('"')[0]


def test_a_download_link_works_only_for_its_admin_and_until_it_expires(
    in_workspace, owner, admin, make_contact, monkeypatch
):
    make_contact(owner, surname="Одна")
    owner_client = browser_for(in_workspace, owner)
    _start(owner_client)
    token = _link_for(owner_client)

    assert owner_client.get(f"/settings/exports/download/{token}").status_code == 200
    assert (
        browser_for(in_workspace, admin).get(f"/settings/exports/download/{token}").status_code
        == 404
    )
    assert owner_client.get("/settings/exports/download/forged-token/").status_code == 404
    later = time.time() + 2 * 60 * 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert owner_client.get(f"/settings/exports/download/{token}").status_code == 404


def test_another_workspaces_link_is_refused(in_workspace, owner, make_contact, make_workspace):
    make_contact(owner, surname="Одна")
    owner_client = browser_for(in_workspace, owner)
    _start(owner_client)
    token = _link_for(owner_client)
    other = make_workspace("globex")
    connection.set_schema_to_public()
    from django_tenants.utils import schema_context

    with schema_context(other.workspace.schema_name):
        other_owner = other.owner
        intruder = browser_for(other, other_owner)
        # Same member id (1) in both schemas: the schema in the token still refuses it.
        assert intruder.get(f"/settings/exports/download/{token}").status_code == 404


# ---------------------------------------------------------------- read-only workspace


def test_a_read_only_workspace_can_still_export(
    in_workspace, owner, make_contact, django_capture_on_commit_callbacks
):
    make_contact(owner, surname="Одна")
    Workspace.objects.filter(pk=in_workspace.workspace.pk).update(status=WorkspaceStatus.READ_ONLY)
    in_workspace.workspace.status = WorkspaceStatus.READ_ONLY
    client = browser_for(in_workspace, owner)

    direct = _start(client)
    with (
        override_settings(EXPORT_DIRECT_MAX_ROWS=0),
        django_capture_on_commit_callbacks(execute=True),
    ):
        queued = _start(client, file_format="xlsx")

    assert direct.status_code == 200
    assert len(_csv_rows(direct)) == 2
    assert queued.status_code == 302
    assert list(ExportJob.objects.values_list("status", flat=True)) == ["done", "done"]
    # Writes are still refused there: the rule is not switched off, exports are exempt.
    assert client.post("/contacts/new/", {"surname": "X"}).status_code == 403


def test_an_export_too_large_for_a_spreadsheet_fails_with_a_message_not_an_error_page(
    in_workspace, owner, make_contact, monkeypatch
):
    make_contact(owner, surname="Одна")
    make_contact(owner, surname="Вторая")
    monkeypatch.setattr("onboarding.exporting.writers.XLSX_MAX_ROWS", 1)
    client = browser_for(in_workspace, owner)

    response = _start(client, file_format="xlsx")

    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED
    assert "export to CSV instead" in job.failure
    page = text_of(client.get("/settings/exports/"))
    assert "export to CSV instead" in page
    assert 'href="/settings/exports/download/' not in page


def test_the_export_names_the_consent_filter_in_words(in_workspace, owner, make_contact):
    make_contact(owner, surname="Одна")
    client = browser_for(in_workspace, owner)

    page = client.get("/settings/exports/new/?entity=contacts&consent_advertising=none")

    assert "advertising consent: Never asked" in text_of(page)
