# ruff: noqa: RUF001, F811 (Cyrillic test data; the CRM fixtures are imported by name)
"""The import engine end to end: files in, records, history, consents, notes, undo out."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from crm.actions.custom_fields import create_custom_field
from crm.history import expand_combined
from crm.models import (
    ChangeRecord,
    Company,
    ConsentRecord,
    Contact,
    ContactCompany,
    Email,
    Messenger,
    Phone,
    Tag,
)
from crm.models.timeline import Activity
from onboarding.importing import actions, engine, selectors
from onboarding.importing.models import (
    ExternalRecordId,
    ImportedRecord,
    ImportJob,
    ImportStatus,
)
from onboarding.importing.reading import ImportFileError
from tests.crm.conftest import admin, in_workspace, make_contact, member, owner  # noqa: F401
from tests.onboarding.importing.engine_helpers import (
    check,
    csv_bytes,
    import_file,
    map_by_header,
    start,
    upload,
)

CONTACT_HEADERS = [
    "Фамилия",
    "Имя",
    "Отчество",
    "Мобильный телефон",
    "E-mail",
    "Дата рождения",
    "Компания",
    "ИНН компании",
    "Теги",
    "Комментарий",
    "Согласие на обработку ПД",
    "Ответственный",
    "Размер скидки",
    "Сумма покупок",
    "Клиент с",
    "ID",
]
CONTACT_TARGETS: dict[str, str | None] = {
    "Фамилия": "surname",
    "Имя": "first_name",
    "Отчество": "patronymic",
    "Мобильный телефон": "phone_mobile",
    "E-mail": "email",
    "Дата рождения": "birthday",
    "Компания": "company_name",
    "ИНН компании": "company_tax_number",
    "Теги": "tags",
    "Комментарий": "note",
    "Согласие на обработку ПД": "consent_personal_data",
    "Ответственный": "responsible",
    "Размер скидки": "custom.discount",
    "Сумма покупок": "custom.purchases",
    "Клиент с": "custom.client_since",
    "ID": "external_id",
}


@pytest.fixture
def custom_fields(owner: Any) -> None:
    for key, field_type, label in (
        ("discount", "integer", "Размер скидки"),
        ("purchases", "decimal", "Сумма покупок"),
        ("client_since", "date", "Клиент с"),
    ):
        create_custom_field(
            acting_user=owner,
            entity="contact",
            field_type=field_type,
            labels={"ru": label},
            key=key,
        )


def bitrix_row(number: int, **overrides: Any) -> list[str]:
    row = {
        "Фамилия": f"Иванов{number}",
        "Имя": "Иван",
        "Отчество": "Петрович",
        "Мобильный телефон": f"8 (916) 100-{number // 100:02d}-{number % 100:02d}",
        "E-mail": f"ivan{number}@example.com",
        "Дата рождения": "31.12.1990",
        "Компания": "ООО Ромашка",
        "ИНН компании": "7707083893",
        "Теги": "VIP; опт",
        "Комментарий": f"Звонил {number}",
        "Согласие на обработку ПД": "да",
        "Ответственный": "",
        "Размер скидки": "5",
        "Сумма покупок": "12 345,67",
        "Клиент с": "31.12.24",
        "ID": f"b24-{number}",
    }
    row.update(overrides)
    return [row[header] for header in CONTACT_HEADERS]


def bitrix_csv(rows: list[list[str]]) -> bytes:
    """Bitrix24's contacts CSV: cp1251, `;`, every field quoted."""
    lines = [";".join(f'"{cell}"' for cell in CONTACT_HEADERS)]
    lines += [";".join(f'"{cell}"' for cell in row) + ";" for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def test_bitrix_contacts_import_with_every_kind_of_field(
    owner,
    admin,
    custom_fields,
    django_capture_on_commit_callbacks,
):
    rows = [bitrix_row(n) for n in range(1, 4)]
    rows[1][CONTACT_HEADERS.index("Ответственный")] = "admin@acme.example.com"
    job = import_file(owner, bitrix_csv(rows), CONTACT_TARGETS, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.updated_count, job.skipped_count, job.failed_count) == (
        3,
        0,
        0,
        0,
    )
    first = Contact.objects.get(surname="Иванов1")
    assert (first.first_name, first.patronymic) == ("Иван", "Петрович")
    assert first.birthday == dt.date(1990, 12, 31)
    assert list(first.phones.values_list("e164", "label")) == [("+79161000001", "mobile")]
    assert list(first.emails.values_list("address", flat=True)) == ["ivan1@example.com"]
    assert first.custom == {"discount": 5, "purchases": "12345.67", "client_since": "2024-12-31"}
    assert sorted(first.tags.values_list("name", flat=True)) == ["VIP", "опт"]
    assert first.responsible_id == owner.pk
    assert Contact.objects.get(surname="Иванов2").responsible_id == admin.pk
    assert first.name_search == "ivanov1 ivan petrovich"
    # One company for all three, found or made once, linked to each.
    company = Company.objects.get()
    assert (company.name, company.tax_number) == ("ООО Ромашка", "7707083893")
    assert ContactCompany.objects.filter(company=company).count() == 3
    # Consent with the import as its source; the contact's consent column follows.
    consent = ConsentRecord.objects.get(contact=first)
    assert (consent.kind, consent.status, consent.source) == ("personal_data", "given", "import")
    assert consent.recorded_by_label == engine.import_label(job)
    assert "clients.csv" in consent.text_version
    assert first.consent_personal_data == "given"
    # The comment is a note on the timeline.
    note = Activity.objects.get(contact=first)
    assert (note.kind, note.text, note.author_label) == (
        "note",
        "Звонил 1",
        engine.import_label(job),
    )
    # History: a creation per record, through the import.
    created = [
        change
        for change in expand_combined(
            ChangeRecord.objects.filter(record_type="contact", record_id=first.pk)
        )
        if change.field == "record"
    ]
    assert [change.via for change in created] == ["import"]
    assert ImportedRecord.objects.filter(job=job, record_type="contact", created=True).count() == 3
    assert ImportedRecord.objects.filter(job=job, record_type="company", created=True).count() == 1
    # The done e-mail, in the member's language.
    done_mail = [m for m in mail.outbox if "clients.csv" in m.subject]
    assert len(done_mail) == 1
    assert done_mail[0].to == [owner.email]
    progress = selectors.import_progress(job)
    assert (progress["rows_done"], progress["total"], progress["percent"]) == (3, 3, 100)


def test_companies_with_lost_leading_zeros_spaces_and_sites(
    owner,
    django_capture_on_commit_callbacks,
):
    # 0274062111 is a valid INN whose leading zero a spreadsheet dropped.
    content = csv_bytes(
        ["Наименование", "ИНН", "Численность", "Сайт", "Адрес"],
        [
            ["ООО Север", "274062111", "1 200", "sever.ru", "Уфа, ул. Ленина, 1"],
            ["ООО Юг", "7707083893", "15", "https://yug.example", ""],
            ["ООО Плохой", "1234567890", "много", "", ""],
        ],
    )
    job = import_file(
        owner,
        content,
        {
            "Наименование": "name",
            "ИНН": "tax_number",
            "Численность": "headcount",
            "Сайт": "website",
            "Адрес": "address",
        },
        django_capture_on_commit_callbacks,
        entity="companies",
    )
    assert (job.created_count, job.failed_count) == (2, 1)
    north = Company.objects.get(name="ООО Север")
    assert (north.tax_number, north.headcount, north.website) == (
        "0274062111",
        1200,
        "https://sever.ru",
    )
    assert north.addresses == [{"label": "", "text": "Уфа, ул. Ленина, 1"}]
    errors = selectors.check_errors(job)
    assert {(e.row_number, e.column) for e in errors} == {(4, "ИНН"), (4, "Численность")}


def test_check_reports_every_failing_row_and_nothing_is_written(
    owner,
    django_capture_on_commit_callbacks,
):
    content = csv_bytes(
        ["Имя", "Телефон", "E-mail"],
        [["", "123", "not-an-email"], ["Олег", "+7 000", "oleg@"], ["", "", "x"]],
    )
    job = upload(owner, content)
    job = map_by_header(owner, job, {"Имя": "first_name", "Телефон": "phone", "E-mail": "email"})
    job = check(owner, job, django_capture_on_commit_callbacks)
    assert job.check_summary["valid"] == 0
    assert job.check_summary["invalid"] == 3
    messages = [(e.row_number, e.column, e.message) for e in selectors.check_errors(job)]
    assert any(row == 2 and col == "E-mail" and "not-an-email" in m for row, col, m in messages)
    assert any(row == 3 and column == "Телефон" for row, column, _m in messages)
    failing = selectors.failing_rows_csv(job)
    text = failing.open("rb").read().decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].split(";")[:3] == ["Имя", "Телефон", "E-mail"]
    assert lines[0].split(";")[-1] in ("Why", "Причина")
    assert len(lines) == 4
    assert "not-an-email" in lines[1]
    with pytest.raises(actions.CrmValidationError):
        start(owner, job, django_capture_on_commit_callbacks)
    assert Contact.objects.count() == 0
    assert ImportedRecord.objects.count() == 0


