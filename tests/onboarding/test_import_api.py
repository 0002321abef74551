"""/api/imports: the wizard's engine through the REST API, from upload to undo.

Celery runs eagerly in tests; the check and the run are queued on commit, so each request
that queues one runs inside django_capture_on_commit_callbacks(execute=True), as the
wizard's tests do: by the time it returns, the background work is done.
"""

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from crm.models import Contact
from onboarding.importing.models import ImportJob, SavedMapping
from tenants.api_keys.models import ApiKeyScope
from tenants.models import Workspace, WorkspaceStatus
from tests.api.conftest import ApiClient, assert_error, make_key, member_with_key

pytestmark = pytest.mark.django_db

HEADERS = ["Фамилия", "Имя", "Телефон", "E-mail"]
ROWS = [
    ["Иванова", "Мария", "+7 916 111-22-33", "maria@example.com"],
    ["Петров", "Олег", "+7 916 444-55-66", "oleg@example.com"],
    ["Сидоров", "Иван", "+7 916 777-88-99", "ivan@example.com"],
]


def cp1251_csv(rows: list[list[str]] = ROWS, headers: list[str] = HEADERS) -> bytes:
    """A Bitrix24-style file: cp1251, `;`, every field quoted."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("cp1251")


def post_file(api: ApiClient, content: bytes, name: str = "clients.csv", **fields: Any):  # type: ignore[no-untyped-def]
    data = {"entity": "contacts", **fields, "file": SimpleUploadedFile(name, content)}
    return api.client.post("/api/imports", data, headers=api.headers)


def surnames(new) -> list[str]:  # type: ignore[no-untyped-def]
    with schema_context(new.workspace.schema_name):
        return sorted(Contact.objects.values_list("surname", flat=True))


def jobs(new) -> list[ImportJob]:  # type: ignore[no-untyped-def]
    with schema_context(new.workspace.schema_name):
        return list(ImportJob.objects.all())


@pytest.fixture
def api(workspace) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(workspace, make_key(workspace), **{"Accept-Language": "en"})


def test_a_file_is_imported_end_to_end_and_the_import_reports_its_counts(
    workspace, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = post_file(api, cp1251_csv())

    assert created.status_code == 201, created.content.decode()
    import_id = created.json()["id"]
    body = api.get(f"/api/imports/{import_id}").json()
    assert body["status"] == "done"
    assert body["encoding"] == "cp1251"
    assert body["delimiter"] == ";"
    assert [column["target"] for column in body["columns"]] == [
        "surname",
        "first_name",
        "phone",
        "email",
    ]
    assert body["counts"] == {"created": 3, "updated": 0, "skipped": 0, "failed": 0}
    assert body["progress"]["rows_done"] == 3
    assert body["progress"]["total"] == 3
    assert body["check"]["valid"] == 3
    assert body["check"]["errors"] == []
    assert body["can_undo"] is True
    assert body["undo_until"]
    assert surnames(workspace) == ["Иванова", "Петров", "Сидоров"]
    listed = api.get("/api/imports").json()
    assert [item["id"] for item in listed["items"]] == [import_id]
    assert listed["next_cursor"] is None


def test_check_only_stops_after_the_check_and_run_starts_it(
    workspace, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = post_file(api, cp1251_csv(), check_only="true").json()
    checked = api.get(f"/api/imports/{created['id']}").json()

    assert created["status"] == "checking"
    assert checked["status"] == "checked"
    assert checked["start_when_checked"] is False
    assert checked["check"]["rows"] == 3
    assert surnames(workspace) == []

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"/api/imports/{checked['id']}/run")

    assert started.status_code == 200, started.content.decode()
    assert api.get(f"/api/imports/{checked['id']}").json()["status"] == "done"
    assert surnames(workspace) == ["Иванова", "Петров", "Сидоров"]


def test_duplicates_are_counted_and_skipped_when_asked(
    workspace, api, django_capture_on_commit_callbacks
):
    existing = api.post("/api/contacts", {"surname": "Иванова", "emails": ["MARIA@example.com"]})
    assert existing.status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        import_id = post_file(api, cp1251_csv(), on_duplicate="skip").json()["id"]

    body = api.get(f"/api/imports/{import_id}").json()
    assert body["duplicates"]["existing"] == 1
    assert body["duplicates"]["by"]["email"] == 1
    assert body["duplicates"]["will_skip"] == 1
    assert body["counts"]["created"] == 2
    assert body["counts"]["skipped"] == 1
    assert surnames(workspace) == ["Иванова", "Петров", "Сидоров"]


def test_cancel_before_the_run_and_the_run_is_then_refused(
    workspace, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_id = post_file(api, cp1251_csv(), check_only="true").json()["id"]

    cancelled = api.post(f"/api/imports/{import_id}/cancel")

    assert cancelled.json()["status"] == "cancelled"
    body = assert_error(api.post(f"/api/imports/{import_id}/run"), 422, "conflict")
    assert "past that step" in body["fields"]["__all__"][0]
    assert surnames(workspace) == []


def test_undo_takes_the_whole_import_back(workspace, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_id = post_file(api, cp1251_csv()).json()["id"]
    assert len(surnames(workspace)) == 3

    undone = api.post(f"/api/imports/{import_id}/undo")

    assert undone.status_code == 200, undone.content.decode()
    assert undone.json()["status"] == "undone"
    assert undone.json()["undone_at"]
    with schema_context(workspace.workspace.schema_name):
        assert not Contact.objects.filter(archived_at__isnull=True).exists()


def test_explicit_mapping_by_header_and_the_failing_rows_file(
    workspace, api, django_capture_on_commit_callbacks
):
    rows = [*ROWS, ["Кузнецова", "Анна", "", "not-an-email"]]
    mapping = '{"Фамилия": "surname", "имя": "first_name", "3": "email", "Телефон": null}'

    with django_capture_on_commit_callbacks(execute=True):
        import_id = post_file(api, cp1251_csv(rows), mapping=mapping, check_only="true").json()[
            "id"
        ]
    body = api.get(f"/api/imports/{import_id}").json()

    assert [column["target"] for column in body["columns"]] == [
        "surname",
        "first_name",
        None,
        "email",
    ]
    assert body["check"]["valid"] == 3
    assert body["check"]["invalid"] == 1
    assert body["check"]["errors"][0]["row"] == 5
    assert body["check"]["errors"][0]["column"] == "E-mail"
    failing = api.client.get(body["check"]["failing_rows_url"], headers=api.headers)
    assert failing.status_code == 200
    text = b"".join(failing.streaming_content).decode("utf-8-sig")
    assert "not-an-email" in text
    assert "maria@example.com" not in text


def test_a_saved_mapping_is_used_by_name(workspace, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_file(api, cp1251_csv(), check_only="true", save_mapping_as="Bitrix")
    with schema_context(workspace.workspace.schema_name):
        assert SavedMapping.objects.get().name == "Bitrix"

    with django_capture_on_commit_callbacks(execute=True):
        body = post_file(api, cp1251_csv(), mapping="bitrix", check_only="true").json()
    body = api.get(f"/api/imports/{body['id']}").json()

    assert body["columns"][3]["target"] == "email"
    unknown = post_file(api, cp1251_csv(), mapping="Nope")
    assert "No saved mapping" in assert_error(unknown, 422, "invalid")["fields"]["mapping"][0]


def test_unreadable_file_is_a_400_with_the_reason_and_nothing_is_kept(workspace, api):
    response = post_file(api, bytes(range(256)) * 64)

    body = assert_error(response, 400, "bad_file")
    assert body["fields"]["file"] == [body["message"]]
    assert body["reason"]
    assert jobs(workspace) == []
    assert_error(post_file(api, b""), 422, "invalid")
    assert jobs(workspace) == []


def test_a_mapping_naming_a_missing_column_is_refused_and_the_upload_not_kept(workspace, api):
    response = post_file(api, cp1251_csv(), mapping='{"Город": "address"}')

    body = assert_error(response, 422, "invalid")
    assert body["fields"]["mapping.Город"] == ["The file has no column “Город”."]
    assert jobs(workspace) == []
    assert_error(post_file(api, cp1251_csv(), mapping="{not json"), 422, "invalid")
    assert_error(post_file(api, cp1251_csv(), encoding="ebcdic"), 422, "invalid")
    assert_error(post_file(api, cp1251_csv(), entity="deals"), 422, "invalid")
    assert jobs(workspace) == []


def test_a_read_only_key_may_list_but_not_import(workspace, api):
    reader = ApiClient(workspace, make_key(workspace, scope=ApiKeyScope.READ, name="Reader"))

    body = assert_error(post_file(reader, cp1251_csv()), 403, "forbidden")

    assert "may only read" in body["message"]
    assert jobs(workspace) == []
    assert reader.get("/api/imports").status_code == 200


def test_a_member_without_import_rights_is_refused(
    workspace, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_id = post_file(api, cp1251_csv(), check_only="true").json()["id"]
    _member, key = member_with_key(workspace, email="masha@acme.example.com")
    member = ApiClient(workspace, key, **{"Accept-Language": "en"})

    body = assert_error(post_file(member, cp1251_csv()), 403, "forbidden")
    assert body["message"] == "Only owners and admins can import."
    assert_error(member.get("/api/imports"), 403, "forbidden")
    assert_error(member.get(f"/api/imports/{import_id}"), 403, "forbidden")
    assert_error(member.post(f"/api/imports/{import_id}/run"), 403, "forbidden")
    assert_error(member.post(f"/api/imports/{import_id}/undo"), 403, "forbidden")
    assert len(jobs(workspace)) == 1
    assert surnames(workspace) == []


def test_a_read_only_workspace_refuses_imports(workspace, api):
    Workspace.objects.filter(pk=workspace.workspace.pk).update(status=WorkspaceStatus.READ_ONLY)

    assert_error(post_file(api, cp1251_csv()), 403, "read_only")
    assert jobs(workspace) == []
    assert api.get("/api/imports").status_code == 200


def test_another_workspaces_imports_are_not_found_or_unauthorized(
    workspace, other_workspace, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_id = post_file(api, cp1251_csv(), check_only="true").json()["id"]
    globex = ApiClient(other_workspace, make_key(other_workspace))
    acme_key_on_globex = ApiClient(other_workspace, api.headers["Authorization"].split()[1])

    for path in ("", "/failing-rows"):
        assert_error(globex.get(f"/api/imports/{import_id}{path}"), 404, "not_found")
    for action in ("run", "cancel", "undo"):
        assert_error(globex.post(f"/api/imports/{import_id}/{action}"), 404, "not_found")
    assert globex.get("/api/imports").json()["items"] == []
    assert_error(acme_key_on_globex.get(f"/api/imports/{import_id}"), 401, "unauthorized")
    assert jobs(workspace)[0].status == "checked"


def test_pages_of_imports_follow_the_cursor(workspace, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ids = [post_file(api, cp1251_csv(), check_only="true").json()["id"] for _ in range(3)]

    first = api.get("/api/imports", {"limit": 2}).json()
    second = api.get("/api/imports", {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [item["id"] for item in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None
    assert_error(api.get("/api/imports", {"cursor": "nonsense"}), 422, "invalid")


def test_the_fields_a_mapping_can_name_are_listed(api):
    fields = api.get("/api/imports/fields", {"entity": "companies"}).json()

    keys = {field["key"] for field in fields}
    assert {"name", "tax_number"} <= keys


def test_the_import_endpoints_are_in_the_openapi_schema(api):
    paths = api.get("/api/openapi.json").json()["paths"]

    assert "post" in paths["/api/imports"]
    assert "multipart/form-data" in paths["/api/imports"]["post"]["requestBody"]["content"]
    for path in (
        "/api/imports/{import_id}",
        "/api/imports/{import_id}/run",
        "/api/imports/{import_id}/cancel",
        "/api/imports/{import_id}/undo",
        "/api/imports/{import_id}/failing-rows",
        "/api/imports/fields",
    ):
        assert path in paths, path


def test_with_failing_rows_and_only_valid_false_the_run_is_not_started_and_says_why(
    workspace, api, django_capture_on_commit_callbacks
):
    rows = [*ROWS, ["Кузнецова", "Анна", "", "not-an-email"]]

    with django_capture_on_commit_callbacks(execute=True):
        import_id = post_file(api, cp1251_csv(rows), only_valid="false").json()["id"]

    body = api.get(f"/api/imports/{import_id}").json()
    assert body["status"] == "checked"
    assert body["not_started"] == [
        "Some rows have errors: fix them first, or import only the valid rows."
    ]
    assert surnames(workspace) == []


def test_encoding_and_delimiter_can_be_chosen_over_the_detection(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = post_file(
            api, cp1251_csv(), encoding="cp1251", delimiter="semicolon", check_only="true"
        ).json()

    assert (body["encoding"], body["delimiter"]) == ("cp1251", ";")
    assert [column["header"] for column in body["columns"]] == HEADERS
