# ruff: noqa: RUF001 (Russian names and headers are the data here)
"""The import wizard's pages as an admin uses them, step by step, on real files.

Everything goes through the real engine (onboarding.importing.actions, run by Celery
eagerly in tests), so these pages show what the engine really did.
"""

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from crm.models import Contact, CustomField
from onboarding.importing.models import ChecklistDismissal, ImportJob, SavedMapping
from tests.conftest import add_member
from tests.cross_workspace import logged_in_client

HEADERS = ["Фамилия", "Имя", "Телефон", "E-mail", "Город"]
ROWS = [
    ["Иванова", "Мария", "+7 916 111-22-33", "maria@example.com", "Москва"],
    ["Петров", "Олег", "+7 916 444-55-66", "oleg@example.com", "Тверь"],
    ["Сидоров", "Иван", "+7 916 777-88-99", "ivan@example.com", "Казань"],
]


def cp1251_csv(rows: list[list[str]] = ROWS, headers: list[str] = HEADERS) -> bytes:
    """A Bitrix24-style file: cp1251, `;`, every field quoted."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("cp1251")


def upload(client: Client, content: bytes, name: str = "clients.csv", what: str = "contacts"):  # type: ignore[no-untyped-def]
    return client.post(
        "/import/", {"what": what, "file": SimpleUploadedFile(name, content, "text/csv")}
    )


@pytest.fixture
def owner(workspace) -> Client:  # type: ignore[no-untyped-def]
    client = logged_in_client(workspace)
    client.cookies["kartoteka_language"] = "en"
    return client


def job_of(workspace) -> ImportJob:  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name):
        return ImportJob.objects.get()


def text(response: Any) -> str:
    return response.content.decode()


def mapping_post(job: ImportJob, targets: dict[int, str], **extra: str) -> dict[str, str]:
    data = {f"column_{index}": "" for index in range(len(job.headers))}
    data.update({f"column_{index}": target for index, target in targets.items()})
    data.update(extra)
    return data


STANDARD = {0: "surname", 1: "first_name", 2: "phone", 3: "email"}


def through_check(workspace, owner, django_capture_on_commit_callbacks, content: bytes):  # type: ignore[no-untyped-def]
    """Upload `content` and map its columns; returns the checked job."""
    upload(owner, content)
    job = job_of(workspace)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(f"/import/{job.uuid}/columns/", mapping_post(job, STANDARD))
    assert response.status_code == 302, text(response)[:3000]
    assert response["Location"] == f"/import/{job.uuid}/check/"
    return job_of(workspace)


# ----------------------------------------------------------------- access


def test_start_page_shows_what_can_be_imported_and_the_limits(owner):
    page = text(owner.get("/import/"))

    assert "Contacts with their companies, in one file" in page
    assert "Up to 50 MB and 1,000,000 rows per file." in page
    assert "XLSX and XLS" in page
    assert "Bitrix24" in page
    assert 'accept=".csv,.tsv,.txt,.xlsx,.xls,.htm,.html"' in page


def test_member_cannot_open_the_wizard_or_the_history(workspace):
    member = add_member(workspace, email="masha@acme.example.com")
    client = logged_in_client(workspace, member)

    assert client.get("/import/").status_code == 403
    assert client.get("/import/history/").status_code == 403


def test_another_workspaces_import_is_not_found(
    workspace, other_workspace, owner, django_capture_on_commit_callbacks
):
    upload(owner, cp1251_csv())
    job = job_of(workspace)
    other_owner = logged_in_client(other_workspace)

    for path in ("", "reading/", "columns/", "check/", "run/", "progress/", "undo/"):
        assert other_owner.get(f"/import/{job.uuid}/{path}").status_code == 404, path
    assert other_owner.post(f"/import/{job.uuid}/cancel/").status_code == 404


# ----------------------------------------------------------------- 1. upload


def test_garbage_file_is_refused_on_the_form_and_nothing_is_kept(workspace, owner):
    response = upload(owner, bytes(range(256)) * 64, name="clients.csv")

    assert response.status_code == 200
    assert 'role="alert"' in text(response)
    with schema_context(workspace.workspace.schema_name):
        assert not ImportJob.objects.exists()


def test_no_file_chosen_says_so(owner):
    response = owner.post("/import/", {"what": "contacts"})

    assert "Choose a file to import." in text(response)


# ----------------------------------------------------------------- 2. reading


def test_upload_of_a_cp1251_csv_shows_what_was_detected_and_a_preview(workspace, owner):
    response = upload(owner, cp1251_csv())
    job = job_of(workspace)

    assert response.status_code == 302
    assert response["Location"] == f"/import/{job.uuid}/reading/"
    page = text(owner.get(response["Location"]))
    assert "Detected: encoding cp1251" in page or "Detected: encoding windows-1251" in page
    assert "separator: “;”" in page
    assert '<th scope="col">Фамилия</th>' in page
    assert "<td>Иванова</td>" in page
    assert 'class="import-scroll"' in page


def test_choosing_another_header_row_reads_the_file_again(workspace, owner):
    upload(owner, cp1251_csv())
    job = job_of(workspace)

    response = owner.post(
        f"/import/{job.uuid}/reading/",
        {"encoding": "cp1251", "delimiter": ";", "header_row": "2", "apply": "1"},
    )

    assert response.status_code == 302
    job = job_of(workspace)
    assert job.header_row == 1
    assert job.headers[0] == "Иванова"


def test_a_wrong_encoding_override_is_shown_not_a_500(workspace, owner):
    upload(owner, cp1251_csv())
    job = job_of(workspace)

    response = owner.post(
        f"/import/{job.uuid}/reading/",
        {"encoding": "utf-16", "delimiter": ";", "header_row": "1", "apply": "1"},
    )

    assert response.status_code in {200, 302}
    page = text(owner.get(f"/import/{job.uuid}/reading/"))
    assert "Server Error" not in page


# ----------------------------------------------------------------- 3. mapping


def test_mapping_page_suggests_fields_with_their_confidence(workspace, owner):
    upload(owner, cp1251_csv())
    job = job_of(workspace)

    page = text(owner.get(f"/import/{job.uuid}/columns/"))

    assert "Фамилия" in page
    assert "Иванова" in page
    assert '<option value="surname" selected>' in page
    assert '<option value="email" selected>' in page
    assert 'class="badge ok">High' in page
    assert "New field…" in page


def test_a_field_chosen_for_two_columns_is_refused(workspace, owner):
    upload(owner, cp1251_csv())
    job = job_of(workspace)

    response = owner.post(
        f"/import/{job.uuid}/columns/", mapping_post(job, {0: "surname", 1: "surname"})
    )

    assert response.status_code == 200
    assert "“Фамилия” already goes into this field" in text(response)


def test_a_new_custom_field_is_created_from_the_mapping_page_and_the_mapping_saved(
    workspace, owner, django_capture_on_commit_callbacks
):
    upload(owner, cp1251_csv())
    job = job_of(workspace)
    data = mapping_post(
        job,
        {**STANDARD, 4: "__new__"},
        new_name_4="Город",
        new_type_4="text",
        save_as="Bitrix24 contacts",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(f"/import/{job.uuid}/columns/", data)

    assert response.status_code == 302, text(response)[:3000]
    with schema_context(workspace.workspace.schema_name):
        field = CustomField.objects.get(entity="contact")
        assert field.label == "Город" or "Город" in str(field.labels)
        assert SavedMapping.objects.filter(name="Bitrix24 contacts").exists()
    assert job_of(workspace).mapping["4"] == f"custom.{field.key}"


def test_a_new_field_needs_a_name(workspace, owner):
    upload(owner, cp1251_csv())
    job = job_of(workspace)

    response = owner.post(
        f"/import/{job.uuid}/columns/",
        mapping_post(job, {4: "__new__"}, new_name_4="  ", new_type_4="text"),
    )

    assert "Name the new field." in text(response)


def test_a_saved_mapping_is_offered_and_applied_to_the_next_file(
    workspace, owner, django_capture_on_commit_callbacks
):
    upload(owner, cp1251_csv())
    first = job_of(workspace)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(
            f"/import/{first.uuid}/columns/",
            mapping_post(first, {0: "surname", 1: "first_name", 2: "note"}, save_as="Mine"),
        )
    upload(owner, cp1251_csv())
    with schema_context(workspace.workspace.schema_name):
        second = ImportJob.objects.exclude(pk=first.pk).get()
        saved = SavedMapping.objects.get(name="Mine")

    assert "Use a saved mapping" in text(owner.get(f"/import/{second.uuid}/columns/"))
    response = owner.post(f"/import/{second.uuid}/columns/saved/", {"saved": saved.pk})

    assert response.status_code == 302
    assert job_of_uuid(workspace, second.uuid).mapping.get("2") == "note"


def job_of_uuid(workspace, uuid) -> ImportJob:  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name):
        return ImportJob.objects.get(uuid=uuid)


# ----------------------------------------------------------------- 4. check


def test_check_shows_failing_rows_by_row_and_field_and_offers_them_as_a_file(
    workspace, owner, django_capture_on_commit_callbacks
):
    rows = [*ROWS, ["Кузнецова", "Анна", "+7 916 000-00-01", "not-an-address", "Омск"]]
    job = through_check(workspace, owner, django_capture_on_commit_callbacks, cp1251_csv(rows))

    page = text(owner.get(f"/import/{job.uuid}/check/"))

    assert job.status == "checked"
    assert '>3</span><span class="stat-label">rows can be imported' in page
    assert '>1</span><span class="stat-label">rows have errors' in page
    assert "Row 5" in page
    assert "E-mail" in page
    download = owner.get(f"/import/{job.uuid}/failing-rows/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "Кузнецова" in body
    assert "Иванова" not in body


def test_continuing_with_failing_rows_needs_the_only_valid_choice(
    workspace, owner, django_capture_on_commit_callbacks
):
    rows = [*ROWS, ["Кузнецова", "Анна", "", "not-an-address", "Омск"]]
    job = through_check(workspace, owner, django_capture_on_commit_callbacks, cp1251_csv(rows))

    refused = owner.post(f"/import/{job.uuid}/check/", {"continue": "1"})
    accepted = owner.post(f"/import/{job.uuid}/check/", {"continue": "1", "only_valid": "on"})

    assert "Tick this to import without the failing rows" in text(refused)
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/import/{job.uuid}/duplicates/"


# ----------------------------------------------------------------- 5-6. duplicates, run


def test_duplicates_counted_then_import_runs_to_its_summary(
    workspace, owner, django_capture_on_commit_callbacks
):
    from crm.actions.clients import create_contact

    with schema_context(workspace.workspace.schema_name):
        create_contact(
            acting_user=workspace.owner,
            data={"surname": "Иванова", "first_name": "М.", "emails": ["maria@example.com"]},
        )
    job = through_check(workspace, owner, django_capture_on_commit_callbacks, cp1251_csv())
    owner.post(f"/import/{job.uuid}/check/", {"continue": "1"})

    page = text(owner.get(f"/import/{job.uuid}/duplicates/"))
    assert "Same e-mail: <strong>1</strong>" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            f"/import/{job.uuid}/duplicates/", {"on_duplicate": "update", "responsible": "me"}
        )

    assert response.status_code == 302, text(response)[:3000]
    assert response["Location"] == f"/import/{job.uuid}/run/"
    summary = text(owner.get(response["Location"]))
    assert "Import finished" in summary
    assert '>2</span><span class="stat-label">created' in summary
    assert '>1</span><span class="stat-label">updated' in summary
    assert 'href="/contacts/"' in summary
    with schema_context(workspace.workspace.schema_name):
        assert Contact.objects.filter(surname="Петров").exists()
        assert Contact.objects.get(surname="Иванова").first_name == "Мария"


def test_progress_fragment_reloads_the_page_once_the_job_moved_on(
    workspace, owner, django_capture_on_commit_callbacks
):
    job = through_check(workspace, owner, django_capture_on_commit_callbacks, cp1251_csv())

    moved = owner.get(f"/import/{job.uuid}/progress/?shown=checking", HTTP_HX_REQUEST="true")
    same = owner.get(f"/import/{job.uuid}/progress/?shown=checked", HTTP_HX_REQUEST="true")

    assert moved["HX-Refresh"] == "true"
    assert same.status_code == 200
    assert 'id="import-progress"' in text(same)
    assert "hx-trigger" not in text(same)  # nothing left to wait for


def finished_import(workspace, owner, capture) -> ImportJob:  # type: ignore[no-untyped-def]
    job = through_check(workspace, owner, capture, cp1251_csv())
    owner.post(f"/import/{job.uuid}/check/", {"continue": "1"})
    with capture(execute=True):
        owner.post(f"/import/{job.uuid}/duplicates/", {"on_duplicate": "skip", "responsible": "me"})
    return job_of(workspace)


# ----------------------------------------------------------------- 7. history and undo


def test_history_lists_the_import_with_its_counts_and_undo(
    workspace, owner, django_capture_on_commit_callbacks
):
    job = finished_import(workspace, owner, django_capture_on_commit_callbacks)

    page = text(owner.get("/import/history/"))

    assert "clients.csv" in page
    assert f'href="/import/{job.uuid}/undo/"' in page
    assert "Done" in page


def test_undo_shows_what_it_removes_then_removes_it(
    workspace, owner, django_capture_on_commit_callbacks
):
    job = finished_import(workspace, owner, django_capture_on_commit_callbacks)

    page = text(owner.get(f"/import/{job.uuid}/undo/"))
    assert "3 contacts it created will be removed" in page
    assert "data-confirm=" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(f"/import/{job.uuid}/undo/")

    assert response.status_code == 302
    with schema_context(workspace.workspace.schema_name):
        assert not Contact.objects.filter(surname__in=["Иванова", "Петров", "Сидоров"]).exists()
    assert job_of(workspace).status == "undone"
    assert "Import undone" in text(owner.get(response["Location"]))


def test_history_is_empty_at_first_and_says_what_to_do(owner):
    page = text(owner.get("/import/history/"))

    assert "No imports yet" in page
    assert 'href="/import/"' in page


# ----------------------------------------------------------------- 8. links and checklist


def test_contact_and_company_lists_link_to_the_import_for_admins(workspace, owner):
    member = add_member(workspace, email="masha@acme.example.com")

    assert 'href="/import/?what=contacts"' in text(owner.get("/contacts/"))
    assert 'href="/import/?what=companies"' in text(owner.get("/companies/"))
    assert "/import/" not in text(logged_in_client(workspace, member).get("/contacts/"))


def test_checklist_links_import_fields_and_team(owner):
    page = text(owner.get("/"))

    assert 'id="step-import_clients"' in page
    assert 'href="/import/"' in page
    assert 'id="step-add_custom_fields"' in page
    assert 'href="/settings/fields/"' in page
    assert 'id="step-invite_team"' in page
    assert 'href="/settings/members/"' in page


def test_checklist_import_step_is_ticked_once_an_import_is_done(
    workspace, owner, django_capture_on_commit_callbacks
):
    finished_import(workspace, owner, django_capture_on_commit_callbacks)

    page = text(owner.get("/"))

    assert 'class="done" id="step-import_clients"' in page


def test_checklist_can_be_hidden_and_shown_again(workspace, owner):
    hidden = owner.post("/welcome/checklist/", {"checklist": "hide"}, follow=True)

    assert 'id="get-started"' not in text(hidden)
    assert "Show the get-started checklist" in text(hidden)
    with schema_context(workspace.workspace.schema_name):
        assert ChecklistDismissal.objects.count() == 1

    shown = owner.post("/welcome/checklist/", {"checklist": "show"}, follow=True)

    assert 'id="get-started"' in text(shown)


def test_read_only_workspace_says_nothing_can_be_imported(workspace, owner):
    from tenants.models import Workspace, WorkspaceStatus

    Workspace.objects.filter(pk=workspace.workspace.pk).update(status=WorkspaceStatus.READ_ONLY)

    page = text(owner.get("/import/"))
    refused = upload(owner, cp1251_csv())

    assert 'data-testid="read-only-import"' in page
    assert 'name="file"' not in page
    assert refused.status_code == 403
    with schema_context(workspace.workspace.schema_name):
        assert not ImportJob.objects.exists()


def test_history_page_queries_do_not_grow_with_imports(workspace, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    upload(owner, cp1251_csv())
    with CaptureQueriesContext(connection) as one:
        owner.get("/import/history/")
    for _ in range(3):
        upload(owner, cp1251_csv())
    with CaptureQueriesContext(connection) as four:
        page = text(owner.get("/import/history/"))

    assert page.count("clients.csv") == 4
    assert len(four.captured_queries) == len(one.captured_queries)