def test_fix_first_refuses_to_start_while_rows_fail(
    owner,
    django_capture_on_commit_callbacks,
):
    content = csv_bytes(["Имя", "E-mail"], [["Олег", "oleg@example.com"], ["Анна", "bad"]])
    job = upload(owner, content)
    job = map_by_header(owner, job, {"Имя": "first_name", "E-mail": "email"})
    job = check(owner, job, django_capture_on_commit_callbacks)
    with pytest.raises(actions.CrmValidationError):
        start(owner, job, django_capture_on_commit_callbacks, only_valid=False)
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02\x03\xff\xfe\x00binary" * 100],
    ids=["empty", "binary"],
)
def test_bad_files_are_refused_with_a_message_and_leave_nothing(owner, content):
    if not content:
        with pytest.raises(actions.CrmValidationError):
            upload(owner, content)
    else:
        with pytest.raises(ImportFileError) as raised:
            upload(owner, content, name="clients.xlsx")
        assert str(raised.value.message)
    assert ImportJob.objects.count() == 0


def test_members_cannot_import(member):
    with pytest.raises(actions.PermissionDenied):
        upload(member, csv_bytes(["Имя"], [["Олег"]]))


# ---------------------------------------------------------------- duplicates


def _existing(make_contact, owner):
    return make_contact(
        owner,
        surname="Старый",
        first_name="Клиент",
        emails=["old@example.com"],
        phones=["+79160000001"],
    )


