"""API keys: created and revoked by owners and admins on the settings page, shown once, hashed."""

import json
import re
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.api_keys import actions
from tenants.api_keys.models import ApiKey, ApiKeyScope
from tenants.members.models import AuditEntry
from tests.api.conftest import ApiClient, make_key
from tests.conftest import add_member
from tests.cross_workspace import logged_in_client

pytestmark = pytest.mark.django_db

KEY_PATTERN = re.compile(r"kt_[A-Za-z0-9_-]{43}")


def _keys(new) -> list[ApiKey]:  # type: ignore[no-untyped-def]
    with schema_context(new.workspace.schema_name):
        return list(ApiKey.objects.select_related("created_by").order_by("pk"))


def test_owner_creates_a_key_and_sees_it_only_once(workspace, owner_client):
    response = owner_client.post(
        "/settings/api-keys/", {"name": "Website form", "scope": ApiKeyScope.READ_WRITE}
    )

    assert response.status_code == 200
    page = response.content.decode()
    shown = KEY_PATTERN.findall(page)
    assert len(shown) == 1
    assert "shown only once" in page
    assert response["Cache-Control"] == "no-store"
    (key,) = _keys(workspace)
    assert key.name == "Website form"
    assert key.scope == ApiKeyScope.READ_WRITE
    assert key.created_by == workspace.owner
    assert key.prefix == shown[0][:10]
    # Stored hashed: the secret itself is nowhere in the row.
    assert shown[0] not in (key.secret_hash, key.prefix, key.name)
    assert ApiClient(workspace, shown[0]).get("/api/me").status_code == 200
    # The list shows the prefix, never the key again.
    again = owner_client.get("/settings/api-keys/").content.decode()
    assert "Website form" in again
    assert key.prefix in again
    assert shown[0] not in again


def test_creating_a_key_is_in_the_audit_log(workspace, owner_client):
    owner_client.post("/settings/api-keys/", {"name": "Zapier", "scope": ApiKeyScope.READ})

    with schema_context(workspace.workspace.schema_name):
        entry = AuditEntry.objects.get(action=AuditEntry.Action.API_KEY_CREATED)
    assert entry.actor == workspace.owner
    assert entry.target == "Zapier"
    assert entry.changes == {"scope": [None, "read"]}
    assert "API key created" in owner_client.get("/settings/workspace/").content.decode()


def test_key_needs_a_name_and_a_known_scope(workspace, owner_client):
    response = owner_client.post("/settings/api-keys/", {"name": "  ", "scope": "admin"})

    assert response.status_code == 200
    assert not KEY_PATTERN.search(response.content.decode())
    assert _keys(workspace) == []


def test_two_active_keys_cannot_share_a_name(workspace, owner_client):
    make_key(workspace, name="Website form")

    response = owner_client.post(
        "/settings/api-keys/", {"name": "website FORM", "scope": ApiKeyScope.READ}
    )

    assert "An active key with this name exists already." in response.content.decode()
    assert len(_keys(workspace)) == 1


def test_member_cannot_open_or_use_the_api_keys_page(workspace):
    member = add_member(workspace, email="ann@acme.example.com")
    client = logged_in_client(workspace, member)

    assert client.get("/settings/api-keys/").status_code == 403
    assert client.post("/settings/api-keys/", {"name": "x", "scope": "read"}).status_code == 403
    assert _keys(workspace) == []


def test_member_cannot_create_or_revoke_keys_through_the_actions(workspace):
    member = add_member(workspace, email="ann@acme.example.com")
    make_key(workspace, name="Owner's")
    with schema_context(workspace.workspace.schema_name):
        key = ApiKey.objects.get()
        with pytest.raises(PermissionDenied):
            actions.create_api_key(acting_user=member, name="Mine", scope=ApiKeyScope.READ)
        with pytest.raises(PermissionDenied):
            actions.revoke_api_key(acting_user=member, api_key=key)
        assert ApiKey.objects.get().revoked_at is None


