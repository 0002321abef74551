"""Workspace settings at /settings/workspace/: admins change them, every change is on record."""

import re
import zoneinfo

import pytest
from django.test import Client
from django.utils import formats, timezone, translation
from django_tenants.utils import schema_context

from tenants.members.models import AuditEntry
from tenants.models import Workspace
from tests.conftest import add_member, host_of

pytestmark = pytest.mark.django_db

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"
CURRENT = {
    "name": "Acme",
    "default_country": "RU",
    "time_zone": "Europe/Moscow",
    "default_language": "en",
}


def _client_for(member, workspace) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST=host_of(workspace))
    with schema_context(workspace.workspace.schema_name):
        client.force_login(member, backend=BACKEND)
    return client


def _saved(workspace) -> dict[str, str]:  # type: ignore[no-untyped-def]
    row = Workspace.objects.get(pk=workspace.workspace.pk)
    return {field: str(getattr(row, field)) for field in CURRENT}


def _settings_entries(workspace) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with schema_context(workspace.workspace.schema_name):
        return list(
            AuditEntry.objects.filter(action=AuditEntry.Action.SETTINGS_CHANGED).select_related(
                "actor"
            )
        )


def test_settings_page_shows_current_values(workspace, owner_client):
    response = owner_client.get("/settings/workspace/")

    assert response.status_code == 200
    assert response.context["form"].initial == CURRENT
    assert 'value="Acme"' in response.content.decode()


def test_owner_changes_every_setting(workspace, owner_client):
    new = {
        "name": "Acme Kyiv",
        "default_country": "UA",
        "time_zone": "Europe/Kyiv",
        "default_language": "uk",
    }

    response = owner_client.post("/settings/workspace/", new)

    assert response.status_code == 302
    assert response["Location"] == "/settings/workspace/"
    assert _saved(workspace) == new
    page = owner_client.get("/settings/workspace/")
    assert "Settings saved." in page.content.decode()
    assert "Kartoteka <small>· Acme Kyiv</small>" in page.content.decode()


def test_settings_change_is_recorded_with_who_and_old_and_new_values(workspace, owner_client):
    before = timezone.now()

    owner_client.post(
        "/settings/workspace/", {**CURRENT, "name": "Acme Kyiv", "default_country": "UA"}
    )

    [entry] = _settings_entries(workspace)
    assert entry.actor == workspace.owner
    assert entry.changes == {"name": ["Acme", "Acme Kyiv"], "default_country": ["RU", "UA"]}
    assert entry.created_at >= before


def test_history_table_shows_who_changed_what(workspace, owner_client):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")
    _client_for(admin, workspace).post("/settings/workspace/", {**CURRENT, "name": "Acme Kyiv"})

    page = owner_client.get("/settings/workspace/")

    [row] = re.findall(
        r"<tr>(?:(?!</tr>).)*Workspace settings changed(?:(?!</tr>).)*</tr>",
        page.content.decode(),
        flags=re.DOTALL,
    )
    assert '<td data-label="Who">admin</td>' in row
    assert "<strong>Name</strong>: Acme → Acme Kyiv" in row


def test_history_times_are_shown_in_the_workspace_time_zone(workspace, owner_client):
    owner_client.post("/settings/workspace/", {**CURRENT, "time_zone": "Asia/Tokyo"})
    [entry] = _settings_entries(workspace)

    page = owner_client.get("/settings/workspace/")

    tokyo = timezone.localtime(entry.created_at, zoneinfo.ZoneInfo("Asia/Tokyo"))
    moscow = timezone.localtime(entry.created_at, zoneinfo.ZoneInfo("Europe/Moscow"))
    with translation.override("en"):
        shown_in_tokyo = formats.date_format(tokyo, "SHORT_DATETIME_FORMAT")
        shown_in_moscow = formats.date_format(moscow, "SHORT_DATETIME_FORMAT")
    assert shown_in_tokyo != shown_in_moscow
    assert shown_in_tokyo in page.content.decode()


def test_unchanged_settings_write_no_history(workspace, owner_client):
    response = owner_client.post("/settings/workspace/", CURRENT, follow=True)

    assert "Nothing changed." in response.content.decode()
    assert _settings_entries(workspace) == []


def test_each_save_adds_a_history_entry(workspace, owner_client):
    owner_client.post("/settings/workspace/", {**CURRENT, "name": "First"})
    owner_client.post("/settings/workspace/", {**CURRENT, "name": "Second"})

    entries = _settings_entries(workspace)

    assert [entry.changes["name"] for entry in entries] == [["First", "Second"], ["Acme", "First"]]


def test_admin_can_change_settings(workspace):
    admin = add_member(workspace, email="admin@acme.example.com", role="admin")

    response = _client_for(admin, workspace).post(
        "/settings/workspace/", {**CURRENT, "time_zone": "Europe/Kyiv"}
    )

    assert response.status_code == 302
    assert _saved(workspace)["time_zone"] == "Europe/Kyiv"
    assert _settings_entries(workspace)[0].actor == admin


def test_member_gets_403_on_workspace_settings(workspace):
    member = add_member(workspace, email="ann@acme.example.com")
    client = _client_for(member, workspace)

    shown = client.get("/settings/workspace/")
    posted = client.post("/settings/workspace/", {**CURRENT, "name": "Hijacked"})

    assert shown.status_code == 403
    assert posted.status_code == 403
    assert _saved(workspace) == CURRENT
    assert _settings_entries(workspace) == []


def test_visitor_is_sent_to_login_from_workspace_settings(workspace):
    response = Client(HTTP_HOST=host_of(workspace)).post(
        "/settings/workspace/", {**CURRENT, "name": "Hijacked"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert _saved(workspace) == CURRENT


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 101),
        ("default_country", "XX"),
        ("default_country", ""),
        ("time_zone", "Mars/Olympus_Mons"),
        ("time_zone", ""),
        ("default_language", "de"),
        ("default_language", ""),
    ],
)
def test_bad_values_give_form_errors_and_change_nothing(workspace, owner_client, field, value):
    response = owner_client.post("/settings/workspace/", {**CURRENT, field: value})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'class="errorlist' in response.content.decode()
    assert _saved(workspace) == CURRENT
    assert _settings_entries(workspace) == []


def test_blank_form_gives_an_error_for_every_field(workspace, owner_client):
    response = owner_client.post("/settings/workspace/", dict.fromkeys(CURRENT, ""))

    assert response.status_code == 200
    assert set(response.context["form"].errors) == set(CURRENT)
    assert _saved(workspace) == CURRENT


def test_default_language_applies_to_visitors(workspace, owner_client):
    owner_client.post("/settings/workspace/", {**CURRENT, "default_language": "ru"})

    page = Client(HTTP_HOST=host_of(workspace)).get("/accounts/login/")

    assert '<html lang="ru">' in page.content.decode()
    assert "Войти" in page.content.decode()


def test_settings_page_query_count_does_not_grow_with_history(
    workspace, owner_client, django_assert_max_num_queries
):
    for number in range(4):
        admin = add_member(workspace, email=f"admin{number}@acme.example.com", role="admin")
        _client_for(admin, workspace).post(
            "/settings/workspace/", {**CURRENT, "name": f"Acme {number}"}
        )

    owner_client.get("/settings/workspace/")  # the bell's unread count is cached from here on
    # Routing (3), session, user, history with its authors: 6, however long the history.
    with django_assert_max_num_queries(7):
        response = owner_client.get("/settings/workspace/")

    assert response.status_code == 200
    # Workspace created, then for each admin: invited, joined, renamed the workspace.
    assert len(response.context["audit_entries"]) == 13
