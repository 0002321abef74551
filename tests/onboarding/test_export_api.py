"""/api/exports: admins' keys with the export scope take data out, recorded like the page's.

Keys are made by the real action (create_api_key), data by the API, exports by the
Exports page's actions underneath, so the audit record and the files are the page's.
"""

import csv
import io
import json
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.models import Tag
from onboarding.exporting.models import ExportJob
from tenants.api_keys.actions import create_api_key
from tenants.api_keys.models import ApiKey, ApiKeyScope
from tenants.members.models import AuditEntry
from tenants.models import Workspace, WorkspaceStatus
from tests.api.conftest import ApiClient, assert_error, make_key
from tests.conftest import add_member
from tests.cross_workspace import logged_in_client

pytestmark = pytest.mark.django_db


def export_key(new, *, user=None, scope: str = ApiKeyScope.READ, name: str = "Backup") -> str:  # type: ignore[no-untyped-def]
    """A key of `new` with the export scope (read + export unless told otherwise)."""
    with schema_context(new.workspace.schema_name):
        return create_api_key(
            acting_user=user or new.owner, name=name, scope=scope, can_export=True
        ).secret


@pytest.fixture
def writer(workspace) -> ApiClient:  # type: ignore[no-untyped-def]
    """The owner's read-and-write key without export (to put data in)."""
    return ApiClient(workspace, make_key(workspace, name="Writer"), **{"Accept-Language": "en"})


@pytest.fixture
def exporter(workspace) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(workspace, export_key(workspace), **{"Accept-Language": "en"})


def csv_rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM, so Excel reads UTF-8
    text = content.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;")
    return list(csv.DictReader(io.StringIO(text), dialect=dialect))


def exports(new) -> list[ExportJob]:  # type: ignore[no-untyped-def]
    with schema_context(new.workspace.schema_name):
        return list(ExportJob.objects.all())


def test_an_admins_export_key_exports_contacts_downloads_them_and_it_is_audited(
    workspace, writer, exporter
):
    writer.post("/api/contacts", {"surname": "Иванова", "first_name": "Мария"})
    writer.post("/api/contacts", {"surname": "Петров", "first_name": "Олег"})

    created = exporter.post("/api/exports", {"entity": "contacts", "format": "csv"})

    assert created.status_code == 201, created.content.decode()
    body = created.json()
    assert (body["status"], body["rows"], body["format"]) == ("done", 2, "csv")
    assert exporter.get(f"/api/exports/{body['id']}").json()["status"] == "done"
    download = exporter.client.get(body["download_url"], headers=exporter.headers)
    assert download.status_code == 200
    assert sorted(row["Surname"] for row in csv_rows(download)) == ["Иванова", "Петров"]
    with schema_context(workspace.workspace.schema_name):
        job = ExportJob.objects.get()
        assert job.created_by == workspace.owner
        assert job.download_count == 1
        entry = AuditEntry.objects.get(action="data.exported")
        assert entry.actor == workspace.owner
        assert entry.changes["_export"] == {
            "job": body["id"],
            "entity": "contacts",
            "format": "csv",
            "rows": 2,
        }


def test_a_key_without_the_export_scope_is_refused_and_nothing_is_recorded(workspace, writer):
    writer.post("/api/contacts", {"surname": "Иванова"})

    response = writer.post("/api/exports", {"entity": "contacts", "format": "csv"})

    body = assert_error(response, 403, "forbidden")
    assert "may not export" in body["message"]
    assert exports(workspace) == []
    with schema_context(workspace.workspace.schema_name):
        assert not AuditEntry.objects.filter(action="data.exported").exists()


def test_an_export_key_stops_exporting_when_its_admin_becomes_a_member(workspace):
    from tenants.members.actions import change_member_role

    admin = add_member(workspace, email="olga@acme.example.com", role="admin")
    key = ApiClient(workspace, export_key(workspace, user=admin), **{"Accept-Language": "en"})
    assert key.post("/api/exports", {"entity": "tasks", "format": "csv"}).status_code == 201
    with schema_context(workspace.workspace.schema_name):
        change_member_role(acting_user=workspace.owner, member=admin, role="member")

    body = assert_error(key.post("/api/exports", {"entity": "tasks"}), 403, "forbidden")

    assert "no longer" in body["message"]
    assert_error(key.get(f"/api/exports/{exports(workspace)[0].uuid}"), 403, "forbidden")
    assert len(exports(workspace)) == 1


def test_a_filtered_export_by_segment_and_query_selects_what_the_list_would(
    workspace, writer, exporter
):
    writer.post("/api/contacts", {"surname": "Оптовая", "tags": ["опт"]})
    writer.post("/api/contacts", {"surname": "Розничная", "tags": ["розница"]})
    with schema_context(workspace.workspace.schema_name):
        from crm.models import Segment

        wholesale = Tag.objects.get(name="опт").pk
        Segment.objects.create(
            name="Опт", record_type="contact", filters={"tags": [wholesale]}, created_by=None
        )

    by_query = exporter.post(
        "/api/exports", {"entity": "contacts", "format": "csv", "query": f"tags={wholesale}"}
    ).json()
    by_segment = exporter.post(
        "/api/exports", {"entity": "contacts", "format": "csv", "segment": "опт"}
    ).json()

    for body in (by_query, by_segment):
        download = exporter.client.get(body["download_url"], headers=exporter.headers)
        assert [row["Surname"] for row in csv_rows(download)] == ["Оптовая"]
    assert "Опт" in by_segment["filter_description"]
    unknown = exporter.post("/api/exports", {"entity": "contacts", "segment": "Нет такого"})
    assert "segment" in assert_error(unknown, 422, "invalid")["fields"]