@pytest.mark.parametrize(
    ("policy", "created", "updated", "skipped", "contacts"),
    [("update", 1, 2, 0, 2), ("skip", 1, 0, 2, 2), ("create", 3, 0, 0, 4)],
)
def test_duplicate_policies(
    owner,
    make_contact,
    django_capture_on_commit_callbacks,
    policy,
    created,
    updated,
    skipped,
    contacts,
):
    old = _existing(make_contact, owner)
    content = csv_bytes(
        ["Фамилия", "Имя", "Email", "Телефон", "Должность"],
        [
            ["Новый", "Клиент", "OLD@example.com", "", "Директор"],  # matches by e-mail
            ["Другой", "Человек", "new@example.com", "", ""],
            ["Третий", "", "", "8 916 000-00-01", ""],  # matches by phone
        ],
    )
    job = upload(owner, content)
    job = map_by_header(
        owner,
        job,
        {
            "Фамилия": "surname",
            "Имя": "first_name",
            "Email": "email",
            "Телефон": "phone",
            "Должность": "position",
        },
    )
    job = check(owner, job, django_capture_on_commit_callbacks)
    summary_before = selectors.duplicate_summary(job)
    assert summary_before["existing"] == 2
    assert summary_before["by"]["email"] == 1
    assert summary_before["by"]["phone"] == 1
    job = start(owner, job, django_capture_on_commit_callbacks, on_duplicate=policy)
    assert (job.created_count, job.updated_count, job.skipped_count) == (created, updated, skipped)
    assert Contact.objects.count() == contacts
    old.refresh_from_db()
    if policy == "update":
        # Non-empty cells win; the file's second match (by phone) updated it after the first.
        assert (old.surname, old.position) == ("Третий", "Директор")
        assert old.first_name == "Клиент"
    else:
        assert (old.surname, old.position) == ("Старый", "")


def test_rows_repeating_within_the_file_make_one_record(
    owner,
    django_capture_on_commit_callbacks,
):
    content = csv_bytes(
        ["Имя", "Email", "Должность"],
        [
            ["Анна", "anna@example.com", ""],
            ["Анна", "ANNA@example.com", "Бухгалтер"],
            ["Олег", "", ""],
        ],
    )
    job = upload(owner, content)
    job = map_by_header(
        owner, job, {"Имя": "first_name", "Email": "email", "Должность": "position"}
    )
    job = check(owner, job, django_capture_on_commit_callbacks)
    assert selectors.duplicate_summary(job)["in_file"] == 1
    job = start(owner, job, django_capture_on_commit_callbacks)
    assert (job.created_count, job.updated_count) == (2, 1)
    anna = Contact.objects.get(first_name="Анна")
    assert anna.position == "Бухгалтер"
    assert anna.emails.count() == 1


