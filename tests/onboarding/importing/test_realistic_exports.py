# ruff: noqa: RUF001, F811 (Cyrillic test data; the CRM fixtures are imported by name)
"""Each realistic export of files.py imported end to end, with automatic mapping.

The path is the real one: the file is stored and read, columns are matched by
`suggest_mapping`, every row is checked, then written by the engine. Most go through the
`import_file` command (`--mapping auto --json`, what operators run); the rest through
the actions the wizard calls. Each asserts the counts and what was stored.
"""

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from crm.actions.custom_fields import create_custom_field
from crm.history import expand_combined
from crm.models import ChangeRecord, Company, ConsentRecord, Contact, SourceChannel
from crm.models.timeline import Activity
from onboarding.importing import actions, engine
from onboarding.importing.models import ExternalRecordId, ImportJob, ImportStatus
from tenants.members.models import User
from tests.conftest import add_member
from tests.crm.conftest import in_workspace, owner  # noqa: F401
from tests.onboarding.importing import files
from tests.onboarding.importing.engine_helpers import check, start


def run_command(workspace: Any, path: Path, entity: str = "contacts", **options: Any) -> dict:
    """`manage.py import_file FILE --workspace acme --entity ENTITY --mapping auto --json`."""
    out = StringIO()
    connection.set_schema_to_public()
    try:
        call_command(
            "import_file",
            str(path),
            workspace=workspace.workspace.subdomain,
            entity=entity,
            mapping="auto",
            as_json=True,
            stdout=out,
            **options,
        )
    finally:
        connection.set_tenant(workspace.workspace)
    return json.loads(out.getvalue())


def counts(result: dict) -> tuple[int, int, int, int, int]:
    return (
        result["rows"],
        result["created"],
        result["updated"],
        result["skipped"],
        result["failed"],
    )


def teammate(workspace: Any, full_name: str, email: str) -> User:
    """A member invited before the import, known by the name the old CRM exports."""
    made = add_member(workspace, email=email, role="member")
    connection.set_tenant(workspace.workspace)
    User.objects.filter(pk=made.pk).update(full_name=full_name)
    return User.objects.get(pk=made.pk)