def test_revoking_asks_first_then_the_key_stops_working(workspace, owner_client):
    secret = make_key(workspace, name="Old import")
    (key,) = _keys(workspace)
    api = ApiClient(workspace, secret)
    assert api.get("/api/me").status_code == 200

    confirm = owner_client.get(f"/settings/api-keys/{key.pk}/revoke/")
    assert confirm.status_code == 200
    assert "Every script using it stops working" in confirm.content.decode()
    assert _keys(workspace)[0].revoked_at is None

    response = owner_client.post(f"/settings/api-keys/{key.pk}/revoke/", follow=True)

    assert "The key &quot;Old import&quot; is revoked" in response.content.decode()
    assert _keys(workspace)[0].revoked_at is not None
    assert api.get("/api/me").status_code == 401
    with schema_context(workspace.workspace.schema_name):
        assert AuditEntry.objects.filter(
            action=AuditEntry.Action.API_KEY_REVOKED, target="Old import"
        ).exists()


def test_revoked_key_frees_its_name(workspace):
    make_key(workspace, name="Website")
    with schema_context(workspace.workspace.schema_name):
        actions.revoke_api_key(acting_user=workspace.owner, api_key=ApiKey.objects.get())

    make_key(workspace, name="Website")

    assert [key.is_active for key in _keys(workspace)] == [False, True]


def test_workspace_settings_link_to_the_api_keys(owner_client):
    page = owner_client.get("/settings/workspace/").content.decode()

    assert 'href="/settings/api-keys/"' in page


def test_page_lists_keys_with_scope_creator_and_last_use(workspace, owner_client):
    secret = make_key(workspace, name="Reader", scope=ApiKeyScope.READ)
    ApiClient(workspace, secret).get("/api/me")

    page = owner_client.get("/settings/api-keys/").content.decode()

    assert "Reader" in page
    assert "Read" in page
    assert workspace.owner.display_name in page
    assert "never" not in page


def test_last_use_is_recorded_at_most_once_a_minute(workspace, django_assert_num_queries):
    secret = make_key(workspace)
    with schema_context(workspace.workspace.schema_name):
        first = actions.api_key_for_secret(secret)
        assert first is not None
        assert first.last_used_at is not None
        # Within the minute: one SELECT, no UPDATE.
        with django_assert_num_queries(1):
            actions.api_key_for_secret(secret)
        ApiKey.objects.update(last_used_at=timezone.now() - actions.LAST_USED_PRECISION)
        with django_assert_num_queries(2):
            again = actions.api_key_for_secret(secret)
        assert again is not None
        assert again.last_used_at > first.last_used_at


def test_create_api_key_command_prints_json(workspace):
    out = StringIO()

    call_command(
        "create_api_key",
        "--workspace",
        "acme",
        "--name",
        "Nightly sync",
        "--scopes",
        "read,write",
        "--json",
        stdout=out,
    )

    result = json.loads(out.getvalue())
    assert KEY_PATTERN.fullmatch(result["key"])
    (key,) = _keys(workspace)
    assert result["id"] == key.pk
    assert key.scope == ApiKeyScope.READ_WRITE
    assert key.created_by == workspace.owner
    assert ApiClient(workspace, result["key"]).get("/api/me").json()["scopes"] == [
        "read",
        "write",
    ]


def test_create_api_key_command_refuses_bad_input(workspace):
    with pytest.raises(CommandError, match="--scopes"):
        call_command("create_api_key", "--workspace", "acme", "--name", "x", "--scopes", "all")
    with pytest.raises(CommandError, match="No workspace"):
        call_command("create_api_key", "--workspace", "nope", "--name", "x")
    with pytest.raises(CommandError, match="No active member"):
        call_command(
            "create_api_key", "--workspace", "acme", "--name", "x", "--created-by", "x@y.z"
        )
    assert _keys(workspace) == []


def test_create_api_key_command_read_scope_by_default(workspace):
    out = StringIO()

    call_command("create_api_key", "--workspace", "acme", "--name", "Reports", stdout=out)

    assert "shown only once" in out.getvalue()
    assert _keys(workspace)[0].scope == ApiKeyScope.READ