def test_per_row_override_beats_the_default(
    owner,
    make_contact,
    django_capture_on_commit_callbacks,
):
    old = _existing(make_contact, owner)
    content = csv_bytes(["Имя", "Email"], [["Другое имя", "old@example.com"]])
    job = upload(owner, content)
    job = map_by_header(owner, job, {"Имя": "first_name", "Email": "email"})
    job = check(owner, job, django_capture_on_commit_callbacks)
    job = start(
        owner, job, django_capture_on_commit_callbacks, on_duplicate="update", overrides={2: "skip"}
    )
    assert (job.updated_count, job.skipped_count) == (0, 1)
    old.refresh_from_db()
    assert old.first_name == "Клиент"


def test_import_by_external_id_twice_updates_the_same_records(
    owner,
    django_capture_on_commit_callbacks,
):
    targets = {"ID": "external_id", "Имя": "first_name", "Город": "address"}
    first = import_file(
        owner,
        csv_bytes(["ID", "Имя", "Город"], [["7", "Анна", "Москва"], ["8", "Олег", "Казань"]]),
        targets,
        django_capture_on_commit_callbacks,
    )
    second = import_file(
        owner,
        csv_bytes(["ID", "Имя", "Город"], [["7", "Анна", "Тверь"], ["8", "Олег", "Казань"]]),
        targets,
        django_capture_on_commit_callbacks,
    )
    assert (first.created_count, second.created_count, second.updated_count) == (2, 0, 2)
    assert Contact.objects.count() == 2
    assert Contact.objects.get(first_name="Анна").address == "Тверь"
    assert ExternalRecordId.objects.count() == 2


# ---------------------------------------------------------------- undo


def _table_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import touches (history and the import's own excluded)."""
    tables = {}
    for model in (
        Contact,
        Company,
        Phone,
        Email,
        Messenger,
        ConsentRecord,
        ContactCompany,
        Activity,
    ):
        columns = [f.column for f in model._meta.concrete_fields]
        tables[model._meta.db_table] = sorted(
            tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row)
            for row in model._default_manager.order_by().values_list(*columns)
        )
    for through in (Contact.tags.through, Company.tags.through):
        tables[through._meta.db_table] = sorted(
            through._default_manager.values_list(
                "id", *[f.column for f in through._meta.concrete_fields][1:]
            )
        )
    return tables


def test_undo_puts_every_table_back_as_it_was(
    owner,
    admin,
    make_contact,
    custom_fields,
    django_capture_on_commit_callbacks,
):
    old = make_contact(
        owner,
        surname="Иванов1",
        first_name="Старое",
        emails=["ivan1@example.com"],
        phones=["+79160000009"],
        tags=["старый"],
        custom={"discount": 1},
        birthday="1980-01-01",
    )
    before = _table_rows()
    tags_before = set(Tag.objects.values_list("name", flat=True))
    rows = [bitrix_row(n) for n in range(1, 5)]
    rows[0][CONTACT_HEADERS.index("Ответственный")] = "Admin@acme.example.com"
    job = import_file(owner, bitrix_csv(rows), CONTACT_TARGETS, django_capture_on_commit_callbacks)
    assert (job.created_count, job.updated_count) == (3, 1)
    old.refresh_from_db()
    assert old.first_name == "Иван"
    assert old.custom["discount"] == 5
    assert old.responsible_id == admin.pk
    assert _table_rows() != before

    job = actions.undo_import(owner, job)

    assert job.status == ImportStatus.UNDONE
    assert _table_rows() == before
    # Tags the import created stay as (unused) names; every link to them is gone.
    assert tags_before <= set(Tag.objects.values_list("name", flat=True))
    changes = expand_combined(ChangeRecord.objects.filter(via="import").order_by("-at", "-id"))
    restored = [
        change
        for change in changes
        if (change.record_id, change.field, change.new) == (old.pk, "first_name", "Старое")
    ]
    assert [change.old for change in restored] == ["Иван"]
    deleted = [change for change in changes if change.field == "record" and change.new is None]
    assert sorted(change.record_type for change in deleted) == ["company", *["contact"] * 3]
    with pytest.raises(actions.CrmValidationError):
        actions.undo_import(owner, job)