def wizard_auto(user: User, path: Path, capture: Any, entity: str = "contacts") -> ImportJob:
    """The wizard's path through its actions, keeping every suggested match."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = actions.upload_import(
        user, entity=entity, uploaded_file=SimpleUploadedFile(path.name, path.read_bytes())
    )
    mapping = {int(column): target for column, target in job.mapping.items()}
    job = actions.set_import_mapping(user, job, mapping=mapping)
    job = check(user, job, capture)
    assert job.status == ImportStatus.CHECKED, job.failure
    return start(user, job, capture)


def phones(record: Any) -> set[tuple[str, str]]:
    return set(record.phones.values_list("e164", "label"))


def emails(record: Any) -> list[str]:
    return sorted(record.emails.values_list("address", flat=True))


def notes(record: Any) -> list[str]:
    owner = "contact" if isinstance(record, Contact) else "company"
    return list(
        Activity.objects.filter(kind="note", **{owner: record})
        .order_by("pk")
        .values_list("text", flat=True)
    )


def external_id(record: Any) -> str:
    record_type = "contact" if isinstance(record, Contact) else "company"
    return ExternalRecordId.objects.get(record_type=record_type, record_id=record.pk).external_id


# ---------------------------------------------------------------- amoCRM / Kommo


def test_amocrm_export_by_command(in_workspace, owner, tmp_path):
    maria = teammate(in_workspace, "Мария Петрова", "maria@acme.example.com")
    path = files.amocrm_contacts_csv(tmp_path)

    result = run_command(in_workspace, path, on_duplicate="update")

    # "Алексей Сидоров" is not a member here: his row fails, with its reason.
    assert counts(result) == (3, 2, 0, 0, 1)
    assert result["status"] == ImportStatus.DONE
    assert result["errors"] == [
        [
            6,
            "Ответственный",
            "No active member “Алексей Сидоров” in this workspace: give a member's name or e-mail.",
        ]
    ]
    ivanov = Contact.objects.get(surname="Иванов")
    assert ivanov.first_name == "Иван"
    assert phones(ivanov) == {("+74951234567", "work"), ("+79161234567", "mobile")}
    assert emails(ivanov) == ["ivan.ivanov@mail.ru", "ivanov@romashka.ru"]
    assert ivanov.position == "Директор"
    assert ivanov.responsible_id == maria.pk
    assert sorted(ivanov.tags.values_list("name", flat=True)) == ["VIP", "опт"]
    assert ivanov.company_links.get().company.name == "ООО «Ромашка»"
    assert notes(ivanov) == ["Звонил по поводу поставки, перезвонить в пятницу\n\nВыслали прайс"]
    assert external_id(ivanov) == "10234567"
    job = ImportJob.objects.get()
    consent = ConsentRecord.objects.get(contact=ivanov)
    assert (consent.kind, consent.status, consent.source) == ("personal_data", "given", "import")
    assert consent.recorded_by_label == engine.import_label(job)
    assert ivanov.consent_personal_data == "given"

    smirnova = Contact.objects.get(surname="Смирнова")
    assert phones(smirnova) == {("+79037654321", "mobile")}
    assert notes(smirnova) == ["Многострочная заметка:\nпервая строка\nвторая строка"]
    assert smirnova.consent_personal_data == "withdrawn"
    assert ConsentRecord.objects.get(contact=smirnova).status == "withdrawn"
    # Two contacts and their two companies, each created through the import.
    created = [
        change
        for change in expand_combined(ChangeRecord.objects.filter(via="import"))
        if change.field == "record"
    ]
    assert len(created) == 4

    # Once the missing manager has joined, the same file again: updates by amoCRM's ID.
    teammate(in_workspace, "Алексей Сидоров", "alexey@acme.example.com")
    again = run_command(in_workspace, path, on_duplicate="update")

    assert counts(again) == (3, 1, 2, 0, 0)
    assert Contact.objects.count() == 3
    assert Contact.objects.get(surname="Кузнецов").first_name == "Пётр"
    assert ivanov.emails.count() == 2


# ---------------------------------------------------------------- Bitrix24


@pytest.mark.parametrize(
    "builder", [files.bitrix24_contacts_csv, files.bitrix24_contacts_html_xls], ids=["csv", "xls"]
)
def test_bitrix24_exports_by_command(in_workspace, owner, tmp_path, builder):
    irina = teammate(in_workspace, "Ирина Воробьёва", "irina@acme.example.com")

    result = run_command(in_workspace, builder(tmp_path))

    assert counts(result) == (2, 2, 0, 0, 0)
    elkin = Contact.objects.get(surname="Ёлкин")
    assert (elkin.first_name, elkin.patronymic, elkin.form_of_address) == (
        "Алексей",
        "Сергеевич",
        "г-н",
    )
    assert elkin.birthday == dt.date(1985, 7, 5)
    assert elkin.position == "Главный инженер"
    assert phones(elkin) == {("+73432101010", "work"), ("+79120001122", "mobile")}
    assert emails(elkin) == ["elkin@uralmash.example"]
    assert elkin.company_links.get().company.name == 'ЗАО "Уралмаш"'
    assert elkin.source.name == "Выставка"
    assert elkin.responsible_id == irina.pk
    assert notes(elkin) == ['Просил КП на "станки"; перезвонить']
    assert external_id(elkin) == "17"
    shchukina = Contact.objects.get(surname="Щукина")
    assert shchukina.birthday is None
    assert phones(shchukina) == {("+79223334455", "mobile")}
    assert emails(shchukina) == ["yulia@shchukina.example"]
    assert not shchukina.company_links.exists()
    assert notes(shchukina) == []
    assert set(SourceChannel.objects.values_list("name", flat=True)) >= {"Выставка", "Сайт"}


# ---------------------------------------------------------------- HubSpot


def test_hubspot_export_with_repeated_columns_through_the_wizard_actions(
    in_workspace, owner, tmp_path, django_capture_on_commit_callbacks
):
    sam = teammate(in_workspace, "Sam Jones", "sam@acme.example.com")

    job = wizard_auto(
        owner, files.hubspot_contacts_csv(tmp_path), django_capture_on_commit_callbacks
    )

    assert (job.created_count, job.updated_count, job.skipped_count, job.failed_count) == (
        2,
        0,
        0,
        0,
    )
    anna = Contact.objects.get(surname="Schmidt")
    assert anna.first_name == "Anna"
    # Both "Email" columns and both "Phone Number" columns land on the one contact.
    assert emails(anna) == ["anna.schmidt@example.de", "anna@privat.example"]
    assert phones(anna) == {
        ("+49301234567", "mobile"),
        ("+4915123456789", "mobile"),
        ("+49307654321", "mobile"),
    }
    assert anna.company_links.get().company.name == "Müller & Söhne GmbH"
    assert anna.position == "Einkäuferin"
    assert anna.responsible_id == sam.pk
    assert external_id(anna) == "51"
    bob = Contact.objects.get(first_name="Bob")
    assert bob.surname == "O'Neil"
    assert phones(bob) == {("+12025550199", "mobile")}
    assert bob.company_links.get().company.name == "Acme, Inc."
    # "Lifecycle Stage" and "Create Date" are HubSpot's own: not imported anywhere.
    assert "customer" not in json.dumps(anna.custom)


# ---------------------------------------------------------------- Pipedrive


def test_pipedrive_people_export_by_command(in_workspace, owner, tmp_path):
    taras = teammate(in_workspace, "Taras Shevchuk", "taras@acme.example.com")

    result = run_command(in_workspace, files.pipedrive_people_csv(tmp_path))

    assert counts(result) == (2, 2, 0, 0, 0)
    # Pipedrive keeps one "Name", first name first.
    olena = Contact.objects.get(first_name="Олена")
    assert olena.surname == "Коваленко"
    assert phones(olena) == {("+380441234567", "work"), ("+380677654321", "mobile")}
    assert emails(olena) == ["olena@svitanok.example.ua"]
    assert olena.company_links.get().company.name == "ТОВ «Світанок»"
    assert list(olena.tags.values_list("name", flat=True)) == ["Hot lead"]
    assert olena.responsible_id == taras.pk
    john = Contact.objects.get(first_name="John")
    assert john.surname == "Smith"
    assert emails(john) == ["john@smith.example", "js@gmail.example"]
    assert phones(john) == {("+12025550143", "mobile")}
    assert external_id(john) == "302"


# ---------------------------------------------------------------- 1C


@pytest.mark.parametrize(
    "builder",
    [files.onec_counterparties_xlsx, files.onec_counterparties_merged_xlsx],
    ids=["xlsxwriter", "openpyxl-merged-cells"],
)
def test_1c_counterparties_xlsx_by_command(in_workspace, owner, tmp_path, builder):
    for key, field_type, label in (
        ("kpp", "text", "КПП"),
        ("debt", "decimal", "Сумма долга"),
        ("contract_date", "date", "Дата договора"),
    ):
        create_custom_field(
            acting_user=owner,
            entity="company",
            field_type=field_type,
            labels={"ru": label},
            key=key,
        )

    result = run_command(in_workspace, builder(tmp_path), "companies")

    # The title, the date line and the "Итого" footer are not companies.
    assert counts(result) == (3, 3, 0, 0, 0)
    romashka = Company.objects.get(name="Ромашка ООО")
    assert romashka.legal_name == 'Общество с ограниченной ответственностью "Ромашка"'
    assert romashka.tax_number == "7701234560"
    assert romashka.addresses == [{"label": "", "text": "г. Москва, ул. Ленина, д. 1"}]
    assert set(romashka.phones.values_list("e164", flat=True)) == {"+74951112233"}
    assert romashka.custom == {
        "kpp": "770101001",
        "debt": "12345.67",
        "contract_date": "2024-12-31",
    }
    severstal = Company.objects.get(name="Северсталь-Снаб")
    # Shown with its zero by the cell format, or a bare number whose zero is restored.
    assert severstal.tax_number == "0245012349"
    # "12 345,67" typed as text; the KPP as text keeps its leading zero.
    assert severstal.custom == {
        "kpp": "024501001",
        "debt": "12345.67",
        "contract_date": "2023-01-09",
    }
    petrov = Company.objects.get(name="ИП Петров")
    assert petrov.tax_number == "012345678943"  # the zero the number cell lost, restored
    assert petrov.custom == {"debt": "0"}
    assert set(petrov.phones.values_list("e164", flat=True)) == {"+78432223344"}


# ---------------------------------------------------------------- Google Sheets


@pytest.mark.parametrize("line_end", ["\r\n", "\n"], ids=["crlf", "lf"])
def test_google_sheets_csv_by_command(in_workspace, owner, tmp_path, line_end):
    result = run_command(in_workspace, files.google_sheets_csv(tmp_path, line_end=line_end))

    assert counts(result) == (3, 3, 0, 0, 0)
    taras = Contact.objects.get(surname="Гончаренко")
    assert taras.first_name == "Тарас"
    assert phones(taras) == {("+380501112233", "mobile")}
    assert emails(taras) == ["taras@example.ua"]
    assert notes(taras) == ["Цікавиться, «гарячий»"]
    lee = Contact.objects.get(surname="Lee")
    assert notes(lee) == ['Said "call me, later"']
    assert phones(lee) == set()
    # A Russian number without the country code: the workspace's country (RU) is applied.
    yozhikova = Contact.objects.get(surname="Ёжикова")
    assert (yozhikova.first_name, phones(yozhikova)) == ("Алёна", {("+79161112233", "mobile")})
    assert all(c.responsible_id == owner.pk for c in Contact.objects.all())