def test_xlsx_export_of_deals_and_bad_filters_answer_per_field(workspace, exporter):
    created = exporter.post("/api/exports", {"entity": "deals", "format": "xlsx"}).json()

    download = exporter.client.get(created["download_url"], headers=exporter.headers)
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.active.max_row == 1  # the header row: no deals yet
    backwards = exporter.post(
        "/api/exports",
        {"entity": "tasks", "date_from": "2026-12-31", "date_to": "2026-01-01"},
    )
    assert assert_error(backwards, 422, "invalid")["fields"]["date_to"] == [
        "The end date is before the start date."
    ]
    assert_error(exporter.post("/api/exports", {"entity": "invoices"}), 422, "invalid")
    assert_error(exporter.post("/api/exports", {"entity": "deals", "segment": 1}), 422, "invalid")
    assert len(exports(workspace)) == 1


@override_settings(EXPORT_DIRECT_MAX_ROWS=0)
def test_a_large_export_runs_in_the_background_and_is_polled(
    workspace, writer, exporter, django_capture_on_commit_callbacks
):
    writer.post("/api/contacts", {"surname": "Иванова"})

    with django_capture_on_commit_callbacks(execute=True):
        queued = exporter.post("/api/exports", {"entity": "contacts", "format": "xlsx"})

    assert queued.status_code == 202
    assert queued.json()["status"] == "queued"
    assert queued.json()["download_url"] is None
    done = exporter.get(f"/api/exports/{queued.json()['id']}").json()
    assert (done["status"], done["rows"]) == ("done", 1)


def test_a_file_not_ready_is_a_conflict_not_a_download(workspace, exporter):
    with schema_context(workspace.workspace.schema_name):
        job = ExportJob.objects.create(
            entity="contacts", file_format="csv", language="en", created_by=workspace.owner
        )

    body = assert_error(exporter.get(f"/api/exports/{job.uuid}/file"), 422, "conflict")

    assert "not ready" in body["fields"]["__all__"][0]


def test_a_read_only_workspace_can_still_export_through_the_api(workspace, exporter):
    Workspace.objects.filter(pk=workspace.workspace.pk).update(status=WorkspaceStatus.READ_ONLY)

    response = exporter.post("/api/exports", {"entity": "companies", "format": "csv"})

    assert response.status_code == 201, response.content.decode()


def test_another_workspaces_exports_are_not_found_or_unauthorized(
    workspace, other_workspace, exporter
):
    export_id = exporter.post("/api/exports", {"entity": "contacts"}).json()["id"]
    globex = ApiClient(other_workspace, export_key(other_workspace))
    acme_key_on_globex = ApiClient(other_workspace, exporter.headers["Authorization"].split()[1])

    assert_error(globex.get(f"/api/exports/{export_id}"), 404, "not_found")
    assert_error(globex.get(f"/api/exports/{export_id}/file"), 404, "not_found")
    assert_error(acme_key_on_globex.get(f"/api/exports/{export_id}"), 401, "unauthorized")
    assert_error(
        acme_key_on_globex.post("/api/exports", {"entity": "contacts"}), 401, "unauthorized"
    )


def test_the_settings_page_and_the_command_grant_the_export_scope(workspace):
    owner = logged_in_client(workspace)
    owner.post(
        "/settings/api-keys/", {"name": "Backup", "scope": ApiKeyScope.READ, "can_export": "on"}
    )
    out = StringIO()
    call_command(
        "create_api_key",
        "--workspace",
        "acme",
        "--name",
        "Nightly",
        "--scopes",
        "read,export",
        "--json",
        stdout=out,
    )

    result = json.loads(out.getvalue())
    assert result["scopes"] == ["read", "export"]
    with schema_context(workspace.workspace.schema_name):
        keys = {key.name: key for key in ApiKey.objects.all()}
        assert keys["Backup"].can_export is True
        assert keys["Nightly"].can_export is True
        assert keys["Nightly"].scope == ApiKeyScope.READ
        assert AuditEntry.objects.filter(changes__can_export=[None, True]).count() == 2
    me = ApiClient(workspace, result["key"]).get("/api/me").json()
    assert me["scopes"] == ["read", "export"]
    assert "and export" in owner.get("/settings/api-keys/").content.decode()


def test_the_export_endpoints_are_in_the_openapi_schema(exporter):
    paths = exporter.get("/api/openapi.json").json()["paths"]

    assert "post" in paths["/api/exports"]
    assert "/api/exports/{export_id}" in paths
    assert "/api/exports/{export_id}/file" in paths