def test_undo_keeps_a_created_record_that_gained_a_call_archived(
    owner,
    django_capture_on_commit_callbacks,
):
    from django.utils import timezone

    job = import_file(
        owner,
        csv_bytes(["Имя"], [["Анна"], ["Олег"]]),
        {"Имя": "first_name"},
        django_capture_on_commit_callbacks,
    )
    anna = Contact.objects.get(first_name="Анна")
    Activity.objects.create(kind="call", contact=anna, occurred_at=timezone.now(), author=owner)
    actions.undo_import(owner, job)
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Анна"]
    anna.refresh_from_db()
    assert anna.archived_at is not None


def test_undo_after_thirty_days_is_refused(owner, django_capture_on_commit_callbacks):
    job = import_file(
        owner,
        csv_bytes(["Имя"], [["Анна"]]),
        {"Имя": "first_name"},
        django_capture_on_commit_callbacks,
    )
    ImportJob.objects.filter(pk=job.pk).update(undo_until=job.finished_at - dt.timedelta(seconds=1))
    job.refresh_from_db()
    with pytest.raises(actions.CrmValidationError):
        actions.undo_import(owner, job)
    assert Contact.objects.count() == 1


def test_expired_uploads_are_deleted(owner, django_capture_on_commit_callbacks):
    job = import_file(
        owner,
        csv_bytes(["Имя"], [["Анна"]]),
        {"Имя": "first_name"},
        django_capture_on_commit_callbacks,
    )
    path = job.file.path
    assert actions.delete_expired_import_files() == 0
    ImportJob.objects.filter(pk=job.pk).update(undo_until=job.finished_at - dt.timedelta(days=1))
    assert actions.delete_expired_import_files() == 1
    job.refresh_from_db()
    assert job.file_deleted_at is not None
    import os

    assert not os.path.exists(path)


# ---------------------------------------------------------------- run rules


def test_cancel_stops_after_the_current_chunk(
    owner,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr(engine, "CHUNK_ROWS", 2)
    content = csv_bytes(["Имя"], [[f"Имя{n}"] for n in range(7)])
    job = upload(owner, content)
    job = map_by_header(owner, job, {"Имя": "first_name"})
    job = check(owner, job, django_capture_on_commit_callbacks)
    actions.set_import_options(owner, job, on_duplicate="update", only_valid=True)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)

    def cancel_after_first(current: ImportJob) -> None:
        if current.rows_done == 2:
            actions.cancel_import(owner, current)

    job = engine.run_import(job.pk, after_chunk=cancel_after_first)
    assert job.status == ImportStatus.CANCELLED
    assert (job.rows_done, job.created_count) == (2, 2)
    assert Contact.objects.count() == 2
    actions.undo_import(owner, job)
    assert Contact.objects.count() == 0


def test_run_is_refused_in_a_read_only_workspace(
    owner,
    in_workspace,
    django_capture_on_commit_callbacks,
):
    from tenants.guards import WorkspaceReadOnlyError
    from tenants.models import Workspace, WorkspaceStatus

    job = upload(owner, csv_bytes(["Имя"], [["Анна"]]))
    job = map_by_header(owner, job, {"Имя": "first_name"})
    job = check(owner, job, django_capture_on_commit_callbacks)
    actions.set_import_options(owner, job, on_duplicate="update", only_valid=True)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    Workspace.objects.filter(pk=in_workspace.workspace.pk).update(status=WorkspaceStatus.READ_ONLY)
    from onboarding.importing.tasks import run_import_task

    with pytest.raises(WorkspaceReadOnlyError):
        run_import_task.delay(job.pk)
    assert Contact.objects.count() == 0


