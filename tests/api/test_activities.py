"""/api/activities: the timeline through the API, with the card's rules and access."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from crm.models import Activity, ActivityVersion, Task
from tests.api.conftest import ApiClient, assert_error, member_with_key
from tests.conftest import host_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def contact(api):  # type: ignore[no-untyped-def]
    return api.post("/api/contacts", {"first_name": "Иван", "surname": "Петров"}).json()


def test_log_get_list_and_filter_activities(workspace, api, contact):
    call = api.post(
        "/api/activities",
        {
            "kind": "call",
            "contact_id": contact["id"],
            "direction": "outgoing",
            "duration_seconds": 120,
            "outcome": "reached",
            "number": "+79160000001",
        },
    )
    note = api.post(
        "/api/activities", {"kind": "note", "contact_id": contact["id"], "text": "Заметка"}
    )

    assert call.status_code == 201, call.content
    body = call.json()
    assert body["details"] == {"outcome": "reached"}
    assert body["author"]["name"]
    assert api.get(f"/api/activities/{body['id']}").json()["duration_seconds"] == 120
    listed = api.get("/api/activities", {"contact": contact["id"]}).json()["items"]
    assert [item["id"] for item in listed] == [body["id"], note.json()["id"]]
    calls = api.get("/api/activities", {"kind": "call"}).json()["items"]
    assert [item["kind"] for item in calls] == ["call"]


def test_validation_is_the_cards(api, contact):
    response = api.post(
        "/api/activities",
        {"kind": "invoice", "contact_id": contact["id"], "amount": "10", "currency": "XYZ"},
    )

    body = assert_error(response, 422, "invalid")
    assert {"number", "currency", "status"} <= set(body["fields"])


def test_update_keeps_a_version_and_archive_is_for_admins(workspace, api, contact):
    note = api.post(
        "/api/activities", {"kind": "note", "contact_id": contact["id"], "text": "Было"}
    ).json()

    changed = api.patch(f"/api/activities/{note['id']}", {"text": "Стало"})
    archived = api.post(f"/api/activities/{note['id']}/archive")
    restored = api.post(f"/api/activities/{note['id']}/restore")

    assert changed.json()["text"] == "Стало"
    assert changed.json()["edited_at"]
    assert archived.json()["archived_at"]
    assert restored.json()["archived_at"] is None
    with schema_context(workspace.workspace.schema_name):
        assert ActivityVersion.objects.get().snapshot["text"] == "Было"


def test_missed_call_with_the_same_uuid_makes_one_entry_and_one_task(workspace, api, contact):
    event = {
        "kind": "call",
        "contact_id": contact["id"],
        "direction": "missed",
        "uuid": "6f1c6f6e-1111-4a37-9d35-0b3f5f7f1e11",
    }

    first = api.post("/api/activities", event)
    again = api.post("/api/activities", event)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    with schema_context(workspace.workspace.schema_name):
        assert Activity.objects.count() == 1
        assert Task.objects.count() == 1


def test_upload_and_download_a_document(workspace, api, contact, owner_key):
    client = Client(HTTP_HOST=host_of(workspace))
    headers = {"Authorization": f"Bearer {owner_key}", "Accept-Language": "en"}
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploaded = client.post(
        "/api/activities/document",
        {"contact_id": contact["id"], "file": SimpleUploadedFile("offer.pdf", PDF)},
        headers=headers,
    )
    refused = client.post(
        "/api/activities/document",
        {"contact_id": contact["id"], "file": SimpleUploadedFile("run.exe", b"MZ" + b"0" * 20)},
        headers=headers,
    )

    assert uploaded.status_code == 201, uploaded.content
    body = uploaded.json()
    download = client.get(body["file_url"], headers=headers)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "file" in assert_error(refused, 422, "invalid")["fields"]


def test_a_members_key_sees_only_her_clients_entries(workspace, api, contact):
    from crm.actions import clients as client_actions
    from tests.api.conftest import fresh_owner, inside

    with inside(workspace):
        client_actions.update_crm_settings(
            acting_user=fresh_owner(workspace), members_see_only_own=True
        )
    _member, key = member_with_key(workspace, email="masha@acme.example.com")
    masha = ApiClient(workspace, key, **{"Accept-Language": "en"})
    others = api.post(
        "/api/activities", {"kind": "note", "contact_id": contact["id"], "text": "Секрет"}
    ).json()

    assert masha.get("/api/activities").json()["items"] == []
    assert_error(masha.get(f"/api/activities/{others['id']}"), 404, "not_found")
    assert_error(masha.patch(f"/api/activities/{others['id']}", {"text": "x"}), 404, "not_found")
    assert_error(
        masha.post("/api/activities", {"kind": "note", "contact_id": contact["id"], "text": "x"}),
        404,
        "not_found",
    )
    assert_error(masha.get(f"/api/activities/{others['id']}/file"), 404, "not_found")


def test_activities_are_in_the_openapi_schema(api):
    schema = api.get("/api/openapi.json").json()

    assert "/api/activities" in schema["paths"]
    assert "/api/activities/{activity_id}/archive" in schema["paths"]