def test_a_second_run_of_a_finished_job_writes_nothing(
    owner,
    django_capture_on_commit_callbacks,
):
    job = import_file(
        owner,
        csv_bytes(["Имя"], [["Анна"]]),
        {"Имя": "first_name"},
        django_capture_on_commit_callbacks,
    )
    engine.run_import(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    again = engine.run_import(job.pk)  # a redelivered message after the end
    assert again.created_count == 1
    assert Contact.objects.count() == 1


def test_saved_mapping_is_applied_by_header_names(
    owner,
    django_capture_on_commit_callbacks,
):
    job = upload(owner, csv_bytes(["Имя", "Почта"], [["Анна", "a@example.com"]]))
    actions.set_import_mapping(owner, job, mapping={0: "first_name", 1: "email"}, save_as="Мой CRM")
    again = upload(owner, csv_bytes(["Почта", "Имя"], [["b@example.com", "Олег"]]))
    saved = actions.SavedMapping.objects.get(name="Мой CRM")
    again = actions.apply_saved_mapping(owner, again, saved)
    assert again.mapping == {"0": "email", "1": "first_name"}


# ---------------------------------------------------------------- command


def test_import_file_command_prints_one_json_object(in_workspace, owner, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes(
            ["Фамилия", "Имя", "Email", "Телефон"],
            [["Иванова", "Мария", "maria@example.com", "+7 916 123-45-67"], ["", "", "bad", ""]],
            encoding="cp1251",
        )
    )
    out = StringIO()
    connection.set_schema_to_public()
    call_command(
        "import_file",
        str(path),
        workspace="acme",
        entity="contacts",
        on_duplicate="skip",
        as_json=True,
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert {k: result[k] for k in ("rows", "created", "updated", "skipped", "failed")} == {
        "rows": 2,
        "created": 1,
        "updated": 0,
        "skipped": 0,
        "failed": 1,
    }
    assert result["seconds"] >= 0
    connection.set_tenant(in_workspace.workspace)
    maria = Contact.objects.get()
    assert (maria.surname, maria.first_name) == ("Иванова", "Мария")


def test_numbers_and_dates_in_spreadsheet_formats():
    from crm import rules

    assert rules.parse_number("12 345,67") == Decimal("12345.67")
    assert rules.parse_number("12\u00a0345,67") == Decimal("12345.67")
    assert rules.parse_number("1.234,5") == Decimal("1234.5")
    assert rules.parse_number("1,234.5") == Decimal("1234.5")
    assert rules.parse_number("abc") is None
    assert rules.parse_date("31.12.2024") == dt.date(2024, 12, 31)
    assert rules.parse_date("31.12.24") == dt.date(2024, 12, 31)
    assert rules.parse_date("2024-12-31") == dt.date(2024, 12, 31)
    assert rules.parse_date("45657", excel_serial=True) == dt.date(2024, 12, 31)
    assert rules.parse_date("45657") is None
    errors = rules.FieldErrors()
    assert rules.parse_tax_number("274062111", errors, restore_zeros=True) == "0274062111"
    assert not errors.fields
    rules.parse_tax_number("274062111", errors)
    assert "tax_number" in errors.fields


def test_bitrix24_export_from_the_file_factory_with_automatic_mapping(
    in_workspace, owner, tmp_path, django_capture_on_commit_callbacks
):
    from tenants.members.models import User
    from tests.conftest import add_member
    from tests.onboarding.importing.files import bitrix24_contacts_csv

    manager = add_member(in_workspace, email="irina@acme.example.com", role="member")
    connection.set_tenant(in_workspace.workspace)
    User.objects.filter(pk=manager.pk).update(full_name="Ирина Воробьёва")
    path = bitrix24_contacts_csv(tmp_path)
    job = upload(owner, path.read_bytes(), name=path.name)
    assert job.mapping, "suggest_mapping matched the Bitrix24 columns"
    mapping = {int(column): target for column, target in job.mapping.items()}
    job = actions.set_import_mapping(owner, job, mapping=mapping)
    job = check(owner, job, django_capture_on_commit_callbacks)
    job = start(owner, job, django_capture_on_commit_callbacks)
    assert (job.created_count, job.failed_count) == (2, 0), job.check_summary
    elkin = Contact.objects.get(surname="Ёлкин")
    assert (elkin.first_name, elkin.patronymic) == ("Алексей", "Сергеевич")
    assert elkin.birthday == dt.date(1985, 7, 5)
    assert set(elkin.phones.values_list("e164", flat=True)) == {"+73432101010", "+79120001122"}
    assert elkin.responsible_id == manager.pk
    assert elkin.company_links.get().company.name == 'ЗАО "Уралмаш"'
    assert Activity.objects.get(contact=elkin).text == 'Просил КП на "станки"; перезвонить'
